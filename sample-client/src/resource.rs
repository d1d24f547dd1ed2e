//! The call to the protected API: `GET {resource}/api/me` (or the preset's user API) with the
//! access token in the `Authorization` header (RFC 6750 §2.1), or, under the `token-in-url`
//! weakness, in the query (§2.3), where logs, histories and caches see it (§5.3: "Don't pass
//! bearer tokens in page URLs").

use fauxauth_core::preset::Preset;
use openidconnect::AccessToken;
use serde_json::Value;

use crate::config::resource_path;
use crate::error::{Check, Error};
use crate::github;
use crate::http::Http;

/// What the resource said.
#[derive(Debug)]
pub enum Answer {
    /// 200 with a JSON description of the caller.
    Caller(Value),
    /// 401: the token was not accepted (expired, revoked, ...), RFC 6750 §3.1.
    Unauthorized(String),
}

pub async fn me(
    http: &Http,
    preset: Preset,
    resource: &str,
    token: &AccessToken,
    token_in_url: bool,
) -> Result<Answer, Error> {
    let url = format!(
        "{}{}",
        resource.trim_end_matches('/'),
        resource_path(preset)
    );
    let request = http.client().get(url);
    let request = match preset {
        Preset::Github => github::api_request(request),
        _ => request,
    };
    let request = if token_in_url {
        request.query(&[("access_token", token.secret())])
    } else {
        request.bearer_auth(token.secret())
    };
    let request = request
        .build()
        .map_err(|e| Error::internal(e.without_url()))?;
    let failed = |detail: String| Error::new(Check::ResourceFailed, detail);
    let answer = http
        .send(request)
        .await
        .map_err(|t| failed(t.to_string()))?;
    match answer.status {
        200 if answer.is_json() => serde_json::from_slice(&answer.body)
            .map(Answer::Caller)
            .map_err(|e| failed(format!("the answer is not JSON: {e}"))),
        200 => Err(failed(format!(
            "answered {} where JSON was expected",
            answer.media_type()
        ))),
        401 => Ok(Answer::Unauthorized(challenge(&answer.headers))),
        status => Err(failed(format!("answered HTTP {status}{}", {
            let c = challenge(&answer.headers);
            if c.is_empty() {
                String::new()
            } else {
                format!(" ({c})")
            }
        }))),
    }
}

/// The `WWW-Authenticate` challenge, for messages.
fn challenge(headers: &reqwest::header::HeaderMap) -> String {
    headers
        .get(reqwest::header::WWW_AUTHENTICATE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}
