//! Property tests over generated form definitions (issue 3): every definition the checker accepts round-trips
//! through JSON unchanged, renders with every visible label (escaped), and validates example answers made for it.
//! Conditional parts are generated too; a hidden part's answer is dropped.

use madoguchi_applications::render::render_fields;
use madoguchi_forms::{FormDefinition, RawInput, parse_definition, validate};
use proptest::prelude::*;
use serde_json::{Value, json};

const LABELS: &[&str] = &[
    "氏名",
    "髙橋さんの住所",
    "山﨑 〜 備考",
    "ﾌﾘｶﾞﾅ",
    "金額（円）",
    "Email <連絡先> & 備考",
    "葛󠄀飾区の施設",
    "令和8年度の希望",
];

/// What to generate for one part.
#[derive(Debug, Clone)]
struct Spec {
    kind: u8,
    label: usize,
    required: bool,
    a: u32,
    b: u32,
    choices: usize,
    conditional: bool,
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        0u8..14,
        0..LABELS.len(),
        any::<bool>(),
        0u32..20,
        0u32..20,
        1usize..5,
        any::<bool>(),
    )
        .prop_map(|(kind, label, required, a, b, choices, conditional)| Spec {
            kind,
            label,
            required,
            a,
            b,
            choices,
            conditional,
        })
}

fn choices(n: usize) -> Value {
    Value::Array(
        (0..n)
            .map(|i| json!({"value": format!("c{i}"), "label": format!("選択肢{i}（〜）")}))
            .collect(),
    )
}

fn full_width_digits(n: u32) -> String {
    n.to_string()
        .chars()
        .map(|c| char::from_u32(c as u32 - '0' as u32 + '０' as u32).unwrap())
        .collect()
}

/// The part's JSON and an example answer (None: nothing to enter).
fn part(i: usize, s: &Spec) -> (Value, Option<Value>) {
    let (lo, hi) = (s.a.min(s.b), s.a.max(s.b).max(1));
    let (mut p, answer) = match s.kind {
        0 => (
            json!({"type": "text", "min_length": lo, "max_length": hi}),
            Some(json!("髙".repeat(lo.max(1) as usize))),
        ),
        1 => (
            json!({"type": "textarea", "max_length": hi * 10}),
            Some(json!("〜改行\n含む")),
        ),
        2 => (
            json!({"type": "number", "min": lo, "max": hi * 1000, "integer": true, "unit": "円"}),
            Some(json!(full_width_digits(lo))),
        ),
        3 => (json!({"type": "email"}), Some(json!("a.b@example.jp"))),
        4 => (json!({"type": "phone"}), Some(json!("088-823-9000"))),
        5 => (
            json!({"type": "postal_code"}),
            Some(json!("７８０－８５７０")),
        ),
        6 => (
            json!({"type": "address"}),
            Some(json!("高知市丸ノ内１丁目")),
        ),
        7 => (
            json!({"type": "date", "min": "2019-04-30", "max": "2030-12-31"}),
            Some(json!("R1.5.1")),
        ),
        8 => (
            json!({"type": "radio", "choices": choices(s.choices)}),
            Some(json!("c0")),
        ),
        9 => (
            json!({"type": "checkboxes", "choices": choices(s.choices), "max_selected": s.choices}),
            Some(json!(["c0"])),
        ),
        10 => (
            json!({"type": "select", "choices": choices(s.choices)}),
            Some(json!("c0")),
        ),
        11 => (
            json!({"type": "name", "furigana": true}),
            Some(json!({"name": "山﨑 太郎", "furigana": "ﾔﾏｻﾞｷ ﾀﾛｳ"})),
        ),
        12 => (
            json!({"type": "consent", "text": "同意します。"}),
            Some(json!(true)),
        ),
        _ => (
            json!({"type": "paragraph", "text": "説明文 <b>太字ではない</b>"}),
            None,
        ),
    };
    p["key"] = json!(format!("p{i}"));
    p["label"] = json!(LABELS[s.label]);
    if answer.is_some() {
        p["required"] = json!(s.required);
    }
    (p, answer)
}

/// The definition, example answers for every part, and the indexes of parts hidden by their condition.
fn definition(specs: &[Spec]) -> (Value, serde_json::Map<String, Value>, Vec<usize>) {
    let mut parts = Vec::new();
    let mut answers = serde_json::Map::new();
    let mut hidden = Vec::new();
    let mut radio: Option<usize> = None;
    for (i, s) in specs.iter().enumerate() {
        let (mut p, answer) = part(i, s);
        // Conditional on an earlier radio (answered "c0"): shown when the condition asks for "c0", hidden when it
        // asks for "c1" — then its answer must be ignored even though one was sent.
        let mut shown = true;
        if s.conditional
            && let Some(r) = radio
        {
            let when = if s.a % 2 == 0 { "c0" } else { "c1" };
            p["show_if"] = json!({"part": format!("p{r}"), "in": [when]});
            shown = when == "c0";
        }
        if let Some(a) = answer {
            answers.insert(format!("p{i}"), a);
        }
        if !shown {
            hidden.push(i);
        }
        if s.kind == 8 && p.get("show_if").is_none() {
            radio = Some(i);
        }
        parts.push(p);
    }
    let def = json!({
        "title": "生成されたフォーム",
        "department": "shoko",
        "contact": {"name": "商工政策課", "phone": "088-823-9000", "hours": "平日 8:30〜17:15"},
        "parts": parts,
    });
    (def, answers, hidden)
}

fn escape(s: &str) -> String {
    // askama's HTML escaping uses numeric references.
    s.replace('&', "&#38;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn accepted_definitions_round_trip_render_and_validate_their_examples(
        specs in prop::collection::vec(spec(), 1..25)
    ) {
        let (json, answers, hidden) = definition(&specs);
        let def: FormDefinition = match parse_definition(&json.to_string()) {
            Ok(d) => d,
            Err(e) => {
                // Every generated definition is meant to be valid: a refusal is a bug in the checker or here.
                prop_assert!(false, "refused: {:?}", e);
                unreachable!()
            }
        };
        // JSON round trip: what is exported is imported unchanged.
        let exported = serde_json::to_string(&def).unwrap();
        let again = parse_definition(&exported).expect("an exported definition is accepted again");
        prop_assert_eq!(&again, &def);

        // Renders, with every visible label shown (escaped) and no markup taken from texts.
        let raw = RawInput::from_answers_json(&answers).unwrap();
        let html = render_fields(&def, &raw, &[]);
        for (i, s) in specs.iter().enumerate() {
            if !hidden.contains(&i) {
                prop_assert!(html.contains(&escape(LABELS[s.label])), "label of p{} missing", i);
            }
        }
        prop_assert!(!html.contains("<b>太字"));
        prop_assert!(!html.contains("<連絡先>"));

        // Validates its own example answers; hidden parts' answers are dropped.
        let stored = validate(&def, &raw);
        prop_assert!(stored.is_ok(), "example answers refused: {:?}", stored.err());
        let stored = stored.unwrap();
        for i in &hidden {
            prop_assert!(!stored.contains_key(&format!("p{i}")), "hidden p{} kept", i);
        }

        // Translated into English: accepted, shown with the English labels, and the same answers give
        // the same stored result (keys and values do not depend on the language).
        let mut translated = json.clone();
        let parts: serde_json::Map<String, Value> = def
            .parts
            .iter()
            .map(|p| {
                let choices: serde_json::Map<String, Value> = p
                    .kind
                    .choices()
                    .unwrap_or(&[])
                    .iter()
                    .map(|c| (c.value.clone(), json!(format!("choice {} <en>", c.value))))
                    .collect();
                (p.key.clone(), json!({"label": format!("EN {} <b>", p.key), "choices": choices}))
            })
            .collect();
        translated["translations"] = json!({"en": {"title": "English title", "parts": parts}});
        let tdef = parse_definition(&translated.to_string());
        prop_assert!(tdef.is_ok(), "translations refused: {:?}", tdef.err());
        let tdef = tdef.unwrap();
        let again = parse_definition(&serde_json::to_string(&tdef).unwrap()).unwrap();
        prop_assert_eq!(&again, &tdef);
        let en = tdef.localized("en").expect("an English translation");
        let html = render_fields(&en, &raw, &[]);
        for (i, _) in specs.iter().enumerate() {
            if !hidden.contains(&i) {
                prop_assert!(html.contains(&escape(&format!("EN p{i} <b>"))), "English label of p{} missing", i);
            }
        }
        prop_assert_eq!(validate(&en, &raw).unwrap(), stored);
    }
}
