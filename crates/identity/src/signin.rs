//! Sign-in pages: one-time mail links, OpenID Connect, sign-out, and draft resume links.
//!
//! Links from mail are never used on GET (mail scanners open links): the page asks to confirm with a button,
//! and the POST uses the link. Every sign-in makes a new session token and ends the one the browser had, so a
//! session planted before sign-in is never promoted (session fixation).
//!
//! A mail link's confirmation page names the account it signs into (masked address). A link opened in a
//! browser other than the one that asked for it signs in only once the full address is typed in, and the
//! session it starts cannot gain a verified identity: otherwise an attacker could mail a victim a link to the
//! attacker's account and collect the victim's applications — or their マイナンバーカード identity.

use crate::links::{self, LoginAttempt, MailAddress, Purpose, SendError};
use crate::words::{self, MyWords};
use crate::{IdentityState, oidc};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use madoguchi_applications::drafts;
use madoguchi_kernel::applicants::{self, APPLICANT_COOKIE};
use madoguchi_kernel::client::ClientAddr;
use madoguchi_kernel::ratelimit::{self, Rule};
use madoguchi_kernel::web::{cookie, page_with_csrf, set_cookie, verify_csrf};
use madoguchi_kernel::{AppError, AppResult, Applicant, Ctx};
use serde::Deserialize;

/// A page with a heading, a message and a link (link sent, link expired …).
#[derive(Template)]
#[template(path = "mypage_notice.html")]
pub struct NoticePage<'a> {
    /// Heading.
    pub heading: &'a str,
    /// Message.
    pub message: &'a str,
    /// Where the link goes (none when empty).
    pub link: &'a str,
    /// Link text.
    pub link_text: &'a str,
    /// Shows the my page menu.
    pub signed_in: bool,
    /// CSRF token (for the sign-out button).
    pub csrf: String,
    /// The words of the page frame; `heading` and `message` must be in the same language.
    pub t: &'static MyWords,
    /// This page's path, for the language switch.
    pub here: &'a str,
}

/// Renders a notice page with a status, in Japanese.
pub fn notice(
    ctx: &Ctx,
    headers: &HeaderMap,
    status: StatusCode,
    [heading, message, link_text]: [&str; 3],
    link: &str,
) -> AppResult<Response> {
    let t = words::chosen(headers);
    notice_in(ctx, headers, status, t, heading, message, (link, link_text))
}

/// [`notice`] in the language of `t` (the heading and message are given in it).
pub fn notice_in(
    ctx: &Ctx,
    headers: &HeaderMap,
    status: StatusCode,
    t: &'static MyWords,
    heading: &str,
    message: &str,
    link: (&str, &str),
) -> AppResult<Response> {
    page_with_csrf(headers, ctx.config.secure_cookies(), status, |csrf| {
        Ok(NoticePage {
            heading,
            message,
            link: link.0,
            link_text: link.1,
            signed_in: false,
            csrf,
            t,
            here: "/mypage/login",
        }
        .render()?)
    })
}

/// Only local paths are followed after sign-in (no open redirect).
pub fn safe_next(next: &str) -> &str {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.chars().any(char::is_control);
    if ok { next } else { "/mypage" }
}

#[derive(Template)]
#[template(path = "mypage_login.html")]
struct LoginPage<'a> {
    csrf: String,
    next: &'a str,
    email: &'a str,
    error: &'a str,
    providers: Vec<(String, String)>,
    signed_in: bool,
    t: &'static MyWords,
    here: &'a str,
}

/// Query with a path to return to.
#[derive(Deserialize, Default)]
pub struct NextQuery {
    #[serde(default)]
    next: String,
}

fn render_login(
    ctx: &Ctx,
    headers: &HeaderMap,
    status: StatusCode,
    next: &str,
    email: &str,
    error: &str,
) -> AppResult<Response> {
    page_with_csrf(headers, ctx.config.secure_cookies(), status, |csrf| {
        Ok(LoginPage {
            csrf,
            next,
            email,
            error,
            providers: ctx
                .config
                .oidc
                .iter()
                .map(|p| (p.id.clone(), p.label.clone()))
                .collect(),
            signed_in: false,
            t: words::chosen(headers),
            here: "/mypage/login",
        }
        .render()?)
    })
}

/// GET `/mypage/login`.
pub async fn login_page(
    State(ctx): State<Ctx>,
    applicant: Option<Applicant>,
    Query(q): Query<NextQuery>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let next = safe_next(&q.next);
    if applicant.is_some() {
        return Ok(Redirect::to(next).into_response());
    }
    render_login(&ctx, &headers, StatusCode::OK, next, "", "")
}

/// The mail sign-in form.
#[derive(Deserialize)]
pub struct EmailForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    next: String,
    #[serde(rename = "_draft", default)]
    draft: String,
}

/// POST `/mypage/login`: sends a one-time sign-in link. The answer is the same whether the address has an
/// account or not.
pub async fn request_link(
    State(ctx): State<Ctx>,
    client: ClientAddr,
    headers: HeaderMap,
    axum::Form(f): axum::Form<EmailForm>,
) -> AppResult<Response> {
    verify_csrf(&headers, &f.csrf)?;
    let t = words::chosen(&headers);
    let next = safe_next(&f.next);
    let Some(email) = MailAddress::parse(&f.email) else {
        let error = if f.email.trim().is_empty() {
            t.no_email
        } else {
            t.bad_email
        };
        return render_login(
            &ctx,
            &headers,
            StatusCode::UNPROCESSABLE_ENTITY,
            next,
            &f.email,
            error,
        );
    };
    let next = if next == "/mypage" { "" } else { next };
    if let Some(message) = mail_quota_exceeded(&ctx, &client).await? {
        return render_login(
            &ctx,
            &headers,
            StatusCode::TOO_MANY_REQUESTS,
            next,
            &f.email,
            &message,
        );
    }
    // The nonce that binds the link to this browser; a browser asking again keeps its nonce, so every link
    // it asked for works in it.
    let nonce = match cookie(&headers, links::SIGNIN_COOKIE) {
        Some(n)
            if n.len() >= 32
                && n.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') =>
        {
            n.to_string()
        }
        _ => madoguchi_kernel::ids::new_token(),
    };
    match links::send_in(
        t.lang,
        &ctx.db,
        Purpose::Login,
        &email,
        None,
        next,
        &ctx.config.public_url,
        Some(&nonce),
    )
    .await
    {
        Ok(()) => {
            ctx.jobs_wake.notify_one();
            let mut resp = notice_in(
                &ctx,
                &headers,
                StatusCode::OK,
                t,
                t.link_sent[0],
                &t.link_sent_message(email.as_str(), links::LOGIN_LINK_MINUTES),
                ("", ""),
            )?;
            resp.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(
                    links::SIGNIN_COOKIE,
                    &nonce,
                    24 * 60 * 60,
                    ctx.config.secure_cookies(),
                ),
            );
            Ok(resp)
        }
        Err(SendError::RateLimited) => render_login(
            &ctx,
            &headers,
            StatusCode::TOO_MANY_REQUESTS,
            next,
            &f.email,
            t.too_many_links,
        ),
        Err(SendError::Db(e)) => Err(e),
    }
}

/// Counts a request for a mail from this client address; `Some(message)` when it is past
/// `[rate_limits] signin_mails_per_client`. The per-address quota of `links::send` is separate: this one stops
/// a client that mails many different addresses.
async fn mail_quota_exceeded(ctx: &Ctx, client: &ClientAddr) -> AppResult<Option<String>> {
    match ratelimit::enforce(ctx, Rule::SigninMailPerClient, &client.rate_key()).await {
        Ok(()) => Ok(None),
        Err(e @ AppError::TooManyRequests { .. }) => Ok(Some(e.public_message())),
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "mypage_confirm_link.html")]
struct ConfirmLinkPage<'a> {
    heading: &'a str,
    message: &'a str,
    action: String,
    button: &'a str,
    next: &'a str,
    csrf: String,
    signed_in: bool,
    /// Asks for the full mail address (a sign-in link opened in another browser).
    ask_email: bool,
    /// What was typed, and why it was not accepted.
    email: &'a str,
    error: &'a str,
    t: &'static MyWords,
    here: &'a str,
}

fn link_gone(ctx: &Ctx, headers: &HeaderMap, login: bool) -> AppResult<Response> {
    let t = words::chosen(headers);
    if login {
        notice(
            ctx,
            headers,
            StatusCode::GONE,
            t.link_gone_login,
            "/mypage/login",
        )
    } else {
        notice(ctx, headers, StatusCode::GONE, t.link_gone_resume, "/")
    }
}

/// The confirmation page of a live sign-in link: names the account (masked address), and in a browser that did
/// not ask for the link, asks for the full address (`typed`: what was typed and why it was refused).
fn render_link_page(
    ctx: &Ctx,
    headers: &HeaderMap,
    status: StatusCode,
    (token, live): (&str, &links::LiveLink),
    next: &str,
    (typed, error): (&str, &str),
) -> AppResult<Response> {
    let masked = live.email.masked();
    let t = words::chosen(headers);
    let [before, after] = if live.same_browser {
        t.confirm_same
    } else {
        t.confirm_other
    };
    let message = format!("{before}{masked}{after}");
    let here = format!("/mypage/login/{token}");
    page_with_csrf(headers, ctx.config.secure_cookies(), status, |csrf| {
        Ok(ConfirmLinkPage {
            heading: t.login[0],
            message: &message,
            action: format!("/mypage/login/{token}"),
            button: t.confirm[1],
            next,
            csrf,
            signed_in: false,
            ask_email: !live.same_browser,
            email: typed,
            error,
            t,
            here: &here,
        }
        .render()?)
    })
}

/// GET `/mypage/login/{token}`: asks to confirm (the link is used by the button, not by opening it).
pub async fn link_page(
    State(ctx): State<Ctx>,
    Path(token): Path<String>,
    Query(q): Query<NextQuery>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let browser = cookie(&headers, links::SIGNIN_COOKIE);
    let Some(live) = links::inspect_login(&ctx.db, &token, browser).await? else {
        return link_gone(&ctx, &headers, true);
    };
    render_link_page(
        &ctx,
        &headers,
        StatusCode::OK,
        (&token, &live),
        safe_next(&q.next),
        ("", ""),
    )
}

/// Starts a new session for an applicant, ending the one this browser had, and redirects. `browser_proven`:
/// the account was proven in this browser (see [`applicants::session_is_browser_proven`]).
async fn sign_in(
    ctx: &Ctx,
    headers: &HeaderMap,
    applicant_id: i64,
    next: &str,
    browser_proven: bool,
) -> AppResult<Response> {
    if let Some(old) = cookie(headers, APPLICANT_COOKIE) {
        applicants::end_session(&ctx.db, old).await?;
    }
    let minutes = ctx.config.session_minutes;
    let token = applicants::start_session(&ctx.db, applicant_id, minutes, browser_proven).await?;
    let mut resp = Redirect::to(safe_next(next)).into_response();
    resp.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(
            APPLICANT_COOKIE,
            &token,
            minutes * 60,
            ctx.config.secure_cookies(),
        ),
    );
    Ok(resp)
}

/// The confirm button's form.
#[derive(Deserialize)]
pub struct ConfirmForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    next: String,
    /// The full address, typed in when a sign-in link is used in a browser that did not ask for it.
    #[serde(default)]
    email: String,
}

/// POST `/mypage/login/{token}`: uses the link once and signs in (the account is made on first use). In a
/// browser that did not ask for the link, the full address must be typed in; a wrong one spends the link.
pub async fn use_link(
    State(ctx): State<Ctx>,
    Path(token): Path<String>,
    headers: HeaderMap,
    axum::Form(f): axum::Form<ConfirmForm>,
) -> AppResult<Response> {
    verify_csrf(&headers, &f.csrf)?;
    let browser = cookie(&headers, links::SIGNIN_COOKIE);
    let typed = MailAddress::parse(&f.email);
    match links::use_login(&ctx.db, &token, browser, typed.as_ref()).await? {
        LoginAttempt::SignedIn(used) => {
            let email = MailAddress::parse(&used.email).ok_or(AppError::NotFound)?;
            let id = links::applicant_for_email(&ctx.db, &email).await?;
            sign_in(&ctx, &headers, id, &f.next, used.same_browser).await
        }
        LoginAttempt::AddressNeeded(live) => {
            let t = words::chosen(&headers);
            let error = if f.email.trim().is_empty() {
                t.no_email
            } else {
                t.bad_email
            };
            render_link_page(
                &ctx,
                &headers,
                StatusCode::UNPROCESSABLE_ENTITY,
                (&token, &live),
                safe_next(&f.next),
                (&f.email, error),
            )
        }
        LoginAttempt::WrongAddress => notice(
            &ctx,
            &headers,
            StatusCode::UNPROCESSABLE_ENTITY,
            words::chosen(&headers).wrong_address,
            "/mypage/login",
        ),
        LoginAttempt::Gone => link_gone(&ctx, &headers, true),
    }
}

/// POST `/mypage/logout`.
pub async fn logout(
    State(ctx): State<Ctx>,
    headers: HeaderMap,
    axum::Form(f): axum::Form<ConfirmForm>,
) -> AppResult<Response> {
    verify_csrf(&headers, &f.csrf)?;
    if let Some(token) = cookie(&headers, APPLICANT_COOKIE) {
        applicants::end_session(&ctx.db, token).await?;
    }
    let mut resp = Redirect::to("/").into_response();
    resp.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(APPLICANT_COOKIE, "", 0, ctx.config.secure_cookies()),
    );
    Ok(resp)
}

/// GET `/mypage/oidc/{provider}`: starts an OpenID Connect sign-in. A link rather than a form: the default
/// content security policy (`form-action 'self'`) would stop a form whose answer redirects to the provider.
/// Starting a flow changes nothing for the browser's user; the flow only completes in the browser that holds
/// its binding cookie.
pub async fn oidc_start(
    State(st): State<IdentityState>,
    Path(provider): Path<String>,
    Query(q): Query<NextQuery>,
) -> AppResult<Response> {
    let ctx = &st.ctx;
    let cfg = ctx
        .config
        .oidc
        .iter()
        .find(|p| p.id == provider)
        .ok_or(AppError::NotFound)?;
    let next = safe_next(&q.next);
    let (url, browser) = oidc::start(&ctx.db, cfg, &ctx.config.public_url, &st.http, next).await?;
    let mut resp = Redirect::to(&url).into_response();
    resp.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(
            oidc::FLOW_COOKIE,
            &browser,
            600,
            ctx.config.secure_cookies(),
        ),
    );
    Ok(resp)
}

/// Query of the OpenID Connect callback.
#[derive(Deserialize)]
pub struct CallbackQuery {
    #[serde(default)]
    state: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    error: String,
}

/// GET `/mypage/oidc/callback`: finishes the sign-in (see [`oidc::finish`]).
pub async fn oidc_callback(
    State(st): State<IdentityState>,
    applicant: Option<Applicant>,
    Query(q): Query<CallbackQuery>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let ctx = &st.ctx;
    if !q.error.is_empty() {
        return notice(
            ctx,
            &headers,
            StatusCode::BAD_REQUEST,
            words::chosen(&headers).oidc_failed,
            "/mypage/login",
        );
    }
    let identity = oidc::finish(
        &ctx.db,
        &ctx.config.oidc,
        &ctx.config.public_url,
        &st.http,
        &q.state,
        &q.code,
        cookie(&headers, oidc::FLOW_COOKIE),
    )
    .await?;
    // The signed-in account gains the verified identity only if this browser proved it owns the account: a
    // session from a mail link someone else sent (opened here, address typed in) must not collect it.
    let current = match (&applicant, cookie(&headers, APPLICANT_COOKIE)) {
        (Some(a), Some(token)) if applicants::session_is_browser_proven(&ctx.db, token).await? => {
            Some(a.id)
        }
        _ => None,
    };
    let id = oidc::applicant_for_identity(&ctx.db, &identity, current).await?;
    // The OpenID Connect flow is bound to this browser by its cookie, so the session is proven here.
    let mut resp = sign_in(ctx, &headers, id, &identity.next_path, true).await?;
    resp.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(oidc::FLOW_COOKIE, "", 0, ctx.config.secure_cookies()),
    );
    Ok(resp)
}

/// POST `/t/{code}/forms/{slug}/resume-link`: mails a one-time link to resume a saved draft elsewhere.
pub async fn request_resume_link(
    State(ctx): State<Ctx>,
    client: ClientAddr,
    Path((code, slug)): Path<(String, String)>,
    headers: HeaderMap,
    axum::Form(f): axum::Form<EmailForm>,
) -> AppResult<Response> {
    verify_csrf(&headers, &f.csrf)?;
    let form_path = format!("/t/{code}/forms/{slug}");
    if drafts::load(&ctx.db, &f.draft).await?.is_none() {
        return link_gone(&ctx, &headers, false);
    }
    let back = format!("{form_path}?d={}", f.draft);
    let t = words::chosen(&headers);
    let Some(email) = MailAddress::parse(&f.email) else {
        let [heading, message] = t.resume_bad_email;
        return notice(
            &ctx,
            &headers,
            StatusCode::UNPROCESSABLE_ENTITY,
            [heading, message, t.back_to_form],
            &back,
        );
    };
    if mail_quota_exceeded(&ctx, &client).await?.is_some() {
        return notice(
            &ctx,
            &headers,
            StatusCode::TOO_MANY_REQUESTS,
            [t.wait, t.too_many_links, t.back_to_form],
            &back,
        );
    }
    let kept = drafts::keep(&ctx.db, &f.draft, None).await?;
    match links::send(
        &ctx.db,
        Purpose::Resume,
        &email,
        Some(&kept.draft_id),
        "",
        &ctx.config.public_url,
        None,
    )
    .await
    {
        Ok(()) => {
            ctx.jobs_wake.notify_one();
            let [heading, a, b, c, d] = t.resume_sent;
            let message = format!(
                "{a}{email}{b}{}{c}{}{d}",
                links::RESUME_LINK_HOURS,
                t.datetime(kept.expires_at)
            );
            notice(
                &ctx,
                &headers,
                StatusCode::OK,
                [heading, &message, t.back_to_form],
                &back,
            )
        }
        Err(SendError::RateLimited) => notice(
            &ctx,
            &headers,
            StatusCode::TOO_MANY_REQUESTS,
            [t.wait, t.too_many_links, t.back_to_form],
            &back,
        ),
        Err(SendError::Db(e)) => Err(e),
    }
}

/// GET `/resume/{token}`: asks to confirm before the resume link is used.
pub async fn resume_page(
    State(ctx): State<Ctx>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> AppResult<Response> {
    if !links::is_live(&ctx.db, Purpose::Resume, &token).await? {
        return link_gone(&ctx, &headers, false);
    }
    let t = words::chosen(&headers);
    let [heading, message, button] = t.resume_confirm;
    page_with_csrf(
        &headers,
        ctx.config.secure_cookies(),
        StatusCode::OK,
        |csrf| {
            Ok(ConfirmLinkPage {
                heading,
                message,
                action: format!("/resume/{token}"),
                button,
                next: "",
                csrf,
                signed_in: false,
                ask_email: false,
                email: "",
                error: "",
                t,
                here: "/mypage/login",
            }
            .render()?)
        },
    )
}

/// POST `/resume/{token}`: uses the link once; the draft gets a new token and opens on this device (a
/// signed-in applicant also finds it on my page afterwards).
pub async fn use_resume_link(
    State(ctx): State<Ctx>,
    applicant: Option<Applicant>,
    Path(token): Path<String>,
    headers: HeaderMap,
    axum::Form(f): axum::Form<ConfirmForm>,
) -> AppResult<Response> {
    verify_csrf(&headers, &f.csrf)?;
    let Some(used) = links::consume(&ctx.db, Purpose::Resume, &token).await? else {
        return link_gone(&ctx, &headers, false);
    };
    let draft_id = used.draft_id.unwrap_or_default();
    let (Some(path), Some(new_token)) = (
        drafts::form_path(&ctx.db, &draft_id).await?,
        drafts::rotate(&ctx.db, &draft_id, None).await?,
    ) else {
        return link_gone(&ctx, &headers, false);
    };
    if let Some(a) = &applicant {
        drafts::claim(&ctx.db, &new_token, a.id).await?;
    }
    Ok(Redirect::to(&format!("{path}?d={new_token}")).into_response())
}

/// An HTML page, for handlers in this crate.
pub fn html(s: String) -> Response {
    Html(s).into_response()
}

/// GET `/lang/{code}?next=…`: the language switch of my page, sign-in and the FAQ. Remembers the language in
/// the cookie every resident page reads and goes back to `next` (a local path only). A preference, not an
/// account change, so a plain link (it works without JavaScript); an unknown language is "not found".
pub async fn choose_lang(
    State(ctx): State<Ctx>,
    Path(code): Path<String>,
    Query(q): Query<NextQuery>,
) -> AppResult<Response> {
    let lang = madoguchi_kernel::Lang::parse(&code).ok_or(AppError::NotFound)?;
    let mut resp = Redirect::to(safe_next(&q.next)).into_response();
    resp.headers_mut().append(
        header::SET_COOKIE,
        madoguchi_kernel::web::lang_cookie(lang, ctx.config.secure_cookies()),
    );
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(safe_next("/t/390003/forms/x?d=1"), "/t/390003/forms/x?d=1");
        for bad in [
            "",
            "https://evil.example",
            "//evil.example/x",
            "/\\evil.example",
            "/a\nb",
            "mypage",
        ] {
            assert_eq!(safe_next(bad), "/mypage", "{bad:?}");
        }
    }
}
