//! Tenants (local governments, keyed by 全国地方公共団体コード) and their departments (所属).

use crate::db::Db;
use madoguchi_japanese::local_gov::LocalGovCode;
use sqlx::Row;

/// A local government using this installation.
#[derive(Debug, Clone, PartialEq)]
pub struct Tenant {
    /// Internal id.
    pub id: i64,
    /// 6-digit code with check digit.
    pub code: String,
    /// Name (高知県, 高知市).
    pub name: String,
    /// `prefecture` or `municipality`.
    pub kind: String,
    /// The prefecture of a municipality.
    pub parent_id: Option<i64>,
}

/// A department (所属) of a tenant.
#[derive(Debug, Clone, PartialEq)]
pub struct Department {
    /// Internal id.
    pub id: i64,
    /// Owning tenant.
    pub tenant_id: i64,
    /// Code used in form definitions.
    pub code: String,
    /// Name (商工政策課).
    pub name: String,
}

fn tenant_from(row: &sqlx::any::AnyRow) -> Result<Tenant, sqlx::Error> {
    Ok(Tenant {
        id: row.try_get("id")?,
        code: row.try_get("code")?,
        name: row.try_get("name")?,
        kind: row.try_get("kind")?,
        parent_id: row.try_get("parent_id")?,
    })
}

/// Registers a tenant; the code's check digit is validated and a municipality must name its prefecture.
pub async fn insert_tenant(
    db: &Db,
    code: &LocalGovCode,
    name: &str,
    parent: Option<i64>,
) -> anyhow::Result<Tenant> {
    let kind = if code.is_prefecture() {
        "prefecture"
    } else {
        "municipality"
    };
    anyhow::ensure!(
        (kind == "prefecture") == parent.is_none(),
        "a municipality belongs to a prefecture, a prefecture to none ({code})"
    );
    let row = sqlx::query(
        "INSERT INTO tenants (code, name, kind, parent_id) VALUES ($1, $2, $3, $4)
         RETURNING id, code, name, kind, parent_id",
    )
    .bind(code.as_str())
    .bind(name)
    .bind(kind)
    .bind(parent)
    .fetch_one(&db.write)
    .await?;
    Ok(tenant_from(&row)?)
}

/// Renames a tenant (高知市 → its new official name); returns whether it existed.
pub async fn rename_tenant(db: &Db, id: i64, name: &str) -> Result<bool, sqlx::Error> {
    Ok(sqlx::query("UPDATE tenants SET name = $1 WHERE id = $2")
        .bind(name)
        .bind(id)
        .execute(&db.write)
        .await?
        .rows_affected()
        > 0)
}

/// Finds a tenant by its code.
pub async fn find_tenant_by_code(db: &Db, code: &str) -> Result<Option<Tenant>, sqlx::Error> {
    sqlx::query("SELECT id, code, name, kind, parent_id FROM tenants WHERE code = $1")
        .bind(code)
        .fetch_optional(&db.read)
        .await?
        .map(|r| tenant_from(&r))
        .transpose()
}

/// Finds a tenant by id.
pub async fn find_tenant(db: &Db, id: i64) -> Result<Tenant, sqlx::Error> {
    let row = sqlx::query("SELECT id, code, name, kind, parent_id FROM tenants WHERE id = $1")
        .bind(id)
        .fetch_one(&db.read)
        .await?;
    tenant_from(&row)
}

/// All tenants, prefectures first.
pub async fn list_tenants(db: &Db) -> Result<Vec<Tenant>, sqlx::Error> {
    sqlx::query("SELECT id, code, name, kind, parent_id FROM tenants ORDER BY kind DESC, code")
        .fetch_all(&db.read)
        .await?
        .iter()
        .map(tenant_from)
        .collect()
}

/// Adds a department to a tenant.
pub async fn insert_department(
    db: &Db,
    tenant_id: i64,
    code: &str,
    name: &str,
) -> anyhow::Result<Department> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO departments (tenant_id, code, name) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(tenant_id)
    .bind(code)
    .bind(name)
    .fetch_one(&db.write)
    .await?;
    Ok(Department {
        id,
        tenant_id,
        code: code.into(),
        name: name.into(),
    })
}

/// The departments of a tenant.
pub async fn list_departments(db: &Db, tenant_id: i64) -> Result<Vec<Department>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, tenant_id, code, name FROM departments WHERE tenant_id = $1 ORDER BY code",
    )
    .bind(tenant_id)
    .fetch_all(&db.read)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Department {
                id: r.try_get("id")?,
                tenant_id: r.try_get("tenant_id")?,
                code: r.try_get("code")?,
                name: r.try_get("name")?,
            })
        })
        .collect()
}

/// Finds a tenant's department by its code.
pub async fn find_department_by_code(
    db: &Db,
    tenant_id: i64,
    code: &str,
) -> Result<Option<Department>, sqlx::Error> {
    Ok(list_departments(db, tenant_id)
        .await?
        .into_iter()
        .find(|d| d.code == code))
}
