//! Presets: the real providers fauxauth can look like, and the paths each one serves.
//!
//! The provider, the resource and the reference client all read a preset's layout from here, so
//! the three agree on where a fake Google, GitHub or Microsoft keeps each endpoint. What each
//! preset *does* (response formats, errors, token formats, quirks) lives with the server that
//! does it. Every path is taken from the provider's own documentation or a captured discovery
//! document, named beside each group.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use sha2::Digest as _;

/// Which real provider a server imitates. `generic` is strict OpenID Connect with fauxauth's own
/// paths.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Deserialize, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Preset {
    #[default]
    Generic,
    Google,
    Github,
    Microsoft,
    Keycloak,
    Gitlab,
    Auth0,
    Okta,
    Discord,
    Slack,
    Apple,
}

impl Preset {
    pub const ALL: [Self; 11] = [
        Self::Generic,
        Self::Google,
        Self::Github,
        Self::Microsoft,
        Self::Keycloak,
        Self::Gitlab,
        Self::Auth0,
        Self::Okta,
        Self::Discord,
        Self::Slack,
        Self::Apple,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Generic => "generic",
            Self::Google => "google",
            Self::Github => "github",
            Self::Microsoft => "microsoft",
            Self::Keycloak => "keycloak",
            Self::Gitlab => "gitlab",
            Self::Auth0 => "auth0",
            Self::Okta => "okta",
            Self::Discord => "discord",
            Self::Slack => "slack",
            Self::Apple => "apple",
        }
    }

    /// Whether apps sign in with OpenID Connect there. GitHub is plain OAuth 2.0 (no ID token,
    /// no discovery, no JWKS); Discord publishes discovery and keys, but its documentation has
    /// apps sign in with plain OAuth 2.0 and ask its user API who logged in.
    pub fn is_openid(self) -> bool {
        !matches!(self, Self::Github | Self::Discord)
    }
}

impl fmt::Display for Preset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown preset name.
#[derive(Debug, thiserror::Error)]
#[error(
    "unknown preset {0:?}; the presets are generic, google, github, microsoft, keycloak, gitlab, \
     auth0, okta, discord, slack and apple"
)]
pub struct UnknownPreset(String);

impl FromStr for Preset {
    type Err = UnknownPreset;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| UnknownPreset(s.to_owned()))
    }
}

/// Where a preset's endpoints live on the real provider's hosts (`real_hosts`): the URLs an app
/// with the provider's addresses written in its code calls, served by fauxauth once those names
/// point at it (a hosts file entry, `--add-host` in a container, a resolver override in a test).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RealHosts {
    /// The provider's own host: the issuer, and every endpoint not named in `endpoints`.
    pub web: &'static str,
    /// Provider endpoints (by journal name) served on another host.
    pub endpoints: &'static [(&'static str, &'static str)],
    /// The hosts of the provider's APIs, which the resource serves: each with the paths the
    /// resource answers there (none listed: every path).
    pub api: &'static [(&'static str, &'static [&'static str])],
}

impl RealHosts {
    /// The host that serves the provider's `endpoint` (its journal name).
    pub fn host_of(&self, endpoint: &str) -> &'static str {
        self.endpoints
            .iter()
            .find(|(name, _)| *name == endpoint)
            .map_or(self.web, |(_, host)| host)
    }

    /// Every host name, the provider's and its APIs', once each.
    pub fn names(&self) -> Vec<&'static str> {
        let mut names = vec![self.web];
        let others = self.endpoints.iter().map(|(_, h)| *h);
        for host in others.chain(self.api.iter().map(|(h, _)| *h)) {
            if !names.contains(&host) {
                names.push(host);
            }
        }
        names
    }

    /// Whether a request for `host` and `path` is the resource's (an API) rather than the
    /// provider's.
    pub fn is_api(&self, host: &str, path: &str) -> bool {
        self.api.iter().any(|(h, paths)| {
            h.eq_ignore_ascii_case(host)
                && (paths.is_empty() || paths.iter().any(|p| path.starts_with(p)))
        })
    }
}

impl RealHosts {
    /// One server for the provider and its APIs under these names: a request for an API host
    /// (and path) goes to `resource`, every other to `provider`.
    pub fn router(self, provider: axum::Router, resource: axum::Router) -> axum::Router {
        use tower::ServiceExt as _;
        axum::Router::new().fallback(move |request: axum::extract::Request| {
            // HTTP/2 carries the authority in the URI, HTTP/1.1 in Host.
            let host = request
                .uri()
                .host()
                .map(str::to_owned)
                .or_else(|| {
                    let host = request.headers().get(axum::http::header::HOST)?;
                    let host = host.to_str().ok()?;
                    Some(
                        host.rsplit_once(':')
                            .map_or(host, |(name, _)| name)
                            .to_owned(),
                    )
                })
                .unwrap_or_default();
            let target = if self.is_api(&host, request.uri().path()) {
                resource.clone()
            } else {
                provider.clone()
            };
            async move {
                match target.oneshot(request).await {
                    Ok(response) => response,
                    Err(never) => match never {},
                }
            }
        })
    }
}

impl Preset {
    /// The real provider's hosts, for the presets that imitate one.
    pub fn real_hosts(self) -> Option<RealHosts> {
        match self {
            // Keycloak has no host of its own: every deployment has its own; every Auth0 tenant
            // has its own domain.
            // Nor every Okta org.
            Self::Generic | Self::Keycloak | Self::Auth0 | Self::Okta => None,
            // Google's discovery document names four hosts.
            Self::Google => Some(RealHosts {
                web: "accounts.google.com",
                endpoints: &[
                    ("token", "oauth2.googleapis.com"),
                    ("revoke", "oauth2.googleapis.com"),
                    ("device_authorization", "oauth2.googleapis.com"),
                    ("userinfo", "openidconnect.googleapis.com"),
                    ("jwks", "www.googleapis.com"),
                ],
                api: &[("www.googleapis.com", &[google::USERINFO_V3])],
            }),
            Self::Github => Some(RealHosts {
                web: "github.com",
                endpoints: &[],
                api: &[("api.github.com", &[])],
            }),
            // Entra ID's discovery names Graph's userinfo.
            Self::Microsoft => Some(RealHosts {
                web: "login.microsoftonline.com",
                endpoints: &[("userinfo", "graph.microsoft.com")],
                api: &[("graph.microsoft.com", &[])],
            }),
            // Discord's API shares the web host, under `/api/v10`.
            Self::Discord => Some(RealHosts {
                web: "discord.com",
                endpoints: &[],
                api: &[("discord.com", &[discord::USER, discord::AUTHORIZATION])],
            }),
            // Sign in with Apple has no API: everything is in the ID token.
            Self::Apple => Some(RealHosts {
                web: "appleid.apple.com",
                endpoints: &[],
                api: &[],
            }),
            // Slack's Web API shares the web host, under `/api`.
            Self::Slack => Some(RealHosts {
                web: "slack.com",
                endpoints: &[],
                api: &[("slack.com", &[slack::USERS_IDENTITY])],
            }),
            // GitLab's REST API is on its own host, under `/api/v4`.
            Self::Gitlab => Some(RealHosts {
                web: "gitlab.com",
                endpoints: &[],
                api: &[("gitlab.com", &[gitlab::API])],
            }),
        }
    }
}

/// GitLab (gitlab.com, and any self-managed instance at its own base URL): Doorkeeper with
/// doorkeeper-openid_connect at `/oauth/*`, the REST API at `/api/v4` (GitLab docs: "OAuth 2.0
/// identity provider API", "GitLab as an OpenID Connect identity provider", "Users API"; the
/// captured discovery document, panva/wellknown 2024-10-26).
pub mod gitlab {
    pub const AUTHORIZE: &str = "/oauth/authorize";
    pub const TOKEN: &str = "/oauth/token";
    pub const REVOKE: &str = "/oauth/revoke";
    pub const INTROSPECT: &str = "/oauth/introspect";
    pub const USERINFO: &str = "/oauth/userinfo";
    pub const JWKS: &str = "/oauth/discovery/keys";
    pub const DEVICE_AUTHORIZATION: &str = "/oauth/authorize_device";
    pub const DEVICE: &str = "/oauth/device";
    /// The REST API's prefix (the resource).
    pub const API: &str = "/api/v4";
    /// The authenticated user (the resource).
    pub const USER: &str = "/api/v4/user";
}

/// Discord: the authorization page on `discord.com`, the token and revocation endpoints and the
/// keys under `/api`, the user API under `/api/v10` (Discord's developer documentation,
/// "OAuth2" and "User"; the captured discovery document, panva/wellknown 2024-10-26).
pub mod discord {
    /// The documentation's authorization URL.
    pub const AUTHORIZE: &str = "/oauth2/authorize";
    /// The same page, as the discovery document names it.
    pub const API_AUTHORIZE: &str = "/api/oauth2/authorize";
    pub const TOKEN: &str = "/api/oauth2/token";
    pub const REVOKE: &str = "/api/oauth2/token/revoke";
    pub const JWKS: &str = "/api/oauth2/keys";
    /// The API's versioned base, where the documentation's examples also post to the token
    /// endpoint (`{API_ENDPOINT}/oauth2/token`).
    pub const API: &str = "/api/v10";
    /// The token and revocation endpoints under the versioned base.
    pub const API_TOKEN: &str = "/api/v10/oauth2/token";
    pub const API_REVOKE: &str = "/api/v10/oauth2/token/revoke";
    /// The current user (the resource).
    pub const USER: &str = "/api/v10/users/@me";
    /// The current authorization (the resource).
    pub const AUTHORIZATION: &str = "/api/v10/oauth2/@me";
}

/// Sign in with Apple (the web and REST flow) on `appleid.apple.com`: no userinfo, no end
/// session; all a person's data is in the ID token and the one-time `user` form field (the
/// captured discovery document, panva/wellknown 2024-10-26; Apple's "generate and validate
/// tokens" documentation as cited in the reference).
pub mod apple {
    pub const AUTHORIZE: &str = "/auth/authorize";
    pub const TOKEN: &str = "/auth/token";
    pub const REVOKE: &str = "/auth/revoke";
    pub const JWKS: &str = "/auth/keys";
    /// The audience of an app's client secret: Apple's issuer, whatever host serves it.
    pub const CLIENT_SECRET_AUDIENCE: &str = "https://appleid.apple.com";
    /// The longest a client secret may live: about six months after its `iat`.
    pub const MAX_CLIENT_SECRET_LIFETIME: u64 = 15_777_000;
    /// The domain of Hide My Email addresses.
    pub const PRIVATE_RELAY_DOMAIN: &str = "privaterelay.appleid.com";
}

/// Slack: "Sign in with Slack" (OpenID Connect) with the issuer `https://slack.com`, its token
/// and userinfo endpoints being Web API methods under `/api`; and the OAuth v2 app installation
/// (the captured discovery document, panva/wellknown 2024-10-26; Slack's API documentation).
pub mod slack {
    pub const AUTHORIZE: &str = "/openid/connect/authorize";
    pub const TOKEN: &str = "/api/openid.connect.token";
    pub const USERINFO: &str = "/api/openid.connect.userInfo";
    pub const JWKS: &str = "/openid/connect/keys";
    /// OAuth v2: installing an app, for bot (`scope`) and user (`user_scope`) tokens.
    pub const V2_AUTHORIZE: &str = "/oauth/v2/authorize";
    pub const V2_ACCESS: &str = "/api/oauth.v2.access";
    /// The Web API method that says who a user token is for (the resource).
    pub const USERS_IDENTITY: &str = "/api/users.identity";
}

/// Okta: an org's domain, with its org authorization server at `/oauth2/v1/*` (the issuer being
/// the domain) and custom ones at `/oauth2/{id}/v1/*` (the issuer being `{domain}/oauth2/{id}`;
/// the built-in one is `default`) (Okta's OpenID Connect API reference; captured discovery).
pub mod okta {
    /// The custom authorization server a preset serves unless configured.
    pub const DEFAULT_AUTHORIZATION_SERVER: &str = "default";
    /// The configured name of the org authorization server.
    pub const ORG: &str = "org";
    /// Each path below follows the server's prefix (see [`prefix`]).
    pub const AUTHORIZE: &str = "/v1/authorize";
    pub const TOKEN: &str = "/v1/token";
    pub const USERINFO: &str = "/v1/userinfo";
    pub const JWKS: &str = "/v1/keys";
    pub const LOGOUT: &str = "/v1/logout";
    pub const REVOKE: &str = "/v1/revoke";
    pub const INTROSPECT: &str = "/v1/introspect";

    /// Where a server's endpoints live: `/oauth2` for the org server, `/oauth2/{id}` for a
    /// custom one.
    pub fn prefix(server: &str) -> String {
        if server == ORG {
            "/oauth2".to_owned()
        } else {
            format!("/oauth2/{server}")
        }
    }

    /// Where a server's issuer is below the domain: nothing for the org server.
    pub fn issuer_path(server: &str) -> String {
        if server == ORG {
            String::new()
        } else {
            prefix(server)
        }
    }
}

/// Auth0: every path at the tenant's domain (`{tenant}.{region}.auth0.com` or a custom one), the
/// issuer being that domain with a trailing `/` (captured discovery documents; Auth0's docs).
pub mod auth0 {
    pub const AUTHORIZE: &str = "/authorize";
    pub const TOKEN: &str = "/oauth/token";
    pub const USERINFO: &str = "/userinfo";
    pub const JWKS: &str = "/.well-known/jwks.json";
    pub const REVOKE: &str = "/oauth/revoke";
    pub const DEVICE_AUTHORIZATION: &str = "/oauth/device/code";
    pub const LOGOUT: &str = "/oidc/logout";
}

/// Keycloak (the Quarkus distribution, 17 and later): every path under `/realms/{realm}`, the
/// issuer being that realm's URL (the realm's discovery document; Keycloak's
/// `OIDCLoginProtocolService` routes).
pub mod keycloak {
    /// The realm a Keycloak preset serves unless configured.
    pub const DEFAULT_REALM: &str = "fauxauth";
    /// Each path below follows `/realms/{realm}`.
    pub const DISCOVERY: &str = "/.well-known/openid-configuration";
    pub const AUTHORIZE: &str = "/protocol/openid-connect/auth";
    pub const TOKEN: &str = "/protocol/openid-connect/token";
    pub const USERINFO: &str = "/protocol/openid-connect/userinfo";
    pub const JWKS: &str = "/protocol/openid-connect/certs";
    pub const LOGOUT: &str = "/protocol/openid-connect/logout";
    pub const REVOKE: &str = "/protocol/openid-connect/revoke";
    pub const INTROSPECT: &str = "/protocol/openid-connect/token/introspect";
    pub const DEVICE_AUTHORIZATION: &str = "/protocol/openid-connect/auth/device";
    /// The page where the person types a device's code.
    pub const DEVICE: &str = "/device";
    pub const PAR: &str = "/protocol/openid-connect/ext/par/request";

    /// The path of a realm: `/realms/{realm}`.
    pub fn realm_path(realm: &str) -> String {
        format!("/realms/{realm}")
    }
}

/// fauxauth's own token introspection (RFC 7662), at the provider's root for every preset. The
/// real providers have none; the resource asks it about every token a preset's API is called
/// with.
pub const INTROSPECT: &str = "/introspect";

/// A GUID (RFC 9562 layout, version 4 and variant bits set) made from 16 bytes, lowercase and
/// hyphenated as Microsoft writes its ids.
pub fn guid(bytes: [u8; 16]) -> String {
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .hyphenated()
        .to_string()
}

/// A stable GUID derived from `label`: the first 16 bytes of its SHA-256, laid out by [`guid`].
pub fn derived_guid(label: &str) -> String {
    let digest: [u8; 32] = sha2::Sha256::digest(label.as_bytes()).into();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    guid(bytes)
}

/// Google: `accounts.google.com` (authorization), `oauth2.googleapis.com` (token, revocation),
/// `openidconnect.googleapis.com` (userinfo), `www.googleapis.com` (keys). On one fauxauth server
/// the hosts collapse onto one origin; the paths stay Google's (captured discovery document,
/// panva/wellknown 2024-10-26).
pub mod google {
    pub const AUTHORIZE: &str = "/o/oauth2/v2/auth";
    pub const TOKEN: &str = "/token";
    pub const USERINFO: &str = "/v1/userinfo";
    pub const REVOKE: &str = "/revoke";
    pub const JWKS: &str = "/oauth2/v3/certs";
    /// The device authorization endpoint, on `oauth2.googleapis.com` ("OAuth 2.0 for TV and
    /// Limited-Input Device Applications").
    pub const DEVICE_AUTHORIZATION: &str = "/device/code";
    /// The verification page. Google's is `https://www.google.com/device`; fauxauth serves it on
    /// the provider's own host, at the same path.
    pub const DEVICE: &str = "/device";
    /// The older userinfo on `www.googleapis.com`, still called by many libraries; served by the
    /// resource.
    pub const USERINFO_V3: &str = "/oauth2/v3/userinfo";
}

/// GitHub: the web host (`github.com`) authorizes and issues tokens; the API host
/// (`api.github.com`) serves the user API. In fauxauth the provider is the web host and the
/// resource the API host (GitHub docs: "Authorizing OAuth apps", "Users", "Emails").
pub mod github {
    pub const AUTHORIZE: &str = "/login/oauth/authorize";
    pub const TOKEN: &str = "/login/oauth/access_token";
    /// The device flow: where the device asks, and where the person types the code.
    pub const DEVICE_AUTHORIZATION: &str = "/login/device/code";
    pub const DEVICE: &str = "/login/device";
    /// On the API host (the resource).
    pub const USER: &str = "/user";
    /// On the API host (the resource); needs the `user:email` or `user` scope.
    pub const USER_EMAILS: &str = "/user/emails";
}

/// Microsoft Entra ID (identity platform v2.0) on `login.microsoftonline.com`, every path under
/// a tenant segment (`common`, `organizations`, `consumers`, a tenant id or a domain); Microsoft
/// Graph on `graph.microsoft.com`, served by the resource (Microsoft Learn, "OAuth 2.0
/// authorization code flow", "OpenID Connect on the Microsoft identity platform").
pub mod microsoft {
    /// The tenant segments that are not one tenant.
    pub const MULTI_TENANT: [&str; 3] = ["common", "organizations", "consumers"];
    /// The tenant of personal Microsoft accounts, as `tid` and in `iss`.
    pub const CONSUMERS_TENANT_ID: &str = "9188040d-6c67-4c5b-b112-36a304b66dad";
    /// What stands for the tenant in the `issuer` of the multi-tenant (`common`,
    /// `organizations`) discovery documents: `{base}/{tenantid}/v2.0`; relying parties put each
    /// ID token's `tid` in its place.
    pub const TENANT_ID_PLACEHOLDER: &str = "{tenantid}";
    /// Each path below follows `/{tenant}`.
    pub const DISCOVERY: &str = "/v2.0/.well-known/openid-configuration";
    pub const AUTHORIZE: &str = "/oauth2/v2.0/authorize";
    pub const TOKEN: &str = "/oauth2/v2.0/token";
    pub const LOGOUT: &str = "/oauth2/v2.0/logout";
    pub const JWKS: &str = "/discovery/v2.0/keys";
    pub const DEVICE_AUTHORIZATION: &str = "/oauth2/v2.0/devicecode";
    /// The verification page, at the root (no tenant). Microsoft's is
    /// `https://microsoft.com/devicelogin`, on another host; fauxauth serves it on its own.
    pub const DEVICE: &str = "/devicelogin";
    /// On Graph (the resource).
    pub const USERINFO: &str = "/oidc/userinfo";
    /// On Graph (the resource).
    pub const ME: &str = "/v1.0/me";

    /// The object id (`oid`) of a user whose claims name none: the provider puts it in ID tokens
    /// and Graph answers it as the user's `id`, so the two agree without being told.
    pub fn default_oid(sub: &str) -> String {
        super::derived_guid(&format!("fauxauth/oid/{sub}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_names_say_what_exists() {
        for preset in Preset::ALL {
            assert_eq!(preset.as_str().parse::<Preset>().unwrap(), preset);
        }
        assert_eq!("GitHub".parse::<Preset>().unwrap(), Preset::Github);
        let error = "pingone".parse::<Preset>().unwrap_err().to_string();
        assert!(
            error.contains("\"pingone\"") && error.contains("microsoft"),
            "{error}"
        );
    }

    #[test]
    fn derived_guids_are_stable_version_4_guids() {
        let a = derived_guid("fauxauth/oid/alice");
        assert_eq!(a, derived_guid("fauxauth/oid/alice"));
        assert_ne!(a, derived_guid("fauxauth/oid/bob"));
        // The first 16 bytes of SHA-256("fauxauth/oid/alice"), version and variant bits set.
        let hex: String = sha2::Sha256::digest(b"fauxauth/oid/alice")[..16]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let plain = a.replace('-', "");
        assert_eq!(plain.len(), 32);
        assert_eq!(plain[..12], hex[..12]);
        assert_eq!(&plain[12..13], "4", "{a}");
        assert_eq!(plain[13..16], hex[13..16]);
        assert!(
            matches!(plain.as_bytes()[16], b'8' | b'9' | b'a' | b'b'),
            "{a}"
        );
        assert_eq!(plain[17..], hex[17..]);
        let lengths: Vec<usize> = a.split('-').map(str::len).collect();
        assert_eq!(lengths, [8, 4, 4, 4, 12]);
    }
}
