//! One module per endpoint, each a thin adapter from HTTP to the protocol core.

pub mod authorize;
mod client_auth;
mod device;
mod discovery;
mod introspect;
mod logout;
mod par;
mod revoke;
mod slack_install;
mod token;
mod token_exchange;
mod userinfo;

use std::sync::Arc;

use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::routing::{MethodRouter, get, post};
use axum::{Extension, Router};

use crate::error::Error;
use crate::issuer::Issuer;
use crate::preset::{Endpoint, Layout};
use crate::protocol::params::Params;

pub use device::{approved as device_approved, decide as decide_device};
pub use discovery::metadata_router;

/// Every route of one issuer, relative to its path, as its layout places them. A Microsoft
/// route carries the tenant segment it was reached through as a request extension.
pub fn router(layout: &Layout) -> Router<Arc<Issuer>> {
    let mut router = Router::new();
    for route in layout.routes() {
        let mut methods = methods(route.endpoint);
        if let Some(tenant) = &route.tenant {
            methods = methods.layer(Extension(tenant.clone()));
        }
        if route.install {
            methods = methods.layer(Extension(crate::preset::Install));
        }
        router = router.route(&route.path, methods);
    }
    router
}

/// The handlers of an endpoint, by method.
fn methods(endpoint: Endpoint) -> MethodRouter<Arc<Issuer>> {
    let post_only = || async { Error::MethodNotAllowed { allow: "POST" } };
    match endpoint {
        Endpoint::Discovery | Endpoint::Metadata => get(discovery::openid_configuration),
        Endpoint::Jwks => get(discovery::jwks),
        Endpoint::Authorize => get(authorize::authorize_get).post(authorize::authorize_post),
        Endpoint::Login => post(authorize::login),
        Endpoint::Consent => post(authorize::consent),
        Endpoint::Token => post(token::token).fallback(post_only),
        // OIDC Core §5.3.1: the endpoint MUST support GET and POST.
        Endpoint::Userinfo => get(userinfo::userinfo).post(userinfo::userinfo),
        Endpoint::Revoke => post(revoke::revoke).fallback(post_only),
        Endpoint::Introspect => post(introspect::introspect).fallback(post_only),
        // RP-Initiated Logout §2: the OP MUST support GET and POST.
        Endpoint::Logout => get(logout::logout_get).post(logout::logout_post),
        Endpoint::DeviceAuthorization => post(device::device_authorization).fallback(post_only),
        Endpoint::Device => get(device::device_page).post(device::device_submit),
        Endpoint::Par => post(par::push).fallback(post_only),
    }
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

/// A parameter sent at most once (RFC 6749 §3.2: "MUST NOT be included more than once").
fn param<'a>(params: &'a Params, name: &str) -> Result<Option<&'a str>, Error> {
    params
        .get(name)
        .map_err(|e| Error::invalid_request(e.to_string()))
}

/// A REQUIRED parameter, sent once.
fn required_param<'a>(params: &'a Params, name: &str) -> Result<&'a str, Error> {
    param(params, name)?.ok_or_else(|| Error::invalid_request(format!("{name} is required")))
}

/// Refuses a form post another site's page made: one whose `Origin` (which browsers send with
/// every POST) is not this server's own. A post without `Origin` comes from no browser that
/// could be fooled, so it passes; the provider's forms are also bound to the browser by cookie.
/// The host is `Host`, or for HTTP/2 the request's `:authority`.
fn same_origin(headers: &HeaderMap, uri: &Uri) -> Result<(), Error> {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return Ok(());
    };
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| uri.authority().map(|a| a.as_str()));
    let authority = origin
        .to_str()
        .ok()
        .and_then(|o| o.split_once("://"))
        .map(|(_, authority)| authority);
    match (authority, host) {
        (Some(authority), Some(host)) if authority.eq_ignore_ascii_case(host) => Ok(()),
        _ => Err(Error::page(
            StatusCode::FORBIDDEN,
            "Cross-site request refused",
            "This form can only be submitted from this provider's own pages.",
        )),
    }
}
