//! The microsoft preset: Graph's `/v1.0/me` and `/oidc/userinfo`, and Graph's error shape with
//! ids that repeat from run to run.

use mock_resource::Preset;
use serde_json::{Value, json};

use crate::helpers::*;

const ME: &str = "/v1.0/me";
const USERINFO: &str = "/oidc/userinfo";

fn adele() -> Value {
    json!({
        "sub": "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ", "username": "adele",
        "name": "Adele Vance", "given_name": "Adele", "family_name": "Vance",
        "email": "AdeleV@contoso.example", "preferred_username": "AdeleV@contoso.example",
        "oid": "87d349ed-44d7-43e1-9a83-5f2406dee5bd", "job_title": "Retail Manager",
    })
}

#[tokio::test]
async fn me_has_graphs_default_properties_from_the_persons_claims() {
    let issuer = FakeIssuer::start().await;
    let resource = preset_resource(&issuer, Preset::Microsoft, |_| {}).await;
    // Graph tokens name Graph as their audience, and their issuer is per tenant.
    let mut answer = issuer.active_for("openid profile email User.Read", adele());
    answer["aud"] = json!("00000003-0000-0000-c000-000000000000");
    answer["iss"] = json!(format!(
        "{}/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0",
        issuer.url()
    ));
    issuer.introspection_says("graph-1", answer);
    let response = get(&resource, ME, "graph-1").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({
            "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users/$entity",
            "businessPhones": [],
            "displayName": "Adele Vance",
            "givenName": "Adele",
            "jobTitle": "Retail Manager",
            "mail": "AdeleV@contoso.example",
            "mobilePhone": null,
            "officeLocation": null,
            "preferredLanguage": null,
            "surname": "Vance",
            "userPrincipalName": "AdeleV@contoso.example",
            "id": "87d349ed-44d7-43e1-9a83-5f2406dee5bd",
        })
    );
}

#[tokio::test]
async fn a_user_without_email_has_mail_null_and_a_derived_id() {
    let issuer = FakeIssuer::start().await;
    let resource = preset_resource(&issuer, Preset::Microsoft, |_| {}).await;
    let user = json!({"sub": "s-1", "username": "megan"});
    issuer.introspection_says("graph-1", issuer.active_for("User.Read", user));
    let body: Value = get(&resource, ME, "graph-1").await.json().await.unwrap();
    assert_eq!(body["mail"], Value::Null);
    assert_eq!(body["userPrincipalName"], "megan");
    let id = body["id"].as_str().unwrap();
    let lengths: Vec<usize> = id.split('-').map(str::len).collect();
    assert_eq!(lengths, [8, 4, 4, 4, 12], "{id}");
    let again: Value = get(&resource, ME, "graph-1").await.json().await.unwrap();
    assert_eq!(again["id"], id);
}

#[tokio::test]
async fn userinfo_answers_get_and_post_with_what_the_scopes_release() {
    let issuer = FakeIssuer::start().await;
    let resource = preset_resource(&issuer, Preset::Microsoft, |_| {}).await;
    issuer.introspection_says("openid", issuer.active_for("openid", adele()));
    issuer.introspection_says("all", issuer.active_for("openid profile email", adele()));
    let sub = "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ";
    let openid: Value = get(&resource, USERINFO, "openid")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(openid, json!({ "sub": sub }));
    let posted = http()
        .post(format!("{}{USERINFO}", resource.url()))
        .bearer_auth("all")
        .send()
        .await
        .unwrap();
    assert_eq!(posted.status(), 200);
    assert_eq!(
        posted.json::<Value>().await.unwrap(),
        json!({"sub": sub, "name": "Adele Vance", "given_name": "Adele", "family_name": "Vance",
            "email": "AdeleV@contoso.example"})
    );
}

#[tokio::test]
async fn refusals_are_graph_errors_with_a_challenge_and_ids_that_repeat() {
    let issuer = FakeIssuer::start().await;
    let resource = preset_resource(&issuer, Preset::Microsoft, |_| {}).await;

    let missing = get_with(&resource, ME, None).await;
    assert_eq!(missing.status(), 401);
    assert_eq!(challenge(&missing), r#"Bearer realm="fauxauth""#);
    let body: Value = missing.json().await.unwrap();
    assert_eq!(body["error"]["code"], "InvalidAuthenticationToken");
    assert_eq!(body["error"]["message"], "Access token is empty.");
    let inner = &body["error"]["innerError"];
    assert_eq!(inner["date"], "2023-11-14T22:13:20");
    let request_id = inner["request-id"].as_str().unwrap().to_owned();
    assert_eq!(request_id.len(), 36, "{request_id}");
    assert_eq!(inner["client-request-id"], request_id.as_str());

    let bad = http()
        .get(format!("{}{USERINFO}", resource.url()))
        .bearer_auth("revoked")
        .header("client-request-id", "9f1c3a56-0000-4000-8000-000000000001")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 401);
    assert_eq!(
        challenge(&bad),
        r#"Bearer realm="fauxauth", error="invalid_token""#
    );
    let body: Value = bad.json().await.unwrap();
    assert_eq!(body["error"]["message"], "Access token validation failure.");
    let inner = &body["error"]["innerError"];
    assert_eq!(
        inner["client-request-id"],
        "9f1c3a56-0000-4000-8000-000000000001"
    );
    assert_ne!(
        inner["request-id"],
        request_id.as_str(),
        "one id per request"
    );

    // Another resource, the same requests: the same ids.
    let twin = preset_resource(&issuer, Preset::Microsoft, |_| {}).await;
    let body: Value = get_with(&twin, ME, None).await.json().await.unwrap();
    assert_eq!(
        body["error"]["innerError"]["request-id"],
        request_id.as_str()
    );
}

#[tokio::test]
async fn me_with_an_apps_own_token_is_a_bad_request() {
    let issuer = FakeIssuer::start().await;
    let resource = preset_resource(&issuer, Preset::Microsoft, |_| {}).await;
    issuer.introspection_says("app", issuer.active(".default"));
    let response = get(&resource, ME, "app").await;
    assert_eq!(response.status(), 400);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "BadRequest");
    assert_eq!(
        body["error"]["message"],
        "/me request is only valid with delegated authentication flow."
    );
    let userinfo = get(&resource, USERINFO, "app").await;
    assert_eq!(userinfo.status(), 401);
}
