//! A maintained synonym resource: the Sudachi synonym dictionary (WorksApplications, Apache-2.0), as packaged on
//! npm (`sudachi-synonyms-dictionary`, `sudachi-synonyms-dictionary.json`: 26,152 groups).
//!
//! Each group holds words of one meaning; items sharing a `vocabularyNumber` are one word in other spellings
//! (表記ゆれ: 引っ越し・引越し・引越). `expandControl` says how an item may be used: 0 both ways, 1 only as the
//! target of an expansion (a query using it is not expanded), 2 never. Only the query is expanded (see
//! [`crate::Index`]): a word found in the question adds its group's other words, spellings of the same word at
//! full weight and other words at a lower one.

use std::sync::Arc;

use rustc_hash::FxHashMap;
use serde::Deserialize;

use crate::analyzer::Word;

/// The Sudachi synonym groups, keyed by normalised spelling. Cheap to clone (shared).
#[derive(Debug, Clone, Default)]
pub struct Thesaurus {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    items: Vec<Item>,
    /// Per group: the range of its items in `items`.
    groups: Vec<(u32, u32)>,
    /// Normalised spelling → items spelled so.
    by_key: FxHashMap<Box<str>, Vec<u32>>,
}

#[derive(Debug)]
struct Item {
    /// As written in the dictionary.
    text: Box<str>,
    /// Normalised.
    key: Box<str>,
    group: u32,
    /// Items of one group with the same number are spellings of one word; `u32::MAX` for none.
    vocabulary: u32,
    expand_control: u8,
}

/// How an expansion relates to the word typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Relation {
    /// Another spelling of the same word (表記ゆれ).
    Spelling,
    /// Another word of the same meaning.
    Synonym,
}

#[derive(Deserialize)]
struct JsonGroup {
    items: Vec<JsonItem>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct JsonItem {
    midashi: String,
    vocabulary_number: Option<u32>,
    #[serde(default)]
    expand_control: u8,
}

/// Longest span of words looked up as one entry (健康|診断, 後期|高齢|者|医療).
const MAX_SPAN: usize = 4;

impl Thesaurus {
    /// Reads `sudachi-synonyms-dictionary.json` (an array of `{id, items: [{midashi, vocabularyNumber,
    /// expandControl, …}]}`).
    pub fn from_sudachi_json(json: &str) -> Result<Thesaurus, serde_json::Error> {
        let groups: Vec<JsonGroup> = serde_json::from_str(json)?;
        let mut inner = Inner::default();
        for group in groups {
            let g = inner.groups.len() as u32;
            let start = inner.items.len() as u32;
            for item in group.items {
                let key = crate::analyzer::plain_text(&item.midashi);
                if key.is_empty() {
                    continue;
                }
                let at = inner.items.len() as u32;
                inner
                    .by_key
                    .entry(key.clone().into_boxed_str())
                    .or_default()
                    .push(at);
                inner.items.push(Item {
                    text: item.midashi.into_boxed_str(),
                    key: key.into_boxed_str(),
                    group: g,
                    vocabulary: item.vocabulary_number.unwrap_or(u32::MAX),
                    expand_control: item.expand_control,
                });
            }
            inner.groups.push((start, inner.items.len() as u32));
        }
        inner.items.shrink_to_fit();
        Ok(Thesaurus {
            inner: Arc::new(inner),
        })
    }

    /// Number of groups.
    pub fn len(&self) -> usize {
        self.inner.groups.len()
    }

    /// Whether there are no groups.
    pub fn is_empty(&self) -> bool {
        self.inner.groups.is_empty()
    }

    /// Approximate heap size in bytes.
    pub fn memory_bytes(&self) -> usize {
        let i = &self.inner;
        i.items
            .iter()
            .map(|it| it.text.len() + it.key.len() + 32)
            .sum::<usize>()
            + i.by_key.len() * 48
            + i.groups.len() * 8
    }

    /// The expansions of the words of a query: for each span of words found in the dictionary (longest first,
    /// the last word also in its base form), the other words of its groups that may be expanded to.
    pub(crate) fn expand(&self, words: &[Word], out: &mut Vec<(String, Relation)>) {
        if self.inner.items.is_empty() {
            return;
        }
        let mut i = 0;
        let mut key = String::new();
        'words: while i < words.len() {
            for len in (1..=MAX_SPAN.min(words.len() - i)).rev() {
                let span = &words[i..i + len];
                if !span.iter().any(|w| w.content) {
                    continue;
                }
                for last_base in [false, true] {
                    key.clear();
                    for (k, w) in span.iter().enumerate() {
                        key.push_str(if last_base && k == len - 1 {
                            &w.base
                        } else {
                            &w.surface
                        });
                    }
                    if self.expand_key(&key, out) {
                        i += len;
                        continue 'words;
                    }
                }
            }
            i += 1;
        }
    }

    /// Adds the expansions of one spelling; whether it triggered any.
    fn expand_key(&self, key: &str, out: &mut Vec<(String, Relation)>) -> bool {
        let Some(found) = self.inner.by_key.get(key) else {
            return false;
        };
        let mut any = false;
        for &at in found {
            let typed = &self.inner.items[at as usize];
            // 1: only a target of other words' expansion; 2: never used.
            if typed.expand_control != 0 {
                continue;
            }
            any = true;
            let (s, e) = self.inner.groups[typed.group as usize];
            for other in &self.inner.items[s as usize..e as usize] {
                if other.expand_control == 2 || *other.key == *key {
                    continue;
                }
                let relation =
                    if other.vocabulary == typed.vocabulary && typed.vocabulary != u32::MAX {
                        Relation::Spelling
                    } else {
                        Relation::Synonym
                    };
                match out.iter_mut().find(|(t, _)| *t == *other.text) {
                    Some(existing) => {
                        if relation == Relation::Spelling {
                            existing.1 = Relation::Spelling;
                        }
                    }
                    None => out.push((other.text.to_string(), relation)),
                }
            }
        }
        any
    }
}
