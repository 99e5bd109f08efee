//! Issue 24, the resident's form page: 住所を検索 without JavaScript (a round-trip that keeps every answer and
//! upload), business postal codes (事業所個別郵便番号), and dates typed as parts (元号・年・月・日) — over HTTP, on
//! SQLite and PostgreSQL alike.

use crate::common;

use common::{TINY_PDF, TestApp, csrf_of, hidden_value};
use reqwest::multipart::{Form, Part};

const SUBSIDY: &str = "/t/390003/forms/jigyo-suishin-hojokin";
const VACCINE: &str = "/t/390003/forms/ton-netsu-vaccine";

fn form_of(csrf: &str, draft: &str, action: &str, fields: &[(&str, &str)]) -> Form {
    let mut form = Form::new()
        .text("_csrf", csrf.to_string())
        .text("_draft", draft.to_string())
        .text("_action", action.to_string());
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    form
}

fn with_pdf(form: Form) -> Form {
    form.part(
        "application_document",
        Part::bytes(TINY_PDF.to_vec())
            .file_name("申請書.pdf")
            .mime_str("application/pdf")
            .unwrap(),
    )
}

async fn post(app: &TestApp, path: &str, form: Form) -> (u16, String) {
    let r = app
        .client
        .post(app.url(path))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let location = r
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string());
    let text = r.text().await.unwrap();
    (status, location.unwrap_or(text))
}

async fn csrf(app: &TestApp, path: &str) -> String {
    csrf_of(&app.get(path).await.text().await.unwrap())
}

/// Submissions and drafts kept for later (一時保存); the working draft that carries uploads between rounds
/// (as after a validation error) is neither.
async fn submissions_and_kept_drafts(app: &TestApp) -> (i64, i64) {
    (
        app.scalar("SELECT COUNT(*) FROM submissions").await,
        app.scalar("SELECT COUNT(*) FROM drafts WHERE draft_id IS NOT NULL")
            .await,
    )
}

/// The subsidy form with a mistake in another field (電話番号) that the lookup must not report.
const HALF_FILLED: [(&str, &str); 6] = [
    ("applicant.kind", "individual"),
    ("applicant.name", "高知 花子"),
    ("phone", "abc"),
    ("email", "hanako@example.jp"),
    ("project_name", "土佐和紙の新商品"),
    ("amount", "800000"),
];

async fn postal_search_without_javascript_fills_the_address_and_keeps_answers_and_files(
    app: &TestApp,
) {
    let csrf = csrf(app, SUBSIDY).await;
    let mut fields = HALF_FILLED.to_vec();
    // 高知県庁's own code (事業所個別郵便番号), typed with full-width digits.
    fields.push(("postal_code", "７８０－８５７０"));
    fields.push(("address", ""));
    let (status, page) = post(
        app,
        SUBSIDY,
        with_pdf(form_of(&csrf, "", "postal:postal_code", &fields)),
    )
    .await;
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains(r#"value="高知県高知市丸ノ内1丁目2-20""#),
        "the office's address is filled in from office_data"
    );
    assert!(page.contains("住所を入力しました（高知県庁）"), "{page}");
    assert!(
        page.contains(r#"id="f-address-note" role="status""#),
        "the note sits beside the address"
    );
    let address_input = &page[page.find(r#"id="f-address""#).unwrap()..];
    let address_input = &address_input[..address_input.find('>').unwrap()];
    assert!(
        address_input.contains("autofocus") && address_input.contains("f-address-note"),
        "the address box gets the focus and is described by the note: {address_input}"
    );
    // Every answer and the upload are kept; the wrong phone number is not reported on this round.
    for kept in [
        r#"value="高知 花子""#,
        r#"value="abc""#,
        r#"value="土佐和紙の新商品""#,
        "添付済み: 申請書.pdf",
    ] {
        assert!(page.contains(kept), "{kept} kept");
    }
    assert!(!page.contains("error-summary"), "no errors on a lookup");
    assert!(!page.contains("電話番号は"), "other fields are not checked");
    assert_eq!(submissions_and_kept_drafts(app).await, (0, 0));

    // The next round (the resident fixes the phone number) finds the file still attached.
    let draft = hidden_value(&page, "_draft").unwrap();
    let mut fields = HALF_FILLED.to_vec();
    fields.retain(|(k, _)| *k != "phone");
    fields.extend([
        ("phone", "088-823-1111"),
        ("applicant.furigana", "コウチ ハナコ"),
        ("postal_code", "780-8570"),
        ("address", "高知県高知市丸ノ内1丁目2-20"),
        ("kind", "new"),
        ("consent", "yes"),
    ]);
    let (status, location) = post(
        app,
        SUBSIDY,
        form_of(&csrf_of(&page), &draft, "confirm", &fields),
    )
    .await;
    assert_eq!(status, 303, "{location}");
    let confirm = app.client.get(app.url(&location)).send().await.unwrap();
    let confirm = confirm.text().await.unwrap();
    assert!(confirm.contains("申請書.pdf"), "the file went through");
    assert_eq!(submissions_and_kept_drafts(app).await, (0, 0));
}

async fn postal_search_reports_unknown_and_malformed_codes_naming_the_field(app: &TestApp) {
    let csrf = csrf(app, SUBSIDY).await;
    for (code, message) in [
        (
            "999-9999",
            "郵便番号「999-9999」に該当する住所が見つかりませんでした。",
        ),
        ("12", "郵便番号は7桁の数字で入力してください"),
        ("", "郵便番号は7桁の数字で入力してください"),
    ] {
        let mut fields = HALF_FILLED.to_vec();
        fields.push(("postal_code", code));
        let (status, page) = post(
            app,
            SUBSIDY,
            form_of(&csrf, "", "postal:postal_code", &fields),
        )
        .await;
        assert_eq!(status, 200, "{code}");
        assert!(page.contains(message), "{code}: {message}");
        assert!(
            page.contains(r##"<a href="#f-postal_code">"##),
            "{code}: the summary links to the postal code box"
        );
        assert!(
            !page.contains("電話番号は"),
            "{code}: only the lookup's error"
        );
        assert!(
            page.contains(r#"value="高知 花子""#),
            "{code}: answers kept"
        );
    }
    // An address already typed is left as it is; the address found is said beside it.
    let mut fields = HALF_FILLED.to_vec();
    fields.extend([("postal_code", "780-0850"), ("address", "自分で書いた住所")]);
    let (_, page) = post(
        app,
        SUBSIDY,
        form_of(&csrf, "", "postal:postal_code", &fields),
    )
    .await;
    assert!(page.contains(r#"value="自分で書いた住所""#));
    assert!(page.contains("高知県高知市丸ノ内（入力済みの住所は変更していません）"));
    assert_eq!(submissions_and_kept_drafts(app).await, (0, 0));
}

async fn postal_search_cannot_be_abused(app: &TestApp) {
    let csrf = csrf(app, SUBSIDY).await;
    // A button value naming no postal code part (another part, a made-up one, a group path) does nothing.
    for action in [
        "postal:address",
        "postal:../../etc",
        "postal:nothing[0].x",
        "postal:",
    ] {
        let fields = [("postal_code", "780-8570"), ("address", "")];
        let (status, page) = post(app, SUBSIDY, form_of(&csrf, "", action, &fields)).await;
        assert_eq!(status, 200, "{action}");
        assert!(!page.contains("住所を入力しました"), "{action}");
        assert!(!page.contains("丸ノ内1丁目2-20"), "{action}");
    }
    // The same CSRF protection as the form post.
    let (status, _) = post(
        app,
        SUBSIDY,
        form_of(
            "forged",
            "",
            "postal:postal_code",
            &[("postal_code", "780-8570")],
        ),
    )
    .await;
    assert_eq!(status, 403);
    // The same input bounds: a 100 KB code is refused while it is read.
    let huge = "7".repeat(100_000);
    let (status, page) = post(
        app,
        SUBSIDY,
        form_of(&csrf, "", "postal:postal_code", &[("postal_code", &huge)]),
    )
    .await;
    assert_eq!(status, 413);
    assert!(page.contains("「postal_code」の入力が長すぎます"), "{page}");
    assert_eq!(submissions_and_kept_drafts(app).await, (0, 0));
}

/// The vaccine form, filled in except for the date.
const VACCINE_FIELDS: [(&str, &str); 10] = [
    ("applicant.kind", "individual"),
    ("applicant.name", "土佐 一郎"),
    ("applicant.furigana", "トサ イチロウ"),
    ("farm_name", "土佐ファーム"),
    ("farm_postal_code", "780-0850"),
    ("farm_address", "高知県高知市丸ノ内1-2-20"),
    ("phone", "088-823-1111"),
    ("animals[0].category", "fattening"),
    ("animals[0].count", "12"),
    ("consent", "yes"),
];

async fn submit_vaccine(app: &TestApp, date: &[(&str, &str)]) -> (u16, String) {
    let csrf = csrf(app, VACCINE).await;
    // What the test gives replaces the prepared answer of the same name.
    let mut fields = VACCINE_FIELDS.to_vec();
    fields.retain(|(k, _)| !date.iter().any(|(d, _)| d == k));
    fields.push(("animals.items", "1"));
    fields.extend_from_slice(date);
    post(app, VACCINE, form_of(&csrf, "", "confirm", &fields)).await
}

async fn date_parts_are_stored_as_one_iso_date(app: &TestApp) {
    let (status, location) = submit_vaccine(
        app,
        &[
            ("preferred_date.era", "R"),
            ("preferred_date.year", "８"),
            ("preferred_date.month", "12"),
            ("preferred_date.day", "1"),
        ],
    )
    .await;
    assert_eq!(status, 303, "{location}");
    let page = app.client.get(app.url(&location)).send().await.unwrap();
    let page = page.text().await.unwrap();
    let draft = hidden_value(&page, "_draft").unwrap();
    let r = app
        .client
        .post(app.url(&format!("{VACCINE}/submit")))
        .form(&[("_csrf", csrf_of(&page)), ("_draft", draft)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let answers: String = sqlx::query_scalar("SELECT answers FROM submissions")
        .fetch_one(&app.ctx.db.read)
        .await
        .unwrap();
    let answers: serde_json::Value = serde_json::from_str(&answers).unwrap();
    assert_eq!(answers["preferred_date"], "2026-12-01");
}

async fn bad_date_parts_are_refused_naming_the_field_and_kept_as_typed(app: &TestApp) {
    for (parts, message) in [
        (
            ["R", "0", "5", "1"],
            "接種希望日: 令和0年5月1日は令和の期間外です。",
        ),
        (
            ["H", "32", "1", "1"],
            "接種希望日: 平成32年1月1日は平成の期間外です。",
        ),
        (
            ["", "2026", "2", "30"],
            "接種希望日: 2026年2月30日は存在しない日付です。",
        ),
        (["", "2026", "", "1"], "接種希望日の月を入力してください。"),
        (
            ["", "2026", "13", "1"],
            "接種希望日の月は1から12までの数字で入力してください。",
        ),
        (
            ["R", "八", "4", "1"],
            "接種希望日の年は数字で入力してください。",
        ),
        (["Z", "8", "4", "1"], "接種希望日の元号を選んでください。"),
        (["", "", "", ""], "接種希望日を入力してください。"),
    ] {
        let [era, year, month, day] = parts;
        let (status, page) = submit_vaccine(
            app,
            &[
                ("preferred_date.era", era),
                ("preferred_date.year", year),
                ("preferred_date.month", month),
                ("preferred_date.day", day),
            ],
        )
        .await;
        assert_eq!(status, 422, "{parts:?}");
        assert!(page.contains(message), "{parts:?}: {message}");
        assert!(
            page.contains(r#"aria-describedby="f-preferred_date-error""#),
            "{parts:?}: the error is tied to the fieldset"
        );
        assert!(page.contains(r##"<a href="#f-preferred_date">"##));
        if !year.is_empty() {
            assert!(
                page.contains(&format!(r#"name="preferred_date.year" value="{year}""#)),
                "{parts:?}: the year as typed"
            );
        }
    }
    // A long part is refused with a message, a huge one while the body is read.
    let long = "9".repeat(5_000);
    let (status, page) = submit_vaccine(
        app,
        &[
            ("preferred_date.year", &long),
            ("preferred_date.month", "4"),
            ("preferred_date.day", "1"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(page.contains("接種希望日の年は数字で入力してください。"));
    let huge = "9".repeat(100_000);
    let (status, _) = submit_vaccine(app, &[("preferred_date.year", &huge)]).await;
    assert_eq!(status, 413);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM submissions").await, 0);
}

async fn a_date_from_a_draft_or_the_api_is_shown_as_parts(app: &TestApp) {
    // The one-value form (the API's, a stored answer's) still validates, and the page shows it as 西暦 parts.
    let (status, page) =
        submit_vaccine(app, &[("preferred_date", "令和8年4月1日"), ("phone", "x")]).await;
    assert_eq!(status, 422, "the phone is wrong");
    assert!(page.contains(r#"name="preferred_date.year" value="2026""#));
    assert!(page.contains(r#"name="preferred_date.month" value="4""#));
    assert!(page.contains(r#"<option value="" selected>西暦</option>"#));
    assert!(!page.contains("type=\"date\""), "no browser date control");
}

both!(
    postal_search_without_javascript_fills_the_address_and_keeps_answers_and_files,
    postal_search_reports_unknown_and_malformed_codes_naming_the_field,
    postal_search_cannot_be_abused,
    date_parts_are_stored_as_one_iso_date,
    bad_date_parts_are_refused_naming_the_field_and_kept_as_typed,
    a_date_from_a_draft_or_the_api_is_shown_as_parts,
);

/// The JSON lookup finds business codes too, with the office's name.
#[tokio::test]
async fn business_postal_codes_are_found_with_the_office_name() {
    let app = TestApp::spawn(common::Backend::Sqlite).await;
    let r = app.get("/api/postal/780-8570").await;
    assert_eq!(
        r.status().as_u16(),
        200,
        "postal data missing: run fetch-postal"
    );
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["address"], "高知県高知市丸ノ内1丁目2-20");
    assert_eq!(v["office"], "高知県庁");
    let v: serde_json::Value = app.get("/api/postal/7838501").await.json().await.unwrap();
    assert_eq!(v["office"], "南国市役所");
    assert_eq!(v["address"], "高知県南国市大そね甲2301");
    // An area code has no office.
    let v: serde_json::Value = app.get("/api/postal/7800850").await.json().await.unwrap();
    assert_eq!(v["office"], "");
    app.finish().await;
}
