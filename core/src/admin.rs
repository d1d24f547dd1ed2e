//! The HTTP admin API under `/_fauxauth/`: the door through which any language scripts a running
//! server. This module holds what every server shares (clock, rules, journal), the guard that
//! keeps strangers out, and [`Api`], a router builder that cannot add a route without documenting
//! it, from which the OpenAPI document is generated.

use std::net::IpAddr;
use std::sync::{Arc, OnceLock};
use std::time::UNIX_EPOCH;

use axum::Json;
use axum::Router;
use axum::extract::{RawQuery, Request, State};
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
use crate::journal::{Entry, Expect, Filter};
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

    /// A body the schema allows, refused for what a schema cannot say (RFC 9110 §15.5.21).
    pub fn unprocessable(description: impl Into<String>) -> Self {
        Self {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            error: "invalid_request",
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

/// Path parameters, with a refusal as an [`AdminError`] (404: no such thing) instead of axum's
/// plain text.
#[derive(Debug)]
pub struct Path<T>(pub T);

impl<T, S> axum::extract::FromRequestParts<S> for Path<T>
where
    T: serde::de::DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = AdminError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| Path(value))
            .map_err(|e| AdminError::not_found(e.body_text()))
    }
}

/// Makes the integer formats schemars writes (`uint32`, `uint16`, ...) bounds a validator
/// enforces: JSON Schema leaves formats to annotation, but serde refuses a number too big.
fn integer_bounds(schema: &mut Schema) {
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    let bounds: Option<(i128, i128)> = match object.get("format").and_then(Value::as_str) {
        Some("uint8") => Some((0, u8::MAX.into())),
        Some("uint16") => Some((0, u16::MAX.into())),
        Some("uint32") => Some((0, u32::MAX.into())),
        Some("uint64" | "uint") => Some((0, u64::MAX.into())),
        Some("int8") => Some((i8::MIN.into(), i8::MAX.into())),
        Some("int16") => Some((i16::MIN.into(), i16::MAX.into())),
        Some("int32") => Some((i32::MIN.into(), i32::MAX.into())),
        Some("int64" | "int") => Some((i64::MIN.into(), i64::MAX.into())),
        _ => None,
    };
    if let Some((min, max)) = bounds {
        // Written as exact integers: as floats, u64::MAX would round up and let 2^64 through.
        let exact = |v: i128| {
            u64::try_from(v)
                .map(Value::from)
                .unwrap_or_else(|_| Value::from(i64::try_from(v).unwrap_or(i64::MIN)))
        };
        let current = |o: &serde_json::Map<String, Value>, key: &str| {
            o.get(key).and_then(|v| {
                v.as_i64()
                    .map(i128::from)
                    .or_else(|| v.as_u64().map(i128::from))
            })
        };
        let min = current(object, "minimum").map_or(min, |c| c.max(min));
        let max = current(object, "maximum").map_or(max, |c| c.min(max));
        object.insert("minimum".into(), exact(min));
        object.insert("maximum".into(), exact(max));
    }
}

/// The generator every admin schema comes from, for the document and the validator alike.
fn generator(definitions_path: &str) -> SchemaGenerator {
    let mut settings = schemars::generate::SchemaSettings::draft2020_12();
    settings.definitions_path = definitions_path.to_owned().into();
    settings
        .with_transform(schemars::transform::RecursiveTransform(integer_bounds))
        .into_generator()
}

/// A JSON body that the operation's documented schema allows, then read into `T`; every refusal
/// an [`AdminError`], never axum's plain text.
///
/// The body is validated against the JSON Schema of `T`, the very one the OpenAPI document
/// shows, so what the document allows and what the API accepts cannot drift apart (serde alone
/// would, for one, take a JSON array for an object). What a schema cannot say (a duration's
/// text, a user that must exist) is the handler's to refuse.
#[derive(Debug)]
pub struct Body<T>(pub T);

/// A compiled schema, and what it says of the body as a whole (said again on a refusal).
struct Checker {
    validator: jsonschema::Validator,
    description: Option<String>,
}

/// The checker of `T`'s schema, compiled on first use and kept (one per type): a server that
/// is never scripted never pays for it.
fn checker<T: JsonSchema + 'static>() -> Arc<Checker> {
    type Checkers = std::sync::Mutex<std::collections::HashMap<std::any::TypeId, Arc<Checker>>>;
    static CHECKERS: OnceLock<Checkers> = OnceLock::new();
    let mut map = CHECKERS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    map.entry(std::any::TypeId::of::<T>())
        .or_insert_with(|| {
            let schema = serde_json::to_value(generator("#/$defs/").into_root_schema_for::<T>())
                .expect("a schema is JSON");
            Arc::new(Checker {
                validator: jsonschema::validator_for(&schema)
                    .expect("schemas derived by schemars are valid JSON Schema"),
                description: schema["description"].as_str().map(str::to_owned),
            })
        })
        .clone()
}

/// JSON Schema's `integer` is any number with no fraction (`163.0` is one); serde's integers
/// are not. Such numbers become integers before serde reads them.
fn integral_numbers(value: &mut Value) {
    match value {
        Value::Number(n) if n.is_f64() => {
            // Only where the float stands for one integer exactly: 2^64 (which is how
            // `u64::MAX as f64` rounds) and beyond stay floats, which serde then refuses.
            if let Some(f) = n.as_f64().filter(|f| f.fract() == 0.0) {
                #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                if (0.0..u64::MAX as f64).contains(&f) {
                    *value = Value::from(f as u64);
                } else if (i64::MIN as f64..0.0).contains(&f) {
                    *value = Value::from(f as i64);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_numbers),
        Value::Object(map) => map.values_mut().for_each(integral_numbers),
        _ => {}
    }
}

/// `bytes` read as a body of `T`: JSON the schema of `T` allows (400 otherwise).
pub fn parse_body<T>(bytes: &[u8]) -> Result<T, AdminError>
where
    T: serde::de::DeserializeOwned + JsonSchema + 'static,
{
    let mut value: Value = serde_json::from_slice(bytes)
        .map_err(|e| AdminError::bad_request(format!("invalid JSON body: {e}")))?;
    let checker = checker::<T>();
    if let Some(error) = checker.validator.iter_errors(&value).next() {
        let at = error.instance_path().to_string();
        let at = if at.is_empty() {
            "the body".to_owned()
        } else {
            at
        };
        let mut description = format!("{at}: {}", crate::wire::shortened(&error.to_string(), 300));
        if let Some(about) = &checker.description {
            description.push_str(&format!(" ({})", about.replace('\n', " ")));
        }
        return Err(AdminError::bad_request(description));
    }
    integral_numbers(&mut value);
    serde_json::from_value(value)
        .map_err(|e| AdminError::bad_request(format!("invalid JSON body: {e}")))
}

impl<T, S> axum::extract::FromRequest<S> for Body<T>
where
    T: serde::de::DeserializeOwned + JsonSchema + 'static,
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
        parse_body(&bytes).map(Body)
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
    /// The status of success: 200, or 201 / 204 as [`Api::answers`] says.
    success: StatusCode,
    /// Answers besides success and the ones every operation may give (400, 401, 403, and 404,
    /// 413 where they apply), each an admin error body.
    others: Vec<(StatusCode, &'static str)>,
    /// Whether the request body may be left out.
    body_optional: bool,
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
            success: StatusCode::OK,
            others: Vec::new(),
            body_optional: false,
        });
        self
    }

    /// The route just added may be called without a body.
    pub fn body_optional(mut self) -> Self {
        if let Some(last) = self.operations.last_mut() {
            last.body_optional = true;
        }
        self
    }

    /// The route just added succeeds with `status` (201, 204) instead of 200.
    pub fn succeeds_with(mut self, status: StatusCode) -> Self {
        if let Some(last) = self.operations.last_mut() {
            last.success = status;
        }
        self
    }

    /// The route just added may also answer `status`, for the reason given.
    pub fn answers(mut self, status: StatusCode, why: &'static str) -> Self {
        if let Some(last) = self.operations.last_mut() {
            last.others.push((status, why));
        }
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
            // What no route answers is still the admin API's: refused in its JSON, never handed
            // to the server's own routes (where it would be journaled and subject to rules).
            .route(
                &format!("{PREFIX}/{{*rest}}"),
                axum::routing::any(|| async {
                    AdminError::not_found(format!(
                        "no admin route has this path; {PREFIX}/openapi.json lists them"
                    ))
                }),
            )
            .method_not_allowed_fallback(|| async {
                AdminError {
                    status: StatusCode::METHOD_NOT_ALLOWED,
                    error: "invalid_request",
                    description: "this admin route does not answer this method".into(),
                }
            })
            .with_state(state);
        router.layer(axum::middleware::from_fn_with_state(Arc::new(token), guard))
    }
}

/// The OpenAPI 3.1 document of `operations`.
pub fn openapi(title: &str, operations: &[Operation]) -> Value {
    let mut generator = generator("#/components/schemas/");
    let mut paths = serde_json::Map::new();
    let error = |why: &str| json!({ "description": why, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/AdminErrorBody" } } } });
    for op in operations {
        let parameters: Vec<Value> = op
            .path
            .split('/')
            .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
            // One path segment: anything but a slash, percent-encoded as needed.
            .map(|name| json!({ "name": name, "in": "path", "required": true, "schema": { "type": "string", "pattern": "^[^/]+$" } }))
            .collect();
        let mut responses = serde_json::Map::new();
        let mut success = json!({ "description": "success" });
        if let Some(response) = op.response {
            success["content"] =
                json!({ "application/json": { "schema": response(&mut generator) } });
        }
        responses.insert(op.success.as_u16().to_string(), success);
        responses.insert(
            "401".into(),
            error("an admin token is configured and was not presented"),
        );
        responses.insert(
            "403".into(),
            error("the peer is not loopback and no admin token is configured"),
        );
        if op.request.is_some() {
            responses.insert(
                "400".into(),
                error("the body is not what the schema allows"),
            );
            responses.insert("413".into(), error("the body is too large"));
        }
        if !parameters.is_empty() {
            responses.insert(
                "404".into(),
                error("no such issuer, user, client, key or rule"),
            );
        }
        for (status, why) in &op.others {
            responses.insert(status.as_u16().to_string(), error(why));
        }
        let mut operation = json!({ "summary": op.summary, "responses": responses });
        if let Some(request) = op.request {
            operation["requestBody"] = json!({ "required": !op.body_optional, "content": { "application/json": { "schema": request(&mut generator) } } });
        }
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

/// Move the clock: by `advance`, or to `set`. The clock runs from 1970-01-01T00:00:00Z to
/// 9999-12-31T23:59:59Z (0 to 253402300799 seconds since the epoch).
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum ClockChange {
    Advance(Advance),
    Set(Set),
}

/// Move the clock forward.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Advance {
    /// How far: `10m`, `2h`, `30d`, `1h 30m` (a part is at most about 2,700 years; the clock
    /// stops at 9999-12-31T23:59:59Z).
    #[schemars(schema_with = "crate::duration::schema")]
    pub advance: String,
}

/// Move the clock to an instant, forward or back.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Set {
    pub set: Instant,
}

/// An instant the clock can show.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Instant {
    /// Seconds since the epoch, 0 to 253402300799 (9999-12-31T23:59:59Z).
    Seconds(#[schemars(range(min = 0, max = 253_402_300_799u64))] u64),
    /// RFC 3339 in UTC, from 1970 to 9999: `2030-01-01T00:00:00Z`.
    Text(#[schemars(regex(pattern = RFC3339_UTC))] String),
}

/// RFC 3339 `date-time` in UTC (`Z`), years 1970 to 9999, only dates that exist (February 29th
/// in leap years alone), with any fraction of a second: what the clock accepts, as a pattern.
const RFC3339_UTC: &str = concat!(
    "^(?:(?:19[7-9][0-9]|[2-9][0-9]{3})-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])",
    "|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)|02-(?:0[1-9]|1[0-9]|2[0-8]))",
    "|(?:19(?:7[26]|8[048]|9[26])|[2-9][0-9](?:0[48]|[2468][048]|[13579][26])",
    "|(?:[2468][048]|[3579][26])00)-02-29)",
    "T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\\.[0-9]{1,9})?Z$"
);

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
            "Advance the clock (`advance: 10m`) or set it (`set: 2030-01-01T00:00:00Z`); at the provider, login sessions the move ends are ended (their clients sent logout tokens) before the answer",
            Some(schema::<ClockChange>),
            Some(schema::<ClockState>),
            post_clock,
        )
        .answers(StatusCode::CONFLICT, "the move would take the clock past 9999-12-31T23:59:59Z from where it is")
        .route(Method::GET, "/rules", "List the rules in order, with match and fire counts", None, Some(schema::<Vec<RuleStatus>>), list_rules)
        .route(Method::POST, "/rules", "Add a rule at the end (a rule with an existing id replaces it)", Some(schema::<Rule>), Some(schema::<RuleId>), add_rule)
        .succeeds_with(StatusCode::CREATED)
        .route(Method::DELETE, "/rules", "Remove every rule", None, None, clear_rules)
        .succeeds_with(StatusCode::NO_CONTENT)
        .route(Method::DELETE, "/rules/{id}", "Remove one rule", None, None, remove_rule)
        .succeeds_with(StatusCode::NO_CONTENT)
        .route(Method::GET, "/journal", "Journal entries matching the query's filter fields", None, Some(schema::<Entries>), get_journal)
        .answers(StatusCode::BAD_REQUEST, "a filter field of the query is not valid")
        .route(Method::DELETE, "/journal", "Forget every journal entry", None, None, clear_journal)
        .succeeds_with(StatusCode::NO_CONTENT)
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
            Some(schema::<Verified>),
            verify_journal,
        )
        .answers(StatusCode::UNPROCESSABLE_ENTITY, "the expectation does not hold; the body says how many matched, and which")
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
    let clock = control.clock();
    match change {
        ClockChange::Advance(Advance { advance }) => {
            let by = crate::duration::parse(&advance).map_err(AdminError::bad_request)?;
            // Within the range itself, but not from where the clock is now: a conflict with
            // the clock's state, which moving it back resolves.
            clock.try_advance(by).map_err(|e| AdminError {
                status: StatusCode::CONFLICT,
                error: "out_of_range",
                description: format!(
                    "{e}; the clock is at {}",
                    humantime::format_rfc3339_seconds(clock.now())
                ),
            })?;
        }
        ClockChange::Set(Set {
            set: Instant::Seconds(seconds),
        }) => clock
            .try_set_seconds(seconds)
            .map_err(|e| AdminError::bad_request(e.to_string()))?,
        ClockChange::Set(Set {
            set: Instant::Text(text),
        }) => {
            let at = humantime::parse_rfc3339_weak(&text).map_err(|e| {
                AdminError::bad_request(format!("{text:?} is not an RFC 3339 time: {e}"))
            })?;
            clock
                .try_set(at)
                .map_err(|e| AdminError::bad_request(e.to_string()))?;
        }
    }
    // What the move ended (login sessions past their end) ends before the answer.
    if let Some(hooks) = control.hooks() {
        hooks.clock_moved().await;
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

/// A verification that held.
#[derive(Debug, Serialize, JsonSchema)]
pub struct Verified {
    /// Always `true`: a failed verification is a 422 with the mismatch.
    pub ok: bool,
}

async fn verify_journal(State(control): State<Control>, Body(v): Body<Verification>) -> Response {
    match control.journal().verify(&v.filter, v.expect) {
        Ok(()) => Json(Verified { ok: true }).into_response(),
        Err(mismatch) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({
                "error": "expectation_failed",
                "error_description": mismatch.to_string(),
                "ok": false,
                "mismatch": mismatch,
            })),
        )
            .into_response(),
    }
}
