//! The google preset: the older UserInfo on `www.googleapis.com`, released by scope, and Google's
//! answer to a bad token.

use mock_resource::Preset;
use serde_json::{Value, json};

use crate::helpers::*;

const USERINFO_V3: &str = "/oauth2/v3/userinfo";

fn alice() -> Value {
    json!({
        "sub": "110169484474386276334", "username": "alice", "name": "Alice Example",
        "given_name": "Alice", "family_name": "Example", "picture": "https://example.test/a.png",
        "email": "alice@example.test", "email_verified": true, "locale": "en", "hd": "example.test",
        "phone_number": "+1 555 0100",
    })
}

#[tokio::test]
async fn userinfo_releases_what_the_tokens_scopes_allow() {
    let issuer = FakeIssuer::start().await;
    let resource = preset_resource(&issuer, Preset::Google, |_| {}).await;
    issuer.introspection_says("ya29.openid", issuer.active_for("openid", alice()));
    issuer.introspection_says("ya29.email", issuer.active_for("openid email", alice()));
    issuer.introspection_says(
        "ya29.all",
        issuer.active_for(
            "openid https://www.googleapis.com/auth/userinfo.profile https://www.googleapis.com/auth/userinfo.email",
            alice(),
        ),
    );
    let userinfo = |token: &'static str| {
        let resource = &resource;
        async move {
            let response = get(resource, USERINFO_V3, token).await;
            assert_eq!(response.status(), 200, "{token}");
            response.json::<Value>().await.unwrap()
        }
    };
    assert_eq!(
        userinfo("ya29.openid").await,
        json!({"sub": "110169484474386276334"})
    );
    assert_eq!(
        userinfo("ya29.email").await,
        json!({"sub": "110169484474386276334", "email": "alice@example.test",
            "email_verified": true, "hd": "example.test"})
    );
    assert_eq!(
        userinfo("ya29.all").await,
        json!({"sub": "110169484474386276334", "name": "Alice Example", "given_name": "Alice",
            "family_name": "Example", "picture": "https://example.test/a.png",
            "email": "alice@example.test", "email_verified": true, "locale": "en",
            "hd": "example.test"})
    );
    assert_eq!(issuer.requests_to(DISCOVERY).await, 0);
}

#[tokio::test]
async fn bad_and_missing_tokens_are_googles_invalid_credentials() {
    let issuer = FakeIssuer::start().await;
    let resource = preset_resource(&issuer, Preset::Google, |_| {}).await;
    let body = json!({"error": "invalid_request", "error_description": "Invalid Credentials"});

    let bad = get(&resource, USERINFO_V3, "ya29.revoked").await;
    assert_eq!(bad.status(), 401);
    assert_eq!(
        challenge(&bad),
        r#"Bearer realm="fauxauth", error="invalid_token""#
    );
    assert_eq!(bad.json::<Value>().await.unwrap(), body);

    // GitHub's `token` scheme means nothing here: no token was sent.
    for authorization in [None, Some("token ya29.x")] {
        let missing = get_with(&resource, USERINFO_V3, authorization).await;
        assert_eq!(missing.status(), 401);
        assert_eq!(challenge(&missing), r#"Bearer realm="fauxauth""#);
        assert_eq!(missing.json::<Value>().await.unwrap(), body);
    }

    issuer.introspection_says("ya29.app", issuer.active("openid email"));
    let app = get(&resource, USERINFO_V3, "ya29.app").await;
    assert_eq!(app.status(), 401);
    assert_eq!(app.json::<Value>().await.unwrap(), body);
}
