//! Validation and definition checks, with the Japanese edge cases residents actually type.

use madoguchi_forms::*;
use serde_json::json;

fn def(parts: serde_json::Value) -> FormDefinition {
    serde_json::from_value(json!({"title": "テスト", "department": "d", "parts": parts})).unwrap()
}

fn input(pairs: &[(&str, &str)]) -> RawInput {
    let mut raw = RawInput::default();
    for (k, v) in pairs {
        raw.push(*k, *v);
    }
    raw
}

fn messages(r: Result<Answers, Vec<FieldError>>) -> Vec<String> {
    r.unwrap_err()
        .into_iter()
        .map(|e| format!("{}: {}", e.field, e.message))
        .collect()
}

#[test]
fn names_are_kept_exactly_and_furigana_is_normalised() {
    let d = def(
        json!([{"key": "n", "type": "name", "label": "氏名", "required": true, "furigana": true}]),
    );
    let ivs = "葛\u{E0100}城 﨑子";
    let a = validate(
        &d,
        &input(&[("n.name", ivs), ("n.furigana", "ｶﾂﾗｷﾞ さきこ")]),
    )
    .unwrap();
    assert_eq!(a["n"]["name"], ivs, "IVS and 﨑 are kept");
    assert_eq!(a["n"]["furigana"], "カツラギ\u{3000}サキコ");
    let errs = messages(validate(
        &d,
        &input(&[("n.name", "髙橋"), ("n.furigana", "Takahashi")]),
    ));
    assert_eq!(
        errs,
        ["n.furigana: 氏名のフリガナはカタカナで入力してください。"]
    );
}

#[test]
fn full_width_digits_are_accepted_in_numbers_phones_and_postal_codes() {
    let d = def(json!([
        {"key": "amount", "type": "number", "label": "金額", "integer": true, "min": 1, "max": 5000000},
        {"key": "tel", "type": "phone", "label": "電話番号"},
        {"key": "zip", "type": "postal_code", "label": "郵便番号"}
    ]));
    let a = validate(
        &d,
        &input(&[
            ("amount", "１，２３４"),
            ("tel", "０８８－８２３－１１１１"),
            ("zip", "〒７８０－０８５０"),
        ]),
    )
    .unwrap();
    assert_eq!(a["amount"], 1234);
    assert_eq!(a["tel"], "088-823-1111");
    assert_eq!(a["zip"], "780-0850");
    let errs = messages(validate(
        &d,
        &input(&[("amount", "5000001"), ("tel", "12345"), ("zip", "78008")]),
    ));
    assert_eq!(errs.len(), 3);
    assert!(errs[0].contains("1以上5000000以下"));
}

#[test]
fn dates_accept_wareki_and_respect_the_era_boundary_and_range() {
    let d = def(
        json!([{"key": "day", "type": "date", "label": "希望日", "min": "2019-04-01", "max": "2019-05-31"}]),
    );
    assert_eq!(
        validate(&d, &input(&[("day", "平成31年4月30日")])).unwrap()["day"],
        "2019-04-30"
    );
    assert_eq!(
        validate(&d, &input(&[("day", "令和元年5月1日")])).unwrap()["day"],
        "2019-05-01"
    );
    assert_eq!(
        validate(&d, &input(&[("day", "R1.5.31")])).unwrap()["day"],
        "2019-05-31"
    );
    assert!(
        validate(&d, &input(&[("day", "平成31年5月1日")])).is_err(),
        "平成 ended on 2019-04-30"
    );
    let errs = messages(validate(&d, &input(&[("day", "2019-06-01")])));
    assert_eq!(
        errs,
        ["day: 希望日は2019年4月1日から2019年5月31日までの日付を入力してください。"]
    );
    assert!(validate(&d, &input(&[("day", "2019-02-30")])).is_err());
}

#[test]
fn lengths_count_characters_not_bytes_and_ignore_variation_selectors() {
    let d = def(json!([{"key": "t", "type": "text", "label": "件名", "max_length": 3}]));
    assert!(validate(&d, &input(&[("t", "髙﨑〜")])).is_ok());
    assert!(validate(&d, &input(&[("t", "葛\u{E0100}城市")])).is_ok());
    assert!(validate(&d, &input(&[("t", "高知県庁")])).is_err());
}

#[test]
fn patterns_and_katakana_only_text() {
    let d = def(json!([
        {"key": "code", "type": "text", "label": "事業者番号", "pattern": "[0-9]{4}", "pattern_message": "4桁の数字で入力してください"},
        {"key": "kana", "type": "text", "label": "店名カナ", "katakana": true}
    ]));
    let a = validate(&d, &input(&[("code", "1234"), ("kana", "ｺｳﾁ ｼｮｳﾃﾝ")])).unwrap();
    assert_eq!(a["kana"], "コウチ\u{3000}ショウテン");
    let errs = messages(validate(&d, &input(&[("code", "12345"), ("kana", "高知")])));
    assert_eq!(
        errs,
        [
            "code: 事業者番号: 4桁の数字で入力してください。",
            "kana: 店名カナはカタカナで入力してください。"
        ]
    );
}

#[test]
fn nested_conditions_hide_parts_which_are_then_neither_validated_nor_stored() {
    let d = def(json!([
        {"key": "kind", "type": "radio", "label": "区分", "choices": [{"value": "new", "label": "新規"}, {"value": "change", "label": "変更"}]},
        {"key": "topics", "type": "checkboxes", "label": "内容", "choices": [{"value": "a", "label": "A"}, {"value": "b", "label": "B"}]},
        {"key": "reason", "type": "text", "label": "理由", "required": true,
         "show_if": {"all": [{"part": "kind", "in": ["change"]}, {"any": [{"part": "topics", "in": ["b"]}, {"not": {"part": "topics", "filled": true}}]}]}},
        {"key": "detail", "type": "text", "label": "詳細", "required": true, "show_if": {"part": "reason", "filled": true}}
    ]));
    // kind=new: reason hidden, so detail (which depends on reason) is hidden too, even though reason was typed.
    let a = validate(
        &d,
        &input(&[("kind", "new"), ("reason", "x"), ("detail", "y")]),
    )
    .unwrap();
    assert!(a.get("reason").is_none() && a.get("detail").is_none());
    // change + topic a only: the any() fails → hidden.
    assert!(validate(&d, &input(&[("kind", "change"), ("topics", "a")])).is_ok());
    // change + no topic: not(filled) holds → reason required.
    let errs = messages(validate(&d, &input(&[("kind", "change")])));
    assert_eq!(errs, ["reason: 理由を入力してください。"]);
}

#[test]
fn choices_must_be_among_the_defined_values() {
    let d = def(json!([
        {"key": "c", "type": "checkboxes", "label": "関心", "max_selected": 2, "choices": [{"value": "a", "label": "A"}, {"value": "b", "label": "B"}, {"value": "c", "label": "C"}]},
        {"key": "s", "type": "select", "label": "年代", "choices": [{"value": "20s", "label": "20代"}]}
    ]));
    let a = validate(&d, &input(&[("c", "b"), ("c", "a"), ("c", "b")])).unwrap();
    assert_eq!(a["c"], json!(["a", "b"]), "definition order, no duplicates");
    assert_eq!(
        messages(validate(&d, &input(&[("c", "a"), ("c", "b"), ("c", "c")]))),
        ["c: 関心は2つまで選択できます。"]
    );
    assert_eq!(
        messages(validate(&d, &input(&[("s", "<script>")]))),
        ["s: 年代の選択肢が正しくありません。"]
    );
}

#[test]
fn individual_or_corporation_asks_for_the_right_names() {
    let d = def(json!([{"key": "a", "type": "applicant", "label": "申請者", "required": true}]));
    let a = validate(
        &d,
        &input(&[
            ("a.kind", "corporation"),
            ("a.corporate_name", "㈱髙﨑商店"),
            ("a.representative", "代表取締役 髙﨑 太郎"),
        ]),
    )
    .unwrap();
    assert_eq!(
        a["a"],
        json!({"kind": "corporation", "corporate_name": "㈱髙﨑商店", "representative": "代表取締役 髙﨑 太郎"})
    );
    let errs = messages(validate(&d, &input(&[("a.kind", "corporation")])));
    assert_eq!(
        errs,
        [
            "a.corporate_name: 法人名を入力してください。",
            "a.representative: 代表者の職・氏名を入力してください。"
        ]
    );
    assert_eq!(
        messages(validate(&d, &input(&[]))),
        ["a.kind: 申請者（個人・法人）を選択してください。"]
    );
}

#[test]
fn photo_location_comes_from_exif_or_typed_coordinates() {
    let d = def(json!([{"key": "p", "type": "photo", "label": "写真", "required": true}]));
    let mut raw = input(&[]);
    let file = FileRef {
        id: "x".into(),
        name: "a.jpg".into(),
        size: 10,
        content_type: "image/jpeg".into(),
        gps: Some((33.5597, 133.5311)),
    };
    raw.files.insert("p".into(), vec![file.clone()]);
    let a = validate(&d, &raw).unwrap();
    assert_eq!(a["p"]["location_source"], "exif");
    let mut raw = input(&[
        ("p.lat", "３３．５６"),
        ("p.lon", "133.53"),
        ("p.source", "browser"),
    ]);
    raw.files.insert(
        "p".into(),
        vec![FileRef {
            gps: None,
            ..file.clone()
        }],
    );
    assert_eq!(
        validate(&d, &raw).unwrap()["p"]["location_source"],
        "browser"
    );
    let mut raw = input(&[("p.lat", "north")]);
    raw.files
        .insert("p".into(), vec![FileRef { gps: None, ..file }]);
    assert!(messages(validate(&d, &raw))[0].contains("緯度・経度"));
}

#[test]
fn the_json_api_shape_round_trips_through_raw_input() {
    let d: FormDefinition =
        serde_json::from_str(include_str!("../../server/demo/forms/swine-fever.json")).unwrap();
    let answers = json!({
        "applicant": {"kind": "individual", "name": "﨑山 一郎", "furigana": "サキヤマ イチロウ"},
        "farm_name": "第一農場", "farm_postal_code": "783-0001", "farm_address": "高知県南国市",
        "phone": "0888-00-0000", "preferred_date": "2026-12-01",
        "animals": [{"category": "fattening", "count": 120}, {"category": "piglet", "count": 30}],
        "consent": true
    });
    let raw = RawInput::from_answers_json(answers.as_object().unwrap()).unwrap();
    let a = validate(&d, &raw).unwrap();
    assert_eq!(a["animals"][1]["count"], 30);
    assert_eq!(a["applicant"]["furigana"], "サキヤマ\u{3000}イチロウ");
}

#[test]
fn definition_checks_refuse_what_cannot_work() {
    let bad = def(json!([
        {"key": "Bad-Key", "type": "text", "label": "x"},
        {"key": "dup", "type": "radio", "label": "選択", "choices": []},
        {"key": "dup", "type": "text", "label": "重複", "pattern": "("},
        {"key": "later", "type": "text", "label": "後", "show_if": {"part": "nowhere", "in": ["a"]}},
        {"key": "cycle", "type": "text", "label": "自己", "show_if": {"part": "cycle", "filled": true}},
        {"key": "g", "type": "group", "label": "群", "min_items": 3, "max_items": 2, "parts": [{"key": "inner", "type": "group", "label": "入れ子", "parts": [{"key": "z", "type": "text", "label": "z"}]}]}
    ]));
    let errors: Vec<String> = check_definition(&bad)
        .iter()
        .map(|e| e.to_string())
        .collect();
    let all = errors.join("\n");
    for expected in [
        "parts[0].key: キー「Bad-Key」",
        "parts[1].choices: 選択肢がありません。",
        "parts[2].key: キー「dup」が重複しています。",
        "parts[2].pattern: 入力パターンが正しくありません",
        "parts[3].show_if: 表示条件が参照する部品「nowhere」",
        "parts[4].show_if: 表示条件が自分自身（cycle）を参照しています。",
        "parts[5].min_items: 最少件数が最大件数より大きくなっています。",
        "parts[5].parts[0].type: 繰り返しグループの中に繰り返しグループは置けません。",
    ] {
        assert!(all.contains(expected), "missing {expected:?} in\n{all}");
    }
    for (slug, json) in [
        (
            "subsidy",
            include_str!("../../server/demo/forms/subsidy.json"),
        ),
        (
            "seminar",
            include_str!("../../server/demo/forms/seminar.json"),
        ),
        (
            "survey",
            include_str!("../../server/demo/forms/survey.json"),
        ),
        (
            "road",
            include_str!("../../server/demo/forms/road-damage.json"),
        ),
        (
            "swine",
            include_str!("../../server/demo/forms/swine-fever.json"),
        ),
    ] {
        assert!(parse_definition(json).is_ok(), "demo form {slug} is valid");
    }
    let e = parse_definition("{\"title\": 1}").unwrap_err();
    assert!(e[0].message.starts_with("JSONとして読めないか"));
}

#[test]
fn export_columns_cover_groups_to_their_maximum_and_keep_removed_parts() {
    let v2 = def(
        json!([{"key": "a", "type": "checkboxes", "label": "関心（新）", "choices": [{"value": "x", "label": "エックス"}]},
                        {"key": "g", "type": "group", "label": "参加者", "max_items": 2, "item_label": "人目", "parts": [{"key": "n", "type": "name", "label": "氏名"}]}]),
    );
    let v1 = def(
        json!([{"key": "a", "type": "checkboxes", "label": "関心", "choices": [{"value": "x", "label": "X"}, {"value": "y", "label": "ワイ"}]},
                        {"key": "old", "type": "text", "label": "旧項目"}]),
    );
    let cols = columns(&[(2, &v2), (1, &v1)]);
    let ids: Vec<&str> = cols.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["a", "g.count", "g[1].n", "g[2].n", "old"]);
    assert_eq!(cols[0].header, "関心（新）");
    assert_eq!(cols[0].versions, [1, 2]);
    assert_eq!(cols[2].header, "参加者（1人目）: 氏名");
    let answers = json!({"a": ["x", "y"], "g": [{"n": {"name": "髙﨑"}}], "old": "残る"});
    let cells: Vec<String> = cols.iter().map(|c| c.cell(&answers)).collect();
    assert_eq!(cells, ["エックス; ワイ", "1", "髙﨑", "", "残る"]);
}

#[test]
fn the_published_schema_is_the_one_the_code_uses() {
    let published: serde_json::Value =
        serde_json::from_str(include_str!("../../../docs/form-schema.json"))
            .expect("docs/form-schema.json is JSON");
    assert_eq!(
        published,
        json_schema(),
        "regenerate with `cargo run -- schema > docs/form-schema.json`"
    );
}

#[test]
fn diff_names_what_changed_between_versions() {
    use madoguchi_forms::{ChangeKind, diff, parse_definition};
    let v1 = parse_definition(r#"{"title":"講習会","department":"shoko","contact":{"name":"商工政策課"},
        "capacity": 50,
        "parts":[
          {"key":"name","type":"name","label":"氏名","required":true},
          {"key":"age","type":"number","label":"年齢","min":0},
          {"key":"course","type":"radio","label":"コース","choices":[{"value":"a","label":"午前"},{"value":"b","label":"午後"}]},
          {"key":"memo","type":"textarea","label":"備考"}]}"#).unwrap();
    let v2 = parse_definition(r#"{"title":"講習会（第2回）","department":"shoko","contact":{"name":"商工政策課"},
        "capacity": 80,
        "parts":[
          {"key":"name","type":"name","label":"お名前","required":true},
          {"key":"course","type":"radio","label":"コース","choices":[{"value":"a","label":"午前の部"},{"value":"c","label":"夜間"}]},
          {"key":"age","type":"number","label":"年齢","min":18},
          {"key":"email","type":"email","label":"メールアドレス","required":true}]}"#).unwrap();
    let changes = diff(&v1, &v2);
    let text: Vec<String> = changes
        .iter()
        .map(|c| {
            format!(
                "{}|{}|{}|{}",
                c.kind.label(),
                c.key,
                c.label,
                c.details.join("/")
            )
        })
        .collect();
    let all = text.join("\n");
    assert!(
        all.contains("フォームの設定|||タイトル: 「講習会」→「講習会（第2回）」/定員: 50 → 80"),
        "{all}"
    );
    assert!(
        all.contains("変更|name|お名前|項目名: 「氏名」→「お名前」"),
        "{all}"
    );
    assert!(all.contains("変更|course|コース|選択肢の表示名: 「午前」→「午前の部」/選択肢を追加: 「夜間」/選択肢を削除: 「午後」"), "{all}");
    assert!(
        all.contains("変更|age|年齢|制限・その他の設定を変更"),
        "{all}"
    );
    assert!(
        all.contains("追加|email|メールアドレス|種類: email"),
        "{all}"
    );
    assert!(
        all.contains("削除|memo|備考|以前の申請の回答とCSVの列は残ります"),
        "{all}"
    );
    assert!(all.contains("項目の並び順を変更"), "{all}");
    // No differences between a version and itself.
    assert!(diff(&v2, &v2).is_empty());
    assert!(changes.iter().any(|c| c.kind == ChangeKind::Removed));
}
