//! Issue 14, hole 9: jobs must not run twice across instances. A worker completes or fails only jobs whose
//! lease it still holds, completes jobs as they finish, and extends the lease of a job still running; on
//! SQLite and PostgreSQL alike.

use crate::common;

use madoguchi_kernel::jobs::{self, ClaimedJob, Job, Runner, WorkerOptions};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::TestApp;

/// A job of the tests only: `n` names it, `slow_ms` is how long it runs.
#[derive(Serialize, Deserialize)]
struct Probe {
    n: i64,
    slow_ms: u64,
}

impl Job for Probe {
    const KIND: &'static str = "trust_probe";
}

/// Counts how often each probe ran; a probe with `n < 0` waits until `release` is notified.
#[derive(Clone, Default)]
struct Counting {
    runs: Arc<Mutex<HashMap<i64, usize>>>,
    release: Arc<tokio::sync::Notify>,
}

impl Runner for Counting {
    async fn run(&self, job: &ClaimedJob) -> anyhow::Result<()> {
        let p: Probe = job.decode()?;
        *self.runs.lock().unwrap().entry(p.n).or_default() += 1;
        if p.n < 0 {
            self.release.notified().await;
        }
        tokio::time::sleep(Duration::from_millis(p.slow_ms)).await;
        Ok(())
    }
}

async fn enqueue(app: &TestApp, probes: &[Probe]) {
    let mut conn = app.ctx.db.write.acquire().await.unwrap();
    jobs::enqueue_many_in(&mut conn, probes).await.unwrap();
}

/// Makes every lease run out now, as if the worker holding them had stalled past its lease.
async fn expire_leases(app: &TestApp) {
    sqlx::query("UPDATE jobs SET locked_until = 1 WHERE locked_until IS NOT NULL")
        .execute(&app.ctx.db.write)
        .await
        .unwrap();
}

async fn job_row(app: &TestApp, id: i64) -> Option<(i64, Option<String>, Option<i64>)> {
    sqlx::query_as("SELECT attempts, last_error, failed_at FROM jobs WHERE id = $1")
        .bind(id)
        .fetch_optional(&app.ctx.db.read)
        .await
        .unwrap()
}

async fn a_late_completion_does_not_delete_a_job_another_worker_holds(app: &TestApp) {
    enqueue(app, &[Probe { n: 1, slow_ms: 0 }]).await;
    let first = jobs::claim(&app.ctx.db).await.unwrap().expect("claimed");
    // Worker 1 stalls past its lease; worker 2 claims the job again.
    expire_leases(app).await;
    let second = jobs::claim(&app.ctx.db).await.unwrap().expect("re-claimed");
    assert_eq!(second.id, first.id);
    assert_ne!(second.lease, first.lease);
    // Worker 1 finishes late: neither its completion nor its failure touches the job worker 2 now holds.
    assert!(!jobs::complete(&app.ctx.db, &first).await.unwrap());
    assert!(
        !jobs::fail(&app.ctx.db, &first, &anyhow::anyhow!("SMTP timeout"))
            .await
            .unwrap()
    );
    assert_eq!(job_row(app, first.id).await, Some((2, None, None)));
    // Nor may it extend a lease it lost.
    assert_eq!(
        jobs::extend_lease(&app.ctx.db, &first.lease, Duration::from_secs(60))
            .await
            .unwrap(),
        0
    );
    assert!(
        jobs::claim(&app.ctx.db).await.unwrap().is_none(),
        "worker 2 still holds the job"
    );
    // Worker 2, the holder, completes it.
    assert!(jobs::complete(&app.ctx.db, &second).await.unwrap());
    assert_eq!(job_row(app, first.id).await, None);
}

async fn a_failure_after_the_lease_passed_records_nothing(app: &TestApp) {
    enqueue(app, &[Probe { n: 2, slow_ms: 0 }]).await;
    let first = jobs::claim(&app.ctx.db).await.unwrap().expect("claimed");
    expire_leases(app).await;
    let second = jobs::claim(&app.ctx.db).await.unwrap().expect("re-claimed");
    // Worker 2 fails it (retry later); worker 1's late success must not delete the retry either.
    assert!(
        jobs::fail(&app.ctx.db, &second, &anyhow::anyhow!("refused"))
            .await
            .unwrap()
    );
    assert!(!jobs::complete(&app.ctx.db, &first).await.unwrap());
    let (attempts, error, failed_at) = job_row(app, first.id).await.expect("job kept");
    assert_eq!(
        (attempts, error.as_deref(), failed_at),
        (2, Some("refused"), None)
    );
    sqlx::query("DELETE FROM jobs WHERE id = $1")
        .bind(first.id)
        .execute(&app.ctx.db.write)
        .await
        .unwrap();
}

async fn a_slow_job_keeps_its_lease_while_it_runs(app: &TestApp) {
    enqueue(
        app,
        &[Probe {
            n: 3,
            slow_ms: 1_500,
        }],
    )
    .await;
    let runner = Counting::default();
    // A lease far shorter than the job: only the heartbeat keeps it.
    let opts = WorkerOptions {
        lease: Duration::from_millis(400),
        heartbeat: Duration::from_millis(100),
        ..WorkerOptions::default()
    };
    let worker = {
        let (db, runner, opts) = (app.ctx.db.clone(), runner.clone(), opts.clone());
        tokio::spawn(async move { jobs::run_batch_with(&db, &runner, &opts).await })
    };
    // Once the worker holds the job, another instance keeps trying to claim it, well past the first lease.
    for _ in 0..200 {
        if app
            .scalar("SELECT COUNT(*) FROM jobs WHERE lease_token IS NOT NULL")
            .await
            == 1
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let mut stolen = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_millis(1_200);
    while tokio::time::Instant::now() < deadline {
        if let Some(job) = jobs::claim_batch_for(&app.ctx.db, 32, Duration::from_secs(60))
            .await
            .unwrap()
            .pop()
        {
            stolen += 1;
            jobs::complete(&app.ctx.db, &job).await.unwrap();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(worker.await.unwrap().unwrap(), 1);
    assert_eq!(
        stolen, 0,
        "another worker claimed a job that was still running"
    );
    assert_eq!(runner.runs.lock().unwrap().get(&3), Some(&1));
    assert_eq!(app.scalar("SELECT COUNT(*) FROM jobs").await, 0);
}

async fn jobs_are_completed_as_they_finish_not_after_the_batch(app: &TestApp) {
    enqueue(
        app,
        &[Probe { n: 4, slow_ms: 0 }, Probe { n: -1, slow_ms: 0 }],
    )
    .await;
    let runner = Counting::default();
    let worker = {
        let (db, runner) = (app.ctx.db.clone(), runner.clone());
        tokio::spawn(async move { jobs::run_batch(&db, &runner).await })
    };
    // The quick job is gone while the slow one (waiting for release) still runs.
    let mut left = 2;
    for _ in 0..200 {
        left = app.scalar("SELECT COUNT(*) FROM jobs").await;
        if left == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(left, 1, "the finished job waited for the rest of its batch");
    runner.release.notify_one();
    assert_eq!(worker.await.unwrap().unwrap(), 2);
    assert_eq!(app.scalar("SELECT COUNT(*) FROM jobs").await, 0);
}

async fn every_job_of_a_burst_runs_exactly_once_across_workers(app: &TestApp) {
    let probes: Vec<Probe> = (0..300).map(|n| Probe { n, slow_ms: 2 }).collect();
    for chunk in probes.chunks(100) {
        enqueue(app, chunk).await;
    }
    let runner = Counting::default();
    let workers: Vec<_> = (0..3)
        .map(|_| {
            let (db, runner) = (app.ctx.db.clone(), runner.clone());
            tokio::spawn(async move { jobs::drain(&db, &runner).await })
        })
        .collect();
    let mut ran = 0;
    for w in workers {
        ran += w.await.unwrap().unwrap();
    }
    assert_eq!(ran, 300);
    let runs = runner.runs.lock().unwrap().clone();
    assert_eq!(runs.len(), 300);
    assert!(runs.values().all(|&n| n == 1), "a job ran twice");
    assert_eq!(app.scalar("SELECT COUNT(*) FROM jobs").await, 0);
}

both!(
    a_late_completion_does_not_delete_a_job_another_worker_holds,
    a_failure_after_the_lease_passed_records_nothing,
    a_slow_job_keeps_its_lease_while_it_runs,
    jobs_are_completed_as_they_finish_not_after_the_batch,
    every_job_of_a_burst_runs_exactly_once_across_workers,
);
