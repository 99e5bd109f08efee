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
    /// A sign-in link used or expired: heading, text, link to the sign-in page.
    pub link_gone_login: [&'static str; 3],
    /// A resume link used or expired: heading, text, link to the top page.
    pub link_gone_resume: [&'static str; 3],
    /// The typed address differs from the link's: heading, text, link to the sign-in page.
    pub wrong_address: [&'static str; 3],
    /// OpenID Connect sign-in cancelled: heading, text, link to the sign-in page.
    pub oidc_failed: [&'static str; 3],
    /// Resume link asked for with a bad address: heading, text.
    pub resume_bad_email: [&'static str; 2],
    /// Heading of a "please wait" page (too many mails).
    pub wait: &'static str,
    /// Resume link sent: heading, then the text before the address, after it, after the hours, after the date.
    pub resume_sent: [&'static str; 5],
    /// Link back to the form being filled in.
    pub back_to_form: &'static str,
    /// The resume link's confirmation page: heading, text, button.
    pub resume_confirm: [&'static str; 3],
    /// Application page: back to the list.
    pub back_to_list: &'static str,
    /// Application page: heading of a refused action.
    pub action_error: &'static str,
    /// Application page, returned for changes: heading, text when no part is named, button (also on the
    /// correction page).
    pub returned: [&'static str; 3],
    /// Application page: the print link.
    pub print_link: &'static str,
    /// Issued documents: heading, download link before and after the title, verify link before and after the
    /// number.
    pub documents: [&'static str; 5],
    /// Issued documents: valid, revoked, superseded.
    pub document_states: [&'static str; 3],
    /// Issued documents: waiting for the fee, revoked (before the reason), superseded.
    pub document_notes: [&'static str; 3],
    /// Heading of the answers ("申請内容").
    pub answers_heading: &'static str,
    /// Changes after resubmission: heading, before and after the time, "before", "after".
    pub revisions: [&'static str; 5],
    /// History heading.
    pub history_heading: &'static str,
    /// History: received, you, the office, a message from you, a message from the office.
    pub events: [&'static str; 5],
    /// History: the notes the service writes itself (withdrawn by the applicant, corrected and sent again),
    /// as stored (Japanese), then as shown.
    pub event_notes: [(&'static str, &'static str); 2],
    /// Message to the office: heading, field label, button.
    pub message_form: [&'static str; 3],
    /// Withdrawal: heading, text, button.
    pub withdraw: [&'static str; 3],
    /// Correction page: heading, back to the application, heading of the parts asked for, note.
    pub correction: [&'static str; 4],
    /// Error summary heading, before and after the count.
    pub errors_count: [&'static str; 2],
    /// Profile: heading, verified heading, verified text, form heading, form text.
    pub profile: [&'static str; 5],
    /// Profile: the verified name, address, date of birth.
    pub profile_verified: [&'static str; 3],
    /// Profile: name, furigana, postal code, address, phone.
    pub profile_labels: [&'static str; 5],
    /// Save button.
    pub save: &'static str,
    /// A profile item too long: after the label and after the number of characters.
    pub too_long: [&'static str; 2],
    /// Notification settings: heading, error heading, text, address label.
    pub notifications: [&'static str; 4],
    /// Notification settings: legend, on receipt, on a status change, on a message.
    pub notify_kinds: [&'static str; 4],
    /// Notification settings: the address is not one.
    pub notify_bad_email: &'static str,
    /// Print view: title before the receipt number, back link, hint, "form" label, before and after the
    /// version number.
    pub print: [&'static str; 6],
    /// Brackets around an aside ("（", "）"; " (", ")" in English).
    pub paren: [&'static str; 2],
    /// Claim by receipt number: back to my page, error heading, text before / in / after the strong part,
    /// receipt help, send button, code sent (before the receipt number, after it, after the digits, after
    /// the minutes), hint, code label before and after the digits, add button, send again.
    pub claim_page: [&'static str; 16],
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
    link_gone_login: [
        "このリンクは使えません",
        "ログイン用のリンクは有効期限が切れたか、すでに使われています。もう一度ログイン用のリンクを送ってください。",
        "ログイン画面へ",
    ],
    link_gone_resume: [
        "このリンクは使えません",
        "続きを入力するためのリンクは有効期限が切れたか、すでに使われています。入力途中の内容が削除された可能性もあります。",
        "トップページへ",
    ],
    wrong_address: [
        "メールアドレスが一致しません",
        "入力されたメールアドレスは、このリンクの送り先と一致しません。安全のため、このリンクは使えなくなりました。ご自身のメールアドレスで、もう一度ログイン用のリンクを送ってください。",
        "ログイン画面へ",
    ],
    oidc_failed: [
        "ログインできませんでした",
        "認証が取り消されたか、完了しませんでした。もう一度お試しください。",
        "ログイン画面へ",
    ],
    resume_bad_email: [
        "メールアドレスを確認してください",
        "続きを入力するためのリンクを送るメールアドレスを、正しい形式で入力してください（例: taro@example.jp）。",
    ],
    wait: "しばらくお待ちください",
    resume_sent: [
        "メールを送信しました",
        "",
        " に、続きを入力するためのリンクを送りました。リンクは1回だけ、",
        "時間有効です。入力途中の内容は",
        "まで保存されます。",
    ],
    back_to_form: "入力画面に戻る",
    resume_confirm: [
        "入力の続きを行う",
        "下のボタンを押すと、一時保存した内容（添付ファイルを含む）を開きます。このリンクは1回だけ使えます。",
        "続きを入力する",
    ],
    back_to_list: "申請一覧に戻る",
    action_error: "操作できませんでした",
    returned: [
        "修正をお願いします（差戻し）",
        "担当者からのメッセージを確認し、申請内容を修正して再提出してください。",
        "修正して再提出する",
    ],
    print_link: "申請内容を印刷する（PDFとして保存できます）",
    documents: [
        "交付された文書",
        "",
        "をダウンロード（PDF、電子公印付き）",
        "",
        "の真正性を確認する",
    ],
    document_states: ["有効", "取消し", "再交付により失効"],
    document_notes: [
        "手数料の納付を確認した後にダウンロードできます。",
        "取り消されました",
        "再交付された文書をご利用ください。",
    ],
    answers_heading: "申請内容",
    revisions: [
        "修正の履歴",
        "",
        " の再提出で変わった項目",
        "修正前",
        "修正後",
    ],
    history_heading: "状況の履歴とメッセージ",
    events: [
        "申請を受け付けました",
        "あなた",
        "担当者",
        "あなたからのメッセージ",
        "担当者からのメッセージ",
    ],
    event_notes: [
        ("申請者が取り下げました", "申請者が取り下げました"),
        (
            "申請者が修正して再提出しました",
            "申請者が修正して再提出しました",
        ),
    ],
    message_form: [
        "担当者へのメッセージ",
        "メッセージ（2000文字以内）",
        "メッセージを送る",
    ],
    withdraw: [
        "申請の取下げ",
        "審査の結果が出る前であれば、申請を取り下げられます。取り下げた申請は元に戻せません。",
        "この申請を取り下げる",
    ],
    correction: [
        "申請内容の修正",
        "申請の詳細に戻る",
        "担当者から修正を依頼された項目",
        "修正できるのは依頼された項目だけです。ほかの項目は申請したときの内容のまま再提出されます。受付番号は変わりません。",
    ],
    errors_count: ["入力内容に", "件の誤りがあります"],
    profile: [
        "プロフィール",
        "本人確認済みの情報",
        "マイナンバーカードで確認された情報です。申請フォームに自動で入力され、変更できません。",
        "申請フォームに入力する情報",
        "申請フォームを開くと、氏名とメールアドレスは自動で入力されます（入力済みの内容は変わりません）。ほかの項目は、申請フォームで「プロフィールの内容を入力する」を選んだときに入力されます。",
    ],
    profile_verified: ["氏名", "住所", "生年月日"],
    profile_labels: ["氏名", "フリガナ", "郵便番号", "住所", "電話番号"],
    save: "保存する",
    too_long: ["は", "文字以内で入力してください。"],
    notifications: [
        "お知らせの設定",
        "保存できませんでした",
        "お知らせのメールには、受付番号とマイページへのリンクだけが書かれます。氏名や申請の内容は書かれません。",
        "お知らせを受け取るメールアドレス",
    ],
    notify_kinds: [
        "受け取るお知らせ",
        "申請を受け付けたとき",
        "申請の状況が変わったとき（差戻し・承認など）",
        "担当者からメッセージが届いたとき",
    ],
    notify_bad_email: "お知らせを受け取るメールアドレスを正しい形式で入力してください（例: taro@example.jp）。",
    print: [
        "申請内容 受付番号 ",
        "申請の詳細に戻る",
        "（ブラウザの印刷機能で印刷またはPDFとして保存できます）",
        "様式",
        "第",
        "版",
    ],
    paren: ["（", "）"],
    claim_page: [
        "マイページに戻る",
        "申請を追加できませんでした",
        "ログインする前に送った申請や、ログインせずに送った申請を、マイページに追加できます。受付番号を入力すると、",
        "その申請に入力されたメールアドレス",
        "に確認コードを送ります。",
        "申請の完了画面や受付のメールに書かれています（例: 20261203-7KQ4M9XW）。",
        "確認コードを送る",
        "受付番号 ",
        " の申請にメールアドレスが入力されていれば、そのアドレスに",
        "桁の確認コードを送りました。",
        "分以内に入力してください。",
        "メールが届かない場合は、受付番号を確かめてから、もう一度確認コードを送ってください。メールアドレスを入力せずに送った申請は、この方法では追加できません。担当課にお問い合わせください。",
        "確認コード（",
        "桁の数字）",
        "申請を追加する",
        "確認コードをもう一度送る",
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
    link_gone_login: [
        "This link cannot be used",
        "The sign-in link has expired or has already been used. Please ask for a new sign-in link.",
        "Go to sign in",
    ],
    link_gone_resume: [
        "This link cannot be used",
        "The link to continue your application has expired or has already been used. Your saved answers may also have been deleted.",
        "Go to the top page",
    ],
    wrong_address: [
        "The e-mail address does not match",
        "The address you entered is not the one this link was sent to. To keep your account safe, this link can no longer be used. Please ask for a new sign-in link with your own e-mail address.",
        "Go to sign in",
    ],
    oidc_failed: [
        "We could not sign you in",
        "Signing in was cancelled or did not finish. Please try again.",
        "Go to sign in",
    ],
    resume_bad_email: [
        "Check the e-mail address",
        "Enter the e-mail address to send the link to in the correct format, like taro@example.jp.",
    ],
    wait: "Please wait a moment",
    resume_sent: [
        "We have sent you an e-mail",
        "We have sent a link to continue your application to ",
        ". The link works once, for ",
        " hours. Your answers are kept until ",
        ".",
    ],
    back_to_form: "Back to the form",
    resume_confirm: [
        "Continue your application",
        "Press the button below to open the answers you saved (with any attached files). This link works once.",
        "Continue",
    ],
    back_to_list: "Back to your applications",
    action_error: "We could not do that",
    returned: [
        "Please make changes (returned to you)",
        "Read the message from the office, change your answers and send the application again.",
        "Make changes and send again",
    ],
    print_link: "Print your application (or save it as a PDF)",
    documents: [
        "Documents issued to you",
        "Download ",
        " (PDF, with the electronic official seal)",
        "Check that ",
        " is genuine",
    ],
    document_states: ["valid", "revoked", "replaced by a reissued document"],
    document_notes: [
        "You can download it once we have confirmed the fee payment.",
        "Revoked",
        "Please use the reissued document.",
    ],
    answers_heading: "Your answers",
    revisions: [
        "Changes you made",
        "Answers changed when you sent it again on ",
        "",
        "Before",
        "After",
    ],
    history_heading: "Status history and messages",
    events: [
        "We received your application",
        "You",
        "The office",
        "Your message",
        "Message from the office",
    ],
    event_notes: [
        ("申請者が取り下げました", "withdrawn by you"),
        (
            "申請者が修正して再提出しました",
            "changed and sent again by you",
        ),
    ],
    message_form: [
        "Send a message to the office",
        "Message (up to 2,000 characters)",
        "Send message",
    ],
    withdraw: [
        "Withdraw your application",
        "You can withdraw your application until a decision is made. A withdrawn application cannot be restored.",
        "Withdraw this application",
    ],
    correction: [
        "Change your application",
        "Back to your application",
        "What the office asked you to change",
        "You can only change what you were asked to. Everything else is sent again as it was. The receipt number stays the same.",
    ],
    errors_count: ["There are ", " problems with your answers"],
    profile: [
        "Profile",
        "Details confirmed with your My Number Card",
        "These details were confirmed with your My Number Card. They are filled in on application forms and cannot be changed.",
        "Details to fill in on application forms",
        "When you open an application form, your name and e-mail address are filled in (anything you typed stays). Other details are filled in when you choose \u{201c}Fill in from my profile\u{201d} on the form.",
    ],
    profile_verified: ["Name", "Address", "Date of birth"],
    profile_labels: [
        "Full name",
        "Full name in katakana",
        "Postcode",
        "Address",
        "Phone number",
    ],
    save: "Save",
    too_long: [" must be ", " characters or fewer."],
    notifications: [
        "Notification settings",
        "We could not save your settings",
        "Notification e-mails only contain the receipt number and a link to My page. They never contain your name or your answers.",
        "E-mail address for notifications",
    ],
    notify_kinds: [
        "Notifications to receive",
        "When we receive your application",
        "When the status of an application changes (returned, approved and so on)",
        "When the office sends you a message",
    ],
    notify_bad_email: "Enter the e-mail address for notifications in the correct format, like taro@example.jp.",
    print: [
        "Your application, receipt number ",
        "Back to your application",
        " (use your browser\u{2019}s print function to print it or save it as a PDF)",
        "Form",
        "Version ",
        "",
    ],
    paren: [" (", ")"],
    claim_page: [
        "Back to My page",
        "We could not add the application",
        "You can add applications you sent before signing in, or without signing in, to My page. Enter the receipt number and we will send a code to ",
        "the e-mail address entered on that application",
        ".",
        "You can find it on the completion page or in the confirmation e-mail (for example 20261203-7KQ4M9XW).",
        "Send a code",
        "If an e-mail address was entered on the application with receipt number ",
        ", we have sent a code of ",
        " digits to it. Enter it within ",
        " minutes.",
        "If no e-mail arrives, check the receipt number and send a new code. An application sent without an e-mail address cannot be added this way; please contact the office in charge.",
        "Code (",
        " digits)",
        "Add the application",
        "Send a new code",
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
    link_gone_login: [
        "この リンクは つかえません",
        "ログインの リンクは じかんが すぎたか、もう つかいました。もう いちど ログインの リンクを おくって ください。",
        "ログインの がめんへ",
    ],
    link_gone_resume: [
        "この リンクは つかえません",
        "つづきを かく リンクは じかんが すぎたか、もう つかいました。とちゅうまで かいた ことも けされたかも しれません。",
        "さいしょの がめんへ",
    ],
    wrong_address: [
        "メールアドレスが ちがいます",
        "かいた メールアドレスは、この リンクを おくった アドレスと ちがいます。あんぜんの ため、この リンクは もう つかえません。じぶんの メールアドレスで、もう いちど ログインの リンクを おくって ください。",
        "ログインの がめんへ",
    ],
    oidc_failed: [
        "ログイン できませんでした",
        "ログインが とちゅうで おわりました。もう いちど して ください。",
        "ログインの がめんへ",
    ],
    resume_bad_email: [
        "メールアドレスを たしかめて ください",
        "リンクを おくる メールアドレスを ただしく かいて ください（れい: taro@example.jp）。",
    ],
    wait: "すこし まって ください",
    resume_sent: [
        "メールを おくりました",
        "",
        " に、つづきを かく ための リンクを おくりました。リンクは 1かいだけ、",
        "じかん つかえます。とちゅうまで かいた ことは ",
        " まで ほぞんします。",
    ],
    back_to_form: "かく がめんに もどる",
    resume_confirm: [
        "つづきを かく",
        "したの ボタンを おすと、ほぞんした こと（ファイルも）を ひらきます。この リンクは 1かいだけ つかえます。",
        "つづきを かく",
    ],
    back_to_list: "もうしこみの いちらんに もどる",
    action_error: "できませんでした",
    returned: [
        "なおして ください",
        "たんとうの ひとからの メッセージを よんで、もうしこみを なおして、もう いちど おくって ください。",
        "なおして もう いちど おくる",
    ],
    print_link: "もうしこみを いんさつする（PDFにも できます）",
    documents: [
        "もらった ぶんしょ",
        "",
        "を ダウンロードする（PDF）",
        "",
        "が ほんものか たしかめる",
    ],
    document_states: [
        "つかえます",
        "とりけしました",
        "あたらしい ぶんしょに かわりました",
    ],
    document_notes: [
        "おかねを はらった ことが わかったら、ダウンロードできます。",
        "とりけしました",
        "あたらしい ぶんしょを つかって ください。",
    ],
    answers_heading: "もうしこんだ こと",
    revisions: [
        "なおした こと",
        "",
        " に なおして かわった ところ",
        "まえ",
        "あと",
    ],
    history_heading: "ようすと メッセージ",
    events: [
        "もうしこみを うけつけました",
        "あなた",
        "たんとうの ひと",
        "あなたからの メッセージ",
        "たんとうの ひとからの メッセージ",
    ],
    event_notes: [
        ("申請者が取り下げました", "あなたが とりさげました"),
        (
            "申請者が修正して再提出しました",
            "あなたが なおして おくりました",
        ),
    ],
    message_form: [
        "たんとうの ひとへ メッセージ",
        "メッセージ（2000もじまで）",
        "メッセージを おくる",
    ],
    withdraw: [
        "もうしこみを とりさげる",
        "けっかが でる まえなら、もうしこみを とりさげられます。とりさげた もうしこみは もとに もどせません。",
        "この もうしこみを とりさげる",
    ],
    correction: [
        "もうしこみを なおす",
        "もうしこみに もどる",
        "なおして ほしい ところ",
        "なおせるのは、たのまれた ところだけです。ほかの ところは そのまま おくります。うけつけ ばんごうは かわりません。",
    ],
    errors_count: ["まちがいが ", "こ あります"],
    profile: [
        "じぶんの じょうほう",
        "マイナンバーカードで たしかめた こと",
        "マイナンバーカードで たしかめた ことです。もうしこみに さいしょから はいります。かえる ことは できません。",
        "もうしこみに いれる こと",
        "もうしこみを ひらくと、なまえと メールアドレスが はいります（かいた ことは かわりません）。ほかの ことは、もうしこみで「じぶんの じょうほうを いれる」を おすと はいります。",
    ],
    profile_verified: ["なまえ", "じゅうしょ", "うまれた ひ"],
    profile_labels: [
        "なまえ",
        "なまえ（カタカナ）",
        "ゆうびん ばんごう",
        "じゅうしょ",
        "でんわ ばんごう",
    ],
    save: "ほぞんする",
    too_long: ["は ", "もじまでに して ください。"],
    notifications: [
        "おしらせの せってい",
        "ほぞん できませんでした",
        "おしらせの メールには、うけつけ ばんごうと マイページの リンクだけを かきます。なまえや もうしこんだ ことは かきません。",
        "おしらせを うけとる メールアドレス",
    ],
    notify_kinds: [
        "うけとる おしらせ",
        "もうしこみを うけつけた とき",
        "もうしこみの ようすが かわった とき（なおして ください、みとめました など）",
        "たんとうの ひとから メッセージが きた とき",
    ],
    notify_bad_email: "おしらせを うけとる メールアドレスを ただしく かいて ください（れい: taro@example.jp）。",
    print: [
        "もうしこんだ こと うけつけ ばんごう ",
        "もうしこみに もどる",
        "（ブラウザで いんさつ するか、PDFに できます）",
        "ようしき",
        "",
        "ばんめ",
    ],
    paren: ["（", "）"],
    claim_page: [
        "マイページに もどる",
        "もうしこみを いれられませんでした",
        "ログインする まえや、ログインしないで おくった もうしこみを、マイページに いれられます。うけつけ ばんごうを かくと、",
        "その もうしこみに かいた メールアドレス",
        "に コードを おくります。",
        "もうしこみが おわった がめんや、うけつけの メールに かいて あります（れい: 20261203-7KQ4M9XW）。",
        "コードを おくる",
        "うけつけ ばんごう ",
        " の もうしこみに メールアドレスが かいて あれば、その アドレスに ",
        "つの すうじの コードを おくりました。",
        "ふんの うちに かいて ください。",
        "メールが こない ときは、うけつけ ばんごうを たしかめて、もう いちど コードを おくって ください。メールアドレスを かかないで おくった もうしこみは、この やりかたでは いれられません。たんとうの ところに きいて ください。",
        "コード（",
        "つの すうじ）",
        "もうしこみを いれる",
        "コードを もう いちど おくる",
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
        Notice::parse(key).map(|n| n.text(self.lang)).unwrap_or("")
    }

    /// A date and time as this language writes it (English `3 Dec 2026, 16:39`).
    pub fn datetime(&self, ms: i64) -> String {
        madoguchi_kernel::time::display_datetime_in(ms, self.lang)
    }

    /// "{label} must be at most {max} characters" for a profile item.
    pub fn too_long_message(&self, label: &str, max: usize) -> String {
        let [after_label, after_max] = self.too_long;
        format!("{label}{after_label}{max}{after_max}")
    }

    /// The heading of an error summary with `n` problems.
    pub fn errors_heading(&self, n: usize) -> String {
        format!("{}{n}{}", self.errors_count[0], self.errors_count[1])
    }

    /// A history note the service wrote itself (stored in Japanese), in this language; a note staff wrote
    /// stays as written.
    pub fn event_note<'a>(&self, body: &'a str) -> &'a str {
        self.event_notes
            .iter()
            .find(|(stored, _)| *stored == body)
            .map(|(_, shown)| *shown)
            .unwrap_or(body)
    }

    /// An issued document's state and the note beside it.
    pub fn document_state(
        &self,
        d: &madoguchi_issuance::applicant::ApplicantDocument,
    ) -> (&'static str, String) {
        let [valid, revoked, superseded] = self.document_states;
        let [fee, revoked_note, superseded_note] = self.document_notes;
        match (d.state.as_str(), d.released) {
            ("valid", true) => (valid, String::new()),
            ("valid", false) => (valid, fee.to_string()),
            ("revoked", _) if d.revoked_reason.is_empty() => (revoked, revoked_note.to_string()),
            ("revoked", _) => (revoked, format!("{revoked_note}（{}）", d.revoked_reason)),
            ("superseded", _) => (superseded, superseded_note.to_string()),
            _ => ("", String::new()),
        }
    }
}

/// The notices my page shows after a redirect (`?notice=`), in every language (no fallback arm).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// The application was withdrawn.
    Withdrawn,
    /// A message was sent.
    Message,
    /// The corrected application was sent again.
    Resubmitted,
    /// A draft was deleted.
    DraftDeleted,
    /// The profile was saved.
    Profile,
    /// The notification settings were saved.
    Notifications,
    /// An application was added by its receipt number.
    Claimed,
    /// Applications found by the sign-in address were added.
    ClaimedMail,
    /// None could be added.
    ClaimedNone,
    /// The application was already on my page.
    AlreadyYours,
}

impl Notice {
    /// Every notice.
    pub const ALL: [Notice; 10] = [
        Notice::Withdrawn,
        Notice::Message,
        Notice::Resubmitted,
        Notice::DraftDeleted,
        Notice::Profile,
        Notice::Notifications,
        Notice::Claimed,
        Notice::ClaimedMail,
        Notice::ClaimedNone,
        Notice::AlreadyYours,
    ];

    /// The notice named in the query, if any.
    pub fn parse(key: &str) -> Option<Notice> {
        Some(match key {
            "withdrawn" => Notice::Withdrawn,
            "message" => Notice::Message,
            "resubmitted" => Notice::Resubmitted,
            "draft_deleted" => Notice::DraftDeleted,
            "profile" => Notice::Profile,
            "notifications" => Notice::Notifications,
            "claimed" => Notice::Claimed,
            "claimed_mail" => Notice::ClaimedMail,
            "claimed_none" => Notice::ClaimedNone,
            "already_yours" => Notice::AlreadyYours,
            _ => return None,
        })
    }

    /// The notice in `lang`.
    pub fn text(self, lang: Lang) -> &'static str {
        use Notice::*;
        match (self, lang) {
            (Withdrawn, Lang::Ja) => "申請を取り下げました。",
            (Withdrawn, Lang::En) => "Your application has been withdrawn.",
            (Withdrawn, Lang::Easy) => "もうしこみを とりさげました。",
            (Message, Lang::Ja) => "メッセージを送信しました。",
            (Message, Lang::En) => "Your message has been sent.",
            (Message, Lang::Easy) => "メッセージを おくりました。",
            (Resubmitted, Lang::Ja) => "修正した内容で再提出しました。受付番号は変わりません。",
            (Resubmitted, Lang::En) => {
                "Your corrected application has been sent. The receipt number stays the same."
            }
            (Resubmitted, Lang::Easy) => {
                "なおした もうしこみを おくりました。うけつけ ばんごうは おなじです。"
            }
            (DraftDeleted, Lang::Ja) => "入力途中の申請を削除しました。",
            (DraftDeleted, Lang::En) => "Your saved application has been deleted.",
            (DraftDeleted, Lang::Easy) => "とちゅうまで かいた もうしこみを けしました。",
            (Profile, Lang::Ja) => "プロフィールを保存しました。",
            (Profile, Lang::En) => "Your profile has been saved.",
            (Profile, Lang::Easy) => "じぶんの じょうほうを ほぞんしました。",
            (Notifications, Lang::Ja) => "お知らせの設定を保存しました。",
            (Notifications, Lang::En) => "Your notification settings have been saved.",
            (Notifications, Lang::Easy) => "おしらせの せっていを ほぞんしました。",
            (Claimed, Lang::Ja) => "申請をマイページに追加しました。",
            (Claimed, Lang::En) => "The application has been added to My page.",
            (Claimed, Lang::Easy) => "もうしこみを マイページに いれました。",
            (ClaimedMail, Lang::Ja) => "見つかった申請をマイページに追加しました。",
            (ClaimedMail, Lang::En) => "The applications found have been added to My page.",
            (ClaimedMail, Lang::Easy) => "みつかった もうしこみを マイページに いれました。",
            (ClaimedNone, Lang::Ja) => "追加できる申請はありませんでした。",
            (ClaimedNone, Lang::En) => "There were no applications to add.",
            (ClaimedNone, Lang::Easy) => "いれられる もうしこみは ありませんでした。",
            (AlreadyYours, Lang::Ja) => "この申請はすでにマイページにあります。",
            (AlreadyYours, Lang::En) => "This application is already on My page.",
            (AlreadyYours, Lang::Easy) => "この もうしこみは もう マイページに あります。",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_words_have_no_japanese_script() {
        let w = words(Lang::En);
        // The stored Japanese notes are looked up, not shown.
        let all = format!("{w:?}")
            .replace("申請者が取り下げました", "")
            .replace("申請者が修正して再提出しました", "");
        let notices: String = Notice::ALL.iter().map(|n| n.text(Lang::En)).collect();
        let all = all + &notices;
        assert!(
            !all.chars()
                .any(|c| matches!(c as u32, 0x3040..=0x30FF | 0x4E00..=0x9FFF)),
            "{all}"
        );
    }

    #[test]
    fn easy_words_have_no_kanji() {
        let w = words(Lang::Easy);
        let all = format!("{w:?}")
            .replace("申請者が取り下げました", "")
            .replace("申請者が修正して再提出しました", "");
        let notices: String = Notice::ALL.iter().map(|n| n.text(Lang::Easy)).collect();
        let all = all + &notices;
        let kanji: String = all
            .chars()
            .filter(|c| matches!(*c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF))
            .collect();
        assert!(kanji.is_empty(), "{kanji}");
    }
}
