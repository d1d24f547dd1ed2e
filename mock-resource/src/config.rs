//! The resource's configuration: one schema for YAML files, scenario fragments, the command line
//! and Rust code.
//!
//! Serde reads it with `deny_unknown_fields`, so a misspelt key is reported by the parser; then
//! [`Config::validate`] checks what types cannot express (an issuer that is not a URL,
//! introspection without client credentials, a preset asked to verify JWTs).
//!
//! # Presets
//! With a `preset` other than `generic` the resource is that provider's API host (GitHub's
//! `api.github.com`, Google's `www.googleapis.com`, Microsoft Graph). Their tokens are opaque, or
//! (Graph's) not meant to be verified by the API's callers, so a preset implies introspection: `mode` may be
//! left out or set to `introspection`, and `mode: jwt` is an error. `issuer` is then the
//! provider's base URL; nothing is discovered, and tokens are introspected at
//! `{issuer}/introspect` (fauxauth's own endpoint, served for every preset) unless
//! `introspection_endpoint` names another URL. `audience` is not checked: the real APIs take
//! every token their provider issued to a person.

pub use fauxauth_core::jose::Alg;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use fauxauth_core::Clock;
use fauxauth_core::preset::Preset;
use serde::Deserialize;

/// The `aud` the resource expects when none is configured: the default `access_token_audience`
/// of fauxauth's provider, so the two work together out of the box.
pub const DEFAULT_AUDIENCE: &str = "api";

/// The realm named in `WWW-Authenticate` challenges when none is configured (RFC 6750 §3).
pub const DEFAULT_REALM: &str = "fauxauth";

/// Everything a resource needs to start.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// The issuer identifier (`http://127.0.0.1:9000`). Its metadata is discovered at
    /// `{issuer}/.well-known/openid-configuration`, or at the RFC 8414 location.
    pub issuer: String,
    /// The audience this resource is: tokens must name it in `aud` (RFC 9068 §4). Not checked
    /// with a preset.
    pub audience: String,
    /// Which provider's API the resource also serves (see the module docs); `generic` serves the
    /// demo API alone.
    pub preset: Preset,
    /// How tokens are validated: JWT when left out, introspection with a preset (which allows no
    /// other). [`Config::mode`] says which applies.
    pub mode: Option<Mode>,
    /// Where tokens are introspected, instead of the discovered `introspection_endpoint`
    /// (generic) or `{issuer}/introspect` (presets).
    pub introspection_endpoint: Option<String>,
    /// The client the resource authenticates as at the introspection endpoint (RFC 7662 §2.1).
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
    /// Clock skew tolerated on `exp`, `nbf` and `iat`. Written `30s`, `1m`, or seconds.
    #[serde(deserialize_with = "fauxauth_core::duration::deserialize")]
    pub leeway: Duration,
    /// Require the JOSE header `typ: at+jwt` (RFC 9068 §4), so that an ID token or another JWT
    /// is never taken for an access token.
    pub require_at_jwt: bool,
    /// The JWS algorithms accepted. `none` and the HMAC algorithms cannot be named: a resource
    /// holds public keys only (RFC 8725 §3.1, §2.1).
    pub allowed_algs: Vec<Alg>,
    /// Accept the token in a form-encoded body (RFC 6750 §2.2).
    pub bearer_in_body: bool,
    /// Accept the token in the `access_token` query parameter (RFC 6750 §2.3). Answers then carry
    /// `Cache-Control: private`.
    pub bearer_in_query: bool,
    /// After the keys are first loaded, a token naming an unknown `kid` makes the resource fetch
    /// the JWKS again, at most once per this interval (a failed fetch is retried no sooner
    /// either). Measured on the injected clock.
    #[serde(deserialize_with = "fauxauth_core::duration::deserialize")]
    pub jwks_min_refetch_interval: Duration,
    /// The realm named in challenges (RFC 6750 §3).
    pub realm: String,
    /// Rules (faults such as 500, 503 with `Retry-After`, 429, delays, dropped connections) in
    /// force from the start, as the admin API and scenarios add them.
    pub rules: Vec<fauxauth_core::rules::Rule>,
    /// HTTPS served, what is trusted when calling the issuer over HTTPS, names resolved here.
    #[serde(skip)]
    pub network: fauxauth_core::Network,
    /// With a token, the admin API (`/_fauxauth/`) admits any peer that presents it as a bearer
    /// token and no one else; without one, it admits loopback peers only.
    pub admin_token: Option<String>,
    /// Settings of the `github` preset's API.
    pub github: GithubSettings,
    /// Timeouts, connections and the journal's size (see `fauxauth_core::Limits`).
    pub limits: fauxauth_core::Limits,
    /// The clock `exp`, `nbf`, `iat` and the refetch interval are judged by. Not part of files:
    /// the harness hands every component of a scenario the same clock.
    #[serde(skip)]
    pub clock: Clock,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            issuer: String::new(),
            audience: DEFAULT_AUDIENCE.to_owned(),
            preset: Preset::Generic,
            mode: None,
            introspection_endpoint: None,
            client_id: None,
            client_secret: None,
            leeway: Duration::ZERO,
            require_at_jwt: true,
            allowed_algs: vec![Alg::RS256, Alg::ES256, Alg::EdDSA],
            bearer_in_body: false,
            bearer_in_query: false,
            jwks_min_refetch_interval: Duration::from_secs(10),
            realm: DEFAULT_REALM.to_owned(),
            rules: Vec::new(),
            network: fauxauth_core::Network::default(),
            admin_token: None,
            github: GithubSettings::default(),
            limits: fauxauth_core::Limits::default(),
            clock: Clock::system(),
        }
    }
}

impl Config {
    /// A configuration trusting `issuer`, with every other setting at its default.
    pub fn new(issuer: impl Into<String>) -> Self {
        Self {
            issuer: issuer.into(),
            ..Self::default()
        }
    }

    /// How tokens are validated: as configured, else introspection with a preset and JWT
    /// without.
    pub fn mode(&self) -> Mode {
        self.mode.unwrap_or(if self.preset == Preset::Generic {
            Mode::Jwt
        } else {
            Mode::Introspection
        })
    }

    /// Every problem that types cannot rule out, each naming its field.
    pub fn validate(&self) -> Result<(), Vec<String>> {
        let mut problems = Vec::new();
        let preset = self.preset;
        match url::Url::parse(&self.issuer) {
            Err(e) if preset == Preset::Generic => {
                problems.push(format!("issuer: {:?} is not a URL ({e})", self.issuer));
            }
            Err(e) => problems.push(format!(
                "issuer: {:?} is not a URL ({e}); with the {preset} preset it is the provider's \
                 base URL",
                self.issuer
            )),
            Ok(url) => {
                // RFC 8414 §2 (and OIDC Discovery §3): https, no query, no fragment. Plain http
                // is what fauxauth serves on loopback, so it is allowed.
                if !matches!(url.scheme(), "http" | "https") {
                    problems.push("issuer: must be an http or https URL".to_owned());
                }
                if url.query().is_some() || url.fragment().is_some() {
                    problems
                        .push("issuer: must have no query or fragment (RFC 8414 §2)".to_owned());
                }
            }
        }
        for (field, message) in self.limits.problems() {
            problems.push(format!("{field}: {message}"));
        }
        if self.audience.is_empty() {
            problems.push("audience: must not be empty (RFC 9068 §4 requires checking aud)".into());
        }
        if self.allowed_algs.is_empty() {
            problems.push("allowed_algs: name at least one algorithm".to_owned());
        }
        if preset != Preset::Generic && self.mode == Some(Mode::Jwt) {
            problems.push(format!(
                "mode: the {preset} preset validates tokens by introspection (its tokens are \
                 opaque); leave mode out or set it to introspection"
            ));
        }
        if self.mode() == Mode::Introspection {
            let missing = |v: &Option<String>| v.as_deref().is_none_or(str::is_empty);
            if missing(&self.client_id) || missing(&self.client_secret) {
                let which = if preset == Preset::Generic {
                    "introspection mode".to_owned()
                } else {
                    format!("the {preset} preset (it introspects every token)")
                };
                problems.push(format!(
                    "client_id, client_secret: {which} needs the credentials the resource \
                     authenticates with (RFC 7662 §2.1)"
                ));
            }
        }
        if let Some(endpoint) = &self.introspection_endpoint {
            match url::Url::parse(endpoint) {
                Ok(url) if matches!(url.scheme(), "http" | "https") => {}
                Ok(_) => {
                    problems.push("introspection_endpoint: must be an http or https URL".to_owned())
                }
                Err(e) => problems.push(format!(
                    "introspection_endpoint: {endpoint:?} is not a URL ({e})"
                )),
            }
        }
        if self.github.rate_limit == 0 {
            problems.push("github.rate_limit: must be at least 1 request an hour".to_owned());
        }
        if !self.realm.bytes().all(|b| (b' '..=b'~').contains(&b)) || self.realm.contains('"') {
            problems.push("realm: must be printable ASCII without '\"'".to_owned());
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }
}

/// Settings of the `github` preset (GitHub's REST API on `api.github.com`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GithubSettings {
    /// Requests a user may make in an hour (GitHub: 5,000 with a user's token). A scenario sets
    /// it low to reach the limit cheaply.
    pub rate_limit: u32,
}

impl Default for GithubSettings {
    fn default() -> Self {
        Self {
            rate_limit: GITHUB_RATE_LIMIT,
        }
    }
}

/// GitHub's primary rate limit for requests with a user's token, per hour ("Rate limits for the
/// REST API").
pub const GITHUB_RATE_LIMIT: u32 = 5000;

/// How access tokens are validated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Verify JWT access tokens locally with the issuer's JWKS (RFC 9068).
    #[default]
    Jwt,
    /// Ask the issuer's introspection endpoint about every token (RFC 7662): revocations show
    /// at once, and opaque tokens work.
    Introspection,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Jwt => "jwt",
            Self::Introspection => "introspection",
        }
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Mode {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "jwt" => Ok(Self::Jwt),
            "introspection" => Ok(Self::Introspection),
            other => Err(format!("{other:?} is not a mode; use jwt or introspection")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> Result<Config, String> {
        serde_json::from_str(json).map_err(|e| e.to_string())
    }

    #[test]
    fn defaults_are_strict() {
        let config = Config::new("http://127.0.0.1:9000");
        assert_eq!(config.validate(), Ok(()));
        assert_eq!(config.mode(), Mode::Jwt);
        assert_eq!(config.preset, Preset::Generic);
        assert_eq!(config.github.rate_limit, 5000);
        assert!(config.require_at_jwt);
        assert!(!config.bearer_in_body && !config.bearer_in_query);
        assert_eq!(config.leeway, Duration::ZERO);
        assert_eq!(config.allowed_algs, [Alg::RS256, Alg::ES256, Alg::EdDSA]);
    }

    #[test]
    fn files_name_fields_and_durations_readably() {
        let config = parse(
            r#"{"issuer": "http://127.0.0.1:1", "mode": "introspection", "client_id": "rs",
                "client_secret": "s", "leeway": "30s", "jwks_min_refetch_interval": 5,
                "allowed_algs": ["ES256"]}"#,
        )
        .unwrap();
        assert_eq!(config.mode(), Mode::Introspection);
        assert_eq!(config.leeway, Duration::from_secs(30));
        assert_eq!(config.jwks_min_refetch_interval, Duration::from_secs(5));
        assert_eq!(config.validate(), Ok(()));
    }

    #[test]
    fn unknown_fields_and_symmetric_algorithms_are_refused_by_the_parser() {
        let err = parse(r#"{"issuer": "http://x", "audiance": "api"}"#).unwrap_err();
        assert!(err.contains("audiance"), "{err}");
        for alg in ["HS256", "none"] {
            let err = parse(&format!(r#"{{"allowed_algs": ["{alg}"]}}"#)).unwrap_err();
            assert!(err.contains(alg), "{err}");
        }
    }

    #[test]
    fn validation_names_every_problem() {
        let config = Config {
            issuer: "not a url".into(),
            audience: String::new(),
            mode: Some(Mode::Introspection),
            allowed_algs: vec![],
            ..Config::default()
        };
        let problems = config.validate().unwrap_err();
        assert_eq!(problems.len(), 4, "{problems:#?}");
        for field in ["issuer:", "audience:", "allowed_algs:", "client_secret:"] {
            assert!(problems.iter().any(|p| p.contains(field)), "{field}");
        }
    }

    #[test]
    fn a_preset_implies_introspection_and_refuses_jwt_by_name() {
        let config = parse(
            r#"{"issuer": "http://127.0.0.1:1", "preset": "github", "client_id": "rs",
                "client_secret": "s", "github": {"rate_limit": 3}}"#,
        )
        .unwrap();
        assert_eq!(config.preset, Preset::Github);
        assert_eq!(config.mode(), Mode::Introspection);
        assert_eq!(config.github.rate_limit, 3);
        assert_eq!(config.validate(), Ok(()));

        let config = Config {
            mode: Some(Mode::Jwt),
            ..config
        };
        let problems = config.validate().unwrap_err();
        assert_eq!(problems.len(), 1, "{problems:#?}");
        assert!(
            problems[0].starts_with("mode: the github preset"),
            "{problems:#?}"
        );
    }

    #[test]
    fn a_preset_needs_credentials_a_valid_endpoint_and_a_positive_limit() {
        let config = Config {
            preset: Preset::Microsoft,
            introspection_endpoint: Some("ftp://127.0.0.1/introspect".into()),
            github: GithubSettings { rate_limit: 0 },
            ..Config::new("http://127.0.0.1:1")
        };
        let problems = config.validate().unwrap_err();
        assert_eq!(problems.len(), 3, "{problems:#?}");
        assert!(
            problems[0].contains("the microsoft preset"),
            "{problems:#?}"
        );
        assert!(problems[0].starts_with("client_id, client_secret:"));
        assert!(problems[1].starts_with("introspection_endpoint:"));
        assert!(problems[2].starts_with("github.rate_limit:"));
    }

    #[test]
    fn unknown_presets_and_preset_settings_are_refused_by_the_parser() {
        let err = parse(r#"{"preset": "pingone"}"#).unwrap_err();
        assert!(err.contains("pingone"), "{err}");
        let err = parse(r#"{"github": {"ratelimit": 3}}"#).unwrap_err();
        assert!(err.contains("ratelimit"), "{err}");
    }

    #[test]
    fn modes_parse_from_the_command_line() {
        assert_eq!("introspection".parse(), Ok(Mode::Introspection));
        assert!("JWT".parse::<Mode>().is_err());
    }
}
