//! GitLab's REST API, `GET /api/v4/user`: the user the token was issued to.
//!
//! # Sources
//! Fauxauth's provider reference §4.6 (GitLab's Users API): the members `id, username, name,
//! state, locked, avatar_url, web_url, created_at, bio, location, public_email, email, ...`;
//! GitLab's scopes documentation: `read_user` (or `api`, `read_api`) reaches `/user`.
//!
//! # fauxauth's choices
//! - The members are made from the user's claims: `id` the numeric `sub`, `username` the
//!   `nickname` (else the username), `avatar_url` the `picture`, `web_url` the `profile`,
//!   `public_email` empty as GitLab's default, `state` `active`, `locked` false. Members the
//!   reference lists but a claim cannot say (`created_at`, `bio`, `location`) are `null` or
//!   empty.
//! - A token without one of those scopes is refused as RFC 6750 says (403
//!   `insufficient_scope`): GitLab's own body for it is not in the sources. Refusals of a bad
//!   or missing token are the demo API's, for the same reason.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use fauxauth_core::preset::gitlab;
use serde_json::{Map, Value, json};

use super::person::{Fallback, Field, Person, fill};
use crate::ResourceState;
use crate::error::Error;
use crate::token::AccessToken;

/// The scopes that reach `/user`.
const USER_SCOPES: [&str; 3] = ["read_user", "read_api", "api"];

const FIELDS: &[Field] = &[
    Field::new("username", &["nickname", "username"], Fallback::Null),
    Field::new("name", &["name"], Fallback::Text("")),
    Field::new("avatar_url", &["picture"], Fallback::Null),
    Field::new("web_url", &["profile"], Fallback::Null),
    Field::new("bio", &["bio"], Fallback::Text("")),
    Field::new("location", &["location"], Fallback::Text("")),
    Field::new("public_email", &["public_email"], Fallback::Text("")),
    Field::new("email", &["email"], Fallback::Null),
    Field::new("created_at", &["created_at"], Fallback::Null),
];

pub fn router() -> Router<ResourceState> {
    Router::new().route(gitlab::USER, get(user))
}

async fn user(
    State(state): State<ResourceState>,
    token: AccessToken,
) -> Result<Json<Value>, Error> {
    if !token
        .scope
        .iter()
        .any(|s| USER_SCOPES.contains(&s.as_str()))
    {
        return Err(Error::insufficient_scope(state.realm(), "read_user"));
    }
    let person = Person::of(&token)
        .ok_or_else(|| Error::invalid_token(state.realm(), "the token was issued to no user"))?;
    Ok(Json(Value::Object(profile(&person))))
}

/// `/user` for `person`.
fn profile(person: &Person) -> Map<String, Value> {
    let mut out = Map::new();
    // GitLab's ids are numbers; a `sub` that is not one stays a string.
    let id = person
        .sub()
        .parse::<u64>()
        .map_or_else(|_| json!(person.sub()), |n| json!(n));
    out.insert("id".into(), id);
    fill(person, FIELDS, &mut out);
    if out["username"].is_null() {
        out.insert("username".into(), json!(person.username()));
    }
    out.insert("state".into(), json!("active"));
    out.insert("locked".into(), json!(false));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_profile_is_made_from_the_users_claims() {
        let answer: Map<String, Value> = json!({"user": {
            "sub": "4810375", "username": "alice", "nickname": "alice", "name": "Alice Example",
            "email": "alice@example.com", "picture": "https://gitlab.com/a.png",
            "profile": "https://gitlab.com/alice",
        }})
        .as_object()
        .unwrap()
        .clone();
        let person = Person::from_answer(&answer).unwrap();
        let user = profile(&person);
        assert_eq!(user["id"], 4_810_375);
        assert_eq!(user["username"], "alice");
        assert_eq!(user["web_url"], "https://gitlab.com/alice");
        assert_eq!(user["avatar_url"], "https://gitlab.com/a.png");
        assert_eq!(user["public_email"], "");
        assert_eq!(user["state"], "active");
        assert_eq!(user["locked"], false);
    }
}
