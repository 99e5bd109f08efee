//! The in-memory BM25 index and its confidence rule (see ADR 0009).

use rustc_hash::FxHashMap;

use crate::analyzer::{Word, reading_units};
use crate::normalize::{Class, Unit, units};
use crate::synonyms::Synonyms;
use crate::terms::{Kind, terms, word_terms};
use crate::thesaurus::Relation;

/// One Q&A as the index sees it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Document {
    /// The caller's id, returned in [`Hit::id`].
    pub id: i64,
    /// The main question.
    pub question: String,
    /// Other ways residents ask the same thing; each is matched like the question.
    pub phrasings: Vec<String>,
    /// The answer text (plain text; markup should be stripped by the caller).
    pub answer: String,
    /// The category (子育て, 税 …), matched as part of the answer.
    pub category: String,
    /// Staff helpdesk Q&A, never shown to residents.
    pub staff_only: bool,
}

/// What to search and how many hits to return.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchOptions {
    /// Search staff-only Q&As as well as public ones (a signed-in staff member).
    pub include_staff_only: bool,
    /// Search only staff-only Q&As (the staff helpdesk). Takes precedence over `include_staff_only`.
    pub staff_only: bool,
    /// Maximum number of hits.
    pub limit: usize,
    /// Only documents covering at least this share (percent, 0–100) of the query's idf weight match: the
    /// catalog's "every word must be found" (synonyms' terms count towards it, see [`Signals::coverage`]).
    /// 0: any shared term (the FAQ).
    pub min_coverage_percent: u8,
}

impl Default for SearchOptions {
    /// Public Q&As only, 5 hits (the answer and up to 4 related questions).
    fn default() -> Self {
        SearchOptions {
            include_staff_only: false,
            staff_only: false,
            limit: 5,
            min_coverage_percent: 0,
        }
    }
}

/// A document analysed once (normalisation, words, readings; see [`Index::prepare`]), to build indexes from
/// without analysing it again: a catalog that changes one dataset at a time re-analyses only that one.
#[derive(Debug, Clone, Default)]
pub struct Prepared {
    id: i64,
    staff_only: bool,
    /// The terms of each question entry (the question and each phrasing, each also in kana when it differs).
    entries: Vec<Vec<(u64, Kind)>>,
    answer: Vec<(u64, Kind)>,
    category: Vec<(u64, Kind)>,
}

impl Prepared {
    /// The [`Document::id`].
    pub fn id(&self) -> i64 {
        self.id
    }

    /// Approximate heap size in bytes.
    pub fn memory_bytes(&self) -> usize {
        let terms = self.entries.iter().map(Vec::capacity).sum::<usize>()
            + self.answer.capacity()
            + self.category.capacity();
        terms * std::mem::size_of::<(u64, Kind)>() + self.entries.capacity() * 24
    }
}

/// One matching Q&A.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    /// The [`Document::id`].
    pub id: i64,
    /// Relevance score; higher is better; only comparable within one search.
    pub score: f32,
}

/// The result of a search.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Answer {
    /// Best first.
    pub hits: Vec<Hit>,
    /// Whether the first hit is likely a good answer. `false` means "no good answer": show the contact instead.
    pub confident: bool,
}

/// Ranking and confidence parameters. The evaluation harness changes them to explore, the application uses the
/// defaults, which were fitted on the development half of the held-out set `bench/faq/heldout.jsonl` (ADR 0024):
///
/// ```sh
/// D=$(scripts/faq-setup)   # IPADIC sources and the Sudachi synonyms
/// L="--ipadic $D/ipadic --words --sudachi $D/sudachi-synonyms-dictionary.json"
/// # ranking: coordinate search over the grid in faq_eval.rs, w_dictionary kept ≥ 0.5 (staff synonyms must act)
/// faq_eval --questions bench/faq/heldout.jsonl --tune $L
/// # confidence (with the analyzer): logistic fit of the signals, then the bias for precision ≥ 0.85
/// faq_eval --questions bench/faq/heldout.jsonl --split dev --signals $L > dev.tsv
/// bench/faq/fit_confidence.py dev.tsv
/// faq_eval --questions bench/faq/heldout.jsonl --split dev --fit-bias $L
/// ```
///
/// `conf_fallback` (no analyzer) is the rule of ADR 0009, kept: the one fitted the same way on the character-only
/// ranking needs scores that small bases (tens of Q&As) never reach.
#[doc(hidden)]
#[derive(Debug, Clone, PartialEq)]
pub struct Params {
    pub k1: f32,
    pub b_question: f32,
    pub b_answer: f32,
    /// Weight of the best-matching question or phrasing.
    pub w_question: f32,
    /// Weight of the other questions and phrasings of the same Q&A (summed).
    pub w_other_questions: f32,
    /// Weight of the answer.
    pub w_answer: f32,
    /// Weight of the category.
    pub w_category: f32,
    /// One idf over whole documents for every field (true), or each field's own idf (false, the first version:
    /// a city name in two thirds of the questions but few answers still weighed a lot in the question field).
    pub one_idf: bool,
    /// Rewrite staff synonyms on both sides to the group's first term (the first version) instead of expanding
    /// the query.
    pub rewrite_synonyms: bool,
    /// Query weight of the terms a staff / built-in synonym group adds.
    pub w_dictionary: f32,
    /// Query weight of the other spellings of a word the Sudachi thesaurus adds (表記ゆれ).
    pub w_spelling: f32,
    /// Query weight of the other words of its meaning the Sudachi thesaurus adds.
    pub w_synonym: f32,
    /// Query weight of character bigrams.
    pub w_bigram: f32,
    /// Query weight of a content word's base form (with the analyzer).
    pub w_base: f32,
    /// Query weight of a content word's reading (with the analyzer).
    pub w_reading: f32,
    /// With the analyzer, take character terms from content words only (see `text_terms`).
    pub mask_function_words: bool,
    /// Weight of the near-duplicate bonus: (Dice similarity of the best question entry and the query)⁴ × the
    /// query's idf weight.
    pub w_same_question: f32,
    /// Query weight of single characters.
    pub w_unigram: f32,
    /// Query weight of bigrams of two hiragana.
    pub w_kana_bigram: f32,
    /// The confidence rule is a logistic model over [`Signals`] (fitted by `bench/faq/fit_confidence.py`):
    /// confident when bias + Σ weight · signal ≥ 0.
    pub conf_bias: f32,
    pub conf_coverage: f32,
    pub conf_question_coverage: f32,
    /// Weight of (first score − second score) ÷ first score.
    pub conf_margin: f32,
    /// Weight of ln(1 + first score).
    pub conf_log_score: f32,
    /// Weight of first score ÷ the query's idf weight.
    pub conf_score_per_weight: f32,
    /// Weight of the share of the query's content words (with the analyzer) found in the first hit.
    pub conf_word_coverage: f32,
    /// The rule without the analyzer (character terms only score differently): bias, coverage, question
    /// coverage, margin, ln(1 + score), score per weight, fitted the same way on that configuration.
    pub conf_fallback: [f32; 6],
    /// Fusion with the semantic ranking (when the index has vectors and the query one): reciprocal-rank fusion,
    /// 1 / (`rrf_k` + lexical rank) + `w_semantic` / (`rrf_k` + semantic rank), plus `w_cosine` × the cosine
    /// similarity and `w_lexical` × the lexical score over the best lexical score (a linear blend).
    pub rrf_k: f32,
    pub w_semantic: f32,
    pub w_cosine: f32,
    pub w_lexical: f32,
    /// The confidence rule over a fused ranking: bias, then the weights of coverage, question coverage, lexical
    /// margin, ln(1 + lexical score), lexical score per query weight (these five about the fused first hit),
    /// its cosine, its cosine margin over the best other, whether it is the lexical first and whether it is the
    /// semantic first.
    pub conf_fused: [f32; 10],
    /// Added to `conf_fused`'s bias for a base of fewer than [`SMALL_BASE`] Q&As (the rule was calibrated on
    /// the whole set and on each of its parts of about 200 Q&As, `faq_eval --part`).
    pub conf_fused_small: f32,
}

/// A base below this many Q&As uses the confidence calibrated on small bases (`Params::conf_fused_small`).
pub const SMALL_BASE: usize = 400;

impl Default for Params {
    fn default() -> Self {
        Params {
            k1: 0.9,
            b_question: 0.5,
            b_answer: 0.25,
            w_question: 1.0,
            w_other_questions: 0.2,
            w_answer: 0.5,
            w_category: 0.5,
            one_idf: true,
            rewrite_synonyms: false,
            w_dictionary: 0.5,
            w_spelling: 1.0,
            w_synonym: 0.25,
            w_bigram: 0.5,
            w_base: 0.5,
            w_reading: 0.5,
            mask_function_words: true,
            w_same_question: 3.0,
            w_unigram: 0.5,
            w_kana_bigram: 1.0,
            conf_bias: -7.25,
            conf_coverage: 2.457,
            conf_question_coverage: 0.244,
            conf_margin: 1.819,
            conf_log_score: 1.305,
            conf_score_per_weight: -0.317,
            conf_word_coverage: -0.096,
            conf_fallback: [-6.68, 4.594, 0.383, 4.644, 1.581, -0.427],
            rrf_k: 10.0,
            w_semantic: 0.75,
            w_cosine: 0.5,
            w_lexical: 0.05,
            conf_fused: [
                -9.154, 1.932, -1.130, 0.235, 0.696, 0.177, 6.269, 9.060, 0.442, 0.507,
            ],
            conf_fused_small: 0.0,
        }
    }
}

/// What the confidence rule looks at, about the first hit: returned by [`Index::search_explained`] so that a
/// caller fusing this ranking with another one can recompute a confidence over the fused list.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Signals {
    /// Score of the first hit.
    pub score: f32,
    /// Score of the second hit (0 when there is none).
    pub second_score: f32,
    /// Share of the query's idf weight found anywhere in the first hit (question, phrasings, answer).
    pub coverage: f32,
    /// Share of the query's idf weight found in the first hit's best-covering question or phrasing.
    pub question_coverage: f32,
    /// The query's total idf weight.
    pub query_weight: f32,
    /// Share of the idf weight of the query's content words (base forms; 1 without the analyzer) found anywhere
    /// in the first hit.
    pub word_coverage: f32,
    /// Whether the query went through the analyzer (decides which confidence rule applies).
    pub analyzed: bool,
    /// Whether the ranking fused the lexical and the semantic ranking; the other fields are then about the
    /// fused first hit (its lexical score, coverage …) and the fields below apply.
    pub fused: bool,
    /// Cosine similarity of the query and the first hit.
    pub cosine: f32,
    /// That cosine minus the best cosine of any other Q&A.
    pub cosine_margin: f32,
    /// Whether the first hit is also the lexical ranking's first.
    pub lexical_first: bool,
    /// Whether the first hit is also the semantic ranking's first.
    pub semantic_first: bool,
    /// Number of Q&As searched (the confidence is calibrated by base size).
    pub base_size: usize,
}

impl Params {
    /// The query weight of a kind of term (`kana_only`: the question is written only in hiragana).
    fn kind_weight(&self, kind: Kind, kana_only: bool) -> f32 {
        match kind {
            Kind::Word => 1.0,
            Kind::Bigram => self.w_bigram,
            Kind::Base => self.w_base,
            Kind::Reading => self.w_reading,
            Kind::KanaBigram if kana_only => 1.0,
            Kind::KanaBigram => self.w_kana_bigram,
            Kind::Unigram => self.w_unigram,
        }
    }

    /// The confidence rule.
    pub fn is_confident(&self, s: &Signals) -> bool {
        if s.fused {
            let w = &self.conf_fused;
            let margin = if s.score > 0.0 {
                ((s.score - s.second_score) / s.score).max(-1.0)
            } else {
                -1.0
            };
            let small = if s.base_size < SMALL_BASE {
                self.conf_fused_small
            } else {
                0.0
            };
            let z = w[0]
                + small
                + w[1] * s.coverage
                + w[2] * s.question_coverage
                + w[3] * margin
                + w[4] * s.score.max(0.0).ln_1p()
                + w[5] * s.score / s.query_weight.max(1e-6)
                + w[6] * s.cosine
                + w[7] * s.cosine_margin
                + w[8] * f32::from(u8::from(s.lexical_first))
                + w[9] * f32::from(u8::from(s.semantic_first));
            return s.query_weight > 0.0 && z >= 0.0;
        }
        if s.score <= 0.0 || s.query_weight <= 0.0 {
            return false;
        }
        let margin = (s.score - s.second_score) / s.score;
        if !s.analyzed {
            let w = &self.conf_fallback;
            let z = w[0]
                + w[1] * s.coverage
                + w[2] * s.question_coverage
                + w[3] * margin
                + w[4] * s.score.ln_1p()
                + w[5] * s.score / s.query_weight;
            return z >= 0.0;
        }
        let z = self.conf_bias
            + self.conf_coverage * s.coverage
            + self.conf_question_coverage * s.question_coverage
            + self.conf_margin * margin
            + self.conf_log_score * s.score.ln_1p()
            + self.conf_score_per_weight * s.score / s.query_weight
            + self.conf_word_coverage * s.word_coverage;
        z >= 0.0
    }
}

/// Queries longer than this (in characters) are cut: nobody types more into a question box, and it bounds the
/// work of a search.
pub const MAX_QUERY_CHARS: usize = 1000;

/// Most synonyms a question is expanded with (bounds the work of a search).
const MAX_EXPANSIONS: usize = 64;

/// Most synonyms [`Index::matching`] searches on their own (bounds the work of a catalog search).
pub const MAX_ALTERNATIVE_SEARCHES: usize = 16;

/// Lowest idf of a term added by a synonym: the idf of a term in about a third of the Q&As.
const MIN_EXPANSION_IDF: f32 = 1.0;

/// How deep the lexical and the semantic rankings are read for fusion.
const FUSION_DEPTH: usize = 50;

/// Number of Q&As from which such terms are skipped.
const PRUNE_FROM_DOCS: usize = 100;

/// Postings of one field: for each term, the (slot, term frequency) pairs, slots ascending.
#[derive(Debug, Default)]
struct Field {
    offsets: Vec<u32>,
    slots: Vec<u32>,
    tfs: Vec<u16>,
    /// Per slot: k1 · (1 − b + b · length / average length), the BM25 length normalisation.
    norm: Vec<f32>,
    /// Per term: BM25 idf over documents.
    idf: Vec<f32>,
}

impl Field {
    fn build(
        lists: Vec<Vec<(u32, u16)>>,
        lengths: &[u32],
        doc_freq: &[u32],
        n_docs: usize,
        k1: f32,
        b: f32,
    ) -> Field {
        let total: usize = lists.iter().map(Vec::len).sum();
        let mut offsets = Vec::with_capacity(lists.len() + 1);
        let mut slots = Vec::with_capacity(total);
        let mut tfs = Vec::with_capacity(total);
        offsets.push(0);
        for list in lists {
            for (slot, tf) in list {
                slots.push(slot);
                tfs.push(tf);
            }
            offsets.push(slots.len() as u32);
        }
        let avg = (lengths.iter().map(|&l| l as f64).sum::<f64>() / lengths.len().max(1) as f64)
            .max(1.0) as f32;
        let norm = lengths
            .iter()
            .map(|&l| k1 * (1.0 - b + b * l as f32 / avg))
            .collect();
        let idf = doc_freq.iter().map(|&df| idf(df, n_docs)).collect();
        Field {
            offsets,
            slots,
            tfs,
            norm,
            idf,
        }
    }

    fn postings(&self, term: u32) -> (&[u32], &[u16]) {
        let (s, e) = (
            self.offsets[term as usize] as usize,
            self.offsets[term as usize + 1] as usize,
        );
        (&self.slots[s..e], &self.tfs[s..e])
    }

    fn memory_bytes(&self) -> usize {
        self.offsets.capacity() * 4
            + self.slots.capacity() * 4
            + self.tfs.capacity() * 2
            + self.norm.capacity() * 4
            + self.idf.capacity() * 4
    }
}

/// The fields of a Q&A: question entries (slots are entries), the answer and the category (slots are
/// documents).
const QUESTION: usize = 0;
const ANSWER: usize = 1;
const CATEGORY: usize = 2;

/// Postings lists and document frequencies while building.
#[derive(Default)]
struct Builder {
    term_ids: FxHashMap<u64, u32>,
    lists: [Vec<Vec<(u32, u16)>>; 3],
    /// Per term and field: (last document counted, number of documents).
    df: [Vec<(u32, u32)>; 3],
    /// Per term: the same over the whole document (any field).
    any_df: Vec<(u32, u32)>,
    /// Per term: its kind where first seen (decides its weight in an entry's total weight).
    kinds: Vec<Kind>,
    counts: FxHashMap<u32, u16>,
}

impl Builder {
    /// Adds the terms of one slot (a question entry, or a document's answer or category) of document `doc`.
    fn add(&mut self, terms: &[(u64, Kind)], doc: u32, slot: u32, field: usize) {
        self.counts.clear();
        for &(key, kind) in terms {
            let next = self.term_ids.len() as u32;
            let t = *self.term_ids.entry(key).or_insert(next);
            if t == next {
                self.kinds.push(kind);
                for f in 0..3 {
                    self.lists[f].push(Vec::new());
                    self.df[f].push((u32::MAX, 0));
                }
                self.any_df.push((u32::MAX, 0));
            }
            let c = self.counts.entry(t).or_insert(0);
            *c = c.saturating_add(1);
        }
        // Slots only grow, so every postings list stays sorted by slot.
        for (&t, &tf) in &self.counts {
            let t = t as usize;
            self.lists[field][t].push((slot, tf));
            for df in [&mut self.df[field][t], &mut self.any_df[t]] {
                if df.0 != doc {
                    *df = (doc, df.1 + 1);
                }
            }
        }
    }
}

/// The terms of a text: its characters (bigrams, kanji, Latin words) and, with the analyzer, its content
/// words' base forms and readings. With the analyzer and `mask`, the character terms are taken from the content
/// words only (particles, auxiliaries and question phrasing become breaks), except in a text written only in
/// hiragana, which the analyzer cuts poorly. Returns the normalised text and the analyzer's words (empty
/// without it).
fn text_terms(
    synonyms: &Synonyms,
    rewrite: bool,
    mask: bool,
    text: &str,
    out: &mut Vec<(u64, Kind)>,
) -> (Vec<Unit>, Vec<Word>) {
    let mut us = units(text);
    if rewrite {
        us = synonyms.apply(us);
    }
    let words = synonyms
        .analyzer()
        .map(|a| a.words(text))
        .unwrap_or_default();
    let kana_only = !us
        .iter()
        .any(|u| matches!(u, Unit::Char(_, c) if *c != Class::Hiragana));
    if mask && !words.is_empty() && !kana_only {
        let mut masked = Vec::with_capacity(us.len());
        for w in &words {
            if w.content {
                masked.extend(units(&w.surface));
            } else if masked.last().is_some_and(|u| *u != Unit::Break) {
                masked.push(Unit::Break);
            }
        }
        terms(&masked, out);
    } else {
        terms(&us, out);
    }
    word_terms(&words, out);
    (us, words)
}

fn idf(df: u32, n: usize) -> f32 {
    let (df, n) = (df as f32, n as f32);
    (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
}

/// A searchable set of Q&As. Build it once (at start and whenever Q&As change) and share it behind an `Arc`.
#[derive(Debug)]
pub struct Index {
    params: Params,
    synonyms: Synonyms,
    ids: Vec<i64>,
    staff_only: Vec<bool>,
    terms: FxHashMap<u64, u32>,
    /// Slots are question entries (the question and each phrasing).
    questions: Field,
    /// Which document each question entry belongs to.
    entry_doc: Vec<u32>,
    /// Slots are documents.
    answers: Field,
    /// Slots are documents.
    categories: Field,
    /// Per term: idf over documents counting either field, for the confidence rule.
    idf_any: Vec<f32>,
    /// Per question entry: the idf weight of its distinct terms.
    entry_weight: Vec<f32>,
    /// Per document, its embedding (`dim` floats each, in document order), or empty: then search is lexical.
    vectors: Vec<f32>,
    dim: usize,
}

impl Index {
    /// Builds the index with the default parameters.
    pub fn build(docs: Vec<Document>, synonyms: &Synonyms) -> Index {
        Index::build_with(docs, synonyms, Params::default())
    }

    /// Builds the index with explicit parameters (evaluation harness).
    #[doc(hidden)]
    pub fn build_with(docs: Vec<Document>, synonyms: &Synonyms, params: Params) -> Index {
        let prepared: Vec<Prepared> = docs
            .iter()
            .map(|d| Index::prepare_with(d, synonyms, &params))
            .collect();
        Index::build_prepared_with(prepared.iter(), synonyms, params)
    }

    /// Analyses one document for [`Index::build_prepared`] (with the default parameters). `synonyms` must be
    /// the ones the index is then built with (the analyzer and readings decide the terms).
    pub fn prepare(doc: &Document, synonyms: &Synonyms) -> Prepared {
        Index::prepare_with(doc, synonyms, &Params::default())
    }

    fn prepare_with(doc: &Document, synonyms: &Synonyms, params: &Params) -> Prepared {
        let rewrite = params.rewrite_synonyms;
        let mask = params.mask_function_words;
        let mut entries = Vec::new();
        for text in std::iter::once(&doc.question).chain(doc.phrasings.iter()) {
            let mut buf = Vec::new();
            let (us, words) = text_terms(synonyms, rewrite, mask, text, &mut buf);
            // The question as written, and (with a lexicon) in kana, as a separate entry.
            let reading = if synonyms.analyzer().is_some() {
                reading_units(&words)
            } else {
                synonyms.readings().read(&us)
            };
            let mut reading_terms = Vec::new();
            if let Some(r) = &reading {
                terms(r, &mut reading_terms);
            }
            for variant in [buf, reading_terms] {
                if !variant.is_empty() {
                    entries.push(variant);
                }
            }
        }
        let mut answer = Vec::new();
        text_terms(synonyms, rewrite, mask, &doc.answer, &mut answer);
        let mut category = Vec::new();
        text_terms(synonyms, rewrite, mask, &doc.category, &mut category);
        Prepared {
            id: doc.id,
            staff_only: doc.staff_only,
            entries,
            answer,
            category,
        }
    }

    /// Builds the index from documents analysed by [`Index::prepare`] with the same `synonyms`: only the
    /// postings are assembled (a 10,000-dataset catalog in tens of milliseconds instead of seconds).
    pub fn build_prepared<'a>(
        docs: impl ExactSizeIterator<Item = &'a Prepared>,
        synonyms: &Synonyms,
    ) -> Index {
        Index::build_prepared_with(docs, synonyms, Params::default())
    }

    fn build_prepared_with<'a>(
        docs: impl ExactSizeIterator<Item = &'a Prepared>,
        synonyms: &Synonyms,
        params: Params,
    ) -> Index {
        let n_docs = docs.len();
        let mut b = Builder::default();
        let mut entry_doc = Vec::with_capacity(n_docs * 3);
        let mut entry_len = Vec::with_capacity(n_docs * 3);
        let mut doc_len = [Vec::with_capacity(n_docs), Vec::with_capacity(n_docs)];
        let mut ids = Vec::with_capacity(n_docs);
        let mut staff_only = Vec::with_capacity(n_docs);

        for (d, doc) in docs.enumerate() {
            let d = d as u32;
            ids.push(doc.id);
            staff_only.push(doc.staff_only);
            for variant in &doc.entries {
                let entry = entry_doc.len() as u32;
                entry_doc.push(d);
                entry_len.push(variant.len() as u32);
                b.add(variant, d, entry, QUESTION);
            }
            for (field, terms) in [(ANSWER, &doc.answer), (CATEGORY, &doc.category)] {
                doc_len[field - 1].push(terms.len() as u32);
                b.add(terms, d, d, field);
            }
        }
        let idf_any: Vec<f32> = b.any_df.iter().map(|&(_, n)| idf(n, n_docs)).collect();
        let [q_lists, a_lists, c_lists] = b.lists;
        let [q_df, a_df, c_df] =
            b.df.map(|v| v.into_iter().map(|(_, n)| n).collect::<Vec<u32>>());
        let mut questions = Field::build(
            q_lists,
            &entry_len,
            &q_df,
            n_docs,
            params.k1,
            params.b_question,
        );
        let [answer_len, category_len] = doc_len;
        let mut answers = Field::build(
            a_lists,
            &answer_len,
            &a_df,
            n_docs,
            params.k1,
            params.b_answer,
        );
        let mut categories = Field::build(c_lists, &category_len, &c_df, n_docs, params.k1, 0.0);
        if params.one_idf {
            // A term is as informative in a question as in an answer: a city name found in two thirds of the
            // Q&As (in either field) weighs little wherever it is matched.
            for f in [&mut questions, &mut answers, &mut categories] {
                f.idf.clone_from(&idf_any);
            }
        }
        // Each question entry's own weight, as a query made of it would have it (for the near-duplicate bonus).
        let mut entry_weight = vec![0.0f32; entry_doc.len()];
        for (t, kind) in b.kinds.iter().enumerate() {
            let w = params.kind_weight(*kind, false) * idf_any[t];
            for &e in questions.postings(t as u32).0 {
                entry_weight[e as usize] += w;
            }
        }
        let mut term_ids = b.term_ids;
        term_ids.shrink_to_fit();
        entry_doc.shrink_to_fit();
        Index {
            params,
            synonyms: synonyms.clone(),
            ids,
            staff_only,
            terms: term_ids,
            questions,
            entry_doc,
            entry_weight,
            answers,
            categories,
            idf_any,
            vectors: Vec::new(),
            dim: 0,
        }
    }

    /// Attaches each Q&A's embedding (by [`Document::id`]), which makes [`Index::search_with`] fuse the
    /// lexical ranking with the semantic one. All or nothing: when a Q&A has no vector, or vectors differ in
    /// length, none is attached and `false` is returned (a ranking over some of the Q&As would be unfair to
    /// the others).
    pub fn attach_vectors<'a>(&mut self, vector: impl Fn(i64) -> Option<&'a [f32]>) -> bool {
        let mut dim = 0;
        let mut all = Vec::new();
        for &id in &self.ids {
            let Some(v) = vector(id) else {
                return false;
            };
            if dim == 0 {
                dim = v.len();
                all.reserve(dim * self.ids.len());
            }
            if v.len() != dim || dim == 0 {
                return false;
            }
            all.extend_from_slice(v);
        }
        self.vectors = all;
        self.dim = dim;
        true
    }

    /// Whether vectors are attached (semantic ranking available).
    pub fn has_vectors(&self) -> bool {
        self.dim > 0
    }

    /// Length of the attached vectors (0 without).
    pub fn vector_dim(&self) -> usize {
        self.dim
    }

    /// Number of Q&As.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Whether the index holds no Q&A.
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// Approximate heap size in bytes (postings, tables and the term dictionary), for the benchmark.
    pub fn memory_bytes(&self) -> usize {
        // A hashbrown entry is the (key, value) pair plus one control byte.
        let map = self.terms.capacity() * (8 + 4 + 1);
        map + self.questions.memory_bytes()
            + self.answers.memory_bytes()
            + self.categories.memory_bytes()
            + self.entry_doc.capacity() * 4
            + self.ids.capacity() * 8
            + self.staff_only.capacity()
            + self.idf_any.capacity() * 4
            + self.entry_weight.capacity() * 4
            + self.synonyms.readings().memory_bytes()
            + self.vectors.capacity() * 4
    }

    /// Searches the Q&As allowed by `opts`. Empty or punctuation-only queries give no hits; queries longer than
    /// [`MAX_QUERY_CHARS`] characters are cut.
    pub fn search(&self, query: &str, opts: &SearchOptions) -> Answer {
        self.search_explained(query, opts).0
    }

    /// [`Index::search`] with the signals its confidence was decided on: the ranked candidates with their
    /// scores (ask for as many as a fusion needs in `opts.limit`) and what [`Params::is_confident`] looks at.
    pub fn search_explained(&self, query: &str, opts: &SearchOptions) -> (Answer, Signals) {
        self.search_with(query, None, opts)
    }

    /// [`Index::search_explained`], fused with the semantic ranking when the index has vectors and
    /// `query_vector` (the question's embedding, of the same length) is given: reciprocal-rank fusion of both
    /// rankings plus a linear blend (`Params::rrf_k`, `w_semantic`, `w_cosine`, `w_lexical`), and the
    /// confidence rule over the fused first hit (`Params::conf_fused`). Otherwise exactly the lexical search.
    pub fn search_with(
        &self,
        query: &str,
        query_vector: Option<&[f32]>,
        opts: &SearchOptions,
    ) -> (Answer, Signals) {
        let (answer, signals, _) = self.search_inner(query, query_vector, opts, true);
        (answer, signals)
    }

    /// Every document matching `query` under `opts.min_coverage_percent`, best first (up to `opts.limit`):
    /// those covering that share of the query (its synonyms' terms count at their weight, as in
    /// [`Index::search`]), and those covering that share of one of its synonyms on its own, scored at the
    /// synonym's weight — お手洗い finds a document that says トイレ, which shares no term with it. Only for a
    /// query of one content word (with the analyzer): a synonym of one word of several (場所 of 避難場所) would
    /// otherwise stand for the whole query. Up to [`MAX_ALTERNATIVE_SEARCHES`] synonyms are searched this way
    /// (the strongest first).
    pub fn matching(&self, query: &str, opts: &SearchOptions) -> Vec<Hit> {
        let (answer, _, mut alternatives) = self.search_inner(query, None, opts, true);
        let mut best: FxHashMap<i64, f32> = answer.hits.iter().map(|h| (h.id, h.score)).collect();
        let one_word = self
            .synonyms
            .analyzer()
            .is_some_and(|a| a.words(query).iter().filter(|w| w.content).count() == 1);
        if !one_word {
            alternatives.clear();
        }
        alternatives.sort_by(|a, b| b.1.total_cmp(&a.1));
        for (alternative, factor) in alternatives.iter().take(MAX_ALTERNATIVE_SEARCHES) {
            for h in self.search_inner(alternative, None, opts, false).0.hits {
                let e = best.entry(h.id).or_insert(0.0);
                *e = e.max(h.score * factor);
            }
        }
        let mut hits: Vec<Hit> = best
            .into_iter()
            .map(|(id, score)| Hit { id, score })
            .collect();
        hits.sort_unstable_by(|a, b| b.score.total_cmp(&a.score).then(a.id.cmp(&b.id)));
        hits.truncate(opts.limit);
        hits
    }

    /// The search; with `expand`, the query's synonyms add their terms, and are returned with their weights.
    fn search_inner(
        &self,
        query: &str,
        query_vector: Option<&[f32]>,
        opts: &SearchOptions,
        expand: bool,
    ) -> (Answer, Signals, Vec<(String, f32)>) {
        let query_vector = query_vector.filter(|v| self.dim > 0 && v.len() == self.dim);
        let query = match query.char_indices().nth(MAX_QUERY_CHARS) {
            Some((at, _)) => &query[..at],
            None => query,
        };
        let p = &self.params;
        let mut raw = Vec::new();
        let (text, words) = text_terms(
            &self.synonyms,
            p.rewrite_synonyms,
            p.mask_function_words,
            query,
            &mut raw,
        );
        // A question typed only in hiragana (じどうてあて いつ) carries its meaning in kana: no discount.
        let kana_only = !text
            .iter()
            .any(|u| matches!(u, Unit::Char(_, c) if *c != Class::Hiragana));
        // Each distinct term counts once, with the weight of its kind.
        let mut weights: FxHashMap<u64, f32> = FxHashMap::default();
        let mut content_words: rustc_hash::FxHashSet<u64> = Default::default();
        for (key, kind) in raw {
            if kind == Kind::Base {
                content_words.insert(key);
            }
            let w = p.kind_weight(kind, kana_only);
            let e = weights.entry(key).or_insert(0.0);
            *e = e.max(w);
        }
        // Synonyms expand the query only: their terms score, and cover the query's weight, but add none to it.
        let mut expanded: FxHashMap<u64, f32> = FxHashMap::default();
        let mut alternatives: Vec<(&str, f32)> = Vec::new();
        let mut from_dictionary = Vec::new();
        if expand && !p.rewrite_synonyms {
            self.synonyms.expansions(&text, &mut from_dictionary);
            alternatives.extend(from_dictionary.iter().map(|t| (*t, p.w_dictionary)));
        }
        let mut from_thesaurus = Vec::new();
        if expand {
            self.synonyms
                .thesaurus()
                .expand(&words, &mut from_thesaurus);
        }
        alternatives.extend(from_thesaurus.iter().take(MAX_EXPANSIONS).map(|(t, r)| {
            let w = match r {
                Relation::Spelling => p.w_spelling,
                Relation::Synonym => p.w_synonym,
            };
            (t.as_str(), w)
        }));
        let found: Vec<(String, f32)> = alternatives
            .iter()
            .filter(|(_, f)| *f > 0.0)
            .map(|(t, f)| (t.to_string(), *f))
            .collect();
        for (alternative, factor) in alternatives {
            if factor <= 0.0 {
                continue;
            }
            raw = Vec::new();
            text_terms(&self.synonyms, false, false, alternative, &mut raw);
            for (key, kind) in raw {
                if weights.contains_key(&key) {
                    continue;
                }
                let w = factor * p.kind_weight(kind, kana_only);
                let e = expanded.entry(key).or_insert(0.0);
                *e = e.max(w);
            }
        }
        if weights.is_empty() || self.ids.is_empty() {
            return (Answer::default(), Signals::default(), found);
        }
        // Unknown terms count at the highest idf: a question about something no Q&A mentions is not covered.
        let max_idf = idf(0, self.ids.len());
        let mut total_weight = 0.0;
        let mut entry_score = vec![0.0f32; self.entry_doc.len()];
        let mut entry_covered = vec![0.0f32; self.entry_doc.len()];
        let mut answer_score = vec![0.0f32; self.ids.len()];
        let mut covered = vec![0.0f32; self.ids.len()];
        let mut last_term = vec![u32::MAX; self.ids.len()];
        let k1p1 = p.k1 + 1.0;
        let mut word_total = 0.0;
        let mut word_covered = vec![0.0f32; self.ids.len()];
        let typed = weights.into_iter().map(|(k, w)| (k, w, true));
        let added = expanded.into_iter().map(|(k, w)| (k, w, false));
        for (key, w, original) in typed.chain(added) {
            let is_word = original && content_words.contains(&key);
            let Some(&t) = self.terms.get(&key) else {
                if original {
                    total_weight += w * max_idf;
                }
                if is_word {
                    word_total += w * max_idf;
                }
                continue;
            };
            // In a large base, a synonym's term found in a third of the Q&As or more (申請, 市役所) adds little
            // but a long postings walk: skipped (a small base has short lists and needs every match).
            if !original
                && self.ids.len() >= PRUNE_FROM_DOCS
                && self.idf_any[t as usize] < MIN_EXPANSION_IDF
            {
                continue;
            }
            let cover = w * self.idf_any[t as usize];
            if original {
                total_weight += cover;
            }
            if is_word {
                word_total += cover;
            }
            let word_cover = if is_word { cover } else { 0.0 };
            let (entries, tfs) = self.questions.postings(t);
            let idf_q = w * self.questions.idf[t as usize];
            for (&e, &tf) in entries.iter().zip(tfs) {
                let tf = tf as f32;
                entry_score[e as usize] +=
                    idf_q * tf * k1p1 / (tf + self.questions.norm[e as usize]);
                entry_covered[e as usize] += cover;
                let d = self.entry_doc[e as usize] as usize;
                if last_term[d] != t {
                    last_term[d] = t;
                    covered[d] += cover;
                    word_covered[d] += word_cover;
                }
            }
            for (field, weight) in [
                (&self.answers, p.w_answer),
                (&self.categories, p.w_category),
            ] {
                let (docs, tfs) = field.postings(t);
                let idf_a = weight * w * field.idf[t as usize];
                for (&d, &tf) in docs.iter().zip(tfs) {
                    let tf = tf as f32;
                    answer_score[d as usize] += idf_a * tf * k1p1 / (tf + field.norm[d as usize]);
                    if last_term[d as usize] != t {
                        last_term[d as usize] = t;
                        covered[d as usize] += cover;
                        word_covered[d as usize] += word_cover;
                    }
                }
            }
        }
        // Per document: the best question entry's score and coverage.
        let mut best_entry = vec![0.0f32; self.ids.len()];
        let mut best_entry_covered = vec![0.0f32; self.ids.len()];
        let mut entry_sum = vec![0.0f32; self.ids.len()];
        // How nearly a question entry is the query itself (Dice over idf weight): a Q&A written for exactly this
        // question must come first even when a longer Q&A shares more words with it.
        let mut best_dice = vec![0.0f32; self.ids.len()];
        for (e, (&s, &c)) in entry_score.iter().zip(&entry_covered).enumerate() {
            let d = self.entry_doc[e] as usize;
            best_entry[d] = best_entry[d].max(s);
            entry_sum[d] += s;
            best_entry_covered[d] = best_entry_covered[d].max(c);
            if c > 0.0 {
                let dice = (2.0 * c / (total_weight + self.entry_weight[e])).min(1.0);
                best_dice[d] = best_dice[d].max(dice);
            }
        }
        let lexical = |d: usize| {
            let others = entry_sum[d] - best_entry[d];
            p.w_question * best_entry[d]
                + p.w_other_questions * others
                + answer_score[d]
                + p.w_same_question * best_dice[d].powi(4) * total_weight
        };
        let signals_of = |d: usize, score: f32, second_score: f32| Signals {
            score,
            second_score,
            coverage: (covered[d] / total_weight).min(1.0),
            question_coverage: (best_entry_covered[d] / total_weight).min(1.0),
            query_weight: total_weight,
            analyzed: self.synonyms.analyzer().is_some(),
            word_coverage: if word_total > 0.0 {
                (word_covered[d] / word_total).min(1.0)
            } else {
                1.0
            },
            base_size: self.ids.len(),
            ..Signals::default()
        };
        let order = |a: &(f32, u32), b: &(f32, u32)| {
            b.0.total_cmp(&a.0)
                .then_with(|| self.ids[a.1 as usize].cmp(&self.ids[b.1 as usize]))
        };
        let top = |mut list: Vec<(f32, u32)>, keep: usize| {
            if list.len() > keep {
                list.select_nth_unstable_by(keep - 1, order);
                list.truncate(keep);
            }
            list.sort_unstable_by(order);
            list
        };
        // Float error must not drop a document that covers the whole query.
        let min_covered =
            total_weight * f32::from(opts.min_coverage_percent.min(100)) / 100.0 * 0.9999;
        let mut ranked: Vec<(f32, u32)> = (0..self.ids.len())
            .filter(|&d| self.allowed(d, opts))
            .filter(|&d| covered[d] >= min_covered)
            .filter_map(|d| {
                let s = lexical(d);
                (s > 0.0).then_some((s, d as u32))
            })
            .collect();
        if let Some(qv) = query_vector
            && total_weight > 0.0
        {
            let keep = opts.limit.max(FUSION_DEPTH);
            let lexical_top = top(ranked, keep);
            let cosines: Vec<(f32, u32)> = (0..self.ids.len())
                .filter(|&d| self.allowed(d, opts))
                .map(|d| {
                    let v = &self.vectors[d * self.dim..(d + 1) * self.dim];
                    (crate::embedder::dot(qv, v), d as u32)
                })
                .collect();
            let semantic_top = top(cosines, keep);
            let best_lexical = lexical_top.first().map_or(0.0, |h| h.0);
            let mut fused: FxHashMap<u32, (f32, f32, f32)> = FxHashMap::default();
            for (rank, &(s, d)) in lexical_top.iter().enumerate() {
                let e = fused.entry(d).or_insert((0.0, s, 0.0));
                e.0 += 1.0 / (p.rrf_k + rank as f32 + 1.0) + p.w_lexical * s / best_lexical;
            }
            for (rank, &(c, d)) in semantic_top.iter().enumerate() {
                let e = fused
                    .entry(d)
                    .or_insert_with(|| (0.0, lexical(d as usize), 0.0));
                e.0 += p.w_semantic / (p.rrf_k + rank as f32 + 1.0);
                e.2 = c;
            }
            let cosine = |d: u32| {
                let v = &self.vectors[d as usize * self.dim..(d as usize + 1) * self.dim];
                crate::embedder::dot(qv, v)
            };
            let mut list: Vec<(f32, u32)> = fused
                .iter()
                .map(|(&d, &(f, _, c))| {
                    let c = if c == 0.0 { cosine(d) } else { c };
                    (f + p.w_cosine * c, d)
                })
                .collect();
            list.sort_unstable_by(order);
            list.truncate(opts.limit);
            let signals = match list.first() {
                Some(&(_, d)) => {
                    let lex = fused[&d].1;
                    let second_lexical = lexical_top.iter().find(|h| h.1 != d).map_or(0.0, |h| h.0);
                    let c = cosine(d);
                    let second_cosine = semantic_top.iter().find(|h| h.1 != d).map_or(0.0, |h| h.0);
                    Signals {
                        fused: true,
                        cosine: c,
                        cosine_margin: c - second_cosine,
                        lexical_first: lexical_top.first().is_some_and(|h| h.1 == d),
                        semantic_first: semantic_top.first().is_some_and(|h| h.1 == d),
                        ..signals_of(d as usize, lex, second_lexical)
                    }
                }
                None => Signals::default(),
            };
            let confident = !list.is_empty() && p.is_confident(&signals);
            let hits = list
                .into_iter()
                .map(|(score, d)| Hit {
                    id: self.ids[d as usize],
                    score,
                })
                .collect();
            return (Answer { hits, confident }, signals, found);
        }
        ranked = top(ranked, opts.limit.max(2));
        let signals = match ranked.first() {
            Some(&(score, d)) if total_weight > 0.0 => {
                signals_of(d as usize, score, ranked.get(1).map_or(0.0, |h| h.0))
            }
            _ => Signals::default(),
        };
        let confident = !ranked.is_empty() && p.is_confident(&signals);
        ranked.truncate(opts.limit);
        let hits = ranked
            .into_iter()
            .map(|(score, d)| Hit {
                id: self.ids[d as usize],
                score,
            })
            .collect();
        (Answer { hits, confident }, signals, found)
    }

    fn allowed(&self, d: usize, opts: &SearchOptions) -> bool {
        if opts.staff_only {
            self.staff_only[d]
        } else {
            opts.include_staff_only || !self.staff_only[d]
        }
    }
}
