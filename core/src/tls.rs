//! HTTPS for every fauxauth server: a local certificate authority, the certificates it issues,
//! and the rustls configuration the serve loop accepts connections with.
//!
//! The authority is derived from the seed (the same seed gives the same key, name and
//! certificate, byte for byte: its signatures are deterministic ECDSA, RFC 6979) or loaded from
//! a certificate and key the user gives. A user's own server certificate and key can replace
//! the authority's altogether. A server's certificate is issued on its first handshake, for
//! `localhost`, `127.0.0.1`, `::1`, the host of its base URL and any names listed: nothing of
//! it is made at start-up beyond checking what was asked for.
//!
//! A derived authority's key is as public as its seed. Trust its certificate for a test run
//! only (an environment variable, a truststore of the run's own), never in a system store.
//!
//! For the app check that an app verifies the provider's certificate, a server can be switched
//! to serve a certificate from a second authority, which nobody is told to trust: new
//! handshakes get it, resumption is refused (a resumed session would skip the certificate), and
//! idle connections are closed so that a client must shake hands again.

use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use p256::ecdsa::signature::Signer as _;
use p256::pkcs8::EncodePrivateKey as _;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, PublicKeyData, SanType, SerialNumber, SigningKey,
};
use serde::Deserialize;
use sha2::{Digest as _, Sha256};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::crypto::CryptoProvider;
use tokio_rustls::rustls::pki_types::pem::PemObject as _;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio_rustls::rustls::server::{ClientHello, NoServerSessionStorage, ResolvesServerCert};
use tokio_rustls::rustls::sign::CertifiedKey;
use tokio_rustls::rustls::{self, ServerConfig};

/// The rustls types fauxauth's clients are configured with (for `use_preconfigured_tls`).
pub mod rustls_config {
    pub use tokio_rustls::rustls::ClientConfig;
}

/// The `tls` section of a configuration file: HTTPS, and with which certificate.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// Host names (or IP addresses) the certificate covers besides `localhost`, `127.0.0.1`,
    /// `::1` and the base URL's host; `*.example.test` covers one label.
    #[serde(default)]
    pub names: Vec<String>,
    /// The certificate authority's certificate (PEM), with `ca_key`; without them the
    /// authority is derived from the seed.
    #[serde(default)]
    pub ca_cert: Option<PathBuf>,
    /// The certificate authority's private key (PEM, PKCS#8 or SEC1 or PKCS#1).
    #[serde(default)]
    pub ca_key: Option<PathBuf>,
    /// A server certificate (PEM, the chain from the server's own) to serve instead of one
    /// the authority issues, with `key`.
    #[serde(default)]
    pub cert: Option<PathBuf>,
    /// The private key of `cert` (PEM).
    #[serde(default)]
    pub key: Option<PathBuf>,
}

/// What is wrong with a TLS setting: the field, the file when there is one, and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {}{reason}", .file.as_ref().map(|f| format!("{}: ", f.display())).unwrap_or_default())]
pub struct TlsError {
    pub field: &'static str,
    pub file: Option<PathBuf>,
    pub reason: String,
}

impl TlsError {
    fn new(field: &'static str, file: Option<&Path>, reason: impl fmt::Display) -> Self {
        Self {
            field,
            file: file.map(Path::to_path_buf),
            reason: reason.to_string(),
        }
    }
}

/// The names every issued certificate covers.
pub const LOOPBACK_NAMES: [&str; 3] = ["localhost", "127.0.0.1", "::1"];

/// A certificate authority that issues server certificates.
pub struct Authority {
    cert: CertificateDer<'static>,
    pem: String,
    subject: String,
    issuer: Issuer<'static, CaKey>,
}

impl fmt::Debug for Authority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authority")
            .field("subject", &self.subject)
            .finish_non_exhaustive()
    }
}

impl Authority {
    /// The authority the seed derives (`purpose` tells apart the trusted one and the one
    /// nobody trusts): the same seed gives the same certificate, byte for byte.
    pub fn from_seed(seed: &str) -> Self {
        Self::derived(seed, "authority")
    }

    fn derived(seed: &str, purpose: &str) -> Self {
        let key = EcKey::derive(seed, purpose);
        let id = hex(&Sha256::digest(&key.public)[..4]);
        let subject = if purpose == "authority" {
            format!("fauxauth local CA {id} (for tests only)")
        } else {
            format!("fauxauth untrusted CA {id} (trusted by no one)")
        };
        let mut params = CertificateParams::default();
        let mut name = DistinguishedName::new();
        name.push(DnType::OrganizationName, "fauxauth");
        name.push(DnType::CommonName, subject.clone());
        params.distinguished_name = name;
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        params.not_before = rcgen::date_time_ymd(2025, 1, 1);
        params.not_after = rcgen::date_time_ymd(2045, 1, 1);
        params.serial_number = Some(serial(&[&key.public]));
        let key = CaKey::Derived(key);
        let cert = params
            .self_signed(&key)
            .expect("a P-256 key signs any certificate");
        Self {
            pem: cert.pem(),
            cert: cert.der().clone(),
            subject,
            issuer: Issuer::new(params, key),
        }
    }

    /// The authority in `cert` (a CA certificate, PEM) whose private key is in `key` (PEM).
    pub fn load(cert: &Path, key: &Path) -> Result<Self, TlsError> {
        let cert_text = read(cert, "tls.ca_cert")?;
        let der = CertificateDer::from_pem_slice(cert_text.as_bytes()).map_err(|e| {
            TlsError::new(
                "tls.ca_cert",
                Some(cert),
                format!("not a PEM certificate ({e})"),
            )
        })?;
        let (_, parsed) = x509_parser::parse_x509_certificate(&der).map_err(|e| {
            TlsError::new(
                "tls.ca_cert",
                Some(cert),
                format!("not an X.509 certificate ({e})"),
            )
        })?;
        if !parsed.is_ca() {
            return Err(TlsError::new(
                "tls.ca_cert",
                Some(cert),
                "not a certificate authority's certificate (its basic constraints do not say CA)",
            ));
        }
        let subject = parsed.subject().to_string();
        let spki = parsed.public_key().raw.to_vec();
        let key_text = read(key, "tls.ca_key")?;
        let pair = KeyPair::from_pem(&key_text).map_err(|e| {
            TlsError::new(
                "tls.ca_key",
                Some(key),
                format!("not a private key in PEM ({e})"),
            )
        })?;
        if pair.subject_public_key_info() != spki {
            return Err(TlsError::new(
                "tls.ca_key",
                Some(key),
                format!("not the key of the certificate in {}", cert.display()),
            ));
        }
        let issuer = Issuer::from_ca_cert_der(&der, CaKey::Loaded(pair)).map_err(|e| {
            TlsError::new(
                "tls.ca_cert",
                Some(cert),
                format!("cannot issue with it ({e})"),
            )
        })?;
        Ok(Self {
            pem: cert_text,
            cert: der.into_owned(),
            subject,
            issuer,
        })
    }

    /// Its certificate in PEM: what clients are told to trust.
    pub fn certificate_pem(&self) -> &str {
        &self.pem
    }

    /// Its certificate in DER.
    pub fn certificate_der(&self) -> &CertificateDer<'static> {
        &self.cert
    }

    /// Its subject's common name (or whole name, when loaded), for messages.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// A server certificate for `names`, for the key `key`, valid from a day before `now` for
    /// 820 days (Apple's platforms refuse server certificates valid for more than 825).
    fn issue(
        &self,
        names: &[String],
        key: &EcKey,
        now: SystemTime,
    ) -> Result<Vec<u8>, rcgen::Error> {
        let mut params = CertificateParams::default();
        params.subject_alt_names = names
            .iter()
            .map(|n| match n.parse::<IpAddr>() {
                Ok(ip) => Ok(SanType::IpAddress(ip)),
                Err(_) => Ok(SanType::DnsName(n.clone().try_into()?)),
            })
            .collect::<Result<_, rcgen::Error>>()?;
        let mut dn = DistinguishedName::new();
        dn.push(
            DnType::CommonName,
            names.first().cloned().unwrap_or_default(),
        );
        params.distinguished_name = dn;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.use_authority_key_identifier_extension = true;
        let day = now
            .duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| d.as_secs() / 86_400)
            .unwrap_or_default();
        let start = SystemTime::UNIX_EPOCH + Duration::from_secs(day.saturating_sub(1) * 86_400);
        params.not_before = start.into();
        params.not_after = (start + Duration::from_secs(820 * 86_400)).into();
        let joined = names.join(",");
        params.serial_number = Some(serial(&[
            &key.public,
            joined.as_bytes(),
            &day.to_be_bytes(),
        ]));
        Ok(params.signed_by(key, &self.issuer)?.der().to_vec())
    }
}

/// A positive 128-bit serial number from a hash of `parts`.
fn serial(parts: &[&[u8]]) -> SerialNumber {
    let mut hash = Sha256::new();
    for part in parts {
        hash.update((part.len() as u64).to_be_bytes());
        hash.update(part);
    }
    let mut bytes: [u8; 16] = hash.finalize()[..16].try_into().expect("16 bytes");
    bytes[0] = (bytes[0] & 0x7f) | 0x01;
    SerialNumber::from_slice(&bytes)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn read(path: &Path, field: &'static str) -> Result<String, TlsError> {
    std::fs::read_to_string(path).map_err(|e| TlsError::new(field, Some(path), e))
}

/// A P-256 key derived from the seed, signing deterministically (RFC 6979).
struct EcKey {
    secret: p256::SecretKey,
    signing: p256::ecdsa::SigningKey,
    /// The uncompressed public point, as X.509 carries it.
    public: Vec<u8>,
}

impl EcKey {
    fn derive(seed: &str, purpose: &str) -> Self {
        let mut material: [u8; 32] = Sha256::new()
            .chain_update(b"fauxauth tls\0")
            .chain_update(purpose.as_bytes())
            .chain_update(b"\0")
            .chain_update(seed.as_bytes())
            .finalize()
            .into();
        loop {
            // Not a valid scalar (zero, or not below the order) about once in 2^32 draws.
            if let Ok(secret) = p256::SecretKey::from_slice(&material) {
                let signing = p256::ecdsa::SigningKey::from(&secret);
                let public = signing
                    .verifying_key()
                    .to_encoded_point(false)
                    .as_bytes()
                    .to_vec();
                return Self {
                    secret,
                    signing,
                    public,
                };
            }
            material = Sha256::digest(material).into();
        }
    }

    /// The key as rustls signs with it.
    fn certified(&self, cert: Vec<u8>) -> Result<CertifiedKey, rustls::Error> {
        let pkcs8 = self
            .secret
            .to_pkcs8_der()
            .map_err(|e| rustls::Error::General(e.to_string()))?;
        let key = PrivateKeyDer::Pkcs8(pkcs8.as_bytes().to_vec().into());
        CertifiedKey::from_der(vec![CertificateDer::from(cert)], key, &crypto())
    }
}

impl PublicKeyData for EcKey {
    fn der_bytes(&self) -> &[u8] {
        &self.public
    }

    fn algorithm(&self) -> &'static rcgen::SignatureAlgorithm {
        &rcgen::PKCS_ECDSA_P256_SHA256
    }
}

impl SigningKey for EcKey {
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        let signature: p256::ecdsa::Signature = self.signing.sign(msg);
        Ok(signature.to_der().as_bytes().to_vec())
    }
}

/// An authority's key: derived, or loaded from the user's file.
enum CaKey {
    Derived(EcKey),
    Loaded(KeyPair),
}

impl PublicKeyData for CaKey {
    fn der_bytes(&self) -> &[u8] {
        match self {
            Self::Derived(k) => k.der_bytes(),
            Self::Loaded(k) => k.der_bytes(),
        }
    }

    fn algorithm(&self) -> &'static rcgen::SignatureAlgorithm {
        match self {
            Self::Derived(k) => k.algorithm(),
            Self::Loaded(k) => k.algorithm(),
        }
    }
}

impl SigningKey for CaKey {
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        match self {
            Self::Derived(k) => k.sign(msg),
            Self::Loaded(k) => k.sign(msg),
        }
    }
}

fn crypto() -> CryptoProvider {
    rustls::crypto::aws_lc_rs::default_provider()
}

/// Checks that `name` is one a certificate can carry: an IP address, a DNS name, or a DNS name
/// under `*.` (one label).
pub fn check_name(name: &str) -> Result<(), String> {
    if name.parse::<IpAddr>().is_ok() {
        return Ok(());
    }
    let bare = name.strip_prefix("*.").unwrap_or(name);
    if bare.contains('*') {
        return Err(format!(
            "{name:?}: a wildcard may only be the whole first label (*.example.test)"
        ));
    }
    match ServerName::try_from(bare) {
        Ok(ServerName::DnsName(_)) if bare.contains(|c: char| c.is_ascii_alphabetic()) => Ok(()),
        _ => Err(format!("{name:?} is neither a DNS name nor an IP address")),
    }
}

/// Whether the certificate name `pattern` covers `name` (ASCII case ignored).
fn covers(pattern: &str, name: &str) -> bool {
    match pattern.strip_prefix("*.") {
        Some(parent) => name
            .split_once('.')
            .is_some_and(|(label, rest)| !label.is_empty() && rest.eq_ignore_ascii_case(parent)),
        None => pattern.eq_ignore_ascii_case(name),
    }
}

/// Where a server's certificate comes from.
enum Source {
    /// Issued by an authority on the first handshake.
    Issued {
        authority: Arc<Authority>,
        key: EcKey,
        leaf: OnceLock<Option<Arc<CertifiedKey>>>,
    },
    /// The user's own certificate and key.
    Supplied(Arc<CertifiedKey>),
}

/// What a server presents: the names it answers to and the certificate for them.
struct Certificates {
    names: Vec<String>,
    source: Source,
    /// Serving the untrusted authority's certificate (the app check).
    untrusted: AtomicBool,
    untrusted_seed: String,
    untrusted_leaf: OnceLock<Option<Arc<CertifiedKey>>>,
}

impl fmt::Debug for Certificates {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certificates")
            .field("names", &self.names)
            .field("untrusted", &self.untrusted)
            .finish_non_exhaustive()
    }
}

impl Certificates {
    fn issued_leaf(&self) -> Option<Arc<CertifiedKey>> {
        match &self.source {
            Source::Supplied(key) => Some(key.clone()),
            Source::Issued {
                authority,
                key,
                leaf,
            } => leaf
                .get_or_init(|| issue(authority, key, &self.names))
                .clone(),
        }
    }

    fn untrusted_leaf(&self) -> Option<Arc<CertifiedKey>> {
        self.untrusted_leaf
            .get_or_init(|| {
                let authority = Authority::derived(&self.untrusted_seed, "untrusted");
                let key = EcKey::derive(&self.untrusted_seed, "untrusted server");
                issue(&authority, &key, &self.names)
            })
            .clone()
    }
}

fn issue(authority: &Authority, key: &EcKey, names: &[String]) -> Option<Arc<CertifiedKey>> {
    let issued = authority
        .issue(names, key, SystemTime::now())
        .map_err(|e| e.to_string())
        .and_then(|cert| key.certified(cert).map_err(|e| e.to_string()));
    match issued {
        Ok(key) => Some(Arc::new(key)),
        Err(e) => {
            tracing::error!(error = %e, "cannot issue the server certificate");
            None
        }
    }
}

impl ResolvesServerCert for Certificates {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        if let Some(name) = hello.server_name()
            && !self.names.iter().any(|pattern| covers(pattern, name))
        {
            tracing::warn!(
                name,
                "TLS handshake refused: the certificate does not cover this name (list it with \
                 --tls-name, or tls.names in the configuration)"
            );
            return None;
        }
        if self.untrusted.load(Ordering::Relaxed) {
            self.untrusted_leaf()
        } else {
            self.issued_leaf()
        }
    }
}

/// A server's HTTPS: its certificate, and the rustls configurations it accepts with. Cheap to
/// clone; clones share everything (one switch to the untrusted certificate covers them all).
#[derive(Clone, Debug)]
pub struct Tls {
    shared: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    certificates: Arc<Certificates>,
    /// Sessions may resume (the usual configuration).
    resuming: Arc<ServerConfig>,
    /// No resumption: every handshake shows the certificate (while the untrusted one is served).
    fresh: Arc<ServerConfig>,
    /// Bumped when the certificate changes, so connections made before close when idle.
    generation: tokio::sync::watch::Sender<u64>,
    /// Held by every connection made under the certificate now served: when the certificate
    /// changes, the old one's count falling to zero means every earlier connection has closed.
    epoch: std::sync::Mutex<Arc<()>>,
    /// Handshakes that failed (a client that does not trust the certificate, most often).
    failed: std::sync::atomic::AtomicU64,
}

impl Tls {
    /// HTTPS as `config` says, for a server whose base URL's host is `host`: the certificate
    /// and key it names, or one issued by the authority it names, or by the one `seed` derives.
    /// Every file is read and every name checked now, so a mistake stops the start.
    pub fn new(config: &TlsConfig, seed: &str, host: Option<&str>) -> Result<Self, TlsError> {
        match (&config.ca_cert, &config.ca_key) {
            (Some(cert), Some(key)) => {
                let authority = Arc::new(Authority::load(cert, key)?);
                Self::build(config, Some(authority), seed, host)
            }
            (Some(_), None) => Err(TlsError::new(
                "tls.ca_key",
                None,
                "missing: tls.ca_cert needs the authority's key",
            )),
            (None, Some(_)) => Err(TlsError::new(
                "tls.ca_cert",
                None,
                "missing: tls.ca_key needs the authority's certificate",
            )),
            (None, None) => Self::build(config, None, seed, host),
        }
    }

    /// HTTPS with certificates from `authority` (one shared by several servers).
    pub fn issued_by(
        authority: Arc<Authority>,
        config: &TlsConfig,
        seed: &str,
        host: Option<&str>,
    ) -> Result<Self, TlsError> {
        Self::build(config, Some(authority), seed, host)
    }

    fn build(
        config: &TlsConfig,
        authority: Option<Arc<Authority>>,
        seed: &str,
        host: Option<&str>,
    ) -> Result<Self, TlsError> {
        for name in &config.names {
            check_name(name).map_err(|e| TlsError::new("tls.names", None, e))?;
        }
        let mut names: Vec<String> = LOOPBACK_NAMES.iter().map(|n| (*n).to_owned()).collect();
        let host = host.map(|h| h.trim_start_matches('[').trim_end_matches(']'));
        for name in host
            .into_iter()
            .chain(config.names.iter().map(String::as_str))
        {
            if !names.iter().any(|n| n.eq_ignore_ascii_case(name)) {
                names.push(name.to_owned());
            }
        }
        let source = match (&config.cert, &config.key) {
            (Some(cert), Some(key)) => {
                let supplied = load_supplied(cert, key)?;
                let leaf = supplied.end_entity_cert().map_err(|e| {
                    TlsError::new("tls.cert", Some(cert), format!("no certificate ({e})"))
                })?;
                let parsed = rustls::server::ParsedCertificate::try_from(leaf).map_err(|e| {
                    TlsError::new("tls.cert", Some(cert), format!("unreadable ({e})"))
                })?;
                // The names the server is reached by must be on it; loopback only if asked.
                for name in host
                    .into_iter()
                    .chain(config.names.iter().map(String::as_str))
                {
                    let server_name = ServerName::try_from(name.trim_start_matches("*."))
                        .map_err(|e| TlsError::new("tls.names", None, e))?;
                    rustls::client::verify_server_name(&parsed, &server_name).map_err(|_| {
                        TlsError::new(
                            "tls.cert",
                            Some(cert),
                            format!("does not cover {name:?}, which this server is reached by"),
                        )
                    })?;
                }
                names.retain(|n| {
                    ServerName::try_from(n.as_str())
                        .ok()
                        .is_some_and(|s| rustls::client::verify_server_name(&parsed, &s).is_ok())
                });
                Source::Supplied(Arc::new(supplied))
            }
            (Some(_), None) => {
                return Err(TlsError::new(
                    "tls.key",
                    None,
                    "missing: tls.cert needs its private key",
                ));
            }
            (None, Some(_)) => {
                return Err(TlsError::new(
                    "tls.cert",
                    None,
                    "missing: tls.key needs its certificate",
                ));
            }
            (None, None) => Source::Issued {
                authority: authority.unwrap_or_else(|| Arc::new(Authority::from_seed(seed))),
                key: EcKey::derive(seed, "server"),
                leaf: OnceLock::new(),
            },
        };
        let certificates = Arc::new(Certificates {
            names,
            source,
            untrusted: AtomicBool::new(false),
            untrusted_seed: seed.to_owned(),
            untrusted_leaf: OnceLock::new(),
        });
        Ok(Self {
            shared: Arc::new(Shared {
                resuming: server_config(certificates.clone(), true),
                fresh: server_config(certificates.clone(), false),
                certificates,
                generation: tokio::sync::watch::Sender::new(0),
                epoch: std::sync::Mutex::new(Arc::new(())),
                failed: std::sync::atomic::AtomicU64::new(0),
            }),
        })
    }

    /// The authority that issues this server's certificates (none with the user's own).
    pub fn authority(&self) -> Option<&Arc<Authority>> {
        match &self.shared.certificates.source {
            Source::Issued { authority, .. } => Some(authority),
            Source::Supplied(_) => None,
        }
    }

    /// The names the certificate covers.
    pub fn names(&self) -> &[String] {
        &self.shared.certificates.names
    }

    /// Serves a certificate from an authority nobody was told to trust (`true`), or the usual
    /// one again. Connections made before close once idle (a request in flight finishes
    /// first), and no session resumes across the change, so every client sees the certificate
    /// now served. Returns once those connections have closed (or after two seconds).
    pub async fn serve_untrusted(&self, on: bool) {
        self.serve_untrusted_leaving(on, 0).await;
    }

    /// As [`Tls::serve_untrusted`], from a request on one of those connections (which closes
    /// once it is answered): returns once every other has closed.
    pub async fn serve_untrusted_leaving(&self, on: bool, open: usize) {
        let was = self
            .shared
            .certificates
            .untrusted
            .swap(on, Ordering::Relaxed);
        if was == on {
            return;
        }
        let before = {
            let mut epoch = self.shared.epoch.lock().unwrap_or_else(|p| p.into_inner());
            Arc::downgrade(&std::mem::replace(&mut *epoch, Arc::new(())))
        };
        self.shared.generation.send_modify(|g| *g += 1);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
        while before.strong_count() > open && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    /// The authority behind the untrusted certificate, for a client that must still reach the
    /// server while it is served (the harness's browser).
    pub fn untrusted_authority(&self) -> Authority {
        Authority::derived(&self.shared.certificates.untrusted_seed, "untrusted")
    }

    /// What a client of this server trusts: its authority (the user's own certificate, served
    /// instead, is theirs to trust).
    pub fn trust(&self) -> Trust {
        self.authority().map(|a| Trust::of(a)).unwrap_or_default()
    }

    /// Whether the untrusted certificate is served (see [`Tls::serve_untrusted`]).
    pub fn serves_untrusted(&self) -> bool {
        self.shared.certificates.untrusted.load(Ordering::Relaxed)
    }

    /// How many TLS handshakes have failed so far: a client that does not trust the
    /// certificate ends its handshake with an alert, before any request is journaled.
    pub fn failed_handshakes(&self) -> u64 {
        self.shared.failed.load(Ordering::Relaxed)
    }

    pub(crate) fn handshake_failed(&self) {
        self.shared.failed.fetch_add(1, Ordering::Relaxed);
    }

    /// The acceptor for a new connection.
    pub(crate) fn acceptor(&self) -> TlsAcceptor {
        let untrusted = self.shared.certificates.untrusted.load(Ordering::Relaxed);
        TlsAcceptor::from(if untrusted {
            self.shared.fresh.clone()
        } else {
            self.shared.resuming.clone()
        })
    }

    /// Changes when the certificate served changes, and the token a connection holds while
    /// open (see `serve_untrusted`).
    pub(crate) fn changes(&self) -> (tokio::sync::watch::Receiver<u64>, Arc<()>) {
        let epoch = self
            .shared
            .epoch
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        (self.shared.generation.subscribe(), epoch)
    }
}

/// How a fauxauth server meets the network beyond plain HTTP: the certificate it serves, what it
/// trusts when it calls another server, and the host names it resolves itself. Set in code (the
/// harness, `fauxauth up`, the command line), never in files.
#[derive(Clone, Debug, Default)]
pub struct Network {
    /// Serve HTTPS with this (plain HTTP when none).
    pub tls: Option<Tls>,
    /// The certificate authorities trusted when calling another server over HTTPS.
    pub trust: Trust,
    /// Host names resolved to these addresses instead of through DNS (a provider under its real
    /// host names, on this machine).
    pub resolve: Vec<(String, std::net::SocketAddr)>,
}

/// The certificate authorities a fauxauth client trusts: its world's own and any the user
/// names, never the system's (fauxauth's clients talk to fauxauth and the app under test only).
#[derive(Clone, Debug, Default)]
pub struct Trust {
    roots: Vec<CertificateDer<'static>>,
}

impl Trust {
    /// Trusts `authority`.
    pub fn of(authority: &Authority) -> Self {
        let mut trust = Self::default();
        trust.add(authority.certificate_der().clone());
        trust
    }

    /// Trusts one more certificate (an authority's, or a server's own).
    pub fn add(&mut self, certificate: CertificateDer<'static>) {
        if !self.roots.contains(&certificate) {
            self.roots.push(certificate);
        }
    }

    /// Trusts every certificate in a PEM file (a bundle, as `SSL_CERT_FILE` names).
    pub fn add_pem_file(&mut self, path: &Path, field: &'static str) -> Result<(), TlsError> {
        let text = read(path, field)?;
        self.add_pem(&text)
            .map_err(|reason| TlsError::new(field, Some(path), reason))
    }

    /// Trusts every certificate in PEM `text`.
    pub fn add_pem(&mut self, text: &str) -> Result<(), String> {
        let certificates = CertificateDer::pem_slice_iter(text.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("not PEM ({e})"))?;
        if certificates.is_empty() {
            return Err("no CERTIFICATE block in it".into());
        }
        for certificate in certificates {
            self.add(certificate);
        }
        Ok(())
    }

    /// Whether it trusts nothing.
    pub fn is_empty(&self) -> bool {
        self.roots.is_empty()
    }

    /// A rustls client configuration (aws-lc-rs) trusting these authorities and nothing else,
    /// for `reqwest::ClientBuilder::use_preconfigured_tls`.
    pub fn client_config(&self) -> rustls::ClientConfig {
        let mut roots = rustls::RootCertStore::empty();
        for root in &self.roots {
            if let Err(e) = roots.add(root.clone()) {
                tracing::warn!(error = %e, "a trusted certificate was left out");
            }
        }
        rustls::ClientConfig::builder_with_provider(Arc::new(crypto()))
            .with_safe_default_protocol_versions()
            .expect("aws-lc-rs supports the default protocol versions")
            .with_root_certificates(roots)
            .with_no_client_auth()
    }
}

/// A client configuration that accepts any server certificate (handshake signatures are still
/// checked). For the reference client's `skip-tls-verify` weakness, which an app check must
/// catch, and for `fauxauth health`, which asks only whether its own process answers.
pub fn client_config_accepting_any_certificate() -> rustls::ClientConfig {
    let mut config = Trust::default().client_config();
    config
        .dangerous()
        .set_certificate_verifier(Arc::new(AnyCertificate(crypto())));
    config
}

#[derive(Debug)]
struct AnyCertificate(CryptoProvider);

impl rustls::client::danger::ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

fn load_supplied(cert: &Path, key: &Path) -> Result<CertifiedKey, TlsError> {
    let text = read(cert, "tls.cert")?;
    let chain = CertificateDer::pem_slice_iter(text.as_bytes())
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| TlsError::new("tls.cert", Some(cert), format!("not PEM ({e})")))?;
    if chain.is_empty() {
        return Err(TlsError::new(
            "tls.cert",
            Some(cert),
            "no CERTIFICATE block in it",
        ));
    }
    let key_text = read(key, "tls.key")?;
    let private = PrivateKeyDer::from_pem_slice(key_text.as_bytes()).map_err(|e| {
        TlsError::new(
            "tls.key",
            Some(key),
            format!("not a private key in PEM ({e})"),
        )
    })?;
    CertifiedKey::from_der(chain, private, &crypto()).map_err(|e| {
        TlsError::new(
            "tls.key",
            Some(key),
            format!("cannot serve with it and {} ({e})", cert.display()),
        )
    })
}

fn server_config(certificates: Arc<Certificates>, resumption: bool) -> Arc<ServerConfig> {
    let mut config = ServerConfig::builder_with_provider(Arc::new(crypto()))
        .with_safe_default_protocol_versions()
        .expect("aws-lc-rs supports the default protocol versions")
        .with_no_client_auth()
        .with_cert_resolver(certificates);
    // The serve loop speaks both, as over plain TCP.
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    if !resumption {
        config.session_storage = Arc::new(NoServerSessionStorage {});
        config.send_tls13_tickets = 0;
    }
    Arc::new(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_derives_the_same_authority_byte_for_byte() {
        let a = Authority::from_seed("one");
        assert_eq!(
            a.certificate_pem(),
            Authority::from_seed("one").certificate_pem()
        );
        assert_ne!(
            a.certificate_pem(),
            Authority::from_seed("two").certificate_pem()
        );
        assert!(a.subject().starts_with("fauxauth local CA "));
        let untrusted = Authority::derived("one", "untrusted");
        assert_ne!(a.certificate_der(), untrusted.certificate_der());
    }

    #[test]
    fn names_are_checked() {
        for good in [
            "example.test",
            "*.example.test",
            "127.0.0.1",
            "::1",
            "localhost",
        ] {
            assert_eq!(check_name(good), Ok(()), "{good}");
        }
        for bad in ["", "exa mple.test", "a.*.test", "*", "1.2.3", "-"] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn wildcards_cover_one_label() {
        assert!(covers("*.example.test", "a.example.test"));
        assert!(covers("*.example.test", "A.Example.TEST"));
        assert!(!covers("*.example.test", "a.b.example.test"));
        assert!(!covers("*.example.test", "example.test"));
        assert!(covers("localhost", "LOCALHOST"));
    }

    #[test]
    fn a_ca_key_without_its_certificate_is_refused() {
        let config = TlsConfig {
            ca_key: Some("key.pem".into()),
            ..TlsConfig::default()
        };
        let err = Tls::new(&config, "s", None).unwrap_err();
        assert_eq!(err.field, "tls.ca_cert");
    }
}
