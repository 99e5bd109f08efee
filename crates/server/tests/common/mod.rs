//! The test harness: the real router on port 0, its own database (a fresh SQLite file, or a fresh PostgreSQL
//! database), demo data seeded, and an HTTP client with a cookie jar. `both!` runs a scenario on both.

#![allow(dead_code)]

pub mod oidc;

use madoguchi_kernel::{Config, Ctx};
use reqwest::redirect::Policy;
use std::path::PathBuf;

/// Which database a test runs on.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Base URL of the PostgreSQL server used by the tests (`MADOGUCHI_TEST_POSTGRES` overrides it).
fn pg_base() -> String {
    std::env::var("MADOGUCHI_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// A running server for one test.
pub struct TestApp {
    pub addr: String,
    pub ctx: Ctx,
    pub client: reqwest::Client,
    pub data_dir: PathBuf,
    /// The job runner (one per test, as a server process has one).
    pub jobs: madoguchi::jobs::Jobs,
    pg_db: Option<String>,
}

/// Runs a scenario once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! both {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = $crate::common::TestApp::spawn($crate::common::Backend::Sqlite).await;
                super::$name(&app).await;
                app.finish().await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let app = $crate::common::TestApp::spawn($crate::common::Backend::Postgres).await;
                super::$name(&app).await;
                app.finish().await;
            }
        }
    )*};
}

fn unique() -> String {
    use rand::Rng;
    format!("{:016x}", rand::thread_rng().r#gen::<u64>())
}

/// Runs a scenario once on SQLite and once on PostgreSQL, with the demo Q&A base seeded before the server
/// starts (as `madoguchi demo` does), so its indexes are built from it.
#[macro_export]
macro_rules! both_with_faq {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = $crate::common::TestApp::spawn_with(
                    $crate::common::Backend::Sqlite,
                    true,
                ).await;
                super::$name(&app).await;
                app.finish().await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let app = $crate::common::TestApp::spawn_with(
                    $crate::common::Backend::Postgres,
                    true,
                ).await;
                super::$name(&app).await;
                app.finish().await;
            }
        }
    )*};
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> TestApp {
        Self::spawn_with(backend, false).await
    }

    /// A server with the demo data, and the demo Q&A base when `faq` is set.
    pub async fn spawn_with(backend: Backend, faq: bool) -> TestApp {
        Self::spawn_configured(backend, faq, |_| {}).await
    }

    /// A server whose configuration is adjusted before it starts (`configure` sees the test's data directory
    /// already set in the configuration).
    pub async fn spawn_configured(
        backend: Backend,
        faq: bool,
        configure: impl FnOnce(&mut Config),
    ) -> TestApp {
        let id = unique();
        let data_dir = std::env::temp_dir().join(format!("madoguchi-test-{id}"));
        std::fs::create_dir_all(&data_dir).unwrap();
        let (database_url, pg_db) = match backend {
            Backend::Sqlite => (
                format!("sqlite://{}/db.sqlite?mode=rwc", data_dir.display()),
                None,
            ),
            Backend::Postgres => {
                let name = format!("madoguchi_test_{id}");
                admin_sql(&format!("CREATE DATABASE {name}")).await;
                (format!("{}/{name}", pg_base()), Some(name))
            }
        };
        let mut config = Config {
            listen: "127.0.0.1:0".into(),
            database_url,
            data_dir: data_dir.clone(),
            run_worker: false,
            // Scenarios are not throttled; `trust_frontdoor` turns the limits on where it tests them.
            rate_limits: madoguchi_kernel::config::RateLimitConfig::off(),
            ..Config::default()
        };
        configure(&mut config);
        let ctx = Ctx::open(config).await.expect("open context");
        madoguchi::demo::seed(&ctx.db)
            .await
            .expect("seed demo data");
        if faq {
            madoguchi::demo::seed_faq(&ctx.db)
                .await
                .expect("seed demo Q&As");
        }
        // The postal database is shared by all tests when installed (scripts/test installs it).
        let postal_path = madoguchi::postal_data::path(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../data")
                .as_path(),
        );
        let postal = madoguchi_applications::postal::Postal::open(&postal_path)
            .await
            .unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = format!("http://{}", listener.local_addr().unwrap());
        let router = madoguchi::app::router(ctx.clone(), postal);
        let http = ctx.config.http.clone();
        tokio::spawn(async move {
            madoguchi::serve::run(listener, router, &http, std::future::pending())
                .await
                .unwrap()
        });
        TestApp {
            addr,
            jobs: madoguchi::jobs::Jobs::new(&ctx),
            ctx,
            client: new_client(),
            data_dir,
            pg_db,
        }
    }

    /// A client of its own (another browser).
    pub fn browser(&self) -> reqwest::Client {
        new_client()
    }

    /// The absolute URL a redirect points to.
    pub fn location(&self, r: &reqwest::Response) -> String {
        let l = r.headers()["location"].to_str().unwrap();
        if l.starts_with('/') {
            self.url(l)
        } else {
            l.to_string()
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.addr)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    pub async fn get_text(&self, path: &str) -> (u16, String) {
        let r = self.get(path).await;
        (r.status().as_u16(), r.text().await.unwrap())
    }

    /// Logs the shared client in as a demo staff account.
    pub async fn login(&self, login: &str) {
        login_with(&self.client, self, login).await;
    }

    /// Runs every queued job (mail) and checks none is left or failed.
    pub async fn drain_jobs(&self) -> usize {
        madoguchi_kernel::jobs::drain(&self.ctx.db, &self.jobs)
            .await
            .unwrap()
    }

    pub async fn scalar(&self, sql: &str) -> i64 {
        sqlx::query_scalar::<_, i64>(sql)
            .fetch_one(&self.ctx.db.read)
            .await
            .unwrap()
    }

    /// Ends the test: no job may be left queued; the database and files are removed.
    pub async fn finish(self) {
        self.drain_jobs().await;
        let (pending, failed) = madoguchi_kernel::jobs::counts(&self.ctx.db).await.unwrap();
        assert_eq!((pending, failed), (0, 0), "jobs left queued or failed");
        self.ctx.db.close().await;
        if let Some(db) = &self.pg_db {
            admin_sql(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)")).await;
        }
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

fn new_client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .unwrap()
}

async fn admin_sql(sql: &str) {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(&format!("{}/test", pg_base()))
        .await
        .expect("PostgreSQL for tests");
    sqlx::Executor::execute(&mut conn, sql).await.unwrap();
}

/// Logs a given client in.
pub async fn login_with(client: &reqwest::Client, app: &TestApp, login: &str) {
    let page = client
        .get(app.url("/staff/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_of(&page);
    let r = client
        .post(app.url("/staff/login"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("login", login),
            ("password", madoguchi::demo::DEMO_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303, "login as {login}");
}

/// GETs a page with a given client (browser) and returns its text, whatever the status.
pub async fn page_text(client: &reqwest::Client, app: &TestApp, path: &str) -> String {
    client
        .get(app.url(path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// The `_csrf` hidden value of a page.
pub fn csrf_of(html: &str) -> String {
    hidden_value(html, "_csrf").expect("page has a CSRF field")
}

/// The value of a hidden input.
pub fn hidden_value(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_string())
}

/// A small valid PDF.
pub const TINY_PDF: &[u8] = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";
