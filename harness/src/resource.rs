//! `fauxauth resource`: the mock resource (a protected API) as a process.

use anyhow::Context as _;
use mock_resource::{Config, DEFAULT_AUDIENCE, Mode, Preset, ResourceState};
use tokio::net::TcpListener;

use crate::process::{announce, base_url_for, shutdown_signal};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The issuer whose tokens are accepted (its metadata is discovered from this URL); with a
    /// preset, the provider's base URL.
    #[arg(long, env = "FAUXAUTH_RESOURCE_ISSUER")]
    issuer: String,
    /// The audience this API is: tokens must name it in `aud` (not checked with a preset).
    #[arg(long, env = "FAUXAUTH_RESOURCE_AUDIENCE", default_value = DEFAULT_AUDIENCE)]
    audience: String,
    /// Also serve a provider's user API: generic (none), google, github or microsoft. A preset
    /// introspects every token at `{issuer}/introspect`, so it needs the client credentials.
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
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let config = Config {
        audience: args.audience,
        preset: args.preset,
        mode: args.mode,
        client_id: args.client_id,
        client_secret: args.client_secret,
        ..Config::new(args.issuer)
    };
    let state = ResourceState::new(config)?;
    let listener = TcpListener::bind((args.host.as_str(), args.port))
        .await
        .with_context(|| format!("cannot listen on {}:{}", args.host, args.port))?;
    let addr = listener.local_addr()?;
    announce(&format!("resource: {}", base_url_for(addr)));
    mock_resource::serve(listener, state, shutdown_signal())
        .await
        .context("serving")?;
    Ok(())
}
