//! One-time links sent by mail: sign-in without a password, and resuming a draft on another device.
//!
//! A link is a random token of which only the hash is stored. It works once (the update that consumes it
//! checks `used_at IS NULL`, so two clicks at once cannot both succeed), for a short time, and a mail address
//! gets only a few links in a quarter of an hour.

use madoguchi_kernel::ids::{new_token, token_hash};
use madoguchi_kernel::jobs::enqueue_in;
use madoguchi_kernel::mail::SendMail;
use madoguchi_kernel::{AppError, Db, now_ms};
use sqlx::Row;

/// How long a sign-in link works.
pub const LOGIN_LINK_MINUTES: i64 = 15;
/// How long a draft resume link works.
pub const RESUME_LINK_HOURS: i64 = 24;
/// Links one address may be sent per [`RATE_WINDOW_MINUTES`].
pub const RATE_LIMIT: i64 = 3;
/// The window of the rate limit.
pub const RATE_WINDOW_MINUTES: i64 = 15;

/// What a link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Sign in.
    Login,
    /// Resume a draft.
    Resume,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::Login => "login",
            Purpose::Resume => "resume",
        }
    }
}

/// Why no link was sent.
#[derive(Debug)]
pub enum SendError {
    /// Too many links for this address lately.
    RateLimited,
    /// The database failed.
    Db(AppError),
}

impl From<sqlx::Error> for SendError {
    fn from(e: sqlx::Error) -> Self {
        SendError::Db(e.into())
    }
}

/// Creates a link and queues its mail in one transaction. The mail holds the link and nothing personal.
pub async fn send(
    db: &Db,
    purpose: Purpose,
    email: &str,
    draft_id: Option<&str>,
    next: &str,
    public_url: &str,
) -> Result<(), SendError> {
    let now = now_ms();
    let mut tx = db.write.begin().await?;
    let recent: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM mail_links WHERE email = $1 AND created_at > $2")
            .bind(email)
            .bind(now - RATE_WINDOW_MINUTES * 60_000)
            .fetch_one(&mut *tx)
            .await?;
    if recent >= RATE_LIMIT {
        return Err(SendError::RateLimited);
    }
    let token = new_token();
    let (lifetime, path, mail) = match purpose {
        Purpose::Login => (
            LOGIN_LINK_MINUTES * 60_000,
            if next.is_empty() {
                format!("/mypage/login/{token}")
            } else {
                let next =
                    percent_encoding::utf8_percent_encode(next, percent_encoding::NON_ALPHANUMERIC);
                format!("/mypage/login/{token}?next={next}")
            },
            (
                "【ログイン】マイページへのログイン用リンク",
                format!("{LOGIN_LINK_MINUTES}分間"),
            ),
        ),
        Purpose::Resume => (
            RESUME_LINK_HOURS * 3_600_000,
            format!("/resume/{token}"),
            (
                "【一時保存】入力の続きを行うためのリンク",
                format!("{RESUME_LINK_HOURS}時間"),
            ),
        ),
    };
    sqlx::query(
        "INSERT INTO mail_links (token_hash, purpose, email, draft_id, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(token_hash(&token))
    .bind(purpose.as_str())
    .bind(email)
    .bind(draft_id)
    .bind(now)
    .bind(now + lifetime)
    .execute(&mut *tx)
    .await?;
    let (subject, valid) = mail;
    enqueue_in(
        &mut tx,
        &SendMail {
            to: email.to_string(),
            subject: subject.to_string(),
            body: format!(
                "次のリンクを開いてください。リンクは1回だけ、{valid}有効です。\n\n{public_url}{path}\n\n\
                 お心当たりがない場合は、このメールを破棄してください。\nこのメールは送信専用です。\n"
            ),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// A consumed link: the proven mail address, and the draft for a resume link.
#[derive(Debug, Clone)]
pub struct Consumed {
    /// The address the link was sent to.
    pub email: String,
    /// The draft to resume.
    pub draft_id: Option<String>,
}

/// Whether a link is live (for the page that asks to confirm before it is used: mail scanners open links).
pub async fn is_live(db: &Db, purpose: Purpose, token: &str) -> Result<bool, AppError> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM mail_links WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3",
    )
    .bind(token_hash(token))
    .bind(purpose.as_str())
    .bind(now_ms())
    .fetch_one(&db.read)
    .await?;
    Ok(n == 1)
}

/// Uses a link once: `None` if it is unknown, used or expired.
pub async fn consume(db: &Db, purpose: Purpose, token: &str) -> Result<Option<Consumed>, AppError> {
    let hash = token_hash(token);
    let now = now_ms();
    let mut tx = db.write.begin().await?;
    let n = sqlx::query(
        "UPDATE mail_links SET used_at = $1
         WHERE token_hash = $2 AND purpose = $3 AND used_at IS NULL AND expires_at > $1",
    )
    .bind(now)
    .bind(&hash)
    .bind(purpose.as_str())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if n != 1 {
        return Ok(None);
    }
    let row = sqlx::query("SELECT email, draft_id FROM mail_links WHERE token_hash = $1")
        .bind(&hash)
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Some(Consumed {
        email: row.try_get("email")?,
        draft_id: row.try_get("draft_id")?,
    }))
}

/// The applicant with this proven address, created on first sign-in.
pub async fn applicant_for_email(db: &Db, email: &str) -> Result<i64, AppError> {
    let now = now_ms();
    // Two first sign-ins at once: the second insert does nothing and both read the same row.
    sqlx::query(
        "INSERT INTO applicants (email, notify_email, created_at) VALUES ($1, $1, $2) ON CONFLICT (email) DO NOTHING",
    )
    .bind(email)
    .bind(now)
    .execute(&db.write)
    .await?;
    Ok(
        sqlx::query_scalar("SELECT id FROM applicants WHERE email = $1")
            .bind(email)
            .fetch_one(&db.write)
            .await?,
    )
}
