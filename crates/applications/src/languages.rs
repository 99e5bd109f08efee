//! The language a resident reads a form in: Japanese, or a translation the form's editors wrote in the
//! builder (English, やさしい日本語). The choice comes from `?lang=` on the form page and is kept in a cookie for
//! the confirmation and completion pages. The page's own words (steps, buttons, headings) come from [`Ui`];
//! validation messages stay in Japanese (ADR 0013).

use axum::http::HeaderMap;
use madoguchi_forms::{FormDefinition, LANGUAGES};
use std::borrow::Cow;

/// Cookie keeping the resident's language.
pub const LANG_COOKIE: &str = "madoguchi_lang";

/// The words of the public form pages in one language.
#[derive(Debug)]
pub struct Ui {
    /// `lang` attribute of the page.
    pub html_lang: &'static str,
    /// Label of the progress list.
    pub steps_label: &'static str,
    /// The three steps.
    pub steps: [&'static str; 3],
    /// "必須" badge.
    pub required: &'static str,
    /// Hint before the form ("必須 の項目は…"), after the badge.
    pub required_hint: &'static str,
    /// Heading of the error summary, before and after the count.
    pub errors_before: &'static str,
    /// See `errors_before`.
    pub errors_after: &'static str,
    /// Button to the confirmation page.
    pub to_confirm: &'static str,
    /// Button that saves a draft.
    pub save_draft: &'static str,
    /// Heading of the confirmation page.
    pub confirm_heading: &'static str,
    /// Lead of the confirmation page.
    pub confirm_lead: &'static str,
    /// Submit button.
    pub submit: &'static str,
    /// Back to the input page.
    pub back_to_edit: &'static str,
    /// Heading of the completion page.
    pub done_heading: &'static str,
    /// "…の申請を受け付けました。" after the title.
    pub done_accepted: &'static str,
    /// "受付番号".
    pub receipt: &'static str,
    /// Note under the receipt number.
    pub done_note: &'static str,
    /// Link back to the list of forms.
    pub back_to_list: &'static str,
    /// Contact section heading and its four labels.
    pub contact: [&'static str; 5],
    /// Empty option of a select.
    pub choose: &'static str,
    /// Postal code search button.
    pub postal_search: &'static str,
    /// Label of the language switch.
    pub language: &'static str,
    /// The file button's text (the browser's own says "Choose File" in the browser's language).
    pub file_choose: &'static str,
    /// Beside the file button while no file is chosen.
    pub file_none: &'static str,
    /// Labels of a date's parts: 元号, 年, 月, 日.
    pub date_parts: [&'static str; 4],
    /// The 元号 choices, as in [`madoguchi_forms::date_parts::ERA_CHOICES`]: 西暦, 令和, 平成, 昭和, 大正, 明治.
    pub eras: [&'static str; 6],
}

/// Japanese.
pub static JA: Ui = Ui {
    html_lang: "ja",
    steps_label: "現在位置",
    steps: ["1. 入力", "2. 確認", "3. 完了"],
    required: "必須",
    required_hint: " の項目は必ず入力してください。",
    errors_before: "入力内容に",
    errors_after: "件の誤りがあります",
    to_confirm: "入力内容を確認する",
    save_draft: "一時保存する",
    confirm_heading: "入力内容の確認",
    confirm_lead: "以下の内容で送信します。よろしければ「送信する」を押してください。",
    submit: "送信する",
    back_to_edit: "入力画面に戻って修正する",
    done_heading: "送信が完了しました",
    done_accepted: " の申請を受け付けました。",
    receipt: "受付番号",
    done_note: "お問い合わせの際は、この受付番号をお伝えください。メールアドレスを入力された方には、受付完了メールをお送りしました。",
    back_to_list: "申請一覧に戻る",
    contact: ["お問い合わせ先", "担当", "電話", "メール", "受付時間"],
    choose: "選択してください",
    postal_search: "住所を検索",
    language: "言語",
    file_choose: "ファイルを選ぶ",
    file_none: "選択されていません",
    date_parts: ["元号", "年", "月", "日"],
    eras: ["西暦", "令和", "平成", "昭和", "大正", "明治"],
};

static EN: Ui = Ui {
    html_lang: "en",
    steps_label: "Progress",
    steps: ["1. Enter", "2. Check", "3. Done"],
    required: "Required",
    required_hint: " fields must be filled in.",
    errors_before: "There are ",
    errors_after: " problems with your answers",
    to_confirm: "Check your answers",
    save_draft: "Save and continue later",
    confirm_heading: "Check your answers",
    confirm_lead: "Your application will be sent as shown below. If it is correct, press \"Send\".",
    submit: "Send",
    back_to_edit: "Go back and change your answers",
    done_heading: "Your application has been sent",
    done_accepted: ": we have received your application.",
    receipt: "Receipt number",
    done_note: "Please give this receipt number when you contact us. If you entered an e-mail address, we have sent you a confirmation e-mail.",
    back_to_list: "Back to the list of applications",
    contact: ["Contact", "Office", "Phone", "E-mail", "Hours"],
    choose: "Please choose",
    postal_search: "Find address",
    language: "Language",
    file_choose: "Choose a file",
    file_none: "No file chosen yet",
    date_parts: ["Calendar", "Year", "Month", "Day"],
    eras: [
        "Western (AD)",
        "Reiwa",
        "Heisei",
        "Showa",
        "Taisho",
        "Meiji",
    ],
};

static EASY: Ui = Ui {
    html_lang: "ja",
    steps_label: "いま どこ",
    steps: ["1. かく", "2. たしかめる", "3. おわり"],
    required: "かならず かく",
    required_hint: " の ところは、かならず かいて ください。",
    errors_before: "まちがいが ",
    errors_after: "こ あります",
    to_confirm: "かいた ことを たしかめる",
    save_draft: "とちゅうで ほぞんする",
    confirm_heading: "かいた ことを たしかめて ください",
    confirm_lead: "この ないようで おくります。よければ「おくる」を おして ください。",
    submit: "おくる",
    back_to_edit: "もどって なおす",
    done_heading: "おくりました",
    done_accepted: " の もうしこみを うけつけました。",
    receipt: "うけつけ ばんごう",
    done_note: "といあわせる ときは、この ばんごうを いって ください。メールアドレスを かいた ひとには、メールを おくりました。",
    back_to_list: "もうしこみの いちらんに もどる",
    contact: ["といあわせ", "たんとう", "でんわ", "メール", "じかん"],
    choose: "えらんで ください",
    postal_search: "じゅうしょを さがす",
    language: "ことば",
    file_choose: "ファイルを えらぶ",
    file_none: "まだ えらんで いません",
    date_parts: ["ねんごう", "ねん", "つき", "ひ"],
    eras: [
        "せいれき",
        "れいわ",
        "へいせい",
        "しょうわ",
        "たいしょう",
        "めいじ",
    ],
};

/// The page words for a language code ("" or unknown: Japanese).
pub fn ui(lang: &str) -> &'static Ui {
    match lang {
        "en" => &EN,
        "ja-easy" => &EASY,
        _ => &JA,
    }
}

/// The resident's language for this form: `?lang=` if given, else the cookie; "" (Japanese) when the form has
/// no translation into it.
pub fn resident_lang(headers: &HeaderMap, query: Option<&str>, def: &FormDefinition) -> String {
    let wanted = query
        .or_else(|| madoguchi_kernel::web::cookie(headers, LANG_COOKIE))
        .unwrap_or("");
    if def.translations.contains_key(wanted) {
        wanted.to_string()
    } else {
        String::new()
    }
}

/// The definition as shown in `lang` (the definition itself for Japanese).
pub fn localized<'a>(def: &'a FormDefinition, lang: &str) -> Cow<'a, FormDefinition> {
    match def.localized(lang) {
        Some(d) => Cow::Owned(d),
        None => Cow::Borrowed(def),
    }
}

/// Puts the page words into the rendered fields of a translated form (the few fixed words of the parts).
pub fn localize_fields_html(html: String, ui: &Ui) -> String {
    if std::ptr::eq(ui, &JA) {
        return html;
    }
    let html = localize_controls(html, ui);
    html.replace(
        "<span class=\"req\">必須</span>",
        &format!("<span class=\"req\">{}</span>", ui.required),
    )
    .replace(
        "<option value=\"\">選択してください</option>",
        &format!("<option value=\"\">{}</option>", ui.choose),
    )
    .replace(">住所を検索<", &format!(">{}<", ui.postal_search))
}

/// One entry of the language switch.
pub struct LangLink {
    /// Code (`ja`, `en`, `ja-easy`).
    pub code: &'static str,
    /// Name in that language.
    pub name: &'static str,
    /// `lang` attribute of the link text.
    pub html_lang: &'static str,
    /// Whether it is the language shown.
    pub current: bool,
}

/// The language switch of a form: empty when the form has no translations.
pub fn switch(def: &FormDefinition, current: &str) -> Vec<LangLink> {
    if def.translations.is_empty() {
        return Vec::new();
    }
    let mut out = vec![LangLink {
        code: "ja",
        name: "日本語",
        html_lang: "ja",
        current: current.is_empty(),
    }];
    for (code, name) in LANGUAGES {
        if def.translations.contains_key(*code) {
            out.push(LangLink {
                code,
                name,
                html_lang: ui(code).html_lang,
                current: current == *code,
            });
        }
    }
    out
}

/// The words of the file button and of a date's parts, which the page sets (not the browser).
fn localize_controls(html: String, ui: &Ui) -> String {
    let mut html = html
        .replace(
            "aria-hidden=\"true\">ファイルを選ぶ<",
            &format!("aria-hidden=\"true\">{}<", ui.file_choose),
        )
        .replace(
            "aria-live=\"polite\">選択されていません<",
            &format!("aria-live=\"polite\">{}<", ui.file_none),
        );
    let classes = ["date-era", "date-year", "date-month", "date-day"];
    for ((class, ja), text) in classes.iter().zip(JA.date_parts).zip(ui.date_parts) {
        html = html.replace(
            &format!("class=\"{class}\">{ja}<"),
            &format!("class=\"{class}\">{text}<"),
        );
    }
    for (ja, text) in JA.eras.iter().zip(ui.eras) {
        html = html.replace(&format!(">{ja}</option>"), &format!(">{text}</option>"));
    }
    html
}
