//! The reference OpenID Connect relying party: a small web app that logs people in correctly, and
//! that can be told to skip any single check ("weaknesses") so a scenario can prove it catches
//! that exact bug.
//!
//! It speaks HTTP and the specs only: any OpenID provider and any bearer-token API will do,
//! fauxauth's included. The protocol side is built on the `openidconnect` crate (its client and
//! ID token verifier) and the `oauth2` crate beneath it; what the crates cannot express is
//! written here and listed in the README. A preset ([`Config::preset`]) makes it log in the way
//! an app written against Google, GitHub or Microsoft does, by that provider's documentation.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let config = sample_client::Config::confidential("http://127.0.0.1:9000", "demo-web", "demo-web-secret-change-me");
//! let running = sample_client::spawn(config).await?;
//! println!("open {}", running.url());
//! running.stop().await;
//! # Ok(()) }
//! ```
//!
//! # Routes
//! - `/`: whether the visitor is logged in, and as whom (`data-state="logged-in"`).
//! - `/login`: starts the code flow with PKCE S256, `state` and `nonce`.
//! - `/callback` (the redirect URI's path): checks the answer, redeems the code, validates the ID
//!   token, asks UserInfo, and only then logs in.
//! - `/me`: calls the resource's `/api/me` with the access token, refreshing once if needed.
//! - `/logout`: ends the session here, then offers RP-initiated logout at the provider.
//!
//! Every failure is an error page naming the check that failed, with a stable code in
//! `data-error` and the `X-Fauxauth-Client-Error` header ([`Check`]).
//!
//! # Map
//! - [`config`]: the one configuration schema, and the [`Weakness`]es.
//! - `protocol`: the core as plain functions, no HTTP: the callback's checks (`callback`), the
//!   issuer a provider and its ID tokens may name per preset (`issuer`), and the ID token's
//!   checks (`id_token`).
//! - `provider`: the remote OpenID provider: discovery, keys, the authorization URL, UserInfo.
//! - `token`: the token endpoint (code and refresh grants), for every preset.
//! - `plain`: the presets signed in with plain OAuth 2.0 (no ID token), who logged in asked of
//!   the provider's user API: `github` (`/user`, `/user/emails`) and `discord`
//!   (`/api/v10/users/@me`), each a `user_api::Site`.
//! - `http`: the one transport, which judges answers before they are parsed.
//! - `session`: server-side sessions behind an `HttpOnly`, `SameSite=Lax` cookie.
//! - `verify`: the ID token against the provider's keys, fetched again once on an unknown `kid`.
//! - `refresh`: single-flight refresh of one login's tokens.
//! - `resource`: the call to the protected API.
//! - `endpoints`: one module per route, thin adapters.
//! - `error`: the only place that knows status codes and error pages; `html` the pages.
//! - `random`: the one source of randomness (`state`, `nonce`, PKCE, session ids).
//!
//! # Invariants
//! - Tokens never appear in a URL (but under the `token-in-url` weakness), a page, a log line or
//!   a `Debug` output; they stay in the server-side session.
//! - No session exists for a login until every check in force has passed.
//! - Nothing reads the wall clock except through [`Clock`] (the transport's timeout aside).
//! - No `std` lock is held across an `.await`.
//! - Weaknesses are off unless named, and a client with any prints a warning on stderr at start.

mod apple;
mod assertion;
pub mod config;
mod discord;
mod endpoints;
mod error;
mod github;
mod html;
mod http;
pub mod paths;
mod plain;
mod protocol;
mod provider;
mod random;
mod refresh;
mod resource;
mod session;
mod token;
mod user_api;
mod verify;
mod weak;

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use tokio::net::TcpListener;

pub use assertion::ClientKey;
pub use config::{Config, DEFAULT_SCOPES, RESOURCE_PATH, Weakness, warning};
pub use error::{Check, ERROR_HEADER, Error};
pub use fauxauth_core::preset::Preset;
pub use fauxauth_core::{Clock, StartError};
pub use html::STATE_HEADER;

use config::Weaknesses;
use http::Http;
use plain::Plain;
use provider::Provider;
use session::Sessions;
use token::Credentials;

/// A handle on a client's state: cheap to clone, shared with its server and its handlers.
#[derive(Clone, Debug)]
pub struct ClientState {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    config: Config,
    base_url: String,
    redirect_uri: String,
    callback_path: String,
    post_logout_redirect_uri: String,
    secure_cookie: bool,
    weaknesses: Weaknesses,
    provider: Provider,
    /// With a plain OAuth 2.0 preset (`github`, `discord`): whom it logs in with instead of an
    /// OpenID provider.
    plain: Option<Plain>,
    /// Sign in with Apple's names, given once each.
    apple_names: apple::Names,
    http: Http,
    sessions: Sessions,
    /// What only a weakness makes it remember.
    weak: weak::Remembered,
}

impl ClientState {
    /// Validates `config` and prepares a client served at `base_url` (`http://127.0.0.1:8080`),
    /// from which the redirect and post-logout URIs are derived unless configured. No I/O: the
    /// provider is first contacted at the first login. Whoever runs a client with weaknesses
    /// as a process says so ([`warning`]); a library user chose them in code.
    pub fn new(config: Config, base_url: &str) -> Result<Self, StartError> {
        config.validate().map_err(StartError::Config)?;
        let base_url = base_url.trim_end_matches('/').to_owned();
        let redirect_uri = config
            .redirect_uri
            .clone()
            .unwrap_or_else(|| format!("{base_url}{}", paths::DEFAULT_CALLBACK));
        let callback_path =
            callback_path(&redirect_uri).map_err(|e| StartError::Config(vec![e]))?;
        let post_logout_redirect_uri = config
            .post_logout_redirect_uri
            .clone()
            .unwrap_or_else(|| format!("{base_url}/"));
        let timeout = if config.weaknesses.contains(&Weakness::ShortTimeout) {
            std::time::Duration::from_secs(1)
        } else {
            config.timeout
        };
        let tls = if config.weaknesses.contains(&Weakness::SkipTlsVerify) {
            fauxauth_core::tls::client_config_accepting_any_certificate()
        } else {
            config.network.trust.client_config()
        };
        let mut http =
            Http::new(timeout, tls, &config.network.resolve).map_err(StartError::http)?;
        if config.dpop {
            let key = fauxauth_core::dpop::ProofKey::from_seed(&format!(
                "fauxauth reference client {}",
                config.client_id
            ));
            http = http.with_dpop(key, config.clock.clone());
        }
        let key = match &config.private_key {
            Some(pem) => Some(Arc::new(
                ClientKey::from_pem(pem, config.private_key_id.clone())
                    .map_err(|e| StartError::Config(vec![format!("private_key: {e}")]))?,
            )),
            None => None,
        };
        // Sign in with Apple: the key signs the client secret (sent in the body) instead of
        // assertions.
        let apple_secret = match (&key, &config.team_id) {
            (Some(key), Some(team)) if config.preset == Preset::Apple => Some(
                key.apple_client_secret(team, &config.client_id, &config.clock)
                    .map_err(|e| StartError::Config(vec![format!("private_key: {e}")]))?,
            ),
            _ => None,
        };
        let credentials = Credentials {
            client_id: openidconnect::ClientId::new(config.client_id.clone()),
            key: match (&key, &apple_secret) {
                (Some(key), None) => Some((key.clone(), config.clock.clone())),
                _ => None,
            },
            client_secret: apple_secret
                .or_else(|| config.client_secret.clone())
                .map(openidconnect::ClientSecret::new),
            redirect_uri: openidconnect::RedirectUrl::new(redirect_uri.clone())
                .map_err(|e| StartError::Config(vec![format!("redirect_uri: {e}")]))?,
            // RFC 6749 §2.3.1 prefers Basic; Google's, GitHub's and Microsoft's guides put the
            // secret in the body, so apps written against them do; Discord's guide sends it
            // with Basic.
            auth_type: match config.preset {
                Preset::Generic | Preset::Discord => openidconnect::AuthType::BasicAuth,
                _ => openidconnect::AuthType::RequestBody,
            },
            redirect_uri_on_refresh: config.preset == Preset::Gitlab,
        };
        let plain = match &config.resource {
            Some(api) => Plain::new(
                config.preset,
                &config.issuer,
                api,
                &credentials,
                http.clone(),
            )
            .map_err(|e| StartError::Config(vec![e]))?,
            None => None,
        };
        let provider = Provider::new(
            config.preset,
            &config.issuer,
            credentials,
            http.clone(),
            // Apple posts the person's name and address, and only with form_post.
            config.form_post || config.preset == Preset::Apple,
        )
        .map_err(|e| StartError::Config(vec![e]))?
        // Auth0's quickstarts for calling an API: its identifier as `audience`.
        .with_audience(
            config
                .resource
                .clone()
                .filter(|_| config.preset == Preset::Auth0),
        );
        Ok(Self {
            inner: Arc::new(Inner {
                weaknesses: Weaknesses::of(&config.weaknesses),
                secure_cookie: base_url.starts_with("https:"),
                config,
                base_url,
                redirect_uri,
                callback_path,
                post_logout_redirect_uri,
                provider,
                plain,
                apple_names: apple::Names::default(),
                http,
                sessions: Sessions::default(),
                weak: weak::Remembered::default(),
            }),
        })
    }

    /// The clock tokens are judged by.
    pub fn clock(&self) -> &Clock {
        &self.inner.config.clock
    }

    /// The configuration it runs with.
    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The base URL it is served at.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// The redirect URI it sends and serves.
    pub fn redirect_uri(&self) -> &str {
        &self.inner.redirect_uri
    }

    /// Where the provider is asked to send the browser after logout.
    pub fn post_logout_redirect_uri(&self) -> &str {
        &self.inner.post_logout_redirect_uri
    }

    /// The weaknesses in force (empty unless configured).
    pub fn weaknesses(&self) -> &[Weakness] {
        &self.inner.config.weaknesses
    }

    fn has(&self, weakness: Weakness) -> bool {
        self.inner.weaknesses.has(weakness)
    }

    fn weakness_set(&self) -> Weaknesses {
        self.inner.weaknesses
    }

    /// The preset it logs in by.
    pub fn preset(&self) -> Preset {
        self.inner.config.preset
    }

    fn provider(&self) -> &Provider {
        &self.inner.provider
    }

    /// Whether it asks for `response_mode=form_post`: when configured to, and always with Apple,
    /// which posts the person's name and address and nothing else.
    fn uses_form_post(&self) -> bool {
        self.inner.config.form_post || self.inner.config.preset == Preset::Apple
    }

    /// The names Sign in with Apple gave once, with the `apple` preset.
    fn apple_names(&self) -> &apple::Names {
        &self.inner.apple_names
    }

    /// The plain OAuth 2.0 provider, with the `github` and `discord` presets.
    fn plain(&self) -> Option<&Plain> {
        self.inner.plain.as_ref()
    }

    fn http(&self) -> &Http {
        &self.inner.http
    }

    fn weak(&self) -> &weak::Remembered {
        &self.inner.weak
    }

    fn sessions(&self) -> &Sessions {
        &self.inner.sessions
    }

    fn secure_cookie(&self) -> bool {
        self.inner.secure_cookie
    }

    fn callback_path(&self) -> &str {
        &self.inner.callback_path
    }
}

/// The path the callback is served at: the redirect URI's, which must not be another route's.
fn callback_path(redirect_uri: &str) -> Result<String, String> {
    let url = url::Url::parse(redirect_uri).map_err(|e| format!("redirect_uri: {e}"))?;
    let path = url.path().to_owned();
    if [paths::HOME, paths::LOGIN, paths::ME, paths::LOGOUT].contains(&path.as_str()) {
        return Err(format!(
            "redirect_uri: its path {path} is one of the client's own pages; use e.g. /callback"
        ));
    }
    Ok(path)
}

/// The client's pages. No I/O.
pub fn router(state: ClientState) -> Router {
    endpoints::router(&state)
        .with_state(state)
        .layer(axum::middleware::map_response(private))
}

/// Every answer, redirects included: never cached (they carry sessions and personal data,
/// RFC 9111 §5.2.2.5), and never a `Referer` that could carry a callback's code onwards
/// (RFC 9700 §4.2.4).
async fn private(mut response: axum::response::Response) -> axum::response::Response {
    use axum::http::{HeaderValue, header};
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}

/// Serves `state` on every listener until `shutdown` completes.
pub async fn serve(
    listeners: Vec<fauxauth_core::Listener>,
    state: ClientState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    fauxauth_core::serve_all(
        listeners,
        router(state),
        fauxauth_core::Limits::default(),
        shutdown,
    )
    .await
}

/// A server on `127.0.0.1` at a free port, with its state, for tests. Stops when dropped.
pub type Running = fauxauth_core::Running<ClientState>;

/// Starts `config` on `127.0.0.1:0`; the redirect URI, unless configured, is
/// `http://127.0.0.1:{port}/callback`.
pub async fn spawn(config: Config) -> Result<Running, StartError> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
    let listener = match config.network.tls.clone() {
        Some(tls) => fauxauth_core::Listener::tls(listener, tls),
        None => listener.into(),
    };
    let state = ClientState::new(config, &listener.url()?)?;
    let server = fauxauth_core::Spawned::start(
        listener,
        router(state.clone()),
        fauxauth_core::Limits::default(),
    )?;
    Ok(Running::new(server, state))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_derive_from_the_base_url_unless_configured() {
        let config = Config::confidential("http://127.0.0.1:9000", "web", "secret");
        let state = ClientState::new(config.clone(), "http://127.0.0.1:8080/").unwrap();
        assert_eq!(state.redirect_uri(), "http://127.0.0.1:8080/callback");
        assert_eq!(state.post_logout_redirect_uri(), "http://127.0.0.1:8080/");
        assert_eq!(state.callback_path(), "/callback");
        let config = Config {
            redirect_uri: Some("http://localhost:3000/auth/cb".into()),
            ..config
        };
        let state = ClientState::new(config, "http://127.0.0.1:3000").unwrap();
        assert_eq!(state.callback_path(), "/auth/cb");
    }

    #[test]
    fn a_redirect_uri_on_another_route_is_refused() {
        let config = Config {
            redirect_uri: Some("http://127.0.0.1:8080/me".into()),
            ..Config::confidential("http://127.0.0.1:9000", "web", "secret")
        };
        let err = ClientState::new(config, "http://127.0.0.1:8080").unwrap_err();
        assert!(err.to_string().contains("redirect_uri"), "{err}");
    }

    #[test]
    fn an_invalid_configuration_names_its_fields() {
        let err = ClientState::new(Config::default(), "http://127.0.0.1:8080").unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("issuer:") && text.contains("client_id:"),
            "{text}"
        );
    }
}
