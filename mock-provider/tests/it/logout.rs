//! RP-Initiated Logout 1.0.

use axum::http::{StatusCode, header};

use crate::helpers::*;

const POST_LOGOUT: &str = "http://127.0.0.1:8080/";

fn logout_url(params: &[(&str, &str)]) -> String {
    format!("/logout?{}", encode(params))
}

#[tokio::test]
async fn logout_ends_the_session_and_redirects_with_state() {
    let p = TestProvider::new();
    let (cookie, id_token) = p.logged_in().await;
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
    let (cookie, id_token) = p.logged_in().await;
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
    let (_, id_token) = p.logged_in().await;
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
    let (_, id_token) = p.logged_in().await;
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
    let (_, id_token) = p.logged_in().await;
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
    let (_, id_token) = p.logged_in().await;
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

/// The value of hidden input `name` in a page.
fn hidden(page: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = page
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in {page}"))
        + marker.len();
    page[start..].split('"').next().unwrap().to_owned()
}

#[tokio::test]
async fn logout_without_a_hint_of_the_session_asks_before_ending_it() {
    // RP-Initiated Logout 1.0 §2: the OP MUST ask when no id_token_hint names this session, so
    // a link on another site cannot sign the person out.
    let p = TestProvider::new();
    let (cookie, _) = p.logged_in().await;
    let session = [(header::COOKIE, cookie.as_str())];
    let (other_cookie, other_token) = p.logged_in().await;
    let silent = authorize_path("web", &[("prompt", Some("none"))]);
    for url in [
        "/logout".to_owned(),
        logout_url(&[
            ("client_id", "web"),
            ("post_logout_redirect_uri", POST_LOGOUT),
        ]),
        // An ID token of another session of the same user does not name this one.
        logout_url(&[("id_token_hint", &other_token)]),
    ] {
        let asked = p.get_with(&url, &session).await;
        assert_eq!(asked.status, StatusCode::OK, "{url}");
        assert!(asked.text().contains("Sign out?"), "{url}");
        assert!(!asked.header(header::SET_COOKIE).contains("Max-Age=0"));
        let still = p.get_with(&silent, &session).await;
        assert!(
            still.redirect_params().contains_key("code"),
            "{url}: not ended"
        );
    }
    let page = p
        .get_with(
            &logout_url(&[
                ("client_id", "web"),
                ("post_logout_redirect_uri", POST_LOGOUT),
                ("state", "s"),
            ]),
            &session,
        )
        .await
        .text();
    let confirm = hidden(&page, "confirm");
    // A forged confirmation, or one posted by another site, ends nothing.
    for (value, origin) in [
        ("guess", None),
        (confirm.as_str(), Some("http://attacker.example")),
    ] {
        let mut headers = session.to_vec();
        if let Some(origin) = origin {
            headers.push((header::ORIGIN, origin));
        }
        let refused = p
            .post(
                "/logout",
                &[("confirm", value), ("client_id", "web")],
                &headers,
            )
            .await;
        assert!(refused.location().is_empty(), "{value} {origin:?}");
        let still = p.get_with(&silent, &session).await;
        assert!(still.redirect_params().contains_key("code"));
    }
    // "Stay signed in" keeps the session.
    let stay = p
        .post(
            "/logout",
            &[("confirm", &confirm), ("decision", "stay")],
            &session,
        )
        .await;
    assert!(stay.text().contains("Still signed in"));
    // The person's own confirmation ends it, and goes where the request said.
    let confirmed = p
        .post(
            "/logout",
            &[
                ("confirm", &confirm),
                ("decision", "logout"),
                ("client_id", &hidden(&page, "client_id")),
                (
                    "post_logout_redirect_uri",
                    &hidden(&page, "post_logout_redirect_uri"),
                ),
                ("state", &hidden(&page, "state")),
            ],
            &session,
        )
        .await;
    assert_eq!(
        confirmed.status,
        StatusCode::SEE_OTHER,
        "{}",
        confirmed.text()
    );
    assert_eq!(confirmed.location(), "http://127.0.0.1:8080/?state=s");
    p.get_with(&silent, &session)
        .await
        .assert_error_redirect(CALLBACK, "login_required");
    // The other session was never touched.
    let other = p
        .get_with(&silent, &[(header::COOKIE, &other_cookie)])
        .await;
    assert!(other.redirect_params().contains_key("code"));
}
