//! Background jobs stored in the database: they survive restarts and are safe with several workers.
//!
//! A job is claimed by setting a lease (`locked_until`); on PostgreSQL the claim uses `FOR UPDATE SKIP LOCKED`
//! so every instance can work without waiting on the others. A failed job is retried with exponential backoff
//! and given up (`failed_at`) after `max_attempts`. A worker that dies mid-job loses its lease and the job is
//! claimed again when the lease runs out.
//!
//! Every claim carries a random lease token, stored with the jobs it claimed. Completing, failing and extending
//! a job all require that token, so a worker whose lease ran out — and whose job another worker has claimed
//! since — can neither delete the job nor record a failure over the new holder. A worker extends the leases of
//! the jobs it is still running (heartbeat), and completes jobs as they finish, not after the whole batch, so
//! one slow job (an SMTP server that answers slowly) neither outlives the lease of the others nor holds back
//! their completion.

use crate::db::{Backend, Db, now_ms};
use crate::ids::new_token;
use serde::{Serialize, de::DeserializeOwned};
use sqlx::Row;
use std::time::Duration;

/// A kind of background job with a typed payload.
pub trait Job: Serialize + DeserializeOwned {
    /// Stored name of the job kind.
    const KIND: &'static str;
    /// How many times to try before giving up.
    const MAX_ATTEMPTS: i64 = 8;
}

/// How a worker claims and holds jobs. The defaults suit production; tests shorten the lease.
#[derive(Debug, Clone)]
pub struct WorkerOptions {
    /// How long a claim locks a job to its worker before another worker may take it.
    pub lease: Duration,
    /// How often a worker extends the leases of the jobs it is still running (well under `lease`).
    pub heartbeat: Duration,
    /// Jobs claimed with one statement.
    pub claim_batch: i64,
    /// Jobs of a claim run at the same time (mail: SMTP sessions in flight).
    pub concurrency: usize,
    /// How long a finished job may wait for others to finish before they are completed together.
    pub complete_within: Duration,
}

impl Default for WorkerOptions {
    fn default() -> Self {
        WorkerOptions {
            lease: Duration::from_secs(5 * 60),
            heartbeat: Duration::from_secs(60),
            claim_batch: CLAIM_BATCH,
            concurrency: CONCURRENCY,
            complete_within: Duration::from_millis(50),
        }
    }
}

fn ms(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// Queues a job inside an existing transaction, so it exists exactly when the change that caused it does.
pub async fn enqueue_in<J: Job>(
    conn: &mut sqlx::AnyConnection,
    job: &J,
) -> Result<(), sqlx::Error> {
    enqueue_many_in(conn, std::slice::from_ref(job)).await
}

/// Queues several jobs of one kind with one statement inside an existing transaction (group commit of
/// submissions queues the mails of a whole batch at once).
pub async fn enqueue_many_in<J: Job>(
    conn: &mut sqlx::AnyConnection,
    jobs: &[J],
) -> Result<(), sqlx::Error> {
    if jobs.is_empty() {
        return Ok(());
    }
    let now = now_ms();
    let mut sql =
        String::from("INSERT INTO jobs (kind, payload, run_at, max_attempts, created_at) VALUES ");
    for i in 0..jobs.len() {
        if i > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&format!("($1, ${}, $2, $3, $2)", i + 4));
    }
    let mut q = sqlx::query(&sql)
        .bind(J::KIND)
        .bind(now)
        .bind(J::MAX_ATTEMPTS);
    for job in jobs {
        q = q.bind(payload(job));
    }
    q.execute(conn).await?;
    Ok(())
}

/// A job's stored payload, for a statement that inserts the job row itself (the PostgreSQL group commit of
/// submissions queues its mails in the statement that stores them).
pub fn payload<J: Job>(job: &J) -> String {
    serde_json::to_string(job).expect("job payloads serialise")
}

/// A claimed job.
#[derive(Debug, Clone)]
pub struct ClaimedJob {
    /// Job id.
    pub id: i64,
    /// Kind name.
    pub kind: String,
    /// JSON payload.
    pub payload: String,
    /// Attempts including this one.
    pub attempts: i64,
    /// Attempts allowed.
    pub max_attempts: i64,
    /// The token of the claim that holds the job: only its holder may complete, fail or extend it.
    pub lease: String,
}

impl ClaimedJob {
    /// Decodes the payload of a known kind.
    pub fn decode<J: Job>(&self) -> anyhow::Result<J> {
        Ok(serde_json::from_str(&self.payload)?)
    }
}

/// Claims the next due job, if any, with the default lease.
pub async fn claim(db: &Db) -> Result<Option<ClaimedJob>, sqlx::Error> {
    Ok(claim_batch(db, 1).await?.pop())
}

/// Marks a job done (deletes it) if its claim still holds it; returns whether it did.
pub async fn complete(db: &Db, job: &ClaimedJob) -> Result<bool, sqlx::Error> {
    Ok(complete_many(db, &[job]).await? == 1)
}

/// A job that did part of its work before failing (a few of a batch's mails could not be sent): returned by a
/// [`Runner`] inside its error, it replaces the job's payload with what is left, so the retry does only that.
#[derive(Debug)]
pub struct Unfinished {
    /// The payload of the work still to do.
    pub remaining: String,
    /// Why the rest failed.
    pub error: anyhow::Error,
}

impl Unfinished {
    /// What is left of a job, as a payload of the same kind.
    pub fn new<J: Job>(remaining: &J, error: anyhow::Error) -> Unfinished {
        Unfinished {
            remaining: serde_json::to_string(remaining).expect("job payloads serialise"),
            error,
        }
    }
}

impl std::fmt::Display for Unfinished {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:#}", self.error)
    }
}

impl std::error::Error for Unfinished {}

/// Records a failure: retried later with backoff (2^attempts seconds, at most an hour), or given up. An
/// [`Unfinished`] error keeps only the work left in the job. Nothing is recorded when the job's lease has
/// passed to another claim (the new holder's attempt is the one that counts); returns whether it was recorded.
pub async fn fail(db: &Db, job: &ClaimedJob, error: &anyhow::Error) -> Result<bool, sqlx::Error> {
    let remaining = error
        .downcast_ref::<Unfinished>()
        .map(|u| u.remaining.as_str());
    let error = format!("{error:#}");
    let error = error.as_str();
    let now = now_ms();
    let given_up = job.attempts >= job.max_attempts;
    let backoff = (1_000i64 << job.attempts.clamp(0, 12)).min(3_600_000);
    let sql = if given_up {
        "UPDATE jobs SET failed_at = $1, last_error = $2, locked_until = NULL, lease_token = NULL,
             payload = COALESCE($3, payload) WHERE id = $4 AND lease_token = $5"
    } else {
        "UPDATE jobs SET run_at = $1, last_error = $2, locked_until = NULL, lease_token = NULL,
             payload = COALESCE($3, payload) WHERE id = $4 AND lease_token = $5"
    };
    let recorded = sqlx::query(sql)
        .bind(if given_up { now } else { now + backoff })
        .bind(error)
        .bind(remaining)
        .bind(job.id)
        .bind(&job.lease)
        .execute(&db.write)
        .await?
        .rows_affected()
        == 1;
    if recorded {
        crate::metrics::METRICS.job_failed(&job.kind, given_up);
    }
    match (recorded, given_up) {
        (false, _) => {
            tracing::warn!(job = job.id, kind = %job.kind, error, "job failed after its lease passed to another worker")
        }
        (true, true) => {
            tracing::error!(job = job.id, kind = %job.kind, error, "job failed for good")
        }
        (true, false) => {
            tracing::warn!(job = job.id, kind = %job.kind, error, backoff_ms = backoff, "job failed, will retry")
        }
    }
    Ok(recorded)
}

/// Extends the lease of every job a claim still holds (the heartbeat of a running batch); returns how many.
pub async fn extend_lease(db: &Db, lease: &str, by: Duration) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("UPDATE jobs SET locked_until = $1 WHERE lease_token = $2")
            .bind(now_ms().saturating_add(ms(by)))
            .bind(lease)
            .execute(&db.write)
            .await?
            .rows_affected(),
    )
}

/// Number of jobs not yet done (queued, retrying or running), and of jobs given up.
pub async fn counts(db: &Db) -> Result<(i64, i64), sqlx::Error> {
    let pending: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE failed_at IS NULL")
        .fetch_one(&db.read)
        .await?;
    let failed: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM jobs WHERE failed_at IS NOT NULL")
        .fetch_one(&db.read)
        .await?;
    Ok((pending, failed))
}

/// Something that runs claimed jobs of the kinds it knows.
pub trait Runner: Send + Sync + 'static {
    /// Runs one job; an error schedules a retry.
    fn run(&self, job: &ClaimedJob)
    -> impl std::future::Future<Output = anyhow::Result<()>> + Send;
}

/// Jobs claimed at once by the worker.
const CLAIM_BATCH: i64 = 32;
/// Jobs of a claimed batch run at the same time (mail: SMTP sessions in flight).
const CONCURRENCY: usize = 8;

/// Claims up to `limit` due jobs at once, oldest first, with the default lease.
pub async fn claim_batch(db: &Db, limit: i64) -> Result<Vec<ClaimedJob>, sqlx::Error> {
    claim_batch_for(db, limit, WorkerOptions::default().lease).await
}

/// Claims up to `limit` due jobs at once, oldest first, locked for `lease` under a new lease token.
pub async fn claim_batch_for(
    db: &Db,
    limit: i64,
    lease: Duration,
) -> Result<Vec<ClaimedJob>, sqlx::Error> {
    let now = now_ms();
    let token = new_token();
    let lock = match db.backend {
        Backend::Postgres => "FOR UPDATE SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let sql = format!(
        "UPDATE jobs SET locked_until = $1, attempts = attempts + 1, lease_token = $4
         WHERE id IN (SELECT id FROM jobs WHERE failed_at IS NULL AND run_at <= $2
                      AND (locked_until IS NULL OR locked_until < $2) ORDER BY run_at, id LIMIT $3 {lock})
         RETURNING id, kind, payload, attempts, max_attempts"
    );
    let rows = sqlx::query(&sql)
        .bind(now.saturating_add(ms(lease)))
        .bind(now)
        .bind(limit)
        .bind(&token)
        .fetch_all(&db.write)
        .await?;
    let mut jobs = rows
        .into_iter()
        .map(|r| {
            Ok(ClaimedJob {
                id: r.try_get("id")?,
                kind: r.try_get("kind")?,
                payload: r.try_get("payload")?,
                attempts: r.try_get("attempts")?,
                max_attempts: r.try_get("max_attempts")?,
                lease: token.clone(),
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    jobs.sort_by_key(|j| j.id);
    Ok(jobs)
}

/// Marks several jobs done (one statement per claim among them), each only if its claim still holds it;
/// returns how many were done. A job whose lease passed to another worker stays for its new holder.
pub async fn complete_many(db: &Db, jobs: &[&ClaimedJob]) -> Result<u64, sqlx::Error> {
    let mut leases: Vec<&str> = jobs.iter().map(|j| j.lease.as_str()).collect();
    leases.sort_unstable();
    leases.dedup();
    let mut done = 0;
    for lease in leases {
        let ids: Vec<i64> = jobs
            .iter()
            .filter(|j| j.lease == lease)
            .map(|j| j.id)
            .collect();
        let list = (2..ids.len() + 2)
            .map(|k| format!("${k}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!("DELETE FROM jobs WHERE lease_token = $1 AND id IN ({list})");
        let mut q = sqlx::query(&sql).bind(lease);
        for id in ids {
            q = q.bind(id);
        }
        done += q.execute(&db.write).await?.rows_affected();
    }
    Ok(done)
}

/// Runs due jobs until none is left; returns how many ran. Used by tests; the worker loop uses [`run_batch`].
pub async fn drain<R: Runner>(db: &Db, runner: &R) -> anyhow::Result<usize> {
    let mut n = 0;
    loop {
        let ran = run_batch(db, runner).await?;
        if ran == 0 {
            return Ok(n);
        }
        n += ran;
    }
}

/// Claims up to [`CLAIM_BATCH`] due jobs with one statement and runs them (see [`run_batch_with`]); returns
/// how many were claimed.
pub async fn run_batch<R: Runner>(db: &Db, runner: &R) -> anyhow::Result<usize> {
    run_batch_with(db, runner, &WorkerOptions::default()).await
}

/// Claims due jobs with one statement and runs them a few at a time. Finished jobs are completed in small
/// groups (within `complete_within` of finishing), not after the whole batch; while any job runs, the claim's
/// lease is extended every `heartbeat`. Returns how many were claimed.
pub async fn run_batch_with<R: Runner>(
    db: &Db,
    runner: &R,
    opts: &WorkerOptions,
) -> anyhow::Result<usize> {
    let jobs = claim_batch_for(db, opts.claim_batch, opts.lease).await?;
    let n = jobs.len();
    run_claimed(db, runner, opts, jobs).await?;
    Ok(n)
}

/// Gives back every job a claim still holds, as if it had never been claimed (the attempt is not counted):
/// an instance shutting down releases what it could not finish, so another takes it at once instead of
/// after the lease. Returns how many were released.
pub async fn release(db: &Db, lease: &str) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "UPDATE jobs SET locked_until = NULL, lease_token = NULL, attempts = attempts - 1 WHERE lease_token = $1",
    )
    .bind(lease)
    .execute(&db.write)
    .await?
    .rows_affected())
}

/// Runs the jobs of one claim (see [`run_batch_with`]).
async fn run_claimed<R: Runner>(
    db: &Db,
    runner: &R,
    opts: &WorkerOptions,
    jobs: Vec<ClaimedJob>,
) -> anyhow::Result<()> {
    use futures::StreamExt;
    let Some(lease) = jobs.first().map(|j| j.lease.clone()) else {
        return Ok(());
    };
    let heartbeat = async {
        let mut tick = tokio::time::interval(opts.heartbeat);
        tick.tick().await;
        loop {
            tick.tick().await;
            if let Err(e) = extend_lease(db, &lease, opts.lease).await {
                tracing::warn!(error = %e, "job lease not extended");
            }
        }
    };
    let work = async {
        let mut finished = futures::stream::iter(jobs)
            .map(|job| async move {
                let result = runner.run(&job).await;
                (job, result)
            })
            .buffer_unordered(opts.concurrency.max(1));
        // Finished jobs wait at most `complete_within` for others to finish, so a burst is completed with a
        // few statements rather than one commit per job, and a slow job holds back no one for long.
        let mut done: Vec<ClaimedJob> = Vec::new();
        let mut complete_by: Option<tokio::time::Instant> = None;
        loop {
            let next = match complete_by {
                // `next` is cancel-safe: a result not yet taken stays in the stream.
                Some(at) => tokio::select! {
                    r = finished.next() => Some(r),
                    _ = tokio::time::sleep_until(at) => None,
                },
                None => Some(finished.next().await),
            };
            match next {
                Some(Some((job, Ok(())))) => {
                    complete_by
                        .get_or_insert_with(|| tokio::time::Instant::now() + opts.complete_within);
                    done.push(job);
                }
                Some(Some((job, Err(e)))) => {
                    fail(db, &job, &e).await?;
                }
                Some(None) | None => {
                    let refs: Vec<&ClaimedJob> = done.iter().collect();
                    let completed = complete_many(db, &refs).await?;
                    if completed < refs.len() as u64 {
                        tracing::warn!(
                            lost = refs.len() as u64 - completed,
                            "jobs finished after their lease passed to another worker"
                        );
                    }
                    done.clear();
                    complete_by = None;
                    if next.is_some() {
                        break;
                    }
                }
            }
        }
        Ok::<(), anyhow::Error>(())
    };
    tokio::select! {
        r = work => r?,
        _ = heartbeat => {}
    }
    Ok(())
}

/// How long the worker lets new jobs gather after a claim that was not full. Under load this turns "claim one
/// job, delete one job" per submission batch (two commits, each waiting for the disk) into one claim and one
/// delete for everything queued meanwhile; when idle, the first job after a wake-up still runs at once.
const GATHER: Duration = Duration::from_millis(50);

/// The worker loop: runs due jobs as they come, waking on `wake` or every second for retries that are due.
pub async fn work<R: Runner>(db: Db, runner: R, wake: std::sync::Arc<tokio::sync::Notify>) {
    work_with(db, runner, wake, WorkerOptions::default()).await
}

/// [`work`] with given options.
pub async fn work_with<R: Runner>(
    db: Db,
    runner: R,
    wake: std::sync::Arc<tokio::sync::Notify>,
    opts: WorkerOptions,
) {
    // The sender lives as long as the loop, so the worker never sees a stop.
    let (_keep, stop) = tokio::sync::watch::channel(false);
    work_until(db, runner, wake, opts, stop, Duration::ZERO).await
}

/// [`work_with`] until `stop` turns true: then no new job is claimed, the jobs being run get `grace` to
/// finish, and those still running after it are released ([`release`]) for another instance.
pub async fn work_until<R: Runner>(
    db: Db,
    runner: R,
    wake: std::sync::Arc<tokio::sync::Notify>,
    opts: WorkerOptions,
    mut stop: tokio::sync::watch::Receiver<bool>,
    grace: Duration,
) {
    let stopped = |stop: &tokio::sync::watch::Receiver<bool>| *stop.borrow();
    loop {
        if stopped(&stop) {
            return;
        }
        let claimed = match claim_batch_for(&db, opts.claim_batch, opts.lease).await {
            Ok(jobs) => jobs,
            Err(e) => {
                tracing::error!(error = %e, "job worker: claiming failed");
                Vec::new()
            }
        };
        let n = claimed.len();
        let lease = claimed.first().map(|j| j.lease.clone());
        let result = if let Some(lease) = lease {
            let run = run_claimed(&db, &runner, &opts, claimed);
            tokio::pin!(run);
            let early = tokio::select! {
                r = &mut run => Some(r),
                _ = stop.wait_for(|s| *s) => None,
            };
            match early {
                Some(r) => r.map(|()| n),
                None => match tokio::time::timeout(grace, &mut run).await {
                    Ok(r) => r.map(|()| n),
                    Err(_) => {
                        match release(&db, &lease).await {
                            Ok(k) => tracing::warn!(
                                released = k,
                                "shutting down: unfinished jobs released"
                            ),
                            Err(e) => {
                                tracing::error!(error = %e, "shutting down: releasing jobs failed; their lease will expire")
                            }
                        }
                        return;
                    }
                },
            }
        } else {
            Ok(0)
        };
        match result {
            // A full claim: more are probably waiting.
            Ok(n) if n as i64 == opts.claim_batch => continue,
            Ok(0) => {}
            Ok(_) => tokio::time::sleep(GATHER).await,
            Err(e) => tracing::error!(error = %e, "job worker"),
        }
        tokio::select! {
            _ = wake.notified() => {}
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = stop.wait_for(|s| *s) => {}
        }
    }
}
