//! Google's dialect at its token endpoint, and its scope and token formats.
//!
//! Sources: Google Identity docs ("Using OAuth 2.0 for Web Server Applications": `access_type`,
//! the refresh token on first consent, the response members; "OpenID Connect": the two `iss`
//! spellings) and error bodies observed in public issue threads (`invalid_grant` "Bad Request",
//! "Code was already redeemed.", "Token has been expired or revoked.", `invalid_client`
//! "Unauthorized" and "The OAuth client was not found.", `redirect_uri_mismatch` "Bad Request").
//! Where no source says, the RFC's code and status stand.

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
        None => (code.status().as_u16(), code.as_str(), description),
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
    fn scopes_expand_and_issuers_lose_their_scheme() {
        assert_eq!(
            expand_scope("openid email"),
            "openid https://www.googleapis.com/auth/userinfo.email"
        );
        assert_eq!(without_scheme("http://127.0.0.1:9000"), "127.0.0.1:9000");
    }
}
