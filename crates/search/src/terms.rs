//! Terms: what the index stores and the query looks up.
//!
//! Japanese has no spaces, so without a dictionary the text is cut into overlapping character bigrams
//! (児童手当 → 児童 童手 手当), plus single kanji for one-character words (税, 家) and some tolerance of a
//! mistyped kanji. Latin letters and digits form whole words (pc, e, tax, 2024).

use std::hash::{Hash, Hasher};

use rustc_hash::FxHasher;

use crate::analyzer::Word;
use crate::normalize::{Class, Unit};

/// What kind of term, which decides its weight in a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Two characters, at least one not hiragana.
    Bigram,
    /// Two hiragana: mostly grammar (ので, ます), sometimes a word written in kana (ごみ after folding is Katakana).
    KanaBigram,
    /// One character: a kanji inside a longer run, or a run of one character.
    Unigram,
    /// A run of Latin letters or digits.
    Word,
    /// The base form (原形) of a content word, from the morphological analyzer.
    Base,
    /// The reading (in kana) of a content word, from the morphological analyzer: 鳩 and ハト share it.
    Reading,
}

/// Appends the base form and the reading of every content word (see [`crate::analyzer`]).
pub(crate) fn word_terms(words: &[Word], out: &mut Vec<(u64, Kind)>) {
    for w in words.iter().filter(|w| w.content) {
        out.push((tagged_key('b', &w.base), Kind::Base));
        out.push((tagged_key('r', &w.reading), Kind::Reading));
    }
}

/// A key for a whole string in its own name space (`tag`), disjoint from the character terms' keys except by
/// a 62-bit hash collision.
fn tagged_key(tag: char, s: &str) -> u64 {
    let mut h = FxHasher::default();
    tag.hash(&mut h);
    s.hash(&mut h);
    (3 << 62) | (h.finish() >> 2)
}

/// Appends the terms of `units` to `out` as (key, kind), in text order, duplicates included.
pub(crate) fn terms(units: &[Unit], out: &mut Vec<(u64, Kind)>) {
    let mut i = 0;
    while i < units.len() {
        match units[i] {
            Unit::Break => i += 1,
            Unit::Char(_, Class::Alnum) => {
                let start = i;
                while i < units.len() && matches!(units[i], Unit::Char(_, Class::Alnum)) {
                    i += 1;
                }
                out.push((word_key(&units[start..i]), Kind::Word));
            }
            Unit::Char(..) => {
                let start = i;
                while i < units.len() && matches!(units[i], Unit::Char(_, c) if c != Class::Alnum) {
                    i += 1;
                }
                cjk_terms(&units[start..i], out);
            }
        }
    }
}

fn cjk_terms(run: &[Unit], out: &mut Vec<(u64, Kind)>) {
    let chars: Vec<(char, Class)> = run
        .iter()
        .filter_map(|u| match u {
            Unit::Char(c, k) => Some((*c, *k)),
            Unit::Break => None,
        })
        .collect();
    if chars.len() == 1 {
        out.push((unigram_key(chars[0].0), Kind::Unigram));
        return;
    }
    for pair in chars.windows(2) {
        let ((a, ka), (b, kb)) = (pair[0], pair[1]);
        let kind = if ka == Class::Hiragana && kb == Class::Hiragana {
            Kind::KanaBigram
        } else {
            Kind::Bigram
        };
        out.push((bigram_key(a, b), kind));
    }
    for &(c, k) in &chars {
        if k == Class::Kanji {
            out.push((unigram_key(c), Kind::Unigram));
        }
    }
}

// Keys: two tag bits, then the characters (21 bits each) or a hash of the word.
fn bigram_key(a: char, b: char) -> u64 {
    (1 << 62) | ((a as u64) << 21) | b as u64
}

fn unigram_key(c: char) -> u64 {
    (2 << 62) | c as u64
}

fn word_key(run: &[Unit]) -> u64 {
    let mut h = FxHasher::default();
    for u in run {
        if let Unit::Char(c, _) = u {
            c.hash(&mut h);
        }
    }
    (3 << 62) | (h.finish() >> 2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::units;

    fn kinds(text: &str) -> Vec<Kind> {
        let mut out = Vec::new();
        terms(&units(text), &mut out);
        out.into_iter().map(|(_, k)| k).collect()
    }

    #[test]
    fn japanese_runs_give_bigrams_and_kanji_unigrams() {
        // 児童 童手 手当 + 児 童 手 当
        assert_eq!(
            kinds("児童手当")
                .iter()
                .filter(|k| **k == Kind::Bigram)
                .count(),
            3
        );
        assert_eq!(
            kinds("児童手当")
                .iter()
                .filter(|k| **k == Kind::Unigram)
                .count(),
            4
        );
        assert_eq!(kinds("税"), vec![Kind::Unigram]);
        assert_eq!(kinds("ですか"), vec![Kind::KanaBigram, Kind::KanaBigram]);
        // Katakana words keep full weight although they are folded to hiragana.
        assert_eq!(kinds("ゴミ"), vec![Kind::Bigram]);
    }

    #[test]
    fn latin_runs_are_words_and_break_japanese_runs() {
        assert_eq!(
            kinds("PCの設定"),
            vec![
                Kind::Word,
                Kind::Bigram,
                Kind::Bigram,
                Kind::Unigram,
                Kind::Unigram
            ]
        );
        let mut a = Vec::new();
        let mut b = Vec::new();
        terms(&units("ＰＣ"), &mut a);
        terms(&units("pc"), &mut b);
        assert_eq!(a, b);
    }

    #[test]
    fn keys_of_different_kinds_never_collide() {
        assert_ne!(bigram_key('a', 'b'), unigram_key('a'));
        assert_ne!(unigram_key('a') >> 62, word_key(&units("a")) >> 62);
    }
}
