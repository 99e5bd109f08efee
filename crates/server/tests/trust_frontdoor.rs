//! Issue 14, the front door: connections that send slowly or idle are closed (hole 13). Each scenario runs on
//! SQLite and PostgreSQL.

mod common;

use common::TestApp;
use madoguchi_kernel::config::Config;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Like `both!`, with the configuration adjusted by `$configure` before the server starts.
macro_rules! both_configured {
    ($configure:ident: $($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = $crate::common::TestApp::spawn_configured(
                    $crate::common::Backend::Sqlite, false, super::$configure).await;
                super::$name(&app).await;
                app.finish().await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let app = $crate::common::TestApp::spawn_configured(
                    $crate::common::Backend::Postgres, false, super::$configure).await;
                super::$name(&app).await;
                app.finish().await;
            }
        }
    )*};
}

// ---------------------------------------------------------------------------------------------------------
// Hole 13: timeouts.

/// Short timeouts, so the tests wait about a second.
fn short_timeouts(c: &mut Config) {
    c.http.header_read_timeout_secs = 1;
    c.http.request_timeout_secs = 2;
    c.http.body_idle_timeout_secs = 10;
    c.http.idle_timeout_secs = 2;
}

both_configured!(short_timeouts:
    slow_headers_are_cut_off_after_the_header_timeout,
    an_idle_keep_alive_connection_is_closed,
    a_normal_client_is_served_and_may_reuse_its_connection,
    a_request_whose_body_never_arrives_ends_with_408,
);

fn socket_addr(app: &TestApp) -> String {
    app.addr.trim_start_matches("http://").to_string()
}

/// Reads until the server closes the connection (EOF or reset); the time it took, or `None` past `limit`.
/// Returns what was read too.
async fn read_until_closed(
    reader: &mut (impl AsyncReadExt + Unpin),
    limit: Duration,
) -> (Option<Duration>, String) {
    let started = Instant::now();
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let left = limit.saturating_sub(started.elapsed());
        match tokio::time::timeout(left, reader.read(&mut buf)).await {
            Err(_) => return (None, String::from_utf8_lossy(&seen).into_owned()),
            Ok(Ok(0)) | Ok(Err(_)) => {
                return (
                    Some(started.elapsed()),
                    String::from_utf8_lossy(&seen).into_owned(),
                );
            }
            Ok(Ok(n)) => seen.extend_from_slice(&buf[..n]),
        }
    }
}

/// Reads one whole response to `GET /healthz` (body `ok`).
async fn read_healthz_response(stream: &mut TcpStream) -> String {
    let mut seen = Vec::new();
    let mut buf = [0u8; 1024];
    while !String::from_utf8_lossy(&seen).ends_with("\r\n\r\nok") {
        let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf))
            .await
            .expect("response in time")
            .unwrap();
        assert!(n > 0, "closed before the response was complete");
        seen.extend_from_slice(&buf[..n]);
    }
    String::from_utf8_lossy(&seen).into_owned()
}

async fn slow_headers_are_cut_off_after_the_header_timeout(app: &TestApp) {
    // The attack: one header line every 300 ms (every 14 s in the wild), never the blank line.
    let stream = TcpStream::connect(socket_addr(app)).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    let trickle = tokio::spawn(async move {
        let _ = writer
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: test\r\n")
            .await;
        for i in 0..30 {
            tokio::time::sleep(Duration::from_millis(300)).await;
            if writer
                .write_all(format!("X-Slow-{i}: 1\r\n").as_bytes())
                .await
                .is_err()
            {
                return;
            }
        }
    });
    let (closed, answer) = read_until_closed(&mut reader, Duration::from_secs(6)).await;
    trickle.abort();
    let closed = closed.expect("the slow connection is closed");
    assert!(
        closed < Duration::from_secs(4),
        "closed after {closed:?}, the header timeout is 1 s"
    );
    assert!(
        !answer.contains("\r\n\r\nok"),
        "the request was never served: {answer}"
    );
}

async fn an_idle_keep_alive_connection_is_closed(app: &TestApp) {
    let mut stream = TcpStream::connect(socket_addr(app)).await.unwrap();
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
        .await
        .unwrap();
    let first = read_healthz_response(&mut stream).await;
    assert!(first.starts_with("HTTP/1.1 200"), "{first}");
    // Keep-alive was offered (no `Connection: close`), and the connection is then left idle.
    assert!(!first.to_ascii_lowercase().contains("connection: close"));
    let (closed, rest) = read_until_closed(&mut stream, Duration::from_secs(6)).await;
    let closed = closed.expect("the idle connection is closed");
    assert!(closed < Duration::from_secs(4), "closed after {closed:?}");
    assert!(rest.is_empty(), "nothing more was sent: {rest}");
}

async fn a_normal_client_is_served_and_may_reuse_its_connection(app: &TestApp) {
    let (status, body) = app.get_text("/healthz").await;
    assert_eq!((status, body.as_str()), (200, "ok"));
    // Two requests, one after the other, on one connection: keep-alive still works within the timeouts.
    let mut stream = TcpStream::connect(socket_addr(app)).await.unwrap();
    for _ in 0..2 {
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
            .await
            .unwrap();
        let r = read_healthz_response(&mut stream).await;
        assert!(r.starts_with("HTTP/1.1 200"), "{r}");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    // A page that reads the database answers normally too.
    let (status, _) = app.get_text("/t/390003").await;
    assert_eq!(status, 200);
}

async fn a_request_whose_body_never_arrives_ends_with_408(app: &TestApp) {
    let mut stream = TcpStream::connect(socket_addr(app)).await.unwrap();
    stream
        .write_all(
            b"POST /staff/login HTTP/1.1\r\nHost: test\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nlogin=a",
        )
        .await
        .unwrap();
    let (closed, answer) = read_until_closed(&mut stream, Duration::from_secs(8)).await;
    assert!(
        answer.starts_with("HTTP/1.1 408"),
        "the request timeout answers 408: {answer}"
    );
    let closed = closed.expect("the connection is closed after the 408");
    assert!(closed < Duration::from_secs(6), "closed after {closed:?}");
}
