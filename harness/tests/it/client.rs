//! The reference client against the real provider and resource, over sockets on 127.0.0.1, with
//! the browser every test plays (`fauxauth-browser`): the happy path through to the profile, and for each weakness a
//! provider-side fault (or a tampered callback) that the client catches, and that gets through
//! when the weakness is on. Also the `fauxauth client` and `fauxauth up` commands.

use mock_provider::Scripted as _;
use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, UNIX_EPOCH};

use fauxauth_core::Clock;
use mock_provider::{ClientConfig, Filter, IssuerConfig, UserConfig};
use sample_client::Weakness;
use serde_json::{Value, json};

const CLIENT_ID: &str = "app";
const CLIENT_SECRET: &str = "app-secret-0123456789";

use fauxauth_browser::Browser;

/// What the browser got, read as the reference client's page.
#[derive(Debug)]
struct Page {
    status: u16,
    location: Option<String>,
    error: Option<String>,
    body: String,
}

/// What a test does at a page: open a URL or submit a form, nothing followed.
trait Open {
    async fn open(&self, url: &str) -> Page;
    async fn submit(&self, url: &str, form: &[(String, String)]) -> Page;
}

impl Open for Browser {
    async fn open(&self, url: &str) -> Page {
        Page::from(self.get(url).await.unwrap())
    }

    async fn submit(&self, url: &str, form: &[(String, String)]) -> Page {
        Page::from(self.post(url, form).await.unwrap())
    }
}

impl From<fauxauth_browser::Hop> for Page {
    fn from(hop: fauxauth_browser::Hop) -> Self {
        let header = |name: &str| hop.header(name).map(str::to_owned);
        Self {
            status: hop.status,
            location: header("location"),
            error: header(sample_client::ERROR_HEADER.as_str()),
            body: hop.body,
        }
    }
}

/// Provider, resource and client on one frozen clock, the client registered at the provider.
struct Ecosystem {
    provider: mock_provider::Running,
    resource: mock_resource::Running,
    client: sample_client::Running,
    clock: Clock,
    browser: Browser,
}

impl Ecosystem {
    async fn start(weaknesses: &[Weakness]) -> Self {
        Self::start_with(weaknesses, |_| {}).await
    }

    async fn start_with(
        weaknesses: &[Weakness],
        resource_config: impl FnOnce(&mut mock_resource::Config),
    ) -> Self {
        let clock = Clock::frozen(UNIX_EPOCH + Duration::from_secs(1_900_000_000));
        let mut issuer = IssuerConfig::new("default")
            .with_client(ClientConfig::confidential(
                CLIENT_ID,
                CLIENT_SECRET,
                "http://127.0.0.1:8080/callback",
            ))
            .with_user(
                UserConfig::new("alice")
                    .with_claim("name", "Alice Example")
                    .with_claim("email", "alice@example.com"),
            );
        issuer.scopes = vec!["items:read".into()];
        let provider =
            mock_provider::spawn_with_clock(mock_provider::Config::single(issuer), clock.clone())
                .await
                .unwrap();
        let mut config = mock_resource::Config::new(provider.issuer());
        config.clock = clock.clone();
        resource_config(&mut config);
        let resource = mock_resource::spawn(config).await.unwrap();
        let client = sample_client::spawn(sample_client::Config {
            resource: Some(resource.url()),
            weaknesses: weaknesses.to_vec(),
            clock: clock.clone(),
            ..sample_client::Config::confidential(provider.issuer(), CLIENT_ID, CLIENT_SECRET)
        })
        .await
        .unwrap();
        // Now that the client's address is known, register exactly its URIs.
        let mut registered =
            ClientConfig::confidential(CLIENT_ID, CLIENT_SECRET, client.state().redirect_uri());
        registered.post_logout_redirect_uris =
            vec![client.state().post_logout_redirect_uri().into()];
        provider
            .provider()
            .put_client("default", registered)
            .unwrap();
        Self {
            provider,
            resource,
            client,
            clock,
            browser: Browser::default(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.client.url())
    }

    /// Adds a provider rule.
    fn rule(&self, rule: Value) {
        self.provider
            .provider()
            .add_rule(serde_json::from_value(rule).unwrap());
    }

    /// One token rule, for the login's token request.
    fn token_change(&self, change: Value) {
        self.rule(json!({
            "when": {"endpoint": "token", "times": 1},
            "then": [{"token": change}],
        }));
    }

    /// `/login` in `browser`, through the provider (headless, so it answers at once), up to the
    /// callback URL it sends the browser to.
    async fn callback_url(&self, browser: &Browser) -> String {
        let login = browser.open(&self.url("/login")).await;
        assert_eq!(login.status, 303, "{login:#?}");
        let authorize = browser.open(&login.location.unwrap()).await;
        assert_eq!(authorize.status, 302, "{authorize:#?}");
        let callback = authorize.location.unwrap();
        assert!(callback.starts_with(&self.url("/callback?")), "{callback}");
        callback
    }

    /// The whole login, the callback URL changed by `tamper` before the browser follows it.
    async fn login_tampered(&self, tamper: impl FnOnce(String) -> String) -> String {
        let callback = tamper(self.callback_url(&self.browser).await);
        outcome(&self.browser.open(&callback).await, self).await
    }

    async fn login(&self) -> String {
        self.login_tampered(|url| url).await
    }

    async fn logged_in(&self) -> bool {
        let home = self.browser.open(&self.url("/")).await;
        home.body.contains(r#"data-state="logged-in""#)
    }

    async fn me(&self) -> Page {
        self.browser.open(&self.url("/me")).await
    }

    fn journal(&self, filter: Filter) -> Vec<mock_provider::Entry> {
        self.provider.provider().journal().query(&filter)
    }
}

/// What a login ended with: "logged in", or "refused: <check>".
async fn outcome(page: &Page, ecosystem: &Ecosystem) -> String {
    if let Some(code) = &page.error {
        assert!(page.body.contains(&format!(r#"data-error="{code}""#)));
        assert!(
            !ecosystem.logged_in().await,
            "an error page comes without a session"
        );
        return format!("refused: {code}");
    }
    assert_eq!(page.status, 303, "{page:#?}");
    assert_eq!(page.location.as_deref(), Some("/"));
    assert!(ecosystem.logged_in().await);
    "logged in".into()
}

/// Replaces (or adds) one query parameter of `url`.
fn with_param(url: &str, name: &str, value: &str) -> String {
    let mut url = url::Url::parse(url).unwrap();
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .into_owned()
        .filter(|(k, _)| k != name)
        .collect();
    url.query_pairs_mut()
        .clear()
        .extend_pairs(pairs)
        .append_pair(name, value);
    url.to_string()
}

fn param(url: &str, name: &str) -> String {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .unwrap()
        .1
        .into_owned()
}

/// The login's outcome for a correct client and for one with `weakness`, the same fault set up
/// by `fault` before each login.
async fn both_ways<F>(weakness: Weakness, fault: F) -> (String, String)
where
    F: AsyncFn(&Ecosystem) -> String,
{
    let strict = Ecosystem::start(&[]).await;
    let weak = Ecosystem::start(&[weakness]).await;
    (fault(&strict).await, fault(&weak).await)
}

#[tokio::test]
async fn a_person_logs_in_and_sees_their_profile_served_by_the_resource() {
    let ecosystem = Ecosystem::start(&[]).await;
    let home = ecosystem.browser.open(&ecosystem.url("/")).await;
    assert!(home.body.contains("Not logged in"), "{}", home.body);
    assert_eq!(ecosystem.login().await, "logged in");
    let home = ecosystem.browser.open(&ecosystem.url("/")).await;
    assert!(home.body.contains("Logged in as"), "{}", home.body);
    assert!(home.body.contains("Alice Example"), "{}", home.body);

    let me = ecosystem.me().await;
    assert_eq!(me.status, 200, "{me:#?}");
    assert!(me.body.contains(r#"data-page="me""#), "{}", me.body);
    assert!(
        me.body.contains(r#"data-claim="email">alice@example.com"#),
        "the resource's UserInfo: {}",
        me.body
    );
    assert!(
        me.body.contains(r#"data-claim="client_id">app"#),
        "{}",
        me.body
    );
    let calls = ecosystem
        .resource
        .state()
        .journal()
        .query(&mock_resource::Filter::endpoint("api/me"));
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].status, 200);
    assert!(calls[0].headers["authorization"].starts_with("Bearer [masked:"));
    assert!(calls[0].query.is_empty());
}

#[tokio::test]
async fn an_expired_access_token_is_refreshed_at_the_provider() {
    let ecosystem = Ecosystem::start(&[]).await;
    assert_eq!(ecosystem.login().await, "logged in");
    ecosystem.clock.advance(Duration::from_secs(3601));
    assert_eq!(ecosystem.me().await.status, 200);
    let refreshes = ecosystem.journal(Filter {
        grant_type: Some("refresh_token".into()),
        ..Filter::endpoint("token")
    });
    assert_eq!(refreshes.len(), 1);
    assert_eq!(refreshes[0].status, 200);
}

#[tokio::test]
async fn logging_out_ends_the_session_here_and_at_the_provider() {
    let ecosystem = Ecosystem::start(&[]).await;
    assert_eq!(ecosystem.login().await, "logged in");
    let page = ecosystem
        .browser
        .submit(&ecosystem.url("/logout"), &[])
        .await;
    assert_eq!(page.status, 200, "{page:#?}");
    assert!(!ecosystem.logged_in().await);
    // The browser submits the page's form to the provider.
    let action = unescape(&between(
        &page.body,
        r#"<form method="post" action=""#,
        r#"""#,
    ));
    assert_eq!(action, format!("{}/logout", ecosystem.provider.issuer()));
    let fields: Vec<(String, String)> = ["id_token_hint", "client_id", "post_logout_redirect_uri"]
        .iter()
        .map(|name| {
            let value = between(&page.body, &format!(r#"name="{name}" value=""#), r#"""#);
            ((*name).to_owned(), unescape(&value))
        })
        .collect();
    let answer = ecosystem.browser.submit(&action, &fields).await;
    assert_eq!(
        answer.status, 303,
        "the provider honours the hint: {answer:#?}"
    );
    assert_eq!(answer.location, Some(ecosystem.url("/")));
    let logout = ecosystem.journal(Filter::endpoint("logout"));
    assert_eq!(logout.len(), 1);
    assert_eq!(logout[0].method, "POST");
    assert!(logout[0].query.is_empty(), "no token in the URL");
}

/// Undoes HTML escaping of an attribute value, as a browser does when it submits a form.
fn unescape(value: &str) -> String {
    [
        ("&#x2f;", "/"),
        ("&#47;", "/"),
        ("&#34;", "\""),
        ("&quot;", "\""),
        ("&#39;", "'"),
        ("&#60;", "<"),
        ("&lt;", "<"),
        ("&#62;", ">"),
        ("&gt;", ">"),
        ("&#38;", "&"),
        ("&amp;", "&"),
    ]
    .iter()
    .fold(value.to_owned(), |text, (from, to)| text.replace(from, to))
}

fn between(text: &str, start: &str, end: &str) -> String {
    let from = text
        .find(start)
        .unwrap_or_else(|| panic!("{start} in {text}"))
        + start.len();
    let to = from + text[from..].find(end).unwrap();
    text[from..to].to_owned()
}

#[tokio::test]
async fn a_misbehaving_provider_ends_on_an_error_page_without_a_session() {
    for (then, check) in [
        (json!(["drop_connection"]), "token_endpoint_failed"),
        (
            json!([{"respond": {"status": 502, "content_type": "text/html", "body": "<h1>Bad gateway</h1>"}}]),
            "token_endpoint_failed",
        ),
        (
            json!([{"respond": {"status": 200, "content_type": "application/json",
                "body": r#"{"error":"bad_verification_code"}"#}}]),
            "token_error",
        ),
        (
            json!([{"respond": {"status": 200, "content_type": "text/plain", "body": "ok"}}]),
            "token_response_invalid",
        ),
        (
            json!([{"error": {"error": "invalid_grant"}}]),
            "token_error",
        ),
    ] {
        let ecosystem = Ecosystem::start(&[]).await;
        ecosystem.rule(json!({"when": {"endpoint": "token", "times": 1}, "then": then}));
        assert_eq!(
            ecosystem.login().await,
            format!("refused: {check}"),
            "{then}"
        );
    }
}

#[tokio::test]
async fn a_key_rotation_between_logins_is_followed() {
    let ecosystem = Ecosystem::start(&[]).await;
    assert_eq!(ecosystem.login().await, "logged in");
    ecosystem
        .browser
        .submit(&ecosystem.url("/logout"), &[])
        .await;
    ecosystem
        .provider
        .provider()
        .rotate_keys("default", Duration::from_secs(300))
        .unwrap();
    assert_eq!(ecosystem.login().await, "logged in");
    assert_eq!(ecosystem.journal(Filter::endpoint("jwks")).len(), 2);
}

#[tokio::test]
async fn skip_state_check_lets_a_tampered_state_through() {
    let (strict, weak) = both_ways(Weakness::SkipStateCheck, async |e| {
        e.login_tampered(|url| with_param(&url, "state", "forged-by-an-attacker"))
            .await
    })
    .await;
    assert_eq!(strict, "refused: state_mismatch");
    assert_eq!(weak, "logged in");
}

#[tokio::test]
async fn skip_iss_check_lets_a_response_naming_another_issuer_through() {
    let (strict, weak) = both_ways(Weakness::SkipIssCheck, async |e| {
        e.login_tampered(|url| with_param(&url, "iss", "https://attacker.example"))
            .await
    })
    .await;
    assert_eq!(strict, "refused: iss_mismatch");
    assert_eq!(weak, "logged in");
}

#[tokio::test]
async fn ignore_error_response_lets_an_error_beside_a_code_through() {
    let (strict, weak) = both_ways(Weakness::IgnoreErrorResponse, async |e| {
        e.login_tampered(|url| with_param(&url, "error", "access_denied"))
            .await
    })
    .await;
    assert_eq!(strict, "refused: authorization_error");
    assert_eq!(weak, "logged in");
}

#[tokio::test]
async fn skip_signature_check_lets_a_token_signed_by_an_unpublished_key_through() {
    let (strict, weak) = both_ways(Weakness::SkipSignatureCheck, async |e| {
        e.token_change(json!({"sign_with": "rogue"}));
        e.login().await
    })
    .await;
    assert_eq!(strict, "refused: id_token_signature_invalid");
    assert_eq!(weak, "logged in");
}

#[tokio::test]
async fn accept_alg_none_lets_an_unsigned_token_through() {
    let (strict, weak) = both_ways(Weakness::AcceptAlgNone, async |e| {
        e.token_change(json!({"sign_with": "none"}));
        e.login().await
    })
    .await;
    assert_eq!(strict, "refused: id_token_alg_not_allowed");
    assert_eq!(weak, "logged in");
}

#[tokio::test]
async fn skip_nonce_check_lets_a_wrong_nonce_through() {
    let (strict, weak) = both_ways(Weakness::SkipNonceCheck, async |e| {
        e.token_change(json!({"wrong_nonce": true}));
        e.login().await
    })
    .await;
    assert_eq!(strict, "refused: nonce_mismatch");
    assert_eq!(weak, "logged in");
}

#[tokio::test]
async fn skip_aud_check_lets_a_token_for_someone_else_through() {
    let (strict, weak) = both_ways(Weakness::SkipAudCheck, async |e| {
        e.token_change(json!({"aud": "x"}));
        e.login().await
    })
    .await;
    assert_eq!(strict, "refused: id_token_aud_mismatch");
    assert_eq!(weak, "logged in");
}

#[tokio::test]
async fn skip_exp_check_lets_an_expired_token_through() {
    let (strict, weak) = both_ways(Weakness::SkipExpCheck, async |e| {
        e.token_change(json!({"expired": true}));
        e.login().await
    })
    .await;
    assert_eq!(strict, "refused: id_token_expired");
    assert_eq!(weak, "logged in");
}

#[tokio::test]
async fn skip_at_hash_check_lets_a_wrong_at_hash_through() {
    let (strict, weak) = both_ways(Weakness::SkipAtHashCheck, async |e| {
        e.token_change(json!({"wrong_at_hash": true}));
        e.login().await
    })
    .await;
    assert_eq!(strict, "refused: at_hash_mismatch");
    assert_eq!(weak, "logged in");
}

#[tokio::test]
async fn skip_id_token_iss_check_lets_a_token_from_another_issuer_through() {
    let (strict, weak) = both_ways(Weakness::SkipIdTokenIssCheck, async |e| {
        e.token_change(json!({"iss": "https://attacker.example"}));
        e.login().await
    })
    .await;
    assert_eq!(strict, "refused: id_token_iss_mismatch");
    assert_eq!(weak, "logged in");
}

#[tokio::test]
async fn skip_userinfo_sub_check_lets_userinfo_about_someone_else_through() {
    let (strict, weak) = both_ways(Weakness::SkipUserinfoSubCheck, async |e| {
        e.rule(json!({
            "when": {"endpoint": "userinfo", "times": 1},
            "then": [{"respond": {
                "status": 200, "content_type": "application/json",
                "body": r#"{"sub":"mallory","name":"Mallory"}"#,
            }}],
        }));
        e.login().await
    })
    .await;
    assert_eq!(strict, "refused: userinfo_sub_mismatch");
    assert_eq!(weak, "logged in");
}

#[tokio::test]
async fn no_pkce_lets_an_injected_code_be_redeemed() {
    let (strict, weak) = both_ways(Weakness::NoPkce, async |e| {
        // The attacker starts a login of their own at the same client and keeps the code...
        let attacker = Browser::default();
        let stolen = param(&e.callback_url(&attacker).await, "code");
        // ...and plants it in the victim's callback.
        e.login_tampered(|url| with_param(&url, "code", &stolen))
            .await
    })
    .await;
    // PKCE stops the injected code at the token endpoint; without it, the code is redeemed and
    // only the nonce (bound to the attacker's login) still stands in the way.
    assert_eq!(strict, "refused: token_error");
    assert_eq!(weak, "refused: nonce_mismatch");
}

#[tokio::test]
async fn reuse_refresh_token_presents_a_spent_token_and_loses_the_grant() {
    let (strict, weak) = both_ways(Weakness::ReuseRefreshToken, async |e| {
        assert_eq!(e.login().await, "logged in");
        let mut last = String::new();
        for _ in 0..2 {
            e.clock.advance(Duration::from_secs(3601));
            let me = e.me().await;
            last = match me.error {
                Some(code) => format!("refused: {code}"),
                None => format!("HTTP {}", me.status),
            };
        }
        last
    })
    .await;
    // The provider rotates refresh tokens and takes a spent one for a replay (RFC 9700 §4.14.2).
    assert_eq!(strict, "HTTP 200");
    assert_eq!(weak, "refused: refresh_failed");
}

#[tokio::test]
async fn token_in_url_sends_the_access_token_in_the_query() {
    let run = async |weaknesses: &[Weakness]| {
        let e = Ecosystem::start_with(weaknesses, |c| c.bearer_in_query = true).await;
        assert_eq!(e.login().await, "logged in");
        assert_eq!(e.me().await.status, 200);
        let call = e
            .resource
            .state()
            .journal()
            .query(&mock_resource::Filter::endpoint("api/me"))
            .remove(0);
        (
            call.query.contains_key("access_token"),
            call.headers.contains_key("authorization"),
        )
    };
    assert_eq!(run(&[]).await, (false, true), "in the header");
    assert_eq!(
        run(&[Weakness::TokenInUrl]).await,
        (true, false),
        "in the URL"
    );
}

// The commands.

const BIN: &str = env!("CARGO_BIN_EXE_fauxauth");

/// Kills the child when the test ends, however it ends.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `fauxauth args` and reads `lines` lines of what it prints.
fn start(args: &[&str], lines: usize) -> (Process, Vec<String>) {
    let mut child = Command::new(BIN)
        .args(args)
        .env_remove("FAUXAUTH_CONFIG")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    let stdout = child.stdout.take().unwrap();
    let printed = BufReader::new(stdout)
        .lines()
        .take(lines)
        .map(Result::unwrap)
        .collect();
    (Process(child), printed)
}

fn value<'a>(lines: &'a [String], label: &str) -> &'a str {
    lines
        .iter()
        .find_map(|l| l.strip_prefix(&format!("{label}: ")))
        .unwrap_or_else(|| panic!("{label} in {lines:?}"))
}

#[tokio::test]
async fn fauxauth_client_prints_its_url_and_serves() {
    let provider = mock_provider::spawn(mock_provider::Config::default())
        .await
        .unwrap();
    let issuer = provider.issuer();
    let (_client, lines) = start(
        &[
            "client",
            "--issuer",
            &issuer,
            "--client-id",
            "demo-web",
            "--client-secret",
            "demo-web-secret-change-me",
            "--port",
            "0",
        ],
        1,
    );
    let url = value(&lines, "client");
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let browser = Browser::default();
    let home = browser.open(&format!("{url}/")).await;
    assert!(home.body.contains("Not logged in"), "{}", home.body);
    let login = browser.open(&format!("{url}/login")).await;
    let authorize = login.location.unwrap();
    assert!(
        authorize.starts_with(&format!("{issuer}/authorize?")),
        "{authorize}"
    );
    assert_eq!(param(&authorize, "client_id"), "demo-web");
    assert_eq!(param(&authorize, "redirect_uri"), format!("{url}/callback"));
}

#[test]
fn fauxauth_client_refuses_an_unknown_weakness_naming_the_valid_ones() {
    let output = Command::new(BIN)
        .args([
            "client",
            "--issuer",
            "http://127.0.0.1:9",
            "--client-id",
            "x",
            "--port",
            "0",
            "--weakness",
            "skip-everything",
        ])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("skip-everything"), "{stderr}");
    assert!(stderr.contains("skip-nonce-check"), "{stderr}");
}

#[test]
fn fauxauth_client_warns_loudly_about_its_weaknesses() {
    let mut child = Command::new(BIN)
        .args([
            "client",
            "--issuer",
            "http://127.0.0.1:9",
            "--client-id",
            "x",
            "--port",
            "0",
            "--weakness",
            "skip-nonce-check",
            "--weakness",
            "token-in-url",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let _process = Process(child);
    let warning: Vec<String> = BufReader::new(stderr)
        .lines()
        .map(Result::unwrap)
        .take_while(|l| !l.contains("Never point it at real accounts"))
        .collect();
    let warning = warning.join("\n");
    assert!(warning.contains("WARNING"), "{warning}");
    assert!(warning.contains("skip-nonce-check"), "{warning}");
    assert!(warning.contains("token-in-url"), "{warning}");
}

#[tokio::test]
async fn fauxauth_client_with_the_github_preset_logs_in_at_githubs_paths() {
    // GitHub has no discovery: the first request goes to the browser, naming GitHub's path.
    let (_client, lines) = start(
        &[
            "client",
            "--preset",
            "github",
            "--issuer",
            "http://127.0.0.1:9",
            "--resource",
            "http://127.0.0.1:9",
            "--client-id",
            "Iv1.demo",
            "--port",
            "0",
        ],
        1,
    );
    let url = value(&lines, "client");
    let login = Browser::default().open(&format!("{url}/login")).await;
    let authorize = login.location.unwrap();
    assert!(
        authorize.starts_with("http://127.0.0.1:9/login/oauth/authorize?"),
        "{authorize}"
    );
    assert_eq!(param(&authorize, "scope"), "read:user user:email");

    let output = Command::new(BIN)
        .args([
            "client",
            "--preset",
            "github",
            "--issuer",
            "http://127.0.0.1:9",
        ])
        .args(["--client-id", "x", "--port", "0"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("resource: required"), "{stderr}");

    let help = Command::new(BIN)
        .args(["client", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(
        help.contains(
            "[possible values: generic, google, github, microsoft, keycloak, gitlab, auth0, okta, \
             discord, slack, apple]"
        ),
        "{help}"
    );
    assert!(
        help.contains("With --preset github only skip-state-check, skip-iss-check, no-pkce"),
        "{help}"
    );
}

#[test]
fn fauxauth_client_refuses_a_bad_issuer_before_listening() {
    let output = Command::new(BIN)
        .args([
            "client",
            "--issuer",
            "not a url",
            "--client-id",
            "x",
            "--port",
            "0",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("issuer:"), "{stderr}");
}

/// Starts `fauxauth up` with `extra` arguments on free ports; its output up to the URL to open.
fn start_up(extra: &[&str]) -> (Process, Vec<String>) {
    let mut args = vec![
        "up",
        "--provider-port",
        "0",
        "--resource-port",
        "0",
        "--client-port",
        "0",
    ];
    args.extend_from_slice(extra);
    let mut child = Command::new(BIN)
        .args(&args)
        .env_remove("FAUXAUTH_CONFIG")
        .env_remove("FAUXAUTH_PRESET")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    let stdout = child.stdout.take().unwrap();
    let mut printed = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        let last = line.starts_with("open: ");
        printed.push(line);
        if last {
            break;
        }
    }
    (Process(child), printed)
}

/// A person opens `fauxauth up`'s URL and logs in as the first user its provider's login page
/// offers; the profile page afterwards, and the username chosen.
async fn log_in_through_up(lines: &[String]) -> (Page, String) {
    log_in_through_up_with(lines, &Browser::default()).await
}

/// The same, in `browser`.
async fn log_in_through_up_with(lines: &[String], browser: &Browser) -> (Page, String) {
    let issuer = value(lines, "issuer").to_owned();
    let open = value(lines, "open").to_owned();
    assert_eq!(open, format!("{}/", value(lines, "client")));

    // A person opens the URL, logs in on the provider's login page, and sees their profile.
    let login = browser.open(&format!("{open}login")).await;
    let page = browser.open(&login.location.unwrap()).await;
    assert_eq!(page.status, 200, "the provider's login page: {page:#?}");
    let action = unescape(&between(
        &page.body,
        r#"<form method="post" action=""#,
        r#"""#,
    ));
    let tx = unescape(&between(&page.body, r#"name="tx" value=""#, r#"""#));
    let username = unescape(&between(&page.body, r#"name="username" value=""#, r#"""#));
    let action = if action.starts_with("http") {
        action
    } else {
        format!("{}{action}", origin(&issuer))
    };
    let chosen = browser
        .submit(
            &action,
            &[("tx".into(), tx), ("username".into(), username.clone())],
        )
        .await;
    let callback = chosen
        .location
        .clone()
        .unwrap_or_else(|| panic!("{chosen:#?}"));
    assert!(
        callback.starts_with(&format!("{open}callback?")),
        "{callback}"
    );
    let done = browser.open(&callback).await;
    assert_eq!(done.location.as_deref(), Some("/"), "{done:#?}");
    let me = browser.open(&format!("{open}me")).await;
    assert_eq!(me.status, 200, "{me:#?}");
    (me, username)
}

#[tokio::test]
async fn fauxauth_up_wires_provider_resource_and_client_and_prints_the_url_to_open() {
    let (_up, lines) = start_up(&[]);
    let resource = value(&lines, "resource").to_owned();
    let (me, username) = log_in_through_up(&lines).await;
    assert!(
        me.body.contains(&resource),
        "served by the resource: {}",
        me.body
    );
    assert!(
        me.body
            .contains(&format!(r#"data-claim="preferred_username">{username}"#)),
        "{}",
        me.body
    );
}

#[tokio::test]
async fn fauxauth_up_with_a_preset_logs_in_through_the_real_providers_paths_and_user_api() {
    // (preset, a path of its that the printed endpoints list, the user API /me shows).
    for (preset, path, api) in [
        ("github", "/login/oauth/access_token", "/user"),
        ("google", "/o/oauth2/v2/auth", "/oauth2/v3/userinfo"),
        ("microsoft", "/oauth2/v2.0/token", "/v1.0/me"),
    ] {
        let (_up, lines) = start_up(&["--preset", preset]);
        assert!(
            lines
                .iter()
                .any(|l| l == &format!("preset {preset}, endpoints:")),
            "{lines:?}"
        );
        assert!(
            lines.iter().any(|l| l.contains(path)),
            "{preset}: {lines:?}"
        );
        let (me, username) = log_in_through_up(&lines).await;
        assert!(
            me.body.contains(&format!("<code>{api}</code>")),
            "{preset}: /me is served by the preset's user API: {}",
            me.body
        );
        // GitHub's /user names the login; Google's userinfo and Graph's /me the email address,
        // which the preset builds from the username.
        assert!(me.body.contains(&username), "{preset}: {}", me.body);
    }
}

/// `fauxauth up --tls`: provider, resource and client over HTTPS from one authority, which a
/// browser trusts as `fauxauth ca` writes it; the client's redirect URI is HTTPS too.
#[tokio::test]
async fn fauxauth_up_serves_all_three_over_https() {
    let (_up, lines) = start_up(&["--tls"]);
    for server in ["issuer", "resource", "client"] {
        assert!(
            value(&lines, server).starts_with("https://127.0.0.1:"),
            "{lines:?}"
        );
    }
    let out = Command::new(BIN).arg("ca").output().unwrap();
    let mut trust = fauxauth_core::Trust::default();
    trust
        .add_pem(&String::from_utf8(out.stdout).unwrap())
        .unwrap();
    let browser = Browser::trusting(fauxauth_core::Clock::system(), &trust);
    let resource = value(&lines, "resource").to_owned();
    let (me, _) = log_in_through_up_with(&lines, &browser).await;
    assert!(
        me.body.contains(&resource),
        "served by the resource: {}",
        me.body
    );
}

/// `fauxauth up --real-hosts`: each preset at its real provider's URLs over HTTPS, the
/// provider and its user API on one socket told apart by host name, reached by a browser whose
/// resolver points those names at it (no hosts file touched) and that trusts fauxauth's
/// authority as `fauxauth ca` writes it.
#[tokio::test]
async fn fauxauth_up_serves_each_preset_under_the_real_host_names() {
    let out = Command::new(BIN).arg("ca").output().unwrap();
    let mut trust = fauxauth_core::Trust::default();
    trust
        .add_pem(&String::from_utf8(out.stdout).unwrap())
        .unwrap();
    for (preset, issuer, resource, api) in [
        (
            "github",
            "https://github.com",
            "https://api.github.com",
            "/user",
        ),
        (
            "google",
            "https://accounts.google.com",
            "https://www.googleapis.com",
            "/oauth2/v3/userinfo",
        ),
        (
            "microsoft",
            "https://login.microsoftonline.com/",
            "https://graph.microsoft.com",
            "/v1.0/me",
        ),
    ] {
        let (_up, lines) = start_up(&["--preset", preset, "--real-hosts"]);
        assert!(value(&lines, "issuer").starts_with(issuer), "{lines:?}");
        assert_eq!(value(&lines, "resource"), resource, "{lines:?}");
        assert!(value(&lines, "client").starts_with("https://127.0.0.1:"));
        let listening = value(&lines, "listening");
        let (addr, names) = listening.split_once(" (point ").unwrap();
        let addr: std::net::SocketAddr = addr.parse().unwrap();
        let resolve: Vec<(String, std::net::SocketAddr)> = names
            .trim_end_matches(" at it)")
            .split(", ")
            .map(|name| (name.to_owned(), addr))
            .collect();
        assert!(resolve.len() >= 2, "{listening}");
        let browser = Browser::resolving(fauxauth_core::Clock::system(), &trust, &resolve);
        let (me, username) = log_in_through_up_with(&lines, &browser).await;
        assert!(
            me.body.contains(&format!("<code>{api}</code>")),
            "{preset}: /me is served by the preset's user API on its real host: {}",
            me.body
        );
        assert!(me.body.contains(&username), "{preset}: {}", me.body);
    }
}

fn origin(url: &str) -> String {
    let url = url::Url::parse(url).unwrap();
    url.origin().ascii_serialization()
}

#[tokio::test]
async fn fauxauth_client_with_a_private_key_logs_in_with_private_key_jwt() {
    let key_file = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../scenarios/keys/scenario-client.pem"
    );
    let jwk = json!({
        "kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "kid": "scenario-client",
        "x": "3cbgZD_yV4_hFFvGkLSXnYnwRflo71aP1hKE3oBMDyc",
        "y": "mCBaq-VAbv56u36AwWm_dzN39W6NBjHQwEx7dSJvjAs",
    });
    let mut keyed = ClientConfig::public("keyed", "http://127.0.0.1/callback");
    keyed.jwks = Some(json!({ "keys": [jwk] }));
    keyed.token_endpoint_auth_method = Some(mock_provider::AuthMethod::PrivateKeyJwt);
    let mut issuer = IssuerConfig::new("default")
        .with_client(keyed)
        .with_user(UserConfig::new("alice").with_claim("name", "Alice Example"));
    issuer.default_user = Some("alice".into());
    issuer.scopes = vec!["items:read".into()];
    let provider = mock_provider::spawn(mock_provider::Config::single(issuer))
        .await
        .unwrap();
    let issuer = provider.issuer();
    let (_client, lines) = start(
        &[
            "client",
            "--issuer",
            &issuer,
            "--client-id",
            "keyed",
            "--private-key",
            key_file,
            "--private-key-id",
            "scenario-client",
            "--port",
            "0",
        ],
        1,
    );
    let url = value(&lines, "client");
    let browser = Browser::default();
    let login = browser.open(&format!("{url}/login")).await;
    let authorize = browser.open(&login.location.unwrap()).await;
    let callback = browser.open(&authorize.location.unwrap()).await;
    assert_eq!(callback.error, None, "{}", callback.body);
    let home = browser.open(&format!("{url}/")).await;
    assert!(home.body.contains("Alice Example"), "{}", home.body);
    // The code was redeemed with an assertion signed by the key, and no secret.
    let redeemed = provider
        .provider()
        .journal()
        .query(&Filter::endpoint("token"));
    assert_eq!(redeemed.len(), 1);
    assert_eq!(redeemed[0].status, 200);
    let form = &redeemed[0].form;
    assert_eq!(
        form["client_assertion_type"],
        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    );
    let assertion = &form["client_assertion"];
    assert_eq!(assertion["header"]["kid"], "scenario-client");
    assert_eq!(assertion["claims"]["sub"], "keyed");
    assert_eq!(assertion["claims"]["aud"], format!("{issuer}/token"));
    assert!(form.get("client_secret").is_none());

    // A file that is no private key is refused before anything is served.
    let output = Command::new(BIN)
        .args([
            "client",
            "--issuer",
            &issuer,
            "--client-id",
            "keyed",
            "--port",
            "0",
        ])
        .args([
            "--private-key",
            concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml"),
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("private_key:"), "{stderr}");
}
