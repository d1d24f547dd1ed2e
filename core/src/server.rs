//! The serve loop every fauxauth server uses.
//!
//! `axum::serve` cannot close a connection without answering, which a "dropped connection" rule
//! needs, and does not hand the peer address to middleware without `ConnectInfo` plumbing. This
//! loop serves the router through hyper directly: a response marked [`DropConnection`] turns into
//! a service error, on which hyper closes the connection unanswered; every request carries the
//! [`Peer`] address as an extension. Shutdown is graceful: no new connections, and requests in
//! flight finish (for up to five seconds).
//!
//! Every connection is bounded by [`Limits`]: hyper's header read timeout (HTTP/1.1, which also
//! bounds the wait between keep-alive requests), an idle timeout of its own (no byte moved
//! either way, which covers a connection that never says which HTTP it speaks, HTTP/2, and a
//! client that stops reading), and a cap on connections held at once, below the process's file
//! descriptor limit, so that `accept` never fails for want of descriptors.

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::time::Instant;
use tower::ServiceExt as _;

use crate::control::DropConnection;
use crate::limits::Limits;
use crate::tls::Tls;

/// The address of the connection a request came on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Peer(pub SocketAddr);

/// Marks a request that came over TLS (a request extension, beside [`Peer`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Secure;

/// The error that tells hyper to drop a connection.
#[derive(Debug, thiserror::Error)]
#[error("connection dropped by rule")]
struct Dropped;

/// Descriptors kept back from connections: the listener, files, the process's own clients.
const RESERVED_DESCRIPTORS: u64 = 128;

/// Raises this process's soft limit on open files to its hard limit, as servers do at start;
/// returns the limit now in force. Call it once, from `main`.
pub fn raise_descriptor_limit() -> io::Result<u64> {
    rlimit::increase_nofile_limit(u64::MAX)
}

/// The connections `limits` allow, lowered to what the descriptor limit leaves room for.
pub fn connection_cap(limits: &Limits) -> usize {
    let fit = rlimit::getrlimit(rlimit::Resource::NOFILE)
        .map(|(soft, _)| soft.saturating_sub(RESERVED_DESCRIPTORS).max(1))
        .unwrap_or(u64::MAX);
    limits
        .max_connections
        .min(usize::try_from(fit).unwrap_or(usize::MAX))
        .max(1)
}

/// A socket a server accepts connections on: plain HTTP, or HTTPS with [`Tls`].
#[derive(Debug)]
pub struct Listener {
    tcp: TcpListener,
    tls: Option<Tls>,
}

impl Listener {
    /// HTTPS on `tcp`.
    pub fn tls(tcp: TcpListener, tls: Tls) -> Self {
        Self {
            tcp,
            tls: Some(tls),
        }
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.tcp.local_addr()
    }

    /// `https` or `http`.
    pub fn scheme(&self) -> &'static str {
        if self.tls.is_some() { "https" } else { "http" }
    }

    /// The URL of a server listening here: a wildcard address is reached on loopback.
    pub fn url(&self) -> io::Result<String> {
        Ok(url_for(self.scheme(), self.local_addr()?))
    }
}

impl From<TcpListener> for Listener {
    fn from(tcp: TcpListener) -> Self {
        Self { tcp, tls: None }
    }
}

/// The URL clients use for a server at `addr`: a wildcard address is reached on loopback.
pub fn url_for(scheme: &str, addr: SocketAddr) -> String {
    match addr {
        SocketAddr::V4(a) if a.ip().is_unspecified() => {
            format!("{scheme}://127.0.0.1:{}", a.port())
        }
        SocketAddr::V6(a) if a.ip().is_unspecified() => format!("{scheme}://[::1]:{}", a.port()),
        a => format!("{scheme}://{a}"),
    }
}

/// Serves `router` on `listener` until `shutdown` completes, within `limits`.
pub async fn serve(
    listener: impl Into<Listener>,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_all(vec![listener.into()], router, limits, shutdown).await
}

/// Serves `router` on every listener (HTTP and HTTPS side by side) until `shutdown` completes,
/// within `limits`, which the listeners share.
pub async fn serve_all(
    listeners: Vec<Listener>,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let cap = connection_cap(&limits);
    let slots = Arc::new(Semaphore::new(cap));
    let (closing, _) = watch::channel(false);
    let mut loops = tokio::task::JoinSet::new();
    for listener in listeners {
        loops.spawn(accept_loop(
            listener,
            router.clone(),
            limits,
            slots.clone(),
            closing.subscribe(),
        ));
    }
    shutdown.await;
    closing.send_replace(true);
    while loops.join_next().await.is_some() {}
    // Every connection holds a slot until it ends: all of them back means all ended.
    let cap = u32::try_from(cap).unwrap_or(u32::MAX);
    let _ = tokio::time::timeout(Duration::from_secs(5), slots.acquire_many(cap)).await;
    Ok(())
}

/// Accepts connections on `listener` until `closing` turns true.
async fn accept_loop(
    listener: Listener,
    router: Router,
    limits: Limits,
    slots: Arc<Semaphore>,
    mut closing: watch::Receiver<bool>,
) {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.read_timeout);
    builder.http2().timer(TokioTimer::new());
    let builder = Arc::new(builder);
    let Listener { tcp, tls } = listener;
    loop {
        // A slot first: at the cap, new connections wait in the listen queue.
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
            () = closed(&mut closing) => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = tcp.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = closed(&mut closing) => break,
        };
        let _ = stream.set_nodelay(true);
        let connection = Connection {
            router: router.clone(),
            builder: builder.clone(),
            peer,
            limits,
            closing: closing.clone(),
        };
        let tls = tls.clone();
        tokio::spawn(async move {
            let _slot = slot;
            let stream = Watched::new(stream);
            match tls {
                None => connection.serve(stream, None).await,
                Some(tls) => {
                    let (changes, _epoch) = tls.changes();
                    let handshake = tls.acceptor().accept(stream);
                    match tokio::time::timeout(limits.read_timeout, handshake).await {
                        Ok(Ok(stream)) => connection.serve(stream, Some(changes)).await,
                        Ok(Err(e)) => {
                            tls.handshake_failed();
                            tracing::debug!(%peer, error = %e, "TLS handshake failed");
                        }
                        Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                    }
                }
            }
            crate::memory::freed(crate::memory::CONNECTION);
        });
    }
}

/// Completes once `closing` is true (or its sender is gone).
async fn closed(closing: &mut watch::Receiver<bool>) {
    let _ = closing.wait_for(|c| *c).await;
}

/// One accepted connection, and what serving it needs.
struct Connection {
    router: Router,
    builder: Arc<auto::Builder<TokioExecutor>>,
    peer: SocketAddr,
    limits: Limits,
    closing: watch::Receiver<bool>,
}

impl Connection {
    /// Serves HTTP on `stream` until the peer is done, the connection is idle too long, or the
    /// server closes; then (and when `changes` says the certificate changed) requests in flight
    /// finish and the connection closes.
    async fn serve<S>(mut self, stream: S, mut changes: Option<watch::Receiver<u64>>)
    where
        S: Watch + AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let peer = self.peer;
        let secure = changes.is_some();
        let router = self.router.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(Peer(peer));
            if secure {
                request.extensions_mut().insert(Secure);
            }
            let router = router.clone();
            async move {
                let response = match router.oneshot(request.map(Body::new)).await {
                    Ok(response) => response,
                    Err(never) => match never {},
                };
                if response.extensions().get::<DropConnection>().is_some() {
                    return Err(Dropped);
                }
                Ok::<_, Dropped>(response)
            }
        });
        let activity = stream.activity().clone();
        let connection = self
            .builder
            .serve_connection_with_upgrades(TokioIo::new(stream), service);
        tokio::pin!(connection);
        let idle = activity.idle_for(self.limits.idle_timeout);
        tokio::pin!(idle);
        let mut winding_down = false;
        loop {
            tokio::select! {
                ended = connection.as_mut() => {
                    if let Err(e) = ended {
                        tracing::debug!(error = %e, "connection ended");
                    }
                    return;
                }
                () = &mut idle => {
                    tracing::debug!(%peer, "idle connection closed");
                    return;
                }
                () = closed(&mut self.closing), if !winding_down => {
                    winding_down = true;
                    connection.as_mut().graceful_shutdown();
                }
                changed = async { changes.as_mut().expect("guarded").changed().await },
                    if !winding_down && changes.is_some() => {
                    if changed.is_ok() {
                        winding_down = true;
                        connection.as_mut().graceful_shutdown();
                    } else {
                        changes = None;
                    }
                }
            }
        }
    }
}

/// A stream whose byte movements are watched, for the idle timeout.
trait Watch {
    fn activity(&self) -> &Arc<Activity>;
}

impl Watch for Watched {
    fn activity(&self) -> &Arc<Activity> {
        &self.activity
    }
}

impl Watch for tokio_rustls::server::TlsStream<Watched> {
    fn activity(&self) -> &Arc<Activity> {
        &self.get_ref().0.activity
    }
}

/// When a connection last moved a byte, in nanoseconds after `base`.
#[derive(Debug)]
struct Activity {
    base: Instant,
    last: AtomicU64,
}

impl Activity {
    fn touch(&self) {
        let since = u64::try_from(self.base.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.last.store(since, Ordering::Relaxed);
    }

    /// Completes once no byte has moved for `idle`.
    async fn idle_for(&self, idle: Duration) {
        loop {
            let last = self.base + Duration::from_nanos(self.last.load(Ordering::Relaxed));
            let deadline = last + idle;
            if Instant::now() >= deadline {
                return;
            }
            tokio::time::sleep_until(deadline).await;
        }
    }
}

/// A TCP stream that notes when bytes move, for the idle timeout.
#[derive(Debug)]
struct Watched {
    stream: TcpStream,
    activity: Arc<Activity>,
}

impl Watched {
    fn new(stream: TcpStream) -> Self {
        Self {
            stream,
            activity: Arc::new(Activity {
                base: Instant::now(),
                last: AtomicU64::new(0),
            }),
        }
    }
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.touch();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.stream).poll_write(cx, buf);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// A server running on a task of its own (for tests and embedding). Stops when dropped.
#[derive(Debug)]
pub struct Spawned {
    addr: SocketAddr,
    scheme: &'static str,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Spawned {
    /// Serves `router` on `listener` from a new task, within `limits`.
    pub fn start(
        listener: impl Into<Listener>,
        router: Router,
        limits: Limits,
    ) -> std::io::Result<Self> {
        Self::start_all(vec![listener.into()], router, limits)
    }

    /// Serves `router` on every listener from a new task, within `limits`. The first listener
    /// is the one [`Spawned::addr`] and [`Spawned::url`] name.
    pub fn start_all(
        listeners: Vec<Listener>,
        router: Router,
        limits: Limits,
    ) -> std::io::Result<Self> {
        let first = listeners.first().ok_or_else(|| {
            io::Error::new(io::ErrorKind::InvalidInput, "no listener to serve on")
        })?;
        let addr = first.local_addr()?;
        let scheme = first.scheme();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(serve_all(listeners, router, limits, async {
            let _ = rx.await;
        }));
        Ok(Self {
            addr,
            scheme,
            shutdown: Some(tx),
            task: Some(task),
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its base URL, `http://127.0.0.1:{port}` (`https` over TLS).
    pub fn url(&self) -> String {
        url_for(self.scheme, self.addr)
    }

    /// Stops accepting, and waits (up to five seconds) for requests in flight to finish.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = tokio::time::timeout(Duration::from_secs(6), task).await;
        }
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// A server on its own task, with the state that scripts it (for tests and embedding). Stops
/// when dropped.
#[derive(Debug)]
pub struct Running<S> {
    server: Spawned,
    state: S,
}

impl<S> Running<S> {
    pub fn new(server: Spawned, state: S) -> Self {
        Self { server, state }
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.server.addr()
    }

    /// Its base URL, `http://127.0.0.1:{port}` (`https` over TLS).
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// The handle to script it.
    pub fn state(&self) -> &S {
        &self.state
    }

    /// Stops it, and waits (briefly) for requests in flight to finish.
    pub async fn stop(self) {
        self.server.stop().await;
    }
}
