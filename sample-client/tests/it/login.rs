//! The code flow as the client runs it, and every check it makes at the callback.

use sample_client::Check;
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn login_redirects_to_the_provider_with_pkce_state_and_nonce() {
    let world = World::start().await;
    let first = params(&world.start_login().await);
    assert_eq!(first["response_type"], "code");
    assert_eq!(first["client_id"], CLIENT_ID);
    assert_eq!(first["redirect_uri"], world.url("/callback"));
    assert_eq!(
        first["scope"],
        "openid profile email offline_access items:read"
    );
    assert_eq!(first["code_challenge_method"], "S256");
    assert_eq!(first["code_challenge"].len(), 43);
    assert!(first["state"].len() >= 43 && first["nonce"].len() >= 43);
    let second = params(&world.start_login().await);
    assert_ne!(first["state"], second["state"]);
    assert_ne!(first["nonce"], second["nonce"]);
    assert_ne!(first["code_challenge"], second["code_challenge"]);
}

#[tokio::test]
async fn the_session_cookie_is_http_only_and_same_site_lax() {
    let world = World::start().await;
    let response = reqwest::Client::builder()
        .use_preconfigured_tls(fauxauth_core::Trust::default().client_config())
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(world.url("/login"))
        .send()
        .await
        .unwrap();
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.starts_with("fauxauth_client_session="), "{cookie}");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
}

#[tokio::test]
async fn every_answer_is_private_and_sends_no_referrer() {
    let world = World::start().await;
    let http = reqwest::Client::builder()
        .use_preconfigured_tls(fauxauth_core::Trust::default().client_config())
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for path in ["/", "/login", "/callback?code=x", "/me", "/logout"] {
        let response = http.get(world.url(path)).send().await.unwrap();
        let headers = response.headers();
        assert_eq!(headers["cache-control"], "no-store", "{path}");
        assert_eq!(headers["referrer-policy"], "no-referrer", "{path}");
    }
}

#[tokio::test]
async fn a_good_login_ends_on_the_home_page_logged_in_as_the_user() {
    let world = World::start().await;
    assert!(!world.is_logged_in().await);
    let page = world.login().await;
    assert_eq!(page.status, 303, "{page:#?}");
    assert_eq!(page.location.as_deref(), Some("/"));
    let home = world.home().await;
    assert_eq!(home.state.as_deref(), Some("logged-in"));
    assert!(home.body.contains("Logged in as"), "{}", home.body);
    assert!(home.body.contains("Alice Example"), "{}", home.body);
    assert!(home.body.contains("alice@example.com"), "{}", home.body);
}

#[tokio::test]
async fn the_code_is_redeemed_with_client_authentication_and_the_pkce_verifier() {
    let world = World::start().await;
    let url = world.start_login().await;
    let authorize = params(&url);
    let query = world.provider.authorize(&url, "alice");
    world.callback(&query).await;
    let requests = world.provider.requests(TOKEN).await;
    assert_eq!(requests.len(), 1);
    let basic = requests[0].headers["authorization"].to_str().unwrap();
    // RFC 6749 §2.3.1: "web app" and "s3:cr/t+", each form-encoded, then Basic.
    assert_eq!(basic, "Basic d2ViK2FwcDpzMyUzQWNyJTJGdCUyQg==");
    let form = &world.provider.token_requests().await[0];
    assert_eq!(form["grant_type"], "authorization_code");
    assert_eq!(form["redirect_uri"], world.url("/callback"));
    assert!(!form.contains_key("client_secret"));
    assert_eq!(
        sha256_b64(&form["code_verifier"]),
        authorize["code_challenge"],
        "the verifier hashes to the challenge (RFC 7636 §4.6)"
    );
}

fn sha256_b64(value: &str) -> String {
    use base64::Engine as _;
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, value.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref())
}

#[tokio::test]
async fn a_public_client_sends_its_id_in_the_body_and_proves_pkce() {
    let world = World::public().await;
    world.logged_in().await;
    let form = &world.provider.token_requests().await[0];
    assert_eq!(form["client_id"], CLIENT_ID);
    assert!(form.contains_key("code_verifier"));
    let requests = world.provider.requests(TOKEN).await;
    assert!(!requests[0].headers.contains_key("authorization"));
}

#[tokio::test]
async fn the_session_id_changes_at_login() {
    let world = World::start().await;
    world.start_login().await;
    let before = world.browser.cookie("fauxauth_client_session").unwrap();
    world.logged_in().await;
    let after = world.browser.cookie("fauxauth_client_session").unwrap();
    assert_ne!(before, after);
}

#[tokio::test]
async fn a_callback_without_a_login_in_progress_is_refused() {
    let world = World::start().await;
    let page = world.callback("code=c&state=s").await;
    page.assert_refused(Check::NoPendingLogin);
    assert!(!world.is_logged_in().await);
}

#[tokio::test]
async fn a_callback_is_answered_once() {
    let world = World::start().await;
    let authorize = world.start_login().await;
    let query = world.provider.authorize(&authorize, "alice");
    assert_eq!(world.callback(&query).await.status, 303);
    world
        .callback(&query)
        .await
        .assert_refused(Check::NoPendingLogin);
}

#[tokio::test]
async fn a_tampered_state_is_refused_and_no_code_is_redeemed() {
    let world = World::start().await;
    let page = world
        .login_tampered(|q| q.replace("state=", "state=x"))
        .await;
    page.assert_refused(Check::StateMismatch);
    assert!(page.body.contains("state mismatch"));
    assert!(world.provider.requests(TOKEN).await.is_empty());
    assert!(!world.is_logged_in().await);
}

#[tokio::test]
async fn a_callback_from_another_issuer_is_refused() {
    let world = World::start().await;
    let page = world
        .login_tampered(|q| {
            let mut parts: Vec<String> = q.split('&').map(str::to_owned).collect();
            parts.retain(|p| !p.starts_with("iss="));
            parts.push("iss=http%3A%2F%2Fattacker.example".into());
            parts.join("&")
        })
        .await;
    page.assert_refused(Check::IssMismatch);
    assert!(world.provider.requests(TOKEN).await.is_empty());
}

#[tokio::test]
async fn a_callback_without_iss_is_refused_when_the_provider_advertises_it() {
    let world = World::start().await;
    let page = world
        .login_tampered(|q| {
            q.split('&')
                .filter(|p| !p.starts_with("iss="))
                .collect::<Vec<_>>()
                .join("&")
        })
        .await;
    page.assert_refused(Check::IssMismatch);
}

#[tokio::test]
async fn an_error_response_is_shown_with_what_the_provider_said() {
    let world = World::start().await;
    let authorize = params(&world.start_login().await);
    let mut query = form_urlencoded::Serializer::new(String::new());
    query
        .append_pair("error", "access_denied")
        .append_pair("error_description", "The user <b>declined</b>")
        .append_pair("state", &authorize["state"])
        .append_pair("iss", &world.provider.url());
    let page = world.callback(&query.finish()).await;
    page.assert_refused(Check::AuthorizationError);
    assert!(page.body.contains("access_denied"), "{}", page.body);
    assert!(
        !page.body.contains("<b>declined</b>"),
        "escaped: {}",
        page.body
    );
    assert!(!world.is_logged_in().await);
}

/// Every ID token fault, and the check that names it.
#[tokio::test]
async fn every_id_token_check_refuses_its_fault_and_logs_no_one_in() {
    type Fault = Box<dyn Fn(&mut Faults)>;
    let cases: Vec<(&str, Fault, Check)> = vec![
        (
            "wrong iss",
            Box::new(|f| {
                f.id_token_claims
                    .insert("iss".into(), json!("http://attacker.example"));
            }),
            Check::IdTokenIssMismatch,
        ),
        (
            "wrong aud",
            Box::new(|f| {
                f.id_token_claims.insert("aud".into(), json!("x"));
            }),
            Check::IdTokenAudMismatch,
        ),
        (
            "azp of another client",
            Box::new(|f| {
                f.id_token_claims.insert("azp".into(), json!("other"));
            }),
            Check::IdTokenAzpMismatch,
        ),
        (
            "expired",
            Box::new(|f| {
                f.id_token_claims.insert("exp".into(), json!(NOW - 3600));
            }),
            Check::IdTokenExpired,
        ),
        (
            "issued in the future",
            Box::new(|f| {
                f.id_token_claims.insert("iat".into(), json!(NOW + 3600));
            }),
            Check::IdTokenIssuedInFuture,
        ),
        (
            "wrong nonce",
            Box::new(|f| {
                f.id_token_claims.insert("nonce".into(), json!("other"));
            }),
            Check::NonceMismatch,
        ),
        (
            "no nonce",
            Box::new(|f| {
                f.id_token_claims.insert("nonce".into(), json!(null));
            }),
            Check::NonceMismatch,
        ),
        (
            "wrong at_hash",
            Box::new(|f| {
                f.id_token_claims
                    .insert("at_hash".into(), json!("AAAAAAAAAAAAAAAAAAAAAA"));
            }),
            Check::AtHashMismatch,
        ),
        (
            "unsigned",
            Box::new(|f| f.signer = Signer::Unsigned),
            Check::IdTokenAlgNotAllowed,
        ),
        (
            "signed by an unpublished key",
            Box::new(|f| f.signer = Signer::Rogue),
            Check::IdTokenSignatureInvalid,
        ),
        (
            "forged under the published kid",
            Box::new(|f| f.signer = Signer::Forged),
            Check::IdTokenSignatureInvalid,
        ),
        (
            "no ID token",
            Box::new(|f| f.omit_id_token = true),
            Check::IdTokenMissing,
        ),
        (
            "userinfo about someone else",
            Box::new(|f| f.userinfo_sub = Some("mallory".into())),
            Check::UserinfoSubMismatch,
        ),
    ];
    for (name, fault, check) in cases {
        let world = World::start().await;
        world.provider.set_faults(|f| fault(f));
        let page = world.login().await;
        assert_eq!(page.check(), Some(check.code()), "{name}: {page:#?}");
        page.assert_refused(check);
        assert!(!world.is_logged_in().await, "{name}");
    }
}

#[tokio::test]
async fn a_rotated_key_is_fetched_once_and_accepted() {
    let world = World::start().await;
    world.logged_in().await;
    assert_eq!(world.provider.requests(JWKS).await.len(), 1);
    world.provider.rotate();
    world.browser.submit(&world.url("/logout"), &[]).await;
    world.logged_in().await;
    assert_eq!(world.provider.requests(JWKS).await.len(), 2);
}

#[tokio::test]
async fn an_unknown_key_is_looked_for_once_then_refused() {
    let world = World::start().await;
    world.provider.set_faults(|f| f.signer = Signer::Rogue);
    let page = world.login().await;
    page.assert_refused(Check::IdTokenSignatureInvalid);
    assert!(page.body.contains("rogue"), "names the kid: {}", page.body);
    assert_eq!(world.provider.requests(JWKS).await.len(), 2);
}

#[tokio::test]
async fn tokens_never_appear_in_a_url_or_a_page() {
    let world = World::start().await;
    world.logged_in().await;
    let home = world.home().await;
    let me = world.me().await;
    assert_eq!(me.status, 200, "{me:#?}");
    let tokens = world.provider.issued_tokens();
    assert!(tokens.len() >= 2, "{tokens:?}");
    let mut urls: Vec<String> = world
        .provider
        .server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.url.to_string())
        .collect();
    urls.extend(
        world
            .resource
            .requests()
            .await
            .iter()
            .map(|r| r.url.to_string()),
    );
    for token in &tokens {
        for page in [&home, &me] {
            assert!(
                !page.body.contains(token.as_str()),
                "{token} in {}",
                page.body
            );
        }
        for url in &urls {
            assert!(!url.contains(token.as_str()), "{token} in {url}");
        }
    }
    for page in [&home, &me] {
        assert!(!page.body.contains("eyJ"), "no JWT: {}", page.body);
    }
}
