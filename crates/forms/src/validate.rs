//! Validation: raw input → answers, or a list of field errors in the resident's language (the catalogue in
//! [`crate::messages`]; Japanese unless asked otherwise).
//!
//! Parts hidden by their condition are neither validated nor stored. Names are stored exactly as typed;
//! digits in phone, postal code and number parts, and kana in furigana, are normalised because that is safe.

use crate::condition::Scope;
use crate::date_parts::DateParts;
use crate::definition::{FormDefinition, Part, PartKind};
use crate::input::{FileRef, RawInput, field_id};
use crate::messages::{Message, item_prefix, names};
use chrono::NaiveDate;
use madoguchi_japanese::lang::Lang;
use madoguchi_japanese::{digits, kana, wareki};
use serde_json::{Map, Value, json};

/// Longest text accepted by any part without its own limit, in characters.
pub const DEFAULT_MAX_TEXT: usize = 2000;
/// Longest name accepted, in characters.
const MAX_NAME: usize = 100;

/// A problem with one field, for the error summary and beside the field.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    /// The field name (`animals[0].count`).
    pub field: String,
    /// The HTML id to link to.
    pub anchor: String,
    /// The complete message in the resident's language, naming the field.
    pub message: String,
}

/// The validated answers of a submission, keyed by part key.
pub type Answers = Map<String, Value>;

/// Validates raw input against a definition, with messages in Japanese.
pub fn validate(def: &FormDefinition, input: &RawInput) -> Result<Answers, Vec<FieldError>> {
    validate_in(def, input, Lang::Ja)
}

/// Validates raw input against a definition, with messages in `lang`. The messages name the parts by the
/// labels of `def`, so pass the definition as the resident sees it ([`FormDefinition::localized`]); its rules
/// are the same as the original's.
pub fn validate_in(
    def: &FormDefinition,
    input: &RawInput,
    lang: Lang,
) -> Result<Answers, Vec<FieldError>> {
    let mut v = Validator {
        input,
        lang,
        errors: Vec::new(),
    };
    let answers = v.parts(&def.parts, "", "", None);
    if v.errors.is_empty() {
        Ok(answers)
    } else {
        Err(v.errors)
    }
}

struct Validator<'a> {
    input: &'a RawInput,
    lang: Lang,
    errors: Vec<FieldError>,
}

impl Validator<'_> {
    /// Validates a list of parts under a field prefix (`""` or `group[i].`); `outer` is the enclosing scope.
    fn parts(
        &mut self,
        parts: &[Part],
        prefix: &str,
        label_prefix: &str,
        outer: Option<&Scope<'_>>,
    ) -> Answers {
        let mut answers = Map::new();
        let mut scope = Scope::new(self.input, prefix, parts, outer);
        for part in parts {
            if let Some(cond) = &part.show_if
                && !scope.holds(cond)
            {
                scope.hide(&part.key);
                continue;
            }
            if !part.kind.has_value() {
                continue;
            }
            let field = format!("{prefix}{}", part.key);
            let label = format!("{label_prefix}{}", part.label);
            if let Some(value) = self.part(part, &field, &label, &scope) {
                answers.insert(part.key.clone(), value);
            }
        }
        answers
    }

    fn error(&mut self, field: &str, message: Message<'_>) {
        self.errors.push(FieldError {
            field: field.to_string(),
            anchor: field_id(field),
            message: message.text(self.lang),
        });
    }

    fn required_text(&mut self, part: &Part, field: &str, label: &str) -> Option<String> {
        let raw = self.input.value(field).trim_matches(is_space);
        if raw.is_empty() {
            if part.required {
                self.error(field, Message::Required { label });
            }
            return None;
        }
        Some(raw.to_string())
    }

    /// A date given as one value (ISO, 年月日 or 和暦 text).
    fn whole_date(&mut self, part: &Part, field: &str, label: &str) -> Option<NaiveDate> {
        let text = self.required_text(part, field, label)?;
        let Some(date) = parse_date(&text) else {
            self.error(field, Message::Date { label });
            return None;
        };
        Some(date)
    }

    fn part(&mut self, part: &Part, field: &str, label: &str, scope: &Scope<'_>) -> Option<Value> {
        match &part.kind {
            PartKind::Text {
                min_length,
                max_length,
                pattern,
                pattern_message,
                katakana,
            } => {
                let mut text = self.required_text(part, field, label)?;
                if *katakana {
                    match kana::normalize_furigana(&text) {
                        Ok(k) => text = k,
                        Err(_) => {
                            self.error(field, Message::Katakana { label });
                            return None;
                        }
                    }
                }
                self.length(field, label, &text, *min_length, *max_length)?;
                if let Some(p) = pattern {
                    let ok = regex::Regex::new(&format!("^(?:{p})$"))
                        .map(|re| re.is_match(&text))
                        .unwrap_or(false);
                    if !ok {
                        let custom = pattern_message.as_deref();
                        self.error(field, Message::Pattern { label, custom });
                        return None;
                    }
                }
                Some(Value::String(text))
            }
            PartKind::Textarea {
                min_length,
                max_length,
            } => {
                let text = self.required_text(part, field, label)?;
                let text = text.replace("\r\n", "\n");
                self.length(field, label, &text, *min_length, *max_length)?;
                Some(Value::String(text))
            }
            PartKind::Address => {
                let text = self.required_text(part, field, label)?;
                self.length(field, label, &text, None, Some(200))?;
                Some(Value::String(text))
            }
            PartKind::Number {
                min, max, integer, ..
            } => {
                let text = self.required_text(part, field, label)?;
                let Ok(n) = ascii_number(&text).parse::<f64>() else {
                    self.error(field, Message::NotNumber { label });
                    return None;
                };
                if !n.is_finite() {
                    self.error(field, Message::NotNumber { label });
                    return None;
                }
                if *integer && n.fract() != 0.0 {
                    self.error(field, Message::NotInteger { label });
                    return None;
                }
                let below = min.is_some_and(|m| n < m);
                let above = max.is_some_and(|m| n > m);
                if below || above {
                    let (min, max) = (*min, *max);
                    self.error(field, Message::NumberRange { label, min, max });
                    return None;
                }
                Some(if *integer { json!(n as i64) } else { json!(n) })
            }
            PartKind::Email => {
                let text = self.required_text(part, field, label)?;
                match normalize_email(&text) {
                    Some(e) => Some(Value::String(e)),
                    None => {
                        self.error(field, Message::Email { label });
                        None
                    }
                }
            }
            PartKind::Phone => {
                let text = self.required_text(part, field, label)?;
                match digits::PhoneNumber::parse(&text) {
                    Ok(p) => Some(Value::String(p.to_string())),
                    Err(_) => {
                        self.error(field, Message::Phone { label });
                        None
                    }
                }
            }
            PartKind::PostalCode { .. } => {
                let text = self.required_text(part, field, label)?;
                match digits::PostalCode::parse(&text) {
                    Ok(p) => Some(Value::String(p.to_string())),
                    Err(_) => {
                        self.error(field, Message::PostalCode { label });
                        None
                    }
                }
            }
            PartKind::Date { min, max } => {
                // The HTML form posts parts (元号・年・月・日); the API and stored answers give one value.
                let date = if let Some(parts) = DateParts::from_raw(self.input, field) {
                    match parts.date() {
                        Ok(date) => date,
                        Err(e) => {
                            self.error(field, Message::DateParts { label, problem: &e });
                            return None;
                        }
                    }
                } else {
                    self.whole_date(part, field, label)?
                };
                if min.is_some_and(|m| date < m) || max.is_some_and(|m| date > m) {
                    let (min, max) = (*min, *max);
                    self.error(field, Message::DateRange { label, min, max });
                    return None;
                }
                Some(Value::String(date.format("%Y-%m-%d").to_string()))
            }
            PartKind::Radio { choices } | PartKind::Select { choices } => {
                let value = self.input.value(field).trim();
                if value.is_empty() {
                    if part.required {
                        self.error(field, Message::Choose { label });
                    }
                    return None;
                }
                if !choices.iter().any(|c| c.value == value) {
                    self.error(field, Message::BadChoice { label });
                    return None;
                }
                Some(Value::String(value.to_string()))
            }
            PartKind::Checkboxes {
                choices,
                min_selected,
                max_selected,
            } => {
                let mut picked: Vec<String> = Vec::new();
                for v in self.input.values(field) {
                    if v.is_empty() || picked.contains(v) {
                        continue;
                    }
                    if !choices.iter().any(|c| &c.value == v) {
                        self.error(field, Message::BadChoice { label });
                        return None;
                    }
                    picked.push(v.clone());
                }
                // Keep the definition's order, whatever order the browser sent.
                picked.sort_by_key(|v| choices.iter().position(|c| &c.value == v));
                if picked.is_empty() {
                    if part.required {
                        self.error(field, Message::ChooseOneOrMore { label });
                    }
                    return None;
                }
                if let Some(m) = min_selected
                    && picked.len() < *m as usize
                {
                    self.error(field, Message::MinSelected { label, min: *m });
                    return None;
                }
                if let Some(m) = max_selected
                    && picked.len() > *m as usize
                {
                    self.error(field, Message::MaxSelected { label, max: *m });
                    return None;
                }
                Some(json!(picked))
            }
            PartKind::Name { furigana } => {
                let name_field = format!("{field}.name");
                let name = self.input.value(&name_field).trim_matches(is_space);
                let mut out = Map::new();
                if name.is_empty() {
                    if part.required {
                        self.error(&name_field, Message::Required { label });
                    }
                } else if name.chars().count() > MAX_NAME {
                    self.error(
                        &name_field,
                        Message::NameTooLong {
                            label,
                            max: MAX_NAME,
                        },
                    );
                } else {
                    out.insert("name".into(), Value::String(name.to_string()));
                }
                if *furigana {
                    let kana_field = format!("{field}.furigana");
                    if let Some(k) = self.furigana(&kana_field, label, part.required) {
                        out.insert("furigana".into(), Value::String(k));
                    }
                }
                (!out.is_empty()).then_some(Value::Object(out))
            }
            PartKind::Applicant => self.applicant(part, field, label),
            PartKind::Consent { .. } => {
                let agreed = matches!(self.input.value(field), "yes" | "on" | "true" | "1");
                if !agreed {
                    if part.required {
                        self.error(field, Message::Consent { label });
                    }
                    return None;
                }
                Some(Value::Bool(true))
            }
            PartKind::File { max_files } => {
                let files = self.input.files(field);
                if files.is_empty() {
                    if part.required {
                        self.error(field, Message::Attach { label });
                    }
                    return None;
                }
                if files.len() > *max_files as usize {
                    self.error(
                        field,
                        Message::TooManyFiles {
                            label,
                            max: *max_files,
                        },
                    );
                    return None;
                }
                Some(serde_json::to_value(files).expect("file refs serialise"))
            }
            PartKind::Photo => self.photo(part, field, label),
            PartKind::Heading | PartKind::Paragraph { .. } => None,
            PartKind::Group {
                parts,
                min_items,
                max_items,
                item_label,
            } => {
                let count = self.input.group_items(field);
                if count < *min_items as usize && (part.required || count > 0) {
                    self.error(
                        field,
                        Message::GroupMin {
                            label,
                            min: *min_items,
                        },
                    );
                    return None;
                }
                if count > *max_items as usize {
                    self.error(
                        field,
                        Message::GroupMax {
                            label,
                            max: *max_items,
                        },
                    );
                    return None;
                }
                let unit = if item_label.is_empty() {
                    names(self.lang).item
                } else {
                    item_label
                };
                let items: Vec<Value> = (0..count)
                    .map(|i| {
                        let prefix = format!("{field}[{i}].");
                        let lp = item_prefix(label, i + 1, unit, self.lang);
                        Value::Object(self.parts(parts, &prefix, &lp, Some(scope)))
                    })
                    .collect();
                (!items.is_empty()).then_some(Value::Array(items))
            }
        }
    }

    fn length(
        &mut self,
        field: &str,
        label: &str,
        text: &str,
        min: Option<u32>,
        max: Option<u32>,
    ) -> Option<()> {
        let len = char_len(text);
        let max = max.map(|m| m as usize).unwrap_or(DEFAULT_MAX_TEXT);
        if len > max {
            self.error(field, Message::TooLong { label, max, len });
            return None;
        }
        if let Some(min) = min
            && len < min as usize
        {
            self.error(field, Message::TooShort { label, min });
            return None;
        }
        Some(())
    }

    fn furigana(&mut self, field: &str, label: &str, required: bool) -> Option<String> {
        let raw = self.input.value(field).trim_matches(is_space);
        if raw.is_empty() {
            if required {
                self.error(field, Message::FuriganaRequired { label });
            }
            return None;
        }
        match kana::normalize_furigana(raw) {
            Ok(k) if char_len(&k) <= MAX_NAME => Some(k),
            Ok(_) => {
                self.error(
                    field,
                    Message::FuriganaTooLong {
                        label,
                        max: MAX_NAME,
                    },
                );
                None
            }
            Err(_) => {
                self.error(field, Message::FuriganaKatakana { label });
                None
            }
        }
    }

    fn applicant(&mut self, part: &Part, field: &str, label: &str) -> Option<Value> {
        let kind_field = format!("{field}.kind");
        let kind = self.input.value(&kind_field).trim();
        let mut out = Map::new();
        let need = |v: &mut Self, sub: &str, what: &str, out: &mut Map<String, Value>| {
            let f = format!("{field}.{sub}");
            let text = v.input.value(&f).trim_matches(is_space);
            if text.is_empty() {
                v.error(&f, Message::Required { label: what });
            } else if char_len(text) > MAX_NAME {
                v.error(
                    &f,
                    Message::NameTooLong {
                        label: what,
                        max: MAX_NAME,
                    },
                );
            } else {
                out.insert(sub.into(), Value::String(text.to_string()));
            }
        };
        match kind {
            "individual" => {
                out.insert("kind".into(), json!("individual"));
                let person = names(self.lang).person_name;
                need(self, "name", person, &mut out);
                if let Some(k) = self.furigana(&format!("{field}.furigana"), person, part.required)
                {
                    out.insert("furigana".into(), Value::String(k));
                }
            }
            "corporation" => {
                out.insert("kind".into(), json!("corporation"));
                let n = names(self.lang);
                need(self, "corporate_name", n.corporate_name, &mut out);
                need(self, "representative", n.representative, &mut out);
            }
            "" => {
                if part.required {
                    self.error(&kind_field, Message::ApplicantKind { label });
                }
                return None;
            }
            _ => {
                self.error(&kind_field, Message::BadApplicantKind { label });
                return None;
            }
        }
        Some(Value::Object(out))
    }

    fn photo(&mut self, part: &Part, field: &str, label: &str) -> Option<Value> {
        let files: &[FileRef] = self.input.files(field);
        let Some(file) = files.first() else {
            if part.required {
                self.error(field, Message::Photo { label });
            }
            return None;
        };
        let mut out = Map::new();
        out.insert("file".into(), serde_json::to_value(file).expect("file ref"));
        let typed = (
            self.input.value(&format!("{field}.lat")).trim(),
            self.input.value(&format!("{field}.lon")).trim(),
        );
        let (position, source) = if let Some(gps) = file.gps {
            (Some(gps), "exif")
        } else if !typed.0.is_empty() || !typed.1.is_empty() {
            let lat = ascii_number(typed.0).parse::<f64>().ok();
            let lon = ascii_number(typed.1).parse::<f64>().ok();
            match (lat, lon) {
                (Some(a), Some(o))
                    if (-90.0..=90.0).contains(&a) && (-180.0..=180.0).contains(&o) =>
                {
                    let src = match self.input.value(&format!("{field}.source")) {
                        "browser" => "browser",
                        _ => "typed",
                    };
                    (Some((a, o)), src)
                }
                _ => {
                    self.error(&format!("{field}.lat"), Message::Coordinates { label });
                    return None;
                }
            }
        } else {
            (None, "")
        };
        if let Some((lat, lon)) = position {
            out.insert("lat".into(), json!(lat));
            out.insert("lon".into(), json!(lon));
            out.insert("location_source".into(), json!(source));
        } else if part.required {
            self.error(&format!("{field}.lat"), Message::NoLocation { label });
            return None;
        }
        Some(Value::Object(out))
    }
}

/// A number as typed, in ASCII: full-width digits, signs and decimal points converted (NFKC is safe for
/// numbers, unlike names), thousands separators and spaces removed.
fn ascii_number(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let folded: String = text.nfkc().collect();
    digits::to_ascii_digits(&folded).replace([',', ' ', '、'], "")
}

fn is_space(c: char) -> bool {
    c.is_whitespace() || c == '\u{3000}'
}

/// Length in characters as a person counts them: variation selectors (IVS) do not count.
pub fn char_len(s: &str) -> usize {
    s.chars()
        .filter(|c| !matches!(*c as u32, 0xFE00..=0xFE0F | 0xE0100..=0xE01EF))
        .count()
}

/// Formats a date as 2026年4月1日.
pub fn jp_date(d: NaiveDate) -> String {
    crate::messages::jp_date(d)
}

/// Parses a date typed as ISO (`2026-04-01`), with slashes, with 年月日, or in 和暦 (`令和8年4月1日`, `R8.4.1`).
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    let ascii = digits::to_ascii_digits(text.trim());
    for fmt in ["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日"] {
        if let Ok(d) = NaiveDate::parse_from_str(&ascii, fmt) {
            return Some(d);
        }
    }
    wareki::parse_wareki(text).ok()
}

/// Normalises a mail address (full-width letters to ASCII) and checks its shape.
pub fn normalize_email(text: &str) -> Option<String> {
    use unicode_normalization::UnicodeNormalization;
    let e: String = text.trim().nfkc().collect();
    if e.len() > 254 || e.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    let (local, domain) = e.rsplit_once('@')?;
    let ok = !local.is_empty()
        && !local.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && domain
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
    ok.then_some(e)
}
