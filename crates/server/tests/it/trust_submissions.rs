//! Issue 14, the submission path attacked over HTTP on SQLite and PostgreSQL: repeat counts from the request
//! (hole 1), the identity requirement through the API (hole 2), bounded bodies and uploads (hole 6), CSRF bound
//! to the session and refused across sites (hole 12), a draft submitted twice (hole 14).

use crate::common;

use common::{TestApp, csrf_of, hidden_value, page_text};
use reqwest::multipart::{Form, Part};

const SWINE: &str = "/t/390003/forms/ton-netsu-vaccine";
const SEMINAR: &str = "/t/390003/forms/dx-seminar";
const SUBSIDY: &str = "/t/390003/forms/jigyo-suishin-hojokin";

async fn csrf_for(app: &TestApp, client: &reqwest::Client, path: &str) -> String {
    csrf_of(&page_text(client, app, path).await)
}

/// The highest item of the `animals` group drawn on a page, if any.
fn drawn_items(html: &str) -> usize {
    (0..200)
        .take_while(|i| html.contains(&format!("animals[{i}].")))
        .count()
}

/// Saves the swine-fever form as a draft with one extra field; returns the page shown.
async fn save_swine(app: &TestApp, csrf: &str, field: &str, value: &str) -> String {
    let form = Form::new()
        .text("_csrf", csrf.to_string())
        .text("_draft", "")
        .text("_action", "save")
        .text(field.to_string(), value.to_string());
    let r = app
        .client
        .post(app.url(SWINE))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200, "{field}={value}");
    r.text().await.unwrap()
}

async fn a_repeat_count_from_the_request_never_draws_more_than_the_part_allows(app: &TestApp) {
    let csrf = csrf_for(app, &app.client, SWINE).await;
    for count in ["3000000", "18446744073709551615", "99999999999999999999999"] {
        let html = save_swine(app, &csrf, "animals.items", count).await;
        // max_items is 5 in the demo form; a count that is no number at all is ignored (one item drawn).
        let expected = if count.parse::<usize>().is_ok() { 5 } else { 1 };
        assert_eq!(drawn_items(&html), expected, "items={count}");
        assert!(html.len() < 500_000, "page of {} bytes", html.len());
        // The saved draft repeats the count: resuming it draws the same bounded page.
        let draft = hidden_value(&html, "_draft").expect("a draft token");
        let (status, again) = app.get_text(&format!("{SWINE}?d={draft}")).await;
        assert_eq!(status, 200);
        assert_eq!(drawn_items(&again), expected);
    }
    // An item index far out in a field name counts no further.
    let html = save_swine(app, &csrf, "animals[4000000000].count", "3").await;
    assert_eq!(drawn_items(&html), 5);
    // The API refuses a group of more items than any form may have, before building it.
    let items: Vec<_> = (0..1000).map(|_| serde_json::json!({"count": 1})).collect();
    let r = app
        .client
        .post(app.url("/api/v1/t/390003/forms/ton-netsu-vaccine/submissions"))
        .json(&serde_json::json!({"answers": {"animals": items}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 413);
    let body: serde_json::Value = r.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("件数が多すぎます"),
        "{body}"
    );
}

async fn the_api_refuses_a_form_that_requires_a_verified_identity(app: &TestApp) {
    app.import_form("pref-admin", "honnin", common::VERIFIED_FORM)
        .await;
    let before = app.scalar("SELECT COUNT(*) FROM submissions").await;
    let r = app
        .client
        .post(app.url("/api/v1/t/390003/forms/honnin/submissions"))
        .json(&serde_json::json!({"answers": {
            "applicant": {"kind": "individual", "name": "なりすまし 太郎"},
            "address": "高知県高知市丸ノ内1-2-20"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "sign_in_required");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("マイナンバーカード")
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM submissions").await, before);
}

async fn api_bodies_are_bounded_and_refused_in_japanese_json(app: &TestApp) {
    let api = app.url("/api/v1/t/390003/forms/dx-seminar/submissions");
    let before = app.scalar("SELECT COUNT(*) FROM submissions").await;
    // Not JSON, JSON of the wrong shape, the wrong content type, deep nesting, a long value, many fields.
    let cases: Vec<(&str, Vec<u8>, u16)> = vec![
        ("application/json", b"{not json".to_vec(), 400),
        ("application/json", br#"{"answers": 3}"#.to_vec(), 400),
        ("text/plain", br#"{"answers": {}}"#.to_vec(), 400),
        (
            "application/json",
            format!(
                r#"{{"answers": {{"a": {}1{}}}}}"#,
                "[".repeat(50),
                "]".repeat(50)
            )
            .into_bytes(),
            413,
        ),
        (
            "application/json",
            serde_json::to_vec(&serde_json::json!({"answers": {"name": {"name": "髙".repeat(30_000)}}}))
                .unwrap(),
            413,
        ),
        (
            "application/json",
            serde_json::to_vec(&serde_json::json!({"answers":
                (0..3000).map(|i| (format!("f{i}"), serde_json::json!("x"))).collect::<serde_json::Map<_, _>>()}))
            .unwrap(),
            413,
        ),
        ("application/json", vec![b' '; 3 * 1024 * 1024], 413),
    ];
    for (content_type, body, expected) in cases {
        let r = app
            .client
            .post(&api)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), expected, "{content_type}");
        let json: serde_json::Value = r.json().await.expect("a JSON error body");
        let message = json["error"]["message"].as_str().unwrap_or_default();
        assert!(
            message
                .chars()
                .any(|c| ('\u{3040}'..='\u{30ff}').contains(&c)),
            "a Japanese message: {json}"
        );
    }
    assert_eq!(app.scalar("SELECT COUNT(*) FROM submissions").await, before);
}

/// A request refused while its body was still arriving: the server answers at once without reading the rest,
/// so the client sees the answer — or, when it is still writing, the connection closed under it. The caller
/// checks that nothing was stored either way.
async fn refused(result: reqwest::Result<reqwest::Response>, status: u16, text: &str) {
    match result {
        Ok(r) => {
            assert_eq!(r.status().as_u16(), status, "{text}");
            assert!(r.text().await.unwrap().contains(text), "{text}");
        }
        Err(e) => assert!(e.is_request(), "{text}: {e}"),
    }
}

async fn form_posts_are_bounded_while_they_are_read(app: &TestApp) {
    let csrf = csrf_for(app, &app.client, SUBSIDY).await;
    let (attachments, drafts) = (
        app.scalar("SELECT COUNT(*) FROM attachments").await,
        app.scalar("SELECT COUNT(*) FROM drafts").await,
    );
    // A file past the form's 10 MB total.
    let mut pdf = common::TINY_PDF.to_vec();
    pdf.resize(10 * 1024 * 1024 + 1, b' ');
    let form = Form::new()
        .text("_csrf", csrf.clone())
        .text("_action", "save")
        .part(
            "application_document",
            Part::bytes(pdf)
                .file_name("大きい.pdf")
                .mime_str("application/pdf")
                .unwrap(),
        );
    refused(
        app.client
            .post(app.url(SUBSIDY))
            .multipart(form)
            .send()
            .await,
        413,
        "添付ファイルの合計が上限",
    )
    .await;
    // Too many fields, one value too long, text that is not UTF-8.
    let mut many = Form::new().text("_csrf", csrf.clone());
    for i in 0..2_100 {
        many = many.text(format!("f{i}"), "x");
    }
    let long = Form::new()
        .text("_csrf", csrf.clone())
        .text("project_name", "長".repeat(30_000));
    let not_utf8 = Form::new()
        .text("_csrf", csrf.clone())
        .part("project_name", Part::bytes(vec![0xff, 0xfe, 0x00, 0x81]));
    for (form, status, text) in [
        (many, 413, "項目が多すぎます"),
        (long, 413, "入力が長すぎます"),
        (not_utf8, 400, "UTF-8"),
    ] {
        refused(
            app.client
                .post(app.url(SUBSIDY))
                .multipart(form)
                .send()
                .await,
            status,
            text,
        )
        .await;
    }
    // Nothing was stored for any of them.
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM attachments").await,
        attachments
    );
    assert_eq!(app.scalar("SELECT COUNT(*) FROM drafts").await, drafts);
}

/// Fills in the seminar form up to the confirmation page; returns the draft token and the page's CSRF token.
async fn seminar_confirmed(app: &TestApp) -> (String, String) {
    let csrf = csrf_for(app, &app.client, SEMINAR).await;
    let form = Form::new()
        .text("_csrf", csrf)
        .text("_draft", "")
        .text("_action", "confirm")
        .text("name.name", "山﨑 花子")
        .text("name.furigana", "やまさき はなこ")
        .text("email", "hanako@example.jp")
        .text("attendance", "online")
        .text("consent", "yes");
    let r = app
        .client
        .post(app.url(SEMINAR))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303, "{}", r.text().await.unwrap());
    let confirm = page_text(&app.client, app, &app.location(&r).replace(&app.addr, "")).await;
    (hidden_value(&confirm, "_draft").unwrap(), csrf_of(&confirm))
}

async fn a_draft_submitted_twice_at_once_is_one_submission(app: &TestApp) {
    let (draft, csrf) = seminar_confirmed(app).await;
    let before = app.scalar("SELECT COUNT(*) FROM submissions").await;
    let send = || {
        app.client
            .post(app.url(&format!("{SEMINAR}/submit")))
            .form(&[("_csrf", csrf.as_str()), ("_draft", draft.as_str())])
            .send()
    };
    let (a, b) = tokio::join!(send(), send());
    let mut statuses = [a.unwrap().status().as_u16(), b.unwrap().status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [303, 410], "one receipt, one 送信済み");
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM submissions").await,
        before + 1
    );
    // And once more afterwards: still one.
    let r = send().await.unwrap();
    assert_eq!(r.status().as_u16(), 410);
    assert!(r.text().await.unwrap().contains("すでに送信"));
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM submissions").await,
        before + 1
    );
}

async fn a_planted_csrf_cookie_or_a_cross_site_origin_is_refused(app: &TestApp) {
    // A cookie the attacker planted, of any value, with the same value in the field.
    let bare = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for planted in ["AAAAAAAA", "0123456789abcdef0123456789abcdef0123456789"] {
        let r = bare
            .post(app.url("/staff/login"))
            .header("cookie", format!("madoguchi_csrf={planted}"))
            .form(&[
                ("_csrf", planted),
                ("login", "pref-admin"),
                ("password", madoguchi::demo::DEMO_PASSWORD),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 403, "planted {planted}");
    }
    // A valid token, sent from another site.
    let client = app.browser();
    let csrf = csrf_for(app, &client, "/staff/login").await;
    let login = [
        ("_csrf", csrf.as_str()),
        ("login", "pref-admin"),
        ("password", madoguchi::demo::DEMO_PASSWORD),
    ];
    for (header, value) in [
        ("origin", "https://evil.example"),
        ("origin", "null"),
        ("sec-fetch-site", "cross-site"),
    ] {
        let r = client
            .post(app.url("/staff/login"))
            .header(header, value)
            .form(&login)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 403, "{header}: {value}");
    }
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM sessions").await,
        0,
        "no session was made"
    );
    // The same request from this site signs in.
    let r = client
        .post(app.url("/staff/login"))
        .header("origin", app.addr.as_str())
        .header("sec-fetch-site", "same-origin")
        .form(&login)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    // The token is bound to the session: the one from before sign-in no longer works.
    let r = client
        .post(app.url("/staff/logout"))
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403, "a token from before sign-in");
    let fresh = csrf_for(app, &client, "/staff").await;
    let r = client
        .post(app.url("/staff/logout"))
        .form(&[("_csrf", fresh.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
}

both!(
    a_repeat_count_from_the_request_never_draws_more_than_the_part_allows,
    the_api_refuses_a_form_that_requires_a_verified_identity,
    api_bodies_are_bounded_and_refused_in_japanese_json,
    form_posts_are_bounded_while_they_are_read,
    a_draft_submitted_twice_at_once_is_one_submission,
    a_planted_csrf_cookie_or_a_cross_site_origin_is_refused,
);

/// Over HTTPS every cookie (the CSRF nonce, the staff session) is `__Host-` prefixed and `Secure`, so another
/// host cannot plant it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_https_the_csrf_cookie_is_host_prefixed() {
    let app = TestApp::spawn_configured(common::Backend::Sqlite, false, |c| {
        c.public_url = "https://madoguchi.example".into();
    })
    .await;
    let r = app.get(SEMINAR).await;
    let cookies: Vec<_> = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with("__Host-madoguchi_csrf=")
                && c.contains("Secure")
                && c.contains("Path=/")),
        "{cookies:?}"
    );
    // Signing in over HTTPS makes a `__Host-` session cookie (cookies sent here by hand from a fresh browser: the
    // test speaks plain HTTP to an address that says it is HTTPS).
    let fresh = app.browser();
    let r = fresh.get(app.url("/staff/login")).send().await.unwrap();
    let nonce = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix("__Host-madoguchi_csrf="))
        .and_then(|c| c.split(';').next())
        .unwrap()
        .to_string();
    let csrf = csrf_of(&r.text().await.unwrap());
    let r = app
        .browser()
        .post(app.url("/staff/login"))
        .header("cookie", format!("__Host-madoguchi_csrf={nonce}"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("login", "pref-admin"),
            ("password", madoguchi::demo::DEMO_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let session = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.contains("madoguchi_session="))
        .unwrap()
        .to_string();
    assert!(
        session.starts_with("__Host-madoguchi_session=") && session.contains("Secure"),
        "{session}"
    );
    app.finish().await;
}

/// Files uploaded from one client address count against its megabytes per hour, before they are stored:
/// starting a fresh draft for every post does not get around it.
async fn uploads_from_one_client_are_counted_in_megabytes(backend: common::Backend) {
    let app = TestApp::spawn_configured(backend, false, |c| {
        c.rate_limits.upload_megabytes_per_client = madoguchi_kernel::config::Limit::new(3, 3600);
    })
    .await;
    let mut pdf = common::TINY_PDF.to_vec();
    pdf.resize(1024 * 1024 + 512 * 1024, b' ');
    let mut statuses = Vec::new();
    for _ in 0..2 {
        let csrf = csrf_for(&app, &app.client, SUBSIDY).await;
        // No `_draft`: each post starts a new draft.
        let form = Form::new()
            .text("_csrf", csrf)
            .text("_action", "save")
            .part(
                "application_document",
                Part::bytes(pdf.clone())
                    .file_name("見積書.pdf")
                    .mime_str("application/pdf")
                    .unwrap(),
            );
        let r = app
            .client
            .post(app.url(SUBSIDY))
            .multipart(form)
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
    }
    assert_eq!(statuses, [200, 429], "2 MB counted, then 4 MB > 3 MB");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM attachments").await, 1);
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_are_counted_per_client_sqlite() {
    uploads_from_one_client_are_counted_in_megabytes(common::Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_are_counted_per_client_postgres() {
    uploads_from_one_client_are_counted_in_megabytes(common::Backend::Postgres).await;
}
