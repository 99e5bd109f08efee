//! Harvesting other catalogs into this one (issue 17, ADR 0034): the prefecture's open data administrator
//! configures sources — a CKAN site (Action API) or a DCAT-AP Turtle feed — and each run, a job of
//! `kernel::jobs`, copies their datasets into the catalog under a municipality as read-only harvested
//! datasets (resources as links, never downloaded), incrementally by `metadata_modified`, marks deleted what the
//! source no longer lists, and records a log row.
//!
//! A run first fetches everything it needs (the modified datasets, then the full listing of the source's ids)
//! and only then writes: a source that times out, answers an error, sends garbage or too large a body makes a
//! failed run with its reason and changes nothing already harvested.
//!
//! SSRF stance: only `http`/`https` URLs without credentials; the host is resolved once per run and every
//! address must be public unless `[opendata] harvest_allow_private_addresses` is set (tests, benchmarks);
//! the connection is pinned to the checked address (no second lookup an attacker's DNS could change);
//! redirects are not followed; each answer is bounded in time (`harvest_timeout_secs`) and size
//! (`harvest_max_bytes`), and a run in pages (`MAX_PAGES`). Nothing of an answer is shown to staff but the
//! counts, the dataset names and short reasons.

use crate::store::{self, OdError, new_uuid};
use madoguchi_kernel::jobs::Job;
use madoguchi_kernel::{Ctx, Db, now_ms};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::Row;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::net::IpAddr;
use std::time::Duration;

/// Source kinds: (stored value, label).
pub const KINDS: [(&str, &str); 2] = [
    ("ckan", "CKAN（Action API）"),
    ("dcat-turtle", "DCAT-AP フィード（Turtle）"),
];
/// Longest source name.
pub const MAX_NAME: usize = 200;
/// Longest source URL.
pub const MAX_URL: usize = 2000;
/// Longest schedule interval (hours): 90 days.
pub const MAX_EVERY_HOURS: i64 = 24 * 90;
/// Rows per `package_search` / `package_list` page.
pub const PAGE_ROWS: usize = 1000;
/// Pages of one kind a run reads at most (a million datasets).
pub const MAX_PAGES: usize = 1000;
/// Longest harvested title (characters); longer ones are cut.
const MAX_TITLE: usize = 200;
/// Longest harvested description (characters).
const MAX_NOTES: usize = 20_000;
/// Most tags kept per harvested dataset.
const MAX_TAGS: usize = 100;
/// Errors kept in one run's log.
const MAX_LOGGED_ERRORS: usize = 200;
/// Datasets written per transaction.
const BATCH: usize = 200;

/// A configured source.
#[derive(Debug, Clone, Serialize)]
pub struct Source {
    /// Id.
    pub id: i64,
    /// The prefecture that configured it.
    pub tenant_id: i64,
    /// Name shown on harvested datasets.
    pub name: String,
    /// `ckan` | `dcat-turtle`.
    pub kind: String,
    /// The CKAN site's base URL, or the feed's URL.
    pub url: String,
    /// The organisation (tenant) harvested datasets are filed under.
    pub org_tenant_id: i64,
    /// Hours between scheduled runs; 0 is manual only.
    pub every_hours: i64,
    /// Scheduled runs are queued.
    pub enabled: bool,
    /// `metadata_modified` reached by the last successful run.
    pub high_water: String,
}

/// One run's log.
#[derive(Debug, Clone, Serialize)]
pub struct Run {
    /// Id.
    pub id: i64,
    /// Source.
    pub source_id: i64,
    /// queued | running | succeeded | failed.
    pub status: String,
    /// Queued (ms).
    pub queued_at: i64,
    /// Started (ms).
    pub started_at: Option<i64>,
    /// Finished (ms).
    pub finished_at: Option<i64>,
    /// Datasets the source sent as new or modified.
    pub found: i64,
    /// Created here.
    pub created: i64,
    /// Updated here.
    pub updated: i64,
    /// Marked deleted here.
    pub deleted: i64,
    /// HTTP requests made.
    pub requests: i64,
    /// Per-dataset errors.
    pub errors: Vec<RunError>,
    /// Why a failed run failed.
    pub message: String,
}

/// A dataset a run could not take, and why.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunError {
    /// The dataset (its name or id at the source).
    pub dataset: String,
    /// Why.
    pub reason: String,
}

/// The fields of a source as entered.
#[derive(Debug, Clone, Default)]
pub struct SourceInput {
    /// Name.
    pub name: String,
    /// Kind.
    pub kind: String,
    /// URL.
    pub url: String,
    /// Organisation tenant id.
    pub org_tenant_id: i64,
    /// Hours between runs (0 manual).
    pub every_hours: i64,
    /// Enabled.
    pub enabled: bool,
}

/// Checks a source URL: absolute http(s), no credentials, bounded. The message names the field.
pub fn check_url(url: &str) -> Result<url::Url, String> {
    if url.len() > MAX_URL {
        return Err(format!("URLは{MAX_URL}文字以内で入力してください"));
    }
    let parsed = url::Url::parse(url).map_err(|_| {
        "URLは http:// または https:// で始まる完全なURLで入力してください".to_string()
    })?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err("URLは http:// または https:// で始まる完全なURLで入力してください".into());
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err("URLに利用者名やパスワードを含めないでください".into());
    }
    Ok(parsed)
}

/// Checks a source input against the organisations it may file under; field names are the form's.
pub fn check_source(input: &mut SourceInput, orgs: &[i64]) -> Result<(), OdError> {
    let mut errors: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut add = |f: &str, m: String| errors.entry(f.into()).or_default().push(m);
    input.name = input.name.trim().to_string();
    if input.name.is_empty() {
        add("name", "名前を入力してください".into());
    } else if input.name.chars().count() > MAX_NAME || input.name.chars().any(char::is_control) {
        add(
            "name",
            format!("名前は{MAX_NAME}文字以内で、改行などの制御文字を含めずに入力してください"),
        );
    }
    if !KINDS.iter().any(|(k, _)| *k == input.kind) {
        add("kind", "種類は一覧から選んでください".into());
    }
    input.url = input.url.trim().to_string();
    if let Err(m) = check_url(&input.url) {
        add("url", m);
    }
    if !orgs.contains(&input.org_tenant_id) {
        add(
            "org",
            "登録先の組織は県または県内の市町村から選んでください".into(),
        );
    }
    if !(0..=MAX_EVERY_HOURS).contains(&input.every_hours) {
        add(
            "every_hours",
            format!("実行間隔は0（手動のみ）から{MAX_EVERY_HOURS}時間までの整数で入力してください"),
        );
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(OdError::Validation(errors))
    }
}

const SOURCE_COLUMNS: &str =
    "id, tenant_id, name, kind, url, org_tenant_id, every_hours, enabled, high_water";

fn source_from(r: &sqlx::any::AnyRow) -> Result<Source, sqlx::Error> {
    Ok(Source {
        id: r.try_get("id")?,
        tenant_id: r.try_get("tenant_id")?,
        name: r.try_get("name")?,
        kind: r.try_get("kind")?,
        url: r.try_get("url")?,
        org_tenant_id: r.try_get("org_tenant_id")?,
        every_hours: r.try_get("every_hours")?,
        enabled: r.try_get::<i64, _>("enabled")? != 0,
        high_water: r.try_get("high_water")?,
    })
}

/// A tenant's sources.
pub async fn list_sources(db: &Db, tenant_id: i64) -> Result<Vec<Source>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {SOURCE_COLUMNS} FROM od_harvest_sources WHERE tenant_id = $1 ORDER BY id"
    ))
    .bind(tenant_id)
    .fetch_all(&db.read)
    .await?
    .iter()
    .map(source_from)
    .collect()
}

/// Every source's name, for naming the source of harvested datasets on public pages.
pub async fn source_names(db: &Db) -> Result<HashMap<i64, String>, sqlx::Error> {
    let mut m = HashMap::new();
    for r in sqlx::query("SELECT id, name FROM od_harvest_sources")
        .fetch_all(&db.read)
        .await?
    {
        m.insert(r.try_get("id")?, r.try_get("name")?);
    }
    Ok(m)
}

/// A tenant's source by id.
pub async fn find_source(db: &Db, tenant_id: i64, id: i64) -> Result<Option<Source>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {SOURCE_COLUMNS} FROM od_harvest_sources WHERE id = $1 AND tenant_id = $2"
    ))
    .bind(id)
    .bind(tenant_id)
    .fetch_optional(&db.read)
    .await?
    .as_ref()
    .map(source_from)
    .transpose()
}

/// Creates a source of a tenant, after [`check_source`] (`orgs`: the organisations it may file datasets under).
pub async fn create_source(
    db: &Db,
    tenant_id: i64,
    mut s: SourceInput,
    orgs: &[i64],
) -> Result<i64, OdError> {
    check_source(&mut s, orgs)?;
    let now = now_ms();
    Ok(sqlx::query_scalar(
        "INSERT INTO od_harvest_sources (tenant_id, name, kind, url, org_tenant_id, every_hours, enabled,
             created_at, modified_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
    )
    .bind(tenant_id)
    .bind(&s.name)
    .bind(&s.kind)
    .bind(&s.url)
    .bind(s.org_tenant_id)
    .bind(s.every_hours)
    .bind(i64::from(s.enabled))
    .bind(now)
    .fetch_one(&db.write)
    .await?)
}

/// Replaces a tenant's source's settings, after [`check_source`]. A changed URL or kind starts again from the
/// beginning (no high-water mark); the datasets already harvested stay until the next run's listing.
pub async fn update_source(
    db: &Db,
    tenant_id: i64,
    id: i64,
    mut s: SourceInput,
    orgs: &[i64],
) -> Result<bool, OdError> {
    check_source(&mut s, orgs)?;
    let n = sqlx::query(
        "UPDATE od_harvest_sources SET
             high_water = CASE WHEN url = $1 AND kind = $2 THEN high_water ELSE '' END,
             name = $3, kind = $2, url = $1, org_tenant_id = $4, every_hours = $5, enabled = $6,
             next_run_at = NULL, modified_at = $7
         WHERE id = $8 AND tenant_id = $9",
    )
    .bind(&s.url)
    .bind(&s.kind)
    .bind(&s.name)
    .bind(s.org_tenant_id)
    .bind(s.every_hours)
    .bind(i64::from(s.enabled))
    .bind(now_ms())
    .bind(id)
    .bind(tenant_id)
    .execute(&db.write)
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// The job of one run.
#[derive(Debug, Serialize, Deserialize)]
pub struct HarvestJob {
    /// The run row.
    pub run_id: i64,
}

impl Job for HarvestJob {
    const KIND: &'static str = "od_harvest";
    // A failed run is logged, not retried: the next run (manual or scheduled) starts from the same mark.
    const MAX_ATTEMPTS: i64 = 1;
}

/// Queues a run of a source (its log row and its job, in one transaction). Refused while another run of the
/// source is queued or running.
pub async fn queue_run(db: &Db, source_id: i64) -> Result<i64, OdError> {
    let mut tx = db.write.begin().await?;
    let busy: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM od_harvest_runs WHERE source_id = $1 AND status IN ('queued', 'running')",
    )
    .bind(source_id)
    .fetch_one(&mut *tx)
    .await?;
    if busy > 0 {
        return Err(OdError::field(
            "run",
            "この取り込み元はすでに実行待ちか実行中です",
        ));
    }
    let run_id: i64 = sqlx::query_scalar(
        "INSERT INTO od_harvest_runs (source_id, queued_at) VALUES ($1, $2) RETURNING id",
    )
    .bind(source_id)
    .bind(now_ms())
    .fetch_one(&mut *tx)
    .await?;
    madoguchi_kernel::jobs::enqueue_in(&mut tx, &HarvestJob { run_id }).await?;
    tx.commit().await?;
    Ok(run_id)
}

/// Queues a run of every enabled source whose schedule is due; safe on several instances at once (the
/// schedule is advanced by a conditional update, which only one instance wins).
pub async fn queue_due(db: &Db) -> Result<usize, sqlx::Error> {
    let now = now_ms();
    let due: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT id, every_hours FROM od_harvest_sources
         WHERE enabled = 1 AND every_hours > 0 AND (next_run_at IS NULL OR next_run_at <= $1)",
    )
    .bind(now)
    .fetch_all(&db.read)
    .await?;
    let mut queued = 0;
    for (id, hours) in due {
        let won = sqlx::query(
            "UPDATE od_harvest_sources SET next_run_at = $1
             WHERE id = $2 AND (next_run_at IS NULL OR next_run_at <= $3)",
        )
        .bind(now + hours * 3_600_000)
        .bind(id)
        .bind(now)
        .execute(&db.write)
        .await?
        .rows_affected()
            == 1;
        if won {
            match queue_run(db, id).await {
                Ok(_) => queued += 1,
                Err(OdError::Internal(e)) => {
                    tracing::error!(error = %e, source = id, "harvest not queued")
                }
                Err(_) => {} // a run of the source is still queued or running
            }
        }
    }
    Ok(queued)
}

/// Queues due scheduled harvests every minute (each instance's background work).
pub async fn schedule_periodically(ctx: Ctx) {
    let mut tick = tokio::time::interval(Duration::from_secs(60));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        match queue_due(&ctx.db).await {
            Ok(0) => {}
            Ok(n) => {
                tracing::info!(runs = n, "scheduled harvests queued");
                ctx.jobs_wake.notify_one();
            }
            Err(e) => tracing::error!(error = %e, "harvest schedule failed"),
        }
    }
}

fn run_from(r: &sqlx::any::AnyRow) -> Result<Run, sqlx::Error> {
    let errors: String = r.try_get("errors")?;
    Ok(Run {
        id: r.try_get("id")?,
        source_id: r.try_get("source_id")?,
        status: r.try_get("status")?,
        queued_at: r.try_get("queued_at")?,
        started_at: r.try_get("started_at")?,
        finished_at: r.try_get("finished_at")?,
        found: r.try_get("found")?,
        created: r.try_get("created")?,
        updated: r.try_get("updated")?,
        deleted: r.try_get("deleted")?,
        requests: r.try_get("requests")?,
        errors: serde_json::from_str(&errors).unwrap_or_default(),
        message: r.try_get("message")?,
    })
}

const RUN_COLUMNS: &str = "id, source_id, status, queued_at, started_at, finished_at, found, created, \
     updated, deleted, requests, errors, message";

/// The latest runs of a source, newest first.
pub async fn list_runs(db: &Db, source_id: i64, limit: i64) -> Result<Vec<Run>, sqlx::Error> {
    sqlx::query(&format!(
        "SELECT {RUN_COLUMNS} FROM od_harvest_runs WHERE source_id = $1 ORDER BY id DESC LIMIT $2"
    ))
    .bind(source_id)
    .bind(limit)
    .fetch_all(&db.read)
    .await?
    .iter()
    .map(run_from)
    .collect()
}

/// Runs a queued harvest (the job's work). The outcome is the run's log row; an error is returned only when
/// the database failed.
pub async fn run(ctx: &Ctx, run_id: i64) -> anyhow::Result<()> {
    let db = &ctx.db;
    let Some(row) = sqlx::query(&format!(
        "SELECT {RUN_COLUMNS} FROM od_harvest_runs WHERE id = $1"
    ))
    .bind(run_id)
    .fetch_optional(&db.read)
    .await?
    else {
        return Ok(());
    };
    let run = run_from(&row)?;
    if run.status == "succeeded" || run.status == "failed" {
        return Ok(());
    }
    let source = source_from(
        &sqlx::query(&format!(
            "SELECT {SOURCE_COLUMNS} FROM od_harvest_sources WHERE id = $1"
        ))
        .bind(run.source_id)
        .fetch_one(&db.read)
        .await?,
    )?;
    sqlx::query("UPDATE od_harvest_runs SET status = 'running', started_at = $1 WHERE id = $2")
        .bind(now_ms())
        .bind(run_id)
        .execute(&db.write)
        .await?;
    let mut fetcher = Fetcher::new(&ctx.config.opendata);
    let fetched = match source.kind.as_str() {
        "ckan" => fetch_ckan(&mut fetcher, &source).await,
        _ => fetch_dcat(&mut fetcher, &source).await,
    };
    let requests = fetcher.requests;
    let fetched = match fetched {
        Ok(f) => f,
        Err(reason) => {
            tracing::warn!(source = source.id, run = run_id, %reason, "harvest run failed");
            sqlx::query(
                "UPDATE od_harvest_runs SET status = 'failed', finished_at = $1, requests = $2, message = $3
                 WHERE id = $4",
            )
            .bind(now_ms())
            .bind(requests as i64)
            .bind(bounded(&reason, 1000))
            .bind(run_id)
            .execute(&db.write)
            .await?;
            return Ok(());
        }
    };
    let found = fetched.datasets.len() as i64;
    let mut errors = fetched.errors;
    let counts = apply(db, &source, fetched.datasets, &fetched.present, &mut errors).await?;
    errors.truncate(MAX_LOGGED_ERRORS);
    let mut tx = db.write.begin().await?;
    if let Some(hw) = fetched.high_water {
        sqlx::query("UPDATE od_harvest_sources SET high_water = $1 WHERE id = $2")
            .bind(hw)
            .bind(source.id)
            .execute(&mut *tx)
            .await?;
    }
    sqlx::query(
        "UPDATE od_harvest_runs SET status = 'succeeded', finished_at = $1, found = $2, created = $3,
             updated = $4, deleted = $5, requests = $6, errors = $7
         WHERE id = $8",
    )
    .bind(now_ms())
    .bind(found)
    .bind(counts.created)
    .bind(counts.updated)
    .bind(counts.deleted)
    .bind(requests as i64)
    .bind(serde_json::to_string(&errors)?)
    .bind(run_id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    tracing::info!(
        source = source.id,
        run = run_id,
        found,
        ?counts,
        "harvest run done"
    );
    Ok(())
}

/// A dataset as the source describes it, already bounded and checked.
#[derive(Debug, Clone)]
pub struct Remote {
    /// Its id at the source (CKAN id, DCAT dataset IRI).
    pub remote_id: String,
    /// Its name at the source (CKAN; empty for DCAT).
    pub remote_name: String,
    /// A URL name to use here when new.
    pub name: String,
    /// Title.
    pub title: String,
    /// Description.
    pub notes: String,
    /// Its page at the source (becomes the dataset's `url`).
    pub page_url: String,
    /// Licence id.
    pub license_id: String,
    /// Tags.
    pub tags: Vec<String>,
    /// `metadata_modified` / `dct:modified` as the source wrote it.
    pub modified: String,
    /// Links.
    pub resources: Vec<RemoteResource>,
}

/// A resource of a remote dataset: a link.
#[derive(Debug, Clone)]
pub struct RemoteResource {
    /// Name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Format (CSV …).
    pub format: String,
    /// MIME type.
    pub mimetype: String,
    /// The link.
    pub url: String,
}

/// What a run fetched before writing anything.
struct Fetched {
    datasets: Vec<Remote>,
    /// Everything the source lists now (ids or names), for the deletions.
    present: Present,
    /// The new high-water mark, when the run saw a later one.
    high_water: Option<String>,
    errors: Vec<RunError>,
}

enum Present {
    /// CKAN `package_list`: names.
    Names(HashSet<String>),
    /// DCAT: dataset IRIs.
    Ids(HashSet<String>),
}

/// HTTP to one source, bounded (see the module's SSRF stance).
struct Fetcher {
    timeout: Duration,
    max_bytes: u64,
    allow_private: bool,
    requests: u64,
    client: Option<(String, reqwest::Client)>,
}

/// Whether an address is on the public internet (not loopback, private, link-local, shared, multicast …).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => {
            let o = a.octets();
            !(a.is_private()
                || a.is_loopback()
                || a.is_link_local()
                || a.is_broadcast()
                || a.is_documentation()
                || a.is_unspecified()
                || a.is_multicast()
                || o[0] == 0
                || o[0] >= 240
                || (o[0] == 100 && (o[1] & 0xc0) == 64)
                || (o[0] == 192 && o[1] == 0 && o[2] == 0))
        }
        IpAddr::V6(a) => {
            if let Some(v4) = a.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let s0 = a.segments()[0];
            !(a.is_loopback()
                || a.is_unspecified()
                || a.is_multicast()
                || (s0 & 0xfe00) == 0xfc00
                || (s0 & 0xffc0) == 0xfe80
                || s0 == 0x2001 && a.segments()[1] == 0xdb8)
        }
    }
}

impl Fetcher {
    fn new(c: &madoguchi_kernel::config::OpendataConfig) -> Fetcher {
        Fetcher {
            timeout: Duration::from_secs(c.harvest_timeout_secs.max(1)),
            max_bytes: c.harvest_max_bytes.max(1024),
            allow_private: c.harvest_allow_private_addresses,
            requests: 0,
            client: None,
        }
    }

    /// A client pinned to the checked address of the URL's host (resolved once per run and host).
    async fn client_for(&mut self, url: &url::Url) -> Result<reqwest::Client, String> {
        let host = url.host_str().unwrap_or_default().to_string();
        if let Some((h, c)) = &self.client
            && *h == host
        {
            return Ok(c.clone());
        }
        let port = url.port_or_known_default().unwrap_or(80);
        let lookup = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let addrs: Vec<std::net::SocketAddr> = tokio::time::timeout(
            self.timeout,
            tokio::net::lookup_host((lookup.as_str(), port)),
        )
        .await
        .map_err(|_| format!("{host} の名前解決が時間内に終わりませんでした"))?
        .map_err(|e| format!("{host} の名前解決に失敗しました: {e}"))?
        .collect();
        let Some(addr) = addrs.first().copied() else {
            return Err(format!("{host} のアドレスが見つかりません"));
        };
        if !self.allow_private
            && let Some(bad) = addrs.iter().find(|a| !is_public(a.ip()))
        {
            return Err(format!(
                "{host} は内部のアドレス（{}）を指すため接続しません",
                bad.ip()
            ));
        }
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .timeout(self.timeout)
            .connect_timeout(self.timeout)
            .user_agent(concat!("madoguchi-harvester/", env!("CARGO_PKG_VERSION")))
            .resolve(&lookup, addr)
            .build()
            .map_err(|e| format!("HTTPクライアントを作れません: {e}"))?;
        self.client = Some((host, client.clone()));
        Ok(client)
    }

    /// GETs a URL: a 2xx answer's body within the size bound, or why not.
    async fn get(&mut self, url: &url::Url) -> Result<Vec<u8>, String> {
        check_url(url.as_str())?;
        let client = self.client_for(url).await?;
        self.requests += 1;
        let shown = bounded(url.as_str(), 300);
        let deadline = tokio::time::Instant::now() + self.timeout;
        let mut resp = client.get(url.clone()).send().await.map_err(|e| {
            if e.is_timeout() {
                format!(
                    "{shown} が時間内に応答しませんでした（{} 秒）",
                    self.timeout.as_secs()
                )
            } else {
                format!("{shown} に接続できませんでした: {e}")
            }
        })?;
        let status = resp.status();
        if !status.is_success() {
            return Err(format!("{shown} が HTTP {} を返しました", status.as_u16()));
        }
        if resp.content_length().is_some_and(|n| n > self.max_bytes) {
            return Err(format!(
                "{shown} の応答が大きすぎます（上限 {} バイト）",
                self.max_bytes
            ));
        }
        let mut body = Vec::new();
        loop {
            let chunk = tokio::time::timeout_at(deadline, resp.chunk())
                .await
                .map_err(|_| format!("{shown} が時間内に応答を終えませんでした"))?
                .map_err(|e| format!("{shown} の応答を読めませんでした: {e}"))?;
            let Some(chunk) = chunk else { break };
            if body.len() as u64 + chunk.len() as u64 > self.max_bytes {
                return Err(format!(
                    "{shown} の応答が大きすぎます（上限 {} バイト）",
                    self.max_bytes
                ));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    /// GETs a CKAN action and returns its `result`.
    async fn action(&mut self, url: &url::Url) -> Result<Value, String> {
        let body = self.get(url).await?;
        let shown = bounded(url.path(), 100);
        let v: Value = serde_json::from_slice(&body)
            .map_err(|_| format!("{shown} の応答が CKAN API の JSON ではありません"))?;
        if v.get("success") != Some(&Value::Bool(true)) {
            return Err(format!(
                "{shown} の応答が成功（success: true）ではありません"
            ));
        }
        v.get("result")
            .cloned()
            .ok_or_else(|| format!("{shown} の応答に result がありません"))
    }
}

/// Cuts a text to `max` characters.
fn bounded(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        s.chars().take(max).collect()
    }
}

/// A text of the source: trimmed, control characters (but line breaks and tabs) removed, bounded.
fn clean(s: &str, max: usize) -> String {
    let s: String = s
        .trim()
        .chars()
        .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
        .collect();
    bounded(&s, max)
}

/// A link of the source, kept only when it is an absolute http(s) URL (`safe_url`); a site-relative path would
/// point into this catalog.
fn remote_link(s: &str) -> Option<String> {
    let s = s.trim();
    (s.len() <= MAX_URL
        && (s.starts_with("http://") || s.starts_with("https://"))
        && madoguchi_kernel::safe_url::is_safe_link(s))
    .then(|| s.to_string())
}

/// A URL name from a remote name or identifier: lower-case ASCII letters, digits, `-` and `_`.
fn url_name(s: &str) -> String {
    let mut n: String = s
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    n = n.trim_matches('-').chars().take(80).collect();
    if n.len() < 2 {
        n = format!("ds-{}", &new_uuid()[..8]);
    }
    n
}

/// Milliseconds of a CKAN or DCAT time (zone-less is UTC; a date is its midnight).
fn time_ms(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp_millis());
    }
    if let Ok(t) = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f") {
        return Some(t.and_utc().timestamp_millis());
    }
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp_millis())
}

/// The API URL of a CKAN site's action.
fn ckan_url(base: &str, action: &str, query: &[(&str, String)]) -> Result<url::Url, String> {
    let mut u = check_url(&format!(
        "{}/api/3/action/{action}",
        base.trim_end_matches('/')
    ))?;
    u.query_pairs_mut()
        .extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
    Ok(u)
}

/// What a dataset name in a URL path keeps as it is.
const PATH_SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// A CKAN dataset dict as a [`Remote`], or why it cannot be taken.
fn ckan_remote(base: &str, d: &Value) -> Result<Remote, RunError> {
    let id = str_of(d, "id");
    let name = str_of(d, "name");
    let shown = if name.is_empty() { id } else { name };
    let err = |reason: &str| RunError {
        dataset: bounded(shown, 200),
        reason: reason.into(),
    };
    if id.is_empty() || id.len() > 200 {
        return Err(err("id がないか長すぎます"));
    }
    if name.len() > 200 {
        return Err(err("name が長すぎます"));
    }
    let mut title = clean(str_of(d, "title"), MAX_TITLE);
    if title.is_empty() {
        title = clean(name, MAX_TITLE);
    }
    if title.is_empty() {
        return Err(err("タイトルがありません"));
    }
    let modified = str_of(d, "metadata_modified");
    if time_ms(modified).is_none() {
        return Err(err("metadata_modified が日時ではありません"));
    }
    let page = format!(
        "{}/dataset/{}",
        base.trim_end_matches('/'),
        percent_encoding::utf8_percent_encode(name, PATH_SEGMENT)
    );
    let mut tags = Vec::new();
    for t in d
        .get("tags")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let t = clean(str_of(t, "name"), 100).replace(',', " ");
        if !t.is_empty() && !tags.contains(&t) && tags.len() < MAX_TAGS {
            tags.push(t);
        }
    }
    let mut resources = Vec::new();
    for r in d
        .get("resources")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .take(store::MAX_RESOURCES)
    {
        let Some(url) = remote_link(str_of(r, "url")) else {
            continue;
        };
        resources.push(RemoteResource {
            name: clean(str_of(r, "name"), 200),
            description: clean(str_of(r, "description"), 2000),
            format: clean(str_of(r, "format"), 50),
            mimetype: clean(str_of(r, "mimetype"), 100),
            url,
        });
    }
    Ok(Remote {
        remote_id: id.to_string(),
        remote_name: name.to_string(),
        name: url_name(name),
        title,
        notes: clean(str_of(d, "notes"), MAX_NOTES),
        page_url: remote_link(&page).unwrap_or_default(),
        license_id: clean(str_of(d, "license_id"), 100),
        tags,
        modified: modified.to_string(),
        resources,
    })
}

/// CKAN: the datasets modified since the high-water mark (`package_search`, oldest first), then every name
/// the site lists (`package_list`), both paged and bounded.
async fn fetch_ckan(f: &mut Fetcher, source: &Source) -> Result<Fetched, String> {
    let mut datasets = Vec::new();
    let mut errors = Vec::new();
    let mut high: Option<(i64, String)> =
        time_ms(&source.high_water).map(|t| (t, source.high_water.clone()));
    let fq = if source.high_water.is_empty() {
        String::new()
    } else {
        let hw = source.high_water.trim_end_matches('Z');
        format!("metadata_modified:[{hw}Z TO *]")
    };
    let mut start = 0usize;
    for page in 0.. {
        if page >= MAX_PAGES {
            return Err(format!("package_search が {MAX_PAGES} ページを超えました"));
        }
        let mut q = vec![
            ("sort", "metadata_modified asc".to_string()),
            ("rows", PAGE_ROWS.to_string()),
            ("start", start.to_string()),
        ];
        if !fq.is_empty() {
            q.push(("fq", fq.clone()));
        }
        let result = f
            .action(&ckan_url(&source.url, "package_search", &q)?)
            .await?;
        let results = result
            .get("results")
            .and_then(Value::as_array)
            .ok_or("package_search の応答に results がありません")?;
        let count = result.get("count").and_then(Value::as_u64).unwrap_or(0) as usize;
        for d in results {
            match ckan_remote(&source.url, d) {
                Ok(r) => {
                    if let Some(t) = time_ms(&r.modified)
                        && high.as_ref().is_none_or(|(h, _)| t > *h)
                    {
                        high = Some((t, r.modified.clone()));
                    }
                    datasets.push(r);
                }
                Err(e) => errors.push(e),
            }
        }
        start += results.len();
        if results.len() < PAGE_ROWS || start >= count {
            break;
        }
    }
    let mut names = HashSet::new();
    let mut offset = 0usize;
    for page in 0.. {
        if page >= MAX_PAGES {
            return Err(format!("package_list が {MAX_PAGES} ページを超えました"));
        }
        let result = f
            .action(&ckan_url(
                &source.url,
                "package_list",
                &[
                    ("limit", PAGE_ROWS.to_string()),
                    ("offset", offset.to_string()),
                ],
            )?)
            .await?;
        let list = result
            .as_array()
            .ok_or("package_list の応答が名前の一覧ではありません")?;
        for n in list {
            let n = n
                .as_str()
                .ok_or("package_list の応答が名前の一覧ではありません")?;
            names.insert(n.to_string());
        }
        offset += list.len();
        if list.len() < PAGE_ROWS {
            break;
        }
    }
    // Datasets the search returned are listed too, even when the listing was taken a moment later.
    for d in &datasets {
        names.insert(d.remote_name.clone());
    }
    let high_water = high.map(|(_, s)| s).filter(|s| *s != source.high_water);
    Ok(Fetched {
        datasets,
        present: Present::Names(names),
        high_water,
        errors,
    })
}

const RDF_TYPE: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type";
const DCAT: &str = "http://www.w3.org/ns/dcat#";
const DCT: &str = "http://purl.org/dc/terms/";

/// DCAT-AP Turtle: the whole feed, each dcat:Dataset with its distributions.
async fn fetch_dcat(f: &mut Fetcher, source: &Source) -> Result<Fetched, String> {
    let url = check_url(&source.url)?;
    let body = f.get(&url).await?;
    let parser = oxttl::TurtleParser::new()
        .with_base_iri(source.url.clone())
        .map_err(|e| format!("URLを基底IRIにできません: {e}"))?;
    // subject → predicate → objects
    let mut graph: HashMap<String, HashMap<String, Vec<oxrdf::Term>>> = HashMap::new();
    let mut datasets_order = Vec::new();
    for t in parser.for_slice(&body) {
        let t = t.map_err(|e| format!("Turtle として読めません: {e}"))?;
        let s = subject_key(&t.subject);
        let p = t.predicate.as_str().to_string();
        if p == RDF_TYPE
            && matches!(&t.object, oxrdf::Term::NamedNode(n) if n.as_str() == format!("{DCAT}Dataset"))
            && !datasets_order.contains(&s)
        {
            datasets_order.push(s.clone());
        }
        graph
            .entry(s)
            .or_default()
            .entry(p)
            .or_default()
            .push(t.object);
    }
    let mut datasets = Vec::new();
    let mut errors = Vec::new();
    let mut ids = HashSet::new();
    let mut high: Option<(i64, String)> =
        time_ms(&source.high_water).map(|t| (t, source.high_water.clone()));
    for s in datasets_order {
        let props = &graph[&s];
        match dcat_remote(&s, props, &graph) {
            Ok(r) => {
                if !ids.insert(r.remote_id.clone()) {
                    continue;
                }
                if let Some(t) = time_ms(&r.modified)
                    && high.as_ref().is_none_or(|(h, _)| t > *h)
                {
                    high = Some((t, r.modified.clone()));
                }
                datasets.push(r);
            }
            Err(e) => errors.push(e),
        }
    }
    let high_water = high.map(|(_, s)| s).filter(|s| *s != source.high_water);
    Ok(Fetched {
        datasets,
        present: Present::Ids(ids),
        high_water,
        errors,
    })
}

fn subject_key(s: &oxrdf::NamedOrBlankNode) -> String {
    match s {
        oxrdf::NamedOrBlankNode::NamedNode(n) => n.as_str().to_string(),
        oxrdf::NamedOrBlankNode::BlankNode(b) => format!("_:{}", b.as_str()),
    }
}

fn term_key(t: &oxrdf::Term) -> Option<String> {
    match t {
        oxrdf::Term::NamedNode(n) => Some(n.as_str().to_string()),
        oxrdf::Term::BlankNode(b) => Some(format!("_:{}", b.as_str())),
        _ => None,
    }
}

/// A literal of a property, Japanese first.
fn literal(props: &HashMap<String, Vec<oxrdf::Term>>, p: &str) -> String {
    let mut best: Option<&oxrdf::Literal> = None;
    for t in props.get(p).into_iter().flatten() {
        if let oxrdf::Term::Literal(l) = t {
            if l.language() == Some("ja") {
                return l.value().to_string();
            }
            if best.is_none() {
                best = Some(l);
            }
        }
    }
    best.map(|l| l.value().to_string()).unwrap_or_default()
}

/// An IRI or literal value of a property.
fn iri_or_literal(props: &HashMap<String, Vec<oxrdf::Term>>, p: &str) -> String {
    for t in props.get(p).into_iter().flatten() {
        match t {
            oxrdf::Term::NamedNode(n) => return n.as_str().to_string(),
            oxrdf::Term::Literal(l) => return l.value().to_string(),
            _ => {}
        }
    }
    String::new()
}

/// The last path segment of an authority table IRI (`…/file-type/CSV` → `CSV`), or the literal itself.
fn last_segment(s: &str) -> &str {
    s.trim_end_matches('/').rsplit('/').next().unwrap_or(s)
}

fn license_of(iri: &str) -> String {
    let l = iri.to_lowercase();
    if l.contains("creativecommons.org/licenses/by/4.0") {
        "cc-by-4.0".into()
    } else if l.contains("creativecommons.org/licenses/by-sa/4.0") {
        "cc-by-sa-4.0".into()
    } else if l.contains("creativecommons.org/publicdomain/zero") {
        "cc-zero".into()
    } else if iri.is_empty() {
        String::new()
    } else {
        "other".into()
    }
}

fn dcat_remote(
    subject: &str,
    props: &HashMap<String, Vec<oxrdf::Term>>,
    graph: &HashMap<String, HashMap<String, Vec<oxrdf::Term>>>,
) -> Result<Remote, RunError> {
    let identifier = clean(&literal(props, &format!("{DCT}identifier")), 200);
    let remote_id = if subject.starts_with("_:") {
        identifier.clone()
    } else {
        subject.to_string()
    };
    let shown = if identifier.is_empty() {
        bounded(subject, 200)
    } else {
        identifier.clone()
    };
    let err = |reason: &str| RunError {
        dataset: shown.clone(),
        reason: reason.into(),
    };
    if remote_id.is_empty() || remote_id.len() > MAX_URL {
        return Err(err("データセットにIRIも dct:identifier もありません"));
    }
    let title = clean(&literal(props, &format!("{DCT}title")), MAX_TITLE);
    if title.is_empty() {
        return Err(err("dct:title がありません"));
    }
    let modified = literal(props, &format!("{DCT}modified"));
    if !modified.is_empty() && time_ms(&modified).is_none() {
        return Err(err("dct:modified が日付ではありません"));
    }
    let name_from = if identifier.is_empty() {
        last_segment(&remote_id).to_string()
    } else {
        identifier.clone()
    };
    let mut tags = Vec::new();
    for t in props.get(&format!("{DCAT}keyword")).into_iter().flatten() {
        if let oxrdf::Term::Literal(l) = t {
            let t = clean(l.value(), 100).replace(',', " ");
            if !t.is_empty() && !tags.contains(&t) && tags.len() < MAX_TAGS {
                tags.push(t);
            }
        }
    }
    let page = remote_link(&iri_or_literal(props, &format!("{DCAT}landingPage")))
        .or_else(|| remote_link(subject))
        .unwrap_or_default();
    let mut resources = Vec::new();
    for d in props
        .get(&format!("{DCAT}distribution"))
        .into_iter()
        .flatten()
        .filter_map(term_key)
        .take(store::MAX_RESOURCES)
    {
        let Some(dp) = graph.get(&d) else { continue };
        let Some(url) = remote_link(&iri_or_literal(dp, &format!("{DCAT}downloadURL")))
            .or_else(|| remote_link(&iri_or_literal(dp, &format!("{DCAT}accessURL"))))
        else {
            continue;
        };
        let media = iri_or_literal(dp, &format!("{DCAT}mediaType"));
        let media = media
            .split("/media-types/")
            .nth(1)
            .unwrap_or(&media)
            .to_string();
        resources.push(RemoteResource {
            name: clean(&literal(dp, &format!("{DCT}title")), 200),
            description: clean(&literal(dp, &format!("{DCT}description")), 2000),
            format: clean(
                last_segment(&iri_or_literal(dp, &format!("{DCT}format"))),
                50,
            ),
            mimetype: clean(&media, 100),
            url,
        });
    }
    Ok(Remote {
        remote_id,
        remote_name: String::new(),
        name: url_name(&name_from),
        title,
        notes: clean(&literal(props, &format!("{DCT}description")), MAX_NOTES),
        page_url: page,
        license_id: license_of(&iri_or_literal(props, &format!("{DCT}license"))),
        tags,
        modified,
        resources,
    })
}

/// What a run changed.
#[derive(Debug, Default, Clone, Copy)]
pub struct Counts {
    /// Created.
    pub created: i64,
    /// Updated.
    pub updated: i64,
    /// Marked deleted.
    pub deleted: i64,
}

struct Local {
    id: String,
    remote_name: String,
    modified: String,
    active: bool,
}

/// Writes what a run fetched: new datasets, changed ones, and deletions of those the source no longer lists,
/// in batches (one catalog version each); a batch that fails is retried one dataset at a time so that one
/// bad dataset is logged and the others still go in.
async fn apply(
    db: &Db,
    source: &Source,
    remotes: Vec<Remote>,
    present: &Present,
    errors: &mut Vec<RunError>,
) -> Result<Counts, sqlx::Error> {
    let mut locals: HashMap<String, Local> = HashMap::new();
    for r in sqlx::query(
        "SELECT id, harvest_remote_id, harvest_remote_name, harvest_modified, state FROM od_datasets
         WHERE harvest_source_id = $1",
    )
    .bind(source.id)
    .fetch_all(&db.read)
    .await?
    {
        let remote_id: Option<String> = r.try_get("harvest_remote_id")?;
        locals.insert(
            remote_id.unwrap_or_default(),
            Local {
                id: r.try_get("id")?,
                remote_name: r
                    .try_get::<Option<String>, _>("harvest_remote_name")?
                    .unwrap_or_default(),
                modified: r
                    .try_get::<Option<String>, _>("harvest_modified")?
                    .unwrap_or_default(),
                active: r.try_get::<String, _>("state")? == "active",
            },
        );
    }
    let mut taken: HashSet<String> = sqlx::query_scalar("SELECT name FROM od_datasets")
        .fetch_all(&db.read)
        .await?
        .into_iter()
        .collect();
    let mut counts = Counts::default();
    // Only what changed is written.
    let mut writes = Vec::new();
    for r in remotes {
        match locals.get_mut(&r.remote_id) {
            Some(l) if l.active && !r.modified.is_empty() && l.modified == r.modified => {
                l.remote_name = r.remote_name.clone();
            }
            Some(l) => {
                l.remote_name = r.remote_name.clone();
                l.active = true;
                writes.push((Some(l.id.clone()), r));
            }
            None => {
                let mut name = r.name.clone();
                if taken.contains(&name) {
                    name = format!("{}-h{}", r.name, source.id);
                }
                while taken.contains(&name) {
                    name = format!("h{}-{}", source.id, &new_uuid()[..8]);
                }
                taken.insert(name.clone());
                let mut r = r;
                r.name = name;
                writes.push((None, r));
            }
        }
    }
    for batch in writes.chunks(BATCH) {
        match write_batch(db, source, batch).await {
            Ok(c) => {
                counts.created += c.created;
                counts.updated += c.updated;
            }
            Err(_) => {
                for one in batch {
                    match write_batch(db, source, std::slice::from_ref(one)).await {
                        Ok(c) => {
                            counts.created += c.created;
                            counts.updated += c.updated;
                        }
                        Err(e) => errors.push(RunError {
                            dataset: bounded(
                                if one.1.remote_name.is_empty() {
                                    &one.1.remote_id
                                } else {
                                    &one.1.remote_name
                                },
                                200,
                            ),
                            reason: bounded(&format!("保存できませんでした: {e}"), 300),
                        }),
                    }
                }
            }
        }
    }
    let gone: Vec<String> = locals
        .iter()
        .filter(|(rid, l)| {
            l.active
                && match present {
                    Present::Names(n) => !n.contains(&l.remote_name),
                    Present::Ids(ids) => !ids.contains(*rid),
                }
        })
        .map(|(_, l)| l.id.clone())
        .collect();
    for batch in gone.chunks(BATCH) {
        let mut tx = db.write.begin().await?;
        let v = next_version(&mut tx).await?;
        let now = now_ms();
        for id in batch {
            counts.deleted += sqlx::query(
                "UPDATE od_datasets SET state = 'deleted', modified_at = $1, seq = $2
                 WHERE id = $3 AND harvest_source_id = $4 AND state = 'active'",
            )
            .bind(now)
            .bind(v)
            .bind(id)
            .bind(source.id)
            .execute(&mut *tx)
            .await?
            .rows_affected() as i64;
        }
        tx.commit().await?;
    }
    Ok(counts)
}

async fn next_version(tx: &mut sqlx::Transaction<'_, sqlx::Any>) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "UPDATE od_catalog_version SET version = version + 1 WHERE id = 1 RETURNING version",
    )
    .fetch_one(&mut **tx)
    .await
}

async fn write_batch(
    db: &Db,
    source: &Source,
    batch: &[(Option<String>, Remote)],
) -> Result<Counts, sqlx::Error> {
    let mut counts = Counts::default();
    let mut tx = db.write.begin().await?;
    let v = next_version(&mut tx).await?;
    let now = now_ms();
    for (local, r) in batch {
        let extras = serde_json::to_string(&[
            store::Extra {
                key: "harvest_source_title".into(),
                value: source.name.clone(),
            },
            store::Extra {
                key: "harvest_url".into(),
                value: r.page_url.clone(),
            },
            store::Extra {
                key: "harvest_source_modified".into(),
                value: r.modified.clone(),
            },
        ])
        .unwrap_or_else(|_| "[]".into());
        let license = if r.license_id.is_empty() {
            store::LICENSES[0].0
        } else {
            r.license_id.as_str()
        };
        let id = match local {
            Some(id) => {
                sqlx::query(
                    "UPDATE od_datasets SET tenant_id = $1, title = $2, notes = $3, url = $4, license_id = $5,
                         extras = $6, modified_at = $7, seq = $8, state = 'active', harvest_remote_name = $9,
                         harvest_modified = $10
                     WHERE id = $11 AND harvest_source_id = $12",
                )
                .bind(source.org_tenant_id)
                .bind(&r.title)
                .bind(&r.notes)
                .bind(&r.page_url)
                .bind(license)
                .bind(&extras)
                .bind(now)
                .bind(v)
                .bind(&r.remote_name)
                .bind(&r.modified)
                .bind(id)
                .bind(source.id)
                .execute(&mut *tx)
                .await?;
                sqlx::query("DELETE FROM od_tags WHERE dataset_id = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query(
                    "UPDATE od_resources SET state = 'deleted', modified_at = $1
                     WHERE dataset_id = $2 AND state <> 'deleted'",
                )
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
                counts.updated += 1;
                id.clone()
            }
            None => {
                let id = new_uuid();
                sqlx::query(
                    "INSERT INTO od_datasets (id, tenant_id, name, title, notes, url, license_id, extras,
                         created_at, modified_at, seq, harvest_source_id, harvest_remote_id, harvest_remote_name,
                         harvest_modified)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, $11, $12, $13, $14)",
                )
                .bind(&id)
                .bind(source.org_tenant_id)
                .bind(&r.name)
                .bind(&r.title)
                .bind(&r.notes)
                .bind(&r.page_url)
                .bind(license)
                .bind(&extras)
                .bind(now)
                .bind(v)
                .bind(source.id)
                .bind(&r.remote_id)
                .bind(&r.remote_name)
                .bind(&r.modified)
                .execute(&mut *tx)
                .await?;
                counts.created += 1;
                id
            }
        };
        for t in &r.tags {
            sqlx::query("INSERT INTO od_tags (dataset_id, name) VALUES ($1, $2)")
                .bind(&id)
                .bind(t)
                .execute(&mut *tx)
                .await?;
        }
        for (i, res) in r.resources.iter().enumerate() {
            sqlx::query(
                "INSERT INTO od_resources (id, dataset_id, position, name, description, format, mimetype, url,
                     state, created_at, modified_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'active', $9, $9)",
            )
            .bind(new_uuid())
            .bind(&id)
            .bind(i as i64)
            .bind(&res.name)
            .bind(&res.description)
            .bind(res.format.to_uppercase())
            .bind(&res.mimetype)
            .bind(&res.url)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
    }
    tx.commit().await?;
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_http_only_and_bounded() {
        assert!(check_url("https://example.jp/catalog").is_ok());
        assert!(check_url("http://example.jp").is_ok());
        for bad in [
            "javascript:alert(1)",
            "file:///etc/passwd",
            "ftp://example.jp/",
            "/relative",
            "https://user:pw@example.jp/",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
        assert!(check_url(&format!("https://example.jp/{}", "a".repeat(MAX_URL))).is_err());
    }

    #[test]
    fn private_addresses_are_not_public() {
        for a in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(!is_public(a.parse().unwrap()), "{a}");
        }
        assert!(is_public("93.184.216.34".parse().unwrap()));
        assert!(is_public("2606:4700::1".parse().unwrap()));
    }

    #[test]
    fn remote_texts_are_cleaned() {
        assert_eq!(clean(" a\u{7}b\n ", 10), "ab");
        assert_eq!(remote_link("javascript:alert(1)"), None);
        assert_eq!(remote_link("/local"), None);
        assert_eq!(url_name("Kochi City AED"), "kochi-city-aed");
    }
}
