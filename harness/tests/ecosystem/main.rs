//! The provider and the resource together, as an app meets them: tokens from `mock-provider`
//! used at `mock-resource`, in both validation modes.

use std::collections::HashMap;
use std::time::Duration;

use mock_provider::{ClientConfig, Config, GrantType, IssuerConfig, UserConfig};
use mock_resource::Mode;
use reqwest::StatusCode;
use serde_json::{Value, json};

const CALLBACK: &str = "http://127.0.0.1:8080/callback";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

fn provider_config() -> Config {
    let mut app = ClientConfig::confidential("app", "app-secret-0123456789", CALLBACK);
    app.scopes = Some(vec![
        "openid".into(),
        "profile".into(),
        "items:read".into(),
        "items:write".into(),
    ]);
    let mut api = ClientConfig::confidential("api", "api-secret-0123456789", CALLBACK);
    api.grant_types = vec![GrantType::ClientCredentials];
    api.redirect_uris.clear();
    Config::single(
        IssuerConfig::new("main")
            .with_client(app)
            .with_client(api)
            .with_user(UserConfig::new("alice").with_claim("name", "Alice")),
    )
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The code flow as the app would run it: the token response.
async fn login(issuer: &str, scope: &str) -> Value {
    let http = http();
    let mut form = form_urlencoded::Serializer::new(String::new());
    for (k, v) in [
        ("response_type", "code"),
        ("client_id", "app"),
        ("redirect_uri", CALLBACK),
        ("scope", scope),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ] {
        form.append_pair(k, v);
    }
    let response = http
        .get(format!("{issuer}/authorize?{}", form.finish()))
        .send()
        .await
        .unwrap();
    let location = url::Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
    let params: HashMap<_, _> = location.query_pairs().into_owned().collect();
    http.post(format!("{issuer}/token"))
        .basic_auth("app", Some("app-secret-0123456789"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", params["code"].as_str()),
            ("redirect_uri", CALLBACK),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn call(resource: &str, path: &str, token: &str) -> reqwest::Response {
    http()
        .get(format!("{resource}{path}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

fn resource_config(issuer: &str, mode: Mode) -> mock_resource::Config {
    let mut config = mock_resource::Config::new(issuer);
    config.mode = Some(mode);
    if mode == Mode::Introspection {
        config.client_id = Some("api".into());
        config.client_secret = Some("api-secret-0123456789".into());
    }
    config
}

#[tokio::test]
async fn provider_tokens_open_the_resource_in_jwt_mode_and_scopes_are_enforced() {
    let provider = mock_provider::spawn(provider_config()).await.unwrap();
    let resource = mock_resource::spawn(resource_config(&provider.issuer(), Mode::Jwt))
        .await
        .unwrap();
    let tokens = login(&provider.issuer(), "openid profile items:read").await;
    let access = tokens["access_token"].as_str().unwrap();

    let me = call(&resource.url(), "/api/me", access).await;
    assert_eq!(me.status(), StatusCode::OK);
    let me: Value = me.json().await.unwrap();
    assert_eq!(me["sub"], "alice");
    assert_eq!(me["client_id"], "app");

    assert_eq!(
        call(&resource.url(), "/api/items", access).await.status(),
        StatusCode::OK
    );
    let write = http()
        .post(format!("{}/api/items", resource.url()))
        .bearer_auth(access)
        .json(&json!({"name": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(write.status(), StatusCode::FORBIDDEN);
    assert!(
        write.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("scope=\"items:write\"")
    );

    // An ID token is not an access token (RFC 9068 §4: typ at+jwt).
    let id = call(
        &resource.url(),
        "/api/me",
        tokens["id_token"].as_str().unwrap(),
    )
    .await;
    assert_eq!(id.status(), StatusCode::UNAUTHORIZED);
    assert!(
        id.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("invalid_token")
    );
}

#[tokio::test]
async fn a_key_rotation_at_the_provider_is_followed_by_the_resource() {
    let provider = mock_provider::spawn(provider_config()).await.unwrap();
    let resource = mock_resource::spawn(resource_config(&provider.issuer(), Mode::Jwt))
        .await
        .unwrap();
    let before = login(&provider.issuer(), "openid items:read").await;
    assert_eq!(
        call(
            &resource.url(),
            "/api/items",
            before["access_token"].as_str().unwrap()
        )
        .await
        .status(),
        StatusCode::OK
    );
    provider
        .provider()
        .rotate_keys("main", Duration::from_secs(600))
        .unwrap();
    let after = login(&provider.issuer(), "openid items:read").await;
    assert_eq!(
        call(
            &resource.url(),
            "/api/items",
            after["access_token"].as_str().unwrap()
        )
        .await
        .status(),
        StatusCode::OK
    );
    assert_eq!(
        call(
            &resource.url(),
            "/api/items",
            before["access_token"].as_str().unwrap()
        )
        .await
        .status(),
        StatusCode::OK
    );
    // The provider saw the resource fetch its keys again for the new kid.
    let jwks = provider
        .provider()
        .journal()
        .count(&mock_provider::Filter::endpoint("jwks"));
    assert_eq!(jwks, 2, "one fetch at first use, one for the new kid");
}

#[tokio::test]
async fn a_revocation_shows_at_once_in_introspection_mode() {
    let provider = mock_provider::spawn(provider_config()).await.unwrap();
    let resource = mock_resource::spawn(resource_config(&provider.issuer(), Mode::Introspection))
        .await
        .unwrap();
    let tokens = login(&provider.issuer(), "openid items:read").await;
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(
        call(&resource.url(), "/api/items", access).await.status(),
        StatusCode::OK
    );
    let revoked = http()
        .post(format!("{}/revoke", provider.issuer()))
        .basic_auth("app", Some("app-secret-0123456789"))
        .form(&[("token", tokens["refresh_token"].as_str().unwrap())])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::OK);
    let after = call(&resource.url(), "/api/items", access).await;
    assert_eq!(after.status(), StatusCode::UNAUTHORIZED);
    assert!(
        after.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("invalid_token")
    );
}

#[tokio::test]
async fn a_replayed_code_revokes_its_tokens_at_the_resource_in_introspection_mode() {
    let provider = mock_provider::spawn(provider_config()).await.unwrap();
    let resource = mock_resource::spawn(resource_config(&provider.issuer(), Mode::Introspection))
        .await
        .unwrap();
    let issuer = provider.issuer();
    let http = http();
    let response = http
        .get(format!("{issuer}/authorize?response_type=code&client_id=app&redirect_uri={}&scope=items:read&code_challenge={CHALLENGE}&code_challenge_method=S256", url::form_urlencoded::byte_serialize(CALLBACK.as_bytes()).collect::<String>()))
        .send()
        .await
        .unwrap();
    let location = url::Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
    let code = location
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned();
    let redeem = || {
        http.post(format!("{issuer}/token"))
            .basic_auth("app", Some("app-secret-0123456789"))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code.as_str()),
                ("redirect_uri", CALLBACK),
                ("code_verifier", VERIFIER),
            ])
            .send()
    };
    let tokens: Value = redeem().await.unwrap().json().await.unwrap();
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(
        call(&resource.url(), "/api/items", access).await.status(),
        StatusCode::OK
    );
    assert_eq!(redeem().await.unwrap().status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        call(&resource.url(), "/api/items", access).await.status(),
        StatusCode::UNAUTHORIZED
    );
}
