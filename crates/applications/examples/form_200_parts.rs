//! Benchmark: validating and rendering a 200-part form (issue 3). Prints one JSON line with the medians.
//!
//!   cargo run --release -p madoguchi-applications --example form_200_parts [-- ROUNDS]
//!
//! The form cycles through the input part types (text with a pattern, textarea, number with limits, email,
//! phone, postal code, date, radio, checkboxes, select, name with furigana, address, consent), every fifth part
//! shown only when an earlier radio has a given value; the answers are valid, full-width digits and 和暦 dates
//! included, so validation does all its normalisation work.

use madoguchi_applications::render::render_fields;
use madoguchi_forms::{RawInput, parse_definition, validate};
use serde_json::{Value, json};
use std::time::Instant;

fn definition() -> (Value, serde_json::Map<String, Value>) {
    let mut parts = Vec::new();
    let mut answers = serde_json::Map::new();
    let mut last_radio: Option<String> = None;
    for i in 0..200 {
        let key = format!("p{i:03}");
        let label = format!("項目{i}");
        let (mut part, answer) = match i % 13 {
            0 => (
                json!({"type": "text", "max_length": 50, "pattern": "^[A-Z]{2}[0-9]+$"}),
                json!("AB12345"),
            ),
            1 => (
                json!({"type": "textarea", "max_length": 2000}),
                json!("髙橋﨑の説明〜".repeat(10)),
            ),
            2 => (
                json!({"type": "number", "min": 0, "max": 1000000, "unit": "円"}),
                json!("１２３，４５６"),
            ),
            3 => (json!({"type": "email"}), json!("yamada@example.jp")),
            4 => (json!({"type": "phone"}), json!("０８８−８２３−９０００")),
            5 => (json!({"type": "postal_code"}), json!("〒７８０−８５７０")),
            6 => (json!({"type": "date"}), json!("令和8年4月1日")),
            7 => (
                json!({"type": "radio", "choices": [{"value": "a", "label": "はい"}, {"value": "b", "label": "いいえ"}]}),
                json!("a"),
            ),
            8 => (
                json!({"type": "checkboxes", "choices": [{"value": "x", "label": "エックス"}, {"value": "y", "label": "ワイ"}, {"value": "z", "label": "ゼット"}]}),
                json!(["x", "z"]),
            ),
            9 => (
                json!({"type": "select", "choices": [{"value": "k", "label": "高知"}, {"value": "n", "label": "南国"}]}),
                json!("k"),
            ),
            10 => (
                json!({"type": "name"}),
                json!({"name": "山﨑 髙子", "furigana": "ﾔﾏｻﾞｷ ﾀｶｺ"}),
            ),
            11 => (
                json!({"type": "address"}),
                json!("高知県高知市丸ノ内１丁目２−２０"),
            ),
            _ => (
                json!({"type": "consent", "text": "同意します"}),
                json!(true),
            ),
        };
        part["key"] = json!(key);
        part["label"] = json!(label);
        part["required"] = json!(true);
        if i % 5 == 4
            && let Some(r) = &last_radio
        {
            part["show_if"] = json!({"part": r, "in": ["a"]});
        }
        if i % 13 == 7 {
            last_radio = Some(key.clone());
        }
        parts.push(part);
        answers.insert(key, answer);
    }
    let def = json!({
        "title": "200項目の申請",
        "department": "shoko",
        "contact": {"name": "商工政策課", "phone": "088-823-9000", "hours": "平日"},
        "parts": parts,
    });
    (def, answers)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn main() {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(2000);
    let (def, answers) = definition();
    let def = parse_definition(&def.to_string()).expect("the benchmark form is valid");
    let raw = RawInput::from_answers_json(&answers).unwrap();
    if let Err(errors) = validate(&def, &raw) {
        panic!(
            "benchmark answers must be valid: {:?}",
            &errors[..errors.len().min(5)]
        );
    }
    // Warm-up.
    for _ in 0..rounds / 10 {
        std::hint::black_box(validate(&def, &raw).is_ok());
        std::hint::black_box(render_fields(&def, &raw, &[]).len());
    }
    let mut v = Vec::with_capacity(rounds);
    let mut r = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let t = Instant::now();
        std::hint::black_box(validate(&def, &raw).is_ok());
        v.push(t.elapsed().as_secs_f64() * 1e6);
        let t = Instant::now();
        std::hint::black_box(render_fields(&def, &raw, &[]).len());
        r.push(t.elapsed().as_secs_f64() * 1e6);
    }
    let p99 = |mut x: Vec<f64>| {
        x.sort_by(|a, b| a.partial_cmp(b).unwrap());
        x[x.len() * 99 / 100]
    };
    println!(
        "{}",
        json!({
            "parts": def.parts.len(),
            "rounds": rounds,
            "validate_us_median": (median(v.clone()) * 10.0).round() / 10.0,
            "validate_us_p99": (p99(v) * 10.0).round() / 10.0,
            "render_us_median": (median(r.clone()) * 10.0).round() / 10.0,
            "render_us_p99": (p99(r) * 10.0).round() / 10.0,
        })
    );
}
