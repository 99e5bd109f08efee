//! Rate limits whose counters live in the database, so that they hold across every instance sharing it
//! (ADR 0019).
//!
//! A limit is a [`Rule`] (what is counted: API submissions per client, failed logins per login id …) with a
//! configured [`Limit`] (`max` per `window_secs`). Counting is a fixed window: one row per rule, key and window,
//! incremented by a single `INSERT … ON CONFLICT DO UPDATE … RETURNING`, which is atomic on SQLite and
//! PostgreSQL alike. A fixed window lets through at most twice `max` across a window boundary; that is the
//! price of one statement per request and no clock shared between instances beyond the database's rows.
//!
//! Once a key is over its limit, this process remembers it until the window ends and refuses further
//! requests without touching the database: a flood from one client then costs a map lookup, not a write
//! (on SQLite every write waits for the one writer). The memory can only refuse what the database already
//! refused, so instances never disagree in the client's favour.
//!
//! Expired windows are deleted every few hundred counts and by [`sweep`].

use crate::config::{Limit, RateLimitConfig};
use crate::db::{Db, now_ms};
use crate::error::AppError;
use crate::state::Ctx;
use madoguchi_japanese::lang::Lang;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{LazyLock, Mutex};

/// What is counted. Each rule has its own counters (`bucket`), limit in [`RateLimitConfig`] and message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// JSON API submissions from one client address.
    ApiSubmissionPerClient,
    /// JSON API submissions to one form, from everyone.
    ApiSubmissionPerForm,
    /// POSTs of public form pages from one client address.
    FormPostPerClient,
    /// FAQ questions from one client address.
    FaqQuestionPerClient,
    /// Sign-in and resume-link mails requested from one client address.
    SigninMailPerClient,
    /// Failed staff logins for one login id.
    LoginFailurePerLogin,
    /// Failed staff logins from one client address.
    LoginFailurePerClient,
    /// Megabytes of files uploaded by anonymous or signed-in residents from one client address (each started
    /// megabyte counts one), so that drafts started afresh cannot fill the object store.
    UploadMegabytesPerClient,
    /// Claim codes (申請の追加の確認コード) one applicant account asks to be mailed.
    ClaimCodePerApplicant,
    /// Claim codes mailed for one receipt number, whoever asks (the application's address is not flooded).
    ClaimCodePerReceipt,
    /// Claim codes one applicant account types in, right or wrong (guessing across many codes is bounded).
    ClaimAttemptPerApplicant,
}

impl Rule {
    /// The name its counters are stored under.
    pub fn bucket(self) -> &'static str {
        match self {
            Rule::ApiSubmissionPerClient => "api_submission_client",
            Rule::ApiSubmissionPerForm => "api_submission_form",
            Rule::FormPostPerClient => "form_post_client",
            Rule::FaqQuestionPerClient => "faq_question_client",
            Rule::SigninMailPerClient => "signin_mail_client",
            Rule::LoginFailurePerLogin => "login_failure_login",
            Rule::LoginFailurePerClient => "login_failure_client",
            Rule::UploadMegabytesPerClient => "upload_mb_client",
            Rule::ClaimCodePerApplicant => "claim_code_applicant",
            Rule::ClaimCodePerReceipt => "claim_code_receipt",
            Rule::ClaimAttemptPerApplicant => "claim_attempt_applicant",
        }
    }

    /// Its configured limit.
    pub fn limit(self, config: &RateLimitConfig) -> Limit {
        match self {
            Rule::ApiSubmissionPerClient => config.api_submissions_per_client,
            Rule::ApiSubmissionPerForm => config.api_submissions_per_form,
            Rule::FormPostPerClient => config.form_posts_per_client,
            Rule::FaqQuestionPerClient => config.faq_questions_per_client,
            Rule::SigninMailPerClient => config.signin_mails_per_client,
            Rule::LoginFailurePerLogin => config.login_failures_per_login,
            Rule::LoginFailurePerClient => config.login_failures_per_client,
            Rule::UploadMegabytesPerClient => config.upload_megabytes_per_client,
            Rule::ClaimCodePerApplicant => config.claim_codes_per_applicant,
            Rule::ClaimCodePerReceipt => config.claim_codes_per_receipt,
            Rule::ClaimAttemptPerApplicant => config.claim_attempts_per_applicant,
        }
    }

    /// What the person is told when the limit is reached, in Japanese (logs, staff).
    pub fn message(self, retry_after_secs: u64) -> String {
        self.message_in(Lang::Ja, retry_after_secs)
    }

    /// What the person is told when the limit is reached, in the language they read the service in.
    pub fn message_in(self, lang: Lang, retry_after_secs: u64) -> String {
        let wait = wait_text(lang, retry_after_secs);
        match lang {
            Lang::Ja => match self {
                Rule::ApiSubmissionPerClient => format!(
                    "短い間に多くの申請が送信されたため、受付を一時的に停止しています。{wait}ほど待ってからもう一度送信してください。"
                ),
                Rule::ApiSubmissionPerForm => format!(
                    "この手続への申請が集中しているため、受付を一時的に停止しています。{wait}ほど待ってからもう一度送信してください。"
                ),
                Rule::FormPostPerClient => format!(
                    "短い間に多くの送信があったため、受付を一時的に停止しています。{wait}ほど待ってから、もう一度送信してください。"
                ),
                Rule::FaqQuestionPerClient => format!(
                    "短い間に多くの質問が送られたため、しばらく回答できません。{wait}ほど待ってからもう一度お試しください。"
                ),
                Rule::SigninMailPerClient => format!(
                    "短い間に何度もメールの送信を求められたため、しばらく送信できません。{wait}ほど待ってからお試しください。"
                ),
                Rule::LoginFailurePerLogin => format!(
                    "ログインに続けて失敗したため、このログインIDは一時的にロックされています。{wait}ほど待ってからもう一度お試しください。心当たりがない場合は管理者に連絡してください。"
                ),
                Rule::LoginFailurePerClient => format!(
                    "この端末からのログインの失敗が続いたため、一時的にログインできません。{wait}ほど待ってからもう一度お試しください。"
                ),
                Rule::UploadMegabytesPerClient => format!(
                    "短い間に多くのファイルが添付されたため、添付を一時的に受け付けていません。{wait}ほど待ってからもう一度お試しください。"
                ),
                Rule::ClaimCodePerApplicant | Rule::ClaimCodePerReceipt => format!(
                    "短い間に何度も確認コードの送信を求められたため、しばらく送信できません。{wait}ほど待ってからお試しください。"
                ),
                Rule::ClaimAttemptPerApplicant => format!(
                    "確認コードの入力が続けて行われたため、しばらく入力できません。{wait}ほど待ってからお試しください。"
                ),
            },
            Lang::En => match self {
                Rule::ApiSubmissionPerClient => format!(
                    "Many applications were sent in a short time, so we have paused accepting them. Please wait {wait} and send again."
                ),
                Rule::ApiSubmissionPerForm => format!(
                    "This procedure is receiving many applications, so we have paused accepting them. Please wait {wait} and send again."
                ),
                Rule::FormPostPerClient => format!(
                    "Many forms were sent in a short time, so we have paused accepting them. Please wait {wait} and send again."
                ),
                Rule::FaqQuestionPerClient => format!(
                    "Many questions were sent in a short time, so we cannot answer for a while. Please wait {wait} and try again."
                ),
                Rule::SigninMailPerClient => format!(
                    "E-mails were requested many times in a short time, so we cannot send one now. Please wait {wait} and try again."
                ),
                Rule::LoginFailurePerLogin => format!(
                    "This login ID is locked for a while after repeated failed logins. Please wait {wait} and try again. If this was not you, contact the administrator."
                ),
                Rule::LoginFailurePerClient => format!(
                    "Logins from this device failed repeatedly, so you cannot log in for a while. Please wait {wait} and try again."
                ),
                Rule::UploadMegabytesPerClient => format!(
                    "Many files were attached in a short time, so we are not accepting attachments for a while. Please wait {wait} and try again."
                ),
                Rule::ClaimCodePerApplicant | Rule::ClaimCodePerReceipt => format!(
                    "Confirmation codes were requested many times in a short time, so we cannot send one now. Please wait {wait} and try again."
                ),
                Rule::ClaimAttemptPerApplicant => format!(
                    "Confirmation codes were entered many times in a row, so you cannot enter one for a while. Please wait {wait} and try again."
                ),
            },
            Lang::Easy => match self {
                Rule::ApiSubmissionPerClient
                | Rule::ApiSubmissionPerForm
                | Rule::FormPostPerClient => format!(
                    "みじかい じかんに たくさん おくられました。いまは うけつけて いません。{wait} まってから もう いちど おくって ください。"
                ),
                Rule::FaqQuestionPerClient => format!(
                    "みじかい じかんに たくさん しつもんが ありました。いまは こたえられません。{wait} まってから もう いちど きいて ください。"
                ),
                Rule::SigninMailPerClient
                | Rule::ClaimCodePerApplicant
                | Rule::ClaimCodePerReceipt => format!(
                    "みじかい じかんに なんかいも メールを たのまれました。いまは おくれません。{wait} まってから もう いちど ためして ください。"
                ),
                Rule::LoginFailurePerLogin | Rule::LoginFailurePerClient => format!(
                    "ログインに なんかいも しっぱいしました。いまは ログイン できません。{wait} まってから もう いちど ためして ください。"
                ),
                Rule::UploadMegabytesPerClient => format!(
                    "みじかい じかんに たくさん ファイルが つけられました。いまは ファイルを うけつけて いません。{wait} まってから もう いちど ためして ください。"
                ),
                Rule::ClaimAttemptPerApplicant => format!(
                    "かくにん コードを なんかいも いれました。いまは いれられません。{wait} まってから もう いちど ためして ください。"
                ),
            },
        }
    }
}

/// 「30秒」「15分」, "30 seconds", "15 minutes": how long to wait, rounded up to whole minutes past a minute.
fn wait_text(lang: Lang, secs: u64) -> String {
    let (n, minutes) = if secs < 60 {
        (secs.max(1), false)
    } else {
        (secs.div_ceil(60), true)
    };
    match (lang, minutes) {
        // やさしい日本語 keeps the numeral and the counter (ふん/ぷん changes with the number; 分 reads right).
        (Lang::Ja | Lang::Easy, false) => format!("{n}秒"),
        (Lang::Ja | Lang::Easy, true) => format!("{n}分"),
        (Lang::En, false) if n == 1 => "1 second".into(),
        (Lang::En, false) => format!("{n} seconds"),
        (Lang::En, true) if n == 1 => "1 minute".into(),
        (Lang::En, true) => format!("{n} minutes"),
    }
}

/// The outcome of counting one action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Within the limit; `hits` actions so far in this window, this one included.
    Allowed {
        /// Count in the current window.
        hits: u64,
    },
    /// Over the limit until the window ends.
    Limited {
        /// Seconds until the window ends.
        retry_after_secs: u64,
    },
}

/// The window `now` falls in: (start, end) in epoch milliseconds.
fn window(limit: Limit, now: i64) -> (i64, i64) {
    let len = (limit.window_secs.max(1) as i64).saturating_mul(1000);
    let start = now - now.rem_euclid(len);
    (start, start + len)
}

fn retry_after(end: i64, now: i64) -> u64 {
    ((end - now).max(0) as u64).div_ceil(1000).max(1)
}

/// Keys this process knows to be over their limit, with the end of their window (see the module doc).
/// Keyed by the database's instance number too, since tests run many databases in one process.
type DenyKey = (u64, &'static str, String);
static DENIED: LazyLock<Mutex<HashMap<DenyKey, i64>>> = LazyLock::new(Default::default);
/// Beyond this many remembered keys, expired ones are dropped (and all of them if none has expired): the map
/// is an optimisation, the database stays the authority.
const DENIED_MAX: usize = 100_000;
/// Expired windows are deleted after every this many counts in this process.
const SWEEP_EVERY: u64 = 512;
static COUNTED: AtomicU64 = AtomicU64::new(0);

fn denied_until(db: &Db, rule: Rule, key: &str, now: i64) -> Option<i64> {
    let map = DENIED.lock().unwrap_or_else(|e| e.into_inner());
    map.get(&(db.instance, rule.bucket(), key.to_string()))
        .copied()
        .filter(|&end| end > now)
}

fn remember_denied(db: &Db, rule: Rule, key: &str, end: i64, now: i64) {
    let mut map = DENIED.lock().unwrap_or_else(|e| e.into_inner());
    if map.len() >= DENIED_MAX {
        map.retain(|_, &mut until| until > now);
        if map.len() >= DENIED_MAX {
            map.clear();
        }
    }
    map.insert((db.instance, rule.bucket(), key.to_string()), end);
}

fn forget_denied(db: &Db, rule: Rule, key: &str) {
    let mut map = DENIED.lock().unwrap_or_else(|e| e.into_inner());
    map.remove(&(db.instance, rule.bucket(), key.to_string()));
}

/// Counts one action under `rule` for `key` and says whether it is within `limit`. A limit with `max = 0`
/// is off: nothing is counted.
pub async fn hit(db: &Db, rule: Rule, limit: Limit, key: &str) -> Result<Verdict, sqlx::Error> {
    hit_weighted(db, rule, limit, key, 1).await
}

/// Counts `weight` actions at once (e.g. the megabytes of an upload) under `rule` for `key`.
pub async fn hit_weighted(
    db: &Db,
    rule: Rule,
    limit: Limit,
    key: &str,
    weight: u32,
) -> Result<Verdict, sqlx::Error> {
    if limit.max == 0 || weight == 0 {
        return Ok(Verdict::Allowed { hits: 0 });
    }
    let now = now_ms();
    if let Some(end) = denied_until(db, rule, key, now) {
        return Ok(Verdict::Limited {
            retry_after_secs: retry_after(end, now),
        });
    }
    let (start, end) = window(limit, now);
    let hits: i64 = sqlx::query_scalar(
        "INSERT INTO rate_limit_hits (bucket, key, window_start, hits, expires_at) VALUES ($1, $2, $3, $5, $4)
         ON CONFLICT (bucket, key, window_start) DO UPDATE SET hits = rate_limit_hits.hits + $5
         RETURNING hits",
    )
    .bind(rule.bucket())
    .bind(key)
    .bind(start)
    .bind(end)
    .bind(i64::from(weight))
    .fetch_one(&db.write)
    .await?;
    if COUNTED.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1
        && let Err(e) = sweep(db).await
    {
        tracing::warn!(error = %e, "deleting expired rate-limit windows failed");
    }
    if hits > i64::from(limit.max) {
        // Logged once per key, window and instance: later refusals come from memory, unlogged, so that a
        // flood cannot fill the log either.
        tracing::info!(rule = rule.bucket(), key, "rate limit reached");
        remember_denied(db, rule, key, end, now);
        return Ok(Verdict::Limited {
            retry_after_secs: retry_after(end, now),
        });
    }
    Ok(Verdict::Allowed { hits: hits as u64 })
}

/// How many actions `key` has under `rule` in the current window, without counting one; and the seconds
/// until that window ends.
pub async fn current(
    db: &Db,
    rule: Rule,
    limit: Limit,
    key: &str,
) -> Result<(u64, u64), sqlx::Error> {
    let now = now_ms();
    let (start, end) = window(limit, now);
    let hits: Option<i64> = sqlx::query_scalar(
        "SELECT hits FROM rate_limit_hits WHERE bucket = $1 AND key = $2 AND window_start = $3",
    )
    .bind(rule.bucket())
    .bind(key)
    .bind(start)
    .fetch_optional(&db.read)
    .await?;
    Ok((hits.unwrap_or(0).max(0) as u64, retry_after(end, now)))
}

/// Whether `key` has used up its `limit` under `rule` in the current window (counting nothing): `Some`
/// seconds to wait when it has.
pub async fn exhausted(
    db: &Db,
    rule: Rule,
    limit: Limit,
    key: &str,
) -> Result<Option<u64>, sqlx::Error> {
    if limit.max == 0 {
        return Ok(None);
    }
    let (hits, wait) = current(db, rule, limit, key).await?;
    Ok((hits >= u64::from(limit.max)).then_some(wait))
}

/// Forgets every count of `key` under `rule` (a successful login clears its failures).
pub async fn reset(db: &Db, rule: Rule, key: &str) -> Result<(), sqlx::Error> {
    forget_denied(db, rule, key);
    sqlx::query("DELETE FROM rate_limit_hits WHERE bucket = $1 AND key = $2")
        .bind(rule.bucket())
        .bind(key)
        .execute(&db.write)
        .await?;
    Ok(())
}

/// Deletes the counters of windows that have ended; returns how many.
pub async fn sweep(db: &Db) -> Result<u64, sqlx::Error> {
    let done = sqlx::query("DELETE FROM rate_limit_hits WHERE expires_at <= $1")
        .bind(now_ms())
        .execute(&db.write)
        .await?;
    Ok(done.rows_affected())
}

/// Counts one action under `rule` for `key` with the configured limit; over it, the request ends with 429,
/// `Retry-After` and the rule's Japanese message (an HTML page, or JSON through `ApiError`).
pub async fn enforce(ctx: &Ctx, rule: Rule, key: &str) -> Result<(), AppError> {
    enforce_weighted(ctx, rule, key, 1).await
}

/// Counts `weight` actions under `rule` for `key` (see [`hit_weighted`]) and refuses past the configured limit.
pub async fn enforce_weighted(
    ctx: &Ctx,
    rule: Rule,
    key: &str,
    weight: u32,
) -> Result<(), AppError> {
    let limit = rule.limit(&ctx.config.rate_limits);
    match hit_weighted(&ctx.db, rule, limit, key, weight).await? {
        Verdict::Allowed { .. } => Ok(()),
        Verdict::Limited { retry_after_secs } => Err(AppError::TooManyRequests {
            rule,
            retry_after_secs,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_are_aligned_and_the_wait_rounds_up() {
        let limit = Limit::new(5, 60);
        assert_eq!(window(limit, 125_000), (120_000, 180_000));
        assert_eq!(retry_after(180_000, 125_001), 55);
        assert_eq!(retry_after(180_000, 180_000), 1);
        assert_eq!(wait_text(Lang::Ja, 59), "59秒");
        assert_eq!(wait_text(Lang::Ja, 61), "2分");
        assert_eq!(wait_text(Lang::En, 1), "1 second");
        assert_eq!(wait_text(Lang::En, 60), "1 minute");
        assert_eq!(wait_text(Lang::En, 61), "2 minutes");
        assert_eq!(wait_text(Lang::Easy, 120), "2分");
    }

    #[test]
    fn every_rule_has_a_message_in_every_language_with_the_wait() {
        let rules = [
            Rule::ApiSubmissionPerClient,
            Rule::ApiSubmissionPerForm,
            Rule::FormPostPerClient,
            Rule::FaqQuestionPerClient,
            Rule::SigninMailPerClient,
            Rule::LoginFailurePerLogin,
            Rule::LoginFailurePerClient,
            Rule::UploadMegabytesPerClient,
            Rule::ClaimCodePerApplicant,
            Rule::ClaimCodePerReceipt,
            Rule::ClaimAttemptPerApplicant,
        ];
        for rule in rules {
            assert!(rule.message_in(Lang::Ja, 300).contains("5分"), "{rule:?}");
            let en = rule.message_in(Lang::En, 300);
            assert!(en.contains("5 minutes"), "{rule:?}");
            assert!(en.is_ascii(), "{rule:?}: English is all ASCII: {en}");
            let easy = rule.message_in(Lang::Easy, 300);
            assert!(
                easy.contains("5分") && easy != rule.message_in(Lang::Ja, 300),
                "{rule:?}"
            );
        }
    }
}
