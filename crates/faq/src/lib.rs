//! AI-FAQ (よくある質問): a Q&A base per tenant and department, searched offline by `madoguchi-search`.
//!
//! - `store`: entries with every version kept, synonyms, contacts, the generation counter.
//! - `index`: the in-memory index of each tenant and audience, refreshed when the generation moves.
//! - `ask`: one question → best answer, related questions, form links or the contact; logged masked.
//! - `public`: the resident chat page (works without JavaScript), JSON API, embeddable widget.
//! - `staff`: Q&A management with version history, synonyms, contacts, the helpdesk.
//! - `transfer`: CSV (UTF-8 BOM / Shift_JIS) and JSON import and export.
//! - `insights`: the unanswered list grouped by similarity, analytics and the log export.
//! - `shared`: the shared Q&A base (共同利用): publish, subscribe to categories, adopt, see changes.
//! - `vectors`: stored embeddings of Q&A texts for the semantic ranking (ADR 0025).

pub mod ask;
pub mod index;
pub mod insights;
pub mod public;
pub mod questions;
pub mod shared;
pub mod staff;
pub mod store;
pub mod text;
pub mod transfer;
pub mod vectors;
pub mod words;

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRef};
use axum::routing::{get, post};
use madoguchi_kernel::Ctx;
use std::sync::Arc;

/// State of the FAQ routes.
#[derive(Clone, Debug)]
pub struct FaqState {
    /// Shared kernel context.
    pub ctx: Ctx,
    /// The in-memory indexes of this instance.
    pub indexes: Arc<index::Indexes>,
}

impl FaqState {
    /// A state with no index built yet.
    pub fn new(ctx: Ctx) -> FaqState {
        let language = ctx.config.data_dir.join("faq");
        FaqState {
            ctx,
            indexes: Arc::new(index::Indexes::default().with_language_dir(language)),
        }
    }
}

impl FromRef<FaqState> for Ctx {
    fn from_ref(s: &FaqState) -> Ctx {
        s.ctx.clone()
    }
}

/// Largest import file.
pub const MAX_IMPORT: usize = 8 * 1024 * 1024;

/// The FAQ routes.
pub fn router(state: FaqState) -> Router {
    Router::new()
        .route("/t/{code}/faq", get(public::chat))
        .route("/t/{code}/faq/embed", get(public::embed))
        .route("/t/{code}/faq/feedback", post(public::feedback))
        .route("/t/{code}/faq/widget.js", get(public::widget_js))
        .route("/static/faq.js", get(public::chat_js))
        .route("/static/faq.css", get(public::chat_css))
        .route("/api/v1/t/{code}/faq/ask", get(public::api_ask))
        .route("/api/v1/t/{code}/faq/feedback", post(public::api_feedback))
        .route("/staff/faq", get(staff::list))
        .route("/staff/faq/new", get(staff::new_page).post(staff::create))
        .route(
            "/staff/faq/entries/{id}",
            get(staff::edit_page).post(staff::update),
        )
        .route("/staff/faq/entries/{id}/archive", post(staff::archive))
        .route("/staff/faq/entries/{id}/publish", post(shared::publish))
        .route(
            "/staff/faq/synonyms",
            get(staff::synonyms_page).post(staff::save_synonyms),
        )
        .route(
            "/staff/faq/contacts",
            get(staff::contacts_page).post(staff::save_contacts),
        )
        .route("/staff/faq/helpdesk", get(staff::helpdesk))
        .route("/staff/faq/export.csv", get(transfer::export_csv))
        .route("/staff/faq/export.json", get(transfer::export_json))
        .route(
            "/staff/faq/import",
            get(transfer::import_page)
                .post(transfer::import)
                .layer(DefaultBodyLimit::max(MAX_IMPORT)),
        )
        .route("/staff/faq/unanswered", get(insights::unanswered))
        .route("/staff/faq/analytics", get(insights::analytics))
        .route("/staff/faq/log.csv", get(insights::log_csv))
        .route("/staff/faq/shared", get(shared::pool))
        .route("/staff/faq/shared/subscriptions", post(shared::subscribe))
        .route("/staff/faq/shared/{id}/adopt", post(shared::adopt))
        .with_state(state)
}
