//! The sign-in mail address as a domain type: parsed and case-folded at the edge, so `victim@EXAMPLE.jp`,
//! `Victim@example.jp` and `VICTIM@…` are one applicant account and share one mail quota.

use std::fmt;

/// A sign-in mail address: NFKC-normalised, checked for shape, and folded to ASCII lower case. The only way
/// to make one is [`MailAddress::parse`], so every lookup, rate-limit key and new account uses the folded form.
///
/// The whole address is folded, the local part too: RFC 5321 lets a server tell `Taro` from `taro`, but no
/// provider residents use does, and treating them as two accounts lets one person's address be claimed twice.
/// Only ASCII is folded, as SQLite's `lower()` does, so the folded form matches the index on `lower(email)` on
/// both databases.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MailAddress(String);

impl MailAddress {
    /// Parses an address as typed (full-width characters and surrounding spaces allowed); `None` when it is
    /// not an address.
    pub fn parse(text: &str) -> Option<MailAddress> {
        madoguchi_forms::validate::normalize_email(text)
            .map(|e| MailAddress(e.to_ascii_lowercase()))
    }

    /// The folded address.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The address as shown to someone who may not own it: the first character of the local part, then `***`,
    /// then the domain (`t***@example.jp`) — enough to tell one's own address from another's, not enough to
    /// learn an address from a link.
    pub fn masked(&self) -> String {
        let (local, domain) = self.0.rsplit_once('@').unwrap_or(("", &self.0));
        let first: String = local.chars().take(1).collect();
        format!("{first}***@{domain}")
    }
}

impl fmt::Display for MailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::MailAddress;

    #[test]
    fn case_variants_are_one_address() {
        let a = MailAddress::parse("victim@EXAMPLE.jp").unwrap();
        for other in [
            "victim@Example.jp",
            "VICTIM@example.jp",
            " Victim@example.JP ",
            "ｖｉｃｔｉｍ＠ｅｘａｍｐｌｅ．ｊｐ",
        ] {
            assert_eq!(MailAddress::parse(other).as_ref(), Some(&a), "{other}");
        }
        assert_eq!(a.as_str(), "victim@example.jp");
    }

    #[test]
    fn not_an_address_is_refused() {
        for bad in ["", "victim", "victim@", "@example.jp", "a b@example.jp"] {
            assert_eq!(MailAddress::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn the_masked_form_shows_the_first_letter_and_the_domain() {
        let a = MailAddress::parse("taro.yamada@example.jp").unwrap();
        assert_eq!(a.masked(), "t***@example.jp");
    }
}
