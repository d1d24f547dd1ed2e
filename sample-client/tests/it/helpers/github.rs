//! GitHub played by wiremock, as its documentation describes it: the web host (`github.com`)
//! authorizes and issues tokens, the API host (`api.github.com`) serves `/user` and
//! `/user/emails`.
//!
//! Its token endpoint answers a form unless asked for JSON (`Accept: application/json`), and
//! every error with HTTP 200 (`bad_verification_code`, `incorrect_client_credentials`,
//! `redirect_uri_mismatch`, `bad_refresh_token`). It takes the client's credentials in the body
//! only. An OAuth App's token never expires; a GitHub App's expires in eight hours and comes with
//! a single-use `ghr_` refresh token.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use aws_lc_rs::digest;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use sample_client::{Clock, Config, Preset, Running};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

use super::{AtClient, Browser, CLIENT_ID, CLIENT_SECRET, Page, now};

pub const GITHUB_AUTHORIZE: &str = "/login/oauth/authorize";
pub const GITHUB_TOKEN: &str = "/login/oauth/access_token";
pub const GITHUB_USER: &str = "/user";
pub const GITHUB_EMAILS: &str = "/user/emails";

/// The kind of app the client is registered as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppKind {
    /// Tokens that never expire, no refresh token (`gho_`).
    OAuthApp,
    /// Tokens for eight hours, with a rotating refresh token (`ghu_`, `ghr_`).
    GithubApp,
}

/// What the user's account looks like.
#[derive(Clone, Debug)]
pub struct Account {
    /// The public profile address; `None` when the user keeps it private.
    pub public_email: Option<String>,
    /// What `/user/emails` lists.
    pub emails: Value,
}

impl Default for Account {
    fn default() -> Self {
        Self {
            public_email: None,
            emails: json!([
                {"email": "octocat@users.noreply.github.com", "primary": false, "verified": true, "visibility": null},
                {"email": "octocat@github.com", "primary": true, "verified": true, "visibility": "private"},
                {"email": "unconfirmed@example.com", "primary": false, "verified": false, "visibility": null},
            ]),
        }
    }
}

struct Grant {
    redirect_uri: Option<String>,
    challenge: Option<String>,
}

struct GithubState {
    kind: AppKind,
    account: Account,
    codes: HashMap<String, Grant>,
    access_tokens: Vec<String>,
    /// Refresh token → spent.
    refresh_tokens: HashMap<String, bool>,
    counter: u64,
}

impl GithubState {
    fn token(&mut self, prefix: &str, len: usize) -> String {
        self.counter += 1;
        let body = format!("{:0>width$}", self.counter, width = len - prefix.len());
        format!("{prefix}{body}")
    }
}

/// GitHub's two hosts.
pub struct FakeGithub {
    pub web: MockServer,
    pub api: MockServer,
    pub clock: Clock,
    state: Arc<Mutex<GithubState>>,
}

impl FakeGithub {
    pub async fn start(kind: AppKind, account: Account) -> Self {
        let state = Arc::new(Mutex::new(GithubState {
            kind,
            account,
            codes: HashMap::new(),
            access_tokens: Vec::new(),
            refresh_tokens: HashMap::new(),
            counter: 0,
        }));
        let web = MockServer::start().await;
        let api = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path(GITHUB_TOKEN))
            .respond_with(TokenEndpoint(state.clone()))
            .mount(&web)
            .await;
        for at in [GITHUB_USER, GITHUB_EMAILS] {
            Mock::given(method("GET"))
                .and(path(at))
                .respond_with(UserApi(state.clone()))
                .mount(&api)
                .await;
        }
        Self {
            web,
            api,
            clock: Clock::frozen(now()),
            state,
        }
    }

    /// Plays the authorization page for the request at `url`: the user approves, and the
    /// callback's query (`code`, `state`; GitHub sends no `iss`) comes back.
    pub fn authorize(&self, url: &str) -> String {
        let url = url::Url::parse(url).unwrap();
        assert_eq!(url.path(), GITHUB_AUTHORIZE, "{url}");
        let params: HashMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(params["client_id"], CLIENT_ID);
        if let Some(method) = params.get("code_challenge_method") {
            assert_eq!(method, "S256");
        }
        let mut state = self.state.lock().unwrap();
        let code = state.token("", 20);
        state.codes.insert(
            code.clone(),
            Grant {
                redirect_uri: params.get("redirect_uri").cloned(),
                challenge: params.get("code_challenge").cloned(),
            },
        );
        let mut query = form_urlencoded::Serializer::new(String::new());
        query.append_pair("code", &code);
        if let Some(s) = params.get("state") {
            query.append_pair("state", s);
        }
        query.finish()
    }

    /// Every access token the API host accepts: none from now on.
    pub fn revoke_access_tokens(&self) {
        self.state.lock().unwrap().access_tokens.clear();
    }

    pub async fn web_requests(&self, to: &str) -> Vec<Request> {
        requests(&self.web, to).await
    }

    pub async fn api_requests(&self, to: &str) -> Vec<Request> {
        requests(&self.api, to).await
    }

    /// The token requests, as form parameters.
    pub async fn token_requests(&self) -> Vec<HashMap<String, String>> {
        self.web_requests(GITHUB_TOKEN)
            .await
            .iter()
            .map(|r| form_urlencoded::parse(&r.body).into_owned().collect())
            .collect()
    }
}

async fn requests(server: &MockServer, to: &str) -> Vec<Request> {
    server
        .received_requests()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.url.path() == to)
        .collect()
}

struct TokenEndpoint(Arc<Mutex<GithubState>>);

impl TokenEndpoint {
    /// JSON when asked for it, else GitHub's default: a form.
    fn answer(request: &Request, members: &[(&str, Value)]) -> ResponseTemplate {
        let wants_json = request
            .headers
            .get("accept")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("application/json"));
        if wants_json {
            let object: serde_json::Map<String, Value> = members
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect();
            ResponseTemplate::new(200).set_body_raw(
                Value::Object(object).to_string(),
                "application/json; charset=utf-8",
            )
        } else {
            let mut form = form_urlencoded::Serializer::new(String::new());
            for (k, v) in members {
                match v {
                    Value::String(s) => form.append_pair(k, s),
                    other => form.append_pair(k, &other.to_string()),
                };
            }
            ResponseTemplate::new(200).set_body_raw(
                form.finish(),
                "application/x-www-form-urlencoded; charset=utf-8",
            )
        }
    }

    fn error(request: &Request, error: &str, description: &str) -> ResponseTemplate {
        Self::answer(
            request,
            &[
                ("error", json!(error)),
                ("error_description", json!(description)),
                (
                    "error_uri",
                    json!(
                        "https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors"
                    ),
                ),
            ],
        )
    }

    fn mint(state: &mut GithubState, request: &Request) -> ResponseTemplate {
        match state.kind {
            AppKind::OAuthApp => {
                let access = state.token("gho_", 40);
                state.access_tokens.push(access.clone());
                Self::answer(
                    request,
                    &[
                        ("access_token", json!(access)),
                        ("scope", json!("read:user,user:email")),
                        ("token_type", json!("bearer")),
                    ],
                )
            }
            AppKind::GithubApp => {
                let access = state.token("ghu_", 40);
                let refresh = state.token("ghr_", 80);
                state.access_tokens.push(access.clone());
                state.refresh_tokens.insert(refresh.clone(), false);
                Self::answer(
                    request,
                    &[
                        ("access_token", json!(access)),
                        ("expires_in", json!(28800)),
                        ("refresh_token", json!(refresh)),
                        ("refresh_token_expires_in", json!(15811200)),
                        ("scope", json!("")),
                        ("token_type", json!("bearer")),
                    ],
                )
            }
        }
    }
}

impl Respond for TokenEndpoint {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let form: HashMap<String, String> =
            form_urlencoded::parse(&request.body).into_owned().collect();
        // The documented method: both credentials in the body.
        if form.get("client_id").map(String::as_str) != Some(CLIENT_ID)
            || form.get("client_secret").map(String::as_str) != Some(CLIENT_SECRET)
        {
            return Self::error(
                request,
                "incorrect_client_credentials",
                "The client_id and/or client_secret passed are incorrect.",
            );
        }
        let mut state = self.0.lock().unwrap();
        if form.get("grant_type").map(String::as_str) == Some("refresh_token") {
            let presented = form.get("refresh_token").cloned().unwrap_or_default();
            if state.refresh_tokens.get(&presented) != Some(&false) {
                return Self::error(
                    request,
                    "bad_refresh_token",
                    "The refresh token passed is incorrect or expired.",
                );
            }
            state.refresh_tokens.insert(presented, true);
            return Self::mint(&mut state, request);
        }
        let Some(grant) = form.get("code").and_then(|c| state.codes.remove(c)) else {
            return Self::error(
                request,
                "bad_verification_code",
                "The code passed is incorrect or expired.",
            );
        };
        if grant.redirect_uri.is_some() && grant.redirect_uri != form.get("redirect_uri").cloned() {
            return Self::error(
                request,
                "redirect_uri_mismatch",
                "The redirect_uri MUST match the registered callback URL for this application.",
            );
        }
        let pkce_ok = match (&grant.challenge, form.get("code_verifier")) {
            (Some(challenge), Some(verifier)) => {
                let digest = digest::digest(&digest::SHA256, verifier.as_bytes());
                &B64.encode(digest.as_ref()) == challenge
            }
            (None, None) => true,
            _ => false,
        };
        if !pkce_ok {
            return Self::error(
                request,
                "bad_verification_code",
                "The code passed is incorrect or expired.",
            );
        }
        Self::mint(&mut state, request)
    }
}

struct UserApi(Arc<Mutex<GithubState>>);

impl Respond for UserApi {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let token = request
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("token "))
            });
        let state = self.0.lock().unwrap();
        if !token.is_some_and(|t| state.access_tokens.iter().any(|known| known == t)) {
            return ResponseTemplate::new(401).set_body_raw(
                json!({"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest", "status": "401"}).to_string(),
                "application/json; charset=utf-8",
            );
        }
        let body = if request.url.path() == GITHUB_EMAILS {
            state.account.emails.clone()
        } else {
            json!({
                "login": "octocat", "id": 583231, "node_id": "MDQ6VXNlcjU4MzIzMQ==",
                "avatar_url": "https://github.com/images/error/octocat_happy.gif",
                "html_url": "https://github.com/octocat", "type": "User", "site_admin": false,
                "name": "The Octocat", "company": "@github", "email": state.account.public_email,
                "public_repos": 8, "created_at": "2011-01-25T18:44:36Z",
            })
        };
        ResponseTemplate::new(200).set_body_raw(body.to_string(), "application/json; charset=utf-8")
    }
}

impl AtClient for GithubWorld {
    fn client(&self) -> &Running {
        &self.client
    }

    fn browser(&self) -> &Browser {
        &self.browser
    }
}

/// A client with the github preset, GitHub, and a browser.
pub struct GithubWorld {
    pub github: FakeGithub,
    pub client: Running,
    pub browser: Browser,
}

impl GithubWorld {
    pub async fn start(kind: AppKind, account: Account) -> Self {
        Self::with(kind, account, |_| {}).await
    }

    pub async fn with(
        kind: AppKind,
        account: Account,
        configure: impl FnOnce(&mut Config),
    ) -> Self {
        let github = FakeGithub::start(kind, account).await;
        let mut config = Config::confidential(github.web.uri(), CLIENT_ID, CLIENT_SECRET);
        config.preset = Preset::Github;
        config.resource = Some(github.api.uri());
        config.clock = github.clock.clone();
        configure(&mut config);
        let client = sample_client::spawn(config).await.expect("client starts");
        Self {
            github,
            client,
            browser: Browser::default(),
        }
    }

    pub async fn login(&self) -> Page {
        let authorize = self.start_login().await;
        let query = self.github.authorize(&authorize);
        self.callback(&query).await
    }
}
