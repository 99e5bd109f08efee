//! Issue 14, hole 5: personal data was never deleted, because the sweep was never started. The job worker of
//! an instance now runs it; expired personal data goes from the database and the object store (the files
//! under the data directory), fresh data stays; on SQLite and PostgreSQL alike.

use crate::common;

use bytes::Bytes;
use common::{TestApp, csrf_of};
use madoguchi_kernel::{applicants, ids, now_ms};
use std::time::Duration;

const HOUR: i64 = 3_600_000;

/// An upload stored as the upload path stores it: a row and an object.
async fn upload(app: &TestApp, created_at: i64) -> String {
    let id = ids::new_token();
    sqlx::query(
        "INSERT INTO attachments (id, file_name, content_type, size, sha256, created_at)
         VALUES ($1, '住民票.pdf', 'application/pdf', 4, '', $2)",
    )
    .bind(&id)
    .bind(created_at)
    .execute(&app.ctx.db.write)
    .await
    .unwrap();
    app.ctx
        .storage
        .put(&format!("attachments/{id}"), Bytes::from_static(b"%PDF"))
        .await
        .unwrap();
    id
}

/// Whether an attachment's object is in the store (files or S3).
async fn object_exists(app: &TestApp, id: &str) -> bool {
    app.ctx
        .storage
        .exists(&format!("attachments/{id}"))
        .await
        .unwrap()
}

/// A draft holding an upload (its raw input names the attachment, as a saved form does).
async fn draft(app: &TestApp, attachment: &str, expires_at: i64) {
    let published = madoguchi_applications::forms_store::find_published(
        &app.ctx.db,
        "390003",
        "jigyo-suishin-hojokin",
    )
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO drafts (token_hash, form_version_id, raw_input, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(ids::new_token())
    .bind(published.version_id)
    .bind(
        serde_json::json!({"applicant.name": ["髙﨑 花子"], "documents": [attachment]}).to_string(),
    )
    .bind(expires_at - 72 * HOUR)
    .bind(expires_at)
    .execute(&app.ctx.db.write)
    .await
    .unwrap();
}

async fn ask_for_link(app: &TestApp, email: &str) {
    let browser = app.browser();
    let login = common::page_text(&browser, app, "/mypage/login").await;
    let r = browser
        .post(app.url("/mypage/login"))
        .form(&[("_csrf", csrf_of(&login).as_str()), ("email", email)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
}

async fn count(app: &TestApp, sql: &str, bind: &str) -> i64 {
    sqlx::query_scalar(sql)
        .bind(bind)
        .fetch_one(&app.ctx.db.read)
        .await
        .unwrap()
}

async fn personal_data_past_its_retention_is_swept_by_the_worker_and_fresh_data_stays(
    app: &TestApp,
) {
    let now = now_ms();
    // Drafts and uploads: an expired draft with its upload, an upload nobody holds, and a live draft's
    // upload (old, but still in use) and a fresh one.
    let expired_upload = upload(app, now - 100 * HOUR).await;
    draft(app, &expired_upload, now - HOUR).await;
    let orphan = upload(app, now - 100 * HOUR).await;
    let held = upload(app, now - 100 * HOUR).await;
    draft(app, &held, now + 24 * HOUR).await;
    let fresh = upload(app, now).await;
    for id in [&expired_upload, &orphan, &held, &fresh] {
        assert!(object_exists(app, id).await);
    }
    // Staff sessions: one that expired, one in use.
    let stale_staff = app.as_staff("shoko-reviewer").await.client;
    sqlx::query("UPDATE sessions SET expires_at = 1")
        .execute(&app.ctx.db.write)
        .await
        .unwrap();
    let staff = app.as_staff("shoko-reviewer").await.client;
    // Applicant sessions: one that expired, one in use.
    let applicant: i64 = sqlx::query_scalar(
        "INSERT INTO applicants (email, notify_email, created_at) VALUES ('hanako@example.jp', '', 0) RETURNING id",
    )
    .fetch_one(&app.ctx.db.write)
    .await
    .unwrap();
    let stale = applicants::start_session(&app.ctx.db, applicant, 60, true)
        .await
        .unwrap();
    sqlx::query("UPDATE applicant_sessions SET expires_at = 1")
        .execute(&app.ctx.db.write)
        .await
        .unwrap();
    let live = applicants::start_session(&app.ctx.db, applicant, 60, true)
        .await
        .unwrap();
    // Sign-in links: an expired one sent two days ago, one just sent.
    ask_for_link(app, "old@example.jp").await;
    sqlx::query("UPDATE mail_links SET created_at = $1, expires_at = $2")
        .bind(now - 48 * HOUR)
        .bind(now - 47 * HOUR)
        .execute(&app.ctx.db.write)
        .await
        .unwrap();
    ask_for_link(app, "new@example.jp").await;
    // OpenID Connect flows: an abandoned one and one under way.
    for (state, expires_at) in [("abandoned", 1), ("under-way", now + 600_000)] {
        sqlx::query(
            "INSERT INTO oidc_flows (state_hash, provider, nonce, pkce_verifier, browser_hash, created_at, expires_at)
             VALUES ($1, 'mynumber', 'n', 'v', 'b', 0, $2)",
        )
        .bind(state)
        .bind(expires_at)
        .execute(&app.ctx.db.write)
        .await
        .unwrap();
    }

    // The instance's background work, as `madoguchi serve` starts it: the sweep runs at once.
    let tasks = madoguchi::jobs::spawn_worker(&app.ctx);
    let mut swept = false;
    for _ in 0..300 {
        // Uploads are swept last, the row before the object.
        if app.scalar("SELECT COUNT(*) FROM attachments").await == 2
            && !object_exists(app, &orphan).await
            && !object_exists(app, &expired_upload).await
        {
            swept = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for t in tasks {
        t.abort();
    }
    assert!(swept, "the worker swept");

    // Gone from the database and (waited for above) from the object store …
    for id in [&expired_upload, &orphan] {
        assert_eq!(
            count(app, "SELECT COUNT(*) FROM attachments WHERE id = $1", id).await,
            0
        );
    }
    assert_eq!(app.scalar("SELECT COUNT(*) FROM drafts").await, 1);
    assert_eq!(
        count(
            app,
            "SELECT COUNT(*) FROM mail_links WHERE email = $1",
            "old@example.jp"
        )
        .await,
        0
    );
    assert_eq!(
        count(
            app,
            "SELECT COUNT(*) FROM applicant_sessions WHERE token_hash = $1",
            &ids::token_hash(&stale)
        )
        .await,
        0
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM sessions WHERE expires_at <= 1")
            .await,
        0
    );
    assert_eq!(
        count(
            app,
            "SELECT COUNT(*) FROM oidc_flows WHERE state_hash = $1",
            "abandoned"
        )
        .await,
        0
    );
    // … while everything still in use stays.
    for id in [&held, &fresh] {
        assert_eq!(
            count(app, "SELECT COUNT(*) FROM attachments WHERE id = $1", id).await,
            1
        );
        assert!(object_exists(app, id).await);
    }
    assert_eq!(
        count(
            app,
            "SELECT COUNT(*) FROM mail_links WHERE email = $1",
            "new@example.jp"
        )
        .await,
        1
    );
    assert!(
        applicants::for_session(&app.ctx.db, &live)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM sessions").await, 1);
    let r = staff.get(app.url("/staff")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200, "the live staff session works");
    let r = stale_staff.get(app.url("/staff")).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 303, "the expired one is gone");
}

async fn a_used_link_stays_for_the_rate_limit_window_however_short_the_retention(app: &TestApp) {
    ask_for_link(app, "busy@example.jp").await;
    sqlx::query("UPDATE mail_links SET used_at = $1")
        .bind(now_ms())
        .execute(&app.ctx.db.write)
        .await
        .unwrap();
    let swept = madoguchi_applications::maintenance::sweep(&app.ctx)
        .await
        .unwrap();
    assert_eq!(swept.mail_links, 0);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM mail_links").await, 1);
}

both!(personal_data_past_its_retention_is_swept_by_the_worker_and_fresh_data_stays,);

/// With `mail_link_hours = 0`, a used link is still kept for the sign-in rate-limit window (else deleting it
/// would reset an address's quota).
mod short_retention {
    async fn run(backend: crate::common::Backend) {
        let app = crate::common::TestApp::spawn_configured(backend, false, |c| {
            c.retention.mail_link_hours = 0
        })
        .await;
        super::a_used_link_stays_for_the_rate_limit_window_however_short_the_retention(&app).await;
        app.finish().await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        run(crate::common::Backend::Sqlite).await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        run(crate::common::Backend::Postgres).await;
    }
}
