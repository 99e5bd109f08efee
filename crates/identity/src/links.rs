//! One-time links sent by mail: sign-in without a password, and resuming a draft on another device.
//!
//! A link is a random token of which only the hash is stored. It works once (the update that consumes it
//! checks `used_at IS NULL`, so two clicks at once cannot both succeed), for a short time, and a mail address
//! gets only a few links in a quarter of an hour (the address is a case-folded [`MailAddress`], so case variants
//! share the quota).
//!
//! A sign-in link is bound to the browser that asked for it: that browser gets a nonce cookie
//! ([`SIGNIN_COOKIE`]) whose hash is stored with the link. Opened there, the link signs in with one button.
//! Opened anywhere else — the victim's browser, when an attacker mails the victim a link to the attacker's own
//! account — it signs in only after the full address is typed in, and the session it starts is not trusted to
//! gain a verified identity (see [`Consumed::same_browser`]).

pub use crate::address::MailAddress;
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
/// Name of the cookie holding the nonce of the browser that asked for a sign-in link.
pub const SIGNIN_COOKIE: &str = "madoguchi_signin";

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
/// `browser` is the nonce of the browser asking (sign-in links), stored hashed to bind the link to it.
pub async fn send(
    db: &Db,
    purpose: Purpose,
    email: &MailAddress,
    draft_id: Option<&str>,
    next: &str,
    public_url: &str,
    browser: Option<&str>,
) -> Result<(), SendError> {
    send_in(
        madoguchi_kernel::Lang::Ja,
        db,
        purpose,
        email,
        draft_id,
        next,
        public_url,
        browser,
    )
    .await
}

/// [`send`] with a sign-in link's mail in `lang` (resume links' mails stay Japanese).
#[allow(clippy::too_many_arguments)]
pub async fn send_in(
    lang: madoguchi_kernel::Lang,
    db: &Db,
    purpose: Purpose,
    email: &MailAddress,
    draft_id: Option<&str>,
    next: &str,
    public_url: &str,
    browser: Option<&str>,
) -> Result<(), SendError> {
    let email = email.as_str();
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
        "INSERT INTO mail_links (token_hash, purpose, email, draft_id, created_at, expires_at, browser_hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(token_hash(&token))
    .bind(purpose.as_str())
    .bind(email)
    .bind(draft_id)
    .bind(now)
    .bind(now + lifetime)
    .bind(browser.map(token_hash))
    .execute(&mut *tx)
    .await?;
    let (subject, valid) = mail;
    let mail = match (purpose, lang) {
        (Purpose::Login, madoguchi_kernel::Lang::En | madoguchi_kernel::Lang::Easy) => {
            let [subject, before, after, end] = crate::words::words(lang).login_mail_text;
            SendMail {
                to: email.to_string(),
                subject: subject.to_string(),
                body: format!("{before}{LOGIN_LINK_MINUTES}{after}\n\n{public_url}{path}\n\n{end}"),
            }
        }
        _ => SendMail {
            to: email.to_string(),
            subject: subject.to_string(),
            body: format!(
                "次のリンクを開いてください。リンクは1回だけ、{valid}有効です。\n\n{public_url}{path}\n\n\
                 お心当たりがない場合は、このメールを破棄してください。\nこのメールは送信専用です。\n"
            ),
        },
    };
    enqueue_in(&mut tx, &mail).await?;
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
    /// Whether the link was used in the browser that asked for it. Only then did this browser prove it owns
    /// the account: a link opened elsewhere may have been sent by someone else to sign the reader into their
    /// account, so such a session never gains a verified identity.
    pub same_browser: bool,
}

/// A live sign-in link, for its confirmation page.
#[derive(Debug, Clone)]
pub struct LiveLink {
    /// The address (and so the account) the link signs into.
    pub email: MailAddress,
    /// Whether this browser asked for the link.
    pub same_browser: bool,
}

/// A live sign-in link as seen from a browser (`browser`: its nonce cookie), or `None` if the link is unknown,
/// used or expired.
pub async fn inspect_login(
    db: &Db,
    token: &str,
    browser: Option<&str>,
) -> Result<Option<LiveLink>, AppError> {
    let row = sqlx::query(
        "SELECT email, browser_hash FROM mail_links
         WHERE token_hash = $1 AND purpose = 'login' AND used_at IS NULL AND expires_at > $2",
    )
    .bind(token_hash(token))
    .bind(now_ms())
    .fetch_optional(&db.read)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let email: String = row.try_get("email")?;
    let bound: Option<String> = row.try_get("browser_hash")?;
    Ok(Some(LiveLink {
        // Stored addresses are folded (migration 0010 folded the older ones), so this parses.
        email: MailAddress::parse(&email)
            .ok_or_else(|| AppError::Internal(anyhow::anyhow!("unparsable stored address")))?,
        same_browser: same_browser(bound.as_deref(), browser),
    }))
}

fn same_browser(bound: Option<&str>, browser: Option<&str>) -> bool {
    match (bound, browser) {
        (Some(bound), Some(nonce)) => {
            let hash = token_hash(nonce);
            // Constant time: the hash is not secret, but comparing it so costs nothing.
            bound.len() == hash.len()
                && bound
                    .bytes()
                    .zip(hash.bytes())
                    .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                    == 0
        }
        _ => false,
    }
}

/// What became of an attempt to use a sign-in link.
#[derive(Debug)]
pub enum LoginAttempt {
    /// The link was used: sign in.
    SignedIn(Consumed),
    /// Opened in another browser without the address typed in: the link stays live, ask for the address.
    AddressNeeded(LiveLink),
    /// Opened in another browser with an address that is not the link's: the link is spent (so the address
    /// cannot be guessed by trying), the reader must ask for a new one.
    WrongAddress,
    /// Unknown, used or expired.
    Gone,
}

/// Uses a sign-in link once, from a browser (`browser`: its nonce cookie). In the browser that asked for the
/// link, it signs in; in any other, only with `typed` equal to the link's address.
pub async fn use_login(
    db: &Db,
    token: &str,
    browser: Option<&str>,
    typed: Option<&MailAddress>,
) -> Result<LoginAttempt, AppError> {
    let Some(live) = inspect_login(db, token, browser).await? else {
        return Ok(LoginAttempt::Gone);
    };
    if !live.same_browser {
        match typed {
            None => return Ok(LoginAttempt::AddressNeeded(live)),
            Some(typed) if *typed != live.email => {
                // Spend the link: one wrong guess ends it.
                consume(db, Purpose::Login, token).await?;
                return Ok(LoginAttempt::WrongAddress);
            }
            Some(_) => {}
        }
    }
    Ok(match consume(db, Purpose::Login, token).await? {
        Some(mut used) if used.email == live.email.as_str() => {
            used.same_browser = live.same_browser;
            LoginAttempt::SignedIn(used)
        }
        _ => LoginAttempt::Gone,
    })
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
        same_browser: false,
    }))
}

/// The applicant with this proven address, created on first sign-in. An account made before addresses were
/// folded is found whatever its case (the oldest, if case variants made several).
pub async fn applicant_for_email(db: &Db, email: &MailAddress) -> Result<i64, AppError> {
    let find = || async {
        sqlx::query_scalar::<_, i64>(
            "SELECT id FROM applicants WHERE email = $1 OR lower(email) = $1
             ORDER BY CASE WHEN email = $1 THEN 0 ELSE 1 END, id LIMIT 1",
        )
        .bind(email.as_str())
        .fetch_optional(&db.write)
        .await
    };
    if let Some(id) = find().await? {
        return Ok(id);
    }
    // Two first sign-ins at once: the second insert does nothing and both read the same row.
    sqlx::query(
        "INSERT INTO applicants (email, notify_email, created_at) VALUES ($1, $1, $2) ON CONFLICT (email) DO NOTHING",
    )
    .bind(email.as_str())
    .bind(now_ms())
    .execute(&db.write)
    .await?;
    find().await?.ok_or(AppError::NotFound)
}
