//! The token endpoint: code redemption (RFC 6749 §4.1.3, §5), PKCE (RFC 7636 §4.6), client
//! credentials (§4.4).

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use mock_provider::{Config, GrantType};
use serde_json::json;

use crate::helpers::*;

fn redeem_form(code: &str) -> Vec<(&str, &str)> {
    vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", CALLBACK),
        ("code_verifier", VERIFIER),
    ]
}

#[tokio::test]
async fn redemption_returns_json_tokens_that_must_not_be_cached() {
    let p = TestProvider::new();
    let code = p.code("openid profile email offline_access").await;
    let response = p.token(&redeem_form(&code)).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    assert!(
        response
            .header(header::CONTENT_TYPE)
            .starts_with("application/json")
    );
    assert_eq!(response.header(header::CACHE_CONTROL), "no-store");
    assert_eq!(response.header(header::PRAGMA), "no-cache");
    let body = response.json();
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["scope"], "openid profile email offline_access");
    assert!(body["refresh_token"].is_string() && body["id_token"].is_string());
}

#[tokio::test]
async fn access_token_is_an_rfc_9068_jwt() {
    let p = TestProvider::new();
    let tokens = p.tokens("openid items:read").await;
    let (header, claims) = jwt_parts(tokens["access_token"].as_str().unwrap());
    assert_eq!(header["typ"], "at+jwt");
    assert_eq!(header["alg"], "RS256");
    assert!(header["kid"].is_string());
    let now = 1_800_000_000u64;
    assert_eq!(claims["iss"], ISSUER);
    assert_eq!(claims["sub"], "alice");
    assert_eq!(claims["aud"], "api");
    assert_eq!(claims["client_id"], "web");
    assert_eq!(claims["scope"], "openid items:read");
    assert_eq!(claims["iat"], now);
    assert_eq!(claims["exp"], now + 3600);
    assert!(claims["jti"].is_string());
}

#[tokio::test]
async fn id_token_has_the_oidc_core_claims_filtered_by_scope() {
    let p = TestProvider::new();
    let tokens = p.tokens("openid email").await;
    let (header, claims) = jwt_parts(tokens["id_token"].as_str().unwrap());
    assert_eq!(header["typ"], "JWT");
    assert_eq!(claims["iss"], ISSUER);
    assert_eq!(claims["aud"], "web");
    assert_eq!(claims["sub"], "alice");
    assert_eq!(claims["nonce"], "n-0S6_WzA2Mj");
    assert_eq!(claims["auth_time"], 1_800_000_000u64);
    assert_eq!(claims["email"], "alice@example.com");
    assert!(
        claims.get("name").is_none(),
        "profile was not granted: {claims}"
    );
    // OIDC Core §3.1.3.6: at_hash is the left half of SHA-256 of the access token.
    use base64::Engine as _;
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(tokens["access_token"].as_str().unwrap().as_bytes());
    let expected = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest[..16]);
    assert_eq!(claims["at_hash"], expected);
}

#[tokio::test]
async fn no_id_token_without_the_openid_scope() {
    let p = TestProvider::new();
    let tokens = p.tokens("items:read").await;
    assert!(tokens.get("id_token").is_none(), "{tokens}");
}

#[tokio::test]
async fn a_replayed_code_is_refused_and_revokes_what_it_issued() {
    let p = TestProvider::new();
    let code = p.code("openid offline_access").await;
    let tokens = p.redeem(&code).await;
    let access = tokens["access_token"].as_str().unwrap();
    let userinfo = p
        .get_with("/userinfo", &[(header::AUTHORIZATION, &bearer(access))])
        .await;
    assert_eq!(userinfo.status, StatusCode::OK);

    p.clock().advance(Duration::from_secs(30));
    let description = p
        .token(&redeem_form(&code))
        .await
        .assert_token_error(400, "invalid_grant");
    assert!(description.contains("already used"), "{description}");

    let userinfo = p
        .get_with("/userinfo", &[(header::AUTHORIZATION, &bearer(access))])
        .await;
    assert_eq!(userinfo.status, StatusCode::UNAUTHORIZED);
    let refresh = tokens["refresh_token"].as_str().unwrap();
    p.token(&[("grant_type", "refresh_token"), ("refresh_token", refresh)])
        .await
        .assert_token_error(400, "invalid_grant");
    let auth = basic("web", WEB_SECRET);
    for token in [access, refresh] {
        let answer = p
            .post(
                "/introspect",
                &[("token", token)],
                &[(header::AUTHORIZATION, &auth)],
            )
            .await
            .json();
        assert_eq!(answer, json!({"active": false}));
    }
}

#[tokio::test]
async fn an_expired_code_is_invalid_grant() {
    let p = TestProvider::new();
    let code = p.code("openid").await;
    p.clock().advance(Duration::from_secs(61));
    p.token(&redeem_form(&code))
        .await
        .assert_token_error(400, "invalid_grant");
}

#[tokio::test]
async fn code_lifetime_is_configurable() {
    let mut issuer = issuer_config();
    issuer.lifetimes.code = Duration::from_secs(5);
    let p = TestProvider::with(mock_provider::Config::single(issuer));
    let code = p.code("openid").await;
    p.clock().advance(Duration::from_secs(5));
    p.token(&redeem_form(&code))
        .await
        .assert_token_error(400, "invalid_grant");
}

#[tokio::test]
async fn unknown_code_is_invalid_grant_and_missing_code_is_invalid_request() {
    let p = TestProvider::new();
    p.token(&redeem_form("garbage"))
        .await
        .assert_token_error(400, "invalid_grant");
    p.token(&[
        ("grant_type", "authorization_code"),
        ("redirect_uri", CALLBACK),
    ])
    .await
    .assert_token_error(400, "invalid_request");
}

#[tokio::test]
async fn a_code_is_bound_to_its_client() {
    let p = TestProvider::new();
    let code = p.code("openid").await;
    let other = basic("other", "other-secret-01234");
    let response = p
        .post(
            "/token",
            &redeem_form(&code),
            &[(header::AUTHORIZATION, &other)],
        )
        .await;
    response.assert_token_error(400, "invalid_grant");
    // The rightful client can still redeem it.
    p.redeem(&code).await;
}

#[tokio::test]
async fn a_code_is_bound_to_its_public_client() {
    let mut issuer = issuer_config();
    issuer
        .clients
        .push(mock_provider::ClientConfig::public("spa2", CALLBACK));
    let p = TestProvider::with(mock_provider::Config::single(issuer));
    let url = authorize_path("spa", &[]);
    let code = p.get(&url).await.redirect_params()["code"].clone();
    let mut form = redeem_form(&code);
    form.push(("client_id", "spa2"));
    p.post("/token", &form, &[])
        .await
        .assert_token_error(400, "invalid_grant");
    let mut form = redeem_form(&code);
    form.push(("client_id", "spa"));
    let response = p.post("/token", &form, &[]).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
}

#[tokio::test]
async fn redirect_uri_must_repeat_the_authorization_request_exactly() {
    let p = TestProvider::new();
    let code = p.code("openid").await;
    let mut form = redeem_form(&code);
    form[2] = ("redirect_uri", OTHER_CALLBACK);
    p.token(&form)
        .await
        .assert_token_error(400, "invalid_grant");
    form.remove(2);
    p.token(&form)
        .await
        .assert_token_error(400, "invalid_request");
    p.redeem(&code).await;
}

#[tokio::test]
async fn pkce_verifier_must_be_present_and_match() {
    let p = TestProvider::new();
    let code = p.code("openid").await;
    let mut form = redeem_form(&code);
    form.pop();
    p.token(&form)
        .await
        .assert_token_error(400, "invalid_grant");
    let wrong = "x".repeat(43);
    form.push(("code_verifier", &wrong));
    p.token(&form)
        .await
        .assert_token_error(400, "invalid_grant");
    for bad in [
        "a".repeat(42),
        "a".repeat(129),
        format!("{}+/=", "a".repeat(43)),
    ] {
        let mut form = redeem_form(&code);
        form[3] = ("code_verifier", &bad);
        p.token(&form)
            .await
            .assert_token_error(400, "invalid_grant");
    }
    p.redeem(&code).await;
}

#[tokio::test]
async fn a_verifier_without_a_challenge_is_refused() {
    let p = TestProvider::new();
    let url = authorize_path(
        "web",
        &[("code_challenge", None), ("code_challenge_method", None)],
    );
    let code = p.get(&url).await.redirect_params()["code"].clone();
    let description = p
        .token(&redeem_form(&code))
        .await
        .assert_token_error(400, "invalid_grant");
    assert!(description.contains("RFC 9700"), "{description}");
}

#[tokio::test]
async fn an_injected_code_fails_with_the_victims_verifier() {
    let p = TestProvider::new();
    // The attacker's code, bound to the attacker's challenge.
    let attacker_verifier = "attacker-verifier-attacker-verifier-attacker";
    let attacker_challenge = {
        use base64::Engine as _;
        use sha2::Digest as _;
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(sha2::Sha256::digest(attacker_verifier))
    };
    let code = p
        .code_with(&[("scope", "openid"), ("code_challenge", &attacker_challenge)])
        .await;
    // The victim's client redeems it with the victim's verifier.
    p.token(&redeem_form(&code))
        .await
        .assert_token_error(400, "invalid_grant");
}

#[tokio::test]
async fn unsupported_and_missing_grant_types() {
    let p = TestProvider::new();
    // The password grant exists, but no client has it unless configured (RFC 6749 §5.2).
    p.token(&[
        ("grant_type", "password"),
        ("username", "alice"),
        ("password", "x"),
    ])
    .await
    .assert_token_error(400, "unauthorized_client");
    p.token(&[("grant_type", "foo")])
        .await
        .assert_token_error(400, "unsupported_grant_type");
    p.token(&[("code", "x")])
        .await
        .assert_token_error(400, "invalid_request");
}

#[tokio::test]
async fn a_grant_the_client_is_not_registered_for_is_unauthorized_client() {
    let p = TestProvider::new();
    let auth = basic("machine", "machine-secret-0123");
    p.post(
        "/token",
        &redeem_form("x"),
        &[(header::AUTHORIZATION, &auth)],
    )
    .await
    .assert_token_error(400, "unauthorized_client");
}

#[tokio::test]
async fn get_is_not_allowed_at_the_token_endpoint() {
    let p = TestProvider::new();
    let response = p
        .get(&format!(
            "/token?{}",
            encode(&[
                ("grant_type", "client_credentials"),
                ("client_id", "machine"),
                ("client_secret", "machine-secret-0123")
            ])
        ))
        .await;
    assert_eq!(response.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(response.header(header::ALLOW), "POST");
    assert_eq!(response.json()["error"], "invalid_request");
}

#[tokio::test]
async fn a_secret_in_the_url_is_refused() {
    let p = TestProvider::new();
    let response = p
        .post(
            "/token?client_secret=machine-secret-0123",
            &[
                ("grant_type", "client_credentials"),
                ("client_id", "machine"),
            ],
            &[],
        )
        .await;
    response.assert_token_error(400, "invalid_request");
}

#[tokio::test]
async fn repeated_parameters_are_invalid_request() {
    let p = TestProvider::new();
    let code = p.code("openid").await;
    let mut form = redeem_form(&code);
    form.push(("code", "another"));
    p.token(&form)
        .await
        .assert_token_error(400, "invalid_request");
}

#[tokio::test]
async fn a_body_that_is_not_a_form_is_invalid_request() {
    let p = TestProvider::new();
    let request = Request::post("/token")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::AUTHORIZATION, basic("web", WEB_SECRET))
        .body(Body::from(r#"{"grant_type":"client_credentials"}"#))
        .unwrap();
    p.send(request)
        .await
        .assert_token_error(400, "invalid_request");
}

#[tokio::test]
async fn client_credentials_issue_an_access_token_for_the_client_itself() {
    let p = TestProvider::new();
    let auth = basic("machine", "machine-secret-0123");
    let response = p
        .post(
            "/token",
            &[
                ("grant_type", "client_credentials"),
                ("scope", "items:read"),
            ],
            &[(header::AUTHORIZATION, &auth)],
        )
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text());
    let body = response.json();
    assert!(
        body.get("refresh_token").is_none() && body.get("id_token").is_none(),
        "{body}"
    );
    let (_, claims) = jwt_parts(body["access_token"].as_str().unwrap());
    assert_eq!(claims["sub"], "machine");
    assert_eq!(claims["client_id"], "machine");
    assert_eq!(claims["scope"], "items:read");
    // No user, so no openid; unknown scopes are refused.
    for scope in ["openid", "nonsense"] {
        p.post(
            "/token",
            &[("grant_type", "client_credentials"), ("scope", scope)],
            &[(header::AUTHORIZATION, &auth)],
        )
        .await
        .assert_token_error(400, "invalid_scope");
    }
}

#[tokio::test]
async fn tokens_are_signed_with_es256_and_eddsa_when_configured() {
    for alg in [
        mock_provider::SigningAlg::ES256,
        mock_provider::SigningAlg::EdDSA,
    ] {
        let mut issuer = issuer_config();
        issuer.signing_alg = alg;
        let p = TestProvider::with(mock_provider::Config::single(issuer));
        let tokens = p.tokens("openid").await;
        for token in ["access_token", "id_token"] {
            let (header, _) = jwt_parts(tokens[token].as_str().unwrap());
            assert_eq!(header["alg"], alg.as_str());
        }
        // OIDC Core §3.1.3.6: the left half of the hash the algorithm uses (SHA-512 for Ed25519).
        use base64::Engine as _;
        use sha2::Digest as _;
        let access = tokens["access_token"].as_str().unwrap().as_bytes();
        let expected = match alg {
            mock_provider::SigningAlg::EdDSA => base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(&sha2::Sha512::digest(access)[..32]),
            _ => base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(&sha2::Sha256::digest(access)[..16]),
        };
        assert_eq!(
            jwt_parts(tokens["id_token"].as_str().unwrap()).1["at_hash"],
            expected,
            "{alg}"
        );
        let jwks = p.get("/jwks").await.json();
        assert_eq!(jwks["keys"][0]["alg"], alg.as_str());
        let discovery = p.get("/.well-known/openid-configuration").await.json();
        assert_eq!(
            discovery["id_token_signing_alg_values_supported"],
            json!([alg.as_str(), "RS256"])
        );
    }
}

/// The key the JWKS publishes with `alg`, and that it is the one with `kid`.
fn published_key(
    jwks: &serde_json::Value,
    alg: &str,
    kid: &serde_json::Value,
) -> jsonwebtoken::DecodingKey {
    let keys = jwks["keys"].as_array().unwrap();
    let jwk = keys
        .iter()
        .find(|k| k["alg"] == alg)
        .unwrap_or_else(|| panic!("no {alg} key: {jwks}"));
    assert_eq!(&jwk["kid"], kid, "signed with the published {alg} key");
    jsonwebtoken::DecodingKey::from_jwk(&serde_json::from_value(jwk.clone()).unwrap()).unwrap()
}

/// Verifies `token`'s signature with `key`, the algorithm pinned to `alg`; returns its claims.
fn verified(
    token: &str,
    key: &jsonwebtoken::DecodingKey,
    alg: jsonwebtoken::Algorithm,
) -> serde_json::Value {
    let mut validation = jsonwebtoken::Validation::new(alg);
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.required_spec_claims.clear();
    jsonwebtoken::decode::<serde_json::Value>(token, key, &validation)
        .unwrap_or_else(|e| panic!("{alg:?} signature: {e}"))
        .claims
}

#[tokio::test]
async fn a_client_asking_for_rs256_gets_rs256_id_tokens_from_an_es256_or_eddsa_issuer() {
    use base64::Engine as _;
    use sha2::Digest as _;

    for alg in [
        mock_provider::SigningAlg::ES256,
        mock_provider::SigningAlg::EdDSA,
    ] {
        let mut issuer = issuer_config();
        issuer.signing_alg = alg;
        assert_eq!(issuer.clients[0].client_id, "web");
        issuer.clients[0].id_token_signed_response_alg = Some(mock_provider::SigningAlg::RS256);
        let p = TestProvider::with(mock_provider::Config::single(issuer));
        let jwks = p.get("/jwks").await.json();
        let tokens = p.tokens("openid").await;

        let id_token = tokens["id_token"].as_str().unwrap();
        let (header, _) = jwt_parts(id_token);
        assert_eq!(header["alg"], "RS256", "{alg}");
        let rs256 = published_key(&jwks, "RS256", &header["kid"]);
        let claims = verified(id_token, &rs256, jsonwebtoken::Algorithm::RS256);
        assert_eq!(claims["sub"], "alice");
        assert_eq!(claims["aud"], "web");
        // OIDC Core §3.1.3.6: at_hash follows the ID token's algorithm, SHA-256 for RS256 even
        // when the access token is EdDSA.
        let access = tokens["access_token"].as_str().unwrap();
        assert_eq!(
            claims["at_hash"],
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(&sha2::Sha256::digest(access.as_bytes())[..16]),
            "{alg}"
        );

        // The access token stays with the issuer's own algorithm and key.
        let (header, _) = jwt_parts(access);
        assert_eq!(header["alg"], alg.as_str());
        let own = published_key(&jwks, alg.as_str(), &header["kid"]);
        verified(access, &own, alg.jwt_algorithm());

        // Refreshed ID tokens keep the client's algorithm.
        let refreshed = p
            .token(&[
                ("grant_type", "refresh_token"),
                ("refresh_token", tokens["refresh_token"].as_str().unwrap()),
            ])
            .await
            .json();
        let (header, _) = jwt_parts(refreshed["id_token"].as_str().unwrap());
        assert_eq!(header["alg"], "RS256", "{alg}: {refreshed}");

        // A client that does not ask gets the issuer's algorithm.
        let code = p
            .get(&authorize_path("other", &[("scope", Some("openid"))]))
            .await
            .redirect_params()["code"]
            .clone();
        let other = p
            .post(
                "/token",
                &[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("redirect_uri", CALLBACK),
                    ("code_verifier", VERIFIER),
                ],
                &[(header::AUTHORIZATION, &basic("other", "other-secret-01234"))],
            )
            .await
            .json();
        let id_token = other["id_token"].as_str().unwrap();
        let (header, _) = jwt_parts(id_token);
        assert_eq!(header["alg"], alg.as_str(), "{other}");
        let own = published_key(&jwks, alg.as_str(), &header["kid"]);
        verified(id_token, &own, alg.jwt_algorithm());
    }
}

/// RFC 6749 §4.1.2.1, §5.2: `error_description` is %x20-21 / %x23-5B / %x5D-7E only.
fn assert_description_charset(description: &str) {
    assert!(
        description
            .bytes()
            .all(|b| matches!(b, 0x20..=0x21 | 0x23..=0x5B | 0x5D..=0x7E)),
        "outside the RFC 6749 set: {description:?}"
    );
}

#[tokio::test]
async fn error_descriptions_stay_within_the_rfc_6749_character_set() {
    let p = TestProvider::new();
    let code = p.code("openid").await;
    p.redeem(&code).await;
    let replay = p
        .token(&redeem_form(&code))
        .await
        .assert_token_error(400, "invalid_grant");
    assert!(replay.contains("RFC 6749 section 4.1.2"), "{replay}");
    assert_description_charset(&replay);
    let unsupported = p
        .token(&[("grant_type", "foo")])
        .await
        .assert_token_error(400, "unsupported_grant_type");
    assert_description_charset(&unsupported);
    let redirect = p
        .get(&authorize_path("web", &[("response_type", Some("token"))]))
        .await;
    assert_description_charset(&redirect.redirect_params()["error_description"]);
}

/// RFC 6749 §4.3, for a client configured with it: the user's credentials for tokens (an ID
/// token with `openid`, a refresh token when the client may refresh), the same `invalid_grant`
/// for an unknown user and a wrong password, `invalid_request` without one of them, and
/// discovery listing the grant only then.
#[tokio::test]
async fn the_password_grant_is_a_configured_clients_alone() {
    assert!(
        !TestProvider::new().advertises_grant("password").await,
        "no client has it: not advertised"
    );

    let mut issuer = issuer_config();
    issuer.clients[0].grant_types.push(GrantType::Password);
    let p = TestProvider::with(Config::single(issuer));
    assert!(p.advertises_grant("password").await);
    let answer = p
        .token(&[
            ("grant_type", "password"),
            ("username", "bob"),
            ("password", "hunter2"),
            ("scope", "openid profile offline_access"),
        ])
        .await;
    assert_eq!(answer.status.as_u16(), 200, "{}", answer.text());
    let body = answer.json();
    assert!(body["refresh_token"].is_string(), "{body}");
    let (_, claims) = jwt_parts(body["id_token"].as_str().unwrap());
    // bob's configured subject.
    assert_eq!(claims["sub"], "user-0002");
    assert_eq!(claims["name"], "Bob Example");
    assert!(claims.get("nonce").is_none());
    // The refresh token works like any other.
    let refreshed = p
        .token(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", body["refresh_token"].as_str().unwrap()),
        ])
        .await;
    assert_eq!(refreshed.status.as_u16(), 200, "{}", refreshed.text());

    for (username, password) in [("bob", "wrong"), ("nobody", "hunter2")] {
        let said = p
            .token(&[
                ("grant_type", "password"),
                ("username", username),
                ("password", password),
            ])
            .await
            .assert_token_error(400, "invalid_grant");
        assert_eq!(said, "the username or the password is wrong");
    }
    p.token(&[("grant_type", "password"), ("username", "bob")])
        .await
        .assert_token_error(400, "invalid_request");
    p.token(&[
        ("grant_type", "password"),
        ("username", "bob"),
        ("password", "hunter2"),
        ("scope", "admin"),
    ])
    .await
    .assert_token_error(400, "invalid_scope");
}
