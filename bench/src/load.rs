//! The load generator: a fixed number of workers, each sending one request (or one flow) at a
//! time, until a request budget or a time budget is spent, whichever comes first.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use rand::RngCore as _;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, LOCATION};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use url::Url;

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
}

/// Runs `op` under `limits` and measures it. Latency is per operation (a whole flow for flows).
pub async fn measure<F, Fut>(limits: Limits, op: F) -> Throughput
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), String>> + Send + 'static,
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
                while started.fetch_add(1, Ordering::Relaxed) < limits.requests
                    && start.elapsed() < limits.duration
                {
                    let t = Instant::now();
                    match op().await {
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
    }
}

/// A client and the provider's endpoints: what every operation needs.
#[derive(Debug)]
pub struct Ctx {
    pub http: reqwest::Client,
    pub endpoints: Endpoints,
    pub client_id: String,
    pub client_secret: String,
    pub redirect_uri: String,
    pub scope: String,
}

/// One HTTP client for a whole run: keep-alive, no redirects followed (the authorization
/// response is read, not followed), no proxy (loopback only).
pub fn http_client(concurrency: usize) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .tcp_nodelay(true)
        .pool_max_idle_per_host(concurrency)
        .timeout(Duration::from_secs(30))
        .build()
}

/// GET `url`, expecting 200.
pub async fn get(ctx: &Ctx, url: &Url) -> Result<(), String> {
    let response = ctx
        .http
        .get(url.clone())
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status();
    response.bytes().await.map_err(|e| e.to_string())?;
    expect_status(status, StatusCode::OK)
}

/// One `client_credentials` token (RFC 6749 §4.4), the client authenticated with HTTP Basic.
pub async fn client_credentials(ctx: &Ctx) -> Result<(), String> {
    let body = form(&[("grant_type", "client_credentials")]);
    let tokens = token_request(ctx, body).await?;
    require(&tokens, &["access_token"])
}

/// One authorization code flow with PKCE (RFC 6749 §4.1, RFC 7636): the authorization request
/// answered at once by a headless provider, the code read from the redirect, then redeemed.
pub async fn code_flow(ctx: &Ctx) -> Result<(), String> {
    let pkce = Pkce::generate();
    let state = random_value(16);
    let nonce = random_value(16);
    let mut authorize = ctx.endpoints.authorize.clone();
    authorize
        .query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &ctx.client_id)
        .append_pair("redirect_uri", &ctx.redirect_uri)
        .append_pair("scope", &ctx.scope)
        .append_pair("state", &state)
        .append_pair("nonce", &nonce)
        .append_pair("code_challenge", &pkce.challenge)
        .append_pair("code_challenge_method", "S256");
    let response = ctx
        .http
        .get(authorize)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status();
    let location = response
        .headers()
        .get(LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    response.bytes().await.map_err(|e| e.to_string())?;
    if !status.is_redirection() {
        return Err(format!("authorize answered {status}, not a redirect"));
    }
    let location = location.ok_or("authorize redirected without a Location")?;
    let code = code_from(&location)?;
    let body = form(&[
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", &ctx.redirect_uri),
        ("code_verifier", &pkce.verifier),
    ]);
    let tokens = token_request(ctx, body).await?;
    require(&tokens, &["access_token", "id_token"])
}

async fn token_request(ctx: &Ctx, body: String) -> Result<Vec<u8>, String> {
    let response = ctx
        .http
        .post(ctx.endpoints.token.clone())
        .basic_auth(&ctx.client_id, Some(&ctx.client_secret))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status();
    let bytes = response.bytes().await.map_err(|e| e.to_string())?;
    if status != StatusCode::OK {
        return Err(format!(
            "token endpoint answered {status}: {}",
            String::from_utf8_lossy(&bytes[..bytes.len().min(200)])
        ));
    }
    Ok(bytes.to_vec())
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
        let result = measure(limits, || async { Ok(()) }).await;
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
        let result = measure(limits, || async {
            tokio::time::sleep(Duration::from_millis(5)).await;
            Err("refused".to_owned())
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
