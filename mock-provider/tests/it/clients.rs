//! Client authentication (RFC 6749 §2.3.1, §3.2.1, §5.2).

use axum::http::{StatusCode, header};
use mock_provider::{AuthMethod, ClientConfig, Config, GrantType, SigningAlg};

use crate::helpers::*;

const CC: [(&str, &str); 1] = [("grant_type", "client_credentials")];

#[tokio::test]
async fn basic_and_post_both_work_for_a_confidential_client() {
    let p = TestProvider::new();
    let basic = basic("machine", "machine-secret-0123");
    let by_basic = p
        .post("/token", &CC, &[(header::AUTHORIZATION, &basic)])
        .await;
    assert_eq!(by_basic.status, StatusCode::OK, "{}", by_basic.text());
    let by_post = p
        .post(
            "/token",
            &[
                CC[0],
                ("client_id", "machine"),
                ("client_secret", "machine-secret-0123"),
            ],
            &[],
        )
        .await;
    assert_eq!(by_post.status, StatusCode::OK, "{}", by_post.text());
}

#[tokio::test]
async fn wrong_secret_with_basic_is_401_with_a_basic_challenge() {
    let p = TestProvider::new();
    let basic = basic("machine", "wrong");
    let response = p
        .post("/token", &CC, &[(header::AUTHORIZATION, &basic)])
        .await;
    response.assert_token_error(401, "invalid_client");
    assert_eq!(
        response.header(header::WWW_AUTHENTICATE),
        format!("Basic realm=\"{ISSUER}\"")
    );
}

#[tokio::test]
async fn wrong_secret_in_the_body_is_invalid_client() {
    let p = TestProvider::new();
    p.post(
        "/token",
        &[CC[0], ("client_id", "machine"), ("client_secret", "wrong")],
        &[],
    )
    .await
    .assert_token_error(401, "invalid_client");
}

#[tokio::test]
async fn unknown_client_looks_the_same_as_a_wrong_secret() {
    let p = TestProvider::new();
    let unknown = p
        .post(
            "/token",
            &CC,
            &[(header::AUTHORIZATION, &basic("ghost", "x"))],
        )
        .await;
    let wrong = p
        .post(
            "/token",
            &CC,
            &[(header::AUTHORIZATION, &basic("machine", "x"))],
        )
        .await;
    assert_eq!(
        unknown.assert_token_error(401, "invalid_client"),
        wrong.assert_token_error(401, "invalid_client")
    );
}

#[tokio::test]
async fn a_confidential_client_without_credentials_is_invalid_client() {
    let p = TestProvider::new();
    let description = p
        .post("/token", &[CC[0], ("client_id", "machine")], &[])
        .await
        .assert_token_error(401, "invalid_client");
    assert!(description.contains("confidential"), "{description}");
    p.post("/token", &CC, &[])
        .await
        .assert_token_error(401, "invalid_client");
}

#[tokio::test]
async fn two_methods_at_once_are_invalid_request() {
    let p = TestProvider::new();
    let basic = basic("machine", "machine-secret-0123");
    let form = [CC[0], ("client_secret", "machine-secret-0123")];
    p.post("/token", &form, &[(header::AUTHORIZATION, &basic)])
        .await
        .assert_token_error(400, "invalid_request");
}

#[tokio::test]
async fn basic_client_id_must_match_the_body() {
    let p = TestProvider::new();
    let basic = basic("machine", "machine-secret-0123");
    p.post(
        "/token",
        &[CC[0], ("client_id", "web")],
        &[(header::AUTHORIZATION, &basic)],
    )
    .await
    .assert_token_error(400, "invalid_request");
}

#[tokio::test]
async fn basic_credentials_are_form_urlencoded_before_base64() {
    let id = "svc:a+b/c%d e!'()*";
    let secret = "p@ss:w/rd +%&=~";
    let mut client = ClientConfig::confidential(id, secret, CALLBACK);
    client.grant_types = vec![GrantType::ClientCredentials];
    client.redirect_uris.clear();
    let p = TestProvider::with(Config::single(issuer_config().with_client(client)));
    let response = p
        .post(
            "/token",
            &CC,
            &[(header::AUTHORIZATION, &basic(id, secret))],
        )
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    // Plain base64 of the raw values (no form-encoding) is not the same credential.
    use base64::Engine as _;
    let raw = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"))
    );
    p.post("/token", &CC, &[(header::AUTHORIZATION, &raw)])
        .await
        .assert_token_error(401, "invalid_client");
}

#[tokio::test]
async fn a_registered_auth_method_is_enforced() {
    let mut issuer = issuer_config();
    issuer.clients[2].token_endpoint_auth_method = Some(AuthMethod::ClientSecretBasic);
    let p = TestProvider::with(Config::single(issuer));
    let description = p
        .post(
            "/token",
            &[
                CC[0],
                ("client_id", "machine"),
                ("client_secret", "machine-secret-0123"),
            ],
            &[],
        )
        .await
        .assert_token_error(401, "invalid_client");
    assert!(description.contains("client_secret_basic"), "{description}");
}

#[tokio::test]
async fn a_public_client_identifies_itself_without_a_secret() {
    let p = TestProvider::new();
    let url = authorize_path("spa", &[]);
    let code = p.get(&url).await.redirect_params()["code"].clone();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", CALLBACK),
        ("code_verifier", VERIFIER),
        ("client_id", "spa"),
    ];
    let response = p.post("/token", &form, &[]).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    // A public client that presents a secret is refused.
    let with_secret = [CC[0], ("client_id", "spa"), ("client_secret", "guess")];
    p.post("/token", &with_secret, &[])
        .await
        .assert_token_error(401, "invalid_client");
}

#[tokio::test]
async fn an_id_token_alg_the_issuer_cannot_sign_with_is_a_configuration_error() {
    let mut issuer = issuer_config();
    issuer.signing_alg = SigningAlg::ES256;
    issuer.clients[1].id_token_signed_response_alg = Some(SigningAlg::EdDSA);
    let err = mock_provider::Provider::new(
        &Config::single(issuer),
        ISSUER,
        mock_provider::Clock::frozen(start_time()),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid configuration:\nissuers[0].clients[1].id_token_signed_response_alg: EdDSA is \
         not one this issuer signs ID tokens with: ES256 or RS256 (its signing_alg is ES256)"
    );

    // A client added while running is checked the same way; RS256 is always possible.
    let p = TestProvider::new();
    let mut client = ClientConfig::confidential("late", "late-secret-0123456", CALLBACK);
    client.id_token_signed_response_alg = Some(SigningAlg::ES256);
    let refused = p
        .provider
        .put_client("default", client.clone())
        .unwrap_err()
        .to_string();
    assert!(
        refused.starts_with("id_token_signed_response_alg: ES256 is not one"),
        "{refused}"
    );
    client.id_token_signed_response_alg = Some(SigningAlg::RS256);
    p.provider.put_client("default", client).unwrap();
}
