//! The in-memory search index of each tenant, one per audience (residents / staff helpdesk).
//!
//! Built from the database on first use (and for every tenant at server start by [`Indexes::warm_all`]).
//! Each tenant has a generation counter in the database, bumped with every change to its Q&As or synonyms.
//! A request uses the index it has if it was checked less than [`RECHECK`] ago; otherwise it reads the
//! generation (one tiny query) and rebuilds when it moved. Changes made on this instance invalidate the
//! tenant at once, so the person who saved sees the effect on the next request; other instances see it
//! within [`RECHECK`].

use crate::store::{self, Audience, Entry};
use madoguchi_kernel::Db;
use madoguchi_search::{
    Analyzer, Answer, Document, IPADIC_DEFS, IPADIC_FILES, Index, Readings, SearchOptions,
    Synonyms, Thesaurus,
};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

/// Where Debian's `mecab-ipadic` installs the IPADIC sources; `MADOGUCHI_IPADIC_DIR` overrides it.
pub const IPADIC_DIR: &str = "/usr/share/mecab/dic/ipadic";

/// The optional language resources of FAQ search (ADR 0009, 0024), shared by every tenant's index.
#[derive(Debug, Clone, Default)]
pub struct Language {
    /// Kana readings of kanji words (used when there is no analyzer).
    pub readings: Option<Readings>,
    /// Word analysis over IPADIC.
    pub analyzer: Option<Analyzer>,
    /// The Sudachi synonym groups.
    pub thesaurus: Option<Thesaurus>,
}

impl Language {
    /// Adds the resources to a tenant's synonyms.
    pub fn apply(&self, mut synonyms: Synonyms) -> Synonyms {
        if let Some(r) = &self.readings {
            synonyms = synonyms.with_readings(r.clone());
        }
        if let Some(a) = &self.analyzer {
            synonyms = synonyms.with_analyzer(a.clone());
        }
        if let Some(t) = &self.thesaurus {
            synonyms = synonyms.with_thesaurus(t.clone());
        }
        synonyms
    }
}

/// Loads what is present of the language resources (blocking; a few seconds the first time). `dir` is the
/// directory `scripts/faq-setup` fills (`MADOGUCHI_FAQ_DATA` overrides it; the server passes `data_dir/faq`):
/// `ipadic/` (IPADIC sources, else `MADOGUCHI_IPADIC_DIR` or Debian's [`IPADIC_DIR`]), `ipadic-system.dic`
/// (the analyzer's dictionary, compiled there from the sources on first use) and
/// `sudachi-synonyms-dictionary.json`. Whatever is missing is left out: search then works with less.
pub fn load_language(dir: Option<&Path>) -> Language {
    let dir: Option<PathBuf> = std::env::var_os("MADOGUCHI_FAQ_DATA")
        .map(PathBuf::from)
        .or_else(|| dir.map(Path::to_path_buf));
    let ipadic = dir
        .as_ref()
        .map(|d| d.join("ipadic"))
        .filter(|d| d.join("Noun.csv").is_file())
        .unwrap_or_else(|| {
            PathBuf::from(
                std::env::var("MADOGUCHI_IPADIC_DIR").unwrap_or_else(|_| IPADIC_DIR.to_string()),
            )
        });
    let mut language = Language::default();
    let compiled = dir.as_ref().map(|d| d.join("ipadic-system.dic"));
    let bytes = compiled
        .as_ref()
        .and_then(|p| std::fs::read(p).ok())
        .or_else(|| compile_ipadic(&ipadic, compiled.as_deref()));
    match bytes.map(|b| Analyzer::from_compiled(&b)) {
        Some(Ok(a)) => {
            tracing::info!(dir = %ipadic.display(), "FAQ word analysis loaded (IPADIC)");
            language.analyzer = Some(a);
        }
        Some(Err(e)) => tracing::warn!(error = %e, "FAQ word analysis unavailable"),
        None => {
            tracing::info!(dir = %ipadic.display(), "IPADIC not found: FAQ search runs on characters only");
        }
    }
    if language.analyzer.is_none() {
        let files: Vec<Vec<u8>> = IPADIC_FILES
            .iter()
            .filter_map(|f| std::fs::read(ipadic.join(f)).ok())
            .collect();
        if !files.is_empty() {
            language.readings = Some(Readings::from_ipadic_euc_jp(
                files.iter().map(Vec::as_slice),
            ));
        }
    }
    if let Some(path) = dir.map(|d| d.join("sudachi-synonyms-dictionary.json"))
        && let Ok(text) = std::fs::read_to_string(&path)
    {
        match Thesaurus::from_sudachi_json(&text) {
            Ok(t) => {
                tracing::info!(groups = t.len(), "Sudachi synonyms loaded for FAQ search");
                language.thesaurus = Some(t);
            }
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "Sudachi synonyms unreadable")
            }
        }
    }
    language
}

/// Compiles the analyzer's dictionary from the IPADIC sources in `dir`, caching it at `cache` when given.
fn compile_ipadic(dir: &Path, cache: Option<&Path>) -> Option<Vec<u8>> {
    let mut csvs: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "csv"))
        .collect();
    if csvs.is_empty() {
        return None;
    }
    csvs.sort();
    let csvs: Vec<Vec<u8>> = csvs.iter().filter_map(|p| std::fs::read(p).ok()).collect();
    let defs: Vec<Vec<u8>> = IPADIC_DEFS
        .iter()
        .filter_map(|f| std::fs::read(dir.join(f)).ok())
        .collect();
    let [matrix, chars, unk] = <[Vec<u8>; 3]>::try_from(defs).ok()?;
    let started = Instant::now();
    let bytes = match Analyzer::compile_ipadic_euc_jp(
        csvs.iter().map(Vec::as_slice),
        &matrix,
        &chars,
        &unk,
    ) {
        Ok(b) => b,
        Err(e) => {
            tracing::warn!(error = %e, "IPADIC could not be compiled");
            return None;
        }
    };
    tracing::info!(
        ms = started.elapsed().as_millis() as u64,
        "IPADIC compiled for FAQ word analysis"
    );
    if let Some(cache) = cache {
        let tmp = cache.with_extension("tmp");
        let written = cache
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::write(&tmp, &bytes))
            .and_then(|()| std::fs::rename(&tmp, cache));
        if let Err(e) = written {
            tracing::warn!(path = %cache.display(), error = %e, "compiled IPADIC not cached");
        }
    }
    Some(bytes)
}

/// How long an index is used before its generation is checked again.
pub const RECHECK: Duration = Duration::from_secs(3);

/// The searchable Q&As of one tenant at one generation.
pub struct TenantIndex {
    /// The generation it was built from.
    pub generation: i64,
    /// Entries residents may see.
    pub public: Index,
    /// Entries only staff see (the helpdesk).
    pub staff: Index,
    /// Every live entry by id.
    pub entries: HashMap<i64, Arc<Entry>>,
}

impl TenantIndex {
    /// Builds the index of entries with the tenant's synonyms (CPU work: call off the async runtime).
    pub fn build(generation: i64, entries: Vec<Entry>, synonyms: &Synonyms) -> TenantIndex {
        let doc = |e: &Entry| Document {
            id: e.id,
            question: e.question.clone(),
            phrasings: e.phrasings.clone(),
            answer: e.answer.clone(),
            category: e.category.clone(),
            staff_only: e.audience == Audience::Staff,
        };
        let public = entries
            .iter()
            .filter(|e| e.audience == Audience::Public)
            .map(doc)
            .collect();
        let staff = entries
            .iter()
            .filter(|e| e.audience == Audience::Staff)
            .map(doc)
            .collect();
        TenantIndex {
            generation,
            public: Index::build(public, synonyms),
            staff: Index::build(staff, synonyms),
            entries: entries.into_iter().map(|e| (e.id, Arc::new(e))).collect(),
        }
    }

    /// Searches the entries of an audience.
    pub fn search(&self, audience: Audience, query: &str, limit: usize) -> Answer {
        match audience {
            Audience::Public => self.public.search(
                query,
                &SearchOptions {
                    include_staff_only: false,
                    staff_only: false,
                    limit,
                },
            ),
            Audience::Staff => self.staff.search(
                query,
                &SearchOptions {
                    include_staff_only: true,
                    staff_only: true,
                    limit,
                },
            ),
        }
    }
}

struct Slot {
    checked: Instant,
    index: Arc<TenantIndex>,
}

/// The indexes of every tenant this instance has served.
pub struct Indexes {
    slots: RwLock<HashMap<i64, Slot>>,
    /// When each tenant was last changed on this instance: an index whose generation was read before that
    /// (a build already under way when the change committed) is not used without a new check.
    invalidated: RwLock<HashMap<i64, Instant>>,
    building: tokio::sync::Mutex<()>,
    recheck: Duration,
    /// Where the language resources are (`data_dir/faq`), if anywhere.
    language_dir: Option<PathBuf>,
    language: tokio::sync::OnceCell<Language>,
}

impl Default for Indexes {
    fn default() -> Self {
        Indexes::with_recheck(RECHECK)
    }
}

impl std::fmt::Debug for Indexes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Indexes").finish_non_exhaustive()
    }
}

/// The synonyms a tenant's index uses: its own dictionary, or the built-in starter one.
pub async fn tenant_synonyms(db: &Db, tenant_id: i64) -> anyhow::Result<Synonyms> {
    Ok(match store::synonyms_text(db, tenant_id).await? {
        Some(text) => Synonyms::parse(&text).unwrap_or_else(|e| {
            // Saved text was parsed before saving; a failure here means a newer parser disagrees.
            tracing::warn!(tenant_id, error = %e, "stored synonyms no longer parse; using the built-in ones");
            Synonyms::builtin()
        }),
        None => Synonyms::builtin(),
    })
}

impl Indexes {
    /// Indexes that check the generation after `recheck` (zero: on every request).
    pub fn with_recheck(recheck: Duration) -> Indexes {
        Indexes {
            slots: RwLock::default(),
            invalidated: RwLock::default(),
            building: tokio::sync::Mutex::new(()),
            recheck,
            language_dir: None,
            language: tokio::sync::OnceCell::new(),
        }
    }

    /// Takes the language resources from `dir` (see [`load_language`]).
    pub fn with_language_dir(mut self, dir: PathBuf) -> Indexes {
        self.language_dir = Some(dir);
        self
    }

    fn fresh(&self, tenant_id: i64) -> Option<Arc<TenantIndex>> {
        let changed = self
            .invalidated
            .read()
            .expect("index lock")
            .get(&tenant_id)
            .copied();
        let slots = self.slots.read().expect("index lock");
        slots
            .get(&tenant_id)
            .filter(|s| s.checked.elapsed() < self.recheck && changed.is_none_or(|c| s.checked > c))
            .map(|s| s.index.clone())
    }

    /// The tenant's current index, rebuilt if the database moved on.
    pub async fn get(&self, db: &Db, tenant_id: i64) -> anyhow::Result<Arc<TenantIndex>> {
        if let Some(i) = self.fresh(tenant_id) {
            return Ok(i);
        }
        // The time a check counts from is taken before the generation is read.
        let asked = Instant::now();
        let generation = store::generation(db, tenant_id).await?;
        {
            let mut slots = self.slots.write().expect("index lock");
            if let Some(s) = slots.get_mut(&tenant_id)
                && s.index.generation == generation
            {
                s.checked = asked;
                return Ok(s.index.clone());
            }
        }
        // One rebuild at a time; whoever waited finds the fresh index.
        let _guard = self.building.lock().await;
        if let Some(i) = self.fresh(tenant_id)
            && i.generation >= generation
        {
            return Ok(i);
        }
        let started = Instant::now();
        let index = Arc::new(self.load(db, tenant_id).await?);
        self.slots.write().expect("index lock").insert(
            tenant_id,
            Slot {
                checked: started,
                index: index.clone(),
            },
        );
        Ok(index)
    }

    async fn load(&self, db: &Db, tenant_id: i64) -> anyhow::Result<TenantIndex> {
        // Read the generation first: a change committed while loading makes the next check rebuild again.
        let generation = store::generation(db, tenant_id).await?;
        let entries = store::live_entries(db, tenant_id).await?;
        let language = self
            .language
            .get_or_init(|| async {
                let dir = self.language_dir.clone();
                tokio::task::spawn_blocking(move || load_language(dir.as_deref()))
                    .await
                    .unwrap_or_default()
            })
            .await;
        let synonyms = language.apply(tenant_synonyms(db, tenant_id).await?);
        let started = Instant::now();
        let index =
            tokio::task::spawn_blocking(move || TenantIndex::build(generation, entries, &synonyms))
                .await?;
        tracing::debug!(
            tenant_id,
            entries = index.entries.len(),
            ms = started.elapsed().as_millis() as u64,
            "FAQ index built"
        );
        Ok(index)
    }

    /// Forgets a tenant's index after a change on this instance, so the next request rebuilds it.
    pub fn invalidate(&self, tenant_id: i64) {
        self.invalidated
            .write()
            .expect("index lock")
            .insert(tenant_id, Instant::now());
        self.slots.write().expect("index lock").remove(&tenant_id);
    }

    /// Builds the index of every tenant (at server start).
    pub async fn warm_all(&self, db: &Db) -> anyhow::Result<()> {
        for t in madoguchi_kernel::tenants::list_tenants(db).await? {
            self.get(db, t.id).await?;
        }
        Ok(())
    }
}
