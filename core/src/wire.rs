//! Small pieces of HTTP and JOSE vocabulary every server reads the same way.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

/// Whether the body is `application/x-www-form-urlencoded`: the media type compared without
/// regard to case, parameters (`; charset=UTF-8`) ignored (RFC 9110 §8.3.1).
pub fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

/// The most characters of an `error_description` (or a challenge's quoted value): what the
/// server says is short, but it may echo what the request sent, which may be anything.
pub const MAX_DESCRIPTION: usize = 300;

/// Makes `text` a valid `error_description`: RFC 6749 §4.1.2.1 and §5.2 (and RFC 6750 §3 for
/// challenges) allow %x20-21 / %x23-5B / %x5D-7E only: ASCII, no double quote, no backslash.
/// The section sign of the RFC references becomes the word, anything else non-ASCII a `?`.
/// Cut to [`MAX_DESCRIPTION`] characters, with `...` after a cut.
pub fn description_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_DESCRIPTION + 3));
    for c in text.chars() {
        if out.len() >= MAX_DESCRIPTION {
            out.push_str("...");
            break;
        }
        match c {
            '§' => out.push_str("section "),
            '"' => out.push('\''),
            '\\' => out.push('/'),
            c if (' '..='~').contains(&c) => out.push(c),
            _ => out.push('?'),
        }
    }
    out
}

/// An RFC 6750 §3 `WWW-Authenticate: Bearer` challenge: the realm, then the error code, its
/// description and the scope needed, each when given (a request without any token gets the
/// realm alone, §3.1). Every quoted value is made valid by [`description_text`].
pub fn bearer_challenge(
    realm: &str,
    error: Option<&str>,
    description: Option<&str>,
    scope: Option<&str>,
) -> String {
    let mut out = format!("Bearer realm=\"{}\"", description_text(realm));
    for (name, value) in [
        ("error", error),
        ("error_description", description),
        ("scope", scope),
    ] {
        if let Some(value) = value {
            out.push_str(&format!(", {name}=\"{}\"", description_text(value)));
        }
    }
    out
}

/// A `WWW-Authenticate: DPoP` challenge (RFC 9449 §7.1): the realm, the error when there is
/// one, and `algs`, the algorithms a proof may use.
pub fn dpop_challenge(realm: &str, error: Option<(&str, &str)>) -> String {
    let mut out = format!("DPoP realm=\"{}\"", description_text(realm));
    if let Some((code, description)) = error {
        out.push_str(&format!(
            ", error=\"{code}\", error_description=\"{}\"",
            description_text(description)
        ));
    }
    let algs: Vec<&str> = crate::dpop::ALGS.iter().map(|a| a.as_str()).collect();
    out.push_str(&format!(", algs=\"{}\"", algs.join(" ")));
    out
}

/// An RFC 7617 `WWW-Authenticate: Basic` challenge (RFC 6749 §5.2 for `invalid_client`).
pub fn basic_challenge(realm: &str) -> String {
    format!("Basic realm=\"{}\"", description_text(realm))
}

/// `text` cut to at most `max` characters, with `...` after a cut: for echoing what a request
/// sent in a page or a message.
pub fn shortened(text: &str, max: usize) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(max) {
        None => text.into(),
        Some((end, _)) => format!("{}...", &text[..end]).into(),
    }
}

/// The claims of a JWT as presented, *not verified*: for describing a request (which user, which
/// client), never for deciding anything about it.
pub fn unverified_claims(token: &str) -> Option<Value> {
    unverified_header_and_claims(token).map(|(_, claims)| claims)
}

/// The JOSE header and claims of a compact JWS, *not verified*; `None` for anything else.
pub fn unverified_header_and_claims(token: &str) -> Option<(Value, Value)> {
    let mut parts = token.split('.');
    let mut decode = || -> Option<Value> {
        let json: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts.next()?).ok()?).ok()?;
        json.is_object().then_some(json)
    };
    let header = decode()?;
    let claims = decode()?;
    (parts.count() == 1).then_some((header, claims))
}

/// An HTML page for a person, as every fauxauth page is served: no scripts, inline style only,
/// no framing (RFC 9700 §4.16: clickjacking; CSP level 2 `frame-ancestors`, with
/// `X-Frame-Options` for older browsers). A page that failed to render is logged and answered 500.
pub fn page(status: StatusCode, rendered: Result<String, impl std::fmt::Display>) -> Response {
    let mut response = match rendered {
        Ok(body) => (status, Html(body)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "rendering a page failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    };
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'",
        ),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

/// Error codes of a protected resource (RFC 6750 §3.1), for every server that answers bearer
/// requests (the provider's UserInfo endpoint, the resource).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BearerErrorCode {
    /// RFC 6750 §3.1: a parameter is missing, unsupported or repeated, the token was sent more
    /// than one way, or the request is otherwise malformed. HTTP 400.
    InvalidRequest,
    /// RFC 6750 §3.1: the token is expired, revoked, malformed, or invalid for other reasons.
    /// HTTP 401.
    InvalidToken,
    /// RFC 6750 §3.1: the request needs more privileges than the token carries. HTTP 403.
    InsufficientScope,
}

impl BearerErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "invalid_request",
            Self::InvalidToken => "invalid_token",
            Self::InsufficientScope => "insufficient_scope",
        }
    }

    pub fn status(self) -> StatusCode {
        match self {
            Self::InvalidRequest => StatusCode::BAD_REQUEST,
            Self::InvalidToken => StatusCode::UNAUTHORIZED,
            Self::InsufficientScope => StatusCode::FORBIDDEN,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges_quote_only_what_rfc_6750_allows() {
        assert_eq!(
            bearer_challenge("api", None, None, None),
            "Bearer realm=\"api\""
        );
        assert_eq!(
            bearer_challenge("api", Some("invalid_token"), None, None),
            "Bearer realm=\"api\", error=\"invalid_token\""
        );
        assert_eq!(
            bearer_challenge(
                "api",
                Some("insufficient_scope"),
                Some("needs \"items:write\""),
                Some("items:write")
            ),
            "Bearer realm=\"api\", error=\"insufficient_scope\", \
             error_description=\"needs 'items:write'\", scope=\"items:write\""
        );
        assert_eq!(basic_challenge("token\\x"), "Basic realm=\"token/x\"");
    }

    #[test]
    fn descriptions_are_made_safe_and_short() {
        assert_eq!(description_text("say \"hi\" \\ café"), "say 'hi' / caf?");
        assert_eq!(
            description_text("revoked (RFC 6749 §4.1.2)"),
            "revoked (RFC 6749 section 4.1.2)"
        );
        assert_eq!(
            description_text(&"x".repeat(5000)).len(),
            MAX_DESCRIPTION + 3
        );
        assert_eq!(shortened("héllo", 2), "hé...");
        assert_eq!(shortened("hé", 2), "hé");
    }
    use axum::http::HeaderValue;

    #[test]
    fn form_media_type_ignores_case_and_parameters() {
        let mut headers = HeaderMap::new();
        assert!(!is_form(&headers));
        for value in [
            "application/x-www-form-urlencoded",
            "Application/X-WWW-Form-URLEncoded; charset=UTF-8",
        ] {
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(value));
            assert!(is_form(&headers), "{value}");
        }
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        assert!(!is_form(&headers));
    }

    #[test]
    fn claims_are_read_from_the_payload() {
        let token = format!("e30.{}.sig", URL_SAFE_NO_PAD.encode(br#"{"sub":"alice"}"#));
        assert_eq!(unverified_claims(&token).unwrap()["sub"], "alice");
        assert_eq!(unverified_claims("opaque"), None);
    }
}
