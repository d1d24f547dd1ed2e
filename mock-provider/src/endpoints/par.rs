//! Pushed authorization requests (RFC 9126): the client posts its authorization request to the
//! PAR endpoint, authenticated as at the token endpoint, and gets a `request_uri` to send the
//! browser to the authorization endpoint with. The request is judged when pushed, as the
//! authorization endpoint would judge it, and again when it is used.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::client_auth::authenticate;
use crate::error::{Error, json_no_store};
use crate::issuer::Issuer;
use crate::preset::Endpoint;
use crate::protocol::authorize::AuthorizationRequest;
use crate::protocol::params::Params;
use crate::store::Pushed;

/// The prefix of the `request_uri`s it hands out (RFC 9126 §2.2).
pub const REQUEST_URI_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";

pub(super) async fn push(
    State(issuer): State<Arc<Issuer>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match handle(&issuer, &headers, &body).await {
        Ok(answer) => json_no_store(StatusCode::CREATED, &answer),
        Err(e) => e.into_response(),
    }
}

async fn handle(
    issuer: &Issuer,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<serde_json::Value, Error> {
    let params = super::form_body(headers, body)?;
    let auth = authenticate(issuer, headers, &params, Endpoint::Par).await?;
    let client = &auth.client;
    // §2.1: a request_uri cannot be pushed; the client_id, when sent, is the client's own.
    if params.has("request_uri") {
        return Err(Error::invalid_request(
            "request_uri must not be pushed (RFC 9126 §2.1)",
        ));
    }
    match super::param(&params, "client_id")? {
        Some(id) if id != client.client_id => {
            return Err(Error::invalid_request(
                "client_id is not the authenticated client's (RFC 9126 §2.1)",
            ));
        }
        _ => {}
    }
    // The authorization request as pushed, with the client's id, judged as the authorization
    // endpoint judges it: a refusal is answered here, as JSON (§2.3).
    let mut pairs: Vec<(String, String)> = form_urlencoded::parse(body)
        .into_owned()
        .filter(|(name, _)| !super::client_auth::CREDENTIAL_PARAMS.contains(&name.as_str()))
        .collect();
    if !pairs.iter().any(|(name, _)| name == "client_id") {
        pairs.push(("client_id".into(), client.client_id.clone()));
    }
    let form = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&pairs)
        .finish();
    if let Err(refused) =
        AuthorizationRequest::parse(issuer, &Params::parse(form.as_bytes()), false)
    {
        return Err(match refused {
            Error::Page { detail, .. } => Error::invalid_request(detail),
            Error::Redirect(r) => Error::Json {
                error: r.error,
                description: r.description,
            },
            other => other,
        });
    }
    let now = issuer.now();
    let lifetime = issuer.settings.lifetimes.request_uri;
    let request_uri = format!("{REQUEST_URI_PREFIX}{}", issuer.random_token());
    issuer.store().push_request(
        request_uri.clone(),
        Pushed {
            client_id: client.client_id.clone(),
            form,
            expires_at: now + lifetime,
        },
        now,
    );
    Ok(json!({ "request_uri": request_uri, "expires_in": lifetime.as_secs() }))
}
