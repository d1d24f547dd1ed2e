//! The redirect URI: the authorization response (RFC 6749 §4.1.2). Everything is checked before
//! the browser gets a session: the response itself (`state`, `iss`, an error), the token
//! response, the ID token (OIDC Core §3.1.3.7), and UserInfo's subject (§5.3.2).

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum_extra::extract::cookie::CookieJar;
use openidconnect::OAuth2TokenResponse as _;
use openidconnect::TokenResponse as _;

use crate::config::Weakness;
use crate::error::{Check, Error};
use crate::protocol::callback::{self, Callback, Expected};
use crate::protocol::id_token::{Expect, NonceRule};
use crate::session::{self, Login, Tokens};
use crate::{ClientState, paths, verify};

pub fn router(path: &str) -> Router<ClientState> {
    Router::new().route(path, get(callback))
}

async fn callback(
    State(state): State<ClientState>,
    jar: CookieJar,
    RawQuery(query): RawQuery,
) -> Result<Response, Error> {
    let now = state.clock().now();
    let sessions = state.sessions();
    let id = super::session_id(&state, &jar).ok_or_else(|| no_pending("no session"))?;
    let pending = sessions
        .take_pending(&id, now)
        .ok_or_else(|| no_pending("this session started no login, or it expired"))?;
    let answer = Callback::parse(query.as_deref().unwrap_or_default())?;
    let provider = state.provider();
    let discovered = provider.discovered().await?;
    let code = callback::check(
        &answer,
        &Expected {
            state: &pending.state,
            issuer: provider.issuer().as_str(),
            iss_advertised: discovered.iss_advertised(),
        },
        state.weakness_set(),
    )?;

    let response = provider.redeem(&discovered, code, pending.verifier).await?;
    let id_token = response.id_token().ok_or_else(|| {
        Error::new(
            Check::IdTokenMissing,
            "the token response carries no id_token (OIDC Core §3.1.3.3)",
        )
    })?;
    let access_token = response.access_token();
    let claims = verify::id_token(
        &state,
        &discovered,
        id_token,
        &Expect {
            issuer: provider.issuer(),
            client_id: provider.client_id(),
            nonce: NonceRule::Sent(&pending.nonce),
            access_token,
            now,
            leeway: state.config().leeway,
            weaknesses: state.weakness_set(),
        },
    )
    .await?;

    let expected_sub =
        (!state.has(Weakness::SkipUserinfoSubCheck)).then(|| claims.subject().clone());
    let userinfo = provider
        .userinfo(&discovered, access_token, expected_sub)
        .await?
        .map(|claims| serde_json::to_value(claims).unwrap_or_default());

    let tokens = Tokens {
        access_token: access_token.clone(),
        refresh_token: response.refresh_token().cloned(),
        expires_at: response.expires_in().map(|lifetime| now + lifetime),
        id_token: id_token.to_string(),
        generation: 1,
    };
    let id = sessions.log_in(
        &id,
        Login::new(claims, userinfo, pending.nonce, tokens),
        now,
    );
    tracing::info!("logged in");
    let jar = jar.add(session::cookie(id, state.secure_cookie()));
    Ok((jar, Redirect::to(paths::HOME)).into_response())
}

fn no_pending(why: &str) -> Error {
    Error::new(Check::NoPendingLogin, why)
}
