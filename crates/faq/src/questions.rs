//! The question log: every question asked, masked before it is stored, with what was answered and the
//! resident's feedback. Source of the unanswered list and the analytics.

use crate::store::Audience;
use madoguchi_kernel::{AppError, Db, StaffScope, now_ms};
use sqlx::Row;

/// How a question ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feedback {
    /// 解決した.
    Resolved,
    /// 解決しなかった.
    Unresolved,
    /// Went on to contact the department.
    Contacted,
}

impl Feedback {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Feedback::Resolved => "resolved",
            Feedback::Unresolved => "unresolved",
            Feedback::Contacted => "contacted",
        }
    }
    /// Parses the stored name.
    pub fn parse(s: &str) -> Option<Feedback> {
        match s {
            "resolved" => Some(Feedback::Resolved),
            "unresolved" => Some(Feedback::Unresolved),
            "contacted" => Some(Feedback::Contacted),
            _ => None,
        }
    }
}

/// Records a question; `question` must already be masked. Returns its id.
pub async fn record(
    db: &Db,
    tenant_id: i64,
    audience: Audience,
    conversation: &str,
    masked_question: &str,
    answered: Option<(i64, &str)>,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO faq_questions (tenant_id, audience, conversation, question, entry_id, category, outcome, asked_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(tenant_id)
    .bind(audience.as_str())
    .bind(conversation)
    .bind(masked_question)
    .bind(answered.map(|a| a.0))
    .bind(answered.map(|a| a.1).unwrap_or(""))
    .bind(if answered.is_some() { "answered" } else { "no_answer" })
    .bind(now_ms())
    .fetch_one(&db.write)
    .await
}

/// Stores feedback on a question of a conversation. The conversation id is a random value only the asking
/// browser has, so nobody else can mark a question. Returns false when no such question exists.
pub async fn give_feedback(
    db: &Db,
    tenant_id: i64,
    question_id: i64,
    conversation: &str,
    feedback: Feedback,
) -> Result<bool, sqlx::Error> {
    let n = sqlx::query(
        "UPDATE faq_questions SET feedback = $1, feedback_at = $2
         WHERE id = $3 AND tenant_id = $4 AND conversation = $5",
    )
    .bind(feedback.as_str())
    .bind(now_ms())
    .bind(question_id)
    .bind(tenant_id)
    .bind(conversation)
    .execute(&db.write)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// A logged question, for the staff pages.
#[derive(Debug, Clone)]
pub struct Logged {
    /// Id.
    pub id: i64,
    /// Audience asked in.
    pub audience: String,
    /// Conversation id.
    pub conversation: String,
    /// Masked question.
    pub question: String,
    /// The entry answered with.
    pub entry_id: Option<i64>,
    /// Its category at the time.
    pub category: String,
    /// `answered` / `no_answer`.
    pub outcome: String,
    /// Feedback, if any.
    pub feedback: Option<Feedback>,
    /// A Q&A written from this question.
    pub handled_entry_id: Option<i64>,
    /// When asked (epoch ms).
    pub asked_at: i64,
}

fn logged_from(r: &sqlx::any::AnyRow) -> Result<Logged, sqlx::Error> {
    let feedback: Option<String> = r.try_get("feedback")?;
    Ok(Logged {
        id: r.try_get("id")?,
        audience: r.try_get("audience")?,
        conversation: r.try_get("conversation")?,
        question: r.try_get("question")?,
        entry_id: r.try_get("entry_id")?,
        category: r.try_get("category")?,
        outcome: r.try_get("outcome")?,
        feedback: feedback.as_deref().and_then(Feedback::parse),
        handled_entry_id: r.try_get("handled_entry_id")?,
        asked_at: r.try_get("asked_at")?,
    })
}

const COLUMNS: &str = "id, audience, conversation, question, entry_id, category, outcome, feedback, handled_entry_id, asked_at";

/// The caller's tenant's questions asked since `since` (epoch ms), oldest first.
pub async fn since(db: &Db, scope: &StaffScope, since: i64) -> Result<Vec<Logged>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM faq_questions WHERE tenant_id = $1 AND asked_at >= $2 ORDER BY id"
    ))
    .bind(scope.tenant_id)
    .bind(since)
    .fetch_all(&db.read)
    .await?;
    rows.iter().map(logged_from).collect()
}

/// Questions with no good answer or marked 解決しなかった that no Q&A was written from yet, newest first.
pub async fn unanswered(
    db: &Db,
    scope: &StaffScope,
    limit: i64,
) -> Result<Vec<Logged>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM faq_questions
         WHERE tenant_id = $1 AND handled_entry_id IS NULL
           AND (outcome = 'no_answer' OR feedback = 'unresolved')
         ORDER BY id DESC LIMIT $2"
    ))
    .bind(scope.tenant_id)
    .bind(limit)
    .fetch_all(&db.read)
    .await?;
    rows.iter().map(logged_from).collect()
}

/// One question of the caller's tenant.
pub async fn find(db: &Db, scope: &StaffScope, id: i64) -> Result<Logged, AppError> {
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM faq_questions WHERE tenant_id = $1 AND id = $2"
    ))
    .bind(scope.tenant_id)
    .bind(id)
    .fetch_optional(&db.read)
    .await?
    .ok_or(AppError::NotFound)?;
    Ok(logged_from(&row)?)
}

/// Marks questions of the caller's tenant as answered by a newly written entry.
pub async fn mark_handled(
    db: &Db,
    scope: &StaffScope,
    ids: &[i64],
    entry_id: i64,
) -> Result<(), sqlx::Error> {
    for id in ids {
        sqlx::query(
            "UPDATE faq_questions SET handled_entry_id = $1 WHERE id = $2 AND tenant_id = $3",
        )
        .bind(entry_id)
        .bind(*id)
        .bind(scope.tenant_id)
        .execute(&db.write)
        .await?;
    }
    Ok(())
}
