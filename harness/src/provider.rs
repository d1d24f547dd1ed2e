//! `fauxauth provider`: the mock provider as a process.

use std::path::PathBuf;

use anyhow::Context as _;
use mock_provider::{Config, Provider};

use crate::process::{announce, announce_users, seed_for_bind, shutdown_signal};
use crate::tls::{Sockets, TlsArgs, announce_tls};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// YAML configuration file. Without one (and without FAUXAUTH_CONFIG_YAML) a demo is served.
    #[arg(long, env = "FAUXAUTH_CONFIG")]
    config: Option<PathBuf>,
    /// YAML configuration given inline, for containers and CI services.
    #[arg(
        long = "config-yaml",
        env = "FAUXAUTH_CONFIG_YAML",
        conflicts_with = "config",
        hide_env_values = true
    )]
    config_yaml: Option<String>,
    /// Port to listen on (0 picks a free one).
    #[arg(long, env = "FAUXAUTH_PORT", default_value_t = 9000)]
    port: u16,
    /// Address to listen on.
    #[arg(long, env = "FAUXAUTH_HOST", default_value = "127.0.0.1")]
    host: String,
    /// Public base URL issuers are named under (overrides `base_url` in the file), e.g. when
    /// the provider is reached through a container port mapping.
    #[arg(long, env = "FAUXAUTH_BASE_URL")]
    base_url: Option<String>,
    /// Serve the demo of a preset: generic, google, github, microsoft, keycloak, gitlab, auth0,
    /// okta, discord, slack or apple (with a configuration file, set `preset` per issuer there
    /// instead).
    #[arg(long, env = "FAUXAUTH_PRESET", conflicts_with_all = ["config", "config_yaml"])]
    preset: Option<mock_provider::preset::Preset>,
    /// Seeds keys, codes and tokens (overrides `seed` in the file). Without one, a provider
    /// listening beyond loopback draws a random seed.
    #[arg(long, env = "FAUXAUTH_SEED", hide_env_values = true)]
    seed: Option<String>,
    /// Serve the preset under the real provider's host names (accounts.google.com and Google's
    /// API hosts, github.com, login.microsoftonline.com), over HTTPS with a certificate for them.
    /// Point those names at this machine (a hosts file entry, a container's added host) and use
    /// port 443.
    #[arg(long = "real-hosts", env = "FAUXAUTH_REAL_HOSTS")]
    real_hosts: bool,
    #[command(flatten)]
    tls: TlsArgs,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let (mut config, demo) = match (&args.config, &args.config_yaml) {
        (Some(path), _) => (Config::load(path)?, false),
        (None, Some(yaml)) => (Config::from_yaml(yaml, "FAUXAUTH_CONFIG_YAML")?, false),
        (None, None) => (
            args.preset.map_or_else(Config::default, Config::preset),
            true,
        ),
    };
    if let Some(base) = args.base_url {
        config.base_url = Some(base);
    }
    // An authority's certificate is for issuing with, and needs its key (the provider trusts its
    // own authority when it fetches a client's jwks_uri, and SSL_CERT_FILE, not --ca-cert).
    anyhow::ensure!(
        args.tls.ca_cert.is_none() || args.tls.ca_key.is_some(),
        "--ca-cert: the provider issues its certificates with that authority, which needs its \
         key too (--ca-key)"
    );
    args.tls.apply(&mut config.tls);
    if args.real_hosts {
        let mut any = false;
        for issuer in &mut config.issuers {
            issuer.real_hosts = issuer.preset.real_hosts().is_some();
            any |= issuer.real_hosts;
        }
        anyhow::ensure!(
            any,
            "--real-hosts: no issuer has a preset with real host names; pass --preset"
        );
        config.tls.get_or_insert_with(Default::default);
    }
    // Checked before binding, so a mistake never leaves a port taken.
    config.validate().map_err(mock_provider::Error::Config)?;
    // The certificate covers host names, not ports: checked (files read) before binding too.
    // A provider beyond loopback draws its seed, and so its authority, once bound (below).
    let host_url = format!("https://{}", crate::tls::url_host(&args.host));
    mock_provider::tls(&config, &host_url)?;
    let sockets = Sockets::bind(&args.tls, &args.host, args.port).await?;
    let addr = sockets.addr()?;
    seed_for_bind(&mut config, addr, args.seed);
    let clock = config.clock.build().map_err(anyhow::Error::msg)?;
    let base_url = sockets.url()?;
    let provider = Provider::new(&config, &base_url, clock)?;
    let tls = provider.tls().cloned();

    for url in provider.issuer_urls() {
        announce(&format!("issuer: {url}"));
    }
    if let Some(preset) = args
        .preset
        .filter(|p| *p != mock_provider::preset::Preset::Generic)
    {
        announce(&format!("preset {preset}, endpoints:"));
        for issuer in &config.issuers {
            for (endpoint, url) in provider.endpoints(&issuer.name) {
                announce(&format!("  {endpoint:<11} {url}"));
            }
        }
    }
    if let Some(tls) = &tls {
        announce_tls(tls);
    }
    if let Some(plain) = sockets.plain_url()? {
        announce(&format!("http: {plain} (the same issuers)"));
    }
    announce(&format!("admin: {base_url}/_fauxauth/openapi.json"));
    if demo {
        print_demo(&config);
    }
    mock_provider::serve(
        sockets.listeners(tls.as_ref()),
        &provider,
        shutdown_signal(),
    )
    .await
    .context("serving")?;
    Ok(())
}

fn print_demo(config: &Config) {
    let Some(issuer) = config.issuers.first() else {
        return;
    };
    announce("demo configuration (give --config FILE to use your own):");
    for client in &issuer.clients {
        let kind = match &client.client_secret {
            Some(secret) => format!("confidential, secret {secret}"),
            None => "public, PKCE required".to_owned(),
        };
        announce(&format!("  client {} ({kind})", client.client_id));
        announce(&format!(
            "    redirect_uris: {}",
            client.redirect_uris.join(" ")
        ));
    }
    announce_users(&issuer.users);
}
