//! Presets: the provider made to look and behave like Google, GitHub or Microsoft Entra ID.
//!
//! A preset is three things, each kept apart so that they can be read, tested and switched one at
//! a time:
//! - a [`Layout`]: the paths the real provider serves (from `fauxauth_core::preset`), so an app
//!   changes only its base URLs;
//! - [`Quirks`] (`quirks.rs`, data only): every behaviour of the real provider that departs from
//!   strict OpenID Connect, one named setting each. A preset switches on its own; an issuer's
//!   `quirks` block switches any of them off, or on for another preset;
//! - a dialect (`dialect.rs`, with the `google`, `github`, `microsoft` modules): how the real
//!   provider words its answers (error codes and descriptions, response media types, extra
//!   members). Only the dialect needs the running issuer.
//!
//! The strict core is never bypassed: a quirk changes what is *said* or *issued*, and only the
//! checks the real provider does not make (GitHub does not require `response_type`, for one).

pub mod apple;
pub mod auth0;
mod dialect;
pub mod discord;
pub mod github;
pub mod gitlab;
pub mod google;
pub mod keycloak;
mod layout;
pub mod microsoft;
pub mod okta;
mod quirks;
pub mod slack;

pub use dialect::{device_answer, device_code, token_answer};

/// A refusal as RFC 6749 §5.2 shapes it, `status` with its `error` and `error_description`:
/// what the dialects that keep the RFC's shape (and change only its words) answer.
fn rfc_error(status: u16, error: &str, description: &str) -> (u16, serde_json::Value) {
    (
        status,
        serde_json::json!({ "error": error, "error_description": description }),
    )
}
pub use fauxauth_core::preset::Preset;
pub use layout::{Endpoint, Install, Layout, Route, Tenant};
pub use quirks::{Active, Quirks};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::{Reason, TokenErrorCode};
    use serde_json::json;

    type Dialect = fn(TokenErrorCode, Option<Reason>, &str) -> (u16, serde_json::Value);

    /// A preset, its dialect, the strict core's code, reason and words, and what is answered.
    type Case = (
        &'static str,
        Dialect,
        TokenErrorCode,
        Option<Reason>,
        &'static str,
        (u16, serde_json::Value),
    );

    /// An RFC 6749 §5.2 body.
    fn said(error: &str, description: &str) -> serde_json::Value {
        json!({ "error": error, "error_description": description })
    }

    const DOORKEEPER_GRANT: &str = "The provided authorization grant is invalid, expired, \
        revoked, does not match the redirection URI used in the authorization request, or was \
        issued to another client.";
    const DOORKEEPER_CLIENT: &str = "Client authentication failed due to unknown client, no \
        client authentication included, or unsupported authentication method.";

    #[test]
    fn each_dialect_refuses_in_its_providers_words() {
        use Reason as R;
        use TokenErrorCode as C;
        let grant = |description: &str| said("invalid_grant", description);
        let client = |description: &str| said("invalid_client", description);
        let cases: &[Case] = &[
            (
                "keycloak",
                keycloak::error,
                C::InvalidGrant,
                Some(R::CodeReplayed),
                "x",
                (400, grant("Code not valid")),
            ),
            (
                "keycloak",
                keycloak::error,
                C::InvalidClient,
                Some(R::BadClientSecret),
                "x",
                (401, client("Invalid client or Invalid client credentials")),
            ),
            (
                "keycloak",
                keycloak::error,
                C::InvalidGrant,
                Some(R::RefreshTokenReused),
                "x",
                (400, grant("Maximum allowed refresh token reuse exceeded")),
            ),
            // Where the provider's words are not known, fauxauth's stand.
            (
                "keycloak",
                keycloak::error,
                C::InvalidGrant,
                Some(R::PkceFailed),
                "own words",
                (400, grant("own words")),
            ),
            (
                "okta",
                okta::error,
                C::InvalidClient,
                Some(R::UnknownClient),
                "x",
                (
                    401,
                    client(
                        "Client authentication failed. Either the client or the client \
                         credentials are invalid.",
                    ),
                ),
            ),
            (
                "okta",
                okta::error,
                C::InvalidGrant,
                Some(R::CodeReplayed),
                "x",
                (
                    400,
                    grant("The authorization code is invalid or has expired."),
                ),
            ),
            (
                "okta",
                okta::error,
                C::InvalidRequest,
                None,
                okta::MULTIPLE_CREDENTIALS,
                (401, said("invalid_request", okta::MULTIPLE_CREDENTIALS)),
            ),
            (
                "auth0",
                auth0::error,
                C::InvalidClient,
                Some(R::BadClientSecret),
                "x",
                (401, said("access_denied", "Unauthorized")),
            ),
            (
                "auth0",
                auth0::error,
                C::InvalidGrant,
                Some(R::CodeReplayed),
                "x",
                (400, grant("Invalid authorization code")),
            ),
            (
                "auth0",
                auth0::error,
                C::InvalidGrant,
                Some(R::BadRefreshToken),
                "x",
                (400, grant("Unknown or invalid refresh token.")),
            ),
            // Doorkeeper: one sentence for every grant refused.
            (
                "gitlab",
                gitlab::error,
                C::InvalidGrant,
                Some(R::CodeReplayed),
                "x",
                (400, grant(DOORKEEPER_GRANT)),
            ),
            (
                "gitlab",
                gitlab::error,
                C::InvalidGrant,
                Some(R::RedirectUriMismatch),
                "x",
                (400, grant(DOORKEEPER_GRANT)),
            ),
            (
                "gitlab",
                gitlab::error,
                C::InvalidGrant,
                Some(R::BadRefreshToken),
                "x",
                (400, grant(DOORKEEPER_GRANT)),
            ),
            (
                "gitlab",
                gitlab::error,
                C::InvalidClient,
                Some(R::UnknownClient),
                "x",
                (401, client(DOORKEEPER_CLIENT)),
            ),
            (
                "gitlab",
                gitlab::error,
                C::SlowDown,
                None,
                "own words",
                (400, said("slow_down", "own words")),
            ),
            (
                "discord",
                discord::error,
                C::InvalidGrant,
                Some(R::BadCode),
                "x",
                (400, grant(r#"Invalid "code" in request."#)),
            ),
            (
                "discord",
                discord::error,
                C::InvalidGrant,
                Some(R::CodeReplayed),
                "x",
                (400, grant(r#"Invalid "code" in request."#)),
            ),
            (
                "discord",
                discord::error,
                C::InvalidGrant,
                Some(R::RedirectUriMismatch),
                "x",
                (400, grant(r#"Invalid "code" in request."#)),
            ),
            // A refused refresh is a bare code.
            (
                "discord",
                discord::error,
                C::InvalidGrant,
                Some(R::RefreshTokenReused),
                "x",
                (400, json!({ "error": "invalid_grant" })),
            ),
            (
                "discord",
                discord::error,
                C::InvalidClient,
                Some(R::BadClientSecret),
                "own words",
                (401, client("own words")),
            ),
            (
                "apple",
                apple::error,
                C::InvalidGrant,
                Some(R::CodeReplayed),
                "x",
                (400, grant("The code has already been used.")),
            ),
            (
                "apple",
                apple::error,
                C::InvalidGrant,
                Some(R::BadCode),
                "x",
                (400, grant("The code has expired or has been revoked.")),
            ),
            // A bad client secret: a bare code, and HTTP 400.
            (
                "apple",
                apple::error,
                C::InvalidClient,
                Some(R::BadClientSecret),
                "x",
                (400, json!({ "error": "invalid_client" })),
            ),
        ];
        for (preset, dialect, code, reason, words, answered) in cases {
            assert_eq!(
                &dialect(*code, *reason, words),
                answered,
                "{preset}: {code:?} {reason:?}"
            );
        }
    }
}
