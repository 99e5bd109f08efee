//! Adding applications sent before signing in to my page (申請の追加, ADR 0021): the handlers of
//! `madoguchi_applications::claims`, which holds every rule. They only read the form, tell whether this
//! browser proved the account, and render the outcome.

use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use madoguchi_applications::claims::{self, ClaimError, CodeRequest};
use madoguchi_kernel::applicants::{self, APPLICANT_COOKIE};
use madoguchi_kernel::web::{cookie, page_with_csrf, verify_csrf};
use madoguchi_kernel::{AppError, AppResult, Applicant, Ctx};
use serde::Deserialize;

/// Which step the claim page shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// Type the receipt number.
    Receipt,
    /// Type the code mailed to the address on the application.
    Code,
}

#[derive(Template)]
#[template(path = "mypage_claim.html")]
struct ClaimPage {
    csrf: String,
    signed_in: bool,
    proven: bool,
    step: Step,
    receipt: String,
    code: String,
    /// (field, message); field is `receipt`, `code` or empty for the page.
    error: Option<(&'static str, String)>,
    minutes: i64,
    digits: usize,
    t: &'static crate::words::MyWords,
    here: &'static str,
}

impl ClaimPage {
    fn field_error(&self, field: &str) -> &str {
        match &self.error {
            Some((f, m)) if *f == field => m,
            _ => "",
        }
    }
}

/// Whether this browser's session was started in the browser that proved the account.
async fn browser_proven(ctx: &Ctx, headers: &HeaderMap) -> AppResult<bool> {
    Ok(match cookie(headers, APPLICANT_COOKIE) {
        Some(token) => applicants::session_is_browser_proven(&ctx.db, token).await?,
        None => false,
    })
}

fn render(
    ctx: &Ctx,
    headers: &HeaderMap,
    status: StatusCode,
    page: impl FnOnce(String) -> ClaimPage,
) -> AppResult<Response> {
    page_with_csrf(headers, ctx.config.secure_cookies(), status, |csrf| {
        Ok(page(csrf).render()?)
    })
}

fn page_for(
    csrf: String,
    (proven, t): (bool, &'static crate::words::MyWords),
    step: Step,
    (receipt, code): (String, String),
    error: Option<(&'static str, String)>,
) -> ClaimPage {
    ClaimPage {
        t,
        here: "/mypage/claim",
        csrf,
        signed_in: true,
        proven,
        step,
        receipt,
        code,
        error,
        minutes: claims::CODE_MINUTES,
        digits: claims::CODE_DIGITS,
    }
}

/// GET `/mypage/claim`: asks for the receipt number.
pub async fn claim_page(
    State(ctx): State<Ctx>,
    _applicant: Applicant,
    headers: HeaderMap,
) -> AppResult<Response> {
    let proven = browser_proven(&ctx, &headers).await?;
    let t = crate::words::chosen(&headers);
    render(&ctx, &headers, StatusCode::OK, |csrf| {
        page_for(
            csrf,
            (proven, t),
            Step::Receipt,
            Default::default(),
            (!proven).then(|| ClaimError::NotProven.message_in(t.lang)),
        )
    })
}

/// The claim forms.
#[derive(Deserialize)]
pub struct ClaimForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    receipt: String,
    #[serde(default)]
    code: String,
}

/// What typed text is shown again: the first characters only (a huge value is refused, not echoed).
fn shown(text: &str) -> String {
    text.chars().take(64).collect()
}

/// Status and page for a refused claim step.
fn refused(
    ctx: &Ctx,
    headers: &HeaderMap,
    proven: bool,
    step: Step,
    f: &ClaimForm,
    e: ClaimError,
) -> AppResult<Response> {
    let status = match e {
        ClaimError::Db(e) => return Err(e),
        ClaimError::Limited(_) => StatusCode::TOO_MANY_REQUESTS,
        ClaimError::NotProven => StatusCode::FORBIDDEN,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    let retry = match &e {
        ClaimError::Limited(AppError::TooManyRequests {
            retry_after_secs, ..
        }) => Some(*retry_after_secs),
        _ => None,
    };
    // A malformed receipt number sends the resident back to the first step.
    let step = if matches!(e, ClaimError::ReceiptFormat) {
        Step::Receipt
    } else {
        step
    };
    let t = crate::words::chosen(headers);
    let message = e.message_in(t.lang);
    let typed = (shown(&f.receipt), shown(&f.code));
    let mut resp = render(ctx, headers, status, |csrf| {
        page_for(csrf, (proven, t), step, typed, Some(message))
    })?;
    if let Some(secs) = retry {
        resp.headers_mut().insert(
            axum::http::header::RETRY_AFTER,
            axum::http::HeaderValue::from(secs),
        );
    }
    Ok(resp)
}

/// POST `/mypage/claim`: mails a one-time code to the address on the application with this receipt number
/// and asks for it. The page says the same whether or not a code was sent.
pub async fn request_code(
    State(ctx): State<Ctx>,
    applicant: Applicant,
    headers: HeaderMap,
    axum::Form(f): axum::Form<ClaimForm>,
) -> AppResult<Response> {
    verify_csrf(&headers, &f.csrf)?;
    let proven = browser_proven(&ctx, &headers).await?;
    match claims::request_code(&ctx, &applicant, proven, &f.receipt).await {
        Ok(CodeRequest::AlreadyYours(id)) => Ok(Redirect::to(&format!(
            "/mypage/applications/{id}?notice=already_yours"
        ))
        .into_response()),
        Ok(CodeRequest::MaybeSent) => {
            let receipt = claims::ReceiptNumber::parse(&f.receipt)
                .map(|r| r.as_str().to_string())
                .unwrap_or_default();
            let t = crate::words::chosen(&headers);
            render(&ctx, &headers, StatusCode::OK, |csrf| {
                page_for(
                    csrf,
                    (proven, t),
                    Step::Code,
                    (receipt, String::new()),
                    None,
                )
            })
        }
        Err(e) => refused(&ctx, &headers, proven, Step::Receipt, &f, e),
    }
}

/// POST `/mypage/claim/confirm`: adds the application when the code is right.
pub async fn confirm_code(
    State(ctx): State<Ctx>,
    applicant: Applicant,
    headers: HeaderMap,
    axum::Form(f): axum::Form<ClaimForm>,
) -> AppResult<Response> {
    verify_csrf(&headers, &f.csrf)?;
    let proven = browser_proven(&ctx, &headers).await?;
    match claims::confirm_code(&ctx, &applicant, proven, &f.receipt, &f.code).await {
        Ok(id) => {
            Ok(Redirect::to(&format!("/mypage/applications/{id}?notice=claimed")).into_response())
        }
        Err(e) => refused(&ctx, &headers, proven, Step::Code, &f, e),
    }
}

/// The one-button form.
#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(rename = "_csrf", default)]
    csrf: String,
}

/// POST `/mypage/claim/mail`: adds every application found by the proven sign-in address.
pub async fn claim_by_mail(
    State(ctx): State<Ctx>,
    applicant: Applicant,
    headers: HeaderMap,
    axum::Form(f): axum::Form<CsrfOnly>,
) -> AppResult<Response> {
    verify_csrf(&headers, &f.csrf)?;
    let added = claims::claim_by_mail(&ctx.db, &applicant).await?;
    let notice = if added == 0 {
        "claimed_none"
    } else {
        "claimed_mail"
    };
    Ok(Redirect::to(&format!("/mypage?notice={notice}")).into_response())
}
