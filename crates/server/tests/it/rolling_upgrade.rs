//! Issue 16, rolling upgrades: while instances of the new release start, those of the previous one keep running
//! and restarting against the schema the new release has already expanded. Simulated here with a migration
//! "from the future" (a new table, a new nullable column and its row in `_sqlx_migrations`): this release must
//! start against it and serve the main flows unchanged. And every migration from now on only expands, unless
//! it is a `*_contract.sql` step (ADR 0032).

use crate::common;

use common::TestApp;

const SEMINAR_API: &str = "/api/v1/t/390003/forms/dx-seminar/submissions";

/// What a later release's expand step might do, applied by hand, with its row in sqlx's table.
async fn migrate_like_a_newer_release(app: &TestApp) {
    let db = &app.ctx.db;
    for sql in [
        "ALTER TABLE submissions ADD COLUMN future_channel_note TEXT",
        "CREATE TABLE future_feature (id BIGINT PRIMARY KEY, note TEXT)",
    ] {
        sqlx::query(sql).execute(&db.write).await.unwrap();
    }
    let checksum = match db.backend {
        madoguchi_kernel::Backend::Sqlite => "X'00'",
        madoguchi_kernel::Backend::Postgres => "'\\x00'::bytea",
    };
    sqlx::query(&format!(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
         VALUES (990001, 'a later release expands', TRUE, {checksum}, 1)"
    ))
    .execute(&db.write)
    .await
    .unwrap();
}

async fn this_release_starts_and_serves_on_a_schema_a_newer_release_expanded(app: &TestApp) {
    migrate_like_a_newer_release(app).await;

    // An instance of this release (re)starting now: its migrator accepts the newer migration it does not know,
    // and it reports itself ready (no migration of its own pending).
    let config = (*app.ctx.config).clone();
    let restarted = madoguchi_kernel::Ctx::open(config)
        .await
        .expect("this release starts on the expanded schema");
    assert_eq!(restarted.db.pending_migrations().await.unwrap(), 0);
    restarted.db.close().await;

    // The main flows still work on the expanded schema: the form, an API submission (an INSERT that does not
    // name the new column), the receipt mail job, staff reading the application.
    let r = app.get("/t/390003/forms/dx-seminar").await;
    assert_eq!(r.status().as_u16(), 200);
    let r = app
        .client
        .post(app.url(SEMINAR_API))
        .json(&serde_json::json!({"answers": {
            "name": {"name": "髙﨑 一郎", "furigana": "タカサキ イチロウ"},
            "email": "ichiro@example.jp", "attendance": "venue", "consent": true}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let receipt = r.json::<serde_json::Value>().await.unwrap()["receipt_number"]
        .as_str()
        .unwrap()
        .to_string();
    let note: Option<String> =
        sqlx::query_scalar("SELECT future_channel_note FROM submissions WHERE receipt_number = $1")
            .bind(&receipt)
            .fetch_one(&app.ctx.db.read)
            .await
            .unwrap();
    assert_eq!(note, None, "the newer column is left to the newer release");
    assert!(app.drain_jobs().await >= 1, "the receipt mail is sent");
    let staff = app.as_staff("shoko-reviewer").await;
    let (status, html) = staff.get_page("/staff").await;
    assert_eq!(status, 200);
    assert!(html.contains(&receipt), "staff find the new application");
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status().as_u16(), 200);
}

both!(this_release_starts_and_serves_on_a_schema_a_newer_release_expanded);

/// Migrations numbered from this one on are checked: the ones before were written before the policy.
const FIRST_CHECKED: u32 = 26;

/// Why a statement contracts the schema, if it does.
fn contracts(statement: &str) -> Option<&'static str> {
    let s = statement
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_uppercase();
    if s.contains("DROP TABLE") || s.contains("DROP COLUMN") {
        Some("drops a table or a column")
    } else if s.contains(" RENAME ") {
        Some("renames")
    } else if s.contains("ALTER COLUMN") && (s.contains("SET NOT NULL") || s.contains(" TYPE ")) {
        Some("tightens or changes a column")
    } else if s.contains("ADD COLUMN") && s.contains("NOT NULL") && !s.contains("DEFAULT") {
        Some(
            "adds a NOT NULL column without a default (the previous release's INSERTs do not name it)",
        )
    } else {
        None
    }
}

/// Every migration from [`FIRST_CHECKED`] on only expands: no table or column dropped or renamed, no type or
/// nullability tightened, no NOT NULL column added without a default. A step that must do one of these is a
/// `NNNN_…_contract.sql` migration, shipped a release after the code stopped using what it removes.
#[test]
fn migrations_only_expand_unless_they_are_contract_steps() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../kernel/migrations");
    let mut checked = 0;
    for backend in ["sqlite", "postgres"] {
        for entry in std::fs::read_dir(root.join(backend)).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let number: u32 = name.split('_').next().unwrap().parse().unwrap();
            if number < FIRST_CHECKED || name.ends_with("_contract.sql") {
                continue;
            }
            let sql: String = std::fs::read_to_string(&path)
                .unwrap()
                .lines()
                .filter(|l| !l.trim_start().starts_with("--"))
                .collect::<Vec<_>>()
                .join("\n");
            for statement in sql.split(';') {
                if let Some(why) = contracts(statement) {
                    panic!(
                        "{backend}/{name} {why}: make it a *_contract.sql step a release later (ADR 0032): {statement}"
                    );
                }
            }
            checked += 1;
        }
    }
    assert!(checked >= 2, "the checked migrations were found");
    // The check catches what it is meant to, and lets expansions through.
    for bad in [
        "ALTER TABLE a DROP COLUMN b",
        "DROP TABLE a",
        "ALTER TABLE a RENAME TO c",
        "ALTER TABLE a ALTER COLUMN b SET NOT NULL",
        "ALTER TABLE a ALTER COLUMN b TYPE BIGINT",
        "ALTER TABLE a ADD COLUMN b TEXT NOT NULL",
    ] {
        assert!(contracts(bad).is_some(), "{bad}");
    }
    for good in [
        "ALTER TABLE a ADD COLUMN b TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE a ADD COLUMN b TEXT",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)",
        "CREATE INDEX i ON t (v)",
    ] {
        assert!(contracts(good).is_none(), "{good}");
    }
}
