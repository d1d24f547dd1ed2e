//! The device authorization grant (RFC 8628): the device authorization endpoint (§3.1-§3.2),
//! the verification page where the person types the user code (§3.3), and the device code's
//! redemption at the token endpoint (§3.4-§3.5, in `token.rs`).

use std::sync::Arc;
use std::time::SystemTime;

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use subtle::ConstantTimeEq as _;

use super::client_auth::authenticate;
use crate::config::GrantType;
use crate::error::{Error, Reason, TokenErrorCode};
use crate::html;
use crate::issuer::Issuer;
use crate::preset::Endpoint;
use crate::protocol::scope::Scopes;
use crate::store::{DeviceRequest, DeviceState};

/// How long a device waits between polls at first (RFC 8628 §3.2: 5 s when unsaid).
pub const INTERVAL: u64 = 5;

/// The user code's alphabet: consonants only, no vowels (no words), no easily confused letters
/// (RFC 8628 §6.1: base-20, 8 characters, about 34.5 bits).
const ALPHABET: &[u8; 20] = b"BCDFGHJKLMNPQRSTVWXZ";

pub(super) async fn device_authorization(
    State(issuer): State<Arc<Issuer>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = authorize_device(&issuer, &headers, &body).await;
    crate::preset::device_answer(&issuer, result, &headers, &body)
}

/// RFC 8628 §3.1-§3.2: the client (a public one names itself) asks for `scope`; the answer is a
/// device code for it, a user code for the person, where to type it, how long it lives and how
/// often to poll.
async fn authorize_device(
    issuer: &Issuer,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Value, Error> {
    let params = super::form_body(headers, body)?;
    if let Some(name) = params.first_repeated(&["scope", "client_id"]) {
        return Err(Error::invalid_request(format!(
            "parameter {name} must not be repeated"
        )));
    }
    let auth = authenticate(issuer, headers, &params, Endpoint::DeviceAuthorization).await?;
    let client = &auth.client;
    if !client.allows_grant(GrantType::DeviceCode) {
        return Err(Error::token(
            TokenErrorCode::UnauthorizedClient,
            "this client is not allowed the device authorization grant",
        )
        .because(Reason::DeviceGrantNotAllowed));
    }
    let scope = params
        .get("scope")
        .map_err(|e| Error::invalid_request(e.to_string()))?
        .map(Scopes::parse)
        .transpose()
        .map_err(|e| Error::token(TokenErrorCode::InvalidScope, e.to_string()))?
        .unwrap_or_default();
    if let Some(problem) = issuer.scope_problem(client, &scope) {
        return Err(Error::token(TokenErrorCode::InvalidScope, problem));
    }
    let now = issuer.now();
    let lifetime = issuer
        .settings
        .lifetimes
        .device_code(issuer.settings.preset);
    let device_code = crate::preset::device_code(issuer);
    let user_code = user_code(issuer);
    issuer.store().insert_device(
        device_code.clone(),
        DeviceRequest {
            client_id: client.client_id.clone(),
            scope,
            user_code: user_code.clone(),
            created_at: now,
            expires_at: now + lifetime,
            interval: INTERVAL,
            last_poll: None,
            polls: 0,
            state: DeviceState::Pending,
        },
        now,
    );
    let verification_uri = issuer
        .endpoint_url(Endpoint::Device, None)
        .unwrap_or_default();
    let complete = format!(
        "{verification_uri}?user_code={}",
        form_urlencoded::byte_serialize(user_code.as_bytes()).collect::<String>()
    );
    Ok(json!({
        "device_code": device_code,
        "user_code": user_code,
        "verification_uri": verification_uri,
        "verification_uri_complete": complete,
        "expires_in": lifetime.as_secs(),
        "interval": INTERVAL,
    }))
}

/// Eight characters of [`ALPHABET`] from the issuer's generator, shown as `BCDF-GHJK`.
fn user_code(issuer: &Issuer) -> String {
    let letters = issuer.random_chars(ALPHABET, 8);
    format!("{}-{}", &letters[..4], &letters[4..])
}

#[derive(Debug, serde::Deserialize)]
pub(super) struct PageQuery {
    #[serde(default)]
    user_code: Option<String>,
}

/// The verification page (`verification_uri`), the code filled in from
/// `verification_uri_complete`.
pub(super) async fn device_page(
    State(issuer): State<Arc<Issuer>>,
    Query(query): Query<PageQuery>,
) -> Response {
    page(
        &issuer,
        StatusCode::OK,
        query.user_code.as_deref().unwrap_or(""),
        None,
    )
}

fn page(issuer: &Issuer, status: StatusCode, user_code: &str, error: Option<&str>) -> Response {
    let users = issuer.users();
    let names: Vec<&str> = users.iter().map(|u| u.username.as_str()).collect();
    let action = issuer
        .endpoint_url(Endpoint::Device, None)
        .unwrap_or_default();
    html::device_page(status, &issuer.url, &action, user_code, error, names)
}

/// The person's answer: the code, who they are (with the password of a user who has one), and
/// allow or deny.
pub(super) async fn device_submit(
    State(issuer): State<Arc<Issuer>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(e) = super::same_origin(&headers, &uri) {
        return e.into_response();
    }
    let params = crate::protocol::params::Params::parse(&body);
    let value = |name| params.get(name).ok().flatten().unwrap_or("");
    let (user_code, username, password) =
        (value("user_code"), value("username"), value("password"));
    let decision = match value("decision") {
        "approve" => None,
        "deny" => Some(DeviceState::Denied),
        _ => {
            return page(
                &issuer,
                StatusCode::BAD_REQUEST,
                user_code,
                Some("Choose Allow or Deny."),
            );
        }
    };
    let user = issuer.user(username).filter(|u| match &u.password {
        Some(expected) => bool::from(expected.as_bytes().ct_eq(password.as_bytes())),
        None => true,
    });
    let Some(user) = user else {
        return page(
            &issuer,
            StatusCode::BAD_REQUEST,
            user_code,
            Some("The username or the password is wrong."),
        );
    };
    let now = issuer.now();
    let state = decision.unwrap_or_else(|| approved(&user.username, now));
    match decide(&issuer, user_code, state, now) {
        Some(client_id) => {
            let (title, detail) = match value("decision") {
                "deny" => (
                    "Device denied",
                    format!("{client_id} was not allowed. You can close this page."),
                ),
                _ => (
                    "Device connected",
                    format!(
                        "{client_id} may now act for {}. Return to the device.",
                        user.username
                    ),
                ),
            };
            html::message_page(StatusCode::OK, &issuer.url, title, &detail)
        }
        None => page(
            &issuer,
            StatusCode::BAD_REQUEST,
            user_code,
            Some("That code is unknown, expired or answered already. Check the device."),
        ),
    }
}

/// An approval by `username`, logged in at `now`.
pub fn approved(username: &str, now: SystemTime) -> DeviceState {
    DeviceState::Approved {
        username: username.to_owned(),
        auth_time: fauxauth_core::unix(now),
    }
}

/// Answers the pending device authorization with `user_code`; its client, or `None` when no
/// such authorization waits.
pub fn decide(
    issuer: &Issuer,
    user_code: &str,
    state: DeviceState,
    now: SystemTime,
) -> Option<String> {
    let mut store = issuer.store();
    let request = store.pending_device(user_code, now)?;
    request.state = state;
    Some(request.client_id.clone())
}
