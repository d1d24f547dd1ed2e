//! End to end over real sockets: a third-party OpenID Connect library completes every flow, and
//! concurrent requests cannot redeem one code or refresh token twice.

use std::sync::Arc;

use mock_provider::Config;
use openidconnect::core::{
    CoreClient, CoreIdTokenVerifier, CoreProviderMetadata, CoreResponseType, CoreUserInfoClaims,
};
use openidconnect::{
    AccessTokenHash, AuthenticationFlow, AuthorizationCode, ClientId, ClientSecret, CsrfToken,
    IntrospectionUrl, IssuerUrl, Nonce, OAuth2TokenResponse as _, PkceCodeChallenge, RedirectUrl,
    Scope, TokenIntrospectionResponse as _, TokenResponse as _,
};
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::*;

fn http() -> reqwest::Client {
    trusting(&fauxauth_core::Trust::default())
}

fn trusting(trust: &fauxauth_core::Trust) -> reqwest::Client {
    reqwest::Client::builder()
        .use_preconfigured_tls(trust.client_config())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn openidconnect_crate_completes_every_flow() {
    every_flow(false).await;
}

/// The same over HTTPS, the library trusting fauxauth's authority and nothing else.
#[tokio::test]
async fn openidconnect_crate_completes_every_flow_over_https() {
    every_flow(true).await;
}

async fn every_flow(tls: bool) {
    let mut config = Config::single(issuer_config());
    if tls {
        config.tls = Some(mock_provider::TlsConfig::default());
    }
    let running = mock_provider::spawn(config).await.unwrap();
    assert_eq!(running.issuer().starts_with("https://"), tls);
    let trust = running.tls().map(|t| t.trust()).unwrap_or_default();
    let http = trusting(&trust);
    let metadata =
        CoreProviderMetadata::discover_async(IssuerUrl::new(running.issuer()).unwrap(), &http)
            .await
            .unwrap();
    let extra: Value = http
        .get(format!(
            "{}/.well-known/openid-configuration",
            running.issuer()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new("web".into()),
        Some(ClientSecret::new(WEB_SECRET.into())),
    )
    .set_redirect_uri(RedirectUrl::new(CALLBACK.into()).unwrap())
    .set_introspection_url(
        IntrospectionUrl::new(extra["introspection_endpoint"].as_str().unwrap().into()).unwrap(),
    );

    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state, nonce) = client
        .authorize_url(
            AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("profile".into()))
        .add_scope(Scope::new("email".into()))
        .set_pkce_challenge(challenge)
        .url();
    // Play the browser: the headless provider answers the authorization request at once.
    let response = http.get(url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    let location = url::Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
    let params: std::collections::HashMap<_, _> = location.query_pairs().into_owned().collect();
    assert_eq!(&params["state"], state.secret());
    assert_eq!(params["iss"], running.issuer());

    let tokens = client
        .exchange_code(AuthorizationCode::new(params["code"].clone()))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .unwrap();
    let verifier: CoreIdTokenVerifier = client.id_token_verifier();
    let id_token = tokens.id_token().expect("an ID token");
    let claims = id_token
        .claims(&verifier, &nonce)
        .expect("the ID token verifies");
    assert_eq!(claims.subject().as_str(), "alice");
    let expected_hash = AccessTokenHash::from_token(
        tokens.access_token(),
        id_token.signing_alg().unwrap(),
        id_token.signing_key(&verifier).unwrap(),
    )
    .unwrap();
    assert_eq!(claims.access_token_hash(), Some(&expected_hash));

    let userinfo: CoreUserInfoClaims = client
        .user_info(tokens.access_token().clone(), None)
        .unwrap()
        .request_async(&http)
        .await
        .unwrap();
    assert_eq!(userinfo.subject().as_str(), "alice");
    assert_eq!(
        userinfo.email().map(|e| e.as_str()),
        Some("alice@example.com")
    );

    let refreshed = client
        .exchange_refresh_token(tokens.refresh_token().unwrap())
        .unwrap()
        .request_async(&http)
        .await
        .unwrap();
    let refreshed_claims = refreshed
        .id_token()
        .unwrap()
        .claims(&client.id_token_verifier(), |_: Option<&Nonce>| Ok(()))
        .unwrap();
    assert_eq!(refreshed_claims.subject(), claims.subject());

    let active = client
        .introspect(refreshed.access_token())
        .request_async(&http)
        .await
        .unwrap();
    assert!(active.active());
    // The oauth2 crate refuses to revoke over plain http (RFC 7009 §2 requires TLS), so this one
    // request is made by hand, authenticated the same way.
    let revoked = http
        .post(extra["revocation_endpoint"].as_str().unwrap())
        .basic_auth("web", Some(WEB_SECRET))
        .form(&[("token", refreshed.refresh_token().unwrap().secret())])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::OK);
    let after = client
        .introspect(refreshed.access_token())
        .request_async(&http)
        .await
        .unwrap();
    assert!(
        !after.active(),
        "revoking the refresh token revokes its grant's access tokens"
    );

    // client_credentials with the same library.
    let machine = CoreClient::from_provider_metadata(
        CoreProviderMetadata::discover_async(IssuerUrl::new(running.issuer()).unwrap(), &http)
            .await
            .unwrap(),
        ClientId::new("machine".into()),
        Some(ClientSecret::new("machine-secret-0123".into())),
    );
    let cc = machine
        .exchange_client_credentials()
        .unwrap()
        .add_scope(Scope::new("items:read".into()))
        .request_async(&http)
        .await
        .unwrap();
    assert_eq!(cc.scopes().unwrap()[0].as_str(), "items:read");
    running.stop().await;
}

/// A client that insists on RS256 ID tokens (as `openidconnect`'s verifier does unless told
/// otherwise) works with an ES256 issuer once it registers `id_token_signed_response_alg: RS256`.
#[tokio::test]
async fn openidconnect_crate_verifies_rs256_id_tokens_from_an_es256_issuer_for_a_client_that_asks()
{
    use openidconnect::core::CoreJwsSigningAlgorithm;

    let mut issuer = issuer_config();
    issuer.signing_alg = mock_provider::SigningAlg::ES256;
    issuer.clients[0].id_token_signed_response_alg = Some(mock_provider::SigningAlg::RS256);
    let running = mock_provider::spawn(Config::single(issuer)).await.unwrap();
    let http = http();
    let metadata =
        CoreProviderMetadata::discover_async(IssuerUrl::new(running.issuer()).unwrap(), &http)
            .await
            .unwrap();
    assert_eq!(
        metadata.id_token_signing_alg_values_supported(),
        &[
            CoreJwsSigningAlgorithm::EcdsaP256Sha256,
            CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256
        ]
    );
    let login = async |client_id: &str, secret: &str| {
        let client = CoreClient::from_provider_metadata(
            metadata.clone(),
            ClientId::new(client_id.into()),
            Some(ClientSecret::new(secret.into())),
        )
        .set_redirect_uri(RedirectUrl::new(CALLBACK.into()).unwrap());
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, _, nonce) = client
            .authorize_url(
                AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .set_pkce_challenge(challenge)
            .url();
        let response = http.get(url).send().await.unwrap();
        let location = url::Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
        let code = location
            .query_pairs()
            .find(|(k, _)| k == "code")
            .unwrap()
            .1
            .into_owned();
        let tokens = client
            .exchange_code(AuthorizationCode::new(code))
            .unwrap()
            .set_pkce_verifier(verifier)
            .request_async(&http)
            .await
            .unwrap();
        let id_token = tokens.id_token().expect("an ID token").clone();
        let rs256_only = client
            .id_token_verifier()
            .set_allowed_algs([CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256]);
        let verified = id_token
            .claims(&rs256_only, &nonce)
            .map(|claims| claims.subject().as_str().to_owned())
            .map_err(|e| e.to_string());
        (id_token.signing_alg().unwrap().clone(), verified)
    };

    let (alg, verified) = login("web", WEB_SECRET).await;
    assert_eq!(alg, CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256);
    assert_eq!(verified.as_deref(), Ok("alice"));
    // A client that did not ask gets ES256, which an RS256-only verifier refuses.
    let (alg, verified) = login("other", "other-secret-01234").await;
    assert_eq!(alg, CoreJwsSigningAlgorithm::EcdsaP256Sha256);
    assert!(verified.is_err(), "{verified:?}");
    running.stop().await;
}

async fn race<F, Fut>(n: usize, f: F) -> Vec<(StatusCode, Value)>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = (StatusCode, Value)> + Send + 'static,
{
    let tasks: Vec<_> = (0..n).map(|_| tokio::spawn(f())).collect();
    let mut out = Vec::new();
    for task in tasks {
        out.push(task.await.unwrap());
    }
    out
}

async fn code_over_http(http: &reqwest::Client, issuer: &str) -> String {
    let url = format!("{issuer}{}", authorize_path("web", &[]));
    let response = http.get(url).send().await.unwrap();
    let location = url::Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
    location
        .query_pairs()
        .find(|(k, _)| k == "code")
        .unwrap()
        .1
        .into_owned()
}

async fn post_token(
    http: reqwest::Client,
    url: String,
    form: Vec<(&'static str, String)>,
) -> (StatusCode, Value) {
    let response = http
        .post(url)
        .basic_auth("web", Some(WEB_SECRET))
        .form(&form)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

fn tally(results: &[(StatusCode, Value)]) -> (usize, usize) {
    let ok = results.iter().filter(|(s, _)| *s == StatusCode::OK).count();
    let refused = results
        .iter()
        .filter(|(s, b)| *s == StatusCode::BAD_REQUEST && b["error"] == "invalid_grant")
        .count();
    (ok, refused)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_code_redeemed_by_32_concurrent_requests_succeeds_exactly_once() {
    let running = mock_provider::spawn(Config::single(issuer_config()))
        .await
        .unwrap();
    let http = http();
    let code = code_over_http(&http, &running.issuer()).await;
    let url = format!("{}/token", running.issuer());
    let form: Arc<Vec<(&'static str, String)>> = Arc::new(vec![
        ("grant_type", "authorization_code".into()),
        ("code", code),
        ("redirect_uri", CALLBACK.into()),
        ("code_verifier", VERIFIER.into()),
    ]);
    let results = race(32, || post_token(http.clone(), url.clone(), form.to_vec())).await;
    assert_eq!(tally(&results), (1, 31), "{results:?}");
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_refresh_token_used_by_32_concurrent_requests_succeeds_exactly_once() {
    let running = mock_provider::spawn(Config::single(issuer_config()))
        .await
        .unwrap();
    let http = http();
    let code = code_over_http(&http, &running.issuer()).await;
    let url = format!("{}/token", running.issuer());
    let (_, tokens) = post_token(
        http.clone(),
        url.clone(),
        vec![
            ("grant_type", "authorization_code".into()),
            ("code", code),
            ("redirect_uri", CALLBACK.into()),
            ("code_verifier", VERIFIER.into()),
        ],
    )
    .await;
    let form: Vec<(&str, String)> = vec![
        ("grant_type", "refresh_token".into()),
        (
            "refresh_token",
            tokens["refresh_token"].as_str().unwrap().to_owned(),
        ),
    ];
    let results = race(32, || post_token(http.clone(), url.clone(), form.clone())).await;
    assert_eq!(tally(&results), (1, 31), "{results:?}");
    running.stop().await;
}

/// The plain `oauth2` crate: a confidential client whose id and secret need form-encoding in HTTP
/// Basic (RFC 6749 §2.3.1), which the crate does, then a public client, then client credentials.
#[tokio::test]
async fn oauth2_crate_completes_the_oauth_flows() {
    use oauth2::basic::BasicClient;
    use oauth2::{
        AuthUrl, ClientId, ClientSecret, IntrospectionUrl, PkceCodeChallenge, RedirectUrl,
        RefreshToken, TokenIntrospectionResponse as _, TokenResponse as _, TokenUrl,
    };

    const ODD_ID: &str = "odd client:1";
    const ODD_SECRET: &str = "p+ss/w%rd 20&x=y/%2F==";
    let mut odd = mock_provider::ClientConfig::confidential(ODD_ID, ODD_SECRET, CALLBACK);
    odd.scopes = Some(vec!["items:read".into(), "offline_access".into()]);
    odd.grant_types.push(mock_provider::GrantType::Password);
    let running = mock_provider::spawn(Config::single(issuer_config().with_client(odd)))
        .await
        .unwrap();
    let issuer = running.issuer();
    let http = http();

    // The code flow with PKCE and state, as a browser would carry it.
    let client = BasicClient::new(ClientId::new(ODD_ID.into()))
        .set_client_secret(ClientSecret::new(ODD_SECRET.into()))
        .set_auth_uri(AuthUrl::new(format!("{issuer}/authorize")).unwrap())
        .set_token_uri(TokenUrl::new(format!("{issuer}/token")).unwrap())
        .set_introspection_url(IntrospectionUrl::new(format!("{issuer}/introspect")).unwrap())
        .set_redirect_uri(RedirectUrl::new(CALLBACK.into()).unwrap());
    // The browser: the headless provider redirects at once; the callback must carry the state.
    let browse = async |url: url::Url, state: oauth2::CsrfToken| {
        let response = http.get(url).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::FOUND);
        let location = url::Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
        let params: std::collections::HashMap<_, _> = location.query_pairs().into_owned().collect();
        assert_eq!(&params["state"], state.secret());
        params["code"].clone()
    };

    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state) = client
        .authorize_url(oauth2::CsrfToken::new_random)
        .add_scope(oauth2::Scope::new("items:read".into()))
        .add_scope(oauth2::Scope::new("offline_access".into()))
        .set_pkce_challenge(challenge)
        .url();
    let code = browse(url, state).await;
    let tokens = client
        .exchange_code(oauth2::AuthorizationCode::new(code))
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .expect("Basic authentication with a form-encoded id and secret");
    assert_eq!(tokens.token_type().as_ref(), "bearer");
    let refresh = tokens.refresh_token().expect("a refresh token").clone();

    let refreshed = client
        .exchange_refresh_token(&refresh)
        .request_async(&http)
        .await
        .unwrap();
    assert_ne!(
        refreshed.refresh_token().unwrap().secret(),
        refresh.secret(),
        "rotated"
    );
    let spent = client
        .exchange_refresh_token(&RefreshToken::new(refresh.secret().clone()))
        .request_async(&http)
        .await;
    assert!(
        matches!(&spent, Err(oauth2::RequestTokenError::ServerResponse(e))
            if e.error() == &oauth2::basic::BasicErrorResponseType::InvalidGrant),
        "{spent:?}"
    );
    let introspected = client
        .introspect(refreshed.access_token())
        .request_async(&http)
        .await
        .unwrap();
    assert!(
        !introspected.active(),
        "reusing a spent refresh token revokes what its grant issued"
    );

    // The legacy password grant, for a client configured with it: bob's own password.
    let by_password = client
        .exchange_password(
            &oauth2::ResourceOwnerUsername::new("bob".into()),
            &oauth2::ResourceOwnerPassword::new("hunter2".into()),
        )
        .add_scope(oauth2::Scope::new("items:read".into()))
        .request_async(&http)
        .await
        .unwrap();
    assert_eq!(by_password.scopes().unwrap()[0].as_str(), "items:read");
    let wrong = client
        .exchange_password(
            &oauth2::ResourceOwnerUsername::new("bob".into()),
            &oauth2::ResourceOwnerPassword::new("not-it".into()),
        )
        .request_async(&http)
        .await;
    assert!(
        matches!(&wrong, Err(oauth2::RequestTokenError::ServerResponse(e))
            if e.error() == &oauth2::basic::BasicErrorResponseType::InvalidGrant),
        "{wrong:?}"
    );

    // A public client: no secret, the id in the body, PKCE required.
    let public = BasicClient::new(ClientId::new("spa".into()))
        .set_auth_uri(AuthUrl::new(format!("{issuer}/authorize")).unwrap())
        .set_token_uri(TokenUrl::new(format!("{issuer}/token")).unwrap())
        .set_redirect_uri(RedirectUrl::new(CALLBACK.into()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, state) = public
        .authorize_url(oauth2::CsrfToken::new_random)
        .set_pkce_challenge(challenge)
        .url();
    let code = browse(url, state).await;
    let tokens = public
        .exchange_code(oauth2::AuthorizationCode::new(code))
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .unwrap();
    assert!(!tokens.access_token().secret().is_empty());

    // Client credentials.
    let machine = BasicClient::new(ClientId::new("machine".into()))
        .set_client_secret(ClientSecret::new("machine-secret-0123".into()))
        .set_token_uri(TokenUrl::new(format!("{issuer}/token")).unwrap());
    let cc = machine
        .exchange_client_credentials()
        .add_scope(oauth2::Scope::new("items:read".into()))
        .request_async(&http)
        .await
        .unwrap();
    assert_eq!(cc.scopes().unwrap()[0].as_str(), "items:read");
    running.stop().await;
}

/// An app with Google's URLs written in its code, its resolver pointing Google's host names at
/// fauxauth (no hosts file touched): discovery at `https://accounts.google.com`, the token at
/// `oauth2.googleapis.com`, the keys at `www.googleapis.com`, userinfo at
/// `openidconnect.googleapis.com`, every one over TLS verified against fauxauth's authority.
#[tokio::test]
async fn an_app_with_googles_real_urls_logs_in_through_a_resolver_override() {
    let mut issuer = issuer_config();
    issuer.preset = mock_provider::preset::Preset::Google;
    issuer.real_hosts = true;
    let mut config = Config::single(issuer);
    config.tls = Some(mock_provider::TlsConfig::default());
    let running = mock_provider::spawn(config).await.unwrap();
    assert_eq!(running.issuer(), "https://accounts.google.com");
    let mut builder = reqwest::Client::builder()
        .use_preconfigured_tls(running.tls().unwrap().trust().client_config())
        .redirect(reqwest::redirect::Policy::none());
    let hosts = mock_provider::preset::Preset::Google.real_hosts().unwrap();
    for host in hosts.names() {
        builder = builder.resolve(host, running.addr());
    }
    let http = builder.build().unwrap();

    let metadata = CoreProviderMetadata::discover_async(
        IssuerUrl::new("https://accounts.google.com".into()).unwrap(),
        &http,
    )
    .await
    .unwrap();
    assert_eq!(
        metadata.token_endpoint().unwrap().as_str(),
        "https://oauth2.googleapis.com/token"
    );
    assert_eq!(
        metadata.jwks_uri().as_str(),
        "https://www.googleapis.com/oauth2/v3/certs"
    );
    assert_eq!(
        metadata.userinfo_endpoint().unwrap().as_str(),
        "https://openidconnect.googleapis.com/v1/userinfo"
    );
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new("web".into()),
        Some(ClientSecret::new(WEB_SECRET.into())),
    )
    .set_redirect_uri(RedirectUrl::new(CALLBACK.into()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, _state, nonce) = client
        .authorize_url(
            AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("email".into()))
        .set_pkce_challenge(challenge)
        .url();
    assert!(
        url.as_str()
            .starts_with("https://accounts.google.com/o/oauth2/v2/auth?")
    );
    let response = http.get(url).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    let location = url::Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
    let params: std::collections::HashMap<_, _> = location.query_pairs().into_owned().collect();
    let tokens = client
        .exchange_code(AuthorizationCode::new(params["code"].clone()))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .unwrap();
    let claims = tokens
        .id_token()
        .unwrap()
        .claims(&client.id_token_verifier(), &nonce)
        .expect("the ID token verifies with the keys from www.googleapis.com");
    assert_eq!(claims.issuer().as_str(), "https://accounts.google.com");
    let userinfo: CoreUserInfoClaims = client
        .user_info(tokens.access_token().clone(), None)
        .unwrap()
        .request_async(&http)
        .await
        .unwrap();
    assert_eq!(userinfo.subject(), claims.subject());
    // The certificate covers Google's names, not any name pointed at the server.
    let other = reqwest::Client::builder()
        .use_preconfigured_tls(running.tls().unwrap().trust().client_config())
        .resolve("accounts.example.com", running.addr())
        .build()
        .unwrap();
    assert!(
        other
            .get("https://accounts.example.com/.well-known/openid-configuration")
            .send()
            .await
            .is_err()
    );
    running.stop().await;
}

/// A device's polling loop, as the `oauth2` crate runs it, in virtual time: its sleep moves the
/// provider's clock instead of waiting, and a rule approves for the person at the third poll.
#[tokio::test]
async fn oauth2_crate_polls_a_device_code_in_virtual_time() {
    use mock_provider::preset::Preset;
    let (details, token) =
        device_loop(Preset::Generic, None, "/device_authorization", "/token").await;
    assert!(details.verification_uri_complete().is_some());
    token.unwrap();
}

/// The same loop against the presets that have a device flow and answer it in JSON: Google's
/// `verification_url` and HTTP 428 while pending, Microsoft's `message` and AADSTS bodies.
#[tokio::test]
async fn oauth2_crate_runs_the_device_flows_of_google_and_microsoft() {
    use mock_provider::preset::Preset;
    let (google, token) = device_loop(Preset::Google, None, "/device/code", "/token").await;
    assert!(google.verification_uri().ends_with("/device"));
    assert_eq!(google.expires_in(), std::time::Duration::from_secs(1800));
    token.unwrap();
    let (microsoft, token) = device_loop(
        Preset::Microsoft,
        None,
        "/organizations/oauth2/v2.0/devicecode",
        "/organizations/oauth2/v2.0/token",
    )
    .await;
    assert!(microsoft.verification_uri().ends_with("/devicelogin"));
    assert!(microsoft.verification_uri_complete().is_none());
    token.unwrap();
}

/// GitHub answers a waiting device with HTTP 200 and an error (`token_errors_with_200`): a
/// library that takes every 200 for tokens, as the `oauth2` crate does, stops at the first poll
/// with a parse error. With the quirk off it completes.
#[tokio::test]
async fn githubs_errors_with_200_stop_a_poller_that_trusts_the_status() {
    use mock_provider::preset::{Preset, Quirks};
    let paths = ("/login/device/code", "/login/oauth/access_token");
    let (_, token) = device_loop(Preset::Github, None, paths.0, paths.1).await;
    assert!(
        matches!(token, Err(oauth2::RequestTokenError::Parse(..))),
        "{token:?}"
    );
    let off = Quirks {
        token_errors_with_200: Some(false),
        ..Quirks::default()
    };
    let (details, token) = device_loop(Preset::Github, Some(off), paths.0, paths.1).await;
    assert!(details.verification_uri().ends_with("/login/device"));
    token.unwrap();
}

/// Runs the `oauth2` crate's device flow against `tv` on an issuer dressed as `preset`; returns
/// what the device was told to show.
async fn device_loop(
    preset: mock_provider::preset::Preset,
    quirks: Option<mock_provider::preset::Quirks>,
    device_path: &str,
    token_path: &str,
) -> (
    oauth2::StandardDeviceAuthorizationResponse,
    Result<
        (),
        oauth2::RequestTokenError<
            oauth2::HttpClientError<reqwest::Error>,
            oauth2::DeviceCodeErrorResponse,
        >,
    >,
) {
    use mock_provider::Scripted as _;
    use oauth2::basic::BasicClient;
    use oauth2::{
        ClientId, DeviceAuthorizationUrl, StandardDeviceAuthorizationResponse, TokenResponse as _,
        TokenUrl,
    };
    let mut tv = mock_provider::ClientConfig::public("tv", CALLBACK);
    tv.redirect_uris.clear();
    tv.grant_types = vec![mock_provider::GrantType::DeviceCode];
    let mut issuer = issuer_config().with_client(tv);
    issuer.preset = preset;
    issuer.quirks = quirks.unwrap_or_default();
    issuer.scopes.push("read:user".into());
    let clock = fauxauth_core::Clock::frozen(start_time());
    let running = mock_provider::spawn_with_clock(Config::single(issuer), clock.clone())
        .await
        .unwrap();
    running.provider().add_rule(
        serde_json::from_value(serde_json::json!({
            "when": {"endpoint": "token", "nth": 3, "times": 1},
            "then": [{"device": {"approve": {"user": "alice"}}}]
        }))
        .unwrap(),
    );
    let origin = running.url();
    let client = BasicClient::new(ClientId::new("tv".into()))
        .set_token_uri(TokenUrl::new(format!("{origin}{token_path}")).unwrap())
        .set_device_authorization_url(
            DeviceAuthorizationUrl::new(format!("{origin}{device_path}")).unwrap(),
        );
    let http = http();
    let details: StandardDeviceAuthorizationResponse = client
        .exchange_device_code()
        .add_scope(oauth2::Scope::new("openid".into()))
        .request_async(&http)
        .await
        .unwrap();
    assert_eq!(details.interval(), std::time::Duration::from_secs(5));
    let slept = Arc::new(std::sync::Mutex::new(Vec::new()));
    let token = client
        .exchange_device_access_token(&details)
        .request_async(
            &http,
            |interval| {
                slept.lock().unwrap().push(interval);
                clock.advance(interval);
                std::future::ready(())
            },
            None,
        )
        .await;
    let token = token.map(|token| {
        assert!(token.refresh_token().is_none(), "tv may not refresh");
        assert_eq!(
            *slept.lock().unwrap(),
            vec![std::time::Duration::from_secs(5); 2],
            "{preset}: two waits of the interval between three polls"
        );
    });
    (details, token)
}
