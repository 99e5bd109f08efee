//! Group commit of new submissions (ADR 0007): handlers hand their validated submission to a writer task,
//! which writes every submission waiting at that moment in one transaction.

use super::mails::{applicant_notice_in, receipt_mail};
use super::{
    ApplicantNotice, NewSubmission, SubmitOutcome, applicant_email, applicant_name, search_text,
};
use crate::forms_store::PublishedForm;
use madoguchi_kernel::db::Backend;
use madoguchi_kernel::jobs::Job;
use madoguchi_kernel::jobs::enqueue_in;
use madoguchi_kernel::mail::{SendMail, SendMails};
use madoguchi_kernel::{AppError, Db, now_ms};
use sqlx::Row;

/// The mails a new submission sends: the receipt to the applicant (when a mail address was given) and a notice
/// without personal data to the department. The applicant's mail is in the language they applied in.
fn mails_for(
    form: &PublishedForm,
    receipt: &str,
    email: Option<String>,
    new: &NewSubmission,
    public_url: &str,
) -> Vec<SendMail> {
    let title = &form.definition.title;
    let lang = new.admitted.lang();
    let mut mails = Vec::with_capacity(2);
    if let Some(link) = new.applicant.as_ref() {
        if let Some(to) = link.notify.clone() {
            let notice =
                applicant_notice_in(lang, to, ApplicantNotice::Receipt, receipt, public_url);
            mails.push(notice);
        }
    } else if let Some(to) = email {
        let shown = lang
            .translation_key()
            .and_then(|code| form.definition.localized(code));
        let tenant_url = format!("{public_url}/t/{}", form.tenant.code);
        mails.push(receipt_mail(
            lang,
            to,
            &shown.as_ref().unwrap_or(&form.definition).title,
            receipt,
            &form.tenant.name,
            &tenant_url,
            public_url,
        ));
    }
    let contact = &form.definition.contact.email;
    if !contact.is_empty() {
        // The department's notice carries no personal data: staff open the inbox to see it.
        mails.push(SendMail {
            to: contact.clone(),
            subject: format!("【新着申請】{title}（受付番号 {receipt}）"),
            body: format!(
                "{title} に新しい申請がありました。\n\n受付番号: {receipt}\n\n{public_url}/staff\n"
            ),
        });
    }
    mails
}

/// Most submissions written in one transaction.
const MAX_BATCH: usize = 64;

/// Group commit of new submissions (ADR 0007). Handlers hand their validated submission to a writer task and
/// wait for its receipt number; the writer takes every submission waiting at that moment (up to
/// [`MAX_BATCH`]) and writes them in one transaction with one multi-row statement per table, so a rush of
/// applicants costs one commit (one fsync) and a handful of statements per batch instead of per submission.
/// Nobody gets a receipt number before the transaction holding their submission has committed. If a batch
/// fails (a missing attachment, a receipt number collision), it is rolled back and each submission of it is
/// written on its own, so one bad submission never takes the others down with it.
#[derive(Clone, Debug)]
pub struct Committer {
    queue: tokio::sync::mpsc::Sender<Pending>,
}

struct Pending {
    form: PublishedForm,
    new: NewSubmission,
    reply: tokio::sync::oneshot::Sender<Result<SubmitOutcome, AppError>>,
}

impl std::fmt::Debug for Pending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pending")
            .field("form", &self.form.form_id)
            .finish()
    }
}

impl Committer {
    /// Starts the writer tasks: one on SQLite (it has a single writer anyway), a few on PostgreSQL so that
    /// batches overlap with each other's commits.
    pub fn start(db: Db, public_url: String) -> Committer {
        let (queue, rx) = tokio::sync::mpsc::channel::<Pending>(4 * MAX_BATCH);
        let rx = std::sync::Arc::new(tokio::sync::Mutex::new(rx));
        let writers = match db.backend {
            madoguchi_kernel::db::Backend::Sqlite => 1,
            madoguchi_kernel::db::Backend::Postgres => 4,
        };
        for _ in 0..writers {
            let (db, public_url, rx) = (db.clone(), public_url.clone(), rx.clone());
            tokio::spawn(async move {
                loop {
                    let mut batch = Vec::with_capacity(MAX_BATCH);
                    {
                        let mut rx = rx.lock().await;
                        let Some(first) = rx.recv().await else { return };
                        batch.push(first);
                        while batch.len() < MAX_BATCH {
                            match rx.try_recv() {
                                Ok(p) => batch.push(p),
                                Err(_) => break,
                            }
                        }
                    }
                    write_batch(&db, &public_url, batch).await;
                }
            });
        }
        Committer { queue }
    }

    /// Stores a submission atomically (capacity, row, attachments, first history entry, mail jobs and the
    /// draft's removal commit together or not at all) and returns its outcome once committed. If the caller
    /// goes away meanwhile, the submission is still written.
    pub async fn submit(
        &self,
        form: &PublishedForm,
        new: NewSubmission,
    ) -> Result<SubmitOutcome, AppError> {
        let (reply, outcome) = tokio::sync::oneshot::channel();
        let pending = Pending {
            form: form.clone(),
            new,
            reply,
        };
        self.queue
            .send(pending)
            .await
            .map_err(|_| anyhow::anyhow!("the submission writer has stopped"))?;
        outcome
            .await
            .map_err(|_| anyhow::anyhow!("the submission writer dropped a submission"))?
    }
}

/// Writes a batch in one transaction, or — if that fails — each submission on its own, and replies to each.
async fn write_batch(db: &Db, public_url: &str, batch: Vec<Pending>) {
    let (items, replies): (Vec<_>, Vec<_>) = batch
        .into_iter()
        .map(|p| ((p.form, p.new), p.reply))
        .unzip();
    let outcomes = store_submissions(db, public_url, items).await;
    for (reply, outcome) in replies.into_iter().zip(outcomes) {
        let _ = reply.send(outcome);
    }
}

/// Stores submissions as one batch (see [`Committer`]); on failure, each on its own. Outcomes are in order.
/// Public for tests that need a batch of a known composition; handlers go through [`Committer::submit`].
pub async fn store_submissions(
    db: &Db,
    public_url: &str,
    items: Vec<(PublishedForm, NewSubmission)>,
) -> Vec<Result<SubmitOutcome, AppError>> {
    if db.backend == Backend::Postgres && items.iter().all(|(form, new)| is_plain(form, new)) {
        match store_plain_batch_postgres(db, public_url, &items).await {
            Ok(Some(outcomes)) => return outcomes,
            // A form changed: the transaction below says which submissions that concerns.
            Ok(None) => {}
            Err(e) => {
                tracing::info!(error = %e, size = items.len(), "batch statement failed; writing in a transaction")
            }
        }
    }
    match store_batch(db, public_url, &items).await {
        Ok(outcomes) => outcomes.into_iter().map(Ok).collect(),
        Err(e) => {
            if items.len() > 1 {
                tracing::info!(error = %e, size = items.len(), "batch of submissions rolled back; writing one by one");
            }
            // Each on its own: a batch of one, so the same code writes it.
            let mut outcomes = Vec::with_capacity(items.len());
            for item in items {
                let outcome = store_batch(db, public_url, std::slice::from_ref(&item))
                    .await
                    .map(|mut o| o.remove(0));
                outcomes.push(outcome);
            }
            outcomes
        }
    }
}

/// A submission that needs nothing but new rows: no capacity to count, no attachments to link, no draft to
/// delete.
fn is_plain(form: &PublishedForm, new: &NewSubmission) -> bool {
    form.definition.capacity.is_none()
        && new.admitted.attachment_ids().is_empty()
        && new.draft_token_hash.is_none()
}

/// PostgreSQL, a batch of plain submissions ([`is_plain`]): one statement, committed on its own, that checks
/// every form version is still current and then inserts the submissions, their first history entries and the
/// batch's mail job together — or, if any version changed, inserts nothing and returns `None`. The rows
/// travel as one JSON parameter, so the statement's text is the same for every batch size and stays
/// prepared. One round trip instead of six for BEGIN, the version check, three INSERTs and COMMIT: with
/// PostgreSQL and the server on the same few cores, each trip also costs two context switches.
/// (SQLite runs in the process and has no trips to save; it keeps [`store_batch`].)
async fn store_plain_batch_postgres(
    db: &Db,
    public_url: &str,
    batch: &[(PublishedForm, NewSubmission)],
) -> Result<Option<Vec<Result<SubmitOutcome, AppError>>>, AppError> {
    /// One submission row, as `json_to_recordset` reads it.
    #[derive(serde::Serialize)]
    struct Row<'a> {
        ord: usize,
        tenant_id: i64,
        department_id: i64,
        form_id: i64,
        form_version_id: i64,
        receipt_number: &'a str,
        answers: &'a madoguchi_forms::Answers,
        applicant_name: String,
        search_key: String,
        applicant_email: Option<&'a str>,
        applicant_id: Option<i64>,
        lang: &'static str,
    }
    const SQL: &str = "
        WITH input AS (
            SELECT * FROM json_to_recordset($1::json) AS x(
                ord INT, tenant_id BIGINT, department_id BIGINT, form_id BIGINT, form_version_id BIGINT,
                receipt_number TEXT, answers JSON, applicant_name TEXT, search_key TEXT,
                applicant_email TEXT, applicant_id BIGINT, lang TEXT)
        ), current AS (
            SELECT COUNT(*) AS n FROM input i
            JOIN forms f ON f.id = i.form_id
            JOIN form_versions v ON v.form_id = f.id AND v.version = f.current_version AND v.id = i.form_version_id
        ), s AS (
            INSERT INTO submissions (tenant_id, department_id, form_id, form_version_id, receipt_number, status,
                answers, applicant_name, search_key, applicant_email, applicant_id, lang, submitted_at, updated_at)
            SELECT i.tenant_id, i.department_id, i.form_id, i.form_version_id, i.receipt_number, 'received',
                i.answers::text, i.applicant_name, i.search_key, i.applicant_email, i.applicant_id, i.lang, $2, $2
            FROM input i, current WHERE current.n = $3
            ORDER BY i.ord
            RETURNING id
        ), e AS (
            INSERT INTO submission_events (submission_id, kind, to_status, body, at)
            SELECT id, 'status', 'received', '', $2 FROM s
        ), j AS (
            INSERT INTO jobs (kind, payload, run_at, max_attempts, created_at)
            SELECT $4, $5, $2, $6, $2 WHERE $5 IS NOT NULL AND EXISTS (SELECT 1 FROM s)
        )
        SELECT COUNT(*) FROM s";

    let now = now_ms();
    let mut receipts: Vec<String> = Vec::with_capacity(batch.len());
    let mut emails: Vec<Option<String>> = Vec::with_capacity(batch.len());
    let mut mails = Vec::new();
    for (form, new) in batch {
        let mut receipt = madoguchi_kernel::ids::new_receipt_number(now);
        while receipts.contains(&receipt) {
            receipt = madoguchi_kernel::ids::new_receipt_number(now);
        }
        let email = applicant_email(form, new.admitted.answers());
        mails.extend(mails_for(form, &receipt, email.clone(), new, public_url));
        receipts.push(receipt);
        emails.push(email);
    }
    let rows: Vec<Row> = batch
        .iter()
        .zip(&receipts)
        .zip(&emails)
        .enumerate()
        .map(|(ord, (((form, new), receipt), email))| Row {
            ord,
            tenant_id: form.tenant.id,
            department_id: form.department_id,
            form_id: form.form_id,
            form_version_id: form.version_id,
            receipt_number: receipt,
            answers: new.admitted.answers(),
            applicant_name: applicant_name(new.admitted.answers()),
            search_key: search_text(new.admitted.answers()),
            applicant_email: email.as_deref(),
            applicant_id: new.applicant.as_ref().map(|a| a.id),
            lang: new.admitted.lang().code(),
        })
        .collect();
    let job = (!mails.is_empty()).then(|| madoguchi_kernel::jobs::payload(&SendMails { mails }));
    let stored: i64 = sqlx::query_scalar(SQL)
        .bind(serde_json::to_string(&rows).map_err(anyhow::Error::from)?)
        .bind(now)
        .bind(i64::try_from(batch.len()).map_err(anyhow::Error::from)?)
        .bind(SendMails::KIND)
        .bind(job)
        .bind(SendMails::MAX_ATTEMPTS)
        .fetch_one(&db.write)
        .await?;
    if stored == 0 {
        return Ok(None);
    }
    Ok(Some(
        receipts
            .into_iter()
            .map(|receipt_number| Ok(SubmitOutcome::Accepted { receipt_number }))
            .collect(),
    ))
}

/// One transaction for a whole batch: conditional capacity updates where a form has a capacity, then one
/// multi-row INSERT each for submissions, history entries and mail jobs, one UPDATE per attachment and one
/// DELETE per draft (which must find its draft: a draft is submitted once). Outcomes are in the batch's order.
async fn store_batch(
    db: &Db,
    public_url: &str,
    batch: &[(PublishedForm, NewSubmission)],
) -> Result<Vec<SubmitOutcome>, AppError> {
    let now = now_ms();
    let mut tx = db.write.begin().await?;
    let mut outcomes = Vec::with_capacity(batch.len());
    // (index in batch, receipt, email)
    let mut accepted: Vec<(usize, String, Option<String>)> = Vec::with_capacity(batch.len());
    let mut receipts = std::collections::HashSet::with_capacity(batch.len());
    let current = current_versions(&mut tx, batch).await?;
    for (i, (form, new)) in batch.iter().enumerate() {
        if current.get(&form.form_id) != Some(&new.admitted.version_id()) {
            outcomes.push(SubmitOutcome::FormChanged);
            continue;
        }
        // A draft is submitted once: the first submission deletes it, and a second press of the button (or a
        // second tab) finds it gone, in this batch or after another transaction committed.
        if let Some(hash) = &new.draft_token_hash {
            let n = sqlx::query("DELETE FROM drafts WHERE token_hash = $1")
                .bind(hash)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if n == 0 {
                outcomes.push(SubmitOutcome::AlreadySubmitted);
                continue;
            }
        }
        if form.definition.capacity.is_some() {
            let n = sqlx::query(
                "UPDATE forms SET accepted_count = accepted_count + 1
                 WHERE id = $1 AND (capacity IS NULL OR accepted_count < capacity)",
            )
            .bind(form.form_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                // Pages on this instance say so at once rather than after their copy expires.
                crate::forms_store::forget_recent(db, form.form_id);
                outcomes.push(SubmitOutcome::Full);
                continue;
            }
        }
        let mut receipt = madoguchi_kernel::ids::new_receipt_number(now);
        while !receipts.insert(receipt.clone()) {
            receipt = madoguchi_kernel::ids::new_receipt_number(now);
        }
        outcomes.push(SubmitOutcome::Accepted {
            receipt_number: receipt.clone(),
        });
        accepted.push((i, receipt, applicant_email(form, new.admitted.answers())));
    }
    if accepted.is_empty() {
        tx.commit().await?;
        return Ok(outcomes);
    }

    let mut sql = String::from(
        "INSERT INTO submissions (tenant_id, department_id, form_id, form_version_id, receipt_number, status,
             answers, applicant_name, search_key, applicant_email, applicant_id, lang, submitted_at, updated_at) VALUES ",
    );
    for k in 0..accepted.len() {
        let b = 2 + 11 * k;
        if k > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&format!(
            "(${}, ${}, ${}, ${}, ${}, 'received', ${}, ${}, ${}, ${}, ${}, ${}, $1, $1)",
            b,
            b + 1,
            b + 2,
            b + 3,
            b + 4,
            b + 5,
            b + 6,
            b + 7,
            b + 8,
            b + 9,
            b + 10
        ));
    }
    sql.push_str(" RETURNING id, receipt_number");
    let mut q = sqlx::query(&sql).bind(now);
    for (i, receipt, email) in &accepted {
        let (form, new) = &batch[*i];
        q = q
            .bind(form.tenant.id)
            .bind(form.department_id)
            .bind(form.form_id)
            .bind(form.version_id)
            .bind(receipt.clone())
            .bind(serde_json::to_string(new.admitted.answers()).expect("answers serialise"))
            .bind(applicant_name(new.admitted.answers()))
            .bind(search_text(new.admitted.answers()))
            .bind(email.clone())
            .bind(new.applicant.as_ref().map(|a| a.id))
            .bind(new.admitted.lang().code());
    }
    let mut ids = std::collections::HashMap::with_capacity(accepted.len());
    for row in q.fetch_all(&mut *tx).await? {
        let id: i64 = row.try_get("id")?;
        let receipt: String = row.try_get("receipt_number")?;
        ids.insert(receipt, id);
    }
    let id_of = |receipt: &str| -> Result<i64, AppError> {
        ids.get(receipt)
            .copied()
            .ok_or_else(|| anyhow::anyhow!("no id returned for {receipt}").into())
    };

    for (i, receipt, _) in &accepted {
        let id = id_of(receipt)?;
        for att in batch[*i].1.admitted.attachment_ids() {
            let n = sqlx::query(
                "UPDATE attachments SET submission_id = $1 WHERE id = $2 AND submission_id IS NULL",
            )
            .bind(id)
            .bind(att)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n != 1 {
                return Err(AppError::BadRequest(
                    "添付ファイルが見つかりません。もう一度添付してください。".into(),
                ));
            }
        }
    }

    let mut sql = String::from(
        "INSERT INTO submission_events (submission_id, kind, to_status, body, at) VALUES ",
    );
    for k in 0..accepted.len() {
        if k > 0 {
            sql.push_str(", ");
        }
        sql.push_str(&format!("(${}, 'status', 'received', '', $1)", k + 2));
    }
    let mut q = sqlx::query(&sql).bind(now);
    for (_, receipt, _) in &accepted {
        q = q.bind(id_of(receipt)?);
    }
    q.execute(&mut *tx).await?;

    let mails: Vec<SendMail> = accepted
        .iter()
        .flat_map(|(i, receipt, email)| {
            let (form, new) = &batch[*i];
            mails_for(form, receipt, email.clone(), new, public_url)
        })
        .collect();
    if !mails.is_empty() {
        // One job for the whole batch's mails (see `SendMails`).
        enqueue_in(&mut tx, &madoguchi_kernel::mail::SendMails { mails }).await?;
    }

    tx.commit().await?;
    Ok(outcomes)
}

/// The current version row of each form in a batch, read inside the writer's transaction: the handlers may
/// have checked the answers against a copy up to a second old (`find_published_recent`), this is the check
/// that counts.
async fn current_versions(
    tx: &mut sqlx::AnyConnection,
    batch: &[(PublishedForm, NewSubmission)],
) -> Result<std::collections::HashMap<i64, i64>, AppError> {
    let mut forms: Vec<i64> = batch.iter().map(|(f, _)| f.form_id).collect();
    forms.sort_unstable();
    forms.dedup();
    let list = (1..=forms.len())
        .map(|k| format!("${k}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT f.id, v.id AS version_id FROM forms f
         JOIN form_versions v ON v.form_id = f.id AND v.version = f.current_version
         WHERE f.id IN ({list})"
    );
    let mut q = sqlx::query(&sql);
    for id in forms {
        q = q.bind(id);
    }
    let mut current = std::collections::HashMap::new();
    for row in q.fetch_all(&mut *tx).await? {
        current.insert(row.try_get("id")?, row.try_get("version_id")?);
    }
    Ok(current)
}
