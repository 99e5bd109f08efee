//! The validation message catalogue: every message [`crate::validate`] can give, in every language a resident
//! can choose (ADR 0013). Messages name the field by its label as the resident sees it (the translated label on
//! a translated form). The Japanese texts are the ones the service has always given.
//!
//! [`Message::text`] matches on the message and then on the language with no fallback arm, so a message kind
//! cannot be added without its English and やさしい日本語 texts; [`Kind::ALL`] lists the kinds for the test that
//! renders each one in each language.

use crate::date_parts::{PartsError, Which};
use chrono::{Datelike, NaiveDate};
use madoguchi_japanese::lang::Lang;

/// One validation message with what it names.
#[derive(Debug, Clone, PartialEq)]
pub enum Message<'a> {
    /// A required text is empty.
    Required { label: &'a str },
    /// A katakana text is not katakana.
    Katakana { label: &'a str },
    /// A text does not match the part's pattern; `custom` is the form's own message (in Japanese).
    Pattern {
        label: &'a str,
        custom: Option<&'a str>,
    },
    /// Not a number.
    NotNumber { label: &'a str },
    /// Not a whole number.
    NotInteger { label: &'a str },
    /// Outside the allowed range.
    NumberRange {
        label: &'a str,
        min: Option<f64>,
        max: Option<f64>,
    },
    /// Not a mail address.
    Email { label: &'a str },
    /// Not a telephone number.
    Phone { label: &'a str },
    /// Not a postal code.
    PostalCode { label: &'a str },
    /// Not a date.
    Date { label: &'a str },
    /// A date outside the allowed range.
    DateRange {
        label: &'a str,
        min: Option<NaiveDate>,
        max: Option<NaiveDate>,
    },
    /// A required choice is not made.
    Choose { label: &'a str },
    /// A choice that the part does not offer.
    BadChoice { label: &'a str },
    /// A required set of check boxes is empty.
    ChooseOneOrMore { label: &'a str },
    /// Fewer boxes checked than the part needs.
    MinSelected { label: &'a str, min: u32 },
    /// More boxes checked than the part allows.
    MaxSelected { label: &'a str, max: u32 },
    /// A text longer than allowed; `len` is its length now.
    TooLong {
        label: &'a str,
        max: usize,
        len: usize,
    },
    /// A name longer than allowed.
    NameTooLong { label: &'a str, max: usize },
    /// A text shorter than needed.
    TooShort { label: &'a str, min: u32 },
    /// The furigana of a name is empty.
    FuriganaRequired { label: &'a str },
    /// The furigana of a name is too long.
    FuriganaTooLong { label: &'a str, max: usize },
    /// The furigana of a name is not katakana.
    FuriganaKatakana { label: &'a str },
    /// A required consent is not given.
    Consent { label: &'a str },
    /// A required file is missing.
    Attach { label: &'a str },
    /// More files than the part takes.
    TooManyFiles { label: &'a str, max: u32 },
    /// Fewer group items than needed.
    GroupMin { label: &'a str, min: u32 },
    /// More group items than allowed.
    GroupMax { label: &'a str, max: u32 },
    /// Individual or corporation not chosen.
    ApplicantKind { label: &'a str },
    /// An unknown applicant kind.
    BadApplicantKind { label: &'a str },
    /// A required photo is missing.
    Photo { label: &'a str },
    /// Typed coordinates that are not numbers in range.
    Coordinates { label: &'a str },
    /// A required photo's place is unknown.
    NoLocation { label: &'a str },
    /// A date typed as parts (元号・年・月・日) that do not make a date.
    DateParts {
        label: &'a str,
        problem: &'a PartsError,
    },
}

/// The kinds of [`Message`], without what they name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Kind {
    Required,
    Katakana,
    Pattern,
    NotNumber,
    NotInteger,
    NumberRange,
    Email,
    Phone,
    PostalCode,
    Date,
    DateRange,
    Choose,
    BadChoice,
    ChooseOneOrMore,
    MinSelected,
    MaxSelected,
    TooLong,
    NameTooLong,
    TooShort,
    FuriganaRequired,
    FuriganaTooLong,
    FuriganaKatakana,
    Consent,
    Attach,
    TooManyFiles,
    GroupMin,
    GroupMax,
    ApplicantKind,
    BadApplicantKind,
    Photo,
    Coordinates,
    NoLocation,
    DateParts,
}

impl Kind {
    /// Every kind, in declaration order.
    pub const ALL: [Kind; 33] = [
        Kind::Required,
        Kind::Katakana,
        Kind::Pattern,
        Kind::NotNumber,
        Kind::NotInteger,
        Kind::NumberRange,
        Kind::Email,
        Kind::Phone,
        Kind::PostalCode,
        Kind::Date,
        Kind::DateRange,
        Kind::Choose,
        Kind::BadChoice,
        Kind::ChooseOneOrMore,
        Kind::MinSelected,
        Kind::MaxSelected,
        Kind::TooLong,
        Kind::NameTooLong,
        Kind::TooShort,
        Kind::FuriganaRequired,
        Kind::FuriganaTooLong,
        Kind::FuriganaKatakana,
        Kind::Consent,
        Kind::Attach,
        Kind::TooManyFiles,
        Kind::GroupMin,
        Kind::GroupMax,
        Kind::ApplicantKind,
        Kind::BadApplicantKind,
        Kind::Photo,
        Kind::Coordinates,
        Kind::NoLocation,
        Kind::DateParts,
    ];

    /// A message of this kind naming `label`, with typical values (for tests and the catalogue's review).
    pub fn sample(self, label: &str) -> Message<'_> {
        match self {
            Kind::Required => Message::Required { label },
            Kind::Katakana => Message::Katakana { label },
            Kind::Pattern => Message::Pattern {
                label,
                custom: None,
            },
            Kind::NotNumber => Message::NotNumber { label },
            Kind::NotInteger => Message::NotInteger { label },
            Kind::NumberRange => Message::NumberRange {
                label,
                min: Some(1.0),
                max: Some(5_000_000.0),
            },
            Kind::Email => Message::Email { label },
            Kind::Phone => Message::Phone { label },
            Kind::PostalCode => Message::PostalCode { label },
            Kind::Date => Message::Date { label },
            Kind::DateRange => Message::DateRange {
                label,
                min: NaiveDate::from_ymd_opt(2026, 4, 1),
                max: NaiveDate::from_ymd_opt(2027, 3, 31),
            },
            Kind::Choose => Message::Choose { label },
            Kind::BadChoice => Message::BadChoice { label },
            Kind::ChooseOneOrMore => Message::ChooseOneOrMore { label },
            Kind::MinSelected => Message::MinSelected { label, min: 2 },
            Kind::MaxSelected => Message::MaxSelected { label, max: 3 },
            Kind::TooLong => Message::TooLong {
                label,
                max: 100,
                len: 120,
            },
            Kind::NameTooLong => Message::NameTooLong { label, max: 100 },
            Kind::TooShort => Message::TooShort { label, min: 5 },
            Kind::FuriganaRequired => Message::FuriganaRequired { label },
            Kind::FuriganaTooLong => Message::FuriganaTooLong { label, max: 100 },
            Kind::FuriganaKatakana => Message::FuriganaKatakana { label },
            Kind::Consent => Message::Consent { label },
            Kind::Attach => Message::Attach { label },
            Kind::TooManyFiles => Message::TooManyFiles { label, max: 5 },
            Kind::GroupMin => Message::GroupMin { label, min: 1 },
            Kind::GroupMax => Message::GroupMax { label, max: 10 },
            Kind::ApplicantKind => Message::ApplicantKind { label },
            Kind::BadApplicantKind => Message::BadApplicantKind { label },
            Kind::Photo => Message::Photo { label },
            Kind::Coordinates => Message::Coordinates { label },
            Kind::NoLocation => Message::NoLocation { label },
            Kind::DateParts => Message::DateParts {
                label,
                problem: &PartsError::Missing(Which::Day),
            },
        }
    }
}

impl Message<'_> {
    /// The kind of this message.
    pub fn kind(&self) -> Kind {
        match self {
            Message::Required { .. } => Kind::Required,
            Message::Katakana { .. } => Kind::Katakana,
            Message::Pattern { .. } => Kind::Pattern,
            Message::NotNumber { .. } => Kind::NotNumber,
            Message::NotInteger { .. } => Kind::NotInteger,
            Message::NumberRange { .. } => Kind::NumberRange,
            Message::Email { .. } => Kind::Email,
            Message::Phone { .. } => Kind::Phone,
            Message::PostalCode { .. } => Kind::PostalCode,
            Message::Date { .. } => Kind::Date,
            Message::DateRange { .. } => Kind::DateRange,
            Message::Choose { .. } => Kind::Choose,
            Message::BadChoice { .. } => Kind::BadChoice,
            Message::ChooseOneOrMore { .. } => Kind::ChooseOneOrMore,
            Message::MinSelected { .. } => Kind::MinSelected,
            Message::MaxSelected { .. } => Kind::MaxSelected,
            Message::TooLong { .. } => Kind::TooLong,
            Message::NameTooLong { .. } => Kind::NameTooLong,
            Message::TooShort { .. } => Kind::TooShort,
            Message::FuriganaRequired { .. } => Kind::FuriganaRequired,
            Message::FuriganaTooLong { .. } => Kind::FuriganaTooLong,
            Message::FuriganaKatakana { .. } => Kind::FuriganaKatakana,
            Message::Consent { .. } => Kind::Consent,
            Message::Attach { .. } => Kind::Attach,
            Message::TooManyFiles { .. } => Kind::TooManyFiles,
            Message::GroupMin { .. } => Kind::GroupMin,
            Message::GroupMax { .. } => Kind::GroupMax,
            Message::ApplicantKind { .. } => Kind::ApplicantKind,
            Message::BadApplicantKind { .. } => Kind::BadApplicantKind,
            Message::Photo { .. } => Kind::Photo,
            Message::Coordinates { .. } => Kind::Coordinates,
            Message::NoLocation { .. } => Kind::NoLocation,
            Message::DateParts { .. } => Kind::DateParts,
        }
    }

    /// The complete message in `lang`.
    pub fn text(&self, lang: Lang) -> String {
        use Lang::{Easy, En, Ja};
        match *self {
            Message::Required { label } => match lang {
                Ja => format!("{label}を入力してください。"),
                En => format!("Enter {label}."),
                Easy => format!("{label}を かいて ください。"),
            },
            Message::Katakana { label } => match lang {
                Ja => format!("{label}はカタカナで入力してください。"),
                En => format!("Enter {label} in katakana."),
                Easy => format!("{label}は カタカナで かいて ください。"),
            },
            Message::Pattern { label, custom } => match lang {
                Ja => format!("{label}: {}。", custom.unwrap_or("形式が正しくありません")),
                // The form's own message is written in Japanese; English says what is wrong without it.
                En => format!("{label} is not in the right format."),
                Easy => match custom {
                    Some(c) => format!("{label}: {c}。"),
                    None => format!("{label}の かきかたが ちがいます。"),
                },
            },
            Message::NotNumber { label } => match lang {
                Ja => format!("{label}は数字で入力してください。"),
                En => format!("Enter {label} as a number."),
                Easy => format!("{label}は すうじで かいて ください。"),
            },
            Message::NotInteger { label } => match lang {
                Ja => format!("{label}は整数で入力してください。"),
                En => format!("Enter {label} as a whole number."),
                Easy => format!("{label}は 1、2、3の ような すうじで かいて ください。"),
            },
            Message::NumberRange { label, min, max } => match lang {
                Ja => {
                    let range = match (min, max) {
                        (Some(a), Some(b)) => format!("{}以上{}以下", fmt_num(a), fmt_num(b)),
                        (Some(a), None) => format!("{}以上", fmt_num(a)),
                        (None, Some(b)) => format!("{}以下", fmt_num(b)),
                        (None, None) => String::new(),
                    };
                    format!("{label}は{range}で入力してください。")
                }
                En => match (min, max) {
                    (Some(a), Some(b)) => {
                        format!("Enter {label} between {} and {}.", en_num(a), en_num(b))
                    }
                    (Some(a), None) => format!("Enter {label} of {} or more.", en_num(a)),
                    (None, Some(b)) => format!("Enter {label} of {} or less.", en_num(b)),
                    (None, None) => format!("Enter {label} as a number."),
                },
                Easy => match (min, max) {
                    (Some(a), Some(b)) => format!(
                        "{label}は {}から {}までの すうじで かいて ください。",
                        fmt_num(a),
                        fmt_num(b)
                    ),
                    (Some(a), None) => format!(
                        "{label}は {}か、それより おおきい すうじで かいて ください。",
                        fmt_num(a)
                    ),
                    (None, Some(b)) => format!(
                        "{label}は {}か、それより ちいさい すうじで かいて ください。",
                        fmt_num(b)
                    ),
                    (None, None) => format!("{label}は すうじで かいて ください。"),
                },
            },
            Message::Email { label } => match lang {
                Ja => format!("{label}の形式が正しくありません（例: taro@example.jp）。"),
                En => format!("Enter {label} in the correct format, like taro@example.jp."),
                Easy => format!("{label}の かきかたが ちがいます（れい: taro@example.jp）。"),
            },
            Message::Phone { label } => match lang {
                Ja => format!("{label}は市外局番から数字で入力してください（例: 088-823-1111）。"),
                En => format!(
                    "Enter {label} in digits, starting with the area code, like 088-823-1111."
                ),
                Easy => format!(
                    "{label}は はじめの 0から すうじで かいて ください（れい: 088-823-1111）。"
                ),
            },
            Message::PostalCode { label } => match lang {
                Ja => format!("{label}は7桁の数字で入力してください（例: 780-8570）。"),
                En => format!("Enter {label} as 7 digits, like 780-8570."),
                Easy => format!("{label}は 7つの すうじで かいて ください（れい: 780-8570）。"),
            },
            Message::Date { label } => match lang {
                Ja => format!(
                    "{label}は正しい日付で入力してください（例: 2026-04-01 または 令和8年4月1日）。"
                ),
                En => format!("Enter {label} as a real date, like 2026-04-01."),
                Easy => {
                    format!("{label}は ただしい ひづけを かいて ください（れい: 2026-04-01）。")
                }
            },
            Message::DateRange { label, min, max } => match lang {
                Ja => {
                    let range = match (min, max) {
                        (Some(a), Some(b)) => format!("{}から{}まで", jp_date(a), jp_date(b)),
                        (Some(a), None) => format!("{}以降", jp_date(a)),
                        (None, Some(b)) => format!("{}以前", jp_date(b)),
                        (None, None) => String::new(),
                    };
                    format!("{label}は{range}の日付を入力してください。")
                }
                En => match (min, max) {
                    (Some(a), Some(b)) => {
                        format!("Enter {label} between {} and {}.", en_date(a), en_date(b))
                    }
                    (Some(a), None) => format!("Enter {label} on or after {}.", en_date(a)),
                    (None, Some(b)) => format!("Enter {label} on or before {}.", en_date(b)),
                    (None, None) => format!("Enter {label} as a real date."),
                },
                Easy => match (min, max) {
                    (Some(a), Some(b)) => format!(
                        "{label}は {}から {}までの ひを かいて ください。",
                        easy_date(a),
                        easy_date(b)
                    ),
                    (Some(a), None) => format!(
                        "{label}は {}か、それより あとの ひを かいて ください。",
                        easy_date(a)
                    ),
                    (None, Some(b)) => format!(
                        "{label}は {}か、それより まえの ひを かいて ください。",
                        easy_date(b)
                    ),
                    (None, None) => format!("{label}は ただしい ひづけを かいて ください。"),
                },
            },
            Message::Choose { label } => match lang {
                Ja => format!("{label}を選択してください。"),
                En => format!("Select {label}."),
                Easy => format!("{label}を えらんで ください。"),
            },
            Message::BadChoice { label } => match lang {
                Ja => format!("{label}の選択肢が正しくありません。"),
                En => format!("Select {label} from the choices shown."),
                Easy => format!("{label}は、ここに ある ものから えらんで ください。"),
            },
            Message::ChooseOneOrMore { label } => match lang {
                Ja => format!("{label}を1つ以上選択してください。"),
                En => format!("Select at least one option for {label}."),
                Easy => format!("{label}を 1つ いじょう えらんで ください。"),
            },
            Message::MinSelected { label, min } => match lang {
                Ja => format!("{label}は{min}つ以上選択してください。"),
                En => format!("Select at least {min} options for {label}."),
                Easy => format!("{label}は {min}つ いじょう えらんで ください。"),
            },
            Message::MaxSelected { label, max } => match lang {
                Ja => format!("{label}は{max}つまで選択できます。"),
                En => format!("Select no more than {max} options for {label}."),
                Easy => format!("{label}は {max}つまで えらべます。"),
            },
            Message::TooLong { label, max, len } => match lang {
                Ja => format!("{label}は{max}文字以内で入力してください（現在{len}文字）。"),
                En => format!("{label} must be {max} characters or fewer (it is {len} now)."),
                Easy => {
                    format!("{label}は {max}もじまでで かいて ください（いまは {len}もじ です）。")
                }
            },
            Message::NameTooLong { label, max } => match lang {
                Ja => format!("{label}は{max}文字以内で入力してください。"),
                En => format!("{label} must be {max} characters or fewer."),
                Easy => format!("{label}は {max}もじまでで かいて ください。"),
            },
            Message::TooShort { label, min } => match lang {
                Ja => format!("{label}は{min}文字以上で入力してください。"),
                En => format!("{label} must be at least {min} characters."),
                Easy => format!("{label}は {min}もじ いじょう かいて ください。"),
            },
            Message::FuriganaRequired { label } => match lang {
                Ja => format!("{label}のフリガナを入力してください。"),
                En => format!("Enter the reading of {label} in katakana."),
                Easy => format!("{label}の よみかたを カタカナで かいて ください。"),
            },
            Message::FuriganaTooLong { label, max } => match lang {
                Ja => format!("{label}のフリガナは{max}文字以内で入力してください。"),
                En => format!("The katakana reading of {label} must be {max} characters or fewer."),
                Easy => format!("{label}の よみかたは {max}もじまでで かいて ください。"),
            },
            Message::FuriganaKatakana { label } => match lang {
                Ja => format!("{label}のフリガナはカタカナで入力してください。"),
                En => format!("Enter the reading of {label} in katakana only."),
                Easy => format!("{label}の よみかたは カタカナで かいて ください。"),
            },
            Message::Consent { label } => match lang {
                Ja => format!("{label}への同意が必要です。"),
                En => format!("You must agree to {label} to continue."),
                Easy => format!("{label}に「いいです」と こたえて ください。"),
            },
            Message::Attach { label } => match lang {
                Ja => format!("{label}を添付してください。"),
                En => format!("Attach {label}."),
                Easy => format!("{label}の ファイルを つけて ください。"),
            },
            Message::TooManyFiles { label, max } => match lang {
                Ja => format!("{label}は{max}件まで添付できます。"),
                En => format!("You can attach up to {max} files for {label}."),
                Easy => format!("{label}は {max}こまで つけられます。"),
            },
            Message::GroupMin { label, min } => match lang {
                Ja => format!("{label}は{min}件以上入力してください。"),
                En => format!("Add at least {min} entries for {label}."),
                Easy => format!("{label}は {min}こ いじょう かいて ください。"),
            },
            Message::GroupMax { label, max } => match lang {
                Ja => format!("{label}は{max}件まで入力できます。"),
                En => format!("You can add up to {max} entries for {label}."),
                Easy => format!("{label}は {max}こまで かけます。"),
            },
            Message::ApplicantKind { label } => match lang {
                Ja => format!("{label}（個人・法人）を選択してください。"),
                En => format!("Select whether {label} is an individual or a corporation."),
                Easy => format!(
                    "{label}は「ひとり（こじん）」か「かいしゃ など」かを えらんで ください。"
                ),
            },
            Message::BadApplicantKind { label } => match lang {
                Ja => format!("{label}（個人・法人）の選択が正しくありません。"),
                En => {
                    format!("Select individual or corporation for {label} from the choices shown.")
                }
                Easy => format!("{label}は、ここに ある ものから えらんで ください。"),
            },
            Message::Photo { label } => match lang {
                Ja => format!("{label}の写真を添付してください。"),
                En => format!("Attach a photo for {label}."),
                Easy => format!("{label}の しゃしんを つけて ください。"),
            },
            Message::Coordinates { label } => match lang {
                Ja => format!(
                    "{label}の位置（緯度・経度）は数値で入力してください（例: 33.5597, 133.5311）。"
                ),
                En => format!(
                    "Enter the position of {label} (latitude, longitude) as numbers, like 33.5597, 133.5311."
                ),
                Easy => format!(
                    "{label}の ばしょ（いど・けいど）は すうじで かいて ください（れい: 33.5597, 133.5311）。"
                ),
            },
            Message::DateParts { label, problem } => date_parts_text(label, problem, lang),
            Message::NoLocation { label } => match lang {
                Ja => format!(
                    "{label}の場所が分かりません。位置情報を取得するか、緯度・経度を入力してください。"
                ),
                En => format!(
                    "We cannot tell where {label} was taken. Share your location or enter the latitude and longitude."
                ),
                Easy => format!(
                    "{label}の ばしょが わかりません。いまの ばしょを おくるか、いど・けいどを かいて ください。"
                ),
            },
        }
    }
}

/// How the parts of a form's fixed sub-fields and group items are named in messages.
#[derive(Debug, Clone, Copy)]
pub struct Names {
    /// An individual applicant's name (氏名).
    pub person_name: &'static str,
    /// A corporation's name (法人名).
    pub corporate_name: &'static str,
    /// A corporation's representative (代表者の職・氏名).
    pub representative: &'static str,
    /// What a group item is called when the form does not say (件目).
    pub item: &'static str,
}

/// The names in `lang`.
pub fn names(lang: Lang) -> Names {
    match lang {
        Lang::Ja => Names {
            person_name: "氏名",
            corporate_name: "法人名",
            representative: "代表者の職・氏名",
            item: "件目",
        },
        Lang::En => Names {
            person_name: "your full name",
            corporate_name: "the name of the corporation",
            representative: "the title and name of the representative",
            item: "item",
        },
        Lang::Easy => Names {
            person_name: "なまえ",
            corporate_name: "かいしゃ などの なまえ",
            representative: "だいひょうの ひとの やくめと なまえ",
            item: "ばんめ",
        },
    }
}

/// The label of a part inside the `number`th item of a group, as a prefix of the part's own label
/// (`動物（1頭目）の`).
pub fn item_prefix(group_label: &str, number: usize, unit: &str, lang: Lang) -> String {
    match lang {
        Lang::Ja => format!("{group_label}（{number}{unit}）の"),
        Lang::En => format!("{group_label}, {unit} {number}: "),
        Lang::Easy => format!("{group_label}（{number}{unit}）の "),
    }
}

fn fmt_num(n: f64) -> String {
    if n.fract() == 0.0 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

/// A number with thousands separators, as English readers expect (5,000,000).
fn en_num(n: f64) -> String {
    let plain = fmt_num(n);
    let (sign, rest) = plain
        .strip_prefix('-')
        .map(|r| ("-", r))
        .unwrap_or(("", plain.as_str()));
    let (int, frac) = rest.split_once('.').unwrap_or((rest, ""));
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    if frac.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}.{frac}")
    }
}

/// Formats a date as 2026年4月1日.
pub(crate) fn jp_date(d: NaiveDate) -> String {
    d.format("%Y年%-m月%-d日").to_string()
}

/// 1 April 2026.
fn en_date(d: NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

/// 2026ねん 4がつ 1にち.
fn easy_date(d: NaiveDate) -> String {
    format!("{}ねん {}がつ {}にち", d.year(), d.month(), d.day())
}

/// The messages of a date typed as parts; Japanese is [`PartsError::message`].
fn date_parts_text(label: &str, problem: &PartsError, lang: Lang) -> String {
    let part = |w: Which, lang: Lang| match (w, lang) {
        (Which::Era, Lang::En) => "era",
        (Which::Year, Lang::En) => "year",
        (Which::Month, Lang::En) => "month",
        (Which::Day, Lang::En) => "day",
        (Which::Era, _) => "げんごう",
        (Which::Year, _) => "とし",
        (Which::Month, _) => "つき",
        (Which::Day, _) => "ひ",
    };
    match lang {
        Lang::Ja => problem.message(label),
        Lang::En => match problem {
            PartsError::Missing(w) => format!("Enter the {} of {label}.", part(*w, lang)),
            PartsError::NotANumber(w) => {
                format!("Enter the {} of {label} in digits.", part(*w, lang))
            }
            PartsError::UnknownEra => format!("Choose the calendar of {label}."),
            PartsError::ShortYear => format!("Enter the year of {label} as 4 digits, like 2026."),
            PartsError::MonthOutOfRange => {
                format!("Enter the month of {label} as a number from 1 to 12.")
            }
            PartsError::NoSuchDate(_) => format!("{label} must be a real date."),
        },
        Lang::Easy => match problem {
            PartsError::Missing(w) => format!("{label}の {}を かいて ください。", part(*w, lang)),
            PartsError::NotANumber(w) => {
                format!("{label}の {}は すうじで かいて ください。", part(*w, lang))
            }
            PartsError::UnknownEra => format!("{label}の げんごうを えらんで ください。"),
            PartsError::ShortYear => {
                format!("{label}の としは 4つの すうじで かいて ください（れい: 2026）。")
            }
            PartsError::MonthOutOfRange => {
                format!("{label}の つきは 1から 12までの すうじで かいて ください。")
            }
            PartsError::NoSuchDate(_) => {
                format!("{label}は ない ひづけです。ただしい ひを かいて ください。")
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn japanese_script(s: &str) -> bool {
        s.chars().any(|c| {
            matches!(c as u32,
                0x3040..=0x309F | 0x30A0..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF)
        })
    }

    fn kanji(s: &str) -> bool {
        s.chars()
            .any(|c| matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF))
    }

    /// Every kind, in every language: said, naming the field, English free of Japanese script, やさしい日本語
    /// free of kanji and different from the Japanese.
    #[test]
    fn every_kind_is_translated() {
        for (i, kind) in Kind::ALL.into_iter().enumerate() {
            assert_eq!(kind as usize, i, "Kind::ALL lists the kinds in order");
            let en = kind.sample("Amount").text(Lang::En);
            let easy = kind.sample("きんがく").text(Lang::Easy);
            let ja = kind.sample("金額").text(Lang::Ja);
            assert_eq!(kind.sample("x").kind(), kind);
            assert!(en.contains("Amount"), "{kind:?}: {en}");
            assert!(!japanese_script(&en), "{kind:?} English has Japanese: {en}");
            assert!(easy.contains("きんがく"), "{kind:?}: {easy}");
            assert!(!kanji(&easy), "{kind:?} やさしい日本語 has kanji: {easy}");
            assert!(
                ja.contains("金額") && kanji(&ja.replace("金額", "")),
                "{kind:?}: {ja}"
            );
            assert_ne!(easy.replace("きんがく", ""), ja.replace("金額", ""));
        }
        // The last kind closes the list: a kind added after it without being listed fails above.
        assert_eq!(Kind::DateParts as usize + 1, Kind::ALL.len());
    }

    #[test]
    fn english_numbers_and_dates_read_naturally() {
        assert_eq!(en_num(5_000_000.0), "5,000,000");
        assert_eq!(en_num(-1234.5), "-1,234.5");
        assert_eq!(en_num(12.0), "12");
        let m = Kind::DateRange.sample("Date of birth").text(Lang::En);
        assert_eq!(
            m,
            "Enter Date of birth between 1 April 2026 and 31 March 2027."
        );
    }
}
