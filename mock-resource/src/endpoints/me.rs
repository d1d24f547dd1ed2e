//! `/api/me`: the caller as the token describes them, and as the issuer's UserInfo endpoint does.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use crate::config::Mode;
use crate::token::AccessToken;
use crate::{ResourceState, paths};

pub fn router() -> Router<ResourceState> {
    // POST too, so a token can be sent in a form body (RFC 6750 §2.2 forbids it with GET).
    Router::new().route(paths::ME, get(me).post(me))
}

async fn me(State(state): State<ResourceState>, token: AccessToken) -> Json<Value> {
    let mut body = json!({
        "sub": token.sub,
        "client_id": token.client_id,
        "scope": token.scope.join(" "),
        "mode": token.mode.as_str(),
    });
    let described = match token.mode {
        Mode::Jwt => "claims",
        Mode::Introspection => "introspection",
    };
    body[described] = Value::Object(token.claims.clone());
    body["userinfo"] = userinfo(&state, &token).await.unwrap_or(Value::Null);
    Json(body)
}

/// The issuer's user data, asked with the caller's own token when it may see it (`openid`).
/// OIDC Core §5.3.2: an answer about another subject is discarded.
async fn userinfo(state: &ResourceState, token: &AccessToken) -> Option<Value> {
    if !token.has_scope("openid") {
        return None;
    }
    let answer = state.issuer().userinfo(token.as_str()).await?;
    let same_subject = answer.get("sub").and_then(Value::as_str) == token.sub.as_deref();
    if !same_subject {
        tracing::warn!("userinfo answered for another subject; discarded");
        return None;
    }
    Some(Value::Object(answer))
}
