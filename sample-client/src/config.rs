//! The client's configuration: one schema for YAML files, the command line and Rust code.
//!
//! Serde reads it with `deny_unknown_fields`, so a misspelt key (or an unknown weakness) is
//! reported by the parser; then [`Config::validate`] checks what types cannot express, naming
//! each field it finds wrong.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use fauxauth_core::Clock;
use fauxauth_core::preset::{self, Preset};
use serde::{Deserialize, Serialize};

/// The scopes asked for when none are configured, with the `generic` preset: an OpenID Connect
/// login with a profile and an email, a refresh token, and read access to the resource's items.
pub const DEFAULT_SCOPES: [&str; 5] =
    ["openid", "profile", "email", "offline_access", "items:read"];

/// The path the client calls on the resource with the `generic` preset: fauxauth's resource
/// describes the caller there.
pub const RESOURCE_PATH: &str = "/api/me";

/// The scopes asked for when none are configured, per preset: what each provider's own
/// documentation asks for to sign someone in and call its user API.
pub fn default_scopes(preset: Preset) -> &'static [&'static str] {
    match preset {
        Preset::Generic => &DEFAULT_SCOPES,
        // Google's OpenID Connect guide; a refresh token comes from `access_type=offline`, not a
        // scope.
        Preset::Google => &["openid", "email", "profile"],
        // GitHub: the profile (`read:user`) and the private addresses behind `/user/emails`
        // (`user:email`). GitHub has no `openid`.
        Preset::Github => &["read:user", "user:email"],
        // Microsoft's guides: `offline_access` for a refresh token. Graph's `/me` needs
        // `User.Read`, which an app registration holds from the start, so it is not asked for.
        Preset::Microsoft => &["openid", "profile", "email", "offline_access"],
        // Keycloak's guides ("Securing applications"): OpenID Connect's scopes; the realm gives
        // every client `profile`, `email` and `roles` anyway, and refresh tokens without asking.
        Preset::Keycloak => &["openid", "profile", "email"],
        // GitLab's OpenID Connect guide, and `read_user` for the REST API's `/user`.
        Preset::Gitlab => &["openid", "profile", "email", "read_user"],
        // Auth0's quickstarts; `offline_access` for a refresh token.
        Preset::Auth0 => &["openid", "profile", "email", "offline_access"],
        // Okta's guides; `offline_access` for a refresh token.
        Preset::Okta => &["openid", "profile", "email", "offline_access"],
        // Discord's guide: `identify` for `/users/@me`, `email` for its address.
        Preset::Discord => &["identify", "email"],
        // "Sign in with Slack": OpenID Connect's scopes, and no more.
        Preset::Slack => &["openid", "profile", "email"],
        // Sign in with Apple: the name and the address, which Apple then posts.
        Preset::Apple => &["openid", "name", "email"],
    }
}

/// The path `/me` calls on the resource, per preset: fauxauth's `/api/me`, or the provider's own
/// user API (GitHub's `/user`, Google's userinfo on `www.googleapis.com`, Graph's `/me`).
pub fn resource_path(preset: Preset) -> &'static str {
    match preset {
        Preset::Generic => RESOURCE_PATH,
        Preset::Google => preset::google::USERINFO_V3,
        Preset::Github => preset::github::USER,
        Preset::Microsoft => preset::microsoft::ME,
        // The app's own API: Keycloak has no user API of its own.
        Preset::Keycloak => RESOURCE_PATH,
        Preset::Gitlab => preset::gitlab::USER,
        // The app's own API (Auth0 and Okta have none for their users).
        Preset::Auth0 | Preset::Okta => RESOURCE_PATH,
        Preset::Discord => preset::discord::USER,
        // The app's own API: a "Sign in with Slack" token reaches `openid.connect.userInfo`
        // only (`users.identity` wants the `identity.*` scopes of an app installation).
        Preset::Slack => RESOURCE_PATH,
        // The app's own API: Apple has none.
        Preset::Apple => RESOURCE_PATH,
    }
}

/// Everything a client needs to start.
#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Which real provider the client is written against: `generic` (strict OpenID Connect, the
    /// default) or a preset. The README's Presets section says what each changes.
    pub preset: Preset,
    /// The issuer identifier (`http://127.0.0.1:9000`). Its metadata is discovered at
    /// `{issuer}/.well-known/openid-configuration` and must name exactly this issuer. With the
    /// `github` and `discord` presets: the web host's base URL (no discovery). With `microsoft`:
    /// `{base}/{tenant}/v2.0`.
    pub issuer: String,
    /// The client's identifier at the provider.
    pub client_id: String,
    /// The client's secret. Without one the client is public: it authenticates with nothing
    /// but PKCE (RFC 7636), as RFC 9700 §2.1.1 requires.
    pub client_secret: Option<String>,
    /// A private key (PEM: P-256, P-384, RSA or Ed25519) to authenticate with instead of a
    /// secret: `private_key_jwt` (RFC 7523 §2.2, OpenID Connect Core §9), a JWT signed with it
    /// at every token request. The provider has the public key (the client's `jwks`).
    pub private_key: Option<String>,
    /// The `kid` of `private_key` in the provider's JWKS for the client (needed when that JWKS
    /// has several keys for its algorithm).
    pub private_key_id: Option<String>,
    /// With the `apple` preset: the developer team that owns `private_key`, the `iss` of the
    /// client secret the client signs with it.
    pub team_id: Option<String>,
    /// Prove possession of a key with DPoP (RFC 9449): a proof with every token request, the
    /// code bound to the key (`dpop_jkt`), and the tokens presented as `DPoP` with a proof once
    /// the provider binds them. The key (P-256) is made from the client id.
    pub dpop: bool,
    /// Push each authorization request to the provider's PAR endpoint (RFC 9126) and send the
    /// browser with the `request_uri` it answers, instead of the request in the URL.
    pub par: bool,
    /// Ask for `response_mode=form_post` (OAuth 2.0 Form Post Response Mode): the provider's page
    /// posts the authorization response to the callback, which then takes it by POST only.
    pub form_post: bool,
    /// Where the provider sends the browser back. Default: `{base URL}/callback`.
    pub redirect_uri: Option<String>,
    /// The base URL of the protected API; `/me` calls `{resource}/api/me` (or the preset's user
    /// API, [`resource_path`]). Optional, but for `github`: its API host serves `/user`, which
    /// logging in needs.
    pub resource: Option<String>,
    /// The scopes asked for; empty (the default) means the preset's ([`default_scopes`]). An
    /// OpenID preset's must include `openid`.
    pub scopes: Vec<String>,
    /// Protections switched off, each by its documented name. Empty unless asked for.
    pub weaknesses: Vec<Weakness>,
    /// Clock skew tolerated on the ID token's `exp` and `iat`. Written `30s`, `1m`, or seconds.
    #[serde(deserialize_with = "fauxauth_core::duration::deserialize")]
    pub leeway: Duration,
    /// Where the provider sends the browser after logging out. Default: `{base URL}/`.
    pub post_logout_redirect_uri: Option<String>,
    /// How long one request to the provider or the resource may take, in real time (a transport
    /// limit, not a protocol decision, so it does not follow the virtual clock).
    #[serde(deserialize_with = "fauxauth_core::duration::deserialize")]
    pub timeout: Duration,
    /// The clock tokens are judged by. Not part of files: the harness hands every component of a
    /// scenario the same clock.
    #[serde(skip)]
    pub clock: Clock,
    /// HTTPS served, what is trusted when calling the provider and the resource over HTTPS,
    /// names resolved here (not part of files).
    #[serde(skip)]
    pub network: fauxauth_core::Network,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            preset: Preset::Generic,
            issuer: String::new(),
            client_id: String::new(),
            client_secret: None,
            private_key: None,
            private_key_id: None,
            team_id: None,
            dpop: false,
            par: false,
            form_post: false,
            redirect_uri: None,
            resource: None,
            scopes: Vec::new(),
            weaknesses: Vec::new(),
            leeway: Duration::from_secs(60),
            post_logout_redirect_uri: None,
            timeout: Duration::from_secs(10),
            clock: Clock::system(),
            network: fauxauth_core::Network::default(),
        }
    }
}

// By hand, so that the secret never reaches a log line.
impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("preset", &self.preset)
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "[redacted]"),
            )
            .field(
                "private_key",
                &self.private_key.as_ref().map(|_| "[redacted]"),
            )
            .field("private_key_id", &self.private_key_id)
            .field("team_id", &self.team_id)
            .field("dpop", &self.dpop)
            .field("par", &self.par)
            .field("form_post", &self.form_post)
            .field("redirect_uri", &self.redirect_uri)
            .field("resource", &self.resource)
            .field("scopes", &self.scopes)
            .field("weaknesses", &self.weaknesses)
            .field("leeway", &self.leeway)
            .field("post_logout_redirect_uri", &self.post_logout_redirect_uri)
            .field("timeout", &self.timeout)
            .field("clock", &self.clock)
            .finish()
    }
}

impl Config {
    /// A confidential client `client_id` with `client_secret` at `issuer`, every other setting
    /// at its default.
    pub fn confidential(
        issuer: impl Into<String>,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Self {
        Self {
            issuer: issuer.into(),
            client_id: client_id.into(),
            client_secret: Some(client_secret.into()),
            ..Self::default()
        }
    }

    /// A public client `client_id` at `issuer` (PKCE is then its only proof).
    pub fn public(issuer: impl Into<String>, client_id: impl Into<String>) -> Self {
        Self {
            issuer: issuer.into(),
            client_id: client_id.into(),
            ..Self::default()
        }
    }

    /// The scopes asked for: the configured ones, or the preset's defaults.
    pub fn requested_scopes(&self) -> Vec<String> {
        if self.scopes.is_empty() {
            default_scopes(self.preset)
                .iter()
                .map(|s| (*s).to_owned())
                .collect()
        } else {
            self.scopes.clone()
        }
    }

    /// Every problem that types cannot rule out, each naming its field.
    pub fn validate(&self) -> Result<(), Vec<String>> {
        let mut problems = Vec::new();
        match http_url(&self.issuer) {
            Err(why) => problems.push(format!("issuer: {why}")),
            Ok(_) if self.issuer.contains(['?', '#']) => {
                problems.push("issuer: must have no query or fragment (RFC 8414 §2)".to_owned());
            }
            Ok(_)
                if self.preset == Preset::Microsoft
                    && crate::protocol::issuer::tenant(&self.issuer).is_none() =>
            {
                problems.push(format!(
                    "issuer: {:?} is not {{base}}/{{tenant}}/v2.0, as the microsoft preset needs",
                    self.issuer
                ));
            }
            Ok(_) => {}
        }
        if self.client_id.is_empty() {
            problems.push("client_id: required".to_owned());
        } else if self.client_id.chars().any(char::is_control) {
            problems.push("client_id: must not contain control characters".to_owned());
        }
        if self.client_secret.as_deref() == Some("") {
            problems.push("client_secret: empty; leave it out for a public client".to_owned());
        }
        if let Some(pem) = &self.private_key {
            if self.client_secret.is_some() {
                problems.push(
                    "private_key: give a client_secret or a private_key, not both".to_owned(),
                );
            }
            if let Err(why) = crate::assertion::ClientKey::from_pem(pem, None) {
                problems.push(format!("private_key: {why}"));
            }
        }
        for (field, value) in [
            ("redirect_uri", &self.redirect_uri),
            ("resource", &self.resource),
            ("post_logout_redirect_uri", &self.post_logout_redirect_uri),
        ] {
            if let Some(value) = value {
                if let Err(why) = http_url(value) {
                    problems.push(format!("{field}: {why}"));
                } else if value.contains('#') {
                    // RFC 6749 §3.1.2: a redirection endpoint URI has no fragment.
                    problems.push(format!("{field}: must have no fragment"));
                }
            }
        }
        if self.preset == Preset::Apple
            && self.client_secret.is_none()
            && (self.private_key.is_none() || self.team_id.is_none())
        {
            problems.push(
                "private_key and team_id: required with the apple preset (the key and team that \
                 sign the client secret), unless client_secret is a secret already signed"
                    .into(),
            );
        }
        if !self.preset.is_openid() && self.resource.is_none() {
            problems.push(format!(
                "resource: required with the {} preset (its API, which says who logged in)",
                self.preset
            ));
        }
        if self.preset.is_openid()
            && !self.scopes.is_empty()
            && !self.scopes.iter().any(|s| s == "openid")
        {
            problems.push("scopes: must include openid (this is an OpenID Connect client)".into());
        }
        // RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ).
        let scope_char = |c: char| {
            c == '\x21' || ('\x23'..='\x5b').contains(&c) || ('\x5d'..='\x7e').contains(&c)
        };
        if let Some(bad) = self
            .scopes
            .iter()
            .find(|s| s.is_empty() || !s.chars().all(scope_char))
        {
            problems.push(format!(
                "scopes: {bad:?} is not a scope token (RFC 6749 §3.3)"
            ));
        }
        if self.timeout.is_zero() {
            problems.push("timeout: must be more than zero".to_owned());
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }
}

fn http_url(value: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(value).map_err(|e| format!("{value:?} is not a URL ({e})"))?;
    if matches!(url.scheme(), "http" | "https") {
        Ok(url)
    } else {
        Err(format!("{value:?} is not an http or https URL"))
    }
}

/// One protection of the client, switched off. Each disables exactly one check and nothing
/// else, so a scenario that catches it proves it tests that check. Off by default; on only by
/// name, in configuration or with `--weakness NAME`, and announced on stderr at start.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Weakness {
    /// The callback's `state` is not compared with the one sent (RFC 6749 §10.12: login CSRF).
    SkipStateCheck,
    /// The ID token's `nonce` is not compared with the one sent (OIDC Core §3.1.3.7 step 11).
    SkipNonceCheck,
    /// The callback's `iss` is not compared with the issuer (RFC 9207 §2.4: mix-up attacks).
    SkipIssCheck,
    /// The ID token's `iss` is not compared with the issuer (OIDC Core §3.1.3.7 step 2).
    SkipIdTokenIssCheck,
    /// The ID token's signature is not verified (OIDC Core §3.1.3.7 step 6). The algorithm
    /// allow-list still applies, so `alg: none` is still refused.
    SkipSignatureCheck,
    /// An unsigned ID token (`alg: none`, RFC 7519 §6) is accepted; signed ones are still
    /// verified (RFC 8725 §3.1).
    AcceptAlgNone,
    /// The ID token's `aud` is not required to name this client (OIDC Core §3.1.3.7 step 3).
    SkipAudCheck,
    /// The ID token's `exp` is not checked (OIDC Core §3.1.3.7 step 9).
    SkipExpCheck,
    /// The ID token's `at_hash` is not compared with the access token (OIDC Core §3.1.3.8).
    SkipAtHashCheck,
    /// No PKCE: no `code_challenge` at the authorization endpoint, no `code_verifier` at the
    /// token endpoint (RFC 7636; RFC 9700 §2.1.1).
    NoPkce,
    /// UserInfo's `sub` is not compared with the ID token's (OIDC Core §5.3.2).
    SkipUserinfoSubCheck,
    /// A refresh keeps using the old refresh token instead of the rotated one
    /// (RFC 9700 §4.14.2), so a provider with reuse detection revokes the grant.
    ReuseRefreshToken,
    /// The access token goes to the resource in the URL's query (`access_token`, RFC 6750 §2.3),
    /// where logs and caches see it, instead of the `Authorization` header.
    TokenInUrl,
    /// An error response at the callback (`error=...`, RFC 6749 §4.1.2.1) is not recognised:
    /// the client goes on as if the login had succeeded.
    IgnoreErrorResponse,
    /// No `state` is sent, so none is checked (RFC 6749 §10.12).
    NoState,
    /// The `state` is a counter (`state-1`, `state-2`): present, but guessable
    /// (RFC 6749 §10.10).
    PredictableState,
    /// No `nonce` is sent, so none is checked (OIDC Core §3.1.2.1).
    NoNonce,
    /// Neither PKCE nor a nonce: nothing binds the code to the login that asked for it
    /// (RFC 9700 §4.5: code injection).
    NoCodeBinding,
    /// Each code's token response is remembered, and a callback repeating a code is answered
    /// from memory, with that login's session: a "retry-safe" callback that lets whoever holds
    /// a callback URL in (RFC 6749 §10.5).
    CacheCodeExchange,
    /// HS256 ID tokens are accepted, verified with the client secret (algorithm confusion,
    /// RFC 8725 §3.1; OIDC Core §10.1 allows it only when registered).
    AcceptHs256,
    /// An ID token without `sub` is accepted; the email stands in for it (OIDC Core §2).
    AcceptMissingSub,
    /// The ID token's `iat` is not checked (OIDC Core §3.1.3.7 step 10).
    SkipIatCheck,
    /// Accounts are kept by email, verified or not: a second login with an address already
    /// seen opens the first account (OIDC Core §5.7).
    AccountsByEmail,
    /// The provider's keys are fetched once and never again, so a rotated key is never seen
    /// (OIDC Core §10.1.1).
    NoJwksRefetch,
    /// Only the first key of the provider's JWKS is used, whatever the token's `kid`.
    FirstKeyOnly,
    /// Requests to the provider give up after one second.
    ShortTimeout,
    /// A provider that answers an error or fails makes the client answer 500.
    CrashOnProviderError,
    /// The provider's TLS certificate is not verified: any certificate is accepted.
    SkipTlsVerify,
    /// Logout tokens are acknowledged (200) but end no session (Back-Channel Logout 1.0 §2.7).
    IgnoreBackchannelLogout,
    /// An unsigned logout token (`alg: none`) is accepted (Back-Channel Logout 1.0 §2.6 step 2).
    AcceptUnsignedLogoutToken,
    /// The logout token's `iss` is not checked, and its session is found by `sid` alone
    /// (Back-Channel Logout 1.0 §2.6 step 3).
    SkipLogoutTokenIssCheck,
    /// The logout token's `aud` is not checked (Back-Channel Logout 1.0 §2.6 step 3).
    SkipLogoutTokenAudCheck,
    /// The logout token's `events` claim is not checked (Back-Channel Logout 1.0 §2.6 step 5):
    /// any token of the provider's, an ID token among them, logs the person out.
    SkipLogoutEventCheck,
    /// A logout token carrying a `nonce` is accepted (Back-Channel Logout 1.0 §2.6 step 7: an ID
    /// token must never pass for one).
    AcceptLogoutTokenNonce,
}

impl Weakness {
    pub const ALL: [Weakness; 34] = [
        Self::SkipStateCheck,
        Self::SkipNonceCheck,
        Self::SkipIssCheck,
        Self::SkipIdTokenIssCheck,
        Self::SkipSignatureCheck,
        Self::AcceptAlgNone,
        Self::SkipAudCheck,
        Self::SkipExpCheck,
        Self::SkipAtHashCheck,
        Self::NoPkce,
        Self::SkipUserinfoSubCheck,
        Self::ReuseRefreshToken,
        Self::TokenInUrl,
        Self::IgnoreErrorResponse,
        Self::NoState,
        Self::PredictableState,
        Self::NoNonce,
        Self::NoCodeBinding,
        Self::CacheCodeExchange,
        Self::AcceptHs256,
        Self::AcceptMissingSub,
        Self::SkipIatCheck,
        Self::AccountsByEmail,
        Self::NoJwksRefetch,
        Self::FirstKeyOnly,
        Self::ShortTimeout,
        Self::CrashOnProviderError,
        Self::SkipTlsVerify,
        Self::IgnoreBackchannelLogout,
        Self::AcceptUnsignedLogoutToken,
        Self::SkipLogoutTokenIssCheck,
        Self::SkipLogoutTokenAudCheck,
        Self::SkipLogoutEventCheck,
        Self::AcceptLogoutTokenNonce,
    ];

    /// Whether only the app checks (`fauxauth test`) can see this weakness: it shows in how the
    /// client behaves over several logins, or against a provider that misbehaves in ways the
    /// protocol scenarios do not stage.
    pub fn app_checks_only(self) -> bool {
        matches!(
            self,
            Self::NoState
                | Self::PredictableState
                | Self::NoNonce
                | Self::NoCodeBinding
                | Self::CacheCodeExchange
                | Self::AcceptHs256
                | Self::AcceptMissingSub
                | Self::SkipIatCheck
                | Self::AccountsByEmail
                | Self::NoJwksRefetch
                | Self::FirstKeyOnly
                | Self::ShortTimeout
                | Self::CrashOnProviderError
        )
    }

    /// The documented name (`skip-state-check`).
    pub fn name(self) -> &'static str {
        match self {
            Self::SkipStateCheck => "skip-state-check",
            Self::SkipNonceCheck => "skip-nonce-check",
            Self::SkipIssCheck => "skip-iss-check",
            Self::SkipIdTokenIssCheck => "skip-id-token-iss-check",
            Self::SkipSignatureCheck => "skip-signature-check",
            Self::AcceptAlgNone => "accept-alg-none",
            Self::SkipAudCheck => "skip-aud-check",
            Self::SkipExpCheck => "skip-exp-check",
            Self::SkipAtHashCheck => "skip-at-hash-check",
            Self::NoPkce => "no-pkce",
            Self::SkipUserinfoSubCheck => "skip-userinfo-sub-check",
            Self::ReuseRefreshToken => "reuse-refresh-token",
            Self::TokenInUrl => "token-in-url",
            Self::IgnoreErrorResponse => "ignore-error-response",
            Self::NoState => "no-state",
            Self::PredictableState => "predictable-state",
            Self::NoNonce => "no-nonce",
            Self::NoCodeBinding => "no-code-binding",
            Self::CacheCodeExchange => "cache-code-exchange",
            Self::AcceptHs256 => "accept-hs256",
            Self::AcceptMissingSub => "accept-missing-sub",
            Self::SkipIatCheck => "skip-iat-check",
            Self::AccountsByEmail => "accounts-by-email",
            Self::NoJwksRefetch => "no-jwks-refetch",
            Self::FirstKeyOnly => "first-key-only",
            Self::ShortTimeout => "short-timeout",
            Self::CrashOnProviderError => "crash-on-provider-error",
            Self::SkipTlsVerify => "skip-tls-verify",
            Self::IgnoreBackchannelLogout => "ignore-backchannel-logout",
            Self::AcceptUnsignedLogoutToken => "accept-unsigned-logout-token",
            Self::SkipLogoutTokenIssCheck => "skip-logout-token-iss-check",
            Self::SkipLogoutTokenAudCheck => "skip-logout-token-aud-check",
            Self::SkipLogoutEventCheck => "skip-logout-event-check",
            Self::AcceptLogoutTokenNonce => "accept-logout-token-nonce",
        }
    }

    /// What is lost, in a few words (for the warning printed at start).
    pub fn what_is_lost(self) -> &'static str {
        match self {
            Self::SkipStateCheck => "state is not checked at the callback",
            Self::SkipNonceCheck => "the ID token's nonce is not checked",
            Self::SkipIssCheck => "the callback's iss (RFC 9207) is not checked",
            Self::SkipIdTokenIssCheck => "the ID token's iss is not checked",
            Self::SkipSignatureCheck => "ID token signatures are not verified",
            Self::AcceptAlgNone => "unsigned ID tokens (alg: none) are accepted",
            Self::SkipAudCheck => "the ID token's aud is not checked",
            Self::SkipExpCheck => "the ID token's exp is not checked",
            Self::SkipAtHashCheck => "the ID token's at_hash is not checked",
            Self::NoPkce => "no PKCE is used",
            Self::SkipUserinfoSubCheck => "userinfo's sub is not compared with the ID token's",
            Self::ReuseRefreshToken => "rotated refresh tokens are ignored; the old one is reused",
            Self::TokenInUrl => "the access token is sent in the URL",
            Self::IgnoreErrorResponse => "error responses at the callback are ignored",
            Self::NoState => "no state is sent or checked",
            Self::PredictableState => "the state is a guessable counter",
            Self::NoNonce => "no nonce is sent or checked",
            Self::NoCodeBinding => "neither PKCE nor a nonce binds the code to the login",
            Self::CacheCodeExchange => "a repeated callback is answered from memory",
            Self::AcceptHs256 => "HS256 ID tokens keyed by the client secret are accepted",
            Self::AcceptMissingSub => "ID tokens without sub are accepted",
            Self::SkipIatCheck => "the ID token's iat is not checked",
            Self::AccountsByEmail => "accounts are kept by email, verified or not",
            Self::NoJwksRefetch => "the provider's keys are never fetched again",
            Self::FirstKeyOnly => "only the JWKS's first key is used",
            Self::ShortTimeout => "requests to the provider give up after one second",
            Self::CrashOnProviderError => "a provider error makes the client answer 500",
            Self::SkipTlsVerify => "the provider's TLS certificate is not verified",
            Self::IgnoreBackchannelLogout => "logout tokens are acknowledged but end no session",
            Self::AcceptUnsignedLogoutToken => "unsigned logout tokens (alg: none) are accepted",
            Self::SkipLogoutTokenIssCheck => "the logout token's iss is not checked",
            Self::SkipLogoutTokenAudCheck => "the logout token's aud is not checked",
            Self::SkipLogoutEventCheck => "the logout token's event is not checked",
            Self::AcceptLogoutTokenNonce => "logout tokens carrying a nonce are accepted",
        }
    }

    /// Whether the protection exists with `preset`. GitHub is plain OAuth 2.0: no ID token and
    /// no UserInfo, so the checks on those have nothing to judge there; no real provider the
    /// presets imitate sends logout tokens.
    pub fn applies_to(self, preset: Preset) -> bool {
        if self.is_backchannel_logout() {
            return preset == Preset::Generic;
        }
        preset.is_openid()
            || matches!(
                self,
                Self::SkipStateCheck
                    | Self::SkipIssCheck
                    | Self::NoPkce
                    | Self::ReuseRefreshToken
                    | Self::TokenInUrl
                    | Self::IgnoreErrorResponse
                    | Self::NoState
                    | Self::PredictableState
                    | Self::CacheCodeExchange
                    | Self::ShortTimeout
                    | Self::CrashOnProviderError
                    | Self::SkipTlsVerify
            )
    }

    /// Whether it weakens the handling of logout tokens (Back-Channel Logout 1.0).
    pub fn is_backchannel_logout(self) -> bool {
        matches!(
            self,
            Self::IgnoreBackchannelLogout
                | Self::AcceptUnsignedLogoutToken
                | Self::SkipLogoutTokenIssCheck
                | Self::SkipLogoutTokenAudCheck
                | Self::SkipLogoutEventCheck
                | Self::AcceptLogoutTokenNonce
        )
    }

    /// The presets the protection exists with, for lists and `--help`.
    pub fn presets(self) -> &'static str {
        if self.is_backchannel_logout() {
            "the generic provider only (no preset sends logout tokens)"
        } else if self.applies_to(Preset::Github) {
            "every preset"
        } else {
            "OpenID presets only (not github or discord)"
        }
    }
}

impl fmt::Display for Weakness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Weakness {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|w| w.name() == s)
            .ok_or_else(|| {
                let names: Vec<_> = Self::ALL.iter().map(|w| w.name()).collect();
                format!(
                    "{s:?} is not a weakness; the weaknesses are {}",
                    names.join(", ")
                )
            })
    }
}

/// The banner printed on stderr when a client starts with weaknesses, or `None` without any.
/// A weakness the preset has no protection for is named too, as having no effect.
pub fn warning(weaknesses: &[Weakness], preset: Preset) -> Option<String> {
    if weaknesses.is_empty() {
        return None;
    }
    let mut text = String::from(
        "\n!!! WARNING: this client runs with protections switched OFF, on purpose !!!\n",
    );
    for weakness in weaknesses {
        let moot = if weakness.applies_to(preset) {
            String::new()
        } else {
            format!(" (no effect with the {preset} preset)")
        };
        text.push_str(&format!(
            "!!!   {weakness}: {}{moot}\n",
            weakness.what_is_lost()
        ));
    }
    text.push_str("!!! It is a test target for scenarios. Never point it at real accounts. !!!\n");
    Some(text)
}

/// The set of weaknesses in force, for cheap checks on every request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Weaknesses(u64);

impl Weaknesses {
    pub fn of(list: &[Weakness]) -> Self {
        Self(list.iter().fold(0, |bits, w| bits | (1 << *w as u64)))
    }

    pub fn has(self, weakness: Weakness) -> bool {
        self.0 & (1 << weakness as u64) != 0
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
        let config = Config::confidential("http://127.0.0.1:9000", "web", "secret");
        assert_eq!(config.validate(), Ok(()));
        assert!(config.weaknesses.is_empty());
        assert_eq!(config.leeway, Duration::from_secs(60));
        assert_eq!(config.preset, Preset::Generic);
        assert_eq!(
            config.requested_scopes().join(" "),
            "openid profile email offline_access items:read"
        );
        assert_eq!(warning(&config.weaknesses, config.preset), None);
    }

    #[test]
    fn each_preset_asks_for_its_providers_scopes_unless_told_otherwise() {
        let scopes = |preset| {
            let config = Config {
                preset,
                ..Config::default()
            };
            config.requested_scopes().join(" ")
        };
        assert_eq!(scopes(Preset::Github), "read:user user:email");
        assert_eq!(scopes(Preset::Google), "openid email profile");
        assert_eq!(
            scopes(Preset::Microsoft),
            "openid profile email offline_access"
        );
        let config = Config {
            preset: Preset::Github,
            scopes: vec!["repo".into()],
            ..Config::default()
        };
        assert_eq!(config.requested_scopes(), ["repo"]);
    }

    #[test]
    fn the_preset_is_read_by_name_and_checked_against_the_issuer_and_resource() {
        let config =
            parse(r#"{"preset": "github", "issuer": "http://127.0.0.1:1", "client_id": "web"}"#)
                .unwrap();
        assert_eq!(config.preset, Preset::Github);
        let problems = config.validate().unwrap_err();
        assert_eq!(problems.len(), 1, "{problems:#?}");
        assert!(
            problems[0].starts_with("resource: required"),
            "{problems:#?}"
        );

        let microsoft = |issuer: &str| Config {
            preset: Preset::Microsoft,
            ..Config::confidential(issuer, "web", "secret")
        };
        assert_eq!(
            microsoft("http://127.0.0.1:1/common/v2.0").validate(),
            Ok(())
        );
        let problems = microsoft("http://127.0.0.1:1/common")
            .validate()
            .unwrap_err();
        assert!(problems[0].starts_with("issuer:"), "{problems:#?}");
        assert!(
            parse(r#"{"preset": "pingone"}"#)
                .unwrap_err()
                .contains("pingone")
        );
    }

    #[test]
    fn github_needs_no_openid_scope_and_openid_presets_do() {
        let config = Config {
            preset: Preset::Github,
            resource: Some("http://127.0.0.1:2".into()),
            scopes: vec!["read:user".into()],
            ..Config::confidential("http://127.0.0.1:1", "web", "secret")
        };
        assert_eq!(config.validate(), Ok(()));
        let google = Config {
            preset: Preset::Google,
            ..config
        };
        let problems = google.validate().unwrap_err();
        assert!(problems[0].starts_with("scopes: must include openid"));
    }

    #[test]
    fn weaknesses_are_read_by_their_documented_names() {
        let config = parse(
            r#"{"issuer": "http://127.0.0.1:1", "client_id": "web",
                "weaknesses": ["skip-state-check", "token-in-url"], "leeway": "5s"}"#,
        )
        .unwrap();
        assert_eq!(
            config.weaknesses,
            [Weakness::SkipStateCheck, Weakness::TokenInUrl]
        );
        assert_eq!(config.leeway, Duration::from_secs(5));
        for weakness in Weakness::ALL {
            let json = serde_json::to_string(&weakness).unwrap();
            assert_eq!(json, format!("\"{}\"", weakness.name()));
            assert_eq!(weakness.name().parse(), Ok(weakness));
        }
    }

    #[test]
    fn an_unknown_weakness_is_an_error_naming_the_valid_ones() {
        let err = parse(r#"{"weaknesses": ["skip-everything"]}"#).unwrap_err();
        assert!(err.contains("skip-everything"), "{err}");
        assert!(err.contains("skip-nonce-check"), "{err}");
        let err = "skip-everything".parse::<Weakness>().unwrap_err();
        for weakness in Weakness::ALL {
            assert!(err.contains(weakness.name()), "{err}");
        }
    }

    #[test]
    fn unknown_fields_are_refused_by_the_parser() {
        let err = parse(r#"{"issuer": "http://x", "client_secrte": "s"}"#).unwrap_err();
        assert!(err.contains("client_secrte"), "{err}");
    }

    #[test]
    fn validation_names_every_problem() {
        let config = Config {
            issuer: "not a url".into(),
            client_id: String::new(),
            client_secret: Some(String::new()),
            redirect_uri: Some("ftp://x/cb".into()),
            resource: Some("http://127.0.0.1:9001#frag".into()),
            scopes: vec!["profile".into(), "bad scope".into()],
            timeout: Duration::ZERO,
            ..Config::default()
        };
        let problems = config.validate().unwrap_err();
        for field in [
            "issuer:",
            "client_id:",
            "client_secret:",
            "redirect_uri:",
            "resource:",
            "scopes: must include openid",
            "scopes: \"bad scope\"",
            "timeout:",
        ] {
            assert!(
                problems.iter().any(|p| p.starts_with(field)),
                "{field} in {problems:#?}"
            );
        }
        assert_eq!(problems.len(), 8, "{problems:#?}");
    }

    #[test]
    fn the_warning_names_every_weakness_in_force() {
        let both = [Weakness::NoPkce, Weakness::AcceptAlgNone];
        let text = warning(&both, Preset::Generic).unwrap();
        assert!(text.contains("WARNING"), "{text}");
        assert!(text.contains("no-pkce: no PKCE is used\n"), "{text}");
        assert!(text.contains("accept-alg-none"), "{text}");
        assert!(!text.contains("no effect"), "{text}");
        let text = warning(&both, Preset::Github).unwrap();
        assert!(text.contains("no-pkce: no PKCE is used\n"), "{text}");
        assert!(
            text.contains("(no effect with the github preset)"),
            "{text}"
        );
    }

    #[test]
    fn only_the_oauth_protections_exist_with_github() {
        let github: Vec<_> = Weakness::ALL
            .into_iter()
            .filter(|w| w.applies_to(Preset::Github))
            .map(Weakness::name)
            .collect();
        assert_eq!(
            github,
            [
                "skip-state-check",
                "skip-iss-check",
                "no-pkce",
                "reuse-refresh-token",
                "token-in-url",
                "ignore-error-response",
                "no-state",
                "predictable-state",
                "cache-code-exchange",
                "short-timeout",
                "crash-on-provider-error",
                "skip-tls-verify"
            ]
        );
        assert!(Weakness::ALL.iter().all(|w| w.applies_to(Preset::Generic)));
        // No real provider the presets imitate sends logout tokens.
        for preset in [Preset::Google, Preset::Microsoft] {
            assert!(
                Weakness::ALL
                    .iter()
                    .all(|w| w.applies_to(preset) != w.is_backchannel_logout())
            );
        }
        assert_eq!(
            Weakness::SkipNonceCheck.presets(),
            "OpenID presets only (not github or discord)"
        );
    }

    #[test]
    fn the_secret_never_shows_in_debug_output() {
        let config = Config::confidential("http://127.0.0.1:9000", "web", "hunter2-hunter2");
        let debug = format!("{config:?}");
        assert!(!debug.contains("hunter2"), "{debug}");
        assert!(debug.contains("[redacted]"), "{debug}");
    }

    #[test]
    fn a_set_of_weaknesses_answers_for_each_one() {
        let set = Weaknesses::of(&[Weakness::SkipAudCheck, Weakness::IgnoreErrorResponse]);
        for weakness in Weakness::ALL {
            assert_eq!(
                set.has(weakness),
                matches!(
                    weakness,
                    Weakness::SkipAudCheck | Weakness::IgnoreErrorResponse
                )
            );
        }
        assert!(!Weaknesses::default().has(Weakness::NoPkce));
    }
}
