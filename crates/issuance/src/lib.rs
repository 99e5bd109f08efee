//! Electronic issuance (電子交付 with 電子公印): permits, certificates and notices of decision issued as PDF with
//! the organisation's seal image, a PAdES signature and an RFC 3161 timestamp, and their public verification.
//!
//! - `store`: templates per form, the register of issued documents, fee flags, batches.
//! - `render` + `fonts`: the A4 layout drawn with krilla, fonts with per-character fallback (ADR 0015).
//! - `pades`, `cades`, `keys`, `pki`, `seal`: the signature (incremental update, CMS, PKCS#11 or a development
//!   key file, timestamps from a TSA or the built-in one) (ADR 0016).
//! - `issue`: issuing, release after the fee, re-issue, revocation, the jobs (on approval, batches);
//!   `numbering`: document numbers without gaps (ADR 0017).
//! - `verify`: what the verification page and JSON endpoint report.
//! - `staff`, `public`: the pages; `applicant`: what the applicant's my page lists.

pub mod applicant;
pub mod cades;
pub mod fonts;
pub mod issue;
pub mod keys;
pub mod numbering;
pub mod pades;
pub mod pki;
pub mod public;
pub mod render;
pub mod seal;
pub mod staff;
pub mod store;
pub mod verify;

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRef};
use axum::routing::{get, post};
use madoguchi_kernel::jobs::{ClaimedJob, Job};
use madoguchi_kernel::{AppError, Ctx};
use std::sync::Arc;

/// State of the issuance routes and jobs: the kernel context and the sealer, loaded on first use.
#[derive(Clone, Debug)]
pub struct IssuanceState {
    /// Shared kernel context.
    pub ctx: Ctx,
    sealer: Arc<tokio::sync::OnceCell<Arc<seal::Sealer>>>,
    numbers: numbering::Numbers,
}

impl FromRef<IssuanceState> for Ctx {
    fn from_ref(s: &IssuanceState) -> Ctx {
        s.ctx.clone()
    }
}

impl IssuanceState {
    /// A state; keys and certificates are loaded when first needed.
    pub fn new(ctx: Ctx) -> IssuanceState {
        IssuanceState {
            numbers: numbering::Numbers::of_database(&ctx.config.database_url),
            ctx,
            sealer: Arc::new(tokio::sync::OnceCell::new()),
        }
    }

    /// A state whose document numbering is its own, as that of another server process on the same database:
    /// for tests of issuing from several processes at once.
    pub fn as_another_process(ctx: Ctx) -> IssuanceState {
        IssuanceState {
            ctx,
            sealer: Arc::new(tokio::sync::OnceCell::new()),
            numbers: numbering::Numbers::default(),
        }
    }

    /// The document numbering of this process (ADR 0017).
    pub fn numbers(&self) -> &numbering::Numbers {
        &self.numbers
    }

    /// The sealer (key, certificates, TSA), loaded once; a failure is reported and tried again next time.
    pub async fn sealer(&self) -> Result<Arc<seal::Sealer>, AppError> {
        let ctx = self.ctx.clone();
        self.sealer
            .get_or_try_init(|| async move {
                let cfg = ctx.config.issuance.clone();
                let dir = ctx.config.data_dir.clone();
                let sealer = tokio::task::spawn_blocking(move || seal::Sealer::load(&cfg, &dir))
                    .await
                    .map_err(|e| AppError::Internal(e.into()))?
                    .map_err(|e| {
                        tracing::error!(error = %e, "loading the seal key and certificates");
                        AppError::Conflict(format!(
                            "電子公印の鍵または証明書を読み込めません。設定 [issuance] を確認してください（{e}）"
                        ))
                    })?;
                Ok::<_, AppError>(Arc::new(sealer))
            })
            .await
            .cloned()
    }

    /// The fonts documents are drawn with, if any Japanese font is installed.
    pub fn fonts(&self) -> Option<fonts::FontSet> {
        let candidates = fonts::FontSet::candidates(
            &self.ctx.config.issuance.font_paths,
            &self.ctx.config.data_dir,
        );
        fonts::FontSet::load(&candidates)
    }

    /// Runs a job of this capability; `None` when the kind is not ours.
    pub async fn run_job(&self, job: &ClaimedJob) -> Option<anyhow::Result<()>> {
        use madoguchi_applications::submissions::Approved;
        Some(match job.kind.as_str() {
            Approved::KIND => match job.decode::<Approved>() {
                Ok(a) => issue::run_approved(self, &a).await,
                Err(e) => Err(e),
            },
            issue::BatchItem::KIND => match job.decode::<issue::BatchItem>() {
                Ok(item) => issue::run_batch_item(self, &item).await,
                Err(e) => Err(e),
            },
            _ => return None,
        })
    }
}

/// Largest PDF accepted by the verification page.
pub const MAX_VERIFY_UPLOAD: usize = 20 * 1024 * 1024;
/// Largest seal image.
pub const MAX_SEAL_IMAGE: usize = 512 * 1024;

/// The routes of electronic issuance.
pub fn router(state: IssuanceState) -> Router {
    Router::new()
        .route(
            "/verify",
            get(public::verify_page)
                .post(public::verify_upload)
                .layer(DefaultBodyLimit::max(MAX_VERIFY_UPLOAD)),
        )
        .route("/verify/{code}", get(public::verify_code))
        .route(
            "/api/v1/verify",
            post(public::api_verify).layer(DefaultBodyLimit::max(MAX_VERIFY_UPLOAD)),
        )
        .route("/api/v1/verify/{code}", get(public::api_verify_code))
        .route("/issuance/d/{token}", get(public::download))
        .route("/issuance/tsa", post(public::tsa))
        .route("/staff/issuance", get(staff::overview))
        .route(
            "/staff/issuance/forms/{form_id}/template",
            get(staff::template_page).post(staff::save_template),
        )
        .route(
            "/staff/issuance/forms/{form_id}/seal",
            post(staff::upload_seal).layer(DefaultBodyLimit::max(MAX_SEAL_IMAGE + 64 * 1024)),
        )
        .route(
            "/staff/issuance/forms/{form_id}/preview.pdf",
            get(staff::template_preview),
        )
        .route(
            "/staff/issuance/submissions/{id}",
            get(staff::submission_page),
        )
        .route(
            "/staff/issuance/submissions/{id}/preview.pdf",
            get(staff::submission_preview),
        )
        .route(
            "/staff/issuance/submissions/{id}/issue",
            post(staff::issue_now),
        )
        .route(
            "/staff/issuance/submissions/{id}/fee",
            post(staff::settle_fee),
        )
        .route(
            "/staff/issuance/documents/{id}/file.pdf",
            get(staff::document_file),
        )
        .route(
            "/staff/issuance/documents/{id}/reissue",
            post(staff::reissue),
        )
        .route("/staff/issuance/documents/{id}/revoke", post(staff::revoke))
        .route("/staff/issuance/batches", post(staff::start_batch))
        .route("/staff/issuance/batches/{id}", get(staff::batch_page))
        .with_state(state)
}
