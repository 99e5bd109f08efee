//! One part's edit form in the builder: which settings each part type has (as data, so the template is a
//! single loop), and reading the posted fields back into the part with an error per field, in Japanese.

use madoguchi_forms::edit::{PartPath, check_new_key, choices_text, parse_choices};
use madoguchi_forms::{Condition, FormDefinition, Part, PartKind};
use std::collections::HashMap;

/// How a setting is typed in.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// One line of text.
    Text,
    /// A number.
    Number,
    /// A date.
    Date,
    /// A check box.
    Checkbox,
    /// Several lines.
    Textarea,
    /// One of the given (value, label) options.
    Select(Vec<(String, String)>),
}

/// One setting of a part, as the edit form shows it.
#[derive(Debug, Clone)]
pub struct Setting {
    /// Field name in the form.
    pub name: &'static str,
    /// Label in Japanese.
    pub label: &'static str,
    /// Help under the label.
    pub help: &'static str,
    /// How it is typed in.
    pub input: Input,
    /// Current (or just posted) value; "on" for a ticked check box.
    pub value: String,
}

impl Setting {
    fn new(name: &'static str, label: &'static str, input: Input, value: String) -> Setting {
        Setting {
            name,
            label,
            help: "",
            input,
            value,
        }
    }

    fn help(mut self, help: &'static str) -> Setting {
        self.help = help;
        self
    }

    /// Whether it is a check box (for the template).
    pub fn is_checkbox(&self) -> bool {
        self.input == Input::Checkbox
    }

    /// Whether it is a text area.
    pub fn is_textarea(&self) -> bool {
        self.input == Input::Textarea
    }

    /// The options of a select, if it is one.
    pub fn options(&self) -> &[(String, String)] {
        match &self.input {
            Input::Select(o) => o,
            _ => &[],
        }
    }

    /// The `type` attribute of an input element.
    pub fn html_type(&self) -> &'static str {
        match self.input {
            Input::Number => "number",
            Input::Date => "date",
            _ => "text",
        }
    }
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(|x| x.to_string()).unwrap_or_default()
}

fn flag(b: bool) -> String {
    if b { "on".into() } else { String::new() }
}

/// The parts a condition of the part at `path` may refer to: the earlier parts at its level and, inside a
/// group, the parts before the group. (key, label).
pub fn condition_targets(def: &FormDefinition, path: &PartPath) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let top = path.0[0];
    for p in def.parts.iter().take(top) {
        if p.kind.has_value() && !matches!(p.kind, PartKind::Group { .. }) {
            out.push((p.key.clone(), p.label.clone()));
        }
    }
    if let (Some(&inner), Some(PartKind::Group { parts, .. })) =
        (path.0.get(1), def.parts.get(top).map(|p| &p.kind))
    {
        for p in parts.iter().take(inner) {
            if p.kind.has_value() {
                out.push((p.key.clone(), p.label.clone()));
            }
        }
    }
    out
}

/// How the simple condition editor shows a condition: mode, part, values; complex ones go to JSON.
fn condition_fields(c: &Option<Condition>) -> (String, String, String, String) {
    match c {
        None => ("none".into(), String::new(), String::new(), String::new()),
        Some(Condition::In { part, values }) => {
            ("in".into(), part.clone(), values.join(", "), String::new())
        }
        Some(Condition::Filled { part, filled }) => (
            if *filled { "filled" } else { "empty" }.into(),
            part.clone(),
            String::new(),
            String::new(),
        ),
        Some(other) => (
            "json".into(),
            String::new(),
            String::new(),
            serde_json::to_string_pretty(other).unwrap_or_default(),
        ),
    }
}

/// The settings of a part, in the order the edit form shows them.
pub fn settings(def: &FormDefinition, path: &PartPath, part: &Part) -> Vec<Setting> {
    let mut s = vec![
        Setting::new("label", "項目名", Input::Text, part.label.clone()),
        Setting::new("key", "キー（CSVの列名）", Input::Text, part.key.clone())
            .help("半角英小文字・数字・_。公開後に変えると、CSVでは別の列になります。"),
    ];
    let k = &part.kind;
    if !matches!(k, PartKind::Heading) {
        s.push(Setting::new(
            "help",
            "説明（入力欄の下に表示）",
            Input::Textarea,
            part.help.clone(),
        ));
    }
    if k.has_value() && !matches!(k, PartKind::Group { .. }) {
        s.push(Setting::new(
            "required",
            "必須にする",
            Input::Checkbox,
            flag(part.required),
        ));
    }
    match k {
        PartKind::Text {
            min_length,
            max_length,
            pattern,
            pattern_message,
            katakana,
        } => {
            s.push(Setting::new(
                "min_length",
                "最小文字数",
                Input::Number,
                opt(min_length),
            ));
            s.push(Setting::new(
                "max_length",
                "最大文字数",
                Input::Number,
                opt(max_length),
            ));
            s.push(
                Setting::new(
                    "pattern",
                    "入力パターン（正規表現）",
                    Input::Text,
                    opt(pattern),
                )
                .help("例: [0-9]{4}。空欄なら制限しません。"),
            );
            s.push(Setting::new(
                "pattern_message",
                "パターンに合わないときのメッセージ",
                Input::Text,
                opt(pattern_message),
            ));
            s.push(Setting::new(
                "katakana",
                "カタカナだけを受け付ける",
                Input::Checkbox,
                flag(*katakana),
            ));
        }
        PartKind::Textarea {
            min_length,
            max_length,
        } => {
            s.push(Setting::new(
                "min_length",
                "最小文字数",
                Input::Number,
                opt(min_length),
            ));
            s.push(Setting::new(
                "max_length",
                "最大文字数",
                Input::Number,
                opt(max_length),
            ));
        }
        PartKind::Number {
            unit,
            min,
            max,
            integer,
        } => {
            s.push(Setting::new(
                "unit",
                "単位（頭、人、円など）",
                Input::Text,
                opt(unit),
            ));
            s.push(Setting::new("min", "最小値", Input::Number, opt(min)));
            s.push(Setting::new("max", "最大値", Input::Number, opt(max)));
            s.push(Setting::new(
                "integer",
                "整数だけを受け付ける",
                Input::Checkbox,
                flag(*integer),
            ));
        }
        PartKind::Date { min, max } => {
            s.push(Setting::new("min", "この日以降", Input::Date, opt(min)));
            s.push(Setting::new("max", "この日以前", Input::Date, opt(max)));
        }
        PartKind::PostalCode { address_part } => {
            let siblings: Vec<&Part> = match path.parent() {
                None => def.parts.iter().collect(),
                Some(g) => match madoguchi_forms::edit::part_at(def, &g).map(|p| &p.kind) {
                    Some(PartKind::Group { parts, .. }) => parts.iter().collect(),
                    _ => Vec::new(),
                },
            };
            let mut options = vec![(String::new(), "（自動入力しない）".to_string())];
            options.extend(
                siblings
                    .iter()
                    .filter(|p| matches!(p.kind, PartKind::Address | PartKind::Text { .. }))
                    .map(|p| (p.key.clone(), p.label.clone())),
            );
            s.push(Setting::new(
                "address_part",
                "住所を自動入力する部品",
                Input::Select(options),
                opt(address_part),
            ));
        }
        PartKind::Radio { choices } | PartKind::Select { choices } => {
            s.push(choices_setting(choices));
        }
        PartKind::Checkboxes {
            choices,
            min_selected,
            max_selected,
        } => {
            s.push(choices_setting(choices));
            s.push(Setting::new(
                "min_selected",
                "最少選択数",
                Input::Number,
                opt(min_selected),
            ));
            s.push(Setting::new(
                "max_selected",
                "最多選択数",
                Input::Number,
                opt(max_selected),
            ));
        }
        PartKind::Name { furigana } => {
            s.push(Setting::new(
                "furigana",
                "フリガナも尋ねる",
                Input::Checkbox,
                flag(*furigana),
            ));
        }
        PartKind::Consent { text } => {
            s.push(Setting::new(
                "text",
                "同意していただく内容",
                Input::Textarea,
                text.clone(),
            ));
        }
        PartKind::Paragraph { text } => {
            s.push(Setting::new("text", "本文", Input::Textarea, text.clone()));
        }
        PartKind::File { max_files } => {
            s.push(Setting::new(
                "max_files",
                "添付できるファイル数",
                Input::Number,
                max_files.to_string(),
            ));
        }
        PartKind::Group {
            min_items,
            max_items,
            item_label,
            ..
        } => {
            s.push(Setting::new(
                "min_items",
                "最少件数",
                Input::Number,
                min_items.to_string(),
            ));
            s.push(Setting::new(
                "max_items",
                "最大件数",
                Input::Number,
                max_items.to_string(),
            ));
            s.push(
                Setting::new("item_label", "1件の呼び方", Input::Text, item_label.clone())
                    .help("例: 頭目、人目（「1頭目」のように表示）"),
            );
        }
        PartKind::Email
        | PartKind::Phone
        | PartKind::Address
        | PartKind::Applicant
        | PartKind::Photo
        | PartKind::Heading => {}
    }
    let targets = condition_targets(def, path);
    let (mode, cpart, values, json) = condition_fields(&part.show_if);
    let mut parts = vec![(String::new(), "（選択してください）".to_string())];
    parts.extend(
        targets
            .into_iter()
            .map(|(k, l)| (k.clone(), format!("{l}（{k}）"))),
    );
    s.push(Setting::new(
        "cond_mode",
        "表示条件",
        Input::Select(vec![
            ("none".into(), "いつも表示する".into()),
            ("in".into(), "選んだ部品が、次の値のどれかのとき表示".into()),
            ("filled".into(), "選んだ部品が入力されたとき表示".into()),
            ("empty".into(), "選んだ部品が未入力のとき表示".into()),
            ("json".into(), "複数の条件を組み合わせる（JSON）".into()),
        ]),
        mode,
    ));
    s.push(Setting::new(
        "cond_part",
        "条件の部品（この部品より前）",
        Input::Select(parts),
        cpart,
    ));
    s.push(
        Setting::new("cond_values", "条件の値", Input::Text, values)
            .help("選択肢の値か表示名を「,」か「、」で区切って入力します。"),
    );
    s.push(
        Setting::new("cond_json", "条件（JSON）", Input::Textarea, json).help(
            r#"例: {"all":[{"part":"kind","in":["2"]},{"not":{"part":"age","filled":true}}]}"#,
        ),
    );
    s
}

fn choices_setting(choices: &[madoguchi_forms::Choice]) -> Setting {
    Setting::new("choices", "選択肢（1行に1つ）", Input::Textarea, choices_text(choices)).help(
        "「値 | 表示名」の形で書きます。値を省略すると自動で付けます。値は集計とCSVに使うため、表示名を直すときも値はそのままにしてください。",
    )
}

/// One problem in a posted edit form: the field and what is wrong.
pub type FieldProblem = (&'static str, String);

fn number<T: std::str::FromStr>(
    f: &HashMap<String, String>,
    name: &'static str,
    label: &str,
    errors: &mut Vec<FieldProblem>,
) -> Option<T> {
    let raw =
        madoguchi_japanese::digits::to_ascii_digits(f.get(name).map(String::as_str).unwrap_or(""));
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    match raw.parse() {
        Ok(v) => Some(v),
        Err(_) => {
            errors.push((name, format!("{label}は半角数字で入力してください。")));
            None
        }
    }
}

fn text(f: &HashMap<String, String>, name: &str) -> String {
    f.get(name)
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

fn optional_text(f: &HashMap<String, String>, name: &str) -> Option<String> {
    Some(text(f, name)).filter(|s| !s.is_empty())
}

fn checked(f: &HashMap<String, String>, name: &str) -> bool {
    f.contains_key(name)
}

/// Reads a condition from the simple editor's fields (or its JSON).
fn read_condition(
    def: &FormDefinition,
    path: &PartPath,
    f: &HashMap<String, String>,
    errors: &mut Vec<FieldProblem>,
) -> Option<Condition> {
    let mode = text(f, "cond_mode");
    let target = text(f, "cond_part");
    let targets = condition_targets(def, path);
    let need_target = |errors: &mut Vec<FieldProblem>| {
        if targets.iter().any(|(k, _)| *k == target) {
            true
        } else {
            errors.push((
                "cond_part",
                "条件の部品を、この部品より前の部品から選んでください。".into(),
            ));
            false
        }
    };
    match mode.as_str() {
        "in" => {
            if !need_target(errors) {
                return None;
            }
            let target_part = find_key(def, &target);
            let choices = target_part.and_then(|p| p.kind.choices()).unwrap_or(&[]);
            let mut values = Vec::new();
            for v in text(f, "cond_values")
                .split([',', '、', '，'])
                .map(str::trim)
                .filter(|v| !v.is_empty())
            {
                let value = if choices.is_empty() {
                    Some(v.to_string())
                } else {
                    choices
                        .iter()
                        .find(|c| c.value == v || c.label == v)
                        .map(|c| c.value.clone())
                };
                match value {
                    Some(value) => values.push(value),
                    None => errors.push((
                        "cond_values",
                        format!("条件の値「{v}」は、条件の部品の選択肢にありません。"),
                    )),
                }
            }
            if values.is_empty() {
                errors.push(("cond_values", "条件の値を入力してください。".into()));
                return None;
            }
            Some(Condition::In {
                part: target,
                values,
            })
        }
        "filled" | "empty" => need_target(errors).then(|| Condition::Filled {
            part: target,
            filled: mode == "filled",
        }),
        "json" => match serde_json::from_str::<Condition>(&text(f, "cond_json")) {
            Ok(c) => Some(c),
            Err(e) => {
                errors.push(("cond_json", format!("条件（JSON）を読み取れません: {e}")));
                None
            }
        },
        _ => None,
    }
}

fn find_key<'a>(def: &'a FormDefinition, key: &str) -> Option<&'a Part> {
    def.parts.iter().find_map(|p| {
        if p.key == key {
            return Some(p);
        }
        match &p.kind {
            PartKind::Group { parts, .. } => parts.iter().find(|c| c.key == key),
            _ => None,
        }
    })
}

/// Applies a posted edit form to the part at `path`. Returns the part as changed, or every problem.
pub fn apply(
    def: &FormDefinition,
    path: &PartPath,
    f: &HashMap<String, String>,
) -> Result<Part, Vec<FieldProblem>> {
    let Some(old) = madoguchi_forms::edit::part_at(def, path) else {
        return Err(vec![("label", "部品が見つかりません。".into())]);
    };
    let mut p = old.clone();
    let mut e: Vec<FieldProblem> = Vec::new();
    p.label = text(f, "label");
    if p.label.is_empty() {
        e.push(("label", "項目名を入力してください。".into()));
    }
    let key = text(f, "key");
    if let Err(m) = check_new_key(def, path, &key) {
        e.push(("key", m));
    }
    p.key = key;
    p.help = f
        .get("help")
        .map(|s| s.trim_end().to_string())
        .unwrap_or_default();
    p.required = p.kind.has_value() && checked(f, "required");
    p.show_if = read_condition(def, path, f, &mut e);
    match &mut p.kind {
        PartKind::Text {
            min_length,
            max_length,
            pattern,
            pattern_message,
            katakana,
        } => {
            *min_length = number(f, "min_length", "最小文字数", &mut e);
            *max_length = number(f, "max_length", "最大文字数", &mut e);
            *pattern = optional_text(f, "pattern");
            if let Some(pat) = pattern
                && let Err(err) = regex::Regex::new(&format!("^(?:{pat})$"))
            {
                e.push(("pattern", format!("入力パターンが正しくありません: {err}")));
            }
            *pattern_message = optional_text(f, "pattern_message");
            *katakana = checked(f, "katakana");
        }
        PartKind::Textarea {
            min_length,
            max_length,
        } => {
            *min_length = number(f, "min_length", "最小文字数", &mut e);
            *max_length = number(f, "max_length", "最大文字数", &mut e);
        }
        PartKind::Number {
            unit,
            min,
            max,
            integer,
        } => {
            *unit = optional_text(f, "unit");
            *min = number(f, "min", "最小値", &mut e);
            *max = number(f, "max", "最大値", &mut e);
            *integer = checked(f, "integer");
        }
        PartKind::Date { min, max } => {
            for (slot, name) in [(min, "min"), (max, "max")] {
                *slot = match optional_text(f, name) {
                    None => None,
                    Some(d) => match chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d") {
                        Ok(d) => Some(d),
                        Err(_) => {
                            e.push((name, "日付は 2026-04-01 の形で入力してください。".into()));
                            None
                        }
                    },
                };
            }
        }
        PartKind::PostalCode { address_part } => *address_part = optional_text(f, "address_part"),
        PartKind::Radio { choices } | PartKind::Select { choices } => {
            match parse_choices(&text(f, "choices"), choices) {
                Ok(c) => *choices = c,
                Err(m) => e.push(("choices", m)),
            }
        }
        PartKind::Checkboxes {
            choices,
            min_selected,
            max_selected,
        } => {
            match parse_choices(&text(f, "choices"), choices) {
                Ok(c) => *choices = c,
                Err(m) => e.push(("choices", m)),
            }
            *min_selected = number(f, "min_selected", "最少選択数", &mut e);
            *max_selected = number(f, "max_selected", "最多選択数", &mut e);
        }
        PartKind::Name { furigana } => *furigana = checked(f, "furigana"),
        PartKind::Consent { text: t } | PartKind::Paragraph { text: t } => {
            *t = text(f, "text");
            if t.is_empty() {
                e.push(("text", "本文を入力してください。".into()));
            }
        }
        PartKind::File { max_files } => {
            match number::<u32>(f, "max_files", "添付できるファイル数", &mut e) {
                Some(n) if n >= 1 => *max_files = n,
                Some(_) | None => e.push((
                    "max_files",
                    "添付できるファイル数は1以上の半角数字で入力してください。".into(),
                )),
            }
        }
        PartKind::Group {
            min_items,
            max_items,
            item_label,
            ..
        } => {
            *min_items = number(f, "min_items", "最少件数", &mut e).unwrap_or(0);
            match number::<u32>(f, "max_items", "最大件数", &mut e) {
                Some(n) => *max_items = n,
                None => e.push(("max_items", "最大件数を入力してください。".into())),
            }
            *item_label = text(f, "item_label");
        }
        PartKind::Email
        | PartKind::Phone
        | PartKind::Address
        | PartKind::Applicant
        | PartKind::Photo
        | PartKind::Heading => {}
    }
    if e.is_empty() { Ok(p) } else { Err(e) }
}
