//! Search keys: normalised copies of text used only for matching.
//!
//! A search key is never shown or stored as the resident's data. Originals,
//! including names containing 髙, 﨑 or ideographic variation sequences
//! (e.g. `葛\u{E0100}`), are never altered by this crate except where a
//! function's documentation says it returns a normalised value.

use unicode_normalization::UnicodeNormalization;

use crate::kana::hiragana_char_to_katakana;

/// Builds a matching key: NFKC, hiragana → katakana, ASCII lowercased,
/// whitespace and variation selectors removed.
///
/// Variation selectors are dropped so that `葛\u{E0100}` and `葛` find each
/// other; the stored original keeps its selector. Characters such as 髙 and
/// 﨑 are kept as-is (NFKC does not fold them), so they do not match 高/崎.
pub fn search_key(s: &str) -> String {
    s.nfkc()
        .filter(|c| !c.is_whitespace() && !is_variation_selector(*c))
        .map(hiragana_char_to_katakana)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Standard (U+FE00..) and ideographic (U+E0100..) variation selectors.
fn is_variation_selector(c: char) -> bool {
    matches!(c, '\u{FE00}'..='\u{FE0F}' | '\u{E0100}'..='\u{E01EF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kana_width_case_and_spaces_do_not_affect_the_key() {
        assert_eq!(search_key("やまだ　たろう"), search_key("ﾔﾏﾀﾞ ﾀﾛｳ"));
        assert_eq!(search_key("ＹＡＭＡＤＡ Taro"), "yamadataro");
    }

    #[test]
    fn variation_selectors_are_ignored_for_matching() {
        assert_eq!(search_key("葛\u{E0100}飾"), "葛飾");
    }

    #[test]
    fn itaiji_are_kept_distinct() {
        assert_eq!(search_key("髙﨑"), "髙﨑");
        assert_ne!(search_key("髙﨑"), search_key("高崎"));
    }
}
