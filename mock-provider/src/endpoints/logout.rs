//! RP-Initiated Logout 1.0: the end-session endpoint.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar};
use serde::Deserialize;

use subtle::ConstantTimeEq as _;

use crate::error::{Error, redirect};
use crate::html;
use crate::issuer::Issuer;
use crate::protocol::params::Params;
use crate::protocol::redirect::with_query;
use crate::store::Session;

pub(super) async fn logout_get(
    State(issuer): State<Arc<Issuer>>,
    jar: CookieJar,
    uri: Uri,
    RawQuery(query): RawQuery,
) -> Response {
    let params = Params::parse(query.unwrap_or_default().as_bytes());
    answered(&issuer, logout(&issuer, jar, &params, Via::Get, uri.path())).await
}

/// The answer to a logout request, once the clients of the session it ended were told
/// (Back-Channel Logout 1.0 §2.7).
async fn answered(
    issuer: &Arc<Issuer>,
    result: Result<(Response, Option<Session>), Error>,
) -> Response {
    match result {
        Ok((response, ended)) => {
            if let Some(session) = ended {
                crate::backchannel::notify(issuer, &session).await;
            }
            response
        }
        Err(e) => e.into_response(),
    }
}

pub(super) async fn logout_post(
    State(issuer): State<Arc<Issuer>>,
    jar: CookieJar,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    // A confirmation must come from this provider's own page; so must any post that would end a
    // session unasked, though that one also needs an ID token of the session (below).
    if let Err(refused) = super::same_origin(&headers, &uri) {
        return refused.into_response();
    }
    match super::form_body(&headers, &body) {
        Ok(params) => {
            answered(
                &issuer,
                logout(&issuer, jar, &params, Via::Post, uri.path()),
            )
            .await
        }
        Err(_) => bad("A logout request sent by POST must be form-encoded.".into()).into_response(),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Via {
    Get,
    Post,
}

/// The parameters of RP-Initiated Logout §2 a confirmation form carries over.
const CARRIED: [&str; 5] = [
    "id_token_hint",
    "post_logout_redirect_uri",
    "state",
    "client_id",
    "ui_locales",
];

fn bad(detail: String) -> Error {
    Error::page(StatusCode::BAD_REQUEST, "Logout request refused", detail)
}

#[derive(Deserialize)]
struct Hint {
    iss: String,
    aud: Audience,
    sub: String,
    #[serde(default)]
    sid: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

/// RP-Initiated Logout §2–§3: validate `id_token_hint` (this OP issued it; an expired one is
/// fine), check `client_id` against it, and redirect only to a `post_logout_redirect_uri`
/// registered for that client, exactly. Otherwise log out and say so on a page.
///
/// §2: the OP "MUST ask the End-User" whether to log out when no `id_token_hint` was given, or
/// the one given does not belong to the current session. Then a confirmation page is shown,
/// whose form carries the session's own anti-forgery value: a page of another site can neither
/// read it nor end the session by linking here.
fn logout(
    issuer: &Arc<Issuer>,
    jar: CookieJar,
    params: &Params,
    via: Via,
    path: &str,
) -> Result<(Response, Option<Session>), Error> {
    let via_post = via == Via::Post;
    if let Some(name) = params.first_repeated(&[
        "id_token_hint",
        "post_logout_redirect_uri",
        "state",
        "client_id",
    ]) {
        return Err(bad(format!("The parameter {name} is repeated.")));
    }
    let get = |name| params.get(name).ok().flatten();
    let hint = match get("id_token_hint") {
        None => None,
        Some(token) => Some(
            issuer
                .verify_jwt::<Hint>(token)
                .filter(|(h, _)| h.iss == issuer.url)
                .ok_or_else(|| bad("The id_token_hint was not issued by this provider.".into()))?
                .0,
        ),
    };
    let hinted_client = match hint.as_ref().map(|h| &h.aud) {
        None => None,
        Some(Audience::One(aud)) => Some(aud.clone()),
        Some(Audience::Many(auds)) if auds.len() == 1 => Some(auds[0].clone()),
        Some(Audience::Many(_)) => {
            return Err(bad("The id_token_hint has several audiences.".into()));
        }
    };
    let client_id = match (hinted_client, get("client_id")) {
        (Some(hinted), Some(given)) if hinted != given => {
            return Err(bad(
                "client_id does not match the id_token_hint's audience.".into(),
            ));
        }
        (Some(id), _) => Some(id),
        (None, given) => given.map(str::to_owned),
    };
    let client = match &client_id {
        Some(id) => Some(
            issuer
                .client(id)
                .ok_or_else(|| bad(format!("No client is registered as {id:?}.")))?,
        ),
        None => None,
    };
    let target = match (get("post_logout_redirect_uri"), &client) {
        (None, _) => None,
        (Some(_), None) => {
            return Err(bad(
                "A post_logout_redirect_uri needs an id_token_hint or client_id to check it against.".into(),
            ));
        }
        (Some(uri), Some(client)) => {
            if !client.post_logout_redirect_uris.iter().any(|r| r == uri) {
                return Err(bad(format!(
                    "{uri:?} is not a post-logout redirect URI registered for client {:?}.",
                    client.client_id
                )));
            }
            Some(uri)
        }
    };

    let session_id = jar
        .get(super::authorize::SESSION_COOKIE)
        .map(|c| c.value().to_owned());
    let session = session_id
        .as_deref()
        .and_then(|id| issuer.store().session(id, issuer.now()).cloned());
    if let Some(session) = &session {
        let hint_is_this_session = hint.as_ref().is_some_and(|h| match &h.sid {
            Some(sid) => *sid == session.sid,
            None => issuer
                .user(&session.username)
                .is_some_and(|u| u.sub() == h.sub),
        });
        let confirmed = via_post
            && get("confirm")
                .is_some_and(|c| bool::from(c.as_bytes().ct_eq(session.csrf.as_bytes())));
        if confirmed && get("decision") == Some("stay") {
            let page = html::message_page(
                StatusCode::OK,
                &issuer.name,
                "Still signed in",
                "You stay signed in to this provider.",
            );
            return Ok((page, None));
        }
        if !hint_is_this_session && !confirmed {
            return Ok((confirmation_page(issuer, params, session, path), None));
        }
    }

    // End the session (idempotent: not being logged in is not an error, §4).
    let mut ended = None;
    let jar = match session_id {
        Some(id) => {
            ended = issuer.store().end_session(&id);
            let path = if issuer.path.is_empty() {
                "/".to_owned()
            } else {
                issuer.path.clone()
            };
            // `CookieJar::remove` would stamp `Expires` with the wall clock; `Max-Age=0` removes
            // the cookie as surely and reads no clock.
            let removal = format!(
                "{}=; Path={path}; Max-Age=0; HttpOnly; SameSite=Lax",
                super::authorize::SESSION_COOKIE
            );
            jar.add(Cookie::parse(removal).expect("a well-formed cookie"))
        }
        None => jar,
    };
    let response = match target {
        Some(uri) => {
            let state = get("state");
            let params: Vec<(&str, &str)> = state.map(|s| ("state", s)).into_iter().collect();
            redirect(&with_query(uri, &params), via_post)
        }
        None => html::message_page(
            StatusCode::OK,
            &issuer.name,
            "Signed out",
            "You are signed out of this provider.",
        ),
    };
    Ok(((jar, response).into_response(), ended))
}

/// "Sign out of this provider?", as a form that posts the request back with the session's
/// anti-forgery value.
fn confirmation_page(issuer: &Issuer, params: &Params, session: &Session, path: &str) -> Response {
    let carried: Vec<(&str, &str)> = CARRIED
        .iter()
        .filter_map(|name| Some((*name, params.get(name).ok().flatten()?)))
        .collect();
    html::logout_page(
        &issuer.name,
        &session.username,
        path,
        &session.csrf,
        carried,
    )
}
