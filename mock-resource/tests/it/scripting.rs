//! Scripting a running resource over its admin API: the faults a client of the API must survive,
//! the journal, reset, and the OpenAPI document.

use mock_resource::Scripted as _;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

async fn admin(
    resource: &mock_resource::Running,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut request = http().request(method, format!("{}/_fauxauth{path}", resource.url()));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn add_rule(resource: &mock_resource::Running, rule: Value) {
    let (status, body) = admin(resource, reqwest::Method::POST, "/rules", Some(rule)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

#[tokio::test]
async fn a_503_with_retry_after_then_a_429_then_the_answer() {
    let issuer = FakeIssuer::start().await;
    let resource = resource(&issuer, |_| {}).await;
    let token = issuer.token("items:read");
    add_rule(&resource, json!({"when": {"endpoint": "api/items", "times": 1}, "then": [{"respond": {"status": 503, "headers": {"retry-after": "30"}, "content_type": "text/plain", "body": "down for maintenance"}}]})).await;
    add_rule(&resource, json!({"when": {"endpoint": "api/items", "times": 1}, "then": [{"respond": {"status": 429, "headers": {"retry-after": "1", "x-ratelimit-remaining": "0"}}}]})).await;
    let first = get(&resource, "/api/items", &token).await;
    assert_eq!(first.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(first.headers()["retry-after"], "30");
    assert_eq!(first.text().await.unwrap(), "down for maintenance");
    let second = get(&resource, "/api/items", &token).await;
    assert_eq!(second.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(second.headers()["x-ratelimit-remaining"], "0");
    assert_eq!(
        get(&resource, "/api/items", &token).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn an_injected_error_is_an_rfc_6750_challenge() {
    let issuer = FakeIssuer::start().await;
    let resource = resource(&issuer, |_| {}).await;
    add_rule(&resource, json!({"when": {"endpoint": "api/me", "user": "alice", "times": 1}, "then": [{"error": {"error": "invalid_token", "description": "revoked elsewhere"}}]})).await;
    let response = get(&resource, "/api/me", &issuer.token("openid")).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        challenge(&response),
        "Bearer realm=\"fauxauth\", error=\"invalid_token\"",
        "the injected challenge names the realm, as the resource's own do"
    );
    assert_eq!(
        get(&resource, "/api/me", &issuer.token("openid"))
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn slow_answers_and_dropped_connections() {
    let issuer = FakeIssuer::start().await;
    let resource = resource(&issuer, |_| {}).await;
    let token = issuer.token("items:read");
    add_rule(
        &resource,
        json!({"when": {"times": 1}, "then": [{"delay": "2s"}]}),
    )
    .await;
    let impatient = reqwest::Client::builder()
        .use_preconfigured_tls(fauxauth_core::Trust::default().client_config())
        .no_proxy()
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let url = format!("{}/api/items", resource.url());
    assert!(
        impatient
            .get(&url)
            .bearer_auth(&token)
            .send()
            .await
            .unwrap_err()
            .is_timeout()
    );
    add_rule(
        &resource,
        json!({"when": {"times": 1}, "then": ["drop_connection"]}),
    )
    .await;
    let err = http()
        .get(&url)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap_err();
    assert!(!err.is_timeout() && !err.is_status(), "{err}");
    assert_eq!(
        get(&resource, "/api/items", &token).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_journal_records_who_called_what_with_the_token_masked() {
    let issuer = FakeIssuer::start().await;
    let resource = resource(&issuer, |_| {}).await;
    let token = issuer.token("items:read");
    get(&resource, "/api/items", &token).await;
    get(&resource, "/api/items", "garbage").await;
    let (_, journal) = admin(
        &resource,
        reqwest::Method::GET,
        "/journal?endpoint=api/items",
        None,
    )
    .await;
    let entries = journal["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["server"], "resource");
    assert_eq!(entries[0]["user"], "alice");
    assert_eq!(entries[0]["client_id"], "web");
    assert_eq!(entries[0]["status"], 200);
    assert_eq!(entries[1]["status"], 401);
    assert!(
        entries[1]["response_headers"]["www-authenticate"]
            .as_str()
            .unwrap()
            .contains("invalid_token")
    );
    assert!(
        !journal.to_string().contains(&token),
        "the token is never stored"
    );
    let (status, _) = admin(
        &resource,
        reqwest::Method::POST,
        "/journal/verify",
        Some(json!({"filter": {"endpoint": "api/items", "status": 200}, "expect": {"times": 1}})),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        resource
            .state()
            .journal()
            .count(&mock_resource::Filter::default()),
        2
    );
}

#[tokio::test]
async fn the_clock_moves_and_reset_brings_back_the_configuration() {
    let issuer = FakeIssuer::start().await;
    let rule: mock_resource::Rule = serde_json::from_value(json!({"id": "flaky", "when": {"nth": 100}, "then": [{"error": {"error": "server_error"}}]})).unwrap();
    let resource = resource(&issuer, |c| c.rules = vec![rule]).await;
    let token = issuer.token("items:read items:write");
    http()
        .post(format!("{}/api/items", resource.url()))
        .bearer_auth(&token)
        .json(&json!({"name": "x"}))
        .send()
        .await
        .unwrap();
    let (_, clock) = admin(
        &resource,
        reqwest::Method::POST,
        "/clock",
        Some(json!({"advance": "11m"})),
    )
    .await;
    assert_eq!(clock["now"], NOW + 660);
    // The token expired with the clock's move.
    assert_eq!(
        get(&resource, "/api/items", &token).await.status(),
        StatusCode::UNAUTHORIZED
    );
    add_rule(&resource, json!({"then": [{"delay": "1h"}]})).await;

    assert_eq!(
        admin(&resource, reqwest::Method::POST, "/reset", None)
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    let (_, rules) = admin(&resource, reqwest::Method::GET, "/rules", None).await;
    assert_eq!(rules.as_array().unwrap().len(), 1, "{rules}");
    assert_eq!(rules[0]["id"], "flaky");
    let items: Value = get(&resource, "/api/items", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        items,
        json!({"items": []}),
        "the clock is back and the items are gone"
    );
}

#[tokio::test]
async fn the_admin_token_is_required_when_configured() {
    let issuer = FakeIssuer::start().await;
    let resource = resource(&issuer, |c| {
        c.admin_token = Some("resource-admin-token-1".into())
    })
    .await;
    assert_eq!(
        admin(&resource, reqwest::Method::GET, "/rules", None)
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    let ok = http()
        .get(format!("{}/_fauxauth/rules", resource.url()))
        .bearer_auth("resource-admin-token-1")
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
}

#[tokio::test]
async fn every_admin_route_is_in_the_openapi_document_and_served() {
    let issuer = FakeIssuer::start().await;
    let resource = resource(&issuer, |_| {}).await;
    let (_, document) = admin(&resource, reqwest::Method::GET, "/openapi.json", None).await;
    for op in mock_resource::admin_operations() {
        let path = format!("/_fauxauth{}", op.path);
        let method = op.method.as_str().to_ascii_lowercase();
        assert!(
            document["paths"][&path][&method].is_object(),
            "{method} {path} is not documented"
        );
        let response = http()
            .request(
                op.method.clone(),
                format!("{}{}", resource.url(), path.replace("{id}", "x")),
            )
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body = response.text().await.unwrap();
        assert!(
            status != StatusCode::METHOD_NOT_ALLOWED
                && !(status == StatusCode::NOT_FOUND && body.is_empty()),
            "{method} {path}: {status}"
        );
    }
}
