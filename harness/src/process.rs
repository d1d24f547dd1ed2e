//! What every long-running subcommand shares: the URL it announces, and how it stops.

use std::io::Write as _;
use std::net::SocketAddr;

/// The URL clients use: a wildcard address is reached on loopback.
pub fn base_url_for(addr: SocketAddr) -> String {
    match addr {
        SocketAddr::V4(a) if a.ip().is_unspecified() => format!("http://127.0.0.1:{}", a.port()),
        SocketAddr::V6(a) if a.ip().is_unspecified() => format!("http://[::1]:{}", a.port()),
        a => format!("http://{a}"),
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
        let name = user
            .claims
            .get("name")
            .and_then(|v| v.as_str())
            .unwrap_or_default();
        let password = if user.password.is_some() {
            "password required"
        } else {
            "no password"
        };
        announce(&format!("  user {} ({name}), {password}", user.username));
    }
}
