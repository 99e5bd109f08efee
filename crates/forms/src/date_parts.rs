//! A date typed as parts (元号・年・月・日), as the HTML form asks for it: the browser's own date control speaks
//! the browser's language ("mm/dd/yyyy"), while these parts are labelled by the page.
//!
//! The form posts `key.era`, `key.year`, `key.month` and `key.day`; validation reads them here and stores one
//! ISO date (`YYYY-MM-DD`) under `key`, as the JSON API sends it. The parts stay in the raw input exactly as
//! typed, so a page shown again after an error shows what the resident wrote in each box.

use crate::input::RawInput;
use chrono::{Datelike, NaiveDate};
use madoguchi_japanese::digits;
use madoguchi_japanese::wareki::{self, Era};

/// The sub-field names of a date's parts.
pub const PART_NAMES: [&str; 4] = ["era", "year", "month", "day"];

/// The choices of the 元号 select: the posted value and its name. 西暦 posts nothing (an empty value), so an
/// untouched select does not make the date count as filled in.
pub const ERA_CHOICES: [(&str, &str); 6] = [
    ("", "西暦"),
    ("R", "令和"),
    ("H", "平成"),
    ("S", "昭和"),
    ("T", "大正"),
    ("M", "明治"),
];

/// Longest part accepted, in characters (after trimming): a year has at most 4 digits.
const MAX_PART_CHARS: usize = 4;

/// What a resident typed into the parts of one date.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DateParts {
    /// The 元号 value (`""` for 西暦, or a letter of [`ERA_CHOICES`]).
    pub era: String,
    /// 年 as typed.
    pub year: String,
    /// 月 as typed.
    pub month: String,
    /// 日 as typed.
    pub day: String,
}

/// Which part a problem concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    /// 元号.
    Era,
    /// 年.
    Year,
    /// 月.
    Month,
    /// 日.
    Day,
}

impl Which {
    fn name(self) -> &'static str {
        match self {
            Which::Era => "元号",
            Which::Year => "年",
            Which::Month => "月",
            Which::Day => "日",
        }
    }
}

/// Why the parts do not make a date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartsError {
    /// A part is empty while others are filled.
    Missing(Which),
    /// A part is not a number (or too long to be one).
    NotANumber(Which),
    /// The 元号 value is not one of [`ERA_CHOICES`].
    UnknownEra,
    /// A 西暦 year that is not 4 digits.
    ShortYear,
    /// The month is not 1 to 12.
    MonthOutOfRange,
    /// No such day (2月30日), or a 和暦 date outside its era (平成32年, 令和0年): the reason in Japanese.
    NoSuchDate(String),
}

impl PartsError {
    /// The message in Japanese, naming the field (`label`).
    pub fn message(&self, label: &str) -> String {
        match self {
            PartsError::Missing(w) => format!("{label}の{}を入力してください。", w.name()),
            PartsError::NotANumber(w) => format!("{label}の{}は数字で入力してください。", w.name()),
            PartsError::UnknownEra => format!("{label}の元号を選んでください。"),
            PartsError::ShortYear => {
                format!("{label}の年は西暦4桁（例: 2026）で入力してください。")
            }
            PartsError::MonthOutOfRange => {
                format!("{label}の月は1から12までの数字で入力してください。")
            }
            PartsError::NoSuchDate(why) => format!("{label}: {why}。"),
        }
    }
}

impl DateParts {
    /// The parts posted for `field`, when any of 年・月・日 holds something (the 元号 alone is not an answer);
    /// `None` when the date was given as one value (the JSON API, a stored answer) or left empty.
    pub fn from_raw(raw: &RawInput, field: &str) -> Option<DateParts> {
        let get = |name: &str| raw.value(&format!("{field}.{name}")).to_string();
        let parts = DateParts {
            era: get("era"),
            year: get("year"),
            month: get("month"),
            day: get("day"),
        };
        let typed = [&parts.year, &parts.month, &parts.day]
            .iter()
            .any(|s| !s.trim().is_empty());
        typed.then_some(parts)
    }

    /// A date as 西暦 parts, for showing a stored or ISO value in the boxes.
    pub fn western(date: NaiveDate) -> DateParts {
        DateParts {
            era: String::new(),
            year: date.year().to_string(),
            month: date.month().to_string(),
            day: date.day().to_string(),
        }
    }

    /// The date the parts name. Full-width digits (２０２６) and spaces are accepted, 元 is year 1 of an era,
    /// and a 和暦 date must lie inside its era (平成31年4月30日 is the last day of 平成, 令和元年5月1日 the first of
    /// 令和).
    pub fn date(&self) -> Result<NaiveDate, PartsError> {
        let era = match self.era.trim() {
            "" => None,
            v => Some(
                Era::ALL
                    .into_iter()
                    .find(|e| v.len() == 1 && v.starts_with(e.letter()))
                    .ok_or(PartsError::UnknownEra)?,
            ),
        };
        let year = number(&self.year, Which::Year, era.is_some())?;
        let month = number(&self.month, Which::Month, false)?;
        let day = number(&self.day, Which::Day, false)?;
        if !(1..=12).contains(&month) {
            return Err(PartsError::MonthOutOfRange);
        }
        match era {
            None => {
                if !(1000..=9999).contains(&year) {
                    return Err(PartsError::ShortYear);
                }
                // The year is 4 digits, so it fits.
                NaiveDate::from_ymd_opt(year as i32, month, day).ok_or_else(|| {
                    PartsError::NoSuchDate(format!("{year}年{month}月{day}日は存在しない日付です"))
                })
            }
            Some(era) => wareki::parse_wareki(&format!("{}{year}年{month}月{day}日", era.kanji()))
                .map_err(|e| PartsError::NoSuchDate(e.to_string())),
        }
    }
}

/// One part as a number: digits only (full-width accepted), at most [`MAX_PART_CHARS`]; `元` is 1 in a year of
/// an era.
fn number(text: &str, which: Which, era_year: bool) -> Result<u32, PartsError> {
    let t = text.trim_matches(|c: char| c.is_whitespace());
    if t.is_empty() {
        return Err(PartsError::Missing(which));
    }
    if era_year && t == "元" {
        return Ok(1);
    }
    if t.chars().count() > MAX_PART_CHARS {
        return Err(PartsError::NotANumber(which));
    }
    let ascii = digits::to_ascii_digits(t);
    if !ascii.bytes().all(|b| b.is_ascii_digit()) {
        return Err(PartsError::NotANumber(which));
    }
    ascii.parse().map_err(|_| PartsError::NotANumber(which))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn parts(era: &str, y: &str, m: &str, d: &str) -> DateParts {
        DateParts {
            era: era.into(),
            year: y.into(),
            month: m.into(),
            day: d.into(),
        }
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn western_and_era_parts_make_dates() {
        assert_eq!(parts("", "2026", "4", "1").date(), Ok(d(2026, 4, 1)));
        assert_eq!(parts("R", "8", "04", "01").date(), Ok(d(2026, 4, 1)));
        assert_eq!(parts("S", "55", "1", "15").date(), Ok(d(1980, 1, 15)));
    }

    #[test]
    fn era_boundaries_hold() {
        assert_eq!(parts("H", "31", "4", "30").date(), Ok(d(2019, 4, 30)));
        assert_eq!(parts("R", "元", "5", "1").date(), Ok(d(2019, 5, 1)));
        assert_eq!(parts("R", "1", "5", "1").date(), Ok(d(2019, 5, 1)));
        assert_eq!(parts("S", "64", "1", "7").date(), Ok(d(1989, 1, 7)));
        assert_eq!(parts("H", "元", "1", "8").date(), Ok(d(1989, 1, 8)));
        for (era, y, m, day) in [
            ("H", "31", "5", "1"),
            ("R", "1", "4", "30"),
            ("S", "64", "1", "8"),
            ("H", "1", "1", "7"),
        ] {
            assert!(
                matches!(parts(era, y, m, day).date(), Err(PartsError::NoSuchDate(_))),
                "{era}{y}.{m}.{day}"
            );
        }
    }

    #[test]
    fn impossible_parts_are_refused_with_a_message_naming_the_field() {
        let e = parts("R", "0", "5", "1").date().unwrap_err();
        assert_eq!(
            e.message("生年月日"),
            "生年月日: 令和0年5月1日は令和の期間外です。"
        );
        let e = parts("H", "32", "1", "1").date().unwrap_err();
        assert_eq!(
            e.message("生年月日"),
            "生年月日: 平成32年1月1日は平成の期間外です。"
        );
        let e = parts("", "2026", "2", "30").date().unwrap_err();
        assert_eq!(
            e.message("開始日"),
            "開始日: 2026年2月30日は存在しない日付です。"
        );
        let e = parts("R", "8", "2", "30").date().unwrap_err();
        assert_eq!(
            e.message("開始日"),
            "開始日: 令和8年2月30日は存在しない日付です。"
        );
        assert_eq!(
            parts("", "2026", "13", "1").date(),
            Err(PartsError::MonthOutOfRange)
        );
        assert_eq!(parts("", "26", "4", "1").date(), Err(PartsError::ShortYear));
        assert_eq!(
            parts("", "2026", "", "1").date(),
            Err(PartsError::Missing(Which::Month))
        );
        assert_eq!(
            parts("", "2026", "4", "一").date(),
            Err(PartsError::NotANumber(Which::Day))
        );
        assert_eq!(
            parts("X", "8", "4", "1").date(),
            Err(PartsError::UnknownEra)
        );
        assert_eq!(
            parts("RR", "8", "4", "1").date(),
            Err(PartsError::UnknownEra)
        );
        assert_eq!(
            parts("", &"9".repeat(10_000), "4", "1").date(),
            Err(PartsError::NotANumber(Which::Year))
        );
        assert_eq!(
            PartsError::Missing(Which::Year).message("生年月日"),
            "生年月日の年を入力してください。"
        );
    }

    #[test]
    fn full_width_digits_and_spaces_are_accepted() {
        assert_eq!(parts("", "２０２６", "４", "１").date(), Ok(d(2026, 4, 1)));
        assert_eq!(parts("R", " ８ ", "　4", "1 ").date(), Ok(d(2026, 4, 1)));
    }

    #[test]
    fn only_typed_parts_count_as_an_answer() {
        let mut raw = RawInput::default();
        raw.set("d.era", "R");
        assert_eq!(DateParts::from_raw(&raw, "d"), None);
        raw.set("d.day", "1");
        assert_eq!(DateParts::from_raw(&raw, "d").unwrap().day, "1");
    }

    proptest! {
        #[test]
        fn every_date_round_trips_through_western_and_era_parts(days in 0i64..(2100 - 1868) * 366) {
            let date = d(1868, 1, 25) + chrono::Duration::days(days);
            prop_assert_eq!(DateParts::western(date).date(), Ok(date));
            let w = wareki::to_wareki(date).unwrap();
            let era = ERA_CHOICES.iter().find(|(_, name)| *name == w.era.kanji()).unwrap().0;
            let p = parts(era, &w.year.to_string(), &w.month.to_string(), &w.day.to_string());
            prop_assert_eq!(p.date(), Ok(date));
        }

        #[test]
        fn any_typed_parts_give_a_date_or_a_message(era in "[RHSTMX]?", y in "\\PC{0,6}", m in "\\PC{0,3}", day in "\\PC{0,3}") {
            match parts(&era, &y, &m, &day).date() {
                Ok(date) => prop_assert!(date.year() >= 1000),
                Err(e) => prop_assert!(e.message("日付").starts_with("日付")),
            }
        }
    }
}
