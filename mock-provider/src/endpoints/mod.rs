//! One module per endpoint, each a thin adapter from HTTP to the protocol core.

pub mod authorize;
mod client_auth;
mod discovery;
mod introspect;
mod logout;
mod revoke;
mod token;
mod userinfo;

use std::sync::Arc;

use axum::Router;
use axum::http::HeaderMap;

use crate::error::Error;
use crate::issuer::Issuer;
use crate::protocol::params::Params;

pub use discovery::metadata_router;

/// Every route of one issuer, relative to its path.
pub fn router() -> Router<Arc<Issuer>> {
    Router::new()
        .merge(discovery::router())
        .merge(authorize::router())
        .merge(token::router())
        .merge(userinfo::router())
        .merge(revoke::router())
        .merge(introspect::router())
        .merge(logout::router())
}

/// Parses a POST body that must be `application/x-www-form-urlencoded` (RFC 6749 §3.2,
/// RFC 7009 §2.1, RFC 7662 §2.1), or says why it is not.
fn form_body(headers: &HeaderMap, body: &[u8]) -> Result<Params, Error> {
    if fauxauth_core::wire::is_form(headers) {
        Ok(Params::parse(body))
    } else {
        Err(Error::invalid_request(
            "the body must be application/x-www-form-urlencoded",
        ))
    }
}
