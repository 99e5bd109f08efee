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

/// Where a test's objects are stored.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Store {
    /// A directory under the test's data directory.
    Files,
    /// A bucket on a `moto_server` (PyPI `moto`, installed by `scripts/s3-setup`) started for the test.
    S3,
}

impl Store {
    /// `MADOGUCHI_TEST_STORAGE=s3` runs every test on S3 (`scripts/test` runs the object-storage test files
    /// that way a second time); files otherwise.
    pub fn from_env() -> Store {
        match std::env::var("MADOGUCHI_TEST_STORAGE").as_deref() {
            Ok("s3") => Store::S3,
            _ => Store::Files,
        }
    }
}

/// An in-memory S3-compatible server (`moto_server`) on a free port, stopped when dropped.
pub struct S3Server {
    pub endpoint: String,
    child: tokio::process::Child,
}

impl S3Server {
    /// The `moto_server` program: `MADOGUCHI_MOTO_SERVER`, or the one `scripts/s3-setup` installs.
    pub fn program() -> PathBuf {
        std::env::var_os("MADOGUCHI_MOTO_SERVER")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                PathBuf::from(std::env::var("HOME").unwrap_or_default())
                    .join(".cache/madoguchi-moto/bin/moto_server")
            })
    }

    /// Starts `moto_server` on a free port and waits until it answers.
    pub async fn start() -> S3Server {
        let program = Self::program();
        assert!(
            program.exists(),
            "{} is missing: run scripts/s3-setup",
            program.display()
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = tokio::process::Command::new(&program)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start moto_server");
        let endpoint = format!("http://127.0.0.1:{port}");
        let client = reqwest::Client::new();
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        loop {
            if let Ok(r) = client.get(format!("{endpoint}/moto-api/")).send().await
                && r.status().is_success()
            {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "moto_server did not answer on {endpoint}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        S3Server { endpoint, child }
    }

    /// Creates a bucket (moto accepts unsigned requests).
    pub async fn create_bucket(&self, bucket: &str) {
        let r = reqwest::Client::new()
            .put(format!("{}/{bucket}", self.endpoint))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "create bucket: {}", r.status());
    }

    /// Points a configuration at a new bucket of this server (path style, dummy credentials).
    pub async fn configure(&self, config: &mut Config) {
        let bucket = format!("madoguchi-{}", unique());
        self.create_bucket(&bucket).await;
        config.storage_url = format!("s3://{bucket}/objects");
        config.s3 = self.s3_config();
    }

    /// `[s3]` for this server.
    pub fn s3_config(&self) -> madoguchi_kernel::config::S3Config {
        madoguchi_kernel::config::S3Config {
            endpoint: self.endpoint.clone(),
            region: "us-east-1".into(),
            path_style: Some(true),
            allow_http: true,
            access_key_id: "test".into(),
            secret_access_key: "test".into(),
            ..Default::default()
        }
    }

    /// Stops the server (the store becomes unreachable).
    pub async fn stop(&mut self) {
        let _ = self.child.kill().await;
    }
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
    /// The S3 server of a test on [`Store::S3`].
    pub s3: Option<S3Server>,
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

/// Like `both!`, with the configuration adjusted by `$configure` before the server starts.
#[macro_export]
macro_rules! both_configured {
    ($configure:ident: $($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = $crate::common::TestApp::spawn_configured(
                    $crate::common::Backend::Sqlite, false, super::$configure).await;
                super::$name(&app).await;
                app.finish().await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let app = $crate::common::TestApp::spawn_configured(
                    $crate::common::Backend::Postgres, false, super::$configure).await;
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
        Self::spawn_on(backend, Store::from_env(), faq, configure).await
    }

    /// A server on the given database and object store.
    pub async fn spawn_on(
        backend: Backend,
        store: Store,
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
        let s3 = match store {
            Store::Files => None,
            Store::S3 => {
                let server = S3Server::start().await;
                server.configure(&mut config).await;
                Some(server)
            }
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
            s3,
            pg_db,
        }
    }

    /// A client of its own (another browser).
    pub fn browser(&self) -> reqwest::Client {
        new_client()
    }

    /// A browser that opens a new connection for every request. For corpora of refused requests: a server that
    /// answers before reading a body closes that connection, and a pooled client may already have picked it for
    /// the next POST (a race of HTTP/1.1 keep-alive, not of the server).
    pub fn browser_without_keep_alive(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .redirect(Policy::none())
            .pool_max_idle_per_host(0)
            .build()
            .unwrap()
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

// ---------------------------------------------------------------------------------------------------------
// The front door: a browser signed in as someone, which takes its CSRF value from a page it fetched itself.

/// A browser of its own (cookie jar, no redirects followed), signed in as a staff member, as an applicant or
/// as nobody. Every state-changing POST takes its `_csrf` value from a page this browser fetched after it
/// signed in — never a computed one — so the tests keep working however the server makes and binds tokens.
pub struct Browser<'a> {
    pub app: &'a TestApp,
    pub client: reqwest::Client,
}

impl TestApp {
    /// A browser signed in as nobody.
    pub fn anonymous(&self) -> Browser<'_> {
        Browser {
            app: self,
            client: new_client(),
        }
    }

    /// The test's shared client (the one [`TestApp::login`] logs in) as a [`Browser`].
    pub fn shared(&self) -> Browser<'_> {
        self.browser_of(&self.client)
    }

    /// A client a test already holds, as a [`Browser`] (the same cookie jar).
    pub fn browser_of(&self, client: &reqwest::Client) -> Browser<'_> {
        Browser {
            app: self,
            client: client.clone(),
        }
    }

    /// POSTs `fields` to `action` with the shared client, with a `_csrf` value from one of its pages (see
    /// [`Browser::csrf_for`]).
    pub async fn post_form(&self, action: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.shared().post_form(action, fields).await
    }

    /// A browser logged in as a staff account (a demo login, or one made with [`TestApp::as_staff_role`]).
    pub async fn as_staff(&self, login: &str) -> Browser<'_> {
        let b = self.anonymous();
        login_with(&b.client, self, login).await;
        b
    }

    /// A browser logged in as a new staff account of 高知県 with `role` in the departments with these codes
    /// (for combinations the demo accounts do not have). The login is made from the role and departments.
    pub async fn as_staff_role(
        &self,
        role: madoguchi_kernel::staff::Role,
        departments: &[&str],
    ) -> Browser<'_> {
        let tenant: i64 = sqlx::query_scalar("SELECT id FROM tenants WHERE code = '390003'")
            .fetch_one(&self.ctx.db.read)
            .await
            .unwrap();
        let mut ids = Vec::new();
        for code in departments {
            let id: i64 =
                sqlx::query_scalar("SELECT id FROM departments WHERE tenant_id = $1 AND code = $2")
                    .bind(tenant)
                    .bind(*code)
                    .fetch_one(&self.ctx.db.read)
                    .await
                    .unwrap();
            ids.push(id);
        }
        let login = format!("test-{role:?}-{}", departments.join("-")).to_lowercase();
        madoguchi_kernel::staff::insert_staff(
            &self.ctx.db,
            tenant,
            &login,
            &login,
            role,
            madoguchi::demo::DEMO_PASSWORD,
            &ids,
        )
        .await
        .unwrap();
        self.as_staff(&login).await
    }

    /// A browser signed in as the applicant with this mail address, through the one-time mail link as a
    /// resident would (the mail is taken from the job queue, which is then drained).
    pub async fn as_applicant(&self, email: &str) -> Browser<'_> {
        let b = self.anonymous();
        let r = b.post_form("/mypage/login", &[("email", email)]).await;
        assert_eq!(r.status().as_u16(), 200, "asking for a sign-in link");
        let link = self.mailed_link(email, "/mypage/login/").await;
        let (status, confirm) = b.get_page(&link).await;
        assert_eq!(status, 200, "sign-in link page");
        let path = link.split('?').next().unwrap();
        let r = b
            .client
            .post(self.url(path))
            .form(&[("_csrf", csrf_of(&confirm).as_str()), ("next", "")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 303, "sign-in by link as {email}");
        assert_eq!(r.headers()["location"], "/mypage");
        b
    }

    /// The path of the last link starting with `path_prefix` in a mail queued to `to`; the queue is drained.
    pub async fn mailed_link(&self, to: &str, path_prefix: &str) -> String {
        use madoguchi_kernel::mail::{SendMail, SendMails};
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT kind, payload FROM jobs WHERE kind IN ('send_mail', 'send_mails') ORDER BY id",
        )
        .fetch_all(&self.ctx.db.read)
        .await
        .unwrap();
        let bodies: Vec<String> = rows
            .iter()
            .flat_map(|(kind, p)| match kind.as_str() {
                "send_mail" => vec![serde_json::from_str::<SendMail>(p).unwrap()],
                _ => serde_json::from_str::<SendMails>(p).unwrap().mails,
            })
            .filter(|m| m.to == to)
            .map(|m| m.body)
            .collect();
        self.drain_jobs().await;
        let body = bodies.last().expect("a mail was queued");
        let start = body.find(path_prefix).expect("the mail holds the link");
        body[start..].split_whitespace().next().unwrap().to_string()
    }
}

impl Browser<'_> {
    /// GETs a page: its status and text, whatever the status.
    pub async fn get_page(&self, path: &str) -> (u16, String) {
        let r = self.client.get(self.app.url(path)).send().await.unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    /// A `_csrf` value for a POST to `action`, from a page of the same area this browser fetches now (staff
    /// pages for `/staff`, my page for `/mypage`, the sign-in pages otherwise; a login page when the area's
    /// home page has none, i.e. when this browser is not signed in there).
    pub async fn csrf_for(&self, action: &str) -> String {
        let pages: &[&str] = if action.starts_with("/staff") {
            &["/staff", "/staff/login"]
        } else if action.starts_with("/mypage") {
            &["/mypage", "/mypage/login"]
        } else {
            // A signed-in applicant's sign-in page may send it on to my page.
            &["/mypage/login", "/mypage", "/staff/login"]
        };
        for page in pages {
            let (_, html) = self.get_page(page).await;
            if let Some(v) = hidden_value(&html, "_csrf") {
                return v;
            }
        }
        panic!("no page of {action}'s area carries a CSRF value")
    }

    /// POSTs `fields` as a form to `action` with a `_csrf` value this browser got from a page (see
    /// [`Browser::csrf_for`]).
    pub async fn post_form(&self, action: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let csrf = self.csrf_for(action).await;
        self.post_form_with(&csrf, action, fields).await
    }

    /// POSTs `fields` to `action` with the `_csrf` value of the page at `page` (the form's own page).
    pub async fn post_form_from(
        &self,
        page: &str,
        action: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let (_, html) = self.get_page(page).await;
        self.post_form_with(&csrf_of(&html), action, fields).await
    }

    /// POSTs `fields` to `action` with a given `_csrf` value (one taken from a page already fetched).
    pub async fn post_form_with(
        &self,
        csrf: &str,
        action: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut form = vec![("_csrf", csrf)];
        form.extend_from_slice(fields);
        self.client
            .post(self.app.url(action))
            .form(&form)
            .send()
            .await
            .unwrap()
    }

    /// POSTs a multipart form to `action`, adding the `_csrf` value this browser got from a page.
    pub async fn post_multipart(
        &self,
        action: &str,
        form: reqwest::multipart::Form,
    ) -> reqwest::Response {
        let csrf = self.csrf_for(action).await;
        self.client
            .post(self.app.url(action))
            .multipart(form.text("_csrf", csrf))
            .send()
            .await
            .unwrap()
    }
}

/// A form that requires an identity verified with マイナンバーカード (`"identity": "verified"`), of 商工政策課.
pub const VERIFIED_FORM: &str = r#"{
  "title": "本人確認が必要な届出", "department": "shoko", "identity": "verified",
  "parts": [
    { "key": "applicant", "type": "applicant", "label": "申請者", "required": true },
    { "key": "address", "type": "address", "label": "住所", "required": true },
    { "key": "note", "type": "text", "label": "備考" }
  ]
}"#;

impl TestApp {
    /// Publishes a form definition under `slug` through the staff import page, as the staff account `login`.
    pub async fn import_form(&self, login: &str, slug: &str, json: &str) {
        let staff = self.as_staff(login).await;
        let r = staff
            .post_form_from(
                "/staff/forms",
                "/staff/forms/import",
                &[("slug", slug), ("definition", json)],
            )
            .await;
        assert_eq!(r.status().as_u16(), 303, "import of {slug}");
    }
}
