//! The languages residents can read the service in: Japanese, English and やさしい日本語 (plain Japanese for
//! people still learning it). One notion for every crate — forms, pages, mails, my page and the FAQ — so a
//! choice made on one page holds on the others.

/// A language a resident can choose.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Lang {
    /// 日本語 (the definition itself; every text exists in it).
    #[default]
    Ja,
    /// English.
    En,
    /// やさしい日本語.
    Easy,
}

impl Lang {
    /// Every language, Japanese first.
    pub const ALL: [Lang; 3] = [Lang::Ja, Lang::En, Lang::Easy];

    /// The code used in URLs (`?lang=`), cookies, form translations and storage.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Ja => "ja",
            Lang::En => "en",
            Lang::Easy => "ja-easy",
        }
    }

    /// A code as sent by a browser or client; `None` for anything else (callers fall back to Japanese).
    pub fn parse(code: &str) -> Option<Lang> {
        Lang::ALL.into_iter().find(|l| l.code() == code.trim())
    }

    /// A code, or Japanese when unknown or empty.
    pub fn from_code(code: &str) -> Lang {
        Lang::parse(code).unwrap_or_default()
    }

    /// The `lang` attribute of a page in this language (やさしい日本語 is Japanese).
    pub fn html_lang(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Ja | Lang::Easy => "ja",
        }
    }

    /// The language's name in itself, for language switches.
    pub fn name(self) -> &'static str {
        match self {
            Lang::Ja => "日本語",
            Lang::En => "English",
            Lang::Easy => "やさしい にほんご",
        }
    }

    /// The code under which a form's translation is kept (`None` for Japanese, the definition itself).
    pub fn translation_key(self) -> Option<&'static str> {
        match self {
            Lang::Ja => None,
            other => Some(other.code()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Lang;

    #[test]
    fn codes_round_trip_and_unknown_is_japanese() {
        for l in Lang::ALL {
            assert_eq!(Lang::parse(l.code()), Some(l));
        }
        assert_eq!(Lang::from_code("fr"), Lang::Ja);
        assert_eq!(Lang::from_code(""), Lang::Ja);
        assert_eq!(Lang::from_code("EN"), Lang::Ja);
        assert_eq!(Lang::Easy.html_lang(), "ja");
    }
}
