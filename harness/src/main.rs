//! The `fauxauth` command. `main` only parses the command line, loads configuration, starts
//! tracing, binds and serves; everything else lives in the libraries.

mod assertion;
mod client;
mod health;
mod process;
mod provider;
mod resource;
mod run;
mod test;
mod tls;
mod up;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// A complete OAuth 2.0 / OpenID Connect world on one machine, for integration testing: a strict,
/// scriptable provider, a resource API, a reference client, and the scenarios that test them,
/// or your own app (`fauxauth test`).
#[derive(Debug, Parser)]
#[command(name = "fauxauth", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the mock authorization server / OpenID provider until interrupted.
    Provider(provider::Args),
    /// Run the mock resource (a protected API) until interrupted.
    Resource(resource::Args),
    /// Run the reference client (a relying party) until interrupted.
    Client(client::Args),
    /// Run the provider, the resource and the client together, wired to each other.
    Up(up::Args),
    /// Run scenarios against the built-in ecosystem; exit 0 only when all pass.
    Run(run::Args),
    /// Run the app check library against your own app (see fauxauth test --init); exit 0 only
    /// when no check fails.
    Test(test::Args),
    /// List the reference client's weaknesses; with --check, prove each is caught by a scenario.
    Weaknesses(run::WeaknessArgs),
    /// Exit 0 when the provider on this machine answers (a container's health check).
    Health(health::Args),
    /// Write the certificate of fauxauth's local certificate authority (from the seed), for
    /// clients to trust in a test run.
    Ca(tls::CaArgs),
    /// Print a client assertion (private_key_jwt or client_secret_jwt), to try JWT client
    /// authentication by hand.
    Assertion(assertion::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("FAUXAUTH_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        // Colours for a person at a terminal, never in a file or a CI log.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    // Servers hold a descriptor per connection: take what the hard limit allows, as servers do.
    if let Err(e) = fauxauth_core::raise_descriptor_limit() {
        tracing::debug!(error = %e, "the open-file limit could not be raised");
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("fauxauth: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Provider(args) => provider::run(args).await.map(|()| ExitCode::SUCCESS),
            Command::Resource(args) => resource::run(args).await.map(|()| ExitCode::SUCCESS),
            Command::Client(args) => client::run(args).await.map(|()| ExitCode::SUCCESS),
            Command::Up(args) => up::run(args).await.map(|()| ExitCode::SUCCESS),
            Command::Ca(args) => tls::ca(args).map(|()| ExitCode::SUCCESS),
            Command::Assertion(args) => assertion::run(args).map(|()| ExitCode::SUCCESS),
            Command::Health(args) => health::run(args).await.map(|healthy| {
                if healthy {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::FAILURE
                }
            }),
            // Exit 0 only when every weakness is caught.
            Command::Weaknesses(args) => run::weaknesses(args).await.map(|passed| {
                if passed {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::FAILURE
                }
            }),
            // Exit 0 only when every scenario passed.
            Command::Run(args) => run::run(args).await.map(|all_passed| {
                if all_passed {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::FAILURE
                }
            }),
            // Exit 0 only when no check failed (nor warned, when strict).
            Command::Test(args) => test::run(args).await.map(|passed| {
                if passed {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::FAILURE
                }
            }),
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("fauxauth: {e:#}");
            ExitCode::from(2)
        }
    }
}
