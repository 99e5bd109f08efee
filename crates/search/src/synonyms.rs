//! The synonym / 表記ゆれ dictionary.
//!
//! Each group is a set of equivalent terms (the staff-edited dictionary, or the built-in starter one). Only the
//! question is expanded: a term of a group found in it (longest match first, left to right) adds the group's
//! other terms to the query, and the Q&As are indexed as written (see [`crate::Index`]). The older way, rewriting
//! both sides to the group's first term, is kept behind `Params::rewrite_synonyms` for comparison.
//!
//! The same value carries the language resources an index uses: kana [`Readings`], the morphological
//! [`Analyzer`] and the Sudachi [`Thesaurus`], all optional.

use rustc_hash::FxHashMap;

use crate::analyzer::Analyzer;
use crate::normalize::{Unit, units};
use crate::readings::Readings;
use crate::thesaurus::Thesaurus;

/// Why a synonym dictionary was rejected; the message is shown to staff as is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SynonymError {
    /// A line holds a single term, so it relates nothing.
    #[error(
        "{line}行目: 「{term}」だけでは同義語になりません。同じ意味の語を2つ以上、「、」か「,」で区切って書いてください"
    )]
    SingleTerm {
        /// 1-based line number.
        line: usize,
        /// The lone term as written.
        term: String,
    },
    /// A term that is only punctuation or spaces after normalisation.
    #[error("{line}行目: 「{term}」は検索に使える文字を含んでいません")]
    EmptyTerm {
        /// 1-based line number.
        line: usize,
        /// The term as written.
        term: String,
    },
    /// A term longer than [`MAX_TERM_CHARS`] characters.
    #[error("{line}行目: 「{term}」が長すぎます（{MAX_TERM_CHARS}文字まで）")]
    TooLong {
        /// 1-based line number.
        line: usize,
        /// The term as written.
        term: String,
    },
}

/// Longest accepted term, in characters.
pub const MAX_TERM_CHARS: usize = 40;

/// Groups of equivalent terms (表記ゆれ and synonyms), applied to Q&As and questions alike.
#[derive(Debug, Clone, Default)]
pub struct Synonyms {
    /// Merged groups as written (terms whose normalised forms coincide are kept once).
    groups: Vec<Vec<String>>,
    /// Normalised term (breaks as ' ') → group index, bucketed by first character, longest first.
    by_first: FxHashMap<char, Vec<(Vec<char>, u32)>>,
    /// The normalised units of each group's first term: what every term of the group is rewritten to.
    canonical: Vec<Vec<Unit>>,
    /// Optional kana readings of kanji words (see [`Synonyms::with_readings`]).
    readings: Readings,
    /// Optional word analysis (see [`Synonyms::with_analyzer`]).
    analyzer: Option<Analyzer>,
    /// Optional maintained synonym groups (see [`Synonyms::with_thesaurus`]).
    thesaurus: Thesaurus,
}

/// The starter dictionary: common 表記ゆれ and everyday words for municipal procedures.
const BUILTIN: &str = include_str!("builtin_synonyms.txt");

impl Synonyms {
    /// Parses a dictionary: one group per line, terms separated by `,` `、` `・` or tabs; `#` starts a comment.
    /// Errors name the line.
    pub fn parse(text: &str) -> Result<Synonyms, SynonymError> {
        let mut groups = Vec::new();
        // A file saved by a spreadsheet or Windows editor may start with a byte-order mark.
        let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let content = raw.split(['#', '＃']).next().unwrap_or("");
            let terms: Vec<String> = content
                .split([',', '、', '・', '\t', '，', '､', '･'])
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
                .collect();
            if terms.is_empty() {
                continue;
            }
            for term in &terms {
                if term.chars().count() > MAX_TERM_CHARS {
                    return Err(SynonymError::TooLong {
                        line,
                        term: term.clone(),
                    });
                }
                if !units(term).iter().any(|u| matches!(u, Unit::Char(..))) {
                    return Err(SynonymError::EmptyTerm {
                        line,
                        term: term.clone(),
                    });
                }
            }
            if terms.len() < 2 {
                return Err(SynonymError::SingleTerm {
                    line,
                    term: terms[0].clone(),
                });
            }
            groups.push(terms);
        }
        Ok(Synonyms::from_groups(groups))
    }

    /// Builds a dictionary from groups of terms. Groups sharing a term (after normalisation) are merged; terms
    /// that normalise to nothing, and groups left with a single distinct term, are ignored.
    pub fn from_groups(groups: Vec<Vec<String>>) -> Synonyms {
        // Union-find over groups, joined through shared normalised terms.
        let mut parent: Vec<usize> = (0..groups.len()).collect();
        fn find(parent: &mut [usize], mut x: usize) -> usize {
            while parent[x] != x {
                parent[x] = parent[parent[x]];
                x = parent[x];
            }
            x
        }
        let mut owner: FxHashMap<Vec<char>, usize> = FxHashMap::default();
        let mut keyed: Vec<Vec<(Vec<char>, String)>> = Vec::with_capacity(groups.len());
        for (g, group) in groups.into_iter().enumerate() {
            let mut terms = Vec::new();
            for term in group {
                let key = key_of(&units(&term));
                if key.is_empty() {
                    continue;
                }
                if let Some(&other) = owner.get(&key) {
                    let (a, b) = (find(&mut parent, other), find(&mut parent, g));
                    if a != b {
                        parent[b.max(a)] = a.min(b);
                    }
                } else {
                    owner.insert(key.clone(), g);
                }
                terms.push((key, term));
            }
            keyed.push(terms);
        }
        let mut merged: Vec<Vec<(Vec<char>, String)>> = Vec::new();
        let mut slot: FxHashMap<usize, usize> = FxHashMap::default();
        for (g, terms) in keyed.into_iter().enumerate() {
            let root = find(&mut parent, g);
            let at = *slot.entry(root).or_insert_with(|| {
                merged.push(Vec::new());
                merged.len() - 1
            });
            for (key, term) in terms {
                if !merged[at].iter().any(|(k, _)| *k == key) {
                    merged[at].push((key, term));
                }
            }
        }
        // A group whose terms all normalise alike (ごみ、ゴミ) changes nothing: normalisation already matches them.
        merged.retain(|terms| terms.len() >= 2);

        let mut by_first: FxHashMap<char, Vec<(Vec<char>, u32)>> = FxHashMap::default();
        let mut canonical = Vec::with_capacity(merged.len());
        let mut out_groups = Vec::with_capacity(merged.len());
        for (g, terms) in merged.into_iter().enumerate() {
            canonical.push(units(&terms[0].1));
            for (key, _) in &terms {
                by_first
                    .entry(key[0])
                    .or_default()
                    .push((key.clone(), g as u32));
            }
            out_groups.push(terms.into_iter().map(|(_, t)| t).collect());
        }
        for bucket in by_first.values_mut() {
            bucket.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then_with(|| a.0.cmp(&b.0)));
        }
        Synonyms {
            groups: out_groups,
            by_first,
            canonical,
            readings: Readings::default(),
            analyzer: None,
            thesaurus: Thesaurus::default(),
        }
    }

    /// The starter 表記ゆれ dictionary (子ども・子供・こども, マイナンバーカード・個人番号カード・マイナカード,
    /// 申請・申し込み, ごみ・ゴミ …), the same text as `crates/search/src/builtin_synonyms.txt`.
    pub fn builtin() -> Synonyms {
        Synonyms::parse(BUILTIN).expect("the builtin synonym dictionary is valid (tested)")
    }

    /// The text of the starter dictionary, in the format [`Synonyms::parse`] reads, e.g. to seed an editable copy.
    pub fn builtin_text() -> &'static str {
        BUILTIN
    }

    /// Adds kana readings of kanji words: an index built with these synonyms also indexes every question and
    /// phrasing in its reading, so questions typed in kana find Q&As written in kanji.
    pub fn with_readings(mut self, readings: Readings) -> Synonyms {
        self.readings = readings;
        self
    }

    /// The readings given with [`Synonyms::with_readings`] (empty by default).
    pub fn readings(&self) -> &Readings {
        &self.readings
    }

    /// Adds word analysis: Q&As and questions are then also indexed by the base forms and readings of their
    /// content words, and questions in kana by the readings the analyzer gives.
    pub fn with_analyzer(mut self, analyzer: Analyzer) -> Synonyms {
        self.analyzer = Some(analyzer);
        self
    }

    /// The analyzer given with [`Synonyms::with_analyzer`].
    pub fn analyzer(&self) -> Option<&Analyzer> {
        self.analyzer.as_ref()
    }

    /// Adds the Sudachi synonym groups, merged with this dictionary: a question's words are expanded to their
    /// groups' words (needs the analyzer, which finds the words).
    pub fn with_thesaurus(mut self, thesaurus: Thesaurus) -> Synonyms {
        self.thesaurus = thesaurus;
        self
    }

    /// The thesaurus given with [`Synonyms::with_thesaurus`] (empty by default).
    pub fn thesaurus(&self) -> &Thesaurus {
        &self.thesaurus
    }

    /// The other terms of every group found in `text` (longest match, left to right), as written.
    pub(crate) fn expansions<'a>(&'a self, text: &[Unit], out: &mut Vec<&'a str>) {
        if self.by_first.is_empty() {
            return;
        }
        let chars: Vec<char> = text.iter().map(unit_char).collect();
        let mut i = 0;
        while i < chars.len() {
            if let Some((len, group)) = self.match_at(&chars, i) {
                let found = &chars[i..i + len];
                for term in &self.groups[group as usize] {
                    if key_of(&units(term)) != found && !out.contains(&term.as_str()) {
                        out.push(term);
                    }
                }
                i += len;
            } else {
                i += 1;
            }
        }
    }

    /// The groups after merging, as written.
    pub fn groups(&self) -> &[Vec<String>] {
        &self.groups
    }

    /// Number of groups.
    pub fn len(&self) -> usize {
        self.groups.len()
    }

    /// Whether there are no groups.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty()
    }

    /// Rewrites every term found in `text` to its group's first term (longest match, left to right).
    pub(crate) fn apply(&self, text: Vec<Unit>) -> Vec<Unit> {
        if self.by_first.is_empty() {
            return text;
        }
        let chars: Vec<char> = text.iter().map(unit_char).collect();
        let mut out = Vec::with_capacity(text.len() + 8);
        let mut i = 0;
        while i < text.len() {
            if let Some((len, group)) = self.match_at(&chars, i) {
                out.extend_from_slice(&self.canonical[group as usize]);
                i += len;
            } else {
                out.push(text[i]);
                i += 1;
            }
        }
        out
    }

    fn match_at(&self, chars: &[char], i: usize) -> Option<(usize, u32)> {
        let bucket = self.by_first.get(&chars[i])?;
        for (key, group) in bucket {
            let end = i + key.len();
            if end > chars.len() || chars[i..end] != key[..] {
                continue;
            }
            // Latin terms must stand alone ("pc" is not inside "pcr"); Japanese has no spaces, so no such check.
            let alnum = |c: char| c.is_ascii_alphanumeric();
            if alnum(key[0]) && i > 0 && alnum(chars[i - 1]) {
                continue;
            }
            if alnum(key[key.len() - 1]) && end < chars.len() && alnum(chars[end]) {
                continue;
            }
            return Some((key.len(), *group));
        }
        None
    }
}

fn unit_char(u: &Unit) -> char {
    match u {
        Unit::Char(c, _) => *c,
        Unit::Break => ' ',
    }
}

fn key_of(us: &[Unit]) -> Vec<char> {
    us.iter().map(unit_char).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::normalize;

    fn rewrite(s: &Synonyms, text: &str) -> String {
        s.apply(units(text)).iter().map(unit_char).collect()
    }

    #[test]
    fn parse_reads_groups_with_every_separator_and_comments() {
        let s = Synonyms::parse("# 表記ゆれ\n子ども、子供・こども\n\nPC,パソコン\t端末 # 機器\n")
            .unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s.groups()[0], vec!["子ども", "子供", "こども"]);
        assert_eq!(s.groups()[1], vec!["PC", "パソコン", "端末"]);
    }

    #[test]
    fn parse_accepts_a_byte_order_mark_and_crlf_lines() {
        let s = Synonyms::parse("\u{FEFF}子ども、子供\r\nごみ、廃棄物\r\n").unwrap();
        assert_eq!(s.groups()[0], vec!["子ども", "子供"]);
        assert_eq!(s.groups()[1], vec!["ごみ", "廃棄物"]);
    }

    #[test]
    fn parse_errors_name_the_line() {
        let err = Synonyms::parse("子ども、子供\n住民票\n").unwrap_err();
        assert_eq!(
            err,
            SynonymError::SingleTerm {
                line: 2,
                term: "住民票".into()
            }
        );
        assert!(err.to_string().starts_with("2行目"));
        let err = Synonyms::parse("a,b\n\n子ども、？？\n").unwrap_err();
        assert_eq!(
            err,
            SynonymError::EmptyTerm {
                line: 3,
                term: "？？".into()
            }
        );
        let long = "あ".repeat(MAX_TERM_CHARS + 1);
        assert!(matches!(
            Synonyms::parse(&format!("い,{long}")),
            Err(SynonymError::TooLong { line: 1, .. })
        ));
    }

    #[test]
    fn every_term_is_rewritten_to_the_first_one() {
        let s = Synonyms::parse(
            "子ども、子供、こども\nマイナンバーカード、個人番号カード、マイナカード",
        )
        .unwrap();
        assert_eq!(rewrite(&s, "子供の医療費"), normalize("子どもの医療費"));
        assert_eq!(rewrite(&s, "ｺﾄﾞﾓ"), normalize("子ども"));
        assert_eq!(
            rewrite(&s, "マイナカードの更新"),
            normalize("マイナンバーカードの更新")
        );
        assert_eq!(
            rewrite(&s, "個人番号カード"),
            normalize("マイナンバーカード")
        );
    }

    #[test]
    fn expansions_are_the_other_terms_of_each_group_found() {
        let s = Synonyms::parse("子ども、子供、こども\n手数料、料金、費用").unwrap();
        let mut out = Vec::new();
        s.expansions(&units("子供の医療費の料金"), &mut out);
        assert_eq!(out, vec!["子ども", "こども", "手数料", "費用"]);
    }

    #[test]
    fn groups_sharing_a_term_are_merged() {
        let s = Synonyms::from_groups(vec![
            vec!["申請".into(), "申し込み".into()],
            vec!["申込".into(), "申し込み".into()],
        ]);
        assert_eq!(s.len(), 1);
        assert_eq!(rewrite(&s, "申込"), "申請");
    }

    #[test]
    fn groups_of_spellings_that_normalise_alike_are_dropped() {
        let s = Synonyms::parse("ごみ、ゴミ、ｺﾞﾐ\n子ども、子供").unwrap();
        assert_eq!(s.len(), 1);
        assert_eq!(s.groups()[0], vec!["子ども", "子供"]);
    }

    #[test]
    fn latin_terms_match_whole_words_only() {
        let s = Synonyms::parse("pc,パソコン").unwrap();
        assert_eq!(rewrite(&s, "PCR検査"), "pcr検査");
        assert_eq!(rewrite(&s, "PCが"), "pcが");
        assert_eq!(rewrite(&s, "パソコンが"), "pcが");
    }

    #[test]
    fn the_builtin_dictionary_parses_and_covers_the_issue_examples() {
        let s = Synonyms::builtin();
        assert!(s.len() >= 30);
        assert_eq!(rewrite(&s, "子供"), rewrite(&s, "こども"));
        assert_eq!(rewrite(&s, "個人番号カード"), rewrite(&s, "マイナカード"));
        assert_eq!(rewrite(&s, "申し込み"), rewrite(&s, "申請"));
        assert_eq!(rewrite(&s, "ゴミ"), rewrite(&s, "ごみ"));
    }
}
