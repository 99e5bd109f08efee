//! Issue 14 ("Trust"): the route inventory and the IDOR matrix, over HTTP on SQLite and PostgreSQL.
//!
//! **Inventory.** axum cannot list a router's routes, so the test reads them where they are written: every
//! `.route("…", …)` call in `crates/*/src/**/*.rs`, with the methods of its handlers (`get(…)`, `post(…)`).
//! Reading the source needs no registry that production code would have to keep in step, and a route cannot
//! be added anywhere without being seen.
//!
//! **Which routes carry an id.** A route carries an id when one of its path parameters names an object that
//! belongs to someone: every parameter except `{code}` (a tenant's 地方公共団体コード, a postal code, or a
//! published document's public verification code), `{slug}` (a published form's public name), `{name}` (a
//! CKAN action or a public dataset's name) and `{provider}` (a configured sign-in provider). Each
//! (method, route) of those must have a row in [`MATRIX`]; a new one without a row fails the test, naming it.
//!
//! **Matrix.** The objects belong to 高知県's 道路課 (`doro`) and to the applicant taro; each row is tried as
//! anonymous, another applicant, another tenant's staff (高知市), another department's staff (商工政策課), the
//! read-only role (閲覧者, of yet another department) and a viewer of 道路課 itself (on every staff POST and every
//! staff page with personal data), each with a CSRF value from its own pages. A denied
//! request is 403/404 (401 on the API, or a redirect to a login page), shows none of the object's personal
//! data, and changes nothing in the database. The owner opens each GET row (200), so the objects are real.

use crate::common;

use common::{Browser, TestApp};
use madoguchi_kernel::staff::Role;
use std::collections::{BTreeMap, BTreeSet};

/// Who tries to reach an object that belongs to someone else.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Actor {
    Anonymous,
    OtherApplicant,
    OtherTenantStaff,
    OtherDepartmentStaff,
    ReadOnly,
    /// A viewer (閲覧者) of the object's own department: sees forms and statistics, never personal data, and
    /// changes nothing. Tried on every staff POST and on [`PERSONAL_DATA_PAGES`].
    OwnDepartmentViewer,
}

/// Staff pages that show personal data, which a viewer of the object's own department may not open either.
const PERSONAL_DATA_PAGES: &[&str] = &[
    "/staff/submissions/{id}",
    "/staff/submissions/{id}/attachments/{file}",
    "/staff/forms/{id}/export.csv",
    "/staff/issuance/submissions/{id}",
    "/staff/issuance/submissions/{id}/preview.pdf",
    "/staff/issuance/documents/{id}/file.pdf",
    "/staff/issuance/batches/{id}",
];

impl Row {
    /// Whether `actor` must be refused on this row.
    fn denies(&self, actor: Actor) -> bool {
        if actor == Actor::OwnDepartmentViewer {
            return self.route.starts_with("/staff")
                && (self.method == "POST" || PERSONAL_DATA_PAGES.contains(&self.route));
        }
        self.denied.contains(&actor)
    }
}

const EVERYONE: &[Actor] = &[
    Actor::Anonymous,
    Actor::OtherApplicant,
    Actor::OtherTenantStaff,
    Actor::OtherDepartmentStaff,
    Actor::ReadOnly,
];

/// Everyone but staff of the owning tenant, whose other departments may use the object by design.
const OUTSIDE_TENANT: &[Actor] = &[
    Actor::Anonymous,
    Actor::OtherApplicant,
    Actor::OtherTenantStaff,
];

/// Who owns the object of a row, and opens it (GET 200) to show the fixture is real.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Owner {
    /// 道路課's reviewer (`doro-reviewer`).
    Staff,
    /// 高知県's form editor of 道路課 and others (`pref-editor`), for what only editors open.
    Editor,
    /// 高知県's administrator (`pref-admin`), for objects of the whole tenant.
    TenantAdmin,
    /// The applicant taro.
    Applicant,
    /// Nobody opens it (a POST, a bearer link, or an object whose content is not stored in the fixture).
    None,
}

/// The ids of the fixture's objects, which paths are made from.
struct Fixture {
    submission: i64,
    receipt: String,
    attachment: String,
    form: i64,
    draft: String,
    faq_entry: i64,
    faq_shared: i64,
    document: i64,
    batch: i64,
    dataset: String,
    resource: String,
    api_token: i64,
    harvest_source: i64,
    builder: i64,
    template: i64,
}

/// Personal data of the fixture that no denied response may show.
const SECRETS: &[&str] = &[
    "道路 太郎",
    "idor-receipt-0001",
    "taro@example.jp",
    "道路太郎の写真",
    "非公開データ（IDOR）",
    "IDOR非公開質問",
];

/// What a row expects of everyone in its `denied` list.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Expect {
    /// 403/404, 401, or a redirect to a login page.
    Denied,
    /// A capability in the URL (a sign-in or resume link, a download link, a flyer's short URL, a receipt
    /// number the resident was shown): whoever holds it may use it, so the matrix tries a value that is not
    /// theirs (made up, or the victim's receipt on the page that only echoes it) and expects no personal
    /// data and no change, whatever the status.
    Capability,
}

/// One row of the IDOR matrix: a method and route, how to make its path for the fixture, the fields of a
/// POST, who must be denied, and who owns the object.
struct Row {
    method: &'static str,
    route: &'static str,
    path: fn(&Fixture) -> String,
    fields: &'static [(&'static str, &'static str)],
    denied: &'static [Actor],
    expect: Expect,
    owner: Owner,
}

macro_rules! row {
    ($method:literal, $route:literal, |$f:ident| $path:expr, $fields:expr, $denied:expr, $expect:ident, $owner:ident) => {
        Row {
            method: $method,
            route: $route,
            path: |$f: &Fixture| $path,
            fields: $fields,
            denied: $denied,
            expect: Expect::$expect,
            owner: Owner::$owner,
        }
    };
}

/// The IDOR matrix: a row for every (method, route) with an id (see the module doc for the rule).
#[rustfmt::skip]
const MATRIX: &[Row] = &[
    // --- Applications: staff pages of one submission (道路課), the form, the builder, templates.
    row!("GET", "/staff/submissions/{id}", |f| format!("/staff/submissions/{}", f.submission), &[], EVERYONE, Denied, Staff),
    row!("POST", "/staff/submissions/{id}/status", |f| format!("/staff/submissions/{}/status", f.submission), &[("to", "rejected"), ("status", "rejected"), ("note", "x")], EVERYONE, Denied, None),
    row!("POST", "/staff/submissions/{id}/comments", |f| format!("/staff/submissions/{}/comments", f.submission), &[("body", "IDOR comment")], EVERYONE, Denied, None),
    row!("POST", "/staff/submissions/{id}/messages", |f| format!("/staff/submissions/{}/messages", f.submission), &[("body", "IDOR message")], EVERYONE, Denied, None),
    row!("GET", "/staff/submissions/{id}/attachments/{file}", |f| format!( "/staff/submissions/{}/attachments/{}", f.submission, f.attachment ), &[], EVERYONE, Denied, None),
    // A tenant's forms are listed to all its staff and their definitions are published; only their
    // submissions (summary, export) are kept to the form's department.
    row!("GET", "/staff/forms/{id}/definition.json", |f| format!("/staff/forms/{}/definition.json", f.form), &[], OUTSIDE_TENANT, Denied, Staff),
    row!("GET", "/staff/forms/{id}/summary", |f| format!("/staff/forms/{}/summary", f.form), &[], EVERYONE, Denied, Staff),
    row!("GET", "/staff/forms/{id}/versions", |f| format!("/staff/forms/{}/versions", f.form), &[], OUTSIDE_TENANT, Denied, Staff),
    row!("POST", "/staff/forms/{id}/rollback", |f| format!("/staff/forms/{}/rollback", f.form), &[("version", "1")], EVERYONE, Denied, None),
    row!("POST", "/staff/forms/{id}/edit", |f| format!("/staff/forms/{}/edit", f.form), &[], EVERYONE, Denied, None),
    row!("GET", "/staff/forms/{id}/export.csv", |f| format!("/staff/forms/{}/export.csv", f.form), &[], EVERYONE, Denied, Staff),
    row!("GET", "/staff/forms/{id}/codebook.csv", |f| format!("/staff/forms/{}/codebook.csv", f.form), &[], OUTSIDE_TENANT, Denied, Staff),
    row!("GET", "/staff/builder/{id}", |f| format!("/staff/builder/{}", f.builder), &[], OUTSIDE_TENANT, Denied, TenantAdmin),
    row!("POST", "/staff/builder/{id}", |f| format!("/staff/builder/{}", f.builder), &[("rev", "1"), ("op", "discard")], EVERYONE, Denied, None),
    row!("GET", "/staff/builder/{id}/preview", |f| format!("/staff/builder/{}/preview", f.builder), &[], OUTSIDE_TENANT, Denied, TenantAdmin),
    row!("POST", "/staff/builder/{id}/preview", |f| format!("/staff/builder/{}/preview", f.builder), &[], OUTSIDE_TENANT, Denied, None),
    row!("GET", "/staff/builder/{id}/translations", |f| format!("/staff/builder/{}/translations", f.builder), &[], OUTSIDE_TENANT, Denied, TenantAdmin),
    row!("POST", "/staff/builder/{id}/translations", |f| format!("/staff/builder/{}/translations", f.builder), &[("rev", "1"), ("lang", "en")], EVERYONE, Denied, None),
    row!("GET", "/staff/templates/{id}/use", |f| format!("/staff/templates/{}/use", f.template), &[], &[Actor::Anonymous, Actor::OtherApplicant], Denied, TenantAdmin),
    row!("POST", "/staff/templates/{id}/use", |f| format!("/staff/templates/{}/use", f.template), &[ ("slug", "idor-from-template"), ("title", "IDOR"), ("department", "1") ], &[Actor::Anonymous, Actor::OtherApplicant, Actor::ReadOnly], Denied, None),
    // --- A resident's pages: taro's application, draft and documents.
    row!("GET", "/t/{code}/forms/{slug}/done/{receipt}", |f| format!("/t/390003/forms/road-damage/done/{}", f.receipt), &[], EVERYONE, Capability, None),
    row!("GET", "/mypage/applications/{id}", |f| format!("/mypage/applications/{}", f.submission), &[], EVERYONE, Denied, Applicant),
    row!("GET", "/mypage/applications/{id}/print", |f| format!("/mypage/applications/{}/print", f.submission), &[], EVERYONE, Denied, Applicant),
    row!("GET", "/mypage/applications/{id}/documents/{doc}", |f| format!( "/mypage/applications/{}/documents/{}", f.submission, f.document ), &[], EVERYONE, Denied, None),
    row!("POST", "/mypage/applications/{id}/withdraw", |f| format!("/mypage/applications/{}/withdraw", f.submission), &[], EVERYONE, Denied, None),
    row!("POST", "/mypage/applications/{id}/messages", |f| format!("/mypage/applications/{}/messages", f.submission), &[("body", "IDOR message")], EVERYONE, Denied, None),
    row!("GET", "/mypage/applications/{id}/correction", |f| format!("/mypage/applications/{}/correction", f.submission), &[], EVERYONE, Denied, None),
    row!("POST", "/mypage/applications/{id}/correction", |f| format!("/mypage/applications/{}/correction", f.submission), &[], EVERYONE, Denied, None),
    row!("GET", "/mypage/applications/{id}/attachments/{file}", |f| format!( "/mypage/applications/{}/attachments/{}", f.submission, f.attachment ), &[], EVERYONE, Denied, None),
    row!("POST", "/mypage/drafts/{id}/resume", |f| format!("/mypage/drafts/{}/resume", f.draft), &[], EVERYONE, Denied, None),
    row!("POST", "/mypage/drafts/{id}/delete", |f| format!("/mypage/drafts/{}/delete", f.draft), &[], EVERYONE, Denied, None),
    row!("GET", "/mypage/login/{token}", |_f| "/mypage/login/idor-not-a-real-token-0000000000000".into(), &[], EVERYONE, Capability, None),
    row!("POST", "/mypage/login/{token}", |_f| "/mypage/login/idor-not-a-real-token-0000000000000".into(), &[("next", "")], EVERYONE, Capability, None),
    row!("GET", "/resume/{token}", |_f| "/resume/idor-not-a-real-token-0000000000000".into(), &[], EVERYONE, Capability, None),
    row!("POST", "/resume/{token}", |_f| "/resume/idor-not-a-real-token-0000000000000".into(), &[], EVERYONE, Capability, None),
    row!("GET", "/f/{short}", |_f| "/f/idorzz".into(), &[], EVERYONE, Capability, None),
    // --- FAQ: a 道路課 entry, and an entry of the shared pool (which every tenant may adopt by design).
    // Staff Q&As are read across the tenant by design (the helpdesk answers from all of them); changing
    // one is for its own department.
    row!("GET", "/staff/faq/entries/{id}", |f| format!("/staff/faq/entries/{}", f.faq_entry), &[], OUTSIDE_TENANT, Denied, Staff),
    row!("POST", "/staff/faq/entries/{id}", |f| format!("/staff/faq/entries/{}", f.faq_entry), &[ ("question", "IDOR"), ("answer", "IDOR"), ("category", "IDOR") ], EVERYONE, Denied, None),
    row!("POST", "/staff/faq/entries/{id}/archive", |f| format!("/staff/faq/entries/{}/archive", f.faq_entry), &[], EVERYONE, Denied, None),
    row!("POST", "/staff/faq/entries/{id}/publish", |f| format!("/staff/faq/entries/{}/publish", f.faq_entry), &[], EVERYONE, Denied, None),
    row!("POST", "/staff/faq/shared/{id}/adopt", |f| format!("/staff/faq/shared/{}/adopt", f.faq_shared), &[], &[Actor::Anonymous, Actor::OtherApplicant, Actor::ReadOnly], Denied, None),
    // --- Issuance: the form's template, the submission's document, a batch.
    row!("GET", "/staff/issuance/forms/{form_id}/template", |f| format!("/staff/issuance/forms/{}/template", f.form), &[], EVERYONE, Denied, Editor),
    row!("POST", "/staff/issuance/forms/{form_id}/template", |f| format!("/staff/issuance/forms/{}/template", f.form), &[("title", "IDOR")], EVERYONE, Denied, None),
    row!("POST", "/staff/issuance/forms/{form_id}/seal", |f| format!("/staff/issuance/forms/{}/seal", f.form), &[], EVERYONE, Denied, None),
    row!("GET", "/staff/issuance/forms/{form_id}/preview.pdf", |f| format!("/staff/issuance/forms/{}/preview.pdf", f.form), &[], EVERYONE, Denied, None),
    row!("GET", "/staff/issuance/submissions/{id}", |f| format!("/staff/issuance/submissions/{}", f.submission), &[], EVERYONE, Denied, Staff),
    row!("GET", "/staff/issuance/submissions/{id}/preview.pdf", |f| format!("/staff/issuance/submissions/{}/preview.pdf", f.submission), &[], EVERYONE, Denied, None),
    row!("POST", "/staff/issuance/submissions/{id}/issue", |f| format!("/staff/issuance/submissions/{}/issue", f.submission), &[], EVERYONE, Denied, None),
    row!("POST", "/staff/issuance/submissions/{id}/fee", |f| format!("/staff/issuance/submissions/{}/fee", f.submission), &[("receipt", "IDOR")], EVERYONE, Denied, None),
    row!("GET", "/staff/issuance/documents/{id}/file.pdf", |f| format!("/staff/issuance/documents/{}/file.pdf", f.document), &[], EVERYONE, Denied, None),
    row!("POST", "/staff/issuance/documents/{id}/reissue", |f| format!("/staff/issuance/documents/{}/reissue", f.document), &[("reason", "IDOR")], EVERYONE, Denied, None),
    row!("POST", "/staff/issuance/documents/{id}/revoke", |f| format!("/staff/issuance/documents/{}/revoke", f.document), &[("reason", "IDOR")], EVERYONE, Denied, None),
    row!("GET", "/staff/issuance/batches/{id}", |f| format!("/staff/issuance/batches/{}", f.batch), &[], EVERYONE, Denied, Staff),
    row!("GET", "/issuance/d/{token}", |_f| "/issuance/d/idor-not-a-real-token-0000000000000".into(), &[], EVERYONE, Capability, None),
    // --- Open data: a private dataset of 高知県 with a draft resource, and a staff member's API token.
    row!("GET", "/opendata/dataset/{name}/resource/{rid}", |f| format!("/opendata/dataset/idor-private/resource/{}", f.resource), &[], &[ Actor::Anonymous, Actor::OtherApplicant, Actor::OtherTenantStaff ], Denied, None),
    row!("GET", "/opendata/dataset/{name}/resource/{rid}/download/{file}", |f| format!( "/opendata/dataset/idor-private/resource/{}/download/data.csv", f.resource ), &[], &[ Actor::Anonymous, Actor::OtherApplicant, Actor::OtherTenantStaff ], Denied, None),
    row!("GET", "/staff/opendata/datasets/{id}", |f| format!("/staff/opendata/datasets/{}", f.dataset), &[], OUTSIDE_TENANT, Denied, TenantAdmin),
    row!("POST", "/staff/opendata/datasets/{id}", |f| format!("/staff/opendata/datasets/{}", f.dataset), &[("title", "IDOR"), ("license_id", "CC-BY-4.0")], OUTSIDE_TENANT, Denied, None),
    row!("POST", "/staff/opendata/datasets/{id}/delete", |f| format!("/staff/opendata/datasets/{}/delete", f.dataset), &[], OUTSIDE_TENANT, Denied, None),
    row!("POST", "/staff/opendata/datasets/{id}/resources", |f| format!("/staff/opendata/datasets/{}/resources", f.dataset), &[], OUTSIDE_TENANT, Denied, None),
    row!("POST", "/staff/opendata/resources/{rid}/publish", |f| format!("/staff/opendata/resources/{}/publish", f.resource), &[], OUTSIDE_TENANT, Denied, None),
    row!("POST", "/staff/opendata/resources/{rid}/delete", |f| format!("/staff/opendata/resources/{}/delete", f.resource), &[], OUTSIDE_TENANT, Denied, None),
    row!("POST", "/staff/opendata/tokens/{id}/revoke", |f| format!("/staff/opendata/tokens/{}/revoke", f.api_token), &[], EVERYONE, Denied, None),
    // Harvest sources are the prefecture administrator's alone: every other role of the tenant is refused too.
    row!("GET", "/staff/opendata/harvest/{id}", |f| format!("/staff/opendata/harvest/{}", f.harvest_source), &[], EVERYONE, Denied, TenantAdmin),
    row!("POST", "/staff/opendata/harvest/{id}", |f| format!("/staff/opendata/harvest/{}", f.harvest_source), &[("name", "IDOR"), ("kind", "ckan"), ("url", "https://example.jp"), ("every_hours", "0")], EVERYONE, Denied, None),
    row!("POST", "/staff/opendata/harvest/{id}/run", |f| format!("/staff/opendata/harvest/{}/run", f.harvest_source), &[], EVERYONE, Denied, None),
];

/// Routes whose POST body is multipart (uploads); their rows are sent as multipart forms, so a refusal comes
/// from the id and not from the body's encoding.
const MULTIPART: &[&str] = &[
    "/staff/builder/{id}/preview",
    "/staff/issuance/forms/{form_id}/seal",
    "/staff/opendata/datasets/{id}/resources",
    "/mypage/applications/{id}/correction",
];

/// Path parameters that name no one's object (see the module doc).
const NOT_IDS: &[&str] = &["{code}", "{slug}", "{name}", "{provider}"];

/// Every (method, route) written in the crates' sources, with an id in its path.
fn id_routes() -> BTreeSet<(String, String)> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut found = BTreeSet::new();
    let mut files = Vec::new();
    collect_rs(&root, &mut files);
    for file in files {
        let src = std::fs::read_to_string(&file).unwrap();
        let mut rest = src.as_str();
        while let Some(at) = rest.find(".route(") {
            let call = &rest[at + ".route(".len()..];
            // The call's arguments, up to its closing parenthesis.
            let mut depth = 1;
            let mut end = call.len();
            for (i, c) in call.char_indices() {
                match c {
                    '(' => depth += 1,
                    ')' => {
                        depth -= 1;
                        if depth == 0 {
                            end = i;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            let args = &call[..end];
            rest = &call[end..];
            let Some(path) = args
                .trim_start()
                .strip_prefix('"')
                .and_then(|s| s.split('"').next())
            else {
                continue;
            };
            let has_id = path
                .split('/')
                .any(|seg| seg.starts_with('{') && !NOT_IDS.contains(&seg));
            if !has_id {
                continue;
            }
            for (method, marker) in [("GET", "get("), ("POST", "post(")] {
                let called = args
                    .match_indices(marker)
                    .any(|(i, _)| !args[..i].ends_with(|c: char| c.is_alphanumeric() || c == '_'));
                if called {
                    found.insert((method.to_string(), path.to_string()));
                }
            }
        }
    }
    found
}

fn collect_rs(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            // Only sources: tests and build output hold no routes of the server.
            let name = path.file_name().unwrap().to_string_lossy();
            if name != "tests" && name != "target" && !name.starts_with('.') {
                collect_rs(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs")
            && path.components().any(|c| c.as_os_str() == "src")
        {
            out.push(path);
        }
    }
}

#[test]
fn every_route_with_an_id_has_a_row_in_the_idor_matrix() {
    let routes = id_routes();
    let rows: BTreeSet<(String, String)> = MATRIX
        .iter()
        .map(|r| (r.method.to_string(), r.route.to_string()))
        .collect();
    let missing: Vec<String> = routes
        .difference(&rows)
        .map(|(m, p)| format!("{m} {p}"))
        .collect();
    let stale: Vec<String> = rows
        .difference(&routes)
        .map(|(m, p)| format!("{m} {p}"))
        .collect();
    println!(
        "security_idor_routes_covered={}",
        routes.len() - missing.len()
    );
    println!("security_idor_routes_missing={}", missing.len());
    assert!(
        missing.is_empty(),
        "routes with an id but no row in the IDOR matrix of tests/trust_idor.rs: {missing:#?}"
    );
    assert!(
        stale.is_empty(),
        "IDOR matrix rows for routes that no longer exist: {stale:#?}"
    );
    // A parser that stopped seeing routes would pass vacuously.
    assert!(
        routes.len() >= 40,
        "the inventory found too few routes: {routes:?}"
    );
}

// ---------------------------------------------------------------------------------------------------------
// The fixture: objects of 高知県's 道路課 and of the applicant taro, written as the services would.

async fn id_of(app: &TestApp, sql: &str) -> i64 {
    app.scalar(sql).await
}

async fn exec(app: &TestApp, sql: &str, binds: &[&str]) {
    let mut q = sqlx::query(sql);
    for b in binds {
        q = q.bind(*b);
    }
    q.execute(&app.ctx.db.write).await.unwrap();
}

async fn fixture(app: &TestApp) -> Fixture {
    let now = madoguchi_kernel::now_ms();
    // taro signs in once, so his account exists as a resident's would.
    app.as_applicant("taro@example.jp").await;
    let applicant = id_of(
        app,
        "SELECT id FROM applicants WHERE email = 'taro@example.jp'",
    )
    .await;
    let form = id_of(app, "SELECT id FROM forms WHERE slug = 'road-damage'").await;
    let submission: i64 = sqlx::query_scalar(
        "INSERT INTO submissions (tenant_id, department_id, form_id, form_version_id, receipt_number, status,
             answers, applicant_name, search_key, submitted_at, updated_at, applicant_id)
         SELECT f.tenant_id, f.department_id, f.id, v.id, 'idor-receipt-0001', 'received',
             '{\"name\":\"道路 太郎\"}', '道路 太郎', '', $1, $1, $2
         FROM forms f JOIN form_versions v ON v.form_id = f.id AND v.version = f.current_version
         WHERE f.id = $3
         RETURNING id",
    )
    .bind(now)
    .bind(applicant)
    .bind(form)
    .fetch_one(&app.ctx.db.write)
    .await
    .unwrap();
    let (s, n) = (submission.to_string(), now.to_string());
    exec(
        app,
        "INSERT INTO attachments (id, submission_id, file_name, content_type, size, sha256, created_at)
         VALUES ('idor-attachment-0001', CAST($1 AS BIGINT), '道路太郎の写真.pdf', 'application/pdf', 10, '', CAST($2 AS BIGINT))",
        &[&s, &n],
    )
    .await;
    exec(
        app,
        "INSERT INTO drafts (token_hash, form_version_id, raw_input, created_at, expires_at, draft_id, applicant_id)
         SELECT 'idor-draft-hash', form_version_id, '{\"name\":\"道路 太郎\"}', CAST($2 AS BIGINT),
             CAST($2 AS BIGINT) + 86400000, 'idor-draft-0001', applicant_id
         FROM submissions WHERE id = CAST($1 AS BIGINT)",
        &[&s, &n],
    )
    .await;
    exec(
        app,
        "INSERT INTO faq_entries (tenant_id, department_id, category, question, answer, audience, version, updated_at)
         SELECT tenant_id, department_id, 'IDOR', 'IDOR非公開質問', 'IDOR', 'staff', 1, CAST($2 AS BIGINT)
         FROM submissions WHERE id = CAST($1 AS BIGINT)",
        &[&s, &n],
    )
    .await;
    let faq_entry = id_of(app, "SELECT MAX(id) FROM faq_entries").await;
    let faq_shared = app
        .scalar("SELECT COALESCE(MAX(id), 999999) FROM faq_shared")
        .await;
    exec(
        app,
        "INSERT INTO issuance_templates (tenant_id, form_id, kind, title, number_format, issuer_title, issuer_name,
             created_at, updated_at)
         SELECT tenant_id, form_id, 'permit', '道路占用許可書', '高知県指令第{n}号', '高知県知事', '高知 一郎',
             CAST($2 AS BIGINT), CAST($2 AS BIGINT)
         FROM submissions WHERE id = CAST($1 AS BIGINT)",
        &[&s, &n],
    )
    .await;
    exec(
        app,
        "INSERT INTO issued_documents (tenant_id, department_id, submission_id, template_id, document_number,
             title, issuer, signer, verify_code, object_key, file_sha256, signature_sha256, content_hash, status,
             issued_at, timestamp_at)
         SELECT s.tenant_id, s.department_id, s.id, t.id, '高知県指令第1号', '道路占用許可書', '高知県知事',
             '高知 一郎', 'IDORVERIFY0001', 'issuance/idor.pdf', '', '', '', 'valid', CAST($2 AS BIGINT),
             CAST($2 AS BIGINT)
         FROM submissions s JOIN issuance_templates t ON t.form_id = s.form_id
         WHERE s.id = CAST($1 AS BIGINT)",
        &[&s, &n],
    )
    .await;
    let document = id_of(app, "SELECT MAX(id) FROM issued_documents").await;
    exec(
        app,
        "INSERT INTO issuance_batches (tenant_id, created_by, total, created_at)
         SELECT s.tenant_id, st.id, 1, CAST($2 AS BIGINT)
         FROM submissions s, staff st WHERE s.id = CAST($1 AS BIGINT) AND st.login = 'doro-reviewer'",
        &[&s, &n],
    )
    .await;
    let batch = id_of(app, "SELECT MAX(id) FROM issuance_batches").await;
    exec(
        app,
        "INSERT INTO issuance_batch_items (batch_id, submission_id, state) VALUES (CAST($1 AS BIGINT), CAST($2 AS BIGINT), 'pending')",
        &[&batch.to_string(), &s],
    )
    .await;
    exec(
        app,
        "INSERT INTO od_datasets (id, tenant_id, name, title, license_id, private, created_at, modified_at)
         SELECT 'idor-dataset-0001', id, 'idor-private', '非公開データ（IDOR）', 'CC-BY-4.0', 1,
             CAST($1 AS BIGINT), CAST($1 AS BIGINT)
         FROM tenants WHERE code = '390003'",
        &[&n],
    )
    .await;
    exec(
        app,
        "INSERT INTO od_resources (id, dataset_id, position, name, state, file_name, created_at, modified_at)
         VALUES ('idor-resource-0001', 'idor-dataset-0001', 0, '非公開データ（IDOR）', 'draft', 'data.csv',
             CAST($1 AS BIGINT), CAST($1 AS BIGINT))",
        &[&n],
    )
    .await;
    exec(
        app,
        "INSERT INTO od_api_tokens (token_hash, staff_id, tenant_id, name, created_at)
         SELECT 'idor-token-hash', id, tenant_id, 'IDOR', CAST($1 AS BIGINT) FROM staff WHERE login = 'pref-admin'",
        &[&n],
    )
    .await;
    let api_token = id_of(app, "SELECT MAX(id) FROM od_api_tokens").await;
    exec(
        app,
        "INSERT INTO od_harvest_sources (tenant_id, name, kind, url, org_tenant_id, created_at, modified_at)
         SELECT id, '取り込み元（IDOR）', 'ckan', 'https://example.jp', id, CAST($1 AS BIGINT), CAST($1 AS BIGINT)
         FROM tenants WHERE code = '390003'",
        &[&n],
    )
    .await;
    let harvest_source = id_of(app, "SELECT MAX(id) FROM od_harvest_sources").await;
    exec(
        app,
        "INSERT INTO builder_drafts (tenant_id, form_id, slug, definition, revision, updated_at)
         SELECT f.tenant_id, f.id, f.slug, v.definition, 1, CAST($2 AS BIGINT)
         FROM forms f JOIN form_versions v ON v.form_id = f.id AND v.version = f.current_version
         WHERE f.id = CAST($1 AS BIGINT)",
        &[&form.to_string(), &n],
    )
    .await;
    let builder = id_of(app, "SELECT MAX(id) FROM builder_drafts").await;
    let template = id_of(app, "SELECT MIN(id) FROM form_templates").await;
    Fixture {
        submission,
        receipt: "idor-receipt-0001".into(),
        attachment: "idor-attachment-0001".into(),
        form,
        draft: "idor-draft-0001".into(),
        faq_entry,
        faq_shared,
        document,
        batch,
        dataset: "idor-dataset-0001".into(),
        resource: "idor-resource-0001".into(),
        api_token,
        harvest_source,
        builder,
        template,
    }
}

/// What a denied request must leave as it was: the rows of every table that holds someone's data, and the
/// state of the fixture's objects. Sessions, the audit log, rate-limit counters and sign-in links are left
/// out: a refused request may write those.
async fn fingerprint(app: &TestApp) -> BTreeMap<String, String> {
    let mut f = BTreeMap::new();
    for table in [
        "forms",
        "form_versions",
        "drafts",
        "submissions",
        "attachments",
        "submission_events",
        "submission_corrections",
        "submission_revisions",
        "faq_entries",
        "faq_entry_versions",
        "faq_shared",
        "od_datasets",
        "od_resources",
        "od_api_tokens",
        "od_harvest_sources",
        "od_harvest_runs",
        "form_templates",
        "issuance_templates",
        "issued_documents",
        "issuance_fees",
        "issuance_batches",
        "builder_drafts",
        "jobs",
        "staff",
        "departments",
    ] {
        let n = app.scalar(&format!("SELECT COUNT(*) FROM {table}")).await;
        f.insert(table.to_string(), n.to_string());
    }
    for (key, sql) in [
        (
            "submissions.state",
            "SELECT CAST(id AS TEXT) || ':' || status || ':' || CAST(department_id AS TEXT) || ':' || answers FROM submissions ORDER BY id",
        ),
        (
            "forms.state",
            "SELECT CAST(id AS TEXT) || ':' || CAST(department_id AS TEXT) || ':' || CAST(current_version AS TEXT) FROM forms ORDER BY id",
        ),
        (
            "faq.state",
            "SELECT CAST(id AS TEXT) || ':' || CAST(archived AS TEXT) || ':' || CAST(version AS TEXT) || ':' || question FROM faq_entries ORDER BY id",
        ),
        (
            "documents.state",
            "SELECT CAST(id AS TEXT) || ':' || status FROM issued_documents ORDER BY id",
        ),
        (
            "resources.state",
            "SELECT id || ':' || state || ':' || name FROM od_resources ORDER BY id",
        ),
        (
            "datasets.state",
            "SELECT id || ':' || state || ':' || title FROM od_datasets ORDER BY id",
        ),
        (
            "tokens.state",
            "SELECT CAST(id AS TEXT) || ':' || COALESCE(CAST(revoked_at AS TEXT), '-') FROM od_api_tokens ORDER BY id",
        ),
        (
            "harvest.state",
            "SELECT CAST(id AS TEXT) || ':' || name || ':' || url FROM od_harvest_sources ORDER BY id",
        ),
        (
            "builder.state",
            "SELECT CAST(id AS TEXT) || ':' || CAST(revision AS TEXT) FROM builder_drafts ORDER BY id",
        ),
        (
            "templates.state",
            "SELECT CAST(id AS TEXT) || ':' || title FROM issuance_templates ORDER BY id",
        ),
    ] {
        let rows: Vec<String> = sqlx::query_scalar(sql)
            .fetch_all(&app.ctx.db.read)
            .await
            .unwrap();
        f.insert(key.to_string(), rows.join("\n"));
    }
    f
}

fn is_denied(status: u16, location: Option<&str>) -> bool {
    match status {
        401 | 403 | 404 => true,
        302 | 303 | 307 => location.is_some_and(|l| l.contains("/login")),
        _ => false,
    }
}

async fn try_row(b: &Browser<'_>, row: &Row, path: &str) -> (u16, Option<String>, String) {
    let r = if row.method == "GET" {
        b.client.get(b.app.url(path)).send().await.unwrap()
    } else if MULTIPART.contains(&row.route) {
        let form = row
            .fields
            .iter()
            .fold(reqwest::multipart::Form::new(), |form, (k, v)| {
                form.text(*k, *v)
            });
        b.post_multipart(path, form).await
    } else {
        let csrf = b.csrf_for(path).await;
        b.post_form_with(&csrf, path, row.fields).await
    };
    let status = r.status().as_u16();
    let location = r
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string());
    (status, location, r.text().await.unwrap_or_default())
}

both!(nobody_reaches_an_object_of_another_applicant_department_or_tenant_by_its_id);

async fn nobody_reaches_an_object_of_another_applicant_department_or_tenant_by_its_id(
    app: &TestApp,
) {
    let f = fixture(app).await;
    let actors = [
        (Actor::Anonymous, app.anonymous()),
        (
            Actor::OtherApplicant,
            app.as_applicant("hanako@example.jp").await,
        ),
        (
            Actor::OtherTenantStaff,
            app.as_staff("kochi-city-admin").await,
        ),
        (
            Actor::OtherDepartmentStaff,
            app.as_staff("shoko-reviewer").await,
        ),
        (Actor::ReadOnly, app.as_staff("pref-viewer").await),
        (
            Actor::OwnDepartmentViewer,
            app.as_staff_role(Role::Viewer, &["doro"]).await,
        ),
    ];
    let mut before = fingerprint(app).await;
    let mut failures = Vec::new();
    let mut tried = 0;
    for row in MATRIX {
        let path = (row.path)(&f);
        for (actor, browser) in &actors {
            if !row.denies(*actor) {
                continue;
            }
            tried += 1;
            let (status, location, body) = try_row(browser, row, &path).await;
            let what = format!("{} {} as {actor:?}: {status}", row.method, path);
            if body.contains("不正な送信") {
                failures.push(format!("{what} refused for its CSRF value, not its id"));
            }
            if row.expect == Expect::Denied && !is_denied(status, location.as_deref()) {
                failures.push(format!("{what} (location {location:?}) is not denied"));
            }
            if status >= 500 {
                failures.push(format!("{what} is a server error"));
            }
            for secret in SECRETS {
                if body.contains(secret)
                    && !(row.expect == Expect::Capability && *secret == f.receipt)
                {
                    failures.push(format!("{what} shows {secret}"));
                }
            }
            let now = fingerprint(app).await;
            if now != before {
                let changed: Vec<&String> = now
                    .iter()
                    .filter(|(k, v)| before.get(*k) != Some(v))
                    .map(|(k, _)| k)
                    .collect();
                failures.push(format!("{what} changed {changed:?}"));
                // Later rows are judged against the changed state, so each change is named once.
                before = now;
            }
        }
    }
    // The objects are real: their owners open them.
    let doro = app.as_staff("doro-reviewer").await;
    let admin = app.as_staff("pref-admin").await;
    let editor = app.as_staff("pref-editor").await;
    let taro = app.as_applicant("taro@example.jp").await;
    for row in MATRIX.iter().filter(|r| r.owner != Owner::None) {
        let owner = match row.owner {
            Owner::Staff => &doro,
            Owner::Editor => &editor,
            Owner::TenantAdmin => &admin,
            _ => &taro,
        };
        let path = (row.path)(&f);
        let (status, _) = owner.get_page(&path).await;
        if status != 200 {
            failures.push(format!(
                "{} {path} as its owner {:?}: {status}, not 200",
                row.method, row.owner
            ));
        }
    }
    println!("idor requests tried: {tried}");
    assert!(
        failures.is_empty(),
        "IDOR matrix failures:\n{}",
        failures.join("\n")
    );
}
