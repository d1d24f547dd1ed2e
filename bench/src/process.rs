//! Servers the benchmark starts itself: spawn, wait for the `issuer: URL` line and the first 200
//! from discovery (the cold start), read resident memory, stop.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use url::Url;

use crate::target::{discovery_url, loopback, socket_addr};

/// How long a server may take to answer its first discovery request before it is given up on.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// A server process this benchmark started. Killed when dropped.
#[derive(Debug)]
pub struct Server {
    child: Child,
    pub issuer: Url,
    /// The plain-HTTP URL a server serving HTTPS announced beside it (`http: URL`), if any.
    pub plain: Option<Url>,
    /// From spawn to the first 200 from discovery.
    pub cold_start: Duration,
}

impl Server {
    /// Starts `command`, which must print `issuer: URL` on stdout, and waits until its discovery
    /// document answers 200. The time this takes is the cold start.
    pub fn start(command: &[String]) -> anyhow::Result<Self> {
        let (program, args) = command.split_first().context("no command to start")?;
        let start = Instant::now();
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("cannot start {program}"))?;
        let stdout = child.stdout.take().context("no stdout")?;
        // Killed on any early return from here on.
        let mut server = Self {
            child,
            plain: None,
            issuer: loopback("http://127.0.0.1/")?,
            cold_start: Duration::ZERO,
        };
        let mut lines = BufReader::new(stdout);
        let issuer = loop {
            let mut line = String::new();
            if lines.read_line(&mut line)? == 0 {
                bail!("{program} exited (or closed stdout) before printing `issuer: URL`");
            }
            if let Some(url) = line.trim_end().strip_prefix("issuer: ") {
                break url.to_owned();
            }
        };
        // An HTTPS issuer: fauxauth announces the plain HTTP beside it (`http: URL ...`) before
        // `admin:`; that is where the start is probed (this probe speaks plain HTTP).
        if issuer.starts_with("https:") {
            loop {
                let mut line = String::new();
                if lines.read_line(&mut line)? == 0 || line.starts_with("admin: ") {
                    break;
                }
                if let Some(url) = line.trim_end().strip_prefix("http: ") {
                    let url = url.split(' ').next().unwrap_or_default();
                    server.plain = Some(loopback(url)?);
                }
            }
        }
        // Keep reading what it prints, so it never blocks on (or dies of) a full or closed pipe.
        std::thread::spawn(move || std::io::copy(&mut lines, &mut std::io::sink()));
        server.issuer = loopback(&issuer)?;
        let discovery = discovery_url(server.plain.as_ref().unwrap_or(&server.issuer));
        loop {
            match http_status(&discovery) {
                Ok(200) => break,
                Ok(status) => bail!("{discovery} answered {status} on start"),
                Err(_) if start.elapsed() < START_TIMEOUT => {
                    if let Ok(Some(status)) = server.child.try_wait() {
                        bail!("{program} exited with {status} before answering");
                    }
                    std::thread::sleep(Duration::from_micros(200));
                }
                Err(e) => bail!("{discovery} did not answer within {START_TIMEOUT:?}: {e}"),
            }
        }
        server.cold_start = start.elapsed();
        Ok(server)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

/// `fauxauth resource` trusting `issuer`, on a free port. Killed when dropped.
#[derive(Debug)]
pub struct Resource {
    child: Child,
    pub url: Url,
}

impl Resource {
    /// Starts `fauxauth resource --issuer ISSUER --port 0` and reads the `resource: URL` it
    /// prints once it listens.
    pub fn start(fauxauth: &std::path::Path, issuer: &Url) -> anyhow::Result<Self> {
        let mut child = Command::new(fauxauth)
            .args([
                "resource",
                "--issuer",
                issuer.as_str().trim_end_matches('/'),
                "--port",
                "0",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("cannot start {}", fauxauth.display()))?;
        let stdout = child.stdout.take().context("no stdout")?;
        let mut resource = Self {
            child,
            url: loopback("http://127.0.0.1/")?,
        };
        let mut lines = BufReader::new(stdout);
        let url = loop {
            let mut line = String::new();
            if lines.read_line(&mut line)? == 0 {
                bail!("fauxauth resource exited before printing `resource: URL`");
            }
            if let Some(url) = line.trim_end().strip_prefix("resource: ") {
                break url.to_owned();
            }
        };
        std::thread::spawn(move || std::io::copy(&mut lines, &mut std::io::sink()));
        resource.url = loopback(&url)?;
        Ok(resource)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Resource {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The status of a plain `GET` on a fresh connection: no client library, no pool, so that a cold
/// start measures the server and not the client's set-up.
pub fn http_status(url: &Url) -> std::io::Result<u16> {
    let mut stream = TcpStream::connect_timeout(&socket_addr(url), Duration::from_secs(5))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.set_nodelay(true)?;
    let path = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    };
    let host = url.host_str().unwrap_or("127.0.0.1");
    let port = url.port_or_known_default().unwrap_or(80);
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
    )?;
    let mut head = [0u8; 12];
    stream.read_exact(&mut head)?;
    // Drain the rest, so the server finishes its write before the connection goes.
    let mut rest = Vec::new();
    let _ = stream.read_to_end(&mut rest);
    parse_status(&head).ok_or_else(|| std::io::Error::other("not an HTTP/1.1 response"))
}

/// The status code of a response that starts `HTTP/1.x NNN`.
pub fn parse_status(head: &[u8]) -> Option<u16> {
    let text = std::str::from_utf8(head.get(..12)?).ok()?;
    let code = text.strip_prefix("HTTP/1.")?.get(2..5)?;
    code.parse().ok()
}

/// CPU time `pid` has used (user and system), in seconds; `None` where unreadable. Read from
/// `/proc/<pid>/stat` in clock ticks, which Linux reports at 100 per second (`USER_HZ`).
pub fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    cpu_ticks(&stat).map(|ticks| ticks as f64 / 100.0)
}

/// `utime + stime` of a `/proc/<pid>/stat` line (fields 14 and 15; the command name, field 2,
/// may hold spaces and parentheses, so fields are counted after its last `)`).
pub fn cpu_ticks(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some(utime + stime)
}

/// Resident memory of `pid` in KiB (`VmRSS` in `/proc/<pid>/status`), `None` where unreadable.
pub fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    vm_rss(&status)
}

/// The `VmRSS:` line of a `/proc/<pid>/status`, in KiB.
pub fn vm_rss(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().strip_suffix("kB"))
        .and_then(|n| n.trim().parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_line_is_read() {
        assert_eq!(parse_status(b"HTTP/1.1 200 OK\r\n"), Some(200));
        assert_eq!(parse_status(b"HTTP/1.0 404 Not Found"), Some(404));
        assert_eq!(parse_status(b"SSH-2.0-OpenSSH"), None);
        assert_eq!(parse_status(b"HTTP/1.1"), None);
    }

    #[test]
    fn vm_rss_is_read_in_kib() {
        let status = "Name:\tfauxauth\nVmPeak:\t  20000 kB\nVmRSS:\t    6144 kB\nThreads:\t3\n";
        assert_eq!(vm_rss(status), Some(6144));
        assert_eq!(vm_rss("Name:\tx\n"), None);
    }

    #[test]
    fn cpu_time_is_read_after_the_command_name() {
        let stat = "4242 (fauxauth (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 3";
        assert_eq!(cpu_ticks(stat), Some(325));
        assert_eq!(cpu_ticks("garbage"), None);
        assert!(cpu_seconds(std::process::id()).is_some());
    }

    #[test]
    fn this_process_has_a_resident_size() {
        assert!(rss_kib(std::process::id()).is_some_and(|kib| kib > 0));
    }
}
