//! OpenID Connect Back-Channel Logout 1.0: a session that ends tells each of its clients with a
//! `backchannel_logout_uri`, by a logout token posted to it, retried while it fails, journaled.

use std::time::Duration;

use axum::http::{StatusCode, header};
use fauxauth_core::journal::Filter;
use mock_provider::Scripted as _;
use mock_provider::{Config, IssuerConfig};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::helpers::*;

fn provider(uri: &str) -> TestProvider {
    let mut issuer: IssuerConfig = issuer_config();
    let web = issuer.clients.iter_mut().find(|c| c.client_id == "web");
    web.unwrap().backchannel_logout_uri = Some(uri.to_owned());
    TestProvider::with(Config::single(issuer))
}

/// Logs alice in to `web` and out again; the ID token she got.
async fn log_in_and_out(p: &TestProvider) -> String {
    let (cookie, id_token) = p.logged_in().await;
    let out = p
        .get_with(
            &format!("/logout?id_token_hint={id_token}"),
            &[(header::COOKIE, &cookie)],
        )
        .await;
    assert_eq!(out.status, StatusCode::OK, "{}", out.text());
    id_token
}

async fn received(server: &MockServer, count: usize) -> Vec<wiremock::Request> {
    for _ in 0..100 {
        let requests = server.received_requests().await.unwrap();
        if requests.len() >= count {
            return requests;
        }
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    panic!("fewer than {count} back-channel logout requests came");
}

#[tokio::test]
async fn the_end_of_a_session_posts_a_logout_token_to_its_client() {
    let rp = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/backchannel"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&rp)
        .await;
    let p = provider(&format!("{}/backchannel", rp.uri()));
    let id_token = log_in_and_out(&p).await;
    let requests = received(&rp, 1).await;
    let form: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(&requests[0].body)
            .into_owned()
            .collect();
    let (header, claims) = jwt_parts(&form["logout_token"]);
    assert_eq!(header["typ"], "logout+jwt");
    let (_, id_claims) = jwt_parts(&id_token);
    assert_eq!(claims["iss"], ISSUER);
    assert_eq!(claims["aud"], "web");
    assert_eq!(claims["sub"], "alice");
    assert_eq!(claims["sid"], id_claims["sid"]);
    assert_eq!(
        claims["events"],
        json!({ "http://schemas.openid.net/event/backchannel-logout": {} })
    );
    assert!(
        claims.get("nonce").is_none(),
        "a logout token never has a nonce"
    );
    assert!(claims["jti"].is_string() && claims["exp"].as_u64() > claims["iat"].as_u64());
    let journal = p.provider().journal().query(&Filter {
        endpoint: Some("backchannel_logout".into()),
        ..Default::default()
    });
    assert_eq!(journal.len(), 1);
    assert_eq!(journal[0].status, 200);
    assert_eq!(journal[0].client_id.as_deref(), Some("web"));
    let discovery = p.get("/.well-known/openid-configuration").await.json();
    assert_eq!(discovery["backchannel_logout_supported"], true);
    assert_eq!(discovery["backchannel_logout_session_supported"], true);
}

#[tokio::test]
async fn a_client_that_fails_is_tried_again() {
    let rp = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .mount(&rp)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&rp)
        .await;
    let p = provider(&format!("{}/bc", rp.uri()));
    log_in_and_out(&p).await;
    received(&rp, 2).await;
    // The journal has both attempts.
    for _ in 0..50 {
        let statuses: Vec<u16> = p
            .provider()
            .journal()
            .query(&Filter {
                endpoint: Some("backchannel_logout".into()),
                ..Default::default()
            })
            .iter()
            .map(|e| e.status)
            .collect();
        if statuses == [503, 204] {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the journal did not record both attempts");
}

#[tokio::test]
async fn ending_a_users_sessions_by_script_tells_their_clients_before_it_returns() {
    let rp = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&rp)
        .await;
    let p = provider(&format!("{}/bc", rp.uri()));
    let response = p
        .get(&authorize_path("web", &[("scope", Some("openid"))]))
        .await;
    assert_eq!(response.status, StatusCode::FOUND);
    assert_eq!(
        p.provider()
            .end_sessions("default", Some("bob"))
            .await
            .unwrap(),
        0
    );
    assert!(rp.received_requests().await.unwrap().is_empty());
    assert_eq!(
        p.provider()
            .end_sessions("default", Some("alice"))
            .await
            .unwrap(),
        1
    );
    // The first attempt was awaited: it has come.
    assert_eq!(rp.received_requests().await.unwrap().len(), 1);
}

/// Requests journaled as back-channel logout attempts: (status, rules fired).
fn attempts(p: &TestProvider) -> Vec<(u16, Vec<String>)> {
    p.provider()
        .journal()
        .query(&Filter {
            endpoint: Some("backchannel_logout".into()),
            ..Default::default()
        })
        .into_iter()
        .map(|e| (e.status, e.rules_fired))
        .collect()
}

/// The logout token of a request the client received.
fn logout_token(request: &wiremock::Request) -> String {
    url::form_urlencoded::parse(&request.body)
        .find(|(name, _)| name == "logout_token")
        .map(|(_, value)| value.into_owned())
        .expect("a logout_token")
}

async fn answering(status: u16) -> MockServer {
    let rp = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(status))
        .mount(&rp)
        .await;
    rp
}

#[tokio::test]
async fn a_rule_ends_the_session_of_the_person_a_request_is_for() {
    let rp = answering(200).await;
    let p = provider(&format!("{}/bc", rp.uri()));
    p.provider().add_rule(
        serde_json::from_value(json!({
            "id": "signed-out-elsewhere",
            "when": { "endpoint": "userinfo" },
            "then": ["end_session"]
        }))
        .unwrap(),
    );
    let tokens = p.tokens("openid").await;
    let access_token = tokens["access_token"].as_str().unwrap();
    assert!(rp.received_requests().await.unwrap().is_empty());
    let userinfo = p
        .get_with(
            "/userinfo",
            &[(header::AUTHORIZATION, &bearer(access_token))],
        )
        .await;
    // The request itself is answered as usual, after the client was told.
    assert_eq!(userinfo.status, StatusCode::OK, "{}", userinfo.text());
    let requests = rp.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1);
    assert_eq!(jwt_parts(&logout_token(&requests[0])).1["sub"], "alice");
    // The session is gone: nothing more to tell.
    assert_eq!(p.provider().end_sessions("default", None).await.unwrap(), 0);
}

#[tokio::test]
async fn moving_the_clock_through_the_admin_api_ends_the_sessions_it_outlives() {
    let rp = answering(200).await;
    let p = provider(&format!("{}/bc", rp.uri()));
    p.code("openid").await;
    let advance = |by: &str| {
        p.send(
            axum::http::Request::post("/_fauxauth/clock")
                .header(header::CONTENT_TYPE, "application/json")
                .body(axum::body::Body::from(json!({ "advance": by }).to_string()))
                .unwrap(),
        )
    };
    // Sessions last 24 hours.
    assert_eq!(advance("23h").await.status, StatusCode::OK);
    assert!(rp.received_requests().await.unwrap().is_empty());
    assert_eq!(advance("1h").await.status, StatusCode::OK);
    // Told before the clock's answer.
    let requests = rp.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1);
    let (_, claims) = jwt_parts(&logout_token(&requests[0]));
    assert_eq!(claims["aud"], "web");
    assert_eq!(attempts(&p), [(200, vec![])]);
    assert_eq!(advance("1h").await.status, StatusCode::OK);
    assert_eq!(rp.received_requests().await.unwrap().len(), 1, "told once");
}

#[tokio::test]
async fn a_session_that_ends_on_a_running_clock_is_told_when_it_ends() {
    let rp = answering(200).await;
    let mut issuer: IssuerConfig = issuer_config();
    issuer.lifetimes.session = Duration::from_secs(1);
    let web = issuer.clients.iter_mut().find(|c| c.client_id == "web");
    web.unwrap().backchannel_logout_uri = Some(format!("{}/bc", rp.uri()));
    let provider = mock_provider::Provider::new(
        &Config::single(issuer),
        ISSUER,
        mock_provider::Clock::system(),
    )
    .unwrap();
    let router = mock_provider::router(&provider);
    let response = tower::ServiceExt::oneshot(
        router,
        axum::http::Request::get(authorize_path("web", &[("scope", Some("openid"))]))
            .body(axum::body::Body::empty())
            .unwrap(),
    )
    .await
    .unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    // Nobody moves the clock: the provider finds the end itself, about a second on.
    received(&rp, 1).await;
    assert_eq!(provider.end_expired_sessions().await, 0, "already ended");
}

#[tokio::test]
async fn rules_change_delay_and_lose_logout_tokens() {
    let rp = answering(200).await;
    let p = provider(&format!("{}/bc", rp.uri()));
    for rule in [
        json!({
            "id": "lost",
            "when": { "endpoint": "backchannel_logout", "times": 1 },
            "then": ["drop_connection"]
        }),
        json!({
            "id": "unsigned",
            "when": { "endpoint": "backchannel_logout", "client_id": "web" },
            "then": [{ "token": { "target": "logout_token", "sign_with": "none" } }]
        }),
    ] {
        p.provider().add_rule(serde_json::from_value(rule).unwrap());
    }
    p.code("openid").await;
    p.provider().end_sessions("default", None).await.unwrap();
    // The first attempt never reached the client; the second, a moment later, did.
    let requests = received(&rp, 1).await;
    let (header, claims) = jwt_parts(&logout_token(&requests[0]));
    assert_eq!(header["alg"], "none");
    assert_eq!(claims["aud"], "web");
    for _ in 0..50 {
        if attempts(&p).len() == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        attempts(&p),
        [
            (0, vec!["lost".to_owned()]),
            (200, vec!["unsigned".to_owned()])
        ]
    );
    assert_eq!(rp.received_requests().await.unwrap().len(), 1);
}
