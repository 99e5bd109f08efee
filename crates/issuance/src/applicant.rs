//! What the applicant sees of issued documents: my page (`madoguchi_identity::mypage`) lists
//! [`documents_for_submission`] and serves [`released_pdf`] to the signed-in applicant who owns the submission;
//! applicants without an account get a download link by mail.

use crate::store;
use madoguchi_kernel::{AppError, Ctx};
use serde::Serialize;

/// An issued document as listed to its applicant.
#[derive(Debug, Clone, Serialize)]
pub struct ApplicantDocument {
    /// Document id (for [`released_pdf`]).
    pub id: i64,
    /// Title.
    pub title: String,
    /// 文書番号.
    pub document_number: String,
    /// 有効 / 取消し / 再交付により失効.
    pub status_label: String,
    /// Issued at (epoch ms).
    pub issued_at: i64,
    /// Whether it can be downloaded now (released, and still valid).
    pub downloadable: bool,
    /// Why not, when it cannot (e.g. 手数料の納付後に交付します).
    pub note: String,
    /// The public verification page of this document.
    pub verify_path: String,
    /// `valid`, `revoked` or `superseded` (my page says it in the resident's language).
    pub state: String,
    /// Whether it was released to the applicant (after the fee, where one is charged).
    pub released: bool,
    /// Why it was revoked, as staff wrote it.
    pub revoked_reason: String,
}

/// The issued documents of a submission, oldest first. The caller (my page) must have checked that the
/// signed-in applicant owns the submission.
pub async fn documents_for_submission(
    ctx: &Ctx,
    tenant_id: i64,
    submission_id: i64,
) -> Result<Vec<ApplicantDocument>, AppError> {
    let docs = store::documents_of_submission(&ctx.db, tenant_id, submission_id).await?;
    Ok(docs
        .into_iter()
        .map(|d| {
            let downloadable = d.status == "valid" && d.released_at.is_some();
            let note = match (d.status.as_str(), d.released_at) {
                ("valid", None) => "手数料の納付を確認した後にダウンロードできます。".to_string(),
                ("revoked", _) => format!("取り消されました（{}）", d.revoked_reason),
                ("superseded", _) => "再交付された文書をご利用ください。".to_string(),
                _ => String::new(),
            };
            ApplicantDocument {
                id: d.id,
                title: d.title.clone(),
                document_number: d.document_number.clone(),
                status_label: d.status_label().to_string(),
                issued_at: d.issued_at,
                downloadable,
                note,
                verify_path: format!("/verify/{}", d.verify_code),
                state: d.status.clone(),
                released: d.released_at.is_some(),
                revoked_reason: d.revoked_reason.clone(),
            }
        })
        .collect())
}

/// The PDF of a released, valid document of a submission (ownership checked by the caller), with its file
/// name; `None` if it is not downloadable.
pub async fn released_pdf(
    ctx: &Ctx,
    tenant_id: i64,
    submission_id: i64,
    document_id: i64,
) -> Result<Option<(String, bytes::Bytes)>, AppError> {
    let docs = store::documents_of_submission(&ctx.db, tenant_id, submission_id).await?;
    let Some(d) = docs
        .into_iter()
        .find(|d| d.id == document_id && d.status == "valid" && d.released_at.is_some())
    else {
        return Ok(None);
    };
    let bytes = ctx.storage.get(&d.object_key).await?;
    Ok(Some((
        format!("{}_{}.pdf", d.title, d.document_number),
        bytes,
    )))
}
