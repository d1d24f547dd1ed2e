//! A strict, scriptable OAuth 2.0 authorization server and OpenID Connect provider, for tests.
//!
//! Strict by default: where an RFC says MUST, the provider enforces it; leniency is an explicit
//! setting. Several issuers can share one server, each under its own path.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let running = mock_provider::spawn(mock_provider::Config::default()).await?;
//! println!("issuer: {}", running.issuer());
//! running.provider().clock().advance(std::time::Duration::from_secs(600));
//! running.stop().await;
//! # Ok(()) }
//! ```
//!
//! # Map
//! - [`config`]: the one configuration schema (YAML, environment, Rust), validated with
//!   file-and-line errors.
//! - `protocol`: the protocol core as plain functions (parameters, scopes, PKCE, redirect
//!   matching, client credentials), no HTTP.
//! - `endpoints`: one module per endpoint, thin adapters from HTTP to the core.
//! - `store`: codes, grants, tokens and sessions of one issuer, behind one mutex.
//! - [`keys`]: deterministic signing keys, parsed once, JWKS, signing and verification.
//! - `tokens`: what access tokens and ID tokens contain.
//! - `error`: the only place that knows status codes, challenges and redirect-or-page.
//!
//! # Invariants
//! - Nothing reads the wall clock except through [`Clock`]; nothing draws randomness except from
//!   an issuer's seeded generator (and the ECDSA nonce inside `aws-lc-rs`).
//! - No lock is held across an `.await`.
//! - A request that could not be tied to a registered redirect URI is never redirected.

pub mod config;
mod demo;
mod endpoints;
mod error;
mod html;
mod issuer;
pub mod keys;
mod paths;
mod protocol;
mod store;
mod tokens;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use config::{
    AuthMethod, ClientConfig, Config, GrantType, IssuerConfig, Lifetimes, LoginMode, PkcePolicy,
    UserConfig,
};
pub use demo::{SPA_CLIENT_ID, WEB_CLIENT_ID, WEB_CLIENT_SECRET};
pub use fauxauth_core::Clock;
pub use keys::SigningAlg;

use issuer::Issuer;

/// Why a provider could not start.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid configuration:\n{}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    Config(Vec<config::Problem>),
    #[error(transparent)]
    Build(#[from] issuer::BuildError),
    #[error("cannot listen: {0}")]
    Io(#[from] std::io::Error),
}

/// A handle on a provider's state: cheap to clone, shared with its server.
#[derive(Clone, Debug)]
pub struct Provider {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    issuers: Vec<Arc<Issuer>>,
    clock: Clock,
}

impl Provider {
    /// Builds a provider whose issuers live under `base_url` (`http://127.0.0.1:8080`, no trailing
    /// slash), reading time from `clock`. Validates the configuration first.
    pub fn new(config: &Config, base_url: &str, clock: Clock) -> Result<Self, Error> {
        config.validate().map_err(Error::Config)?;
        let base_url = config.base_url.as_deref().unwrap_or(base_url);
        let issuers = config
            .issuers
            .iter()
            .enumerate()
            .map(|(i, settings)| {
                Issuer::new(
                    settings.clone(),
                    config.path_of(settings),
                    base_url,
                    &config.seed,
                    i as u32,
                    clock.clone(),
                )
                .map(Arc::new)
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            inner: Arc::new(Inner { issuers, clock }),
        })
    }

    /// The clock every issuer of this provider reads.
    pub fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    /// The issuer identifiers, in configuration order.
    pub fn issuer_urls(&self) -> Vec<String> {
        self.inner.issuers.iter().map(|i| i.url.clone()).collect()
    }

    /// The identifier of the issuer named `name`.
    pub fn issuer_url(&self, name: &str) -> Option<String> {
        self.issuer(name).map(|i| i.url.clone())
    }

    /// Adds a user to an issuer, or replaces the one with the same username.
    pub fn put_user(&self, issuer: &str, user: UserConfig) -> Result<(), String> {
        let issuer = self
            .issuer(issuer)
            .ok_or_else(|| format!("no issuer is named {issuer:?}"))?;
        issuer.put_user(user);
        Ok(())
    }

    /// Adds a client to an issuer, or replaces the one with the same id. The client is checked
    /// as the configuration file would check it.
    pub fn put_client(&self, issuer: &str, client: ClientConfig) -> Result<(), String> {
        let issuer = self
            .issuer(issuer)
            .ok_or_else(|| format!("no issuer is named {issuer:?}"))?;
        if let Some((field, message)) = client
            .problems(issuer.settings.allow_insecure_redirect_uris)
            .into_iter()
            .next()
        {
            return Err(format!("{field}: {message}"));
        }
        issuer.put_client(client);
        Ok(())
    }

    fn issuer(&self, name: &str) -> Option<&Arc<Issuer>> {
        self.inner.issuers.iter().find(|i| i.name == name)
    }
}

/// Every route of every issuer. No I/O.
pub fn router(provider: &Provider) -> Router {
    let mut router = Router::new();
    for issuer in &provider.inner.issuers {
        let routes = endpoints::router().with_state(issuer.clone());
        router = if issuer.path.is_empty() {
            router.merge(routes)
        } else {
            router
                .nest(&issuer.path, routes)
                .merge(endpoints::metadata_router(issuer.clone()))
        };
    }
    router
}

/// Serves `provider` on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    provider: &Provider,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(provider))
        .with_graceful_shutdown(shutdown)
        .await
}

/// A provider serving on `127.0.0.1` at a free port, for tests. Stops when dropped.
#[derive(Debug)]
pub struct Running {
    addr: SocketAddr,
    provider: Provider,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

/// Starts `config` on `127.0.0.1:0` with a system clock.
pub async fn spawn(config: Config) -> Result<Running, Error> {
    spawn_with_clock(config, Clock::system()).await
}

/// Starts `config` on `127.0.0.1:0`, reading time from `clock`.
pub async fn spawn_with_clock(config: Config, clock: Clock) -> Result<Running, Error> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    let provider = Provider::new(&config, &format!("http://{addr}"), clock)?;
    let (tx, rx) = oneshot::channel::<()>();
    let served = provider.clone();
    let task = tokio::spawn(async move {
        serve(listener, &served, async {
            let _ = rx.await;
        })
        .await
    });
    Ok(Running {
        addr,
        provider,
        shutdown: Some(tx),
        task: Some(task),
    })
}

impl Running {
    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The first issuer's identifier.
    pub fn issuer(&self) -> String {
        self.provider.issuer_urls().remove(0)
    }

    /// The handle to script the running provider.
    pub fn provider(&self) -> &Provider {
        &self.provider
    }

    /// Stops the server and waits (briefly) for open connections to finish.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
