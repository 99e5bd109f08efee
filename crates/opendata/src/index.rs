//! The in-memory catalog: a snapshot of every dataset, searched without Solr (ADR 0011).
//!
//! Each instance keeps one snapshot and checks the catalog version (one indexed single-row read) before
//! using it; a write anywhere bumps the version, and the next read on every instance reloads. The words of
//! `q` are looked up in an inverted index over the FAQ's Japanese analysis (`madoguchi_search`: normalisation,
//! base forms and readings with IPADIC, the Sudachi synonyms and the built-in groups; ADR 0033), built with
//! the snapshot from documents analysed once per change, and ranked by its BM25; quoted phrases and field
//! queries keep the substring match over normalised keys. Solr-like `q`/`fq` syntax, sorting and facets as
//! CKAN's `package_search` has them.

use crate::store::{self, Dataset, Group, Org, Resource};
use madoguchi_japanese::search::search_key;
use madoguchi_kernel::Db;
use madoguchi_search::{
    Document, Index as TextIndex, MAX_QUERY_CHARS, Prepared, SearchOptions, Synonyms,
};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, OnceLock, RwLock};

/// Longest `q` or `fq` accepted, in characters (the FAQ's bound on a question): longer ones are refused before
/// any work.
pub const MAX_Q_CHARS: usize = MAX_QUERY_CHARS;

/// Share of a word's idf weight a dataset must cover to match it (synonyms count): a word is "found" even when
/// written another way (避難所 → 避難場所), but one shared character of two does not make a match.
pub const WORD_COVERAGE_PERCENT: u8 = 75;

/// Where the catalog gets its language resources: the FAQ's (the server passes them), loaded on first use.
pub type LanguageSource =
    Arc<dyn Fn() -> Pin<Box<dyn Future<Output = Synonyms> + Send>> + Send + Sync>;

/// Numbers the analysed documents (the text index's ids).
static NEXT_SEQ: AtomicI64 = AtomicI64::new(1);

/// A dataset with its precomputed search keys.
#[derive(Debug)]
pub struct Doc {
    /// The dataset.
    pub ds: Dataset,
    /// Organisation code.
    pub org_code: String,
    /// Organisation name.
    pub org_title: String,
    title_key: String,
    notes_key: String,
    tags_key: String,
    text_key: String,
    res_name_key: String,
    res_desc_key: String,
    formats: Vec<String>,
    /// The dataset's terms for the text index (empty for a document made only to be shown).
    prepared: Prepared,
}

/// One snapshot of the catalog.
#[derive(Debug)]
pub struct Catalog {
    /// Version loaded.
    pub version: i64,
    /// Organisations.
    pub orgs: Vec<Org>,
    /// Groups.
    pub groups: Vec<Group>,
    /// Datasets (shared between snapshots, so a refresh copies pointers, not documents).
    docs: Vec<Arc<Doc>>,
    by_key: HashMap<String, usize>,
    res: HashMap<String, (usize, usize)>,
    /// Public datasets per organisation (tenant id) and per group name, counted once per snapshot.
    org_counts: HashMap<i64, usize>,
    group_counts: HashMap<String, usize>,
    /// Every dataset's text key, in snapshot order, each followed by a separator: one contiguous buffer that a
    /// SIMD substring search sweeps far faster than 10,000 separate strings.
    text_buf: String,
    /// Where each dataset's key starts in `text_buf`.
    starts: Vec<usize>,
    /// The language resources the documents were analysed with.
    synonyms: Synonyms,
    /// The inverted index of the documents' words, built on the first word query of this snapshot (a run of
    /// writes with no search in between builds none), and the position of each text-index id.
    text: OnceLock<(TextIndex, HashMap<i64, usize>)>,
}

/// The shared, refreshable snapshot.
#[derive(Default)]
pub struct Index {
    current: RwLock<Option<Arc<Catalog>>>,
    reload: tokio::sync::Mutex<()>,
    language: Option<LanguageSource>,
    synonyms: tokio::sync::OnceCell<Synonyms>,
}

impl std::fmt::Debug for Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Index")
            .field("current", &self.current)
            .field("language", &self.language.is_some())
            .finish_non_exhaustive()
    }
}

impl Index {
    /// A snapshot analysed with the language resources `source` gives (the FAQ's); without one, the built-in
    /// synonym groups on characters only.
    pub fn with_language(source: LanguageSource) -> Index {
        Index {
            language: Some(source),
            ..Index::default()
        }
    }

    /// The language resources, loaded on first use.
    pub async fn synonyms(&self) -> &Synonyms {
        self.synonyms
            .get_or_init(|| async {
                match &self.language {
                    Some(source) => source().await,
                    None => Synonyms::builtin(),
                }
            })
            .await
    }

    /// The current snapshot, reloaded when the catalog changed.
    pub async fn get(&self, db: &Db) -> Result<Arc<Catalog>, sqlx::Error> {
        let version = store::version(db).await?;
        if let Some(c) = self.cached(version) {
            return Ok(c);
        }
        let _guard = self.reload.lock().await;
        if let Some(c) = self.cached(version) {
            return Ok(c);
        }
        let synonyms = self.synonyms().await.clone();
        let prev = self.current.read().expect("index lock").clone();
        let loaded = store::load(db, prev.as_ref().map(|c| c.version)).await?;
        let catalog = Arc::new(
            tokio::task::spawn_blocking(move || match prev {
                Some(p) => p.refresh(loaded),
                None => Catalog::build(loaded, synonyms),
            })
            .await
            .map_err(|e| sqlx::Error::Protocol(format!("building the catalog index: {e}")))?,
        );
        *self.current.write().expect("index lock") = Some(catalog.clone());
        Ok(catalog)
    }

    fn cached(&self, version: i64) -> Option<Arc<Catalog>> {
        self.current
            .read()
            .expect("index lock")
            .as_ref()
            .filter(|c| c.version >= version)
            .cloned()
    }
}

impl Doc {
    /// A dataset with its search keys and its words analysed for the text index (once per change).
    pub fn analysed(ds: Dataset, org_code: String, org_title: String, synonyms: &Synonyms) -> Doc {
        let mut d = Doc::new(ds, org_code, org_title);
        let public: Vec<&Resource> = d.ds.public_resources().collect();
        let mut body = d.ds.notes.clone();
        for r in &public {
            body.push('\n');
            body.push_str(&r.name);
            body.push('\n');
            body.push_str(&r.description);
        }
        body.push('\n');
        body.push_str(&d.ds.name);
        // The title is the "question" (its own field, boosted), each tag a phrasing, the notes, resources and
        // name the "answer", the publisher the "category".
        let doc = Document {
            id: NEXT_SEQ.fetch_add(1, Ordering::Relaxed),
            question: d.ds.title.clone(),
            phrasings: d.ds.tags.clone(),
            answer: body,
            category: d.org_title.clone(),
            staff_only: false,
        };
        d.prepared = TextIndex::prepare(&doc, synonyms);
        d
    }

    /// A dataset with its search keys, for showing it (not in the text index).
    pub fn new(ds: Dataset, org_code: String, org_title: String) -> Doc {
        let public: Vec<&Resource> = ds.public_resources().collect();
        let res_names: String = public
            .iter()
            .map(|r| r.name.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        let res_descs: String = public
            .iter()
            .map(|r| r.description.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        let mut formats: Vec<String> = public
            .iter()
            .filter(|r| !r.format.is_empty())
            .map(|r| r.format.to_uppercase())
            .collect();
        formats.sort();
        formats.dedup();
        let text_key = search_key(&format!(
            "{} {} {} {} {} {} {}",
            ds.title,
            ds.notes,
            ds.tags.join(" "),
            org_title,
            res_names,
            res_descs,
            ds.name
        ));
        Doc {
            title_key: search_key(&ds.title),
            notes_key: search_key(&ds.notes),
            tags_key: search_key(&ds.tags.join("\u{1}")),
            res_name_key: search_key(&res_names),
            res_desc_key: search_key(&res_descs),
            text_key,
            formats,
            org_code,
            org_title,
            ds,
            prepared: Prepared::default(),
        }
    }
}

impl Catalog {
    /// Builds the snapshot and its keys from a full load.
    pub fn build(loaded: store::Loaded, synonyms: Synonyms) -> Catalog {
        Catalog::assemble(vec![], loaded, synonyms)
    }

    /// A new snapshot: this one with the changed datasets of `loaded` replaced, added or removed.
    pub fn refresh(&self, loaded: store::Loaded) -> Catalog {
        let changed: std::collections::HashSet<&str> = loaded
            .datasets
            .iter()
            .map(|d| d.id.as_str())
            .chain(loaded.removed.iter().map(String::as_str))
            .collect();
        let kept: Vec<Arc<Doc>> = self
            .docs
            .iter()
            .filter(|d| !changed.contains(d.ds.id.as_str()))
            .cloned()
            .collect();
        Catalog::assemble(kept, loaded, self.synonyms.clone())
    }

    /// Every dataset.
    pub fn iter(&self) -> impl Iterator<Item = &Doc> {
        self.docs.iter().map(|d| &**d)
    }

    /// `kept` is sorted by id; the new documents are sorted and merged in, so the snapshot stays in id order
    /// (the harvesters' `sort=id asc` is then the scan order) at linear cost.
    fn assemble(kept: Vec<Arc<Doc>>, loaded: store::Loaded, synonyms: Synonyms) -> Catalog {
        let orgs_by_id: HashMap<i64, &Org> = loaded.orgs.iter().map(|o| (o.tenant_id, o)).collect();
        let mut fresh: Vec<Arc<Doc>> = Vec::with_capacity(loaded.datasets.len());
        for ds in loaded.datasets {
            let (org_code, org_title) = orgs_by_id
                .get(&ds.tenant_id)
                .map_or((String::new(), String::new()), |o| {
                    (o.code.clone(), o.title.clone())
                });
            fresh.push(Arc::new(Doc::analysed(ds, org_code, org_title, &synonyms)));
        }
        fresh.sort_by(|a, b| a.ds.id.cmp(&b.ds.id));
        let mut docs = Vec::with_capacity(kept.len() + fresh.len());
        let (mut a, mut b) = (kept.into_iter().peekable(), fresh.into_iter().peekable());
        loop {
            let take_a = match (a.peek(), b.peek()) {
                (Some(x), Some(y)) => x.ds.id <= y.ds.id,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => break,
            };
            docs.push(if take_a { a.next() } else { b.next() }.expect("peeked"));
        }
        let mut by_key = HashMap::new();
        let mut res = HashMap::new();
        let mut org_counts = HashMap::new();
        let mut group_counts = HashMap::new();
        let mut text_buf = String::with_capacity(docs.iter().map(|d| d.text_key.len() + 1).sum());
        let mut starts = Vec::with_capacity(docs.len());
        for (i, d) in docs.iter().enumerate() {
            if !d.ds.private {
                *org_counts.entry(d.ds.tenant_id).or_default() += 1;
                for g in &d.ds.groups {
                    *group_counts.entry(g.clone()).or_default() += 1;
                }
            }
            starts.push(text_buf.len());
            text_buf.push_str(&d.text_key);
            text_buf.push('\u{1}');
            by_key.insert(d.ds.id.clone(), i);
            by_key.insert(d.ds.name.clone(), i);
            for (j, r) in d.ds.resources.iter().enumerate() {
                res.insert(r.id.clone(), (i, j));
            }
        }
        Catalog {
            version: loaded.version,
            orgs: loaded.orgs,
            groups: loaded.groups,
            docs,
            by_key,
            res,
            org_counts,
            group_counts,
            text_buf,
            starts,
            synonyms,
            text: OnceLock::new(),
        }
    }

    /// The text index of this snapshot (built on first use: postings only, the words were analysed when each
    /// dataset changed).
    fn text_index(&self) -> &(TextIndex, HashMap<i64, usize>) {
        self.text.get_or_init(|| {
            let index =
                TextIndex::build_prepared(self.docs.iter().map(|d| &d.prepared), &self.synonyms);
            let positions = self
                .docs
                .iter()
                .enumerate()
                .map(|(i, d)| (d.prepared.id(), i))
                .collect();
            (index, positions)
        })
    }

    /// The datasets matching one word of `q` (see [`WORD_COVERAGE_PERCENT`]), by text-index id, with their
    /// BM25 score.
    fn word_matches(&self, word: &str) -> HashMap<i64, f32> {
        let (index, _) = self.text_index();
        let opts = SearchOptions {
            include_staff_only: true,
            staff_only: false,
            limit: usize::MAX,
            min_coverage_percent: WORD_COVERAGE_PERCENT,
        };
        index
            .matching(word, &opts)
            .into_iter()
            .map(|h| (h.id, h.score))
            .collect()
    }

    /// Looks every word of a query up in the text index, once.
    fn resolve(&self, n: Node) -> Node {
        match n {
            Node::Words(w) => Node::Matched(Arc::new(Matched {
                hits: self.word_matches(&w),
                word: w,
            })),
            Node::And(v) => Node::And(v.into_iter().map(|n| self.resolve(n)).collect()),
            Node::Or(v) => Node::Or(v.into_iter().map(|n| self.resolve(n)).collect()),
            Node::Not(b) => Node::Not(Box::new(self.resolve(*b))),
            other => other,
        }
    }

    /// The positions of the only datasets that can match `q`, ascending: the words' matches from the text
    /// index, a phrase's from one sweep of the contiguous key buffer, intersected under AND and joined under
    /// OR. `None` when the query has parts that need each dataset checked in turn (`*:*`, NOT, fields).
    fn candidates(&self, q: &Node) -> Option<Vec<usize>> {
        match q {
            Node::Matched(m) => {
                let positions = &self.text_index().1;
                let mut v: Vec<usize> = m
                    .hits
                    .keys()
                    .filter_map(|id| positions.get(id).copied())
                    .collect();
                v.sort_unstable();
                Some(v)
            }
            Node::Text(n) if !n.is_empty() => {
                let mut v = Vec::new();
                for pos in n.1.find_iter(self.text_buf.as_bytes()) {
                    let doc = self.starts.partition_point(|s| *s <= pos) - 1;
                    if v.last() != Some(&doc) {
                        v.push(doc);
                    }
                }
                Some(v)
            }
            Node::And(parts) => {
                let mut out: Option<Vec<usize>> = None;
                for c in parts.iter().filter_map(|p| self.candidates(p)) {
                    out = Some(match out {
                        None => c,
                        Some(o) => {
                            let keep: std::collections::HashSet<usize> = c.into_iter().collect();
                            o.into_iter().filter(|x| keep.contains(x)).collect()
                        }
                    });
                }
                out
            }
            Node::Or(parts) => {
                let mut all = Vec::new();
                for p in parts {
                    all.extend(self.candidates(p)?);
                }
                all.sort_unstable();
                all.dedup();
                Some(all)
            }
            _ => None,
        }
    }

    /// Public datasets of an organisation.
    pub fn org_package_count(&self, tenant_id: i64) -> usize {
        self.org_counts.get(&tenant_id).copied().unwrap_or(0)
    }

    /// Public datasets in a group.
    pub fn group_package_count(&self, name: &str) -> usize {
        self.group_counts.get(name).copied().unwrap_or(0)
    }

    /// A dataset by id or name.
    pub fn dataset(&self, id_or_name: &str) -> Option<&Doc> {
        self.by_key.get(id_or_name).map(|i| &*self.docs[*i])
    }

    /// A resource and its dataset.
    pub fn resource(&self, id: &str) -> Option<(&Doc, &Resource)> {
        self.res
            .get(id)
            .map(|(i, j)| (&*self.docs[*i], &self.docs[*i].ds.resources[*j]))
    }

    /// An organisation by code (its CKAN name and id).
    pub fn org(&self, code: &str) -> Option<&Org> {
        self.orgs.iter().find(|o| o.code == code)
    }

    /// An organisation by tenant id.
    pub fn org_of(&self, tenant_id: i64) -> Option<&Org> {
        self.orgs.iter().find(|o| o.tenant_id == tenant_id)
    }

    /// A group by name or id.
    pub fn group(&self, name_or_id: &str) -> Option<&Group> {
        self.groups
            .iter()
            .find(|g| g.name == name_or_id || g.id == name_or_id)
    }

    /// Searches the catalog.
    pub fn search(&self, q: &SearchQuery) -> Result<SearchResult<'_>, QueryError> {
        for (name, text) in [("q", &q.q), ("fq", &q.fq)] {
            // Bytes first: a 50 MB parameter is refused without walking its characters.
            if text.len() > MAX_Q_CHARS * 4 || text.chars().count() > MAX_Q_CHARS {
                return Err(QueryError(format!(
                    "{name} is longer than {MAX_Q_CHARS} characters"
                )));
            }
        }
        let qnode = if q.words_only {
            words(&q.q)
        } else {
            parse_q(&q.q)
        };
        let fnode = if q.fq.trim().is_empty() {
            Node::All
        } else {
            Parser::new(&q.fq, false).parse()?
        };
        check_fields(&fnode)?;
        let sort = parse_sort(&q.sort)?;
        let now = madoguchi_kernel::now_ms();
        let fnode = compile(fnode, now)?;
        let qnode = self.resolve(compile(qnode, now)?);
        // Sort keys are copied next to each hit, so sorting 10,000 hits does not chase pointers; the index is
        // the id order.
        struct Hit<'a> {
            score: f32,
            modified: i64,
            created: i64,
            idx: usize,
            doc: &'a Doc,
        }
        let mut hits: Vec<Hit<'_>> = Vec::new();
        let candidates = self.candidates(&qnode);
        let positions: Box<dyn Iterator<Item = usize>> = match candidates {
            Some(c) => Box::new(c.into_iter()),
            None => Box::new(0..self.docs.len()),
        };
        for idx in positions {
            let d = &*self.docs[idx];
            if d.ds.private && !(q.include_private && q.viewer_tenant == Some(d.ds.tenant_id)) {
                continue;
            }
            if !fnode.matches(d, now) {
                continue;
            }
            let Some(score) = qnode.score(d, now) else {
                continue;
            };
            hits.push(Hit {
                score,
                modified: d.ds.modified_at,
                created: d.ds.created_at,
                idx,
                doc: d,
            });
        }
        let mut facets = Vec::new();
        for field in &q.facet_fields {
            let mut counts: HashMap<String, usize> = HashMap::new();
            for h in &hits {
                for v in facet_values(h.doc, field) {
                    *counts.entry(v).or_default() += 1;
                }
            }
            let mut items: Vec<(String, usize)> = counts
                .into_iter()
                .filter(|(_, n)| *n >= q.facet_mincount)
                .collect();
            items.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            if q.facet_limit >= 0 {
                items.truncate(q.facet_limit as usize);
            }
            facets.push((field.clone(), items));
        }
        hits.sort_by(|a, b| {
            for (key, desc) in &sort {
                let o = match key {
                    SortKey::Score => a
                        .score
                        .partial_cmp(&b.score)
                        .unwrap_or(std::cmp::Ordering::Equal),
                    SortKey::Modified => a.modified.cmp(&b.modified),
                    SortKey::Created => a.created.cmp(&b.created),
                    SortKey::Name => a.doc.ds.name.cmp(&b.doc.ds.name),
                    SortKey::Title => a.doc.ds.title.cmp(&b.doc.ds.title),
                    SortKey::Id => a.idx.cmp(&b.idx),
                };
                let o = if *desc { o.reverse() } else { o };
                if o.is_ne() {
                    return o;
                }
            }
            a.idx.cmp(&b.idx)
        });
        let count = hits.len();
        let results = hits
            .into_iter()
            .skip(q.start)
            .take(q.rows)
            .map(|h| h.doc)
            .collect();
        Ok(SearchResult {
            count,
            results,
            facets,
        })
    }
}

/// Values of a facet field for one dataset.
pub fn facet_values(d: &Doc, field: &str) -> Vec<String> {
    match field {
        "organization" => vec![d.org_code.clone()],
        "tags" => d.ds.tags.clone(),
        "groups" => d.ds.groups.clone(),
        "res_format" => d.formats.clone(),
        "license_id" => vec![d.ds.license_id.clone()],
        "standard_dataset" | "extras_standard_dataset" => {
            d.ds.standard_type.iter().cloned().collect()
        }
        f => match f.strip_prefix("extras_") {
            Some(k) => {
                d.ds.extras
                    .iter()
                    .filter(|(key, _)| key == k)
                    .map(|(_, v)| v.clone())
                    .collect()
            }
            None => vec![],
        },
    }
}

/// A `package_search` request, already parsed from parameters.
#[derive(Debug, Clone)]
pub struct SearchQuery {
    /// Full-text query (Solr-like; `*:*` for all).
    pub q: String,
    /// Filter query.
    pub fq: String,
    /// Page size.
    pub rows: usize,
    /// Offset.
    pub start: usize,
    /// Sort (`score desc, metadata_modified desc`).
    pub sort: String,
    /// Facet fields.
    pub facet_fields: Vec<String>,
    /// Facet items per field (negative: all).
    pub facet_limit: i64,
    /// Smallest count shown.
    pub facet_mincount: usize,
    /// Include private datasets of the viewer's organisation.
    pub include_private: bool,
    /// The tenant of an authenticated caller.
    pub viewer_tenant: Option<i64>,
    /// `q` is plain words, without query syntax (the public page: a stray colon or quote is just text).
    pub words_only: bool,
}

impl Default for SearchQuery {
    fn default() -> Self {
        Self {
            q: String::new(),
            fq: String::new(),
            rows: 10,
            start: 0,
            sort: DEFAULT_SORT.into(),
            facet_fields: vec![],
            facet_limit: 50,
            facet_mincount: 1,
            include_private: false,
            viewer_tenant: None,
            words_only: false,
        }
    }
}

/// CKAN's default sort.
pub const DEFAULT_SORT: &str = "score desc, metadata_modified desc";

/// Search output.
pub struct SearchResult<'a> {
    /// Total matches.
    pub count: usize,
    /// The page.
    pub results: Vec<&'a Doc>,
    /// Facets in requested order: field → (value, count), largest first.
    pub facets: Vec<(String, Vec<(String, usize)>)>,
}

/// A query that cannot be run (CKAN's `Search Query Error`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{0}")]
pub struct QueryError(pub String);

#[derive(Debug, Clone, PartialEq)]
enum SortKey {
    Score,
    Modified,
    Created,
    Name,
    Title,
    Id,
}

fn parse_sort(s: &str) -> Result<Vec<(SortKey, bool)>, QueryError> {
    let s = if s.trim().is_empty() { DEFAULT_SORT } else { s };
    s.split(',')
        .map(|part| {
            let mut it = part.split_whitespace();
            let field = it.next().unwrap_or("");
            let dir = it.next().unwrap_or("asc");
            let key = match field {
                "score" => SortKey::Score,
                "metadata_modified" => SortKey::Modified,
                "metadata_created" => SortKey::Created,
                "name" => SortKey::Name,
                "title_string" | "title" => SortKey::Title,
                "id" => SortKey::Id,
                _ => return Err(QueryError(format!("Can not sort on field: {field}"))),
            };
            let desc = match dir {
                "asc" => false,
                "desc" => true,
                _ => return Err(QueryError(format!("Invalid sort direction: {dir}"))),
            };
            Ok((key, desc))
        })
        .collect()
}

/// A normalised search term with its SIMD substring finder, built once per query.
#[derive(Clone)]
struct Needle(String, Arc<memchr::memmem::Finder<'static>>);

impl Needle {
    fn new(key: String) -> Needle {
        let finder = memchr::memmem::Finder::new(key.as_bytes()).into_owned();
        Needle(key, Arc::new(finder))
    }
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    fn in_key(&self, hay: &str) -> bool {
        self.1.find(hay.as_bytes()).is_some()
    }
}

impl From<&str> for Needle {
    fn from(s: &str) -> Needle {
        Needle::new(s.to_string())
    }
}

impl PartialEq for Needle {
    fn eq(&self, other: &Needle) -> bool {
        self.0 == other.0
    }
}

impl std::fmt::Debug for Needle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}", self.0)
    }
}

/// A word of `q` with the datasets the text index found for it (see [`Catalog::resolve`]).
#[derive(Debug)]
struct Matched {
    word: String,
    /// Text-index id → score.
    hits: HashMap<i64, f32>,
}

impl PartialEq for Matched {
    fn eq(&self, other: &Matched) -> bool {
        self.word == other.word
    }
}

/// A parsed query.
#[derive(Debug, Clone, PartialEq)]
enum Node {
    All,
    /// A word, to look up in the text index.
    Words(String),
    /// A word looked up.
    Matched(Arc<Matched>),
    /// A quoted phrase: a substring of the normalised text.
    Text(Needle),
    Field(String, Value),
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
}

#[derive(Debug, Clone, PartialEq)]
enum Value {
    Exact(String),
    Prefix(String),
    Any,
    Range(Option<String>, Option<String>, bool, bool),
    /// A text field's value, normalised (after [`compile`]).
    Key(Needle),
    /// A date range in epoch milliseconds (after [`compile`]).
    Ms(Option<i64>, Option<i64>, bool, bool),
}

const TEXT_FIELDS: [&str; 5] = ["title", "notes", "text", "res_name", "res_description"];

/// Resolves what can be resolved once per query: dates to milliseconds, text values to normalised needles,
/// formats to upper case. A date that cannot be read is a query error, as in Solr.
fn compile(n: Node, now: i64) -> Result<Node, QueryError> {
    Ok(match n {
        Node::Field(f, v) if f == "metadata_modified" || f == "metadata_created" => {
            let t = |s: &str| {
                solr_time(s, now).ok_or_else(|| QueryError(format!("Invalid date in query: {s}")))
            };
            let v = match v {
                Value::Range(lo, hi, li, hii) => Value::Ms(
                    lo.as_deref().map(t).transpose()?,
                    hi.as_deref().map(t).transpose()?,
                    li,
                    hii,
                ),
                Value::Exact(s) => {
                    let ms = t(&s)?;
                    Value::Ms(Some(ms), Some(ms), true, true)
                }
                other => other,
            };
            Node::Field(f, v)
        }
        Node::Field(f, Value::Exact(s) | Value::Prefix(s)) if TEXT_FIELDS.contains(&f.as_str()) => {
            Node::Field(f, Value::Key(Needle::new(search_key(&s))))
        }
        Node::Field(f, Value::Exact(s)) if f == "res_format" => {
            Node::Field(f, Value::Exact(s.to_uppercase()))
        }
        Node::Field(f, Value::Prefix(s)) if f == "res_format" => {
            Node::Field(f, Value::Prefix(s.to_uppercase()))
        }
        Node::And(v) => Node::And(
            v.into_iter()
                .map(|n| compile(n, now))
                .collect::<Result<_, _>>()?,
        ),
        Node::Or(v) => Node::Or(
            v.into_iter()
                .map(|n| compile(n, now))
                .collect::<Result<_, _>>()?,
        ),
        Node::Not(b) => Node::Not(Box::new(compile(*b, now)?)),
        other => other,
    })
}

const FIELDS: [&str; 19] = [
    "id",
    "name",
    "title",
    "notes",
    "text",
    "tags",
    "groups",
    "organization",
    "owner_org",
    "res_format",
    "res_name",
    "res_description",
    "license_id",
    "state",
    "metadata_modified",
    "metadata_created",
    "dataset_type",
    "type",
    "private",
];

fn check_fields(n: &Node) -> Result<(), QueryError> {
    match n {
        Node::Field(f, _)
            if !FIELDS.contains(&f.as_str())
                && !f.starts_with("extras_")
                && f != "standard_dataset" =>
        {
            Err(QueryError(format!("undefined field {f}")))
        }
        Node::And(v) | Node::Or(v) => v.iter().try_for_each(check_fields),
        Node::Not(b) => check_fields(b),
        _ => Ok(()),
    }
}

/// `q` is lenient like edismax: unparsable or unknown-field input is searched as plain words.
fn parse_q(q: &str) -> Node {
    let q = q.trim();
    if q.is_empty() || q == "*:*" || q == "*" {
        return Node::All;
    }
    match Parser::new(q, true).parse() {
        Ok(n) if check_fields(&n).is_ok() => n,
        _ => words(q),
    }
}

/// Plain words, all required; nothing to search (empty or punctuation only) matches everything.
fn words(q: &str) -> Node {
    let words: Vec<Node> = q
        .split_whitespace()
        .filter(|w| !search_key(w).is_empty())
        .map(|w| Node::Words(w.to_string()))
        .collect();
    if words.is_empty() {
        Node::All
    } else {
        Node::And(words)
    }
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
    text_allowed: bool,
}

impl Parser {
    fn new(s: &str, text_allowed: bool) -> Parser {
        Parser {
            chars: s.chars().collect(),
            pos: 0,
            text_allowed,
        }
    }

    fn parse(mut self) -> Result<Node, QueryError> {
        let n = self.or()?;
        self.ws();
        if self.pos < self.chars.len() {
            return Err(QueryError(format!(
                "Cannot parse query near '{}'",
                self.chars[self.pos..].iter().collect::<String>()
            )));
        }
        Ok(n)
    }

    fn ws(&mut self) {
        while self.pos < self.chars.len() && self.chars[self.pos].is_whitespace() {
            self.pos += 1;
        }
    }

    fn keyword(&mut self, kw: &str) -> bool {
        self.ws();
        let n = kw.chars().count();
        let end = self.pos + n;
        if end <= self.chars.len()
            && self.chars[self.pos..end].iter().copied().eq(kw.chars())
            && self
                .chars
                .get(end)
                .is_none_or(|c| c.is_whitespace() || *c == '(')
        {
            self.pos = end;
            true
        } else {
            false
        }
    }

    fn or(&mut self) -> Result<Node, QueryError> {
        let mut parts = vec![self.and()?];
        while self.keyword("OR") || self.keyword("||") {
            parts.push(self.and()?);
        }
        Ok(if parts.len() == 1 {
            parts.pop().unwrap()
        } else {
            Node::Or(parts)
        })
    }

    fn and(&mut self) -> Result<Node, QueryError> {
        let mut parts = vec![self.unary()?];
        loop {
            self.ws();
            if self.pos >= self.chars.len() || self.chars[self.pos] == ')' {
                break;
            }
            let save = self.pos;
            if self.keyword("OR") || self.keyword("||") {
                self.pos = save;
                break;
            }
            let _ = self.keyword("AND") || self.keyword("&&");
            parts.push(self.unary()?);
        }
        Ok(if parts.len() == 1 {
            parts.pop().unwrap()
        } else {
            Node::And(parts)
        })
    }

    fn unary(&mut self) -> Result<Node, QueryError> {
        self.ws();
        if self.keyword("NOT") {
            return Ok(Node::Not(Box::new(self.unary()?)));
        }
        match self.chars.get(self.pos) {
            Some('-') | Some('!') => {
                self.pos += 1;
                Ok(Node::Not(Box::new(self.atom()?)))
            }
            Some('+') => {
                self.pos += 1;
                self.atom()
            }
            _ => self.atom(),
        }
    }

    fn atom(&mut self) -> Result<Node, QueryError> {
        self.ws();
        match self.chars.get(self.pos) {
            None => Err(QueryError("Unexpected end of query".into())),
            Some('(') => {
                self.pos += 1;
                let n = self.or()?;
                self.ws();
                if self.chars.get(self.pos) != Some(&')') {
                    return Err(QueryError("Missing ')' in query".into()));
                }
                self.pos += 1;
                Ok(n)
            }
            Some('"') => {
                let s = self.quoted()?;
                self.text(s)
            }
            _ => {
                let start = self.pos;
                while let Some(c) = self.chars.get(self.pos) {
                    if c.is_whitespace() || *c == ':' || *c == '(' || *c == ')' {
                        break;
                    }
                    self.pos += 1;
                }
                let word: String = self.chars[start..self.pos].iter().collect();
                if self.chars.get(self.pos) == Some(&':') && !word.is_empty() {
                    self.pos += 1;
                    if word == "*" {
                        // `*:*` matches everything.
                        let v = self.value()?;
                        return Ok(if v == Value::Any {
                            Node::All
                        } else {
                            Node::Field(word, v)
                        });
                    }
                    return self.field(word);
                }
                if word.is_empty() {
                    return Err(QueryError(format!("Unexpected character at {}", self.pos)));
                }
                if !self.text_allowed {
                    return self.text(word);
                }
                // A word: all-punctuation words match everything, as before.
                Ok(if search_key(&word).is_empty() {
                    Node::All
                } else {
                    Node::Words(word)
                })
            }
        }
    }

    fn text(&self, s: String) -> Result<Node, QueryError> {
        if self.text_allowed {
            Ok(Node::Text(Needle::new(search_key(&s))))
        } else {
            Err(QueryError(format!("A filter needs field:value, got '{s}'")))
        }
    }

    fn field(&mut self, field: String) -> Result<Node, QueryError> {
        if self.chars.get(self.pos) == Some(&'(') {
            // field:(a OR b c) → each value on the field.
            self.pos += 1;
            let mut alts = Vec::new();
            loop {
                self.ws();
                match self.chars.get(self.pos) {
                    None => return Err(QueryError("Missing ')' in query".into())),
                    Some(')') => {
                        self.pos += 1;
                        break;
                    }
                    _ => {
                        if self.keyword("OR") {
                            continue;
                        }
                        let v = self.value()?;
                        alts.push(Node::Field(field.clone(), v));
                    }
                }
            }
            return Ok(Node::Or(alts));
        }
        let v = self.value()?;
        Ok(Node::Field(field, v))
    }

    fn quoted(&mut self) -> Result<String, QueryError> {
        self.pos += 1;
        let mut s = String::new();
        while let Some(c) = self.chars.get(self.pos) {
            self.pos += 1;
            match c {
                '"' => return Ok(s),
                '\\' => {
                    if let Some(n) = self.chars.get(self.pos) {
                        s.push(*n);
                        self.pos += 1;
                    }
                }
                c => s.push(*c),
            }
        }
        Err(QueryError("Unterminated quote in query".into()))
    }

    fn value(&mut self) -> Result<Value, QueryError> {
        match self.chars.get(self.pos) {
            Some('"') => Ok(Value::Exact(self.quoted()?)),
            Some(c @ ('[' | '{')) => {
                let lo_incl = *c == '[';
                self.pos += 1;
                let start = self.pos;
                while let Some(c) = self.chars.get(self.pos) {
                    if *c == ']' || *c == '}' {
                        break;
                    }
                    self.pos += 1;
                }
                let Some(close) = self.chars.get(self.pos).copied() else {
                    return Err(QueryError("Unterminated range in query".into()));
                };
                let inner: String = self.chars[start..self.pos].iter().collect();
                self.pos += 1;
                let (lo, hi) = inner
                    .split_once(" TO ")
                    .ok_or_else(|| QueryError(format!("Range needs 'TO': [{inner}]")))?;
                let bound = |s: &str| {
                    let s = s.trim();
                    (s != "*").then(|| s.to_string())
                };
                Ok(Value::Range(bound(lo), bound(hi), lo_incl, close == ']'))
            }
            _ => {
                let start = self.pos;
                while let Some(c) = self.chars.get(self.pos) {
                    if c.is_whitespace() || *c == ')' {
                        break;
                    }
                    if *c == '\\' {
                        self.pos += 1;
                    }
                    self.pos += 1;
                }
                let raw: String = self.chars[start..self.pos.min(self.chars.len())]
                    .iter()
                    .collect::<String>()
                    .replace('\\', "");
                if raw.is_empty() {
                    return Err(QueryError("Missing value after ':'".into()));
                }
                Ok(if raw == "*" {
                    Value::Any
                } else if let Some(p) = raw.strip_suffix('*') {
                    Value::Prefix(p.to_string())
                } else {
                    Value::Exact(raw)
                })
            }
        }
    }
}

/// Milliseconds of a Solr date (`2024-01-01T00:00:00Z`, with or without fraction or zone, a date, or
/// `NOW`, `NOW-7DAYS`, `NOW-1DAY`, `NOW-2HOURS`).
fn solr_time(s: &str, now: i64) -> Option<i64> {
    if let Some(rest) = s.strip_prefix("NOW") {
        if rest.is_empty() {
            return Some(now);
        }
        let (sign, rest) = match rest.as_bytes()[0] {
            b'-' => (-1, &rest[1..]),
            b'+' => (1, &rest[1..]),
            _ => return None,
        };
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        let n: i64 = digits.parse().ok()?;
        let unit = match rest[digits.len()..].trim_end_matches('S') {
            "DAY" => 86_400_000,
            "HOUR" => 3_600_000,
            "MINUTE" => 60_000,
            _ => return None,
        };
        return Some(now + sign * n * unit);
    }
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp_millis());
    }
    let s = s.trim_end_matches('Z');
    if let Ok(t) = chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f") {
        return Some(t.and_utc().timestamp_millis());
    }
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .map(|d| d.and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp_millis())
}

impl Node {
    fn matches(&self, d: &Doc, now: i64) -> bool {
        self.score(d, now).is_some()
    }

    /// `None` when the document does not match; otherwise its relevance.
    fn score(&self, d: &Doc, now: i64) -> Option<f32> {
        match self {
            Node::All => Some(1.0),
            // Resolved before scoring; an unresolved word matches nothing.
            Node::Words(_) => None,
            Node::Matched(m) => m.hits.get(&d.prepared.id()).copied(),
            Node::Text(t) => {
                if t.is_empty() {
                    return Some(0.0);
                }
                if !t.in_key(&d.text_key) {
                    return None;
                }
                let mut s = 1.0;
                if t.in_key(&d.title_key) {
                    s += 3.0;
                    if d.title_key == t.0 {
                        s += 2.0;
                    }
                }
                if t.in_key(&d.tags_key) {
                    s += 2.0;
                }
                Some(s)
            }
            Node::Field(f, v) => field_matches(d, f, v).then_some(1.0),
            Node::And(v) => {
                let mut total = 0.0;
                for n in v {
                    total += n.score(d, now)?;
                }
                Some(total)
            }
            Node::Or(v) => {
                let mut best: Option<f32> = None;
                for n in v {
                    if let Some(s) = n.score(d, now) {
                        best = Some(best.map_or(s, |b| b + s));
                    }
                }
                best
            }
            Node::Not(n) => (!n.matches(d, now)).then_some(0.0),
        }
    }
}

fn value_matches(v: &Value, x: &str) -> bool {
    match v {
        Value::Exact(s) => x == s,
        Value::Prefix(p) => x.starts_with(p.as_str()),
        Value::Any => !x.is_empty(),
        Value::Range(lo, hi, li, hi_incl) => {
            lo.as_deref()
                .is_none_or(|l| if *li { x >= l } else { x > l })
                && hi
                    .as_deref()
                    .is_none_or(|h| if *hi_incl { x <= h } else { x < h })
        }
        Value::Key(n) => n.in_key(x),
        Value::Ms(..) => false,
    }
}

fn field_matches(d: &Doc, field: &str, v: &Value) -> bool {
    let ds = &d.ds;
    let text = |key: &str| match v {
        Value::Key(n) => n.in_key(key),
        Value::Exact(s) | Value::Prefix(s) => key.contains(search_key(s).as_str()),
        Value::Any => !key.is_empty(),
        _ => false,
    };
    let time = |ms: i64| match v {
        Value::Ms(lo, hi, li, hi_incl) => {
            lo.is_none_or(|l| if *li { ms >= l } else { ms > l })
                && hi.is_none_or(|h| if *hi_incl { ms <= h } else { ms < h })
        }
        Value::Any => true,
        _ => false,
    };
    let one = |x: &str| value_matches(v, x);
    match field {
        "id" => one(&ds.id),
        "name" => one(&ds.name),
        "title" => text(&d.title_key),
        "notes" => text(&d.notes_key),
        "text" => text(&d.text_key),
        "tags" => ds.tags.iter().any(|t| one(t)),
        "groups" => ds.groups.iter().any(|g| one(g)),
        "organization" | "owner_org" => one(&d.org_code),
        "res_format" => match v {
            Value::Any => !d.formats.is_empty(),
            v => d.formats.iter().any(|f| value_matches(v, f)),
        },
        "res_name" => text(&d.res_name_key),
        "res_description" => text(&d.res_desc_key),
        "license_id" => one(&ds.license_id),
        "state" => one("active"),
        "dataset_type" | "type" => one("dataset"),
        "private" => one(if ds.private { "true" } else { "false" }),
        "metadata_modified" => time(ds.modified_at),
        "metadata_created" => time(ds.created_at),
        "standard_dataset" => ds.standard_type.as_deref().is_some_and(one),
        f => match f.strip_prefix("extras_") {
            Some(k) => ds.extras.iter().any(|(key, val)| key == k && one(val)),
            None => false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn harvester_filters_parse() {
        let n = Parser::new(
            "organization:a OR organization:b -organization:x groups:g metadata_modified:[2024-01-01T00:00:00Z TO *]",
            false,
        )
        .parse()
        .unwrap();
        match n {
            Node::Or(parts) => {
                assert_eq!(
                    parts[0],
                    Node::Field("organization".into(), Value::Exact("a".into()))
                );
                let Node::And(rest) = &parts[1] else {
                    panic!("{parts:?}")
                };
                assert_eq!(rest.len(), 4);
                assert_eq!(
                    rest[1],
                    Node::Not(Box::new(Node::Field(
                        "organization".into(),
                        Value::Exact("x".into())
                    )))
                );
                assert_eq!(
                    rest[3],
                    Node::Field(
                        "metadata_modified".into(),
                        Value::Range(Some("2024-01-01T00:00:00Z".into()), None, true, true)
                    )
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(Parser::new("tags:(AED OR 避難所)", false).parse().is_ok());
        assert!(Parser::new("tags:\"AED設置箇所\"", false).parse().is_ok());
        assert!(Parser::new("organization:(a", false).parse().is_err());
        assert!(Parser::new("just words", false).parse().is_err());
    }

    #[test]
    fn q_falls_back_to_words() {
        assert_eq!(parse_q("*:*"), Node::All);
        assert_eq!(
            parse_q("避難 ばしょ"),
            Node::And(vec![
                Node::Words("避難".into()),
                Node::Words("ばしょ".into())
            ])
        );
        assert_eq!(
            parse_q("foo:bar"),
            Node::And(vec![Node::Words("foo:bar".into())])
        );
        assert_eq!(parse_q("\"避難 場所\""), Node::Text("避難場所".into()));
    }

    #[test]
    fn solr_times() {
        let now = 1_700_000_000_000;
        assert_eq!(solr_time("NOW-1DAY", now), Some(now - 86_400_000));
        assert_eq!(
            solr_time("2024-01-01T00:00:00Z", now),
            Some(1_704_067_200_000)
        );
        assert_eq!(
            solr_time("2024-01-01T00:00:00.000Z", now),
            Some(1_704_067_200_000)
        );
        assert_eq!(solr_time("2024-01-01", now), Some(1_704_067_200_000));
        assert!(parse_sort("id asc").is_ok());
        assert!(parse_sort("bogus asc").is_err());
    }
}
