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
            if !texts.unit.is_empty() {
                match &part.kind {
                    PartKind::Number { unit: Some(_), .. } => {}
                    _ => errors.push(DefinitionError {
                        path: format!("{here}.parts.{key}.unit"),
                        message: format!("翻訳が指す「{}」には単位がありません。", part.label),
                    }),
                }
                if texts.unit.chars().count() > crate::limits::MAX_UNIT_CHARS {
                    errors.push(DefinitionError {
                        path: format!("{here}.parts.{key}.unit"),
                        message: format!(
                            "「{}」の単位の翻訳は{}文字以内にしてください。",
                            part.label,
                            crate::limits::MAX_UNIT_CHARS
                        ),
                    });
                }
            }
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

/// Something a reviewer of the form should look at before publishing, which does not stop publishing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefinitionWarning {
    /// Path to what the warning is about (`contact`, `parts`, `parts[3]`).
    pub path: String,
    /// What to check, in Japanese.
    pub message: String,
}

/// Words that name the law giving the legal basis for collecting a My Number (番号法).
const MY_NUMBER_LAW: [&str; 2] = [
    "番号法",
    "行政手続における特定の個人を識別するための番号の利用等に関する法律",
];

/// Whether a part asks for a My Number (マイナンバー, 個人番号): by its label, help or key, or by a pattern that
/// accepts exactly twelve digits.
pub fn asks_for_my_number(part: &Part) -> bool {
    use unicode_normalization::UnicodeNormalization;
    let text: String = format!("{} {} {}", part.label, part.help, part.key)
        .nfkc()
        .collect::<String>()
        .to_lowercase();
    let named = [
        "マイナンバー",
        "個人番号",
        "mynumber",
        "my_number",
        "kojin_bango",
    ]
    .iter()
    .any(|w| text.contains(w));
    let twelve_digits = match &part.kind {
        PartKind::Text {
            pattern: Some(p), ..
        } => regex::Regex::new(&format!("^(?:{p})$")).is_ok_and(|re| {
            re.is_match("123456789012")
                && !re.is_match("12345678901")
                && !re.is_match("1234567890123")
        }),
        _ => false,
    };
    named || twelve_digits
}

/// What a published form should have and this one lacks (issue 24: a form without contact details or
/// consent was reported as having no problems):
///
/// - contact details a resident can use (telephone or mail);
/// - a consent part for the handling of personal information (個人情報の取扱い);
/// - for a part that asks for a My Number, the legal basis (番号法) in the description, a part's help or an
///   explanatory text.
///
/// These are warnings: the form can still be published, since the department may give them elsewhere.
pub fn check_warnings(def: &FormDefinition) -> Vec<DefinitionWarning> {
    let mut out = Vec::new();
    if def.contact.phone.trim().is_empty() && def.contact.email.trim().is_empty() {
        out.push(DefinitionWarning {
            path: "contact".into(),
            message: "問い合わせ先の電話番号もメールアドレスもありません。住民が問い合わせできるよう、フォームの設定で入力してください。".into(),
        });
    }
    let mut parts = Vec::new();
    walk_with_paths(&def.parts, "parts", &mut parts);
    // Personal information: who the applicant is and how to reach them, their files and photos.
    let collects = parts.iter().any(|(_, p)| {
        asks_for_my_number(p)
            || matches!(
                p.kind,
                PartKind::Name { .. }
                    | PartKind::Applicant
                    | PartKind::Address
                    | PartKind::PostalCode { .. }
                    | PartKind::Email
                    | PartKind::Phone
                    | PartKind::File { .. }
                    | PartKind::Photo
            )
    });
    if collects
        && !parts
            .iter()
            .any(|(_, p)| matches!(p.kind, PartKind::Consent { .. }))
    {
        out.push(DefinitionWarning {
            path: "parts".into(),
            message: "氏名・連絡先などの個人情報を集めていますが、個人情報の取扱いへの同意の部品がありません。利用目的などを示す「同意」の部品を加えてください。".into(),
        });
    }
    let explained = std::iter::once(def.description.as_str())
        .chain(parts.iter().flat_map(|(_, p)| {
            let body = match &p.kind {
                PartKind::Paragraph { text } | PartKind::Consent { text } => text.as_str(),
                _ => "",
            };
            [p.label.as_str(), p.help.as_str(), body]
        }))
        .any(|t| MY_NUMBER_LAW.iter().any(|law| t.contains(law)));
    if !explained {
        for (path, p) in parts.iter().filter(|(_, p)| asks_for_my_number(p)) {
            out.push(DefinitionWarning {
                path: path.clone(),
                message: format!(
                    "「{}」でマイナンバー（個人番号）を集めていますが、利用の根拠（番号法の条項）がフォームの説明や案内文に書かれていません。",
                    p.label
                ),
            });
        }
    }
    out
}

/// Every part with its path (`parts[1].parts[0]` inside a group).
fn walk_with_paths<'a>(parts: &'a [Part], prefix: &str, out: &mut Vec<(String, &'a Part)>) {
    for (i, p) in parts.iter().enumerate() {
        let path = format!("{prefix}[{i}]");
        out.push((path.clone(), p));
        if let PartKind::Group { parts: inner, .. } = &p.kind {
            walk_with_paths(inner, &format!("{path}.parts"), out);
        }
    }
}

#[cfg(test)]
mod warning_tests {
    use super::*;

    fn def(extra: serde_json::Value) -> FormDefinition {
        let mut v = serde_json::json!({
            "title": "犬の登録", "department": "kenko",
            "parts": [{"key": "name", "label": "氏名", "type": "name"}]
        });
        for (k, x) in extra.as_object().unwrap() {
            v[k] = x.clone();
        }
        FormDefinition::from_json(&v.to_string()).unwrap()
    }

    fn paths(d: &FormDefinition) -> Vec<String> {
        check_warnings(d).into_iter().map(|w| w.path).collect()
    }

    #[test]
    fn a_form_without_contact_or_consent_is_warned_about_both() {
        assert_eq!(paths(&def(serde_json::json!({}))), ["contact", "parts"]);
    }

    #[test]
    fn contact_by_phone_or_mail_and_a_consent_part_leave_nothing_to_warn() {
        let d = def(serde_json::json!({
            "contact": {"name": "健康課", "phone": "088-823-9999"},
            "parts": [
                {"key": "name", "label": "氏名", "type": "name"},
                {"key": "agree", "label": "同意", "type": "consent", "text": "申請の審査にのみ使います。"}
            ]
        }));
        assert!(check_warnings(&d).is_empty(), "{:?}", check_warnings(&d));
        let d = def(serde_json::json!({"contact": {"hours": "平日"}}));
        assert!(
            paths(&d).contains(&"contact".to_string()),
            "hours alone reach nobody"
        );
    }

    #[test]
    fn a_my_number_part_needs_the_legal_basis() {
        let base = serde_json::json!({
            "contact": {"email": "kenko@example.jp"},
            "parts": [
                {"key": "agree", "label": "同意", "type": "consent", "text": "審査に使います。"},
                {"key": "num", "label": "ﾏｲﾅﾝﾊﾞｰ", "type": "text"},
                {"key": "code", "label": "番号", "type": "text", "pattern": "[0-9]{12}"},
                {"key": "tel", "label": "電話", "type": "text", "pattern": "[0-9]{10,11}"}
            ]
        });
        assert_eq!(paths(&def(base.clone())), ["parts[1]", "parts[2]"]);
        let mut with_law = base.clone();
        with_law["description"] = "番号法第9条第1項に基づき個人番号を利用します。".into();
        assert!(check_warnings(&def(with_law)).is_empty());
        let mut in_text = base;
        in_text["parts"][0]["text"] =
            "行政手続における特定の個人を識別するための番号の利用等に関する法律に基づきます。"
                .into();
        assert!(check_warnings(&def(in_text)).is_empty());
    }

    #[test]
    fn a_form_collecting_no_personal_information_needs_no_consent() {
        let d = def(serde_json::json!({
            "contact": {"phone": "088-823-9999"},
            "parts": [{"key": "age", "label": "年代", "type": "select",
                       "choices": [{"value": "20", "label": "20代"}]}]
        }));
        assert!(check_warnings(&d).is_empty());
    }
}
