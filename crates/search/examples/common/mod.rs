//! Loading the evaluation data of `bench/faq` (shared by the examples).

// Each example uses a different part of this module.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use madoguchi_search::{Document, IPADIC_FILES, Readings};
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
