//! A misbehaving provider: 500s, timeouts, HTML error pages, wrong content types, missing
//! fields, a GitHub-style 200 carrying an error. Each ends on an error page that says what
//! happened, with no session and no panic (the client keeps serving).

use std::time::Duration;

use sample_client::Check;
use serde_json::json;
use wiremock::ResponseTemplate;

use crate::helpers::*;

fn html(status: u16) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(
        "<html><body><h1>Something went wrong</h1></body></html>",
        "text/html",
    )
}

/// Logs in against a token endpoint answering `answer`; checks the refusal and that the client
/// is unharmed; returns the page.
async fn login_with_token_answer(answer: ResponseTemplate, check: Check) -> Page {
    // A short deadline for the timeout case; nothing else comes near it.
    let world = World::with(|c| c.timeout = Duration::from_secs(2)).await;
    world.provider.override_with("POST", TOKEN, answer).await;
    let page = world.login().await;
    page.assert_refused(check);
    assert!(!world.is_logged_in().await);
    page
}

#[tokio::test]
async fn a_token_endpoint_500_html_page_is_reported_with_its_status() {
    let page = login_with_token_answer(html(500), Check::TokenEndpointFailed).await;
    assert!(
        page.body.contains("answered HTTP 500 with text/html"),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn a_token_endpoint_that_times_out_is_reported() {
    let slow = ResponseTemplate::new(200)
        .set_body_json(json!({}))
        .set_delay(Duration::from_secs(30));
    let page = login_with_token_answer(slow, Check::TokenEndpointFailed).await;
    assert!(page.body.contains("no answer within"), "{}", page.body);
}

#[tokio::test]
async fn a_token_endpoint_answering_html_with_200_is_not_a_token_response() {
    let page = login_with_token_answer(html(200), Check::TokenResponseInvalid).await;
    assert!(
        page.body.contains("text/html where JSON was expected"),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn a_github_style_200_carrying_an_error_is_a_refusal() {
    let github = ResponseTemplate::new(200).set_body_json(json!({
        "error": "bad_verification_code",
        "error_description": "The code passed is incorrect or expired.",
        "error_uri": "https://docs.github.com/apps/troubleshooting",
    }));
    let page = login_with_token_answer(github, Check::TokenError).await;
    assert!(page.body.contains("bad_verification_code"), "{}", page.body);
}

#[tokio::test]
async fn an_rfc_error_is_reported_with_its_code_and_description() {
    let refused = ResponseTemplate::new(400).set_body_json(json!({
        "error": "invalid_grant", "error_description": "the code has expired",
    }));
    let page = login_with_token_answer(refused, Check::TokenError).await;
    assert!(page.body.contains("invalid_grant"), "{}", page.body);
    assert!(page.body.contains("the code has expired"), "{}", page.body);
}

#[tokio::test]
async fn a_token_response_missing_a_field_names_it() {
    let partial = ResponseTemplate::new(200).set_body_json(json!({"token_type": "Bearer"}));
    let page = login_with_token_answer(partial, Check::TokenResponseInvalid).await;
    assert!(page.body.contains("access_token"), "{}", page.body);
}

#[tokio::test]
async fn a_malformed_id_token_is_reported_as_such() {
    let garbage = ResponseTemplate::new(200).set_body_json(json!({
        "access_token": "a", "token_type": "Bearer", "id_token": "not-a-jwt",
    }));
    login_with_token_answer(garbage, Check::IdTokenMalformed).await;
}

#[tokio::test]
async fn an_unreachable_token_endpoint_is_reported() {
    let world = World::start().await;
    let mut metadata = metadata(&world.provider.url());
    // A port nothing listens on: this test's own, freed.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    metadata["token_endpoint"] = json!(format!("http://127.0.0.1:{port}/token"));
    world
        .provider
        .override_with(
            "GET",
            DISCOVERY,
            ResponseTemplate::new(200).set_body_json(metadata),
        )
        .await;
    let page = world.login().await;
    page.assert_refused(Check::TokenEndpointFailed);
    assert!(page.body.contains("could not connect"), "{}", page.body);
}

#[tokio::test]
async fn a_failing_discovery_is_reported_and_tried_again_next_time() {
    let world = World::start().await;
    wiremock::Mock::given(wiremock::matchers::path(DISCOVERY))
        .respond_with(html(500))
        .with_priority(1)
        .up_to_n_times(1)
        .mount(&world.provider.server)
        .await;
    let page = world.browser.open(&world.url("/login")).await;
    page.assert_refused(Check::Discovery);
    assert!(page.body.contains("HTTP 500"), "{}", page.body);
    world.logged_in().await;
}

#[tokio::test]
async fn discovery_naming_another_issuer_is_refused() {
    let world = World::start().await;
    let mut metadata = metadata(&world.provider.url());
    metadata["issuer"] = json!("http://attacker.example");
    world
        .provider
        .override_with(
            "GET",
            DISCOVERY,
            ResponseTemplate::new(200).set_body_json(metadata),
        )
        .await;
    let page = world.browser.open(&world.url("/login")).await;
    page.assert_refused(Check::Discovery);
    assert!(page.body.contains("attacker.example"), "{}", page.body);
}

#[tokio::test]
async fn discovery_missing_fields_is_refused() {
    let world = World::start().await;
    world
        .provider
        .override_with(
            "GET",
            DISCOVERY,
            ResponseTemplate::new(200).set_body_json(json!({"issuer": world.provider.url()})),
        )
        .await;
    let page = world.browser.open(&world.url("/login")).await;
    page.assert_refused(Check::Discovery);
    assert!(page.body.contains("malformed"), "{}", page.body);
}

#[tokio::test]
async fn a_jwks_outage_is_reported() {
    let world = World::start().await;
    world.provider.override_with("GET", JWKS, html(503)).await;
    let page = world.browser.open(&world.url("/login")).await;
    page.assert_refused(Check::Discovery);
}

#[tokio::test]
async fn a_jwks_outage_at_refetch_is_reported() {
    let world = World::start().await;
    world.provider.set_faults(|f| f.signer = Signer::Rogue);
    let authorize = world.start_login().await;
    world.provider.override_with("GET", JWKS, html(503)).await;
    let query = world.provider.authorize(&authorize, "alice");
    let page = world.callback(&query).await;
    page.assert_refused(Check::Discovery);
    assert!(page.body.contains("JWKS"), "{}", page.body);
    assert!(!world.is_logged_in().await);
}

#[tokio::test]
async fn a_failing_userinfo_endpoint_logs_no_one_in() {
    for (answer, says) in [
        (html(500), "HTTP 500"),
        (
            ResponseTemplate::new(401)
                .insert_header("www-authenticate", r#"Bearer error="invalid_token""#)
                .set_body_json(json!({"error": "invalid_token"})),
            "invalid_token",
        ),
        (html(200), "text/html"),
        (
            ResponseTemplate::new(200).set_body_json(json!({"name": "no sub"})),
            "sub",
        ),
    ] {
        let world = World::start().await;
        world.provider.override_with("GET", USERINFO, answer).await;
        let page = world.login().await;
        page.assert_refused(Check::UserinfoFailed);
        assert!(page.body.contains(says), "{says}: {}", page.body);
        assert!(!world.is_logged_in().await);
    }
}

#[tokio::test]
async fn a_resource_failing_is_reported_and_the_login_kept() {
    let world = World::start().await;
    world.logged_in().await;
    world.resource.server.reset().await;
    wiremock::Mock::given(wiremock::matchers::path(API_ME))
        .respond_with(html(502))
        .mount(&world.resource.server)
        .await;
    let page = world.me().await;
    page.assert_refused(Check::ResourceFailed);
    assert!(page.body.contains("HTTP 502"), "{}", page.body);
    assert!(world.is_logged_in().await);
}

#[tokio::test]
async fn a_huge_answer_is_refused() {
    let huge = ResponseTemplate::new(200).set_body_raw(
        format!("{{\"access_token\":\"{}\"}}", "a".repeat(2 << 20)),
        "application/json",
    );
    let page = login_with_token_answer(huge, Check::TokenResponseInvalid).await;
    assert!(page.body.contains("more than"), "{}", page.body);
}
