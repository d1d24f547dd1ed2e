//! What every long-running subcommand shares: the URL it announces, and how it stops.

use std::io::Write as _;
use std::net::SocketAddr;

/// The seed a provider listening at `addr` runs with.
///
/// One bound beyond loopback (`0.0.0.0`, a container's interfaces) with the default seed would
/// hand out what every other fauxauth does: the same keys, so anyone could sign tokens it
/// accepts, and the same first session cookie and code. It runs with a random seed instead,
/// and says so; the demo's users keep their names, which were made before. A seed given in the
/// file or with `--seed` (`FAUXAUTH_SEED`) is always kept: that is a choice to be reproducible.
pub fn seed_for_bind(
    config: &mut mock_provider::Config,
    addr: SocketAddr,
    explicit: Option<String>,
) {
    if let Some(seed) = explicit {
        config.seed = seed;
        return;
    }
    if !addr.ip().is_loopback() && config.seed == mock_provider::keys::DEFAULT_SEED {
        config.seed = mock_provider::keys::random_seed();
        eprintln!(
            "fauxauth: listening on {addr}, beyond loopback: keys, codes and tokens come from a \
             random seed (set seed: in the file, or FAUXAUTH_SEED, to choose one)"
        );
    }
}

pub async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => {
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
    eprintln!("fauxauth: shutting down");
}

/// Prints a line on standard output for whoever started the process. A closed or full stdout
/// (the reader went away) must not bring the server down, so write errors are ignored.
pub fn announce(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}").and_then(|()| out.flush());
}

/// One line per user a person can log in as: username, display name, whether a password is asked.
pub fn announce_users(users: &[mock_provider::UserConfig]) {
    for user in users {
        // Its name, or what else says who it is (Apple's users have only an address).
        let name = ["name", "global_name", "email"]
            .iter()
            .find_map(|claim| user.claims.get(*claim).and_then(|v| v.as_str()))
            .map(|name| format!(" ({name})"))
            .unwrap_or_default();
        let password = if user.password.is_some() {
            "password required"
        } else {
            "no password"
        };
        announce(&format!("  user {}{name}, {password}", user.username));
    }
}
