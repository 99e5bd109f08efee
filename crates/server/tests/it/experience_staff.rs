//! Issue 24, what staff stumbled on (items 8–11): links only to what the role may do, Japanese and JST in
//! the audit log and export file names, the first publish called 初版, a correction picker instead of a box per
//! field, and the builder's warnings about contact details, consent and マイナンバー.

use crate::common;

use common::{Browser, TestApp, csrf_of};
use madoguchi_kernel::staff::Role;

/// Form ids of 高知県 by slug.
async fn form_id(app: &TestApp, slug: &str) -> i64 {
    app.scalar(&format!(
        "SELECT f.id FROM forms f JOIN tenants t ON t.id = f.tenant_id WHERE t.code = '390003' AND f.slug = '{slug}'"
    ))
    .await
}

/// A seminar sign-up through the JSON API; returns the submission id.
async fn submit_seminar(app: &TestApp, name: &str) -> i64 {
    let r = app
        .client
        .post(app.url("/api/v1/t/390003/forms/dx-seminar/submissions"))
        .json(&serde_json::json!({"answers": {
            "name": {"name": name, "furigana": "コウチ タロウ"},
            "organization": "高知商事",
            "email": "taro@example.jp", "attendance": "online", "consent": true}}))
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let body = r.text().await.unwrap();
    assert_eq!(status, 201, "{body}");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    let receipt = v["receipt_number"].as_str().unwrap();
    app.scalar(&format!(
        "SELECT id FROM submissions WHERE receipt_number = '{receipt}'"
    ))
    .await
}

/// Posts the review page's status form with `fields`, with the page's CSRF value.
async fn post_status(
    b: &Browser<'_>,
    id: i64,
    fields: &[(&str, &str)],
) -> (u16, String, Option<String>) {
    let r = b
        .post_form_from(
            &format!("/staff/submissions/{id}"),
            &format!("/staff/submissions/{id}/status"),
            fields,
        )
        .await;
    let status = r.status().as_u16();
    let location = r
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string());
    (status, r.text().await.unwrap(), location)
}

/// The staff accounts of the matrix: every role, in one department or several.
async fn staff_of_every_role(app: &TestApp) -> Vec<(&'static str, Browser<'_>)> {
    vec![
        ("admin", app.as_staff("pref-admin").await),
        (
            "editor of four departments",
            app.as_staff("pref-editor").await,
        ),
        (
            "editor of 道路課",
            app.as_staff_role(Role::Editor, &["doro"]).await,
        ),
        (
            "reviewer of 商工政策課",
            app.as_staff("shoko-reviewer").await,
        ),
        ("reviewer of 道路課", app.as_staff("doro-reviewer").await),
        (
            "reviewer of 商工政策課 and 道路課",
            app.as_staff_role(Role::Reviewer, &["shoko", "doro"]).await,
        ),
        (
            "viewer of デジタル政策課",
            app.as_staff("pref-viewer").await,
        ),
        (
            "viewer of 道路課",
            app.as_staff_role(Role::Viewer, &["doro"]).await,
        ),
    ]
}

async fn links_shown_are_the_routes_allowed_for_every_role_and_department(app: &TestApp) {
    // A second version of 道路の損傷 (道路課), so that its history offers a rollback.
    let road = form_id(app, "road-damage").await;
    let admin = app.as_staff("pref-admin").await;
    let (_, json) = admin
        .get_page(&format!("/staff/forms/{road}/definition.json"))
        .await;
    app.import_form("pref-admin", "road-damage", &json).await;
    let forms: Vec<i64> = sqlx::query_scalar(
        "SELECT f.id FROM forms f JOIN tenants t ON t.id = f.tenant_id WHERE t.code = '390003' ORDER BY f.id",
    )
    .fetch_all(&app.ctx.db.read)
    .await
    .unwrap();
    assert!(forms.len() >= 5);
    let mut denied_somewhere = 0;
    for (who, b) in staff_of_every_role(app).await {
        let (status, list) = b.get_page("/staff/forms").await;
        assert_eq!(status, 200, "{who}");
        let (_, inbox) = b.get_page("/staff").await;
        for &id in &forms {
            for action in [
                "summary",
                "export.csv",
                "export.csv?encoding=sjis",
                "codebook.csv",
                "versions",
                "definition.json",
            ] {
                let path = format!("/staff/forms/{id}/{action}");
                let shown = list.contains(&format!("href=\"{path}\""));
                let (status, _) = b.get_page(&path).await;
                assert!(
                    status == 200 || status == 403,
                    "{who}: {path} answered {status}"
                );
                assert_eq!(
                    shown,
                    status == 200,
                    "{who}: {path} is {} but answers {status}",
                    if shown { "linked" } else { "not linked" }
                );
                denied_somewhere += usize::from(status == 403);
            }
            // The inbox filter offers only forms whose submissions this person may read.
            let (export, _) = b.get_page(&format!("/staff/forms/{id}/export.csv")).await;
            assert_eq!(
                inbox.contains(&format!("<option value=\"{id}\"")),
                export == 200,
                "{who}: inbox filter for form {id}"
            );
            // The edit button, and the rollback on the history page, against what their POSTs answer.
            let edit = format!("/staff/forms/{id}/edit");
            let shown = list.contains(&format!("action=\"{edit}\""));
            let r = b.post_form_from("/staff/forms", &edit, &[]).await;
            let status = r.status().as_u16();
            assert_eq!(
                shown,
                status == 303,
                "{who}: edit of form {id} shown {shown}, answers {status}"
            );
            assert!(status == 303 || status == 403, "{who}: edit {status}");
            let versions = format!("/staff/forms/{id}/versions");
            let (_, history) = b.get_page(&versions).await;
            let rollback = format!("/staff/forms/{id}/rollback");
            if history.contains("第2版") {
                let shown = history.contains(&format!("action=\"{rollback}\""));
                let r = b
                    .post_form_from(&versions, &rollback, &[("version", "1")])
                    .await;
                let status = r.status().as_u16();
                assert_eq!(
                    shown,
                    status == 303,
                    "{who}: rollback of form {id} shown {shown}, answers {status}"
                );
            }
        }
    }
    assert!(denied_somewhere > 0, "the matrix refuses something");
}

async fn the_issuance_page_offers_the_template_only_to_who_may_make_it(app: &TestApp) {
    let id = submit_seminar(app, "高知 太郎").await;
    for (login, offered) in [("pref-admin", true), ("shoko-reviewer", false)] {
        let b = app.as_staff(login).await;
        let (status, page) = b
            .get_page(&format!("/staff/issuance/submissions/{id}"))
            .await;
        assert_eq!(status, 200, "{login}");
        let seminar = form_id(app, "dx-seminar").await;
        let link = format!("/staff/issuance/forms/{seminar}/template");
        assert_eq!(page.contains(&link), offered, "{login}");
        let (status, _) = b.get_page(&link).await;
        assert_eq!(status == 200, offered, "{login}: {link} answered {status}");
    }
}

/// `R8-12-03_1639` for a moment, computed here from UTC + 9 hours (not with the code under test).
fn jst_stamp(at: chrono::DateTime<chrono::Utc>) -> String {
    use chrono::{Datelike, Timelike};
    let t = at + chrono::Duration::hours(9);
    assert!(t.year() >= 2019, "令和");
    format!(
        "R{}-{:02}-{:02}_{:02}{:02}",
        t.year() - 2018,
        t.month(),
        t.day(),
        t.hour(),
        t.minute()
    )
}

async fn export_file_names_carry_japan_time_and_the_wareki(app: &TestApp) {
    submit_seminar(app, "高知 太郎").await;
    let id = form_id(app, "dx-seminar").await;
    let b = app.as_staff("shoko-reviewer").await;
    for query in ["", "?encoding=sjis"] {
        let before = chrono::Utc::now();
        let r = b
            .client
            .get(app.url(&format!("/staff/forms/{id}/export.csv{query}")))
            .send()
            .await
            .unwrap();
        let after = chrono::Utc::now();
        assert_eq!(r.status().as_u16(), 200);
        let cd = r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .to_string();
        let encoded = cd.split("filename*=UTF-8''").nth(1).expect(&cd);
        let name = percent_encoding::percent_decode_str(encoded)
            .decode_utf8()
            .unwrap()
            .to_string();
        let title: String = sqlx::query_scalar(
            "SELECT v.definition FROM form_versions v JOIN forms f ON f.id = v.form_id AND v.version = f.current_version WHERE f.id = $1",
        )
        .bind(id)
        .fetch_one(&app.ctx.db.read)
        .await
        .map(|d: String| {
            serde_json::from_str::<serde_json::Value>(&d).unwrap()["title"]
                .as_str()
                .unwrap()
                .chars()
                .map(|c| if c.is_whitespace() || r#"\/:*?"<>|"#.contains(c) { '_' } else { c })
                .take(40)
                .collect()
        })
        .unwrap();
        // The minute may turn between the two readings.
        let expected: Vec<String> = [before, after]
            .iter()
            .map(|t| format!("申請一覧_{title}_{}.csv", jst_stamp(*t)))
            .collect();
        assert!(expected.contains(&name), "{name} not in {expected:?}");
        // The ASCII fallback for clients that read only `filename`.
        let fallbacks: Vec<String> = [before, after]
            .iter()
            .map(|t| format!("filename=\"form-{id}_{}.csv\"", jst_stamp(*t)))
            .collect();
        assert!(fallbacks.iter().any(|f| cd.contains(f)), "{cd}");
        assert!(cd.is_ascii(), "{cd}");
        let _ = r.bytes().await.unwrap();
    }
}

/// The text of the review page's audit section.
fn audit_section(page: &str) -> &str {
    let start = page.find("閲覧・操作の記録").expect("audit section");
    &page[start..]
}

async fn the_audit_log_reads_japanese_in_japan_time(app: &TestApp) {
    use madoguchi_kernel::audit::{self, Action};
    let id = submit_seminar(app, "高知 太郎").await;
    let b = app.as_staff("shoko-reviewer").await;
    let (status, _, _) = post_status(&b, id, &[("to", "in_review")]).await;
    assert_eq!(status, 303);
    // Every action the code can write, on this submission: each must read in Japanese.
    let scope = madoguchi_kernel::staff::StaffScope {
        staff_id: app
            .scalar("SELECT id FROM staff WHERE login = 'shoko-reviewer'")
            .await,
        name: "商工政策課 審査担当".into(),
        tenant_id: app
            .scalar("SELECT id FROM tenants WHERE code = '390003'")
            .await,
        tenant_name: "高知県".into(),
        role: Role::Reviewer,
        department_ids: vec![],
    };
    for a in Action::ALL {
        audit::record(&app.ctx.db, &scope, *a, &format!("submission:{id}"), "")
            .await
            .unwrap();
    }
    let before = chrono::Utc::now();
    let (status, page) = b.get_page(&format!("/staff/submissions/{id}")).await;
    let after = chrono::Utc::now();
    assert_eq!(status, 200);
    let section = audit_section(&page);
    for a in Action::ALL {
        assert!(
            section.contains(a.label()),
            "{} has no label in the log",
            a.as_str()
        );
    }
    for raw in [
        "download",
        ">view",
        " view<",
        "status<",
        "login_failed",
        "opendata.",
        "publish_form",
    ] {
        assert!(!section.contains(raw), "{raw} shown as stored");
    }
    assert!(section.contains("状態の変更（審査中）"), "{section}");
    // 和暦 and the Japan time of the view just made (the minute may turn between the readings).
    let when: Vec<String> = [before, after]
        .iter()
        .map(|t| {
            let s = jst_stamp(*t);
            let (date, hm) = s.split_once('_').unwrap();
            let mut d = date[1..].split('-').map(|n| n.parse::<u32>().unwrap());
            let (y, m, day) = (d.next().unwrap(), d.next().unwrap(), d.next().unwrap());
            format!("令和{y}年{m}月{day}日 {}:{}", &hm[..2], &hm[2..])
        })
        .collect();
    assert!(
        when.iter().any(|w| section.contains(w)),
        "{when:?} not in the log"
    );
    // The administrator's log of the whole tenant reads the same way; nobody else may open it.
    let admin = app.as_staff("pref-admin").await;
    let (status, log) = admin.get_page("/staff/admin/audit").await;
    assert_eq!(status, 200);
    for a in Action::ALL {
        assert!(log.contains(a.label()), "{}", a.as_str());
    }
    assert!(log.contains("ログイン"), "the admin's own sign-in");
    assert!(log.contains("接続元"), "details in Japanese too");
    assert!(!log.contains("<td>download</td>") && !log.contains("client "));
    assert!(when.iter().any(|w| log.contains(w)) || log.contains("令和"));
    let (_, admin_page) = admin.get_page("/staff/admin").await;
    assert!(admin_page.contains("href=\"/staff/admin/audit\""));
    for login in ["shoko-reviewer", "pref-editor", "pref-viewer"] {
        let (status, _) = app
            .as_staff(login)
            .await
            .get_page("/staff/admin/audit")
            .await;
        assert_eq!(status, 403, "{login}");
    }
    let (status, _) = app.anonymous().get_page("/staff/admin/audit").await;
    assert!(matches!(status, 303 | 401), "{status}");
}

async fn the_first_publish_is_called_the_first_version(app: &TestApp) {
    let editor = app.as_staff("pref-editor").await;
    let json = r#"{"title": "空き家の相談", "department": "shoko",
        "contact": {"phone": "088-823-9999"},
        "parts": [{"key": "name", "type": "name", "label": "氏名"}]}"#;
    let r = editor
        .post_form_from(
            "/staff/forms",
            "/staff/forms/import",
            &[("slug", "akiya"), ("definition", json)],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let to = app.location(&r);
    let (_, list) = editor.get_page(to.trim_start_matches(&app.url(""))).await;
    assert!(
        list.contains("akiya を初版（第1版）として公開しました。"),
        "{list}"
    );
    let id = form_id(app, "akiya").await;
    let (_, history) = editor
        .get_page(&format!("/staff/forms/{id}/versions"))
        .await;
    assert!(history.contains("第1版は初版です"), "{history}");
    assert!(!history.contains("第0版"), "no 第0版");
    assert!(!history.contains("違いはありません"));
    // The second version is compared with the first as before.
    let r = editor
        .post_form_from(
            "/staff/forms",
            "/staff/forms/import",
            &[
                ("slug", "akiya"),
                (
                    "definition",
                    &json.replace("空き家の相談", "空き家の相談（改）"),
                ),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let to = app.location(&r);
    let (_, list) = editor.get_page(to.trim_start_matches(&app.url(""))).await;
    assert!(list.contains("akiya を第2版として公開しました。"), "{list}");
    let (_, history) = editor
        .get_page(&format!("/staff/forms/{id}/versions"))
        .await;
    assert!(history.contains("第1版から第2版への変更"));
    assert!(!history.contains("第1版は初版です"));
}

async fn corrections(app: &TestApp, id: i64) -> Vec<(String, String)> {
    sqlx::query_as(
        "SELECT part_key, comment FROM submission_corrections WHERE submission_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(&app.ctx.db.read)
    .await
    .unwrap()
}

async fn the_correction_picker_asks_only_for_the_picked_fields(app: &TestApp) {
    let id = submit_seminar(app, "高知 太郎").await;
    let b = app.as_staff("shoko-reviewer").await;
    assert_eq!(post_status(&b, id, &[("to", "in_review")]).await.0, 303);
    let (_, page) = b.get_page(&format!("/staff/submissions/{id}")).await;
    // One check box per part that holds an answer, each with its comment box.
    for key in ["name", "organization", "email", "attendance", "support"] {
        assert!(page.contains(&format!("id=\"pick-{key}\"")), "{key}");
        assert!(page.contains(&format!("id=\"fix-{key}\"")), "{key}");
    }
    let status_of = || async {
        sqlx::query_scalar::<_, String>("SELECT status FROM submissions WHERE id = $1")
            .bind(id)
            .fetch_one(&app.ctx.db.read)
            .await
            .unwrap()
    };

    // Refusals: each names the field in Japanese, keeps what was typed, stores nothing.
    let long = "あ".repeat(2001);
    for (fields, expected, anchor) in [
        (
            vec![("pick", "nope"), ("fix.nope", "x")],
            "修正を依頼する項目「nope」はこのフォームにありません",
            "fix-picker",
        ),
        (
            vec![("pick", "attendance"), ("fix.attendance", "  ")],
            "「参加方法」への修正依頼を入力してください。",
            "fix-attendance",
        ),
        (
            vec![("pick", "attendance"), ("fix.attendance", long.as_str())],
            "「参加方法」への修正依頼は2000文字以内で入力してください。",
            "fix-attendance",
        ),
    ] {
        let mut form = vec![("to", "returned"), ("message", "ご確認ください。")];
        form.extend(fields.iter().copied());
        let (status, body, _) = post_status(&b, id, &form).await;
        assert_eq!(status, 400, "{expected}");
        assert!(body.contains(expected), "{expected}: {body}");
        assert!(body.contains(&format!("href=\"#{anchor}\"")), "{anchor}");
        assert!(body.contains("ご確認ください。"), "the message is kept");
        assert!(
            body.contains("id=\"to-returned\" name=\"to\" value=\"returned\" checked"),
            "差戻し stays chosen"
        );
        if anchor == "fix-attendance" {
            assert!(body.contains("id=\"pick-attendance\" name=\"pick\" value=\"attendance\" aria-controls=\"fix-field-attendance\" checked"));
            assert!(
                body.contains("aria-invalid=\"true\" aria-describedby=\"fix-attendance-error\"")
            );
        }
        assert!(corrections(app, id).await.is_empty());
        assert_eq!(status_of().await, "in_review");
    }
    // A key of 10,000 characters is named cut short.
    let huge = "k".repeat(10_000);
    let (status, body, _) = post_status(
        &b,
        id,
        &[
            ("to", "returned"),
            ("message", "x"),
            ("pick", huge.as_str()),
        ],
    )
    .await;
    assert_eq!(status, 400);
    assert!(body.contains(&format!("「{}」", "k".repeat(40))));
    assert!(!body.contains(&"k".repeat(41)));
    // A body past the form limit is refused before any work, in Japanese — or, when the server stops
    // reading mid-upload, with the connection closed. Its own browser: a connection the server closed must
    // not be reused by the next request.
    let big = "x".repeat(3 * 1024 * 1024);
    let flooder = app.as_staff("shoko-reviewer").await;
    let csrf = flooder
        .csrf_for(&format!("/staff/submissions/{id}/status"))
        .await;
    let sent = flooder
        .client
        .post(app.url(&format!("/staff/submissions/{id}/status")))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("to", "returned"),
            ("message", "x"),
            ("pick", "name"),
            ("fix.name", big.as_str()),
        ])
        .send()
        .await;
    match sent {
        Ok(r) => {
            let status = r.status().as_u16();
            assert!(status == 413 || status == 400, "{status}");
            let body = r.text().await.unwrap();
            assert!(body.chars().any(|c| ('ぁ'..='ん').contains(&c)), "{body}");
        }
        Err(e) => assert!(e.is_request(), "{e}"),
    }
    // Parts named for another status than 差戻し are refused, not dropped.
    let (status, body, _) = post_status(
        &b,
        id,
        &[("to", "approved"), ("pick", "name"), ("fix.name", "x")],
    )
    .await;
    assert_eq!(status, 400);
    assert!(body.contains("差戻しのときだけ"));
    assert_eq!(status_of().await, "in_review");
    // Another department's reviewer and a viewer cannot return it at all.
    for other in [
        app.as_staff("doro-reviewer").await,
        app.as_staff("pref-viewer").await,
    ] {
        let r = other
            .post_form(
                &format!("/staff/submissions/{id}/status"),
                &[
                    ("to", "returned"),
                    ("message", "x"),
                    ("pick", "name"),
                    ("fix.name", "x"),
                ],
            )
            .await;
        assert!(matches!(r.status().as_u16(), 403 | 404), "{}", r.status());
    }
    assert!(corrections(app, id).await.is_empty());

    // Two parts picked, a third box left empty and unpicked: exactly the two are asked for.
    let (status, _, location) = post_status(
        &b,
        id,
        &[
            ("to", "returned"),
            ("message", "2点ご確認ください。"),
            ("pick", "organization"),
            ("pick", "attendance"),
            ("fix.name", ""),
            ("fix.organization", "正式名称でご記入ください。"),
            ("fix.attendance", "会場に空きが出ました。"),
            ("fix.support", ""),
        ],
    )
    .await;
    assert_eq!(status, 303);
    assert!(location.unwrap().ends_with("?notice=status"));
    assert_eq!(
        corrections(app, id).await,
        [
            (
                "organization".to_string(),
                "正式名称でご記入ください。".to_string()
            ),
            (
                "attendance".to_string(),
                "会場に空きが出ました。".to_string()
            ),
        ]
    );
    assert_eq!(status_of().await, "returned");
    let (_, page) = b.get_page(&format!("/staff/submissions/{id}")).await;
    assert!(page.contains("<strong>参加方法</strong>: 会場に空きが出ました。"));
    assert!(
        page.contains("<strong>所属</strong>: 正式名称でご記入ください。")
            || page.contains("正式名称でご記入ください。")
    );
    app.drain_jobs().await;
}

async fn without_javascript_a_typed_comment_counts_as_picked(app: &TestApp) {
    let id = submit_seminar(app, "高知 花子").await;
    let b = app.as_staff("shoko-reviewer").await;
    assert_eq!(post_status(&b, id, &[("to", "in_review")]).await.0, 303);
    // Every box is shown without JavaScript: a comment written without ticking is meant.
    let (status, _, _) = post_status(
        &b,
        id,
        &[
            ("to", "returned"),
            ("message", "ご確認ください。"),
            ("fix.email", "届かないアドレスでした。"),
            ("fix.name", ""),
        ],
    )
    .await;
    assert_eq!(status, 303);
    assert_eq!(
        corrections(app, id).await,
        [("email".to_string(), "届かないアドレスでした。".to_string())]
    );
    app.drain_jobs().await;
}

/// Opens the builder on a published form; returns the working copy's id and its page.
async fn builder_of(b: &Browser<'_>, app: &TestApp, slug: &str) -> (i64, String) {
    let id = form_id(app, slug).await;
    let r = b
        .post_form_from("/staff/forms", &format!("/staff/forms/{id}/edit"), &[])
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let to = app.location(&r);
    let path = to.trim_start_matches(&app.url("")).to_string();
    let copy = path.rsplit('/').next().unwrap().parse().unwrap();
    (copy, b.get_page(&path).await.1)
}

async fn the_builder_warns_about_contact_consent_and_my_number(app: &TestApp) {
    let editor = app.as_staff("pref-editor").await;
    let bare = r#"{"title": "空き家の相談", "department": "shoko",
        "parts": [{"key": "name", "type": "name", "label": "氏名"},
                  {"key": "my_no", "type": "text", "label": "個人番号", "pattern": "[0-9]{12}"}]}"#;
    app.import_form("pref-editor", "akiya", bare).await;
    let (copy, page) = builder_of(&editor, app, "akiya").await;
    let check =
        &page[page.find("公開前の確認").unwrap()..page.find("公開する（新しい版）").unwrap()];
    assert!(!check.contains("問題は見つかりません"), "{check}");
    assert!(
        check.contains("公開はできますが、次の3件を確認してください"),
        "{check}"
    );
    assert!(check.contains("問い合わせ先の電話番号もメールアドレスもありません"));
    assert!(check.contains("個人情報の取扱いへの同意の部品がありません"));
    assert!(check.contains("「個人番号」でマイナンバー（個人番号）を集めていますが"));
    assert!(check.contains("href=\"#settings\""));
    assert!(check.contains("href=\"#palette-title\""));
    assert!(check.contains("href=\"#part-1\""));
    // Warnings do not stop publishing; the history of the published version lists them again.
    let rev = common::hidden_value(&page, "rev").unwrap();
    let r = editor
        .post_form_with(
            &csrf_of(&page),
            &format!("/staff/builder/{copy}"),
            &[("rev", rev.as_str()), ("op", "publish")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let to = app.location(&r);
    let (_, history) = editor.get_page(to.trim_start_matches(&app.url(""))).await;
    assert!(
        history.contains("空き家の相談 を第2版として公開しました。"),
        "{history}"
    );
    assert!(
        history.contains("公開中の版で確認してほしいこと（3件）"),
        "{history}"
    );
    assert!(history.contains("問い合わせ先の電話番号もメールアドレスもありません"));

    // With contact details, a consent part and the legal basis there is nothing to warn about.
    let complete = r#"{"title": "空き家の相談", "department": "shoko",
        "description": "番号法第9条第1項に基づき、個人番号を利用します。",
        "contact": {"name": "商工政策課", "email": "shoko@example.jp"},
        "parts": [{"key": "name", "type": "name", "label": "氏名"},
                  {"key": "my_no", "type": "text", "label": "個人番号", "pattern": "[0-9]{12}"},
                  {"key": "consent", "type": "consent", "label": "同意", "text": "相談への回答にのみ使います。"}]}"#;
    app.import_form("pref-editor", "akiya-2", complete).await;
    let (_, page) = builder_of(&editor, app, "akiya-2").await;
    assert!(page.contains("問題は見つかりません。このまま公開できます。"));
    assert!(!page.contains("確認してください（注意）"));
    let id = form_id(app, "akiya-2").await;
    let (_, history) = editor
        .get_page(&format!("/staff/forms/{id}/versions"))
        .await;
    assert!(!history.contains("公開中の版で確認してほしいこと"));
}

both!(
    links_shown_are_the_routes_allowed_for_every_role_and_department,
    the_issuance_page_offers_the_template_only_to_who_may_make_it,
    export_file_names_carry_japan_time_and_the_wareki,
    the_audit_log_reads_japanese_in_japan_time,
    the_first_publish_is_called_the_first_version,
    the_correction_picker_asks_only_for_the_picked_fields,
    without_javascript_a_typed_comment_counts_as_picked,
    the_builder_warns_about_contact_consent_and_my_number,
);
