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
