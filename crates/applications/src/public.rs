//! Public form pages: input → confirmation (確認画面) → submit → completion with a receipt number (受付番号).
//! Everything works without JavaScript; the script in `static/form.js` only enhances.

use crate::applicant_forms::{self, ApplicantBlock};
use crate::attachments::{Upload, store_upload};
use crate::forms_store::{PublishedForm, find_published};
use crate::languages::{
    LANG_COOKIE, LangLink, Ui, Words, localize_fields_html, localized, resident_lang, switch, ui,
    words,
};
use crate::render::{AnswerRow, FieldNote, answer_rows_in, render_empty_fields, render_fields_in};
use crate::submissions::{Channel, Refusal, SubmitOutcome};
use crate::{drafts, forms_store};
use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use madoguchi_forms::{
    FieldError, FileRef, FormDefinition, PartKind, RawInput, field_id, validate,
};
use madoguchi_kernel::web::{CSRF_FIELD, page_with_csrf, verify_csrf};
use madoguchi_kernel::{AppError, AppResult, Applicant, Ctx, Lang, now_ms};
use serde::Deserialize;
use serde_json::Value;

#[derive(Template)]
#[template(path = "form.html")]
struct FormPage<'a> {
    tenant_name: &'a str,
    /// For the navigation (empty in the builder's preview: no navigation).
    tenant_code: &'a str,
    def: &'a FormDefinition,
    ui: &'static Ui,
    w: &'static Words,
    languages: Vec<LangLink>,
    /// Shown in the builder's preview frames: never submitted.
    preview: bool,
    errors: Vec<FieldError>,
    notice: String,
    action: String,
    csrf: String,
    draft: String,
    fields: String,
    applicant: String,
}

#[derive(Template)]
#[template(path = "confirm.html")]
struct ConfirmPage<'a> {
    tenant_name: &'a str,
    tenant_code: &'a str,
    def: &'a FormDefinition,
    ui: &'static Ui,
    w: &'static Words,
    rows: Vec<AnswerRow>,
    file_base: String,
    submit_action: String,
    back: String,
    csrf: String,
    draft: String,
}

#[derive(Template)]
#[template(path = "done.html")]
struct DonePage<'a> {
    tenant_name: &'a str,
    ui: &'static Ui,
    w: &'static Words,
    tenant_code: &'a str,
    title: &'a str,
    receipt: &'a str,
    signed_in: bool,
}

#[derive(Template)]
#[template(path = "message.html")]
struct MessagePage<'a> {
    tenant_name: &'a str,
    tenant_code: &'a str,
    w: &'static Words,
    heading: &'a str,
    message: &'a str,
    back: String,
    back_text: &'static str,
}

#[derive(Template)]
#[template(path = "tenant_forms.html")]
struct TenantFormsPage<'a> {
    tenant_name: &'a str,
    tenant_code: &'a str,
    forms: Vec<(String, String, String)>,
}

fn form_url(form: &PublishedForm) -> String {
    format!("/t/{}/forms/{}", form.tenant.code, form.slug)
}

fn message(
    form: &PublishedForm,
    lang: Lang,
    status: StatusCode,
    heading: &str,
    text: &str,
) -> AppResult<Response> {
    let w = words(lang);
    let page = MessagePage {
        tenant_name: &form.tenant.name,
        tenant_code: &form.tenant.code,
        w,
        heading,
        message: text,
        back: format!("/t/{}", form.tenant.code),
        back_text: w.back[0],
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// The page saying that the form takes no submissions now, in the resident's language.
fn closed(
    form: &PublishedForm,
    lang: Lang,
    status: StatusCode,
    reason: crate::forms_store::Closed,
) -> AppResult<Response> {
    message(form, lang, status, reason.heading(lang), &reason.text(lang))
}

/// The resident's language for a form's pages (`?lang=` first, then the cookie); Japanese when the form has no
/// translation into it.
fn page_lang(headers: &HeaderMap, query: Option<&str>, form: &PublishedForm) -> Lang {
    Lang::from_code(&resident_lang(headers, query, &form.definition))
}

/// The tenant's list of forms.
pub async fn tenant_forms(
    State(ctx): State<Ctx>,
    Path(code): Path<String>,
) -> AppResult<Html<String>> {
    let tenant = madoguchi_kernel::tenants::find_tenant_by_code(&ctx.db, &code)
        .await?
        .ok_or(AppError::NotFound)?;
    let forms = forms_store::public_forms(&ctx.db, tenant.id).await?;
    Ok(Html(
        TenantFormsPage {
            tenant_name: &tenant.name,
            tenant_code: &tenant.code,
            forms,
        }
        .render()?,
    ))
}

/// Query of form pages: the draft to resume.
#[derive(Deserialize)]
pub struct DraftQuery {
    /// Draft token.
    #[serde(default)]
    d: Option<String>,
    /// Language to show the form in (`ja`, `en`, `ja-easy`).
    #[serde(default)]
    lang: Option<String>,
    /// `profile`: fill in the signed-in applicant's profile.
    #[serde(default)]
    prefill: Option<String>,
}

/// The page telling an applicant to sign in (or verify their identity) before using a form.
fn sign_in_required(
    form: &PublishedForm,
    lang: Lang,
    reason: applicant_forms::Requirement,
) -> AppResult<Response> {
    let w = words(lang);
    let page = MessagePage {
        tenant_name: &form.tenant.name,
        tenant_code: &form.tenant.code,
        w,
        heading: reason.heading(lang),
        message: reason.text(lang),
        back: format!("/mypage/login?next={}", form_url(form)),
        back_text: w.back[1],
    };
    Ok((StatusCode::UNAUTHORIZED, Html(page.render()?)).into_response())
}

/// What the input page shows besides the form itself.
struct Entry<'a> {
    raw: &'a RawInput,
    errors: Vec<FieldError>,
    draft: &'a str,
    notice: String,
    /// The resident's language ("" for Japanese).
    lang: &'a str,
    /// The signed-in applicant's fields locked to verified values, and what to say above the form.
    locked: Vec<(String, String)>,
    block: ApplicantBlock,
    /// A message beside one field, which gets the focus (what 住所を検索 filled in).
    note: Option<FieldNote>,
}

fn render_form(
    ctx: &Ctx,
    headers: &HeaderMap,
    form: &PublishedForm,
    entry: Entry<'_>,
    status: StatusCode,
) -> AppResult<Response> {
    page_with_csrf(headers, ctx.config.secure_cookies(), status, |csrf| {
        let ui = ui(entry.lang);
        let shown = localized(&form.definition, entry.lang);
        let fields = if entry.lang.is_empty()
            && entry.errors.is_empty()
            && entry.note.is_none()
            && *entry.raw == RawInput::default()
        {
            render_empty_fields(ctx.db.instance, form.version_id, &form.definition).to_string()
        } else {
            let lang = Lang::from_code(entry.lang);
            localize_fields_html(
                render_fields_in(&shown, entry.raw, &entry.errors, lang, entry.note.as_ref()),
                ui,
            )
        };
        let block = ApplicantBlock {
            csrf: csrf.clone(),
            draft: entry.draft.to_string(),
            resume_action: format!("{}/resume-link", form_url(form)),
            locked: !entry.locked.is_empty(),
            lang: Lang::from_code(entry.lang),
            ..entry.block
        };
        let page = FormPage {
            tenant_name: &form.tenant.name,
            tenant_code: &form.tenant.code,
            def: &shown,
            ui,
            w: words(Lang::from_code(entry.lang)),
            languages: switch(&form.definition, entry.lang),
            preview: false,
            fields: applicant_forms::lock_inputs(&fields, &entry.locked),
            applicant: block.html(),
            errors: entry.errors,
            notice: entry.notice,
            action: form_url(form),
            csrf,
            draft: entry.draft.to_string(),
        };
        Ok(page.render()?)
    })
}

/// GET the input page (empty, or resuming a draft); a signed-in applicant gets verified answers locked and may
/// ask for their profile to be filled in.
pub async fn show_form(
    State(ctx): State<Ctx>,
    applicant: Option<Applicant>,
    Path((code, slug)): Path<(String, String)>,
    Query(q): Query<DraftQuery>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let form = forms_store::find_published_recent(&ctx.db, &code, &slug).await?;
    let shown_lang = page_lang(&headers, q.lang.as_deref(), &form);
    if let Some(reason) = form.closed_reason(now_ms()) {
        return closed(&form, shown_lang, StatusCode::OK, reason);
    }
    if let Some(reason) = applicant_forms::requirement_unmet(&form.definition, applicant.as_ref()) {
        return sign_in_required(&form, shown_lang, reason);
    }
    let (mut raw, draft) = match q.d.as_deref() {
        Some(d) => match drafts::load(&ctx.db, d).await? {
            Some((_, raw)) => (raw, d.to_string()),
            None => (RawInput::default(), String::new()),
        },
        None => (RawInput::default(), String::new()),
    };
    let mut block = ApplicantBlock::default();
    if let Some(a) = &applicant {
        block.signed_in = true;
        if !draft.is_empty() {
            drafts::claim(&ctx.db, &draft, a.id).await?;
        }
        let profile = applicant_forms::profile_fields(&form.definition, a);
        if q.prefill.as_deref() == Some("profile") {
            applicant_forms::apply(&mut raw, &profile);
        } else {
            if !profile.is_empty() {
                block.profile_link = format!("{}?prefill=profile", form_url(&form));
            }
            // The mail address and name without asking, where nothing was typed or saved yet.
            block.prefilled = applicant_forms::apply_missing(
                &mut raw,
                &applicant_forms::first_load_fields(&form.definition, a),
            );
        }
    }
    let locked = applicant_forms::locked_fields(&form.definition, applicant.as_ref());
    applicant_forms::apply(&mut raw, &locked);
    let lang = resident_lang(&headers, q.lang.as_deref(), &form.definition);
    let mut resp = render_form(
        &ctx,
        &headers,
        &form,
        Entry {
            raw: &raw,
            errors: Vec::new(),
            draft: &draft,
            notice: String::new(),
            lang: &lang,
            locked,
            block,
            note: None,
        },
        StatusCode::OK,
    )?;
    if q.lang.is_some() {
        // Remembered for the confirmation and completion pages.
        resp.headers_mut().append(
            axum::http::header::SET_COOKIE,
            madoguchi_kernel::web::set_cookie(
                LANG_COOKIE,
                if lang.is_empty() { "ja" } else { &lang },
                60 * 60 * 24 * 365,
                ctx.config.secure_cookies(),
            ),
        );
    }
    Ok(resp)
}

/// What the input page (or my page's correction page) posted.
pub struct Posted {
    /// The `_csrf` field.
    pub csrf: String,
    /// The `_draft` token.
    pub draft: String,
    /// The `_action` button pressed.
    pub action: String,
    /// Text values by field name.
    pub raw: RawInput,
    /// Files, not yet checked or stored.
    pub uploads: Vec<Upload>,
}

/// Reads the input page's multipart body, refusing as soon as it passes a bound: the form's attachment total
/// (`max_file_bytes`, counted while the files arrive, so a large body is never held whole), and the field,
/// value and text bounds of [`madoguchi_forms::limits`].
pub async fn read_multipart(mut mp: Multipart, max_file_bytes: u64) -> AppResult<Posted> {
    let mut p = Posted {
        csrf: String::new(),
        draft: String::new(),
        action: "confirm".into(),
        raw: RawInput::default(),
        uploads: Vec::new(),
    };
    let too_large = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::TooLarge(
                "送信されたデータが大きすぎます。添付ファイルの大きさを確認してください。".into(),
            )
        } else {
            AppError::BadRequest("送信内容を読み取れませんでした。もう一度お試しください。".into())
        }
    };
    let mut budget = madoguchi_forms::limits::InputBudget::default();
    let mut file_bytes: u64 = 0;
    while let Some(mut field) = mp.next_field().await.map_err(too_large)? {
        let name = field.name().unwrap_or("").to_string();
        if let Some(file_name) = field.file_name().map(String::from) {
            // Spooled (a temporary file past a few hundred KB), so eight residents sending 10 MB each do
            // not hold 80 MB of memory.
            let mut spool = madoguchi_kernel::storage::Spooler::new();
            while let Some(chunk) = field.chunk().await.map_err(too_large)? {
                file_bytes += chunk.len() as u64;
                if file_bytes > max_file_bytes {
                    return Err(AppError::TooLarge(format!(
                        "添付ファイルの合計が上限（{}）を超えます。",
                        crate::attachments::human_size(max_file_bytes)
                    )));
                }
                spool
                    .push(&chunk)
                    .await
                    .map_err(|e| AppError::Internal(e.into()))?;
            }
            if !file_name.is_empty() && !spool.is_empty() {
                budget.file().map_err(|e| AppError::TooLarge(e.0))?;
                p.uploads.push(Upload {
                    field: name,
                    file_name,
                    body: spool
                        .finish()
                        .await
                        .map_err(|e| AppError::Internal(e.into()))?,
                });
            }
            continue;
        }
        // Text is read in chunks too, so one huge value is refused without being held.
        let mut text = Vec::new();
        while let Some(chunk) = field.chunk().await.map_err(too_large)? {
            if text.len() + chunk.len() > madoguchi_forms::limits::MAX_VALUE_BYTES {
                return Err(AppError::TooLarge(format!(
                    "「{}」の入力が長すぎます。",
                    name.chars().take(40).collect::<String>()
                )));
            }
            text.extend_from_slice(&chunk);
        }
        let text = String::from_utf8(text).map_err(|_| {
            AppError::BadRequest(
                "文字コードが正しくない入力があります（UTF-8で送信してください）。".into(),
            )
        })?;
        match name.as_str() {
            CSRF_FIELD => p.csrf = text,
            "_draft" => p.draft = text,
            "_action" => p.action = text,
            "" => {}
            _ => {
                budget
                    .text(&name, &text, p.raw.values(&name).len())
                    .map_err(|e| AppError::TooLarge(e.0))?;
                p.raw.push(name, text)
            }
        }
    }
    Ok(p)
}

/// Finds the part a (possibly group-item) field name belongs to.
pub(crate) fn part_kind_of<'a>(
    def: &'a FormDefinition,
    field: &str,
) -> Option<(&'a PartKind, &'a str)> {
    let mut parts = &def.parts;
    let mut rest = field;
    loop {
        let (head, tail) = match rest.find('[') {
            Some(i) => (&rest[..i], Some(&rest[i..])),
            None => (rest, None),
        };
        let part = parts.iter().find(|p| p.key == head)?;
        match (tail, &part.kind) {
            (None, kind) => return Some((kind, part.label.as_str())),
            (
                Some(t),
                PartKind::Group {
                    parts: children, ..
                },
            ) => {
                let after = t.split_once("].")?.1;
                parts = children;
                rest = after;
            }
            _ => return None,
        }
    }
}

fn total_attached(raw: &RawInput) -> u64 {
    raw.files.values().flatten().map(|f| f.size).sum()
}

/// Applies `renumber` to the keys under `prefix` (dropping those it maps to `None`), keeping the others.
fn renumbered<V>(
    map: std::collections::BTreeMap<String, V>,
    prefix: &str,
    renumber: &impl Fn(&str) -> Option<String>,
) -> std::collections::BTreeMap<String, V> {
    map.into_iter()
        .filter_map(|(k, v)| {
            if k.starts_with(prefix) {
                renumber(&k).map(|nk| (nk, v))
            } else {
                Some((k, v))
            }
        })
        .collect()
}

/// Shifts group items down after removing item `i`.
pub(crate) fn remove_group_item(raw: &mut RawInput, group: &str, index: usize) {
    let count = raw.group_items(group);
    let prefix = format!("{group}[");
    let renumber = |key: &str| -> Option<String> {
        let rest = key.strip_prefix(&prefix)?;
        let (n, tail) = rest.split_once(']')?;
        let n: usize = n.parse().ok()?;
        match n.cmp(&index) {
            std::cmp::Ordering::Less => Some(key.to_string()),
            std::cmp::Ordering::Equal => None,
            std::cmp::Ordering::Greater => Some(format!("{prefix}{}]{tail}", n - 1)),
        }
    };
    raw.fields = renumbered(std::mem::take(&mut raw.fields), &prefix, &renumber);
    raw.files = renumbered(std::mem::take(&mut raw.files), &prefix, &renumber);
    raw.set(
        format!("{group}.items"),
        count.saturating_sub(1).to_string(),
    );
}

/// POST from the input page: store uploads, apply add/remove actions, or validate and go to confirmation.
pub async fn post_form(
    State(crate::AppState { ctx, postal, .. }): State<crate::AppState>,
    _quota: crate::limits::FormPostQuota,
    client: madoguchi_kernel::client::ClientAddr,
    applicant: Option<Applicant>,
    Path((code, slug)): Path<(String, String)>,
    headers: HeaderMap,
    mp: Multipart,
) -> AppResult<Response> {
    // The form first, so that its attachment limit bounds the reading of the body.
    let form = find_published(&ctx.db, &code, &slug).await?;
    let posted = read_multipart(mp, form.definition.attachments.max_total_bytes).await?;
    verify_csrf(&headers, &posted.csrf)?;
    crate::limits::charge_uploads(&ctx, &client, &posted.uploads).await?;
    let def = &form.definition;
    let lang = resident_lang(&headers, None, def);
    let shown_lang = Lang::from_code(&lang);
    let w = words(shown_lang);
    if let Some(reason) = form.closed_reason(now_ms()) {
        return closed(&form, shown_lang, StatusCode::CONFLICT, reason);
    }
    if let Some(reason) = applicant_forms::requirement_unmet(&form.definition, applicant.as_ref()) {
        return sign_in_required(&form, shown_lang, reason);
    }
    let locked = applicant_forms::locked_fields(def, applicant.as_ref());
    let mut raw = posted.raw;
    applicant_forms::apply(&mut raw, &locked);
    // Files stay with the draft: a browser cannot send them again after an error.
    let mut draft_token = None;
    if !posted.draft.is_empty()
        && let Some((_, prev)) = drafts::load(&ctx.db, &posted.draft).await?
    {
        raw.files = prev.files;
        draft_token = Some(posted.draft.clone());
    }
    let mut notice = String::new();
    if let Some(rest) = posted.action.strip_prefix("remove_file:")
        && let Some((field, id)) = rest.rsplit_once(':')
        && let Some(list) = raw.files.get_mut(field)
    {
        list.retain(|f| f.id != id);
        notice = w.notices[0].into();
    }
    let mut upload_errors = Vec::new();
    // Refusals name the parts as the resident reads them.
    let shown_def = localized(def, &lang);
    for upload in posted.uploads {
        let Some((kind, _)) = part_kind_of(def, &upload.field) else {
            continue;
        };
        let label = part_kind_of(&shown_def, &upload.field)
            .map(|(_, l)| l)
            .unwrap_or_default();
        let photo = matches!(kind, PartKind::Photo);
        if !matches!(kind, PartKind::File { .. } | PartKind::Photo) {
            continue;
        }
        let field = upload.field.clone();
        match store_upload(
            &ctx,
            &def.attachments,
            total_attached(&raw),
            upload,
            photo,
            (label, shown_lang),
        )
        .await
        {
            Ok(file) => {
                let list = raw.files.entry(field).or_default();
                if photo {
                    list.clear();
                }
                list.push(file);
            }
            Err(AppError::BadRequest(m) | AppError::TooLarge(m) | AppError::Unavailable(m)) => {
                upload_errors.push(FieldError {
                    anchor: field_id(&field),
                    field,
                    message: m,
                })
            }
            Err(e) => return Err(e),
        }
    }
    // 住所を検索 without JavaScript: fills the address from the postal code and shows the form again (no other
    // field is checked; this is not a submission).
    let mut note = None;
    if let Some(field) = posted.action.strip_prefix("postal:") {
        let shown = localized(def, &lang);
        match crate::postal::fill_address(postal.as_ref(), &shown, &mut raw, field, shown_lang)
            .await?
        {
            Some(crate::postal::Filled::Note(n)) => note = Some(n),
            Some(crate::postal::Filled::Problem(e)) => upload_errors.push(e),
            None => {}
        }
    }
    if let Some(group) = posted.action.strip_prefix("add:") {
        let n = raw.group_items(group);
        raw.set(format!("{group}.items"), (n + 1).max(1).to_string());
        notice = w.notices[1].into();
    } else if let Some(rest) = posted.action.strip_prefix("remove:")
        && let Some((group, i)) = rest.rsplit_once(':')
        && let Ok(i) = i.parse::<usize>()
    {
        remove_group_item(&mut raw, group, i);
        notice = w.notices[2].into();
    }
    let token = drafts::save(
        &ctx.db,
        draft_token.as_deref(),
        form.version_id,
        &raw,
        ctx.config.draft_hours,
    )
    .await?;
    let mut block = ApplicantBlock {
        signed_in: applicant.is_some(),
        ..Default::default()
    };
    if posted.action == "save" {
        let kept = drafts::keep(&ctx.db, &token, applicant.as_ref().map(|a| a.id)).await?;
        block.saved_until =
            madoguchi_kernel::time::display_datetime_in(kept.expires_at, shown_lang);
    }
    if posted.action != "confirm" {
        return render_form(
            &ctx,
            &headers,
            &form,
            Entry {
                raw: &raw,
                errors: upload_errors,
                draft: &token,
                notice,
                lang: &lang,
                locked,
                block,
                note,
            },
            StatusCode::OK,
        );
    }
    let mut errors = upload_errors;
    // The policy that the final submission applies; the messages are in the resident's language.
    match crate::submissions::admit(
        &form,
        Lang::from_code(&lang),
        &mut raw,
        applicant.as_ref(),
        Channel::WebForm,
        now_ms(),
    ) {
        Ok(_) => {}
        Err(Refusal::Invalid(mut e)) => errors.append(&mut e),
        Err(Refusal::Closed(reason)) => {
            return closed(&form, shown_lang, StatusCode::CONFLICT, reason);
        }
        Err(Refusal::SignInRequired(reason)) => {
            return sign_in_required(&form, shown_lang, reason);
        }
        Err(Refusal::FilesNotAccepted) => {
            return Err(AppError::BadRequest(Refusal::FilesNotAccepted.message()));
        }
    }
    if !errors.is_empty() {
        return render_form(
            &ctx,
            &headers,
            &form,
            Entry {
                raw: &raw,
                errors,
                draft: &token,
                notice: String::new(),
                lang: &lang,
                locked,
                block,
                note: None,
            },
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    Ok(Redirect::to(&format!("{}/confirm?d={token}", form_url(&form))).into_response())
}

/// GET the confirmation page for a draft.
pub async fn show_confirm(
    State(ctx): State<Ctx>,
    Path((code, slug)): Path<(String, String)>,
    Query(q): Query<DraftQuery>,
    headers: HeaderMap,
) -> AppResult<Response> {
    let form = find_published(&ctx.db, &code, &slug).await?;
    let Some(token) = q.d else {
        return Ok(Redirect::to(&form_url(&form)).into_response());
    };
    let Some((version_id, raw)) = drafts::load(&ctx.db, &token).await? else {
        let lang = page_lang(&headers, None, &form);
        let w = words(lang);
        return message(&form, lang, StatusCode::GONE, w.expired[0], w.expired[1]);
    };
    let back = format!("{}?d={token}", form_url(&form));
    let answers = match (version_id == form.version_id).then(|| validate(&form.definition, &raw)) {
        Some(Ok(a)) => a,
        _ => return Ok(Redirect::to(&back).into_response()),
    };
    page_with_csrf(
        &headers,
        ctx.config.secure_cookies(),
        StatusCode::OK,
        |csrf| {
            let lang = resident_lang(&headers, None, &form.definition);
            let shown = localized(&form.definition, &lang);
            let page = ConfirmPage {
                tenant_name: &form.tenant.name,
                tenant_code: &form.tenant.code,
                def: &shown,
                ui: ui(&lang),
                w: words(Lang::from_code(&lang)),
                rows: answer_rows_in(&shown, &answers, Lang::from_code(&lang)),
                file_base: String::new(),
                submit_action: format!("{}/submit", form_url(&form)),
                back,
                csrf,
                draft: token,
            };
            Ok(page.render()?)
        },
    )
}

/// The submit form's fields.
#[derive(Deserialize)]
pub struct SubmitForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(rename = "_draft", default)]
    draft: String,
}

/// Every stored file referenced from answers.
pub fn attachment_ids(answers: &serde_json::Map<String, Value>) -> Vec<String> {
    fn walk(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                if let Ok(f) = serde_json::from_value::<FileRef>(v.clone()) {
                    out.push(f.id);
                    return;
                }
                m.values().for_each(|x| walk(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    answers.values().for_each(|v| walk(v, &mut out));
    out
}

/// POST submit: store the submission through the one submission policy and show the receipt number.
pub async fn submit(
    State(ctx): State<Ctx>,
    State(committer): State<crate::submissions::Committer>,
    _quota: crate::limits::FormPostQuota,
    applicant: Option<Applicant>,
    Path((code, slug)): Path<(String, String)>,
    headers: HeaderMap,
    axum::Form(f): axum::Form<SubmitForm>,
) -> AppResult<Response> {
    verify_csrf(&headers, &f.csrf)?;
    let form = find_published(&ctx.db, &code, &slug).await?;
    let lang = page_lang(&headers, None, &form);
    let w = words(lang);
    let already_sent = |form: &PublishedForm| {
        message(
            form,
            lang,
            StatusCode::GONE,
            w.already_sent[0],
            w.already_sent[1],
        )
    };
    // Said before anything is read, as on the input page; the policy below checks it again with the answers.
    if let Some(reason) = applicant_forms::requirement_unmet(&form.definition, applicant.as_ref()) {
        return sign_in_required(&form, lang, reason);
    }
    let Some((version_id, raw)) = drafts::load(&ctx.db, &f.draft).await? else {
        return already_sent(&form);
    };
    let back = format!("{}?d={}", form_url(&form), f.draft);
    if version_id != form.version_id {
        return Ok(Redirect::to(&back).into_response());
    }
    let outcome = crate::submissions::submit(
        &committer,
        &form,
        raw,
        applicant.as_ref(),
        Channel::WebForm,
        Some(&f.draft),
        lang,
    )
    .await?;
    ctx.jobs_wake.notify_one();
    match outcome {
        SubmitOutcome::Accepted { receipt_number } => {
            Ok(Redirect::to(&format!("{}/done/{receipt_number}", form_url(&form))).into_response())
        }
        SubmitOutcome::Full => message(&form, lang, StatusCode::CONFLICT, w.full[0], w.full[1]),
        SubmitOutcome::AlreadySubmitted => already_sent(&form),
        SubmitOutcome::Refused(Refusal::Closed(reason)) => {
            closed(&form, lang, StatusCode::CONFLICT, reason)
        }
        SubmitOutcome::Refused(Refusal::SignInRequired(reason)) => {
            sign_in_required(&form, lang, reason)
        }
        // Published between the load above and the write, or answers that no longer pass: back to the form,
        // which shows what to change.
        SubmitOutcome::FormChanged
        | SubmitOutcome::Refused(Refusal::Invalid(_) | Refusal::FilesNotAccepted) => {
            Ok(Redirect::to(&back).into_response())
        }
    }
}

/// GET the completion page.
pub async fn done(
    State(ctx): State<Ctx>,
    applicant: Option<Applicant>,
    Path((code, slug, receipt)): Path<(String, String, String)>,
    headers: HeaderMap,
) -> AppResult<Html<String>> {
    let form = find_published(&ctx.db, &code, &slug).await?;
    if !crate::submissions::exists_receipt(&ctx.db, form.form_id, &receipt).await? {
        return Err(AppError::NotFound);
    }
    let lang = resident_lang(&headers, None, &form.definition);
    Ok(Html(
        DonePage {
            tenant_name: &form.tenant.name,
            ui: ui(&lang),
            w: words(Lang::from_code(&lang)),
            tenant_code: &form.tenant.code,
            title: &localized(&form.definition, &lang).title,
            receipt: &receipt,
            signed_in: applicant.is_some(),
        }
        .render()?,
    ))
}

/// What the builder's preview shows.
pub(crate) struct Preview<'a> {
    pub(crate) tenant_name: &'a str,
    pub(crate) def: &'a FormDefinition,
    pub(crate) lang: &'a str,
    pub(crate) raw: &'a RawInput,
    pub(crate) errors: Vec<FieldError>,
    pub(crate) notice: String,
    pub(crate) action: String,
}

/// The form page exactly as residents see it, from a definition that is not published yet (the builder's
/// preview); its form posts back to the preview.
pub(crate) fn render_preview(
    ctx: &Ctx,
    headers: &HeaderMap,
    p: Preview<'_>,
    status: StatusCode,
) -> AppResult<Response> {
    page_with_csrf(headers, ctx.config.secure_cookies(), status, |csrf| {
        let ui = ui(p.lang);
        let shown = localized(p.def, p.lang);
        let lang = Lang::from_code(p.lang);
        Ok(FormPage {
            tenant_name: p.tenant_name,
            tenant_code: "",
            def: &shown,
            ui,
            w: words(lang),
            languages: Vec::new(),
            preview: true,
            applicant: String::new(),
            fields: localize_fields_html(
                render_fields_in(&shown, p.raw, &p.errors, lang, None),
                ui,
            ),
            errors: p.errors,
            notice: p.notice,
            action: p.action,
            csrf,
            draft: String::new(),
        }
        .render()?)
    })
}
