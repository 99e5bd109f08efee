//! Open data catalog (オープンデータカタログ) for a prefecture and its municipalities: one site where they
//! register and publish data together, CKAN-compatible, with the national standard datasets validated.
//!
//! - `layout` / `validate`: standard dataset layouts as data files (`layouts/*.toml`) and the pure validator
//!   (also run by `madoguchi opendata validate`).
//! - `store`: tables and writes (tenant-scoped); `index`: the in-memory catalog snapshot and its search.
//! - `ingest`: resource uploads (validation, CP932 original + UTF-8 copy); `table`: CSV preview, map points
//!   and the `datastore_search` query API.
//! - `ckan`: the CKAN Action API; `dcat`: DCAT JSON-LD and Turtle; `public`: catalog pages; `staff`: staff
//!   pages (datasets, uploads, API tokens, the prefecture dashboard).
//! - `harvest`: harvest sources, runs as jobs that copy other catalogs (CKAN, DCAT-AP Turtle) in as read-only
//!   datasets; `harvest_staff`: their staff pages (ADR 0034).

pub mod ckan;
pub mod dcat;
pub mod harvest;
pub mod harvest_staff;
pub mod index;
pub mod ingest;
pub mod layout;
pub mod public;
pub mod staff;
pub mod store;
pub mod table;
pub mod validate;

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRef};
use axum::routing::{get, post};
use madoguchi_kernel::Ctx;
use std::sync::Arc;

/// State of the catalog's routes.
#[derive(Clone, Debug)]
pub struct OdState {
    /// Shared kernel context.
    pub ctx: Ctx,
    /// This instance's catalog snapshot.
    pub index: Arc<index::Index>,
}

impl FromRef<OdState> for Ctx {
    fn from_ref(s: &OdState) -> Ctx {
        s.ctx.clone()
    }
}

/// The catalog's routes, searching with the built-in synonym groups on characters only.
pub fn router(ctx: Ctx) -> Router {
    router_with_index(ctx, index::Index::default())
}

/// The catalog's routes, searching with the language resources `language` gives (the FAQ's: IPADIC words
/// and readings, the Sudachi synonyms; ADR 0033).
pub fn router_with_language(ctx: Ctx, language: index::LanguageSource) -> Router {
    router_with_index(ctx, index::Index::with_language(language))
}

fn router_with_index(ctx: Ctx, index: index::Index) -> Router {
    let state = OdState {
        ctx,
        index: Arc::new(index),
    };
    let upload_limit = DefaultBodyLimit::max(ingest::MAX_UPLOAD + 1024 * 1024);
    Router::new()
        .route("/api/3", get(ckan::api_version))
        .route("/api/3/", get(ckan::api_version))
        .route(
            "/api/3/action/{name}",
            get(ckan::action).post(ckan::action).layer(upload_limit),
        )
        .route(
            "/api/action/{name}",
            get(ckan::action).post(ckan::action).layer(upload_limit),
        )
        .route("/catalog.jsonld", get(dcat::catalog_jsonld))
        .route("/catalog.ttl", get(dcat::catalog_ttl))
        .route("/opendata", get(public::search))
        .route("/opendata/dataset/{name}", get(public::dataset))
        .route("/opendata/organization/{code}", get(public::organization))
        .route("/opendata/standards/{slug}", get(public::standard))
        .route(
            "/opendata/dataset/{name}/resource/{rid}",
            get(public::resource),
        )
        .route(
            "/opendata/dataset/{name}/resource/{rid}/download/{file}",
            get(public::download),
        )
        .route("/staff/opendata", get(staff::list))
        .route(
            "/staff/opendata/new",
            get(staff::new_page).post(staff::create),
        )
        .route(
            "/staff/opendata/datasets/{id}",
            get(staff::edit_page).post(staff::update),
        )
        .route("/staff/opendata/datasets/{id}/delete", post(staff::delete))
        .route(
            "/staff/opendata/datasets/{id}/resources",
            post(staff::upload).layer(upload_limit),
        )
        .route(
            "/staff/opendata/resources/{rid}/publish",
            post(staff::publish),
        )
        .route(
            "/staff/opendata/resources/{rid}/delete",
            post(staff::delete_resource),
        )
        .route(
            "/staff/opendata/tokens",
            get(staff::tokens).post(staff::create_token),
        )
        .route(
            "/staff/opendata/tokens/{id}/revoke",
            post(staff::revoke_token),
        )
        .route(
            "/staff/opendata/harvest",
            get(harvest_staff::list).post(harvest_staff::create),
        )
        .route(
            "/staff/opendata/harvest/{id}",
            get(harvest_staff::show).post(harvest_staff::update),
        )
        .route(
            "/staff/opendata/harvest/{id}/run",
            post(harvest_staff::run_now),
        )
        .route("/staff/opendata/dashboard", get(staff::dashboard))
        .route("/staff/opendata/dashboard.csv", get(staff::dashboard_csv))
        .with_state(state)
}
