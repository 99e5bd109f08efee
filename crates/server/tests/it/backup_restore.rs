//! Backup and restore as `docs/operations-backup.md` describes it: an installation with a receipt (a submission
//! with an attachment), a draft with its mailed resume link and an issued permit is backed up — PostgreSQL with
//! `pg_dump -Fc`, SQLite with `VACUUM INTO` — and its object store and issuance key files are copied; the backup is
//! restored into a fresh database and a fresh data directory, a fresh instance is started on them, and over HTTP
//! staff find the receipt with its attachment byte-identical, the resume link opens the draft, and the permit
//! verifies on the public verification page.

use crate::common;
use crate::migrate_to::{
    draft_with_resume_link, fresh_pg_database, pg_admin, review_and_issue, submit_subsidy, unique,
};

use common::{Backend, TINY_PDF, TestApp, csrf_of};
use std::path::{Path, PathBuf};

/// pg_dump and pg_restore, installed by `scripts/pg-tools-setup` when missing.
fn ensure_pg_tools() {
    let present = |p: &str| {
        std::process::Command::new(p)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if present("pg_dump") && present("pg_restore") {
        return;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../scripts/pg-tools-setup");
    let status = std::process::Command::new(&script).status().unwrap();
    assert!(status.success(), "{} failed", script.display());
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

async fn run(program: &str, args: &[&str]) {
    let out = tokio::process::Command::new(program)
        .args(args)
        .output()
        .await
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

async fn verify_page(app: &TestApp, pdf: &[u8]) -> String {
    let client = app.browser();
    let page = client
        .get(app.url("/verify"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let form = reqwest::multipart::Form::new()
        .text("_csrf", csrf_of(&page))
        .part(
            "file",
            reqwest::multipart::Part::bytes(pdf.to_vec())
                .file_name("permit.pdf")
                .mime_str("application/pdf")
                .unwrap(),
        );
    let r = client
        .post(app.url("/verify"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    r.text().await.unwrap()
}

async fn backup_and_restore(backend: Backend) {
    // The installation.
    let app = TestApp::spawn(backend).await;
    madoguchi::demo::seed_issuance(&app.ctx.db).await.unwrap();
    let (receipt, id, file) = submit_subsidy(&app, "髙﨑 太郎").await;
    let document = review_and_issue(&app, id).await;
    let pdf = app
        .as_staff("shoko-reviewer")
        .await
        .client
        .get(app.url(&format!("/staff/issuance/documents/{document}/file.pdf")))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap()
        .to_vec();
    assert!(pdf.starts_with(b"%PDF"), "the permit was issued");
    assert!(verify_page(&app, &pdf).await.contains("有効な交付文書です"));
    let resume = draft_with_resume_link(&app, "𠮷野 花子", "hanako@example.jp").await;
    app.drain_jobs().await;

    // The backup: the database first, then the objects (an object is written before the row that names it, so
    // objects copied after the database cover every row in it), and the issuance key files.
    let backup = std::env::temp_dir().join(format!("madoguchi-backup-{}", unique()));
    std::fs::create_dir_all(&backup).unwrap();
    let mut restored_pg = None;
    let restored_url = match backend {
        Backend::Postgres => {
            ensure_pg_tools();
            let dump = backup.join("madoguchi.dump");
            run(
                "pg_dump",
                &[
                    "-Fc",
                    "-d",
                    &app.ctx.config.database_url,
                    "-f",
                    dump.to_str().unwrap(),
                ],
            )
            .await;
            let (name, url) = fresh_pg_database("madoguchi_restore").await;
            run(
                "pg_restore",
                &[
                    "--no-owner",
                    "--exit-on-error",
                    "-d",
                    &url,
                    dump.to_str().unwrap(),
                ],
            )
            .await;
            restored_pg = Some(name);
            url
        }
        Backend::Sqlite => {
            let copy = backup.join("madoguchi.sqlite");
            sqlx::query(&format!("VACUUM INTO '{}'", copy.display()))
                .execute(&app.ctx.db.read)
                .await
                .unwrap();
            format!("sqlite://{}?mode=rwc", copy.display())
        }
    };
    let data_dir: PathBuf = backup.join("data");
    copy_dir(&app.data_dir.join("objects"), &data_dir.join("objects"));
    copy_dir(&app.data_dir.join("issuance"), &data_dir.join("issuance"));
    // The original is gone.
    app.finish().await;

    // A fresh instance on the restored database and objects.
    let restored = TestApp::spawn_configured(Backend::Sqlite, false, |c| {
        c.database_url = restored_url.clone();
        c.data_dir = data_dir.clone();
    })
    .await;
    let staff = restored.as_staff("shoko-reviewer").await;
    let (status, inbox) = staff.get_page(&format!("/staff?q={receipt}")).await;
    assert_eq!(status, 200);
    assert!(inbox.contains(&receipt), "staff find the receipt");
    let (status, page) = staff.get_page(&format!("/staff/submissions/{id}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("髙﨑 太郎") && page.contains("申請書.pdf"));
    let r = staff
        .client
        .get(restored.url(&format!("/staff/submissions/{id}/attachments/{file}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(
        &r.bytes().await.unwrap()[..],
        TINY_PDF,
        "the attachment is byte-identical"
    );
    let r = staff
        .client
        .get(restored.url(&format!("/staff/issuance/documents/{document}/file.pdf")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.bytes().await.unwrap().to_vec(), pdf, "the stored permit");
    let html = verify_page(&restored, &pdf).await;
    assert!(
        html.contains("有効な交付文書です"),
        "the permit verifies after the restore: {html}"
    );
    // The resume link mailed before the backup opens the draft.
    let computer = restored.browser();
    let (status, confirm) = restored.browser_of(&computer).get_page(&resume).await;
    assert_eq!(status, 200);
    let r = computer
        .post(restored.url(&resume))
        .form(&[("_csrf", csrf_of(&confirm)), ("next", String::new())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let html = computer
        .get(restored.location(&r))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("𠮷野 花子"),
        "the draft opens after the restore"
    );

    restored.finish().await;
    if let Some(name) = restored_pg {
        pg_admin(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
    }
    let _ = std::fs::remove_dir_all(&backup);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_pg_dump_and_pg_restore_bring_back_receipts_drafts_and_permits() {
    backup_and_restore(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_vacuum_into_brings_back_receipts_drafts_and_permits() {
    backup_and_restore(Backend::Sqlite).await;
}
