//! DPoP at the resource (RFC 9449 §7): a bound token comes with the DPoP scheme and a proof for
//! this request, this token and the token's key; never as Bearer. The challenges offer DPoP.

use fauxauth_core::dpop::{ProofFor, ProofKey};
use serde_json::{Value, json};

use crate::helpers::*;

/// A token bound to `key`, signed by the issuer.
fn bound_token(issuer: &FakeIssuer, key: &ProofKey) -> String {
    let mut claims = issuer.claims("items:read");
    claims["cnf"] = json!({ "jkt": key.jkt() });
    issuer.key.sign(&claims)
}

fn proof(key: &ProofKey, url: &str, token: &str, jti: &str) -> String {
    key.proof(&ProofFor {
        method: "GET",
        url,
        iat: NOW,
        jti,
        access_token: Some(token),
        nonce: None,
    })
}

async fn call(url: &str, authorization: &str, proof: Option<&str>) -> reqwest::Response {
    let mut request = http().get(url).header("authorization", authorization);
    if let Some(proof) = proof {
        request = request.header("dpop", proof);
    }
    request.send().await.unwrap()
}

async fn error_of(response: reqwest::Response) -> (String, String) {
    assert_eq!(response.status(), 401);
    let challenge = challenge(&response);
    assert!(
        challenge.starts_with("DPoP realm=\"fauxauth\", error="),
        "{challenge}"
    );
    assert!(
        challenge.contains("algs=\"") && challenge.contains("ES256"),
        "{challenge}"
    );
    let body: Value = response.json().await.unwrap();
    (
        body["error"].as_str().unwrap().to_owned(),
        body["error_description"].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn a_bound_token_passes_with_a_proof_by_its_key_for_this_request() {
    let issuer = FakeIssuer::start().await;
    let resource = resource(&issuer, |_| {}).await;
    let key = ProofKey::from_seed("app");
    let token = bound_token(&issuer, &key);
    let url = format!("{}/api/me", resource.url());
    let ok = call(
        &url,
        &format!("DPoP {token}"),
        Some(&proof(&key, &url, &token, "j1")),
    )
    .await;
    assert_eq!(ok.status(), 200, "{:?}", ok.text().await);

    let replayed = call(
        &url,
        &format!("DPoP {token}"),
        Some(&proof(&key, &url, &token, "j1")),
    )
    .await;
    let (error, description) = error_of(replayed).await;
    assert_eq!(error, "invalid_dpop_proof");
    assert!(description.contains("jti"), "{description}");

    let (error, _) = error_of(call(&url, &format!("DPoP {token}"), None).await).await;
    assert_eq!(error, "invalid_dpop_proof");

    let other = ProofKey::from_seed("thief");
    let stolen = proof(&other, &url, &token, "j2");
    let (error, description) =
        error_of(call(&url, &format!("DPoP {token}"), Some(&stolen)).await).await;
    assert_eq!(error, "invalid_dpop_proof");
    assert!(description.contains("cnf.jkt"), "{description}");

    let for_another_token = proof(&key, &url, "another-token", "j3");
    let (_, description) =
        error_of(call(&url, &format!("DPoP {token}"), Some(&for_another_token)).await).await;
    assert!(description.contains("ath"), "{description}");

    let elsewhere = proof(&key, &format!("{}/api/items", resource.url()), &token, "j4");
    let (_, description) =
        error_of(call(&url, &format!("DPoP {token}"), Some(&elsewhere)).await).await;
    assert!(description.contains("htu"), "{description}");
}

#[tokio::test]
async fn a_bound_token_as_bearer_and_an_unbound_one_as_dpop_are_refused() {
    let issuer = FakeIssuer::start().await;
    let resource = resource(&issuer, |_| {}).await;
    let key = ProofKey::from_seed("app");
    let url = format!("{}/api/me", resource.url());
    let token = bound_token(&issuer, &key);
    let (error, description) = error_of(call(&url, &format!("Bearer {token}"), None).await).await;
    assert_eq!(error, "invalid_token");
    assert!(description.contains("not as Bearer"), "{description}");
    let plain = issuer.token("items:read");
    let proof = proof(&key, &url, &plain, "j1");
    let (error, _) = error_of(call(&url, &format!("DPoP {plain}"), Some(&proof)).await).await;
    assert_eq!(error, "invalid_token");
}

#[tokio::test]
async fn without_a_token_both_schemes_are_offered() {
    let issuer = FakeIssuer::start().await;
    let resource = resource(&issuer, |_| {}).await;
    let response = http()
        .get(format!("{}/api/me", resource.url()))
        .send()
        .await
        .unwrap();
    let challenges: Vec<&str> = response
        .headers()
        .get_all("www-authenticate")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(challenges[0], "Bearer realm=\"fauxauth\"");
    assert!(
        challenges[1].starts_with("DPoP realm=\"fauxauth\", algs=\""),
        "{challenges:?}"
    );
}

#[tokio::test]
async fn introspection_says_the_binding_too() {
    let issuer = FakeIssuer::start().await;
    let resource = introspecting_resource(&issuer).await;
    let key = ProofKey::from_seed("app");
    let mut answer = issuer.active("items:read");
    answer["cnf"] = json!({ "jkt": key.jkt() });
    answer["token_type"] = json!("DPoP");
    issuer.introspection_says("opaque-bound", answer);
    let url = format!("{}/api/me", resource.url());
    let (error, _) = error_of(call(&url, "Bearer opaque-bound", None).await).await;
    assert_eq!(error, "invalid_token");
    let ok = call(
        &url,
        "DPoP opaque-bound",
        Some(&proof(&key, &url, "opaque-bound", "j1")),
    )
    .await;
    assert_eq!(ok.status(), 200);
}
