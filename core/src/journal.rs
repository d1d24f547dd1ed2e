//! The request journal: every request a server handled and what it answered, with secrets masked,
//! queryable by filters, with verification helpers ("called N times", "never called").
//!
//! Secrets and tokens are never stored: each is replaced by `[masked:xxxxxxxx]`, a fingerprint
//! (HMAC-SHA-256 under a key drawn once per process, cut to eight hex digits), so a test can
//! still see that two requests carried the same token, and no one can confirm a guess at a
//! masked password from the journal alone. [`mask`] gives a value's fingerprint in the same
//! process (the admin API offers it as `POST /_fauxauth/journal/fingerprint`).
//!
//! The journal is bounded however it is fed (see [`Limits`]): by entries and by bytes, the
//! oldest entries leaving first; each recorded value, parameter list and body is cut to a size
//! no honest OAuth request comes near, and an entry says which of its parts were cut.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Mutex, OnceLock};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

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

/// Parameters carrying a JWT the client made (RFC 7521 §4.1, §4.2): kept masked, with the
/// header and claims it shows, as JSON tokens are.
const ASSERTION_NAMES: &[&str] = &["client_assertion", "assertion", "logout_token"];

/// Request headers worth recording (the rest are noise or secrets).
const REQUEST_HEADERS: &[&str] = &[
    "accept",
    "authorization",
    "content-type",
    "cookie",
    // A DPoP proof (RFC 9449 §4): made for one request, kept as sent to show what the app proved.
    "dpop",
    "origin",
    "user-agent",
];

/// Response headers worth recording.
const RESPONSE_HEADERS: &[&str] = &[
    "cache-control",
    "content-type",
    "dpop-nonce",
    "location",
    "retry-after",
    "set-cookie",
    "www-authenticate",
];

/// Response bodies longer than this are cut (as text; a JSON body too big is kept as its text).
const MAX_BODY: usize = 16 * 1024;
/// A parameter or header value longer than this is cut.
pub const MAX_VALUE: usize = 4 * 1024;
/// A parameter name longer than this is cut.
const MAX_NAME: usize = 128;
/// Parameters kept per query or form: distinct names, and values of one name.
const MAX_PARAMS: usize = 64;
const MAX_REPEATS: usize = 16;
/// A path longer than this is cut.
const MAX_PATH: usize = 2 * 1024;

/// How much a journal holds. Defaults: 10,000 entries and 16 MiB, whichever comes first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// The most entries kept (the oldest leave first).
    #[serde(default = "default_entries")]
    pub entries: usize,
    /// The most memory the entries may take, in MiB (counted as the bytes of their text).
    #[serde(default = "default_mib")]
    pub max_mib: usize,
}

fn default_entries() -> usize {
    10_000
}

fn default_mib() -> usize {
    16
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            entries: default_entries(),
            max_mib: default_mib(),
        }
    }
}

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
    /// The parts of the entry that were too big to keep whole, and were cut (`path`, `query`,
    /// `form`, `headers`, `facts` (client, grant type, user), `response_headers`,
    /// `response_body`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cut: Vec<String>,
}

impl Entry {
    /// Notes that `part` was cut.
    pub fn mark_cut(&mut self, part: &str) {
        if !self.cut.iter().any(|c| c == part) {
            self.cut.push(part.to_owned());
        }
    }
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
    entries: Mutex<Ring>,
    capacity: usize,
    max_bytes: usize,
}

/// The entries held, oldest first, and the bytes they take.
#[derive(Debug, Default)]
struct Ring {
    entries: VecDeque<Held>,
    bytes: usize,
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

impl Held {
    /// What the entry takes, near enough: its text, and the fixed part.
    fn bytes(&self) -> usize {
        let e = &self.entry;
        std::mem::size_of::<Self>()
            + self.bulk.len()
            + e.server.len()
            + e.endpoint.len()
            + e.method.len()
            + e.path.len()
            + [&e.issuer, &e.client_id, &e.grant_type, &e.user]
                .iter()
                .map(|s| s.as_ref().map_or(0, String::len))
                .sum::<usize>()
            + e.rules_fired.iter().map(String::len).sum::<usize>()
    }
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
        Self::new(Limits::default())
    }
}

impl Journal {
    pub fn new(limits: Limits) -> Self {
        Self {
            entries: Mutex::new(Ring {
                entries: VecDeque::with_capacity(limits.entries.min(1024)),
                bytes: 0,
            }),
            capacity: limits.entries.max(1),
            max_bytes: limits.max_mib.saturating_mul(1024 * 1024).max(1),
        }
    }

    /// A journal of at most `capacity` entries, and the default bytes.
    pub fn with_capacity(capacity: usize) -> Self {
        Self::new(Limits {
            entries: capacity,
            ..Limits::default()
        })
    }

    /// Records an entry, whose `seq` the caller drew from the clock (see [`crate::Clock::tick`]).
    pub fn record(&self, entry: Entry) {
        // Turned into text before the lock is taken, so recorders do not wait on each other.
        let held = Held::new(entry);
        let size = held.bytes();
        let mut ring = self.lock();
        let mut evicted = Vec::new();
        while !ring.entries.is_empty()
            && (ring.entries.len() >= self.capacity || ring.bytes + size > self.max_bytes)
        {
            let oldest = ring.entries.pop_front().expect("not empty");
            ring.bytes -= oldest.bytes();
            evicted.push(oldest);
        }
        // Concurrent recorders may arrive out of order; keep the journal sorted by seq. They
        // almost never do, so the end is tried before a search.
        let seq = held.entry.seq;
        let at = match ring.entries.back() {
            Some(last) if last.entry.seq > seq => {
                ring.entries.partition_point(|h| h.entry.seq < seq)
            }
            _ => ring.entries.len(),
        };
        ring.bytes += size;
        ring.entries.insert(at, held);
        drop(ring);
        // Freed outside the lock.
        drop(evicted);
    }

    /// The bytes the held entries take, as the byte limit counts them.
    pub fn bytes(&self) -> usize {
        self.lock().bytes
    }

    pub fn query(&self, filter: &Filter) -> Vec<Entry> {
        self.lock()
            .entries
            .iter()
            .filter(|h| filter.matches(&h.entry))
            .map(Held::entry)
            .collect()
    }

    pub fn count(&self, filter: &Filter) -> usize {
        self.lock()
            .entries
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
        self.lock().entries.back().map_or(0, |h| h.entry.seq)
    }

    pub fn clear(&self) {
        let mut ring = self.lock();
        ring.entries.clear();
        ring.bytes = 0;
    }

    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lock().entries.is_empty()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Ring> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The key fingerprints are made under: drawn from the operating system once per process, so a
/// fingerprint cannot be checked against a dictionary of guesses outside the process. Not from
/// a seed, on purpose: this is the one value fauxauth wants unreproducible.
fn fingerprint_key() -> &'static aws_lc_rs::hmac::Key {
    static KEY: OnceLock<aws_lc_rs::hmac::Key> = OnceLock::new();
    KEY.get_or_init(|| {
        let rng = aws_lc_rs::rand::SystemRandom::new();
        aws_lc_rs::hmac::Key::generate(aws_lc_rs::hmac::HMAC_SHA256, &rng)
            .expect("the system's random generator works")
    })
}

/// `[masked:xxxxxxxx]`: a secret replaced by a short fingerprint of it (stable within this
/// process, unpredictable outside it).
pub fn mask(secret: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let tag = aws_lc_rs::hmac::sign(fingerprint_key(), secret.as_bytes());
    let digest = tag.as_ref();
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

/// `text` cut to at most `max` bytes (at a character boundary), and whether it was.
pub fn cut(text: &str, max: usize) -> (&str, bool) {
    if text.len() <= max {
        return (text, false);
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    (&text[..end], true)
}

/// URL-encoded parameters as a JSON object, secrets masked; repeated names become arrays.
/// Bounded: names, values and how many of each are kept are capped; the flag says whether
/// anything was left out or cut.
pub fn params(encoded: &[u8]) -> (Map<String, Value>, bool) {
    let mut out = Map::new();
    let mut was_cut = false;
    for (name, value) in form_urlencoded::parse(encoded) {
        let value = if ASSERTION_NAMES.contains(&&*name) && value.len() <= MAX_VALUE {
            // What an app's client assertion said is what a test of it needs to see.
            masked_token(&value)
        } else if is_secret(&name) {
            Value::String(mask(&value))
        } else {
            let (kept, cut_here) = cut(&value, MAX_VALUE);
            was_cut |= cut_here;
            Value::String(kept.to_owned())
        };
        let (name, cut_name) = cut(&name, MAX_NAME);
        was_cut |= cut_name;
        let full = out.len() >= MAX_PARAMS;
        match out.get_mut(name) {
            None if full => was_cut = true,
            None => {
                out.insert(name.to_owned(), value);
            }
            Some(Value::Array(values)) if values.len() >= MAX_REPEATS => was_cut = true,
            Some(Value::Array(values)) => values.push(value),
            Some(existing) => {
                let first = existing.take();
                *existing = Value::Array(vec![first, value]);
            }
        }
    }
    (out, was_cut)
}

/// A request path as the journal keeps it, and whether it was cut.
pub fn path(path: &str) -> (String, bool) {
    let (kept, was_cut) = cut(path, MAX_PATH);
    (kept.to_owned(), was_cut)
}

/// Allow-listed request headers, credentials masked (the scheme is kept); whether any was cut.
pub fn request_headers(headers: &axum::http::HeaderMap) -> (BTreeMap<String, String>, bool) {
    pick(headers, REQUEST_HEADERS)
}

/// Allow-listed response headers; secrets in a `Location` query are masked.
pub fn response_headers(headers: &axum::http::HeaderMap) -> (BTreeMap<String, String>, bool) {
    pick(headers, RESPONSE_HEADERS)
}

fn pick(headers: &axum::http::HeaderMap, names: &[&str]) -> (BTreeMap<String, String>, bool) {
    let mut out = BTreeMap::new();
    let mut was_cut = false;
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
        let (kept, cut_here) = cut(&value, MAX_VALUE);
        was_cut |= cut_here;
        out.insert((*name).to_owned(), kept.to_owned());
    }
    (out, was_cut)
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

/// A response body for the journal, secrets masked whatever its media type (JSON members,
/// form-encoded parameters, XML elements named as secrets), and whether it was cut.
pub fn body(content_type: Option<&str>, bytes: &[u8]) -> (Value, bool) {
    if bytes.is_empty() {
        return (Value::Null, false);
    }
    let media = content_type
        .and_then(|c| c.split(';').next())
        .map(|c| c.trim().to_ascii_lowercase())
        .unwrap_or_default();
    if media.contains("json")
        && bytes.len() <= MAX_BODY
        && let Ok(mut value) = serde_json::from_slice::<Value>(bytes)
    {
        mask_json(&mut value);
        return (value, false);
    }
    let text = String::from_utf8_lossy(bytes);
    let masked = if media == "application/x-www-form-urlencoded" {
        mask_form(&text)
    } else if media.contains("xml") {
        mask_xml(&text)
    } else if media.contains("json") {
        // Too big to keep as a tree: masked member by member in its text.
        mask_json_text(&text)
    } else {
        text.into_owned()
    };
    let (kept, was_cut) = cut(&masked, MAX_BODY);
    (Value::String(kept.to_owned()), was_cut)
}

/// Form-encoded text with the values of secret names masked.
fn mask_form(text: &str) -> String {
    let mut serializer = form_urlencoded::Serializer::new(String::new());
    for (name, v) in form_urlencoded::parse(text.as_bytes()) {
        let v = if is_secret(&name) {
            mask(&v)
        } else {
            v.into_owned()
        };
        serializer.append_pair(&name, &v);
    }
    serializer.finish()
}

/// XML text with the content of elements named as secrets masked (`<access_token>…</…>`, as
/// GitHub answers `Accept: application/xml`).
fn mask_xml(text: &str) -> String {
    let mut out = text.to_owned();
    for name in SECRET_NAMES {
        let (open, close) = (format!("<{name}>"), format!("</{name}>"));
        let mut from = 0;
        while let Some(start) = out[from..].find(&open).map(|i| from + i + open.len()) {
            let Some(end) = out[start..].find(&close).map(|i| start + i) else {
                break;
            };
            let masked = mask(&out[start..end]);
            out.replace_range(start..end, &masked);
            from = start + masked.len() + close.len();
        }
    }
    out
}

/// JSON text too big to parse for the journal: every string member named as a secret masked.
fn mask_json_text(text: &str) -> String {
    let mut out = text.to_owned();
    for name in SECRET_NAMES {
        let key = format!("\"{name}\":");
        let mut from = 0;
        while let Some(at) = out[from..].find(&key).map(|i| from + i + key.len()) {
            let rest = &out[at..];
            let skipped = rest.len() - rest.trim_start().len();
            let start = at + skipped + 1;
            if !out[at + skipped..].starts_with('"') {
                from = at;
                continue;
            }
            let Some(end) = out[start..].find('"').map(|i| start + i) else {
                break;
            };
            let masked = mask(&out[start..end]);
            out.replace_range(start..end, &masked);
            from = start + masked.len();
        }
    }
    out
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
            cut: Vec::new(),
        }
    }

    #[test]
    fn secrets_are_masked_but_recognisable() {
        let (form, cut) =
            params(b"grant_type=authorization_code&code=abc&client_secret=s&state=x&state=y");
        assert!(!cut);
        assert_eq!(form["grant_type"], "authorization_code");
        assert_eq!(form["code"], mask("abc"));
        assert_eq!(mask("abc"), mask("abc"), "stable within the process");
        assert_ne!(form["code"], mask("abd"));
        // SHA-256("abc") begins ba7816bf (FIPS 180-2, appendix B.1): the fingerprint is keyed,
        // so a plain digest of a guess does not confirm it.
        assert_ne!(mask("abc"), "[masked:ba7816bf]");
        assert_eq!(form["state"], serde_json::json!(["x", "y"]));
        let (body, _) = body(
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
        let (decoded, _) = super::body(
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
    fn a_client_assertion_is_kept_masked_with_what_it_said() {
        let jwt = format!(
            "eyJhbGciOiJFUzI1NiJ9.{}.c2ln",
            base64::Engine::encode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                br#"{"sub":"app","aud":"https://op/token"}"#
            )
        );
        let encoded = form_urlencoded::Serializer::new(String::new())
            .append_pair("client_assertion", &jwt)
            .append_pair("assertion", "not-a-jwt")
            .finish();
        let (form, _) = params(encoded.as_bytes());
        assert_eq!(form["client_assertion"]["masked"], mask(&jwt));
        assert_eq!(
            form["client_assertion"]["claims"]["aud"],
            "https://op/token"
        );
        assert_eq!(form["client_assertion"]["header"]["alg"], "ES256");
        assert!(
            !Value::Object(form.clone()).to_string().contains("c2ln"),
            "no signature is kept"
        );
        assert_eq!(form["assertion"], mask("not-a-jwt"));
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
        full.query = params(b"a=1&a=2&b=%C3%A9").0;
        full.form = params(b"grant_type=authorization_code&code=c&code_verifier=v").0;
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

    #[test]
    fn secrets_are_masked_in_form_encoded_xml_and_oversized_json_answers() {
        let (form, _) = body(
            Some("application/x-www-form-urlencoded; charset=utf-8"),
            b"access_token=gho_secret1&scope=repo%2Cgist&token_type=bearer&refresh_token=ghr_2",
        );
        let form = form.as_str().unwrap();
        assert!(
            !form.contains("gho_secret1") && !form.contains("ghr_2"),
            "{form}"
        );
        assert!(form.contains("scope=repo%2Cgist"), "{form}");
        let (xml, _) = body(
            Some("application/xml"),
            b"<OAuth><access_token>gho_secret1</access_token><token_type>bearer</token_type></OAuth>",
        );
        let xml = xml.as_str().unwrap();
        assert!(!xml.contains("gho_secret1"), "{xml}");
        assert!(xml.contains(&mask("gho_secret1")), "{xml}");
        let big = format!(
            r#"{{"access_token": "tok_secret", "padding": "{}"}}"#,
            "x".repeat(MAX_BODY)
        );
        let (text, was_cut) = body(Some("application/json"), big.as_bytes());
        assert!(was_cut);
        let text = text.as_str().unwrap();
        assert!(!text.contains("tok_secret") && text.contains(&mask("tok_secret")));
    }

    #[test]
    fn oversized_requests_are_cut_and_say_so() {
        let huge = format!("grant_type={}&a=1", "%01".repeat(1024 * 1024));
        let (form, was_cut) = params(huge.as_bytes());
        assert!(was_cut);
        assert_eq!(form["grant_type"].as_str().unwrap().len(), MAX_VALUE);
        let many: String = (0..1000).map(|i| format!("p{i}=1&r=2&")).collect();
        let (form, was_cut) = params(many.as_bytes());
        assert!(was_cut);
        assert_eq!(form.len(), MAX_PARAMS);
        assert_eq!(form["r"].as_array().unwrap().len(), MAX_REPEATS);
        let (kept, was_cut) = cut("héllo", 2);
        assert_eq!((kept, was_cut), ("h", true), "cut at a character boundary");
    }

    #[test]
    fn the_journal_is_bounded_by_bytes_as_well_as_entries() {
        let journal = Journal::new(Limits {
            entries: 10_000,
            max_mib: 1,
        });
        for seq in 1..=2_000 {
            let mut e = entry(seq, "token", 400);
            e.response_body = Value::String("x".repeat(MAX_BODY));
            journal.record(e);
        }
        assert!(journal.bytes() <= 1024 * 1024, "{}", journal.bytes());
        assert!(journal.len() < 100, "{}", journal.len());
        assert_eq!(journal.last_seq(), 2_000, "the newest are kept");
        journal.clear();
        assert_eq!(journal.bytes(), 0);
    }
}
