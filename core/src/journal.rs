//! The request journal: every request a server handled and what it answered, with secrets masked,
//! queryable by filters, with verification helpers ("called N times", "never called").
//!
//! Secrets and tokens are never stored: each is replaced by `[masked:xxxxxxxx]`, the first eight
//! hex digits of its SHA-256, so a test can still see that two requests carried the same token.
//! The journal keeps the most recent entries only (a bounded ring), so memory stays flat however
//! long a server runs.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// Parameters, JSON members and headers whose values are secrets or tokens.
const SECRET_NAMES: &[&str] = &[
    "client_secret",
    "password",
    "code",
    "code_verifier",
    "refresh_token",
    "access_token",
    "id_token",
    "token",
    "id_token_hint",
    "client_assertion",
    "assertion",
    "logout_token",
    "device_code",
];

/// Request headers worth recording (the rest are noise or secrets).
const REQUEST_HEADERS: &[&str] = &[
    "accept",
    "authorization",
    "content-type",
    "cookie",
    "origin",
    "user-agent",
];

/// Response headers worth recording.
const RESPONSE_HEADERS: &[&str] = &[
    "cache-control",
    "content-type",
    "location",
    "retry-after",
    "set-cookie",
    "www-authenticate",
];

/// Bodies longer than this are cut.
const MAX_BODY: usize = 16 * 1024;

/// One request and its response.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Entry {
    /// The event number of the clock the server runs on: increasing, never reused (even after
    /// `clear`), and shared with every component on that clock, so journals of one world
    /// interleave in the order things happened.
    pub seq: u64,
    /// Which kind of server answered (`provider`, `resource`).
    pub server: String,
    pub endpoint: String,
    pub method: String,
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub query: Map<String, Value>,
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub form: Map<String, Value>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub headers: BTreeMap<String, String>,
    /// 0 when the connection was dropped without an answer.
    pub status: u16,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub response_headers: BTreeMap<String, String>,
    /// JSON bodies as JSON (tokens masked), others as text.
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub response_body: Value,
    /// Virtual time, milliseconds since the Unix epoch.
    pub time_ms: i64,
    /// Wall-clock time, milliseconds since the Unix epoch.
    pub wall_time_ms: i64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules_fired: Vec<String>,
}

/// Which entries a query wants. Every condition given must hold.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Entries after this sequence number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub since: Option<u64>,
    /// Entries where this rule fired.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
}

impl Filter {
    /// Requests to one endpoint.
    pub fn endpoint(name: &str) -> Self {
        Self {
            endpoint: Some(name.to_owned()),
            ..Self::default()
        }
    }

    pub fn matches(&self, e: &Entry) -> bool {
        let eq = |want: &Option<String>, have: Option<&str>| {
            want.as_deref().is_none_or(|w| Some(w) == have)
        };
        eq(&self.endpoint, Some(&e.endpoint))
            && self
                .method
                .as_deref()
                .is_none_or(|m| m.eq_ignore_ascii_case(&e.method))
            && eq(&self.path, Some(&e.path))
            && eq(&self.issuer, e.issuer.as_deref())
            && eq(&self.client_id, e.client_id.as_deref())
            && eq(&self.grant_type, e.grant_type.as_deref())
            && eq(&self.user, e.user.as_deref())
            && self.status.is_none_or(|s| s == e.status)
            && self.since.is_none_or(|s| e.seq > s)
            && self
                .rule
                .as_deref()
                .is_none_or(|r| e.rules_fired.iter().any(|f| f == r))
    }
}

/// How many matching entries a verification expects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Expect {
    Times(usize),
    AtLeast(usize),
    Never,
}

/// A verification that did not hold: what was expected, what was found.
#[derive(Clone, Debug, PartialEq, Serialize, thiserror::Error, JsonSchema)]
#[error("expected {expected:?} matching requests, found {actual}")]
pub struct Mismatch {
    pub expected: Expect,
    pub actual: usize,
    pub matching: Vec<Entry>,
}

/// A bounded journal of one server.
#[derive(Debug)]
pub struct Journal {
    entries: Mutex<VecDeque<Held>>,
    capacity: usize,
}

/// An entry as the journal holds it: what filters read, as fields; the rest (parameters,
/// headers, the response body: most of an entry, and already masked) as its JSON text, read
/// back when the entry is. As a tree of JSON values a token response took about four times
/// the memory, and ten thousand of them stayed resident.
#[derive(Debug)]
struct Held {
    /// The entry with the parts in `bulk` left empty.
    entry: Entry,
    bulk: Box<str>,
}

/// The parts of an entry held as text.
#[derive(Default, Serialize, Deserialize)]
struct Bulk {
    query: Map<String, Value>,
    form: Map<String, Value>,
    headers: BTreeMap<String, String>,
    response_headers: BTreeMap<String, String>,
    response_body: Value,
}

impl Held {
    fn new(mut entry: Entry) -> Self {
        let bulk = Bulk {
            query: std::mem::take(&mut entry.query),
            form: std::mem::take(&mut entry.form),
            headers: std::mem::take(&mut entry.headers),
            response_headers: std::mem::take(&mut entry.response_headers),
            response_body: entry.response_body.take(),
        };
        let bulk = serde_json::to_string(&bulk).expect("journal entries serialize to JSON");
        Self {
            entry,
            bulk: bulk.into_boxed_str(),
        }
    }

    fn entry(&self) -> Entry {
        let mut entry = self.entry.clone();
        // Written by `new` from JSON values, so it reads back exactly.
        let bulk: Bulk = serde_json::from_str(&self.bulk).unwrap_or_default();
        entry.query = bulk.query;
        entry.form = bulk.form;
        entry.headers = bulk.headers;
        entry.response_headers = bulk.response_headers;
        entry.response_body = bulk.response_body;
        entry
    }
}

impl Default for Journal {
    fn default() -> Self {
        Self::with_capacity(10_000)
    }
}

impl Journal {
    pub fn with_capacity(capacity: usize) -> Self {
        Self {
            entries: Mutex::new(VecDeque::with_capacity(capacity.min(1024))),
            capacity: capacity.max(1),
        }
    }

    /// Records an entry, whose `seq` the caller drew from the clock (see [`crate::Clock::tick`]).
    pub fn record(&self, entry: Entry) {
        // Turned into text before the lock is taken, so recorders do not wait on each other.
        let held = Held::new(entry);
        let mut entries = self.lock();
        let oldest = if entries.len() == self.capacity {
            entries.pop_front()
        } else {
            None
        };
        // Concurrent recorders may arrive out of order; keep the journal sorted by seq. They
        // almost never do, so the end is tried before a search.
        let seq = held.entry.seq;
        let at = match entries.back() {
            Some(last) if last.entry.seq > seq => entries.partition_point(|h| h.entry.seq < seq),
            _ => entries.len(),
        };
        entries.insert(at, held);
        drop(entries);
        drop(oldest);
    }

    pub fn query(&self, filter: &Filter) -> Vec<Entry> {
        self.lock()
            .iter()
            .filter(|h| filter.matches(&h.entry))
            .map(Held::entry)
            .collect()
    }

    pub fn count(&self, filter: &Filter) -> usize {
        self.lock()
            .iter()
            .filter(|h| filter.matches(&h.entry))
            .count()
    }

    /// Checks how many entries match.
    pub fn verify(&self, filter: &Filter, expect: Expect) -> Result<(), Mismatch> {
        let matching = self.query(filter);
        let actual = matching.len();
        let ok = match expect {
            Expect::Times(n) => actual == n,
            Expect::AtLeast(n) => actual >= n,
            Expect::Never => actual == 0,
        };
        if ok {
            Ok(())
        } else {
            Err(Mismatch {
                expected: expect,
                actual,
                matching,
            })
        }
    }

    /// The sequence number of the latest entry still held (0 when none), for `since` filters.
    pub fn last_seq(&self) -> u64 {
        self.lock().back().map_or(0, |h| h.entry.seq)
    }

    pub fn clear(&self) {
        self.lock().clear();
    }

    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, VecDeque<Held>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// `[masked:xxxxxxxx]`: a secret replaced by a short fingerprint of it.
pub fn mask(secret: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let digest = Sha256::digest(secret.as_bytes());
    let mut out = String::with_capacity(17);
    out.push_str("[masked:");
    for b in &digest[..4] {
        out.push(char::from(HEX[usize::from(b >> 4)]));
        out.push(char::from(HEX[usize::from(b & 0xf)]));
    }
    out.push(']');
    out
}

fn is_secret(name: &str) -> bool {
    SECRET_NAMES.contains(&name)
}

/// URL-encoded parameters as a JSON object, secrets masked; repeated names become arrays.
pub fn params(encoded: &[u8]) -> Map<String, Value> {
    let mut out = Map::new();
    for (name, value) in form_urlencoded::parse(encoded) {
        let value = if is_secret(&name) {
            mask(&value)
        } else {
            value.into_owned()
        };
        match out.get_mut(name.as_ref()) {
            None => {
                out.insert(name.into_owned(), Value::String(value));
            }
            Some(Value::Array(values)) => values.push(Value::String(value)),
            Some(existing) => {
                let first = existing.take();
                *existing = Value::Array(vec![first, Value::String(value)]);
            }
        }
    }
    out
}

/// Allow-listed request headers, credentials masked (the scheme is kept).
pub fn request_headers(headers: &axum::http::HeaderMap) -> BTreeMap<String, String> {
    pick(headers, REQUEST_HEADERS)
}

/// Allow-listed response headers; secrets in a `Location` query are masked.
pub fn response_headers(headers: &axum::http::HeaderMap) -> BTreeMap<String, String> {
    pick(headers, RESPONSE_HEADERS)
}

fn pick(headers: &axum::http::HeaderMap, names: &[&str]) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for name in names {
        let Some(value) = headers.get(*name).and_then(|v| v.to_str().ok()) else {
            continue;
        };
        let value = match *name {
            "authorization" => match value.split_once(' ') {
                Some((scheme, credential)) => format!("{scheme} {}", mask(credential.trim())),
                None => mask(value),
            },
            "cookie" | "set-cookie" => mask_cookie(value),
            "location" => mask_location(value),
            _ => value.to_owned(),
        };
        out.insert((*name).to_owned(), value);
    }
    out
}

fn mask_cookie(value: &str) -> String {
    value
        .split(';')
        .map(|part| match part.split_once('=') {
            Some((name, v))
                if !name.trim().eq_ignore_ascii_case("path")
                    && !name.trim().eq_ignore_ascii_case("max-age") =>
            {
                format!("{name}={}", mask(v))
            }
            _ => part.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(";")
}

fn mask_location(value: &str) -> String {
    let Some((base, query)) = value.split_once('?') else {
        return value.to_owned();
    };
    let mut serializer = form_urlencoded::Serializer::new(String::new());
    for (name, v) in form_urlencoded::parse(query.as_bytes()) {
        let v = if is_secret(&name) {
            mask(&v)
        } else {
            v.into_owned()
        };
        serializer.append_pair(&name, &v);
    }
    format!("{base}?{}", serializer.finish())
}

/// A response body for the journal: JSON with token members masked, or (cut) text.
pub fn body(content_type: Option<&str>, bytes: &[u8]) -> Value {
    if bytes.is_empty() {
        return Value::Null;
    }
    if content_type.is_some_and(|c| c.contains("json"))
        && let Ok(mut value) = serde_json::from_slice::<Value>(bytes)
    {
        mask_json(&mut value);
        return value;
    }
    let cut = &bytes[..bytes.len().min(MAX_BODY)];
    Value::String(String::from_utf8_lossy(cut).into_owned())
}

fn mask_json(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (name, v) in map.iter_mut() {
                match v {
                    Value::String(s) if is_secret(name) => *v = masked_token(s),
                    _ => mask_json(v),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(mask_json),
        _ => {}
    }
}

/// A secret as the journal keeps it: its fingerprint, and for a JWT also its header and claims.
/// Those are what the token says, readable by anyone who holds it; without the signature they
/// cannot be turned back into a usable token.
fn masked_token(secret: &str) -> Value {
    match crate::wire::unverified_header_and_claims(secret) {
        Some((header, claims)) => {
            serde_json::json!({ "masked": mask(secret), "header": header, "claims": claims })
        }
        None => Value::String(mask(secret)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(seq: u64, endpoint: &str, status: u16) -> Entry {
        Entry {
            seq,
            server: "provider".into(),
            endpoint: endpoint.into(),
            method: "POST".into(),
            path: format!("/{endpoint}"),
            issuer: None,
            client_id: Some("web".into()),
            grant_type: None,
            user: None,
            query: Map::new(),
            form: Map::new(),
            headers: BTreeMap::new(),
            status,
            response_headers: BTreeMap::new(),
            response_body: Value::Null,
            time_ms: 0,
            wall_time_ms: 0,
            rules_fired: Vec::new(),
        }
    }

    #[test]
    fn secrets_are_masked_but_recognisable() {
        let form =
            params(b"grant_type=authorization_code&code=abc&client_secret=s&state=x&state=y");
        assert_eq!(form["grant_type"], "authorization_code");
        assert_eq!(form["code"], mask("abc"));
        // SHA-256("abc") begins ba7816bf (FIPS 180-2, appendix B.1).
        assert_eq!(mask("abc"), "[masked:ba7816bf]");
        assert_ne!(form["code"], mask("abd"));
        assert_eq!(form["state"], serde_json::json!(["x", "y"]));
        let body = body(
            Some("application/json"),
            br#"{"access_token":"t","nested":{"refresh_token":"r"},"scope":"openid"}"#,
        );
        assert_eq!(body["access_token"], mask("t"));
        let jwt = format!(
            "eyJhbGciOiJSUzI1NiJ9.{}.c2ln",
            base64::Engine::encode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                br#"{"sub":"alice"}"#
            )
        );
        let decoded = super::body(
            Some("application/json"),
            serde_json::json!({ "id_token": jwt })
                .to_string()
                .as_bytes(),
        );
        assert_eq!(decoded["id_token"]["masked"], mask(&jwt));
        assert_eq!(decoded["id_token"]["claims"]["sub"], "alice");
        assert_eq!(decoded["id_token"]["header"]["alg"], "RS256");
        assert!(
            !decoded.to_string().contains("c2ln"),
            "no signature is kept"
        );
        assert_eq!(body["nested"]["refresh_token"], mask("r"));
        assert_eq!(body["scope"], "openid");
        assert_eq!(
            mask_location("https://rp/cb?code=c1&state=s"),
            format!(
                "https://rp/cb?code={}&state=s",
                mask("c1")
                    .replace(':', "%3A")
                    .replace('[', "%5B")
                    .replace(']', "%5D")
            )
        );
    }

    #[test]
    fn verification_counts_matching_entries() {
        let journal = Journal::default();
        journal.record(entry(1, "token", 200));
        journal.record(entry(2, "token", 400));
        journal.record(entry(3, "userinfo", 200));
        assert_eq!(
            journal.verify(&Filter::endpoint("token"), Expect::Times(2)),
            Ok(())
        );
        assert_eq!(
            journal.verify(&Filter::endpoint("introspect"), Expect::Never),
            Ok(())
        );
        let mismatch = journal
            .verify(&Filter::endpoint("userinfo"), Expect::Never)
            .unwrap_err();
        assert_eq!(mismatch.actual, 1);
        let failed = Filter {
            status: Some(400),
            ..Filter::default()
        };
        assert_eq!(journal.count(&failed), 1);
        assert_eq!(
            journal.count(&Filter {
                since: Some(2),
                ..Filter::default()
            }),
            1
        );
    }

    #[test]
    fn an_entry_reads_back_exactly_as_recorded() {
        let mut full = entry(7, "token", 200);
        full.issuer = Some("default".into());
        full.query = params(b"a=1&a=2&b=%C3%A9");
        full.form = params(b"grant_type=authorization_code&code=c&code_verifier=v");
        full.headers
            .insert("authorization".into(), "Basic [masked:00000000]".into());
        full.response_headers
            .insert("cache-control".into(), "no-store".into());
        full.response_body = serde_json::json!({
            "access_token": { "masked": "[masked:12345678]", "claims": { "exp": 1_900_000_000u64, "amount": -1.5, "ok": true, "none": null } },
            "scope": "openid",
            "list": [1, "two", { "three": 3 }],
        });
        full.rules_fired = vec!["r1".into()];
        let journal = Journal::default();
        journal.record(full.clone());
        assert_eq!(journal.query(&Filter::default()), [full.clone()]);
        assert_eq!(
            journal.verify(&Filter::endpoint("token"), Expect::Never),
            Err(Mismatch {
                expected: Expect::Never,
                actual: 1,
                matching: vec![full],
            })
        );
    }

    #[test]
    fn the_journal_keeps_only_the_latest_entries() {
        let journal = Journal::with_capacity(3);
        for seq in [1, 2, 4, 3, 5] {
            journal.record(entry(seq, "token", 200));
        }
        let seqs: Vec<u64> = journal
            .query(&Filter::default())
            .iter()
            .map(|e| e.seq)
            .collect();
        assert_eq!(seqs, [3, 4, 5], "the newest three, in order");
        assert_eq!(journal.last_seq(), 5);
        journal.clear();
        assert_eq!(journal.last_seq(), 0);
    }
}
