//! JWT client authentication: `private_key_jwt` and `client_secret_jwt` (RFC 7523 §2.2 and §3,
//! OpenID Connect Core §9) at the token, revocation and introspection endpoints.

use std::time::Duration;

use axum::http::{StatusCode, header};
use mock_provider::keys::SigningKey;
use mock_provider::{ClientConfig, Config, GrantType, SigningAlg};
use serde_json::{Value, json};

use crate::helpers::*;

const TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
const SERVICE_SECRET: &str = "service-secret-0123456789abcdef0123";

fn key() -> SigningKey {
    SigningKey::derive("client assertion tests", SigningAlg::ES256, 0)
}

fn other_key() -> SigningKey {
    SigningKey::derive("client assertion tests", SigningAlg::ES256, 1)
}

fn jwks(keys: &[&SigningKey]) -> Value {
    json!({ "keys": keys.iter().map(|k| serde_json::to_value(k.jwk()).unwrap()).collect::<Vec<_>>() })
}

/// `signed`: registered for private_key_jwt with the test key; `hmac`: a secret, any method.
fn provider_with(change: impl FnOnce(&mut mock_provider::IssuerConfig)) -> TestProvider {
    let mut issuer = issuer_config();
    let mut signed = ClientConfig::confidential("signed", "", CALLBACK);
    signed.client_secret = None;
    signed.jwks = Some(jwks(&[&key()]));
    signed.token_endpoint_auth_method = Some(mock_provider::AuthMethod::PrivateKeyJwt);
    signed.grant_types = vec![GrantType::ClientCredentials];
    signed.redirect_uris.clear();
    let mut hmac = ClientConfig::confidential("hmac", SERVICE_SECRET, CALLBACK);
    hmac.grant_types = vec![GrantType::ClientCredentials];
    hmac.redirect_uris.clear();
    issuer = issuer.with_client(signed).with_client(hmac);
    change(&mut issuer);
    TestProvider::with(Config::single(issuer))
}

fn provider() -> TestProvider {
    provider_with(|_| {})
}

fn now(p: &TestProvider) -> i64 {
    fauxauth_core::unix(p.clock().now()) as i64
}

/// Good claims for `client`, with `change` applied (null removes).
fn claims(p: &TestProvider, client: &str, change: Value) -> Value {
    let mut claims = json!({
        "iss": client, "sub": client, "aud": format!("{ISSUER}/token"),
        "jti": format!("jti-{}", rand_id()), "iat": now(p), "exp": now(p) + 60,
    });
    for (k, v) in change.as_object().unwrap() {
        if v.is_null() {
            claims.as_object_mut().unwrap().remove(k);
        } else {
            claims[k] = v.clone();
        }
    }
    claims
}

fn rand_id() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(1, Ordering::Relaxed)
}

fn hs256(claims: &Value, secret: &str) -> String {
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        claims,
        &jsonwebtoken::EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

async fn with_assertion(p: &TestProvider, path: &str, assertion: &str) -> TestResponse {
    p.post(
        path,
        &[
            ("grant_type", "client_credentials"),
            ("client_assertion_type", TYPE),
            ("client_assertion", assertion),
        ],
        &[],
    )
    .await
}

async fn refused(p: &TestProvider, assertion: &str) -> String {
    let response = with_assertion(p, "/token", assertion).await;
    response.assert_token_error(401, "invalid_client")
}

#[tokio::test]
async fn private_key_jwt_with_the_token_endpoint_or_the_issuer_as_audience_is_accepted() {
    let p = provider();
    for aud in [
        json!(format!("{ISSUER}/token")),
        json!(ISSUER),
        json!(["https://elsewhere", ISSUER]),
    ] {
        let assertion = key().sign("JWT", &claims(&p, "signed", json!({ "aud": aud })));
        let response = with_assertion(&p, "/token", &assertion).await;
        assert_eq!(
            response.status,
            StatusCode::OK,
            "{aud}: {}",
            response.text()
        );
        assert!(response.json()["access_token"].is_string());
    }
}

#[tokio::test]
async fn an_assertion_is_used_once() {
    let p = provider();
    let assertion = key().sign("JWT", &claims(&p, "signed", json!({})));
    assert_eq!(
        with_assertion(&p, "/token", &assertion).await.status,
        StatusCode::OK
    );
    let description = refused(&p, &assertion).await;
    assert!(description.contains("used before"), "{description}");
    // A new jti is a new assertion.
    let fresh = key().sign("JWT", &claims(&p, "signed", json!({})));
    assert_eq!(
        with_assertion(&p, "/token", &fresh).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn each_broken_assertion_is_invalid_client_saying_what_broke() {
    let p = provider();
    let t = now(&p);
    let cases: Vec<(&str, String)> = vec![
        (
            "aud",
            key().sign(
                "JWT",
                &claims(&p, "signed", json!({"aud": "https://elsewhere"})),
            ),
        ),
        (
            "expired",
            key().sign("JWT", &claims(&p, "signed", json!({"exp": t - 300}))),
        ),
        (
            "no sub",
            key().sign("JWT", &claims(&p, "signed", json!({"sub": null}))),
        ),
        (
            "iss",
            key().sign("JWT", &claims(&p, "signed", json!({"iss": "web"}))),
        ),
        (
            "no jti",
            key().sign("JWT", &claims(&p, "signed", json!({"jti": null}))),
        ),
        (
            "future",
            key().sign("JWT", &claims(&p, "signed", json!({"nbf": t + 120}))),
        ),
        (
            "unregistered key",
            other_key().sign("JWT", &claims(&p, "signed", json!({}))),
        ),
        (
            "unsigned",
            SigningKey::unsigned("JWT", &claims(&p, "signed", json!({}))),
        ),
        ("hmac", hs256(&claims(&p, "signed", json!({})), "anything")),
        ("not a jwt", "not-a-jwt".to_owned()),
    ];
    for (what, assertion) in cases {
        let response = with_assertion(&p, "/token", &assertion).await;
        assert_eq!(
            response.status,
            StatusCode::UNAUTHORIZED,
            "{what}: {}",
            response.text()
        );
        assert_eq!(response.json()["error"], "invalid_client", "{what}");
        assert!(
            response
                .header(header::WWW_AUTHENTICATE)
                .starts_with("Basic"),
            "{what}"
        );
    }
    // A small skew of the client's clock ahead is accepted.
    let ahead = key().sign(
        "JWT",
        &claims(&p, "signed", json!({"nbf": t + 8, "iat": t + 8})),
    );
    assert_eq!(
        with_assertion(&p, "/token", &ahead).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn an_assertion_expires_on_the_providers_clock() {
    let p = provider();
    let assertion = key().sign("JWT", &claims(&p, "signed", json!({})));
    p.clock().advance(Duration::from_secs(61));
    let description = refused(&p, &assertion).await;
    assert!(description.contains("expired"), "{description}");
}

#[tokio::test]
async fn client_secret_jwt_is_hmac_with_the_clients_secret() {
    let p = provider();
    let good = hs256(&claims(&p, "hmac", json!({})), SERVICE_SECRET);
    assert_eq!(
        with_assertion(&p, "/token", &good).await.status,
        StatusCode::OK
    );
    let wrong = hs256(&claims(&p, "hmac", json!({})), "not-the-secret");
    let description = refused(&p, &wrong).await;
    assert!(description.contains("secret"), "{description}");
    // A client with only a secret has no key to sign with.
    let signed = key().sign("JWT", &claims(&p, "hmac", json!({})));
    refused(&p, &signed).await;
}

#[tokio::test]
async fn a_client_registered_for_private_key_jwt_may_use_nothing_else() {
    let p = provider_with(|issuer| {
        let hmac = issuer
            .clients
            .iter_mut()
            .find(|c| c.client_id == "hmac")
            .unwrap();
        hmac.token_endpoint_auth_method = Some(mock_provider::AuthMethod::ClientSecretJwt);
    });
    // `signed` has no secret at all; `hmac` is registered for client_secret_jwt.
    let basic = basic("hmac", SERVICE_SECRET);
    let response = p
        .post(
            "/token",
            &[("grant_type", "client_credentials")],
            &[(header::AUTHORIZATION, &basic)],
        )
        .await;
    let description = response.assert_token_error(401, "invalid_client");
    assert!(
        description.contains("registered for client_secret_jwt"),
        "{description}"
    );
    let response = p
        .post(
            "/token",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", "signed"),
            ],
            &[],
        )
        .await;
    let description = response.assert_token_error(401, "invalid_client");
    assert!(description.contains("private_key_jwt"), "{description}");
}

#[tokio::test]
async fn an_assertion_beside_other_credentials_or_without_its_type_is_invalid_request() {
    let p = provider();
    let assertion = hs256(&claims(&p, "hmac", json!({})), SERVICE_SECRET);
    let basic = basic("hmac", SERVICE_SECRET);
    let form = [
        ("grant_type", "client_credentials"),
        ("client_assertion_type", TYPE),
        ("client_assertion", assertion.as_str()),
    ];
    p.post("/token", &form, &[(header::AUTHORIZATION, &basic)])
        .await
        .assert_token_error(400, "invalid_request");
    p.post(
        "/token",
        &[
            ("grant_type", "client_credentials"),
            ("client_assertion", &assertion),
        ],
        &[],
    )
    .await
    .assert_token_error(400, "invalid_request");
    let mut with_other_id = form.to_vec();
    with_other_id.push(("client_id", "web"));
    p.post("/token", &with_other_id, &[])
        .await
        .assert_token_error(400, "invalid_request");
    let description = p
        .post(
            "/token",
            &[
                ("grant_type", "client_credentials"),
                ("client_assertion_type", "urn:example:saml"),
                ("client_assertion", &assertion),
            ],
            &[],
        )
        .await
        .assert_token_error(401, "invalid_client");
    assert!(description.contains("not supported"), "{description}");
}

#[tokio::test]
async fn the_strict_audience_setting_takes_the_issuer_alone() {
    let p = provider_with(|issuer| {
        issuer.client_assertion_audience = mock_provider::AudienceRule::Issuer;
    });
    let token_endpoint = key().sign("JWT", &claims(&p, "signed", json!({})));
    refused(&p, &token_endpoint).await;
    let listed = key().sign("JWT", &claims(&p, "signed", json!({"aud": [ISSUER]})));
    refused(&p, &listed).await;
    let issuer = key().sign("JWT", &claims(&p, "signed", json!({"aud": ISSUER})));
    assert_eq!(
        with_assertion(&p, "/token", &issuer).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn revocation_and_introspection_take_assertions_naming_their_own_url() {
    let p = provider();
    let assertion = key().sign("JWT", &claims(&p, "signed", json!({})));
    let token = with_assertion(&p, "/token", &assertion).await.json()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    for endpoint in ["introspect", "revoke"] {
        let assertion = key().sign(
            "JWT",
            &claims(&p, "signed", json!({"aud": format!("{ISSUER}/{endpoint}")})),
        );
        let response = p
            .post(
                &format!("/{endpoint}"),
                &[
                    ("token", token.as_str()),
                    ("client_assertion_type", TYPE),
                    ("client_assertion", &assertion),
                ],
                &[],
            )
            .await;
        assert_eq!(
            response.status,
            StatusCode::OK,
            "{endpoint}: {}",
            response.text()
        );
        if endpoint == "introspect" {
            assert_eq!(response.json()["active"], true);
        }
    }
}

#[test]
fn a_clients_jwks_is_checked_at_start() {
    let problems = |jwks: Value, method: Option<mock_provider::AuthMethod>| {
        let mut client = ClientConfig::confidential("c", "", CALLBACK);
        client.client_secret = None;
        client.jwks = Some(jwks);
        client.token_endpoint_auth_method = method;
        Provider::new(
            &Config::single(issuer_config().with_client(client)),
            ISSUER,
            fauxauth_core::Clock::frozen(start_time()),
        )
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default()
    };
    let mut private = serde_json::to_value(key().jwk()).unwrap();
    private["d"] = json!("c2VjcmV0");
    let e = problems(json!({ "keys": [private] }), None);
    assert!(e.contains("jwks") && e.contains("private key"), "{e}");
    let e = problems(json!({ "keys": [] }), None);
    assert!(e.contains("jwks") && e.contains("no key"), "{e}");
    let e = problems(json!({ "keys": [{"kty": "oct", "k": "c2VjcmV0"}] }), None);
    assert!(e.contains("symmetric"), "{e}");
    let e = problems(json!([1]), None);
    assert!(e.contains("jwks"), "{e}");
    let e = problems(
        jwks(&[&key()]),
        Some(mock_provider::AuthMethod::ClientSecretPost),
    );
    assert!(e.contains("no secret"), "{e}");
    assert_eq!(problems(jwks(&[&key()]), None), "");
}

use mock_provider::Provider;

mod jwks_uri {
    use super::*;
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    async fn publishing(keys: &[&SigningKey]) -> MockServer {
        let server = MockServer::start().await;
        publish(&server, keys).await;
        server
    }

    async fn publish(server: &MockServer, keys: &[&SigningKey]) {
        server.reset().await;
        Mock::given(method("GET"))
            .and(path("/jwks"))
            .respond_with(ResponseTemplate::new(200).set_body_json(jwks(keys)))
            .mount(server)
            .await;
    }

    async fn fetches(server: &MockServer) -> usize {
        server.received_requests().await.unwrap_or_default().len()
    }

    fn provider_fetching_from(server: &MockServer) -> TestProvider {
        let uri = format!("{}/jwks", server.uri());
        provider_with(move |issuer| {
            let signed = issuer
                .clients
                .iter_mut()
                .find(|c| c.client_id == "signed")
                .unwrap();
            signed.jwks = None;
            signed.jwks_uri = Some(uri);
        })
    }

    #[tokio::test]
    async fn the_keys_are_fetched_once_and_kept() {
        let server = publishing(&[&key()]).await;
        let p = provider_fetching_from(&server);
        for _ in 0..3 {
            let assertion = key().sign("JWT", &claims(&p, "signed", json!({})));
            let response = with_assertion(&p, "/token", &assertion).await;
            assert_eq!(response.status, StatusCode::OK, "{}", response.text());
        }
        assert_eq!(fetches(&server).await, 1);
    }

    #[tokio::test]
    async fn a_rotated_key_is_fetched_again_and_accepted() {
        let server = publishing(&[&key()]).await;
        let p = provider_fetching_from(&server);
        let first = key().sign("JWT", &claims(&p, "signed", json!({})));
        assert_eq!(
            with_assertion(&p, "/token", &first).await.status,
            StatusCode::OK
        );
        publish(&server, &[&key(), &other_key()]).await;
        let rotated = other_key().sign("JWT", &claims(&p, "signed", json!({})));
        let response = with_assertion(&p, "/token", &rotated).await;
        assert_eq!(response.status, StatusCode::OK, "{}", response.text());
        assert_eq!(fetches(&server).await, 1, "one fetch since the reset");
    }

    #[tokio::test]
    async fn made_up_keys_send_the_provider_back_a_few_times_a_minute_at_most() {
        let server = publishing(&[&key()]).await;
        let p = provider_fetching_from(&server);
        let good = key().sign("JWT", &claims(&p, "signed", json!({})));
        assert_eq!(
            with_assertion(&p, "/token", &good).await.status,
            StatusCode::OK
        );
        for _ in 0..10 {
            let forged = other_key().sign("JWT", &claims(&p, "signed", json!({})));
            refused(&p, &forged).await;
        }
        let limit = mock_provider::REFETCHES_PER_MINUTE;
        assert_eq!(fetches(&server).await, 1 + limit);
        let description = refused(
            &p,
            &other_key().sign("JWT", &claims(&p, "signed", json!({}))),
        )
        .await;
        assert!(description.contains("not fetched again"), "{description}");
    }

    #[tokio::test]
    async fn a_jwks_uri_that_fails_is_invalid_client_saying_why() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(500))
            .mount(&server)
            .await;
        let p = provider_fetching_from(&server);
        let description = refused(&p, &key().sign("JWT", &claims(&p, "signed", json!({})))).await;
        assert!(
            description.contains("jwks_uri") && description.contains("500"),
            "{description}"
        );
        server.reset().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200).set_body_string("x".repeat(70_000)))
            .mount(&server)
            .await;
        let description = refused(&p, &key().sign("JWT", &claims(&p, "signed", json!({})))).await;
        assert!(description.contains("more than"), "{description}");
    }

    #[test]
    fn jwks_and_jwks_uri_together_or_a_uri_that_is_not_http_are_refused_at_start() {
        let problems = |jwks: Option<Value>, uri: &str| {
            let mut client = ClientConfig::confidential("c", "", CALLBACK);
            client.client_secret = None;
            client.jwks = jwks;
            client.jwks_uri = Some(uri.to_owned());
            Provider::new(
                &Config::single(issuer_config().with_client(client)),
                ISSUER,
                fauxauth_core::Clock::frozen(start_time()),
            )
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
        };
        let e = problems(Some(jwks(&[&key()])), "http://127.0.0.1:1/jwks");
        assert!(e.contains("not both"), "{e}");
        let e = problems(None, "file:///etc/keys.json");
        assert!(e.contains("not an http or https URL"), "{e}");
        assert_eq!(problems(None, "http://127.0.0.1:1/jwks"), "");
    }
}

/// The JWT bearer authorization grant (RFC 7523 §2.1): a trusted issuer's JWT about a user.
mod jwt_bearer {
    use super::*;

    const GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";
    const IDP: &str = "https://idp.example";

    fn trusting(trusted: mock_provider::config::TrustedIssuer) -> TestProvider {
        provider_with(move |issuer| {
            issuer.trusted_issuers = vec![trusted];
            let hmac = issuer
                .clients
                .iter_mut()
                .find(|c| c.client_id == "hmac")
                .unwrap();
            hmac.grant_types.push(GrantType::JwtBearer);
        })
    }

    fn inline() -> mock_provider::config::TrustedIssuer {
        mock_provider::config::TrustedIssuer {
            issuer: IDP.into(),
            jwks: Some(jwks(&[&key()])),
            jwks_uri: None,
        }
    }

    fn about(p: &TestProvider, sub: &str, change: Value) -> Value {
        let mut claims = claims(p, "x", change);
        claims["iss"] = json!(IDP);
        claims["sub"] = json!(sub);
        claims
    }

    async fn grant(p: &TestProvider, assertion: &str, scope: &str) -> TestResponse {
        let basic = basic("hmac", SERVICE_SECRET);
        p.post(
            "/token",
            &[
                ("grant_type", GRANT),
                ("assertion", assertion),
                ("scope", scope),
            ],
            &[(header::AUTHORIZATION, &basic)],
        )
        .await
    }

    #[tokio::test]
    async fn a_trusted_issuers_jwt_about_a_user_gives_that_users_tokens_once() {
        let p = trusting(inline());
        let assertion = key().sign("JWT", &about(&p, "user-0002", json!({})));
        let response = grant(&p, &assertion, "openid").await;
        assert_eq!(response.status, StatusCode::OK, "{}", response.text());
        let body = response.json();
        assert!(body.get("refresh_token").is_none());
        let (_, id_token) = jwt_parts(body["id_token"].as_str().unwrap());
        assert_eq!(id_token["sub"], "user-0002", "bob's subject");
        assert_eq!(id_token["aud"], "hmac");
        let description = grant(&p, &assertion, "openid")
            .await
            .assert_token_error(400, "invalid_grant");
        assert!(description.contains("used before"), "{description}");
        assert!(p.advertises_grant(GRANT).await);
    }

    #[tokio::test]
    async fn without_the_grant_or_a_trusted_issuer_nothing_is_issued() {
        let p = trusting(inline());
        let assertion = key().sign("JWT", &about(&p, "alice", json!({})));
        // `signed` is not allowed the grant.
        let response = p
            .post(
                "/token",
                &[
                    ("grant_type", GRANT),
                    ("assertion", &assertion),
                    ("client_assertion_type", TYPE),
                    (
                        "client_assertion",
                        &key().sign("JWT", &claims(&p, "signed", json!({}))),
                    ),
                ],
                &[],
            )
            .await;
        response.assert_token_error(400, "unauthorized_client");
        let mut untrusted = about(&p, "alice", json!({}));
        untrusted["iss"] = json!("https://attacker.example");
        let description = grant(&p, &key().sign("JWT", &untrusted), "")
            .await
            .assert_token_error(400, "invalid_grant");
        assert!(
            description.contains("not a trusted issuer"),
            "{description}"
        );
        let description = grant(
            &p,
            &other_key().sign("JWT", &about(&p, "alice", json!({}))),
            "",
        )
        .await
        .assert_token_error(400, "invalid_grant");
        assert!(description.contains("no key"), "{description}");
        assert!(
            !TestProvider::new().advertises_grant(GRANT).await,
            "not listed when no client has it"
        );
    }

    #[tokio::test]
    async fn a_trusted_issuer_may_publish_its_keys_at_a_jwks_uri() {
        use wiremock::matchers::method;
        use wiremock::{Mock, MockServer, ResponseTemplate};
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200).set_body_json(jwks(&[&key()])))
            .mount(&server)
            .await;
        let p = trusting(mock_provider::config::TrustedIssuer {
            issuer: IDP.into(),
            jwks: None,
            jwks_uri: Some(format!("{}/keys", server.uri())),
        });
        let assertion = key().sign("JWT", &about(&p, "alice", json!({"jti": null})));
        let response = grant(&p, &assertion, "").await;
        assert_eq!(response.status, StatusCode::OK, "{}", response.text());
        // No jti: the assertion itself may not come again.
        grant(&p, &assertion, "")
            .await
            .assert_token_error(400, "invalid_grant");
    }

    #[test]
    fn a_trusted_issuer_needs_its_keys_and_is_listed_once_with_file_and_line() {
        let yaml = "issuers:\n  - name: default\n    trusted_issuers:\n      - issuer: https://idp.example\n      - issuer: https://idp.example\n        jwks_uri: ftp://x\n";
        let err = Config::from_yaml(yaml, "provider.yaml")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(
                "provider.yaml:4: issuers[0].trusted_issuers[0].jwks: give jwks or jwks_uri"
            ),
            "{err}"
        );
        assert!(
            err.contains("provider.yaml:5: issuers[0].trusted_issuers[1].issuer"),
            "{err}"
        );
        assert!(err.contains("not an http or https URL"), "{err}");
    }
}
