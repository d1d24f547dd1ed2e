//! `/backchannel-logout` (OpenID Connect Back-Channel Logout 1.0): the provider posts a logout
//! token when a login session there ends; once it is validated (§2.6), every session of this
//! client that came from that login session (its `sid`, or the subject when the token names no
//! session) is ended. 200 when done, 400 with an error for a token it refuses (§2.8).

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::config::Weakness;
use crate::{ClientState, paths};

/// The event a logout token must carry (§2.4).
const EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// How far a logout token's `iat` may be ahead of this client's clock.
const FUTURE_SKEW_SECS: u64 = 60;

pub fn router() -> Router<ClientState> {
    Router::new().route(
        paths::BACKCHANNEL_LOGOUT,
        axum::routing::post(backchannel_logout),
    )
}

async fn backchannel_logout(
    State(state): State<ClientState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let answer = |status: StatusCode, body: Value| {
        let mut response = (status, axum::Json(body)).into_response();
        response.headers_mut().insert(
            axum::http::header::CACHE_CONTROL,
            axum::http::HeaderValue::from_static("no-store"),
        );
        response
    };
    match logout(&state, &headers, &body).await {
        Ok(ended) => {
            tracing::info!(ended, "back-channel logout");
            answer(StatusCode::OK, json!({}))
        }
        Err(why) => {
            tracing::info!("back-channel logout refused: {why}");
            answer(
                StatusCode::BAD_REQUEST,
                json!({ "error": "invalid_request", "error_description": why }),
            )
        }
    }
}

/// Validates the logout token (§2.6) and ends the sessions it names; how many.
async fn logout(state: &ClientState, headers: &HeaderMap, body: &[u8]) -> Result<usize, String> {
    if !fauxauth_core::wire::is_form(headers) {
        return Err("the body must be application/x-www-form-urlencoded".into());
    }
    let token = form_urlencoded::parse(body)
        .find(|(name, _)| name == "logout_token")
        .map(|(_, value)| value.into_owned())
        .ok_or("no logout_token")?;
    let discovered = state
        .provider()
        .discovered()
        .await
        .map_err(|e| e.to_string())?;
    // §2.6 steps 1-3: a JWS by one of the provider's keys, never `none` or a MAC, typed
    // `logout+jwt` when it is typed at all.
    let unsigned = state.has(Weakness::AcceptUnsignedLogoutToken)
        && fauxauth_core::wire::unverified_header_and_claims(&token)
            .is_some_and(|(h, _)| h.get("alg").and_then(Value::as_str) == Some("none"));
    let claims = if unsigned {
        match fauxauth_core::wire::unverified_header_and_claims(&token) {
            Some((_, Value::Object(claims))) => claims,
            _ => return Err("the logout token is not a JWT".into()),
        }
    } else {
        verified(&token, &discovered)?
    };
    let sid = check_claims(state, &discovered, &claims)?;
    if state.has(Weakness::IgnoreBackchannelLogout) {
        return Ok(0);
    }
    let iss = claims
        .get("iss")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let sub = claims.get("sub").and_then(Value::as_str);
    let any_issuer = state.has(Weakness::SkipLogoutTokenIssCheck);
    // The sessions of this login session: by the `sid` its ID token carried; with no `sid`,
    // every session of the subject.
    Ok(state.sessions().end_where(|login| {
        if login.person.issuer != iss && !any_issuer {
            return false;
        }
        match &sid {
            Some(sid) => id_token_sid(login).as_deref() == Some(sid.as_str()),
            None => sub == Some(login.person.subject.as_str()),
        }
    }))
}

/// The logout token's claims, once its signature by one of the provider's keys is verified.
fn verified(
    token: &str,
    discovered: &crate::provider::Discovered,
) -> Result<Map<String, Value>, String> {
    use fauxauth_core::jose::{self, HeaderRules, Selection};
    let header = jose::check_header(
        token,
        HeaderRules {
            allowed_algs: &jose::Alg::ALL,
            required_typ: None,
        },
    )
    .map_err(|r| format!("the logout token is refused: {r}"))?;
    let typ = fauxauth_core::wire::unverified_header_and_claims(token)
        .and_then(|(h, _)| h.get("typ").and_then(Value::as_str).map(str::to_owned));
    if typ.is_some_and(|t| !t.eq_ignore_ascii_case("logout+jwt")) {
        return Err("the logout token's typ is not logout+jwt".into());
    }
    let (_, keys) = discovered.keys();
    let jwks = serde_json::to_vec(&*keys).map_err(|e| e.to_string())?;
    let (set, _) = jose::KeySet::parse(&jwks, &jose::Alg::ALL)?;
    let key = match set.select(&header) {
        Selection::Found(key) => key,
        Selection::Unknown => return Err("no key of the provider signed the logout token".into()),
        Selection::Refused(r) => return Err(format!("the logout token is refused: {r}")),
    };
    key.verify(token)
        .map_err(|r| format!("the logout token is refused: {r}"))
}

/// §2.6 step 3-6 and §2.4: `iss` the provider, `aud` this client, `iat` present and not ahead,
/// `exp` not past, the logout event, a `sub` or a `sid`, and never a `nonce`. The `sid`, if any.
fn check_claims(
    state: &ClientState,
    discovered: &crate::provider::Discovered,
    claims: &Map<String, Value>,
) -> Result<Option<String>, String> {
    let now = fauxauth_core::unix(state.clock().now());
    let text = |name: &str| claims.get(name).and_then(Value::as_str);
    let iss = text("iss").ok_or("the logout token has no iss")?;
    if iss != discovered.issuer().metadata_issuer() && !state.has(Weakness::SkipLogoutTokenIssCheck)
    {
        return Err(format!(
            "the logout token's iss {iss:?} is not the provider"
        ));
    }
    let client_id = state.config().client_id.as_str();
    let audience = match claims.get("aud") {
        Some(Value::String(aud)) => aud == client_id,
        Some(Value::Array(auds)) => auds.iter().any(|a| a.as_str() == Some(client_id)),
        _ => false,
    };
    if !audience && !state.has(Weakness::SkipLogoutTokenAudCheck) {
        return Err("the logout token is not for this client (aud)".into());
    }
    let iat = claims
        .get("iat")
        .and_then(Value::as_u64)
        .ok_or("the logout token has no iat")?;
    if iat > now + FUTURE_SKEW_SECS {
        return Err("the logout token was issued in the future (iat)".into());
    }
    if claims
        .get("exp")
        .and_then(Value::as_u64)
        .is_some_and(|exp| exp <= now)
    {
        return Err("the logout token has expired (exp)".into());
    }
    if !state.has(Weakness::SkipLogoutEventCheck)
        && !claims
            .get("events")
            .and_then(Value::as_object)
            .is_some_and(|events| events.get(EVENT).is_some_and(Value::is_object))
    {
        return Err("the logout token has no back-channel logout event".into());
    }
    if claims.contains_key("nonce") && !state.has(Weakness::AcceptLogoutTokenNonce) {
        return Err("a logout token must not carry a nonce (§2.4)".into());
    }
    let sid = text("sid").map(str::to_owned);
    if sid.is_none() && text("sub").is_none() {
        return Err("the logout token names neither sub nor sid".into());
    }
    Ok(sid)
}

/// The `sid` of the ID token a login was made with (checked at login; read again here).
fn id_token_sid(login: &crate::session::Login) -> Option<String> {
    let id_token = login.tokens().id_token?;
    let (_, claims) = fauxauth_core::wire::unverified_header_and_claims(&id_token)?;
    claims.get("sid")?.as_str().map(str::to_owned)
}
