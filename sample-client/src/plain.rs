//! The presets apps sign in with plain OAuth 2.0 at (GitHub, Discord): fixed endpoints on the
//! web host, no discovery, no ID token, no nonce; who logged in is asked of the provider's user
//! API (the configured resource). Each provider's module knows its paths and its user API's
//! shape; this one holds what they share.

use oauth2::AccessToken;

use crate::discord::{self, Discord};
use crate::error::Error;
use crate::github::{self, Github};
use crate::http::Http;
use crate::session::Person;
use crate::token::{Credentials, Endpoints};
use fauxauth_core::preset::Preset;

/// A plain OAuth 2.0 provider, as this client signs people in with it.
#[derive(Debug)]
pub enum Plain {
    Github(Github),
    Discord(Discord),
}

impl Plain {
    /// The provider of `preset` with its web host at `web` and its API at `api`; `None` for the
    /// OpenID presets.
    pub fn new(
        preset: Preset,
        web: &str,
        api: &str,
        credentials: &Credentials,
        http: Http,
    ) -> Result<Option<Self>, String> {
        Ok(match preset {
            Preset::Github => Some(Self::Github(Github::new(web, api, credentials, http)?)),
            Preset::Discord => Some(Self::Discord(Discord::new(web, api, credentials, http)?)),
            _ => None,
        })
    }

    pub fn endpoints(&self) -> &Endpoints {
        match self {
            Self::Github(github) => &github.endpoints,
            Self::Discord(discord) => &discord.endpoints,
        }
    }

    /// Who the access token belongs to, asked of the user API. Any failure is
    /// `userinfo_failed`: no one is logged in without knowing who.
    pub async fn person(&self, token: &AccessToken, issuer: &str) -> Result<Person, Error> {
        Ok(match self {
            Self::Github(api) => from_github(api.user(token).await?, issuer),
            Self::Discord(api) => from_discord(api.user(token).await?, issuer),
        })
    }
}

/// What a plain provider's unit tests are made with: the credentials of `client_id` presented
/// as `auth_type`, redirected to port 8080, and a transport.
#[cfg(test)]
pub fn test_parts(client_id: &str, auth_type: oauth2::AuthType) -> (Credentials, Http) {
    let credentials = Credentials {
        client_id: oauth2::ClientId::new(client_id.into()),
        client_secret: None,
        redirect_uri: oauth2::RedirectUrl::new("http://127.0.0.1:8080/callback".into())
            .expect("a valid URL"),
        auth_type,
        key: None,
        redirect_uri_on_refresh: false,
    };
    let http = Http::new(
        std::time::Duration::from_secs(1),
        fauxauth_core::Trust::default().client_config(),
        &[],
    )
    .expect("a transport");
    (credentials, http)
}

/// From GitHub's user API: greeted by `name`, else the login.
fn from_github(user: github::User, issuer: &str) -> Person {
    Person {
        subject: user.id,
        issuer: issuer.to_owned(),
        name: user.name.unwrap_or_else(|| user.login.clone()),
        email: user.email,
        login: Some(user.login),
    }
}

/// From Discord's user API: greeted by the display name, else the username.
fn from_discord(user: discord::User, issuer: &str) -> Person {
    Person {
        subject: user.id,
        issuer: issuer.to_owned(),
        name: user.global_name.unwrap_or_else(|| user.username.clone()),
        email: user.email,
        login: Some(user.username),
    }
}
