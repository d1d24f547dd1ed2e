//! JWT mode: what is accepted, and every reason a token is refused (RFC 9068 §4, RFC 8725).

use mock_resource::Scripted as _;
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn a_valid_token_reaches_api_me_with_its_subject_scope_and_client() {
    let issuer = FakeIssuer::start().await;
    let resource = resource(&issuer, |_| {}).await;
    let response = get(&resource, "/api/me", &issuer.token("items:read")).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["sub"], "alice");
    assert_eq!(body["client_id"], "web");
    assert_eq!(body["scope"], "items:read");
    assert_eq!(body["mode"], "jwt");
    assert_eq!(body["claims"]["jti"], "jti-1");
    // No openid scope: the issuer's user data is not asked for.
    assert_eq!(body["userinfo"], Value::Null);
}

#[tokio::test]
async fn rs256_and_eddsa_tokens_verify_as_well_as_es256() {
    let issuer = FakeIssuer::start().await;
    let rsa = TestKey::rs256("rsa");
    let ed = TestKey::eddsa("ed");
    issuer.publish(&rsa);
    issuer.publish(&ed);
    let resource = resource(&issuer, |_| {}).await;
    for key in [&rsa, &ed, &issuer.key] {
        let response = get(&resource, "/api/me", &key.sign(&issuer.claims(""))).await;
        assert_eq!(response.status(), 200, "{}", key.alg);
    }
}

#[tokio::test]
async fn a_token_is_refused_once_the_clock_passes_its_exp() {
    let issuer = FakeIssuer::start().await;
    let resource = resource(&issuer, |_| {}).await;
    let token = issuer.token("");
    assert_eq!(get(&resource, "/api/me", &token).await.status(), 200);
    resource
        .state()
        .clock()
        .advance(std::time::Duration::from_secs(600));
    assert_invalid_token(get(&resource, "/api/me", &token).await, "expired 0s ago").await;
}

#[tokio::test]
async fn a_token_expired_within_the_leeway_is_accepted_and_beyond_it_refused() {
    let issuer = FakeIssuer::start().await;
    let resource = resource(&issuer, |c| c.leeway = std::time::Duration::from_secs(30)).await;
    let mut claims = issuer.claims("");
    claims["exp"] = json!(at(-29));
    let within = issuer.key.sign(&claims);
    assert_eq!(get(&resource, "/api/me", &within).await.status(), 200);
    claims["exp"] = json!(at(-30));
    let beyond = issuer.key.sign(&claims);
    assert_invalid_token(get(&resource, "/api/me", &beyond).await, "expired 30s ago").await;
}

#[tokio::test]
async fn a_token_whose_nbf_is_in_the_future_is_refused() {
    let issuer = FakeIssuer::start().await;
    let resource = resource(&issuer, |_| {}).await;
    let mut claims = issuer.claims("");
    claims["nbf"] = json!(at(60));
    let response = get(&resource, "/api/me", &issuer.key.sign(&claims)).await;
    assert_invalid_token(response, "not valid for another 60s").await;
}

#[tokio::test]
async fn a_token_issued_far_in_the_future_is_refused() {
    let issuer = FakeIssuer::start().await;
    let resource = resource(&issuer, |_| {}).await;
    let mut claims = issuer.claims("");
    claims["iat"] = json!(at(3600));
    claims["exp"] = json!(at(7200));
    let response = get(&resource, "/api/me", &issuer.key.sign(&claims)).await;
    assert_invalid_token(response, "issued 3600s in the future").await;
}

#[tokio::test]
async fn a_token_for_another_audience_or_none_is_refused() {
    let issuer = FakeIssuer::start().await;
    let resource = resource(&issuer, |_| {}).await;
    let mut claims = issuer.claims("");
    claims["aud"] = json!(["billing", "reports"]);
    let response = get(&resource, "/api/me", &issuer.key.sign(&claims)).await;
    assert_invalid_token(response, "for audience 'billing reports', not 'api'").await;
    claims.as_object_mut().unwrap().remove("aud");
    let response = get(&resource, "/api/me", &issuer.key.sign(&claims)).await;
    assert_invalid_token(response, "has no aud claim").await;
}

#[tokio::test]
async fn a_token_naming_another_issuer_is_refused_even_with_a_trusted_signature() {
    let issuer = FakeIssuer::start().await;
    let resource = resource(&issuer, |_| {}).await;
    let mut claims = issuer.claims("");
    claims["iss"] = json!("http://127.0.0.1:1");
    let response = get(&resource, "/api/me", &issuer.key.sign(&claims)).await;
    assert_invalid_token(response, "issued by 'http://127.0.0.1:1'").await;
}

#[tokio::test]
async fn an_id_token_presented_as_an_access_token_is_refused_for_its_typ() {
    let issuer = FakeIssuer::start().await;
    let resource = resource(&issuer, |_| {}).await;
    let mut claims = issuer.claims("");
    claims["aud"] = json!("api"); // even an ID token whose aud happens to fit
    claims["nonce"] = json!("n-1");
    let mut header = issuer.key.header();
    header["typ"] = json!("JWT");
    let id_token = issuer.key.sign_with_header(&header, &claims);
    let response = get(&resource, "/api/me", &id_token).await;
    assert_invalid_token(response, "typ is 'JWT', not at+jwt").await;
}

#[tokio::test]
async fn a_plain_jwt_typ_is_accepted_when_at_jwt_is_not_required() {
    let issuer = FakeIssuer::start().await;
    let resource = resource(&issuer, |c| c.require_at_jwt = false).await;
    let mut header = issuer.key.header();
    header["typ"] = json!("JWT");
    let token = issuer.key.sign_with_header(&header, &issuer.claims(""));
    assert_eq!(get(&resource, "/api/me", &token).await.status(), 200);
}

#[tokio::test]
async fn an_unsigned_token_with_alg_none_is_refused() {
    let issuer = FakeIssuer::start().await;
    let resource = resource(&issuer, |_| {}).await;
    let header = json!({"alg": "none", "typ": "at+jwt", "kid": "k1"});
    let token = format!("{}.", signing_input(&header, &issuer.claims("")));
    assert_invalid_token(get(&resource, "/api/me", &token).await, "alg none").await;
}

#[tokio::test]
async fn an_hs256_token_keyed_with_the_public_key_is_refused() {
    let issuer = FakeIssuer::start().await;
    let resource = resource(&issuer, |_| {}).await;
    // The classic confusion: HMAC keyed with the public key the attacker downloaded.
    let public = issuer.key.jwk().to_string();
    let header = json!({"alg": "HS256", "typ": "at+jwt", "kid": "k1"});
    let token = hs256(public.as_bytes(), &header, &issuer.claims(""));
    assert_invalid_token(get(&resource, "/api/me", &token).await, "HMAC").await;
}

#[tokio::test]
async fn an_algorithm_outside_the_allow_list_is_refused() {
    let issuer = FakeIssuer::start().await;
    let resource = resource(&issuer, |c| {
        c.allowed_algs = vec![mock_resource::Alg::RS256]
    })
    .await;
    let response = get(&resource, "/api/me", &issuer.token("")).await;
    assert_invalid_token(response, "alg 'ES256' is not allowed").await;
}

#[tokio::test]
async fn a_token_whose_alg_differs_from_its_keys_pinned_alg_is_refused() {
    let issuer = FakeIssuer::start().await;
    let resource = resource(&issuer, |_| {}).await;
    // An EdDSA signature presented under the kid of the issuer's ES256 key.
    let attacker = TestKey::eddsa("k1");
    let token = attacker.sign(&issuer.claims(""));
    let response = get(&resource, "/api/me", &token).await;
    assert_invalid_token(response, "says alg EdDSA but its key is for ES256").await;
}

#[tokio::test]
async fn tokens_bringing_their_own_key_by_jwk_jku_or_x5u_are_refused() {
    let issuer = FakeIssuer::start().await;
    let resource = resource(&issuer, |_| {}).await;
    let attacker = TestKey::es256("k1");
    for (member, value) in [
        ("jwk", attacker.jwk()),
        ("jku", json!(format!("{}/evil-jwks", issuer.url()))),
        ("x5u", json!(format!("{}/evil.pem", issuer.url()))),
    ] {
        let mut header = attacker.header();
        header[member] = value;
        let token = attacker.sign_with_header(&header, &issuer.claims(""));
        let response = get(&resource, "/api/me", &token).await;
        assert_invalid_token(response, &format!("header carries {member}")).await;
    }
    // Nothing was fetched from where the tokens pointed.
    assert_eq!(issuer.requests_to("/evil-jwks").await, 0);
}

#[tokio::test]
async fn a_token_signed_by_an_unpublished_key_under_a_known_kid_is_refused() {
    let issuer = FakeIssuer::start().await;
    let resource = resource(&issuer, |_| {}).await;
    let forged = TestKey::es256("k1").sign(&issuer.claims(""));
    let response = get(&resource, "/api/me", &forged).await;
    assert_invalid_token(response, "signature does not verify").await;
}

#[tokio::test]
async fn a_token_with_claims_changed_after_signing_is_refused() {
    let issuer = FakeIssuer::start().await;
    let resource = resource(&issuer, |_| {}).await;
    let token = issuer.token("items:read");
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let mut elevated = issuer.claims("items:read items:write");
    elevated["sub"] = json!("admin");
    parts[1] = signing_input(&json!({}), &elevated)
        .split('.')
        .nth(1)
        .unwrap()
        .to_owned();
    let response = get(&resource, "/api/me", &parts.join(".")).await;
    assert_invalid_token(response, "signature does not verify").await;
}

#[tokio::test]
async fn an_opaque_token_is_not_a_jwt() {
    let issuer = FakeIssuer::start().await;
    let resource = resource(&issuer, |_| {}).await;
    let response = get(&resource, "/api/me", "2YotnFZFEjr1zCsicMWpAA").await;
    assert_invalid_token(response, "not a JWT").await;
}
