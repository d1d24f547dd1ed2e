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
///
/// The provider's pages say `Referrer-Policy: no-referrer`, under which Chromium sends
/// `Origin: null` even from the page's own origin; such a post passes only when the browser
/// itself says it is same-origin (`Sec-Fetch-Site`, which no page can set).
fn same_origin(headers: &HeaderMap, uri: &Uri) -> Result<(), Error> {
    let Some(origin) = headers.get(header::ORIGIN) else {
        return Ok(());
    };
    let fetched_from = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if origin.as_bytes() == b"null" && fetched_from == Some("same-origin") {
        return Ok(());
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.insert(*name, value.parse().unwrap());
        }
        headers
    }

    #[test]
    fn only_the_providers_own_pages_post_its_forms() {
        let uri: Uri = "/login".parse().unwrap();
        let own = [("host", "127.0.0.1:9000")];
        assert!(
            same_origin(&headers(&own), &uri).is_ok(),
            "no Origin: no browser"
        );
        let from = |origin, site| {
            headers(&[
                ("host", "127.0.0.1:9000"),
                ("origin", origin),
                ("sec-fetch-site", site),
            ])
        };
        assert!(same_origin(&from("http://127.0.0.1:9000", "same-origin"), &uri).is_ok());
        assert!(same_origin(&from("http://127.0.0.1:8080", "same-site"), &uri).is_err());
        // Chromium under `Referrer-Policy: no-referrer`: the browser vouches for the origin.
        assert!(same_origin(&from("null", "same-origin"), &uri).is_ok());
        // A sandboxed page elsewhere is null too, and the browser says where it is.
        assert!(same_origin(&from("null", "cross-site"), &uri).is_err());
        assert!(
            same_origin(
                &headers(&[("host", "127.0.0.1:9000"), ("origin", "null")]),
                &uri
            )
            .is_err()
        );
    }
}
