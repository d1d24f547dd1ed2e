//! The scenario format: what a YAML scenario file says, as types.
//!
//! Serde reads a file into these with `deny_unknown_fields` everywhere, so a misspelt key is an
//! error with its line (and a suggestion). A step is a map with exactly one action key (`login`,
//! `token`, `advance_clock`, ...) beside the optional `name`, `note`, `capture` and `expect`; its
//! custom deserializer enforces that and names the actions when the key is unknown.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use fauxauth_core::rules::Rule;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One scenario: a story about one protocol behaviour, and how to tell it went right.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub tags: Vec<String>,
    /// The requirements it checks: RFC sections, OpenID conformance modules.
    #[serde(default)]
    pub refs: Vec<String>,
    /// An app check's weight (`scenarios/app/`): `must` fails the run, `should` warns unless
    /// the run is strict. Protocol scenarios are all `must`.
    #[serde(default)]
    pub level: Severity,
    /// Facts about the app under which a `must` is only a `should`: another protection stands
    /// in for this one (PKCE for `state`, TLS for the ID token's signature).
    #[serde(default)]
    pub relaxed_by: Vec<Fact>,
    /// Facts under which `relaxed_by` does not count (a nonce stands in for PKCE only for a
    /// confidential client: RFC 9700 §2.1.1).
    #[serde(default)]
    pub not_relaxed_for: Vec<Fact>,
    /// Facts that must hold for the check to mean anything (a nonce check needs an app that
    /// sends a nonce); otherwise it is skipped, saying which.
    #[serde(default)]
    pub applies_when: Vec<Fact>,
    /// Facts under which the check means nothing (a public client has no secret to sign with);
    /// it is skipped when one holds.
    #[serde(default)]
    pub unless: Vec<Fact>,
    /// For people reading a failure: what the app accepted, in plain words, and why it matters.
    #[serde(default)]
    pub why: String,
    #[serde(default)]
    pub setup: Setup,
    pub steps: Vec<Step>,
}

/// How much a failed check weighs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// What a specification requires in this context: a failure fails the run.
    #[default]
    Must,
    /// Defence in depth (a SHOULD, or a MUST another protection may replace): a failure warns,
    /// and fails only a strict run.
    Should,
}

/// What fauxauth learned about an app from its normal login (and its app file).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Fact {
    /// Its authorization request carries `state`.
    SendsState,
    /// Its authorization request carries `nonce`.
    SendsNonce,
    /// Its authorization request carries an S256 `code_challenge` (RFC 7636).
    UsesPkce,
    /// It asks for `openid`: an OpenID Connect login with an ID token.
    Openid,
    /// It calls the provider's UserInfo endpoint.
    CallsUserinfo,
    /// Its registration has no secret.
    PublicClient,
    /// The provider is reached over HTTPS, so TLS authenticates what the token endpoint says
    /// (OpenID Connect Core §3.1.3.7 step 6).
    Tls,
    /// The provider puts `iss` in its authorization responses and says so (RFC 9207).
    ProviderSendsIss,
    /// The app has a logout.
    HasLogout,
    /// The logged-in sign names the person (a claim such as `{name}` or `{email}`), so two
    /// people's signs differ.
    SignNamesUser,
    /// Its registration has a `backchannel_logout_uri`: it takes logout tokens (OpenID Connect
    /// Back-Channel Logout 1.0).
    BackchannelLogout,
}

impl Fact {
    pub const ALL: [Fact; 11] = [
        Self::SendsState,
        Self::SendsNonce,
        Self::UsesPkce,
        Self::Openid,
        Self::CallsUserinfo,
        Self::PublicClient,
        Self::Tls,
        Self::ProviderSendsIss,
        Self::HasLogout,
        Self::SignNamesUser,
        Self::BackchannelLogout,
    ];

    /// The name written in files.
    pub fn name(self) -> &'static str {
        match self {
            Self::SendsState => "sends_state",
            Self::SendsNonce => "sends_nonce",
            Self::UsesPkce => "uses_pkce",
            Self::Openid => "openid",
            Self::CallsUserinfo => "calls_userinfo",
            Self::PublicClient => "public_client",
            Self::Tls => "tls",
            Self::ProviderSendsIss => "provider_sends_iss",
            Self::HasLogout => "has_logout",
            Self::SignNamesUser => "sign_names_user",
            Self::BackchannelLogout => "backchannel_logout",
        }
    }
}

/// The ecosystem a scenario runs in. Everything is optional: the defaults are a provider with the
/// standard clients and users, a resource trusting it, and the reference client.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Setup {
    /// A real provider to imitate: the standard provider dressed as it (its preset, scopes and
    /// accounts), the resource serving its user API, the reference client written against it.
    /// Not with `provider`, whose issuers say their own preset.
    #[serde(default)]
    pub preset: Option<fauxauth_core::preset::Preset>,
    /// The preset's quirks switched on or off, one at a time (`preset` only).
    #[serde(default)]
    pub quirks: Option<mock_provider::preset::Quirks>,
    /// The provider's configuration: the very type `fauxauth provider --config` reads.
    #[serde(default)]
    pub provider: Option<mock_provider::Config>,
    /// The resource's configuration; its `issuer` is filled in with the provider's.
    #[serde(default)]
    pub resource: Option<ResourceSetup>,
    /// Where the virtual clock starts (frozen); `2030-01-01T00:00:00Z` by default.
    #[serde(default)]
    pub start: Option<String>,
    /// The client under test: today the reference client, started when a scenario has browser
    /// steps (`login`, `visit`, `logout`) or says how to set it up here.
    #[serde(default)]
    pub client: Option<ClientSetup>,
    /// Every server over HTTPS, with certificates from the authority the provider's seed
    /// derives, which the clients (and the harness's browser) are given to trust.
    #[serde(default)]
    pub tls: bool,
}

/// How the reference client is set up.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientSetup {
    /// The provider client it is (its secret comes from the provider's configuration).
    #[serde(default = "default_client")]
    pub client: String,
    /// Protections switched off (see `fauxauth client --help`); a run's `--weakness` adds more.
    #[serde(default)]
    pub weaknesses: Vec<sample_client::Weakness>,
    /// The scopes it asks for.
    #[serde(default)]
    pub scopes: Option<Vec<String>>,
    /// The provider it is written against (`generic` unless set; see `fauxauth client --help`).
    #[serde(default)]
    pub preset: Option<fauxauth_core::preset::Preset>,
    /// It proves possession of a key with DPoP (RFC 9449; `fauxauth client --dpop`).
    #[serde(default)]
    pub dpop: bool,
    /// It pushes its authorization requests (RFC 9126; `fauxauth client --par`).
    #[serde(default)]
    pub par: bool,
    /// It asks for `response_mode=form_post` (`fauxauth client --form-post`).
    #[serde(default)]
    pub form_post: bool,
}

/// The resource's settings in a scenario: everything but the issuer, which is the provider's.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResourceSetup {
    /// The provider API it also serves; with one it introspects every token at the provider's
    /// first issuer, as `client`.
    #[serde(default)]
    pub preset: Option<mock_resource::Preset>,
    #[serde(default)]
    pub mode: Option<mock_resource::Mode>,
    #[serde(default)]
    pub audience: Option<String>,
    /// The provider client the resource introspects as (introspection mode, presets).
    #[serde(default)]
    pub client: Option<String>,
    #[serde(default)]
    pub rules: Vec<Rule>,
    /// The github preset's settings (`rate_limit`).
    #[serde(default)]
    pub github: Option<mock_resource::GithubSettings>,
}

/// One step: an action, what to capture from its result, and what to expect of it.
#[derive(Clone, Debug)]
pub struct Step {
    /// A name other steps can refer to (`replay`), and that reports use.
    pub name: Option<String>,
    pub action: Action,
    /// Values to remember: `name: where` (see [`Source`]).
    pub capture: BTreeMap<String, String>,
    pub expect: Expect,
}

/// What a step does. Read by [`Step`]'s deserializer, one key per action.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Log in through the client, as a person at a browser: the client's `/login`, the provider
    /// (its login page submitted when it shows one), and back to the client's callback.
    Login(Login),
    /// Open a page of the client (`/`, `/me`, ...), following redirects.
    Visit(String),
    /// Open any URL (a captured callback, say) in a browser, following the client's redirects.
    Open(Open),
    /// Use the client as a person would once logged in: its logged-in page, then every page of
    /// its own that page links to (links and GET forms; logouts left out).
    Explore(Empty),
    /// Log out through the client, following it to the provider's end-session endpoint and back.
    Logout(Empty),
    /// Send a request to the provider's authorization endpoint, as a browser would.
    Authorize(Authorize),
    /// Push an authorization request to the provider's PAR endpoint (RFC 9126), as the client.
    Par(Par),
    /// POST to the provider's token endpoint.
    Token(FormCall),
    /// POST to the provider's revocation endpoint.
    Revoke(FormCall),
    /// POST to the provider's introspection endpoint.
    Introspect(FormCall),
    /// POST to the provider's device authorization endpoint (RFC 8628 §3.1), as a device does.
    DeviceAuthorization(FormCall),
    /// Answer, as the person, a waiting device authorization (RFC 8628 §3.3).
    DeviceDecision(DeviceDecisionStep),
    /// Call the provider's UserInfo endpoint with a bearer token.
    Userinfo(BearerCall),
    /// Call the resource API with a bearer token.
    Api(BearerCall),
    /// Any HTTP request to one of the servers.
    Request(RawRequest),
    /// Send again exactly the request an earlier (named) step sent.
    Replay(String),
    /// End login sessions at the provider, as the person signing out elsewhere (or an
    /// administrator) would: each client registered for Back-Channel Logout is sent a logout
    /// token within the step.
    EndSession(EndSession),
    /// Move the virtual clock forward; the login sessions it ends are ended, their clients
    /// told (Back-Channel Logout), within the step.
    AdvanceClock(#[serde(with = "fauxauth_core::duration")] Duration),
    /// Rotate the provider's signing key (the old one stays published for `grace`).
    RotateKeys(RotateKeys),
    /// Add a rule to the provider.
    AddRule(Rule),
    /// Add a rule to the resource.
    AddResourceRule(Rule),
    /// Remove a provider rule by id.
    RemoveRule(String),
    /// Remove a resource rule by id.
    RemoveResourceRule(String),
    /// Which certificate the provider serves over HTTPS from now on: `untrusted` (from an
    /// authority no client was told to trust; the browser still trusts it) or `trusted`.
    TlsCertificate(Certificate),
}

/// A certificate the provider can serve (`tls_certificate`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Certificate {
    Trusted,
    Untrusted,
}

impl Default for ClientSetup {
    fn default() -> Self {
        Self {
            client: default_client(),
            weaknesses: Vec::new(),
            scopes: None,
            preset: None,
            dpop: false,
            par: false,
            form_post: false,
        }
    }
}

/// A browser login through the client.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Login {
    /// Who logs in: the world's person when absent (`alice` in the built-in world, the app
    /// file's first user against an app). With a headless provider the browser adds
    /// `login_hint` to the authorization request; with a login page it picks the user there.
    #[serde(default)]
    pub user: Option<String>,
    /// The password typed on the login page, for users that have one.
    #[serde(default)]
    pub password: Option<String>,
    /// Which browser (`person` when absent): each has its own cookies, so an attacker's
    /// browser is not the victim's.
    #[serde(default)]
    pub browser: Option<String>,
    /// Tamper with the redirect back to the client before delivering it.
    #[serde(default)]
    pub callback: Option<CallbackChange>,
}

/// What the browser does to the provider's redirect to the client's callback.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CallbackChange {
    /// Parameters added or replaced; `null` removes one.
    #[serde(default)]
    pub params: BTreeMap<String, Option<String>>,
    /// Deliver it twice (the second answer is the step's).
    #[serde(default)]
    pub twice: bool,
    /// Deliver it at all: `false` stops the browser before the client sees the callback (an
    /// attacker keeping a code for later); capture `callback.url` or `callback.<param>`.
    #[serde(default = "yes")]
    pub deliver: bool,
}

impl Default for CallbackChange {
    fn default() -> Self {
        Self {
            params: BTreeMap::new(),
            twice: false,
            deliver: true,
        }
    }
}

fn yes() -> bool {
    true
}

/// Opens a URL in a browser, following the client's redirects.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Open {
    /// An absolute URL or a path of the client; placeholders and captured values are filled in.
    pub url: String,
    /// Which browser (`person` when absent).
    #[serde(default)]
    pub browser: Option<String>,
}

/// An action with nothing to say.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Empty {}

/// Which server a request goes to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Server {
    #[default]
    Provider,
    Resource,
}

impl fmt::Display for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Provider => "provider",
            Self::Resource => "resource",
        })
    }
}

/// An authorization request. Unless `raw`, the usual parameters are filled in for `client`:
/// `response_type=code`, its first redirect URI, `scope=openid`, a `state`, a `nonce` and an S256
/// PKCE challenge whose verifier later `token` steps use by default. `params` add or replace
/// parameters; a parameter set to `null` is left out.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Authorize {
    #[serde(default = "default_client")]
    pub client: String,
    #[serde(default)]
    pub params: BTreeMap<String, Option<String>>,
    /// Send only `params`, nothing filled in.
    #[serde(default)]
    pub raw: bool,
    /// As an HTML form POST instead of a GET.
    #[serde(default)]
    pub post: bool,
    /// Another path that serves the authorization endpoint, relative to the issuer (Slack's
    /// app installation, `/oauth/v2/authorize`).
    #[serde(default)]
    pub path: Option<String>,
}

/// A pushed authorization request (RFC 9126 §2.1): the parameters `authorize` would send (the
/// same defaults, remembered the same way; `params` add, replace or with `null` remove, `raw`
/// sends only them), posted to the PAR endpoint as `client`, authenticated as at the token
/// endpoint. The answer's `request_uri` is remembered.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Par {
    #[serde(default = "default_client")]
    pub client: String,
    #[serde(default)]
    pub params: BTreeMap<String, Option<String>>,
    #[serde(default)]
    pub raw: bool,
    #[serde(default)]
    pub auth: ClientAuth,
    /// A secret other than the client's own.
    #[serde(default)]
    pub secret: Option<String>,
}

/// How a client authenticates a form call.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientAuth {
    /// `client_secret_basic` for a confidential client, `client_id` in the form for a public one.
    #[default]
    Auto,
    Basic,
    Post,
    /// `client_id` in the form only.
    Id,
    /// No client identification at all.
    None,
    /// A client assertion signed with the client's secret (RFC 7523 §2.2, OpenID Connect
    /// Core §9); see `assertion`.
    ClientSecretJwt,
    /// A client assertion signed with the scenario client key (`scenarios/keys/`, `kid`
    /// `scenario-client`); see `assertion`.
    PrivateKeyJwt,
    /// Apple's client secret: `client_id` and a `client_secret` that is an ES256 JWT signed
    /// with the scenario client key, from the client's `team_id` about the client, for
    /// `https://appleid.apple.com`, expiring in an hour; see `assertion`. What `auto` sends for
    /// a client with a `team_id` and no secret.
    SignedSecret,
}

/// How a `client_secret_jwt` or `private_key_jwt` assertion is made. By default as a correct
/// client makes it: `iss` and `sub` the client, `aud` the token endpoint, a new `jti`, `iat` now
/// and `exp` a minute later on the provider's clock.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AssertionSpec {
    /// Claims to set, or (null) to leave out. Strings are interpolated (`${issuer}`); `exp`,
    /// `nbf` and `iat` may be offsets from the provider's clock (`"+60"`, `"-300"`).
    #[serde(default)]
    pub claims: BTreeMap<String, Option<Value>>,
    /// What signs it; by default the client's secret (`client_secret_jwt`) or the scenario
    /// client key (`private_key_jwt`).
    #[serde(default)]
    pub sign: Option<AssertionSigner>,
    /// The HMAC algorithm with `secret`: `HS256` unless given.
    #[serde(default)]
    pub alg: Option<String>,
}

/// What signs a client assertion.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AssertionSigner {
    /// The scenario client key.
    ClientKey,
    /// A key no client is configured with.
    OtherKey,
    /// HMAC with the client's secret (or `secret`).
    Secret,
    /// Nothing: an unsecured JWT (`alg: none`).
    None,
}

/// A form POST to a provider endpoint, as `client`.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FormCall {
    #[serde(default = "default_client")]
    pub client: String,
    #[serde(default)]
    pub auth: ClientAuth,
    /// A secret other than the client's own (for wrong-secret stories).
    #[serde(default)]
    pub secret: Option<String>,
    /// How the client assertion is made, with `auth: client_secret_jwt` or `private_key_jwt`.
    #[serde(default)]
    pub assertion: Option<AssertionSpec>,
    /// A JWT authorization grant (RFC 7523 §2.1): sends `grant_type`
    /// `urn:ietf:params:oauth:grant-type:jwt-bearer` and this `assertion`, whose claims must
    /// give `iss` and `sub`.
    #[serde(default)]
    pub grant_assertion: Option<AssertionSpec>,
    /// The form. For `token`, `grant_type` defaults to `authorization_code` with the last
    /// authorization's `code`, `redirect_uri` and `code_verifier` unless given (null: left out).
    #[serde(default)]
    pub form: BTreeMap<String, Option<String>>,
    /// Send a DPoP proof (RFC 9449) with the request.
    #[serde(default)]
    pub dpop: Option<DpopSpec>,
    /// Another path that serves the endpoint, relative to the issuer (Slack's
    /// `/api/oauth.v2.access`).
    #[serde(default)]
    pub path: Option<String>,
}

/// A DPoP proof a step sends (RFC 9449 §4): by the scenario's DPoP key, for the request as sent
/// (`htm`, `htu`, `iat` now, a new `jti`, `ath` for the token presented, the last `DPoP-Nonce`
/// the scenario was given), with `claims` and `header` members set, or (null) left out.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DpopSpec {
    /// Claims to set or (null) leave out; strings are interpolated, `iat` may be an offset from
    /// the clock (`"-600"`).
    #[serde(default)]
    pub claims: BTreeMap<String, Option<Value>>,
    /// JOSE header members to set or (null) leave out (`typ`, `alg`, `jwk`).
    #[serde(default)]
    pub header: BTreeMap<String, Option<Value>>,
    /// Signed by another key than the scenario's (`${dpop_jkt}` is the scenario key's thumbprint).
    #[serde(default)]
    pub other_key: bool,
}

/// The person's answer to a device authorization: `{approve: alice}` or `{deny: true}`, for the
/// last `user_code` unless given.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceDecisionStep {
    /// Approve as this user (a username).
    #[serde(default)]
    pub approve: Option<String>,
    #[serde(default)]
    pub deny: bool,
    #[serde(default)]
    pub user_code: Option<String>,
}

/// Whose login sessions `end_session` ends.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EndSession {
    /// A username; the world's person when absent.
    #[serde(default)]
    pub user: Option<String>,
}

/// A bearer-token call.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BearerCall {
    /// The token; the last access token when absent.
    #[serde(default)]
    pub token: Option<String>,
    /// The path (for `api`; `userinfo` knows its own).
    #[serde(default)]
    pub path: Option<String>,
    #[serde(default)]
    pub method: Option<String>,
    #[serde(default)]
    pub body: Option<Value>,
    /// Present the token with the DPoP scheme and a proof (RFC 9449 §7.1).
    #[serde(default)]
    pub dpop: Option<DpopSpec>,
}

/// Any request.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawRequest {
    #[serde(default)]
    pub server: Server,
    #[serde(default = "default_method")]
    pub method: String,
    /// The path, relative to the server (the provider's issuer URL, or the resource's base).
    pub path: String,
    /// The path is relative to the provider's origin, not its issuer URL (a Microsoft issuer's
    /// other tenant segments, an issuer with a path's host-level metadata).
    #[serde(default)]
    pub root: bool,
    #[serde(default)]
    pub query: BTreeMap<String, String>,
    #[serde(default)]
    pub form: Option<BTreeMap<String, String>>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default)]
    pub body: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RotateKeys {
    #[serde(default, with = "optional_duration")]
    pub grace: Option<Duration>,
}

/// What a step's result must show. Every check given must hold.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// The HTTP status.
    #[serde(default)]
    pub status: Option<u16>,
    /// What the client showed the person (browser steps).
    #[serde(default)]
    pub client: Option<ClientExpect>,
    /// The RFC error code, wherever the answer puts it: the JSON body, a redirect's `error`
    /// parameter, or a `WWW-Authenticate` challenge.
    #[serde(default)]
    pub error: Option<String>,
    /// The answer is an HTML page and not a redirect (RFC 6749 §4.1.2.1 error pages).
    #[serde(default)]
    pub page: Option<bool>,
    /// The answer redirects to a URI starting with this.
    #[serde(default)]
    pub redirect_to: Option<String>,
    /// Parameters of the redirect's query.
    #[serde(default)]
    pub params: BTreeMap<String, Matcher>,
    /// Response headers (names in lower case).
    #[serde(default)]
    pub headers: BTreeMap<String, Matcher>,
    /// Members of the JSON body, by dotted path (`keys.0.kid`).
    #[serde(default)]
    pub json: BTreeMap<String, Matcher>,
    /// Members of a form-encoded body (`application/x-www-form-urlencoded`, as GitHub answers
    /// token requests).
    #[serde(default)]
    pub form: BTreeMap<String, Matcher>,
    /// The body as text.
    #[serde(default)]
    pub body: Option<Matcher>,
    /// Claims of JWTs in the answer: `path to the token: {claim: matcher}`; `header.alg` reads
    /// the JOSE header.
    #[serde(default)]
    pub jwt: BTreeMap<String, BTreeMap<String, Matcher>>,
    /// What the servers' journals must show after the step.
    #[serde(default)]
    pub journal: Vec<JournalExpect>,
    /// No URL the step's browser opened, nor any request the servers received, carries a
    /// secret or a token: no `client_secret`, `access_token`, `refresh_token`, `id_token` or
    /// `code_verifier` parameter, no JWT (RFC 6750 §2.3, RFC 9700 §4.3).
    #[serde(default)]
    pub no_secrets_in_urls: bool,
}

/// What the client's page says: logged in (as whom), or which check stopped it.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ClientExpect {
    #[serde(default)]
    pub logged_in: Option<bool>,
    /// Shown on the page (a name or username).
    #[serde(default)]
    pub shows: Option<String>,
    /// Not shown anywhere on the page (an address the client must not trust, a secret).
    #[serde(default)]
    pub hides: Option<String>,
    /// The check that refused, as the client names it (`state_mismatch`,
    /// `id_token_signature_invalid`, ...); `none` for a page without an error. The reference
    /// client only: an app under test is judged by what it shows.
    #[serde(default)]
    pub error: Option<Matcher>,
    /// Whether some page of the client answered with a 5xx during the step: `false` asks that
    /// the app fail gracefully.
    #[serde(default)]
    pub server_error: Option<bool>,
    /// An app under test: whose logged-in sign `logged_in` looks for (the person who last
    /// logged in with the browser when absent).
    #[serde(default)]
    pub user: Option<String>,
    /// An app under test: the browser whose session is looked at (the step's when absent).
    #[serde(default)]
    pub browser: Option<String>,
}

/// A check of one value. A plain value means "equal to"; otherwise one of the forms.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Matcher {
    Equals(Value),
    Present(bool),
    Contains(String),
    /// Anything that does not contain this (absent counts as not containing it).
    NotContains(String),
    OneOf(Vec<Value>),
    /// Anything but this (absent counts as different).
    Not(Value),
    /// A value an attacker cannot guess: at least 96 bits' worth of random-looking characters
    /// (RFC 6749 §10.10, §10.12).
    Unguessable(bool),
    /// Text this regular expression finds (anchor it with `^` and `$` to match the whole).
    Matches(Pattern),
}

/// A regular expression, compiled when the scenario is read (a bad one is a load error).
#[derive(Clone, Debug)]
pub struct Pattern(pub regex::Regex);

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.0.as_str() == other.0.as_str()
    }
}

impl Serialize for Pattern {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.as_str())
    }
}

/// "The client called /token once", "no request reached /userinfo": how many requests in a
/// server's journal (since the scenario began) match.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct JournalExpect {
    #[serde(default)]
    pub server: Server,
    #[serde(default)]
    pub endpoint: Option<String>,
    #[serde(default)]
    pub method: Option<String>,
    #[serde(default)]
    pub client_id: Option<String>,
    #[serde(default)]
    pub grant_type: Option<String>,
    #[serde(default)]
    pub user: Option<String>,
    #[serde(default)]
    pub status: Option<u16>,
    /// Requests where this rule fired.
    #[serde(default)]
    pub rule: Option<String>,
    /// Query parameters the request carried (every matching request must have them).
    #[serde(default)]
    pub query: BTreeMap<String, Matcher>,
    /// Form parameters the request carried.
    #[serde(default)]
    pub form: BTreeMap<String, Matcher>,
    /// Request headers (names in lower case; credentials as the journal masks them).
    #[serde(default)]
    pub headers: BTreeMap<String, Matcher>,
    /// Exactly this many; at least one when neither `times` nor `never` is given.
    #[serde(default)]
    pub times: Option<usize>,
    /// None at all.
    #[serde(default)]
    pub never: bool,
}

impl JournalExpect {
    pub fn filter(&self) -> fauxauth_core::journal::Filter {
        fauxauth_core::journal::Filter {
            endpoint: self.endpoint.clone(),
            method: self.method.clone(),
            client_id: self.client_id.clone(),
            grant_type: self.grant_type.clone(),
            user: self.user.clone(),
            status: self.status,
            rule: self.rule.clone(),
            ..Default::default()
        }
    }
}

fn default_client() -> String {
    "web".to_owned()
}

fn default_method() -> String {
    "GET".to_owned()
}

mod optional_duration {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        #[derive(Deserialize)]
        struct Wrapped(#[serde(with = "fauxauth_core::duration")] Duration);
        Ok(Option::<Wrapped>::deserialize(d)?.map(|Wrapped(d)| d))
    }

    pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => fauxauth_core::duration::serialize(d, s),
            None => s.serialize_none(),
        }
    }
}

impl<'de> Deserialize<'de> for Matcher {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields, rename_all = "snake_case")]
        enum Form {
            Present(bool),
            Contains(String),
            NotContains(String),
            OneOf(Vec<Value>),
            Equals(Value),
            Not(Value),
            Unguessable(bool),
            Matches(String),
        }
        let value = Value::deserialize(d)?;
        // A one-key map naming a form is that form; anything else is a value to equal.
        if let Value::Object(map) = &value
            && map.len() == 1
            && map.keys().all(|k| {
                matches!(
                    k.as_str(),
                    "present"
                        | "contains"
                        | "not_contains"
                        | "one_of"
                        | "equals"
                        | "not"
                        | "unguessable"
                        | "matches"
                )
            })
        {
            let form: Form = serde_json::from_value(value.clone()).map_err(de::Error::custom)?;
            return Ok(match form {
                Form::Present(p) => Matcher::Present(p),
                Form::Contains(s) => Matcher::Contains(s),
                Form::NotContains(s) => Matcher::NotContains(s),
                Form::OneOf(v) => Matcher::OneOf(v),
                Form::Equals(v) => Matcher::Equals(v),
                Form::Not(v) => Matcher::Not(v),
                Form::Unguessable(u) => Matcher::Unguessable(u),
                Form::Matches(pattern) => Matcher::Matches(Pattern(
                    regex::Regex::new(&pattern)
                        .map_err(|e| de::Error::custom(format!("matches: {e}")))?,
                )),
            });
        }
        Ok(Matcher::Equals(value))
    }
}

/// The keys a step may have besides its action.
const STEP_KEYS: [&str; 4] = ["name", "note", "capture", "expect"];

/// The action keys, for the error message that lists them.
const ACTIONS: [&str; 24] = [
    "par",
    "end_session",
    "device_authorization",
    "device_decision",
    "login",
    "visit",
    "open",
    "explore",
    "logout",
    "authorize",
    "token",
    "revoke",
    "introspect",
    "userinfo",
    "api",
    "request",
    "replay",
    "advance_clock",
    "rotate_keys",
    "add_rule",
    "add_resource_rule",
    "remove_rule",
    "remove_resource_rule",
    "tls_certificate",
];

impl<'de> Deserialize<'de> for Step {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_map(StepVisitor)
    }
}

struct StepVisitor;

impl<'de> Visitor<'de> for StepVisitor {
    type Value = Step;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "a step: one of {} with optional name, capture and expect",
            ACTIONS.join(", ")
        )
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Step, A::Error> {
        let mut name = None;
        let mut action: Option<Action> = None;
        let mut capture = BTreeMap::new();
        let mut expect = Expect::default();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "name" => name = Some(map.next_value()?),
                "note" => {
                    map.next_value::<String>()?;
                }
                "capture" => capture = map.next_value()?,
                "expect" => expect = map.next_value()?,
                other if ACTIONS.contains(&other) => {
                    if let Some(first) = &action {
                        return Err(de::Error::custom(format!(
                            "a step has one action, and this one already has {}",
                            action_name(first)
                        )));
                    }
                    action = Some(match other {
                        "login" => Action::Login(map.next_value()?),
                        "visit" => Action::Visit(map.next_value()?),
                        "open" => Action::Open(map.next_value()?),
                        "explore" => Action::Explore(map.next_value()?),
                        "logout" => Action::Logout(map.next_value()?),
                        "authorize" => Action::Authorize(map.next_value()?),
                        "token" => Action::Token(map.next_value()?),
                        "revoke" => Action::Revoke(map.next_value()?),
                        "introspect" => Action::Introspect(map.next_value()?),
                        "device_authorization" => Action::DeviceAuthorization(map.next_value()?),
                        "par" => Action::Par(map.next_value()?),
                        "device_decision" => Action::DeviceDecision(map.next_value()?),
                        "end_session" => Action::EndSession(map.next_value()?),
                        "userinfo" => Action::Userinfo(map.next_value()?),
                        "api" => Action::Api(map.next_value()?),
                        "request" => Action::Request(map.next_value()?),
                        "replay" => Action::Replay(map.next_value()?),
                        "advance_clock" => {
                            let text: String = map.next_value()?;
                            Action::AdvanceClock(
                                fauxauth_core::duration::parse(&text).map_err(de::Error::custom)?,
                            )
                        }
                        "rotate_keys" => Action::RotateKeys(map.next_value()?),
                        "add_rule" => Action::AddRule(map.next_value()?),
                        "add_resource_rule" => Action::AddResourceRule(map.next_value()?),
                        "remove_rule" => Action::RemoveRule(map.next_value()?),
                        "tls_certificate" => Action::TlsCertificate(map.next_value()?),
                        _ => Action::RemoveResourceRule(map.next_value()?),
                    });
                }
                other => {
                    let mut known: Vec<&str> = ACTIONS.to_vec();
                    known.extend(STEP_KEYS);
                    return Err(de::Error::unknown_field(other, leak(known)));
                }
            }
        }
        let action = action.ok_or_else(|| {
            de::Error::custom(format!(
                "a step needs an action: one of {}",
                ACTIONS.join(", ")
            ))
        })?;
        Ok(Step {
            name,
            action,
            capture,
            expect,
        })
    }
}

fn leak(names: Vec<&'static str>) -> &'static [&'static str] {
    // The list of names lives as long as the error message that quotes it; a handful of bytes.
    Box::leak(names.into_boxed_slice())
}

/// The name of an action, as written in files.
pub fn action_name(action: &Action) -> &'static str {
    match action {
        Action::Login(_) => "login",
        Action::Visit(_) => "visit",
        Action::Open(_) => "open",
        Action::Explore(_) => "explore",
        Action::Logout(_) => "logout",
        Action::Authorize(_) => "authorize",
        Action::Token(_) => "token",
        Action::Revoke(_) => "revoke",
        Action::Introspect(_) => "introspect",
        Action::DeviceAuthorization(_) => "device_authorization",
        Action::Par(_) => "par",
        Action::DeviceDecision(_) => "device_decision",
        Action::EndSession(_) => "end_session",
        Action::Userinfo(_) => "userinfo",
        Action::Api(_) => "api",
        Action::Request(_) => "request",
        Action::Replay(_) => "replay",
        Action::AdvanceClock(_) => "advance_clock",
        Action::RotateKeys(_) => "rotate_keys",
        Action::AddRule(_) => "add_rule",
        Action::AddResourceRule(_) => "add_resource_rule",
        Action::RemoveRule(_) => "remove_rule",
        Action::RemoveResourceRule(_) => "remove_resource_rule",
        Action::TlsCertificate(_) => "tls_certificate",
    }
}

impl Scenario {
    /// Whether the scenario needs the client: browser steps, or a client setup.
    pub fn uses_client(&self) -> bool {
        self.setup.client.is_some()
            || self.steps.iter().any(|s| {
                matches!(
                    s.action,
                    Action::Login(_)
                        | Action::Visit(_)
                        | Action::Open(_)
                        | Action::Explore(_)
                        | Action::Logout(_)
                )
            })
    }
}

/// Where a capture reads from: `json.<path>`, `form.<name>` (a form-encoded body),
/// `param.<name>` (the redirect's query), `header.<name>`, `status`, or
/// `journal.<endpoint>.query.<name>` / `journal.<endpoint>.form.<name>` (what the latest request
/// to a provider endpoint carried: what an app under test sent).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    Json(String),
    Form(String),
    Param(String),
    Header(String),
    Status,
    Journal {
        endpoint: String,
        form: bool,
        name: String,
    },
}

impl Source {
    pub fn parse(text: &str) -> Result<Self, String> {
        let journal = text.strip_prefix("journal.").and_then(|rest| {
            let (endpoint, rest) = rest.split_once('.')?;
            let (part, name) = rest.split_once('.')?;
            let form = match part {
                "query" => false,
                "form" => true,
                _ => return None,
            };
            (!endpoint.is_empty() && !name.is_empty()).then(|| Self::Journal {
                endpoint: endpoint.to_owned(),
                form,
                name: name.to_owned(),
            })
        });
        if let Some(journal) = journal {
            return Ok(journal);
        }
        match text.split_once('.') {
            Some(("json", path)) if !path.is_empty() => Ok(Self::Json(path.to_owned())),
            Some(("form", name)) if !name.is_empty() => Ok(Self::Form(name.to_owned())),
            Some(("param", name)) if !name.is_empty() => Ok(Self::Param(name.to_owned())),
            Some(("header", name)) if !name.is_empty() => {
                Ok(Self::Header(name.to_ascii_lowercase()))
            }
            None if text == "status" => Ok(Self::Status),
            _ => Err(format!(
                "{text:?}: capture from json.<path>, form.<name>, param.<name>, header.<name>, \
                 status, or journal.<endpoint>.query.<name> / journal.<endpoint>.form.<name>"
            )),
        }
    }
}

/// Values every scenario remembers by itself, as the latest of each seen: from authorization
/// requests (`code_verifier`, `redirect_uri`, `client_id`), redirects (`code`, `state`, `iss`,
/// `error`), token responses (`access_token`, `refresh_token`, `id_token`), device
/// authorizations (`device_code`, `user_code`), pushed requests (`request_uri`), the last
/// `DPoP-Nonce` (`dpop_nonce`), and the
/// last callback a browser was sent to (`callback`); and the thumbprint of the scenario's DPoP
/// key (`dpop_jkt`).
pub const REMEMBERED: [&str; 16] = [
    "request_uri",
    "dpop_jkt",
    "dpop_nonce",
    "code_verifier",
    "redirect_uri",
    "client_id",
    "code",
    "state",
    "iss",
    "error",
    "access_token",
    "refresh_token",
    "id_token",
    "device_code",
    "user_code",
    "callback",
];
