//! A fake protected API that validates access tokens as a real resource server must.
//!
//! It trusts one issuer, found by URL and spoken to over HTTP only: OpenID discovery (or
//! RFC 8414), the JWKS, introspection and UserInfo. Any authorization server works, fauxauth's
//! provider included. Tokens are validated locally as RFC 9068 JWTs, or by introspection
//! (RFC 7662); failures are answered exactly as RFC 6750 §3 says.
//!
//! With a preset (`github`, `google`, `microsoft`) it is also that provider's API host: it
//! introspects every token at fauxauth's provider and serves the provider's user APIs (GitHub's
//! `/user`, Google's `/oauth2/v3/userinfo`, Graph's `/v1.0/me`) as the real ones answer.
//!
//! ```no_run
//! use mock_resource::Scripted as _; // clock, rules and journal
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let running = mock_resource::spawn(mock_resource::Config::new("http://127.0.0.1:9000")).await?;
//! println!("resource: {}", running.url());
//! running.state().clock().advance(std::time::Duration::from_secs(3600));
//! running.stop().await;
//! # Ok(()) }
//! ```
//!
//! # Map
//! - [`config`]: the one configuration schema (files, harness, command line, Rust).
//! - `protocol`: the core as plain functions, no HTTP: finding the bearer token (`bearer`),
//!   judging the JOSE header (`jose`), the key set (`jwks`), the claims (`claims`), and every
//!   reason for refusal (`invalid`).
//! - `issuer`: the remote issuer: discovery, the single-flight, rate-limited key cache,
//!   introspection, UserInfo.
//! - `verify`: from a token to an [`AccessToken`], by mode.
//! - `auth`: the bearer check in front of every route.
//! - `endpoints`: the demo API (`/api/me`, `/api/items`).
//! - `presets`: the presets' APIs, made from the claims of the person behind the token.
//! - `error`: the only place that knows status codes and `WWW-Authenticate`, the presets'
//!   refusals included.
//!
//! # Plugging in routes
//! [`router_with`] serves extra routes beside the demo API, behind the same bearer check; a
//! handler takes [`AccessToken`] and returns [`Error`] (e.g. from
//! [`AccessToken::require_scope`]).
//!
//! # Invariants
//! - `mock-resource` never contacts anything but its issuer's metadata, JWKS, introspection and
//!   UserInfo endpoints.
//! - Nothing reads the wall clock except through [`Clock`] (the HTTP client's transport timeout
//!   aside).
//! - No `std` lock is held across an `.await`; the one async mutex makes issuer fetches
//!   single-flight.
//! - A token is only ever verified with a key from the issuer's JWKS, with the one algorithm that
//!   key is pinned to; `none` and HMAC are refused before any key is looked at.
//! - Error bodies carry no timestamp or request id, but for Graph's, whose shape has them: those
//!   come from the virtual clock, never from a random source.

mod auth;
pub mod config;
mod control;
mod endpoints;
mod error;
mod issuer;
pub mod paths;
mod presets;
mod protocol;
mod token;
mod verify;

use std::future::Future;
use std::sync::Arc;

use axum::{Router, middleware};
use fauxauth_core::Control;
use tokio::net::TcpListener;

pub use config::{Alg, Config, DEFAULT_AUDIENCE, DEFAULT_REALM, GithubSettings, Mode};
pub use control::admin_operations;
pub use endpoints::items::Item;
pub use error::{ApiError, BearerErrorCode, Error, GraphInner};
pub use fauxauth_core::Clock;
pub use fauxauth_core::journal::{Entry, Expect, Filter, Journal};
pub use fauxauth_core::preset::Preset;
pub use fauxauth_core::rules::Rule;
pub use token::AccessToken;

use endpoints::items::Items;
use issuer::Issuer;
use protocol::bearer::Accept;

pub use fauxauth_core::{Scripted, StartError};

/// A handle on a resource's state: cheap to clone, shared with its server and its handlers.
#[derive(Clone, Debug)]
pub struct ResourceState {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: Config,
    realm: Arc<str>,
    issuer: Issuer,
    items: Items,
    github_rates: presets::RateLimits,
    control: Control,
    /// The DPoP proofs seen, by key and `jti`, until they would be too old to pass anyway.
    dpop_proofs: std::sync::Mutex<fauxauth_core::dpop::Spent<MAX_DPOP_PROOFS>>,
}

/// The most DPoP proofs remembered at once: past it, the oldest are forgotten first.
const MAX_DPOP_PROOFS: usize = 10_000;

/// The clock, rules and journal of the resource.
impl Scripted for ResourceState {
    fn control(&self) -> &Control {
        &self.inner.control
    }
}

impl ResourceState {
    /// Validates `config` and prepares the resource. No I/O: the issuer is first contacted when
    /// the first token arrives.
    pub fn new(config: Config) -> Result<Self, StartError> {
        config.validate().map_err(StartError::Config)?;
        let issuer = Issuer::new(&config).map_err(StartError::http)?;
        let control = Control::with_limits("resource", config.clock.clone(), config.limits);
        for rule in &config.rules {
            control.rules().add(rule.clone());
        }
        Ok(Self {
            inner: Arc::new(Inner {
                realm: Arc::from(config.realm.as_str()),
                config,
                issuer,
                items: Items::default(),
                github_rates: presets::RateLimits::default(),
                control,
                dpop_proofs: Default::default(),
            }),
        })
    }

    /// Back to the loaded configuration: the configured rules, the clock's start, no items, no
    /// rate limit used, an empty journal.
    pub fn reset(&self) {
        let control = &self.inner.control;
        control.rules().clear();
        for rule in &self.inner.config.rules {
            control.rules().add(rule.clone());
        }
        control.journal().clear();
        control.clock().reset();
        self.inner.items.clear();
        self.inner.github_rates.clear();
        self.dpop_proofs().clear();
    }

    fn dpop_proofs(
        &self,
    ) -> std::sync::MutexGuard<'_, fauxauth_core::dpop::Spent<MAX_DPOP_PROOFS>> {
        self.inner
            .dpop_proofs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// Records a DPoP proof's use (RFC 9449 §11.1); false when it was used before.
    fn spend_dpop_proof(&self, proof: &fauxauth_core::dpop::Proof, now: u64) -> bool {
        self.dpop_proofs().spend(proof, now)
    }

    /// The configuration it runs with.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The realm its challenges name.
    pub fn realm(&self) -> &str {
        &self.inner.realm
    }

    fn realm_arc(&self) -> Arc<str> {
        self.inner.realm.clone()
    }

    fn issuer(&self) -> &Issuer {
        &self.inner.issuer
    }

    fn items(&self) -> &Items {
        &self.inner.items
    }

    fn github_rates(&self) -> &presets::RateLimits {
        &self.inner.github_rates
    }

    fn accept(&self) -> Accept {
        Accept {
            body: self.inner.config.bearer_in_body,
            query: self.inner.config.bearer_in_query,
            token_scheme: false,
            dpop: true,
        }
    }
}

/// The demo API and the preset's API behind the bearer check. No I/O.
pub fn router(state: ResourceState) -> Router {
    router_with(state, Router::new())
}

/// The demo API, the preset's API and `extra` routes, all behind the bearer check: a request
/// reaches a handler only with a valid token, which the handler takes as an [`AccessToken`].
/// Every request is subject to the rules and journaled; the admin API under `/_fauxauth/` is
/// neither. No I/O.
pub fn router_with(state: ResourceState, extra: Router<ResourceState>) -> Router {
    let api = endpoints::router()
        .merge(extra)
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::authenticate,
        ))
        // The preset's routes have their own check, which answers in the provider's shape.
        .merge(presets::router(&state))
        .with_state(state.clone())
        // A fallback inside the layer, so requests to unknown paths are journaled too.
        .fallback(|| async { axum::http::StatusCode::NOT_FOUND });
    let api = fauxauth_core::control::layer(
        api,
        state.control().clone(),
        control::describe(state.realm().to_owned()),
    );
    control::admin(&state).fallback_service(api)
}

/// Serves the demo API and preset API of `state` on every listener until `shutdown` completes.
pub async fn serve(
    listeners: Vec<fauxauth_core::Listener>,
    state: ResourceState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let limits = *state.control().limits();
    fauxauth_core::serve_all(listeners, router(state), limits, shutdown).await
}

/// The `User-Agent` of the resource's own requests (to its issuer), so journals can tell them
/// from a client's.
pub const USER_AGENT: &str = "fauxauth-resource";

/// A server on `127.0.0.1` at a free port, with its state, for tests. Stops when dropped.
pub type Running = fauxauth_core::Running<ResourceState>;

/// Starts the demo API for `config` on `127.0.0.1:0`.
pub async fn spawn(config: Config) -> Result<Running, StartError> {
    spawn_with(config, Router::new()).await
}

/// Starts the demo API and `extra` routes (see [`router_with`]) on `127.0.0.1:0`.
pub async fn spawn_with(
    config: Config,
    extra: Router<ResourceState>,
) -> Result<Running, StartError> {
    let tls = config.network.tls.clone();
    let state = ResourceState::new(config)?;
    let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
    let listener = match tls {
        Some(tls) => fauxauth_core::Listener::tls(listener, tls),
        None => listener.into(),
    };
    let limits = *state.control().limits();
    let server =
        fauxauth_core::Spawned::start(listener, router_with(state.clone(), extra), limits)?;
    Ok(Running::new(server, state))
}
