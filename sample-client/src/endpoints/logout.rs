//! `/logout`: a POST ends the session here, then offers RP-Initiated Logout 1.0 at the
//! provider's `end_session_endpoint`, as a form POST carrying `id_token_hint`, `client_id` and
//! `post_logout_redirect_uri` (§2), so the ID token never travels in a URL. A GET only asks to
//! confirm: a link or an image cannot log anyone out.

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum_extra::extract::cookie::CookieJar;

use crate::html::{self, EndSession};
use crate::session;
use crate::{ClientState, paths};

pub fn router() -> Router<ClientState> {
    Router::new().route(paths::LOGOUT, get(confirm).post(logout))
}

async fn confirm(State(state): State<ClientState>, jar: CookieJar) -> Response {
    let logged_in = super::session_id(&state, &jar)
        .and_then(|id| state.sessions().login(&id))
        .is_some();
    html::confirm_logout(logged_in)
}

async fn logout(State(state): State<ClientState>, jar: CookieJar) -> Response {
    let login = super::session_id(&state, &jar).and_then(|id| state.sessions().remove(&id));
    let jar = jar.add(session::removal());
    let Some(login) = login else {
        return (jar, Redirect::to(paths::HOME)).into_response();
    };
    tracing::info!("logged out");
    // RP-Initiated Logout is OpenID Connect's; GitHub has no end-session endpoint.
    let Some(id_token_hint) = login.tokens().id_token else {
        return (jar, Redirect::to(paths::HOME)).into_response();
    };
    let discovered = state.provider().discovered().await.ok();
    let Some(action) = discovered.as_ref().and_then(|d| d.end_session_endpoint()) else {
        return (jar, Redirect::to(paths::HOME)).into_response();
    };
    let page = html::logged_out(EndSession {
        action,
        id_token_hint: &id_token_hint,
        client_id: state.provider().client_id().as_str(),
        post_logout_redirect_uri: state.post_logout_redirect_uri(),
    });
    (jar, page).into_response()
}
