//! The resource's side of the scripting model: how it describes requests to rules and the
//! journal, and its admin routes.

use fauxauth_core::Scripted as _;
use std::sync::Arc;

use axum::extract::{FromRef, State};
use axum::http::{Method, StatusCode, header};
use fauxauth_core::Control;
use fauxauth_core::admin::{Api, Operation};
use fauxauth_core::control::Describe;
use fauxauth_core::rules::{ErrorStyle, Facts};

use crate::ResourceState;

impl FromRef<ResourceState> for Control {
    fn from_ref(state: &ResourceState) -> Control {
        state.control().clone()
    }
}

/// How the resource describes a request: the endpoint is the path without its leading `/`
/// (`api/items`); client, user and scope are read from the bearer token as presented (not yet
/// verified: rules and the journal describe what was sent).
pub fn describe(realm: String) -> Describe {
    Arc::new(move |parts, _body| {
        let path = parts.uri.path();
        let claims = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .and_then(|(_, token)| fauxauth_core::wire::unverified_claims(token.trim()))
            .unwrap_or_default();
        let text = |name: &str| claims[name].as_str().map(str::to_owned);
        Facts {
            endpoint: path.trim_start_matches('/').to_owned(),
            method: parts.method.to_string(),
            path: path.to_owned(),
            issuer: None,
            client_id: text("client_id").or_else(|| text("azp")),
            grant_type: None,
            user: text("sub"),
            scope: text("scope")
                .map(|s| {
                    s.split(' ')
                        .filter(|t| !t.is_empty())
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
            error_style: ErrorStyle::Bearer,
            realm: realm.clone(),
        }
    })
}

/// The admin router of `state`, guarded, with its OpenAPI document.
pub fn admin(state: &ResourceState) -> axum::Router {
    admin_api().finish(
        state.clone(),
        "fauxauth resource admin API",
        state.config().admin_token.clone(),
    )
}

/// Every documented admin operation: the OpenAPI document is made from the same list.
pub fn admin_operations() -> Vec<Operation> {
    admin_api().operations().to_vec()
}

fn admin_api() -> Api<ResourceState> {
    fauxauth_core::admin::common::<ResourceState>().route(
        Method::POST,
        "/reset",
        "Back to the loaded configuration: rules and clock as configured, items and journal emptied",
        None,
        None,
        reset,
    )
    .succeeds_with(StatusCode::NO_CONTENT)
}

async fn reset(State(state): State<ResourceState>) -> StatusCode {
    state.reset();
    StatusCode::NO_CONTENT
}
