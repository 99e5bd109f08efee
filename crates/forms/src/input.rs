//! Raw input as a browser (or the JSON API) sends it, before validation.
//!
//! Field names are flat: `key`, `key.sub` for parts with several inputs, and `group[i].key` inside a repeating
//! group. The raw text is kept exactly as typed so that a form shown again after an error loses nothing.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// An uploaded file already stored by the caller, as referenced from answers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileRef {
    /// Storage id of the file.
    pub id: String,
    /// The file name the applicant gave.
    pub name: String,
    /// Size in bytes.
    pub size: u64,
    /// MIME type detected from the content.
    pub content_type: String,
    /// GPS position read from the photo's EXIF data, when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gps: Option<(f64, f64)>,
}

/// Everything submitted for one form: text values by field name, and stored files by field name.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RawInput {
    /// Text values by field name; check boxes give several.
    #[serde(default)]
    pub fields: BTreeMap<String, Vec<String>>,
    /// Files by field name.
    #[serde(default)]
    pub files: BTreeMap<String, Vec<FileRef>>,
}

impl RawInput {
    /// Adds one value for a field.
    pub fn push(&mut self, field: impl Into<String>, value: impl Into<String>) {
        self.fields
            .entry(field.into())
            .or_default()
            .push(value.into());
    }

    /// Sets a field to a single value.
    pub fn set(&mut self, field: impl Into<String>, value: impl Into<String>) {
        self.fields.insert(field.into(), vec![value.into()]);
    }

    /// Sets a field to a single value and drops its sub-fields (`field.…`): a value the server decides (a
    /// verified answer) replaces whatever was typed into the field's parts (a date's 元号・年・月・日).
    pub fn set_whole(&mut self, field: impl Into<String>, value: impl Into<String>) {
        let field = field.into();
        let sub = format!("{field}.");
        self.fields.retain(|k, _| !k.starts_with(&sub));
        self.set(field, value);
    }

    /// The first value of a field, or "".
    pub fn value(&self, field: &str) -> &str {
        self.fields
            .get(field)
            .and_then(|v| v.first())
            .map(String::as_str)
            .unwrap_or("")
    }

    /// All values of a field.
    pub fn values(&self, field: &str) -> &[String] {
        self.fields.get(field).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The files of a field.
    pub fn files(&self, field: &str) -> &[FileRef] {
        self.files.get(field).map(Vec::as_slice).unwrap_or(&[])
    }

    /// Whether any value under this field (including its sub-fields) is non-blank, or a file is attached.
    pub fn is_filled(&self, field: &str) -> bool {
        let sub = format!("{field}.");
        let text = self
            .fields
            .iter()
            .filter(|(k, _)| *k == field || k.starts_with(&sub))
            .any(|(_, vs)| vs.iter().any(|v| !v.trim().is_empty()));
        text || !self.files(field).is_empty()
    }

    /// Number of items of a repeating group: the `group.items` field if given, else the highest index seen + 1;
    /// never more than [`MAX_GROUP_ITEMS`](crate::limits::MAX_GROUP_ITEMS), whatever the request says, since
    /// pages draw and validation walks this many items.
    pub fn group_items(&self, group: &str) -> usize {
        self.group_items_unbounded(group)
            .min(crate::limits::MAX_GROUP_ITEMS as usize)
    }

    fn group_items_unbounded(&self, group: &str) -> usize {
        if let Ok(n) = self
            .value(&format!("{group}.items"))
            .trim()
            .parse::<usize>()
        {
            return n;
        }
        let prefix = format!("{group}[");
        self.fields
            .keys()
            .chain(self.files.keys())
            .filter_map(|k| k.strip_prefix(&prefix))
            .filter_map(|rest| rest.split(']').next()?.parse::<usize>().ok())
            .map(|i| i + 1)
            .max()
            .unwrap_or(0)
    }

    /// Builds raw input from an answers document as the JSON API receives it (`{"key": value, …}`), refusing
    /// documents past the bounds of [`limits`](crate::limits) (fields, values, text, nesting) before building more.
    pub fn from_answers_json(
        answers: &serde_json::Map<String, Value>,
    ) -> Result<Self, crate::limits::TooMuchInput> {
        let mut raw = RawInput::default();
        let mut budget = crate::limits::InputBudget::default();
        for (key, value) in answers {
            flatten(&mut raw, &mut budget, key, value, 0)?;
        }
        Ok(raw)
    }
}

/// Deepest nesting of groups (and values inside them) an answers document may have.
const MAX_ANSWER_DEPTH: usize = 6;

fn flatten(
    raw: &mut RawInput,
    budget: &mut crate::limits::InputBudget,
    field: &str,
    value: &Value,
    depth: usize,
) -> Result<(), crate::limits::TooMuchInput> {
    use crate::limits::{MAX_GROUP_ITEMS, TooMuchInput};
    if depth > MAX_ANSWER_DEPTH {
        return Err(TooMuchInput("回答の入れ子が深すぎます。".into()));
    }
    let text = match value {
        Value::Null => return Ok(()),
        Value::Bool(b) => if *b { "yes" } else { "" }.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        Value::Array(items) => {
            if items.iter().all(|v| v.is_object()) && !items.is_empty() {
                if items.len() > MAX_GROUP_ITEMS as usize {
                    return Err(TooMuchInput(format!(
                        "「{}」の件数が多すぎます（{MAX_GROUP_ITEMS}件まで）。",
                        field.chars().take(40).collect::<String>()
                    )));
                }
                raw.set(format!("{field}.items"), items.len().to_string());
                for (i, item) in items.iter().enumerate() {
                    if let Value::Object(map) = item {
                        for (k, v) in map {
                            flatten(raw, budget, &format!("{field}[{i}].{k}"), v, depth + 1)?;
                        }
                    }
                }
            } else {
                for v in items {
                    flatten(raw, budget, field, v, depth + 1)?;
                }
            }
            return Ok(());
        }
        Value::Object(map) => {
            for (k, v) in map {
                flatten(raw, budget, &format!("{field}.{k}"), v, depth + 1)?;
            }
            return Ok(());
        }
    };
    budget.text(field, &text, raw.values(field).len())?;
    raw.push(field, text);
    Ok(())
}

/// The HTML `id` for a field name (`animals[0].count` → `f-animals-0-count`).
pub fn field_id(field: &str) -> String {
    let mut id = String::with_capacity(field.len() + 2);
    id.push_str("f-");
    for c in field.chars() {
        match c {
            '[' | '.' => id.push('-'),
            ']' => {}
            c => id.push(c),
        }
    }
    id
}
