//! Shared machinery over real databases: the job queue and tenant isolation between prefecture and city.

use crate::common;

use common::TestApp;
use madoguchi_kernel::jobs::{self, ClaimedJob, Job, Runner};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::sync::Mutex;

#[derive(Serialize, Deserialize)]
struct Flaky {
    n: i64,
}

impl Job for Flaky {
    const KIND: &'static str = "flaky";
    const MAX_ATTEMPTS: i64 = 2;
}

struct AlwaysFails;

impl Runner for AlwaysFails {
    async fn run(&self, _job: &ClaimedJob) -> anyhow::Result<()> {
        anyhow::bail!("relay refused")
    }
}

async fn enqueue(app: &TestApp, n: i64) {
    let mut conn = app.ctx.db.write.acquire().await.unwrap();
    jobs::enqueue_in(&mut conn, &Flaky { n }).await.unwrap();
}

async fn failed_jobs_are_retried_with_backoff_then_given_up(app: &TestApp) {
    enqueue(app, 1).await;
    assert_eq!(jobs::drain(&app.ctx.db, &AlwaysFails).await.unwrap(), 1);
    // Backed off: not due again at once.
    assert_eq!(jobs::drain(&app.ctx.db, &AlwaysFails).await.unwrap(), 0);
    let err: String = sqlx::query_scalar("SELECT last_error FROM jobs")
        .fetch_one(&app.ctx.db.read)
        .await
        .unwrap();
    assert_eq!(err, "relay refused");
    // Make it due now; the second failure is the last allowed attempt.
    sqlx::query("UPDATE jobs SET run_at = 0")
        .execute(&app.ctx.db.write)
        .await
        .unwrap();
    assert_eq!(jobs::drain(&app.ctx.db, &AlwaysFails).await.unwrap(), 1);
    assert_eq!(jobs::counts(&app.ctx.db).await.unwrap(), (0, 1));
    sqlx::query("DELETE FROM jobs")
        .execute(&app.ctx.db.write)
        .await
        .unwrap();
}

async fn a_batch_of_mails_retries_only_the_ones_not_sent(app: &TestApp) {
    use madoguchi_kernel::mail::{SendMail, SendMails};
    let mail = |to: &str| SendMail {
        to: to.into(),
        subject: "【受付完了】テスト".into(),
        body: format!("{to} 宛て\nFrom the counter\n"),
    };
    let batch = SendMails {
        mails: vec![
            mail("a@example.jp"),
            mail("宛先ではない"),
            mail("c@example.jp"),
        ],
    };
    let mut conn = app.ctx.db.write.acquire().await.unwrap();
    jobs::enqueue_in(&mut conn, &batch).await.unwrap();
    drop(conn);
    assert_eq!(app.drain_jobs().await, 1);
    // The two good addresses were written once; a line starting with "From " in a body survives the mbox.
    let sent = madoguchi_kernel::mail::read_sink(&app.data_dir.join("mail"));
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert!(sent[0].contains("To: a@example.jp") && sent[1].contains("To: c@example.jp"));
    // The job stays, holding only the mail that failed, with the reason, for a retry after the back-off.
    let (payload, attempts, error): (String, i64, String) =
        sqlx::query_as("SELECT payload, attempts, last_error FROM jobs")
            .fetch_one(&app.ctx.db.read)
            .await
            .unwrap();
    let left: SendMails = serde_json::from_str(&payload).unwrap();
    assert_eq!(left.mails, vec![mail("宛先ではない")]);
    assert_eq!(attempts, 1);
    assert!(!error.is_empty());
    assert_eq!(app.drain_jobs().await, 0, "backed off");
    sqlx::query("UPDATE jobs SET run_at = 0")
        .execute(&app.ctx.db.write)
        .await
        .unwrap();
    assert_eq!(app.drain_jobs().await, 1);
    // Nothing sent twice.
    assert_eq!(
        madoguchi_kernel::mail::read_sink(&app.data_dir.join("mail")).len(),
        2
    );
    assert_eq!(jobs::counts(&app.ctx.db).await.unwrap(), (1, 0));
    // At the last attempt it is given up, still holding only that mail, for staff to see.
    sqlx::query("UPDATE jobs SET run_at = 0, attempts = max_attempts - 1")
        .execute(&app.ctx.db.write)
        .await
        .unwrap();
    assert_eq!(app.drain_jobs().await, 1);
    assert_eq!(jobs::counts(&app.ctx.db).await.unwrap(), (0, 1));
    let payload: String = sqlx::query_scalar("SELECT payload FROM jobs")
        .fetch_one(&app.ctx.db.read)
        .await
        .unwrap();
    assert_eq!(
        serde_json::from_str::<SendMails>(&payload)
            .unwrap()
            .mails
            .len(),
        1
    );
    sqlx::query("DELETE FROM jobs")
        .execute(&app.ctx.db.write)
        .await
        .unwrap();
}

struct Recorder(Mutex<Vec<i64>>);

impl Runner for Recorder {
    async fn run(&self, job: &ClaimedJob) -> anyhow::Result<()> {
        let f: Flaky = job.decode()?;
        self.0.lock().unwrap().push(f.n);
        tokio::task::yield_now().await;
        Ok(())
    }
}

async fn concurrent_workers_never_run_the_same_job_twice(app: &TestApp) {
    for n in 0..60 {
        enqueue(app, n).await;
    }
    let recorder = std::sync::Arc::new(Recorder(Mutex::new(Vec::new())));
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let db = app.ctx.db.clone();
            let r = recorder.clone();
            tokio::spawn(async move { jobs::drain(&db, r.as_ref()).await.unwrap() })
        })
        .collect();
    let mut total = 0;
    for w in workers {
        total += w.await.unwrap();
    }
    let seen = recorder.0.lock().unwrap().clone();
    assert_eq!(total, 60);
    assert_eq!(
        seen.iter().copied().collect::<HashSet<_>>().len(),
        60,
        "each job ran exactly once"
    );
    assert_eq!(seen.len(), 60);
}

/// The worker loop: a job queued while idle runs on the wake-up; a burst queued while it lets jobs gather runs
/// too, each once, and nothing is left behind.
async fn the_worker_runs_jobs_on_wake_up_and_every_job_of_a_burst(app: &TestApp) {
    let recorder = std::sync::Arc::new(Recorder(Mutex::new(Vec::new())));
    let wake = std::sync::Arc::new(tokio::sync::Notify::new());
    let worker = tokio::spawn(jobs::work(
        app.ctx.db.clone(),
        SharedRecorder(recorder.clone()),
        wake.clone(),
    ));
    let ran = |n: usize| {
        let recorder = recorder.clone();
        async move {
            for _ in 0..200 {
                if recorder.0.lock().unwrap().len() >= n {
                    return;
                }
                tokio::time::sleep(std::time::Duration::from_millis(25)).await;
            }
            panic!("the worker did not run {n} jobs within 5 s");
        }
    };
    enqueue(app, 0).await;
    wake.notify_one();
    ran(1).await;
    for n in 1..=70 {
        enqueue(app, n).await;
        wake.notify_one();
    }
    ran(71).await;
    // The finished jobs are deleted together after their batch ran.
    for _ in 0..200 {
        if jobs::counts(&app.ctx.db).await.unwrap() == (0, 0) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    worker.abort();
    let seen = recorder.0.lock().unwrap().clone();
    assert_eq!(seen.len(), 71, "each job ran exactly once: {seen:?}");
    assert_eq!(seen.iter().copied().collect::<HashSet<_>>().len(), 71);
    assert_eq!(jobs::counts(&app.ctx.db).await.unwrap(), (0, 0));
}

struct SharedRecorder(std::sync::Arc<Recorder>);

impl Runner for SharedRecorder {
    async fn run(&self, job: &ClaimedJob) -> anyhow::Result<()> {
        self.0.run(job).await
    }
}

async fn a_prefecture_administrator_never_sees_municipal_residents_data(app: &TestApp) {
    // 高知市 publishes its own form; a resident applies.
    let city = app.as_staff("kochi-city-admin").await.client;
    let page = city
        .get(app.url("/staff/forms"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let def = serde_json::json!({"title": "粗大ごみ収集の申込", "department": "shimin", "parts": [
        {"key": "name", "type": "name", "label": "氏名", "required": true},
        {"key": "address", "type": "address", "label": "住所", "required": true}]});
    let r = city
        .post(app.url("/staff/forms/import"))
        .form(&[
            ("_csrf", common::csrf_of(&page)),
            ("slug", "sodai-gomi".into()),
            ("definition", def.to_string()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let r = app
        .client
        .post(app.url("/api/v1/t/392014/forms/sodai-gomi/submissions"))
        .json(&serde_json::json!({"answers": {"name": {"name": "高知 花子"}, "address": "高知市本町5-1-45"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    let receipt = r.json::<serde_json::Value>().await.unwrap()["receipt_number"]
        .as_str()
        .unwrap()
        .to_string();
    let id: i64 = sqlx::query_scalar("SELECT id FROM submissions WHERE receipt_number = $1")
        .bind(&receipt)
        .fetch_one(&app.ctx.db.read)
        .await
        .unwrap();
    // The city's reviewer sees it; the prefecture's administrator does not, by any route.
    let reviewer = app.as_staff("kochi-city-reviewer").await.client;
    let inbox = reviewer
        .get(app.url("/staff"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(inbox.contains(&receipt));
    app.login("pref-admin").await;
    let (_, inbox) = app.get_text(&format!("/staff?q={receipt}")).await;
    assert!(!inbox.contains(&format!(">{receipt}</a>")));
    assert_eq!(
        app.get(&format!("/staff/submissions/{id}"))
            .await
            .status()
            .as_u16(),
        404
    );
    let form_id: i64 = sqlx::query_scalar("SELECT form_id FROM submissions WHERE id = $1")
        .bind(id)
        .fetch_one(&app.ctx.db.read)
        .await
        .unwrap();
    assert_eq!(
        app.get(&format!("/staff/forms/{form_id}/export.csv"))
            .await
            .status()
            .as_u16(),
        404
    );
    // A city form cannot be published into the prefecture by naming the city's department.
    let page = app.get("/staff/forms").await.text().await.unwrap();
    let r = app
        .client
        .post(app.url("/staff/forms/import"))
        .form(&[
            ("_csrf", common::csrf_of(&page)),
            ("slug", "sodai-gomi".into()),
            ("definition", def.to_string()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("所属コード「shimin」はこの団体にありません。")
    );
    app.drain_jobs().await;
}

async fn a_tenant_administrator_adds_departments_and_staff(app: &TestApp) {
    // Only administrators reach the page.
    let reviewer = app.as_staff("shoko-reviewer").await.client;
    assert_eq!(
        reviewer
            .get(app.url("/staff/admin"))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        403
    );
    app.login("pref-admin").await;
    let page = app.get("/staff/admin").await.text().await.unwrap();
    let csrf = common::csrf_of(&page);
    let r = app
        .client
        .post(app.url("/staff/admin/departments"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("code", "kankyo"),
            ("name", "林業振興・環境部 環境対策課"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let r = app
        .client
        .post(app.url("/staff/admin/departments"))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("code", "kankyo"),
            ("name", "重複"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("所属コード「kankyo」はすでにあります。")
    );
    let dept: i64 = sqlx::query_scalar("SELECT id FROM departments WHERE code = 'kankyo'")
        .fetch_one(&app.ctx.db.read)
        .await
        .unwrap();
    // Bad input is refused with every problem named; nothing is stored.
    let body = format!("_csrf={csrf}&login=A&name=&role=boss&password=short");
    let r = app
        .client
        .post(app.url("/staff/admin/staff"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    let html = r.text().await.unwrap();
    for m in [
        "ログインIDは半角英小文字",
        "氏名を100文字以内",
        "役割を選択してください",
        "初期パスワードは12文字以上",
    ] {
        assert!(html.contains(m), "{m}");
    }
    // A department of another tenant cannot be given.
    let city_dept: i64 = sqlx::query_scalar("SELECT id FROM departments WHERE code = 'shimin'")
        .fetch_one(&app.ctx.db.read)
        .await
        .unwrap();
    let body = format!(
        "_csrf={csrf}&login=kankyo-reviewer&name=%E7%92%B0%E5%A2%83&role=reviewer&password=long-enough-password&departments={city_dept}"
    );
    let r = app
        .client
        .post(app.url("/staff/admin/staff"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    let body = format!(
        "_csrf={csrf}&login=kankyo-reviewer&name=%E7%92%B0%E5%A2%83&role=reviewer&password=long-enough-password&departments={dept}"
    );
    let r = app
        .client
        .post(app.url("/staff/admin/staff"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303);
    let new = app.browser();
    let page = new
        .get(app.url("/staff/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let r = new
        .post(app.url("/staff/login"))
        .form(&[
            ("_csrf", common::csrf_of(&page).as_str()),
            ("login", "kankyo-reviewer"),
            ("password", "long-enough-password"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 303, "the new reviewer can log in");
    assert_eq!(
        app.scalar(
            "SELECT COUNT(*) FROM audit_log WHERE action IN ('staff_add', 'department_add')"
        )
        .await,
        2
    );
}

async fn work_started_by_a_cancelled_request_still_completes(app: &TestApp) {
    let db = app.ctx.db.clone();
    let work = madoguchi_kernel::db::run_to_completion(async move {
        let mut tx = db.write.begin().await.unwrap();
        sqlx::query("INSERT INTO jobs (kind, payload, run_at, created_at) VALUES ('flaky', '{\"n\":7}', 0, 0)")
            .execute(&mut *tx)
            .await
            .unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        tx.commit().await.unwrap();
    });
    // The request is dropped (client gone) while its transaction is open.
    assert!(
        tokio::time::timeout(std::time::Duration::from_millis(20), work)
            .await
            .is_err()
    );
    // The unit of work finishes anyway and leaves no transaction open on a pooled connection.
    let mut committed = 0;
    for _ in 0..100 {
        committed = app.scalar("SELECT COUNT(*) FROM jobs").await;
        if committed == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(committed, 1);
    let claimed = jobs::claim(&app.ctx.db)
        .await
        .unwrap()
        .expect("the job is claimable");
    assert!(jobs::complete(&app.ctx.db, &claimed).await.unwrap());
    assert_eq!(jobs::counts(&app.ctx.db).await.unwrap(), (0, 0));
}

both!(
    work_started_by_a_cancelled_request_still_completes,
    a_tenant_administrator_adds_departments_and_staff,
    failed_jobs_are_retried_with_backoff_then_given_up,
    a_batch_of_mails_retries_only_the_ones_not_sent,
    concurrent_workers_never_run_the_same_job_twice,
    the_worker_runs_jobs_on_wake_up_and_every_job_of_a_burst,
    a_prefecture_administrator_never_sees_municipal_residents_data,
);
