//! Staff accounts, roles, sessions, and the scope a signed-in staff member works in.
//!
//! [`StaffScope`] is the only way handlers learn who is acting: it is extracted from the session cookie and
//! carries the tenant and the departments the person may see. Queries over tenant data take it first, so a
//! query cannot forget the tenant (see `docs/adr/0003-tenant-scope.md`).

use crate::audit;
use crate::client::ClientAddr;
use crate::config::RateLimitConfig;
use crate::db::{Db, now_ms};
use crate::error::AppError;
use crate::ids::{new_token, token_hash};
use crate::ratelimit::{self, Rule, Verdict};
use crate::state::Ctx;
use argon2::Argon2;
use argon2::password_hash::{
    PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng,
};
use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use sqlx::Row;

/// What a staff member may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// テナント管理者: manages the tenant's departments, staff and forms; sees all its submissions.
    Admin,
    /// フォーム作成者: creates and publishes forms for their departments.
    Editor,
    /// 審査担当者: reviews submissions of their departments.
    Reviewer,
    /// 閲覧者: sees forms and statistics of their departments, no personal data.
    Viewer,
}

impl Role {
    /// Parses the stored role name.
    pub fn parse(s: &str) -> Option<Role> {
        Some(match s {
            "admin" => Role::Admin,
            "editor" => Role::Editor,
            "reviewer" => Role::Reviewer,
            "viewer" => Role::Viewer,
            _ => return None,
        })
    }

    /// The stored role name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Editor => "editor",
            Role::Reviewer => "reviewer",
            Role::Viewer => "viewer",
        }
    }

    /// The role's name in Japanese.
    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "管理者",
            Role::Editor => "フォーム作成者",
            Role::Reviewer => "審査担当者",
            Role::Viewer => "閲覧者",
        }
    }
}

/// The signed-in staff member and what they may reach.
#[derive(Debug, Clone)]
pub struct StaffScope {
    /// Staff id.
    pub staff_id: i64,
    /// Display name.
    pub name: String,
    /// Their tenant; every query is limited to it.
    pub tenant_id: i64,
    /// The tenant's name.
    pub tenant_name: String,
    /// Their role.
    pub role: Role,
    /// Departments they belong to (an admin reaches every department of the tenant).
    pub department_ids: Vec<i64>,
}

impl StaffScope {
    /// Whether this person may read personal data of submissions to a department.
    pub fn can_read_submissions_of(&self, department_id: i64) -> bool {
        match self.role {
            Role::Admin => true,
            Role::Reviewer => self.department_ids.contains(&department_id),
            Role::Editor | Role::Viewer => false,
        }
    }

    /// Whether this person may change submissions (status, comments).
    pub fn can_review(&self, department_id: i64) -> bool {
        self.can_read_submissions_of(department_id)
    }

    /// Whether this person may create and publish forms for a department.
    pub fn can_edit_forms_of(&self, department_id: i64) -> bool {
        match self.role {
            Role::Admin => true,
            Role::Editor => self.department_ids.contains(&department_id),
            _ => false,
        }
    }

    /// Whether this person may see a department's forms' statistics (集計: counts, no personal data): an admin,
    /// or a member of the department whatever their role.
    pub fn can_see_statistics_of(&self, department_id: i64) -> bool {
        match self.role {
            Role::Admin => true,
            _ => self.department_ids.contains(&department_id),
        }
    }

    /// Departments whose submissions this person may list; `None` means all of the tenant's.
    pub fn readable_departments(&self) -> Option<&[i64]> {
        match self.role {
            Role::Admin => None,
            Role::Reviewer => Some(&self.department_ids),
            Role::Editor | Role::Viewer => Some(&[]),
        }
    }

    /// Departments this person belongs to, for statistics without personal data; `None` means all of the
    /// tenant's (an admin).
    pub fn member_departments(&self) -> Option<&[i64]> {
        match self.role {
            Role::Admin => None,
            _ => Some(&self.department_ids),
        }
    }

    /// The SQL condition ` AND {column} IN (…)` that limits rows to the departments whose submissions this
    /// person may read (see [`departments_condition`]).
    pub fn readable_submissions_condition(&self, column: &str) -> String {
        departments_condition(column, self.readable_departments())
    }

    /// Fails unless the role is one of those given.
    pub fn require(&self, roles: &[Role]) -> Result<(), AppError> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }
}

/// The SQL condition ` AND {column} IN (…)` limiting a department id column to `departments`: empty for
/// `None` (every department of the tenant), and a condition that matches nothing for an empty list. The ids
/// come from the session, never from the request, so they are written into the SQL as integers (the `Any`
/// driver binds no arrays). Queries over submissions filter on the submission's own department, never only on
/// its form's current one: a form moved to another department must not carry its past submissions along.
pub fn departments_condition(column: &str, departments: Option<&[i64]>) -> String {
    match departments {
        None => String::new(),
        Some([]) => " AND 1 = 0".into(),
        Some(d) => {
            let list: Vec<String> = d.iter().map(i64::to_string).collect();
            format!(" AND {column} IN ({})", list.join(","))
        }
    }
}

/// Hashes a password with argon2id.
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing password: {e}"))
}

/// Creates a staff account in a tenant with its departments.
pub async fn insert_staff(
    db: &Db,
    tenant_id: i64,
    login: &str,
    name: &str,
    role: Role,
    password: &str,
    department_ids: &[i64],
) -> anyhow::Result<i64> {
    let hash = hash_password(password)?;
    let mut tx = db.write.begin().await?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO staff (tenant_id, login, name, role, password_hash, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(tenant_id)
    .bind(login)
    .bind(name)
    .bind(role.as_str())
    .bind(hash)
    .bind(now_ms())
    .fetch_one(&mut *tx)
    .await?;
    for d in department_ids {
        // The department must belong to the same tenant: checked here, not trusted from the caller.
        let n = sqlx::query(
            "INSERT INTO staff_departments (staff_id, department_id)
             SELECT $1, id FROM departments WHERE id = $2 AND tenant_id = $3",
        )
        .bind(id)
        .bind(*d)
        .bind(tenant_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        anyhow::ensure!(n == 1, "department {d} is not in tenant {tenant_id}");
    }
    tx.commit().await?;
    Ok(id)
}

/// The end of a staff login attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginOutcome {
    /// Signed in: the new session's token.
    SignedIn(String),
    /// Wrong login id or password (the same answer for both).
    Failed,
    /// Too many failures for this login id or from this client: no password is checked until the window
    /// ends. `message` says so in Japanese.
    Locked {
        /// The notice for the login page.
        message: String,
        /// Seconds until the lock ends.
        retry_after_secs: u64,
    },
}

/// Checks a login and password; on success starts a new session and returns its token. This is the only way
/// a staff session begins, so every caller gets its defences:
///
/// - failures are counted per login id and per client address in the database (`kernel::ratelimit`, shared by
///   all instances); past `[rate_limits] login_failures_per_login` / `_per_client` the login is locked until
///   the window ends and no password is checked at all;
/// - every failure is answered after a delay that doubles with each further failure of that login id;
/// - failures, the start of a lock and sign-ins are written to the audit log with the client address;
/// - argon2 runs on the blocking thread pool: on the async runtime, parallel guesses stalled every request.
///
/// A new token is made at every login, so a token planted before login is useless (session fixation).
/// A failed login costs the same time whether the login exists or not.
pub async fn login(
    db: &Db,
    limits: &RateLimitConfig,
    client: &ClientAddr,
    login: &str,
    password: &str,
    minutes: i64,
) -> Result<LoginOutcome, AppError> {
    let row = sqlx::query("SELECT id, tenant_id, password_hash FROM staff WHERE login = $1")
        .bind(login)
        .fetch_optional(&db.read)
        .await?;
    let (id, tenant_id, hash): (i64, Option<i64>, String) = match row {
        Some(r) => (
            r.try_get("id")?,
            Some(r.try_get("tenant_id")?),
            r.try_get("password_hash")?,
        ),
        None => (0, None, DUMMY_HASH.to_string()),
    };
    let staff_id = (id != 0).then_some(id);
    let subject = format!("login:{login}");
    let client_key = client.rate_key();
    for (rule, key) in [
        (Rule::LoginFailurePerLogin, login),
        (Rule::LoginFailurePerClient, client_key.as_str()),
    ] {
        // Attempts while locked are not audited one by one (the lock itself is, when it begins), so that
        // hammering a locked login cannot grow the audit log without bound.
        if let Some(wait) = ratelimit::exhausted(db, rule, rule.limit(limits), key).await? {
            return Ok(LoginOutcome::Locked {
                message: rule.message(wait),
                retry_after_secs: wait,
            });
        }
    }
    let password = password.to_owned();
    let ok = tokio::task::spawn_blocking(move || {
        let parsed = PasswordHash::new(&hash).map_err(|e| anyhow::anyhow!("stored hash: {e}"))?;
        Ok::<_, anyhow::Error>(
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok(),
        )
    })
    .await
    .map_err(|e| anyhow::anyhow!("password check: {e}"))??;
    if !ok || id == 0 {
        return login_failed(
            db,
            limits,
            tenant_id,
            staff_id,
            &subject,
            login,
            &client_key,
        )
        .await;
    }
    ratelimit::reset(db, Rule::LoginFailurePerLogin, login).await?;
    let token = new_token();
    let now = now_ms();
    sqlx::query("INSERT INTO sessions (token_hash, staff_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
        .bind(token_hash(&token))
        .bind(id)
        .bind(now)
        .bind(now + minutes * 60_000)
        .execute(&db.write)
        .await?;
    audit::record_unauthenticated(
        db,
        tenant_id,
        staff_id,
        audit::Action::Login,
        &subject,
        &format!("接続元 {client_key}"),
    )
    .await?;
    Ok(LoginOutcome::SignedIn(token))
}

/// Counts a failed login, audits it and waits before answering; the attempt that uses up a limit is already
/// told about the lock.
async fn login_failed(
    db: &Db,
    limits: &RateLimitConfig,
    tenant_id: Option<i64>,
    staff_id: Option<i64>,
    subject: &str,
    login: &str,
    client_key: &str,
) -> Result<LoginOutcome, AppError> {
    let mut failures = 0;
    let mut locked = None;
    for (rule, key) in [
        (Rule::LoginFailurePerLogin, login),
        (Rule::LoginFailurePerClient, client_key),
    ] {
        let limit = rule.limit(limits);
        let verdict = ratelimit::hit(db, rule, limit, key).await?;
        if let Verdict::Allowed { hits } = verdict {
            if rule == Rule::LoginFailurePerLogin {
                failures = hits;
            }
            if limit.max > 0 && hits >= u64::from(limit.max) && locked.is_none() {
                let (_, wait) = ratelimit::current(db, rule, limit, key).await?;
                locked = Some((rule, wait));
            }
        } else if let Verdict::Limited { retry_after_secs } = verdict
            && locked.is_none()
        {
            locked = Some((rule, retry_after_secs));
        }
    }
    audit::record_unauthenticated(
        db,
        tenant_id,
        staff_id,
        audit::Action::LoginFailed,
        subject,
        &format!("接続元 {client_key}・{failures}回目の失敗"),
    )
    .await?;
    if let Some((rule, _)) = locked {
        audit::record_unauthenticated(
            db,
            tenant_id,
            staff_id,
            audit::Action::LoginLocked,
            subject,
            &format!("接続元 {client_key}・{}", rule.bucket()),
        )
        .await?;
    }
    let delay = limits
        .login_failure_delay_ms
        .saturating_mul(1 << failures.saturating_sub(1).min(16))
        .min(8_000);
    tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
    Ok(match locked {
        Some((rule, wait)) => LoginOutcome::Locked {
            message: rule.message(wait),
            retry_after_secs: wait,
        },
        None => LoginOutcome::Failed,
    })
}

/// An argon2 hash of a random password, so unknown logins take as long as known ones.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Vj4Xo1Kb7u0wVmH0oK2CqP2yQ0n1dM1m0m5sYzJ1R1E";

/// Ends a session.
pub async fn logout(db: &Db, token: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash(token))
        .execute(&db.write)
        .await?;
    Ok(())
}

/// Loads the scope of a live session.
pub async fn scope_for_session(db: &Db, token: &str) -> Result<Option<StaffScope>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT s.id, s.name, s.tenant_id, s.role, t.name AS tenant_name
         FROM sessions x JOIN staff s ON s.id = x.staff_id JOIN tenants t ON t.id = s.tenant_id
         WHERE x.token_hash = $1 AND x.expires_at > $2",
    )
    .bind(token_hash(token))
    .bind(now_ms())
    .fetch_optional(&db.read)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let staff_id: i64 = row.try_get("id")?;
    let role: String = row.try_get("role")?;
    let department_ids: Vec<i64> = sqlx::query_scalar(
        "SELECT department_id FROM staff_departments WHERE staff_id = $1 ORDER BY department_id",
    )
    .bind(staff_id)
    .fetch_all(&db.read)
    .await?;
    Ok(Some(StaffScope {
        staff_id,
        name: row.try_get("name")?,
        tenant_id: row.try_get("tenant_id")?,
        tenant_name: row.try_get("tenant_name")?,
        role: Role::parse(&role).unwrap_or(Role::Viewer),
        department_ids,
    }))
}

impl<S> FromRequestParts<S> for StaffScope
where
    Ctx: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let ctx = Ctx::from_ref(state);
        let token = crate::web::cookie(&parts.headers, crate::web::SESSION_COOKIE)
            .ok_or(AppError::Unauthenticated)?;
        scope_for_session(&ctx.db, token)
            .await?
            .ok_or(AppError::Unauthenticated)
    }
}

/// A staff account as listed for its tenant's administrator.
#[derive(Debug, Clone)]
pub struct StaffListing {
    /// Id.
    pub id: i64,
    /// Login.
    pub login: String,
    /// Name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Department names.
    pub departments: Vec<String>,
}

/// The staff of the caller's tenant.
pub async fn list_staff(db: &Db, scope: &StaffScope) -> Result<Vec<StaffListing>, sqlx::Error> {
    let rows =
        sqlx::query("SELECT id, login, name, role FROM staff WHERE tenant_id = $1 ORDER BY id")
            .bind(scope.tenant_id)
            .fetch_all(&db.read)
            .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let id: i64 = r.try_get("id")?;
        let role: String = r.try_get("role")?;
        let departments = sqlx::query_scalar(
            "SELECT d.name FROM staff_departments sd JOIN departments d ON d.id = sd.department_id
             WHERE sd.staff_id = $1 AND d.tenant_id = $2 ORDER BY d.code",
        )
        .bind(id)
        .bind(scope.tenant_id)
        .fetch_all(&db.read)
        .await?;
        out.push(StaffListing {
            id,
            login: r.try_get("login")?,
            name: r.try_get("name")?,
            role: Role::parse(&role).unwrap_or(Role::Viewer),
            departments,
        });
    }
    Ok(out)
}

/// Whether a login name is taken (logins are unique across the installation).
pub async fn login_exists(db: &Db, login: &str) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM staff WHERE login = $1")
        .bind(login)
        .fetch_one(&db.read)
        .await?;
    Ok(n > 0)
}
