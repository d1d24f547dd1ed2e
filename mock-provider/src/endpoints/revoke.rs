//! Token revocation (RFC 7009).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::client_auth::authenticate;
use crate::error::{Error, no_store};
use crate::issuer::Issuer;
use crate::store::Revoked;
use crate::tokens::AccessTokenClaims;

pub(super) async fn revoke(
    State(issuer): State<Arc<Issuer>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match handle(&issuer, &headers, &body).await {
        Ok(()) => {
            let mut response = StatusCode::OK.into_response();
            no_store(&mut response);
            response
        }
        Err(e) => e.into_response(),
    }
}

/// RFC 7009 §2.1: the client authenticates; the token is looked up whatever `token_type_hint`
/// says; a refresh token takes its whole grant with it (and so every access token of it); an
/// unknown or invalid token still gets 200 (§2.2). A token of another client is refused and
/// stays valid. With `quirks.revocation_ends_grant` (Discord) an access token takes its grant
/// too.
async fn handle(issuer: &Issuer, headers: &HeaderMap, body: &[u8]) -> Result<(), Error> {
    let params = super::form_body(headers, body)?;
    let auth = authenticate(issuer, headers, &params, crate::preset::Endpoint::Revoke).await?;
    let token = params
        .get("token")
        .map_err(|e| Error::invalid_request(e.to_string()))?
        .ok_or_else(|| Error::invalid_request("token is required"))?;
    // The hint is only a hint (§2.1): any value is read, none narrows the search.
    params
        .get("token_type_hint")
        .map_err(|e| Error::invalid_request(e.to_string()))?;
    // An opaque access token is recorded under its own value.
    let jti = if crate::tokens::is_opaque(issuer, token) {
        Some(token.to_owned())
    } else {
        issuer
            .verify_jwt::<AccessTokenClaims>(token)
            .filter(|(c, _)| c.iss == issuer.url)
            .map(|(c, _)| c.jti)
    };
    match issuer.store().revoke(
        token,
        jti.as_deref(),
        &auth.client.client_id,
        issuer.quirks.revocation_ends_grant,
    ) {
        Revoked::OtherClient => Err(Error::invalid_grant(
            "the token was issued to another client",
        )),
        Revoked::RefreshToken | Revoked::AccessToken | Revoked::Nothing => Ok(()),
    }
}
