//! The fauxauth image started through testcontainers, and a code flow completed against it.
//! Needs a Docker engine and the image built by `image/build.sh`; CI runs it with `--ignored`.

use std::collections::HashMap;

use fauxauth_testcontainers::Fauxauth;

const CALLBACK: &str = "http://127.0.0.1:8080/callback";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

#[tokio::test]
#[ignore = "needs Docker and the fauxauth:latest image (image/build.sh)"]
async fn a_code_flow_completes_against_the_container() {
    code_flow(Fauxauth::default().with_port(19411)).await;
}

/// The same over HTTPS, the client trusting the authority the image's seed derives and
/// nothing else.
#[tokio::test]
#[ignore = "needs Docker and the fauxauth:latest image (image/build.sh)"]
async fn a_code_flow_completes_against_the_container_over_https() {
    code_flow(Fauxauth::default().with_port(19412).with_tls()).await;
}

async fn code_flow(image: Fauxauth) {
    let issuer = image.issuer_url();
    let mut trust = fauxauth_core::Trust::default();
    if issuer.starts_with("https:") {
        trust.add_pem(&image.ca_certificate_pem()).unwrap();
    }
    let _container = image
        .start()
        .await
        .expect("the container starts and announces itself");
    let http = reqwest::Client::builder()
        .use_preconfigured_tls(trust.client_config())
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();

    let discovery = json(http.get(format!("{issuer}/.well-known/openid-configuration"))).await;
    assert_eq!(discovery["issuer"], issuer);

    // The demo provider: headless login, the confidential demo client.
    let authorize = url::Url::parse_with_params(
        &format!("{issuer}/authorize"),
        [
            ("response_type", "code"),
            ("client_id", "demo-web"),
            ("redirect_uri", CALLBACK),
            ("scope", "openid profile"),
            ("state", "s1"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ],
    )
    .unwrap();
    let authorize = http.get(authorize).send().await.unwrap();
    let location = url::Url::parse(authorize.headers()["location"].to_str().unwrap()).unwrap();
    let params: HashMap<_, _> = location.query_pairs().into_owned().collect();
    assert_eq!(params["state"], "s1");
    assert_eq!(params["iss"], issuer);

    let tokens = json(
        http.post(format!("{issuer}/token"))
            .basic_auth("demo-web", Some("demo-web-secret-change-me"))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", params["code"].as_str()),
                ("redirect_uri", CALLBACK),
                ("code_verifier", VERIFIER),
            ]),
    )
    .await;
    let access = tokens["access_token"].as_str().expect("an access token");
    assert!(tokens["id_token"].is_string());
    let userinfo = json(http.get(format!("{issuer}/userinfo")).bearer_auth(access)).await;
    assert_eq!(
        userinfo["sub"], "estefania",
        "the demo's first user logs in headlessly"
    );
}

/// Sends the request and reads a JSON body from a success.
async fn json(request: reqwest::RequestBuilder) -> serde_json::Value {
    let response = request.send().await.unwrap();
    assert!(response.status().is_success(), "{response:?}");
    response.json().await.unwrap()
}
