//! GitHub (the `github` preset): plain OAuth 2.0, as GitHub's "Authorizing OAuth apps" guide has
//! apps do it. The web host (the configured issuer) authorizes and issues tokens at fixed paths;
//! there is no discovery, no ID token and no nonce. Who logged in is asked of the API host (the
//! configured resource): `GET /user`, and when its `email` is null (the user keeps it private),
//! `GET /user/emails` for the primary verified address.
//!
//! What GitHub does differently at the token endpoint is absorbed below: `Accept:
//! application/json` is sent (without it GitHub answers a form), an error comes as HTTP 200
//! carrying `error` (judged an error by `http.rs`), `token_type` is lowercase and `scope`
//! comma-separated (`token.rs` reads both), an OAuth App's token has no `expires_in` and a
//! GitHub App's has one with a rotating `ghr_` refresh token (`refresh.rs` keeps the newest).

use fauxauth_core::preset::github;
use oauth2::AccessToken;
use serde::Deserialize;
use serde_json::Value;

use crate::error::{Check, Error};
use crate::http::Http;
use crate::token::Credentials;
use crate::user_api::Site;

/// The media type GitHub's REST API documents for its requests.
const MEDIA_TYPE: &str = "application/vnd.github+json";
/// The REST API version the client is written against (GitHub's `X-GitHub-Api-Version`).
const API_VERSION: &str = "2022-11-28";
/// GitHub's API refuses requests without a `User-Agent`.
const USER_AGENT: &str = "fauxauth-sample-client";

/// GitHub's two hosts, as this client uses them.
#[derive(Debug)]
pub struct Github {
    pub site: Site,
}

/// Who logged in, as GitHub's user API describes them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    /// The account's numeric id, GitHub's stable identifier (a login can be renamed).
    pub id: String,
    pub login: String,
    pub name: Option<String>,
    /// The public address from `/user`, else the primary verified one from `/user/emails`.
    pub email: Option<String>,
}

/// `GET /user`, the fields read.
#[derive(Deserialize)]
struct Profile {
    id: Value,
    login: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    email: Option<String>,
}

/// One entry of `GET /user/emails`.
#[derive(Debug, Deserialize)]
pub struct Email {
    pub email: String,
    #[serde(default)]
    pub primary: bool,
    #[serde(default)]
    pub verified: bool,
}

impl Github {
    /// GitHub with its web host at `web` and its API host at `api`.
    pub fn new(
        web: &str,
        api: &str,
        credentials: &Credentials,
        http: Http,
    ) -> Result<Self, String> {
        let paths = (github::AUTHORIZE, github::TOKEN);
        Ok(Self {
            site: Site::new(web, api, paths, credentials, http)?,
        })
    }

    /// Who the access token belongs to: `/user`, then `/user/emails` when the profile's address
    /// is private. Any failure is `userinfo_failed`: no one is logged in without knowing who.
    pub async fn user(&self, token: &AccessToken) -> Result<User, Error> {
        let profile: Profile = self.get(github::USER, token).await?;
        let id = match profile.id {
            Value::Number(n) => n.to_string(),
            Value::String(s) if !s.is_empty() => s,
            other => {
                return Err(Error::new(
                    Check::UserinfoFailed,
                    format!("GET {} answered an id that is no id: {other}", github::USER),
                ));
            }
        };
        let email = match profile.email.filter(|e| !e.is_empty()) {
            Some(email) => Some(email),
            None => primary_verified(&self.get::<Vec<Email>>(github::USER_EMAILS, token).await?),
        };
        Ok(User {
            id,
            login: profile.login,
            name: profile.name.filter(|n| !n.is_empty()),
            email,
        })
    }

    /// GitHub's errors: `{"message": "Bad credentials", "documentation_url": ...}`.
    async fn get<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        token: &AccessToken,
    ) -> Result<T, Error> {
        self.site.get(path, token, api_request).await
    }
}

/// The headers GitHub's REST API documents for every request.
pub fn api_request(request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
    request
        .header(reqwest::header::ACCEPT, MEDIA_TYPE)
        .header("x-github-api-version", API_VERSION)
        .header(reqwest::header::USER_AGENT, USER_AGENT)
}

/// The address to trust: the primary one, and only if verified. An unverified address proves
/// nothing (anyone may add any address to their account), and a verified secondary one is not
/// the one the user chose.
pub fn primary_verified(emails: &[Email]) -> Option<String> {
    emails
        .iter()
        .find(|e| e.primary && e.verified)
        .map(|e| e.email.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn emails(json: &str) -> Vec<Email> {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn the_primary_verified_address_is_picked_and_nothing_less() {
        let list = emails(
            r#"[{"email":"old@example.com","primary":false,"verified":true,"visibility":null},
                {"email":"octocat@github.com","primary":true,"verified":true,"visibility":"public"}]"#,
        );
        assert_eq!(
            primary_verified(&list).as_deref(),
            Some("octocat@github.com")
        );
        let unverified = emails(
            r#"[{"email":"claimed@example.com","primary":true,"verified":false,"visibility":null},
                {"email":"other@example.com","primary":false,"verified":true,"visibility":null}]"#,
        );
        assert_eq!(primary_verified(&unverified), None);
        assert_eq!(primary_verified(&[]), None);
    }
}
