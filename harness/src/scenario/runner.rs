//! Running one scenario: its steps in order against a fresh ecosystem, each step's expectations
//! judged, every exchange written to a transcript.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use reqwest::Method;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::browser::{self, Browser, Hop};
use super::ecosystem::Ecosystem;
use super::load::Loaded;
use super::model::{
    Action, Authorize, BearerCall, ClientAuth, ClientExpect, Expect, FormCall, Login, Matcher,
    RawRequest, Server, Step, action_name,
};
use super::transcript::Labels;

/// How one scenario went.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub name: String,
    pub path: String,
    pub tags: Vec<String>,
    pub failures: Vec<Failure>,
    /// The transcript, as YAML, stable across runs.
    pub transcript: String,
    pub elapsed: Duration,
}

impl Outcome {
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// An expectation that did not hold (or a step that could not run).
#[derive(Clone, Debug, PartialEq)]
pub struct Failure {
    pub step: String,
    pub check: String,
    pub expected: String,
    pub actual: String,
    /// The transcript of the failing step.
    pub context: String,
}

/// Where a capture reads from: `json.<path>`, `form.<name>` (a form-encoded body),
/// `param.<name>` (the redirect's query), `header.<name>`, or `status`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    Json(String),
    Form(String),
    Param(String),
    Header(String),
    Status,
}

impl Source {
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.split_once('.') {
            Some(("json", path)) if !path.is_empty() => Ok(Self::Json(path.to_owned())),
            Some(("form", name)) if !name.is_empty() => Ok(Self::Form(name.to_owned())),
            Some(("param", name)) if !name.is_empty() => Ok(Self::Param(name.to_owned())),
            Some(("header", name)) if !name.is_empty() => {
                Ok(Self::Header(name.to_ascii_lowercase()))
            }
            None if text == "status" => Ok(Self::Status),
            _ => Err(format!(
                "{text:?}: capture from json.<path>, form.<name>, param.<name>, header.<name> or status"
            )),
        }
    }
}

/// A request as sent, for replay and the transcript.
#[derive(Clone, Debug)]
struct Sent {
    server: Server,
    method: Method,
    /// Relative to the server's base URL (path and query), or an absolute URL (a preset's
    /// endpoint outside its issuer URL).
    target: String,
    headers: Vec<(String, String)>,
    form: Option<Vec<(String, String)>>,
    body: Option<String>,
}

/// An answer as received.
#[derive(Clone, Debug)]
struct Received {
    status: u16,
    headers: BTreeMap<String, String>,
    body: String,
    json: Option<Value>,
    /// A form-encoded body's members.
    form: Option<BTreeMap<String, String>>,
    /// The query of the `Location` header, decoded.
    params: BTreeMap<String, String>,
}

impl Received {
    /// An answer, its body read as JSON or as a form when its content type says so.
    fn new(status: u16, headers: BTreeMap<String, String>, body: String) -> Self {
        let content_type = headers.get("content-type").map_or("", String::as_str);
        let json = content_type
            .contains("json")
            .then(|| serde_json::from_str(&body).ok())
            .flatten();
        let form = content_type
            .starts_with("application/x-www-form-urlencoded")
            .then(|| {
                form_urlencoded::parse(body.as_bytes())
                    .into_owned()
                    .collect()
            });
        let params = headers
            .get("location")
            .and_then(|l| url::Url::parse(l).ok())
            .map(|u| u.query_pairs().into_owned().collect())
            .unwrap_or_default();
        Self {
            status,
            headers,
            body,
            json,
            form,
            params,
        }
    }

    /// A member of the JSON body, or of the form-encoded body, as text.
    fn member(&self, name: &str) -> Option<String> {
        match (&self.json, &self.form) {
            (Some(json), _) => json.get(name).and_then(Value::as_str).map(str::to_owned),
            (None, Some(form)) => form.get(name).cloned(),
            (None, None) => None,
        }
    }
}

/// Values every scenario remembers by itself, as the latest of each seen: from authorization
/// requests (`code_verifier`, `redirect_uri`, `client_id`), redirects (`code`, `state`, `iss`,
/// `error`) and token responses (`access_token`, `refresh_token`, `id_token`).
pub const REMEMBERED: [&str; 10] = [
    "code_verifier",
    "redirect_uri",
    "client_id",
    "code",
    "state",
    "iss",
    "error",
    "access_token",
    "refresh_token",
    "id_token",
];

/// What a scenario remembers between steps.
#[derive(Debug)]
struct Memory {
    vars: HashMap<String, String>,
    sent: HashMap<String, Sent>,
    browser: Browser,
    authorizations: u32,
}

/// What a step did.
#[derive(Debug, Default)]
struct Performed {
    sent: Option<Sent>,
    received: Option<Received>,
    /// The browser's hops, for browser steps.
    hops: Vec<Hop>,
}

/// Runs one scenario to the end (or its first step that cannot run).
pub async fn run(loaded: &Loaded) -> Outcome {
    run_with(loaded, &[]).await
}

/// Runs one scenario with these protections of the client switched off.
pub async fn run_with(loaded: &Loaded, weaknesses: &[sample_client::Weakness]) -> Outcome {
    let started = Instant::now();
    let scenario = &loaded.scenario;
    let mut outcome = Outcome {
        name: scenario.name.clone(),
        path: loaded.path.display().to_string(),
        tags: scenario.tags.clone(),
        failures: Vec::new(),
        transcript: String::new(),
        elapsed: Duration::ZERO,
    };
    let world = match Ecosystem::start(&scenario.setup, scenario.uses_client(), weaknesses).await {
        Ok(world) => world,
        Err(e) => {
            outcome.failures.push(Failure {
                step: "setup".into(),
                check: "start".into(),
                expected: "the ecosystem starts".into(),
                actual: e,
                context: String::new(),
            });
            outcome.elapsed = started.elapsed();
            return outcome;
        }
    };
    let http = reqwest::Client::builder()
        .no_proxy()
        .user_agent(browser::USER_AGENT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client");
    let mut memory = Memory {
        vars: HashMap::new(),
        sent: HashMap::new(),
        browser: Browser::new(world.clock.clone()),
        authorizations: 0,
    };
    let client_url = world
        .client
        .as_ref()
        .map(|c| c.url.clone())
        .unwrap_or_default();
    let mut labels = Labels::new(&world.issuer(), &world.resource_url(), &client_url);
    let mut transcript = Vec::new();

    for (i, step) in scenario.steps.iter().enumerate() {
        let label = match &step.name {
            Some(name) => format!("{} ({name})", i + 1),
            None => (i + 1).to_string(),
        };
        let since = world.clock.last_tick();
        let result = perform(&world, &http, &mut memory, step).await;
        let mut entry = Map::new();
        entry.insert("step".into(), json!(label));
        entry.insert("action".into(), json!(action_name(&step.action)));
        let Performed {
            sent,
            received,
            hops,
        } = match result {
            Ok(performed) => performed,
            Err(e) => {
                entry.insert("error".into(), json!(e));
                let entry = Value::Object(entry);
                outcome.failures.push(Failure {
                    step: label,
                    check: "run".into(),
                    expected: "the step runs".into(),
                    actual: e,
                    context: labels.render(&entry),
                });
                transcript.push(entry);
                break;
            }
        };
        if let Some(sent) = &sent {
            let request = labels.request(
                sent.server,
                &sent.method,
                &sent.target,
                &sent.headers,
                sent.form.as_deref(),
                sent.body.as_deref(),
            );
            entry.insert("request".into(), request);
            if let Some(name) = &step.name {
                memory.sent.insert(name.clone(), sent.clone());
            }
        }
        if let Some(received) = &received {
            if hops.is_empty() {
                // A form-encoded body is shown member by member, its secrets labelled as JSON's.
                let form = received
                    .form
                    .as_ref()
                    .map(|f| Value::Object(f.iter().map(|(k, v)| (k.clone(), json!(v))).collect()));
                let response = labels.response(
                    received.status,
                    &received.headers,
                    &received.params,
                    received.json.as_ref().or(form.as_ref()),
                    &received.body,
                );
                entry.insert("response".into(), response);
            }
            remember(&mut memory, received);
            for (name, source) in &step.capture {
                match capture(received, source) {
                    Some(value) => {
                        memory.vars.insert(name.clone(), value);
                    }
                    None => outcome.failures.push(Failure {
                        step: label.clone(),
                        check: format!("capture {name}"),
                        expected: format!("a value at {source}"),
                        actual: "nothing there".into(),
                        context: String::new(),
                    }),
                }
            }
        }
        let exchanges = exchanges(&world, &mut labels, &hops, since);
        if !exchanges.is_empty() {
            entry.insert("exchanges".into(), Value::Array(exchanges));
        }
        let failures = judge(&world, &step.expect, received.as_ref());
        let entry = Value::Object(entry);
        for (check, expected, actual) in failures {
            outcome.failures.push(Failure {
                step: label.clone(),
                check,
                expected,
                actual,
                context: labels.render(&entry),
            });
        }
        transcript.push(entry);
    }
    outcome.transcript = labels.render(&json!({ "scenario": scenario.name, "steps": transcript }));
    outcome.elapsed = started.elapsed();
    outcome
}

/// Every exchange of a step, in the order it happened: the browser's hops, and what the
/// provider and resource saw from anyone but the harness itself (the client's calls, the
/// resource fetching keys).
fn exchanges(world: &Ecosystem, labels: &mut Labels, hops: &[Hop], since: u64) -> Vec<Value> {
    let mut items: Vec<(u64, Value)> = hops.iter().map(|hop| (hop.seq, labels.hop(hop))).collect();
    let filter = fauxauth_core::journal::Filter {
        since: Some(since),
        ..Default::default()
    };
    for (server, journal) in [
        ("provider", world.provider.provider().journal()),
        ("resource", world.resource.state().journal()),
    ] {
        for e in journal.query(&filter) {
            if e.headers.get("user-agent").map(String::as_str) == Some(browser::USER_AGENT) {
                continue;
            }
            items.push((e.seq, labels.journal_entry(server, &e)));
        }
    }
    items.sort_by_key(|(seq, _)| *seq);
    items.into_iter().map(|(_, v)| v).collect()
}

/// Carries out one step.
async fn perform(
    world: &Ecosystem,
    http: &reqwest::Client,
    memory: &mut Memory,
    step: &Step,
) -> Result<Performed, String> {
    let sent = match &step.action {
        Action::Login(login) => return browse_login(world, memory, login).await,
        Action::Visit(path) => {
            let slot = world.client.as_ref().ok_or("no client is running")?;
            let url = url::Url::parse(&format!("{}{}", slot.url, interpolate(path, memory)?))
                .map_err(|e| e.to_string())?;
            return navigate(memory, Method::GET, url, None).await;
        }
        Action::Logout(_) => return browse_logout(world, memory).await,
        Action::Authorize(a) => authorize(world, memory, a)?,
        Action::Token(call) => form_call(world, memory, call, "token", true)?,
        Action::Revoke(call) => form_call(world, memory, call, "revoke", false)?,
        Action::Introspect(call) => form_call(world, memory, call, "introspect", false)?,
        Action::Userinfo(call) => {
            let target = provider_target(world, "userinfo")?;
            bearer_call(memory, call, Server::Provider, &target)?
        }
        Action::Api(call) => {
            let path = call.path.clone().unwrap_or_else(|| "/api/me".to_owned());
            bearer_call(memory, call, Server::Resource, &path)?
        }
        Action::Request(raw) => raw_request(world, memory, raw)?,
        Action::Replay(name) => memory
            .sent
            .get(name)
            .cloned()
            .ok_or_else(|| format!("step {name:?} sent no request to replay"))?,
        Action::AdvanceClock(by) => {
            world.clock.try_advance(*by).map_err(|e| e.to_string())?;
            return Ok(Performed::default());
        }
        Action::RotateKeys(r) => {
            let provider = world.provider.provider().clone();
            let issuer = world.config.issuers[0].name.clone();
            let grace = r.grace.unwrap_or(mock_provider::DEFAULT_GRACE);
            tokio::task::spawn_blocking(move || provider.rotate_keys(&issuer, grace))
                .await
                .map_err(|e| e.to_string())??;
            return Ok(Performed::default());
        }
        Action::AddRule(rule) => {
            world.provider.provider().add_rule(rule.clone());
            return Ok(Performed::default());
        }
        Action::AddResourceRule(rule) => {
            world.resource.state().add_rule(rule.clone());
            return Ok(Performed::default());
        }
        Action::RemoveRule(id) => {
            world.provider.provider().remove_rule(id);
            return Ok(Performed::default());
        }
        Action::RemoveResourceRule(id) => {
            world.resource.state().remove_rule(id);
            return Ok(Performed::default());
        }
    };
    let received = send(world, http, memory, &sent).await?;
    Ok(Performed {
        sent: Some(sent),
        received: Some(received),
        hops: Vec::new(),
    })
}

/// A person logs in through the client: to the provider and back, the provider's login and
/// consent pages submitted when it shows them.
async fn browse_login(
    world: &Ecosystem,
    memory: &mut Memory,
    login: &Login,
) -> Result<Performed, String> {
    let slot = world.client.as_ref().ok_or("no client is running")?;
    let provider = url::Url::parse(&world.origin())
        .map_err(|e| e.to_string())?
        .origin();
    let at_provider = |u: &url::Url| u.origin() == provider;
    let authorize_paths: Vec<String> = world
        .endpoints("authorize")
        .iter()
        .filter_map(|u| url::Url::parse(u).ok())
        .map(|u| u.path().to_owned())
        .collect();
    // A person at a headless provider cannot pick who they are, so the browser names them.
    let hint = (world.config.issuers[0].login == mock_provider::LoginMode::Headless)
        .then_some(login.user.as_str());
    let start =
        url::Url::parse(&format!("{}{}", slot.url, slot.login_path)).map_err(|e| e.to_string())?;
    let mut hops = vec![memory.browser.request(Method::GET, start, None).await?];
    loop {
        // Through the provider until it sends the browser back to the client.
        let mut callback = None;
        memory
            .browser
            .follow(&mut hops, |target| {
                if !at_provider(target) {
                    callback = Some(target.clone());
                    return None;
                }
                let mut target = target.clone();
                let authorize = authorize_paths.iter().any(|p| p == target.path());
                if let Some(user) = hint.filter(|_| authorize) {
                    target.query_pairs_mut().append_pair("login_hint", user);
                }
                Some(target)
            })
            .await?;
        if let Some(callback) = callback {
            return deliver_callback(memory, hops, callback, login).await;
        }
        let last = hops.last().expect("at least one hop");
        if !at_provider(&last.url) || last.status != 200 {
            // The client (or the provider) answered with a page of its own: the step's answer.
            let received = received_of(last);
            return Ok(Performed {
                sent: None,
                received: Some(received),
                hops,
            });
        }
        // A page at the provider: its login page, or its consent page.
        let form = browser::forms(&last.body, &last.url)
            .pop()
            .ok_or_else(|| format!("the provider's page at {} has no form", last.url.path()))?;
        let mut fields = form.fields.clone();
        if form.action.path().ends_with("/consent") {
            fields.push(("decision".into(), "allow".into()));
        } else {
            fields.push(("username".into(), login.user.clone()));
            if let Some(password) = &login.password {
                fields.push(("password".into(), password.clone()));
            }
            fields.push(("action".into(), "login".into()));
        }
        let hop = memory
            .browser
            .request(form.method, form.action, Some(fields))
            .await?;
        hops.push(hop);
    }
}

/// Delivers the redirect back to the client, changed as the step says, and follows the client.
async fn deliver_callback(
    memory: &mut Memory,
    mut hops: Vec<Hop>,
    callback: url::Url,
    login: &Login,
) -> Result<Performed, String> {
    let mut url = callback;
    let change = login.callback.clone().unwrap_or_default();
    if !change.params.is_empty() {
        let mut params: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        for (name, value) in &change.params {
            params.retain(|(k, _)| k != name);
            if let Some(value) = value {
                params.push((name.clone(), interpolate(value, memory)?));
            }
        }
        url.set_query(Some(&encode(&params)));
    }
    for (name, value) in url.query_pairs() {
        if matches!(name.as_ref(), "code" | "state" | "iss" | "error") {
            memory.vars.insert(name.into_owned(), value.into_owned());
        }
    }
    let times = if change.twice { 2 } else { 1 };
    for _ in 0..times {
        let hop = memory
            .browser
            .request(Method::GET, url.clone(), None)
            .await?;
        hops.push(hop);
        let client = url.origin();
        memory
            .browser
            .follow(&mut hops, |next| {
                (next.origin() == client).then(|| next.clone())
            })
            .await?;
    }
    let received = received_of(hops.last().expect("at least one hop"));
    Ok(Performed {
        sent: None,
        received: Some(received),
        hops,
    })
}

/// A person logs out through the client: its logout page's form, then wherever it leads.
async fn browse_logout(world: &Ecosystem, memory: &mut Memory) -> Result<Performed, String> {
    let slot = world.client.as_ref().ok_or("no client is running")?;
    let start =
        url::Url::parse(&format!("{}{}", slot.url, slot.logout_path)).map_err(|e| e.to_string())?;
    let mut hops = vec![memory.browser.request(Method::GET, start, None).await?];
    // Submit the client's confirmation form, then its form to the provider's end-session
    // endpoint; the walk ends once the browser has been to the provider and followed it back.
    let client = url::Url::parse(&slot.url)
        .map_err(|e| e.to_string())?
        .origin();
    for round in 0..2 {
        memory
            .browser
            .follow(&mut hops, |next| Some(next.clone()))
            .await?;
        let last = hops.last().expect("at least one hop");
        let Some(form) = browser::forms(&last.body, &last.url).into_iter().next() else {
            break;
        };
        let leaves = form.action.origin() != client;
        // After its confirmation, a client that logs out on its own (a provider without an
        // end-session endpoint, as GitHub) is done: its page's form is not the way out.
        if round > 0 && !leaves {
            break;
        }
        let hop = memory
            .browser
            .request(form.method, form.action, Some(form.fields))
            .await?;
        hops.push(hop);
        if leaves {
            break;
        }
    }
    memory
        .browser
        .follow(&mut hops, |next| Some(next.clone()))
        .await?;
    let received = received_of(hops.last().expect("at least one hop"));
    Ok(Performed {
        sent: None,
        received: Some(received),
        hops,
    })
}

/// Opens `url` and follows redirects.
async fn navigate(
    memory: &mut Memory,
    method: Method,
    url: url::Url,
    form: Option<Vec<(String, String)>>,
) -> Result<Performed, String> {
    let mut hops = vec![memory.browser.request(method, url, form).await?];
    memory
        .browser
        .follow(&mut hops, |next| Some(next.clone()))
        .await?;
    let received = received_of(hops.last().expect("at least one hop"));
    Ok(Performed {
        sent: None,
        received: Some(received),
        hops,
    })
}

fn received_of(hop: &Hop) -> Received {
    Received::new(hop.status, hop.headers.clone(), hop.body.clone())
}

/// An authorization request, filled in for the client unless `raw`.
fn authorize(world: &Ecosystem, memory: &mut Memory, a: &Authorize) -> Result<Sent, String> {
    let path = provider_target(world, "authorize")?;
    let mut params: Vec<(String, String)> = Vec::new();
    if !a.raw {
        let client = world
            .client(&a.client)
            .ok_or_else(|| format!("no client is named {:?}", a.client))?;
        memory.authorizations += 1;
        let n = memory.authorizations;
        // Deterministic values: the same scenario sends the same bytes on every run.
        let verifier = format!("verifier-{n:04}-{}", "x".repeat(40));
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        let redirect_uri = client.redirect_uris.first().cloned().unwrap_or_default();
        // A plain OAuth 2.0 provider (GitHub) gets no OpenID Connect scope or nonce.
        let openid = world.config.issuers[0].preset.is_openid();
        for (k, v) in [
            ("response_type", Some("code".to_owned())),
            ("client_id", Some(client.client_id.clone())),
            ("redirect_uri", Some(redirect_uri.clone())),
            ("scope", openid.then(|| "openid".to_owned())),
            ("state", Some(format!("state-{n}"))),
            ("nonce", openid.then(|| format!("nonce-{n}"))),
            ("code_challenge", Some(challenge)),
            ("code_challenge_method", Some("S256".to_owned())),
        ] {
            if let Some(v) = v {
                params.push((k.to_owned(), v));
            }
        }
        memory.vars.insert("code_verifier".into(), verifier);
        memory.vars.insert("redirect_uri".into(), redirect_uri);
        memory
            .vars
            .insert("client_id".into(), client.client_id.clone());
    }
    for (name, value) in &a.params {
        params.retain(|(k, _)| k != name);
        if let Some(value) = value {
            params.push((name.clone(), interpolate(value, memory)?));
        }
    }
    if a.params.contains_key("code_challenge") || a.raw {
        memory.vars.remove("code_verifier");
    }
    // The token step repeats the redirect URI the request really carried.
    if !a.raw && a.params.contains_key("redirect_uri") {
        match params.iter().find(|(k, _)| k == "redirect_uri") {
            Some((_, uri)) => memory.vars.insert("redirect_uri".into(), uri.clone()),
            None => memory.vars.remove("redirect_uri"),
        };
    }
    let query = encode(&params);
    Ok(if a.post {
        Sent {
            server: Server::Provider,
            method: Method::POST,
            target: path,
            headers: Vec::new(),
            form: Some(params),
            body: None,
        }
    } else {
        Sent {
            server: Server::Provider,
            method: Method::GET,
            target: format!("{path}?{query}"),
            headers: Vec::new(),
            form: None,
            body: None,
        }
    })
}

/// Where a step reaches the provider's `endpoint` (its name in the journal): relative to the
/// issuer URL when the endpoint is under it (always, but for Microsoft), else the absolute URL.
/// The first issuer's own path for it: its preset's, the home tenant's for Microsoft.
fn provider_target(world: &Ecosystem, endpoint: &str) -> Result<String, String> {
    let url = world.endpoint(endpoint).ok_or_else(|| {
        format!(
            "the provider (preset {}) serves no {endpoint} endpoint",
            world.config.issuers[0].preset
        )
    })?;
    let issuer = world.issuer();
    Ok(match url.strip_prefix(issuer.as_str()) {
        Some(rest) if rest.starts_with('/') => rest.to_owned(),
        _ => url,
    })
}

/// A form POST to the provider's `endpoint` as a client, with the defaults a `token` step fills
/// in.
fn form_call(
    world: &Ecosystem,
    memory: &Memory,
    call: &FormCall,
    endpoint: &str,
    token_defaults: bool,
) -> Result<Sent, String> {
    let path = provider_target(world, endpoint)?;
    let client = world.client(&call.client);
    let mut form: Vec<(String, String)> = Vec::new();
    if token_defaults {
        let grant = call
            .form
            .get("grant_type")
            .cloned()
            .flatten()
            .unwrap_or_else(|| "authorization_code".to_owned());
        form.push(("grant_type".into(), grant.clone()));
        let defaults: &[&str] = match grant.as_str() {
            "authorization_code" => &["code", "redirect_uri", "code_verifier"],
            "refresh_token" => &["refresh_token"],
            _ => &[],
        };
        for name in defaults {
            if let Some(value) = memory.vars.get(*name) {
                form.push(((*name).to_owned(), value.clone()));
            }
        }
    }
    for (name, value) in &call.form {
        form.retain(|(k, _)| k != name);
        if let Some(value) = value {
            form.push((name.clone(), interpolate(value, memory)?));
        }
    }
    let secret = match (&call.secret, client) {
        (Some(secret), _) => Some(interpolate(secret, memory)?),
        (None, Some(c)) => c.client_secret.clone(),
        (None, None) => None,
    };
    let auth = match call.auth {
        ClientAuth::Auto if secret.is_some() => ClientAuth::Basic,
        ClientAuth::Auto => ClientAuth::Id,
        other => other,
    };
    let mut headers = Vec::new();
    match auth {
        ClientAuth::Basic => {
            // RFC 6749 §2.3.1: form-urlencode each part, then base64.
            let enc = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
            let pair = format!(
                "{}:{}",
                enc(&call.client),
                enc(secret.as_deref().unwrap_or_default())
            );
            headers.push((
                "authorization".into(),
                format!("Basic {}", STANDARD.encode(pair)),
            ));
        }
        ClientAuth::Post => {
            form.push(("client_id".into(), call.client.clone()));
            form.push(("client_secret".into(), secret.unwrap_or_default()));
        }
        ClientAuth::Id => form.push(("client_id".into(), call.client.clone())),
        ClientAuth::None | ClientAuth::Auto => {}
    }
    Ok(Sent {
        server: Server::Provider,
        method: Method::POST,
        target: path,
        headers,
        form: Some(form),
        body: None,
    })
}

fn bearer_call(
    memory: &Memory,
    call: &BearerCall,
    server: Server,
    path: &str,
) -> Result<Sent, String> {
    let token = match &call.token {
        Some(token) => interpolate(token, memory)?,
        None => memory
            .vars
            .get("access_token")
            .cloned()
            .ok_or("no access token yet: give `token`")?,
    };
    let method = parse_method(call.method.as_deref().unwrap_or("GET"))?;
    let body = call.body.as_ref().map(Value::to_string);
    let mut headers = vec![("authorization".to_owned(), format!("Bearer {token}"))];
    if body.is_some() {
        headers.push(("content-type".into(), "application/json".into()));
    }
    Ok(Sent {
        server,
        method,
        target: interpolate(path, memory)?,
        headers,
        form: None,
        body,
    })
}

fn raw_request(world: &Ecosystem, memory: &Memory, raw: &RawRequest) -> Result<Sent, String> {
    let mut target = interpolate(&raw.path, memory)?;
    if raw.root && raw.server == Server::Provider {
        target = format!("{}{target}", world.origin());
    }
    if !raw.query.is_empty() {
        let pairs = raw
            .query
            .iter()
            .map(|(k, v)| Ok((k.clone(), interpolate(v, memory)?)))
            .collect::<Result<Vec<_>, String>>()?;
        target = format!("{target}?{}", encode(&pairs));
    }
    let headers = raw
        .headers
        .iter()
        .map(|(k, v)| Ok((k.to_ascii_lowercase(), interpolate(v, memory)?)))
        .collect::<Result<Vec<_>, String>>()?;
    let form = match &raw.form {
        Some(form) => Some(
            form.iter()
                .map(|(k, v)| Ok((k.clone(), interpolate(v, memory)?)))
                .collect::<Result<Vec<_>, String>>()?,
        ),
        None => None,
    };
    let body = raw
        .body
        .as_deref()
        .map(|b| interpolate(b, memory))
        .transpose()?;
    Ok(Sent {
        server: raw.server,
        method: parse_method(&raw.method)?,
        target,
        headers,
        form,
        body,
    })
}

fn parse_method(text: &str) -> Result<Method, String> {
    Method::from_bytes(text.to_ascii_uppercase().as_bytes())
        .map_err(|_| format!("{text:?} is not an HTTP method"))
}

async fn send(
    world: &Ecosystem,
    http: &reqwest::Client,
    memory: &mut Memory,
    sent: &Sent,
) -> Result<Received, String> {
    let base = match sent.server {
        Server::Provider => world.issuer(),
        Server::Resource => world.resource_url(),
    };
    let url = if sent.target.starts_with("http://") || sent.target.starts_with("https://") {
        sent.target.clone()
    } else {
        format!("{base}{}", sent.target)
    };
    let mut request = http.request(sent.method.clone(), url);
    for (name, value) in &sent.headers {
        request = request.header(name, value);
    }
    if let (Server::Provider, Some(cookie)) = (sent.server, memory.browser.cookie_header()) {
        request = request.header("cookie", cookie);
    }
    if let Some(form) = &sent.form {
        request = request
            .header("content-type", "application/x-www-form-urlencoded")
            .body(encode(form));
    } else if let Some(body) = &sent.body {
        request = request.body(body.clone());
    }
    let response = request
        .send()
        .await
        .map_err(|e| format!("no answer: {e}"))?;
    let status = response.status().as_u16();
    let mut headers = BTreeMap::new();
    for (name, value) in response.headers() {
        let value = value.to_str().unwrap_or_default().to_owned();
        if name == "set-cookie" {
            memory.browser.keep_cookie(&value);
        }
        headers.entry(name.as_str().to_owned()).or_insert(value);
    }
    let body = response
        .text()
        .await
        .map_err(|e| format!("the body could not be read: {e}"))?;
    Ok(Received::new(status, headers, body))
}

/// What every answer teaches for later steps: a code and state from a redirect, tokens from a
/// token response.
fn remember(memory: &mut Memory, received: &Received) {
    for name in ["code", "state", "iss", "error"] {
        if let Some(value) = received.params.get(name) {
            memory.vars.insert(name.to_owned(), value.clone());
        }
    }
    for name in ["access_token", "refresh_token", "id_token"] {
        if let Some(value) = received.member(name) {
            memory.vars.insert(name.to_owned(), value);
        }
    }
}

fn capture(received: &Received, source: &str) -> Option<String> {
    match Source::parse(source).ok()? {
        Source::Json(path) => lookup(received.json.as_ref()?, &path).map(text_of),
        Source::Form(name) => received.form.as_ref()?.get(&name).cloned(),
        Source::Param(name) => received.params.get(&name).cloned(),
        Source::Header(name) => received.headers.get(&name).cloned(),
        Source::Status => Some(received.status.to_string()),
    }
}

fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `a.b.0.c` in a JSON value.
pub fn lookup<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.').try_fold(value, |v, part| match v {
        Value::Array(items) => items.get(part.parse::<usize>().ok()?),
        other => other.get(part),
    })
}

/// Replaces `${name}` with remembered values.
fn interpolate(text: &str, memory: &Memory) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        let end = after
            .find('}')
            .ok_or_else(|| format!("{text:?}: unclosed ${{"))?;
        let name = &after[..end];
        let value = memory
            .vars
            .get(name)
            .ok_or_else(|| format!("${{{name}}} has no value yet"))?;
        out.push_str(value);
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn encode(pairs: &[(String, String)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

/// Every failed check of `expect`: (check, expected, actual).
fn judge(
    world: &Ecosystem,
    expect: &Expect,
    received: Option<&Received>,
) -> Vec<(String, String, String)> {
    let mut failures = Vec::new();
    let mut check = |name: String, expected: String, actual: String, ok: bool| {
        if !ok {
            failures.push((name, expected, actual));
        }
    };
    let needs_answer = expect.status.is_some()
        || expect.error.is_some()
        || expect.page.is_some()
        || expect.redirect_to.is_some()
        || !expect.params.is_empty()
        || !expect.headers.is_empty()
        || !expect.json.is_empty()
        || !expect.form.is_empty()
        || expect.body.is_some()
        || !expect.jwt.is_empty()
        || expect.client.is_some();
    match received {
        None if needs_answer => check(
            "answer".into(),
            "an HTTP answer".into(),
            "this step sends no request".into(),
            false,
        ),
        None => {}
        Some(r) => {
            if let Some(c) = &expect.client {
                judge_client(c, r, world, &mut check);
            }
            if let Some(status) = expect.status {
                check(
                    "status".into(),
                    status.to_string(),
                    r.status.to_string(),
                    r.status == status,
                );
            }
            if let Some(error) = &expect.error {
                let actual = error_code(r).unwrap_or_else(|| "no error code".into());
                check(
                    "error".into(),
                    error.clone(),
                    actual.clone(),
                    &actual == error,
                );
            }
            if let Some(page) = expect.page {
                let is_page = r
                    .headers
                    .get("content-type")
                    .is_some_and(|c| c.starts_with("text/html"))
                    && !r.headers.contains_key("location");
                check(
                    "page".into(),
                    page.to_string(),
                    is_page.to_string(),
                    is_page == page,
                );
            }
            if let Some(prefix) = &expect.redirect_to {
                let location = r.headers.get("location").cloned().unwrap_or_default();
                let prefix = prefix
                    .replace("{provider}", &world.issuer())
                    .replace("{origin}", &world.origin());
                check(
                    "redirect_to".into(),
                    prefix.clone(),
                    location.clone(),
                    !location.is_empty() && location.starts_with(&prefix),
                );
            }
            for (name, matcher) in &expect.params {
                let actual = r.params.get(name).map(|v| Value::String(v.clone()));
                let (ok, shown) = matches(matcher, actual.as_ref(), world);
                check(format!("params.{name}"), describe(matcher), shown, ok);
            }
            for (name, matcher) in &expect.headers {
                let actual = r
                    .headers
                    .get(&name.to_ascii_lowercase())
                    .map(|v| Value::String(v.clone()));
                let (ok, shown) = matches(matcher, actual.as_ref(), world);
                check(format!("headers.{name}"), describe(matcher), shown, ok);
            }
            for (path, matcher) in &expect.json {
                let actual = r.json.as_ref().and_then(|j| lookup(j, path));
                let (ok, shown) = matches(matcher, actual, world);
                check(format!("json.{path}"), describe(matcher), shown, ok);
            }
            for (name, matcher) in &expect.form {
                let actual = r
                    .form
                    .as_ref()
                    .and_then(|f| f.get(name))
                    .map(|v| Value::String(v.clone()));
                let (ok, shown) = matches(matcher, actual.as_ref(), world);
                check(format!("form.{name}"), describe(matcher), shown, ok);
            }
            if let Some(matcher) = &expect.body {
                let actual = Value::String(r.body.clone());
                let (ok, shown) = matches(matcher, Some(&actual), world);
                check("body".into(), describe(matcher), shown, ok);
            }
            for (path, claims) in &expect.jwt {
                let token = r
                    .json
                    .as_ref()
                    .and_then(|j| lookup(j, path))
                    .and_then(Value::as_str);
                let Some((header, payload)) = token.and_then(decode_jwt) else {
                    check(
                        format!("jwt.{path}"),
                        "a JWT".into(),
                        token.unwrap_or("nothing").chars().take(40).collect(),
                        false,
                    );
                    continue;
                };
                let parts = json!({ "header": header, "claims": payload });
                for (claim, matcher) in claims {
                    let actual = match claim.strip_prefix("header.") {
                        Some(h) => parts["header"].get(h),
                        None => parts["claims"].get(claim),
                    };
                    let (ok, shown) = matches(matcher, actual, world);
                    check(format!("jwt.{path}.{claim}"), describe(matcher), shown, ok);
                }
            }
        }
    }
    for j in &expect.journal {
        let journal = match j.server {
            Server::Provider => world.provider.provider().journal(),
            Server::Resource => world.resource.state().journal(),
        };
        let count = journal.count(&j.filter());
        let (ok, wanted) = match (j.times, j.never) {
            (_, true) => (count == 0, "no request".to_owned()),
            (Some(n), false) => (count == n, format!("{n} requests")),
            (None, false) => (count > 0, "at least one request".to_owned()),
        };
        let filter = serde_json::to_value(j.filter()).unwrap_or_default();
        check(
            format!("journal {} {filter}", j.server),
            wanted,
            format!("{count} requests"),
            ok,
        );
    }
    failures
}

/// What the client showed: its state header (`logged-in`, `logged-out`), its error header (the
/// check that refused), and the page's text.
fn judge_client(
    expect: &ClientExpect,
    r: &Received,
    world: &Ecosystem,
    check: &mut impl FnMut(String, String, String, bool),
) {
    let state = r
        .headers
        .get(sample_client::STATE_HEADER.as_str())
        .cloned()
        .unwrap_or_else(|| "no state".into());
    let error = r.headers.get(sample_client::ERROR_HEADER.as_str()).cloned();
    if let Some(logged_in) = expect.logged_in {
        let shown = match &error {
            Some(e) => format!("{state} (error page: {e})"),
            None => state.clone(),
        };
        check(
            "client.logged_in".into(),
            logged_in.to_string(),
            shown,
            (state == "logged-in") == logged_in,
        );
    }
    if let Some(want) = &expect.error {
        let actual = Value::String(error.clone().unwrap_or_else(|| "none".into()));
        let (ok, shown) = matches(want, Some(&actual), world);
        check("client.error".into(), describe(want), shown, ok);
    }
    if let Some(text) = &expect.shows {
        check(
            "client.shows".into(),
            format!("a page showing {text:?}"),
            format!("{} ({state})", r.status),
            r.body.contains(text.as_str()),
        );
    }
    if let Some(text) = &expect.hides {
        check(
            "client.hides".into(),
            format!("a page not showing {text:?}"),
            format!("{} ({state}) showing it", r.status),
            !r.body.contains(text.as_str()),
        );
    }
}

/// The RFC error code of an answer: JSON `error`, a redirect's `error`, or a challenge's.
fn error_code(r: &Received) -> Option<String> {
    if let Some(error) = r.member("error") {
        return Some(error);
    }
    if let Some(error) = r.params.get("error") {
        return Some(error.clone());
    }
    let challenge = r.headers.get("www-authenticate")?;
    let start = challenge.find("error=\"")? + 7;
    Some(challenge[start..].split('"').next()?.to_owned())
}

fn matches(matcher: &Matcher, actual: Option<&Value>, world: &Ecosystem) -> (bool, String) {
    let shown = actual.map_or_else(
        || "absent".to_owned(),
        |v| {
            text_of(v)
                .replace(&world.issuer(), "{provider}")
                .replace(&world.origin(), "{origin}")
        },
    );
    let expand = |v: &Value| match v {
        Value::String(s) => Value::String(
            s.replace("{provider}", &world.issuer())
                .replace("{origin}", &world.origin())
                .replace("{resource}", &world.resource_url()),
        ),
        other => other.clone(),
    };
    let equal = |want: &Value, have: &Value| {
        let want = expand(want);
        want == *have || matches!((&want, have), (Value::String(w), other) if *w == text_of(other))
    };
    let ok = match (matcher, actual) {
        (Matcher::Present(p), a) => a.is_some() == *p,
        (_, None) => false,
        (Matcher::Equals(want), Some(have)) => equal(want, have),
        (Matcher::Contains(part), Some(have)) => text_of(have).contains(part.as_str()),
        (Matcher::OneOf(options), Some(have)) => options.iter().any(|o| equal(o, have)),
    };
    (ok, shown)
}

fn describe(matcher: &Matcher) -> String {
    match matcher {
        Matcher::Equals(v) => text_of(v),
        Matcher::Present(true) => "present".into(),
        Matcher::Present(false) => "absent".into(),
        Matcher::Contains(s) => format!("something containing {s:?}"),
        Matcher::OneOf(v) => format!("one of {}", Value::Array(v.clone())),
    }
}

/// The header and claims of a compact JWS, unverified.
pub fn decode_jwt(token: &str) -> Option<(Value, Value)> {
    let mut parts = token.split('.');
    let mut decode = || -> Option<Value> {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts.next()?).ok()?).ok()
    };
    let header = decode()?;
    let claims = decode()?;
    Some((header, claims))
}
