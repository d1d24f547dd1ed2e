//! A provider and a resource played by wiremock, a browser that carries cookies and follows no
//! redirects, and a client started against them on a frozen clock.
//!
//! The fake provider is honest by default (it checks the client's credentials, PKCE and codes,
//! rotates refresh tokens and detects their reuse) and misbehaves on request ([`Faults`]), or
//! through a higher-priority mock mounted by the test.

#![allow(dead_code)]

mod github;

pub use github::*;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_lc_rs::digest;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self as sig, KeyPair as _};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD as B64};
use sample_client::{Check, Clock, Config, ERROR_HEADER, Running, STATE_HEADER, Weakness};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// The instant every test starts at.
pub const NOW: u64 = 1_700_000_000;
pub const CLIENT_ID: &str = "web app";
/// Awkward on purpose: RFC 6749 §2.3.1 form-encodes credentials before Basic.
pub const CLIENT_SECRET: &str = "s3:cr/t+";
pub const DISCOVERY: &str = "/.well-known/openid-configuration";
pub const JWKS: &str = "/jwks";
pub const AUTHORIZE: &str = "/authorize";
pub const TOKEN: &str = "/token";
pub const USERINFO: &str = "/userinfo";
pub const END_SESSION: &str = "/logout";
pub const API_ME: &str = "/api/me";

/// An ES256 signing key with its public JWK.
pub struct TestKey {
    pub kid: String,
    pair: sig::EcdsaKeyPair,
}

impl TestKey {
    pub fn new(kid: &str) -> Self {
        Self {
            kid: kid.to_owned(),
            pair: sig::EcdsaKeyPair::generate(&sig::ECDSA_P256_SHA256_FIXED_SIGNING).unwrap(),
        }
    }

    pub fn jwk(&self) -> Value {
        let point = self.pair.public_key().as_ref();
        json!({
            "kty": "EC", "crv": "P-256", "kid": self.kid, "alg": "ES256", "use": "sig",
            "x": B64.encode(&point[1..33]), "y": B64.encode(&point[33..65]),
        })
    }

    pub fn sign(&self, claims: &Value) -> String {
        self.sign_typed("JWT", claims)
    }

    /// `claims` signed under the header's `typ`.
    pub fn sign_typed(&self, typ: &str, claims: &Value) -> String {
        let header = json!({"alg": "ES256", "typ": typ, "kid": self.kid});
        let input = format!(
            "{}.{}",
            B64.encode(header.to_string()),
            B64.encode(claims.to_string())
        );
        let signature = self
            .pair
            .sign(&SystemRandom::new(), input.as_bytes())
            .unwrap();
        format!("{input}.{}", B64.encode(signature.as_ref()))
    }
}

/// `claims` with `alg: none` and no signature.
pub fn unsigned(claims: &Value) -> String {
    format!(
        "{}.{}.",
        B64.encode(r#"{"alg":"none","typ":"JWT"}"#),
        B64.encode(claims.to_string())
    )
}

/// OIDC Core §3.1.3.6 for ES256: the left half of SHA-256, base64url.
pub fn half_sha256(value: &str) -> String {
    let digest = digest::digest(&digest::SHA256, value.as_bytes());
    B64.encode(&digest.as_ref()[..16])
}

/// Which key signs the ID token.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Signer {
    #[default]
    Published,
    /// A key never published, under a `kid` the JWKS lacks.
    Rogue,
    /// A key never published, under the published key's `kid`.
    Forged,
    /// `alg: none`.
    Unsigned,
}

/// How the fake provider misbehaves.
#[derive(Clone, Debug)]
pub struct Faults {
    /// Claims of the next ID tokens set (or, with `null`, removed).
    pub id_token_claims: serde_json::Map<String, Value>,
    pub signer: Signer,
    pub omit_id_token: bool,
    /// UserInfo describes this subject instead of the token's.
    pub userinfo_sub: Option<String>,
    /// Issue a new refresh token at every refresh (RFC 6749 §6).
    pub rotate_refresh_tokens: bool,
    /// The access token lifetime announced in `expires_in`.
    pub expires_in: u64,
}

impl Default for Faults {
    fn default() -> Self {
        Self {
            id_token_claims: serde_json::Map::new(),
            signer: Signer::Published,
            omit_id_token: false,
            userinfo_sub: None,
            rotate_refresh_tokens: true,
            expires_in: 600,
        }
    }
}

/// What an authorization request asked for, as the fake provider remembers it for its code.
#[derive(Clone, Debug)]
pub struct Grant {
    pub client_id: String,
    pub redirect_uri: String,
    pub nonce: Option<String>,
    pub challenge: Option<String>,
    pub sub: String,
}

#[derive(Default)]
struct State {
    faults: Faults,
    codes: HashMap<String, Grant>,
    /// Refresh token → (subject, spent).
    refresh_tokens: HashMap<String, (String, bool)>,
    /// Access tokens the resource accepts, with their subject.
    access_tokens: HashMap<String, String>,
    /// Every access and refresh token ever issued.
    issued: Vec<String>,
    counter: u64,
}

impl State {
    fn next(&mut self, prefix: &str) -> String {
        self.counter += 1;
        format!("{prefix}-{}", self.counter)
    }

    fn token(&mut self, prefix: &str) -> String {
        let token = format!("{}-{:08}", self.next(prefix), self.counter * 7919);
        self.issued.push(token.clone());
        token
    }
}

/// The provider played by wiremock.
pub struct FakeProvider {
    pub server: MockServer,
    pub clock: Clock,
    pub key: Arc<TestKey>,
    /// Published beside `key` once [`FakeProvider::rotate`] is called.
    rotated: Arc<Mutex<Option<Arc<TestKey>>>>,
    state: Arc<Mutex<State>>,
    confidential: bool,
}

impl FakeProvider {
    /// A provider minting tokens on `clock`'s time.
    pub async fn start(confidential: bool, clock: Clock) -> Self {
        let server = MockServer::start().await;
        let key = Arc::new(TestKey::new("k1"));
        let state = Arc::new(Mutex::new(State::default()));
        let rotated = Arc::new(Mutex::new(None));
        let url = server.uri();
        Mock::given(method("GET"))
            .and(path(DISCOVERY))
            .respond_with(ResponseTemplate::new(200).set_body_json(metadata(&url)))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path(JWKS))
            .respond_with(JwksAnswer {
                key: key.clone(),
                rotated: rotated.clone(),
            })
            .mount(&server)
            .await;
        let provider = Self {
            server,
            clock,
            key,
            rotated,
            state,
            confidential,
        };
        Mock::given(method("POST"))
            .and(path(TOKEN))
            .respond_with(provider.token_answer())
            .mount(&provider.server)
            .await;
        Mock::given(method("GET"))
            .and(path(USERINFO))
            .respond_with(UserinfoAnswer(provider.state.clone()))
            .mount(&provider.server)
            .await;
        provider
    }

    fn token_answer(&self) -> TokenAnswer {
        TokenAnswer {
            issuer: self.url(),
            clock: self.clock.clone(),
            key: self.key.clone(),
            rotated: self.rotated.clone(),
            state: self.state.clone(),
            confidential: self.confidential,
        }
    }

    pub fn url(&self) -> String {
        self.server.uri()
    }

    pub fn set_faults(&self, change: impl FnOnce(&mut Faults)) {
        change(&mut self.state.lock().unwrap().faults);
    }

    /// Publishes a second key and signs with it from now on.
    pub fn rotate(&self) -> Arc<TestKey> {
        let key = Arc::new(TestKey::new("k2"));
        *self.rotated.lock().unwrap() = Some(key.clone());
        key
    }

    /// Plays the authorization endpoint for the request at `url`: issues a code for user `sub`
    /// and returns the callback's query (`code`, `state`, `iss`).
    pub fn authorize(&self, url: &str, sub: &str) -> String {
        let url = url::Url::parse(url).unwrap();
        assert_eq!(url.path(), AUTHORIZE, "{url}");
        let params: HashMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(params["response_type"], "code");
        if let Some(method) = params.get("code_challenge_method") {
            assert_eq!(method, "S256");
        }
        let mut state = self.state.lock().unwrap();
        let code = state.next("code");
        state.codes.insert(
            code.clone(),
            Grant {
                client_id: params["client_id"].clone(),
                redirect_uri: params["redirect_uri"].clone(),
                nonce: params.get("nonce").cloned(),
                challenge: params.get("code_challenge").cloned(),
                sub: sub.to_owned(),
            },
        );
        let mut query = form_urlencoded::Serializer::new(String::new());
        query.append_pair("code", &code);
        if let Some(s) = params.get("state") {
            query.append_pair("state", s);
        }
        query.append_pair("iss", &self.url());
        query.finish()
    }

    /// The access tokens the resource accepts: none from now on (all expired, say).
    pub fn expire_access_tokens(&self) {
        self.state.lock().unwrap().access_tokens.clear();
    }

    /// Every access and refresh token issued so far.
    pub fn issued_tokens(&self) -> Vec<String> {
        self.state.lock().unwrap().issued.clone()
    }

    pub async fn requests(&self, to: &str) -> Vec<Request> {
        self.server
            .received_requests()
            .await
            .unwrap()
            .into_iter()
            .filter(|r| r.url.path() == to)
            .collect()
    }

    /// The token requests, as form parameters.
    pub async fn token_requests(&self) -> Vec<HashMap<String, String>> {
        self.requests(TOKEN)
            .await
            .iter()
            .map(|r| form_urlencoded::parse(&r.body).into_owned().collect())
            .collect()
    }

    pub async fn refreshes(&self) -> usize {
        self.refresh_tokens_presented().await.len()
    }

    /// The refresh token of every refresh request, in order.
    pub async fn refresh_tokens_presented(&self) -> Vec<String> {
        self.token_requests()
            .await
            .into_iter()
            .filter(|f| f["grant_type"] == "refresh_token")
            .map(|f| f["refresh_token"].clone())
            .collect()
    }

    /// Makes the honest token endpoint answer after `delay`.
    pub async fn slow_down(&self, delay: Duration) {
        Mock::given(method("POST"))
            .and(path(TOKEN))
            .respond_with(Slow(self.token_answer(), delay))
            .with_priority(1)
            .mount(&self.server)
            .await;
    }

    /// Mounts `answer` for `method path` in front of the honest one.
    pub async fn override_with(&self, verb: &str, at: &str, answer: ResponseTemplate) {
        Mock::given(method(verb))
            .and(path(at))
            .respond_with(answer)
            .with_priority(1)
            .mount(&self.server)
            .await;
    }
}

pub fn metadata(url: &str) -> Value {
    json!({
        "issuer": url,
        "authorization_endpoint": format!("{url}{AUTHORIZE}"),
        "token_endpoint": format!("{url}{TOKEN}"),
        "userinfo_endpoint": format!("{url}{USERINFO}"),
        "jwks_uri": format!("{url}{JWKS}"),
        "end_session_endpoint": format!("{url}{END_SESSION}"),
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256"],
        "code_challenge_methods_supported": ["S256"],
        "authorization_response_iss_parameter_supported": true,
    })
}

struct JwksAnswer {
    key: Arc<TestKey>,
    rotated: Arc<Mutex<Option<Arc<TestKey>>>>,
}

impl Respond for JwksAnswer {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let mut keys = vec![self.key.jwk()];
        if let Some(key) = self.rotated.lock().unwrap().as_ref() {
            keys.push(key.jwk());
        }
        ResponseTemplate::new(200).set_body_json(json!({ "keys": keys }))
    }
}

struct TokenAnswer {
    issuer: String,
    clock: Clock,
    key: Arc<TestKey>,
    rotated: Arc<Mutex<Option<Arc<TestKey>>>>,
    state: Arc<Mutex<State>>,
    confidential: bool,
}

fn token_error(status: u16, error: &str) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .insert_header("cache-control", "no-store")
        .set_body_json(json!({ "error": error }))
}

impl TokenAnswer {
    /// RFC 6749 §2.3.1: Basic with form-encoded parts, or both credentials in the body (one
    /// method per request), or the client id alone in the body for a public client.
    fn authenticated(&self, request: &Request, form: &HashMap<String, String>) -> bool {
        let basic = request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Basic "));
        if self.confidential {
            let expected = STANDARD.encode(format!(
                "{}:{}",
                form_encode(CLIENT_ID),
                form_encode(CLIENT_SECRET)
            ));
            let in_body = form.get("client_id").map(String::as_str) == Some(CLIENT_ID)
                && form.get("client_secret").map(String::as_str) == Some(CLIENT_SECRET);
            match basic {
                Some(basic) => basic == expected && !form.contains_key("client_secret"),
                None => in_body,
            }
        } else {
            basic.is_none() && form.get("client_id").map(String::as_str) == Some(CLIENT_ID)
        }
    }

    fn mint(
        &self,
        state: &mut State,
        sub: &str,
        nonce: Option<&str>,
        new_refresh_token: bool,
    ) -> ResponseTemplate {
        let access_token = state.token("at");
        state
            .access_tokens
            .insert(access_token.clone(), sub.to_owned());
        let refresh_token = new_refresh_token.then(|| state.token("rt"));
        if let Some(refresh_token) = &refresh_token {
            state
                .refresh_tokens
                .insert(refresh_token.clone(), (sub.to_owned(), false));
        }
        let faults = state.faults.clone();
        let now = self.clock.unix_seconds();
        let mut claims = json!({
            "iss": self.issuer, "sub": sub, "aud": CLIENT_ID, "iat": now, "exp": now + 600,
            "at_hash": half_sha256(&access_token), "name": "Alice Example",
            "email": "alice@example.com",
        });
        if let Some(nonce) = nonce {
            claims["nonce"] = json!(nonce);
        }
        for (name, value) in &faults.id_token_claims {
            if value.is_null() {
                claims.as_object_mut().unwrap().remove(name);
            } else {
                claims[name] = value.clone();
            }
        }
        let signing = self
            .rotated
            .lock()
            .unwrap()
            .clone()
            .unwrap_or_else(|| self.key.clone());
        let id_token = match faults.signer {
            Signer::Published => signing.sign(&claims),
            Signer::Rogue => TestKey::new("rogue").sign(&claims),
            Signer::Forged => TestKey::new(&signing.kid).sign(&claims),
            Signer::Unsigned => unsigned(&claims),
        };
        let mut body = json!({
            "access_token": access_token, "token_type": "Bearer",
            "expires_in": faults.expires_in,
            "scope": "openid profile email offline_access items:read",
        });
        if let Some(refresh_token) = refresh_token {
            body["refresh_token"] = json!(refresh_token);
        }
        if !faults.omit_id_token {
            body["id_token"] = json!(id_token);
        }
        ResponseTemplate::new(200)
            .insert_header("cache-control", "no-store")
            .set_body_json(body)
    }
}

impl Respond for TokenAnswer {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let form: HashMap<String, String> =
            form_urlencoded::parse(&request.body).into_owned().collect();
        if !self.authenticated(request, &form) {
            return token_error(401, "invalid_client").insert_header("www-authenticate", "Basic");
        }
        let mut state = self.state.lock().unwrap();
        match form.get("grant_type").map(String::as_str) {
            Some("authorization_code") => {
                let Some(grant) = form.get("code").and_then(|c| state.codes.remove(c)) else {
                    return token_error(400, "invalid_grant");
                };
                if Some(&grant.redirect_uri) != form.get("redirect_uri") {
                    return token_error(400, "invalid_grant");
                }
                // RFC 7636 §4.6: the verifier must match the challenge, and be absent without one.
                let pkce_ok = match (&grant.challenge, form.get("code_verifier")) {
                    (Some(challenge), Some(verifier)) => {
                        let digest = digest::digest(&digest::SHA256, verifier.as_bytes());
                        &B64.encode(digest.as_ref()) == challenge
                    }
                    (None, None) => true,
                    _ => false,
                };
                if !pkce_ok {
                    return token_error(400, "invalid_grant");
                }
                self.mint(&mut state, &grant.sub, grant.nonce.as_deref(), true)
            }
            Some("refresh_token") => {
                let presented = form.get("refresh_token").cloned().unwrap_or_default();
                let Some((sub, spent)) = state.refresh_tokens.get(&presented).cloned() else {
                    return token_error(400, "invalid_grant");
                };
                if spent {
                    // RFC 9700 §4.14.2: a spent refresh token revokes the grant.
                    state.refresh_tokens.retain(|_, (s, _)| *s != sub);
                    state.access_tokens.retain(|_, s| *s != sub);
                    return token_error(400, "invalid_grant");
                }
                let rotate = state.faults.rotate_refresh_tokens;
                if rotate {
                    state
                        .refresh_tokens
                        .insert(presented.clone(), (sub.clone(), true));
                }
                self.mint(&mut state, &sub, None, rotate)
            }
            _ => token_error(400, "unsupported_grant_type"),
        }
    }
}

struct Slow(TokenAnswer, Duration);

impl Respond for Slow {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        self.0.respond(request).set_delay(self.1)
    }
}

struct UserinfoAnswer(Arc<Mutex<State>>);

impl Respond for UserinfoAnswer {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let token = request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .unwrap_or_default();
        let state = self.0.lock().unwrap();
        let Some(sub) = state.access_tokens.get(token) else {
            return ResponseTemplate::new(401)
                .insert_header("www-authenticate", r#"Bearer error="invalid_token""#)
                .set_body_json(json!({"error": "invalid_token"}));
        };
        let sub = state
            .faults
            .userinfo_sub
            .clone()
            .unwrap_or_else(|| sub.clone());
        ResponseTemplate::new(200).set_body_json(json!({
            "sub": sub, "name": "Alice Example", "email": "alice@example.com",
        }))
    }
}

/// The resource played by wiremock: strict like fauxauth's (the token in the header only, a
/// challenge otherwise), describing the caller as `/api/me` does.
pub struct FakeResource {
    pub server: MockServer,
}

impl FakeResource {
    pub async fn start(provider: &FakeProvider) -> Self {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path(API_ME))
            .respond_with(ResourceAnswer(provider.state.clone()))
            .mount(&server)
            .await;
        Self { server }
    }

    pub fn url(&self) -> String {
        self.server.uri()
    }

    /// Serves the same description of the caller at `at` too (a preset's user API).
    pub async fn also_at(&self, provider: &FakeProvider, at: &str) {
        Mock::given(method("GET"))
            .and(path(at))
            .respond_with(ResourceAnswer(provider.state.clone()))
            .mount(&self.server)
            .await;
    }

    pub async fn requests(&self) -> Vec<Request> {
        self.server.received_requests().await.unwrap()
    }
}

struct ResourceAnswer(Arc<Mutex<State>>);

impl Respond for ResourceAnswer {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let token = request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        let state = self.0.lock().unwrap();
        let Some(token) = token else {
            return ResponseTemplate::new(401)
                .insert_header("www-authenticate", r#"Bearer realm="fauxauth""#);
        };
        let Some(sub) = state.access_tokens.get(token) else {
            return ResponseTemplate::new(401)
                .insert_header(
                    "www-authenticate",
                    r#"Bearer realm="fauxauth", error="invalid_token""#,
                )
                .set_body_json(json!({"error": "invalid_token"}));
        };
        ResponseTemplate::new(200).set_body_json(json!({
            "sub": sub, "client_id": CLIENT_ID, "scope": "openid profile items:read",
            "userinfo": {"sub": sub, "name": "Alice Example", "email": "alice@example.com"},
        }))
    }
}

fn form_encode(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// A page as the browser got it.
#[derive(Debug)]
pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub error: Option<String>,
    pub state: Option<String>,
    pub body: String,
}

impl Page {
    /// The check that refused, by its code; `None` when the page is no error page.
    pub fn check(&self) -> Option<&str> {
        self.error.as_deref()
    }

    pub fn assert_refused(&self, check: Check) {
        assert_eq!(self.check(), Some(check.code()), "{self:#?}");
        assert!(
            self.body
                .contains(&format!(r#"data-error="{}""#, check.code())),
            "{}",
            self.body
        );
        assert!(self.body.contains(check.phrase()) || self.body.contains(&escape(check.phrase())));
    }
}

fn escape(text: &str) -> String {
    text.replace('\'', "&#39;").replace('"', "&#34;")
}

/// The one browser every test plays (`fauxauth-browser`), its answers read as the reference
/// client's pages.
pub use fauxauth_browser::Browser;

/// What a test does at a page: open a URL or submit a form, nothing followed.
pub trait Open {
    async fn open(&self, url: &str) -> Page;
    async fn submit(&self, url: &str, form: &[(&str, &str)]) -> Page;
}

impl Open for Browser {
    async fn open(&self, url: &str) -> Page {
        Page::from(self.get(url).await.unwrap())
    }

    async fn submit(&self, url: &str, form: &[(&str, &str)]) -> Page {
        Page::from(self.post(url, form).await.unwrap())
    }
}

impl From<fauxauth_browser::Hop> for Page {
    fn from(hop: fauxauth_browser::Hop) -> Self {
        let header = |name: &str| hop.header(name).map(str::to_owned);
        Self {
            status: hop.status,
            location: header("location"),
            error: header(ERROR_HEADER.as_str()),
            state: header(STATE_HEADER.as_str()),
            body: hop.body,
        }
    }
}

/// A browser at a running reference client: what every test world does with its pages.
pub trait AtClient {
    fn client(&self) -> &Running;
    fn browser(&self) -> &Browser;

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.client().url())
    }

    /// `/login`, up to the provider's authorization URL.
    async fn start_login(&self) -> String {
        let page = self.browser().open(&self.url("/login")).await;
        assert_eq!(page.status, 303, "{page:#?}");
        page.location.expect("a redirect to the provider")
    }

    /// The callback with `query`, as the browser would follow it.
    async fn callback(&self, query: &str) -> Page {
        self.browser()
            .open(&self.url(&format!("/callback?{query}")))
            .await
    }

    async fn home(&self) -> Page {
        self.browser().open(&self.url("/")).await
    }

    async fn me(&self) -> Page {
        self.browser().open(&self.url("/me")).await
    }

    /// Whether `/` says the browser is logged in.
    async fn is_logged_in(&self) -> bool {
        let home = self.home().await;
        let state = home.state.clone().expect("home marks its state");
        assert!(
            home.body.contains(&format!(r#"data-state="{state}""#)),
            "{home:#?}"
        );
        state == "logged-in"
    }
}

impl AtClient for World {
    fn client(&self) -> &Running {
        &self.client
    }

    fn browser(&self) -> &Browser {
        &self.browser
    }
}

/// A client, its provider and resource, and a browser.
pub struct World {
    pub provider: FakeProvider,
    pub resource: FakeResource,
    pub client: Running,
    pub browser: Browser,
}

pub fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(NOW)
}

pub fn config(provider: &FakeProvider, resource: &FakeResource) -> Config {
    let mut config = Config::confidential(provider.url(), CLIENT_ID, CLIENT_SECRET);
    config.resource = Some(resource.url());
    config.clock = provider.clock.clone();
    config
}

impl World {
    pub async fn start() -> Self {
        Self::with(|_| {}).await
    }

    pub async fn weakened(weakness: Weakness) -> Self {
        Self::with(|c| c.weaknesses = vec![weakness]).await
    }

    pub async fn with(configure: impl FnOnce(&mut Config)) -> Self {
        Self::build(true, configure).await
    }

    /// A public client (no secret; PKCE is its only proof) and a provider expecting one.
    pub async fn public() -> Self {
        Self::build(false, |c| c.client_secret = None).await
    }

    async fn build(confidential: bool, configure: impl FnOnce(&mut Config)) -> Self {
        let provider = FakeProvider::start(confidential, Clock::frozen(now())).await;
        let resource = FakeResource::start(&provider).await;
        let mut config = config(&provider, &resource);
        configure(&mut config);
        let client = sample_client::spawn(config).await.expect("client starts");
        Self {
            provider,
            resource,
            client,
            browser: Browser::default(),
        }
    }

    pub fn clock(&self) -> &Clock {
        self.client.state().clock()
    }

    /// The whole login as alice, up to the callback's answer.
    pub async fn login(&self) -> Page {
        let authorize = self.start_login().await;
        let query = self.provider.authorize(&authorize, "alice");
        self.callback(&query).await
    }

    /// The whole login, with `tamper` applied to the callback's query.
    pub async fn login_tampered(&self, tamper: impl FnOnce(String) -> String) -> Page {
        let authorize = self.start_login().await;
        let query = self.provider.authorize(&authorize, "alice");
        self.callback(&tamper(query)).await
    }

    /// Logs in, checking it worked.
    pub async fn logged_in(&self) {
        let page = self.login().await;
        assert_eq!(page.status, 303, "{page:#?}");
        assert_eq!(page.location.as_deref(), Some("/"));
        assert_eq!(self.home().await.state.as_deref(), Some("logged-in"));
    }
}

/// The query parameters of `url`.
pub fn params(url: &str) -> std::collections::HashMap<String, String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}
