//! What a scenario remembers between steps: values it captured or learned by itself, requests it
//! sent (for replays), and its browsers.

use mock_provider::Scripted as _;
use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use super::exchange::{Received, Sent};
use crate::scenario::ecosystem::Ecosystem;
use crate::scenario::model::Source;
use fauxauth_browser::Browser;

/// The browser a step uses when it names none.
pub const PERSON: &str = "person";

/// What a scenario remembers between steps.
#[derive(Debug)]
pub struct Memory {
    pub vars: HashMap<String, String>,
    pub sent: HashMap<String, Sent>,
    /// Browsers by name, each with its cookies, and who last logged in with it.
    pub browsers: BTreeMap<String, (Browser, Option<String>)>,
    pub authorizations: u32,
    clock: fauxauth_core::Clock,
    /// What the browsers trust over HTTPS.
    trust: fauxauth_core::Trust,
}

impl Memory {
    pub fn new(clock: fauxauth_core::Clock, trust: fauxauth_core::Trust) -> Self {
        Self {
            vars: HashMap::new(),
            sent: HashMap::new(),
            browsers: BTreeMap::new(),
            authorizations: 0,
            clock,
            trust,
        }
    }

    /// The browser named `name` (`person` when `None`), opened on first use.
    pub fn browser(&mut self, name: Option<&str>) -> &mut Browser {
        &mut self.session(name).0
    }

    /// The browser named `name` and who last logged in with it.
    pub fn session(&mut self, name: Option<&str>) -> &mut (Browser, Option<String>) {
        let (clock, trust) = (&self.clock, &self.trust);
        self.browsers
            .entry(name.unwrap_or(PERSON).to_owned())
            .or_insert_with(|| (Browser::trusting(clock.clone(), trust), None))
    }
}

/// What every answer teaches for later steps: a code and state from a redirect, tokens from a
/// token response.
pub fn remember(memory: &mut Memory, received: &Received) {
    for name in ["code", "state", "iss", "error"] {
        if let Some(value) = received.params.get(name) {
            memory.vars.insert(name.to_owned(), value.clone());
        }
    }
    // RFC 9449 §8: the nonce the next DPoP proof must carry.
    if let Some(nonce) = received.headers.get("dpop-nonce") {
        memory.vars.insert("dpop_nonce".into(), nonce.clone());
    }
    for name in [
        "access_token",
        "refresh_token",
        "id_token",
        "device_code",
        "user_code",
        "request_uri",
    ] {
        if let Some(value) = received.member(name) {
            memory.vars.insert(name.to_owned(), value);
        }
    }
}

/// The value at `source`, in the step's answer or in the provider's journal since `since`.
pub fn capture(
    received: Option<&Received>,
    source: &str,
    world: &Ecosystem,
    since: u64,
) -> Option<String> {
    match Source::parse(source).ok()? {
        Source::Json(path) => lookup(received?.json.as_ref()?, &path).map(text_of),
        Source::Form(name) => received?.form.as_ref()?.get(&name).cloned(),
        Source::Param(name) => received?.params.get(&name).cloned(),
        Source::Header(name) => received?.headers.get(&name).cloned(),
        Source::Status => Some(received?.status.to_string()),
        Source::Journal {
            endpoint,
            form,
            name,
        } => {
            let filter = fauxauth_core::journal::Filter {
                endpoint: Some(endpoint),
                since: Some(since),
                ..Default::default()
            };
            let entries = world.provider.provider().journal().query(&filter);
            let entry = entries.last()?;
            let params = if form { &entry.form } else { &entry.query };
            params.get(&name).map(text_of)
        }
    }
}

pub fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `a.b.0.c` in a JSON value. A member whose name has dots (`https://slack.com/user_id`) is
/// found by its whole name, at any depth: the whole rest of the path is tried as a name first,
/// then the shortest split that leads somewhere.
pub fn lookup<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    let step = |v: &'a Value, part: &str| match v {
        Value::Array(items) => items.get(part.parse::<usize>().ok()?),
        other => other.get(part),
    };
    if let Some(found) = step(value, path) {
        return Some(found);
    }
    path.match_indices('.').find_map(|(at, _)| {
        let child = step(value, &path[..at])?;
        lookup(child, &path[at + 1..])
    })
}

/// Replaces `${name}` with remembered values.
pub fn interpolate(text: &str, memory: &Memory) -> Result<String, String> {
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

pub fn encode(pairs: &[(String, String)]) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    s.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_reach_members_whose_names_have_dots() {
        let value = serde_json::json!({
            "a": { "b": [1, { "c": 2 }] },
            "https://slack.com/team_id": "T1",
            "team": { "https://slack.com/x": "y" },
        });
        assert_eq!(lookup(&value, "a.b.1.c"), Some(&serde_json::json!(2)));
        assert_eq!(
            lookup(&value, "https://slack.com/team_id"),
            Some(&serde_json::json!("T1"))
        );
        assert_eq!(
            lookup(&value, "team.https://slack.com/x"),
            Some(&serde_json::json!("y"))
        );
        assert_eq!(lookup(&value, "a.b.2"), None);
        assert_eq!(lookup(&value, "https://slack.com/user_id"), None);
    }
}
