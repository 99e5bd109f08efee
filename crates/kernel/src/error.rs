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
    /// `Retry-After`, and the rule's message in the request's language.
    #[error("{}", rule.message(*retry_after_secs))]
    TooManyRequests {
        /// The limit that was reached (it says what happened).
        rule: crate::ratelimit::Rule,
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
                AppError::Unavailable(crate::web::in_request_lang(
                    "ファイルの保管場所に接続できないため、ファイルを保存・表示できませんでした。しばらくしてからもう一度お試しください。",
                    "The file storage cannot be reached, so the file could not be saved or shown. Please try again in a while.",
                    "ファイルを おく ところに つながりません。ファイルを ほぞん できませんでした。すこし まってから もう いちど ためして ください。",
                ))
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

    /// What the person is told, in the request's language ([`crate::web::request_lang`]). The free texts
    /// (`BadRequest`, `Conflict`, `TooLarge`, `Unavailable`) are shown as written where they were made.
    pub fn public_message(&self) -> String {
        let fixed = crate::web::in_request_lang;
        match self {
            AppError::Internal(e) => {
                tracing::error!(error = ?e, "internal error");
                fixed(
                    "システムでエラーが発生しました。時間をおいてもう一度お試しください。",
                    "Something went wrong on our side. Please try again in a while.",
                    "システムで もんだいが おきました。すこし まってから もう いちど ためして ください。",
                )
            }
            AppError::NotFound => fixed(
                "見つかりません",
                "The page or item was not found.",
                "みつかりません。",
            ),
            AppError::Forbidden => fixed(
                "この操作を行う権限がありません",
                "You are not allowed to do this.",
                "あなたは これを する ことが できません。",
            ),
            AppError::Unauthenticated => fixed(
                "ログインしてください",
                "Please log in.",
                "ログイン して ください。",
            ),
            AppError::Csrf => fixed(
                "画面の有効期限が切れたか、不正な送信です。もう一度操作してください",
                "This page has expired or the request was not valid. Please go back and try again.",
                "がめんの じかんが おわりました。もう いちど やりなおして ください。",
            ),
            AppError::TooManyRequests {
                rule,
                retry_after_secs,
            } => rule.message_in(crate::web::request_lang(), *retry_after_secs),
            other => other.to_string(),
        }
    }

    /// The title of the error page, in the request's language.
    fn title(&self) -> &'static str {
        let pick = crate::web::pick_in_request_lang::<&'static str>;
        match self.status() {
            StatusCode::NOT_FOUND => pick(
                "ページが見つかりません",
                "Page not found",
                "ページが みつかりません",
            ),
            StatusCode::FORBIDDEN => pick("アクセスできません", "Access denied", "ひらけません"),
            StatusCode::INTERNAL_SERVER_ERROR => pick(
                "エラーが発生しました",
                "An error occurred",
                "もんだいが おきました",
            ),
            StatusCode::TOO_MANY_REQUESTS => pick(
                "しばらくお待ちください",
                "Please wait a moment",
                "すこし まって ください",
            ),
            StatusCode::SERVICE_UNAVAILABLE => pick(
                "ただいま処理できません",
                "Temporarily unavailable",
                "いまは できません",
            ),
            _ => pick(
                "処理できませんでした",
                "Your request could not be processed",
                "できませんでした",
            ),
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
    words: ErrorWords,
    /// Quoted to staff, who find the request's log lines by it.
    request_id: Option<String>,
}

/// The error page's own words (the frame around the message) in one language.
struct ErrorWords {
    html_lang: &'static str,
    skip: &'static str,
    site_name: &'static str,
    footer: &'static str,
    back_home: &'static str,
    reference: &'static str,
}

impl ErrorWords {
    fn of(lang: madoguchi_japanese::lang::Lang) -> ErrorWords {
        use madoguchi_japanese::lang::Lang;
        match lang {
            Lang::Ja => ErrorWords {
                html_lang: "ja",
                skip: "本文へスキップ",
                site_name: "オンライン窓口",
                footer: "madoguchi — 地方公共団体のオンライン窓口",
                back_home: "トップページへ戻る",
                reference: "お問い合わせの際は、次の番号をお伝えください",
            },
            Lang::En => ErrorWords {
                html_lang: "en",
                skip: "Skip to main content",
                site_name: "Online service counter",
                footer: "madoguchi — online service counter of local governments",
                back_home: "Back to the top page",
                reference: "If you contact us, please quote this number",
            },
            Lang::Easy => ErrorWords {
                html_lang: "ja",
                skip: "ほんぶんへ とぶ",
                site_name: "オンライン まどぐち",
                footer: "madoguchi — まちの オンライン まどぐち",
                back_home: "はじめの ページへ もどる",
                reference: "きく ときは、この ばんごうを いって ください",
            },
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if matches!(self, AppError::Unauthenticated) {
            return Redirect::to("/staff/login").into_response();
        }
        let status = self.status();
        let title = self.title();
        let retry_after = self.retry_after();
        let page = ErrorPage {
            title,
            message: self.public_message(),
            words: ErrorWords::of(crate::web::request_lang()),
            request_id: crate::web::request_id(),
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
        let body = serde_json::json!({"error": {
            "code": code,
            "message": self.0.public_message(),
            "request_id": crate::web::request_id(),
        }});
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
