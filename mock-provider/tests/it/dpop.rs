//! DPoP at the token endpoint (RFC 9449): proofs judged, tokens bound to the proof's key, codes
//! bound by `dpop_jkt`, a public client's refresh tokens bound, server nonces by setting and by
//! rule, and what introspection and discovery say.

use std::time::Duration;

use axum::http::{HeaderName, StatusCode, header};
use fauxauth_core::dpop::{ProofFor, ProofKey};
use mock_provider::Scripted as _;
use mock_provider::{Config, IssuerConfig};
use serde_json::{Value, json};

use crate::helpers::*;

const TOKEN_URL: &str = "http://fauxauth.test/token";
const DPOP: HeaderName = HeaderName::from_static("dpop");

fn provider_with(change: impl FnOnce(&mut IssuerConfig)) -> TestProvider {
    let mut issuer = issuer_config();
    for client in &mut issuer.clients {
        client
            .grant_types
            .push(mock_provider::GrantType::RefreshToken);
        client.grant_types.dedup();
    }
    change(&mut issuer);
    TestProvider::with(Config::single(issuer))
}

fn now(p: &TestProvider) -> u64 {
    fauxauth_core::unix(p.clock().now())
}

fn proof(p: &TestProvider, key: &ProofKey, jti: &str, nonce: Option<&str>) -> String {
    key.proof(&ProofFor {
        method: "POST",
        url: TOKEN_URL,
        iat: now(p),
        jti,
        access_token: None,
        nonce,
    })
}

/// Redeems `code` for `client` (`web` with its secret, or the public `spa`) with `proof`.
async fn redeem(p: &TestProvider, client: &str, code: &str, proof: Option<&str>) -> TestResponse {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", CALLBACK),
        ("code_verifier", VERIFIER),
        ("client_id", client),
    ];
    if client == "web" {
        form.push(("client_secret", WEB_SECRET));
    }
    match proof {
        Some(proof) => p.post("/token", &form, &[(DPOP, proof)]).await,
        None => p.post("/token", &form, &[]).await,
    }
}

async fn code_for(p: &TestProvider, client: &str, extra: &[(&str, &str)]) -> String {
    let mut params = vec![("client_id", client), ("scope", "openid offline_access")];
    params.extend_from_slice(extra);
    p.code_with(&params).await
}

#[tokio::test]
async fn a_proof_binds_the_access_token_to_its_key() {
    let p = provider_with(|_| {});
    let key = ProofKey::from_seed("app");
    let code = code_for(&p, "web", &[]).await;
    let response = redeem(&p, "web", &code, Some(&proof(&p, &key, "j1", None))).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    let body = response.json();
    assert_eq!(body["token_type"], "DPoP");
    let access = body["access_token"].as_str().unwrap();
    let (_, claims) = jwt_parts(access);
    assert_eq!(claims["cnf"], json!({ "jkt": key.jkt() }));
    let introspected = p
        .post(
            "/introspect",
            &[("token", access)],
            &[(header::AUTHORIZATION, &basic("web", WEB_SECRET))],
        )
        .await
        .json();
    assert_eq!(introspected["token_type"], "DPoP");
    assert_eq!(introspected["cnf"]["jkt"], key.jkt());
    // A confidential client's refresh token is bound by its authentication, not the key.
    let refresh = body["refresh_token"].as_str().unwrap();
    let refreshed = p
        .token(&[("grant_type", "refresh_token"), ("refresh_token", refresh)])
        .await;
    assert_eq!(refreshed.status, StatusCode::OK, "{}", refreshed.text());
    assert_eq!(refreshed.json()["token_type"], "Bearer");
    let discovery = p.get("/.well-known/openid-configuration").await.json();
    let algs = discovery["dpop_signing_alg_values_supported"]
        .as_array()
        .unwrap();
    assert!(algs.contains(&json!("ES256")) && !algs.contains(&json!("HS256")));
}

#[tokio::test]
async fn a_proof_not_made_for_this_request_is_invalid_dpop_proof() {
    let p = provider_with(|_| {});
    let key = ProofKey::from_seed("app");
    let elsewhere = key.proof(&ProofFor {
        method: "POST",
        url: "http://fauxauth.test/elsewhere",
        iat: now(&p),
        jti: "j1",
        access_token: None,
        nonce: None,
    });
    let code = code_for(&p, "web", &[]).await;
    let description = redeem(&p, "web", &code, Some(&elsewhere))
        .await
        .assert_token_error(400, "invalid_dpop_proof");
    assert!(description.contains("htu"), "{description}");
    // The code was not spent by the refused request; a proof used twice is refused.
    let good = proof(&p, &key, "j2", None);
    assert_eq!(
        redeem(&p, "web", &code, Some(&good)).await.status,
        StatusCode::OK
    );
    let code = code_for(&p, "web", &[]).await;
    let description = redeem(&p, "web", &code, Some(&good))
        .await
        .assert_token_error(400, "invalid_dpop_proof");
    assert!(description.contains("jti"), "{description}");
    // Two DPoP headers.
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", "machine"),
        ("client_secret", "machine-secret-0123"),
    ];
    let (a, b) = (proof(&p, &key, "j3", None), proof(&p, &key, "j4", None));
    p.post("/token", &form, &[(DPOP, &a), (DPOP, &b)])
        .await
        .assert_token_error(400, "invalid_dpop_proof");
}

#[tokio::test]
async fn a_client_with_bound_tokens_must_send_a_proof() {
    let p = provider_with(|issuer| {
        let machine = issuer.clients.iter_mut().find(|c| c.client_id == "machine");
        machine.unwrap().dpop_bound_access_tokens = true;
    });
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", "machine"),
        ("client_secret", "machine-secret-0123"),
    ];
    let description = p
        .post("/token", &form, &[])
        .await
        .assert_token_error(400, "invalid_dpop_proof");
    assert!(
        description.contains("dpop_bound_access_tokens"),
        "{description}"
    );
    let key = ProofKey::from_seed("machine");
    let bound = p
        .post("/token", &form, &[(DPOP, &proof(&p, &key, "j", None))])
        .await;
    assert_eq!(bound.json()["token_type"], "DPoP");
}

#[tokio::test]
async fn a_required_nonce_is_given_asked_for_and_goes_stale_with_the_clock() {
    let p = provider_with(|issuer| issuer.dpop_nonce = true);
    let key = ProofKey::from_seed("app");
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", "machine"),
        ("client_secret", "machine-secret-0123"),
    ];
    let first = p
        .post("/token", &form, &[(DPOP, &proof(&p, &key, "j1", None))])
        .await;
    first.assert_token_error(400, "use_dpop_nonce");
    let nonce = first
        .header(HeaderName::from_static("dpop-nonce"))
        .to_owned();
    assert!(!nonce.is_empty());
    let second = p
        .post(
            "/token",
            &form,
            &[(DPOP, &proof(&p, &key, "j2", Some(&nonce)))],
        )
        .await;
    assert_eq!(second.status, StatusCode::OK, "{}", second.text());
    // Ten minutes on, that nonce is two changes old.
    p.clock().advance(Duration::from_secs(600));
    p.post(
        "/token",
        &form,
        &[(DPOP, &proof(&p, &key, "j3", Some(&nonce)))],
    )
    .await
    .assert_token_error(400, "use_dpop_nonce");
}

#[tokio::test]
async fn a_rule_requires_a_nonce_for_the_requests_it_matches() {
    let p = provider_with(|_| {});
    p.provider().add_rule(
        serde_json::from_value(json!({
            "when": {"endpoint": "token", "times": 1},
            "then": ["use_dpop_nonce"]
        }))
        .unwrap(),
    );
    let key = ProofKey::from_seed("app");
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", "machine"),
        ("client_secret", "machine-secret-0123"),
    ];
    let asked = p
        .post("/token", &form, &[(DPOP, &proof(&p, &key, "j1", None))])
        .await;
    asked.assert_token_error(400, "use_dpop_nonce");
    assert!(
        !asked
            .header(HeaderName::from_static("dpop-nonce"))
            .is_empty()
    );
    let again = p
        .post("/token", &form, &[(DPOP, &proof(&p, &key, "j2", None))])
        .await;
    assert_eq!(
        again.status,
        StatusCode::OK,
        "the rule fired once: {}",
        again.text()
    );
}

#[tokio::test]
async fn dpop_jkt_binds_the_code_to_the_key() {
    let p = provider_with(|_| {});
    let key = ProofKey::from_seed("app");
    let code = code_for(&p, "web", &[("dpop_jkt", key.jkt())]).await;
    redeem(&p, "web", &code, None)
        .await
        .assert_token_error(400, "invalid_dpop_proof");
    let other = ProofKey::from_seed("thief");
    redeem(&p, "web", &code, Some(&proof(&p, &other, "j1", None)))
        .await
        .assert_token_error(400, "invalid_dpop_proof");
    let bound = redeem(&p, "web", &code, Some(&proof(&p, &key, "j2", None))).await;
    assert_eq!(bound.status, StatusCode::OK, "{}", bound.text());
    let response = p
        .get(&authorize_path("web", &[("dpop_jkt", Some("short"))]))
        .await;
    let params = response.redirect_params();
    assert_eq!(params["error"], "invalid_request");
}

#[tokio::test]
async fn a_public_clients_refresh_token_is_bound_to_its_key() {
    let p = provider_with(|_| {});
    let key = ProofKey::from_seed("spa");
    let code = code_for(&p, "spa", &[]).await;
    let tokens = redeem(&p, "spa", &code, Some(&proof(&p, &key, "j1", None))).await;
    assert_eq!(tokens.status, StatusCode::OK, "{}", tokens.text());
    let refresh_token = tokens.json()["refresh_token"].as_str().unwrap().to_owned();
    let refresh = async |proof: Option<String>| {
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token.as_str()),
            ("client_id", "spa"),
        ];
        match proof {
            Some(proof) => p.post("/token", &form, &[(DPOP, &proof)]).await,
            None => p.post("/token", &form, &[]).await,
        }
    };
    refresh(None)
        .await
        .assert_token_error(400, "invalid_dpop_proof");
    let other = ProofKey::from_seed("thief");
    refresh(Some(proof(&p, &other, "j2", None)))
        .await
        .assert_token_error(400, "invalid_dpop_proof");
    let refreshed = refresh(Some(proof(&p, &key, "j3", None))).await;
    assert_eq!(refreshed.status, StatusCode::OK, "{}", refreshed.text());
    let body: Value = refreshed.json();
    assert_eq!(body["token_type"], "DPoP");
}

#[tokio::test]
async fn userinfo_takes_a_bound_token_only_with_the_dpop_scheme_and_a_proof() {
    let p = provider_with(|_| {});
    let key = ProofKey::from_seed("app");
    let code = code_for(&p, "web", &[]).await;
    let tokens = redeem(&p, "web", &code, Some(&proof(&p, &key, "j1", None)))
        .await
        .json();
    let access = tokens["access_token"].as_str().unwrap();
    let as_bearer = p
        .get_with("/userinfo", &[(header::AUTHORIZATION, &bearer(access))])
        .await;
    assert_eq!(as_bearer.status, StatusCode::UNAUTHORIZED);
    let challenge = as_bearer.header(header::WWW_AUTHENTICATE);
    assert!(
        challenge.starts_with("DPoP realm=") && challenge.contains("error=\"invalid_token\""),
        "{challenge}"
    );
    let proof = key.proof(&ProofFor {
        method: "GET",
        url: "http://fauxauth.test/userinfo",
        iat: now(&p),
        jti: "u1",
        access_token: Some(access),
        nonce: None,
    });
    let scheme = format!("DPoP {access}");
    let ok = p
        .get_with(
            "/userinfo",
            &[(header::AUTHORIZATION, &scheme), (DPOP, &proof)],
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text());
    assert_eq!(ok.json()["sub"], "alice");
    let again = p
        .get_with(
            "/userinfo",
            &[(header::AUTHORIZATION, &scheme), (DPOP, &proof)],
        )
        .await;
    assert_eq!(
        again.status,
        StatusCode::UNAUTHORIZED,
        "the proof was spent"
    );
}
