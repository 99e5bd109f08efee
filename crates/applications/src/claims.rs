//! Claiming applications sent before signing in (申請の追加, issue 24, ADR 0021).
//!
//! A resident who applied without an account, or before signing in, may add those applications to their my
//! page in two ways, and both end in the one operation that links an application to an applicant, [`link`]:
//!
//! - **By the proven sign-in address** ([`found_by_mail`], [`claim_by_mail`]): applications not linked to anyone
//!   whose mail address (case-folded as `identity::MailAddress` folds it) is the account's sign-in address. That
//!   address was proven by a one-time link sent to it; the notification address, which anyone may type, never
//!   counts. The resident sees what was found and adds it with one button.
//! - **By receipt number and a one-time code** ([`request_code`], [`confirm_code`]): the code goes to the mail
//!   address given ON the application — never to the account's — so only whoever reads that mailbox can link
//!   it. Codes are stored hashed, bound to the account that asked and to the application, expire after
//!   [`CODE_MINUTES`], take at most [`CODE_ATTEMPTS`] tries and work once; asking and trying are rate-limited
//!   per account and per receipt number. The answer to a request is the same for an unknown receipt number, an
//!   application without a mail address and one linked to someone else, and so is every failed confirmation.
//!
//! An application linked to an applicant is never moved to another: [`link`] only fills an empty link.

use madoguchi_kernel::ids::token_hash;
use madoguchi_kernel::jobs::enqueue_in;
use madoguchi_kernel::mail::SendMail;
use madoguchi_kernel::ratelimit::{self, Rule};
use madoguchi_kernel::{AppError, Applicant, Ctx, Db, now_ms};
use sqlx::Row;

/// How long a claim code works.
pub const CODE_MINUTES: i64 = 15;
/// How many times one code may be typed in (right or wrong) before it is spent.
pub const CODE_ATTEMPTS: i64 = 5;
/// Digits of a claim code.
pub const CODE_DIGITS: usize = 6;
/// Most applications found (and added with one button) at a time by the sign-in address.
pub const MAX_FOUND: i64 = 50;
/// Longest text accepted as a receipt number or code before it is even normalised (bound before work).
const MAX_TYPED: usize = 64;

/// A receipt number (受付番号) as typed: full-width characters, spaces, lower case and dash look-alikes are
/// accepted and normalised to the stored form `20261203-7KQ4M9XW`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptNumber(String);

impl ReceiptNumber {
    /// Parses a typed receipt number; `None` when it does not have the shape of one.
    pub fn parse(text: &str) -> Option<ReceiptNumber> {
        use unicode_normalization::UnicodeNormalization;
        if text.len() > MAX_TYPED * 4 || text.chars().count() > MAX_TYPED {
            return None;
        }
        let t: String = text
            .nfkc()
            .filter(|c| !c.is_whitespace())
            .map(|c| match c {
                'ー' | '−' | '‐' | '‑' | '–' | '—' | '―' => '-',
                c => c.to_ascii_uppercase(),
            })
            .collect();
        let ok = madoguchi_kernel::ids::looks_like_receipt(&t)
            && t[9..]
                .bytes()
                .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase());
        ok.then_some(ReceiptNumber(t))
    }

    /// The normalised number.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A mail address folded as the sign-in address is (`identity::MailAddress`: NFKC, checked, ASCII lower case).
fn folded_address(text: &str) -> Option<String> {
    madoguchi_forms::validate::normalize_email(text).map(|e| e.to_ascii_lowercase())
}

/// How an application came to be linked (written to the audit log).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimPath {
    /// The account's sign-in address, proven by a one-time link, is the address on the application.
    ProvenAddress,
    /// The receipt number and a code mailed to the address on the application.
    ReceiptCode,
}

impl ClaimPath {
    fn as_str(self) -> &'static str {
        match self {
            ClaimPath::ProvenAddress => "proven_address",
            ClaimPath::ReceiptCode => "receipt_code",
        }
    }
}

/// Links an application that no applicant has yet to `applicant`, inside the caller's transaction, and writes
/// the audit entry. `false` when it is linked already (to anyone, this applicant included): a linked
/// application is never moved. The one operation both claim paths end in.
pub async fn link(
    conn: &mut sqlx::AnyConnection,
    applicant: &Applicant,
    submission_id: i64,
    path: ClaimPath,
) -> Result<bool, AppError> {
    let n = sqlx::query(
        "UPDATE submissions SET applicant_id = $1 WHERE id = $2 AND applicant_id IS NULL",
    )
    .bind(applicant.id)
    .bind(submission_id)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if n != 1 {
        return Ok(false);
    }
    let tenant_id: i64 = sqlx::query_scalar("SELECT tenant_id FROM submissions WHERE id = $1")
        .bind(submission_id)
        .fetch_one(&mut *conn)
        .await?;
    madoguchi_kernel::audit::record_applicant_in(
        conn,
        tenant_id,
        madoguchi_kernel::audit::Action::ApplicantClaim,
        &format!("submission:{submission_id}"),
        &format!("applicant:{} {}", applicant.id, path.as_str()),
    )
    .await?;
    Ok(true)
}

/// An application found for the applicant but not yet on their my page.
#[derive(Debug, Clone)]
pub struct Found {
    /// Submission id.
    pub id: i64,
    /// 受付番号.
    pub receipt_number: String,
    /// The form's definition as it was when submitted (its title in a language: [`Found::title_in`]).
    pub definition: String,
    /// The tenant it went to.
    pub tenant_name: String,
    /// Submitted at (epoch ms).
    pub submitted_at: i64,
}

impl Found {
    /// The procedure's title in `lang` where the form was translated, else in Japanese.
    pub fn title_in(&self, lang: madoguchi_forms::Lang) -> String {
        crate::applicant_cases::title_in(&self.definition, lang)
    }
}

/// The applicant's proven sign-in address, folded; `None` for accounts without one (OpenID Connect only).
fn proven_address(applicant: &Applicant) -> Option<String> {
    applicant.email.as_deref().and_then(folded_address)
}

async fn unlinked_with_address(
    conn: &mut sqlx::AnyConnection,
    address: &str,
) -> Result<Vec<Found>, AppError> {
    let rows = sqlx::query(
        "SELECT s.id, s.receipt_number, s.submitted_at, s.applicant_email, v.definition, t.name AS tenant_name
         FROM submissions s JOIN form_versions v ON v.id = s.form_version_id JOIN tenants t ON t.id = s.tenant_id
         WHERE s.applicant_id IS NULL AND lower(s.applicant_email) = $1
         ORDER BY s.submitted_at DESC, s.id DESC LIMIT $2",
    )
    .bind(address)
    .bind(MAX_FOUND)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        // The database's lower() may fold more than ASCII; the address must fold exactly as the sign-in one.
        let email: Option<String> = r.try_get("applicant_email")?;
        if email.as_deref().and_then(folded_address).as_deref() != Some(address) {
            continue;
        }
        let def: String = r.try_get("definition")?;
        out.push(Found {
            id: r.try_get("id")?,
            receipt_number: r.try_get("receipt_number")?,
            definition: def,
            tenant_name: r.try_get("tenant_name")?,
            submitted_at: r.try_get("submitted_at")?,
        });
    }
    Ok(out)
}

/// Applications no applicant has whose mail address is the applicant's proven sign-in address, newest first
/// (at most [`MAX_FOUND`]). Empty for an account without a proven address.
pub async fn found_by_mail(db: &Db, applicant: &Applicant) -> Result<Vec<Found>, AppError> {
    let Some(address) = proven_address(applicant) else {
        return Ok(Vec::new());
    };
    let mut conn = db.read.acquire().await?;
    unlinked_with_address(&mut conn, &address).await
}

/// Adds to the applicant's my page every application [`found_by_mail`] finds (at most [`MAX_FOUND`] at a
/// time); returns how many were added.
pub async fn claim_by_mail(db: &Db, applicant: &Applicant) -> Result<usize, AppError> {
    let Some(address) = proven_address(applicant) else {
        return Ok(0);
    };
    let mut tx = db.write.begin().await?;
    let found = unlinked_with_address(&mut tx, &address).await?;
    let mut added = 0;
    for f in found {
        if link(&mut tx, applicant, f.id, ClaimPath::ProvenAddress).await? {
            added += 1;
        }
    }
    tx.commit().await?;
    Ok(added)
}

/// Why a claim by receipt number did not go ahead (each shown to the resident in Japanese).
#[derive(Debug)]
pub enum ClaimError {
    /// The session was not started in the browser that proved the account (a sign-in link opened elsewhere,
    /// possibly sent by someone else to sign this browser into their account): it may not gain applications.
    NotProven,
    /// The receipt number does not have the shape of one.
    ReceiptFormat,
    /// The code is empty or not six digits.
    CodeFormat,
    /// Wrong, expired, used or spent code, or no code for this receipt number: one answer for all.
    CodeRefused,
    /// A rate limit was reached.
    Limited(AppError),
    /// The database failed.
    Db(AppError),
}

impl ClaimError {
    /// The message for the resident in Japanese, and the field it belongs to (`receipt`, `code` or none).
    pub fn message(&self) -> (&'static str, String) {
        self.message_in(madoguchi_forms::Lang::Ja)
    }

    /// The message for the resident in `lang`, and the field it belongs to (`receipt`, `code` or none). Every
    /// refusal has every language (no fallback arm); a rate limit's own message is the kernel's.
    pub fn message_in(&self, lang: madoguchi_forms::Lang) -> (&'static str, String) {
        use madoguchi_forms::Lang::{Easy, En, Ja};
        match (self, lang) {
            (ClaimError::NotProven, Ja) => (
                "",
                "受付番号で申請を追加するには、このブラウザでログイン用のリンクを申し込み、届いたリンクをこのブラウザで開いてログインし直してください。".into(),
            ),
            (ClaimError::NotProven, En) => (
                "",
                "To add an application by its receipt number, ask for a sign-in link in this browser, then open the link you receive in this browser to sign in again.".into(),
            ),
            (ClaimError::NotProven, Easy) => (
                "",
                "うけつけ ばんごうで もうしこみを いれるには、この ブラウザで ログインの リンクを たのんで、とどいた リンクを この ブラウザで ひらいて、もう いちど ログインして ください。".into(),
            ),
            (ClaimError::ReceiptFormat, Ja) => (
                "receipt",
                "受付番号は「20261203-7KQ4M9XW」のように、8桁の数字、ハイフン、8文字の英数字で入力してください。".into(),
            ),
            (ClaimError::ReceiptFormat, En) => (
                "receipt",
                "Enter the receipt number as 8 digits, a hyphen and 8 letters or digits, like 20261203-7KQ4M9XW.".into(),
            ),
            (ClaimError::ReceiptFormat, Easy) => (
                "receipt",
                "うけつけ ばんごうは「20261203-7KQ4M9XW」のように、すうじ 8つ、ハイフン、えいご と すうじ 8つで かいて ください。".into(),
            ),
            (ClaimError::CodeFormat, Ja) => (
                "code",
                format!("確認コードは、メールに書かれた{CODE_DIGITS}桁の数字で入力してください。"),
            ),
            (ClaimError::CodeFormat, En) => (
                "code",
                format!("Enter the {CODE_DIGITS}-digit code from the e-mail."),
            ),
            (ClaimError::CodeFormat, Easy) => (
                "code",
                format!("メールに かいて ある {CODE_DIGITS}つの すうじを かいて ください。"),
            ),
            (ClaimError::CodeRefused, Ja) => (
                "code",
                format!(
                    "確認コードが正しくないか、有効期限が切れています。メールに書かれた{CODE_DIGITS}桁の数字を入力してください。メールが届かない場合や、{CODE_ATTEMPTS}回続けて間違えた場合は、もう一度確認コードを送ってください。"
                ),
            ),
            (ClaimError::CodeRefused, En) => (
                "code",
                format!(
                    "The code is wrong or has expired. Enter the {CODE_DIGITS}-digit code from the e-mail. If no e-mail arrives, or after {CODE_ATTEMPTS} wrong tries, send a new code."
                ),
            ),
            (ClaimError::CodeRefused, Easy) => (
                "code",
                format!(
                    "コードが ちがうか、じかんが すぎました。メールに かいて ある {CODE_DIGITS}つの すうじを かいて ください。メールが こない ときや、{CODE_ATTEMPTS}かい まちがえた ときは、もう いちど コードを おくって ください。"
                ),
            ),
            (ClaimError::Limited(AppError::TooManyRequests {
                rule,
                retry_after_secs,
            }), lang) => ("", rule.message_in(lang, *retry_after_secs)),
            (ClaimError::Limited(e), _) => ("", e.public_message()),
            (ClaimError::Db(_), Ja) => ("", "処理できませんでした。".into()),
            (ClaimError::Db(_), En) => ("", "Something went wrong. Please try again.".into()),
            (ClaimError::Db(_), Easy) => ("", "うまく できませんでした。".into()),
        }
    }
}

impl From<AppError> for ClaimError {
    fn from(e: AppError) -> Self {
        match e {
            e @ AppError::TooManyRequests { .. } => ClaimError::Limited(e),
            e => ClaimError::Db(e),
        }
    }
}

impl From<sqlx::Error> for ClaimError {
    fn from(e: sqlx::Error) -> Self {
        ClaimError::Db(e.into())
    }
}

/// What became of a request for a claim code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CodeRequest {
    /// A code was mailed if the receipt number names an application with a mail address that no other
    /// applicant has — the resident is told exactly that, whichever it was.
    MaybeSent,
    /// The application is on this applicant's my page already (its id).
    AlreadyYours(i64),
}

fn code_hash(submission_id: i64, applicant_id: i64, code: &str) -> String {
    token_hash(&format!("claim:{submission_id}:{applicant_id}:{code}"))
}

/// The mail carrying a claim code: the code and what it is for, nothing about the application.
pub fn code_mail(to: String, receipt: &str, code: &str) -> SendMail {
    SendMail {
        to,
        subject: "【確認コード】申請をマイページに追加するための確認コード".into(),
        body: format!(
            "受付番号 {receipt} の申請をマイページに追加するための確認コードをお知らせします。\n\n\
             確認コード: {code}\n\n\
             マイページの「受付番号で申請を追加する」の画面で、{CODE_MINUTES}分以内に入力してください。\n\
             お心当たりがない場合は、このメールを破棄してください。確認コードを入力しない限り、申請が他の人のマイページに追加されることはありません。\n\
             このメールは送信専用です。\n"
        ),
    }
}

/// Mails a one-time claim code to the address on the application with this receipt number, for `applicant`.
/// `browser_proven`: the session was started in the browser that proved the account (see
/// `kernel::applicants::session_is_browser_proven`). Counted per account and per receipt number, whether the
/// number exists or not; an earlier code of this account for the application stops working.
pub async fn request_code(
    ctx: &Ctx,
    applicant: &Applicant,
    browser_proven: bool,
    receipt: &str,
) -> Result<CodeRequest, ClaimError> {
    if !browser_proven {
        return Err(ClaimError::NotProven);
    }
    let receipt = ReceiptNumber::parse(receipt).ok_or(ClaimError::ReceiptFormat)?;
    ratelimit::enforce(ctx, Rule::ClaimCodePerApplicant, &applicant.id.to_string()).await?;
    ratelimit::enforce(ctx, Rule::ClaimCodePerReceipt, receipt.as_str()).await?;
    let row = sqlx::query(
        "SELECT id, applicant_id, applicant_email FROM submissions WHERE receipt_number = $1",
    )
    .bind(receipt.as_str())
    .fetch_optional(&ctx.db.read)
    .await?;
    let Some(row) = row else {
        return Ok(CodeRequest::MaybeSent);
    };
    let id: i64 = row.try_get("id")?;
    let owner: Option<i64> = row.try_get("applicant_id")?;
    let email: Option<String> = row.try_get("applicant_email")?;
    match owner {
        Some(o) if o == applicant.id => return Ok(CodeRequest::AlreadyYours(id)),
        Some(_) => return Ok(CodeRequest::MaybeSent),
        None => {}
    }
    let Some(to) = email.filter(|e| folded_address(e).is_some()) else {
        return Ok(CodeRequest::MaybeSent);
    };
    let code: String = {
        use rand::Rng;
        let mut rng = rand::thread_rng();
        (0..CODE_DIGITS)
            .map(|_| char::from(b'0' + rng.gen_range(0..10u8)))
            .collect()
    };
    let now = now_ms();
    let mut tx = ctx.db.write.begin().await?;
    // Only the newest code works.
    sqlx::query(
        "UPDATE applicant_claim_codes SET used_at = $1
         WHERE applicant_id = $2 AND submission_id = $3 AND used_at IS NULL",
    )
    .bind(now)
    .bind(applicant.id)
    .bind(id)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO applicant_claim_codes (applicant_id, submission_id, code_hash, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(applicant.id)
    .bind(id)
    .bind(code_hash(id, applicant.id, &code))
    .bind(now)
    .bind(now + CODE_MINUTES * 60_000)
    .execute(&mut *tx)
    .await?;
    enqueue_in(&mut tx, &code_mail(to, receipt.as_str(), &code)).await?;
    tx.commit().await?;
    ctx.jobs_wake.notify_one();
    Ok(CodeRequest::MaybeSent)
}

fn parse_code(text: &str) -> Option<String> {
    if text.len() > MAX_TYPED * 4 {
        return None;
    }
    let digits = madoguchi_japanese::digits::to_ascii_digits(text);
    let code: String = digits.chars().filter(|c| !c.is_whitespace()).collect();
    (code.len() == CODE_DIGITS && code.bytes().all(|b| b.is_ascii_digit())).then_some(code)
}

/// Uses a claim code: links the application with this receipt number to `applicant` when the code is the one
/// mailed for it to this account, live, unused and within its attempts. Returns the application's id.
pub async fn confirm_code(
    ctx: &Ctx,
    applicant: &Applicant,
    browser_proven: bool,
    receipt: &str,
    code: &str,
) -> Result<i64, ClaimError> {
    if !browser_proven {
        return Err(ClaimError::NotProven);
    }
    let receipt = ReceiptNumber::parse(receipt).ok_or(ClaimError::ReceiptFormat)?;
    let code = parse_code(code).ok_or(ClaimError::CodeFormat)?;
    ratelimit::enforce(
        ctx,
        Rule::ClaimAttemptPerApplicant,
        &applicant.id.to_string(),
    )
    .await?;
    let now = now_ms();
    let row = sqlx::query(
        "SELECT c.id, c.submission_id, c.code_hash FROM applicant_claim_codes c
         JOIN submissions s ON s.id = c.submission_id
         WHERE c.applicant_id = $1 AND s.receipt_number = $2 AND c.used_at IS NULL AND c.expires_at > $3
           AND c.attempts < $4
         ORDER BY c.id DESC LIMIT 1",
    )
    .bind(applicant.id)
    .bind(receipt.as_str())
    .bind(now)
    .bind(CODE_ATTEMPTS)
    .fetch_optional(&ctx.db.write)
    .await?;
    let Some(row) = row else {
        return Err(ClaimError::CodeRefused);
    };
    let claim_id: i64 = row.try_get("id")?;
    let submission_id: i64 = row.try_get("submission_id")?;
    let stored: String = row.try_get("code_hash")?;
    let mut tx = ctx.db.write.begin().await?;
    // Count the attempt first, in one statement, so that attempts at once cannot exceed the bound.
    let counted = sqlx::query(
        "UPDATE applicant_claim_codes SET attempts = attempts + 1
         WHERE id = $1 AND used_at IS NULL AND attempts < $2",
    )
    .bind(claim_id)
    .bind(CODE_ATTEMPTS)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if counted != 1 {
        tx.commit().await?;
        return Err(ClaimError::CodeRefused);
    }
    let typed = code_hash(submission_id, applicant.id, &code);
    // Constant time: the hash is not secret, but comparing it so costs nothing.
    let same = typed.len() == stored.len()
        && typed
            .bytes()
            .zip(stored.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0;
    if !same {
        tx.commit().await?;
        return Err(ClaimError::CodeRefused);
    }
    let used = sqlx::query(
        "UPDATE applicant_claim_codes SET used_at = $1 WHERE id = $2 AND used_at IS NULL",
    )
    .bind(now)
    .bind(claim_id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if used != 1 || !link(&mut tx, applicant, submission_id, ClaimPath::ReceiptCode).await? {
        // Used at the same moment, or linked to an account since the code was sent: the code is spent.
        tx.commit().await?;
        return Err(ClaimError::CodeRefused);
    }
    tx.commit().await?;
    Ok(submission_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receipt_numbers_are_normalised_as_typed_on_a_phone() {
        let r = ReceiptNumber::parse("20261203-7KQ4M9XW").unwrap();
        for typed in [
            " 20261203-7kq4m9xw ",
            "２０２６１２０３－７ＫＱ４Ｍ９ＸＷ",
            "20261203ー7KQ4M9XW",
            "20261203 - 7KQ4 M9XW",
        ] {
            assert_eq!(ReceiptNumber::parse(typed).as_ref(), Some(&r), "{typed}");
        }
        assert_eq!(r.as_str(), "20261203-7KQ4M9XW");
    }

    #[test]
    fn what_is_not_a_receipt_number_is_refused_before_any_work() {
        for bad in [
            "",
            "20261203",
            "2026120-37KQ4M9XW",
            "20261203-7KQ4M9X",
            "20261203-7KQ4M9XW1",
            "20261203-7KQ4M9X!",
            "javascript:alert(1)",
            "=HYPERLINK(\"x\")",
        ] {
            assert_eq!(ReceiptNumber::parse(bad), None, "{bad:?}");
        }
        assert_eq!(ReceiptNumber::parse(&"2".repeat(10_000_000)), None);
    }

    #[test]
    fn codes_are_six_digits_full_width_allowed() {
        assert_eq!(parse_code(" 123 456 ").as_deref(), Some("123456"));
        assert_eq!(parse_code("１２３４５６").as_deref(), Some("123456"));
        for bad in ["", "12345", "1234567", "12345a", "１２３４５"] {
            assert_eq!(parse_code(bad), None, "{bad:?}");
        }
        assert_eq!(parse_code(&"1".repeat(1_000_000)), None);
    }

    #[test]
    fn the_code_hash_binds_the_application_and_the_account() {
        let h = code_hash(1, 2, "123456");
        assert_ne!(h, code_hash(1, 3, "123456"));
        assert_ne!(h, code_hash(4, 2, "123456"));
        assert_ne!(h, code_hash(1, 2, "123457"));
        assert!(!h.contains("123456"));
    }
}
