//! The github preset: plain OAuth 2.0 against a GitHub played as GitHub's documentation
//! describes it (`helpers/github.rs`), the user from its API host.

use std::time::Duration;

use sample_client::{Check, Weakness};

use crate::helpers::*;

fn header<'r>(request: &'r wiremock::Request, name: &str) -> Option<&'r str> {
    request.headers.get(name).and_then(|v| v.to_str().ok())
}

#[tokio::test]
async fn login_asks_github_for_its_scopes_with_pkce_and_state_and_no_openid() {
    let world = GithubWorld::start(AppKind::OAuthApp, Account::default()).await;
    let url = world.start_login().await;
    assert!(
        url.starts_with(&format!(
            "{}/login/oauth/authorize?",
            world.github.web.uri()
        )),
        "{url}"
    );
    let params = params(&url);
    assert_eq!(params["client_id"], CLIENT_ID);
    assert_eq!(params["redirect_uri"], world.url("/callback"));
    assert_eq!(params["scope"], "read:user user:email");
    assert_eq!(params["code_challenge_method"], "S256");
    assert_eq!(params["code_challenge"].len(), 43);
    assert!(params["state"].len() >= 43);
    assert!(!params.contains_key("nonce"), "{url}");
    // No discovery: GitHub has none.
    assert!(
        world
            .github
            .web
            .received_requests()
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_github_login_ends_logged_in_as_the_user_the_api_describes() {
    let world = GithubWorld::start(AppKind::OAuthApp, Account::default()).await;
    let authorize = world.start_login().await;
    let challenge = params(&authorize)["code_challenge"].clone();
    let page = world.callback(&world.github.authorize(&authorize)).await;
    assert_eq!(page.status, 303, "{page:#?}");
    assert_eq!(page.location.as_deref(), Some("/"));

    let home = world.home().await;
    assert_eq!(home.state.as_deref(), Some("logged-in"));
    assert!(home.body.contains(r#"data-state="logged-in""#));
    assert!(home.body.contains("The Octocat"), "{}", home.body);
    assert!(home.body.contains("<code>octocat</code>"), "{}", home.body);
    assert!(home.body.contains("<code>583231</code>"), "{}", home.body);
    assert!(home.body.contains("octocat@github.com"), "{}", home.body);

    // The token request: credentials in the body, JSON asked for, the PKCE verifier proven.
    let requests = world.github.web_requests(GITHUB_TOKEN).await;
    assert_eq!(requests.len(), 1);
    assert_eq!(header(&requests[0], "accept"), Some("application/json"));
    assert_eq!(header(&requests[0], "authorization"), None);
    let form = &world.github.token_requests().await[0];
    assert_eq!(form["client_id"], CLIENT_ID);
    assert_eq!(form["client_secret"], CLIENT_SECRET);
    assert_eq!(form["redirect_uri"], world.url("/callback"));
    use base64::Engine as _;
    let digest =
        aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, form["code_verifier"].as_bytes());
    assert_eq!(
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref()),
        challenge
    );

    // The user API, asked as GitHub's REST docs say.
    let user = world.github.api_requests(GITHUB_USER).await;
    assert_eq!(user.len(), 1);
    assert!(
        header(&user[0], "authorization").is_some_and(|v| v.starts_with("Bearer gho_")),
        "{:?}",
        user[0].headers
    );
    assert_eq!(
        header(&user[0], "accept"),
        Some("application/vnd.github+json")
    );
    assert!(header(&user[0], "user-agent").is_some());
}

#[tokio::test]
async fn without_accept_json_github_would_answer_a_form_which_is_no_token_response() {
    // The fake answers as GitHub does; shown here so the login test above proves the header.
    let github = FakeGithub::start(AppKind::OAuthApp, Account::default()).await;
    let response = reqwest::Client::builder()
        .use_preconfigured_tls(fauxauth_core::Trust::default().client_config())
        .build()
        .unwrap()
        .post(format!("{}{GITHUB_TOKEN}", github.web.uri()))
        .form(&[
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("code", "x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/x-www-form-urlencoded")
    );
    let body = response.text().await.unwrap();
    assert!(body.starts_with("error=bad_verification_code&"), "{body}");
}

#[tokio::test]
async fn a_200_carrying_bad_verification_code_is_a_refusal_not_a_login() {
    let world = GithubWorld::start(AppKind::OAuthApp, Account::default()).await;
    let authorize = world.start_login().await;
    let query = world.github.authorize(&authorize);
    // The code is spent (or mistyped): GitHub answers 200 with an error.
    let spent = query
        .split('&')
        .map(|p| {
            if p.starts_with("code=") {
                "code=not-a-code"
            } else {
                p
            }
        })
        .collect::<Vec<_>>()
        .join("&");
    let page = world.callback(&spent).await;
    page.assert_refused(Check::TokenError);
    assert!(page.body.contains("bad_verification_code"), "{}", page.body);
    assert!(page.body.contains("HTTP 200"), "{}", page.body);
    assert!(!world.is_logged_in().await);
    assert!(world.github.api_requests(GITHUB_USER).await.is_empty());
}

#[tokio::test]
async fn wrong_client_credentials_are_a_refusal_not_a_login() {
    let world = GithubWorld::with(AppKind::OAuthApp, Account::default(), |c| {
        c.client_secret = Some("not-the-secret".into());
    })
    .await;
    let page = world.login().await;
    page.assert_refused(Check::TokenError);
    assert!(
        page.body.contains("incorrect_client_credentials"),
        "{}",
        page.body
    );
    assert!(!world.is_logged_in().await);
}

#[tokio::test]
async fn a_private_address_is_looked_up_and_only_the_primary_verified_one_taken() {
    let world = GithubWorld::start(AppKind::OAuthApp, Account::default()).await;
    let page = world.login().await;
    assert_eq!(page.status, 303, "{page:#?}");
    assert_eq!(world.github.api_requests(GITHUB_EMAILS).await.len(), 1);
    let home = world.home().await;
    assert!(home.body.contains("octocat@github.com"), "{}", home.body);
    assert!(!home.body.contains("unconfirmed@example.com"));
    assert!(!home.body.contains("noreply"));

    let unverified = Account {
        public_email: None,
        emails: serde_json::json!([
            {"email": "claimed@example.com", "primary": true, "verified": false, "visibility": null},
        ]),
    };
    let world = GithubWorld::start(AppKind::OAuthApp, unverified).await;
    assert_eq!(world.login().await.status, 303);
    let home = world.home().await;
    assert!(!home.body.contains("claimed@example.com"), "{}", home.body);
    assert!(!home.body.contains("<th>email</th>"), "{}", home.body);
}

#[tokio::test]
async fn a_public_address_needs_no_second_call() {
    let public = Account {
        public_email: Some("octocat@example.com".into()),
        ..Account::default()
    };
    let world = GithubWorld::start(AppKind::OAuthApp, public).await;
    assert_eq!(world.login().await.status, 303);
    assert!(world.github.api_requests(GITHUB_EMAILS).await.is_empty());
    assert_eq!(world.github.api_requests(GITHUB_USER).await.len(), 1);
    let home = world.home().await;
    assert!(home.body.contains("octocat@example.com"), "{}", home.body);
}

#[tokio::test]
async fn an_api_refusing_the_token_logs_no_one_in() {
    let world = GithubWorld::start(AppKind::OAuthApp, Account::default()).await;
    world.github.api.reset().await;
    wiremock::Mock::given(wiremock::matchers::path(GITHUB_USER))
        .respond_with(
            wiremock::ResponseTemplate::new(401)
                .set_body_json(serde_json::json!({"message": "Bad credentials"})),
        )
        .mount(&world.github.api)
        .await;
    let page = world.login().await;
    page.assert_refused(Check::UserinfoFailed);
    assert!(
        page.body
            .contains("GET /user answered HTTP 401 (Bad credentials)"),
        "{}",
        page.body
    );
    assert!(!world.is_logged_in().await);
}

#[tokio::test]
async fn me_calls_githubs_user_api_with_the_token() {
    let world = GithubWorld::start(AppKind::OAuthApp, Account::default()).await;
    assert_eq!(world.login().await.status, 303);
    let page = world.me().await;
    assert_eq!(page.status, 200, "{page:#?}");
    assert_eq!(page.state.as_deref(), Some("logged-in"));
    assert!(
        page.body.contains(r#"data-claim="login">octocat"#),
        "{}",
        page.body
    );
    assert!(page.body.contains("<code>/user</code>"), "{}", page.body);
    let calls = world.github.api_requests(GITHUB_USER).await;
    assert_eq!(calls.len(), 2, "login, then /me");
    assert_eq!(
        header(&calls[1], "accept"),
        Some("application/vnd.github+json")
    );
}

#[tokio::test]
async fn an_oauth_apps_token_never_expires_and_is_never_refreshed() {
    let world = GithubWorld::start(AppKind::OAuthApp, Account::default()).await;
    assert_eq!(world.login().await.status, 303);
    world
        .github
        .clock
        .advance(Duration::from_secs(365 * 24 * 3600));
    assert_eq!(world.me().await.status, 200);
    // Revoked: a refresh is all that could help, and there is no refresh token.
    world.github.revoke_access_tokens();
    let page = world.me().await;
    page.assert_refused(Check::RefreshFailed);
    assert!(page.body.contains("do not expire"), "{}", page.body);
    assert_eq!(world.github.token_requests().await.len(), 1);
}

#[tokio::test]
async fn a_github_apps_token_is_refreshed_and_the_rotated_refresh_token_used_next() {
    let world = GithubWorld::start(AppKind::GithubApp, Account::default()).await;
    assert_eq!(world.login().await.status, 303);
    for _ in 0..2 {
        world.github.clock.advance(Duration::from_secs(28801));
        let page = world.me().await;
        assert_eq!(page.status, 200, "{page:#?}");
    }
    let refreshes: Vec<_> = world
        .github
        .token_requests()
        .await
        .into_iter()
        .filter(|f| f.get("grant_type").map(String::as_str) == Some("refresh_token"))
        .collect();
    assert_eq!(refreshes.len(), 2);
    for refresh in &refreshes {
        assert!(refresh["refresh_token"].starts_with("ghr_"));
        assert_eq!(refresh["client_secret"], CLIENT_SECRET);
    }
    assert_ne!(refreshes[0]["refresh_token"], refreshes[1]["refresh_token"]);
    assert!(world.is_logged_in().await);
}

#[tokio::test]
async fn a_spent_github_refresh_token_ends_the_login() {
    // reuse-refresh-token presents the spent ghr_ again: GitHub answers 200 bad_refresh_token.
    let world = GithubWorld::with(AppKind::GithubApp, Account::default(), |c| {
        c.weaknesses = vec![Weakness::ReuseRefreshToken];
    })
    .await;
    assert_eq!(world.login().await.status, 303);
    world.github.clock.advance(Duration::from_secs(28801));
    assert_eq!(world.me().await.status, 200);
    world.github.clock.advance(Duration::from_secs(28801));
    let page = world.me().await;
    page.assert_refused(Check::RefreshFailed);
    assert!(page.body.contains("bad_refresh_token"), "{}", page.body);
    assert!(!world.is_logged_in().await);
}

#[tokio::test]
async fn the_oauth_checks_still_hold_with_github() {
    let world = GithubWorld::start(AppKind::OAuthApp, Account::default()).await;
    let authorize = world.start_login().await;
    let query = world.github.authorize(&authorize);
    let forged = query.replace("state=", "state=forged");
    world
        .callback(&forged)
        .await
        .assert_refused(Check::StateMismatch);
    assert!(world.github.token_requests().await.is_empty());

    let authorize = world.start_login().await;
    let state = &params(&authorize)["state"];
    let denied = format!("error=access_denied&state={state}");
    world
        .callback(&denied)
        .await
        .assert_refused(Check::AuthorizationError);

    // One redemption per login: the callback is answered once.
    let authorize = world.start_login().await;
    let query = world.github.authorize(&authorize);
    assert_eq!(world.callback(&query).await.status, 303);
    world
        .callback(&query)
        .await
        .assert_refused(Check::NoPendingLogin);
    assert_eq!(world.github.token_requests().await.len(), 1);
}

#[tokio::test]
async fn no_pkce_applies_to_github_too() {
    let world = GithubWorld::with(AppKind::OAuthApp, Account::default(), |c| {
        c.weaknesses = vec![Weakness::NoPkce, Weakness::SkipNonceCheck];
    })
    .await;
    let authorize = world.start_login().await;
    assert!(!authorize.contains("code_challenge"), "{authorize}");
    assert_eq!(
        world
            .callback(&world.github.authorize(&authorize))
            .await
            .status,
        303
    );
    assert!(!world.github.token_requests().await[0].contains_key("code_verifier"));
}

#[tokio::test]
async fn logging_out_of_github_ends_the_session_here_only() {
    let world = GithubWorld::start(AppKind::OAuthApp, Account::default()).await;
    assert_eq!(world.login().await.status, 303);
    let page = world.browser.submit(&world.url("/logout"), &[]).await;
    assert_eq!(page.status, 303, "{page:#?}");
    assert_eq!(page.location.as_deref(), Some("/"));
    assert!(!world.is_logged_in().await);
}
