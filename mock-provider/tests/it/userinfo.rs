//! The UserInfo endpoint (OIDC Core §5.3) and its bearer-token answers (RFC 6750 §3).

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn userinfo_returns_the_same_sub_and_the_scoped_claims() {
    let p = TestProvider::new();
    let tokens = p.tokens("openid profile").await;
    let access = tokens["access_token"].as_str().unwrap();
    for response in [
        p.get_with("/userinfo", &[(header::AUTHORIZATION, &bearer(access))])
            .await,
        p.post(
            "/userinfo",
            &[],
            &[(header::AUTHORIZATION, &bearer(access))],
        )
        .await,
        p.post("/userinfo", &[("access_token", access)], &[]).await,
    ] {
        assert_eq!(response.status, StatusCode::OK, "{}", response.text());
        assert_eq!(
            response.json(),
            json!({"sub": "alice", "name": "Alice Example"})
        );
    }
    let (_, id) = jwt_parts(tokens["id_token"].as_str().unwrap());
    assert_eq!(id["sub"], "alice");
}

#[tokio::test]
async fn no_token_is_a_bare_bearer_challenge() {
    let p = TestProvider::new();
    let response = p.get("/userinfo").await;
    assert_eq!(response.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        response.header(header::WWW_AUTHENTICATE),
        format!("Bearer realm=\"{ISSUER}\"")
    );
}

#[tokio::test]
async fn an_invalid_token_is_invalid_token() {
    let p = TestProvider::new();
    let tokens = p.tokens("openid").await;
    let access = tokens["access_token"].as_str().unwrap();
    let (head, _) = access.rsplit_once('.').unwrap();
    let id_token = tokens["id_token"].as_str().unwrap();
    for token in ["garbage", &format!("{head}.AAAA"), id_token] {
        let response = p
            .get_with("/userinfo", &[(header::AUTHORIZATION, &bearer(token))])
            .await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED, "{token}");
        assert!(
            response
                .header(header::WWW_AUTHENTICATE)
                .contains("error=\"invalid_token\""),
            "{token}"
        );
    }
    p.clock().advance(std::time::Duration::from_secs(3600));
    let expired = p
        .get_with("/userinfo", &[(header::AUTHORIZATION, &bearer(access))])
        .await;
    assert!(expired.header(header::WWW_AUTHENTICATE).contains("expired"));
}

#[tokio::test]
async fn a_token_without_openid_is_insufficient_scope() {
    let p = TestProvider::new();
    let tokens = p.tokens("items:read").await;
    let response = p
        .get_with(
            "/userinfo",
            &[(
                header::AUTHORIZATION,
                &bearer(tokens["access_token"].as_str().unwrap()),
            )],
        )
        .await;
    assert_eq!(response.status, StatusCode::FORBIDDEN);
    assert!(
        response
            .header(header::WWW_AUTHENTICATE)
            .contains("error=\"insufficient_scope\", error_description=")
    );
    assert!(
        response
            .header(header::WWW_AUTHENTICATE)
            .ends_with("scope=\"openid\"")
    );
}

#[tokio::test]
async fn a_token_sent_two_ways_or_in_the_query_is_invalid_request() {
    let p = TestProvider::new();
    let tokens = p.tokens("openid").await;
    let access = tokens["access_token"].as_str().unwrap();
    let both = p
        .post(
            "/userinfo",
            &[("access_token", access)],
            &[(header::AUTHORIZATION, &bearer(access))],
        )
        .await;
    assert_eq!(both.status, StatusCode::BAD_REQUEST);
    assert!(
        both.header(header::WWW_AUTHENTICATE)
            .contains("invalid_request")
    );
    let query = p.get(&format!("/userinfo?access_token={access}")).await;
    assert_eq!(query.status, StatusCode::BAD_REQUEST);
    let request = Request::get("/userinfo")
        .header(header::AUTHORIZATION, "Bearer")
        .body(Body::empty())
        .unwrap();
    assert_eq!(p.send(request).await.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn the_bearer_scheme_is_case_insensitive() {
    let p = TestProvider::new();
    let tokens = p.tokens("openid").await;
    let access = tokens["access_token"].as_str().unwrap();
    let response = p
        .get_with(
            "/userinfo",
            &[(header::AUTHORIZATION, &format!("bEaReR {access}"))],
        )
        .await;
    assert_eq!(response.status, StatusCode::OK);
}

/// OpenID Connect Core §5.5: claims asked for by name, beside what the scopes release: in the ID
/// token (of the code and of each refresh) and at UserInfo, each where it was asked for.
#[tokio::test]
async fn the_claims_parameter_releases_claims_where_they_are_asked_for() {
    let p = TestProvider::new();
    let claims = r#"{"id_token": {"email": {"essential": true}}, "userinfo": {"name": null, "no_such_claim": null}}"#;
    let code = p
        .code_with(&[("scope", "openid offline_access"), ("claims", claims)])
        .await;
    let tokens = p.redeem(&code).await;
    let (_, id_token) = jwt_parts(tokens["id_token"].as_str().unwrap());
    assert_eq!(id_token["email"], "alice@example.com");
    assert!(
        id_token.get("name").is_none(),
        "name was asked for at UserInfo only"
    );
    let access = tokens["access_token"].as_str().unwrap();
    let info = p
        .get_with("/userinfo", &[(header::AUTHORIZATION, &bearer(access))])
        .await
        .json();
    assert_eq!(info["name"], "Alice Example");
    assert!(
        info.get("email").is_none(),
        "email was asked for in the ID token only"
    );
    assert!(info.get("no_such_claim").is_none(), "nothing is made up");
    let refreshed = p
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
        ])
        .await
        .json();
    let (_, id_token) = jwt_parts(refreshed["id_token"].as_str().unwrap());
    assert_eq!(
        id_token["email"], "alice@example.com",
        "the grant keeps what was asked"
    );
    let discovery = p.get("/.well-known/openid-configuration").await.json();
    assert_eq!(discovery["claims_parameter_supported"], true);
}

#[tokio::test]
async fn a_malformed_claims_parameter_or_one_without_openid_is_invalid_request() {
    let p = TestProvider::new();
    for (scope, claims) in [
        ("openid", "not json"),
        ("openid", r#"{"id_token": {"email": 1}}"#),
        ("items:read", r#"{"userinfo": {"name": null}}"#),
    ] {
        let path = authorize_path("web", &[("scope", Some(scope)), ("claims", Some(claims))]);
        let response = p.get(&path).await;
        response.assert_error_redirect(CALLBACK, "invalid_request");
    }
}
