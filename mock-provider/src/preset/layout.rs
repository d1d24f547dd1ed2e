//! Where an issuer serves each endpoint: fauxauth's own paths, or a real provider's.

use std::sync::Arc;

use fauxauth_core::preset::{
    Preset, apple, auth0, discord, github, gitlab, google, keycloak, microsoft, okta, slack,
};

use crate::paths;

/// An endpoint, whatever path serves it. The name is what rules and the journal call it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Endpoint {
    Discovery,
    Metadata,
    Jwks,
    Authorize,
    Login,
    Consent,
    Token,
    Userinfo,
    Revoke,
    Introspect,
    Logout,
    DeviceAuthorization,
    Device,
    /// Pushed authorization requests (RFC 9126).
    Par,
}

impl Endpoint {
    pub fn name(self) -> &'static str {
        match self {
            Self::Discovery => "discovery",
            Self::Metadata => "metadata",
            Self::Jwks => "jwks",
            Self::Authorize => "authorize",
            Self::Login => "login",
            Self::Consent => "consent",
            Self::Token => "token",
            Self::Userinfo => "userinfo",
            Self::Revoke => "revoke",
            Self::Introspect => "introspect",
            Self::Logout => "logout",
            Self::DeviceAuthorization => "device_authorization",
            Self::Device => "device",
            Self::Par => "par",
        }
    }
}

/// Microsoft's tenant segment a route was reached through (`common`, `organizations`,
/// `consumers`, or the issuer's tenant id). Handlers read it as a request extension.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tenant(pub Arc<str>);

impl Tenant {
    /// `common` and `organizations` stand for any work or school tenant.
    pub fn is_multi_tenant(&self) -> bool {
        matches!(&*self.0, "common" | "organizations")
    }
}

/// Slack's app installation (OAuth v2): a route of its authorization and token endpoints whose
/// requests and answers have that flow's shape. Handlers read it as a request extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Install;

/// One route of an issuer, relative to its path.
#[derive(Clone, Debug)]
pub struct Route {
    pub path: String,
    pub endpoint: Endpoint,
    pub tenant: Option<Tenant>,
    /// Slack's app installation, not its Sign in with Slack.
    pub install: bool,
}

/// Every route of an issuer. Built once; routers, discovery and the request describer all read
/// it, so they cannot disagree.
#[derive(Clone, Debug)]
pub struct Layout {
    routes: Vec<Route>,
}

impl Layout {
    /// The layout of `preset`; `segment` is the Microsoft home tenant, the Keycloak realm, or
    /// the Okta authorization server.
    pub fn new(preset: Preset, segment: &str) -> Self {
        let tenant_id = segment;
        // Routes at `prefix` followed by each path.
        let under = |prefix: &str, pairs: &[(&str, Endpoint)]| -> Vec<Route> {
            pairs
                .iter()
                .map(|(path, endpoint)| Route {
                    path: format!("{prefix}{path}"),
                    endpoint: *endpoint,
                    tenant: None,
                    install: false,
                })
                .collect()
        };
        let plain = |pairs: &[(&str, Endpoint)]| under("", pairs);
        // fauxauth's own pages and introspection (which the resource uses), in every layout.
        let own = [
            (paths::LOGIN, Endpoint::Login),
            (paths::CONSENT, Endpoint::Consent),
            (paths::INTROSPECT, Endpoint::Introspect),
        ];
        let mut routes = match preset {
            Preset::Generic => plain(&[
                (paths::DISCOVERY, Endpoint::Discovery),
                (paths::AUTHORIZATION_SERVER_METADATA, Endpoint::Metadata),
                (paths::JWKS, Endpoint::Jwks),
                (paths::AUTHORIZE, Endpoint::Authorize),
                (paths::TOKEN, Endpoint::Token),
                (paths::USERINFO, Endpoint::Userinfo),
                (paths::REVOKE, Endpoint::Revoke),
                (paths::LOGOUT, Endpoint::Logout),
                (paths::DEVICE_AUTHORIZATION, Endpoint::DeviceAuthorization),
                (paths::DEVICE, Endpoint::Device),
                (paths::PAR, Endpoint::Par),
            ]),
            Preset::Google => plain(&[
                (paths::DISCOVERY, Endpoint::Discovery),
                (google::JWKS, Endpoint::Jwks),
                (google::AUTHORIZE, Endpoint::Authorize),
                (google::TOKEN, Endpoint::Token),
                (google::USERINFO, Endpoint::Userinfo),
                (google::REVOKE, Endpoint::Revoke),
                (google::DEVICE_AUTHORIZATION, Endpoint::DeviceAuthorization),
                (google::DEVICE, Endpoint::Device),
            ]),
            Preset::Github => plain(&[
                (github::AUTHORIZE, Endpoint::Authorize),
                (github::TOKEN, Endpoint::Token),
                (github::DEVICE_AUTHORIZATION, Endpoint::DeviceAuthorization),
                (github::DEVICE, Endpoint::Device),
            ]),
            Preset::Microsoft => {
                let mut routes = Vec::new();
                let segments = [tenant_id]
                    .into_iter()
                    .chain(microsoft::MULTI_TENANT)
                    .map(|s| Tenant(Arc::from(s)));
                for tenant in segments {
                    for (path, endpoint) in [
                        (microsoft::DISCOVERY, Endpoint::Discovery),
                        (microsoft::AUTHORIZE, Endpoint::Authorize),
                        (microsoft::TOKEN, Endpoint::Token),
                        (microsoft::LOGOUT, Endpoint::Logout),
                        (microsoft::JWKS, Endpoint::Jwks),
                        (
                            microsoft::DEVICE_AUTHORIZATION,
                            Endpoint::DeviceAuthorization,
                        ),
                    ] {
                        routes.push(Route {
                            path: format!("/{}{path}", tenant.0),
                            endpoint,
                            tenant: Some(tenant.clone()),
                            install: false,
                        });
                    }
                }
                routes.extend(plain(&[
                    (microsoft::USERINFO, Endpoint::Userinfo),
                    (microsoft::DEVICE, Endpoint::Device),
                ]));
                routes
            }
            // The device page is fauxauth's own (Auth0's is not in the sources).
            Preset::Auth0 => plain(&[
                (paths::DISCOVERY, Endpoint::Discovery),
                (auth0::AUTHORIZE, Endpoint::Authorize),
                (auth0::TOKEN, Endpoint::Token),
                (auth0::USERINFO, Endpoint::Userinfo),
                (auth0::JWKS, Endpoint::Jwks),
                (auth0::REVOKE, Endpoint::Revoke),
                (auth0::DEVICE_AUTHORIZATION, Endpoint::DeviceAuthorization),
                (paths::DEVICE, Endpoint::Device),
                (auth0::LOGOUT, Endpoint::Logout),
            ]),
            // Discovery and keys as its captured discovery names them; no userinfo (the user API
            // is the resource's), no device flow. The authorization page and the token and
            // revocation endpoints at the paths the documentation and discovery both use.
            Preset::Discord => plain(&[
                (paths::DISCOVERY, Endpoint::Discovery),
                (discord::API_AUTHORIZE, Endpoint::Authorize),
                (discord::AUTHORIZE, Endpoint::Authorize),
                (discord::TOKEN, Endpoint::Token),
                (discord::API_TOKEN, Endpoint::Token),
                (discord::REVOKE, Endpoint::Revoke),
                (discord::API_REVOKE, Endpoint::Revoke),
                (discord::JWKS, Endpoint::Jwks),
            ]),
            // Sign in with Apple: no userinfo, no end session, no device flow.
            Preset::Apple => plain(&[
                (paths::DISCOVERY, Endpoint::Discovery),
                (apple::AUTHORIZE, Endpoint::Authorize),
                (apple::TOKEN, Endpoint::Token),
                (apple::REVOKE, Endpoint::Revoke),
                (apple::JWKS, Endpoint::Jwks),
            ]),
            // "Sign in with Slack": its captured discovery's endpoints; no end session, no
            // revocation, no device flow. Then the app installation's (OAuth v2).
            Preset::Slack => {
                let mut routes = plain(&[
                    (paths::DISCOVERY, Endpoint::Discovery),
                    (slack::AUTHORIZE, Endpoint::Authorize),
                    (slack::TOKEN, Endpoint::Token),
                    (slack::USERINFO, Endpoint::Userinfo),
                    (slack::JWKS, Endpoint::Jwks),
                ]);
                for (path, endpoint) in [
                    (slack::V2_AUTHORIZE, Endpoint::Authorize),
                    (slack::V2_ACCESS, Endpoint::Token),
                ] {
                    routes.push(Route {
                        path: path.to_owned(),
                        endpoint,
                        tenant: None,
                        install: true,
                    });
                }
                routes
            }
            // No end-session endpoint: GitLab advertises none.
            Preset::Gitlab => plain(&[
                (paths::DISCOVERY, Endpoint::Discovery),
                (gitlab::AUTHORIZE, Endpoint::Authorize),
                (gitlab::TOKEN, Endpoint::Token),
                (gitlab::REVOKE, Endpoint::Revoke),
                (gitlab::INTROSPECT, Endpoint::Introspect),
                (gitlab::USERINFO, Endpoint::Userinfo),
                (gitlab::JWKS, Endpoint::Jwks),
                (gitlab::DEVICE_AUTHORIZATION, Endpoint::DeviceAuthorization),
                (gitlab::DEVICE, Endpoint::Device),
            ]),
            // Discovery and RFC 8414 metadata under the issuer; no device flow (Okta's is not in
            // the sources).
            Preset::Okta => {
                let mut routes = under(
                    &okta::issuer_path(segment),
                    &[
                        (paths::DISCOVERY, Endpoint::Discovery),
                        (paths::AUTHORIZATION_SERVER_METADATA, Endpoint::Metadata),
                    ],
                );
                routes.extend(under(
                    &okta::prefix(segment),
                    &[
                        (okta::AUTHORIZE, Endpoint::Authorize),
                        (okta::TOKEN, Endpoint::Token),
                        (okta::USERINFO, Endpoint::Userinfo),
                        (okta::JWKS, Endpoint::Jwks),
                        (okta::LOGOUT, Endpoint::Logout),
                        (okta::REVOKE, Endpoint::Revoke),
                        (okta::INTROSPECT, Endpoint::Introspect),
                    ],
                ));
                routes
            }
            Preset::Keycloak => under(
                &keycloak::realm_path(segment),
                &[
                    (keycloak::DISCOVERY, Endpoint::Discovery),
                    (keycloak::AUTHORIZE, Endpoint::Authorize),
                    (keycloak::TOKEN, Endpoint::Token),
                    (keycloak::USERINFO, Endpoint::Userinfo),
                    (keycloak::JWKS, Endpoint::Jwks),
                    (keycloak::LOGOUT, Endpoint::Logout),
                    (keycloak::REVOKE, Endpoint::Revoke),
                    (keycloak::INTROSPECT, Endpoint::Introspect),
                    (
                        keycloak::DEVICE_AUTHORIZATION,
                        Endpoint::DeviceAuthorization,
                    ),
                    (keycloak::DEVICE, Endpoint::Device),
                    (keycloak::PAR, Endpoint::Par),
                ],
            ),
        };
        routes.extend(plain(&own));
        Self { routes }
    }

    pub fn routes(&self) -> &[Route] {
        &self.routes
    }

    /// The endpoint a path (relative to the issuer) reaches.
    pub fn endpoint_at(&self, path: &str) -> Option<Endpoint> {
        self.routes
            .iter()
            .find(|r| r.path == path)
            .map(|r| r.endpoint)
    }

    /// The path of `endpoint`, reached through `tenant` when the layout has tenants (a route
    /// outside every tenant, such as Graph's userinfo, is reached through any).
    pub fn path_of(&self, endpoint: Endpoint, tenant: Option<&Tenant>) -> Option<&str> {
        self.routes
            .iter()
            .find(|r| {
                r.endpoint == endpoint
                    && (tenant.is_none() || r.tenant.is_none() || r.tenant.as_ref() == tenant)
            })
            .map(|r| r.path.as_str())
    }

    pub fn serves(&self, endpoint: Endpoint) -> bool {
        self.routes.iter().any(|r| r.endpoint == endpoint)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_preset_serves_the_real_providers_paths() {
        let generic = Layout::new(Preset::Generic, "t");
        assert_eq!(generic.endpoint_at("/token"), Some(Endpoint::Token));
        let github = Layout::new(Preset::Github, "t");
        assert_eq!(
            github.endpoint_at("/login/oauth/access_token"),
            Some(Endpoint::Token)
        );
        assert!(!github.serves(Endpoint::Discovery) && !github.serves(Endpoint::Jwks));
        assert_eq!(
            github.endpoint_at("/login/device/code"),
            Some(Endpoint::DeviceAuthorization)
        );
        let google = Layout::new(Preset::Google, "t");
        assert_eq!(
            google.path_of(Endpoint::Authorize, None),
            Some("/o/oauth2/v2/auth")
        );
        let ms = Layout::new(Preset::Microsoft, "tid");
        assert_eq!(
            ms.endpoint_at("/common/oauth2/v2.0/token"),
            Some(Endpoint::Token)
        );
        let consumers = Tenant(Arc::from("consumers"));
        assert_eq!(
            ms.path_of(Endpoint::Authorize, Some(&consumers)),
            Some("/consumers/oauth2/v2.0/authorize")
        );
        assert_eq!(
            ms.path_of(Endpoint::Jwks, None),
            Some("/tid/discovery/v2.0/keys")
        );
        assert_eq!(
            ms.path_of(Endpoint::DeviceAuthorization, Some(&consumers)),
            Some("/consumers/oauth2/v2.0/devicecode")
        );
        assert_eq!(ms.endpoint_at("/devicelogin"), Some(Endpoint::Device));
        assert_eq!(
            ms.path_of(Endpoint::Userinfo, Some(&consumers)),
            Some("/oidc/userinfo"),
            "Graph's userinfo is outside the tenants"
        );
        let gitlab = Layout::new(Preset::Gitlab, "t");
        assert_eq!(
            gitlab.endpoint_at("/oauth/discovery/keys"),
            Some(Endpoint::Jwks)
        );
        assert!(
            !gitlab.serves(Endpoint::Logout),
            "GitLab has no end-session endpoint"
        );
        let keycloak = Layout::new(Preset::Keycloak, "shop");
        assert_eq!(
            keycloak.path_of(Endpoint::Token, None),
            Some("/realms/shop/protocol/openid-connect/token")
        );
        assert_eq!(
            keycloak.endpoint_at("/realms/shop/.well-known/openid-configuration"),
            Some(Endpoint::Discovery)
        );
        // Its own introspection comes first: discovery names it.
        assert_eq!(
            keycloak.path_of(Endpoint::Introspect, None),
            Some("/realms/shop/protocol/openid-connect/token/introspect")
        );
        let discord = Layout::new(Preset::Discord, "t");
        for path in ["/oauth2/authorize", "/api/oauth2/authorize"] {
            assert_eq!(discord.endpoint_at(path), Some(Endpoint::Authorize));
        }
        assert_eq!(
            discord.endpoint_at("/api/v10/oauth2/token"),
            Some(Endpoint::Token)
        );
        assert_eq!(
            discord.path_of(Endpoint::Jwks, None),
            Some("/api/oauth2/keys")
        );
        assert!(!discord.serves(Endpoint::Userinfo));
        let slack = Layout::new(Preset::Slack, "t");
        assert_eq!(
            slack.endpoint_at("/api/openid.connect.token"),
            Some(Endpoint::Token)
        );
        assert!(!slack.serves(Endpoint::Logout) && !slack.serves(Endpoint::Revoke));
        let apple = Layout::new(Preset::Apple, "t");
        assert_eq!(apple.endpoint_at("/auth/keys"), Some(Endpoint::Jwks));
        assert!(!apple.serves(Endpoint::Userinfo) && !apple.serves(Endpoint::Logout));
        assert_eq!(
            google.endpoint_at("/device/code"),
            Some(Endpoint::DeviceAuthorization)
        );
    }
}
