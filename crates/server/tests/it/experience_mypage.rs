//! Issue 24 items 3–5, over HTTP on SQLite and PostgreSQL: adding applications sent before signing in (by the
//! proven sign-in address, or by receipt number and a code mailed to the address on the application) with the
//! attacks on both, the form prefilled from the account, the navigation of the public pages, and mail wording.

use crate::common;

use common::{Browser, TestApp, csrf_of, hidden_value};
use madoguchi_kernel::config::{Limit, RateLimitConfig};
use reqwest::multipart::Form;

const SEMINAR: &str = "/t/390003/forms/dx-seminar";
const SURVEY: &str = "/t/390003/forms/kenmin-survey";
/// A 高知市 form (another tenant), imported by the tests that need it.
const CITY_FORM: &str = "/t/392014/forms/juminhyo-kisai";
const CITY_JSON: &str = r#"{"title": "住民票の記載事項に関する届出", "department": "shimin",
  "parts": [
    {"key": "name", "type": "name", "label": "氏名", "required": true},
    {"key": "email", "type": "email", "label": "メールアドレス", "required": true}
  ]}"#;

// ---------------------------------------------------------------------------------------------------------
// Helpers

/// Mails queued to an address: (subject, body).
async fn queued_mails(app: &TestApp, to: &str) -> Vec<(String, String)> {
    use madoguchi_kernel::mail::{SendMail, SendMails};
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT kind, payload FROM jobs WHERE kind IN ('send_mail', 'send_mails') ORDER BY id",
    )
    .fetch_all(&app.ctx.db.read)
    .await
    .unwrap();
    rows.iter()
        .flat_map(|(kind, p)| match kind.as_str() {
            "send_mail" => vec![serde_json::from_str::<SendMail>(p).unwrap()],
            _ => serde_json::from_str::<SendMails>(p).unwrap().mails,
        })
        .filter(|m| m.to == to)
        .map(|m| (m.subject, m.body))
        .collect()
}

/// The code of the last claim-code mail queued to `to` (the queue is drained afterwards).
async fn mailed_code(app: &TestApp, to: &str) -> String {
    let mails = queued_mails(app, to).await;
    let (_, body) = mails
        .iter()
        .rev()
        .find(|(s, _)| s.contains("確認コード"))
        .unwrap_or_else(|| panic!("no claim code mailed to {to}"));
    app.drain_jobs().await;
    let at = body.find("確認コード: ").expect("the mail holds the code") + "確認コード: ".len();
    body[at..at + 6].to_string()
}

/// Submits a form page (fields as multipart) through confirmation as `b`; returns the receipt number.
async fn apply(b: &Browser<'_>, path: &str, fields: &[(&str, &str)]) -> String {
    let (_, page) = b.get_page(path).await;
    let mut form = Form::new()
        .text("_csrf", csrf_of(&page))
        .text("_draft", "")
        .text("_action", "confirm");
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    let r = b
        .client
        .post(b.app.url(path))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303, "{}", r.text().await.unwrap());
    let confirm_url = b.app.location(&r);
    let confirm = b
        .client
        .get(&confirm_url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let r = b
        .post_form_with(
            &csrf_of(&confirm),
            &format!("{path}/submit"),
            &[("_draft", hidden_value(&confirm, "_draft").unwrap().as_str())],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    b.app.location(&r).rsplit('/').next().unwrap().to_string()
}

/// Applies to the seminar without an account, giving `email`; returns the receipt number.
async fn seminar_without_account(app: &TestApp, name: &str, email: &str) -> String {
    apply(
        &app.anonymous(),
        SEMINAR,
        &[
            ("name.name", name),
            ("name.furigana", "コウチ タロウ"),
            ("email", email),
            ("attendance", "online"),
            ("consent", "yes"),
        ],
    )
    .await
}

async fn city_without_account(app: &TestApp, email: &str) -> String {
    apply(
        &app.anonymous(),
        CITY_FORM,
        &[("name.name", "高知 花子"), ("email", email)],
    )
    .await
}

async fn submission(app: &TestApp, receipt: &str) -> (i64, Option<i64>, i64) {
    sqlx::query_as("SELECT id, applicant_id, tenant_id FROM submissions WHERE receipt_number = $1")
        .bind(receipt)
        .fetch_one(&app.ctx.db.read)
        .await
        .unwrap()
}

async fn applicant_id(app: &TestApp, email: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM applicants WHERE email = $1")
        .bind(email)
        .fetch_one(&app.ctx.db.read)
        .await
        .unwrap()
}

async fn claims_audited(app: &TestApp, submission_id: i64) -> Vec<(i64, String)> {
    sqlx::query_as(
        "SELECT tenant_id, detail FROM audit_log WHERE action = 'applicant_claim' AND subject = $1 ORDER BY id",
    )
    .bind(format!("submission:{submission_id}"))
    .fetch_all(&app.ctx.db.read)
    .await
    .unwrap()
}

async fn request_code(b: &Browser<'_>, receipt: &str) -> (u16, String) {
    let r = b.post_form("/mypage/claim", &[("receipt", receipt)]).await;
    let status = r.status().as_u16();
    let location = r
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string());
    (
        status,
        location.unwrap_or_default() + &r.text().await.unwrap(),
    )
}

async fn confirm_code(b: &Browser<'_>, receipt: &str, code: &str) -> (u16, String) {
    let r = b
        .post_form(
            "/mypage/claim/confirm",
            &[("receipt", receipt), ("code", code)],
        )
        .await;
    let status = r.status().as_u16();
    let location = r
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string());
    (
        status,
        location.unwrap_or_default() + &r.text().await.unwrap(),
    )
}

/// What the page says after a code was asked for: the same whatever the receipt number named.
fn sent_message(page: &str) -> String {
    let start = page
        .find("の申請にメールアドレスが入力されていれば")
        .expect("the sent message");
    let end = page[start..].find("</p>").unwrap() + start;
    page[start..end].to_string()
}

const REFUSED: &str = "確認コードが正しくないか、有効期限が切れています";

// ---------------------------------------------------------------------------------------------------------
// Claim by the proven sign-in address

async fn applications_sent_before_signing_in_are_added_by_the_proven_address(app: &TestApp) {
    app.import_form("kochi-city-admin", "juminhyo-kisai", CITY_JSON)
        .await;
    let r1 = seminar_without_account(app, "高知 花子", "Hanako@Example.JP").await;
    let r2 = city_without_account(app, "hanako@example.jp").await;
    let other = seminar_without_account(app, "高知 次郎", "jiro@example.jp").await;
    app.drain_jobs().await;

    let hanako = app.as_applicant("hanako@example.jp").await;
    let (_, home) = hanako.get_page("/mypage").await;
    assert!(home.contains("あなたの申請かもしれません"));
    assert!(home.contains("見つかった申請を追加する"));
    assert!(
        home.contains(&r1) && home.contains(&r2),
        "both tenants' applications are found"
    );
    assert!(
        !home.contains(&other),
        "another address's application is not shown"
    );
    // Found, not yet added: the application pages stay closed until the button is pressed.
    let (id1, owner, pref) = submission(app, &r1).await;
    assert_eq!(owner, None);
    let (status, _) = hanako
        .get_page(&format!("/mypage/applications/{id1}"))
        .await;
    assert_eq!(status, 404);

    let r = hanako.post_form("/mypage/claim/mail", &[]).await;
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(r.headers()["location"], "/mypage?notice=claimed_mail");
    let me = applicant_id(app, "hanako@example.jp").await;
    let (id2, owner2, city) = submission(app, &r2).await;
    assert_eq!(submission(app, &r1).await.1, Some(me));
    assert_eq!(owner2, Some(me));
    assert_eq!(submission(app, &other).await.1, None);
    let (status, page) = hanako
        .get_page(&format!("/mypage/applications/{id1}"))
        .await;
    assert_eq!(status, 200);
    assert!(page.contains(&r1));
    let (_, home) = hanako.get_page("/mypage?notice=claimed_mail").await;
    assert!(home.contains("見つかった申請をマイページに追加しました。"));
    assert!(!home.contains("あなたの申請かもしれません"));
    assert!(home.contains(&format!("/mypage/applications/{id2}")));

    // Each claim is in the audit log of the application's own tenant.
    assert_ne!(pref, city);
    assert_eq!(
        claims_audited(app, id1).await,
        vec![(pref, format!("applicant:{me} proven_address"))]
    );
    assert_eq!(
        claims_audited(app, id2).await,
        vec![(city, format!("applicant:{me} proven_address"))]
    );
    // Nothing left to add.
    let r = hanako.post_form("/mypage/claim/mail", &[]).await;
    assert_eq!(r.headers()["location"], "/mypage?notice=claimed_none");
}

async fn an_address_that_was_never_proven_gets_nothing(app: &TestApp) {
    let receipt = seminar_without_account(app, "被害 花子", "victim@example.jp").await;
    app.drain_jobs().await;
    // The attacker proves only his own address, and types the victim's as his notification address.
    let attacker = app.as_applicant("attacker@example.jp").await;
    let r = attacker
        .post_form(
            "/mypage/notifications",
            &[("email", "victim@example.jp"), ("receipt", "yes")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let (_, home) = attacker.get_page("/mypage").await;
    assert!(!home.contains(&receipt));
    assert!(!home.contains("あなたの申請かもしれません"));
    let r = attacker.post_form("/mypage/claim/mail", &[]).await;
    assert_eq!(r.headers()["location"], "/mypage?notice=claimed_none");
    assert_eq!(submission(app, &receipt).await.1, None);
    // A profile name equal to the applicant's does not count either.
    attacker
        .post_form("/mypage/profile", &[("name", "被害 花子")])
        .await;
    let r = attacker.post_form("/mypage/claim/mail", &[]).await;
    assert_eq!(r.headers()["location"], "/mypage?notice=claimed_none");
    assert_eq!(submission(app, &receipt).await.1, None);
}

async fn an_application_linked_to_someone_is_never_moved(app: &TestApp) {
    // Hanako applies signed in: the application is hers from the start.
    let hanako = app.as_applicant("hanako@example.jp").await;
    let receipt = apply(
        &hanako,
        SEMINAR,
        &[
            ("name.name", "高知 花子"),
            ("name.furigana", "コウチ ハナコ"),
            ("email", "shared@example.jp"),
            ("attendance", "online"),
            ("consent", "yes"),
        ],
    )
    .await;
    app.drain_jobs().await;
    let (id, owner, _) = submission(app, &receipt).await;
    let me = applicant_id(app, "hanako@example.jp").await;
    assert_eq!(owner, Some(me));
    // The address on it proves nothing to the owner of that address: it is not offered for the mail claim.
    let shared = app.as_applicant("shared@example.jp").await;
    let (_, home) = shared.get_page("/mypage").await;
    assert!(!home.contains(&receipt));
    shared.post_form("/mypage/claim/mail", &[]).await;
    // And the code path answers as for any receipt number, but mails nothing.
    let (status, page) = request_code(&shared, &receipt).await;
    assert_eq!(status, 200);
    sent_message(&page);
    assert!(queued_mails(app, "shared@example.jp").await.is_empty());
    let (status, page) = confirm_code(&shared, &receipt, "123456").await;
    assert_eq!(status, 422);
    assert!(page.contains(REFUSED));
    assert_eq!(submission(app, &receipt).await.1, Some(me));
    // The one linking operation refuses too, whoever calls it.
    let other = madoguchi_kernel::applicants::find(
        &app.ctx.db,
        applicant_id(app, "shared@example.jp").await,
    )
    .await
    .unwrap()
    .unwrap();
    let mut tx = app.ctx.db.write.begin().await.unwrap();
    let linked = madoguchi_applications::claims::link(
        &mut tx,
        &other,
        id,
        madoguchi_applications::claims::ClaimPath::ReceiptCode,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert!(!linked);
    assert_eq!(submission(app, &receipt).await.1, Some(me));
    assert!(claims_audited(app, id).await.is_empty());
    // The owner asking is sent to the application itself.
    let (status, location) = request_code(&hanako, &receipt).await;
    assert_eq!(status, 303);
    assert!(location.starts_with(&format!("/mypage/applications/{id}?notice=already_yours")));
}

// ---------------------------------------------------------------------------------------------------------
// Claim by receipt number and code

async fn a_receipt_number_and_the_code_mailed_to_the_application_add_it(app: &TestApp) {
    let receipt = seminar_without_account(app, "高知 太郎", "taro-old@example.jp").await;
    app.drain_jobs().await;
    let taro = app.as_applicant("taro@example.jp").await;
    let (status, page) = taro.get_page("/mypage/claim").await;
    assert_eq!(status, 200);
    assert!(page.contains("受付番号で申請を追加する") && page.contains("name=\"receipt\""));

    // Typed on a phone: full-width, lower case.
    let typed: String = receipt
        .to_lowercase()
        .chars()
        .map(|c| match c {
            '0'..='9' | 'a'..='z' => char::from_u32(c as u32 + 0xFEE0).unwrap(),
            '-' => '－',
            c => c,
        })
        .collect();
    let (status, page) = request_code(&taro, &typed).await;
    assert_eq!(status, 200);
    assert!(page.contains(&receipt), "the number is shown as stored");
    assert!(page.contains("name=\"code\""));
    assert!(
        queued_mails(app, "taro@example.jp").await.is_empty(),
        "the code never goes to the account's own address"
    );
    let code = mailed_code(app, "taro-old@example.jp").await;
    assert!(code.bytes().all(|b| b.is_ascii_digit()));
    let stored: Vec<String> = sqlx::query_scalar("SELECT code_hash FROM applicant_claim_codes")
        .fetch_all(&app.ctx.db.read)
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert!(
        !stored[0].contains(&code),
        "only a hash of the code is kept"
    );

    // Another account cannot use the code taro asked for.
    let jiro = app.as_applicant("jiro@example.jp").await;
    let (status, page) = confirm_code(&jiro, &receipt, &code).await;
    assert_eq!(status, 422);
    assert!(page.contains(REFUSED));
    assert_eq!(submission(app, &receipt).await.1, None);

    // A wrong code is refused with the field named; the right one adds the application.
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let (status, page) = confirm_code(&taro, &receipt, wrong).await;
    assert_eq!(status, 422);
    assert!(page.contains(REFUSED) && page.contains("href=\"#claim-code\""));
    assert!(page.contains("aria-invalid=\"true\""));
    let (status, location) = confirm_code(&taro, &receipt, &code).await;
    assert_eq!(status, 303);
    let (id, owner, pref) = submission(app, &receipt).await;
    assert!(location.starts_with(&format!("/mypage/applications/{id}?notice=claimed")));
    let me = applicant_id(app, "taro@example.jp").await;
    assert_eq!(owner, Some(me));
    assert_eq!(
        claims_audited(app, id).await,
        vec![(pref, format!("applicant:{me} receipt_code"))]
    );
    let (_, page) = taro
        .get_page(&format!("/mypage/applications/{id}?notice=claimed"))
        .await;
    assert!(page.contains("申請をマイページに追加しました。"));

    // The code works once.
    let (status, page) = confirm_code(&taro, &receipt, &code).await;
    assert_eq!(status, 422);
    assert!(page.contains(REFUSED));
}

async fn the_answer_never_tells_whether_a_receipt_number_exists(app: &TestApp) {
    let with_mail = seminar_without_account(app, "高知 太郎", "someone@example.jp").await;
    // The survey asks for no mail address.
    let without_mail = apply(
        &app.anonymous(),
        SURVEY,
        &[
            ("age", "30s"),
            ("used_online", "yes"),
            ("satisfaction", "5"),
        ],
    )
    .await;
    let linked_elsewhere = apply(
        &app.as_applicant("owner@example.jp").await,
        SEMINAR,
        &[
            ("name.name", "持ち主"),
            ("name.furigana", "モチヌシ"),
            ("email", "owner@example.jp"),
            ("attendance", "online"),
            ("consent", "yes"),
        ],
    )
    .await;
    app.drain_jobs().await;
    let prober = app.as_applicant("prober@example.jp").await;
    let mut messages = Vec::new();
    for receipt in [
        with_mail.as_str(),
        without_mail.as_str(),
        linked_elsewhere.as_str(),
        "20990101-2345ABCD",
    ] {
        let (status, page) = request_code(&prober, receipt).await;
        assert_eq!(status, 200, "{receipt}");
        messages.push(sent_message(&page).replace(receipt, "R"));
        // And every confirmation fails alike.
        let (status, page) = confirm_code(&prober, receipt, "123456").await;
        assert_eq!(status, 422);
        assert!(page.contains(REFUSED));
    }
    assert!(messages.windows(2).all(|w| w[0] == w[1]), "{messages:?}");
    // Only the application with a mail address that nobody has got a mail.
    assert_eq!(queued_mails(app, "someone@example.jp").await.len(), 1);
    assert!(queued_mails(app, "owner@example.jp").await.is_empty());
    app.drain_jobs().await;
}

async fn malformed_and_huge_input_is_refused_before_any_work(app: &TestApp) {
    let taro = app.as_applicant("taro@example.jp").await;
    for bad in [
        "",
        "javascript:alert(1)",
        "=HYPERLINK(\"https://evil.example\")",
        "20261203-7KQ4M9X",
    ] {
        let (status, page) = request_code(&taro, bad).await;
        assert_eq!(status, 422, "{bad:?}");
        assert!(
            page.contains("受付番号は「20261203-7KQ4M9XW」のように"),
            "{bad:?}"
        );
        assert!(page.contains("href=\"#claim-receipt\""));
        assert!(
            !page.contains("=HYPERLINK(\"") && !page.contains("href=\"javascript:"),
            "typed text is shown escaped, never as markup"
        );
    }
    let long = "1".repeat(100_000);
    let (status, page) = request_code(&taro, &long).await;
    assert_eq!(status, 422);
    assert!(
        !page.contains(&"1".repeat(100)),
        "a huge value is not echoed back"
    );
    let (status, page) = confirm_code(&taro, "20261203-7KQ4M9XW", "12ab56").await;
    assert_eq!(status, 422);
    assert!(page.contains("確認コードは、メールに書かれた6桁の数字で入力してください。"));
    // 50 MB is cut by the body limit.
    let huge = "2".repeat(50 * 1024 * 1024);
    let csrf = taro.csrf_for("/mypage/claim").await;
    let r = taro
        .client
        .post(taro.app.url("/mypage/claim"))
        .form(&[("_csrf", csrf.as_str()), ("receipt", huge.as_str())])
        .send()
        .await;
    // Refused with 413 — or the connection is closed while the rest of the body is still being sent.
    match r {
        Ok(r) => assert_eq!(r.status().as_u16(), 413),
        Err(e) => assert!(e.is_request(), "{e}"),
    }
    assert_eq!(
        taro.get_page("/mypage/claim").await.0,
        200,
        "the server still answers"
    );
    // No session, no claim; no CSRF token, no claim.
    let r = app
        .anonymous()
        .client
        .post(app.url("/mypage/claim"))
        .form(&[("receipt", "20261203-7KQ4M9XW")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(r.headers()["location"], "/mypage/login");
    let r = taro
        .post_form_with("wrong", "/mypage/claim/mail", &[])
        .await;
    assert_eq!(r.status().as_u16(), 403);
    let n: i64 = app
        .scalar("SELECT COUNT(*) FROM applicant_claim_codes")
        .await;
    assert_eq!(n, 0);
}

async fn five_wrong_codes_spend_a_code_and_an_expired_code_is_refused(app: &TestApp) {
    let receipt = seminar_without_account(app, "高知 太郎", "old@example.jp").await;
    app.drain_jobs().await;
    let taro = app.as_applicant("taro@example.jp").await;
    request_code(&taro, &receipt).await;
    let code = mailed_code(app, "old@example.jp").await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        let (status, _) = confirm_code(&taro, &receipt, wrong).await;
        assert_eq!(status, 422);
    }
    let (status, page) = confirm_code(&taro, &receipt, &code).await;
    assert_eq!(status, 422, "the right code after five wrong ones is spent");
    assert!(page.contains(REFUSED));
    assert_eq!(submission(app, &receipt).await.1, None);

    // A new code works, and makes the one before it useless.
    request_code(&taro, &receipt).await;
    let older = mailed_code(app, "old@example.jp").await;
    request_code(&taro, &receipt).await;
    let newer = mailed_code(app, "old@example.jp").await;
    if older != newer {
        let (status, _) = confirm_code(&taro, &receipt, &older).await;
        assert_eq!(status, 422, "only the newest code works");
    }
    // Expired: the newest code, fifteen minutes later.
    sqlx::query("UPDATE applicant_claim_codes SET expires_at = $1 WHERE used_at IS NULL")
        .bind(madoguchi_kernel::now_ms() - 1)
        .execute(&app.ctx.db.write)
        .await
        .unwrap();
    let (status, page) = confirm_code(&taro, &receipt, &newer).await;
    assert_eq!(status, 422);
    assert!(page.contains(REFUSED));
    assert_eq!(submission(app, &receipt).await.1, None);
    // Swept by the retention job once past the links' retention (the codes are made older here).
    sqlx::query("UPDATE applicant_claim_codes SET created_at = 0")
        .execute(&app.ctx.db.write)
        .await
        .unwrap();
    let swept = madoguchi_applications::maintenance::sweep(&app.ctx)
        .await
        .unwrap();
    assert_eq!(swept.claim_codes, 3, "{swept:?}");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM applicant_claim_codes")
            .await,
        0
    );
}

async fn a_code_claims_only_its_own_application_not_one_of_another_tenant(app: &TestApp) {
    app.import_form("kochi-city-admin", "juminhyo-kisai", CITY_JSON)
        .await;
    let pref_receipt = seminar_without_account(app, "高知 花子", "hanako-old@example.jp").await;
    let city_receipt = city_without_account(app, "hanako-old@example.jp").await;
    app.drain_jobs().await;
    let hanako = app.as_applicant("hanako@example.jp").await;
    request_code(&hanako, &pref_receipt).await;
    let code = mailed_code(app, "hanako-old@example.jp").await;
    // The 高知県 code does not open the 高知市 application.
    let (status, _) = confirm_code(&hanako, &city_receipt, &code).await;
    assert_eq!(status, 422);
    assert_eq!(submission(app, &city_receipt).await.1, None);
    let (status, _) = confirm_code(&hanako, &pref_receipt, &code).await;
    assert_eq!(status, 303);
    request_code(&hanako, &city_receipt).await;
    let code = mailed_code(app, "hanako-old@example.jp").await;
    let (status, _) = confirm_code(&hanako, &city_receipt, &code).await;
    assert_eq!(status, 303);
    let me = applicant_id(app, "hanako@example.jp").await;
    let (pref_id, _, pref) = submission(app, &pref_receipt).await;
    let (city_id, _, city) = submission(app, &city_receipt).await;
    assert_eq!(claims_audited(app, pref_id).await[0].0, pref);
    assert_eq!(claims_audited(app, city_id).await[0].0, city);
    assert_eq!(submission(app, &city_receipt).await.1, Some(me));
    // 高知市's staff see the application; 高知県's reviewer does not.
    let city_staff = app.as_staff("kochi-city-reviewer").await;
    let (status, _) = city_staff
        .get_page(&format!("/staff/submissions/{city_id}"))
        .await;
    assert_eq!(status, 200);
    let pref_staff = app.as_staff("shoko-reviewer").await;
    let (status, _) = pref_staff
        .get_page(&format!("/staff/submissions/{city_id}"))
        .await;
    assert_eq!(status, 404);
}

async fn a_session_from_a_link_opened_in_another_browser_cannot_claim_by_code(app: &TestApp) {
    let receipt = seminar_without_account(app, "被害 花子", "victim@example.jp").await;
    app.drain_jobs().await;
    // The attacker asks for a link to his own account and gets the victim to open it and type his address.
    let attacker = app.anonymous();
    attacker
        .post_form("/mypage/login", &[("email", "attacker@example.jp")])
        .await;
    let link = app
        .mailed_link("attacker@example.jp", "/mypage/login/")
        .await;
    let victim = app.anonymous();
    let (_, confirm) = victim.get_page(&link).await;
    let r = victim
        .post_form_with(
            &csrf_of(&confirm),
            link.split('?').next().unwrap(),
            &[("next", ""), ("email", "attacker@example.jp")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    // Signed in to the attacker's account, the victim cannot add her application to it by code.
    let (status, page) = victim.get_page("/mypage/claim").await;
    assert_eq!(status, 200);
    assert!(page.contains("このブラウザでログイン用のリンクを申し込み"));
    assert!(!page.contains("name=\"receipt\""));
    let (status, page) = request_code(&victim, &receipt).await;
    assert_eq!(status, 403);
    assert!(page.contains("このブラウザでログイン用のリンクを申し込み"));
    assert!(queued_mails(app, "victim@example.jp").await.is_empty());
    let (status, _) = confirm_code(&victim, &receipt, "123456").await;
    assert_eq!(status, 403);
    assert_eq!(submission(app, &receipt).await.1, None);
}

/// Small limits for the rate-limit scenario.
fn claim_limits(c: &mut madoguchi_kernel::Config) {
    c.rate_limits = RateLimitConfig {
        claim_codes_per_applicant: Limit::new(3, 3600),
        claim_codes_per_receipt: Limit::new(2, 3600),
        claim_attempts_per_applicant: Limit::new(6, 3600),
        ..RateLimitConfig::off()
    };
}

async fn claim_codes_and_attempts_are_rate_limited_per_account_and_per_receipt(app: &TestApp) {
    let receipt = seminar_without_account(app, "高知 太郎", "old@example.jp").await;
    app.drain_jobs().await;
    let taro = app.as_applicant("taro@example.jp").await;
    let jiro = app.as_applicant("jiro@example.jp").await;
    // Per receipt number, whoever asks: two mails an hour to the application's address.
    assert_eq!(request_code(&taro, &receipt).await.0, 200);
    assert_eq!(request_code(&jiro, &receipt).await.0, 200);
    let (status, page) = request_code(&taro, &receipt).await;
    assert_eq!(status, 429);
    assert!(page.contains("確認コードの送信を求められたため"));
    assert_eq!(queued_mails(app, "old@example.jp").await.len(), 2);
    app.drain_jobs().await;
    // Per account, whatever the number (unknown numbers count too, so the limit reveals nothing).
    assert_eq!(request_code(&taro, "20990101-2345ABCD").await.0, 200);
    let (status, _) = request_code(&taro, "20990101-2345ABCE").await;
    assert_eq!(status, 429, "the account's fourth request");
    // Attempts per account: six, then refused before any code is compared.
    for i in 0..6 {
        let (status, _) = confirm_code(&taro, &receipt, &format!("{i:06}")).await;
        assert_eq!(status, 422);
    }
    let r = taro
        .post_form(
            "/mypage/claim/confirm",
            &[("receipt", receipt.as_str()), ("code", "999999")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 429);
    assert!(r.headers().contains_key("retry-after"));
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("確認コードの入力が続けて行われたため")
    );
    assert_eq!(submission(app, &receipt).await.1, None);
}

// ---------------------------------------------------------------------------------------------------------
// Prefill

async fn signed_in_forms_start_with_the_mail_address_and_name_and_never_overwrite(app: &TestApp) {
    let (_, anonymous) = app.anonymous().get_page(SEMINAR).await;
    assert!(!anonymous.contains("id=\"prefilled\""));
    let taro = app.as_applicant("taro@example.jp").await;
    let (_, form) = taro.get_page(SEMINAR).await;
    assert!(
        form.contains("value=\"taro@example.jp\""),
        "the proven address"
    );
    assert!(form.contains("id=\"prefilled\""));
    // With a profile name, the name too.
    taro.post_form(
        "/mypage/profile",
        &[("name", "高知 太郎"), ("furigana", "コウチ タロウ")],
    )
    .await;
    let (_, form) = taro.get_page(SEMINAR).await;
    assert!(form.contains("value=\"高知 太郎\"") && form.contains("value=\"コウチ タロウ\""));
    // A draft with another address typed in keeps it.
    let (_, page) = taro.get_page(SEMINAR).await;
    let form = Form::new()
        .text("_csrf", csrf_of(&page))
        .text("_draft", "")
        .text("_action", "save")
        .text("email", "typed@example.jp")
        .text("name.name", "");
    let r = taro
        .client
        .post(app.url(SEMINAR))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let saved = r.text().await.unwrap();
    assert!(
        saved.contains("value=\"typed@example.jp\""),
        "a save shows what was typed"
    );
    let token = hidden_value(&saved, "_draft").unwrap();
    let (_, resumed) = taro.get_page(&format!("{SEMINAR}?d={token}")).await;
    assert!(resumed.contains("value=\"typed@example.jp\""));
    assert!(!resumed.contains("value=\"taro@example.jp\""));
    // The name left empty in the draft is filled from the profile (nothing was typed there).
    assert!(resumed.contains("value=\"高知 太郎\""));
    // A changed notification address is what the mail part gets.
    taro.post_form(
        "/mypage/notifications",
        &[("email", "notice@example.jp"), ("receipt", "yes")],
    )
    .await;
    let (_, form) = taro.get_page(SEMINAR).await;
    assert!(form.contains("value=\"notice@example.jp\""));
}

// ---------------------------------------------------------------------------------------------------------
// Navigation and mails

async fn public_pages_lead_to_the_faq_my_page_and_home(app: &TestApp) {
    let b = app.anonymous();
    for path in ["/t/390003", SEMINAR, "/t/390003/faq"] {
        let (status, page) = b.get_page(path).await;
        assert_eq!(status, 200, "{path}");
        assert!(page.contains("<nav class=\"public-nav\""), "{path}");
        for link in [
            "href=\"/\"",
            "href=\"/t/390003\"",
            "href=\"/t/390003/faq\"",
            "href=\"/mypage\"",
        ] {
            assert!(page.contains(link), "{path} links {link}");
        }
    }
    let (_, list) = b.get_page("/t/390003").await;
    assert!(list.contains("href=\"/t/390003\" aria-current=\"page\""));
    let (_, faq) = b.get_page("/t/390003/faq").await;
    assert!(faq.contains("href=\"/t/390003/faq\" aria-current=\"page\""));
    // The embedded chat (an iframe on another site) has no navigation.
    let (_, embed) = b.get_page("/t/390003/faq/embed").await;
    assert!(!embed.contains("public-nav"));
    for path in ["/", "/t/390003/faq", "/mypage/login"] {
        assert_eq!(b.get_page(path).await.0, 200, "{path}");
    }
}

async fn receipt_and_notice_mails_read_as_natural_japanese(app: &TestApp) {
    // Without an account: the receipt mail, with the way to my page.
    let receipt = seminar_without_account(app, "高知 次郎", "jiro@example.jp").await;
    let mails = queued_mails(app, "jiro@example.jp").await;
    let (subject, body) = &mails[0];
    assert!(subject.starts_with("【受付完了】DX推進セミナー"));
    assert!(body.starts_with("DX推進セミナー 参加申込（定員50名） の申請を受け付けました。"));
    assert!(body.contains(&format!("受付番号: {receipt}")));
    assert!(body.contains("この受付番号の申請を追加すると"));
    app.drain_jobs().await;

    // Signed in: receipt, status and message notices, each one natural sentence.
    let taro = app.as_applicant("taro@example.jp").await;
    let receipt = apply(
        &taro,
        SEMINAR,
        &[
            ("name.name", "高知 太郎"),
            ("name.furigana", "コウチ タロウ"),
            ("email", "taro@example.jp"),
            ("attendance", "online"),
            ("consent", "yes"),
        ],
    )
    .await;
    let (id, _, _) = submission(app, &receipt).await;
    let staff = app.as_staff("shoko-reviewer").await;
    let r = staff
        .post_form_from(
            &format!("/staff/submissions/{id}"),
            &format!("/staff/submissions/{id}/status"),
            &[("to", "in_review")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let r = staff
        .post_form_from(
            &format!("/staff/submissions/{id}"),
            &format!("/staff/submissions/{id}/messages"),
            &[("body", "資料をご確認ください。")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let mails = queued_mails(app, "taro@example.jp").await;
    let expected = [
        (
            "【受付完了】",
            format!("受付番号 {receipt} の申請を受け付けました。"),
        ),
        (
            "【状況のお知らせ】",
            format!("受付番号 {receipt} の申請の状況が変わりました。"),
        ),
        (
            "【担当者からのメッセージ】",
            format!("受付番号 {receipt} の申請について、担当者からメッセージが届いています。"),
        ),
    ];
    assert_eq!(mails.len(), 3, "{mails:?}");
    for ((subject, body), (tag, first)) in mails.iter().zip(&expected) {
        assert_eq!(subject, &format!("{tag}受付番号 {receipt}"));
        assert!(body.starts_with(first.as_str()), "{body}");
        assert!(body.contains("内容はマイページでご確認ください。"));
        for broken in [
            "受付完了があります",
            "状況のお知らせがあります",
            "メッセージがあります",
        ] {
            assert!(!body.contains(broken), "{body}");
        }
    }
    app.drain_jobs().await;

    // The code mail says what the code is for and what to do if one did not ask.
    let other = seminar_without_account(app, "高知 三郎", "saburo@example.jp").await;
    app.drain_jobs().await;
    request_code(&taro, &other).await;
    let mails = queued_mails(app, "saburo@example.jp").await;
    let (subject, body) = &mails[0];
    assert_eq!(
        subject,
        "【確認コード】申請をマイページに追加するための確認コード"
    );
    assert!(body.starts_with(&format!(
        "受付番号 {other} の申請をマイページに追加するための確認コードをお知らせします。"
    )));
    assert!(body.contains("15分以内に入力してください。"));
    assert!(body.contains("お心当たりがない場合は、このメールを破棄してください。"));
    app.drain_jobs().await;
}

both!(
    applications_sent_before_signing_in_are_added_by_the_proven_address,
    an_address_that_was_never_proven_gets_nothing,
    an_application_linked_to_someone_is_never_moved,
    a_receipt_number_and_the_code_mailed_to_the_application_add_it,
    the_answer_never_tells_whether_a_receipt_number_exists,
    malformed_and_huge_input_is_refused_before_any_work,
    five_wrong_codes_spend_a_code_and_an_expired_code_is_refused,
    a_code_claims_only_its_own_application_not_one_of_another_tenant,
    a_session_from_a_link_opened_in_another_browser_cannot_claim_by_code,
    signed_in_forms_start_with_the_mail_address_and_name_and_never_overwrite,
    public_pages_lead_to_the_faq_my_page_and_home,
    receipt_and_notice_mails_read_as_natural_japanese,
);

both_configured!(claim_limits: claim_codes_and_attempts_are_rate_limited_per_account_and_per_receipt);
