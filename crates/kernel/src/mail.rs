//! Outgoing mail, always sent from the job queue so a slow or failing relay never blocks a resident.

use crate::config::MailConfig;
use crate::jobs::Job;
use lettre::message::{Mailbox, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// A mail to send, as a job payload.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SendMail {
    /// Recipient address.
    pub to: String,
    /// Subject.
    pub subject: String,
    /// Plain-text body.
    pub body: String,
}

impl Job for SendMail {
    const KIND: &'static str = "send_mail";
}

/// Where mail goes.
#[derive(Clone, Debug)]
pub enum Mailer {
    /// SMTP relay through `lettre`.
    Smtp {
        /// The transport.
        transport: AsyncSmtpTransport<Tokio1Executor>,
        /// Sender.
        from: Mailbox,
    },
    /// Development sink: one `.eml` file per message in a directory.
    Files {
        /// The directory.
        dir: PathBuf,
        /// Sender.
        from: Mailbox,
    },
}

impl Mailer {
    /// Builds the mailer from configuration.
    pub fn from_config(cfg: &MailConfig, data_dir: &std::path::Path) -> anyhow::Result<Self> {
        let from: Mailbox = cfg.from.parse()?;
        if cfg.smtp_url.is_empty() {
            Ok(Mailer::Files {
                dir: data_dir.join("mail"),
                from,
            })
        } else {
            // A relay inside the government network (LGWAN) without TLS; see docs/adr/0004-mail.md.
            let url = url::Url::parse(&cfg.smtp_url)?;
            let host = url
                .host_str()
                .ok_or_else(|| anyhow::anyhow!("smtp_url has no host"))?;
            let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
                .port(url.port().unwrap_or(25))
                .build();
            Ok(Mailer::Smtp { transport, from })
        }
    }

    /// Sends one mail.
    pub async fn send(&self, mail: &SendMail) -> anyhow::Result<()> {
        let from = match self {
            Mailer::Smtp { from, .. } | Mailer::Files { from, .. } => from.clone(),
        };
        let message = Message::builder()
            .from(from)
            .to(mail.to.parse()?)
            .subject(&mail.subject)
            .header(ContentType::TEXT_PLAIN)
            .body(mail.body.clone())?;
        match self {
            Mailer::Smtp { transport, .. } => {
                transport.send(message).await?;
            }
            Mailer::Files { dir, .. } => {
                let name = format!(
                    "{}-{}.eml",
                    crate::db::now_ms(),
                    &crate::ids::new_token()[..8]
                );
                let (dir, bytes) = (dir.clone(), message.formatted());
                // One trip to the blocking pool per mail, not one per file system call.
                tokio::task::spawn_blocking(move || {
                    std::fs::create_dir_all(&dir)?;
                    std::fs::write(dir.join(name), bytes)
                })
                .await??;
                tracing::debug!(to = %mail.to, subject = %mail.subject, "mail written to sink");
            }
        }
        Ok(())
    }
}
