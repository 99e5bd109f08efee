//! Text normalisation shared by indexing and queries.
//!
//! Works on a copy: the resident's or staff member's original text is never changed. Steps, in order:
//! NFKC (half-width ｶﾅ → カナ, full-width ＡＢＣ１２３ → ABC123), lower-casing, iteration marks spelled out
//! (人々 → 人人, すゞめ → すずめ), the long-vowel mark ー dropped (コンピューター = コンピュータ), katakana folded to
//! hiragana (ゴミ = ごみ), variant kanji of names folded to the common form (髙 → 高, 﨑 → 崎, which NFKC keeps),
//! and every run of whitespace or punctuation turned into one break.

use unicode_normalization::UnicodeNormalization;

/// What a normalised character was before folding; used to weight terms (a bigram of two hiragana is usually
/// grammar, a bigram of katakana is usually a loanword such as マイナ).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    /// 漢字 (and 々 once spelled out).
    Kanji,
    /// Originally hiragana.
    Hiragana,
    /// Originally katakana (folded to hiragana).
    Katakana,
    /// Latin letters and digits (ASCII after NFKC) and other letters of alphabetic scripts.
    Alnum,
}

/// One normalised character, or a break between words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unit {
    Char(char, Class),
    Break,
}

/// The normalisation used for indexing and queries, as a string: runs of whitespace and punctuation become one
/// space, with no leading or trailing space.
///
/// ```
/// assert_eq!(madoguchi_search::normalize("ﾏｲﾅﾝﾊﾞｰｶｰﾄﾞ、どこで？"), "まいなんばかど どこで");
/// assert_eq!(madoguchi_search::normalize("ＰＣの　パスワード"), "pcの ぱすわど");
/// ```
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for unit in units(text) {
        match unit {
            Unit::Char(c, _) => out.push(c),
            Unit::Break => {
                if !out.is_empty() && !out.ends_with(' ') {
                    out.push(' ');
                }
            }
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// The normalised characters of `text`, with breaks (never two in a row, none at the start).
pub(crate) fn units(text: &str) -> Vec<Unit> {
    let mut out: Vec<Unit> = Vec::with_capacity(text.len() / 2);
    for c in text.nfkc().flat_map(char::to_lowercase).map(fold_variant) {
        match c {
            // Long-vowel marks (and the half-width one NFKC already maps to ー) carry no meaning for matching.
            'ー' => continue,
            // 々 repeats the previous kanji.
            '々' | '〻' => {
                if let Some(Unit::Char(prev, Class::Kanji)) = out.last().copied() {
                    out.push(Unit::Char(prev, Class::Kanji));
                }
                continue;
            }
            // ゝ ヽ repeat the previous kana; ゞ ヾ repeat it voiced.
            'ゝ' | 'ヽ' | 'ゞ' | 'ヾ' => {
                if let Some(Unit::Char(prev, class @ (Class::Hiragana | Class::Katakana))) =
                    out.last().copied()
                {
                    let repeated = if matches!(c, 'ゞ' | 'ヾ') {
                        voiced(prev)
                    } else {
                        prev
                    };
                    out.push(Unit::Char(repeated, class));
                }
                continue;
            }
            _ => {}
        }
        let unit = match classify(c) {
            Some(Class::Katakana) => Unit::Char(katakana_to_hiragana(c), Class::Katakana),
            Some(class) => Unit::Char(c, class),
            None => Unit::Break,
        };
        if unit == Unit::Break && matches!(out.last(), None | Some(Unit::Break)) {
            continue;
        }
        out.push(unit);
    }
    if out.last() == Some(&Unit::Break) {
        out.pop();
    }
    out
}

/// Variant kanji common in names and place names (異体字) that NFKC leaves alone, folded to the form Q&As are
/// written in: a resident typing 髙田 or 山﨑 from a document must find 高田 and 山崎.
pub(crate) fn fold_variant(c: char) -> char {
    match c {
        '髙' => '高',
        '﨑' | '嵜' | '碕' => '崎',
        '𠮷' => '吉',
        '濵' | '濱' => '浜',
        '邉' | '邊' => '辺',
        '齋' | '齊' => '斎',
        '德' => '徳',
        '槗' | '𣘺' => '橋',
        _ => c,
    }
}

/// The class of a character after NFKC and lower-casing; `None` for whitespace, punctuation and symbols.
fn classify(c: char) -> Option<Class> {
    match c {
        'ぁ'..='ゖ' => Some(Class::Hiragana),
        'ァ'..='ヺ' => Some(Class::Katakana),
        '\u{4E00}'..='\u{9FFF}'
        | '\u{3400}'..='\u{4DBF}'
        | '\u{F900}'..='\u{FAFF}'
        | '\u{20000}'..='\u{3FFFF}' => Some(Class::Kanji),
        c if c.is_alphanumeric() => Some(Class::Alnum),
        _ => None,
    }
}

fn katakana_to_hiragana(c: char) -> char {
    match c {
        // The hiragana block mirrors katakana at a fixed offset of 0x60 (ァ..ヶ ↔ ぁ..ゖ).
        'ァ'..='ヶ' => char::from_u32(c as u32 - 0x60).unwrap_or(c),
        // ヷ ヸ ヹ ヺ have no hiragana counterpart.
        _ => c,
    }
}

/// The voiced form of a kana (か → が), or the kana itself when it has none.
fn voiced(c: char) -> char {
    let n = c as u32;
    // In both kana blocks the voiced form follows the unvoiced one for か..ぢ, つ..ど, は..ぽ (3-step cycle).
    let voiceable = matches!(
        c,
        'か' | 'き'
            | 'く'
            | 'け'
            | 'こ'
            | 'さ'
            | 'し'
            | 'す'
            | 'せ'
            | 'そ'
            | 'た'
            | 'ち'
            | 'つ'
            | 'て'
            | 'と'
            | 'は'
            | 'ひ'
            | 'ふ'
            | 'へ'
            | 'ほ'
    );
    if voiceable {
        char::from_u32(n + 1).unwrap_or(c)
    } else {
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_width_and_full_width_kana_fold_to_the_same_text() {
        assert_eq!(normalize("ｺﾞﾐ"), normalize("ゴミ"));
        assert_eq!(normalize("ゴミ"), normalize("ごみ"));
        assert_eq!(normalize("ﾏｲﾅﾝﾊﾞｰｶｰﾄﾞ"), "まいなんばかど");
    }

    #[test]
    fn latin_letters_and_digits_are_folded_to_lower_case_ascii() {
        assert_eq!(normalize("ＰＣ　ＯＳ 2024年"), "pc os 2024年");
        assert_eq!(normalize("E-Tax"), "e tax");
    }

    #[test]
    fn variant_kanji_of_names_fold_to_the_common_form() {
        assert_eq!(normalize("髙田"), "高田");
        assert_eq!(normalize("山﨑"), normalize("山崎"));
        assert_eq!(normalize("𠮷野家"), "吉野家");
        assert_eq!(normalize("渡邉"), normalize("渡辺"));
    }

    #[test]
    fn long_vowel_marks_do_not_matter() {
        assert_eq!(normalize("コンピューター"), normalize("コンピュータ"));
        assert_eq!(normalize("ﾕｰｻﾞｰ"), normalize("ユーザ"));
    }

    #[test]
    fn iteration_marks_are_spelled_out() {
        assert_eq!(normalize("人々"), normalize("人人"));
        assert_eq!(normalize("時々"), "時時");
        assert_eq!(normalize("すゞめ"), "すずめ");
        assert_eq!(normalize("いすゞ"), "いすず");
        assert_eq!(normalize("こゝろ"), "こころ");
        // A mark with nothing before it is dropped, not kept as a stray character.
        assert_eq!(normalize("々"), "");
    }

    #[test]
    fn punctuation_and_whitespace_become_single_spaces() {
        assert_eq!(normalize("  児童手当、　申請は？！ "), "児童手当 申請は");
        assert_eq!(normalize(""), "");
        assert_eq!(normalize("？？？"), "");
    }

    #[test]
    fn classes_remember_the_original_script() {
        let u = units("ゴミの日");
        assert_eq!(
            u,
            vec![
                Unit::Char('ご', Class::Katakana),
                Unit::Char('み', Class::Katakana),
                Unit::Char('の', Class::Hiragana),
                Unit::Char('日', Class::Kanji),
            ]
        );
    }
}
