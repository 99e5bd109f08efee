//! Offline Japanese FAQ retrieval (AI-FAQ, issue 5): normalisation, a synonym / 表記ゆれ dictionary, an
//! in-memory BM25 index over character bigrams of questions, phrasings and answers, a confidence rule that says
//! when there is no good answer, optional kana readings of kanji words from an IPADIC lexicon ([`Readings`]),
//! optional word analysis over IPADIC ([`Analyzer`]: base forms and readings of content words) and the Sudachi
//! synonym groups ([`Thesaurus`]) expanding the question, optional sentence embeddings from a packaged model
//! ([`Embedder`]) fused with the lexical ranking ([`Index::search_with`]), personal-data masking and grouping of
//! similar questions.
//!
//! Pure: no I/O, no database. The web crate builds one [`Index`] per tenant from its Q&As and shares it behind
//! an `Arc`; see `docs/adr/0009-faq-retrieval.md` for why the index is hand-written and
//! `docs/adr/0024-faq-word-analysis.md` for the word analysis and how the weights were fitted.
//!
//! ```
//! use madoguchi_search::{Document, Index, SearchOptions, Synonyms};
//!
//! let docs = vec![Document {
//!     id: 1,
//!     question: "児童手当の申請方法を教えてください".into(),
//!     phrasings: vec!["子どもが生まれたら手当はもらえますか".into()],
//!     answer: "出生の翌日から15日以内に子育て支援課へ認定請求書を提出してください。".into(),
//!     category: "子育て".into(),
//!     staff_only: false,
//! }];
//! let index = Index::build(docs, &Synonyms::builtin());
//! let answer = index.search("子供の手当って申し込める？", &SearchOptions::default());
//! assert_eq!(answer.hits[0].id, 1);
//! ```

mod analyzer;
mod cluster;
mod embedder;
mod index;
mod mask;
mod normalize;
mod readings;
mod synonyms;
mod terms;
mod thesaurus;

pub use analyzer::{Analyzer, AnalyzerError, IPADIC_DEFS};
pub use cluster::group_similar;
pub use embedder::{
    Embedder, EmbedderError, MAX_EMBED_CHARS, MAX_QUERY_EMBED_CHARS, PASSAGE_ANSWER_CHARS, dot,
    passage_text, query_text,
};
pub use index::{
    Answer, Document, Hit, Index, MAX_ALTERNATIVE_SEARCHES, MAX_QUERY_CHARS, Params, Prepared,
    SMALL_BASE, SearchOptions, Signals,
};
pub use mask::{MASK, mask_personal_data};
pub use normalize::normalize;
pub use readings::{IPADIC_FILES, Readings};
pub use synonyms::{MAX_TERM_CHARS, SynonymError, Synonyms};
pub use thesaurus::Thesaurus;
