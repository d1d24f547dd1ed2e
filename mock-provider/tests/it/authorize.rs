//! The authorization endpoint: RFC 6749 §4.1.1–4.1.2, RFC 7636, RFC 9207, OIDC Core §3.1.2.

use axum::http::{StatusCode, header};
use mock_provider::Scripted as _;
use mock_provider::{Config, LoginMode};

use crate::helpers::*;

fn authorize_url(params: &[(&str, &str)]) -> String {
    format!("/authorize?{}", encode(params))
}

fn base() -> Vec<(&'static str, &'static str)> {
    vec![
        ("response_type", "code"),
        ("client_id", "web"),
        ("redirect_uri", CALLBACK),
        ("scope", "openid"),
        ("state", "s-123"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ]
}

fn with(changes: &[(&'static str, Option<&'static str>)]) -> Vec<(&'static str, &'static str)> {
    let mut params = base();
    for (name, value) in changes {
        params.retain(|(n, _)| n != name);
        if let Some(v) = value {
            params.push((name, v));
        }
    }
    params
}

#[tokio::test]
async fn success_redirects_to_the_exact_uri_with_code_state_and_iss() {
    let p = TestProvider::new();
    let response = p.get(&authorize_url(&base())).await;
    assert_eq!(response.status, StatusCode::FOUND);
    assert!(
        response
            .location()
            .starts_with(&format!("{CALLBACK}?code="))
    );
    let params = response.redirect_params();
    assert_eq!(params["state"], "s-123");
    assert_eq!(params["iss"], ISSUER);
    assert!(!params.contains_key("access_token") && !params.contains_key("id_token"));
    assert!(response.header(header::SET_COOKIE).contains("HttpOnly"));
}

#[tokio::test]
async fn codes_are_256_bit_url_safe_and_unique() {
    let p = TestProvider::new();
    let mut seen = std::collections::HashSet::new();
    for _ in 0..50 {
        let code = p.code("openid").await;
        assert_eq!(code.len(), 43, "{code}");
        assert!(
            code.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert!(seen.insert(code));
    }
}

#[tokio::test]
async fn unknown_or_missing_client_gets_a_page_not_a_redirect() {
    let p = TestProvider::new();
    let page = p
        .get(&authorize_url(&with(&[("client_id", Some("nobody"))])))
        .await
        .assert_error_page();
    assert!(page.contains("nobody"), "{page}");
    p.get(&authorize_url(&with(&[("client_id", None)])))
        .await
        .assert_error_page();
}

#[tokio::test]
async fn unregistered_redirect_uri_gets_a_page_for_every_near_miss() {
    let p = TestProvider::new();
    for uri in [
        "https://attacker.example/callback",
        "http://127.0.0.1:8080/callback/",
        "http://127.0.0.1:8080/Callback",
        "http://127.0.0.1:8080/callback?foo=bar",
        "http://127.0.0.1:8080/callback#x",
        "http://localhost:8080/callback",
        "http://127.0.0.1:8080/callback/../callback",
        "http://127.0.0.1:8080@evil.example/callback",
        "http://127.0.0.1:8080/%63allback",
    ] {
        let params = with(&[("redirect_uri", None)]);
        let mut params: Vec<(&str, &str)> = params;
        params.push(("redirect_uri", uri));
        let response = p.get(&authorize_url(&params)).await;
        response.assert_error_page();
    }
}

#[tokio::test]
async fn loopback_redirect_uri_may_change_only_its_port() {
    let p = TestProvider::new();
    let mut params = with(&[("redirect_uri", None)]);
    params.push(("redirect_uri", "http://127.0.0.1:51004/callback"));
    let response = p.get(&authorize_url(&params)).await;
    assert_eq!(response.status, StatusCode::FOUND, "{}", response.text());
    assert!(
        response
            .location()
            .starts_with("http://127.0.0.1:51004/callback?code=")
    );
}

#[tokio::test]
async fn missing_redirect_uri_is_a_page_when_several_are_registered() {
    let p = TestProvider::new();
    p.get(&authorize_url(&with(&[("redirect_uri", None)])))
        .await
        .assert_error_page();
}

#[tokio::test]
async fn missing_redirect_uri_with_one_registered_is_allowed_for_oauth_only() {
    let p = TestProvider::new();
    let spa = |scope| {
        vec![
            ("response_type", "code"),
            ("client_id", "spa"),
            ("scope", scope),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ]
    };
    let response = p.get(&authorize_url(&spa("profile"))).await;
    assert_eq!(response.status, StatusCode::FOUND, "{}", response.text());
    assert!(response.location().starts_with(CALLBACK));
    // OIDC Core §3.1.2.1: redirect_uri is REQUIRED in an OpenID Connect request.
    p.get(&authorize_url(&spa("openid")))
        .await
        .assert_error_page();
}

#[tokio::test]
async fn registered_query_is_kept_when_the_code_is_added() {
    let mut issuer = issuer_config();
    issuer.clients[0]
        .redirect_uris
        .push("http://127.0.0.1:8080/cb?tenant=a".into());
    let p = TestProvider::with(Config::single(issuer));
    let mut params = with(&[("redirect_uri", None)]);
    params.push(("redirect_uri", "http://127.0.0.1:8080/cb?tenant=a"));
    let response = p.get(&authorize_url(&params)).await;
    assert!(
        response
            .location()
            .starts_with("http://127.0.0.1:8080/cb?tenant=a&code="),
        "{}",
        response.location()
    );
    // A different query value is a different URI.
    let mut params = with(&[("redirect_uri", None)]);
    params.push(("redirect_uri", "http://127.0.0.1:8080/cb?tenant=b"));
    p.get(&authorize_url(&params)).await.assert_error_page();
}

#[tokio::test]
async fn missing_response_type_redirects_invalid_request_with_state() {
    let p = TestProvider::new();
    let params = p
        .get(&authorize_url(&with(&[("response_type", None)])))
        .await
        .assert_error_redirect(CALLBACK, "invalid_request");
    assert_eq!(params["state"], "s-123");
    assert!(params["error_description"].contains("response_type"));
}

#[tokio::test]
async fn implicit_and_hybrid_response_types_are_unsupported() {
    let p = TestProvider::new();
    for rt in ["token", "id_token", "code id_token", "code token"] {
        let mut params = with(&[("response_type", None)]);
        params.push(("response_type", rt));
        let response = p.get(&authorize_url(&params)).await;
        let params = response.assert_error_redirect(CALLBACK, "unsupported_response_type");
        assert!(!response.location().contains('#'), "nothing in a fragment");
        assert!(!params.contains_key("code"));
    }
}

#[tokio::test]
async fn unknown_or_unallowed_scope_is_invalid_scope() {
    let p = TestProvider::new();
    p.get(&authorize_url(&with(&[(
        "scope",
        Some("openid unknown_scope"),
    )])))
    .await
    .assert_error_redirect(CALLBACK, "invalid_scope");
    // `phone` is an OpenID scope the issuer knows, but `web` is not allowed it.
    let params = p
        .get(&authorize_url(&with(&[("scope", Some("openid phone"))])))
        .await
        .assert_error_redirect(CALLBACK, "invalid_scope");
    assert!(params["error_description"].contains("phone"));
}

#[tokio::test]
async fn scope_order_and_unknown_parameters_do_not_matter() {
    let p = TestProvider::new();
    let code = p
        .code_with(&[("scope", "email profile openid"), ("extra", "foobar")])
        .await;
    let tokens = p.redeem(&code).await;
    assert_eq!(tokens["scope"], "email profile openid");
}

#[tokio::test]
async fn repeated_parameters_are_invalid_request() {
    let p = TestProvider::new();
    let mut params = base();
    params.push(("state", "second"));
    let response = p.get(&authorize_url(&params)).await;
    let params = response.assert_error_redirect(CALLBACK, "invalid_request");
    assert!(params["error_description"].contains("state"));
    assert!(
        !params.contains_key("state"),
        "an ambiguous state is not echoed"
    );
    // A repeated client_id or redirect_uri cannot be trusted: a page.
    let mut params = base();
    params.push(("redirect_uri", OTHER_CALLBACK));
    p.get(&authorize_url(&params)).await.assert_error_page();
}

#[tokio::test]
async fn empty_state_and_nonce_are_treated_as_omitted() {
    let p = TestProvider::new();
    let response = p
        .get(&authorize_url(&with(&[
            ("state", Some("")),
            ("nonce", Some("")),
        ])))
        .await;
    let params = response.redirect_params();
    assert!(!params.contains_key("state"), "{params:?}");
    let tokens = p.redeem(&params["code"]).await;
    let (_, claims) = jwt_parts(tokens["id_token"].as_str().unwrap());
    assert!(claims.get("nonce").is_none(), "{claims}");
}

#[tokio::test]
async fn long_state_with_special_characters_is_echoed_exactly() {
    let p = TestProvider::new();
    let state = format!("{}&=+/ é%?", "x".repeat(1500));
    let mut params = with(&[("state", None)]);
    params.push(("state", &state));
    let response = p.get(&authorize_url(&params)).await;
    assert_eq!(response.redirect_params()["state"], state);
}

#[tokio::test]
async fn post_authorization_request_works_like_get_and_answers_303() {
    let p = TestProvider::new();
    let response = p.post("/authorize", &base(), &[]).await;
    assert_eq!(
        response.status,
        StatusCode::SEE_OTHER,
        "{}",
        response.text()
    );
    assert!(response.redirect_params().contains_key("code"));
}

#[tokio::test]
async fn unsupported_response_mode_is_a_400_without_redirect() {
    let p = TestProvider::new();
    p.get(&authorize_url(&with(&[("response_mode", Some("foo"))])))
        .await
        .assert_error_page();
    let ok = p
        .get(&authorize_url(&with(&[("response_mode", Some("query"))])))
        .await;
    assert_eq!(ok.status, StatusCode::FOUND);
}

#[tokio::test]
async fn request_objects_are_refused_as_unsupported() {
    let p = TestProvider::new();
    p.get(&authorize_url(&with(&[("request", Some("eyJ.e30.x"))])))
        .await
        .assert_error_redirect(CALLBACK, "request_not_supported");
    p.get(&authorize_url(&with(&[("request_uri", Some("urn:x"))])))
        .await
        .assert_error_redirect(CALLBACK, "request_uri_not_supported");
}

#[tokio::test]
async fn pkce_is_required_for_public_clients() {
    let p = TestProvider::new();
    let params = [
        ("response_type", "code"),
        ("client_id", "spa"),
        ("redirect_uri", CALLBACK),
        ("scope", "openid"),
        ("state", "s"),
    ];
    let params = p
        .get(&authorize_url(&params))
        .await
        .assert_error_redirect(CALLBACK, "invalid_request");
    assert!(params["error_description"].contains("code_challenge is required"));
    assert_eq!(params["state"], "s");
}

#[tokio::test]
async fn plain_and_unknown_pkce_methods_are_refused_by_default() {
    let p = TestProvider::new();
    for method in [Some("plain"), Some("S512"), None] {
        let mut params = with(&[("code_challenge_method", None)]);
        if let Some(m) = method {
            params.push(("code_challenge_method", m));
        }
        p.get(&authorize_url(&params))
            .await
            .assert_error_redirect(CALLBACK, "invalid_request");
    }
    let mut issuer = issuer_config();
    issuer.clients[0].allow_plain_pkce = true;
    let lenient = TestProvider::with(Config::single(issuer));
    let discovery = lenient
        .get("/.well-known/openid-configuration")
        .await
        .json();
    assert_eq!(
        discovery["code_challenge_methods_supported"],
        serde_json::json!(["S256", "plain"])
    );
    let code = lenient
        .code_with(&[
            ("scope", "openid"),
            ("code_challenge", VERIFIER),
            ("code_challenge_method", "plain"),
        ])
        .await;
    let response = lenient
        .token(&[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", CALLBACK),
            ("code_verifier", VERIFIER),
        ])
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
}

#[tokio::test]
async fn malformed_code_challenge_is_refused() {
    let p = TestProvider::new();
    p.get(&authorize_url(&with(&[(
        "code_challenge",
        Some("too-short"),
    )])))
    .await
    .assert_error_redirect(CALLBACK, "invalid_request");
}

#[tokio::test]
async fn client_not_allowed_the_code_grant_is_unauthorized_client() {
    let mut issuer = issuer_config();
    issuer.clients[3].grant_types = vec![mock_provider::GrantType::ClientCredentials];
    let p = TestProvider::with(Config::single(issuer));
    let params = [
        ("response_type", "code"),
        ("client_id", "other"),
        ("redirect_uri", CALLBACK),
        ("scope", "openid"),
    ];
    p.get(&authorize_url(&params))
        .await
        .assert_error_redirect(CALLBACK, "unauthorized_client");
}

#[tokio::test]
async fn prompt_none_without_a_session_is_login_required() {
    let p = TestProvider::new();
    let params = p
        .get(&authorize_url(&with(&[("prompt", Some("none"))])))
        .await
        .assert_error_redirect(CALLBACK, "login_required");
    assert_eq!(params["state"], "s-123");
}

#[tokio::test]
async fn prompt_none_with_a_session_succeeds_silently_with_the_same_auth_time() {
    let p = TestProvider::new();
    let first = p.get(&authorize_url(&base())).await;
    let cookie = first.cookie();
    let first_tokens = p.redeem(&first.redirect_params()["code"]).await;
    p.clock().advance(std::time::Duration::from_secs(120));
    let silent = p
        .get_with(
            &authorize_url(&with(&[("prompt", Some("none"))])),
            &[(header::COOKIE, &cookie)],
        )
        .await;
    assert_eq!(silent.status, StatusCode::FOUND, "{}", silent.text());
    let tokens = p.redeem(&silent.redirect_params()["code"]).await;
    let (_, a) = jwt_parts(first_tokens["id_token"].as_str().unwrap());
    let (_, b) = jwt_parts(tokens["id_token"].as_str().unwrap());
    assert_eq!(a["sub"], b["sub"]);
    assert_eq!(a["auth_time"], b["auth_time"]);
    assert_ne!(a["iat"], b["iat"]);
}

#[tokio::test]
async fn prompt_none_combined_with_login_is_invalid_request() {
    let p = TestProvider::new();
    p.get(&authorize_url(&with(&[("prompt", Some("none login"))])))
        .await
        .assert_error_redirect(CALLBACK, "invalid_request");
}

#[tokio::test]
async fn max_age_forces_a_new_login_with_a_later_auth_time() {
    let p = TestProvider::new();
    let first = p.get(&authorize_url(&base())).await;
    let cookie = first.cookie();
    p.clock().advance(std::time::Duration::from_secs(30));
    // Within max_age: the session is reused, and prompt=none works.
    let fresh = p
        .get_with(
            &authorize_url(&with(&[
                ("prompt", Some("none")),
                ("max_age", Some("10000")),
            ])),
            &[(header::COOKIE, &cookie)],
        )
        .await;
    assert_eq!(fresh.status, StatusCode::FOUND);
    assert!(fresh.redirect_params().contains_key("code"));
    // Beyond max_age: prompt=none cannot log in again.
    let stale = p
        .get_with(
            &authorize_url(&with(&[("prompt", Some("none")), ("max_age", Some("1"))])),
            &[(header::COOKIE, &cookie)],
        )
        .await;
    stale.assert_error_redirect(CALLBACK, "login_required");
    // Beyond max_age without prompt=none: a new (headless) login, later auth_time.
    let relogin = p
        .get_with(
            &authorize_url(&with(&[("max_age", Some("1"))])),
            &[(header::COOKIE, &cookie)],
        )
        .await;
    let tokens = p.redeem(&relogin.redirect_params()["code"]).await;
    let (_, claims) = jwt_parts(tokens["id_token"].as_str().unwrap());
    assert_eq!(
        claims["auth_time"].as_u64().unwrap(),
        start_time_secs() + 30
    );
}

fn start_time_secs() -> u64 {
    start_time()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[tokio::test]
async fn login_hint_picks_the_user_in_headless_mode() {
    let p = TestProvider::new();
    let tokens = p
        .redeem(
            &p.code_with(&[("scope", "openid"), ("login_hint", "bob")])
                .await,
        )
        .await;
    let (_, claims) = jwt_parts(tokens["id_token"].as_str().unwrap());
    assert_eq!(claims["sub"], "user-0002");
    let params = p
        .get(&authorize_url(&with(&[("login_hint", Some("nobody"))])))
        .await
        .assert_error_redirect(CALLBACK, "access_denied");
    assert!(params["error_description"].contains("nobody"));
}

#[tokio::test]
async fn id_token_hint_for_another_user_with_prompt_none_is_login_required() {
    let p = TestProvider::new();
    let bob_tokens = p
        .redeem(
            &p.code_with(&[("scope", "openid"), ("login_hint", "bob")])
                .await,
        )
        .await;
    let alice = p.get(&authorize_url(&base())).await;
    let cookie = alice.cookie();
    let hint = bob_tokens["id_token"].as_str().unwrap();
    let mut params = with(&[("prompt", Some("none"))]);
    params.push(("id_token_hint", hint));
    p.get_with(&authorize_url(&params), &[(header::COOKIE, &cookie)])
        .await
        .assert_error_redirect(CALLBACK, "login_required");
    // A hint this provider did not sign is refused outright.
    let mut params = base();
    params.push(("id_token_hint", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJib2IifQ."));
    p.get(&authorize_url(&params))
        .await
        .assert_error_redirect(CALLBACK, "invalid_request");
}

fn page_mode() -> TestProvider {
    let mut issuer = issuer_config();
    issuer.login = LoginMode::Page;
    TestProvider::with(Config::single(issuer))
}

/// The hidden `tx` value of a login or consent form.
fn tx_of(page: &str) -> String {
    let start = page.find("name=\"tx\" value=\"").expect("a tx field") + 17;
    page[start..].split('"').next().unwrap().to_owned()
}

#[tokio::test]
async fn login_page_lists_users_and_is_protected_from_framing() {
    let p = page_mode();
    let response = p.get(&authorize_url(&base())).await;
    assert_eq!(response.status, StatusCode::OK);
    let page = response.text();
    assert!(
        page.contains("Alice Example") && page.contains("bob"),
        "{page}"
    );
    assert!(
        !page.contains("http://") || !page.contains("<link"),
        "no external assets"
    );
    assert!(
        response
            .header(header::CONTENT_SECURITY_POLICY)
            .contains("frame-ancestors 'none'")
    );
    assert_eq!(response.header(header::X_FRAME_OPTIONS), "DENY");
}

/// Opens the login page; returns its transaction and the cookie that binds it to this browser.
async fn login_page(p: &TestProvider) -> (String, String) {
    let page = p.get(&authorize_url(&base())).await;
    (tx_of(&page.text()), page.cookie())
}

#[tokio::test]
async fn picking_a_user_on_the_login_page_redirects_with_303() {
    let p = page_mode();
    let (tx, browser) = login_page(&p).await;
    let browser = [(header::COOKIE, browser.as_str())];
    let response = p
        .post("/login", &[("tx", &tx), ("username", "alice")], &browser)
        .await;
    assert_eq!(
        response.status,
        StatusCode::SEE_OTHER,
        "RFC 9700 §4.12: {}",
        response.text()
    );
    let params = response.redirect_params();
    assert_eq!(params["state"], "s-123");
    p.redeem(&params["code"]).await;
    // The transaction is single-use.
    p.post("/login", &[("tx", &tx), ("username", "alice")], &browser)
        .await
        .assert_error_page();
}

#[tokio::test]
async fn a_login_form_posted_from_another_browser_or_site_is_refused() {
    // Login CSRF (RFC 6749 §10.12): a page must not post a login it started into someone else's
    // browser, nor may another site post the form.
    let p = page_mode();
    let (tx, browser) = login_page(&p).await;
    let form = [("tx", tx.as_str()), ("username", "alice")];
    let (_, other_browser) = login_page(&p).await;
    for headers in [
        vec![],
        vec![(header::COOKIE, other_browser.as_str())],
        vec![
            (header::COOKIE, browser.as_str()),
            (header::ORIGIN, "http://attacker.example"),
        ],
        vec![(header::COOKIE, browser.as_str()), (header::ORIGIN, "null")],
    ] {
        let refused = p.post("/login", &form, &headers).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{headers:?}");
        assert!(refused.location().is_empty(), "no code for {headers:?}");
    }
    // The transaction survived the attempts; its own browser, from its own origin, logs in.
    let own = p
        .post(
            "/login",
            &form,
            &[
                (header::COOKIE, browser.as_str()),
                (header::ORIGIN, "http://provider.test"),
                (header::HOST, "provider.test"),
            ],
        )
        .await;
    assert_eq!(own.status, StatusCode::SEE_OTHER, "{}", own.text());
}

#[tokio::test]
async fn the_sid_of_an_id_token_is_not_the_session_cookie() {
    // Anyone who holds an ID token (a log, an id_token_hint in a URL) must not hold the session.
    let p = TestProvider::new();
    let first = p.get(&authorize_url(&base())).await;
    let cookie = first.cookie();
    let session = cookie.split_once('=').unwrap().1.to_owned();
    let tokens = p.redeem(&first.redirect_params()["code"]).await;
    let (_, claims) = jwt_parts(tokens["id_token"].as_str().unwrap());
    let sid = claims["sid"].as_str().expect("a sid");
    assert_ne!(sid, session);
    assert!(!session.contains(sid) && !sid.contains(&session));
    let journal =
        serde_json::to_string(&p.provider().journal().query(&Default::default())).unwrap();
    assert!(
        !journal.contains(&session),
        "the journal shows no session secret"
    );
}

#[tokio::test]
async fn a_user_with_a_password_must_give_it() {
    let p = page_mode();
    let (tx, browser) = login_page(&p).await;
    let browser = [(header::COOKIE, browser.as_str())];
    let wrong = p
        .post(
            "/login",
            &[("tx", &tx), ("username", "bob"), ("password", "nope")],
            &browser,
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.text().contains("Wrong password"));
    let missing = p
        .post("/login", &[("tx", &tx), ("username", "bob")], &browser)
        .await;
    assert_eq!(missing.status, StatusCode::UNAUTHORIZED);
    let right = p
        .post(
            "/login",
            &[("tx", &tx), ("username", "bob"), ("password", "hunter2")],
            &browser,
        )
        .await;
    assert_eq!(right.status, StatusCode::SEE_OTHER, "{}", right.text());
}

#[tokio::test]
async fn cancelling_the_login_is_access_denied() {
    let p = page_mode();
    let (tx, browser) = login_page(&p).await;
    let response = p
        .post(
            "/login",
            &[("tx", &tx), ("username", "alice"), ("action", "cancel")],
            &[(header::COOKIE, &browser)],
        )
        .await;
    assert_eq!(response.status, StatusCode::SEE_OTHER);
    response.assert_error_redirect(CALLBACK, "access_denied");
}

#[tokio::test]
async fn consent_page_allows_or_denies() {
    let mut issuer = issuer_config();
    issuer.login = LoginMode::Page;
    issuer.consent = true;
    let p = TestProvider::with(Config::single(issuer));
    let (tx, browser) = login_page(&p).await;
    let consent = p
        .post(
            "/login",
            &[("tx", &tx), ("username", "alice")],
            &[(header::COOKIE, &browser)],
        )
        .await;
    assert_eq!(consent.status, StatusCode::OK);
    assert!(consent.text().contains("Allow access"));
    let cookie = consent.cookie();
    assert!(cookie.starts_with("fauxauth_session="), "{cookie}");
    let deny_tx = tx_of(&consent.text());
    // The consent page belongs to the browser holding the session.
    let elsewhere = p
        .post("/consent", &[("tx", &deny_tx), ("decision", "allow")], &[])
        .await;
    assert_eq!(elsewhere.status, StatusCode::FORBIDDEN);
    let denied = p
        .post(
            "/consent",
            &[("tx", &deny_tx), ("decision", "deny")],
            &[(header::COOKIE, &cookie)],
        )
        .await;
    let params = denied.assert_error_redirect(CALLBACK, "access_denied");
    assert_eq!(params["state"], "s-123");

    // With a session but no consent yet, prompt=none says consent_required.
    p.get_with(
        &authorize_url(&with(&[("prompt", Some("none"))])),
        &[(header::COOKIE, &cookie)],
    )
    .await
    .assert_error_redirect(CALLBACK, "consent_required");
    let page = p
        .get_with(&authorize_url(&base()), &[(header::COOKIE, &cookie)])
        .await;
    let allowed = p
        .post(
            "/consent",
            &[("tx", &tx_of(&page.text())), ("decision", "allow")],
            &[(header::COOKIE, &cookie)],
        )
        .await;
    assert_eq!(allowed.status, StatusCode::SEE_OTHER);
    assert!(allowed.redirect_params().contains_key("code"));
    // Consent is remembered in the session.
    let silent = p
        .get_with(
            &authorize_url(&with(&[("prompt", Some("none"))])),
            &[(header::COOKIE, &cookie)],
        )
        .await;
    assert!(silent.redirect_params().contains_key("code"));
}

#[tokio::test]
async fn max_age_zero_forces_a_new_login_even_within_the_same_second() {
    // OIDC Core §3.1.2.1 (errata set 2): max_age=0 is equivalent to prompt=login.
    let p = TestProvider::new();
    let first = p.get(&authorize_url(&base())).await;
    let cookie = first.cookie();
    let again = p
        .get_with(
            &authorize_url(&with(&[("max_age", Some("0"))])),
            &[(header::COOKIE, &cookie)],
        )
        .await;
    assert!(
        again
            .header(header::SET_COOKIE)
            .contains("fauxauth_session="),
        "a new session"
    );
    p.get_with(
        &authorize_url(&with(&[("max_age", Some("0")), ("prompt", Some("none"))])),
        &[(header::COOKIE, &cookie)],
    )
    .await
    .assert_error_redirect(CALLBACK, "login_required");
}

/// `login_claims`: the login page takes a new username with claims typed as JSON, for the peers'
/// most asked-for feature (claims chosen at login); the configured users stay as configured.
#[tokio::test]
async fn with_login_claims_a_new_username_logs_in_with_the_claims_typed() {
    let mut issuer = issuer_config();
    issuer.login = LoginMode::Page;
    issuer.login_claims = true;
    let p = TestProvider::with(Config::single(issuer));
    let (tx, browser) = login_page(&p).await;
    let page = p.get(&authorize_url(&base())).await.text();
    assert!(
        page.contains(r#"name="claims""#),
        "the page has the claims field"
    );
    let browser = [(header::COOKIE, browser.as_str())];
    for (claims, said) in [
        ("[1]", "not a JSON object"),
        (r#"{"sub": 7}"#, "sub must be a string"),
        (r#"{"sub": "user-0002"}"#, "Another user has that subject"),
    ] {
        let refused = p
            .post(
                "/login",
                &[("tx", &tx), ("username", "newbie"), ("claims", claims)],
                &browser,
            )
            .await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST);
        assert!(
            refused.text().contains(said),
            "{claims}: {}",
            refused.text()
        );
    }
    let configured = p
        .post(
            "/login",
            &[
                ("tx", &tx),
                ("username", "alice"),
                ("claims", r#"{"admin": true}"#),
            ],
            &browser,
        )
        .await;
    assert_eq!(configured.status, StatusCode::BAD_REQUEST);
    assert!(configured.text().contains("configured"));
    let accepted = p
        .post(
            "/login",
            &[
                ("tx", &tx),
                ("username", "newbie"),
                (
                    "claims",
                    r#"{"sub": "n-1", "email": "newbie@example.com", "groups": ["admins"]}"#,
                ),
            ],
            &browser,
        )
        .await;
    assert_eq!(
        accepted.status,
        StatusCode::SEE_OTHER,
        "{}",
        accepted.text()
    );
    let code = accepted.redirect_params()["code"].clone();
    let tokens = p.redeem(&code).await;
    let (_, id_token) = jwt_parts(tokens["id_token"].as_str().unwrap());
    assert_eq!(id_token["sub"], "n-1");
    assert_eq!(id_token["groups"], serde_json::json!(["admins"]));
    let again = p.get(&authorize_url(&base())).await.text();
    assert!(
        again.contains("newbie"),
        "the new user is one of the issuer's users now"
    );
    // Without the setting, an unknown username is refused, claims or not.
    let p = page_mode();
    let (tx, browser) = login_page(&p).await;
    let refused = p
        .post(
            "/login",
            &[("tx", &tx), ("username", "newbie"), ("claims", "{}")],
            &[(header::COOKIE, browser.as_str())],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
}
