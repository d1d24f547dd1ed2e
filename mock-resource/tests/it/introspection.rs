//! Introspection mode (RFC 7662): the issuer is asked about every token, so revocation shows at
//! once; its answer is held to the same rules as a JWT.

use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn an_active_token_is_accepted_and_me_shows_what_introspection_said() {
    let issuer = FakeIssuer::start().await;
    let resource = introspecting_resource(&issuer).await;
    issuer.introspection_says("opaque-1", issuer.active("items:read"));
    let response = get(&resource, "/api/me", "opaque-1").await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["mode"], "introspection");
    assert_eq!(body["sub"], "alice");
    assert_eq!(body["client_id"], "web");
    assert_eq!(body["scope"], "items:read");
    assert_eq!(body["introspection"]["active"], true);
    assert_eq!(body["introspection"]["jti"], "jti-1");
    // No keys are needed in this mode.
    assert_eq!(issuer.requests_to(JWKS).await, 0);
}

#[tokio::test]
async fn a_revocation_is_visible_at_once() {
    let issuer = FakeIssuer::start().await;
    let resource = introspecting_resource(&issuer).await;
    let token = issuer.token("items:read");
    issuer.introspection_says(&token, issuer.active("items:read"));
    assert_eq!(get(&resource, "/api/items", &token).await.status(), 200);

    issuer.introspection_says(&token, json!({"active": false}));
    let response = get(&resource, "/api/items", &token).await;
    assert_invalid_token(response, "not active").await;
    assert_eq!(issuer.requests_to(INTROSPECT).await, 2);
}

#[tokio::test]
async fn introspection_authenticates_with_form_encoded_client_secret_basic() {
    let issuer = FakeIssuer::start().await;
    let resource = introspecting_resource(&issuer).await;
    issuer.introspection_says("abc", issuer.active(""));
    assert_eq!(get(&resource, "/api/me", "abc").await.status(), 200);
    let asked = issuer.requests(INTROSPECT).await;
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0].headers["authorization"], expected_basic().as_str());
    assert_eq!(
        asked[0].headers["content-type"],
        "application/x-www-form-urlencoded"
    );
    assert_eq!(
        String::from_utf8_lossy(&asked[0].body),
        "token=abc&token_type_hint=access_token"
    );
}

#[tokio::test]
async fn scopes_come_from_the_introspection_answer() {
    let issuer = FakeIssuer::start().await;
    let resource = introspecting_resource(&issuer).await;
    // The JWT says items:read, but the issuer's answer is what counts in this mode.
    let token = issuer.token("items:read");
    issuer.introspection_says(&token, issuer.active("openid"));
    let response = get(&resource, "/api/items", &token).await;
    assert_eq!(response.status(), 403);
    assert!(challenge(&response).contains(r#"scope="items:read""#));
}

#[tokio::test]
async fn an_answer_for_another_audience_issuer_or_token_type_is_refused() {
    let issuer = FakeIssuer::start().await;
    let resource = introspecting_resource(&issuer).await;
    let mut answer = issuer.active("");
    answer["aud"] = json!("billing");
    issuer.introspection_says("t1", answer);
    assert_invalid_token(get(&resource, "/api/me", "t1").await, "for audience").await;

    let mut answer = issuer.active("");
    answer["iss"] = json!("http://127.0.0.1:1");
    issuer.introspection_says("t2", answer);
    assert_invalid_token(get(&resource, "/api/me", "t2").await, "issued by").await;

    // A refresh token is active too, but names no audience: it is not for this API.
    issuer.introspection_says(
        "t3",
        json!({"active": true, "client_id": "web", "sub": "alice", "scope": "openid"}),
    );
    assert_invalid_token(get(&resource, "/api/me", "t3").await, "has no aud").await;

    let mut answer = issuer.active("");
    answer["exp"] = json!(at(-5));
    issuer.introspection_says("t4", answer);
    assert_invalid_token(get(&resource, "/api/me", "t4").await, "expired").await;
}

#[tokio::test]
async fn credentials_the_issuer_refuses_give_503_not_a_verdict_on_the_token() {
    let issuer = FakeIssuer::start().await;
    let resource = resource(&issuer, |c| {
        c.mode = Some(mock_resource::Mode::Introspection);
        c.client_id = Some(CLIENT_ID.into());
        c.client_secret = Some("wrong".into());
    })
    .await;
    issuer.introspection_says("abc", issuer.active(""));
    let response = get(&resource, "/api/me", "abc").await;
    assert_eq!(response.status(), 503);
    assert!(response.headers().get("www-authenticate").is_none());
}

#[tokio::test]
async fn introspection_mode_refuses_to_start_without_credentials() {
    let mut config = mock_resource::Config::new("http://127.0.0.1:1");
    config.mode = Some(mock_resource::Mode::Introspection);
    let err = mock_resource::spawn(config).await.unwrap_err();
    assert!(err.to_string().contains("client_secret"), "{err}");
}
