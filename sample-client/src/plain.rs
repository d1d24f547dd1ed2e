//! The presets apps sign in with plain OAuth 2.0 at (GitHub, Discord): fixed endpoints on the
//! web host, no discovery, no ID token, no nonce; who logged in is asked of the provider's user
//! API (the configured resource). Each provider's module knows its paths and its user API's
//! shape; this one holds what they share.

use oauth2::AccessToken;

use crate::discord::Discord;
use crate::error::Error;
use crate::github::Github;
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
            Self::Github(github) => &github.site.endpoints,
            Self::Discord(discord) => &discord.site.endpoints,
        }
    }

    /// Who the access token belongs to, asked of the user API. Any failure is
    /// `userinfo_failed`: no one is logged in without knowing who.
    pub async fn person(&self, token: &AccessToken, issuer: &str) -> Result<Person, Error> {
        Ok(match self {
            Self::Github(api) => {
                let user = api.user(token).await?;
                account(issuer, user.id, user.login, user.name, user.email)
            }
            Self::Discord(api) => {
                let user = api.user(token).await?;
                account(issuer, user.id, user.username, user.global_name, user.email)
            }
        })
    }
}

/// An account at a user API: its stable `id`, its `login` (shown beside it), greeted by its
/// display `name`, else the login.
fn account(
    issuer: &str,
    id: String,
    login: String,
    name: Option<String>,
    email: Option<String>,
) -> Person {
    Person {
        subject: id,
        issuer: issuer.to_owned(),
        name: name.unwrap_or_else(|| login.clone()),
        email,
        login: Some(login),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A client's credentials and a transport, for making providers.
    fn parts() -> (Credentials, Http) {
        let credentials = Credentials {
            client_id: oauth2::ClientId::new("157730590492196864".into()),
            client_secret: None,
            redirect_uri: oauth2::RedirectUrl::new("http://127.0.0.1:8080/callback".into())
                .unwrap(),
            auth_type: oauth2::AuthType::BasicAuth,
            key: None,
            redirect_uri_on_refresh: false,
        };
        let http = Http::new(
            std::time::Duration::from_secs(1),
            fauxauth_core::Trust::default().client_config(),
            &[],
        )
        .unwrap();
        (credentials, http)
    }

    #[test]
    fn each_plain_provider_sends_people_to_its_own_page_on_the_web_host() {
        for (preset, path, scopes) in [
            (
                Preset::Github,
                "/login/oauth/authorize",
                "read:user user:email",
            ),
            (Preset::Discord, "/oauth2/authorize", "identify email"),
        ] {
            let (credentials, http) = parts();
            let web = "http://127.0.0.1:9000/";
            let plain = Plain::new(preset, web, "http://127.0.0.1:9001", &credentials, http)
                .unwrap()
                .expect("a plain OAuth 2.0 preset");
            let asked: Vec<String> = scopes.split(' ').map(str::to_owned).collect();
            let url = plain
                .endpoints()
                .authorization_url(&asked, "s".into(), None);
            assert_eq!(url.path(), path, "{preset}");
            let query: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
            assert_eq!(query["scope"], scopes, "{preset}");
            assert!(!query.contains_key("nonce"), "{preset}");
        }
        let (credentials, http) = parts();
        let google = Plain::new(Preset::Google, "http://h", "http://a", &credentials, http);
        assert!(google.unwrap().is_none(), "an OpenID preset is not plain");
    }
}
