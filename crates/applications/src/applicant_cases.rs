//! The applicant's side of a submission (my page, マイページ): their applications, withdrawal (取下げ),
//! resubmission after a return for correction (差戻し) under the same receipt number, and messages to staff.
//!
//! Every function takes the signed-in [`Applicant`] and filters by its id in SQL: an application of another
//! applicant is "not found", so changing an id in a URL reveals nothing (ADR 0014).

use crate::submissions::{Correction, Event, Revision, Status, SubmissionDetail};
use madoguchi_forms::{Answers, FormDefinition};
use madoguchi_kernel::jobs::enqueue_in;
use madoguchi_kernel::mail::SendMail;
use madoguchi_kernel::{AppError, Applicant, Db, now_ms};
use serde_json::Value;
use sqlx::Row;

/// One row of the applicant's list of applications.
#[derive(Debug, Clone)]
pub struct CaseRow {
    /// Submission id.
    pub id: i64,
    /// 受付番号.
    pub receipt_number: String,
    /// Form title as it was when submitted.
    pub form_title: String,
    /// The tenant (municipality or prefecture) the application went to.
    pub tenant_name: String,
    /// Status.
    pub status: Status,
    /// Submitted at (epoch ms).
    pub submitted_at: i64,
    /// Last change (epoch ms).
    pub updated_at: i64,
}

/// The title of a stored definition (JSON) in `lang`: its translation's when it has one, else the Japanese.
pub fn title_in(definition: &str, lang: madoguchi_forms::Lang) -> String {
    let v = serde_json::from_str::<Value>(definition).ok();
    let translated = lang.translation_key().and_then(|code| {
        v.as_ref()?
            .pointer(&format!("/translations/{code}/title"))?
            .as_str()
            .filter(|t| !t.trim().is_empty())
            .map(String::from)
    });
    translated
        .or_else(|| {
            v.as_ref()
                .and_then(|v| v.get("title").and_then(Value::as_str).map(String::from))
        })
        .unwrap_or_default()
}

/// The applicant's applications, newest first.
pub async fn list(db: &Db, applicant: &Applicant) -> Result<Vec<CaseRow>, AppError> {
    list_in(db, applicant, madoguchi_forms::Lang::Ja).await
}

/// [`list`] with the procedures' titles in `lang` where the form is translated.
pub async fn list_in(
    db: &Db,
    applicant: &Applicant,
    lang: madoguchi_forms::Lang,
) -> Result<Vec<CaseRow>, AppError> {
    let rows = sqlx::query(
        "SELECT s.id, s.receipt_number, s.status, s.submitted_at, s.updated_at, v.definition, t.name AS tenant_name
         FROM submissions s JOIN form_versions v ON v.id = s.form_version_id JOIN tenants t ON t.id = s.tenant_id
         WHERE s.applicant_id = $1 ORDER BY s.submitted_at DESC, s.id DESC",
    )
    .bind(applicant.id)
    .fetch_all(&db.read)
    .await?;
    rows.iter()
        .map(|r| {
            let status: String = r.try_get("status")?;
            let def: String = r.try_get("definition")?;
            Ok(CaseRow {
                id: r.try_get("id")?,
                receipt_number: r.try_get("receipt_number")?,
                form_title: title_in(&def, lang),
                tenant_name: r.try_get("tenant_name")?,
                status: Status::parse(&status).unwrap_or(Status::Received),
                submitted_at: r.try_get("submitted_at")?,
                updated_at: r.try_get("updated_at")?,
            })
        })
        .collect()
}

/// An application of the signed-in applicant with what my page shows about it.
#[derive(Debug, Clone)]
pub struct Case {
    /// The submission.
    pub sub: SubmissionDetail,
    /// The definition it was made with.
    pub definition: FormDefinition,
    /// Its version number.
    pub version: i64,
    /// The tenant the application went to.
    pub tenant_id: i64,
    /// Tenant name.
    pub tenant_name: String,
    /// Last change (epoch ms).
    pub updated_at: i64,
}

/// Loads one of the applicant's applications; anything else is "not found".
pub async fn find(db: &Db, applicant: &Applicant, id: i64) -> Result<Case, AppError> {
    let row = sqlx::query(
        "SELECT s.id, s.form_id, s.department_id, s.form_version_id, s.receipt_number, s.status, s.answers,
                s.submitted_at, s.updated_at, s.applicant_email, s.tenant_id, t.name AS tenant_name
         FROM submissions s JOIN tenants t ON t.id = s.tenant_id
         WHERE s.id = $1 AND s.applicant_id = $2",
    )
    .bind(id)
    .bind(applicant.id)
    .fetch_optional(&db.read)
    .await?
    .ok_or(AppError::NotFound)?;
    let answers: String = row.try_get("answers")?;
    let status: String = row.try_get("status")?;
    let sub = SubmissionDetail {
        id: row.try_get("id")?,
        form_id: row.try_get("form_id")?,
        department_id: row.try_get("department_id")?,
        form_version_id: row.try_get("form_version_id")?,
        receipt_number: row.try_get("receipt_number")?,
        status: Status::parse(&status).unwrap_or(Status::Received),
        answers: serde_json::from_str(&answers).map_err(|e| AppError::Internal(e.into()))?,
        submitted_at: row.try_get("submitted_at")?,
        applicant_email: row.try_get("applicant_email")?,
    };
    let (version, definition) =
        crate::forms_store::definition_by_version_id(db, sub.form_version_id).await?;
    Ok(Case {
        sub,
        definition,
        version,
        tenant_id: row.try_get("tenant_id")?,
        tenant_name: row.try_get("tenant_name")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// The history the applicant sees: status changes and messages, never staff's internal comments.
pub async fn history(db: &Db, case: &Case) -> Result<Vec<Event>, AppError> {
    Ok(crate::submissions::events(db, &case.sub)
        .await?
        .into_iter()
        .filter(|e| e.kind != "comment")
        .collect())
}

/// The correction requests of the applicant's application.
pub async fn corrections(db: &Db, case: &Case) -> Result<Vec<Correction>, AppError> {
    crate::submissions::corrections(db, case.sub.id).await
}

/// Earlier versions of the applicant's answers.
pub async fn revisions(db: &Db, case: &Case) -> Result<Vec<Revision>, AppError> {
    crate::submissions::revisions(db, case.sub.id).await
}

/// What the department is told the applicant did (`what`: 取下げ, 再提出 or メッセージ), as one sentence.
fn department_sentence(what: &str, receipt: &str) -> String {
    match what {
        "取下げ" => format!("受付番号 {receipt} の申請を、申請者が取り下げました。"),
        "再提出" => format!("受付番号 {receipt} の申請を、申請者が修正して再提出しました。"),
        _ => format!("受付番号 {receipt} の申請について、申請者から{what}が届いています。"),
    }
}

/// The notice without personal data the department's contact address gets when an applicant acts.
fn department_notice(case: &Case, what: &str, public_url: &str) -> Option<SendMail> {
    let to = case.definition.contact.email.clone();
    (!to.is_empty()).then(|| SendMail {
        to,
        subject: format!("【{what}】受付番号 {}", case.sub.receipt_number),
        body: format!(
            "{}\n内容は次の画面でご確認ください。\n\n{public_url}/staff/submissions/{}\n",
            department_sentence(what, &case.sub.receipt_number),
            case.sub.id
        ),
    })
}

/// Why my page refused an applicant's action on their application, said in their language by
/// [`CaseRefusal::text`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseRefusal {
    /// The application is past the point where it can be withdrawn (its status now).
    NotWithdrawable(Status),
    /// The status changed meanwhile (another tab, staff).
    Changed,
    /// Only a returned application can be resubmitted.
    NotReturned,
    /// An empty message.
    MessageEmpty,
    /// A message longer than [`crate::submissions::MAX_MESSAGE`].
    MessageTooLong,
}

impl CaseRefusal {
    /// The refusal in `lang` (no fallback arm: each refusal has every language).
    pub fn text(self, lang: madoguchi_forms::Lang) -> String {
        use madoguchi_forms::Lang::{Easy, En, Ja};
        let max = crate::submissions::MAX_MESSAGE;
        match (self, lang) {
            (CaseRefusal::NotWithdrawable(s), Ja) => {
                format!("「{}」の申請は取り下げられません。", s.label())
            }
            (CaseRefusal::NotWithdrawable(s), En) => format!(
                "An application that is \u{201c}{}\u{201d} cannot be withdrawn.",
                s.label_in(En)
            ),
            (CaseRefusal::NotWithdrawable(s), Easy) => format!(
                "「{}」の もうしこみは とりさげられません。",
                s.label_in(Easy)
            ),
            (CaseRefusal::Changed, Ja) => {
                "申請の状況が変わりました。画面を更新してください。".into()
            }
            (CaseRefusal::Changed, En) => {
                "The status of the application has changed. Please reload the page.".into()
            }
            (CaseRefusal::Changed, Easy) => {
                "もうしこみの ようすが かわりました。がめんを もう いちど ひらいて ください。"
                    .into()
            }
            (CaseRefusal::NotReturned, Ja) => "差戻し中の申請だけを再提出できます。".into(),
            (CaseRefusal::NotReturned, En) => {
                "Only an application returned for changes can be sent again.".into()
            }
            (CaseRefusal::NotReturned, Easy) => {
                "「なおして ください」の もうしこみだけ、もう いちど おくれます。".into()
            }
            (CaseRefusal::MessageEmpty, Ja) => "メッセージを入力してください。".into(),
            (CaseRefusal::MessageEmpty, En) => "Enter your message.".into(),
            (CaseRefusal::MessageEmpty, Easy) => "メッセージを かいて ください。".into(),
            (CaseRefusal::MessageTooLong, Ja) => {
                format!("メッセージは{max}文字以内で入力してください。")
            }
            (CaseRefusal::MessageTooLong, En) => {
                format!("Your message must be {max} characters or fewer.")
            }
            (CaseRefusal::MessageTooLong, Easy) => {
                format!("メッセージは {max}もじまでに して ください。")
            }
        }
    }
}

/// A refused action, or a failure of the service.
#[derive(Debug)]
pub enum CaseError {
    /// Refused: said to the applicant in their language.
    Refused(CaseRefusal),
    /// Anything else (not found, database).
    App(AppError),
}

impl From<AppError> for CaseError {
    fn from(e: AppError) -> Self {
        CaseError::App(e)
    }
}

impl From<sqlx::Error> for CaseError {
    fn from(e: sqlx::Error) -> Self {
        CaseError::App(e.into())
    }
}

impl From<CaseError> for AppError {
    /// Channels that do not choose a language get the Japanese refusal (409 or 400).
    fn from(e: CaseError) -> Self {
        match e {
            CaseError::Refused(r @ (CaseRefusal::MessageEmpty | CaseRefusal::MessageTooLong)) => {
                AppError::BadRequest(r.text(madoguchi_forms::Lang::Ja))
            }
            CaseError::Refused(r) => AppError::Conflict(r.text(madoguchi_forms::Lang::Ja)),
            CaseError::App(e) => e,
        }
    }
}

/// Withdraws (取下げ) an application that is not yet decided.
pub async fn withdraw(
    db: &Db,
    applicant: &Applicant,
    id: i64,
    public_url: &str,
) -> Result<(), CaseError> {
    let case = find(db, applicant, id).await?;
    if !case.sub.status.can_withdraw() {
        return Err(CaseError::Refused(CaseRefusal::NotWithdrawable(
            case.sub.status,
        )));
    }
    let now = now_ms();
    let mut tx = db.write.begin().await?;
    let n = sqlx::query(
        "UPDATE submissions SET status = 'withdrawn', updated_at = $1
         WHERE id = $2 AND applicant_id = $3 AND status = $4",
    )
    .bind(now)
    .bind(id)
    .bind(applicant.id)
    .bind(case.sub.status.as_str())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n != 1 {
        return Err(CaseError::Refused(CaseRefusal::Changed));
    }
    sqlx::query(
        "INSERT INTO submission_events (submission_id, kind, from_status, to_status, body, at)
         VALUES ($1, 'status', $2, 'withdrawn', '申請者が取り下げました', $3)",
    )
    .bind(id)
    .bind(case.sub.status.as_str())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    if let Some(mail) = department_notice(&case, "取下げ", public_url) {
        enqueue_in(&mut tx, &mail).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// A message from the applicant to staff about their application.
pub async fn post_message(
    db: &Db,
    applicant: &Applicant,
    id: i64,
    body: &str,
    public_url: &str,
) -> Result<(), CaseError> {
    let case = find(db, applicant, id).await?;
    let body = body.trim();
    if body.is_empty() {
        return Err(CaseError::Refused(CaseRefusal::MessageEmpty));
    }
    if body.chars().count() > crate::submissions::MAX_MESSAGE {
        return Err(CaseError::Refused(CaseRefusal::MessageTooLong));
    }
    let mut tx = db.write.begin().await?;
    sqlx::query(
        "INSERT INTO submission_events (submission_id, kind, body, at) VALUES ($1, 'message', $2, $3)",
    )
    .bind(id)
    .bind(body)
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    if let Some(mail) = department_notice(&case, "メッセージ", public_url) {
        enqueue_in(&mut tx, &mail).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// Keys of the parts the applicant may change now: those with an open correction request, or every part when
/// staff returned the application without naming parts.
pub fn editable_parts(case: &Case, corrections: &[Correction]) -> Vec<String> {
    let open: Vec<String> = corrections
        .iter()
        .filter(|c| c.resolved_at.is_none())
        .map(|c| c.part_key.clone())
        .collect();
    if open.is_empty() {
        case.definition
            .parts
            .iter()
            .filter(|p| p.kind.has_value())
            .map(|p| p.key.clone())
            .collect()
    } else {
        open
    }
}

/// Resubmits corrected answers under the same receipt number: the answers before are kept as a revision,
/// open correction requests are resolved, new attachments are linked, and the application goes back to
/// review (審査中). Only a returned application can be resubmitted.
pub async fn resubmit(
    db: &Db,
    applicant: &Applicant,
    case: &Case,
    admitted: crate::submissions::Admitted,
    public_url: &str,
) -> Result<(), CaseError> {
    let answers = admitted.answers();
    let attachment_ids = admitted.attachment_ids();
    if case.sub.status != Status::Returned {
        return Err(CaseError::Refused(CaseRefusal::NotReturned));
    }
    let now = now_ms();
    let id = case.sub.id;
    let mut tx = db.write.begin().await?;
    let n = sqlx::query(
        "UPDATE submissions SET answers = $1, applicant_name = $2, search_key = $6, status = 'in_review',
             updated_at = $3
         WHERE id = $4 AND applicant_id = $5 AND status = 'returned'",
    )
    .bind(serde_json::to_string(answers).expect("answers serialise"))
    .bind(crate::submissions::applicant_name(answers))
    .bind(now)
    .bind(id)
    .bind(applicant.id)
    .bind(crate::submissions::search_text(answers))
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n != 1 {
        return Err(CaseError::Refused(CaseRefusal::Changed));
    }
    sqlx::query(
        "INSERT INTO submission_revisions (submission_id, answers, replaced_at) VALUES ($1, $2, $3)",
    )
    .bind(id)
    .bind(serde_json::to_string(&case.sub.answers).expect("answers serialise"))
    .bind(now)
    .execute(&mut *tx)
    .await?;
    for att in attachment_ids {
        // Files already linked (kept from before) are left as they are; new uploads join the submission.
        sqlx::query(
            "UPDATE attachments SET submission_id = $1 WHERE id = $2 AND submission_id IS NULL",
        )
        .bind(id)
        .bind(att)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query(
        "UPDATE submission_corrections SET resolved_at = $1 WHERE submission_id = $2 AND resolved_at IS NULL",
    )
    .bind(now)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO submission_events (submission_id, kind, from_status, to_status, body, at)
         VALUES ($1, 'status', 'returned', 'in_review', '申請者が修正して再提出しました', $2)",
    )
    .bind(id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    if let Some(mail) = department_notice(case, "再提出", public_url) {
        enqueue_in(&mut tx, &mail).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// One answer that a resubmission changed.
#[derive(Debug, Clone, PartialEq)]
pub struct AnswerChange {
    /// The part's label (with its group item, if any).
    pub label: String,
    /// The answer before (empty when there was none).
    pub before: String,
    /// The answer after.
    pub after: String,
}

fn keyed_rows(def: &FormDefinition, answers: &Answers) -> Vec<(String, String)> {
    let mut context: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for r in crate::render::answer_rows(def, answers) {
        context.truncate(r.depth);
        if r.heading {
            context.push(r.label.clone());
            continue;
        }
        let mut value = r.value.clone();
        for f in &r.files {
            value.push_str(&format!("\n{}", f.name));
        }
        let mut label = context.join(" ");
        if !label.is_empty() {
            label.push(' ');
        }
        label.push_str(&r.label);
        out.push((label, value.trim().to_string()));
    }
    out
}

/// The answers a resubmission changed, in the form's order (the diff shown to staff and the applicant).
pub fn answer_changes(
    def: &FormDefinition,
    before: &Answers,
    after: &Answers,
) -> Vec<AnswerChange> {
    let old = keyed_rows(def, before);
    let new = keyed_rows(def, after);
    let mut labels: Vec<&String> = old.iter().map(|(k, _)| k).collect();
    for (k, _) in &new {
        if !labels.contains(&k) {
            labels.push(k);
        }
    }
    let value = |rows: &[(String, String)], k: &str| {
        rows.iter()
            .find(|(x, _)| x == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    labels
        .into_iter()
        .filter_map(|k| {
            let (b, a) = (value(&old, k), value(&new, k));
            (b != a).then(|| AnswerChange {
                label: k.clone(),
                before: b,
                after: a,
            })
        })
        .collect()
}
