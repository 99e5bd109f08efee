//! Applicant identity and my page end to end over HTTP, on SQLite and PostgreSQL alike: one-time mail links,
//! sessions, OpenID Connect (a real `oidc-provider` and an in-test provider for the attacks), my page, drafts
//! resumed on another device, return for correction and resubmission, withdrawal, messages, notifications.

use crate::common;

use common::{TINY_PDF, TestApp, csrf_of, hidden_value};
use reqwest::multipart::{Form, Part};

const SEMINAR: &str = "/t/390003/forms/dx-seminar";
const SUBSIDY: &str = "/t/390003/forms/jigyo-suishin-hojokin";

// ---------------------------------------------------------------------------------------------------------
// Helpers

/// Mails queued (not yet sent) to an address: (subject, body).
async fn queued_mails(app: &TestApp, to: &str) -> Vec<(String, String)> {
    use madoguchi_kernel::mail::{SendMail, SendMails};
    // Single mails, and the mails of group-committed submissions (one job per batch).
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

async fn page(client: &reqwest::Client, app: &TestApp, path: &str) -> (u16, String) {
    let r = client.get(app.url(path)).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// Asks for a sign-in link for `email` and returns the link's path.
async fn request_login_link(client: &reqwest::Client, app: &TestApp, email: &str) -> String {
    let (_, login) = page(client, app, "/mypage/login").await;
    let r = client
        .post(app.url("/mypage/login"))
        .form(&[("_csrf", csrf_of(&login).as_str()), ("email", email)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.text().await.unwrap().contains("メールを送信しました"));
    app.mailed_link(email, "/mypage/login/").await
}

/// Uses a sign-in link (GET the confirm page, POST its button); returns the response of the POST.
async fn use_login_link(client: &reqwest::Client, app: &TestApp, link: &str) -> reqwest::Response {
    let (status, confirm) = page(client, app, link).await;
    let csrf = hidden_value(&confirm, "_csrf").unwrap_or_else(|| {
        // An expired or used link has no form; take a token from another page.
        String::new()
    });
    let csrf = if csrf.is_empty() {
        let (_, login) = page(client, app, "/mypage/login").await;
        csrf_of(&login)
    } else {
        assert_eq!(status, 200);
        csrf
    };
    let path = link.split('?').next().unwrap();
    client
        .post(app.url(path))
        .form(&[("_csrf", csrf.as_str()), ("next", "")])
        .send()
        .await
        .unwrap()
}

/// A new browser signed in as `email` through a one-time link.
async fn signed_in(app: &TestApp, email: &str) -> reqwest::Client {
    app.as_applicant(email).await.client
}

/// Fills in the seminar form in a browser up to the confirmation page; returns the confirm page.
async fn seminar_to_confirm(client: &reqwest::Client, app: &TestApp, name: &str) -> String {
    let (_, form) = page(client, app, SEMINAR).await;
    let body = Form::new()
        .text("_csrf", csrf_of(&form))
        .text("_draft", "")
        .text("_action", "confirm")
        .text("name.name", name.to_string())
        .text("name.furigana", "コウチ タロウ")
        .text("email", "contact@example.jp")
        .text("attendance", "online")
        .text("consent", "yes");
    let r = client
        .post(app.url(SEMINAR))
        .multipart(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303, "{}", r.text().await.unwrap());
    let confirm = app.location(&r);
    client
        .get(&confirm)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Submits from a confirmation page; returns the receipt number.
async fn submit_from_confirm(
    client: &reqwest::Client,
    app: &TestApp,
    form_path: &str,
    confirm: &str,
) -> String {
    let r = client
        .post(app.url(&format!("{form_path}/submit")))
        .form(&[
            ("_csrf", csrf_of(confirm)),
            ("_draft", hidden_value(confirm, "_draft").unwrap()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    app.location(&r).rsplit('/').next().unwrap().to_string()
}

async fn submission_id(app: &TestApp, receipt: &str) -> i64 {
    sqlx::query_scalar("SELECT id FROM submissions WHERE receipt_number = $1")
        .bind(receipt)
        .fetch_one(&app.ctx.db.read)
        .await
        .unwrap()
}

/// A staff browser signed in.
async fn staff(app: &TestApp, login: &str) -> reqwest::Client {
    app.as_staff(login).await.client
}

async fn staff_status(
    client: &reqwest::Client,
    app: &TestApp,
    id: i64,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let (_, p) = page(client, app, &format!("/staff/submissions/{id}")).await;
    let csrf = csrf_of(&p);
    let mut form = vec![("_csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    client
        .post(app.url(&format!("/staff/submissions/{id}/status")))
        .form(&form)
        .send()
        .await
        .unwrap()
}

async fn post_form(
    client: &reqwest::Client,
    app: &TestApp,
    page_path: &str,
    action: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let (_, p) = page(client, app, page_path).await;
    let mut form = vec![("_csrf", csrf_of(&p))];
    form.extend(fields.iter().map(|(k, v)| (*k, v.to_string())));
    client
        .post(app.url(action))
        .form(&form)
        .send()
        .await
        .unwrap()
}

// ---------------------------------------------------------------------------------------------------------
// One-time links and sessions

async fn a_login_link_works_once_and_never_after_expiry(app: &TestApp) {
    let client = app.browser();
    let link = request_login_link(&client, app, "taro@example.jp").await;
    // Opening the link (a mail scanner does) does not use it.
    assert_eq!(page(&client, app, link.as_str()).await.0, 200);
    assert_eq!(page(&client, app, link.as_str()).await.0, 200);
    let r = use_login_link(&client, app, &link).await;
    assert_eq!(r.status().as_u16(), 303);
    let (status, mypage) = page(&client, app, "/mypage").await;
    assert_eq!(status, 200);
    assert!(mypage.contains("taro@example.jp さん"), "{mypage}");
    // A second use is refused, in another browser as well.
    let other = app.browser();
    let r = use_login_link(&other, app, &link).await;
    assert_eq!(r.status().as_u16(), 410);
    assert!(r.text().await.unwrap().contains("すでに使われています"));
    assert_eq!(page(&other, app, "/mypage").await.0, 303, "not signed in");
    // An expired link is refused on sight and on use.
    let link = request_login_link(&other, app, "taro@example.jp").await;
    sqlx::query("UPDATE mail_links SET expires_at = $1 WHERE used_at IS NULL")
        .bind(madoguchi_kernel::now_ms() - 1)
        .execute(&app.ctx.db.write)
        .await
        .unwrap();
    assert_eq!(page(&other, app, &link).await.0, 410);
    let r = use_login_link(&other, app, &link).await;
    assert_eq!(r.status().as_u16(), 410);
    assert_eq!(page(&other, app, "/mypage").await.0, 303);
    // A made-up token is refused like a used one.
    let r = use_login_link(&other, app, "/mypage/login/not-a-real-token").await;
    assert_eq!(r.status().as_u16(), 410);
}

async fn login_links_are_rate_limited_per_address(app: &TestApp) {
    let client = app.browser();
    for _ in 0..3 {
        request_login_link(&client, app, "busy@example.jp").await;
    }
    let (_, login) = page(&client, app, "/mypage/login").await;
    let r = client
        .post(app.url("/mypage/login"))
        .form(&[
            ("_csrf", csrf_of(&login).as_str()),
            ("email", "busy@example.jp"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 429);
    let body = r.text().await.unwrap();
    assert!(body.contains("しばらく送信できません"), "{body}");
    assert!(
        body.contains("value=\"busy@example.jp\""),
        "what was typed is kept"
    );
    assert!(queued_mails(app, "busy@example.jp").await.is_empty());
    // Another address is not affected; a bad address is named.
    request_login_link(&client, app, "calm@example.jp").await;
    let r = client
        .post(app.url("/mypage/login"))
        .form(&[
            ("_csrf", csrf_of(&login).as_str()),
            ("email", "not an address"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    let body = r.text().await.unwrap();
    assert!(body.contains("メールアドレスを正しい形式で入力してください"));
    assert!(body.contains("href=\"#email\""));
}

/// The value of a cookie set by a response.
fn set_cookie_value(r: &reqwest::Response, name: &str) -> Option<String> {
    r.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| {
            v.strip_prefix(&format!("{name}="))
                .map(|rest| rest.split(';').next().unwrap().to_string())
        })
}

async fn signing_in_makes_a_new_session_and_ends_the_one_planted_before(app: &TestApp) {
    // The attacker signs in and plants their own session token in the victim's browser.
    let attacker = app.browser();
    let link = request_login_link(&attacker, app, "attacker@example.jp").await;
    let r = use_login_link(&attacker, app, &link).await;
    let planted = set_cookie_value(&r, "madoguchi_applicant").unwrap();
    // The victim's browser (cookies handled by hand) signs in with their own link.
    let victim = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    // Asked for in another browser, so the link also wants the address typed in (issue 14, hole 4).
    let link = request_login_link(&app.browser(), app, "victim@example.jp").await;
    let r = victim
        .get(app.url(&link))
        .header("cookie", format!("madoguchi_applicant={planted}"))
        .send()
        .await
        .unwrap();
    let csrf_cookie = set_cookie_value(&r, "madoguchi_csrf").unwrap();
    let html = r.text().await.unwrap();
    let r = victim
        .post(app.url(&link))
        .header(
            "cookie",
            format!("madoguchi_csrf={csrf_cookie}; madoguchi_applicant={planted}"),
        )
        .form(&[
            ("_csrf", csrf_of(&html).as_str()),
            ("next", ""),
            ("email", "victim@example.jp"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let fresh = set_cookie_value(&r, "madoguchi_applicant").unwrap();
    assert_ne!(fresh, planted, "a new session token at sign-in");
    let mypage = |token: String| {
        let victim = victim.clone();
        let url = app.url("/mypage");
        async move {
            let r = victim
                .get(url)
                .header("cookie", format!("madoguchi_applicant={token}"))
                .send()
                .await
                .unwrap();
            (r.status().as_u16(), r.text().await.unwrap())
        }
    };
    let (status, body) = mypage(fresh).await;
    assert_eq!(status, 200);
    assert!(body.contains("victim@example.jp さん"));
    assert_eq!(
        mypage(planted).await.0,
        303,
        "the planted session was ended"
    );
    // Signing out ends the session.
    let r = post_form(&attacker, app, "/mypage/login", "/mypage/logout", &[]).await;
    assert_eq!(r.status().as_u16(), 303);
    assert_eq!(page(&attacker, app, "/mypage").await.0, 303);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM applicant_sessions").await,
        1,
        "only the victim's"
    );
}

// ---------------------------------------------------------------------------------------------------------
// My page: applications, isolation, messages, withdrawal, notifications

async fn signed_in_applicant_finds_application_history_messages_and_print_view(app: &TestApp) {
    let taro = signed_in(app, "taro@example.jp").await;
    let confirm = seminar_to_confirm(&taro, app, "高知 太郎").await;
    let receipt = submit_from_confirm(&taro, app, SEMINAR, &confirm).await;
    let id = submission_id(app, &receipt).await;
    // The receipt notice goes to the account's address and carries no personal data.
    let mails = queued_mails(app, "taro@example.jp").await;
    assert_eq!(mails.len(), 1);
    let (subject, body) = &mails[0];
    assert!(subject.contains(&receipt) && body.contains("/mypage"));
    assert!(
        !body.contains("高知 太郎") && !body.contains("セミナー") && !subject.contains("セミナー")
    );
    assert!(
        queued_mails(app, "contact@example.jp").await.is_empty(),
        "the account's address is used"
    );
    app.drain_jobs().await;

    let (_, home) = page(&taro, app, "/mypage").await;
    assert!(home.contains(&receipt) && home.contains("受付"));
    assert!(home.contains(&format!("/mypage/applications/{id}")));
    // Staff message → my page (and a notice), applicant's reply → staff page.
    let reviewer = staff(app, "shoko-reviewer").await;
    let r = post_form(
        &reviewer,
        app,
        &format!("/staff/submissions/{id}"),
        &format!("/staff/submissions/{id}/messages"),
        &[("body", "当日の資料は前日にお送りします。")],
    )
    .await;
    assert_eq!(r.status().as_u16(), 303);
    let mails = queued_mails(app, "taro@example.jp").await;
    assert_eq!(mails.len(), 1);
    assert!(
        !mails[0].1.contains("当日の資料"),
        "the message itself is not mailed"
    );
    app.drain_jobs().await;
    let (_, detail) = page(&taro, app, &format!("/mypage/applications/{id}")).await;
    assert!(detail.contains("担当者からのメッセージ: 当日の資料は前日にお送りします。"));
    assert!(detail.contains("高知 太郎"), "the answers are shown");
    let empty = post_form(
        &taro,
        app,
        &format!("/mypage/applications/{id}"),
        &format!("/mypage/applications/{id}/messages"),
        &[("body", "   ")],
    )
    .await;
    assert_eq!(empty.status().as_u16(), 422);
    assert!(
        empty
            .text()
            .await
            .unwrap()
            .contains("メッセージを入力してください")
    );
    let r = post_form(
        &taro,
        app,
        &format!("/mypage/applications/{id}"),
        &format!("/mypage/applications/{id}/messages"),
        &[("body", "承知しました。")],
    )
    .await;
    assert_eq!(r.status().as_u16(), 303);
    let (_, staff_page) = page(&reviewer, app, &format!("/staff/submissions/{id}")).await;
    assert!(staff_page.contains("申請者（メッセージ）: 承知しました。"));
    // Staff of another department or tenant can neither send a message nor ask for corrections.
    for login in ["doro-reviewer", "kochi-city-reviewer"] {
        let outsider = staff(app, login).await;
        let r = post_form(
            &outsider,
            app,
            "/staff",
            &format!("/staff/submissions/{id}/messages"),
            &[("body", "他部署から")],
        )
        .await;
        assert_eq!(r.status().as_u16(), 404, "{login}");
        let r = post_form(
            &outsider,
            app,
            "/staff",
            &format!("/staff/submissions/{id}/status"),
            &[("to", "returned"), ("message", "x"), ("fix.name", "x")],
        )
        .await;
        assert_eq!(r.status().as_u16(), 404, "{login}");
    }
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM submission_corrections")
            .await,
        0
    );
    // Internal comments never reach the applicant.
    let r = post_form(
        &reviewer,
        app,
        &format!("/staff/submissions/{id}"),
        &format!("/staff/submissions/{id}/comments"),
        &[("body", "内部メモ: 要確認")],
    )
    .await;
    assert_eq!(r.status().as_u16(), 303);
    let (_, detail) = page(&taro, app, &format!("/mypage/applications/{id}")).await;
    assert!(!detail.contains("内部メモ"));
    // The print view shows what was submitted.
    let (status, print) = page(&taro, app, &format!("/mypage/applications/{id}/print")).await;
    assert_eq!(status, 200);
    assert!(
        print.contains(&receipt) && print.contains("高知 太郎") && print.contains("オンライン")
    );
    app.drain_jobs().await;
}

async fn one_applicant_cannot_reach_another_applicants_application_or_draft(app: &TestApp) {
    // Taro applies for the subsidy with a file, and keeps a draft.
    let taro = signed_in(app, "taro@example.jp").await;
    let (_, form) = page(&taro, app, SUBSIDY).await;
    let body = Form::new()
        .text("_csrf", csrf_of(&form))
        .text("_draft", "")
        .text("_action", "confirm")
        .text("applicant.kind", "individual")
        .text("applicant.name", "高知 太郎")
        .text("applicant.furigana", "コウチ タロウ")
        .text("postal_code", "780-0850")
        .text("address", "高知県高知市丸ノ内1-2-20")
        .text("phone", "088-823-1111")
        .text("email", "taro@example.jp")
        .text("kind", "new")
        .text("project_name", "販路拡大")
        .text("amount", "100000")
        .text("consent", "yes")
        .part(
            "application_document",
            Part::bytes(TINY_PDF.to_vec())
                .file_name("申請書.pdf")
                .mime_str("application/pdf")
                .unwrap(),
        );
    let r = taro
        .post(app.url(SUBSIDY))
        .multipart(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let confirm = taro
        .get(app.location(&r))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let receipt = submit_from_confirm(&taro, app, SUBSIDY, &confirm).await;
    let id = submission_id(app, &receipt).await;
    let answers: String = sqlx::query_scalar("SELECT answers FROM submissions WHERE id = $1")
        .bind(id)
        .fetch_one(&app.ctx.db.read)
        .await
        .unwrap();
    let file: serde_json::Value = serde_json::from_str(&answers).unwrap();
    let file = file["application_document"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, _) = page(
        &taro,
        app,
        &format!("/mypage/applications/{id}/attachments/{file}"),
    )
    .await;
    assert_eq!(status, 200, "the owner downloads their file");
    // A draft of Taro's.
    let (_, form) = page(&taro, app, SEMINAR).await;
    let r = taro
        .post(app.url(SEMINAR))
        .multipart(
            Form::new()
                .text("_csrf", csrf_of(&form))
                .text("_draft", "")
                .text("_action", "save")
                .text("name.name", "高知 太郎"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let draft_id: String =
        sqlx::query_scalar("SELECT draft_id FROM drafts WHERE draft_id IS NOT NULL")
            .fetch_one(&app.ctx.db.read)
            .await
            .unwrap();
    // A staff member returns it, so the correction routes exist for Taro.
    let reviewer = staff(app, "shoko-reviewer").await;
    assert_eq!(
        staff_status(&reviewer, app, id, &[("to", "in_review")])
            .await
            .status(),
        303
    );
    let r = staff_status(
        &reviewer,
        app,
        id,
        &[("to", "returned"), ("message", "住所を確認してください")],
    )
    .await;
    assert_eq!(r.status().as_u16(), 303);
    app.drain_jobs().await;

    // Hanako tries every id-bearing route with Taro's ids.
    let hanako = signed_in(app, "hanako@example.jp").await;
    for path in [
        format!("/mypage/applications/{id}"),
        format!("/mypage/applications/{id}/print"),
        format!("/mypage/applications/{id}/correction"),
        format!("/mypage/applications/{id}/attachments/{file}"),
    ] {
        let (status, body) = page(&hanako, app, &path).await;
        assert_eq!(status, 404, "{path}");
        assert!(
            !body.contains(&receipt) && !body.contains("高知 太郎"),
            "{path}"
        );
    }
    let (_, home) = page(&hanako, app, "/mypage").await;
    assert!(!home.contains(&receipt));
    for (action, fields) in [
        (format!("/mypage/applications/{id}/withdraw"), vec![]),
        (
            format!("/mypage/applications/{id}/messages"),
            vec![("body", "見えますか")],
        ),
        (format!("/mypage/drafts/{draft_id}/resume"), vec![]),
        (format!("/mypage/drafts/{draft_id}/delete"), vec![]),
    ] {
        let r = post_form(&hanako, app, "/mypage", &action, &fields).await;
        assert_eq!(r.status().as_u16(), 404, "{action}");
    }
    let (_, p) = page(&hanako, app, "/mypage").await;
    let r = hanako
        .post(app.url(&format!("/mypage/applications/{id}/correction")))
        .multipart(
            Form::new()
                .text("_csrf", csrf_of(&p))
                .text("address", "乗っ取り"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);
    // Nothing changed.
    let status: String = sqlx::query_scalar("SELECT status FROM submissions WHERE id = $1")
        .bind(id)
        .fetch_one(&app.ctx.db.read)
        .await
        .unwrap();
    assert_eq!(status, "returned");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM submission_events WHERE kind = 'message'")
            .await,
        0
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM drafts WHERE draft_id IS NOT NULL")
            .await,
        1
    );
    // Without signing in, my page sends people to the sign-in page.
    let anonymous = app.browser();
    let (status, _) = page(&anonymous, app, &format!("/mypage/applications/{id}")).await;
    assert_eq!(status, 303);
    // And Taro still reaches all of it.
    assert_eq!(
        page(&taro, app, &format!("/mypage/applications/{id}"))
            .await
            .0,
        200
    );
}

async fn applicant_withdraws_an_undecided_application_but_not_a_decided_one(app: &TestApp) {
    let taro = signed_in(app, "taro@example.jp").await;
    let c1 = seminar_to_confirm(&taro, app, "高知 太郎").await;
    let first = submission_id(app, &submit_from_confirm(&taro, app, SEMINAR, &c1).await).await;
    let c2 = seminar_to_confirm(&taro, app, "高知 太郎").await;
    let second = submission_id(app, &submit_from_confirm(&taro, app, SEMINAR, &c2).await).await;
    let r = post_form(
        &taro,
        app,
        "/mypage",
        &format!("/mypage/applications/{first}/withdraw"),
        &[],
    )
    .await;
    assert_eq!(r.status().as_u16(), 303);
    let detail = taro
        .get(app.location(&r))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(detail.contains("取下げ") && detail.contains("申請を取り下げました"));
    assert!(
        !detail.contains("この申請を取り下げる"),
        "no second withdrawal"
    );
    let reviewer = staff(app, "shoko-reviewer").await;
    let (_, staff_page) = page(&reviewer, app, &format!("/staff/submissions/{first}")).await;
    assert!(staff_page.contains("取下げ") && !staff_page.contains("状態を変更する"));
    // Decided: approved.
    staff_status(&reviewer, app, second, &[("to", "in_review")]).await;
    staff_status(&reviewer, app, second, &[("to", "approved")]).await;
    let r = post_form(
        &taro,
        app,
        "/mypage",
        &format!("/mypage/applications/{second}/withdraw"),
        &[],
    )
    .await;
    assert_eq!(r.status().as_u16(), 409);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("「承認」の申請は取り下げられません")
    );
    app.drain_jobs().await;
}

async fn notification_settings_choose_which_mails_are_sent(app: &TestApp) {
    let taro = signed_in(app, "taro@example.jp").await;
    // Status notices off, messages on, to another address.
    let r = post_form(
        &taro,
        app,
        "/mypage/notifications",
        "/mypage/notifications",
        &[
            ("email", "taro.notice@example.jp"),
            ("receipt", "yes"),
            ("message", "yes"),
        ],
    )
    .await;
    assert_eq!(r.status().as_u16(), 303);
    let r = post_form(
        &taro,
        app,
        "/mypage/notifications",
        "/mypage/notifications",
        &[("email", "bad address")],
    )
    .await;
    assert_eq!(r.status().as_u16(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("お知らせを受け取るメールアドレスを正しい形式で")
    );
    let c = seminar_to_confirm(&taro, app, "高知 太郎").await;
    let receipt = submit_from_confirm(&taro, app, SEMINAR, &c).await;
    let id = submission_id(app, &receipt).await;
    assert_eq!(
        queued_mails(app, "taro.notice@example.jp").await.len(),
        1,
        "receipt notice"
    );
    app.drain_jobs().await;
    let reviewer = staff(app, "shoko-reviewer").await;
    staff_status(&reviewer, app, id, &[("to", "in_review")]).await;
    assert!(
        queued_mails(app, "taro.notice@example.jp").await.is_empty(),
        "no status notice"
    );
    post_form(
        &reviewer,
        app,
        &format!("/staff/submissions/{id}"),
        &format!("/staff/submissions/{id}/messages"),
        &[("body", "確認しました")],
    )
    .await;
    let mails = queued_mails(app, "taro.notice@example.jp").await;
    assert_eq!(mails.len(), 1, "a message notice");
    assert!(mails[0].0.contains(&receipt) && mails[0].1.contains("/mypage"));
    app.drain_jobs().await;
}

// ---------------------------------------------------------------------------------------------------------
// Return for correction and resubmission

async fn returned_application_is_corrected_part_by_part_and_resubmitted_under_the_same_receipt(
    app: &TestApp,
) {
    let taro = signed_in(app, "taro@example.jp").await;
    let c = seminar_to_confirm(&taro, app, "高知 太郎").await;
    let receipt = submit_from_confirm(&taro, app, SEMINAR, &c).await;
    let id = submission_id(app, &receipt).await;
    let reviewer = staff(app, "shoko-reviewer").await;
    staff_status(&reviewer, app, id, &[("to", "in_review")]).await;
    // A comment on a part that does not exist is refused.
    let r = staff_status(
        &reviewer,
        app,
        id,
        &[("to", "returned"), ("message", "確認"), ("fix.nope", "x")],
    )
    .await;
    assert_eq!(r.status().as_u16(), 400);
    let r = staff_status(
        &reviewer,
        app,
        id,
        &[
            ("to", "returned"),
            ("message", "参加方法をご確認ください。"),
            (
                "fix.attendance",
                "会場に空きが出ました。会場での参加に変更できます。",
            ),
            ("fix.organization", ""),
        ],
    )
    .await;
    assert_eq!(r.status().as_u16(), 303);
    let (_, detail) = page(&taro, app, &format!("/mypage/applications/{id}")).await;
    assert!(detail.contains("差戻し"));
    assert!(detail.contains("会場に空きが出ました"));
    // The correction page offers only the named part.
    let (status, correction) =
        page(&taro, app, &format!("/mypage/applications/{id}/correction")).await;
    assert_eq!(status, 200);
    assert!(correction.contains("name=\"attendance\""));
    assert!(
        !correction.contains("name=\"name.name\""),
        "other parts cannot be edited"
    );
    // A bad answer is named and nothing is stored.
    let r = taro
        .post(app.url(&format!("/mypage/applications/{id}/correction")))
        .multipart(
            Form::new()
                .text("_csrf", csrf_of(&correction))
                .text("_draft", "")
                .text("attendance", "nowhere"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    let again = r.text().await.unwrap();
    assert!(again.contains("error-summary"));
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM submission_revisions")
            .await,
        0
    );
    // The corrected part is taken; an attempt to change another part is ignored.
    let r = taro
        .post(app.url(&format!("/mypage/applications/{id}/correction")))
        .multipart(
            Form::new()
                .text("_csrf", csrf_of(&again))
                .text("_draft", hidden_value(&again, "_draft").unwrap())
                .text("attendance", "venue")
                .text("name.name", "別人 次郎"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303, "{}", r.text().await.unwrap());
    let row: (String, String, String) = {
        use sqlx::Row;
        let r =
            sqlx::query("SELECT receipt_number, status, answers FROM submissions WHERE id = $1")
                .bind(id)
                .fetch_one(&app.ctx.db.read)
                .await
                .unwrap();
        (r.get(0), r.get(1), r.get(2))
    };
    assert_eq!(row.0, receipt, "same receipt number");
    assert_eq!(row.1, "in_review");
    let answers: serde_json::Value = serde_json::from_str(&row.2).unwrap();
    assert_eq!(answers["attendance"], "venue");
    assert_eq!(
        answers["name"]["name"], "高知 太郎",
        "parts not asked for are unchanged"
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM submission_revisions")
            .await,
        1
    );
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM drafts").await,
        0,
        "the correction's draft is gone"
    );
    // Both sides see the difference.
    let (_, detail) = page(&taro, app, &format!("/mypage/applications/{id}")).await;
    assert!(detail.contains("再提出で変わった項目"));
    assert!(detail.contains("<p class=\"case-title\">参加方法</p>\n<dl class=\"case-facts case-facts-2\">\n<div><dt>修正前</dt><dd class=\"pre\">オンライン</dd></div>\n<div><dt>修正後</dt><dd class=\"pre\">会場（高知県庁 正庁ホール）</dd></div>"), "{detail}");
    let (_, staff_page) = page(&reviewer, app, &format!("/staff/submissions/{id}")).await;
    assert!(staff_page.contains("<th scope=\"row\">参加方法</th><td class=\"pre\">オンライン</td><td class=\"pre\">会場（高知県庁 正庁ホール）</td>"));
    assert!(staff_page.contains("再提出済み"));
    // Not returned any more: no second resubmission.
    let (_, p) = page(&taro, app, "/mypage").await;
    let r = taro
        .post(app.url(&format!("/mypage/applications/{id}/correction")))
        .multipart(
            Form::new()
                .text("_csrf", csrf_of(&p))
                .text("attendance", "online"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 409);
    // Approval is seen on my page.
    staff_status(&reviewer, app, id, &[("to", "approved")]).await;
    let (_, home) = page(&taro, app, "/mypage").await;
    assert!(home.contains("status-approved"));
    app.drain_jobs().await;
}

// ---------------------------------------------------------------------------------------------------------
// Drafts

async fn a_draft_with_its_file_is_resumed_on_another_device_through_a_one_time_link(app: &TestApp) {
    let phone = app.browser();
    let (_, form) = page(&phone, app, SUBSIDY).await;
    let r = phone
        .post(app.url(SUBSIDY))
        .multipart(
            Form::new()
                .text("_csrf", csrf_of(&form))
                .text("_draft", "")
                .text("_action", "save")
                .text("applicant.kind", "individual")
                .text("applicant.name", "南国 花子")
                .text("project_name", "観光案内")
                .part(
                    "application_document",
                    Part::bytes(TINY_PDF.to_vec())
                        .file_name("申請書.pdf")
                        .mime_str("application/pdf")
                        .unwrap(),
                ),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let saved = r.text().await.unwrap();
    assert!(
        saved.contains("一時保存しました") && saved.contains("まで保存され"),
        "the expiry is shown"
    );
    let draft = hidden_value(&saved, "_draft").unwrap();
    // A bad address is refused; then the link is mailed.
    let r = phone
        .post(app.url(&format!("{SUBSIDY}/resume-link")))
        .form(&[
            ("_csrf", csrf_of(&saved)),
            ("_draft", draft.clone()),
            ("email", "no".into()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    let r = phone
        .post(app.url(&format!("{SUBSIDY}/resume-link")))
        .form(&[
            ("_csrf", csrf_of(&saved)),
            ("_draft", draft.clone()),
            ("email", "hanako@example.jp".into()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let link = app.mailed_link("hanako@example.jp", "/resume/").await;
    // On the computer: confirm, and the draft opens with its file.
    let computer = app.browser();
    let (status, confirm) = page(&computer, app, &link).await;
    assert_eq!(status, 200);
    let r = computer
        .post(app.url(&link))
        .form(&[("_csrf", csrf_of(&confirm)), ("next", String::new())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let resumed = app.location(&r);
    let new_token = resumed.split("d=").nth(1).unwrap().to_string();
    assert_ne!(
        new_token, draft,
        "the draft has a new token on the new device"
    );
    let html = computer
        .get(&resumed)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("南国 花子") && html.contains("観光案内") && html.contains("申請書.pdf"));
    // The link works once.
    let r = computer
        .post(app.url(&link))
        .form(&[("_csrf", csrf_of(&confirm)), ("next", String::new())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 410);
    // The old token no longer opens the draft.
    let (_, old) = page(&phone, app, &format!("{SUBSIDY}?d={draft}")).await;
    assert!(!old.contains("南国 花子"));
    // Finished and submitted on the computer, with the file kept from the phone.
    let body = Form::new()
        .text("_csrf", csrf_of(&html))
        .text("_draft", new_token.clone())
        .text("_action", "confirm")
        .text("applicant.kind", "individual")
        .text("applicant.name", "南国 花子")
        .text("applicant.furigana", "ナンコク ハナコ")
        .text("postal_code", "783-8501")
        .text("address", "高知県南国市大そね甲2301")
        .text("phone", "088-880-6555")
        .text("email", "hanako@example.jp")
        .text("kind", "new")
        .text("project_name", "観光案内")
        .text("amount", "50000")
        .text("consent", "yes");
    let r = computer
        .post(app.url(SUBSIDY))
        .multipart(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303, "{}", r.text().await.unwrap());
    let confirm = computer
        .get(app.location(&r))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let receipt = submit_from_confirm(&computer, app, SUBSIDY, &confirm).await;
    let answers: String =
        sqlx::query_scalar("SELECT answers FROM submissions WHERE receipt_number = $1")
            .bind(&receipt)
            .fetch_one(&app.ctx.db.read)
            .await
            .unwrap();
    assert!(answers.contains("申請書.pdf"));
    app.drain_jobs().await;
}

async fn a_signed_in_applicants_draft_is_listed_on_my_page_and_resumed_elsewhere(app: &TestApp) {
    let phone = signed_in(app, "taro@example.jp").await;
    let (_, form) = page(&phone, app, SEMINAR).await;
    let r = phone
        .post(app.url(SEMINAR))
        .multipart(
            Form::new()
                .text("_csrf", csrf_of(&form))
                .text("_draft", "")
                .text("_action", "save")
                .text("name.name", "高知 太郎")
                .text("support", "車いすで参加します"),
        )
        .send()
        .await
        .unwrap();
    let saved = r.text().await.unwrap();
    assert!(saved.contains("マイページ</a>の「入力途中の申請」"));
    let computer = signed_in(app, "taro@example.jp").await;
    let (_, home) = page(&computer, app, "/mypage").await;
    assert!(home.contains("入力途中の申請") && home.contains("まで保存されます"));
    let draft_id: String = sqlx::query_scalar("SELECT draft_id FROM drafts")
        .fetch_one(&app.ctx.db.read)
        .await
        .unwrap();
    let r = post_form(
        &computer,
        app,
        "/mypage",
        &format!("/mypage/drafts/{draft_id}/resume"),
        &[],
    )
    .await;
    assert_eq!(r.status().as_u16(), 303);
    let html = computer
        .get(app.location(&r))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("車いすで参加します"));
    // Deleting it removes it from my page.
    let r = post_form(
        &computer,
        app,
        "/mypage",
        &format!("/mypage/drafts/{draft_id}/delete"),
        &[],
    )
    .await;
    assert_eq!(r.status().as_u16(), 303);
    let (_, home) = page(&computer, app, "/mypage").await;
    assert!(home.contains("一時保存した申請はありません"));
}

// ---------------------------------------------------------------------------------------------------------
// Profile and identity levels

async fn profile_fills_more_than_mail_and_name_only_when_the_applicant_asks(app: &TestApp) {
    let taro = signed_in(app, "taro@example.jp").await;
    let r = post_form(
        &taro,
        app,
        "/mypage/profile",
        "/mypage/profile",
        &[
            ("name", "高知 太郎"),
            ("furigana", "コウチ タロウ"),
            ("phone", "088-823-1111"),
        ],
    )
    .await;
    assert_eq!(r.status().as_u16(), 303);
    let (_, form) = page(&taro, app, SEMINAR).await;
    assert!(
        form.contains("value=\"高知 太郎\"") && form.contains("value=\"taro@example.jp\""),
        "the name and the mail address are filled on the first load (issue 24)"
    );
    assert!(
        !form.contains("value=\"088-823-1111\""),
        "the rest of the profile is not filled without asking"
    );
    assert!(form.contains("プロフィールの内容を入力する"));
    let (_, form) = page(&taro, app, &format!("{SEMINAR}?prefill=profile")).await;
    assert!(form.contains("value=\"高知 太郎\"") && form.contains("value=\"088-823-1111\""));
    assert!(
        form.contains("value=\"taro@example.jp\""),
        "the notification address fills the mail part"
    );
    let long = "あ".repeat(201);
    let r = post_form(
        &taro,
        app,
        "/mypage/profile",
        "/mypage/profile",
        &[("name", long.as_str())],
    )
    .await;
    assert_eq!(r.status().as_u16(), 422);
    let body = r.text().await.unwrap();
    assert!(body.contains("氏名は200文字以内") && body.contains(&long));
}

async fn a_form_requiring_a_verified_identity_refuses_others(app: &TestApp) {
    app.import_form("pref-admin", "honnin", common::VERIFIED_FORM)
        .await;
    let anonymous = app.browser();
    let (status, body) = page(&anonymous, app, "/t/390003/forms/honnin").await;
    assert_eq!(status, 401);
    assert!(body.contains("マイナンバーカードによる本人確認が必要です"));
    assert!(body.contains("/mypage/login?next=/t/390003/forms/honnin"));
    let taro = signed_in(app, "taro@example.jp").await;
    let (status, _) = page(&taro, app, "/t/390003/forms/honnin").await;
    assert_eq!(status, 401, "a mail sign-in is not a verified identity");
    let (_, p) = page(&taro, app, "/mypage").await;
    let r = taro
        .post(app.url("/t/390003/forms/honnin/submit"))
        .form(&[("_csrf", csrf_of(&p)), ("_draft", "x".into())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
}

/// A permit issued on approval (issue 7) appears on the applicant's my page and downloads from there; another
/// applicant cannot reach it. Uses the development seal key, as the demo does.
async fn issued_permit_is_downloaded_from_my_page(app: &TestApp) {
    let owner = signed_in(app, "permit-owner@example.jp").await;
    let other = signed_in(app, "someone-else@example.jp").await;
    let applicant_id = app
        .scalar("SELECT id FROM applicants WHERE email = 'permit-owner@example.jp'")
        .await;
    // The subsidy application, made by the signed-in applicant and moved to 審査中.
    let published = madoguchi_applications::forms_store::find_published(
        &app.ctx.db,
        "390003",
        "jigyo-suishin-hojokin",
    )
    .await
    .unwrap();
    let (form, tenant, dept, version) = (
        published.form_id,
        published.tenant.id,
        published.department_id,
        published.version_id,
    );
    let answers = serde_json::json!({
        "applicant": {"kind": "individual", "name": "髙﨑 花子", "furigana": "タカサキ ハナコ"},
        "postal_code": "780-8570", "address": "高知県高知市丸ノ内1丁目2番20号", "phone": "088-823-1111",
        "email": "permit-owner@example.jp", "kind": "new", "project_name": "仁淀川の清流を守る事業",
        "amount": 500000, "consent": true
    });
    let now = madoguchi_kernel::now_ms();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO submissions (tenant_id, department_id, form_id, form_version_id, receipt_number, status, answers,
             applicant_name, search_key, applicant_email, applicant_id, submitted_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, 'in_review', $6, '髙﨑 花子', '', 'permit-owner@example.jp', $7, $8, $8)
         RETURNING id",
    )
    .bind(tenant)
    .bind(dept)
    .bind(form)
    .bind(version)
    .bind(madoguchi_kernel::ids::new_receipt_number(now))
    .bind(answers.to_string())
    .bind(applicant_id)
    .bind(now)
    .fetch_one(&app.ctx.db.write)
    .await
    .unwrap();
    // Staff define the permit and approve: the permit is issued by the job that follows.
    let admin = staff(app, "pref-admin").await;
    let url = format!("/staff/issuance/forms/{form}/template");
    let (_, template_page) = page(&admin, app, &url).await;
    let r = admin
        .post(app.url(&url))
        .form(&[
            ("_csrf", csrf_of(&template_page).as_str()),
            ("kind", "notice"),
            ("title", "補助金交付決定通知書"),
            ("number_format", "高知県指令8商工第{n}号"),
            ("next_number", "21"),
            (
                "preamble",
                "次のとおり交付することに決定したので通知します。",
            ),
            ("fields", "事業名=project_name\n申請者=applicant.name"),
            ("conditions", ""),
            ("issuer_title", "高知県知事"),
            ("issuer_name", "窓口 太郎"),
            ("seal_text", "高知県知事之印"),
            ("auto_issue", "1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303, "template saved");
    let (_, review) = page(&admin, app, &format!("/staff/submissions/{id}")).await;
    let r = admin
        .post(app.url(&format!("/staff/submissions/{id}/status")))
        .form(&[("_csrf", csrf_of(&review).as_str()), ("to", "approved")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    app.drain_jobs().await;

    let (status, mine) = page(&owner, app, &format!("/mypage/applications/{id}")).await;
    assert_eq!(status, 200);
    assert!(
        mine.contains("交付された文書") && mine.contains("高知県指令8商工第21号"),
        "{mine}"
    );
    let doc = app
        .scalar(&format!(
            "SELECT id FROM issued_documents WHERE submission_id = {id}"
        ))
        .await;
    let link = format!("/mypage/applications/{id}/documents/{doc}");
    assert!(mine.contains(&link));
    let r = owner.get(app.url(&link)).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    assert!(r.bytes().await.unwrap().starts_with(b"%PDF"));
    // Another applicant, and nobody signed in, cannot have it.
    let r = other.get(app.url(&link)).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 404);
    let r = app.browser().get(app.url(&link)).send().await.unwrap();
    assert_ne!(r.status().as_u16(), 200);
}

/// A PDF of `size` bytes (a valid header, padded).
fn pdf_of(size: usize) -> Vec<u8> {
    let mut pdf = TINY_PDF.to_vec();
    pdf.resize(size, b' ');
    pdf
}

/// Issue 14: a correction's new files count against the form's total together with the files the application
/// keeps; before, each correction started from zero and could attach another 10 MB.
async fn a_correction_cannot_attach_past_the_forms_total(app: &TestApp) {
    let taro = signed_in(app, "taro@example.jp").await;
    let (_, form) = page(&taro, app, SUBSIDY).await;
    let mut body = Form::new()
        .text("_csrf", csrf_of(&form))
        .text("_draft", "")
        .text("_action", "confirm");
    for (k, v) in [
        ("applicant.kind", "individual"),
        ("applicant.name", "髙﨑 太郎"),
        ("applicant.furigana", "タカサキ タロウ"),
        ("postal_code", "780-0850"),
        ("address", "高知県高知市丸ノ内1-2-20"),
        ("phone", "088-823-1111"),
        ("email", "taro@example.jp"),
        ("kind", "new"),
        ("project_name", "県産品の販路拡大"),
        ("amount", "1500000"),
        ("consent", "yes"),
    ] {
        body = body.text(k, v);
    }
    let body = body.part(
        "application_document",
        Part::bytes(pdf_of(6 * 1024 * 1024))
            .file_name("申請書.pdf")
            .mime_str("application/pdf")
            .unwrap(),
    );
    let r = taro
        .post(app.url(SUBSIDY))
        .multipart(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303, "{}", r.text().await.unwrap());
    let (_, confirm) = page(&taro, app, &app.location(&r).replace(&app.addr, "")).await;
    let receipt = submit_from_confirm(&taro, app, SUBSIDY, &confirm).await;
    let id = submission_id(app, &receipt).await;
    let reviewer = staff(app, "shoko-reviewer").await;
    staff_status(&reviewer, app, id, &[("to", "in_review")]).await;
    let r = staff_status(
        &reviewer,
        app,
        id,
        &[
            ("to", "returned"),
            ("message", "見積書を添付してください。"),
            ("fix.attachments", "見積書がありません。"),
        ],
    )
    .await;
    assert_eq!(r.status().as_u16(), 303);
    let attachments = app.scalar("SELECT COUNT(*) FROM attachments").await;
    let (_, correction) = page(&taro, app, &format!("/mypage/applications/{id}/correction")).await;
    // 6 MB kept + 5 MB new > 10 MB.
    let r = taro
        .post(app.url(&format!("/mypage/applications/{id}/correction")))
        .multipart(
            Form::new()
                .text("_csrf", csrf_of(&correction))
                .text("_draft", "")
                .part(
                    "attachments",
                    Part::bytes(pdf_of(5 * 1024 * 1024))
                        .file_name("見積書.pdf")
                        .mime_str("application/pdf")
                        .unwrap(),
                ),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    assert!(r.text().await.unwrap().contains("添付ファイルの合計が上限"));
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM attachments").await,
        attachments,
        "the refused file was not stored"
    );
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM submissions WHERE id = {id} AND status = 'returned'"
        ))
        .await,
        1
    );
}

both!(
    a_correction_cannot_attach_past_the_forms_total,
    issued_permit_is_downloaded_from_my_page,
    a_login_link_works_once_and_never_after_expiry,
    login_links_are_rate_limited_per_address,
    signing_in_makes_a_new_session_and_ends_the_one_planted_before,
    signed_in_applicant_finds_application_history_messages_and_print_view,
    one_applicant_cannot_reach_another_applicants_application_or_draft,
    applicant_withdraws_an_undecided_application_but_not_a_decided_one,
    notification_settings_choose_which_mails_are_sent,
    returned_application_is_corrected_part_by_part_and_resubmitted_under_the_same_receipt,
    a_draft_with_its_file_is_resumed_on_another_device_through_a_one_time_link,
    a_signed_in_applicants_draft_is_listed_on_my_page_and_resumed_elsewhere,
    profile_fills_more_than_mail_and_name_only_when_the_applicant_asks,
    a_form_requiring_a_verified_identity_refuses_others,
);
