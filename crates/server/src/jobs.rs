//! The job runner: knows every job kind of the installation.

use madoguchi_kernel::jobs::{ClaimedJob, Job, Runner};
use madoguchi_kernel::mail::{Mailer, SendMail};

/// Runs the installation's jobs.
pub struct Jobs {
    /// Outgoing mail.
    pub mailer: Mailer,
}

impl Runner for Jobs {
    async fn run(&self, job: &ClaimedJob) -> anyhow::Result<()> {
        match job.kind.as_str() {
            SendMail::KIND => self.mailer.send(&job.decode::<SendMail>()?).await,
            other => anyhow::bail!("unknown job kind {other}"),
        }
    }
}
