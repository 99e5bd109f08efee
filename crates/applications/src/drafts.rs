//! Drafts: what an applicant has entered so far, kept server-side between the input and confirmation
//! pages (and, with attachments, across the two). The token is a bearer secret; only its hash is stored.

use madoguchi_forms::RawInput;
use madoguchi_kernel::ids::{new_token, token_hash};
use madoguchi_kernel::{AppError, Db, now_ms};
use sqlx::Row;

/// Saves raw input as a draft; returns the token (a new one when `token` is None).
pub async fn save(
    db: &Db,
    token: Option<&str>,
    form_version_id: i64,
    raw: &RawInput,
    hours: i64,
) -> Result<String, AppError> {
    let token = token.map(String::from).unwrap_or_else(new_token);
    let now = now_ms();
    let json = serde_json::to_string(raw).expect("raw input serialises");
    sqlx::query(
        "INSERT INTO drafts (token_hash, form_version_id, raw_input, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (token_hash) DO UPDATE SET raw_input = excluded.raw_input, form_version_id = excluded.form_version_id,
             expires_at = excluded.expires_at",
    )
    .bind(token_hash(&token))
    .bind(form_version_id)
    .bind(json)
    .bind(now)
    .bind(now + hours * 3_600_000)
    .execute(&db.write)
    .await?;
    Ok(token)
}

/// Loads a live draft: (form version id, raw input).
pub async fn load(db: &Db, token: &str) -> Result<Option<(i64, RawInput)>, AppError> {
    let row = sqlx::query(
        "SELECT form_version_id, raw_input FROM drafts WHERE token_hash = $1 AND expires_at > $2",
    )
    .bind(token_hash(token))
    .bind(now_ms())
    .fetch_optional(&db.read)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let json: String = row.try_get("raw_input")?;
    let raw = serde_json::from_str(&json).map_err(|e| AppError::Internal(e.into()))?;
    Ok(Some((row.try_get("form_version_id")?, raw)))
}
