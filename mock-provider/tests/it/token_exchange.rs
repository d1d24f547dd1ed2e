//! Token exchange (RFC 8693): subject and actor tokens, targets, scope, and the errors of §2.2.2.

use std::time::Duration;

use axum::http::{StatusCode, header};
use mock_provider::config::{TokenExchangePolicy, TrustedIssuer};
use mock_provider::keys::SigningKey;
use mock_provider::{ClientConfig, Config, GrantType, SigningAlg};
use serde_json::{Value, json};

use crate::helpers::*;

const GRANT: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const ACCESS: &str = "urn:ietf:params:oauth:token-type:access_token";
const ID: &str = "urn:ietf:params:oauth:token-type:id_token";
const JWT: &str = "urn:ietf:params:oauth:token-type:jwt";
const GATEWAY_SECRET: &str = "gateway-secret-0123456789";

/// `gateway` may exchange for `orders-api` and `https://billing.example`, with delegation;
/// `narrow` may exchange without delegation, for the default audience only.
fn provider() -> TestProvider {
    let mut gateway = ClientConfig::confidential("gateway", GATEWAY_SECRET, CALLBACK);
    gateway.grant_types = vec![GrantType::TokenExchange, GrantType::ClientCredentials];
    gateway.redirect_uris.clear();
    gateway.token_exchange = TokenExchangePolicy {
        audiences: vec!["orders-api".into(), "https://billing.example".into()],
        delegation: true,
    };
    let mut narrow = ClientConfig::confidential("narrow", "narrow-secret-0123456789", CALLBACK);
    narrow.grant_types = vec![GrantType::TokenExchange];
    narrow.redirect_uris.clear();
    let mut issuer = issuer_config().with_client(gateway).with_client(narrow);
    issuer.trusted_issuers = vec![TrustedIssuer {
        issuer: "https://idp.example".into(),
        jwks: Some(json!({ "keys": [serde_json::to_value(idp_key().jwk()).unwrap()] })),
        jwks_uri: None,
    }];
    TestProvider::with(Config::single(issuer))
}

fn idp_key() -> SigningKey {
    SigningKey::derive("token exchange tests", SigningAlg::ES256, 0)
}

async fn exchange_as(
    p: &TestProvider,
    client: (&str, &str),
    form: &[(&str, &str)],
) -> TestResponse {
    let auth = basic(client.0, client.1);
    let mut all = vec![("grant_type", GRANT)];
    all.extend_from_slice(form);
    p.post("/token", &all, &[(header::AUTHORIZATION, &auth)])
        .await
}

async fn exchange(p: &TestProvider, form: &[(&str, &str)]) -> TestResponse {
    exchange_as(p, ("gateway", GATEWAY_SECRET), form).await
}

fn claims_of(token: &Value) -> Value {
    jwt_parts(token.as_str().unwrap()).1
}

#[tokio::test]
async fn a_users_access_token_is_exchanged_for_one_for_another_audience() {
    let p = provider();
    let alice = p.tokens("openid items:read items:write").await;
    let response = exchange(
        &p,
        &[
            ("subject_token", alice["access_token"].as_str().unwrap()),
            ("subject_token_type", ACCESS),
            ("audience", "orders-api"),
            ("scope", "items:read"),
        ],
    )
    .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    let body = response.json();
    assert_eq!(body["issued_token_type"], ACCESS);
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["scope"], "items:read");
    assert!(body.get("refresh_token").is_none());
    let claims = claims_of(&body["access_token"]);
    assert_eq!(claims["sub"], "alice");
    assert_eq!(claims["aud"], "orders-api");
    assert_eq!(claims["client_id"], "gateway");
    assert!(claims.get("act").is_none(), "impersonation: no actor");
    // Discovery lists the grant, which a client has.
    assert!(p.advertises_grant(GRANT).await);
}

#[tokio::test]
async fn targets_the_client_may_not_ask_for_are_invalid_target() {
    let p = provider();
    let alice = p.tokens("openid").await;
    let subject = alice["access_token"].as_str().unwrap();
    let base = [("subject_token", subject), ("subject_token_type", ACCESS)];
    let with = |extra: &[(&'static str, &'static str)]| {
        let mut form = base.to_vec();
        form.extend_from_slice(extra);
        form
    };
    exchange(&p, &with(&[("audience", "payroll-api")]))
        .await
        .assert_token_error(400, "invalid_target");
    exchange(
        &p,
        &with(&[
            ("resource", "https://billing.example"),
            ("audience", "orders-api"),
        ]),
    )
    .await
    .assert_token_error(400, "invalid_target");
    let resource = exchange(&p, &with(&[("resource", "https://billing.example")])).await;
    assert_eq!(resource.status, StatusCode::OK, "{}", resource.text());
    // A client with no audiences listed gets the issuer's own audience, and nothing else.
    let narrow = ("narrow", "narrow-secret-0123456789");
    exchange_as(&p, narrow, &with(&[("audience", "orders-api")]))
        .await
        .assert_token_error(400, "invalid_target");
    let plain = exchange_as(&p, narrow, &base).await;
    assert_eq!(plain.status, StatusCode::OK, "{}", plain.text());
    assert_eq!(claims_of(&plain.json()["access_token"])["aud"], "api");
}

#[tokio::test]
async fn a_dead_or_unknown_subject_token_is_invalid_request() {
    let p = provider();
    let alice = p.tokens("openid").await;
    let access = alice["access_token"].as_str().unwrap().to_owned();
    for (token, kind) in [
        ("not-a-token", ACCESS),
        (
            access.as_str(),
            "urn:ietf:params:oauth:token-type:refresh_token",
        ),
        (alice["refresh_token"].as_str().unwrap(), ACCESS),
    ] {
        exchange(
            &p,
            &[("subject_token", token), ("subject_token_type", kind)],
        )
        .await
        .assert_token_error(400, "invalid_request");
    }
    p.clock().advance(Duration::from_secs(3601));
    let description = exchange(
        &p,
        &[("subject_token", &access), ("subject_token_type", ACCESS)],
    )
    .await
    .assert_token_error(400, "invalid_request");
    assert!(description.contains("expired"), "{description}");
    // Missing parameters, and an actor token without its type.
    exchange(&p, &[("subject_token", &access)])
        .await
        .assert_token_error(400, "invalid_request");
    exchange(
        &p,
        &[
            ("subject_token", &access),
            ("subject_token_type", ACCESS),
            ("actor_token", &access),
        ],
    )
    .await
    .assert_token_error(400, "invalid_request");
}

#[tokio::test]
async fn an_actor_token_makes_a_delegated_token_naming_the_actor() {
    let p = provider();
    let alice = p.tokens("openid items:read").await;
    let machine = p
        .post(
            "/token",
            &[("grant_type", "client_credentials")],
            &[(header::AUTHORIZATION, &basic("gateway", GATEWAY_SECRET))],
        )
        .await
        .json();
    let form = [
        ("subject_token", alice["access_token"].as_str().unwrap()),
        ("subject_token_type", ACCESS),
        ("actor_token", machine["access_token"].as_str().unwrap()),
        ("actor_token_type", ACCESS),
        ("audience", "orders-api"),
    ];
    let response = exchange(&p, &form).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    let delegated = response.json()["access_token"].clone();
    let claims = claims_of(&delegated);
    assert_eq!(claims["sub"], "alice");
    assert_eq!(claims["act"], json!({ "sub": "gateway" }));
    // Exchanged again with another actor (named by an ID token), the earlier actor is nested
    // inside the new one (RFC 8693 §4.1).
    let id_token = p.tokens("openid").await["id_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let again = exchange(
        &p,
        &[
            ("subject_token", delegated.as_str().unwrap()),
            ("subject_token_type", ACCESS),
            ("actor_token", &id_token),
            ("actor_token_type", ID),
        ],
    )
    .await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text());
    let nested = claims_of(&again.json()["access_token"]);
    assert_eq!(
        nested["act"],
        json!({ "sub": "alice", "act": { "sub": "gateway" } })
    );
    // A client without delegation may not present an actor.
    let description = exchange_as(&p, ("narrow", "narrow-secret-0123456789"), &form[..4])
        .await
        .assert_token_error(400, "invalid_request");
    assert!(description.contains("delegation"), "{description}");
}

#[tokio::test]
async fn an_id_token_or_a_trusted_issuers_jwt_names_the_subject() {
    let p = provider();
    let id_token = p.tokens("openid").await["id_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let from_id = exchange(
        &p,
        &[("subject_token", &id_token), ("subject_token_type", ID)],
    )
    .await;
    assert_eq!(from_id.status, StatusCode::OK, "{}", from_id.text());
    assert_eq!(claims_of(&from_id.json()["access_token"])["sub"], "alice");
    let now = fauxauth_core::unix(p.clock().now());
    let external = idp_key().sign(
        "JWT",
        &json!({"iss": "https://idp.example", "sub": "user-0002", "exp": now + 60, "iat": now}),
    );
    let from_idp = exchange(
        &p,
        &[("subject_token", &external), ("subject_token_type", JWT)],
    )
    .await;
    assert_eq!(from_idp.status, StatusCode::OK, "{}", from_idp.text());
    assert_eq!(
        claims_of(&from_idp.json()["access_token"])["sub"],
        "user-0002"
    );
    let rogue = SigningKey::derive("someone else", SigningAlg::ES256, 0).sign(
        "JWT",
        &json!({"iss": "https://idp.example", "sub": "user-0002", "exp": now + 60}),
    );
    exchange(
        &p,
        &[("subject_token", &rogue), ("subject_token_type", JWT)],
    )
    .await
    .assert_token_error(400, "invalid_request");
    // An access token is not an ID token.
    let access = p.tokens("openid").await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    exchange(
        &p,
        &[("subject_token", &access), ("subject_token_type", ID)],
    )
    .await
    .assert_token_error(400, "invalid_request");
    // Only access tokens (or JWTs) are issued.
    exchange(
        &p,
        &[
            ("subject_token", &id_token),
            ("subject_token_type", ID),
            ("requested_token_type", ID),
        ],
    )
    .await
    .assert_token_error(400, "invalid_request");
}

#[tokio::test]
async fn the_scope_narrows_and_never_widens_and_the_grant_is_opt_in() {
    let p = provider();
    let alice = p.tokens("openid items:read").await;
    let subject = alice["access_token"].as_str().unwrap();
    exchange(
        &p,
        &[
            ("subject_token", subject),
            ("subject_token_type", ACCESS),
            ("scope", "items:read items:write"),
        ],
    )
    .await
    .assert_token_error(400, "invalid_scope");
    let kept = exchange(
        &p,
        &[("subject_token", subject), ("subject_token_type", ACCESS)],
    )
    .await;
    assert_eq!(kept.json()["scope"], "openid items:read");
    // `web` was never given the grant.
    p.token(&[
        ("grant_type", GRANT),
        ("subject_token", subject),
        ("subject_token_type", ACCESS),
    ])
    .await
    .assert_token_error(400, "unauthorized_client");
}
