//! Discord's API, `GET /api/v10/users/@me` (the user the token was issued to) and
//! `GET /api/v10/oauth2/@me` (the authorization behind the token).
//!
//! # Sources
//! Discord's developer documentation: "User" (the user object: `id` a snowflake string,
//! `username`, `discriminator` `"0"` for migrated users, `global_name`, `avatar`, `locale`,
//! `mfa_enabled`, `flags`, `premium_type`, `public_flags`; `verified` and `email` with the `email`
//! scope only) and "OAuth2" (`identify` reaches `/users/@me` without `email`; the current
//! authorization is `{application, scopes, expires, user}`, `user` with `identify` only).
//!
//! # fauxauth's choices
//! - The members are made from the user's claims: `global_name` the `name`, `verified` the
//!   `email_verified`; members Discord has but a claim cannot say (`banner`, `accent_color`) are
//!   `null`.
//! - The authorization's `application` is the client as fauxauth knows it: its id.
//! - A token without `identify` is refused as RFC 6750 says (403 `insufficient_scope`), and a
//!   bad or missing token too: Discord's own bodies for those are not in the sources.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use fauxauth_core::preset::discord;
use serde_json::{Map, Value, json};

use super::person::{Fallback, Field, Person, fill};
use crate::ResourceState;
use crate::error::Error;
use crate::token::AccessToken;

/// The scope that reaches the user, and the one that adds their address.
const IDENTIFY: &str = "identify";
const EMAIL: &str = "email";

const FIELDS: &[Field] = &[
    Field::new("discriminator", &["discriminator"], Fallback::Text("0")),
    Field::new("global_name", &["global_name", "name"], Fallback::Null),
    Field::new("avatar", &["avatar"], Fallback::Null),
    Field::new("bot", &["bot"], Fallback::Bool(false)),
    Field::new("mfa_enabled", &["mfa_enabled"], Fallback::Bool(false)),
    Field::new("banner", &["banner"], Fallback::Null),
    Field::new("accent_color", &["accent_color"], Fallback::Null),
    Field::new("locale", &["locale"], Fallback::Text("en-US")),
    Field::new("flags", &["flags"], Fallback::Number(0)),
    Field::new("premium_type", &["premium_type"], Fallback::Number(0)),
    Field::new("public_flags", &["public_flags"], Fallback::Number(0)),
];

/// With the `email` scope.
const EMAIL_FIELDS: &[Field] = &[
    Field::new("verified", &["email_verified"], Fallback::Bool(false)),
    Field::new("email", &["email"], Fallback::Null),
];

pub fn router() -> Router<ResourceState> {
    Router::new()
        .route(discord::USER, get(user))
        .route(discord::AUTHORIZATION, get(authorization))
}

async fn user(
    State(state): State<ResourceState>,
    token: AccessToken,
) -> Result<Json<Value>, Error> {
    if !token.scope.iter().any(|s| s == IDENTIFY) {
        return Err(Error::insufficient_scope(state.realm(), IDENTIFY));
    }
    let person = Person::of(&token)
        .ok_or_else(|| Error::invalid_token(state.realm(), "the token was issued to no user"))?;
    Ok(Json(Value::Object(profile(&person, &token.scope))))
}

async fn authorization(token: AccessToken) -> Json<Value> {
    let mut out = Map::new();
    out.insert(
        "application".into(),
        json!({ "id": token.client_id.as_deref().unwrap_or_default() }),
    );
    out.insert("scopes".into(), json!(token.scope));
    let expires = token.claims.get("exp").and_then(Value::as_u64).map(|exp| {
        let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(exp);
        humantime::format_rfc3339_seconds(at).to_string()
    });
    out.insert("expires".into(), json!(expires));
    if token.scope.iter().any(|s| s == IDENTIFY)
        && let Some(person) = Person::of(&token)
    {
        out.insert("user".into(), Value::Object(profile(&person, &[])));
    }
    Json(Value::Object(out))
}

/// The user object for `person`, with the address when `scopes` hold `email`.
fn profile(person: &Person, scopes: &[String]) -> Map<String, Value> {
    let mut out = Map::new();
    out.insert("id".into(), json!(person.sub()));
    out.insert("username".into(), json!(person.username()));
    fill(person, FIELDS, &mut out);
    if scopes.iter().any(|s| s == EMAIL) {
        fill(person, EMAIL_FIELDS, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer() -> Map<String, Value> {
        json!({"user": {
            "sub": "80351110224678912", "username": "nelly", "name": "Nelly Example",
            "email": "nelly@example.com", "email_verified": true,
            "avatar": "8342729096ea3675442027381ff50dfe", "discriminator": "0",
        }})
        .as_object()
        .unwrap()
        .clone()
    }

    #[test]
    fn the_user_is_made_from_the_claims_and_the_address_needs_the_email_scope() {
        let answer = answer();
        let person = Person::from_answer(&answer).unwrap();
        let user = profile(&person, &["identify".into()]);
        assert_eq!(user["id"], "80351110224678912");
        assert_eq!(user["username"], "nelly");
        assert_eq!(user["global_name"], "Nelly Example");
        assert_eq!(user["discriminator"], "0");
        assert_eq!(user["avatar"], "8342729096ea3675442027381ff50dfe");
        assert!(!user.contains_key("email") && !user.contains_key("verified"));
        let user = profile(&person, &["identify".into(), "email".into()]);
        assert_eq!(user["email"], "nelly@example.com");
        assert_eq!(user["verified"], true);
    }
}
