//! Optional kana readings of kanji words, so that a question typed in kana (じどうてあて, ﾎｲｸｴﾝ) finds a Q&A
//! written in kanji (児童手当, 保育園).
//!
//! The readings come from a MeCab IPADIC-format lexicon, e.g. Debian's `mecab-ipadic` package
//! (`/usr/share/mecab/dic/ipadic/*.csv`, EUC-JP: decode before passing the text). Without it, search works on
//! characters only. With it, every question and phrasing of a Q&A is also indexed in its reading: words are
//! found by longest match from each kanji, the way a dictionary lookup would, without part-of-speech analysis.

use std::sync::Arc;

use rustc_hash::FxHashMap;

use crate::normalize::{Class, Unit, units};

/// Longest surface looked up, in characters.
const MAX_SURFACE_CHARS: usize = 12;

/// Kanji words and their readings (folded to hiragana). Cheap to clone (shared).
#[derive(Debug, Clone, Default)]
pub struct Readings {
    map: Arc<FxHashMap<String, Box<str>>>,
    /// Longest surface (in characters) starting with each character, to bound the lookups.
    longest: Arc<FxHashMap<char, u8>>,
}

/// The files of an IPADIC source directory (Debian: `/usr/share/mecab/dic/ipadic/`) worth reading: common and
/// verbal nouns, proper nouns, places and organisations, verbs and adjectives in every conjugated form (people's
/// names are left out).
pub const IPADIC_FILES: [&str; 9] = [
    "Noun.csv",
    "Noun.verbal.csv",
    "Noun.adjv.csv",
    "Noun.adverbal.csv",
    "Noun.proper.csv",
    "Noun.place.csv",
    "Noun.org.csv",
    "Verb.csv",
    "Adj.csv",
];

impl Readings {
    /// [`Readings::from_ipadic_csv`] on the raw bytes of IPADIC files, which are EUC-JP encoded (the caller
    /// reads [`IPADIC_FILES`] from the dictionary directory).
    pub fn from_ipadic_euc_jp<'a>(files: impl IntoIterator<Item = &'a [u8]>) -> Readings {
        let texts: Vec<String> = files
            .into_iter()
            .map(|bytes| encoding_rs::EUC_JP.decode(bytes).0.into_owned())
            .collect();
        Readings::from_ipadic_csv(texts.iter().map(String::as_str))
    }

    /// Reads IPADIC CSV lines (`surface,left,right,cost,pos…,base,reading,pronunciation`), keeping words whose
    /// surface contains a kanji; of several readings of one surface, the one with the lowest cost (the most
    /// common) is kept. Malformed lines are skipped.
    pub fn from_ipadic_csv<'a>(texts: impl IntoIterator<Item = &'a str>) -> Readings {
        let mut best: FxHashMap<String, (i32, Box<str>)> = FxHashMap::default();
        for text in texts {
            for line in text.lines() {
                let fields: Vec<&str> = line.split(',').collect();
                if fields.len() < 12 {
                    continue;
                }
                let (surface, reading) = (fields[0], fields[11]);
                let Ok(cost) = fields[3].parse::<i32>() else {
                    continue;
                };
                if reading == "*" || !surface.chars().any(is_kanji) {
                    continue;
                }
                let key = plain(&units(surface));
                let value: String = plain(&units(reading));
                if key.is_empty() || value.is_empty() || key.chars().count() > MAX_SURFACE_CHARS {
                    continue;
                }
                match best.get(&key) {
                    Some((c, _)) if *c <= cost => {}
                    _ => {
                        best.insert(key, (cost, value.into_boxed_str()));
                    }
                }
            }
        }
        let mut longest: FxHashMap<char, u8> = FxHashMap::default();
        for key in best.keys() {
            if let Some(first) = key.chars().next() {
                let n = key.chars().count() as u8;
                let e = longest.entry(first).or_insert(0);
                *e = (*e).max(n);
            }
        }
        let map = best.into_iter().map(|(k, (_, v))| (k, v)).collect();
        Readings {
            map: Arc::new(map),
            longest: Arc::new(longest),
        }
    }

    /// Number of words.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether there are no words (no lexicon given).
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Approximate heap size in bytes.
    pub fn memory_bytes(&self) -> usize {
        let entries: usize = self.map.iter().map(|(k, v)| k.capacity() + v.len()).sum();
        entries + self.map.capacity() * (24 + 16 + 1) + self.longest.capacity() * (4 + 1 + 1)
    }

    /// The text with every known kanji word replaced by its reading, or `None` when nothing was replaced.
    pub(crate) fn read(&self, text: &[Unit]) -> Option<Vec<Unit>> {
        if self.map.is_empty()
            || !text
                .iter()
                .any(|u| matches!(u, Unit::Char(_, Class::Kanji)))
        {
            return None;
        }
        let mut out = Vec::with_capacity(text.len() * 2);
        let mut key = String::new();
        let mut changed = false;
        let mut i = 0;
        while i < text.len() {
            if let Unit::Char(first, Class::Kanji) = text[i] {
                let mut found = None;
                let bound = self.longest.get(&first).map_or(0, |&n| n as usize);
                let longest = bound.min(text.len() - i);
                for len in (1..=longest).rev() {
                    key.clear();
                    let mut ok = true;
                    for u in &text[i..i + len] {
                        match u {
                            Unit::Char(c, _) => key.push(*c),
                            Unit::Break => {
                                ok = false;
                                break;
                            }
                        }
                    }
                    if !ok {
                        continue;
                    }
                    if let Some(reading) = self.map.get(key.as_str()) {
                        found = Some((len, reading));
                        break;
                    }
                }
                if let Some((len, reading)) = found {
                    out.extend(reading.chars().map(|c| Unit::Char(c, Class::Katakana)));
                    i += len;
                    changed = true;
                    continue;
                }
            }
            out.push(text[i]);
            i += 1;
        }
        changed.then_some(out)
    }
}

fn is_kanji(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '々')
}

fn plain(us: &[Unit]) -> String {
    us.iter()
        .filter_map(|u| match u {
            Unit::Char(c, _) => Some(*c),
            Unit::Break => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const LEXICON: &str = "児童,1285,1285,3000,名詞,一般,*,*,*,*,児童,ジドウ,ジドー\n\
        手当,1285,1285,3500,名詞,一般,*,*,*,*,手当,テアテ,テアテ\n\
        手当,1285,1285,9000,名詞,一般,*,*,*,*,手当,シュトウ,シュトー\n\
        振り込ま,764,764,6755,動詞,自立,*,*,五段・マ行,未然形,振り込む,フリコマ,フリコマ\n\
        保育園,1285,1285,3000,名詞,一般,*,*,*,*,保育園,ホイクエン,ホイクエン\n\
        ない,1,1,100,助動詞,*,*,*,*,*,ない,ナイ,ナイ\n\
        broken line\n";

    fn read(r: &Readings, text: &str) -> Option<String> {
        r.read(&units(text)).map(|u| plain(&u))
    }

    #[test]
    fn kanji_words_are_replaced_by_their_most_common_reading() {
        let r = Readings::from_ipadic_csv([LEXICON]);
        assert_eq!(r.len(), 4);
        assert_eq!(
            read(&r, "児童手当はいつ振り込まれますか").as_deref(),
            Some("じどうてあてはいつふりこまれますか")
        );
        assert_eq!(read(&r, "保育園 見学").as_deref(), Some("ほいくえん見学"));
    }

    #[test]
    fn euc_jp_files_are_decoded() {
        let (bytes, _, _) = encoding_rs::EUC_JP.encode(LEXICON);
        let r = Readings::from_ipadic_euc_jp([bytes.as_ref()]);
        assert_eq!(r.len(), 4);
        assert_eq!(read(&r, "児童").as_deref(), Some("じどう"));
    }

    #[test]
    fn text_without_known_kanji_words_has_no_reading() {
        let r = Readings::from_ipadic_csv([LEXICON]);
        assert_eq!(read(&r, "ごみの出し方"), None);
        assert_eq!(read(&r, "ひらがなだけ"), None);
        assert_eq!(read(&Readings::default(), "児童手当"), None);
    }
}
