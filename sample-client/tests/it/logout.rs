//! `/logout`: the session ends here, and the provider's end-session endpoint is offered with the
//! ID token as a hint, by form POST.

use crate::helpers::*;

#[tokio::test]
async fn a_get_only_asks_to_confirm() {
    let world = World::start().await;
    world.logged_in().await;
    let page = world.browser.open(&world.url("/logout")).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body
            .contains(r#"<form method="post" action="/logout">"#),
        "{}",
        page.body
    );
    assert!(world.is_logged_in().await);
}

#[tokio::test]
async fn logging_out_ends_the_session_and_offers_rp_initiated_logout() {
    let world = World::start().await;
    world.logged_in().await;
    let page = world.browser.submit(&world.url("/logout"), &[]).await;
    assert_eq!(page.status, 200, "{page:#?}");
    assert_eq!(page.state.as_deref(), Some("logged-out"));
    assert!(
        page.body.contains(&format!(
            r#"<form method="post" action="{}{END_SESSION}">"#,
            world.provider.url()
        )),
        "{}",
        page.body
    );
    assert!(
        page.body.contains(r#"name="id_token_hint" value="eyJ"#),
        "{}",
        page.body
    );
    assert!(
        page.body.contains(&format!(
            r#"name="post_logout_redirect_uri" value="{}/""#,
            world.client.url()
        )),
        "{}",
        page.body
    );
    assert!(
        page.body.contains(r#"name="client_id" value="web app""#),
        "{}",
        page.body
    );
    assert_eq!(world.browser.cookie("fauxauth_client_session"), None);
    assert!(!world.is_logged_in().await);
}

#[tokio::test]
async fn logging_out_without_a_session_goes_home() {
    let world = World::start().await;
    let page = world.browser.submit(&world.url("/logout"), &[]).await;
    assert_eq!(page.status, 303);
    assert_eq!(page.location.as_deref(), Some("/"));
}

#[tokio::test]
async fn without_an_end_session_endpoint_logout_goes_home() {
    let world = World::start().await;
    let mut metadata = metadata(&world.provider.url());
    metadata
        .as_object_mut()
        .unwrap()
        .remove("end_session_endpoint");
    world
        .provider
        .override_with(
            "GET",
            DISCOVERY,
            wiremock::ResponseTemplate::new(200).set_body_json(metadata),
        )
        .await;
    world.logged_in().await;
    let page = world.browser.submit(&world.url("/logout"), &[]).await;
    assert_eq!(page.status, 303);
    assert!(!world.is_logged_in().await);
}
