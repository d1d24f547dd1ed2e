//! Every way a login or an API call can fail, and the one place that turns a failure into HTTP:
//! the status code, the error page, and its stable markers.
//!
//! Each failure names the check that caught it ([`Check`]): a stable machine-readable code
//! (`state_mismatch`), sent as the `X-Fauxauth-Client-Error` header and as the page's
//! `data-error` attribute, and a stable human phrase ("state mismatch") as the page's title.
//! Scenarios judge "the client refused" by the code; people read the phrase and the detail.

use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::html;

/// The response header naming the check that failed.
pub const ERROR_HEADER: HeaderName = HeaderName::from_static("x-fauxauth-client-error");

/// The check that refused, or the step that failed. Closed: scenarios rely on these codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Check {
    /// The provider's metadata (OIDC Discovery §4) or keys could not be had.
    Discovery,
    /// RFC 9126 §2: the PAR endpoint refused the pushed authorization request, failed, or the
    /// provider has none.
    PushFailed,
    /// A callback arrived, but this browser's session started no login (or it expired).
    NoPendingLogin,
    /// The callback's query is malformed (a parameter repeated, RFC 6749 §3.1).
    MalformedCallback,
    /// RFC 6749 §10.12: the callback's `state` is missing or not the one sent.
    StateMismatch,
    /// RFC 9207 §2.4: the callback's `iss` is missing (when advertised) or names another issuer.
    IssMismatch,
    /// RFC 6749 §4.1.2.1: the provider answered the authorization request with an error.
    AuthorizationError,
    /// RFC 6749 §4.1.2: the callback carries neither a code nor an error.
    MissingCode,
    /// RFC 6749 §5.2: the token endpoint answered an error (also a GitHub-style 200 carrying one).
    TokenError,
    /// The token endpoint could not be reached, timed out, or failed (5xx, an HTML page).
    TokenEndpointFailed,
    /// The token endpoint's answer is not a token response (RFC 6749 §5.1): a field missing,
    /// JSON not where JSON belongs.
    TokenResponseInvalid,
    /// OIDC Core §3.1.3.3: the token response carries no ID token.
    IdTokenMissing,
    /// The ID token is not a JWS this client can read.
    IdTokenMalformed,
    /// RFC 8725 §3.1: the ID token's `alg` is not on the allow-list (`none` included).
    IdTokenAlgNotAllowed,
    /// OIDC Core §3.1.3.7 step 6: no published key verifies the ID token's signature.
    IdTokenSignatureInvalid,
    /// OIDC Core §3.1.3.7 step 2: the ID token's `iss` is not the issuer.
    IdTokenIssMismatch,
    /// OIDC Core §3.1.3.7 step 3: the ID token's `aud` does not name this client, or names
    /// others it does not trust.
    IdTokenAudMismatch,
    /// OIDC Core §3.1.3.7 steps 4–5: `azp` names another client, or is missing beside several
    /// audiences.
    IdTokenAzpMismatch,
    /// OIDC Core §3.1.3.7 step 9: the ID token has expired.
    IdTokenExpired,
    /// OIDC Core §3.1.3.7 step 10: the ID token was issued in the future.
    IdTokenIssuedInFuture,
    /// OIDC Core §3.1.3.7 step 11: the ID token's `nonce` is missing or not the one sent.
    NonceMismatch,
    /// OIDC Core §3.1.3.8: the ID token's `at_hash` does not match the access token.
    AtHashMismatch,
    /// OIDC Core §12.2: a refreshed ID token names another subject, issuer or audience.
    IdTokenChanged,
    /// OIDC Core §5.3: the UserInfo request failed.
    UserinfoFailed,
    /// OIDC Core §5.3.2: UserInfo describes another subject than the ID token.
    UserinfoSubMismatch,
    /// `/me` and `/logout` need a login.
    NotLoggedIn,
    /// `/me` needs a resource, and none is configured.
    NoResource,
    /// The resource refused the access token (even after a refresh) or failed.
    ResourceFailed,
    /// RFC 6749 §6: the access token could not be refreshed.
    RefreshFailed,
    /// A bug; logged where it happened, never described.
    Internal,
}

impl Check {
    /// The stable machine-readable code.
    pub fn code(self) -> &'static str {
        match self {
            Self::Discovery => "discovery_failed",
            Self::PushFailed => "pushed_request_failed",
            Self::NoPendingLogin => "no_pending_login",
            Self::MalformedCallback => "malformed_callback",
            Self::StateMismatch => "state_mismatch",
            Self::IssMismatch => "iss_mismatch",
            Self::AuthorizationError => "authorization_error",
            Self::MissingCode => "missing_code",
            Self::TokenError => "token_error",
            Self::TokenEndpointFailed => "token_endpoint_failed",
            Self::TokenResponseInvalid => "token_response_invalid",
            Self::IdTokenMissing => "id_token_missing",
            Self::IdTokenMalformed => "id_token_malformed",
            Self::IdTokenAlgNotAllowed => "id_token_alg_not_allowed",
            Self::IdTokenSignatureInvalid => "id_token_signature_invalid",
            Self::IdTokenIssMismatch => "id_token_iss_mismatch",
            Self::IdTokenAudMismatch => "id_token_aud_mismatch",
            Self::IdTokenAzpMismatch => "id_token_azp_mismatch",
            Self::IdTokenExpired => "id_token_expired",
            Self::IdTokenIssuedInFuture => "id_token_iat_invalid",
            Self::NonceMismatch => "nonce_mismatch",
            Self::AtHashMismatch => "at_hash_mismatch",
            Self::IdTokenChanged => "id_token_changed",
            Self::UserinfoFailed => "userinfo_failed",
            Self::UserinfoSubMismatch => "userinfo_sub_mismatch",
            Self::NotLoggedIn => "not_logged_in",
            Self::NoResource => "no_resource",
            Self::ResourceFailed => "resource_failed",
            Self::RefreshFailed => "refresh_failed",
            Self::Internal => "internal",
        }
    }

    /// The stable human phrase, the error page's title.
    pub fn phrase(self) -> &'static str {
        match self {
            Self::Discovery => "provider discovery failed",
            Self::PushFailed => "the pushed authorization request failed",
            Self::NoPendingLogin => "no login in progress",
            Self::MalformedCallback => "malformed callback",
            Self::StateMismatch => "state mismatch",
            Self::IssMismatch => "iss mismatch",
            Self::AuthorizationError => "the provider refused the login",
            Self::MissingCode => "the callback carries no code",
            Self::TokenError => "the token endpoint refused",
            Self::TokenEndpointFailed => "the token endpoint failed",
            Self::TokenResponseInvalid => "invalid token response",
            Self::IdTokenMissing => "no ID token",
            Self::IdTokenMalformed => "ID token malformed",
            Self::IdTokenAlgNotAllowed => "ID token algorithm not allowed",
            Self::IdTokenSignatureInvalid => "ID token signature invalid",
            Self::IdTokenIssMismatch => "ID token issuer mismatch",
            Self::IdTokenAudMismatch => "ID token audience mismatch",
            Self::IdTokenAzpMismatch => "ID token azp mismatch",
            Self::IdTokenExpired => "ID token expired",
            Self::IdTokenIssuedInFuture => "ID token issued in the future",
            Self::NonceMismatch => "nonce mismatch",
            Self::AtHashMismatch => "at_hash mismatch",
            Self::IdTokenChanged => "refreshed ID token changed",
            Self::UserinfoFailed => "userinfo request failed",
            Self::UserinfoSubMismatch => "userinfo sub mismatch",
            Self::NotLoggedIn => "not logged in",
            Self::NoResource => "no resource configured",
            Self::ResourceFailed => "the resource request failed",
            Self::RefreshFailed => "refresh failed",
            Self::Internal => "internal error",
        }
    }

    /// Whether the provider failed or refused (rather than the client refusing what it sent):
    /// what a client with `crash-on-provider-error` turns into a server error.
    pub fn is_provider_failure(self) -> bool {
        matches!(
            self,
            Self::AuthorizationError
                | Self::TokenError
                | Self::TokenEndpointFailed
                | Self::TokenResponseInvalid
                | Self::Discovery
                | Self::PushFailed
                | Self::UserinfoFailed
        )
    }

    /// What the browser is told. A login that did not happen is a page saying so, never a
    /// server error: 400 for a callback that is malformed or carries an error, 403 for one the
    /// client refused (what the provider sent failed a check, or the provider failed). 502 only
    /// for a page of the logged-in person's that the resource could not serve.
    pub fn status(self) -> StatusCode {
        match self {
            Self::NoPendingLogin
            | Self::MalformedCallback
            | Self::StateMismatch
            | Self::IssMismatch
            | Self::AuthorizationError
            | Self::MissingCode => StatusCode::BAD_REQUEST,
            Self::NotLoggedIn => StatusCode::UNAUTHORIZED,
            Self::NoResource => StatusCode::NOT_FOUND,
            Self::ResourceFailed | Self::RefreshFailed => StatusCode::BAD_GATEWAY,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::FORBIDDEN,
        }
    }
}

/// A failure: the check that refused and what it saw. The detail may quote the provider (an
/// `error_description`) and is escaped on the page; it never holds a token or a secret.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}{}{}", check.phrase(), if detail.is_empty() { "" } else { ": " }, detail)]
pub struct Error {
    pub check: Check,
    pub detail: String,
}

impl Error {
    pub fn new(check: Check, detail: impl Into<String>) -> Self {
        Self {
            check,
            detail: cut(detail.into()),
        }
    }

    /// A failure with nothing more to say than its phrase.
    pub fn bare(check: Check) -> Self {
        Self::new(check, "")
    }

    /// A bug: logged here, once, and described to no one.
    pub fn internal(what: impl std::fmt::Display) -> Self {
        tracing::error!(error = %what, "internal error");
        Self::bare(Check::Internal)
    }
}

/// Descriptions may echo what a provider said; long ones are cut.
fn cut(mut text: String) -> String {
    const MAX: usize = 400;
    if text.len() > MAX {
        let mut end = MAX;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push_str("...");
    }
    text
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        tracing::info!(check = self.check.code(), detail = %self.detail, "refused");
        let mut response = html::error_page(
            self.check.status(),
            self.check.code(),
            self.check.phrase(),
            &self.detail,
        );
        response
            .headers_mut()
            .insert(ERROR_HEADER, HeaderValue::from_static(self.check.code()));
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_reads_as_its_phrase_then_its_detail() {
        let error = Error::new(
            Check::StateMismatch,
            "the callback's state is not the one sent",
        );
        assert_eq!(
            error.to_string(),
            "state mismatch: the callback's state is not the one sent"
        );
        assert_eq!(Error::bare(Check::NotLoggedIn).to_string(), "not logged in");
    }

    #[test]
    fn the_page_carries_the_code_in_a_header_and_an_attribute() {
        let response = Error::new(Check::NonceMismatch, "<b>x</b>").into_response();
        // A refused login is a page, not a server error.
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
        assert_eq!(response.headers()[ERROR_HEADER], "nonce_mismatch");
        let body = html::tests::body(response);
        assert!(body.contains(r#"data-error="nonce_mismatch""#), "{body}");
        assert!(body.contains("nonce mismatch"), "{body}");
        assert!(!body.contains("<b>x</b>"), "the detail is escaped: {body}");
    }

    #[test]
    fn codes_are_distinct() {
        let all = [
            Check::Discovery,
            Check::NoPendingLogin,
            Check::MalformedCallback,
            Check::StateMismatch,
            Check::IssMismatch,
            Check::AuthorizationError,
            Check::MissingCode,
            Check::TokenError,
            Check::TokenEndpointFailed,
            Check::TokenResponseInvalid,
            Check::IdTokenMissing,
            Check::IdTokenMalformed,
            Check::IdTokenAlgNotAllowed,
            Check::IdTokenSignatureInvalid,
            Check::IdTokenIssMismatch,
            Check::IdTokenAudMismatch,
            Check::IdTokenAzpMismatch,
            Check::IdTokenExpired,
            Check::IdTokenIssuedInFuture,
            Check::NonceMismatch,
            Check::AtHashMismatch,
            Check::IdTokenChanged,
            Check::UserinfoFailed,
            Check::UserinfoSubMismatch,
            Check::NotLoggedIn,
            Check::NoResource,
            Check::ResourceFailed,
            Check::RefreshFailed,
            Check::Internal,
        ];
        let codes: std::collections::HashSet<_> = all.iter().map(|c| c.code()).collect();
        let phrases: std::collections::HashSet<_> = all.iter().map(|c| c.phrase()).collect();
        assert_eq!(codes.len(), all.len());
        assert_eq!(phrases.len(), all.len());
    }

    #[test]
    fn long_details_are_cut_on_a_character_boundary() {
        let error = Error::new(Check::TokenError, "é".repeat(500));
        assert!(error.detail.len() <= 403);
        assert!(error.detail.ends_with("..."));
    }
}
