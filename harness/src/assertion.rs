//! `fauxauth assertion`: a client assertion made as a client makes one, to try JWT client
//! authentication by hand (with curl) or to feed a test.

use anyhow::Context as _;
use sample_client::{ClientKey, Clock};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The client it authenticates: its iss and sub.
    #[arg(long = "client-id", required_unless_present = "issuer")]
    client_id: Option<String>,
    /// Its aud: the provider's token endpoint URL (or its issuer identifier).
    #[arg(long)]
    audience: String,
    /// Sign with this private key (PEM: P-256, P-384, RSA or Ed25519), for private_key_jwt.
    #[arg(
        long = "private-key",
        value_name = "FILE",
        required_unless_present = "secret"
    )]
    private_key: Option<std::path::PathBuf>,
    /// The kid to name in the header, as the client's JWKS at the provider has it.
    #[arg(long = "private-key-id", value_name = "KID", requires = "private_key")]
    private_key_id: Option<String>,
    /// Sign with HS256 keyed with this client secret, for client_secret_jwt.
    #[arg(long, conflicts_with = "private_key")]
    secret: Option<String>,
    /// Make an authorization grant instead (RFC 7523 §2.1): from this issuer (a trusted issuer
    /// of the provider), about --subject.
    #[arg(long, requires = "subject", requires = "private_key")]
    issuer: Option<String>,
    /// The user the grant is about: their subject identifier.
    #[arg(long, requires = "issuer")]
    subject: Option<String>,
}

/// Prints the assertion: `iss` and `sub` the client, `aud`, a fresh `jti`, `iat` now and `exp` a
/// minute later.
pub fn run(args: Args) -> anyhow::Result<()> {
    let key = match (&args.private_key, &args.secret) {
        (Some(path), _) => {
            let pem = std::fs::read_to_string(path)
                .with_context(|| format!("--private-key: cannot read {}", path.display()))?;
            ClientKey::from_pem(&pem, args.private_key_id.clone())
                .map_err(|e| anyhow::anyhow!("--private-key {}: {e}", path.display()))?
        }
        (None, Some(secret)) => ClientKey::from_secret(secret),
        (None, None) => anyhow::bail!("give --private-key or --secret"),
    };
    let assertion = match (&args.issuer, &args.subject) {
        (Some(issuer), Some(subject)) => {
            key.grant_assertion(issuer, subject, &args.audience, &Clock::system())
        }
        _ => key.assertion(
            args.client_id.as_deref().unwrap_or_default(),
            &args.audience,
            &Clock::system(),
        ),
    };
    println!("{assertion}");
    Ok(())
}
