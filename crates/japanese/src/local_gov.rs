//! 全国地方公共団体コード (local government codes, JIS X 0401/0402 + check digit).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::digits::to_ascii_digits;

/// Why a local government code was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LocalGovCodeError {
    /// Wrong length or non-digit characters.
    #[error("地方公共団体コードは6桁の数字で入力してください（例: 131016）")]
    Format,
    /// The first two digits are not a prefecture code 01-47.
    #[error("地方公共団体コードの都道府県コード「{0}」が正しくありません（01〜47）")]
    Prefecture(String),
    /// The sixth digit does not match the computed check digit.
    #[error("地方公共団体コードの検査数字が一致しません（正しくは{expected}、入力は{found}）")]
    CheckDigit {
        /// The check digit computed from the first five digits.
        expected: char,
        /// The check digit that was entered.
        found: char,
    },
}

/// A validated 6-digit 全国地方公共団体コード, e.g. "131016" (千代田区).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct LocalGovCode(String);

impl LocalGovCode {
    /// Parses a 6-digit code (full-width digits and surrounding spaces are
    /// tolerated) and verifies the prefecture and check digit.
    pub fn parse(s: &str) -> Result<LocalGovCode, LocalGovCodeError> {
        let s = normalise(s);
        if s.len() != 6 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(LocalGovCodeError::Format);
        }
        let code = LocalGovCode::from_five(&s[..5])?;
        let found = char::from(s.as_bytes()[5]);
        let expected = char::from(code.0.as_bytes()[5]);
        if found != expected {
            return Err(LocalGovCodeError::CheckDigit { expected, found });
        }
        Ok(code)
    }

    /// Builds a code from the 5-digit JIS code by appending the check digit.
    pub fn from_five(s: &str) -> Result<LocalGovCode, LocalGovCodeError> {
        let s = normalise(s);
        if s.len() != 5 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(LocalGovCodeError::Format);
        }
        let pref = &s[..2];
        if !matches!(pref.parse::<u8>(), Ok(1..=47)) {
            return Err(LocalGovCodeError::Prefecture(pref.to_owned()));
        }
        let check = check_digit(s.as_bytes());
        Ok(LocalGovCode(format!("{s}{check}")))
    }

    /// Accepts a 6-digit code, or a 5-digit string that is a 6-digit code
    /// whose leading zero was lost (spreadsheets drop it: "92011" → "092011").
    ///
    /// A 5-digit string is *not* treated as a check-digit-less code, because
    /// that would silently accept a truncated value; use [`Self::from_five`].
    pub fn repair(s: &str) -> Result<LocalGovCode, LocalGovCodeError> {
        let s = normalise(s);
        if s.len() == 5 {
            LocalGovCode::parse(&format!("0{s}"))
        } else {
            LocalGovCode::parse(&s)
        }
    }

    /// The six digits, e.g. "131016".
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The 2-digit prefecture code, e.g. "13" for 東京都.
    pub fn prefecture_code(&self) -> &str {
        &self.0[..2]
    }

    /// Whether this is a prefecture itself (digits 3-5 are "000").
    pub fn is_prefecture(&self) -> bool {
        &self.0[2..5] == "000"
    }
}

/// Full-width digits are common in pasted data; spaces are never meaningful.
fn normalise(s: &str) -> String {
    to_ascii_digits(s).trim().to_owned()
}

/// Check digit for five ASCII digits: weights 6..2, modulus 11.
fn check_digit(five: &[u8]) -> char {
    let sum: u32 = five
        .iter()
        .zip((2..=6).rev())
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    let check = (11 - sum % 11) % 10;
    char::from(b'0' + check as u8)
}

impl fmt::Display for LocalGovCode {
    /// The six digits.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for LocalGovCode {
    type Error = LocalGovCodeError;

    /// Validates through [`LocalGovCode::parse`].
    fn try_from(s: String) -> Result<Self, Self::Error> {
        LocalGovCode::parse(&s)
    }
}

impl From<LocalGovCode> for String {
    /// The six digits.
    fn from(c: LocalGovCode) -> String {
        c.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_codes_are_valid() {
        for s in ["011002", "131016", "390003", "392014", "092011"] {
            let c = LocalGovCode::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
            assert_eq!(c.as_str(), s);
        }
    }

    #[test]
    fn check_digit_is_computed_from_five_digits() {
        assert_eq!(LocalGovCode::from_five("01100").unwrap().as_str(), "011002");
        assert_eq!(LocalGovCode::from_five("13101").unwrap().as_str(), "131016");
        assert_eq!(LocalGovCode::from_five("39000").unwrap().as_str(), "390003");
        assert_eq!(LocalGovCode::from_five("39201").unwrap().as_str(), "392014");
    }

    #[test]
    fn wrong_check_digit_is_rejected() {
        assert_eq!(
            LocalGovCode::parse("131017"),
            Err(LocalGovCodeError::CheckDigit {
                expected: '6',
                found: '7'
            })
        );
    }

    #[test]
    fn malformed_codes_are_rejected() {
        for s in ["", "13101", "1310160", "13101a", "abcdef"] {
            assert_eq!(
                LocalGovCode::parse(s),
                Err(LocalGovCodeError::Format),
                "{s}"
            );
        }
        assert!(matches!(
            LocalGovCode::from_five("48000"),
            Err(LocalGovCodeError::Prefecture(_))
        ));
        assert!(matches!(
            LocalGovCode::from_five("00000"),
            Err(LocalGovCodeError::Prefecture(_))
        ));
    }

    #[test]
    fn full_width_digits_are_accepted() {
        assert_eq!(
            LocalGovCode::parse("１３１０１６").unwrap().as_str(),
            "131016"
        );
    }

    #[test]
    fn repair_restores_a_dropped_leading_zero() {
        assert_eq!(LocalGovCode::repair("92011").unwrap().as_str(), "092011");
        assert_eq!(LocalGovCode::repair("11002").unwrap().as_str(), "011002");
        assert_eq!(LocalGovCode::repair("131016").unwrap().as_str(), "131016");
        // A check-digit-less 5-digit code is not guessed at.
        assert!(LocalGovCode::repair("13101").is_err());
    }

    #[test]
    fn prefecture_parts_are_exposed() {
        let kochi = LocalGovCode::parse("390003").unwrap();
        assert_eq!(kochi.prefecture_code(), "39");
        assert!(kochi.is_prefecture());
        let kochi_city = LocalGovCode::parse("392014").unwrap();
        assert_eq!(kochi_city.prefecture_code(), "39");
        assert!(!kochi_city.is_prefecture());
    }
}
