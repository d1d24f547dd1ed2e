//! Scripting a running provider over its HTTP admin API: what a client sees for each action.

use mock_provider::Scripted as _;
use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, header};
use fauxauth_core::Peer;
use mock_provider::{Config, Running};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

struct Live {
    running: Running,
    http: reqwest::Client,
}

impl Live {
    async fn start() -> Self {
        Self::with(Config::single(issuer_config())).await
    }

    async fn with(config: Config) -> Self {
        let running = mock_provider::spawn(config).await.unwrap();
        let http = reqwest::Client::builder()
            .use_preconfigured_tls(fauxauth_core::Trust::default().client_config())
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self { running, http }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.running.addr())
    }

    async fn admin(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .http
            .request(method, self.url(&format!("/_fauxauth{path}")));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn add_rule(&self, rule: Value) -> String {
        let (status, body) = self
            .admin(reqwest::Method::POST, "/rules", Some(rule))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["id"].as_str().unwrap().to_owned()
    }

    /// Rotates the default issuer's keys with a five-minute grace; the answer, after checking 200.
    async fn rotate(&self) -> Value {
        let (status, rotated) = self
            .admin(
                reqwest::Method::POST,
                "/issuers/default/keys/rotate",
                Some(json!({"grace": "5m"})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{rotated}");
        rotated
    }

    async fn code(&self) -> String {
        let url = self.url(&authorize_path("web", &[("nonce", Some("n1"))]));
        let response = self.http.get(url).send().await.unwrap();
        assert_eq!(
            response.status(),
            StatusCode::FOUND,
            "{}",
            response.text().await.unwrap()
        );
        let location = url::Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
        location
            .query_pairs()
            .find(|(k, _)| k == "code")
            .unwrap()
            .1
            .into_owned()
    }

    async fn redeem(&self, code: &str) -> reqwest::Response {
        self.http
            .post(self.url("/token"))
            .basic_auth("web", Some(WEB_SECRET))
            .form(&[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", CALLBACK),
                ("code_verifier", VERIFIER),
            ])
            .send()
            .await
            .unwrap()
    }

    async fn tokens(&self) -> Value {
        let code = self.code().await;
        let response = self.redeem(&code).await;
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.unwrap()
    }

    async fn jwks_kids(&self) -> Vec<String> {
        let jwks: Value = self
            .http
            .get(self.url("/jwks"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| k["kid"].as_str().unwrap().to_owned())
            .collect()
    }
}

#[tokio::test]
async fn the_next_token_request_fails_with_invalid_grant_then_all_is_well() {
    let live = Live::start().await;
    live.add_rule(json!({"when": {"endpoint": "token", "times": 1}, "then": [{"error": {"error": "invalid_grant", "description": "scripted"}}]})).await;
    let code = live.code().await;
    let failed = live.redeem(&code).await;
    assert_eq!(failed.status(), StatusCode::BAD_REQUEST);
    assert_eq!(failed.headers()["cache-control"], "no-store");
    assert_eq!(
        failed.json::<Value>().await.unwrap(),
        json!({"error": "invalid_grant", "error_description": "scripted"})
    );
    // The rule answered in the provider's place: the code was never spent.
    assert_eq!(live.redeem(&code).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn an_injected_invalid_client_is_a_401_with_the_issuers_basic_challenge() {
    let live = Live::start().await;
    live.add_rule(json!({"when": {"endpoint": "token", "client_id": "web", "times": 1}, "then": [{"error": {"error": "invalid_client"}}]}))
        .await;
    let response = live.redeem(&live.code().await).await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        response.headers()["www-authenticate"],
        format!("Basic realm=\"{}\"", live.running.issuer()).as_str()
    );
}

#[tokio::test]
async fn the_token_endpoint_answers_a_502_html_page_twice_then_recovers() {
    let live = Live::start().await;
    live.add_rule(json!({
        "when": {"endpoint": "token", "times": 2},
        "then": [{"respond": {"status": 502, "content_type": "text/html", "body": "<html><body><h1>502 Bad Gateway</h1></body></html>"}}]
    }))
    .await;
    let code = live.code().await;
    for _ in 0..2 {
        let response = live.redeem(&code).await;
        assert_eq!(response.status(), StatusCode::BAD_GATEWAY);
        assert_eq!(response.headers()["content-type"], "text/html");
        assert!(response.text().await.unwrap().contains("502 Bad Gateway"));
    }
    assert_eq!(live.redeem(&code).await.status(), StatusCode::OK);
    let (_, rules) = live.admin(reqwest::Method::GET, "/rules", None).await;
    assert_eq!(
        (rules[0]["matched"].as_u64(), rules[0]["fired"].as_u64()),
        (Some(3), Some(2))
    );
}

#[tokio::test]
async fn a_delay_makes_an_impatient_client_time_out() {
    let live = Live::start().await;
    let id = live
        .add_rule(json!({"when": {"endpoint": "discovery"}, "then": [{"delay": "2s"}]}))
        .await;
    let impatient = reqwest::Client::builder()
        .use_preconfigured_tls(fauxauth_core::Trust::default().client_config())
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let url = live.url("/.well-known/openid-configuration");
    let err = impatient.get(&url).send().await.unwrap_err();
    assert!(err.is_timeout(), "{err}");
    live.admin(reqwest::Method::DELETE, &format!("/rules/{id}"), None)
        .await;
    assert_eq!(
        impatient.get(&url).send().await.unwrap().status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_dropped_connection_gets_no_answer_at_all() {
    let live = Live::start().await;
    live.add_rule(json!({"when": {"endpoint": "token", "times": 1}, "then": ["drop_connection"]}))
        .await;
    let code = live.code().await;
    let err = live
        .http
        .post(live.url("/token"))
        .basic_auth("web", Some(WEB_SECRET))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", CALLBACK),
            ("code_verifier", VERIFIER),
        ])
        .send()
        .await
        .unwrap_err();
    assert!(!err.is_status() && !err.is_timeout(), "{err}");
    let (_, journal) = live
        .admin(reqwest::Method::GET, "/journal?endpoint=token", None)
        .await;
    assert_eq!(
        journal["entries"][0]["status"], 0,
        "journaled as unanswered"
    );
    assert_eq!(live.redeem(&code).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn moving_the_clock_ten_minutes_expires_every_outstanding_code() {
    let live = Live::start().await;
    let codes = [live.code().await, live.code().await];
    let (status, clock) = live
        .admin(
            reqwest::Method::POST,
            "/clock",
            Some(json!({"advance": "10m"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, before) = live.admin(reqwest::Method::GET, "/clock", None).await;
    assert_eq!(clock["now"], before["now"]);
    for code in &codes {
        let response = live.redeem(code).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            response.json::<Value>().await.unwrap()["error"],
            "invalid_grant"
        );
    }
    let (status, set) = live
        .admin(
            reqwest::Method::POST,
            "/clock",
            Some(json!({"set": "2030-01-01T00:00:00Z"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(set["now"], 1_893_456_000u64);
    let (status, _) = live
        .admin(
            reqwest::Method::POST,
            "/clock",
            Some(json!({"advance": "soon"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn rotating_keys_publishes_the_new_key_and_keeps_the_old_for_the_grace() {
    let live = Live::start().await;
    let before = live.tokens().await;
    let old_kids = live.jwks_kids().await;
    let rotated = live.rotate().await;
    let new_kid = rotated["kid"].as_str().unwrap();
    assert_eq!(
        live.jwks_kids().await,
        [old_kids[0].clone(), new_kid.to_owned()]
    );
    let after = live.tokens().await;
    assert_eq!(
        jwt_parts(after["id_token"].as_str().unwrap()).0["kid"],
        new_kid
    );
    // The old key still verifies its tokens during the grace...
    let userinfo = |token: &Value| {
        live.http
            .get(live.url("/userinfo"))
            .bearer_auth(token["access_token"].as_str().unwrap())
            .send()
    };
    assert_eq!(userinfo(&before).await.unwrap().status(), StatusCode::OK);
    // ...and is gone after it.
    live.admin(
        reqwest::Method::POST,
        "/clock",
        Some(json!({"advance": "6m"})),
    )
    .await;
    assert_eq!(live.jwks_kids().await, [new_kid.to_owned()]);
    assert_eq!(
        userinfo(&before).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(userinfo(&after).await.unwrap().status(), StatusCode::OK);
}

#[tokio::test]
async fn rotating_an_es256_issuers_keys_rotates_its_rs256_companion_with_them() {
    let mut issuer = issuer_config();
    issuer.signing_alg = mock_provider::SigningAlg::ES256;
    let live = Live::with(Config::single(issuer)).await;
    let keys = || async {
        let (status, keys) = live
            .admin(reqwest::Method::GET, "/issuers/default/keys", None)
            .await;
        assert_eq!(status, StatusCode::OK, "{keys}");
        keys
    };
    let before = keys().await;
    assert_eq!(
        before,
        json!([
            {"kid": before[0]["kid"], "alg": "ES256", "active": true, "companion": false, "published": true},
            {"kid": before[1]["kid"], "alg": "RS256", "active": true, "companion": true, "published": true},
        ])
    );
    let old = live.jwks_kids().await;
    assert_eq!(old.len(), 2);

    let rotated = live.rotate().await;
    let after = keys().await;
    let after = after.as_array().unwrap();
    assert_eq!(after.len(), 4, "{after:?}");
    let retires_at = json!(virtual_now(&live).await + 300);
    for (old, alg) in after[..2].iter().zip(["ES256", "RS256"]) {
        assert_eq!(old["alg"], alg);
        assert_eq!(old["active"], false, "{old}");
        assert_eq!(old["retires_at"], retires_at, "{old}");
    }
    for (new, (alg, companion)) in after[2..].iter().zip([("ES256", false), ("RS256", true)]) {
        assert_eq!(
            (
                &new["alg"],
                &new["active"],
                &new["companion"],
                &new["published"]
            ),
            (&json!(alg), &json!(true), &json!(companion), &json!(true)),
            "{new}"
        );
        assert!(new.get("retires_at").is_none(), "{new}");
    }
    assert_eq!(after[2]["kid"], rotated["kid"]);
    let new: Vec<String> = after[2..]
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect();
    assert!(!old.contains(&new[1]), "a new companion");
    assert_eq!(live.jwks_kids().await, [old.clone(), new.clone()].concat());

    // Both old keys leave together when the grace is over.
    live.admin(
        reqwest::Method::POST,
        "/clock",
        Some(json!({"advance": "6m"})),
    )
    .await;
    assert_eq!(live.jwks_kids().await, new);

    // The companion is withdrawn and restored like any key.
    let companion = &new[1];
    live.admin(
        reqwest::Method::POST,
        &format!("/issuers/default/keys/{companion}/unpublish"),
        None,
    )
    .await;
    assert_eq!(live.jwks_kids().await, [new[0].clone()]);
    live.admin(
        reqwest::Method::POST,
        &format!("/issuers/default/keys/{companion}/publish"),
        None,
    )
    .await;
    assert_eq!(live.jwks_kids().await, new);

    // A reset brings back the first pair.
    live.admin(reqwest::Method::POST, "/reset", None).await;
    assert_eq!(live.jwks_kids().await, old);
}

/// The provider's virtual time now, in seconds since the epoch.
async fn virtual_now(live: &Live) -> u64 {
    let (_, clock) = live.admin(reqwest::Method::GET, "/clock", None).await;
    clock["now"].as_u64().unwrap()
}

#[tokio::test]
async fn an_unpublished_key_disappears_from_the_jwks_until_published_again() {
    let live = Live::start().await;
    let kid = live.jwks_kids().await.remove(0);
    let (status, _) = live
        .admin(
            reqwest::Method::POST,
            &format!("/issuers/default/keys/{kid}/unpublish"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(live.jwks_kids().await.is_empty());
    let (_, keys) = live
        .admin(reqwest::Method::GET, "/issuers/default/keys", None)
        .await;
    assert_eq!(keys[0]["active"], true);
    assert_eq!(keys[0]["published"], false);
    live.admin(
        reqwest::Method::POST,
        &format!("/issuers/default/keys/{kid}/publish"),
        None,
    )
    .await;
    assert_eq!(live.jwks_kids().await, [kid]);
    let (status, _) = live
        .admin(
            reqwest::Method::POST,
            "/issuers/default/keys/nope/publish",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_next_id_token_is_signed_by_the_rogue_key_and_fails_verification() {
    use openidconnect::core::{CoreClient, CoreProviderMetadata};
    use openidconnect::{ClientId, IssuerUrl, Nonce};

    let live = Live::start().await;
    live.add_rule(json!({"when": {"endpoint": "token", "times": 1}, "then": [{"token": {"sign_with": "rogue"}}]})).await;
    let rogue = live.tokens().await;
    let normal = live.tokens().await;
    let (header, _) = jwt_parts(rogue["id_token"].as_str().unwrap());
    assert!(
        !live
            .jwks_kids()
            .await
            .contains(&header["kid"].as_str().unwrap().to_owned()),
        "the rogue key is never published"
    );

    let metadata = CoreProviderMetadata::discover_async(
        IssuerUrl::new(live.running.issuer()).unwrap(),
        &live.http,
    )
    .await
    .unwrap();
    let client = CoreClient::from_provider_metadata(metadata, ClientId::new("web".into()), None);
    let verify = |token: &Value| {
        let id_token: openidconnect::core::CoreIdToken =
            serde_json::from_value(token["id_token"].clone()).unwrap();
        id_token
            .claims(&client.id_token_verifier(), &Nonce::new("n1".into()))
            .map(|_| ())
            .map_err(|e| e.to_string())
    };
    assert!(verify(&rogue).is_err());
    assert_eq!(verify(&normal), Ok(()));
}

#[tokio::test]
async fn token_changes_re_sign_an_rs256_id_token_of_an_eddsa_issuer_with_rs256_keys() {
    use openidconnect::core::{CoreClient, CoreIdToken, CoreProviderMetadata};
    use openidconnect::{ClientId, IssuerUrl, Nonce};

    let mut issuer = issuer_config();
    issuer.signing_alg = mock_provider::SigningAlg::EdDSA;
    issuer.clients[0].id_token_signed_response_alg = Some(mock_provider::SigningAlg::RS256);
    let live = Live::with(Config::single(issuer)).await;
    let published = live.jwks_kids().await;
    let kid = |token: &Value| {
        let (header, _) = jwt_parts(token.as_str().unwrap());
        (header["alg"].clone(), header.get("kid").cloned())
    };

    // A rogue key of each token's own algorithm, never published.
    live.add_rule(json!({"when": {"endpoint": "token", "times": 1}, "then": [{"token": {"target": "both", "sign_with": "rogue"}}]})).await;
    let rogue = live.tokens().await;
    let normal = live.tokens().await;
    let (id_alg, id_kid) = kid(&rogue["id_token"]);
    let (access_alg, access_kid) = kid(&rogue["access_token"]);
    assert_eq!((id_alg, access_alg), (json!("RS256"), json!("EdDSA")));
    for rogue_kid in [&id_kid, &access_kid] {
        let rogue_kid = rogue_kid.as_ref().unwrap().as_str().unwrap().to_owned();
        assert!(!published.contains(&rogue_kid), "never published");
    }
    assert_eq!(kid(&normal["id_token"]).0, "RS256");
    assert!(
        published.contains(
            &kid(&normal["id_token"])
                .1
                .unwrap()
                .as_str()
                .unwrap()
                .to_owned()
        )
    );

    // openidconnect, as a client would: the rogue ID token fails, the normal one verifies.
    let metadata = CoreProviderMetadata::discover_async(
        IssuerUrl::new(live.running.issuer()).unwrap(),
        &live.http,
    )
    .await
    .unwrap();
    let client = CoreClient::from_provider_metadata(metadata, ClientId::new("web".into()), None);
    let verify = |token: &Value| {
        let id_token: CoreIdToken = serde_json::from_value(token["id_token"].clone()).unwrap();
        id_token
            .claims(&client.id_token_verifier(), &Nonce::new("n1".into()))
            .map(|_| ())
            .map_err(|e| e.to_string())
    };
    assert!(verify(&rogue).is_err());
    assert_eq!(verify(&normal), Ok(()));

    // Without a kid, still signed by the RS256 companion: a client trying each key accepts it.
    live.add_rule(
        json!({"when": {"endpoint": "token", "times": 1}, "then": [{"token": {"omit_kid": true}}]}),
    )
    .await;
    let no_kid = live.tokens().await;
    assert_eq!(kid(&no_kid["id_token"]), (json!("RS256"), None));
    let logout = live
        .http
        .get(live.url("/logout"))
        .query(&[
            ("id_token_hint", no_kid["id_token"].as_str().unwrap()),
            ("post_logout_redirect_uri", "http://127.0.0.1:8080/"),
        ])
        .send()
        .await
        .unwrap();
    assert!(
        logout.status().is_redirection(),
        "the hint verifies: {}",
        logout.status()
    );
    assert!(
        logout.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("http://127.0.0.1:8080/")
    );

    // A wrong at_hash, in the hash of the ID token's algorithm (SHA-256, not EdDSA's SHA-512);
    // and no signature at all.
    live.add_rule(json!({"when": {"endpoint": "token", "times": 1}, "then": [{"token": {"wrong_at_hash": true}}]})).await;
    let wrong = live.tokens().await;
    use base64::Engine as _;
    use sha2::Digest as _;
    let at_hash = jwt_parts(wrong["id_token"].as_str().unwrap()).1["at_hash"].clone();
    let real = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(&sha2::Sha256::digest(wrong["access_token"].as_str().unwrap().as_bytes())[..16]);
    assert_ne!(at_hash, real);
    assert_eq!(
        at_hash.as_str().unwrap().len(),
        real.len(),
        "SHA-256's half"
    );
    live.add_rule(json!({"when": {"endpoint": "token", "times": 1}, "then": [{"token": {"sign_with": "none"}}]})).await;
    let unsigned = live.tokens().await;
    assert_eq!(kid(&unsigned["id_token"]), (json!("none"), None));
}

#[tokio::test]
async fn token_changes_show_in_the_tokens_a_client_receives() {
    let live = Live::start().await;
    /// A change, and a check of the ID token's header and claims.
    type Case = (Value, Box<dyn Fn(&Value, &Value)>);
    let cases: Vec<Case> = vec![
        (
            json!({"sign_with": "none"}),
            Box::new(|h, _| assert_eq!(h["alg"], "none")),
        ),
        (
            json!({"omit_kid": true}),
            Box::new(|h, _| assert!(h.get("kid").is_none())),
        ),
        (
            json!({"expired": true}),
            Box::new(|_, c| assert!(c["exp"].as_u64() < c["iat"].as_u64())),
        ),
        (
            json!({"iat_in_future": true, "nbf_in_future": true}),
            Box::new(|_, c| assert!(c["nbf"].as_u64() > c["exp"].as_u64().map(|e| e - 3600))),
        ),
        (
            json!({"iss": "https://attacker.example", "aud": "someone-else"}),
            Box::new(|_, c| {
                assert_eq!(
                    (c["iss"].as_str(), c["aud"].as_str()),
                    (Some("https://attacker.example"), Some("someone-else"))
                )
            }),
        ),
        (
            json!({"wrong_nonce": true}),
            Box::new(|_, c| assert_ne!(c["nonce"], "n1")),
        ),
        (
            json!({"set_claims": {"email": "mallory@example.com"}, "remove_claims": ["auth_time"]}),
            Box::new(|_, c| {
                assert_eq!(c["email"], "mallory@example.com");
                assert!(c.get("auth_time").is_none());
            }),
        ),
    ];
    for (change, check) in cases {
        live.add_rule(
            json!({"when": {"endpoint": "token", "times": 1}, "then": [{"token": change}]}),
        )
        .await;
        let tokens = live.tokens().await;
        let (header, claims) = jwt_parts(tokens["id_token"].as_str().unwrap());
        check(&header, &claims);
        // Only the ID token was targeted: the access token is untouched.
        assert_eq!(
            jwt_parts(tokens["access_token"].as_str().unwrap()).0["typ"],
            "at+jwt"
        );
    }
    live.add_rule(json!({"when": {"endpoint": "token", "times": 1}, "then": [{"token": {"target": "both", "wrong_at_hash": true, "sign_with": "rogue"}}]})).await;
    let tokens = live.tokens().await;
    let (_, claims) = jwt_parts(tokens["id_token"].as_str().unwrap());
    use base64::Engine as _;
    use sha2::Digest as _;
    let real = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(&sha2::Sha256::digest(tokens["access_token"].as_str().unwrap().as_bytes())[..16]);
    assert_ne!(claims["at_hash"], real);
    let userinfo = live
        .http
        .get(live.url("/userinfo"))
        .bearer_auth(tokens["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(
        userinfo.status(),
        StatusCode::UNAUTHORIZED,
        "a rogue-signed access token is refused"
    );
}

#[tokio::test]
async fn an_injected_authorization_error_is_redirected_with_state_and_iss() {
    let live = Live::start().await;
    live.add_rule(json!({"when": {"endpoint": "authorize", "user": "bob"}, "then": [{"error": {"error": "temporarily_unavailable"}}]})).await;
    let url = |hint: &str| {
        live.url(&authorize_path(
            "web",
            &[("state", Some("s9")), ("login_hint", Some(hint))],
        ))
    };
    let response = live.http.get(url("bob")).send().await.unwrap();
    let location = url::Url::parse(response.headers()["location"].to_str().unwrap()).unwrap();
    let params: std::collections::HashMap<_, _> = location.query_pairs().into_owned().collect();
    assert_eq!(params["error"], "temporarily_unavailable");
    assert_eq!(params["state"], "s9");
    assert_eq!(params["iss"], live.running.issuer());
    let alice = live.http.get(url("alice")).send().await.unwrap();
    assert!(
        alice.headers()["location"]
            .to_str()
            .unwrap()
            .contains("code=")
    );
}

#[tokio::test]
async fn the_journal_shows_exactly_what_the_app_sent_with_secrets_masked() {
    let live = Live::start().await;
    live.tokens().await;
    live.http
        .get(live.url("/no/such/path"))
        .send()
        .await
        .unwrap();
    live.admin(reqwest::Method::GET, "/rules", None).await;

    let (_, journal) = live
        .admin(
            reqwest::Method::GET,
            "/journal?endpoint=token&method=POST",
            None,
        )
        .await;
    let entries = journal["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1);
    let entry = &entries[0];
    assert_eq!(entry["client_id"], "web");
    assert_eq!(entry["grant_type"], "authorization_code");
    assert_eq!(entry["user"], "alice");
    assert_eq!(entry["status"], 200);
    assert_eq!(entry["form"]["redirect_uri"], CALLBACK);
    for secret in ["code", "code_verifier"] {
        assert!(
            entry["form"][secret]
                .as_str()
                .unwrap()
                .starts_with("[masked:"),
            "{entry}"
        );
    }
    assert!(
        entry["headers"]["authorization"]
            .as_str()
            .unwrap()
            .starts_with("Basic [masked:")
    );
    // A JWT is kept as its fingerprint with its header and claims; never its signature.
    let access = &entry["response_body"]["access_token"];
    assert!(
        access["masked"].as_str().unwrap().starts_with("[masked:"),
        "{access}"
    );
    assert_eq!(access["header"]["typ"], "at+jwt");
    assert_eq!(access["claims"]["sub"], "alice");
    assert!(
        entry["response_body"]["refresh_token"]
            .as_str()
            .unwrap()
            .starts_with("[masked:")
    );
    assert!(!entry.to_string().contains(WEB_SECRET));

    let verify = |filter: Value, expect: Value| {
        live.admin(
            reqwest::Method::POST,
            "/journal/verify",
            Some(json!({"filter": filter, "expect": expect})),
        )
    };
    assert_eq!(
        verify(json!({"endpoint": "token"}), json!({"times": 1}))
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        verify(json!({"endpoint": "userinfo"}), json!("never"))
            .await
            .0,
        StatusCode::OK
    );
    let (status, mismatch) = verify(json!({"endpoint": "authorize"}), json!("never")).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(mismatch["mismatch"]["actual"], 1);
    // Unknown paths are journaled; admin calls are not.
    let (_, all) = live.admin(reqwest::Method::GET, "/journal", None).await;
    let paths: Vec<&str> = all["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["/authorize", "/token", "/no/such/path"]);
    live.admin(reqwest::Method::DELETE, "/journal", None).await;
    let (_, empty) = live.admin(reqwest::Method::GET, "/journal", None).await;
    assert_eq!(empty["entries"], json!([]));
    assert_eq!(
        live.running
            .provider()
            .journal()
            .count(&mock_provider::Filter::default()),
        0
    );
    // Sequence numbers are never reused: the next entry comes after everything cleared.
    let last = all["last_seq"].as_u64().unwrap();
    live.http.get(live.url("/jwks")).send().await.unwrap();
    let (_, after) = live.admin(reqwest::Method::GET, "/journal", None).await;
    assert!(
        after["entries"][0]["seq"].as_u64().unwrap() > last,
        "{after}"
    );
}

#[tokio::test]
async fn users_and_clients_are_added_changed_and_removed_over_http() {
    let live = Live::start().await;
    let (status, _) = live
        .admin(
            reqwest::Method::POST,
            "/issuers/default/users",
            Some(json!({"username": "carol", "claims": {"email": "carol@example.com"}})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, users) = live
        .admin(reqwest::Method::GET, "/issuers/default/users", None)
        .await;
    assert!(
        users
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u["username"] == "carol")
    );
    let (status, _) = live.admin(reqwest::Method::POST, "/issuers/default/clients", Some(json!({"client_id": "new", "client_secret": "new-secret-0123456", "grant_types": ["client_credentials"]}))).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let token = live
        .http
        .post(live.url("/token"))
        .basic_auth("new", Some("new-secret-0123456"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(token.status(), StatusCode::OK);
    // A client the configuration file would refuse is refused here too.
    let (status, error) = live
        .admin(
            reqwest::Method::POST,
            "/issuers/default/clients",
            Some(json!({"client_id": "bad", "redirect_uris": ["http://app.example/cb"]})),
        )
        .await;
    // Well-formed, so not a 400: refused for what no schema can say (RFC 9110 §15.5.21).
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        error["error_description"]
            .as_str()
            .unwrap()
            .contains("RFC 9700")
    );
    let (status, _) = live
        .admin(
            reqwest::Method::POST,
            "/issuers/default/clients",
            Some(json!({"client_id": "typo", "redirect_uri": []})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    assert_eq!(
        live.admin(
            reqwest::Method::DELETE,
            "/issuers/default/clients/new",
            None
        )
        .await
        .0,
        StatusCode::NO_CONTENT
    );
    let token = live
        .http
        .post(live.url("/token"))
        .basic_auth("new", Some("new-secret-0123456"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(token.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        live.admin(
            reqwest::Method::DELETE,
            "/issuers/default/users/carol",
            None
        )
        .await
        .0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        live.admin(
            reqwest::Method::DELETE,
            "/issuers/default/users/carol",
            None
        )
        .await
        .0,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        live.admin(reqwest::Method::GET, "/issuers/nope/users", None)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
}

/// What no admin route answers is refused in the admin API's JSON, not handed to the protocol's
/// routes: an unknown path is a 404 the journal never sees, a wrong method a 405 naming the
/// methods allowed.
#[tokio::test]
async fn unknown_admin_paths_and_methods_are_refused_in_the_admin_apis_json() {
    let live = Live::start().await;
    let (status, body) = live
        .admin(reqwest::Method::POST, "/clock/nowhere", Some(json!({})))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"], "not_found", "{body}");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("/_fauxauth/openapi.json"),
        "{body}"
    );
    let response = live
        .http
        .get(live.url("/_fauxauth/rules/some-rule"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(
        response.headers().get(header::ALLOW.as_str()).unwrap(),
        "DELETE"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"], "invalid_request", "{body}");
    assert!(
        live.running
            .provider()
            .journal()
            .query(&Default::default())
            .is_empty(),
        "admin calls are never journaled"
    );
}

#[tokio::test]
async fn reset_returns_to_the_loaded_configuration() {
    let live = Live::start().await;
    let kid = live.jwks_kids().await;
    let tokens = live.tokens().await;
    live.add_rule(json!({"then": [{"delay": "1s"}]})).await;
    live.admin(reqwest::Method::POST, "/issuers/default/keys/rotate", None)
        .await;
    live.admin(
        reqwest::Method::DELETE,
        "/issuers/default/users/alice",
        None,
    )
    .await;
    let (_, clock_before) = live.admin(reqwest::Method::GET, "/clock", None).await;
    live.admin(
        reqwest::Method::POST,
        "/clock",
        Some(json!({"advance": "30d"})),
    )
    .await;

    assert_eq!(
        live.admin(reqwest::Method::POST, "/reset", None).await.0,
        StatusCode::NO_CONTENT
    );
    let (_, journal) = live.admin(reqwest::Method::GET, "/journal", None).await;
    assert_eq!(journal["entries"], json!([]));
    assert_eq!(live.jwks_kids().await, kid);
    let (_, rules) = live.admin(reqwest::Method::GET, "/rules", None).await;
    assert_eq!(rules, json!([]));
    let (_, clock) = live.admin(reqwest::Method::GET, "/clock", None).await;
    assert!(clock["now"].as_u64().unwrap() - clock_before["now"].as_u64().unwrap() < 60);
    // Everything issued before is forgotten; alice is back.
    let introspect = live
        .http
        .post(live.url("/introspect"))
        .basic_auth("web", Some(WEB_SECRET))
        .form(&[("token", tokens["refresh_token"].as_str().unwrap())])
        .send()
        .await
        .unwrap();
    assert_eq!(
        introspect.json::<Value>().await.unwrap(),
        json!({"active": false})
    );
    live.tokens().await;
}

#[tokio::test]
async fn rules_clock_and_admin_token_can_be_declared_in_the_config_file() {
    let yaml = format!(
        "clock: {{ start: 2030-01-01T00:00:00Z, frozen: true }}\n\
         admin_token: a-long-admin-token-123\n\
         rules:\n  - id: flaky-token\n    when: {{ endpoint: token, times: 1 }}\n    then: [ {{ respond: {{ status: 503, headers: {{ retry-after: '7' }} }} }} ]\n\
         issuers:\n  - name: main\n    clients:\n      - client_id: web\n        client_secret: {WEB_SECRET}\n        redirect_uris: [{CALLBACK}]\n    users: [ {{ username: alice }} ]\n"
    );
    let config = Config::from_yaml(&yaml, "test.yaml").unwrap();
    let live = Live::with(config).await;
    let response = live
        .http
        .post(live.url("/token"))
        .basic_auth("web", Some(WEB_SECRET))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()["retry-after"], "7");

    // With an admin token, the admin API wants it.
    let (status, _) = live.admin(reqwest::Method::GET, "/clock", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let clock: Value = live
        .http
        .get(live.url("/_fauxauth/clock"))
        .bearer_auth("a-long-admin-token-123")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        clock,
        json!({"now": 1_893_456_000u64, "rfc3339": "2030-01-01T00:00:00Z", "frozen": true})
    );
    let code = live.code().await;
    let tokens: Value = live.redeem(&code).await.json().await.unwrap();
    assert_eq!(
        jwt_parts(tokens["access_token"].as_str().unwrap()).1["iat"],
        1_893_456_000u64
    );
}

#[tokio::test]
async fn the_admin_api_refuses_peers_that_are_not_loopback() {
    let p = TestProvider::new();
    let from = |ip: &str| {
        let mut request = Request::get("/_fauxauth/rules")
            .body(Body::empty())
            .unwrap();
        request
            .extensions_mut()
            .insert(Peer(format!("{ip}:4000").parse().unwrap()));
        request
    };
    assert_eq!(p.send(from("192.0.2.7")).await.status.as_u16(), 403);
    assert_eq!(p.send(from("127.0.0.1")).await.status.as_u16(), 200);
    assert_eq!(p.send(from("[::1]")).await.status.as_u16(), 200);
    // The protocol endpoints are for everyone.
    let mut discovery = Request::get("/.well-known/openid-configuration")
        .body(Body::empty())
        .unwrap();
    discovery
        .extensions_mut()
        .insert(Peer("192.0.2.7:4000".parse().unwrap()));
    assert_eq!(p.send(discovery).await.status.as_u16(), 200);
    let _ = header::AUTHORIZATION;
}

#[tokio::test]
async fn every_admin_route_is_in_the_openapi_document_and_every_documented_route_is_served() {
    let live = Live::start().await;
    let (_, document) = live
        .admin(reqwest::Method::GET, "/openapi.json", None)
        .await;
    assert_eq!(document["openapi"], "3.1.0");
    let operations = mock_provider::admin_operations();
    assert!(operations.len() >= 20);
    for op in &operations {
        let path = format!("/_fauxauth{}", op.path);
        let method = op.method.as_str().to_ascii_lowercase();
        assert!(
            document["paths"][&path][&method].is_object(),
            "{method} {path} is not documented"
        );
        // Served: a documented route never falls through to the protocol's empty 404.
        let concrete = path
            .replace("{issuer}", "default")
            .replace("{id}", "x")
            .replace("{username}", "x")
            .replace("{client_id}", "x")
            .replace("{kid}", "x");
        let response = live
            .http
            .request(op.method.clone(), live.url(&concrete))
            .header("content-type", "application/json")
            .body("{}")
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body = response.text().await.unwrap();
        assert!(
            status != StatusCode::METHOD_NOT_ALLOWED
                && !(status == StatusCode::NOT_FOUND && body.is_empty()),
            "{method} {path}: {status}"
        );
    }
    // Schemas are generated from the types: the rule schema knows its actions.
    let schemas = document["components"]["schemas"].to_string();
    assert!(
        schemas.contains("drop_connection") && schemas.contains("sign_with"),
        "{schemas}"
    );
}

/// The admin API shows the provider's HTTPS (with the authority's certificate to trust) and
/// switches its certificate: a client trusting that authority is refused while the untrusted
/// one is served, and served again after.
#[tokio::test]
async fn the_admin_api_shows_https_and_switches_the_certificate() {
    let mut config = Config::single(issuer_config());
    config.tls = Some(mock_provider::TlsConfig::default());
    let running = mock_provider::spawn(config).await.unwrap();
    let tls = running.tls().unwrap();
    let client = |trust: &fauxauth_core::Trust| {
        reqwest::Client::builder()
            .use_preconfigured_tls(trust.client_config())
            .build()
            .unwrap()
    };
    // The harness's side trusts both authorities; the app's, only what the admin API gives it.
    let mut both = tls.trust();
    both.add(tls.untrusted_authority().certificate_der().clone());
    let admin = client(&both);
    let url = |path: &str| format!("{}{path}", running.url());
    let info = || async {
        let response = admin.get(url("/_fauxauth/tls")).send().await.unwrap();
        response.json::<Value>().await.unwrap()
    };
    let shown = info().await;
    assert_eq!(shown["https"], true);
    assert_eq!(shown["certificate"], "trusted");
    assert!(
        shown["names"]
            .as_array()
            .unwrap()
            .contains(&json!("127.0.0.1"))
    );
    let mut given = fauxauth_core::Trust::default();
    given.add_pem(shown["authority"].as_str().unwrap()).unwrap();
    let app = client(&given);
    let discovery = url("/.well-known/openid-configuration");
    assert_eq!(app.get(&discovery).send().await.unwrap().status(), 200);

    let switch = |to: &'static str| {
        admin
            .put(url("/_fauxauth/tls/certificate"))
            .json(&json!({ "certificate": to }))
            .send()
    };
    assert_eq!(switch("untrusted").await.unwrap().status(), 204);
    // A request on the kept-alive connection the switch closed gets no answer at all; sent
    // again on a new connection, it meets the certificate.
    let mut refused = app.get(&discovery).send().await.unwrap_err();
    if format!("{refused:?}").contains("IncompleteMessage") {
        refused = app.get(&discovery).send().await.unwrap_err();
    }
    assert!(
        format!("{refused:?}").contains("UnknownIssuer"),
        "{refused:?}"
    );
    let shown = info().await;
    assert_eq!(shown["certificate"], "untrusted");
    assert!(shown["failed_handshakes"].as_u64().unwrap() >= 1, "{shown}");
    assert_eq!(switch("trusted").await.unwrap().status(), 204);
    assert_eq!(app.get(&discovery).send().await.unwrap().status(), 200);
    assert_eq!(switch("sideways").await.unwrap().status(), 400);

    // A provider without HTTPS says so, and refuses the switch.
    let plain = Live::start().await;
    let (status, body) = plain.admin(reqwest::Method::GET, "/tls", None).await;
    assert_eq!(
        (status, body["https"].clone()),
        (StatusCode::OK, json!(false))
    );
    let (status, _) = plain
        .admin(
            reqwest::Method::PUT,
            "/tls/certificate",
            Some(json!({ "certificate": "untrusted" })),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
}
