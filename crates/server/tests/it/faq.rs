//! AI-FAQ end to end over HTTP, on SQLite and PostgreSQL alike: residents ask and give feedback, staff
//! manage Q&As, the unanswered list, import/export, the shared pool and tenant isolation.

use crate::common;

use common::{TestApp, csrf_of, hidden_value};
use reqwest::multipart::{Form, Part};
use serde_json::Value;

const CITY: &str = "392014";
const PREF: &str = "390003";

/// The demo Q&A base is there (seeded before the server started).
async fn seeded(app: &TestApp) {
    assert!(app.scalar("SELECT COUNT(*) FROM faq_entries").await > 500);
}

fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// Asks on the chat page without JavaScript; returns status and page.
async fn ask_page(client: &reqwest::Client, app: &TestApp, code: &str, q: &str) -> (u16, String) {
    let r = client
        .get(app.url(&format!("/t/{code}/faq?q={}", enc(q))))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn ask_api(app: &TestApp, code: &str, q: &str) -> (u16, Value) {
    let r = app
        .client
        .get(app.url(&format!("/api/v1/t/{code}/faq/ask?q={}", enc(q))))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

/// The text of the answer's title on a chat page.
fn answer_title(html: &str) -> Option<String> {
    let open = html.find("<h2 class=\"answer-title\"")?;
    let start = html[open..].find('>')? + open + 1;
    let end = html[start..].find("</h2>")? + start;
    Some(html[start..end].to_string())
}

async fn entry_id_by_question(app: &TestApp, tenant_code: &str, question: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT e.id FROM faq_entries e JOIN tenants t ON t.id = e.tenant_id WHERE t.code = $1 AND e.question = $2",
    )
    .bind(tenant_code)
    .bind(question)
    .fetch_one(&app.ctx.db.read)
    .await
    .unwrap()
}

async fn resident_unresolved_question_becomes_a_new_qa(app: &TestApp) {
    seeded(app).await;
    let resident = app.browser();
    // A phrasing residents use finds the entry about the amount of 児童手当.
    let (status, page) = ask_page(&resident, app, CITY, "児童手当は一人いくらもらえる").await;
    assert_eq!(status, 200);
    assert_eq!(
        answer_title(&page).as_deref(),
        Some("児童手当の支給額はいくらですか")
    );
    assert!(
        page.contains("関連する質問"),
        "related questions are offered"
    );
    assert!(page.contains("解決しなかった"));
    // The resident says it did not help.
    let question = hidden_value(&page, "question").unwrap();
    let conversation = hidden_value(&page, "c").unwrap();
    let r = resident
        .post(app.url(&format!("/t/{CITY}/faq/feedback")))
        .form(&[
            ("_csrf", csrf_of(&page).as_str()),
            ("question", question.as_str()),
            ("c", conversation.as_str()),
            ("result", "unresolved"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let back = resident
        .get(app.location(&r))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(back.contains("お役に立てず申し訳ありません"));
    assert!(
        back.contains("088-000-1000"),
        "the contact is offered: {back}"
    );
    // Feedback with another conversation id is refused.
    let r = resident
        .post(app.url(&format!("/t/{CITY}/faq/feedback")))
        .form(&[
            ("_csrf", csrf_of(&page).as_str()),
            ("question", question.as_str()),
            ("c", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
            ("result", "resolved"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);

    // A question the base cannot answer gets an honest "not found" and the contact.
    let missing = "近所でおいしいラーメン屋さんを教えてください";
    let (status, page) = ask_page(&resident, app, CITY, missing).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("ご質問に合う回答が見つかりませんでした"),
        "{page}"
    );
    assert!(answer_title(&page).is_none());
    // The contact is that of the department of the first candidate (faq_semantic.rs checks which).
    assert!(
        page.contains("お問い合わせ先") && page.contains("href=\"tel:088000"),
        "{page}"
    );

    // Staff see both in the unanswered list.
    app.login("kochi-city-admin").await;
    let (status, list) = app.get_text("/staff/faq/unanswered").await;
    assert_eq!(status, 200);
    assert!(list.contains("児童手当は一人いくらもらえる"));
    assert!(list.contains(missing));
    // "この質問からQ&Aを作成" pre-fills the form.
    let start = list.find(missing).unwrap();
    let href_at = list[start..].find("/staff/faq/new?from=").unwrap() + start;
    let href = &list[href_at..href_at + list[href_at..].find('"').unwrap()];
    let (status, form) = app.get_text(href).await;
    assert_eq!(status, 200);
    assert!(
        form.contains(&format!("value=\"{missing}\"")),
        "question pre-filled"
    );
    let from = hidden_value(&form, "from_questions").unwrap();
    let r = app
        .post_form(
            "/staff/faq/new",
            &[
                ("from_questions", from.as_str()),
                ("question", missing),
                ("phrasings", "おすすめのラーメン店はどこですか"),
                (
                    "answer",
                    "市では飲食店のご紹介はしていません。[観光案内](/t/392014/faq)をご覧ください。",
                ),
                ("category", "施設予約・イベント"),
                ("department", "shimin"),
                ("audience", "public"),
                ("forms", ""),
                ("review_date", "2027-03-31"),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303, "{}", r.text().await.unwrap());
    // The same question now finds the new entry.
    let (_, page) = ask_page(&resident, app, CITY, missing).await;
    assert_eq!(answer_title(&page).as_deref(), Some(missing));
    assert!(
        page.contains("<a href=\"/t/392014/faq\">観光案内</a>"),
        "links in answers"
    );
    // And it left the unanswered list.
    let (_, list) = app.get_text("/staff/faq/unanswered").await;
    assert!(!list.contains(missing));
}

async fn personal_data_is_masked_in_the_log(app: &TestApp) {
    seeded(app).await;
    let q = "住民票を取りたい。電話は090-1234-5678、メールはtaro.kochi@example.jp、マイナンバーは１２３４ ５６７８ ９０１２です";
    let (status, body) = ask_api(app, CITY, q).await;
    assert_eq!(status, 200, "{body}");
    let stored: String =
        sqlx::query_scalar("SELECT question FROM faq_questions ORDER BY id DESC LIMIT 1")
            .fetch_one(&app.ctx.db.read)
            .await
            .unwrap();
    for secret in [
        "090-1234-5678",
        "1234-5678",
        "taro.kochi",
        "example.jp",
        "１２３４ ５６７８ ９０１２",
        "９０１２",
    ] {
        assert!(!stored.contains(secret), "{secret} stored in {stored}");
    }
    assert!(stored.contains("住民票を取りたい"), "{stored}");
    assert!(stored.contains("＊＊＊"), "{stored}");
    // The log export shows the masked text only.
    app.login("kochi-city-admin").await;
    let csv = app.get("/staff/faq/log.csv").await.text().await.unwrap();
    assert!(csv.contains("住民票を取りたい") && !csv.contains("090-1234-5678"));
}

async fn staff_only_entries_are_invisible_to_residents(app: &TestApp) {
    seeded(app).await;
    let (question, id): (String, i64) = sqlx::query_as(
        "SELECT e.question, e.id FROM faq_entries e JOIN tenants t ON t.id = e.tenant_id
         WHERE t.code = $1 AND e.audience = 'staff' ORDER BY e.id LIMIT 1",
    )
    .bind(PREF)
    .fetch_one(&app.ctx.db.read)
    .await
    .unwrap();
    // Residents asking the exact question never get the staff entry, on the page or the API.
    let (status, page) = ask_page(&app.browser(), app, PREF, &question).await;
    assert_eq!(status, 200);
    assert_ne!(answer_title(&page).as_deref(), Some(question.as_str()));
    let (_, body) = ask_api(app, PREF, &question).await;
    assert_ne!(body["answer"]["id"].as_i64(), Some(id));
    assert!(
        body["related"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["id"].as_i64() != Some(id))
    );
    // The helpdesk needs a staff session …
    let r = app
        .browser()
        .get(app.url(&format!("/staff/faq/helpdesk?q={}", enc(&question))))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    // … and there staff find it.
    app.login("pref-viewer").await;
    let (status, page) = app
        .get_text(&format!("/staff/faq/helpdesk?q={}", enc(&question)))
        .await;
    assert_eq!(status, 200);
    assert_eq!(answer_title(&page).as_deref(), Some(question.as_str()));
}

fn csv_file(bytes: Vec<u8>, name: &str) -> Part {
    Part::bytes(bytes)
        .file_name(name.to_string())
        .mime_str("text/csv")
        .unwrap()
}

async fn import(app: &TestApp, bytes: Vec<u8>, name: &str) -> (u16, String) {
    let page = app.get("/staff/faq/import").await.text().await.unwrap();
    let form = Form::new()
        .text("_csrf", csrf_of(&page))
        .part("file", csv_file(bytes, name));
    let r = app
        .client
        .post(app.url("/staff/faq/import"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn csv_import_reports_errors_and_stores_nothing(app: &TestApp) {
    seeded(app).await;
    app.login("kochi-city-admin").await;
    let before = app.scalar("SELECT COUNT(*) FROM faq_entries").await;
    let versions = app.scalar("SELECT COUNT(*) FROM faq_entry_versions").await;
    let csv = "\u{feff}ID,カテゴリ,所属コード,公開範囲,質問,言い換え,回答,関連フォーム,見直し日\r\n\
        ,ごみ,shimin,公開,粗大ごみの収集日は？,\"大型ごみ\n粗大ゴミの日\",電話で予約してください。,,2027-03-31\r\n\
        ,ごみ,shimin,みんな,,,回答,,2027/13/40\r\n\
        999999,ごみ,nope,公開,質問,,回答,NOT A SLUG,\r\n";
    let (status, page) = import(app, csv.as_bytes().to_vec(), "faq.csv").await;
    assert_eq!(status, 422, "{page}");
    for expected in [
        "3行目「公開範囲」: 公開範囲は「公開」または「職員向け」を指定してください",
        "3行目「質問」: 質問を入力してください",
        "3行目「見直し日」",
        "4行目「ID」: ID 999999 のQ&#38;Aはこの団体にありません",
        "4行目「所属コード」: 所属「nope」はこの団体にありません",
        "4行目「関連フォーム」",
        "1件も登録していません",
    ] {
        assert!(page.contains(expected), "missing {expected} in {page}");
    }
    assert_eq!(app.scalar("SELECT COUNT(*) FROM faq_entries").await, before);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM faq_entry_versions").await,
        versions
    );

    // The good row alone, as Shift_JIS, is stored; its phrasings keep their line break.
    let good = "ID,カテゴリ,所属コード,公開範囲,質問,言い換え,回答,関連フォーム,見直し日\r\n\
        ,ごみ,shimin,公開,粗大ごみの収集日は？,\"大型ごみ\n粗大ゴミの日\",電話で予約してください。,road-damage,2027-03-31\r\n";
    let sjis = madoguchi_japanese::encoding::encode_cp932(good).unwrap();
    let (status, page) = import(app, sjis, "faq-sjis.csv").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("追加 1件"), "{page}");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM faq_entries").await,
        before + 1
    );
    let id = entry_id_by_question(app, CITY, "粗大ごみの収集日は？").await;
    let (_, edit) = app.get_text(&format!("/staff/faq/entries/{id}")).await;
    assert!(edit.contains("大型ごみ\n粗大ゴミの日"));
    // The form link goes to the prefecture's form, since 高知市 has none of that name.
    let (_, page) = ask_page(&app.browser(), app, CITY, "粗大ごみの収集日は？").await;
    assert!(
        page.contains("/t/390003/forms/road-damage"),
        "{:?}",
        answer_title(&page)
    );
}

async fn export_in_shift_jis_and_json_round_trip(app: &TestApp) {
    seeded(app).await;
    app.login("kochi-city-admin").await;
    let r = app.get("/staff/faq/export.csv?encoding=sjis").await;
    if r.status().as_u16() != 200 {
        let page = r.text().await.unwrap();
        panic!("{}", &page[page.find("<tbody>").unwrap_or(0)..]);
    }
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("Shift_JIS")
    );
    let bytes = r.bytes().await.unwrap();
    let (text, _, bad) = encoding_rs::SHIFT_JIS.decode(&bytes);
    assert!(!bad);
    assert!(
        text.starts_with("ID,カテゴリ,所属コード,公開範囲,質問"),
        "{}",
        &text[..80]
    );
    assert!(text.contains("児童手当の支給額はいくらですか"));
    // Re-importing an unchanged export adds nothing and writes no versions.
    let versions = app.scalar("SELECT COUNT(*) FROM faq_entry_versions").await;
    let (status, page) = import(app, bytes.to_vec(), "faq-sjis.csv").await;
    let errors = page
        .find("import-errors")
        .map(|i| &page[i..(i + 3000).min(page.len())]);
    assert_eq!(status, 200, "{errors:?}");
    assert!(page.contains("追加 0件、更新 0件"), "{page}");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM faq_entry_versions").await,
        versions
    );
    // A character Shift_JIS cannot hold stops the Shift_JIS export with a report, UTF-8 still works.
    let id = entry_id_by_question(app, CITY, "児童手当の支給額はいくらですか").await;
    let json: Value = app
        .get("/staff/faq/export.json")
        .await
        .json()
        .await
        .unwrap();
    let mut item = json
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == id)
        .unwrap()
        .clone();
    item["answer"] = Value::from("𠮷野家の近くの窓口でも申請できます。");
    let (status, page) = import(app, serde_json::to_vec(&vec![item]).unwrap(), "faq.json").await;
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("更新 1件"));
    let r = app.get("/staff/faq/export.csv?encoding=sjis").await;
    assert_eq!(r.status().as_u16(), 422);
    let page = r.text().await.unwrap();
    assert!(page.contains("𠮷") && page.contains("回答"), "{page}");
    let utf8 = app
        .get("/staff/faq/export.csv")
        .await
        .bytes()
        .await
        .unwrap();
    assert!(utf8.starts_with(b"\xEF\xBB\xBF"));
    assert!(String::from_utf8_lossy(&utf8).contains("𠮷野家"));
}

async fn one_tenants_staff_cannot_touch_anothers_entries(app: &TestApp) {
    seeded(app).await;
    let pref_entry: i64 = sqlx::query_scalar(
        "SELECT e.id FROM faq_entries e JOIN tenants t ON t.id = e.tenant_id WHERE t.code = $1 ORDER BY e.id LIMIT 1",
    )
    .bind(PREF)
    .fetch_one(&app.ctx.db.read)
    .await
    .unwrap();
    // A 高知県 question in the log.
    ask_api(app, PREF, "補助金の申請方法を教えて").await;
    let pref_question = app.scalar("SELECT MAX(id) FROM faq_questions").await;
    app.login("kochi-city-admin").await;
    let page = app.get("/staff/faq").await.text().await.unwrap();
    let csrf = csrf_of(&page);
    assert_eq!(
        app.get(&format!("/staff/faq/entries/{pref_entry}"))
            .await
            .status()
            .as_u16(),
        404
    );
    assert_eq!(
        app.get(&format!("/staff/faq/new?from={pref_question}"))
            .await
            .status()
            .as_u16(),
        404
    );
    for path in [
        format!("/staff/faq/entries/{pref_entry}"),
        format!("/staff/faq/entries/{pref_entry}/archive"),
        format!("/staff/faq/entries/{pref_entry}/publish"),
    ] {
        let r = app
            .client
            .post(app.url(&path))
            .form(&[
                ("_csrf", csrf.as_str()),
                ("archived", "1"),
                ("question", "乗っ取り"),
                ("answer", "乗っ取り"),
                ("category", "x"),
                ("department", "shimin"),
                ("audience", "public"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 404, "{path}");
    }
    // Importing with another tenant's id does not reach it either.
    let csv = format!(
        "ID,カテゴリ,所属コード,公開範囲,質問,回答\r\n{pref_entry},x,shimin,公開,乗っ取り,乗っ取り\r\n"
    );
    let (status, page) = import(app, csv.into_bytes(), "x.csv").await;
    assert_eq!(status, 422);
    assert!(page.contains(&format!("ID {pref_entry} のQ&#38;Aはこの団体にありません")));
    let (q, version): (String, i64) =
        sqlx::query_as("SELECT question, version FROM faq_entries WHERE id = $1")
            .bind(pref_entry)
            .fetch_one(&app.ctx.db.read)
            .await
            .unwrap();
    assert_ne!(q, "乗っ取り");
    assert_eq!(version, 1);

    // Within a tenant, an editor changes only their departments' entries; a reviewer none.
    let helpdesk_entry: i64 = sqlx::query_scalar(
        "SELECT e.id FROM faq_entries e JOIN departments d ON d.id = e.department_id
         WHERE e.tenant_id = (SELECT id FROM tenants WHERE code = $1) AND d.code NOT IN ('shoko', 'kikaku', 'doro', 'chikusan')
         ORDER BY e.id LIMIT 1",
    )
    .bind(PREF)
    .fetch_one(&app.ctx.db.read)
    .await
    .unwrap();
    for login in ["pref-editor", "shoko-reviewer"] {
        let client = app.as_staff(login).await.client;
        let page = client
            .get(app.url(&format!("/staff/faq/entries/{helpdesk_entry}")))
            .send()
            .await
            .unwrap();
        assert_eq!(page.status().as_u16(), 200, "staff of the tenant may read");
        let page = page.text().await.unwrap();
        assert!(page.contains("閲覧のみ"));
        let r = client
            .post(app.url(&format!("/staff/faq/entries/{helpdesk_entry}")))
            .form(&[
                ("_csrf", csrf_of(&page).as_str()),
                ("question", "変更"),
                ("answer", "変更"),
                ("category", "x"),
                ("department", "shoko"),
                ("audience", "public"),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 403, "{login}");
    }
}

async fn awkward_queries_behave(app: &TestApp) {
    seeded(app).await;
    let resident = app.browser();
    // Half-width kana and full-width alphanumerics are the same question.
    let (status, page) = ask_page(&resident, app, CITY, "ﾏｲﾅﾝﾊﾞｰｶｰﾄﾞ の 申請方法").await;
    assert_eq!(status, 200);
    let title = answer_title(&page).unwrap_or_default();
    assert!(title.contains("マイナンバーカード"), "{title}");
    // Empty: the field is named, nothing is logged.
    let logged = app.scalar("SELECT COUNT(*) FROM faq_questions").await;
    let (status, page) = ask_page(&resident, app, CITY, "   ").await;
    assert_eq!(status, 400);
    assert!(page.contains("質問を入力してください") && page.contains("aria-invalid=\"true\""));
    // Very long: refused with the length, on the page and the API.
    let long = "住民票".repeat(700);
    let (status, page) = ask_page(&resident, app, CITY, &long).await;
    assert_eq!(status, 400);
    assert!(page.contains("400文字以内") && page.contains("2100文字"));
    let (status, body) = ask_api(app, CITY, "").await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "bad_request");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM faq_questions").await,
        logged
    );
    // Symbols only or odd scripts do not break anything.
    for q in [
        "？？？",
        "🙂🙂",
        "<script>alert(1)</script>",
        "ＡＢＣ１２３",
    ] {
        let (status, page) = ask_page(&resident, app, CITY, q).await;
        assert_eq!(status, 200, "{q}");
        assert!(!page.contains("<script>alert"), "escaped");
    }
    // Unknown tenant.
    assert_eq!(ask_page(&resident, app, "999999", "住民票").await.0, 404);
}

async fn edits_are_versioned_and_reach_the_index(app: &TestApp) {
    seeded(app).await;
    app.login("kochi-city-admin").await;
    let id = entry_id_by_question(app, CITY, "児童手当の支給額はいくらですか").await;
    let (_, page) = app.get_text(&format!("/staff/faq/entries/{id}")).await;
    let dept = {
        let at = page.find("selected>").unwrap();
        let start = page[..at].rfind("value=\"").unwrap() + 7;
        page[start..at - 2].to_string()
    };
    for (n, answer) in [
        "改定後の金額は第2版です。",
        "さらに改定して、ふくろうの森で相談できます。",
    ]
    .iter()
    .enumerate()
    {
        let r = app
            .post_form(
                &format!("/staff/faq/entries/{id}"),
                &[
                    ("question", "児童手当の支給額はいくらですか"),
                    ("phrasings", "児童手当の月額を知りたい"),
                    ("answer", answer),
                    ("category", "児童手当・子育て支援"),
                    ("department", dept.as_str()),
                    ("audience", "public"),
                    ("forms", ""),
                    ("review_date", ""),
                ],
            )
            .await;
        assert_eq!(r.status().as_u16(), 303);
        assert!(app.location(&r).contains(&enc(&format!("第{}版", n + 2))));
    }
    let (_, page) = app.get_text(&format!("/staff/faq/entries/{id}")).await;
    for v in ["第1版", "第2版", "第3版", "改定後の金額は第2版です。"] {
        assert!(page.contains(v), "{v}");
    }
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM faq_entry_versions WHERE entry_id = {id}"
        ))
        .await,
        3
    );
    let (_, body) = ask_api(app, CITY, "児童手当の月額を知りたい").await;
    assert_eq!(
        body["answer"]["answer_text"],
        "さらに改定して、ふくろうの森で相談できます。"
    );
    // A bad edit names the fields and keeps what was typed.
    let r = app
        .post_form(
            &format!("/staff/faq/entries/{id}"),
            &[
                ("question", ""),
                ("answer", "残したい回答"),
                ("category", "児童手当・子育て支援"),
                ("department", dept.as_str()),
                ("audience", "everyone"),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 422);
    let page = r.text().await.unwrap();
    assert!(page.contains("href=\"#f-question\">質問を入力してください"));
    assert!(page.contains("残したい回答"));
    // Archiving takes it out of the answers.
    let r = app
        .post_form(
            &format!("/staff/faq/entries/{id}/archive"),
            &[("archived", "1")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let (_, body) = ask_api(app, CITY, "児童手当の月額を知りたい").await;
    assert_ne!(body["answer"]["id"].as_i64(), Some(id));
}

async fn another_instance_picks_up_changes(app: &TestApp) {
    seeded(app).await;
    // A second server instance on the same database, checking the generation on every request.
    let other = madoguchi_faq::FaqState {
        ctx: app.ctx.clone(),
        indexes: std::sync::Arc::new(madoguchi_faq::index::Indexes::with_recheck(
            std::time::Duration::ZERO,
        )),
    };
    let city: i64 = app
        .scalar("SELECT id FROM tenants WHERE code = '392014'")
        .await;
    let before = other.indexes.get(&app.ctx.db, city).await.unwrap();
    let n = before.entries.len();
    assert!(n > 300, "demo base indexed: {n}");
    app.login("kochi-city-admin").await;
    let r = app
        .post_form(
            "/staff/faq/new",
            &[
                ("question", "路面電車の定期券はどこで買えますか"),
                ("answer", "電車の営業所でお買い求めください。"),
                ("category", "交通"),
                ("department", "shimin"),
                ("audience", "public"),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let after = other.indexes.get(&app.ctx.db, city).await.unwrap();
    assert_eq!(after.entries.len(), n + 1);
    assert!(after.generation > before.generation);
    // Synonyms: a parse error names the line and changes nothing; a good dictionary is applied.
    let r = app
        .post_form("/staff/faq/synonyms", &[("body", "子ども、子供\n申請\n")])
        .await;
    assert_eq!(r.status().as_u16(), 422);
    let body = r.text().await.unwrap();
    assert!(body.contains("2行目"), "{body}");
    assert_eq!(
        other
            .indexes
            .get(&app.ctx.db, city)
            .await
            .unwrap()
            .generation,
        after.generation
    );
    let r = app
        .post_form(
            "/staff/faq/synonyms",
            &[("body", "# 交通\n定期券、パス、定期\n")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    assert!(
        other
            .indexes
            .get(&app.ctx.db, city)
            .await
            .unwrap()
            .generation
            > after.generation
    );
    let (_, body) = ask_api(app, CITY, "路面電車のパスはどこで買えますか").await;
    assert_eq!(
        body["answer"]["question"], "路面電車の定期券はどこで買えますか",
        "{body}"
    );
}

async fn shared_pool_adopt_and_see_changes(app: &TestApp) {
    seeded(app).await;
    // 高知県 subscribes to a category 高知市 shares and adopts an entry.
    app.login("pref-admin").await;
    let (_, page) = app.get_text("/staff/faq/shared").await;
    assert!(page.contains("国民年金"), "{page}");
    let r = app
        .post_form(
            "/staff/faq/shared/subscriptions",
            &[("category", "国民年金")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let shared_id: i64 =
        sqlx::query_scalar("SELECT MIN(id) FROM faq_shared WHERE category = '国民年金'")
            .fetch_one(&app.ctx.db.read)
            .await
            .unwrap();
    let r = app
        .post_form(
            &format!("/staff/faq/shared/{shared_id}/adopt"),
            &[("department", "kikaku")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let (source_entry, question): (i64, String) =
        sqlx::query_as("SELECT source_entry_id, question FROM faq_shared WHERE id = $1")
            .bind(shared_id)
            .fetch_one(&app.ctx.db.read)
            .await
            .unwrap();
    let copy = entry_id_by_question(app, PREF, &question).await;
    // Residents of 高知県 get the adopted answer with 高知県's department.
    let (_, body) = ask_api(app, PREF, &question).await;
    assert_eq!(body["answer"]["id"].as_i64(), Some(copy));
    assert_eq!(body["answer"]["contact"]["name"], "総務部 デジタル政策課");
    // 高知市 changes the source; 高知県 sees that the source moved on.
    let city = app.as_staff("kochi-city-admin").await.client;
    let page = city
        .get(app.url(&format!("/staff/faq/entries/{source_entry}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("共有プールに公開中"));
    let dept: String = sqlx::query_scalar("SELECT d.code FROM faq_entries e JOIN departments d ON d.id = e.department_id WHERE e.id = $1")
        .bind(source_entry)
        .fetch_one(&app.ctx.db.read)
        .await
        .unwrap();
    let r = city
        .post(app.url(&format!("/staff/faq/entries/{source_entry}")))
        .form(&[
            ("_csrf", csrf_of(&page).as_str()),
            ("question", question.as_str()),
            ("answer", "制度改正に合わせて更新しました。"),
            ("category", "国民年金"),
            ("department", dept.as_str()),
            ("audience", "public"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let (_, page) = app.get_text("/staff/faq/shared").await;
    assert!(
        page.contains("元のQ&amp;Aが更新されています（採用時 第1版 → 現在 第2版）"),
        "{page}"
    );
    let r = app
        .post_form(&format!("/staff/faq/shared/{shared_id}/adopt"), &[])
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let (_, page) = app.get_text("/staff/faq/shared").await;
    assert!(!page.contains("元のQ&amp;Aが更新されています"));
    let (_, body) = ask_api(app, PREF, &question).await;
    assert_eq!(
        body["answer"]["answer_text"],
        "制度改正に合わせて更新しました。"
    );
    // A tenant cannot adopt its own entry.
    let page = city
        .get(app.url("/staff/faq/shared"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let r = city
        .post(app.url(&format!("/staff/faq/shared/{shared_id}/adopt")))
        .form(&[("_csrf", csrf_of(&page).as_str()), ("department", "shimin")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
}

async fn widget_embed_and_json_feedback(app: &TestApp) {
    seeded(app).await;
    let js = app.get(&format!("/t/{CITY}/faq/widget.js")).await;
    assert!(
        js.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    let js = js.text().await.unwrap();
    assert!(js.contains("/t/392014/faq/embed") && js.contains("高知市"));
    let embed = app.get(&format!("/t/{CITY}/faq/embed")).await;
    assert_eq!(embed.status().as_u16(), 200);
    assert!(
        embed.headers().get("x-frame-options").is_none(),
        "the embed page may be framed"
    );
    assert!(
        embed.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors *")
    );
    let chat = app.get(&format!("/t/{CITY}/faq")).await;
    assert_eq!(chat.headers()["x-frame-options"], "DENY");
    assert!(
        chat.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    // The chat's JSON API and its feedback.
    let (status, reply) = ask_api(app, CITY, "住民票の写しを取りたい").await;
    assert_eq!(status, 200);
    assert_eq!(reply["confident"], true, "{reply}");
    let related = reply["related"].as_array().unwrap().len();
    assert!((2..=4).contains(&related), "{related} related");
    let r = app
        .client
        .post(app.url(&format!("/api/v1/t/{CITY}/faq/feedback")))
        .json(&serde_json::json!({"question_id": reply["question_id"], "conversation": reply["conversation"], "result": "resolved"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    // A form post (what a cross-site page could send) is refused.
    let r = app
        .client
        .post(app.url(&format!("/api/v1/t/{CITY}/faq/feedback")))
        .form(&[
            ("question_id", "1"),
            ("conversation", "x"),
            ("result", "resolved"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 415);
    // The analytics count it.
    app.login("kochi-city-admin").await;
    let (status, page) = app.get_text("/staff/faq/analytics").await;
    assert_eq!(status, 200);
    assert!(page.contains("質問 1件"), "{page}");
    assert!(page.contains("100.0%"), "one resolved of one rated");
}

both_with_faq!(
    resident_unresolved_question_becomes_a_new_qa,
    personal_data_is_masked_in_the_log,
    staff_only_entries_are_invisible_to_residents,
    csv_import_reports_errors_and_stores_nothing,
    export_in_shift_jis_and_json_round_trip,
    one_tenants_staff_cannot_touch_anothers_entries,
    awkward_queries_behave,
    edits_are_versioned_and_reach_the_index,
    another_instance_picks_up_changes,
    shared_pool_adopt_and_see_changes,
    widget_embed_and_json_feedback,
);
