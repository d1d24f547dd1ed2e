//! A plain OAuth 2.0 provider as this client reaches it: its fixed endpoints on the web host,
//! and its user API, asked who a token belongs to (GitHub's `/user`, Discord's `/users/@me`).
//! What GitHub and Discord share; each one's module knows its paths and shapes.

use oauth2::AccessToken;

use crate::error::{Check, Error};
use crate::http::Http;
use crate::token::{Credentials, Endpoints};

/// A provider's web host (its authorization and token endpoints) and API.
#[derive(Debug)]
pub struct Site {
    pub endpoints: Endpoints,
    api: String,
    http: Http,
}

impl Site {
    /// The web host `web`, serving the authorization and token endpoints at `paths`, and the
    /// API at `api`.
    pub fn new(
        web: &str,
        api: &str,
        paths: (&str, &str),
        credentials: &Credentials,
        http: Http,
    ) -> Result<Self, String> {
        Ok(Self {
            endpoints: Endpoints::fixed(web, paths, credentials, http.clone())?,
            api: api.trim_end_matches('/').to_owned(),
            http,
        })
    }

    /// `GET {api}{path}` with the token, as [`get_json`] says.
    pub async fn get<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        token: &AccessToken,
        decorate: fn(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
    ) -> Result<T, Error> {
        get_json(&self.http, &self.api, path, token, decorate).await
    }
}

/// `GET {api}{path}` with the bearer token, `decorate` adding the API's own headers; the JSON
/// answer as `T`. Anything but a 200 with JSON of that shape is `userinfo_failed`, with the
/// API's `message` when its error body has one (GitHub's and Discord's both do).
async fn get_json<T: serde::de::DeserializeOwned>(
    http: &Http,
    api: &str,
    path: &str,
    token: &AccessToken,
    decorate: fn(reqwest::RequestBuilder) -> reqwest::RequestBuilder,
) -> Result<T, Error> {
    let failed = |detail: String| Error::new(Check::UserinfoFailed, format!("GET {path} {detail}"));
    let request = decorate(http.client().get(format!("{api}{path}")))
        .bearer_auth(token.secret())
        .build()
        .map_err(|e| Error::internal(e.without_url()))?;
    let answer = http
        .send(request)
        .await
        .map_err(|t| failed(t.to_string()))?;
    if answer.status != 200 {
        let message = serde_json::from_slice::<serde_json::Value>(&answer.body)
            .ok()
            .and_then(|v| v.get("message")?.as_str().map(str::to_owned))
            .map(|m| format!(" ({m})"))
            .unwrap_or_default();
        return Err(failed(format!("answered HTTP {}{message}", answer.status)));
    }
    if !answer.is_json() {
        return Err(failed(format!(
            "answered {} where JSON was expected",
            answer.media_type()
        )));
    }
    serde_json::from_slice(&answer.body)
        .map_err(|e| failed(format!("answered what is not the API's shape: {e}")))
}
