//! The resident side: the chat page (a plain search form without JavaScript, a chat with it), the embed page
//! for other sites, the widget script, the JSON API and the feedback buttons.

use crate::FaqState;
use crate::ask::{self, Reply, conversation_or_new, valid_conversation};
use crate::questions::{self, Feedback};
use crate::store::{self, Contact};
use askama::Template;
use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use madoguchi_kernel::client::ClientAddr;
use madoguchi_kernel::tenants::{Tenant, find_tenant_by_code};
use madoguchi_kernel::web::{page_with_csrf, verify_csrf};
use madoguchi_kernel::{ApiError, AppError, AppResult};
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;

const CHAT_JS: &str = include_str!("../static/faq.js");
const CHAT_CSS: &str = include_str!("../static/faq.css");
const WIDGET_JS: &str = include_str!("../static/widget.js");

/// Percent-encodes a query value.
pub fn enc(s: &str) -> String {
    utf8_percent_encode(s, NON_ALPHANUMERIC).to_string()
}

pub(crate) async fn tenant(state: &FaqState, code: &str) -> AppResult<Tenant> {
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AppError::NotFound);
    }
    find_tenant_by_code(&state.ctx.db, code)
        .await?
        .ok_or(AppError::NotFound)
}

/// A related question as a link.
pub struct RelatedLink {
    /// The question.
    pub question: String,
    /// Where it leads (asks it).
    pub href: String,
}

#[derive(Template)]
#[template(path = "chat.html")]
struct ChatPage {
    tenant_name: String,
    tenant_code: String,
    embed: bool,
    csrf: String,
    base: String,
    conversation: String,
    query: String,
    error: String,
    reply: Option<Reply>,
    related: Vec<RelatedLink>,
    done: String,
    contact: Contact,
    t: &'static crate::words::FaqWords,
}

/// Query of the chat page.
#[derive(Deserialize, Default)]
pub struct ChatQuery {
    /// The question.
    q: Option<String>,
    /// Conversation id.
    c: Option<String>,
    /// Feedback just given.
    done: Option<String>,
}

/// GET `/t/{code}/faq`.
pub async fn chat(
    State(state): State<FaqState>,
    client: ClientAddr,
    Path(code): Path<String>,
    headers: HeaderMap,
    Query(q): Query<ChatQuery>,
) -> AppResult<Response> {
    chat_page(state, code, client, headers, q, false).await
}

/// GET `/t/{code}/faq/embed`: the chat for an iframe on another site; the only page that may be framed.
pub async fn embed(
    State(state): State<FaqState>,
    client: ClientAddr,
    Path(code): Path<String>,
    headers: HeaderMap,
    Query(q): Query<ChatQuery>,
) -> AppResult<Response> {
    let mut resp = chat_page(state, code, client, headers, q, true).await?;
    // The router adds `X-Frame-Options: DENY` only to responses without their own CSP.
    resp.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors *; form-action 'self'",
        ),
    );
    Ok(resp)
}

async fn chat_page(
    state: FaqState,
    code: String,
    client: ClientAddr,
    headers: HeaderMap,
    q: ChatQuery,
    embed: bool,
) -> AppResult<Response> {
    let tenant = tenant(&state, &code).await?;
    let t = crate::words::words(madoguchi_kernel::web::chosen_lang(&headers));
    let conversation = conversation_or_new(q.c.as_deref());
    let base = if embed {
        format!("/t/{}/faq/embed", tenant.code)
    } else {
        format!("/t/{}/faq", tenant.code)
    };
    let mut status = StatusCode::OK;
    let (mut query, mut error, mut reply) = (String::new(), String::new(), None);
    if let Some(raw) = q.q.as_deref() {
        query = raw.to_string();
        match crate::ask::check_query_in(raw, t) {
            Ok(text) => {
                match ask::ask_public(
                    &state,
                    &tenant,
                    &client,
                    &text,
                    &conversation,
                    ask::DEFAULT_LIMIT,
                )
                .await
                {
                    Ok(r) => reply = Some(r),
                    // Shown in the chat itself: the embed page is framed, and an error page is not.
                    Err(e @ AppError::TooManyRequests { .. }) => {
                        error = e.public_message();
                        status = StatusCode::TOO_MANY_REQUESTS;
                    }
                    Err(e) => return Err(e),
                }
            }
            Err(e) => {
                error = e;
                status = StatusCode::BAD_REQUEST;
            }
        }
    }
    let related = reply
        .as_ref()
        .map(|r| {
            r.related
                .iter()
                .map(|x| RelatedLink {
                    question: x.question.clone(),
                    href: format!("{base}?q={}&c={}", enc(&x.question), conversation),
                })
                .collect()
        })
        .unwrap_or_default();
    let contact = store::tenant_contact(&state.ctx.db, tenant.id, &tenant.name).await?;
    let done = match q.done.as_deref() {
        Some(d @ ("resolved" | "unresolved" | "contacted")) => d.to_string(),
        _ => String::new(),
    };
    page_with_csrf(
        &headers,
        state.ctx.config.secure_cookies(),
        status,
        |csrf| {
            Ok(ChatPage {
                tenant_name: tenant.name.clone(),
                tenant_code: tenant.code.clone(),
                embed,
                csrf,
                base,
                conversation,
                query,
                error,
                reply,
                related,
                done,
                contact,
                t,
            }
            .render()?)
        },
    )
}

/// The feedback form.
#[derive(Deserialize)]
pub struct FeedbackForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    question: i64,
    #[serde(default)]
    c: String,
    #[serde(default)]
    result: String,
    #[serde(default)]
    embed: String,
}

/// POST `/t/{code}/faq/feedback`: 解決した / 解決しなかった / 問い合わせる, then back to the chat.
pub async fn feedback(
    State(state): State<FaqState>,
    Path(code): Path<String>,
    headers: HeaderMap,
    axum::Form(f): axum::Form<FeedbackForm>,
) -> AppResult<Response> {
    verify_csrf(&headers, &f.csrf)?;
    let tenant = tenant(&state, &code).await?;
    let fb = Feedback::parse(&f.result)
        .ok_or_else(|| AppError::BadRequest("評価の値が正しくありません。".into()))?;
    if !valid_conversation(&f.c)
        || !questions::give_feedback(&state.ctx.db, tenant.id, f.question, &f.c, fb).await?
    {
        return Err(AppError::NotFound);
    }
    let page = if f.embed == "1" { "faq/embed" } else { "faq" };
    Ok(Redirect::to(&format!(
        "/t/{}/{page}?c={}&done={}#faq-done",
        tenant.code,
        f.c,
        fb.as_str()
    ))
    .into_response())
}

/// Query of the JSON ask endpoint.
#[derive(Deserialize)]
pub struct AskQuery {
    #[serde(default)]
    q: String,
    c: Option<String>,
    /// Kept as text so that a bad value gets our Japanese message naming it, not the framework's.
    limit: Option<String>,
}

/// GET `/api/v1/t/{code}/faq/ask?q=…&limit=…&c=…`: the reply as JSON — the ranking (`results`, up to `limit`
/// entries, 1–20, default 5, with scores), the confidence flag, the answer when sure, the contact. An unknown
/// tenant is 404; a bad `q` or `limit` is 400 with a message naming it.
pub async fn api_ask(
    State(state): State<FaqState>,
    client: ClientAddr,
    Path(code): Path<String>,
    headers: HeaderMap,
    Query(q): Query<AskQuery>,
) -> Result<Json<Reply>, ApiError> {
    let tenant = tenant(&state, &code).await?;
    // The chat script sends the browser's cookie: its errors are in the resident's language.
    let t = crate::words::words(madoguchi_kernel::web::chosen_lang(&headers));
    let limit = ask::parse_limit(q.limit.as_deref()).map_err(AppError::BadRequest)?;
    let text = crate::ask::check_query_in(&q.q, t)
        .map_err(|e| AppError::BadRequest(format!("q（{}）: {e}", t.ask[0])))?;
    let conversation = conversation_or_new(q.c.as_deref());
    Ok(Json(
        ask::ask_public(&state, &tenant, &client, &text, &conversation, limit).await?,
    ))
}

/// Body of the JSON feedback endpoint.
#[derive(Deserialize)]
pub struct ApiFeedback {
    question_id: i64,
    conversation: String,
    result: String,
}

/// POST `/api/v1/t/{code}/faq/feedback` (JSON). Only a JSON body is accepted, which a cross-site form cannot
/// send, and the random conversation id must match the question's.
pub async fn api_feedback(
    State(state): State<FaqState>,
    Path(code): Path<String>,
    Json(f): Json<ApiFeedback>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let tenant = tenant(&state, &code).await?;
    let fb = Feedback::parse(&f.result).ok_or_else(|| {
        AppError::BadRequest("result は resolved / unresolved / contacted のいずれかです".into())
    })?;
    if !valid_conversation(&f.conversation)
        || !questions::give_feedback(&state.ctx.db, tenant.id, f.question_id, &f.conversation, fb)
            .await?
    {
        return Err(AppError::NotFound.into());
    }
    let contact = store::tenant_contact(&state.ctx.db, tenant.id, &tenant.name).await?;
    Ok(Json(
        serde_json::json!({"ok": true, "result": fb.as_str(), "contact": contact}),
    ))
}

fn script(body: String, max_age: u32) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                "text/javascript; charset=utf-8".to_string(),
            ),
            (header::CACHE_CONTROL, format!("public, max-age={max_age}")),
        ],
        body,
    )
        .into_response()
}

/// GET `/t/{code}/faq/widget.js`: one `<script>` tag on another site adds a button that opens the chat.
pub async fn widget_js(
    State(state): State<FaqState>,
    Path(code): Path<String>,
) -> AppResult<Response> {
    let code = code.trim_end_matches(".js").to_string();
    let tenant = tenant(&state, &code).await?;
    let body = WIDGET_JS.replace("__TENANT_CODE__", &tenant.code).replace(
        "__TENANT_NAME__",
        &tenant.name.replace(['\\', '\'', '"', '<', '>'], ""),
    );
    let mut resp = script(body, 300);
    // Other sites load this script: allow it explicitly.
    resp.headers_mut().insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("cross-origin"),
    );
    Ok(resp)
}

/// GET `/static/faq.js`: turns the search form into a chat.
pub async fn chat_js() -> Response {
    script(CHAT_JS.to_string(), 3600)
}

/// GET `/static/faq.css`.
pub async fn chat_css() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        CHAT_CSS,
    )
        .into_response()
}
