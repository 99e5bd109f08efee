//! Issuing: from an approved submission and its form's template to a sealed PDF in the object store and a row
//! in the register; release to the applicant (a download link by mail, after the fee where one is charged);
//! re-issue and revocation. Also the background jobs: issue on approval, batch items.

use crate::IssuanceState;
use crate::pades::SigInfo;
use crate::render::{Content, Seal};
use crate::seal::Sealer;
use crate::store::{self, Template};
use madoguchi_applications::submissions::Status;
use madoguchi_forms::{FormDefinition, PartKind};
use madoguchi_kernel::ids::{new_token, sha256_hex, token_hash};
use madoguchi_kernel::jobs::{Job, enqueue_in};
use madoguchi_kernel::mail::SendMail;
use madoguchi_kernel::{AppError, StaffScope, now_ms};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::Row;
use std::sync::Arc;

/// How long a download link in a mail works.
pub const DOWNLOAD_DAYS: i64 = 30;

/// Letters of verification codes (no 0/O, 1/I/L).
const CODE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

fn new_verify_code() -> String {
    use rand::Rng;
    let mut rng = rand::thread_rng();
    let raw: String = (0..16)
        .map(|_| CODE_ALPHABET[rng.gen_range(0..CODE_ALPHABET.len())] as char)
        .collect();
    format!(
        "{}-{}-{}-{}",
        &raw[0..4],
        &raw[4..8],
        &raw[8..12],
        &raw[12..16]
    )
}

/// A submission as issuance needs it (tenant checked by the caller's query).
#[derive(Debug, Clone)]
pub struct SubmissionForIssue {
    /// Id.
    pub id: i64,
    /// Tenant.
    pub tenant_id: i64,
    /// Department.
    pub department_id: i64,
    /// Form.
    pub form_id: i64,
    /// Form version row.
    pub form_version_id: i64,
    /// 受付番号.
    pub receipt_number: String,
    /// Status.
    pub status: Status,
    /// Answers.
    pub answers: serde_json::Map<String, Value>,
    /// Mail address.
    pub applicant_email: Option<String>,
}

/// Loads a submission of a tenant.
pub async fn load_submission(
    st: &IssuanceState,
    tenant_id: i64,
    id: i64,
) -> Result<SubmissionForIssue, AppError> {
    let row = sqlx::query(
        "SELECT id, tenant_id, department_id, form_id, form_version_id, receipt_number, status, answers, applicant_email
         FROM submissions WHERE id = $1 AND tenant_id = $2",
    )
    .bind(id)
    .bind(tenant_id)
    .fetch_optional(&st.ctx.db.read)
    .await?
    .ok_or(AppError::NotFound)?;
    let answers: String = row.try_get("answers")?;
    let status: String = row.try_get("status")?;
    Ok(SubmissionForIssue {
        id: row.try_get("id")?,
        tenant_id: row.try_get("tenant_id")?,
        department_id: row.try_get("department_id")?,
        form_id: row.try_get("form_id")?,
        form_version_id: row.try_get("form_version_id")?,
        receipt_number: row.try_get("receipt_number")?,
        status: Status::parse(&status).unwrap_or(Status::Received),
        answers: serde_json::from_str(&answers).map_err(|e| AppError::Internal(e.into()))?,
        applicant_email: row.try_get("applicant_email")?,
    })
}

/// The text of one table row from the answers.
pub fn field_value(
    def: &FormDefinition,
    answers: &serde_json::Map<String, Value>,
    source: &str,
) -> String {
    if let Some(text) = source.strip_prefix('=') {
        return text.to_string();
    }
    if let Some((key, sub)) = source.split_once('.') {
        return answers
            .get(key)
            .and_then(|v| v.get(sub))
            .map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .unwrap_or_default();
    }
    let mut only = serde_json::Map::new();
    if let Some(v) = answers.get(source) {
        only.insert(source.to_string(), v.clone());
    }
    madoguchi_applications::render::answer_rows(def, &only)
        .into_iter()
        .next()
        .map(|r| r.value)
        .unwrap_or_default()
}

/// Address and name lines of the recipient.
pub fn recipient_lines(
    def: &FormDefinition,
    answers: &serde_json::Map<String, Value>,
) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(p) = def
        .parts
        .iter()
        .find(|p| matches!(p.kind, PartKind::Address))
    {
        let a = field_value(def, answers, &p.key);
        if !a.is_empty() {
            lines.push(a.replace('\n', " "));
        }
    }
    let mut name = String::new();
    for v in answers.values() {
        if let Some(o) = v.as_object() {
            if o.get("kind").and_then(Value::as_str) == Some("corporation") {
                let corp = o
                    .get("corporate_name")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                let rep = o
                    .get("representative")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                lines.push(corp.to_string());
                name = format!("代表者　{rep}");
                break;
            }
            if let Some(n) = o.get("name").and_then(Value::as_str) {
                name = n.to_string();
                break;
            }
        }
    }
    lines.push(name);
    lines
}

/// The date as printed: 令和8年11月23日.
pub fn wareki_date(ms: i64) -> String {
    madoguchi_japanese::wareki::format_wareki(madoguchi_kernel::time::jst(ms).date_naive())
}

/// `D:YYYYMMDDHHmmSS+09'00'` for `/M`.
fn pdf_date(ms: i64) -> String {
    madoguchi_kernel::time::jst(ms)
        .format("D:%Y%m%d%H%M%S+09'00'")
        .to_string()
}

/// The content of a template's document for a submission.
#[expect(
    clippy::too_many_arguments,
    reason = "every printed part has its source"
)]
pub fn content_for(
    t: &Template,
    def: &FormDefinition,
    answers: &serde_json::Map<String, Value>,
    number: &str,
    now: i64,
    verify_url: &str,
    verify_code: &str,
    seal: Seal,
    sample: bool,
) -> Content {
    let fields: Vec<(String, String)> = t
        .fields
        .iter()
        .map(|f| (f.label.clone(), field_value(def, answers, &f.source)))
        .collect();
    let mut c = Content {
        title: t.title.clone(),
        number: number.to_string(),
        date: wareki_date(now),
        recipient: recipient_lines(def, answers),
        preamble: t.preamble.clone(),
        fields,
        conditions: t.conditions.clone(),
        issuer_title: t.issuer_title.clone(),
        issuer_name: t.issuer_name.clone(),
        seal,
        verify_url: verify_url.to_string(),
        verify_code: verify_code.to_string(),
        content_hash: String::new(),
        sample,
    };
    c.content_hash = content_hash(&c);
    c
}

/// SHA-256 over the printed data (title, number, date, recipient, text, table, issuer), in a fixed order.
pub fn content_hash(c: &Content) -> String {
    let value = serde_json::json!([
        c.title,
        c.number,
        c.date,
        c.recipient,
        c.preamble,
        c.fields,
        c.conditions,
        c.issuer_title,
        c.issuer_name,
        c.verify_code
    ]);
    sha256_hex(value.to_string().as_bytes())
}

/// The seal of a template: its uploaded image, else the drawn text (else the issuer's title + 之印).
pub async fn seal_of(st: &IssuanceState, t: &Template) -> Result<Seal, AppError> {
    if let Some(key) = &t.seal_png {
        return Ok(Seal::Png(st.ctx.storage.get(key).await?.to_vec()));
    }
    let text = if t.seal_text.trim().is_empty() {
        format!("{}之印", t.issuer_title)
    } else {
        t.seal_text.clone()
    };
    Ok(Seal::Drawn(text))
}

/// Renders a document off the async threads.
pub async fn render_pdf(st: &IssuanceState, content: Content) -> Result<Vec<u8>, AppError> {
    let fonts = st
        .fonts()
        .ok_or_else(|| AppError::Conflict(crate::fonts::NO_FONT_MESSAGE.to_string()))?;
    let pdf = tokio::task::spawn_blocking(move || crate::render::render(&content, &fonts))
        .await
        .map_err(|e| AppError::Internal(e.into()))?
        .map_err(|e| AppError::BadRequest(format!("交付文書を作成できません: {e}")))?;
    Ok(pdf)
}

/// Who asks for an issue.
#[derive(Debug, Clone, Copy)]
pub enum Actor<'a> {
    /// A staff member (already checked to be allowed).
    Staff(&'a StaffScope),
    /// The system, on approval or in a batch (the job carries who started it, if anyone).
    System(Option<i64>),
}

impl Actor<'_> {
    fn staff_id(&self) -> Option<i64> {
        match self {
            Actor::Staff(s) => Some(s.staff_id),
            Actor::System(id) => *id,
        }
    }
}

/// Issues the document of a submission: checks it is approved and has a template, renders it with the
/// template's next number, seals it (signature + timestamp), stores the PDF, and registers it — consuming the
/// number and superseding `supersedes` if given — in one transaction. Releases it at once unless a fee is
/// charged and not yet settled. A failure leaves the numbering as it was (ADR 0017).
pub async fn issue(
    st: &IssuanceState,
    actor: Actor<'_>,
    tenant_id: i64,
    submission_id: i64,
    supersedes: Option<i64>,
) -> Result<store::Document, AppError> {
    let sub = load_submission(st, tenant_id, submission_id).await?;
    if !matches!(sub.status, Status::Approved | Status::Done) {
        return Err(AppError::Conflict(
            "承認された申請にのみ交付できます。".into(),
        ));
    }
    let t = store::template_for_form(&st.ctx.db, tenant_id, sub.form_id)
        .await?
        .ok_or_else(|| {
            AppError::Conflict(
                "この手続の交付文書テンプレートがありません。先にテンプレートを作成してください。"
                    .into(),
            )
        })?;
    let existing = store::documents_of_submission(&st.ctx.db, tenant_id, submission_id).await?;
    match supersedes {
        None if existing
            .iter()
            .any(|d| d.status == "valid" && d.template_id == t.id) =>
        {
            return Err(AppError::Conflict(
                "この申請には有効な交付文書があります。作り直すときは再交付してください。".into(),
            ));
        }
        Some(old) if !existing.iter().any(|d| d.id == old && d.status == "valid") => {
            return Err(AppError::Conflict(
                "有効な文書だけを再交付できます。".into(),
            ));
        }
        _ => {}
    }
    if st.fonts().is_none() {
        return Err(AppError::Conflict(crate::fonts::NO_FONT_MESSAGE.into()));
    }
    let sealer = st.sealer().await?;
    let (_, def) = madoguchi_applications::forms_store::definition_by_version_id(
        &st.ctx.db,
        sub.form_version_id,
    )
    .await?;
    let tenant = store::tenant_name(&st.ctx.db, tenant_id).await?;
    let seal = seal_of(st, &t).await?;
    // Document numbers must not skip (高知県指令第N号): a number is consumed only in the transaction that
    // registers the document printed with it, so an issue that fails anywhere before (the TSA does not answer,
    // the storage fails) takes none; documents of one template register in the order of their numbers.
    let mut attempt = 0;
    let id = loop {
        attempt += 1;
        let ticket = st.numbers().reserve(&st.ctx.db, t.id).await?;
        let number = ticket.number();
        let now = now_ms();
        let code = new_verify_code();
        let verify_url = format!("{}/verify/{code}", st.ctx.config.public_url);
        let content = content_for(
            &t,
            &def,
            &sub.answers,
            &number,
            now,
            &verify_url,
            &code,
            seal.clone(),
            false,
        );
        let content_hash = content.content_hash.clone();
        let pdf = render_pdf(st, content).await?;
        let info = SigInfo {
            name: sealer.signer_name(),
            reason: format!("{}（{}）の交付", t.title, number),
            location: tenant.clone(),
            time: pdf_date(now),
        };
        let sealed = sealer.seal(pdf, info).await.map_err(AppError::Internal)?;
        let object_key = format!("issuance/{tenant_id}/{}.pdf", code);
        st.ctx
            .storage
            .put(&object_key, bytes::Bytes::from(sealed.pdf.clone()))
            .await?;
        ticket.my_turn().await;
        let registered = register(
            st,
            Register {
                tenant_id,
                department_id: sub.department_id,
                submission_id,
                template_id: t.id,
                n: ticket.n,
                number_format: ticket.format.clone(),
                number,
                title: t.title.clone(),
                issuer: format!("{}　{}", t.issuer_title, t.issuer_name),
                signer: sealer.signer_name(),
                code,
                object_key: object_key.clone(),
                file_sha: sha256_hex(&sealed.pdf),
                sig_sha: sha256_hex(&sealed.signature),
                content_hash,
                supersedes,
                fee_required: t.fee_required,
                email: sub.applicant_email.clone(),
                staff_id: actor.staff_id(),
                now,
                timestamp_at: sealed.timestamp_ms,
            },
        )
        .await;
        match registered {
            Ok(Some(id)) => {
                ticket.registered();
                break id;
            }
            Ok(None) if attempt < NUMBER_ATTEMPTS => {
                // The number went to another process, or a lower one was given up: nothing refers to this
                // file; make the document again with the number now next.
                let _ = st.ctx.storage.delete(&object_key).await;
            }
            Ok(None) => {
                let _ = st.ctx.storage.delete(&object_key).await;
                return Err(AppError::Internal(anyhow::anyhow!(
                    "document number of template {} not registrable {NUMBER_ATTEMPTS} times in a row (taken by another process, or lower numbers given up)",
                    t.id
                )));
            }
            Err(e) => {
                // Nothing refers to the stored file: remove it so a refused issue leaves nothing behind.
                let _ = st.ctx.storage.delete(&object_key).await;
                return Err(e);
            }
        }
    };
    if let Actor::Staff(scope) = actor {
        let what = if supersedes.is_some() {
            madoguchi_kernel::audit::Action::Reissue
        } else {
            madoguchi_kernel::audit::Action::Issue
        };
        madoguchi_kernel::audit::record(
            &st.ctx.db,
            scope,
            what,
            &format!("submission:{submission_id}"),
            &id.to_string(),
        )
        .await?;
    }
    st.ctx.jobs_wake.notify_one();
    let doc = sqlx::query_scalar::<_, i64>("SELECT id FROM issued_documents WHERE id = $1")
        .bind(id)
        .fetch_one(&st.ctx.db.read)
        .await?;
    let docs = store::documents_of_submission(&st.ctx.db, tenant_id, submission_id).await?;
    docs.into_iter()
        .find(|d| d.id == doc)
        .ok_or(AppError::NotFound)
}

/// How many times an issue renders and signs again when its number cannot be registered (taken by another
/// process, or a lower number was given up).
const NUMBER_ATTEMPTS: usize = 8;

/// A sealed and stored document, ready to enter the register.
struct Register {
    tenant_id: i64,
    department_id: i64,
    submission_id: i64,
    template_id: i64,
    /// The template's number printed on it, and the format it was printed with.
    n: i64,
    number_format: String,
    number: String,
    title: String,
    issuer: String,
    signer: String,
    code: String,
    object_key: String,
    file_sha: String,
    sig_sha: String,
    content_hash: String,
    supersedes: Option<i64>,
    /// Released only once the fee is settled (looked up in the registering transaction).
    fee_required: bool,
    email: Option<String>,
    staff_id: Option<i64>,
    now: i64,
    timestamp_at: i64,
}

/// Registers a document in one transaction: consumes its number, supersedes the old document if any, inserts
/// the row and queues the applicant's mail. `None` when the number was no longer the template's next one
/// (nothing written).
async fn register(st: &IssuanceState, r: Register) -> Result<Option<i64>, AppError> {
    let db = st.ctx.db.clone();
    let public_url = st.ctx.config.public_url.clone();
    madoguchi_kernel::db::run_to_completion(async move {
        let mut tx = db.write.begin().await?;
        if !store::consume_number(&mut tx, r.template_id, r.n, &r.number_format).await? {
            return Ok(None);
        }
        if let Some(old) = r.supersedes {
            let n = sqlx::query(
                "UPDATE issued_documents SET status = 'superseded' WHERE id = $1 AND tenant_id = $2 AND status = 'valid'",
            )
            .bind(old)
            .bind(r.tenant_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n != 1 {
                return Err(AppError::Conflict(
                    "他の職員が先にこの文書を変更しました。画面を更新してください。".into(),
                ));
            }
        }
        let release = !r.fee_required
            || sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM issuance_fees WHERE submission_id = $1")
                .bind(r.submission_id)
                .fetch_one(&mut *tx)
                .await?
                > 0;
        let token = release.then(new_token);
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO issued_documents (tenant_id, department_id, submission_id, template_id, document_number, title,
                 issuer, signer, verify_code, object_key, file_sha256, signature_sha256, content_hash, status,
                 supersedes_id, released_at, download_token_hash, download_expires_at, issued_by, issued_at, timestamp_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'valid', $14, $15, $16, $17, $18, $19, $20)
             RETURNING id",
        )
        .bind(r.tenant_id)
        .bind(r.department_id)
        .bind(r.submission_id)
        .bind(r.template_id)
        .bind(&r.number)
        .bind(&r.title)
        .bind(&r.issuer)
        .bind(&r.signer)
        .bind(&r.code)
        .bind(&r.object_key)
        .bind(&r.file_sha)
        .bind(&r.sig_sha)
        .bind(&r.content_hash)
        .bind(r.supersedes)
        .bind(release.then_some(r.now))
        .bind(token.as_deref().map(token_hash))
        .bind(release.then_some(r.now + DOWNLOAD_DAYS * 86_400_000))
        .bind(r.staff_id)
        .bind(r.now)
        .bind(r.timestamp_at)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| match &e {
            sqlx::Error::Database(d) if d.is_unique_violation() => AppError::Conflict(
                "この申請には有効な交付文書があります。作り直すときは再交付してください。".into(),
            ),
            _ => AppError::from(e),
        })?;
        if let Some(old) = r.supersedes {
            sqlx::query("UPDATE issued_documents SET superseded_by = $1 WHERE id = $2")
                .bind(id)
                .bind(old)
                .execute(&mut *tx)
                .await?;
        }
        if let (Some(token), Some(to)) = (&token, &r.email) {
            enqueue_in(&mut tx, &release_mail(to, &r.title, &r.number, token, &public_url)).await?;
        }
        tx.commit().await?;
        Ok(Some(id))
    })
    .await
}

fn release_mail(to: &str, title: &str, number: &str, token: &str, public_url: &str) -> SendMail {
    SendMail {
        to: to.to_string(),
        subject: format!("【電子交付】{title}（{number}）"),
        body: format!(
            "{title}（{number}）を電子で交付します。\n\n次のリンクから交付文書（PDF、電子署名・タイムスタンプ付き）をダウンロードしてください。\n\
             {public_url}/issuance/d/{token}\n\nリンクの有効期限は{DOWNLOAD_DAYS}日です。ダウンロードした文書は保存してご利用ください。\n\
             文書が本物で改ざんされていないことは {public_url}/verify で確かめられます。\n\nこのメールは送信専用です。\n"
        ),
    }
}

/// Marks a submission's fee settled (the payments capability will do this; until then staff do) and releases
/// its valid documents that were waiting for it.
pub async fn settle_fee(
    st: &IssuanceState,
    scope: &StaffScope,
    sub: &SubmissionForIssue,
) -> Result<usize, AppError> {
    let db = st.ctx.db.clone();
    let public_url = st.ctx.config.public_url.clone();
    let (sub_id, tenant_id, staff_id, email) = (
        sub.id,
        sub.tenant_id,
        scope.staff_id,
        sub.applicant_email.clone(),
    );
    let released = madoguchi_kernel::db::run_to_completion(async move {
        let now = now_ms();
        let mut tx = db.write.begin().await?;
        let n = sqlx::query("SELECT COUNT(*) FROM issuance_fees WHERE submission_id = $1")
            .bind(sub_id)
            .fetch_one(&mut *tx)
            .await?
            .try_get::<i64, _>(0)?;
        if n > 0 {
            return Err(AppError::Conflict("手数料は納付済みです。".into()));
        }
        sqlx::query("INSERT INTO issuance_fees (submission_id, tenant_id, settled_at, settled_by) VALUES ($1, $2, $3, $4)")
            .bind(sub_id)
            .bind(tenant_id)
            .bind(now)
            .bind(staff_id)
            .execute(&mut *tx)
            .await?;
        let waiting = sqlx::query(
            "SELECT id, title, document_number FROM issued_documents
             WHERE submission_id = $1 AND tenant_id = $2 AND status = 'valid' AND released_at IS NULL",
        )
        .bind(sub_id)
        .bind(tenant_id)
        .fetch_all(&mut *tx)
        .await?;
        for row in &waiting {
            let id: i64 = row.try_get("id")?;
            let token = new_token();
            sqlx::query("UPDATE issued_documents SET released_at = $1, download_token_hash = $2, download_expires_at = $3 WHERE id = $4")
                .bind(now)
                .bind(token_hash(&token))
                .bind(now + DOWNLOAD_DAYS * 86_400_000)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            if let Some(to) = &email {
                let title: String = row.try_get("title")?;
                let number: String = row.try_get("document_number")?;
                enqueue_in(&mut tx, &release_mail(to, &title, &number, &token, &public_url)).await?;
            }
        }
        tx.commit().await?;
        Ok::<usize, AppError>(waiting.len())
    })
    .await?;
    madoguchi_kernel::audit::record(
        &st.ctx.db,
        scope,
        madoguchi_kernel::audit::Action::FeeSettled,
        &format!("submission:{}", sub.id),
        "",
    )
    .await?;
    st.ctx.jobs_wake.notify_one();
    Ok(released)
}

/// Revokes a valid document with a reason (shown on the verification page); the applicant is told by mail.
pub async fn revoke(
    st: &IssuanceState,
    scope: &StaffScope,
    doc: &store::Document,
    reason: &str,
) -> Result<(), AppError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(AppError::BadRequest(
            "取消しの理由を入力してください。".into(),
        ));
    }
    if reason.chars().count() > 500 {
        return Err(AppError::BadRequest(
            "取消しの理由は500文字以内で入力してください。".into(),
        ));
    }
    let sub = load_submission(st, doc.tenant_id, doc.submission_id).await?;
    let db = st.ctx.db.clone();
    let (doc_id, tenant_id, staff_id) = (doc.id, doc.tenant_id, scope.staff_id);
    let (reason_s, title, number) = (
        reason.to_string(),
        doc.title.clone(),
        doc.document_number.clone(),
    );
    let public_url = st.ctx.config.public_url.clone();
    let released = doc.released_at.is_some();
    madoguchi_kernel::db::run_to_completion(async move {
        let mut tx = db.write.begin().await?;
        let n = sqlx::query(
            "UPDATE issued_documents SET status = 'revoked', revoked_reason = $1, revoked_at = $2, revoked_by = $3,
                 download_token_hash = NULL
             WHERE id = $4 AND tenant_id = $5 AND status = 'valid'",
        )
        .bind(&reason_s)
        .bind(now_ms())
        .bind(staff_id)
        .bind(doc_id)
        .bind(tenant_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n != 1 {
            return Err(AppError::Conflict("有効な文書だけを取り消せます。".into()));
        }
        if let (true, Some(to)) = (released, &sub.applicant_email) {
            let mail = SendMail {
                to: to.clone(),
                subject: format!("【交付文書の取消し】{title}（{number}）"),
                body: format!(
                    "{title}（{number}）は取り消されました。\n\n理由: {reason_s}\n\n取り消された文書の状態は {public_url}/verify で確かめられます。\n\
                     このメールは送信専用です。\n"
                ),
            };
            enqueue_in(&mut tx, &mail).await?;
        }
        tx.commit().await?;
        Ok::<(), AppError>(())
    })
    .await?;
    madoguchi_kernel::audit::record(
        &st.ctx.db,
        scope,
        madoguchi_kernel::audit::Action::Revoke,
        &format!("submission:{}", doc.submission_id),
        &doc.id.to_string(),
    )
    .await?;
    st.ctx.jobs_wake.notify_one();
    Ok(())
}

/// Job: issue a submission's document after its approval, if its form has a template that issues
/// automatically. Queued by `applications::submissions` in the approving transaction.
pub async fn run_approved(
    st: &IssuanceState,
    job: &madoguchi_applications::submissions::Approved,
) -> anyhow::Result<()> {
    let sub = match load_submission(st, job.tenant_id, job.submission_id).await {
        Ok(s) => s,
        Err(AppError::NotFound) => return Ok(()),
        Err(e) => return Err(anyhow::anyhow!("{e}")),
    };
    match store::template_for_form(&st.ctx.db, job.tenant_id, sub.form_id).await {
        Ok(Some(t)) if t.auto_issue => {}
        Ok(_) => return Ok(()),
        Err(e) => return Err(anyhow::anyhow!("{e}")),
    }
    match issue(
        st,
        Actor::System(Some(job.staff_id)),
        job.tenant_id,
        job.submission_id,
        None,
    )
    .await
    {
        Ok(_) => Ok(()),
        // The state moved on, or it was issued already, or it cannot be issued as set up: nothing to retry;
        // staff see the submission without a document and can issue it by hand.
        Err(e @ (AppError::Conflict(_) | AppError::BadRequest(_) | AppError::NotFound)) => {
            tracing::warn!(submission = job.submission_id, error = %e, "not issued on approval");
            Ok(())
        }
        Err(AppError::Internal(e)) => Err(e),
        Err(e) => Err(anyhow::anyhow!("{e}")),
    }
}

/// One submission of a batch issue, as a job.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BatchItem {
    /// The batch.
    pub batch_id: i64,
    /// Tenant.
    pub tenant_id: i64,
    /// The submission.
    pub submission_id: i64,
    /// Who started the batch.
    pub staff_id: i64,
}

impl Job for BatchItem {
    const KIND: &'static str = "issuance_batch_item";
    const MAX_ATTEMPTS: i64 = 4;
}

/// Runs one batch item: issues and records the outcome for the progress page. Temporary failures (the TSA
/// did not answer) are retried by the queue.
pub async fn run_batch_item(st: &IssuanceState, item: &BatchItem) -> anyhow::Result<()> {
    let outcome = issue(
        st,
        Actor::System(Some(item.staff_id)),
        item.tenant_id,
        item.submission_id,
        None,
    )
    .await;
    let (state, detail, retry) = match &outcome {
        Ok(d) => ("done", d.document_number.clone(), false),
        Err(AppError::Conflict(m) | AppError::BadRequest(m)) => ("skipped", m.clone(), false),
        Err(AppError::NotFound) => ("skipped", "申請が見つかりません。".to_string(), false),
        Err(e) => ("failed", e.to_string(), true),
    };
    sqlx::query("UPDATE issuance_batch_items SET state = $1, detail = $2 WHERE batch_id = $3 AND submission_id = $4")
        .bind(state)
        .bind(&detail)
        .bind(item.batch_id)
        .bind(item.submission_id)
        .execute(&st.ctx.db.write)
        .await?;
    if retry {
        anyhow::bail!("batch item {}: {detail}", item.submission_id);
    }
    Ok(())
}

/// Starts a batch: a row for the batch and one job per submission, in one transaction. Only approved
/// submissions the caller may review are taken; the others are refused before anything is written.
pub async fn start_batch(
    st: &IssuanceState,
    scope: &StaffScope,
    submission_ids: &[i64],
) -> Result<i64, AppError> {
    if submission_ids.is_empty() {
        return Err(AppError::BadRequest(
            "交付する申請を選んでください。".into(),
        ));
    }
    if submission_ids.len() > 500 {
        return Err(AppError::BadRequest(
            "一度に交付できるのは500件までです。".into(),
        ));
    }
    for id in submission_ids {
        let sub = load_submission(st, scope.tenant_id, *id).await?;
        if !scope.can_review(sub.department_id) {
            return Err(AppError::NotFound);
        }
    }
    let db = st.ctx.db.clone();
    let scope2 = scope.clone();
    let ids = submission_ids.to_vec();
    let batch = madoguchi_kernel::db::run_to_completion(async move {
        let mut tx = db.write.begin().await?;
        let batch: i64 = sqlx::query_scalar(
            "INSERT INTO issuance_batches (tenant_id, created_by, total, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(scope2.tenant_id)
        .bind(scope2.staff_id)
        .bind(ids.len() as i64)
        .bind(now_ms())
        .fetch_one(&mut *tx)
        .await?;
        let mut jobs = Vec::with_capacity(ids.len());
        for id in &ids {
            sqlx::query("INSERT INTO issuance_batch_items (batch_id, submission_id, state) VALUES ($1, $2, 'pending')")
                .bind(batch)
                .bind(*id)
                .execute(&mut *tx)
                .await?;
            jobs.push(BatchItem {
                batch_id: batch,
                tenant_id: scope2.tenant_id,
                submission_id: *id,
                staff_id: scope2.staff_id,
            });
        }
        madoguchi_kernel::jobs::enqueue_many_in(&mut tx, &jobs).await?;
        tx.commit().await?;
        Ok::<i64, AppError>(batch)
    })
    .await?;
    madoguchi_kernel::audit::record(
        &st.ctx.db,
        scope,
        madoguchi_kernel::audit::Action::IssueBatch,
        &format!("issuance_batch:{batch}"),
        &submission_ids.len().to_string(),
    )
    .await?;
    st.ctx.jobs_wake.notify_one();
    Ok(batch)
}

/// Progress of a batch of the caller's tenant: (total, counts by state, items). A batch holding a submission
/// of a department the caller may not review is not found: it shows receipt numbers and outcomes, which are
/// the departments' business (a batch is started by one person over the departments they review).
pub async fn batch_progress(
    st: &IssuanceState,
    scope: &StaffScope,
    batch_id: i64,
) -> Result<(i64, Vec<(i64, String, String, String)>), AppError> {
    let total: i64 =
        sqlx::query_scalar("SELECT total FROM issuance_batches WHERE id = $1 AND tenant_id = $2")
            .bind(batch_id)
            .bind(scope.tenant_id)
            .fetch_optional(&st.ctx.db.read)
            .await?
            .ok_or(AppError::NotFound)?;
    let all: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM issuance_batch_items WHERE batch_id = $1")
            .bind(batch_id)
            .fetch_one(&st.ctx.db.read)
            .await?;
    let rows = sqlx::query(&format!(
        "SELECT i.submission_id, s.receipt_number, i.state, i.detail FROM issuance_batch_items i
         JOIN submissions s ON s.id = i.submission_id
         WHERE i.batch_id = $1 AND s.tenant_id = $2{} ORDER BY i.submission_id",
        scope.readable_submissions_condition("s.department_id")
    ))
    .bind(batch_id)
    .bind(scope.tenant_id)
    .fetch_all(&st.ctx.db.read)
    .await?;
    if (rows.len() as i64) < all {
        return Err(AppError::NotFound);
    }
    let items = rows
        .iter()
        .map(|r| {
            Ok((
                r.try_get("submission_id")?,
                r.try_get("receipt_number")?,
                r.try_get("state")?,
                r.try_get("detail")?,
            ))
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
    Ok((total, items))
}

/// The sealer type, re-exported for the state.
pub type SharedSealer = Arc<Sealer>;
