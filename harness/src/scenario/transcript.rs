//! Transcripts: every exchange of a scenario, in order, written so that two runs give the same
//! bytes. Secrets and one-time values get stable labels in order of appearance (`code#1`,
//! `access_token#2`); JWTs are shown decoded (header and claims, never the signature); the servers'
//! addresses, which change every run, are written `{provider}` and `{resource}`.

use std::collections::{BTreeMap, HashMap};

use reqwest::Method;
use serde_json::{Map, Value, json};

use super::model::Server;
use fauxauth_core::wire::unverified_header_and_claims as decode_jwt;

/// Parameters and members whose values are secrets or one-time values, by the label they get.
const LABELLED: &[(&str, &str)] = &[
    ("code", "code"),
    ("state", "state"),
    ("nonce", "nonce"),
    ("code_challenge", "code_challenge"),
    ("code_verifier", "code_verifier"),
    ("access_token", "access_token"),
    ("refresh_token", "refresh_token"),
    ("id_token", "id_token"),
    ("id_token_hint", "id_token"),
    ("token", "token"),
    ("jti", "jti"),
    ("sid", "sid"),
    ("at_hash", "at_hash"),
    ("client_secret", "client_secret"),
    ("client_assertion", "client_assertion"),
    ("assertion", "assertion"),
    ("subject_token", "subject_token"),
    ("device_code", "device_code"),
    ("user_code", "user_code"),
    ("actor_token", "actor_token"),
    ("password", "password"),
    ("dpop", "dpop_proof"),
    ("logout_token", "logout_token"),
    ("ath", "ath"),
    ("dpop-nonce", "nonce"),
];

/// Request headers a transcript shows.
const REQUEST_HEADERS: &[&str] = &["authorization", "content-type", "cookie", "dpop"];
/// Response headers a transcript shows.
const RESPONSE_HEADERS: &[&str] = &[
    "cache-control",
    "content-type",
    "dpop-nonce",
    "location",
    "retry-after",
    "set-cookie",
    "www-authenticate",
];

/// The labels of one scenario's values.
#[derive(Debug)]
pub struct Labels {
    provider: String,
    /// The provider's scheme, host and port, for its URLs outside the issuer URL.
    origin: String,
    /// Its host and port, as a scheme-less issuer spells them (Google's `iss` quirk).
    authority: String,
    resource: String,
    client: String,
    given: HashMap<String, String>,
    counts: HashMap<&'static str, usize>,
}

impl Labels {
    pub fn new(provider: &str, resource: &str, client: &str) -> Self {
        let parsed = url::Url::parse(provider).ok();
        let origin = parsed
            .as_ref()
            .map(|u| u.origin().ascii_serialization())
            .unwrap_or_default();
        let authority = parsed
            .as_ref()
            .map(|u| u.authority().to_owned())
            .unwrap_or_default();
        Self {
            provider: provider.to_owned(),
            origin,
            authority,
            resource: resource.to_owned(),
            client: client.to_owned(),
            given: HashMap::new(),
            counts: HashMap::new(),
        }
    }

    /// The label of `value` as a `kind`: the same value always gets the same label.
    fn label(&mut self, kind: &'static str, value: &str) -> String {
        if let Some(label) = self.given.get(value) {
            return label.clone();
        }
        let count = self.counts.entry(kind).or_default();
        *count += 1;
        let label = format!("{kind}#{count}");
        self.given.insert(value.to_owned(), label.clone());
        // The servers' journals hold a fingerprint instead of the value: the same label for it.
        self.given
            .insert(fauxauth_core::journal::mask(value), label.clone());
        label
    }

    /// A value under `name`: labelled (and decoded when a JWT) if it is a secret, as is otherwise.
    fn value(&mut self, name: &str, value: &str) -> Value {
        let Some(&(_, kind)) = LABELLED.iter().find(|(n, _)| *n == name) else {
            return Value::String(value.to_owned());
        };
        let label = self.label(kind, value);
        match decode_jwt(value) {
            Some((header, claims)) => {
                let claims = self.object(&claims);
                json!({ "label": label, "header": header, "claims": claims })
            }
            None => Value::String(label),
        }
    }

    /// A JSON value with every labelled member labelled.
    fn object(&mut self, value: &Value) -> Value {
        match value {
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| {
                        let v = match v {
                            Value::String(s) => self.value(k, s),
                            other => self.object(other),
                        };
                        (k.clone(), v)
                    })
                    .collect(),
            ),
            Value::Array(items) => Value::Array(items.iter().map(|v| self.object(v)).collect()),
            other => other.clone(),
        }
    }

    fn pairs<'a>(&mut self, pairs: impl Iterator<Item = (&'a str, &'a str)>) -> Value {
        let mut out = Map::new();
        for (name, value) in pairs {
            let value = self.value(name, value);
            out.insert(name.to_owned(), value);
        }
        Value::Object(out)
    }

    /// A request as the transcript shows it.
    pub fn request(
        &mut self,
        server: Server,
        method: &Method,
        target: &str,
        headers: &[(String, String)],
        form: Option<&[(String, String)]>,
        body: Option<&str>,
    ) -> Value {
        // An absolute URL (a preset's endpoint outside the issuer URL) is shown by its path.
        let absolute = url::Url::parse(target).ok();
        let target = absolute
            .as_ref()
            .map_or(target, |u| &u[url::Position::BeforePath..]);
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let mut out = Map::new();
        out.insert("to".into(), json!(format!("{server} {method} {path}")));
        if !query.is_empty() {
            let pairs: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect();
            out.insert(
                "query".into(),
                self.pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
            );
        }
        let shown: Vec<&(String, String)> = headers
            .iter()
            .filter(|(k, _)| REQUEST_HEADERS.contains(&k.as_str()))
            .collect();
        if !shown.is_empty() {
            let mut h = Map::new();
            for (name, value) in shown {
                let shown = match name.as_str() {
                    // A DPoP proof, decoded.
                    "dpop" => self.value(name, value),
                    _ => json!(self.header(name, value)),
                };
                h.insert(name.clone(), shown);
            }
            out.insert("headers".into(), Value::Object(h));
        }
        if let Some(form) = form {
            out.insert(
                "form".into(),
                self.pairs(form.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
            );
        }
        if let Some(body) = body {
            let value = serde_json::from_str::<Value>(body)
                .map_or_else(|_| json!(body), |v| self.object(&v));
            out.insert("body".into(), value);
        }
        Value::Object(out)
    }

    /// An answer as the transcript shows it.
    pub fn response(
        &mut self,
        status: u16,
        headers: &BTreeMap<String, String>,
        params: &BTreeMap<String, String>,
        json: Option<&Value>,
        body: &str,
    ) -> Value {
        let mut out = Map::new();
        out.insert("status".into(), json!(status));
        let mut h = Map::new();
        for name in RESPONSE_HEADERS {
            if let Some(value) = headers.get(*name) {
                let shown = match *name {
                    "location" => value.split('?').next().unwrap_or_default().to_owned(),
                    "dpop-nonce" => text(&self.value(name, value)),
                    _ => self.header(name, value),
                };
                h.insert((*name).to_owned(), json!(shown));
            }
        }
        if !h.is_empty() {
            out.insert("headers".into(), Value::Object(h));
        }
        if !params.is_empty() {
            out.insert(
                "redirect_params".into(),
                self.pairs(params.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
            );
        }
        match json {
            Some(json) => {
                out.insert("body".into(), self.object(json));
            }
            None if headers
                .get("content-type")
                .is_some_and(|c| c.starts_with("text/html")) =>
            {
                out.insert("body".into(), json!(format!("HTML page: {}", title(body))));
            }
            None if !body.is_empty() => {
                out.insert(
                    "body".into(),
                    json!(body.chars().take(400).collect::<String>()),
                );
            }
            None => {}
        }
        Value::Object(out)
    }

    fn header(&mut self, name: &str, value: &str) -> String {
        match name {
            "authorization" => match value.split_once(' ') {
                Some((scheme, credential))
                    if scheme.eq_ignore_ascii_case("bearer")
                        || scheme.eq_ignore_ascii_case("dpop") =>
                {
                    let label = self.value("token", credential);
                    format!(
                        "{scheme} {}",
                        label
                            .get("label")
                            .and_then(Value::as_str)
                            .map_or_else(|| text(&label), str::to_owned)
                    )
                }
                Some((scheme, credential)) => {
                    format!("{scheme} {}", self.label("credentials", credential))
                }
                None => self.label("credentials", value),
            },
            "cookie" | "set-cookie" => value
                .split(';')
                .map(|part| match part.split_once('=') {
                    Some((k, v))
                        if !matches!(
                            k.trim().to_ascii_lowercase().as_str(),
                            "path" | "max-age" | "expires" | "samesite" | "domain"
                        ) =>
                    {
                        format!("{k}={}", self.label("session", v))
                    }
                    _ => part.to_owned(),
                })
                .collect::<Vec<_>>()
                .join(";"),
            _ => value.to_owned(),
        }
    }

    /// A browser hop: the request, and the answer in brief.
    pub fn hop(&mut self, hop: &fauxauth_browser::Hop) -> Value {
        let mut out = Map::new();
        out.insert(
            "browser".into(),
            json!(format!(
                "{} {}",
                hop.method,
                self.addresses(&hop.url[..url::Position::AfterPath])
            )),
        );
        let query: Vec<(String, String)> = hop.url.query_pairs().into_owned().collect();
        if !query.is_empty() {
            out.insert(
                "query".into(),
                self.pairs(query.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
            );
        }
        if let Some(form) = &hop.form {
            out.insert(
                "form".into(),
                self.pairs(form.iter().map(|(k, v)| (k.as_str(), v.as_str()))),
            );
        }
        let params: BTreeMap<String, String> = hop
            .location()
            .map(|u| u.query_pairs().into_owned().collect())
            .unwrap_or_default();
        let response = self.response(hop.status, &hop.headers, &params, None, &hop.body);
        out.insert("response".into(), response);
        Value::Object(out)
    }

    /// What a server's journal says another party asked it, with the journal's fingerprints put
    /// back as labels.
    pub fn journal_entry(&mut self, server: &str, e: &fauxauth_core::journal::Entry) -> Value {
        let mut out = Map::new();
        // A request the server made itself (a back-channel logout notice) is journaled with the
        // whole URL it went to.
        let sent = e.path.starts_with("http://") || e.path.starts_with("https://");
        out.insert(
            format!("{server}_{}", if sent { "sent" } else { "saw" }),
            json!(format!("{} {}", e.method, e.path)),
        );
        // The resource's own calls to the provider (keys, introspection), told apart from the
        // client's.
        if e.headers
            .get("user-agent")
            .is_some_and(|ua| ua.starts_with(mock_resource::USER_AGENT))
        {
            out.insert("by".into(), json!("resource"));
        }
        if !e.query.is_empty() {
            out.insert(
                "query".into(),
                self.unmask(&Value::Object(e.query.clone()), None),
            );
        }
        if !e.form.is_empty() {
            out.insert(
                "form".into(),
                self.unmask(&Value::Object(e.form.clone()), None),
            );
        }
        if let Some(auth) = e.headers.get("authorization") {
            let shown = match auth.split_once(' ') {
                Some((scheme, masked)) => format!(
                    "{scheme} {}",
                    self.unmasked(
                        masked,
                        if scheme.eq_ignore_ascii_case("bearer") {
                            "token"
                        } else {
                            "credentials"
                        }
                    )
                ),
                None => auth.clone(),
            };
            out.insert("authorization".into(), json!(shown));
        }
        let mut response = Map::new();
        response.insert("status".into(), json!(e.status));
        if !e.rules_fired.is_empty() {
            response.insert("rules_fired".into(), json!(e.rules_fired));
        }
        if !e.response_body.is_null() {
            let body = match &e.response_body {
                Value::String(s) if s.trim_start().starts_with('<') => {
                    json!(format!("HTML page: {}", title(s)))
                }
                // Metadata and keys others fetch are the same in every story: named, not repeated.
                body if e.endpoint == "discovery" || e.endpoint == "metadata" => json!({
                    "issuer": body.get("issuer"),
                    "members": body.as_object().map_or(0, |m| m.len()),
                }),
                body if e.endpoint == "jwks" => json!({
                    "kids": body.get("keys").and_then(Value::as_array).map(|keys| keys.iter().map(|k| k.get("kid").cloned().unwrap_or_default()).collect::<Vec<_>>()),
                }),
                other => self.unmask(other, None),
            };
            response.insert("body".into(), body);
        }
        out.insert("response".into(), Value::Object(response));
        Value::Object(out)
    }

    /// A journal value with its fingerprints (`[masked:...]`, or `{masked, header, claims}` for a
    /// JWT) shown as labels; `name` is the member it was found under.
    fn unmask(&mut self, value: &Value, name: Option<&str>) -> Value {
        let kind = name
            .and_then(|n| LABELLED.iter().find(|(k, _)| *k == n))
            .map_or("secret", |(_, kind)| *kind);
        match value {
            Value::String(s) if s.starts_with("[masked:") && s.ends_with(']') => {
                json!(self.unmasked(s, kind))
            }
            // Text the journal kept as text (a form-encoded, XML or oversized JSON body), with
            // fingerprints inside it.
            Value::String(s) if s.contains("[masked:") => json!(self.unmask_text(s, kind)),
            Value::Object(map) if map.contains_key("masked") && map.contains_key("claims") => {
                let label = self.unmasked(map["masked"].as_str().unwrap_or_default(), kind);
                let claims = self.object(&map["claims"]);
                json!({ "label": label, "header": map["header"], "claims": claims })
            }
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), self.unmask(v, Some(k))))
                    .collect(),
            ),
            Value::Array(items) => {
                Value::Array(items.iter().map(|v| self.unmask(v, name)).collect())
            }
            // A one-time value the journal keeps in clear (a pushed request's `state`, `nonce`,
            // PKCE challenge): labelled as where a step sends it.
            Value::String(s) if name.is_some_and(|n| LABELLED.iter().any(|(k, _)| *k == n)) => {
                json!(self.label(kind, s))
            }
            other => other.clone(),
        }
    }

    /// `text` with each fingerprint in it replaced by its label.
    fn unmask_text(&mut self, text: &str, kind: &'static str) -> String {
        const FINGERPRINT: usize = "[masked:xxxxxxxx]".len();
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(at) = rest.find("[masked:") {
            out.push_str(&rest[..at]);
            let candidate = rest.get(at..at + FINGERPRINT);
            match candidate.filter(|c| c.ends_with(']')) {
                Some(fingerprint) => {
                    out.push_str(&self.unmasked(fingerprint, kind));
                    rest = &rest[at + FINGERPRINT..];
                }
                None => {
                    out.push_str("[masked:");
                    rest = &rest[at + "[masked:".len()..];
                }
            }
        }
        out.push_str(rest);
        out
    }

    /// The label of a fingerprint: the one its value already has, or a new one of `kind`.
    fn unmasked(&mut self, masked: &str, kind: &'static str) -> String {
        if let Some(label) = self.given.get(masked) {
            return label.clone();
        }
        let count = self.counts.entry(kind).or_default();
        *count += 1;
        let label = format!("{kind}#{count}");
        self.given.insert(masked.to_owned(), label.clone());
        label
    }

    /// The transcript as YAML, addresses replaced by `{provider}` and `{resource}` (in the values,
    /// before rendering, so the YAML quotes them as it must).
    pub fn render(&self, value: &Value) -> String {
        serde_saphyr::to_string(&self.placeholders(value))
            .unwrap_or_else(|e| format!("(cannot render: {e})"))
    }

    fn addresses(&self, s: &str) -> String {
        let mut s = s
            .replace(&self.provider, "{provider}")
            .replace(&self.resource, "{resource}");
        if !self.origin.is_empty() {
            s = s.replace(&self.origin, "{origin}");
        }
        if !self.authority.is_empty() {
            s = s.replace(&self.authority, "{authority}");
        }
        if self.client.is_empty() {
            s
        } else {
            s.replace(&self.client, "{client}")
        }
    }

    pub fn placeholders(&self, value: &Value) -> Value {
        match value {
            Value::String(s) => Value::String(self.addresses(s)),
            Value::Array(items) => {
                Value::Array(items.iter().map(|v| self.placeholders(v)).collect())
            }
            Value::Object(map) => Value::Object(
                map.iter()
                    .map(|(k, v)| (k.clone(), self.placeholders(v)))
                    .collect(),
            ),
            other => other.clone(),
        }
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The `<title>` of an HTML page, or its first `<h1>`.
fn title(html: &str) -> String {
    for (open, close) in [("<title>", "</title>"), ("<h1>", "</h1>")] {
        if let Some(start) = html.find(open)
            && let Some(end) = html[start..].find(close)
        {
            return html[start + open.len()..start + end].trim().to_owned();
        }
    }
    "(untitled)".to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_value_keeps_its_label_and_kinds_count_apart() {
        let mut labels = Labels::new("http://127.0.0.1:1", "http://127.0.0.1:2", "");
        assert_eq!(labels.value("code", "abc"), json!("code#1"));
        assert_eq!(labels.value("code", "def"), json!("code#2"));
        assert_eq!(labels.value("code", "abc"), json!("code#1"));
        assert_eq!(labels.value("state", "s"), json!("state#1"));
        assert_eq!(labels.value("scope", "openid"), json!("openid"));
    }

    #[test]
    fn jwts_are_decoded_and_their_one_time_claims_labelled() {
        use base64::Engine as _;
        let b64 =
            |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
        let token = format!(
            "{}.{}.sig",
            b64(&json!({"alg": "RS256"})),
            b64(&json!({"sub": "alice", "jti": "j1"}))
        );
        let mut labels = Labels::new("http://127.0.0.1:1", "http://127.0.0.1:2", "");
        let shown = labels.value("access_token", &token);
        assert_eq!(
            shown,
            json!({"label": "access_token#1", "header": {"alg": "RS256"}, "claims": {"sub": "alice", "jti": "jti#1"}})
        );
    }

    #[test]
    fn addresses_are_written_as_placeholders() {
        let labels = Labels::new("http://127.0.0.1:4321", "http://127.0.0.1:9876", "");
        let yaml = labels
            .render(&json!({"iss": "http://127.0.0.1:4321", "api": "http://127.0.0.1:9876/api"}));
        assert!(
            yaml.contains("{provider}") && yaml.contains("{resource}/api"),
            "{yaml}"
        );
    }
}
