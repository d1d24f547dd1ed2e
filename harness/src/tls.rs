//! HTTPS on the command line: the options every server subcommand shares, and `fauxauth ca`.

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context as _;
use fauxauth_core::{Authority, Listener, Tls, TlsConfig, Trust};
use tokio::net::TcpListener;

use crate::process::announce;

/// How a server serves HTTPS, and what it trusts when it calls another over HTTPS.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct TlsArgs {
    /// Serve HTTPS on the main port, with a certificate from fauxauth's local certificate
    /// authority (`fauxauth ca` writes its certificate, for clients to trust).
    #[arg(long, env = "FAUXAUTH_TLS")]
    pub tls: bool,
    /// Serve HTTPS on this port as well, beside plain HTTP on the main port (issuers are then
    /// named under the HTTPS address).
    #[arg(long = "tls-port", env = "FAUXAUTH_TLS_PORT", value_name = "PORT")]
    pub tls_port: Option<u16>,
    /// A host name the certificate covers besides localhost, 127.0.0.1, ::1 and the base URL's
    /// host (repeat, or separate with commas).
    #[arg(
        long = "tls-name",
        env = "FAUXAUTH_TLS_NAMES",
        value_name = "NAME",
        value_delimiter = ','
    )]
    pub names: Vec<String>,
    /// A certificate authority's certificate (PEM): issue with it, given its key, and trust it
    /// when calling a server over HTTPS.
    #[arg(long = "ca-cert", env = "FAUXAUTH_CA_CERT", value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
    /// The certificate authority's private key (PEM), to issue with.
    #[arg(
        long = "ca-key",
        env = "FAUXAUTH_CA_KEY",
        value_name = "FILE",
        requires = "ca_cert"
    )]
    pub ca_key: Option<PathBuf>,
    /// Serve this certificate (PEM, the chain from the server's own) instead of one issued by
    /// the authority.
    #[arg(
        long = "tls-cert",
        env = "FAUXAUTH_TLS_CERT",
        value_name = "FILE",
        requires = "tls_key"
    )]
    pub tls_cert: Option<PathBuf>,
    /// The private key of that certificate (PEM).
    #[arg(
        long = "tls-key",
        env = "FAUXAUTH_TLS_KEY",
        value_name = "FILE",
        requires = "tls_cert"
    )]
    pub tls_key: Option<PathBuf>,
}

impl TlsArgs {
    /// Whether HTTPS is asked for, by any of the options.
    pub fn wanted(&self) -> bool {
        self.tls
            || self.tls_port.is_some()
            || !self.names.is_empty()
            || self.ca_key.is_some()
            || self.tls_cert.is_some()
    }

    /// Writes the options over a configuration's `tls` section (creating it when HTTPS is
    /// asked for).
    pub fn apply(&self, section: &mut Option<TlsConfig>) {
        if !self.wanted() {
            return;
        }
        let tls = section.get_or_insert_with(TlsConfig::default);
        tls.names.extend(self.names.iter().cloned());
        if self.ca_key.is_some() {
            tls.ca_cert.clone_from(&self.ca_cert);
            tls.ca_key.clone_from(&self.ca_key);
        }
        if self.tls_cert.is_some() {
            tls.cert.clone_from(&self.tls_cert);
            tls.key.clone_from(&self.tls_key);
        }
    }

    /// What a server trusts when it calls another over HTTPS: `also` (for the resource, the
    /// authority of fauxauth's default seed, which its provider most likely uses) and the
    /// --ca-cert file.
    pub fn trust(&self, also: Option<&Authority>) -> anyhow::Result<Trust> {
        let mut trust = also.map(Trust::of).unwrap_or_default();
        if let Some(path) = &self.ca_cert {
            trust.add_pem_file(path, "--ca-cert")?;
        }
        Ok(trust)
    }
}

/// What a server listens on: `host:port`, and with --tls-port an HTTPS socket beside it.
#[derive(Debug)]
pub struct Sockets {
    pub main: TcpListener,
    pub https: Option<TcpListener>,
    scheme: &'static str,
}

impl Sockets {
    /// Binds `host:port`, and `host:--tls-port` when HTTPS is asked for beside HTTP.
    pub async fn bind(args: &TlsArgs, host: &str, port: u16) -> anyhow::Result<Self> {
        let listen = |port: u16| async move {
            TcpListener::bind((host, port))
                .await
                .with_context(|| format!("cannot listen on {host}:{port}"))
        };
        let main = listen(port).await?;
        let https = match args.tls_port {
            Some(port) => Some(listen(port).await?),
            None => None,
        };
        let scheme = if args.wanted() { "https" } else { "http" };
        Ok(Self {
            main,
            https,
            scheme,
        })
    }

    /// The address of the main socket.
    pub fn addr(&self) -> std::io::Result<SocketAddr> {
        self.main.local_addr()
    }

    /// The URL the server is named under: the HTTPS socket's when there is one.
    pub fn url(&self) -> std::io::Result<String> {
        match &self.https {
            Some(https) => Ok(fauxauth_core::url_for("https", https.local_addr()?)),
            None => Ok(fauxauth_core::url_for(self.scheme, self.main.local_addr()?)),
        }
    }

    /// The plain-HTTP URL served beside HTTPS, if any.
    pub fn plain_url(&self) -> std::io::Result<Option<String>> {
        match &self.https {
            Some(_) => Ok(Some(fauxauth_core::url_for(
                "http",
                self.main.local_addr()?,
            ))),
            None => Ok(None),
        }
    }

    /// The listeners, HTTPS with `tls` where it is served.
    pub fn listeners(self, tls: Option<&Tls>) -> Vec<Listener> {
        match (self.https, tls) {
            (Some(https), Some(tls)) => {
                vec![Listener::from(self.main), Listener::tls(https, tls.clone())]
            }
            (None, Some(tls)) => vec![Listener::tls(self.main, tls.clone())],
            (https, None) => std::iter::once(self.main)
                .chain(https)
                .map(Listener::from)
                .collect(),
        }
    }
}

/// The HTTPS a resource or client listening on `host` serves for `args` (none unless asked
/// for); its authority is the one fauxauth's default seed derives unless --ca-cert and
/// --ca-key name one.
pub fn server_tls(args: &TlsArgs, host: &str) -> anyhow::Result<Option<Tls>> {
    let mut section = None;
    args.apply(&mut section);
    let Some(section) = section else {
        return Ok(None);
    };
    let host = url_host(host);
    Ok(Some(Tls::new(
        &section,
        fauxauth_core::DEFAULT_SEED,
        Some(host.trim_start_matches('[').trim_end_matches(']')),
    )?))
}

/// The host clients reach a server listening on `host` by, as a URL writes it: a wildcard
/// address is reached on loopback.
pub fn url_host(host: &str) -> String {
    match host.parse::<std::net::IpAddr>() {
        Ok(ip) if ip.is_unspecified() && ip.is_ipv4() => "127.0.0.1".to_owned(),
        Ok(ip) if ip.is_unspecified() => "[::1]".to_owned(),
        Ok(std::net::IpAddr::V6(ip)) => format!("[{ip}]"),
        _ => host.to_owned(),
    }
}

/// Announces where HTTPS is served and which authority to trust.
pub fn announce_tls(tls: &Tls) {
    match tls.authority() {
        Some(authority) => announce(&format!(
            "https: certificate for {} from {:?}; `fauxauth ca --out ca.pem` writes its \
             certificate for clients to trust",
            tls.names().join(", "),
            authority.subject()
        )),
        None => announce(&format!(
            "https: your certificate, for {}",
            tls.names().join(", ")
        )),
    }
}

#[derive(Debug, clap::Args)]
pub struct CaArgs {
    /// Write the certificate here (PEM); standard output when absent.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// The seed the servers run with (FAUXAUTH_SEED); fauxauth's default when absent.
    #[arg(long, env = "FAUXAUTH_SEED", hide_env_values = true)]
    seed: Option<String>,
}

/// `fauxauth ca`: writes the certificate of the authority a seed derives.
pub fn ca(args: CaArgs) -> anyhow::Result<()> {
    let seed = args.seed.as_deref().unwrap_or(fauxauth_core::DEFAULT_SEED);
    let authority = Authority::from_seed(seed);
    match &args.out {
        Some(path) => {
            std::fs::write(path, authority.certificate_pem())
                .with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!(
                "fauxauth: wrote the certificate of {:?} to {}; trust it for a test run only \
                 (its key follows from the seed)",
                authority.subject(),
                path.display()
            );
        }
        None => print!("{}", authority.certificate_pem()),
    }
    Ok(())
}
