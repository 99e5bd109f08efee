//! Editing a definition part by part, as the form builder does: new parts of every kind, insert, move,
//! reorder, remove, and the text form of choices. Pure; the builder's pages call these.
//!
//! A part is addressed by its [`PartPath`]: its index among the top-level parts, then, inside a repeating
//! group, its index among the group's parts (`3` or `3.1`).

use crate::check::valid_key;
use crate::definition::{Choice, FormDefinition, Part, PartKind};
use std::collections::HashSet;

/// Every part type of the schema, in palette order, with its name in Japanese.
pub const PALETTE: &[(&str, &str)] = &[
    ("heading", "見出し（区切り）"),
    ("paragraph", "説明文"),
    ("text", "1行テキスト"),
    ("textarea", "複数行テキスト"),
    ("number", "数値"),
    ("email", "メールアドレス"),
    ("phone", "電話番号"),
    ("postal_code", "郵便番号（住所自動入力）"),
    ("address", "住所"),
    ("date", "日付（和暦併記）"),
    ("radio", "ラジオボタン（1つ選択）"),
    ("checkboxes", "チェックボックス（複数選択）"),
    ("select", "プルダウン（1つ選択）"),
    ("name", "氏名・フリガナ"),
    ("applicant", "個人・法人の別"),
    ("consent", "個人情報の取扱いへの同意"),
    ("file", "添付ファイル"),
    ("photo", "写真と位置情報"),
    ("group", "繰り返しグループ"),
];

/// The Japanese name of a part type (`radio` → ラジオボタン（1つ選択）).
pub fn type_label(type_name: &str) -> &'static str {
    PALETTE
        .iter()
        .find(|(t, _)| *t == type_name)
        .map(|(_, l)| *l)
        .unwrap_or("部品")
}

/// Where a part is: indexes from the top level down into groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartPath(pub Vec<usize>);

impl PartPath {
    /// Parses `3` or `3.1`.
    pub fn parse(s: &str) -> Option<PartPath> {
        let v: Option<Vec<usize>> = s.split('.').map(|n| n.parse().ok()).collect();
        v.filter(|v| !v.is_empty() && v.len() <= 2).map(PartPath)
    }

    /// The parent group's path, if the part is inside a group.
    pub fn parent(&self) -> Option<PartPath> {
        (self.0.len() > 1).then(|| PartPath(self.0[..self.0.len() - 1].to_vec()))
    }

    /// The path of the `i`th child of this part.
    pub fn child(&self, i: usize) -> PartPath {
        let mut v = self.0.clone();
        v.push(i);
        PartPath(v)
    }
}

impl std::fmt::Display for PartPath {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s: Vec<String> = self.0.iter().map(|i| i.to_string()).collect();
        f.write_str(&s.join("."))
    }
}

/// The list a part lives in (top level, or a group's parts), and its index there.
fn siblings_mut<'a>(
    def: &'a mut FormDefinition,
    path: &PartPath,
) -> Option<(&'a mut Vec<Part>, usize)> {
    let (last, parents) = path.0.split_last()?;
    let mut list = &mut def.parts;
    for &i in parents {
        match &mut list.get_mut(i)?.kind {
            PartKind::Group { parts, .. } => list = parts,
            _ => return None,
        }
    }
    (*last < list.len()).then_some((list, *last))
}

/// The part at `path`.
pub fn part_at<'a>(def: &'a FormDefinition, path: &PartPath) -> Option<&'a Part> {
    let mut list = &def.parts;
    let (last, parents) = path.0.split_last()?;
    for &i in parents {
        match &list.get(i)?.kind {
            PartKind::Group { parts, .. } => list = parts,
            _ => return None,
        }
    }
    list.get(*last)
}

/// The part at `path`, to change it.
pub fn part_at_mut<'a>(def: &'a mut FormDefinition, path: &PartPath) -> Option<&'a mut Part> {
    let (list, i) = siblings_mut(def, path)?;
    list.get_mut(i)
}

/// Moves a part one place up or down among its siblings; false when it cannot move.
pub fn move_part(def: &mut FormDefinition, path: &PartPath, up: bool) -> bool {
    let Some((list, i)) = siblings_mut(def, path) else {
        return false;
    };
    let j = if up { i.checked_sub(1) } else { Some(i + 1) };
    match j {
        Some(j) if j < list.len() => {
            list.swap(i, j);
            true
        }
        _ => false,
    }
}

/// Puts the parts of the top level (`parent` None) or of a group in the given order, which must name each
/// current index exactly once.
pub fn reorder(
    def: &mut FormDefinition,
    parent: Option<&PartPath>,
    order: &[usize],
) -> Result<(), String> {
    let list = match parent {
        None => &mut def.parts,
        Some(p) => match part_at_mut(def, p).map(|p| &mut p.kind) {
            Some(PartKind::Group { parts, .. }) => parts,
            _ => return Err("並べ替える繰り返しグループが見つかりません。".into()),
        },
    };
    let unique: HashSet<usize> = order.iter().copied().collect();
    if order.len() != list.len()
        || unique.len() != list.len()
        || order.iter().any(|&i| i >= list.len())
    {
        return Err(
            "並び順が現在の部品と合いません。画面を読み込み直してから、もう一度お試しください。"
                .into(),
        );
    }
    let old = std::mem::take(list);
    let mut slots: Vec<Option<Part>> = old.into_iter().map(Some).collect();
    *list = order
        .iter()
        .map(|&i| slots[i].take().expect("indexes are unique"))
        .collect();
    Ok(())
}

/// Removes the part at `path` and returns it.
pub fn remove_part(def: &mut FormDefinition, path: &PartPath) -> Option<Part> {
    let (list, i) = siblings_mut(def, path)?;
    Some(list.remove(i))
}

/// Appends a part at the top level, or to the group at `group`. Returns the new part's path.
pub fn append_part(
    def: &mut FormDefinition,
    group: Option<&PartPath>,
    part: Part,
) -> Result<PartPath, String> {
    match group {
        None => {
            def.parts.push(part);
            Ok(PartPath(vec![def.parts.len() - 1]))
        }
        Some(g) => {
            if matches!(part.kind, PartKind::Group { .. }) {
                return Err("繰り返しグループの中に繰り返しグループは置けません。".into());
            }
            match part_at_mut(def, g).map(|p| &mut p.kind) {
                Some(PartKind::Group { parts, .. }) => {
                    parts.push(part);
                    Ok(g.child(parts.len() - 1))
                }
                _ => Err("追加先の繰り返しグループが見つかりません。".into()),
            }
        }
    }
}

/// Every key used anywhere in the definition (top level and inside groups).
pub fn all_keys(def: &FormDefinition) -> HashSet<String> {
    fn walk(parts: &[Part], out: &mut HashSet<String>) {
        for p in parts {
            out.insert(p.key.clone());
            if let PartKind::Group { parts, .. } = &p.kind {
                walk(parts, out);
            }
        }
    }
    let mut out = HashSet::new();
    walk(&def.parts, &mut out);
    out
}

/// A key not used yet: `{type}_{n}` with the smallest free n.
pub fn free_key(taken: &HashSet<String>, type_name: &str) -> String {
    (1..)
        .map(|n| format!("{type_name}_{n}"))
        .find(|k| !taken.contains(k))
        .expect("some number is free")
}

/// A new part of the given type, with settings that already pass the checks (choices, texts, a first
/// part inside a group) and a key not used in `def`. None for an unknown type.
pub fn new_part(def: &FormDefinition, type_name: &str) -> Option<Part> {
    let mut taken = all_keys(def);
    let key = free_key(&taken, type_name);
    taken.insert(key.clone());
    let two_choices = || vec![Choice::new("1", "選択肢1"), Choice::new("2", "選択肢2")];
    let kind = match type_name {
        "text" => PartKind::Text {
            min_length: None,
            max_length: None,
            pattern: None,
            pattern_message: None,
            katakana: false,
        },
        "textarea" => PartKind::Textarea {
            min_length: None,
            max_length: None,
        },
        "number" => PartKind::Number {
            unit: None,
            min: None,
            max: None,
            integer: false,
        },
        "email" => PartKind::Email,
        "phone" => PartKind::Phone,
        "postal_code" => PartKind::PostalCode { address_part: None },
        "address" => PartKind::Address,
        "date" => PartKind::Date {
            min: None,
            max: None,
        },
        "radio" => PartKind::Radio {
            choices: two_choices(),
        },
        "checkboxes" => PartKind::Checkboxes {
            choices: two_choices(),
            min_selected: None,
            max_selected: None,
        },
        "select" => PartKind::Select {
            choices: two_choices(),
        },
        "name" => PartKind::Name { furigana: true },
        "applicant" => PartKind::Applicant,
        "consent" => PartKind::Consent {
            text: "ご記入いただいた個人情報は、この手続の事務にのみ使用します。".into(),
        },
        "file" => PartKind::File { max_files: 5 },
        "photo" => PartKind::Photo,
        "heading" => PartKind::Heading,
        "paragraph" => PartKind::Paragraph {
            text: "説明文を入力してください。".into(),
        },
        "group" => PartKind::Group {
            parts: vec![Part {
                key: free_key(&taken, "text"),
                label: "項目".into(),
                help: String::new(),
                required: false,
                show_if: None,
                kind: PartKind::Text {
                    min_length: None,
                    max_length: None,
                    pattern: None,
                    pattern_message: None,
                    katakana: false,
                },
            }],
            min_items: 1,
            max_items: 10,
            item_label: "件目".into(),
        },
        _ => return None,
    };
    Some(Part {
        key,
        label: type_label(type_name).to_string(),
        help: String::new(),
        required: false,
        show_if: None,
        kind,
    })
}

/// Choices as the builder's text area shows them: one per line, `value | label`.
pub fn choices_text(choices: &[Choice]) -> String {
    choices
        .iter()
        .map(|c| format!("{} | {}", c.value, c.label))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Reads choices typed one per line, as `value | label` or just `label`. A line with a label only keeps
/// the value of an existing choice with the same label, else gets the next free number as its value, so
/// stored answers keep their meaning when labels are edited.
pub fn parse_choices(text: &str, old: &[Choice]) -> Result<Vec<Choice>, String> {
    let mut out: Vec<Choice> = Vec::new();
    let mut pending: Vec<(usize, String)> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        match line.split_once(['|', '｜']) {
            Some((v, l)) => {
                let (v, l) = (v.trim(), l.trim());
                if v.is_empty() || l.is_empty() {
                    return Err(format!(
                        "{}行目: 「値 | 表示名」の値と表示名の両方を入力してください。",
                        n + 1
                    ));
                }
                out.push(Choice::new(v, l));
            }
            None => {
                pending.push((out.len(), line.to_string()));
                out.push(Choice::new("", line));
            }
        }
    }
    for (i, label) in pending {
        let value = old
            .iter()
            .find(|c| c.label == label && !out.iter().any(|o| o.value == c.value))
            .map(|c| c.value.clone())
            .unwrap_or_else(|| {
                (1..)
                    .map(|k: u32| k.to_string())
                    .find(|v| {
                        !out.iter().any(|o| &o.value == v) && !old.iter().any(|o| &o.value == v)
                    })
                    .expect("some number is free")
            });
        out[i].value = value;
    }
    let mut seen = HashSet::new();
    for c in &out {
        if !seen.insert(c.value.as_str()) {
            return Err(format!("選択肢の値「{}」が重複しています。", c.value));
        }
    }
    if out.is_empty() {
        return Err("選択肢を1つ以上入力してください。".into());
    }
    Ok(out)
}

/// Checks a key typed in the builder against the format and the other keys.
pub fn check_new_key(def: &FormDefinition, path: &PartPath, key: &str) -> Result<(), String> {
    if !valid_key(key) {
        return Err(format!(
            "キー「{key}」は半角英小文字で始まり、半角英小文字・数字・_ だけにしてください。"
        ));
    }
    let current = part_at(def, path).map(|p| p.key.as_str());
    if current != Some(key) && all_keys(def).contains(key) {
        return Err(format!("キー「{key}」はほかの部品が使っています。"));
    }
    Ok(())
}

/// The part keys of the definition as translations name them (`group.child` inside groups), with the
/// choice values of each part.
fn translation_keys(def: &FormDefinition) -> Vec<(String, Vec<String>, bool)> {
    def.flattened_parts()
        .into_iter()
        .map(|(key, p)| {
            let values = p
                .kind
                .choices()
                .map(|c| c.iter().map(|c| c.value.clone()).collect())
                .unwrap_or_default();
            let has_unit = matches!(p.kind, PartKind::Number { unit: Some(_), .. });
            (key, values, has_unit)
        })
        .collect()
}

/// Drops translated texts of parts, choices and units that no longer exist, and empty entries, after an edit.
pub fn prune_translations(def: &mut FormDefinition) {
    let keys = translation_keys(def);
    for t in def.translations.values_mut() {
        t.parts.retain(|key, texts| {
            let Some((_, values, has_unit)) = keys.iter().find(|(k, _, _)| k == key) else {
                return false;
            };
            texts
                .choices
                .retain(|v, l| values.contains(v) && !l.trim().is_empty());
            if !has_unit {
                texts.unit.clear();
            }
            *texts != crate::definition::PartTexts::default()
        });
    }
    def.translations
        .retain(|_, t| *t != crate::definition::Translation::default());
}

/// Moves translated texts from a part's old key to its new one (`group.child` form), children included.
pub fn rename_in_translations(def: &mut FormDefinition, old: &str, new: &str) {
    for t in def.translations.values_mut() {
        let moved: Vec<String> = t
            .parts
            .keys()
            .filter(|k| *k == old || k.starts_with(&format!("{old}.")))
            .cloned()
            .collect();
        for k in moved {
            if let Some(v) = t.parts.remove(&k) {
                t.parts.insert(format!("{new}{}", &k[old.len()..]), v);
            }
        }
    }
}

/// The key of the part at `path` as translations name it (`group.child` inside groups).
pub fn translation_key(def: &FormDefinition, path: &PartPath) -> Option<String> {
    let mut names = Vec::new();
    for n in 1..=path.0.len() {
        names.push(part_at(def, &PartPath(path.0[..n].to_vec()))?.key.clone());
    }
    Some(names.join("."))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check_definition;

    fn empty() -> FormDefinition {
        FormDefinition::from_json(r#"{"title":"t","department":"d","parts":[]}"#).unwrap()
    }

    #[test]
    fn every_palette_type_makes_a_part_that_passes_the_checks() {
        let mut def = empty();
        for (t, _) in PALETTE {
            let part = new_part(&def, t).expect(t);
            assert_eq!(part.kind.type_name(), *t);
            append_part(&mut def, None, part).unwrap();
        }
        assert_eq!(def.parts.len(), PALETTE.len());
        assert_eq!(check_definition(&def), vec![], "{}", def.to_json_pretty());
        assert!(new_part(&def, "script").is_none());
    }

    #[test]
    fn keys_stay_unique_across_groups() {
        let mut def = empty();
        let group = new_part(&def, "group").unwrap();
        let g = append_part(&mut def, None, group).unwrap();
        let t = new_part(&def, "text").unwrap();
        assert_eq!(t.key, "text_2", "text_1 is inside the group");
        append_part(&mut def, Some(&g), t).unwrap();
        assert_eq!(part_at(&def, &PartPath(vec![0, 1])).unwrap().key, "text_2");
        let nested = new_part(&def, "group").unwrap();
        assert!(append_part(&mut def, Some(&g), nested).is_err());
        assert!(check_new_key(&def, &PartPath(vec![0, 1]), "text_1").is_err());
        assert!(check_new_key(&def, &PartPath(vec![0, 1]), "text_2").is_ok());
        assert!(check_new_key(&def, &PartPath(vec![0, 1]), "Text").is_err());
    }

    #[test]
    fn moves_and_reorders_within_siblings_only() {
        let mut def = empty();
        for t in ["heading", "text", "email"] {
            let p = new_part(&def, t).unwrap();
            append_part(&mut def, None, p).unwrap();
        }
        assert!(!move_part(&mut def, &PartPath(vec![0]), true));
        assert!(move_part(&mut def, &PartPath(vec![0]), false));
        assert_eq!(def.parts[1].key, "heading_1");
        assert!(!move_part(&mut def, &PartPath(vec![2]), false));
        reorder(&mut def, None, &[2, 0, 1]).unwrap();
        let keys: Vec<&str> = def.parts.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(keys, ["email_1", "text_1", "heading_1"]);
        assert!(reorder(&mut def, None, &[0, 0, 1]).is_err());
        assert!(reorder(&mut def, None, &[0, 1]).is_err());
        assert!(reorder(&mut def, Some(&PartPath(vec![0])), &[0]).is_err());
        assert_eq!(
            remove_part(&mut def, &PartPath(vec![1])).unwrap().key,
            "text_1"
        );
        assert!(remove_part(&mut def, &PartPath(vec![5])).is_none());
    }

    #[test]
    fn choices_keep_their_values_when_labels_are_edited() {
        let old = vec![Choice::new("1", "犬"), Choice::new("2", "猫")];
        assert_eq!(choices_text(&old), "1 | 犬\n2 | 猫");
        // Renaming through the `value | label` form keeps the value.
        let c = parse_choices("1 | いぬ\n2 | 猫", &old).unwrap();
        assert_eq!(c[0], Choice::new("1", "いぬ"));
        // Labels alone: known labels keep their value, new ones get a fresh number.
        let c = parse_choices("猫\n犬\nうさぎ", &old).unwrap();
        assert_eq!(
            c,
            vec![
                Choice::new("2", "猫"),
                Choice::new("1", "犬"),
                Choice::new("3", "うさぎ")
            ]
        );
        // Full-width bar accepted; duplicates and blanks refused.
        assert_eq!(
            parse_choices("a｜あ", &[]).unwrap(),
            vec![Choice::new("a", "あ")]
        );
        assert!(parse_choices("a | x\na | y", &[]).is_err());
        assert!(parse_choices(" | x", &[]).is_err());
        assert!(parse_choices("\n\n", &[]).is_err());
    }

    #[test]
    fn translations_follow_renames_and_removals() {
        let mut def = FormDefinition::from_json(
            r#"{"title":"t","department":"d","parts":[
              {"key":"pet","label":"ペット","type":"radio","choices":[{"value":"1","label":"犬"},{"value":"2","label":"猫"}]},
              {"key":"g","label":"同伴者","type":"group","parts":[{"key":"n","label":"氏名","type":"text"}]}],
             "translations":{"en":{"title":"T","parts":{
              "pet":{"label":"Pet","choices":{"1":"Dog","2":"Cat"}},
              "g.n":{"label":"Name"}}}}}"#,
        )
        .unwrap();
        assert_eq!(check_definition(&def), vec![]);
        let en = def.localized("en").unwrap();
        assert_eq!(en.title, "T");
        assert_eq!(en.parts[0].kind.choices().unwrap()[1].label, "Cat");
        assert!(def.localized("fr").is_none());
        rename_in_translations(&mut def, "g", "guests");
        part_at_mut(&mut def, &PartPath(vec![1])).unwrap().key = "guests".into();
        assert_eq!(
            translation_key(&def, &PartPath(vec![1, 0])).unwrap(),
            "guests.n"
        );
        assert_eq!(
            def.localized("en").unwrap().parts[1].kind.type_name(),
            "group"
        );
        if let PartKind::Radio { choices } =
            &mut part_at_mut(&mut def, &PartPath(vec![0])).unwrap().kind
        {
            choices.pop();
        }
        assert!(
            !check_definition(&def).is_empty(),
            "a translated choice that is gone"
        );
        prune_translations(&mut def);
        assert_eq!(check_definition(&def), vec![]);
        remove_part(&mut def, &PartPath(vec![1]));
        remove_part(&mut def, &PartPath(vec![0]));
        prune_translations(&mut def);
        assert_eq!(def.translations["en"].parts.len(), 0);
        assert_eq!(def.translations["en"].title, "T");
    }

    #[test]
    fn paths_parse_and_print() {
        assert_eq!(PartPath::parse("3.1"), Some(PartPath(vec![3, 1])));
        assert_eq!(PartPath::parse("3").unwrap().to_string(), "3");
        assert_eq!(
            PartPath::parse("3.1").unwrap().parent(),
            PartPath::parse("3")
        );
        assert!(PartPath::parse("").is_none());
        assert!(PartPath::parse("1.2.3").is_none());
        assert!(PartPath::parse("x").is_none());
    }
}
