//! Storage of Q&A entries, their versions, synonyms, contacts and the per-tenant generation counter.
//!
//! Every change to an entry writes a new row to `faq_entry_versions` (nothing is overwritten without a
//! copy) and bumps the tenant's generation in the same transaction, which is how every server instance
//! learns that its in-memory index is stale.

use madoguchi_kernel::{AppError, Db, StaffScope, now_ms};
use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;

/// Who may see an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Audience {
    /// Residents (and staff).
    Public,
    /// Signed-in staff only (the helpdesk).
    Staff,
}

impl Audience {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Audience::Public => "public",
            Audience::Staff => "staff",
        }
    }
    /// The name on screens and in CSV.
    pub fn label(self) -> &'static str {
        match self {
            Audience::Public => "公開",
            Audience::Staff => "職員向け",
        }
    }
    /// Parses the stored name or the Japanese label.
    pub fn parse(s: &str) -> Option<Audience> {
        match s.trim() {
            "public" | "公開" | "住民向け" => Some(Audience::Public),
            "staff" | "職員向け" | "職員限定" => Some(Audience::Staff),
            _ => None,
        }
    }
}

/// A Q&A entry as stored.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// Id.
    pub id: i64,
    /// Owning tenant.
    pub tenant_id: i64,
    /// Owning department.
    pub department_id: i64,
    /// Its name.
    pub department_name: String,
    /// Its code.
    pub department_code: String,
    /// Category (児童手当, ごみ …).
    pub category: String,
    /// The question.
    pub question: String,
    /// Other ways residents ask it.
    pub phrasings: Vec<String>,
    /// The answer text (links allowed, see `text::render_answer`).
    pub answer: String,
    /// Slugs of related online forms.
    pub forms: Vec<String>,
    /// Who sees it.
    pub audience: Audience,
    /// When it should be reviewed (YYYY-MM-DD or empty).
    pub review_date: String,
    /// Archived entries are kept with their history but not searched.
    pub archived: bool,
    /// Current version number.
    pub version: i64,
    /// The shared entry it was adopted from.
    pub shared_id: Option<i64>,
    /// The shared entry's version when adopted.
    pub shared_version: Option<i64>,
    /// Last change (epoch ms).
    pub updated_at: i64,
}

/// The fields staff edit, already checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EntryInput {
    /// Department.
    pub department_id: i64,
    /// Category.
    pub category: String,
    /// Question.
    pub question: String,
    /// Phrasings.
    pub phrasings: Vec<String>,
    /// Answer.
    pub answer: String,
    /// Form slugs.
    pub forms: Vec<String>,
    /// Audience.
    pub audience: Audience,
    /// Review date (YYYY-MM-DD or empty).
    pub review_date: String,
}

/// A problem with one field, in Japanese.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldError {
    /// Field name (form field or CSV column).
    pub field: &'static str,
    /// The message.
    pub message: String,
}

/// Raw text of an entry as it comes from a form or an import row.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct RawEntry {
    /// Department code.
    #[serde(default)]
    pub department: String,
    /// Category.
    #[serde(default)]
    pub category: String,
    /// Question.
    #[serde(default)]
    pub question: String,
    /// One phrasing per line.
    #[serde(default)]
    pub phrasings: String,
    /// Answer.
    #[serde(default)]
    pub answer: String,
    /// Form slugs separated by spaces, commas or lines.
    #[serde(default)]
    pub forms: String,
    /// `public` / `staff` or 公開 / 職員向け.
    #[serde(default)]
    pub audience: String,
    /// YYYY-MM-DD or empty.
    #[serde(default)]
    pub review_date: String,
}

/// Longest question, phrasing or category.
pub const MAX_SHORT: usize = 300;
/// Longest answer.
pub const MAX_ANSWER: usize = 10_000;

fn slug_ok(slug: &str) -> bool {
    !slug.is_empty()
        && slug.len() <= 64
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

impl RawEntry {
    /// Checks the fields; `departments` are (id, code, name) of the tenant.
    pub fn check(
        &self,
        departments: &[(i64, String, String)],
    ) -> Result<EntryInput, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut err = |field, message: String| errors.push(FieldError { field, message });
        let dept = self.department.trim();
        let department_id = match departments
            .iter()
            .find(|(_, code, name)| code == dept || name == dept)
        {
            Some((id, _, _)) => *id,
            None if dept.is_empty() => {
                err("department", "所属を選んでください".into());
                0
            }
            None => {
                err(
                    "department",
                    format!("所属「{dept}」はこの団体にありません"),
                );
                0
            }
        };
        let category = self.category.trim().to_string();
        if category.is_empty() {
            err("category", "カテゴリを入力してください".into());
        } else if category.chars().count() > 50 {
            err("category", "カテゴリは50文字以内で入力してください".into());
        }
        let question = self.question.trim().to_string();
        if question.is_empty() {
            err("question", "質問を入力してください".into());
        } else if question.chars().count() > MAX_SHORT {
            err(
                "question",
                format!("質問は{MAX_SHORT}文字以内で入力してください"),
            );
        }
        let phrasings: Vec<String> = self
            .phrasings
            .lines()
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty())
            .collect();
        if let Some(p) = phrasings.iter().find(|p| p.chars().count() > MAX_SHORT) {
            err(
                "phrasings",
                format!(
                    "言い換え「{}…」は{MAX_SHORT}文字以内にしてください",
                    p.chars().take(10).collect::<String>()
                ),
            );
        }
        let answer = self.answer.trim().replace("\r\n", "\n");
        if answer.is_empty() {
            err("answer", "回答を入力してください".into());
        } else if answer.chars().count() > MAX_ANSWER {
            err(
                "answer",
                format!("回答は{MAX_ANSWER}文字以内で入力してください"),
            );
        }
        let forms: Vec<String> = self
            .forms
            .split(|c: char| c.is_whitespace() || c == ',' || c == '、')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        if let Some(bad) = forms.iter().find(|s| !slug_ok(s)) {
            err(
                "forms",
                format!(
                    "関連フォーム「{bad}」は英小文字・数字・ハイフンの識別子で指定してください"
                ),
            );
        }
        let audience = match Audience::parse(&self.audience) {
            Some(a) => a,
            None => {
                err(
                    "audience",
                    "公開範囲は「公開」または「職員向け」を指定してください".into(),
                );
                Audience::Public
            }
        };
        let review_date = self.review_date.trim().replace('/', "-");
        if !review_date.is_empty()
            && chrono::NaiveDate::parse_from_str(&review_date, "%Y-%m-%d").is_err()
        {
            err(
                "review_date",
                "見直し日は 2027-03-31 の形式で入力してください".into(),
            );
        }
        if errors.is_empty() {
            Ok(EntryInput {
                department_id,
                category,
                question,
                phrasings,
                answer,
                forms,
                audience,
                review_date,
            })
        } else {
            Err(errors)
        }
    }

    /// The raw form of a stored entry (for edit forms and exports).
    pub fn of(e: &Entry) -> RawEntry {
        RawEntry {
            department: e.department_code.clone(),
            category: e.category.clone(),
            question: e.question.clone(),
            phrasings: e.phrasings.join("\n"),
            answer: e.answer.clone(),
            forms: e.forms.join(" "),
            audience: e.audience.as_str().into(),
            review_date: e.review_date.clone(),
        }
    }
}

const ENTRY_COLUMNS: &str = "e.id, e.tenant_id, e.department_id, d.name AS department_name, d.code AS department_code,
    e.category, e.question, e.phrasings, e.answer, e.forms, e.audience, e.review_date, e.archived, e.version,
    e.shared_id, e.shared_version, e.updated_at";

fn json_list(s: &str) -> Vec<String> {
    serde_json::from_str(s).unwrap_or_default()
}

fn entry_from(r: &AnyRow) -> Result<Entry, sqlx::Error> {
    let audience: String = r.try_get("audience")?;
    Ok(Entry {
        id: r.try_get("id")?,
        tenant_id: r.try_get("tenant_id")?,
        department_id: r.try_get("department_id")?,
        department_name: r.try_get("department_name")?,
        department_code: r.try_get("department_code")?,
        category: r.try_get("category")?,
        question: r.try_get("question")?,
        phrasings: json_list(&r.try_get::<String, _>("phrasings")?),
        answer: r.try_get("answer")?,
        forms: json_list(&r.try_get::<String, _>("forms")?),
        audience: Audience::parse(&audience).unwrap_or(Audience::Staff),
        review_date: r.try_get("review_date")?,
        archived: r.try_get::<i64, _>("archived")? != 0,
        version: r.try_get("version")?,
        shared_id: r.try_get("shared_id")?,
        shared_version: r.try_get("shared_version")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// Every live (not archived) entry of a tenant, for building its index.
pub async fn live_entries(db: &Db, tenant_id: i64) -> Result<Vec<Entry>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {ENTRY_COLUMNS} FROM faq_entries e JOIN departments d ON d.id = e.department_id
         WHERE e.tenant_id = $1 AND e.archived = 0 ORDER BY e.id"
    ))
    .bind(tenant_id)
    .fetch_all(&db.read)
    .await?;
    rows.iter().map(entry_from).collect()
}

/// Every entry of the caller's tenant, archived ones included (staff list, export).
pub async fn all_entries(db: &Db, scope: &StaffScope) -> Result<Vec<Entry>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "SELECT {ENTRY_COLUMNS} FROM faq_entries e JOIN departments d ON d.id = e.department_id
         WHERE e.tenant_id = $1 ORDER BY e.id"
    ))
    .bind(scope.tenant_id)
    .fetch_all(&db.read)
    .await?;
    rows.iter().map(entry_from).collect()
}

/// One entry of the caller's tenant; another tenant's entry is `NotFound`.
pub async fn find_entry(db: &Db, scope: &StaffScope, id: i64) -> Result<Entry, AppError> {
    let row = sqlx::query(&format!(
        "SELECT {ENTRY_COLUMNS} FROM faq_entries e JOIN departments d ON d.id = e.department_id
         WHERE e.tenant_id = $1 AND e.id = $2"
    ))
    .bind(scope.tenant_id)
    .bind(id)
    .fetch_optional(&db.read)
    .await?
    .ok_or(AppError::NotFound)?;
    Ok(entry_from(&row)?)
}

/// Whether this person may change entries of a department: administrators all, editors their own.
pub fn can_edit(scope: &StaffScope, department_id: i64) -> bool {
    scope.can_edit_forms_of(department_id)
}

/// The departments of the caller's tenant as (id, code, name).
pub async fn departments(
    db: &Db,
    tenant_id: i64,
) -> Result<Vec<(i64, String, String)>, sqlx::Error> {
    Ok(madoguchi_kernel::tenants::list_departments(db, tenant_id)
        .await?
        .into_iter()
        .map(|d| (d.id, d.code, d.name))
        .collect())
}

/// Bumps the tenant's generation inside a transaction.
pub async fn bump_generation(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    tenant_id: i64,
) -> Result<(), sqlx::Error> {
    let n =
        sqlx::query("UPDATE faq_generations SET generation = generation + 1 WHERE tenant_id = $1")
            .bind(tenant_id)
            .execute(&mut **tx)
            .await?
            .rows_affected();
    if n == 0 {
        sqlx::query("INSERT INTO faq_generations (tenant_id, generation) VALUES ($1, 1)")
            .bind(tenant_id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// The tenant's current generation (0 before any change).
pub async fn generation(db: &Db, tenant_id: i64) -> Result<i64, sqlx::Error> {
    Ok(
        sqlx::query_scalar("SELECT generation FROM faq_generations WHERE tenant_id = $1")
            .bind(tenant_id)
            .fetch_optional(&db.read)
            .await?
            .unwrap_or(0),
    )
}

/// Where an entry comes from when it is created.
#[derive(Debug, Clone, Copy, Default)]
pub struct Origin {
    /// Adopted from this shared entry at this version.
    pub shared: Option<(i64, i64)>,
}

/// Saves an entry inside a transaction: creates it (`id == None`) or writes its next version. Entries of
/// another tenant are `NotFound`. Returns (id, version).
pub async fn save_entry_tx(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    tenant_id: i64,
    staff_id: Option<i64>,
    id: Option<i64>,
    input: &EntryInput,
    note: &str,
    origin: Origin,
) -> Result<(i64, i64), AppError> {
    let now = now_ms();
    let phrasings = serde_json::to_string(&input.phrasings).map_err(anyhow::Error::from)?;
    let forms = serde_json::to_string(&input.forms).map_err(anyhow::Error::from)?;
    // The department must be the tenant's own: checked in SQL, not trusted from the form.
    let dept_ok: Option<i64> =
        sqlx::query_scalar("SELECT id FROM departments WHERE id = $1 AND tenant_id = $2")
            .bind(input.department_id)
            .bind(tenant_id)
            .fetch_optional(&mut **tx)
            .await?;
    if dept_ok.is_none() {
        return Err(AppError::BadRequest("所属がこの団体にありません".into()));
    }
    let (id, version) = match id {
        None => {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO faq_entries (tenant_id, department_id, category, question, phrasings, answer, forms,
                   audience, review_date, version, shared_id, shared_version, updated_at, updated_by)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1, $10, $11, $12, $13) RETURNING id",
            )
            .bind(tenant_id)
            .bind(input.department_id)
            .bind(&input.category)
            .bind(&input.question)
            .bind(&phrasings)
            .bind(&input.answer)
            .bind(&forms)
            .bind(input.audience.as_str())
            .bind(&input.review_date)
            .bind(origin.shared.map(|s| s.0))
            .bind(origin.shared.map(|s| s.1))
            .bind(now)
            .bind(staff_id)
            .fetch_one(&mut **tx)
            .await?;
            (id, 1)
        }
        Some(id) => {
            let version: i64 = sqlx::query_scalar(
                "UPDATE faq_entries SET department_id = $1, category = $2, question = $3, phrasings = $4,
                   answer = $5, forms = $6, audience = $7, review_date = $8, version = version + 1,
                   archived = 0, updated_at = $9, updated_by = $10
                 WHERE id = $11 AND tenant_id = $12 RETURNING version",
            )
            .bind(input.department_id)
            .bind(&input.category)
            .bind(&input.question)
            .bind(&phrasings)
            .bind(&input.answer)
            .bind(&forms)
            .bind(input.audience.as_str())
            .bind(&input.review_date)
            .bind(now)
            .bind(staff_id)
            .bind(id)
            .bind(tenant_id)
            .fetch_optional(&mut **tx)
            .await?
            .ok_or(AppError::NotFound)?;
            (id, version)
        }
    };
    record_version(tx, id, version, input, false, note, staff_id, now).await?;
    // A published entry carries its change to the shared pool, where adopters see it as a newer version.
    sqlx::query(
        "UPDATE faq_shared SET category = $1, question = $2, phrasings = $3, answer = $4, forms = $5,
           version = version + 1, updated_at = $6
         WHERE source_entry_id = $7 AND withdrawn = 0",
    )
    .bind(&input.category)
    .bind(&input.question)
    .bind(&phrasings)
    .bind(&input.answer)
    .bind(&forms)
    .bind(now)
    .bind(id)
    .execute(&mut **tx)
    .await?;
    bump_generation(tx, tenant_id).await?;
    Ok((id, version))
}

#[expect(clippy::too_many_arguments, reason = "one row of the versions table")]
async fn record_version(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    id: i64,
    version: i64,
    input: &EntryInput,
    archived: bool,
    note: &str,
    staff_id: Option<i64>,
    now: i64,
) -> Result<(), AppError> {
    let mut snapshot = serde_json::to_value(input).map_err(anyhow::Error::from)?;
    snapshot["archived"] = archived.into();
    sqlx::query(
        "INSERT INTO faq_entry_versions (entry_id, version, snapshot, note, staff_id, at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(version)
    .bind(snapshot.to_string())
    .bind(note)
    .bind(staff_id)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Saves one entry on its own (the edit form). Editors may only touch their departments' entries, both
/// before and after the change.
pub async fn save_entry(
    db: &Db,
    scope: &StaffScope,
    id: Option<i64>,
    input: &EntryInput,
    note: &str,
    origin: Origin,
) -> Result<(i64, i64), AppError> {
    if let Some(id) = id {
        let current = find_entry(db, scope, id).await?;
        if !can_edit(scope, current.department_id) {
            return Err(AppError::Forbidden);
        }
    }
    if !can_edit(scope, input.department_id) {
        return Err(AppError::Forbidden);
    }
    let mut tx = db.write.begin().await?;
    let saved = save_entry_tx(
        &mut tx,
        scope.tenant_id,
        Some(scope.staff_id),
        id,
        input,
        note,
        origin,
    )
    .await?;
    tx.commit().await?;
    Ok(saved)
}

/// Archives (or restores) an entry: it stays with its history but is no longer searched.
pub async fn set_archived(
    db: &Db,
    scope: &StaffScope,
    id: i64,
    archived: bool,
) -> Result<i64, AppError> {
    let e = find_entry(db, scope, id).await?;
    if !can_edit(scope, e.department_id) {
        return Err(AppError::Forbidden);
    }
    let now = now_ms();
    let mut tx = db.write.begin().await?;
    let version: i64 = sqlx::query_scalar(
        "UPDATE faq_entries SET archived = $1, version = version + 1, updated_at = $2, updated_by = $3
         WHERE id = $4 AND tenant_id = $5 RETURNING version",
    )
    .bind(i64::from(archived))
    .bind(now)
    .bind(scope.staff_id)
    .bind(id)
    .bind(scope.tenant_id)
    .fetch_one(&mut *tx)
    .await?;
    let input = EntryInput {
        department_id: e.department_id,
        category: e.category,
        question: e.question,
        phrasings: e.phrasings,
        answer: e.answer,
        forms: e.forms,
        audience: e.audience,
        review_date: e.review_date,
    };
    let note = if archived {
        "アーカイブ"
    } else {
        "復元"
    };
    record_version(
        &mut tx,
        id,
        version,
        &input,
        archived,
        note,
        Some(scope.staff_id),
        now,
    )
    .await?;
    bump_generation(&mut tx, scope.tenant_id).await?;
    tx.commit().await?;
    Ok(version)
}

/// One stored version of an entry.
#[derive(Debug, Clone)]
pub struct Version {
    /// Version number.
    pub version: i64,
    /// The entry as it was.
    pub input: EntryInput,
    /// Whether it was archived in this version.
    pub archived: bool,
    /// What happened (作成, 編集, 取り込み …).
    pub note: String,
    /// Who (empty for imports by the system).
    pub staff_name: String,
    /// When (epoch ms).
    pub at: i64,
}

/// The versions of an entry of the caller's tenant, newest first.
pub async fn versions(db: &Db, scope: &StaffScope, id: i64) -> Result<Vec<Version>, AppError> {
    let rows = sqlx::query(
        "SELECT v.version, v.snapshot, v.note, v.at, COALESCE(s.name, '') AS staff_name
         FROM faq_entry_versions v JOIN faq_entries e ON e.id = v.entry_id
         LEFT JOIN staff s ON s.id = v.staff_id
         WHERE e.tenant_id = $1 AND v.entry_id = $2 ORDER BY v.version DESC",
    )
    .bind(scope.tenant_id)
    .bind(id)
    .fetch_all(&db.read)
    .await?;
    rows.iter()
        .map(|r| {
            let snapshot: String = r.try_get("snapshot")?;
            let value: serde_json::Value =
                serde_json::from_str(&snapshot).map_err(anyhow::Error::from)?;
            Ok(Version {
                version: r.try_get("version")?,
                archived: value["archived"].as_bool().unwrap_or(false),
                input: serde_json::from_value(value).map_err(anyhow::Error::from)?,
                note: r.try_get("note")?,
                staff_name: r.try_get("staff_name")?,
                at: r.try_get("at")?,
            })
        })
        .collect()
}

/// The tenant's synonym dictionary text, if it has one.
pub async fn synonyms_text(db: &Db, tenant_id: i64) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar("SELECT body FROM faq_synonyms WHERE tenant_id = $1")
        .bind(tenant_id)
        .fetch_optional(&db.read)
        .await
}

/// Replaces the tenant's synonym dictionary (already parsed by the caller).
pub async fn save_synonyms(
    db: &Db,
    tenant_id: i64,
    staff_id: Option<i64>,
    body: &str,
) -> Result<(), sqlx::Error> {
    let mut tx = db.write.begin().await?;
    let n = sqlx::query(
        "UPDATE faq_synonyms SET body = $1, updated_at = $2, updated_by = $3 WHERE tenant_id = $4",
    )
    .bind(body)
    .bind(now_ms())
    .bind(staff_id)
    .bind(tenant_id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n == 0 {
        sqlx::query("INSERT INTO faq_synonyms (tenant_id, body, updated_at, updated_by) VALUES ($1, $2, $3, $4)")
            .bind(tenant_id)
            .bind(body)
            .bind(now_ms())
            .bind(staff_id)
            .execute(&mut *tx)
            .await?;
    }
    bump_generation(&mut tx, tenant_id).await?;
    tx.commit().await
}

/// Where residents turn when the FAQ has no answer.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Contact {
    /// Department or counter name.
    pub name: String,
    /// Phone number.
    pub phone: String,
    /// Opening hours.
    pub hours: String,
}

impl Contact {
    /// The phone number for a `tel:` link (digits and `+` only).
    pub fn tel(&self) -> String {
        madoguchi_japanese::digits::to_ascii_digits(&self.phone)
            .chars()
            .filter(|c| c.is_ascii_digit() || *c == '+')
            .collect()
    }
}

/// The tenant's general contact; a sensible fallback naming the tenant when none is set.
pub async fn tenant_contact(
    db: &Db,
    tenant_id: i64,
    tenant_name: &str,
) -> Result<Contact, sqlx::Error> {
    let row = sqlx::query(
        "SELECT contact_name, contact_phone, contact_hours FROM faq_settings WHERE tenant_id = $1",
    )
    .bind(tenant_id)
    .fetch_optional(&db.read)
    .await?;
    Ok(match row {
        Some(r) => Contact {
            name: r.try_get("contact_name")?,
            phone: r.try_get("contact_phone")?,
            hours: r.try_get("contact_hours")?,
        },
        None => Contact {
            name: format!("{tenant_name} 代表窓口"),
            phone: String::new(),
            hours: String::new(),
        },
    })
}

/// Sets the tenant's general contact.
pub async fn save_tenant_contact(db: &Db, tenant_id: i64, c: &Contact) -> Result<(), sqlx::Error> {
    let mut tx = db.write.begin().await?;
    let n = sqlx::query("UPDATE faq_settings SET contact_name = $1, contact_phone = $2, contact_hours = $3 WHERE tenant_id = $4")
        .bind(&c.name)
        .bind(&c.phone)
        .bind(&c.hours)
        .bind(tenant_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if n == 0 {
        sqlx::query("INSERT INTO faq_settings (tenant_id, contact_name, contact_phone, contact_hours) VALUES ($1, $2, $3, $4)")
            .bind(tenant_id)
            .bind(&c.name)
            .bind(&c.phone)
            .bind(&c.hours)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await
}

/// A department's contact: its phone and hours when set, else the tenant's with the department's name.
pub async fn department_contact(
    db: &Db,
    tenant_id: i64,
    department_id: i64,
    fallback: &Contact,
) -> Result<Contact, sqlx::Error> {
    let row = sqlx::query(
        "SELECT d.name, c.phone, c.hours FROM departments d
         LEFT JOIN faq_department_contacts c ON c.department_id = d.id
         WHERE d.id = $1 AND d.tenant_id = $2",
    )
    .bind(department_id)
    .bind(tenant_id)
    .fetch_optional(&db.read)
    .await?;
    Ok(match row {
        Some(r) => {
            let phone: Option<String> = r.try_get("phone")?;
            let hours: Option<String> = r.try_get("hours")?;
            Contact {
                name: r.try_get("name")?,
                phone: phone
                    .filter(|p| !p.is_empty())
                    .unwrap_or_else(|| fallback.phone.clone()),
                hours: hours
                    .filter(|h| !h.is_empty())
                    .unwrap_or_else(|| fallback.hours.clone()),
            }
        }
        None => fallback.clone(),
    })
}

/// Sets a department's contact (phone, hours) for the caller's tenant.
pub async fn save_department_contact(
    db: &Db,
    scope: &StaffScope,
    department_id: i64,
    phone: &str,
    hours: &str,
) -> Result<(), AppError> {
    let mut tx = db.write.begin().await?;
    let owned: Option<i64> =
        sqlx::query_scalar("SELECT id FROM departments WHERE id = $1 AND tenant_id = $2")
            .bind(department_id)
            .bind(scope.tenant_id)
            .fetch_optional(&mut *tx)
            .await?;
    if owned.is_none() {
        return Err(AppError::NotFound);
    }
    sqlx::query("DELETE FROM faq_department_contacts WHERE department_id = $1")
        .bind(department_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO faq_department_contacts (department_id, tenant_id, phone, hours) VALUES ($1, $2, $3, $4)")
        .bind(department_id)
        .bind(scope.tenant_id)
        .bind(phone)
        .bind(hours)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// A department with its FAQ contact, for the settings page.
pub struct DepartmentContact {
    /// Department id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// Phone (may be empty).
    pub phone: String,
    /// Hours (may be empty).
    pub hours: String,
}

/// The departments of the caller's tenant with their contacts.
pub async fn department_contacts(
    db: &Db,
    scope: &StaffScope,
) -> Result<Vec<DepartmentContact>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT d.id, d.name, COALESCE(c.phone, '') AS phone, COALESCE(c.hours, '') AS hours
         FROM departments d LEFT JOIN faq_department_contacts c ON c.department_id = d.id
         WHERE d.tenant_id = $1 ORDER BY d.code",
    )
    .bind(scope.tenant_id)
    .fetch_all(&db.read)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(DepartmentContact {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                phone: r.try_get("phone")?,
                hours: r.try_get("hours")?,
            })
        })
        .collect()
}

/// Title and URL of a published form that a Q&A links to: the tenant's own form with that slug, else its
/// prefecture's (municipalities share the prefecture's procedures).
pub async fn form_link(
    db: &Db,
    tenant_id: i64,
    slug: &str,
) -> Result<Option<(String, String)>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT t.code, v.definition, CASE WHEN f.tenant_id = $1 THEN 0 ELSE 1 END AS rank
         FROM forms f JOIN tenants t ON t.id = f.tenant_id
         JOIN form_versions v ON v.form_id = f.id AND v.version = f.current_version
         WHERE f.slug = $2 AND (f.tenant_id = $1 OR f.tenant_id = (SELECT parent_id FROM tenants WHERE id = $1))
         ORDER BY rank LIMIT 1",
    )
    .bind(tenant_id)
    .bind(slug)
    .fetch_optional(&db.read)
    .await?;
    let Some(r) = row else { return Ok(None) };
    let code: String = r.try_get("code")?;
    let definition: String = r.try_get("definition")?;
    let title = serde_json::from_str::<serde_json::Value>(&definition)
        .ok()
        .and_then(|v| v["title"].as_str().map(str::to_string))
        .unwrap_or_else(|| slug.to_string());
    Ok(Some((title, format!("/t/{code}/forms/{slug}"))))
}
