//! Refresh tokens (RFC 6749 §6, RFC 9700 §4.14.2, OIDC Core §12).

use std::time::Duration;

use axum::http::{StatusCode, header};

use crate::helpers::*;

async fn refresh(p: &TestProvider, token: &str, scope: Option<&str>) -> TestResponse {
    let mut form = vec![("grant_type", "refresh_token"), ("refresh_token", token)];
    if let Some(scope) = scope {
        form.push(("scope", scope));
    }
    p.token(&form).await
}

#[tokio::test]
async fn refresh_rotates_and_returns_a_consistent_id_token() {
    let p = TestProvider::new();
    let first = p.tokens("openid profile offline_access").await;
    p.clock().advance(Duration::from_secs(600));
    let response = refresh(&p, first["refresh_token"].as_str().unwrap(), None).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    assert_eq!(response.header(header::CACHE_CONTROL), "no-store");
    let second = response.json();
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    assert_ne!(second["access_token"], first["access_token"]);
    let (_, a) = jwt_parts(first["id_token"].as_str().unwrap());
    let (_, b) = jwt_parts(second["id_token"].as_str().unwrap());
    // OIDC Core §12.2: same iss, sub, aud; new iat; original auth_time; no nonce.
    for claim in ["iss", "sub", "aud", "auth_time"] {
        assert_eq!(a[claim], b[claim], "{claim}");
    }
    assert_eq!(b["iat"].as_u64().unwrap(), a["iat"].as_u64().unwrap() + 600);
    assert!(b.get("nonce").is_none());
}

#[tokio::test]
async fn reusing_a_rotated_refresh_token_revokes_the_whole_grant() {
    let p = TestProvider::new();
    let first = p.tokens("openid offline_access").await;
    let old = first["refresh_token"].as_str().unwrap();
    let second = refresh(&p, old, None).await.json();
    let newest = second["refresh_token"].as_str().unwrap();

    let description = refresh(&p, old, None)
        .await
        .assert_token_error(400, "invalid_grant");
    assert!(description.contains("already used"), "{description}");
    refresh(&p, newest, None)
        .await
        .assert_token_error(400, "invalid_grant");
    let access = second["access_token"].as_str().unwrap();
    let userinfo = p
        .get_with("/userinfo", &[(header::AUTHORIZATION, &bearer(access))])
        .await;
    assert_eq!(userinfo.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn without_rotation_the_refresh_token_stays_valid() {
    let mut issuer = issuer_config();
    issuer.refresh_token_rotation = false;
    let p = TestProvider::with(mock_provider::Config::single(issuer));
    let first = p.tokens("openid").await;
    let token = first["refresh_token"].as_str().unwrap();
    for _ in 0..3 {
        let response = refresh(&p, token, None).await;
        assert_eq!(response.status, StatusCode::OK);
        assert!(response.json().get("refresh_token").is_none());
    }
}

#[tokio::test]
async fn scope_may_narrow_and_returns_to_the_original_grant_when_omitted() {
    let p = TestProvider::new();
    let first = p.tokens("openid profile items:read").await;
    let narrowed = refresh(
        &p,
        first["refresh_token"].as_str().unwrap(),
        Some("items:read"),
    )
    .await
    .json();
    assert_eq!(narrowed["scope"], "items:read");
    let (_, claims) = jwt_parts(narrowed["access_token"].as_str().unwrap());
    assert_eq!(claims["scope"], "items:read");
    assert!(narrowed.get("id_token").is_none(), "no openid, no ID token");
    let restored = refresh(&p, narrowed["refresh_token"].as_str().unwrap(), None)
        .await
        .json();
    assert_eq!(restored["scope"], "openid profile items:read");
}

#[tokio::test]
async fn scope_may_never_widen() {
    let p = TestProvider::new();
    let first = p.tokens("openid").await;
    let token = first["refresh_token"].as_str().unwrap();
    refresh(&p, token, Some("openid items:write"))
        .await
        .assert_token_error(400, "invalid_scope");
    // A refused refresh issues nothing, so the token is not spent: the client may still use it.
    assert_eq!(refresh(&p, token, None).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_refresh_token_is_bound_to_its_client() {
    let p = TestProvider::new();
    let first = p.tokens("openid").await;
    let token = first["refresh_token"].as_str().unwrap();
    let other = basic("other", "other-secret-01234");
    p.post(
        "/token",
        &[("grant_type", "refresh_token"), ("refresh_token", token)],
        &[(header::AUTHORIZATION, &other)],
    )
    .await
    .assert_token_error(400, "invalid_grant");
    // Not counted as reuse: the rightful client can still use it.
    assert_eq!(refresh(&p, token, None).await.status, StatusCode::OK);
}

#[tokio::test]
async fn refresh_without_client_authentication_is_invalid_client() {
    let p = TestProvider::new();
    let first = p.tokens("openid").await;
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", first["refresh_token"].as_str().unwrap()),
        ("client_id", "web"),
    ];
    p.post("/token", &form, &[])
        .await
        .assert_token_error(401, "invalid_client");
}

#[tokio::test]
async fn an_expired_refresh_token_is_invalid_grant() {
    let mut issuer = issuer_config();
    issuer.lifetimes.refresh_token = Duration::from_secs(300);
    let p = TestProvider::with(mock_provider::Config::single(issuer));
    let first = p.tokens("openid").await;
    p.clock().advance(Duration::from_secs(301));
    refresh(&p, first["refresh_token"].as_str().unwrap(), None)
        .await
        .assert_token_error(400, "invalid_grant");
}

#[tokio::test]
async fn missing_refresh_token_is_invalid_request() {
    let p = TestProvider::new();
    p.token(&[("grant_type", "refresh_token")])
        .await
        .assert_token_error(400, "invalid_request");
}
