//! The device authorization grant (RFC 8628): the device authorization endpoint, polling with
//! each of §3.5's answers on the virtual clock, the person's answer given by the verification
//! page, a rule, the Rust API and the issuer's scripted approval.

use mock_provider::Scripted as _;
use std::time::Duration;

use axum::http::{StatusCode, header};
use mock_provider::config::DeviceApproval;
use mock_provider::{ClientConfig, Config, DeviceDecision, GrantType, IssuerConfig};
use serde_json::{Value, json};

use crate::helpers::*;

const GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// `tv`: a public client with the device grant and refresh tokens.
fn provider_with(change: impl FnOnce(&mut IssuerConfig)) -> TestProvider {
    let mut tv = ClientConfig::public("tv", CALLBACK);
    tv.redirect_uris.clear();
    tv.grant_types = vec![GrantType::DeviceCode, GrantType::RefreshToken];
    let mut issuer = issuer_config().with_client(tv);
    change(&mut issuer);
    TestProvider::with(Config::single(issuer))
}

fn provider() -> TestProvider {
    provider_with(|_| {})
}

async fn start(p: &TestProvider, scope: &str) -> Value {
    let response = p
        .post(
            "/device_authorization",
            &[("client_id", "tv"), ("scope", scope)],
            &[],
        )
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    assert_eq!(response.header(header::CACHE_CONTROL), "no-store");
    response.json()
}

async fn poll(p: &TestProvider, device_code: &str) -> TestResponse {
    p.post(
        "/token",
        &[
            ("grant_type", GRANT),
            ("device_code", device_code),
            ("client_id", "tv"),
        ],
        &[],
    )
    .await
}

fn code(started: &Value) -> &str {
    started["device_code"].as_str().unwrap()
}

#[tokio::test]
async fn a_device_gets_codes_to_show_and_polls_until_the_person_approves() {
    let p = provider();
    let started = start(&p, "openid profile").await;
    let user_code = started["user_code"].as_str().unwrap();
    assert_eq!(user_code.len(), 9, "{user_code}");
    assert_eq!(&user_code[4..5], "-");
    assert!(
        user_code
            .chars()
            .filter(|c| *c != '-')
            .all(|c| "BCDFGHJKLMNPQRSTVWXZ".contains(c)),
        "{user_code}"
    );
    assert_eq!(started["verification_uri"], format!("{ISSUER}/device"));
    assert_eq!(
        started["verification_uri_complete"],
        format!("{ISSUER}/device?user_code={user_code}")
    );
    assert_eq!(started["expires_in"], 600);
    assert_eq!(started["interval"], 5);
    let device_code = code(&started);
    // The first poll may come at once; the next within the interval is too soon: slow_down,
    // and the interval grows by 5 s (§3.5).
    poll(&p, device_code)
        .await
        .assert_token_error(400, "authorization_pending");
    p.clock().advance(Duration::from_secs(4));
    let description = poll(&p, device_code)
        .await
        .assert_token_error(400, "slow_down");
    assert!(description.contains("now 10 s"), "{description}");
    p.clock().advance(Duration::from_secs(9));
    poll(&p, device_code)
        .await
        .assert_token_error(400, "slow_down");
    p.clock().advance(Duration::from_secs(15));
    poll(&p, device_code)
        .await
        .assert_token_error(400, "authorization_pending");
    let pending = p.provider().pending_devices("default").unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].user_code, user_code);
    assert_eq!(pending[0].polls, 4);
    assert_eq!(pending[0].interval, 15);
    assert!(
        p.provider()
            .decide_device(
                "default",
                &user_code.to_lowercase().replace('-', " "),
                &DeviceDecision::Approve {
                    user: "alice".into()
                }
            )
            .unwrap(),
        "a person may type the code in lower case, with a space"
    );
    p.clock().advance(Duration::from_secs(15));
    let tokens = poll(&p, device_code).await;
    assert_eq!(tokens.status, StatusCode::OK, "{}", tokens.text());
    let body = tokens.json();
    let (_, id_token) = jwt_parts(body["id_token"].as_str().unwrap());
    assert_eq!(id_token["sub"], "alice");
    assert_eq!(id_token["aud"], "tv");
    assert!(body["refresh_token"].is_string());
    p.clock().advance(Duration::from_secs(10));
    poll(&p, device_code)
        .await
        .assert_token_error(400, "invalid_grant");
    let discovery = p.get("/.well-known/openid-configuration").await.json();
    assert_eq!(
        discovery["device_authorization_endpoint"],
        format!("{ISSUER}/device_authorization")
    );
    assert!(p.advertises_grant(GRANT).await);
}

#[tokio::test]
async fn a_denial_is_access_denied_and_an_old_code_expired_token() {
    let p = provider();
    let denied = start(&p, "openid").await;
    p.provider()
        .decide_device(
            "default",
            denied["user_code"].as_str().unwrap(),
            &DeviceDecision::Deny,
        )
        .unwrap();
    p.clock().advance(Duration::from_secs(5));
    poll(&p, code(&denied))
        .await
        .assert_token_error(400, "access_denied");
    let forgotten = start(&p, "openid").await;
    p.clock().advance(Duration::from_secs(601));
    poll(&p, code(&forgotten))
        .await
        .assert_token_error(400, "expired_token");
    assert!(
        !p.provider()
            .decide_device(
                "default",
                forgotten["user_code"].as_str().unwrap(),
                &DeviceDecision::Deny
            )
            .unwrap(),
        "an expired code cannot be answered"
    );
}

#[tokio::test]
async fn a_rule_answers_for_the_person_at_the_nth_poll() {
    let p = provider();
    p.provider().add_rule(
        serde_json::from_value(json!({
            "when": {"endpoint": "token", "grant_type": GRANT, "nth": 3, "times": 1},
            "then": [{"device": {"approve": {"user": "bob"}}}]
        }))
        .unwrap(),
    );
    let started = start(&p, "openid").await;
    let mut answers = Vec::new();
    for _ in 0..3 {
        p.clock().advance(Duration::from_secs(5));
        answers.push(poll(&p, code(&started)).await);
    }
    answers[0].assert_token_error(400, "authorization_pending");
    answers[1].assert_token_error(400, "authorization_pending");
    assert_eq!(answers[2].status, StatusCode::OK, "{}", answers[2].text());
    let (_, id_token) = jwt_parts(answers[2].json()["id_token"].as_str().unwrap());
    assert_eq!(id_token["sub"], "user-0002", "bob's subject");
}

#[tokio::test]
async fn the_issuers_scripted_approval_answers_once_its_time_has_come() {
    let p = provider_with(|issuer| {
        issuer.device_approval = Some(DeviceApproval {
            user: "alice".into(),
            after: Duration::from_secs(30),
        });
    });
    let started = start(&p, "openid").await;
    p.clock().advance(Duration::from_secs(20));
    poll(&p, code(&started))
        .await
        .assert_token_error(400, "authorization_pending");
    p.clock().advance(Duration::from_secs(10));
    let response = poll(&p, code(&started)).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
}

#[tokio::test]
async fn the_verification_page_takes_the_code_and_the_persons_answer() {
    let p = provider();
    let started = start(&p, "openid").await;
    let user_code = started["user_code"].as_str().unwrap();
    let page = p.get(&format!("/device?user_code={user_code}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.text().contains(&format!(r#"value="{user_code}""#)),
        "{}",
        page.text()
    );
    // bob has a password.
    let submit = |form: &'static [(&'static str, &'static str)], code: &str| {
        let mut form = form.to_vec();
        form.push(("user_code", code));
        form.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect::<Vec<_>>()
    };
    let send = |form: Vec<(String, String)>| {
        let p = &p;
        async move {
            let form: Vec<(&str, &str)> =
                form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            p.post("/device", &form, &[]).await
        }
    };
    let wrong = send(submit(
        &[
            ("username", "bob"),
            ("password", "not-it"),
            ("decision", "approve"),
        ],
        user_code,
    ))
    .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST);
    let unknown = send(submit(
        &[("username", "alice"), ("decision", "approve")],
        "BBBB-BBBB",
    ))
    .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);
    assert!(
        unknown.text().contains("unknown, expired"),
        "{}",
        unknown.text()
    );
    let approved = send(submit(
        &[
            ("username", "bob"),
            ("password", "hunter2"),
            ("decision", "approve"),
        ],
        user_code,
    ))
    .await;
    assert_eq!(approved.status, StatusCode::OK, "{}", approved.text());
    assert!(approved.text().contains("Device connected"));
    p.clock().advance(Duration::from_secs(5));
    assert_eq!(poll(&p, code(&started)).await.status, StatusCode::OK);
    // A form posted from another site's page is refused.
    let forged = p
        .post(
            "/device",
            &[
                ("user_code", user_code),
                ("username", "alice"),
                ("decision", "approve"),
            ],
            &[(header::ORIGIN, "https://attacker.example")],
        )
        .await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn only_a_client_with_the_grant_asks_and_only_it_redeems() {
    let p = provider();
    p.post(
        "/device_authorization",
        &[("client_id", "spa"), ("scope", "openid")],
        &[],
    )
    .await
    .assert_token_error(400, "unauthorized_client");
    p.post(
        "/device_authorization",
        &[("client_id", "tv"), ("scope", "unknown-scope")],
        &[],
    )
    .await
    .assert_token_error(400, "invalid_scope");
    let started = start(&p, "openid").await;
    p.clock().advance(Duration::from_secs(5));
    let other = p
        .post(
            "/token",
            &[("grant_type", GRANT), ("device_code", code(&started))],
            &[(header::AUTHORIZATION, &basic("web", WEB_SECRET))],
        )
        .await;
    other.assert_token_error(400, "unauthorized_client");
    poll(&p, "made-up")
        .await
        .assert_token_error(400, "invalid_grant");
    let plain = TestProvider::new()
        .get("/.well-known/openid-configuration")
        .await
        .json();
    assert!(plain.get("device_authorization_endpoint").is_none());
}

/// `tv` on an issuer dressed as `preset`.
fn preset_provider(preset: mock_provider::preset::Preset) -> TestProvider {
    provider_with(|issuer| {
        issuer.preset = preset;
        issuer.tenant_id = Some("11111111-2222-4333-8444-555555555555".into());
        issuer
            .scopes
            .extend(["read:user".into(), "User.Read".into()]);
    })
}

async fn post_with(
    p: &TestProvider,
    path: &str,
    form: &[(&str, &str)],
    accept: Option<&str>,
) -> TestResponse {
    match accept {
        Some(accept) => p.post(path, form, &[(header::ACCEPT, accept)]).await,
        None => p.post(path, form, &[]).await,
    }
}

/// GitHub: `/login/device/code`, answered form-encoded unless JSON is asked for, 40-hex device
/// codes, 15 minutes, no `verification_uri_complete`; polls at its token endpoint answered with
/// HTTP 200 and its own words, `slow_down` saying the new interval.
#[tokio::test]
async fn github_answers_the_device_flow_in_its_dialect() {
    let p = preset_provider(mock_provider::preset::Preset::Github);
    let started = post_with(
        &p,
        "/login/device/code",
        &[("client_id", "tv"), ("scope", "read:user")],
        None,
    )
    .await;
    assert_eq!(started.status, StatusCode::OK, "{}", started.text());
    assert!(
        started
            .header(header::CONTENT_TYPE)
            .starts_with("application/x-www-form-urlencoded"),
        "{}",
        started.text()
    );
    let form: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(started.text().as_bytes())
            .into_owned()
            .collect();
    let device_code = &form["device_code"];
    assert_eq!(device_code.len(), 40, "{device_code}");
    assert!(device_code.chars().all(|c| c.is_ascii_hexdigit()));
    assert_eq!(form["verification_uri"], format!("{ISSUER}/login/device"));
    assert_eq!(form["expires_in"], "900");
    assert_eq!(form["interval"], "5");
    assert!(!form.contains_key("verification_uri_complete"));

    let poll = async |code: &str| {
        let form = [
            ("grant_type", GRANT),
            ("device_code", code),
            ("client_id", "tv"),
        ];
        post_with(
            &p,
            "/login/oauth/access_token",
            &form,
            Some("application/json"),
        )
        .await
    };
    let pending = poll(device_code).await;
    let description = pending.assert_token_error(200, "authorization_pending");
    assert_eq!(description, "The authorization request is still pending.");
    let too_soon = poll(device_code).await;
    too_soon.assert_token_error(200, "slow_down");
    assert_eq!(too_soon.json()["interval"], 10);
    poll("0123456789abcdef0123456789abcdef01234567")
        .await
        .assert_token_error(200, "incorrect_device_code");
    let json = post_with(
        &p,
        "/login/device/code",
        &[("client_id", "spa"), ("scope", "read:user")],
        Some("application/json"),
    )
    .await;
    json.assert_token_error(200, "device_flow_disabled");

    p.provider()
        .decide_device(
            "default",
            &form["user_code"],
            &DeviceDecision::Approve {
                user: "alice".into(),
            },
        )
        .unwrap();
    p.clock().advance(Duration::from_secs(10));
    let form = [
        ("grant_type", GRANT),
        ("device_code", device_code.as_str()),
        ("client_id", "tv"),
    ];
    let tokens = post_with(&p, "/login/oauth/access_token", &form, None).await;
    assert_eq!(tokens.status, StatusCode::OK);
    assert!(
        tokens.text().starts_with("access_token=gho_"),
        "{}",
        tokens.text()
    );
}

/// Google: `/device/code`, `verification_url`, 30 minutes; a waiting device is told HTTP 428,
/// one polling too fast or denied 403.
#[tokio::test]
async fn google_answers_the_device_flow_in_its_dialect() {
    let p = preset_provider(mock_provider::preset::Preset::Google);
    let started = p
        .post(
            "/device/code",
            &[("client_id", "tv"), ("scope", "openid email")],
            &[],
        )
        .await;
    assert_eq!(started.status, StatusCode::OK, "{}", started.text());
    let started = started.json();
    assert_eq!(started["verification_url"], format!("{ISSUER}/device"));
    assert_eq!(started["expires_in"], 1800);
    assert!(
        started.get("verification_uri").is_none()
            && started.get("verification_uri_complete").is_none()
    );
    let device_code = code(&started);
    let description = poll(&p, device_code)
        .await
        .assert_token_error(428, "authorization_pending");
    assert_eq!(description, "Precondition Required");
    poll(&p, device_code)
        .await
        .assert_token_error(403, "slow_down");
    p.provider()
        .decide_device(
            "default",
            started["user_code"].as_str().unwrap(),
            &DeviceDecision::Deny,
        )
        .unwrap();
    p.clock().advance(Duration::from_secs(10));
    poll(&p, device_code)
        .await
        .assert_token_error(403, "access_denied");
    let discovery = p.get("/.well-known/openid-configuration").await.json();
    assert_eq!(
        discovery["device_authorization_endpoint"],
        format!("{ISSUER}/device/code")
    );
}

/// Microsoft: `/{tenant}/oauth2/v2.0/devicecode`, a `message` for the person, 15 minutes, no
/// `verification_uri_complete`; AADSTS70016 while pending, `authorization_declined` (no number is
/// documented), `bad_verification_code` (AADSTS70018) and `expired_token` (AADSTS70019).
#[tokio::test]
async fn microsoft_answers_the_device_flow_in_its_dialect() {
    let p = preset_provider(mock_provider::preset::Preset::Microsoft);
    let ask = async || {
        let form = [("client_id", "tv"), ("scope", "openid User.Read")];
        let started = p
            .post("/organizations/oauth2/v2.0/devicecode", &form, &[])
            .await;
        assert_eq!(started.status, StatusCode::OK, "{}", started.text());
        started.json()
    };
    let started = ask().await;
    let (uri, user_code) = (
        started["verification_uri"].as_str().unwrap(),
        started["user_code"].as_str().unwrap(),
    );
    assert_eq!(uri, format!("{ISSUER}/devicelogin"));
    assert_eq!(
        started["message"],
        format!(
            "To sign in, use a web browser to open the page {uri} and enter the code {user_code} to authenticate."
        )
    );
    assert_eq!(started["expires_in"], 900);
    assert!(started.get("verification_uri_complete").is_none());
    let poll = async |code: &str| {
        let form = [
            ("grant_type", GRANT),
            ("device_code", code),
            ("client_id", "tv"),
        ];
        p.post("/organizations/oauth2/v2.0/token", &form, &[]).await
    };
    let pending = poll(code(&started)).await;
    let description = pending.assert_token_error(400, "authorization_pending");
    assert!(description.starts_with("AADSTS70016: "), "{description}");
    assert_eq!(pending.json()["error_codes"], json!([70016]));
    let unknown = poll("made-up").await;
    unknown.assert_token_error(400, "bad_verification_code");
    assert_eq!(unknown.json()["error_codes"], json!([70018]));
    p.provider()
        .decide_device("default", user_code, &DeviceDecision::Deny)
        .unwrap();
    p.clock().advance(Duration::from_secs(5));
    let declined = poll(code(&started)).await;
    declined.assert_token_error(400, "authorization_declined");
    assert!(declined.json().get("error_codes").is_none());
    let later = ask().await;
    p.clock().advance(Duration::from_secs(901));
    let expired = poll(code(&later)).await;
    expired.assert_token_error(400, "expired_token");
    assert_eq!(expired.json()["error_codes"], json!([70019]));
    let page = p.get(&format!("/devicelogin?user_code={user_code}")).await;
    assert_eq!(page.status, StatusCode::OK);
}
