//! Keycloak's dialect at its token endpoint.
//!
//! Sources: Keycloak's own code (`AuthorizationCodeGrantType`: "Code not valid", "Incorrect
//! redirect_uri"; `TokenManager`: "Token is not active", "Maximum allowed refresh token reuse
//! exceeded"; client authentication: HTTP 401 `invalid_client` "Invalid client or Invalid
//! client credentials") and its realm defaults (`RepresentationToModel`: codes 60 s, access
//! tokens 300 s, SSO session idle 1800 s). Where Keycloak's exact words are not known (a PKCE
//! failure, a code of another client), fauxauth's own description stands.

use serde_json::Value;

use crate::error::{Reason, TokenErrorCode};

/// The status, code and description Keycloak answers a failed token request with.
pub fn error(code: TokenErrorCode, reason: Option<Reason>, description: &str) -> (u16, Value) {
    let (status, error, description) = match reason {
        Some(r) if r.is_client_authentication() => (
            401,
            "invalid_client",
            "Invalid client or Invalid client credentials",
        ),
        // An unknown, expired or replayed code alike (a replay also revokes what it issued).
        Some(Reason::BadCode | Reason::CodeReplayed) => (400, "invalid_grant", "Code not valid"),
        Some(Reason::RedirectUriMismatch) => (400, "invalid_grant", "Incorrect redirect_uri"),
        Some(Reason::BadRefreshToken) => (400, "invalid_grant", "Token is not active"),
        Some(Reason::RefreshTokenReused) => (
            400,
            "invalid_grant",
            "Maximum allowed refresh token reuse exceeded",
        ),
        _ => (code.status().as_u16(), code.as_str(), description),
    };
    super::rfc_error(status, error, description)
}
