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
        // Before the body is read, the language is the request's (`?lang=`); after, the body's `lang`.
        return Err(AppError::BadRequest(madoguchi_kernel::web::in_request_lang(
            "Content-Type は application/json にしてください。",
            "Send the body with Content-Type: application/json.",
            "Content-Type は application/json に して ください。",
        ))
        .into());
    }
    let body: ApiSubmission = serde_json::from_slice(&body).map_err(|e| {
        let (line, column) = (e.line(), e.column());
        AppError::BadRequest(madoguchi_kernel::web::in_request_lang(
            &format!("JSONとして読めないか、形式が違います（{line}行{column}列）。{{\"answers\": {{…}}}} の形で送ってください。"),
            &format!("The body is not JSON or not in the expected shape (line {line}, column {column}). Send {{\"answers\": {{…}}}}."),
            &format!("JSON として よめません（{line}ぎょう {column}れつ）。{{\"answers\": {{…}}}} の かたちで おくって ください。"),
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
                let message = api_words(lang).full;
                return Err(AppError::Conflict(message.into()).into());
            }
            SubmitOutcome::Refused(Refusal::Invalid(errors)) => {
                let fields: Vec<_> = errors
                    .iter()
                    .map(|e| json!({"field": e.field, "message": e.message}))
                    .collect();
                let message = Refusal::Invalid(Vec::new()).message_in(lang);
                let body =
                    json!({"error": {"code": "validation", "message": message, "fields": fields}});
                return Ok((StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response());
            }
            SubmitOutcome::Refused(Refusal::Closed(reason)) => {
                return Err(AppError::Conflict(reason.text(lang)).into());
            }
            SubmitOutcome::Refused(Refusal::SignInRequired(reason)) => {
                let reason = reason.text(lang);
                let not_here = api_words(lang).not_by_api;
                let body = json!({"error": {"code": "sign_in_required", "message": format!("{reason}{not_here}")}});
                return Ok((StatusCode::FORBIDDEN, Json(body)).into_response());
            }
            SubmitOutcome::Refused(r @ Refusal::FilesNotAccepted) => {
                return Err(AppError::BadRequest(r.message_in(lang)).into());
            }
            SubmitOutcome::FormChanged | SubmitOutcome::AlreadySubmitted => continue,
        }
    }
    // A second new version within the retry: rare enough to let the client try again.
    Err(AppError::Conflict(api_words(lang).changed.into()).into())
}

/// The API's own refusals, in the applicant's language (the `lang` of the body).
struct ApiWords {
    full: &'static str,
    not_by_api: &'static str,
    changed: &'static str,
}

fn api_words(lang: Lang) -> ApiWords {
    match lang {
        Lang::Ja => ApiWords {
            full: "定員に達したため受け付けられませんでした。",
            not_by_api: "この手続きはAPIからは申請できません。",
            changed: "手続の内容が更新されました。もう一度送信してください。",
        },
        Lang::En => ApiWords {
            full: "The application could not be accepted: the places are all taken.",
            not_by_api: " This procedure cannot be applied for through the API.",
            changed: "The procedure has just been updated. Please send the application again.",
        },
        Lang::Easy => ApiWords {
            full: "もう いっぱいです。うけつけ できませんでした。",
            not_by_api: "この てつづきは API では もうしこめません。",
            changed: "てつづきの ないようが かわりました。もう いちど おくって ください。",
        },
    }
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
