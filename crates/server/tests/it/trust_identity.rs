//! Issue 14, hole 4 (a sign-in link signs the victim into the attacker's account) and hole 14 (sign-in
//! addresses are not case-folded), over HTTP on SQLite and PostgreSQL.

use crate::common;

use common::oidc::{MockProvider, callback, param};
use common::{TestApp, csrf_of, hidden_value};
use madoguchi_kernel::mail::SendMail;

/// Asks for a sign-in link in `browser`; returns the status and page of the answer.
async fn ask_for_link(browser: &reqwest::Client, app: &TestApp, email: &str) -> (u16, String) {
    let login = text(browser, app, "/mypage/login").await.1;
    let r = browser
        .post(app.url("/mypage/login"))
        .form(&[("_csrf", csrf_of(&login).as_str()), ("email", email)])
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// The path of the last sign-in link queued for `to` (the folded address mail goes to).
async fn last_link(app: &TestApp, to: &str) -> String {
    let payloads: Vec<String> =
        sqlx::query_scalar("SELECT payload FROM jobs WHERE kind = 'send_mail' ORDER BY id")
            .fetch_all(&app.ctx.db.read)
            .await
            .unwrap();
    let body = payloads
        .iter()
        .rev()
        .map(|p| serde_json::from_str::<SendMail>(p).unwrap())
        .find(|m| m.to == to)
        .expect("a mail was queued")
        .body;
    let start = body.find("/mypage/login/").unwrap();
    body[start..].split_whitespace().next().unwrap().to_string()
}

async fn text(browser: &reqwest::Client, app: &TestApp, path: &str) -> (u16, String) {
    let r = browser.get(app.url(path)).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// Presses the confirmation page's button, with `email` typed in when given.
async fn confirm(
    browser: &reqwest::Client,
    app: &TestApp,
    link: &str,
    page: &str,
    email: Option<&str>,
) -> reqwest::Response {
    let csrf = hidden_value(page, "_csrf").expect("the link page has a form");
    let mut form = vec![("_csrf", csrf.as_str()), ("next", "")];
    if let Some(e) = email {
        form.push(("email", e));
    }
    browser
        .post(app.url(link))
        .form(&form)
        .send()
        .await
        .unwrap()
}

async fn signed_in(browser: &reqwest::Client, app: &TestApp) -> bool {
    text(browser, app, "/mypage").await.0 == 200
}

async fn link_used(app: &TestApp, email: &str) -> bool {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM mail_links WHERE email = $1 AND used_at IS NOT NULL",
    )
    .bind(email)
    .fetch_one(&app.ctx.db.read)
    .await
    .unwrap();
    n > 0
}

async fn the_browser_that_asked_signs_in_with_one_button_and_is_told_which_account(app: &TestApp) {
    let browser = app.browser();
    let (status, sent) = ask_for_link(&browser, app, "taro.yamada@example.jp").await;
    assert_eq!(status, 200, "{sent}");
    let link = last_link(app, "taro.yamada@example.jp").await;
    let (status, page) = text(&browser, app, &link).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("t***@example.jp のアカウントにログインします"),
        "{page}"
    );
    assert!(
        !page.contains("taro.yamada"),
        "the page shows the address masked"
    );
    assert!(
        !page.contains("name=\"email\""),
        "no address is asked for here"
    );
    let r = confirm(&browser, app, &link, &page, None).await;
    assert_eq!(r.status().as_u16(), 303);
    assert!(signed_in(&browser, app).await);
}

async fn a_link_an_attacker_mails_to_the_victim_does_not_sign_the_victim_in(app: &TestApp) {
    let attacker = app.browser();
    assert_eq!(
        ask_for_link(&attacker, app, "mallory@evil.example").await.0,
        200
    );
    let link = last_link(app, "mallory@evil.example").await;
    // The victim opens the link the attacker forwarded, in the victim's own browser.
    let victim = app.browser();
    let (status, page) = text(&victim, app, &link).await;
    assert_eq!(status, 200);
    assert!(page.contains("m***@evil.example"), "{page}");
    assert!(page.contains("別のブラウザまたは別の端末で申し込まれたもの"));
    assert!(
        !page.contains("mallory@"),
        "the attacker's address is masked"
    );
    assert!(
        page.contains("name=\"email\""),
        "the full address is asked for"
    );
    // Pressing the button is not enough.
    let r = confirm(&victim, app, &link, &page, None).await;
    assert_eq!(r.status().as_u16(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("メールアドレスを入力してください")
    );
    assert!(!signed_in(&victim, app).await);
    assert!(!link_used(app, "mallory@evil.example").await);
    // Typing one's own address spends the link and signs in nobody.
    let r = confirm(&victim, app, &link, &page, Some("victim@example.jp")).await;
    assert_eq!(r.status().as_u16(), 422);
    assert!(r.text().await.unwrap().contains("一致しません"));
    assert!(!signed_in(&victim, app).await);
    assert!(link_used(app, "mallory@evil.example").await);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM applicant_sessions").await,
        0
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM applicants").await, 0);
    // The spent link does not work for the attacker either.
    let (status, _) = text(&attacker, app, &link).await;
    assert_eq!(status, 410);
}

async fn a_link_opened_on_another_device_works_with_the_address_typed_in(app: &TestApp) {
    let pc = app.browser();
    ask_for_link(&pc, app, "hanako@example.jp").await;
    let link = last_link(app, "hanako@example.jp").await;
    let phone = app.browser();
    let page = text(&phone, app, &link).await.1;
    // Typed in another case and full-width: still the same address.
    let r = confirm(&phone, app, &link, &page, Some("ＨＡＮＡＫＯ@example.jp")).await;
    assert_eq!(r.status().as_u16(), 303);
    assert!(signed_in(&phone, app).await);
}

async fn case_variants_of_an_address_are_one_account_and_one_mail_quota(app: &TestApp) {
    let browser = app.browser();
    for variant in [
        "victim@EXAMPLE.jp",
        "victim@Example.jp",
        "VICTIM@example.jp",
    ] {
        let (status, page) = ask_for_link(&browser, app, variant).await;
        assert_eq!(status, 200, "{variant}: {page}");
    }
    // The fourth variant shares the quota of three links in a quarter of an hour.
    let (status, page) = ask_for_link(&browser, app, "Victim@example.JP").await;
    assert_eq!(status, 429, "{page}");
    let folded: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM mail_links WHERE email = $1")
        .bind("victim@example.jp")
        .fetch_one(&app.ctx.db.read)
        .await
        .unwrap();
    assert_eq!(folded, 3, "every link is stored under the folded address");
    // Signing in through links asked for in different cases, in two browsers, finds one account.
    let first = last_link(app, "victim@example.jp").await;
    sqlx::query("UPDATE mail_links SET created_at = 0")
        .execute(&app.ctx.db.write)
        .await
        .unwrap();
    let other = app.browser();
    assert_eq!(ask_for_link(&other, app, "VICTIM@EXAMPLE.JP").await.0, 200);
    let second = last_link(app, "victim@example.jp").await;
    for (b, link) in [(&browser, &first), (&other, &second)] {
        let page = text(b, app, link).await.1;
        assert_eq!(
            confirm(b, app, link, &page, None).await.status().as_u16(),
            303
        );
    }
    assert_eq!(app.scalar("SELECT COUNT(*) FROM applicants").await, 1);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM applicants WHERE email = 'victim@example.jp'")
            .await,
        1
    );
}

async fn an_account_stored_in_mixed_case_before_folding_is_still_found(app: &TestApp) {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO applicants (email, notify_email, created_at) VALUES ('Legacy@Example.jp', 'Legacy@Example.jp', 0)
         RETURNING id",
    )
    .fetch_one(&app.ctx.db.write)
    .await
    .unwrap();
    let browser = app.browser();
    ask_for_link(&browser, app, "legacy@example.jp").await;
    let link = last_link(app, "legacy@example.jp").await;
    let page = text(&browser, app, &link).await.1;
    assert_eq!(
        confirm(&browser, app, &link, &page, None)
            .await
            .status()
            .as_u16(),
        303
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM applicants").await, 1);
    let session_owner = app
        .scalar("SELECT applicant_id FROM applicant_sessions")
        .await;
    assert_eq!(session_owner, id);
}

both!(
    the_browser_that_asked_signs_in_with_one_button_and_is_told_which_account,
    a_link_an_attacker_mails_to_the_victim_does_not_sign_the_victim_in,
    a_link_opened_on_another_device_works_with_the_address_typed_in,
    case_variants_of_an_address_are_one_account_and_one_mail_quota,
    an_account_stored_in_mixed_case_before_folding_is_still_found,
);

/// Runs a scenario on both databases with the in-test OpenID Connect provider configured.
macro_rules! both_oidc {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            async fn run(backend: $crate::common::Backend) {
                let provider = $crate::common::oidc::mock_provider().await.unwrap();
                let _: &$crate::common::oidc::MockProvider = &provider;
                let config = $crate::common::oidc::provider_config(&provider.issuer);
                let app = $crate::common::TestApp::spawn_configured(backend, false, |c| c.oidc = vec![config]).await;
                super::$name(&app, &provider).await;
                app.finish().await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                run($crate::common::Backend::Sqlite).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                run($crate::common::Backend::Postgres).await;
            }
        }
    )*};
}

/// Starts a マイナンバーカード sign-in in a browser that may already be signed in, and has the provider answer
/// with this flow's nonce; returns the state.
async fn card_flow(app: &TestApp, p: &MockProvider, browser: &reqwest::Client) -> String {
    let r = browser
        .get(app.url("/mypage/oidc/mynumber?next=/mypage"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let auth = url::Url::parse(r.headers()["location"].to_str().unwrap()).unwrap();
    p.forge.lock().unwrap().nonce = param(&auth, "nonce");
    param(&auth, "state")
}

/// The attack end to end: the attacker asks for a link to the attacker's account and talks the victim into
/// opening it and typing the attacker's address; the victim then signs in with マイナンバーカード. The verified
/// identity must not land in the attacker's account.
async fn a_verified_identity_never_joins_an_account_signed_into_from_another_browser(
    app: &TestApp,
    p: &MockProvider,
) {
    let attacker = app.browser();
    ask_for_link(&attacker, app, "mallory@evil.example").await;
    let link = last_link(app, "mallory@evil.example").await;
    let victim = app.browser();
    let page = text(&victim, app, &link).await.1;
    let r = confirm(&victim, app, &link, &page, Some("mallory@evil.example")).await;
    assert_eq!(r.status().as_u16(), 303);
    assert!(signed_in(&victim, app).await);
    // Now the victim signs in with their card in the same browser.
    let state = card_flow(app, p, &victim).await;
    let r = callback(app, &victim, &format!("code=c&state={state}")).await;
    assert_eq!(r.status().as_u16(), 303);
    let attackers: (Option<String>, String) = sqlx::query_as(
        "SELECT oidc_subject, verified_name FROM applicants WHERE email = 'mallory@evil.example'",
    )
    .fetch_one(&app.ctx.db.read)
    .await
    .unwrap();
    assert_eq!(
        attackers,
        (None, String::new()),
        "the attacker's account gained nothing"
    );
    // The identity has an account of its own, and the victim's browser is signed into that one.
    let (owner, email): (i64, Option<String>) =
        sqlx::query_as("SELECT id, email FROM applicants WHERE oidc_subject = 'subject-1'")
            .fetch_one(&app.ctx.db.read)
            .await
            .unwrap();
    assert_eq!(email, None);
    let home = text(&victim, app, "/mypage").await.1;
    assert!(home.contains("高知 太郎"), "{home}");
    assert!(!home.contains("mallory"));
    let sessions: Vec<i64> = sqlx::query_scalar("SELECT applicant_id FROM applicant_sessions")
        .fetch_all(&app.ctx.db.read)
        .await
        .unwrap();
    assert_eq!(sessions, vec![owner], "the attacker's session was ended");
}

/// The honest counterpart: signed in by a link in the browser that asked for it, the account gains the
/// verified identity as before.
async fn a_verified_identity_joins_the_account_proven_in_this_browser(
    app: &TestApp,
    p: &MockProvider,
) {
    let browser = app.browser();
    ask_for_link(&browser, app, "taro@example.jp").await;
    let link = last_link(app, "taro@example.jp").await;
    let page = text(&browser, app, &link).await.1;
    assert_eq!(
        confirm(&browser, app, &link, &page, None)
            .await
            .status()
            .as_u16(),
        303
    );
    let state = card_flow(app, p, &browser).await;
    let r = callback(app, &browser, &format!("code=c&state={state}")).await;
    assert_eq!(r.status().as_u16(), 303);
    let (subject, name): (Option<String>, String) = sqlx::query_as(
        "SELECT oidc_subject, verified_name FROM applicants WHERE email = 'taro@example.jp'",
    )
    .fetch_one(&app.ctx.db.read)
    .await
    .unwrap();
    assert_eq!(
        (subject.as_deref(), name.as_str()),
        (Some("subject-1"), "高知 太郎")
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM applicants").await, 1);
}

both_oidc!(
    a_verified_identity_never_joins_an_account_signed_into_from_another_browser,
    a_verified_identity_joins_the_account_proven_in_this_browser,
);
