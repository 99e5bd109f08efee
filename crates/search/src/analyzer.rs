//! Optional word analysis: a morphological analyzer (`vibrato`, MeCab-compatible) over an IPADIC system
//! dictionary, giving each word's base form (原形) and reading, and which words carry the topic of a question.
//!
//! The dictionary is compiled once from the IPADIC sources (Debian's `mecab-ipadic`, EUC-JP CSV) with
//! [`Analyzer::compile_ipadic_euc_jp`] (~2 s, ~48 MB) and the result cached by the caller; loading the compiled
//! bytes with [`Analyzer::from_compiled`] takes ~0.2 s. Without it the index works on characters only.

use std::sync::Arc;

use crate::normalize::{Class, Unit, fold_variant, units};

/// The IPADIC source files besides the lexicon CSVs that the analyzer needs.
pub const IPADIC_DEFS: [&str; 3] = ["matrix.def", "char.def", "unk.def"];

/// Why a dictionary could not be compiled or loaded.
#[derive(Debug, thiserror::Error)]
#[error("morphological dictionary: {0}")]
pub struct AnalyzerError(String);

/// A morphological analyzer with its dictionary. Cheap to clone (shared).
#[derive(Clone)]
pub struct Analyzer {
    tokenizer: Arc<vibrato::Tokenizer>,
}

impl std::fmt::Debug for Analyzer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analyzer").finish_non_exhaustive()
    }
}

/// One word of a text, normalised like everything else (see [`crate::normalize`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Word {
    /// The word as written.
    pub surface: String,
    /// Its base form (原形: 引っ越した → 引っ越す), or the surface when the dictionary has none.
    pub base: String,
    /// Its reading in hiragana (鳩 → はと), or the surface for unknown words.
    pub reading: String,
    /// Whether it names the topic: a noun, verb or adjective that is not a particle, auxiliary, symbol, pronoun,
    /// number or a word of question phrasing (see [`PHRASING`]).
    pub content: bool,
}

/// Content words that phrase a question rather than name its topic (どのようにすれば良いか教えてください): the
/// verbs of asking and knowing, "possible/good", and the empty nouns of "the way to / the case of". Kept short on
/// purpose (counts over `bench/faq/qa.jsonl` in ADR 0024); a word such as 必要 (必要書類) or 期限 that names a topic
/// stays in.
const PHRASING: [&str; 24] = [
    "する",
    "ある",
    "いる",
    "なる",
    "できる",
    "出来る",
    "おる",
    "思う",
    "言う",
    "いう",
    "教える",
    "知る",
    "分かる",
    "わかる",
    "良い",
    "よい",
    "いい",
    "ない",
    "方法",
    "仕方",
    "やり方",
    "場合",
    "可能",
    "どう",
];

impl Analyzer {
    /// Compiles a system dictionary from IPADIC sources already decoded to text: the lexicon (all `*.csv`
    /// files of the directory concatenated), `matrix.def`, `char.def` and `unk.def`. Returns the bytes to cache
    /// and later give to [`Analyzer::from_compiled`].
    pub fn compile_ipadic(
        lexicon: &str,
        matrix_def: &str,
        char_def: &str,
        unk_def: &str,
    ) -> Result<Vec<u8>, AnalyzerError> {
        let dict = vibrato::SystemDictionaryBuilder::from_readers(
            lexicon.as_bytes(),
            matrix_def.as_bytes(),
            char_def.as_bytes(),
            unk_def.as_bytes(),
        )
        .map_err(|e| AnalyzerError(e.to_string()))?;
        let mut out = Vec::new();
        dict.write(&mut out)
            .map_err(|e| AnalyzerError(e.to_string()))?;
        Ok(out)
    }

    /// [`Analyzer::compile_ipadic`] on the raw EUC-JP bytes of an IPADIC directory (Debian `mecab-ipadic`):
    /// `csvs` are every `*.csv` file, the others the files of [`IPADIC_DEFS`].
    pub fn compile_ipadic_euc_jp<'a>(
        csvs: impl IntoIterator<Item = &'a [u8]>,
        matrix_def: &[u8],
        char_def: &[u8],
        unk_def: &[u8],
    ) -> Result<Vec<u8>, AnalyzerError> {
        let decode = |b: &[u8]| encoding_rs::EUC_JP.decode(b).0.into_owned();
        let mut lexicon = String::new();
        for csv in csvs {
            lexicon.push_str(&decode(csv));
            if !lexicon.ends_with('\n') {
                lexicon.push('\n');
            }
        }
        Analyzer::compile_ipadic(
            &lexicon,
            &decode(matrix_def),
            &decode(char_def),
            &decode(unk_def),
        )
    }

    /// Loads a dictionary compiled by [`Analyzer::compile_ipadic`].
    pub fn from_compiled(bytes: &[u8]) -> Result<Analyzer, AnalyzerError> {
        let dict = vibrato::Dictionary::read(bytes).map_err(|e| AnalyzerError(e.to_string()))?;
        let tokenizer = vibrato::Tokenizer::new(dict)
            .ignore_space(true)
            .map_err(|e| AnalyzerError(e.to_string()))?
            .max_grouping_len(24);
        Ok(Analyzer {
            tokenizer: Arc::new(tokenizer),
        })
    }

    /// The words of `text`, in order. The analyzer sees the text after NFKC and variant folding but with its
    /// katakana and long-vowel marks, as the dictionary spells words; each field is then normalised.
    pub(crate) fn words(&self, text: &str) -> Vec<Word> {
        use unicode_normalization::UnicodeNormalization;
        let prepared: String = text.nfkc().map(fold_variant).collect();
        let mut worker = self.tokenizer.new_worker();
        worker.reset_sentence(&prepared);
        worker.tokenize();
        let mut out = Vec::with_capacity(worker.num_tokens());
        for t in worker.token_iter() {
            let surface = plain_text(t.surface());
            if surface.is_empty() {
                continue;
            }
            let f: Vec<&str> = t.feature().split(',').collect();
            let field = |i: usize| f.get(i).copied().filter(|s| *s != "*" && !s.is_empty());
            let base = field(6).map(plain_text).unwrap_or_else(|| surface.clone());
            let reading = field(7).map(plain_text).unwrap_or_else(|| surface.clone());
            let content = is_content(
                f.first().copied().unwrap_or(""),
                f.get(1).copied().unwrap_or(""),
            ) && !PHRASING.contains(&base.as_str())
                && has_letter(&surface);
            out.push(Word {
                surface,
                base,
                reading,
                content,
            });
        }
        out
    }
}

/// Whether a part of speech (IPADIC's first two levels) names a topic.
fn is_content(pos1: &str, pos2: &str) -> bool {
    match pos1 {
        "名詞" => !matches!(pos2, "非自立" | "代名詞" | "数" | "特殊" | "接続詞的"),
        "動詞" | "形容詞" => pos2 == "自立",
        _ => false,
    }
}

fn has_letter(s: &str) -> bool {
    s.chars().any(|c| !c.is_ascii_digit())
}

/// The normalised characters of `s` without breaks.
pub(crate) fn plain_text(s: &str) -> String {
    units(s)
        .into_iter()
        .filter_map(|u| match u {
            Unit::Char(c, _) => Some(c),
            Unit::Break => None,
        })
        .collect()
}

/// The reading of a whole text as normalised units (kanji words replaced by their kana), for indexing a
/// question also in kana; `None` when it would not differ.
pub(crate) fn reading_units(words: &[Word]) -> Option<Vec<Unit>> {
    let mut changed = false;
    let mut out = Vec::new();
    for w in words {
        if w.reading != w.surface {
            changed = true;
        }
        out.extend(w.reading.chars().map(|c| Unit::Char(c, Class::Katakana)));
    }
    changed.then_some(out)
}
