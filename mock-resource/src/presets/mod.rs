//! The presets' APIs: the user APIs of the provider a preset imitates, served beside the demo
//! API so that an app written against the real provider works with only its base URLs changed.
//!
//! - `github`: GitHub's REST API (`api.github.com`), `/user` and `/user/emails`.
//! - `google`: Google's older UserInfo (`www.googleapis.com`), `/oauth2/v3/userinfo`.
//! - `microsoft`: Microsoft Graph, `/v1.0/me` and `/oidc/userinfo`.
//! - `gitlab`: GitLab's REST API, `/api/v4/user`.
//! - `discord`: Discord's API, `/api/v10/users/@me` and `/api/v10/oauth2/@me`.
//! - `slack`: Slack's Web API, `/api/users.identity`.
//!
//! Every token is introspected at the provider (see [`crate::config`]), whose answer names the
//! person behind it (`person`); each API is made from that person's claims, as the real APIs
//! answer from the account rather than from the token. Paths come from
//! [`fauxauth_core::preset`]. Each module's docs say which facts come from which source and which
//! behaviours are fauxauth's choices; the shapes of refusals are in [`crate::error::ApiError`].
//!
//! The routes sit behind the same bearer check as the demo API, answering its refusals in the
//! provider's shape ([`refusal`]); like every route they are journaled and subject to rules.

mod discord;
mod github;
mod gitlab;
mod google;
mod microsoft;
mod person;
mod slack;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::HeaderMap;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use fauxauth_core::Scripted as _;
use fauxauth_core::preset::Preset;

use crate::error::{ApiError, Error, GraphInner};
use crate::protocol::bearer::Accept;
use crate::{ResourceState, auth};

pub use github::RateLimits;

/// The routes of `state`'s preset (none for `generic`), behind the bearer check.
pub fn router(state: &ResourceState) -> Router<ResourceState> {
    let routes = match state.config().preset {
        // Keycloak, Auth0, Okta and Apple have no user API for apps (Auth0's Management API is
        // another audience's): the app's API is the demo one.
        Preset::Generic | Preset::Keycloak | Preset::Auth0 | Preset::Okta | Preset::Apple => {
            return Router::new();
        }
        Preset::Github => github::router(state),
        Preset::Google => google::router(),
        Preset::Microsoft => microsoft::router(),
        Preset::Gitlab => gitlab::router(),
        Preset::Discord => discord::router(),
        Preset::Slack => slack::router(),
    };
    routes.route_layer(middleware::from_fn_with_state(state.clone(), authenticate))
}

/// The same check in front of a preset's routes: GitHub's `Authorization: token X` is taken
/// with the github preset, and refusals are written as the provider writes them.
pub async fn authenticate(
    State(state): State<ResourceState>,
    request: Request,
    next: Next,
) -> Response {
    let accept = Accept {
        token_scheme: state.config().preset == Preset::Github,
        // The real providers' APIs know no DPoP.
        dpop: false,
        ..state.accept()
    };
    let context = Context::of(request.headers());
    match auth::authorize(&state, request, accept).await {
        Ok((request, via)) => auth::pass(request, via, next).await,
        Err(e) => refusal(&state, &context, e).into_response(),
    }
}

/// What a refusal needs to know of the request it answers, taken before the request moves on.
#[derive(Clone, Debug, Default)]
pub struct Context {
    /// Graph's `client-request-id` header, echoed in its errors.
    client_request_id: Option<String>,
}

impl Context {
    pub fn of(headers: &HeaderMap) -> Self {
        let client_request_id = headers
            .get("client-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty() && v.len() <= 128)
            .map(str::to_owned);
        Self { client_request_id }
    }
}

/// The bearer check's refusal as the preset's API writes it: no token, or a token refused for
/// any reason (invalid, inactive, malformed request). The issuer being unreachable (503) and
/// internal errors are answered as by the demo API.
pub fn refusal(state: &ResourceState, context: &Context, error: Error) -> Error {
    let presented = match &error {
        Error::Unauthenticated { .. } => false,
        Error::Bearer { .. } => true,
        _ => return error,
    };
    let realm = state.realm().to_owned();
    Error::Api(match state.config().preset {
        // GitLab's and Discord's API bodies for a bad token are not in the sources: RFC 6750's.
        Preset::Generic
        | Preset::Keycloak
        | Preset::Gitlab
        | Preset::Auth0
        | Preset::Okta
        | Preset::Discord
        | Preset::Apple => {
            return error;
        }
        Preset::Slack => ApiError::Slack {
            error: if presented {
                "invalid_auth"
            } else {
                "not_authed"
            },
            needed: None,
            provided: None,
        },
        Preset::Github if presented => ApiError::GithubBadCredentials,
        Preset::Github => ApiError::GithubUnauthenticated,
        Preset::Google => ApiError::GoogleInvalidCredentials { realm, presented },
        Preset::Microsoft => ApiError::GraphInvalidToken {
            realm,
            presented,
            inner: graph_inner(state, context),
        },
    })
}

/// Graph's `innerError` for the request being answered: the virtual clock's date, a request id
/// derived from the clock's latest event number, the caller's `client-request-id` or that id.
pub fn graph_inner(state: &ResourceState, context: &Context) -> GraphInner {
    let clock = state.clock();
    let date = humantime::format_rfc3339_seconds(clock.now()).to_string();
    let request_id = fauxauth_core::preset::derived_guid(&format!(
        "fauxauth/graph-request-id/{}",
        clock.last_tick()
    ));
    GraphInner {
        date: date.trim_end_matches('Z').to_owned(),
        client_request_id: context
            .client_request_id
            .clone()
            .unwrap_or_else(|| request_id.clone()),
        request_id,
    }
}
