//! CP932 (Windows Shift_JIS) encoding checks for legacy systems.
//!
//! Many municipal back-office systems still import CSV in CP932. Characters
//! that cannot be represented must be reported to staff, never replaced, so
//! a resident's name is not silently corrupted.

use encoding_rs::{EncoderResult, SHIFT_JIS, UTF_8};

/// The first character that CP932 cannot represent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("「{ch}」（{}文字目）はShift_JIS（CP932）で表せない文字です", .char_index + 1)]
pub struct Unmappable {
    /// The unmappable character.
    pub ch: char,
    /// Its position counted in `char`s (0-based), for pointing at it in a UI.
    pub char_index: usize,
}

/// Encodes to CP932, failing on the first unmappable character instead of
/// emitting an HTML numeric character reference.
///
/// encoding_rs's Shift_JIS is the WHATWG definition, i.e. CP932 including
/// NEC/IBM extensions (髙, 﨑, ①, ㈱ are encodable).
pub fn encode_cp932(s: &str) -> Result<Vec<u8>, Unmappable> {
    let mut encoder = SHIFT_JIS.new_encoder();
    let cap = encoder
        .max_buffer_length_from_utf8_without_replacement(s.len())
        .unwrap_or(s.len() * 2);
    let mut out = vec![0u8; cap];
    let (result, read, written) = encoder.encode_from_utf8_without_replacement(s, &mut out, true);
    match result {
        EncoderResult::InputEmpty => {
            out.truncate(written);
            Ok(out)
        }
        EncoderResult::Unmappable(ch) => Err(Unmappable {
            ch,
            // `read` includes the unmappable character itself.
            char_index: s[..read].chars().count() - 1,
        }),
        // The buffer was sized for the worst case, so this is unreachable in
        // practice; report it as a failure on the next character regardless.
        EncoderResult::OutputFull => {
            let ch = s[read..].chars().next().unwrap_or('\u{FFFD}');
            Err(Unmappable {
                ch,
                char_index: s[..read].chars().count(),
            })
        }
    }
}

/// Lists every character of `s` that CP932 cannot represent, in order
/// (duplicates included, so counts match what staff see).
pub fn cp932_unmappable(s: &str) -> Vec<char> {
    let mut found = Vec::new();
    let mut rest = s;
    while !rest.is_empty() {
        match encode_cp932(rest) {
            Ok(_) => break,
            Err(u) => {
                found.push(u.ch);
                let (offset, ch) = rest
                    .char_indices()
                    .nth(u.char_index)
                    .unwrap_or((rest.len(), '\0'));
                rest = rest.get(offset + ch.len_utf8()..).unwrap_or("");
            }
        }
    }
    found
}

/// Decodes an uploaded file that is either UTF-8 (with or without BOM) or
/// CP932, returning the text and the detected encoding name ("UTF-8" or
/// "Shift_JIS").
///
/// Valid UTF-8 wins because CP932 text with Japanese characters is almost
/// never valid UTF-8, while the reverse mistake would garble everything.
pub fn decode_cp932_or_utf8(bytes: &[u8]) -> (String, &'static str) {
    if let Some(body) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        let (text, _) = UTF_8.decode_without_bom_handling(body);
        return (text.into_owned(), UTF_8.name());
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return (text.to_owned(), UTF_8.name());
    }
    let (text, _) = SHIFT_JIS.decode_without_bom_handling(bytes);
    (text.into_owned(), SHIFT_JIS.name())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extended_characters_encode_and_round_trip() {
        let s = "髙﨑①㈱ 山田";
        let bytes = encode_cp932(s).unwrap();
        assert_eq!(&bytes[..2], b"\xFB\xFC", "髙 is IBM extension FBFC");
        assert_eq!(decode_cp932_or_utf8(&bytes), (s.to_owned(), "Shift_JIS"));
    }

    #[test]
    fn wave_dash_is_unmappable() {
        assert_eq!(
            encode_cp932("1〜2"),
            Err(Unmappable {
                ch: '〜',
                char_index: 1
            })
        );
        // The full-width tilde is what CP932 actually has.
        assert!(encode_cp932("1～2").is_ok());
    }

    #[test]
    fn supplementary_characters_are_unmappable_at_the_right_index() {
        assert_eq!(
            encode_cp932("𠮷野家"),
            Err(Unmappable {
                ch: '𠮷',
                char_index: 0
            })
        );
        assert_eq!(
            encode_cp932("あ♡"),
            Err(Unmappable {
                ch: '♡',
                char_index: 1
            })
        );
    }

    #[test]
    fn ideographic_variation_selectors_are_unmappable() {
        assert_eq!(
            encode_cp932("葛\u{E0100}"),
            Err(Unmappable {
                ch: '\u{E0100}',
                char_index: 1
            })
        );
    }

    #[test]
    fn every_unmappable_character_is_listed() {
        assert_eq!(
            cp932_unmappable("𠮷田〜葛\u{E0100}飾♡髙〜"),
            vec!['𠮷', '〜', '\u{E0100}', '♡', '〜']
        );
        assert!(cp932_unmappable("髙﨑①㈱").is_empty());
        assert!(cp932_unmappable("").is_empty());
    }

    #[test]
    fn utf8_with_or_without_bom_is_detected() {
        assert_eq!(
            decode_cp932_or_utf8("\u{FEFF}髙﨑".as_bytes()),
            ("髙﨑".to_owned(), "UTF-8")
        );
        assert_eq!(
            decode_cp932_or_utf8("葛\u{E0100}".as_bytes()),
            ("葛\u{E0100}".to_owned(), "UTF-8")
        );
        assert_eq!(decode_cp932_or_utf8(b"abc"), ("abc".to_owned(), "UTF-8"));
    }

    #[test]
    fn error_message_is_japanese_and_one_based() {
        let e = encode_cp932("ab〜").unwrap_err();
        assert_eq!(
            e.to_string(),
            "「〜」（3文字目）はShift_JIS（CP932）で表せない文字です"
        );
    }
}
