//! One module per route, each a thin adapter from HTTP to the protocol core.

mod backchannel;
mod callback;
mod home;
mod login;
mod logout;
mod me;

use axum::Router;
use axum_extra::extract::cookie::CookieJar;

use crate::ClientState;

/// Every route; the callback at the redirect URI's path.
pub fn router(state: &ClientState) -> Router<ClientState> {
    Router::new()
        .merge(home::router())
        .merge(login::router())
        .merge(callback::router(
            state.callback_path(),
            state.uses_form_post(),
        ))
        .merge(me::router())
        .merge(logout::router())
        .merge(backchannel::router())
}

/// The id of the browser's session, if it presents one this client knows.
fn session_id(state: &ClientState, jar: &CookieJar) -> Option<String> {
    state.sessions().id_from(jar)
}
