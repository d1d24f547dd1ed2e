//! The issuer's keys and metadata over HTTP: cached, refetched once for a rotated key,
//! rate-limited against made-up `kid`s, single-flight under concurrency.

use mock_resource::Scripted as _;
use std::time::Duration;

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::*;

#[tokio::test]
async fn metadata_and_keys_are_fetched_once_for_many_tokens() {
    let issuer = FakeIssuer::start().await;
    let resource = resource(&issuer, |_| {}).await;
    for _ in 0..5 {
        assert_eq!(
            get(&resource, "/api/me", &issuer.token("")).await.status(),
            200
        );
    }
    assert_eq!(issuer.requests_to(DISCOVERY).await, 1);
    assert_eq!(issuer.requests_to(JWKS).await, 1);
}

#[tokio::test]
async fn a_rotated_key_is_fetched_once_when_its_kid_first_appears() {
    let issuer = FakeIssuer::start().await;
    let resource = resource(&issuer, |_| {}).await;
    assert_eq!(
        get(&resource, "/api/me", &issuer.token("")).await.status(),
        200
    );
    assert_eq!(issuer.requests_to(JWKS).await, 1);

    let next = TestKey::es256("k2");
    issuer.publish(&next);
    let rotated = next.sign(&issuer.claims(""));
    for _ in 0..3 {
        assert_eq!(get(&resource, "/api/me", &rotated).await.status(), 200);
    }
    // Tokens under the old key still work from the renewed set.
    assert_eq!(
        get(&resource, "/api/me", &issuer.token("")).await.status(),
        200
    );
    assert_eq!(issuer.requests_to(JWKS).await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_unknown_kids_makes_at_most_one_refetch_per_interval() {
    let issuer = FakeIssuer::start().await;
    let resource = resource(&issuer, |c| {
        c.jwks_min_refetch_interval = Duration::from_secs(60);
    })
    .await;
    assert_eq!(
        get(&resource, "/api/me", &issuer.token("")).await.status(),
        200
    );

    let unknown = |i: usize| TestKey::es256(&format!("unknown-{i}")).sign(&issuer.claims(""));
    let burst: Vec<String> = (0..20).map(unknown).collect();
    let statuses = get_all_at_once(&format!("{}/api/me", resource.url()), &burst).await;
    assert!(statuses.iter().all(|s| *s == 401), "{statuses:?}");
    for i in 20..30 {
        let response = get(&resource, "/api/me", &unknown(i)).await;
        assert_invalid_token(response, &format!("kid 'unknown-{i}'")).await;
    }
    // The first load, and one refetch for the whole burst.
    assert_eq!(issuer.requests_to(JWKS).await, 2);

    resource.state().clock().advance(Duration::from_secs(60));
    let response = get(&resource, "/api/me", &unknown(99)).await;
    assert_eq!(response.status(), 401);
    assert_eq!(issuer.requests_to(JWKS).await, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_two_concurrent_requests_on_a_cold_cache_are_answered_rightly_with_one_fetch() {
    let issuer = FakeIssuer::start().await;
    let resource = resource(&issuer, |_| {}).await;
    let mut expired = issuer.claims("items:read");
    expired["exp"] = json!(at(-1));
    let cases: Vec<(String, u16)> = (0..32)
        .map(|i| match i % 4 {
            0 | 1 => (issuer.token("items:read"), 200),
            2 => (issuer.token("openid"), 403),
            _ => (issuer.key.sign(&expired), 401),
        })
        .collect();
    let tokens: Vec<String> = cases.iter().map(|(t, _)| t.clone()).collect();
    let statuses = get_all_at_once(&format!("{}/api/items", resource.url()), &tokens).await;
    let expected: Vec<u16> = cases.iter().map(|(_, s)| *s).collect();
    assert_eq!(statuses, expected);
    assert_eq!(issuer.requests_to(DISCOVERY).await, 1);
    assert_eq!(issuer.requests_to(JWKS).await, 1);
}

#[tokio::test]
async fn tokens_from_another_issuer_are_refused_whatever_their_kid() {
    let ours = FakeIssuer::start().await;
    let theirs = FakeIssuer::start().await; // its key is also called k1
    let resource = resource(&ours, |_| {}).await;
    let response = get(&resource, "/api/me", &theirs.token("")).await;
    assert_invalid_token(response, "signature does not verify").await;

    let other = TestKey::es256("theirs-2");
    theirs.publish(&other);
    let response = get(&resource, "/api/me", &other.sign(&theirs.claims(""))).await;
    assert_invalid_token(response, "no key in the issuer's JWKS has kid 'theirs-2'").await;
    // Only our issuer was ever asked.
    assert_eq!(theirs.requests_to(JWKS).await, 0);
    assert_eq!(theirs.requests_to(DISCOVERY).await, 0);
}

#[tokio::test]
async fn an_issuer_without_metadata_gives_503_and_is_not_asked_again_before_the_interval() {
    let silent = MockServer::start().await; // answers 404 to everything
    let mut config = mock_resource::Config::new(silent.uri());
    config.clock = mock_resource::Clock::frozen(now());
    let resource = mock_resource::spawn(config).await.unwrap();
    let token = TestKey::es256("k1").sign(&json!({}));
    for _ in 0..3 {
        let response = get(&resource, "/api/me", &token).await;
        assert_eq!(response.status(), 503);
        assert!(response.headers().get("www-authenticate").is_none());
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"], "temporarily_unavailable");
    }
    let asked: Vec<String> = silent
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.url.path().to_owned())
        .collect();
    // OpenID discovery, then the RFC 8414 location, once.
    assert_eq!(
        asked,
        [DISCOVERY, "/.well-known/oauth-authorization-server"]
    );
}

#[tokio::test]
async fn metadata_is_found_at_the_rfc_8414_location_when_openid_discovery_is_absent() {
    let server = MockServer::start().await;
    let url = server.uri();
    let key = TestKey::eddsa("ed");
    Mock::given(method("GET"))
        .and(path("/.well-known/oauth-authorization-server"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"issuer": url, "jwks_uri": format!("{url}/keys")})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/keys"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"keys": [key.jwk()]})))
        .mount(&server)
        .await;
    let mut config = mock_resource::Config::new(url.clone());
    config.clock = mock_resource::Clock::frozen(now());
    let resource = mock_resource::spawn(config).await.unwrap();
    let claims = json!({"iss": url, "aud": "api", "sub": "s", "exp": at(60)});
    assert_eq!(
        get(&resource, "/api/me", &key.sign(&claims)).await.status(),
        200
    );
}

#[tokio::test]
async fn metadata_naming_another_issuer_is_not_trusted() {
    let server = MockServer::start().await;
    let impostor = TestKey::es256("k1");
    Mock::given(method("GET"))
        .and(path(DISCOVERY))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "issuer": "http://127.0.0.1:1",
            "jwks_uri": format!("{}{JWKS}", server.uri()),
        })))
        .mount(&server)
        .await;
    let mut config = mock_resource::Config::new(server.uri());
    config.clock = mock_resource::Clock::frozen(now());
    let resource = mock_resource::spawn(config).await.unwrap();
    let claims = json!({"iss": server.uri(), "aud": "api", "exp": at(60)});
    let response = get(&resource, "/api/me", &impostor.sign(&claims)).await;
    assert_eq!(response.status(), 503);
    // The keys of an issuer that is not ours were never fetched.
    let asked = server.received_requests().await.unwrap();
    assert!(asked.iter().all(|r| r.url.path() != JWKS));
}
