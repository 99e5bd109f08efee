//! Masking of personal data typed into questions, before a question is stored in the log.

use std::sync::LazyLock;

use regex::Regex;

/// What replaces each masked span.
pub const MASK: &str = "＊＊＊";

/// E-mail addresses, half- or full-width.
static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"[A-Za-z0-9Ａ-Ｚａ-ｚ０-９._%+\-＿．－]+[@＠][A-Za-z0-9Ａ-Ｚａ-ｚ０-９\-－]+(?:[.．][A-Za-z0-9Ａ-Ｚａ-ｚ０-９\-－]+)+",
    )
    .expect("valid e-mail pattern")
});

/// Replaces phone numbers, e-mail addresses and 12-digit numbers (マイナンバー) with `＊＊＊`.
///
/// A number is a run of digits (half- or full-width) whose groups are separated by at most three of: spaces,
/// hyphens and dashes of any width (including ー typed by an IME), parentheses and dots. It is masked when it is
/// a phone number (10 or 11 digits starting with 0, or 11–12 digits starting with the country code 81) or has
/// 12 or more digits (マイナンバー, card and account numbers). Shorter numbers (dates, postal codes, amounts)
/// are kept.
///
/// ```
/// use madoguchi_search::mask_personal_data;
/// assert_eq!(mask_personal_data("090-1234-5678に電話を"), "＊＊＊に電話を");
/// assert_eq!(mask_personal_data("a@b.jp まで"), "＊＊＊ まで");
/// assert_eq!(mask_personal_data("〒780-0850 の 2026年"), "〒780-0850 の 2026年");
/// ```
pub fn mask_personal_data(text: &str) -> String {
    let text = EMAIL.replace_all(text, MASK);
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0; // byte offset in `text` up to which `out` has it
    let mut i = 0;
    while i < chars.len() {
        if !is_digit(chars[i].1) {
            i += 1;
            continue;
        }
        // Extend over digit groups joined by short separator runs.
        let start = i;
        let mut end = i; // one past the last digit
        let mut digits = Vec::new();
        let mut j = i;
        loop {
            while j < chars.len() && is_digit(chars[j].1) {
                digits.push(digit_value(chars[j].1));
                j += 1;
            }
            end = end.max(j);
            let mut k = j;
            while k < chars.len() && k - j < 3 && is_separator(chars[k].1) {
                k += 1;
            }
            if k > j && k < chars.len() && is_digit(chars[k].1) {
                j = k;
            } else {
                break;
            }
        }
        if is_personal_number(&digits) {
            let from = chars[start].0;
            let to = chars.get(end).map_or(text.len(), |c| c.0);
            out.push_str(&text[copied..from]);
            out.push_str(MASK);
            copied = to;
        }
        i = end;
    }
    out.push_str(&text[copied..]);
    out
}

fn is_personal_number(digits: &[u8]) -> bool {
    let n = digits.len();
    let phone = digits.first() == Some(&0) && (10..=11).contains(&n);
    let international = digits.starts_with(&[8, 1]) && (11..=12).contains(&n);
    phone || international || n >= 12
}

fn is_digit(c: char) -> bool {
    c.is_ascii_digit() || ('０'..='９').contains(&c)
}

fn digit_value(c: char) -> u8 {
    if c.is_ascii_digit() {
        c as u8 - b'0'
    } else {
        (c as u32 - '０' as u32) as u8
    }
}

fn is_separator(c: char) -> bool {
    matches!(
        c,
        ' ' | '\u{3000}'
            | '-'
            | '‐'
            | '‑'
            | '‒'
            | '–'
            | '—'
            | '―'
            | '−'
            | '－'
            | 'ー'
            | 'ｰ'
            | '('
            | ')'
            | '（'
            | '）'
            | '.'
            | '．'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_in_every_common_spelling_are_masked() {
        for phone in [
            "090-1234-5678",
            "09012345678",
            "０９０１２３４５６７８",
            "０９０－１２３４－５６７８",
            "090ー1234ー5678",
            "088-823-1111",
            "088(823)1111",
            "03 1234 5678",
            "0120-123-456",
            "+81-90-1234-5678",
        ] {
            let masked = mask_personal_data(&format!("電話は{phone}です"));
            assert!(
                !masked.contains("1234") && !masked.contains("１２３４") && !masked.contains("823"),
                "{phone} → {masked}"
            );
            assert!(
                masked.starts_with("電話は") && masked.ends_with("です") && masked.contains(MASK),
                "{phone} → {masked}"
            );
        }
    }

    #[test]
    fn twelve_digit_numbers_are_masked_with_or_without_separators() {
        assert_eq!(
            mask_personal_data("番号は123456789012です"),
            "番号は＊＊＊です"
        );
        assert_eq!(mask_personal_data("1234 5678 9012"), "＊＊＊");
        assert_eq!(mask_personal_data("1234-5678-9012を入力"), "＊＊＊を入力");
        assert_eq!(mask_personal_data("１２３４５６７８９０１２"), "＊＊＊");
    }

    #[test]
    fn email_addresses_are_masked() {
        assert_eq!(mask_personal_data("a@b.jp"), "＊＊＊");
        assert_eq!(
            mask_personal_data("連絡先は taro.yamada+faq@city.kochi.lg.jp です"),
            "連絡先は ＊＊＊ です"
        );
        assert_eq!(
            mask_personal_data("ｔａｒｏ＠ｅｘａｍｐｌｅ．ｊｐ"),
            "＊＊＊"
        );
    }

    #[test]
    fn ordinary_numbers_are_kept() {
        for text in [
            "〒780-0850",
            "2026年11月23日",
            "2026-11-23",
            "手数料は300円",
            "1,500,000円の補助",
            "令和8年4月1日から",
            "12345",
            "",
        ] {
            assert_eq!(mask_personal_data(text), text);
        }
    }

    #[test]
    fn several_items_in_one_text_are_all_masked() {
        assert_eq!(
            mask_personal_data("090-1234-5678かa@b.jpへ。番号123456789012"),
            "＊＊＊か＊＊＊へ。番号＊＊＊"
        );
    }
}
