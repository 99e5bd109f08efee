//! OpenID Connect sign-in, on SQLite and PostgreSQL: through a real provider (npm `oidc-provider` on
//! 127.0.0.1 with `private_key_jwt`, PKCE S256 and Japanese claims, installed by `scripts/oidc-setup`), and
//! against an in-test provider that lets a test forge what a hostile provider or attacker would send.

use crate::common;

use common::oidc::{MockProvider, callback, honest_flow, mock_provider, param, pem, start};
use common::{TestApp, csrf_of, hidden_value};
use openidconnect::core::{CoreJsonWebKeySet, CoreRsaPrivateSigningKey};
use openidconnect::{JsonWebKeyId, PrivateSigningKey};
use std::path::PathBuf;

const SUBSIDY: &str = "/t/390003/forms/jigyo-suishin-hojokin";
/// The redirect URI the test server registers (its configured public URL; the test carries the code over).
const REDIRECT: &str = "http://127.0.0.1:8080/mypage/oidc/callback";

/// Runs a scenario once on SQLite and once on PostgreSQL with a provider from `$setup` configured.
macro_rules! both_oidc {
    ($setup:ident: $($name:ident),* $(,)?) => {$(
        mod $name {
            async fn run(backend: $crate::common::Backend) {
                let Some(provider) = super::$setup().await else { return };
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

/// The `<input …>` tag of a field.
fn input_tag<'a>(html: &'a str, name: &str) -> &'a str {
    let at = html
        .find(&format!("name=\"{name}\""))
        .expect("the field is on the page");
    let start = html[..at].rfind("<input").unwrap();
    let end = at + html[at..].find('>').unwrap();
    &html[start..=end]
}

async fn signed_in(app: &TestApp, browser: &reqwest::Client) -> bool {
    let r = browser.get(app.url("/mypage")).send().await.unwrap();
    r.status().as_u16() == 200
}

// ---------------------------------------------------------------------------------------------------------
// The real provider

/// The npm `oidc-provider` running for one test.
struct RealProvider {
    issuer: String,
    _child: tokio::process::Child,
}

async fn real_provider() -> Option<RealProvider> {
    use tokio::io::AsyncBufReadExt;
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tools/oidc-provider");
    if !dir.join("node_modules/oidc-provider").exists() {
        assert!(
            std::env::var("MADOGUCHI_REQUIRE_OIDC_PROVIDER").is_err(),
            "oidc-provider is not installed: run scripts/oidc-setup"
        );
        eprintln!("skipped: oidc-provider is not installed (scripts/oidc-setup)");
        return None;
    }
    let key = CoreRsaPrivateSigningKey::from_pem(
        &pem("client.pem"),
        Some(JsonWebKeyId::new("client-1".into())),
    )
    .unwrap();
    let jwks =
        serde_json::to_string(&CoreJsonWebKeySet::new(vec![key.as_verification_key()])).unwrap();
    let mut child = tokio::process::Command::new("node")
        .arg("server.mjs")
        .current_dir(&dir)
        .env("OIDC_CLIENT_ID", "madoguchi")
        .env("OIDC_CLIENT_JWKS", jwks)
        .env("OIDC_REDIRECT_URI", REDIRECT)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("node runs");
    let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
    // Ready when it says where it listens.
    let issuer = loop {
        let line = lines
            .next_line()
            .await
            .unwrap()
            .expect("oidc-provider started");
        if let Some(url) = line.strip_prefix("oidc-provider listening ") {
            break url.trim().to_string();
        }
    };
    // Keep reading what it prints: with the pipe closed, its next log line would kill it (EPIPE).
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Some(RealProvider {
        issuer,
        _child: child,
    })
}

/// Drives the provider's pages as a person would: its sign-in form for `account`, then back to us.
async fn sign_in_at_provider(auth: url::Url, account: &str) -> String {
    let browser = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut next = auth.to_string();
    for _ in 0..10 {
        if next.starts_with(REDIRECT) {
            return next;
        }
        let r = browser.get(&next).send().await.unwrap();
        let status = r.status().as_u16();
        if (300..400).contains(&status) {
            let loc = r.headers()["location"].to_str().unwrap().to_string();
            next = auth.join(&loc).unwrap().to_string();
            continue;
        }
        assert_eq!(status, 200, "provider page {next}");
        let html = r.text().await.unwrap();
        let action = html
            .split("action=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        let r = browser
            .post(auth.join(action).unwrap())
            .form(&[("login", account)])
            .send()
            .await
            .unwrap();
        let loc = r.headers()["location"].to_str().unwrap().to_string();
        next = auth.join(&loc).unwrap().to_string();
    }
    panic!("the provider never sent the browser back");
}

async fn verified_applicant_gets_name_and_address_prefilled_and_locked_and_sees_the_application(
    app: &TestApp,
    _p: &RealProvider,
) {
    let browser = app.browser();
    let auth = start(app, &browser).await;
    assert_eq!(param(&auth, "code_challenge_method"), "S256");
    assert!(!param(&auth, "state").is_empty() && !param(&auth, "nonce").is_empty());
    assert!(param(&auth, "scope").contains("address"));
    let back = sign_in_at_provider(auth, "taro").await;
    let query = back.split_once('?').unwrap().1.to_string();
    let r = callback(app, &browser, &query).await;
    assert_eq!(r.status().as_u16(), 303, "{}", r.text().await.unwrap());
    assert_eq!(r.headers()["location"], "/mypage");
    let home = browser
        .get(app.url("/mypage"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        home.contains("高知 太郎 さん（マイナンバーカードで本人確認済み）"),
        "{home}"
    );
    // The form: verified name and address filled in and read-only.
    let form = browser
        .get(app.url(SUBSIDY))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(form.contains("マイナンバーカードで確認された項目"));
    let name = input_tag(&form, "applicant.name");
    assert!(
        name.contains("readonly") && name.contains("value=\"高知 太郎\""),
        "{name}"
    );
    let address = input_tag(&form, "address");
    assert!(
        address.contains("readonly")
            && address.contains("value=\"高知県高知市丸ノ内一丁目2番20号\""),
        "{address}"
    );
    assert!(
        !input_tag(&form, "phone").contains("readonly"),
        "other parts stay editable"
    );
    // Whatever the browser sends, the verified values are stored.
    let body = reqwest::multipart::Form::new()
        .text("_csrf", csrf_of(&form))
        .text("_draft", "")
        .text("_action", "confirm")
        .text("applicant.kind", "corporation")
        .text("applicant.name", "なりすまし 次郎")
        .text("applicant.furigana", "コウチ タロウ")
        .text("postal_code", "780-8570")
        .text("address", "東京都千代田区")
        .text("phone", "088-823-1111")
        .text("email", "taro@example.jp")
        .text("kind", "new")
        .text("project_name", "販路拡大")
        .text("amount", "100000")
        .text("consent", "yes")
        .part(
            "application_document",
            reqwest::multipart::Part::bytes(common::TINY_PDF.to_vec())
                .file_name("申請書.pdf")
                .mime_str("application/pdf")
                .unwrap(),
        );
    let r = browser
        .post(app.url(SUBSIDY))
        .multipart(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303, "{}", r.text().await.unwrap());
    let confirm = browser
        .get(app.location(&r))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let r = browser
        .post(app.url(&format!("{SUBSIDY}/submit")))
        .form(&[
            ("_csrf", csrf_of(&confirm)),
            ("_draft", hidden_value(&confirm, "_draft").unwrap()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let receipt = app.location(&r).rsplit('/').next().unwrap().to_string();
    let answers: String =
        sqlx::query_scalar("SELECT answers FROM submissions WHERE receipt_number = $1")
            .bind(&receipt)
            .fetch_one(&app.ctx.db.read)
            .await
            .unwrap();
    let a: serde_json::Value = serde_json::from_str(&answers).unwrap();
    assert_eq!(a["applicant"]["name"], "高知 太郎");
    assert_eq!(a["applicant"]["kind"], "individual");
    assert_eq!(a["address"], "高知県高知市丸ノ内一丁目2番20号");
    let home = browser
        .get(app.url("/mypage"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(home.contains(&receipt) && home.contains("令和8年度高知県事業推進補助金"));
    let birthdate: String = sqlx::query_scalar("SELECT verified_birthdate FROM applicants")
        .fetch_one(&app.ctx.db.read)
        .await
        .unwrap();
    assert_eq!(birthdate, "1980-04-01");
    app.drain_jobs().await;
}

both_oidc!(real_provider: verified_applicant_gets_name_and_address_prefilled_and_locked_and_sees_the_application);

// ---------------------------------------------------------------------------------------------------------
// A provider under the test's control

async fn refused(r: reqwest::Response) {
    assert_eq!(r.status().as_u16(), 400);
    let body = r.text().await.unwrap();
    assert!(body.contains("ログインを完了できませんでした"), "{body}");
}

async fn the_callback_refuses_a_wrong_state(app: &TestApp, p: &MockProvider) {
    let browser = app.browser();
    let state = honest_flow(app, p, &browser).await;
    refused(callback(app, &browser, "code=c&state=made-up").await).await;
    refused(callback(app, &browser, "code=c").await).await;
    assert!(!signed_in(app, &browser).await);
    // A state started in another browser (login CSRF) is refused too.
    let attacker = app.browser();
    let attackers_state = honest_flow(app, p, &attacker).await;
    refused(callback(app, &browser, &format!("code=c&state={attackers_state}")).await).await;
    assert!(!signed_in(app, &browser).await);
    // This browser's own flow still works: the provider itself is fine.
    let _ = state;
    let state = honest_flow(app, p, &browser).await;
    let r = callback(app, &browser, &format!("code=c&state={state}")).await;
    assert_eq!(r.status().as_u16(), 303);
    assert!(signed_in(app, &browser).await);
}

async fn the_callback_refuses_a_replayed_nonce_and_a_replayed_callback(
    app: &TestApp,
    p: &MockProvider,
) {
    let first = app.browser();
    let state = honest_flow(app, p, &first).await;
    let r = callback(app, &first, &format!("code=c&state={state}")).await;
    assert_eq!(r.status().as_u16(), 303);
    // The same callback again (a replay) finds no flow.
    refused(callback(app, &first, &format!("code=c&state={state}")).await).await;
    // A new flow answered with an ID token carrying the earlier nonce is refused.
    let second = app.browser();
    let auth = start(app, &second).await;
    let old_nonce = p.forge.lock().unwrap().nonce.clone();
    assert_ne!(
        param(&auth, "nonce"),
        old_nonce,
        "every flow has its own nonce"
    );
    let r = callback(
        app,
        &second,
        &format!("code=c&state={}", param(&auth, "state")),
    )
    .await;
    refused(r).await;
    assert!(!signed_in(app, &second).await);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM applicant_sessions").await,
        1
    );
}

async fn the_callback_refuses_an_id_token_signed_by_another_key(app: &TestApp, p: &MockProvider) {
    let browser = app.browser();
    let state = honest_flow(app, p, &browser).await;
    p.forge.lock().unwrap().other_key = true;
    refused(callback(app, &browser, &format!("code=c&state={state}")).await).await;
    assert!(!signed_in(app, &browser).await);
    assert_eq!(
        app.scalar("SELECT COUNT(*) FROM applicants").await,
        0,
        "nobody was created"
    );
    p.forge.lock().unwrap().other_key = false;
    let state = honest_flow(app, p, &browser).await;
    let r = callback(app, &browser, &format!("code=c&state={state}")).await;
    assert_eq!(r.status().as_u16(), 303);
    assert!(signed_in(app, &browser).await);
}

both_oidc!(mock_provider:
    the_callback_refuses_a_wrong_state,
    the_callback_refuses_a_replayed_nonce_and_a_replayed_callback,
    the_callback_refuses_an_id_token_signed_by_another_key,
);
