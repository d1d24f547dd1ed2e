//! The resource's configuration: one schema for YAML files, scenario fragments, the command line
//! and Rust code.
//!
//! Serde reads it with `deny_unknown_fields`, so a misspelt key is reported by the parser; then
//! [`Config::validate`] checks what types cannot express (an issuer that is not a URL,
//! introspection without client credentials).

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use fauxauth_core::Clock;
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
    /// The audience this resource is: tokens must name it in `aud` (RFC 9068 §4).
    pub audience: String,
    /// How tokens are validated.
    pub mode: Mode,
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
    /// With a token, the admin API (`/_fauxauth/`) admits any peer that presents it as a bearer
    /// token and no one else; without one, it admits loopback peers only.
    pub admin_token: Option<String>,
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
            mode: Mode::Jwt,
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
            admin_token: None,
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

    /// Every problem that types cannot rule out, each naming its field.
    pub fn validate(&self) -> Result<(), Vec<String>> {
        let mut problems = Vec::new();
        match url::Url::parse(&self.issuer) {
            Err(e) => problems.push(format!("issuer: {:?} is not a URL ({e})", self.issuer)),
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
        if self.audience.is_empty() {
            problems.push("audience: must not be empty (RFC 9068 §4 requires checking aud)".into());
        }
        if self.allowed_algs.is_empty() {
            problems.push("allowed_algs: name at least one algorithm".to_owned());
        }
        if self.mode == Mode::Introspection {
            let missing = |v: &Option<String>| v.as_deref().is_none_or(str::is_empty);
            if missing(&self.client_id) || missing(&self.client_secret) {
                problems.push(
                    "client_id, client_secret: introspection mode needs the credentials the \
                     resource authenticates with (RFC 7662 §2.1)"
                        .to_owned(),
                );
            }
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

/// An asymmetric JWS algorithm (RFC 7518 §3.1, RFC 8037). There is deliberately no `none` and no
/// `HS*`: with a public key as the "secret", HMAC lets anyone forge tokens (RFC 8725 §2.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize)]
pub enum Alg {
    RS256,
    RS384,
    RS512,
    PS256,
    PS384,
    PS512,
    ES256,
    ES384,
    EdDSA,
}

impl Alg {
    pub const ALL: [Alg; 9] = [
        Self::RS256,
        Self::RS384,
        Self::RS512,
        Self::PS256,
        Self::PS384,
        Self::PS512,
        Self::ES256,
        Self::ES384,
        Self::EdDSA,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::RS256 => "RS256",
            Self::RS384 => "RS384",
            Self::RS512 => "RS512",
            Self::PS256 => "PS256",
            Self::PS384 => "PS384",
            Self::PS512 => "PS512",
            Self::ES256 => "ES256",
            Self::ES384 => "ES384",
            Self::EdDSA => "EdDSA",
        }
    }

    /// The algorithm named `name` exactly (JOSE names are case-sensitive, RFC 7515 §4.1.1).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == name)
    }

    pub(crate) fn jwt(self) -> jsonwebtoken::Algorithm {
        use jsonwebtoken::Algorithm as A;
        match self {
            Self::RS256 => A::RS256,
            Self::RS384 => A::RS384,
            Self::RS512 => A::RS512,
            Self::PS256 => A::PS256,
            Self::PS384 => A::PS384,
            Self::PS512 => A::PS512,
            Self::ES256 => A::ES256,
            Self::ES384 => A::ES384,
            Self::EdDSA => A::EdDSA,
        }
    }
}

impl fmt::Display for Alg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
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
        assert_eq!(config.mode, Mode::Jwt);
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
        assert_eq!(config.mode, Mode::Introspection);
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
            mode: Mode::Introspection,
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
    fn modes_parse_from_the_command_line() {
        assert_eq!("introspection".parse(), Ok(Mode::Introspection));
        assert!("JWT".parse::<Mode>().is_err());
    }
}
