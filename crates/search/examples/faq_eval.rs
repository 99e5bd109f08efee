//! Retrieval quality on the labelled set in `bench/faq` (wrapped by `bench/faq/eval.sh`).
//!
//! ```sh
//! cargo run --release -p madoguchi-search --example faq_eval               # report
//! cargo run --release -p madoguchi-search --example faq_eval -- --misses   # also list wrong first hits
//! cargo run --release -p madoguchi-search --example faq_eval -- --set w_answer=0.3,conf_bias=-6
//! cargo run --release -p madoguchi-search --example faq_eval -- --tune     # coordinate search on half the set
//! cargo run --release -p madoguchi-search --example faq_eval -- --part B   # one part's Q&As and questions only
//! cargo run --release -p madoguchi-search --example faq_eval -- --helpdesk # staff Q&As and questions only
//! cargo run --release -p madoguchi-search --example faq_eval -- --groups   # how group_similar clusters them
//! cargo run --release -p madoguchi-search --example faq_eval -- --added    # staff add a Q&A for each question
//! cargo run --release -p madoguchi-search --example faq_eval -- --ipadic /usr/share/mecab/dic/ipadic
//! cargo run --release -p madoguchi-search --example faq_eval -- --ipadic DIR --words --sudachi FILE.json
//! cargo run --release -p madoguchi-search --example faq_eval -- --questions bench/faq/heldout.jsonl --split dev
//! cargo run --release -p madoguchi-search --example faq_eval -- --questions … --cv   # 5-fold figures
//! ```
//!
//! `--words` adds the morphological analyzer (IPADIC compiled once, cached), `--sudachi` the Sudachi synonym
//! groups. `--split dev|test` keeps one half of the question set (by a hash of the id, `common::is_dev`); `--tune`
//! searches the ranking parameters on the development half and reports both. `--cv` reports 5-fold figures: the
//! confidence threshold fitted on four folds, measured on the fifth.
//!
//! Metrics over questions that have an answer (non-empty `relevant`): P@1 (first hit relevant), P@5 (relevant
//! hits among the first 5, divided by 5), Hit@5 (any relevant hit in the first 5), MRR (first relevant hit
//! within 10), nDCG@5 (gains 2/1). "No good answer": the system says so when `confident == false`; positives
//! are questions with empty `relevant`. Answered@1: confident and the first hit relevant. Questions whose note
//! is "staff" search the staff-only Q&As too; others search public Q&As only. Recall@10 / Recall@5: a relevant
//! Q&A within the first 10 / 5 (what the API returns). Confident precision: share of confident first answers
//! that are relevant (a confident answer to a question without answer is wrong); confident share: share of
//! answerable questions answered confidently.

mod common;

use std::collections::BTreeMap;

use common::{Qa, Question, data_dir, documents, fold, is_dev, read_jsonl};
use madoguchi_search::{Index, Params, SearchOptions, Signals, Synonyms};

#[derive(Debug, Default, Clone)]
struct Tally {
    answerable: usize,
    p1: f64,
    p5: f64,
    hit5: f64,
    hit10: f64,
    /// Confident first answers, and of those the relevant ones.
    confident: usize,
    confident_right: usize,
    /// Answerable questions answered confidently.
    answerable_confident: usize,
    mrr: f64,
    ndcg5: f64,
    answered1: f64,
    /// Questions without an answer.
    none: usize,
    /// Said "no answer" and there is none / said "no answer".
    none_hits: usize,
    said_none: usize,
}

impl Tally {
    fn add(&mut self, q: &Question, ids: &[&str], confident: bool) {
        if !confident {
            self.said_none += 1;
        } else if !ids.is_empty() {
            self.confident += 1;
            if ids
                .first()
                .is_some_and(|id| q.relevant.get(*id).is_some_and(|g| *g > 0))
            {
                self.confident_right += 1;
            }
        }
        if q.relevant.is_empty() {
            self.none += 1;
            if !confident {
                self.none_hits += 1;
            }
            return;
        }
        self.answerable += 1;
        if confident {
            self.answerable_confident += 1;
        }
        let grade = |id: &str| q.relevant.get(id).copied().unwrap_or(0);
        if ids.first().is_some_and(|id| grade(id) > 0) {
            self.p1 += 1.0;
            if confident {
                self.answered1 += 1.0;
            }
        }
        let in5 = ids.iter().take(5).filter(|id| grade(id) > 0).count();
        self.p5 += in5 as f64 / 5.0;
        if in5 > 0 {
            self.hit5 += 1.0;
        }
        if let Some(rank) = ids.iter().take(10).position(|id| grade(id) > 0) {
            self.hit10 += 1.0;
            self.mrr += 1.0 / (rank as f64 + 1.0);
        }
        let dcg: f64 = ids
            .iter()
            .take(5)
            .enumerate()
            .map(|(i, id)| grade(id) as f64 / (i as f64 + 2.0).log2())
            .sum();
        let mut ideal: Vec<u8> = q.relevant.values().copied().collect();
        ideal.sort_unstable_by(|a, b| b.cmp(a));
        let idcg: f64 = ideal
            .iter()
            .take(5)
            .enumerate()
            .map(|(i, &g)| g as f64 / (i as f64 + 2.0).log2())
            .sum();
        if idcg > 0.0 {
            self.ndcg5 += dcg / idcg;
        }
    }

    fn merge(&mut self, o: &Tally) {
        self.answerable += o.answerable;
        self.p1 += o.p1;
        self.p5 += o.p5;
        self.hit5 += o.hit5;
        self.hit10 += o.hit10;
        self.mrr += o.mrr;
        self.ndcg5 += o.ndcg5;
        self.answered1 += o.answered1;
        self.confident += o.confident;
        self.confident_right += o.confident_right;
        self.answerable_confident += o.answerable_confident;
        self.none += o.none;
        self.none_hits += o.none_hits;
        self.said_none += o.said_none;
    }

    fn metrics(&self) -> BTreeMap<&'static str, f64> {
        let n = self.answerable.max(1) as f64;
        let mut m = BTreeMap::new();
        m.insert("p_at_1", self.p1 / n);
        m.insert("p_at_5", self.p5 / n);
        m.insert("hit_at_5", self.hit5 / n);
        m.insert("recall_at_5", self.hit5 / n);
        m.insert("recall_at_10", self.hit10 / n);
        m.insert(
            "confident_precision",
            self.confident_right as f64 / self.confident.max(1) as f64,
        );
        m.insert("confident_share", self.answerable_confident as f64 / n);
        m.insert("mrr", self.mrr / n);
        m.insert("ndcg_at_5", self.ndcg5 / n);
        m.insert("answered_at_1", self.answered1 / n);
        let prec = if self.said_none == 0 {
            1.0
        } else {
            self.none_hits as f64 / self.said_none as f64
        };
        let rec = if self.none == 0 {
            1.0
        } else {
            self.none_hits as f64 / self.none as f64
        };
        m.insert("noanswer_precision", prec);
        m.insert("noanswer_recall", rec);
        m
    }

    /// One number to tune on: ranking quality plus the no-answer decision.
    fn objective(&self) -> f64 {
        let m = self.metrics();
        let (p, r) = (m["noanswer_precision"], m["noanswer_recall"]);
        let f1 = if p + r > 0.0 {
            2.0 * p * r / (p + r)
        } else {
            0.0
        };
        m["mrr"] + m["ndcg_at_5"] + m["recall_at_10"] + 0.5 * m["answered_at_1"] + 0.5 * f1
    }

    /// How good a confidence threshold is (issue 15): the share of answerable questions answered confidently,
    /// among thresholds whose confident answers are right at least 85 % of the time; below that, precision.
    fn confidence_objective(&self) -> f64 {
        let m = self.metrics();
        if m["confident_precision"] >= 0.85 {
            1.0 + m["confident_share"]
        } else {
            m["confident_precision"]
        }
    }
}

struct Eval {
    qas: Vec<Qa>,
    questions: Vec<Question>,
    synonyms: Synonyms,
    /// With `--e5`: each Q&A's vector (by position) and each question's.
    doc_vectors: Option<Vec<Vec<f32>>>,
    query_vectors: Option<Vec<Vec<f32>>>,
}

/// One question's ranking: the Q&A ids best first and the confidence signals.
struct Ranked {
    question: usize,
    ids: Vec<usize>,
    scores: Vec<f32>,
    signals: Signals,
}

impl Ranked {
    fn copy(&self) -> Ranked {
        Ranked {
            question: self.question,
            ids: self.ids.clone(),
            scores: self.scores.clone(),
            signals: self.signals,
        }
    }
}

impl Eval {
    fn analyzed(&self) -> bool {
        self.synonyms.analyzer().is_some()
    }

    fn rank(&self, params: &Params, subset: impl Fn(usize) -> bool) -> Vec<Ranked> {
        let mut index = Index::build_with(documents(&self.qas), &self.synonyms, params.clone());
        if let Some(vs) = &self.doc_vectors {
            assert!(index.attach_vectors(|id| vs.get(id as usize).map(Vec::as_slice)));
        }
        self.questions
            .iter()
            .enumerate()
            .filter(|(i, _)| subset(*i))
            .map(|(i, q)| {
                let staff = q.note == "staff";
                let opts = SearchOptions {
                    include_staff_only: staff,
                    staff_only: false,
                    limit: 10,
                    min_coverage_percent: 0,
                };
                let qv = self.query_vectors.as_ref().map(|v| v[i].as_slice());
                let (answer, signals) = index.search_with(&q.query, qv, &opts);
                Ranked {
                    question: i,
                    ids: answer.hits.iter().map(|h| h.id as usize).collect(),
                    scores: answer.hits.iter().map(|h| h.score).collect(),
                    signals,
                }
            })
            .collect()
    }

    fn score(&self, ranked: &[Ranked], params: &Params) -> (Tally, BTreeMap<String, Tally>) {
        let mut all = Tally::default();
        let mut by_note: BTreeMap<String, Tally> = BTreeMap::new();
        for r in ranked {
            let q = &self.questions[r.question];
            let ids: Vec<&str> = r.ids.iter().map(|&d| self.qas[d].id.as_str()).collect();
            let confident = !ids.is_empty() && params.is_confident(&r.signals);
            all.add(q, &ids, confident);
            by_note
                .entry(q.group().to_string())
                .or_default()
                .add(q, &ids, confident);
        }
        (all, by_note)
    }

    fn print_misses(&self, ranked: &[Ranked], params: &Params) {
        for r in ranked {
            let q = &self.questions[r.question];
            let confident = !r.ids.is_empty() && params.is_confident(&r.signals);
            let top_ok = r
                .ids
                .first()
                .is_some_and(|&d| q.relevant.contains_key(&self.qas[d].id));
            let wrong = if q.relevant.is_empty() {
                confident
            } else {
                !top_ok || !confident
            };
            if !wrong {
                continue;
            }
            let top = r.ids.first().map(|&d| {
                let qa = &self.qas[d];
                format!("{} {:.2} {}", qa.id, r.scores[0], qa.question)
            });
            let want: Vec<String> = q
                .relevant
                .keys()
                .map(|id| {
                    let q = self
                        .qas
                        .iter()
                        .find(|qa| &qa.id == id)
                        .map_or("?", |qa| qa.question.as_str());
                    format!("{id} {q}")
                })
                .collect();
            let s = &r.signals;
            println!(
                "MISS {} [{}] conf={} cov={:.2} qcov={:.2} score={:.1} 2nd={:.1} {}\n   got:  {}\n   want: {}",
                q.id,
                q.note,
                confident,
                s.coverage,
                s.question_coverage,
                s.score,
                s.second_score,
                q.query,
                top.unwrap_or_else(|| "-".into()),
                if want.is_empty() {
                    "(no answer)".into()
                } else {
                    want.join(" | ")
                }
            );
        }
    }
}

/// Set by `--e5`: the fused confidence rule is the one in use.
static FUSED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

fn fused() -> bool {
    FUSED.load(std::sync::atomic::Ordering::Relaxed)
}

/// The bias of the confidence rule in use (with or without the analyzer).
fn bias(p: &Params, analyzed: bool) -> f32 {
    if fused() {
        p.conf_fused[0]
    } else if analyzed {
        p.conf_bias
    } else {
        p.conf_fallback[0]
    }
}

fn with_bias(p: &Params, analyzed: bool, value: f32) -> Params {
    let mut p = p.clone();
    if fused() {
        p.conf_fused[0] = value;
    } else if analyzed {
        p.conf_bias = value;
    } else {
        p.conf_fallback[0] = value;
    }
    p
}

fn set_param(p: &mut Params, name: &str, value: f32) {
    match name {
        "k1" => p.k1 = value,
        "b_question" => p.b_question = value,
        "b_answer" => p.b_answer = value,
        "w_question" => p.w_question = value,
        "w_answer" => p.w_answer = value,
        "w_same_question" => p.w_same_question = value,
        "w_other_questions" => p.w_other_questions = value,
        "w_unigram" => p.w_unigram = value,
        "w_kana_bigram" => p.w_kana_bigram = value,
        "conf_bias" => p.conf_bias = value,
        "w_category" => p.w_category = value,
        "one_idf" => p.one_idf = value != 0.0,
        "rewrite_synonyms" => p.rewrite_synonyms = value != 0.0,
        "w_dictionary" => p.w_dictionary = value,
        "w_spelling" => p.w_spelling = value,
        "w_synonym" => p.w_synonym = value,
        "w_bigram" => p.w_bigram = value,
        "w_base" => p.w_base = value,
        "w_reading" => p.w_reading = value,
        "mask_function_words" => p.mask_function_words = value != 0.0,
        "rrf_k" => p.rrf_k = value,
        "w_semantic" => p.w_semantic = value,
        "w_cosine" => p.w_cosine = value,
        "w_lexical" => p.w_lexical = value,
        "conf_fused_small" => p.conf_fused_small = value,
        n if n.starts_with("conf_fused") => {
            p.conf_fused[n["conf_fused".len()..]
                .parse::<usize>()
                .expect("conf_fusedN")] = value
        }
        _ => panic!("unknown parameter {name}"),
    }
}

fn get_param(p: &Params, name: &str) -> f32 {
    match name {
        "k1" => p.k1,
        "b_question" => p.b_question,
        "b_answer" => p.b_answer,
        "w_question" => p.w_question,
        "w_answer" => p.w_answer,
        "w_same_question" => p.w_same_question,
        "w_other_questions" => p.w_other_questions,
        "w_unigram" => p.w_unigram,
        "w_kana_bigram" => p.w_kana_bigram,
        "conf_bias" => p.conf_bias,
        "w_category" => p.w_category,
        "one_idf" => f32::from(u8::from(p.one_idf)),
        "rewrite_synonyms" => f32::from(u8::from(p.rewrite_synonyms)),
        "w_dictionary" => p.w_dictionary,
        "w_spelling" => p.w_spelling,
        "w_synonym" => p.w_synonym,
        "w_bigram" => p.w_bigram,
        "w_base" => p.w_base,
        "w_reading" => p.w_reading,
        "mask_function_words" => f32::from(u8::from(p.mask_function_words)),
        "rrf_k" => p.rrf_k,
        "w_semantic" => p.w_semantic,
        "w_cosine" => p.w_cosine,
        "w_lexical" => p.w_lexical,
        "conf_fused_small" => p.conf_fused_small,
        _ => panic!("unknown parameter {name}"),
    }
}

fn print_report(all: &Tally, by_note: &BTreeMap<String, Tally>, json: bool) {
    let m = all.metrics();
    if json {
        let obj: serde_json::Map<String, serde_json::Value> = m
            .iter()
            .map(|(k, v)| {
                (
                    format!("faq_{k}"),
                    serde_json::json!((v * 1000.0).round() / 1000.0),
                )
            })
            .collect();
        println!("{}", serde_json::Value::Object(obj));
        return;
    }
    println!(
        "questions {} (answerable {}, no answer {})",
        all.answerable + all.none,
        all.answerable,
        all.none
    );
    for (k, v) in &m {
        println!("  {k:<20} {v:.3}");
    }
    println!(
        "\n{:<14} {:>5} {:>6} {:>6} {:>6} {:>6} {:>6} {:>8} {:>8}",
        "note", "n", "P@1", "Hit@5", "MRR", "nDCG5", "Ans@1", "noans.P", "noans.R"
    );
    for (note, t) in by_note {
        let m = t.metrics();
        println!(
            "{:<14} {:>5} {:>6.3} {:>6.3} {:>6.3} {:>6.3} {:>6.3} {:>8} {:>8}",
            if note.is_empty() { "(none)" } else { note },
            t.answerable + t.none,
            m["p_at_1"],
            m["hit_at_5"],
            m["mrr"],
            m["ndcg_at_5"],
            m["answered_at_1"],
            if t.said_none > 0 {
                format!("{:.3}", m["noanswer_precision"])
            } else {
                "-".into()
            },
            if t.none > 0 {
                format!("{:.3}", m["noanswer_recall"])
            } else {
                "-".into()
            },
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let dir = data_dir();
    let synonyms = common::language_from_args(&args, Synonyms::builtin());
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let mut qas: Vec<Qa> = read_jsonl(&dir.join("qa.jsonl"));
    let questions_file = value("--questions")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| dir.join("questions.jsonl"));
    let mut questions: Vec<Question> = read_jsonl(&questions_file);
    match value("--split").as_deref() {
        Some("dev") => questions.retain(|q| is_dev(&q.id)),
        Some("test") => questions.retain(|q| !is_dev(&q.id)),
        Some(other) => panic!("--split dev|test, not {other}"),
        None => {}
    }
    // `--part A`: a smaller base (one part's Q&As and its questions), to check that the confidence rule holds
    // for a tenant with a few hundred Q&As.
    if let Some(part) = args
        .iter()
        .position(|a| a == "--part")
        .and_then(|i| args.get(i + 1))
    {
        qas.retain(|qa| qa.id.starts_with(part.as_str()));
        let ids: std::collections::BTreeSet<String> = qas.iter().map(|qa| qa.id.clone()).collect();
        questions.retain_mut(|q| {
            if !q.id.starts_with(&format!("Q{part}-")) {
                return false;
            }
            let had = !q.relevant.is_empty();
            q.relevant.retain(|id, _| ids.contains(id));
            !had || !q.relevant.is_empty()
        });
    }
    // `--helpdesk`: the staff helpdesk alone (staff-only Q&As and the staff questions), as the web crate indexes it.
    if args.iter().any(|a| a == "--helpdesk") {
        qas.retain(|qa| qa.audience == "staff");
        let ids: std::collections::BTreeSet<String> = qas.iter().map(|qa| qa.id.clone()).collect();
        questions.retain(|q| q.note == "staff" && q.relevant.keys().all(|id| ids.contains(id)));
    }
    // `--e5 DIR`: the packaged embedding model; Q&A and question vectors cached on disk between runs.
    let (doc_vectors, query_vectors) = match common::embedder_from_args(&args) {
        Some(embedder) => {
            FUSED.store(true, std::sync::atomic::Ordering::Relaxed);
            let mut cache = common::VectorCache::open(embedder);
            let texts: Vec<String> = documents(&qas)
                .iter()
                .map(madoguchi_search::passage_text)
                .collect();
            let docs = cache.passages(&texts);
            let queries: Vec<Vec<f32>> = questions.iter().map(|q| cache.query(&q.query)).collect();
            cache.save();
            (Some(docs), Some(queries))
        }
        None => (None, None),
    };
    let eval = Eval {
        qas,
        questions,
        synonyms,
        doc_vectors,
        query_vectors,
    };
    let mut params = Params::default();
    if let Some(i) = args.iter().position(|a| a == "--set") {
        for kv in args
            .get(i + 1)
            .map(String::as_str)
            .unwrap_or("")
            .split(',')
            .filter(|s| !s.is_empty())
        {
            let (k, v) = kv.split_once('=').expect("--set name=value,…");
            set_param(&mut params, k, v.parse().expect("number"));
        }
    }
    let misses = args.iter().any(|a| a == "--misses");
    let json = args.iter().any(|a| a == "--json");
    if args.iter().any(|a| a == "--tune") {
        tune(&eval, params);
        return;
    }
    if args.iter().any(|a| a == "--tune-fusion") {
        tune_fusion(&eval, params);
        return;
    }
    if args.iter().any(|a| a == "--fit-fused") {
        fit_fused(&eval, &params);
        return;
    }
    let ranked = eval.rank(&params, |_| true);
    if args.iter().any(|a| a == "--cv") {
        cross_validate(&eval, &ranked, &params, json);
        return;
    }
    if args.iter().any(|a| a == "--fit-bias") {
        let (p, _) = best_confidence(&eval, &ranked, &params);
        println!("conf_bias {:.3}", bias(&p, eval.analyzed()));
        let (t, n) = eval.score(&ranked, &p);
        print_report(&t, &n, json);
        return;
    }
    if misses {
        eval.print_misses(&ranked, &params);
    }
    if args.iter().any(|a| a == "--added") {
        added_question_check(&eval, &params);
        return;
    }
    if args.iter().any(|a| a == "--groups") {
        group_quality(&eval);
        return;
    }
    if args.iter().any(|a| a == "--signals") {
        println!(
            "note\tlabel\tcoverage\tquestion_coverage\tscore\tsecond\tquery_weight\tword_coverage"
        );
        for r in &ranked {
            let q = &eval.questions[r.question];
            let label = if q.relevant.is_empty() {
                "none"
            } else if r
                .ids
                .first()
                .is_some_and(|&d| q.relevant.contains_key(&eval.qas[d].id))
            {
                "right"
            } else {
                "wrong"
            };
            let s = &r.signals;
            println!(
                "{}\t{label}\t{:.3}\t{:.3}\t{:.2}\t{:.2}\t{:.2}\t{:.3}",
                q.note,
                s.coverage,
                s.question_coverage,
                s.score,
                s.second_score,
                s.query_weight,
                s.word_coverage
            );
        }
        return;
    }
    let (all, by_note) = eval.score(&ranked, &params);
    print_report(&all, &by_note, json);
}

/// The confidence bias that maximises the objective on already ranked questions (the weights come from
/// `bench/faq/fit_confidence.py`).
fn best_thresholds(eval: &Eval, ranked: &[Ranked], params: &Params) -> (Params, f64) {
    let mut best = (params.clone(), f64::MIN);
    for i in 0..=40 {
        let a = eval.analyzed();
        let p = with_bias(params, a, bias(params, a) - 2.0 + i as f32 * 0.1);
        let score = eval.score(ranked, &p).0.objective();
        if score > best.1 + 1e-9 {
            best = (p, score);
        }
    }
    best
}

/// The confidence bias that maximises [`Tally::confidence_objective`] on already ranked questions.
fn best_confidence(eval: &Eval, ranked: &[Ranked], params: &Params) -> (Params, f64) {
    let mut best = (params.clone(), f64::MIN);
    for i in 0..=120 {
        let a = eval.analyzed();
        let p = with_bias(params, a, bias(params, a) - 6.0 + i as f32 * 0.1);
        let score = eval.score(ranked, &p).0.confidence_objective();
        if score > best.1 + 1e-9 {
            best = (p, score);
        }
    }
    best
}

/// 5-fold figures: the ranking as it is, the confidence threshold fitted on four folds and measured on the
/// fifth; the tallies of the five test folds added up.
fn cross_validate(eval: &Eval, ranked: &[Ranked], params: &Params, json: bool) {
    let mut total = Tally::default();
    let mut by_note = BTreeMap::new();
    for k in 0..5 {
        let (train, test): (Vec<&Ranked>, Vec<&Ranked>) = ranked
            .iter()
            .partition(|r| fold(&eval.questions[r.question].id) != k);
        let train: Vec<Ranked> = train.into_iter().map(Ranked::copy).collect();
        let test: Vec<Ranked> = test.into_iter().map(Ranked::copy).collect();
        let (p, _) = best_confidence(eval, &train, params);
        if !json {
            println!(
                "fold {k}: conf_bias {:.3}, {} test questions",
                bias(&p, eval.analyzed()),
                test.len()
            );
        }
        let (t, _) = eval.score(&test, &p);
        total.merge(&t);
        for r in &test {
            let q = &eval.questions[r.question];
            let ids: Vec<&str> = r.ids.iter().map(|&d| eval.qas[d].id.as_str()).collect();
            let confident = !ids.is_empty() && p.is_confident(&r.signals);
            by_note
                .entry(q.group().to_string())
                .or_insert_with(Tally::default)
                .add(q, &ids, confident);
        }
    }
    print_report(&total, &by_note, json);
}

/// Coordinate search of the ranking parameters on the development half of the questions (`common::is_dev`),
/// each candidate with its best confidence threshold; the test half shows whether it generalises.
fn tune(eval: &Eval, params: Params) {
    let grid: &[(&str, &[f32])] = &[
        ("w_answer", &[0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.7, 1.0]),
        ("w_other_questions", &[0.0, 0.1, 0.2, 0.3, 0.5]),
        ("w_unigram", &[0.0, 0.1, 0.2, 0.3, 0.5]),
        ("w_kana_bigram", &[0.0, 0.1, 0.2, 0.3, 0.5, 1.0]),
        ("b_question", &[0.0, 0.25, 0.5, 0.75, 1.0]),
        ("b_answer", &[0.25, 0.5, 0.75, 0.9]),
        ("k1", &[0.6, 0.9, 1.2, 1.6, 2.0]),
        ("w_category", &[0.0, 0.25, 0.5, 1.0]),
        ("w_same_question", &[0.0, 1.0, 2.0, 3.0]),
        ("w_bigram", &[0.5, 0.75, 1.0]),
        ("w_base", &[0.0, 0.5, 1.0, 1.5, 2.0]),
        ("w_reading", &[0.0, 0.25, 0.5, 1.0]),
        ("w_dictionary", &[0.5, 0.75, 1.0]),
        ("w_spelling", &[0.0, 0.5, 1.0]),
        ("w_synonym", &[0.0, 0.1, 0.25, 0.5]),
    ];
    let only = std::env::var("TUNE_ONLY").ok();
    let grid: Vec<_> = grid
        .iter()
        .filter(|(n, _)| {
            only.as_deref()
                .is_none_or(|o| o.split(',').any(|x| x == *n))
        })
        .collect();
    let train = |i: usize| is_dev(&eval.questions[i].id);
    let test = |i: usize| !is_dev(&eval.questions[i].id);
    let (mut params, mut best) = best_thresholds(eval, &eval.rank(&params, train), &params);
    println!("start objective {best:.4}");
    for round in 0..2 {
        for (name, values) in &grid {
            for &v in values.iter() {
                let mut p = params.clone();
                set_param(&mut p, name, v);
                let (p, score) = best_thresholds(eval, &eval.rank(&p, train), &p);
                if score > best + 1e-9 {
                    best = score;
                    params = p;
                }
            }
            println!(
                "round {round} {name} = {} → {best:.4}",
                get_param(&params, name)
            );
        }
    }
    println!("\n{params:?}");
    println!("\n== development half ==");
    let (t, n) = eval.score(&eval.rank(&params, train), &params);
    print_report(&t, &n, false);
    println!("\n== test half ==");
    let (t, n) = eval.score(&eval.rank(&params, test), &params);
    print_report(&t, &n, false);
}

/// Coordinate search of the fusion weights (`rrf_k`, `w_semantic`, `w_cosine`, `w_lexical`) on the development
/// half, by ranking quality only (MRR + nDCG@5 + Recall@10 + P@1); the confidence is fitted after
/// (`--fit-fused`).
fn tune_fusion(eval: &Eval, mut params: Params) {
    let grid: &[(&str, &[f32])] = &[
        ("rrf_k", &[1.0, 3.0, 5.0, 10.0, 20.0, 40.0, 60.0]),
        (
            "w_semantic",
            &[0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 3.0],
        ),
        ("w_cosine", &[0.0, 0.02, 0.05, 0.1, 0.2, 0.5]),
        ("w_lexical", &[0.0, 0.01, 0.02, 0.05, 0.1, 0.2]),
    ];
    let train = |i: usize| is_dev(&eval.questions[i].id);
    let test = |i: usize| !is_dev(&eval.questions[i].id);
    let quality = |p: &Params| {
        let m = eval.score(&eval.rank(p, train), p).0.metrics();
        m["mrr"] + m["ndcg_at_5"] + m["recall_at_10"] + m["p_at_1"]
    };
    let mut best = quality(&params);
    println!("start {best:.4}");
    for round in 0..2 {
        for (name, values) in grid {
            for &v in values.iter() {
                let mut p = params.clone();
                set_param(&mut p, name, v);
                let q = quality(&p);
                if q > best + 1e-9 {
                    best = q;
                    params = p;
                }
            }
            println!(
                "round {round} {name} = {} → {best:.4}",
                get_param(&params, name)
            );
        }
    }
    println!(
        "\nrrf_k {} w_semantic {} w_cosine {} w_lexical {}",
        params.rrf_k, params.w_semantic, params.w_cosine, params.w_lexical
    );
    for (label, subset) in [
        ("development", &train as &dyn Fn(usize) -> bool),
        ("test", &test),
    ] {
        println!("\n== {label} half ==");
        let (t, n) = eval.score(&eval.rank(&params, subset), &params);
        print_report(&t, &n, false);
    }
}

/// The features of the fused confidence rule, in the order of `Params::conf_fused` (after the bias).
fn fused_features(s: &Signals) -> [f64; 9] {
    let margin = if s.score > 0.0 {
        f64::from(((s.score - s.second_score) / s.score).max(-1.0))
    } else {
        -1.0
    };
    [
        f64::from(s.coverage),
        f64::from(s.question_coverage),
        margin,
        f64::from(s.score.max(0.0).ln_1p()),
        f64::from(s.score / s.query_weight.max(1e-6)),
        f64::from(s.cosine),
        f64::from(s.cosine_margin),
        f64::from(u8::from(s.lexical_first)),
        f64::from(u8::from(s.semantic_first)),
    ]
}

/// Fits the fused confidence rule on the development half: a logistic regression of "the first hit is right"
/// over [`fused_features`] (gradient descent on standardised features), then the bias that answers the most
/// questions confidently while ≥ 85 % of confident answers are right (`best_confidence`). Prints the weights for
/// `Params::conf_fused` and the figures of both halves.
fn fit_fused(eval: &Eval, params: &Params) {
    let train = |i: usize| is_dev(&eval.questions[i].id);
    let test = |i: usize| !is_dev(&eval.questions[i].id);
    let ranked = eval.rank(params, train);
    let rows: Vec<([f64; 9], f64)> = ranked
        .iter()
        .map(|r| {
            let q = &eval.questions[r.question];
            let right = r
                .ids
                .first()
                .is_some_and(|&d| q.relevant.contains_key(&eval.qas[d].id));
            (fused_features(&r.signals), f64::from(u8::from(right)))
        })
        .collect();
    let n = rows.len() as f64;
    let mut mean = [0.0; 9];
    let mut sd = [0.0; 9];
    for (x, _) in &rows {
        for k in 0..9 {
            mean[k] += x[k] / n;
        }
    }
    for (x, _) in &rows {
        for k in 0..9 {
            sd[k] += (x[k] - mean[k]).powi(2) / n;
        }
    }
    let sd = sd.map(|v| v.sqrt().max(1e-6));
    let mut w = [0.0f64; 10];
    // A little L2 keeps the weights of rare features (lexical_first is nearly always 1) from running away.
    let l2 = 0.01;
    for _ in 0..5000 {
        let mut grad = [0.0f64; 10];
        for (x, y) in &rows {
            let z = w[0]
                + (0..9)
                    .map(|k| w[k + 1] * (x[k] - mean[k]) / sd[k])
                    .sum::<f64>();
            let p = 1.0 / (1.0 + (-z).exp());
            grad[0] += p - y;
            for k in 0..9 {
                grad[k + 1] += (p - y) * (x[k] - mean[k]) / sd[k];
            }
        }
        for k in 0..10 {
            let reg = if k == 0 { 0.0 } else { l2 * w[k] };
            w[k] -= 0.5 * (grad[k] / n + reg);
        }
    }
    // Back to raw features.
    let mut raw = [0.0f32; 10];
    let mut b = w[0];
    for k in 0..9 {
        raw[k + 1] = (w[k + 1] / sd[k]) as f32;
        b -= w[k + 1] * mean[k] / sd[k];
    }
    raw[0] = b as f32;
    let mut p = params.clone();
    p.conf_fused = raw;
    let (p, _) = best_confidence(eval, &ranked, &p);
    println!(
        "conf_fused: [{}]",
        p.conf_fused
            .iter()
            .map(|v| format!("{v:.3}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    for (label, subset) in [
        ("development", &train as &dyn Fn(usize) -> bool),
        ("test", &test),
    ] {
        println!("\n== {label} half ==");
        let (t, n) = eval.score(&eval.rank(&p, subset), &p);
        print_report(&t, &n, false);
    }
}

/// How well `group_similar` puts questions about the same Q&A together: pairwise precision and recall against
/// "same best Q&A" (the grade-2 answer), for several thresholds.
fn group_quality(eval: &Eval) {
    let labelled: Vec<(&str, String)> = eval
        .questions
        .iter()
        .filter_map(|q| {
            let best = q
                .relevant
                .iter()
                .find(|(_, g)| **g == 2)
                .map(|(id, _)| id.as_str())?;
            Some((best, q.query.clone()))
        })
        .collect();
    let texts: Vec<String> = labelled.iter().map(|(_, t)| t.clone()).collect();
    let same = |a: usize, b: usize| labelled[a].0 == labelled[b].0;
    let mut truth = 0usize;
    for a in 0..texts.len() {
        for b in a + 1..texts.len() {
            truth += usize::from(same(a, b));
        }
    }
    println!(
        "{} questions, {truth} pairs share their best Q&A",
        texts.len()
    );
    println!("threshold  groups  largest  pair-precision  pair-recall");
    for threshold in [0.3f32, 0.4, 0.5, 0.6, 0.7] {
        let groups = madoguchi_search::group_similar(&texts, threshold);
        let (mut pairs, mut right) = (0usize, 0usize);
        for g in &groups {
            for (i, &a) in g.iter().enumerate() {
                for &b in &g[i + 1..] {
                    pairs += 1;
                    right += usize::from(same(a, b));
                }
            }
        }
        if std::env::var_os("SHOW_GROUPS").is_some() {
            for g in groups.iter().take(2) {
                println!(
                    "  {:?}",
                    g.iter().map(|&i| texts[i].as_str()).collect::<Vec<_>>()
                );
            }
        }
        println!(
            "{threshold:>9.1}  {:>6}  {:>7}  {:>14.3}  {:>11.3}",
            groups.len(),
            groups.first().map_or(0, Vec::len),
            right as f64 / pairs.max(1) as f64,
            right as f64 / truth.max(1) as f64
        );
    }
}

/// The staff workflow for an unanswered question: a new Q&A whose question is the resident's text. Asked again,
/// the same text must now find that Q&A first, confidently. Checked for every question of the set, one at a time.
fn added_question_check(eval: &Eval, params: &Params) {
    let base = documents(&eval.qas);
    let new_id = base.len() as i64;
    let (mut first, mut confident, mut total) = (0, 0, 0);
    for q in &eval.questions {
        if q.query.trim().is_empty() {
            continue;
        }
        let mut docs = base.clone();
        docs.push(madoguchi_search::Document {
            id: new_id,
            question: q.query.clone(),
            phrasings: Vec::new(),
            answer: "担当課からの回答です。".into(),
            category: String::new(),
            staff_only: q.note == "staff",
        });
        let index = Index::build_with(docs, &eval.synonyms, params.clone());
        let opts = SearchOptions {
            include_staff_only: q.note == "staff",
            staff_only: false,
            limit: 5,
            min_coverage_percent: 0,
        };
        let answer = index.search(&q.query, &opts);
        total += 1;
        if answer.hits.first().is_some_and(|h| h.id == new_id) {
            first += 1;
            if answer.confident {
                confident += 1;
            } else {
                println!("not confident: {}", q.query);
            }
        } else {
            println!("not first: {}", q.query);
        }
    }
    println!(
        "{total} questions added as Q&As: {first} found first, {confident} of them confidently"
    );
}
