//! What every fauxauth server shares: one scripting model behind three doors.
//!
//! - [`Clock`]: the one source of time. Providers, resources, clients and the harness read time
//!   only through a `Clock`, so a scenario can move every component's "now" at once.
//! - [`rules`]: faults and overrides as data, matched against requests.
//! - [`journal`]: every request and answer, secrets masked, with verification helpers.
//! - [`control`]: a server's clock, rules and journal together, and the middleware that applies
//!   rules and records requests.
//! - [`admin`]: the HTTP admin API under `/_fauxauth/` and its OpenAPI document.
//! - [`serve`]: the serve loop, which can drop a connection without answering.
//! - [`tls`]: HTTPS: a local certificate authority, derived from the seed or loaded, and the
//!   certificates it issues.
//! - [`limits`]: how much a peer may take: timeouts, connections, the journal's size.
//! - [`preset`]: the real providers fauxauth imitates, and where each keeps its endpoints.
//! - [`wire`]: media types and unverified JWT claims, read the same way everywhere.
//! - [`yaml`]: YAML parse errors with file, line and a suggestion for a misspelt key.
//! - [`duration`]: `60s` / `10m` / `1h` durations in configuration and scripts.
//!
//! Invariant: nothing in fauxauth reads the wall clock except through [`Clock`].

pub mod admin;
pub mod bounded;
pub mod clock;
pub mod control;
pub mod dpop;
pub mod duration;
pub mod jose;
pub mod journal;
pub mod limits;
pub mod memory;
pub mod preset;
pub mod rules;
mod server;
pub mod tls;
pub mod wire;
pub mod yaml;

pub use clock::{Clock, OutOfRange, unix};
pub use control::{Control, Scripted};
pub use limits::Limits;
pub use server::{
    Listener, Peer, Running, Secure, Spawned, connection_cap, raise_descriptor_limit, serve,
    serve_all, url_for,
};
pub use tls::{Authority, Network, Tls, TlsConfig, Trust};

/// The seed every fauxauth server runs with unless told another: its keys, codes, tokens and
/// certificate authority are the same from run to run.
pub const DEFAULT_SEED: &str = "fauxauth";

/// Why a fauxauth server (the resource, the reference client) could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Its configuration is wrong: each problem with its field.
    #[error("invalid configuration:\n{}", .0.join("\n"))]
    Config(Vec<String>),
    /// Its HTTP client could not be built.
    #[error("cannot build the HTTP client: {0}")]
    Http(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// It could not listen.
    #[error("cannot listen: {0}")]
    Io(#[from] std::io::Error),
}

impl StartError {
    /// An HTTP client that could not be built.
    pub fn http(error: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Http(Box::new(error))
    }
}
