//! One running issuer: its settings, registry of clients and users, keys, store, clock and
//! random generator. Handlers get an `Arc<Issuer>` as their state.
//!
//! Locks: the registry and keys are read-mostly (`RwLock`), the store is one `Mutex`. Each is
//! taken inside a method and released before it returns, so none is ever held across `.await`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, RwLock};
use std::time::SystemTime;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use fauxauth_core::Clock;
use rand::{RngCore as _, SeedableRng as _};
use rand_chacha::ChaCha20Rng;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use crate::config::{ClientConfig, IssuerConfig, UserConfig};
use crate::keys::{KeyError, SigningKey};
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
    pub clock: Clock,
    registry: RwLock<Registry>,
    keys: RwLock<KeyRing>,
    store: Mutex<Store>,
    rng: Mutex<ChaCha20Rng>,
}

#[derive(Debug, Default)]
struct Registry {
    clients: HashMap<String, Arc<ClientConfig>>,
    /// In configuration order: the login page lists them so.
    users: Vec<Arc<UserConfig>>,
}

#[derive(Debug)]
struct KeyRing {
    active: Arc<SigningKey>,
    published: Vec<Arc<SigningKey>>,
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

impl Issuer {
    /// Builds an issuer. `key_index` is its first derived key's number, so that issuers of one
    /// server derive different keys from one seed.
    pub fn new(
        settings: IssuerConfig,
        path: String,
        base_url: &str,
        seed: &str,
        key_index: u32,
        clock: Clock,
    ) -> Result<Self, BuildError> {
        let keys = load_keys(&settings, seed, key_index)?;
        let registry = Registry {
            clients: settings
                .clients
                .iter()
                .map(|c| (c.client_id.clone(), Arc::new(c.clone())))
                .collect(),
            users: settings.users.iter().cloned().map(Arc::new).collect(),
        };
        let rng_seed: [u8; 32] =
            Sha256::digest(format!("fauxauth/rng/{seed}/{}", settings.name)).into();
        Ok(Self {
            name: settings.name.clone(),
            url: format!("{base_url}{path}"),
            path,
            clock,
            registry: RwLock::new(registry),
            keys: RwLock::new(KeyRing {
                active: keys[0].clone(),
                published: keys,
            }),
            store: Mutex::new(Store::default()),
            rng: Mutex::new(ChaCha20Rng::from_seed(rng_seed)),
            settings,
        })
    }

    /// The absolute URL of an endpoint of this issuer.
    pub fn endpoint(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    /// The path of an endpoint relative to the host, for links in pages.
    pub fn local_path(&self, path: &str) -> String {
        format!("{}{path}", self.path)
    }

    pub fn now(&self) -> SystemTime {
        self.clock.now()
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
        write(&self.registry)
            .clients
            .insert(client.client_id.clone(), Arc::new(client));
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

    /// Whether `scope` is one this issuer knows: an OpenID Connect scope, one configured on the
    /// issuer, or one some client is allowed.
    pub fn supports_scope(&self, scope: &str) -> bool {
        OIDC_SCOPES.contains(&scope)
            || self.settings.scopes.iter().any(|s| s == scope)
            || read(&self.registry)
                .clients
                .values()
                .any(|c| c.scopes.iter().flatten().any(|s| s == scope))
    }

    /// Why `client` may not have `scope` (RFC 6749 §3.3), if it may not: a token the issuer does
    /// not know, or one the client is not allowed.
    pub fn scope_problem(&self, client: &ClientConfig, scope: &Scopes) -> Option<String> {
        if let Some(unknown) = scope.outside(|s| self.supports_scope(s)).next() {
            return Some(format!("scope {unknown:?} is not known to this provider"));
        }
        let allowed = client.scopes.as_ref()?;
        let denied = scope.outside(|s| allowed.iter().any(|a| a == s)).next()?;
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

    pub fn signing_key(&self) -> Arc<SigningKey> {
        read(&self.keys).active.clone()
    }

    pub fn published_keys(&self) -> Vec<Arc<SigningKey>> {
        read(&self.keys).published.clone()
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

fn load_keys(
    settings: &IssuerConfig,
    seed: &str,
    key_index: u32,
) -> Result<Vec<Arc<SigningKey>>, BuildError> {
    if settings.keys.is_empty() {
        return Ok(vec![Arc::new(SigningKey::derive(
            seed,
            settings.signing_alg,
            key_index,
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

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|p| p.into_inner())
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|p| p.into_inner())
}
