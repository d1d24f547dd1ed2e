//! The bearer check in front of every route: find the token (RFC 6750 §2), validate it, and hand
//! it to the handler as an [`AccessToken`] extension, or answer with the challenge of §3. The
//! presets' routes use the same check through `presets::authenticate`, with their provider's
//! refusal.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::ResourceState;
use crate::error::Error;
use crate::protocol::bearer::{self, Accept, Via};

/// The largest form body read to look for `access_token` (RFC 6750 §2.2).
const FORM_LIMIT: usize = 64 * 1024;

pub async fn authenticate(
    State(state): State<ResourceState>,
    request: Request,
    next: Next,
) -> Response {
    let accept = state.accept();
    match authorize(&state, request, accept).await {
        Ok((request, via)) => pass(request, via, next).await,
        Err(e) => e.into_response(),
    }
}

pub(crate) async fn pass(request: Request, via: Via, next: Next) -> Response {
    let mut response = next.run(request).await;
    if via == Via::Query {
        private(&mut response);
    }
    response
}

pub(crate) async fn authorize(
    state: &ResourceState,
    request: Request,
    accept: Accept,
) -> Result<(Request, Via), Error> {
    let realm = state.realm();
    let (mut parts, body) = request.into_parts();
    // A form body may carry the token; it is read here and handed on unchanged.
    let (form, body) = if bearer::is_form(&parts.headers) {
        let bytes = axum::body::to_bytes(body, FORM_LIMIT).await.map_err(|_| {
            Error::invalid_request(realm, "the form body is unreadable or too large")
        })?;
        (Some(bytes.clone()), Body::from(bytes))
    } else {
        (None, body)
    };
    let presented = bearer::bearer_token(
        &parts.method,
        &parts.headers,
        parts.uri.query(),
        form.as_deref(),
        accept,
    )
    .map_err(|malformed| Error::invalid_request(realm, malformed.to_string()))?
    .ok_or_else(|| Error::Unauthenticated {
        realm: realm.to_owned(),
    })?;
    let token = state.verify(&presented.token).await?;
    check_binding(state, &parts, &presented, &token)?;
    parts.extensions.insert(token);
    Ok((Request::from_parts(parts, body), presented.via))
}

/// RFC 9449 §7: a token bound to a key (`cnf.jkt`) comes as `DPoP`, with a proof by that key
/// for this request and this token, used once; an unbound one comes as `Bearer`.
fn check_binding(
    state: &ResourceState,
    parts: &axum::http::request::Parts,
    presented: &bearer::Presented,
    token: &crate::token::AccessToken,
) -> Result<(), Error> {
    use fauxauth_core::dpop;
    let realm = state.realm();
    let bound = token
        .claims
        .get("cnf")
        .and_then(|cnf| cnf.get("jkt"))
        .and_then(serde_json::Value::as_str);
    // The URL the request was sent to, as it arrived.
    let host = parts
        .headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| parts.uri.authority().map(|a| a.as_str()))
        .unwrap_or_default();
    let scheme = if state.config().network.tls.is_some() {
        "https"
    } else {
        "http"
    };
    let url = format!("{scheme}://{host}{}", parts.uri.path());
    let now = fauxauth_core::unix(fauxauth_core::Scripted::clock(state).now());
    let expected = dpop::Expected {
        method: parts.method.as_str(),
        url: &url,
        now,
        access_token: Some(token.as_str()),
        nonces: None,
    };
    let proof = dpop::check_presented(
        parts.headers.get_all("dpop").iter(),
        presented.dpop,
        bound,
        &expected,
    )
    .map_err(|r| Error::dpop(r.code, realm, r.description))?;
    if let Some(proof) = proof
        && !state.spend_dpop_proof(&proof, now)
    {
        return Err(Error::dpop(
            "invalid_dpop_proof",
            realm,
            "the DPoP proof's jti was used before: a proof is good for one request (RFC 9449 \
             §11.1)",
        ));
    }
    Ok(())
}

/// RFC 6750 §2.3: a response to a request with the token in its URI SHOULD carry
/// `Cache-Control: private`.
fn private(response: &mut Response) {
    let headers = response.headers_mut();
    let value = match headers
        .get(header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
    {
        None => "private".to_owned(),
        Some(existing) if existing.to_ascii_lowercase().contains("private") => return,
        Some(existing) => format!("{existing}, private"),
    };
    if let Ok(value) = HeaderValue::from_str(&value) {
        headers.insert(header::CACHE_CONTROL, value);
    }
}
