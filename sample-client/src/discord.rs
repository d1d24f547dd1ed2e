//! Discord (the `discord` preset): plain OAuth 2.0, as Discord's "OAuth2" guide has apps do it.
//! The web host (the configured issuer) authorizes at `/oauth2/authorize` and issues tokens at
//! `/api/oauth2/token`, to a form with the secret in HTTP Basic, as the guide's examples send
//! it; the guide uses no ID token. Who logged in is asked of the API (the configured resource):
//! `GET /api/v10/users/@me`, whose `email` is trusted only when `verified` says so.

use fauxauth_core::preset::discord;
use oauth2::AccessToken;
use serde::Deserialize;

use crate::error::Error;
use crate::http::Http;
use crate::token::Credentials;
use crate::user_api::Site;

/// Discord's web host and API, as this client uses them.
#[derive(Debug)]
pub struct Discord {
    pub site: Site,
}

/// Who logged in, as `GET /users/@me` describes them.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub struct User {
    /// The snowflake: Discord's stable identifier (usernames can change).
    pub id: String,
    pub username: String,
    #[serde(default)]
    pub global_name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub verified: bool,
}

impl Discord {
    pub fn new(
        web: &str,
        api: &str,
        credentials: &Credentials,
        http: Http,
    ) -> Result<Self, String> {
        let paths = (discord::AUTHORIZE, discord::TOKEN);
        Ok(Self {
            site: Site::new(web, api, paths, credentials, http)?,
        })
    }

    /// Who the access token belongs to. An address Discord has not verified proves nothing and
    /// is dropped.
    pub async fn user(&self, token: &AccessToken) -> Result<User, Error> {
        let mut user: User = self.site.get(discord::USER, token, |r| r).await?;
        if !user.verified {
            user.email = None;
        }
        user.global_name = user.global_name.filter(|n| !n.is_empty());
        Ok(user)
    }
}
