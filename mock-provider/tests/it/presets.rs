//! Presets: the provider at the real providers' paths, answering in their dialects, each quirk
//! shown on and (where it matters) switched off.

use axum::http::{StatusCode, header};
use mock_provider::Scripted as _;
use mock_provider::preset::{Preset, Quirks};
use mock_provider::{Config, IssuerConfig};

use crate::helpers::*;

fn preset(preset: Preset, quirks: Quirks) -> TestProvider {
    let mut issuer: IssuerConfig = issuer_config();
    issuer.preset = preset;
    issuer.quirks = quirks;
    issuer.tenant_id = Some("11111111-2222-4333-8444-555555555555".into());
    issuer.scopes = vec!["read:user".into(), "user:email".into()];
    // Any scope the issuer knows, GitHub's included.
    issuer.clients.iter_mut().for_each(|c| c.scopes = None);
    TestProvider::with(Config::single(issuer))
}

/// A headless authorization at `path`; returns the redirect's parameters.
async fn authorize(
    p: &TestProvider,
    path: &str,
    extra: &[(&str, &str)],
) -> std::collections::HashMap<String, String> {
    let mut params = vec![
        ("client_id", "web"),
        ("redirect_uri", CALLBACK),
        ("state", "st"),
        ("code_challenge", CHALLENGE),
        ("code_challenge_method", "S256"),
    ];
    params.extend_from_slice(extra);
    let response = p.get(&format!("{path}?{}", encode(&params))).await;
    assert_eq!(response.status, StatusCode::FOUND, "{}", response.text());
    response.redirect_params()
}

async fn redeem(
    p: &TestProvider,
    path: &str,
    code: &str,
    headers: &[(header::HeaderName, &str)],
) -> TestResponse {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", CALLBACK),
        ("code_verifier", VERIFIER),
        ("client_id", "web"),
        ("client_secret", WEB_SECRET),
    ];
    p.post(path, &form, headers).await
}

/// Redeems at GitHub's token endpoint, asking for `accept`.
async fn redeem_github(p: &TestProvider, code: &str, accept: &str) -> TestResponse {
    redeem(p, GH_TOKEN, code, &[(header::ACCEPT, accept)]).await
}

const GH_AUTHORIZE: &str = "/login/oauth/authorize";
const GH_TOKEN: &str = "/login/oauth/access_token";

#[tokio::test]
async fn github_answers_form_encoded_unless_json_is_asked_for() {
    let p = preset(Preset::Github, Quirks::default());
    // No response_type (GitHub does not need one), GitHub's space-separated scopes.
    let params = authorize(&p, GH_AUTHORIZE, &[("scope", "read:user user:email")]).await;
    assert!(
        !params.contains_key("iss"),
        "GitHub sends no iss: {params:?}"
    );
    let response = redeem(&p, GH_TOKEN, &params["code"], &[]).await;
    assert_eq!(response.status, StatusCode::OK);
    assert!(
        response
            .header(header::CONTENT_TYPE)
            .starts_with("application/x-www-form-urlencoded")
    );
    let form: std::collections::HashMap<String, String> =
        form_urlencoded::parse(response.text().as_bytes())
            .into_owned()
            .collect();
    assert!(form["access_token"].starts_with("gho_"), "{form:?}");
    assert_eq!(form["access_token"].len(), 40);
    assert_eq!(form["scope"], "read:user,user:email");
    assert_eq!(form["token_type"], "bearer");
    assert!(!form.contains_key("expires_in") && !form.contains_key("refresh_token"));
    assert!(!form.contains_key("id_token"));

    let params = authorize(&p, GH_AUTHORIZE, &[("scope", "read:user")]).await;
    let response = redeem_github(&p, &params["code"], "application/json").await;
    assert!(
        response
            .header(header::CONTENT_TYPE)
            .starts_with("application/json")
    );
    assert_eq!(response.json()["token_type"], "bearer");

    let params = authorize(&p, GH_AUTHORIZE, &[]).await;
    let response = redeem_github(&p, &params["code"], "application/xml").await;
    let text = response.text();
    assert!(
        text.starts_with("<OAuth><access_token>gho_")
            && text.ends_with("<token_type>bearer</token_type></OAuth>"),
        "{text}"
    );
}

#[tokio::test]
async fn github_answers_a_replayed_code_with_200_and_bad_verification_code() {
    let p = preset(Preset::Github, Quirks::default());
    let code = authorize(&p, GH_AUTHORIZE, &[]).await["code"].clone();
    let json = [(header::ACCEPT, "application/json")];
    assert_eq!(
        redeem(&p, GH_TOKEN, &code, &json).await.status,
        StatusCode::OK
    );
    let replay = redeem(&p, GH_TOKEN, &code, &json).await;
    assert_eq!(replay.status, StatusCode::OK);
    let body = replay.json();
    assert_eq!(body["error"], "bad_verification_code");
    assert_eq!(
        body["error_description"],
        "The code passed is incorrect or expired."
    );
    assert!(body.get("access_token").is_none());

    // The same code with the 200 quirk off: GitHub's words, the RFC's status.
    let p = preset(
        Preset::Github,
        Quirks {
            token_errors_with_200: Some(false),
            ..Quirks::default()
        },
    );
    let code = authorize(&p, GH_AUTHORIZE, &[]).await["code"].clone();
    redeem(&p, GH_TOKEN, &code, &json).await;
    let replay = redeem(&p, GH_TOKEN, &code, &json).await;
    assert_eq!(replay.status, StatusCode::BAD_REQUEST);
    assert_eq!(replay.json()["error"], "bad_verification_code");
}

#[tokio::test]
async fn github_rejects_wrong_credentials_in_its_own_words() {
    let p = preset(Preset::Github, Quirks::default());
    let code = authorize(&p, GH_AUTHORIZE, &[]).await["code"].clone();
    let form = [
        ("code", code.as_str()),
        ("client_id", "web"),
        ("client_secret", "wrong"),
    ];
    let response = p.post(GH_TOKEN, &form, &[]).await;
    assert_eq!(response.status, StatusCode::OK);
    let form: std::collections::HashMap<String, String> =
        form_urlencoded::parse(response.text().as_bytes())
            .into_owned()
            .collect();
    assert_eq!(form["error"], "incorrect_client_credentials");
}

#[tokio::test]
async fn github_redirect_uris_may_be_below_the_callback_but_not_elsewhere() {
    let p = preset(Preset::Github, Quirks::default());
    let below = format!("{CALLBACK}/github");
    let params = vec![("client_id", "web"), ("redirect_uri", below.as_str())];
    let response = p.get(&format!("{GH_AUTHORIZE}?{}", encode(&params))).await;
    assert_eq!(response.status, StatusCode::FOUND, "{}", response.text());
    assert!(response.location().starts_with(&below));

    let params = vec![
        ("client_id", "web"),
        ("redirect_uri", "http://127.0.0.1:8080/elsewhere"),
    ];
    let response = p.get(&format!("{GH_AUTHORIZE}?{}", encode(&params))).await;
    response.assert_error_page();

    // Generic: exact matching.
    let generic = TestProvider::new();
    let params = vec![
        ("response_type", "code"),
        ("client_id", "web"),
        ("redirect_uri", below.as_str()),
    ];
    generic
        .get(&format!("/authorize?{}", encode(&params)))
        .await
        .assert_error_page();
}

#[tokio::test]
async fn github_app_tokens_expire_and_rotate() {
    let p = preset(
        Preset::Github,
        Quirks {
            github_app_tokens: Some(true),
            ..Quirks::default()
        },
    );
    let json = [(header::ACCEPT, "application/json")];
    let code = authorize(&p, GH_AUTHORIZE, &[]).await["code"].clone();
    let body = redeem(&p, GH_TOKEN, &code, &json).await.json();
    assert!(body["access_token"].as_str().unwrap().starts_with("ghu_"));
    let refresh = body["refresh_token"].as_str().unwrap().to_owned();
    assert!(
        refresh.starts_with("ghr_") && refresh.len() == 80,
        "{refresh}"
    );
    assert_eq!(body["expires_in"], 3600);
    assert_eq!(body["refresh_token_expires_in"], 30 * 24 * 3600);
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh.as_str()),
        ("client_id", "web"),
        ("client_secret", WEB_SECRET),
    ];
    let rotated = p.post(GH_TOKEN, &form, &json).await.json();
    assert!(
        rotated["refresh_token"]
            .as_str()
            .unwrap()
            .starts_with("ghr_")
    );
    let reused = p.post(GH_TOKEN, &form, &json).await;
    assert_eq!(reused.status, StatusCode::OK);
    assert_eq!(reused.json()["error"], "bad_refresh_token");
}

#[tokio::test]
async fn github_has_no_discovery_and_its_opaque_tokens_introspect() {
    let p = preset(Preset::Github, Quirks::default());
    assert_eq!(
        p.get("/.well-known/openid-configuration").await.status,
        StatusCode::NOT_FOUND
    );
    let code = authorize(&p, GH_AUTHORIZE, &[("scope", "user:email")]).await["code"].clone();
    let body = redeem(&p, GH_TOKEN, &code, &[(header::ACCEPT, "application/json")])
        .await
        .json();
    let token = body["access_token"].as_str().unwrap();
    let answer = p
        .post(
            "/introspect",
            &[("token", token)],
            &[(header::AUTHORIZATION, &basic("web", WEB_SECRET))],
        )
        .await
        .json();
    assert_eq!(answer["active"], true);
    assert_eq!(answer["username"], "alice");
    assert_eq!(answer["scope"], "user:email");
    let unknown = p
        .post(
            "/introspect",
            &[("token", "gho_unknown")],
            &[(header::AUTHORIZATION, &basic("web", WEB_SECRET))],
        )
        .await
        .json();
    assert_eq!(unknown, serde_json::json!({"active": false}));
}

const G_AUTHORIZE: &str = "/o/oauth2/v2/auth";

/// A code for `scope=openid` at Google's authorization endpoint.
async fn google_openid_code(p: &TestProvider) -> String {
    authorize(
        p,
        G_AUTHORIZE,
        &[("response_type", "code"), ("scope", "openid")],
    )
    .await["code"]
        .clone()
}

#[tokio::test]
async fn google_gives_a_refresh_token_on_first_offline_consent_only() {
    let p = preset(Preset::Google, Quirks::default());
    let flow = |extra: Vec<(&'static str, &'static str)>| {
        let p = &p;
        async move {
            let mut params = vec![("response_type", "code"), ("scope", "openid email")];
            params.extend(extra);
            let code = authorize(p, G_AUTHORIZE, &params).await["code"].clone();
            let response = redeem(p, "/token", &code, &[]).await;
            assert_eq!(response.status, StatusCode::OK, "{}", response.text());
            response.json()
        }
    };
    let online = flow(vec![]).await;
    assert!(online.get("refresh_token").is_none(), "{online}");
    let first = flow(vec![("access_type", "offline")]).await;
    assert!(first["refresh_token"].as_str().unwrap().starts_with("1//"));
    assert!(first["access_token"].as_str().unwrap().starts_with("ya29."));
    assert_eq!(
        first["scope"],
        "openid https://www.googleapis.com/auth/userinfo.email"
    );
    let again = flow(vec![("access_type", "offline")]).await;
    assert!(again.get("refresh_token").is_none(), "{again}");
    let forced = flow(vec![("access_type", "offline"), ("prompt", "consent")]).await;
    assert!(forced.get("refresh_token").is_some(), "{forced}");

    // Refreshing keeps the same refresh token working and returns none.
    let refresh = first["refresh_token"].as_str().unwrap();
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh),
        ("client_id", "web"),
        ("client_secret", WEB_SECRET),
    ];
    for _ in 0..2 {
        let refreshed = p.post("/token", &form, &[]).await;
        assert_eq!(refreshed.status, StatusCode::OK, "{}", refreshed.text());
        assert!(refreshed.json().get("refresh_token").is_none());
    }
}

#[tokio::test]
async fn google_says_code_was_already_redeemed() {
    let p = preset(Preset::Google, Quirks::default());
    let code = google_openid_code(&p).await;
    redeem(&p, "/token", &code, &[]).await;
    let replay = redeem(&p, "/token", &code, &[]).await;
    assert_eq!(replay.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        replay.json(),
        serde_json::json!({"error": "invalid_grant", "error_description": "Code was already redeemed."})
    );
}

#[tokio::test]
async fn google_legacy_issuer_spelling_is_a_switch() {
    for (on, expected) in [(false, ISSUER), (true, "fauxauth.test")] {
        let p = preset(
            Preset::Google,
            Quirks {
                issuer_without_scheme: Some(on),
                ..Quirks::default()
            },
        );
        let code = google_openid_code(&p).await;
        let body = redeem(&p, "/token", &code, &[]).await.json();
        let (_, claims) = jwt_parts(body["id_token"].as_str().unwrap());
        assert_eq!(claims["iss"], expected);
        assert_eq!(claims["azp"], "web");
    }
    let p = preset(Preset::Google, Quirks::default());
    let discovery = p.get("/.well-known/openid-configuration").await.json();
    assert_eq!(
        discovery["authorization_endpoint"],
        format!("{ISSUER}/o/oauth2/v2/auth")
    );
    assert_eq!(discovery["jwks_uri"], format!("{ISSUER}/oauth2/v3/certs"));
    assert_eq!(
        discovery["userinfo_endpoint"],
        format!("{ISSUER}/v1/userinfo")
    );
    assert!(discovery.get("end_session_endpoint").is_none());
}

const TENANT: &str = "11111111-2222-4333-8444-555555555555";

#[tokio::test]
async fn microsoft_common_names_the_tenant_template_and_tokens_name_the_users_tenant() {
    let p = preset(Preset::Microsoft, Quirks::default());
    let common = p
        .get("/common/v2.0/.well-known/openid-configuration")
        .await
        .json();
    assert_eq!(common["issuer"], format!("{ISSUER}/{{tenantid}}/v2.0"));
    assert_eq!(
        common["token_endpoint"],
        format!("{ISSUER}/common/oauth2/v2.0/token")
    );
    assert_eq!(
        common["jwks_uri"],
        format!("{ISSUER}/common/discovery/v2.0/keys")
    );
    assert_eq!(common["msgraph_host"], "graph.microsoft.com");
    let own = p
        .get(&format!("/{TENANT}/v2.0/.well-known/openid-configuration"))
        .await
        .json();
    assert_eq!(own["issuer"], format!("{ISSUER}/{TENANT}/v2.0"));

    let params = authorize(
        &p,
        "/common/oauth2/v2.0/authorize",
        &[
            ("response_type", "code"),
            ("scope", "openid profile offline_access"),
            ("nonce", "n"),
        ],
    )
    .await;
    assert!(!params.contains_key("iss"));
    let body = redeem(&p, "/common/oauth2/v2.0/token", &params["code"], &[])
        .await
        .json();
    assert_eq!(body["ext_expires_in"], body["expires_in"]);
    assert!(body["refresh_token"].is_string());
    let (_, claims) = jwt_parts(body["id_token"].as_str().unwrap());
    assert_eq!(claims["iss"], format!("{ISSUER}/{TENANT}/v2.0"));
    assert_eq!(claims["tid"], TENANT);
    assert_eq!(claims["ver"], "2.0");
    assert!(claims["oid"].as_str().unwrap().len() == 36);

    // Entra: a new refresh token each time, and the old one still works.
    let first = body["refresh_token"].as_str().unwrap();
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", first),
        ("client_id", "web"),
        ("client_secret", WEB_SECRET),
    ];
    let one = p.post("/common/oauth2/v2.0/token", &form, &[]).await.json();
    let two = p.post("/common/oauth2/v2.0/token", &form, &[]).await.json();
    assert!(one["refresh_token"].is_string() && two["refresh_token"].is_string());
    assert_ne!(one["refresh_token"], first);
}

#[tokio::test]
async fn microsoft_errors_carry_aadsts_codes_trace_ids_and_timestamps() {
    let p = preset(Preset::Microsoft, Quirks::default());
    let params = authorize(
        &p,
        "/organizations/oauth2/v2.0/authorize",
        &[("response_type", "code"), ("scope", "openid")],
    )
    .await;
    let path = "/organizations/oauth2/v2.0/token";
    redeem(&p, path, &params["code"], &[]).await;
    let replay = redeem(&p, path, &params["code"], &[]).await;
    assert_eq!(replay.status, StatusCode::BAD_REQUEST);
    let body = replay.json();
    assert_eq!(body["error"], "invalid_grant");
    assert_eq!(body["error_codes"], serde_json::json!([54005]));
    let description = body["error_description"].as_str().unwrap();
    assert!(description.starts_with("AADSTS54005: "), "{description}");
    assert!(description.contains(&format!("Trace ID: {}", body["trace_id"].as_str().unwrap())));
    assert_eq!(body["timestamp"], "2027-01-15 08:00:00Z");

    let wrong = p
        .post(
            path,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", "web"),
                ("client_secret", "nope"),
            ],
            &[],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    let body = wrong.json();
    assert_eq!(body["error_codes"], serde_json::json!([7000215]));
    // The message names the application, whether it sent its id in the body or in Basic.
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("app 'web'"),
        "{body}"
    );
    let basic_wrong = p
        .post(
            path,
            &[("grant_type", "client_credentials")],
            &[(header::AUTHORIZATION, &basic("web", "nope"))],
        )
        .await
        .json();
    assert!(
        basic_wrong["error_description"]
            .as_str()
            .unwrap()
            .contains("app 'web'"),
        "{basic_wrong}"
    );
}

#[tokio::test]
async fn preset_tokens_are_journaled_under_the_endpoints_names() {
    let p = preset(Preset::Github, Quirks::default());
    let code = authorize(&p, GH_AUTHORIZE, &[]).await["code"].clone();
    redeem(&p, GH_TOKEN, &code, &[]).await;
    let endpoints: Vec<String> = p
        .provider
        .journal()
        .query(&Default::default())
        .iter()
        .map(|e| e.endpoint.clone())
        .collect();
    assert_eq!(endpoints, ["authorize", "token"]);
}

#[tokio::test]
async fn keycloak_serves_a_configured_realm_and_refuses_a_realm_that_is_no_path_segment() {
    let mut issuer = issuer_config();
    issuer.preset = mock_provider::preset::Preset::Keycloak;
    issuer.realm = Some("shop".into());
    let p = TestProvider::with(mock_provider::Config::single(issuer.clone()));
    let discovery = p
        .get("/realms/shop/.well-known/openid-configuration")
        .await
        .json();
    let realm = format!("{ISSUER}/realms/shop");
    assert_eq!(discovery["issuer"], realm);
    assert_eq!(
        discovery["token_endpoint"],
        format!("{realm}/protocol/openid-connect/token")
    );
    assert_eq!(
        discovery["end_session_endpoint"],
        format!("{realm}/protocol/openid-connect/logout")
    );
    // fauxauth's own paths are not Keycloak's.
    assert_eq!(p.get("/token").await.status, StatusCode::NOT_FOUND);
    let authorize = authorize_path("web", &[("scope", Some("openid"))]).replacen(
        "/authorize",
        "/realms/shop/protocol/openid-connect/auth",
        1,
    );
    let callback = p.get(&authorize).await;
    assert_eq!(callback.status, StatusCode::FOUND, "{}", callback.text());
    let location = url::Url::parse(callback.location()).unwrap();
    let params: std::collections::HashMap<_, _> = location.query_pairs().into_owned().collect();
    let token = p
        .post(
            "/realms/shop/protocol/openid-connect/token",
            &[
                ("grant_type", "authorization_code"),
                ("code", &params["code"]),
                ("redirect_uri", CALLBACK),
                ("code_verifier", VERIFIER),
            ],
            &[(header::AUTHORIZATION, &basic("web", WEB_SECRET))],
        )
        .await;
    assert_eq!(token.status, StatusCode::OK, "{}", token.text());
    let (_, claims) = jwt_parts(token.json()["id_token"].as_str().unwrap());
    assert_eq!(claims["iss"], realm);
    issuer.realm = Some("a/b".into());
    let problems = mock_provider::Config::single(issuer)
        .validate()
        .unwrap_err();
    assert!(
        problems.iter().any(|p| p.to_string().contains("realm")),
        "{problems:?}"
    );
}

#[tokio::test]
async fn okta_serves_the_org_authorization_server_or_a_custom_one() {
    let mut issuer = issuer_config();
    issuer.preset = mock_provider::preset::Preset::Okta;
    issuer.authorization_server = Some("org".into());
    let p = TestProvider::with(mock_provider::Config::single(issuer.clone()));
    let org = p.get("/.well-known/openid-configuration").await.json();
    assert_eq!(
        org["issuer"], ISSUER,
        "the org server's issuer is the domain"
    );
    assert_eq!(org["token_endpoint"], format!("{ISSUER}/oauth2/v1/token"));
    assert_eq!(org["jwks_uri"], format!("{ISSUER}/oauth2/v1/keys"));
    issuer.authorization_server = Some("aus1shop".into());
    let p = TestProvider::with(mock_provider::Config::single(issuer.clone()));
    let custom = p
        .get("/oauth2/aus1shop/.well-known/openid-configuration")
        .await
        .json();
    assert_eq!(custom["issuer"], format!("{ISSUER}/oauth2/aus1shop"));
    assert_eq!(
        custom["token_endpoint"],
        format!("{ISSUER}/oauth2/aus1shop/v1/token")
    );
    let metadata = p
        .get("/oauth2/aus1shop/.well-known/oauth-authorization-server")
        .await
        .json();
    assert_eq!(metadata["issuer"], custom["issuer"]);
    issuer.authorization_server = Some(String::new());
    assert!(mock_provider::Config::single(issuer).validate().is_err());
}
