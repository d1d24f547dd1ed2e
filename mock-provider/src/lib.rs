//! A strict, scriptable OAuth 2.0 authorization server and OpenID Connect provider, for tests.
//!
//! Strict by default: where an RFC says MUST, the provider enforces it; leniency is an explicit
//! setting. Several issuers can share one server, each under its own path.
//!
//! ```no_run
//! use mock_provider::Scripted as _; // clock, rules and journal
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let running = mock_provider::spawn(mock_provider::Config::default()).await?;
//! println!("issuer: {}", running.issuer());
//! running.provider().clock().advance(std::time::Duration::from_secs(600));
//! running.stop().await;
//! # Ok(()) }
//! ```
//!
//! # Map
//! - [`config`]: the one configuration schema (Rust types, validated); `load` reads it from
//!   YAML with file-and-line errors; `demo` is what runs when none is given.
//! - `protocol`: the protocol core as plain functions (the authorization request, parameters,
//!   scopes, PKCE, redirect matching, client credentials), no HTTP and no running issuer.
//! - `claims`: the tokens' claims as data.
//! - `endpoints`: one module per endpoint, from HTTP to the core and back.
//! - `store`: codes, grants, tokens and sessions of one issuer, behind one mutex.
//! - [`keys`]: deterministic signing keys, parsed once, JWKS, signing and verification.
//! - `tokens`: what access tokens and ID tokens contain.
//! - `error`: the only place that knows status codes, challenges and redirect-or-page.
//!
//! # Invariants
//! - Nothing reads the wall clock except through [`Clock`]; nothing draws randomness except from
//!   an issuer's seeded generator (and the ECDSA nonce inside `aws-lc-rs`).
//! - The configuration, the store and the protocol core never reach `issuer` or `endpoints`;
//!   no two modules import each other.
//! - No lock is held across an `.await`.
//! - A request that could not be tied to a registered redirect URI is never redirected.

mod backchannel;
mod claims;
mod client_keys;
pub mod config;
mod control;
mod demo;
mod endpoints;
mod error;
mod html;
mod issuer;
pub mod keys;
mod load;
mod paths;
pub mod preset;
mod protocol;
mod store;
mod tokens;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;

pub use client_keys::REFETCHES_PER_MINUTE;
pub use config::{
    AuthMethod, ClientConfig, Config, GrantType, IssuerConfig, Lifetimes, LoginMode, PkcePolicy,
    UserConfig,
};
pub use control::{DEFAULT_GRACE, admin_operations};
pub use demo::{
    APPLE_TEAM_ID, SPA_CLIENT_ID, WEB_CLIENT_ID, WEB_CLIENT_SECRET, demo_client_jwk, dress,
};
pub use fauxauth_core::journal::{Entry, Expect, Filter, Journal, Mismatch};
pub use fauxauth_core::rules::{Action, DeviceDecision, Rule, RuleStatus, When};
pub use fauxauth_core::{Clock, Listener, Scripted, Tls, TlsConfig};
pub use issuer::KeyInfo;
pub use keys::SigningAlg;
pub use load::LoadError;
pub use protocol::client_assertion::AudienceRule;

use fauxauth_core::Control;
use issuer::Issuer;

/// A device authorization waiting for the person, as the admin API lists it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct PendingDevice {
    /// What the person types at the verification page.
    pub user_code: String,
    pub client_id: String,
    pub scope: String,
    /// How many times the device has polled.
    pub polls: u32,
    /// The seconds it must wait between polls now.
    pub interval: u64,
}

/// Why a provider could not start.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid configuration:\n{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Config(Vec<config::Problem>),
    #[error(transparent)]
    Build(#[from] issuer::BuildError),
    #[error("invalid configuration:\n{0}")]
    Tls(#[from] fauxauth_core::tls::TlsError),
    #[error("cannot listen: {0}")]
    Io(#[from] std::io::Error),
}

/// Why a change to a running provider (a user, a client, a key) was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ScriptError {
    /// No issuer of this provider has that name.
    #[error("no issuer is named {0:?}")]
    NoSuchIssuer(String),
    /// The issuer has no key with that `kid`.
    #[error("no key has kid {0:?}")]
    NoSuchKey(String),
    /// The user or client is one the configuration file would refuse.
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
}

/// A handle on a provider's state: cheap to clone, shared with its server.
#[derive(Clone, Debug)]
pub struct Provider {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    issuers: Vec<Arc<Issuer>>,
    control: Control,
    rules: Vec<Rule>,
    admin_token: Option<String>,
    /// Its HTTPS, when the configuration has a `tls` section.
    tls: Option<Tls>,
}

/// Ends `user`'s login sessions at `issuer`, or every one, and tells their clients.
async fn end_sessions(issuer: &Arc<Issuer>, user: Option<&str>) -> usize {
    let ended = issuer.store().end_sessions(user);
    for session in &ended {
        backchannel::notify(issuer, session).await;
    }
    ended.len()
}

impl Inner {
    async fn end_expired_sessions(&self) -> usize {
        let mut ended = 0;
        for issuer in &self.issuers {
            ended += backchannel::end_expired(issuer).await;
        }
        ended
    }
}

/// What rules and the admin API's clock make the provider do besides answering.
impl fauxauth_core::control::Hooks for Inner {
    fn end_sessions<'a>(
        &'a self,
        issuer: &'a str,
        user: Option<&'a str>,
    ) -> fauxauth_core::control::HookFuture<'a> {
        Box::pin(async move {
            if let Some(issuer) = self.issuers.iter().find(|i| i.name == issuer) {
                end_sessions(issuer, user).await;
            }
        })
    }

    fn clock_moved(&self) -> fauxauth_core::control::HookFuture<'_> {
        Box::pin(async move {
            self.end_expired_sessions().await;
        })
    }
}

/// The clock, rules and journal of the whole provider (every issuer).
impl Scripted for Provider {
    fn control(&self) -> &Control {
        &self.inner.control
    }
}

impl Provider {
    /// Builds a provider whose issuers live under `base_url` (`http://127.0.0.1:8080`, no trailing
    /// slash), reading time from `clock`. Validates the configuration first.
    pub fn new(config: &Config, base_url: &str, clock: Clock) -> Result<Self, Error> {
        config.validate().map_err(Error::Config)?;
        let tls = tls(config, base_url)?;
        let base_url = config.base_url.as_deref().unwrap_or(base_url);
        let client_keys = Arc::new(client_keys::ClientKeys::new(tls.as_ref().map(Tls::trust)));
        let control = Control::with_limits("provider", clock.clone(), config.limits);
        let issuers = config
            .issuers
            .iter()
            .enumerate()
            .map(|(position, settings)| {
                Issuer::new(
                    settings.clone(),
                    config.path_of(settings),
                    base_url,
                    &config.seed,
                    position,
                    issuer::Shared {
                        clock: clock.clone(),
                        client_keys: client_keys.clone(),
                        control: control.clone(),
                    },
                )
                .map(Issuer::shared)
            })
            .collect::<Result<_, _>>()?;
        for rule in &config.rules {
            control.rules().add(rule.clone());
        }
        let inner = Arc::new(Inner {
            issuers,
            control,
            rules: config.rules.clone(),
            admin_token: config.admin_token.clone(),
            tls,
        });
        let weak: std::sync::Weak<Inner> = Arc::downgrade(&inner);
        inner.control.attach(weak);
        Ok(Self { inner })
    }

    /// Back to the loaded configuration: clients, users, keys, rules and clock as configured;
    /// every code, token and session forgotten; the journal emptied.
    pub fn reset(&self) -> Result<(), Error> {
        for issuer in &self.inner.issuers {
            issuer.reset()?;
        }
        self.reset_control();
        Ok(())
    }

    /// As [`Provider::reset`], but the random generator runs on, so nothing issued before is
    /// issued again: what `fauxauth test` does between checks, since an app under test may
    /// remember codes and tokens it has seen.
    pub fn reset_keeping_generator(&self) -> Result<(), Error> {
        for issuer in &self.inner.issuers {
            issuer.reset_state()?;
        }
        self.reset_control();
        Ok(())
    }

    fn reset_control(&self) {
        let control = &self.inner.control;
        control.rules().clear();
        for rule in &self.inner.rules {
            control.rules().add(rule.clone());
        }
        control.journal().clear();
        control.clock().reset();
    }

    /// Rotates an issuer's signing key: a new key signs from now on and is published; the old
    /// one stays published for `grace`. Returns the new `kid`.
    pub fn rotate_keys(&self, issuer: &str, grace: Duration) -> Result<String, ScriptError> {
        Ok(self.issuer_named(issuer)?.rotate_keys(grace))
    }

    /// Publishes or withdraws a key from an issuer's JWKS.
    pub fn set_key_published(
        &self,
        issuer: &str,
        kid: &str,
        published: bool,
    ) -> Result<(), ScriptError> {
        if self.issuer_named(issuer)?.set_published(kid, published) {
            Ok(())
        } else {
            Err(ScriptError::NoSuchKey(kid.to_owned()))
        }
    }

    /// An issuer's keys: active, published, retiring.
    pub fn keys(&self, issuer: &str) -> Result<Vec<KeyInfo>, ScriptError> {
        Ok(self.issuer_named(issuer)?.key_infos())
    }

    /// Removes a user; whether they existed.
    pub fn remove_user(&self, issuer: &str, username: &str) -> Result<bool, ScriptError> {
        Ok(self.issuer_named(issuer)?.remove_user(username))
    }

    /// Removes a client; whether it existed.
    pub fn remove_client(&self, issuer: &str, client_id: &str) -> Result<bool, ScriptError> {
        Ok(self.issuer_named(issuer)?.remove_client(client_id))
    }

    /// The device authorizations of `issuer` still waiting for the person (RFC 8628), oldest
    /// first.
    pub fn pending_devices(&self, issuer: &str) -> Result<Vec<PendingDevice>, ScriptError> {
        let issuer = self.issuer_named(issuer)?;
        let now = issuer.now();
        Ok(issuer
            .store()
            .pending_devices(now)
            .into_iter()
            .map(|d| PendingDevice {
                user_code: d.user_code.clone(),
                client_id: d.client_id.clone(),
                scope: d.scope.to_string(),
                polls: d.polls,
                interval: d.interval,
            })
            .collect())
    }

    /// Answers, as the person, the pending device authorization of `issuer` whose user code is
    /// `user_code` (RFC 8628 §3.3): its next poll gets tokens, or `access_denied`. False when no
    /// such authorization waits.
    pub fn decide_device(
        &self,
        issuer: &str,
        user_code: &str,
        decision: &DeviceDecision,
    ) -> Result<bool, ScriptError> {
        let issuer = self.issuer_named(issuer)?;
        let now = issuer.now();
        let state = match decision {
            DeviceDecision::Approve { user } => {
                if issuer.user(user).is_none() {
                    return Err(ScriptError::Invalid {
                        field: "approve.user",
                        message: format!("no user is named {user:?}"),
                    });
                }
                endpoints::device_approved(user, now)
            }
            DeviceDecision::Deny => store::DeviceState::Denied,
        };
        Ok(endpoints::decide_device(issuer, user_code, state, now).is_some())
    }

    /// Ends the login sessions of `issuer`, every one or `user`'s, as a person signing out would:
    /// the clients of each are sent a logout token (Back-Channel Logout 1.0), each notice's first
    /// attempt awaited. How many sessions ended.
    pub async fn end_sessions(
        &self,
        issuer: &str,
        user: Option<&str>,
    ) -> Result<usize, ScriptError> {
        let issuer = self.issuer_named(issuer)?;
        Ok(end_sessions(issuer, user).await)
    }

    /// Ends the login sessions that the clock has ended, at every issuer, and tells their
    /// clients (each notice's first attempt awaited); how many ended. The admin API's clock
    /// and the scenarios call it after moving the clock; so does a program that moves a
    /// provider's clock itself and wants the notices now. On a running clock the provider also
    /// finds them itself, when they are due.
    pub async fn end_expired_sessions(&self) -> usize {
        self.inner.end_expired_sessions().await
    }

    fn issuer_named(&self, name: &str) -> Result<&Arc<Issuer>, ScriptError> {
        self.issuer(name)
            .ok_or_else(|| ScriptError::NoSuchIssuer(name.to_owned()))
    }

    fn issuers(&self) -> &[Arc<Issuer>] {
        &self.inner.issuers
    }

    fn admin_token(&self) -> Option<&str> {
        self.inner.admin_token.as_deref()
    }

    /// The issuer identifiers, in configuration order.
    pub fn issuer_urls(&self) -> Vec<String> {
        self.inner.issuers.iter().map(|i| i.url.clone()).collect()
    }

    /// Every endpoint of the issuer named `name` (its preset's paths or fauxauth's), as
    /// (endpoint name, absolute URL), in the order served.
    pub fn endpoints(&self, name: &str) -> Vec<(&'static str, String)> {
        self.issuer(name).map_or_else(Vec::new, |issuer| {
            issuer
                .layout
                .routes()
                .iter()
                .map(|r| (r.endpoint.name(), issuer.route_url(r)))
                .collect()
        })
    }

    /// The identifier of the issuer named `name`.
    pub fn issuer_url(&self, name: &str) -> Option<String> {
        self.issuer(name).map(|i| i.url.clone())
    }

    /// Where the endpoints of the issuer named `name` live: the base URL and the issuer's path.
    /// The issuer URL itself but for Microsoft, whose identifier adds the tenant and `/v2.0`.
    /// A preset's resource introspects at `{base}/introspect`.
    pub fn issuer_base(&self, name: &str) -> Option<String> {
        self.issuer(name).map(|i| i.base.clone())
    }

    /// Adds a user to an issuer, or replaces the one with the same username.
    pub fn put_user(&self, issuer: &str, user: UserConfig) -> Result<(), ScriptError> {
        let issuer = self.issuer_named(issuer)?;
        if let Some((field, message)) = user.problems().into_iter().next() {
            return Err(ScriptError::Invalid { field, message });
        }
        issuer.put_user(user);
        Ok(())
    }

    /// Adds a client to an issuer, or replaces the one with the same id. The client is checked
    /// as the configuration file would check it.
    pub fn put_client(&self, issuer: &str, client: ClientConfig) -> Result<(), ScriptError> {
        let issuer = self.issuer_named(issuer)?;
        if let Some((field, message)) = client.problems(&issuer.settings).into_iter().next() {
            return Err(ScriptError::Invalid { field, message });
        }
        issuer.put_client(client);
        Ok(())
    }

    /// Its HTTPS (the certificate authority, the switch to an untrusted certificate), when the
    /// configuration has a `tls` section.
    pub fn tls(&self) -> Option<&Tls> {
        self.inner.tls.as_ref()
    }

    fn issuer(&self, name: &str) -> Option<&Arc<Issuer>> {
        self.inner.issuers.iter().find(|i| i.name == name)
    }
}

/// Every route of every issuer, under the rules and recorded in the journal, beside the admin
/// API under `/_fauxauth/` (neither subject to rules nor journaled). No I/O.
pub fn router(provider: &Provider) -> Router {
    let mut protocol = Router::new();
    for issuer in &provider.inner.issuers {
        let routes = endpoints::router(&issuer.layout).with_state(issuer.clone());
        protocol = if issuer.path.is_empty() {
            protocol.merge(routes)
        } else if issuer.layout.serves(preset::Endpoint::Metadata) {
            protocol
                .nest(&issuer.path, routes)
                .merge(endpoints::metadata_router(issuer.clone()))
        } else {
            protocol.nest(&issuer.path, routes)
        };
    }
    // A fallback inside the layer, so requests to unknown paths are journaled too.
    let protocol = protocol.fallback(|| async { axum::http::StatusCode::NOT_FOUND });
    let protocol = fauxauth_core::control::layer(
        protocol,
        provider.control().clone(),
        control::describe(provider),
    );
    control::admin(provider).fallback_service(protocol)
}

/// Serves `provider` on every listener (HTTP and HTTPS side by side) until `shutdown`
/// completes.
pub async fn serve(
    listeners: Vec<Listener>,
    provider: &Provider,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = *provider.control().limits();
    fauxauth_core::serve_all(listeners, router(provider), limits, shutdown).await
}

/// The HTTPS `config` asks for (its `tls` section), for a provider whose issuers live under
/// `base_url` (or the file's `base_url`): files read and names checked now.
pub fn tls(config: &Config, base_url: &str) -> Result<Option<Tls>, Error> {
    let Some(settings) = &config.tls else {
        return Ok(None);
    };
    let base = config.base_url.as_deref().unwrap_or(base_url);
    let host = url::Url::parse(base)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned));
    // An issuer under the real provider's hosts needs them on the certificate (its APIs' too,
    // which a resource beside it serves).
    let mut settings = settings.clone();
    for issuer in config.issuers.iter().filter(|i| i.real_hosts) {
        for name in issuer.preset.real_hosts().iter().flat_map(|h| h.names()) {
            if !settings.names.iter().any(|n| n == name) {
                settings.names.push(name.to_owned());
            }
        }
    }
    Ok(Some(Tls::new(&settings, &config.seed, host.as_deref())?))
}

/// A provider serving on `127.0.0.1` at a free port, for tests. Stops when dropped.
#[derive(Debug)]
pub struct Running {
    server: fauxauth_core::Spawned,
    provider: Provider,
}

/// Starts `config` on `127.0.0.1:0`, with the clock its `clock` section describes.
pub async fn spawn(config: Config) -> Result<Running, Error> {
    let clock = config.clock.build().map_err(|message| {
        Error::Config(vec![config::Problem {
            place: config::Place::Root,
            field: "clock.start",
            message,
        }])
    })?;
    spawn_with_clock(config, clock).await
}

/// Starts `config` on `127.0.0.1:0`, reading time from `clock`.
pub async fn spawn_with_clock(config: Config, clock: Clock) -> Result<Running, Error> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
    spawn_on(listener, config, clock).await
}

/// Starts `config` on `listener` (an address the caller chose: an issuer URL that must stay the
/// same), reading time from `clock`. HTTPS when the configuration has a `tls` section.
pub async fn spawn_on(
    listener: TcpListener,
    config: Config,
    clock: Clock,
) -> Result<Running, Error> {
    let scheme = if config.tls.is_some() {
        "https"
    } else {
        "http"
    };
    let base_url = fauxauth_core::url_for(scheme, listener.local_addr()?);
    let provider = Provider::new(&config, &base_url, clock)?;
    let listener = match provider.tls() {
        Some(tls) => Listener::tls(listener, tls.clone()),
        None => Listener::from(listener),
    };
    let server = fauxauth_core::Spawned::start(listener, router(&provider), config.limits)?;
    Ok(Running { server, provider })
}

impl Running {
    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// The first issuer's identifier.
    pub fn issuer(&self) -> String {
        self.provider.issuer_urls().remove(0)
    }

    /// The handle to script the running provider.
    pub fn provider(&self) -> &Provider {
        &self.provider
    }

    /// Its HTTPS (its authority, the switch to an untrusted certificate), when it serves HTTPS.
    pub fn tls(&self) -> Option<&Tls> {
        self.provider.tls()
    }

    /// Its base URL (`https://127.0.0.1:{port}` over TLS).
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// Stops the server and waits (briefly) for open connections to finish.
    pub async fn stop(self) {
        self.server.stop().await;
    }
}
