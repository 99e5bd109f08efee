//! The words of the public FAQ chat in the resident's language (the `madoguchi_lang` cookie shared with the
//! forms and my page). The questions and answers stay as written (Japanese); only the page's own words change.
//! The enhancing script gets the same words, so the chat reads the same with JavaScript on or off.

use madoguchi_kernel::Lang;

/// The chat's words in one language.
#[derive(Debug, serde::Serialize)]
pub struct FaqWords {
    /// The language code.
    pub code: &'static str,
    /// `lang` attribute of the page.
    pub html_lang: &'static str,
    /// Skip link.
    pub skip: &'static str,
    /// Footer.
    pub footer: &'static str,
    /// After the tenant's name in the title and header.
    pub title: &'static str,
    /// See `title`.
    pub site: &'static str,
    /// Heading (page, embedded).
    pub heading: [&'static str; 2],
    /// Hint under the heading.
    pub hint: &'static str,
    /// Label of the conversation.
    pub log: &'static str,
    /// "Your question", "Answer".
    pub you: &'static str,
    /// See `you`.
    pub answer: &'static str,
    /// Heading of the forms an answer links to.
    pub online: &'static str,
    /// Contact box: heading, office, phone, hours.
    pub contact: [&'static str; 4],
    /// Feedback question and its two answers.
    pub feedback: [&'static str; 3],
    /// No answer: two sentences and the button.
    pub none: [&'static str; 3],
    /// After feedback: resolved, unresolved (two sentences), contact.
    pub done: [&'static str; 4],
    /// Related questions (after an answer), the candidates (without a sure answer).
    pub related: [&'static str; 2],
    /// An answer from the prefecture's shared Q&As: before and after the prefecture's name.
    pub from_pref: [&'static str; 2],
    /// Error summary heading and the hidden word before the error.
    pub error: [&'static str; 2],
    /// Question label, placeholder, button.
    pub ask: [&'static str; 3],
    /// After the tenant's name: link to its forms.
    pub forms_link: &'static str,
    /// Script errors: sending feedback failed, no answer, no connection.
    pub failures: [&'static str; 3],
    /// Empty question.
    pub empty: &'static str,
    /// Too long a question: before the limit, between limit and length, after.
    pub too_long: [&'static str; 3],
    /// Label of the language switch.
    pub language: &'static str,
}

static JA: FaqWords = FaqWords {
    code: "ja",
    html_lang: "ja",
    skip: "本文へスキップ",
    footer: "madoguchi — 地方公共団体のオンライン窓口",
    title: " よくある質問（AIチャット）",
    site: " よくある質問",
    heading: ["AIチャットで質問する", "AIに質問する"],
    hint: "知りたいことを文章で入力してください（24時間ご利用いただけます）。電話番号やマイナンバーなどの個人情報は入力しないでください。",
    log: "質問と回答",
    you: "あなたの質問",
    answer: "回答",
    online: "オンラインで手続きできます",
    contact: ["お問い合わせ先", "担当", "電話", "受付時間"],
    feedback: ["この回答で解決しましたか？", "解決した", "解決しなかった"],
    none: [
        "申し訳ありません。ご質問に合う回答が見つかりませんでした。",
        "不確かな回答をお示しするよりも、担当窓口へのお問い合わせをおすすめします。",
        "窓口に問い合わせる",
    ],
    done: [
        "ご利用ありがとうございました。お役に立ててよかったです。",
        "お役に立てず申し訳ありません。いただいたご質問は、回答を充実させるために活用します。",
        "お急ぎの場合は、こちらにお問い合わせください。",
        "お問い合わせ先は次のとおりです。",
    ],
    related: ["関連する質問", "近い内容の質問（回答の候補）"],
    from_pref: ["", "が共同利用で提供しているQ&Aからお答えしています。"],
    error: ["入力内容を確認してください", "エラー:"],
    ask: ["質問", "例: 住民票の写しはどこで取れますか", "質問する"],
    forms_link: " のオンライン申請一覧",
    failures: [
        "送信できませんでした。時間をおいてもう一度お試しください。",
        "回答を取得できませんでした。",
        "通信できませんでした。時間をおいてもう一度お試しください。",
    ],
    empty: "質問を入力してください。",
    too_long: [
        "質問は",
        "文字以内で入力してください（いまは",
        "文字です）。",
    ],
    language: "言語",
};

static EN: FaqWords = FaqWords {
    code: "en",
    html_lang: "en",
    skip: "Skip to main content",
    footer: "madoguchi — online services of local governments",
    title: ": frequently asked questions (AI chat)",
    site: ": frequently asked questions",
    heading: ["Ask the AI chat", "Ask the AI"],
    hint: "Type what you want to know as a sentence (open 24 hours a day). The questions and answers are written in Japanese. Do not enter personal information such as phone numbers or your My Number.",
    log: "Questions and answers",
    you: "Your question",
    answer: "Answer",
    online: "You can do this online",
    contact: ["Contact", "Office", "Phone", "Hours"],
    feedback: [
        "Did this answer help?",
        "Yes, it helped",
        "No, it did not help",
    ],
    none: [
        "Sorry, we could not find an answer to your question.",
        "Rather than give you an answer we are not sure of, we suggest you contact the office in charge.",
        "Contact the office",
    ],
    done: [
        "Thank you. We are glad it helped.",
        "Sorry we could not help. We will use your question to improve our answers.",
        "If it is urgent, please contact us here.",
        "You can contact us here.",
    ],
    related: ["Related questions", "Similar questions (possible answers)"],
    from_pref: [
        "This answer comes from the Q&As shared by ",
        " (the prefecture).",
    ],
    error: ["Check your question", "Error:"],
    ask: [
        "Question",
        "For example: where can I get a copy of my residence certificate?",
        "Ask",
    ],
    forms_link: ": list of online applications",
    failures: [
        "We could not send this. Please wait a while and try again.",
        "We could not get an answer.",
        "We could not connect. Please wait a while and try again.",
    ],
    empty: "Enter your question.",
    too_long: [
        "Your question must be ",
        " characters or fewer (it is ",
        " now).",
    ],
    language: "Language",
};

static EASY: FaqWords = FaqWords {
    code: "ja-easy",
    html_lang: "ja",
    skip: "ほんぶんへ とぶ",
    footer: "madoguchi — まちや けんの オンラインの まどぐち",
    title: " よく ある しつもん（AIチャット）",
    site: " よく ある しつもん",
    heading: ["AIチャットで きく", "AIに きく"],
    hint: "しりたい ことを ぶんで かいて ください（いつでも つかえます）。でんわばんごうや マイナンバーなど、じぶんの ことは かかないで ください。",
    log: "しつもんと こたえ",
    you: "あなたの しつもん",
    answer: "こたえ",
    online: "オンラインで てつづきが できます",
    contact: ["といあわせ", "たんとう", "でんわ", "じかん"],
    feedback: [
        "この こたえで わかりましたか？",
        "わかった",
        "わからなかった",
    ],
    none: [
        "ごめんなさい。しつもんに あう こたえが みつかりませんでした。",
        "たんとうの まどぐちに きいて ください。",
        "まどぐちに きく",
    ],
    done: [
        "ありがとうございました。",
        "ごめんなさい。あなたの しつもんは、こたえを よく する ために つかいます。",
        "いそぐ ときは、ここに きいて ください。",
        "ここに きいて ください。",
    ],
    related: ["ちかい しつもん", "にて いる しつもん"],
    from_pref: ["この こたえは ", "の こたえです。"],
    error: ["かいた ことを たしかめて ください", "まちがい:"],
    ask: [
        "しつもん",
        "れい: じゅうみんひょうは どこで もらえますか",
        "きく",
    ],
    forms_link: " の オンライン もうしこみ いちらん",
    failures: [
        "おくれませんでした。すこし まってから、もう いちど して ください。",
        "こたえを もらえませんでした。",
        "つながりませんでした。すこし まってから、もう いちど して ください。",
    ],
    empty: "しつもんを かいて ください。",
    too_long: [
        "しつもんは ",
        "もじまでで かいて ください（いまは ",
        "もじ です）。",
    ],
    language: "ことば",
};

/// The words in a language.
pub fn words(lang: Lang) -> &'static FaqWords {
    match lang {
        Lang::Ja => &JA,
        Lang::En => &EN,
        Lang::Easy => &EASY,
    }
}

impl FaqWords {
    /// The words as JSON for the enhancing script.
    pub fn json(&self) -> String {
        serde_json::to_string(self).expect("words serialise")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_has_no_japanese_and_japanese_errors_are_unchanged() {
        let json = words(Lang::En).json();
        assert!(
            !json
                .chars()
                .any(|c| matches!(c as u32, 0x3040..=0x30FF | 0x4E00..=0x9FFF)),
            "{json}"
        );
        assert_eq!(
            crate::ask::check_query(" ").unwrap_err(),
            "質問を入力してください。"
        );
        let long = "あ".repeat(crate::ask::MAX_QUERY + 1);
        assert_eq!(
            crate::ask::check_query(&long).unwrap_err(),
            "質問は400文字以内で入力してください（いまは401文字です）。"
        );
        assert_eq!(
            crate::ask::check_query_in(&long, words(Lang::En)).unwrap_err(),
            "Your question must be 400 characters or fewer (it is 401 now)."
        );
    }
}
