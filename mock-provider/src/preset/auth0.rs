//! Auth0's dialect at its token endpoint.
//!
//! Sources (fauxauth's provider reference §5.5, from Auth0's own SDKs' issue threads): a wrong
//! client secret is HTTP 401 `access_denied` "Unauthorized", not `invalid_client`; a bad,
//! expired or used code `invalid_grant` "Invalid authorization code" (a PKCE failure "Invalid
//! authorization code or code verifier"); a bad refresh token `invalid_grant` "Unknown or
//! invalid refresh token.". Where no source says (an unknown client, another `redirect_uri`),
//! fauxauth's own description stands, and every status is the RFC's (some clients report 403
//! for a bad code; that is not verified).

use serde_json::Value;

use crate::error::{Reason, TokenErrorCode};

/// The length of Auth0's opaque access tokens (for `/userinfo` alone).
pub const OPAQUE_TOKEN_LENGTH: usize = 32;

/// The status, code and description Auth0 answers a failed token request with.
pub fn error(code: TokenErrorCode, reason: Option<Reason>, description: &str) -> (u16, Value) {
    let (status, error, description) = match reason {
        Some(
            Reason::BadClientSecret | Reason::BadClientAssertion | Reason::ClientAssertionReplayed,
        ) => (401, "access_denied", "Unauthorized"),
        Some(Reason::BadCode | Reason::CodeReplayed | Reason::CodeOfAnotherClient) => {
            (400, "invalid_grant", "Invalid authorization code")
        }
        Some(Reason::PkceFailed) => (
            400,
            "invalid_grant",
            "Invalid authorization code or code verifier",
        ),
        Some(Reason::BadRefreshToken | Reason::RefreshTokenReused) => {
            (400, "invalid_grant", "Unknown or invalid refresh token.")
        }
        _ => (code.status().as_u16(), code.as_str(), description),
    };
    super::rfc_error(status, error, description)
}
