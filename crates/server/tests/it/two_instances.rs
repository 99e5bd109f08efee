//! Two server processes — the real binary, as a load balancer would run them — on one PostgreSQL database and
//! one S3-compatible store (moto, PyPI), with the steps of residents' and staff's flows sent to alternating
//! instances; then one instance is killed with SIGKILL while it holds a job, and the other finishes it once the
//! lease runs out; then the survivor is stopped with SIGTERM while it holds a job, and releases it.
//!
//! Needs `moto_server` (`scripts/s3-setup`); without it the test stops unless `MADOGUCHI_REQUIRE_S3=1`.

use crate::common;

use common::{S3Server, csrf_of, hidden_value};
use reqwest::redirect::Policy;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

const SUBSIDY: &str = "/t/390003/forms/jigyo-suishin-hojokin";

fn unique() -> String {
    use rand::Rng;
    format!("{:012x}", rand::thread_rng().r#gen::<u64>() >> 16)
}

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .unwrap()
}

/// Polls `check` until it returns `Some`, at most `within`; the harness waits on state, never on a fixed sleep.
async fn eventually<T, F, Fut>(what: &str, within: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + within;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

// ---------------------------------------------------------------------------------------------------------
// A mail relay for the test: a minimal SMTP server on two ports (one per instance, so the port that received
// a connection says which instance sent it). While `hold` is set, the next connection is accepted and never
// answered: the sending job hangs on that instance, as on a relay that stopped answering.

#[derive(Default)]
struct Relay {
    messages: Mutex<Vec<String>>,
    hold: AtomicBool,
    held_on: Mutex<Option<usize>>,
    held: Mutex<Vec<tokio::net::TcpStream>>,
}

impl Relay {
    async fn start() -> (Arc<Relay>, [u16; 2]) {
        let relay = Arc::new(Relay::default());
        let mut ports = [0u16; 2];
        for (i, port) in ports.iter_mut().enumerate() {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            *port = listener.local_addr().unwrap().port();
            let relay = relay.clone();
            tokio::spawn(async move {
                loop {
                    let Ok((socket, _)) = listener.accept().await else {
                        return;
                    };
                    if relay.hold.load(Ordering::SeqCst) {
                        let mut held_on = relay.held_on.lock().unwrap();
                        if held_on.is_none() {
                            *held_on = Some(i);
                            relay.held.lock().unwrap().push(socket);
                            continue;
                        }
                    }
                    let relay = relay.clone();
                    tokio::spawn(async move {
                        let _ = relay.session(socket).await;
                    });
                }
            });
        }
        (relay, ports)
    }

    async fn session(&self, socket: tokio::net::TcpStream) -> std::io::Result<()> {
        let (read, mut write) = socket.into_split();
        let mut lines = BufReader::new(read).lines();
        write.write_all(b"220 relay ESMTP\r\n").await?;
        while let Some(line) = lines.next_line().await? {
            let verb = line.get(..4).unwrap_or("").to_ascii_uppercase();
            match verb.as_str() {
                "DATA" => {
                    write.write_all(b"354 go ahead\r\n").await?;
                    let mut message = Vec::new();
                    while let Some(l) = lines.next_line().await? {
                        if l == "." {
                            break;
                        }
                        message.push(l.strip_prefix('.').map(str::to_string).unwrap_or(l));
                    }
                    self.messages.lock().unwrap().push(message.join("\n"));
                    write.write_all(b"250 queued\r\n").await?;
                }
                "QUIT" => {
                    write.write_all(b"221 bye\r\n").await?;
                    return Ok(());
                }
                _ => write.write_all(b"250 ok\r\n").await?,
            }
        }
        Ok(())
    }

    /// The decoded body of the last message to `to`, if one arrived.
    fn body_to(&self, to: &str) -> Option<String> {
        let messages = self.messages.lock().unwrap();
        messages
            .iter()
            .rev()
            .find(|m| {
                m.lines()
                    .any(|l| l.to_ascii_lowercase().starts_with("to:") && l.contains(to))
            })
            .map(|m| decode_body(m))
    }
}

/// The body of a plain-text message, undoing base64 or quoted-printable transfer encoding.
fn decode_body(message: &str) -> String {
    let (head, body) = message.split_once("\n\n").unwrap_or((message, ""));
    let head = head.to_ascii_lowercase();
    if head.contains("content-transfer-encoding: base64") {
        use base64::Engine;
        let joined: String = body.split_whitespace().collect();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(joined)
            .unwrap();
        String::from_utf8(bytes).unwrap()
    } else if head.contains("content-transfer-encoding: quoted-printable") {
        let mut out = Vec::new();
        for line in body.lines() {
            let (line, soft) = match line.strip_suffix('=') {
                Some(l) => (l, true),
                None => (line, false),
            };
            let mut rest = line.as_bytes();
            while let Some((&c, tail)) = rest.split_first() {
                let hex = tail.get(..2).and_then(|h| std::str::from_utf8(h).ok());
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(v) if c == b'=' => {
                        out.push(v);
                        rest = &tail[2..];
                    }
                    _ => {
                        out.push(c);
                        rest = tail;
                    }
                }
            }
            if !soft {
                out.push(b'\n');
            }
        }
        String::from_utf8(out).unwrap()
    } else {
        body.to_string()
    }
}

// ---------------------------------------------------------------------------------------------------------

/// One server process.
struct Instance {
    name: &'static str,
    base: String,
    child: tokio::process::Child,
    dir: PathBuf,
}

impl Instance {
    async fn start(
        name: &'static str,
        root: &std::path::Path,
        database_url: &str,
        storage: &str,
        s3: &S3Server,
        smtp_port: u16,
    ) -> Instance {
        let dir = root.join(name);
        std::fs::create_dir_all(&dir).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let config = dir.join("madoguchi.toml");
        std::fs::write(
            &config,
            format!(
                r#"listen = "127.0.0.1:{port}"
database_url = "{database_url}"
data_dir = "{dir}"
public_url = "http://127.0.0.1:{port}"
storage_url = "{storage}"
job_lease_secs = 3

[s3]
endpoint = "{endpoint}"
region = "us-east-1"
path_style = true
allow_http = true
access_key_id = "test"
secret_access_key = "test"

[mail]
smtp_url = "smtp://127.0.0.1:{smtp_port}"

[http]
shutdown_grace_secs = 3

[rate_limits]
api_submissions_per_client = {{ max = 3, window_secs = 600 }}
"#,
                dir = dir.display(),
                endpoint = s3.endpoint,
            ),
        )
        .unwrap();
        let log = std::fs::File::create(dir.join("server.log")).unwrap();
        let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_madoguchi"))
            .args(["serve", "--config"])
            .arg(&config)
            .env("RUST_LOG", "info,sqlx=warn")
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let probe = reqwest::Client::new();
        let url = format!("{base}/readyz");
        let mut instance = Instance {
            name,
            base,
            child,
            dir,
        };
        eventually(&format!("{name} ready"), Duration::from_secs(60), || {
            let r = probe.get(&url).send();
            let exited = instance.child.try_wait().ok().flatten();
            let log = instance.log();
            async move {
                if let Some(status) = exited {
                    panic!("{name} exited before it was ready ({status}): {log}");
                }
                r.await.ok().filter(|r| r.status() == 200).map(|_| ())
            }
        })
        .await;
        instance
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn pid(&self) -> u32 {
        self.child.id().expect("running")
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }
}

async fn page(c: &reqwest::Client, url: &str) -> String {
    let r = c.get(url).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 200, "GET {url}");
    r.text().await.unwrap()
}

/// A staff member signed in on `on` (the session lives in the database, so every instance knows it).
async fn staff(on: &Instance, login: &str) -> reqwest::Client {
    let c = client();
    let html = page(&c, &on.url("/staff/login")).await;
    let r = c
        .post(on.url("/staff/login"))
        .form(&[
            ("_csrf", csrf_of(&html).as_str()),
            ("login", login),
            ("password", madoguchi::demo::DEMO_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303, "staff login {login}");
    c
}

fn location(on: &Instance, r: &reqwest::Response) -> String {
    let l = r.headers()["location"].to_str().unwrap();
    if l.starts_with('/') {
        on.url(l)
    } else {
        l.to_string()
    }
}

fn link_in(body: &str, prefix: &str) -> String {
    let start = body.find(prefix).expect("the mail holds the link");
    body[start..].split_whitespace().next().unwrap().to_string()
}

async fn pg_admin(sql: &str) {
    use sqlx::Connection;
    let base = std::env::var("MADOGUCHI_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
    let mut conn = sqlx::PgConnection::connect(&format!("{base}/test"))
        .await
        .expect("PostgreSQL for tests");
    sqlx::Executor::execute(&mut conn, sql).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_on_one_database_and_one_store_serve_one_flow_and_take_over_each_others_jobs()
{
    if !S3Server::program().exists() {
        assert!(
            std::env::var("MADOGUCHI_REQUIRE_S3").is_err(),
            "moto_server missing: run scripts/s3-setup"
        );
        eprintln!("moto_server not installed (scripts/s3-setup): skipped");
        return;
    }
    let id = unique();
    let root = std::env::temp_dir().join(format!("madoguchi-2i-{id}"));
    std::fs::create_dir_all(&root).unwrap();
    let s3 = S3Server::start().await;
    let bucket = format!("madoguchi-{id}");
    s3.create_bucket(&bucket).await;
    let storage = format!("s3://{bucket}/objects");
    let db_name = format!("madoguchi_2i_{id}");
    pg_admin(&format!("CREATE DATABASE {db_name}")).await;
    let base = std::env::var("MADOGUCHI_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
    let database_url = format!("{base}/{db_name}");

    // The installation: migrated and seeded once (as `madoguchi demo` would), objects in the bucket.
    let ctx = madoguchi_kernel::Ctx::open(madoguchi_kernel::Config {
        database_url: database_url.clone(),
        data_dir: root.join("seed"),
        storage_url: storage.clone(),
        s3: s3.s3_config(),
        run_worker: false,
        ..Default::default()
    })
    .await
    .unwrap();
    madoguchi::demo::seed(&ctx.db).await.unwrap();
    madoguchi::demo::seed_faq(&ctx.db).await.unwrap();
    madoguchi::demo::seed_opendata(&ctx).await.unwrap();
    let db = ctx.db.clone();
    let scalar = |sql: &'static str| {
        let db = db.clone();
        async move {
            sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(&db.read)
                .await
                .unwrap()
        }
    };

    let (relay, smtp) = Relay::start().await;
    let mut a = Instance::start("a", &root, &database_url, &storage, &s3, smtp[0]).await;
    // Every instance seals with one key: B is given A's development PKI (with an HSM both would use the same
    // token); an instance with a key of its own refuses to start, naming the key and what to do.
    let dev = |name: &str| root.join(name).join("issuance/dev");
    std::fs::create_dir_all(dev("b")).unwrap();
    for file in std::fs::read_dir(dev("a")).unwrap() {
        let file = file.unwrap().path();
        std::fs::copy(&file, dev("b").join(file.file_name().unwrap())).unwrap();
    }
    let mut b = Instance::start("b", &root, &database_url, &storage, &s3, smtp[1]).await;
    let refused = std::panic::AssertUnwindSafe(Instance::start(
        "c",
        &root,
        &database_url,
        &storage,
        &s3,
        smtp[1],
    ));
    let refusal = futures::FutureExt::catch_unwind(refused)
        .await
        .err()
        .and_then(|e| e.downcast::<String>().ok())
        .expect("an instance with another development key does not start");
    assert!(
        refusal.contains("exited before it was ready")
            && refusal.contains("開発用の公印鍵")
            && refusal.contains("key = \"pkcs11\""),
        "{refusal}"
    );

    // 1. A resident opens the form on A, sends it with a 6 MB file to B (a multipart upload into the bucket),
    //    confirms on A and submits on A.
    let resident = client();
    let html = page(&resident, &a.url(SUBSIDY)).await;
    let mut pdf = b"%PDF-1.4\n".to_vec();
    pdf.extend((0..6_000_000).map(|i| b'a' + (i % 23) as u8));
    let mut form = reqwest::multipart::Form::new()
        .text("_csrf", csrf_of(&html))
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
        form = form.text(k, v);
    }
    form = form.part(
        "application_document",
        reqwest::multipart::Part::bytes(pdf.clone())
            .file_name("申請書.pdf")
            .mime_str("application/pdf")
            .unwrap(),
    );
    let r = resident
        .post(b.url(SUBSIDY))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303, "{}", r.text().await.unwrap());
    let confirm_path = r.headers()["location"].to_str().unwrap().to_string();
    let confirm = page(&resident, &a.url(&confirm_path)).await;
    assert!(confirm.contains("申請書.pdf"), "A shows the file B stored");
    let r = resident
        .post(a.url(&format!("{SUBSIDY}/submit")))
        .form(&[
            ("_csrf", csrf_of(&confirm)),
            ("_draft", hidden_value(&confirm, "_draft").unwrap()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let receipt = location(&a, &r).rsplit('/').next().unwrap().to_string();
    let (sub_id, file): (i64, String) = sqlx::query_as(
        "SELECT s.id, a.id FROM submissions s JOIN attachments a ON a.submission_id = s.id WHERE s.receipt_number = $1",
    )
    .bind(&receipt)
    .fetch_one(&db.read)
    .await
    .unwrap();

    // 2. Staff review on B; the file B stored downloads from A.
    let reviewer = staff(&a, "shoko-reviewer").await;
    let detail = page(&reviewer, &b.url(&format!("/staff/submissions/{sub_id}"))).await;
    assert!(detail.contains(&receipt));
    let r = reviewer
        .post(b.url(&format!("/staff/submissions/{sub_id}/status")))
        .form(&[
            ("_csrf", csrf_of(&detail).as_str()),
            ("to", "in_review"),
            ("message", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303, "status change on B");
    let r = reviewer
        .get(a.url(&format!("/staff/submissions/{sub_id}/attachments/{file}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.bytes().await.unwrap() == pdf, "the same bytes from A");

    // 3. A sign-in link asked for on A, used on B.
    let applicant = client();
    let login = page(&applicant, &a.url("/mypage/login")).await;
    let r = applicant
        .post(a.url("/mypage/login"))
        .form(&[
            ("_csrf", csrf_of(&login).as_str()),
            ("email", "hanako@example.jp"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let body = eventually("the sign-in mail", Duration::from_secs(20), || {
        let body = relay.body_to("hanako@example.jp");
        async move { body }
    })
    .await;
    let link = link_in(&body, "/mypage/login/");
    let path = link
        .split_once("/mypage/")
        .map(|(_, p)| format!("/mypage/{p}"))
        .unwrap();
    let confirm = page(&applicant, &b.url(&path)).await;
    let r = applicant
        .post(b.url(path.split('?').next().unwrap()))
        .form(&[("_csrf", csrf_of(&confirm).as_str()), ("next", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303, "signed in on B");
    assert_eq!(r.headers()["location"], "/mypage");
    page(&applicant, &a.url("/mypage")).await;

    // 4. A Q&A added on A is answered by B (its index follows the generation counter).
    let editor = staff(&b, "kochi-city-admin").await;
    let new_page = page(&editor, &a.url("/staff/faq/new")).await;
    let question = "二台構成の窓口で落とし物を届けるにはどうすればよいですか";
    let r = editor
        .post(a.url("/staff/faq/new"))
        .form(&[
            ("_csrf", csrf_of(&new_page).as_str()),
            ("question", question),
            ("phrasings", "落とし物の届け出"),
            ("answer", "市民課の窓口にお持ちください。"),
            ("category", "施設予約・イベント"),
            ("department", "shimin"),
            ("audience", "public"),
            ("forms", ""),
            ("review_date", "2027-03-31"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303, "{}", r.text().await.unwrap());
    let asker = reqwest::Client::new();
    let ask = b.url(&format!(
        "/api/v1/t/392014/faq/ask?q={}",
        percent_encoding::utf8_percent_encode(question, percent_encoding::NON_ALPHANUMERIC)
    ));
    eventually(
        "B answers with A's new entry",
        Duration::from_secs(10),
        || {
            let r = asker.get(&ask).send();
            async move {
                let v: Value = r.await.ok()?.json().await.ok()?;
                (v["answer"]["question"] == question).then_some(())
            }
        },
    )
    .await;

    // 5. A dataset published through A's CKAN API is found by B's search, API and pages.
    let tokens = page(&editor, &a.url("/staff/opendata/tokens")).await;
    let r = editor
        .post(a.url("/staff/opendata/tokens"))
        .form(&[("_csrf", csrf_of(&tokens).as_str()), ("name", "二台構成")])
        .send()
        .await
        .unwrap();
    let html = r.text().await.unwrap();
    let marker = "id=\"new-token\" readonly value=\"";
    let start = html.find(marker).expect("token shown once") + marker.len();
    let token = html[start..start + html[start..].find('"').unwrap()].to_string();
    let r = asker
        .post(a.url("/api/3/action/package_create"))
        .header("Authorization", &token)
        .json(
            &json!({"name": "two-instances-lost-property", "title": "二台構成の落とし物一覧",
                      "owner_org": "392014", "notes": "確認用"}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200, "{}", r.text().await.unwrap());
    let v: Value = asker
        .get(b.url(
            "/api/3/action/package_search?q=%E8%90%BD%E3%81%A8%E3%81%97%E7%89%A9%E4%B8%80%E8%A6%A7",
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["result"]["count"], 1, "{v}");
    assert_eq!(
        v["result"]["results"][0]["name"],
        "two-instances-lost-property"
    );
    let v: Value = asker
        .get(b.url("/api/3/action/package_show?id=two-instances-lost-property"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["result"]["title"], "二台構成の落とし物一覧");
    let html = page(
        &asker,
        &b.url("/opendata?q=%E8%90%BD%E3%81%A8%E3%81%97%E7%89%A9"),
    )
    .await;
    assert!(html.contains("二台構成の落とし物一覧"));

    // 6. Rate limits are counted in the database: 3 API submissions per client, whichever instance.
    let seminar = "/api/v1/t/390003/forms/dx-seminar/submissions";
    let answers = |i: usize| {
        json!({"answers": {"name": {"name": format!("申請者 {i}"), "furigana": "しんせいしゃ"},
               "email": format!("a{i}@example.jp"), "attendance": "venue", "consent": true}})
    };
    for (i, on) in [&a, &b, &a].into_iter().enumerate() {
        let r = asker
            .post(on.url(seminar))
            .json(&answers(i))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 201, "submission {i} on {}", on.name);
    }
    for on in [&b, &a] {
        let r = asker
            .post(on.url(seminar))
            .json(&answers(9))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 429, "the fourth, on {}", on.name);
    }
    // Every mail of the flow so far is sent (receipts, notices, links).
    eventually("the queue to empty", Duration::from_secs(20), || {
        let n = scalar("SELECT COUNT(*) FROM jobs");
        async move { (n.await == 0).then_some(()) }
    })
    .await;

    // 7. The relay stops answering; a mail job hangs on the instance that claimed it; that instance is
    //    killed (SIGKILL). The other takes the job over when the 3 s lease runs out, and sends it.
    relay.hold.store(true, Ordering::SeqCst);
    let other = client();
    let login = page(&other, &a.url("/mypage/login")).await;
    let r = other
        .post(a.url("/mypage/login"))
        .form(&[
            ("_csrf", csrf_of(&login).as_str()),
            ("email", "jiro@example.jp"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let holder = eventually(
        "a worker to hold the mail job",
        Duration::from_secs(20),
        || {
            let h = *relay.held_on.lock().unwrap();
            async move { h }
        },
    )
    .await;
    relay.hold.store(false, Ordering::SeqCst);
    let (killed, survivor) = if holder == 0 {
        (&mut a, &mut b)
    } else {
        (&mut b, &mut a)
    };
    killed.child.start_kill().unwrap();
    killed.child.wait().await.unwrap();
    assert!(
        relay.body_to("jiro@example.jp").is_none(),
        "not sent before the kill"
    );
    let body = eventually(
        "the survivor to send the dead instance's mail",
        Duration::from_secs(30),
        || {
            let body = relay.body_to("jiro@example.jp");
            async move { body }
        },
    )
    .await;
    // The flow goes on on the survivor: the link from that mail signs in there.
    let link = link_in(&body, "/mypage/login/");
    let path = link
        .split_once("/mypage/")
        .map(|(_, p)| format!("/mypage/{p}"))
        .unwrap();
    let confirm = page(&other, &survivor.url(&path)).await;
    let r = other
        .post(survivor.url(path.split('?').next().unwrap()))
        .form(&[("_csrf", csrf_of(&confirm).as_str()), ("next", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303, "signed in on the survivor");
    eventually(
        "the queue to empty after the takeover",
        Duration::from_secs(20),
        || {
            let n = scalar("SELECT COUNT(*) FROM jobs");
            async move { (n.await == 0).then_some(()) }
        },
    )
    .await;

    // 8. SIGTERM while the survivor holds a job: it stops accepting, waits its grace (3 s), releases the
    //    job for another instance (attempt not counted, no lease) and exits cleanly.
    *relay.held_on.lock().unwrap() = None;
    relay.hold.store(true, Ordering::SeqCst);
    let third = client();
    let login = page(&third, &survivor.url("/mypage/login")).await;
    let r = third
        .post(survivor.url("/mypage/login"))
        .form(&[
            ("_csrf", csrf_of(&login).as_str()),
            ("email", "saburo@example.jp"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    eventually(
        "the survivor to hold the job",
        Duration::from_secs(20),
        || {
            let h = *relay.held_on.lock().unwrap();
            async move { h }
        },
    )
    .await;
    let term = std::process::Command::new("kill")
        .args(["-TERM", &survivor.pid().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let status = tokio::time::timeout(Duration::from_secs(20), survivor.child.wait())
        .await
        .expect("exits within its grace period")
        .unwrap();
    let log = survivor.log();
    assert!(status.success(), "clean exit after SIGTERM: {log}");
    assert!(log.contains("unfinished jobs released"), "{log}");
    let (attempts, lease): (i64, Option<String>) =
        sqlx::query_as("SELECT attempts, lease_token FROM jobs")
            .fetch_one(&db.read)
            .await
            .unwrap();
    assert_eq!(
        (attempts, lease),
        (0, None),
        "released: free for the next instance at once, the attempt not counted"
    );

    relay.held.lock().unwrap().clear();
    db.close().await;
    drop(ctx);
    pg_admin(&format!("DROP DATABASE IF EXISTS {db_name} WITH (FORCE)")).await;
    let _ = std::fs::remove_dir_all(&root);
}
