//! `fauxauth client`: the reference relying party as a process.

use anyhow::Context as _;
use clap::builder::{PossibleValuesParser, TypedValueParser as _};
use sample_client::{ClientState, Config, Preset, Weakness};

use crate::process::{announce, shutdown_signal};
use crate::tls::{Sockets, TlsArgs, announce_tls, server_tls};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The OpenID provider's issuer identifier (its metadata is discovered from it). With
    /// --preset github or discord, the provider's web host; with microsoft,
    /// {base}/{tenant}/v2.0.
    #[arg(long, env = "FAUXAUTH_CLIENT_ISSUER")]
    issuer: String,
    /// Log in as an app written against this provider's documentation does: generic (strict
    /// OpenID Connect), an OpenID preset, or github or discord (plain OAuth 2.0; --resource is
    /// the provider's API, and required).
    #[arg(
        long,
        env = "FAUXAUTH_CLIENT_PRESET",
        value_name = "NAME",
        default_value = "generic",
        value_parser = preset_parser()
    )]
    preset: Preset,
    /// The client id registered at the provider.
    #[arg(long = "client-id", env = "FAUXAUTH_CLIENT_ID")]
    client_id: String,
    /// The client secret; without one the client is public (PKCE only).
    #[arg(
        long = "client-secret",
        env = "FAUXAUTH_CLIENT_SECRET",
        hide_env_values = true
    )]
    client_secret: Option<String>,
    /// Authenticate with a private key instead of a secret (private_key_jwt): a PEM file of a
    /// P-256, P-384, RSA or Ed25519 key whose public half the provider has for the client.
    #[arg(
        long = "private-key",
        env = "FAUXAUTH_CLIENT_PRIVATE_KEY",
        value_name = "FILE",
        conflicts_with = "client_secret"
    )]
    private_key: Option<std::path::PathBuf>,
    /// The kid of --private-key in the provider's JWKS for the client.
    #[arg(
        long = "private-key-id",
        env = "FAUXAUTH_CLIENT_PRIVATE_KEY_ID",
        value_name = "KID"
    )]
    private_key_id: Option<String>,
    /// With --preset apple: the developer team that owns --private-key, the `iss` of the client
    /// secret the client signs with it (ES256) instead of making assertions.
    #[arg(
        long = "team-id",
        env = "FAUXAUTH_CLIENT_TEAM_ID",
        requires = "private_key"
    )]
    team_id: Option<String>,
    /// Prove possession of a key with DPoP (RFC 9449): proofs at the token endpoint, the code
    /// bound to the key, the tokens presented as DPoP (a P-256 key made from the client id).
    #[arg(long, env = "FAUXAUTH_CLIENT_DPOP")]
    dpop: bool,
    /// Push each authorization request to the provider's PAR endpoint (RFC 9126); the browser
    /// carries only the client_id and the request_uri.
    #[arg(long, env = "FAUXAUTH_CLIENT_PAR")]
    par: bool,
    /// Ask for response_mode=form_post: the provider's page posts the code to the callback,
    /// which then takes it by POST only.
    #[arg(long = "form-post", env = "FAUXAUTH_CLIENT_FORM_POST")]
    form_post: bool,
    /// The protected API that /me calls (`{resource}/api/me`).
    #[arg(long, env = "FAUXAUTH_CLIENT_RESOURCE")]
    resource: Option<String>,
    /// Port to listen on (0 picks a free one). The redirect URI is `http://<host>:<port>/callback`.
    #[arg(long, env = "FAUXAUTH_CLIENT_PORT", default_value_t = 8080)]
    port: u16,
    /// Address to listen on.
    #[arg(long, env = "FAUXAUTH_CLIENT_HOST", default_value = "127.0.0.1")]
    host: String,
    /// Switch one protection off, on purpose (repeat for several). A test target only.
    #[arg(
        long = "weakness",
        env = "FAUXAUTH_CLIENT_WEAKNESSES",
        value_delimiter = ',',
        value_name = "NAME",
        value_parser = weakness_parser(),
        long_help = weakness_help()
    )]
    weaknesses: Vec<Weakness>,
    #[command(flatten)]
    tls: TlsArgs,
}

/// Parses a preset by name.
fn preset_parser() -> impl clap::builder::TypedValueParser<Value = Preset> {
    PossibleValuesParser::new(Preset::ALL.map(Preset::as_str))
        .map(|name| name.parse().expect("a possible value is a preset"))
}

/// `--weakness` in `--help`: which protections exist with which preset.
fn weakness_help() -> String {
    let github: Vec<_> = Weakness::ALL
        .into_iter()
        .filter(|w| w.applies_to(Preset::Github))
        .map(Weakness::name)
        .collect();
    format!(
        "Switch one protection off, on purpose (repeat for several). A test target only.\n\n\
         Every weakness applies to the OpenID presets (generic, google, microsoft). With \
         --preset github only {} do: the others guard the ID token and UserInfo, which GitHub \
         does not have.",
        github.join(", ")
    )
}

/// Parses a weakness by its documented name; clap lists the names in `--help` and in errors.
pub fn weakness_parser() -> impl clap::builder::TypedValueParser<Value = Weakness> {
    PossibleValuesParser::new(Weakness::ALL.map(Weakness::name))
        .map(|name| name.parse().expect("a possible value is a weakness"))
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    // Files read and names checked before binding: a mistake never leaves a port taken.
    let private_key = match &args.private_key {
        Some(path) => Some(
            std::fs::read_to_string(path)
                .with_context(|| format!("--private-key: cannot read {}", path.display()))?,
        ),
        None => None,
    };
    let tls = server_tls(&args.tls, &args.host)?;
    let sockets = Sockets::bind(&args.tls, &args.host, args.port).await?;
    let base = sockets.url()?;
    // As an app does: what it is given (--ca-cert) and, as apps on OpenSSL do, the bundle
    // SSL_CERT_FILE names; nothing else.
    let mut trust = args.tls.trust(None)?;
    if let Some(bundle) = std::env::var_os("SSL_CERT_FILE") {
        trust.add_pem_file(std::path::Path::new(&bundle), "SSL_CERT_FILE")?;
    }
    let config = Config {
        network: fauxauth_core::Network {
            tls: tls.clone(),
            trust,
            resolve: Vec::new(),
        },
        preset: args.preset,
        issuer: args.issuer,
        client_id: args.client_id,
        client_secret: args.client_secret,
        private_key,
        private_key_id: args.private_key_id,
        team_id: args.team_id,
        dpop: args.dpop,
        par: args.par,
        form_post: args.form_post,
        resource: args.resource,
        weaknesses: args.weaknesses,
        ..Config::default()
    };
    // Checked before binding, so a mistake never leaves a port taken.
    config
        .validate()
        .map_err(|problems| anyhow::anyhow!("invalid configuration:\n{}", problems.join("\n")))?;
    if let Some(warning) = sample_client::warning(&config.weaknesses, config.preset) {
        // On stderr, whoever starts it: a client with protections off must never run quietly.
        eprintln!("{warning}");
    }
    let state = ClientState::new(config, &base)?;
    announce(&format!("client: {base}"));
    if let Some(tls) = &tls {
        announce_tls(tls);
    }
    sample_client::serve(sockets.listeners(tls.as_ref()), state, shutdown_signal())
        .await
        .context("serving")?;
    Ok(())
}
