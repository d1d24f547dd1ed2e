//! Google's older UserInfo on `www.googleapis.com`, `GET /oauth2/v3/userinfo`, which many
//! libraries still call (the OpenID Connect UserInfo, `/v1/userinfo`, is the provider's).
//!
//! # Sources
//! Fauxauth's provider reference §1.5: the members (`sub, name, given_name, family_name,
//! picture, email, email_verified, locale`, and `hd` for Workspace accounts) and the answer to a
//! bad token, 401 `{"error": "invalid_request", "error_description": "Invalid Credentials"}`.
//! §1.3: Google's tokens carry scopes in their long form
//! (`https://www.googleapis.com/auth/userinfo.profile`), so both spellings are read.
//!
//! # fauxauth's choices
//! - Claims are released by scope as OIDC Core §5.4 says (`profile`: the names, `picture`,
//!   `locale`; `email`: `email`, `email_verified`), and `hd` with `email` (it is the domain of
//!   the account's address). `sub` is always there; `openid` adds nothing else. A claim the user
//!   does not have is left out, as Google does.
//! - A missing token is answered like a bad one; the challenge is RFC 6750's, naming the
//!   resource's realm, with `error="invalid_token"` when a token came.
//! - A valid token that names no person (a client's own) is answered as a bad token.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use fauxauth_core::preset::google;
use serde_json::Value;

use super::person::{Person, Release, release};
use crate::ResourceState;
use crate::error::{ApiError, Error};
use crate::token::AccessToken;

const PROFILE: &[&str] = &[
    "profile",
    "https://www.googleapis.com/auth/userinfo.profile",
];
const EMAIL: &[&str] = &["email", "https://www.googleapis.com/auth/userinfo.email"];

/// What the answer may hold besides `sub`, and the scopes that release each.
const USERINFO: &[Release] = &[
    Release {
        claim: "name",
        scopes: PROFILE,
    },
    Release {
        claim: "given_name",
        scopes: PROFILE,
    },
    Release {
        claim: "family_name",
        scopes: PROFILE,
    },
    Release {
        claim: "picture",
        scopes: PROFILE,
    },
    Release {
        claim: "locale",
        scopes: PROFILE,
    },
    Release {
        claim: "email",
        scopes: EMAIL,
    },
    Release {
        claim: "email_verified",
        scopes: EMAIL,
    },
    Release {
        claim: "hd",
        scopes: EMAIL,
    },
];

pub fn router() -> Router<ResourceState> {
    Router::new().route(google::USERINFO_V3, get(userinfo))
}

async fn userinfo(
    State(state): State<ResourceState>,
    token: AccessToken,
) -> Result<Json<Value>, Error> {
    let person = Person::of(&token).ok_or_else(|| {
        Error::Api(ApiError::GoogleInvalidCredentials {
            realm: state.realm().to_owned(),
            presented: true,
        })
    })?;
    Ok(Json(Value::Object(release(
        &person,
        USERINFO,
        &token.scope,
    ))))
}

#[cfg(test)]
mod tests {
    use serde_json::{Map, json};

    use super::*;

    #[test]
    fn long_and_short_scope_names_release_the_same_claims() {
        let answer: Map<String, Value> = json!({"user": {
            "sub": "110169484474386276334", "name": "Alice", "given_name": "Alice",
            "email": "alice@example.test", "email_verified": true, "hd": "example.test",
            "phone_number": "+1 555 0100",
        }})
        .as_object()
        .unwrap()
        .clone();
        let person = Person::from_answer(&answer).unwrap();
        let short = vec!["openid".to_owned(), "email".to_owned()];
        let long = vec!["https://www.googleapis.com/auth/userinfo.email".to_owned()];
        let expected = json!({"sub": "110169484474386276334", "email": "alice@example.test",
            "email_verified": true, "hd": "example.test"});
        assert_eq!(Value::Object(release(&person, USERINFO, &short)), expected);
        assert_eq!(Value::Object(release(&person, USERINFO, &long)), expected);
        let profile = vec!["profile".to_owned()];
        assert_eq!(
            Value::Object(release(&person, USERINFO, &profile)),
            json!({"sub": "110169484474386276334", "name": "Alice", "given_name": "Alice"})
        );
    }
}
