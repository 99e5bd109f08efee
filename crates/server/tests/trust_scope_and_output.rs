//! Issue 14 ("Trust"), over HTTP on SQLite and PostgreSQL: one department cannot take over another's form or
//! read its past submissions (hole 3), and an issuance batch page shows nothing to staff of another
//! department (hole 14).

mod common;

use common::{TestApp, csrf_of, login_with};
use madoguchi_kernel::staff::{Role, insert_staff};

const PREF: &str = "390003";
const ROAD_DAMAGE: &str = include_str!("../demo/forms/road-damage.json");

async fn department_id(app: &TestApp, tenant_code: &str, code: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT d.id FROM departments d JOIN tenants t ON t.id = d.tenant_id WHERE t.code = $1 AND d.code = $2",
    )
    .bind(tenant_code)
    .bind(code)
    .fetch_one(&app.ctx.db.read)
    .await
    .unwrap()
}

/// A new staff account of 高知県 with a role in some departments, logged in in a browser of its own.
async fn pref_staff(
    app: &TestApp,
    login: &str,
    role: Role,
    departments: &[&str],
) -> reqwest::Client {
    let tenant: i64 = sqlx::query_scalar("SELECT id FROM tenants WHERE code = $1")
        .bind(PREF)
        .fetch_one(&app.ctx.db.read)
        .await
        .unwrap();
    let mut ids = Vec::new();
    for d in departments {
        ids.push(department_id(app, PREF, d).await);
    }
    insert_staff(
        &app.ctx.db,
        tenant,
        login,
        login,
        role,
        madoguchi::demo::DEMO_PASSWORD,
        &ids,
    )
    .await
    .unwrap();
    let client = app.browser();
    login_with(&client, app, login).await;
    client
}

/// A logged-in browser of a demo account.
async fn demo_staff(app: &TestApp, login: &str) -> reqwest::Client {
    let client = app.browser();
    login_with(&client, app, login).await;
    client
}

async fn text_of(client: &reqwest::Client, app: &TestApp, path: &str) -> (u16, String) {
    let r = client.get(app.url(path)).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// GETs `page` for its CSRF value, then POSTs `fields` (with it) to `action`.
async fn post_form(
    client: &reqwest::Client,
    app: &TestApp,
    page: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> (u16, String) {
    let (_, html) = text_of(client, app, page).await;
    let csrf = csrf_of(&html);
    let mut form = vec![("_csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    let r = client
        .post(app.url(action))
        .form(&form)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// Imports a form definition on `/staff/forms/import`.
async fn import_form(
    client: &reqwest::Client,
    app: &TestApp,
    slug: &str,
    json: &str,
) -> (u16, String) {
    post_form(
        client,
        app,
        "/staff/forms",
        "/staff/forms/import",
        &[("slug", slug), ("definition", json)],
    )
    .await
}

/// A submission made earlier to a form's current version and department (written as the committer does;
/// how residents submit is not what these tests are about). Returns its id.
async fn past_submission(app: &TestApp, slug: &str, receipt: &str) -> i64 {
    sqlx::query_scalar(
        "INSERT INTO submissions (tenant_id, department_id, form_id, form_version_id, receipt_number, status,
             answers, applicant_name, search_key, submitted_at, updated_at)
         SELECT f.tenant_id, f.department_id, f.id, v.id, $1, 'received', '{}', '道路 太郎', '', $2, $2
         FROM forms f JOIN form_versions v ON v.form_id = f.id AND v.version = f.current_version
         WHERE f.slug = $3
         RETURNING id",
    )
    .bind(receipt)
    .bind(madoguchi_kernel::now_ms())
    .bind(slug)
    .fetch_one(&app.ctx.db.write)
    .await
    .unwrap()
}

async fn form_row(app: &TestApp, slug: &str) -> (i64, i64, i64) {
    sqlx::query_as("SELECT id, department_id, current_version FROM forms WHERE slug = $1")
        .bind(slug)
        .fetch_one(&app.ctx.db.read)
        .await
        .unwrap()
}

both!(
    another_departments_editor_cannot_take_over_a_form_by_its_slug,
    a_moved_form_does_not_carry_its_past_submissions_to_the_new_department,
    issuance_batch_pages_are_scoped_by_department,
);

async fn another_departments_editor_cannot_take_over_a_form_by_its_slug(app: &TestApp) {
    let (form_id, owner, version) = form_row(app, "road-damage").await;
    assert_eq!(owner, department_id(app, PREF, "doro").await);
    let versions = app.scalar("SELECT COUNT(*) FROM form_versions").await;
    // An editor of デジタル政策課 only re-publishes 道路課's form under its own department.
    let attacker = pref_staff(app, "kikaku-editor", Role::Editor, &["kikaku"]).await;
    let hijack = ROAD_DAMAGE.replace("\"department\": \"doro\"", "\"department\": \"kikaku\"");
    assert_ne!(hijack, ROAD_DAMAGE);
    let (status, page) = import_form(&attacker, app, "road-damage", &hijack).await;
    assert_eq!(status, 422, "{page}");
    assert!(
        page.contains(
            "URL名「road-damage」は、編集する権限のない所属のフォームですでに使われています"
        ),
        "{page}"
    );
    // Nothing changed: the owner, the version, the versions stored.
    assert_eq!(
        form_row(app, "road-damage").await,
        (form_id, owner, version)
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM form_versions").await,
        versions
    );
    // The owner's editors still publish new versions.
    let owner_editor = demo_staff(app, "pref-editor").await;
    let (status, page) = import_form(&owner_editor, app, "road-damage", ROAD_DAMAGE).await;
    assert_eq!(status, 303, "{page}");
    assert_eq!(
        form_row(app, "road-damage").await,
        (form_id, owner, version + 1)
    );
}

async fn a_moved_form_does_not_carry_its_past_submissions_to_the_new_department(app: &TestApp) {
    let (form_id, _, _) = form_row(app, "road-damage").await;
    past_submission(app, "road-damage", "R-DORO-PAST-1").await;
    // The administrator moves the form to デジタル政策課 (allowed: they may edit both departments).
    let admin = demo_staff(app, "pref-admin").await;
    let moved = ROAD_DAMAGE.replace("\"department\": \"doro\"", "\"department\": \"kikaku\"");
    let (status, page) = import_form(&admin, app, "road-damage", &moved).await;
    assert_eq!(status, 303, "{page}");
    assert_eq!(
        form_row(app, "road-damage").await.1,
        department_id(app, PREF, "kikaku").await
    );
    // A reviewer of the new department reads the form's export, summary and inbox: not the past submission.
    let reviewer = pref_staff(app, "kikaku-reviewer", Role::Reviewer, &["kikaku"]).await;
    let export = format!("/staff/forms/{form_id}/export.csv");
    let (status, csv) = text_of(&reviewer, app, &export).await;
    assert_eq!(status, 200, "{csv}");
    assert!(csv.starts_with("\u{feff}受付番号"), "{csv}");
    assert!(!csv.contains("R-DORO-PAST-1"), "{csv}");
    let (status, sjis) = text_of(&reviewer, app, &format!("{export}?encoding=sjis")).await;
    assert_eq!(status, 200);
    assert!(!sjis.contains("R-DORO-PAST-1"));
    let (status, summary) =
        text_of(&reviewer, app, &format!("/staff/forms/{form_id}/summary")).await;
    assert_eq!(status, 200);
    assert!(summary.contains("申請数: 0件"), "{summary}");
    let (_, inbox) = text_of(&reviewer, app, "/staff").await;
    assert!(!inbox.contains("R-DORO-PAST-1"));
    // The administrator, who may read both departments, still sees it.
    let (_, csv) = text_of(&admin, app, &export).await;
    assert!(csv.contains("R-DORO-PAST-1"), "{csv}");
}

async fn issuance_batch_pages_are_scoped_by_department(app: &TestApp) {
    let sub = past_submission(app, "jigyo-suishin-hojokin", "R-SHOKO-BATCH-1").await;
    let (tenant, creator): (i64, i64) =
        sqlx::query_as("SELECT tenant_id, id FROM staff WHERE login = 'shoko-reviewer'")
            .fetch_one(&app.ctx.db.read)
            .await
            .unwrap();
    let batch: i64 = sqlx::query_scalar(
        "INSERT INTO issuance_batches (tenant_id, created_by, total, created_at) VALUES ($1, $2, 1, $3) RETURNING id",
    )
    .bind(tenant)
    .bind(creator)
    .bind(madoguchi_kernel::now_ms())
    .fetch_one(&app.ctx.db.write)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO issuance_batch_items (batch_id, submission_id, state) VALUES ($1, $2, 'done')",
    )
    .bind(batch)
    .bind(sub)
    .execute(&app.ctx.db.write)
    .await
    .unwrap();
    let path = format!("/staff/issuance/batches/{batch}");
    for (login, expected) in [
        ("doro-reviewer", 404),
        ("pref-viewer", 404),
        ("kochi-city-admin", 404),
        ("shoko-reviewer", 200),
        ("pref-admin", 200),
    ] {
        let client = demo_staff(app, login).await;
        let (status, page) = text_of(&client, app, &path).await;
        assert_eq!(status, expected, "{login}");
        assert_eq!(page.contains("R-SHOKO-BATCH-1"), expected == 200, "{login}");
    }
}
