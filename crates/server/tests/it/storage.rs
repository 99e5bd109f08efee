//! Object storage (ADR 0026) over HTTP: large attachments stream to an S3-compatible store (moto, PyPI) in
//! multipart uploads and stream back; `/readyz` reports the store; an unreachable store refuses an upload with
//! a Japanese error beside the field and stores nothing; a bad `storage_url` stops the start.
//!
//! The whole object-storage test set (attachments, issued documents, open data files) also runs on S3 when
//! `MADOGUCHI_TEST_STORAGE=s3` (`scripts/test` does so); these tests run on S3 always.

use crate::common;

use common::{Backend, S3Server, Store, TestApp, csrf_of, hidden_value};
use reqwest::multipart::{Form, Part};

const SUBSIDY: &str = "/t/390003/forms/jigyo-suishin-hojokin";

/// Whether `moto_server` is installed; when it is not, tests stop here unless `MADOGUCHI_REQUIRE_S3=1`
/// (set by `scripts/test`) makes its absence a failure.
fn s3_available() -> bool {
    if S3Server::program().exists() {
        return true;
    }
    assert!(
        std::env::var("MADOGUCHI_REQUIRE_S3").is_err(),
        "moto_server missing: run scripts/s3-setup"
    );
    eprintln!("moto_server not installed (scripts/s3-setup): skipped");
    false
}

/// A PDF of `len` bytes with a recognisable pattern.
fn big_pdf(len: usize) -> Vec<u8> {
    let mut v = b"%PDF-1.4\n".to_vec();
    v.extend((0..len - v.len()).map(|i| b'a' + (i % 23) as u8));
    v
}

fn subsidy_form(csrf: &str, pdf: Vec<u8>) -> Form {
    let fields = [
        ("applicant.kind", "individual"),
        ("applicant.name", "髙﨑 太郎"),
        ("applicant.furigana", "タカサキ タロウ"),
        ("postal_code", "780-0850"),
        ("address", "高知県高知市丸ノ内1-2-20"),
        ("phone", "088-823-1111"),
        ("email", "taro@example.jp"),
        ("kind", "new"),
        ("project_name", "県産品の販路拡大"),
        ("amount", "1500000"),
        ("consent", "yes"),
    ];
    let mut form = Form::new()
        .text("_csrf", csrf.to_string())
        .text("_draft", "")
        .text("_action", "confirm");
    for (k, v) in fields {
        form = form.text(k, v);
    }
    form.part(
        "application_document",
        Part::bytes(pdf)
            .file_name("申請書.pdf")
            .mime_str("application/pdf")
            .unwrap(),
    )
}

async fn s3_app(backend: Backend) -> Option<TestApp> {
    if !s3_available() {
        return None;
    }
    Some(TestApp::spawn_on(backend, Store::S3, false, |_| {}).await)
}

/// 9.5 MB: two parts of a multipart upload (5 MiB each at most).
const LARGE: usize = 9_500_000;

async fn a_large_attachment_streams_to_s3_and_back_unchanged(backend: Backend) {
    let Some(app) = s3_app(backend).await else {
        return;
    };
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status().as_u16(), 200);
    let v: serde_json::Value = ready.json().await.unwrap();
    assert_eq!(v["object_store"], "ok");
    assert_eq!(v["migrations"], "ok");

    let pdf = big_pdf(LARGE);
    let page = app.get(SUBSIDY).await.text().await.unwrap();
    let r = app
        .client
        .post(app.url(SUBSIDY))
        .multipart(subsidy_form(&csrf_of(&page), pdf.clone()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303, "{}", r.text().await.unwrap());
    let page = app
        .client
        .get(app.location(&r))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let r = app
        .client
        .post(app.url(&format!("{SUBSIDY}/submit")))
        .form(&[
            ("_csrf", csrf_of(&page)),
            ("_draft", hidden_value(&page, "_draft").unwrap()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let (id, file, sha, size): (i64, String, String, i64) = {
        use sqlx::Row;
        let row = sqlx::query(
            "SELECT s.id, a.id AS file, a.sha256, a.size FROM submissions s JOIN attachments a ON a.submission_id = s.id",
        )
        .fetch_one(&app.ctx.db.read)
        .await
        .unwrap();
        (
            row.get("id"),
            row.get("file"),
            row.get("sha256"),
            row.get("size"),
        )
    };
    assert_eq!(size as usize, LARGE);
    use sha2::Digest;
    assert_eq!(sha, hex::encode(sha2::Sha256::digest(&pdf)));
    // In the bucket, under the configured prefix.
    assert!(app.ctx.storage.location().starts_with("s3://"));
    let stored = app
        .ctx
        .storage
        .get(&format!("attachments/{file}"))
        .await
        .unwrap();
    assert!(stored == pdf, "the object holds the upload unchanged");
    // The reviewer downloads it, streamed back.
    let staff = app.as_staff("shoko-reviewer").await.client;
    let r = staff
        .get(app.url(&format!("/staff/submissions/{id}/attachments/{file}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let back = r.bytes().await.unwrap();
    assert!(back == pdf, "downloaded bytes equal the upload");
    app.finish().await;
}

async fn an_unreachable_store_fails_readyz_and_refuses_an_upload_in_japanese_storing_nothing(
    backend: Backend,
) {
    let Some(mut app) = s3_app(backend).await else {
        return;
    };
    let page = app.get(SUBSIDY).await.text().await.unwrap();
    let csrf = csrf_of(&page);
    let before = app.scalar("SELECT COUNT(*) FROM attachments").await;
    app.s3.as_mut().unwrap().stop().await;

    let r = app.get("/readyz").await;
    assert_eq!(r.status().as_u16(), 503);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["ready"], false);
    assert_ne!(v["object_store"], "ok");
    assert_eq!(v["database"], "ok");
    assert_eq!(app.get("/healthz").await.status().as_u16(), 200);

    let r = app
        .client
        .post(app.url(SUBSIDY))
        .multipart(subsidy_form(&csrf, big_pdf(LARGE)))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let html = r.text().await.unwrap();
    assert_eq!(status, 422, "the form comes back with the error: {html}");
    assert!(
        html.contains("ファイルの保管場所に接続できない"),
        "a Japanese error says why: {html}"
    );
    assert!(
        html.contains("申請書") || html.contains("添付"),
        "the error names the field"
    );
    assert!(
        html.contains("県産品の販路拡大"),
        "what was typed is kept on the page"
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM attachments").await,
        before,
        "no attachment row for an object that was not stored"
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM submissions").await, 0);
    app.finish().await;
}

mod s3 {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_large_attachment_streams_to_s3_and_back_unchanged_sqlite() {
        a_large_attachment_streams_to_s3_and_back_unchanged(Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_large_attachment_streams_to_s3_and_back_unchanged_postgres() {
        a_large_attachment_streams_to_s3_and_back_unchanged(Backend::Postgres).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_unreachable_store_fails_readyz_and_refuses_an_upload_sqlite() {
        an_unreachable_store_fails_readyz_and_refuses_an_upload_in_japanese_storing_nothing(
            Backend::Sqlite,
        )
        .await;
    }
}

/// Readiness on the local store, and the files store streams a large attachment too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_reports_every_check_on_files() {
    let app = TestApp::spawn_on(Backend::Sqlite, Store::Files, false, |_| {}).await;
    let r = app.get("/readyz").await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store");
    let mut v: serde_json::Value = r.json().await.unwrap();
    let first_age = v.as_object_mut().unwrap().remove("checked_ms_ago").unwrap();
    assert_eq!(first_age, 0, "the first call checks");
    assert_eq!(
        v,
        serde_json::json!({"ready": true, "database": "ok", "object_store": "ok",
            "migrations": "ok", "shutting_down": false})
    );
    // Calls within a second share that round of checks (a public URL cannot be used to load the database
    // and the store): many at once all answer, from the same round.
    let started = std::time::Instant::now();
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let answers = futures::future::join_all((0..50).map(|_| app.get("/readyz"))).await;
    let within = started.elapsed() < std::time::Duration::from_millis(900);
    for r in answers {
        assert_eq!(r.status().as_u16(), 200);
        let v: serde_json::Value = r.json().await.unwrap();
        let age = v["checked_ms_ago"].as_u64().unwrap();
        if within {
            assert!(age >= 50, "reused, not checked again: {age} ms");
        }
    }
    // Shutting down: the load balancer is told to stop sending at once, whatever was checked before.
    app.ctx.begin_shutdown();
    let r = app.get("/readyz").await;
    assert_eq!(r.status().as_u16(), 503);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["shutting_down"], true);
    assert_eq!(v["database"], "ok", "the other checks still reported");
    app.finish().await;
}

/// The real binary refuses to start on a `storage_url` it cannot use, naming the setting, and on a store it
/// cannot reach, naming the store — before it listens.
#[tokio::test]
async fn a_bad_storage_url_or_an_unreachable_store_stops_the_start_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let cases = [
        (
            "storage_url = \"ftp://files.example/objects\"\n".to_string(),
            "storage_url",
        ),
        (
            "storage_url = \"file://relative\"\n".to_string(),
            "絶対パス",
        ),
        (
            format!(
                "storage_url = \"s3://madoguchi/objects\"\n[s3]\nendpoint = \"http://127.0.0.1:{closed_port}\"\nregion = \"us-east-1\"\naccess_key_id = \"x\"\nsecret_access_key = \"y\"\nmax_retries = 0\nconnect_timeout_secs = 2\n"
            ),
            "オブジェクトストレージ",
        ),
    ];
    for (i, (toml, expected)) in cases.iter().enumerate() {
        let config = dir.path().join(format!("c{i}.toml"));
        std::fs::write(
            &config,
            format!(
                "listen = \"127.0.0.1:0\"\ndatabase_url = \"sqlite://{}/db{i}.sqlite?mode=rwc\"\ndata_dir = \"{}\"\n{toml}",
                dir.path().display(),
                dir.path().display()
            ),
        )
        .unwrap();
        let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_madoguchi"))
            .args(["serve", "--config"])
            .arg(&config)
            .env_remove("AWS_ENDPOINT")
            .output()
            .await
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "case {i} must not start");
        assert!(stderr.contains(expected), "case {i}: {stderr}");
    }
}
