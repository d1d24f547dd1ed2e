//! The github preset: GitHub's `/user` and `/user/emails` made from the person behind the token,
//! its scope headers, its rate limit on the virtual clock, and its refusals.

use mock_resource::Scripted as _;
use std::time::Duration;

use mock_resource::Preset;
use serde_json::{Value, json};

use crate::helpers::*;

fn octocat() -> Value {
    json!({
        "sub": "583231", "username": "octocat", "name": "The Octocat",
        "email": "octocat@example.test", "email_verified": true, "company": "@github",
    })
}

async fn github(issuer: &FakeIssuer) -> mock_resource::Running {
    preset_resource(issuer, Preset::Github, |_| {}).await
}

#[tokio::test]
async fn user_is_the_person_behind_the_token_as_github_describes_them() {
    let issuer = FakeIssuer::start().await;
    let resource = github(&issuer).await;
    issuer.introspection_says("gho_1", issuer.active_for("read:user", octocat()));
    let response = get(&resource, "/user", "gho_1").await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["login"], "octocat");
    assert_eq!(body["id"], 583231);
    assert_eq!(body["node_id"], "MDQ6VXNlcjU4MzIzMQ==");
    assert_eq!(body["name"], "The Octocat");
    assert_eq!(body["company"], "@github");
    assert_eq!(body["email"], "octocat@example.test");
    assert_eq!(body["type"], "User");
    assert_eq!(body["gravatar_id"], "");
    assert_eq!(body["html_url"], "https://github.com/octocat");
    assert_eq!(
        body["repos_url"],
        "https://api.github.com/users/octocat/repos"
    );
    assert_eq!(body["public_repos"], 0);
    assert_eq!(body["twitter_username"], Value::Null);
    // The provider is known, not discovered; the token was introspected once.
    assert_eq!(issuer.requests_to(DISCOVERY).await, 0);
    let asked = issuer.requests(INTROSPECT).await;
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0].headers["authorization"], expected_basic().as_str());
}

#[tokio::test]
async fn a_subject_that_is_not_a_number_gets_a_stable_numeric_id() {
    let issuer = FakeIssuer::start().await;
    let resource = github(&issuer).await;
    let user = json!({"sub": "alice", "username": "alice"});
    issuer.introspection_says("gho_a", issuer.active_for("", user));
    let first: Value = get(&resource, "/user", "gho_a").await.json().await.unwrap();
    let again: Value = get(&resource, "/user", "gho_a").await.json().await.unwrap();
    let id = first["id"].as_u64().expect("a number");
    assert!((100_000_000..1_000_000_000).contains(&id), "{id}");
    assert_eq!(again["id"], id);
}

#[tokio::test]
async fn the_token_scheme_is_taken_as_well_as_bearer() {
    let issuer = FakeIssuer::start().await;
    let resource = github(&issuer).await;
    issuer.introspection_says("gho_1", issuer.active_for("", octocat()));
    let response = get_with(&resource, "/user", Some("token gho_1")).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["login"], "octocat");
}

#[tokio::test]
async fn a_private_email_is_null_on_user_and_listed_on_user_emails() {
    let issuer = FakeIssuer::start().await;
    let resource = github(&issuer).await;
    let mut user = octocat();
    user["email_public"] = json!(false);
    user["emails"] = json!([{"email": "work@example.test", "verified": true}]);
    issuer.introspection_says("gho_1", issuer.active_for("read:user user:email", user));

    let profile: Value = get(&resource, "/user", "gho_1").await.json().await.unwrap();
    assert_eq!(profile["email"], Value::Null);
    let response = get(&resource, "/user/emails", "gho_1").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!([
            {"email": "octocat@example.test", "primary": true, "verified": true, "visibility": null},
            {"email": "work@example.test", "primary": false, "verified": true, "visibility": null},
        ])
    );
}

#[tokio::test]
async fn user_emails_needs_the_user_email_or_user_scope() {
    let issuer = FakeIssuer::start().await;
    let resource = github(&issuer).await;
    issuer.introspection_says("no-scope", issuer.active_for("read:user repo", octocat()));
    issuer.introspection_says("email", issuer.active_for("user:email", octocat()));
    // GitHub writes scopes with commas; the provider may pass them on so.
    issuer.introspection_says("user", issuer.active_for("repo,user", octocat()));

    let refused = get(&resource, "/user/emails", "no-scope").await;
    assert_eq!(refused.status(), 404);
    assert_eq!(
        header(&refused, "x-oauth-scopes").as_deref(),
        Some("read:user, repo")
    );
    assert_eq!(
        header(&refused, "x-accepted-oauth-scopes").as_deref(),
        Some("user, user:email")
    );
    assert_eq!(
        refused.json::<Value>().await.unwrap(),
        json!({"message": "Not Found", "documentation_url": "https://docs.github.com/rest", "status": "404"})
    );

    for token in ["email", "user"] {
        let response = get(&resource, "/user/emails", token).await;
        assert_eq!(response.status(), 200, "{token}");
        let list: Value = response.json().await.unwrap();
        assert_eq!(list[0]["email"], "octocat@example.test", "{token}");
        assert_eq!(list[0]["visibility"], "public", "{token}");
    }
    let user = get(&resource, "/user", "user").await;
    assert_eq!(
        header(&user, "x-oauth-scopes").as_deref(),
        Some("repo, user")
    );
    assert_eq!(
        header(&user, "x-accepted-oauth-scopes").as_deref(),
        Some("")
    );
}

#[tokio::test]
async fn the_rate_limit_counts_down_then_answers_403_until_the_window_ends() {
    let issuer = FakeIssuer::start().await;
    let resource = preset_resource(&issuer, Preset::Github, |c| c.github.rate_limit = 3).await;
    issuer.introspection_says("gho_1", issuer.active_for("user", octocat()));
    let reset = (NOW + 3600).to_string();
    for (used, remaining) in [("1", "2"), ("2", "1"), ("3", "0")] {
        let path = if used == "2" { "/user/emails" } else { "/user" };
        let response = get(&resource, path, "gho_1").await;
        assert_eq!(response.status(), 200);
        assert_eq!(header(&response, "x-ratelimit-limit").as_deref(), Some("3"));
        assert_eq!(header(&response, "x-ratelimit-used").as_deref(), Some(used));
        assert_eq!(
            header(&response, "x-ratelimit-remaining").as_deref(),
            Some(remaining)
        );
        assert_eq!(header(&response, "x-ratelimit-reset"), Some(reset.clone()));
        assert_eq!(
            header(&response, "x-ratelimit-resource").as_deref(),
            Some("core")
        );
    }
    let spent = get(&resource, "/user", "gho_1").await;
    assert_eq!(spent.status(), 403);
    assert_eq!(
        header(&spent, "x-ratelimit-remaining").as_deref(),
        Some("0")
    );
    assert_eq!(header(&spent, "x-ratelimit-used").as_deref(), Some("3"));
    assert_eq!(header(&spent, "x-ratelimit-reset"), Some(reset));
    assert_eq!(header(&spent, "x-oauth-scopes").as_deref(), Some("user"));
    let body: Value = spent.json().await.unwrap();
    assert_eq!(
        body["message"],
        "API rate limit exceeded for user ID 583231."
    );
    assert_eq!(body["status"], "403");
    assert_eq!(
        body["documentation_url"],
        "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"
    );

    // An hour on the virtual clock later, a new window.
    resource.state().clock().advance(Duration::from_secs(3600));
    let response = get(&resource, "/user", "gho_1").await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        header(&response, "x-ratelimit-remaining").as_deref(),
        Some("2")
    );
    assert_eq!(
        header(&response, "x-ratelimit-reset"),
        Some((NOW + 7200).to_string())
    );
}

#[tokio::test]
async fn every_token_of_a_person_shares_their_limit_and_a_reset_forgets_it() {
    let issuer = FakeIssuer::start().await;
    let resource = preset_resource(&issuer, Preset::Github, |c| c.github.rate_limit = 1).await;
    issuer.introspection_says("gho_1", issuer.active_for("", octocat()));
    issuer.introspection_says("gho_2", issuer.active_for("", octocat()));
    let hubot = json!({"sub": "2", "username": "hubot"});
    issuer.introspection_says("gho_3", issuer.active_for("", hubot));
    assert_eq!(get(&resource, "/user", "gho_1").await.status(), 200);
    assert_eq!(get(&resource, "/user", "gho_2").await.status(), 403);
    assert_eq!(get(&resource, "/user", "gho_3").await.status(), 200);
    resource.state().reset();
    assert_eq!(get(&resource, "/user", "gho_2").await.status(), 200);
}

#[tokio::test]
async fn bad_and_missing_tokens_are_githubs_401s_without_rate_limit_headers() {
    let issuer = FakeIssuer::start().await;
    let resource = github(&issuer).await;
    let missing = get_with(&resource, "/user", None).await;
    assert_eq!(missing.status(), 401);
    assert!(header(&missing, "www-authenticate").is_none());
    assert_eq!(
        missing.json::<Value>().await.unwrap(),
        json!({"message": "Requires authentication", "documentation_url": "https://docs.github.com/rest", "status": "401"})
    );

    let bad_credentials = json!({"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest", "status": "401"});
    // Unknown to the provider, then malformed (two tokens in one header).
    for authorization in ["Bearer gho_unknown", "token a b"] {
        let bad = get_with(&resource, "/user/emails", Some(authorization)).await;
        assert_eq!(bad.status(), 401, "{authorization}");
        assert!(header(&bad, "x-ratelimit-remaining").is_none());
        assert_eq!(bad.json::<Value>().await.unwrap(), bad_credentials);
    }

    // A client's own token is active, but names no person.
    issuer.introspection_says("gho_app", issuer.active("repo"));
    let app = get(&resource, "/user", "gho_app").await;
    assert_eq!(app.status(), 401);
    assert_eq!(app.json::<Value>().await.unwrap(), bad_credentials);
}

#[tokio::test]
async fn the_routes_are_journaled_and_subject_to_rules() {
    let issuer = FakeIssuer::start().await;
    let resource = github(&issuer).await;
    issuer.introspection_says("gho_1", issuer.active_for("", octocat()));
    resource.state().add_rule(
        serde_json::from_value(json!({"when": {"endpoint": "user", "times": 1},
            "then": [{"respond": {"status": 502, "body": "upstream"}}]}))
        .unwrap(),
    );
    assert_eq!(get(&resource, "/user", "gho_1").await.status(), 502);
    assert_eq!(get(&resource, "/user", "gho_1").await.status(), 200);
    let entries = resource
        .state()
        .journal()
        .query(&mock_resource::Filter::endpoint("user"));
    let statuses: Vec<u16> = entries.iter().map(|e| e.status).collect();
    assert_eq!(statuses, [502, 200]);
    let authorization = &entries[1].headers["authorization"];
    assert!(
        authorization.starts_with("Bearer [masked:") && !authorization.contains("gho_1"),
        "{authorization}"
    );
}
