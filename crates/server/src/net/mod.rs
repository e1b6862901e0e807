//! The connection layer: accepts TCP connections (TLS with rustls when
//! configured), bounds what a slow or hostile client can hold, serves the
//! router on each connection over HTTP/1.1, and drains on shutdown.
//!
//! Bounds, each a setting ([`ConnLimits`]): concurrent connections (more are
//! closed at once), the TLS handshake, the wait for the next request on a
//! kept-alive connection (idle), the time to send a request head once
//! started (header), the time to send a body ([`body`]), and how long
//! in-flight requests and open streams may run after shutdown begins.

pub mod body;
mod io;
pub mod tls;

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tower::ServiceExt as _;

use self::io::{Busy, HeadTimeouts, TimedIo};
pub use self::tls::{ClientIdentity, ServerTls, TlsError};

/// What one client may hold, and how long anything may take.
#[derive(Debug, Clone)]
pub struct ConnLimits {
    /// Most connections open at once; more are closed as they arrive (1,024).
    pub max_connections: usize,
    /// A request head must be complete this long after its first byte (10 s).
    pub header_timeout: Duration,
    /// A kept-alive connection with no request for this long is closed (60 s).
    pub idle_timeout: Duration,
    /// A request body must be received within this (30 s); else 408.
    pub body_timeout: Duration,
    /// The TLS handshake must be done within this (10 s).
    pub handshake_timeout: Duration,
    /// After shutdown begins, in-flight requests and open streams get this
    /// long before their connections are dropped (2 s).
    pub shutdown_grace: Duration,
}

impl Default for ConnLimits {
    fn default() -> Self {
        Self {
            max_connections: 1024,
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            body_timeout: Duration::from_secs(30),
            handshake_timeout: Duration::from_secs(10),
            shutdown_grace: Duration::from_secs(2),
        }
    }
}

/// Serves `app` on `listener` until `shutdown` completes, then stops
/// accepting, lets in-flight work finish for [`ConnLimits::shutdown_grace`]
/// and drops what is left.
///
/// # Errors
/// Never for client misbehaviour (those connections are closed and counted);
/// only when the listener itself is unusable.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    tls: Option<ServerTls>,
    limits: ConnLimits,
    shutdown: impl Future<Output = ()>,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = listener.accept() => {
                let (stream, peer) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // Out of file descriptors and the like: wait a moment rather than spin.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let Ok(slot) = slots.clone().try_acquire_owned() else {
                    metrics::counter!("deconflict_http_refused_total", "reason" => "too_many_connections").increment(1);
                    drop(stream);
                    continue;
                };
                let (app, tls, limits, watcher) = (app.clone(), tls.clone(), limits.clone(), graceful.watcher());
                connections.spawn(async move {
                    metrics::gauge!("deconflict_http_connections").increment(1.0);
                    connection(stream, peer, app, tls, &limits, watcher).await;
                    metrics::gauge!("deconflict_http_connections").decrement(1.0);
                    drop(slot);
                });
            }
        }
    }
    drop(listener);
    if tokio::time::timeout(limits.shutdown_grace, graceful.shutdown()).await.is_err() {
        tracing::info!(open = connections.len(), "shutdown grace over: dropping the connections still open");
    }
    connections.abort_all();
    while connections.join_next().await.is_some() {}
    Ok(())
}

async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    app: Router,
    tls: Option<ServerTls>,
    limits: &ConnLimits,
    watcher: hyper_util::server::graceful::Watcher,
) {
    let _ = stream.set_nodelay(true);
    let Some(tls) = tls else {
        return http(stream, peer, None, app, limits, watcher).await;
    };
    match tokio::time::timeout(limits.handshake_timeout, tls.acceptor().accept(stream)).await {
        Ok(Ok(stream)) => {
            let identity =
                stream.get_ref().1.peer_certificates().and_then(<[_]>::first).map(ClientIdentity::of);
            http(stream, peer, identity, app, limits, watcher).await;
        }
        Ok(Err(e)) => {
            metrics::counter!("deconflict_http_refused_total", "reason" => "tls_handshake").increment(1);
            tracing::debug!(%peer, error = %e, "TLS handshake failed");
        }
        Err(_) => {
            metrics::counter!("deconflict_http_refused_total", "reason" => "tls_handshake_timeout")
                .increment(1);
        }
    }
}

/// HTTP/1.1 on one connection, each request with the peer's address (and
/// client certificate identity) in its extensions.
async fn http<S>(
    stream: S,
    peer: SocketAddr,
    identity: Option<ClientIdentity>,
    app: Router,
    limits: &ConnLimits,
    watcher: hyper_util::server::graceful::Watcher,
) where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let busy = Arc::new(Busy::default());
    let timeouts = HeadTimeouts { idle: limits.idle_timeout, header: limits.header_timeout };
    let io = TokioIo::new(TimedIo::new(stream, busy.clone(), timeouts));
    let service = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
        let (app, busy) = (app.clone(), busy.clone());
        let mut req = req.map(Body::new);
        req.extensions_mut().insert(ConnectInfo(peer));
        if let Some(id) = &identity {
            req.extensions_mut().insert(id.clone());
        }
        busy.begin();
        async move {
            let response = match app.oneshot(req).await {
                Ok(r) => r,
                Err(never) => match never {},
            };
            Ok::<_, Infallible>(response.map(|b| Body::new(EndsRequest { inner: b, busy })))
        }
    });
    let conn = hyper::server::conn::http1::Builder::new().keep_alive(true).serve_connection(io, service);
    if let Err(e) = watcher.watch(conn).await {
        let timed_out = std::error::Error::source(&e)
            .and_then(|s| s.downcast_ref::<std::io::Error>())
            .is_some_and(|io| io.kind() == std::io::ErrorKind::TimedOut);
        if timed_out {
            metrics::counter!("deconflict_http_refused_total", "reason" => "slow_or_idle_client")
                .increment(1);
        }
        tracing::debug!(%peer, error = %e, "connection ended with an error");
    }
}

/// A response body that marks the connection free when it has been written
/// (hyper drops it then), so the idle timeout starts.
struct EndsRequest {
    inner: Body,
    busy: Arc<Busy>,
}

impl Drop for EndsRequest {
    fn drop(&mut self) {
        self.busy.end();
    }
}

impl http_body::Body for EndsRequest {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
