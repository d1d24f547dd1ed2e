//! The hostile-load soak: what a provider bound where strangers reach it must bear. Bounded
//! floods of oversized and malformed requests, then idle and half-sent connections held while
//! ordinary code flows are measured; resident memory before and after. Every request goes to
//! `127.0.0.1` only (the issuer has passed the loopback guard), and every flood is bounded in
//! count and time.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::load::Throughput;

/// What the soak found.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Hostile {
    /// Junk requests sent, and how many got an answer (any status) before the connection closed.
    pub junk_sent: u64,
    pub junk_answered: u64,
    /// Answers with a 5xx status: none is expected.
    pub junk_server_errors: u64,
    /// Bytes of junk sent in all.
    pub junk_bytes: u64,
    pub rss_before_kib: Option<u64>,
    pub rss_after_junk_kib: Option<u64>,
    /// Connections held open during the measurement under attack (idle, or half a request).
    pub idle_connections: usize,
    /// Code flows while they were held.
    pub code_flow_under_attack: Option<Throughput>,
    pub rss_after_attack_kib: Option<u64>,
}

/// The kinds of junk, sent in turn.
fn junk(i: u64, host: &str) -> Vec<u8> {
    match i % 6 {
        // A form just under the body limit, of control bytes, echoed nowhere now.
        0 => {
            let body = format!("grant_type={}&client_id=demo-web", "%01".repeat(300_000));
            post(host, "/token", "application/x-www-form-urlencoded", &body)
        }
        // As much query as a URI holds, at the authorization endpoint.
        1 => {
            let query: String = (0..60)
                .map(|p| format!("p{p}={}&", "x".repeat(1000)))
                .collect();
            format!("GET /authorize?client_id=demo-web&{query} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n")
                .into_bytes()
        }
        // A body over the limit.
        2 => post(
            host,
            "/token",
            "application/x-www-form-urlencoded",
            &"a".repeat(2 * 1024 * 1024),
        ),
        // Not HTTP at all.
        3 => {
            let mut bytes = vec![0xffu8; 4096];
            bytes.extend_from_slice(b"\r\n\r\n");
            bytes
        }
        // Headers past what a server takes.
        4 => format!(
            "GET / HTTP/1.1\r\nHost: {host}\r\nX-Junk: {}\r\nConnection: close\r\n\r\n",
            "j".repeat(512 * 1024)
        )
        .into_bytes(),
        // JSON where a form belongs, deeply nested.
        _ => post(
            host,
            "/token",
            "application/json",
            &format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)),
        ),
    }
}

fn post(host: &str, path: &str, content_type: &str, body: &str) -> Vec<u8> {
    format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Sends `count` junk requests, `concurrency` at a time, for at most `budget`.
pub async fn flood(
    addr: std::net::SocketAddr,
    count: u64,
    concurrency: usize,
    budget: Duration,
    report: &mut Hostile,
) {
    let host = addr.to_string();
    let next = Arc::new(AtomicU64::new(0));
    let answered = Arc::new(AtomicU64::new(0));
    let server_errors = Arc::new(AtomicU64::new(0));
    let bytes = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + budget;
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (next, answered, server_errors, bytes, host) = (
                next.clone(),
                answered.clone(),
                server_errors.clone(),
                bytes.clone(),
                host.clone(),
            );
            tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= count || Instant::now() >= deadline {
                        break;
                    }
                    let request = junk(i, &host);
                    bytes.fetch_add(request.len() as u64, Ordering::Relaxed);
                    if let Some(status) = send(addr, &request).await {
                        answered.fetch_add(1, Ordering::Relaxed);
                        if status >= 500 {
                            server_errors.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            })
        })
        .collect();
    for worker in workers {
        let _ = worker.await;
    }
    report.junk_sent = next.load(Ordering::Relaxed).min(count);
    report.junk_answered = answered.load(Ordering::Relaxed);
    report.junk_server_errors = server_errors.load(Ordering::Relaxed);
    report.junk_bytes = bytes.load(Ordering::Relaxed);
}

/// One request on a connection of its own; the status of the answer, if one came in 10 s.
async fn send(addr: std::net::SocketAddr, request: &[u8]) -> Option<u16> {
    let exchange = async {
        let mut stream = TcpStream::connect(addr).await.ok()?;
        // The server may answer (413, 431) and close before the whole request is written.
        let _ = stream.write_all(request).await;
        let mut head = [0u8; 16];
        let n = stream.read(&mut head).await.ok()?;
        let text = std::str::from_utf8(&head[..n]).ok()?;
        text.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()
    };
    tokio::time::timeout(Duration::from_secs(10), exchange)
        .await
        .ok()
        .flatten()
}

/// Opens `count` connections and keeps them: every other one silent, the rest with half a
/// request head. Connections the server refuses are not retried.
pub async fn hold(addr: std::net::SocketAddr, count: usize) -> Vec<TcpStream> {
    let mut held = Vec::with_capacity(count);
    for i in 0..count {
        let Ok(Ok(mut stream)) =
            tokio::time::timeout(Duration::from_secs(2), TcpStream::connect(addr)).await
        else {
            continue;
        };
        if i % 2 == 1 {
            let _ = stream
                .write_all(b"GET /.well-known/openid-configuration HTTP/1.1\r\nHost: x\r\n")
                .await;
        }
        held.push(stream);
    }
    held
}
