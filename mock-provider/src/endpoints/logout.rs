//! RP-Initiated Logout 1.0: the end-session endpoint.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::{Cookie, CookieJar};
use serde::Deserialize;

use crate::error::{Error, redirect};
use crate::html;
use crate::issuer::Issuer;
use crate::protocol::params::Params;
use crate::protocol::redirect::with_query;

pub(super) async fn logout_get(
    State(issuer): State<Arc<Issuer>>,
    jar: CookieJar,
    RawQuery(query): RawQuery,
) -> Response {
    let params = Params::parse(query.unwrap_or_default().as_bytes());
    logout(&issuer, jar, &params, false).unwrap_or_else(IntoResponse::into_response)
}

pub(super) async fn logout_post(
    State(issuer): State<Arc<Issuer>>,
    jar: CookieJar,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match super::form_body(&headers, &body) {
        Ok(params) => {
            logout(&issuer, jar, &params, true).unwrap_or_else(IntoResponse::into_response)
        }
        Err(_) => bad("A logout request sent by POST must be form-encoded.".into()).into_response(),
    }
}

fn bad(detail: String) -> Error {
    Error::page(StatusCode::BAD_REQUEST, "Logout request refused", detail)
}

#[derive(Deserialize)]
struct Hint {
    iss: String,
    aud: Audience,
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
fn logout(
    issuer: &Issuer,
    jar: CookieJar,
    params: &Params,
    via_post: bool,
) -> Result<Response, Error> {
    if let Some(name) = params.first_repeated(&[
        "id_token_hint",
        "post_logout_redirect_uri",
        "state",
        "client_id",
    ]) {
        return Err(bad(format!("The parameter {name} is repeated.")));
    }
    let get = |name| params.get(name).ok().flatten();
    let hinted_client = match get("id_token_hint") {
        None => None,
        Some(token) => {
            let (hint, _) = issuer
                .verify_jwt::<Hint>(token)
                .filter(|(h, _)| h.iss == issuer.url)
                .ok_or_else(|| bad("The id_token_hint was not issued by this provider.".into()))?;
            Some(match hint.aud {
                Audience::One(aud) => aud,
                Audience::Many(mut auds) if auds.len() == 1 => auds.remove(0),
                Audience::Many(_) => {
                    return Err(bad("The id_token_hint has several audiences.".into()));
                }
            })
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

    // End the session (idempotent: not being logged in is not an error, §4).
    let jar = match jar
        .get(super::authorize::SESSION_COOKIE)
        .map(|c| c.value().to_owned())
    {
        Some(id) => {
            issuer.store().end_session(&id);
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
    Ok((jar, response).into_response())
}
