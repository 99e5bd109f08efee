//! The audit log: who did or saw what, and when. Every view of a submission's personal data is recorded.

use crate::db::{Db, now_ms};
use crate::staff::StaffScope;

/// Records an action by a staff member on a subject (`submission:42`).
pub async fn record(
    db: &Db,
    who: &StaffScope,
    action: &str,
    subject: &str,
    detail: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO audit_log (tenant_id, staff_id, action, subject, detail, at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(who.tenant_id)
        .bind(who.staff_id)
        .bind(action)
        .bind(subject)
        .bind(detail)
        .bind(now_ms())
        .execute(&db.write)
        .await?;
    Ok(())
}

/// Records an event without a signed-in staff member, such as a failed or locked staff login: `staff_id` and
/// `tenant_id` name the account concerned when it exists.
pub async fn record_unauthenticated(
    db: &Db,
    tenant_id: Option<i64>,
    staff_id: Option<i64>,
    action: &str,
    subject: &str,
    detail: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO audit_log (tenant_id, staff_id, action, subject, detail, at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(tenant_id)
        .bind(staff_id)
        .bind(action)
        .bind(subject)
        .bind(detail)
        .bind(now_ms())
        .execute(&db.write)
        .await?;
    Ok(())
}

/// Records an action by a signed-in applicant (no staff member) inside the transaction that makes the change,
/// so the entry exists exactly when the change does: `tenant_id` is the tenant of the subject, `detail` names
/// the applicant (`applicant:7 …`).
pub async fn record_applicant_in(
    conn: &mut sqlx::AnyConnection,
    tenant_id: i64,
    action: &str,
    subject: &str,
    detail: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("INSERT INTO audit_log (tenant_id, staff_id, action, subject, detail, at) VALUES ($1, NULL, $2, $3, $4, $5)")
        .bind(tenant_id)
        .bind(action)
        .bind(subject)
        .bind(detail)
        .bind(now_ms())
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// One audit entry, for display.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    /// Staff name.
    pub staff_name: String,
    /// Action (`view`, `status`, `export` …).
    pub action: String,
    /// Detail text.
    pub detail: String,
    /// When (epoch ms).
    pub at: i64,
}

/// The audit entries of a subject in the caller's tenant, oldest first.
pub async fn for_subject(
    db: &Db,
    scope: &StaffScope,
    subject: &str,
) -> Result<Vec<AuditEntry>, sqlx::Error> {
    use sqlx::Row;
    let rows = sqlx::query(
        "SELECT s.name, a.action, a.detail, a.at FROM audit_log a JOIN staff s ON s.id = a.staff_id
         WHERE a.tenant_id = $1 AND a.subject = $2 ORDER BY a.id",
    )
    .bind(scope.tenant_id)
    .bind(subject)
    .fetch_all(&db.read)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(AuditEntry {
                staff_name: r.try_get("name")?,
                action: r.try_get("action")?,
                detail: r.try_get("detail")?,
                at: r.try_get("at")?,
            })
        })
        .collect()
}
