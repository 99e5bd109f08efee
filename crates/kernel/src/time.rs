//! Time shown to people: Japan Standard Time, with the 和暦 beside western dates.

use chrono::{DateTime, FixedOffset, TimeZone};

/// The JST offset (+09:00); Japan has no daylight saving time.
pub fn jst_offset() -> FixedOffset {
    FixedOffset::east_opt(9 * 3600).expect("valid offset")
}

/// Epoch milliseconds as a JST date-time.
pub fn jst(ms: i64) -> DateTime<FixedOffset> {
    jst_offset()
        .timestamp_millis_opt(ms)
        .single()
        .unwrap_or_else(|| jst_offset().timestamp_millis_opt(0).unwrap())
}

/// `2026年11月23日（令和8年） 10:05` style display.
pub fn display_datetime(ms: i64) -> String {
    let t = jst(ms);
    format!(
        "{}（{}） {}",
        t.format("%Y年%-m月%-d日"),
        madoguchi_japanese::wareki::format_wareki(t.date_naive()),
        t.format("%H:%M")
    )
}

/// A date and time as a resident reads it in `lang`: Japanese as [`display_datetime`]; English `3 Dec 2026,
/// 16:39`; やさしい日本語 with the 和暦 in hiragana, `2026ねん 12がつ 3にち（れいわ 8ねん） 16:39` (the home
/// screen's lists keep the neutral [`short_datetime`] in every language).
pub fn display_datetime_in(ms: i64, lang: crate::Lang) -> String {
    use madoguchi_japanese::wareki::Era;
    let t = jst(ms);
    match lang {
        crate::Lang::Ja => display_datetime(ms),
        crate::Lang::En => t.format("%-d %b %Y, %H:%M").to_string(),
        crate::Lang::Easy => {
            let era = madoguchi_japanese::wareki::to_wareki(t.date_naive())
                .map(|w| {
                    let name = match w.era {
                        Era::Meiji => "めいじ",
                        Era::Taisho => "たいしょう",
                        Era::Showa => "しょうわ",
                        Era::Heisei => "へいせい",
                        Era::Reiwa => "れいわ",
                    };
                    format!("（{name} {}ねん）", w.year)
                })
                .unwrap_or_default();
            format!(
                "{}{era} {}",
                t.format("%Yねん %-mがつ %-dにち"),
                t.format("%H:%M")
            )
        }
    }
}

/// `2026-11-23 10:05` for tables and CSV.
pub fn short_datetime(ms: i64) -> String {
    jst(ms).format("%Y-%m-%d %H:%M").to_string()
}

/// `令和8年12月3日 16:39` for logs and histories staff read (the 和暦 alone, as in official records).
pub fn wareki_datetime(ms: i64) -> String {
    let t = jst(ms);
    format!(
        "{} {}",
        madoguchi_japanese::wareki::format_wareki(t.date_naive()),
        t.format("%H:%M")
    )
}

/// `R8.12.3 16:39` for narrow table columns (inbox, lists).
pub fn short_wareki_datetime(ms: i64) -> String {
    let t = jst(ms);
    match madoguchi_japanese::wareki::to_wareki(t.date_naive()) {
        Some(w) => format!(
            "{}{}.{}.{} {}",
            w.era.letter(),
            w.year,
            w.month,
            w.day,
            t.format("%H:%M")
        ),
        None => short_datetime(ms),
    }
}

/// `R8-12-03_1639`: a JST time stamp for file names (ASCII, sorts within an era, no characters that file
/// systems or `Content-Disposition` treat specially).
pub fn file_stamp(ms: i64) -> String {
    let t = jst(ms);
    match madoguchi_japanese::wareki::to_wareki(t.date_naive()) {
        Some(w) => format!(
            "{}{}-{:02}-{:02}_{}",
            w.era.letter(),
            w.year,
            w.month,
            w.day,
            t.format("%H%M")
        ),
        None => t.format("%Y-%m-%d_%H%M").to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-12-03 07:39 UTC is 16:39 in Japan (issue 24: file names showed 0739).
    const AT: i64 = 1_796_283_540_000;

    #[test]
    fn times_people_read_are_jst_with_the_wareki() {
        assert_eq!(short_datetime(AT), "2026-12-03 16:39");
        assert_eq!(wareki_datetime(AT), "令和8年12月3日 16:39");
        assert_eq!(short_wareki_datetime(AT), "R8.12.3 16:39");
        assert_eq!(file_stamp(AT), "R8-12-03_1639");
        // Just before midnight UTC is the next morning in Japan.
        assert_eq!(file_stamp(1_767_225_540_000), "R8-01-01_0859");
    }
}

#[cfg(test)]
mod lang_tests {
    use super::display_datetime_in;
    use crate::Lang;

    #[test]
    fn dates_in_each_language() {
        // 2026-12-03 16:39 JST.
        let ms = chrono::DateTime::parse_from_rfc3339("2026-12-03T16:39:00+09:00")
            .unwrap()
            .timestamp_millis();
        assert_eq!(display_datetime_in(ms, Lang::En), "3 Dec 2026, 16:39");
        assert_eq!(
            display_datetime_in(ms, Lang::Easy),
            "2026ねん 12がつ 3にち（れいわ 8ねん） 16:39"
        );
        assert!(display_datetime_in(ms, Lang::Ja).starts_with("2026年12月3日"));
    }
}
