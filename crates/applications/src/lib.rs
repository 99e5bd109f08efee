//! Online procedures (電子申請): public form pages, submissions, review, export and aggregation.
//!
//! - `public`: input → confirmation → submit → completion, without JavaScript.
//! - `staff_pages`: login, inbox, review, forms, summary.
//! - `submissions`: storage and the status workflow; `forms_store`: forms and versions.
//! - `export`: streaming CSV (UTF-8 BOM / CP932 with unmappable characters reported).

pub mod admin;
pub mod api;
pub mod applicant_cases;
pub mod applicant_forms;
pub mod attachments;
pub mod builder;
pub mod claims;
pub mod drafts;
pub mod export;
pub mod form_templates;
pub mod forms_store;
pub mod languages;
pub mod limits;
pub mod maintenance;
pub mod postal;
pub mod public;
pub mod qr;
pub mod render;
pub mod staff_pages;
pub mod submissions;
pub mod versions;

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRef};
use axum::routing::{get, post};
use madoguchi_kernel::Ctx;

/// State of this capability's routes.
#[derive(Clone, Debug)]
pub struct AppState {
    /// Shared kernel context.
    pub ctx: Ctx,
    /// Postal code data, when installed.
    pub postal: Option<postal::Postal>,
    /// The group-commit writer of new submissions.
    pub committer: submissions::Committer,
}

impl AppState {
    /// The state, with the submission writer started (needs a Tokio runtime).
    pub fn new(ctx: Ctx, postal: Option<postal::Postal>) -> AppState {
        let committer =
            submissions::Committer::start(ctx.db.clone(), ctx.config.public_url.clone());
        AppState {
            ctx,
            postal,
            committer,
        }
    }
}

impl FromRef<AppState> for submissions::Committer {
    fn from_ref(s: &AppState) -> submissions::Committer {
        s.committer.clone()
    }
}

impl FromRef<AppState> for Ctx {
    fn from_ref(s: &AppState) -> Ctx {
        s.ctx.clone()
    }
}

/// Largest request body accepted by a form page: the largest attachment total a form may allow, its text and
/// the multipart framing. Each form's own attachment limit is applied while the body is read.
pub const MAX_FORM_BODY: usize = madoguchi_forms::limits::MAX_ATTACHMENT_TOTAL as usize
    + madoguchi_forms::limits::MAX_TEXT_BYTES
    + 1024 * 1024;

/// Largest JSON body accepted by the submission API: the text bound of one submission and the JSON syntax
/// around it.
pub const MAX_API_BODY: usize = 2 * madoguchi_forms::limits::MAX_TEXT_BYTES;

/// The routes of online procedures.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/t/{code}", get(public::tenant_forms))
        .route(
            "/t/{code}/forms/{slug}",
            get(public::show_form)
                .post(public::post_form)
                .layer(DefaultBodyLimit::max(MAX_FORM_BODY)),
        )
        .route("/t/{code}/forms/{slug}/confirm", get(public::show_confirm))
        .route("/t/{code}/forms/{slug}/qr.svg", get(qr::qr_svg_file))
        .route("/t/{code}/forms/{slug}/qr.png", get(qr::qr_png_file))
        .route("/f/{short}", get(qr::follow))
        .route("/t/{code}/forms/{slug}/submit", post(public::submit))
        .route("/t/{code}/forms/{slug}/done/{receipt}", get(public::done))
        .route(
            "/api/v1/t/{code}/forms/{slug}/submissions",
            post(api::submit).layer(DefaultBodyLimit::max(MAX_API_BODY)),
        )
        .route("/api/postal/{code}", get(api::postal))
        .route(
            "/staff/login",
            get(staff_pages::login_page).post(staff_pages::login),
        )
        .route("/staff/logout", post(staff_pages::logout))
        .route("/staff", get(staff_pages::inbox))
        .route("/staff/submissions/{id}", get(staff_pages::submission))
        .route(
            "/staff/submissions/{id}/status",
            post(staff_pages::change_status),
        )
        .route(
            "/staff/submissions/{id}/comments",
            post(staff_pages::add_comment),
        )
        .route(
            "/staff/submissions/{id}/messages",
            post(staff_pages::send_message),
        )
        .route(
            "/staff/submissions/{id}/attachments/{file}",
            get(staff_pages::attachment),
        )
        .route("/staff/admin", get(admin::page))
        .route("/staff/admin/audit", get(admin::audit_log))
        .route("/staff/admin/departments", post(admin::add_department))
        .route("/staff/admin/staff", post(admin::add_staff))
        .route("/staff/forms", get(staff_pages::forms))
        .route(
            "/staff/forms/import",
            post(staff_pages::import).layer(DefaultBodyLimit::max(4 * 1024 * 1024)),
        )
        .route(
            "/staff/forms/{id}/definition.json",
            get(staff_pages::definition_json),
        )
        .route("/staff/forms/{id}/summary", get(staff_pages::summary))
        .route("/staff/forms/{id}/versions", get(versions::versions))
        .route(
            "/staff/templates",
            get(form_templates::templates).post(form_templates::share_post),
        )
        .route(
            "/staff/templates/{id}/use",
            get(form_templates::use_page).post(form_templates::use_post),
        )
        .route("/staff/forms/{id}/rollback", post(versions::rollback))
        .route("/staff/forms/{id}/edit", post(builder::edit_published))
        .route(
            "/staff/builder/new",
            get(builder::new_page).post(builder::new_post),
        )
        .route(
            "/staff/builder/{id}",
            get(builder::page).post(builder::change),
        )
        .route(
            "/staff/builder/{id}/preview",
            get(builder::preview)
                .post(builder::preview_post)
                .layer(DefaultBodyLimit::max(MAX_FORM_BODY)),
        )
        .route(
            "/staff/builder/{id}/translations",
            get(builder::translations::page).post(builder::translations::save),
        )
        .route("/staff/forms/{id}/export.csv", get(export::export_csv))
        .route("/staff/forms/{id}/codebook.csv", get(export::codebook))
        .with_state(state)
}
