//! GitLab's dialect at its token endpoint: Doorkeeper's words.
//!
//! Sources: Doorkeeper's English messages (`config/locales/en.yml`), which GitLab's OAuth server
//! answers with: one `invalid_grant` description for a bad, expired or used code, a
//! `redirect_uri` mismatch and a revoked refresh token; HTTP 401 `invalid_client`. GitLab's docs
//! ("OAuth 2.0 identity provider API") for the token format (64 lowercase hexadecimal
//! characters, no prefix) and `created_at`.

use serde_json::Value;

use crate::error::{Reason, TokenErrorCode};

/// The length of GitLab's OAuth access and refresh tokens, in hexadecimal characters.
pub const TOKEN_HEX_DIGITS: usize = 64;

const INVALID_GRANT: &str = "The provided authorization grant is invalid, expired, revoked, does \
     not match the redirection URI used in the authorization request, or was issued to another \
     client.";
const INVALID_CLIENT: &str = "Client authentication failed due to unknown client, no client \
     authentication included, or unsupported authentication method.";
const INVALID_REQUEST: &str = "The request is missing a required parameter, includes an \
     unsupported parameter value, or is otherwise malformed.";
const INVALID_SCOPE: &str = "The requested scope is invalid, unknown, or malformed.";
const UNSUPPORTED_GRANT_TYPE: &str =
    "The authorization grant type is not supported by the authorization server.";
const UNAUTHORIZED_CLIENT: &str =
    "The client is not authorized to perform this request using this method.";

/// The status, code and description GitLab answers a failed token request with.
pub fn error(code: TokenErrorCode, reason: Option<Reason>, description: &str) -> (u16, Value) {
    let described = match code {
        TokenErrorCode::InvalidGrant => Some(INVALID_GRANT),
        TokenErrorCode::InvalidClient => Some(INVALID_CLIENT),
        TokenErrorCode::InvalidRequest => Some(INVALID_REQUEST),
        TokenErrorCode::InvalidScope => Some(INVALID_SCOPE),
        TokenErrorCode::UnsupportedGrantType => Some(UNSUPPORTED_GRANT_TYPE),
        TokenErrorCode::UnauthorizedClient => Some(UNAUTHORIZED_CLIENT),
        // The device flow's answers keep the RFC's (GitLab's docs list only the codes).
        _ => None,
    };
    let _ = reason;
    super::rfc_error(
        code.status().as_u16(),
        code.as_str(),
        described.unwrap_or(description),
    )
}
