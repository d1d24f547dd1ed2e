//! An issuer played by wiremock (discovery, JWKS, introspection, UserInfo), keys made here, tokens
//! signed here, and a resource started against it with a frozen clock.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self as sig, KeyPair as _};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD as B64};
use mock_resource::{Clock, Config, Running};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// The instant every test starts at.
pub const NOW: u64 = 1_700_000_000;
pub const JWKS: &str = "/jwks";
pub const DISCOVERY: &str = "/.well-known/openid-configuration";
pub const INTROSPECT: &str = "/introspect";
pub const USERINFO: &str = "/userinfo";
/// The credentials the resource introspects with; awkward on purpose (RFC 6749 §2.3.1).
pub const CLIENT_ID: &str = "resource server";
pub const CLIENT_SECRET: &str = "s3:cr/t+";

enum Pair {
    Rsa(sig::RsaKeyPair),
    Ec(sig::EcdsaKeyPair),
    Ed(sig::Ed25519KeyPair),
}

/// A signing key made for one test, with its public JWK.
pub struct TestKey {
    pub kid: String,
    pub alg: &'static str,
    pair: Pair,
}

impl TestKey {
    pub fn es256(kid: &str) -> Self {
        let pair = sig::EcdsaKeyPair::generate(&sig::ECDSA_P256_SHA256_FIXED_SIGNING).unwrap();
        Self::new(kid, "ES256", Pair::Ec(pair))
    }

    pub fn eddsa(kid: &str) -> Self {
        Self::new(
            kid,
            "EdDSA",
            Pair::Ed(sig::Ed25519KeyPair::generate().unwrap()),
        )
    }

    pub fn rs256(kid: &str) -> Self {
        let pair = sig::RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
        Self::new(kid, "RS256", Pair::Rsa(pair))
    }

    fn new(kid: &str, alg: &'static str, pair: Pair) -> Self {
        Self {
            kid: kid.to_owned(),
            alg,
            pair,
        }
    }

    /// The public key as a JWKS publishes it, pinned to its algorithm.
    pub fn jwk(&self) -> Value {
        let mut jwk = match &self.pair {
            Pair::Rsa(p) => {
                let public = p.public_key();
                json!({
                    "kty": "RSA",
                    "n": B64.encode(public.modulus().big_endian_without_leading_zero()),
                    "e": B64.encode(public.exponent().big_endian_without_leading_zero()),
                })
            }
            Pair::Ec(p) => {
                let point = p.public_key().as_ref();
                json!({
                    "kty": "EC", "crv": "P-256",
                    "x": B64.encode(&point[1..33]), "y": B64.encode(&point[33..65]),
                })
            }
            Pair::Ed(p) => json!({
                "kty": "OKP", "crv": "Ed25519", "x": B64.encode(p.public_key().as_ref()),
            }),
        };
        jwk["kid"] = json!(self.kid);
        jwk["alg"] = json!(self.alg);
        jwk["use"] = json!("sig");
        jwk
    }

    /// The header an RFC 9068 access token has.
    pub fn header(&self) -> Value {
        json!({ "alg": self.alg, "typ": "at+jwt", "kid": self.kid })
    }

    /// `claims` signed under the access-token header.
    pub fn sign(&self, claims: &Value) -> String {
        self.sign_with_header(&self.header(), claims)
    }

    /// `claims` signed by this key under whatever `header` says.
    pub fn sign_with_header(&self, header: &Value, claims: &Value) -> String {
        let input = signing_input(header, claims);
        let rng = SystemRandom::new();
        let signature = match &self.pair {
            Pair::Rsa(p) => {
                let mut out = vec![0; p.public_modulus_len()];
                p.sign(&sig::RSA_PKCS1_SHA256, &rng, input.as_bytes(), &mut out)
                    .unwrap();
                out
            }
            Pair::Ec(p) => p.sign(&rng, input.as_bytes()).unwrap().as_ref().to_vec(),
            Pair::Ed(p) => p.sign(input.as_bytes()).as_ref().to_vec(),
        };
        format!("{input}.{}", B64.encode(signature))
    }
}

pub fn signing_input(header: &Value, claims: &Value) -> String {
    format!(
        "{}.{}",
        B64.encode(header.to_string()),
        B64.encode(claims.to_string())
    )
}

/// A token signed with HMAC-SHA256 under `secret`: what an attacker sends when hoping the
/// resource takes a public key as an HMAC secret.
pub fn hs256(secret: &[u8], header: &Value, claims: &Value) -> String {
    let input = signing_input(header, claims);
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, secret);
    let tag = aws_lc_rs::hmac::sign(&key, input.as_bytes());
    format!("{input}.{}", B64.encode(tag.as_ref()))
}

/// An authorization server played by wiremock: it publishes whatever keys the test puts in its
/// JWKS, and answers introspection as the test tells it.
pub struct FakeIssuer {
    pub server: MockServer,
    /// The key published from the start.
    pub key: TestKey,
    jwks: Arc<Mutex<Vec<Value>>>,
    answers: Arc<Mutex<HashMap<String, Value>>>,
}

impl FakeIssuer {
    /// An issuer publishing one ES256 key, `k1`.
    pub async fn start() -> Self {
        Self::start_with(TestKey::es256("k1")).await
    }

    pub async fn start_with(key: TestKey) -> Self {
        let server = MockServer::start().await;
        let url = server.uri();
        let jwks = Arc::new(Mutex::new(vec![key.jwk()]));
        let answers = Arc::new(Mutex::new(HashMap::new()));
        Mock::given(method("GET"))
            .and(path(DISCOVERY))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "issuer": url,
                "jwks_uri": format!("{url}{JWKS}"),
                "introspection_endpoint": format!("{url}{INTROSPECT}"),
                "userinfo_endpoint": format!("{url}{USERINFO}"),
            })))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path(JWKS))
            .respond_with(JwksAnswer(jwks.clone()))
            .mount(&server)
            .await;
        Mock::given(method("POST"))
            .and(path(INTROSPECT))
            .respond_with(IntrospectionAnswer(answers.clone()))
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path(USERINFO))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({
                "sub": "alice", "name": "Alice Example", "email": "alice@example.test",
            })))
            .mount(&server)
            .await;
        Self {
            server,
            key,
            jwks,
            answers,
        }
    }

    /// The issuer identifier (`http://127.0.0.1:{port}`).
    pub fn url(&self) -> String {
        self.server.uri()
    }

    /// Adds `key` to the JWKS (a rotation, as the resource sees it).
    pub fn publish(&self, key: &TestKey) {
        self.jwks.lock().unwrap().push(key.jwk());
    }

    /// What introspection answers for `token` from now on (by default `{"active": false}`).
    pub fn introspection_says(&self, token: &str, answer: Value) {
        self.answers
            .lock()
            .unwrap()
            .insert(token.to_owned(), answer);
    }

    /// How many requests reached `path`.
    pub async fn requests_to(&self, path: &str) -> usize {
        self.server
            .received_requests()
            .await
            .expect("request recording is on")
            .iter()
            .filter(|r| r.url.path() == path)
            .count()
    }

    pub async fn requests(&self, path: &str) -> Vec<Request> {
        self.server
            .received_requests()
            .await
            .expect("request recording is on")
            .into_iter()
            .filter(|r| r.url.path() == path)
            .collect()
    }

    /// The claims of a good access token from this issuer for `alice`, with `scope`.
    pub fn claims(&self, scope: &str) -> Value {
        json!({
            "iss": self.url(), "aud": "api", "sub": "alice", "client_id": "web",
            "scope": scope, "iat": NOW, "exp": NOW + 600, "jti": "jti-1",
        })
    }

    /// A good access token with `scope`, signed with the published key.
    pub fn token(&self, scope: &str) -> String {
        self.key.sign(&self.claims(scope))
    }

    /// What an introspection endpoint says about a good token with `scope`.
    pub fn active(&self, scope: &str) -> Value {
        let mut answer = self.claims(scope);
        answer["active"] = json!(true);
        answer["token_type"] = json!("Bearer");
        answer
    }

    /// What fauxauth's provider says about a token issued to a person: their `username` and,
    /// as an extension member, `user` with every claim they have. Valid for eight hours.
    pub fn active_for(&self, scope: &str, user: Value) -> Value {
        let mut answer = self.active(scope);
        answer["sub"] = user["sub"].clone();
        answer["username"] = user["username"].clone();
        answer["user"] = user;
        answer["exp"] = json!(NOW + 8 * 3600);
        answer
    }

    /// Answers introspection at `path` too, as at [`INTROSPECT`].
    pub async fn introspect_at(&self, path_: &str) {
        Mock::given(method("POST"))
            .and(path(path_))
            .respond_with(IntrospectionAnswer(self.answers.clone()))
            .mount(&self.server)
            .await;
    }
}

struct JwksAnswer(Arc<Mutex<Vec<Value>>>);

impl Respond for JwksAnswer {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let keys = self.0.lock().unwrap().clone();
        ResponseTemplate::new(200).set_body_json(json!({ "keys": keys }))
    }
}

struct IntrospectionAnswer(Arc<Mutex<HashMap<String, Value>>>);

impl Respond for IntrospectionAnswer {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let authorization = request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok());
        if authorization != Some(expected_basic().as_str()) {
            return ResponseTemplate::new(401).set_body_json(json!({"error": "invalid_client"}));
        }
        let token = form_urlencoded::parse(&request.body)
            .find(|(k, _)| k == "token")
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default();
        let answer = self.0.lock().unwrap().get(&token).cloned();
        ResponseTemplate::new(200).set_body_json(answer.unwrap_or(json!({"active": false})))
    }
}

/// RFC 6749 §2.3.1 with Appendix B: each part form-urlencoded, then base64.
pub fn expected_basic() -> String {
    format!(
        "Basic {}",
        STANDARD.encode("resource+server:s3%3Acr%2Ft%2B")
    )
}

/// A resource trusting `issuer`, its clock frozen at [`NOW`], adjusted by `configure`.
pub async fn resource(issuer: &FakeIssuer, configure: impl FnOnce(&mut Config)) -> Running {
    let mut config = Config::new(issuer.url());
    config.clock = Clock::frozen(UNIX_EPOCH + Duration::from_secs(NOW));
    configure(&mut config);
    mock_resource::spawn(config).await.expect("resource starts")
}

/// A resource with `preset` (which implies introspection) and [`CLIENT_ID`] and
/// [`CLIENT_SECRET`], adjusted by `configure`.
pub async fn preset_resource(
    issuer: &FakeIssuer,
    preset: mock_resource::Preset,
    configure: impl FnOnce(&mut Config),
) -> Running {
    resource(issuer, |c| {
        c.preset = preset;
        c.client_id = Some(CLIENT_ID.into());
        c.client_secret = Some(CLIENT_SECRET.into());
        configure(c);
    })
    .await
}

/// `GET {resource}{path}` with `Authorization: {authorization}`, or none.
pub async fn get_with(
    resource: &Running,
    path: &str,
    authorization: Option<&str>,
) -> reqwest::Response {
    let mut request = http().get(format!("{}{path}", resource.url()));
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    request.send().await.unwrap()
}

/// A response's header as text, or `None`.
pub fn header(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_owned())
}

/// A resource in introspection mode with [`CLIENT_ID`] and [`CLIENT_SECRET`].
pub async fn introspecting_resource(issuer: &FakeIssuer) -> Running {
    resource(issuer, |c| {
        c.mode = Some(mock_resource::Mode::Introspection);
        c.client_id = Some(CLIENT_ID.into());
        c.client_secret = Some(CLIENT_SECRET.into());
    })
    .await
}

pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .use_preconfigured_tls(fauxauth_core::Trust::default().client_config())
        .no_proxy()
        .build()
        .unwrap()
}

/// `GET {resource}{path}` with `Authorization: Bearer {token}`.
pub async fn get(resource: &Running, path: &str, token: &str) -> reqwest::Response {
    http()
        .get(format!("{}{path}", resource.url()))
        .header("authorization", format!("Bearer {token}"))
        .send()
        .await
        .unwrap()
}

/// `GET url` once per token, all in flight at once on their own tasks; the statuses in order.
pub async fn get_all_at_once(url: &str, tokens: &[String]) -> Vec<u16> {
    let client = http();
    let tasks: Vec<_> = tokens
        .iter()
        .map(|token| {
            let request = client.get(url).bearer_auth(token);
            tokio::spawn(async move { request.send().await.unwrap().status().as_u16() })
        })
        .collect();
    let mut statuses = Vec::with_capacity(tasks.len());
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    statuses
}

/// The `WWW-Authenticate` challenge of a response.
pub fn challenge(response: &reqwest::Response) -> String {
    response
        .headers()
        .get("www-authenticate")
        .expect("a challenge")
        .to_str()
        .unwrap()
        .to_owned()
}

/// Asserts a 401 `invalid_token` whose description contains `why`.
pub async fn assert_invalid_token(response: reqwest::Response, why: &str) {
    assert_eq!(response.status(), 401);
    let challenge = challenge(&response);
    assert!(
        challenge
            .starts_with(r#"Bearer realm="fauxauth", error="invalid_token", error_description=""#),
        "{challenge}"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_token");
    let description = body["error_description"].as_str().unwrap();
    assert!(
        description.contains(why),
        "expected {why:?} in {description:?}"
    );
}

/// A point in time relative to [`NOW`].
pub fn at(offset: i64) -> u64 {
    NOW.checked_add_signed(offset).unwrap()
}

pub fn now() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(NOW)
}
