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

/// Several mails as one job: the mails of a group-committed batch of submissions travel together, so a rush
/// of applicants costs one job row per batch instead of two per submission. If some cannot be sent, the job
/// is retried with just those ([`crate::jobs::Unfinished`]).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SendMails {
    /// The mails, in the order they are sent.
    pub mails: Vec<SendMail>,
}

impl Job for SendMails {
    const KIND: &'static str = "send_mails";
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
    /// Development sink: messages appended to one mbox file per day (`YYYY-MM-DD.mbox`, JST) in a directory,
    /// readable with any mail client (`mutt -f`). Appending costs one write; a file per message cost an
    /// inode each, which under a rush of applicants took a quarter of the machine (bench/RESULTS.md).
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
        self.send_all(std::slice::from_ref(mail))
            .await
            .map_err(|(_, e)| e)
    }

    /// Sends several mails: on SMTP a few sessions at a time, to the sink with one write. On failure, returns
    /// the mails that were not sent with the first error; the others are not sent again.
    pub async fn send_all(&self, mails: &[SendMail]) -> Result<(), (Vec<SendMail>, anyhow::Error)> {
        let result = self.send_all_counted(mails).await;
        let failed = result.as_ref().err().map_or(0, |(unsent, _)| unsent.len());
        crate::metrics::METRICS.mails_sent(mails.len().saturating_sub(failed), failed);
        result
    }

    async fn send_all_counted(
        &self,
        mails: &[SendMail],
    ) -> Result<(), (Vec<SendMail>, anyhow::Error)> {
        let mut unsent = Vec::new();
        let mut first_error = None;
        match self {
            Mailer::Smtp { transport, from } => {
                use futures::StreamExt;
                let results: Vec<_> = futures::stream::iter(mails.iter().cloned())
                    .map(|mail| {
                        let (transport, from) = (transport.clone(), from.clone());
                        async move {
                            let sent = match message(&from, &mail) {
                                Ok(m) => transport.send(m).await.map(drop).map_err(Into::into),
                                Err(e) => Err(e),
                            };
                            (mail, sent)
                        }
                    })
                    .buffered(SMTP_SESSIONS)
                    .collect()
                    .await;
                for (mail, result) in results {
                    if let Err(e) = result {
                        unsent.push(mail);
                        first_error.get_or_insert(e);
                    }
                }
            }
            Mailer::Files { dir, from } => {
                let now = crate::db::now_ms();
                let path = dir.join(format!("{}.mbox", crate::time::jst(now).format("%Y-%m-%d")));
                let mut entries = Vec::new();
                let mut written = Vec::new();
                for mail in mails {
                    match message(from, mail) {
                        Ok(m) => {
                            entries.extend(mbox_entry(&m.formatted(), now));
                            written.push(mail);
                        }
                        Err(e) => {
                            unsent.push(mail.clone());
                            first_error.get_or_insert(e);
                        }
                    }
                }
                // One trip to the blocking pool and one `write` of all the entries to a file opened for
                // appending, so concurrent workers (or instances sharing the directory) never interleave.
                let dir = dir.clone();
                let appended = tokio::task::spawn_blocking(move || -> std::io::Result<()> {
                    use std::io::Write;
                    std::fs::create_dir_all(&dir)?;
                    let mut file = std::fs::OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(path)?;
                    file.write_all(&entries)
                })
                .await
                .map_err(anyhow::Error::from)
                .and_then(|r| r.map_err(anyhow::Error::from));
                match appended {
                    Ok(()) => tracing::debug!(mails = written.len(), "mail written to sink"),
                    Err(e) => {
                        for mail in written {
                            unsent.push(mail.clone());
                        }
                        first_error.get_or_insert(e);
                    }
                }
            }
        }
        match first_error {
            None => Ok(()),
            Some(e) => Err((unsent, e)),
        }
    }
}

/// SMTP sessions in flight for one job's mails.
const SMTP_SESSIONS: usize = 4;

fn message(from: &Mailbox, mail: &SendMail) -> anyhow::Result<Message> {
    Ok(Message::builder()
        .from(from.clone())
        .to(mail.to.parse()?)
        .subject(&mail.subject)
        .header(ContentType::TEXT_PLAIN)
        .body(mail.body.clone())?)
}

/// A message as an mbox entry (mboxrd): a `From ` separator line, the message with LF line ends and its
/// `From ` lines quoted with `>`, and an empty line.
fn mbox_entry(message: &[u8], now_ms: i64) -> Vec<u8> {
    let at = chrono::DateTime::from_timestamp_millis(now_ms)
        .unwrap_or_default()
        .format("%a %b %e %H:%M:%S %Y");
    let mut out = Vec::with_capacity(message.len() + 64);
    out.extend_from_slice(format!("From madoguchi@localhost {at}\n").as_bytes());
    let text = message.strip_suffix(b"\r\n").unwrap_or(message);
    for line in text.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line
            .iter()
            .position(|&b| b != b'>')
            .is_some_and(|i| line[i..].starts_with(b"From "))
        {
            out.push(b'>');
        }
        out.extend_from_slice(line);
        out.push(b'\n');
    }
    out.push(b'\n');
    out
}

/// The messages of a sink directory's mbox files, oldest first, each with CRLF line ends as sent (for tests
/// and tools that read what the development sink received).
pub fn read_sink(dir: &std::path::Path) -> Vec<String> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "mbox"));
    files.sort();
    let mut messages = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        let mut current: Option<Vec<&str>> = None;
        for line in text.lines() {
            if line.starts_with("From ") {
                messages.extend(current.take().map(|m| unquote(&m)));
                current = Some(Vec::new());
            } else if let Some(m) = current.as_mut() {
                m.push(line);
            }
        }
        messages.extend(current.map(|m| unquote(&m)));
    }
    messages
}

fn unquote(lines: &[&str]) -> String {
    let lines = lines.strip_suffix(&[""]).unwrap_or(lines);
    lines
        .iter()
        .map(|l| {
            let quoted = l.starts_with('>') && l.trim_start_matches('>').starts_with("From ");
            if quoted { &l[1..] } else { l }
        })
        .collect::<Vec<_>>()
        .join("\r\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mbox_entries_round_trip_with_from_lines_quoted() {
        let a = b"To: a@example.jp\r\nSubject: x\r\n\r\nFrom here on\r\n>From there\r\nend\r\n";
        let b = b"To: b@example.jp\r\n\r\n\r\nsecond\r\n";
        let dir = std::env::temp_dir().join(format!("mbox-test-{}", crate::ids::new_token()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut bytes = mbox_entry(a, 0);
        bytes.extend(mbox_entry(b, 0));
        let text = String::from_utf8(bytes.clone()).unwrap();
        assert!(text.starts_with("From madoguchi@localhost Thu Jan  1 00:00:00 1970\n"));
        assert!(text.contains("\n>From here on\n>>From there\n"), "{text}");
        std::fs::write(dir.join("2026-11-23.mbox"), bytes).unwrap();
        std::fs::write(dir.join("notes.txt"), "From nobody").unwrap();
        let read = read_sink(&dir);
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(
            read,
            [
                "To: a@example.jp\r\nSubject: x\r\n\r\nFrom here on\r\n>From there\r\nend",
                "To: b@example.jp\r\n\r\n\r\nsecond",
            ]
        );
    }
}
