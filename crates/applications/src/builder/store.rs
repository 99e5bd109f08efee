//! The builder's working copies (`builder_drafts`): one per tenant and URL name, changed part by part and
//! published as a new version. Every change bumps `revision`; a change made on a page showing an older
//! revision is refused rather than silently overwriting someone else's edit.

use madoguchi_forms::FormDefinition;
use madoguchi_kernel::{AppError, Db, StaffScope, now_ms};
use sqlx::Row;

/// A working copy.
#[derive(Debug, Clone)]
pub struct WorkingCopy {
    /// Id.
    pub id: i64,
    /// The published form it edits; None until its first publication.
    pub form_id: Option<i64>,
    /// URL name.
    pub slug: String,
    /// The definition being edited.
    pub definition: FormDefinition,
    /// Bumped on every change.
    pub revision: i64,
    /// When it last changed.
    pub updated_at: i64,
    /// Who changed it last.
    pub updated_by: String,
}

/// Why a change was not saved.
#[derive(Debug)]
pub enum SaveError {
    /// The page showed an older revision.
    Stale,
    /// Anything else.
    App(AppError),
}

impl<E: Into<AppError>> From<E> for SaveError {
    fn from(e: E) -> Self {
        SaveError::App(e.into())
    }
}

fn from_row(r: &sqlx::any::AnyRow) -> Result<WorkingCopy, AppError> {
    let json: String = r.try_get("definition")?;
    Ok(WorkingCopy {
        id: r.try_get("id")?,
        form_id: r.try_get("form_id")?,
        slug: r.try_get("slug")?,
        definition: FormDefinition::from_json(&json)
            .map_err(|e| anyhow::anyhow!("working copy: {e}"))?,
        revision: r.try_get("revision")?,
        updated_at: r.try_get("updated_at")?,
        updated_by: r.try_get("by_name")?,
    })
}

const SELECT: &str = "SELECT d.id, d.form_id, d.slug, d.definition, d.revision, d.updated_at,
        COALESCE(s.name, '') AS by_name
     FROM builder_drafts d LEFT JOIN staff s ON s.id = d.updated_by";

/// The caller's tenant's working copy `id`.
pub async fn find(db: &Db, scope: &StaffScope, id: i64) -> Result<WorkingCopy, AppError> {
    let row = sqlx::query(&format!("{SELECT} WHERE d.tenant_id = $1 AND d.id = $2"))
        .bind(scope.tenant_id)
        .bind(id)
        .fetch_optional(&db.read)
        .await?
        .ok_or(AppError::NotFound)?;
    from_row(&row)
}

/// The working copy of the tenant's URL name, if someone is editing it.
pub async fn find_by_slug(
    db: &Db,
    scope: &StaffScope,
    slug: &str,
) -> Result<Option<WorkingCopy>, AppError> {
    let row = sqlx::query(&format!("{SELECT} WHERE d.tenant_id = $1 AND d.slug = $2"))
        .bind(scope.tenant_id)
        .bind(slug)
        .fetch_optional(&db.read)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Every working copy of the caller's tenant, newest change first.
pub async fn list(db: &Db, scope: &StaffScope) -> Result<Vec<WorkingCopy>, AppError> {
    let rows = sqlx::query(&format!(
        "{SELECT} WHERE d.tenant_id = $1 ORDER BY d.updated_at DESC, d.id DESC"
    ))
    .bind(scope.tenant_id)
    .fetch_all(&db.read)
    .await?;
    rows.iter().map(from_row).collect()
}

/// Starts a working copy; None when the URL name already has one.
pub async fn create(
    db: &Db,
    scope: &StaffScope,
    form_id: Option<i64>,
    slug: &str,
    def: &FormDefinition,
) -> Result<Option<i64>, AppError> {
    let json = serde_json::to_string(def).expect("definitions serialise");
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO builder_drafts (tenant_id, form_id, slug, definition, revision, updated_by, updated_at)
         VALUES ($1, $2, $3, $4, 1, $5, $6) ON CONFLICT (tenant_id, slug) DO NOTHING RETURNING id",
    )
    .bind(scope.tenant_id)
    .bind(form_id)
    .bind(slug)
    .bind(json)
    .bind(scope.staff_id)
    .bind(now_ms())
    .fetch_optional(&db.write)
    .await?;
    Ok(id)
}

/// Saves a changed definition if the copy is still at `revision`; returns the new revision.
pub async fn save(
    db: &Db,
    scope: &StaffScope,
    id: i64,
    revision: i64,
    def: &FormDefinition,
) -> Result<i64, SaveError> {
    let json = serde_json::to_string(def).expect("definitions serialise");
    let done = sqlx::query(
        "UPDATE builder_drafts SET definition = $1, revision = revision + 1, updated_by = $2, updated_at = $3
         WHERE tenant_id = $4 AND id = $5 AND revision = $6",
    )
    .bind(json)
    .bind(scope.staff_id)
    .bind(now_ms())
    .bind(scope.tenant_id)
    .bind(id)
    .bind(revision)
    .execute(&db.write)
    .await?;
    if done.rows_affected() == 0 {
        // Either gone or changed meanwhile: tell which.
        find(db, scope, id).await.map_err(SaveError::App)?;
        return Err(SaveError::Stale);
    }
    Ok(revision + 1)
}

/// Deletes a working copy (after publishing it, or when the editor discards it).
pub async fn delete(db: &Db, scope: &StaffScope, id: i64) -> Result<(), AppError> {
    sqlx::query("DELETE FROM builder_drafts WHERE tenant_id = $1 AND id = $2")
        .bind(scope.tenant_id)
        .bind(id)
        .execute(&db.write)
        .await?;
    Ok(())
}
