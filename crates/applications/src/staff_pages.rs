//! Staff pages: login, inbox, submission review, forms (import, export of definitions), aggregation.

use crate::forms_store::{self, FormActions, FormSummary, PublishError};
use crate::render::{AnswerRow, answer_rows};
use crate::submissions::{self, InboxFilter, Status, SubmissionDetail};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use futures::TryStreamExt;
use madoguchi_forms::PartKind;
use madoguchi_kernel::client::ClientAddr;
use madoguchi_kernel::time::{display_datetime, short_wareki_datetime, wareki_datetime};
use madoguchi_kernel::web::{SESSION_COOKIE, cookie, set_cookie, verify_csrf};
use madoguchi_kernel::{AppError, AppResult, Ctx, Role, StaffScope, audit, staff};
use serde::Deserialize;
use serde_json::Value;
use sqlx::Row;
use std::collections::BTreeMap;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    csrf: String,
    login: String,
    error: String,
}

fn page_with_csrf(
    ctx: &Ctx,
    headers: &HeaderMap,
    status: StatusCode,
    render: impl FnOnce(String) -> AppResult<String>,
) -> AppResult<Response> {
    madoguchi_kernel::web::page_with_csrf(headers, ctx.config.secure_cookies(), status, render)
}

/// GET `/staff/login`.
pub async fn login_page(State(ctx): State<Ctx>, headers: HeaderMap) -> AppResult<Response> {
    page_with_csrf(&ctx, &headers, StatusCode::OK, |csrf| {
        Ok(LoginPage {
            csrf,
            login: String::new(),
            error: String::new(),
        }
        .render()?)
    })
}

/// The login form.
#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
}

/// POST `/staff/login`. Failures are throttled, locked and audited by `staff::login`.
pub async fn login(
    State(ctx): State<Ctx>,
    client: ClientAddr,
    headers: HeaderMap,
    axum::Form(f): axum::Form<LoginForm>,
) -> AppResult<Response> {
    verify_csrf(&headers, &f.csrf)?;
    let outcome = staff::login(
        &ctx.db,
        &ctx.config.rate_limits,
        &client,
        f.login.trim(),
        &f.password,
        ctx.config.session_minutes,
    )
    .await?;
    let (status, error, retry_after) = match outcome {
        staff::LoginOutcome::SignedIn(token) => {
            let mut resp = Redirect::to("/staff").into_response();
            let c = set_cookie(
                SESSION_COOKIE,
                &token,
                ctx.config.session_minutes * 60,
                ctx.config.secure_cookies(),
            );
            resp.headers_mut().append(header::SET_COOKIE, c);
            return Ok(resp);
        }
        staff::LoginOutcome::Failed => (
            StatusCode::UNAUTHORIZED,
            "ログインIDまたはパスワードが正しくありません。".to_string(),
            None,
        ),
        staff::LoginOutcome::Locked {
            message,
            retry_after_secs,
        } => (
            StatusCode::TOO_MANY_REQUESTS,
            message,
            Some(retry_after_secs),
        ),
    };
    let mut resp = page_with_csrf(&ctx, &headers, status, |csrf| {
        Ok(LoginPage {
            csrf,
            login: f.login,
            error,
        }
        .render()?)
    })?;
    if let Some(secs) = retry_after {
        resp.headers_mut()
            .insert(header::RETRY_AFTER, secs.max(1).into());
    }
    Ok(resp)
}

/// A form with only the CSRF field.
#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(rename = "_csrf", default)]
    csrf: String,
}

/// POST `/staff/logout`.
pub async fn logout(
    State(ctx): State<Ctx>,
    headers: HeaderMap,
    axum::Form(f): axum::Form<CsrfOnly>,
) -> AppResult<Response> {
    verify_csrf(&headers, &f.csrf)?;
    if let Some(token) = cookie(&headers, SESSION_COOKIE) {
        staff::logout(&ctx.db, token).await?;
    }
    let mut resp = Redirect::to("/staff/login").into_response();
    resp.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, "", 0, ctx.config.secure_cookies()),
    );
    Ok(resp)
}

struct InboxView {
    id: i64,
    receipt_number: String,
    form_title: String,
    applicant_name: String,
    status: Status,
    when: String,
}

#[derive(Template)]
#[template(path = "inbox.html")]
struct InboxPage<'a> {
    scope: &'a StaffScope,
    csrf: String,
    forms: Vec<(i64, String, bool)>,
    statuses: [Status; 7],
    filter: InboxFilter,
    rows: Vec<InboxView>,
    readable: bool,
}

/// GET `/staff`: the inbox.
pub async fn inbox(
    State(ctx): State<Ctx>,
    scope: StaffScope,
    headers: HeaderMap,
    Query(filter): Query<InboxFilterQuery>,
) -> AppResult<Response> {
    let filter = filter.into_filter();
    let rows = submissions::inbox(&ctx.db, &scope, &filter, 200).await?;
    if !rows.is_empty() {
        // The list shows applicants' names: who looked at which list is recorded too.
        let detail = match filter.describe() {
            d if d.is_empty() => format!("{}件", rows.len()),
            d => format!("{}件（{d}）", rows.len()),
        };
        audit::record(&ctx.db, &scope, audit::Action::List, "inbox", &detail).await?;
    }
    // Only forms whose submissions this person may read: filtering on another would always show nothing.
    let forms = forms_store::list_forms(&ctx.db, &scope)
        .await?
        .into_iter()
        .filter(|f| FormActions::for_form(&scope, f).export)
        .map(|f| (f.id, f.title, filter.form == Some(f.id)))
        .collect();
    let readable = scope.readable_departments().is_none_or(|d| !d.is_empty());
    let rows = rows
        .into_iter()
        .map(|r| InboxView {
            id: r.id,
            receipt_number: r.receipt_number,
            form_title: r.form_title,
            applicant_name: r.applicant_name,
            status: r.status,
            when: short_wareki_datetime(r.submitted_at),
        })
        .collect();
    page_with_csrf(&ctx, &headers, StatusCode::OK, |csrf| {
        Ok(InboxPage {
            scope: &scope,
            csrf,
            forms,
            statuses: Status::ALL,
            filter,
            rows,
            readable,
        }
        .render()?)
    })
}

/// Inbox query as sent by the filter form (empty fields arrive as empty strings).
#[derive(Deserialize, Default)]
pub struct InboxFilterQuery {
    #[serde(default)]
    form: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    q: String,
}

impl InboxFilterQuery {
    fn into_filter(self) -> InboxFilter {
        let some = |s: String| (!s.trim().is_empty()).then_some(s);
        InboxFilter {
            form: self.form.trim().parse().ok(),
            status: some(self.status),
            from: some(self.from),
            to: some(self.to),
            q: some(self.q),
        }
    }
}

impl SubmissionPage<'_> {
    /// Whether the correction picker starts open: something was picked or typed before a refusal.
    fn fix_open(&self) -> bool {
        self.correctable
            .iter()
            .any(|c| c.picked || !c.comment.is_empty())
            || self
                .error
                .as_ref()
                .is_some_and(|(a, _)| a.starts_with("fix-"))
    }

    /// The refusal shown at a part's comment box.
    fn fix_error(&self, c: &FixView) -> Option<&str> {
        self.error
            .as_ref()
            .filter(|(anchor, _)| *anchor == format!("fix-{}", c.key))
            .map(|(_, m)| m.as_str())
    }
}

/// A part in the correction picker of the review page.
struct FixView {
    key: String,
    label: String,
    /// Ticked (after a refusal, as sent).
    picked: bool,
    /// The comment typed (after a refusal).
    comment: String,
}

struct EventView {
    when: String,
    text: String,
}

#[derive(Template)]
#[template(path = "submission.html")]
struct SubmissionPage<'a> {
    scope: &'a StaffScope,
    csrf: String,
    sub: SubmissionDetail,
    form_title: String,
    version: i64,
    submitted: String,
    rows: Vec<AnswerRow>,
    file_base: String,
    next: &'static [Status],
    events: Vec<EventView>,
    audit: Vec<String>,
    notice: String,
    error: Option<(String, String)>,
    message: String,
    comment: String,
    /// Parts that may be named in a return for correction.
    correctable: Vec<FixView>,
    /// The status chosen before a refusal (the first offered otherwise).
    chosen: String,
    /// Most characters of a correction comment.
    max_comment: usize,
    /// Correction requests: (label, comment, still open).
    corrections: Vec<(String, String, bool)>,
    /// Resubmissions: (when, changes).
    revisions: Vec<(String, Vec<crate::applicant_cases::AnswerChange>)>,
    /// Whether the applicant has an account (messages reach them on my page).
    has_account: bool,
    staff_message: String,
}

/// Query of the submission page.
#[derive(Deserialize, Default)]
pub struct NoticeQuery {
    #[serde(default)]
    notice: String,
}

/// GET `/staff/submissions/{id}`: the review page. The view is recorded in the audit log.
pub async fn submission(
    State(ctx): State<Ctx>,
    scope: StaffScope,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Query(q): Query<NoticeQuery>,
) -> AppResult<Response> {
    let notice = match q.notice.as_str() {
        "status" => "状態を変更しました。",
        "comment" => "コメントを追加しました。",
        "message" => "申請者にメッセージを送信しました。",
        _ => "",
    };
    let shown = Shown {
        notice: notice.into(),
        ..Default::default()
    };
    render_submission(&ctx, &scope, &headers, id, shown).await
}

/// What the submission page shows besides the submission: a notice, or a refused action with its input.
#[derive(Default)]
struct Shown {
    notice: String,
    /// (anchor, message) of a refused action.
    error: Option<(String, String)>,
    message: String,
    /// The status chosen in a refused status change.
    to: String,
    /// Parts picked for correction in a refused status change.
    picked: Vec<String>,
    /// Comments typed per part in a refused status change.
    fixes: Vec<(String, String)>,
    comment: String,
    staff_message: String,
    /// Status of the response (200 unless an action was refused).
    status: StatusCode,
}

async fn render_submission(
    ctx: &Ctx,
    scope: &StaffScope,
    headers: &HeaderMap,
    id: i64,
    shown: Shown,
) -> AppResult<Response> {
    let sub = submissions::find_for_staff(&ctx.db, scope, id).await?;
    audit::record(
        &ctx.db,
        scope,
        audit::Action::View,
        &format!("submission:{id}"),
        "",
    )
    .await?;
    let (version, def) =
        forms_store::definition_by_version_id(&ctx.db, sub.form_version_id).await?;
    let events = submissions::events(&ctx.db, &sub)
        .await?
        .into_iter()
        .map(|e| {
            let who = if e.staff_name.is_empty() {
                "申請者".to_string()
            } else {
                e.staff_name.clone()
            };
            let text = match e.kind.as_str() {
                "status" => match (e.from_status, e.to_status) {
                    (None, Some(to)) => format!("{}（申請を受け付けました）", to.label()),
                    (Some(f), Some(t)) => format!(
                        "{who}: {} → {}{}",
                        f.label(),
                        t.label(),
                        if e.body.is_empty() {
                            String::new()
                        } else {
                            format!("（メッセージ: {}）", e.body)
                        }
                    ),
                    _ => e.body.clone(),
                },
                "comment" => format!("{who}（内部コメント）: {}", e.body),
                "message" => format!("{who}（メッセージ）: {}", e.body),
                _ => format!("{who}: {}", e.body),
            };
            EventView {
                when: wareki_datetime(e.at),
                text,
            }
        })
        .collect();
    let audit = audit::for_subject(&ctx.db, scope, &format!("submission:{id}"))
        .await?
        .into_iter()
        .map(|a| {
            let what = audit::label_of(&a.action);
            let what = match audit::Action::parse(&a.action) {
                Some(audit::Action::Status) => match Status::parse(&a.detail) {
                    Some(s) => format!("{what}（{}）", s.label()),
                    None => what.to_string(),
                },
                Some(audit::Action::Download) if !a.detail.is_empty() => {
                    format!("{what}（{}）", a.detail)
                }
                _ => what.to_string(),
            };
            format!("{} {} {}", wareki_datetime(a.at), a.staff_name, what)
        })
        .collect();
    let next = if scope.can_review(sub.department_id) {
        sub.status.next()
    } else {
        &[]
    };
    let label_of = |key: &str| {
        def.parts
            .iter()
            .find(|p| p.key == key)
            .map(|p| p.label.clone())
            .unwrap_or_else(|| key.to_string())
    };
    let correctable = def
        .parts
        .iter()
        .filter(|p| p.kind.has_value() && next.contains(&Status::Returned))
        .map(|p| FixView {
            picked: shown.picked.contains(&p.key),
            comment: shown
                .fixes
                .iter()
                .find(|(k, _)| *k == p.key)
                .map(|(_, c)| c.clone())
                .unwrap_or_default(),
            key: p.key.clone(),
            label: p.label.clone(),
        })
        .collect();
    let corrections = submissions::corrections(&ctx.db, sub.id)
        .await?
        .into_iter()
        .map(|c| (label_of(&c.part_key), c.comment, c.resolved_at.is_none()))
        .collect();
    let revs = submissions::revisions(&ctx.db, sub.id).await?;
    let revisions = revs
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let after = revs.get(i + 1).map(|n| &n.answers).unwrap_or(&sub.answers);
            (
                wareki_datetime(r.replaced_at),
                crate::applicant_cases::answer_changes(&def, &r.answers, after),
            )
        })
        .collect();
    let has_account: Option<i64> =
        sqlx::query_scalar("SELECT applicant_id FROM submissions WHERE id = $1")
            .bind(sub.id)
            .fetch_one(&ctx.db.read)
            .await?;
    page_with_csrf(ctx, headers, shown.status, |csrf| {
        Ok(SubmissionPage {
            scope,
            csrf,
            error: shown.error,
            message: shown.message,
            comment: shown.comment,
            form_title: def.title.clone(),
            version,
            submitted: display_datetime(sub.submitted_at),
            rows: answer_rows(&def, &sub.answers),
            file_base: format!("/staff/submissions/{id}/attachments/"),
            next,
            events,
            audit,
            notice: shown.notice,
            correctable,
            chosen: if next.iter().any(|s| s.as_str() == shown.to) {
                shown.to.clone()
            } else {
                next.first()
                    .map(|s| s.as_str().to_string())
                    .unwrap_or_default()
            },
            max_comment: submissions::MAX_MESSAGE,
            corrections,
            revisions,
            has_account: has_account.is_some(),
            staff_message: shown.staff_message,
            sub,
        }
        .render()?)
    })
}

/// The status form: `_csrf`, `to`, `message`, and `fix.{part key}` comments for a return for correction.
struct StatusForm {
    csrf: String,
    to: String,
    message: String,
    /// Parts ticked in the correction picker (`pick`).
    picked: Vec<String>,
    fixes: Vec<(String, String)>,
}

impl StatusForm {
    fn parse(pairs: Vec<(String, String)>) -> StatusForm {
        let mut f = StatusForm {
            csrf: String::new(),
            to: String::new(),
            message: String::new(),
            picked: Vec::new(),
            fixes: Vec::new(),
        };
        for (k, v) in pairs {
            match k.as_str() {
                "_csrf" => f.csrf = v,
                "to" => f.to = v,
                "message" => f.message = v,
                "pick" => f.picked.push(v),
                _ => {
                    if let Some(key) = k.strip_prefix("fix.") {
                        f.fixes.push((key.to_string(), v));
                    }
                }
            }
        }
        f
    }
}

/// POST `/staff/submissions/{id}/status`.
pub async fn change_status(
    State(ctx): State<Ctx>,
    scope: StaffScope,
    headers: HeaderMap,
    Path(id): Path<i64>,
    axum::Form(pairs): axum::Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let f = StatusForm::parse(pairs);
    verify_csrf(&headers, &f.csrf)?;
    let requested = submissions::requested_corrections(&f.picked, &f.fixes);
    let result = match Status::parse(&f.to) {
        Some(to) => {
            let url = &ctx.config.public_url;
            submissions::change_status_with_corrections(
                &ctx.db,
                &scope,
                id,
                to,
                &f.message,
                requested.clone(),
                url,
            )
            .await
        }
        None => Err(AppError::BadRequest(
            "新しい状態を選択してください。".into(),
        )),
    };
    match result {
        Ok(()) => {}
        Err(e @ (AppError::BadRequest(_) | AppError::Conflict(_))) => {
            // Shown again on the same page with what was typed, the refusal linked to its field.
            let status = e.status();
            let m = e.to_string();
            // A refused correction names its part (「氏名」への修正依頼…): the message is shown at that box.
            let anchor = match correction_refused(&ctx, &scope, id, &m).await? {
                Some(key) => format!("fix-{key}"),
                None if m.contains("修正を依頼する項目") => "fix-picker".into(),
                None if m.contains("メッセージ") => "message".into(),
                None => "new-status".into(),
            };
            let shown = Shown {
                error: Some((anchor, m)),
                message: f.message,
                to: f.to,
                picked: requested.iter().map(|(k, _)| k.clone()).collect(),
                fixes: f.fixes,
                status,
                ..Default::default()
            };
            return render_submission(&ctx, &scope, &headers, id, shown).await;
        }
        Err(e) => return Err(e),
    }
    ctx.jobs_wake.notify_one();
    Ok(Redirect::to(&format!("/staff/submissions/{id}?notice=status")).into_response())
}

/// The part whose correction `message` refuses, if it names one of the submission's parts.
async fn correction_refused(
    ctx: &Ctx,
    scope: &StaffScope,
    id: i64,
    message: &str,
) -> AppResult<Option<String>> {
    if !message.starts_with('「') {
        return Ok(None);
    }
    let sub = submissions::find_for_staff(&ctx.db, scope, id).await?;
    let (_, def) = forms_store::definition_by_version_id(&ctx.db, sub.form_version_id).await?;
    Ok(def
        .parts
        .iter()
        .filter(|p| p.kind.has_value())
        .find(|p| message.starts_with(&format!("「{}」", p.label)))
        .map(|p| p.key.clone()))
}

/// The comment form.
#[derive(Deserialize)]
pub struct CommentForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    body: String,
}

/// POST `/staff/submissions/{id}/comments`.
pub async fn add_comment(
    State(ctx): State<Ctx>,
    scope: StaffScope,
    headers: HeaderMap,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<CommentForm>,
) -> AppResult<Response> {
    verify_csrf(&headers, &f.csrf)?;
    match submissions::add_comment(&ctx.db, &scope, id, &f.body).await {
        Ok(()) => {}
        Err(AppError::BadRequest(m)) => {
            let shown = Shown {
                error: Some(("comment".into(), m)),
                comment: f.body,
                status: StatusCode::BAD_REQUEST,
                ..Default::default()
            };
            return render_submission(&ctx, &scope, &headers, id, shown).await;
        }
        Err(e) => return Err(e),
    }
    Ok(Redirect::to(&format!("/staff/submissions/{id}?notice=comment")).into_response())
}

/// POST `/staff/submissions/{id}/messages`: a message to the applicant, shown on their my page.
pub async fn send_message(
    State(ctx): State<Ctx>,
    scope: StaffScope,
    headers: HeaderMap,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<CommentForm>,
) -> AppResult<Response> {
    verify_csrf(&headers, &f.csrf)?;
    match submissions::send_message(&ctx.db, &scope, id, &f.body, &ctx.config.public_url).await {
        Ok(()) => {}
        Err(AppError::BadRequest(m)) => {
            let shown = Shown {
                error: Some(("staff-message".into(), m)),
                staff_message: f.body,
                status: StatusCode::BAD_REQUEST,
                ..Default::default()
            };
            return render_submission(&ctx, &scope, &headers, id, shown).await;
        }
        Err(e) => return Err(e),
    }
    ctx.jobs_wake.notify_one();
    Ok(Redirect::to(&format!("/staff/submissions/{id}?notice=message")).into_response())
}

/// GET `/staff/submissions/{id}/attachments/{file}`: download, recorded in the audit log.
pub async fn attachment(
    State(ctx): State<Ctx>,
    scope: StaffScope,
    Path((id, file)): Path<(i64, String)>,
) -> AppResult<Response> {
    let (name, content_type, bytes) =
        crate::attachments::load_for_staff(&ctx, &scope, id, &file).await?;
    audit::record(
        &ctx.db,
        &scope,
        audit::Action::Download,
        &format!("submission:{id}"),
        &name,
    )
    .await?;
    Ok(madoguchi_kernel::web::file_response(
        &content_type,
        &name,
        bytes,
        false,
    ))
}

#[derive(Template)]
#[template(path = "forms.html")]
struct FormsPage<'a> {
    scope: &'a StaffScope,
    csrf: String,
    tenant_code: String,
    /// The forms with what the viewer may do with each.
    forms: Vec<(FormSummary, FormActions)>,
    can_import: bool,
    errors: Vec<String>,
    notice: String,
    slug: String,
    definition: String,
}

/// What the import part of the forms page shows.
#[derive(Default)]
struct ImportState {
    errors: Vec<String>,
    notice: String,
    slug: String,
    definition: String,
}

async fn forms_page(
    ctx: &Ctx,
    scope: &StaffScope,
    headers: &HeaderMap,
    status: StatusCode,
    state: ImportState,
) -> AppResult<Response> {
    let ImportState {
        errors,
        notice,
        slug,
        definition,
    } = state;
    let forms = forms_store::list_forms(&ctx.db, scope)
        .await?
        .into_iter()
        .map(|f| {
            let can = FormActions::for_form(scope, &f);
            (f, can)
        })
        .collect();
    let tenant = madoguchi_kernel::tenants::find_tenant(&ctx.db, scope.tenant_id).await?;
    page_with_csrf(ctx, headers, status, |csrf| {
        Ok(FormsPage {
            scope,
            csrf,
            tenant_code: tenant.code,
            forms,
            can_import: matches!(scope.role, Role::Admin | Role::Editor),
            errors,
            notice,
            slug,
            definition,
        }
        .render()?)
    })
}

/// GET `/staff/forms`.
pub async fn forms(
    State(ctx): State<Ctx>,
    scope: StaffScope,
    headers: HeaderMap,
    Query(q): Query<NoticeQuery>,
) -> AppResult<Response> {
    let state = ImportState {
        notice: q.notice,
        ..Default::default()
    };
    forms_page(&ctx, &scope, &headers, StatusCode::OK, state).await
}

/// The import form.
#[derive(Deserialize)]
pub struct ImportForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    definition: String,
}

/// POST `/staff/forms/import`: publish a JSON definition as a new form or a new version.
pub async fn import(
    State(ctx): State<Ctx>,
    scope: StaffScope,
    headers: HeaderMap,
    axum::Form(f): axum::Form<ImportForm>,
) -> AppResult<Response> {
    verify_csrf(&headers, &f.csrf)?;
    scope.require(&[Role::Admin, Role::Editor])?;
    let slug = f.slug.trim().to_string();
    let result = match madoguchi_forms::parse_definition(&f.definition) {
        Ok(def) => forms_store::publish(&ctx.db, &scope, &slug, &def)
            .await
            .map(|(_, v)| v),
        Err(errors) => Err(PublishError::Invalid(errors)),
    };
    match result {
        Ok(v) => Ok(Redirect::to(&format!(
            "/staff/forms?notice={}",
            percent_encoding::utf8_percent_encode(
                &forms_store::published_notice(&slug, v),
                percent_encoding::NON_ALPHANUMERIC
            )
        ))
        .into_response()),
        Err(PublishError::Invalid(errors)) => {
            let state = ImportState {
                errors: errors.iter().map(|e| e.to_string()).collect(),
                notice: String::new(),
                slug,
                definition: f.definition,
            };
            forms_page(
                &ctx,
                &scope,
                &headers,
                StatusCode::UNPROCESSABLE_ENTITY,
                state,
            )
            .await
        }
        Err(PublishError::App(e)) => Err(e),
    }
}

/// GET `/staff/forms/{id}/definition.json`: the current definition, for moving forms between installations.
pub async fn definition_json(
    State(ctx): State<Ctx>,
    scope: StaffScope,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let versions = forms_store::all_versions(&ctx.db, &scope, id).await?;
    let (_, def) = versions.into_iter().next().ok_or(AppError::NotFound)?;
    Ok((
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        def.to_json_pretty(),
    )
        .into_response())
}

struct Question {
    label: String,
    counts: Vec<(String, i64, i64)>,
}

#[derive(Template)]
#[template(path = "summary.html")]
struct SummaryPage<'a> {
    scope: &'a StaffScope,
    csrf: String,
    title: String,
    total: i64,
    questions: Vec<Question>,
    per_day: Vec<(String, i64)>,
}

/// GET `/staff/forms/{id}/summary`: counts per choice and submissions per day (no personal data).
pub async fn summary(
    State(ctx): State<Ctx>,
    scope: StaffScope,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let form = forms_store::find_form(&ctx.db, &scope, id).await?;
    if !FormActions::for_form(&scope, &form).summary {
        return Err(AppError::Forbidden);
    }
    let versions = forms_store::all_versions(&ctx.db, &scope, id).await?;
    let def = &versions[0].1;
    let choice_parts: Vec<_> = def
        .parts
        .iter()
        .filter(|p| p.kind.choices().is_some())
        .collect();
    let mut counts: Vec<BTreeMap<String, i64>> = vec![BTreeMap::new(); choice_parts.len()];
    let mut per_day: BTreeMap<String, i64> = BTreeMap::new();
    let mut total = 0;
    // Counted by each submission's own department: a form moved here keeps its past submissions elsewhere.
    let sql = format!(
        "SELECT answers, submitted_at FROM submissions WHERE tenant_id = $1 AND form_id = $2{}",
        madoguchi_kernel::staff::departments_condition("department_id", scope.member_departments())
    );
    let mut rows = sqlx::query(&sql)
        .bind(scope.tenant_id)
        .bind(id)
        .fetch(&ctx.db.read);
    while let Some(row) = rows.try_next().await? {
        total += 1;
        let at: i64 = row.try_get("submitted_at")?;
        *per_day
            .entry(
                madoguchi_kernel::time::jst(at)
                    .format("%Y-%m-%d")
                    .to_string(),
            )
            .or_default() += 1;
        let answers: String = row.try_get("answers")?;
        let answers: Value = serde_json::from_str(&answers).unwrap_or(Value::Null);
        for (i, p) in choice_parts.iter().enumerate() {
            match answers.get(&p.key) {
                Some(Value::String(s)) => *counts[i].entry(s.clone()).or_default() += 1,
                Some(Value::Array(a)) => a
                    .iter()
                    .filter_map(Value::as_str)
                    .for_each(|s| *counts[i].entry(s.into()).or_default() += 1),
                _ => {}
            }
        }
    }
    let questions = choice_parts
        .iter()
        .zip(counts)
        .map(|(p, c)| {
            let choices = p.kind.choices().unwrap_or(&[]);
            let counts = choices
                .iter()
                .map(|ch| {
                    let n = c.get(&ch.value).copied().unwrap_or(0);
                    let pct = if total > 0 { n * 100 / total } else { 0 };
                    (ch.label.clone(), n, pct)
                })
                .collect();
            let multi = if matches!(p.kind, PartKind::Checkboxes { .. }) {
                "（複数回答）"
            } else {
                ""
            };
            Question {
                label: format!("{}{multi}", p.label),
                counts,
            }
        })
        .collect();
    page_with_csrf(&ctx, &headers, StatusCode::OK, |csrf| {
        Ok(SummaryPage {
            scope: &scope,
            csrf,
            title: form.title.clone(),
            total,
            questions,
            per_day: per_day.into_iter().collect(),
        }
        .render()?)
    })
}
