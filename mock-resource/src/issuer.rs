//! The issuer as this resource sees it: a remote authorization server spoken to over HTTP and
//! the specs only. Its metadata (OIDC Discovery §4, RFC 8414 §3), its keys (RFC 7517), its
//! introspection endpoint (RFC 7662) and its UserInfo endpoint (OIDC Core §5.3).
//!
//! # Fetching keys
//! Keys are loaded on first need and kept. A token naming a key the set lacks makes the resource
//! fetch the JWKS again (the issuer may have rotated), at most once per
//! `jwks_min_refetch_interval` on the injected clock, so a burst of made-up `kid`s costs the
//! issuer one request. A failed fetch is retried no sooner either, and meanwhile requests are
//! answered 503 with the same reason.
//!
//! Fetches are single-flight: they run while holding one `tokio::sync::Mutex`, the only lock held
//! across an `.await` in this crate. A request that waited for it finds the set already renewed
//! (the generation moved) and does not fetch again. The key set itself sits behind a
//! `std::sync::RwLock` that is held only to clone an `Arc`.
//!
//! # Presets
//! A preset's provider is not discovered (GitHub has no metadata at all): its metadata is known
//! from the configuration, with introspection at `{issuer}/introspect` and no UserInfo.

use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use fauxauth_core::Clock;
use reqwest::header;
use serde::Deserialize;
use serde_json::{Map, Value};

use fauxauth_core::preset::{self, Preset};

use crate::config::{Alg, Config};
use crate::protocol::invalid::Invalid;
use fauxauth_core::jose::{JoseHeader, KeySet, PinnedKey, Selection};

/// How long one request to the issuer may take, in real time (a transport limit, not a protocol
/// decision, so it does not follow the virtual clock).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// The issuer could not be asked. The text is safe to show; the details were logged.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unavailable(pub String);

/// Why a key could not be had for a token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KeyRefusal {
    Invalid(Invalid),
    Unavailable(Unavailable),
}

/// The parts of the issuer's metadata this resource uses.
#[derive(Clone, Debug, Deserialize)]
pub struct Metadata {
    pub issuer: String,
    #[serde(default)]
    pub jwks_uri: Option<String>,
    #[serde(default)]
    pub introspection_endpoint: Option<String>,
    #[serde(default)]
    pub userinfo_endpoint: Option<String>,
}

#[derive(Debug)]
pub struct Issuer {
    url: String,
    http: reqwest::Client,
    clock: Clock,
    allowed_algs: Vec<Alg>,
    min_refetch: Duration,
    /// `Authorization: Basic ...` for introspection, computed once.
    basic: Option<String>,
    /// Where to introspect when the configuration says, instead of the metadata.
    introspection_endpoint: Option<String>,
    metadata: RwLock<Option<Arc<Metadata>>>,
    keys: RwLock<Keys>,
    fetch: tokio::sync::Mutex<FetchState>,
}

#[derive(Debug, Default)]
struct Keys {
    /// 0 until the first successful load; moves on every load.
    generation: u64,
    set: Arc<KeySet>,
}

#[derive(Debug, Default)]
struct FetchState {
    /// When the last refetch (or failed fetch) happened: the next waits the interval from then.
    throttled_from: Option<SystemTime>,
    /// Why the last fetch failed, until one succeeds.
    failure: Option<Unavailable>,
}

impl FetchState {
    fn may_fetch(&self, now: SystemTime, interval: Duration) -> bool {
        match self.throttled_from {
            None => true,
            // A clock moved backwards past the mark does not keep the issuer locked out.
            Some(from) => now
                .duration_since(from)
                .map_or(true, |since| since >= interval),
        }
    }

    fn failed(&mut self, now: SystemTime, why: Unavailable) -> Unavailable {
        self.throttled_from = Some(now);
        self.failure = Some(why.clone());
        why
    }
}

impl Issuer {
    /// Prepares to talk to `config.issuer`. No I/O: everything is fetched on first need.
    pub fn new(config: &Config) -> Result<Self, reqwest::Error> {
        let mut http = reqwest::Client::builder();
        for (name, addr) in &config.network.resolve {
            http = http.resolve(name, *addr);
        }
        let http = http
            // fauxauth's issuers live on this machine or a container network; an HTTP proxy
            // from the environment would only get in the way (and must not see test traffic).
            .no_proxy()
            .user_agent(crate::USER_AGENT)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(REQUEST_TIMEOUT)
            .use_preconfigured_tls(config.network.trust.client_config())
            .build()?;
        let basic = match (&config.client_id, &config.client_secret) {
            (Some(id), Some(secret)) => Some(basic_credentials(id, secret)),
            _ => None,
        };
        // A preset's provider is known, not discovered.
        let known = (config.preset != Preset::Generic).then(|| {
            let endpoint = config.introspection_endpoint.clone().unwrap_or_else(|| {
                format!(
                    "{}{}",
                    config.issuer.trim_end_matches('/'),
                    preset::INTROSPECT
                )
            });
            Arc::new(Metadata {
                issuer: config.issuer.clone(),
                jwks_uri: None,
                introspection_endpoint: Some(endpoint),
                userinfo_endpoint: None,
            })
        });
        Ok(Self {
            url: config.issuer.clone(),
            http,
            clock: config.clock.clone(),
            allowed_algs: config.allowed_algs.clone(),
            min_refetch: config.jwks_min_refetch_interval,
            basic,
            introspection_endpoint: config.introspection_endpoint.clone(),
            metadata: RwLock::new(known),
            keys: RwLock::new(Keys::default()),
            fetch: tokio::sync::Mutex::new(FetchState::default()),
        })
    }

    /// The key to verify a token with this header: from the cached set, or from a refetch when
    /// the set has none and the rate limit allows.
    pub async fn key_for(&self, header: &JoseHeader) -> Result<Arc<PinnedKey>, KeyRefusal> {
        let (generation, set) = self.keys_snapshot();
        match set.select(header) {
            Selection::Found(key) => return Ok(key),
            Selection::Refused(why) => return Err(KeyRefusal::Invalid(why.into())),
            Selection::Unknown => {}
        }
        self.refresh_keys(generation)
            .await
            .map_err(KeyRefusal::Unavailable)?;
        let (_, set) = self.keys_snapshot();
        match set.select(header) {
            Selection::Found(key) => Ok(key),
            Selection::Refused(why) => Err(KeyRefusal::Invalid(why.into())),
            Selection::Unknown => Err(KeyRefusal::Invalid(match &header.kid {
                Some(kid) => Invalid::UnknownKid(kid.clone()),
                None => Invalid::NoKid {
                    alg: header.alg,
                    candidates: 0,
                },
            })),
        }
    }

    fn keys_snapshot(&self) -> (u64, Arc<KeySet>) {
        let keys = self.keys.read().unwrap_or_else(|e| e.into_inner());
        (keys.generation, keys.set.clone())
    }

    /// Loads the JWKS unless someone else did since generation `seen`, or the rate limit says
    /// wait (then the last failure, if any, is the answer).
    async fn refresh_keys(&self, seen: u64) -> Result<(), Unavailable> {
        let mut fetch = self.fetch.lock().await;
        if self.keys_snapshot().0 != seen {
            return Ok(());
        }
        let now = self.clock.now();
        if !fetch.may_fetch(now, self.min_refetch) {
            return fetch.failure.clone().map_or(Ok(()), Err);
        }
        let loaded = match self.metadata_locked(&mut fetch).await {
            Ok(metadata) => self.fetch_keys(&metadata).await,
            Err(why) => Err(why),
        };
        match loaded {
            Ok(set) => {
                let mut keys = self.keys.write().unwrap_or_else(|e| e.into_inner());
                keys.generation += 1;
                keys.set = Arc::new(set);
                drop(keys);
                // The first load is free; every later one is a refetch and starts the interval.
                if seen != 0 {
                    fetch.throttled_from = Some(now);
                }
                fetch.failure = None;
                Ok(())
            }
            Err(why) => Err(fetch.failed(now, why)),
        }
    }

    async fn fetch_keys(&self, metadata: &Metadata) -> Result<KeySet, Unavailable> {
        let unavailable = || Unavailable("the issuer's keys could not be fetched".to_owned());
        let Some(jwks_uri) = &metadata.jwks_uri else {
            tracing::warn!(issuer = %self.url, "the issuer's metadata has no jwks_uri");
            return Err(unavailable());
        };
        let body = self.get(jwks_uri).await.map_err(|detail| {
            tracing::warn!(issuer = %self.url, %jwks_uri, "JWKS fetch failed: {detail}");
            unavailable()
        })?;
        let (set, skipped) = KeySet::parse(&body, &self.allowed_algs).map_err(|detail| {
            tracing::warn!(issuer = %self.url, %jwks_uri, "JWKS unusable: {detail}");
            unavailable()
        })?;
        for why in skipped {
            tracing::warn!(issuer = %self.url, %jwks_uri, "JWKS key skipped: {why}");
        }
        tracing::debug!(issuer = %self.url, keys = set.len(), "JWKS loaded");
        Ok(set)
    }

    /// The issuer's metadata, discovered on first need.
    pub async fn metadata(&self) -> Result<Arc<Metadata>, Unavailable> {
        if let Some(metadata) = self.cached_metadata() {
            return Ok(metadata);
        }
        let mut fetch = self.fetch.lock().await;
        self.metadata_locked(&mut fetch).await
    }

    fn cached_metadata(&self) -> Option<Arc<Metadata>> {
        self.metadata
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Discovery, for a caller holding the fetch lock.
    async fn metadata_locked(&self, fetch: &mut FetchState) -> Result<Arc<Metadata>, Unavailable> {
        if let Some(metadata) = self.cached_metadata() {
            return Ok(metadata);
        }
        let now = self.clock.now();
        if !fetch.may_fetch(now, self.min_refetch)
            && let Some(why) = &fetch.failure
        {
            return Err(why.clone());
        }
        match self.discover().await {
            Ok(metadata) => {
                let metadata = Arc::new(metadata);
                *self.metadata.write().unwrap_or_else(|e| e.into_inner()) = Some(metadata.clone());
                fetch.failure = None;
                Ok(metadata)
            }
            Err(detail) => {
                tracing::warn!(issuer = %self.url, "discovery failed: {detail}");
                let why = Unavailable("the issuer's metadata could not be fetched".to_owned());
                Err(fetch.failed(now, why))
            }
        }
    }

    /// OpenID Connect Discovery first, then RFC 8414 when the former is not found.
    async fn discover(&self) -> Result<Metadata, String> {
        let [oidc, oauth] = discovery_urls(&self.url)?;
        let body = match self.get(&oidc).await {
            Ok(body) => body,
            Err(first) if first.starts_with("HTTP 404") => self
                .get(&oauth)
                .await
                .map_err(|second| format!("{oidc}: {first}; {oauth}: {second}"))?,
            Err(detail) => return Err(format!("{oidc}: {detail}")),
        };
        let metadata: Metadata = serde_json::from_slice(&body)
            .map_err(|e| format!("the metadata is not what RFC 8414 §2 describes: {e}"))?;
        // OIDC Discovery §4.3, RFC 8414 §3.3: the metadata must name the issuer it was asked for.
        if metadata.issuer != self.url {
            return Err(format!(
                "the metadata names issuer {:?}, not {:?}",
                metadata.issuer, self.url
            ));
        }
        Ok(metadata)
    }

    /// Asks the introspection endpoint about `token` (RFC 7662 §2.1), authenticating with
    /// `client_secret_basic`. Nothing is cached, so a revocation shows at once. A configured
    /// endpoint is used without discovery.
    pub async fn introspect(&self, token: &str) -> Result<Map<String, Value>, Unavailable> {
        let unavailable = || Unavailable("the issuer's introspection endpoint failed".to_owned());
        let endpoint = match &self.introspection_endpoint {
            Some(configured) => configured.clone(),
            None => {
                let metadata = self.metadata().await?;
                let Some(endpoint) = metadata.introspection_endpoint.clone() else {
                    tracing::warn!(issuer = %self.url, "the issuer's metadata has no introspection_endpoint");
                    return Err(unavailable());
                };
                endpoint
            }
        };
        let endpoint = &endpoint;
        let Some(basic) = &self.basic else {
            tracing::error!("introspection without credentials; Config::validate prevents this");
            return Err(unavailable());
        };
        let form = form_urlencoded::Serializer::new(String::new())
            .append_pair("token", token)
            .append_pair("token_type_hint", "access_token")
            .finish();
        let request = self
            .http
            .post(endpoint)
            .header(header::AUTHORIZATION, basic)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "application/json")
            .body(form);
        let body = send(request).await.map_err(|detail| {
            tracing::warn!(issuer = %self.url, %endpoint, "introspection failed: {detail}");
            unavailable()
        })?;
        serde_json::from_slice(&body).map_err(|e| {
            tracing::warn!(issuer = %self.url, %endpoint, "introspection answer is not a JSON object: {e}");
            unavailable()
        })
    }

    /// The issuer's UserInfo answer for `token` (OIDC Core §5.3), if it has the endpoint and
    /// answers a JSON object. Failures only mean there is no user data to show.
    pub async fn userinfo(&self, token: &str) -> Option<Map<String, Value>> {
        let metadata = self.metadata().await.ok()?;
        let endpoint = metadata.userinfo_endpoint.as_deref()?;
        let request = self
            .http
            .get(endpoint)
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::ACCEPT, "application/json");
        match send(request).await {
            Ok(body) => serde_json::from_slice(&body).ok(),
            Err(detail) => {
                tracing::debug!(issuer = %self.url, %endpoint, "userinfo failed: {detail}");
                None
            }
        }
    }

    async fn get(&self, url: &str) -> Result<Vec<u8>, String> {
        send(
            self.http
                .get(url)
                .header(header::ACCEPT, "application/json"),
        )
        .await
    }
}

/// Sends `request`; a body on 200, otherwise a description (starting `HTTP {status}` when the
/// issuer answered).
async fn send(request: reqwest::RequestBuilder) -> Result<Vec<u8>, String> {
    let response = request.send().await.map_err(|e| e.to_string())?;
    let status = response.status();
    if status != reqwest::StatusCode::OK {
        return Err(format!("HTTP {}", status.as_u16()));
    }
    let body = response.bytes().await.map_err(|e| e.to_string())?;
    Ok(body.to_vec())
}

/// Where the metadata of `issuer` lives: OIDC Discovery §4.1 appends the well-known path to the
/// issuer; RFC 8414 §3.1 inserts it between the host and the issuer's path.
fn discovery_urls(issuer: &str) -> Result<[String; 2], String> {
    let url = url::Url::parse(issuer).map_err(|e| format!("{issuer:?} is not a URL: {e}"))?;
    let path = url.path().trim_end_matches('/');
    let origin = url.origin().ascii_serialization();
    Ok([
        format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        ),
        format!("{origin}/.well-known/oauth-authorization-server{path}"),
    ])
}

/// `client_secret_basic` (RFC 6749 §2.3.1): id and secret are form-urlencoded (Appendix B)
/// before they are joined and base64-encoded, so a `:` in either survives.
fn basic_credentials(client_id: &str, client_secret: &str) -> String {
    let encode = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let pair = format!("{}:{}", encode(client_id), encode(client_secret));
    format!("Basic {}", B64.encode(pair))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discovery_urls_follow_oidc_and_rfc_8414() {
        assert_eq!(
            discovery_urls("http://127.0.0.1:9000").unwrap(),
            [
                "http://127.0.0.1:9000/.well-known/openid-configuration",
                "http://127.0.0.1:9000/.well-known/oauth-authorization-server",
            ]
        );
        assert_eq!(
            discovery_urls("http://127.0.0.1:9000/tenant-a/").unwrap(),
            [
                "http://127.0.0.1:9000/tenant-a/.well-known/openid-configuration",
                "http://127.0.0.1:9000/.well-known/oauth-authorization-server/tenant-a",
            ]
        );
    }

    #[test]
    fn basic_credentials_are_form_urlencoded_before_base64() {
        // "my client" : "s3:cr/t+" encodes to "my+client:s3%3Acr%2Ft%2B".
        assert_eq!(
            basic_credentials("my client", "s3:cr/t+"),
            format!("Basic {}", B64.encode("my+client:s3%3Acr%2Ft%2B"))
        );
    }

    #[test]
    fn the_rate_limit_counts_from_the_last_refetch_and_forgives_a_clock_moved_back() {
        let t0 = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000);
        let interval = Duration::from_secs(10);
        let mut state = FetchState::default();
        assert!(state.may_fetch(t0, interval));
        state.throttled_from = Some(t0);
        assert!(!state.may_fetch(t0 + Duration::from_secs(9), interval));
        assert!(state.may_fetch(t0 + interval, interval));
        assert!(state.may_fetch(t0 - Duration::from_secs(1), interval));
    }
}
