//! 和暦 (Japanese era calendar) conversion, formatting and parsing.
//!
//! Dates are always Gregorian (proleptic) `NaiveDate`s. 明治 is treated as
//! starting on 1868-01-25 (the Gregorian date of 明治元年1月1日); the lunar
//! calendar in use until 明治5年 is deliberately not modelled, because forms
//! only need a consistent mapping, not historical precision.

use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use unicode_normalization::UnicodeNormalization;

/// A Japanese era (元号) from 明治 onwards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Era {
    /// 明治 (M), from 1868-01-25.
    Meiji,
    /// 大正 (T), from 1912-07-30.
    Taisho,
    /// 昭和 (S), from 1926-12-25.
    Showa,
    /// 平成 (H), from 1989-01-08.
    Heisei,
    /// 令和 (R), from 2019-05-01.
    Reiwa,
}

impl Era {
    /// All supported eras, oldest first.
    pub const ALL: [Era; 5] = [Era::Meiji, Era::Taisho, Era::Showa, Era::Heisei, Era::Reiwa];

    /// The era name in kanji, e.g. "令和".
    pub fn kanji(&self) -> &'static str {
        match self {
            Era::Meiji => "明治",
            Era::Taisho => "大正",
            Era::Showa => "昭和",
            Era::Heisei => "平成",
            Era::Reiwa => "令和",
        }
    }

    /// The conventional one-letter abbreviation, e.g. 'R' for 令和.
    pub fn letter(&self) -> char {
        match self {
            Era::Meiji => 'M',
            Era::Taisho => 'T',
            Era::Showa => 'S',
            Era::Heisei => 'H',
            Era::Reiwa => 'R',
        }
    }

    /// The first day of the era (元年 starts on this date).
    pub fn start(&self) -> NaiveDate {
        let (y, m, d) = match self {
            Era::Meiji => (1868, 1, 25),
            Era::Taisho => (1912, 7, 30),
            Era::Showa => (1926, 12, 25),
            Era::Heisei => (1989, 1, 8),
            Era::Reiwa => (2019, 5, 1),
        };
        // The constants above are valid dates, so this cannot fail.
        NaiveDate::from_ymd_opt(y, m, d).expect("era start dates are valid")
    }

    /// The era that followed this one, if any.
    pub fn next(&self) -> Option<Era> {
        match self {
            Era::Meiji => Some(Era::Taisho),
            Era::Taisho => Some(Era::Showa),
            Era::Showa => Some(Era::Heisei),
            Era::Heisei => Some(Era::Reiwa),
            Era::Reiwa => None,
        }
    }

    /// Whether `date` falls inside this era.
    pub fn contains(&self, date: NaiveDate) -> bool {
        date >= self.start() && self.next().is_none_or(|n| date < n.start())
    }
}

impl fmt::Display for Era {
    /// Shows the kanji name, which is what residents expect to read.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.kanji())
    }
}

/// A date expressed in the Japanese era calendar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Wareki {
    /// The era.
    pub era: Era,
    /// Year within the era; 1 is 元年.
    pub year: u32,
    /// Month, 1-12.
    pub month: u32,
    /// Day of month, 1-31.
    pub day: u32,
}

impl fmt::Display for Wareki {
    /// Formats as "令和元年5月1日"; official documents write year 1 as 元年.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.year == 1 {
            write!(f, "{}元年", self.era)?;
        } else {
            write!(f, "{}{}年", self.era, self.year)?;
        }
        write!(f, "{}月{}日", self.month, self.day)
    }
}

/// Why a 和暦 string could not be turned into a date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WarekiError {
    /// Nothing was entered.
    #[error("和暦の日付が入力されていません")]
    Empty,
    /// The era name or letter was not recognised.
    #[error(
        "元号が読み取れません（明治・大正・昭和・平成・令和、またはM・T・S・H・Rで入力してください）"
    )]
    UnknownEra,
    /// The text did not follow a supported layout.
    #[error("和暦の日付の形式が正しくありません（例: 令和6年4月1日、R6.4.1）")]
    Format,
    /// The month/day combination does not exist (e.g. 2月30日).
    #[error("{era}{year}年{month}月{day}日は存在しない日付です")]
    InvalidDate {
        /// Era as entered.
        era: Era,
        /// Era year as entered.
        year: u32,
        /// Month as entered.
        month: u32,
        /// Day as entered.
        day: u32,
    },
    /// The date exists but not within the given era (e.g. 平成31年5月1日).
    #[error("{era}{year}年{month}月{day}日は{era}の期間外です")]
    OutOfEra {
        /// Era as entered.
        era: Era,
        /// Era year as entered.
        year: u32,
        /// Month as entered.
        month: u32,
        /// Day as entered.
        day: u32,
    },
}

/// Converts a Gregorian date to 和暦; `None` before 明治 (1868-01-25).
pub fn to_wareki(date: NaiveDate) -> Option<Wareki> {
    let era = Era::ALL.into_iter().rev().find(|e| date >= e.start())?;
    // The era year counts calendar years: 元年 runs until 12月31日.
    let year = u32::try_from(date.year() - era.start().year() + 1).ok()?;
    Some(Wareki {
        era,
        year,
        month: date.month(),
        day: date.day(),
    })
}

/// Formats a date as "令和6年4月1日"; empty string before 明治 so templates
/// can render it without special-casing.
pub fn format_wareki(date: NaiveDate) -> String {
    to_wareki(date).map(|w| w.to_string()).unwrap_or_default()
}

/// Parses a 和暦 date such as "令和6年4月1日", "令和元年5月1日", "R6.4.1",
/// "r6/4/1" or "H31.4.30". Full-width characters and spaces are tolerated.
/// The date must exist and lie inside the named era.
pub fn parse_wareki(s: &str) -> Result<NaiveDate, WarekiError> {
    // NFKC turns full-width digits/letters into ASCII and ligatures like ㍻
    // into 平成; whitespace carries no meaning in a date.
    let norm: String = s.nfkc().filter(|c| !c.is_whitespace()).collect();
    if norm.is_empty() {
        return Err(WarekiError::Empty);
    }
    let (era, rest) = split_era(&norm).ok_or(WarekiError::UnknownEra)?;

    let (year, rest) = match rest.strip_prefix('元') {
        Some(r) => (1, r),
        None => take_number(rest)?,
    };
    // `None` means the 年月日 style; otherwise the ASCII separator used.
    let (sep, rest) = match rest.chars().next() {
        Some('年') => (None, &rest['年'.len_utf8()..]),
        Some(c @ ('.' | '/' | '-')) => (Some(c), &rest[1..]),
        _ => return Err(WarekiError::Format),
    };
    let (month, rest) = take_number(rest)?;
    // Require the same separator throughout so "R6.4/1" is not guessed at.
    let rest = rest
        .strip_prefix(sep.unwrap_or('月'))
        .ok_or(WarekiError::Format)?;
    let (day, rest) = take_number(rest)?;
    let rest = match sep {
        None => rest.strip_prefix('日').unwrap_or(rest),
        Some(_) => rest,
    };
    if !rest.is_empty() {
        return Err(WarekiError::Format);
    }

    let out_of_era = WarekiError::OutOfEra {
        era,
        year,
        month,
        day,
    };
    if year == 0 {
        return Err(out_of_era);
    }
    let gregorian_year = i32::try_from(year)
        .ok()
        .and_then(|y| y.checked_add(era.start().year() - 1))
        .ok_or(WarekiError::Format)?;
    let date =
        NaiveDate::from_ymd_opt(gregorian_year, month, day).ok_or(WarekiError::InvalidDate {
            era,
            year,
            month,
            day,
        })?;
    if !era.contains(date) {
        return Err(out_of_era);
    }
    Ok(date)
}

/// Splits off a leading era name (kanji) or letter (either case).
fn split_era(s: &str) -> Option<(Era, &str)> {
    for era in Era::ALL {
        if let Some(rest) = s.strip_prefix(era.kanji()) {
            return Some((era, rest));
        }
    }
    let first = s.chars().next()?.to_ascii_uppercase();
    let era = Era::ALL.into_iter().find(|e| e.letter() == first)?;
    Some((era, &s[1..]))
}

/// Reads 1-4 leading ASCII digits; more is never a valid year, month or day.
fn take_number(s: &str) -> Result<(u32, &str), WarekiError> {
    let len = s.bytes().take_while(u8::is_ascii_digit).count();
    if len == 0 || len > 4 {
        return Err(WarekiError::Format);
    }
    let n = s[..len].parse().map_err(|_| WarekiError::Format)?;
    Ok((n, &s[len..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn era_boundaries_format_as_the_correct_era() {
        let cases = [
            (d(1989, 1, 7), "昭和64年1月7日"),
            (d(1989, 1, 8), "平成元年1月8日"),
            (d(2019, 4, 30), "平成31年4月30日"),
            (d(2019, 5, 1), "令和元年5月1日"),
            (d(1926, 12, 24), "大正15年12月24日"),
            (d(1926, 12, 25), "昭和元年12月25日"),
            (d(1912, 7, 29), "明治45年7月29日"),
            (d(1912, 7, 30), "大正元年7月30日"),
            (d(1868, 1, 25), "明治元年1月25日"),
            (d(2024, 4, 1), "令和6年4月1日"),
        ];
        for (date, expected) in cases {
            assert_eq!(format_wareki(date), expected, "{date}");
        }
    }

    #[test]
    fn dates_before_meiji_have_no_wareki() {
        assert_eq!(to_wareki(d(1868, 1, 24)), None);
        assert_eq!(format_wareki(d(1868, 1, 24)), "");
    }

    #[test]
    fn era_kanji_and_letters_match() {
        let letters: String = Era::ALL.iter().map(Era::letter).collect();
        assert_eq!(letters, "MTSHR");
        assert_eq!(Era::Reiwa.kanji(), "令和");
        assert_eq!(Era::Meiji.kanji(), "明治");
    }

    #[test]
    fn kanji_and_abbreviated_forms_parse() {
        assert_eq!(parse_wareki("令和6年4月1日"), Ok(d(2024, 4, 1)));
        assert_eq!(parse_wareki("令和元年5月1日"), Ok(d(2019, 5, 1)));
        assert_eq!(parse_wareki("R6.4.1"), Ok(d(2024, 4, 1)));
        assert_eq!(parse_wareki("r6/4/1"), Ok(d(2024, 4, 1)));
        assert_eq!(parse_wareki("H31.4.30"), Ok(d(2019, 4, 30)));
        assert_eq!(parse_wareki("S64.1.7"), Ok(d(1989, 1, 7)));
    }

    #[test]
    fn full_width_digits_and_spaces_are_accepted() {
        assert_eq!(parse_wareki("令和６年４月１日"), Ok(d(2024, 4, 1)));
        assert_eq!(parse_wareki("　Ｒ６．４．１ "), Ok(d(2024, 4, 1)));
        assert_eq!(parse_wareki("平成 31年 4月 30日"), Ok(d(2019, 4, 30)));
    }

    #[test]
    fn dates_outside_the_named_era_are_rejected() {
        for s in [
            "平成31年5月1日",
            "令和1年4月30日",
            "平成32年1月1日",
            "明治1年1月24日",
        ] {
            assert!(
                matches!(parse_wareki(s), Err(WarekiError::OutOfEra { .. })),
                "{s}"
            );
        }
        assert!(matches!(
            parse_wareki("令和0年5月1日"),
            Err(WarekiError::OutOfEra { .. })
        ));
    }

    #[test]
    fn nonexistent_days_are_rejected() {
        assert!(matches!(
            parse_wareki("令和6年2月30日"),
            Err(WarekiError::InvalidDate { .. })
        ));
        assert!(matches!(
            parse_wareki("令和5年2月29日"),
            Err(WarekiError::InvalidDate { .. })
        ));
        assert_eq!(parse_wareki("令和6年2月29日"), Ok(d(2024, 2, 29)));
    }

    #[test]
    fn malformed_input_is_rejected_with_a_japanese_message() {
        assert_eq!(parse_wareki(""), Err(WarekiError::Empty));
        assert_eq!(parse_wareki("X6.4.1"), Err(WarekiError::UnknownEra));
        assert_eq!(parse_wareki("R6.4/1"), Err(WarekiError::Format));
        assert_eq!(parse_wareki("令和6年4月1日生"), Err(WarekiError::Format));
        assert_eq!(parse_wareki("2024-04-01"), Err(WarekiError::UnknownEra));
        let msg = parse_wareki("平成31年5月1日").unwrap_err().to_string();
        assert_eq!(msg, "平成31年5月1日は平成の期間外です");
    }

    #[test]
    fn formatting_and_parsing_round_trip() {
        let mut date = d(1868, 1, 25);
        let end = d(2030, 12, 31);
        while date <= end {
            let w = to_wareki(date).unwrap();
            assert_eq!(parse_wareki(&w.to_string()), Ok(date));
            let short = format!("{}{}.{}.{}", w.era.letter(), w.year, w.month, w.day);
            assert_eq!(parse_wareki(&short), Ok(date));
            date = date.succ_opt().unwrap();
        }
    }
}
