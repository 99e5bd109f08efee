//! Export columns: one column per answer, stable across form versions.
//!
//! Columns come from every version of a form: the newest version's order first, then columns that only older
//! versions had (removed parts) at the end, so a column never changes meaning and old submissions keep theirs.
//! Repeating groups get a count column and `max_items` sets of item columns (`animals[1].count` …), so the
//! layout does not depend on the data. Check boxes and files are joined with "; " in one cell.

use crate::definition::{FormDefinition, Part, PartKind};
use serde_json::Value;
use std::collections::BTreeMap;

/// One export column.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    /// Stable id (`applicant.name`, `animals[2].count`).
    pub id: String,
    /// Header as shown in the CSV (the label from the newest version that has the part).
    pub header: String,
    /// The part type (`text`, `radio` …).
    pub type_name: &'static str,
    /// Versions of the form that have this column.
    pub versions: Vec<i64>,
    /// Choices (value → label) for choice parts, from every version.
    pub choices: BTreeMap<String, String>,
    path: Vec<Seg>,
    format: Format,
}

#[derive(Debug, Clone, PartialEq)]
enum Seg {
    Key(String),
    Index(usize),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Format {
    Plain,
    Choice,
    Files,
    File,
    Bool,
    Kind,
    Count,
}

/// Builds the columns of a form from its versions, newest first: `(version number, definition)`.
pub fn columns(versions_newest_first: &[(i64, &FormDefinition)]) -> Vec<Column> {
    let mut out: Vec<Column> = Vec::new();
    for (version, def) in versions_newest_first {
        let mut cols = Vec::new();
        part_columns(&def.parts, &[], "", &mut cols);
        for mut col in cols {
            match out.iter_mut().find(|c| c.id == col.id) {
                Some(existing) => {
                    existing.versions.push(*version);
                    for (v, l) in col.choices {
                        existing.choices.entry(v).or_insert(l);
                    }
                }
                None => {
                    col.versions.push(*version);
                    out.push(col);
                }
            }
        }
    }
    for c in &mut out {
        c.versions.sort_unstable();
    }
    out
}

fn col(id: String, header: String, part: &Part, path: Vec<Seg>, format: Format) -> Column {
    let choices = part
        .kind
        .choices()
        .map(|cs| {
            cs.iter()
                .map(|c| (c.value.clone(), c.label.clone()))
                .collect()
        })
        .unwrap_or_default();
    Column {
        id,
        header,
        type_name: part.kind.type_name(),
        versions: Vec::new(),
        choices,
        path,
        format,
    }
}

fn part_columns(parts: &[Part], base: &[Seg], id_prefix: &str, out: &mut Vec<Column>) {
    for part in parts {
        if !part.kind.has_value() {
            continue;
        }
        let id = format!("{id_prefix}{}", part.key);
        let mut path = base.to_vec();
        path.push(Seg::Key(part.key.clone()));
        let sub = |name: &str| {
            let mut p = path.clone();
            p.push(Seg::Key(name.into()));
            p
        };
        let label = &part.label;
        match &part.kind {
            PartKind::Name { furigana } => {
                out.push(col(
                    id.clone(),
                    label.clone(),
                    part,
                    sub("name"),
                    Format::Plain,
                ));
                if *furigana {
                    out.push(col(
                        format!("{id}.furigana"),
                        format!("{label}（フリガナ）"),
                        part,
                        sub("furigana"),
                        Format::Plain,
                    ));
                }
            }
            PartKind::Applicant => {
                for (s, h, f) in [
                    ("kind", "個人・法人", Format::Kind),
                    ("name", "氏名", Format::Plain),
                    ("furigana", "氏名（フリガナ）", Format::Plain),
                    ("corporate_name", "法人名", Format::Plain),
                    ("representative", "代表者", Format::Plain),
                ] {
                    out.push(col(
                        format!("{id}.{s}"),
                        format!("{label}: {h}"),
                        part,
                        sub(s),
                        f,
                    ));
                }
            }
            PartKind::Radio { .. } | PartKind::Select { .. } | PartKind::Checkboxes { .. } => {
                out.push(col(id, label.clone(), part, path, Format::Choice));
            }
            PartKind::File { .. } => out.push(col(id, label.clone(), part, path, Format::Files)),
            PartKind::Consent { .. } => out.push(col(id, label.clone(), part, path, Format::Bool)),
            PartKind::Photo => {
                out.push(col(
                    id.clone(),
                    label.clone(),
                    part,
                    sub("file"),
                    Format::File,
                ));
                for (s, h) in [
                    ("lat", "緯度"),
                    ("lon", "経度"),
                    ("location_source", "位置の取得方法"),
                ] {
                    out.push(col(
                        format!("{id}.{s}"),
                        format!("{label}: {h}"),
                        part,
                        sub(s),
                        Format::Plain,
                    ));
                }
            }
            PartKind::Group {
                parts: children,
                max_items,
                item_label,
                ..
            } => {
                out.push(col(
                    format!("{id}.count"),
                    format!("{label}: 件数"),
                    part,
                    path.clone(),
                    Format::Count,
                ));
                let unit = if item_label.is_empty() {
                    "件目"
                } else {
                    item_label
                };
                for i in 0..*max_items as usize {
                    let mut item_path = path.clone();
                    item_path.push(Seg::Index(i));
                    let mut item_cols = Vec::new();
                    part_columns(children, &item_path, "", &mut item_cols);
                    for mut c in item_cols {
                        c.id = format!("{id}[{}].{}", i + 1, c.id);
                        c.header = format!("{label}（{}{unit}）: {}", i + 1, c.header);
                        out.push(c);
                    }
                }
            }
            _ => out.push(col(id, label.clone(), part, path, Format::Plain)),
        }
    }
}

impl Column {
    /// The cell text for one submission's answers; empty when the submission has no such answer.
    pub fn cell(&self, answers: &Value) -> String {
        let mut out = String::new();
        self.write_cell(answers, &mut out);
        out
    }

    /// Appends the cell text to `out` (the export reuses one buffer for every cell of every row).
    pub fn write_cell(&self, answers: &Value, out: &mut String) {
        use std::fmt::Write;
        let mut v = answers;
        for seg in &self.path {
            let next = match seg {
                Seg::Key(k) => v.get(k.as_str()),
                Seg::Index(i) => v.get(*i),
            };
            match next {
                Some(n) => v = n,
                None => return,
            }
        }
        let join = |out: &mut String, items: &mut dyn Iterator<Item = &str>| {
            for (n, item) in items.enumerate() {
                if n > 0 {
                    out.push_str("; ");
                }
                out.push_str(item);
            }
        };
        match self.format {
            Format::Count => {
                if let Some(a) = v.as_array() {
                    let _ = write!(out, "{}", a.len());
                }
            }
            Format::Bool => {
                if let Value::Bool(true) = v {
                    out.push_str("同意する");
                }
            }
            Format::Kind => match v.as_str() {
                Some("individual") => out.push_str("個人"),
                Some("corporation") => out.push_str("法人"),
                _ => {}
            },
            Format::Choice => {
                let label = |s: &'_ str| -> String {
                    self.choices
                        .get(s)
                        .cloned()
                        .unwrap_or_else(|| s.to_string())
                };
                match v {
                    Value::Array(items) => {
                        let labels: Vec<String> =
                            items.iter().filter_map(Value::as_str).map(label).collect();
                        join(out, &mut labels.iter().map(String::as_str));
                    }
                    Value::String(s) => match self.choices.get(s.as_str()) {
                        Some(l) => out.push_str(l),
                        None => out.push_str(s),
                    },
                    other => write_plain(other, out),
                }
            }
            Format::Files => {
                if let Some(files) = v.as_array() {
                    join(
                        out,
                        &mut files
                            .iter()
                            .filter_map(|f| f.get("name").and_then(Value::as_str)),
                    );
                }
            }
            Format::File => out.push_str(v.get("name").and_then(Value::as_str).unwrap_or("")),
            Format::Plain => write_plain(v, out),
        }
    }
}

fn write_plain(v: &Value, out: &mut String) {
    use std::fmt::Write;
    match v {
        Value::Null => {}
        Value::String(s) => out.push_str(s),
        Value::Bool(b) => {
            let _ = write!(out, "{b}");
        }
        Value::Number(n) => {
            let _ = write!(out, "{n}");
        }
        other => {
            let _ = write!(out, "{other}");
        }
    }
}
