//! Checks that a definition can work, before it is stored or published.
//!
//! Structural problems are caught by parsing (`serde`); these are the problems of meaning: duplicate keys,
//! conditions that refer to a missing or later part (which also rules out cycles), choice parts without
//! choices, invalid patterns, impossible ranges.

use crate::definition::{Condition, FormDefinition, Part, PartKind};
use std::collections::HashSet;

/// One problem in a definition, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefinitionError {
    /// Path to the problem (`parts[3].show_if`).
    pub path: String,
    /// What is wrong, in Japanese.
    pub message: String,
}

impl std::fmt::Display for DefinitionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

use crate::limits::MAX_ATTACHMENT_TOTAL;
pub use crate::limits::MAX_GROUP_ITEMS;

/// Returns every problem found; an empty list means the definition can be published.
pub fn check_definition(def: &FormDefinition) -> Vec<DefinitionError> {
    let mut errors = Vec::new();
    let mut err = |path: String, message: String| errors.push(DefinitionError { path, message });
    if def.title.trim().is_empty() {
        err("title".into(), "タイトルを入力してください。".into());
    }
    if def.department.trim().is_empty() {
        err("department".into(), "担当所属を指定してください。".into());
    }
    if let (Some(o), Some(c)) = (def.opens_at, def.closes_at)
        && o >= c
    {
        err(
            "closes_at".into(),
            "受付終了日時は受付開始日時より後にしてください。".into(),
        );
    }
    if def.capacity == Some(0) {
        err("capacity".into(), "定員は1以上にしてください。".into());
    }
    if def.attachments.max_total_bytes == 0 {
        err(
            "attachments.max_total_bytes".into(),
            "添付ファイルの上限は1バイト以上にしてください。".into(),
        );
    }
    if def.attachments.max_total_bytes > MAX_ATTACHMENT_TOTAL {
        err(
            "attachments.max_total_bytes".into(),
            format!(
                "添付ファイルの上限は{}MBまでにしてください。",
                MAX_ATTACHMENT_TOTAL / 1024 / 1024
            ),
        );
    }
    if def.parts.is_empty() {
        err("parts".into(), "部品が1つもありません。".into());
    }
    let mut all = Vec::new();
    check_parts(&def.parts, "parts", &[], &mut all, false);
    errors.extend(all);
    check_translations(def, &mut errors);
    errors
}

/// Translations must be into a supported language and name parts and choices that exist.
fn check_translations(def: &FormDefinition, errors: &mut Vec<DefinitionError>) {
    let parts = def.flattened_parts();
    for (lang, t) in &def.translations {
        let here = format!("translations.{lang}");
        if !crate::definition::LANGUAGES.iter().any(|(l, _)| l == lang) {
            errors.push(DefinitionError {
                path: here.clone(),
                message: format!("翻訳の言語「{lang}」には対応していません（en, ja-easy）。"),
            });
        }
        for (key, texts) in &t.parts {
            let Some((_, part)) = parts.iter().find(|(k, _)| k == key) else {
                errors.push(DefinitionError {
                    path: format!("{here}.parts.{key}"),
                    message: format!("翻訳が指す部品「{key}」がありません。"),
                });
                continue;
            };
            let values = part.kind.choices().unwrap_or(&[]);
            for value in texts.choices.keys() {
                if !values.iter().any(|c| &c.value == value) {
                    errors.push(DefinitionError {
                        path: format!("{here}.parts.{key}.choices"),
                        message: format!(
                            "翻訳が指す選択肢の値「{value}」が「{}」にありません。",
                            part.label
                        ),
                    });
                }
            }
        }
    }
}

fn check_parts(
    parts: &[Part],
    path: &str,
    outer_keys: &[String],
    errors: &mut Vec<DefinitionError>,
    in_group: bool,
) {
    let mut seen: Vec<String> = Vec::new();
    let mut keys = HashSet::new();
    for (i, part) in parts.iter().enumerate() {
        let here = format!("{path}[{i}]");
        let mut err = |sub: &str, message: String| {
            errors.push(DefinitionError {
                path: if sub.is_empty() {
                    here.clone()
                } else {
                    format!("{here}.{sub}")
                },
                message,
            })
        };
        if !valid_key(&part.key) {
            err(
                "key",
                format!(
                    "キー「{}」は半角英小文字で始まり、半角英小文字・数字・_ だけにしてください。",
                    part.key
                ),
            );
        }
        if !keys.insert(part.key.as_str()) {
            err("key", format!("キー「{}」が重複しています。", part.key));
        }
        if part.label.trim().is_empty() {
            err("label", "ラベルを入力してください。".into());
        }
        if let Some(cond) = &part.show_if {
            for r in cond.referenced_parts() {
                if r == part.key {
                    err(
                        "show_if",
                        format!("表示条件が自分自身（{r}）を参照しています。"),
                    );
                } else if !seen.iter().any(|k| k == r) && !outer_keys.iter().any(|k| k == r) {
                    err(
                        "show_if",
                        format!(
                            "表示条件が参照する部品「{r}」は、この部品より前にありません（削除されたか、後ろにあります）。"
                        ),
                    );
                }
            }
            check_condition_shape(cond, &mut err);
        }
        match &part.kind {
            PartKind::Text {
                min_length,
                max_length,
                pattern,
                ..
            } => {
                if let Some(p) = pattern
                    && let Err(e) = regex::Regex::new(&format!("^(?:{p})$"))
                {
                    err("pattern", format!("入力パターンが正しくありません: {e}"));
                }
                check_len(*min_length, *max_length, &mut err);
            }
            PartKind::Textarea {
                min_length,
                max_length,
            } => check_len(*min_length, *max_length, &mut err),
            PartKind::Number {
                min: Some(a),
                max: Some(b),
                ..
            } if a > b => err("min", "最小値が最大値より大きくなっています。".into()),
            PartKind::Date {
                min: Some(a),
                max: Some(b),
            } if a > b => err("min", "開始日が終了日より後になっています。".into()),
            PartKind::Radio { choices }
            | PartKind::Select { choices }
            | PartKind::Checkboxes { choices, .. } => {
                if choices.is_empty() {
                    err("choices", "選択肢がありません。".into());
                }
                let mut values = HashSet::new();
                for (j, c) in choices.iter().enumerate() {
                    if c.value.trim().is_empty() || c.label.trim().is_empty() {
                        err(
                            &format!("choices[{j}]"),
                            "選択肢の値とラベルを入力してください。".into(),
                        );
                    }
                    if !values.insert(c.value.as_str()) {
                        err(
                            &format!("choices[{j}]"),
                            format!("選択肢の値「{}」が重複しています。", c.value),
                        );
                    }
                }
                if let PartKind::Checkboxes {
                    min_selected: Some(a),
                    max_selected: Some(b),
                    ..
                } = &part.kind
                    && a > b
                {
                    err(
                        "min_selected",
                        "最少選択数が最多選択数より大きくなっています。".into(),
                    );
                }
            }
            PartKind::PostalCode {
                address_part: Some(target),
            } => {
                let ok = parts.iter().any(|p| {
                    &p.key == target && matches!(p.kind, PartKind::Address | PartKind::Text { .. })
                });
                if !ok {
                    err(
                        "address_part",
                        format!("住所の自動入力先「{target}」は同じ階層の住所部品ではありません。"),
                    );
                }
            }
            PartKind::File { max_files } if *max_files == 0 => err(
                "max_files",
                "添付できるファイル数は1以上にしてください。".into(),
            ),
            PartKind::Group {
                parts: children,
                min_items,
                max_items,
                ..
            } => {
                if in_group {
                    err(
                        "type",
                        "繰り返しグループの中に繰り返しグループは置けません。".into(),
                    );
                }
                if *max_items == 0 || *max_items > MAX_GROUP_ITEMS {
                    err(
                        "max_items",
                        format!("最大件数は1〜{MAX_GROUP_ITEMS}にしてください。"),
                    );
                }
                if min_items > max_items {
                    err(
                        "min_items",
                        "最少件数が最大件数より大きくなっています。".into(),
                    );
                }
                if children.is_empty() {
                    err("parts", "繰り返しグループに部品がありません。".into());
                }
                let mut visible: Vec<String> = outer_keys.to_vec();
                visible.extend(seen.iter().cloned());
                check_parts(children, &format!("{here}.parts"), &visible, errors, true);
            }
            _ => {}
        }
        seen.push(part.key.clone());
    }
}

fn check_len(min: Option<u32>, max: Option<u32>, err: &mut impl FnMut(&str, String)) {
    if let (Some(a), Some(b)) = (min, max)
        && a > b
    {
        err(
            "min_length",
            "最小文字数が最大文字数より大きくなっています。".into(),
        );
    }
}

fn check_condition_shape(cond: &Condition, err: &mut impl FnMut(&str, String)) {
    match cond {
        Condition::All { all: list } | Condition::Any { any: list } => {
            if list.is_empty() {
                err("show_if", "表示条件の all / any が空です。".into());
            }
            list.iter().for_each(|c| check_condition_shape(c, err));
        }
        Condition::Not { not } => check_condition_shape(not, err),
        Condition::In { values, .. } if values.is_empty() => {
            err("show_if", "表示条件の値がありません。".into())
        }
        _ => {}
    }
}

/// Whether a key is usable: `[a-z][a-z0-9_]{0,63}`.
pub fn valid_key(key: &str) -> bool {
    let mut chars = key.chars();
    matches!(chars.next(), Some('a'..='z'))
        && key.len() <= 64
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}
