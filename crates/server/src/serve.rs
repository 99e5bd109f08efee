//! The serving loop: the one place connections are accepted, by the binary and the test harness alike.
//!
//! `axum::serve` sets no timeout at all, so a client sending one header line every few seconds held a
//! connection (and its memory) for ever. Here every connection is bounded ([`HttpConfig`]):
//! - the request head must arrive within `header_read_timeout_secs` (hyper's header timer; hyper starts it as
//!   soon as a connection waits for a request, so an idle HTTP/1.1 keep-alive connection closes after it too);
//! - a request must reach its response within `request_timeout_secs` (408), and its body may not pause for
//!   more than `body_idle_timeout_secs` (tower-http's timeouts);
//! - a connection on which no byte moved either way for `idle_timeout_secs` while no request was being
//!   handled is dropped (a client that stops reading its response, or idles between requests).
//!
//! Each request carries `ConnectInfo<SocketAddr>`, from which `kernel::client::ClientAddr` takes the client.

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use madoguchi_kernel::client::TrustedProxies;
use madoguchi_kernel::config::HttpConfig;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;
use tower::ServiceExt;
use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutLayer};

/// Serves `router` on `listener` with the timeouts of `config` until `shutdown` resolves; then stops
/// accepting and lets open requests finish (at most `shutdown_grace_secs`). Fails at once when
/// `trusted_proxies` holds an entry that is not an address or CIDR block.
pub async fn run(
    listener: TcpListener,
    router: Router,
    config: &HttpConfig,
    shutdown: impl Future<Output = ()> + Send,
) -> anyhow::Result<()> {
    TrustedProxies::parse(&config.trusted_proxies).map_err(anyhow::Error::msg)?;
    let secs = |s: u64| Duration::from_secs(s.max(1));
    let idle = secs(config.idle_timeout_secs);
    let router = router
        .layer(RequestBodyTimeoutLayer::new(secs(
            config.body_idle_timeout_secs,
        )))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            secs(config.request_timeout_secs),
        ));
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(secs(config.header_read_timeout_secs))
        .keep_alive(true);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait instead of spinning, keep serving.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let activity = Arc::new(Activity::new());
        let io = TokioIo::new(Watched {
            inner: stream,
            activity: activity.clone(),
        });
        let router = router.clone();
        let in_handler = activity.clone();
        let service = hyper::service::service_fn(move |mut req: Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            let busy = Busy::start(in_handler.clone());
            let call = router.clone().oneshot(req.map(Body::new));
            async move {
                let response = call.await;
                drop(busy);
                response
            }
        });
        let conn = graceful.watch(http.serve_connection(io, service));
        tokio::spawn(async move {
            let mut conn = std::pin::pin!(conn);
            loop {
                // While a request is in its handler the connection may be quiet for long; look again an
                // idle period later instead of waking at once for ever.
                let deadline =
                    (activity.last() + idle).max(Instant::now() + Duration::from_millis(100));
                tokio::select! {
                    result = &mut conn => {
                        if let Err(e) = result {
                            tracing::debug!(%peer, error = %e, "connection ended with an error");
                        }
                        return;
                    }
                    () = tokio::time::sleep_until(deadline) => {
                        if activity.idle_for() >= idle && activity.busy() == 0 {
                            tracing::debug!(%peer, "closing an idle connection");
                            return;
                        }
                    }
                }
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(secs(config.shutdown_grace_secs), graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("connections still open after the shutdown grace period; closing them");
    }
    Ok(())
}

/// When a connection last moved a byte, and how many of its requests are in a handler.
struct Activity {
    start: Instant,
    last_ms: AtomicU64,
    busy: AtomicUsize,
}

impl Activity {
    fn new() -> Self {
        Self {
            start: Instant::now(),
            last_ms: AtomicU64::new(0),
            busy: AtomicUsize::new(0),
        }
    }

    fn touch(&self) {
        let ms = self.start.elapsed().as_millis() as u64;
        self.last_ms.store(ms, Ordering::Relaxed);
    }

    fn last(&self) -> Instant {
        self.start + Duration::from_millis(self.last_ms.load(Ordering::Relaxed))
    }

    fn idle_for(&self) -> Duration {
        Instant::now().saturating_duration_since(self.last())
    }

    fn busy(&self) -> usize {
        self.busy.load(Ordering::Relaxed)
    }
}

/// Marks a request as being in its handler until dropped (also when the client goes away mid-request).
struct Busy(Arc<Activity>);

impl Busy {
    fn start(activity: Arc<Activity>) -> Self {
        activity.busy.fetch_add(1, Ordering::Relaxed);
        Busy(activity)
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.touch();
        self.0.busy.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A socket that notes when bytes move through it.
struct Watched {
    inner: TcpStream,
    activity: Arc<Activity>,
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
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
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, data);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
