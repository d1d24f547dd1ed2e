//! Running one scenario: its steps in order against a fresh ecosystem, each step's expectations
//! judged, every exchange written to a transcript.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use reqwest::Method;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::ecosystem::Ecosystem;
use super::load::Loaded;
use super::model::{
    Action, Authorize, BearerCall, ClientAuth, Expect, FormCall, Matcher, RawRequest, Server, Step,
    action_name,
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

/// Where a capture reads from: `json.<path>`, `param.<name>` (the redirect's query),
/// `header.<name>`, or `status`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    Json(String),
    Param(String),
    Header(String),
    Status,
}

impl Source {
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.split_once('.') {
            Some(("json", path)) if !path.is_empty() => Ok(Self::Json(path.to_owned())),
            Some(("param", name)) if !name.is_empty() => Ok(Self::Param(name.to_owned())),
            Some(("header", name)) if !name.is_empty() => {
                Ok(Self::Header(name.to_ascii_lowercase()))
            }
            None if text == "status" => Ok(Self::Status),
            _ => Err(format!(
                "{text:?}: capture from json.<path>, param.<name>, header.<name> or status"
            )),
        }
    }
}

/// A request as sent, for replay and the transcript.
#[derive(Clone, Debug)]
struct Sent {
    server: Server,
    method: Method,
    /// Relative to the server's base URL (path and query).
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
    /// The query of the `Location` header, decoded.
    params: BTreeMap<String, String>,
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
#[derive(Debug, Default)]
struct Memory {
    vars: HashMap<String, String>,
    sent: HashMap<String, Sent>,
    cookies: BTreeMap<String, String>,
    authorizations: u32,
}

/// Runs one scenario to the end (or its first step that cannot run).
pub async fn run(loaded: &Loaded) -> Outcome {
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
    let world = match Ecosystem::start(&scenario.setup).await {
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
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client");
    let mut memory = Memory::default();
    let mut labels = Labels::new(&world.issuer(), &world.resource_url());
    let mut transcript = Vec::new();

    for (i, step) in scenario.steps.iter().enumerate() {
        let label = match &step.name {
            Some(name) => format!("{} ({name})", i + 1),
            None => (i + 1).to_string(),
        };
        let result = perform(&world, &http, &mut memory, step).await;
        let mut entry = Map::new();
        entry.insert("step".into(), json!(label));
        entry.insert("action".into(), json!(action_name(&step.action)));
        let (sent, received) = match result {
            Ok(exchange) => exchange,
            Err(e) => {
                entry.insert("error".into(), json!(e));
                transcript.push(Value::Object(entry.clone()));
                outcome.failures.push(Failure {
                    step: label,
                    check: "run".into(),
                    expected: "the step runs".into(),
                    actual: e,
                    context: labels.render(&Value::Object(entry)),
                });
                break;
            }
        };
        if let Some(sent) = &sent {
            entry.insert(
                "request".into(),
                labels.request(
                    sent.server,
                    &sent.method,
                    &sent.target,
                    &sent.headers,
                    sent.form.as_deref(),
                    sent.body.as_deref(),
                ),
            );
            if let Some(name) = &step.name {
                memory.sent.insert(name.clone(), sent.clone());
            }
        }
        if let Some(received) = &received {
            entry.insert(
                "response".into(),
                labels.response(
                    received.status,
                    &received.headers,
                    &received.params,
                    received.json.as_ref(),
                    &received.body,
                ),
            );
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

/// Carries out one step: the request sent (if any) and the answer (if any).
async fn perform(
    world: &Ecosystem,
    http: &reqwest::Client,
    memory: &mut Memory,
    step: &Step,
) -> Result<(Option<Sent>, Option<Received>), String> {
    let sent = match &step.action {
        Action::Authorize(a) => authorize(world, memory, a)?,
        Action::Token(call) => form_call(world, memory, call, "/token", true)?,
        Action::Revoke(call) => form_call(world, memory, call, "/revoke", false)?,
        Action::Introspect(call) => form_call(world, memory, call, "/introspect", false)?,
        Action::Userinfo(call) => bearer_call(memory, call, Server::Provider, "/userinfo")?,
        Action::Api(call) => {
            let path = call.path.clone().unwrap_or_else(|| "/api/me".to_owned());
            bearer_call(memory, call, Server::Resource, &path)?
        }
        Action::Request(raw) => raw_request(memory, raw)?,
        Action::Replay(name) => memory
            .sent
            .get(name)
            .cloned()
            .ok_or_else(|| format!("step {name:?} sent no request to replay"))?,
        Action::AdvanceClock(by) => {
            world.clock.advance(*by);
            return Ok((None, None));
        }
        Action::RotateKeys(r) => {
            let provider = world.provider.provider().clone();
            let issuer = world.config.issuers[0].name.clone();
            let grace = r.grace.unwrap_or(mock_provider::DEFAULT_GRACE);
            tokio::task::spawn_blocking(move || provider.rotate_keys(&issuer, grace))
                .await
                .map_err(|e| e.to_string())??;
            return Ok((None, None));
        }
        Action::AddRule(rule) => {
            world.provider.provider().add_rule(rule.clone());
            return Ok((None, None));
        }
        Action::AddResourceRule(rule) => {
            world.resource.state().add_rule(rule.clone());
            return Ok((None, None));
        }
        Action::RemoveRule(id) => {
            world.provider.provider().remove_rule(id);
            return Ok((None, None));
        }
        Action::RemoveResourceRule(id) => {
            world.resource.state().remove_rule(id);
            return Ok((None, None));
        }
    };
    let received = send(world, http, memory, &sent).await?;
    Ok((Some(sent), Some(received)))
}

/// An authorization request, filled in for the client unless `raw`.
fn authorize(world: &Ecosystem, memory: &mut Memory, a: &Authorize) -> Result<Sent, String> {
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
        for (k, v) in [
            ("response_type", "code".to_owned()),
            ("client_id", client.client_id.clone()),
            ("redirect_uri", redirect_uri.clone()),
            ("scope", "openid".to_owned()),
            ("state", format!("state-{n}")),
            ("nonce", format!("nonce-{n}")),
            ("code_challenge", challenge),
            ("code_challenge_method", "S256".to_owned()),
        ] {
            params.push((k.to_owned(), v));
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
    let query = encode(&params);
    Ok(if a.post {
        Sent {
            server: Server::Provider,
            method: Method::POST,
            target: "/authorize".into(),
            headers: Vec::new(),
            form: Some(params),
            body: None,
        }
    } else {
        Sent {
            server: Server::Provider,
            method: Method::GET,
            target: format!("/authorize?{query}"),
            headers: Vec::new(),
            form: None,
            body: None,
        }
    })
}

/// A form POST to the provider as a client, with the defaults a `token` step fills in.
fn form_call(
    world: &Ecosystem,
    memory: &Memory,
    call: &FormCall,
    path: &str,
    token_defaults: bool,
) -> Result<Sent, String> {
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
        target: path.to_owned(),
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

fn raw_request(memory: &Memory, raw: &RawRequest) -> Result<Sent, String> {
    let mut target = interpolate(&raw.path, memory)?;
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
    let mut request = http.request(sent.method.clone(), format!("{base}{}", sent.target));
    for (name, value) in &sent.headers {
        request = request.header(name, value);
    }
    if sent.server == Server::Provider && !memory.cookies.is_empty() {
        let cookie = memory
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
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
            keep_cookie(&mut memory.cookies, &value);
        }
        headers.entry(name.as_str().to_owned()).or_insert(value);
    }
    let body = response
        .text()
        .await
        .map_err(|e| format!("the body could not be read: {e}"))?;
    let json = headers
        .get("content-type")
        .filter(|c| c.contains("json"))
        .and_then(|_| serde_json::from_str(&body).ok());
    let params = headers
        .get("location")
        .and_then(|l| url::Url::parse(l).ok())
        .map(|u| u.query_pairs().into_owned().collect())
        .unwrap_or_default();
    Ok(Received {
        status,
        headers,
        body,
        json,
        params,
    })
}

/// Keeps a cookie as a browser would, dropping it when it is expired.
fn keep_cookie(jar: &mut BTreeMap<String, String>, header: &str) {
    let mut parts = header.split(';');
    let Some((name, value)) = parts.next().and_then(|p| p.split_once('=')) else {
        return;
    };
    let expired = parts.any(|p| p.trim().eq_ignore_ascii_case("max-age=0"));
    if expired || value.is_empty() {
        jar.remove(name.trim());
    } else {
        jar.insert(name.trim().to_owned(), value.trim().to_owned());
    }
}

/// What every answer teaches for later steps: a code and state from a redirect, tokens from a
/// token response.
fn remember(memory: &mut Memory, received: &Received) {
    for name in ["code", "state", "iss", "error"] {
        if let Some(value) = received.params.get(name) {
            memory.vars.insert(name.to_owned(), value.clone());
        }
    }
    if let Some(json) = &received.json {
        for name in ["access_token", "refresh_token", "id_token"] {
            if let Some(value) = json.get(name).and_then(Value::as_str) {
                memory.vars.insert(name.to_owned(), value.to_owned());
            }
        }
    }
}

fn capture(received: &Received, source: &str) -> Option<String> {
    match Source::parse(source).ok()? {
        Source::Json(path) => lookup(received.json.as_ref()?, &path).map(text_of),
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
        || !expect.jwt.is_empty();
    match received {
        None if needs_answer => check(
            "answer".into(),
            "an HTTP answer".into(),
            "this step sends no request".into(),
            false,
        ),
        None => {}
        Some(r) => {
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
                let prefix = prefix.replace("{provider}", &world.issuer());
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

/// The RFC error code of an answer: JSON `error`, a redirect's `error`, or a challenge's.
fn error_code(r: &Received) -> Option<String> {
    if let Some(error) = r
        .json
        .as_ref()
        .and_then(|j| j.get("error"))
        .and_then(Value::as_str)
    {
        return Some(error.to_owned());
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
        |v| text_of(v).replace(&world.issuer(), "{provider}"),
    );
    let expand = |v: &Value| match v {
        Value::String(s) => Value::String(
            s.replace("{provider}", &world.issuer())
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
