//! The no-code form builder (フォーム作成): staff make a procedure online by picking parts from a palette,
//! setting each part's label, help, rules, choices and conditions, reordering them (drag and drop with
//! JavaScript, 上へ/下へ buttons without), and publishing. A live preview shows the form exactly as residents
//! will see it, in a phone-sized and a desktop frame. Nothing is published until 公開する: edits go to a
//! working copy (`store`), and publishing makes a new immutable version through `forms_store::publish`, which
//! refuses what cannot work (broken conditions, choice parts without choices, duplicate keys, a capacity
//! below the submissions already received, invalid patterns).
//!
//! - `store`: the working copies; `part_form`: one part's edit form as data; `translations`: the
//!   English / やさしい日本語 texts of a form.

pub mod part_form;
pub mod store;
pub mod translations;

use crate::forms_store::{self, PublishError};
use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use madoguchi_forms::edit::{self, PALETTE, PartPath};
use madoguchi_forms::{FormDefinition, PartKind, check_definition};
use madoguchi_kernel::tenants::{Department, list_departments};
use madoguchi_kernel::web::{CSRF_FIELD, page_with_csrf, verify_csrf};
use madoguchi_kernel::{AppError, AppResult, Ctx, Role, StaffScope, audit};
use part_form::{FieldProblem, Setting};
use serde::Deserialize;
use std::collections::HashMap;
use store::{SaveError, WorkingCopy};

/// The URL of a working copy's builder page.
pub fn builder_url(id: i64) -> String {
    format!("/staff/builder/{id}")
}

fn encode(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, percent_encoding::NON_ALPHANUMERIC).to_string()
}

pub(crate) async fn editable_departments(
    ctx: &Ctx,
    scope: &StaffScope,
) -> Result<Vec<Department>, AppError> {
    Ok(list_departments(&ctx.db, scope.tenant_id)
        .await?
        .into_iter()
        .filter(|d| scope.can_edit_forms_of(d.id))
        .collect())
}

/// Loads a working copy the caller may edit: an editor only for their own departments.
async fn editable(ctx: &Ctx, scope: &StaffScope, id: i64) -> Result<WorkingCopy, AppError> {
    scope.require(&[Role::Admin, Role::Editor])?;
    let copy = store::find(&ctx.db, scope, id).await?;
    let departments = editable_departments(ctx, scope).await?;
    if scope.role == Role::Editor
        && !departments
            .iter()
            .any(|d| d.code == copy.definition.department)
    {
        return Err(AppError::Forbidden);
    }
    Ok(copy)
}

// ---------------------------------------------------------------------------------------------------
// Starting: a new form, or editing a published one

#[derive(Template)]
#[template(path = "builder_new.html")]
struct NewPage<'a> {
    scope: &'a StaffScope,
    csrf: String,
    departments: Vec<Department>,
    editing: Vec<WorkingCopy>,
    title: String,
    slug: String,
    department: String,
    errors: Vec<(String, String)>,
}

/// GET `/staff/builder/new`: start a form from scratch (and the list of forms being edited).
pub async fn new_page(
    State(ctx): State<Ctx>,
    scope: StaffScope,
    headers: HeaderMap,
) -> AppResult<Response> {
    scope.require(&[Role::Admin, Role::Editor])?;
    new_page_with(&ctx, &scope, &headers, NewForm::default(), Vec::new()).await
}

async fn new_page_with(
    ctx: &Ctx,
    scope: &StaffScope,
    headers: &HeaderMap,
    f: NewForm,
    errors: Vec<(String, String)>,
) -> AppResult<Response> {
    let departments = editable_departments(ctx, scope).await?;
    let editing = store::list(&ctx.db, scope).await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    page_with_csrf(headers, ctx.config.secure_cookies(), status, |csrf| {
        Ok(NewPage {
            scope,
            csrf,
            departments,
            editing,
            title: f.title,
            slug: f.slug,
            department: f.department,
            errors,
        }
        .render()?)
    })
}

/// The new-form fields.
#[derive(Deserialize, Default)]
pub struct NewForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    department: String,
}

/// POST `/staff/builder/new`: creates an empty working copy and opens the builder.
pub async fn new_post(
    State(ctx): State<Ctx>,
    scope: StaffScope,
    headers: HeaderMap,
    axum::Form(mut f): axum::Form<NewForm>,
) -> AppResult<Response> {
    verify_csrf(&headers, &f.csrf)?;
    scope.require(&[Role::Admin, Role::Editor])?;
    f.title = f.title.trim().to_string();
    f.slug = f.slug.trim().to_string();
    let mut errors = Vec::new();
    if f.title.is_empty() {
        errors.push(("title".into(), "タイトル: 入力してください。".into()));
    }
    if !forms_store::valid_slug(&f.slug) {
        errors.push((
            "slug".into(),
            "URL名: 半角英小文字・数字・ハイフンで64文字以内で入力してください。".into(),
        ));
    } else if forms_store::list_forms(&ctx.db, &scope)
        .await?
        .iter()
        .any(|x| x.slug == f.slug)
        || store::find_by_slug(&ctx.db, &scope, &f.slug)
            .await?
            .is_some()
    {
        errors.push((
            "slug".into(),
            format!(
                "URL名: 「{}」はすでに使われています。別の名前にしてください。",
                f.slug
            ),
        ));
    }
    let departments = editable_departments(&ctx, &scope).await?;
    if !departments.iter().any(|d| d.code == f.department) {
        errors.push(("department".into(), "担当の所属: 選択してください。".into()));
    }
    if !errors.is_empty() {
        return new_page_with(&ctx, &scope, &headers, f, errors).await;
    }
    let def = FormDefinition::from_json(
        &serde_json::json!({"title": f.title, "department": f.department, "parts": []}).to_string(),
    )
    .expect("an empty definition parses");
    match store::create(&ctx.db, &scope, None, &f.slug, &def).await? {
        Some(id) => Ok(Redirect::to(&builder_url(id)).into_response()),
        None => {
            let errors = vec![(
                "slug".into(),
                format!("URL名: 「{}」はすでに編集中です。", f.slug),
            )];
            new_page_with(&ctx, &scope, &headers, f, errors).await
        }
    }
}

/// Just the CSRF field.
#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(rename = "_csrf", default)]
    csrf: String,
}

/// POST `/staff/forms/{id}/edit`: opens the builder on a published form (its working copy, made from the
/// current version if nobody is editing it yet).
pub async fn edit_published(
    State(ctx): State<Ctx>,
    scope: StaffScope,
    headers: HeaderMap,
    Path(form_id): Path<i64>,
    axum::Form(f): axum::Form<CsrfOnly>,
) -> AppResult<Response> {
    verify_csrf(&headers, &f.csrf)?;
    scope.require(&[Role::Admin, Role::Editor])?;
    let form = forms_store::find_form(&ctx.db, &scope, form_id).await?;
    if !forms_store::FormActions::for_form(&scope, &form).edit {
        return Err(AppError::Forbidden);
    }
    if let Some(copy) = store::find_by_slug(&ctx.db, &scope, &form.slug).await? {
        return Ok(Redirect::to(&builder_url(copy.id)).into_response());
    }
    let (_, def) = forms_store::all_versions(&ctx.db, &scope, form_id)
        .await?
        .into_iter()
        .next()
        .ok_or(AppError::NotFound)?;
    let id = match store::create(&ctx.db, &scope, Some(form_id), &form.slug, &def).await? {
        Some(id) => id,
        // Someone opened it at the same moment: use theirs.
        None => {
            store::find_by_slug(&ctx.db, &scope, &form.slug)
                .await?
                .ok_or(AppError::NotFound)?
                .id
        }
    };
    Ok(Redirect::to(&builder_url(id)).into_response())
}

// ---------------------------------------------------------------------------------------------------
// The builder page

/// One part in the builder's list.
pub struct PartRow {
    /// Path (`3`, `3.1`).
    pub path: String,
    /// For element ids (`3-1`).
    pub anchor: String,
    /// Type name (`radio`).
    pub type_name: &'static str,
    /// Type in Japanese.
    pub type_label: &'static str,
    /// Label.
    pub label: String,
    /// Key.
    pub key: String,
    /// Required.
    pub required: bool,
    /// Has a display condition.
    pub conditional: bool,
    /// The edit form's settings.
    pub settings: Vec<Setting>,
    /// Problems of the last edit, by field.
    pub errors: Vec<FieldProblem>,
    /// Whether the edit form starts open.
    pub open: bool,
    /// First among its siblings (no 上へ).
    pub first: bool,
    /// Last among its siblings (no 下へ).
    pub last: bool,
    /// A repeating group: its parts' rows, already rendered.
    pub children: String,
    /// Whether it is a repeating group.
    pub is_group: bool,
    /// Index among its siblings (for drag and drop).
    pub index: usize,
}

impl PartRow {
    /// The element id of one setting's input.
    pub fn fid(&self, name: &str) -> String {
        format!("f-{}-{name}", self.anchor)
    }

    /// The problem of one field, if any.
    pub fn error(&self, name: &str) -> &str {
        self.errors
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, m)| m.as_str())
            .unwrap_or("")
    }
}

#[derive(Template)]
#[template(path = "builder_part.html")]
struct PartTemplate<'a> {
    r: &'a PartRow,
    id: i64,
    csrf: &'a str,
    rev: i64,
    palette: &'a [(&'static str, &'static str)],
}

/// An edit that failed, to show again with what was typed.
struct FailedEdit {
    path: String,
    problems: Vec<FieldProblem>,
    posted: HashMap<String, String>,
}

fn rows(
    copy: &WorkingCopy,
    parts: &[madoguchi_forms::Part],
    parent: Option<&PartPath>,
    failed: Option<&FailedEdit>,
    open: Option<&str>,
    csrf: &str,
) -> Result<Vec<PartRow>, AppError> {
    let def = &copy.definition;
    let n = parts.len();
    let mut out = Vec::with_capacity(n);
    for (i, part) in parts.iter().enumerate() {
        let path = match parent {
            None => PartPath(vec![i]),
            Some(p) => p.child(i),
        };
        let path_s = path.to_string();
        let mut settings = part_form::settings(def, &path, part);
        let mut errors = Vec::new();
        if let Some(f) = failed.filter(|f| f.path == path_s) {
            for s in &mut settings {
                s.value = f.posted.get(s.name).cloned().unwrap_or_default();
            }
            errors = f.problems.clone();
        }
        let children = match &part.kind {
            PartKind::Group { parts: kids, .. } => {
                let kid_rows = rows(copy, kids, Some(&path), failed, open, csrf)?;
                let mut html = String::new();
                for r in &kid_rows {
                    html.push_str(
                        &PartTemplate {
                            r,
                            id: copy.id,
                            csrf,
                            rev: copy.revision,
                            palette: PALETTE,
                        }
                        .render()?,
                    );
                }
                html
            }
            _ => String::new(),
        };
        out.push(PartRow {
            anchor: path_s.replace('.', "-"),
            open: !errors.is_empty() || open == Some(path_s.as_str()),
            path: path_s,
            type_name: part.kind.type_name(),
            type_label: edit::type_label(part.kind.type_name()),
            label: part.label.clone(),
            key: part.key.clone(),
            required: part.required,
            conditional: part.show_if.is_some(),
            settings,
            errors,
            first: i == 0,
            last: i + 1 == n,
            is_group: matches!(part.kind, PartKind::Group { .. }),
            children,
            index: i,
        });
    }
    Ok(out)
}

/// A problem that blocks publishing, with a link to where it is.
pub struct Problem {
    /// Anchor of the part (or settings) to fix.
    pub anchor: String,
    /// Message.
    pub message: String,
}

/// `parts[3].parts[1].show_if` → `part-3-1`; anything else → the settings.
fn problem_anchor(path: &str) -> String {
    let mut idx = Vec::new();
    let mut rest = path;
    while let Some(r) = rest
        .strip_prefix("parts[")
        .or_else(|| rest.strip_prefix(".parts["))
    {
        let Some((n, tail)) = r.split_once(']') else {
            break;
        };
        idx.push(n.to_string());
        rest = tail;
    }
    if idx.is_empty() {
        if path.starts_with("translations") {
            "translations".into()
        } else {
            "settings".into()
        }
    } else {
        format!("part-{}", idx.join("-"))
    }
}

/// The warnings of a definition with where to go about each: the settings for contact details, the palette
/// for a missing consent part, the part itself otherwise.
pub fn warning_problems(def: &FormDefinition) -> Vec<Problem> {
    madoguchi_forms::check_warnings(def)
        .into_iter()
        .map(|w| Problem {
            anchor: if w.path == "parts" {
                "palette-title".into()
            } else {
                problem_anchor(&w.path)
            },
            message: w.message,
        })
        .collect()
}

/// The form settings as the settings form shows them.
pub struct SettingsView {
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Department code.
    pub department: String,
    /// Contact: name, phone, email, hours.
    pub contact: [String; 4],
    /// Open and close, as `datetime-local` values in JST.
    pub opens_at: String,
    /// See `opens_at`.
    pub closes_at: String,
    /// Capacity.
    pub capacity: String,
    /// Attachment limit in MB.
    pub max_total_mb: String,
    /// Allowed types: (MIME type, label, ticked).
    pub types: Vec<(&'static str, &'static str, bool)>,
}

/// File types a form can accept, with their names.
const FILE_TYPES: &[(&str, &str)] = &[
    ("application/pdf", "PDF"),
    ("image/jpeg", "JPEG画像"),
    ("image/png", "PNG画像"),
    (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "Word（docx）",
    ),
    (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "Excel（xlsx）",
    ),
];

fn jst_local(t: &Option<chrono::DateTime<chrono::FixedOffset>>) -> String {
    t.map(|t| {
        t.with_timezone(&chrono::FixedOffset::east_opt(9 * 3600).expect("JST"))
            .format("%Y-%m-%dT%H:%M")
            .to_string()
    })
    .unwrap_or_default()
}

fn settings_view(def: &FormDefinition) -> SettingsView {
    SettingsView {
        title: def.title.clone(),
        description: def.description.clone(),
        department: def.department.clone(),
        contact: [
            def.contact.name.clone(),
            def.contact.phone.clone(),
            def.contact.email.clone(),
            def.contact.hours.clone(),
        ],
        opens_at: jst_local(&def.opens_at),
        closes_at: jst_local(&def.closes_at),
        capacity: def.capacity.map(|c| c.to_string()).unwrap_or_default(),
        max_total_mb: format!(
            "{}",
            def.attachments.max_total_bytes as f64 / (1024.0 * 1024.0)
        ),
        types: FILE_TYPES
            .iter()
            .map(|(t, l)| (*t, *l, def.attachments.allowed_types.iter().any(|x| x == t)))
            .collect(),
    }
}

#[derive(Template)]
#[template(path = "builder.html")]
struct BuilderPage<'a> {
    scope: &'a StaffScope,
    csrf: String,
    copy: &'a WorkingCopy,
    tenant_code: String,
    updated: String,
    parts_html: String,
    palette: &'static [(&'static str, &'static str)],
    departments: Vec<Department>,
    settings: SettingsView,
    settings_errors: Vec<(String, String)>,
    edit_errors: Vec<(String, String)>,
    problems: Vec<Problem>,
    /// What to check before publishing; publishing stays possible (`madoguchi_forms::check_warnings`).
    warnings: Vec<Problem>,
    notice: String,
    preview_lang: String,
    languages: &'static [(&'static str, &'static str)],
}

/// Query of the builder page.
#[derive(Deserialize, Default)]
pub struct PageQuery {
    #[serde(default)]
    notice: String,
    /// The part whose edit form starts open.
    #[serde(default)]
    open: String,
    /// The language of the preview.
    #[serde(default)]
    lang: String,
}

struct Shown {
    status: StatusCode,
    notice: String,
    open: String,
    lang: String,
    failed: Option<FailedEdit>,
    settings_errors: Vec<(String, String)>,
    settings_posted: Option<HashMap<String, String>>,
    extra_problems: Vec<Problem>,
}

impl Shown {
    fn ok(q: PageQuery) -> Shown {
        Shown {
            status: StatusCode::OK,
            notice: q.notice,
            open: q.open,
            lang: q.lang,
            failed: None,
            settings_errors: Vec::new(),
            settings_posted: None,
            extra_problems: Vec::new(),
        }
    }
}

async fn show(
    ctx: &Ctx,
    scope: &StaffScope,
    headers: &HeaderMap,
    copy: &WorkingCopy,
    shown: Shown,
) -> AppResult<Response> {
    let def = &copy.definition;
    let departments = editable_departments(ctx, scope).await?;
    let tenant = madoguchi_kernel::tenants::find_tenant(&ctx.db, scope.tenant_id).await?;
    let mut problems: Vec<Problem> = check_definition(def)
        .into_iter()
        .map(|e| Problem {
            anchor: problem_anchor(&e.path),
            message: e.message,
        })
        .collect();
    if !def.department.is_empty()
        && !list_departments(&ctx.db, scope.tenant_id)
            .await?
            .iter()
            .any(|d| d.code == def.department)
    {
        problems.push(Problem {
            anchor: "settings".into(),
            message: format!("担当の所属「{}」がこの団体にありません。", def.department),
        });
    }
    problems.extend(shown.extra_problems);
    let warnings = warning_problems(def);
    let mut settings = settings_view(def);
    if let Some(p) = &shown.settings_posted {
        let get = |k: &str| p.get(k).cloned().unwrap_or_default();
        settings.title = get("title");
        settings.description = get("description");
        settings.department = get("department");
        settings.contact = [
            get("contact_name"),
            get("contact_phone"),
            get("contact_email"),
            get("contact_hours"),
        ];
        settings.opens_at = get("opens_at");
        settings.closes_at = get("closes_at");
        settings.capacity = get("capacity");
        settings.max_total_mb = get("max_total_mb");
    }
    let edit_errors = shown
        .failed
        .as_ref()
        .map(|f| {
            f.problems
                .iter()
                .map(|(n, m)| (format!("f-{}-{n}", f.path.replace('.', "-")), m.clone()))
                .collect()
        })
        .unwrap_or_default();
    let open = (!shown.open.is_empty()).then_some(shown.open.as_str());
    let preview_lang = if def.translations.contains_key(&shown.lang) {
        shown.lang.clone()
    } else {
        String::new()
    };
    page_with_csrf(headers, ctx.config.secure_cookies(), shown.status, |csrf| {
        let mut parts_html = String::new();
        for r in rows(copy, &def.parts, None, shown.failed.as_ref(), open, &csrf)? {
            parts_html.push_str(
                &PartTemplate {
                    r: &r,
                    id: copy.id,
                    csrf: &csrf,
                    rev: copy.revision,
                    palette: PALETTE,
                }
                .render()?,
            );
        }
        Ok(BuilderPage {
            scope,
            csrf,
            copy,
            tenant_code: tenant.code.clone(),
            updated: madoguchi_kernel::time::display_datetime(copy.updated_at),
            parts_html,
            palette: PALETTE,
            departments,
            settings,
            settings_errors: shown.settings_errors,
            edit_errors,
            problems,
            warnings,
            notice: shown.notice,
            preview_lang,
            languages: madoguchi_forms::LANGUAGES,
        }
        .render()?)
    })
}

impl BuilderPage<'_> {
    fn has_lang(&self, code: &str) -> bool {
        self.copy.definition.translations.contains_key(code)
    }
}

/// GET `/staff/builder/{id}`: the builder.
pub async fn page(
    State(ctx): State<Ctx>,
    scope: StaffScope,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Query(q): Query<PageQuery>,
) -> AppResult<Response> {
    let copy = editable(&ctx, &scope, id).await?;
    show(&ctx, &scope, &headers, &copy, Shown::ok(q)).await
}

const STALE: &str = "ほかの職員（または別の画面）がこのフォームを先に変更しました。最新の内容を表示しています。もう一度操作してください。";

fn back(id: i64, notice: &str, open: &str) -> Response {
    let mut url = format!("{}?notice={}", builder_url(id), encode(notice));
    if !open.is_empty() {
        url.push_str(&format!("&open={open}#part-{}", open.replace('.', "-")));
    }
    Redirect::to(&url).into_response()
}

/// POST `/staff/builder/{id}`: one change (`op`): settings, add, update, up, down, delete, reorder, publish,
/// discard. Each carries the revision the page showed.
pub async fn change(
    State(ctx): State<Ctx>,
    scope: StaffScope,
    headers: HeaderMap,
    Path(id): Path<i64>,
    axum::Form(fields): axum::Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    // Check boxes and multi-valued fields: the last value wins, except `allowed_types`.
    let mut f: HashMap<String, String> = HashMap::new();
    let mut allowed_types = Vec::new();
    for (k, v) in fields {
        if k == "allowed_types" {
            allowed_types.push(v);
        } else {
            f.insert(k, v);
        }
    }
    verify_csrf(
        &headers,
        f.get(CSRF_FIELD).map(String::as_str).unwrap_or(""),
    )?;
    let copy = editable(&ctx, &scope, id).await?;
    let op = f.get("op").cloned().unwrap_or_default();
    let rev: i64 = f.get("rev").and_then(|r| r.parse().ok()).unwrap_or(-1);
    let path_s = f.get("path").cloned().unwrap_or_default();
    let path = PartPath::parse(&path_s);
    if op == "discard" {
        store::delete(&ctx.db, &scope, id).await?;
        return Ok(Redirect::to(&format!(
            "/staff/forms?notice={}",
            encode(&format!("{} の編集内容を破棄しました", copy.slug))
        ))
        .into_response());
    }
    if rev != copy.revision {
        let mut shown = Shown::ok(PageQuery::default());
        shown.status = StatusCode::CONFLICT;
        shown.extra_problems.push(Problem {
            anchor: "parts".into(),
            message: STALE.into(),
        });
        return show(&ctx, &scope, &headers, &copy, shown).await;
    }
    let mut def = copy.definition.clone();
    let (notice, open) = match op.as_str() {
        "settings" => match apply_settings(&mut def, &f, allowed_types) {
            Ok(()) => ("フォームの設定を保存しました".to_string(), String::new()),
            Err(errors) => {
                let mut shown = Shown::ok(PageQuery::default());
                shown.status = StatusCode::UNPROCESSABLE_ENTITY;
                shown.settings_errors = errors;
                shown.settings_posted = Some(f);
                return show(&ctx, &scope, &headers, &copy, shown).await;
            }
        },
        "add" => {
            let t = f.get("type").cloned().unwrap_or_default();
            let Some(part) = edit::new_part(&def, &t) else {
                return Err(AppError::BadRequest(
                    "追加する部品の種類を選んでください。".into(),
                ));
            };
            let into = f.get("into").and_then(|g| PartPath::parse(g));
            match edit::append_part(&mut def, into.as_ref(), part) {
                Ok(p) => (
                    format!(
                        "「{}」を追加しました。項目名などを設定してください",
                        edit::type_label(&t)
                    ),
                    p.to_string(),
                ),
                Err(m) => return Err(AppError::BadRequest(m)),
            }
        }
        "update" => {
            let path = path.ok_or(AppError::NotFound)?;
            match part_form::apply(&def, &path, &f) {
                Ok(part) => {
                    let old_key = edit::translation_key(&def, &path).ok_or(AppError::NotFound)?;
                    let label = part.label.clone();
                    *edit::part_at_mut(&mut def, &path).ok_or(AppError::NotFound)? = part;
                    let new_key = edit::translation_key(&def, &path).ok_or(AppError::NotFound)?;
                    if old_key != new_key {
                        edit::rename_in_translations(&mut def, &old_key, &new_key);
                    }
                    (format!("「{label}」を保存しました"), path.to_string())
                }
                Err(problems) => {
                    let mut shown = Shown::ok(PageQuery::default());
                    shown.status = StatusCode::UNPROCESSABLE_ENTITY;
                    shown.failed = Some(FailedEdit {
                        path: path.to_string(),
                        problems,
                        posted: f,
                    });
                    return show(&ctx, &scope, &headers, &copy, shown).await;
                }
            }
        }
        "up" | "down" => {
            let path = path.ok_or(AppError::NotFound)?;
            let label = edit::part_at(&def, &path)
                .map(|p| p.label.clone())
                .ok_or(AppError::NotFound)?;
            if !edit::move_part(&mut def, &path, op == "up") {
                return Err(AppError::BadRequest("これ以上移動できません。".into()));
            }
            let mut moved = path.0.clone();
            let last = moved.len() - 1;
            moved[last] = if op == "up" {
                moved[last] - 1
            } else {
                moved[last] + 1
            };
            (
                format!(
                    "「{label}」を{}へ移動しました",
                    if op == "up" { "上" } else { "下" }
                ),
                PartPath(moved).to_string(),
            )
        }
        "delete" => {
            let path = path.ok_or(AppError::NotFound)?;
            let part = edit::remove_part(&mut def, &path).ok_or(AppError::NotFound)?;
            (format!("「{}」を削除しました", part.label), String::new())
        }
        "reorder" => {
            let parent = f.get("parent").and_then(|p| PartPath::parse(p));
            let order: Result<Vec<usize>, _> = f
                .get("order")
                .map(String::as_str)
                .unwrap_or("")
                .split(',')
                .map(|n| n.trim().parse())
                .collect();
            let order =
                order.map_err(|_| AppError::BadRequest("並び順を読み取れません。".into()))?;
            edit::reorder(&mut def, parent.as_ref(), &order).map_err(AppError::BadRequest)?;
            ("部品を並べ替えました".to_string(), String::new())
        }
        "publish" => return publish(&ctx, &scope, &headers, &copy).await,
        _ => return Err(AppError::BadRequest("操作を読み取れません。".into())),
    };
    edit::prune_translations(&mut def);
    match store::save(&ctx.db, &scope, id, rev, &def).await {
        Ok(_) => Ok(back(id, &notice, &open)),
        Err(SaveError::Stale) => {
            let copy = store::find(&ctx.db, &scope, id).await?;
            let mut shown = Shown::ok(PageQuery::default());
            shown.status = StatusCode::CONFLICT;
            shown.extra_problems.push(Problem {
                anchor: "parts".into(),
                message: STALE.into(),
            });
            show(&ctx, &scope, &headers, &copy, shown).await
        }
        Err(SaveError::App(e)) => Err(e),
    }
}

fn apply_settings(
    def: &mut FormDefinition,
    f: &HashMap<String, String>,
    allowed_types: Vec<String>,
) -> Result<(), Vec<(String, String)>> {
    let get = |k: &str| f.get(k).map(|s| s.trim().to_string()).unwrap_or_default();
    let mut e: Vec<(String, String)> = Vec::new();
    let title = get("title");
    if title.is_empty() {
        e.push(("s-title".into(), "タイトル: 入力してください。".into()));
    }
    def.title = title;
    def.description = f
        .get("description")
        .map(|s| s.trim_end().to_string())
        .unwrap_or_default();
    def.department = get("department");
    def.contact.name = get("contact_name");
    def.contact.phone = get("contact_phone");
    def.contact.email = get("contact_email");
    def.contact.hours = get("contact_hours");
    let jst = chrono::FixedOffset::east_opt(9 * 3600).expect("JST");
    for (name, label, slot) in [
        ("opens_at", "受付開始", &mut def.opens_at),
        ("closes_at", "受付終了", &mut def.closes_at),
    ] {
        let v = get(name);
        *slot = if v.is_empty() {
            None
        } else {
            match chrono::NaiveDateTime::parse_from_str(&v, "%Y-%m-%dT%H:%M") {
                Ok(t) => t.and_local_timezone(jst).single(),
                Err(_) => {
                    e.push((
                        format!("s-{name}"),
                        format!("{label}: 2026-04-01T09:00 の形で入力してください。"),
                    ));
                    None
                }
            }
        };
    }
    let cap = madoguchi_japanese::digits::to_ascii_digits(&get("capacity"));
    def.capacity = if cap.is_empty() {
        None
    } else {
        match cap.parse::<u32>() {
            Ok(n) if n > 0 => Some(n),
            _ => {
                e.push((
                    "s-capacity".into(),
                    "定員: 1以上の半角数字で入力してください（定員なしは空欄）。".into(),
                ));
                None
            }
        }
    };
    let mb = madoguchi_japanese::digits::to_ascii_digits(&get("max_total_mb"));
    match mb.parse::<f64>() {
        Ok(m) if m > 0.0 && m <= 1024.0 => {
            def.attachments.max_total_bytes = (m * 1024.0 * 1024.0).round() as u64
        }
        _ => e.push((
            "s-max_total_mb".into(),
            "添付ファイルの合計上限: 0より大きく1024以下の数（MB）で入力してください。".into(),
        )),
    }
    let types: Vec<String> = allowed_types
        .into_iter()
        .filter(|t| FILE_TYPES.iter().any(|(x, _)| x == t))
        .collect();
    if types.is_empty() {
        e.push((
            "s-types".into(),
            "受け付けるファイルの種類: 1つ以上選んでください。".into(),
        ));
    } else {
        def.attachments.allowed_types = types;
    }
    if e.is_empty() { Ok(()) } else { Err(e) }
}

async fn publish(
    ctx: &Ctx,
    scope: &StaffScope,
    headers: &HeaderMap,
    copy: &WorkingCopy,
) -> AppResult<Response> {
    match forms_store::publish(&ctx.db, scope, &copy.slug, &copy.definition).await {
        Ok((form_id, version)) => {
            store::delete(&ctx.db, scope, copy.id).await?;
            audit::record(
                &ctx.db,
                scope,
                audit::Action::PublishForm,
                &format!("form:{form_id}"),
                &format!("第{version}版（フォーム作成画面から）"),
            )
            .await?;
            let notice = forms_store::published_notice(&copy.definition.title, version);
            Ok(Redirect::to(&format!(
                "/staff/forms/{form_id}/versions?notice={}",
                encode(&notice)
            ))
            .into_response())
        }
        Err(PublishError::Invalid(errors)) => {
            let mut shown = Shown::ok(PageQuery::default());
            shown.status = StatusCode::UNPROCESSABLE_ENTITY;
            shown.notice = String::new();
            // Problems the page finds itself are listed anyway; add the ones only publishing finds.
            let known: Vec<String> = check_definition(&copy.definition)
                .into_iter()
                .map(|e| e.message)
                .collect();
            shown.extra_problems = errors
                .into_iter()
                .filter(|e| !known.contains(&e.message))
                .map(|e| Problem {
                    anchor: problem_anchor(&e.path),
                    message: e.message,
                })
                .collect();
            if shown.extra_problems.is_empty() && known.is_empty() {
                shown.extra_problems.push(Problem {
                    anchor: "parts".into(),
                    message: "公開できませんでした。".into(),
                });
            }
            show(ctx, scope, headers, copy, shown).await
        }
        Err(PublishError::App(e)) => Err(e),
    }
}

// ---------------------------------------------------------------------------------------------------
// The preview: the real public form page, rendered from the working copy

/// Query of the preview.
#[derive(Deserialize, Default)]
pub struct PreviewQuery {
    #[serde(default)]
    lang: String,
}

fn framable(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'self'; form-action 'self'",
        ),
    );
    h.insert(
        header::X_FRAME_OPTIONS,
        HeaderValue::from_static("SAMEORIGIN"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// What the editor tried in the preview: input, its errors, a notice.
#[derive(Default)]
struct Tried {
    raw: madoguchi_forms::RawInput,
    errors: Vec<madoguchi_forms::FieldError>,
    notice: String,
}

async fn preview_page(
    ctx: &Ctx,
    scope: &StaffScope,
    headers: &HeaderMap,
    copy: &WorkingCopy,
    lang: &str,
    tried: Tried,
) -> AppResult<Response> {
    let tenant = madoguchi_kernel::tenants::find_tenant(&ctx.db, scope.tenant_id).await?;
    let status = if tried.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let resp = crate::public::render_preview(
        ctx,
        headers,
        crate::public::Preview {
            tenant_name: &tenant.name,
            def: &copy.definition,
            lang,
            raw: &tried.raw,
            errors: tried.errors,
            notice: tried.notice,
            action: format!("{}/preview?lang={lang}", builder_url(copy.id)),
        },
        status,
    )?;
    Ok(framable(resp))
}

/// GET `/staff/builder/{id}/preview?lang=`: the form as residents will see it (used in the builder's frames).
pub async fn preview(
    State(ctx): State<Ctx>,
    scope: StaffScope,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Query(q): Query<PreviewQuery>,
) -> AppResult<Response> {
    let copy = editable(&ctx, &scope, id).await?;
    preview_page(&ctx, &scope, &headers, &copy, &q.lang, Tried::default()).await
}

/// POST `/staff/builder/{id}/preview`: try the form: validation errors are shown as residents would see them;
/// nothing is stored and no file is kept.
pub async fn preview_post(
    State(ctx): State<Ctx>,
    scope: StaffScope,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Query(q): Query<PreviewQuery>,
    mp: Multipart,
) -> AppResult<Response> {
    let copy = editable(&ctx, &scope, id).await?;
    let posted =
        crate::public::read_multipart(mp, madoguchi_forms::definition::DEFAULT_ATTACHMENT_LIMIT)
            .await?;
    verify_csrf(&headers, &posted.csrf)?;
    let mut raw = posted.raw;
    let mut notice = String::new();
    if let Some(group) = posted.action.strip_prefix("add:") {
        let n = raw.group_items(group);
        raw.set(format!("{group}.items"), (n + 1).max(1).to_string());
    } else if let Some(rest) = posted.action.strip_prefix("remove:")
        && let Some((group, i)) = rest.rsplit_once(':')
        && let Ok(i) = i.parse::<usize>()
    {
        crate::public::remove_group_item(&mut raw, group, i);
    }
    let shown_def = crate::languages::localized(&copy.definition, &q.lang);
    let mut errors = Vec::new();
    if posted.action == "confirm" {
        match madoguchi_forms::validate(&shown_def, &raw) {
            Ok(_) => {
                notice = "入力内容に誤りはありません。実際のフォームでは、ここで確認画面に進みます（プレビューのため送信されません）。".into();
            }
            Err(e) => errors = e,
        }
    }
    let tried = Tried {
        raw,
        errors,
        notice,
    };
    preview_page(&ctx, &scope, &headers, &copy, &q.lang, tried).await
}
