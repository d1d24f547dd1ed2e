//! A provider behind its router, driven without sockets, with a frozen clock.

use mock_provider::Scripted as _;
use std::collections::HashMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Request, StatusCode, header};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use mock_provider::{ClientConfig, Clock, Config, GrantType, IssuerConfig, Provider, UserConfig};
use serde_json::Value;
use tower::ServiceExt as _;

pub const ISSUER: &str = "http://fauxauth.test";
pub const CALLBACK: &str = "http://127.0.0.1:8080/callback";
pub const OTHER_CALLBACK: &str = "http://127.0.0.1:8080/other";
pub const WEB_SECRET: &str = "web-secret-0123456789";
/// RFC 7636 Appendix B.
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

pub fn start_time() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_800_000_000)
}

/// One issuer: users alice (no password) and bob (password), a confidential client `web` with
/// two redirect URIs, a public client `spa`, a client-credentials-only client `machine`, and a
/// second confidential client `other`.
pub fn issuer_config() -> IssuerConfig {
    let mut web = ClientConfig::confidential("web", WEB_SECRET, CALLBACK);
    web.redirect_uris.push(OTHER_CALLBACK.into());
    web.post_logout_redirect_uris = vec!["http://127.0.0.1:8080/".into()];
    web.scopes = Some(vec![
        "openid".into(),
        "profile".into(),
        "email".into(),
        "offline_access".into(),
        "items:read".into(),
        "items:write".into(),
    ]);
    let spa = ClientConfig::public("spa", CALLBACK);
    let mut machine = ClientConfig::confidential("machine", "machine-secret-0123", CALLBACK);
    machine.grant_types = vec![GrantType::ClientCredentials];
    machine.redirect_uris.clear();
    let other = ClientConfig::confidential("other", "other-secret-01234", CALLBACK);
    IssuerConfig::new("default")
        .with_client(web)
        .with_client(spa)
        .with_client(machine)
        .with_client(other)
        .with_user(
            UserConfig::new("alice")
                .with_claim("name", "Alice Example")
                .with_claim("email", "alice@example.com")
                .with_claim("email_verified", true),
        )
        .with_user({
            let mut bob = UserConfig::new("bob").with_claim("name", "Bob Example");
            bob.password = Some("hunter2".into());
            bob.sub = Some("user-0002".into());
            bob
        })
}

pub struct TestProvider {
    pub provider: Provider,
    router: Router,
}

#[derive(Debug)]
pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl TestResponse {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: header::HeaderName) -> &str {
        self.headers.get(&name).map_or("", |v| v.to_str().unwrap())
    }

    pub fn location(&self) -> &str {
        self.header(header::LOCATION)
    }

    /// The first cookie this response sets, as a `Cookie` header value (`name=value`).
    pub fn cookie(&self) -> String {
        let set_cookie = self.header(header::SET_COOKIE);
        set_cookie.split(';').next().unwrap().to_owned()
    }

    /// The query parameters of the Location header.
    pub fn redirect_params(&self) -> HashMap<String, String> {
        let location = self.location();
        assert!(
            !location.is_empty(),
            "no redirect: {} {}",
            self.status,
            self.text()
        );
        url::Url::parse(location)
            .unwrap()
            .query_pairs()
            .into_owned()
            .collect()
    }

    /// Asserts an RFC 6749 §5.2 error and returns its description.
    #[track_caller]
    pub fn assert_token_error(&self, status: u16, error: &str) -> String {
        assert_eq!(self.status.as_u16(), status, "{}", self.text());
        let body = self.json();
        assert_eq!(body["error"], error, "{body}");
        assert_eq!(self.header(header::CACHE_CONTROL), "no-store");
        body["error_description"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Asserts a page that is not a redirect.
    #[track_caller]
    pub fn assert_error_page(&self) -> String {
        assert_eq!(self.status, StatusCode::BAD_REQUEST, "{}", self.text());
        assert!(
            self.headers.get(header::LOCATION).is_none(),
            "must not redirect"
        );
        assert!(self.header(header::CONTENT_TYPE).starts_with("text/html"));
        self.text()
    }

    /// Asserts an error redirect to `redirect_uri` and returns its parameters.
    #[track_caller]
    pub fn assert_error_redirect(
        &self,
        redirect_uri: &str,
        error: &str,
    ) -> HashMap<String, String> {
        assert!(
            self.status.is_redirection(),
            "{} {}",
            self.status,
            self.text()
        );
        assert!(
            self.location().starts_with(redirect_uri),
            "{}",
            self.location()
        );
        let params = self.redirect_params();
        assert_eq!(
            params.get("error").map(String::as_str),
            Some(error),
            "{params:?}"
        );
        assert_eq!(
            params.get("iss").map(String::as_str),
            Some(ISSUER),
            "RFC 9207: {params:?}"
        );
        params
    }
}

impl TestProvider {
    pub fn new() -> Self {
        Self::with(Config::single(issuer_config()))
    }

    pub fn with(config: Config) -> Self {
        let provider = Provider::new(&config, ISSUER, Clock::frozen(start_time())).unwrap();
        let router = mock_provider::router(&provider);
        Self { provider, router }
    }

    pub fn clock(&self) -> &Clock {
        self.provider.clock()
    }

    pub fn provider(&self) -> &Provider {
        &self.provider
    }

    pub async fn send(&self, request: Request<Body>) -> TestResponse {
        let response = self.router.clone().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        TestResponse {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, uri: &str) -> TestResponse {
        self.send(Request::get(uri).body(Body::empty()).unwrap())
            .await
    }

    pub async fn get_with(
        &self,
        uri: &str,
        headers: &[(header::HeaderName, &str)],
    ) -> TestResponse {
        let mut request = Request::get(uri);
        for (name, value) in headers {
            request = request.header(name, *value);
        }
        self.send(request.body(Body::empty()).unwrap()).await
    }

    /// POSTs a form, with extra headers (e.g. Authorization).
    pub async fn post(
        &self,
        uri: &str,
        form: &[(&str, &str)],
        headers: &[(header::HeaderName, &str)],
    ) -> TestResponse {
        let mut request =
            Request::post(uri).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        for (name, value) in headers {
            request = request.header(name, *value);
        }
        self.send(request.body(Body::from(encode(form))).unwrap())
            .await
    }

    /// POSTs to the token endpoint as `web` with client_secret_basic.
    pub async fn token(&self, form: &[(&str, &str)]) -> TestResponse {
        let auth = basic("web", WEB_SECRET);
        self.post("/token", form, &[(header::AUTHORIZATION, &auth)])
            .await
    }

    /// A headless authorization for `web` as alice with PKCE; returns the code.
    pub async fn code(&self, scope: &str) -> String {
        self.code_with(&[("scope", scope), ("nonce", "n-0S6_WzA2Mj")])
            .await
    }

    /// A headless authorization for `web` with these extra parameters; returns the code.
    pub async fn code_with(&self, extra: &[(&str, &str)]) -> String {
        let mut params = vec![
            ("response_type", "code"),
            ("client_id", "web"),
            ("redirect_uri", CALLBACK),
            ("state", "af0ifjsldkj"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ];
        for (name, value) in extra {
            params.retain(|(n, _)| n != name);
            params.push((name, value));
        }
        let response = self.get(&format!("/authorize?{}", encode(&params))).await;
        assert_eq!(response.status, StatusCode::FOUND, "{}", response.text());
        let params = response.redirect_params();
        assert_eq!(params["state"], "af0ifjsldkj");
        params["code"].clone()
    }

    /// Redeems a code from [`Self::code`] and returns the token response.
    pub async fn redeem(&self, code: &str) -> Value {
        let response = self
            .token(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", CALLBACK),
                ("code_verifier", VERIFIER),
            ])
            .await;
        assert_eq!(response.status, StatusCode::OK, "{}", response.text());
        response.json()
    }

    /// A full code flow: the token response.
    pub async fn tokens(&self, scope: &str) -> Value {
        let code = self.code(scope).await;
        self.redeem(&code).await
    }

    /// Whether discovery lists `grant` in `grant_types_supported`.
    pub async fn advertises_grant(&self, grant: &str) -> bool {
        let discovery = self.get("/.well-known/openid-configuration").await.json();
        let grants = discovery["grant_types_supported"].as_array().unwrap();
        grants.iter().any(|g| g == grant)
    }

    /// Logs alice in through `web`; returns her session cookie and ID token.
    pub async fn logged_in(&self) -> (String, String) {
        let response = self.get(&authorize_path("web", &[])).await;
        let tokens = self.redeem(&response.redirect_params()["code"]).await;
        let id_token = tokens["id_token"].as_str().unwrap().to_owned();
        (response.cookie(), id_token)
    }
}

/// `/authorize?…` for `client_id` with the registered [`CALLBACK`], `scope=openid` and an S256
/// challenge; `changes` add or replace parameters, and a `None` removes one.
pub fn authorize_path(client_id: &str, changes: &[(&str, Option<&str>)]) -> String {
    let mut params = vec![
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", CALLBACK),
        ("scope", "openid"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    for (name, value) in changes {
        params.retain(|(n, _)| n != name);
        if let Some(value) = value {
            params.push((name, value));
        }
    }
    format!("/authorize?{}", encode(&params))
}

pub fn encode(form: &[(&str, &str)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in form {
        s.append_pair(k, v);
    }
    s.finish()
}

/// `Authorization: Basic` per RFC 6749 §2.3.1: each part form-urlencoded, then base64.
pub fn basic(id: &str, secret: &str) -> String {
    let enc = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    format!(
        "Basic {}",
        STANDARD.encode(format!("{}:{}", enc(id), enc(secret)))
    )
}

pub fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// The header and claims of a JWT, unverified, for assertions.
pub fn jwt_parts(token: &str) -> (Value, Value) {
    let mut parts = token.split('.');
    let mut decode = || -> Value {
        let part = parts.next().expect("three parts");
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
    };
    (decode(), decode())
}
