//! The redirect URI: the authorization response (RFC 6749 §4.1.2). Everything is checked before
//! the browser gets a session: the response itself (`state`, `iss`, an error), the token
//! response, then who logged in: the ID token (OIDC Core §3.1.3.7) and UserInfo's subject
//! (§5.3.2), or, with GitHub, its user API.

use std::time::SystemTime;

use axum::Router;
use axum::extract::{RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum_extra::extract::cookie::CookieJar;
use fauxauth_core::preset::Preset;
use openidconnect::OAuth2TokenResponse as _;

use crate::config::Weakness;
use crate::error::{Check, Error};
use crate::plain::Plain;
use crate::protocol::callback::{self, Callback, Expected};
use crate::protocol::id_token::{Expect, NonceRule};
use crate::session::{self, Login, PendingLogin, Person, Tokens};
use crate::token::TokenAnswer;
use crate::{ClientState, paths, verify};

/// The callback at `path`: by GET, or, for a client that asks for `response_mode=form_post`, by
/// the POST the provider's page makes (OAuth 2.0 Form Post Response Mode §2), and then by POST
/// only: a response in the query is not the one it asked for.
pub fn router(path: &str, form_post: bool) -> Router<ClientState> {
    if form_post {
        Router::new().route(path, axum::routing::post(callback_post))
    } else {
        Router::new().route(path, get(callback))
    }
}

async fn callback(
    State(state): State<ClientState>,
    jar: CookieJar,
    RawQuery(query): RawQuery,
) -> Result<Response, Error> {
    answer(&state, jar, query.as_deref().unwrap_or_default()).await
}

/// The authorization response posted as a form: its fields are the query's.
async fn callback_post(
    State(state): State<ClientState>,
    jar: CookieJar,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, Error> {
    if !fauxauth_core::wire::is_form(&headers) {
        return Err(Error::new(
            Check::MalformedCallback,
            "the posted authorization response is not form-encoded",
        ));
    }
    answer(&state, jar, &String::from_utf8_lossy(&body)).await
}

async fn answer(state: &ClientState, jar: CookieJar, response: &str) -> Result<Response, Error> {
    let result = finish_login(state, jar, response).await;
    match result {
        // A weakness: whatever the provider did wrong becomes a server error of the client's.
        Err(e) if state.has(Weakness::CrashOnProviderError) && e.check.is_provider_failure() => {
            Err(Error::internal(format!("unhandled provider failure: {e}")))
        }
        other => other,
    }
}

async fn finish_login(state: &ClientState, jar: CookieJar, query: &str) -> Result<Response, Error> {
    let now = state.clock().now();
    let sessions = state.sessions();
    let old = super::session_id(state, &jar).unwrap_or_default();
    let code = Callback::parse(query).ok().and_then(|a| a.code);
    // A weakness: a code seen before is answered from memory, whoever brings it.
    if state.has(Weakness::CacheCodeExchange)
        && let Some(login) = code.as_deref().and_then(|c| state.weak().exchange(c))
    {
        let id = sessions.log_in(&old, login, now);
        let jar = jar.add(session::cookie(id, state.secure_cookie()));
        return Ok((jar, Redirect::to(paths::HOME)).into_response());
    }
    let id = super::session_id(state, &jar).ok_or_else(|| no_pending("no session"))?;
    let pending = sessions
        .take_pending(&id, now)
        .ok_or_else(|| no_pending("this session started no login, or it expired"))?;
    let answer = Callback::parse(query)?;
    let login = match state.plain() {
        Some(plain) => plain_login(state, plain, &answer, pending, now).await?,
        None => openid_login(state, &answer, pending, now).await?,
    };
    let login = std::sync::Arc::new(login);
    if state.has(Weakness::CacheCodeExchange)
        && let Some(code) = &code
    {
        state.weak().remember_exchange(code, login.clone());
    }
    let id = sessions.log_in(&id, login, now);
    tracing::info!("logged in");
    let jar = jar.add(session::cookie(id, state.secure_cookie()));
    Ok((jar, Redirect::to(paths::HOME)).into_response())
}

/// OpenID Connect: the code for tokens, the ID token checked, UserInfo asked.
async fn openid_login(
    state: &ClientState,
    answer: &Callback,
    pending: PendingLogin,
    now: SystemTime,
) -> Result<Login, Error> {
    let provider = state.provider();
    let discovered = provider.discovered().await?;
    let code = callback::check(
        answer,
        &Expected {
            state: &pending.state,
            issuer: discovered.issuer().metadata_issuer(),
            iss_advertised: discovered.iss_advertised(),
        },
        state.weakness_set(),
    )?;

    let response = provider.redeem(&discovered, code, pending.verifier).await?;
    let id_token = response.extra_fields().id_token.clone().ok_or_else(|| {
        Error::new(
            Check::IdTokenMissing,
            "the token response carries no id_token (OIDC Core §3.1.3.3)",
        )
    })?;
    let access_token = response.access_token();
    // Sent unless a weakness left it out; then nothing is compared.
    let nonce = pending.nonce;
    let claims = verify::id_token(
        state,
        &discovered,
        &id_token,
        &Expect {
            issuer: discovered.issuer(),
            client_id: provider.client_id(),
            client_secret: provider.client_secret(),
            nonce: match &nonce {
                Some(nonce) => NonceRule::Sent(nonce),
                None => NonceRule::AbsentOr(None),
            },
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
    let mut person = Person::from_id_token(&claims, userinfo.as_ref());
    // Apple: the name comes once, with the first authorization; it is kept for the next.
    if state.preset() == Preset::Apple
        && let Some(name) = state
            .apple_names()
            .name_of(&person.subject, answer.user.as_deref())
    {
        person.name = name;
    }
    if state.has(Weakness::AccountsByEmail) {
        person = state.weak().account(person);
    }
    Ok(Login::new(
        person,
        nonce,
        tokens(&response, Some(id_token), now),
    ))
}

/// GitHub and Discord: the code for a token, then who it belongs to from the user API.
async fn plain_login(
    state: &ClientState,
    plain: &Plain,
    answer: &Callback,
    pending: PendingLogin,
    now: SystemTime,
) -> Result<Login, Error> {
    let code = callback::check(
        answer,
        &Expected {
            state: &pending.state,
            // Neither sends `iss` (RFC 9207) nor advertises it: one that came anyway must
            // still name the host the request went to.
            issuer: &state.config().issuer,
            iss_advertised: false,
        },
        state.weakness_set(),
    )?;
    let response = plain.endpoints().redeem(code, pending.verifier).await?;
    let person = plain
        .person(response.access_token(), &state.config().issuer)
        .await?;
    Ok(Login::new(person, None, tokens(&response, None, now)))
}

/// The login's first tokens.
fn tokens(response: &TokenAnswer, id_token: Option<String>, now: SystemTime) -> Tokens {
    Tokens {
        access_token: response.access_token().clone(),
        refresh_token: response.refresh_token().cloned(),
        expires_at: response.expires_in().map(|lifetime| now + lifetime),
        id_token,
        generation: 1,
    }
}

fn no_pending(why: &str) -> Error {
    Error::new(Check::NoPendingLogin, why)
}
