//! RP-Initiated Logout 1.0.

use axum::http::{StatusCode, header};

use crate::helpers::*;

const POST_LOGOUT: &str = "http://127.0.0.1:8080/";

/// Logs alice in through `web`; returns her session cookie and ID token.
async fn logged_in(p: &TestProvider) -> (String, String) {
    let url = authorize_path("web", &[]);
    let response = p.get(&url).await;
    let cookie = response
        .header(header::SET_COOKIE)
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let tokens = p.redeem(&response.redirect_params()["code"]).await;
    (cookie, tokens["id_token"].as_str().unwrap().to_owned())
}

fn logout_url(params: &[(&str, &str)]) -> String {
    format!("/logout?{}", encode(params))
}

#[tokio::test]
async fn logout_ends_the_session_and_redirects_with_state() {
    let p = TestProvider::new();
    let (cookie, id_token) = logged_in(&p).await;
    let url = logout_url(&[
        ("id_token_hint", &id_token),
        ("post_logout_redirect_uri", POST_LOGOUT),
        ("state", "bye"),
    ]);
    let response = p.get_with(&url, &[(header::COOKIE, &cookie)]).await;
    assert_eq!(response.status, StatusCode::FOUND, "{}", response.text());
    assert_eq!(response.location(), "http://127.0.0.1:8080/?state=bye");
    assert!(
        response.header(header::SET_COOKIE).contains("Max-Age=0"),
        "the cookie is cleared"
    );
    // The session is gone: prompt=none now needs a login.
    let silent = authorize_path("web", &[("prompt", Some("none"))]);
    p.get_with(&silent, &[(header::COOKIE, &cookie)])
        .await
        .assert_error_redirect(CALLBACK, "login_required");
}

#[tokio::test]
async fn logout_by_post_works_and_answers_303() {
    let p = TestProvider::new();
    let (cookie, id_token) = logged_in(&p).await;
    let response = p
        .post(
            "/logout",
            &[
                ("id_token_hint", &id_token),
                ("post_logout_redirect_uri", POST_LOGOUT),
            ],
            &[(header::COOKIE, &cookie)],
        )
        .await;
    assert_eq!(response.status, StatusCode::SEE_OTHER);
    assert_eq!(response.location(), POST_LOGOUT, "no state, none echoed");
}

#[tokio::test]
async fn unregistered_or_altered_post_logout_uris_are_never_redirected_to() {
    let p = TestProvider::new();
    let (_, id_token) = logged_in(&p).await;
    for uri in [
        "https://attacker.example/",
        "http://127.0.0.1:8080/?foo=bar",
        "http://127.0.0.1:8080",
    ] {
        p.get(&logout_url(&[
            ("id_token_hint", &id_token),
            ("post_logout_redirect_uri", uri),
        ]))
        .await
        .assert_error_page();
    }
}

#[tokio::test]
async fn a_redirect_needs_a_hint_or_client_id_to_be_checked_against() {
    let p = TestProvider::new();
    p.get(&logout_url(&[("post_logout_redirect_uri", POST_LOGOUT)]))
        .await
        .assert_error_page();
    let by_client_id = p
        .get(&logout_url(&[
            ("client_id", "web"),
            ("post_logout_redirect_uri", POST_LOGOUT),
        ]))
        .await;
    assert_eq!(by_client_id.status, StatusCode::FOUND);
}

#[tokio::test]
async fn a_hint_this_provider_did_not_sign_is_refused() {
    let p = TestProvider::new();
    let (_, id_token) = logged_in(&p).await;
    let (head, payload_sig) = id_token.split_once('.').unwrap();
    let payload = payload_sig.split('.').next().unwrap();
    let alg_none = format!("eyJhbGciOiJub25lIn0.{payload}.");
    let tampered = format!("{head}.{payload}.AAAA");
    for hint in [alg_none, tampered] {
        p.get(&logout_url(&[
            ("id_token_hint", &hint),
            ("post_logout_redirect_uri", POST_LOGOUT),
        ]))
        .await
        .assert_error_page();
    }
}

#[tokio::test]
async fn an_expired_hint_is_still_accepted() {
    let p = TestProvider::new();
    let (_, id_token) = logged_in(&p).await;
    p.clock().advance(std::time::Duration::from_secs(7200));
    let response = p
        .get(&logout_url(&[
            ("id_token_hint", &id_token),
            ("post_logout_redirect_uri", POST_LOGOUT),
        ]))
        .await;
    assert_eq!(response.status, StatusCode::FOUND);
}

#[tokio::test]
async fn client_id_must_match_the_hints_audience() {
    let p = TestProvider::new();
    let (_, id_token) = logged_in(&p).await;
    p.get(&logout_url(&[
        ("id_token_hint", &id_token),
        ("client_id", "other"),
    ]))
    .await
    .assert_error_page();
}

#[tokio::test]
async fn logout_without_parameters_shows_a_signed_out_page() {
    let p = TestProvider::new();
    let response = p.get("/logout").await;
    assert_eq!(response.status, StatusCode::OK);
    assert!(response.text().contains("signed out"));
}
