//! Metadata (OpenID Connect Discovery 1.0, RFC 8414), JWKS, and several issuers in one server.

use axum::http::{StatusCode, header};
use mock_provider::{Config, IssuerConfig, SigningAlg};
use serde_json::json;

use crate::helpers::*;

#[tokio::test]
async fn discovery_names_the_issuer_exactly_and_only_what_works() {
    let p = TestProvider::new();
    let response = p.get("/.well-known/openid-configuration").await;
    assert_eq!(response.status, StatusCode::OK);
    assert!(
        response
            .header(header::CONTENT_TYPE)
            .starts_with("application/json")
    );
    let doc = response.json();
    assert_eq!(doc["issuer"], ISSUER);
    for endpoint in [
        "authorization_endpoint",
        "token_endpoint",
        "userinfo_endpoint",
        "jwks_uri",
        "revocation_endpoint",
        "introspection_endpoint",
        "end_session_endpoint",
    ] {
        assert!(
            doc[endpoint]
                .as_str()
                .unwrap()
                .starts_with(&format!("{ISSUER}/")),
            "{endpoint}"
        );
    }
    assert_eq!(doc["response_types_supported"], json!(["code"]));
    assert_eq!(
        doc["grant_types_supported"],
        json!(["authorization_code", "refresh_token", "client_credentials"])
    );
    assert_eq!(doc["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(
        doc["token_endpoint_auth_methods_supported"],
        json!([
            "client_secret_basic",
            "client_secret_post",
            "client_secret_jwt",
            "private_key_jwt",
            "none"
        ])
    );
    let assertion_algs = json!([
        "HS256", "HS384", "HS512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256",
        "ES384", "EdDSA"
    ]);
    for endpoint in ["token", "revocation", "introspection"] {
        assert_eq!(
            doc[format!("{endpoint}_endpoint_auth_signing_alg_values_supported")],
            assertion_algs,
            "{endpoint}"
        );
    }
    assert_eq!(
        doc["id_token_signing_alg_values_supported"],
        json!(["RS256"])
    );
    assert_eq!(doc["authorization_response_iss_parameter_supported"], true);
    assert_eq!(doc["request_uri_parameter_supported"], false);
    let scopes = doc["scopes_supported"].as_array().unwrap();
    assert!(scopes.contains(&json!("openid")) && scopes.contains(&json!("items:write")));
    assert_eq!(
        p.get("/.well-known/oauth-authorization-server")
            .await
            .json(),
        doc
    );
}

#[tokio::test]
async fn jwks_publishes_the_signing_key_with_a_stable_kid() {
    let a = TestProvider::new().get("/jwks").await.json();
    let b = TestProvider::new().get("/jwks").await.json();
    assert_eq!(a, b, "same seed, same keys");
    let key = &a["keys"][0];
    assert_eq!(key["kty"], "RSA");
    assert_eq!(key["use"], "sig");
    assert_eq!(key["alg"], "RS256");
    assert!(key.get("d").is_none(), "no private parts");
    let p = TestProvider::new();
    let tokens = p.tokens("openid").await;
    let (header, _) = jwt_parts(tokens["id_token"].as_str().unwrap());
    assert_eq!(header["kid"], key["kid"]);
}

fn signing_with(alg: SigningAlg) -> TestProvider {
    let mut issuer = issuer_config();
    issuer.signing_alg = alg;
    TestProvider::with(Config::single(issuer))
}

#[tokio::test]
async fn jwks_of_an_es256_or_eddsa_issuer_publishes_an_rs256_companion_after_its_own_key() {
    let rs256 = TestProvider::new().get("/jwks").await.json();
    for alg in [SigningAlg::ES256, SigningAlg::EdDSA] {
        let jwks = signing_with(alg).get("/jwks").await.json();
        let keys = jwks["keys"].as_array().unwrap();
        assert_eq!(keys.len(), 2, "{alg}: {jwks}");
        assert_eq!(keys[0]["alg"], alg.as_str());
        let companion = &keys[1];
        assert_eq!(companion["alg"], "RS256", "{alg}");
        assert_eq!(companion["kty"], "RSA");
        assert_eq!(companion["use"], "sig");
        assert!(companion.get("d").is_none(), "no private parts");
        assert_ne!(companion["kid"], keys[0]["kid"]);
        // Derived apart from own keys: not the key an RS256 issuer in its place signs with.
        assert_ne!(companion["kid"], rs256["keys"][0]["kid"], "{alg}");
    }
}

#[tokio::test]
async fn discovery_of_an_es256_or_eddsa_issuer_lists_its_alg_then_rs256() {
    // OpenID Connect Discovery 1.0 §3: RS256 MUST be among the ID token algorithms.
    for alg in [SigningAlg::ES256, SigningAlg::EdDSA] {
        let p = signing_with(alg);
        assert_eq!(
            discovery(&p, "id_token_signing_alg_values_supported").await,
            json!([alg.as_str(), "RS256"])
        );
    }
    assert_eq!(
        discovery(
            &signing_with(SigningAlg::RS256),
            "id_token_signing_alg_values_supported"
        )
        .await,
        json!(["RS256"]),
        "listed once"
    );
}

#[tokio::test]
async fn another_seed_gives_other_keys() {
    let mut config = Config::single(issuer_config());
    config.seed = "another".into();
    config.issuers[0].signing_alg = mock_provider::SigningAlg::ES256;
    let other = TestProvider::with(config).get("/jwks").await.json();
    let default = TestProvider::with({
        let mut c = Config::single(issuer_config());
        c.issuers[0].signing_alg = mock_provider::SigningAlg::ES256;
        c
    })
    .get("/jwks")
    .await
    .json();
    assert_ne!(other["keys"][0]["kid"], default["keys"][0]["kid"]);
}

fn two_issuers() -> TestProvider {
    TestProvider::with(Config {
        issuers: vec![
            issuer_config(),
            IssuerConfig {
                name: "second".into(),
                ..issuer_config()
            },
        ],
        ..Config::default()
    })
}

#[tokio::test]
async fn several_issuers_are_served_under_their_names_with_their_own_keys() {
    let p = two_issuers();
    let first = p
        .get("/default/.well-known/openid-configuration")
        .await
        .json();
    let second = p
        .get("/second/.well-known/openid-configuration")
        .await
        .json();
    assert_eq!(first["issuer"], format!("{ISSUER}/default"));
    assert_eq!(second["token_endpoint"], format!("{ISSUER}/second/token"));
    // RFC 8414 §3.1: the well-known segment goes between host and issuer path.
    assert_eq!(
        p.get("/.well-known/oauth-authorization-server/second")
            .await
            .json(),
        second
    );
    let k1 = p.get("/default/jwks").await.json();
    let k2 = p.get("/second/jwks").await.json();
    assert_ne!(k1["keys"][0]["kid"], k2["keys"][0]["kid"]);
    assert_eq!(
        p.get("/.well-known/openid-configuration").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_token_from_one_issuer_is_worthless_at_another() {
    let p = two_issuers();
    let url = format!("/default{}", authorize_path("web", &[]));
    let code = p.get(&url).await.redirect_params()["code"].clone();
    let auth = basic("web", WEB_SECRET);
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", CALLBACK),
        ("code_verifier", VERIFIER),
    ];
    // The code means nothing to the second issuer.
    p.post("/second/token", &form, &[(header::AUTHORIZATION, &auth)])
        .await
        .assert_token_error(400, "invalid_grant");
    let tokens = p
        .post("/default/token", &form, &[(header::AUTHORIZATION, &auth)])
        .await
        .json();
    let access = tokens["access_token"].as_str().unwrap();
    let elsewhere = p
        .get_with(
            "/second/userinfo",
            &[(header::AUTHORIZATION, &bearer(access))],
        )
        .await;
    assert_eq!(elsewhere.status, StatusCode::UNAUTHORIZED);
    let home = p
        .get_with(
            "/default/userinfo",
            &[(header::AUTHORIZATION, &bearer(access))],
        )
        .await;
    assert_eq!(home.status, StatusCode::OK);
}

#[tokio::test]
async fn clients_and_users_can_be_added_while_running() {
    let p = TestProvider::new();
    let mut client =
        mock_provider::ClientConfig::confidential("late", "late-secret-0123456", CALLBACK);
    client.grant_types = vec![mock_provider::GrantType::ClientCredentials];
    p.provider.put_client("default", client).unwrap();
    let response = p
        .post(
            "/token",
            &[("grant_type", "client_credentials")],
            &[(header::AUTHORIZATION, &basic("late", "late-secret-0123456"))],
        )
        .await;
    assert_eq!(response.status, StatusCode::OK);
    let bad = mock_provider::ClientConfig::confidential("bad", "s", "http://app.example/cb");
    assert!(
        p.provider
            .put_client("default", bad)
            .unwrap_err()
            .to_string()
            .contains("RFC 9700")
    );
    p.provider
        .put_user("default", mock_provider::UserConfig::new("carol"))
        .unwrap();
    let tokens = p
        .redeem(
            &p.code_with(&[("scope", "openid"), ("login_hint", "carol")])
                .await,
        )
        .await;
    assert_eq!(
        jwt_parts(tokens["id_token"].as_str().unwrap()).1["sub"],
        "carol"
    );
    assert_eq!(
        p.provider
            .put_user("nope", mock_provider::UserConfig::new("x"))
            .unwrap_err(),
        mock_provider::ScriptError::NoSuchIssuer("nope".into())
    );
}

async fn discovery(p: &TestProvider, member: &str) -> serde_json::Value {
    p.get("/.well-known/openid-configuration").await.json()[member].clone()
}

async fn published_kids(p: &TestProvider) -> Vec<String> {
    p.get("/jwks").await.json()["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn discovery_and_jwks_follow_changes_after_they_were_served() {
    // Both documents are served from cached bytes; every change must still show at once.
    let p = TestProvider::new();
    let scopes_before = discovery(&p, "scopes_supported").await;
    assert!(
        !scopes_before
            .as_array()
            .unwrap()
            .contains(&json!("reports:read"))
    );
    assert_eq!(
        discovery(&p, "code_challenge_methods_supported").await,
        json!(["S256"])
    );

    let mut client =
        mock_provider::ClientConfig::confidential("late", "late-secret-0123456", CALLBACK);
    client.scopes = Some(vec!["openid".into(), "reports:read".into()]);
    client.allow_plain_pkce = true;
    p.provider.put_client("default", client).unwrap();
    assert!(
        discovery(&p, "scopes_supported")
            .await
            .as_array()
            .unwrap()
            .contains(&json!("reports:read"))
    );
    assert_eq!(
        discovery(&p, "code_challenge_methods_supported").await,
        json!(["S256", "plain"])
    );

    assert!(p.provider.remove_client("default", "late").unwrap());
    assert_eq!(discovery(&p, "scopes_supported").await, scopes_before);
    assert_eq!(
        discovery(&p, "code_challenge_methods_supported").await,
        json!(["S256"])
    );

    let first = published_kids(&p).await;
    assert_eq!(first.len(), 1);
    let second = p
        .provider
        .rotate_keys("default", std::time::Duration::from_secs(60))
        .unwrap();
    assert_eq!(published_kids(&p).await, [first[0].clone(), second.clone()]);
    p.clock().advance(std::time::Duration::from_secs(61));
    assert_eq!(published_kids(&p).await, std::slice::from_ref(&second));
    p.provider
        .set_key_published("default", &second, false)
        .unwrap();
    assert!(published_kids(&p).await.is_empty());

    p.provider.reset().unwrap();
    assert_eq!(published_kids(&p).await, first);
    assert_eq!(discovery(&p, "scopes_supported").await, scopes_before);
}
