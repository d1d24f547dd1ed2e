//! Microsoft Graph for the person a token was issued to: `GET /v1.0/me` and the OpenID Connect
//! UserInfo Microsoft serves on Graph, `GET`/`POST /oidc/userinfo`.
//!
//! # Sources
//! Fauxauth's provider reference §3.8: `/me`'s default properties (`@odata.context`,
//! `businessPhones`, `displayName`, `givenName`, `jobTitle`, `mail`, `mobilePhone`,
//! `officeLocation`, `preferredLanguage`, `surname`, `userPrincipalName`, `id`), `mail` being
//! `null` for a user without a mailbox; UserInfo's `sub`, `name`, `family_name`, `given_name`,
//! `picture`, `email` "depending on scopes". Graph's error shape and messages are as answers
//! quoted in issue threads show them (see [`ApiError`]).
//!
//! # fauxauth's choices
//! - `/me` is made from the user's claims: `displayName` from `name`, `givenName` from
//!   `given_name`, `surname` from `family_name`, `mail` from `email`, `userPrincipalName` from
//!   `preferred_username` else the username, `preferredLanguage` from `preferred_language` else
//!   `locale`, `mobilePhone` from `mobile_phone` else `phone_number`, `jobTitle`,
//!   `officeLocation` and `businessPhones` from `job_title`, `office_location` and
//!   `business_phones`. `id` is the `oid` claim, else the GUID fauxauth's provider derives from
//!   `sub` for the `oid` of its ID tokens (SHA-256), the same on every run. `/me` asks for no particular scope (Graph wants `User.Read`, which
//!   Microsoft grants apps by default).
//! - UserInfo releases by scope as OIDC Core §5.4 says: `profile` the names and `picture`,
//!   `email` the email; `sub` always. A claim the user does not have is left out.
//! - Errors: a missing token is "Access token is empty.", any refused token "Access token
//!   validation failure."; a valid token naming no person (an app's own) is 400 `BadRequest` on
//!   `/me` and a refused token on UserInfo. The challenge is RFC 6750's, naming the resource's
//!   realm. `innerError`'s `request-id` is derived from the clock's event number (the journal's
//!   `seq` of the request when requests come one at a time), `client-request-id` echoes the
//!   request's header or repeats the request id, and `date` is the virtual clock's.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::get;
use axum::{Json, Router};
use fauxauth_core::preset::microsoft;
use serde_json::{Map, Value, json};

use super::person::{Fallback, Field, Person, Release, fill, release};
use super::{Context, graph_inner};
use crate::ResourceState;
use crate::error::{ApiError, Error};
use crate::token::AccessToken;

/// Graph's `@odata.context` for one user.
const ODATA_CONTEXT: &str = "https://graph.microsoft.com/v1.0/$metadata#users/$entity";

/// `/me`'s default properties made from claims (`id` is made apart).
const ME: &[Field] = &[
    Field::new("businessPhones", &["business_phones"], Fallback::EmptyList),
    Field::new("displayName", &["name"], Fallback::Null),
    Field::new("givenName", &["given_name"], Fallback::Null),
    Field::new("jobTitle", &["job_title"], Fallback::Null),
    Field::new("mail", &["email"], Fallback::Null),
    Field::new(
        "mobilePhone",
        &["mobile_phone", "phone_number"],
        Fallback::Null,
    ),
    Field::new("officeLocation", &["office_location"], Fallback::Null),
    Field::new(
        "preferredLanguage",
        &["preferred_language", "locale"],
        Fallback::Null,
    ),
    Field::new("surname", &["family_name"], Fallback::Null),
    Field::new(
        "userPrincipalName",
        &["preferred_username", "username"],
        Fallback::Null,
    ),
];

const PROFILE: &[&str] = &["profile"];
const EMAIL: &[&str] = &["email"];

/// What UserInfo may hold besides `sub`, and the scopes that release each.
const USERINFO: &[Release] = &[
    Release {
        claim: "name",
        scopes: PROFILE,
    },
    Release {
        claim: "family_name",
        scopes: PROFILE,
    },
    Release {
        claim: "given_name",
        scopes: PROFILE,
    },
    Release {
        claim: "picture",
        scopes: PROFILE,
    },
    Release {
        claim: "email",
        scopes: EMAIL,
    },
];

pub fn router() -> Router<ResourceState> {
    Router::new()
        .route(microsoft::ME, get(me))
        .route(microsoft::USERINFO, get(userinfo).post(userinfo))
}

async fn me(
    State(state): State<ResourceState>,
    headers: HeaderMap,
    token: AccessToken,
) -> Result<Json<Value>, Error> {
    let person = Person::of(&token).ok_or_else(|| {
        Error::Api(ApiError::GraphDelegatedOnly {
            inner: graph_inner(&state, &Context::of(&headers)),
        })
    })?;
    Ok(Json(me_body(&person)))
}

async fn userinfo(
    State(state): State<ResourceState>,
    headers: HeaderMap,
    token: AccessToken,
) -> Result<Json<Value>, Error> {
    let person = Person::of(&token).ok_or_else(|| {
        Error::Api(ApiError::GraphInvalidToken {
            realm: state.realm().to_owned(),
            presented: true,
            inner: graph_inner(&state, &Context::of(&headers)),
        })
    })?;
    Ok(Json(Value::Object(release(
        &person,
        USERINFO,
        &token.scope,
    ))))
}

/// `GET /v1.0/me` with Graph's default properties.
pub fn me_body(person: &Person) -> Value {
    let mut out = Map::new();
    out.insert("@odata.context".into(), json!(ODATA_CONTEXT));
    fill(person, ME, &mut out);
    let id = person.text("oid").map_or_else(
        || fauxauth_core::preset::microsoft::default_oid(person.sub()),
        str::to_owned,
    );
    out.insert("id".into(), json!(id));
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(user: Value) -> Map<String, Value> {
        json!({ "user": user }).as_object().unwrap().clone()
    }

    #[test]
    fn me_has_every_default_property_from_claims_or_null() {
        let with = answer(json!({
            "sub": "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ", "username": "adele",
            "name": "Adele Vance", "given_name": "Adele", "family_name": "Vance",
            "preferred_username": "AdeleV@contoso.example", "locale": "en-US",
            "oid": "87d349ed-44d7-43e1-9a83-5f2406dee5bd",
        }));
        let body = me_body(&Person::from_answer(&with).unwrap());
        assert_eq!(
            body,
            json!({
                "@odata.context": ODATA_CONTEXT,
                "businessPhones": [],
                "displayName": "Adele Vance",
                "givenName": "Adele",
                "jobTitle": null,
                "mail": null,
                "mobilePhone": null,
                "officeLocation": null,
                "preferredLanguage": "en-US",
                "surname": "Vance",
                "userPrincipalName": "AdeleV@contoso.example",
                "id": "87d349ed-44d7-43e1-9a83-5f2406dee5bd",
            })
        );
    }

    #[test]
    fn without_oid_or_preferred_username_the_id_is_derived_and_the_upn_is_the_username() {
        let with = answer(json!({"sub": "s-1", "username": "adele", "email": "a@example.test"}));
        let body = me_body(&Person::from_answer(&with).unwrap());
        assert_eq!(body["userPrincipalName"], "adele");
        assert_eq!(body["mail"], "a@example.test");
        // What the provider's ID tokens say as `oid` for a user with sub s-1 and no oid claim
        // (`fauxauth_core::preset::microsoft::default_oid("s-1")`, which the provider uses too).
        assert_eq!(body["id"], "c65f5472-6c96-42e8-aea0-9e7debb34aa7");
    }
}
