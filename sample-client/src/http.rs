//! The client's one HTTP transport, for the provider and the resource alike.
//!
//! It is what `openidconnect` sends its requests through (it implements the crate's
//! [`AsyncHttpClient`]), and it judges every answer before the crate parses it. The crate, given
//! a 500 HTML page, reports only "failed to parse" and loses the status; given a 200 carrying
//! `{"error": ...}` (GitHub's token endpoint does this), it reports a missing `access_token`.
//! Judged here, each becomes a failure that says what really happened: "answered HTTP 500 with
//! text/html", "answered 200 carrying error bad_verification_code". RFC-shaped error answers
//! (4xx/5xx JSON with an `error` member) pass through, for the crate to read as the RFCs say.
//!
//! No redirects are followed (an endpoint that redirects is misconfigured, and following one
//! could carry credentials elsewhere), no proxy is used, bodies are capped, and every request
//! has a deadline.

use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use openidconnect::{AsyncHttpClient, HttpRequest, HttpResponse};
use reqwest::header::{CONTENT_TYPE, HeaderMap};
use serde_json::Value;

/// Answers larger than this are refused: nothing the client asks for comes near it.
const MAX_BODY: usize = 1 << 20;

/// What went wrong below the protocol: the peer could not be reached, or answered something that
/// is not a protocol answer at all. The text is safe to show (no tokens, no bodies).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Transport {
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("could not connect")]
    Connect,
    #[error("the connection failed before an answer arrived")]
    Broken,
    #[error("answered HTTP {status} with {content_type}")]
    Status { status: u16, content_type: String },
    #[error("answered HTTP {status} with {content_type} where JSON was expected")]
    NotJson { status: u16, content_type: String },
    #[error("answered HTTP {status} carrying error {error}{}", describe(.description))]
    ErrorInSuccess {
        status: u16,
        error: String,
        description: Option<String>,
    },
    #[error("answered with more than {MAX_BODY} bytes")]
    TooLarge,
    #[error("the request could not be made: {0}")]
    Request(String),
}

fn describe(description: &Option<String>) -> String {
    description
        .as_deref()
        .map(|d| format!(" ({d})"))
        .unwrap_or_default()
}

/// An answer as it arrived.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    /// The media type without parameters, lower-cased; `none` when absent.
    pub fn media_type(&self) -> String {
        media_type(&self.headers)
    }

    /// Whether the body is JSON (`application/json` or a `+json` type, RFC 6839 §3.1).
    pub fn is_json(&self) -> bool {
        let media = self.media_type();
        media == "application/json" || media.ends_with("+json")
    }
}

fn media_type(headers: &HeaderMap) -> String {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| "no content type".to_owned())
}

/// Judges an answer from an OAuth / OpenID endpoint before it is parsed:
/// - a 2xx answer must be JSON (or a JWT, which UserInfo may send, OIDC Core §5.3.2), and a JSON
///   object carrying a string `error` is an error however it is dressed (GitHub answers 200);
/// - any other answer passes only if it is a JSON error object (RFC 6749 §5.2, RFC 6750 §3), for
///   the caller to read; an HTML page or an empty body becomes [`Transport::Status`].
pub fn judge(answer: Answer) -> Result<Answer, Transport> {
    let status = answer.status;
    let json = answer.is_json();
    let error = json.then(|| error_member(&answer.body)).flatten();
    if (200..300).contains(&status) {
        if let Some((error, description)) = error {
            return Err(Transport::ErrorInSuccess {
                status,
                error,
                description,
            });
        }
        if json || answer.media_type() == "application/jwt" {
            Ok(answer)
        } else {
            Err(Transport::NotJson {
                status,
                content_type: answer.media_type(),
            })
        }
    } else if error.is_some() {
        Ok(answer)
    } else {
        Err(Transport::Status {
            status,
            content_type: answer.media_type(),
        })
    }
}

/// The `error` and `error_description` of a JSON object, when it has a string `error`.
fn error_member(body: &[u8]) -> Option<(String, Option<String>)> {
    let value: Value = serde_json::from_slice(body).ok()?;
    let error = value.get("error")?.as_str()?.to_owned();
    let description = value
        .get("error_description")
        .and_then(Value::as_str)
        .map(str::to_owned);
    Some((error, description))
}

use fauxauth_core::tls::rustls_config;

/// The client's HTTP transport: cheap to clone.
#[derive(Clone, Debug)]
pub struct Http {
    client: reqwest::Client,
    timeout: Duration,
    dpop: Option<std::sync::Arc<Dpop>>,
}

/// The client's DPoP (RFC 9449): its key, the clock its proofs are dated by, the last nonce a
/// server gave (§8), and whether the provider binds its tokens (it answered `token_type: DPoP`).
#[derive(Debug)]
struct Dpop {
    key: fauxauth_core::dpop::ProofKey,
    clock: fauxauth_core::Clock,
    nonce: std::sync::Mutex<Option<String>>,
    bound: std::sync::atomic::AtomicBool,
}

impl Dpop {
    /// A proof for `request`: every token request (a form POST with `grant_type`), and every
    /// request presenting a token once the provider binds them, whose `Authorization: Bearer`
    /// then becomes `DPoP` (§7.1). Nothing for other requests (discovery, keys).
    fn prove(&self, request: &mut reqwest::Request) {
        use std::sync::atomic::Ordering;
        let token_request = request.method() == reqwest::Method::POST
            && request
                .body()
                .and_then(|b| b.as_bytes())
                .is_some_and(|b| form_urlencoded::parse(b).any(|(k, _)| k == "grant_type"));
        let presented = request
            .headers()
            .get(reqwest::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.to_owned())
            .filter(|_| self.bound.load(Ordering::Relaxed));
        if !token_request && presented.is_none() {
            return;
        }
        let mut url = request.url().clone();
        url.set_query(None);
        url.set_fragment(None);
        // Unguessable and never repeated, across restarts too (§11.1).
        let jti = crate::random::fresh_secret();
        let nonce = self.nonce.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let proof = self.key.proof(&fauxauth_core::dpop::ProofFor {
            method: request.method().as_str(),
            url: url.as_str(),
            iat: fauxauth_core::unix(self.clock.now()),
            jti: &jti,
            access_token: presented.as_deref(),
            nonce: nonce.as_deref(),
        });
        let headers = request.headers_mut();
        if let Some(token) = &presented
            && let Ok(value) = reqwest::header::HeaderValue::from_str(&format!("DPoP {token}"))
        {
            headers.insert(reqwest::header::AUTHORIZATION, value);
        }
        if let Ok(value) = reqwest::header::HeaderValue::from_str(&proof) {
            headers.insert("dpop", value);
        }
    }

    /// Learns from an answer: a nonce to use next (§8, §9), and whether tokens are bound.
    /// True when the answer asks for a nonce the request lacked: send it again.
    fn learn(&self, answer: &Answer) -> bool {
        if let Some(nonce) = answer
            .headers
            .get("dpop-nonce")
            .and_then(|v| v.to_str().ok())
        {
            *self.nonce.lock().unwrap_or_else(|p| p.into_inner()) = Some(nonce.to_owned());
        }
        if answer.status == 200
            && let Ok(body) = serde_json::from_slice::<Value>(&answer.body)
            && body
                .get("token_type")
                .and_then(Value::as_str)
                .is_some_and(|t| t.eq_ignore_ascii_case("dpop"))
        {
            self.bound.store(true, std::sync::atomic::Ordering::Relaxed);
        }
        let challenged = answer
            .headers
            .get(reqwest::header::WWW_AUTHENTICATE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|c| c.contains("use_dpop_nonce"));
        challenged || error_member(&answer.body).is_some_and(|(e, _)| e == "use_dpop_nonce")
    }
}

impl Http {
    /// A transport trusting `tls` for HTTPS (a rustls client configuration), resolving the
    /// names in `resolve` to their addresses.
    pub fn new(
        timeout: Duration,
        tls: rustls_config::ClientConfig,
        resolve: &[(String, std::net::SocketAddr)],
    ) -> Result<Self, reqwest::Error> {
        let mut client = reqwest::Client::builder();
        for (name, addr) in resolve {
            client = client.resolve(name, *addr);
        }
        let client = client
            .use_preconfigured_tls(tls)
            // fauxauth's servers live on this machine or a container network; an HTTP proxy from
            // the environment would only get in the way (and must not see tokens).
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(timeout)
            .build()?;
        Ok(Self {
            client,
            timeout,
            dpop: None,
        })
    }

    /// This transport proving possession of `key` with DPoP (RFC 9449) at the token endpoint,
    /// and at every API once the provider binds its tokens to it.
    pub fn with_dpop(
        mut self,
        key: fauxauth_core::dpop::ProofKey,
        clock: fauxauth_core::Clock,
    ) -> Self {
        self.dpop = Some(std::sync::Arc::new(Dpop {
            key,
            clock,
            nonce: Default::default(),
            bound: Default::default(),
        }));
        self
    }

    /// The thumbprint of the DPoP key, when there is one (`dpop_jkt`, RFC 9449 §10).
    pub fn dpop_jkt(&self) -> Option<&str> {
        self.dpop.as_ref().map(|d| d.key.jkt())
    }

    /// The underlying client, to build requests with.
    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// Sends `request` and reads the whole answer (up to the cap), unjudged. With DPoP, with a
    /// proof, sent once more with the server's nonce when it asks for one.
    pub async fn send(&self, mut request: reqwest::Request) -> Result<Answer, Transport> {
        let Some(dpop) = &self.dpop else {
            return self.send_once(request).await;
        };
        let retry = request.try_clone();
        dpop.prove(&mut request);
        let answer = self.send_once(request).await?;
        match retry {
            Some(mut again) if dpop.learn(&answer) => {
                dpop.prove(&mut again);
                let answer = self.send_once(again).await?;
                dpop.learn(&answer);
                Ok(answer)
            }
            _ => Ok(answer),
        }
    }

    async fn send_once(&self, request: reqwest::Request) -> Result<Answer, Transport> {
        let mut response = self
            .client
            .execute(request)
            .await
            .map_err(|e| self.failure(e))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        if response
            .content_length()
            .is_some_and(|n| n > MAX_BODY as u64)
        {
            return Err(Transport::TooLarge);
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| self.failure(e))? {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(Transport::TooLarge);
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Answer {
            status,
            headers,
            body,
        })
    }

    fn failure(&self, error: reqwest::Error) -> Transport {
        let error = error.without_url();
        // Logged without the URL, whose query may hold a token (the token-in-url weakness).
        tracing::debug!(error = %error, "request failed");
        if error.is_timeout() {
            Transport::Timeout(self.timeout)
        } else if error.is_connect() {
            Transport::Connect
        } else {
            Transport::Broken
        }
    }
}

impl<'c> AsyncHttpClient<'c> for Http {
    type Error = Transport;
    type Future = Pin<Box<dyn Future<Output = Result<HttpResponse, Transport>> + Send + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        Box::pin(async move {
            let request = reqwest::Request::try_from(request)
                .map_err(|e| Transport::Request(e.without_url().to_string()))?;
            let answer = judge(self.send(request).await?)?;
            let mut response = HttpResponse::new(answer.body);
            *response.status_mut() = openidconnect::http::StatusCode::from_u16(answer.status)
                .map_err(|e| Transport::Request(e.to_string()))?;
            *response.headers_mut() = answer.headers;
            Ok(response)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn answer(status: u16, content_type: Option<&'static str>, body: &str) -> Answer {
        let mut headers = HeaderMap::new();
        if let Some(ct) = content_type {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static(ct));
        }
        Answer {
            status,
            headers,
            body: body.as_bytes().to_vec(),
        }
    }

    #[test]
    fn a_json_success_passes() {
        let ok = judge(answer(
            200,
            Some("application/json; charset=utf-8"),
            r#"{"access_token":"a"}"#,
        ));
        assert!(ok.is_ok());
    }

    #[test]
    fn a_success_carrying_an_error_is_an_error() {
        let err = judge(answer(
            200,
            Some("application/json"),
            r#"{"error":"bad_verification_code","error_description":"The code passed is incorrect or expired."}"#,
        ))
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "answered HTTP 200 carrying error bad_verification_code (The code passed is incorrect or expired.)"
        );
    }

    #[test]
    fn a_success_that_is_not_json_is_refused_naming_its_type() {
        let err = judge(answer(200, Some("text/html"), "<h1>hi</h1>")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "answered HTTP 200 with text/html where JSON was expected"
        );
        let err = judge(answer(200, None, "{}")).unwrap_err();
        assert!(err.to_string().contains("no content type"), "{err}");
    }

    #[test]
    fn an_rfc_error_answer_passes_for_the_protocol_to_read() {
        let ok = judge(answer(
            400,
            Some("application/json"),
            r#"{"error":"invalid_grant"}"#,
        ));
        assert!(ok.is_ok());
    }

    #[test]
    fn an_html_error_page_keeps_its_status() {
        let err = judge(answer(500, Some("text/html"), "<h1>Internal</h1>")).unwrap_err();
        assert_eq!(err.to_string(), "answered HTTP 500 with text/html");
        let err = judge(answer(502, Some("application/json"), r#"{"message":"x"}"#)).unwrap_err();
        assert_eq!(
            err,
            Transport::Status {
                status: 502,
                content_type: "application/json".into()
            }
        );
    }
}
