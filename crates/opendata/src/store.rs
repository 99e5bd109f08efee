//! Catalog storage: datasets, tags, groups, resources and API tokens, in the shared database.
//!
//! Reads go through the in-memory [`crate::index::Catalog`] snapshot; this module loads it and does every write.
//! Writes take the caller's tenant (from `StaffScope` or an API token) and filter by it in SQL (ADR 0003), and
//! bump `od_catalog_version` in the same transaction so that every instance sees the change.

use madoguchi_kernel::{Db, now_ms};
use serde::Serialize;
use sqlx::Row;
use std::collections::{BTreeMap, HashMap};

/// Licences offered; the first is the default (CC BY 4.0, what BODIK and the 政府標準利用規約 align with).
pub const LICENSES: [(&str, &str); 4] = [
    (
        "cc-by-4.0",
        "クリエイティブ・コモンズ 表示 4.0 国際（CC BY 4.0）",
    ),
    (
        "cc-by-sa-4.0",
        "クリエイティブ・コモンズ 表示-継承 4.0 国際（CC BY-SA 4.0）",
    ),
    ("cc-zero", "CC0 1.0 全世界 パブリック・ドメイン提供"),
    ("cc-by", "クリエイティブ・コモンズ 表示（CC BY）"),
];

/// The tag BODIK uses to recognise a standard dataset.
pub const STANDARD_TAG: &str = "自治体標準ODS";

/// Title of a licence id.
pub fn license_title(id: &str) -> String {
    LICENSES
        .iter()
        .find(|(l, _)| *l == id)
        .map_or(id, |(_, t)| t)
        .to_string()
}

/// A new random UUID (v4), the id format CKAN clients expect.
pub fn new_uuid() -> String {
    let b: [u8; 16] = rand::random();
    let h = hex::encode(b);
    format!(
        "{}-{}-4{}-{:x}{}-{}",
        &h[..8],
        &h[8..12],
        &h[13..16],
        (b[8] & 0x3) | 0x8,
        &h[17..20],
        &h[20..32]
    )
}

/// A catalog error; the API and the pages render it their own way.
#[derive(Debug, thiserror::Error)]
pub enum OdError {
    /// Missing, or not visible to the caller.
    #[error("見つかりません: {0}")]
    NotFound(String),
    /// Not allowed.
    #[error("権限がありません: {0}")]
    Forbidden(String),
    /// A harvested dataset, read-only here ([`HARVESTED_MESSAGE`]).
    #[error("{HARVESTED_MESSAGE}")]
    Harvested,
    /// Field errors (CKAN's Validation Error): field → messages.
    #[error("入力内容に誤りがあります")]
    Validation(BTreeMap<String, Vec<String>>),
    /// Unexpected.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for OdError {
    fn from(e: sqlx::Error) -> Self {
        OdError::Internal(e.into())
    }
}

impl OdError {
    /// A validation error on one field.
    pub fn field(field: &str, message: impl Into<String>) -> OdError {
        OdError::Validation(BTreeMap::from([(field.to_string(), vec![message.into()])]))
    }
}

impl From<OdError> for madoguchi_kernel::AppError {
    fn from(e: OdError) -> Self {
        use madoguchi_kernel::AppError;
        match e {
            OdError::NotFound(_) => AppError::NotFound,
            OdError::Forbidden(_) => AppError::Forbidden,
            OdError::Harvested => AppError::Conflict(HARVESTED_MESSAGE.into()),
            OdError::Validation(m) => AppError::BadRequest(
                m.values()
                    .flatten()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(" / "),
            ),
            OdError::Internal(e) => AppError::Internal(e),
        }
    }
}

/// An organisation: a tenant, named by its 6-digit code.
#[derive(Debug, Clone, Serialize)]
pub struct Org {
    /// Tenant id.
    pub tenant_id: i64,
    /// 全国地方公共団体コード (the CKAN organisation name).
    pub code: String,
    /// 高知県, 高知市.
    pub title: String,
    /// The prefecture's tenant id, for a municipality.
    pub parent_id: Option<i64>,
}

/// A group (theme) datasets can belong to.
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    /// UUID.
    pub id: String,
    /// URL name.
    pub name: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Created (ms).
    pub created_at: i64,
}

/// A resource (file or link) of a dataset.
#[derive(Debug, Clone, Serialize)]
pub struct Resource {
    /// UUID.
    pub id: String,
    /// Owning dataset.
    pub dataset_id: String,
    /// Order in the dataset.
    pub position: i64,
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// CSV, XLSX, PDF …
    pub format: String,
    /// MIME type.
    pub mimetype: String,
    /// External URL (empty for an uploaded file).
    pub url: String,
    /// Object store key of an uploaded file.
    pub storage_key: Option<String>,
    /// File name of an upload.
    pub file_name: String,
    /// Bytes.
    pub size: Option<i64>,
    /// sha256 hex.
    pub hash: String,
    /// UTF-8 / Shift_JIS.
    pub encoding: String,
    /// The CP932 original a UTF-8 copy was made from.
    pub original_id: Option<String>,
    /// active | draft.
    pub state: String,
    /// Validation report JSON.
    pub report: Option<String>,
    /// Validation errors.
    pub errors: i64,
    /// Validation warnings.
    pub warnings: i64,
    /// Created (ms).
    pub created_at: i64,
    /// Modified (ms).
    pub modified_at: i64,
    /// A Shift_JIS original that has a UTF-8 copy: it is not listed on its own; the copy links to it.
    pub copied: bool,
}

impl Resource {
    /// Whether this is an uploaded CSV (previewable, queryable).
    pub fn is_csv(&self) -> bool {
        self.storage_key.is_some() && self.format.eq_ignore_ascii_case("csv")
    }
}

/// A dataset with everything a page or the API shows.
#[derive(Debug, Clone, Serialize)]
pub struct Dataset {
    /// UUID.
    pub id: String,
    /// Owning tenant.
    pub tenant_id: i64,
    /// URL name.
    pub name: String,
    /// Title.
    pub title: String,
    /// Description.
    pub notes: String,
    /// Source page.
    pub url: String,
    /// Version.
    pub version: String,
    /// Author.
    pub author: String,
    /// Maintainer.
    pub maintainer: String,
    /// Licence id.
    pub license_id: String,
    /// Standard dataset layout id.
    pub standard_type: Option<String>,
    /// Private (visible to its organisation only).
    pub private: bool,
    /// Extra key/values.
    pub extras: Vec<(String, String)>,
    /// Tags.
    pub tags: Vec<String>,
    /// Group names.
    pub groups: Vec<String>,
    /// Resources (drafts and Shift_JIS originals included; views list [`Dataset::listed_resources`]).
    pub resources: Vec<Resource>,
    /// Created (ms).
    pub created_at: i64,
    /// Modified (ms).
    pub modified_at: i64,
    /// active | deleted (a deleted dataset is only ever shown to its organisation).
    pub state: String,
    /// The harvest source it was copied from: such a dataset is read-only here (ADR 0034).
    pub harvest_source_id: Option<i64>,
}

impl Dataset {
    /// Resources the public may see, one per file: a Shift_JIS original is reached through its UTF-8 copy.
    pub fn public_resources(&self) -> impl Iterator<Item = &Resource> {
        self.resources
            .iter()
            .filter(|r| r.state == "active" && !r.copied)
    }

    /// Resources listed to a viewer: the public ones, and drafts too for the owning organisation.
    pub fn listed_resources(&self, owner: bool) -> impl Iterator<Item = &Resource> {
        self.resources
            .iter()
            .filter(move |r| !r.copied && (r.state == "active" || owner))
    }

    /// The Shift_JIS original a UTF-8 copy was made from.
    pub fn original_of(&self, r: &Resource) -> Option<&Resource> {
        let oid = r.original_id.as_deref()?;
        self.resources.iter().find(|x| x.id == oid)
    }
}

/// The catalog (or its changes since a version), as loaded for the in-memory index.
pub struct Loaded {
    /// Version it was loaded at.
    pub version: i64,
    /// Organisations (all tenants).
    pub orgs: Vec<Org>,
    /// Groups.
    pub groups: Vec<Group>,
    /// Active datasets (changed ones only, for a refresh).
    pub datasets: Vec<Dataset>,
    /// Ids of datasets deleted since (for a refresh).
    pub removed: Vec<String>,
}

/// The catalog's version number (cheap; checked on every read).
pub async fn version(db: &Db) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT version FROM od_catalog_version WHERE id = 1")
        .fetch_one(&db.read)
        .await
}

/// Loads the catalog: everything (`since = None`) or the datasets changed after version `since`, with all
/// organisations and groups (few and small).
pub async fn load(db: &Db, since: Option<i64>) -> Result<Loaded, sqlx::Error> {
    let since = since.unwrap_or(-1);
    // Read the version first: a write committed meanwhile makes the next read reload again.
    let version = version(db).await?;
    let orgs = madoguchi_kernel::tenants::list_tenants(db)
        .await?
        .into_iter()
        .map(|t| Org {
            tenant_id: t.id,
            code: t.code,
            title: t.name,
            parent_id: t.parent_id,
        })
        .collect();
    let groups =
        sqlx::query("SELECT id, name, title, description, created_at FROM od_groups ORDER BY name")
            .fetch_all(&db.read)
            .await?
            .iter()
            .map(|r| {
                Ok(Group {
                    id: r.try_get("id")?,
                    name: r.try_get("name")?,
                    title: r.try_get("title")?,
                    description: r.try_get("description")?,
                    created_at: r.try_get("created_at")?,
                })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()?;
    let mut removed = Vec::new();
    let mut datasets = Vec::new();
    for d in load_datasets(db, since, "").await? {
        if d.state == "active" {
            datasets.push(d);
        } else {
            removed.push(d.id);
        }
    }
    Ok(Loaded {
        version,
        orgs,
        groups,
        datasets,
        removed,
    })
}

/// Datasets changed after version `since` (all states), or only the one with id `only_id` when it is not
/// empty; tags, groups and resources are read for active datasets and for `only_id`.
async fn load_datasets(db: &Db, since: i64, only_id: &str) -> Result<Vec<Dataset>, sqlx::Error> {
    let mut tags: HashMap<String, Vec<String>> = HashMap::new();
    for r in sqlx::query(
        "SELECT dataset_id, name FROM od_tags
         WHERE dataset_id IN (SELECT id FROM od_datasets WHERE seq > $1 AND (($2 = '' AND state = 'active') OR id = $2)) ORDER BY dataset_id, name",
    )
    .bind(since)
    .bind(only_id)
    .fetch_all(&db.read)
    .await?
    {
        tags.entry(r.try_get("dataset_id")?)
            .or_default()
            .push(r.try_get("name")?);
    }
    let mut in_groups: HashMap<String, Vec<String>> = HashMap::new();
    for r in sqlx::query(
        "SELECT dg.dataset_id, g.name FROM od_dataset_groups dg JOIN od_groups g ON g.id = dg.group_id
         WHERE dg.dataset_id IN (SELECT id FROM od_datasets WHERE seq > $1 AND (($2 = '' AND state = 'active') OR id = $2)) ORDER BY dg.dataset_id, g.name",
    )
    .bind(since)
    .bind(only_id)
    .fetch_all(&db.read)
    .await?
    {
        in_groups
            .entry(r.try_get("dataset_id")?)
            .or_default()
            .push(r.try_get("name")?);
    }
    let mut resources: HashMap<String, Vec<Resource>> = HashMap::new();
    for r in sqlx::query(&format!(
        "SELECT {RESOURCE_COLUMNS} FROM od_resources WHERE state <> 'deleted'
         AND dataset_id IN (SELECT id FROM od_datasets WHERE seq > $1 AND (($2 = '' AND state = 'active') OR id = $2)) ORDER BY dataset_id, position"
    ))
    .bind(since)
    .bind(only_id)
    .fetch_all(&db.read)
    .await?
    {
        let res = resource_from(&r)?;
        resources.entry(res.dataset_id.clone()).or_default().push(res);
    }
    let rows = sqlx::query(
        "SELECT id, tenant_id, name, title, notes, url, version, author, maintainer, license_id, standard_type,
                private, extras, created_at, modified_at, state, harvest_source_id
         FROM od_datasets WHERE seq > $1 AND ($2 = '' OR id = $2) ORDER BY id",
    )
    .bind(since)
    .bind(only_id)
    .fetch_all(&db.read)
    .await?;
    for list in resources.values_mut() {
        let copied: Vec<String> = list.iter().filter_map(|r| r.original_id.clone()).collect();
        for r in list.iter_mut() {
            r.copied = copied.contains(&r.id);
        }
    }
    rows.iter()
        .map(|r| {
            let id: String = r.try_get("id")?;
            let extras: String = r.try_get("extras")?;
            let extras: Vec<Extra> = serde_json::from_str(&extras).unwrap_or_default();
            Ok(Dataset {
                tenant_id: r.try_get("tenant_id")?,
                name: r.try_get("name")?,
                title: r.try_get("title")?,
                notes: r.try_get("notes")?,
                url: r.try_get("url")?,
                version: r.try_get("version")?,
                author: r.try_get("author")?,
                maintainer: r.try_get("maintainer")?,
                license_id: r.try_get("license_id")?,
                standard_type: r.try_get("standard_type")?,
                private: r.try_get::<i64, _>("private")? != 0,
                extras: extras.into_iter().map(|e| (e.key, e.value)).collect(),
                tags: tags.remove(&id).unwrap_or_default(),
                groups: in_groups.remove(&id).unwrap_or_default(),
                resources: resources.remove(&id).unwrap_or_default(),
                created_at: r.try_get("created_at")?,
                modified_at: r.try_get("modified_at")?,
                state: r.try_get("state")?,
                harvest_source_id: r.try_get("harvest_source_id")?,
                id,
            })
        })
        .collect::<Result<Vec<_>, sqlx::Error>>()
}

/// A deleted dataset of a tenant, by id or name, for its organisation's `package_show` (CKAN shows the
/// owner a deleted dataset with `state: "deleted"`).
pub async fn find_deleted(
    db: &Db,
    tenant_id: i64,
    id_or_name: &str,
) -> Result<Option<Dataset>, sqlx::Error> {
    let id: Option<String> = sqlx::query_scalar(
        "SELECT id FROM od_datasets WHERE (id = $1 OR name = $1) AND tenant_id = $2 AND state = 'deleted'
         ORDER BY modified_at DESC LIMIT 1",
    )
    .bind(id_or_name)
    .bind(tenant_id)
    .fetch_optional(&db.read)
    .await?;
    let Some(id) = id else { return Ok(None) };
    Ok(load_datasets(db, -1, &id).await?.into_iter().next())
}

const RESOURCE_COLUMNS: &str = "id, dataset_id, position, name, description, format, mimetype, url, storage_key, \
     file_name, size, hash, encoding, original_id, state, report, errors, warnings, created_at, modified_at";

fn resource_from(r: &sqlx::any::AnyRow) -> Result<Resource, sqlx::Error> {
    Ok(Resource {
        id: r.try_get("id")?,
        dataset_id: r.try_get("dataset_id")?,
        position: r.try_get("position")?,
        name: r.try_get("name")?,
        description: r.try_get("description")?,
        format: r.try_get("format")?,
        mimetype: r.try_get("mimetype")?,
        url: r.try_get("url")?,
        storage_key: r.try_get("storage_key")?,
        file_name: r.try_get("file_name")?,
        size: r.try_get("size")?,
        hash: r.try_get("hash")?,
        encoding: r.try_get("encoding")?,
        original_id: r.try_get("original_id")?,
        state: r.try_get("state")?,
        report: r.try_get("report")?,
        errors: r.try_get("errors")?,
        warnings: r.try_get("warnings")?,
        created_at: r.try_get("created_at")?,
        modified_at: r.try_get("modified_at")?,
        copied: false,
    })
}

/// A key/value extra.
#[derive(Debug, Clone, serde::Deserialize, Serialize)]
pub struct Extra {
    /// Key.
    pub key: String,
    /// Value.
    #[serde(default)]
    pub value: String,
}

/// The fields of a dataset as created or replaced.
#[derive(Debug, Clone, Default)]
pub struct DatasetInput {
    /// URL name.
    pub name: String,
    /// Title.
    pub title: String,
    /// Description.
    pub notes: String,
    /// Source page.
    pub url: String,
    /// Version.
    pub version: String,
    /// Author.
    pub author: String,
    /// Maintainer.
    pub maintainer: String,
    /// Licence id (empty → CC BY 4.0).
    pub license_id: String,
    /// Standard dataset layout id.
    pub standard_type: Option<String>,
    /// Private.
    pub private: bool,
    /// Extras (the `standard_dataset` extra is managed from `standard_type`).
    pub extras: Vec<Extra>,
    /// Tags.
    pub tags: Vec<String>,
    /// Group names.
    pub groups: Vec<String>,
}

/// Checks a dataset input; field names are CKAN's so API clients can map them.
pub fn check_input(input: &mut DatasetInput) -> Result<(), OdError> {
    let mut errors: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut add = |f: &str, m: &str| errors.entry(f.into()).or_default().push(m.into());
    input.name = input.name.trim().to_string();
    let n = &input.name;
    if n.len() < 2
        || n.len() > 100
        || !n
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
    {
        add(
            "name",
            "URL名は2〜100文字の半角英小文字・数字・「-」「_」で入力してください",
        );
    }
    input.title = input.title.trim().to_string();
    if input.title.is_empty() {
        add("title", "タイトルを入力してください");
    } else if input.title.chars().count() > 200 {
        add("title", "タイトルは200文字以内で入力してください");
    }
    if input.license_id.trim().is_empty() {
        input.license_id = LICENSES[0].0.into();
    }
    if !LICENSES.iter().any(|(l, _)| *l == input.license_id) {
        add("license_id", "ライセンスは一覧から選んでください");
    }
    if let Some(t) = &input.standard_type {
        if t.is_empty() {
            input.standard_type = None;
        } else if crate::layout::find(t).is_none() {
            add("standard_type", "標準データセットの種類が正しくありません");
        }
    }
    let mut tags: Vec<String> = Vec::new();
    for t in &input.tags {
        let t = t.trim();
        if t.is_empty() {
            continue;
        }
        if t.chars().count() > 100 || t.contains(',') {
            add("tags", "タグは100文字以内で、「,」を含めないでください");
        } else if !tags.iter().any(|x| x == t) {
            tags.push(t.to_string());
        }
    }
    if let Some(layout) = input.standard_type.as_deref().and_then(crate::layout::find) {
        for t in [STANDARD_TAG.to_string(), layout.type_tag] {
            if !tags.contains(&t) {
                tags.push(t);
            }
        }
        input.extras.retain(|e| e.key != "standard_dataset");
        input.extras.push(Extra {
            key: "standard_dataset".into(),
            value: layout.id,
        });
    }
    input.tags = tags;
    if !input.url.is_empty() && !madoguchi_kernel::safe_url::is_safe_link(&input.url) {
        add("url", madoguchi_kernel::safe_url::UNSAFE_LINK_MESSAGE);
    }
    let mut keys = std::collections::HashSet::new();
    for e in &input.extras {
        if e.key.trim().is_empty() || !keys.insert(e.key.clone()) {
            add("extras", "追加項目のキーが空か重複しています");
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(OdError::Validation(errors))
    }
}

/// Why a harvested dataset cannot be changed here.
pub const HARVESTED_MESSAGE: &str = "このデータセットは他のカタログから取り込んだもの（ハーベスト）のため、ここでは編集・削除できません。取り込み元のカタログで変更してください";

/// Refuses a change to a harvested dataset (ADR 0034): it is a copy that the next harvest run would overwrite.
async fn refuse_harvested(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    tenant_id: i64,
    dataset_id: &str,
) -> Result<(), OdError> {
    let source: Option<Option<i64>> = sqlx::query_scalar(
        "SELECT harvest_source_id FROM od_datasets WHERE id = $1 AND tenant_id = $2",
    )
    .bind(dataset_id)
    .bind(tenant_id)
    .fetch_optional(&mut **tx)
    .await?;
    if matches!(source, Some(Some(_))) {
        return Err(OdError::Harvested);
    }
    Ok(())
}

/// Increments the catalog version and stamps the changed dataset with it. The version row is locked until
/// commit, so versions are committed in order and a reader at version V has every change up to V.
pub(crate) async fn bump(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    dataset_id: Option<&str>,
) -> Result<(), sqlx::Error> {
    let v: i64 = sqlx::query_scalar(
        "UPDATE od_catalog_version SET version = version + 1 WHERE id = 1 RETURNING version",
    )
    .fetch_one(&mut **tx)
    .await?;
    if let Some(id) = dataset_id {
        sqlx::query("UPDATE od_datasets SET seq = $1 WHERE id = $2")
            .bind(v)
            .bind(id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

async fn write_tags_and_groups(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    id: &str,
    input: &DatasetInput,
) -> Result<(), OdError> {
    sqlx::query("DELETE FROM od_tags WHERE dataset_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    for t in &input.tags {
        sqlx::query("INSERT INTO od_tags (dataset_id, name) VALUES ($1, $2)")
            .bind(id)
            .bind(t)
            .execute(&mut **tx)
            .await?;
    }
    sqlx::query("DELETE FROM od_dataset_groups WHERE dataset_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    for g in &input.groups {
        let n = sqlx::query(
            "INSERT INTO od_dataset_groups (dataset_id, group_id) SELECT $1, id FROM od_groups WHERE name = $2",
        )
        .bind(id)
        .bind(g)
        .execute(&mut **tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(OdError::field(
                "groups",
                format!("グループ「{g}」はありません"),
            ));
        }
    }
    Ok(())
}

async fn name_taken(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    name: &str,
    except_id: &str,
) -> Result<bool, sqlx::Error> {
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM od_datasets WHERE name = $1 AND id <> $2")
            .bind(name)
            .bind(except_id)
            .fetch_one(&mut **tx)
            .await?;
    Ok(n > 0)
}

/// Creates a dataset in a tenant; returns its id.
pub async fn create_dataset(
    db: &Db,
    tenant_id: i64,
    staff_id: Option<i64>,
    mut input: DatasetInput,
) -> Result<String, OdError> {
    check_input(&mut input)?;
    let id = new_uuid();
    let now = now_ms();
    let mut tx = db.write.begin().await?;
    if name_taken(&mut tx, &input.name, &id).await? {
        return Err(OdError::field("name", "このURL名はすでに使われています"));
    }
    sqlx::query(
        "INSERT INTO od_datasets (id, tenant_id, name, title, notes, url, version, author, maintainer, license_id,
             standard_type, private, extras, created_by, created_at, modified_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15)",
    )
    .bind(&id)
    .bind(tenant_id)
    .bind(&input.name)
    .bind(&input.title)
    .bind(&input.notes)
    .bind(&input.url)
    .bind(&input.version)
    .bind(&input.author)
    .bind(&input.maintainer)
    .bind(&input.license_id)
    .bind(&input.standard_type)
    .bind(i64::from(input.private))
    .bind(serde_json::to_string(&input.extras).map_err(anyhow::Error::from)?)
    .bind(staff_id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    write_tags_and_groups(&mut tx, &id, &input).await?;
    bump(&mut tx, Some(&id)).await?;
    tx.commit().await?;
    Ok(id)
}

/// Replaces a dataset's fields, and its resource list when `resources` is given (CKAN's `package_update`:
/// listed resources are kept or added in that order, the others deleted), in one transaction.
pub async fn update_dataset(
    db: &Db,
    tenant_id: i64,
    id: &str,
    mut input: DatasetInput,
    resources: Option<Vec<ResourceSpec>>,
) -> Result<(), OdError> {
    check_input(&mut input)?;
    if let Some(specs) = &resources {
        check_specs(specs)?;
    }
    let mut tx = db.write.begin().await?;
    refuse_harvested(&mut tx, tenant_id, id).await?;
    if name_taken(&mut tx, &input.name, id).await? {
        return Err(OdError::field("name", "このURL名はすでに使われています"));
    }
    let n = sqlx::query(
        "UPDATE od_datasets SET name = $1, title = $2, notes = $3, url = $4, version = $5, author = $6,
             maintainer = $7, license_id = $8, standard_type = $9, private = $10, extras = $11, modified_at = $12
         WHERE id = $13 AND tenant_id = $14 AND state = 'active'",
    )
    .bind(&input.name)
    .bind(&input.title)
    .bind(&input.notes)
    .bind(&input.url)
    .bind(&input.version)
    .bind(&input.author)
    .bind(&input.maintainer)
    .bind(&input.license_id)
    .bind(&input.standard_type)
    .bind(i64::from(input.private))
    .bind(serde_json::to_string(&input.extras).map_err(anyhow::Error::from)?)
    .bind(now_ms())
    .bind(id)
    .bind(tenant_id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(OdError::NotFound(id.into()));
    }
    write_tags_and_groups(&mut tx, id, &input).await?;
    if let Some(specs) = resources {
        write_resource_list(&mut tx, id, specs, now_ms()).await?;
    }
    bump(&mut tx, Some(id)).await?;
    tx.commit().await?;
    Ok(())
}

/// Marks a dataset deleted (CKAN keeps deleted datasets; they leave the catalog).
pub async fn delete_dataset(db: &Db, tenant_id: i64, id: &str) -> Result<(), OdError> {
    let mut tx = db.write.begin().await?;
    refuse_harvested(&mut tx, tenant_id, id).await?;
    let n = sqlx::query(
        "UPDATE od_datasets SET state = 'deleted', modified_at = $1 WHERE id = $2 AND tenant_id = $3 AND state = 'active'",
    )
    .bind(now_ms())
    .bind(id)
    .bind(tenant_id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(OdError::NotFound(id.into()));
    }
    bump(&mut tx, Some(id)).await?;
    tx.commit().await?;
    Ok(())
}

/// A resource to add.
#[derive(Debug, Clone, Default)]
pub struct ResourceInput {
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Format (CSV …).
    pub format: String,
    /// MIME type.
    pub mimetype: String,
    /// External URL (when no file).
    pub url: String,
    /// Object key of the stored upload.
    pub storage_key: Option<String>,
    /// File name.
    pub file_name: String,
    /// Size.
    pub size: Option<i64>,
    /// sha256.
    pub hash: String,
    /// Text encoding.
    pub encoding: String,
    /// The original of a UTF-8 copy.
    pub original_id: Option<String>,
    /// active | draft.
    pub state: String,
    /// Validation report JSON.
    pub report: Option<String>,
    /// Errors.
    pub errors: i64,
    /// Warnings.
    pub warnings: i64,
}

/// The most resources a dataset may list (bounds `package_update`, `package_revise` and reordering).
pub const MAX_RESOURCES: usize = 500;

/// One entry of a dataset's new resource list.
#[derive(Debug, Clone)]
pub enum ResourceSpec {
    /// An existing resource (by id) with its new metadata; `url` only changes a link, never an upload.
    Keep {
        /// Resource id.
        id: String,
        /// Name.
        name: String,
        /// Description.
        description: String,
        /// Format.
        format: String,
        /// New external URL (ignored for an uploaded file).
        url: String,
    },
    /// A new link resource `(id, input)` (boxed: the input is large).
    New(String, Box<ResourceInput>),
}

fn check_specs(specs: &[ResourceSpec]) -> Result<(), OdError> {
    if specs.len() > MAX_RESOURCES {
        return Err(OdError::field(
            "resources",
            format!("リソースは{MAX_RESOURCES}件までです"),
        ));
    }
    let mut seen = std::collections::HashSet::new();
    for s in specs {
        let (id, url, name) = match s {
            ResourceSpec::Keep { id, url, name, .. } => (id, url, name),
            ResourceSpec::New(id, r) => (id, &r.url, &r.name),
        };
        if !seen.insert(id.clone()) {
            return Err(OdError::field(
                "resources",
                format!("リソース {id} が重複しています"),
            ));
        }
        if !url.is_empty() && !madoguchi_kernel::safe_url::is_safe_link(url) {
            return Err(OdError::field(
                "url",
                madoguchi_kernel::safe_url::UNSAFE_LINK_MESSAGE,
            ));
        }
        if name.chars().count() > 200 {
            return Err(OdError::field(
                "name",
                "リソース名は200文字以内で入力してください",
            ));
        }
    }
    if specs
        .iter()
        .any(|s| matches!(s, ResourceSpec::New(_, r) if r.url.is_empty()))
    {
        return Err(OdError::field("url", "リンク先のURLを入力してください"));
    }
    Ok(())
}

/// Writes a dataset's resource list inside a transaction: kept resources get their metadata and position,
/// new ones are inserted, and every listed resource missing from `specs` is deleted with its Shift_JIS
/// original. A kept id that is not a resource of this dataset is refused (404).
async fn write_resource_list(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    dataset_id: &str,
    specs: Vec<ResourceSpec>,
    now: i64,
) -> Result<(), OdError> {
    let rows = sqlx::query(
        "SELECT id, storage_key, original_id FROM od_resources WHERE dataset_id = $1 AND state <> 'deleted'",
    )
    .bind(dataset_id)
    .fetch_all(&mut **tx)
    .await?;
    let mut existing: HashMap<String, bool> = HashMap::new();
    let mut originals: HashMap<String, String> = HashMap::new();
    for r in &rows {
        let id: String = r.try_get("id")?;
        let key: Option<String> = r.try_get("storage_key")?;
        if let Some(o) = r.try_get::<Option<String>, _>("original_id")? {
            originals.insert(id.clone(), o);
        }
        existing.insert(id, key.is_some());
    }
    let hidden: std::collections::HashSet<&String> = originals.values().collect();
    let mut kept = std::collections::HashSet::new();
    for (position, spec) in specs.into_iter().enumerate() {
        let position = position as i64;
        match spec {
            ResourceSpec::Keep {
                id,
                name,
                description,
                format,
                url,
            } => {
                let Some(&uploaded) = existing.get(&id).filter(|_| !hidden.contains(&id)) else {
                    return Err(OdError::NotFound(format!("Resource {id}")));
                };
                sqlx::query(
                    "UPDATE od_resources SET name = $1, description = $2, format = $3,
                         url = CASE WHEN $4 = 1 THEN url ELSE $5 END, position = $6, modified_at = $7
                     WHERE id = $8 AND dataset_id = $9",
                )
                .bind(&name)
                .bind(&description)
                .bind(format.to_uppercase())
                .bind(i64::from(uploaded))
                .bind(&url)
                .bind(position)
                .bind(now)
                .bind(&id)
                .bind(dataset_id)
                .execute(&mut **tx)
                .await?;
                kept.insert(id);
            }
            ResourceSpec::New(id, r) => {
                insert_resource(tx, dataset_id, position, &id, r.as_ref(), now).await?;
                kept.insert(id);
            }
        }
    }
    for id in existing.keys() {
        if kept.contains(id) || hidden.contains(id) {
            continue;
        }
        sqlx::query(
            "UPDATE od_resources SET state = 'deleted', modified_at = $1
             WHERE dataset_id = $2 AND (id = $3 OR id = $4)",
        )
        .bind(now)
        .bind(dataset_id)
        .bind(id)
        .bind(originals.get(id).map_or("", String::as_str))
        .execute(&mut **tx)
        .await?;
    }
    touch(tx, dataset_id, now).await?;
    Ok(())
}

/// Replaces one tenant's dataset's resource list (`resource_update`, `resource_patch`,
/// `package_resource_reorder`): see [`ResourceSpec`].
pub async fn set_resources(
    db: &Db,
    tenant_id: i64,
    dataset_id: &str,
    specs: Vec<ResourceSpec>,
) -> Result<(), OdError> {
    check_specs(&specs)?;
    let mut tx = db.write.begin().await?;
    refuse_harvested(&mut tx, tenant_id, dataset_id).await?;
    let owned: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM od_datasets WHERE id = $1 AND tenant_id = $2 AND state = 'active'",
    )
    .bind(dataset_id)
    .bind(tenant_id)
    .fetch_one(&mut *tx)
    .await?;
    if owned == 0 {
        return Err(OdError::NotFound(dataset_id.into()));
    }
    write_resource_list(&mut tx, dataset_id, specs, now_ms()).await?;
    bump(&mut tx, Some(dataset_id)).await?;
    tx.commit().await?;
    Ok(())
}

async fn insert_resource(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    dataset_id: &str,
    position: i64,
    id: &str,
    r: &ResourceInput,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO od_resources (id, dataset_id, position, name, description, format, mimetype, url,
             storage_key, file_name, size, hash, encoding, original_id, state, report, errors, warnings,
             created_at, modified_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $19)",
    )
    .bind(id)
    .bind(dataset_id)
    .bind(position)
    .bind(&r.name)
    .bind(&r.description)
    .bind(&r.format)
    .bind(&r.mimetype)
    .bind(&r.url)
    .bind(&r.storage_key)
    .bind(&r.file_name)
    .bind(r.size)
    .bind(&r.hash)
    .bind(&r.encoding)
    .bind(&r.original_id)
    .bind(&r.state)
    .bind(&r.report)
    .bind(r.errors)
    .bind(r.warnings)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Checks the external links of resources before anything is written: only http(s) URLs and paths of this
/// site (`kernel::safe_url`), so a `javascript:` link never becomes a dataset's download link.
pub fn check_resource_links(inputs: &[(String, ResourceInput)]) -> Result<(), OdError> {
    let bad = inputs
        .iter()
        .any(|(_, r)| r.storage_key.is_none() && !madoguchi_kernel::safe_url::is_safe_link(&r.url));
    if bad {
        Err(OdError::field(
            "url",
            madoguchi_kernel::safe_url::UNSAFE_LINK_MESSAGE,
        ))
    } else {
        Ok(())
    }
}

/// Adds resources `(id, input)` to a tenant's dataset; an original and its UTF-8 copy go in together.
/// A resource without a stored file must link to an http(s) URL or a path of this site.
pub async fn add_resources(
    db: &Db,
    tenant_id: i64,
    dataset_id: &str,
    inputs: Vec<(String, ResourceInput)>,
) -> Result<(), OdError> {
    check_resource_links(&inputs)?;
    let now = now_ms();
    let mut tx = db.write.begin().await?;
    refuse_harvested(&mut tx, tenant_id, dataset_id).await?;
    let owned: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM od_datasets WHERE id = $1 AND tenant_id = $2 AND state = 'active'",
    )
    .bind(dataset_id)
    .bind(tenant_id)
    .fetch_one(&mut *tx)
    .await?;
    if owned == 0 {
        return Err(OdError::NotFound(dataset_id.into()));
    }
    let mut position: i64 = sqlx::query_scalar(
        "SELECT COALESCE(MAX(position) + 1, 0) FROM od_resources WHERE dataset_id = $1",
    )
    .bind(dataset_id)
    .fetch_one(&mut *tx)
    .await?;
    for (id, r) in inputs {
        insert_resource(&mut tx, dataset_id, position, &id, &r, now).await?;
        position += 1;
    }
    touch(&mut tx, dataset_id, now).await?;
    bump(&mut tx, Some(dataset_id)).await?;
    tx.commit().await?;
    Ok(())
}

async fn touch(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    dataset_id: &str,
    now: i64,
) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE od_datasets SET modified_at = $1 WHERE id = $2")
        .bind(now)
        .bind(dataset_id)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Publishes draft resources (a file with warnings the staff member accepted) of a tenant's dataset.
pub async fn publish_resource(db: &Db, tenant_id: i64, resource_id: &str) -> Result<(), OdError> {
    let now = now_ms();
    let mut tx = db.write.begin().await?;
    let row = sqlx::query(
        "SELECT r.dataset_id, r.errors FROM od_resources r JOIN od_datasets d ON d.id = r.dataset_id
         WHERE r.id = $1 AND d.tenant_id = $2 AND r.state = 'draft'",
    )
    .bind(resource_id)
    .bind(tenant_id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| OdError::NotFound(resource_id.into()))?;
    let dataset_id: String = row.try_get("dataset_id")?;
    refuse_harvested(&mut tx, tenant_id, &dataset_id).await?;
    let errors: i64 = row.try_get("errors")?;
    if errors > 0 {
        return Err(OdError::field(
            "upload",
            "エラーがあるファイルは公開できません",
        ));
    }
    // The UTF-8 copy of a CP932 original goes public with it.
    sqlx::query(
        "UPDATE od_resources SET state = 'active', modified_at = $1
         WHERE (id = $2 OR original_id = $2 OR id IN (SELECT original_id FROM od_resources WHERE id = $2))
           AND dataset_id = $3 AND state = 'draft'",
    )
    .bind(now)
    .bind(resource_id)
    .bind(&dataset_id)
    .execute(&mut *tx)
    .await?;
    touch(&mut tx, &dataset_id, now).await?;
    bump(&mut tx, Some(&dataset_id)).await?;
    tx.commit().await?;
    Ok(())
}

/// Removes a resource (and the UTF-8 copy made from it) from a tenant's dataset.
pub async fn delete_resource(db: &Db, tenant_id: i64, resource_id: &str) -> Result<(), OdError> {
    let now = now_ms();
    let mut tx = db.write.begin().await?;
    let dataset_id: String = sqlx::query_scalar(
        "SELECT r.dataset_id FROM od_resources r JOIN od_datasets d ON d.id = r.dataset_id
         WHERE r.id = $1 AND d.tenant_id = $2 AND r.state <> 'deleted'",
    )
    .bind(resource_id)
    .bind(tenant_id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| OdError::NotFound(resource_id.into()))?;
    refuse_harvested(&mut tx, tenant_id, &dataset_id).await?;
    sqlx::query(
        "UPDATE od_resources SET state = 'deleted', modified_at = $1
         WHERE (id = $2 OR original_id = $2 OR id IN (SELECT original_id FROM od_resources WHERE id = $2))
           AND dataset_id = $3",
    )
    .bind(now)
    .bind(resource_id)
    .bind(&dataset_id)
    .execute(&mut *tx)
    .await?;
    touch(&mut tx, &dataset_id, now).await?;
    bump(&mut tx, Some(&dataset_id)).await?;
    tx.commit().await?;
    Ok(())
}

/// Checks a group's or organisation's title and description (CKAN field names).
fn check_title(title: &str, description: &str) -> Result<(), OdError> {
    let mut errors: BTreeMap<String, Vec<String>> = BTreeMap::new();
    if title.trim().is_empty() || title.chars().count() > 100 {
        errors
            .entry("title".into())
            .or_default()
            .push("名称を100文字以内で入力してください".into());
    }
    if description.chars().count() > 2000 {
        errors
            .entry("description".into())
            .or_default()
            .push("説明は2000文字以内で入力してください".into());
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(OdError::Validation(errors))
    }
}

/// Creates a group (theme) of the whole catalog: only the prefecture's administrator (`prefecture_admin`,
/// decided by the caller from the signed-in staff) may, as CKAN lets only sysadmins by default.
pub async fn create_group(
    db: &Db,
    name: &str,
    title: &str,
    description: &str,
) -> Result<String, OdError> {
    let valid_name = (2..=100).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if !valid_name {
        return Err(OdError::field(
            "name",
            "URL名は2〜100文字の半角英小文字・数字・「-」「_」で入力してください",
        ));
    }
    check_title(title, description)?;
    let id = new_uuid();
    let mut tx = db.write.begin().await?;
    let taken: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM od_groups WHERE name = $1")
        .bind(name)
        .fetch_one(&mut *tx)
        .await?;
    if taken > 0 {
        return Err(OdError::field(
            "name",
            "Group name already exists in database",
        ));
    }
    sqlx::query("INSERT INTO od_groups (id, name, title, description, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(&id)
        .bind(name)
        .bind(title)
        .bind(description)
        .bind(now_ms())
        .execute(&mut *tx)
        .await?;
    bump(&mut tx, None).await?;
    tx.commit().await?;
    Ok(id)
}

/// Adds a tenant's dataset to a group (`member_create` with `object_type: package`).
pub async fn add_to_group(
    db: &Db,
    tenant_id: i64,
    group: &str,
    dataset_id: &str,
) -> Result<(), OdError> {
    let mut tx = db.write.begin().await?;
    refuse_harvested(&mut tx, tenant_id, dataset_id).await?;
    let gid: String = sqlx::query_scalar("SELECT id FROM od_groups WHERE name = $1 OR id = $1")
        .bind(group)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| OdError::NotFound(format!("Group {group}")))?;
    let owned: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM od_datasets WHERE id = $1 AND tenant_id = $2 AND state = 'active'",
    )
    .bind(dataset_id)
    .bind(tenant_id)
    .fetch_one(&mut *tx)
    .await?;
    if owned == 0 {
        return Err(OdError::NotFound(dataset_id.into()));
    }
    let there: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM od_dataset_groups WHERE dataset_id = $1 AND group_id = $2",
    )
    .bind(dataset_id)
    .bind(&gid)
    .fetch_one(&mut *tx)
    .await?;
    if there == 0 {
        sqlx::query("INSERT INTO od_dataset_groups (dataset_id, group_id) VALUES ($1, $2)")
            .bind(dataset_id)
            .bind(&gid)
            .execute(&mut *tx)
            .await?;
    }
    touch(&mut tx, dataset_id, now_ms()).await?;
    bump(&mut tx, Some(dataset_id)).await?;
    tx.commit().await?;
    Ok(())
}

/// Who may manage organisations: the prefecture's administrator (for itself and its municipalities), or a
/// municipality's administrator for its own organisation only.
#[derive(Debug, Clone, Copy)]
pub struct OrgManager {
    /// The administrator's tenant.
    pub tenant_id: i64,
    /// Whether that tenant is the prefecture (it has no parent).
    pub is_prefecture: bool,
}

/// Registers a municipality of the administrator's prefecture as an organisation (`organization_create`);
/// `code` is its 全国地方公共団体コード, which must belong to the prefecture. Returns the new tenant id.
pub async fn create_organization(
    db: &Db,
    by: OrgManager,
    prefecture_code: &str,
    code: &str,
    title: &str,
) -> Result<i64, OdError> {
    if !by.is_prefecture {
        return Err(OdError::Forbidden(
            "only the prefecture's administrator may create organizations".into(),
        ));
    }
    let code = madoguchi_japanese::local_gov::LocalGovCode::parse(code.trim()).map_err(|_| {
        OdError::field(
            "name",
            "全国地方公共団体コード（6桁、検査数字つき）を入力してください",
        )
    })?;
    if code.is_prefecture() || !prefecture_code.starts_with(code.prefecture_code()) {
        return Err(OdError::field(
            "name",
            "この都道府県の市区町村のコードを入力してください",
        ));
    }
    check_title(title, "")?;
    if madoguchi_kernel::tenants::find_tenant_by_code(db, code.as_str())
        .await?
        .is_some()
    {
        return Err(OdError::field(
            "name",
            "Group name already exists in database",
        ));
    }
    let t = madoguchi_kernel::tenants::insert_tenant(db, &code, title.trim(), Some(by.tenant_id))
        .await?;
    let mut tx = db.write.begin().await?;
    bump(&mut tx, None).await?;
    tx.commit().await?;
    Ok(t.id)
}

/// Renames an organisation (`organization_patch`): its own administrator, or the prefecture's for one of
/// its municipalities.
pub async fn rename_organization(
    db: &Db,
    by: OrgManager,
    org: &Org,
    title: &str,
) -> Result<(), OdError> {
    let allowed =
        org.tenant_id == by.tenant_id || (by.is_prefecture && org.parent_id == Some(by.tenant_id));
    if !allowed {
        return Err(OdError::Forbidden(format!(
            "User not authorized to edit organization {}",
            org.code
        )));
    }
    check_title(title, "")?;
    madoguchi_kernel::tenants::rename_tenant(db, org.tenant_id, title.trim()).await?;
    let mut tx = db.write.begin().await?;
    bump(&mut tx, None).await?;
    tx.commit().await?;
    Ok(())
}

/// An API token as listed to its owner.
#[derive(Debug, Clone)]
pub struct TokenListing {
    /// Id.
    pub id: i64,
    /// Name given by the staff member.
    pub name: String,
    /// Created (ms).
    pub created_at: i64,
    /// Last used (ms).
    pub last_used_at: Option<i64>,
}

/// Creates an API token for a staff member; returns the token, shown once.
pub async fn create_token(
    db: &Db,
    tenant_id: i64,
    staff_id: i64,
    name: &str,
) -> Result<String, OdError> {
    let token = madoguchi_kernel::ids::new_token();
    sqlx::query(
        "INSERT INTO od_api_tokens (token_hash, staff_id, tenant_id, name, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(madoguchi_kernel::ids::token_hash(&token))
    .bind(staff_id)
    .bind(tenant_id)
    .bind(name)
    .bind(now_ms())
    .execute(&db.write)
    .await?;
    Ok(token)
}

/// The staff member's live tokens.
pub async fn list_tokens(
    db: &Db,
    tenant_id: i64,
    staff_id: i64,
) -> Result<Vec<TokenListing>, OdError> {
    let rows = sqlx::query(
        "SELECT id, name, created_at, last_used_at FROM od_api_tokens
         WHERE tenant_id = $1 AND staff_id = $2 AND revoked_at IS NULL ORDER BY id",
    )
    .bind(tenant_id)
    .bind(staff_id)
    .fetch_all(&db.read)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(TokenListing {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                created_at: r.try_get("created_at")?,
                last_used_at: r.try_get("last_used_at")?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(Into::into)
}

/// Revokes one of the staff member's tokens.
pub async fn revoke_token(db: &Db, tenant_id: i64, staff_id: i64, id: i64) -> Result<(), OdError> {
    let n = sqlx::query(
        "UPDATE od_api_tokens SET revoked_at = $1 WHERE id = $2 AND tenant_id = $3 AND staff_id = $4 AND revoked_at IS NULL",
    )
    .bind(now_ms())
    .bind(id)
    .bind(tenant_id)
    .bind(staff_id)
    .execute(&db.write)
    .await?
    .rows_affected();
    if n == 0 {
        return Err(OdError::NotFound(id.to_string()));
    }
    Ok(())
}

/// Who an API token acts for.
#[derive(Debug, Clone)]
pub struct TokenOwner {
    /// Staff id.
    pub staff_id: i64,
    /// Tenant id.
    pub tenant_id: i64,
    /// Whether the staff role may write (not a viewer).
    pub can_write: bool,
    /// Whether the staff member is an administrator of the tenant.
    pub is_admin: bool,
}

/// Resolves a raw API token.
pub async fn token_owner(db: &Db, token: &str) -> Result<Option<TokenOwner>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT t.id, t.staff_id, t.tenant_id, s.role FROM od_api_tokens t JOIN staff s ON s.id = t.staff_id
         WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND s.tenant_id = t.tenant_id",
    )
    .bind(madoguchi_kernel::ids::token_hash(token))
    .fetch_optional(&db.read)
    .await?;
    let Some(r) = row else { return Ok(None) };
    let role: String = r.try_get("role")?;
    Ok(Some(TokenOwner {
        staff_id: r.try_get("staff_id")?,
        tenant_id: r.try_get("tenant_id")?,
        can_write: role == "admin" || role == "editor",
        is_admin: role == "admin",
    }))
}

/// Which staff roles may manage the catalog: administrators and editors.
pub fn can_manage(scope: &madoguchi_kernel::StaffScope) -> bool {
    matches!(
        scope.role,
        madoguchi_kernel::Role::Admin | madoguchi_kernel::Role::Editor
    )
}
