//! What every preset shares: how the resource finds and asks the provider, what it takes from
//! the introspection answer, its configuration errors, and the demo API beside the preset's.

use mock_resource::{Config, Mode, Preset};
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn a_preset_refuses_to_start_asked_to_verify_jwts_or_without_credentials() {
    let config = Config {
        preset: Preset::Github,
        mode: Some(Mode::Jwt),
        client_id: Some(CLIENT_ID.into()),
        client_secret: Some(CLIENT_SECRET.into()),
        ..Config::new("http://127.0.0.1:1")
    };
    let err = mock_resource::spawn(config).await.unwrap_err().to_string();
    assert!(err.contains("mode: the github preset"), "{err}");

    let config = Config {
        preset: Preset::Google,
        ..Config::new("http://127.0.0.1:1")
    };
    let err = mock_resource::spawn(config).await.unwrap_err().to_string();
    assert!(
        err.contains("client_id, client_secret: the google preset"),
        "{err}"
    );
}

#[tokio::test]
async fn a_configured_introspection_endpoint_is_asked_instead() {
    let issuer = FakeIssuer::start().await;
    issuer.introspect_at("/oauth/introspect").await;
    let endpoint = format!("{}/oauth/introspect", issuer.url());
    let resource = preset_resource(&issuer, Preset::Github, |c| {
        c.introspection_endpoint = Some(endpoint.clone());
    })
    .await;
    issuer.introspection_says("gho_1", issuer.active_for("", json!({"sub": "1"})));
    assert_eq!(get(&resource, "/user", "gho_1").await.status(), 200);
    assert_eq!(issuer.requests_to("/oauth/introspect").await, 1);
    assert_eq!(issuer.requests_to(INTROSPECT).await, 0);

    // Without a preset, the configured endpoint spares discovery.
    let generic = introspecting_resource_with(&issuer, Some(endpoint)).await;
    issuer.introspection_says("t1", issuer.active(""));
    assert_eq!(get(&generic, "/api/me", "t1").await.status(), 200);
    assert_eq!(issuer.requests_to(DISCOVERY).await, 0);
    assert_eq!(issuer.requests_to("/oauth/introspect").await, 2);
}

async fn introspecting_resource_with(
    issuer: &FakeIssuer,
    endpoint: Option<String>,
) -> mock_resource::Running {
    resource(issuer, |c| {
        c.mode = Some(Mode::Introspection);
        c.client_id = Some(CLIENT_ID.into());
        c.client_secret = Some(CLIENT_SECRET.into());
        c.introspection_endpoint = endpoint;
    })
    .await
}

#[tokio::test]
async fn only_an_active_bearer_token_from_the_provider_is_taken() {
    let issuer = FakeIssuer::start().await;
    let resource = preset_resource(&issuer, Preset::Google, |_| {}).await;
    let user = json!({"sub": "1", "username": "alice"});
    let refused = |mut answer: Value, name: &str, value: Value| {
        if value.is_null() {
            answer.as_object_mut().unwrap().remove(name);
        } else {
            answer[name] = value;
        }
        answer
    };
    let good = issuer.active_for("openid", user.clone());
    // A refresh token is active too, but has no token type.
    issuer.introspection_says("refresh", refused(good.clone(), "token_type", Value::Null));
    issuer.introspection_says(
        "elsewhere",
        refused(good.clone(), "iss", json!("http://x.test")),
    );
    issuer.introspection_says("expired", refused(good.clone(), "exp", json!(at(-1))));
    issuer.introspection_says("other-aud", refused(good, "aud", json!("billing")));
    for token in ["refresh", "elsewhere", "expired"] {
        let response = get(&resource, "/oauth2/v3/userinfo", token).await;
        assert_eq!(response.status(), 401, "{token}");
    }
    // The audience is the provider's business.
    let response = get(&resource, "/oauth2/v3/userinfo", "other-aud").await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn the_demo_api_stays_beside_the_presets_with_its_own_answers() {
    let issuer = FakeIssuer::start().await;
    let resource = preset_resource(&issuer, Preset::Github, |_| {}).await;
    issuer.introspection_says(
        "gho_1",
        issuer.active_for("items:read", json!({"sub": "1"})),
    );
    let me = get(&resource, "/api/me", "gho_1").await;
    assert_eq!(me.status(), 200);
    let body: Value = me.json().await.unwrap();
    assert_eq!(body["mode"], "introspection");
    assert_eq!(body["introspection"]["user"]["sub"], "1");
    // The demo API keeps RFC 6750's answers, and knows no `token` scheme.
    let missing = get_with(&resource, "/api/me", Some("token gho_1")).await;
    assert_eq!(missing.status(), 401);
    assert_eq!(challenge(&missing), r#"Bearer realm="fauxauth""#);
}

#[tokio::test]
async fn the_issuer_down_is_503_for_a_preset_too() {
    let issuer = FakeIssuer::start().await;
    let resource = preset_resource(&issuer, Preset::Github, |c| {
        c.client_secret = Some("wrong".into());
    })
    .await;
    issuer.introspection_says("gho_1", issuer.active_for("", json!({"sub": "1"})));
    let response = get(&resource, "/user", "gho_1").await;
    assert_eq!(response.status(), 503);
}
