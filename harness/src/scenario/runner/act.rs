//! Acting: what each step does. Requests to the servers, and a person's browser through the
//! client and the provider.

use mock_provider::Scripted as _;
use std::collections::BTreeMap;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use reqwest::Method;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::capture::{Memory, encode, interpolate};
use super::exchange::{Received, Sent};
use crate::scenario::ecosystem::Ecosystem;
use crate::scenario::model::{
    Action, Authorize, BearerCall, Certificate, ClientAuth, FormCall, Login, Open, RawRequest,
    Server, Step,
};
use fauxauth_browser::{self as browser, Hop};

/// What a step did.
#[derive(Debug, Default)]
pub struct Performed {
    pub sent: Option<Sent>,
    pub received: Option<Received>,
    /// The browsers' hops, for browser steps, in order.
    pub hops: Vec<Hop>,
    /// The browser the step used, for judging what the client shows it.
    pub browser: Option<String>,
}

/// Carries out one step.
pub async fn perform(
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
            return navigate(memory, None, url, |_| true).await;
        }
        Action::Open(open) => return browse_open(world, memory, open).await,
        Action::Explore(_) => return explore(world, memory).await,
        Action::Logout(_) => return browse_logout(world, memory).await,
        Action::Authorize(a) => authorize(world, memory, a)?,
        Action::Par(par) => {
            let a = Authorize {
                client: par.client.clone(),
                params: par.params.clone(),
                raw: par.raw,
                post: false,
                path: None,
            };
            let mut params = authorization_params(world, memory, &a)?;
            // A client that names itself in the form does it once (RFC 6749 §3.2).
            let secret = par.secret.is_some()
                || world
                    .client(&par.client)
                    .is_some_and(|c| c.client_secret.is_some());
            let names_itself = match par.auth {
                ClientAuth::Auto => !secret,
                auth => matches!(auth, ClientAuth::Id | ClientAuth::Post),
            };
            if names_itself {
                params.retain(|(k, _)| k != "client_id");
            }
            let call = FormCall {
                client: par.client.clone(),
                auth: par.auth,
                secret: par.secret.clone(),
                form: params.into_iter().map(|(k, v)| (k, Some(v))).collect(),
                ..FormCall::default()
            };
            form_call(world, memory, &call, "par", false)?
        }
        Action::Token(call) => form_call(world, memory, call, "token", true)?,
        Action::Revoke(call) => form_call(world, memory, call, "revoke", false)?,
        Action::Introspect(call) => form_call(world, memory, call, "introspect", false)?,
        Action::DeviceAuthorization(call) => {
            form_call(world, memory, call, "device_authorization", false)?
        }
        Action::DeviceDecision(step) => {
            let decision = match (&step.approve, step.deny) {
                (Some(user), false) => mock_provider::DeviceDecision::Approve {
                    user: interpolate(user, memory)?,
                },
                (None, true) => mock_provider::DeviceDecision::Deny,
                _ => return Err("device_decision: give approve: USER or deny: true".into()),
            };
            let user_code =
                match &step.user_code {
                    Some(code) => interpolate(code, memory)?,
                    None => memory.vars.get("user_code").cloned().ok_or(
                        "no user_code yet: give `user_code` or ask with device_authorization",
                    )?,
                };
            let issuer = &world.config.issuers[0].name;
            let answered = world
                .provider
                .provider()
                .decide_device(issuer, &user_code, &decision)
                .map_err(|e| e.to_string())?;
            if !answered {
                return Err(format!(
                    "no device authorization waits with user code {user_code:?}"
                ));
            }
            return Ok(Performed::default());
        }
        Action::EndSession(step) => {
            let user = match &step.user {
                Some(user) => interpolate(user, memory)?,
                None => world.person.clone(),
            };
            let issuer = &world.config.issuers[0].name;
            world
                .provider
                .provider()
                .end_sessions(issuer, Some(&user))
                .await
                .map_err(|e| e.to_string())?;
            return Ok(Performed::default());
        }
        Action::Userinfo(call) => {
            let target = provider_target(world, "userinfo")?;
            bearer_call(world, memory, call, Server::Provider, &target)?
        }
        Action::Api(call) => {
            let path = call.path.clone().unwrap_or_else(|| "/api/me".to_owned());
            bearer_call(world, memory, call, Server::Resource, &path)?
        }
        Action::Request(raw) => raw_request(world, memory, raw)?,
        Action::Replay(name) => memory
            .sent
            .get(name)
            .cloned()
            .ok_or_else(|| format!("step {name:?} sent no request to replay"))?,
        Action::AdvanceClock(by) => {
            world.clock.try_advance(*by).map_err(|e| e.to_string())?;
            // Login sessions the move ended end now, their clients told, as the step's.
            world.provider.provider().end_expired_sessions().await;
            return Ok(Performed::default());
        }
        Action::RotateKeys(r) => {
            let provider = world.provider.provider().clone();
            let issuer = world.config.issuers[0].name.clone();
            let grace = r.grace.unwrap_or(mock_provider::DEFAULT_GRACE);
            tokio::task::spawn_blocking(move || provider.rotate_keys(&issuer, grace))
                .await
                .map_err(|e| e.to_string())?
                .map_err(|e| e.to_string())?;
            return Ok(Performed::default());
        }
        Action::AddRule(rule) => {
            world
                .provider
                .provider()
                .add_rule(rule_with_vars(rule, memory)?);
            return Ok(Performed::default());
        }
        Action::AddResourceRule(rule) => {
            world
                .resource
                .state()
                .add_rule(rule_with_vars(rule, memory)?);
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
        Action::TlsCertificate(which) => {
            let tls = world.provider.tls().ok_or(
                "tls_certificate: the provider does not serve HTTPS (setup: { tls: true }, or an \
                 https issuer in the app file)",
            )?;
            tls.serve_untrusted(*which == Certificate::Untrusted).await;
            return Ok(Performed::default());
        }
    };
    let received = send(world, http, memory, &sent).await?;
    Ok(Performed {
        sent: Some(sent),
        received: Some(received),
        ..Performed::default()
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
    let user = match &login.user {
        Some(user) => interpolate(user, memory)?,
        None => world.person.clone(),
    };
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
        .then_some(user.as_str());
    let start =
        url::Url::parse(&format!("{}{}", slot.url, slot.login_path)).map_err(|e| e.to_string())?;
    let name = login.browser.as_deref();
    let browser = memory.browser(name);
    let mut hops = vec![
        browser
            .request(Method::GET, start, None)
            .await
            .map_err(|e| e.to_string())?,
    ];
    let mut clicks = 0;
    loop {
        // Through the client's own redirects to the provider, then through the provider
        // until it sends the browser away: that redirect is the callback.
        let mut reached = hops.iter().any(|h| at_provider(&h.url));
        let mut callback = None;
        memory
            .browser(name)
            .follow(&mut hops, |target| {
                if !at_provider(target) {
                    if reached {
                        callback = Some(target.clone());
                        return None;
                    }
                    return Some(target.clone());
                }
                reached = true;
                let mut target = target.clone();
                let authorize = authorize_paths.iter().any(|p| p == target.path());
                if let Some(user) = hint.filter(|_| authorize) {
                    target.query_pairs_mut().append_pair("login_hint", user);
                }
                Some(target)
            })
            .await
            .map_err(|e| e.to_string())?;
        if let Some(callback) = callback {
            return deliver_callback(memory, hops, callback, login, &user).await;
        }
        let last = hops.last().expect("at least one hop");
        let reached = hops.iter().any(|h| at_provider(&h.url));
        if !reached && !at_provider(&last.url) && last.status == 200 && clicks < 3 {
            // The client's page with a "Log in with ..." link or button.
            if let Some(entry) =
                browser::login_entry(&last.body, &last.url, slot.login_click.as_deref())
            {
                clicks += 1;
                let hop = match entry {
                    browser::Entry::Link(url) => memory
                        .browser(name)
                        .request(Method::GET, url, None)
                        .await
                        .map_err(|e| e.to_string())?,
                    browser::Entry::Form(form) => memory
                        .browser(name)
                        .request(form.method, form.action, Some(form.fields))
                        .await
                        .map_err(|e| e.to_string())?,
                };
                hops.push(hop);
                continue;
            }
        }
        if !at_provider(&last.url) || last.status != 200 {
            // The client (or the provider) answered with a page of its own: the step's answer.
            let received = received_of(last);
            return Ok(Performed {
                received: Some(received),
                hops,
                browser: login.browser.clone(),
                ..Performed::default()
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
            fields.push(("username".into(), user.clone()));
            if let Some(password) = &login.password {
                fields.push(("password".into(), password.clone()));
            }
            fields.push(("action".into(), "login".into()));
        }
        let hop = memory
            .browser(name)
            .request(form.method, form.action, Some(fields))
            .await
            .map_err(|e| e.to_string())?;
        hops.push(hop);
    }
}

/// Delivers the redirect back to the client, changed as the step says, and follows the client.
async fn deliver_callback(
    memory: &mut Memory,
    mut hops: Vec<Hop>,
    callback: url::Url,
    login: &Login,
    user: &str,
) -> Result<Performed, String> {
    let mut url = callback;
    let change = login.callback.clone().unwrap_or_default();
    // The provider's answer: in the redirect's query, or in the form a page posts to the
    // callback (`response_mode=form_post`).
    let posted = hops
        .last()
        .and_then(fauxauth_browser::self_submitting)
        .filter(|form| form.action == url);
    let mut params: Vec<(String, String)> = match &posted {
        Some(form) => form.fields.clone(),
        None => url.query_pairs().into_owned().collect(),
    };
    for (name, value) in &change.params {
        params.retain(|(k, _)| k != name);
        if let Some(value) = value {
            params.push((name.clone(), interpolate(value, memory)?));
        }
    }
    if posted.is_none() && !change.params.is_empty() {
        url.set_query(Some(&encode(&params)));
    }
    for (name, value) in &params {
        if matches!(name.as_str(), "code" | "state" | "iss" | "error") {
            memory.vars.insert(name.clone(), value.clone());
        }
    }
    memory.vars.insert("callback".into(), url.to_string());
    let name = login.browser.as_deref();
    if !change.deliver {
        // Kept, not delivered: the provider's redirect is the step's answer.
        let received = received_of(hops.last().expect("at least one hop"));
        return Ok(Performed {
            received: Some(received),
            hops,
            browser: login.browser.clone(),
            ..Performed::default()
        });
    }
    memory.session(name).1 = Some(user.to_owned());
    let times = if change.twice { 2 } else { 1 };
    for _ in 0..times {
        let (method, form) = match &posted {
            Some(_) => (Method::POST, Some(params.clone())),
            None => (Method::GET, None),
        };
        let hop = memory
            .browser(name)
            .request(method, url.clone(), form)
            .await
            .map_err(|e| e.to_string())?;
        hops.push(hop);
        let client = url.origin();
        memory
            .browser(name)
            .follow(&mut hops, |next| {
                (next.origin() == client).then(|| next.clone())
            })
            .await
            .map_err(|e| e.to_string())?;
    }
    let received = received_of(hops.last().expect("at least one hop"));
    Ok(Performed {
        received: Some(received),
        hops,
        browser: login.browser.clone(),
        ..Performed::default()
    })
}

/// A URL opened in a browser (a callback replayed in another one, say), following the client's
/// redirects only: a browser sent on to the provider stops there, so the provider cannot log it
/// in afresh.
async fn browse_open(
    world: &Ecosystem,
    memory: &mut Memory,
    open: &Open,
) -> Result<Performed, String> {
    let slot = world.client.as_ref().ok_or("no client is running")?;
    let text = interpolate(&open.url, memory)?;
    let url = if text.starts_with("http://") || text.starts_with("https://") {
        url::Url::parse(&text)
    } else {
        url::Url::parse(&format!("{}{text}", slot.url))
    }
    .map_err(|e| format!("{text:?}: {e}"))?;
    let client = url::Url::parse(&slot.url)
        .map_err(|e| e.to_string())?
        .origin();
    let mut performed = navigate(memory, open.browser.as_deref(), url, |next| {
        next.origin() == client
    })
    .await?;
    performed.browser = open.browser.clone();
    Ok(performed)
}

/// `rule` with `${name}` in its strings filled in from what the scenario remembered.
fn rule_with_vars(
    rule: &fauxauth_core::rules::Rule,
    memory: &Memory,
) -> Result<fauxauth_core::rules::Rule, String> {
    fn fill(value: &mut Value, memory: &Memory) -> Result<(), String> {
        match value {
            Value::String(s) if s.contains("${") => *s = interpolate(s, memory)?,
            Value::Array(items) => {
                for item in items {
                    fill(item, memory)?;
                }
            }
            Value::Object(map) => {
                for item in map.values_mut() {
                    fill(item, memory)?;
                }
            }
            _ => {}
        }
        Ok(())
    }
    let mut value = serde_json::to_value(rule).map_err(|e| e.to_string())?;
    fill(&mut value, memory)?;
    serde_json::from_value(value).map_err(|e| e.to_string())
}

/// A person uses the client after logging in: its logged-in page (the sign's, or its root),
/// then each page of its own that page leads to by a link or a GET form, as a person clicking
/// through would. Logouts are left out, so the session lasts the walk.
async fn explore(world: &Ecosystem, memory: &mut Memory) -> Result<Performed, String> {
    const MOST: usize = 12;
    let slot = world.client.as_ref().ok_or("no client is running")?;
    let start = match &slot.app {
        crate::scenario::ecosystem::App::UnderTest(sign) => sign.path.clone(),
        crate::scenario::ecosystem::App::Reference(_) => "/".to_owned(),
    };
    let base = url::Url::parse(&slot.url).map_err(|e| e.to_string())?;
    let client = base.origin();
    let first = base.join(&start).map_err(|e| e.to_string())?;
    let mut performed = navigate(memory, None, first, |next| next.origin() == client).await?;
    let page = performed.hops.last().expect("at least one hop").clone();
    let mut targets: Vec<url::Url> = browser::links(&page.body, &page.url)
        .into_iter()
        .chain(
            browser::forms(&page.body, &page.url)
                .into_iter()
                .filter(|f| f.method == Method::GET)
                .map(|f| f.action),
        )
        .filter(|u| u.origin() == client)
        .filter(|u| {
            let path = u.path().to_ascii_lowercase();
            !["logout", "signout", "sign-out", "log-out", "logoff"]
                .iter()
                .any(|w| path.contains(w))
        })
        .collect();
    targets.dedup();
    for target in targets.into_iter().take(MOST) {
        let more = navigate(memory, None, target, |next| next.origin() == client).await?;
        performed.hops.extend(more.hops);
        performed.received = more.received;
    }
    Ok(performed)
}

/// A person logs out through the client: its logout page's form, then wherever it leads,
/// confirming at the provider when it asks.
async fn browse_logout(world: &Ecosystem, memory: &mut Memory) -> Result<Performed, String> {
    let slot = world.client.as_ref().ok_or("no client is running")?;
    let logout = slot
        .logout_path
        .as_deref()
        .ok_or("the client has no logout")?;
    let start = url::Url::parse(&format!("{}{logout}", slot.url)).map_err(|e| e.to_string())?;
    let browser = memory.browser(None);
    let mut hops = vec![
        browser
            .request(Method::GET, start, None)
            .await
            .map_err(|e| e.to_string())?,
    ];
    // Submit the client's confirmation form, then its form to the provider's end-session
    // endpoint; the walk ends once the browser has been to the provider and followed it back.
    let client = url::Url::parse(&slot.url)
        .map_err(|e| e.to_string())?
        .origin();
    let provider = url::Url::parse(&world.origin())
        .map_err(|e| e.to_string())?
        .origin();
    let mut left = false;
    for _ in 0..3 {
        browser
            .follow(&mut hops, |next| Some(next.clone()))
            .await
            .map_err(|e| e.to_string())?;
        let last = hops.last().expect("at least one hop");
        left |= hops.iter().any(|h| h.url.origin() != client);
        let Some(form) = browser::forms(&last.body, &last.url).into_iter().next() else {
            break;
        };
        let at_provider = last.url.origin() == provider;
        let leaves = form.action.origin() != client;
        // After its confirmation, a client that logs out on its own (a provider without an
        // end-session endpoint, as GitHub) is done: its page's form is not the way out. Back
        // from the provider, the client's page is the end.
        if (left && !at_provider) || (!leaves && hops.len() > 1 && !at_provider) {
            break;
        }
        let mut fields = form.fields;
        // The provider asks before ending a session it was shown no ID token of.
        if at_provider && fields.iter().any(|(k, _)| k == "confirm") {
            fields.push(("decision".into(), "logout".into()));
        }
        let hop = browser
            .request(form.method, form.action, Some(fields))
            .await
            .map_err(|e| e.to_string())?;
        hops.push(hop);
    }
    browser
        .follow(&mut hops, |next| Some(next.clone()))
        .await
        .map_err(|e| e.to_string())?;
    memory.session(None).1 = None;
    let received = received_of(hops.last().expect("at least one hop"));
    Ok(Performed {
        received: Some(received),
        hops,
        ..Performed::default()
    })
}

/// Opens `url` in a browser and follows the redirects `follow` allows.
pub async fn navigate(
    memory: &mut Memory,
    browser: Option<&str>,
    url: url::Url,
    follow: impl Fn(&url::Url) -> bool,
) -> Result<Performed, String> {
    let browser = memory.browser(browser);
    let mut hops = vec![
        browser
            .request(Method::GET, url, None)
            .await
            .map_err(|e| e.to_string())?,
    ];
    browser
        .follow(&mut hops, |next| follow(next).then(|| next.clone()))
        .await
        .map_err(|e| e.to_string())?;
    let received = received_of(hops.last().expect("at least one hop"));
    Ok(Performed {
        received: Some(received),
        hops,
        ..Performed::default()
    })
}

fn received_of(hop: &Hop) -> Received {
    Received::new(hop.status, hop.headers.clone(), hop.body.clone())
}

/// The parameters of an authorization request (sent to `/authorize`, or pushed to the PAR
/// endpoint), filled in for the client unless `raw`, remembered for the token step.
fn authorization_params(
    world: &Ecosystem,
    memory: &mut Memory,
    a: &Authorize,
) -> Result<Vec<(String, String)>, String> {
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
    // A raw request forgets the verifier, unless it carries a pushed request (RFC 9126), which
    // the verifier remembered when pushed belongs to.
    let pushed = a.params.contains_key("request_uri");
    if a.params.contains_key("code_challenge") || (a.raw && !pushed) {
        memory.vars.remove("code_verifier");
    }
    // The token step repeats the redirect URI the request really carried.
    if !a.raw && a.params.contains_key("redirect_uri") {
        match params.iter().find(|(k, _)| k == "redirect_uri") {
            Some((_, uri)) => memory.vars.insert("redirect_uri".into(), uri.clone()),
            None => memory.vars.remove("redirect_uri"),
        };
    }
    Ok(params)
}

/// An authorization request, filled in for the client unless `raw`.
fn authorize(world: &Ecosystem, memory: &mut Memory, a: &Authorize) -> Result<Sent, String> {
    let path = match &a.path {
        Some(path) => path.clone(),
        None => provider_target(world, "authorize")?,
    };
    let params = authorization_params(world, memory, a)?;
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
pub fn provider_target(world: &Ecosystem, endpoint: &str) -> Result<String, String> {
    let url = world.endpoint(endpoint).ok_or_else(|| {
        format!(
            "the provider (preset {}) serves no {endpoint} endpoint",
            world.config.issuers[0].preset
        )
    })?;
    let issuer = world.issuer_base();
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
    let path = match &call.path {
        Some(path) => path.clone(),
        None => provider_target(world, endpoint)?,
    };
    let client = world.client(&call.client);
    let mut form: Vec<(String, String)> = Vec::new();
    if token_defaults {
        let grant = call
            .form
            .get("grant_type")
            .cloned()
            .flatten()
            .unwrap_or_else(|| match call.grant_assertion {
                Some(_) => "urn:ietf:params:oauth:grant-type:jwt-bearer".to_owned(),
                None => "authorization_code".to_owned(),
            });
        form.push(("grant_type".into(), grant.clone()));
        let defaults: &[&str] = match grant.as_str() {
            "authorization_code" => &["code", "redirect_uri", "code_verifier"],
            "refresh_token" => &["refresh_token"],
            "urn:ietf:params:oauth:grant-type:device_code" => &["device_code"],
            _ => &[],
        };
        for name in defaults {
            if let Some(value) = memory.vars.get(*name) {
                form.push(((*name).to_owned(), value.clone()));
            }
        }
    }
    if let Some(spec) = &call.grant_assertion {
        form.push((
            "assertion".into(),
            super::assertion::grant(world, memory, spec)?,
        ));
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
        ClientAuth::Auto if secret.is_none() && client.is_some_and(|c| c.team_id.is_some()) => {
            ClientAuth::SignedSecret
        }
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
        ClientAuth::SignedSecret => {
            let signed = super::assertion::make(
                world,
                memory,
                &call.client,
                None,
                auth,
                call.assertion.as_ref(),
            )?;
            form.push(("client_id".into(), call.client.clone()));
            form.push(("client_secret".into(), signed));
        }
        ClientAuth::ClientSecretJwt | ClientAuth::PrivateKeyJwt => {
            let assertion = super::assertion::make(
                world,
                memory,
                &call.client,
                secret.as_deref(),
                auth,
                call.assertion.as_ref(),
            )?;
            form.push((
                "client_assertion_type".into(),
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".into(),
            ));
            form.push(("client_assertion".into(), assertion));
        }
        ClientAuth::None | ClientAuth::Auto => {}
    }
    if let Some(spec) = &call.dpop {
        let url = world
            .endpoint(endpoint)
            .ok_or_else(|| format!("the provider serves no {endpoint} endpoint"))?;
        let now = fauxauth_core::unix(world.clock.now());
        headers.push((
            "dpop".into(),
            super::dpop::proof(memory, spec, now, "POST", &url, None)?,
        ));
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
    world: &Ecosystem,
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
    let target = interpolate(path, memory)?;
    let mut headers = Vec::new();
    match &call.dpop {
        Some(spec) => {
            let url = match server {
                Server::Resource => format!("{}{target}", world.resource_url()),
                _ if target.starts_with("http") => target.clone(),
                _ => format!("{}{target}", world.issuer_base()),
            };
            let now = fauxauth_core::unix(world.clock.now());
            let proof = super::dpop::proof(memory, spec, now, method.as_str(), &url, Some(&token))?;
            headers.push(("authorization".to_owned(), format!("DPoP {token}")));
            headers.push(("dpop".to_owned(), proof));
        }
        None => headers.push(("authorization".to_owned(), format!("Bearer {token}"))),
    }
    if body.is_some() {
        headers.push(("content-type".into(), "application/json".into()));
    }
    Ok(Sent {
        server,
        method,
        target,
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
        Server::Provider => world.issuer_base(),
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
    if let (Server::Provider, Some(cookie)) = (sent.server, memory.browser(None).cookie_header()) {
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
            memory.browser(None).keep_cookie(&value);
        }
        headers.entry(name.as_str().to_owned()).or_insert(value);
    }
    let body = response
        .text()
        .await
        .map_err(|e| format!("the body could not be read: {e}"))?;
    Ok(Received::new(status, headers, body))
}
