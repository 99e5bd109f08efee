//! Issue 24, item 7: a resident who chooses English or やさしい日本語 reads it end to end — validation messages
//! (web form and API), confirmation, completion, the receipt and later mails, my page, sign-in and the FAQ —
//! and an unknown language, or one the form is not translated into, falls back to Japanese.

mod common;

use common::{TINY_PDF, TestApp, csrf_of, hidden_value};
use madoguchi_forms::Lang;
use madoguchi_forms::messages::Kind;
use madoguchi_kernel::mail::{SendMail, SendMails};
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};

const SUBSIDY: &str = "/t/390003/forms/jigyo-suishin-hojokin";
const SEMINAR_API: &str = "/api/v1/t/390003/forms/dx-seminar/submissions";
/// The demo survey has no translation.
const SURVEY_API: &str = "/api/v1/t/390003/forms/kenmin-survey/submissions";

/// Kana or kanji anywhere.
fn japanese(s: &str) -> bool {
    s.chars().any(|c| {
        matches!(c as u32, 0x3040..=0x309F | 0x30A0..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF)
    })
}

/// Kanji anywhere.
fn kanji(s: &str) -> bool {
    s.chars()
        .any(|c| matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF))
}

/// The text of the error summary's items.
fn summary(html: &str) -> Vec<String> {
    let Some(start) = html.find("id=\"error-summary\"") else {
        return Vec::new();
    };
    let end = html[start..].find("</div>").unwrap() + start;
    html[start..end]
        .split("<li>")
        .skip(1)
        .map(|li| {
            let a = li.split('>').nth(1).unwrap_or("");
            a.split('<').next().unwrap_or("").to_string()
        })
        .collect()
}

/// Every mail queued so far (the queue is left as it is).
async fn queued_mails(app: &TestApp) -> Vec<SendMail> {
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
        .collect()
}

async fn api(app: &TestApp, path: &str, body: Value) -> (u16, Value) {
    let r = app
        .client
        .post(app.url(path))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

fn field_messages(body: &Value) -> Vec<String> {
    body["error"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap().to_string())
        .collect()
}

fn subsidy_form(csrf: &str, draft: &str, complete: bool) -> Form {
    let mut form = Form::new()
        .text("_csrf", csrf.to_string())
        .text("_draft", draft.to_string())
        .text("_action", "confirm")
        .text("kind", "change")
        .text("phone", "123")
        .text("amount", "9999999");
    if complete {
        form = Form::new()
            .text("_csrf", csrf.to_string())
            .text("_draft", draft.to_string())
            .text("_action", "confirm")
            .text("applicant.kind", "individual")
            .text("applicant.name", "Maria Santos")
            .text("applicant.furigana", "マリア サントス")
            .text("postal_code", "780-0850")
            .text("address", "Kochi-shi Marunouchi 1-2-20")
            .text("phone", "088-823-1111")
            .text("email", "maria@example.com")
            .text("kind", "new")
            .text("project_name", "Coffee roastery")
            .text("amount", "300000")
            .text("consent", "yes")
            .part(
                "application_document",
                Part::bytes(TINY_PDF.to_vec())
                    .file_name("application.pdf")
                    .mime_str("application/pdf")
                    .unwrap(),
            );
    }
    form
}

/// The English walk of the subsidy form over the pages: errors name the English labels, the pages and the
/// receipt mail are English, and the submission keeps the language.
async fn the_subsidy_form_in_english_from_errors_to_the_receipt_mail(app: &TestApp) {
    let b = app.anonymous();
    let (status, page) = b.get_page(&format!("{SUBSIDY}?lang=en")).await;
    assert_eq!(status, 200);
    assert!(page.contains("<html lang=\"en\">"));
    assert!(page.contains("Application for the Kochi Prefecture Business Promotion Grant"));
    let r = b
        .client
        .post(app.url(SUBSIDY))
        .multipart(subsidy_form(&csrf_of(&page), "", false))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    let html = r.text().await.unwrap();
    let errors = summary(&html);
    for expected in [
        "Select whether Applicant is an individual or a corporation.",
        "Enter Postcode.",
        "Enter Address.",
        "Enter Phone number in digits, starting with the area code, like 088-823-1111.",
        "Enter E-mail address.",
        "Enter What is changing and why.",
        "Enter Name of the project.",
        "Enter Grant amount requested between 1 and 5,000,000.",
        "Attach Application form (Form No. 1).",
        "You must agree to How we use your personal information to continue.",
    ] {
        assert!(
            errors.iter().any(|e| e == expected),
            "{expected} in {errors:?}"
        );
    }
    for e in &errors {
        assert!(!japanese(e), "an English error in Japanese: {e}");
    }
    assert!(
        html.contains("There are 10 problems with your answers"),
        "{errors:?}"
    );
    assert!(html.contains("※ Fill this in if you chose"));
    assert!(!html.contains("にご記入ください"));
    let draft = hidden_value(&html, "_draft").unwrap();

    // Fixed: the confirmation and completion pages are English too.
    let r = b
        .client
        .post(app.url(SUBSIDY))
        .multipart(subsidy_form(&csrf_of(&html), &draft, true))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303, "{}", r.text().await.unwrap());
    let (_, confirm) = b.get_page(r.headers()["location"].to_str().unwrap()).await;
    assert!(confirm.contains("<html lang=\"en\">"));
    assert!(confirm.contains("Check your answers"));
    assert!(confirm.contains("Individual: Maria Santos"));
    assert!(
        confirm.contains("300,000yen") || confirm.contains("300,000 yen"),
        "unit"
    );
    assert!(confirm.contains("I agree"));
    let r = b
        .post_form_with(
            &csrf_of(&confirm),
            &format!("{SUBSIDY}/submit"),
            &[("_draft", &hidden_value(&confirm, "_draft").unwrap())],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let done_path = r.headers()["location"].to_str().unwrap().to_string();
    let receipt = done_path.rsplit('/').next().unwrap().to_string();
    let (_, done) = b.get_page(&done_path).await;
    assert!(done.contains("Your application has been sent"));
    assert!(done.contains(&receipt));

    let stored: String =
        sqlx::query_scalar("SELECT lang FROM submissions WHERE receipt_number = $1")
            .bind(&receipt)
            .fetch_one(&app.ctx.db.read)
            .await
            .unwrap();
    assert_eq!(stored, "en");
    let mails = queued_mails(app).await;
    let mail = mails
        .iter()
        .find(|m| m.to == "maria@example.com")
        .expect("a receipt mail");
    assert!(
        mail.subject
            .starts_with("[Application received] Application for the Kochi")
    );
    assert!(mail.body.contains(&format!("Receipt number: {receipt}")));
    assert!(!japanese(&mail.subject));
    assert!(
        !japanese(&mail.body.replace("高知県", "")),
        "only the prefecture's name is Japanese: {}",
        mail.body
    );
    // The department's notice stays Japanese: staff read it.
    assert!(mails.iter().any(|m| m.subject.starts_with("【新着申請】")));
    app.drain_jobs().await;

    // A status change mailed later, by the worker, is in the language stored with the submission.
    let id: i64 = sqlx::query_scalar("SELECT id FROM submissions WHERE receipt_number = $1")
        .bind(&receipt)
        .fetch_one(&app.ctx.db.read)
        .await
        .unwrap();
    let staff = app.as_staff("shoko-reviewer").await;
    let r = staff
        .post_form_from(
            &format!("/staff/submissions/{id}"),
            &format!("/staff/submissions/{id}/status"),
            &[("to", "in_review"), ("message", "")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let mails = queued_mails(app).await;
    let notice = mails
        .iter()
        .find(|m| m.to == "maria@example.com")
        .expect("a status mail");
    assert_eq!(
        notice.subject,
        format!("[Status update] Receipt number {receipt}: Under review")
    );
    assert!(!japanese(&notice.body), "{}", notice.body);
}

/// The API takes the language in a `lang` field: errors and the receipt mail are in it; an unknown language,
/// or a form not translated into it, is Japanese.
async fn the_api_answers_in_the_language_it_is_given(app: &TestApp) {
    let (status, body) = api(app, SEMINAR_API, json!({"answers": {}, "lang": "en"})).await;
    assert_eq!(status, 422);
    let messages = field_messages(&body);
    assert!(
        messages.contains(&"Enter Name.".to_string()),
        "{messages:?}"
    );
    assert!(messages.contains(&"Select How you will attend.".to_string()));
    assert!(messages.iter().all(|m| !japanese(m)), "{messages:?}");

    let (_, body) = api(app, SEMINAR_API, json!({"answers": {}, "lang": "ja-easy"})).await;
    let messages = field_messages(&body);
    assert!(
        messages.contains(&"なまえを かいて ください。".to_string()),
        "{messages:?}"
    );
    assert!(messages.iter().all(|m| !kanji(m)), "{messages:?}");

    // Unknown, absent, or too long a code: Japanese, as before.
    for lang in [json!("fr"), json!(null), json!("en".repeat(10_000))] {
        let (status, body) = api(app, SEMINAR_API, json!({"answers": {}, "lang": lang})).await;
        assert_eq!(status, 422);
        assert!(
            field_messages(&body).contains(&"氏名を入力してください。".to_string()),
            "{body}"
        );
    }
    let (status, _) = api(app, SEMINAR_API, json!({"answers": {}, "lang": 7})).await;
    assert_eq!(status, 400, "a language that is not a string is refused");

    // A form with no English: Japanese messages, and a submission stored as Japanese.
    let (status, body) = api(app, SURVEY_API, json!({"answers": {}, "lang": "en"})).await;
    assert_eq!(status, 422);
    assert!(
        field_messages(&body).contains(&"年代を選択してください。".to_string()),
        "{body}"
    );

    let answers = json!({
        "name": {"name": "John Smith", "furigana": "ジョン スミス"},
        "email": "john@example.com",
        "attendance": "online",
        "consent": true,
    });
    let (status, body) = api(app, SEMINAR_API, json!({"answers": answers, "lang": "en"})).await;
    assert_eq!(status, 201, "{body}");
    let receipt = body["receipt_number"].as_str().unwrap().to_string();
    let mails = queued_mails(app).await;
    let mail = mails.iter().find(|m| m.to == "john@example.com").unwrap();
    assert_eq!(
        mail.subject,
        format!(
            "[Application received] Digital transformation seminar: registration (50 places) (receipt number {receipt})"
        )
    );
    let (status, body) = api(app, SEMINAR_API, json!({"answers": answers, "lang": "xx"})).await;
    assert_eq!(status, 201, "{body}");
    let receipt = body["receipt_number"].as_str().unwrap().to_string();
    let stored: String =
        sqlx::query_scalar("SELECT lang FROM submissions WHERE receipt_number = $1")
            .bind(&receipt)
            .fetch_one(&app.ctx.db.read)
            .await
            .unwrap();
    assert_eq!(stored, "ja");
    let mails = queued_mails(app).await;
    let mail = mails.iter().rfind(|m| m.to == "john@example.com").unwrap();
    assert!(mail.subject.starts_with("【受付完了】"), "{}", mail.subject);
    app.drain_jobs().await;
}

/// The web form: `?lang=` of a language the form lacks, or an unknown one, shows Japanese.
async fn a_language_the_form_lacks_falls_back_to_japanese(app: &TestApp) {
    let b = app.anonymous();
    for lang in ["fr", "EN", "ja-easy-x"] {
        let (status, page) = b.get_page(&format!("{SUBSIDY}?lang={lang}")).await;
        assert_eq!(status, 200);
        assert!(page.contains("<html lang=\"ja\">"), "{lang}");
        assert!(page.contains("令和8年度高知県事業推進補助金"));
    }
    // English chosen elsewhere (my page's switch) and a form without English: the form is Japanese.
    let r = b
        .client
        .get(app.url("/lang/en?next=/t/390003"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let (_, page) = b.get_page("/t/390003/forms/kenmin-survey").await;
    assert!(page.contains("<html lang=\"ja\">"));
    // …and the subsidy form, which has English, follows the choice.
    let (_, page) = b.get_page(SUBSIDY).await;
    assert!(page.contains("<html lang=\"en\">"));
}

/// The language switch of my page, sign-in and the FAQ: a cookie, a local redirect only; sign-in and its mail
/// in the chosen language.
async fn sign_in_my_page_and_the_faq_follow_the_chosen_language(app: &TestApp) {
    let b = app.anonymous();
    let r = b
        .client
        .get(app.url("/lang/fr?next=/mypage"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    for evil in [
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
    ] {
        let r = b
            .client
            .get(app.url(&format!("/lang/en?next={}", urlencode(evil))))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 303);
        assert_eq!(r.headers()["location"], "/mypage", "{evil}");
    }
    let r = b
        .client
        .get(app.url("/lang/en?next=/mypage/login"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/mypage/login");
    let cookie = r.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.contains("madoguchi_lang=en"), "{cookie}");

    let (_, login) = b.get_page("/mypage/login").await;
    assert!(login.contains("<html lang=\"en\">"));
    assert!(login.contains("Sign in to My page"));
    let r = b
        .post_form("/mypage/login", &[("email", "not an address")])
        .await;
    assert_eq!(r.status().as_u16(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("Enter your e-mail address in the correct format"));
    let r = b
        .post_form("/mypage/login", &[("email", "amy@example.com")])
        .await;
    assert_eq!(r.status().as_u16(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("We have sent a sign-in link to amy@example.com"));
    let mails = queued_mails(app).await;
    let mail = mails.iter().find(|m| m.to == "amy@example.com").unwrap();
    assert_eq!(mail.subject, "[Sign in] Your link to My page");
    assert!(!japanese(&mail.body), "{}", mail.body);
    let link = app.mailed_link("amy@example.com", "/mypage/login/").await;
    let (_, confirm) = b.get_page(&link).await;
    assert!(confirm.contains("You are signing in to the account of"));
    let path = link.split('?').next().unwrap();
    let r = b
        .post_form_with(&csrf_of(&confirm), path, &[("next", "")])
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let (_, home) = b.get_page("/mypage").await;
    assert!(home.contains("<html lang=\"en\">"));
    assert!(home.contains("Your applications"));
    assert!(home.contains("You have not sent any applications yet."));
    assert!(!home.contains("申請一覧"));

    let (_, faq) = b.get_page("/t/390003/faq").await;
    assert!(faq.contains("<html lang=\"en\">"));
    assert!(faq.contains("Ask the AI chat"));
    let (status, faq) = b.get_page("/t/390003/faq?q=").await;
    assert_eq!(status, 400);
    assert!(faq.contains("Enter your question."));
    let r = b
        .client
        .get(app.url("/api/v1/t/390003/faq/ask?q="))
        .send()
        .await
        .unwrap();
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["message"], "Enter your question.");

    // Back to Japanese: every page as before.
    b.client
        .get(app.url("/lang/ja?next=/mypage"))
        .send()
        .await
        .unwrap();
    let (_, home) = b.get_page("/mypage").await;
    assert!(home.contains("<html lang=\"ja\">") && home.contains("まだ申請はありません。"));
}

fn urlencode(s: &str) -> String {
    s.bytes().map(|b| format!("%{b:02X}")).collect()
}

both!(
    the_subsidy_form_in_english_from_errors_to_the_receipt_mail,
    the_api_answers_in_the_language_it_is_given,
    a_language_the_form_lacks_falls_back_to_japanese,
    sign_in_my_page_and_the_faq_follow_the_chosen_language,
);

/// The catalogue: every message kind has a text in every language; English carries no Japanese script and
/// やさしい日本語 no kanji beyond the field's own label, and both name the field.
#[test]
fn every_message_kind_is_translated() {
    assert!(!Kind::ALL.is_empty());
    for kind in Kind::ALL {
        for lang in Lang::ALL {
            let label = match lang {
                Lang::Ja => "補助金申請額",
                Lang::En => "Grant amount",
                Lang::Easy => "ほしい おかね",
            };
            let text = kind.sample(label).text(lang);
            assert!(text.contains(label), "{kind:?} {lang:?}: {text}");
            let rest = text.replace(label, "");
            match lang {
                Lang::Ja => assert!(kanji(&rest), "{kind:?}: {text}"),
                Lang::En => assert!(!japanese(&rest), "{kind:?}: {text}"),
                Lang::Easy => assert!(!kanji(&rest), "{kind:?}: {text}"),
            }
        }
    }
}
