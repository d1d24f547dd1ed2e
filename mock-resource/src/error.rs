//! The one place that turns failures into HTTP: status codes, JSON bodies and the
//! `WWW-Authenticate` challenges of RFC 6750 §3.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

pub use fauxauth_core::wire::BearerErrorCode;

/// Everything a request to the resource can fail with. The only type here that knows status
/// codes and headers; handlers (preset routes too) return it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Error {
    /// RFC 6750 §3.1: the request carried no bearer token at all (or only another scheme's
    /// credentials). 401 with a bare `Bearer realm="..."`: no error code.
    Unauthenticated { realm: String },
    /// A bearer-token error (RFC 6750 §3.1), answered with its challenge.
    Bearer {
        code: BearerErrorCode,
        description: String,
        realm: String,
        /// For `insufficient_scope`: the scope the request needs (RFC 6750 §3).
        scope: Option<String>,
    },
    /// The API's own input is wrong (not an authorization problem): 400, no challenge.
    BadRequest(String),
    /// The issuer could not be asked (discovery, JWKS or introspection failed): 503. The reason
    /// is logged where it happened; the body says only what failed.
    Unavailable(String),
    /// A bug: logged where it happened, never described in the body.
    Internal,
}

impl Error {
    pub fn invalid_request(realm: &str, description: impl Into<String>) -> Self {
        Self::Bearer {
            code: BearerErrorCode::InvalidRequest,
            description: description.into(),
            realm: realm.to_owned(),
            scope: None,
        }
    }

    pub fn invalid_token(realm: &str, description: impl Into<String>) -> Self {
        Self::Bearer {
            code: BearerErrorCode::InvalidToken,
            description: description.into(),
            realm: realm.to_owned(),
            scope: None,
        }
    }

    pub fn insufficient_scope(realm: &str, scope: &str) -> Self {
        Self::Bearer {
            code: BearerErrorCode::InsufficientScope,
            description: format!("this request needs the {scope} scope"),
            realm: realm.to_owned(),
            scope: Some(scope.to_owned()),
        }
    }

    /// The `WWW-Authenticate` value, when the answer carries one.
    pub fn challenge(&self) -> Option<String> {
        match self {
            Self::Unauthenticated { realm } => Some(format!("Bearer realm=\"{}\"", quoted(realm))),
            Self::Bearer {
                code,
                description,
                realm,
                scope,
            } => {
                let mut challenge = format!(
                    "Bearer realm=\"{}\", error=\"{}\", error_description=\"{}\"",
                    quoted(realm),
                    code.as_str(),
                    quoted(description)
                );
                if let Some(scope) = scope {
                    challenge.push_str(&format!(", scope=\"{}\"", quoted(scope)));
                }
                Some(challenge)
            }
            Self::BadRequest(_) | Self::Unavailable(_) | Self::Internal => None,
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let challenge = self.challenge();
        let (status, body) = match self {
            Self::Unauthenticated { .. } => (
                StatusCode::UNAUTHORIZED,
                json!({ "error_description": "an access token is required" }),
            ),
            Self::Bearer {
                code,
                description,
                scope,
                ..
            } => {
                let mut body = json!({ "error": code.as_str(), "error_description": description });
                if let Some(scope) = scope {
                    body["scope"] = json!(scope);
                }
                (code.status(), body)
            }
            Self::BadRequest(description) => (
                StatusCode::BAD_REQUEST,
                json!({ "error": "invalid_request", "error_description": description }),
            ),
            Self::Unavailable(description) => (
                StatusCode::SERVICE_UNAVAILABLE,
                json!({ "error": "temporarily_unavailable", "error_description": description }),
            ),
            Self::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                json!({ "error": "server_error" }),
            ),
        };
        let mut response = (status, axum::Json(body)).into_response();
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Some(value) = challenge.and_then(|c| HeaderValue::from_str(&c).ok()) {
            headers.insert(header::WWW_AUTHENTICATE, value);
        }
        response
    }
}

/// Makes `text` safe inside a quoted-string of a challenge. RFC 6750 §3 limits
/// `error_description` to %x20-21 / %x23-5B / %x5D-7E: no quote, no backslash, ASCII only
/// (so `§`, which descriptions cite, is spelt out). Long values (they may echo what a token
/// claimed) are cut.
fn quoted(text: &str) -> String {
    const MAX: usize = 300;
    let mut out = String::with_capacity(text.len().min(MAX + 3));
    for c in text.chars() {
        if out.len() >= MAX {
            out.push_str("...");
            break;
        }
        match c {
            '"' => out.push('\''),
            '\\' => out.push('/'),
            '§' => out.push_str("section "),
            c if (' '..='~').contains(&c) => out.push(c),
            _ => out.push('?'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn challenge_of(error: Error) -> (StatusCode, String) {
        let response = error.into_response();
        let challenge = response.headers()[header::WWW_AUTHENTICATE]
            .to_str()
            .unwrap()
            .to_owned();
        (response.status(), challenge)
    }

    #[test]
    fn a_request_without_a_token_gets_a_bare_challenge() {
        let (status, challenge) = challenge_of(Error::Unauthenticated {
            realm: "fauxauth".into(),
        });
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(challenge, r#"Bearer realm="fauxauth""#);
    }

    #[test]
    fn an_invalid_token_is_401_with_error_and_description() {
        let (status, challenge) = challenge_of(Error::invalid_token("r", "the token has expired"));
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(
            challenge,
            r#"Bearer realm="r", error="invalid_token", error_description="the token has expired""#
        );
    }

    #[test]
    fn insufficient_scope_is_403_naming_the_scope() {
        let (status, challenge) = challenge_of(Error::insufficient_scope("r", "items:read"));
        assert_eq!(status, StatusCode::FORBIDDEN);
        assert_eq!(
            challenge,
            r#"Bearer realm="r", error="insufficient_scope", error_description="this request needs the items:read scope", scope="items:read""#
        );
    }

    #[test]
    fn a_malformed_request_is_400_invalid_request() {
        let (status, challenge) = challenge_of(Error::invalid_request("r", "two ways"));
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(
            challenge.contains(r#"error="invalid_request""#),
            "{challenge}"
        );
    }

    #[test]
    fn descriptions_are_made_safe_for_challenges() {
        assert_eq!(quoted("say \"hi\" \\ café"), "say 'hi' / caf?");
        assert_eq!(quoted("RFC 6750 §3"), "RFC 6750 section 3");
        let long = quoted(&"x".repeat(1000));
        assert_eq!(long.len(), 303);
    }

    #[test]
    fn failures_that_are_not_about_the_token_carry_no_challenge() {
        for error in [
            Error::BadRequest("name is required".into()),
            Error::Unavailable("the issuer's keys could not be fetched".into()),
            Error::Internal,
        ] {
            let response = error.into_response();
            assert!(!response.headers().contains_key(header::WWW_AUTHENTICATE));
        }
    }
}
