//! What may be measured: a provider on `127.0.0.1`, and nothing else. Every URL the benchmark
//! sends a request to (the issuer, and each endpoint its discovery document names) passes
//! through [`loopback`] first, so a typo or a provider advertising another host can never turn
//! the load generator on someone else's machine.

use std::net::{Ipv4Addr, SocketAddr};

use anyhow::{Context as _, bail};
use serde::Deserialize;
use url::{Host, Url};

/// `url`, if it is `http://127.0.0.1[:port]/...` (or `https://`); an error naming the problem
/// otherwise.
pub fn loopback(url: &str) -> anyhow::Result<Url> {
    let parsed = Url::parse(url).with_context(|| format!("{url:?} is not a URL"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        bail!("{url}: only http:// or https:// on 127.0.0.1 may be measured");
    }
    match parsed.host() {
        Some(Host::Ipv4(ip)) if ip == Ipv4Addr::LOCALHOST => {}
        _ => bail!("{url}: only 127.0.0.1 may be measured (this benchmark loads what it targets)"),
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        bail!("{url}: credentials in the URL are not accepted");
    }
    Ok(parsed)
}

/// The socket address of a URL that passed [`loopback`].
pub fn socket_addr(url: &Url) -> SocketAddr {
    let port = url.port_or_known_default().unwrap_or(80);
    SocketAddr::from((Ipv4Addr::LOCALHOST, port))
}

/// `{issuer}/.well-known/openid-configuration` (OpenID Connect Discovery 1.0 §4), for an issuer
/// with or without a path.
pub fn discovery_url(issuer: &Url) -> Url {
    let mut url = issuer.clone();
    let path = format!(
        "{}/.well-known/openid-configuration",
        issuer.path().trim_end_matches('/')
    );
    url.set_path(&path);
    url.set_query(None);
    url
}

/// RFC 8693's grant type.
pub const TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";

/// The endpoints a run needs, read from the provider's discovery document (each one guarded).
#[derive(Clone, Debug)]
pub struct Endpoints {
    pub discovery: Url,
    pub jwks: Url,
    pub authorize: Url,
    pub token: Url,
    /// RFC 8628's, when the provider serves it.
    pub device_authorization: Option<Url>,
    /// Whether discovery lists token exchange (RFC 8693).
    pub token_exchange: bool,
    /// Whether discovery lists DPoP's algorithms (RFC 9449 §5.1).
    pub dpop: bool,
}

#[derive(Debug, Deserialize)]
struct Metadata {
    jwks_uri: String,
    authorization_endpoint: String,
    token_endpoint: String,
    #[serde(default)]
    device_authorization_endpoint: Option<String>,
    #[serde(default)]
    grant_types_supported: Vec<String>,
    #[serde(default)]
    dpop_signing_alg_values_supported: Vec<String>,
}

impl Endpoints {
    /// Reads the endpoints from a discovery document fetched from `discovery`.
    pub fn from_metadata(discovery: Url, document: &[u8]) -> anyhow::Result<Self> {
        let metadata: Metadata = serde_json::from_slice(document).context(
            "the discovery document lacks jwks_uri, authorization_endpoint or token_endpoint",
        )?;
        Ok(Self {
            jwks: loopback(&metadata.jwks_uri)?,
            authorize: loopback(&metadata.authorization_endpoint)?,
            token: loopback(&metadata.token_endpoint)?,
            device_authorization: metadata
                .device_authorization_endpoint
                .as_deref()
                .map(loopback)
                .transpose()?,
            token_exchange: metadata
                .grant_types_supported
                .iter()
                .any(|g| g == TOKEN_EXCHANGE),
            dpop: metadata
                .dpop_signing_alg_values_supported
                .iter()
                .any(|a| a == "ES256"),
            discovery,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_accepts_127_0_0_1_with_any_port_and_path() {
        for url in [
            "http://127.0.0.1:9000",
            "http://127.0.0.1/",
            "http://127.0.0.1:41234/tenant-a",
        ] {
            assert!(loopback(url).is_ok(), "{url}");
        }
    }

    #[test]
    fn loopback_refuses_every_other_host_and_scheme() {
        for url in [
            "http://localhost:9000",
            "http://127.0.0.2:9000",
            "http://[::1]:9000",
            "http://10.0.0.1:9000",
            "http://example.com",
            "https://localhost:9000",
            "ftp://127.0.0.1:9000",
            "http://user:pw@127.0.0.1:9000",
            "127.0.0.1:9000",
            "not a url",
        ] {
            assert!(loopback(url).is_err(), "{url} got through");
        }
    }

    #[test]
    fn loopback_takes_http_and_https_on_127_0_0_1() {
        for url in ["http://127.0.0.1:9000/", "https://127.0.0.1:9443/t"] {
            assert!(loopback(url).is_ok(), "{url}");
        }
    }

    #[test]
    fn discovery_url_sits_under_the_issuer_path() {
        let root = loopback("http://127.0.0.1:9000").unwrap();
        assert_eq!(
            discovery_url(&root).as_str(),
            "http://127.0.0.1:9000/.well-known/openid-configuration"
        );
        let nested = loopback("http://127.0.0.1:9000/tenant-a/").unwrap();
        assert_eq!(
            discovery_url(&nested).as_str(),
            "http://127.0.0.1:9000/tenant-a/.well-known/openid-configuration"
        );
    }

    #[test]
    fn endpoints_on_another_host_are_refused() {
        let discovery = loopback("http://127.0.0.1:9000/.well-known/openid-configuration").unwrap();
        let good = br#"{"jwks_uri":"http://127.0.0.1:9000/jwks","authorization_endpoint":"http://127.0.0.1:9000/authorize","token_endpoint":"http://127.0.0.1:9000/token"}"#;
        let endpoints = Endpoints::from_metadata(discovery.clone(), good).unwrap();
        assert_eq!(endpoints.token.path(), "/token");
        assert_eq!(socket_addr(&endpoints.token).port(), 9000);
        let bad = br#"{"jwks_uri":"http://127.0.0.1:9000/jwks","authorization_endpoint":"http://127.0.0.1:9000/authorize","token_endpoint":"http://attacker.example/token"}"#;
        assert!(Endpoints::from_metadata(discovery, bad).is_err());
    }
}
