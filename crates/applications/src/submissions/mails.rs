//! The mails a resident receives about an application, in the language they applied in (ADR 0013). Japanese
//! mails are those the service has always sent; the department's notices stay Japanese (staff read them).

use super::{ApplicantNotice, Status, applicant_notice};
use madoguchi_forms::Lang;
use madoguchi_kernel::mail::SendMail;

/// A notice to a signed-in applicant in `lang`: the receipt number and a link to my page, nothing else (the
/// mail may be read by others).
pub fn applicant_notice_in(
    lang: Lang,
    to: String,
    kind: ApplicantNotice,
    receipt: &str,
    public_url: &str,
) -> SendMail {
    let (subject, news) = match (lang, kind) {
        (Lang::Ja, _) => return applicant_notice(to, kind, receipt, public_url),
        (Lang::En, ApplicantNotice::Receipt) => ("Application received", "we have received it"),
        (Lang::En, ApplicantNotice::Status) => ("Status update", "its status has changed"),
        (Lang::En, ApplicantNotice::Message) => (
            "Message from the office",
            "the person in charge has sent you a message",
        ),
        (Lang::Easy, ApplicantNotice::Receipt) => ("うけつけました", "もうしこみを うけつけました"),
        (Lang::Easy, ApplicantNotice::Status) => {
            ("いまの ようす", "もうしこみの ようすが かわりました")
        }
        (Lang::Easy, ApplicantNotice::Message) => (
            "たんとうの ひとから",
            "たんとうの ひとから メッセージが あります",
        ),
    };
    match lang {
        Lang::En => SendMail {
            to,
            subject: format!("[{subject}] Receipt number {receipt}"),
            body: format!(
                "About your application with receipt number {receipt}: {news}.\n\
                 Please read the details on My page.\n\n{public_url}/mypage\n\n\
                 This is an automatic message; replies are not read. You can change which notices you receive on My page.\n"
            ),
        },
        _ => SendMail {
            to,
            subject: format!("【{subject}】うけつけ ばんごう {receipt}"),
            body: format!(
                "うけつけ ばんごう {receipt} の もうしこみに ついて: {news}。\n\
                 くわしい ことは マイページで みて ください。\n\n{public_url}/mypage\n\n\
                 この メールに へんじを しないで ください。おしらせの せっていは マイページで かえられます。\n"
            ),
        },
    }
}

/// The receipt mail to a resident without an account, at the address they gave. `title` is the form's title
/// in `lang`; the mail says how to follow the application on my page (`public_url`/mypage).
pub fn receipt_mail(
    lang: Lang,
    to: String,
    title: &str,
    receipt: &str,
    tenant_name: &str,
    tenant_url: &str,
    public_url: &str,
) -> SendMail {
    match lang {
        Lang::Ja => SendMail {
            to,
            subject: format!("【受付完了】{title}（受付番号 {receipt}）"),
            body: format!(
                "{title} の申請を受け付けました。\n\n受付番号: {receipt}\n\nお問い合わせの際は受付番号をお知らせください。\n\
                 マイページ（{public_url}/mypage）にログインしてこの受付番号の申請を追加すると、状況をいつでも確認できます。\n\
                 このメールは送信専用です。\n\n{tenant_name}\n{tenant_url}\n"
            ),
        },
        Lang::En => SendMail {
            to,
            subject: format!("[Application received] {title} (receipt number {receipt})"),
            body: format!(
                "We have received your application: {title}.\n\nReceipt number: {receipt}\n\n\
                 Please give this receipt number when you contact us.\n\
                 Sign in to My page ({public_url}/mypage) and add this receipt number to follow the application there.\n\
                 This is an automatic message; replies are not read.\n\n{tenant_name}\n{tenant_url}\n"
            ),
        },
        Lang::Easy => SendMail {
            to,
            subject: format!("【うけつけました】{title}（うけつけ ばんごう {receipt}）"),
            body: format!(
                "{title} の もうしこみを うけつけました。\n\nうけつけ ばんごう: {receipt}\n\n\
                 といあわせる ときは、この ばんごうを いって ください。\n\
                 マイページ（{public_url}/mypage）に はいって、この ばんごうを いれると、いつでも ようすを みられます。\n\
                 この メールに へんじを しないで ください。\n\n{tenant_name}\n{tenant_url}\n"
            ),
        },
    }
}

/// The status notice to a resident without an account.
pub fn status_mail(
    lang: Lang,
    to: String,
    receipt: &str,
    status: Status,
    public_url: &str,
) -> SendMail {
    let label = status.label_in(lang);
    match lang {
        Lang::Ja => SendMail {
            to,
            subject: format!("【状況のお知らせ】受付番号 {receipt} は「{label}」になりました"),
            body: format!(
                "受付番号 {receipt} の申請の状況が「{label}」になりました。\n詳しくは、担当課からの連絡をお待ちください。\n\
                 マイページにログインしてこの受付番号の申請を追加すると、マイページでも状況を確認できます。\n\n{public_url}/mypage\n"
            ),
        },
        Lang::En => SendMail {
            to,
            subject: format!("[Status update] Receipt number {receipt}: {label}"),
            body: format!(
                "The status of your application with receipt number {receipt} is now \"{label}\".\n\
                 The office in charge will contact you with details; you can also check My page.\n\n{public_url}\n"
            ),
        },
        Lang::Easy => SendMail {
            to,
            subject: format!("【いまの ようす】うけつけ ばんごう {receipt}: {label}"),
            body: format!(
                "うけつけ ばんごう {receipt} の もうしこみは、いま「{label}」です。\n\
                 くわしい ことは、たんとうの ひとからの れんらくか、マイページで みて ください。\n\n{public_url}\n"
            ),
        },
    }
}

impl Status {
    /// The status as a resident reads it in `lang` (Japanese: [`Status::label`]).
    pub fn label_in(self, lang: Lang) -> &'static str {
        match lang {
            Lang::Ja => self.label(),
            Lang::En => match self {
                Status::Received => "Received",
                Status::InReview => "Under review",
                Status::Returned => "Returned for changes",
                Status::Approved => "Approved",
                Status::Rejected => "Not approved",
                Status::Done => "Completed",
                Status::Withdrawn => "Withdrawn",
            },
            Lang::Easy => match self {
                Status::Received => "うけつけました",
                Status::InReview => "しらべて います",
                Status::Returned => "なおして ください",
                Status::Approved => "みとめました",
                Status::Rejected => "みとめられませんでした",
                Status::Done => "おわりました",
                Status::Withdrawn => "とりさげました",
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn japanese(s: &str) -> bool {
        s.chars()
            .any(|c| matches!(c as u32, 0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF))
    }

    #[test]
    fn english_mails_carry_no_japanese_but_names_and_easy_ones_no_kanji() {
        let kanji = |s: &str| s.chars().any(|c| matches!(c as u32, 0x4E00..=0x9FFF));
        for kind in [
            ApplicantNotice::Receipt,
            ApplicantNotice::Status,
            ApplicantNotice::Message,
        ] {
            let m = applicant_notice_in(Lang::En, "a@example.jp".into(), kind, "R1", "https://x");
            assert!(!japanese(&m.subject) && !japanese(&m.body), "{m:?}");
            let m = applicant_notice_in(Lang::Easy, "a@example.jp".into(), kind, "R1", "https://x");
            assert!(!kanji(&m.subject) && !kanji(&m.body), "{m:?}");
        }
        for s in Status::ALL {
            let m = status_mail(Lang::En, "a@example.jp".into(), "R1", s, "https://x");
            assert!(!japanese(&m.subject) && !japanese(&m.body), "{m:?}");
            assert!(!kanji(s.label_in(Lang::Easy)));
            let ja = status_mail(Lang::Ja, "a@example.jp".into(), "R1", s, "https://x");
            assert!(ja.subject.contains(s.label()));
        }
        let m = receipt_mail(
            Lang::En,
            "a@example.jp".into(),
            "Grant",
            "R1",
            "高知県",
            "https://x/t/kochi",
            "https://x",
        );
        assert!(!japanese(&m.body.replace("高知県", "")));
    }
}
