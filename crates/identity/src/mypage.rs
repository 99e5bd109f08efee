//! My page (マイページ): the signed-in applicant's applications with their history and messages, a print view,
//! withdrawal, correction and resubmission after a return (差戻し) with the differences, drafts, the profile
//! and notification settings. Every handler takes the [`Applicant`] and every query is limited to it.

use crate::words::MyWords;
use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use madoguchi_applications::applicant_cases::{self, AnswerChange, Case, CaseError, CaseRefusal};
use madoguchi_applications::attachments::store_upload;
use madoguchi_applications::drafts::{self, DraftRow};
use madoguchi_applications::languages;
use madoguchi_applications::render::{AnswerRow, answer_rows_in, render_fields_in};
use madoguchi_applications::submissions::MAX_MESSAGE;
use madoguchi_applications::submissions::Refusal;
use madoguchi_applications::submissions::Status;
use madoguchi_forms::{FieldError, FileRef, FormDefinition, PartKind, RawInput, field_id};
use madoguchi_kernel::time::short_datetime;
use madoguchi_kernel::web::{page_with_csrf, verify_csrf};
use madoguchi_kernel::{AppError, AppResult, Applicant, Ctx, Lang};
use serde::Deserialize;
use sqlx::Row;

fn render_page(
    ctx: &Ctx,
    headers: &HeaderMap,
    status: StatusCode,
    render: impl FnOnce(String) -> AppResult<String>,
) -> AppResult<Response> {
    page_with_csrf(headers, ctx.config.secure_cookies(), status, render)
}

/// A notice named in the query after a redirect.
#[derive(Deserialize, Default)]
pub struct NoticeQuery {
    #[serde(default)]
    notice: String,
}

/// A row of the application list.
struct CaseView {
    id: i64,
    receipt: String,
    title: String,
    tenant: String,
    status: Status,
    submitted: String,
    updated: String,
}

/// An application found by the sign-in address, not yet on my page.
struct FoundView {
    receipt: String,
    title: String,
    tenant: String,
    submitted: String,
}

/// A draft as listed.
struct DraftView {
    id: String,
    title: String,
    tenant: String,
    expires: String,
}

impl DraftView {
    fn new(d: DraftRow, t: &MyWords) -> Self {
        DraftView {
            id: d.draft_id,
            title: d.form_title,
            tenant: d.tenant_name,
            expires: t.datetime(d.expires_at),
        }
    }
}

#[derive(Template)]
#[template(path = "mypage_home.html")]
struct HomePage {
    csrf: String,
    signed_in: bool,
    name: String,
    verified: bool,
    notice: &'static str,
    cases: Vec<CaseView>,
    drafts: Vec<DraftView>,
    /// Applications found by the proven sign-in address (claim with one button).
    found: Vec<FoundView>,
    /// The proven sign-in address.
    email: String,
    t: &'static crate::words::MyWords,
    here: &'static str,
}

/// GET `/mypage`: applications and drafts.
pub async fn home(
    State(ctx): State<Ctx>,
    applicant: Applicant,
    Query(q): Query<NoticeQuery>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let t = crate::words::chosen(&headers);
    let cases = applicant_cases::list_in(&ctx.db, &applicant, t.lang)
        .await?
        .into_iter()
        .map(|c| CaseView {
            id: c.id,
            receipt: c.receipt_number,
            title: c.form_title,
            tenant: c.tenant_name,
            status: c.status,
            submitted: short_datetime(c.submitted_at),
            updated: short_datetime(c.updated_at),
        })
        .collect();
    let drafts = drafts::for_applicant_in(&ctx.db, applicant.id, t.lang)
        .await?
        .into_iter()
        .map(|d| DraftView::new(d, t))
        .collect();
    let found = madoguchi_applications::claims::found_by_mail(&ctx.db, &applicant)
        .await?
        .into_iter()
        .map(|f| FoundView {
            title: f.title_in(t.lang),
            receipt: f.receipt_number,
            tenant: f.tenant_name,
            submitted: short_datetime(f.submitted_at),
        })
        .collect();
    render_page(&ctx, &headers, StatusCode::OK, |csrf| {
        Ok(HomePage {
            found,
            email: applicant.email.clone().unwrap_or_default(),
            csrf,
            signed_in: true,
            name: applicant.display_name(),
            verified: applicant.is_verified(),
            notice: t.notice(&q.notice),
            cases,
            drafts,
            t,
            here: "/mypage",
        }
        .render()?)
    })
}

/// One entry of the history as the applicant sees it: the service's words, then what a person wrote (staff's
/// note or a message, kept as written), then the service's words again.
struct EventView {
    when: String,
    text: String,
    body: String,
    after: &'static str,
    message: bool,
}

/// A correction request as shown.
struct CorrectionView {
    label: String,
    comment: String,
    open: bool,
}

/// The changes of one resubmission.
struct RevisionView {
    when: String,
    changes: Vec<AnswerChange>,
}

#[derive(Template)]
#[template(path = "mypage_application.html")]
struct ApplicationPage {
    csrf: String,
    signed_in: bool,
    t: &'static MyWords,
    here: String,
    notice: &'static str,
    error: Option<(String, String)>,
    message: String,
    case: Case,
    title: String,
    submitted: String,
    rows: Vec<AnswerRow>,
    file_base: String,
    events: Vec<EventView>,
    corrections: Vec<CorrectionView>,
    revisions: Vec<RevisionView>,
    /// Permits and notices issued for this application (電子交付), with their state and note in the language.
    documents: Vec<(
        madoguchi_issuance::applicant::ApplicantDocument,
        &'static str,
        String,
    )>,
}

/// The definition as the resident reads it: its translation into `lang` where it has one.
fn shown_definition(def: &FormDefinition, lang: Lang) -> std::borrow::Cow<'_, FormDefinition> {
    match lang.translation_key().and_then(|code| def.localized(code)) {
        Some(d) => std::borrow::Cow::Owned(d),
        None => std::borrow::Cow::Borrowed(def),
    }
}

/// The language a form is shown in: `lang` when the form is translated into it, else Japanese.
fn form_lang(def: &FormDefinition, lang: Lang) -> Lang {
    match lang.translation_key() {
        Some(code) if def.translations.contains_key(code) => lang,
        _ => Lang::Ja,
    }
}

fn part_label(def: &FormDefinition, key: &str) -> String {
    def.parts
        .iter()
        .find(|p| p.key == key)
        .map(|p| p.label.clone())
        .unwrap_or_else(|| key.to_string())
}

/// What the application page shows besides the application: a notice, or a refused action with its input.
#[derive(Default)]
struct Shown {
    /// The notice's key (`?notice=`).
    notice: String,
    error: Option<(String, String)>,
    message: String,
    status: Option<StatusCode>,
}

async fn render_application(
    ctx: &Ctx,
    applicant: &Applicant,
    headers: &HeaderMap,
    id: i64,
    shown: Shown,
) -> AppResult<Response> {
    let t = crate::words::chosen(headers);
    let case = applicant_cases::find(&ctx.db, applicant, id).await?;
    let ja = t.lang == Lang::Ja;
    let events = applicant_cases::history(&ctx.db, &case)
        .await?
        .into_iter()
        .map(|e| {
            let [received, you, staff, from_you, from_staff] = t.events;
            let mine = e.staff_name.is_empty();
            let who = if mine { you } else { staff };
            let (text, body, after, message) = match e.kind.as_str() {
                "status" => match (e.from_status, e.to_status) {
                    (None, Some(_)) => (received.to_string(), String::new(), "", false),
                    (Some(f), Some(to)) => {
                        let head = format!("{who}: {} → {}", t.status(&f), t.status(&to));
                        if e.body.is_empty() {
                            (head, String::new(), "", false)
                        } else {
                            let [open, close] = t.paren;
                            (
                                format!("{head}{open}"),
                                t.event_note(&e.body).to_string(),
                                close,
                                false,
                            )
                        }
                    }
                    _ => (String::new(), e.body.clone(), "", false),
                },
                _ => (
                    format!("{}: ", if mine { from_you } else { from_staff }),
                    e.body.clone(),
                    "",
                    true,
                ),
            };
            // Japanese pages keep one text, as they always had; others mark what people wrote as Japanese.
            // A body that is empty or one of the notes the service writes itself is joined to the text too.
            let one_text = ja || body.is_empty() || t.event_notes.iter().any(|(_, n)| *n == body);
            let (text, body, after) = if one_text {
                (format!("{text}{body}{after}"), String::new(), "")
            } else {
                (text, body, after)
            };
            EventView {
                when: short_datetime(e.at),
                text,
                body,
                after,
                message,
            }
        })
        .collect();
    let shown_def = shown_definition(&case.definition, form_lang(&case.definition, t.lang));
    let corrections = applicant_cases::corrections(&ctx.db, &case)
        .await?
        .into_iter()
        .map(|c| CorrectionView {
            label: part_label(&shown_def, &c.part_key),
            comment: c.comment,
            open: c.resolved_at.is_none(),
        })
        .collect();
    let revs = applicant_cases::revisions(&ctx.db, &case).await?;
    let mut revisions = Vec::with_capacity(revs.len());
    for (i, r) in revs.iter().enumerate() {
        let after = revs
            .get(i + 1)
            .map(|n| &n.answers)
            .unwrap_or(&case.sub.answers);
        revisions.push(RevisionView {
            when: short_datetime(r.replaced_at),
            changes: applicant_cases::answer_changes(&shown_def, &r.answers, after),
        });
    }
    let documents =
        madoguchi_issuance::applicant::documents_for_submission(ctx, case.tenant_id, case.sub.id)
            .await?
            .into_iter()
            .map(|d| {
                let (state, note) = t.document_state(&d);
                (d, state, note)
            })
            .collect();
    let status = shown.status.unwrap_or(StatusCode::OK);
    let title = shown_def.title.clone();
    let rows = answer_rows_in(
        &shown_def,
        &case.sub.answers,
        form_lang(&case.definition, t.lang),
    );
    drop(shown_def);
    render_page(ctx, headers, status, |csrf| {
        Ok(ApplicationPage {
            documents,
            csrf,
            signed_in: true,
            t,
            here: format!("/mypage/applications/{id}"),
            notice: t.notice(&shown.notice),
            error: shown.error,
            message: shown.message,
            title,
            submitted: t.datetime(case.sub.submitted_at),
            rows,
            file_base: format!("/mypage/applications/{id}/attachments/"),
            events,
            corrections,
            revisions,
            case,
        }
        .render()?)
    })
}

/// GET `/mypage/applications/{id}`.
pub async fn application(
    State(ctx): State<Ctx>,
    applicant: Applicant,
    Path(id): Path<i64>,
    Query(q): Query<NoticeQuery>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let shown = Shown {
        notice: q.notice,
        ..Default::default()
    };
    render_application(&ctx, &applicant, &headers, id, shown).await
}

#[derive(Template)]
#[template(path = "mypage_print.html")]
struct PrintPage {
    t: &'static MyWords,
    case: Case,
    title: String,
    submitted: String,
    rows: Vec<AnswerRow>,
    file_base: String,
}

/// GET `/mypage/applications/{id}/print`: what was submitted, as a page to print or save as PDF.
pub async fn print(
    State(ctx): State<Ctx>,
    applicant: Applicant,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let t = crate::words::chosen(&headers);
    let case = applicant_cases::find(&ctx.db, &applicant, id).await?;
    let lang = form_lang(&case.definition, t.lang);
    let shown = shown_definition(&case.definition, lang);
    let page = PrintPage {
        t,
        title: shown.title.clone(),
        submitted: t.datetime(case.sub.submitted_at),
        rows: answer_rows_in(&shown, &case.sub.answers, lang),
        file_base: String::new(),
        case,
    };
    Ok(crate::signin::html(page.render()?))
}

/// A form with only the CSRF token.
#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
}

/// POST `/mypage/applications/{id}/withdraw`: 取下げ.
pub async fn withdraw(
    State(ctx): State<Ctx>,
    applicant: Applicant,
    Path(id): Path<i64>,
    headers: HeaderMap,
    axum::Form(f): axum::Form<CsrfForm>,
) -> AppResult<Response> {
    verify_csrf(&headers, &f.csrf)?;
    let t = crate::words::chosen(&headers);
    match applicant_cases::withdraw(&ctx.db, &applicant, id, &ctx.config.public_url).await {
        Ok(()) => {}
        Err(CaseError::Refused(r)) => {
            let shown = Shown {
                error: Some(("withdraw".into(), r.text(t.lang))),
                status: Some(StatusCode::CONFLICT),
                ..Default::default()
            };
            return render_application(&ctx, &applicant, &headers, id, shown).await;
        }
        Err(CaseError::App(e)) => return Err(e),
    }
    ctx.jobs_wake.notify_one();
    Ok(Redirect::to(&format!("/mypage/applications/{id}?notice=withdrawn")).into_response())
}

/// The message form.
#[derive(Deserialize)]
pub struct MessageForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    body: String,
}

/// POST `/mypage/applications/{id}/messages`: a message to the department.
pub async fn message(
    State(ctx): State<Ctx>,
    applicant: Applicant,
    Path(id): Path<i64>,
    headers: HeaderMap,
    axum::Form(f): axum::Form<MessageForm>,
) -> AppResult<Response> {
    verify_csrf(&headers, &f.csrf)?;
    let t = crate::words::chosen(&headers);
    match applicant_cases::post_message(&ctx.db, &applicant, id, &f.body, &ctx.config.public_url)
        .await
    {
        Ok(()) => {}
        Err(CaseError::Refused(r)) => {
            let status = match r {
                CaseRefusal::MessageEmpty | CaseRefusal::MessageTooLong => {
                    StatusCode::UNPROCESSABLE_ENTITY
                }
                _ => StatusCode::CONFLICT,
            };
            let shown = Shown {
                error: Some(("body".into(), r.text(t.lang))),
                // What was typed is shown again (the first characters of an over-long one).
                message: f.body.chars().take(MAX_MESSAGE + 100).collect(),
                status: Some(status),
                ..Default::default()
            };
            return render_application(&ctx, &applicant, &headers, id, shown).await;
        }
        Err(CaseError::App(e)) => return Err(e),
    }
    ctx.jobs_wake.notify_one();
    Ok(Redirect::to(&format!("/mypage/applications/{id}?notice=message")).into_response())
}

/// GET `/mypage/applications/{id}/documents/{doc}`: an issued permit of the applicant's own application, once
/// released (after the fee, where one is charged) and while valid.
pub async fn document(
    State(ctx): State<Ctx>,
    applicant: Applicant,
    Path((id, doc)): Path<(i64, i64)>,
) -> AppResult<Response> {
    let case = applicant_cases::find(&ctx.db, &applicant, id).await?;
    let (name, bytes) =
        madoguchi_issuance::applicant::released_pdf(&ctx, case.tenant_id, case.sub.id, doc)
            .await?
            .ok_or(AppError::NotFound)?;
    Ok(madoguchi_kernel::web::file_response(
        "application/pdf",
        &name,
        bytes,
        false,
    ))
}

/// GET `/mypage/applications/{id}/attachments/{file}`: a file of the applicant's own application.
pub async fn attachment(
    State(ctx): State<Ctx>,
    applicant: Applicant,
    Path((id, file)): Path<(i64, String)>,
) -> AppResult<Response> {
    let case = applicant_cases::find(&ctx.db, &applicant, id).await?;
    let row = sqlx::query(
        "SELECT file_name, content_type FROM attachments WHERE id = $1 AND submission_id = $2",
    )
    .bind(&file)
    .bind(case.sub.id)
    .fetch_optional(&ctx.db.read)
    .await?
    .ok_or(AppError::NotFound)?;
    let name: String = row.try_get("file_name")?;
    let content_type: String = row.try_get("content_type")?;
    let body = madoguchi_applications::attachments::stream_attachment(&ctx, &file).await?;
    Ok(madoguchi_kernel::web::file_response(
        &content_type,
        &name,
        body,
        false,
    ))
}

/// The parts of a definition that may be edited now, as a definition of their own for the input fields.
fn editable_definition(def: &FormDefinition, keys: &[String]) -> FormDefinition {
    let mut d = def.clone();
    d.parts.retain(|p| keys.contains(&p.key));
    d
}

/// Raw input rebuilt from stored answers, so that they validate again to the same answers: files of top-level
/// file and photo parts become files again, a photo's position its typed fields. (Files inside repeating
/// groups are not rebuilt: such forms cannot be corrected yet.)
fn raw_from_answers(def: &FormDefinition, answers: &madoguchi_forms::Answers) -> RawInput {
    let mut plain = answers.clone();
    let mut files = std::collections::BTreeMap::new();
    let mut photo_fields = Vec::new();
    for p in &def.parts {
        match p.kind {
            PartKind::File { .. } => {
                if let Some(v) = plain.remove(&p.key)
                    && let Ok(list) = serde_json::from_value::<Vec<FileRef>>(v)
                {
                    files.insert(p.key.clone(), list);
                }
            }
            PartKind::Photo => {
                let Some(serde_json::Value::Object(m)) = plain.remove(&p.key) else {
                    continue;
                };
                if let Some(file) = m
                    .get("file")
                    .and_then(|f| serde_json::from_value::<FileRef>(f.clone()).ok())
                {
                    files.insert(p.key.clone(), vec![file]);
                }
                for (sub, name) in [
                    ("lat", "lat"),
                    ("lon", "lon"),
                    ("location_source", "source"),
                ] {
                    if let Some(v) = m.get(sub) {
                        let text = v
                            .as_str()
                            .map(String::from)
                            .unwrap_or_else(|| v.to_string());
                        photo_fields.push((format!("{}.{name}", p.key), text));
                    }
                }
            }
            _ => {}
        }
    }
    // Stored answers passed the same bounds when they were submitted; an older, larger document is shown
    // from what fits rather than not at all.
    let mut raw = RawInput::from_answers_json(&plain).unwrap_or_default();
    raw.files = files;
    for (k, v) in photo_fields {
        raw.set(k, v);
    }
    raw
}

fn belongs_to(field: &str, key: &str) -> bool {
    field == key
        || field
            .strip_prefix(key)
            .is_some_and(|rest| rest.starts_with('.') || rest.starts_with('['))
}

#[derive(Template)]
#[template(path = "mypage_correction.html")]
struct CorrectionPage {
    csrf: String,
    signed_in: bool,
    t: &'static MyWords,
    here: String,
    id: i64,
    receipt: String,
    title: String,
    corrections: Vec<CorrectionView>,
    errors: Vec<FieldError>,
    fields: String,
    draft: String,
}

async fn render_correction(
    ctx: &Ctx,
    headers: &HeaderMap,
    case: &Case,
    raw: &RawInput,
    errors: Vec<FieldError>,
    draft: String,
    status: StatusCode,
) -> AppResult<Response> {
    let t = crate::words::chosen(headers);
    let lang = form_lang(&case.definition, t.lang);
    let shown = shown_definition(&case.definition, lang);
    let corrections = applicant_cases::corrections(&ctx.db, case).await?;
    let keys = applicant_cases::editable_parts(case, &corrections);
    let subset = editable_definition(&shown, &keys);
    let fields = languages::localize_fields_html(
        render_fields_in(&subset, raw, &errors, lang, None),
        languages::ui(lang.code()),
    );
    let corrections = corrections
        .into_iter()
        .filter(|c| c.resolved_at.is_none())
        .map(|c| CorrectionView {
            label: part_label(&shown, &c.part_key),
            comment: c.comment,
            open: true,
        })
        .collect();
    render_page(ctx, headers, status, |csrf| {
        Ok(CorrectionPage {
            csrf,
            signed_in: true,
            t,
            here: format!("/mypage/applications/{}/correction", case.sub.id),
            id: case.sub.id,
            receipt: case.sub.receipt_number.clone(),
            title: shown.title.clone(),
            corrections,
            errors,
            fields,
            draft,
        }
        .render()?)
    })
}

/// GET `/mypage/applications/{id}/correction`: the parts to correct, filled with the current answers.
pub async fn correction_page(
    State(ctx): State<Ctx>,
    applicant: Applicant,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let case = applicant_cases::find(&ctx.db, &applicant, id).await?;
    if case.sub.status != Status::Returned {
        return Ok(Redirect::to(&format!("/mypage/applications/{id}")).into_response());
    }
    let raw = raw_from_answers(&case.definition, &case.sub.answers);
    render_correction(
        &ctx,
        &headers,
        &case,
        &raw,
        Vec::new(),
        String::new(),
        StatusCode::OK,
    )
    .await
}

/// POST `/mypage/applications/{id}/correction`: validates the whole application with the corrected parts
/// and resubmits it under the same receipt number. Parts not asked for keep their answers whatever is sent.
pub async fn correction_post(
    State(ctx): State<Ctx>,
    applicant: Applicant,
    client: madoguchi_kernel::client::ClientAddr,
    Path(id): Path<i64>,
    headers: HeaderMap,
    mp: Multipart,
) -> AppResult<Response> {
    // The case first: its form's attachment limit bounds the reading of the body.
    let case = applicant_cases::find(&ctx.db, &applicant, id).await?;
    let posted = madoguchi_applications::public::read_multipart(
        mp,
        case.definition.attachments.max_total_bytes,
    )
    .await?;
    madoguchi_applications::limits::charge_uploads(&ctx, &client, &posted.uploads).await?;
    let (csrf, draft, uploads) = (posted.csrf, posted.draft, posted.uploads);
    let posted = posted.raw;
    verify_csrf(&headers, &csrf)?;
    let t = crate::words::chosen(&headers);
    let lang = form_lang(&case.definition, t.lang);
    if case.sub.status != Status::Returned {
        return Err(AppError::Conflict(CaseRefusal::NotReturned.text(t.lang)));
    }
    let def = &case.definition;
    // Refusals of uploads name the parts as the resident reads them.
    let shown = shown_definition(def, lang);
    let corrections = applicant_cases::corrections(&ctx.db, &case).await?;
    let keys = applicant_cases::editable_parts(&case, &corrections);
    let mut raw = raw_from_answers(def, &case.sub.answers);
    // Files uploaded with an earlier attempt of this correction are kept in a draft.
    if !draft.is_empty()
        && let Some((_, prev)) = drafts::load(&ctx.db, &draft).await?
    {
        for (k, files) in prev.files {
            if keys.iter().any(|key| belongs_to(&k, key)) {
                raw.files.insert(k, files);
            }
        }
    }
    raw.fields
        .retain(|f, _| !keys.iter().any(|key| belongs_to(f, key)));
    for (k, vs) in posted.fields {
        if keys.iter().any(|key| belongs_to(&k, key)) {
            raw.fields.insert(k, vs);
        }
    }
    let mut errors = Vec::new();
    let mut replaced = std::collections::HashSet::new();
    for upload in uploads {
        let Some(part) = def.parts.iter().find(|p| {
            p.key == upload.field
                && keys.contains(&p.key)
                && matches!(p.kind, PartKind::File { .. })
        }) else {
            continue;
        };
        let field = upload.field.clone();
        // The form's total counts every file the corrected application keeps; this part's earlier files go
        // when its first new file arrives.
        let kept: u64 = raw
            .files
            .iter()
            .filter(|(k, _)| replaced.contains(*k) || **k != field)
            .flat_map(|(_, files)| files)
            .map(|f| f.size)
            .sum();
        let label = shown
            .parts
            .iter()
            .find(|p| p.key == part.key)
            .map(|p| p.label.as_str())
            .unwrap_or(&part.label);
        match store_upload(&ctx, &def.attachments, kept, upload, false, (label, lang)).await {
            Ok(file) => {
                // New files replace the earlier ones of that part.
                let list = raw.files.entry(field.clone()).or_default();
                if replaced.insert(field) {
                    list.clear();
                }
                list.push(file);
            }
            Err(AppError::BadRequest(m) | AppError::TooLarge(m) | AppError::Unavailable(m)) => {
                errors.push(FieldError {
                    anchor: field_id(&field),
                    field,
                    message: m,
                })
            }
            Err(e) => return Err(e),
        }
    }
    let token = drafts::save(
        &ctx.db,
        (!draft.is_empty()).then_some(draft.as_str()),
        case.sub.form_version_id,
        &raw,
        ctx.config.draft_hours,
    )
    .await?;
    // The one submission policy, for the version the application was made on (verified answers stay locked).
    let admitted = madoguchi_applications::submissions::policy::admit_for_version(
        def,
        case.sub.form_version_id,
        lang,
        &mut raw,
        &applicant,
    );
    match admitted {
        Ok(admitted) if errors.is_empty() => {
            match applicant_cases::resubmit(
                &ctx.db,
                &applicant,
                &case,
                admitted,
                &ctx.config.public_url,
            )
            .await
            {
                Ok(()) => {}
                Err(CaseError::Refused(r)) => return Err(AppError::Conflict(r.text(t.lang))),
                Err(CaseError::App(e)) => return Err(e),
            }
            sqlx::query("DELETE FROM drafts WHERE token_hash = $1")
                .bind(madoguchi_kernel::ids::token_hash(&token))
                .execute(&ctx.db.write)
                .await?;
            ctx.jobs_wake.notify_one();
            Ok(
                Redirect::to(&format!("/mypage/applications/{id}?notice=resubmitted"))
                    .into_response(),
            )
        }
        result => {
            match result {
                Err(Refusal::Invalid(mut e)) => errors.append(&mut e),
                Err(other) => return Err(AppError::Conflict(other.message_in(t.lang))),
                Ok(_) => {}
            }
            render_correction(
                &ctx,
                &headers,
                &case,
                &raw,
                errors,
                token,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

/// POST `/mypage/drafts/{id}/resume`: continues a saved draft on this device.
pub async fn resume_draft(
    State(ctx): State<Ctx>,
    applicant: Applicant,
    Path(draft_id): Path<String>,
    headers: HeaderMap,
    axum::Form(f): axum::Form<CsrfForm>,
) -> AppResult<Response> {
    verify_csrf(&headers, &f.csrf)?;
    let path = drafts::form_path(&ctx.db, &draft_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let token = drafts::rotate(&ctx.db, &draft_id, Some(applicant.id))
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Redirect::to(&format!("{path}?d={token}")).into_response())
}

/// POST `/mypage/drafts/{id}/delete`.
pub async fn delete_draft(
    State(ctx): State<Ctx>,
    applicant: Applicant,
    Path(draft_id): Path<String>,
    headers: HeaderMap,
    axum::Form(f): axum::Form<CsrfForm>,
) -> AppResult<Response> {
    verify_csrf(&headers, &f.csrf)?;
    if !drafts::delete_for_applicant(&ctx.db, &draft_id, applicant.id).await? {
        return Err(AppError::NotFound);
    }
    Ok(Redirect::to("/mypage?notice=draft_deleted").into_response())
}

#[derive(Template)]
#[template(path = "mypage_profile.html")]
struct ProfilePage<'a> {
    csrf: String,
    signed_in: bool,
    t: &'static MyWords,
    here: &'static str,
    notice: &'static str,
    a: &'a Applicant,
    rows: Vec<(&'static str, &'static str, String, &'static str)>,
    errors: Vec<(String, String)>,
}

/// The profile's inputs: (field, label, value, autocomplete).
fn profile_rows(
    p: &ProfileForm,
    t: &MyWords,
) -> Vec<(&'static str, &'static str, String, &'static str)> {
    let [name, furigana, postal_code, address, phone] = t.profile_labels;
    vec![
        ("name", name, p.name.clone(), "name"),
        ("furigana", furigana, p.furigana.clone(), "off"),
        (
            "postal_code",
            postal_code,
            p.postal_code.clone(),
            "postal-code",
        ),
        ("address", address, p.address.clone(), "street-address"),
        ("phone", phone, p.phone.clone(), "tel"),
    ]
}

/// Longest profile item, in characters.
const PROFILE_MAX_CHARS: usize = 200;

impl ProfilePage<'_> {
    fn error(&self, field: &str) -> &str {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
            .unwrap_or("")
    }
}

/// The profile form.
#[derive(Deserialize, Default, Clone)]
pub struct ProfileForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    furigana: String,
    #[serde(default)]
    postal_code: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    phone: String,
}

/// GET `/mypage/profile`.
pub async fn profile_page(
    State(ctx): State<Ctx>,
    applicant: Applicant,
    Query(q): Query<NoticeQuery>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let t = crate::words::chosen(&headers);
    let p = ProfileForm {
        csrf: String::new(),
        name: applicant.profile_name.clone(),
        furigana: applicant.profile_furigana.clone(),
        postal_code: applicant.profile_postal_code.clone(),
        address: applicant.profile_address.clone(),
        phone: applicant.profile_phone.clone(),
    };
    render_page(&ctx, &headers, StatusCode::OK, |csrf| {
        Ok(ProfilePage {
            csrf,
            signed_in: true,
            t,
            here: "/mypage/profile",
            notice: t.notice(&q.notice),
            a: &applicant,
            rows: profile_rows(&p, t),
            errors: Vec::new(),
        }
        .render()?)
    })
}

/// POST `/mypage/profile`: saves the profile (each item as typed, at most 200 characters).
pub async fn profile_post(
    State(ctx): State<Ctx>,
    applicant: Applicant,
    headers: HeaderMap,
    axum::Form(f): axum::Form<ProfileForm>,
) -> AppResult<Response> {
    verify_csrf(&headers, &f.csrf)?;
    let t = crate::words::chosen(&headers);
    let mut errors = Vec::new();
    for (field, label, value, _) in profile_rows(&f, t) {
        if value.chars().count() > PROFILE_MAX_CHARS {
            errors.push((
                field.to_string(),
                t.too_long_message(label, PROFILE_MAX_CHARS),
            ));
        }
    }
    if !errors.is_empty() {
        // What was typed is shown again, up to what fits (a huge value is not echoed whole).
        let mut shown = f.clone();
        for v in [
            &mut shown.name,
            &mut shown.furigana,
            &mut shown.postal_code,
            &mut shown.address,
            &mut shown.phone,
        ] {
            *v = v.chars().take(PROFILE_MAX_CHARS * 2).collect();
        }
        return render_page(&ctx, &headers, StatusCode::UNPROCESSABLE_ENTITY, |csrf| {
            Ok(ProfilePage {
                csrf,
                signed_in: true,
                t,
                here: "/mypage/profile",
                notice: "",
                a: &applicant,
                rows: profile_rows(&shown, t),
                errors,
            }
            .render()?)
        });
    }
    sqlx::query(
        "UPDATE applicants SET profile_name = $1, profile_furigana = $2, profile_postal_code = $3,
             profile_address = $4, profile_phone = $5 WHERE id = $6",
    )
    .bind(f.name.trim())
    .bind(f.furigana.trim())
    .bind(f.postal_code.trim())
    .bind(f.address.trim())
    .bind(f.phone.trim())
    .bind(applicant.id)
    .execute(&ctx.db.write)
    .await?;
    Ok(Redirect::to("/mypage/profile?notice=profile").into_response())
}

#[derive(Template)]
#[template(path = "mypage_notifications.html")]
struct NotificationsPage {
    csrf: String,
    signed_in: bool,
    t: &'static MyWords,
    here: &'static str,
    notice: &'static str,
    email: String,
    receipt: bool,
    status: bool,
    message: bool,
    error: String,
}

/// GET `/mypage/notifications`.
pub async fn notifications_page(
    State(ctx): State<Ctx>,
    applicant: Applicant,
    Query(q): Query<NoticeQuery>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let t = crate::words::chosen(&headers);
    render_page(&ctx, &headers, StatusCode::OK, |csrf| {
        Ok(NotificationsPage {
            csrf,
            signed_in: true,
            t,
            here: "/mypage/notifications",
            notice: t.notice(&q.notice),
            email: applicant.notify_email.clone(),
            receipt: applicant.notify_receipt,
            status: applicant.notify_status,
            message: applicant.notify_message,
            error: String::new(),
        }
        .render()?)
    })
}

/// The notification settings form (an unticked box is absent).
#[derive(Deserialize)]
pub struct NotificationsForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    receipt: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    message: Option<String>,
}

/// POST `/mypage/notifications`.
pub async fn notifications_post(
    State(ctx): State<Ctx>,
    applicant: Applicant,
    headers: HeaderMap,
    axum::Form(f): axum::Form<NotificationsForm>,
) -> AppResult<Response> {
    verify_csrf(&headers, &f.csrf)?;
    let email = if f.email.trim().is_empty() {
        Some(String::new())
    } else {
        madoguchi_forms::validate::normalize_email(&f.email)
    };
    let Some(email) = email else {
        let t = crate::words::chosen(&headers);
        return render_page(&ctx, &headers, StatusCode::UNPROCESSABLE_ENTITY, |csrf| {
            Ok(NotificationsPage {
                csrf,
                signed_in: true,
                t,
                here: "/mypage/notifications",
                notice: "",
                email: f.email.chars().take(320).collect(),
                receipt: f.receipt.is_some(),
                status: f.status.is_some(),
                message: f.message.is_some(),
                error: t.notify_bad_email.into(),
            }
            .render()?)
        });
    };
    sqlx::query(
        "UPDATE applicants SET notify_email = $1, notify_receipt = $2, notify_status = $3, notify_message = $4
         WHERE id = $5",
    )
    .bind(email)
    .bind(f.receipt.is_some() as i64)
    .bind(f.status.is_some() as i64)
    .bind(f.message.is_some() as i64)
    .bind(applicant.id)
    .execute(&ctx.db.write)
    .await?;
    Ok(Redirect::to("/mypage/notifications?notice=notifications").into_response())
}

#[cfg(test)]
mod tests {
    use super::raw_from_answers;
    use madoguchi_forms::{FileRef, RawInput, validate};

    #[test]
    fn stored_answers_validate_again_to_the_same_answers() {
        let def = madoguchi_forms::parse_definition(
            r#"{"title": "t", "department": "d", "parts": [
                {"key": "who", "type": "applicant", "label": "申請者", "required": true},
                {"key": "n", "type": "number", "label": "金額", "required": true, "integer": true},
                {"key": "doc", "type": "file", "label": "書類", "required": true},
                {"key": "photo", "type": "photo", "label": "写真", "required": true},
                {"key": "ok", "type": "consent", "label": "同意", "required": true, "text": "同意します"}]}"#,
        )
        .unwrap();
        let file = |id: &str| FileRef {
            id: id.into(),
            name: format!("{id}.pdf"),
            size: 10,
            content_type: "application/pdf".into(),
            gps: None,
        };
        let mut raw = RawInput::default();
        raw.set("who.kind", "individual");
        raw.set("who.name", "高知 太郎");
        raw.set("who.furigana", "コウチ タロウ");
        raw.set("n", "１，５００");
        raw.set("photo.lat", "33.5597");
        raw.set("photo.lon", "133.5311");
        raw.set("ok", "yes");
        raw.files.insert("doc".into(), vec![file("a"), file("b")]);
        raw.files.insert("photo".into(), vec![file("p")]);
        let answers = validate(&def, &raw).expect("valid input");
        let again = validate(&def, &raw_from_answers(&def, &answers)).expect("still valid");
        assert_eq!(again, answers);
    }
}
