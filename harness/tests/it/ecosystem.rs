//! The provider and the resource together, as an app meets them: tokens from `mock-provider`
//! used at `mock-resource`, in both validation modes.

use mock_provider::Scripted as _;
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
        .use_preconfigured_tls(fauxauth_core::Trust::default().client_config())
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The code flow as the app would run it: the token response.
async fn login(issuer: &str, scope: &str) -> Value {
    code_flow(
        &format!("{issuer}/authorize"),
        &format!("{issuer}/token"),
        scope,
        &[],
    )
    .await
}

/// The code flow at these endpoints, with `extra` authorization parameters: the token response
/// (asked for as JSON, which GitHub's token endpoint needs).
async fn code_flow(authorize: &str, token: &str, scope: &str, extra: &[(&str, &str)]) -> Value {
    let http = http();
    let mut form = form_urlencoded::Serializer::new(String::new());
    for (k, v) in [
        ("response_type", "code"),
        ("client_id", "app"),
        ("redirect_uri", CALLBACK),
        ("scope", scope),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ]
    .iter()
    .chain(extra)
    {
        form.append_pair(k, v);
    }
    let response = http
        .get(format!("{authorize}?{}", form.finish()))
        .send()
        .await
        .unwrap();
    let location = url::Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
    let params: HashMap<_, _> = location.query_pairs().into_owned().collect();
    http.post(token)
        .basic_auth("app", Some("app-secret-0123456789"))
        .header("accept", "application/json")
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

/// A provider with `preset` and a resource serving the same preset's API, introspecting as `api`.
async fn preset_world(
    preset: mock_resource::Preset,
) -> (mock_provider::Running, mock_resource::Running) {
    let mut config = provider_config();
    let issuer = &mut config.issuers[0];
    issuer.preset = preset;
    issuer.scopes = ["read:user", "user:email", "User.Read", "email"]
        .map(str::to_owned)
        .to_vec();
    issuer.clients[0].scopes = None;
    issuer.users[0] = UserConfig::new("alice")
        .with_claim("name", "Alice")
        .with_claim("email", "alice@example.test")
        .with_claim("email_verified", true)
        .with_claim("email_public", false);
    let provider = mock_provider::spawn(config).await.unwrap();
    let base = provider.provider().issuer_base("main").unwrap();
    let mut resource = resource_config(&base, Mode::Introspection);
    resource.preset = preset;
    resource.mode = None;
    let resource = mock_resource::spawn(resource).await.unwrap();
    (provider, resource)
}

/// Where the provider's first issuer serves `name` (its preset's path).
fn endpoint(provider: &mock_provider::Running, name: &str) -> String {
    provider
        .provider()
        .endpoints("main")
        .into_iter()
        .find(|(endpoint, _)| *endpoint == name)
        .unwrap()
        .1
}

/// The code flow at a preset's paths, as an app written for the real provider runs it, with
/// `extra` authorization parameters; the token response.
async fn preset_tokens(
    provider: &mock_provider::Running,
    scope: &str,
    extra: &[(&str, &str)],
) -> Value {
    code_flow(
        &endpoint(provider, "authorize"),
        &endpoint(provider, "token"),
        scope,
        extra,
    )
    .await
}

/// A preset's access token for `scope`.
async fn preset_login(provider: &mock_provider::Running, scope: &str) -> String {
    let tokens = preset_tokens(provider, scope, &[]).await;
    tokens["access_token"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_github_token_opens_user_and_user_emails_at_the_resource() {
    let (provider, resource) = preset_world(mock_resource::Preset::Github).await;
    let token = preset_login(&provider, "read:user user:email").await;
    assert!(token.starts_with("gho_"), "{token}");
    let user = call(&resource.url(), "/user", &token).await;
    assert_eq!(user.status(), StatusCode::OK);
    assert_eq!(user.headers()["x-oauth-scopes"], "read:user, user:email");
    let user: Value = user.json().await.unwrap();
    assert_eq!(user["login"], "alice");
    assert_eq!(user["name"], "Alice");
    assert_eq!(user["email"], Value::Null, "alice keeps her email private");
    let emails: Value = call(&resource.url(), "/user/emails", &token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        emails,
        json!([{"email": "alice@example.test", "primary": true, "verified": true, "visibility": null}])
    );
}

#[tokio::test]
async fn a_google_token_opens_the_v3_userinfo_at_the_resource() {
    let (provider, resource) = preset_world(mock_resource::Preset::Google).await;
    let token = preset_login(&provider, "openid email").await;
    assert!(token.starts_with("ya29."), "{token}");
    let response = call(&resource.url(), "/oauth2/v3/userinfo", &token).await;
    assert_eq!(response.status(), StatusCode::OK);
    let userinfo: Value = response.json().await.unwrap();
    assert_eq!(userinfo["email"], "alice@example.test");
    assert_eq!(userinfo["email_verified"], true);
    assert!(userinfo.get("name").is_none(), "{userinfo}");
}

#[tokio::test]
async fn a_microsoft_token_opens_graphs_me_with_the_id_tokens_oid() {
    let (provider, resource) = preset_world(mock_resource::Preset::Microsoft).await;
    let tokens = preset_tokens(&provider, "openid profile User.Read", &[("nonce", "n-1")]).await;
    let id_token = tokens["id_token"].as_str().unwrap();
    let payload = id_token.split('.').nth(1).unwrap();
    use base64::Engine as _;
    let claims: Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    let access = tokens["access_token"].as_str().unwrap();
    let response = call(&resource.url(), "/v1.0/me", access).await;
    assert_eq!(response.status(), StatusCode::OK);
    let me: Value = response.json().await.unwrap();
    assert_eq!(me["displayName"], "Alice");
    assert_eq!(me["mail"], "alice@example.test");
    assert_eq!(me["userPrincipalName"], "alice");
    assert_eq!(me["id"], claims["oid"], "one person, one id");
    let userinfo: Value = call(&resource.url(), "/oidc/userinfo", access)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(userinfo, json!({"sub": claims["sub"], "name": "Alice"}));
}

/// A scenario's world whose resource serves `preset`'s API, set up as a scenario file says.
async fn scenario_world(
    preset: mock_resource::Preset,
    resource: Value,
) -> harness::scenario::ecosystem::Ecosystem {
    let mut config = provider_config();
    config.issuers[0].preset = preset;
    config.issuers[0].scopes = vec!["read:user".into(), "User.Read".into()];
    config.issuers[0].clients[0].scopes = None;
    let setup = harness::scenario::model::Setup {
        provider: Some(config),
        resource: Some(serde_json::from_value(resource).unwrap()),
        ..Default::default()
    };
    harness::scenario::ecosystem::Ecosystem::start(&setup, false, &[])
        .await
        .unwrap()
}

#[tokio::test]
async fn a_scenarios_github_resource_introspects_as_its_client_with_its_rate_limit() {
    let world = scenario_world(
        mock_resource::Preset::Github,
        json!({"preset": "github", "client": "api", "github": {"rate_limit": 1}}),
    )
    .await;
    let token = preset_login(&world.provider, "read:user").await;
    let first = call(&world.resource_url(), "/user", &token).await;
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(first.headers()["x-ratelimit-limit"], "1");
    let second = call(&world.resource_url(), "/user", &token).await;
    assert_eq!(second.status(), StatusCode::FORBIDDEN);
    let introspections = world
        .provider
        .provider()
        .journal()
        .query(&mock_provider::Filter::endpoint("introspect"));
    assert_eq!(introspections.len(), 2);
    assert!(
        introspections
            .iter()
            .all(|e| e.client_id.as_deref() == Some("api"))
    );
}

#[tokio::test]
async fn a_scenarios_microsoft_resource_introspects_at_the_base_url_not_the_tenants_issuer() {
    let world = scenario_world(
        mock_resource::Preset::Microsoft,
        json!({"preset": "microsoft", "client": "api"}),
    )
    .await;
    assert!(world.issuer().ends_with("/v2.0"), "{}", world.issuer());
    let token = preset_login(&world.provider, "openid User.Read").await;
    let me = call(&world.resource_url(), "/v1.0/me", &token).await;
    assert_eq!(me.status(), StatusCode::OK);
    let me: Value = me.json().await.unwrap();
    assert_eq!(me["displayName"], "Alice");
}
