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
