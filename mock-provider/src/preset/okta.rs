//! Okta's dialect at its token endpoint.
//!
//! Sources (fauxauth's provider reference §6.4): a wrong or unknown client is HTTP 401
//! `invalid_client` "Client authentication failed. Either the client or the client credentials
//! are invalid."; a bad, expired or used code 400 `invalid_grant` "The authorization code is
//! invalid or has expired."; a bad refresh token "The refresh token is invalid or expired." (its
//! wording from a support article, to be checked again); credentials in both the
//! `Authorization` header and the body 401 `invalid_request` "Cannot supply multiple client
//! credentials. ...". Where no source says, fauxauth's own description stands.

use serde_json::Value;

use crate::error::{Reason, TokenErrorCode};

/// What Okta says to a request carrying client credentials in two places.
pub const MULTIPLE_CREDENTIALS: &str = "Cannot supply multiple client credentials. Use one of \
     the following: credentials in the Authorization header, credentials in the post body, or a \
     client_assertion in the post body.";

/// The status, code and description Okta answers a failed token request with.
pub fn error(code: TokenErrorCode, reason: Option<Reason>, description: &str) -> (u16, Value) {
    let (status, error, description) = match reason {
        Some(r) if r.is_client_authentication() => (
            401,
            "invalid_client",
            "Client authentication failed. Either the client or the client credentials are \
             invalid.",
        ),
        Some(Reason::BadCode | Reason::CodeReplayed | Reason::CodeOfAnotherClient) => (
            400,
            "invalid_grant",
            "The authorization code is invalid or has expired.",
        ),
        Some(Reason::BadRefreshToken | Reason::RefreshTokenReused) => (
            400,
            "invalid_grant",
            "The refresh token is invalid or expired.",
        ),
        _ if description == MULTIPLE_CREDENTIALS => (401, "invalid_request", MULTIPLE_CREDENTIALS),
        _ => (code.status().as_u16(), code.as_str(), description),
    };
    super::rfc_error(status, error, description)
}
