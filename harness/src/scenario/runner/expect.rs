//! Expecting: judging a step's result against what the scenario says it must show.

use mock_provider::Scripted as _;
use serde_json::{Value, json};

use super::capture::{lookup, text_of};
use super::exchange::Received;
use crate::scenario::ecosystem::{App, Ecosystem};
use crate::scenario::model::{ClientExpect, Expect, JournalExpect, Matcher, Server};
use fauxauth_browser::Hop;

/// What an app under test showed when its logged-in sign was looked for after a step.
#[derive(Clone, Debug)]
pub struct SignSeen {
    /// Whose sign was looked for.
    pub user: String,
    /// The sign showed, for that person.
    pub logged_in: bool,
    /// The page's status and the start of its text, to say what was seen instead.
    pub shown: String,
}

/// What a step gave to be judged.
#[derive(Debug)]
pub struct Evidence<'a> {
    pub received: Option<&'a Received>,
    /// The browsers' hops during the step.
    pub hops: &'a [Hop],
    /// The app's sign, when the step asked whether someone is logged in.
    pub sign: Option<&'a SignSeen>,
    /// The clock's event number when the step began: the journals' entries after it are the
    /// step's.
    pub since: u64,
    /// What the scenario remembered, for `${name}` in expected values.
    pub vars: &'a std::collections::HashMap<String, String>,
}

/// `matcher` with `${name}` in its values filled in from what the scenario remembered (names
/// without a value are left as they are).
fn with_vars(matcher: &Matcher, vars: &std::collections::HashMap<String, String>) -> Matcher {
    fn filled(v: &Value, vars: &std::collections::HashMap<String, String>) -> Value {
        match v {
            Value::String(s) if s.contains("${") => {
                let mut out = s.clone();
                for (name, value) in vars {
                    out = out.replace(&format!("${{{name}}}"), value);
                }
                Value::String(out)
            }
            // Inside an expected object or array too (`cnf: {jkt: "${dpop_jkt}"}`).
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), filled(v, vars)))
                    .collect(),
            ),
            Value::Array(items) => Value::Array(items.iter().map(|v| filled(v, vars)).collect()),
            other => other.clone(),
        }
    }
    let fill = |v: &Value| filled(v, vars);
    match matcher {
        Matcher::Equals(v) => Matcher::Equals(fill(v)),
        Matcher::Not(v) => Matcher::Not(fill(v)),
        Matcher::OneOf(vs) => Matcher::OneOf(vs.iter().map(fill).collect()),
        Matcher::Contains(s) => match fill(&Value::String(s.clone())) {
            Value::String(s) => Matcher::Contains(s),
            _ => matcher.clone(),
        },
        Matcher::NotContains(s) => match fill(&Value::String(s.clone())) {
            Value::String(s) => Matcher::NotContains(s),
            _ => matcher.clone(),
        },
        other => other.clone(),
    }
}

/// Every failed check of `expect`: (check, expected, actual).
pub fn judge(
    world: &Ecosystem,
    expect: &Expect,
    evidence: &Evidence<'_>,
) -> Vec<(String, String, String)> {
    let received = evidence.received;
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
        || expect.client.as_ref().is_some_and(|c| {
            // An app's sign is looked for by the harness itself, after any step.
            evidence.sign.is_none() || c.shows.is_some() || c.hides.is_some() || c.error.is_some()
        });
    match received {
        None if needs_answer => check(
            "answer".into(),
            "an HTTP answer".into(),
            "this step sends no request".into(),
            false,
        ),
        None => {
            if let Some(c) = &expect.client {
                judge_client(c, None, world, evidence, &mut check);
            }
        }
        Some(r) => {
            if let Some(c) = &expect.client {
                judge_client(c, Some(r), world, evidence, &mut check);
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
                let (ok, shown) =
                    matches(&with_vars(matcher, evidence.vars), actual.as_ref(), world);
                check(format!("params.{name}"), describe(matcher), shown, ok);
            }
            for (name, matcher) in &expect.headers {
                let actual = r
                    .headers
                    .get(&name.to_ascii_lowercase())
                    .map(|v| Value::String(v.clone()));
                let (ok, shown) =
                    matches(&with_vars(matcher, evidence.vars), actual.as_ref(), world);
                check(format!("headers.{name}"), describe(matcher), shown, ok);
            }
            for (path, matcher) in &expect.json {
                let actual = r.json.as_ref().and_then(|j| lookup(j, path));
                let (ok, shown) = matches(&with_vars(matcher, evidence.vars), actual, world);
                check(format!("json.{path}"), describe(matcher), shown, ok);
            }
            for (name, matcher) in &expect.form {
                let actual = r
                    .form
                    .as_ref()
                    .and_then(|f| f.get(name))
                    .map(|v| Value::String(v.clone()));
                let (ok, shown) =
                    matches(&with_vars(matcher, evidence.vars), actual.as_ref(), world);
                check(format!("form.{name}"), describe(matcher), shown, ok);
            }
            if let Some(matcher) = &expect.body {
                let actual = Value::String(r.body.clone());
                let (ok, shown) = matches(&with_vars(matcher, evidence.vars), Some(&actual), world);
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
                    // A claim by its name (which may hold dots: `https://example.com/roles`),
                    // else by a dotted path into it (`realm_access.roles.0`).
                    let (part, name) = match claim.strip_prefix("header.") {
                        Some(h) => (&parts["header"], h),
                        None => (&parts["claims"], claim.as_str()),
                    };
                    let actual = part.get(name).or_else(|| lookup(part, name));
                    let (ok, shown) = matches(&with_vars(matcher, evidence.vars), actual, world);
                    check(format!("jwt.{path}.{claim}"), describe(matcher), shown, ok);
                }
            }
        }
    }
    for j in &expect.journal {
        let count = journal_count(world, j, evidence.vars);
        let (ok, wanted) = match (j.times, j.never) {
            (_, true) => (count == 0, "no request".to_owned()),
            (Some(n), false) => (count == n, format!("{n} requests")),
            (None, false) => (count > 0, "at least one request".to_owned()),
        };
        let mut filter = serde_json::to_value(j.filter()).unwrap_or_default();
        for (part, matchers) in [
            ("query", &j.query),
            ("form", &j.form),
            ("headers", &j.headers),
        ] {
            if !matchers.is_empty() {
                filter[part] = serde_json::to_value(
                    matchers
                        .iter()
                        .map(|(k, m)| (k.clone(), describe(m)))
                        .collect::<std::collections::BTreeMap<_, _>>(),
                )
                .unwrap_or_default();
            }
        }
        check(
            format!("journal {} {filter}", j.server),
            wanted,
            format!("{count} requests"),
            ok,
        );
    }
    if expect.no_secrets_in_urls {
        for leak in secrets_in_urls(world, evidence) {
            check(
                "no_secrets_in_urls".into(),
                "no secret or token in any URL".into(),
                leak,
                false,
            );
        }
    }
    failures
}

/// How many journal entries match `j`: its filter, and its parameter and header matchers.
fn journal_count(
    world: &Ecosystem,
    j: &JournalExpect,
    vars: &std::collections::HashMap<String, String>,
) -> usize {
    let journal = match j.server {
        Server::Provider => world.provider.provider().journal(),
        Server::Resource => world.resource.state().journal(),
    };
    if j.query.is_empty() && j.form.is_empty() && j.headers.is_empty() {
        return journal.count(&j.filter());
    }
    journal
        .query(&j.filter())
        .iter()
        .filter(|e| {
            let holds = |matchers: &std::collections::BTreeMap<String, Matcher>,
                         values: &dyn Fn(&str) -> Option<Value>| {
                matchers
                    .iter()
                    .all(|(name, m)| matches(&with_vars(m, vars), values(name).as_ref(), world).0)
            };
            holds(&j.query, &|n| e.query.get(n).cloned())
                && holds(&j.form, &|n| e.form.get(n).cloned())
                && holds(&j.headers, &|n| {
                    e.headers.get(&n.to_ascii_lowercase()).map(|v| json!(v))
                })
        })
        .count()
}

/// Parameters that are secrets or tokens, which no URL may carry (RFC 6750 §2.3, RFC 6749
/// §2.3.1 and §10.3, RFC 9700 §4.3). `code`, the one credential the code flow puts in a URL, is
/// not among them; hints (`id_token_hint`) are.
const SECRET_PARAMS: [&str; 6] = [
    "client_secret",
    "access_token",
    "refresh_token",
    "id_token",
    "code_verifier",
    "password",
];

/// Each URL of the step that carried a secret: the browsers' hops, and the requests the
/// provider and resource received from anyone.
fn secrets_in_urls(world: &Ecosystem, evidence: &Evidence<'_>) -> Vec<String> {
    let mut found = Vec::new();
    for hop in evidence.hops {
        for (name, _) in hop.url.query_pairs() {
            if SECRET_PARAMS.contains(&name.as_ref()) {
                found.push(format!(
                    "the browser opened {} with {name} in its query",
                    hop.url.path()
                ));
            }
        }
        if let Some(fragment) = hop.url.fragment() {
            for (name, _) in form_urlencoded::parse(fragment.as_bytes()) {
                if SECRET_PARAMS.contains(&name.as_ref()) {
                    found.push(format!(
                        "the browser opened {} with {name} in its fragment",
                        hop.url.path()
                    ));
                }
            }
        }
    }
    let filter = fauxauth_core::journal::Filter {
        since: Some(evidence.since),
        ..Default::default()
    };
    for (server, journal) in [
        ("provider", world.provider.provider().journal()),
        ("resource", world.resource.state().journal()),
    ] {
        for e in journal.query(&filter) {
            for name in e.query.keys() {
                if SECRET_PARAMS.contains(&name.as_str()) {
                    found.push(format!(
                        "the {server} received {} {} with {name} in its query",
                        e.method, e.path
                    ));
                }
            }
        }
    }
    found
}

/// What the client showed. The reference client says it in markers: its state header
/// (`logged-in`, `logged-out`) and its error header (the check that refused). An app under test
/// is judged as a person would: its logged-in sign, the page's text, its status codes.
fn judge_client(
    expect: &ClientExpect,
    r: Option<&Received>,
    world: &Ecosystem,
    evidence: &Evidence<'_>,
    check: &mut impl FnMut(String, String, String, bool),
) {
    let reference = world
        .client
        .as_ref()
        .is_some_and(|c| matches!(c.app, App::Reference(_)));
    let header = |name: &str| r.and_then(|r| r.headers.get(name)).cloned();
    let state = header(sample_client::STATE_HEADER.as_str()).unwrap_or_else(|| "no state".into());
    let error = header(sample_client::ERROR_HEADER.as_str());
    let (status, body) = r.map_or((0, ""), |r| (r.status, r.body.as_str()));
    if let Some(logged_in) = expect.logged_in {
        if reference {
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
        } else {
            match evidence.sign {
                Some(sign) => check(
                    "client.logged_in".into(),
                    format!(
                        "{} the logged-in sign for {}",
                        if logged_in { "shows" } else { "does not show" },
                        sign.user
                    ),
                    sign.shown.clone(),
                    sign.logged_in == logged_in,
                ),
                None => check(
                    "client.logged_in".into(),
                    "the app's logged-in sign looked for".into(),
                    "the step had no browser to look with".into(),
                    false,
                ),
            }
        }
    }
    if let Some(false) = expect.server_error {
        let client = world
            .client
            .as_ref()
            .map(|c| c.url.clone())
            .unwrap_or_default();
        for hop in evidence.hops {
            if hop.status >= 500 && hop.url.as_str().starts_with(&client) {
                check(
                    "client.server_error".into(),
                    "no page of the app answers with a 5xx: it fails gracefully".into(),
                    format!("{} {} answered {}", hop.method, hop.url.path(), hop.status),
                    false,
                );
            }
        }
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
            format!("{status} ({state})"),
            body.contains(text.as_str()),
        );
    }
    if let Some(text) = &expect.hides {
        check(
            "client.hides".into(),
            format!("a page not showing {text:?}"),
            format!("{status} ({state}) showing it"),
            !body.contains(text.as_str()),
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

pub fn matches(matcher: &Matcher, actual: Option<&Value>, world: &Ecosystem) -> (bool, String) {
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
        (Matcher::Not(want), a) => a.is_none_or(|have| !equal(want, have)),
        (Matcher::NotContains(part), a) => {
            a.is_none_or(|have| !text_of(have).contains(part.as_str()))
        }
        (Matcher::Unguessable(u), a) => a.is_some_and(|v| unguessable(&text_of(v))) == *u,
        (_, None) => false,
        (Matcher::Equals(want), Some(have)) => equal(want, have),
        (Matcher::Contains(part), Some(have)) => text_of(have).contains(part.as_str()),
        (Matcher::OneOf(options), Some(have)) => options.iter().any(|o| equal(o, have)),
        (Matcher::Matches(pattern), Some(have)) => pattern.0.is_match(&text_of(have)),
    };
    (ok, shown)
}

fn describe(matcher: &Matcher) -> String {
    match matcher {
        Matcher::Equals(v) => text_of(v),
        Matcher::Present(true) => "present".into(),
        Matcher::Present(false) => "absent".into(),
        Matcher::Contains(s) => format!("something containing {s:?}"),
        Matcher::NotContains(s) => format!("something not containing {s:?}"),
        Matcher::OneOf(v) => format!("one of {}", Value::Array(v.clone())),
        Matcher::Not(v) => format!("anything but {}", text_of(v)),
        Matcher::Unguessable(true) => "a value no one can guess (96 bits or more)".into(),
        Matcher::Unguessable(false) => "a guessable value".into(),
        Matcher::Matches(pattern) => format!("something matching /{}/", pattern.0),
    }
}

/// Whether `value` looks like 96 bits or more of randomness: judged from the alphabet it draws
/// on and its length, discounting values that use few symbols, and plain counters. A state or a
/// nonce is not a credential RFC 6749 §10.10 asks 128 bits of; it must only be "non-guessable"
/// (§10.12), and 96 bits is far beyond any number of tries an attacker gets (Authlib draws 20
/// letters and digits, 119 bits). A heuristic, on the safe side: a value that passes is long and
/// varied; `state-1`, a timestamp or a user id does not.
pub fn unguessable(value: &str) -> bool {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() < 16 {
        return false;
    }
    let distinct: std::collections::BTreeSet<char> = chars.iter().copied().collect();
    let (digits, lower, upper, other) = chars.iter().fold((false, false, false, false), |a, c| {
        (
            a.0 || c.is_ascii_digit(),
            a.1 || c.is_ascii_lowercase(),
            a.2 || c.is_ascii_uppercase(),
            a.3 || !c.is_ascii_alphanumeric(),
        )
    });
    // The alphabet the value seems drawn from: hex for lowercase hex digits alone, and so on.
    let hex = chars.iter().all(|c| c.is_ascii_hexdigit());
    let alphabet: f64 = if hex && !upper {
        16.0
    } else {
        [(digits, 10.0), (lower, 26.0), (upper, 26.0), (other, 2.0)]
            .iter()
            .filter(|(used, _)| *used)
            .map(|(_, n)| n)
            .sum()
    };
    // A value using few of its alphabet's symbols, or all digits (a counter, a timestamp), is not
    // random whatever its length.
    if distinct.len() < 8 || chars.iter().all(char::is_ascii_digit) {
        return false;
    }
    chars.len() as f64 * alphabet.log2() >= 96.0
}

/// The header and claims of a compact JWS, unverified: as every fauxauth component reads them.
pub use fauxauth_core::wire::unverified_header_and_claims as decode_jwt;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_values_are_unguessable_and_counters_are_not() {
        for good in [
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
            "6f1ed002ab5595859014ebf0951522d9",
            "Zm9vYmFyYmF6cXV4cXV1eDEyMzQ1Njc4OQ",
        ] {
            assert!(unguessable(good), "{good}");
        }
        for bad in [
            "state-1",
            "1700000000123456789",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            "abcabcabcabcabcabcabcabc",
            "login-state-0001",
            "",
        ] {
            assert!(!unguessable(bad), "{bad}");
        }
    }
}
