//! Staff pages: the Q&A list, create and edit with version history, archive, the synonym dictionary, contacts
//! and the helpdesk (staff-only Q&As). Editors manage their departments' entries; administrators all of the
//! tenant's; reviewers and viewers read.

use crate::FaqState;
use crate::ask::{self, check_query, conversation_or_new};
use crate::questions;
use crate::store::{self, Audience, Contact, Entry, FieldError, Origin, RawEntry};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use madoguchi_kernel::time::short_datetime;
use madoguchi_kernel::web::{page_with_csrf, verify_csrf};
use madoguchi_kernel::{AppError, AppResult, Role, StaffScope};
use serde::Deserialize;

pub(crate) fn render_page(
    state: &FaqState,
    headers: &HeaderMap,
    status: StatusCode,
    render: impl FnOnce(String) -> AppResult<String>,
) -> AppResult<Response> {
    page_with_csrf(headers, state.ctx.config.secure_cookies(), status, render)
}

/// Whether this person may create or edit Q&As at all.
pub fn is_editor(scope: &StaffScope) -> bool {
    matches!(scope.role, Role::Admin | Role::Editor)
}

/// A row of the list.
pub struct ListRow {
    /// Entry.
    pub e: Entry,
    /// Last change, for display.
    pub updated: String,
    /// Whether the review date has passed.
    pub overdue: bool,
    /// Whether this person may edit it.
    pub editable: bool,
}

#[derive(Template)]
#[template(path = "staff_list.html")]
struct ListPage<'a> {
    scope: &'a StaffScope,
    csrf: String,
    q: String,
    category: String,
    audience: String,
    categories: Vec<String>,
    rows: Vec<ListRow>,
    total: usize,
    notice: String,
    editor: bool,
}

/// Filter of the list.
#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    audience: String,
    #[serde(default)]
    notice: String,
}

/// Today in JST as YYYY-MM-DD.
pub fn today() -> String {
    madoguchi_kernel::time::jst(madoguchi_kernel::now_ms())
        .format("%Y-%m-%d")
        .to_string()
}

/// GET `/staff/faq`: the tenant's Q&As, filterable.
pub async fn list(
    State(state): State<FaqState>,
    scope: StaffScope,
    headers: HeaderMap,
    Query(f): Query<ListQuery>,
) -> AppResult<Response> {
    let all = store::all_entries(&state.ctx.db, &scope).await?;
    let total = all.len();
    let mut categories: Vec<String> = all.iter().map(|e| e.category.clone()).collect();
    categories.sort();
    categories.dedup();
    let needle = madoguchi_search::normalize(f.q.trim());
    let today = today();
    let rows = all
        .into_iter()
        .filter(|e| f.category.is_empty() || e.category == f.category)
        .filter(|e| f.audience.is_empty() || e.audience.as_str() == f.audience)
        .filter(|e| {
            needle.is_empty()
                || e.id.to_string() == f.q.trim()
                || madoguchi_search::normalize(&format!(
                    "{} {} {} {}",
                    e.question,
                    e.phrasings.join(" "),
                    e.answer,
                    e.category
                ))
                .contains(&needle)
        })
        .map(|e| ListRow {
            updated: short_datetime(e.updated_at),
            overdue: !e.review_date.is_empty() && e.review_date < today,
            editable: store::can_edit(&scope, e.department_id),
            e,
        })
        .collect();
    render_page(&state, &headers, StatusCode::OK, |csrf| {
        Ok(ListPage {
            scope: &scope,
            csrf,
            q: f.q,
            category: f.category,
            audience: f.audience,
            categories,
            rows,
            total,
            notice: f.notice,
            editor: is_editor(&scope),
        }
        .render()?)
    })
}

/// A version as shown in the history.
pub struct VersionView {
    /// Number.
    pub version: i64,
    /// What happened.
    pub note: String,
    /// Who.
    pub staff_name: String,
    /// When.
    pub at: String,
    /// Question then.
    pub question: String,
    /// Answer then.
    pub answer: String,
    /// Audience then.
    pub audience: &'static str,
    /// Archived then.
    pub archived: bool,
}

#[derive(Template)]
#[template(path = "staff_entry.html")]
struct EntryPage<'a> {
    scope: &'a StaffScope,
    csrf: String,
    /// `None` for a new entry.
    entry: Option<Entry>,
    raw: RawEntry,
    errors: Vec<FieldError>,
    departments: Vec<(i64, String, String)>,
    from_questions: String,
    versions: Vec<VersionView>,
    editable: bool,
    shared_id: Option<i64>,
    notice: String,
}

impl EntryPage<'_> {
    fn error_for(&self, field: &str) -> String {
        self.errors
            .iter()
            .filter(|e| e.field == field)
            .map(|e| e.message.clone())
            .collect::<Vec<_>>()
            .join("。")
    }
}

/// Departments this person may file entries under.
async fn own_departments(
    state: &FaqState,
    scope: &StaffScope,
) -> AppResult<Vec<(i64, String, String)>> {
    Ok(store::departments(&state.ctx.db, scope.tenant_id)
        .await?
        .into_iter()
        .filter(|(id, _, _)| store::can_edit(scope, *id))
        .collect())
}

/// Query of the new-entry page.
#[derive(Deserialize, Default)]
pub struct NewQuery {
    /// Pre-fill from logged questions (comma-separated ids): "この質問からQ&Aを作成".
    #[serde(default)]
    from: String,
}

fn parse_ids(s: &str) -> Vec<i64> {
    s.split(',')
        .filter_map(|x| x.trim().parse().ok())
        .take(200)
        .collect()
}

/// GET `/staff/faq/new`.
pub async fn new_page(
    State(state): State<FaqState>,
    scope: StaffScope,
    headers: HeaderMap,
    Query(q): Query<NewQuery>,
) -> AppResult<Response> {
    if !is_editor(&scope) {
        return Err(AppError::Forbidden);
    }
    let departments = own_departments(&state, &scope).await?;
    let mut raw = RawEntry {
        audience: "public".into(),
        ..RawEntry::default()
    };
    if let Some(d) = departments.first() {
        raw.department = d.1.clone();
    }
    let ids = parse_ids(&q.from);
    let mut texts = Vec::new();
    for id in &ids {
        let logged = questions::find(&state.ctx.db, &scope, *id).await?;
        if !texts.contains(&logged.question) {
            texts.push(logged.question);
        }
    }
    if let Some((first, rest)) = texts.split_first() {
        raw.question = first.clone();
        raw.phrasings = rest.join("\n");
    }
    let from_questions = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    render_page(&state, &headers, StatusCode::OK, |csrf| {
        Ok(EntryPage {
            scope: &scope,
            csrf,
            entry: None,
            raw,
            errors: vec![],
            departments,
            from_questions,
            versions: vec![],
            editable: true,
            shared_id: None,
            notice: String::new(),
        }
        .render()?)
    })
}

/// The entry form.
#[derive(Deserialize)]
pub struct EntryForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(flatten)]
    raw: RawEntry,
    #[serde(default)]
    from_questions: String,
}

/// POST `/staff/faq/new`.
pub async fn create(
    State(state): State<FaqState>,
    scope: StaffScope,
    headers: HeaderMap,
    axum::Form(f): axum::Form<EntryForm>,
) -> AppResult<Response> {
    verify_csrf(&headers, &f.csrf)?;
    if !is_editor(&scope) {
        return Err(AppError::Forbidden);
    }
    save(state, scope, headers, None, f).await
}

async fn save(
    state: FaqState,
    scope: StaffScope,
    headers: HeaderMap,
    id: Option<i64>,
    f: EntryForm,
) -> AppResult<Response> {
    let departments = own_departments(&state, &scope).await?;
    let existing = match id {
        Some(id) => Some(store::find_entry(&state.ctx.db, &scope, id).await?),
        None => None,
    };
    if let Some(e) = &existing
        && !store::can_edit(&scope, e.department_id)
    {
        return Err(AppError::Forbidden);
    }
    match f.raw.check(&departments) {
        Ok(input) => {
            let note = if id.is_some() { "編集" } else { "作成" };
            let (id, version) =
                store::save_entry(&state.ctx.db, &scope, id, &input, note, Origin::default())
                    .await?;
            let handled = parse_ids(&f.from_questions);
            if !handled.is_empty() {
                questions::mark_handled(&state.ctx.db, &scope, &handled, id).await?;
            }
            state.indexes.invalidate(scope.tenant_id);
            Ok(Redirect::to(&format!(
                "/staff/faq/entries/{id}?notice={}",
                crate::public::enc(&format!("第{version}版を保存しました"))
            ))
            .into_response())
        }
        Err(errors) => {
            let versions = match id {
                Some(id) => version_views(&state, &scope, id).await?,
                None => vec![],
            };
            let shared_id = existing.as_ref().and_then(|e| e.shared_id);
            render_page(&state, &headers, StatusCode::UNPROCESSABLE_ENTITY, |csrf| {
                Ok(EntryPage {
                    scope: &scope,
                    csrf,
                    entry: existing,
                    raw: f.raw,
                    errors,
                    departments,
                    from_questions: f.from_questions,
                    versions,
                    editable: true,
                    shared_id,
                    notice: String::new(),
                }
                .render()?)
            })
        }
    }
}

async fn version_views(
    state: &FaqState,
    scope: &StaffScope,
    id: i64,
) -> AppResult<Vec<VersionView>> {
    Ok(store::versions(&state.ctx.db, scope, id)
        .await?
        .into_iter()
        .map(|v| VersionView {
            version: v.version,
            note: v.note,
            staff_name: v.staff_name,
            at: short_datetime(v.at),
            question: v.input.question,
            answer: v.input.answer,
            audience: v.input.audience.label(),
            archived: v.archived,
        })
        .collect())
}

/// Query with a notice.
#[derive(Deserialize, Default)]
pub struct NoticeQuery {
    #[serde(default)]
    notice: String,
}

/// GET `/staff/faq/entries/{id}`: the edit form and the version history.
pub async fn edit_page(
    State(state): State<FaqState>,
    scope: StaffScope,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Query(q): Query<NoticeQuery>,
) -> AppResult<Response> {
    let entry = store::find_entry(&state.ctx.db, &scope, id).await?;
    let editable = store::can_edit(&scope, entry.department_id);
    let mut departments = own_departments(&state, &scope).await?;
    if !departments.iter().any(|d| d.0 == entry.department_id) {
        departments.push((
            entry.department_id,
            entry.department_code.clone(),
            entry.department_name.clone(),
        ));
    }
    let versions = version_views(&state, &scope, id).await?;
    let shared_id: Option<i64> = crate::shared::shared_id_of(&state.ctx.db, &scope, id).await?;
    render_page(&state, &headers, StatusCode::OK, |csrf| {
        Ok(EntryPage {
            scope: &scope,
            csrf,
            raw: RawEntry::of(&entry),
            entry: Some(entry),
            errors: vec![],
            departments,
            from_questions: String::new(),
            versions,
            editable,
            shared_id,
            notice: q.notice,
        }
        .render()?)
    })
}

/// POST `/staff/faq/entries/{id}`.
pub async fn update(
    State(state): State<FaqState>,
    scope: StaffScope,
    headers: HeaderMap,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<EntryForm>,
) -> AppResult<Response> {
    verify_csrf(&headers, &f.csrf)?;
    if !is_editor(&scope) {
        return Err(AppError::Forbidden);
    }
    save(state, scope, headers, Some(id), f).await
}

/// The archive form.
#[derive(Deserialize)]
pub struct ArchiveForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    archived: String,
}

/// POST `/staff/faq/entries/{id}/archive`: archive (stop answering with it) or restore.
pub async fn archive(
    State(state): State<FaqState>,
    scope: StaffScope,
    headers: HeaderMap,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<ArchiveForm>,
) -> AppResult<Response> {
    verify_csrf(&headers, &f.csrf)?;
    let archived = f.archived == "1";
    let v = store::set_archived(&state.ctx.db, &scope, id, archived).await?;
    state.indexes.invalidate(scope.tenant_id);
    let what = if archived {
        "アーカイブしました"
    } else {
        "復元しました"
    };
    Ok(Redirect::to(&format!(
        "/staff/faq/entries/{id}?notice={}",
        crate::public::enc(&format!("{what}（第{v}版）"))
    ))
    .into_response())
}

#[derive(Template)]
#[template(path = "staff_synonyms.html")]
struct SynonymsPage<'a> {
    scope: &'a StaffScope,
    csrf: String,
    body: String,
    error: String,
    notice: String,
    builtin: bool,
    editor: bool,
}

/// GET `/staff/faq/synonyms`.
pub async fn synonyms_page(
    State(state): State<FaqState>,
    scope: StaffScope,
    headers: HeaderMap,
    Query(q): Query<NoticeQuery>,
) -> AppResult<Response> {
    let stored = store::synonyms_text(&state.ctx.db, scope.tenant_id).await?;
    let builtin = stored.is_none();
    let body = stored.unwrap_or_else(|| madoguchi_search::Synonyms::builtin_text().to_string());
    render_page(&state, &headers, StatusCode::OK, |csrf| {
        Ok(SynonymsPage {
            scope: &scope,
            csrf,
            body,
            error: String::new(),
            notice: q.notice,
            builtin,
            editor: is_editor(&scope),
        }
        .render()?)
    })
}

/// The synonyms form.
#[derive(Deserialize)]
pub struct SynonymsForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    body: String,
}

/// POST `/staff/faq/synonyms`: parsed first; a parse error names the line and nothing is stored.
pub async fn save_synonyms(
    State(state): State<FaqState>,
    scope: StaffScope,
    headers: HeaderMap,
    axum::Form(f): axum::Form<SynonymsForm>,
) -> AppResult<Response> {
    verify_csrf(&headers, &f.csrf)?;
    if !is_editor(&scope) {
        return Err(AppError::Forbidden);
    }
    let body = f.body.replace("\r\n", "\n");
    match madoguchi_search::Synonyms::parse(&body) {
        Ok(_) => {
            store::save_synonyms(&state.ctx.db, scope.tenant_id, Some(scope.staff_id), &body)
                .await?;
            madoguchi_kernel::audit::record(
                &state.ctx.db,
                &scope,
                madoguchi_kernel::audit::Action::FaqSynonyms,
                "faq:synonyms",
                "",
            )
            .await?;
            state.indexes.invalidate(scope.tenant_id);
            Ok(Redirect::to(&format!(
                "/staff/faq/synonyms?notice={}",
                crate::public::enc("同義語辞書を保存しました。検索にすぐ反映されます。")
            ))
            .into_response())
        }
        Err(e) => render_page(&state, &headers, StatusCode::UNPROCESSABLE_ENTITY, |csrf| {
            Ok(SynonymsPage {
                scope: &scope,
                csrf,
                body,
                error: e.to_string(),
                notice: String::new(),
                builtin: false,
                editor: true,
            }
            .render()?)
        }),
    }
}

#[derive(Template)]
#[template(path = "staff_contacts.html")]
struct ContactsPage<'a> {
    scope: &'a StaffScope,
    csrf: String,
    contact: Contact,
    departments: Vec<store::DepartmentContact>,
    notice: String,
}

/// GET `/staff/faq/contacts`: the contact shown when no answer is found, and per department.
pub async fn contacts_page(
    State(state): State<FaqState>,
    scope: StaffScope,
    headers: HeaderMap,
    Query(q): Query<NoticeQuery>,
) -> AppResult<Response> {
    let contact = store::tenant_contact(&state.ctx.db, scope.tenant_id, &scope.tenant_name).await?;
    let departments = store::department_contacts(&state.ctx.db, &scope).await?;
    render_page(&state, &headers, StatusCode::OK, |csrf| {
        Ok(ContactsPage {
            scope: &scope,
            csrf,
            contact,
            departments,
            notice: q.notice,
        }
        .render()?)
    })
}

/// POST `/staff/faq/contacts` (administrators): `name`/`phone`/`hours` for the tenant, `phone_{id}` and
/// `hours_{id}` per department.
pub async fn save_contacts(
    State(state): State<FaqState>,
    scope: StaffScope,
    headers: HeaderMap,
    axum::Form(f): axum::Form<std::collections::HashMap<String, String>>,
) -> AppResult<Response> {
    verify_csrf(&headers, f.get("_csrf").map(String::as_str).unwrap_or(""))?;
    scope.require(&[Role::Admin])?;
    let get = |k: &str| f.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    let name = get("name");
    if name.is_empty() {
        return Err(AppError::BadRequest(
            "問い合わせ先の名称を入力してください。".into(),
        ));
    }
    let contact = Contact {
        name,
        phone: get("phone"),
        hours: get("hours"),
    };
    store::save_tenant_contact(&state.ctx.db, scope.tenant_id, &contact).await?;
    for d in store::department_contacts(&state.ctx.db, &scope).await? {
        let (p, h) = (
            get(&format!("phone_{}", d.id)),
            get(&format!("hours_{}", d.id)),
        );
        if p != d.phone || h != d.hours {
            store::save_department_contact(&state.ctx.db, &scope, d.id, &p, &h).await?;
        }
    }
    Ok(Redirect::to(&format!(
        "/staff/faq/contacts?notice={}",
        crate::public::enc("問い合わせ先を保存しました")
    ))
    .into_response())
}

#[derive(Template)]
#[template(path = "staff_helpdesk.html")]
struct HelpdeskPage<'a> {
    scope: &'a StaffScope,
    csrf: String,
    query: String,
    error: String,
    reply: Option<ask::Reply>,
}

/// Query of the helpdesk.
#[derive(Deserialize, Default)]
pub struct HelpdeskQuery {
    q: Option<String>,
    c: Option<String>,
}

/// GET `/staff/faq/helpdesk?q=`: staff ask the staff-only Q&As (PC operation, accounting …).
pub async fn helpdesk(
    State(state): State<FaqState>,
    scope: StaffScope,
    headers: HeaderMap,
    Query(q): Query<HelpdeskQuery>,
) -> AppResult<Response> {
    let tenant = madoguchi_kernel::tenants::find_tenant(&state.ctx.db, scope.tenant_id).await?;
    let (mut query, mut error, mut reply) = (String::new(), String::new(), None);
    let mut status = StatusCode::OK;
    if let Some(raw) = q.q.as_deref() {
        query = raw.to_string();
        match check_query(raw) {
            Ok(text) => {
                let c = conversation_or_new(q.c.as_deref());
                reply = Some(
                    ask::ask(
                        &state,
                        &tenant,
                        Audience::Staff,
                        &text,
                        &c,
                        ask::DEFAULT_LIMIT,
                    )
                    .await?,
                );
            }
            Err(e) => {
                error = e;
                status = StatusCode::BAD_REQUEST;
            }
        }
    }
    render_page(&state, &headers, status, |csrf| {
        Ok(HelpdeskPage {
            scope: &scope,
            csrf,
            query,
            error,
            reply,
        }
        .render()?)
    })
}
