//! The form definition: a versioned JSON document (see `docs/form-schema.json`).
//!
//! A definition is data, never code: staff import it, the builder edits it, and every submission keeps the
//! exact version it was made with.

use chrono::{DateTime, FixedOffset, NaiveDate};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Default per-form limit on the total size of attachments (10 MB).
pub const DEFAULT_ATTACHMENT_LIMIT: u64 = 10 * 1024 * 1024;

/// One online procedure (手続) as residents see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FormDefinition {
    /// The schema this document follows; informative only.
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub schema: Option<String>,
    /// Title shown at the top of the form (e.g. 令和8年度高知県事業推進補助金 交付申請).
    pub title: String,
    /// Explanation shown under the title.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Code of the owning department (所属) within the tenant; its reviewers handle the submissions.
    pub department: String,
    /// How residents reach the department about this procedure.
    #[serde(default)]
    pub contact: Contact,
    /// When the form starts accepting submissions; always open before if absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opens_at: Option<DateTime<FixedOffset>>,
    /// When the form stops accepting submissions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closes_at: Option<DateTime<FixedOffset>>,
    /// Maximum number of accepted submissions (e.g. seats at a seminar); unlimited if absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<u32>,
    /// Limits on attached files.
    #[serde(default)]
    pub attachments: AttachmentLimits,
    /// Who may apply: anyone (the default), signed-in applicants, or applicants whose identity an OpenID Connect
    /// provider verified (マイナンバーカードで本人確認済み); verified name and address are then prefilled and locked.
    #[serde(default, skip_serializing_if = "IdentityLevel::is_anyone")]
    pub identity: IdentityLevel,
    /// The parts of the form, in display order.
    pub parts: Vec<Part>,
    /// Texts in other languages, by language code (see [`LANGUAGES`]); Japanese is the definition itself.
    /// A text left out falls back to Japanese.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub translations: BTreeMap<String, Translation>,
}

/// The languages a form can be translated into besides Japanese: code and name in that language.
pub const LANGUAGES: &[(&str, &str)] = &[("en", "English"), ("ja-easy", "やさしい にほんご")];

/// A form's texts in one language.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Translation {
    /// Title.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub title: String,
    /// Description.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Texts of each part, by key (`group.child` inside a repeating group).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub parts: BTreeMap<String, PartTexts>,
}

/// The translated texts of one part; empty ones fall back to Japanese.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PartTexts {
    /// Label (or heading).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub label: String,
    /// Help text.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub help: String,
    /// Body of a paragraph or consent part.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub text: String,
    /// What one item of a repeating group is called.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub item_label: String,
    /// The unit after a number (円 → yen).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub unit: String,
    /// Choice labels by choice value.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub choices: BTreeMap<String, String>,
}

/// Contact details of the owning department (問い合わせ先).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Contact {
    /// Department name as shown to residents.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// Telephone number (電話).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub phone: String,
    /// Mail address (メール).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub email: String,
    /// Office hours, free text (e.g. 平日 8:30〜17:15).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub hours: String,
}

/// The identity a form requires of its applicants.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum IdentityLevel {
    /// Anyone, with or without an account.
    #[default]
    Anyone,
    /// Signed in (one-time mail link or OpenID Connect).
    SignedIn,
    /// Identity verified by an OpenID Connect provider (マイナンバーカード via the デジタル認証アプリ).
    Verified,
}

impl IdentityLevel {
    /// Whether no sign-in is needed.
    pub fn is_anyone(&self) -> bool {
        *self == IdentityLevel::Anyone
    }

    /// The requirement in Japanese.
    pub fn label(self) -> &'static str {
        match self {
            IdentityLevel::Anyone => "どなたでも申請できます",
            IdentityLevel::SignedIn => "ログインが必要です",
            IdentityLevel::Verified => "マイナンバーカードによる本人確認が必要です",
        }
    }
}

/// Limits on attachments for the whole form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AttachmentLimits {
    /// Total size of all attachments of one submission, in bytes.
    #[serde(default = "default_attachment_limit")]
    pub max_total_bytes: u64,
    /// Allowed file types as MIME types, detected from the content (not the file name).
    #[serde(default = "default_allowed_types")]
    pub allowed_types: Vec<String>,
}

fn default_attachment_limit() -> u64 {
    DEFAULT_ATTACHMENT_LIMIT
}

fn default_allowed_types() -> Vec<String> {
    [
        "application/pdf",
        "image/jpeg",
        "image/png",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ]
    .map(String::from)
    .to_vec()
}

impl Default for AttachmentLimits {
    fn default() -> Self {
        Self {
            max_total_bytes: default_attachment_limit(),
            allowed_types: default_allowed_types(),
        }
    }
}

/// One part (部品) of a form: a field, a display element or a repeating group.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Part {
    /// Stable key: lower-case ASCII letters, digits and `_`, starting with a letter. Export columns use it.
    pub key: String,
    /// Visible label (or the heading text for a heading).
    pub label: String,
    /// Help text shown under the label.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub help: String,
    /// Whether an answer is required.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub required: bool,
    /// Show the part only when this condition holds; a hidden part is neither validated nor stored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub show_if: Option<Condition>,
    /// What kind of part this is, with its own settings.
    #[serde(flatten)]
    pub kind: PartKind,
}

/// The kinds of parts, with their settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PartKind {
    /// Single-line text.
    Text {
        /// Minimum length in characters.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min_length: Option<u32>,
        /// Maximum length in characters.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_length: Option<u32>,
        /// Regular expression the whole answer must match.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pattern: Option<String>,
        /// Message shown when the pattern does not match.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pattern_message: Option<String>,
        /// Only katakana allowed (hiragana and half-width kana are converted).
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        katakana: bool,
    },
    /// Multi-line text.
    Textarea {
        /// Minimum length in characters.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min_length: Option<u32>,
        /// Maximum length in characters.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_length: Option<u32>,
    },
    /// A number, optionally integer, with a unit and a range.
    Number {
        /// Unit shown after the input (頭, 人, 円).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        unit: Option<String>,
        /// Smallest allowed value.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min: Option<f64>,
        /// Largest allowed value.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max: Option<f64>,
        /// Only whole numbers.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        integer: bool,
    },
    /// A mail address.
    Email,
    /// A Japanese telephone number.
    Phone,
    /// A postal code; fills the named address part from Japan Post data when JavaScript is available.
    PostalCode {
        /// Key of the address part to fill.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        address_part: Option<String>,
    },
    /// An address (free text, one line).
    Address,
    /// A date; the 和暦 is shown beside it.
    Date {
        /// Earliest allowed date.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min: Option<NaiveDate>,
        /// Latest allowed date.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max: Option<NaiveDate>,
    },
    /// Exactly one choice shown as radio buttons.
    Radio {
        /// The choices.
        choices: Vec<Choice>,
    },
    /// Any number of choices as check boxes.
    Checkboxes {
        /// The choices.
        choices: Vec<Choice>,
        /// Fewest choices to tick.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        min_selected: Option<u32>,
        /// Most choices to tick.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_selected: Option<u32>,
    },
    /// Exactly one choice from a drop-down list.
    Select {
        /// The choices.
        choices: Vec<Choice>,
    },
    /// A person's name (氏名), optionally with furigana (フリガナ). The name is stored exactly as typed.
    Name {
        /// Ask for the reading in katakana.
        #[serde(default)]
        furigana: bool,
    },
    /// Individual or corporation switch: 氏名 for individuals, 法人名 + 代表者 for corporations.
    Applicant,
    /// Consent to the handling of personal information (個人情報の取扱いに同意).
    Consent {
        /// The text the applicant agrees to.
        text: String,
    },
    /// One or more attached files.
    File {
        /// Most files for this part.
        #[serde(default = "default_max_files")]
        max_files: u32,
    },
    /// A photo with its location: EXIF GPS when present, else the browser's position or typed coordinates.
    Photo,
    /// A heading (the label is the heading text).
    Heading,
    /// Explanatory text (the label is a short title, `text` the body).
    Paragraph {
        /// The explanation.
        text: String,
    },
    /// A repeating group of parts (several animals, several attendees).
    Group {
        /// The parts of one item.
        parts: Vec<Part>,
        /// Fewest items.
        #[serde(default = "default_min_items")]
        min_items: u32,
        /// Most items; export columns are made for this many.
        #[serde(default = "default_max_items")]
        max_items: u32,
        /// What one item is called (頭目, 人目); shown as "1頭目".
        #[serde(default, skip_serializing_if = "String::is_empty")]
        item_label: String,
    },
}

fn default_max_files() -> u32 {
    5
}
fn default_min_items() -> u32 {
    1
}
fn default_max_items() -> u32 {
    10
}

/// One choice of a radio, select or checkbox part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    /// Stored value; stays stable when the label changes.
    pub value: String,
    /// Visible label.
    pub label: String,
}

/// When a part is shown. Conditions nest with `all`, `any` and `not`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Condition {
    /// Every condition holds.
    All {
        /// The conditions.
        all: Vec<Condition>,
    },
    /// At least one condition holds.
    Any {
        /// The conditions.
        any: Vec<Condition>,
    },
    /// The condition does not hold.
    Not {
        /// The negated condition.
        not: Box<Condition>,
    },
    /// The named part has one of the given values (for check boxes: at least one of them is ticked).
    In {
        /// Key of an earlier part.
        part: String,
        /// The values.
        #[serde(rename = "in")]
        values: Vec<String>,
    },
    /// The named part is filled in (or, with `false`, left empty).
    Filled {
        /// Key of an earlier part.
        part: String,
        /// Whether it must be filled.
        filled: bool,
    },
}

impl Condition {
    /// Every part key this condition refers to.
    pub fn referenced_parts(&self) -> Vec<&str> {
        let mut out = Vec::new();
        self.collect_parts(&mut out);
        out
    }

    fn collect_parts<'a>(&'a self, out: &mut Vec<&'a str>) {
        match self {
            Condition::All { all: list } | Condition::Any { any: list } => {
                list.iter().for_each(|c| c.collect_parts(out))
            }
            Condition::Not { not } => not.collect_parts(out),
            Condition::In { part, .. } | Condition::Filled { part, .. } => out.push(part),
        }
    }
}

impl PartKind {
    /// The schema name of this kind (`text`, `radio` …).
    pub fn type_name(&self) -> &'static str {
        match self {
            PartKind::Text { .. } => "text",
            PartKind::Textarea { .. } => "textarea",
            PartKind::Number { .. } => "number",
            PartKind::Email => "email",
            PartKind::Phone => "phone",
            PartKind::PostalCode { .. } => "postal_code",
            PartKind::Address => "address",
            PartKind::Date { .. } => "date",
            PartKind::Radio { .. } => "radio",
            PartKind::Checkboxes { .. } => "checkboxes",
            PartKind::Select { .. } => "select",
            PartKind::Name { .. } => "name",
            PartKind::Applicant => "applicant",
            PartKind::Consent { .. } => "consent",
            PartKind::File { .. } => "file",
            PartKind::Photo => "photo",
            PartKind::Heading => "heading",
            PartKind::Paragraph { .. } => "paragraph",
            PartKind::Group { .. } => "group",
        }
    }

    /// The choices of a choice part, if it is one.
    pub fn choices(&self) -> Option<&[Choice]> {
        match self {
            PartKind::Radio { choices }
            | PartKind::Select { choices }
            | PartKind::Checkboxes { choices, .. } => Some(choices),
            _ => None,
        }
    }

    /// Whether the part collects an answer (headings and paragraphs do not).
    pub fn has_value(&self) -> bool {
        !matches!(self, PartKind::Heading | PartKind::Paragraph { .. })
    }
}

fn replace_if_set(target: &mut String, text: &str) {
    if !text.trim().is_empty() {
        *target = text.to_string();
    }
}

fn localize_parts(parts: &mut [Part], prefix: &str, t: &Translation) {
    for part in parts {
        let key = format!("{prefix}{}", part.key);
        if let Some(pt) = t.parts.get(&key) {
            replace_if_set(&mut part.label, &pt.label);
            replace_if_set(&mut part.help, &pt.help);
            match &mut part.kind {
                PartKind::Paragraph { text } | PartKind::Consent { text } => {
                    replace_if_set(text, &pt.text)
                }
                PartKind::Group { item_label, .. } => replace_if_set(item_label, &pt.item_label),
                PartKind::Number {
                    unit: Some(unit), ..
                } => replace_if_set(unit, &pt.unit),
                PartKind::Radio { choices }
                | PartKind::Select { choices }
                | PartKind::Checkboxes { choices, .. } => {
                    for c in choices {
                        if let Some(l) = pt.choices.get(&c.value) {
                            replace_if_set(&mut c.label, l);
                        }
                    }
                }
                _ => {}
            }
        }
        if let PartKind::Group { parts, .. } = &mut part.kind {
            localize_parts(parts, &format!("{key}."), t);
        }
    }
}

impl Choice {
    /// A choice whose value and label are given.
    pub fn new(value: &str, label: &str) -> Self {
        Self {
            value: value.into(),
            label: label.into(),
        }
    }
}

impl FormDefinition {
    /// Parses a definition from JSON; structural errors only (see [`crate::check`] for meaning).
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// The definition as pretty JSON, as exported.
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).expect("a definition always serialises")
    }

    /// The definition with its texts in `lang` where translated (keys, values and rules unchanged), or
    /// None when the form has no translation into `lang`.
    pub fn localized(&self, lang: &str) -> Option<FormDefinition> {
        let t = self.translations.get(lang)?;
        let mut out = self.clone();
        replace_if_set(&mut out.title, &t.title);
        replace_if_set(&mut out.description, &t.description);
        localize_parts(&mut out.parts, "", t);
        Some(out)
    }

    /// Every part with its key as versions and translations name it (`group.child` inside groups), in order.
    pub fn flattened_parts(&self) -> Vec<(String, &Part)> {
        fn walk<'a>(parts: &'a [Part], prefix: &str, out: &mut Vec<(String, &'a Part)>) {
            for p in parts {
                let key = format!("{prefix}{}", p.key);
                out.push((key.clone(), p));
                if let PartKind::Group { parts, .. } = &p.kind {
                    walk(parts, &format!("{key}."), out);
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.parts, "", &mut out);
        out
    }

    /// Finds a top-level part by key.
    pub fn part(&self, key: &str) -> Option<&Part> {
        self.parts.iter().find(|p| p.key == key)
    }
}
