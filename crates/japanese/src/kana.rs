//! Kana conversion and furigana (フリガナ) normalisation.

use unicode_normalization::UnicodeNormalization;

/// The ideographic (full-width) space used between family and given names.
const IDEOGRAPHIC_SPACE: char = '\u{3000}';

/// Why a furigana value was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KanaError {
    /// A character that is not katakana remained after normalisation.
    #[error("「{ch}」は使用できません。フリガナはカタカナで入力してください")]
    NotKatakana {
        /// The first offending character (after normalisation).
        ch: char,
    },
}

/// Converts hiragana to katakana, leaving every other character unchanged.
///
/// No Unicode normalisation is applied; see [`normalize_furigana`] for that.
pub fn hiragana_to_katakana(s: &str) -> String {
    s.chars().map(hiragana_char_to_katakana).collect()
}

/// Maps one hiragana character to katakana (ぁ..ゖ, ゝ, ゞ); others pass through.
pub(crate) fn hiragana_char_to_katakana(c: char) -> char {
    match c {
        // The katakana block mirrors hiragana at a fixed offset of 0x60.
        '\u{3041}'..='\u{3096}' | '\u{309D}' | '\u{309E}' => {
            char::from_u32(c as u32 + 0x60).unwrap_or(c)
        }
        _ => c,
    }
}

/// Normalises a furigana entry to full-width katakana.
///
/// Applies NFKC (so half-width ｶﾞｯｺｳ becomes ガッコウ), converts hiragana to
/// katakana, collapses each run of whitespace to one U+3000 and trims.
/// The result may contain only katakana U+30A1..=U+30FA, ・, ー, ヽ, ヾ and
/// U+3000; anything else yields [`KanaError::NotKatakana`].
pub fn normalize_furigana(s: &str) -> Result<String, KanaError> {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    // NFKC maps U+3000 to U+0020, so whitespace is handled after it.
    for c in s.nfkc().map(hiragana_char_to_katakana) {
        if c.is_whitespace() {
            pending_space = true;
            continue;
        }
        if !is_furigana_char(c) {
            return Err(KanaError::NotKatakana { ch: c });
        }
        if pending_space && !out.is_empty() {
            out.push(IDEOGRAPHIC_SPACE);
        }
        pending_space = false;
        out.push(c);
    }
    Ok(out)
}

/// Whether `s` is acceptable furigana, i.e. [`normalize_furigana`] succeeds.
/// An empty string is vacuously katakana; required-ness is a form concern.
pub fn is_katakana(s: &str) -> bool {
    normalize_furigana(s).is_ok()
}

/// Characters allowed in normalised furigana, excluding the separator space.
fn is_furigana_char(c: char) -> bool {
    // U+30FB ・, U+30FC ー, U+30FD ヽ, U+30FE ヾ follow the letters directly.
    matches!(c, '\u{30A1}'..='\u{30FE}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hiragana_becomes_katakana_and_other_text_is_kept() {
        assert_eq!(hiragana_to_katakana("やまだ たろう"), "ヤマダ タロウ");
        assert_eq!(hiragana_to_katakana("ゔぁゝゞ"), "ヴァヽヾ");
        assert_eq!(hiragana_to_katakana("髙﨑abc"), "髙﨑abc");
    }

    #[test]
    fn half_width_kana_furigana_is_widened() {
        assert_eq!(normalize_furigana("ｶﾞｯｺｳ").unwrap(), "ガッコウ");
        assert_eq!(
            normalize_furigana("ﾔﾏﾀﾞ ﾀﾛｰ").unwrap(),
            "ヤマダ\u{3000}タロー"
        );
    }

    #[test]
    fn hiragana_furigana_is_converted() {
        assert_eq!(
            normalize_furigana("やまだ　はなこ").unwrap(),
            "ヤマダ\u{3000}ハナコ"
        );
    }

    #[test]
    fn whitespace_runs_collapse_to_one_ideographic_space_and_are_trimmed() {
        assert_eq!(
            normalize_furigana(" \u{3000}ヤマダ \u{3000}\t タロウ\u{3000} ").unwrap(),
            "ヤマダ\u{3000}タロウ"
        );
        assert_eq!(normalize_furigana("   ").unwrap(), "");
    }

    #[test]
    fn middle_dot_and_long_vowel_are_allowed() {
        assert_eq!(
            normalize_furigana("スミス・ジョーン").unwrap(),
            "スミス・ジョーン"
        );
        assert!(is_katakana("ヴィヽヾ"));
    }

    #[test]
    fn mixed_or_latin_input_is_rejected() {
        assert_eq!(
            normalize_furigana("ヤマダ太郎"),
            Err(KanaError::NotKatakana { ch: '太' })
        );
        assert_eq!(
            normalize_furigana("Yamada"),
            Err(KanaError::NotKatakana { ch: 'Y' })
        );
        // Full-width latin is reported as the ASCII letter it normalises to.
        assert_eq!(
            normalize_furigana("ヤマダＡ"),
            Err(KanaError::NotKatakana { ch: 'A' })
        );
        assert!(!is_katakana("ヤマダ-タロウ"));
        let msg = normalize_furigana("abc").unwrap_err().to_string();
        assert!(msg.contains("カタカナで入力してください"), "{msg}");
    }
}
