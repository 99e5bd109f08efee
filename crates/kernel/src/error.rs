//! One error type, two faces: an HTML page for people, JSON for the API.
//!
//! Policy: inside a request, functions return [`AppError`]; a variant chooses the status code here and only
//! here. Unexpected failures become `Internal`, are logged with their cause, and show no detail to the user.
//! Outside requests (CLI, start-up, jobs) `anyhow` is used.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};

/// Errors a request can end with.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The thing does not exist, or the user may not know it exists.
    #[error("見つかりません")]
    NotFound,
    /// Signed in, but not allowed.
    #[error("この操作を行う権限がありません")]
    Forbidden,
    /// Not signed in: browsers are sent to the login page.
    #[error("ログインしてください")]
    Unauthenticated,
    /// The form token did not match (CSRF) or has expired.
    #[error("画面の有効期限が切れたか、不正な送信です。もう一度操作してください")]
    Csrf,
    /// The request is wrong in a way the user can fix; the message is shown as is.
    #[error("{0}")]
    BadRequest(String),
    /// The state does not allow this now (e.g. an invalid status transition, a full seminar).
    #[error("{0}")]
    Conflict(String),
    /// Too large an upload.
    #[error("{0}")]
    TooLarge(String),
    /// A service we depend on (the object store) does not answer; the message says what to do (503).
    #[error("{0}")]
    Unavailable(String),
    /// Anything unexpected.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
    /// Too many requests from one client or for one target (`kernel::ratelimit`); answered with 429 and
    /// `Retry-After`.
    #[error("{message}")]
    TooManyRequests {
        /// What happened and when to try again, shown as is.
        message: String,
        /// Seconds until the limit's window ends.
        retry_after_secs: u64,
    },
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::RowNotFound => AppError::NotFound,
            e => AppError::Internal(e.into()),
        }
    }
}

impl From<crate::storage::StorageError> for AppError {
    fn from(e: crate::storage::StorageError) -> Self {
        match e {
            // A row names an object the store does not hold: not the user's doing.
            crate::storage::StorageError::NotFound(_) => AppError::Internal(e.into()),
            crate::storage::StorageError::Unavailable(ref detail) => {
                tracing::error!(error = %detail, "object store unavailable");
                AppError::Unavailable(
                    "ファイルの保管場所に接続できないため、ファイルを保存・表示できませんでした。しばらくしてからもう一度お試しください。".into(),
                )
            }
        }
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        AppError::Internal(e.into())
    }
}

impl AppError {
    /// The HTTP status for this error.
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
            AppError::Csrf => StatusCode::FORBIDDEN,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
        }
    }

    fn public_message(&self) -> String {
        match self {
            AppError::Internal(e) => {
                tracing::error!(error = ?e, "internal error");
                "システムでエラーが発生しました。時間をおいてもう一度お試しください。".into()
            }
            other => other.to_string(),
        }
    }

    /// The `Retry-After` header of a rate-limited answer.
    fn retry_after(&self) -> Option<(axum::http::HeaderName, String)> {
        match self {
            AppError::TooManyRequests {
                retry_after_secs, ..
            } => Some((
                axum::http::header::RETRY_AFTER,
                retry_after_secs.max(&1).to_string(),
            )),
            _ => None,
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    title: &'static str,
    message: String,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if matches!(self, AppError::Unauthenticated) {
            return Redirect::to("/staff/login").into_response();
        }
        let status = self.status();
        let title = match status {
            StatusCode::NOT_FOUND => "ページが見つかりません",
            StatusCode::FORBIDDEN => "アクセスできません",
            StatusCode::INTERNAL_SERVER_ERROR => "エラーが発生しました",
            StatusCode::TOO_MANY_REQUESTS => "しばらくお待ちください",
            StatusCode::SERVICE_UNAVAILABLE => "ただいま処理できません",
            _ => "処理できませんでした",
        };
        let retry_after = self.retry_after();
        let page = ErrorPage {
            title,
            message: self.public_message(),
        };
        let mut resp = match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => (status, title).into_response(),
        };
        if let Some((name, value)) = retry_after
            && let Ok(value) = value.parse()
        {
            resp.headers_mut().insert(name, value);
        }
        resp
    }
}

/// The same error, rendered as JSON for the API: `{"error": {"code": …, "message": …}}`.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl<E: Into<AppError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.0.status();
        let code = match &self.0 {
            AppError::NotFound => "not_found",
            AppError::Forbidden => "forbidden",
            AppError::Unauthenticated => "unauthenticated",
            AppError::Csrf => "csrf",
            AppError::BadRequest(_) => "bad_request",
            AppError::Conflict(_) => "conflict",
            AppError::TooLarge(_) => "too_large",
            AppError::Internal(_) => "internal",
            AppError::Unavailable(_) => "unavailable",
            AppError::TooManyRequests { .. } => "rate_limited",
        };
        let body = serde_json::json!({"error": {"code": code, "message": self.0.public_message()}});
        let mut resp = (status, axum::Json(body)).into_response();
        if let Some((name, value)) = self.0.retry_after()
            && let Ok(value) = value.parse()
        {
            resp.headers_mut().insert(name, value);
        }
        resp
    }
}

/// Result of a page handler.
pub type AppResult<T> = Result<T, AppError>;
