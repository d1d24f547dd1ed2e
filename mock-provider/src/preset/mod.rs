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
