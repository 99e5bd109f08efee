//! The job runner: knows every job kind of the installation.

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
}

impl Jobs {
    /// The runner of an installation.
    pub fn new(ctx: &Ctx) -> Jobs {
        Jobs {
            mailer: ctx.mailer.clone(),
            issuance: IssuanceState::new(ctx.clone()),
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
            other => anyhow::bail!("unknown job kind {other}"),
        }
    }
}
