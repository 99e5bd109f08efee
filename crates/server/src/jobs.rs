//! The job runner: knows every job kind of the installation, and the background work of an instance (the job
//! worker and the retention sweep).

use madoguchi_issuance::IssuanceState;
use madoguchi_kernel::Ctx;
use madoguchi_kernel::jobs::{ClaimedJob, Job, Runner, Unfinished};
use madoguchi_kernel::mail::{Mailer, SendMail, SendMails};

/// Runs the installation's jobs.
pub struct Jobs {
    /// Outgoing mail.
    pub mailer: Mailer,
    /// Electronic issuance (issue on approval, batch items).
    pub issuance: IssuanceState,
    /// The context (harvest runs).
    pub ctx: Ctx,
}

impl Jobs {
    /// The runner of an installation.
    pub fn new(ctx: &Ctx) -> Jobs {
        Jobs {
            mailer: ctx.mailer.clone(),
            issuance: IssuanceState::new(ctx.clone()),
            ctx: ctx.clone(),
        }
    }
}

impl Runner for Jobs {
    async fn run(&self, job: &ClaimedJob) -> anyhow::Result<()> {
        if let Some(result) = self.issuance.run_job(job).await {
            return result;
        }
        match job.kind.as_str() {
            SendMail::KIND => self.mailer.send(&job.decode::<SendMail>()?).await,
            SendMails::KIND => {
                let job = job.decode::<SendMails>()?;
                match self.mailer.send_all(&job.mails).await {
                    Ok(()) => Ok(()),
                    Err((mails, error)) => Err(Unfinished::new(&SendMails { mails }, error).into()),
                }
            }
            madoguchi_opendata::harvest::HarvestJob::KIND => {
                let job = job.decode::<madoguchi_opendata::harvest::HarvestJob>()?;
                madoguchi_opendata::harvest::run(&self.ctx, job.run_id).await
            }
            other => anyhow::bail!("unknown job kind {other}"),
        }
    }
}

/// Starts this instance's background work: the job worker, the periodic sweep of personal data past its
/// retention (`[retention]`) and the harvest schedule. Every instance runs them; all are safe to run on several
/// at once. Returns the tasks (a test aborts them).
///
/// When the context begins to shut down ([`Ctx::begin_shutdown`]) the worker claims nothing more, lets the
/// jobs it runs finish within `[http] shutdown_grace_secs` and releases the others; the first task then ends.
pub fn spawn_worker(ctx: &Ctx) -> [tokio::task::JoinHandle<()>; 3] {
    [
        tokio::spawn(madoguchi_kernel::jobs::work_until(
            ctx.db.clone(),
            Jobs::new(ctx),
            ctx.jobs_wake.clone(),
            madoguchi_kernel::jobs::WorkerOptions {
                lease: std::time::Duration::from_secs(ctx.config.job_lease_secs.max(2)),
                heartbeat: std::time::Duration::from_secs(ctx.config.job_lease_secs.max(2)) / 5,
                ..Default::default()
            },
            ctx.shutdown.subscribe(),
            std::time::Duration::from_secs(ctx.config.http.shutdown_grace_secs),
        )),
        tokio::spawn(madoguchi_applications::maintenance::run_periodically(
            ctx.clone(),
        )),
        tokio::spawn(madoguchi_opendata::harvest::schedule_periodically(
            ctx.clone(),
        )),
    ]
}
