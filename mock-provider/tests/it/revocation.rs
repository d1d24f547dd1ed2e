//! Revocation (RFC 7009) and introspection (RFC 7662), consistent with each other.

use axum::http::{StatusCode, header};
use mock_provider::Scripted as _;
use serde_json::json;

use crate::helpers::*;

fn web() -> String {
    basic("web", WEB_SECRET)
}

async fn introspect(p: &TestProvider, token: &str) -> serde_json::Value {
    let response = p
        .post(
            "/introspect",
            &[("token", token)],
            &[(header::AUTHORIZATION, &web())],
        )
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    assert_eq!(response.header(header::CACHE_CONTROL), "no-store");
    response.json()
}

async fn revoke(p: &TestProvider, form: &[(&str, &str)], auth: &str) -> TestResponse {
    p.post("/revoke", form, &[(header::AUTHORIZATION, auth)])
        .await
}

#[tokio::test]
async fn introspection_describes_an_active_access_token() {
    let p = TestProvider::new();
    let tokens = p.tokens("openid items:read").await;
    let answer = introspect(&p, tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(answer["active"], true);
    assert_eq!(answer["scope"], "openid items:read");
    assert_eq!(answer["client_id"], "web");
    assert_eq!(answer["sub"], "alice");
    assert_eq!(answer["aud"], "api");
    assert_eq!(answer["iss"], ISSUER);
    assert_eq!(answer["token_type"], "Bearer");
    assert_eq!(answer["exp"], 1_800_000_000u64 + 3600);
    // The person behind the token, whatever the scope released (an extension member).
    assert_eq!(answer["username"], "alice");
    assert_eq!(answer["user"]["email"], "alice@example.com");
    assert_eq!(answer["user"]["sub"], "alice");
    let refresh = introspect(&p, tokens["refresh_token"].as_str().unwrap()).await;
    assert_eq!(refresh["active"], true);
    assert_eq!(refresh["client_id"], "web");
}

#[tokio::test]
async fn a_clients_own_token_names_no_user() {
    let p = TestProvider::new();
    let response = p
        .post(
            "/token",
            &[("grant_type", "client_credentials")],
            &[(header::AUTHORIZATION, &web())],
        )
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    let token = response.json()["access_token"].as_str().unwrap().to_owned();
    let answer = introspect(&p, &token).await;
    assert_eq!(answer["active"], true);
    assert_eq!(answer["sub"], "web");
    assert!(
        answer.get("username").is_none() && answer.get("user").is_none(),
        "{answer}"
    );
}

#[tokio::test]
async fn inactive_tokens_are_exactly_active_false() {
    let p = TestProvider::new();
    let tokens = p.tokens("openid").await;
    p.clock().advance(std::time::Duration::from_secs(3600));
    for token in [
        "garbage",
        "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.",
        tokens["access_token"].as_str().unwrap(),
    ] {
        assert_eq!(
            introspect(&p, token).await,
            json!({"active": false}),
            "{token}"
        );
    }
}

#[tokio::test]
async fn introspection_requires_an_authenticated_client() {
    let p = TestProvider::new();
    let tokens = p.tokens("openid").await;
    let token = tokens["access_token"].as_str().unwrap();
    p.post("/introspect", &[("token", token)], &[])
        .await
        .assert_token_error(401, "invalid_client");
    p.post(
        "/introspect",
        &[("token", token)],
        &[(header::AUTHORIZATION, &basic("web", "wrong"))],
    )
    .await
    .assert_token_error(401, "invalid_client");
    p.post(
        "/introspect",
        &[("token", token), ("client_id", "spa")],
        &[],
    )
    .await
    .assert_token_error(401, "invalid_client");
}

#[tokio::test]
async fn revoking_a_refresh_token_cascades_to_the_grants_access_tokens() {
    let p = TestProvider::new();
    let tokens = p.tokens("openid").await;
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let response = revoke(
        &p,
        &[("token", refresh), ("token_type_hint", "refresh_token")],
        &web(),
    )
    .await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.header(header::CACHE_CONTROL), "no-store");
    p.token(&[("grant_type", "refresh_token"), ("refresh_token", refresh)])
        .await
        .assert_token_error(400, "invalid_grant");
    assert_eq!(
        introspect(&p, tokens["access_token"].as_str().unwrap()).await,
        json!({"active": false})
    );
}

#[tokio::test]
async fn revoking_an_access_token_leaves_the_refresh_token() {
    let p = TestProvider::new();
    let tokens = p.tokens("openid").await;
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(
        revoke(
            &p,
            &[("token", access), ("token_type_hint", "access_token")],
            &web()
        )
        .await
        .status,
        StatusCode::OK
    );
    assert_eq!(introspect(&p, access).await, json!({"active": false}));
    let userinfo = p
        .get_with("/userinfo", &[(header::AUTHORIZATION, &bearer(access))])
        .await;
    assert_eq!(userinfo.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        introspect(&p, tokens["refresh_token"].as_str().unwrap()).await["active"],
        true
    );
}

#[tokio::test]
async fn a_wrong_hint_does_not_stop_revocation() {
    let p = TestProvider::new();
    let tokens = p.tokens("openid").await;
    let refresh = tokens["refresh_token"].as_str().unwrap();
    revoke(
        &p,
        &[("token", refresh), ("token_type_hint", "access_token")],
        &web(),
    )
    .await;
    assert_eq!(introspect(&p, refresh).await, json!({"active": false}));
}

#[tokio::test]
async fn unknown_tokens_and_repeated_revocations_are_200() {
    let p = TestProvider::new();
    let tokens = p.tokens("openid").await;
    let access = tokens["access_token"].as_str().unwrap();
    for token in ["garbage", access, access] {
        assert_eq!(
            revoke(&p, &[("token", token)], &web()).await.status,
            StatusCode::OK
        );
    }
}

#[tokio::test]
async fn another_clients_token_is_refused_and_stays_valid() {
    let p = TestProvider::new();
    let tokens = p.tokens("openid").await;
    let refresh = tokens["refresh_token"].as_str().unwrap();
    revoke(
        &p,
        &[("token", refresh)],
        &basic("other", "other-secret-01234"),
    )
    .await
    .assert_token_error(400, "invalid_grant");
    assert_eq!(introspect(&p, refresh).await["active"], true);
}

#[tokio::test]
async fn revocation_requires_client_authentication() {
    let p = TestProvider::new();
    let tokens = p.tokens("openid").await;
    let refresh = tokens["refresh_token"].as_str().unwrap();
    p.post("/revoke", &[("token", refresh)], &[])
        .await
        .assert_token_error(401, "invalid_client");
    revoke(&p, &[("token", refresh)], &basic("web", "wrong"))
        .await
        .assert_token_error(401, "invalid_client");
    revoke(&p, &[], &web())
        .await
        .assert_token_error(400, "invalid_request");
    assert_eq!(introspect(&p, refresh).await["active"], true);
}

#[tokio::test]
async fn a_token_not_valid_yet_is_inactive() {
    // RFC 7662 §2.2: active only within its time window of validity (RFC 7519 §4.1.5).
    let p = TestProvider::new();
    let rule: mock_provider::Rule = serde_json::from_value(json!({
        "when": {"endpoint": "token", "times": 1},
        "then": [{"token": {"target": "access_token", "nbf_in_future": true}}]
    }))
    .unwrap();
    p.provider.add_rule(rule);
    let tokens = p.tokens("openid").await;
    assert_eq!(
        introspect(&p, tokens["access_token"].as_str().unwrap()).await,
        json!({"active": false})
    );
    p.clock().advance(std::time::Duration::from_secs(3600));
    let later = p.tokens("openid").await;
    assert_eq!(
        introspect(&p, later["access_token"].as_str().unwrap()).await["active"],
        true
    );
}
