//! The load generator: a fixed number of workers, each sending one request (or one flow) at a
//! time, until a request budget or a time budget is spent, whichever comes first.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64_STD;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use hyper::body::Bytes;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue, LOCATION};
use hyper::{Method, StatusCode};
use rand::RngCore as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use url::Url;

use crate::http::{Client, Endpoint};
use crate::stats::{ms, percentile};
use crate::target::Endpoints;

/// How long and how hard one measurement runs.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub concurrency: usize,
    /// At most this many operations are started.
    pub requests: u64,
    /// No operation is started after this much time.
    pub duration: Duration,
}

impl Limits {
    /// A short run before the measured one: connections opened, caches and allocators warm.
    pub fn warmup(self) -> Self {
        Self {
            concurrency: self.concurrency,
            requests: self.requests.min(50 * self.concurrency as u64),
            duration: self.duration.min(Duration::from_millis(500)),
        }
    }
}

/// What one measurement found.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Throughput {
    /// Operations that succeeded.
    pub ok: u64,
    pub errors: u64,
    pub seconds: f64,
    /// Successful operations per second.
    pub per_second: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_error: Option<String>,
    /// CPU the server used per successful operation, in microseconds (when its pid is known).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server_cpu_us: Option<f64>,
    /// CPU this load generator used per successful operation, in microseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generator_cpu_us: Option<f64>,
}

/// Runs `op` under `limits` and measures it. Latency is per operation (a whole flow for flows).
/// Each worker owns a [`Client`] (its connections), lent to `op` and handed back with the result.
pub async fn measure<F, Fut>(limits: Limits, op: F) -> Throughput
where
    F: Fn(Client) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = (Client, Result<(), String>)> + Send + 'static,
{
    let op = Arc::new(op);
    let started = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let workers: Vec<_> = (0..limits.concurrency.max(1))
        .map(|_| {
            let op = op.clone();
            let started = started.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut errors = 0u64;
                let mut first_error = None;
                let mut client = Client::default();
                while started.fetch_add(1, Ordering::Relaxed) < limits.requests
                    && start.elapsed() < limits.duration
                {
                    let t = Instant::now();
                    let (back, result) = op(client).await;
                    client = back;
                    match result {
                        Ok(()) => latencies.push(t.elapsed()),
                        Err(e) => {
                            errors += 1;
                            first_error.get_or_insert(e);
                        }
                    }
                }
                (latencies, errors, first_error)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    let mut errors = 0;
    let mut first_error = None;
    for worker in workers {
        match worker.await {
            Ok((l, e, f)) => {
                latencies.extend(l);
                errors += e;
                if first_error.is_none() {
                    first_error = f;
                }
            }
            Err(e) => {
                errors += 1;
                first_error.get_or_insert_with(|| format!("worker failed: {e}"));
            }
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    let ok = latencies.len() as u64;
    Throughput {
        ok,
        errors,
        seconds,
        per_second: if seconds > 0.0 {
            ok as f64 / seconds
        } else {
            0.0
        },
        p50_ms: percentile(&mut latencies, 50.0).map_or(0.0, ms),
        p99_ms: percentile(&mut latencies, 99.0).map_or(0.0, ms),
        first_error,
        server_cpu_us: None,
        generator_cpu_us: None,
    }
}

/// The provider's endpoints and the client's credentials: what every operation needs.
#[derive(Debug)]
pub struct Ctx {
    pub discovery: Endpoint,
    pub jwks: Endpoint,
    pub authorize: Endpoint,
    pub token: Endpoint,
    /// RFC 8628's device authorization endpoint, when the provider serves it.
    pub device_authorization: Option<Endpoint>,
    /// Whether the provider lists token exchange.
    pub token_exchange: bool,
    /// The provider takes DPoP proofs (ES256).
    pub dpop: bool,
    pub client_id: String,
    pub redirect_uri: String,
    pub scope: String,
    /// `Basic ...` for the token endpoint, made once (RFC 6749 §2.3.1: id and secret
    /// form-encoded, then joined).
    authorization: HeaderValue,
    form: HeaderValue,
}

impl Ctx {
    pub fn new(
        endpoints: &Endpoints,
        client_id: &str,
        client_secret: &str,
        redirect_uri: &str,
        scope: &str,
    ) -> Self {
        let encode = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        let basic = B64_STD.encode(format!("{}:{}", encode(client_id), encode(client_secret)));
        Self {
            discovery: Endpoint::new(&endpoints.discovery),
            jwks: Endpoint::new(&endpoints.jwks),
            authorize: Endpoint::new(&endpoints.authorize),
            token: Endpoint::new(&endpoints.token),
            device_authorization: endpoints.device_authorization.as_ref().map(Endpoint::new),
            token_exchange: endpoints.token_exchange,
            dpop: endpoints.dpop,
            client_id: client_id.to_owned(),
            redirect_uri: redirect_uri.to_owned(),
            scope: scope.to_owned(),
            authorization: HeaderValue::from_str(&format!("Basic {basic}"))
                .expect("base64 is a valid header value"),
            form: HeaderValue::from_static("application/x-www-form-urlencoded"),
        }
    }
}

/// GET `endpoint`, expecting 200.
pub async fn get(client: &mut Client, endpoint: &Endpoint) -> Result<(), String> {
    let request = endpoint.request(Method::GET, None, &[], Bytes::new());
    let answer = client.send(endpoint, request).await?;
    expect_status(answer.status, StatusCode::OK)
}

/// One `client_credentials` token (RFC 6749 §4.4), the client authenticated with HTTP Basic.
pub async fn client_credentials(ctx: &Ctx, client: &mut Client) -> Result<(), String> {
    let body = form(&[("grant_type", "client_credentials")]);
    let tokens = token_request(ctx, client, body).await?;
    require(&tokens, &["access_token"])
}

/// A device flow started and polled once (RFC 8628 §3.1, §3.4): the device authorization, then
/// a poll that must be answered `authorization_pending` (no one approves).
pub async fn device_poll(ctx: &Ctx, client: &mut Client) -> Result<(), String> {
    let endpoint = ctx
        .device_authorization
        .as_ref()
        .ok_or("the provider serves no device authorization endpoint")?;
    let answer = post_form(ctx, client, endpoint, form(&[("scope", "openid")])).await?;
    expect_status(answer.status, StatusCode::OK)?;
    let started: serde_json::Value =
        serde_json::from_slice(&answer.body).map_err(|e| e.to_string())?;
    let device_code = started["device_code"]
        .as_str()
        .ok_or("no device_code in the device authorization response")?;
    let body = form(&[
        ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
        ("device_code", device_code),
    ]);
    let answer = post_form(ctx, client, &ctx.token, body).await?;
    let pending = answer.status == StatusCode::BAD_REQUEST
        && String::from_utf8_lossy(&answer.body).contains("authorization_pending");
    if pending {
        Ok(())
    } else {
        Err(format!(
            "the poll answered {}: {}",
            answer.status,
            String::from_utf8_lossy(&answer.body[..answer.body.len().min(200)])
        ))
    }
}

/// One token exchange (RFC 8693): `subject_token` (an access token of the provider's) for a new
/// access token.
pub async fn token_exchange(
    ctx: &Ctx,
    client: &mut Client,
    subject_token: &str,
) -> Result<(), String> {
    let body = form(&[
        ("grant_type", crate::target::TOKEN_EXCHANGE),
        ("subject_token", subject_token),
        (
            "subject_token_type",
            "urn:ietf:params:oauth:token-type:access_token",
        ),
    ]);
    let tokens = token_request(ctx, client, body).await?;
    require(&tokens, &["access_token", "issued_token_type"])
}

/// One authorization code flow with PKCE (RFC 6749 §4.1, RFC 7636): the authorization request
/// answered at once by a headless provider, the code read from the redirect, then redeemed.
pub async fn code_flow(ctx: &Ctx, client: &mut Client) -> Result<(), String> {
    code_flow_with(ctx, client, None).await
}

/// The same flow with DPoP (RFC 9449): the code bound to `key` (`dpop_jkt`) and redeemed with a
/// proof by it, for an access token bound to it (`token_type: DPoP`). The proof is dated by the
/// provider's clock: real time moved by `clock_offset` seconds (the soak rounds move it).
pub async fn dpop_code_flow(
    ctx: &Ctx,
    client: &mut Client,
    key: &fauxauth_core::dpop::ProofKey,
    clock_offset: i64,
) -> Result<(), String> {
    code_flow_with(ctx, client, Some((key, clock_offset))).await
}

async fn code_flow_with(
    ctx: &Ctx,
    client: &mut Client,
    dpop: Option<(&fauxauth_core::dpop::ProofKey, i64)>,
) -> Result<(), String> {
    let pkce = Pkce::generate();
    let state = random_value(16);
    let nonce = random_value(16);
    let query = form(&[
        ("response_type", "code"),
        ("client_id", &ctx.client_id),
        ("redirect_uri", &ctx.redirect_uri),
        ("scope", &ctx.scope),
        ("state", &state),
        ("nonce", &nonce),
        ("code_challenge", &pkce.challenge),
        ("code_challenge_method", "S256"),
    ]);
    let query = match dpop {
        Some((key, _)) => format!("{query}&{}", form(&[("dpop_jkt", key.jkt())])),
        None => query,
    };
    let path = match ctx.authorize.path_and_query.contains('?') {
        true => format!("{}&{query}", ctx.authorize.path_and_query),
        false => format!("{}?{query}", ctx.authorize.path_and_query),
    };
    let request = ctx
        .authorize
        .request(Method::GET, Some(&path), &[], Bytes::new());
    let answer = client.send(&ctx.authorize, request).await?;
    if !answer.status.is_redirection() {
        return Err(format!(
            "authorize answered {}, not a redirect",
            answer.status
        ));
    }
    let location = answer
        .headers
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .ok_or("authorize redirected without a Location")?;
    let code = code_from(location)?;
    let body = form(&[
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", &ctx.redirect_uri),
        ("code_verifier", &pkce.verifier),
    ]);
    let Some((key, clock_offset)) = dpop else {
        let tokens = token_request(ctx, client, body).await?;
        return require(&tokens, &["access_token", "id_token"]);
    };
    let endpoint = &ctx.token;
    let proof = fresh_proof(key, "POST", endpoint, None, clock_offset);
    let proof = HeaderValue::from_str(&proof).map_err(|e| e.to_string())?;
    let request = endpoint.request(
        Method::POST,
        None,
        &[
            (AUTHORIZATION, &ctx.authorization),
            (CONTENT_TYPE, &ctx.form),
            (hyper::header::HeaderName::from_static("dpop"), &proof),
        ],
        Bytes::from(body),
    );
    let answer = client.send(endpoint, request).await?;
    if answer.status != StatusCode::OK {
        return Err(format!(
            "token endpoint answered {}: {}",
            answer.status,
            String::from_utf8_lossy(&answer.body[..answer.body.len().min(200)])
        ));
    }
    require(&answer.body, &["access_token", "id_token"])?;
    if String::from_utf8_lossy(&answer.body).contains("\"token_type\":\"DPoP\"") {
        Ok(())
    } else {
        Err("the token is not DPoP-bound".into())
    }
}

/// A DPoP proof by `key` for `method` on `endpoint`, made now (moved by `clock_offset` seconds)
/// with a random `jti`; `access_token` is the token it is presented with, if any.
pub fn fresh_proof(
    key: &fauxauth_core::dpop::ProofKey,
    method: &str,
    endpoint: &Endpoint,
    access_token: Option<&str>,
    clock_offset: i64,
) -> String {
    key.proof(&fauxauth_core::dpop::ProofFor {
        method,
        url: &endpoint.url(),
        iat: fauxauth_core::unix(std::time::SystemTime::now()).saturating_add_signed(clock_offset),
        jti: &random_value(16),
        access_token,
        nonce: None,
    })
}

/// One call of the resource's API with `token`: as Bearer, or with `dpop` (the key the token is
/// bound to) as DPoP with a fresh proof for the call (RFC 9449 §7.1). Expects 200.
pub async fn resource_call(
    client: &mut Client,
    endpoint: &Endpoint,
    token: &str,
    dpop: Option<&fauxauth_core::dpop::ProofKey>,
) -> Result<(), String> {
    let (authorization, proof) = match dpop {
        Some(key) => {
            let proof = fresh_proof(key, "GET", endpoint, Some(token), 0);
            (format!("DPoP {token}"), Some(proof))
        }
        None => (format!("Bearer {token}"), None),
    };
    let authorization = HeaderValue::from_str(&authorization).map_err(|e| e.to_string())?;
    let proof = proof
        .map(|p| HeaderValue::from_str(&p))
        .transpose()
        .map_err(|e| e.to_string())?;
    let dpop_header = hyper::header::HeaderName::from_static("dpop");
    let mut headers = vec![(AUTHORIZATION, &authorization)];
    if let Some(proof) = &proof {
        headers.push((dpop_header, proof));
    }
    let request = endpoint.request(Method::GET, None, &headers, Bytes::new());
    let answer = client.send(endpoint, request).await?;
    expect_status(answer.status, StatusCode::OK)
}

/// A form POST to `endpoint` as the client (HTTP Basic).
async fn post_form(
    ctx: &Ctx,
    client: &mut Client,
    endpoint: &Endpoint,
    body: String,
) -> Result<crate::http::Answer, String> {
    let request = endpoint.request(
        Method::POST,
        None,
        &[
            (AUTHORIZATION, &ctx.authorization),
            (CONTENT_TYPE, &ctx.form),
        ],
        Bytes::from(body),
    );
    client.send(endpoint, request).await
}

async fn token_request(ctx: &Ctx, client: &mut Client, body: String) -> Result<Bytes, String> {
    let answer = post_form(ctx, client, &ctx.token, body).await?;
    if answer.status != StatusCode::OK {
        return Err(format!(
            "token endpoint answered {}: {}",
            answer.status,
            String::from_utf8_lossy(&answer.body[..answer.body.len().min(200)])
        ));
    }
    Ok(answer.body)
}

fn expect_status(status: StatusCode, want: StatusCode) -> Result<(), String> {
    if status == want {
        Ok(())
    } else {
        Err(format!("answered {status}, expected {want}"))
    }
}

/// Checks that a token response names each member; the tokens themselves are not verified
/// (that would measure the generator, not the provider).
fn require(body: &[u8], members: &[&str]) -> Result<(), String> {
    let text = std::str::from_utf8(body).map_err(|_| "token response is not UTF-8")?;
    for member in members {
        if !text.contains(&format!("\"{member}\"")) {
            return Err(format!("token response has no {member}"));
        }
    }
    Ok(())
}

fn form(pairs: &[(&str, &str)]) -> String {
    let mut serializer = form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs {
        serializer.append_pair(name, value);
    }
    serializer.finish()
}

/// The `code` of an authorization response's redirect (RFC 6749 §4.1.2), or its `error`.
pub fn code_from(location: &str) -> Result<String, String> {
    let url = Url::parse(location).map_err(|e| format!("bad Location {location:?}: {e}"))?;
    let mut error = None;
    for (name, value) in url.query_pairs() {
        match &*name {
            "code" => return Ok(value.into_owned()),
            "error" => error = Some(value.into_owned()),
            _ => {}
        }
    }
    Err(match error {
        Some(e) => format!("authorize redirected with error={e}"),
        None => "authorize redirected without a code".to_owned(),
    })
}

/// A PKCE verifier and its S256 challenge (RFC 7636 §4.1, §4.2).
#[derive(Debug)]
pub struct Pkce {
    pub verifier: String,
    pub challenge: String,
}

impl Pkce {
    /// A fresh verifier: 32 random bytes, 43 characters.
    pub fn generate() -> Self {
        Self::from_verifier(random_value(32))
    }

    pub fn from_verifier(verifier: String) -> Self {
        let challenge = B64.encode(Sha256::digest(verifier.as_bytes()));
        Self {
            verifier,
            challenge,
        }
    }
}

/// `bytes` random bytes, base64url: 43 characters for 32 bytes, a valid PKCE verifier.
fn random_value(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    B64.encode(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_challenge_is_rfc_7636_appendix_b() {
        let pkce = Pkce::from_verifier("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk".to_owned());
        assert_eq!(
            pkce.challenge,
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert_eq!(Pkce::generate().verifier.len(), 43);
    }

    #[test]
    fn code_is_read_from_the_redirect_or_its_error_reported() {
        assert_eq!(
            code_from("http://127.0.0.1:8080/cb?code=abc%2B1&state=s&iss=x").unwrap(),
            "abc+1"
        );
        let error = code_from("http://127.0.0.1:8080/cb?error=access_denied&state=s").unwrap_err();
        assert!(error.contains("access_denied"), "{error}");
        assert!(code_from("http://127.0.0.1:8080/cb?state=s").is_err());
    }

    #[test]
    fn token_responses_must_name_their_tokens() {
        assert!(
            require(
                br#"{"access_token":"a","id_token":"b"}"#,
                &["access_token", "id_token"]
            )
            .is_ok()
        );
        assert!(require(br#"{"access_token":"a"}"#, &["access_token", "id_token"]).is_err());
    }

    #[tokio::test]
    async fn measure_stops_at_the_request_budget() {
        let limits = Limits {
            concurrency: 3,
            requests: 10,
            duration: Duration::from_secs(30),
        };
        let result = measure(limits, |client| async { (client, Ok(())) }).await;
        assert_eq!(result.ok, 10);
        assert_eq!(result.errors, 0);
    }

    #[tokio::test]
    async fn measure_stops_at_the_time_budget_and_counts_errors() {
        let limits = Limits {
            concurrency: 2,
            requests: u64::MAX,
            duration: Duration::from_millis(50),
        };
        let result = measure(limits, |client| async {
            tokio::time::sleep(Duration::from_millis(5)).await;
            (client, Err("refused".to_owned()))
        })
        .await;
        assert_eq!(result.ok, 0);
        assert!(
            result.errors > 0 && result.errors < 100,
            "{}",
            result.errors
        );
        assert_eq!(result.first_error.as_deref(), Some("refused"));
    }
}
