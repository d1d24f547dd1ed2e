//! The app file (`fauxauth.app.yaml`): what `fauxauth test` needs to know of the user's app.
//! Strict like every file fauxauth reads: serde with `deny_unknown_fields`, then checks that
//! types cannot make, each problem with file, line and field, all before anything starts.
//!
//! The provider side reuses the provider's own types (`ClientConfig`, `UserConfig`): one
//! schema for a client, whether a configuration file or an app file registers it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use mock_provider::preset::Preset;
use mock_provider::{ClientConfig, LoginMode, UserConfig};
use serde::Deserialize;

/// Where `fauxauth test` looks when it is given no file.
pub const DEFAULT_FILE: &str = "fauxauth.app.yaml";

/// The whole file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppFile {
    pub app: AppSection,
    pub provider: ProviderSection,
    /// The mock resource (a protected API), for an app that calls one: started beside the
    /// provider, trusting it; its URL is `{resource}`.
    #[serde(default)]
    pub resource: Option<ResourceSection>,
    #[serde(default)]
    pub checks: ChecksSection,
}

/// The app itself.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppSection {
    /// How to start it; left out, the app must already be running at `url`.
    #[serde(default)]
    pub start: Option<Start>,
    /// Where it answers. `{port}` is a free port fauxauth picks (and hands to `start`).
    #[serde(default = "default_url")]
    pub url: String,
    /// Where a person starts to log in.
    pub login: LoginEntry,
    /// How to tell that a person is logged in.
    pub logged_in: LoggedIn,
    /// Where a person logs out, when the app has a logout.
    #[serde(default)]
    pub logout: Option<String>,
}

/// Starting the app: a command, its folder and environment, and how to tell it is up.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Start {
    /// The program and its arguments (a string is run by `sh -c`).
    pub command: Command,
    /// Its working folder, relative to the app file.
    #[serde(default)]
    pub dir: Option<PathBuf>,
    /// Variables added to its environment; values may use placeholders.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// A path that answers once the app is up (any status but a connection refused); the login
    /// path when absent.
    #[serde(default)]
    pub ready: Option<String>,
    /// How long to wait for it.
    #[serde(default = "default_timeout", with = "fauxauth_core::duration")]
    pub timeout: Duration,
    /// Start it afresh for every check, for an app that keeps state fauxauth cannot reset
    /// (slower).
    #[serde(default)]
    pub restart_per_check: bool,
}

/// A command line.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum Command {
    /// Run by `sh -c`.
    Shell(String),
    /// A program and its arguments, run as they are.
    Argv(Vec<String>),
}

/// Where a login starts: a path, and the text of the link or button to click there when the
/// page does not redirect to the provider at once.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged, deny_unknown_fields)]
pub enum LoginEntry {
    Path(String),
    Page {
        path: String,
        #[serde(default)]
        click: Option<String>,
    },
}

impl LoginEntry {
    pub fn path(&self) -> &str {
        match self {
            Self::Path(path) | Self::Page { path, .. } => path,
        }
    }

    pub fn click(&self) -> Option<&str> {
        match self {
            Self::Path(_) => None,
            Self::Page { click, .. } => click.as_deref(),
        }
    }
}

/// The logged-in sign: a page that answers `status`, or shows `shows`, when someone is logged in.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoggedIn {
    #[serde(default = "root")]
    pub path: String,
    #[serde(default)]
    pub status: Option<u16>,
    /// Text the page shows; `{name}`, `{email}`, `{sub}`, `{username}` (any claim) name the
    /// person, so fauxauth can tell whose session it is.
    #[serde(default)]
    pub shows: Option<String>,
}

/// The provider the app logs in with.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderSection {
    /// Its issuer URL, the same for the whole run (apps cache discovery and keys):
    /// `http://127.0.0.1:<port>`. A free port when absent. An `https` URL serves HTTPS.
    #[serde(default)]
    pub issuer: Option<String>,
    /// Serve the provider and the resource over HTTPS, with certificates from fauxauth's local
    /// authority, whose certificate the app is given: `{ca_file}`, and in its environment
    /// `SSL_CERT_FILE`, `REQUESTS_CA_BUNDLE`, `NODE_EXTRA_CA_CERTS` and `CURL_CA_BUNDLE`.
    #[serde(default)]
    pub tls: bool,
    /// The real provider the app is written against: `google`, `github`, `microsoft`,
    /// `keycloak`, `gitlab`, `auth0`, `okta`, `discord`, `slack` or `apple` (whose app registers
    /// its public key as `client.jwks` and its `client.team_id`, and signs its client secret).
    #[serde(default)]
    pub preset: Preset,
    /// How the person logs in at the provider: `headless` (at once) or `page`.
    #[serde(default)]
    pub login: LoginMode,
    /// The app's registration: the provider's own client schema. `redirect_uris` default to
    /// `{url}/callback`, `post_logout_redirect_uris` to `{url}/`.
    pub client: ClientConfig,
    /// Who can log in: the first is the person every check logs in as. `alice` when absent.
    #[serde(default)]
    pub users: Vec<UserConfig>,
}

/// The mock resource's settings.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceSection {
    #[serde(default)]
    pub audience: Option<String>,
    #[serde(default)]
    pub port: Option<u16>,
}

/// Which checks run, and how strictly.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChecksSection {
    /// Fail on warnings too (`should` checks).
    #[serde(default)]
    pub strict: bool,
    /// Checks not to run, by name (`app/state-unguessable`), each with a reason.
    #[serde(default)]
    pub skip: BTreeMap<String, String>,
}

fn default_url() -> String {
    "http://127.0.0.1:{port}".to_owned()
}

fn default_timeout() -> Duration {
    Duration::from_secs(30)
}

fn root() -> String {
    "/".to_owned()
}

/// A problem with an app file, with its place.
#[derive(Debug, thiserror::Error)]
#[error("{}", .messages.join("\n"))]
pub struct FileError {
    pub messages: Vec<String>,
}

/// The app file, read and checked, and the folder it is in (a start command's `dir` is relative
/// to it).
#[derive(Clone, Debug)]
pub struct Loaded {
    pub file: AppFile,
    pub origin: String,
    pub dir: PathBuf,
}

/// Reads and checks an app file.
pub fn load(path: &Path) -> Result<Loaded, FileError> {
    let text = std::fs::read_to_string(path).map_err(|e| FileError {
        messages: vec![format!(
            "{}: cannot read: {e}{}",
            path.display(),
            if e.kind() == std::io::ErrorKind::NotFound {
                " (fauxauth test --init writes a starting file)"
            } else {
                ""
            }
        )],
    })?;
    let origin = path.display().to_string();
    let file = parse(&text, &origin)?;
    let dir = path
        .parent()
        .map(Path::to_path_buf)
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| PathBuf::from("."));
    Ok(Loaded { file, origin, dir })
}

/// Parses and checks app file text; `origin` names it in messages.
pub fn parse(text: &str, origin: &str) -> Result<AppFile, FileError> {
    let file: AppFile = fauxauth_core::yaml::from_str(text).map_err(|e| FileError {
        messages: vec![e.describe(origin)],
    })?;
    let lines: Lines = serde_saphyr::from_str(text).unwrap_or_default();
    let problems = problems(&file);
    if problems.is_empty() {
        return Ok(file);
    }
    Err(FileError {
        messages: problems
            .into_iter()
            .map(|(field, message)| match lines.line_of(field) {
                Some(line) => format!("{origin}:{line}: {field}: {message}"),
                None => format!("{origin}: {field}: {message}"),
            })
            .collect(),
    })
}

/// What is wrong with a file that parsed: (field, message).
fn problems(file: &AppFile) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    let app = &file.app;
    if !(app.url.starts_with("http://") || app.url.starts_with("https://")) {
        out.push((
            "app.url",
            format!("{:?} must be an http or https URL", app.url),
        ));
    }
    if app.start.is_none() && app.url.contains("{port}") {
        out.push((
            "app.url",
            "with no `start`, the app must already be running: give its URL with a port".into(),
        ));
    }
    for (field, path) in [
        ("app.login", Some(app.login.path())),
        ("app.logged_in.path", Some(app.logged_in.path.as_str())),
        ("app.logout", app.logout.as_deref()),
        (
            "app.start.ready",
            app.start.as_ref().and_then(|s| s.ready.as_deref()),
        ),
    ] {
        if let Some(path) = path
            && !path.starts_with('/')
        {
            out.push((field, format!("{path:?} must be a path starting with '/'")));
        }
    }
    if app.logged_in.status.is_none() && app.logged_in.shows.is_none() {
        out.push((
            "app.logged_in",
            "say how to tell someone is logged in: `status` the page answers, or text it `shows`"
                .into(),
        ));
    }
    if app
        .logged_in
        .shows
        .as_deref()
        .is_some_and(|s| s.trim().is_empty())
    {
        out.push(("app.logged_in.shows", "must not be empty".into()));
    }
    if let Some(start) = &app.start {
        match &start.command {
            Command::Shell(line) if line.trim().is_empty() => {
                out.push(("app.start.command", "must not be empty".into()));
            }
            Command::Argv(argv) if argv.is_empty() || argv[0].trim().is_empty() => {
                out.push(("app.start.command", "must name a program".into()));
            }
            _ => {}
        }
        if start.timeout.is_zero() {
            out.push(("app.start.timeout", "must be more than 0s".into()));
        }
    }
    if let Some(issuer) = &file.provider.issuer {
        match url::Url::parse(issuer) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.port().is_some() => {
                let loopback = matches!(
                    url.host(),
                    Some(url::Host::Ipv4(ip)) if ip.is_loopback()
                ) || matches!(url.host(), Some(url::Host::Ipv6(ip)) if ip.is_loopback())
                    || url.host_str() == Some("localhost");
                if !loopback {
                    out.push((
                        "provider.issuer",
                        format!("{issuer:?}: the provider listens on this machine: use 127.0.0.1, [::1] or localhost"),
                    ));
                }
                if url.path() != "/" || url.query().is_some() {
                    out.push((
                        "provider.issuer",
                        format!("{issuer:?}: give the scheme, host and port only"),
                    ));
                }
            }
            _ => out.push((
                "provider.issuer",
                format!(
                    "{issuer:?} is not an http(s) URL with a port, such as http://127.0.0.1:9400"
                ),
            )),
        }
    }
    let client = &file.provider.client;
    if client.client_id.trim().is_empty() {
        out.push(("provider.client.client_id", "must not be empty".into()));
    }
    for (i, user) in file.provider.users.iter().enumerate() {
        for (field, message) in user.problems() {
            out.push((
                "provider.users",
                format!("user {} ({}): {field}: {message}", i + 1, user.username),
            ));
        }
    }
    let names: Vec<&str> = file
        .provider
        .users
        .iter()
        .map(|u| u.username.as_str())
        .collect();
    if names.contains(&crate::app::ATTACKER) {
        out.push((
            "provider.users",
            format!(
                "{:?} is the attacker fauxauth adds itself; name your users otherwise",
                crate::app::ATTACKER
            ),
        ));
    }
    out
}

/// The lines where the file's sections begin, for messages.
#[derive(Debug, Default, Deserialize)]
struct Lines {
    #[serde(default)]
    app: Option<serde_saphyr::Spanned<AppLines>>,
    #[serde(default)]
    provider: Option<serde_saphyr::Spanned<ProviderLines>>,
}

#[derive(Debug, Default, Deserialize)]
struct AppLines {
    #[serde(default)]
    url: Option<fauxauth_core::yaml::Mark>,
    #[serde(default)]
    start: Option<fauxauth_core::yaml::Mark>,
    #[serde(default)]
    login: Option<fauxauth_core::yaml::Mark>,
    #[serde(default)]
    logged_in: Option<fauxauth_core::yaml::Mark>,
    #[serde(default)]
    logout: Option<fauxauth_core::yaml::Mark>,
}

#[derive(Debug, Default, Deserialize)]
struct ProviderLines {
    #[serde(default)]
    issuer: Option<fauxauth_core::yaml::Mark>,
    #[serde(default)]
    client: Option<fauxauth_core::yaml::Mark>,
    #[serde(default)]
    users: Option<fauxauth_core::yaml::Mark>,
}

impl Lines {
    fn line_of(&self, field: &str) -> Option<u64> {
        let line = |s: &Option<fauxauth_core::yaml::Mark>| s.as_ref().map(|s| s.referenced.line());
        let app = self.app.as_ref().map(|a| &a.value);
        let provider = self.provider.as_ref().map(|p| &p.value);
        let found = match field.split('.').take(2).collect::<Vec<_>>()[..] {
            ["app", "url"] => app.and_then(|a| line(&a.url)),
            ["app", "start"] => app.and_then(|a| line(&a.start)),
            ["app", "login"] => app.and_then(|a| line(&a.login)),
            ["app", "logged_in"] => app.and_then(|a| line(&a.logged_in)),
            ["app", "logout"] => app.and_then(|a| line(&a.logout)),
            ["provider", "issuer"] => provider.and_then(|p| line(&p.issuer)),
            ["provider", "client"] => provider.and_then(|p| line(&p.client)),
            ["provider", "users"] => provider.and_then(|p| line(&p.users)),
            _ => None,
        };
        found.or_else(|| match field.split('.').next() {
            Some("app") => self.app.as_ref().map(|a| a.referenced.line()),
            Some("provider") => self.provider.as_ref().map(|p| p.referenced.line()),
            _ => None,
        })
    }
}

/// What `fauxauth test --init` writes: a commented starting file.
pub const TEMPLATE: &str = r#"# fauxauth test: the scenario library against your app.
# Every value in {braces} is filled in by fauxauth when it starts your app.

app:
  # How fauxauth starts your app. Leave `start` out when the app is already running at `url`.
  start:
    command: ["python3", "app.py"]     # or one string, run by `sh -c`
    dir: .                             # relative to this file
    env:                               # what your app reads to find its provider
      ISSUER: "{issuer}"
      CLIENT_ID: "{client_id}"
      CLIENT_SECRET: "{client_secret}"
      REDIRECT_URI: "{redirect_uri}"
      PORT: "{port}"
    ready: /                           # a path that answers once the app is up
    timeout: 30s
  # Where the app answers; {port} is a free port fauxauth picks and hands to `start`.
  url: "http://127.0.0.1:{port}"
  # Where a person starts to log in. If that page has a "Log in with ..." button rather than
  # redirecting at once, say what it reads:  login: { path: /, click: "Log in" }
  login: /login
  # How to tell someone is logged in: the page answers `status`, or shows `shows`.
  # {name}, {email}, {sub} or {username} is the person's claim.
  logged_in:
    path: /
    shows: "Signed in as {name}"
  logout: /logout                      # leave out if the app has none

provider:
  # One issuer URL for the whole run (apps cache discovery and keys). A free port if left out.
  issuer: http://127.0.0.1:9400
  # HTTPS (or an https issuer above): the app gets fauxauth's certificate authority in
  # SSL_CERT_FILE, REQUESTS_CA_BUNDLE, NODE_EXTRA_CA_CERTS and CURL_CA_BUNDLE, or as {ca_file}.
  # tls: true
  # preset: google                     # google, github, microsoft, keycloak, gitlab, auth0, okta,
  #                                    # discord, slack or apple
  client:                              # the registration your app uses
    client_id: my-app
    client_secret: my-app-secret-0123456789   # leave out for a public client
    # redirect_uris: ["{url}/callback"]      # the default
    # backchannel_logout_uri: "{url}/backchannel-logout"   # if the app takes logout tokens
    # token_endpoint_auth_method: client_secret_basic
  users:                               # the first one is the person the checks log in as
    - username: alice
      claims:
        name: Alice Example
        email: alice@example.com
        email_verified: true

# resource: {}                         # start the mock resource too, at {resource}

checks:
  strict: false                        # true: warnings fail the run too
  skip: {}                             # app/<check>: why it does not apply
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_is_a_valid_app_file() {
        let file = parse(TEMPLATE, "fauxauth.app.yaml").unwrap();
        assert_eq!(file.app.login.path(), "/login");
        assert_eq!(file.provider.client.client_id, "my-app");
    }

    #[test]
    fn problems_name_the_line_and_field() {
        let text = "app:\n  login: login\n  logged_in:\n    path: /\nprovider:\n  issuer: http://example.com:9\n  client:\n    client_id: a\n";
        let e = parse(text, "f.yaml").unwrap_err().messages.join("\n");
        assert!(
            e.contains("f.yaml:2: app.login: \"login\" must be a path"),
            "{e}"
        );
        // A block's line is the line its contents start on.
        assert!(e.contains("f.yaml:4: app.logged_in: say how"), "{e}");
        assert!(e.contains("f.yaml:6: provider.issuer:"), "{e}");
        assert!(e.contains("app.url: with no `start`"), "{e}");
        let typo = "app:\n  login: /\n  loged_in: {status: 200}\n";
        let e = parse(typo, "f.yaml").unwrap_err().messages.join("\n");
        assert!(e.starts_with("f.yaml:3:"), "{e}");
        assert!(e.contains("did you mean `logged_in`"), "{e}");
    }
}
