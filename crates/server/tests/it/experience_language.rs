//! Issue 24, item 7: a resident who chooses English or やさしい日本語 reads it end to end — validation messages
//! (web form and API), confirmation, completion, the receipt and later mails, my page (every screen: an
//! application, its correction, the print view, the profile, notification settings, adding an application by
//! its receipt number), sign-in and the FAQ, the form's closed / full / sign-in pages and its fixed words — and
//! an unknown language, or one the form is not translated into, falls back to Japanese.

use crate::common;

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
    // The API names the parameter, in the chosen language.
    assert_eq!(
        body["error"]["message"],
        "q（Question）: Enter your question."
    );

    // Back to Japanese: every page as before.
    b.client
        .get(app.url("/lang/ja?next=/mypage"))
        .send()
        .await
        .unwrap();
    let (_, home) = b.get_page("/mypage").await;
    assert!(home.contains("<html lang=\"ja\">") && home.contains("まだ申請はありません。"));
}

/// Proper nouns of the demo data that stay Japanese on every page, and the language switch's own names.
const PROPER_NOUNS: &[&str] = &[
    "高知県 商工労働部 商工政策課",
    "高知県 商工政策課",
    "高知県",
    "高知市",
    "やさしい にほんご",
    "日本語",
];

/// The words a person reads or hears on a page: its text outside scripts and styles, and the `aria-label`,
/// `title`, `placeholder` and `alt` attributes.
fn page_words(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(lt) = rest.find('<') {
        let text = rest[..lt].trim();
        if !text.is_empty() {
            out.push(text.to_string());
        }
        let Some(gt) = rest[lt..].find('>') else {
            break;
        };
        let tag = &rest[lt..lt + gt + 1];
        for attr in ["aria-label=\"", "title=\"", "placeholder=\"", "alt=\""] {
            if let Some(i) = tag.find(&format!(" {attr}")) {
                let v = &tag[i + attr.len() + 1..];
                out.push(v.split('"').next().unwrap_or("").to_string());
            }
        }
        rest = &rest[lt + gt + 1..];
        for closing in ["script", "style"] {
            if tag.starts_with(&format!("<{closing}")) {
                let end = rest.find(&format!("</{closing}>")).unwrap_or(rest.len());
                rest = &rest[end..];
            }
        }
    }
    out
}

/// Fails when a page in `lang` says anything in another script (kana or kanji for English, kanji for
/// やさしい日本語), once the resident's own answers, staff's words (`content`) and proper nouns are removed.
fn assert_one_language(html: &str, lang: Lang, content: &[&str], what: &str) {
    let expected = match lang {
        Lang::En => "<html lang=\"en\">",
        _ => "<html lang=\"ja\">",
    };
    assert!(html.contains(expected), "{what}: {expected}");
    let mut remove: Vec<&str> = content.iter().chain(PROPER_NOUNS).copied().collect();
    remove.sort_by_key(|r| std::cmp::Reverse(r.len()));
    let offending: Vec<String> = page_words(html)
        .into_iter()
        .map(|w| remove.iter().fold(w, |w, r| w.replace(r, "")))
        .filter(|w| match lang {
            Lang::En => japanese(w),
            _ => kanji(w),
        })
        .collect();
    assert!(
        offending.is_empty(),
        "{what} in {lang:?} says in another script: {offending:?}"
    );
}

/// Chooses a language for this browser with the switch of my page.
async fn choose(b: &common::Browser<'_>, lang: Lang) {
    let r = b
        .client
        .get(b.app.url(&format!("/lang/{}?next=/mypage", lang.code())))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
}

/// The seminar sent through the web form by a signed-in resident who reads English; its submission id.
async fn seminar_sent_in_english(app: &TestApp, b: &common::Browser<'_>) -> i64 {
    let path = "/t/390003/forms/dx-seminar";
    let (status, page) = b.get_page(&format!("{path}?lang=en")).await;
    assert_eq!(status, 200);
    let form = Form::new()
        .text("_csrf", csrf_of(&page))
        .text("_draft", "")
        .text("_action", "confirm")
        .text("name.name", "Maria Santos")
        .text("name.furigana", "マリア サントス")
        .text("email", "maria@example.com")
        .text("attendance", "online")
        .text("consent", "yes");
    let r = b
        .client
        .post(app.url(path))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303, "{}", r.text().await.unwrap());
    let (_, confirm) = b.get_page(r.headers()["location"].to_str().unwrap()).await;
    let r = b
        .post_form_with(
            &csrf_of(&confirm),
            &format!("{path}/submit"),
            &[("_draft", &hidden_value(&confirm, "_draft").unwrap())],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let receipt = r.headers()["location"]
        .to_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();
    app.drain_jobs().await;
    sqlx::query_scalar("SELECT id FROM submissions WHERE receipt_number = $1")
        .bind(&receipt)
        .fetch_one(&app.ctx.db.read)
        .await
        .unwrap()
}

/// Every my page screen in English and in やさしい日本語, with its refusals: the application (history, the
/// return for changes), the correction with a bad answer named in the language, the print view, the profile
/// with an over-long item, the notification settings with a bad address, adding an application by receipt
/// number with a malformed one, and a message left empty. Staff's words stay as written; Japanese is as before.
async fn every_my_page_screen_speaks_the_chosen_language(app: &TestApp) {
    let b = app.as_applicant("maria@example.com").await;
    choose(&b, Lang::En).await;
    let id = seminar_sent_in_english(app, &b).await;
    let staff = app.as_staff("shoko-reviewer").await;
    let comment = "会場に空きが出ました。会場での参加に変更できます。";
    for fields in [
        vec![("to", "in_review"), ("message", "")],
        vec![
            ("to", "returned"),
            ("message", "参加方法をご確認ください。"),
            ("fix.attendance", comment),
        ],
    ] {
        let r = staff
            .post_form_from(
                &format!("/staff/submissions/{id}"),
                &format!("/staff/submissions/{id}/status"),
                &fields,
            )
            .await;
        assert_eq!(r.status().as_u16(), 303);
    }
    app.drain_jobs().await;
    let staff_words = [comment, "参加方法をご確認ください。"];
    let answers = [
        "Maria Santos",
        "マリア サントス",
        "マリア\u{3000}サントス",
        "maria@example.com",
    ];
    let content: Vec<&str> = staff_words.iter().chain(&answers).copied().collect();
    let detail = format!("/mypage/applications/{id}");
    let correction = format!("{detail}/correction");

    // English.
    let (status, html) = b.get_page(&detail).await;
    assert_eq!(status, 200);
    for words in [
        "Back to your applications",
        "Please make changes (returned to you)",
        "How you will attend",
        "Make changes and send again",
        "Your answers",
        "Status history and messages",
        "We received your application",
        "Returned for changes",
        "The office: Received → Under review",
        "Send a message to the office",
        "Print your application",
    ] {
        assert!(html.contains(words), "{words}");
    }
    // Dates as English writes them.
    assert!(
        html.contains(" Dec ") || html.contains(" Jan ") || html.contains(" 20"),
        "an English date"
    );
    assert!(html.contains(&format!(
        "<span class=\"staff-text\" lang=\"ja\">{comment}</span>"
    )));
    assert_one_language(&html, Lang::En, &content, "application");

    let (status, html) = b.get_page(&correction).await;
    assert_eq!(status, 200);
    assert!(html.contains("Change your application") && html.contains("How you will attend"));
    assert!(html.contains("Online"), "the choices in English");
    assert_one_language(&html, Lang::En, &content, "correction");
    // A bad answer: the English message names the field.
    let r = b
        .client
        .post(app.url(&correction))
        .multipart(
            Form::new()
                .text("_csrf", csrf_of(&html))
                .text("_draft", "")
                .text("attendance", "nowhere"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    let html = r.text().await.unwrap();
    let errors = summary(&html);
    assert_eq!(
        errors,
        vec!["Select How you will attend from the choices shown.".to_string()]
    );
    assert!(html.contains("There are 1 problems with your answers"));
    assert_one_language(&html, Lang::En, &content, "correction with an error");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM submission_revisions")
            .await,
        0
    );

    let (status, html) = b.get_page(&format!("{detail}/print")).await;
    assert_eq!(status, 200);
    assert!(html.contains("Your application, receipt number") && html.contains("Version 1"));
    assert_one_language(&html, Lang::En, &content, "print view");

    let (_, html) = b.get_page("/mypage/profile").await;
    assert!(html.contains("Details to fill in on application forms"));
    assert_one_language(&html, Lang::En, &content, "profile");
    let long = "x".repeat(201);
    let r = b
        .post_form_with(
            &csrf_of(&html),
            "/mypage/profile",
            &[("name", long.as_str()), ("address", "Kochi")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 422);
    let html = r.text().await.unwrap();
    assert_eq!(
        summary(&html),
        vec!["Full name must be 200 characters or fewer.".to_string()]
    );
    assert_one_language(&html, Lang::En, &[&long, "Kochi"], "profile with an error");
    let r = b
        .post_form_with(&csrf_of(&html), "/mypage/profile", &[("address", "Kochi")])
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let (_, html) = b.get_page(r.headers()["location"].to_str().unwrap()).await;
    assert!(html.contains("Your profile has been saved."));

    let (_, html) = b.get_page("/mypage/notifications").await;
    assert!(html.contains("Notifications to receive"));
    assert_one_language(&html, Lang::En, &content, "notification settings");
    let r = b
        .post_form_with(
            &csrf_of(&html),
            "/mypage/notifications",
            &[("email", "nope")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 422);
    let html = r.text().await.unwrap();
    assert_eq!(
        summary(&html),
        vec![
            "Enter the e-mail address for notifications in the correct format, like taro@example.jp."
                .to_string()
        ]
    );
    assert_one_language(
        &html,
        Lang::En,
        &["nope"],
        "notification settings with an error",
    );

    let (_, html) = b.get_page("/mypage/claim").await;
    assert!(html.contains("Add an application by its receipt number"));
    assert_one_language(&html, Lang::En, &[], "claim");
    let r = b
        .post_form_with(&csrf_of(&html), "/mypage/claim", &[("receipt", "abc")])
        .await;
    assert_eq!(r.status().as_u16(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("Enter the receipt number as 8 digits"));
    assert_one_language(&html, Lang::En, &["abc"], "claim with an error");

    // A message left empty: refused in English on the application page.
    let (_, html) = b.get_page(&detail).await;
    let r = b
        .post_form_with(
            &csrf_of(&html),
            &format!("{detail}/messages"),
            &[("body", "  ")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 422);
    let html = r.text().await.unwrap();
    assert_eq!(summary(&html), vec!["Enter your message.".to_string()]);
    assert_one_language(&html, Lang::En, &content, "application with an error");

    // やさしい日本語: no kanji outside names and what people wrote.
    choose(&b, Lang::Easy).await;
    let print = format!("{detail}/print");
    for (path, words) in [
        (detail.as_str(), "なおして ください"),
        (correction.as_str(), "もうしこみを なおす"),
        (print.as_str(), "もうしこんだ こと"),
        ("/mypage/profile", "じぶんの じょうほう"),
        ("/mypage/notifications", "おしらせの せってい"),
        ("/mypage/claim", "うけつけ ばんごうで もうしこみを いれる"),
    ] {
        let (status, html) = b.get_page(path).await;
        assert_eq!(status, 200, "{path}");
        assert!(html.contains(words), "{path}: {words}");
        assert_one_language(&html, Lang::Easy, &content, path);
    }
    let (_, html) = b.get_page(&correction).await;
    let r = b
        .client
        .post(app.url(&correction))
        .multipart(
            Form::new()
                .text("_csrf", csrf_of(&html))
                .text("_draft", "")
                .text("attendance", "nowhere"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    let html = r.text().await.unwrap();
    let errors = summary(&html);
    assert_eq!(errors.len(), 1);
    assert!(errors[0].starts_with("どうやって でるか"), "{errors:?}");
    assert_one_language(&html, Lang::Easy, &content, "correction with an error");

    // Japanese, as before.
    choose(&b, Lang::Ja).await;
    let (_, html) = b.get_page(&detail).await;
    assert!(html.contains("<html lang=\"ja\">"));
    assert!(html.contains("修正をお願いします（差戻し）") && html.contains("申請一覧に戻る"));
    assert!(html.contains("担当者: 受付 → 審査中"));
    let (_, html) = b.get_page(&correction).await;
    assert!(html.contains("申請内容の修正") && html.contains("参加方法"));
    // Fixed in Japanese: resubmitted under the same receipt number, with the Japanese notice.
    let r = b
        .client
        .post(app.url(&correction))
        .multipart(
            Form::new()
                .text("_csrf", csrf_of(&html))
                .text("_draft", "")
                .text("attendance", "venue"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let (_, html) = b.get_page(r.headers()["location"].to_str().unwrap()).await;
    assert!(html.contains("修正した内容で再提出しました。受付番号は変わりません。"));
    app.drain_jobs().await;
}

/// A test form with the parts whose fixed words the page sets (a repeating group, a photo), an English
/// translation, and the rule given.
fn test_form(title: &str, extra: &str) -> String {
    format!(
        r#"{{"title": "{title}", "department": "shoko", {extra}
        "parts": [
          {{"key": "members", "type": "group", "label": "参加者", "min_items": 1, "max_items": 3,
            "parts": [{{"key": "who", "type": "text", "label": "氏名"}}]}},
          {{"key": "photo", "type": "photo", "label": "写真"}}
        ],
        "translations": {{"en": {{"title": "Test form", "parts": {{
          "members": {{"label": "Participants"}}, "members.who": {{"label": "Name"}},
          "photo": {{"label": "Photo"}}}}}},
          "ja-easy": {{"title": "ためしの もうしこみ", "parts": {{
          "members": {{"label": "さんかする ひと"}}, "members.who": {{"label": "なまえ"}},
          "photo": {{"label": "しゃしん"}}}}}}}}}}"#
    )
}

/// The public form's own pages in the language: closed, not yet open, full and sign-in required, and the
/// fixed words of a group item and a photo's place.
async fn the_form_pages_closed_full_and_sign_in_speak_the_chosen_language(app: &TestApp) {
    app.import_form("pref-editor", "lang-open", &test_form("開いている手続", ""))
        .await;
    app.import_form(
        "pref-editor",
        "lang-closed",
        &test_form(
            "終わった手続",
            r#""closes_at": "2020-04-01T00:00:00+09:00","#,
        ),
    )
    .await;
    app.import_form(
        "pref-editor",
        "lang-later",
        &test_form(
            "これからの手続",
            r#""opens_at": "2099-04-01T09:00:00+09:00","#,
        ),
    )
    .await;
    app.import_form(
        "pref-editor",
        "lang-signin",
        &test_form("ログインが要る手続", r#""identity": "signed_in","#),
    )
    .await;
    app.import_form(
        "pref-editor",
        "lang-full",
        &test_form("満員の手続", r#""capacity": 1,"#),
    )
    .await;
    // One place, taken.
    let (status, _) = api(
        app,
        "/api/v1/t/390003/forms/lang-full/submissions",
        json!({"answers": {"members": [{"who": "A"}]}}),
    )
    .await;
    assert_eq!(status, 201);
    let b = app.anonymous();
    let base = "/t/390003/forms";
    for (lang, slug, status, expected) in [
        (Lang::En, "lang-closed", 200, "Applications have closed"),
        (
            Lang::En,
            "lang-later",
            200,
            "Applications for this procedure open on 1 Apr 2099, 09:00.",
        ),
        (
            Lang::En,
            "lang-signin",
            401,
            "You need to sign in to apply for this procedure.",
        ),
        (Lang::Easy, "lang-closed", 200, "もう おわりました"),
        (
            Lang::Easy,
            "lang-later",
            200,
            "2099ねん 4がつ 1にち（れいわ 81ねん） 09:00 から もうしこめます。",
        ),
        (Lang::Easy, "lang-signin", 401, "ログインして ください"),
    ] {
        let (s, html) = b
            .get_page(&format!("{base}/{slug}?lang={}", lang.code()))
            .await;
        assert_eq!(s, status, "{slug}");
        assert!(html.contains(expected), "{slug} {lang:?}: {expected}");
        assert_one_language(&html, lang, &[], slug);
    }
    // Full: said when the answers are posted (the page itself may be shown from a recent copy of the form).
    for (lang, expected) in [
        (Lang::En, "All 1 places have been taken"),
        (Lang::Easy, "1にんで いっぱいに なったので"),
    ] {
        let (_, page) = b
            .get_page(&format!("{base}/lang-full?lang={}", lang.code()))
            .await;
        let r = b
            .client
            .post(app.url(&format!("{base}/lang-full")))
            .multipart(
                Form::new()
                    .text("_csrf", csrf_of(&page))
                    .text("_draft", "")
                    .text("_action", "confirm")
                    .text("members.items", "1")
                    .text("members[0].who", "B"),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 409);
        let html = r.text().await.unwrap();
        assert!(html.contains(expected), "{lang:?}: {expected}");
        assert_one_language(&html, lang, &[], "full");
    }
    // Japanese, as before.
    let (_, html) = b.get_page(&format!("{base}/lang-closed?lang=ja")).await;
    assert!(html.contains("受付期間外です") && html.contains("この手続の受付は 2020年4月1日"));
    let (_, html) = b.get_page(&format!("{base}/lang-signin?lang=ja")).await;
    assert!(html.contains("ログインが必要です"));

    // The group item's legend and remove button, and the photo's place, in the language.
    let (_, html) = b.get_page(&format!("{base}/lang-open?lang=en")).await;
    assert!(
        html.contains("<legend>Participants (Item 1)</legend>"),
        "group legend"
    );
    for words in [
        "Where the photo was taken",
        "Use my current location",
        "Latitude",
        "Longitude",
    ] {
        assert!(html.contains(words), "{words}");
    }
    assert_one_language(&html, Lang::En, &[], "form with a group and a photo");
    let r = b
        .client
        .post(app.url(&format!("{base}/lang-open")))
        .multipart(
            Form::new()
                .text("_csrf", csrf_of(&html))
                .text("_draft", "")
                .text("_action", "add:members")
                .text("members.items", "1"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("A new item has been added."));
    assert!(html.contains("Remove Item 2") && html.contains("Participants (Item 2)"));
    assert_one_language(&html, Lang::En, &[], "form after adding an item");
    let (_, html) = b.get_page(&format!("{base}/lang-open?lang=ja-easy")).await;
    assert!(html.contains("<legend>さんかする ひと（1ばんめ）</legend>"));
    assert!(html.contains("しゃしんを とった ところ"));
    assert_one_language(&html, Lang::Easy, &[], "easy form with a group and a photo");
    let (_, html) = b.get_page(&format!("{base}/lang-open?lang=ja")).await;
    assert!(html.contains("<legend>参加者（1件目）</legend>") && html.contains("撮影場所"));

    // The JSON API refuses the same closed, full and sign-in forms in the body's language.
    let api_path = |slug: &str| format!("/api/v1/t/390003/forms/{slug}/submissions");
    let members = json!({"members": [{"who": "C"}]});
    for (slug, status, lang, expected) in [
        ("lang-closed", 409, "en", "Applications"),
        ("lang-full", 409, "en", "taken"),
        (
            "lang-signin",
            403,
            "en",
            "cannot be applied for through the API",
        ),
        ("lang-full", 409, "ja-easy", "いっぱい"),
        ("lang-signin", 403, "ja-easy", "API では もうしこめません"),
        ("lang-full", 409, "ja", "定員"),
        ("lang-signin", 403, "ja", "APIからは申請できません"),
    ] {
        let (s, body) = api(
            app,
            &api_path(slug),
            json!({"answers": members, "lang": lang}),
        )
        .await;
        assert_eq!(s, status, "{slug} {lang}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(expected), "{slug} {lang}: {message}");
        match lang {
            "en" => assert!(!japanese(message), "{slug}: {message}"),
            "ja-easy" => assert!(
                !kanji(message.replace("API", "").as_str()),
                "{slug}: {message}"
            ),
            _ => {}
        }
    }
}

/// The frame around every error — a page that does not exist, a refused request, the framework's own
/// refusals — speaks the chosen language (cookie or `?lang=`); staff pages stay Japanese.
async fn error_pages_speak_the_chosen_language(app: &TestApp) {
    let b = app.anonymous();
    let (s, html) = b.get_page("/t/390003/forms/no-such-form?lang=en").await;
    assert_eq!(s, 404);
    assert!(html.contains("Page not found") && html.contains("Back to the top page"));
    assert_one_language(&html, Lang::En, &[], "404 by ?lang=en");
    // The cookie, as the language switch leaves it, without `?lang=`.
    choose(&b, Lang::Easy).await;
    let (s, html) = b.get_page("/no/such/page").await;
    assert_eq!(s, 404);
    assert!(html.contains("ページが みつかりません"), "{html}");
    assert_one_language(&html, Lang::Easy, &[], "404 by cookie, やさしい日本語");
    choose(&b, Lang::En).await;
    let (s, html) = b.get_page("/no/such/page").await;
    assert_eq!(s, 404);
    assert_one_language(&html, Lang::En, &[], "404 by cookie, English");
    // A URL with NUL, refused before any handler.
    let (s, html) = b.get_page("/t/390003/forms/a%00b").await;
    assert_eq!(s, 400);
    assert!(html.contains("cannot be used"), "{html}");
    assert_one_language(&html, Lang::En, &[], "NUL refusal");
    // A cross-site POST (the CSRF wall): refused in English.
    let r = b
        .client
        .post(app.url("/mypage/profile"))
        .header("origin", "https://evil.example")
        .header("sec-fetch-site", "cross-site")
        .form(&[("name", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    let html = r.text().await.unwrap();
    assert!(html.contains("This page has expired"), "{html}");
    assert_one_language(&html, Lang::En, &[], "cross-site refusal");
    // The framework's own refusal of an unreadable body, as JSON on the API, in the asked language.
    let r = b
        .client
        .post(app.url(&format!("{SEMINAR_API}?lang=en")))
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let v: Value = r.json().await.unwrap();
    let message = v["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("Content-Type: application/json"),
        "{message}"
    );
    // Staff pages are Japanese whatever the resident pages were read in.
    let (s, html) = b.get_page("/staff/no-such-page").await;
    assert!(s == 404 || s == 200, "{s}");
    assert!(html.contains("<html lang=\"ja\">"), "{html}");
    assert!(!html.contains("Page not found"));
}

/// Rate-limit refusals, on the page and in the FAQ chat, say the wait in the chosen language.
/// A new browser that chose `lang` posts the subsidy form three times; the last answer.
async fn third_form_post_in(app: &TestApp, lang: Lang) -> (u16, String) {
    let b = app.anonymous();
    choose(&b, lang).await;
    let mut last = None;
    for _ in 0..3 {
        let (_, page) = b.get_page(&format!("{SUBSIDY}?lang={}", lang.code())).await;
        let r = b
            .client
            .post(app.url(SUBSIDY))
            .multipart(
                Form::new()
                    .text("_csrf", csrf_of(&page))
                    .text("_draft", "")
                    .text("_action", "confirm"),
            )
            .send()
            .await
            .unwrap();
        last = Some((r.status().as_u16(), r.text().await.unwrap()));
    }
    last.unwrap()
}

async fn rate_limits_speak_the_chosen_language(app: &TestApp) {
    let (status, html) = third_form_post_in(app, Lang::En).await;
    assert_eq!(status, 429, "{html}");
    assert!(html.contains("Please wait a moment"), "{html}");
    assert!(
        html.contains("Many forms were sent in a short time"),
        "{html}"
    );
    // The window is aligned (ten minutes), so the wait is anything from a second to ten minutes.
    assert!(
        [" second", " minute"]
            .iter()
            .any(|unit| html.contains("Please wait ") && html.contains(unit)),
        "{html}"
    );
    assert_one_language(&html, Lang::En, &[], "429 page");

    let (status, html) = third_form_post_in(app, Lang::Easy).await;
    assert_eq!(status, 429);
    assert!(html.contains("まってから もう いちど"), "{html}");
}

/// Two public form posts per client address in ten minutes. Every test browser comes from 127.0.0.1, so the
/// second browser of [`rate_limits_speak_the_chosen_language`] is refused from its first post.
fn small_form_post_limit(c: &mut madoguchi_kernel::Config) {
    c.rate_limits = madoguchi_kernel::config::RateLimitConfig {
        form_posts_per_client: madoguchi_kernel::config::Limit::new(2, 600),
        ..madoguchi_kernel::config::RateLimitConfig::off()
    };
}

/// The builder translates a number part's unit: stored with the translations, bounded (a long one is refused
/// naming the part, nothing saved), and shown on the public form in the language.
async fn the_builder_translates_a_numbers_unit(app: &TestApp) {
    let editor = app.as_staff("pref-editor").await;
    let (_, page) = editor.get_page("/staff/builder/new").await;
    let r = editor
        .post_form_with(
            &csrf_of(&page),
            "/staff/builder/new",
            &[
                ("title", "寄付の申出"),
                ("slug", "kifu"),
                ("department", "shoko"),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let id: i64 = app
        .location(&r)
        .rsplit('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let builder = format!("/staff/builder/{id}");
    let change = |fields: Vec<(&'static str, &'static str)>| {
        let editor = &editor;
        let builder = builder.clone();
        async move {
            let (_, page) = editor.get_page(&builder).await;
            let rev = hidden_value(&page, "rev").unwrap();
            let mut all = vec![("rev", rev.as_str())];
            all.extend(fields);
            let r = editor.post_form_with(&csrf_of(&page), &builder, &all).await;
            assert_eq!(r.status().as_u16(), 303);
        }
    };
    change(vec![("op", "add"), ("type", "number")]).await;
    change(vec![
        ("op", "update"),
        ("path", "0"),
        ("label", "寄付額"),
        ("key", "amount"),
        ("help", ""),
        ("unit", "円"),
        ("cond_mode", "none"),
    ])
    .await;
    let translations = format!("{builder}/translations?lang=en");
    let (_, page) = editor.get_page(&translations).await;
    assert!(page.contains("「寄付額」の単位"), "a row for the unit");
    assert!(page.contains("name=\"p:amount:unit\""));
    let long = "y".repeat(21);
    let r = editor
        .post_form_with(
            &csrf_of(&page),
            &translations,
            &[
                ("rev", &hidden_value(&page, "rev").unwrap()),
                ("p:amount:label", "Donation"),
                ("p:amount:unit", &long),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("「寄付額」の単位のEnglish訳は20文字以内で入力してください（いま21文字）。"),
        "{html}"
    );
    assert!(
        html.contains("value=\"Donation\""),
        "what was typed is kept"
    );
    let (_, page) = editor.get_page(&translations).await;
    assert!(!page.contains("Donation"), "nothing was saved");
    let r = editor
        .post_form_with(
            &csrf_of(&page),
            &translations,
            &[
                ("rev", &hidden_value(&page, "rev").unwrap()),
                ("p:amount:label", "Donation"),
                ("p:amount:unit", "yen"),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let (_, page) = editor.get_page(&translations).await;
    assert!(page.contains("value=\"yen\""));
    change(vec![("op", "publish")]).await;
    let b = app.anonymous();
    let (_, html) = b.get_page("/t/390003/forms/kifu?lang=en").await;
    assert!(html.contains("<span class=\"unit\">yen</span>"), "{html}");
    let (_, html) = b.get_page("/t/390003/forms/kifu?lang=ja").await;
    assert!(html.contains("<span class=\"unit\">円</span>"));
    // An import with a unit translation longer than the bound, or on a part without a unit, is refused.
    let staff = app.as_staff("pref-editor").await;
    for bad in [
        r#"{"title": "t", "department": "shoko", "parts": [{"key": "n", "type": "number", "label": "数", "unit": "個"}],
            "translations": {"en": {"parts": {"n": {"unit": "aaaaaaaaaaaaaaaaaaaaa"}}}}}"#,
        r#"{"title": "t", "department": "shoko", "parts": [{"key": "n", "type": "text", "label": "数"}],
            "translations": {"en": {"parts": {"n": {"unit": "pieces"}}}}}"#,
    ] {
        let r = staff
            .post_form_from(
                "/staff/forms",
                "/staff/forms/import",
                &[("slug", "unit-bad"), ("definition", bad)],
            )
            .await;
        assert_ne!(r.status().as_u16(), 303, "{bad}");
    }
}

fn urlencode(s: &str) -> String {
    s.bytes().map(|b| format!("%{b:02X}")).collect()
}

both!(
    the_subsidy_form_in_english_from_errors_to_the_receipt_mail,
    the_api_answers_in_the_language_it_is_given,
    a_language_the_form_lacks_falls_back_to_japanese,
    sign_in_my_page_and_the_faq_follow_the_chosen_language,
    every_my_page_screen_speaks_the_chosen_language,
    the_form_pages_closed_full_and_sign_in_speak_the_chosen_language,
    the_builder_translates_a_numbers_unit,
    error_pages_speak_the_chosen_language,
);

both_configured!(small_form_post_limit: rate_limits_speak_the_chosen_language);

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
