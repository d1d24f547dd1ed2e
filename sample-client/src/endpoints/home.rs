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
    let openid = state.preset().is_openid();
    let login = super::session_id(&state, &jar).and_then(|id| state.sessions().login(&id));
    let Some(login) = login else {
        return html::home(None, resource, openid);
    };
    let person = &login.person;
    html::home(
        Some(UserView {
            name: &person.name,
            sub: &person.subject,
            email: person.email.as_deref(),
            login: person.login.as_deref(),
            issuer: &person.issuer,
        }),
        resource,
        openid,
    )
}
