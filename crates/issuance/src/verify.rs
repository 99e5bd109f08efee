//! Verifying a document: the cryptographic checks of its PAdES signature and timestamp, and what the register
//! says about it (revoked, superseded). Used by the public verification page and its JSON endpoint.

use crate::IssuanceState;
use crate::cades;
use crate::store::{self, Document, Lookup};
use madoguchi_kernel::AppError;
use madoguchi_kernel::ids::sha256_hex;
use serde::Serialize;

/// The overall answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Authentic, unaltered, in the register and valid.
    Valid,
    /// Authentic and unaltered, but revoked.
    Revoked,
    /// Authentic and unaltered, but replaced by a re-issued document.
    Superseded,
    /// Changed after signing.
    Altered,
    /// No signature, or a signature that cannot be checked.
    NotSigned,
    /// A valid signature, but not a document of this register (or not from a trusted issuer).
    Unknown,
}

impl Verdict {
    /// The verdict in Japanese.
    pub fn label(self) -> &'static str {
        match self {
            Verdict::Valid => "有効な交付文書です（改ざんされていません）",
            Verdict::Revoked => "この文書は取り消されています",
            Verdict::Superseded => "この文書は再交付により効力を失っています",
            Verdict::Altered => "改ざんされています（署名後に内容が変更されています）",
            Verdict::NotSigned => "電子署名を確認できません",
            Verdict::Unknown => "この窓口で交付された文書として確認できません",
        }
    }
}

/// The register entry, without personal data.
#[derive(Debug, Clone, Serialize)]
pub struct RegisterEntry {
    /// 文書番号.
    pub document_number: String,
    /// Title.
    pub title: String,
    /// The issuing organisation.
    pub organisation: String,
    /// Issuer as printed.
    pub issuer: String,
    /// Issued at (ISO 8601, JST).
    pub issued_at: String,
    /// Issued at in Japanese.
    pub issued_at_display: String,
    /// `valid`, `revoked`, `superseded`.
    pub status: String,
    /// Status in Japanese.
    pub status_label: String,
    /// Revocation reason.
    pub revoked_reason: String,
    /// Revoked at (ISO 8601).
    pub revoked_at: Option<String>,
    /// Number of the document that replaced it.
    pub superseded_by: Option<String>,
    /// SHA-256 of the issued file.
    pub file_sha256: String,
    /// The printed content hash.
    pub content_hash: String,
    /// Verification code.
    pub verify_code: String,
}

/// The full report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Verdict.
    pub verdict: Verdict,
    /// Verdict in Japanese.
    pub verdict_label: String,
    /// Whether a signature was found and its cryptography holds over the whole file.
    pub intact: bool,
    /// Whether the signer chains to a trusted root.
    pub trusted_signer: bool,
    /// The signer's certificate name.
    pub signer: String,
    /// Time of the signature timestamp (ISO 8601), if one verified.
    pub timestamp: Option<String>,
    /// The register entry, if the document (or the original of an altered copy) is known.
    pub document: Option<RegisterEntry>,
    /// SHA-256 of the file checked (absent when looked up by code).
    pub file_sha256: Option<String>,
    /// What went wrong, in Japanese.
    pub problems: Vec<String>,
}

fn iso(ms: i64) -> String {
    madoguchi_kernel::time::jst(ms).to_rfc3339()
}

async fn entry(st: &IssuanceState, d: &Document) -> Result<RegisterEntry, AppError> {
    let superseded_by = match d.superseded_by {
        Some(id) => store::document_number(&st.ctx.db, id).await?,
        None => None,
    };
    Ok(RegisterEntry {
        document_number: d.document_number.clone(),
        title: d.title.clone(),
        organisation: store::tenant_name(&st.ctx.db, d.tenant_id).await?,
        issuer: d.issuer.clone(),
        issued_at: iso(d.issued_at),
        issued_at_display: madoguchi_kernel::time::display_datetime(d.issued_at),
        status: d.status.clone(),
        status_label: d.status_label().to_string(),
        revoked_reason: d.revoked_reason.clone(),
        revoked_at: d.revoked_at.map(iso),
        superseded_by,
        file_sha256: d.file_sha256.clone(),
        content_hash: d.content_hash.clone(),
        verify_code: d.verify_code.clone(),
    })
}

fn register_verdict(d: &Document) -> Verdict {
    match d.status.as_str() {
        "revoked" => Verdict::Revoked,
        "superseded" => Verdict::Superseded,
        _ => Verdict::Valid,
    }
}

/// What the register says of a verification code (the QR code's link), without a file.
pub async fn by_code(st: &IssuanceState, code: &str) -> Result<Report, AppError> {
    let code = code.trim().to_uppercase();
    let d = store::document_by(&st.ctx.db, Lookup::VerifyCode, &code)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Report {
        verdict: register_verdict(&d),
        verdict_label: register_verdict(&d).label().into(),
        intact: false,
        trusted_signer: false,
        signer: d.signer.clone(),
        timestamp: Some(iso(d.timestamp_at)),
        document: Some(entry(st, &d).await?),
        file_sha256: None,
        problems: Vec::new(),
    })
}

/// Checks an uploaded file.
pub async fn check_file(st: &IssuanceState, pdf: &[u8]) -> Result<Report, AppError> {
    let file_sha = sha256_hex(pdf);
    let sealer = st.sealer().await.ok();
    let roots = sealer.as_ref().map(|s| s.roots.clone()).unwrap_or_default();
    let mut problems = Vec::new();
    let sigs = crate::pades::find_signatures(pdf);
    let mut signer = String::new();
    let mut timestamp = None;
    let mut intact = false;
    let mut trusted = false;
    let mut signature_value = None;
    match sigs.last() {
        None => problems.push("PDFに電子署名が見つかりません。".to_string()),
        Some(sig) => match cades::decode_signed_data(&sig.cms) {
            Err(_) => problems.push(
                "電子署名のデータを読み取れません（壊れているか、改ざんされています）。".into(),
            ),
            Ok(sd) => {
                signature_value = cades::signature_value(&sd).ok();
                match cades::check_signed_data(&sd, &sig.digest) {
                    Ok(check) => {
                        signer = crate::pki::common_name(&check.cert);
                        if sig.covers_whole_file {
                            intact = true;
                        } else {
                            problems.push("署名の後に内容が追加・変更されています。".into());
                        }
                        match cades::chain_to_root(&check.cert, &cades::certificates(&sd), &roots) {
                            Ok(_) => trusted = true,
                            Err(_) => problems.push(
                                "署名者の証明書を、この窓口が信頼する認証局までたどれません。"
                                    .into(),
                            ),
                        }
                        match cades::signature_timestamp(&sd) {
                            None => problems.push("タイムスタンプがありません。".into()),
                            Some(token) => {
                                match cades::check_timestamp(&token, &check.signature, &roots) {
                                    Ok((t, _)) => {
                                        timestamp =
                                            Some(iso(t.to_unix_duration().as_millis() as i64))
                                    }
                                    Err(_) => {
                                        problems.push("タイムスタンプを検証できません。".into())
                                    }
                                }
                            }
                        }
                    }
                    Err(_) => problems
                        .push("署名の対象（文書の内容）が署名時から変更されています。".into()),
                }
            }
        },
    }
    // The register: this exact file, else the original an altered copy was made from (same signature).
    let exact = store::document_by(&st.ctx.db, Lookup::FileSha256, &file_sha).await?;
    let original = match (&exact, &signature_value) {
        (None, Some(sv)) => {
            store::document_by(&st.ctx.db, Lookup::SignatureSha256, &sha256_hex(sv)).await?
        }
        _ => None,
    };
    let verdict = if sigs.is_empty() {
        Verdict::NotSigned
    } else if !intact || (exact.is_none() && original.is_some()) {
        Verdict::Altered
    } else if let Some(d) = &exact {
        if trusted && timestamp.is_some() {
            register_verdict(d)
        } else {
            Verdict::Unknown
        }
    } else {
        Verdict::Unknown
    };
    if verdict == Verdict::Altered && problems.is_empty() {
        problems.push("交付したファイルと一致しません。".into());
    }
    let document = match exact.as_ref().or(original.as_ref()) {
        Some(d) => Some(entry(st, d).await?),
        None => None,
    };
    Ok(Report {
        verdict,
        verdict_label: verdict.label().into(),
        intact,
        trusted_signer: trusted,
        signer,
        timestamp,
        document,
        file_sha256: Some(file_sha),
        problems,
    })
}
