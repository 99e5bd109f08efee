//! Rate limits of this capability's public routes, as extractors: listed before the body extractor, they
//! count the request and refuse it with 429 before its body is read or any work is done (ADR 0019).

use axum::extract::{FromRef, FromRequestParts, Path};
use axum::http::request::Parts;
use madoguchi_kernel::client::ClientAddr;
use madoguchi_kernel::ratelimit::{self, Rule};
use madoguchi_kernel::{ApiError, AppError, Ctx};

/// A JSON API submission within the per-client and the per-form limits; rejects with a JSON `ApiError`.
#[derive(Debug, Clone, Copy)]
pub struct ApiSubmissionQuota;

impl<S> FromRequestParts<S> for ApiSubmissionQuota
where
    Ctx: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let ctx = Ctx::from_ref(state);
        let Ok(client) = ClientAddr::from_request_parts(parts, state).await;
        // The client first: a client over its own limit must not use up the form's.
        ratelimit::enforce(&ctx, Rule::ApiSubmissionPerClient, &client.rate_key()).await?;
        let Path((code, slug)) = Path::<(String, String)>::from_request_parts(parts, state)
            .await
            .map_err(|_| AppError::NotFound)?;
        ratelimit::enforce(&ctx, Rule::ApiSubmissionPerForm, &format!("{code}/{slug}")).await?;
        Ok(ApiSubmissionQuota)
    }
}

/// A POST of a public form page within the per-client limit; rejects with the Japanese 429 page.
#[derive(Debug, Clone, Copy)]
pub struct FormPostQuota;

impl<S> FromRequestParts<S> for FormPostQuota
where
    Ctx: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let ctx = Ctx::from_ref(state);
        let Ok(client) = ClientAddr::from_request_parts(parts, state).await;
        ratelimit::enforce(&ctx, Rule::FormPostPerClient, &client.rate_key()).await?;
        Ok(FormPostQuota)
    }
}

/// Counts the megabytes of files a client uploads (each file's started megabytes) against its limit, before
/// any of them is checked or stored: drafts started afresh for every post cannot fill the object store.
pub async fn charge_uploads(
    ctx: &Ctx,
    client: &ClientAddr,
    uploads: &[crate::attachments::Upload],
) -> Result<(), AppError> {
    const MB: u64 = 1024 * 1024;
    let megabytes: u64 = uploads.iter().map(|u| u.body.len().div_ceil(MB)).sum();
    let weight = u32::try_from(megabytes).unwrap_or(u32::MAX);
    ratelimit::enforce_weighted(
        ctx,
        Rule::UploadMegabytesPerClient,
        &client.rate_key(),
        weight,
    )
    .await
}
