//! Finding the bearer token in a request (RFC 6750 §2): the `Authorization` header, a
//! form-encoded body, or the query, each only when allowed, and never two at once.

use axum::http::{HeaderMap, Method, header};

/// Which ways of sending a token besides the header are accepted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Accept {
    /// RFC 6750 §2.2.
    pub body: bool,
    /// RFC 6750 §2.3.
    pub query: bool,
    /// `Authorization: token X`, which GitHub's API takes as well as `Bearer` (GitHub docs,
    /// "Get the authenticated user").
    pub token_scheme: bool,
    /// `Authorization: DPoP X` (RFC 9449 §7.1), with its proof.
    pub dpop: bool,
}

/// Where the token was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    /// `Authorization: Bearer` (RFC 6750 §2.1).
    Header,
    /// `access_token` in a form-encoded body (RFC 6750 §2.2).
    Body,
    /// `access_token` in the query (RFC 6750 §2.3): the answer must be `Cache-Control: private`.
    Query,
}

/// A token as the request presented it, not yet validated.
#[derive(Clone, PartialEq, Eq)]
pub struct Presented {
    pub token: String,
    pub via: Via,
    /// Sent as `Authorization: DPoP` (RFC 9449 §7.1): it must come with a proof.
    pub dpop: bool,
}

impl std::fmt::Debug for Presented {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Presented")
            .field("via", &self.via)
            .finish_non_exhaustive()
    }
}

/// Why the request is malformed (RFC 6750 §3.1 `invalid_request`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Malformed {
    #[error("the Authorization header is not ASCII")]
    NotAscii,
    #[error("the request has several Authorization headers")]
    SeveralHeaders,
    #[error("the Authorization header names the Bearer scheme but has no token (RFC 6750 §2.1)")]
    NoToken,
    #[error("the bearer token is not a b64token (RFC 6750 §2.1)")]
    NotB64Token,
    #[error("access_token is repeated")]
    Repeated,
    #[error("the token was sent more than one way (RFC 6750 §2)")]
    SeveralWays,
    #[error("access tokens in the URL query are not accepted here (RFC 6750 §2.3)")]
    QueryNotAccepted,
    #[error("access tokens in the request body are not accepted here (RFC 6750 §2.2)")]
    BodyNotAccepted,
    #[error("a token in the body cannot be sent with GET (RFC 6750 §2.2)")]
    BodyWithGet,
}

/// Whether the body is `application/x-www-form-urlencoded`, the only body that can carry a token
/// (RFC 6750 §2.2).
pub use fauxauth_core::wire::is_form;

/// The bearer token of a request, if it carries one. `form` is the body when it is form-encoded.
///
/// A header with another scheme (`Basic`, or `DPoP` where it is not taken) is no bearer token: the answer is then the
/// bare challenge of RFC 6750 §3.1, not an error.
pub fn bearer_token(
    method: &Method,
    headers: &HeaderMap,
    query: Option<&str>,
    form: Option<&[u8]>,
    accept: Accept,
) -> Result<Option<Presented>, Malformed> {
    let mut found = Vec::with_capacity(1);
    if let Some((token, dpop)) = from_header(headers, accept)? {
        found.push(Presented {
            token,
            via: Via::Header,
            dpop,
        });
    }
    if let Some(token) = query
        .map(|q| access_token(q.as_bytes()))
        .transpose()?
        .flatten()
    {
        if !accept.query {
            return Err(Malformed::QueryNotAccepted);
        }
        found.push(Presented {
            token,
            via: Via::Query,
            dpop: false,
        });
    }
    if let Some(token) = form.map(access_token).transpose()?.flatten() {
        if !accept.body {
            return Err(Malformed::BodyNotAccepted);
        }
        if method == Method::GET {
            return Err(Malformed::BodyWithGet);
        }
        found.push(Presented {
            token,
            via: Via::Body,
            dpop: false,
        });
    }
    match found.len() {
        0 | 1 => Ok(found.pop()),
        _ => Err(Malformed::SeveralWays),
    }
}

/// `credentials = auth-scheme [ 1*SP token68 ]` (RFC 9110 §11.4), the scheme compared without
/// regard to case (RFC 9110 §11.1), the token a `b64token` (RFC 6750 §2.1). `token` counts as
/// `Bearer` when `token_scheme`; `DPoP` (RFC 9449 §7.1) is taken too, and said.
fn from_header(headers: &HeaderMap, accept: Accept) -> Result<Option<(String, bool)>, Malformed> {
    let mut values = headers.get_all(header::AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    if values.next().is_some() {
        return Err(Malformed::SeveralHeaders);
    }
    let value = value.to_str().map_err(|_| Malformed::NotAscii)?.trim();
    let (scheme, rest) = value.split_once(' ').unwrap_or((value, ""));
    let dpop = accept.dpop && scheme.eq_ignore_ascii_case("dpop");
    let bearer = scheme.eq_ignore_ascii_case("bearer")
        || (accept.token_scheme && scheme.eq_ignore_ascii_case("token"));
    if !bearer && !dpop {
        return Ok(None);
    }
    let token = rest.trim_start_matches(' ');
    if token.is_empty() {
        return Err(Malformed::NoToken);
    }
    if !is_b64token(token) {
        return Err(Malformed::NotB64Token);
    }
    Ok(Some((token.to_owned(), dpop)))
}

/// `b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="` (RFC 6750 §2.1).
fn is_b64token(token: &str) -> bool {
    let body = token.trim_end_matches('=');
    !body.is_empty()
        && body.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
        })
}

/// The one `access_token` of a form-encoded string. An empty value counts as absent.
fn access_token(form: &[u8]) -> Result<Option<String>, Malformed> {
    let mut values = form_urlencoded::parse(form)
        .filter(|(name, _)| name == "access_token")
        .map(|(_, value)| value);
    let first = values.next();
    if values.next().is_some() {
        return Err(Malformed::Repeated);
    }
    Ok(first.filter(|v| !v.is_empty()).map(|v| v.into_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn header(auth: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::AUTHORIZATION, HeaderValue::from_str(auth).unwrap());
        h
    }

    fn get(headers: &HeaderMap) -> Result<Option<Presented>, Malformed> {
        bearer_token(&Method::GET, headers, None, None, Accept::default())
    }

    fn token(t: &str, via: Via) -> Result<Option<Presented>, Malformed> {
        Ok(Some(Presented {
            token: t.into(),
            via,
            dpop: false,
        }))
    }

    #[test]
    fn the_scheme_is_case_insensitive() {
        for scheme in ["Bearer", "bearer", "BEARER", "bEaReR"] {
            assert_eq!(
                get(&header(&format!("{scheme} abc"))),
                token("abc", Via::Header)
            );
        }
    }

    #[test]
    fn b64token_characters_and_padding_are_accepted() {
        assert_eq!(
            get(&header("Bearer a-b.c_d~e+f/g==")),
            token("a-b.c_d~e+f/g==", Via::Header)
        );
        assert_eq!(
            get(&header("Bearer   spaced")),
            token("spaced", Via::Header)
        );
    }

    #[test]
    fn a_bearer_header_without_one_token_is_malformed() {
        assert_eq!(get(&header("Bearer")), Err(Malformed::NoToken));
        assert_eq!(get(&header("Bearer ")), Err(Malformed::NoToken));
        assert_eq!(get(&header("Bearer a b")), Err(Malformed::NotB64Token));
        assert_eq!(get(&header("Bearer a,b")), Err(Malformed::NotB64Token));
        assert_eq!(get(&header("Bearer ===")), Err(Malformed::NotB64Token));
    }

    #[test]
    fn other_schemes_and_no_header_are_no_token() {
        assert_eq!(get(&HeaderMap::new()), Ok(None));
        assert_eq!(get(&header("Basic dXNlcjpwYXNz")), Ok(None));
        assert_eq!(get(&header("Bearerabc")), Ok(None));
        assert_eq!(get(&header("")), Ok(None));
    }

    #[test]
    fn the_token_scheme_counts_only_when_accepted() {
        assert_eq!(get(&header("token gho_abc")), Ok(None));
        let github = Accept {
            token_scheme: true,
            ..Accept::default()
        };
        let found = |auth: &str| bearer_token(&Method::GET, &header(auth), None, None, github);
        assert_eq!(found("token gho_abc"), token("gho_abc", Via::Header));
        assert_eq!(found("Token gho_abc"), token("gho_abc", Via::Header));
        assert_eq!(found("Bearer gho_abc"), token("gho_abc", Via::Header));
        assert_eq!(found("token"), Err(Malformed::NoToken));
        assert_eq!(found("tokens gho_abc"), Ok(None));
    }

    #[test]
    fn two_authorization_headers_are_malformed() {
        let mut h = header("Bearer a");
        h.append(header::AUTHORIZATION, HeaderValue::from_static("Bearer b"));
        assert_eq!(get(&h), Err(Malformed::SeveralHeaders));
    }

    #[test]
    fn the_query_is_refused_unless_enabled() {
        let none = HeaderMap::new();
        let q = Some("x=1&access_token=abc");
        assert_eq!(
            bearer_token(&Method::GET, &none, q, None, Accept::default()),
            Err(Malformed::QueryNotAccepted)
        );
        let accept = Accept {
            query: true,
            ..Accept::default()
        };
        assert_eq!(
            bearer_token(&Method::GET, &none, q, None, accept),
            token("abc", Via::Query)
        );
        assert_eq!(
            bearer_token(&Method::GET, &none, Some("x=1"), None, Accept::default()),
            Ok(None)
        );
    }

    #[test]
    fn the_body_is_refused_unless_enabled_and_never_with_get() {
        let none = HeaderMap::new();
        let body: &[u8] = b"access_token=abc&name=x";
        assert_eq!(
            bearer_token(&Method::POST, &none, None, Some(body), Accept::default()),
            Err(Malformed::BodyNotAccepted)
        );
        let accept = Accept {
            body: true,
            ..Accept::default()
        };
        assert_eq!(
            bearer_token(&Method::POST, &none, None, Some(body), accept),
            token("abc", Via::Body)
        );
        assert_eq!(
            bearer_token(&Method::GET, &none, None, Some(body), accept),
            Err(Malformed::BodyWithGet)
        );
    }

    #[test]
    fn a_token_sent_two_ways_is_malformed() {
        let all = Accept {
            body: true,
            query: true,
            token_scheme: true,
            dpop: true,
        };
        let h = header("Bearer abc");
        assert_eq!(
            bearer_token(&Method::POST, &h, Some("access_token=abc"), None, all),
            Err(Malformed::SeveralWays)
        );
        assert_eq!(
            bearer_token(&Method::POST, &h, None, Some(b"access_token=abc"), all),
            Err(Malformed::SeveralWays)
        );
        assert_eq!(
            bearer_token(
                &Method::POST,
                &h,
                Some("access_token=a&access_token=b"),
                None,
                all
            ),
            Err(Malformed::Repeated)
        );
    }

    #[test]
    fn form_bodies_are_recognised_by_media_type_only() {
        let mut h = HeaderMap::new();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("Application/X-WWW-Form-Urlencoded; charset=utf-8"),
        );
        assert!(is_form(&h));
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        assert!(!is_form(&h));
    }
}
