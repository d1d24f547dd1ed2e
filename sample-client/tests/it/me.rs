//! `/me`: the resource called with the access token, and the refresh when it has expired or is
//! refused.

use std::time::Duration;

use sample_client::Check;

use crate::helpers::*;

#[tokio::test]
async fn me_shows_the_profile_the_resource_serves() {
    let world = World::start().await;
    world.logged_in().await;
    let page = world.me().await;
    assert_eq!(page.status, 200, "{page:#?}");
    assert_eq!(page.state.as_deref(), Some("logged-in"));
    assert!(page.body.contains(r#"data-page="me""#), "{}", page.body);
    assert!(page.body.contains("Alice Example"), "{}", page.body);
    assert!(
        page.body
            .contains(r#"data-claim="email">alice@example.com"#),
        "{}",
        page.body
    );
    let requests = world.resource.requests().await;
    assert_eq!(requests.len(), 1);
    let authorization = requests[0].headers["authorization"].to_str().unwrap();
    assert!(authorization.starts_with("Bearer at-"), "{authorization}");
    assert_eq!(requests[0].url.query(), None);
    assert_eq!(world.provider.refreshes().await, 0);
}

#[tokio::test]
async fn me_needs_a_login() {
    let world = World::start().await;
    world.me().await.assert_refused(Check::NotLoggedIn);
}

#[tokio::test]
async fn me_needs_a_resource() {
    let world = World::with(|c| c.resource = None).await;
    world.logged_in().await;
    world.me().await.assert_refused(Check::NoResource);
}

#[tokio::test]
async fn an_expired_access_token_is_refreshed_before_the_call() {
    let world = World::start().await;
    world.logged_in().await;
    world.clock().advance(Duration::from_secs(601));
    let page = world.me().await;
    assert_eq!(page.status, 200, "{page:#?}");
    assert_eq!(world.provider.refreshes().await, 1);
    assert_eq!(
        world.resource.requests().await.len(),
        1,
        "no doomed call first"
    );
    let refresh = world
        .provider
        .token_requests()
        .await
        .into_iter()
        .find(|f| f["grant_type"] == "refresh_token")
        .unwrap();
    assert!(refresh["refresh_token"].starts_with("rt-"));
    assert!(
        !refresh.contains_key("scope"),
        "the original scope (RFC 6749 §6)"
    );
}

#[tokio::test]
async fn a_refused_access_token_is_refreshed_once_and_the_call_retried() {
    let world = World::start().await;
    world.logged_in().await;
    world.provider.expire_access_tokens();
    let page = world.me().await;
    assert_eq!(page.status, 200, "{page:#?}");
    assert_eq!(world.provider.refreshes().await, 1);
    assert_eq!(world.resource.requests().await.len(), 2);
}

#[tokio::test]
async fn a_token_refused_even_after_a_refresh_is_an_error_and_refreshes_no_more() {
    let world = World::start().await;
    world.logged_in().await;
    world.resource.server.reset().await;
    wiremock::Mock::given(wiremock::matchers::path(API_ME))
        .respond_with(
            wiremock::ResponseTemplate::new(401)
                .insert_header("www-authenticate", r#"Bearer error="invalid_token""#),
        )
        .mount(&world.resource.server)
        .await;
    let page = world.me().await;
    page.assert_refused(Check::ResourceFailed);
    assert!(page.body.contains("even after a refresh"), "{}", page.body);
    assert_eq!(world.provider.refreshes().await, 1);
    assert_eq!(world.resource.requests().await.len(), 2);
}

#[tokio::test]
async fn the_rotated_refresh_token_is_used_next_time() {
    let world = World::start().await;
    world.logged_in().await;
    for _ in 0..3 {
        world.clock().advance(Duration::from_secs(601));
        let page = world.me().await;
        assert_eq!(page.status, 200, "{page:#?}");
    }
    let presented = world.provider.refresh_tokens_presented().await;
    assert_eq!(presented.len(), 3);
    assert_ne!(presented[0], presented[1]);
    assert_ne!(presented[1], presented[2]);
}

#[tokio::test]
async fn without_rotation_the_same_refresh_token_is_kept() {
    let world = World::start().await;
    world
        .provider
        .set_faults(|f| f.rotate_refresh_tokens = false);
    world.logged_in().await;
    for _ in 0..2 {
        world.clock().advance(Duration::from_secs(601));
        assert_eq!(world.me().await.status, 200);
    }
    let presented = world.provider.refresh_tokens_presented().await;
    assert_eq!(presented.len(), 2);
    assert_eq!(presented[0], presented[1]);
}

#[tokio::test]
async fn concurrent_calls_with_an_expired_token_trigger_one_refresh() {
    let world = std::sync::Arc::new(World::with(|c| c.timeout = Duration::from_secs(30)).await);
    world.logged_in().await;
    world.provider.slow_down(Duration::from_millis(200)).await;
    world.clock().advance(Duration::from_secs(601));
    let calls: Vec<_> = (0..8)
        .map(|_| {
            let world = world.clone();
            tokio::spawn(async move { world.me().await.status })
        })
        .collect();
    for call in calls {
        assert_eq!(call.await.unwrap(), 200);
    }
    assert_eq!(world.provider.refreshes().await, 1);
}

#[tokio::test]
async fn a_dead_refresh_token_ends_the_login() {
    let world = World::start().await;
    world.logged_in().await;
    world
        .provider
        .override_with(
            "POST",
            TOKEN,
            wiremock::ResponseTemplate::new(400)
                .set_body_json(serde_json::json!({"error": "invalid_grant"})),
        )
        .await;
    world.clock().advance(Duration::from_secs(601));
    let page = world.me().await;
    page.assert_refused(Check::RefreshFailed);
    assert!(page.body.contains("invalid_grant"), "{}", page.body);
    assert!(!world.is_logged_in().await);
}

#[tokio::test]
async fn a_provider_failing_at_refresh_keeps_the_login() {
    let world = World::start().await;
    world.logged_in().await;
    world
        .provider
        .override_with(
            "POST",
            TOKEN,
            wiremock::ResponseTemplate::new(503).set_body_string("<h1>down</h1>"),
        )
        .await;
    world.clock().advance(Duration::from_secs(601));
    let page = world.me().await;
    page.assert_refused(Check::RefreshFailed);
    assert!(page.body.contains("HTTP 503"), "{}", page.body);
    assert!(world.is_logged_in().await);
}

#[tokio::test]
async fn a_refreshed_id_token_about_someone_else_ends_the_login() {
    let world = World::start().await;
    world.logged_in().await;
    world.provider.set_faults(|f| {
        f.id_token_claims
            .insert("sub".into(), serde_json::json!("mallory"));
    });
    world.clock().advance(Duration::from_secs(601));
    world.me().await.assert_refused(Check::IdTokenChanged);
    assert!(!world.is_logged_in().await);
}
