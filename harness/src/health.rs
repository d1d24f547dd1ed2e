//! `fauxauth health`: is the provider on this machine answering? For a container's `HEALTHCHECK`,
//! in an image that has no shell or curl to ask with.

use std::time::Duration;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The port the provider listens on.
    #[arg(long, env = "FAUXAUTH_PORT", default_value_t = 9000)]
    port: u16,
    /// The path to ask (relative to the root issuer).
    #[arg(long, default_value = "/.well-known/openid-configuration")]
    path: String,
    /// The provider serves HTTPS on the port (its certificate is not judged: the question is
    /// only whether the process answers).
    #[arg(long, env = "FAUXAUTH_TLS")]
    tls: bool,
    /// With HTTPS on another port, --port still serves plain HTTP.
    #[arg(long = "tls-port", env = "FAUXAUTH_TLS_PORT", hide = true)]
    tls_port: Option<u16>,
}

/// Whether the provider answered within two seconds with anything but a server error: a 404 (a
/// configuration whose issuers all have paths) still shows it serving. Prints why not, when not.
pub async fn run(args: Args) -> anyhow::Result<bool> {
    let scheme = if args.tls && args.tls_port.is_none() {
        "https"
    } else {
        "http"
    };
    let url = format!("{scheme}://127.0.0.1:{}{}", args.port, args.path);
    let client = reqwest::Client::builder()
        .use_preconfigured_tls(fauxauth_core::tls::client_config_accepting_any_certificate())
        .no_proxy()
        .timeout(Duration::from_secs(2))
        .build()?;
    match client.get(&url).send().await {
        Ok(response) if !response.status().is_server_error() => Ok(true),
        Ok(response) => {
            eprintln!("fauxauth health: {url} answered {}", response.status());
            Ok(false)
        }
        Err(e) => {
            eprintln!("fauxauth health: {url}: {e}");
            Ok(false)
        }
    }
}
