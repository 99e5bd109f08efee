//! Fuzz-style properties of the open data CSV check (issue 14): arbitrary bytes and mutated files against every
//! built-in layout never panic, every problem is explained in Japanese, the counts agree with the listed
//! problems, and a byte-order mark changes nothing. CI runs 256 cases per property; a longer run is
//! `PROPTEST_CASES=20000 cargo test --release -p madoguchi-opendata --test fuzz_validate`.

use madoguchi_opendata::layout::{Variant, builtin};
use madoguchi_opendata::validate::{MAX_LISTED, Report, validate_bytes};
use proptest::prelude::*;

fn is_japanese(message: &str) -> bool {
    message
        .chars()
        .any(|c| matches!(c, '\u{3040}'..='\u{30FF}' | '\u{4E00}'..='\u{9FFF}'))
}

fn check(report: &Report) -> Result<(), TestCaseError> {
    prop_assert!(report.problems.len() <= MAX_LISTED);
    prop_assert!(report.errors + report.warnings >= report.problems.len() as u64);
    for p in &report.problems {
        prop_assert!(is_japanese(&p.message), "not Japanese: {}", p.message);
    }
    Ok(())
}

/// Cells that break naive checks: huge and negative numbers, bad dates and times, formulas, kana and NULs.
fn cell() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("392014".to_string()),
        Just("-1".to_string()),
        Just("99999999999999999999".to_string()),
        Just("33.5597".to_string()),
        Just("1e999".to_string()),
        Just("NaN".to_string()),
        Just("25:61".to_string()),
        Just("2026-02-30".to_string()),
        Just("=HYPERLINK(\"http://evil.example\",\"x\")".to_string()),
        Just("javascript:alert(1)".to_string()),
        Just("ｺｳﾁ 髙 﨑 〜".to_string()),
        Just("\"quoted, \"\"with\"\" comma\"".to_string()),
        Just("a\u{0}b".to_string()),
        "[^,\r\n\"]{0,20}",
    ]
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(layout in 0usize..64, bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let layouts = builtin();
        let (report, _) = validate_bytes(&bytes, &layouts[layout % layouts.len()]);
        check(&report)?;
    }

    /// A real header of a layout followed by arbitrary rows: checked cell by cell, never a panic.
    #[test]
    fn real_headers_with_arbitrary_rows_never_panic(
        layout in 0usize..64,
        official in any::<bool>(),
        rows in prop::collection::vec(prop::collection::vec(cell(), 0..40), 0..12),
    ) {
        let layouts = builtin();
        let layout = &layouts[layout % layouts.len()];
        let variant = if official { Variant::Official } else { Variant::Old };
        let mut text = layout.header(variant).join(",");
        for row in &rows {
            text.push('\n');
            text.push_str(&row.join(","));
        }
        let (plain, _) = validate_bytes(text.as_bytes(), layout);
        check(&plain)?;
        // A BOM (as Excel writes) is not data: the same report.
        let mut with_bom = "\u{FEFF}".as_bytes().to_vec();
        with_bom.extend_from_slice(text.as_bytes());
        let (bom, _) = validate_bytes(&with_bom, layout);
        prop_assert_eq!(bom.problems, plain.problems);
        prop_assert_eq!(bom.rows, plain.rows);
    }
}
