//! Discord's dialect at its token endpoint.
//!
//! Sources: Discord's developer documentation ("OAuth2": form bodies only, HTTP Basic or body
//! credentials, the token response's sample, revocation taking the whole authorization) and the
//! answers its users report: HTTP 400 `invalid_grant` `Invalid "code" in request.` for a bad,
//! expired or used code (`reboxer/discord-oauth2#92`, `discord/discord-api-docs#5579`), a bare
//! `{"error": "invalid_grant"}` for a refused refresh (`discord/discord-api-docs#1650`). Where
//! Discord's words are not known (a wrong secret, a PKCE failure), the RFC's code stands with
//! fauxauth's own description.

use serde_json::Value;

use crate::error::{Reason, TokenErrorCode};

/// The length of Discord's access and refresh tokens: letters and digits, as its samples are.
pub const TOKEN_LENGTH: usize = 30;

/// The status and body Discord answers a failed token request with.
pub fn error(code: TokenErrorCode, reason: Option<Reason>, description: &str) -> (u16, Value) {
    match reason {
        Some(
            Reason::BadCode
            | Reason::CodeReplayed
            | Reason::CodeOfAnotherClient
            | Reason::RedirectUriMismatch,
        ) => super::rfc_error(400, "invalid_grant", r#"Invalid "code" in request."#),
        Some(Reason::BadRefreshToken | Reason::RefreshTokenReused) => {
            (400, serde_json::json!({ "error": "invalid_grant" }))
        }
        _ => super::rfc_error(code.status().as_u16(), code.as_str(), description),
    }
}
