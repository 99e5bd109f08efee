//! Digit normalisation, postal codes (郵便番号) and phone numbers (電話番号).

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why a postal code or phone number was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DigitsError {
    /// Not a 7-digit postal code.
    #[error("郵便番号は7桁の数字で入力してください（例: 100-0001）")]
    InvalidPostalCode,
    /// Not a 10- or 11-digit Japanese phone number.
    #[error("電話番号は0から始まる10桁または11桁の数字で入力してください（例: 03-1234-5678）")]
    InvalidPhoneNumber,
    /// A character that cannot appear in a phone number.
    #[error("電話番号に使用できない文字「{ch}」が含まれています")]
    PhoneInvalidCharacter {
        /// The offending character.
        ch: char,
    },
}

/// Converts full-width digits, hyphen-like characters, ＋ and U+3000 to
/// ASCII; everything else is left unchanged.
///
/// ー (長音符) and ｰ become '-' only between two digits, because residents
/// often type them for hyphens in numbers but they are real kana elsewhere.
pub fn to_ascii_digits(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let is_digit = |i: Option<&char>| i.is_some_and(|c| c.is_ascii_digit() || is_wide_digit(*c));
    chars
        .iter()
        .enumerate()
        .map(|(i, &c)| match c {
            '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
            '－' | '‐' | '‑' | '‒' | '–' | '—' | '―' | '−' | '﹣' => '-',
            'ー' | 'ｰ' if i > 0 && is_digit(chars.get(i - 1)) && is_digit(chars.get(i + 1)) => {
                '-'
            }
            '＋' => '+',
            '\u{3000}' => ' ',
            _ => c,
        })
        .collect()
}

/// Full-width digits ０..９.
fn is_wide_digit(c: char) -> bool {
    matches!(c, '０'..='９')
}

/// A 7-digit Japanese postal code.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PostalCode(String);

impl PostalCode {
    /// Parses "100-0001", "1000001", "〒100-0001", "１００－０００１" and the
    /// like; surrounding spaces are ignored.
    pub fn parse(s: &str) -> Result<PostalCode, DigitsError> {
        let ascii = to_ascii_digits(s);
        let trimmed = ascii.trim();
        let body = trimmed.strip_prefix('〒').unwrap_or(trimmed).trim_start();
        let b = body.as_bytes();
        let digits = match b.len() {
            7 => body.to_owned(),
            8 if b[3] == b'-' => format!("{}{}", &body[..3], &body[4..]),
            _ => return Err(DigitsError::InvalidPostalCode),
        };
        if digits.len() != 7 || !digits.bytes().all(|c| c.is_ascii_digit()) {
            return Err(DigitsError::InvalidPostalCode);
        }
        Ok(PostalCode(digits))
    }

    /// The seven digits without a hyphen, e.g. "1000001".
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PostalCode {
    /// Formats as "100-0001", the way it is printed on mail.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", &self.0[..3], &self.0[3..])
    }
}

impl TryFrom<String> for PostalCode {
    type Error = DigitsError;

    /// Validates through [`PostalCode::parse`].
    fn try_from(s: String) -> Result<Self, Self::Error> {
        PostalCode::parse(&s)
    }
}

impl From<PostalCode> for String {
    /// The undecorated seven digits.
    fn from(p: PostalCode) -> String {
        p.0
    }
}

/// A domestic Japanese phone number: 10 or 11 digits starting with 0.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhoneNumber {
    /// Digits only, e.g. "0312345678"; used for comparison and dialling.
    digits: String,
    /// As entered, with ASCII hyphens/digits, e.g. "03-1234-5678"; residents
    /// recognise their own grouping, which cannot be derived from digits.
    display: String,
}

impl PhoneNumber {
    /// Parses a phone number after [`to_ascii_digits`]; hyphens, spaces and
    /// parentheses are separators. "+81 3-1234-5678" and "+81 (0)3…" become
    /// the domestic "03…" form.
    pub fn parse(s: &str) -> Result<PhoneNumber, DigitsError> {
        let ascii: String = to_ascii_digits(s)
            .chars()
            .map(|c| match c {
                '（' => '(',
                '）' => ')',
                _ => c,
            })
            .collect();
        let trimmed = ascii.trim();
        let display = match trimmed.strip_prefix('+') {
            Some(rest) => {
                let rest = rest
                    .strip_prefix("81")
                    .ok_or(DigitsError::InvalidPhoneNumber)?;
                let rest = rest.trim_start_matches(is_separator);
                // "+81 (0)3-…" keeps the trunk prefix in brackets; drop it.
                let rest = rest
                    .strip_prefix("(0)")
                    .map(|r| r.trim_start_matches(is_separator))
                    .unwrap_or(rest);
                if rest.starts_with('0') {
                    rest.to_owned()
                } else {
                    format!("0{rest}")
                }
            }
            None => trimmed.to_owned(),
        };
        let mut digits = String::with_capacity(11);
        for c in display.chars() {
            if c.is_ascii_digit() {
                digits.push(c);
            } else if !is_separator(c) {
                return Err(DigitsError::PhoneInvalidCharacter { ch: c });
            }
        }
        // "00…" is an international call prefix, not a domestic number.
        let valid =
            matches!(digits.len(), 10 | 11) && digits.starts_with('0') && !digits.starts_with("00");
        if !valid {
            return Err(DigitsError::InvalidPhoneNumber);
        }
        Ok(PhoneNumber { digits, display })
    }

    /// Digits only, e.g. "0312345678".
    pub fn as_str(&self) -> &str {
        &self.digits
    }

    /// The entered form with ASCII digits and hyphens, e.g. "03-1234-5678".
    pub fn display(&self) -> &str {
        &self.display
    }
}

/// Separators tolerated inside phone numbers.
fn is_separator(c: char) -> bool {
    matches!(c, '-' | '(' | ')') || c.is_whitespace()
}

impl fmt::Display for PhoneNumber {
    /// Shows the resident's own grouping.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display)
    }
}

impl TryFrom<String> for PhoneNumber {
    type Error = DigitsError;

    /// Validates through [`PhoneNumber::parse`].
    fn try_from(s: String) -> Result<Self, Self::Error> {
        PhoneNumber::parse(&s)
    }
}

impl From<PhoneNumber> for String {
    /// The display form, which re-parses to the same value.
    fn from(p: PhoneNumber) -> String {
        p.display
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_width_digits_and_hyphens_become_ascii() {
        assert_eq!(to_ascii_digits("０３－１２３４ー５６７８"), "03-1234-5678");
        assert_eq!(to_ascii_digits("１‐２‑３–４—５―６−７"), "1-2-3-4-5-6-7");
        assert_eq!(to_ascii_digits("＋８１　３"), "+81 3");
    }

    #[test]
    fn long_vowel_mark_is_kept_outside_numbers() {
        assert_eq!(to_ascii_digits("コーポ101ー2"), "コーポ101-2");
        assert_eq!(to_ascii_digits("ー1ー"), "ー1ー");
        assert_eq!(to_ascii_digits("髙﨑ＡＢ"), "髙﨑ＡＢ");
    }

    #[test]
    fn postal_codes_parse_in_common_forms() {
        for s in [
            "100-0001",
            "1000001",
            "〒100-0001",
            "〒 100-0001",
            "１００－０００１",
            "  100-0001　",
        ] {
            let p = PostalCode::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
            assert_eq!(p.as_str(), "1000001");
            assert_eq!(p.to_string(), "100-0001");
        }
    }

    #[test]
    fn malformed_postal_codes_are_rejected() {
        for s in [
            "",
            "100-001",
            "10000011",
            "1000-001",
            "100-000a",
            "100ー0001x",
        ] {
            assert_eq!(
                PostalCode::parse(s),
                Err(DigitsError::InvalidPostalCode),
                "{s}"
            );
        }
    }

    #[test]
    fn phone_numbers_keep_the_residents_grouping() {
        let p = PhoneNumber::parse("03-1234-5678").unwrap();
        assert_eq!(p.as_str(), "0312345678");
        assert_eq!(p.display(), "03-1234-5678");
        let p = PhoneNumber::parse("09012345678").unwrap();
        assert_eq!(p.to_string(), "09012345678");
        let p = PhoneNumber::parse("(088) 823-1111").unwrap();
        assert_eq!(p.as_str(), "0888231111");
    }

    #[test]
    fn full_width_phone_numbers_are_accepted() {
        let p = PhoneNumber::parse("０９０－１２３４－５６７８").unwrap();
        assert_eq!(p.as_str(), "09012345678");
        assert_eq!(p.display(), "090-1234-5678");
        let p = PhoneNumber::parse("（０３）１２３４ー５６７８").unwrap();
        assert_eq!(p.display(), "(03)1234-5678");
    }

    #[test]
    fn plus_81_numbers_become_domestic() {
        let p = PhoneNumber::parse("+81 90-1234-5678").unwrap();
        assert_eq!(p.as_str(), "09012345678");
        assert_eq!(p.display(), "090-1234-5678");
        let p = PhoneNumber::parse("＋８１－３－１２３４－５６７８").unwrap();
        assert_eq!(p.as_str(), "0312345678");
        let p = PhoneNumber::parse("+81 (0)3-1234-5678").unwrap();
        assert_eq!(p.as_str(), "0312345678");
    }

    #[test]
    fn invalid_phone_numbers_are_rejected() {
        for s in [
            "",
            "3-1234-5678",
            "03-1234-567",
            "090-1234-56789",
            "+1 555 123 4567",
        ] {
            assert_eq!(
                PhoneNumber::parse(s),
                Err(DigitsError::InvalidPhoneNumber),
                "{s}"
            );
        }
        assert_eq!(
            PhoneNumber::parse("03-1234-567８内線"),
            Err(DigitsError::PhoneInvalidCharacter { ch: '内' })
        );
    }
}
