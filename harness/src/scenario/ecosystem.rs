//! The world a scenario runs in: a provider and a resource, and in the client slot the reference
//! client or an app under test.
//!
//! For `fauxauth run`, each scenario gets a world of its own on `127.0.0.1:0`, sharing one
//! frozen virtual clock, with the reference client in process. For `fauxauth test`, one world
//! serves the whole run (the provider at one issuer URL, on the real clock, since the app reads
//! the real clock) and an app under test takes the slot; it is reset between checks.

use std::time::{Duration, UNIX_EPOCH};

use fauxauth_core::{Clock, Tls, Trust};
use mock_provider::preset::{Preset, Quirks};
use mock_provider::{ClientConfig, Config, GrantType, IssuerConfig, UserConfig};

use super::model::Setup;

/// The attacker `fauxauth test` adds to the provider's users: the other person of the checks
/// that need two (an injected code, an email claimed by someone else).
pub const ATTACKER: &str = "mallory";

/// Where scenario clocks start unless a scenario says otherwise.
pub const DEFAULT_START: &str = "2030-01-01T00:00:00Z";

/// The redirect URI every standard client registers. A loopback IP literal without a port, so the
/// reference client may listen on any port (RFC 8252 §7.3).
pub const CALLBACK: &str = "http://127.0.0.1/callback";

/// Secrets of the standard confidential clients.
pub const WEB_SECRET: &str = "web-secret-0123456789";
pub const OTHER_SECRET: &str = "other-secret-0123456789";
pub const MACHINE_SECRET: &str = "machine-secret-0123456789";
pub const API_SECRET: &str = "api-secret-0123456789";

/// The provider a scenario gets when its setup names none: one issuer at the root with
/// - `web`: confidential, code flow, refresh, client credentials;
/// - `other`: another confidential client, for "issued to another client" stories;
/// - `spa`: public, PKCE required;
/// - `machine`: client credentials only;
/// - `api`: the resource's credentials for introspection;
/// - users `alice` (no password) and `bob` (password `hunter2`);
/// - scopes `items:read` and `items:write` besides OpenID Connect's.
pub fn standard_provider() -> Config {
    let scopes = [
        "openid",
        "profile",
        "email",
        "offline_access",
        "items:read",
        "items:write",
    ];
    let mut web = ClientConfig::confidential("web", WEB_SECRET, CALLBACK);
    web.redirect_uris
        .push("http://127.0.0.1/other-callback".into());
    web.post_logout_redirect_uris = vec!["http://127.0.0.1/".into()];
    web.scopes = Some(scopes.map(str::to_owned).to_vec());
    let mut other = ClientConfig::confidential("other", OTHER_SECRET, CALLBACK);
    other.scopes = web.scopes.clone();
    let mut spa = ClientConfig::public("spa", CALLBACK);
    spa.scopes = web.scopes.clone();
    let mut machine = ClientConfig::confidential("machine", MACHINE_SECRET, CALLBACK);
    machine.grant_types = vec![GrantType::ClientCredentials];
    machine.redirect_uris.clear();
    machine.scopes = Some(vec!["items:read".into(), "items:write".into()]);
    let mut api = ClientConfig::confidential("api", API_SECRET, CALLBACK);
    api.grant_types = vec![GrantType::ClientCredentials];
    api.redirect_uris.clear();
    let mut bob = UserConfig::new("bob")
        .with_claim("name", "Bob Example")
        .with_claim("email", "bob@example.com");
    bob.password = Some("hunter2".into());
    let mut issuer = IssuerConfig::new("default")
        .with_client(web)
        .with_client(other)
        .with_client(spa)
        .with_client(machine)
        .with_client(api)
        .with_user(
            UserConfig::new("alice")
                .with_claim("name", "Alice Example")
                .with_claim("email", "alice@example.com")
                .with_claim("email_verified", true),
        )
        .with_user(bob);
    issuer.scopes = vec!["items:read".into(), "items:write".into()];
    Config::single(issuer)
}

/// The standard provider dressed as `preset` (a scenario's `setup.preset`): the same clients
/// and users, its issuer the real provider's, with its scopes (every client may ask for any),
/// lifetimes and account shapes (`mock_provider::dress`), and `quirks` on top of the preset's.
pub fn standard_preset_provider(preset: Preset, quirks: Option<Quirks>) -> Config {
    let mut config = standard_provider();
    let seed = config.seed.clone();
    let issuer = &mut config.issuers[0];
    mock_provider::dress(issuer, preset, &seed);
    issuer.quirks = quirks.unwrap_or_default();
    config
}

/// The running world of one scenario (or of a whole `fauxauth test` run).
#[derive(Debug)]
pub struct Ecosystem {
    pub clock: Clock,
    pub config: Config,
    pub provider: mock_provider::Running,
    pub resource: mock_resource::Running,
    /// The client under test, when the scenario has one.
    pub client: Option<ClientSlot>,
    /// Who logs in when a step names no one: `alice`, or an app file's first user.
    pub person: String,
    /// What the world's clients trust over HTTPS: the provider's certificate authority.
    pub trust: Trust,
    /// What the harness's browser trusts: that authority and the one behind the untrusted
    /// certificate (`tls_certificate: untrusted` tests the app, not the person's browser).
    pub browser_trust: Trust,
}

/// HTTPS for another server of `provider`'s world (the resource, the client): certificates from
/// the provider's authority, its own switch (the untrusted certificate is the provider's alone).
pub fn sibling_tls(provider: &mock_provider::Running) -> Result<Option<Tls>, String> {
    let Some(authority) = provider.tls().and_then(|t| t.authority()) else {
        return Ok(None);
    };
    Tls::issued_by(
        authority.clone(),
        &fauxauth_core::TlsConfig::default(),
        fauxauth_core::DEFAULT_SEED,
        None,
    )
    .map(Some)
    .map_err(|e| e.to_string())
}

/// What clients and the browser trust when `provider` serves HTTPS (nothing otherwise).
pub fn trust_of(provider: &mock_provider::Running) -> (Trust, Trust) {
    let Some(tls) = provider.tls() else {
        return (Trust::default(), Trust::default());
    };
    let trust = tls.trust();
    let mut browser = trust.clone();
    browser.add(tls.untrusted_authority().certificate_der().clone());
    (trust, browser)
}

/// The client slot: what the harness needs to know of the client under test, whichever it is.
#[derive(Debug)]
pub struct ClientSlot {
    /// Where the app is (`http://127.0.0.1:port`).
    pub url: String,
    /// Where a login starts: a page that leads, through redirects, a link or a form, to the
    /// provider's authorization endpoint.
    pub login_path: String,
    /// Where a logout starts (a page whose form the browser submits, or a redirect), if the
    /// app has one.
    pub logout_path: Option<String>,
    /// The text of the link or button that starts a login on the login page, when the page
    /// does not redirect at once (a "Log in with ..." button); any that reads like a login
    /// when not given.
    pub login_click: Option<String>,
    pub app: App,
}

/// Who is in the client slot, and so how the harness tells what it decided.
#[derive(Debug)]
pub enum App {
    /// The reference client, in this process: its pages carry markers saying whether someone is
    /// logged in and which check refused.
    Reference(sample_client::Running),
    /// An app under test: judged by what it shows, as a person would.
    UnderTest(Sign),
}

/// How an app under test shows that a person is logged in.
#[derive(Clone, Debug)]
pub struct Sign {
    /// The page to open.
    pub path: String,
    /// The status it answers when someone is logged in.
    pub status: Option<u16>,
    /// Text it shows when someone is logged in; `{claim}` is the person's claim (`{name}`,
    /// `{email}`, `{sub}`, `{username}`).
    pub shows: Option<String>,
}

impl Sign {
    /// The sign as it reads for `user`, whose claims fill its placeholders.
    pub fn text_for(&self, user: Option<&UserConfig>) -> Option<String> {
        let template = self.shows.as_deref()?;
        let mut out = template.to_owned();
        if let Some(user) = user {
            out = out
                .replace("{username}", &user.username)
                .replace("{sub}", user.sub());
            for (claim, value) in &user.claims {
                let text = match value {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                out = out.replace(&format!("{{{claim}}}"), &text);
            }
        }
        Some(out)
    }

    /// Whether the sign names who is logged in (a placeholder), so two people's signs differ.
    pub fn names_user(&self) -> bool {
        self.shows.as_deref().is_some_and(|s| s.contains('{'))
    }
}

impl Ecosystem {
    /// Starts the provider and resource, and the client when `with_client`, with the setup's
    /// weaknesses and `weaknesses` switched off in it.
    pub async fn start(
        setup: &Setup,
        with_client: bool,
        weaknesses: &[sample_client::Weakness],
    ) -> Result<Self, String> {
        let start = setup.start.as_deref().unwrap_or(DEFAULT_START);
        let at = humantime::parse_rfc3339_weak(start).map_err(|e| format!("setup.start: {e}"))?;
        // Whole seconds, so JWT times and the clock agree exactly.
        let at = UNIX_EPOCH
            + Duration::from_secs(at.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()));
        let clock = Clock::frozen(at);
        // Loading refuses `preset` beside `provider`.
        let mut config = match (&setup.provider, setup.preset) {
            (Some(config), _) => config.clone(),
            (None, Some(preset)) => standard_preset_provider(preset, setup.quirks.clone()),
            (None, None) => standard_provider(),
        };
        if setup.tls && config.tls.is_none() {
            config.tls = Some(fauxauth_core::TlsConfig::default());
        }
        let provider = mock_provider::spawn_with_clock(config.clone(), clock.clone())
            .await
            .map_err(|e| format!("the provider did not start: {e}"))?;
        let (trust, browser_trust) = trust_of(&provider);

        let wanted = setup.resource.clone().unwrap_or_default();
        let mut resource = mock_resource::Config::new(provider.issuer());
        resource.clock = clock.clone();
        if let Some(preset) = wanted.preset.or(setup.preset) {
            resource.preset = preset;
            if preset != mock_resource::Preset::Generic {
                let issuer = &config.issuers[0].name;
                resource.issuer = provider
                    .provider()
                    .issuer_base(issuer)
                    .ok_or_else(|| format!("the provider has no issuer {issuer:?}"))?;
            }
        }
        resource.mode = wanted.mode;
        if let Some(audience) = wanted.audience {
            resource.audience = audience;
        }
        if resource.mode() == mock_resource::Mode::Introspection {
            let id = wanted.client.unwrap_or_else(|| "api".to_owned());
            let secret = client(&config, &id).and_then(|c| c.client_secret.clone());
            resource.client_id = Some(id);
            resource.client_secret = secret;
        }
        resource.rules = wanted.rules;
        if let Some(github) = wanted.github {
            resource.github = github;
        }
        resource.network = fauxauth_core::Network {
            tls: sibling_tls(&provider)?,
            trust: trust.clone(),
            resolve: Vec::new(),
        };
        let resource = mock_resource::spawn(resource)
            .await
            .map_err(|e| format!("the resource did not start: {e}"))?;
        let client = if with_client || setup.client.is_some() {
            Some(
                start_client(
                    setup,
                    &config,
                    &provider,
                    &resource,
                    (&clock, &trust),
                    weaknesses,
                )
                .await?,
            )
        } else {
            None
        };
        Ok(Self {
            clock,
            config,
            provider,
            resource,
            client,
            person: "alice".to_owned(),
            trust,
            browser_trust,
        })
    }

    /// What a scenario knows of the world's people without capturing it: `${person}` and
    /// `${attacker}` (when there is one), and each one's claims as `${person_email}`,
    /// `${attacker_name}`, ...
    pub fn people_vars(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (role, username) in [
            ("person", Some(self.person.as_str())),
            ("attacker", self.user(ATTACKER).map(|u| u.username.as_str())),
        ] {
            let Some(user) = username.and_then(|u| self.user(u)) else {
                continue;
            };
            out.push((role.to_owned(), user.username.clone()));
            out.push((format!("{role}_sub"), user.sub().to_owned()));
            for (claim, value) in &user.claims {
                let text = match value {
                    serde_json::Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                out.push((format!("{role}_{claim}"), text));
            }
        }
        out
    }

    /// A user of the first issuer.
    pub fn user(&self, username: &str) -> Option<&UserConfig> {
        self.config
            .issuers
            .first()?
            .users
            .iter()
            .find(|u| u.username == username)
    }

    /// The provider's first issuer URL.
    pub fn issuer(&self) -> String {
        self.provider.issuer()
    }

    /// The issuer URL that paths are put after: without the `/` an issuer may end with (Auth0's
    /// does; OIDC Discovery §4 drops it before appending a path too).
    pub fn issuer_base(&self) -> String {
        self.issuer().trim_end_matches('/').to_owned()
    }

    /// The provider's scheme, host and port.
    pub fn origin(&self) -> String {
        url::Url::parse(&self.provider.issuer())
            .map(|u| u.origin().ascii_serialization())
            .unwrap_or_default()
    }

    /// Every URL of the first issuer's `endpoint` (its name in the journal), in the order its
    /// layout serves them: a Microsoft issuer's home tenant first, then `common`,
    /// `organizations` and `consumers`.
    pub fn endpoints(&self, endpoint: &str) -> Vec<String> {
        self.provider
            .provider()
            .endpoints(&self.config.issuers[0].name)
            .into_iter()
            .filter(|(name, _)| *name == endpoint)
            .map(|(_, url)| url)
            .collect()
    }

    /// The first URL of the first issuer's `endpoint`, if it serves one.
    pub fn endpoint(&self, endpoint: &str) -> Option<String> {
        self.endpoints(endpoint).into_iter().next()
    }

    pub fn resource_url(&self) -> String {
        self.resource.url()
    }

    /// A client of the first issuer.
    pub fn client(&self, id: &str) -> Option<&ClientConfig> {
        client(&self.config, id)
    }
}

/// Whether `client`'s `jwks` lists the scenario client key (by its `kid`).
fn registers_scenario_key(client: &mock_provider::ClientConfig) -> bool {
    client
        .jwks
        .as_ref()
        .and_then(|jwks| jwks.get("keys"))
        .and_then(serde_json::Value::as_array)
        .is_some_and(|keys| {
            keys.iter().any(|k| {
                k.get("kid").and_then(serde_json::Value::as_str)
                    == Some(crate::scenario::CLIENT_KEY_ID)
            })
        })
}

async fn start_client(
    setup: &Setup,
    config: &Config,
    provider: &mock_provider::Running,
    resource: &mock_resource::Running,
    (clock, trust): (&Clock, &Trust),
    weaknesses: &[sample_client::Weakness],
) -> Result<ClientSlot, String> {
    let wanted = setup.client.clone().unwrap_or_default();
    let registered = client(config, &wanted.client)
        .ok_or_else(|| {
            format!(
                "setup.client: the provider has no client {:?}",
                wanted.client
            )
        })?
        .clone();
    let mut app = match &registered.client_secret {
        Some(secret) => {
            sample_client::Config::confidential(provider.issuer(), &registered.client_id, secret)
        }
        None => sample_client::Config::public(provider.issuer(), &registered.client_id),
    };
    // A client registered with the scenario client key authenticates with it (private_key_jwt).
    if registered.client_secret.is_none() && registers_scenario_key(&registered) {
        app.private_key = Some(crate::scenario::CLIENT_KEY_PEM.to_owned());
        app.private_key_id = Some(crate::scenario::CLIENT_KEY_ID.to_owned());
        // Apple's apps sign their client secret with it, as their team.
        app.team_id = registered.team_id.clone();
    }
    // The API host, with the github preset.
    app.resource = Some(resource.url());
    app.clock = clock.clone();
    app.network = fauxauth_core::Network {
        tls: sibling_tls(provider)?,
        trust: trust.clone(),
        resolve: Vec::new(),
    };
    if let Some(scopes) = wanted.scopes {
        app.scopes = scopes;
    }
    if let Some(preset) = wanted.preset.or(setup.preset) {
        app.preset = preset;
    }
    app.dpop = wanted.dpop;
    app.par = wanted.par;
    app.form_post = wanted.form_post;
    app.weaknesses = wanted.weaknesses;
    for w in weaknesses {
        if !app.weaknesses.contains(w) {
            app.weaknesses.push(*w);
        }
    }
    let running = sample_client::spawn(app)
        .await
        .map_err(|e| format!("the client did not start: {e}"))?;
    // Its redirect URI matches the registered loopback one whatever the port (RFC 8252 §7.3);
    // its post-logout URI must be registered exactly, so it is, now that its port is known.
    let mut updated = registered;
    if running.url().starts_with("https:") {
        // Served over HTTPS, it comes back to https://127.0.0.1:{port}/callback, which the
        // loopback exception (http only, RFC 8252 §7.3) does not cover: registered exactly.
        updated
            .redirect_uris
            .push(running.state().redirect_uri().to_owned());
    }
    let post_logout = running.state().post_logout_redirect_uri().to_owned();
    if !updated.post_logout_redirect_uris.contains(&post_logout) {
        updated.post_logout_redirect_uris.push(post_logout);
    }
    // Back-Channel Logout: the client takes logout tokens at its own path, unless the scenario
    // registered something else for it.
    if updated.backchannel_logout_uri.is_none() {
        updated.backchannel_logout_uri = Some(format!(
            "{}{}",
            running.url(),
            sample_client::paths::BACKCHANNEL_LOGOUT
        ));
    }
    let issuer = config.issuers[0].name.clone();
    provider
        .provider()
        .put_client(&issuer, updated)
        .map_err(|e| e.to_string())?;
    Ok(ClientSlot {
        url: running.url(),
        login_path: "/login".to_owned(),
        logout_path: Some("/logout".to_owned()),
        login_click: None,
        app: App::Reference(running),
    })
}

fn client<'a>(config: &'a Config, id: &str) -> Option<&'a ClientConfig> {
    config
        .issuers
        .first()?
        .clients
        .iter()
        .find(|c| c.client_id == id)
}
