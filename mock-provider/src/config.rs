//! The provider's configuration: one schema for YAML files, environment-supplied YAML, scenario
//! fragments and Rust code.
//!
//! Loading is two-staged. Serde reads the text into these types with `deny_unknown_fields`, so a
//! misspelt key or a wrong type is reported by the parser with its line. Then [`Config::validate`]
//! checks what types cannot express (a client with no redirect URI, an unknown default user, an
//! `http` redirect URI to a public host). A YAML loader maps each problem back to the line of the
//! issuer, client or user it concerns.

use std::collections::HashSet;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use fauxauth_core::Clock;
use fauxauth_core::rules::Rule;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::keys::SigningAlg;
use crate::protocol::scope::is_scope_token;

/// Everything a provider needs to start.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Seeds every random choice (codes, tokens, derived keys, demo users): the same seed and the
    /// same requests give the same results.
    #[serde(default = "default_seed")]
    pub seed: String,
    /// The public base URL (scheme, host, port) issuers are named under, when it differs from the
    /// address the server binds (behind a proxy, in a container). No trailing slash.
    #[serde(default)]
    pub base_url: Option<String>,
    /// The issuers served. One issuer is served at the root; several are served under
    /// `/{name}` each unless they set `path`. Absent or empty in a file: the demo issuer.
    #[serde(default)]
    pub issuers: Vec<IssuerConfig>,
    /// Rules in force from the start, as the admin API and scenarios add them.
    #[serde(default)]
    pub rules: Vec<Rule>,
    /// Where the virtual clock starts, and whether it stands still.
    #[serde(default)]
    pub clock: ClockConfig,
    /// With a token, the admin API (`/_fauxauth/`) admits any peer that presents it as a bearer
    /// token and no one else; without one, it admits loopback peers only.
    #[serde(default)]
    pub admin_token: Option<String>,
    /// Timeouts, connections and the journal's size (see `fauxauth_core::Limits`).
    #[serde(default)]
    pub limits: fauxauth_core::Limits,
    /// Serve HTTPS (`tls: {}` for a certificate from the authority the seed derives); see
    /// `fauxauth_core::TlsConfig` for a CA or a certificate of one's own.
    #[serde(default)]
    pub tls: Option<fauxauth_core::TlsConfig>,
}

/// The virtual clock's start.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ClockConfig {
    /// An RFC 3339 time (`2030-01-01T00:00:00Z`); now when absent.
    #[serde(default)]
    pub start: Option<String>,
    /// Stand still between moves (every timestamp reproducible) instead of following real time.
    #[serde(default)]
    pub frozen: bool,
}

impl ClockConfig {
    /// The clock this describes.
    pub fn build(&self) -> Result<Clock, String> {
        let start = match &self.start {
            Some(text) => humantime::parse_rfc3339_weak(text).map_err(|e| {
                format!("{text:?} is not an RFC 3339 time ({e}); write e.g. 2030-01-01T00:00:00Z")
            })?,
            None if self.frozen => Clock::system().now(),
            None => return Ok(Clock::system()),
        };
        Ok(if self.frozen {
            Clock::frozen(start)
        } else {
            let clock = Clock::system();
            clock.set(start);
            clock.mark_start();
            clock
        })
    }
}

/// One authorization server / OpenID provider.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct IssuerConfig {
    #[serde(default = "default_name")]
    pub name: String,
    /// The real provider this issuer looks and behaves like: `generic` (strict OpenID Connect,
    /// fauxauth's own paths), `google`, `github` or `microsoft`.
    #[serde(default)]
    pub preset: crate::preset::Preset,
    /// The preset's departures from strict OpenID Connect, each switchable on its own; unset
    /// means as the preset does.
    #[serde(default)]
    pub quirks: crate::preset::Quirks,
    /// The Microsoft preset's home tenant id (a GUID): in its paths, `iss` and `tid`. Derived
    /// from the seed when absent.
    #[serde(default)]
    pub tenant_id: Option<String>,
    /// The Keycloak preset's realm: its paths and issuer are under `/realms/{realm}`.
    /// `fauxauth` when absent.
    #[serde(default)]
    pub realm: Option<String>,
    /// The Okta preset's authorization server: a custom one's id (`default` when absent), its
    /// issuer `{domain}/oauth2/{id}`; or `org`, the org authorization server, whose issuer is
    /// the domain.
    #[serde(default)]
    pub authorization_server: Option<String>,
    /// Path prefix of this issuer (`/tenant-a`), or `/` for the root. Defaults to the root when it
    /// is the only issuer and to `/{name}` otherwise.
    /// Serve the preset under the real provider's host names (`accounts.google.com`,
    /// `github.com`, `login.microsoftonline.com`, ...) over HTTPS, with a certificate for them:
    /// the issuer and every endpoint at the real URLs, for an app whose provider URLs are
    /// written in its code. Point those names at fauxauth to use it. Needs `tls`.
    #[serde(default)]
    pub real_hosts: bool,
    #[serde(default)]
    pub path: Option<String>,
    /// How people log in: `headless` (at once, as `login_hint` or `default_user`) or `page`.
    #[serde(default)]
    pub login: LoginMode,
    /// Whether users are asked to consent to each client (once per session).
    #[serde(default)]
    pub consent: bool,
    /// The user a headless login picks when the request has no `login_hint`. Defaults to the first.
    #[serde(default)]
    pub default_user: Option<String>,
    /// The algorithm of access tokens, and of ID tokens unless a client asks for RS256. An
    /// ES256 or EdDSA issuer also holds an RS256 key (OpenID Connect Discovery 1.0 §3 requires
    /// RS256 for ID tokens), derived from `seed` even when `keys` are given.
    #[serde(default)]
    pub signing_alg: SigningAlg,
    /// PEM files of private keys to sign with, first one active. Derived from `seed` when empty.
    #[serde(default)]
    pub keys: Vec<PathBuf>,
    #[serde(default)]
    pub lifetimes: Lifetimes,
    /// The `aud` of access tokens (RFC 9068 §3).
    #[serde(default = "default_audience")]
    pub access_token_audience: String,
    /// Issue a new refresh token on every refresh and treat reuse of a spent one as theft
    /// (RFC 9700 §4.14.2). Off: refresh tokens stay valid until they expire or are revoked.
    #[serde(default = "yes")]
    pub refresh_token_rotation: bool,
    /// Require the server's nonce in DPoP proofs at the token endpoint (RFC 9449 §8): a proof
    /// without it, or with one from before the last change, gets `use_dpop_nonce` and the
    /// current nonce in `DPoP-Nonce`. The nonce changes every five minutes on the clock.
    #[serde(default)]
    pub dpop_nonce: bool,
    /// Every client must push its authorization requests (RFC 9126 §5): an authorization
    /// request without a `request_uri` from the PAR endpoint is refused.
    #[serde(default)]
    pub require_pushed_authorization_requests: bool,
    /// Accept `http` redirect URIs to hosts other than loopback (RFC 9700 §2.6 forbids them).
    #[serde(default)]
    pub allow_insecure_redirect_uris: bool,
    /// What the `aud` of a client assertion (`private_key_jwt`, `client_secret_jwt`) must name:
    /// `issuer_or_endpoint` (the issuer identifier, the token endpoint's URL or the URL of the
    /// endpoint called, as RFC 7523 §3 and OpenID Connect Core §9 accept), or `issuer` (the issuer
    /// identifier alone, as a single string, as draft-ietf-oauth-rfc7523bis requires).
    #[serde(default)]
    pub client_assertion_audience: crate::protocol::client_assertion::AudienceRule,
    /// Issuers whose JWTs this issuer takes as authorization grants (RFC 7523 §2.1), from a
    /// client allowed the `jwt_bearer` grant: an identity provider, a workload's token service.
    #[serde(default)]
    pub trusted_issuers: Vec<TrustedIssuer>,
    /// The login page (page mode) also takes a username that is not configured, with claims
    /// typed as a JSON object: the person logs in as a new user with those claims, added to the
    /// issuer's users (a `sub` among them is the subject). Off by default: the login page offers
    /// the configured users only.
    #[serde(default)]
    pub login_claims: bool,
    /// The person's answer to every device authorization, scripted (RFC 8628 §3.3): approve
    /// as `user` once `after` has passed on the clock since the device asked (`0s`: at the first
    /// poll). Unset: no one answers until the verification page, a rule, the admin API or a
    /// scenario step does.
    #[serde(default)]
    pub device_approval: Option<DeviceApproval>,
    /// Scopes beyond the OpenID Connect ones (`openid profile email address phone offline_access`).
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default)]
    pub clients: Vec<ClientConfig>,
    #[serde(default)]
    pub users: Vec<UserConfig>,
}

/// How the authorization endpoint authenticates the user.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LoginMode {
    /// No page: log in at once as `login_hint` or the default user.
    #[default]
    Headless,
    /// An HTML login page listing the users, and a consent page when enabled.
    Page,
}

/// How long things live. Written as `60s`, `10m`, `1h`, `30d`, or a number of seconds.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct Lifetimes {
    #[serde(deserialize_with = "fauxauth_core::duration::deserialize")]
    pub code: Duration,
    #[serde(deserialize_with = "fauxauth_core::duration::deserialize")]
    pub access_token: Duration,
    #[serde(deserialize_with = "fauxauth_core::duration::deserialize")]
    pub id_token: Duration,
    #[serde(deserialize_with = "fauxauth_core::duration::deserialize")]
    pub refresh_token: Duration,
    /// A login session at the provider (what `prompt=none` and `max_age` see).
    #[serde(deserialize_with = "fauxauth_core::duration::deserialize")]
    pub session: Duration,
    /// A device authorization's `device_code` and `user_code` (RFC 8628 §3.2 `expires_in`).
    /// Unset: the preset's ([`Lifetimes::device_code`]).
    #[serde(deserialize_with = "fauxauth_core::duration::deserialize_some")]
    pub device_code: Option<Duration>,
    /// A pushed authorization request's `request_uri` (RFC 9126 §2.2 `expires_in`: short-lived,
    /// the RFC's example is 60 s).
    #[serde(deserialize_with = "fauxauth_core::duration::deserialize")]
    pub request_uri: Duration,
}

/// A lifetime a preset may set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lifetime {
    Code,
    AccessToken,
    IdToken,
    RefreshToken,
    Session,
}

impl Lifetime {
    /// Its key under `lifetimes:` in a configuration.
    pub fn key(self) -> &'static str {
        match self {
            Self::Code => "code",
            Self::AccessToken => "access_token",
            Self::IdToken => "id_token",
            Self::RefreshToken => "refresh_token",
            Self::Session => "session",
        }
    }
}

impl Lifetimes {
    pub fn set(&mut self, which: Lifetime, value: Duration) {
        *match which {
            Lifetime::Code => &mut self.code,
            Lifetime::AccessToken => &mut self.access_token,
            Lifetime::IdToken => &mut self.id_token,
            Lifetime::RefreshToken => &mut self.refresh_token,
            Lifetime::Session => &mut self.session,
        } = value;
    }

    /// The lifetimes of `preset`'s real provider where they are not fauxauth's own, in seconds:
    /// what its demo has, and what an issuer of that preset has unless its `lifetimes` say
    /// otherwise.
    pub fn of_preset(preset: crate::preset::Preset) -> &'static [(Lifetime, u64)] {
        use crate::preset::Preset;
        use Lifetime::*;
        match preset {
            Preset::Generic | Preset::Microsoft | Preset::Slack => &[],
            // GitHub App user tokens (with `quirks.github_app_tokens`): 8 hours, and 15,811,200 s
            // (six months) for their refresh tokens.
            Preset::Github => &[(AccessToken, 8 * 3600), (RefreshToken, 15_811_200)],
            // Google's `expires_in`.
            Preset::Google => &[(AccessToken, 3599)],
            // Keycloak's new realm: codes 60 s, access tokens 300 s, SSO sessions idle for
            // 1800 s, which is also what a refresh token lives (`refresh_expires_in`).
            Preset::Keycloak => &[
                (Code, 60),
                (AccessToken, 300),
                (RefreshToken, 1800),
                (Session, 1800),
            ],
            // GitLab: access tokens 2 hours (15.0 and later), codes 10 minutes (Doorkeeper's
            // default), ID tokens 120 s (doorkeeper-openid_connect's).
            Preset::Gitlab => &[(AccessToken, 7200), (Code, 600), (IdToken, 120)],
            // Auth0's defaults: 24 hours for an access token, 10 hours for an ID token.
            Preset::Auth0 => &[(AccessToken, 86_400), (IdToken, 36_000)],
            // Okta: codes 60 s; access and ID tokens an hour (the default access policy).
            Preset::Okta => &[(Code, 60)],
            // Discord: "codes are one time use and expire 100 seconds after creation"; access
            // tokens a week (`expires_in: 604800` in the documented answer).
            Preset::Discord => &[(Code, 100), (AccessToken, 604_800)],
            // Apple's ID tokens are seen to live a day.
            Preset::Apple => &[(IdToken, 86_400)],
        }
    }

    /// Sets `preset`'s lifetimes, but for those `given` (by key) already.
    pub fn apply_preset(&mut self, preset: crate::preset::Preset, given: impl Fn(&str) -> bool) {
        for &(which, seconds) in Self::of_preset(preset) {
            if !given(which.key()) {
                self.set(which, Duration::from_secs(seconds));
            }
        }
    }
}

impl IssuerConfig {
    /// The Keycloak preset's realm: as configured, or `fauxauth`.
    pub fn realm(&self) -> &str {
        self.realm
            .as_deref()
            .unwrap_or(fauxauth_core::preset::keycloak::DEFAULT_REALM)
    }

    /// The Okta preset's authorization server: as configured, or `default`.
    pub fn authorization_server(&self) -> &str {
        self.authorization_server
            .as_deref()
            .unwrap_or(fauxauth_core::preset::okta::DEFAULT_AUTHORIZATION_SERVER)
    }
}

impl Lifetimes {
    /// How long a device authorization lives: as set, or as `preset`'s does (10 minutes for
    /// fauxauth's own; GitHub and Microsoft 15 minutes, Google 30, as their documentation says).
    pub fn device_code(&self, preset: crate::preset::Preset) -> Duration {
        use crate::preset::Preset;
        self.device_code
            .unwrap_or(Duration::from_secs(match preset {
                Preset::Generic => 600,
                Preset::Github | Preset::Microsoft => 900,
                Preset::Google => 1800,
                // Keycloak's realm default ("OAuth 2.0 Device Code Lifespan").
                Preset::Keycloak => 600,
                // GitLab's documented answer ("expires_in": 300).
                Preset::Gitlab => 300,
                // Not in the sources for Auth0 or Okta: the RFC's example figure.
                Preset::Auth0 | Preset::Okta | Preset::Discord | Preset::Slack | Preset::Apple => {
                    600
                }
            }))
    }
}

impl Default for Lifetimes {
    fn default() -> Self {
        Self {
            // RFC 6749 §4.1.2: codes "MUST expire shortly after"; 10 minutes at most is RECOMMENDED.
            code: Duration::from_secs(60),
            access_token: Duration::from_secs(3600),
            id_token: Duration::from_secs(3600),
            refresh_token: Duration::from_secs(30 * 24 * 3600),
            session: Duration::from_secs(24 * 3600),
            device_code: None,
            request_uri: Duration::from_secs(60),
        }
    }
}

/// A registered client (RFC 6749 §2).
#[derive(Clone, Debug, Deserialize, PartialEq, schemars::JsonSchema, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ClientConfig {
    /// Printable ASCII (RFC 6749 Appendix A.1).
    #[schemars(regex(pattern = "^[\\x20-\\x7E]+$"))]
    pub client_id: String,
    /// Present for a confidential client, absent for a public one. Printable ASCII (RFC 6749
    /// Appendix A.2), of any length.
    #[serde(default)]
    #[schemars(regex(pattern = "^[\\x20-\\x7E]+$"))]
    pub client_secret: Option<String>,
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    #[serde(default)]
    pub post_logout_redirect_uris: Vec<String>,
    #[serde(default = "default_grant_types")]
    #[schemars(length(min = 1))]
    pub grant_types: Vec<GrantType>,
    /// Scopes this client may request; any scope the issuer supports when absent.
    #[serde(default)]
    #[schemars(inner(regex(pattern = "^[\\x21\\x23-\\x5B\\x5D-\\x7E]+$")))]
    pub scopes: Option<Vec<String>>,
    /// `required` or `optional`; required for public clients unless set (RFC 9700 §2.1.1).
    #[serde(default)]
    pub pkce: Option<PkcePolicy>,
    /// Accept `code_challenge_method=plain` (RFC 7636 §7.2: SHOULD NOT be used). Off by default.
    #[serde(default)]
    pub allow_plain_pkce: bool,
    /// Require a DPoP proof with every token request (RFC 9449 §5.2 client metadata): the
    /// client's access tokens are always bound to its key. Off: DPoP when the client sends a
    /// proof, Bearer otherwise.
    #[serde(default)]
    pub dpop_bound_access_tokens: bool,
    /// This client must push its authorization requests (RFC 9126 §6 client metadata).
    #[serde(default)]
    pub require_pushed_authorization_requests: bool,
    /// Where the provider posts a logout token when a login session this client got a code
    /// from ends (OpenID Connect Back-Channel Logout 1.0 §2.2): `http` or `https`.
    #[serde(default)]
    pub backchannel_logout_uri: Option<String>,
    /// The logout token must name the session (`sid`; §2.2). fauxauth always names it.
    #[serde(default)]
    pub backchannel_logout_session_required: bool,
    /// The client's public keys, as a JWK Set (RFC 7517 §5), for `private_key_jwt` (RFC 7523
    /// §2.2, OpenID Connect Core §9): its assertions must be signed by one of them. A client with
    /// keys is confidential, with or without a secret.
    #[serde(default)]
    #[schemars(with = "Option<Map<String, Value>>")]
    pub jwks: Option<Value>,
    /// Or where the client publishes them (`http` or `https`): fetched when first needed, and
    /// again when an assertion names a key not among them (the client rotated its keys).
    #[serde(default)]
    pub jwks_uri: Option<String>,
    /// The one authentication method this client may use at the token, revocation and
    /// introspection endpoints. Unset, a confidential client may use any method its credentials
    /// allow: `client_secret_basic`, `client_secret_post` and `client_secret_jwt` with a
    /// secret, `private_key_jwt` with `jwks`.
    #[serde(default)]
    pub token_endpoint_auth_method: Option<AuthMethod>,
    /// What it may exchange tokens for, with the token exchange grant (RFC 8693).
    #[serde(default)]
    pub token_exchange: TokenExchangePolicy,
    /// The algorithm this client's ID tokens are signed with (OpenID Connect Dynamic Client
    /// Registration 1.0 §2): the issuer's own `signing_alg`, or RS256, which every issuer can
    /// sign with. Unset, the issuer's `signing_alg`. Registration's default is RS256, but this
    /// differs on purpose: a client configured on an ES256 or EdDSA issuer gets that issuer's
    /// algorithm unless it asks for RS256, so that choosing the issuer's algorithm chooses its
    /// ID tokens' too. Access tokens are always signed with the issuer's own algorithm.
    #[serde(default)]
    pub id_token_signed_response_alg: Option<SigningAlg>,
    /// Apple (`quirks.client_secret_is_jwt`): the developer team whose key signs this client's
    /// secret, which must be the secret's `iss`. Unset, any team is taken.
    #[serde(default)]
    pub team_id: Option<String>,
}

/// Whether an issuer knows `scope` (RFC 6749 §3.3): an OpenID Connect scope, one of the issuer's
/// own `scopes`, or one some client is allowed.
pub fn scope_is_known<'a>(
    scope: &str,
    issuer_scopes: &[String],
    mut clients: impl Iterator<Item = &'a ClientConfig>,
) -> bool {
    crate::protocol::scope::OIDC_SCOPES.contains(&scope)
        || issuer_scopes.iter().any(|s| s == scope)
        || clients.any(|c| c.scopes.iter().flatten().any(|s| s == scope))
}

impl ClientConfig {
    /// Whether this client may ask for `scope`: any scope the issuer knows when it has no list.
    pub fn may_request(&self, scope: &str) -> bool {
        self.scopes
            .as_ref()
            .is_none_or(|allowed| allowed.iter().any(|a| a == scope))
    }

    /// A confidential client for the code flow, refresh and client credentials.
    pub fn confidential(id: &str, secret: &str, redirect_uri: &str) -> Self {
        Self {
            client_id: id.to_owned(),
            client_secret: Some(secret.to_owned()),
            redirect_uris: vec![redirect_uri.to_owned()],
            post_logout_redirect_uris: Vec::new(),
            grant_types: vec![
                GrantType::AuthorizationCode,
                GrantType::RefreshToken,
                GrantType::ClientCredentials,
            ],
            scopes: None,
            pkce: None,
            allow_plain_pkce: false,
            dpop_bound_access_tokens: false,
            require_pushed_authorization_requests: false,
            backchannel_logout_uri: None,
            backchannel_logout_session_required: false,
            jwks: None,
            jwks_uri: None,
            team_id: None,
            token_endpoint_auth_method: None,
            token_exchange: TokenExchangePolicy::default(),
            id_token_signed_response_alg: None,
        }
    }

    /// A public client (no secret) for the code flow with PKCE, and refresh.
    pub fn public(id: &str, redirect_uri: &str) -> Self {
        Self {
            client_secret: None,
            grant_types: default_grant_types(),
            ..Self::confidential(id, "", redirect_uri)
        }
    }

    /// A client with neither a secret nor keys: it can name itself, not prove who it is.
    pub fn is_public(&self) -> bool {
        self.client_secret.is_none() && !self.has_keys()
    }

    /// Whether the client has public keys, inline or at a URI.
    pub fn has_keys(&self) -> bool {
        self.jwks.is_some() || self.jwks_uri.is_some()
    }

    /// Whether this client may authenticate with `method`: the one it is registered for, or,
    /// when none is, any its credentials allow.
    pub fn may_authenticate_with(&self, method: AuthMethod) -> bool {
        match self.token_endpoint_auth_method {
            Some(registered) => registered == method,
            None => match method {
                AuthMethod::ClientSecretBasic
                | AuthMethod::ClientSecretPost
                | AuthMethod::ClientSecretJwt => self.client_secret.is_some(),
                AuthMethod::PrivateKeyJwt => self.has_keys(),
                AuthMethod::None => self.is_public(),
            },
        }
    }

    /// The keys of `jwks`, parsed; `None` without `jwks`. Parsed where they are used rather than
    /// held: a client's JWKS is a key or two, and start-up stays free of the work.
    pub fn keys(&self) -> Option<Result<(fauxauth_core::jose::KeySet, Vec<String>), String>> {
        parse_keys(self.jwks.as_ref()?)
    }

    pub fn pkce_required(&self) -> bool {
        match self.pkce {
            Some(policy) => policy == PkcePolicy::Required,
            None => self.is_public(),
        }
    }

    pub fn allows_grant(&self, grant: GrantType) -> bool {
        self.grant_types.contains(&grant)
    }

    /// The algorithm of this client's ID tokens on an issuer whose own is `issuer_alg`.
    pub fn id_token_alg(&self, issuer_alg: SigningAlg) -> SigningAlg {
        self.id_token_signed_response_alg.unwrap_or(issuer_alg)
    }
}

/// The `grant_type` of the device authorization grant (RFC 8628 §3.4).
pub const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// A grant type a client may use (RFC 6749 §4, §6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum GrantType {
    AuthorizationCode,
    RefreshToken,
    ClientCredentials,
    /// The resource owner password credentials grant (RFC 6749 §4.3), for legacy apps only:
    /// RFC 9700 §2.4 says it MUST NOT be used. No client has it unless its `grant_types` say so.
    Password,
    /// A JWT from a trusted issuer as an authorization grant (RFC 7523 §2.1), written as its URN
    /// (`urn:ietf:params:oauth:grant-type:jwt-bearer`) or `jwt_bearer`. No client has it unless
    /// its `grant_types` say so.
    #[serde(
        rename = "urn:ietf:params:oauth:grant-type:jwt-bearer",
        alias = "jwt_bearer"
    )]
    JwtBearer,
    /// Token exchange (RFC 8693), written as its URN
    /// (`urn:ietf:params:oauth:grant-type:token-exchange`) or `token_exchange`; what the client
    /// may exchange for is its `token_exchange`. No client has it unless its `grant_types` say so.
    #[serde(
        rename = "urn:ietf:params:oauth:grant-type:token-exchange",
        alias = "token_exchange"
    )]
    TokenExchange,
    /// The device authorization grant (RFC 8628), written as its URN
    /// (`urn:ietf:params:oauth:grant-type:device_code`) or `device_code`: for devices without a
    /// browser, the person approves on another screen. No client has it unless its
    /// `grant_types` say so.
    #[serde(
        rename = "urn:ietf:params:oauth:grant-type:device_code",
        alias = "device_code"
    )]
    DeviceCode,
}

impl GrantType {
    pub const ALL: [GrantType; 7] = [
        Self::AuthorizationCode,
        Self::RefreshToken,
        Self::ClientCredentials,
        Self::Password,
        Self::JwtBearer,
        Self::TokenExchange,
        Self::DeviceCode,
    ];

    /// Whether a client has it only when its `grant_types` name it, and discovery lists it only
    /// when some client does.
    pub fn opt_in(self) -> bool {
        matches!(
            self,
            Self::Password | Self::JwtBearer | Self::TokenExchange | Self::DeviceCode
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::AuthorizationCode => "authorization_code",
            Self::RefreshToken => "refresh_token",
            Self::ClientCredentials => "client_credentials",
            Self::Password => "password",
            Self::JwtBearer => crate::protocol::client_assertion::JWT_BEARER_GRANT,
            Self::TokenExchange => "urn:ietf:params:oauth:grant-type:token-exchange",
            Self::DeviceCode => DEVICE_CODE_GRANT,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PkcePolicy {
    Required,
    Optional,
}

/// Client authentication methods (OIDC Core §9, RFC 6749 §2.3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum AuthMethod {
    ClientSecretBasic,
    ClientSecretPost,
    /// A JWT signed with the client secret (HS256, HS384 or HS512).
    ClientSecretJwt,
    /// A JWT signed with one of the client's `jwks`.
    PrivateKeyJwt,
    None,
}

impl AuthMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClientSecretBasic => "client_secret_basic",
            Self::ClientSecretPost => "client_secret_post",
            Self::ClientSecretJwt => "client_secret_jwt",
            Self::PrivateKeyJwt => "private_key_jwt",
            Self::None => "none",
        }
    }
}

/// A scripted approval of device authorizations.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DeviceApproval {
    /// Who approves: a user's username.
    pub user: String,
    /// How long after the device asked, on the clock; `0s` by default.
    #[serde(default, deserialize_with = "fauxauth_core::duration::deserialize")]
    pub after: Duration,
}

/// What a client may ask a token exchange for (RFC 8693 §2.1).
#[derive(Clone, Debug, Default, Deserialize, PartialEq, schemars::JsonSchema, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TokenExchangePolicy {
    /// The targets (`audience` or `resource` values) it may ask tokens for; any other is
    /// `invalid_target`. Empty: the issuer's `access_token_audience` only.
    #[serde(default)]
    pub audiences: Vec<String>,
    /// It may present an `actor_token`: delegation, the new token's `act` naming the actor
    /// (RFC 8693 §1.1, §4.1). Off: impersonation only.
    #[serde(default)]
    pub delegation: bool,
}

/// An issuer of JWTs this issuer trusts, with the keys they are signed with (one of `jwks`,
/// `jwks_uri`).
#[derive(Clone, Debug, Deserialize, PartialEq, schemars::JsonSchema, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TrustedIssuer {
    /// The `iss` of its JWTs, exactly.
    #[schemars(length(min = 1))]
    pub issuer: String,
    /// Its public keys, as a JWK Set.
    #[serde(default)]
    #[schemars(with = "Option<Map<String, Value>>")]
    pub jwks: Option<Value>,
    /// Or where it publishes them.
    #[serde(default)]
    pub jwks_uri: Option<String>,
}

impl TrustedIssuer {
    /// What is wrong with it, as (field, message) pairs.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if self.issuer.is_empty() {
            out.push(("issuer", "must not be empty".into()));
        }
        match (&self.jwks, &self.jwks_uri) {
            (None, None) => out.push(("jwks", "give jwks or jwks_uri".into())),
            (Some(_), Some(_)) => out.push(("jwks_uri", "give jwks or jwks_uri, not both".into())),
            _ => {}
        }
        out.extend(key_problems(self.jwks.as_ref(), self.jwks_uri.as_deref()));
        out
    }

    /// The keys of `jwks`, parsed; `None` without `jwks`.
    pub fn keys(&self) -> Option<Result<(fauxauth_core::jose::KeySet, Vec<String>), String>> {
        parse_keys(self.jwks.as_ref()?)
    }
}

/// A JWK Set of public keys, parsed with every asymmetric algorithm allowed.
fn parse_keys(jwks: &Value) -> Option<Result<(fauxauth_core::jose::KeySet, Vec<String>), String>> {
    Some(fauxauth_core::jose::KeySet::parse(
        jwks.to_string().as_bytes(),
        &fauxauth_core::jose::Alg::ALL,
    ))
}

/// What is wrong with a `jwks` or a `jwks_uri`: a set no key of which can verify, a private key
/// in it, a URI that is not http(s).
fn key_problems(jwks: Option<&Value>, jwks_uri: Option<&str>) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    match jwks.and_then(parse_keys) {
        Some(Err(e)) => out.push(("jwks", e)),
        Some(Ok((set, skipped))) if set.is_empty() => {
            let why = if skipped.is_empty() {
                "it has no keys".to_owned()
            } else {
                skipped.join("; ")
            };
            out.push(("jwks", format!("no key can verify a signature: {why}")));
        }
        _ => {}
    }
    let private = jwks
        .and_then(|j| j.get("keys"))
        .and_then(Value::as_array)
        .and_then(|keys| keys.iter().position(|k| k.get("d").is_some()));
    if let Some(i) = private {
        out.push((
            "jwks",
            format!("keys[{i}] is a private key (it has d): give the public key only"),
        ));
    }
    if let Some(uri) = jwks_uri {
        match url::Url::parse(uri) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {}
            _ => out.push(("jwks_uri", format!("{uri:?} is not an http or https URL"))),
        }
    }
    out
}

/// A user who can log in.
#[derive(Clone, Debug, Deserialize, PartialEq, schemars::JsonSchema, Serialize)]
#[serde(deny_unknown_fields)]
pub struct UserConfig {
    /// Not blank.
    #[schemars(regex(pattern = "\\S"))]
    pub username: String,
    /// When set, the login page asks for it.
    #[serde(default)]
    pub password: Option<String>,
    /// The subject identifier; the username when absent.
    #[serde(default)]
    #[schemars(length(min = 1))]
    pub sub: Option<String>,
    /// Standard claims (OIDC Core §5.1) and any others, released according to the granted
    /// scopes. Not `sub`: that is the user's own field.
    #[serde(default)]
    #[schemars(extend("not" = { "required": ["sub"] }))]
    pub claims: Map<String, Value>,
}

impl UserConfig {
    pub fn new(username: &str) -> Self {
        Self {
            username: username.to_owned(),
            password: None,
            sub: None,
            claims: Map::new(),
        }
    }

    pub fn with_claim(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.claims.insert(name.to_owned(), value.into());
        self
    }

    pub fn sub(&self) -> &str {
        self.sub.as_deref().unwrap_or(&self.username)
    }
}

impl Config {
    /// A configuration with one issuer at the root.
    pub fn single(issuer: IssuerConfig) -> Self {
        Self {
            issuers: vec![issuer],
            ..Self::default()
        }
    }

    /// Checks what the types cannot; every problem found, not just the first.
    pub fn validate(&self) -> Result<(), Vec<Problem>> {
        let mut problems = Vec::new();
        let mut at = |place: Place, field: &'static str, message: String| {
            problems.push(Problem {
                place,
                field,
                message,
            })
        };
        if self.issuers.is_empty() {
            at(
                Place::Root,
                "issuers",
                "at least one issuer is needed".into(),
            );
        }
        if let Some(base) = &self.base_url
            && let Err(e) = check_base_url(base)
        {
            at(Place::Root, "base_url", e);
        }
        if let Some(base) = &self.base_url
            && self.tls.is_some()
            && base.starts_with("http:")
        {
            at(
                Place::Root,
                "base_url",
                format!(
                    "{base:?} is http, but the provider serves HTTPS (tls): name it https://..."
                ),
            );
        }
        if let Err(e) = self.clock.build() {
            at(Place::Root, "clock.start", e);
        }
        for name in self.tls.iter().flat_map(|t| &t.names) {
            if let Err(e) = fauxauth_core::tls::check_name(name) {
                at(Place::Root, "tls.names", e);
            }
        }
        if self.admin_token.as_deref().is_some_and(|t| t.len() < 16) {
            at(
                Place::Root,
                "admin_token",
                "must be at least 16 characters".into(),
            );
        }
        for (field, message) in self.limits.problems() {
            at(Place::Root, field, message);
        }
        let mut paths = HashSet::new();
        let mut names = HashSet::new();
        for (i, issuer) in self.issuers.iter().enumerate() {
            let place = Place::Issuer(i);
            if !is_path_segment(&issuer.name) {
                at(
                    place,
                    "name",
                    format!(
                        "{:?} must be letters, digits, '-', '_', '.' or '~'",
                        issuer.name
                    ),
                );
            }
            if !names.insert(issuer.name.as_str()) {
                at(place, "name", format!("{:?} is used twice", issuer.name));
            }
            if issuer.real_hosts {
                let problem = if issuer.preset.real_hosts().is_none() {
                    Some("the generic preset has no real hosts; set a preset".to_owned())
                } else if self.tls.is_none() {
                    Some("the real hosts are https: serve HTTPS (tls, or --tls)".to_owned())
                } else if self
                    .issuers
                    .iter()
                    .filter(|o| o.real_hosts && o.preset == issuer.preset)
                    .count()
                    > 1
                {
                    Some(format!(
                        "another issuer serves {}'s real hosts",
                        issuer.preset
                    ))
                } else {
                    None
                };
                if let Some(problem) = problem {
                    at(place, "real_hosts", problem);
                }
            }
            match issuer.path.as_deref().map(normalize_path).transpose() {
                Ok(path) => {
                    let path = path.unwrap_or_else(|| self.default_path(issuer));
                    if !paths.insert(path.clone()) {
                        at(
                            place,
                            "path",
                            format!("{path:?} is served by another issuer"),
                        );
                    }
                }
                Err(e) => at(place, "path", e),
            }
            issuer.validate_into(i, &mut at);
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    /// The path prefix an issuer is served under: `""` for the root.
    pub fn path_of(&self, issuer: &IssuerConfig) -> String {
        issuer
            .path
            .as_deref()
            .and_then(|p| normalize_path(p).ok())
            .unwrap_or_else(|| self.default_path(issuer))
    }

    fn default_path(&self, issuer: &IssuerConfig) -> String {
        if self.issuers.len() == 1 {
            String::new()
        } else {
            format!("/{}", issuer.name)
        }
    }
}

impl IssuerConfig {
    /// An issuer with no clients or users, every setting at its default.
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            preset: crate::preset::Preset::Generic,
            quirks: crate::preset::Quirks::default(),
            tenant_id: None,
            realm: None,
            authorization_server: None,
            real_hosts: false,
            path: None,
            login: LoginMode::default(),
            consent: false,
            default_user: None,
            signing_alg: SigningAlg::default(),
            keys: Vec::new(),
            lifetimes: Lifetimes::default(),
            access_token_audience: default_audience(),
            refresh_token_rotation: true,
            dpop_nonce: false,
            require_pushed_authorization_requests: false,
            allow_insecure_redirect_uris: false,
            client_assertion_audience: Default::default(),
            trusted_issuers: Vec::new(),
            device_approval: None,
            login_claims: false,
            scopes: Vec::new(),
            clients: Vec::new(),
            users: Vec::new(),
        }
    }

    /// The algorithms this issuer signs ID tokens with: its own `signing_alg`, then RS256 when
    /// that is another (OpenID Connect Discovery 1.0 §3: RS256 MUST be among them).
    pub fn id_token_signing_algs(&self) -> Vec<SigningAlg> {
        let mut algs = vec![self.signing_alg];
        if self.signing_alg != SigningAlg::RS256 {
            algs.push(SigningAlg::RS256);
        }
        algs
    }

    /// Whether this issuer, as configured, knows `scope` (see [`scope_is_known`]).
    pub fn knows_scope(&self, scope: &str) -> bool {
        scope_is_known(scope, &self.scopes, self.clients.iter())
    }

    pub fn with_client(mut self, client: ClientConfig) -> Self {
        self.clients.push(client);
        self
    }

    pub fn with_user(mut self, user: UserConfig) -> Self {
        self.users.push(user);
        self
    }

    fn validate_into(&self, i: usize, at: &mut impl FnMut(Place, &'static str, String)) {
        let place = Place::Issuer(i);
        for (field, value) in [
            ("lifetimes.code", self.lifetimes.code),
            ("lifetimes.access_token", self.lifetimes.access_token),
            ("lifetimes.id_token", self.lifetimes.id_token),
            ("lifetimes.refresh_token", self.lifetimes.refresh_token),
            ("lifetimes.session", self.lifetimes.session),
            (
                "lifetimes.device_code",
                self.lifetimes.device_code(self.preset),
            ),
            ("lifetimes.request_uri", self.lifetimes.request_uri),
        ] {
            if value < Duration::from_secs(1) {
                at(place, field, "must be at least one second".into());
            }
        }
        for (field, segment) in [
            ("realm", &self.realm),
            ("authorization_server", &self.authorization_server),
        ] {
            if let Some(segment) = segment
                && (segment.is_empty()
                    || !segment
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"._~-".contains(&b)))
            {
                at(
                    place,
                    field,
                    format!(
                        "{segment:?} must be letters, digits, '.', '_', '~' or '-' (a path segment)"
                    ),
                );
            }
        }
        for scope in &self.scopes {
            if !is_scope_token(scope) {
                at(
                    place,
                    "scopes",
                    format!("{scope:?} is not a valid scope token (RFC 6749 §3.3)"),
                );
            }
        }
        if let Some(user) = &self.default_user
            && !self.users.iter().any(|u| &u.username == user)
        {
            at(place, "default_user", format!("no user is named {user:?}"));
        }
        let mut ids = HashSet::new();
        for (c, client) in self.clients.iter().enumerate() {
            if !ids.insert(client.client_id.as_str()) {
                at(
                    Place::Client(i, c),
                    "client_id",
                    format!("{:?} is used twice", client.client_id),
                );
            }
            for (field, message) in client.problems(self) {
                at(Place::Client(i, c), field, message);
            }
        }
        if let Some(approval) = &self.device_approval
            && !self.users.iter().any(|u| u.username == approval.user)
        {
            at(
                place,
                "device_approval.user",
                format!("no user is named {:?}", approval.user),
            );
        }
        let mut trusted = HashSet::new();
        for (t, issuer) in self.trusted_issuers.iter().enumerate() {
            for (field, message) in issuer.problems() {
                at(Place::TrustedIssuer(i, t), field, message);
            }
            if !trusted.insert(issuer.issuer.as_str()) {
                at(
                    Place::TrustedIssuer(i, t),
                    "issuer",
                    format!("{:?} is listed twice", issuer.issuer),
                );
            }
        }
        let mut usernames = HashSet::new();
        let mut subs = HashSet::new();
        for (u, user) in self.users.iter().enumerate() {
            for (field, message) in user.problems() {
                at(Place::User(i, u), field, message);
            }
            if !usernames.insert(user.username.as_str()) {
                at(
                    Place::User(i, u),
                    "username",
                    format!("{:?} is used twice", user.username),
                );
            }
            if !subs.insert(user.sub()) {
                at(
                    Place::User(i, u),
                    "sub",
                    format!("subject {:?} belongs to another user", user.sub()),
                );
            }
        }
    }
}

impl ClientConfig {
    /// What is wrong with this client on `issuer`, as (field, message) pairs.
    pub fn problems(&self, issuer: &IssuerConfig) -> Vec<(&'static str, String)> {
        let allow_insecure_redirect_uris = issuer.allow_insecure_redirect_uris;
        let mut out = Vec::new();
        if self.client_id.is_empty() || !self.client_id.chars().all(|c| (' '..='~').contains(&c)) {
            out.push((
                "client_id",
                "must be non-empty printable ASCII (RFC 6749 Appendix A.1)".into(),
            ));
        }
        // No minimum length: the secret is the app's test fixture, and the app decides it. It is
        // printable ASCII (RFC 6749 Appendix A.2), so it fits Basic credentials and forms alike.
        match self.client_secret.as_deref() {
            Some("") => out.push((
                "client_secret",
                "is empty; leave it out for a public client".into(),
            )),
            Some(secret) if !secret.chars().all(|c| (' '..='~').contains(&c)) => out.push((
                "client_secret",
                "must be printable ASCII (RFC 6749 Appendix A.2)".into(),
            )),
            _ => {}
        }
        if self.grant_types.is_empty() {
            out.push(("grant_types", "must name at least one grant type".into()));
        }
        if self.allows_grant(GrantType::AuthorizationCode) && self.redirect_uris.is_empty() {
            out.push((
                "redirect_uris",
                "a client using authorization_code needs at least one redirect URI".into(),
            ));
        }
        if self.is_public() && self.allows_grant(GrantType::ClientCredentials) {
            out.push((
                "grant_types",
                "client_credentials needs a confidential client (RFC 6749 §4.4): add client_secret"
                    .into(),
            ));
        }
        for uri in &self.redirect_uris {
            if let Err(e) = check_redirect_uri(uri, allow_insecure_redirect_uris) {
                out.push(("redirect_uris", format!("{uri:?}: {e}")));
            }
        }
        for uri in &self.post_logout_redirect_uris {
            if let Err(e) = check_redirect_uri(uri, allow_insecure_redirect_uris) {
                out.push(("post_logout_redirect_uris", format!("{uri:?}: {e}")));
            }
        }
        // Back-Channel Logout 1.0 §2.2: an absolute http(s) URI without a fragment.
        if let Some(uri) = &self.backchannel_logout_uri {
            let fine = url::Url::parse(uri)
                .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.fragment().is_none());
            if !fine {
                out.push((
                    "backchannel_logout_uri",
                    format!("{uri:?} is not an absolute http or https URI without a fragment"),
                ));
            }
        }
        for scope in self.scopes.iter().flatten() {
            if !is_scope_token(scope) {
                out.push((
                    "scopes",
                    format!("{scope:?} is not a valid scope token (RFC 6749 §3.3)"),
                ));
            }
        }
        match self.token_endpoint_auth_method {
            Some(AuthMethod::None) if !self.is_public() => out.push((
                "token_endpoint_auth_method",
                "is none, but the client has a secret or keys".into(),
            )),
            Some(
                m @ (AuthMethod::ClientSecretBasic
                | AuthMethod::ClientSecretPost
                | AuthMethod::ClientSecretJwt),
            ) if self.client_secret.is_none() => out.push((
                "token_endpoint_auth_method",
                format!("is {}, but the client has no secret", m.as_str()),
            )),
            Some(AuthMethod::PrivateKeyJwt) if !self.has_keys() => out.push((
                "token_endpoint_auth_method",
                "is private_key_jwt, but the client has no jwks or jwks_uri".into(),
            )),
            _ => {}
        }
        if self.jwks.is_some() && self.jwks_uri.is_some() {
            out.push((
                "jwks_uri",
                "give jwks or jwks_uri, not both (OpenID Connect Dynamic Client Registration §2)"
                    .into(),
            ));
        }
        out.extend(key_problems(self.jwks.as_ref(), self.jwks_uri.as_deref()));
        if let Some(alg) = self.id_token_signed_response_alg {
            let algs = issuer.id_token_signing_algs();
            if !algs.contains(&alg) {
                let names: Vec<&str> = algs.iter().map(|a| a.as_str()).collect();
                out.push((
                    "id_token_signed_response_alg",
                    format!(
                        "{alg} is not one this issuer signs ID tokens with: {} (its signing_alg \
                         is {})",
                        names.join(" or "),
                        issuer.signing_alg
                    ),
                ));
            }
        }
        out
    }
}

impl UserConfig {
    /// What is wrong with this user, as (field, message) pairs.
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        if self.username.trim().is_empty() {
            out.push(("username", "must not be empty".into()));
        }
        if self.sub().is_empty() {
            out.push(("sub", "must not be empty".into()));
        }
        if self.claims.contains_key("sub") {
            out.push((
                "claims",
                "set the subject with the user's `sub` field, not as a claim".into(),
            ));
        }
        out
    }
}

/// Where in a configuration a problem was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    Root,
    Issuer(usize),
    Client(usize, usize),
    User(usize, usize),
    TrustedIssuer(usize, usize),
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Root => Ok(()),
            Self::Issuer(i) => write!(f, "issuers[{i}]."),
            Self::Client(i, c) => write!(f, "issuers[{i}].clients[{c}]."),
            Self::User(i, u) => write!(f, "issuers[{i}].users[{u}]."),
            Self::TrustedIssuer(i, t) => write!(f, "issuers[{i}].trusted_issuers[{t}]."),
        }
    }
}

/// One thing wrong with a configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub place: Place,
    pub field: &'static str,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}: {}", self.place, self.field, self.message)
    }
}

/// `""` for the root, else `/segment[/segment…]` without a trailing slash.
fn normalize_path(path: &str) -> Result<String, String> {
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() {
        return Ok(String::new());
    }
    let Some(rest) = trimmed.strip_prefix('/') else {
        return Err(format!("{path:?} must start with '/'"));
    };
    for segment in rest.split('/') {
        if !is_path_segment(segment) {
            return Err(format!(
                "{path:?}: segment {segment:?} is empty or not URL-safe"
            ));
        }
        if segment == ".well-known" || segment == "_fauxauth" {
            return Err(format!("{path:?}: {segment:?} is reserved"));
        }
    }
    Ok(trimmed.to_owned())
}

fn is_path_segment(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~'))
        && s != "."
        && s != ".."
}

fn check_base_url(base: &str) -> Result<(), String> {
    let url = url::Url::parse(base).map_err(|e| format!("{base:?} is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("{base:?} must be http or https"));
    }
    if base.ends_with('/') || url.query().is_some() || url.fragment().is_some() {
        return Err(format!(
            "{base:?} must be scheme://host[:port][/path] with no trailing slash"
        ));
    }
    Ok(())
}

/// RFC 6749 §3.1.2: absolute, no fragment. RFC 9700 §2.6: no `http` except to loopback.
fn check_redirect_uri(uri: &str, allow_insecure: bool) -> Result<(), String> {
    let url = url::Url::parse(uri).map_err(|e| format!("not an absolute URI ({e})"))?;
    if url.fragment().is_some() || uri.contains('#') {
        return Err("must not contain a fragment (RFC 6749 §3.1.2)".into());
    }
    if url.scheme() == "http" && !allow_insecure && !crate::protocol::redirect::is_loopback(&url) {
        return Err(
            "http is allowed only for loopback hosts (RFC 9700 §2.6); use https, or set \
             allow_insecure_redirect_uris: true on the issuer"
                .into(),
        );
    }
    Ok(())
}

pub(crate) fn default_seed() -> String {
    crate::keys::DEFAULT_SEED.to_owned()
}

fn default_name() -> String {
    "default".to_owned()
}

fn default_audience() -> String {
    "api".to_owned()
}

fn default_grant_types() -> Vec<GrantType> {
    vec![GrantType::AuthorizationCode, GrantType::RefreshToken]
}

fn yes() -> bool {
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Config, String> {
        Config::from_yaml(text, "fauxauth.yaml").map_err(|e| e.to_string())
    }

    #[test]
    fn a_preset_issuer_lives_as_its_provider_does_but_for_what_the_file_says() {
        let config = load(
            "issuers:\n  - name: kc\n    preset: keycloak\n    lifetimes: { access_token: 10m }\n\
             \x20 - name: own\n    path: /own\n    lifetimes: { code: 30s }\n",
        )
        .unwrap();
        let keycloak = &config.issuers[0].lifetimes;
        assert_eq!(
            keycloak.access_token,
            Duration::from_secs(600),
            "as the file says"
        );
        assert_eq!(keycloak.code, Duration::from_secs(60), "Keycloak's");
        assert_eq!(keycloak.session, Duration::from_secs(1800), "Keycloak's");
        assert_eq!(
            keycloak.id_token,
            Lifetimes::default().id_token,
            "fauxauth's"
        );
        let own = &config.issuers[1].lifetimes;
        assert_eq!(
            *own,
            Lifetimes {
                code: Duration::from_secs(30),
                ..Lifetimes::default()
            }
        );
    }

    const GOOD: &str = "\
issuers:
  - name: default
    login: page
    default_user: alice
    signing_alg: ES256
    lifetimes: { code: 30s, access_token: 1h, id_token: 1h, refresh_token: 30d }
    clients:
      - client_id: web-app
        client_secret: web-app-secret
        redirect_uris: [http://127.0.0.1:8080/callback]
        post_logout_redirect_uris: [http://127.0.0.1:8080/]
        grant_types: [authorization_code, refresh_token, client_credentials]
        scopes: [openid, profile, email, offline_access]
        pkce: required
    users:
      - username: alice
        password: wonderland
        claims: { name: Alice Example, email: alice@example.com, email_verified: true }
";

    #[test]
    fn the_documented_example_loads() {
        let config = load(GOOD).unwrap();
        let issuer = &config.issuers[0];
        assert_eq!(issuer.login, LoginMode::Page);
        assert_eq!(issuer.signing_alg, SigningAlg::ES256);
        assert_eq!(issuer.lifetimes.code, Duration::from_secs(30));
        assert_eq!(
            issuer.lifetimes.refresh_token,
            Duration::from_secs(30 * 86400)
        );
        assert!(issuer.clients[0].pkce_required());
        assert_eq!(config.path_of(issuer), "");
    }

    #[test]
    fn a_secret_is_printable_ascii_of_any_length() {
        assert!(load(&GOOD.replace("web-app-secret", "s")).is_ok());
        let err = load(&GOOD.replace("web-app-secret", "\"caf\u{e9}\"")).unwrap_err();
        assert!(
            err.contains("clients[0].client_secret: must be printable ASCII"),
            "{err}"
        );
        let err = load(&GOOD.replace("web-app-secret", "\"\"")).unwrap_err();
        assert!(err.contains("client_secret: is empty"), "{err}");
    }

    #[test]
    fn an_empty_file_is_the_demo() {
        assert_eq!(load("").unwrap(), Config::default());
    }

    #[test]
    fn unknown_key_names_file_line_and_key() {
        let text = GOOD.replace(
            "        pkce: required",
            "        pkce: required\n        colour: blue",
        );
        let err = load(&text).unwrap_err();
        assert!(
            err.starts_with("fauxauth.yaml:15:9: unknown field `colour`"),
            "{err}"
        );
        assert!(!err.contains("at line"), "{err}");
    }

    #[test]
    fn misspelt_key_gets_a_suggestion() {
        let err = load(&GOOD.replace("default_user", "defualt_user")).unwrap_err();
        assert!(
            err.starts_with("fauxauth.yaml:4:5: unknown field `defualt_user`"),
            "{err}"
        );
        assert!(err.ends_with("(did you mean `default_user`?)"), "{err}");
    }

    #[test]
    fn bad_duration_names_the_line() {
        let err = load(&GOOD.replace("code: 30s", "code: soon")).unwrap_err();
        assert!(err.starts_with("fauxauth.yaml:6:"), "{err}");
        assert!(err.contains("\"soon\" is not a duration"), "{err}");
    }

    #[test]
    fn wrong_type_is_reported() {
        let err = load(
            &GOOD
                .replace("consent", "x")
                .replace("login: page", "login: 3"),
        )
        .unwrap_err();
        assert!(err.starts_with("fauxauth.yaml:3:"), "{err}");
    }

    #[test]
    fn client_without_redirect_uris_points_at_the_client() {
        let text = GOOD.replace(
            "        redirect_uris: [http://127.0.0.1:8080/callback]\n",
            "",
        );
        let err = load(&text).unwrap_err();
        assert_eq!(
            err,
            "fauxauth.yaml:8: issuers[0].clients[0].redirect_uris: a client using \
             authorization_code needs at least one redirect URI"
        );
    }

    #[test]
    fn every_semantic_problem_is_listed() {
        let text = GOOD
            .replace("default_user: alice", "default_user: bob")
            .replace("http://127.0.0.1:8080/callback", "http://app.example/cb#x");
        let err = load(&text).unwrap_err();
        let lines: Vec<&str> = err.lines().collect();
        assert_eq!(lines.len(), 2, "{err}");
        assert!(
            lines[0].starts_with("fauxauth.yaml:2: issuers[0].default_user"),
            "{err}"
        );
        assert!(lines[1].contains("fragment"), "{err}");
    }

    #[test]
    fn http_redirect_to_a_public_host_needs_an_explicit_opt_in() {
        let strict = IssuerConfig::new("strict");
        let lenient = IssuerConfig {
            allow_insecure_redirect_uris: true,
            ..IssuerConfig::new("lenient")
        };
        let mut client = ClientConfig::confidential("c", "s", "http://app.example/cb");
        assert!(client.problems(&strict)[0].1.contains("RFC 9700 §2.6"));
        assert!(client.problems(&lenient).is_empty());
        client.redirect_uris = vec!["http://[::1]:9/cb".into(), "com.example.app:/cb".into()];
        assert!(client.problems(&strict).is_empty());
    }

    #[test]
    fn public_client_cannot_use_client_credentials() {
        let issuer = IssuerConfig::new("default");
        let mut client = ClientConfig::public("spa", "http://127.0.0.1/cb");
        client.grant_types.push(GrantType::ClientCredentials);
        assert_eq!(client.problems(&issuer)[0].0, "grant_types");
        assert!(ClientConfig::public("spa", "http://127.0.0.1/cb").pkce_required());
    }

    #[test]
    fn id_token_alg_is_the_issuers_own_or_rs256() {
        let es256 = IssuerConfig {
            signing_alg: SigningAlg::ES256,
            ..IssuerConfig::new("default")
        };
        assert_eq!(
            es256.id_token_signing_algs(),
            [SigningAlg::ES256, SigningAlg::RS256]
        );
        assert_eq!(
            IssuerConfig::new("rs").id_token_signing_algs(),
            [SigningAlg::RS256]
        );
        let mut client = ClientConfig::public("spa", "http://127.0.0.1/cb");
        assert_eq!(client.id_token_alg(SigningAlg::ES256), SigningAlg::ES256);
        for alg in [SigningAlg::ES256, SigningAlg::RS256] {
            client.id_token_signed_response_alg = Some(alg);
            assert!(client.problems(&es256).is_empty(), "{alg}");
            assert_eq!(client.id_token_alg(SigningAlg::ES256), alg);
        }
        client.id_token_signed_response_alg = Some(SigningAlg::EdDSA);
        assert_eq!(
            client.problems(&es256),
            [(
                "id_token_signed_response_alg",
                "EdDSA is not one this issuer signs ID tokens with: ES256 or RS256 (its \
                 signing_alg is ES256)"
                    .to_owned()
            )]
        );
    }

    #[test]
    fn an_unsupported_id_token_alg_names_the_client_field_and_line() {
        let err = load(&GOOD.replace(
            "        pkce: required\n",
            "        pkce: required\n        id_token_signed_response_alg: EdDSA\n",
        ))
        .unwrap_err();
        assert_eq!(
            err,
            "fauxauth.yaml:8: issuers[0].clients[0].id_token_signed_response_alg: EdDSA is not \
             one this issuer signs ID tokens with: ES256 or RS256 (its signing_alg is ES256)"
        );
        let err = load(&GOOD.replace(
            "        pkce: required\n",
            "        pkce: required\n        id_token_signed_response_alg: HS256\n",
        ))
        .unwrap_err();
        assert!(err.starts_with("fauxauth.yaml:15:"), "{err}");
        assert!(err.contains("unknown variant `HS256`"), "{err}");
    }

    #[test]
    fn an_http_base_url_is_refused_for_a_provider_serving_https() {
        let config = Config {
            base_url: Some("http://fauxauth:9000".into()),
            tls: Some(fauxauth_core::TlsConfig::default()),
            ..Config::default()
        };
        let problems = config.validate().unwrap_err();
        assert!(
            problems[0].to_string().starts_with(
                "base_url: \"http://fauxauth:9000\" is http, but the provider serves HTTPS"
            ),
            "{}",
            problems[0]
        );
        let https = Config {
            base_url: Some("https://fauxauth:9000".into()),
            ..config
        };
        assert_eq!(https.validate(), Ok(()));
    }

    #[test]
    fn several_issuers_are_served_under_their_names() {
        let config = Config {
            issuers: vec![IssuerConfig::new("a"), IssuerConfig::new("b")],
            ..Config::default()
        };
        assert_eq!(config.path_of(&config.issuers[1]), "/b");
        let mut clash = config.clone();
        clash.issuers[1].path = Some("/a/".into());
        let problems = clash.validate().unwrap_err();
        assert_eq!(
            problems[0].to_string(),
            "issuers[1].path: \"/a\" is served by another issuer"
        );
    }
}
