//! Slack's Web API, `GET /api/users.identity`: who a user token is for.
//!
//! # Sources
//! Slack's API documentation for `users.identity`: with `identity.basic`, `{"ok": true, "user":
//! {"name", "id"}, "team": {"id"}}`; `identity.email` adds the user's `email`,
//! `identity.avatar` its `image_24` to `image_192` (and `image_512` in @slack/web-api's
//! response type), `identity.team` the team's `name`. Every failure is HTTP 200 with `ok: false`
//! (see [`crate::error::ApiError::Slack`]).
//!
//! # fauxauth's choices
//! - The members are made from the user's claims: `id` the `sub` (Slack's user id), `name` the
//!   `name`, the team from the `https://slack.com/team_id` and `team_name` claims, the images
//!   from `picture` (one picture at every size).
//! - A token may be presented in the `Authorization` header only (the `token` form field Slack
//!   also takes is not read).

use axum::Json;
use axum::Router;
use axum::routing::get;
use fauxauth_core::preset::slack;
use serde_json::{Map, Value, json};

use super::person::Person;
use crate::ResourceState;
use crate::error::{ApiError, Error};
use crate::token::AccessToken;

/// The scope `users.identity` needs, and those that add to its answer.
const BASIC: &str = "identity.basic";
const EMAIL: &str = "identity.email";
const AVATAR: &str = "identity.avatar";
const TEAM: &str = "identity.team";

/// The sizes of the avatar images answered.
const IMAGE_SIZES: [u16; 6] = [24, 32, 48, 72, 192, 512];

pub fn router() -> Router<ResourceState> {
    Router::new().route(slack::USERS_IDENTITY, get(identity))
}

async fn identity(token: AccessToken) -> Result<Json<Value>, Error> {
    if !token.scope.iter().any(|s| s == BASIC) {
        return Err(Error::Api(ApiError::Slack {
            error: "missing_scope",
            needed: Some(BASIC.to_owned()),
            provided: Some(token.scope.join(",")),
        }));
    }
    // A token for no user (an app's own) is not a user token.
    let person = Person::of(&token).ok_or(Error::Api(ApiError::Slack {
        error: "invalid_auth",
        needed: None,
        provided: None,
    }))?;
    Ok(Json(answer(&person, &token.scope)))
}

/// The answer for `person`, with what `scopes` add.
fn answer(person: &Person, scopes: &[String]) -> Value {
    let has = |scope: &str| scopes.iter().any(|s| s == scope);
    let mut user = Map::new();
    user.insert(
        "name".into(),
        json!(person.text("name").unwrap_or(person.username())),
    );
    user.insert("id".into(), json!(person.sub()));
    if has(EMAIL)
        && let Some(email) = person.text("email")
    {
        user.insert("email".into(), json!(email));
    }
    if has(AVATAR)
        && let Some(picture) = person.text("picture")
    {
        for size in IMAGE_SIZES {
            user.insert(format!("image_{size}"), json!(picture));
        }
    }
    let mut team = Map::new();
    if let Some(name) = person
        .text("https://slack.com/team_name")
        .filter(|_| has(TEAM))
    {
        team.insert("name".into(), json!(name));
    }
    team.insert(
        "id".into(),
        json!(person.text("https://slack.com/team_id").unwrap_or_default()),
    );
    json!({ "ok": true, "user": user, "team": team })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_identity_grows_with_the_identity_scopes() {
        let answer_of = json!({"user": {
            "sub": "U0G9QF9C6", "username": "sonny", "name": "Sonny Whether",
            "email": "bobby@example.com", "picture": "https://cdn.example.com/sonny.jpg",
            "https://slack.com/team_id": "T0G9PQBBK",
            "https://slack.com/team_name": "Captain Fabian's Naval Supply",
        }});
        let person = Person::from_answer(answer_of.as_object().unwrap()).unwrap();
        let basic = answer(&person, &["identity.basic".into()]);
        assert_eq!(
            basic,
            json!({"ok": true, "user": {"name": "Sonny Whether", "id": "U0G9QF9C6"},
                   "team": {"id": "T0G9PQBBK"}})
        );
        let all: Vec<String> = [BASIC, EMAIL, AVATAR, TEAM].map(str::to_owned).to_vec();
        let full = answer(&person, &all);
        assert_eq!(full["user"]["email"], "bobby@example.com");
        assert_eq!(
            full["user"]["image_192"],
            "https://cdn.example.com/sonny.jpg"
        );
        assert_eq!(full["team"]["name"], "Captain Fabian's Naval Supply");
    }
}
