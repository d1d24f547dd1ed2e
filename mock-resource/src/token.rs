//! [`AccessToken`]: what a handler knows about the caller once the bearer check passed.

use std::fmt;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde_json::{Map, Value};

use crate::config::Mode;
use crate::error::Error;
use crate::protocol::claims::Checked;

/// A validated access token. Handlers behind [`router_with`](crate::router_with) take it as an
/// extractor; the bearer check has already answered every request that has none.
#[derive(Clone)]
pub struct AccessToken {
    /// The subject: the user, or the client itself for `client_credentials`.
    pub sub: Option<String>,
    /// The client the token was issued to (RFC 9068 §2.2, RFC 7662 §2.2).
    pub client_id: Option<String>,
    /// The granted scopes (RFC 6749 §3.3).
    pub scope: Vec<String>,
    /// JWT mode: the token's claims. Introspection mode: the introspection answer.
    pub claims: Map<String, Value>,
    /// How the token was validated.
    pub mode: Mode,
    raw: Arc<str>,
    realm: Arc<str>,
}

impl AccessToken {
    pub(crate) fn new(
        checked: Checked,
        claims: Map<String, Value>,
        mode: Mode,
        raw: Arc<str>,
        realm: Arc<str>,
    ) -> Self {
        Self {
            sub: checked.sub,
            client_id: checked.client_id,
            scope: checked.scope,
            claims,
            mode,
            raw,
            realm,
        }
    }

    pub fn has_scope(&self, scope: &str) -> bool {
        self.scope.iter().any(|s| s == scope)
    }

    /// `Ok` when the token carries `scope`; otherwise the 403 `insufficient_scope` answer naming
    /// it (RFC 6750 §3.1).
    pub fn require_scope(&self, scope: &str) -> Result<(), Error> {
        if self.has_scope(scope) {
            Ok(())
        } else {
            Err(Error::insufficient_scope(&self.realm, scope))
        }
    }

    /// The token as presented, to call the issuer on the caller's behalf (UserInfo). Never log it.
    pub fn as_str(&self) -> &str {
        &self.raw
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("sub", &self.sub)
            .field("client_id", &self.client_id)
            .field("scope", &self.scope)
            .field("mode", &self.mode)
            .finish_non_exhaustive()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for AccessToken {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<AccessToken>()
            .cloned()
            .ok_or_else(|| {
                tracing::error!(
                    path = parts.uri.path(),
                    "a handler asked for the access token of a route outside the bearer check"
                );
                Error::Internal
            })
    }
}
