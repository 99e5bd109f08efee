//! Stored forms and their immutable versions.
//!
//! Publishing a definition adds a version; a submission refers to the version it was made with, so it
//! displays and exports correctly whatever happens to the form later.

use madoguchi_forms::{DefinitionError, FormDefinition, Lang};
use madoguchi_kernel::tenants::{self, Tenant};
use madoguchi_kernel::{AppError, Db, StaffScope, now_ms};
use sqlx::Row;
use std::sync::Arc;

/// A form as residents reach it: its current version.
#[derive(Debug, Clone)]
pub struct PublishedForm {
    /// Form id.
    pub form_id: i64,
    /// Owning tenant.
    pub tenant: Tenant,
    /// Owning department.
    pub department_id: i64,
    /// URL slug.
    pub slug: String,
    /// Id of the current version row.
    pub version_id: i64,
    /// Version number.
    pub version: i64,
    /// The definition.
    pub definition: Arc<FormDefinition>,
    /// Submissions counted against the capacity.
    pub accepted_count: i64,
}

impl PublishedForm {
    /// Why the form does not accept submissions now; `None` when it does.
    pub fn closed_reason(&self, now_ms: i64) -> Option<Closed> {
        let def = &self.definition;
        if let Some(o) = def.opens_at
            && now_ms < o.timestamp_millis()
        {
            return Some(Closed::NotYet(o.timestamp_millis()));
        }
        if let Some(c) = def.closes_at
            && now_ms >= c.timestamp_millis()
        {
            return Some(Closed::Ended(c.timestamp_millis()));
        }
        if let Some(cap) = def.capacity
            && self.accepted_count >= i64::from(cap)
        {
            return Some(Closed::Full(cap));
        }
        None
    }
}

/// Why a form takes no submissions now (受付期間外, 定員), said in the resident's language by [`Closed::text`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closed {
    /// The period starts at this time (epoch ms).
    NotYet(i64),
    /// The period ended at this time (epoch ms).
    Ended(i64),
    /// The capacity (定員) is reached.
    Full(u32),
}

impl Closed {
    /// The reason as one sentence in `lang`; every reason has every language (no fallback arm).
    pub fn text(&self, lang: Lang) -> String {
        let when = |ms: i64| madoguchi_kernel::time::display_datetime_in(ms, lang);
        match (self, lang) {
            (Closed::NotYet(at), Lang::Ja) => {
                format!("この手続の受付は {} から始まります。", when(*at))
            }
            (Closed::NotYet(at), Lang::En) => {
                format!("Applications for this procedure open on {}.", when(*at))
            }
            (Closed::NotYet(at), Lang::Easy) => {
                format!("この てつづきは {} から もうしこめます。", when(*at))
            }
            (Closed::Ended(at), Lang::Ja) => {
                format!("この手続の受付は {} に終了しました。", when(*at))
            }
            (Closed::Ended(at), Lang::En) => {
                format!("Applications for this procedure closed on {}.", when(*at))
            }
            (Closed::Ended(at), Lang::Easy) => {
                format!("この てつづきは {} に おわりました。", when(*at))
            }
            (Closed::Full(cap), Lang::Ja) => {
                format!("定員（{cap}名）に達したため、受付を終了しました。")
            }
            (Closed::Full(cap), Lang::En) => {
                format!("All {cap} places have been taken, so applications have closed.")
            }
            (Closed::Full(cap), Lang::Easy) => {
                format!("{cap}にんで いっぱいに なったので、もう もうしこめません。")
            }
        }
    }

    /// The page heading for this reason in `lang`.
    pub fn heading(&self, lang: Lang) -> &'static str {
        match (self, lang) {
            (Closed::NotYet(_) | Closed::Ended(_) | Closed::Full(_), Lang::Ja) => "受付期間外です",
            (Closed::NotYet(_), Lang::En) => "Applications are not open yet",
            (Closed::Ended(_), Lang::En) => "Applications have closed",
            (Closed::Full(_), Lang::En) => "This procedure is full",
            (Closed::NotYet(_), Lang::Easy) => "まだ もうしこめません",
            (Closed::Ended(_), Lang::Easy) => "もう おわりました",
            (Closed::Full(_), Lang::Easy) => "いっぱいに なりました",
        }
    }
}

/// A form in a staff listing.
#[derive(Debug, Clone)]
pub struct FormSummary {
    /// Form id.
    pub id: i64,
    /// Slug.
    pub slug: String,
    /// Current title.
    pub title: String,
    /// Department id.
    pub department_id: i64,
    /// Department name.
    pub department_name: String,
    /// Current version.
    pub version: i64,
    /// Number of submissions.
    pub submissions: i64,
}

impl FormSummary {
    /// The short code of the form's printed URL (`/f/{code}`).
    pub fn short_code(&self) -> String {
        crate::qr::short_code(self.id)
    }
}

/// What a staff member may do with one form. Pages show a link or button only when its flag is set, and the
/// routes refuse with the same flag, so a link shown is a route allowed (issue 24: a reviewer saw CSV links to
/// other departments' forms that answered 403).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FormActions {
    /// 集計 (`/staff/forms/{id}/summary`): counts without personal data.
    pub summary: bool,
    /// CSV export of the submissions (`/staff/forms/{id}/export.csv`): personal data.
    pub export: bool,
    /// Edit in the builder, roll back to an earlier version, issuance templates.
    pub edit: bool,
}

impl FormActions {
    /// What `scope` may do with a form owned by `department_id`.
    pub fn of(scope: &StaffScope, department_id: i64) -> FormActions {
        FormActions {
            summary: scope.can_see_statistics_of(department_id),
            export: scope.can_read_submissions_of(department_id),
            edit: scope.can_edit_forms_of(department_id),
        }
    }

    /// What `scope` may do with `form`.
    pub fn for_form(scope: &StaffScope, form: &FormSummary) -> FormActions {
        FormActions::of(scope, form.department_id)
    }
}

/// What staff read after publishing `title` as `version`: the first version is 初版, with nothing before it
/// to compare (issue 24: it read "第0版から第1版… 違いはありません").
pub fn published_notice(title: &str, version: i64) -> String {
    if version == 1 {
        format!("{title} を初版（第1版）として公開しました。")
    } else {
        format!("{title} を第{version}版として公開しました。")
    }
}

/// Whether a slug is usable in a URL: `[a-z0-9-]{1,64}`.
pub fn valid_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug.len() <= 64
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// How long a resident-facing read may use an already-loaded current version on this instance. A version
/// published on another instance reaches residents there within this time; on this one, at once.
/// Submissions made with an outdated version are caught by the writer (see `SubmitOutcome::FormChanged`).
const RECENT_TTL: std::time::Duration = std::time::Duration::from_secs(1);

type RecentCache = std::sync::RwLock<
    std::collections::HashMap<(u64, String, String), (std::time::Instant, PublishedForm)>,
>;
static RECENT: std::sync::LazyLock<RecentCache> = std::sync::LazyLock::new(Default::default);

/// [`find_published`] allowed to be up to [`RECENT_TTL`] old: for showing form pages and for API
/// submissions, whose writer checks the version again inside its transaction.
pub async fn find_published_recent(
    db: &Db,
    tenant_code: &str,
    slug: &str,
) -> Result<PublishedForm, AppError> {
    let key = (db.instance, tenant_code.to_string(), slug.to_string());
    if let Some((at, form)) = RECENT.read().expect("cache lock").get(&key)
        && at.elapsed() < RECENT_TTL
    {
        return Ok(form.clone());
    }
    let form = find_published(db, tenant_code, slug).await?;
    let mut recent = RECENT.write().expect("cache lock");
    if recent.len() > 10_000 {
        recent.clear();
    }
    recent.insert(key, (std::time::Instant::now(), form.clone()));
    Ok(form)
}

/// Forgets this instance's recent copy of a form, so what just changed (a new version, capacity reached)
/// shows at once.
pub(crate) fn forget_recent(db: &Db, form_id: i64) {
    RECENT
        .write()
        .expect("cache lock")
        .retain(|(instance, _, _), (_, f)| !(*instance == db.instance && f.form_id == form_id));
}

/// The current version of a tenant's form, by tenant code and slug, read fresh: one
/// light query for the tenant, the form and its current version's id; the definition itself comes from
/// [`definition_of_version`], which reads it from the database only the first time.
pub async fn find_published(
    db: &Db,
    tenant_code: &str,
    slug: &str,
) -> Result<PublishedForm, AppError> {
    let row = sqlx::query(
        "SELECT t.id AS tenant_id, t.code, t.name, t.kind, t.parent_id,
                f.id, f.department_id, f.slug, f.accepted_count, v.id AS version_id, v.version
         FROM tenants t
         JOIN forms f ON f.tenant_id = t.id
         JOIN form_versions v ON v.form_id = f.id AND v.version = f.current_version
         WHERE t.code = $1 AND f.slug = $2",
    )
    .bind(tenant_code)
    .bind(slug)
    .fetch_optional(&db.read)
    .await?
    .ok_or(AppError::NotFound)?;
    let version_id: i64 = row.try_get("version_id")?;
    Ok(PublishedForm {
        form_id: row.try_get("id")?,
        department_id: row.try_get("department_id")?,
        slug: row.try_get("slug")?,
        version_id,
        version: row.try_get("version")?,
        definition: definition_of_version(db, version_id).await?,
        accepted_count: row.try_get("accepted_count")?,
        tenant: Tenant {
            id: row.try_get("tenant_id")?,
            code: row.try_get("code")?,
            name: row.try_get("name")?,
            kind: row.try_get("kind")?,
            parent_id: row.try_get("parent_id")?,
        },
    })
}

fn parse_stored(json: &str) -> Result<FormDefinition, AppError> {
    FormDefinition::from_json(json)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("stored definition: {e}")))
}

/// Parsed definitions of published versions, keyed by database and version row. Published versions are
/// immutable, so an entry never needs invalidating; bounded by the number of versions in use.
type ParsedCache = std::sync::RwLock<std::collections::HashMap<(u64, i64), Arc<FormDefinition>>>;
static PARSED: std::sync::LazyLock<ParsedCache> = std::sync::LazyLock::new(Default::default);

/// A published version's parsed definition, read and parsed once per process.
async fn definition_of_version(db: &Db, version_id: i64) -> Result<Arc<FormDefinition>, AppError> {
    let key = (db.instance, version_id);
    if let Some(d) = PARSED.read().expect("cache lock").get(&key) {
        return Ok(d.clone());
    }
    let json: String = sqlx::query_scalar("SELECT definition FROM form_versions WHERE id = $1")
        .bind(version_id)
        .fetch_one(&db.read)
        .await?;
    let def = Arc::new(parse_stored(&json)?);
    let mut parsed = PARSED.write().expect("cache lock");
    if parsed.len() > 10_000 {
        parsed.clear();
    }
    parsed.insert(key, def.clone());
    Ok(def)
}

/// A stored version's definition by its row id (for drafts and submissions).
pub async fn definition_by_version_id(
    db: &Db,
    version_id: i64,
) -> Result<(i64, FormDefinition), AppError> {
    let row = sqlx::query("SELECT version, definition FROM form_versions WHERE id = $1")
        .bind(version_id)
        .fetch_one(&db.read)
        .await?;
    let json: String = row.try_get("definition")?;
    Ok((row.try_get("version")?, parse_stored(&json)?))
}

/// Every version of a form, newest first (checked to be in the caller's tenant).
pub async fn all_versions(
    db: &Db,
    scope: &StaffScope,
    form_id: i64,
) -> Result<Vec<(i64, FormDefinition)>, AppError> {
    let rows = sqlx::query(
        "SELECT v.version, v.definition FROM form_versions v JOIN forms f ON f.id = v.form_id
         WHERE f.tenant_id = $1 AND f.id = $2 ORDER BY v.version DESC",
    )
    .bind(scope.tenant_id)
    .bind(form_id)
    .fetch_all(&db.read)
    .await?;
    if rows.is_empty() {
        return Err(AppError::NotFound);
    }
    rows.iter()
        .map(|r| {
            let json: String = r.try_get("definition")?;
            Ok((r.try_get("version")?, parse_stored(&json)?))
        })
        .collect()
}

/// Why a definition could not be published.
#[derive(Debug)]
pub enum PublishError {
    /// Problems in the definition itself.
    Invalid(Vec<DefinitionError>),
    /// Anything else (permissions, storage).
    App(AppError),
}

impl<E: Into<AppError>> From<E> for PublishError {
    fn from(e: E) -> Self {
        PublishError::App(e.into())
    }
}

/// Publishes a definition as the next version of the tenant's form `slug` (creating the form if new).
/// Returns the form id and the new version number. Runs to completion even if the request is cancelled.
///
/// The publisher must be allowed to edit forms of the definition's department and, when the form exists, of
/// the department that owns it now; this is checked here, inside the transaction, so every way of
/// publishing (import, builder, templates, rollback) gets it.
pub async fn publish(
    db: &Db,
    scope: &StaffScope,
    slug: &str,
    def: &FormDefinition,
) -> Result<(i64, i64), PublishError> {
    let (db, scope, slug, def) = (db.clone(), scope.clone(), slug.to_string(), def.clone());
    madoguchi_kernel::db::run_to_completion(async move {
        publish_version(&db, &scope, &slug, &def).await
    })
    .await
}

async fn publish_version(
    db: &Db,
    scope: &StaffScope,
    slug: &str,
    def: &FormDefinition,
) -> Result<(i64, i64), PublishError> {
    let mut problems = madoguchi_forms::check_definition(def);
    if !valid_slug(slug) {
        problems.push(DefinitionError {
            path: "slug".into(),
            message: "URL名は半角英小文字・数字・ハイフンで64文字以内にしてください。".into(),
        });
    }
    let department = tenants::find_department_by_code(db, scope.tenant_id, &def.department).await?;
    let Some(department) = department else {
        problems.push(DefinitionError {
            path: "department".into(),
            message: format!("所属コード「{}」はこの団体にありません。", def.department),
        });
        return Err(PublishError::Invalid(problems));
    };
    if !scope.can_edit_forms_of(department.id) {
        return Err(PublishError::App(AppError::Forbidden));
    }
    if !problems.is_empty() {
        return Err(PublishError::Invalid(problems));
    }
    let now = now_ms();
    let json = serde_json::to_string(def).expect("definitions serialise");
    let mut tx = db.write.begin().await?;
    let existing = sqlx::query(
        "SELECT id, current_version, department_id FROM forms WHERE tenant_id = $1 AND slug = $2",
    )
    .bind(scope.tenant_id)
    .bind(slug)
    .fetch_optional(&mut *tx)
    .await?;
    let (form_id, version) = match existing {
        Some(r) => {
            // A new version may move a form only out of a department the publisher may edit: otherwise
            // anyone could take over another department's form (and its channel to residents) by its slug.
            let owner: i64 = r.try_get("department_id")?;
            if !scope.can_edit_forms_of(owner) {
                return Err(PublishError::Invalid(vec![DefinitionError {
                    path: "slug".into(),
                    message: format!(
                        "URL名「{slug}」は、編集する権限のない所属のフォームですでに使われています。別のURL名にしてください。"
                    ),
                }]));
            }
            let id: i64 = r.try_get("id")?;
            let current: Option<i64> = r.try_get("current_version")?;
            (id, current.unwrap_or(0) + 1)
        }
        None => {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO forms (tenant_id, department_id, slug, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
            )
            .bind(scope.tenant_id)
            .bind(department.id)
            .bind(slug)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?;
            (id, 1)
        }
    };
    let received: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM submissions WHERE form_id = $1")
        .bind(form_id)
        .fetch_one(&mut *tx)
        .await?;
    if let Some(cap) = def.capacity
        && (cap as i64) < received
    {
        return Err(PublishError::Invalid(vec![DefinitionError {
            path: "capacity".into(),
            message: format!("定員（{cap}）が受付済みの申請数（{received}）を下回っています。"),
        }]));
    }
    sqlx::query(
        "INSERT INTO form_versions (form_id, version, definition, created_by, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(form_id)
    .bind(version)
    .bind(json)
    .bind(scope.staff_id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    // The counter used for capacity starts from what is already received.
    sqlx::query(
        "UPDATE forms SET current_version = $1, department_id = $2, capacity = $3, accepted_count = $4 WHERE id = $5",
    )
    .bind(version)
    .bind(department.id)
    .bind(def.capacity.map(i64::from))
    .bind(received)
    .bind(form_id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    forget_recent(db, form_id);
    Ok((form_id, version))
}

/// The tenant's forms that the caller may see.
pub async fn list_forms(db: &Db, scope: &StaffScope) -> Result<Vec<FormSummary>, AppError> {
    forms_of(db, scope, None).await
}

/// The tenant's forms, or only the one with `only` as its id.
async fn forms_of(
    db: &Db,
    scope: &StaffScope,
    only: Option<i64>,
) -> Result<Vec<FormSummary>, AppError> {
    let rows = sqlx::query(
        "SELECT f.id, f.slug, f.department_id, d.name AS department_name, f.current_version, v.definition,
                (SELECT COUNT(*) FROM submissions s WHERE s.form_id = f.id) AS n
         FROM forms f JOIN departments d ON d.id = f.department_id
         JOIN form_versions v ON v.form_id = f.id AND v.version = f.current_version
         WHERE f.tenant_id = $1 AND ($2 IS NULL OR f.id = $2) ORDER BY f.id",
    )
    .bind(scope.tenant_id)
    .bind(only)
    .fetch_all(&db.read)
    .await?;
    let mut out = Vec::new();
    for r in rows {
        let json: String = r.try_get("definition")?;
        let def = parse_stored(&json)?;
        out.push(FormSummary {
            id: r.try_get("id")?,
            slug: r.try_get("slug")?,
            title: def.title,
            department_id: r.try_get("department_id")?,
            department_name: r.try_get("department_name")?,
            version: r.try_get::<Option<i64>, _>("current_version")?.unwrap_or(0),
            submissions: r.try_get("n")?,
        });
    }
    Ok(out)
}

/// A form of the caller's tenant by id: (slug, department id, current definition).
pub async fn find_form(db: &Db, scope: &StaffScope, form_id: i64) -> Result<FormSummary, AppError> {
    forms_of(db, scope, Some(form_id))
        .await?
        .pop()
        .ok_or(AppError::NotFound)
}

/// Published forms of a tenant for the public list: (slug, title).
pub async fn public_forms(
    db: &Db,
    tenant_id: i64,
) -> Result<Vec<(String, String, String)>, AppError> {
    let rows = sqlx::query(
        "SELECT f.slug, v.definition FROM forms f
         JOIN form_versions v ON v.form_id = f.id AND v.version = f.current_version
         WHERE f.tenant_id = $1 ORDER BY f.id",
    )
    .bind(tenant_id)
    .fetch_all(&db.read)
    .await?;
    rows.iter()
        .map(|r| {
            let json: String = r.try_get("definition")?;
            let def = parse_stored(&json)?;
            Ok((r.try_get("slug")?, def.title, def.description))
        })
        .collect()
}
