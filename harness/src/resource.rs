//! `fauxauth resource`: the mock resource (a protected API) as a process.

use anyhow::Context as _;
use mock_resource::{Config, DEFAULT_AUDIENCE, Mode, Preset, ResourceState};

use crate::process::{announce, shutdown_signal};
use crate::tls::{Sockets, TlsArgs, announce_tls, server_tls};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The issuer whose tokens are accepted (its metadata is discovered from this URL); with a
    /// preset, the provider's base URL.
    #[arg(long, env = "FAUXAUTH_RESOURCE_ISSUER")]
    issuer: String,
    /// The audience this API is: tokens must name it in `aud` (not checked with a preset).
    #[arg(long, env = "FAUXAUTH_RESOURCE_AUDIENCE", default_value = DEFAULT_AUDIENCE)]
    audience: String,
    /// Also serve a provider's user API: generic (none), google, github, microsoft, keycloak
    /// (none: Keycloak has no user API of its own), gitlab (`/api/v4/user`), auth0 or okta
    /// (none). A preset introspects every token at
    /// `{issuer}/introspect`, so it needs the client credentials.
    #[arg(long, env = "FAUXAUTH_RESOURCE_PRESET", default_value_t = Preset::Generic)]
    preset: Preset,
    /// How tokens are validated: `jwt` (with the issuer's JWKS; the default) or
    /// `introspection` (the default with a preset, which allows no other).
    #[arg(long, env = "FAUXAUTH_RESOURCE_MODE")]
    mode: Option<Mode>,
    /// Port to listen on (0 picks a free one).
    #[arg(long, env = "FAUXAUTH_RESOURCE_PORT", default_value_t = 9001)]
    port: u16,
    /// Address to listen on.
    #[arg(long, env = "FAUXAUTH_RESOURCE_HOST", default_value = "127.0.0.1")]
    host: String,
    /// The client id the resource introspects with (introspection mode).
    #[arg(long, env = "FAUXAUTH_RESOURCE_CLIENT_ID", requires = "client_secret")]
    client_id: Option<String>,
    /// The client secret the resource introspects with (introspection mode).
    #[arg(
        long,
        env = "FAUXAUTH_RESOURCE_CLIENT_SECRET",
        requires = "client_id",
        hide_env_values = true
    )]
    client_secret: Option<String>,
    #[command(flatten)]
    tls: TlsArgs,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    // Files read and names checked before binding: a mistake never leaves a port taken.
    let tls = server_tls(&args.tls, &args.host)?;
    let sockets = Sockets::bind(&args.tls, &args.host, args.port).await?;
    let url = sockets.url()?;
    let config = Config {
        network: fauxauth_core::Network {
            tls: tls.clone(),
            trust: args.tls.trust(Some(&fauxauth_core::Authority::from_seed(
                fauxauth_core::DEFAULT_SEED,
            )))?,
            resolve: Vec::new(),
        },
        audience: args.audience,
        preset: args.preset,
        mode: args.mode,
        client_id: args.client_id,
        client_secret: args.client_secret,
        ..Config::new(args.issuer)
    };
    let state = ResourceState::new(config)?;
    announce(&format!("resource: {url}"));
    if let Some(tls) = &tls {
        announce_tls(tls);
    }
    mock_resource::serve(sockets.listeners(tls.as_ref()), state, shutdown_signal())
        .await
        .context("serving")?;
    Ok(())
}
