//! Pushed authorization requests (RFC 9126): the PAR endpoint judges and holds the request, the
//! authorization endpoint takes it by `request_uri` once, before it expires, for the client that
//! pushed it; issuers and clients may require it.

use std::time::Duration;

use axum::http::{StatusCode, header};
use mock_provider::{Config, IssuerConfig};
use serde_json::Value;

use crate::helpers::*;

fn provider_with(change: impl FnOnce(&mut IssuerConfig)) -> TestProvider {
    let mut issuer = issuer_config();
    change(&mut issuer);
    TestProvider::with(Config::single(issuer))
}

/// The authorization request `web` pushes, as `code_with` would send it, with `extra`.
fn request(extra: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    let mut params = vec![
        ("response_type", "code"),
        ("client_id", "web"),
        ("redirect_uri", CALLBACK),
        ("scope", "openid"),
        ("state", "pushed-state"),
        ("nonce", "pushed-nonce"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    for (name, value) in extra {
        params.retain(|(n, _)| n != name);
        params.push((name, value));
    }
    params
}

async fn push(p: &TestProvider, form: &[(&str, &str)]) -> TestResponse {
    p.post(
        "/par",
        form,
        &[(header::AUTHORIZATION, &basic("web", WEB_SECRET))],
    )
    .await
}

async fn pushed(p: &TestProvider) -> String {
    let response = push(p, &request(&[])).await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text());
    let body: Value = response.json();
    assert_eq!(body["expires_in"], 60);
    let uri = body["request_uri"].as_str().unwrap().to_owned();
    assert!(
        uri.starts_with("urn:ietf:params:oauth:request_uri:"),
        "{uri}"
    );
    uri
}

async fn authorize_with(p: &TestProvider, params: &[(&str, &str)]) -> TestResponse {
    p.get(&format!("/authorize?{}", encode(params))).await
}

#[tokio::test]
async fn a_pushed_request_is_taken_once_and_only_its_parameters_count() {
    let p = provider_with(|_| {});
    let uri = pushed(&p).await;
    // What the browser adds beside client_id and request_uri does not count.
    let response = authorize_with(
        &p,
        &[
            ("client_id", "web"),
            ("request_uri", &uri),
            ("state", "forged"),
        ],
    )
    .await;
    assert_eq!(response.status, StatusCode::FOUND, "{}", response.text());
    let params = response.redirect_params();
    assert_eq!(params["state"], "pushed-state");
    let tokens = p.redeem(&params["code"]).await;
    let (_, claims) = jwt_parts(tokens["id_token"].as_str().unwrap());
    assert_eq!(claims["nonce"], "pushed-nonce");
    let again = authorize_with(&p, &[("client_id", "web"), ("request_uri", &uri)]).await;
    assert!(again.assert_error_page().contains("used already"));
    let discovery = p.get("/.well-known/openid-configuration").await.json();
    assert_eq!(
        discovery["pushed_authorization_request_endpoint"],
        format!("{ISSUER}/par")
    );
    assert_eq!(discovery["require_pushed_authorization_requests"], false);
}

#[tokio::test]
async fn a_request_uri_expires_and_belongs_to_its_client() {
    let p = provider_with(|_| {});
    let uri = pushed(&p).await;
    let stolen = authorize_with(&p, &[("client_id", "spa"), ("request_uri", &uri)]).await;
    assert!(stolen.assert_error_page().contains("another client"));
    p.clock().advance(Duration::from_secs(61));
    let late = authorize_with(&p, &[("client_id", "web"), ("request_uri", &uri)]).await;
    assert!(late.assert_error_page().contains("expired"));
}

#[tokio::test]
async fn what_the_authorization_endpoint_would_refuse_is_refused_when_pushed() {
    let p = provider_with(|_| {});
    push(&p, &request(&[("request_uri", "urn:x")]))
        .await
        .assert_token_error(400, "invalid_request");
    push(&p, &request(&[("client_id", "other")]))
        .await
        .assert_token_error(400, "invalid_request");
    push(&p, &request(&[("redirect_uri", "http://evil.example/cb")]))
        .await
        .assert_token_error(400, "invalid_request");
    push(&p, &request(&[("response_type", "token")]))
        .await
        .assert_token_error(400, "unsupported_response_type");
    let wrong = p
        .post(
            "/par",
            &request(&[]),
            &[(header::AUTHORIZATION, &basic("web", "wrong-secret"))],
        )
        .await;
    wrong.assert_token_error(401, "invalid_client");
    // A public client names itself.
    let public = p.post("/par", &request(&[("client_id", "spa")]), &[]).await;
    assert_eq!(public.status, StatusCode::CREATED, "{}", public.text());
}

#[tokio::test]
async fn a_client_or_an_issuer_can_require_pushed_requests() {
    let p = provider_with(|issuer| {
        let web = issuer.clients.iter_mut().find(|c| c.client_id == "web");
        web.unwrap().require_pushed_authorization_requests = true;
    });
    let plain = authorize_with(&p, &request(&[])).await;
    assert_eq!(plain.status, StatusCode::FOUND);
    assert_eq!(plain.redirect_params()["error"], "invalid_request");
    let uri = pushed(&p).await;
    let ok = authorize_with(&p, &[("client_id", "web"), ("request_uri", &uri)]).await;
    assert!(ok.redirect_params().contains_key("code"));
    // spa is not required to.
    let spa = p.get(&authorize_path("spa", &[])).await;
    assert!(spa.redirect_params().contains_key("code"));
    let strict = provider_with(|issuer| issuer.require_pushed_authorization_requests = true);
    let refused = strict.get(&authorize_path("spa", &[])).await;
    assert_eq!(refused.redirect_params()["error"], "invalid_request");
    let discovery = strict.get("/.well-known/openid-configuration").await.json();
    assert_eq!(discovery["require_pushed_authorization_requests"], true);
}
