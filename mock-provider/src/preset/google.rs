//! Google's dialect at its token endpoint, and its scope and token formats.
//!
//! Sources: Google Identity docs ("Using OAuth 2.0 for Web Server Applications": `access_type`,
//! the refresh token on first consent, the response members; "OpenID Connect": the two `iss`
//! spellings) and error bodies observed in public issue threads (`invalid_grant` "Bad Request",
//! "Code was already redeemed.", "Token has been expired or revoked.", `invalid_client`
//! "Unauthorized" and "The OAuth client was not found.", `redirect_uri_mismatch` "Bad Request").
//! The device flow ("OAuth 2.0 for TV and Limited-Input Device Applications"): `verification_url`
//! for the RFC's `verification_uri`, 30 minutes, `authorization_pending` as HTTP 428
//! "Precondition Required", `slow_down` and `access_denied` as 403 "Forbidden".
//! Where no source says (an expired device code), the RFC's code and status stand.

use serde_json::{Value, json};

use crate::error::{Reason, TokenErrorCode};

/// The observed prefix of Google access tokens.
pub const ACCESS_PREFIX: &str = "ya29.";
/// Google's documented sample refresh tokens start so.
pub const REFRESH_PREFIX: &str = "1//";

/// The status, code and description Google answers a failed token request with.
pub fn error(code: TokenErrorCode, reason: Option<Reason>, description: &str) -> (u16, Value) {
    let (status, error, description) = match reason {
        Some(Reason::UnknownClient) => (401, "invalid_client", "The OAuth client was not found."),
        Some(
            Reason::BadClientSecret | Reason::BadClientAssertion | Reason::ClientAssertionReplayed,
        ) => (401, "invalid_client", "Unauthorized"),
        Some(Reason::CodeReplayed) => (400, "invalid_grant", "Code was already redeemed."),
        Some(Reason::BadCode | Reason::CodeOfAnotherClient | Reason::PkceFailed) => {
            (400, "invalid_grant", "Bad Request")
        }
        Some(Reason::RedirectUriMismatch) => (400, "redirect_uri_mismatch", "Bad Request"),
        Some(Reason::BadRefreshToken | Reason::RefreshTokenReused) => {
            (400, "invalid_grant", "Token has been expired or revoked.")
        }
        Some(Reason::UnknownDeviceCode) => (400, "invalid_grant", "Bad Request"),
        Some(Reason::PolledTooSoon { .. }) => (403, "slow_down", "Forbidden"),
        Some(Reason::DeviceGrantNotAllowed) | None => match code {
            TokenErrorCode::AuthorizationPending => (428, code.as_str(), "Precondition Required"),
            TokenErrorCode::AccessDenied => (403, code.as_str(), "Forbidden"),
            _ => (code.status().as_u16(), code.as_str(), description),
        },
    };
    (
        status,
        json!({ "error": error, "error_description": description }),
    )
}

/// `profile` and `email` as Google echoes them in a granted `scope`.
pub fn expand_scope(scope: &str) -> String {
    scope
        .split(' ')
        .map(|s| match s {
            "profile" => "https://www.googleapis.com/auth/userinfo.profile",
            "email" => "https://www.googleapis.com/auth/userinfo.email",
            other => other,
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The issuer as legacy implementations spell it in `iss`: without the scheme.
pub fn without_scheme(issuer: &str) -> &str {
    issuer
        .strip_prefix("https://")
        .or_else(|| issuer.strip_prefix("http://"))
        .unwrap_or(issuer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replayed_codes_and_revoked_refresh_tokens_say_what_google_says() {
        let (status, body) = error(TokenErrorCode::InvalidGrant, Some(Reason::CodeReplayed), "");
        assert_eq!(status, 400);
        assert_eq!(body["error_description"], "Code was already redeemed.");
        let (status, body) = error(
            TokenErrorCode::InvalidClient,
            Some(Reason::UnknownClient),
            "",
        );
        assert_eq!(
            (status, body["error"].as_str()),
            (401, Some("invalid_client"))
        );
    }

    #[test]
    fn a_waiting_device_is_told_428_and_one_too_eager_403() {
        let (status, body) = error(TokenErrorCode::AuthorizationPending, None, "x");
        assert_eq!(
            (status, body["error_description"].as_str()),
            (428, Some("Precondition Required"))
        );
        let (status, body) = error(
            TokenErrorCode::SlowDown,
            Some(Reason::PolledTooSoon { interval: 10 }),
            "x",
        );
        assert_eq!((status, body["error"].as_str()), (403, Some("slow_down")));
        let (status, _) = error(TokenErrorCode::ExpiredToken, None, "x");
        assert_eq!(status, 400);
    }

    #[test]
    fn scopes_expand_and_issuers_lose_their_scheme() {
        assert_eq!(
            expand_scope("openid email"),
            "openid https://www.googleapis.com/auth/userinfo.email"
        );
        assert_eq!(without_scheme("http://127.0.0.1:9000"), "127.0.0.1:9000");
    }
}
