//! `/login`: starts the authorization code flow (RFC 6749 §4.1.1, OIDC Core §3.1.2.1) with
//! PKCE S256 (RFC 7636 §4.2), `state` and `nonce`, all kept in the server-side session. GitHub's
//! is plain OAuth 2.0: no discovery, and no `nonce` (there is no ID token to carry it back).

use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum_extra::extract::cookie::CookieJar;
use openidconnect::{Nonce, PkceCodeChallenge, PkceCodeVerifier};

use crate::config::Weakness;
use crate::error::Error;
use crate::random::fresh_secret;
use crate::session::{self, PendingLogin};
use crate::{ClientState, paths};

pub fn router() -> Router<ClientState> {
    Router::new().route(paths::LOGIN, get(login))
}

async fn login(State(state): State<ClientState>, jar: CookieJar) -> Result<Response, Error> {
    let login_state = if state.has(Weakness::PredictableState) {
        state.weak().next_state()
    } else {
        fresh_secret()
    };
    let no_nonce = state.has(Weakness::NoNonce) || state.has(Weakness::NoCodeBinding);
    let nonce = (state.plain().is_none() && !no_nonce).then(fresh_secret);
    let (verifier, challenge) = if state.has(Weakness::NoPkce) || state.has(Weakness::NoCodeBinding)
    {
        (None, None)
    } else {
        let verifier = PkceCodeVerifier::new(fresh_secret());
        let challenge = PkceCodeChallenge::from_code_verifier_sha256(&verifier);
        (Some(verifier), Some(challenge))
    };
    let scopes = state.config().requested_scopes();
    let mut url = match state.plain() {
        Some(plain) => plain
            .endpoints()
            .authorization_url(&scopes, login_state.clone(), challenge),
        None => {
            let discovered = state.provider().discovered().await?;
            state.provider().authorization_url(
                &discovered,
                &scopes,
                login_state.clone(),
                // Drawn above for every OpenID preset, unless a weakness leaves it out.
                nonce.clone().unwrap_or_default(),
                challenge,
            )
        }
    };
    // The libraries always send both; a weakness takes them back out.
    let drop: Vec<&str> = [
        state.has(Weakness::NoState).then_some("state"),
        nonce.is_none().then_some("nonce"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !drop.is_empty() {
        let kept: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(k, _)| !drop.contains(&k.as_ref()))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        url.query_pairs_mut().clear().extend_pairs(kept);
    }
    // RFC 9126: the request goes to the provider directly; the browser carries a reference.
    if state.config().par && state.plain().is_none() {
        let discovered = state.provider().discovered().await?;
        url = state.provider().push(&discovered, url).await?;
    }
    let id = state.sessions().begin(
        super::session_id(&state, &jar),
        PendingLogin {
            state: login_state,
            nonce: nonce.map(Nonce::new),
            verifier,
            started: state.clock().now(),
        },
        state.clock().now(),
    );
    let jar = jar.add(session::cookie(id, state.secure_cookie()));
    Ok((jar, Redirect::to(url.as_str())).into_response())
}
