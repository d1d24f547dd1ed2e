//! The keys of clients that publish them at a `jwks_uri` (OpenID Connect Dynamic Client
//! Registration §2, Core §10.1.1), for `private_key_jwt`: fetched when first needed, kept, and
//! fetched again when an assertion names a key the kept set lacks (the client rotated its keys).
//!
//! A refetch happens at most [`REFETCHES_PER_MINUTE`] times a minute per URI, so that assertions
//! naming made-up keys, which anyone can send, cannot make the provider hammer a client's server.
//! A fetch is bounded in time and size, follows no redirect, and trusts the provider's own
//! authority (when it serves HTTPS) and the certificates of `SSL_CERT_FILE`, nothing else. The
//! HTTP client is made on the first fetch: a provider whose clients publish no `jwks_uri` never
//! pays for one.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use fauxauth_core::Trust;
use fauxauth_core::jose::{Alg, JoseHeader, KeySet, PinnedKey, Selection, shown};

/// How long a fetch may take.
const TIMEOUT: Duration = Duration::from_secs(5);
/// The largest JWKS taken (a set of a few RSA keys is a few KiB).
const MAX_BODY: usize = 64 * 1024;
/// How many times a minute an unknown `kid` may send the provider back to one URI.
pub const REFETCHES_PER_MINUTE: usize = 3;

/// Client key sets fetched from their `jwks_uri`, shared by a provider's issuers.
#[derive(Debug)]
pub struct ClientKeys {
    /// The provider's own authority, when it has one.
    authority: Option<Trust>,
    http: OnceLock<Result<reqwest::Client, String>>,
    cache: Mutex<HashMap<String, Cached>>,
}

#[derive(Debug, Default)]
struct Cached {
    set: Option<Arc<KeySet>>,
    /// When the set was fetched again for an unknown key, within the last minute.
    refetches: VecDeque<Instant>,
}

impl ClientKeys {
    pub fn new(authority: Option<Trust>) -> Self {
        Self {
            authority,
            http: OnceLock::new(),
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// Forgets every fetched set (a provider reset).
    pub fn forget(&self) {
        self.lock().clear();
    }

    /// The key of the set at `uri` that verifies a token with `header`.
    pub async fn key_for(&self, uri: &str, header: &JoseHeader) -> Result<Arc<PinnedKey>, String> {
        let kept = self.lock().get(uri).and_then(|c| c.set.clone());
        let fetched_now = kept.is_none();
        let set = match kept {
            Some(set) => set,
            None => self.fetch(uri).await?,
        };
        match set.select(header) {
            Selection::Found(key) => return Ok(key),
            Selection::Refused(why) => return Err(why.to_string()),
            Selection::Unknown if fetched_now => return Err(unknown(uri, header)),
            Selection::Unknown => {}
        }
        if !self.may_refetch(uri) {
            return Err(format!(
                "{}; the jwks_uri was fetched again {REFETCHES_PER_MINUTE} times in the last \
                 minute, and is not fetched again before that minute is over",
                unknown(uri, header)
            ));
        }
        match self.fetch(uri).await?.select(header) {
            Selection::Found(key) => Ok(key),
            Selection::Refused(why) => Err(why.to_string()),
            Selection::Unknown => Err(unknown(uri, header)),
        }
    }

    fn may_refetch(&self, uri: &str) -> bool {
        let now = Instant::now();
        let mut cache = self.lock();
        let refetches = &mut cache.entry(uri.to_owned()).or_default().refetches;
        while refetches
            .front()
            .is_some_and(|t| now.duration_since(*t) >= Duration::from_secs(60))
        {
            refetches.pop_front();
        }
        if refetches.len() >= REFETCHES_PER_MINUTE {
            return false;
        }
        refetches.push_back(now);
        true
    }

    /// Fetches the set at `uri` and keeps it.
    async fn fetch(&self, uri: &str) -> Result<Arc<KeySet>, String> {
        let failed = |why: String| format!("the client's jwks_uri {} {why}", shown(uri));
        let http = self.http()?;
        let mut response = http
            .get(uri)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| failed(format!("could not be fetched: {}", error_chain(&e))))?;
        if response.status() != reqwest::StatusCode::OK {
            return Err(failed(format!("answered {}", response.status())));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| failed(format!("could not be read: {}", error_chain(&e))))?
        {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(failed(format!("answered more than {MAX_BODY} bytes")));
            }
            body.extend_from_slice(&chunk);
        }
        let (set, skipped) = KeySet::parse(&body, &Alg::ALL).map_err(failed)?;
        if !skipped.is_empty() {
            tracing::info!(
                jwks_uri = uri,
                ?skipped,
                "keys of a client's jwks_uri left out"
            );
        }
        let set = Arc::new(set);
        self.lock().entry(uri.to_owned()).or_default().set = Some(set.clone());
        Ok(set)
    }

    pub(crate) fn http(&self) -> Result<&reqwest::Client, String> {
        self.http
            .get_or_init(|| {
                let mut trust = self.authority.clone().unwrap_or_default();
                if let Some(bundle) = std::env::var_os("SSL_CERT_FILE") {
                    trust
                        .add_pem_file(std::path::Path::new(&bundle), "SSL_CERT_FILE")
                        .map_err(|e| e.to_string())?;
                }
                reqwest::Client::builder()
                    .use_preconfigured_tls(trust.client_config())
                    .redirect(reqwest::redirect::Policy::none())
                    .timeout(TIMEOUT)
                    .build()
                    .map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Cached>> {
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn unknown(uri: &str, header: &JoseHeader) -> String {
    match &header.kid {
        Some(kid) => format!(
            "no key at the client's jwks_uri {} has kid {}",
            shown(uri),
            shown(kid)
        ),
        None => format!(
            "the client's jwks_uri {} has no key for {}",
            shown(uri),
            header.alg
        ),
    }
}

/// An error and its sources, as one line ("connection refused" is a source of reqwest's error).
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
