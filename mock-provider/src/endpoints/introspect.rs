//! Token introspection (RFC 7662).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::client_auth::authenticate;
use crate::error::{Error, TokenErrorCode, json_no_store};
use crate::issuer::Issuer;
use crate::tokens::verify_access_token;
use fauxauth_core::unix;

pub(super) async fn introspect(
    State(issuer): State<Arc<Issuer>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match handle(&issuer, &headers, &body).await {
        Ok(answer) => json_no_store(StatusCode::OK, &answer),
        Err(e) => e.into_response(),
    }
}

async fn handle(issuer: &Issuer, headers: &HeaderMap, body: &[u8]) -> Result<Value, Error> {
    let params = super::form_body(headers, body)?;
    // RFC 7662 §2.1: the endpoint MUST require authorization; a public client proves nothing.
    let auth = authenticate(
        issuer,
        headers,
        &params,
        crate::preset::Endpoint::Introspect,
    )
    .await?;
    if !auth.proven {
        return Err(Error::Token {
            code: TokenErrorCode::InvalidClient,
            description: "introspection requires an authenticated (confidential) client".into(),
            basic_realm: Some(issuer.url.clone()),
            reason: None,
        });
    }
    let token = params
        .get("token")
        .map_err(|e| Error::invalid_request(e.to_string()))?
        .ok_or_else(|| Error::invalid_request("token is required"))?;
    Ok(describe(issuer, token))
}

/// RFC 7662 §2.2: an active token's metadata; for anything else exactly `{"active": false}`.
fn describe(issuer: &Issuer, token: &str) -> Value {
    if let Ok(claims) = verify_access_token(issuer, token) {
        let mut answer = json!({
            "active": true,
            "token_type": "Bearer",
            "scope": claims.scope,
            "client_id": claims.client_id,
            "sub": claims.sub,
            "aud": claims.aud,
            "iss": claims.iss,
            "exp": claims.exp,
            "iat": claims.iat,
            "jti": claims.jti,
        });
        // RFC 9449 §6.2: a DPoP-bound token says so, and which key it is bound to.
        if let Some(cnf) = &claims.cnf {
            answer["token_type"] = "DPoP".into();
            answer["cnf"] = cnf.clone();
        }
        // A token issued to a person (it has an authentication time; a client's own token has
        // none) names them: `username` (RFC 7662 §2.2), and, as an extension member (§2.2 allows
        // them), `user`: every claim the user has, whatever the scope. The resource builds the
        // presets' user APIs (GitHub `/user`, Graph `/me`) from it, as the real APIs answer
        // from the account and not from the token's claims.
        if claims.auth_time.is_some()
            && let Some(user) = issuer.user_by_sub(claims.user_sub())
        {
            let mut profile = user.claims.clone();
            profile.insert("sub".into(), user.sub().into());
            profile.insert("username".into(), user.username.clone().into());
            answer["username"] = user.username.clone().into();
            answer["user"] = Value::Object(profile);
        }
        return answer;
    }
    let now = issuer.now();
    let store = issuer.store();
    if let Some((refresh, grant)) = store.active_refresh_token(token, now) {
        let sub = grant
            .username
            .as_deref()
            .and_then(|name| issuer.user(name))
            .map_or_else(|| refresh.client_id.clone(), |u| u.sub().to_owned());
        return json!({
            "active": true,
            "scope": grant.scope.to_string(),
            "client_id": refresh.client_id,
            "sub": sub,
            "iss": issuer.url,
            "exp": unix(refresh.expires_at),
            "iat": unix(refresh.issued_at),
        });
    }
    json!({ "active": false })
}
