//! Small pieces of HTTP and JOSE vocabulary every server reads the same way.

use axum::http::{HeaderMap, header};
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

/// The claims of a JWT as presented, *not verified*: for describing a request (which user, which
/// client), never for deciding anything about it.
pub fn unverified_claims(token: &str) -> Option<Value> {
    let payload = token.split('.').nth(1)?;
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
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
