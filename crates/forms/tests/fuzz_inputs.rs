//! Fuzz-style property tests (issue 14, "Fuzzing"): the form definition parser and input validation are fed
//! arbitrary and mutated input and must never panic; every error they return is a Japanese message; a valid
//! definition round-trips through JSON unchanged.
//!
//! CI runs the proptest default (256 cases per property). A longer run is
//! `PROPTEST_CASES=20000 cargo test --release -p madoguchi-forms --test fuzz_inputs`; its result is recorded in
//! `bench/RESULTS.md`. cargo-fuzz needs nightly, which CI does not have, hence proptest.

use madoguchi_forms::{FormDefinition, RawInput, check_definition, parse_definition, validate};
use proptest::prelude::*;

/// The demo definitions shipped with the server: realistic shapes (groups, conditions, choices, files).
const DEMO_FORMS: &[&str] = &[
    include_str!("../../server/demo/forms/road-damage.json"),
    include_str!("../../server/demo/forms/seminar.json"),
    include_str!("../../server/demo/forms/subsidy.json"),
    include_str!("../../server/demo/forms/survey.json"),
    include_str!("../../server/demo/forms/swine-fever.json"),
];

/// Whether a message is written for a Japanese reader (contains kana or kanji), not a bare Rust/serde error.
fn is_japanese(message: &str) -> bool {
    message.chars().any(|c| {
        matches!(c, '\u{3040}'..='\u{30FF}' | '\u{4E00}'..='\u{9FFF}' | '\u{FF66}'..='\u{FF9F}')
    })
}

fn demo(i: usize) -> FormDefinition {
    parse_definition(DEMO_FORMS[i % DEMO_FORMS.len()]).expect("demo form parses")
}

/// Awkward values an attacker or a careless resident might type.
fn nasty_value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("-1".to_string()),
        Just("9999999999999999999999999".to_string()),
        Just("1e308".to_string()),
        Just("NaN".to_string()),
        Just("０１２３".to_string()),
        Just("髙橋 山﨑 〜 ﾃｽﾄ".to_string()),
        Just("=HYPERLINK(\"http://evil.example\",\"x\")".to_string()),
        Just("javascript:alert(1)".to_string()),
        Just("2026-02-30".to_string()),
        Just("令和99年13月40日".to_string()),
        Just("a\u{0}b\r\nc".to_string()),
        Just("x".repeat(5000)),
        Just("@@@".to_string()),
        ".{0,40}",
        any::<String>(),
    ]
}

/// A raw input that mixes the definition's real field names (and repeating-group members) with junk.
fn raw_input(def: &FormDefinition) -> impl Strategy<Value = RawInput> + use<> {
    let mut names: Vec<String> = def.flattened_parts().into_iter().map(|(k, _)| k).collect();
    names.push("junk".into());
    names.push("".into());
    let names_for_items = names.clone();
    let entry = (
        prop::sample::select(names),
        0usize..4,
        any::<bool>(),
        nasty_value(),
    )
        .prop_map(move |(name, index, indexed, value)| {
            // Group members are posted as `group[i].member`; try both shapes.
            let field = match (indexed, name.split_once('.')) {
                (true, Some((g, m))) => format!("{g}[{index}].{m}"),
                _ => name,
            };
            (field, value)
        });
    let item_counts = (prop::sample::select(names_for_items), 0usize..6)
        .prop_map(|(g, n)| (format!("{g}.items"), n.to_string()));
    (
        prop::collection::vec(entry, 0..40),
        prop::collection::vec(item_counts, 0..3),
    )
        .prop_map(|(entries, counts)| {
            let mut input = RawInput::default();
            for (f, v) in entries.into_iter().chain(counts) {
                input.push(f, v);
            }
            input
        })
}

proptest! {
    /// Arbitrary text never panics the parser, and a refusal is explained in Japanese.
    #[test]
    fn parse_definition_never_panics_on_arbitrary_text(text in any::<String>()) {
        if let Err(errors) = parse_definition(&text) {
            prop_assert!(!errors.is_empty());
            for e in errors {
                prop_assert!(is_japanese(&e.message), "not Japanese: {}", e.message);
            }
        }
    }

    /// A demo definition with a few bytes cut, repeated or replaced is either accepted (and then round-trips and
    /// passes the checker) or refused with Japanese messages; never a panic.
    #[test]
    fn mutated_demo_definitions_parse_or_fail_in_japanese(
        form in 0usize..5,
        cuts in prop::collection::vec((any::<prop::sample::Index>(), 0usize..8, ".{0,6}"), 1..4),
    ) {
        let mut text = DEMO_FORMS[form].to_string();
        for (at, len, insert) in cuts {
            let mut start = at.index(text.len().max(1));
            while !text.is_char_boundary(start) { start -= 1; }
            let mut end = (start + len).min(text.len());
            while !text.is_char_boundary(end) { end -= 1; }
            text.replace_range(start..end.max(start), &insert);
        }
        match parse_definition(&text) {
            Ok(def) => {
                prop_assert!(check_definition(&def).is_empty());
                let again = FormDefinition::from_json(&def.to_json_pretty()).expect("own output parses");
                prop_assert_eq!(again.to_json_pretty(), def.to_json_pretty());
            }
            Err(errors) => {
                for e in errors {
                    prop_assert!(is_japanese(&e.message), "not Japanese: {}", e.message);
                }
            }
        }
    }

    /// Validation of arbitrary input against each demo form never panics; every field error is Japanese and
    /// names a field; accepted answers validate again from their own JSON (round trip).
    #[test]
    fn validate_never_panics_and_speaks_japanese(
        (def, input) in (0usize..5).prop_flat_map(|i| { let d = demo(i); (Just(d.clone()), raw_input(&d)) })
    ) {
        match validate(&def, &input) {
            Ok(answers) => {
                // Answers re-entered as input (as the API does) must not panic; files are not carried by JSON,
                // so only no-panic. Accepted answers are within the input bounds by construction.
                let again = RawInput::from_answers_json(&answers);
                prop_assert!(again.is_ok());
                let _ = validate(&def, &again.unwrap());
            }
            Err(errors) => {
                prop_assert!(!errors.is_empty());
                for e in errors {
                    prop_assert!(is_japanese(&e.message), "not Japanese: {}", e.message);
                    prop_assert!(!e.field.is_empty() || !e.message.is_empty());
                }
            }
        }
    }
}

/// Every demo definition round-trips through its own JSON and passes the checker (the base the fuzzers mutate).
#[test]
fn demo_definitions_round_trip() {
    for (i, _) in DEMO_FORMS.iter().enumerate() {
        let def = demo(i);
        assert!(check_definition(&def).is_empty());
        let again = FormDefinition::from_json(&def.to_json_pretty()).unwrap();
        assert_eq!(again.to_json_pretty(), def.to_json_pretty());
    }
}
