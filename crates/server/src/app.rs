//! Router assembly: every capability's routes, static assets, health, and security headers.

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use madoguchi_applications::AppState;
use madoguchi_faq::FaqState;
use madoguchi_kernel::Ctx;
use tower_http::set_header::SetResponseHeaderLayer;

const SITE_CSS: &str = include_str!("../static/site.css");
const FORM_JS: &str = include_str!("../static/form.js");
const BUILDER_JS: &str = include_str!("../static/builder.js");
const REVIEW_JS: &str = include_str!("../static/review.js");

/// The content security policy of every page that does not set its own.
const DEFAULT_CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; form-action 'self'";

/// Builds the whole application. Must be called inside the Tokio runtime: the FAQ indexes of every tenant
/// start building in the background at once.
pub fn router(ctx: Ctx, postal: Option<madoguchi_applications::postal::Postal>) -> Router {
    let faq = FaqState::new(ctx.clone());
    let warm = faq.clone();
    tokio::spawn(async move {
        if let Err(e) = warm.indexes.warm_all(&warm.ctx.db).await {
            tracing::warn!(error = %e, "building the FAQ indexes at start failed; they are built on first use");
        }
    });
    router_with(ctx, postal, faq)
}

/// Builds the application around a given FAQ state (tests use it to look at the indexes).
pub fn router_with(
    ctx: Ctx,
    postal: Option<madoguchi_applications::postal::Postal>,
    faq: FaqState,
) -> Router {
    let home_ctx = ctx.clone();
    let ready_ctx = ctx.clone();
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(move || readyz(ready_ctx.clone())))
        .route("/", get(move || home(home_ctx.clone())))
        .route(
            "/static/site.css",
            get(|| async { asset("text/css; charset=utf-8", SITE_CSS) }),
        )
        .route(
            "/static/form.js",
            get(|| async { asset("text/javascript; charset=utf-8", FORM_JS) }),
        )
        .route(
            "/static/builder.js",
            get(|| async { asset("text/javascript; charset=utf-8", BUILDER_JS) }),
        )
        .route(
            "/static/review.js",
            get(|| async { asset("text/javascript; charset=utf-8", REVIEW_JS) }),
        )
        .route(
            "/docs/form-schema.json",
            get(|| async { axum::Json(madoguchi_forms::json_schema()) }),
        )
        .merge(madoguchi_opendata::router(ctx.clone()))
        .merge(madoguchi_applications::router(AppState::new(
            ctx.clone(),
            postal,
        )))
        .merge(madoguchi_faq::router(faq))
        .merge(madoguchi_issuance::router(
            madoguchi_issuance::IssuanceState::new(ctx.clone()),
        ))
        .merge(madoguchi_identity::router(
            madoguchi_identity::IdentityState::new(ctx.clone()),
        ))
        .layer(axum::middleware::from_fn(refuse_nul_in_url))
        .layer(axum::middleware::map_response(japanese_rejections))
        .layer(axum::middleware::from_fn_with_state(
            ctx,
            refuse_cross_site_changes,
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(axum::middleware::map_response(framing_policy))
        .layer(axum::middleware::from_fn(no_store_for_personal_pages))
        // Pages, styles and scripts travel compressed (brotli or gzip, as the browser asks): a form's first
        // load on a phone is a fraction of its size. Images and already-compressed types are left alone.
        .layer(tower_http::compression::CompressionLayer::new())
}

/// A URL whose path or query carries a NUL character (`%00`) is refused before any handler runs. PostgreSQL
/// text cannot hold U+0000, so such a value bound to any query (a FAQ question logged, a tenant code, a form
/// slug, a verification code) failed with a 500 there while SQLite accepted it; no real URL of ours holds one.
async fn refuse_nul_in_url(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let uri = req.uri();
    let has_nul = |s: &str| s.contains("%00");
    if has_nul(uri.path()) || uri.query().is_some_and(has_nul) {
        let error = madoguchi_kernel::AppError::BadRequest(
            "URLに使えない文字（NUL文字 %00）が含まれています。URLを確認してください。".into(),
        );
        return if uri.path().starts_with("/api/") {
            madoguchi_kernel::ApiError(error).into_response()
        } else {
            error.into_response()
        };
    }
    next.run(req).await
}

/// Every state change (POST, PUT, PATCH, DELETE) that a browser says comes from another site is refused
/// before any handler runs, whatever the route: a second wall behind the session-bound CSRF token (ADR 0005).
/// `/api/` is left to its own rules: it takes JSON or tokens, which a cross-site form cannot send.
async fn refuse_cross_site_changes(
    axum::extract::State(ctx): axum::extract::State<Ctx>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let changes = !req.method().is_safe();
    if changes
        && !req.uri().path().starts_with("/api/")
        && madoguchi_kernel::web::is_cross_site(req.headers(), &ctx.config.public_url)
    {
        tracing::info!(path = %req.uri().path(), "cross-site state change refused");
        return madoguchi_kernel::AppError::Csrf.into_response();
    }
    next.run(req).await
}

/// The framework's own refusals (a body too large, a wrong content type, an unreadable form or path) come as
/// English plain text; residents and API clients get them in Japanese instead, as HTML or as the JSON error of
/// `/api`, like every other error.
async fn japanese_rejections(uri: axum::http::Uri, resp: Response) -> Response {
    use madoguchi_kernel::{ApiError, AppError};
    let status = resp.status();
    let plain = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/plain"));
    if !plain || !status.is_client_error() {
        return resp;
    }
    let error = match status.as_u16() {
        413 => AppError::TooLarge(
            "送信されたデータが大きすぎます。添付ファイルや入力の量を確認してください。".into(),
        ),
        415 => AppError::BadRequest("送信の形式（Content-Type）が正しくありません。".into()),
        400 | 422 => AppError::BadRequest(
            "送信内容を読み取れませんでした。入力内容を確認して、もう一度お試しください。".into(),
        ),
        _ => return resp,
    };
    let mut out = if uri.path().starts_with("/api/") {
        ApiError(error).into_response()
    } else {
        error.into_response()
    };
    *out.status_mut() = status;
    out
}

/// Whether a path is under `/staff` or `/mypage`: staff pages and the applicant's my page, which show
/// personal data.
fn is_personal_path(path: &str) -> bool {
    ["/staff", "/mypage"].iter().any(|p| {
        path.strip_prefix(p)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })
}

/// Every response under `/staff` and `/mypage` (pages, CSV, PDFs, redirects, errors) is `Cache-Control:
/// no-store`, so personal data is not kept by the browser's cache or a shared proxy and cannot be read back
/// with the back button after logout on a shared counter PC. Set here once for the whole prefix, overriding a
/// handler's own caching, so a new route cannot forget it.
async fn no_store_for_personal_pages(
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let personal = is_personal_path(req.uri().path());
    let mut resp = next.run(req).await;
    if personal {
        resp.headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    resp
}

/// Pages are not framed and load only their own resources, unless a route sets its own policy: the FAQ embed
/// page does, to be framed by the municipality's site (ADR 0010). `X-Frame-Options` goes with the default
/// policy only, since it cannot express "these sites may frame me".
async fn framing_policy(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(DEFAULT_CSP),
        );
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    resp
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

/// GET `/readyz`: whether this instance should get traffic — the database answers, the object store
/// answers, every migration of this binary is applied, and the process is not shutting down. 200 or 503 with
/// one word per check (details go to the log, not to whoever asks).
async fn readyz(ctx: Ctx) -> Response {
    use serde_json::json;
    let timeout = std::time::Duration::from_secs(3);
    let db = async {
        sqlx::query("SELECT 1").execute(&ctx.db.read).await?;
        sqlx::query("SELECT 1").execute(&ctx.db.write).await?;
        Ok::<_, sqlx::Error>(())
    };
    let (db, storage, migrations) = tokio::join!(
        tokio::time::timeout(timeout, db),
        tokio::time::timeout(timeout, ctx.storage.check_reachable()),
        tokio::time::timeout(timeout, ctx.db.pending_migrations()),
    );
    let database = match db {
        Ok(Ok(())) => "ok",
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readyz: database");
            "unavailable"
        }
        Err(_) => "timeout",
    };
    let store = match storage {
        Ok(Ok(())) => "ok",
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readyz: object store");
            "unavailable"
        }
        Err(_) => "timeout",
    };
    let migrated = match migrations {
        Ok(Ok(0)) => "ok",
        Ok(Ok(_)) => "pending",
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readyz: migrations");
            "unknown"
        }
        Err(_) => "timeout",
    };
    let stopping = ctx.shutting_down();
    let ready = database == "ok" && store == "ok" && migrated == "ok" && !stopping;
    let status = if ready {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::SERVICE_UNAVAILABLE
    };
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        axum::Json(json!({
            "ready": ready,
            "database": database,
            "object_store": store,
            "migrations": migrated,
            "shutting_down": stopping,
        })),
    )
        .into_response()
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
