//! `/me`: the resource's `/api/me` (or the preset's user API: GitHub's `/user`, Google's
//! userinfo, Graph's `/me`), called with the login's access token. When the token has expired
//! (by `expires_in`, on the client's clock) or the resource answers 401, the client refreshes
//! once and tries again once.

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum_extra::extract::cookie::CookieJar;
use fauxauth_core::preset::Preset;
use openidconnect::AccessToken;
use serde_json::Value;

use crate::config::{Weakness, resource_path};
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
    let preset = state.preset();

    let mut tokens = login.tokens();
    let mut refreshed = false;
    if tokens.expired(state.clock().now()) {
        tokens = refresh::refresh(&state, &id, &login, tokens.generation).await?;
        refreshed = true;
    }
    let call = async |access_token: &AccessToken| {
        resource::me(state.http(), preset, &resource, access_token, in_url).await
    };
    let mut answer = call(&tokens.access_token).await?;
    if let Answer::Unauthorized(_) = &answer
        && !refreshed
    {
        tokens = refresh::refresh(&state, &id, &login, tokens.generation).await?;
        answer = call(&tokens.access_token).await?;
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
    // fauxauth's `/api/me` puts UserInfo under `userinfo`; the providers' own user APIs say
    // `name` (GitHub, Google) or `displayName` (Graph).
    let name = ["/userinfo/name", "/name", "/displayName"]
        .iter()
        .find_map(|at| caller.pointer(at).and_then(Value::as_str))
        .map(str::to_owned)
        .unwrap_or_else(|| login.person.name.clone());
    let raw = serde_json::to_string_pretty(&caller).unwrap_or_default();
    Ok(html::me(
        &resource,
        resource_path(preset),
        &name,
        rows(preset, &caller),
        &raw,
    ))
}

/// What the profile table shows: who the token is for, and what UserInfo says about them
/// (fauxauth's `/api/me`); or, from a provider's own user API, what it says at its top level.
fn rows(preset: Preset, caller: &Value) -> Vec<(String, String)> {
    let text = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    if preset != Preset::Generic {
        // A provider's own API: its scalar members, less the URLs GitHub lists by the dozen.
        let Some(members) = caller.as_object() else {
            return Vec::new();
        };
        return members
            .iter()
            .filter(|(key, value)| {
                !value.is_null() && !value.is_object() && !value.is_array() && !key.ends_with("url")
            })
            .map(|(key, value)| (key.clone(), text(value)))
            .collect();
    }
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
        let rows = rows(
            Preset::Generic,
            &json!({
            "sub": "alice", "client_id": "web", "scope": "openid profile", "mode": "jwt",
            "claims": {"iss": "x"},
            "userinfo": {"sub": "alice", "name": "Alice", "email_verified": true, "address": null},
            }),
        );
        let keys: Vec<_> = rows.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            ["sub", "client_id", "scope", "email_verified", "name"]
        );
        assert_eq!(rows[3].1, "true");
    }

    #[test]
    fn a_providers_own_user_api_shows_its_scalar_members() {
        let rows = rows(
            Preset::Github,
            &json!({
            "login": "octocat", "id": 583231, "name": "The Octocat", "email": null,
            "avatar_url": "https://x", "html_url": "https://y", "plan": {"name": "free"},
            "site_admin": false,
            }),
        );
        let keys: Vec<_> = rows.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["id", "login", "name", "site_admin"]);
        assert_eq!(rows[0].1, "583231");
    }
}
