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

/// The open data catalog searches with the FAQ's language resources (one copy of the dictionaries per
/// process), over the built-in synonym groups (ADR 0033).
fn catalog_language(faq: &FaqState) -> madoguchi_opendata::index::LanguageSource {
    let indexes = faq.indexes.clone();
    std::sync::Arc::new(move || {
        let indexes = indexes.clone();
        Box::pin(async move {
            indexes
                .language()
                .await
                .apply(madoguchi_search::Synonyms::builtin())
        })
    })
}

/// Builds the application around a given FAQ state (tests use it to look at the indexes).
pub fn router_with(
    ctx: Ctx,
    postal: Option<madoguchi_applications::postal::Postal>,
    faq: FaqState,
) -> Router {
    let home_ctx = ctx.clone();
    let metrics_ctx = ctx.clone();
    let readiness = std::sync::Arc::new(Readiness {
        ctx: ctx.clone(),
        last: tokio::sync::Mutex::new(None),
    });
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(move || readyz(readiness.clone())))
        .route(
            "/metrics",
            get(move |headers: axum::http::HeaderMap| metrics(metrics_ctx.clone(), headers)),
        )
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
        .merge(madoguchi_opendata::router_with_language(
            ctx.clone(),
            catalog_language(&faq),
        ))
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
        .fallback(not_found)
        .layer(axum::middleware::from_fn(refuse_nul_in_url))
        .layer(axum::middleware::map_response(localized_rejections))
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
        // Outermost: every layer and handler above answers in the request's language (error pages, limits,
        // the framework's refusals; `kernel::web::request_lang`) under one request id, and is counted in the
        // metrics by its route template.
        .layer(axum::middleware::from_fn(
            madoguchi_kernel::web::request_scope,
        ))
}

/// A URL whose path or query carries a NUL character (`%00`) is refused before any handler runs. PostgreSQL
/// text cannot hold U+0000, so such a value bound to any query (a FAQ question logged, a tenant code, a form
/// slug, a verification code) failed with a 500 there while SQLite accepted it; no real URL of ours holds one.
async fn refuse_nul_in_url(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let uri = req.uri();
    let has_nul = |s: &str| s.contains("%00");
    if has_nul(uri.path()) || uri.query().is_some_and(has_nul) {
        let error = madoguchi_kernel::AppError::BadRequest(madoguchi_kernel::web::in_request_lang(
            "URLに使えない文字（NUL文字 %00）が含まれています。URLを確認してください。",
            "The address (URL) contains a character that cannot be used (NUL, %00). Please check the address.",
            "アドレス（URL）に つかえない もじ（%00）が あります。アドレスを たしかめて ください。",
        ));
        return if uri.path().starts_with("/api/") {
            madoguchi_kernel::ApiError(error).into_response()
        } else {
            error.into_response()
        };
    }
    next.run(req).await
}

/// A path no route serves: the error page (JSON under `/api/`), in the request's language.
async fn not_found(uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        madoguchi_kernel::ApiError(madoguchi_kernel::AppError::NotFound).into_response()
    } else {
        madoguchi_kernel::AppError::NotFound.into_response()
    }
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
/// English plain text; residents and API clients get them in the request's language instead (Japanese unless
/// chosen otherwise), as HTML or as the JSON error of `/api`, like every other error.
async fn localized_rejections(uri: axum::http::Uri, resp: Response) -> Response {
    use madoguchi_kernel::web::in_request_lang as tr;
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
        413 => AppError::TooLarge(tr(
            "送信されたデータが大きすぎます。添付ファイルや入力の量を確認してください。",
            "What was sent is too large. Please check the attached files and the length of your answers.",
            "おくった ものが おおきすぎます。ファイルや かいた ことの ながさを たしかめて ください。",
        )),
        415 => AppError::BadRequest(tr(
            "送信の形式（Content-Type）が正しくありません。",
            "The format of what was sent (Content-Type) is not right.",
            "おくった ものの かたち（Content-Type）が ちがいます。",
        )),
        400 | 422 => AppError::BadRequest(tr(
            "送信内容を読み取れませんでした。入力内容を確認して、もう一度お試しください。",
            "What was sent could not be read. Please check your answers and try again.",
            "おくった ものが よめませんでした。かいた ことを たしかめて、もう いちど ためして ください。",
        )),
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

/// GET `/metrics`: the Prometheus text exposition (`kernel::metrics`), for whoever presents the configured
/// bearer token (`[http] metrics_token` or `MADOGUCHI_METRICS_TOKEN`). Without a configured token, or with a
/// wrong one, the URL does not exist (404): the figures say how busy the service is, which is nobody else's
/// business, and the answer does not tell a guesser whether a token is set.
async fn metrics(ctx: Ctx, headers: axum::http::HeaderMap) -> Response {
    use sha2::{Digest, Sha256};
    let Some(token) = ctx.config.http.metrics_token() else {
        return madoguchi_kernel::AppError::NotFound.into_response();
    };
    let presented = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    // Compared as hashes: equal-length digests, so the time taken says nothing of the token's prefix.
    if Sha256::digest(presented.trim().as_bytes()) != Sha256::digest(token.as_bytes()) {
        return madoguchi_kernel::AppError::NotFound.into_response();
    }
    match madoguchi_kernel::metrics::METRICS.render(&ctx.db).await {
        Ok(text) => (
            [
                (
                    header::CONTENT_TYPE,
                    "application/openmetrics-text; version=1.0.0; charset=utf-8",
                ),
                (header::CACHE_CONTROL, "no-store"),
            ],
            text,
        )
            .into_response(),
        Err(e) => madoguchi_kernel::AppError::Internal(e.into()).into_response(),
    }
}

/// How long one round of readiness checks is reused: `/readyz` is public and a load balancer (or anyone)
/// may call it often, and each round costs two database round trips, an object store request and a read of
/// the migrations table. Within this, callers share the last round (and wait for the one under way rather
/// than starting their own); whether the process is shutting down is read afresh on every call.
const READY_REUSE: std::time::Duration = std::time::Duration::from_secs(1);

/// The readiness checks of this instance and the last round's results.
struct Readiness {
    ctx: Ctx,
    last: tokio::sync::Mutex<Option<(std::time::Instant, ReadyChecks)>>,
}

/// One round of checks: one word each ("ok", "unavailable", "timeout", "pending", "unknown").
#[derive(Clone, Copy)]
struct ReadyChecks {
    database: &'static str,
    store: &'static str,
    migrations: &'static str,
}

/// GET `/readyz`: whether this instance should get traffic — the database answers, the object store
/// answers, every migration of this binary is applied (checked at most once per [`READY_REUSE`]), and the
/// process is not shutting down. 200 or 503 with one word per check (details go to the log, not to whoever
/// asks) and the age of the checks in milliseconds.
async fn readyz(readiness: std::sync::Arc<Readiness>) -> Response {
    use serde_json::json;
    let (checks, age) = {
        let mut last = readiness.last.lock().await;
        match *last {
            Some((at, checks)) if at.elapsed() < READY_REUSE => (checks, at.elapsed()),
            _ => {
                let checks = ready_checks(&readiness.ctx).await;
                *last = Some((std::time::Instant::now(), checks));
                (checks, std::time::Duration::ZERO)
            }
        }
    };
    let stopping = readiness.ctx.shutting_down();
    let ready =
        checks.database == "ok" && checks.store == "ok" && checks.migrations == "ok" && !stopping;
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
            "database": checks.database,
            "object_store": checks.store,
            "migrations": checks.migrations,
            "shutting_down": stopping,
            "checked_ms_ago": age.as_millis() as u64,
        })),
    )
        .into_response()
}

/// One round of the readiness checks, at once, each bounded by three seconds.
async fn ready_checks(ctx: &Ctx) -> ReadyChecks {
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
    let migrations = match migrations {
        Ok(Ok(0)) => "ok",
        Ok(Ok(_)) => "pending",
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readyz: migrations");
            "unknown"
        }
        Err(_) => "timeout",
    };
    ReadyChecks {
        database,
        store,
        migrations,
    }
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
