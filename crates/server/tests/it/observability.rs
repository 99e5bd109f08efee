//! Issue 16, operations: Prometheus metrics at `/metrics` (behind a bearer token, by route template, the job
//! queue, mail, submissions, the pools) and a request id on every answer — in `X-Request-Id`, on the error page
//! a resident can quote, and in the API's error body.

use crate::common;

use common::TestApp;
use madoguchi_kernel::Config;

const TOKEN: &str = "metrics-token-for-tests-0123456789";
const SEMINAR_API: &str = "/api/v1/t/390003/forms/dx-seminar/submissions";

fn with_token(c: &mut Config) {
    c.http.metrics_token = TOKEN.into();
}

async fn scrape(app: &TestApp, auth: Option<&str>) -> (u16, String, String) {
    let mut req = app.client.get(app.url("/metrics"));
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    let content_type = r
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, content_type, r.text().await.unwrap())
}

/// The value of the first sample whose line starts with `prefix` (name and labels), if any.
fn sample(text: &str, prefix: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
}

async fn metrics_need_the_token_and_count_by_route_template(app: &TestApp) {
    // Anyone without the token, or with a wrong one, finds nothing there.
    for auth in [
        None,
        Some("Bearer wrong"),
        Some("Bearer "),
        Some(TOKEN),
        Some(&*format!("Basic {TOKEN}")),
        Some(&*format!("Bearer {TOKEN}x")),
    ] {
        let (status, _, body) = scrape(app, auth).await;
        assert_eq!(status, 404, "{auth:?}");
        assert!(!body.contains("madoguchi_"), "{auth:?}");
    }

    // Some traffic: a form page, an API submission, a page that does not exist.
    assert_eq!(
        app.get("/t/390003/forms/dx-seminar")
            .await
            .status()
            .as_u16(),
        200
    );
    let answers = serde_json::json!({"answers": {
        "name": {"name": "髙﨑 花子", "furigana": "タカサキ ハナコ"},
        "email": "hanako@example.jp", "attendance": "venue", "consent": true}});
    let r = app
        .client
        .post(app.url(SEMINAR_API))
        .json(&answers)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    assert_eq!(app.get("/no/such/page").await.status().as_u16(), 404);
    // A job no runner knows: its failure is counted (and it is retried later, not lost).
    sqlx::query(
        "INSERT INTO jobs (kind, payload, run_at, attempts, max_attempts, created_at)
         VALUES ('metrics_probe', '{}', 0, 0, 8, 0)",
    )
    .execute(&app.ctx.db.write)
    .await
    .unwrap();

    let (status, content_type, before_drain) = scrape(app, Some(&format!("Bearer {TOKEN}"))).await;
    assert_eq!(status, 200);
    assert!(
        content_type.starts_with("application/openmetrics-text"),
        "{content_type}"
    );
    assert!(
        sample(
            &before_drain,
            r#"madoguchi_http_requests_total{method="GET",route="/t/{code}/forms/{slug}",status="2xx"}"#
        )
        .is_some_and(|n| n >= 1.0),
        "{before_drain}"
    );
    assert!(
        sample(
            &before_drain,
            r#"madoguchi_http_requests_total{method="GET",route="unmatched",status="4xx"}"#
        )
        .is_some_and(|n| n >= 1.0),
        "{before_drain}"
    );
    assert!(
        before_drain.contains(r#"madoguchi_http_request_duration_seconds_bucket{le="0.001",method="POST",route="/api/v1/t/{code}/forms/{slug}/submissions"}"#)
            || before_drain.contains(r#"madoguchi_http_request_duration_seconds_bucket{method="POST",route="/api/v1/t/{code}/forms/{slug}/submissions",le="0.001"}"#),
        "latency histogram by route template: {before_drain}"
    );
    // Route templates only: no tenant code, slug or receipt number becomes a label.
    for line in before_drain
        .lines()
        .filter(|l| l.starts_with("madoguchi_http"))
    {
        assert!(
            !line.contains("390003") && !line.contains("dx-seminar"),
            "{line}"
        );
    }
    assert!(
        sample(
            &before_drain,
            r#"madoguchi_submissions_accepted_total{channel="api"}"#
        )
        .is_some_and(|n| n >= 1.0),
        "{before_drain}"
    );
    assert!(
        sample(
            &before_drain,
            r#"madoguchi_jobs_queued{kind="metrics_probe"}"#
        ) == Some(1.0),
        "{before_drain}"
    );
    assert!(
        sample(
            &before_drain,
            r#"madoguchi_jobs_oldest_due_seconds{kind="metrics_probe"}"#
        )
        .is_some_and(|age| age > 1_000_000.0),
        "a job created at the epoch is old: {before_drain}"
    );
    assert!(
        sample(
            &before_drain,
            r#"madoguchi_db_connections{pool="write",state="open"}"#
        )
        .is_some_and(|n| n >= 1.0),
        "{before_drain}"
    );

    app.drain_jobs().await;
    let (_, _, after) = scrape(app, Some(&format!("Bearer {TOKEN}"))).await;
    assert!(
        sample(&after, r#"madoguchi_mails_total{outcome="sent"}"#).is_some_and(|n| n >= 1.0),
        "the receipt mail: {after}"
    );
    assert!(
        sample(
            &after,
            r#"madoguchi_job_failures_total{kind="metrics_probe",given_up="false"}"#
        )
        .is_some_and(|n| n >= 1.0),
        "{after}"
    );
    assert!(
        sample(&after, r#"madoguchi_jobs_queued{kind="send_mail"}"#).is_none(),
        "a kind whose jobs are all done is no longer listed: {after}"
    );
    assert!(
        sample(&after, r#"madoguchi_jobs_queued{kind="metrics_probe"}"#) == Some(1.0),
        "the failed job waits for its retry: {after}"
    );
    sqlx::query("DELETE FROM jobs WHERE kind = 'metrics_probe'")
        .execute(&app.ctx.db.write)
        .await
        .unwrap();
}

async fn every_answer_carries_a_request_id_that_the_error_page_shows(app: &TestApp) {
    let r = app.get("/t/390003/forms/no-such-form").await;
    assert_eq!(r.status().as_u16(), 404);
    let id = r.headers()["x-request-id"].to_str().unwrap().to_string();
    assert_eq!(id.len(), 12, "{id}");
    assert!(
        id.chars()
            .all(|c| c.is_ascii_digit() || (c.is_ascii_uppercase() && !"ILOU".contains(c))),
        "{id}"
    );
    let html = r.text().await.unwrap();
    assert!(
        html.contains(&format!("お問い合わせの際は、次の番号をお伝えください: <span lang=\"en\" translate=\"no\">{id}</span>")),
        "{html}"
    );
    // Each request its own, whatever a client sends.
    let r = app
        .client
        .get(app.url("/t/390003/forms/no-such-form"))
        .header("x-request-id", "CHOSEN-BY-CLIENT")
        .send()
        .await
        .unwrap();
    let other = r.headers()["x-request-id"].to_str().unwrap().to_string();
    assert_ne!(other, id);
    assert_ne!(other, "CHOSEN-BY-CLIENT");
    // Successful answers carry one too.
    let r = app.get("/").await;
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.headers().contains_key("x-request-id"));
    // The API's error body names it.
    let r = app
        .client
        .post(app.url(SEMINAR_API))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let header = r.headers()["x-request-id"].to_str().unwrap().to_string();
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["error"]["request_id"], header.as_str());
    // An unknown API path is a JSON 404.
    let r = app.get("/api/v1/nothing-here").await;
    assert_eq!(r.status().as_u16(), 404);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["error"]["code"], "not_found");
}

async fn without_a_token_metrics_do_not_exist(app: &TestApp) {
    if std::env::var("MADOGUCHI_METRICS_TOKEN").is_ok() {
        return;
    }
    for auth in [None, Some("Bearer "), Some("Bearer anything")] {
        let (status, _, body) = scrape(app, auth).await;
        assert_eq!(status, 404, "{auth:?}");
        assert!(!body.contains("madoguchi_"));
    }
}

both!(
    every_answer_carries_a_request_id_that_the_error_page_shows,
    without_a_token_metrics_do_not_exist,
);

both_configured!(with_token: metrics_need_the_token_and_count_by_route_template);
