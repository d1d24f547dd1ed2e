//! `response_mode=form_post` (OAuth 2.0 Form Post Response Mode): the authorization response,
//! success or error, as a page that posts it to the redirect URI by itself, loading nothing else.

use axum::http::{StatusCode, header};
use mock_provider::Config;
use mock_provider::preset::Preset;

use crate::helpers::*;

fn field<'a>(html: &'a str, name: &str) -> Option<&'a str> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    html[start..].split('"').next()
}

#[tokio::test]
async fn the_code_and_an_error_are_posted_to_the_redirect_uri_by_a_page() {
    let p = TestProvider::new();
    let response = p
        .get(&authorize_path(
            "web",
            &[("response_mode", Some("form_post")), ("state", Some("s1"))],
        ))
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    assert!(response.header(header::LOCATION).is_empty());
    let html = response.text();
    assert!(
        html.contains(&format!("<form method=\"post\" action=\"{CALLBACK}\">")),
        "{html}"
    );
    assert!(
        field(&html, "code").is_some_and(|c| !c.is_empty()),
        "{html}"
    );
    assert_eq!(field(&html, "state"), Some("s1"));
    assert_eq!(field(&html, "iss"), Some(ISSUER));
    let policy = response.header(header::CONTENT_SECURITY_POLICY);
    assert!(
        policy.starts_with("default-src 'none'; script-src 'sha256-"),
        "{policy}"
    );
    assert!(
        policy.contains("form-action http://127.0.0.1:8080;"),
        "{policy}"
    );
    assert!(policy.contains("frame-ancestors 'none'"), "{policy}");
    assert_eq!(response.header(header::CACHE_CONTROL), "no-store");
    // The code in the page is redeemed as any other.
    p.redeem(field(&html, "code").unwrap()).await;
    // An error goes the same way.
    let refused = p
        .get(&authorize_path(
            "web",
            &[
                ("response_mode", Some("form_post")),
                ("scope", Some("openid unknown")),
            ],
        ))
        .await;
    assert_eq!(refused.status, StatusCode::OK);
    assert_eq!(field(&refused.text(), "error"), Some("invalid_scope"));
    let discovery = p.get("/.well-known/openid-configuration").await.json();
    assert_eq!(
        discovery["response_modes_supported"],
        serde_json::json!(["query", "form_post"])
    );
}

#[tokio::test]
async fn a_preset_without_form_post_refuses_it_and_microsofts_takes_it() {
    let query = encode(&[
        ("response_type", "code"),
        ("client_id", "web"),
        ("redirect_uri", CALLBACK),
        ("scope", "openid"),
        ("response_mode", "form_post"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ]);
    let asked = async |preset: Preset, path: &str| {
        let mut issuer = issuer_config();
        issuer.preset = preset;
        issuer.tenant_id = Some("11111111-2222-4333-8444-555555555555".into());
        let p = TestProvider::with(Config::single(issuer));
        p.get(&format!("{path}?{query}")).await
    };
    let refused = asked(Preset::Google, "/o/oauth2/v2/auth").await;
    assert!(refused.assert_error_page().contains("form_post"));
    let posted = asked(Preset::Microsoft, "/common/oauth2/v2.0/authorize").await;
    assert_eq!(posted.status, StatusCode::OK, "{}", posted.text());
    assert!(field(&posted.text(), "code").is_some());
}
