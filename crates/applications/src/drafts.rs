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

/// A draft kept for later: its stable id (the token changes when it is resumed elsewhere) and expiry.
#[derive(Debug, Clone)]
pub struct Kept {
    /// Stable id of the draft.
    pub draft_id: String,
    /// When it is deleted (epoch ms).
    pub expires_at: i64,
}

/// Keeps a draft for later: gives it a stable id and, for a signed-in applicant, links it to them (a draft
/// already linked to someone stays theirs).
pub async fn keep(db: &Db, token: &str, applicant_id: Option<i64>) -> Result<Kept, AppError> {
    let hash = token_hash(token);
    sqlx::query(
        "UPDATE drafts SET draft_id = COALESCE(draft_id, $1), applicant_id = COALESCE(applicant_id, $2)
         WHERE token_hash = $3",
    )
    .bind(new_token())
    .bind(applicant_id)
    .bind(&hash)
    .execute(&db.write)
    .await?;
    let row = sqlx::query("SELECT draft_id, expires_at FROM drafts WHERE token_hash = $1")
        .bind(&hash)
        .fetch_one(&db.read)
        .await?;
    Ok(Kept {
        draft_id: row.try_get("draft_id")?,
        expires_at: row.try_get("expires_at")?,
    })
}

/// Gives a live draft a new token and returns it: the draft continues on this device, and the old token
/// (in another browser, or a mail) no longer opens it. `applicant_id` limits it to that applicant's drafts.
pub async fn rotate(
    db: &Db,
    draft_id: &str,
    applicant_id: Option<i64>,
) -> Result<Option<String>, AppError> {
    let token = new_token();
    let n = sqlx::query(
        "UPDATE drafts SET token_hash = $1
         WHERE draft_id = $2 AND expires_at > $3 AND ($4 IS NULL OR applicant_id = $4)",
    )
    .bind(token_hash(&token))
    .bind(draft_id)
    .bind(now_ms())
    .bind(applicant_id)
    .execute(&db.write)
    .await?
    .rows_affected();
    Ok((n == 1).then_some(token))
}

/// Links a live draft to an applicant who has just resumed it (if it belongs to nobody yet).
pub async fn claim(db: &Db, token: &str, applicant_id: i64) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE drafts SET applicant_id = $1 WHERE token_hash = $2 AND applicant_id IS NULL",
    )
    .bind(applicant_id)
    .bind(token_hash(token))
    .execute(&db.write)
    .await?;
    Ok(())
}

/// A draft as listed on my page.
#[derive(Debug, Clone)]
pub struct DraftRow {
    /// Stable id.
    pub draft_id: String,
    /// Form title.
    pub form_title: String,
    /// Tenant name.
    pub tenant_name: String,
    /// Form URL path.
    pub form_path: String,
    /// When it is deleted (epoch ms).
    pub expires_at: i64,
}

/// The applicant's live drafts, soonest to expire first.
pub async fn for_applicant(db: &Db, applicant_id: i64) -> Result<Vec<DraftRow>, AppError> {
    for_applicant_in(db, applicant_id, madoguchi_forms::Lang::Ja).await
}

/// [`for_applicant`] with the forms' titles in `lang` where translated.
pub async fn for_applicant_in(
    db: &Db,
    applicant_id: i64,
    lang: madoguchi_forms::Lang,
) -> Result<Vec<DraftRow>, AppError> {
    let rows = sqlx::query(
        "SELECT d.draft_id, d.expires_at, v.definition, f.slug, t.code, t.name AS tenant_name
         FROM drafts d JOIN form_versions v ON v.id = d.form_version_id JOIN forms f ON f.id = v.form_id
         JOIN tenants t ON t.id = f.tenant_id
         WHERE d.applicant_id = $1 AND d.expires_at > $2 AND d.draft_id IS NOT NULL
         ORDER BY d.expires_at",
    )
    .bind(applicant_id)
    .bind(now_ms())
    .fetch_all(&db.read)
    .await?;
    rows.iter()
        .map(|r| {
            let def: String = r.try_get("definition")?;
            let code: String = r.try_get("code")?;
            let slug: String = r.try_get("slug")?;
            Ok(DraftRow {
                draft_id: r.try_get("draft_id")?,
                form_title: crate::applicant_cases::title_in(&def, lang),
                tenant_name: r.try_get("tenant_name")?,
                form_path: format!("/t/{code}/forms/{slug}"),
                expires_at: r.try_get("expires_at")?,
            })
        })
        .collect()
}

/// Where a draft is filled in: the form's path, for a live draft.
pub async fn form_path(db: &Db, draft_id: &str) -> Result<Option<String>, AppError> {
    let row = sqlx::query(
        "SELECT f.slug, t.code FROM drafts d JOIN form_versions v ON v.id = d.form_version_id
         JOIN forms f ON f.id = v.form_id JOIN tenants t ON t.id = f.tenant_id
         WHERE d.draft_id = $1 AND d.expires_at > $2",
    )
    .bind(draft_id)
    .bind(now_ms())
    .fetch_optional(&db.read)
    .await?;
    let Some(r) = row else { return Ok(None) };
    let (code, slug): (String, String) = (r.try_get("code")?, r.try_get("slug")?);
    Ok(Some(format!("/t/{code}/forms/{slug}")))
}

/// Deletes one of the applicant's drafts.
pub async fn delete_for_applicant(
    db: &Db,
    draft_id: &str,
    applicant_id: i64,
) -> Result<bool, AppError> {
    let n = sqlx::query("DELETE FROM drafts WHERE draft_id = $1 AND applicant_id = $2")
        .bind(draft_id)
        .bind(applicant_id)
        .execute(&db.write)
        .await?
        .rows_affected();
    Ok(n == 1)
}
