//! Router assembly: every capability's routes, static assets, health, and security headers.

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse};
use axum::routing::get;
use madoguchi_applications::AppState;
use madoguchi_kernel::Ctx;
use tower_http::set_header::SetResponseHeaderLayer;

const SITE_CSS: &str = include_str!("../static/site.css");
const FORM_JS: &str = include_str!("../static/form.js");

/// Builds the whole application.
pub fn router(ctx: Ctx, postal: Option<madoguchi_applications::postal::Postal>) -> Router {
    let home_ctx = ctx.clone();
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/", get(move || home(home_ctx.clone())))
        .route("/static/site.css", get(|| async { asset("text/css; charset=utf-8", SITE_CSS) }))
        .route("/static/form.js", get(|| async { asset("text/javascript; charset=utf-8", FORM_JS) }))
        .route("/docs/form-schema.json", get(|| async { axum::Json(madoguchi_forms::json_schema()) }))
        .merge(madoguchi_opendata::router(ctx.clone()))
        .merge(madoguchi_applications::router(AppState { ctx, postal }))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; form-action 'self'",
            ),
        ))
}

fn asset(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
}

#[derive(askama::Template)]
#[template(path = "home.html")]
struct HomePage {
    tenants: Vec<madoguchi_kernel::tenants::Tenant>,
}

async fn home(ctx: Ctx) -> Result<Html<String>, madoguchi_kernel::AppError> {
    let tenants = madoguchi_kernel::tenants::list_tenants(&ctx.db).await?;
    Ok(Html(askama::Template::render(&HomePage { tenants })?))
}
