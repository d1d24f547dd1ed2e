//! The HTTP admin API under `/_fauxauth/`: the door through which any language scripts a running
//! server. This module holds what every server shares (clock, rules, journal), the guard that
//! keeps strangers out, and [`Api`], a router builder that cannot add a route without documenting
//! it, from which the OpenAPI document is generated.

use std::net::IpAddr;
use std::sync::{Arc, OnceLock};
use std::time::UNIX_EPOCH;

use axum::Json;
use axum::Router;
use axum::extract::{Path, RawQuery, Request, State};
use axum::handler::Handler;
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, on};
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use subtle::ConstantTimeEq as _;

use crate::control::Control;
use crate::journal::{Entry, Expect, Filter, Mismatch};
use crate::rules::{Rule, RuleStatus};
use crate::server::Peer;

/// The reserved path prefix of the admin API.
pub const PREFIX: &str = "/_fauxauth";

/// An error of the admin API: JSON `{"error", "error_description"}`.
#[derive(Debug)]
pub struct AdminError {
    pub status: StatusCode,
    pub error: &'static str,
    pub description: String,
}

impl AdminError {
    pub fn bad_request(description: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            error: "invalid_request",
            description: description.into(),
        }
    }

    pub fn not_found(description: impl Into<String>) -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            error: "not_found",
            description: description.into(),
        }
    }
}

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(json!({ "error": self.error, "error_description": self.description })),
        )
            .into_response()
    }
}

/// A JSON body, with serde's complaint as an [`AdminError`] instead of axum's plain text.
#[derive(Debug)]
pub struct Body<T>(pub T);

impl<T, S> axum::extract::FromRequest<S> for Body<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AdminError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = axum::body::Bytes::from_request(request, state)
            .await
            .map_err(|e| AdminError {
                // 413 for a body over the limit, as axum's own rejection says.
                status: e.status(),
                error: if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    "payload_too_large"
                } else {
                    "invalid_request"
                },
                description: e.body_text(),
            })?;
        serde_json::from_slice(&bytes)
            .map(Body)
            .map_err(|e| AdminError::bad_request(format!("invalid JSON body: {e}")))
    }
}

/// Query parameters into `T`, with errors as [`AdminError`].
pub fn query<T: serde::de::DeserializeOwned>(raw: Option<&str>) -> Result<T, AdminError> {
    serde_urlencoded::from_str(raw.unwrap_or_default())
        .map_err(|e| AdminError::bad_request(format!("invalid query: {e}")))
}

/// One documented operation.
#[derive(Clone, Debug)]
pub struct Operation {
    pub method: Method,
    pub path: &'static str,
    pub summary: &'static str,
    request: Option<fn(&mut SchemaGenerator) -> Schema>,
    response: Option<fn(&mut SchemaGenerator) -> Schema>,
}

/// The schema of `T`, for [`Api::route`].
pub fn schema<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    generator.subschema_for::<T>()
}

/// A router that documents every route it adds.
#[derive(Debug)]
pub struct Api<S = ()> {
    router: Router<S>,
    operations: Vec<Operation>,
}

impl<S: Clone + Send + Sync + 'static> Default for Api<S> {
    fn default() -> Self {
        Self {
            router: Router::new(),
            operations: Vec::new(),
        }
    }
}

impl<S: Clone + Send + Sync + 'static> Api<S> {
    /// Adds `handler` at `PREFIX + path` for `method`, with its documentation. `request` and
    /// `response` name the JSON bodies' schemas (see [`schema`]).
    pub fn route<H, T>(
        mut self,
        method: Method,
        path: &'static str,
        summary: &'static str,
        request: Option<fn(&mut SchemaGenerator) -> Schema>,
        response: Option<fn(&mut SchemaGenerator) -> Schema>,
        handler: H,
    ) -> Self
    where
        H: Handler<T, S>,
        T: 'static,
    {
        let filter = MethodFilter::try_from(method.clone()).expect("a standard method");
        self.router = self
            .router
            .route(&format!("{PREFIX}{path}"), on(filter, handler));
        self.operations.push(Operation {
            method,
            path,
            summary,
            request,
            response,
        });
        self
    }

    pub fn merge(mut self, other: Api<S>) -> Self {
        self.router = self.router.merge(other.router);
        self.operations.extend(other.operations);
        self
    }

    pub fn operations(&self) -> &[Operation] {
        &self.operations
    }

    /// The router, with its OpenAPI document served at `/_fauxauth/openapi.json`, guarded so that
    /// only loopback peers (or holders of `token`) get in.
    pub fn finish(self, state: S, title: &str, token: Option<String>) -> Router {
        // Generated on first request, not at start: a server that is never asked for it (every
        // scenario's) does not pay for generating the schemas.
        let operations = Arc::new((title.to_owned(), self.operations, OnceLock::new()));
        let router = self
            .router
            .route(
                &format!("{PREFIX}/openapi.json"),
                axum::routing::get(move || async move {
                    let (title, operations, document) = &*operations;
                    Json(document.get_or_init(|| openapi(title, operations)).clone())
                }),
            )
            .with_state(state);
        router.layer(axum::middleware::from_fn_with_state(Arc::new(token), guard))
    }
}

/// The OpenAPI 3.1 document of `operations`.
pub fn openapi(title: &str, operations: &[Operation]) -> Value {
    let mut settings = schemars::generate::SchemaSettings::draft2020_12();
    settings.definitions_path = "#/components/schemas/".into();
    let mut generator = settings.into_generator();
    let mut paths = serde_json::Map::new();
    for op in operations {
        let mut operation = json!({
            "summary": op.summary,
            "responses": {
                "200": { "description": "success" },
                "400": { "description": "invalid request", "content": { "application/json": { "schema": { "$ref": "#/components/schemas/AdminErrorBody" } } } }
            }
        });
        if let Some(request) = op.request {
            operation["requestBody"] = json!({ "required": true, "content": { "application/json": { "schema": request(&mut generator) } } });
        }
        if let Some(response) = op.response {
            operation["responses"]["200"]["content"] =
                json!({ "application/json": { "schema": response(&mut generator) } });
        }
        let parameters: Vec<Value> = op
            .path
            .split('/')
            .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
            .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string" } }))
            .collect();
        if !parameters.is_empty() {
            operation["parameters"] = Value::Array(parameters);
        }
        let item = paths
            .entry(format!("{PREFIX}{}", op.path))
            .or_insert_with(|| json!({}));
        item[op.method.as_str().to_ascii_lowercase()] = operation;
    }
    paths.insert(
        format!("{PREFIX}/openapi.json"),
        json!({ "get": { "summary": "This document", "responses": { "200": { "description": "the OpenAPI document" } } } }),
    );
    let mut schemas = generator.take_definitions(true);
    schemas.insert(
        "AdminErrorBody".into(),
        json!({ "type": "object", "properties": { "error": { "type": "string" }, "error_description": { "type": "string" } }, "required": ["error"] }),
    );
    json!({
        "openapi": "3.1.0",
        "info": { "title": title, "version": env!("CARGO_PKG_VERSION") },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": { "adminToken": { "type": "http", "scheme": "bearer" } }
        }
    })
}

/// A peer that is not loopback is refused unless an admin token is
/// configured, and then every caller must present it as a bearer token. Requests that did not
/// come through a socket (in-process router calls) count as loopback.
async fn guard(State(token): State<Arc<Option<String>>>, request: Request, next: Next) -> Response {
    let loopback = request
        .extensions()
        .get::<Peer>()
        .is_none_or(|Peer(addr)| is_loopback(addr.ip()));
    let allowed = match token.as_deref() {
        Some(expected) => request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|given| bool::from(given.as_bytes().ct_eq(expected.as_bytes()))),
        None => loopback,
    };
    if allowed {
        next.run(request).await
    } else {
        let description = if token.is_some() {
            "the admin API needs the admin token as a bearer token"
        } else {
            "the admin API answers loopback clients only; configure an admin token to open it"
        };
        let mut response = AdminError {
            status: if token.is_some() {
                StatusCode::UNAUTHORIZED
            } else {
                StatusCode::FORBIDDEN
            },
            error: "access_denied",
            description: description.into(),
        }
        .into_response();
        if token.is_some() {
            // RFC 9110 §11.6.1: a 401 says how to authenticate (RFC 6750 §3).
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer realm=\"fauxauth-admin\""),
            );
        }
        response
    }
}

fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_loopback(),
        IpAddr::V6(v6) => {
            v6.is_loopback() || v6.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback())
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The routes every server shares: clock, rules, journal.

/// The clock as the admin API shows it.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
pub struct ClockState {
    /// Virtual time, seconds since the Unix epoch.
    pub now: u64,
    /// Virtual time, RFC 3339.
    pub rfc3339: String,
    /// Whether the clock stands still between moves.
    pub frozen: bool,
}

/// Move the clock: by `advance`, or to `set` (RFC 3339 or seconds since the epoch).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClockChange {
    #[serde(default)]
    pub advance: Option<String>,
    #[serde(default)]
    pub set: Option<Value>,
}

/// A rule's id.
#[derive(Debug, Serialize, JsonSchema)]
pub struct RuleId {
    pub id: String,
}

/// Journal entries and the sequence number of the latest.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Entries {
    pub entries: Vec<Entry>,
    pub last_seq: u64,
}

/// A verification: how many entries matching `filter` are expected.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Verification {
    #[serde(default)]
    pub filter: Filter,
    pub expect: Expect,
}

/// The routes for the clock, rules and journal, for any server state that holds a [`Control`].
pub fn common<S>() -> Api<S>
where
    S: Clone + Send + Sync + 'static,
    Control: axum::extract::FromRef<S>,
{
    Api::default()
        .route(Method::GET, "/clock", "Read the virtual clock", None, Some(schema::<ClockState>), get_clock)
        .route(
            Method::POST,
            "/clock",
            "Advance the clock (`advance: 10m`) or set it (`set: 2030-01-01T00:00:00Z`)",
            Some(schema::<ClockChange>),
            Some(schema::<ClockState>),
            post_clock,
        )
        .route(Method::GET, "/rules", "List the rules in order, with match and fire counts", None, Some(schema::<Vec<RuleStatus>>), list_rules)
        .route(Method::POST, "/rules", "Add a rule at the end (a rule with an existing id replaces it)", Some(schema::<Rule>), Some(schema::<RuleId>), add_rule)
        .route(Method::DELETE, "/rules", "Remove every rule", None, None, clear_rules)
        .route(Method::DELETE, "/rules/{id}", "Remove one rule", None, None, remove_rule)
        .route(Method::GET, "/journal", "Journal entries matching the query's filter fields", None, Some(schema::<Entries>), get_journal)
        .route(Method::DELETE, "/journal", "Forget every journal entry", None, None, clear_journal)
        .route(
            Method::POST,
            "/journal/fingerprint",
            "The fingerprint the journal shows for a secret (`[masked:…]`): keyed per process, so only this server can make it",
            Some(schema::<FingerprintRequest>),
            Some(schema::<Fingerprint>),
            fingerprint,
        )
        .route(
            Method::POST,
            "/journal/verify",
            "Check how many requests match: 200 when the expectation holds, 422 with the matches when not",
            Some(schema::<Verification>),
            Some(schema::<Mismatch>),
            verify_journal,
        )
}

pub fn clock_state(control: &Control) -> ClockState {
    let now = control.clock().now();
    ClockState {
        now: now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()),
        rfc3339: humantime::format_rfc3339_seconds(now).to_string(),
        frozen: control.clock().is_frozen(),
    }
}

async fn get_clock(State(control): State<Control>) -> Json<ClockState> {
    Json(clock_state(&control))
}

async fn post_clock(
    State(control): State<Control>,
    Body(change): Body<ClockChange>,
) -> Result<Json<ClockState>, AdminError> {
    let out_of_range = |e: crate::OutOfRange| AdminError::bad_request(e.to_string());
    match (change.advance, change.set) {
        (Some(by), None) => control
            .clock()
            .try_advance(crate::duration::parse(&by).map_err(AdminError::bad_request)?)
            .map_err(out_of_range)?,
        (None, Some(Value::Number(n))) => {
            let secs = n.as_u64().ok_or_else(|| {
                AdminError::bad_request(
                    "set must be whole seconds since the epoch, 0 to 253402300799",
                )
            })?;
            control
                .clock()
                .try_set_seconds(secs)
                .map_err(out_of_range)?;
        }
        (None, Some(Value::String(t))) => {
            let at = humantime::parse_rfc3339_weak(&t).map_err(|e| {
                AdminError::bad_request(format!("{t:?} is not an RFC 3339 time: {e}"))
            })?;
            control.clock().try_set(at).map_err(out_of_range)?;
        }
        _ => {
            return Err(AdminError::bad_request(
                "give exactly one of advance or set",
            ));
        }
    }
    Ok(Json(clock_state(&control)))
}

async fn list_rules(State(control): State<Control>) -> Json<Vec<RuleStatus>> {
    Json(control.rules().list())
}

async fn add_rule(
    State(control): State<Control>,
    Body(rule): Body<Rule>,
) -> (StatusCode, Json<RuleId>) {
    (
        StatusCode::CREATED,
        Json(RuleId {
            id: control.rules().add(rule),
        }),
    )
}

async fn clear_rules(State(control): State<Control>) -> StatusCode {
    control.rules().clear();
    StatusCode::NO_CONTENT
}

async fn remove_rule(
    State(control): State<Control>,
    Path(id): Path<String>,
) -> Result<StatusCode, AdminError> {
    if control.rules().remove(&id) {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AdminError::not_found(format!("no rule has id {id:?}")))
    }
}

async fn get_journal(
    State(control): State<Control>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Entries>, AdminError> {
    let filter: Filter = query(raw.as_deref())?;
    Ok(Json(Entries {
        entries: control.journal().query(&filter),
        last_seq: control.journal().last_seq(),
    }))
}

/// A secret to fingerprint.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FingerprintRequest {
    pub value: String,
}

/// A secret's fingerprint, as journal entries show it.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Fingerprint {
    pub fingerprint: String,
}

async fn fingerprint(Body(request): Body<FingerprintRequest>) -> Json<Fingerprint> {
    Json(Fingerprint {
        fingerprint: crate::journal::mask(&request.value),
    })
}

async fn clear_journal(State(control): State<Control>) -> StatusCode {
    control.journal().clear();
    StatusCode::NO_CONTENT
}

async fn verify_journal(State(control): State<Control>, Body(v): Body<Verification>) -> Response {
    match control.journal().verify(&v.filter, v.expect) {
        Ok(()) => Json(json!({ "ok": true })).into_response(),
        Err(mismatch) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({ "ok": false, "mismatch": mismatch })),
        )
            .into_response(),
    }
}
