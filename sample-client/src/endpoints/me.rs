//! `/me`: the resource's `/api/me`, called with the login's access token. When the token has
//! expired (by `expires_in`, on the client's clock) or the resource answers 401, the client
//! refreshes once and tries again once.

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum_extra::extract::cookie::CookieJar;
use serde_json::Value;

use crate::config::Weakness;
use crate::error::{Check, Error};
use crate::resource::{self, Answer};
use crate::{ClientState, html, paths, refresh};

pub fn router() -> Router<ClientState> {
    Router::new().route(paths::ME, get(me))
}

async fn me(State(state): State<ClientState>, jar: CookieJar) -> Result<Response, Error> {
    let id = super::session_id(&state, &jar).ok_or_else(|| Error::bare(Check::NotLoggedIn))?;
    let login = state
        .sessions()
        .login(&id)
        .ok_or_else(|| Error::bare(Check::NotLoggedIn))?;
    let Some(resource) = state.config().resource.clone() else {
        return Err(Error::new(
            Check::NoResource,
            "start the client with a resource URL to call an API",
        ));
    };
    let in_url = state.has(Weakness::TokenInUrl);

    let mut tokens = login.tokens();
    let mut refreshed = false;
    if tokens.expired(state.clock().now()) {
        tokens = refresh::refresh(&state, &id, &login, tokens.generation).await?;
        refreshed = true;
    }
    let mut answer = resource::me(state.http(), &resource, &tokens.access_token, in_url).await?;
    if let Answer::Unauthorized(_) = &answer
        && !refreshed
    {
        tokens = refresh::refresh(&state, &id, &login, tokens.generation).await?;
        answer = resource::me(state.http(), &resource, &tokens.access_token, in_url).await?;
    }
    let caller = match answer {
        Answer::Caller(caller) => caller,
        Answer::Unauthorized(challenge) => {
            return Err(Error::new(
                Check::ResourceFailed,
                format!("the resource refused the access token even after a refresh ({challenge})"),
            ));
        }
    };
    let name = caller
        .pointer("/userinfo/name")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .unwrap_or_else(|| login.display_name());
    let raw = serde_json::to_string_pretty(&caller).unwrap_or_default();
    Ok(html::me(&resource, &name, rows(&caller), &raw))
}

/// What the profile table shows: who the token is for, and what UserInfo says about them.
fn rows(caller: &Value) -> Vec<(String, String)> {
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut rows = Vec::new();
    for key in ["sub", "client_id", "scope"] {
        if let Some(value) = caller.get(key).filter(|v| !v.is_null()) {
            rows.push((key.to_owned(), text(value)));
        }
    }
    if let Some(Value::Object(userinfo)) = caller.get("userinfo") {
        for (key, value) in userinfo {
            if key != "sub" && !value.is_null() {
                rows.push((key.clone(), text(value)));
            }
        }
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_profile_shows_the_caller_then_userinfo() {
        let rows = rows(&json!({
            "sub": "alice", "client_id": "web", "scope": "openid profile", "mode": "jwt",
            "claims": {"iss": "x"},
            "userinfo": {"sub": "alice", "name": "Alice", "email_verified": true, "address": null},
        }));
        let keys: Vec<_> = rows.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            ["sub", "client_id", "scope", "email_verified", "name"]
        );
        assert_eq!(rows[3].1, "true");
    }
}
