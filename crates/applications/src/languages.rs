//! The language a resident reads a form in: Japanese, or a translation the form's editors wrote in the
//! builder (English, やさしい日本語). The choice comes from `?lang=` on the form page and is kept in a cookie for
//! the confirmation and completion pages, my page, sign-in and the FAQ (one cookie, [`LANG_COOKIE`]). The page's
//! own words (steps, buttons, headings) come from [`Ui`] and [`Words`]; validation messages come from the forms
//! crate's catalogue in the same language (ADR 0013).

use axum::http::HeaderMap;
use madoguchi_forms::{FormDefinition, LANGUAGES, Lang};
use std::borrow::Cow;

pub use madoguchi_kernel::web::LANG_COOKIE;

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
    .replace(
        "<span class=\"visually-hidden\">エラー:</span>",
        &format!(
            "<span class=\"visually-hidden\">{}</span>",
            words(Lang::from_code(ui_code(ui))).error_hidden
        ),
    )
}

/// The language code of a word list.
fn ui_code(ui: &Ui) -> &'static str {
    if std::ptr::eq(ui, &EN) {
        "en"
    } else if std::ptr::eq(ui, &EASY) {
        "ja-easy"
    } else {
        "ja"
    }
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

/// More words of the public pages, kept apart from [`Ui`]: the page frame, the fixed words inside the parts,
/// the conditions in words and the confirmation's answers.
#[derive(Debug)]
pub struct Words {
    /// The language.
    pub lang: Lang,
    /// Skip link.
    pub skip: &'static str,
    /// Footer line.
    pub footer: &'static str,
    /// After the tenant's name in the header (" オンライン申請").
    pub site_suffix: &'static str,
    /// Before the title of a page with errors ("エラー: ").
    pub error_title: &'static str,
    /// Hidden before each field's error ("エラー:").
    pub error_hidden: &'static str,
    /// Completion page, signed in: text, link and text around my page.
    pub mypage_note: [&'static str; 3],
    /// Applicant part: 個人, 法人・団体, ※ 個人の方, ※ 法人・団体の方.
    pub applicant_kinds: [&'static str; 4],
    /// Applicant part: 氏名, 氏名（フリガナ）, 法人名, 代表者の職・氏名.
    pub applicant_names: [&'static str; 4],
    /// Name part: 氏名, フリガナ（カタカナ）.
    pub name_labels: [&'static str; 2],
    /// Consent box.
    pub agree: &'static str,
    /// Group item unit when the form names none ("件目").
    pub item: &'static str,
    /// Group: "{label}を追加", "{n}{unit}を削除" as before/after pairs.
    pub add: [&'static str; 2],
    /// See `add`.
    pub remove: [&'static str; 2],
    /// The note above a conditional part: before and after the condition.
    pub condition_note: [&'static str; 2],
    /// Confirmation: 個人, 法人, 代表者, 同意する, 件 (count), バイト.
    pub answers: [&'static str; 6],
    /// The form script's messages (written in Japanese in `form.js`) in this language.
    pub script: &'static [(&'static str, &'static str)],
    /// The block above the form ([`crate::applicant_forms::ApplicantBlock`]): verified answers locked, profile
    /// button, draft saved (before and after the date), my page link and after it, resume link field label,
    /// hint and button, sign-in link and the sentence after it, the note on answers filled from the account.
    pub block: [&'static str; 12],
    /// A group item's name around its number and unit ("1件目", "Item 1"): `true` puts the unit first.
    pub unit_first: bool,
    /// Around a group item's name after the group's label in the item's legend ("（", "）").
    pub item_paren: [&'static str; 2],
    /// A file already attached: before its name, and around the name on its remove button.
    pub attached: [&'static str; 3],
    /// A photo's place: legend, help, the button that uses the device's position, latitude, longitude.
    pub location: [&'static str; 5],
    /// Notices on the input page: a file removed, an item added, an item removed.
    pub notices: [&'static str; 3],
    /// Message pages: the back link, and the link to sign in.
    pub back: [&'static str; 2],
    /// Message page when the entered answers have expired: heading, text.
    pub expired: [&'static str; 2],
    /// Message page when the application was already sent (or expired): heading, text.
    pub already_sent: [&'static str; 2],
    /// Message page when the capacity was reached while sending: heading, text.
    pub full: [&'static str; 2],
}

impl Words {
    /// A group item's name: its number with the unit ("1件目", "Item 1").
    pub fn item_name(&self, number: impl std::fmt::Display, unit: &str) -> String {
        if self.unit_first {
            format!("{unit} {number}")
        } else {
            format!("{number}{unit}")
        }
    }

    /// The script's messages as JSON, for `data-script-words` (empty for Japanese).
    pub fn script_json(&self) -> String {
        let map: std::collections::BTreeMap<_, _> = self.script.iter().copied().collect();
        serde_json::to_string(&map).expect("words serialise")
    }
}

/// Japanese.
pub static WORDS_JA: Words = Words {
    lang: Lang::Ja,
    skip: "本文へスキップ",
    footer: "madoguchi — 地方公共団体のオンライン窓口",
    site_suffix: " オンライン申請",
    error_title: "エラー: ",
    error_hidden: "エラー:",
    mypage_note: ["申請の状況は", "マイページ", "で確認できます。"],
    applicant_kinds: ["個人", "法人・団体", "※ 個人の方", "※ 法人・団体の方"],
    applicant_names: ["氏名", "氏名（フリガナ）", "法人名", "代表者の職・氏名"],
    name_labels: ["氏名", "フリガナ（カタカナ）"],
    agree: "上記に同意する",
    item: "件目",
    add: ["", "を追加"],
    remove: ["", "を削除"],
    condition_note: ["※ ", "にご記入ください。"],
    answers: ["個人", "法人", "代表者", "同意する", "件", "バイト"],
    script: &[],
    block: [
        "氏名・住所など、マイナンバーカードで確認された項目は自動で入力され、変更できません。",
        "プロフィールの内容を入力する",
        "入力途中の内容を一時保存しました。",
        "まで保存され、その後は削除されます。添付したファイルも一緒に保存されています。",
        "マイページ",
        "の「入力途中の申請」から、別の端末でも続きを入力できます。",
        "続きを入力するためのリンクを送るメールアドレス",
        "リンクは1回だけ使え、24時間有効です。別の端末で開くと続きから入力できます。",
        "続きを入力するためのリンクを送る",
        "ログイン",
        "すると、申請の状況をマイページで確認でき、入力途中の内容を保存して別の端末で続けられます。",
        "メールアドレスと氏名は、ログインしているアカウントの情報から入力しました。違う場合は書き換えてください。",
    ],
    unit_first: false,
    item_paren: ["（", "）"],
    attached: ["添付済み: ", "", "を削除"],
    location: [
        "撮影場所",
        "写真に位置情報があればそれを使います。ない場合は「現在地を使う」か、緯度・経度を入力してください。",
        "現在地を使う",
        "緯度",
        "経度",
    ],
    notices: [
        "添付ファイルを削除しました。",
        "入力欄を追加しました。",
        "入力欄を削除しました。",
    ],
    back: ["戻る", "戻る"],
    expired: [
        "入力内容の有効期限が切れました",
        "お手数ですが、最初から入力してください。",
    ],
    already_sent: [
        "送信済みか、有効期限が切れています",
        "この申請はすでに送信されたか、入力内容の有効期限が切れています。送信済みの場合は受付完了メールをご確認ください。",
    ],
    full: [
        "定員に達しました",
        "申し訳ありません。定員に達したため、この申請は受け付けられませんでした。",
    ],
};
static WORDS_EN: Words = Words {
    lang: Lang::En,
    skip: "Skip to main content",
    footer: "madoguchi — online services of local governments",
    site_suffix: ": online applications",
    error_title: "Error: ",
    error_hidden: "Error:",
    mypage_note: ["You can follow your application on ", "My page", "."],
    applicant_kinds: [
        "Individual",
        "Corporation or organisation",
        "※ Individuals",
        "※ Corporations and organisations",
    ],
    applicant_names: [
        "Full name",
        "Full name in katakana",
        "Name of the corporation or organisation",
        "Title and name of the representative",
    ],
    name_labels: ["Full name", "Full name in katakana"],
    agree: "I agree to the above",
    item: "Item",
    add: ["Add ", ""],
    remove: ["Remove ", ""],
    condition_note: ["※ Fill this in ", "."],
    answers: [
        "Individual",
        "Corporation",
        "Representative",
        "I agree",
        " file(s)",
        "bytes",
    ],
    script: &[
        // Between the names of several chosen files.
        ("、", ", "),
        (
            "郵便番号を7桁の数字で入力してください。",
            "Enter the postcode as 7 digits.",
        ),
        (
            "住所を検索できませんでした。住所を直接入力してください。",
            "We could not look up the address. Please type it in.",
        ),
        (
            "郵便番号に該当する住所が見つかりませんでした",
            "No address was found for this postcode",
        ),
        ("該当する住所", "Address for this postcode"),
        ("住所を入力しました", "Address filled in"),
        (
            "該当する住所（入力済みの住所は変更していません）",
            "Address for this postcode (the address you typed is unchanged)",
        ),
        (
            "位置情報を取得できませんでした。緯度・経度を入力してください。",
            "We could not get your location. Please enter the latitude and longitude.",
        ),
        ("現在地を取得しています…", "Getting your location…"),
        ("現在地を入力しました", "Your location has been filled in"),
    ],
    block: [
        "Your name, address and other details confirmed with your My Number Card are filled in and cannot be changed.",
        "Fill in from my profile",
        "Your answers have been saved. They are kept until ",
        ", then deleted. Any files you attached are saved with them.",
        "My page",
        ": under “Applications you have started” you can continue on another device.",
        "E-mail address to send a link to continue",
        "The link works once, for 24 hours. Open it on another device to continue where you left off.",
        "Send me a link to continue",
        "Sign in",
        " to follow your application on My page, and to save your answers and continue on another device.",
        "Your e-mail address and name have been filled in from your account. Change them if they are not right.",
    ],
    unit_first: true,
    item_paren: [" (", ")"],
    attached: ["Attached: ", "Remove ", ""],
    location: [
        "Where the photo was taken",
        "If the photo records where it was taken, we use that. If not, press \u{201c}Use my current location\u{201d} or enter the latitude and longitude.",
        "Use my current location",
        "Latitude",
        "Longitude",
    ],
    notices: [
        "The file has been removed.",
        "A new item has been added.",
        "The item has been removed.",
    ],
    back: ["Back", "Sign in"],
    expired: [
        "Your answers have expired",
        "Sorry, please fill in the form again from the start.",
    ],
    already_sent: [
        "Already sent, or expired",
        "This application has already been sent, or your answers have expired. If you sent it, please look for the confirmation e-mail.",
    ],
    full: [
        "This procedure is full",
        "Sorry, all places were taken, so we could not accept this application.",
    ],
};
static WORDS_EASY: Words = Words {
    lang: Lang::Easy,
    skip: "ほんぶんへ とぶ",
    footer: "madoguchi — まちや けんの オンラインの まどぐち",
    site_suffix: " オンラインで もうしこみ",
    error_title: "まちがい: ",
    error_hidden: "まちがい:",
    mypage_note: ["もうしこみの ようすは ", "マイページ", "で みられます。"],
    applicant_kinds: [
        "ひとり（こじん）",
        "かいしゃ・だんたい",
        "※ ひとり（こじん）の ひと",
        "※ かいしゃ・だんたいの ひと",
    ],
    applicant_names: [
        "なまえ",
        "なまえ（カタカナ）",
        "かいしゃ・だんたいの なまえ",
        "だいひょうの ひとの やくめと なまえ",
    ],
    name_labels: ["なまえ", "なまえ（カタカナ）"],
    agree: "うえの ことに どういします",
    item: "ばんめ",
    add: ["", "を ふやす"],
    remove: ["", "を けす"],
    condition_note: ["※ ", "は かいて ください。"],
    answers: [
        "ひとり（こじん）",
        "かいしゃ・だんたい",
        "だいひょうの ひと",
        "どういします",
        "こ",
        "バイト",
    ],
    script: &[
        (
            "郵便番号を7桁の数字で入力してください。",
            "ゆうびん ばんごうを 7つの すうじで かいて ください。",
        ),
        (
            "住所を検索できませんでした。住所を直接入力してください。",
            "じゅうしょを さがせませんでした。じゅうしょを じぶんで かいて ください。",
        ),
        (
            "郵便番号に該当する住所が見つかりませんでした",
            "この ゆうびん ばんごうの じゅうしょは みつかりませんでした",
        ),
        ("該当する住所", "この ばんごうの じゅうしょ"),
        ("住所を入力しました", "じゅうしょを いれました"),
        (
            "該当する住所（入力済みの住所は変更していません）",
            "この ばんごうの じゅうしょ（かいた じゅうしょは かえて いません）",
        ),
        (
            "位置情報を取得できませんでした。緯度・経度を入力してください。",
            "ばしょが わかりませんでした。いど・けいどを かいて ください。",
        ),
        (
            "現在地を取得しています…",
            "いま いる ところを しらべて います…",
        ),
        ("現在地を入力しました", "いま いる ところを いれました"),
    ],
    block: [
        "なまえや じゅうしょ など、マイナンバーカードで たしかめた ことは、さいしょから はいって います。かえる ことは できません。",
        "じぶんの じょうほうを いれる",
        "とちゅうまで かいた ことを ほぞんしました。",
        "まで ほぞんします。その あとは けします。つけた ファイルも いっしょに ほぞんして います。",
        "マイページ",
        "の「とちゅうまで かいた もうしこみ」から、べつの きかいでも つづきを かけます。",
        "つづきを かく ための リンクを おくる メールアドレス",
        "リンクは 1かいだけ、24じかん つかえます。べつの きかいで ひらくと、つづきから かけます。",
        "つづきを かく ための リンクを おくる",
        "ログイン",
        "すると、もうしこみの ようすを マイページで みられます。とちゅうまで かいた ものを ほぞんして、べつの きかいで つづきを かく ことも できます。",
        "メールアドレスと なまえは、ログインして いる アカウントから いれました。ちがう ときは かきなおして ください。",
    ],
    unit_first: false,
    item_paren: ["（", "）"],
    attached: ["つけた ファイル: ", "", "を けす"],
    location: [
        "しゃしんを とった ところ",
        "しゃしんに ばしょの じょうほうが あれば、それを つかいます。ない ときは「いま いる ところを つかう」を おすか、いど・けいどを かいて ください。",
        "いま いる ところを つかう",
        "いど",
        "けいど",
    ],
    notices: [
        "ファイルを けしました。",
        "かく ところを ふやしました。",
        "かく ところを けしました。",
    ],
    back: ["もどる", "ログインする"],
    expired: [
        "じかんが すぎました",
        "すみませんが、さいしょから かいて ください。",
    ],
    already_sent: [
        "もう おくったか、じかんが すぎました",
        "この もうしこみは もう おくったか、じかんが すぎました。おくった ときは、うけつけの メールを みて ください。",
    ],
    full: [
        "いっぱいに なりました",
        "すみません。いっぱいに なったので、この もうしこみは うけつけられませんでした。",
    ],
};
/// The words for a language.
pub fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::Ja => &WORDS_JA,
        Lang::En => &WORDS_EN,
        Lang::Easy => &WORDS_EASY,
    }
}
