//! Running one scenario: its steps in order against a world, each step's expectations judged,
//! every exchange written to a transcript. By idea, as mini-redis keeps one command to a file:
//!
//! - `act`: what each step does (requests, and a person's browser through client and provider);
//! - `expect`: judging a step's result against what the scenario says it must show;
//! - `capture`: what a scenario remembers between steps.

mod act;
mod assertion;
pub use assertion::{CLIENT_KEY_ID, CLIENT_KEY_PEM};
mod capture;
mod dpop;
mod exchange;
mod expect;

use mock_provider::Scripted as _;
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

use super::ecosystem::{App, Ecosystem};
use super::load::Loaded;
use super::model::{Step, action_name};
use super::transcript::Labels;
use act::{Performed, perform};
use capture::{Memory, capture, remember};
use expect::{Evidence, SignSeen, judge};
use fauxauth_browser::{self as browser, Hop};

pub use capture::lookup;
pub use expect::unguessable;

/// How one scenario went.
#[derive(Clone, Debug)]
pub struct Outcome {
    pub name: String,
    pub path: String,
    pub tags: Vec<String>,
    pub failures: Vec<Failure>,
    /// The transcript, as YAML, stable across runs.
    pub transcript: String,
    /// The same transcript as data (addresses already placeholders), for reports that draw it.
    pub record: Value,
    pub elapsed: Duration,
}

impl Outcome {
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }

    fn new(loaded: &Loaded) -> Self {
        Self {
            name: loaded.scenario.name.clone(),
            path: loaded.path.display().to_string(),
            tags: loaded.scenario.tags.clone(),
            failures: Vec::new(),
            transcript: String::new(),
            record: Value::Null,
            elapsed: Duration::ZERO,
        }
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

/// Runs one scenario to the end (or its first step that cannot run).
pub async fn run(loaded: &Loaded) -> Outcome {
    run_with(loaded, &[]).await
}

/// Runs one scenario in a world of its own, with these protections of the reference client
/// switched off.
pub async fn run_with(loaded: &Loaded, weaknesses: &[sample_client::Weakness]) -> Outcome {
    let started = Instant::now();
    let scenario = &loaded.scenario;
    let world = match Ecosystem::start(&scenario.setup, scenario.uses_client(), weaknesses).await {
        Ok(world) => world,
        Err(e) => {
            let mut outcome = Outcome::new(loaded);
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
    run_in(loaded, &world).await
}

/// Runs one scenario's steps in `world`, which the caller made ready (an app under test's world,
/// reset between checks).
pub async fn run_in(loaded: &Loaded, world: &Ecosystem) -> Outcome {
    let started = Instant::now();
    let scenario = &loaded.scenario;
    let mut outcome = Outcome::new(loaded);
    let http = reqwest::Client::builder()
        .use_preconfigured_tls(world.browser_trust.client_config())
        .no_proxy()
        .user_agent(browser::USER_AGENT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client");
    let mut memory = Memory::new(world.clock.clone(), world.browser_trust.clone());
    memory.vars.extend(world.people_vars());
    memory.vars.insert("issuer".into(), world.issuer());
    if let Some(client) = &world.client {
        memory.vars.insert("client".into(), client.url.clone());
    }
    memory
        .vars
        .insert("dpop_jkt".into(), dpop::KEY.jkt().to_owned());
    let client_url = world
        .client
        .as_ref()
        .map(|c| c.url.clone())
        .unwrap_or_default();
    let mut labels = Labels::new(&world.issuer_base(), &world.resource_url(), &client_url);
    let mut transcript = Vec::new();

    for (i, step) in scenario.steps.iter().enumerate() {
        let label = match &step.name {
            Some(name) => format!("{} ({name})", i + 1),
            None => (i + 1).to_string(),
        };
        let since = world.clock.last_tick();
        let result = perform(world, &http, &mut memory, step).await;
        let mut entry = Map::new();
        entry.insert("step".into(), json!(label));
        entry.insert("action".into(), json!(action_name(&step.action)));
        let Performed {
            sent,
            received,
            mut hops,
            browser,
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
        let mut sign_seqs = Vec::new();
        let sign = match look_for_sign(world, &mut memory, step, browser.as_deref()).await {
            Ok(Some((seen, sign_hops))) => {
                sign_seqs.extend(sign_hops.iter().map(|h| h.seq));
                hops.extend(sign_hops);
                Some(seen)
            }
            Ok(None) => None,
            Err(e) => {
                outcome.failures.push(Failure {
                    step: label.clone(),
                    check: "client.logged_in".into(),
                    expected: "the app's logged-in sign looked for".into(),
                    actual: e,
                    context: String::new(),
                });
                None
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
        }
        for (name, source) in &step.capture {
            match capture(received.as_ref(), source, world, since) {
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
        let exchanges = exchanges(world, &mut labels, &hops, &sign_seqs, since);
        if !exchanges.is_empty() {
            entry.insert("exchanges".into(), Value::Array(exchanges));
        }
        let evidence = Evidence {
            received: received.as_ref(),
            hops: &hops,
            sign: sign.as_ref(),
            since,
            vars: &memory.vars,
        };
        let failures = judge(world, &step.expect, &evidence);
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
    let record = json!({ "scenario": scenario.name, "steps": transcript });
    outcome.transcript = labels.render(&record);
    outcome.record = labels.placeholders(&record);
    outcome.elapsed = started.elapsed();
    outcome
}

/// For an app under test whose step asks whether someone is logged in: opens the app's sign
/// page in the step's browser (following the app's own redirects only) and reads it for the
/// person's sign. `None` when the step does not ask, or the client is the reference client,
/// whose pages say it in markers.
async fn look_for_sign(
    world: &Ecosystem,
    memory: &mut Memory,
    step: &Step,
    step_browser: Option<&str>,
) -> Result<Option<(SignSeen, Vec<Hop>)>, String> {
    let Some(expect) = step
        .expect
        .client
        .as_ref()
        .filter(|c| c.logged_in.is_some())
    else {
        return Ok(None);
    };
    let Some(slot) = &world.client else {
        return Ok(None);
    };
    let App::UnderTest(sign) = &slot.app else {
        return Ok(None);
    };
    let browser = match &expect.browser {
        Some(name) => Some(capture::interpolate(name, memory)?),
        None => step_browser.map(str::to_owned),
    };
    let browser = browser.as_deref();
    let user = match &expect.user {
        Some(user) => capture::interpolate(user, memory)?,
        None => memory
            .session(browser)
            .1
            .clone()
            .unwrap_or_else(|| world.person.clone()),
    };
    let url = url::Url::parse(&format!("{}{}", slot.url, sign.path)).map_err(|e| e.to_string())?;
    let client = url.origin();
    let performed = act::navigate(memory, browser, url, |next| next.origin() == client).await?;
    let last = performed.hops.last().expect("at least one hop");
    let text = browser::visible_text(&last.body);
    let wanted = sign.text_for(world.user(&user));
    let status_ok = sign.status.is_none_or(|s| s == last.status);
    let shows = wanted.as_deref().is_none_or(|w| text.contains(w));
    let landed_on_sign = last.url.path() == sign.path || sign.status.is_none();
    let logged_in = status_ok && shows && (landed_on_sign || wanted.is_some());
    let excerpt: String = text.chars().take(160).collect();
    let shown = format!(
        "{} {} answered {}: {excerpt:?}",
        last.method,
        last.url.path(),
        last.status
    );
    Ok(Some((
        SignSeen {
            user,
            logged_in,
            shown,
        },
        performed.hops,
    )))
}

/// Every exchange of a step, in the order it happened: the browsers' hops, and what the
/// provider and resource saw from anyone but the harness itself (the client's calls, the
/// resource fetching keys).
/// The hops in `sign_seqs` were the harness looking for an app's logged-in sign, and say so.
fn exchanges(
    world: &Ecosystem,
    labels: &mut Labels,
    hops: &[Hop],
    sign_seqs: &[u64],
    since: u64,
) -> Vec<Value> {
    let mut items: Vec<(u64, Value)> = hops
        .iter()
        .map(|hop| {
            let mut value = labels.hop(hop);
            if sign_seqs.contains(&hop.seq) {
                value["looking_for_the_sign"] = json!(true);
            }
            (hop.seq, value)
        })
        .collect();
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
