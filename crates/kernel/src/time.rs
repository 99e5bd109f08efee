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

/// `2026-11-23 10:05` for tables and CSV.
pub fn short_datetime(ms: i64) -> String {
    jst(ms).format("%Y-%m-%d %H:%M").to_string()
}
