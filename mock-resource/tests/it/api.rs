//! The demo API: scopes at work, the issuer's user data, and routes plugged in beside it.

use axum::Router;
use axum::routing;
use mock_resource::{AccessToken, Error, ResourceState};
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn listing_items_needs_items_read() {
    let issuer = FakeIssuer::start().await;
    let resource = resource(&issuer, |_| {}).await;
    let response = get(&resource, "/api/items", &issuer.token("openid items:write")).await;
    assert_eq!(response.status(), 403);
    assert_eq!(
        challenge(&response),
        r#"Bearer realm="fauxauth", error="insufficient_scope", error_description="this request needs the items:read scope", scope="items:read""#
    );
    let response = get(&resource, "/api/items", &issuer.token("items:read")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"items": []})
    );
}

#[tokio::test]
async fn adding_an_item_needs_items_write_and_records_who_added_it() {
    let issuer = FakeIssuer::start().await;
    let resource = resource(&issuer, |_| {}).await;
    let add = |scope: &str| {
        http()
            .post(format!("{}/api/items", resource.url()))
            .bearer_auth(issuer.token(scope))
            .json(&json!({"name": "first"}))
            .send()
    };
    let refused = add("items:read").await.unwrap();
    assert_eq!(refused.status(), 403);
    assert!(challenge(&refused).contains(r#"scope="items:write""#));

    let created = add("items:write").await.unwrap();
    assert_eq!(created.status(), 201);
    let item: Value = created.json().await.unwrap();
    assert_eq!(
        item,
        json!({"id": 1, "name": "first", "created_by": "alice"})
    );

    let list: Value = get(&resource, "/api/items", &issuer.token("items:read"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["items"], json!([item]));
}

#[tokio::test]
async fn an_item_without_a_name_is_a_bad_request_without_a_challenge() {
    let issuer = FakeIssuer::start().await;
    let resource = resource(&issuer, |_| {}).await;
    let response = http()
        .post(format!("{}/api/items", resource.url()))
        .bearer_auth(issuer.token("items:write"))
        .json(&json!({"title": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert!(response.headers().get("www-authenticate").is_none());
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request");
}

#[tokio::test]
async fn me_adds_the_issuers_user_data_asked_with_the_callers_token() {
    let issuer = FakeIssuer::start().await;
    let resource = resource(&issuer, |_| {}).await;
    let token = issuer.token("openid");
    let body: Value = get(&resource, "/api/me", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["userinfo"]["name"], "Alice Example");
    let asked = issuer.requests(USERINFO).await;
    assert_eq!(asked.len(), 1);
    assert_eq!(
        asked[0].headers["authorization"],
        format!("Bearer {token}").as_str()
    );
}

#[tokio::test]
async fn user_data_about_another_subject_is_discarded() {
    let issuer = FakeIssuer::start().await;
    let resource = resource(&issuer, |_| {}).await;
    let mut claims = issuer.claims("openid");
    claims["sub"] = json!("bob");
    let body: Value = get(&resource, "/api/me", &issuer.key.sign(&claims))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["sub"], "bob");
    assert_eq!(body["userinfo"], Value::Null);
}

async fn user(token: AccessToken) -> Result<axum::Json<Value>, Error> {
    token.require_scope("read:user")?;
    Ok(axum::Json(json!({ "login": token.sub })))
}

#[tokio::test]
async fn routes_plugged_in_sit_behind_the_same_bearer_check() {
    let issuer = FakeIssuer::start().await;
    let mut config = mock_resource::Config::new(issuer.url());
    config.clock = mock_resource::Clock::frozen(now());
    let extra: Router<ResourceState> = Router::new().route("/user", routing::get(user));
    let resource = mock_resource::spawn_with(config, extra).await.unwrap();

    let anonymous = http()
        .get(format!("{}/user", resource.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    assert_eq!(challenge(&anonymous), r#"Bearer realm="fauxauth""#);
    assert_eq!(
        get(&resource, "/user", &issuer.token("")).await.status(),
        403
    );
    let response = get(&resource, "/user", &issuer.token("read:user")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"login": "alice"})
    );
    // The demo API is still there.
    assert_eq!(
        get(&resource, "/api/me", &issuer.token("")).await.status(),
        200
    );
}

#[tokio::test]
async fn a_stopped_resource_no_longer_answers() {
    let issuer = FakeIssuer::start().await;
    let resource = resource(&issuer, |_| {}).await;
    let url = format!("{}/api/me", resource.url());
    resource.stop().await;
    assert!(http().get(url).send().await.is_err());
}
