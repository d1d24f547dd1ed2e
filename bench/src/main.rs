//! `fauxauth-bench`: measures an OAuth 2.0 / OpenID provider on `127.0.0.1`, bounded in time and
//! count: cold start, resident memory, discovery and JWKS requests per second,
//! `client_credentials` tokens per second, and full authorization code flows per second with
//! their p50/p99. It spawns the provider itself (`spawn`: fauxauth, or any command that prints
//! `issuer: URL`) or loads one already running (`url`); `compare` reads two reports and prints
//! the ratios against the targets. `bench/compare` runs the whole comparison.
//!
//! # Map
//! - `target`: the loopback guard: nothing but `http://127.0.0.1` is ever sent a request.
//! - `process`: spawning a server, its cold start, its resident memory.
//! - `http`: the generator's lean HTTP/1.1 client (one connection per worker).
//! - `load`: the load generator (fixed concurrency, a request budget and a time budget) and the
//!   operations: GET, `client_credentials`, the code flow with PKCE.
//! - `hostile`: the hostile-load soak: junk floods, idle connections, memory and flows under attack.
//! - `stats`: nearest-rank percentiles.
//! - `report`: the tables, the JSON reports, the comparison with its targets.

mod hostile;
mod http;
mod load;
mod process;
mod report;
mod stats;
mod target;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use clap::{Parser, Subcommand};

use crate::load::{Ctx, Limits, Throughput};
use crate::process::{Server, rss_kib};
use crate::report::{Comparison, Report};
use crate::target::{Endpoints, discovery_url, loopback};

/// The demo configuration's confidential client (`fauxauth provider` without a configuration).
const DEMO_CLIENT_ID: &str = "demo-web";
const DEMO_CLIENT_SECRET: &str = "demo-web-secret-change-me";
const DEMO_REDIRECT_URI: &str = "http://127.0.0.1:8080/callback";

/// Measures an OAuth 2.0 / OpenID provider on 127.0.0.1 (and nowhere else).
#[derive(Debug, Parser)]
#[command(name = "fauxauth-bench", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start a provider (fauxauth by default, or the command after `--`, which must print
    /// `issuer: URL`), measure cold start and memory, then load it.
    Spawn(SpawnArgs),
    /// Load a provider already running at --issuer.
    Url(UrlArgs),
    /// Compare reports written with --json, against the targets.
    Compare(CompareArgs),
}

#[derive(Debug, clap::Args)]
struct LoadArgs {
    /// Operations in flight at once. The default suits 2 cores shared by server and generator:
    /// enough to keep both server threads busy while the generator waits on replies, few enough
    /// that latency is the server's work and not a queue.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256))]
    concurrency: u16,
    /// Each measurement starts at most this many operations...
    #[arg(long, default_value_t = 50_000)]
    requests: u64,
    /// ...and none after this many seconds.
    #[arg(long, default_value_t = 5.0, value_parser = seconds)]
    seconds: f64,
    /// Client for the token requests (HTTP Basic). The defaults are the demo's, and the client
    /// `spawn` configures.
    #[arg(long, default_value = DEMO_CLIENT_ID)]
    client_id: String,
    #[arg(long, default_value = DEMO_CLIENT_SECRET)]
    client_secret: String,
    #[arg(long, default_value = DEMO_REDIRECT_URI)]
    redirect_uri: String,
    #[arg(long, default_value = "openid profile email")]
    scope: String,
    /// Name in the report.
    #[arg(long)]
    label: Option<String>,
    /// Signing algorithm, for the report (`spawn` configures fauxauth with it).
    #[arg(long)]
    alg: Option<Alg>,
    /// Also write the report as JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Only the code flows (and memory): skip discovery, JWKS and client_credentials.
    #[arg(long)]
    flows_only: bool,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
#[value(rename_all = "verbatim")]
enum Alg {
    RS256,
    ES256,
    EdDSA,
}

#[derive(Debug, clap::Args)]
struct SpawnArgs {
    #[command(flatten)]
    load: LoadArgs,
    /// The fauxauth binary (default: the one beside this program).
    #[arg(long)]
    fauxauth: Option<PathBuf>,
    /// Cold starts to take the median of.
    #[arg(long, default_value_t = 7)]
    cold_starts: usize,
    /// After the load: rounds of code flows, each followed by moving the provider's clock past
    /// every lifetime (admin API), with the resident memory after each. fauxauth only.
    #[arg(long, default_value_t = 0)]
    soak_rounds: usize,
    /// Time `fauxauth run DIR` (the scenario library).
    #[arg(long)]
    scenarios: Option<PathBuf>,
    /// Time `fauxauth test FILE` (the app check library against the app FILE starts; the
    /// app's own start-up is part of it).
    #[arg(long, value_name = "APP_FILE")]
    app: Option<PathBuf>,
    /// After the load: the hostile soak. Floods of oversized and malformed requests (this many,
    /// 8 at a time, for at most 120 s), then code flows measured while `--idle-connections`
    /// connections are held open; memory before and after.
    #[arg(long, value_name = "JUNK_REQUESTS")]
    hostile: Option<u64>,
    /// Connections held open (silent, or half a request) during the hostile soak's flows.
    #[arg(long, default_value_t = 2000)]
    idle_connections: usize,
    /// fauxauth serving HTTPS beside HTTP (`--tls-port`): code flows over each in turn, on the
    /// one server, and the cost of a first connection's handshake; nothing else is measured.
    #[arg(long, conflicts_with_all = ["command", "hostile", "soak_rounds"])]
    tls: bool,
    /// Another provider to start instead of fauxauth; it must print `issuer: URL` on stdout.
    #[arg(last = true)]
    command: Vec<String>,
}

#[derive(Debug, clap::Args)]
struct UrlArgs {
    #[command(flatten)]
    load: LoadArgs,
    /// The provider's issuer URL, on 127.0.0.1.
    #[arg(long)]
    issuer: String,
    /// Its process id, to read its resident memory.
    #[arg(long)]
    pid: Option<u32>,
}

#[derive(Debug, clap::Args)]
struct CompareArgs {
    /// fauxauth's reports (RS256): the first is the full one; the throughputs are the median
    /// over all of them (repeat the option for runs taken in turn with the peer's).
    #[arg(long, required = true)]
    fauxauth: Vec<PathBuf>,
    /// The peer's reports (RS256), as `--fauxauth`.
    #[arg(long, required = true)]
    peer: Vec<PathBuf>,
    /// fauxauth's reports with faster signatures (ES256, EdDSA).
    #[arg(long)]
    fast: Vec<PathBuf>,
    /// fauxauth's report for the container image's build, if measured.
    #[arg(long)]
    image: Option<PathBuf>,
    /// fauxauth's report of `spawn --tls` (HTTPS beside HTTP), if measured.
    #[arg(long)]
    https: Option<PathBuf>,
    /// RSA-2048 signatures per second on one core (`openssl speed rsa2048`).
    #[arg(long)]
    rsa_sign_per_second: Option<f64>,
    /// Cores the machine has (default: what this process can use).
    #[arg(long)]
    cores: Option<usize>,
}

fn seconds(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v > 0.0 && v <= 600.0 => Ok(v),
        _ => Err("a number of seconds, more than 0 and at most 600".into()),
    }
}

fn main() -> ExitCode {
    // The hostile soak holds thousands of connections.
    let _ = rlimit::increase_nofile_limit(u64::MAX);
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fauxauth-bench: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Spawn(args) => spawn(args),
        Command::Url(args) => url(args),
        Command::Compare(args) => compare(args),
    }
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// The generator's runtime: as many threads as cores; the server's threads compete for the same.
fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cores())
        .enable_all()
        .build()?)
}

fn spawn(args: SpawnArgs) -> anyhow::Result<()> {
    let alg = args.load.alg.unwrap_or(Alg::RS256);
    let fauxauth = match &args.fauxauth {
        Some(path) => path.clone(),
        None => std::env::current_exe()?.with_file_name("fauxauth"),
    };
    let is_fauxauth = args.command.is_empty();
    let command = if is_fauxauth {
        let mut command = vec![
            fauxauth.display().to_string(),
            "provider".into(),
            "--port".into(),
            "0".into(),
        ];
        // The demo (RS256, the default credentials) is `fauxauth provider --port 0` as a
        // person runs it; anything else is configured.
        if !is_demo(&args.load, alg) {
            command.push("--config-yaml".into());
            command.push(provider_config(&args.load, alg));
        }
        if args.tls {
            command.extend(["--tls-port".into(), "0".into()]);
        }
        command
    } else {
        args.command.clone()
    };
    let label = args.load.label.clone().unwrap_or_else(|| {
        if is_fauxauth {
            "fauxauth".into()
        } else {
            command[0].clone()
        }
    });
    eprintln!("{label}: {} cold starts", args.cold_starts);
    let mut cold = Vec::new();
    for _ in 0..args.cold_starts {
        let server = Server::start(&command)?;
        cold.push(stats::ms(server.cold_start));
        drop(server);
    }
    let server = Server::start(&command)?;
    std::thread::sleep(Duration::from_millis(300));
    let mut report = new_report(&args.load, label, server.issuer.as_str(), alg);
    report.cold_start_ms = cold;
    report.rss_idle_kib = rss_kib(server.pid());

    let runtime = runtime()?;
    if args.tls {
        let plain = server
            .plain
            .clone()
            .context("fauxauth announced no plain HTTP beside HTTPS")?;
        report.https = Some(runtime.block_on(https_in_turn(
            &args.load,
            &server.issuer,
            &plain,
            server.pid(),
        ))?);
        drop(server);
        return finish(&args.load, &report);
    }
    runtime.block_on(load_all(
        &args.load,
        &server.issuer,
        Some(server.pid()),
        &mut report,
    ))?;
    if is_fauxauth && !args.load.flows_only {
        runtime.block_on(resource_calls(
            &args.load,
            &fauxauth,
            &server.issuer,
            &mut report,
        ))?;
    }
    std::thread::sleep(Duration::from_secs(1));
    report.rss_after_load_kib = rss_kib(server.pid());
    if let Some(junk) = args.hostile {
        runtime.block_on(hostile_soak(
            &args.load,
            &server.issuer,
            server.pid(),
            junk,
            args.idle_connections,
            &mut report,
        ))?;
    }
    if args.soak_rounds > 0 {
        runtime.block_on(soak(
            &args.load,
            &server.issuer,
            server.pid(),
            args.soak_rounds,
            &mut report,
        ))?;
    }
    runtime.block_on(load_more_grants(
        &args.load,
        &server.issuer,
        Some(server.pid()),
        &mut report,
    ))?;
    drop(server);
    if let Some(dir) = &args.scenarios {
        eprintln!("{}: fauxauth run {}", report.label, dir.display());
        let start = Instant::now();
        let status = std::process::Command::new(&fauxauth)
            .arg("run")
            .arg(dir)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .status()
            .with_context(|| format!("cannot run {}", fauxauth.display()))?;
        report.scenarios_seconds = Some(start.elapsed().as_secs_f64());
        report.scenarios_passed = Some(status.success());
    }
    if let Some(file) = &args.app {
        eprintln!("{}: fauxauth test {}", report.label, file.display());
        let start = Instant::now();
        let status = std::process::Command::new(&fauxauth)
            .arg("test")
            .arg(file)
            .arg("--quiet")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .status()
            .with_context(|| format!("cannot run {}", fauxauth.display()))?;
        report.app_checks_seconds = Some(start.elapsed().as_secs_f64());
        report.app_checks_passed = Some(status.success());
    }
    finish(&args.load, &report)
}

fn url(args: UrlArgs) -> anyhow::Result<()> {
    let issuer = loopback(&args.issuer)?;
    let label = args
        .load
        .label
        .clone()
        .unwrap_or_else(|| issuer.to_string());
    let alg = args.load.alg.unwrap_or(Alg::RS256);
    let mut report = new_report(&args.load, label, issuer.as_str(), alg);
    report.alg = args.load.alg.map(|a| format!("{a:?}"));
    report.rss_idle_kib = args.pid.and_then(rss_kib);
    let runtime = runtime()?;
    runtime.block_on(load_all(&args.load, &issuer, args.pid, &mut report))?;
    if let Some(pid) = args.pid {
        std::thread::sleep(Duration::from_secs(1));
        report.rss_after_load_kib = rss_kib(pid);
    }
    runtime.block_on(load_more_grants(&args.load, &issuer, args.pid, &mut report))?;
    finish(&args.load, &report)
}

fn compare(args: CompareArgs) -> anyhow::Result<()> {
    let read = |path: &PathBuf| -> anyhow::Result<Report> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        serde_json::from_str(&text).with_context(|| format!("{}: not a report", path.display()))
    };
    let runs = |paths: &[PathBuf]| -> anyhow::Result<Report> {
        let reports = paths.iter().map(read).collect::<anyhow::Result<Vec<_>>>()?;
        Ok(report::median_of(reports))
    };
    let fauxauth = runs(&args.fauxauth)?;
    let peer = runs(&args.peer)?;
    let fast = args
        .fast
        .iter()
        .map(read)
        .collect::<anyhow::Result<Vec<_>>>()?;
    let image = args.image.as_ref().map(read).transpose()?;
    let https = args.https.as_ref().map(read).transpose()?;
    let comparison = Comparison {
        fauxauth: &fauxauth,
        peer: &peer,
        fast: &fast,
        image: image.as_ref(),
        https: https.as_ref(),
        rsa_sign_per_second: args.rsa_sign_per_second,
        cores: args.cores.unwrap_or_else(cores),
    };
    print!("{}", comparison.table());
    Ok(())
}

fn new_report(load: &LoadArgs, label: String, issuer: &str, alg: Alg) -> Report {
    Report {
        label,
        issuer: issuer.to_owned(),
        alg: Some(format!("{alg:?}")),
        concurrency: load.concurrency.into(),
        max_requests: load.requests,
        max_seconds: load.seconds,
        cores: cores(),
        runs: 1,
        ..Report::default()
    }
}

fn finish(load: &LoadArgs, report: &Report) -> anyhow::Result<()> {
    println!("{}", report.table());
    if let Some(path) = &load.json {
        std::fs::write(path, serde_json::to_string_pretty(report)?)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

/// Whether the demo configuration serves this load: RS256 and the demo's own client.
fn is_demo(load: &LoadArgs, alg: Alg) -> bool {
    matches!(alg, Alg::RS256)
        && load.client_id == DEMO_CLIENT_ID
        && load.client_secret == DEMO_CLIENT_SECRET
        && load.redirect_uri == DEMO_REDIRECT_URI
}

/// The configuration `spawn` gives fauxauth otherwise: the load's client, one user, the
/// algorithm.
fn provider_config(load: &LoadArgs, alg: Alg) -> String {
    let client = serde_json::json!({
        "client_id": load.client_id,
        "client_secret": load.client_secret,
        "redirect_uris": [load.redirect_uri],
        "grant_types": [
            "authorization_code",
            "refresh_token",
            "client_credentials",
            "urn:ietf:params:oauth:grant-type:device_code",
            "urn:ietf:params:oauth:grant-type:token-exchange",
        ],
    });
    let config = serde_json::json!({
        "issuers": [{
            "name": "default",
            "signing_alg": format!("{alg:?}"),
            "clients": [client],
            "users": [{
                "username": "alice",
                "claims": {
                    "name": "Alice Example",
                    "email": "alice@example.com",
                    "email_verified": true,
                },
            }],
        }],
    });
    // JSON is YAML.
    config.to_string()
}

fn limits(load: &LoadArgs) -> Limits {
    Limits {
        concurrency: load.concurrency.into(),
        requests: load.requests,
        duration: Duration::from_secs_f64(load.seconds),
    }
}

/// What this benchmark trusts over HTTPS: the authority of fauxauth's default seed, which the
/// `fauxauth provider` it spawns serves certificates from.
fn trust() -> fauxauth_core::Trust {
    fauxauth_core::Trust::of(&fauxauth_core::Authority::from_seed(
        fauxauth_core::DEFAULT_SEED,
    ))
}

/// HTTPS beside HTTP on one server: code flows over each in turn (three rounds), then new
/// connections one at a time, with and without the TLS handshake.
async fn https_in_turn(
    load: &LoadArgs,
    issuer: &url::Url,
    plain: &url::Url,
    pid: u32,
) -> anyhow::Result<report::HttpsRun> {
    http::use_tls(&trust());
    let secure = context(load, issuer).await?;
    // The same endpoints over plain HTTP: the discovery document with the HTTPS origin swapped.
    let http = setup_client()?;
    let discovery = discovery_url(issuer);
    let document = http.get(discovery.clone()).send().await?.bytes().await?;
    let (from, to) = (origin(issuer), origin(plain));
    let swapped = String::from_utf8_lossy(&document).replace(&from, &to);
    let endpoints = Endpoints::from_metadata(discovery_url(plain), swapped.as_bytes())?;
    let insecure = Arc::new(Ctx::new(
        &endpoints,
        &load.client_id,
        &load.client_secret,
        &load.redirect_uri,
        &load.scope,
    ));
    let limits = limits(load);
    let mut run = report::HttpsRun::default();
    for round in 1..=3 {
        eprintln!("  round {round}: plain HTTP, then HTTPS");
        run.plain
            .push(code_flows(&insecure, limits, Some(pid)).await);
        run.tls.push(code_flows(&secure, limits, Some(pid)).await);
    }
    eprintln!("  new connections: TCP alone, then TCP and the TLS handshake");
    let addr = crate::target::socket_addr(issuer);
    for _ in 0..200 {
        let start = Instant::now();
        let stream = tokio::net::TcpStream::connect(addr).await?;
        run.connect_ms.push(stats::ms(start.elapsed()));
        drop(stream);
        let start = Instant::now();
        let stream = http::tls_stream(addr).await.map_err(anyhow::Error::msg)?;
        run.handshake_ms.push(stats::ms(start.elapsed()));
        drop(stream);
    }
    Ok(run)
}

fn origin(url: &url::Url) -> String {
    url.origin().ascii_serialization()
}

/// A general-purpose client for the few requests outside measurements (discovery, the clock).
fn setup_client() -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder()
        .use_preconfigured_tls(trust().client_config())
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
}

async fn context(load: &LoadArgs, issuer: &url::Url) -> anyhow::Result<Arc<Ctx>> {
    let http = setup_client()?;
    let discovery = discovery_url(issuer);
    let response = http.get(discovery.clone()).send().await?;
    if !response.status().is_success() {
        bail!("{discovery} answered {}", response.status());
    }
    let document = response.bytes().await?;
    let endpoints = Endpoints::from_metadata(discovery, &document)?;
    Ok(Arc::new(Ctx::new(
        &endpoints,
        &load.client_id,
        &load.client_secret,
        &load.redirect_uri,
        &load.scope,
    )))
}

/// Warm-up, then the measurement; both under `limits`. The CPU time the server (when `pid` is
/// known) and this generator used during the measurement is divided among its operations.
async fn measured<F, Fut>(what: &str, limits: Limits, pid: Option<u32>, op: F) -> Throughput
where
    F: Fn(http::Client) -> Fut + Send + Sync + Clone + 'static,
    Fut: std::future::Future<Output = (http::Client, Result<(), String>)> + Send + 'static,
{
    eprintln!("  {what}");
    load::measure(limits.warmup(), op.clone()).await;
    let cpu = || {
        (
            pid.and_then(process::cpu_seconds),
            process::cpu_seconds(std::process::id()),
        )
    };
    let before = cpu();
    let mut result = load::measure(limits, op).await;
    let after = cpu();
    let per_op = |a: Option<f64>, b: Option<f64>| {
        let ops = result.ok.max(1) as f64;
        Some((b? - a?) * 1e6 / ops)
    };
    result.server_cpu_us = per_op(before.0, after.0);
    result.generator_cpu_us = per_op(before.1, after.1);
    result
}

async fn load_all(
    load: &LoadArgs,
    issuer: &url::Url,
    pid: Option<u32>,
    report: &mut Report,
) -> anyhow::Result<()> {
    let ctx = context(load, issuer).await?;
    let limits = limits(load);
    if !load.flows_only {
        let c = ctx.clone();
        report.discovery = Some(
            measured("discovery", limits, pid, move |mut client| {
                let c = c.clone();
                async move {
                    let result = load::get(&mut client, &c.discovery).await;
                    (client, result)
                }
            })
            .await,
        );
        let c = ctx.clone();
        report.jwks = Some(
            measured("JWKS", limits, pid, move |mut client| {
                let c = c.clone();
                async move {
                    let result = load::get(&mut client, &c.jwks).await;
                    (client, result)
                }
            })
            .await,
        );
        let c = ctx.clone();
        report.client_credentials = Some(
            measured("client_credentials", limits, pid, move |mut client| {
                let c = c.clone();
                async move {
                    let result = load::client_credentials(&c, &mut client).await;
                    (client, result)
                }
            })
            .await,
        );
    }
    report.code_flow = Some(code_flows(&ctx, limits, pid).await);
    Ok(())
}

/// The grants oauth2-mock-server does not have, measured where the provider serves them: after
/// everything else (the memory figures and the hostile soak), as the state they leave (device
/// authorizations waiting, exchanged tokens) would weigh on those.
async fn load_more_grants(
    load: &LoadArgs,
    issuer: &url::Url,
    pid: Option<u32>,
    report: &mut Report,
) -> anyhow::Result<()> {
    if load.flows_only {
        return Ok(());
    }
    let ctx = context(load, issuer).await?;
    let limits = limits(load);
    if ctx.device_authorization.is_some() {
        let c = ctx.clone();
        report.device_poll = Some(
            measured(
                "device authorizations, each polled once",
                limits,
                pid,
                move |mut client| {
                    let c = c.clone();
                    async move {
                        let result = load::device_poll(&c, &mut client).await;
                        (client, result)
                    }
                },
            )
            .await,
        );
    }
    if ctx.dpop {
        let key = Arc::new(fauxauth_core::dpop::ProofKey::from_seed("fauxauth-bench"));
        let offset = clock_offset(issuer).await?;
        let c = ctx.clone();
        report.dpop_code_flow = Some(
            measured("DPoP-bound code flows", limits, pid, move |mut client| {
                let c = c.clone();
                let key = key.clone();
                async move {
                    let result = load::dpop_code_flow(&c, &mut client, &key, offset).await;
                    (client, result)
                }
            })
            .await,
        );
    }
    if ctx.token_exchange {
        let subject: Arc<str> = subject_token(load, &ctx).await?.into();
        let c = ctx.clone();
        report.token_exchange = Some(
            measured("token exchanges", limits, pid, move |mut client| {
                let c = c.clone();
                let subject = subject.clone();
                async move {
                    let result = load::token_exchange(&c, &mut client, &subject).await;
                    (client, result)
                }
            })
            .await,
        );
    }
    Ok(())
}

/// Calls of `fauxauth resource`'s API, trusting the provider under test: with a Bearer token,
/// then with a DPoP-bound token and a new proof each. Before the soak rounds, whose clock moves
/// would leave the provider's tokens dated in the resource's future.
async fn resource_calls(
    load: &LoadArgs,
    fauxauth: &std::path::Path,
    issuer: &url::Url,
    report: &mut Report,
) -> anyhow::Result<()> {
    let ctx = context(load, issuer).await?;
    if !ctx.dpop {
        return Ok(());
    }
    let resource = crate::process::Resource::start(fauxauth, issuer)?;
    let mut me = resource.url.clone();
    me.set_path("/api/me");
    let endpoint = Arc::new(crate::http::Endpoint::new(&me));
    let key = Arc::new(fauxauth_core::dpop::ProofKey::from_seed(
        "fauxauth-bench resource",
    ));
    let bearer: Arc<str> = subject_token(load, &ctx).await?.into();
    let bound: Arc<str> = dpop_token(load, &ctx, &key).await?.into();
    let limits = limits(load);
    let pid = Some(resource.pid());
    let (e, t) = (endpoint.clone(), bearer.clone());
    report.resource_bearer = Some(
        measured("resource calls, Bearer", limits, pid, move |mut client| {
            let (e, t) = (e.clone(), t.clone());
            async move {
                let result = load::resource_call(&mut client, &e, &t, None).await;
                (client, result)
            }
        })
        .await,
    );
    let (e, t, k) = (endpoint.clone(), bound.clone(), key.clone());
    report.resource_dpop = Some(
        measured("resource calls, DPoP", limits, pid, move |mut client| {
            let (e, t, k) = (e.clone(), t.clone(), k.clone());
            async move {
                let result = load::resource_call(&mut client, &e, &t, Some(&k)).await;
                (client, result)
            }
        })
        .await,
    );
    drop(resource);
    Ok(())
}

/// A DPoP-bound access token of the load's client (client credentials with a proof by `key`).
async fn dpop_token(
    load: &LoadArgs,
    ctx: &Ctx,
    key: &fauxauth_core::dpop::ProofKey,
) -> anyhow::Result<String> {
    let proof = load::fresh_proof(key, "POST", &ctx.token, None, 0);
    let response = setup_client()?
        .post(ctx.token.url())
        .basic_auth(&load.client_id, Some(&load.client_secret))
        .header("dpop", proof)
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await?;
    let body: serde_json::Value = response.json().await?;
    anyhow::ensure!(body["token_type"] == "DPoP", "no DPoP-bound token: {body}");
    body["access_token"]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("no access token: {body}"))
}

/// How far the provider's clock is from real time, in seconds (the soak rounds move it): its
/// admin API's `GET /_fauxauth/clock`.
async fn clock_offset(issuer: &url::Url) -> anyhow::Result<i64> {
    let mut clock = issuer.clone();
    clock.set_path("/_fauxauth/clock");
    let state: fauxauth_core::admin::ClockState =
        setup_client()?.get(clock).send().await?.json().await?;
    let real = fauxauth_core::unix(std::time::SystemTime::now());
    Ok(i64::try_from(state.now)? - i64::try_from(real)?)
}

/// An access token of the load's client (client credentials), to exchange.
async fn subject_token(load: &LoadArgs, ctx: &Ctx) -> anyhow::Result<String> {
    let response = setup_client()?
        .post(ctx.token.url())
        .basic_auth(&load.client_id, Some(&load.client_secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await?;
    let body: serde_json::Value = response.json().await?;
    body["access_token"]
        .as_str()
        .map(str::to_owned)
        .with_context(|| format!("no access token to exchange: {body}"))
}

async fn code_flows(ctx: &Arc<Ctx>, limits: Limits, pid: Option<u32>) -> Throughput {
    let c = ctx.clone();
    measured("code flows", limits, pid, move |mut client| {
        let c = c.clone();
        async move {
            let result = load::code_flow(&c, &mut client).await;
            (client, result)
        }
    })
    .await
}

/// The hostile soak (see `hostile`): junk, then flows beside held connections.
async fn hostile_soak(
    load: &LoadArgs,
    issuer: &url::Url,
    pid: u32,
    junk: u64,
    idle: usize,
    report: &mut Report,
) -> anyhow::Result<()> {
    let addr = issuer
        .socket_addrs(|| None)?
        .into_iter()
        .next()
        .context("the issuer has no address")?;
    let mut found = hostile::Hostile {
        rss_before_kib: rss_kib(pid),
        ..Default::default()
    };
    eprintln!("  hostile: {junk} junk requests");
    hostile::flood(addr, junk, 8, Duration::from_secs(120), &mut found).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    found.rss_after_junk_kib = rss_kib(pid);
    eprintln!("  hostile: {idle} connections held");
    let held = hostile::hold(addr, idle).await;
    found.idle_connections = held.len();
    let ctx = context(load, issuer).await?;
    found.code_flow_under_attack = Some(code_flows(&ctx, limits(load), Some(pid)).await);
    drop(held);
    tokio::time::sleep(Duration::from_secs(1)).await;
    found.rss_after_attack_kib = rss_kib(pid);
    report.hostile = Some(found);
    Ok(())
}

/// Rounds of code flows, each followed by moving the clock 31 days on (past every default
/// lifetime: code 60 s, tokens 1 h, session 1 d, refresh token 30 d), so everything issued has
/// expired and can be swept; the resident memory after each round shows whether anything
/// accumulates.
async fn soak(
    load: &LoadArgs,
    issuer: &url::Url,
    pid: u32,
    rounds: usize,
    report: &mut Report,
) -> anyhow::Result<()> {
    let ctx = context(load, issuer).await?;
    let http = setup_client()?;
    let mut clock = issuer.clone();
    clock.set_path("/_fauxauth/clock");
    for round in 1..=rounds {
        eprintln!("  soak round {round} of {rounds}");
        let t = code_flows(&ctx, limits(load), Some(pid)).await;
        if t.errors > 0 {
            bail!(
                "soak round {round}: {} errors, first: {}",
                t.errors,
                t.first_error.unwrap_or_default()
            );
        }
        let response = http
            .post(clock.clone())
            .json(&serde_json::json!({ "advance": "31d" }))
            .send()
            .await?;
        if !response.status().is_success() {
            bail!("{clock} answered {}: cannot soak", response.status());
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        report.rss_soak_kib.extend(rss_kib(pid));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_have_sensible_defaults() {
        let cli =
            Cli::try_parse_from(["fauxauth-bench", "url", "--issuer", "http://127.0.0.1:9000"])
                .unwrap();
        let Command::Url(args) = cli.command else {
            panic!("not url");
        };
        assert_eq!(args.load.concurrency, 8);
        assert_eq!(args.load.requests, 50_000);
        assert_eq!(args.load.seconds, 5.0);
        assert_eq!(args.load.client_id, "demo-web");
    }

    #[test]
    fn spawn_takes_another_command_after_the_separator() {
        let cli = Cli::try_parse_from([
            "fauxauth-bench",
            "spawn",
            "--alg",
            "EdDSA",
            "--cold-starts",
            "3",
            "--",
            "node",
            "server.mjs",
            "--port",
            "0",
        ])
        .unwrap();
        let Command::Spawn(args) = cli.command else {
            panic!("not spawn");
        };
        assert_eq!(args.command, ["node", "server.mjs", "--port", "0"]);
        assert_eq!(args.cold_starts, 3);
        assert!(matches!(args.load.alg, Some(Alg::EdDSA)));
    }

    #[test]
    fn limits_must_be_bounded() {
        for bad in [
            &["fauxauth-bench", "url", "--issuer", "x", "--seconds", "0"][..],
            &["fauxauth-bench", "url", "--issuer", "x", "--seconds", "601"],
            &[
                "fauxauth-bench",
                "url",
                "--issuer",
                "x",
                "--concurrency",
                "0",
            ],
            &[
                "fauxauth-bench",
                "url",
                "--issuer",
                "x",
                "--concurrency",
                "1000",
            ],
            &["fauxauth-bench", "url"],
        ] {
            assert!(Cli::try_parse_from(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn url_mode_refuses_other_hosts_before_sending_anything() {
        let cli = Cli::try_parse_from([
            "fauxauth-bench",
            "url",
            "--issuer",
            "http://192.168.1.10:9000",
        ])
        .unwrap();
        let error = run(cli).unwrap_err().to_string();
        assert!(error.contains("only 127.0.0.1"), "{error}");
    }

    #[test]
    fn spawned_fauxauth_is_configured_with_the_load_client() {
        let cli = Cli::try_parse_from(["fauxauth-bench", "spawn", "--client-id", "bench"]).unwrap();
        let Command::Spawn(args) = cli.command else {
            panic!("not spawn");
        };
        let config: serde_json::Value =
            serde_json::from_str(&provider_config(&args.load, Alg::ES256)).unwrap();
        assert_eq!(config["issuers"][0]["signing_alg"], "ES256");
        assert_eq!(config["issuers"][0]["clients"][0]["client_id"], "bench");
        assert_eq!(
            config["issuers"][0]["clients"][0]["redirect_uris"][0],
            "http://127.0.0.1:8080/callback"
        );
        assert!(
            !is_demo(&args.load, Alg::RS256),
            "another client needs a configuration"
        );
        let cli = Cli::try_parse_from(["fauxauth-bench", "spawn"]).unwrap();
        let Command::Spawn(args) = cli.command else {
            panic!("not spawn");
        };
        assert!(is_demo(&args.load, Alg::RS256));
        assert!(!is_demo(&args.load, Alg::ES256));
    }
}
