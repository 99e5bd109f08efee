//! View models for form pages: what the templates need, computed once in Rust so templates stay simple.

use crate::languages::{Words, words};
use madoguchi_forms::Lang;
use madoguchi_forms::date_parts::{DateParts, ERA_CHOICES};
use madoguchi_forms::{
    Condition, FieldError, FileRef, FormDefinition, Part, PartKind, RawInput, field_id,
};
use serde_json::Value;
use std::collections::HashMap;

/// One choice as shown.
pub struct ChoiceView {
    /// Value.
    pub value: String,
    /// Label.
    pub label: String,
    /// Selected now.
    pub checked: bool,
    /// HTML id.
    pub id: String,
}

/// One part as shown on the input page.
pub struct PartView {
    /// Part type name.
    pub kind: &'static str,
    /// The fixed words around the part, in the page's language.
    pub words: &'static Words,
    /// Field name.
    pub field: String,
    /// HTML id.
    pub id: String,
    /// Label.
    pub label: String,
    /// Help text.
    pub help: String,
    /// Required.
    pub required: bool,
    /// Current value (first).
    pub value: String,
    /// Sub-field values (`name`, `furigana`, `kind`, `lat` …).
    pub sub: HashMap<String, String>,
    /// Choices.
    pub choices: Vec<ChoiceView>,
    /// Error for the main field.
    pub error: String,
    /// Errors for sub-fields.
    pub sub_errors: HashMap<String, String>,
    /// Number unit.
    pub unit: String,
    /// Number min/max/step attributes.
    pub min: String,
    /// Max attribute.
    pub max: String,
    /// Step attribute.
    pub step: String,
    /// maxlength attribute.
    pub maxlength: String,
    /// Files already attached.
    pub files: Vec<FileRef>,
    /// Most files.
    pub max_files: u32,
    /// Paragraph or consent text.
    pub text: String,
    /// Condition as JSON for the enhancing script.
    pub show_if_json: String,
    /// Condition in words, for pages without JavaScript.
    pub show_if_text: String,
    /// Group items.
    pub items: Vec<ItemView>,
    /// Group: may add an item.
    pub can_add: bool,
    /// Group: may remove an item.
    pub can_remove: bool,
    /// Postal code: id of the address input to fill.
    pub address_target: String,
    /// Label for a group item ("1頭目").
    pub item_unit: String,
    /// Name: ask for furigana.
    pub furigana: bool,
    /// A message beside this field (the address just filled from a postal code); the field gets the focus.
    pub note: String,
}

/// A message to place beside one field, which then gets the focus: what a postal code lookup filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldNote {
    /// The field name.
    pub field: String,
    /// The message.
    pub message: String,
}

#[derive(askama::Template)]
#[template(path = "field.html")]
struct FieldTemplate<'a> {
    p: &'a PartView,
}

/// Renders one part to HTML.
pub fn render_field(p: &PartView) -> String {
    askama::Template::render(&FieldTemplate { p }).expect("field template renders")
}

/// Renders every part of a form to HTML.
pub fn render_fields(def: &FormDefinition, raw: &RawInput, errors: &[FieldError]) -> String {
    render_fields_in(def, raw, errors, Lang::Ja, None)
}

/// Renders every part of a form (as shown in `lang`) to HTML, the fixed words in `lang`, with an optional
/// message beside one field, which then gets the focus.
pub fn render_fields_in(
    def: &FormDefinition,
    raw: &RawInput,
    errors: &[FieldError],
    lang: Lang,
    note: Option<&FieldNote>,
) -> String {
    views(&def.parts, "", raw, &error_map(errors), words(lang), note)
        .iter()
        .map(render_field)
        .collect()
}

fn error_map(errors: &[FieldError]) -> HashMap<&str, &str> {
    errors
        .iter()
        .map(|e| (e.field.as_str(), e.message.as_str()))
        .collect()
}

impl PartView {
    /// A sub-field's value.
    pub fn sub(&self, key: &str) -> &str {
        self.sub.get(key).map(String::as_str).unwrap_or("")
    }
    /// A sub-field's error.
    pub fn sub_error(&self, key: &str) -> &str {
        self.sub_errors.get(key).map(String::as_str).unwrap_or("")
    }
    /// Whether any error concerns this part.
    pub fn has_error(&self) -> bool {
        !self.error.is_empty() || !self.sub_errors.is_empty()
    }
    /// `aria-describedby` value for the main input.
    pub fn described_by(&self) -> String {
        let mut ids = Vec::new();
        if !self.help.is_empty() {
            ids.push(format!("{}-help", self.id));
        }
        if !self.error.is_empty() {
            ids.push(format!("{}-error", self.id));
        }
        if !self.note.is_empty() {
            ids.push(format!("{}-note", self.id));
        }
        ids.join(" ")
    }
}

/// One item of a repeating group.
pub struct ItemView {
    /// 0-based index.
    pub index: usize,
    /// 1-based number for people.
    pub number: usize,
    /// The item's parts, rendered.
    pub parts: Vec<String>,
}

/// Builds the views of a form's parts from raw input and errors.
pub fn part_views(def: &FormDefinition, raw: &RawInput, errors: &[FieldError]) -> Vec<PartView> {
    part_views_in(def, raw, errors, Lang::Ja)
}

/// [`part_views`] with the fixed words in `lang`.
pub fn part_views_in(
    def: &FormDefinition,
    raw: &RawInput,
    errors: &[FieldError],
    lang: Lang,
) -> Vec<PartView> {
    views(&def.parts, "", raw, &error_map(errors), words(lang), None)
}

fn views(
    parts: &[Part],
    prefix: &str,
    raw: &RawInput,
    errs: &HashMap<&str, &str>,
    w: &'static Words,
    note: Option<&FieldNote>,
) -> Vec<PartView> {
    parts
        .iter()
        .map(|p| view(p, parts, prefix, raw, errs, w, note))
        .collect()
}

fn view(
    part: &Part,
    siblings: &[Part],
    prefix: &str,
    raw: &RawInput,
    errs: &HashMap<&str, &str>,
    w: &'static Words,
    note: Option<&FieldNote>,
) -> PartView {
    let field = format!("{prefix}{}", part.key);
    let id = field_id(&field);
    let mut v = PartView {
        kind: part.kind.type_name(),
        words: w,
        id: id.clone(),
        label: part.label.clone(),
        help: part.help.clone(),
        required: part.required,
        value: raw.value(&field).to_string(),
        sub: HashMap::new(),
        choices: Vec::new(),
        error: errs
            .get(field.as_str())
            .map(|s| s.to_string())
            .unwrap_or_default(),
        sub_errors: HashMap::new(),
        unit: String::new(),
        min: String::new(),
        max: String::new(),
        step: String::new(),
        maxlength: String::new(),
        files: raw.files(&field).to_vec(),
        max_files: 1,
        text: String::new(),
        show_if_json: part
            .show_if
            .as_ref()
            .map(|c| serde_json::to_string(&prefixed(c, prefix, siblings)).unwrap_or_default())
            .unwrap_or_default(),
        show_if_text: part
            .show_if
            .as_ref()
            .map(|c| describe(c, siblings, w.lang))
            .unwrap_or_default(),
        items: Vec::new(),
        can_add: false,
        can_remove: false,
        address_target: String::new(),
        item_unit: String::new(),
        furigana: matches!(part.kind, PartKind::Name { furigana: true }),
        note: note
            .filter(|n| n.field == field)
            .map(|n| n.message.clone())
            .unwrap_or_default(),
        field,
    };
    for sub in [
        "name",
        "furigana",
        "kind",
        "corporate_name",
        "representative",
        "lat",
        "lon",
        "source",
        "era",
        "year",
        "month",
        "day",
    ] {
        let f = format!("{}.{sub}", v.field);
        if let Some(val) = raw.fields.get(&f).and_then(|x| x.first()) {
            v.sub.insert(sub.into(), val.clone());
        }
        if let Some(e) = errs.get(f.as_str()) {
            v.sub_errors.insert(sub.into(), e.to_string());
        }
    }
    let selected = raw.values(&v.field).to_vec();
    match &part.kind {
        PartKind::Text { max_length, .. } | PartKind::Textarea { max_length, .. } => {
            v.maxlength = max_length.map(|m| m.to_string()).unwrap_or_default();
        }
        PartKind::Number {
            unit,
            min,
            max,
            integer,
        } => {
            v.unit = unit.clone().unwrap_or_default();
            v.min = min.map(|m| m.to_string()).unwrap_or_default();
            v.max = max.map(|m| m.to_string()).unwrap_or_default();
            v.step = if *integer { "1".into() } else { "any".into() };
        }
        PartKind::PostalCode { address_part } => {
            v.address_target = address_part
                .as_ref()
                .map(|k| field_id(&format!("{prefix}{k}")))
                .unwrap_or_default();
        }
        PartKind::Date { min, max } => {
            v.min = min.map(|d| d.to_string()).unwrap_or_default();
            v.max = max.map(|d| d.to_string()).unwrap_or_default();
            // Shown as parts: what was typed into them, or else the one value (an ISO answer from a draft,
            // my page or the profile) as 西暦 parts; text that is no date goes into the year box, so it is
            // not lost and its error shows.
            if DateParts::from_raw(raw, &v.field).is_none() && !v.value.trim().is_empty() {
                let parts = match madoguchi_forms::validate::parse_date(&v.value) {
                    Some(d) => DateParts::western(d),
                    None => DateParts {
                        year: v.value.clone(),
                        ..DateParts::default()
                    },
                };
                v.sub.insert("era".into(), parts.era);
                v.sub.insert("year".into(), parts.year);
                v.sub.insert("month".into(), parts.month);
                v.sub.insert("day".into(), parts.day);
            }
            let era = v.sub("era").to_string();
            v.choices = ERA_CHOICES
                .iter()
                .map(|(value, label)| ChoiceView {
                    value: value.to_string(),
                    label: label.to_string(),
                    checked: era == *value,
                    id: String::new(),
                })
                .collect();
        }
        PartKind::Consent { text } | PartKind::Paragraph { text } => v.text = text.clone(),
        PartKind::File { max_files } => v.max_files = *max_files,
        PartKind::Group {
            parts,
            min_items,
            max_items,
            item_label,
        } => {
            // Never more than the part allows, whatever the request or a saved draft says: the count comes
            // from the browser, and each item is drawn.
            let count = raw
                .group_items(&v.field)
                .max(*min_items as usize)
                .max(if part.required { 1 } else { 0 })
                .min(*max_items as usize);
            v.item_unit = if item_label.is_empty() {
                w.item.into()
            } else {
                item_label.clone()
            };
            v.items = (0..count)
                .map(|i| ItemView {
                    index: i,
                    number: i + 1,
                    parts: views(parts, &format!("{}[{i}].", v.field), raw, errs, w, note)
                        .iter()
                        .map(render_field)
                        .collect(),
                })
                .collect();
            v.value = count.to_string();
            v.can_add = count < *max_items as usize;
            v.can_remove = count > *min_items as usize;
        }
        _ => {}
    }
    if let Some(choices) = part.kind.choices() {
        v.choices = choices
            .iter()
            .enumerate()
            .map(|(i, c)| ChoiceView {
                value: c.value.clone(),
                label: c.label.clone(),
                checked: selected.contains(&c.value),
                // The first choice carries the part's id, so error links land on it.
                id: if i == 0 {
                    id.clone()
                } else {
                    format!("{id}-{i}")
                },
            })
            .collect();
    }
    v
}

/// The condition with field names as the browser sees them (group item prefixes applied).
fn prefixed(c: &Condition, prefix: &str, siblings: &[Part]) -> Value {
    let name = |key: &str| {
        let local = siblings.iter().find(|p| p.key == key);
        let base = if local.is_some() {
            format!("{prefix}{key}")
        } else {
            key.to_string()
        };
        match local.map(|p| &p.kind) {
            Some(PartKind::Applicant) => format!("{base}.kind"),
            _ => base,
        }
    };
    match c {
        Condition::All { all } => {
            serde_json::json!({"all": all.iter().map(|x| prefixed(x, prefix, siblings)).collect::<Vec<_>>()})
        }
        Condition::Any { any } => {
            serde_json::json!({"any": any.iter().map(|x| prefixed(x, prefix, siblings)).collect::<Vec<_>>()})
        }
        Condition::Not { not } => serde_json::json!({"not": prefixed(not, prefix, siblings)}),
        Condition::In { part, values } => serde_json::json!({"field": name(part), "in": values}),
        Condition::Filled { part, filled } => {
            serde_json::json!({"field": name(part), "filled": filled})
        }
    }
}

/// A condition in words (in `lang`), for the page without JavaScript.
fn describe(c: &Condition, siblings: &[Part], lang: Lang) -> String {
    let label = |key: &str| {
        siblings
            .iter()
            .find(|p| p.key == key)
            .map(|p| p.label.clone())
            .unwrap_or_else(|| key.into())
    };
    let choice = |key: &str, value: &str| {
        siblings
            .iter()
            .find(|p| p.key == key)
            .and_then(|p| p.kind.choices())
            .and_then(|cs| cs.iter().find(|c| c.value == value))
            .map(|c| c.label.clone())
            .unwrap_or_else(|| match value {
                "individual" => words(lang).answers[0].into(),
                "corporation" => words(lang).answers[1].into(),
                v => v.into(),
            })
    };
    let all = |xs: &[Condition], sep: &str| {
        xs.iter()
            .map(|x| describe(x, siblings, lang))
            .collect::<Vec<_>>()
            .join(sep)
    };
    let chosen = |part: &str, values: &[String], sep: &str| {
        values
            .iter()
            .map(|v| choice(part, v))
            .collect::<Vec<_>>()
            .join(sep)
    };
    match lang {
        Lang::Ja => match c {
            Condition::All { all: xs } => all(xs, "、かつ"),
            Condition::Any { any } => all(any, "、または"),
            Condition::Not { not } => {
                format!("「{}」に当てはまらない場合", describe(not, siblings, lang))
            }
            Condition::In { part, values } => format!(
                "「{}」で「{}」を選んだ場合",
                label(part),
                chosen(part, values, "」または「")
            ),
            Condition::Filled { part, filled: true } => {
                format!("「{}」を入力した場合", label(part))
            }
            Condition::Filled {
                part,
                filled: false,
            } => format!("「{}」が空の場合", label(part)),
        },
        Lang::En => match c {
            Condition::All { all: xs } => all(xs, ", and "),
            Condition::Any { any } => all(any, ", or "),
            Condition::Not { not } => format!("unless {}", describe(not, siblings, lang)),
            Condition::In { part, values } => format!(
                "if you chose \u{201c}{}\u{201d} for \u{201c}{}\u{201d}",
                chosen(part, values, "\u{201d} or \u{201c}"),
                label(part)
            ),
            Condition::Filled { part, filled: true } => {
                format!("if you filled in \u{201c}{}\u{201d}", label(part))
            }
            Condition::Filled {
                part,
                filled: false,
            } => format!("if \u{201c}{}\u{201d} is empty", label(part)),
        },
        Lang::Easy => match c {
            Condition::All { all: xs } => all(xs, "、そして "),
            Condition::Any { any } => all(any, "、または "),
            Condition::Not { not } => {
                format!("「{}」では ない とき", describe(not, siblings, lang))
            }
            Condition::In { part, values } => format!(
                "「{}」で「{}」を えらんだ とき",
                label(part),
                chosen(part, values, "」か「")
            ),
            Condition::Filled { part, filled: true } => {
                format!("「{}」を かいた とき", label(part))
            }
            Condition::Filled {
                part,
                filled: false,
            } => format!("「{}」に なにも かいて いない とき", label(part)),
        },
    }
}

/// One row of the confirmation page (and of the staff view of a submission).
pub struct AnswerRow {
    /// Label.
    pub label: String,
    /// Value as text (may have line breaks).
    pub value: String,
    /// Nesting depth (group items are 1).
    pub depth: usize,
    /// A section heading (group item), not a value.
    pub heading: bool,
    /// Attached files.
    pub files: Vec<FileRef>,
    /// The unit after a file's size ("バイト"), in the page's language.
    pub bytes: &'static str,
}

/// Rows for validated answers, in definition order; parts without answers are shown as 未入力.
pub fn answer_rows(
    def: &FormDefinition,
    answers: &serde_json::Map<String, Value>,
) -> Vec<AnswerRow> {
    answer_rows_in(def, answers, Lang::Ja)
}

/// [`answer_rows`] for a definition shown in `lang`, the fixed words in `lang`.
pub fn answer_rows_in(
    def: &FormDefinition,
    answers: &serde_json::Map<String, Value>,
    lang: Lang,
) -> Vec<AnswerRow> {
    let mut out = Vec::new();
    rows(&def.parts, answers, 0, &mut out, words(lang));
    out
}

fn rows(
    parts: &[Part],
    answers: &serde_json::Map<String, Value>,
    depth: usize,
    out: &mut Vec<AnswerRow>,
    w: &'static Words,
) {
    let [
        individual,
        corporation,
        representative,
        agreed,
        count,
        bytes,
    ] = w.answers;
    for part in parts {
        if !part.kind.has_value() {
            continue;
        }
        let Some(value) = answers.get(&part.key) else {
            continue;
        };
        let mut files = Vec::new();
        let text = match (&part.kind, value) {
            (
                PartKind::Group {
                    parts: children,
                    item_label,
                    ..
                },
                Value::Array(items),
            ) => {
                let unit = if item_label.is_empty() {
                    w.item
                } else {
                    item_label
                };
                out.push(AnswerRow {
                    label: part.label.clone(),
                    value: if w.lang == Lang::En {
                        items.len().to_string()
                    } else {
                        format!("{}{count}", items.len())
                    },
                    depth,
                    heading: true,
                    files: vec![],
                    bytes,
                });
                for (i, item) in items.iter().enumerate() {
                    out.push(AnswerRow {
                        label: if w.lang == Lang::En {
                            format!("{unit} {}", i + 1)
                        } else {
                            format!("{}{unit}", i + 1)
                        },
                        value: String::new(),
                        depth: depth + 1,
                        heading: true,
                        files: vec![],
                        bytes,
                    });
                    if let Value::Object(m) = item {
                        rows(children, m, depth + 1, out, w);
                    }
                }
                continue;
            }
            (PartKind::Name { .. }, Value::Object(m)) => join_some(&[
                m.get("name").and_then(Value::as_str).map(String::from),
                m.get("furigana")
                    .and_then(Value::as_str)
                    .map(|f| format!("（{f}）")),
            ]),
            (PartKind::Applicant, Value::Object(m)) => {
                match m.get("kind").and_then(Value::as_str) {
                    Some("corporation") => format!(
                        "{corporation}: {}\n{representative}: {}",
                        m.get("corporate_name")
                            .and_then(Value::as_str)
                            .unwrap_or(""),
                        m.get("representative")
                            .and_then(Value::as_str)
                            .unwrap_or("")
                    ),
                    _ => format!(
                        "{individual}: {}{}",
                        m.get("name").and_then(Value::as_str).unwrap_or(""),
                        m.get("furigana")
                            .and_then(Value::as_str)
                            .map(|f| format!("（{f}）"))
                            .unwrap_or_default()
                    ),
                }
            }
            (PartKind::Radio { choices } | PartKind::Select { choices }, Value::String(s)) => {
                choices
                    .iter()
                    .find(|c| &c.value == s)
                    .map(|c| c.label.clone())
                    .unwrap_or_else(|| s.clone())
            }
            (PartKind::Checkboxes { choices, .. }, Value::Array(vs)) => vs
                .iter()
                .filter_map(Value::as_str)
                .map(|s| {
                    choices
                        .iter()
                        .find(|c| c.value == s)
                        .map(|c| c.label.clone())
                        .unwrap_or_else(|| s.into())
                })
                .collect::<Vec<_>>()
                .join("、"),
            (PartKind::Consent { .. }, _) => agreed.into(),
            (PartKind::Date { .. }, Value::String(s)) => {
                chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
                    .map(|d| {
                        if w.lang == Lang::En {
                            return d.format("%-d %B %Y").to_string();
                        }
                        format!(
                            "{}（{}）",
                            madoguchi_forms::validate::jp_date(d),
                            madoguchi_japanese::wareki::format_wareki(d)
                        )
                    })
                    .unwrap_or_else(|_| s.clone())
            }
            (PartKind::Number { unit, .. }, Value::Number(n)) => {
                format!(
                    "{}{}",
                    group_thousands(&n.to_string()),
                    unit.clone().unwrap_or_default()
                )
            }
            (PartKind::File { .. }, Value::Array(_)) => {
                files = serde_json::from_value(value.clone()).unwrap_or_default();
                format!("{}{count}", files.len())
            }
            (PartKind::Photo, Value::Object(m)) => {
                if let Some(f) = m
                    .get("file")
                    .and_then(|f| serde_json::from_value::<FileRef>(f.clone()).ok())
                {
                    files.push(f);
                }
                match (
                    m.get("lat").and_then(Value::as_f64),
                    m.get("lon").and_then(Value::as_f64),
                ) {
                    (Some(a), Some(o)) => {
                        let src = match m.get("location_source").and_then(Value::as_str) {
                            Some("exif") => "写真の位置情報",
                            Some("browser") => "端末の位置情報",
                            _ => "入力された座標",
                        };
                        format!("緯度 {a:.6}, 経度 {o:.6}（{src}）")
                    }
                    _ => "位置情報なし".into(),
                }
            }
            (_, Value::String(s)) => s.clone(),
            (_, other) => other.to_string(),
        };
        out.push(AnswerRow {
            label: part.label.clone(),
            value: text,
            bytes,
            depth,
            heading: false,
            files,
        });
    }
}

fn join_some(parts: &[Option<String>]) -> String {
    parts
        .iter()
        .flatten()
        .cloned()
        .collect::<Vec<_>>()
        .join(" ")
}

/// `1500000` → `1,500,000` (the decimal part, if any, is left alone).
pub fn group_thousands(number: &str) -> String {
    let (sign, rest) = number
        .strip_prefix('-')
        .map(|r| ("-", r))
        .unwrap_or(("", number));
    let (int, frac) = rest
        .split_once('.')
        .map(|(i, f)| (i, Some(f)))
        .unwrap_or((rest, None));
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    match frac {
        Some(f) => format!("{sign}{out}.{f}"),
        None => format!("{sign}{out}"),
    }
}

/// Empty-form HTML by (database instance, form version row). Versions are immutable, so an entry never goes
/// stale; keyed by identity rather than by the definition's address, which a later definition may reuse.
type EmptyCache = std::sync::RwLock<std::collections::HashMap<(u64, i64), std::sync::Arc<str>>>;
static EMPTY: std::sync::LazyLock<EmptyCache> = std::sync::LazyLock::new(Default::default);

/// Most forms whose empty page is kept; past it the cache starts again (a few hundred KB at most).
const EMPTY_CACHE_MAX: usize = 1_000;

/// The parts of a published version with nothing entered yet. The result depends only on the version, so it
/// is kept per (database instance, version row id).
pub fn render_empty_fields(
    db_instance: u64,
    version_id: i64,
    def: &FormDefinition,
) -> std::sync::Arc<str> {
    let key = (db_instance, version_id);
    if let Some(html) = EMPTY.read().expect("cache lock").get(&key) {
        return html.clone();
    }
    let html: std::sync::Arc<str> = render_fields(def, &RawInput::default(), &[]).into();
    let mut cache = EMPTY.write().expect("cache lock");
    if cache.len() >= EMPTY_CACHE_MAX {
        cache.clear();
    }
    cache.insert(key, html.clone());
    html
}

#[cfg(test)]
mod tests {
    #[test]
    fn empty_pages_are_kept_per_version_not_per_address() {
        let def = |label: &str| {
            madoguchi_forms::FormDefinition::from_json(&format!(
                r#"{{"title": "t", "department": "d", "parts": [{{"key": "a", "type": "text", "label": "{label}"}}]}}"#
            ))
            .unwrap()
        };
        // Two definitions made one after the other may share an address; their versions never do.
        let first = super::render_empty_fields(u64::MAX - 1, 1, &def("県の項目"));
        let second = super::render_empty_fields(u64::MAX - 1, 2, &def("市の項目"));
        assert!(first.contains("県の項目") && !first.contains("市の項目"));
        assert!(second.contains("市の項目") && !second.contains("県の項目"));
        // The same version from another database is its own entry.
        let other_db = super::render_empty_fields(u64::MAX - 2, 1, &def("別の項目"));
        assert!(other_db.contains("別の項目"));
    }

    #[test]
    fn amounts_are_grouped_by_thousands() {
        assert_eq!(super::group_thousands("1500000"), "1,500,000");
        assert_eq!(super::group_thousands("999"), "999");
        assert_eq!(super::group_thousands("-1234.5"), "-1,234.5");
    }
}
