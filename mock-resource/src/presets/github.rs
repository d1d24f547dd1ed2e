//! GitHub's REST API for the person a token was issued to, as the API host (`api.github.com`)
//! serves it: `GET /user` and `GET /user/emails`, with the scope headers and the primary rate
//! limit on every answer to a valid token.
//!
//! # Sources
//! Fauxauth's provider reference (§2.8) from GitHub's docs ("Get the authenticated user",
//! "Emails", "Rate limits for the REST API"): the members of `/user`, `email` there being the
//! *public* email (`null` when the user hides it), `/user/emails` needing `user:email` or `user`
//! and listing `{email, primary, verified, visibility}` (`visibility` `"public"` or `null`),
//! `Authorization: Bearer` or `token`, the `X-OAuth-Scopes` and `X-Accepted-OAuth-Scopes`
//! headers, the `x-ratelimit-*` headers with the reset in UTC epoch seconds, 5,000 requests an
//! hour with a user's token, and an exhausted limit answered 403 with `x-ratelimit-remaining: 0`.
//! Answers quoted in issue threads give the error bodies (see [`ApiError`]) and the
//! `X-Accepted-OAuth-Scopes` of `/user/emails`, `user, user:email`.
//!
//! # fauxauth's choices
//! - `id` is the user's `sub` when it is all digits; otherwise a number of nine digits derived
//!   from it (SHA-256), the same on every run. `node_id` is the legacy global id of that number
//!   (base64 of `04:User{id}`).
//! - The `*_url` members point at `api.github.com` and `github.com` as GitHub's do, not at the
//!   resource: they are for show. `avatar_url` is the user's `avatar_url` or `picture` claim,
//!   else GitHub's avatar host with the id.
//! - Members the user has no claim for take a fresh account's values: `null`, `""` for `blog`,
//!   `0` for the counts, `false` for `site_admin`, `2020-01-01T00:00:00Z` for the dates. Claims of
//!   the same name replace them (`blog` also from `website`); a date given as epoch seconds (as
//!   OIDC's `updated_at` is) is written in RFC 3339.
//! - The claim `email_public: false` hides the user's `email` on `/user` (it is then listed on
//!   `/user/emails` with `visibility: null`); without the claim the email is public. An `emails`
//!   claim adds addresses to `/user/emails`: strings, or objects with `email` and optionally
//!   `verified` and `visibility`.
//! - `/user/emails` without `user:email` or `user` is 404 "Not Found", as issue threads show
//!   (the reference does not say what GitHub answers).
//! - `/user` needs no scope: its `X-Accepted-OAuth-Scopes` is empty.
//! - The rate limit counts per user (every token of a person shares it, as GitHub's does) in
//!   windows of one hour on the virtual clock, each starting at the first request after the last
//!   one ended. Only requests with a valid token that names a person are counted and carry the
//!   headers; a 401 carries none (GitHub would count it against the caller's address). The limit
//!   is the `github.rate_limit` setting.
//! - A valid token that names no person (a client's own) is "Bad credentials": GitHub issues
//!   none.

use fauxauth_core::Scripted as _;
use std::collections::HashMap;
use std::sync::Mutex;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use fauxauth_core::preset::github;
use serde_json::{Map, Value, json};

use super::person::{Fallback, Field, Person, digest, fill};
use crate::ResourceState;
use crate::error::{ApiError, Error};
use crate::token::AccessToken;

/// The scopes each route accepts, as `X-Accepted-OAuth-Scopes` lists them; none means the route
/// needs no scope.
const ACCEPTED: &[(&str, &[&str])] = &[
    (github::USER, &[]),
    (github::USER_EMAILS, &["user", "user:email"]),
];

/// The length of a rate-limit window, in seconds.
const WINDOW: u64 = 3600;

/// The dates of an account that has none configured.
const ACCOUNT_DATE: &str = "2020-01-01T00:00:00Z";

/// `/user` members made from the user's claims (the rest are derived from login and id).
const PROFILE: &[Field] = &[
    Field::new("name", &["name"], Fallback::Null),
    Field::new("company", &["company"], Fallback::Null),
    Field::new("blog", &["blog", "website"], Fallback::Text("")),
    Field::new("location", &["location"], Fallback::Null),
    Field::new("hireable", &["hireable"], Fallback::Null),
    Field::new("bio", &["bio"], Fallback::Null),
    Field::new("twitter_username", &["twitter_username"], Fallback::Null),
    Field::new("public_repos", &["public_repos"], Fallback::Number(0)),
    Field::new("public_gists", &["public_gists"], Fallback::Number(0)),
    Field::new("followers", &["followers"], Fallback::Number(0)),
    Field::new("following", &["following"], Fallback::Number(0)),
    Field::new("site_admin", &["site_admin"], Fallback::Bool(false)),
    Field::new("created_at", &["created_at"], Fallback::Text(ACCOUNT_DATE)),
    Field::new("updated_at", &["updated_at"], Fallback::Text(ACCOUNT_DATE)),
];

pub fn router(state: &ResourceState) -> Router<ResourceState> {
    Router::new()
        .route(github::USER, get(user))
        .route(github::USER_EMAILS, get(emails))
        .route_layer(middleware::from_fn_with_state(state.clone(), meter))
}

async fn user(token: AccessToken) -> Result<Response, Error> {
    let person = Person::of(&token).ok_or(Error::Api(ApiError::GithubBadCredentials))?;
    Ok(axum::Json(user_body(&person)).into_response())
}

async fn emails(token: AccessToken) -> Result<Response, Error> {
    let person = Person::of(&token).ok_or(Error::Api(ApiError::GithubBadCredentials))?;
    let granted = scopes(&token);
    if !accepted(github::USER_EMAILS)
        .iter()
        .any(|wanted| granted.contains(wanted))
    {
        return Err(Error::Api(ApiError::GithubNotFound));
    }
    Ok(axum::Json(Value::Array(email_list(&person))).into_response())
}

/// In front of every route: counts the request against the person's rate limit (refusing it
/// when spent) and adds the scope and rate-limit headers to whatever is answered.
async fn meter(State(state): State<ResourceState>, request: Request, next: Next) -> Response {
    let Some(token) = request.extensions().get::<AccessToken>().cloned() else {
        tracing::error!("the GitHub API's meter runs outside the bearer check");
        return Error::Internal.into_response();
    };
    let Some(person) = Person::of(&token) else {
        return Error::Api(ApiError::GithubBadCredentials).into_response();
    };
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("", MatchedPath::as_str);
    let accepted = accepted(route);
    let quota = state.github_rates().take(
        person.sub(),
        state.clock().unix_seconds(),
        state.config().github.rate_limit,
    );
    let mut response = if quota.spent {
        Error::Api(ApiError::GithubRateLimited {
            user_id: user_id(&person),
        })
        .into_response()
    } else {
        next.run(request).await
    };
    let headers = response.headers_mut();
    set(headers, "x-oauth-scopes", &scopes(&token).join(", "));
    set(headers, "x-accepted-oauth-scopes", &accepted.join(", "));
    quota.write(headers);
    response
}

fn set(headers: &mut HeaderMap, name: &'static str, value: &str) {
    if let Ok(value) = HeaderValue::from_str(value) {
        headers.insert(HeaderName::from_static(name), value);
    }
}

fn accepted(route: &str) -> &'static [&'static str] {
    ACCEPTED
        .iter()
        .find(|(path, _)| *path == route)
        .map_or(&[], |(_, scopes)| scopes)
}

/// The token's scopes. GitHub writes them comma-separated where OAuth has spaces; either is read.
fn scopes(token: &AccessToken) -> Vec<&str> {
    token
        .scope
        .iter()
        .flat_map(|s| s.split(','))
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

/// The user's numeric id: `sub` when it is all digits, else nine digits derived from it.
pub fn user_id(person: &Person) -> u64 {
    let sub = person.sub();
    if sub.bytes().all(|b| b.is_ascii_digit())
        && let Ok(id) = sub.parse()
    {
        return id;
    }
    let bytes = digest(&format!("fauxauth/github-id/{sub}"));
    let mut first = [0; 8];
    first.copy_from_slice(&bytes[..8]);
    u64::from_be_bytes(first) % 900_000_000 + 100_000_000
}

/// "Get the authenticated user".
pub fn user_body(person: &Person) -> Value {
    let login = person.username();
    let id = user_id(person);
    let api = format!("https://api.github.com/users/{login}");
    let avatar = person
        .first(&["avatar_url", "picture"])
        .cloned()
        .unwrap_or_else(|| json!(format!("https://avatars.githubusercontent.com/u/{id}?v=4")));
    let mut out = Map::new();
    let mut put = |name: &str, value: Value| {
        out.insert(name.to_owned(), value);
    };
    put("login", json!(login));
    put("id", json!(id));
    put("node_id", json!(B64.encode(format!("04:User{id}"))));
    put("avatar_url", avatar);
    put("gravatar_id", json!(""));
    put("url", json!(api));
    put("html_url", json!(format!("https://github.com/{login}")));
    for (name, suffix) in [
        ("followers_url", "/followers"),
        ("following_url", "/following{/other_user}"),
        ("gists_url", "/gists{/gist_id}"),
        ("starred_url", "/starred{/owner}{/repo}"),
        ("subscriptions_url", "/subscriptions"),
        ("organizations_url", "/orgs"),
        ("repos_url", "/repos"),
        ("events_url", "/events{/privacy}"),
        ("received_events_url", "/received_events"),
    ] {
        put(name, json!(format!("{api}{suffix}")));
    }
    put("type", json!("User"));
    put(
        "email",
        public_email(person).map_or(Value::Null, |e| json!(e)),
    );
    fill(person, PROFILE, &mut out);
    for date in ["created_at", "updated_at"] {
        if let Some(seconds) = out.get(date).and_then(Value::as_u64) {
            let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(seconds);
            out.insert(
                date.to_owned(),
                json!(humantime::format_rfc3339_seconds(at).to_string()),
            );
        }
    }
    Value::Object(out)
}

/// The email `/user` shows: the user's, unless they keep it private (`email_public: false`).
fn public_email<'a>(person: &Person<'a>) -> Option<&'a str> {
    person
        .text("email")
        .filter(|_| person.flag("email_public") != Some(false))
}

/// "List email addresses for the authenticated user": the user's email first, as the primary,
/// then the addresses of their `emails` claim.
pub fn email_list(person: &Person) -> Vec<Value> {
    let mut list = Vec::new();
    let primary = person.text("email");
    if let Some(email) = primary {
        list.push(json!({
            "email": email,
            "primary": true,
            "verified": person.flag("email_verified").unwrap_or(false),
            "visibility": public_email(person).map(|_| "public"),
        }));
    }
    let more = person.get("emails").and_then(Value::as_array);
    for entry in more.into_iter().flatten() {
        let (email, verified, visibility) = match entry {
            Value::String(email) => (email.as_str(), false, Value::Null),
            Value::Object(o) => match o.get("email").and_then(Value::as_str) {
                Some(email) => (
                    email,
                    o.get("verified").and_then(Value::as_bool).unwrap_or(false),
                    o.get("visibility").cloned().unwrap_or(Value::Null),
                ),
                None => continue,
            },
            _ => continue,
        };
        if Some(email) == primary {
            continue;
        }
        list.push(json!({
            "email": email,
            "primary": false,
            "verified": verified,
            "visibility": visibility,
        }));
    }
    list
}

/// Every person's current window. Emptied by a reset.
#[derive(Debug, Default)]
pub struct RateLimits(Mutex<HashMap<String, Window>>);

#[derive(Clone, Copy, Debug)]
struct Window {
    /// When it ends, in epoch seconds.
    reset: u64,
    used: u32,
}

/// Where a person stands after a request: what the `x-ratelimit-*` headers say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quota {
    pub limit: u32,
    pub used: u32,
    pub reset: u64,
    /// The limit was already reached: the request is refused, and was not counted.
    pub spent: bool,
}

impl Quota {
    pub fn remaining(&self) -> u32 {
        self.limit.saturating_sub(self.used)
    }

    fn write(&self, headers: &mut HeaderMap) {
        set(headers, "x-ratelimit-limit", &self.limit.to_string());
        set(
            headers,
            "x-ratelimit-remaining",
            &self.remaining().to_string(),
        );
        set(headers, "x-ratelimit-used", &self.used.to_string());
        set(headers, "x-ratelimit-reset", &self.reset.to_string());
        set(headers, "x-ratelimit-resource", "core");
    }
}

impl RateLimits {
    /// Counts one request of `user` at `now` (epoch seconds) against `limit` an hour.
    pub fn take(&self, user: &str, now: u64, limit: u32) -> Quota {
        let mut windows = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if !windows.contains_key(user) {
            // Ended windows are forgotten when someone new arrives, so the map stays small.
            windows.retain(|_, w| w.reset > now);
        }
        let fresh = Window {
            reset: now.saturating_add(WINDOW),
            used: 0,
        };
        let window = windows.entry(user.to_owned()).or_insert(fresh);
        // The clock may also have been moved back before the window began: a fresh one then.
        if now >= window.reset || window.reset - now > WINDOW {
            *window = fresh;
        }
        let spent = window.used >= limit;
        if !spent {
            window.used += 1;
        }
        Quota {
            limit,
            used: window.used.min(limit),
            reset: window.reset,
            spent,
        }
    }

    pub fn clear(&self) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(user: Value) -> Map<String, Value> {
        json!({ "user": user }).as_object().unwrap().clone()
    }

    #[test]
    fn ids_are_the_numeric_subject_or_a_stable_nine_digit_number() {
        let numeric = answer(json!({"sub": "583231"}));
        assert_eq!(user_id(&Person::from_answer(&numeric).unwrap()), 583231);
        let named = answer(json!({"sub": "alice"}));
        let id = user_id(&Person::from_answer(&named).unwrap());
        assert!((100_000_000..1_000_000_000).contains(&id), "{id}");
        assert_eq!(id, user_id(&Person::from_answer(&named).unwrap()));
        let other = answer(json!({"sub": "bob"}));
        assert_ne!(id, user_id(&Person::from_answer(&other).unwrap()));
        // Too many digits for a number: derived, not an overflow.
        let huge = answer(json!({"sub": "99999999999999999999999"}));
        assert!(user_id(&Person::from_answer(&huge).unwrap()) < 1_000_000_000);
    }

    #[test]
    fn the_user_is_made_from_claims_and_fresh_account_values() {
        let with = answer(json!({
            "sub": "1", "username": "octocat", "name": "The Octocat", "email": "o@example.test",
            "website": "https://blog.example", "followers": 20, "updated_at": 1_700_000_000,
        }));
        let body = user_body(&Person::from_answer(&with).unwrap());
        assert_eq!(body["login"], "octocat");
        assert_eq!(body["id"], 1);
        assert_eq!(body["node_id"], "MDQ6VXNlcjE=");
        assert_eq!(body["url"], "https://api.github.com/users/octocat");
        assert_eq!(
            body["following_url"],
            "https://api.github.com/users/octocat/following{/other_user}"
        );
        assert_eq!(
            body["avatar_url"],
            "https://avatars.githubusercontent.com/u/1?v=4"
        );
        assert_eq!(body["email"], "o@example.test");
        assert_eq!(body["blog"], "https://blog.example");
        assert_eq!(body["followers"], 20);
        assert_eq!(body["public_repos"], 0);
        assert_eq!(body["company"], Value::Null);
        assert_eq!(body["created_at"], ACCOUNT_DATE);
        assert_eq!(body["updated_at"], "2023-11-14T22:13:20Z");
        assert_eq!(
            (&body["type"], &body["site_admin"]),
            (&json!("User"), &json!(false))
        );
        assert_eq!(body.as_object().unwrap().len(), 32, "{body:#}");
    }

    #[test]
    fn a_private_email_is_null_on_the_user_and_listed_without_visibility() {
        let with = answer(json!({
            "sub": "1", "email": "o@example.test", "email_verified": true, "email_public": false,
            "emails": ["second@example.test", {"email": "third@example.test", "verified": true,
                "visibility": "public"}, "o@example.test", 7],
        }));
        let person = Person::from_answer(&with).unwrap();
        assert_eq!(user_body(&person)["email"], Value::Null);
        assert_eq!(
            email_list(&person),
            [
                json!({"email": "o@example.test", "primary": true, "verified": true, "visibility": null}),
                json!({"email": "second@example.test", "primary": false, "verified": false, "visibility": null}),
                json!({"email": "third@example.test", "primary": false, "verified": true, "visibility": "public"}),
            ]
        );
        let public = answer(json!({"sub": "1", "email": "o@example.test"}));
        assert_eq!(
            email_list(&Person::from_answer(&public).unwrap())[0]["visibility"],
            "public"
        );
        let none = answer(json!({"sub": "1"}));
        assert!(email_list(&Person::from_answer(&none).unwrap()).is_empty());
    }

    #[test]
    fn a_window_counts_to_the_limit_then_refuses_until_an_hour_has_passed() {
        let limits = RateLimits::default();
        let t0 = 1_700_000_000;
        let first = limits.take("alice", t0, 2);
        assert_eq!(
            first,
            Quota {
                limit: 2,
                used: 1,
                reset: t0 + 3600,
                spent: false
            }
        );
        assert_eq!(limits.take("alice", t0 + 10, 2).remaining(), 0);
        let refused = limits.take("alice", t0 + 20, 2);
        assert!(refused.spent);
        assert_eq!((refused.used, refused.remaining()), (2, 0));
        // Another person has their own window.
        assert_eq!(limits.take("bob", t0 + 20, 2).used, 1);
        let next = limits.take("alice", t0 + 3600, 2);
        assert_eq!((next.used, next.reset, next.spent), (1, t0 + 7200, false));
        // A clock moved back before the window began starts a fresh one.
        let back = limits.take("alice", t0, 2);
        assert_eq!((back.used, back.reset), (1, t0 + 3600));
    }
}
