//! Tables of electronic issuance: document templates per form, the register of issued documents, fee flags
//! and batches. Staff-facing queries take the tenant from the caller's [`StaffScope`]; the public
//! verification lookups return register entries without personal data.

use madoguchi_kernel::{AppError, Db, StaffScope};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;

/// What kind of document a template makes.
pub const KINDS: [(&str, &str); 3] = [
    ("permit", "許可書"),
    ("certificate", "証明書"),
    ("notice", "決定通知書"),
];

/// One row of the decision's table: a label and where its value comes from.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FieldSpec {
    /// Printed label.
    pub label: String,
    /// A form part key (`project_name`), a sub-key (`applicant.name`), or fixed text after `=`.
    pub source: String,
}

/// A document template (交付文書テンプレート) of a form.
#[derive(Debug, Clone)]
pub struct Template {
    /// Id.
    pub id: i64,
    /// Tenant.
    pub tenant_id: i64,
    /// The form (procedure) it belongs to.
    pub form_id: i64,
    /// `permit`, `certificate` or `notice`.
    pub kind: String,
    /// Title, e.g. 補助金交付決定通知書.
    pub title: String,
    /// Numbering, `{n}` replaced by the next number: 高知県指令第{n}号.
    pub number_format: String,
    /// The next number.
    pub next_number: i64,
    /// Text before the table.
    pub preamble: String,
    /// Rows of the table.
    pub fields: Vec<FieldSpec>,
    /// Conditions.
    pub conditions: String,
    /// Issuer's title (高知県知事).
    pub issuer_title: String,
    /// Issuer's name.
    pub issuer_name: String,
    /// Text of the drawn seal when there is no image.
    pub seal_text: String,
    /// Object key of an uploaded seal image.
    pub seal_png: Option<String>,
    /// Released only after the fee is settled.
    pub fee_required: bool,
    /// Issued automatically on approval.
    pub auto_issue: bool,
}

fn template_from(r: &AnyRow) -> Result<Template, AppError> {
    let fields: String = r.try_get("fields")?;
    Ok(Template {
        id: r.try_get("id")?,
        tenant_id: r.try_get("tenant_id")?,
        form_id: r.try_get("form_id")?,
        kind: r.try_get("kind")?,
        title: r.try_get("title")?,
        number_format: r.try_get("number_format")?,
        next_number: r.try_get("next_number")?,
        preamble: r.try_get("preamble")?,
        fields: serde_json::from_str(&fields).map_err(|e| AppError::Internal(e.into()))?,
        conditions: r.try_get("conditions")?,
        issuer_title: r.try_get("issuer_title")?,
        issuer_name: r.try_get("issuer_name")?,
        seal_text: r.try_get("seal_text")?,
        seal_png: r.try_get("seal_png")?,
        fee_required: r.try_get::<i64, _>("fee_required")? != 0,
        auto_issue: r.try_get::<i64, _>("auto_issue")? != 0,
    })
}

const TEMPLATE_COLUMNS: &str = "id, tenant_id, form_id, kind, title, number_format, next_number, preamble, fields, conditions, issuer_title, issuer_name, seal_text, seal_png, fee_required, auto_issue";

/// The template of a form in a tenant, if one was made.
pub async fn template_for_form(
    db: &Db,
    tenant_id: i64,
    form_id: i64,
) -> Result<Option<Template>, AppError> {
    let row = sqlx::query(&format!(
        "SELECT {TEMPLATE_COLUMNS} FROM issuance_templates WHERE tenant_id = $1 AND form_id = $2"
    ))
    .bind(tenant_id)
    .bind(form_id)
    .fetch_optional(&db.read)
    .await?;
    row.as_ref().map(template_from).transpose()
}

/// A template as edited on the staff page.
#[derive(Debug, Clone, Default)]
pub struct TemplateInput {
    /// Kind.
    pub kind: String,
    /// Title.
    pub title: String,
    /// Numbering format.
    pub number_format: String,
    /// Next number.
    pub next_number: i64,
    /// Preamble.
    pub preamble: String,
    /// Table rows.
    pub fields: Vec<FieldSpec>,
    /// Conditions.
    pub conditions: String,
    /// Issuer's title.
    pub issuer_title: String,
    /// Issuer's name.
    pub issuer_name: String,
    /// Drawn seal text.
    pub seal_text: String,
    /// Fee charged.
    pub fee_required: bool,
    /// Issue on approval.
    pub auto_issue: bool,
    /// Keep an existing template's counter as it is (staff left the number as the page showed it).
    pub keep_next_number: bool,
}

/// Creates or replaces the template of a form (the caller checked the form is in its tenant and editable).
pub async fn save_template(
    db: &Db,
    scope: &StaffScope,
    form_id: i64,
    t: &TemplateInput,
) -> Result<(), AppError> {
    let now = madoguchi_kernel::now_ms();
    let fields = serde_json::to_string(&t.fields).expect("fields serialise");
    sqlx::query(
        "INSERT INTO issuance_templates (tenant_id, form_id, kind, title, number_format, next_number, preamble, fields,
             conditions, issuer_title, issuer_name, seal_text, fee_required, auto_issue, updated_by, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16)
         ON CONFLICT (tenant_id, form_id) DO UPDATE SET kind = excluded.kind, title = excluded.title,
             number_format = excluded.number_format,
             next_number = CASE WHEN $17 = 1 THEN issuance_templates.next_number ELSE excluded.next_number END,
             preamble = excluded.preamble,
             fields = excluded.fields, conditions = excluded.conditions, issuer_title = excluded.issuer_title,
             issuer_name = excluded.issuer_name, seal_text = excluded.seal_text, fee_required = excluded.fee_required,
             auto_issue = excluded.auto_issue, updated_by = excluded.updated_by, updated_at = excluded.updated_at",
    )
    .bind(scope.tenant_id)
    .bind(form_id)
    .bind(&t.kind)
    .bind(&t.title)
    .bind(&t.number_format)
    .bind(t.next_number)
    .bind(&t.preamble)
    .bind(fields)
    .bind(&t.conditions)
    .bind(&t.issuer_title)
    .bind(&t.issuer_name)
    .bind(&t.seal_text)
    .bind(i64::from(t.fee_required))
    .bind(i64::from(t.auto_issue))
    .bind(scope.staff_id)
    .bind(now)
    .bind(i64::from(t.keep_next_number))
    .execute(&db.write)
    .await?;
    Ok(())
}

/// The highest number a template's documents were issued with under a number format (revoked and superseded
/// documents included: their numbers stay used), if any.
pub async fn highest_number_used(
    db: &Db,
    template_id: i64,
    number_format: &str,
) -> Result<Option<i64>, AppError> {
    let (prefix, suffix) = number_format
        .split_once("{n}")
        .unwrap_or((number_format, ""));
    let numbers: Vec<String> =
        sqlx::query_scalar("SELECT document_number FROM issued_documents WHERE template_id = $1")
            .bind(template_id)
            .fetch_all(&db.read)
            .await?;
    Ok(numbers
        .iter()
        .filter_map(|s| {
            s.strip_prefix(prefix)?
                .strip_suffix(suffix)?
                .parse::<i64>()
                .ok()
        })
        .max())
}

/// Records an uploaded seal image's object key on a template of the caller's tenant.
pub async fn set_seal_image(
    db: &Db,
    scope: &StaffScope,
    template_id: i64,
    key: &str,
) -> Result<(), AppError> {
    let n = sqlx::query("UPDATE issuance_templates SET seal_png = $1, updated_at = $2, updated_by = $3 WHERE id = $4 AND tenant_id = $5")
        .bind(key)
        .bind(madoguchi_kernel::now_ms())
        .bind(scope.staff_id)
        .bind(template_id)
        .bind(scope.tenant_id)
        .execute(&db.write)
        .await?
        .rows_affected();
    if n == 1 {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

/// The numbering of a template as it stands: (next number, number format). Reading it takes nothing: the number
/// is consumed only by [`consume_number`], in the transaction that registers the document printed with it.
pub async fn current_numbering(db: &Db, template_id: i64) -> Result<(i64, String), AppError> {
    let row =
        sqlx::query("SELECT next_number, number_format FROM issuance_templates WHERE id = $1")
            .bind(template_id)
            .fetch_one(&db.write)
            .await?;
    Ok((row.try_get("next_number")?, row.try_get("number_format")?))
}

/// Consumes number `n` of a template inside the registering transaction, if it is still the next one under the
/// same format. `false` when another issue (another server process) took it first or staff changed the
/// numbering meanwhile: the caller renders and signs again with the number then current.
pub async fn consume_number(
    conn: &mut sqlx::AnyConnection,
    template_id: i64,
    n: i64,
    number_format: &str,
) -> Result<bool, AppError> {
    let done = sqlx::query(
        "UPDATE issuance_templates SET next_number = next_number + 1
         WHERE id = $1 AND next_number = $2 AND number_format = $3",
    )
    .bind(template_id)
    .bind(n)
    .bind(number_format)
    .execute(conn)
    .await?
    .rows_affected();
    Ok(done == 1)
}

/// An issued document as the register holds it.
#[derive(Debug, Clone, Serialize)]
pub struct Document {
    /// Id.
    pub id: i64,
    /// Tenant.
    pub tenant_id: i64,
    /// Department of the submission.
    pub department_id: i64,
    /// Submission.
    pub submission_id: i64,
    /// Template.
    pub template_id: i64,
    /// 文書番号.
    pub document_number: String,
    /// Title.
    pub title: String,
    /// Issuer as printed.
    pub issuer: String,
    /// Signer (the certificate's name).
    pub signer: String,
    /// Verification code (printed, in the QR code).
    pub verify_code: String,
    /// Where the PDF is.
    pub object_key: String,
    /// SHA-256 of the PDF.
    pub file_sha256: String,
    /// `valid`, `revoked` or `superseded`.
    pub status: String,
    /// Superseded by (document id).
    pub superseded_by: Option<i64>,
    /// Supersedes (document id).
    pub supersedes_id: Option<i64>,
    /// Reason of revocation.
    pub revoked_reason: String,
    /// Revoked at.
    pub revoked_at: Option<i64>,
    /// Released to the applicant at.
    pub released_at: Option<i64>,
    /// Issued at.
    pub issued_at: i64,
    /// Time of the timestamp.
    pub timestamp_at: i64,
    /// Printed content hash.
    pub content_hash: String,
}

const DOC_COLUMNS: &str = "id, tenant_id, department_id, submission_id, template_id, document_number, title, issuer, signer, verify_code, object_key, file_sha256, status, superseded_by, supersedes_id, revoked_reason, revoked_at, released_at, issued_at, timestamp_at, content_hash";

fn doc_from(r: &AnyRow) -> Result<Document, AppError> {
    Ok(Document {
        id: r.try_get("id")?,
        tenant_id: r.try_get("tenant_id")?,
        department_id: r.try_get("department_id")?,
        submission_id: r.try_get("submission_id")?,
        template_id: r.try_get("template_id")?,
        document_number: r.try_get("document_number")?,
        title: r.try_get("title")?,
        issuer: r.try_get("issuer")?,
        signer: r.try_get("signer")?,
        verify_code: r.try_get("verify_code")?,
        object_key: r.try_get("object_key")?,
        file_sha256: r.try_get("file_sha256")?,
        status: r.try_get("status")?,
        superseded_by: r.try_get("superseded_by")?,
        supersedes_id: r.try_get("supersedes_id")?,
        revoked_reason: r.try_get("revoked_reason")?,
        revoked_at: r.try_get("revoked_at")?,
        released_at: r.try_get("released_at")?,
        issued_at: r.try_get("issued_at")?,
        timestamp_at: r.try_get("timestamp_at")?,
        content_hash: r.try_get("content_hash")?,
    })
}

impl Document {
    /// Status in Japanese.
    pub fn status_label(&self) -> &'static str {
        match self.status.as_str() {
            "valid" => "有効",
            "revoked" => "取消し",
            "superseded" => "再交付により失効",
            _ => "不明",
        }
    }
}

/// Documents of a submission (any status), oldest first, within a tenant.
pub async fn documents_of_submission(
    db: &Db,
    tenant_id: i64,
    submission_id: i64,
) -> Result<Vec<Document>, AppError> {
    let rows = sqlx::query(&format!(
        "SELECT {DOC_COLUMNS} FROM issued_documents WHERE tenant_id = $1 AND submission_id = $2 ORDER BY id"
    ))
    .bind(tenant_id)
    .bind(submission_id)
    .fetch_all(&db.read)
    .await?;
    rows.iter().map(doc_from).collect()
}

/// A document of the caller's tenant whose submission the caller may read; otherwise not found.
pub async fn document_for_staff(
    db: &Db,
    scope: &StaffScope,
    id: i64,
) -> Result<Document, AppError> {
    let row = sqlx::query(&format!(
        "SELECT {DOC_COLUMNS} FROM issued_documents WHERE id = $1 AND tenant_id = $2"
    ))
    .bind(id)
    .bind(scope.tenant_id)
    .fetch_optional(&db.read)
    .await?
    .ok_or(AppError::NotFound)?;
    let doc = doc_from(&row)?;
    if !scope.can_read_submissions_of(doc.department_id) {
        return Err(AppError::NotFound);
    }
    Ok(doc)
}

/// A document by a column (public lookups: verification code, file hash, signature hash).
pub async fn document_by(
    db: &Db,
    column: Lookup,
    value: &str,
) -> Result<Option<Document>, AppError> {
    let col = match column {
        Lookup::VerifyCode => "verify_code",
        Lookup::FileSha256 => "file_sha256",
        Lookup::SignatureSha256 => "signature_sha256",
        Lookup::DownloadToken => "download_token_hash",
    };
    let row = sqlx::query(&format!(
        "SELECT {DOC_COLUMNS} FROM issued_documents WHERE {col} = $1 ORDER BY id DESC LIMIT 1"
    ))
    .bind(value)
    .fetch_optional(&db.read)
    .await?;
    row.as_ref().map(doc_from).transpose()
}

/// Public lookup keys of the register.
#[derive(Debug, Clone, Copy)]
pub enum Lookup {
    /// The printed verification code.
    VerifyCode,
    /// SHA-256 of the whole file.
    FileSha256,
    /// SHA-256 of the CMS signature value (recognises altered copies).
    SignatureSha256,
    /// Hash of a download token.
    DownloadToken,
}

/// A document's number by id (for "superseded by").
pub async fn document_number(db: &Db, id: i64) -> Result<Option<String>, AppError> {
    Ok(
        sqlx::query_scalar("SELECT document_number FROM issued_documents WHERE id = $1")
            .bind(id)
            .fetch_optional(&db.read)
            .await?,
    )
}

/// The name of a tenant (issuer organisation on the verification page).
pub async fn tenant_name(db: &Db, tenant_id: i64) -> Result<String, AppError> {
    Ok(sqlx::query_scalar("SELECT name FROM tenants WHERE id = $1")
        .bind(tenant_id)
        .fetch_one(&db.read)
        .await?)
}

/// Whether the fee of a submission is settled.
pub async fn fee_settled(db: &Db, submission_id: i64) -> Result<bool, AppError> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM issuance_fees WHERE submission_id = $1")
        .bind(submission_id)
        .fetch_one(&db.read)
        .await?;
    Ok(n > 0)
}

/// Recent documents of the departments the caller may read.
pub async fn recent_documents(
    db: &Db,
    scope: &StaffScope,
    limit: i64,
) -> Result<Vec<Document>, AppError> {
    let mut sql = format!("SELECT {DOC_COLUMNS} FROM issued_documents WHERE tenant_id = $1");
    if let Some(d) = scope.readable_departments() {
        if d.is_empty() {
            return Ok(Vec::new());
        }
        let list: Vec<String> = d.iter().map(|x| x.to_string()).collect();
        // Integers from the session, not user input.
        sql.push_str(&format!(" AND department_id IN ({})", list.join(",")));
    }
    sql.push_str(&format!(" ORDER BY id DESC LIMIT {limit}"));
    let rows = sqlx::query(&sql)
        .bind(scope.tenant_id)
        .fetch_all(&db.read)
        .await?;
    rows.iter().map(doc_from).collect()
}
