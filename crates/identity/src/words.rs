//! The words of my page and sign-in in the resident's language (the `madoguchi_lang` cookie that the form
//! pages, the FAQ and the language switch set). Pages not listed here are still Japanese only.

use madoguchi_kernel::Lang;

/// My page and sign-in words in one language.
#[derive(Debug)]
pub struct MyWords {
    /// The language.
    pub lang: Lang,
    /// `lang` attribute of the page.
    pub html_lang: &'static str,
    /// Header: site name.
    pub site_name: &'static str,
    /// Label of the menu.
    pub nav_label: &'static str,
    /// Menu: applications, profile, notification settings.
    pub nav: [&'static str; 3],
    /// Sign-out button.
    pub logout: &'static str,
    /// Skip link.
    pub skip: &'static str,
    /// Footer.
    pub footer: &'static str,
    /// Before the title of a page with errors.
    pub error_title: &'static str,
    /// Hidden before a field's error.
    pub error_hidden: &'static str,
    /// Required badge.
    pub required: &'static str,
    /// Label of the language switch.
    pub language: &'static str,
    /// Home: heading.
    pub home_heading: &'static str,
    /// Home: before and after the applicant's name.
    pub greeting: [&'static str; 2],
    /// Home: after the name of a verified applicant.
    pub verified: &'static str,
    /// Home: applications heading, none yet, table caption.
    pub apps: [&'static str; 3],
    /// Home: columns (receipt number, procedure, sent to, sent at, status, last change).
    pub columns: [&'static str; 6],
    /// Home: drafts heading and none.
    pub drafts: [&'static str; 2],
    /// Home: claiming past applications — found heading, the text before the address, after it, after the
    /// count, the list's label, the button; the heading, text and link of adding one by receipt number.
    pub claim: [&'static str; 9],
    /// Home: after a draft's expiry time.
    pub kept_until: &'static str,
    /// Home: continue / delete a draft, around its title.
    pub resume: [&'static str; 2],
    /// See `resume`.
    pub delete: [&'static str; 2],
    /// Sign-in: heading, lead.
    pub login: [&'static str; 2],
    /// Sign-in: error summary heading.
    pub login_error: &'static str,
    /// Sign-in: OpenID Connect heading and note.
    pub login_oidc: [&'static str; 2],
    /// Sign-in: mail heading, note, field label, button.
    pub login_mail: [&'static str; 4],
    /// Sign-in: the address is not one.
    pub bad_email: &'static str,
    /// Sign-in: no address typed.
    pub no_email: &'static str,
    /// Sign-in: too many links.
    pub too_many_links: &'static str,
    /// Link sent: heading, then the message before and after the address and after the minutes.
    pub link_sent: [&'static str; 4],
    /// Confirm link page: error heading, button.
    pub confirm: [&'static str; 2],
    /// Confirm link page (same browser): before and after the masked address.
    pub confirm_same: [&'static str; 2],
    /// Confirm link page (other browser): before and after the masked address.
    pub confirm_other: [&'static str; 2],
    /// Sign-in mail: subject, then the body before and after the minutes, and its end.
    pub login_mail_text: [&'static str; 4],
}

/// Japanese.
pub static JA: MyWords = MyWords {
    lang: Lang::Ja,
    html_lang: "ja",
    site_name: "マイページ",
    nav_label: "マイページのメニュー",
    nav: ["申請一覧", "プロフィール", "お知らせの設定"],
    logout: "ログアウト",
    skip: "本文へスキップ",
    footer: "madoguchi — 地方公共団体のオンライン窓口",
    error_title: "エラー: ",
    error_hidden: "エラー:",
    required: "必須",
    language: "言語",
    home_heading: "マイページ",
    greeting: ["", " さん"],
    verified: "（マイナンバーカードで本人確認済み）",
    apps: ["申請一覧", "まだ申請はありません。", "申請一覧（新しい順）"],
    columns: [
        "受付番号",
        "手続き",
        "申請先",
        "申請日時",
        "状況",
        "最終更新",
    ],
    drafts: ["入力途中の申請", "一時保存した申請はありません。"],
    claim: [
        "あなたの申請かもしれません",
        "ログインに使ったメールアドレス（",
        "）が入力された、まだマイページにない申請が",
        "件見つかりました。あなたの申請であれば、マイページに追加できます。",
        "見つかった申請",
        "見つかった申請を追加する",
        "以前の申請を追加する",
        "ログインする前に送った申請や、ログインせずに送った申請は、受付番号と、その申請のメールアドレスに届く確認コードで追加できます。",
        "受付番号で申請を追加する",
    ],
    kept_until: "まで保存されます。",
    resume: ["「", "」の続きを入力する"],
    delete: ["「", "」の入力内容を削除する"],
    login: [
        "マイページにログイン",
        "ログインすると、申請の状況や担当者からのメッセージをマイページで確認でき、入力途中の申請を保存して別の端末で続けられます。ログインしなくても申請はできます。",
    ],
    login_error: "送信できませんでした",
    login_oidc: [
        "マイナンバーカードなどでログイン",
        "本人確認済みの氏名・住所が申請フォームに自動で入力されます。",
    ],
    login_mail: [
        "メールアドレスでログイン",
        "パスワードは不要です。入力したメールアドレスにログイン用のリンクをお送りします。",
        "メールアドレス",
        "ログイン用のリンクを送る",
    ],
    bad_email: "メールアドレスを正しい形式で入力してください（例: taro@example.jp）。",
    no_email: "メールアドレスを入力してください。",
    too_many_links: "短い間に何度もリンクを送ったため、しばらく送信できません。15分ほど待ってからお試しください。",
    link_sent: [
        "メールを送信しました",
        "",
        " にログイン用のリンクを送りました。メールのリンクを開いてください。リンクは1回だけ、",
        "分間有効です。このブラウザで開くと、すぐにログインできます。",
    ],
    confirm: ["ログインできませんでした", "ログインする"],
    confirm_same: [
        "",
        " のアカウントにログインします。ご自身のメールアドレスでない場合は、ボタンを押さずにこの画面を閉じてください。",
    ],
    confirm_other: [
        "このリンクは、別のブラウザまたは別の端末で申し込まれたものです。",
        " のアカウントにログインするには、そのメールアドレスをすべて入力してください。ご自身で申し込んだ覚えがない場合や、他の人から送られてきたリンクの場合は、入力せずにこの画面を閉じてください。",
    ],
    login_mail_text: [
        "【ログイン】マイページへのログイン用リンク",
        "次のリンクを開いてください。リンクは1回だけ、",
        "分間有効です。",
        "お心当たりがない場合は、このメールを破棄してください。\nこのメールは送信専用です。\n",
    ],
};

static EN: MyWords = MyWords {
    lang: Lang::En,
    html_lang: "en",
    site_name: "My page",
    nav_label: "My page menu",
    nav: ["Your applications", "Profile", "Notification settings"],
    logout: "Sign out",
    skip: "Skip to main content",
    footer: "madoguchi — online services of local governments",
    error_title: "Error: ",
    error_hidden: "Error:",
    required: "Required",
    language: "Language",
    home_heading: "My page",
    greeting: ["Signed in as ", ""],
    verified: " (identity verified with a My Number Card)",
    apps: [
        "Your applications",
        "You have not sent any applications yet.",
        "Your applications, newest first",
    ],
    columns: [
        "Receipt number",
        "Procedure",
        "Sent to",
        "Sent on",
        "Status",
        "Last change",
    ],
    drafts: [
        "Applications you have started",
        "You have no saved applications.",
    ],
    claim: [
        "These may be your applications",
        "We found applications not yet on My page in which the address you signed in with (",
        ") was entered: ",
        ". If they are yours, you can add them to My page.",
        "Applications found",
        "Add the applications found",
        "Add an earlier application",
        "Applications you sent before signing in, or without signing in, can be added with their receipt number and a code we send to the e-mail address on the application.",
        "Add an application by its receipt number",
    ],
    kept_until: " is when it will be deleted.",
    resume: ["Continue \u{201c}", "\u{201d}"],
    delete: ["Delete your answers to \u{201c}", "\u{201d}"],
    login: [
        "Sign in to My page",
        "When you sign in, you can follow your applications and read messages from the office on My page, and save an application to finish it later on another device. You can apply without signing in.",
    ],
    login_error: "We could not send it",
    login_oidc: [
        "Sign in with a My Number Card or similar",
        "Your verified name and address are filled in on application forms.",
    ],
    login_mail: [
        "Sign in with your e-mail address",
        "No password is needed. We will send a sign-in link to the address you enter.",
        "E-mail address",
        "Send me a sign-in link",
    ],
    bad_email: "Enter your e-mail address in the correct format, like taro@example.jp.",
    no_email: "Enter your e-mail address.",
    too_many_links: "You asked for many links in a short time, so we cannot send another one now. Please wait about 15 minutes and try again.",
    link_sent: [
        "We have sent you an e-mail",
        "We have sent a sign-in link to ",
        ". Open the link in the e-mail. It works once, for ",
        " minutes. If you open it in this browser, you are signed in at once.",
    ],
    confirm: ["We could not sign you in", "Sign in"],
    confirm_same: [
        "You are signing in to the account of ",
        ". If this is not your e-mail address, close this page without pressing the button.",
    ],
    confirm_other: [
        "This link was asked for in another browser or on another device. To sign in to the account of ",
        ", enter that e-mail address in full. If you did not ask for it, or someone else sent you this link, close this page without entering anything.",
    ],
    login_mail_text: [
        "[Sign in] Your link to My page",
        "Open the link below. It works once, for ",
        " minutes.",
        "If you did not ask for this, please delete this e-mail.\nThis is an automatic message; replies are not read.\n",
    ],
};

static EASY: MyWords = MyWords {
    lang: Lang::Easy,
    html_lang: "ja",
    site_name: "マイページ",
    nav_label: "マイページの メニュー",
    nav: [
        "もうしこみの いちらん",
        "じぶんの じょうほう",
        "おしらせの せってい",
    ],
    logout: "ログアウト",
    skip: "ほんぶんへ とぶ",
    footer: "madoguchi — まちや けんの オンラインの まどぐち",
    error_title: "まちがい: ",
    error_hidden: "まちがい:",
    required: "かならず かく",
    language: "ことば",
    home_heading: "マイページ",
    greeting: ["", " さん"],
    verified: "（マイナンバーカードで ほんにんだと たしかめました）",
    apps: [
        "もうしこみの いちらん",
        "まだ もうしこみは ありません。",
        "もうしこみの いちらん（あたらしい じゅん）",
    ],
    columns: [
        "うけつけ ばんごう",
        "てつづき",
        "もうしこんだ ところ",
        "もうしこんだ ひ",
        "いまの ようす",
        "さいごに かわった ひ",
    ],
    drafts: [
        "とちゅうまで かいた もうしこみ",
        "ほぞんした もうしこみは ありません。",
    ],
    claim: [
        "あなたの もうしこみ かもしれません",
        "ログインに つかった メールアドレス（",
        "）を かいた、まだ マイページに ない もうしこみが ",
        "こ ありました。あなたの もうしこみなら、マイページに いれられます。",
        "みつかった もうしこみ",
        "みつかった もうしこみを いれる",
        "まえの もうしこみを いれる",
        "ログインする まえや、ログインしないで おくった もうしこみは、うけつけ ばんごうと、その もうしこみの メールアドレスに とどく コードで いれられます。",
        "うけつけ ばんごうで もうしこみを いれる",
    ],
    kept_until: "まで ほぞんします。",
    resume: ["「", "」の つづきを かく"],
    delete: ["「", "」に かいた ことを けす"],
    login: [
        "マイページに ログイン",
        "ログインすると、もうしこみの ようすや、たんとうの ひとからの メッセージを みる ことが できます。とちゅうまで かいた もうしこみを ほぞんして、べつの きかいで つづきを かく ことも できます。ログインしなくても もうしこめます。",
    ],
    login_error: "おくれませんでした",
    login_oidc: [
        "マイナンバーカード などで ログイン",
        "たしかめた なまえと じゅうしょが、もうしこみに はいります。",
    ],
    login_mail: [
        "メールアドレスで ログイン",
        "パスワードは いりません。かいた メールアドレスに、ログインする ための リンクを おくります。",
        "メールアドレス",
        "ログインの リンクを おくる",
    ],
    bad_email: "メールアドレスの かきかたが ちがいます（れい: taro@example.jp）。",
    no_email: "メールアドレスを かいて ください。",
    too_many_links: "みじかい じかんに なんども リンクを おくったので、いまは おくれません。15ふんぐらい まってから、もう いちど して ください。",
    link_sent: [
        "メールを おくりました",
        "",
        " に ログインの リンクを おくりました。メールの リンクを ひらいて ください。リンクは 1かいだけ、",
        "ふんの あいだ つかえます。",
    ],
    confirm: ["ログイン できませんでした", "ログインする"],
    confirm_same: [
        "",
        " で ログインします。じぶんの メールアドレスで なければ、ボタンを おさないで、この がめんを とじて ください。",
    ],
    confirm_other: [
        "この リンクは、べつの ブラウザか べつの きかいで たのまれた ものです。",
        " で ログインするには、その メールアドレスを ぜんぶ かいて ください。じぶんで たのんで いない ときや、ほかの ひとから おくられた リンクの ときは、なにも かかないで この がめんを とじて ください。",
    ],
    login_mail_text: [
        "【ログイン】マイページに ログインする リンク",
        "したの リンクを ひらいて ください。リンクは 1かいだけ、",
        "ふんの あいだ つかえます。",
        "じぶんで たのんで いない ときは、この メールを すてて ください。\nこの メールに へんじを しないで ください。\n",
    ],
};

/// The words in a language.
pub fn words(lang: Lang) -> &'static MyWords {
    match lang {
        Lang::Ja => &JA,
        Lang::En => &EN,
        Lang::Easy => &EASY,
    }
}

/// The words for the language this browser chose.
pub fn chosen(headers: &axum::http::HeaderMap) -> &'static MyWords {
    words(madoguchi_kernel::web::chosen_lang(headers))
}

impl MyWords {
    /// A status as the resident reads it in this language.
    pub fn status(&self, status: &madoguchi_applications::submissions::Status) -> &'static str {
        status.label_in(self.lang)
    }

    /// The message after a link was sent to `email`, valid for `minutes`.
    pub fn link_sent_message(&self, email: &str, minutes: i64) -> String {
        let [_, before, middle, after] = self.link_sent;
        format!("{before}{email}{middle}{minutes}{after}")
    }

    /// A notice after a redirect (`?notice=`), empty when unknown.
    pub fn notice(&self, key: &str) -> &'static str {
        match (self.lang, key) {
            (Lang::Ja, _) => "",
            (Lang::En, "message") => "Your message has been sent.",
            (Lang::Easy, "message") => "メッセージを おくりました。",
            (Lang::En, "profile") => "Your profile has been saved.",
            (Lang::Easy, "profile") => "じぶんの じょうほうを ほぞんしました。",
            (Lang::En, "notifications") => "Your notification settings have been saved.",
            (Lang::Easy, "notifications") => "おしらせの せっていを ほぞんしました。",
            (Lang::En, "draft_deleted") => "Your saved application has been deleted.",
            (Lang::Easy, "draft_deleted") => "とちゅうまで かいた もうしこみを けしました。",
            (Lang::En, "withdrawn") => "Your application has been withdrawn.",
            (Lang::Easy, "withdrawn") => "もうしこみを とりさげました。",
            (Lang::En, "resubmitted") => {
                "Your corrected application has been sent. The receipt number stays the same."
            }
            (Lang::Easy, "resubmitted") => {
                "なおした もうしこみを おくりました。うけつけ ばんごうは おなじです。"
            }
            _ => "",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_words_have_no_japanese_script() {
        let w = words(Lang::En);
        let all = format!("{w:?}");
        assert!(
            !all.chars()
                .any(|c| matches!(c as u32, 0x3040..=0x30FF | 0x4E00..=0x9FFF)),
            "{all}"
        );
    }
}
