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
use hyper_util::server::graceful::GracefulShutdown;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::time::Instant;
use tower::ServiceExt as _;

use crate::control::DropConnection;
use crate::limits::Limits;

/// The address of the connection a request came on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Peer(pub SocketAddr);

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

/// Serves `router` on `listener` until `shutdown` completes, within `limits`.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let graceful = GracefulShutdown::new();
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.read_timeout);
    builder.http2().timer(TokioTimer::new());
    let slots = Arc::new(Semaphore::new(connection_cap(&limits)));
    tokio::pin!(shutdown);
    loop {
        // A slot first: at the cap, new connections wait in the listen queue.
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request.extensions_mut().insert(Peer(peer));
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
        let stream = Watched::new(stream);
        let activity = stream.activity.clone();
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), service)
            .into_owned();
        let connection = graceful.watch(connection);
        let idle_timeout = limits.idle_timeout;
        tokio::spawn(async move {
            let _slot = slot;
            tokio::select! {
                ended = connection => if let Err(e) = ended {
                    tracing::debug!(error = %e, "connection ended");
                },
                () = activity.idle_for(idle_timeout) => {
                    tracing::debug!(%peer, "idle connection closed");
                }
            }
            crate::memory::freed(crate::memory::CONNECTION);
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(Duration::from_secs(5), graceful.shutdown()).await;
    Ok(())
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
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Spawned {
    /// Serves `router` on `listener` from a new task, within `limits`.
    pub fn start(listener: TcpListener, router: Router, limits: Limits) -> std::io::Result<Self> {
        let addr = listener.local_addr()?;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(serve(listener, router, limits, async {
            let _ = rx.await;
        }));
        Ok(Self {
            addr,
            shutdown: Some(tx),
            task: Some(task),
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
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

    /// Its base URL, `http://127.0.0.1:{port}`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr())
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
