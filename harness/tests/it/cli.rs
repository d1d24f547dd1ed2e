//! The `fauxauth` binary as a user runs it.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_fauxauth");

/// An HTTP client trusting `trust` over HTTPS.
fn http(trust: &fauxauth_core::Trust) -> reqwest::Client {
    reqwest::Client::builder()
        .use_preconfigured_tls(trust.client_config())
        .no_proxy()
        .build()
        .unwrap()
}

async fn get(url: String) -> reqwest::Result<reqwest::Response> {
    http(&fauxauth_core::Trust::default()).get(url).send().await
}

/// Kills the child when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the demo provider and reads what it prints, up to the last demo user.
fn start_demo() -> (Running, Vec<String>) {
    start_demo_with(&[])
}

/// Starts the demo provider with `extra` arguments, reading up to the last demo user.
fn start_demo_with(extra: &[&str]) -> (Running, Vec<String>) {
    let mut child = Command::new(BIN)
        .args(["provider", "--port", "0"])
        .args(extra)
        .env_remove("FAUXAUTH_CONFIG")
        .env_remove("FAUXAUTH_CONFIG_YAML")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    let stdout = child.stdout.take().unwrap();
    let mut lines = Vec::new();
    let mut users = 0;
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        users += usize::from(line.starts_with("  user "));
        lines.push(line);
        if users == 3 {
            break;
        }
    }
    (Running(child), lines)
}

#[tokio::test]
async fn provider_prints_its_issuer_and_demo_credentials_then_serves() {
    let (_running, lines) = start_demo();
    let issuer = lines[0]
        .strip_prefix("issuer: ")
        .expect("first line names the issuer")
        .to_owned();
    assert!(issuer.starts_with("http://127.0.0.1:"), "{issuer}");
    let printed = lines.join("\n");
    assert!(
        printed.contains("client demo-web (confidential, secret demo-web-secret-change-me)"),
        "{printed}"
    );
    assert!(
        printed.contains("client demo-spa (public, PKCE required)"),
        "{printed}"
    );
    assert_eq!(
        lines.iter().filter(|l| l.starts_with("  user ")).count(),
        3,
        "{printed}"
    );

    let discovery: serde_json::Value = get(format!("{issuer}/.well-known/openid-configuration"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(discovery["issuer"], issuer);
}

#[tokio::test]
async fn provider_serves_a_presets_demo_at_the_real_providers_paths() {
    let (_running, lines) = start_demo_with(&["--preset", "github"]);
    let printed = lines.join("\n");
    let issuer = lines[0]
        .strip_prefix("issuer: ")
        .expect("the issuer first")
        .to_owned();
    let token = format!("{issuer}/login/oauth/access_token");
    assert!(printed.contains("preset github, endpoints:"), "{printed}");
    assert!(
        printed.contains(&format!("token       {token}")),
        "{printed}"
    );
    // GitHub has no discovery; its token endpoint answers in GitHub's words, with HTTP 200.
    let discovery = get(format!("{issuer}/.well-known/openid-configuration"))
        .await
        .unwrap();
    assert_eq!(discovery.status(), 404);
    let answer = reqwest::Client::builder()
        .use_preconfigured_tls(fauxauth_core::Trust::default().client_config())
        .build()
        .unwrap()
        .post(&token)
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", "nope"),
            ("client_id", "demo-web"),
            ("client_secret", "demo-web-secret-change-me"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    let text = answer.text().await.unwrap();
    assert!(text.starts_with("error=bad_verification_code"), "{text}");
}

#[tokio::test]
async fn provider_reads_inline_yaml_from_the_environment() {
    let yaml = "issuers:\n  - name: a\n  - name: b\n";
    let mut child = Command::new(BIN)
        .args(["provider", "--port", "0"])
        .env("FAUXAUTH_CONFIG_YAML", yaml)
        .env_remove("FAUXAUTH_CONFIG")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut reader = BufReader::new(stdout).lines();
    let lines: Vec<String> = reader.by_ref().take(3).map(Result::unwrap).collect();
    let _running = Running(child);
    assert!(
        lines[2].starts_with("admin: http://127.0.0.1:")
            && lines[2].ends_with("/_fauxauth/openapi.json"),
        "{lines:?}"
    );
    assert!(
        lines[0].starts_with("issuer: http://127.0.0.1:") && lines[0].ends_with("/a"),
        "{lines:?}"
    );
    assert!(lines[1].ends_with("/b"), "{lines:?}");
    let jwks: serde_json::Value = get(format!(
        "{}/jwks",
        lines[1].strip_prefix("issuer: ").unwrap()
    ))
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 1);
}

#[test]
fn a_bad_config_file_names_file_line_and_field_and_exits_before_serving() {
    let dir = std::env::temp_dir().join(format!("fauxauth-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bad.yaml");
    std::fs::write(
        &path,
        "issuers:\n  - name: main\n    clients:\n      - client_id: web\n        client_secret: s3cr3t-s3cr3t-s3cr3t\n        grant_types: [authorization_code]\n",
    )
    .unwrap();
    let output = Command::new(BIN)
        .args(["provider", "--port", "0", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        output.stdout.is_empty(),
        "nothing was served: {}",
        String::from_utf8_lossy(&output.stdout)
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!(
            "{}:4: issuers[0].clients[0].redirect_uris:",
            path.display()
        )),
        "{stderr}"
    );

    std::fs::write(&path, "issuers:\n  - name: main\n    sigining_alg: RS256\n").unwrap();
    let output = Command::new(BIN)
        .args(["provider", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(":3:5: unknown field `sigining_alg`"),
        "{stderr}"
    );
    assert!(stderr.contains("did you mean `signing_alg`?"), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn resource_presets_are_named_by_flag_or_environment_and_misuse_names_the_field() {
    let output = Command::new(BIN)
        .args(["resource", "--port", "0", "--issuer", "http://127.0.0.1:1"])
        .args(["--preset", "github", "--mode", "jwt"])
        .args(["--client-id", "api", "--client-secret", "s"])
        .env_remove("FAUXAUTH_RESOURCE_PRESET")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty(), "nothing was served");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("mode: the github preset"), "{stderr}");

    let output = Command::new(BIN)
        .args(["resource", "--port", "0", "--issuer", "http://127.0.0.1:1"])
        .env("FAUXAUTH_RESOURCE_PRESET", "google")
        .env_remove("FAUXAUTH_RESOURCE_CLIENT_ID")
        .env_remove("FAUXAUTH_RESOURCE_CLIENT_SECRET")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("client_id, client_secret: the google preset"),
        "{stderr}"
    );

    let output = Command::new(BIN)
        .args([
            "resource",
            "--issuer",
            "http://127.0.0.1:1",
            "--preset",
            "pingone",
        ])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "generic, google, github, microsoft, keycloak, gitlab, auth0, \
             okta, discord, slack and apple"
        ),
        "{stderr}"
    );
}

/// A scratch folder for one test, removed when it ends.
struct Scratch(std::path::PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("fauxauth-{name}-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("group")).unwrap();
        Self(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const PASSING: &str = "name: A code is redeemed once\nsteps:\n  - authorize: {}\n  - token: {}\n    expect: { status: 200 }\n";
const FAILING: &str = "name: Expects the wrong status\nsteps:\n  - authorize: {}\n  - token: {}\n    expect: { status: 418 }\n";

#[test]
fn run_exits_zero_when_all_pass_and_writes_reports() {
    let scratch = Scratch::new("run-pass");
    std::fs::write(scratch.0.join("group/ok.yaml"), PASSING).unwrap();
    let (json, junit) = (scratch.0.join("out.json"), scratch.0.join("out.xml"));
    let output = Command::new(BIN)
        .args(["run", "--json"])
        .arg(&json)
        .arg("--junit")
        .arg(&junit)
        .arg(scratch.0.join("group"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("1 passed, 0 failed"), "{stdout}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    assert_eq!(
        (report["passed"].as_u64(), report["failed"].as_u64()),
        (Some(1), Some(0))
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(xml.contains("tests=\"1\" failures=\"0\""), "{xml}");
}

#[test]
fn run_exits_one_and_shows_expected_actual_and_transcript_when_a_scenario_fails() {
    let scratch = Scratch::new("run-fail");
    std::fs::write(scratch.0.join("group/ok.yaml"), PASSING).unwrap();
    std::fs::write(scratch.0.join("group/bad.yaml"), FAILING).unwrap();
    let junit = scratch.0.join("out.xml");
    let output = Command::new(BIN)
        .args(["run", "--junit"])
        .arg(&junit)
        .arg(scratch.0.join("group"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("1 passed, 1 failed"), "{stdout}");
    assert!(
        stdout.contains("step 2: status\n    expected: 418\n    actual:   200"),
        "{stdout}"
    );
    assert!(
        stdout.contains("to: provider POST /token"),
        "the step's transcript: {stdout}"
    );
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert!(
        xml.contains("failures=\"1\"") && xml.contains("<failure message=\"step 2: status\">"),
        "{xml}"
    );
}

#[test]
fn a_misspelt_scenario_key_stops_the_run_before_anything_runs() {
    let scratch = Scratch::new("run-bad-file");
    let file = scratch.0.join("group/typo.yaml");
    std::fs::write(&file, PASSING.replace("token: {}", "tokne: {}")).unwrap();
    let output = Command::new(BIN)
        .arg("run")
        .arg(scratch.0.join("group"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        output.stdout.is_empty(),
        "nothing ran: {}",
        String::from_utf8_lossy(&output.stdout)
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(&format!("{}:4:5: unknown field `tokne`", file.display())),
        "{stderr}"
    );
    assert!(stderr.contains("did you mean `token`?"), "{stderr}");
}

#[test]
fn health_exits_zero_while_the_provider_serves_and_one_once_it_is_gone() {
    let (running, lines) = start_demo();
    let port = lines[0]
        .rsplit(':')
        .next()
        .expect("the issuer line ends with the port")
        .to_owned();
    let health = |port: &str| {
        Command::new(BIN)
            .args(["health", "--port", port])
            .output()
            .expect("the binary runs")
    };

    let up = health(&port);
    assert!(up.status.success(), "{up:?}");

    drop(running);
    let down = health(&port);
    assert_eq!(down.status.code(), Some(1), "{down:?}");
    let stderr = String::from_utf8_lossy(&down.stderr);
    assert!(
        stderr.contains(&format!(
            "http://127.0.0.1:{port}/.well-known/openid-configuration"
        )),
        "{stderr}"
    );
}

#[test]
fn help_says_what_fauxauth_is_and_names_every_command() {
    let output = Command::new(BIN).arg("--help").output().unwrap();
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).unwrap();
    assert!(
        help.starts_with("A complete OAuth 2.0 / OpenID Connect world on one machine"),
        "{help}"
    );
    for command in [
        "provider",
        "resource",
        "client",
        "up",
        "run",
        "test",
        "weaknesses",
        "health",
        "ca",
        "assertion",
    ] {
        assert!(
            help.contains(&format!("\n  {command} ")),
            "{command}: {help}"
        );
    }
}

#[test]
fn logs_written_to_a_file_or_pipe_carry_no_colour_codes() {
    let mut child = Command::new(BIN)
        .args(["provider", "--port", "0"])
        .env_remove("FAUXAUTH_CONFIG")
        .env_remove("FAUXAUTH_CONFIG_YAML")
        .env("FAUXAUTH_LOG", "debug")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let first = BufReader::new(stdout).lines().next().unwrap().unwrap();
    let issuer = first.strip_prefix("issuer: ").unwrap().to_owned();
    // A request hyper cannot parse ends its connection with an error, which is logged at debug.
    let address = issuer
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    std::io::Write::write_all(&mut stream, b"NOT HTTP\r\n\r\n").unwrap();
    let _ = std::io::Read::read_to_end(&mut stream, &mut Vec::new());
    // Read the log until that line; a provider that never writes it is stopped after 20 s.
    let pid = child.id().to_string();
    std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_secs(20));
        let _ = Command::new("kill")
            .arg(&pid)
            .stderr(Stdio::null())
            .status();
    });
    let mut logs = String::new();
    for line in BufReader::new(child.stderr.take().unwrap()).lines() {
        let line = line.unwrap();
        logs.push_str(&line);
        logs.push('\n');
        if line.contains("connection ended") {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        logs.contains("connection ended"),
        "the debug line was written: {logs}"
    );
    assert!(!logs.contains('\u{1b}'), "no ANSI escapes: {logs}");
}

/// The README's table of the provider's flags names every flag `fauxauth provider --help` does.
#[test]
fn the_readme_documents_every_provider_flag() {
    let output = Command::new(BIN)
        .args(["provider", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8(output.stdout).unwrap();
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    let flags: Vec<&str> = help
        .split_whitespace()
        .filter(|w| w.starts_with("--") && *w != "--help")
        .collect();
    assert!(flags.len() >= 7, "{help}");
    for flag in flags {
        assert!(
            readme.contains(&format!("| `{flag} ")),
            "README.md's provider flags lack {flag}"
        );
    }
}

/// `fauxauth provider --tls` serves HTTPS that a client trusts through `fauxauth ca`, and no
/// client that was not given that certificate.
#[tokio::test]
async fn provider_serves_https_that_the_ca_command_makes_trusted() {
    let (_running, lines) = start_demo_with(&["--tls"]);
    let issuer = lines[0]
        .strip_prefix("issuer: ")
        .expect("the issuer first")
        .to_owned();
    assert!(issuer.starts_with("https://127.0.0.1:"), "{issuer}");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("https: certificate for ")),
        "{lines:?}"
    );
    let out = Command::new(BIN).arg("ca").output().unwrap();
    assert!(out.status.success());
    let pem = String::from_utf8(out.stdout).unwrap();
    let mut trust = fauxauth_core::Trust::default();
    trust.add_pem(&pem).unwrap();
    let url = format!("{issuer}/.well-known/openid-configuration");
    let discovery: serde_json::Value = http(&trust)
        .get(&url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(discovery["issuer"], issuer);
    assert!(
        discovery["token_endpoint"]
            .as_str()
            .unwrap()
            .starts_with("https://")
    );
    assert!(get(url).await.is_err(), "a client not told to trust it");

    // --out writes the same certificate, every time.
    let file = std::env::temp_dir().join(format!("fauxauth-ca-{}.pem", std::process::id()));
    let out = Command::new(BIN)
        .args(["ca", "--out"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(std::fs::read_to_string(&file).unwrap(), pem);
    let _ = std::fs::remove_file(&file);
}

/// HTTPS beside HTTP: the issuer is named under the HTTPS port, and both serve it.
#[tokio::test]
async fn provider_serves_http_and_https_side_by_side() {
    let tls_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
        .to_string();
    let (_running, lines) = start_demo_with(&["--tls-port", &tls_port]);
    let issuer = lines[0].strip_prefix("issuer: ").unwrap().to_owned();
    assert_eq!(issuer, format!("https://127.0.0.1:{tls_port}"));
    let plain = lines
        .iter()
        .find_map(|l| l.strip_prefix("http: "))
        .expect("the plain URL announced")
        .split(' ')
        .next()
        .unwrap()
        .to_owned();
    let trust = fauxauth_core::Trust::of(&fauxauth_core::Authority::from_seed(
        fauxauth_core::DEFAULT_SEED,
    ));
    for base in [&issuer, &plain] {
        let discovery: serde_json::Value = http(&trust)
            .get(format!("{base}/.well-known/openid-configuration"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(discovery["issuer"], issuer, "{base}");
    }
}

/// A missing or wrong certificate file, or a name no certificate can carry, is named with its
/// field, file and reason, and the process exits 2 before it announces anything.
#[test]
fn bad_tls_settings_are_named_and_stop_the_start() {
    let dir = std::env::temp_dir().join(format!("fauxauth-cli-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let text = dir.join("text.pem");
    std::fs::write(&text, "not a certificate\n").unwrap();
    let text = text.display().to_string();
    let cases: Vec<(Vec<&str>, String)> = vec![
        (
            vec![
                "provider",
                "--ca-cert",
                "/nonexistent/ca.pem",
                "--ca-key",
                "/nonexistent/ca.key",
            ],
            "tls.ca_cert: /nonexistent/ca.pem: No such file".to_owned(),
        ),
        (
            vec!["provider", "--ca-cert", &text, "--ca-key", &text],
            format!("tls.ca_cert: {text}: not a PEM certificate"),
        ),
        (
            vec!["provider", "--ca-cert", &text],
            "--ca-cert: the provider issues its certificates with that authority".to_owned(),
        ),
        (
            vec!["provider", "--tls-name", "not a name"],
            "tls.names: \"not a name\" is neither a DNS name nor an IP address".to_owned(),
        ),
        (
            vec![
                "resource",
                "--issuer",
                "https://127.0.0.1:1",
                "--tls-cert",
                &text,
                "--tls-key",
                &text,
            ],
            format!("tls.cert: {text}: no CERTIFICATE block"),
        ),
        (
            vec![
                "client",
                "--issuer",
                "https://127.0.0.1:1",
                "--client-id",
                "c",
                "--tls-cert",
                "/nonexistent/c.pem",
                "--tls-key",
                "/nonexistent/c.key",
            ],
            "tls.cert: /nonexistent/c.pem: No such file".to_owned(),
        ),
    ];
    for (args, expected) in cases {
        let out = Command::new(BIN)
            .args(&args)
            .args(["--port", "0"])
            .env_remove("FAUXAUTH_CONFIG")
            .env_remove("FAUXAUTH_CONFIG_YAML")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(&expected), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}: nothing announced");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// `fauxauth assertion` prints what the demo client authenticates with: private_key_jwt with the
/// published test key, client_secret_jwt with its secret; each once.
#[tokio::test]
async fn the_demo_client_authenticates_with_assertions_the_assertion_command_makes() {
    let provider = mock_provider::spawn(mock_provider::Config::default())
        .await
        .unwrap();
    let token = format!("{}/token", provider.issuer());
    let key = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../scenarios/keys/scenario-client.pem"
    );
    let assertion = |extra: &[&str]| {
        let output = Command::new(BIN)
            .args(["assertion", "--client-id", "demo-web", "--audience", &token])
            .args(extra)
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap().trim().to_owned()
    };
    let signed = assertion(&["--private-key", key, "--private-key-id", "scenario-client"]);
    let keyed = assertion(&["--secret", mock_provider::WEB_CLIENT_SECRET]);
    let http = http(&fauxauth_core::Trust::default());
    let send = |assertion: String| {
        http.post(&token)
            .form(&[
                ("grant_type", "client_credentials"),
                (
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                ),
                ("client_assertion", assertion.as_str()),
            ])
            .send()
    };
    for made in [&signed, &keyed] {
        assert_eq!(send(made.clone()).await.unwrap().status(), 200);
        assert_eq!(send(made.clone()).await.unwrap().status(), 401, "used once");
    }
    let output = Command::new(BIN)
        .args(["assertion", "--client-id", "x", "--audience", &token])
        .output()
        .unwrap();
    assert!(!output.status.success(), "a key or a secret is required");

    // A JWT bearer grant from the demo's trusted issuer, about a demo user.
    let grant = Command::new(BIN)
        .args([
            "assertion",
            "--issuer",
            "https://idp.example",
            "--subject",
            "estefania",
        ])
        .args(["--audience", &token, "--private-key", key])
        .args(["--private-key-id", "scenario-client"])
        .output()
        .unwrap();
    assert!(
        grant.status.success(),
        "{}",
        String::from_utf8_lossy(&grant.stderr)
    );
    let grant = String::from_utf8(grant.stdout).unwrap();
    let response = http
        .post(&token)
        .basic_auth("demo-web", Some(mock_provider::WEB_CLIENT_SECRET))
        .form(&[
            ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
            ("assertion", grant.trim()),
            ("scope", "openid"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
}
