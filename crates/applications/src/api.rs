//! JSON endpoints: submission by API (same validation and storage as the pages), postal lookup.

use crate::AppState;
use crate::forms_store::{find_published, find_published_recent};
use crate::submissions::{Channel, Refusal, SubmitOutcome};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use madoguchi_forms::{Lang, RawInput};
use madoguchi_kernel::{ApiError, AppError};
use serde::Deserialize;
use serde_json::json;

/// Body of an API submission.
#[derive(Deserialize)]
pub struct ApiSubmission {
    /// Answers by part key, as stored (`{"applicant": {"kind": "individual", "name": "…"}, …}`).
    pub answers: serde_json::Map<String, serde_json::Value>,
    /// The applicant's language (`ja`, `en`, `ja-easy`): field errors and the receipt mail are in it when the
    /// form is translated into it; anything else, or none, is Japanese. A field rather than `Accept-Language`,
    /// so that what a client gets does not depend on its platform's settings.
    #[serde(default)]
    pub lang: Option<String>,
}

/// POST `/api/v1/t/{code}/forms/{slug}/submissions`: 201 with the receipt number, 422 with field errors,
/// 429 past the per-client or per-form rate limit.
/// Attachments are not accepted here; forms with required files must be used through the pages.
///
/// The form comes from this instance's recent copy (at most a second old); if a new version was published
/// meanwhile, the writer refuses the submission and it is checked once more against the version read fresh.
pub async fn submit(
    State(state): State<AppState>,
    _quota: crate::limits::ApiSubmissionQuota,
    Path((code, slug)): Path<(String, String)>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let ctx = &state.ctx;
    let json_type = headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .eq_ignore_ascii_case("application/json")
        });
    if !json_type {
        return Err(AppError::BadRequest(
            "Content-Type は application/json にしてください。".into(),
        )
        .into());
    }
    let body: ApiSubmission = serde_json::from_slice(&body).map_err(|e| {
        AppError::BadRequest(format!(
            "JSONとして読めないか、形式が違います（{}行{}列）。{{\"answers\": {{…}}}} の形で送ってください。",
            e.line(),
            e.column()
        ))
    })?;
    let raw = RawInput::from_answers_json(&body.answers).map_err(|e| AppError::TooLarge(e.0))?;
    let lang = madoguchi_forms::Lang::from_code(body.lang.as_deref().unwrap_or(""));
    let mut form = find_published_recent(&ctx.db, &code, &slug).await?;
    for fresh in [false, true] {
        if fresh {
            form = find_published(&ctx.db, &code, &slug).await?;
        }
        // The same policy as the pages; the API has no signed-in applicant, so forms that require one refuse.
        let outcome = crate::submissions::submit(
            &state.committer,
            &form,
            raw.clone(),
            None,
            Channel::Api,
            None,
            lang,
        )
        .await?;
        match outcome {
            SubmitOutcome::Accepted { receipt_number } => {
                ctx.jobs_wake.notify_one();
                let body = Json(json!({"receipt_number": receipt_number}));
                return Ok((StatusCode::CREATED, body).into_response());
            }
            SubmitOutcome::Full => {
                let message = "定員に達したため受け付けられませんでした。";
                return Err(AppError::Conflict(message.into()).into());
            }
            SubmitOutcome::Refused(Refusal::Invalid(errors)) => {
                let fields: Vec<_> = errors
                    .iter()
                    .map(|e| json!({"field": e.field, "message": e.message}))
                    .collect();
                let body = json!({"error": {"code": "validation", "message": "入力内容に誤りがあります。", "fields": fields}});
                return Ok((StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response());
            }
            SubmitOutcome::Refused(Refusal::Closed(reason)) => {
                return Err(AppError::Conflict(reason.text(Lang::Ja)).into());
            }
            SubmitOutcome::Refused(Refusal::SignInRequired(reason)) => {
                let reason = reason.text(Lang::Ja);
                let body = json!({"error": {"code": "sign_in_required", "message": format!("{reason}この手続きはAPIからは申請できません。")}});
                return Ok((StatusCode::FORBIDDEN, Json(body)).into_response());
            }
            SubmitOutcome::Refused(r @ Refusal::FilesNotAccepted) => {
                return Err(AppError::BadRequest(r.message()).into());
            }
            SubmitOutcome::FormChanged | SubmitOutcome::AlreadySubmitted => continue,
        }
    }
    // A second new version within the retry: rare enough to let the client try again.
    Err(AppError::Conflict("手続の内容が更新されました。もう一度送信してください。".into()).into())
}

/// GET `/api/postal/{code}`: the first address for a postal code; 404 when unknown, 503 without data.
pub async fn postal(
    State(state): State<AppState>,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    let code = madoguchi_japanese::digits::PostalCode::parse(&code)
        .map_err(|_| AppError::BadRequest("郵便番号は7桁の数字で指定してください。".into()))?;
    let Some(postal) = &state.postal else {
        let body = json!({"error": {"code": "unavailable", "message": "郵便番号データが読み込まれていません。住所を入力してください。"}});
        return Ok((StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response());
    };
    let found = postal.lookup(code.as_str()).await?;
    match found.into_iter().next() {
        Some(a) => Ok(Json(a).into_response()),
        None => Err(AppError::NotFound.into()),
    }
}
