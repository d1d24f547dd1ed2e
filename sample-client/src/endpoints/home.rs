//! `/`: whether the visitor is logged in, and as whom.

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;
use axum_extra::extract::cookie::CookieJar;

use crate::html::{self, UserView};
use crate::{ClientState, paths};

pub fn router() -> Router<ClientState> {
    Router::new().route(paths::HOME, get(home))
}

async fn home(State(state): State<ClientState>, jar: CookieJar) -> Response {
    let resource = state.config().resource.is_some();
    let login = super::session_id(&state, &jar).and_then(|id| state.sessions().login(&id));
    let Some(login) = login else {
        return html::home(None, resource);
    };
    let name = login.display_name();
    let email = login.email();
    html::home(
        Some(UserView {
            name: &name,
            sub: login.claims.subject().as_str(),
            email: email.as_deref(),
            issuer: login.claims.issuer().as_str(),
        }),
        resource,
    )
}
