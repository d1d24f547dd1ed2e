//! `fauxauth up`: the provider, the resource and the reference client together, wired to each
//! other and reading one clock, so a person can open the client, log in through the provider's
//! login page and see their profile served by the resource.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;

use anyhow::Context as _;
use mock_provider::preset::Preset;
use mock_provider::{ClientConfig, Config, GrantType, IssuerConfig, LoginMode, Provider};
use mock_resource::ResourceState;
use sample_client::{ClientState, DEFAULT_SCOPES, Weakness};
use tokio::net::TcpListener;

use crate::process::{announce, announce_users, shutdown_signal};
use fauxauth_core::{Listener, Tls, url_for};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The provider's YAML configuration, as for `fauxauth provider`. Without one: the demo, with
    /// a login page.
    #[arg(long, env = "FAUXAUTH_CONFIG")]
    config: Option<PathBuf>,
    /// Imitate a real provider: generic, google, github, microsoft, keycloak, gitlab, auth0,
    /// okta, discord, slack or apple. The provider serves the preset's demo (its paths, dialect
    /// and fake users, with a login page), the resource its user API (the demo API for Keycloak,
    /// Auth0, Okta and Apple, which have none), and
    /// the reference client logs in as an app written against it does. With --config, the
    /// first issuer's `preset` decides instead.
    #[arg(long, env = "FAUXAUTH_PRESET", conflicts_with = "config")]
    preset: Option<Preset>,
    /// The client the reference client logs in as. Default: the first client of the first issuer
    /// allowed the code flow (in the demo, demo-web).
    #[arg(long = "client-id")]
    client_id: Option<String>,
    /// Its secret. Default: the one the configuration gives it.
    #[arg(long = "client-secret", hide_env_values = true)]
    client_secret: Option<String>,
    /// Switch one of the client's protections off, on purpose (repeat for several).
    #[arg(long = "weakness", value_name = "NAME", value_parser = crate::client::weakness_parser())]
    weaknesses: Vec<Weakness>,
    /// Address every server listens on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// The provider's port.
    #[arg(long = "provider-port", default_value_t = 9000)]
    provider_port: u16,
    /// The resource's port.
    #[arg(long = "resource-port", default_value_t = 9001)]
    resource_port: u16,
    /// The client's port; the demo clients' redirect URIs expect 8080.
    #[arg(long = "client-port", default_value_t = 8080)]
    client_port: u16,
    /// Serve all three over HTTPS, with certificates from one local certificate authority
    /// (derived from the seed; `fauxauth ca` writes its certificate).
    #[arg(long, env = "FAUXAUTH_TLS")]
    tls: bool,
    /// Serve the preset under the real provider's host names (github.com and api.github.com,
    /// accounts.google.com and its API hosts, login.microsoftonline.com and graph.microsoft.com),
    /// over HTTPS, provider and resource on the provider's port, told apart by host name. Point
    /// those names at this machine (a hosts file, --add-host) and use --provider-port 443.
    #[arg(long = "real-hosts", env = "FAUXAUTH_REAL_HOSTS")]
    real_hosts: bool,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let (mut config, demo) = match &args.config {
        Some(path) => (Config::load(path)?, false),
        None => (args.preset.map_or_else(demo, Config::preset), true),
    };
    let issuer_settings = config
        .issuers
        .first()
        .context("the configuration has no issuer")?
        .clone();
    let registered = pick_client(&issuer_settings, args.client_id.as_deref())?.clone();
    let real_hosts = match (args.real_hosts, issuer_settings.preset.real_hosts()) {
        (false, _) => None,
        (true, Some(hosts)) => Some(hosts),
        (true, None) => anyhow::bail!(
            "--real-hosts: the first issuer has no preset, so no real host names; pass --preset"
        ),
    };
    let tls = args.tls || real_hosts.is_some();
    let scheme = if tls { "https" } else { "http" };
    if tls {
        config.tls.get_or_insert_with(Default::default);
        config.issuers[0].real_hosts = real_hosts.is_some();
    }

    let bind = |port: u16| {
        let host = args.host.clone();
        async move {
            TcpListener::bind((host.as_str(), port))
                .await
                .with_context(|| format!("cannot listen on {host}:{port}"))
        }
    };
    let provider_listener = bind(args.provider_port).await?;
    // Under the real host names the resource shares the provider's socket, when the provider
    // has an API host (Apple has none: the resource is the app's own API, on its own port).
    let resource_listener = match real_hosts {
        Some(hosts) if !hosts.api.is_empty() => None,
        _ => Some(bind(args.resource_port).await?),
    };
    let client_listener = bind(args.client_port).await?;
    if tls {
        // The client comes back over HTTPS, on a port known now; registered exactly (the
        // loopback exception of RFC 8252 §7.3 is for http).
        let url = url_for("https", client_listener.local_addr()?);
        let client = config.issuers[0]
            .clients
            .iter_mut()
            .find(|c| c.client_id == registered.client_id)
            .context("the client is in the first issuer")?;
        client.redirect_uris.push(format!("{url}/callback"));
        client.post_logout_redirect_uris.push(format!("{url}/"));
    }
    let registered = &config.issuers[0]
        .clients
        .iter()
        .find(|c| c.client_id == registered.client_id)
        .context("the client is in the first issuer")?
        .clone();
    // A preset's resource introspects as a confidential client: the app's, or, when the app has
    // no secret (Apple's apps sign theirs), one of the resource's own, registered here.
    let introspector = if issuer_settings.preset != Preset::Generic
        && registered.client_secret.is_none()
        && args.client_id.is_none()
    {
        let secret = derived_secret(&config.seed, RESOURCE_CLIENT_ID);
        let mut own = ClientConfig::confidential(RESOURCE_CLIENT_ID, &secret, "http://127.0.0.1/");
        own.redirect_uris.clear();
        own.grant_types = vec![GrantType::ClientCredentials];
        config.issuers[0].clients.push(own.clone());
        own
    } else {
        registered.clone()
    };
    let listening = reachable(provider_listener.local_addr()?);
    // Every real host name, resolved by fauxauth's own clients to the provider's socket.
    let resolve: Vec<(String, SocketAddr)> = real_hosts
        .iter()
        .flat_map(|h| h.names())
        .map(|name| (name.to_owned(), listening))
        .collect();
    crate::process::seed_for_bind(&mut config, provider_listener.local_addr()?, None);

    // One clock for all three: moving it (the provider's admin API) moves every component.
    let clock = config.clock.build().map_err(anyhow::Error::msg)?;
    let provider_url = url_for(scheme, provider_listener.local_addr()?);
    let provider = Provider::new(&config, &provider_url, clock.clone())?;
    // The provider's HTTPS; the resource and the client get theirs from its authority (below).
    let tls = provider.tls().cloned();
    let trust = tls.as_ref().map(Tls::trust).unwrap_or_default();
    let issuer = provider
        .issuer_url(&issuer_settings.name)
        .context("the first issuer has no URL")?;

    let preset = issuer_settings.preset;
    let resource_url = match (&resource_listener, real_hosts) {
        (Some(listener), _) => url_for(scheme, listener.local_addr()?),
        (None, Some(hosts)) => format!("https://{}", hosts.api[0].0),
        (None, None) => unreachable!("a resource socket unless under real host names"),
    };
    // The resource's and the client's own HTTPS is given where they listen (below).
    let network = fauxauth_core::Network {
        tls: None,
        trust,
        resolve,
    };
    let resource = ResourceState::new(mock_resource::Config {
        network: network.clone(),
        ..resource_config(
            &provider,
            &issuer,
            &issuer_settings,
            &introspector,
            clock.clone(),
        )?
    })?;

    let client_url = url_for(scheme, client_listener.local_addr()?);
    let client = ClientState::new(
        sample_client::Config {
            issuer: issuer.clone(),
            client_id: registered.client_id.clone(),
            client_secret: args
                .client_secret
                .clone()
                .or_else(|| registered.client_secret.clone()),
            resource: Some(resource_url.clone()),
            preset,
            // A preset's client asks for what apps written against that provider ask for.
            scopes: if preset == Preset::Generic {
                scopes(&issuer_settings, registered)
            } else {
                Vec::new()
            },
            // Sign in with Apple's demo apps sign their client secret with the published test
            // key (`scenarios/keys/`), as their team.
            private_key: registered
                .team_id
                .as_ref()
                .map(|_| harness::scenario::CLIENT_KEY_PEM.to_owned()),
            private_key_id: registered
                .team_id
                .as_ref()
                .map(|_| harness::scenario::CLIENT_KEY_ID.to_owned()),
            team_id: registered.team_id.clone(),
            weaknesses: args.weaknesses.clone(),
            clock,
            network,
            ..sample_client::Config::default()
        },
        &client_url,
    )?;
    if let Some(warning) = redirect_warning(registered, client.redirect_uri()) {
        eprintln!("fauxauth: warning: {warning}");
    }
    if let Some(warning) = sample_client::warning(&args.weaknesses, preset) {
        eprintln!("{warning}");
    }

    announce(&format!("issuer: {issuer}"));
    if preset != Preset::Generic {
        announce(&format!("preset {preset}, endpoints:"));
        for (endpoint, url) in provider.endpoints(&issuer_settings.name) {
            announce(&format!("  {endpoint:<11} {url}"));
        }
    }
    announce(&format!("resource: {resource_url}"));
    announce(&format!("client: {client_url}"));
    if let Some(hosts) = real_hosts {
        announce(&format!(
            "listening: {listening} (point {} at it)",
            hosts.names().join(", ")
        ));
    }
    if let Some(tls) = &tls {
        crate::tls::announce_tls(tls);
    }
    if demo {
        announce_users(&issuer_settings.users);
    }
    announce(&format!("open: {client_url}/"));

    // One Ctrl-C or SIGTERM stops all three.
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let until_stopped = || {
        let mut stopped = stopped.clone();
        async move {
            let _ = stopped.wait_for(|stopped| *stopped).await;
        }
    };
    tokio::spawn(async move {
        shutdown_signal().await;
        let _ = stop.send(true);
    });
    let listen = |listener: TcpListener, tls: &Option<Tls>| match tls {
        Some(tls) => vec![Listener::tls(listener, tls.clone())],
        None => vec![Listener::from(listener)],
    };
    // The resource and the client: certificates from the same authority, but a switch of their
    // own (the provider's untrusted certificate, from the admin API, is the provider's alone).
    let sibling = match tls.as_ref().and_then(Tls::authority) {
        Some(authority) => Some(Tls::issued_by(
            authority.clone(),
            &fauxauth_core::TlsConfig::default(),
            &config.seed,
            None,
        )?),
        None => tls.clone(),
    };
    let limits = config.limits;
    let (provider_socket, resource_socket) = match (resource_listener, real_hosts) {
        (Some(resource_listener), _) => (
            listen(provider_listener, &tls),
            Some((
                listen(resource_listener, &sibling),
                mock_resource::router(resource.clone()),
            )),
        ),
        (None, _) => (listen(provider_listener, &tls), None),
    };
    let provider_router = match (&resource_socket, real_hosts) {
        (None, Some(hosts)) => hosts.router(
            mock_provider::router(&provider),
            mock_resource::router(resource.clone()),
        ),
        _ => mock_provider::router(&provider),
    };
    tokio::try_join!(
        async {
            fauxauth_core::serve_all(provider_socket, provider_router, limits, until_stopped())
                .await
                .context("serving the provider")
        },
        async {
            match resource_socket {
                Some((listeners, router)) => {
                    let limits = *mock_resource::Scripted::control(&resource).limits();
                    fauxauth_core::serve_all(listeners, router, limits, until_stopped())
                        .await
                        .context("serving the resource")
                }
                None => Ok(()),
            }
        },
        async {
            sample_client::serve(listen(client_listener, &sibling), client, until_stopped())
                .await
                .context("serving the client")
        },
    )?;
    Ok(())
}

/// Where a socket bound to `addr` is reached: a wildcard address on loopback.
fn reachable(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => (Ipv4Addr::LOCALHOST, addr.port()).into(),
        IpAddr::V6(ip) if ip.is_unspecified() => (Ipv6Addr::LOCALHOST, addr.port()).into(),
        _ => addr,
    }
}

/// The resource for the first issuer: fauxauth's API checking its JWTs, or, with a preset, the
/// provider's user API, introspecting every token at the issuer's base as the reference
/// client's registration (any confidential client may introspect).
fn resource_config(
    provider: &Provider,
    url: &str,
    issuer: &IssuerConfig,
    client: &ClientConfig,
    clock: mock_provider::Clock,
) -> anyhow::Result<mock_resource::Config> {
    if issuer.preset == Preset::Generic {
        return Ok(mock_resource::Config {
            clock,
            ..mock_resource::Config::new(url)
        });
    }
    let base = provider
        .issuer_base(&issuer.name)
        .context("the first issuer has no URL")?;
    let secret = client.client_secret.clone().with_context(|| {
        format!(
            "the {} preset's resource introspects tokens as client {:?}, which has no secret; \
             pass --client-id naming a confidential client",
            issuer.preset, client.client_id
        )
    })?;
    Ok(mock_resource::Config {
        clock,
        preset: issuer.preset,
        client_id: Some(client.client_id.clone()),
        client_secret: Some(secret),
        ..mock_resource::Config::new(&base)
    })
}

/// The client the resource introspects as when the app has no secret.
const RESOURCE_CLIENT_ID: &str = "fauxauth-resource";

/// A secret for one of `up`'s own clients: derived from the seed, so the same run is the same.
fn derived_secret(seed: &str, client_id: &str) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(format!("fauxauth/up/{seed}/{client_id}").as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The demo, with the provider's login page, so a person picks a user.
fn demo() -> Config {
    let mut config = Config::default();
    for issuer in &mut config.issuers {
        issuer.login = LoginMode::Page;
    }
    config
}

/// The client named, or the first allowed the code flow.
fn pick_client<'a>(issuer: &'a IssuerConfig, id: Option<&str>) -> anyhow::Result<&'a ClientConfig> {
    let code_flow = |c: &&ClientConfig| c.grant_types.contains(&GrantType::AuthorizationCode);
    match id {
        Some(id) => issuer
            .clients
            .iter()
            .find(|c| c.client_id == id)
            .with_context(|| format!("issuer {:?} has no client {id:?}", issuer.name)),
        None => issuer.clients.iter().find(code_flow).with_context(|| {
            format!(
                "issuer {:?} has no client allowed the authorization_code grant; add one or pass --client-id",
                issuer.name
            )
        }),
    }
}

/// The client's default scopes, less those the provider would refuse: one the issuer does not
/// know (not an OpenID Connect scope, not in its `scopes`, not any client's), or one this client
/// may not ask for.
fn scopes(issuer: &IssuerConfig, client: &ClientConfig) -> Vec<String> {
    DEFAULT_SCOPES
        .iter()
        .filter(|s| issuer.knows_scope(s) && client.may_request(s))
        .map(|s| (*s).to_owned())
        .collect()
}

/// Why logins would be refused, when the client's registered redirect URIs cannot match the one
/// the reference client sends (exactly, or on a loopback IP literal with another port, which the
/// provider allows as RFC 8252 §7.3 says).
fn redirect_warning(client: &ClientConfig, redirect_uri: &str) -> Option<String> {
    let sent = url::Url::parse(redirect_uri).ok()?;
    let matches = |registered: &String| {
        if registered == redirect_uri {
            return true;
        }
        let Ok(registered) = url::Url::parse(registered) else {
            return false;
        };
        let loopback_ip = matches!(registered.host_str(), Some("127.0.0.1") | Some("[::1]"));
        loopback_ip
            && registered.scheme() == sent.scheme()
            && registered.host_str() == sent.host_str()
            && registered.path() == sent.path()
            && registered.query() == sent.query()
    };
    if client.redirect_uris.iter().any(matches) {
        None
    } else {
        Some(format!(
            "client {:?} has no redirect URI {redirect_uri} registered, so the provider will \
             refuse its logins; register it, or pass --client-port to match one",
            client.client_id
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_uses_demo_web_and_a_login_page() {
        let config = demo();
        let issuer = &config.issuers[0];
        assert_eq!(issuer.login, LoginMode::Page);
        let client = pick_client(issuer, None).unwrap();
        assert_eq!(client.client_id, mock_provider::WEB_CLIENT_ID);
        assert_eq!(
            client.client_secret.as_deref(),
            Some(mock_provider::WEB_CLIENT_SECRET)
        );
        // The demo issuer supports the resource's items:* scopes, so the client asks for all
        // its defaults and its tokens open /api/items.
        assert_eq!(scopes(issuer, client), sample_client::DEFAULT_SCOPES);
        assert_eq!(
            redirect_warning(client, "http://127.0.0.1:8080/callback"),
            None
        );
        assert_eq!(
            redirect_warning(client, "http://127.0.0.1:8123/callback"),
            None,
            "a loopback IP literal may change its port"
        );
        assert!(redirect_warning(client, "http://127.0.0.1:8080/cb").is_some());
    }

    #[test]
    fn scopes_the_provider_would_refuse_are_left_out() {
        let mut client = ClientConfig::confidential("c", "a-secret-of-16-chars", "http://x/cb");
        let mut issuer = IssuerConfig::new("i");
        assert_eq!(
            scopes(&issuer, &client),
            ["openid", "profile", "email", "offline_access"]
        );
        issuer.scopes = vec!["items:read".into()];
        assert_eq!(scopes(&issuer, &client), DEFAULT_SCOPES);
        client.scopes = Some(vec!["openid".into(), "email".into()]);
        assert_eq!(scopes(&issuer, &client), ["openid", "email"]);
    }

    #[test]
    fn a_preset_demo_wires_the_resource_to_introspect_at_the_issuers_base() {
        for preset in [
            Preset::Github,
            Preset::Google,
            Preset::Microsoft,
            Preset::Keycloak,
            Preset::Gitlab,
            Preset::Auth0,
            Preset::Okta,
            Preset::Discord,
        ] {
            let config = Config::preset(preset);
            let issuer = &config.issuers[0];
            let provider = Provider::new(
                &config,
                "http://127.0.0.1:9000",
                mock_provider::Clock::system(),
            )
            .unwrap();
            let client = pick_client(issuer, None).unwrap();
            let url = provider.issuer_url(&issuer.name).unwrap();
            let resource = resource_config(
                &provider,
                &url,
                issuer,
                client,
                mock_provider::Clock::system(),
            )
            .unwrap();
            assert_eq!(resource.preset, preset);
            assert_eq!(resource.mode(), mock_resource::Mode::Introspection);
            assert_eq!(resource.issuer, "http://127.0.0.1:9000", "{preset}");
            assert_eq!(
                resource.client_id.as_deref(),
                Some(client.client_id.as_str())
            );
            // The client finds the issuer where the preset puts it.
            if preset == Preset::Microsoft {
                assert!(url.ends_with("/v2.0"), "{url}");
            } else if preset == Preset::Keycloak {
                assert_eq!(url, "http://127.0.0.1:9000/realms/fauxauth");
            } else if preset == Preset::Auth0 {
                assert_eq!(url, "http://127.0.0.1:9000/");
            } else if preset == Preset::Okta {
                assert_eq!(url, "http://127.0.0.1:9000/oauth2/default");
            } else {
                assert_eq!(url, "http://127.0.0.1:9000");
            }
        }
    }

    #[test]
    fn a_wildcard_address_is_reached_on_loopback() {
        let at = |text: &str| text.parse::<SocketAddr>().unwrap();
        assert_eq!(reachable(at("0.0.0.0:443")), at("127.0.0.1:443"));
        assert_eq!(reachable(at("[::]:443")), at("[::1]:443"));
        assert_eq!(reachable(at("127.0.0.2:9")), at("127.0.0.2:9"));
    }

    #[test]
    fn a_named_client_must_exist() {
        let err = pick_client(&demo().issuers[0], Some("nobody")).unwrap_err();
        assert!(err.to_string().contains("nobody"), "{err}");
    }
}
