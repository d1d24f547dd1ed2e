//! The google and microsoft presets: OpenID Connect as those providers document it, where it
//! departs from the letter of the specs (Google's second spelling of its issuer, Microsoft's
//! `{tenantid}` template), and nothing beyond.

use std::time::Duration;

use sample_client::{Check, Preset};
use serde_json::json;
use wiremock::ResponseTemplate;

use crate::helpers::*;

/// The provider's issuer as Google's legacy ID tokens spell theirs: without the scheme.
fn without_scheme(url: &str) -> String {
    url.strip_prefix("http://").unwrap().to_owned()
}

fn set_claim(world: &World, claim: &str, value: serde_json::Value) {
    world.provider.set_faults(|f| {
        f.id_token_claims.insert(claim.to_owned(), value);
    });
}

#[tokio::test]
async fn google_asks_as_its_guide_says_and_redeems_with_the_secret_in_the_body() {
    let world = World::with(|c| c.preset = Preset::Google).await;
    let url = world.start_login().await;
    let params = params(&url);
    assert_eq!(params["scope"], "openid email profile");
    assert_eq!(params["access_type"], "offline");
    assert!(params["nonce"].len() >= 43);
    let query = world.provider.authorize(&url, "alice");
    assert_eq!(world.callback(&query).await.status, 303);
    let form = &world.provider.token_requests().await[0];
    assert_eq!(form["client_secret"], CLIENT_SECRET);
    let requests = world.provider.requests(TOKEN).await;
    assert!(!requests[0].headers.contains_key("authorization"));
}

#[tokio::test]
async fn googles_issuer_without_its_scheme_is_accepted_with_the_google_preset() {
    let world = World::with(|c| c.preset = Preset::Google).await;
    world
        .resource
        .also_at(&world.provider, "/oauth2/v3/userinfo")
        .await;
    set_claim(&world, "iss", json!(without_scheme(&world.provider.url())));
    world.logged_in().await;
    let home = world.home().await;
    assert!(home.body.contains("Alice Example"), "{}", home.body);
    // The refreshed ID token spells it the same way, and is judged the same way.
    world.clock().advance(Duration::from_secs(601));
    let me = world.me().await;
    assert_eq!(me.status, 200, "{me:#?}");
    assert_eq!(world.provider.refreshes().await, 1);
    assert!(world.is_logged_in().await);
}

#[tokio::test]
async fn googles_issuer_without_its_scheme_is_refused_without_the_preset() {
    let world = World::start().await;
    set_claim(&world, "iss", json!(without_scheme(&world.provider.url())));
    let page = world.login().await;
    page.assert_refused(Check::IdTokenMalformed);
    assert!(!world.is_logged_in().await);
}

#[tokio::test]
async fn another_hosts_issuer_is_refused_even_with_the_google_preset() {
    type Iss = fn(&url::Url) -> String;
    let cases: [(Iss, Check); 3] = [
        (
            |_| "http://attacker.example".into(),
            Check::IdTokenIssMismatch,
        ),
        (|_| "attacker.example".into(), Check::IdTokenMalformed),
        // The same host on another port, without the scheme.
        (
            |url| format!("127.0.0.1:{}", url.port().unwrap() + 1),
            Check::IdTokenMalformed,
        ),
    ];
    for (iss, check) in cases {
        let world = World::with(|c| c.preset = Preset::Google).await;
        let iss = iss(&url::Url::parse(&world.provider.url()).unwrap());
        set_claim(&world, "iss", json!(iss));
        let page = world.login().await;
        page.assert_refused(check);
        assert!(!world.is_logged_in().await, "{iss}");
    }
}

#[tokio::test]
async fn a_forged_token_in_googles_legacy_spelling_is_still_refused() {
    let world = World::with(|c| c.preset = Preset::Google).await;
    set_claim(&world, "iss", json!(without_scheme(&world.provider.url())));
    world.provider.set_faults(|f| f.signer = Signer::Forged);
    world
        .login()
        .await
        .assert_refused(Check::IdTokenSignatureInvalid);
    let world = World::with(|c| c.preset = Preset::Google).await;
    set_claim(&world, "iss", json!(without_scheme(&world.provider.url())));
    set_claim(&world, "nonce", json!("not-the-nonce"));
    world.login().await.assert_refused(Check::NonceMismatch);
}

const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const OTHER_TENANT: &str = "f8cdef31-a31e-4b4a-93e4-5f571e91255a";

/// A client configured with `{provider}/{tenant}/v2.0` and `preset`, whose discovery document
/// there names `advertised` (given the provider's base URL) as its issuer. Microsoft sends no
/// RFC 9207 `iss`, and advertises none.
async fn microsoft(tenant: &str, preset: Preset, advertised: fn(&str) -> String) -> World {
    let world = World::with(|c| {
        c.preset = preset;
        c.issuer = format!("{}/{tenant}/v2.0", c.issuer);
    })
    .await;
    let base = world.provider.url();
    let mut document = metadata(&base);
    document["issuer"] = json!(advertised(&base));
    document["authorization_response_iss_parameter_supported"] = json!(false);
    world
        .provider
        .override_with(
            "GET",
            &format!("/{tenant}/v2.0{DISCOVERY}"),
            ResponseTemplate::new(200).set_body_json(document),
        )
        .await;
    world.resource.also_at(&world.provider, "/v1.0/me").await;
    world
}

fn template(base: &str) -> String {
    format!("{base}/{{tenantid}}/v2.0")
}

fn in_tenant(world: &World, tenant: &str, tid: Option<&str>) {
    let iss = format!("{}/{tenant}/v2.0", world.provider.url());
    set_claim(world, "iss", json!(iss));
    set_claim(world, "tid", tid.map_or(json!(null), |t| json!(t)));
}

/// The login, with the callback as Microsoft sends it: no `iss`.
async fn microsoft_login(world: &World) -> Page {
    world
        .login_tampered(|q| {
            q.split('&')
                .filter(|p| !p.starts_with("iss="))
                .collect::<Vec<_>>()
                .join("&")
        })
        .await
}

#[tokio::test]
async fn microsofts_common_template_is_accepted_and_each_token_judged_by_its_tid() {
    let world = microsoft("common", Preset::Microsoft, template).await;
    in_tenant(&world, TENANT, Some(TENANT));
    let url = world.start_login().await;
    assert_eq!(params(&url)["scope"], "openid profile email offline_access");
    let page = microsoft_login(&world).await;
    assert_eq!(page.status, 303, "{page:#?}");
    let home = world.home().await;
    assert_eq!(home.state.as_deref(), Some("logged-in"));
    assert!(
        home.body
            .contains(&format!("{}/{TENANT}/v2.0", world.provider.url())),
        "the user's tenant vouched: {}",
        home.body
    );
    assert_eq!(
        world.provider.token_requests().await[0]["client_secret"],
        CLIENT_SECRET
    );

    // Refreshed twice: each refreshed ID token judged by its tid, the newest refresh token kept.
    for _ in 0..2 {
        world.clock().advance(Duration::from_secs(601));
        let me = world.me().await;
        assert_eq!(me.status, 200, "{me:#?}");
        assert!(me.body.contains("<code>/v1.0/me</code>"), "{}", me.body);
    }
    let presented = world.provider.refresh_tokens_presented().await;
    assert_eq!(presented.len(), 2);
    assert_ne!(presented[0], presented[1]);
}

#[tokio::test]
async fn organizations_may_name_the_template_too() {
    let world = microsoft("organizations", Preset::Microsoft, template).await;
    in_tenant(&world, TENANT, Some(TENANT));
    assert_eq!(microsoft_login(&world).await.status, 303);
    assert!(world.is_logged_in().await);
}

#[tokio::test]
async fn the_template_is_refused_for_one_tenant_and_without_the_preset() {
    for (tenant, preset) in [
        (TENANT, Preset::Microsoft),
        ("consumers", Preset::Microsoft),
        ("common", Preset::Generic),
        ("common", Preset::Google),
    ] {
        let world = microsoft(tenant, preset, template).await;
        in_tenant(&world, TENANT, Some(TENANT));
        let page = world.browser.open(&world.url("/login")).await;
        page.assert_refused(Check::Discovery);
        assert!(page.body.contains("{tenantid}"), "{}", page.body);
        assert!(world.provider.requests(TOKEN).await.is_empty());
    }
}

#[tokio::test]
async fn a_token_naming_another_tenant_than_its_tid_is_refused() {
    for (tenant, tid) in [
        (OTHER_TENANT, Some(TENANT)),
        (TENANT, Some(OTHER_TENANT)),
        (TENANT, None),
        ("{tenantid}", Some(TENANT)),
    ] {
        let world = microsoft("common", Preset::Microsoft, template).await;
        in_tenant(&world, tenant, tid);
        let page = microsoft_login(&world).await;
        page.assert_refused(Check::IdTokenIssMismatch);
        assert!(!world.is_logged_in().await, "iss {tenant}, tid {tid:?}");
    }
}

#[tokio::test]
async fn one_tenants_metadata_names_itself_and_its_tokens_must_too() {
    let own = |base: &str| format!("{base}/{TENANT}/v2.0");
    let world = microsoft(TENANT, Preset::Microsoft, own).await;
    in_tenant(&world, TENANT, Some(TENANT));
    assert_eq!(microsoft_login(&world).await.status, 303);
    assert!(world.is_logged_in().await);

    let world = microsoft(TENANT, Preset::Microsoft, own).await;
    in_tenant(&world, OTHER_TENANT, Some(OTHER_TENANT));
    microsoft_login(&world)
        .await
        .assert_refused(Check::IdTokenIssMismatch);
}
