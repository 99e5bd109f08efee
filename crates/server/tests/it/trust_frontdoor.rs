//! Issue 14, the front door: connections that send slowly or idle are closed (hole 13), and public actions and
//! staff login are rate limited per client address and per target, with counters in the database shared by
//! every instance (hole 7). Each scenario runs on SQLite and PostgreSQL.

use crate::common;

use common::{Backend, TestApp, csrf_of, page_text};
use madoguchi_kernel::config::{Config, Limit, RateLimitConfig};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

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

/// A long request timeout and a short body inactivity timeout.
fn short_body_pause(c: &mut Config) {
    c.http.request_timeout_secs = 60;
    c.http.body_idle_timeout_secs = 1;
}

both_configured!(short_body_pause: a_request_body_that_pauses_too_long_is_refused);

async fn a_request_body_that_pauses_too_long_is_refused(app: &TestApp) {
    // The body starts, then stops for good: refused after the 1 s pause, long before the request timeout.
    let mut stream = TcpStream::connect(socket_addr(app)).await.unwrap();
    stream
        .write_all(
            b"POST /staff/login HTTP/1.1\r\nHost: test\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\nlogin=a",
        )
        .await
        .unwrap();
    let (closed, answer) = read_until_closed(&mut stream, Duration::from_secs(8)).await;
    assert!(
        answer.starts_with("HTTP/1.1 4"),
        "a client error, not a handled login: {answer}"
    );
    let closed = closed.expect("the connection is closed");
    assert!(closed < Duration::from_secs(5), "closed after {closed:?}");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'login_failed'")
            .await,
        0
    );
}

// ---------------------------------------------------------------------------------------------------------
// Hole 7: rate limits.

/// Small limits, and 127.0.0.1 as a trusted proxy so that each test client can name its own address in
/// `X-Forwarded-For`, as a load balancer would.
fn small_limits(c: &mut Config) {
    c.http.trusted_proxies = vec!["127.0.0.1".into()];
    c.rate_limits = RateLimitConfig {
        api_submissions_per_client: Limit::new(3, 600),
        api_submissions_per_form: Limit::new(5, 600),
        form_posts_per_client: Limit::new(2, 600),
        faq_questions_per_client: Limit::new(2, 600),
        signin_mails_per_client: Limit::new(2, 3600),
        login_failures_per_login: Limit::new(3, 900),
        login_failures_per_client: Limit::new(5, 900),
        login_failure_delay_ms: 1,
        upload_megabytes_per_client: Limit::new(3, 3600),
        ..RateLimitConfig::off()
    };
}

/// The same limits without a trusted proxy: the socket's peer is the client, whatever it writes.
fn small_limits_no_proxy(c: &mut Config) {
    small_limits(c);
    c.http.trusted_proxies.clear();
}

both_configured!(small_limits:
    api_submissions_past_the_clients_limit_get_429_and_are_not_stored,
    api_submissions_past_the_forms_limit_get_429_whoever_sends_them,
    public_form_posts_past_the_clients_limit_get_a_japanese_429_page,
    faq_questions_past_the_limit_are_refused_and_not_logged,
    signin_mails_past_the_clients_limit_are_not_sent,
    staff_login_locks_a_login_id_after_repeated_failures_and_audits_it,
    staff_login_locks_a_client_that_tries_many_login_ids,
    two_instances_sharing_a_database_share_the_counters,
);

both_configured!(small_limits_no_proxy: a_forwarded_for_header_from_an_untrusted_peer_is_ignored);

const SEMINAR_API: &str = "/api/v1/t/390003/forms/dx-seminar/submissions";

fn seminar_answers(i: usize) -> serde_json::Value {
    serde_json::json!({"answers": {
        "name": {"name": format!("申請者 {i}"), "furigana": "しんせいしゃ"},
        "email": format!("a{i}@example.jp"), "attendance": "venue", "consent": true}})
}

async fn api_submit(app: &TestApp, base: &str, client_ip: &str, i: usize) -> reqwest::Response {
    app.client
        .post(format!("{base}{SEMINAR_API}"))
        .header("x-forwarded-for", client_ip)
        .json(&seminar_answers(i))
        .send()
        .await
        .unwrap()
}

async fn submissions(app: &TestApp) -> i64 {
    app.scalar("SELECT COUNT(*) FROM submissions").await
}

/// A 429 from the API: JSON `ApiError` with code `rate_limited`, a Japanese message and `Retry-After`.
async fn assert_api_429(r: reqwest::Response) {
    assert_eq!(r.status().as_u16(), 429);
    let retry: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=600).contains(&retry), "Retry-After {retry}");
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "rate_limited");
    let message = v["error"]["message"].as_str().unwrap();
    assert!(message.contains("待って"), "{message}");
}

async fn api_submissions_past_the_clients_limit_get_429_and_are_not_stored(app: &TestApp) {
    for i in 0..3 {
        let r = api_submit(app, &app.addr, "203.0.113.10", i).await;
        assert_eq!(r.status().as_u16(), 201);
    }
    let before = submissions(app).await;
    for i in 3..6 {
        assert_api_429(api_submit(app, &app.addr, "203.0.113.10", i).await).await;
    }
    assert_eq!(
        submissions(app).await,
        before,
        "nothing past the limit is stored"
    );
    // Another client is not affected.
    let r = api_submit(app, &app.addr, "203.0.113.11", 9).await;
    assert_eq!(r.status().as_u16(), 201);
}

async fn api_submissions_past_the_forms_limit_get_429_whoever_sends_them(app: &TestApp) {
    // Five clients, one submission each, fill the form's window; the sixth client is refused.
    for i in 0..5 {
        let r = api_submit(app, &app.addr, &format!("198.51.100.{i}"), i).await;
        assert_eq!(r.status().as_u16(), 201);
    }
    assert_api_429(api_submit(app, &app.addr, "198.51.100.77", 77).await).await;
    assert_eq!(submissions(app).await, 5);
    // Another form is open to the same client.
    let r = app
        .client
        .post(app.url("/api/v1/t/390003/forms/nonexistent-form/submissions"))
        .header("x-forwarded-for", "198.51.100.77")
        .json(&seminar_answers(78))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
}

async fn public_form_posts_past_the_clients_limit_get_a_japanese_429_page(app: &TestApp) {
    let form = "/t/390003/forms/dx-seminar";
    let page = page_text(&app.client, app, form).await;
    let csrf = csrf_of(&page);
    let post = |ip: &'static str| {
        let csrf = csrf.clone();
        async move {
            app.client
                .post(app.url(form))
                .header("x-forwarded-for", ip)
                .multipart(
                    reqwest::multipart::Form::new()
                        .text("_csrf", csrf)
                        .text("_action", "save"),
                )
                .send()
                .await
                .unwrap()
        }
    };
    for _ in 0..2 {
        assert_ne!(post("192.0.2.50").await.status().as_u16(), 429);
    }
    let drafts = app.scalar("SELECT COUNT(*) FROM drafts").await;
    let r = post("192.0.2.50").await;
    assert_eq!(r.status().as_u16(), 429);
    assert!(r.headers().contains_key("retry-after"));
    let html = r.text().await.unwrap();
    assert!(html.contains("しばらくお待ちください"), "{html}");
    assert!(html.contains("もう一度送信してください"), "{html}");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM drafts").await,
        drafts,
        "no draft is written past the limit"
    );
    // The final submit counts against the same limit.
    let r = app
        .client
        .post(app.url(&format!("{form}/submit")))
        .header("x-forwarded-for", "192.0.2.50")
        .form(&[("_csrf", csrf.as_str()), ("_draft", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 429);
    // Another resident is served.
    assert_ne!(post("192.0.2.51").await.status().as_u16(), 429);
}

async fn faq_questions_past_the_limit_are_refused_and_not_logged(app: &TestApp) {
    let ask = |ip: &'static str| async move {
        app.client
            .get(app.url(
                "/api/v1/t/392014/faq/ask?q=%E3%81%94%E3%81%BF%E3%81%AE%E5%87%BA%E3%81%97%E6%96%B9",
            ))
            .header("x-forwarded-for", ip)
            .send()
            .await
            .unwrap()
    };
    for _ in 0..2 {
        assert_eq!(ask("203.0.113.30").await.status().as_u16(), 200);
    }
    let logged = app.scalar("SELECT COUNT(*) FROM faq_questions").await;
    assert_eq!(logged, 2);
    assert_api_429(ask("203.0.113.30").await).await;
    // The chat page (and its embed) tell the resident in the page itself.
    let r = app
        .client
        .get(app.url("/t/392014/faq?q=%E4%BD%8F%E6%B0%91%E7%A5%A8"))
        .header("x-forwarded-for", "203.0.113.30")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 429);
    let html = r.text().await.unwrap();
    assert!(html.contains("多くの質問が送られたため"), "{html}");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM faq_questions").await,
        logged,
        "questions past the limit are not logged"
    );
    assert_eq!(ask("203.0.113.31").await.status().as_u16(), 200);
}

async fn signin_mails_past_the_clients_limit_are_not_sent(app: &TestApp) {
    let login = page_text(&app.client, app, "/mypage/login").await;
    let csrf = csrf_of(&login);
    let request = |email: String| {
        let csrf = csrf.clone();
        async move {
            app.client
                .post(app.url("/mypage/login"))
                .header("x-forwarded-for", "203.0.113.40")
                .form(&[("_csrf", csrf.as_str()), ("email", email.as_str())])
                .send()
                .await
                .unwrap()
        }
    };
    // Each address has its own quota; the client's limit stops a client that mails many addresses.
    for i in 0..2 {
        let r = request(format!("victim{i}@example.jp")).await;
        assert_eq!(r.status().as_u16(), 200);
    }
    let links = app.scalar("SELECT COUNT(*) FROM mail_links").await;
    let jobs = app.scalar("SELECT COUNT(*) FROM jobs").await;
    let r = request("victim9@example.jp".into()).await;
    assert_eq!(r.status().as_u16(), 429);
    let html = r.text().await.unwrap();
    assert!(html.contains("しばらく送信できません"), "{html}");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM mail_links").await, links);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM jobs").await, jobs);
}

async fn try_login(app: &TestApp, client_ip: &str, login: &str, password: &str) -> (u16, String) {
    let client = app.browser();
    let page = page_text(&client, app, "/staff/login").await;
    let r = client
        .post(app.url("/staff/login"))
        .header("x-forwarded-for", client_ip)
        .form(&[
            ("_csrf", csrf_of(&page).as_str()),
            ("login", login),
            ("password", password),
        ])
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.text().await.unwrap_or_default())
}

async fn audit_count(app: &TestApp, action: &str, login: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(
        "SELECT COUNT(*) FROM audit_log WHERE action = $1 AND subject = $2",
    )
    .bind(action)
    .bind(format!("login:{login}"))
    .fetch_one(&app.ctx.db.read)
    .await
    .unwrap()
}

async fn staff_login_locks_a_login_id_after_repeated_failures_and_audits_it(app: &TestApp) {
    let right = madoguchi::demo::DEMO_PASSWORD;
    for (i, ip) in ["203.0.113.50", "203.0.113.51"].iter().enumerate() {
        let (status, html) = try_login(app, ip, "pref-admin", "wrong-password").await;
        assert_eq!(status, 401, "failure {i}");
        assert!(html.contains("ログインIDまたはパスワードが正しくありません"));
    }
    // The third failure uses up the login id's limit: the notice says it is locked.
    let (status, html) = try_login(app, "203.0.113.52", "pref-admin", "wrong-again").await;
    assert_eq!(status, 429);
    assert!(html.contains("一時的にロックされています"), "{html}");
    // Locked, even with the right password and from yet another address: no session is made.
    let sessions = app.scalar("SELECT COUNT(*) FROM sessions").await;
    let (status, html) = try_login(app, "203.0.113.53", "pref-admin", right).await;
    assert_eq!(status, 429);
    assert!(html.contains("一時的にロックされています"));
    assert_eq!(app.scalar("SELECT COUNT(*) FROM sessions").await, sessions);
    assert_eq!(audit_count(app, "login_failed", "pref-admin").await, 3);
    // The lock is audited when it begins, not at every attempt made while it lasts.
    assert_eq!(audit_count(app, "login_locked", "pref-admin").await, 1);
    let staff_id: Option<i64> = sqlx::query_scalar(
        "SELECT staff_id FROM audit_log WHERE action = 'login_failed' AND subject = 'login:pref-admin' LIMIT 1",
    )
    .fetch_one(&app.ctx.db.read)
    .await
    .unwrap();
    assert!(staff_id.is_some(), "the failure is filed under the account");
    // Another account signs in from the same address, and its sign-in is audited.
    let (status, _) = try_login(app, "203.0.113.53", "pref-editor", right).await;
    assert_eq!(status, 303);
    assert_eq!(audit_count(app, "login", "pref-editor").await, 1);
}

async fn staff_login_locks_a_client_that_tries_many_login_ids(app: &TestApp) {
    let right = madoguchi::demo::DEMO_PASSWORD;
    for i in 0..4 {
        let (status, _) = try_login(app, "203.0.113.60", &format!("guess-{i}"), "x").await;
        assert_eq!(status, 401, "guess {i}");
    }
    let (status, html) = try_login(app, "203.0.113.60", "guess-4", "x").await;
    assert_eq!(status, 429);
    assert!(
        html.contains("この端末からのログインの失敗が続いたため"),
        "{html}"
    );
    // Even a right password is not checked from that address now …
    let (status, _) = try_login(app, "203.0.113.60", "pref-admin", right).await;
    assert_eq!(status, 429);
    // … while the account itself is not locked for others.
    let (status, _) = try_login(app, "203.0.113.61", "pref-admin", right).await;
    assert_eq!(status, 303);
}

async fn two_instances_sharing_a_database_share_the_counters(app: &TestApp) {
    // A second server process, as behind a load balancer: its own pools and memory, the same database.
    let ctx2 = madoguchi_kernel::Ctx::open((*app.ctx.config).clone())
        .await
        .unwrap();
    assert_ne!(ctx2.db.instance, app.ctx.db.instance);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let second = format!("http://{}", listener.local_addr().unwrap());
    let router = madoguchi::app::router(ctx2.clone(), None);
    let http = ctx2.config.http.clone();
    let server = tokio::spawn(async move {
        madoguchi::serve::run(listener, router, &http, std::future::pending()).await
    });
    for i in 0..2 {
        let r = api_submit(app, &app.addr, "203.0.113.70", i).await;
        assert_eq!(r.status().as_u16(), 201);
    }
    let r = api_submit(app, &second, "203.0.113.70", 2).await;
    assert_eq!(r.status().as_u16(), 201);
    // The fourth, on either instance, is over the client's limit of three.
    assert_api_429(api_submit(app, &second, "203.0.113.70", 3).await).await;
    assert_api_429(api_submit(app, &app.addr, "203.0.113.70", 4).await).await;
    assert_eq!(submissions(app).await, 3);
    // The second instance's submissions queued mail jobs the test app's runner sends at the end.
    server.abort();
    ctx2.db.close().await;
}

async fn a_forwarded_for_header_from_an_untrusted_peer_is_ignored(app: &TestApp) {
    // Without a trusted proxy, a fresh address in the header every time buys no fresh quota.
    for i in 0..3 {
        let r = api_submit(app, &app.addr, &format!("192.0.2.{i}"), i).await;
        assert_eq!(r.status().as_u16(), 201);
    }
    assert_api_429(api_submit(app, &app.addr, "192.0.2.200", 3).await).await;
    assert_eq!(submissions(app).await, 3);
}

#[tokio::test]
async fn rate_limit_windows_expire_and_are_swept() {
    // The counters' own cleanup, on SQLite (the statements are the same on PostgreSQL).
    let app = TestApp::spawn_configured(Backend::Sqlite, false, small_limits).await;
    use madoguchi_kernel::ratelimit::{self, Rule, Verdict};
    let short = Limit::new(1, 1);
    let db = &app.ctx.db;
    assert!(matches!(
        ratelimit::hit(db, Rule::FormPostPerClient, short, "k")
            .await
            .unwrap(),
        Verdict::Allowed { hits: 1 }
    ));
    // Wait for the one-second window to end (at most a second).
    let now = madoguchi_kernel::now_ms();
    tokio::time::sleep(Duration::from_millis(
        (1000 - now.rem_euclid(1000)) as u64 + 5,
    ))
    .await;
    assert!(ratelimit::sweep(db).await.unwrap() >= 1);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM rate_limit_hits").await, 0);
    app.finish().await;
}
