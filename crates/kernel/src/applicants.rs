//! Applicants (申請者) with an account, and their sessions.
//!
//! Residents and businesses may apply without an account; those who sign in (one-time mail link or OpenID
//! Connect, see the `madoguchi-identity` crate) get an [`Applicant`] from their session cookie. It is the only
//! way handlers learn which applicant is acting, and queries over an applicant's data take its id, so one
//! applicant never reaches another's applications (the counterpart of [`crate::StaffScope`]).

use crate::db::{Db, now_ms};
use crate::ids::{new_token, token_hash};
use crate::state::Ctx;
use axum::extract::{FromRef, FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use sqlx::Row;

/// Name of the applicant session cookie (separate from the staff one).
pub const APPLICANT_COOKIE: &str = "madoguchi_applicant";

/// Identity level a provider vouches for: the name and address were checked (マイナンバーカード).
pub const LEVEL_VERIFIED: &str = "verified";

/// A signed-in applicant.
#[derive(Debug, Clone, Default)]
pub struct Applicant {
    /// Id.
    pub id: i64,
    /// Sign-in address proven by a one-time link, if any.
    pub email: Option<String>,
    /// Identity level vouched for by an OpenID Connect provider (`""` when none).
    pub verified_level: String,
    /// 氏名 as verified.
    pub verified_name: String,
    /// 住所 as verified.
    pub verified_address: String,
    /// 生年月日 as verified (ISO date).
    pub verified_birthdate: String,
    /// 性別 as verified.
    pub verified_gender: String,
    /// Profile: 氏名.
    pub profile_name: String,
    /// Profile: フリガナ.
    pub profile_furigana: String,
    /// Profile: 郵便番号.
    pub profile_postal_code: String,
    /// Profile: 住所.
    pub profile_address: String,
    /// Profile: 電話番号.
    pub profile_phone: String,
    /// Where notifications go (may be empty).
    pub notify_email: String,
    /// Mail on receipt.
    pub notify_receipt: bool,
    /// Mail on status changes.
    pub notify_status: bool,
    /// Mail on messages from staff.
    pub notify_message: bool,
}

impl Applicant {
    /// Whether a provider verified this applicant's identity (name and address are then locked on forms).
    pub fn is_verified(&self) -> bool {
        self.verified_level == LEVEL_VERIFIED
    }

    /// The name to greet the applicant with: verified, else profile, else the mail address.
    pub fn display_name(&self) -> String {
        [&self.verified_name, &self.profile_name]
            .into_iter()
            .find(|s| !s.is_empty())
            .cloned()
            .or_else(|| self.email.clone())
            .unwrap_or_else(|| "申請者".into())
    }
}

const COLUMNS: &str = "a.id, a.email, a.verified_level, a.verified_name, a.verified_address, a.verified_birthdate,
    a.verified_gender, a.profile_name, a.profile_furigana, a.profile_postal_code, a.profile_address, a.profile_phone,
    a.notify_email, a.notify_receipt, a.notify_status, a.notify_message";

fn from_row(r: &sqlx::any::AnyRow) -> Result<Applicant, sqlx::Error> {
    Ok(Applicant {
        id: r.try_get("id")?,
        email: r.try_get("email")?,
        verified_level: r.try_get("verified_level")?,
        verified_name: r.try_get("verified_name")?,
        verified_address: r.try_get("verified_address")?,
        verified_birthdate: r.try_get("verified_birthdate")?,
        verified_gender: r.try_get("verified_gender")?,
        profile_name: r.try_get("profile_name")?,
        profile_furigana: r.try_get("profile_furigana")?,
        profile_postal_code: r.try_get("profile_postal_code")?,
        profile_address: r.try_get("profile_address")?,
        profile_phone: r.try_get("profile_phone")?,
        notify_email: r.try_get("notify_email")?,
        notify_receipt: r.try_get::<i64, _>("notify_receipt")? != 0,
        notify_status: r.try_get::<i64, _>("notify_status")? != 0,
        notify_message: r.try_get::<i64, _>("notify_message")? != 0,
    })
}

/// Loads an applicant by id.
pub async fn find(db: &Db, id: i64) -> Result<Option<Applicant>, sqlx::Error> {
    let sql = format!("SELECT {COLUMNS} FROM applicants a WHERE a.id = $1");
    let row = sqlx::query(&sql).bind(id).fetch_optional(&db.read).await?;
    row.as_ref().map(from_row).transpose()
}

/// Starts a new session for an applicant and returns its token. A new token is made at every sign-in, so a
/// token planted in the browser before (session fixation) is never promoted; the caller ends the old one.
/// `browser_proven` says the sign-in was completed in the browser that proved the account (the browser that
/// asked for the mail link, or an OpenID Connect flow); see [`session_is_browser_proven`].
pub async fn start_session(
    db: &Db,
    applicant_id: i64,
    minutes: i64,
    browser_proven: bool,
) -> Result<String, sqlx::Error> {
    let token = new_token();
    let now = now_ms();
    sqlx::query(
        "INSERT INTO applicant_sessions (token_hash, applicant_id, created_at, expires_at, browser_proven)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(token_hash(&token))
    .bind(applicant_id)
    .bind(now)
    .bind(now + minutes * 60_000)
    .bind(i64::from(browser_proven))
    .execute(&db.write)
    .await?;
    Ok(token)
}

/// Whether a live session was started in the browser that proved the account. A session from a mail link
/// opened in another browser is not: that link may have been sent by someone else to sign this browser into
/// their account, so such a session must never gain a verified identity (マイナンバーカード).
pub async fn session_is_browser_proven(db: &Db, token: &str) -> Result<bool, sqlx::Error> {
    let proven: Option<i64> = sqlx::query_scalar(
        "SELECT browser_proven FROM applicant_sessions WHERE token_hash = $1 AND expires_at > $2",
    )
    .bind(token_hash(token))
    .bind(now_ms())
    .fetch_optional(&db.read)
    .await?;
    Ok(proven == Some(1))
}

/// Ends a session (sign-out, or the session a browser had before signing in again).
pub async fn end_session(db: &Db, token: &str) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM applicant_sessions WHERE token_hash = $1")
        .bind(token_hash(token))
        .execute(&db.write)
        .await?;
    Ok(())
}

/// The applicant of a live session.
pub async fn for_session(db: &Db, token: &str) -> Result<Option<Applicant>, sqlx::Error> {
    let sql = format!(
        "SELECT {COLUMNS} FROM applicant_sessions x JOIN applicants a ON a.id = x.applicant_id
         WHERE x.token_hash = $1 AND x.expires_at > $2"
    );
    let row = sqlx::query(&sql)
        .bind(token_hash(token))
        .bind(now_ms())
        .fetch_optional(&db.read)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Rejection of pages that need a signed-in applicant: the browser is sent to the sign-in page.
#[derive(Debug)]
pub enum ApplicantRejection {
    /// Not signed in.
    SignIn,
    /// The database failed.
    Error(crate::AppError),
}

impl IntoResponse for ApplicantRejection {
    fn into_response(self) -> Response {
        match self {
            ApplicantRejection::SignIn => Redirect::to("/mypage/login").into_response(),
            ApplicantRejection::Error(e) => e.into_response(),
        }
    }
}

impl<S> FromRequestParts<S> for Applicant
where
    Ctx: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApplicantRejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        <Applicant as OptionalFromRequestParts<S>>::from_request_parts(parts, state)
            .await
            .map_err(ApplicantRejection::Error)?
            .ok_or(ApplicantRejection::SignIn)
    }
}

impl<S> OptionalFromRequestParts<S> for Applicant
where
    Ctx: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = crate::AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &S,
    ) -> Result<Option<Self>, Self::Rejection> {
        let Some(token) = crate::web::cookie(&parts.headers, APPLICANT_COOKIE) else {
            return Ok(None);
        };
        let ctx = Ctx::from_ref(state);
        Ok(for_session(&ctx.db, token).await?)
    }
}
