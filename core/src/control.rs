//! The control model every fauxauth server carries: its clock, its rules and its journal, and the
//! middleware that applies rules to requests and records them.
//!
//! A server describes each request with [`Facts`] (which endpoint, client, user); the middleware
//! evaluates the rules, waits out any delay, answers in the server's place when a rule says so
//! (or drops the connection), otherwise hands the request on with the token changes attached as
//! an [`Injected`] extension, and finally journals the request and the answer.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock, Weak};
use std::time::{SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::Clock;
use crate::journal::{self, Entry, Journal};
use crate::limits::Limits;
use crate::rules::{Answer, ErrorAction, ErrorStyle, Facts, RawResponse, RuleSet, TokenChange};

/// Request bodies larger than this are refused: no OAuth request comes near it.
const MAX_REQUEST_BODY: usize = 1024 * 1024;

/// A body larger than this is noted to [`crate::memory`] when it is freed.
const LARGE_BODY: usize = 64 * 1024;

/// A server that carries the scripting model: what the provider's and the resource's handles
/// share, written once. Implementors give their [`Control`]; the rest comes with it.
pub trait Scripted {
    /// The rules, journal and clock of this server.
    fn control(&self) -> &Control;

    /// The clock every expiry of this server follows.
    fn clock(&self) -> &Clock {
        self.control().clock()
    }

    /// Every request served (but admin calls), with what was answered.
    fn journal(&self) -> &Journal {
        self.control().journal()
    }

    /// Adds a rule at the end of the list; returns its id.
    fn add_rule(&self, rule: crate::rules::Rule) -> String {
        self.control().rules().add(rule)
    }

    /// Removes a rule; whether it existed.
    fn remove_rule(&self, id: &str) -> bool {
        self.control().rules().remove(id)
    }

    /// The rules in order, with how often each matched and fired.
    fn rules(&self) -> Vec<crate::rules::RuleStatus> {
        self.control().rules().list()
    }
}

/// The clock, rules and journal of one server. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Control {
    inner: Arc<Inner>,
}

struct Inner {
    server: &'static str,
    clock: Clock,
    rules: RuleSet,
    journal: Journal,
    limits: Limits,
    /// What the server does beyond answering, once it is built (held weakly: the server holds
    /// this control).
    hooks: OnceLock<Weak<dyn Hooks>>,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Control")
            .field("server", &self.server)
            .field("clock", &self.clock)
            .field("rules", &self.rules)
            .field("hooks", &self.hooks.get().is_some())
            .finish_non_exhaustive()
    }
}

/// A future a [`Hooks`] method returns.
pub type HookFuture<'a> = Pin<Box<dyn Future<Output = ()> + Send + 'a>>;

/// What a server does, beyond answering, when a rule or the clock says so: the provider ends
/// login sessions (and tells their clients). Each is awaited before the request that caused it
/// is answered, so what it sends is journaled first.
pub trait Hooks: Send + Sync {
    /// A rule said `end_session` for a request at `issuer` (a name) naming `user` (`None`:
    /// every session of the issuer).
    fn end_sessions<'a>(&'a self, issuer: &'a str, user: Option<&'a str>) -> HookFuture<'a>;
    /// The clock was moved through the admin API: whatever it made end, ends now.
    fn clock_moved(&self) -> HookFuture<'_>;
}

impl Control {
    /// `server` names the kind of server in journal entries (`provider`, `resource`).
    pub fn new(server: &'static str, clock: Clock) -> Self {
        Self::with_limits(server, clock, Limits::default())
    }

    /// A control whose journal and request reading keep within `limits`.
    pub fn with_limits(server: &'static str, clock: Clock, limits: Limits) -> Self {
        Self {
            inner: Arc::new(Inner {
                server,
                clock,
                rules: RuleSet::default(),
                journal: Journal::new(limits.journal),
                limits,
                hooks: OnceLock::new(),
            }),
        }
    }

    /// Gives the server's [`Hooks`] (once; later calls are ignored).
    pub fn attach(&self, hooks: Weak<dyn Hooks>) {
        let _ = self.inner.hooks.set(hooks);
    }

    /// The server's hooks, while it lives.
    pub fn hooks(&self) -> Option<Arc<dyn Hooks>> {
        self.inner.hooks.get().and_then(Weak::upgrade)
    }

    /// The limits the server keeps within.
    pub fn limits(&self) -> &Limits {
        &self.inner.limits
    }

    pub fn clock(&self) -> &Clock {
        &self.inner.clock
    }

    pub fn rules(&self) -> &RuleSet {
        &self.inner.rules
    }

    pub fn journal(&self) -> &Journal {
        &self.inner.journal
    }

    /// Journals a request the server made itself (a back-channel logout notice to a client),
    /// with the status that came back (0: no answer).
    pub fn record_outbound(&self, outbound: &Outbound<'_>) {
        let (path, path_cut) = journal::path(outbound.url);
        let (form, form_cut) = journal::params(outbound.form);
        let mut entry = Entry {
            seq: self.clock().tick(),
            server: self.inner.server.to_owned(),
            endpoint: outbound.endpoint.to_owned(),
            method: "POST".to_owned(),
            path,
            issuer: outbound.issuer.map(str::to_owned),
            client_id: outbound.client_id.map(str::to_owned),
            grant_type: None,
            user: None,
            query: Default::default(),
            form,
            headers: Default::default(),
            status: outbound.status,
            response_headers: Default::default(),
            response_body: serde_json::Value::Null,
            time_ms: millis(self.clock().now()),
            wall_time_ms: millis(self.clock().wall()),
            rules_fired: outbound.rules_fired.to_vec(),
            cut: Vec::new(),
        };
        for (part, was_cut) in [("path", path_cut), ("form", form_cut)] {
            if was_cut {
                entry.mark_cut(part);
            }
        }
        self.journal().record(entry);
    }
}

/// A request a server made itself, for its journal.
#[derive(Clone, Copy, Debug)]
pub struct Outbound<'a> {
    /// What the journal calls it (`backchannel_logout`).
    pub endpoint: &'a str,
    /// Where it went: the whole URL.
    pub url: &'a str,
    pub issuer: Option<&'a str>,
    pub client_id: Option<&'a str>,
    /// The form-encoded body it carried.
    pub form: &'a [u8],
    /// The answer's status; 0 when none came.
    pub status: u16,
    /// The rules that fired on it.
    pub rules_fired: &'a [String],
}

/// Describes a request for rules and the journal. Gets the request head and its (buffered) body.
pub type Describe = Arc<dyn Fn(&axum::http::request::Parts, &[u8]) -> Facts + Send + Sync>;

/// What rules decided that the server itself must carry out: token changes, and an error the
/// server must deliver its own way (an authorization endpoint redirects it to the client).
#[derive(Clone, Debug, Default)]
pub struct Injected {
    pub token_changes: Vec<TokenChange>,
    pub error: Option<ErrorAction>,
    /// A person's answer to the device authorization a token request polls for.
    pub device: Option<crate::rules::DeviceDecision>,
    /// A rule requires the server's nonce in this request's DPoP proof.
    pub use_dpop_nonce: bool,
}

/// Marks a response whose connection must be closed without sending it (see `crate::serve`).
#[derive(Clone, Copy, Debug)]
pub struct DropConnection;

/// Wraps `router`: every request it serves is subject to the rules and journaled.
pub fn layer(router: Router, control: Control, describe: Describe) -> Router {
    router.layer(axum::middleware::from_fn_with_state(
        (control, describe),
        apply,
    ))
}

async fn apply(
    State((control, describe)): State<(Control, Describe)>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    // The head arrived within hyper's header read timeout; the body gets as long again.
    let read = tokio::time::timeout(
        control.limits().read_timeout,
        axum::body::to_bytes(body, MAX_REQUEST_BODY),
    );
    let body = match read.await {
        Ok(Ok(body)) => body,
        Ok(Err(_)) => {
            // What was read before the limit was hit is freed with the error.
            crate::memory::freed(MAX_REQUEST_BODY);
            return StatusCode::PAYLOAD_TOO_LARGE.into_response();
        }
        Err(_) => return StatusCode::REQUEST_TIMEOUT.into_response(),
    };
    if body.len() > LARGE_BODY {
        // Freed once the request is answered: a flood of them is what leaves memory behind.
        crate::memory::freed(body.len());
    }
    let facts = describe(&parts, &body);
    let outcome = control.rules().evaluate(&facts);
    if !outcome.delay.is_zero() {
        tokio::time::sleep(outcome.delay).await;
    }
    let end_sessions = outcome
        .end_session
        .then(|| {
            facts
                .issuer
                .clone()
                .map(|issuer| (issuer, facts.user.clone()))
        })
        .flatten();

    // What the entry takes from the facts is moved, not copied: rules are done with them.
    let Facts {
        endpoint,
        method,
        path,
        issuer,
        client_id,
        grant_type,
        user,
        error_style,
        realm,
        ..
    } = facts;
    let (path, path_cut) = journal::path(&path);
    // What the describer read off the request is the request's too: as bounded as the rest.
    let mut facts_cut = false;
    let mut bounded = |value: Option<String>| {
        value.map(|v| {
            let (kept, was_cut) = journal::cut(&v, journal::MAX_VALUE);
            facts_cut |= was_cut;
            if was_cut { kept.to_owned() } else { v }
        })
    };
    let (client_id, grant_type, user) = (bounded(client_id), bounded(grant_type), bounded(user));
    let (query, query_cut) = journal::params(parts.uri.query().unwrap_or_default().as_bytes());
    let (form, form_cut) = if crate::wire::is_form(&parts.headers) {
        journal::params(&body)
    } else {
        Default::default()
    };
    let (headers, headers_cut) = journal::request_headers(&parts.headers);
    let mut entry = Entry {
        seq: control.clock().tick(),
        server: control.inner.server.to_owned(),
        endpoint,
        method,
        path,
        issuer,
        client_id,
        grant_type,
        user,
        query,
        form,
        headers,
        status: 0,
        response_headers: Default::default(),
        response_body: serde_json::Value::Null,
        time_ms: millis(control.clock().now()),
        wall_time_ms: millis(control.clock().wall()),
        rules_fired: outcome.fired,
        cut: Vec::new(),
    };
    for (part, was_cut) in [
        ("path", path_cut),
        ("query", query_cut),
        ("form", form_cut),
        ("headers", headers_cut),
        ("facts", facts_cut),
    ] {
        if was_cut {
            entry.mark_cut(part);
        }
    }

    // After the request's own entry is numbered, so what the hook sends comes after it.
    if let (Some((issuer, user)), Some(hooks)) = (end_sessions, control.hooks()) {
        hooks.end_sessions(&issuer, user.as_deref()).await;
    }
    let response = match outcome.answer {
        Some(Answer::Drop) => {
            control.journal().record(entry);
            let mut response = Response::new(Body::empty());
            response.extensions_mut().insert(DropConnection);
            return response;
        }
        Some(Answer::Respond(raw)) => raw_response(&raw),
        Some(Answer::Error(error)) if error_style != ErrorStyle::Redirect => {
            error_response(&error, error_style, &realm)
        }
        error => {
            let injected = Injected {
                token_changes: outcome.token_changes,
                device: outcome.device,
                use_dpop_nonce: outcome.use_dpop_nonce,
                error: match error {
                    Some(Answer::Error(e)) => Some(e),
                    _ => None,
                },
            };
            let mut request = Request::from_parts(parts, Body::from(body));
            request.extensions_mut().insert(Arc::new(injected));
            next.run(request).await
        }
    };

    let (parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    entry.status = parts.status.as_u16();
    let (response_headers, headers_cut) = journal::response_headers(&parts.headers);
    entry.response_headers = response_headers;
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let (response_body, body_cut) = journal::body(content_type, &bytes);
    entry.response_body = response_body;
    if headers_cut {
        entry.mark_cut("response_headers");
    }
    if body_cut {
        entry.mark_cut("response_body");
    }
    control.journal().record(entry);
    Response::from_parts(parts, Body::from(bytes))
}

fn millis(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_millis()).unwrap_or(i64::MAX),
    }
}

/// A rule's raw response, exactly as written.
pub fn raw_response(raw: &RawResponse) -> Response {
    let status = StatusCode::from_u16(raw.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, Bytes::from(raw.body.clone())).into_response();
    let headers = response.headers_mut();
    headers.remove(header::CONTENT_TYPE);
    if let Some(content_type) = raw
        .content_type
        .as_deref()
        .and_then(|c| HeaderValue::from_str(c).ok())
    {
        headers.insert(header::CONTENT_TYPE, content_type);
    }
    for (name, value) in &raw.headers {
        if let (Ok(name), Ok(value)) = (
            header::HeaderName::try_from(name.as_str()),
            HeaderValue::from_str(value),
        ) {
            headers.insert(name, value);
        }
    }
    response
}

/// An injected RFC error written as the endpoint family writes its own, challenges naming `realm`.
pub fn error_response(error: &ErrorAction, style: ErrorStyle, realm: &str) -> Response {
    let status = StatusCode::from_u16(error.status()).unwrap_or(StatusCode::BAD_REQUEST);
    let mut body = json!({ "error": error.error });
    if let Some(description) = &error.description {
        body["error_description"] = json!(crate::wire::description_text(description));
    }
    let mut response = (status, axum::Json(body)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let challenge = match style {
        // The description stays in the body: the challenge names the realm and the code.
        ErrorStyle::Bearer => Some(crate::wire::bearer_challenge(
            realm,
            Some(&error.error),
            None,
            None,
        )),
        _ if status == StatusCode::UNAUTHORIZED => Some(crate::wire::basic_challenge(realm)),
        _ => None,
    };
    if let Some(value) = challenge.and_then(|c| HeaderValue::from_str(&c).ok()) {
        headers.insert(header::WWW_AUTHENTICATE, value);
    }
    if status == StatusCode::SERVICE_UNAVAILABLE || status == StatusCode::TOO_MANY_REQUESTS {
        headers.insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    response
}
