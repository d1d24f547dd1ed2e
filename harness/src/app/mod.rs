//! `fauxauth test`: the app check library against the user's own app, black-box.
//!
//! One world serves the whole run: the provider at one issuer URL (apps cache discovery and
//! keys), on the real clock (the app reads the real clock, so a check shapes time through token
//! rules, never by moving the provider's clock), the resource beside it, and the app in the
//! client slot, judged by what it shows. A run:
//!
//! 1. starts the app (`process`) with the values fauxauth decided, and waits until it answers;
//! 2. learns it (`learn`): a normal login must succeed first; when it does not, says exactly why
//!    from what the provider saw; what the login sent becomes the facts checks depend on;
//! 3. runs each check of `scenarios/app/` on a clean provider (rules, keys, users and the
//!    journal reset, the generator left running so no value repeats), judged at its level;
//! 4. reports (`report`): the summary, JSON, JUnit and a self-contained HTML page.
//!
//! - `file`: the app file, strictly parsed.

pub mod file;
pub mod learn;
pub mod process;
pub mod report;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use fauxauth_core::Clock;
use mock_provider::{ClientConfig, Config, IssuerConfig, UserConfig};

use crate::scenario::ecosystem::{App, ClientSlot, Ecosystem, Sign};
use crate::scenario::model::{Fact, Severity};
use crate::scenario::{Loaded, Outcome, run_in};
use process::AppProcess;

pub use crate::scenario::ecosystem::ATTACKER;

/// The environment variable the reference client reads its weaknesses from (comma-separated):
/// how the self-check switches its protections off through the same app file a user writes.
pub const WEAKNESSES_ENV: &str = "FAUXAUTH_CLIENT_WEAKNESSES";

/// How one check went.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    Passed,
    /// Failed a `must`: the run fails.
    Failed,
    /// Failed a `should` (or a `must` another protection stands in for): a warning, which fails
    /// a strict run.
    Warned,
    /// Not run, and why (a fact it needs does not hold, or the app file skips it).
    Skipped(String),
}

/// One check's result.
#[derive(Clone, Debug)]
pub struct CheckResult {
    pub check: Loaded,
    pub verdict: Verdict,
    /// The level it was judged at, and the fact that relaxed a `must`, if one did.
    pub severity: Severity,
    pub relaxed_by: Option<Fact>,
    pub outcome: Option<Outcome>,
}

impl CheckResult {
    /// `app/state-forged` for `scenarios/app/state-forged.yaml`.
    pub fn id(&self) -> String {
        check_id(&self.check.path)
    }
}

/// The level a check is judged at for an app with these facts, and the fact that relaxed a
/// `must` to a `should`, if one did.
fn weigh(
    scenario: &crate::scenario::model::Scenario,
    facts: &BTreeSet<Fact>,
) -> (Severity, Option<Fact>) {
    let relaxable = scenario.level == Severity::Must
        && !scenario.not_relaxed_for.iter().any(|f| facts.contains(f));
    let relaxed_by = relaxable
        .then(|| {
            scenario
                .relaxed_by
                .iter()
                .copied()
                .find(|f| facts.contains(f))
        })
        .flatten();
    match relaxed_by {
        Some(fact) => (Severity::Should, Some(fact)),
        None => (scenario.level, None),
    }
}

/// `scenarios/app/state-forged.yaml` → `app/state-forged`.
pub fn check_id(path: &std::path::Path) -> String {
    let stem = path
        .file_stem()
        .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    let group = path
        .parent()
        .and_then(|p| p.file_name())
        .map_or_else(String::new, |g| g.to_string_lossy().into_owned());
    format!("{group}/{stem}")
}

/// A whole run.
#[derive(Clone, Debug)]
pub struct Report {
    /// The app file's name.
    pub app: String,
    pub facts: BTreeSet<Fact>,
    pub results: Vec<CheckResult>,
    pub elapsed: Duration,
    pub strict: bool,
}

impl Report {
    pub fn count(&self, verdict: fn(&Verdict) -> bool) -> usize {
        self.results.iter().filter(|r| verdict(&r.verdict)).count()
    }

    /// Whether the run passes: no failure, and no warning when strict.
    pub fn passed(&self) -> bool {
        self.results.iter().all(|r| match r.verdict {
            Verdict::Failed => false,
            Verdict::Warned => !self.strict,
            _ => true,
        })
    }
}

/// Why a run could not take place (as opposed to checks failing).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    File(#[from] file::FileError),
    #[error(transparent)]
    Start(#[from] process::StartError),
    #[error("{0}")]
    Setup(String),
    /// The normal login did not succeed: nothing can be judged.
    #[error("{0}")]
    Learn(String),
    #[error("the app exited during the run ({status}){tail}")]
    Exited { status: String, tail: String },
}

/// What a run is asked to do besides the file's settings.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Fail on warnings too (or the file's `checks.strict`).
    pub strict: bool,
    /// Only checks whose id, name or tags contain this.
    pub filter: Option<String>,
    /// Variables added to the app's environment (the self-check's weaknesses).
    pub env: Vec<(String, String)>,
}

/// The world of a run and the app in it.
#[derive(Debug)]
pub struct Session {
    pub world: Ecosystem,
    app: Option<AppProcess>,
    placeholders: BTreeMap<&'static str, String>,
    file: file::Loaded,
    /// What the normal login showed of the app.
    pub facts: BTreeSet<Fact>,
}

impl Session {
    /// Starts the provider and resource, then the app, and learns the app from a normal login.
    pub async fn start(file: file::Loaded, env: &[(String, String)]) -> Result<Self, Error> {
        let f = &file.file;
        let tls = f.provider.tls
            || f.provider
                .issuer
                .as_ref()
                .is_some_and(|i| i.starts_with("https:"));
        let issuer_url = match &f.provider.issuer {
            Some(issuer) => issuer.trim_end_matches('/').to_owned(),
            None => format!(
                "{}://127.0.0.1:{}",
                if tls { "https" } else { "http" },
                process::free_port().map_err(|e| Error::Setup(e.to_string()))?
            ),
        };
        let port = if f.app.url.contains("{port}") {
            process::free_port().map_err(|e| Error::Setup(e.to_string()))?
        } else {
            url::Url::parse(&f.app.url)
                .ok()
                .and_then(|u| u.port_or_known_default())
                .unwrap_or(80)
        };
        let app_url = f
            .app
            .url
            .replace("{port}", &port.to_string())
            .trim_end_matches('/')
            .to_owned();
        let mut placeholders: BTreeMap<&'static str, String> = BTreeMap::new();
        placeholders.insert("port", port.to_string());
        placeholders.insert("url", app_url.clone());
        placeholders.insert("issuer", issuer_url.clone());
        placeholders.insert(
            "fauxauth",
            std::env::current_exe()
                .map(|p| p.display().to_string())
                .unwrap_or_else(|_| "fauxauth".into()),
        );

        let mut config = provider_config(&file, &placeholders)?;
        if tls {
            config.tls = Some(fauxauth_core::TlsConfig::default());
        }
        let client = config.issuers[0].clients[0].clone();
        placeholders.insert("client_id", client.client_id.clone());
        placeholders.insert(
            "client_secret",
            client.client_secret.clone().unwrap_or_default(),
        );
        placeholders.insert(
            "redirect_uri",
            client.redirect_uris.first().cloned().unwrap_or_default(),
        );

        let listener = bind(&issuer_url).await?;
        let clock = Clock::system();
        let provider = mock_provider::spawn_on(listener, config.clone(), clock.clone())
            .await
            .map_err(|e| Error::Setup(format!("the provider did not start: {e}")))?;
        let (trust, browser_trust) = crate::scenario::ecosystem::trust_of(&provider);
        if let Some(authority) = provider.tls().and_then(|t| t.authority()) {
            let path = ca_file(authority).map_err(Error::Setup)?;
            placeholders.insert("ca_file", path.display().to_string());
        }
        let mut resource_config = mock_resource::Config::new(provider.issuer());
        resource_config.clock = clock.clone();
        resource_config.network = fauxauth_core::Network {
            tls: crate::scenario::ecosystem::sibling_tls(&provider).map_err(Error::Setup)?,
            trust: trust.clone(),
            resolve: Vec::new(),
        };
        if let Some(audience) = f.resource.as_ref().and_then(|r| r.audience.clone()) {
            resource_config.audience = audience;
        }
        let resource = mock_resource::spawn(resource_config)
            .await
            .map_err(|e| Error::Setup(format!("the resource did not start: {e}")))?;
        placeholders.insert("resource", resource.url());

        let sign = Sign {
            path: f.app.logged_in.path.clone(),
            status: f.app.logged_in.status,
            shows: f.app.logged_in.shows.clone(),
        };
        let person = config.issuers[0].users[0].username.clone();
        let world = Ecosystem {
            clock,
            config,
            provider,
            resource,
            client: Some(ClientSlot {
                url: app_url,
                login_path: f.app.login.path().to_owned(),
                logout_path: f.app.logout.clone(),
                login_click: f.app.login.click().map(str::to_owned),
                app: App::UnderTest(sign),
            }),
            person,
            trust,
            browser_trust,
        };
        let mut session = Self {
            world,
            app: None,
            placeholders,
            file,
            facts: BTreeSet::new(),
        };
        session.start_app(env).await?;
        match learn::learn(&session).await {
            Ok(facts) => session.facts = facts,
            Err(e) => {
                session.stop().await;
                return Err(e);
            }
        }
        Ok(session)
    }

    /// (Re)starts the app, when the file says how, and waits until it answers.
    pub async fn start_app(&mut self, env: &[(String, String)]) -> Result<(), Error> {
        if let Some(old) = self.app.take() {
            old.stop().await;
        }
        let f = &self.file.file;
        let slot = self
            .world
            .client
            .as_ref()
            .expect("an app's world has its slot");
        let ready = match f.app.start.as_ref().and_then(|s| s.ready.as_deref()) {
            Some(path) => format!("{}{path}", slot.url),
            None => format!("{}{}", slot.url, slot.login_path),
        };
        match &f.app.start {
            Some(start) => {
                let mut app = AppProcess::start(start, &self.file.dir, &self.placeholders, env)?;
                if let Err(e) = app.wait_ready(&ready, start.timeout).await {
                    // Stopped (and reaped) before the error is told: nothing is left running.
                    app.stop().await;
                    return Err(e.into());
                }
                self.app = Some(app);
            }
            None => {
                // Already running: it must answer now.
                reqwest::Client::builder()
                    .use_preconfigured_tls(fauxauth_core::Trust::default().client_config())
                    .no_proxy()
                    .timeout(Duration::from_secs(10))
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
                    .expect("an HTTP client")
                    .get(&ready)
                    .send()
                    .await
                    .map_err(|e| {
                        Error::Setup(format!(
                            "the app at {} does not answer ({e}); start it, or give app.start",
                            slot.url
                        ))
                    })?;
            }
        }
        Ok(())
    }

    /// Back to a clean provider and resource for the next check: rules, keys, users, clients,
    /// journal and everything issued as configured; the generator keeps running, so no code
    /// or token of a check is seen again in another.
    pub async fn reset(&self) -> Result<(), Error> {
        self.world
            .provider
            .provider()
            .reset_keeping_generator()
            .map_err(|e| Error::Setup(format!("the provider could not be reset: {e}")))?;
        if let Some(tls) = self.world.provider.tls() {
            tls.serve_untrusted(false).await;
        }
        self.world.resource.state().reset();
        Ok(())
    }

    /// Fails when the app has exited.
    pub fn alive(&mut self) -> Result<(), Error> {
        if let Some(app) = &mut self.app
            && let Some(status) = app.exited()
        {
            return Err(Error::Exited {
                status,
                tail: app.tail_text(),
            });
        }
        Ok(())
    }

    /// The tail of the app's output, for messages.
    pub fn tail(&self) -> String {
        self.app
            .as_ref()
            .map(AppProcess::tail_text)
            .unwrap_or_default()
    }

    /// The placeholders' values: what the app was started with.
    pub fn placeholders(&self) -> &BTreeMap<&'static str, String> {
        &self.placeholders
    }

    /// Runs `checks` one after another, each on a clean provider; `done(n, total, result)` as
    /// each ends.
    pub async fn run(
        &mut self,
        checks: &[Loaded],
        options: &Options,
        done: &(dyn Fn(usize, usize, &CheckResult) + Send + Sync),
    ) -> Result<Report, Error> {
        let started = Instant::now();
        let strict = options.strict || self.file.file.checks.strict;
        let restart = self
            .file
            .file
            .app
            .start
            .as_ref()
            .is_some_and(|s| s.restart_per_check);
        let mut results = Vec::new();
        let total = checks.len();
        for (n, check) in checks.iter().enumerate() {
            let id = check_id(&check.path);
            let scenario = &check.scenario;
            let (severity, relaxed_by) = weigh(scenario, &self.facts);
            let skip = if let Some(why) = self.file.file.checks.skip.get(&id) {
                Some(format!("skipped by the app file: {why}"))
            } else {
                scenario
                    .applies_when
                    .iter()
                    .find(|f| !self.facts.contains(f))
                    .map(|f| format!("does not apply: the app does not have {}", f.name()))
                    .or_else(|| {
                        scenario
                            .unless
                            .iter()
                            .find(|f| self.facts.contains(f))
                            .map(|f| format!("does not apply: the app has {}", f.name()))
                    })
            };
            let (verdict, outcome) = match skip {
                Some(why) => (Verdict::Skipped(why), None),
                None => {
                    self.reset().await?;
                    if restart {
                        self.start_app(&options.env).await?;
                    }
                    let outcome = run_in(check, &self.world).await;
                    self.alive()?;
                    let verdict = match (outcome.passed(), severity) {
                        (true, _) => Verdict::Passed,
                        (false, Severity::Must) => Verdict::Failed,
                        (false, Severity::Should) => Verdict::Warned,
                    };
                    (verdict, Some(outcome))
                }
            };
            let result = CheckResult {
                check: check.clone(),
                verdict,
                severity,
                relaxed_by,
                outcome,
            };
            done(n + 1, total, &result);
            results.push(result);
        }
        Ok(Report {
            app: self.file.origin.clone(),
            facts: self.facts.clone(),
            results,
            elapsed: started.elapsed(),
            strict,
        })
    }

    /// Stops the app (the servers stop when the session is dropped).
    pub async fn stop(mut self) {
        if let Some(app) = self.app.take() {
            app.stop().await;
        }
    }
}

/// Which app checks caught each weakness of the reference client (see [`self_check`]).
#[derive(Clone, Debug)]
pub struct SelfCheck {
    /// Checks that did not pass with every protection on.
    pub failing_baseline: Vec<String>,
    /// Each weakness, and the checks that failed (or warned) with it on.
    pub caught: Vec<(sample_client::Weakness, Vec<String>)>,
    /// Every check that passed with every protection on.
    pub checks: Vec<String>,
}

impl SelfCheck {
    /// Checks that caught no weakness: each must be some weakness's catcher, or it proves
    /// nothing about the reference client.
    pub fn catching_nothing(&self) -> Vec<String> {
        self.checks
            .iter()
            .filter(|c| !self.caught.iter().any(|(_, by)| by.contains(c)))
            .cloned()
            .collect()
    }
}

/// The app checks against the reference client, started as a separate process through the app
/// file at `path` (as a user would write it): once with every protection on (every check must
/// pass, strictly: warnings count), then once per weakness, switched off through
/// [`WEAKNESSES_ENV`]. A check catches a weakness when it fails or warns with it. A weakness
/// whose normal login does not even succeed is caught by `app/normal-login`.
pub async fn self_check(
    path: &std::path::Path,
    checks: &[Loaded],
    weaknesses: &[sample_client::Weakness],
) -> Result<SelfCheck, Error> {
    let loaded = file::load(path)?;
    let options = Options {
        strict: true,
        ..Options::default()
    };
    let quiet = |_: usize, _: usize, _: &CheckResult| {};
    let mut session = Session::start(loaded, &[]).await?;
    let baseline = session.run(checks, &options, &quiet).await?;
    let failing_baseline = baseline
        .results
        .iter()
        .filter(|r| matches!(r.verdict, Verdict::Failed | Verdict::Warned))
        .map(CheckResult::id)
        .collect();
    let passing: Vec<Loaded> = baseline
        .results
        .iter()
        .filter(|r| r.verdict == Verdict::Passed)
        .map(|r| r.check.clone())
        .collect();
    let mut caught = Vec::new();
    for weakness in weaknesses {
        let env = vec![(WEAKNESSES_ENV.to_owned(), weakness.name().to_owned())];
        session.start_app(&env).await?;
        let by = match learn::learn(&session).await {
            Err(Error::Learn(_)) => vec!["app/normal-login".to_owned()],
            Err(other) => return Err(other),
            Ok(facts) => {
                session.facts = facts;
                let report = session.run(&passing, &options, &quiet).await?;
                report
                    .results
                    .iter()
                    .filter(|r| matches!(r.verdict, Verdict::Failed | Verdict::Warned))
                    .map(CheckResult::id)
                    .collect()
            }
        };
        caught.push((*weakness, by));
    }
    session.stop().await;
    Ok(SelfCheck {
        failing_baseline,
        caught,
        checks: passing.iter().map(|l| check_id(&l.path)).collect(),
    })
}

/// The checks to run: the app library on disk (`scenarios/app/` under `library`) when given,
/// else the one built into this binary; filtered.
pub fn checks(
    library: Option<&std::path::Path>,
    filter: Option<&str>,
) -> Result<Vec<Loaded>, Vec<String>> {
    let all = match library {
        Some(dir) => {
            let files = crate::scenario::discover(&[dir.to_path_buf()]).map_err(|e| vec![e])?;
            let files: Vec<_> = files
                .into_iter()
                .filter(|f| crate::scenario::is_app_check(f))
                .collect();
            crate::scenario::load_all(&files)?
        }
        None => crate::scenario::load_built_in(true)?,
    };
    Ok(all
        .into_iter()
        .filter(|l| {
            filter.is_none_or(|f| {
                check_id(&l.path).contains(f)
                    || l.scenario.name.contains(f)
                    || l.scenario.tags.iter().any(|t| t == f)
            })
        })
        .collect())
}

/// The provider the app file describes: one issuer at the root, the app's client with its
/// placeholders filled in, its users (alice when none) and the attacker.
fn provider_config(
    file: &file::Loaded,
    placeholders: &BTreeMap<&'static str, String>,
) -> Result<Config, Error> {
    let f = &file.file;
    let fill = |s: &str| process::fill(s, placeholders);
    let mut client: ClientConfig = f.provider.client.clone();
    client.client_id = fill(&client.client_id);
    client.client_secret = client.client_secret.as_deref().map(fill);
    if client.redirect_uris.is_empty() {
        client.redirect_uris = vec![fill("{url}/callback")];
    }
    client.redirect_uris = client.redirect_uris.iter().map(|u| fill(u)).collect();
    client.backchannel_logout_uri = client.backchannel_logout_uri.as_deref().map(fill);
    if client.post_logout_redirect_uris.is_empty() {
        client.post_logout_redirect_uris = vec![fill("{url}/"), fill("{url}")];
    }
    client.post_logout_redirect_uris = client
        .post_logout_redirect_uris
        .iter()
        .map(|u| fill(u))
        .collect();
    let mut users = f.provider.users.clone();
    if users.is_empty() {
        users.push(
            UserConfig::new("alice")
                .with_claim("name", "Alice Example")
                .with_claim("email", "alice@example.com")
                .with_claim("email_verified", true),
        );
    }
    users.push(
        UserConfig::new(ATTACKER)
            .with_claim("name", "Mallory Attacker")
            .with_claim("email", "mallory@attacker.example")
            .with_claim("email_verified", true),
    );
    let mut issuer = IssuerConfig::new("default")
        .with_client(client)
        .with_user(users.remove(0));
    for user in users {
        issuer = issuer.with_user(user);
    }
    issuer.login = f.provider.login;
    issuer.default_user = Some(issuer.users[0].username.clone());
    if f.provider.preset != mock_provider::preset::Preset::Generic {
        let seed = mock_provider::keys::DEFAULT_SEED.to_owned();
        let registered = issuer.clients[0].clone();
        mock_provider::dress(&mut issuer, f.provider.preset, &seed);
        // The app's credentials stay as registered: an Apple app's own key and team, not the
        // demo's.
        let client = &mut issuer.clients[0];
        client.client_secret = registered.client_secret;
        client.jwks = registered.jwks;
        client.jwks_uri = registered.jwks_uri;
        client.team_id = registered.team_id;
    }
    let mut config = Config::single(issuer);
    // The app's requests are journaled in full; the run is short.
    config.limits.journal.entries = 10_000;
    config.validate().map_err(|problems| {
        Error::File(file::FileError {
            messages: problems
                .iter()
                .map(|p| {
                    let field = p
                        .to_string()
                        .replace("issuers[0].clients[0].", "provider.client.");
                    format!("{}: {field}", file.origin)
                })
                .collect(),
        })
    })?;
    Ok(config)
}

/// Writes the authority's certificate where the app can read it, named by its fingerprint (the
/// same seed writes the same file), and returns the path.
fn ca_file(authority: &fauxauth_core::Authority) -> Result<std::path::PathBuf, String> {
    use sha2::Digest as _;
    let pem = authority.certificate_pem();
    let digest = sha2::Sha256::digest(pem.as_bytes());
    let name: String = digest[..6].iter().map(|b| format!("{b:02x}")).collect();
    let path = std::env::temp_dir().join(format!("fauxauth-ca-{name}.pem"));
    std::fs::write(&path, pem)
        .map_err(|e| format!("cannot write the CA certificate to {}: {e}", path.display()))?;
    Ok(path)
}

/// The variables that point common HTTP stacks at the CA certificate in `ca_file`: OpenSSL
/// (Python's `ssl`, Ruby, PHP, Go on Linux, .NET on Linux), Python `requests`, Node and curl.
pub const CA_VARIABLES: [&str; 4] = [
    "SSL_CERT_FILE",
    "REQUESTS_CA_BUNDLE",
    "NODE_EXTRA_CA_CERTS",
    "CURL_CA_BUNDLE",
];

/// Binds the issuer URL's address, or says why it cannot.
async fn bind(issuer: &str) -> Result<tokio::net::TcpListener, Error> {
    let url = url::Url::parse(issuer).map_err(|e| Error::Setup(format!("{issuer}: {e}")))?;
    let host = match url.host() {
        Some(url::Host::Domain("localhost")) | None => "127.0.0.1".to_owned(),
        Some(url::Host::Ipv6(ip)) => ip.to_string(),
        Some(host) => host.to_string(),
    };
    let port = url.port_or_known_default().unwrap_or(80);
    tokio::net::TcpListener::bind((host.as_str(), port))
        .await
        .map_err(|e| {
            Error::Setup(format!(
                "cannot listen on {host}:{port} for the provider ({issuer}): {e}"
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(yaml: &str) -> crate::scenario::model::Scenario {
        crate::scenario::parse(&format!("{yaml}\nsteps: [{{ login: {{}} }}]"), "check.yaml")
            .unwrap()
    }

    #[test]
    fn an_apple_app_keeps_its_own_credentials() {
        let text = "app:\n  url: http://127.0.0.1:3000\n  login: /login\n  logged_in: { status: 200 }\n\
            provider:\n  preset: apple\n  client:\n    client_id: com.example.web\n\
            \x20   client_secret: app-secret-0123456789\n\
            \x20   team_id: TEAM123456\n    jwks: { keys: [{ kty: EC, crv: P-256, kid: k1, \
            x: 3cbgZD_yV4_hFFvGkLSXnYnwRflo71aP1hKE3oBMDyc, \
            y: mCBaq-VAbv56u36AwWm_dzN39W6NBjHQwEx7dSJvjAs }] }\n";
        let loaded = file::Loaded {
            file: file::parse(text, "apple.yaml").unwrap(),
            origin: "apple.yaml".into(),
            dir: ".".into(),
        };
        let placeholders = BTreeMap::from([("url", "http://127.0.0.1:3000".to_owned())]);
        let config = provider_config(&loaded, &placeholders).unwrap();
        let client = &config.issuers[0].clients[0];
        // As registered, though the apple preset signs its demo apps' secrets with its own key.
        assert_eq!(client.team_id.as_deref(), Some("TEAM123456"));
        assert_eq!(
            client.client_secret.as_deref(),
            Some("app-secret-0123456789")
        );
        let kid = &client.jwks.as_ref().unwrap()["keys"][0]["kid"];
        assert_eq!(kid, "k1", "the app's key, not the demo's");
    }

    #[test]
    fn another_protection_turns_a_must_into_a_should() {
        let pkce = check("name: pkce\nrelaxed_by: [sends_nonce]\nnot_relaxed_for: [public_client]");
        let facts = |list: &[Fact]| list.iter().copied().collect::<BTreeSet<_>>();
        assert_eq!(weigh(&pkce, &facts(&[])), (Severity::Must, None));
        assert_eq!(
            weigh(&pkce, &facts(&[Fact::SendsNonce])),
            (Severity::Should, Some(Fact::SendsNonce))
        );
        // A public client has no secret; only PKCE binds its code.
        assert_eq!(
            weigh(&pkce, &facts(&[Fact::SendsNonce, Fact::PublicClient])),
            (Severity::Must, None)
        );
        let should = check("name: iat\nlevel: should\nrelaxed_by: [tls]");
        assert_eq!(
            weigh(&should, &facts(&[Fact::Tls])),
            (Severity::Should, None)
        );
    }
}
