//! How the token is looked for, and the answers of RFC 6750 §3 when it is missing or malformed.

use serde_json::Value;

use crate::helpers::*;

async fn send(request: reqwest::RequestBuilder) -> reqwest::Response {
    request.send().await.unwrap()
}

#[tokio::test]
async fn a_request_without_a_token_gets_a_bare_bearer_challenge() {
    let issuer = FakeIssuer::start().await;
    let resource = resource(&issuer, |_| {}).await;
    let response = send(http().get(format!("{}/api/me", resource.url()))).await;
    assert_eq!(response.status(), 401);
    assert_eq!(challenge(&response), r#"Bearer realm="fauxauth""#);
    let body: Value = response.json().await.unwrap();
    assert!(body.get("error").is_none(), "{body}");
    // Nothing was asked of the issuer for a request that carried nothing.
    assert_eq!(issuer.requests_to(DISCOVERY).await, 0);
}

#[tokio::test]
async fn credentials_of_another_scheme_are_answered_as_no_token() {
    let issuer = FakeIssuer::start().await;
    let resource = resource(&issuer, |_| {}).await;
    let response = send(
        http()
            .get(format!("{}/api/me", resource.url()))
            .header("authorization", "Basic dXNlcjpwYXNz"),
    )
    .await;
    assert_eq!(response.status(), 401);
    assert_eq!(challenge(&response), r#"Bearer realm="fauxauth""#);
}

#[tokio::test]
async fn the_bearer_scheme_is_matched_without_regard_to_case() {
    let issuer = FakeIssuer::start().await;
    let resource = resource(&issuer, |_| {}).await;
    let token = issuer.token("");
    for scheme in ["bearer", "BEARER", "BeArEr"] {
        let response = send(
            http()
                .get(format!("{}/api/me", resource.url()))
                .header("authorization", format!("{scheme} {token}")),
        )
        .await;
        assert_eq!(response.status(), 200, "{scheme}");
    }
}

#[tokio::test]
async fn a_bearer_header_with_no_token_or_two_is_invalid_request() {
    let issuer = FakeIssuer::start().await;
    let resource = resource(&issuer, |_| {}).await;
    for (value, why) in [("Bearer", "has no token"), ("Bearer a b", "not a b64token")] {
        let response = send(
            http()
                .get(format!("{}/api/me", resource.url()))
                .header("authorization", value),
        )
        .await;
        assert_eq!(response.status(), 400, "{value}");
        let challenge = challenge(&response);
        assert!(
            challenge.starts_with(r#"Bearer realm="fauxauth", error="invalid_request""#),
            "{challenge}"
        );
        assert!(challenge.contains(why), "{challenge}");
    }
}

#[tokio::test]
async fn a_token_in_the_query_is_refused_by_default() {
    let issuer = FakeIssuer::start().await;
    let resource = resource(&issuer, |_| {}).await;
    let url = format!(
        "{}/api/me?access_token={}",
        resource.url(),
        issuer.token("")
    );
    let response = send(http().get(url)).await;
    assert_eq!(response.status(), 400);
    assert!(challenge(&response).contains("query are not accepted"));
}

#[tokio::test]
async fn a_token_in_the_query_is_accepted_when_enabled_and_the_answer_is_private() {
    let issuer = FakeIssuer::start().await;
    let resource = resource(&issuer, |c| c.bearer_in_query = true).await;
    let url = format!(
        "{}/api/me?access_token={}",
        resource.url(),
        issuer.token("")
    );
    let response = send(http().get(url)).await;
    assert_eq!(response.status(), 200);
    // RFC 6750 §2.3: the URI holds a credential, so shared caches must not keep the answer.
    assert_eq!(response.headers()["cache-control"], "private");
}

#[tokio::test]
async fn a_token_in_a_form_body_is_refused_by_default_and_accepted_when_enabled() {
    let issuer = FakeIssuer::start().await;
    let token = issuer.token("");
    let form = [("access_token", token.as_str())];

    let strict = resource(&issuer, |_| {}).await;
    let response = send(http().post(format!("{}/api/me", strict.url())).form(&form)).await;
    assert_eq!(response.status(), 400);
    assert!(challenge(&response).contains("request body are not accepted"));

    let lenient = resource(&issuer, |c| c.bearer_in_body = true).await;
    let response = send(http().post(format!("{}/api/me", lenient.url())).form(&form)).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["sub"], "alice");
}

#[tokio::test]
async fn a_token_sent_two_ways_is_invalid_request() {
    let issuer = FakeIssuer::start().await;
    let resource = resource(&issuer, |c| {
        c.bearer_in_body = true;
        c.bearer_in_query = true;
    })
    .await;
    let token = issuer.token("");
    let response = send(
        http()
            .post(format!("{}/api/me?access_token={token}", resource.url()))
            .header("authorization", format!("Bearer {token}")),
    )
    .await;
    assert_eq!(response.status(), 400);
    assert!(challenge(&response).contains("more than one way"));
    let response = send(
        http()
            .post(format!("{}/api/me", resource.url()))
            .header("authorization", format!("Bearer {token}"))
            .form(&[("access_token", token.as_str())]),
    )
    .await;
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn challenges_name_the_configured_realm() {
    let issuer = FakeIssuer::start().await;
    let resource = resource(&issuer, |c| c.realm = "example-api".into()).await;
    let response = send(http().get(format!("{}/api/items", resource.url()))).await;
    assert_eq!(challenge(&response), r#"Bearer realm="example-api""#);
}
