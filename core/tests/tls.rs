//! HTTPS over real sockets: the local authority's certificates verified by a real TLS client
//! (reqwest on rustls) trusting that authority and nothing else; the untrusted certificate; the
//! user's own authority and certificate; and the errors a bad file gets.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use axum::Router;
use axum::routing::get;
use fauxauth_core::tls::TlsError;
use fauxauth_core::{Authority, Limits, Listener, Spawned, Tls, TlsConfig, Trust};
use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
use tokio::net::TcpListener;

fn router() -> Router {
    Router::new().route("/", get(|| async { "hello" }))
}

async fn serve(tls: &Tls) -> Spawned {
    let tcp = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    Spawned::start(Listener::tls(tcp, tls.clone()), router(), Limits::default()).unwrap()
}

fn client(trust: &Trust) -> reqwest::Client {
    client_resolving(trust, None)
}

/// A client trusting `trust`, and resolving `name` to `addr` when given (as a test does for a
/// host name that is not in any hosts file).
fn client_resolving(trust: &Trust, name: Option<(&str, SocketAddr)>) -> reqwest::Client {
    let mut builder = reqwest::Client::builder()
        .use_preconfigured_tls(trust.client_config())
        .no_proxy();
    if let Some((name, addr)) = name {
        builder = builder.resolve(name, addr);
    }
    builder.build().unwrap()
}

async fn get_text(client: &reqwest::Client, url: &str) -> Result<String, String> {
    // A kept-alive connection the server closed as the request went out gets no answer at all;
    // a client sends the request again on a new one, where the TLS verdict comes.
    let mut tries = 0;
    let response = loop {
        tries += 1;
        match client.get(url).send().await {
            Ok(response) => break response,
            Err(e) if tries < 3 && format!("{e:?}").contains("IncompleteMessage") => continue,
            Err(e) => return Err(format!("{e:?}")),
        }
    };
    response.text().await.map_err(|e| e.to_string())
}

#[tokio::test]
async fn a_client_trusting_the_authority_and_nothing_else_connects() {
    let tls = Tls::new(&TlsConfig::default(), "tls-test", None).unwrap();
    let server = serve(&tls).await;
    assert!(
        server.url().starts_with("https://127.0.0.1:"),
        "{}",
        server.url()
    );
    let trust = tls.trust();
    let port = server.addr().port();
    for url in [
        format!("https://127.0.0.1:{port}/"),
        format!("https://localhost:{port}/"),
    ] {
        assert_eq!(
            get_text(&client(&trust), &url).await.unwrap(),
            "hello",
            "{url}"
        );
    }
    // Trusting nothing, or another seed's authority, it cannot.
    let err = get_text(&client(&Trust::default()), &server.url())
        .await
        .unwrap_err();
    assert!(err.contains("UnknownIssuer"), "{err}");
    let other = Trust::of(&Authority::from_seed("another seed"));
    assert!(get_text(&client(&other), &server.url()).await.is_err());
}

#[tokio::test]
async fn a_name_is_served_only_when_listed() {
    let config = TlsConfig {
        names: vec!["accounts.example.test".into(), "*.apis.example.test".into()],
        ..TlsConfig::default()
    };
    let tls = Tls::new(&config, "tls-test", None).unwrap();
    let server = serve(&tls).await;
    let port = server.addr().port();
    let trust = tls.trust();
    for name in ["accounts.example.test", "oauth2.apis.example.test"] {
        let client = client_resolving(&trust, Some((name, server.addr())));
        let url = format!("https://{name}:{port}/");
        assert_eq!(get_text(&client, &url).await.unwrap(), "hello", "{name}");
    }
    // A name it was not told of: the handshake is refused (and the log says how to add it).
    let client = client_resolving(&trust, Some(("elsewhere.test", server.addr())));
    let err = get_text(&client, &format!("https://elsewhere.test:{port}/"))
        .await
        .unwrap_err();
    assert!(err.contains("AccessDenied"), "{err}");
}

#[tokio::test]
async fn the_untrusted_certificate_reaches_even_a_kept_alive_client() {
    let tls = Tls::new(&TlsConfig::default(), "tls-test", None).unwrap();
    let server = serve(&tls).await;
    let app = client(&tls.trust());
    let mut browser_trust = tls.trust();
    browser_trust.add(tls.untrusted_authority().certificate_der().clone());
    let browser = client(&browser_trust);
    // The app has a connection open (and a session it could resume) before the switch.
    assert_eq!(get_text(&app, &server.url()).await.unwrap(), "hello");

    // Returns once the idle connection has closed.
    tls.serve_untrusted(true).await;
    let err = get_text(&app, &server.url()).await.unwrap_err();
    assert!(err.contains("UnknownIssuer"), "{err}");
    assert_eq!(get_text(&browser, &server.url()).await.unwrap(), "hello");

    tls.serve_untrusted(false).await;
    assert_eq!(get_text(&app, &server.url()).await.unwrap(), "hello");
}

#[tokio::test]
async fn http_and_https_listen_side_by_side() {
    let tls = Tls::new(&TlsConfig::default(), "tls-test", None).unwrap();
    let plain = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let plain_addr = plain.local_addr().unwrap();
    let secure = TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let server = Spawned::start_all(
        vec![Listener::tls(secure, tls.clone()), Listener::from(plain)],
        router(),
        Limits::default(),
    )
    .unwrap();
    let client = client(&tls.trust());
    assert_eq!(get_text(&client, &server.url()).await.unwrap(), "hello");
    let http = format!("http://{plain_addr}/");
    assert_eq!(get_text(&client, &http).await.unwrap(), "hello");
}

/// A certificate authority and a server certificate for `name` made by rcgen, written to `dir`.
struct Made {
    ca_cert: PathBuf,
    ca_key: PathBuf,
    cert: PathBuf,
    key: PathBuf,
    ca_pem: String,
}

fn make(dir: &Path, name: &str) -> Made {
    std::fs::create_dir_all(dir).unwrap();
    let ca_key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(params, &ca_key);
    let key = KeyPair::generate().unwrap();
    let leaf = CertificateParams::new(vec![name.to_owned()])
        .unwrap()
        .signed_by(&key, &issuer)
        .unwrap();
    let write = |file: &str, text: String| {
        let path = dir.join(file);
        std::fs::write(&path, text).unwrap();
        path
    };
    Made {
        ca_cert: write("ca.pem", ca.pem()),
        ca_key: write("ca.key", ca_key.serialize_pem()),
        cert: write("server.pem", leaf.pem()),
        key: write("server.key", key.serialize_pem()),
        ca_pem: ca.pem(),
    }
}

fn scratch(test: &str) -> PathBuf {
    std::env::temp_dir().join(format!("fauxauth-tls-{test}-{}", std::process::id()))
}

#[tokio::test]
async fn an_authority_of_ones_own_issues_the_certificates() {
    let made = make(&scratch("own-ca"), "unused.test");
    let config = TlsConfig {
        ca_cert: Some(made.ca_cert.clone()),
        ca_key: Some(made.ca_key.clone()),
        ..TlsConfig::default()
    };
    let tls = Tls::new(&config, "tls-test", None).unwrap();
    let server = serve(&tls).await;
    let mut trust = Trust::default();
    trust.add_pem(&made.ca_pem).unwrap();
    assert_eq!(
        get_text(&client(&trust), &server.url()).await.unwrap(),
        "hello"
    );
}

#[tokio::test]
async fn a_certificate_of_ones_own_is_served_when_it_covers_the_names() {
    let made = make(&scratch("own-cert"), "app.example.test");
    let config = TlsConfig {
        cert: Some(made.cert.clone()),
        key: Some(made.key.clone()),
        ..TlsConfig::default()
    };
    let tls = Tls::new(&config, "tls-test", Some("app.example.test")).unwrap();
    assert!(tls.authority().is_none());
    let server = serve(&tls).await;
    let mut trust = Trust::default();
    trust.add_pem(&made.ca_pem).unwrap();
    let client = client_resolving(&trust, Some(("app.example.test", server.addr())));
    let url = format!("https://app.example.test:{}/", server.addr().port());
    assert_eq!(get_text(&client, &url).await.unwrap(), "hello");

    // A name it does not cover is refused before anything listens.
    let err = Tls::new(&config, "tls-test", Some("other.example.test")).unwrap_err();
    assert_eq!(err.field, "tls.cert");
    assert_eq!(err.file.as_deref(), Some(made.cert.as_path()));
    assert!(
        err.reason.contains("does not cover \"other.example.test\""),
        "{err}"
    );
}

#[test]
fn bad_files_are_named_with_their_field_and_reason() {
    let dir = scratch("bad");
    let made = make(&dir, "x.test");
    let missing = dir.join("missing.pem");
    let text = dir.join("text.pem");
    std::fs::write(&text, "hello\n").unwrap();
    let other = make(&dir.join("other"), "y.test");

    let check = |config: TlsConfig, field: &str, file: &Path, reason: &str| {
        let err: TlsError = Tls::new(&config, "s", None).unwrap_err();
        assert_eq!(err.field, field, "{err}");
        assert_eq!(err.file.as_deref(), Some(file), "{err}");
        assert!(err.reason.contains(reason), "{err}");
        assert!(
            err.to_string()
                .starts_with(&format!("{field}: {}", file.display()))
        );
    };
    let ca = |cert: &Path, key: &Path| TlsConfig {
        ca_cert: Some(cert.to_path_buf()),
        ca_key: Some(key.to_path_buf()),
        ..TlsConfig::default()
    };
    check(
        ca(&missing, &made.ca_key),
        "tls.ca_cert",
        &missing,
        "No such file",
    );
    check(
        ca(&text, &made.ca_key),
        "tls.ca_cert",
        &text,
        "not a PEM certificate",
    );
    check(
        ca(&made.cert, &made.key),
        "tls.ca_cert",
        &made.cert,
        "not a certificate authority",
    );
    check(
        ca(&made.ca_cert, &text),
        "tls.ca_key",
        &text,
        "not a private key",
    );
    check(
        ca(&made.ca_cert, &other.ca_key),
        "tls.ca_key",
        &other.ca_key,
        "not the key of the certificate",
    );
    let own = |cert: &Path, key: &Path| TlsConfig {
        cert: Some(cert.to_path_buf()),
        key: Some(key.to_path_buf()),
        ..TlsConfig::default()
    };
    check(
        own(&text, &made.key),
        "tls.cert",
        &text,
        "no CERTIFICATE block",
    );
    check(
        own(&made.cert, &missing),
        "tls.key",
        &missing,
        "No such file",
    );
    check(
        own(&made.cert, &other.key),
        "tls.key",
        &other.key,
        "cannot serve with it",
    );

    let names = TlsConfig {
        names: vec!["not a name".into()],
        ..TlsConfig::default()
    };
    let err = Tls::new(&names, "s", None).unwrap_err();
    assert_eq!(err.field, "tls.names");
}

/// Older stacks (Java 8, older .NET) speak TLS 1.2 only: served too, with the same certificate.
#[tokio::test]
async fn a_tls_1_2_only_client_connects() {
    use tokio_rustls::rustls;
    let tls = Tls::new(&TlsConfig::default(), "tls-test", None).unwrap();
    let server = serve(&tls).await;
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(tls.authority().unwrap().certificate_der().clone())
        .unwrap();
    let config = rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_protocol_versions(&[&rustls::version::TLS12])
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(std::sync::Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let stream = connector.connect(name, tcp).await.unwrap();
    assert_eq!(
        stream.get_ref().1.protocol_version(),
        Some(rustls::ProtocolVersion::TLSv1_2)
    );
}

/// The server certificate: for the names asked, for server authentication, from the day before
/// for no more than 825 days (Apple's limit), issued by the authority.
#[tokio::test]
async fn the_server_certificate_is_one_every_platform_accepts() {
    use tokio_rustls::rustls;
    let config = TlsConfig {
        names: vec!["app.example.test".into()],
        ..TlsConfig::default()
    };
    let tls = Tls::new(&config, "tls-test", Some("127.0.0.1")).unwrap();
    let server = serve(&tls).await;
    let connector =
        tokio_rustls::TlsConnector::from(std::sync::Arc::new(tls.trust().client_config()));
    let tcp = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("app.example.test").unwrap();
    let stream = connector.connect(name, tcp).await.unwrap();
    let chain = stream.get_ref().1.peer_certificates().unwrap().to_vec();
    let (_, leaf) = x509_parser::parse_x509_certificate(&chain[0]).unwrap();
    let validity = leaf.validity();
    let days = (validity.not_after.timestamp() - validity.not_before.timestamp()) / 86_400;
    assert!(days <= 825, "{days} days");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!(validity.not_before.timestamp() < now && now < validity.not_after.timestamp());
    let names: Vec<String> = leaf
        .subject_alternative_name()
        .unwrap()
        .unwrap()
        .value
        .general_names
        .iter()
        .map(|n| n.to_string())
        .collect();
    for wanted in ["localhost", "app.example.test"] {
        assert!(names.iter().any(|n| n.contains(wanted)), "{names:?}");
    }
    assert_eq!(
        leaf.issuer().to_string(),
        x509_parser::parse_x509_certificate(tls.authority().unwrap().certificate_der())
            .unwrap()
            .1
            .subject()
            .to_string()
    );
    let eku = leaf.extended_key_usage().unwrap().unwrap().value;
    assert!(eku.server_auth);
}
