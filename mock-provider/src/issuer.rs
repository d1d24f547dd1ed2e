//! One running issuer: its settings, registry of clients and users, keys, store, clock and
//! random generator. Handlers get an `Arc<Issuer>` as their state.
//!
//! Locks: the registry and keys are read-mostly (`RwLock`), the store is one `Mutex`. Each is
//! taken inside a method and released before it returns, so none is ever held across `.await`.
//!
//! The discovery document and the JWKS are served from caches of their serialized bytes: the
//! metadata is rebuilt only when the registry's version moved (clients changed, or a reset), the
//! JWKS only when the set of published keys differs from the one it was made of.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, RwLock, Weak};
use std::time::{Duration, SystemTime};

use axum::body::Bytes;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use fauxauth_core::Clock;
use rand::{RngCore as _, SeedableRng as _};
use rand_chacha::ChaCha20Rng;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use crate::config::{ClientConfig, IssuerConfig, UserConfig};
use crate::keys::{KeyError, ROGUE_GENERATION, SigningAlg, SigningKey, key_index};
use crate::preset::{Active, Endpoint, Layout, Preset, Tenant};
use crate::protocol::scope::{OIDC_SCOPES, Scopes};
use crate::store::Store;

#[derive(Debug)]
pub struct Issuer {
    pub name: String,
    /// The path prefix, `""` for the root.
    pub path: String,
    /// The issuer identifier: exactly what `iss` says and what discovery advertises.
    pub url: String,
    pub settings: IssuerConfig,
    /// Where the issuer's endpoints live: `base_url` and the issuer's path. The same as `url`
    /// except for Microsoft, whose identifier adds the tenant and `/v2.0`.
    pub base: String,
    /// The Microsoft home tenant (derived from the seed unless configured); unused otherwise.
    pub tenant_id: String,
    /// The real provider's hosts, when the issuer serves under them.
    pub real_hosts: Option<fauxauth_core::preset::RealHosts>,
    /// Every route of the issuer, its preset's or fauxauth's own.
    pub layout: Layout,
    /// The quirks in force.
    pub quirks: Active,
    pub clock: Clock,
    /// The keys of clients that publish them at a `jwks_uri`, shared by the provider's issuers.
    pub client_keys: Arc<crate::client_keys::ClientKeys>,
    /// The provider's clock, rules and journal: for what the issuer sends by itself (logout
    /// tokens), which the journal records beside the requests it answered.
    pub control: fauxauth_core::control::Control,
    seed: String,
    position: usize,
    registry: RwLock<Registry>,
    keys: RwLock<KeyRing>,
    store: Mutex<Store>,
    rng: Mutex<ChaCha20Rng>,
    /// The serialized discovery document and the registry version it was built from.
    metadata: Mutex<Option<(u64, Bytes)>>,
    /// The serialized JWKS and the `kid`s it publishes, in order.
    jwks: Mutex<Option<(Vec<String>, Bytes)>>,
    /// This issuer, once it is shared: what a task it starts holds (weakly).
    me: OnceLock<Weak<Issuer>>,
    /// Sessions the clock ended are ended one caller at a time, so whoever moved the clock
    /// finds their clients told when its call returns (see `backchannel::end_expired`).
    pub ending: tokio::sync::Mutex<()>,
}

#[derive(Debug, Default)]
struct Registry {
    clients: HashMap<String, Arc<ClientConfig>>,
    /// In configuration order: the login page lists them so.
    users: Vec<Arc<UserConfig>>,
    /// Moves on every change to the clients (what the discovery document is made of).
    version: u64,
}

/// An issuer's keys: the active signer, every key it has had (published or not, retiring or
/// not), and its rogue key, made on first use and never published.
///
/// An issuer whose own algorithm is ES256 or EdDSA also has an RS256 companion (see `keys`): an
/// active companion beside the active key, made and retired with it by each rotation, listed
/// among the keys (published, withdrawn and restored like any other), and a rogue companion.
#[derive(Debug)]
struct KeyRing {
    active: Arc<SigningKey>,
    companion: Option<Arc<SigningKey>>,
    keys: Vec<KeyEntry>,
    rogue: Option<Arc<SigningKey>>,
    rogue_companion: Option<Arc<SigningKey>>,
    generation: u32,
}

#[derive(Debug)]
struct KeyEntry {
    key: Arc<SigningKey>,
    /// An RS256 companion rather than a key of the issuer's own algorithm.
    companion: bool,
    published: bool,
    /// When a rotated-out key leaves the JWKS.
    retire_at: Option<SystemTime>,
}

impl KeyEntry {
    fn is_published(&self, now: SystemTime) -> bool {
        self.published && self.retire_at.is_none_or(|t| now < t)
    }
}

/// A key as the admin API lists it.
#[derive(Clone, Debug, serde::Serialize, schemars::JsonSchema)]
pub struct KeyInfo {
    pub kid: String,
    pub alg: String,
    /// Signs new tokens (a companion: new ID tokens of the clients that ask for RS256).
    pub active: bool,
    /// The RS256 companion of an ES256 or EdDSA issuer (OpenID Connect Discovery 1.0 §3 requires
    /// RS256): it signs only the ID tokens of clients whose `id_token_signed_response_alg` is
    /// RS256, and rotates together with the issuer's own key.
    pub companion: bool,
    /// In the JWKS now.
    pub published: bool,
    /// When it leaves the JWKS (seconds since the epoch), for a rotated-out key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retires_at: Option<u64>,
}

/// Why an issuer could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("issuer {issuer:?}: key file {path}: {source}")]
    KeyFile {
        issuer: String,
        path: String,
        source: KeyError,
    },
    #[error("issuer {issuer:?}: cannot read key file {path}: {source}")]
    ReadKey {
        issuer: String,
        path: String,
        source: std::io::Error,
    },
}

/// What every issuer of one provider shares.
#[derive(Clone, Debug)]
pub struct Shared {
    pub clock: Clock,
    pub client_keys: Arc<crate::client_keys::ClientKeys>,
    pub control: fauxauth_core::control::Control,
}

impl Issuer {
    /// Builds an issuer. `position` is its place in the configuration, so that issuers of one
    /// server derive different keys from one seed.
    pub fn new(
        settings: IssuerConfig,
        path: String,
        base_url: &str,
        seed: &str,
        position: usize,
        shared: Shared,
    ) -> Result<Self, BuildError> {
        let Shared {
            clock,
            client_keys,
            control,
        } = shared;
        let keys = initial_keys(&settings, seed, position)?;
        let real_hosts = settings
            .real_hosts
            .then(|| settings.preset.real_hosts())
            .flatten();
        let base = match real_hosts {
            Some(hosts) => format!("https://{}", hosts.web),
            None => format!("{base_url}{path}"),
        };
        let tenant_id = settings.tenant_id.clone().unwrap_or_else(|| {
            fauxauth_core::preset::derived_guid(&format!(
                "fauxauth/tenant/{seed}/{}",
                settings.name
            ))
        });
        let segment = match settings.preset {
            Preset::Keycloak => settings.realm(),
            Preset::Okta => settings.authorization_server(),
            _ => &tenant_id,
        };
        let quirks = settings.quirks.resolve(settings.preset);
        let url = match settings.preset {
            _ if quirks.issuer_trailing_slash => format!("{base}/"),
            Preset::Microsoft => format!("{base}/{tenant_id}/v2.0"),
            Preset::Keycloak => format!(
                "{base}{}",
                fauxauth_core::preset::keycloak::realm_path(segment)
            ),
            Preset::Okta => format!(
                "{base}{}",
                fauxauth_core::preset::okta::issuer_path(segment)
            ),
            _ => base.clone(),
        };
        Ok(Self {
            name: settings.name.clone(),
            real_hosts,
            url,
            layout: Layout::new(settings.preset, segment),
            quirks,
            base,
            tenant_id,
            path,
            clock,
            client_keys,
            control,
            seed: seed.to_owned(),
            position,
            registry: RwLock::new(Registry::from(&settings)),
            keys: RwLock::new(keys),
            store: Mutex::new(Store::default()),
            rng: Mutex::new(ChaCha20Rng::from_seed(rng_seed(seed, &settings.name))),
            metadata: Mutex::new(None),
            jwks: Mutex::new(None),
            me: OnceLock::new(),
            ending: tokio::sync::Mutex::new(()),
            settings,
        })
    }

    /// Shares the issuer.
    pub fn shared(self) -> Arc<Self> {
        let issuer = Arc::new(self);
        let _ = issuer.me.set(Arc::downgrade(&issuer));
        issuer
    }

    /// This issuer as shared, for a task that outlives the request it starts in.
    pub fn me(&self) -> Option<Arc<Self>> {
        self.me.get().and_then(Weak::upgrade)
    }

    /// Back to the loaded configuration: clients, users, keys, generator; everything issued is
    /// forgotten.
    pub fn reset(&self) -> Result<(), BuildError> {
        self.reset_state()?;
        *self.rng.lock().unwrap_or_else(|p| p.into_inner()) =
            ChaCha20Rng::from_seed(rng_seed(&self.seed, &self.settings.name));
        Ok(())
    }

    /// As [`Issuer::reset`], but the generator runs on: no code, token or session id given
    /// out before is given out again (an app under test may remember them).
    pub fn reset_state(&self) -> Result<(), BuildError> {
        let keys = initial_keys(&self.settings, &self.seed, self.position)?;
        self.client_keys.forget();
        {
            let mut registry = write(&self.registry);
            let version = registry.version + 1;
            *registry = Registry::from(&self.settings);
            registry.version = version;
        }
        *write(&self.keys) = keys;
        *self.store() = Store::default();
        Ok(())
    }

    /// The absolute URL of an endpoint of this issuer.
    pub fn endpoint(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// How long access tokens live: as configured, but a GitHub OAuth App's and a Slack user
    /// token (without token rotation) never expire (a century stands for never; their token
    /// responses carry no `expires_in`).
    pub fn access_token_lifetime(&self) -> Duration {
        let never = match self.settings.preset {
            Preset::Github => !self.quirks.github_app_tokens,
            Preset::Slack => true,
            _ => false,
        };
        if never {
            Duration::from_secs(100 * 365 * 24 * 3600)
        } else {
            self.settings.lifetimes.access_token
        }
    }

    /// Whether authorization responses carry `iss` (RFC 9207): fauxauth's and Google's do;
    /// GitHub's and Entra's do not.
    pub fn sends_iss(&self) -> bool {
        matches!(self.settings.preset, Preset::Generic | Preset::Google)
    }

    /// The `iss` of authorization responses, empty when the preset sends none.
    pub fn response_iss(&self) -> String {
        if self.sends_iss() {
            self.url.clone()
        } else {
            String::new()
        }
    }

    /// The absolute URL of `endpoint` (through `tenant`, for Microsoft), if the issuer serves it.
    pub fn endpoint_url(&self, endpoint: Endpoint, tenant: Option<&Tenant>) -> Option<String> {
        let path = self.layout.path_of(endpoint, tenant)?;
        Some(match &self.real_hosts {
            Some(hosts) => format!("https://{}{path}", hosts.host_of(endpoint.name())),
            None => self.endpoint(path),
        })
    }

    /// The absolute URL of one route: on its real host when the issuer serves under them.
    pub fn route_url(&self, route: &crate::preset::Route) -> String {
        match &self.real_hosts {
            Some(hosts) => format!(
                "https://{}{}",
                hosts.host_of(route.endpoint.name()),
                route.path
            ),
            None => self.endpoint(&route.path),
        }
    }

    /// The path of an endpoint relative to the host, for links in pages.
    pub fn local_path(&self, path: &str) -> String {
        format!("{}{path}", self.path)
    }

    pub fn now(&self) -> SystemTime {
        self.clock.now()
    }

    /// Whether some client may use `grant` (discovery lists the password grant only then).
    pub fn some_client_allows(&self, grant: crate::config::GrantType) -> bool {
        read(&self.registry)
            .clients
            .values()
            .any(|c| c.allows_grant(grant))
    }

    /// The client authentication methods this issuer takes: every one for strict OpenID
    /// Connect; for a preset, the ones the real provider documents (Entra's certificate
    /// credentials are `private_key_jwt`; Google and GitHub take secrets only).
    pub fn auth_methods(&self) -> &'static [crate::config::AuthMethod] {
        use crate::config::AuthMethod as M;
        match self.settings.preset {
            crate::preset::Preset::Generic => &[
                M::ClientSecretBasic,
                M::ClientSecretPost,
                M::ClientSecretJwt,
                M::PrivateKeyJwt,
                M::None,
            ],
            crate::preset::Preset::Microsoft => &[
                M::ClientSecretBasic,
                M::ClientSecretPost,
                M::PrivateKeyJwt,
                M::None,
            ],
            // Apple: the (JWT) secret in the body, and nothing else.
            crate::preset::Preset::Apple => &[M::ClientSecretPost],
            _ => &[M::ClientSecretBasic, M::ClientSecretPost, M::None],
        }
    }

    pub fn client(&self, client_id: &str) -> Option<Arc<ClientConfig>> {
        read(&self.registry).clients.get(client_id).cloned()
    }

    pub fn user(&self, username: &str) -> Option<Arc<UserConfig>> {
        read(&self.registry)
            .users
            .iter()
            .find(|u| u.username == username)
            .cloned()
    }

    pub fn user_by_sub(&self, sub: &str) -> Option<Arc<UserConfig>> {
        read(&self.registry)
            .users
            .iter()
            .find(|u| u.sub() == sub)
            .cloned()
    }

    pub fn users(&self) -> Vec<Arc<UserConfig>> {
        read(&self.registry).users.clone()
    }

    /// The user a headless login picks when no `login_hint` names one.
    pub fn default_user(&self) -> Option<Arc<UserConfig>> {
        match &self.settings.default_user {
            Some(name) => self.user(name),
            None => read(&self.registry).users.first().cloned(),
        }
    }

    /// Adds a client, or replaces the one with the same id.
    pub fn put_client(&self, client: ClientConfig) {
        let mut registry = write(&self.registry);
        registry
            .clients
            .insert(client.client_id.clone(), Arc::new(client));
        registry.version += 1;
    }

    /// Adds a user, or replaces the one with the same username.
    pub fn put_user(&self, user: UserConfig) {
        let mut registry = write(&self.registry);
        let user = Arc::new(user);
        match registry
            .users
            .iter_mut()
            .find(|u| u.username == user.username)
        {
            Some(slot) => *slot = user,
            None => registry.users.push(user),
        }
    }

    /// Removes a client; whether it existed.
    pub fn remove_client(&self, client_id: &str) -> bool {
        let mut registry = write(&self.registry);
        registry.version += 1;
        registry.clients.remove(client_id).is_some()
    }

    /// Removes a user; whether they existed.
    pub fn remove_user(&self, username: &str) -> bool {
        let mut registry = write(&self.registry);
        let before = registry.users.len();
        registry.users.retain(|u| u.username != username);
        registry.users.len() != before
    }

    pub fn clients(&self) -> Vec<Arc<ClientConfig>> {
        let mut clients: Vec<_> = read(&self.registry).clients.values().cloned().collect();
        clients.sort_by(|a, b| a.client_id.cmp(&b.client_id));
        clients
    }

    /// Whether `scope` is one this issuer knows: an OpenID Connect scope, one configured on the
    /// issuer, or one some client is allowed.
    pub fn supports_scope(&self, scope: &str) -> bool {
        let registry = read(&self.registry);
        crate::config::scope_is_known(
            scope,
            &self.settings.scopes,
            registry.clients.values().map(|c| &**c),
        )
    }

    /// Why `client` may not have `scope` (RFC 6749 §3.3), if it may not: a token the issuer does
    /// not know, or one the client is not allowed.
    pub fn scope_problem(&self, client: &ClientConfig, scope: &Scopes) -> Option<String> {
        if let Some(unknown) = scope.outside(|s| self.supports_scope(s)).next() {
            return Some(format!("scope {unknown:?} is not known to this provider"));
        }
        let denied = scope.outside(|s| client.may_request(s)).next()?;
        Some(format!("this client may not request scope {denied:?}"))
    }

    /// Every scope this issuer supports, for discovery.
    pub fn scopes_supported(&self) -> Vec<String> {
        let mut out: Vec<String> = OIDC_SCOPES.iter().map(|s| (*s).to_owned()).collect();
        let registry = read(&self.registry);
        let mut clients: Vec<_> = registry.clients.values().collect();
        clients.sort_by(|a, b| a.client_id.cmp(&b.client_id));
        let extra = self
            .settings
            .scopes
            .iter()
            .chain(clients.into_iter().flat_map(|c| c.scopes.iter().flatten()));
        for scope in extra {
            if !out.contains(scope) {
                out.push(scope.clone());
            }
        }
        out
    }

    /// Whether any client may use `plain` PKCE (then discovery must say so).
    pub fn any_client_allows_plain_pkce(&self) -> bool {
        read(&self.registry)
            .clients
            .values()
            .any(|c| c.allow_plain_pkce)
    }

    /// The discovery document as served: `build`'s bytes, reused until the clients change.
    pub fn metadata_document(&self, build: impl FnOnce(&Self) -> Bytes) -> Bytes {
        // The version is read before building: should the clients change meanwhile, the
        // document is stored under the older version and rebuilt on the next request.
        let version = read(&self.registry).version;
        if let Some((v, bytes)) = &*lock(&self.metadata)
            && *v == version
        {
            return bytes.clone();
        }
        let bytes = build(self);
        *lock(&self.metadata) = Some((version, bytes.clone()));
        bytes
    }

    /// The JWKS as served: `build`'s bytes for the keys published now, reused while the same
    /// keys are published.
    pub fn jwks_document(&self, build: impl FnOnce(&[Arc<SigningKey>]) -> Bytes) -> Bytes {
        let keys = self.published_keys();
        let same = |kids: &[String]| {
            kids.iter()
                .map(String::as_str)
                .eq(keys.iter().map(|k| k.kid()))
        };
        if let Some((kids, bytes)) = &*lock(&self.jwks)
            && same(kids)
        {
            return bytes.clone();
        }
        let bytes = build(&keys);
        let kids = keys.iter().map(|k| k.kid().to_owned()).collect();
        *lock(&self.jwks) = Some((kids, bytes.clone()));
        bytes
    }

    /// The active key of the issuer's own algorithm: it signs every access token.
    pub fn signing_key(&self) -> Arc<SigningKey> {
        read(&self.keys).active.clone()
    }

    /// The active key that signs ID tokens with `alg`: the RS256 companion for RS256 on an
    /// ES256 or EdDSA issuer, the issuer's own key otherwise (configuration checks let a client
    /// ask for nothing else).
    pub fn id_token_key(&self, alg: SigningAlg) -> Arc<SigningKey> {
        let ring = read(&self.keys);
        match &ring.companion {
            Some(companion) if alg == companion.alg() => companion.clone(),
            _ => ring.active.clone(),
        }
    }

    /// The keys in the JWKS now.
    pub fn published_keys(&self) -> Vec<Arc<SigningKey>> {
        let now = self.now();
        read(&self.keys)
            .keys
            .iter()
            .filter(|e| e.is_published(now))
            .map(|e| e.key.clone())
            .collect()
    }

    /// A key of `alg` derived like the others but never published: tokens it signs must fail.
    /// The issuer's own rogue key, or for RS256 on an ES256 or EdDSA issuer a rogue companion,
    /// so that a rogue token differs from a good one by its key alone.
    pub fn rogue_key(&self, alg: SigningAlg) -> Arc<SigningKey> {
        let companion = alg == SigningAlg::RS256 && has_companion(&self.settings);
        {
            let ring = read(&self.keys);
            let slot = if companion {
                &ring.rogue_companion
            } else {
                &ring.rogue
            };
            if let Some(key) = slot {
                return key.clone();
            }
        }
        let index = key_index(self.position, ROGUE_GENERATION);
        let key = Arc::new(if companion {
            SigningKey::derive_rs256_companion(&self.seed, index)
        } else {
            SigningKey::derive(&self.seed, self.settings.signing_alg, index)
        });
        let mut ring = write(&self.keys);
        let slot = if companion {
            &mut ring.rogue_companion
        } else {
            &mut ring.rogue
        };
        slot.get_or_insert(key).clone()
    }

    /// Makes a new key the signer and publishes it; the old signer stays published for `grace`
    /// (OIDC Core §10.1.1: keep recently decommissioned keys). An RS256 companion is replaced
    /// the same way, by the companion of the new generation. Returns the new key's `kid`.
    pub fn rotate_keys(&self, grace: Duration) -> String {
        let generation = read(&self.keys).generation + 1;
        let index = key_index(self.position, generation);
        // Derived outside the lock: a new RSA key can take a moment.
        let key = Arc::new(SigningKey::derive(
            &self.seed,
            self.settings.signing_alg,
            index,
        ));
        let companion = has_companion(&self.settings)
            .then(|| Arc::new(SigningKey::derive_rs256_companion(&self.seed, index)));
        let now = self.now();
        let mut ring = write(&self.keys);
        let old: Vec<String> = std::iter::once(&ring.active)
            .chain(&ring.companion)
            .map(|k| k.kid().to_owned())
            .collect();
        for entry in &mut ring.keys {
            if old.iter().any(|kid| kid == entry.key.kid()) {
                entry.retire_at = Some(now + grace);
            }
        }
        ring.keys.push(KeyEntry {
            key: key.clone(),
            companion: false,
            published: true,
            retire_at: None,
        });
        if let Some(companion) = &companion {
            ring.keys.push(KeyEntry {
                key: companion.clone(),
                companion: true,
                published: true,
                retire_at: None,
            });
        }
        ring.active = key.clone();
        ring.companion = companion;
        ring.generation = generation;
        key.kid().to_owned()
    }

    /// Publishes or withdraws a key from the JWKS; whether the key exists.
    pub fn set_published(&self, kid: &str, published: bool) -> bool {
        let mut ring = write(&self.keys);
        match ring.keys.iter_mut().find(|e| e.key.kid() == kid) {
            Some(entry) => {
                entry.published = published;
                entry.retire_at = None;
                true
            }
            None => false,
        }
    }

    pub fn key_infos(&self) -> Vec<KeyInfo> {
        let now = self.now();
        let ring = read(&self.keys);
        let active = |kid: &str| {
            std::iter::once(&ring.active)
                .chain(&ring.companion)
                .any(|k| k.kid() == kid)
        };
        ring.keys
            .iter()
            .map(|e| KeyInfo {
                kid: e.key.kid().to_owned(),
                alg: e.key.alg().to_string(),
                active: active(e.key.kid()),
                companion: e.companion,
                published: e.is_published(now),
                retires_at: e.retire_at.map(fauxauth_core::unix),
            })
            .collect()
    }

    /// Verifies a JWT this issuer signed with one of its published keys, chosen by `kid` (or each
    /// in turn when the token names none). Only the signature and the pinned algorithm are
    /// checked; claims are the caller's.
    pub fn verify_jwt<T: DeserializeOwned>(
        &self,
        token: &str,
    ) -> Option<(T, jsonwebtoken::Header)> {
        let header = jsonwebtoken::decode_header(token).ok()?;
        let keys = self.published_keys();
        let mut candidates = keys
            .iter()
            .filter(|k| header.kid.as_deref().is_none_or(|kid| kid == k.kid()));
        candidates
            .find_map(|k| k.verify(token))
            .map(|claims| (claims, header))
    }

    pub fn store(&self) -> MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A fresh unguessable value: 256 bits, base64url (43 characters of the VSCHAR set that
    /// RFC 6749 Appendix A requires of codes and tokens; §10.10 asks for at most 2^-128 odds).
    pub fn random_token(&self) -> String {
        let mut bytes = [0u8; 32];
        self.rng
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .fill_bytes(&mut bytes);
        B64.encode(bytes)
    }

    /// `len` random characters of `[A-Za-z0-9]`, for the presets' token formats.
    pub fn random_alphanumeric(&self, len: usize) -> String {
        self.random_chars(
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
            len,
        )
    }

    /// `len` characters drawn uniformly from `alphabet` (at most 256 of them).
    pub fn random_chars(&self, alphabet: &[u8], len: usize) -> String {
        // A byte below the largest multiple of the alphabet's size maps uniformly; the rest are
        // drawn again.
        let limit = 256 - 256 % alphabet.len();
        let mut rng = self.rng.lock().unwrap_or_else(|p| p.into_inner());
        (0..len)
            .map(|_| {
                loop {
                    let b = usize::from((rng.next_u32() & 0xff) as u8);
                    if b < limit {
                        break char::from(alphabet[b % alphabet.len()]);
                    }
                }
            })
            .collect()
    }

    /// A new opaque access token in the preset's format: Google's `ya29.`, GitHub's `gho_` (an
    /// OAuth App's) or `ghu_` (a GitHub App's), Slack's `xoxp-` for a user (`for_user`) and
    /// `xoxb-` for a bot, fauxauth's own otherwise.
    pub fn new_opaque_access_token(&self, for_user: bool) -> String {
        use crate::preset::{auth0, discord, github, gitlab, google, slack};
        match self.settings.preset {
            Preset::Github if self.quirks.github_app_tokens => {
                self.prefixed(github::APP_ACCESS_PREFIX, github::ACCESS_TOKEN_BODY)
            }
            Preset::Github => {
                self.prefixed(github::OAUTH_APP_ACCESS_PREFIX, github::ACCESS_TOKEN_BODY)
            }
            Preset::Google => self.prefixed(google::ACCESS_PREFIX, 160),
            Preset::Gitlab => self.random_chars(b"0123456789abcdef", gitlab::TOKEN_HEX_DIGITS),
            Preset::Auth0 => self.random_alphanumeric(auth0::OPAQUE_TOKEN_LENGTH),
            Preset::Discord => self.random_alphanumeric(discord::TOKEN_LENGTH),
            Preset::Apple => self.apple_token('a'),
            // `xoxp-` (a user's) or `xoxb-` (a bot's), the workspace's and the user's numbers,
            // the token's own number, and a secret, as Slack's samples are.
            Preset::Slack => {
                let number = |digits: usize| self.random_chars(b"0123456789", digits);
                format!(
                    "{}-{}-{}-{}-{}",
                    if for_user { "xoxp" } else { "xoxb" },
                    number(10),
                    number(10),
                    number(13),
                    self.random_chars(b"0123456789abcdef", slack::TOKEN_SECRET_HEX_DIGITS)
                )
            }
            _ => self.random_token(),
        }
    }

    /// A new refresh token in the preset's format (GitHub's `ghr_`, Google's `1//`).
    pub fn new_refresh_token(&self) -> String {
        use crate::preset::{discord, github, gitlab, google};
        match self.settings.preset {
            Preset::Github => self.prefixed(github::APP_REFRESH_PREFIX, github::REFRESH_TOKEN_BODY),
            Preset::Google => self.prefixed(google::REFRESH_PREFIX, 100),
            Preset::Gitlab => self.random_chars(b"0123456789abcdef", gitlab::TOKEN_HEX_DIGITS),
            Preset::Discord => self.random_alphanumeric(discord::TOKEN_LENGTH),
            Preset::Apple => self.apple_token('r'),
            _ => self.random_token(),
        }
    }

    /// Apple's opaque tokens: a letter (`a` access, `r` refresh), hexadecimal, `.0.`, four
    /// letters and digits, `.`, and a base64url part, as the tokens its users quote are.
    fn apple_token(&self, letter: char) -> String {
        use crate::preset::apple;
        format!(
            "{letter}{}.0.{}.{}",
            self.random_chars(b"0123456789abcdef", apple::TOKEN_HEX_DIGITS),
            self.random_alphanumeric(4),
            self.random_token()
        )
    }

    fn prefixed(&self, prefix: &str, len: usize) -> String {
        format!("{prefix}{}", self.random_alphanumeric(len))
    }

    /// A random GUID (version 4 layout), for the Microsoft preset's trace and correlation ids.
    pub fn random_guid(&self) -> String {
        let mut bytes = [0u8; 16];
        self.rng
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .fill_bytes(&mut bytes);
        fauxauth_core::preset::guid(bytes)
    }

    /// The DPoP nonces taken now (RFC 9449 §8): the current one first, then the one before,
    /// so a proof made just before a change still passes. One per five minutes of the clock,
    /// derived from the seed and the issuer: the same in every run, and stale once the clock
    /// moves on.
    pub fn dpop_nonces(&self) -> [String; 2] {
        const PERIOD_SECS: u64 = 300;
        let window = fauxauth_core::unix(self.now()) / PERIOD_SECS;
        let nonce = |window: u64| {
            let digest = Sha256::digest(format!(
                "fauxauth/dpop-nonce/{}/{}/{window}",
                self.seed, self.url
            ));
            B64.encode(&digest[..16])
        };
        [nonce(window), nonce(window.saturating_sub(1))]
    }

    /// A shorter random identifier (128 bits), for `jti` and session ids.
    pub fn random_id(&self) -> String {
        let mut bytes = [0u8; 16];
        self.rng
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .fill_bytes(&mut bytes);
        B64.encode(bytes)
    }
}

impl From<&IssuerConfig> for Registry {
    fn from(settings: &IssuerConfig) -> Self {
        Self {
            clients: settings
                .clients
                .iter()
                .map(|c| (c.client_id.clone(), Arc::new(c.clone())))
                .collect(),
            users: settings.users.iter().cloned().map(Arc::new).collect(),
            version: 0,
        }
    }
}

fn rng_seed(seed: &str, issuer: &str) -> [u8; 32] {
    Sha256::digest(format!("fauxauth/rng/{seed}/{issuer}")).into()
}

/// Whether an issuer keeps an RS256 companion: when its own algorithm is not RS256, which
/// OpenID Connect Discovery 1.0 §3 requires every provider to support for ID tokens.
fn has_companion(settings: &IssuerConfig) -> bool {
    settings.signing_alg != SigningAlg::RS256
}

/// The keys an issuer starts with: its own (from files, or derived), then its companion. The
/// companion is derived from the seed even when the issuer's own keys come from files.
fn initial_keys(
    settings: &IssuerConfig,
    seed: &str,
    position: usize,
) -> Result<KeyRing, BuildError> {
    let keys = load_keys(settings, seed, position)?;
    let companion = has_companion(settings).then(|| {
        Arc::new(SigningKey::derive_rs256_companion(
            seed,
            key_index(position, 0),
        ))
    });
    let entry = |key, companion| KeyEntry {
        key,
        companion,
        published: true,
        retire_at: None,
    };
    Ok(KeyRing {
        active: keys[0].clone(),
        keys: keys
            .into_iter()
            .map(|key| entry(key, false))
            .chain(companion.clone().map(|key| entry(key, true)))
            .collect(),
        companion,
        rogue: None,
        rogue_companion: None,
        generation: 0,
    })
}

fn load_keys(
    settings: &IssuerConfig,
    seed: &str,
    position: usize,
) -> Result<Vec<Arc<SigningKey>>, BuildError> {
    if settings.keys.is_empty() {
        return Ok(vec![Arc::new(SigningKey::derive(
            seed,
            settings.signing_alg,
            key_index(position, 0),
        ))]);
    }
    settings
        .keys
        .iter()
        .map(|path| {
            let shown = path.display().to_string();
            let text = std::fs::read_to_string(path).map_err(|source| BuildError::ReadKey {
                issuer: settings.name.clone(),
                path: shown.clone(),
                source,
            })?;
            SigningKey::from_pem(&text, settings.signing_alg)
                .map(Arc::new)
                .map_err(|source| BuildError::KeyFile {
                    issuer: settings.name.clone(),
                    path: shown,
                    source,
                })
        })
        .collect()
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|p| p.into_inner())
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|p| p.into_inner())
}
