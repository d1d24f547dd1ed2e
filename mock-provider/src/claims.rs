//! The claims of the tokens the provider mints, as data: what the store keeps of an opaque
//! access token and what verification reads back. A leaf: it knows no issuer, store or endpoint.

use serde::{Deserialize, Serialize};

/// The JOSE `typ` of access tokens (RFC 9068 §2.1).
pub const ACCESS_TOKEN_TYP: &str = "at+jwt";

/// RFC 9068 §2.2 claims of an access token.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct AccessTokenClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub exp: u64,
    pub iat: u64,
    pub jti: String,
    pub client_id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub scope: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<u64>,
    /// Never minted; read so that a token made with one (by a rule) is judged by it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<u64>,
    /// Who acts for the subject (RFC 8693 §4.1): set on a token exchanged with an actor token,
    /// nested when the actor itself was acting for someone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub act: Option<serde_json::Value>,
    /// The key the token is bound to (RFC 9449 §6.1: `{"jkt": thumbprint}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cnf: Option<serde_json::Value>,
    /// What a preset's access tokens carry besides (Keycloak's `typ`, `azp` and roles; Okta's
    /// `ver`, `cid`, `uid`, `scp`).
    #[serde(flatten, default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub preset: serde_json::Map<String, serde_json::Value>,
}

impl AccessTokenClaims {
    /// The `sub` of the user the token is for: `sub`, but Okta's `uid` where its `sub` is the
    /// user's login.
    pub fn user_sub(&self) -> &str {
        self.preset
            .get("uid")
            .and_then(serde_json::Value::as_str)
            .unwrap_or(&self.sub)
    }
}
