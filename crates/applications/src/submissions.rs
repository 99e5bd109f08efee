//! Submissions and their review: storage, the status workflow, history, comments.
//!
//! Every query that reads a submission takes the caller's [`StaffScope`] and filters by its tenant and
//! readable departments in SQL, so there is no way to load another tenant's or department's submission.

use crate::forms_store::PublishedForm;
use madoguchi_forms::Answers;
use madoguchi_kernel::jobs::enqueue_in;
use madoguchi_kernel::mail::SendMail;
use madoguchi_kernel::{AppError, Db, StaffScope, now_ms};
use serde_json::Value;
use sqlx::Row;

mod commit;
pub mod mails;
pub mod policy;
pub use commit::{Committer, store_submissions};
pub use policy::{Admitted, Channel, Refusal, admit};

/// The review status of a submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// 受付: received, nobody has started.
    Received,
    /// 審査中: in review.
    InReview,
    /// 差戻し: returned to the applicant for correction.
    Returned,
    /// 承認: approved.
    Approved,
    /// 却下: rejected.
    Rejected,
    /// 完了: done.
    Done,
    /// 取下げ: withdrawn by the applicant before a decision.
    Withdrawn,
}

impl Status {
    /// Every status, in workflow order.
    pub const ALL: [Status; 7] = [
        Status::Received,
        Status::InReview,
        Status::Returned,
        Status::Approved,
        Status::Rejected,
        Status::Done,
        Status::Withdrawn,
    ];

    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Received => "received",
            Status::InReview => "in_review",
            Status::Returned => "returned",
            Status::Approved => "approved",
            Status::Rejected => "rejected",
            Status::Done => "done",
            Status::Withdrawn => "withdrawn",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Name in Japanese.
    pub fn label(self) -> &'static str {
        match self {
            Status::Received => "受付",
            Status::InReview => "審査中",
            Status::Returned => "差戻し",
            Status::Approved => "承認",
            Status::Rejected => "却下",
            Status::Done => "完了",
            Status::Withdrawn => "取下げ",
        }
    }

    /// The statuses staff may move this one to.
    pub fn next(self) -> &'static [Status] {
        match self {
            Status::Received => &[Status::InReview],
            Status::InReview => &[Status::Returned, Status::Approved, Status::Rejected],
            Status::Returned => &[Status::InReview],
            Status::Approved | Status::Rejected => &[Status::Done],
            Status::Done | Status::Withdrawn => &[],
        }
    }

    /// Whether the applicant may still withdraw (取下げ): nothing has been decided yet.
    pub fn can_withdraw(self) -> bool {
        matches!(self, Status::Received | Status::InReview | Status::Returned)
    }
}

/// Queued in the transaction that approves a submission, so that capabilities acting on approval (electronic
/// issuance issues the permit) run exactly when the approval is committed, without slowing the reviewer.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct Approved {
    /// Tenant of the submission.
    pub tenant_id: i64,
    /// The submission.
    pub submission_id: i64,
    /// Who approved it.
    pub staff_id: i64,
}

impl madoguchi_kernel::jobs::Job for Approved {
    const KIND: &'static str = "submission_approved";
}

/// What a new submission needs besides the form.
pub struct NewSubmission {
    /// Answers that passed the submission policy ([`admit`]); nothing else can be stored.
    pub admitted: Admitted,
    /// Draft to delete once submitted (a draft is submitted once).
    pub draft_token_hash: Option<String>,
    /// The signed-in applicant, when there is one.
    pub applicant: Option<ApplicantLink>,
}

/// Submits a new application through the one policy ([`admit`]: period, identity requirement and locked
/// verified answers, validation, what the channel may carry) and the writer (capacity, a draft submitted once).
/// Every channel calls this; it returns [`SubmitOutcome::Refused`] with the rule that refused, storing nothing.
/// `lang` is the resident's language: the messages of a refusal and the mails are in it when the form is
/// translated into it, and it is stored with the submission for later mails.
pub async fn submit(
    committer: &Committer,
    form: &PublishedForm,
    mut raw: madoguchi_forms::RawInput,
    applicant: Option<&madoguchi_kernel::Applicant>,
    channel: Channel,
    draft_token: Option<&str>,
    lang: madoguchi_forms::Lang,
) -> Result<SubmitOutcome, AppError> {
    let admitted = match admit(form, lang, &mut raw, applicant, channel, now_ms()) {
        Ok(a) => a,
        Err(refusal) => return Ok(SubmitOutcome::Refused(refusal)),
    };
    let new = NewSubmission {
        admitted,
        draft_token_hash: draft_token.map(madoguchi_kernel::ids::token_hash),
        applicant: applicant.map(|a| ApplicantLink {
            id: a.id,
            notify: (a.notify_receipt && !a.notify_email.is_empty())
                .then(|| a.notify_email.clone()),
        }),
    };
    let outcome = committer.submit(form, new).await?;
    if matches!(outcome, SubmitOutcome::Accepted { .. }) {
        madoguchi_kernel::metrics::METRICS.submission_accepted(channel.name());
    }
    Ok(outcome)
}

/// The signed-in applicant a submission belongs to, and where its receipt mail goes.
#[derive(Debug, Clone)]
pub struct ApplicantLink {
    /// Applicant id.
    pub id: i64,
    /// Address for the receipt notice, when the applicant wants one.
    pub notify: Option<String>,
}

/// The outcome of submitting.
#[derive(Debug)]
pub enum SubmitOutcome {
    /// Stored; here is the receipt number.
    Accepted {
        /// 受付番号.
        receipt_number: String,
    },
    /// The form's capacity is reached.
    Full,
    /// Nothing was stored: the form version the answers were checked against is no longer current (a new
    /// version was published meanwhile). Check them against the current version and submit again.
    FormChanged,
    /// Nothing was stored: the draft was already submitted (a second press of the button) or has expired.
    AlreadySubmitted,
    /// Nothing was stored: a rule of the submission policy refused it.
    Refused(Refusal),
}

/// The applicant's name as typed (first name/applicant part), for the inbox and search.
pub fn applicant_name(answers: &Answers) -> String {
    for v in answers.values() {
        if let Some(obj) = v.as_object() {
            for k in ["name", "corporate_name"] {
                if let Some(s) = obj.get(k).and_then(Value::as_str) {
                    return s.to_string();
                }
            }
        }
    }
    String::new()
}

/// The normalised names the inbox search matches.
pub(crate) fn search_text(answers: &Answers) -> String {
    let mut parts = Vec::new();
    for v in answers.values() {
        if let Some(obj) = v.as_object() {
            for k in ["name", "furigana", "corporate_name", "representative"] {
                if let Some(s) = obj.get(k).and_then(Value::as_str) {
                    parts.push(s);
                }
            }
        }
    }
    madoguchi_japanese::search::search_key(&parts.join(" "))
}

/// The first mail address among the answers, for the receipt mail.
pub fn applicant_email(form: &PublishedForm, answers: &Answers) -> Option<String> {
    form.definition
        .parts
        .iter()
        .filter(|p| matches!(p.kind, madoguchi_forms::PartKind::Email))
        .find_map(|p| {
            answers
                .get(&p.key)
                .and_then(Value::as_str)
                .map(String::from)
        })
}

/// What a notice to a signed-in applicant is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplicantNotice {
    /// The application was received (受付完了).
    Receipt,
    /// Its status changed (状況のお知らせ).
    Status,
    /// Staff sent a message (担当者からのメッセージ).
    Message,
}

impl ApplicantNotice {
    /// The subject's tag, as in 【受付完了】.
    pub fn tag(self) -> &'static str {
        match self {
            ApplicantNotice::Receipt => "受付完了",
            ApplicantNotice::Status => "状況のお知らせ",
            ApplicantNotice::Message => "担当者からのメッセージ",
        }
    }

    /// The first sentence of the mail, about the application with this receipt number.
    fn sentence(self, receipt: &str) -> String {
        match self {
            ApplicantNotice::Receipt => format!("受付番号 {receipt} の申請を受け付けました。"),
            ApplicantNotice::Status => format!("受付番号 {receipt} の申請の状況が変わりました。"),
            ApplicantNotice::Message => {
                format!("受付番号 {receipt} の申請について、担当者からメッセージが届いています。")
            }
        }
    }
}

/// A notice to a signed-in applicant: the receipt number and a link to my page, nothing else (the mail may be
/// read by others; even the procedure's name can say too much).
pub fn applicant_notice(
    to: String,
    notice: ApplicantNotice,
    receipt: &str,
    public_url: &str,
) -> SendMail {
    SendMail {
        to,
        subject: format!("【{}】受付番号 {receipt}", notice.tag()),
        body: format!(
            "{}\n\
             内容はマイページでご確認ください。\n\n{public_url}/mypage\n\n\
             このメールは送信専用です。お知らせの設定はマイページで変更できます。\n",
            notice.sentence(receipt)
        ),
    }
}

/// A row of the staff inbox.
#[derive(Debug, Clone)]
pub struct InboxRow {
    /// Submission id.
    pub id: i64,
    /// 受付番号.
    pub receipt_number: String,
    /// Form title (current).
    pub form_title: String,
    /// Applicant name.
    pub applicant_name: String,
    /// Status.
    pub status: Status,
    /// Submitted at (epoch ms).
    pub submitted_at: i64,
}

impl InboxFilter {
    /// The filter as staff read it in the audit log (`フォーム 3、状態 受付、検索「…」`); empty when none is set.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(f) = self.form {
            parts.push(format!("フォーム {f}"));
        }
        if let Some(s) = &self.status {
            parts.push(format!(
                "状態 {}",
                Status::parse(s).map_or(s.as_str(), |s| s.label())
            ));
        }
        if let Some(d) = &self.from {
            parts.push(format!("受付日 {d}から"));
        }
        if let Some(d) = &self.to {
            parts.push(format!("受付日 {d}まで"));
        }
        if let Some(q) = &self.q {
            parts.push(format!("検索「{q}」"));
        }
        parts.join("、")
    }
}

/// Inbox filters.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct InboxFilter {
    /// Form id.
    #[serde(default)]
    pub form: Option<i64>,
    /// Status name.
    #[serde(default)]
    pub status: Option<String>,
    /// From date (YYYY-MM-DD, JST).
    #[serde(default)]
    pub from: Option<String>,
    /// To date inclusive.
    #[serde(default)]
    pub to: Option<String>,
    /// Receipt number or name.
    #[serde(default)]
    pub q: Option<String>,
}

/// Start of a JST day in epoch ms.
fn jst_day_start(date: &str) -> Option<i64> {
    let d = chrono::NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d").ok()?;
    let t = d
        .and_hms_opt(0, 0, 0)?
        .and_local_timezone(madoguchi_kernel::time::jst_offset())
        .single()?;
    Some(t.timestamp_millis())
}

/// The submissions the caller may read, newest first, filtered.
pub async fn inbox(
    db: &Db,
    scope: &StaffScope,
    f: &InboxFilter,
    limit: i64,
) -> Result<Vec<InboxRow>, AppError> {
    let mut sql = String::from(
        "SELECT s.id, s.receipt_number, s.applicant_name, s.status, s.submitted_at, v.definition
         FROM submissions s JOIN forms f ON f.id = s.form_id
         JOIN form_versions v ON v.form_id = f.id AND v.version = f.current_version
         WHERE s.tenant_id = $1",
    );
    let mut n = 1;
    let mut next = || {
        n += 1;
        format!("${n}")
    };
    sql.push_str(&scope.readable_submissions_condition("s.department_id"));
    let mut binds: Vec<BindValue> = Vec::new();
    if let Some(form) = f.form {
        sql.push_str(&format!(" AND s.form_id = {}", next()));
        binds.push(BindValue::Int(form));
    }
    if let Some(st) = f.status.as_deref().and_then(Status::parse) {
        sql.push_str(&format!(" AND s.status = {}", next()));
        binds.push(BindValue::Text(st.as_str().into()));
    }
    if let Some(from) = f.from.as_deref().and_then(jst_day_start) {
        sql.push_str(&format!(" AND s.submitted_at >= {}", next()));
        binds.push(BindValue::Int(from));
    }
    if let Some(to) = f.to.as_deref().and_then(jst_day_start) {
        sql.push_str(&format!(" AND s.submitted_at < {}", next()));
        binds.push(BindValue::Int(to + 86_400_000));
    }
    if let Some(q) = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        if madoguchi_kernel::ids::looks_like_receipt(q) {
            sql.push_str(&format!(" AND s.receipt_number = {}", next()));
            binds.push(BindValue::Text(q.to_uppercase()));
        } else {
            let key = madoguchi_japanese::search::search_key(q);
            let escaped = key
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            sql.push_str(&format!(" AND s.search_key LIKE {} ESCAPE '\\'", next()));
            binds.push(BindValue::Text(format!("%{escaped}%")));
        }
    }
    sql.push_str(&format!(
        " ORDER BY s.submitted_at DESC, s.id DESC LIMIT {limit}"
    ));
    let mut query = sqlx::query(&sql).bind(scope.tenant_id);
    for b in binds {
        query = match b {
            BindValue::Int(i) => query.bind(i),
            BindValue::Text(t) => query.bind(t),
        };
    }
    let rows = query.fetch_all(&db.read).await?;
    rows.iter()
        .map(|r| {
            let json: String = r.try_get("definition")?;
            let title = serde_json::from_str::<Value>(&json)
                .ok()
                .and_then(|v| v.get("title").and_then(Value::as_str).map(String::from))
                .unwrap_or_default();
            let status: String = r.try_get("status")?;
            Ok(InboxRow {
                id: r.try_get("id")?,
                receipt_number: r.try_get("receipt_number")?,
                form_title: title,
                applicant_name: r.try_get("applicant_name")?,
                status: Status::parse(&status).unwrap_or(Status::Received),
                submitted_at: r.try_get("submitted_at")?,
            })
        })
        .collect()
}

enum BindValue {
    Int(i64),
    Text(String),
}

/// A submission with everything the review page shows.
#[derive(Debug, Clone)]
pub struct SubmissionDetail {
    /// Id.
    pub id: i64,
    /// Form id.
    pub form_id: i64,
    /// Department id.
    pub department_id: i64,
    /// Version row id the submission was made with.
    pub form_version_id: i64,
    /// 受付番号.
    pub receipt_number: String,
    /// Status.
    pub status: Status,
    /// Answers.
    pub answers: Answers,
    /// Submitted at.
    pub submitted_at: i64,
    /// Applicant mail address.
    pub applicant_email: Option<String>,
}

/// Loads a submission the caller may read; anything else is "not found" (its existence is not revealed).
pub async fn find_for_staff(
    db: &Db,
    scope: &StaffScope,
    id: i64,
) -> Result<SubmissionDetail, AppError> {
    let row = sqlx::query(
        "SELECT id, form_id, department_id, form_version_id, receipt_number, status, answers, submitted_at,
                applicant_email
         FROM submissions WHERE id = $1 AND tenant_id = $2",
    )
    .bind(id)
    .bind(scope.tenant_id)
    .fetch_optional(&db.read)
    .await?
    .ok_or(AppError::NotFound)?;
    let department_id: i64 = row.try_get("department_id")?;
    if !scope.can_read_submissions_of(department_id) {
        return Err(AppError::NotFound);
    }
    let answers: String = row.try_get("answers")?;
    let status: String = row.try_get("status")?;
    Ok(SubmissionDetail {
        id: row.try_get("id")?,
        form_id: row.try_get("form_id")?,
        department_id,
        form_version_id: row.try_get("form_version_id")?,
        receipt_number: row.try_get("receipt_number")?,
        status: Status::parse(&status).unwrap_or(Status::Received),
        answers: serde_json::from_str(&answers).map_err(|e| AppError::Internal(e.into()))?,
        submitted_at: row.try_get("submitted_at")?,
        applicant_email: row.try_get("applicant_email")?,
    })
}

/// One entry in a submission's history.
#[derive(Debug, Clone)]
pub struct Event {
    /// `status`, `comment` or `message`.
    pub kind: String,
    /// Staff name, empty for the applicant.
    pub staff_name: String,
    /// Previous status.
    pub from_status: Option<Status>,
    /// New status.
    pub to_status: Option<Status>,
    /// Text.
    pub body: String,
    /// When.
    pub at: i64,
}

/// The history of a submission already loaded through [`find_for_staff`].
pub async fn events(db: &Db, sub: &SubmissionDetail) -> Result<Vec<Event>, AppError> {
    let rows = sqlx::query(
        "SELECT e.kind, COALESCE(s.name, '') AS staff_name, e.from_status, e.to_status, e.body, e.at
         FROM submission_events e LEFT JOIN staff s ON s.id = e.staff_id
         WHERE e.submission_id = $1 ORDER BY e.id",
    )
    .bind(sub.id)
    .fetch_all(&db.read)
    .await?;
    rows.iter()
        .map(|r| {
            let from: Option<String> = r.try_get("from_status")?;
            let to: Option<String> = r.try_get("to_status")?;
            Ok(Event {
                kind: r.try_get("kind")?,
                staff_name: r.try_get("staff_name")?,
                from_status: from.as_deref().and_then(Status::parse),
                to_status: to.as_deref().and_then(Status::parse),
                body: r.try_get("body")?,
                at: r.try_get("at")?,
            })
        })
        .collect()
}

/// Moves a submission to a new status. Invalid transitions are refused; returning for correction needs a
/// message, which is mailed to the applicant (without personal data). Runs to completion even if the
/// request is cancelled.
pub async fn change_status(
    db: &Db,
    scope: &StaffScope,
    id: i64,
    to: Status,
    message: &str,
    public_url: &str,
) -> Result<(), AppError> {
    change_status_with_corrections(db, scope, id, to, message, Vec::new(), public_url).await
}

/// Like [`change_status`], with the parts the applicant is asked to correct when returning it (差戻し): each a
/// part key of the submission's form and a comment. The applicant may then change only those parts.
pub async fn change_status_with_corrections(
    db: &Db,
    scope: &StaffScope,
    id: i64,
    to: Status,
    message: &str,
    corrections: Vec<(String, String)>,
    public_url: &str,
) -> Result<(), AppError> {
    let (db, scope) = (db.clone(), scope.clone());
    let (message, public_url) = (message.to_string(), public_url.to_string());
    madoguchi_kernel::db::run_to_completion(async move {
        apply_status(&db, &scope, id, to, &message, &corrections, &public_url).await
    })
    .await
}

/// Most characters of a message or a correction comment.
pub const MAX_MESSAGE: usize = 2000;

/// Which notice an applicant may choose to receive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// A status change.
    Status,
    /// A message from staff.
    Message,
}

/// Where a notice about a submission goes: a signed-in applicant's notification address if they want this
/// kind of notice; without an account, the address given in the answers (status notices only).
async fn notice_recipient(
    conn: &mut sqlx::AnyConnection,
    id: i64,
    kind: Notice,
) -> Result<Option<String>, AppError> {
    let row = sqlx::query(
        "SELECT s.applicant_email, s.applicant_id, a.notify_email, a.notify_status, a.notify_message
         FROM submissions s LEFT JOIN applicants a ON a.id = s.applicant_id WHERE s.id = $1",
    )
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    let applicant: Option<i64> = row.try_get("applicant_id")?;
    if applicant.is_none() {
        return Ok(match kind {
            Notice::Status => row.try_get("applicant_email")?,
            Notice::Message => None,
        });
    }
    let wanted: Option<i64> = match kind {
        Notice::Status => row.try_get("notify_status")?,
        Notice::Message => row.try_get("notify_message")?,
    };
    let to: Option<String> = row.try_get("notify_email")?;
    Ok(to.filter(|t| !t.is_empty() && wanted == Some(1)))
}

/// The mail a status change sends, if the applicant is to be told.
async fn status_mail(
    conn: &mut sqlx::AnyConnection,
    sub: &SubmissionDetail,
    to: Status,
    public_url: &str,
) -> Result<Option<SendMail>, AppError> {
    let Some(email) = notice_recipient(conn, sub.id, Notice::Status).await? else {
        return Ok(None);
    };
    let row = sqlx::query("SELECT applicant_id, lang FROM submissions WHERE id = $1")
        .bind(sub.id)
        .fetch_one(&mut *conn)
        .await?;
    let has_account: Option<i64> = row.try_get("applicant_id")?;
    let lang: String = row.try_get("lang")?;
    let lang = madoguchi_forms::Lang::from_code(&lang);
    if has_account.is_some() {
        return Ok(Some(mails::applicant_notice_in(
            lang,
            email,
            ApplicantNotice::Status,
            &sub.receipt_number,
            public_url,
        )));
    }
    Ok(Some(mails::status_mail(
        lang,
        email,
        &sub.receipt_number,
        to,
        public_url,
    )))
}

/// The corrections a reviewer asks for, from the review form: every picked part (`pick`), and every part
/// whose comment box has text even if not picked (without JavaScript every box is shown, and a comment typed
/// there is meant). An unpicked part with an empty box is not asked for. Each part appears once, in the order
/// first named.
pub fn requested_corrections(
    picked: &[String],
    comments: &[(String, String)],
) -> Vec<(String, String)> {
    let comment_of = |key: &str| {
        comments
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, c)| c.clone())
            .unwrap_or_default()
    };
    let mut out: Vec<(String, String)> = Vec::new();
    let written = comments
        .iter()
        .filter(|(_, c)| !c.trim().is_empty())
        .map(|(k, _)| k);
    for key in picked.iter().chain(written) {
        if !out.iter().any(|(k, _)| k == key) {
            out.push((key.clone(), comment_of(key)));
        }
    }
    out
}

/// Checks the corrections of a return for correction against the form the submission was made with: each
/// names a part that holds an answer (at the top level, as the correction page edits), at most once, with a
/// comment of 1 to [`MAX_MESSAGE`] characters. Messages name the part (`「氏名」への修正依頼…`).
pub fn checked_corrections(
    def: &madoguchi_forms::FormDefinition,
    corrections: &[(String, String)],
) -> Result<Vec<(String, String)>, AppError> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (key, comment) in corrections {
        let Some(part) = def
            .parts
            .iter()
            .find(|p| &p.key == key && p.kind.has_value())
        else {
            // The key came from the request: shown cut short, as text.
            let shown: String = key.chars().take(40).collect();
            return Err(AppError::BadRequest(format!(
                "修正を依頼する項目「{shown}」はこのフォームにありません。画面を更新して選び直してください。"
            )));
        };
        if out.iter().any(|(k, _)| k == key) {
            return Err(AppError::BadRequest(format!(
                "「{}」への修正依頼が2つあります。1つにまとめてください。",
                part.label
            )));
        }
        let comment = checked_text(comment, &format!("「{}」への修正依頼", part.label))?;
        out.push((key.clone(), comment.to_string()));
    }
    Ok(out)
}

/// Checks a message or comment: not blank, not too long.
pub fn checked_text<'a>(body: &'a str, what: &str) -> Result<&'a str, AppError> {
    let body = body.trim();
    if body.is_empty() {
        return Err(AppError::BadRequest(format!("{what}を入力してください。")));
    }
    if body.chars().count() > MAX_MESSAGE {
        return Err(AppError::BadRequest(format!(
            "{what}は{MAX_MESSAGE}文字以内で入力してください。"
        )));
    }
    Ok(body)
}

/// Sends a message from staff to the applicant (shown on my page; mailed as a notice when wanted).
pub async fn send_message(
    db: &Db,
    scope: &StaffScope,
    id: i64,
    body: &str,
    public_url: &str,
) -> Result<(), AppError> {
    let sub = find_for_staff(db, scope, id).await?;
    if !scope.can_review(sub.department_id) {
        return Err(AppError::Forbidden);
    }
    let body = checked_text(body, "メッセージ")?;
    let mut tx = db.write.begin().await?;
    sqlx::query(
        "INSERT INTO submission_events (submission_id, staff_id, kind, body, at) VALUES ($1, $2, 'message', $3, $4)",
    )
    .bind(sub.id)
    .bind(scope.staff_id)
    .bind(body)
    .bind(now_ms())
    .execute(&mut *tx)
    .await?;
    if let Some(to) = notice_recipient(&mut tx, sub.id, Notice::Message).await? {
        let lang: String = sqlx::query_scalar("SELECT lang FROM submissions WHERE id = $1")
            .bind(sub.id)
            .fetch_one(&mut *tx)
            .await?;
        let mail = mails::applicant_notice_in(
            madoguchi_forms::Lang::from_code(&lang),
            to,
            ApplicantNotice::Message,
            &sub.receipt_number,
            public_url,
        );
        enqueue_in(&mut tx, &mail).await?;
    }
    tx.commit().await?;
    madoguchi_kernel::audit::record(
        db,
        scope,
        madoguchi_kernel::audit::Action::Message,
        &format!("submission:{id}"),
        "",
    )
    .await?;
    Ok(())
}

/// A part the applicant was asked to correct.
#[derive(Debug, Clone)]
pub struct Correction {
    /// Part key.
    pub part_key: String,
    /// Staff comment.
    pub comment: String,
    /// When the applicant resubmitted (None while open).
    pub resolved_at: Option<i64>,
}

/// The correction requests of a submission, oldest first; the caller has already checked access to it.
pub async fn corrections(db: &Db, submission_id: i64) -> Result<Vec<Correction>, AppError> {
    let rows = sqlx::query(
        "SELECT part_key, comment, resolved_at FROM submission_corrections WHERE submission_id = $1 ORDER BY id",
    )
    .bind(submission_id)
    .fetch_all(&db.read)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(Correction {
                part_key: r.try_get("part_key")?,
                comment: r.try_get("comment")?,
                resolved_at: r.try_get("resolved_at")?,
            })
        })
        .collect()
}

/// An earlier version of a submission's answers, replaced by a resubmission.
#[derive(Debug, Clone)]
pub struct Revision {
    /// The answers as they were.
    pub answers: Answers,
    /// When they were replaced.
    pub replaced_at: i64,
}

/// The earlier versions of a submission's answers, oldest first; the caller has already checked access.
pub async fn revisions(db: &Db, submission_id: i64) -> Result<Vec<Revision>, AppError> {
    let rows = sqlx::query(
        "SELECT answers, replaced_at FROM submission_revisions WHERE submission_id = $1 ORDER BY id",
    )
    .bind(submission_id)
    .fetch_all(&db.read)
    .await?;
    rows.iter()
        .map(|r| {
            let json: String = r.try_get("answers")?;
            Ok(Revision {
                answers: serde_json::from_str(&json).map_err(|e| AppError::Internal(e.into()))?,
                replaced_at: r.try_get("replaced_at")?,
            })
        })
        .collect()
}

async fn apply_status(
    db: &Db,
    scope: &StaffScope,
    id: i64,
    to: Status,
    message: &str,
    corrections: &[(String, String)],
    public_url: &str,
) -> Result<(), AppError> {
    let sub = find_for_staff(db, scope, id).await?;
    if !scope.can_review(sub.department_id) {
        return Err(AppError::Forbidden);
    }
    if !sub.status.next().contains(&to) {
        return Err(AppError::Conflict(format!(
            "「{}」から「{}」には変更できません。",
            sub.status.label(),
            to.label()
        )));
    }
    let message = message.trim();
    if to == Status::Returned && message.is_empty() {
        return Err(AppError::BadRequest(
            "差戻しの理由（申請者へのメッセージ）を入力してください。".into(),
        ));
    }
    let mut parts = Vec::new();
    if to == Status::Returned {
        let (_, def) =
            crate::forms_store::definition_by_version_id(db, sub.form_version_id).await?;
        parts = checked_corrections(&def, corrections)?;
    } else if !corrections.is_empty() {
        return Err(AppError::BadRequest(
            "修正を依頼する項目は、差戻しのときだけ選べます。".into(),
        ));
    }
    let now = now_ms();
    let mut tx = db.write.begin().await?;
    // The status in the WHERE clause makes two reviewers acting at once unable to both succeed.
    let n = sqlx::query("UPDATE submissions SET status = $1, updated_at = $2 WHERE id = $3 AND tenant_id = $4 AND status = $5")
        .bind(to.as_str())
        .bind(now)
        .bind(id)
        .bind(scope.tenant_id)
        .bind(sub.status.as_str())
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if n != 1 {
        return Err(AppError::Conflict(
            "他の職員が先に状態を変更しました。画面を更新してください。".into(),
        ));
    }
    let event_id: i64 = sqlx::query_scalar(
        "INSERT INTO submission_events (submission_id, staff_id, kind, from_status, to_status, body, at)
         VALUES ($1, $2, 'status', $3, $4, $5, $6) RETURNING id",
    )
    .bind(id)
    .bind(scope.staff_id)
    .bind(sub.status.as_str())
    .bind(to.as_str())
    .bind(message)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    for (key, comment) in &parts {
        sqlx::query(
            "INSERT INTO submission_corrections (submission_id, event_id, part_key, comment) VALUES ($1, $2, $3, $4)",
        )
        .bind(id)
        .bind(event_id)
        .bind(key)
        .bind(comment)
        .execute(&mut *tx)
        .await?;
    }
    if let Some(mail) = status_mail(&mut tx, &sub, to, public_url).await? {
        enqueue_in(&mut tx, &mail).await?;
    }
    if to == Status::Approved {
        let approved = Approved {
            tenant_id: scope.tenant_id,
            submission_id: id,
            staff_id: scope.staff_id,
        };
        enqueue_in(&mut tx, &approved).await?;
    }
    tx.commit().await?;
    madoguchi_kernel::audit::record(
        db,
        scope,
        madoguchi_kernel::audit::Action::Status,
        &format!("submission:{id}"),
        to.as_str(),
    )
    .await?;
    Ok(())
}

/// Adds an internal comment (not shown to the applicant).
pub async fn add_comment(db: &Db, scope: &StaffScope, id: i64, body: &str) -> Result<(), AppError> {
    let sub = find_for_staff(db, scope, id).await?;
    let body = body.trim();
    if body.is_empty() {
        return Err(AppError::BadRequest("コメントを入力してください。".into()));
    }
    if body.chars().count() > 2000 {
        return Err(AppError::BadRequest(
            "コメントは2000文字以内で入力してください。".into(),
        ));
    }
    sqlx::query(
        "INSERT INTO submission_events (submission_id, staff_id, kind, body, at) VALUES ($1, $2, 'comment', $3, $4)",
    )
    .bind(sub.id)
    .bind(scope.staff_id)
    .bind(body)
    .bind(now_ms())
    .execute(&db.write)
    .await?;
    Ok(())
}

/// Looks up a submission by receipt number for the public completion page: only the form title is shown.
pub async fn exists_receipt(db: &Db, form_id: i64, receipt: &str) -> Result<bool, AppError> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM submissions WHERE form_id = $1 AND receipt_number = $2",
    )
    .bind(form_id)
    .bind(receipt)
    .fetch_one(&db.read)
    .await?;
    Ok(n > 0)
}
