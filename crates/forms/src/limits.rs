//! Bounds on everything one request can make the server hold, store or draw ("bound before you work").
//!
//! Every count, size and depth that arrives from a browser or an API client is checked against these where it is
//! parsed (the multipart reader, the JSON API, [`RawInput::check_bounds`](crate::RawInput::check_bounds)), so no
//! renderer, validator or store ever sees an unchecked number. They are far above what a real form needs: the
//! largest demo form posts about 60 fields of a few dozen characters each.

/// Largest number of items a repeating group may have (also the cap on `max_items` in a definition).
pub const MAX_GROUP_ITEMS: u32 = 100;

/// Most distinct field names one post may carry.
pub const MAX_FIELDS: usize = 2_000;

/// Most values one field may carry (check boxes send one value per ticked choice).
pub const MAX_VALUES_PER_FIELD: usize = 500;

/// Longest single text value, in bytes (a text area of 20,000 Japanese characters is 60 KB in UTF-8).
pub const MAX_VALUE_BYTES: usize = 64 * 1024;

/// Most text, in bytes, one post may carry in all its values and field names together.
pub const MAX_TEXT_BYTES: usize = 1024 * 1024;

/// Largest total of attachments a form definition may allow for one submission.
pub const MAX_ATTACHMENT_TOTAL: u64 = 50 * 1024 * 1024;

/// Most files one submission may hold in all its file and photo parts.
pub const MAX_FILES: usize = 50;

/// Longest unit after a number (円, "yen", 名), in characters, Japanese or translated.
pub const MAX_UNIT_CHARS: usize = 20;

/// Why a post was refused before any work was done; the message is for the resident, in Japanese.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TooMuchInput(pub String);

impl std::fmt::Display for TooMuchInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for TooMuchInput {}

/// Counts what a post carries while it is read, and refuses as soon as a bound is passed.
#[derive(Debug, Default)]
pub struct InputBudget {
    fields: usize,
    text_bytes: usize,
    files: usize,
}

impl InputBudget {
    /// Accounts for one text value of `field`; `values_so_far` is how many values the field already has.
    pub fn text(
        &mut self,
        field: &str,
        value: &str,
        values_so_far: usize,
    ) -> Result<(), TooMuchInput> {
        if values_so_far == 0 {
            self.fields += 1;
            if self.fields > MAX_FIELDS {
                return Err(TooMuchInput(format!(
                    "送信された項目が多すぎます（{MAX_FIELDS}項目まで）。"
                )));
            }
        }
        if values_so_far >= MAX_VALUES_PER_FIELD {
            return Err(TooMuchInput(format!(
                "「{}」に送信された値が多すぎます。",
                shorten(field)
            )));
        }
        if value.len() > MAX_VALUE_BYTES {
            return Err(TooMuchInput(format!(
                "「{}」の入力が長すぎます（{}文字程度まで）。",
                shorten(field),
                MAX_VALUE_BYTES / 3
            )));
        }
        self.text_bytes += value.len() + field.len();
        if self.text_bytes > MAX_TEXT_BYTES {
            return Err(TooMuchInput(
                "送信された文字の量が多すぎます。入力内容を短くしてください。".into(),
            ));
        }
        Ok(())
    }

    /// Accounts for one more file.
    pub fn file(&mut self) -> Result<(), TooMuchInput> {
        self.files += 1;
        if self.files > MAX_FILES {
            return Err(TooMuchInput(format!(
                "添付ファイルが多すぎます（{MAX_FILES}件まで）。"
            )));
        }
        Ok(())
    }
}

/// A field name as it may be shown back: at most 40 characters, since it came from the request.
fn shorten(field: &str) -> String {
    let mut s: String = field.chars().take(40).collect();
    if s.len() < field.len() {
        s.push('…');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_budget_refuses_past_each_bound() {
        let mut b = InputBudget::default();
        for i in 0..MAX_FIELDS {
            b.text(&format!("f{i}"), "x", 0).unwrap();
        }
        assert!(b.text("one_more", "x", 0).is_err());
        let mut b = InputBudget::default();
        assert!(b.text("a", &"x".repeat(MAX_VALUE_BYTES + 1), 0).is_err());
        assert!(b.text("a", "x", MAX_VALUES_PER_FIELD).is_err());
        let mut b = InputBudget::default();
        let chunk = "x".repeat(MAX_VALUE_BYTES);
        let mut refused = false;
        for i in 0..100 {
            if b.text(&format!("f{i}"), &chunk, 0).is_err() {
                refused = true;
                break;
            }
        }
        assert!(refused, "total text is bounded");
        let mut b = InputBudget::default();
        for _ in 0..MAX_FILES {
            b.file().unwrap();
        }
        assert!(b.file().is_err());
    }

    #[test]
    fn long_field_names_are_shortened_in_messages() {
        let mut b = InputBudget::default();
        let name = "n".repeat(10_000);
        let e = b
            .text(&name, &"x".repeat(MAX_VALUE_BYTES + 1), 0)
            .unwrap_err();
        assert!(e.0.chars().count() < 80, "{}", e.0);
    }
}
