//! Applicant identity and my page (マイページ), ADR 0014.
//!
//! - `address`: the sign-in mail address, case-folded at the edge (`MailAddress`).
//! - `links`: one-time links by mail (sign-in, draft resume) with expiry, single use and a rate limit.
//! - `oidc`: OpenID Connect sign-in (PKCE S256, state, nonce, `private_key_jwt`), verified identity.
//! - `signin`: the sign-in pages and the applicant session cookie (a new session at every sign-in).
//! - `claim`: adding applications sent before signing in (by the proven address, or receipt number + code).
//! - `mypage`: applications with history and messages, print view, withdrawal, return for correction and
//!   resubmission with the diff, drafts, profile and notification settings.
//!
//! Applicants and their sessions live in `madoguchi_kernel::applicants` so the public form pages can see
//! who is signed in; the applicant's side of submissions is `madoguchi_applications::applicant_cases`.

pub mod address;
pub mod claim;
pub mod links;
pub mod mypage;
pub mod oidc;
pub mod signin;
pub mod words;

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRef};
use axum::routing::{get, post};
use madoguchi_kernel::Ctx;

/// State of the identity routes.
#[derive(Clone, Debug)]
pub struct IdentityState {
    /// Shared kernel context.
    pub ctx: Ctx,
    /// HTTP client for OpenID Connect providers (no redirects).
    pub http: reqwest::Client,
}

impl IdentityState {
    /// The state for a context.
    pub fn new(ctx: Ctx) -> IdentityState {
        IdentityState {
            ctx,
            http: oidc::http_client(),
        }
    }
}

impl FromRef<IdentityState> for Ctx {
    fn from_ref(s: &IdentityState) -> Ctx {
        s.ctx.clone()
    }
}

/// The routes of sign-in and my page.
pub fn router(state: IdentityState) -> Router {
    Router::new()
        .route(
            "/mypage/login",
            get(signin::login_page).post(signin::request_link),
        )
        .route(
            "/mypage/login/{token}",
            get(signin::link_page).post(signin::use_link),
        )
        .route("/mypage/logout", post(signin::logout))
        .route("/lang/{code}", get(signin::choose_lang))
        .route("/mypage/oidc/{provider}", get(signin::oidc_start))
        .route("/mypage/oidc/callback", get(signin::oidc_callback))
        .route(
            "/t/{code}/forms/{slug}/resume-link",
            post(signin::request_resume_link),
        )
        .route(
            "/resume/{token}",
            get(signin::resume_page).post(signin::use_resume_link),
        )
        .route("/mypage", get(mypage::home))
        .route("/mypage/applications/{id}", get(mypage::application))
        .route("/mypage/applications/{id}/print", get(mypage::print))
        .route(
            "/mypage/applications/{id}/documents/{doc}",
            get(mypage::document),
        )
        .route("/mypage/applications/{id}/withdraw", post(mypage::withdraw))
        .route("/mypage/applications/{id}/messages", post(mypage::message))
        .route(
            "/mypage/applications/{id}/correction",
            get(mypage::correction_page)
                .post(mypage::correction_post)
                .layer(DefaultBodyLimit::max(madoguchi_applications::MAX_FORM_BODY)),
        )
        .route(
            "/mypage/applications/{id}/attachments/{file}",
            get(mypage::attachment),
        )
        .route(
            "/mypage/claim",
            get(claim::claim_page).post(claim::request_code),
        )
        .route("/mypage/claim/confirm", post(claim::confirm_code))
        .route("/mypage/claim/mail", post(claim::claim_by_mail))
        .route("/mypage/drafts/{id}/resume", post(mypage::resume_draft))
        .route("/mypage/drafts/{id}/delete", post(mypage::delete_draft))
        .route(
            "/mypage/profile",
            get(mypage::profile_page).post(mypage::profile_post),
        )
        .route(
            "/mypage/notifications",
            get(mypage::notifications_page).post(mypage::notifications_post),
        )
        .with_state(state)
}
