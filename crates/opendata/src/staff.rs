//! Staff pages: the organisation's datasets, create/edit, resource upload with the validation report,
//! publishing a file with warnings, API tokens, and the prefecture's dashboard of standard datasets.
//!
//! Administrators and editors manage their own tenant's catalog; every write goes through `store` with the
//! tenant from the `StaffScope`.

use crate::OdState;
use crate::index::{Catalog, Doc};
use crate::ingest::{self, Ingested, Upload};
use crate::store::{self, DatasetInput, OdError};
use crate::validate::Report;
use askama::Template;
use axum::Form;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use madoguchi_kernel::spreadsheet::SafeCsv;
use madoguchi_kernel::web::verify_csrf;
use madoguchi_kernel::{AppError, AppResult, StaffScope};
use serde::Deserialize;
use std::collections::BTreeMap;

fn page(
    state: &OdState,
    headers: &HeaderMap,
    status: StatusCode,
    render: impl FnOnce(String) -> AppResult<String>,
) -> AppResult<Response> {
    madoguchi_kernel::web::page_with_csrf(
        headers,
        state.ctx.config.secure_cookies(),
        status,
        render,
    )
}

fn require_manager(scope: &StaffScope) -> AppResult<()> {
    if store::can_manage(scope) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// A dataset row in the staff list.
pub struct Row {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Title.
    pub title: String,
    /// Standard dataset title.
    pub standard: String,
    /// Public resources.
    pub resources: usize,
    /// Draft resources waiting for a decision.
    pub drafts: usize,
    /// Private.
    pub private: bool,
    /// Modified.
    pub modified: String,
    /// Harvested from another catalog (read-only here).
    pub harvested: bool,
}

#[derive(Template)]
#[template(path = "od_staff_list.html")]
struct ListPage {
    scope: StaffScope,
    csrf: String,
    rows: Vec<Row>,
    is_prefecture: bool,
    /// The prefecture's administrator, who configures harvest sources.
    is_admin: bool,
    org_code: String,
}

fn is_prefecture(cat: &Catalog, scope: &StaffScope) -> bool {
    cat.org_of(scope.tenant_id)
        .is_some_and(|o| o.parent_id.is_none())
}

/// GET `/staff/opendata`.
pub async fn list(
    State(state): State<OdState>,
    scope: StaffScope,
    headers: HeaderMap,
) -> AppResult<Response> {
    require_manager(&scope)?;
    let cat = state.index.get(&state.ctx.db).await?;
    let mut docs: Vec<&Doc> = cat
        .iter()
        .filter(|d| d.ds.tenant_id == scope.tenant_id)
        .collect();
    docs.sort_by_key(|d| std::cmp::Reverse(d.ds.modified_at));
    let rows = docs
        .iter()
        .map(|d| Row {
            id: d.ds.id.clone(),
            name: d.ds.name.clone(),
            title: d.ds.title.clone(),
            standard: d
                .ds
                .standard_type
                .as_deref()
                .and_then(crate::layout::find)
                .map(|l| l.title)
                .unwrap_or_default(),
            resources: d.ds.public_resources().count(),
            drafts: d
                .ds
                .listed_resources(true)
                .filter(|r| r.state == "draft")
                .count(),
            private: d.ds.private,
            modified: madoguchi_kernel::time::short_datetime(d.ds.modified_at),
            harvested: d.ds.harvest_source_id.is_some(),
        })
        .collect();
    let org_code = cat
        .org_of(scope.tenant_id)
        .map(|o| o.code.clone())
        .unwrap_or_default();
    let is_prefecture = is_prefecture(&cat, &scope);
    page(&state, &headers, StatusCode::OK, |csrf| {
        Ok(ListPage {
            is_admin: scope.role == madoguchi_kernel::Role::Admin,
            scope,
            csrf,
            rows,
            is_prefecture,
            org_code,
        }
        .render()?)
    })
}

/// The dataset form's fields.
#[derive(Deserialize, Default, Clone)]
pub struct DatasetForm {
    #[serde(default)]
    _csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    tags: String,
    #[serde(default)]
    license_id: String,
    #[serde(default)]
    standard_type: String,
    #[serde(default)]
    groups: String,
    #[serde(default)]
    private: Option<String>,
    #[serde(default)]
    url: String,
    #[serde(default)]
    maintainer: String,
}

impl DatasetForm {
    fn input(&self) -> DatasetInput {
        DatasetInput {
            name: self.name.clone(),
            title: self.title.clone(),
            notes: self.notes.clone(),
            url: self.url.clone(),
            maintainer: self.maintainer.clone(),
            license_id: self.license_id.clone(),
            standard_type: Some(self.standard_type.clone()),
            private: self.private.is_some(),
            tags: self
                .tags
                .split([',', '、'])
                .map(|t| t.trim().to_string())
                .collect(),
            groups: self
                .groups
                .split([',', '、'])
                .map(|t| t.trim().to_string())
                .filter(|g| !g.is_empty())
                .collect(),
            ..Default::default()
        }
    }

    fn from_doc(d: &Doc) -> DatasetForm {
        let standard_tags =
            d.ds.standard_type
                .as_deref()
                .and_then(crate::layout::find)
                .map(|l| vec![store::STANDARD_TAG.to_string(), l.type_tag])
                .unwrap_or_default();
        DatasetForm {
            _csrf: String::new(),
            name: d.ds.name.clone(),
            title: d.ds.title.clone(),
            notes: d.ds.notes.clone(),
            tags: d
                .ds
                .tags
                .iter()
                .filter(|t| !standard_tags.contains(t))
                .cloned()
                .collect::<Vec<_>>()
                .join(", "),
            license_id: d.ds.license_id.clone(),
            standard_type: d.ds.standard_type.clone().unwrap_or_default(),
            groups: d.ds.groups.join(", "),
            private: d.ds.private.then(|| "on".into()),
            url: d.ds.url.clone(),
            maintainer: d.ds.maintainer.clone(),
        }
    }
}

/// A resource on the edit page.
pub struct StaffResource {
    /// Id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Format.
    pub format: String,
    /// State label.
    pub state: &'static str,
    /// Draft.
    pub draft: bool,
    /// Encoding.
    pub encoding: String,
    /// Validation summary.
    pub validation: String,
    /// Size.
    pub size: String,
    /// Report problems (for drafts).
    pub problems: Vec<crate::validate::Problem>,
}

#[derive(Template)]
#[template(path = "od_staff_edit.html")]
struct EditPage {
    scope: StaffScope,
    csrf: String,
    id: String,
    form: DatasetForm,
    errors: Vec<(String, String)>,
    licenses: Vec<(&'static str, &'static str)>,
    layouts: Vec<(String, String)>,
    groups: Vec<(String, String)>,
    resources: Vec<StaffResource>,
    notice: String,
    report: Option<Report>,
}

impl EditPage {
    fn error_for(&self, field: &str) -> String {
        self.errors
            .iter()
            .filter(|(f, _)| f == field)
            .map(|(_, m)| m.clone())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

#[allow(clippy::too_many_arguments)]
fn render_edit(
    state: &OdState,
    headers: &HeaderMap,
    status: StatusCode,
    scope: StaffScope,
    cat: &Catalog,
    doc: Option<&Doc>,
    form: DatasetForm,
    errors: Vec<(String, String)>,
    notice: String,
    report: Option<Report>,
) -> AppResult<Response> {
    let resources = doc
        .map(|d| {
            d.ds.listed_resources(true)
                .map(|r| StaffResource {
                    id: r.id.clone(),
                    name: r.name.clone(),
                    format: r.format.clone(),
                    state: if r.state == "draft" {
                        "公開待ち（警告あり）"
                    } else {
                        "公開中"
                    },
                    draft: r.state == "draft",
                    encoding: r.encoding.clone(),
                    validation: crate::public::validation_label(r),
                    size: crate::public::size_label(r.size),
                    problems: if r.state == "draft" {
                        r.report
                            .as_deref()
                            .and_then(|j| serde_json::from_str::<serde_json::Value>(j).ok())
                            .and_then(|v| serde_json::from_value(v["problems"].clone()).ok())
                            .unwrap_or_default()
                    } else {
                        vec![]
                    },
                })
                .collect()
        })
        .unwrap_or_default();
    let id = doc.map(|d| d.ds.id.clone()).unwrap_or_default();
    let groups = cat
        .groups
        .iter()
        .map(|g| (g.name.clone(), g.title.clone()))
        .collect();
    page(state, headers, status, |csrf| {
        Ok(EditPage {
            scope,
            csrf,
            id,
            form,
            errors,
            licenses: store::LICENSES.to_vec(),
            layouts: crate::layout::builtin()
                .into_iter()
                .map(|l| (l.id, l.title))
                .collect(),
            groups,
            resources,
            notice,
            report,
        }
        .render()?)
    })
}

fn field_errors(m: BTreeMap<String, Vec<String>>) -> Vec<(String, String)> {
    m.into_iter()
        .flat_map(|(f, v)| v.into_iter().map(move |m| (f.clone(), m)))
        .collect()
}

/// GET `/staff/opendata/new`.
pub async fn new_page(
    State(state): State<OdState>,
    scope: StaffScope,
    headers: HeaderMap,
) -> AppResult<Response> {
    require_manager(&scope)?;
    let cat = state.index.get(&state.ctx.db).await?;
    let form = DatasetForm {
        license_id: store::LICENSES[0].0.into(),
        ..Default::default()
    };
    render_edit(
        &state,
        &headers,
        StatusCode::OK,
        scope,
        &cat,
        None,
        form,
        vec![],
        String::new(),
        None,
    )
}

/// POST `/staff/opendata/new`.
pub async fn create(
    State(state): State<OdState>,
    scope: StaffScope,
    headers: HeaderMap,
    Form(form): Form<DatasetForm>,
) -> AppResult<Response> {
    verify_csrf(&headers, &form._csrf)?;
    require_manager(&scope)?;
    match store::create_dataset(
        &state.ctx.db,
        scope.tenant_id,
        Some(scope.staff_id),
        form.input(),
    )
    .await
    {
        Ok(id) => {
            madoguchi_kernel::audit::record(
                &state.ctx.db,
                &scope,
                madoguchi_kernel::audit::Action::OpendataCreate,
                &format!("dataset:{id}"),
                &form.name,
            )
            .await?;
            Ok(Redirect::to(&format!("/staff/opendata/datasets/{id}?created=1")).into_response())
        }
        Err(OdError::Validation(m)) => {
            let cat = state.index.get(&state.ctx.db).await?;
            render_edit(
                &state,
                &headers,
                StatusCode::UNPROCESSABLE_ENTITY,
                scope,
                &cat,
                None,
                form,
                field_errors(m),
                String::new(),
                None,
            )
        }
        Err(e) => Err(e.into()),
    }
}

fn own_doc<'a>(cat: &'a Catalog, scope: &StaffScope, id: &str) -> AppResult<&'a Doc> {
    cat.dataset(id)
        .filter(|d| d.ds.tenant_id == scope.tenant_id)
        .ok_or(AppError::NotFound)
}

/// Query of the edit page.
#[derive(Deserialize, Default)]
pub struct EditQuery {
    #[serde(default)]
    created: Option<String>,
    #[serde(default)]
    saved: Option<String>,
    #[serde(default)]
    published: Option<String>,
}

/// GET `/staff/opendata/datasets/{id}`.
pub async fn edit_page(
    State(state): State<OdState>,
    scope: StaffScope,
    headers: HeaderMap,
    Path(id): Path<String>,
    axum::extract::Query(q): axum::extract::Query<EditQuery>,
) -> AppResult<Response> {
    require_manager(&scope)?;
    let cat = state.index.get(&state.ctx.db).await?;
    let d = own_doc(&cat, &scope, &id)?;
    let notice = if q.created.is_some() {
        "データセットを作成しました。ファイルを登録してください。"
    } else if q.saved.is_some() {
        "保存しました。"
    } else if q.published.is_some() {
        "ファイルを公開しました。"
    } else {
        ""
    };
    render_edit(
        &state,
        &headers,
        StatusCode::OK,
        scope,
        &cat,
        Some(d),
        DatasetForm::from_doc(d),
        vec![],
        notice.into(),
        None,
    )
}

/// POST `/staff/opendata/datasets/{id}`.
pub async fn update(
    State(state): State<OdState>,
    scope: StaffScope,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(form): Form<DatasetForm>,
) -> AppResult<Response> {
    verify_csrf(&headers, &form._csrf)?;
    require_manager(&scope)?;
    let cat = state.index.get(&state.ctx.db).await?;
    let d = own_doc(&cat, &scope, &id)?;
    match store::update_dataset(&state.ctx.db, scope.tenant_id, &d.ds.id, form.input(), None).await
    {
        Ok(()) => {
            madoguchi_kernel::audit::record(
                &state.ctx.db,
                &scope,
                madoguchi_kernel::audit::Action::OpendataUpdate,
                &format!("dataset:{id}"),
                "",
            )
            .await?;
            Ok(Redirect::to(&format!("/staff/opendata/datasets/{id}?saved=1")).into_response())
        }
        Err(OdError::Validation(m)) => render_edit(
            &state,
            &headers,
            StatusCode::UNPROCESSABLE_ENTITY,
            scope,
            &cat,
            Some(d),
            form,
            field_errors(m),
            String::new(),
            None,
        ),
        Err(e) => Err(e.into()),
    }
}

/// A form with only the CSRF field.
#[derive(Deserialize)]
pub struct CsrfForm {
    _csrf: String,
}

/// POST `/staff/opendata/datasets/{id}/delete`.
pub async fn delete(
    State(state): State<OdState>,
    scope: StaffScope,
    headers: HeaderMap,
    Path(id): Path<String>,
    Form(f): Form<CsrfForm>,
) -> AppResult<Response> {
    verify_csrf(&headers, &f._csrf)?;
    require_manager(&scope)?;
    store::delete_dataset(&state.ctx.db, scope.tenant_id, &id).await?;
    madoguchi_kernel::audit::record(
        &state.ctx.db,
        &scope,
        madoguchi_kernel::audit::Action::OpendataDelete,
        &format!("dataset:{id}"),
        "",
    )
    .await?;
    Ok(Redirect::to("/staff/opendata").into_response())
}

/// POST `/staff/opendata/datasets/{id}/resources` (multipart): validate and store a file.
pub async fn upload(
    State(state): State<OdState>,
    scope: StaffScope,
    headers: HeaderMap,
    Path(id): Path<String>,
    mut mp: Multipart,
) -> AppResult<Response> {
    require_manager(&scope)?;
    let mut csrf = String::new();
    let mut up = Upload {
        file_name: String::new(),
        bytes: Default::default(),
        name: String::new(),
        description: String::new(),
        format: String::new(),
    };
    let mut accept_warnings = false;
    while let Some(field) = mp
        .next_field()
        .await
        .map_err(|e| AppError::BadRequest(format!("送信内容を読み取れません: {e}")))?
    {
        let name = field.name().unwrap_or("").to_string();
        match name.as_str() {
            "file" => {
                up.file_name = field.file_name().unwrap_or("").to_string();
                up.bytes = field
                    .bytes()
                    .await
                    .map_err(|_| AppError::TooLarge("ファイルが大きすぎます（64MBまで）".into()))?;
            }
            _ => {
                let v = field
                    .text()
                    .await
                    .map_err(|e| AppError::BadRequest(e.to_string()))?;
                match name.as_str() {
                    "_csrf" => csrf = v,
                    "name" => up.name = v,
                    "description" => up.description = v,
                    "format" => up.format = v,
                    "accept_warnings" => accept_warnings = true,
                    _ => {}
                }
            }
        }
    }
    verify_csrf(&headers, &csrf)?;
    let cat = state.index.get(&state.ctx.db).await?;
    let d = own_doc(&cat, &scope, &id)?;
    if up.file_name.is_empty() || up.bytes.is_empty() {
        return render_edit(
            &state,
            &headers,
            StatusCode::UNPROCESSABLE_ENTITY,
            scope,
            &cat,
            Some(d),
            DatasetForm::from_doc(d),
            vec![("file".into(), "ファイルを選んでください".into())],
            String::new(),
            None,
        );
    }
    let file_name = up.file_name.clone();
    match ingest::ingest(&state.ctx, scope.tenant_id, d, up, accept_warnings).await {
        Ok(Ingested::Refused(report)) => render_edit(
            &state,
            &headers,
            StatusCode::UNPROCESSABLE_ENTITY,
            scope,
            &cat,
            Some(d),
            DatasetForm::from_doc(d),
            vec![(
                "file".into(),
                format!(
                    "「{file_name}」にエラーが {} 件あるため登録できません。下の検証結果を確認して修正してください",
                    report.errors
                ),
            )],
            String::new(),
            Some(report),
        ),
        Ok(Ingested::Stored {
            id: rid,
            state: st,
            report,
            copy_id,
        }) => {
            madoguchi_kernel::audit::record(
                &state.ctx.db,
                &scope,
                madoguchi_kernel::audit::Action::OpendataUpload,
                &format!("resource:{rid}"),
                &file_name,
            )
            .await?;
            let cat = state.index.get(&state.ctx.db).await?;
            let d = own_doc(&cat, &scope, &id)?;
            let mut notice = if st == "draft" {
                format!(
                    "「{file_name}」を登録しました。警告があるため公開待ちです。内容を確認し、問題なければ「公開する」を押してください。"
                )
            } else {
                format!("「{file_name}」を登録し、公開しました。")
            };
            if copy_id.is_some() {
                notice.push_str(
                    "文字コードが Shift_JIS のため、原本を保存し UTF-8 の写しを並べて公開します。",
                );
            }
            render_edit(
                &state,
                &headers,
                StatusCode::OK,
                scope,
                &cat,
                Some(d),
                DatasetForm::from_doc(d),
                vec![],
                notice,
                report,
            )
        }
        Err(OdError::Validation(m)) => render_edit(
            &state,
            &headers,
            StatusCode::UNPROCESSABLE_ENTITY,
            scope,
            &cat,
            Some(d),
            DatasetForm::from_doc(d),
            field_errors(m)
                .into_iter()
                .map(|(_, m)| ("file".to_string(), m))
                .collect(),
            String::new(),
            None,
        ),
        Err(e) => Err(e.into()),
    }
}

/// The id of the dataset holding resource `rid`, if that dataset belongs to the caller's tenant.
async fn own_resource_dataset(
    state: &OdState,
    scope: &StaffScope,
    rid: &str,
) -> Result<String, AppError> {
    let cat = state.index.get(&state.ctx.db).await?;
    let (d, _) = cat
        .resource(rid)
        .filter(|(d, _)| d.ds.tenant_id == scope.tenant_id)
        .ok_or(AppError::NotFound)?;
    Ok(d.ds.id.clone())
}

/// POST `/staff/opendata/resources/{rid}/publish`: publish a file whose warnings were accepted.
pub async fn publish(
    State(state): State<OdState>,
    scope: StaffScope,
    headers: HeaderMap,
    Path(rid): Path<String>,
    Form(f): Form<CsrfForm>,
) -> AppResult<Response> {
    verify_csrf(&headers, &f._csrf)?;
    require_manager(&scope)?;
    let id = own_resource_dataset(&state, &scope, &rid).await?;
    store::publish_resource(&state.ctx.db, scope.tenant_id, &rid).await?;
    madoguchi_kernel::audit::record(
        &state.ctx.db,
        &scope,
        madoguchi_kernel::audit::Action::OpendataPublish,
        &format!("resource:{rid}"),
        "",
    )
    .await?;
    Ok(Redirect::to(&format!("/staff/opendata/datasets/{id}?published=1")).into_response())
}

/// POST `/staff/opendata/resources/{rid}/delete`.
pub async fn delete_resource(
    State(state): State<OdState>,
    scope: StaffScope,
    headers: HeaderMap,
    Path(rid): Path<String>,
    Form(f): Form<CsrfForm>,
) -> AppResult<Response> {
    verify_csrf(&headers, &f._csrf)?;
    require_manager(&scope)?;
    let id = own_resource_dataset(&state, &scope, &rid).await?;
    store::delete_resource(&state.ctx.db, scope.tenant_id, &rid).await?;
    madoguchi_kernel::audit::record(
        &state.ctx.db,
        &scope,
        madoguchi_kernel::audit::Action::OpendataDeleteResource,
        &format!("resource:{rid}"),
        "",
    )
    .await?;
    Ok(Redirect::to(&format!("/staff/opendata/datasets/{id}?saved=1")).into_response())
}

#[derive(Template)]
#[template(path = "od_staff_tokens.html")]
struct TokensPage {
    scope: StaffScope,
    csrf: String,
    tokens: Vec<(i64, String, String, String)>,
    new_token: String,
    error: String,
}

async fn tokens_page(
    state: &OdState,
    scope: StaffScope,
    headers: &HeaderMap,
    new_token: String,
    error: String,
) -> AppResult<Response> {
    let tokens = store::list_tokens(&state.ctx.db, scope.tenant_id, scope.staff_id)
        .await?
        .into_iter()
        .map(|t| {
            (
                t.id,
                t.name,
                madoguchi_kernel::time::short_datetime(t.created_at),
                t.last_used_at
                    .map(madoguchi_kernel::time::short_datetime)
                    .unwrap_or_else(|| "—".into()),
            )
        })
        .collect();
    let status = if error.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    page(state, headers, status, |csrf| {
        Ok(TokensPage {
            scope,
            csrf,
            tokens,
            new_token,
            error,
        }
        .render()?)
    })
}

/// GET `/staff/opendata/tokens`.
pub async fn tokens(
    State(state): State<OdState>,
    scope: StaffScope,
    headers: HeaderMap,
) -> AppResult<Response> {
    require_manager(&scope)?;
    tokens_page(&state, scope, &headers, String::new(), String::new()).await
}

/// The token form.
#[derive(Deserialize)]
pub struct TokenForm {
    _csrf: String,
    #[serde(default)]
    name: String,
}

/// POST `/staff/opendata/tokens`: the new token is shown once.
pub async fn create_token(
    State(state): State<OdState>,
    scope: StaffScope,
    headers: HeaderMap,
    Form(f): Form<TokenForm>,
) -> AppResult<Response> {
    verify_csrf(&headers, &f._csrf)?;
    require_manager(&scope)?;
    let name = f.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return tokens_page(
            &state,
            scope,
            &headers,
            String::new(),
            "トークンの用途（名前）を100文字以内で入力してください".into(),
        )
        .await;
    }
    let token = store::create_token(&state.ctx.db, scope.tenant_id, scope.staff_id, name).await?;
    madoguchi_kernel::audit::record(
        &state.ctx.db,
        &scope,
        madoguchi_kernel::audit::Action::OpendataToken,
        "api_token",
        name,
    )
    .await?;
    tokens_page(&state, scope, &headers, token, String::new()).await
}

/// POST `/staff/opendata/tokens/{id}/revoke`.
pub async fn revoke_token(
    State(state): State<OdState>,
    scope: StaffScope,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> AppResult<Response> {
    verify_csrf(&headers, &f._csrf)?;
    require_manager(&scope)?;
    store::revoke_token(&state.ctx.db, scope.tenant_id, scope.staff_id, id).await?;
    Ok(Redirect::to("/staff/opendata/tokens").into_response())
}

/// The dashboard: for each organisation of the prefecture, how many public datasets of each standard type.
pub struct Dashboard {
    /// Layouts (columns): (id, title).
    pub layouts: Vec<(String, String)>,
    /// Rows: (code, name, datasets, counts per layout).
    pub rows: Vec<(String, String, usize, Vec<usize>)>,
    /// オープンデータの取組団体数: organisations with at least one public dataset.
    pub publishing_orgs: usize,
    /// 推奨データセットの公開件数: (organisation, standard type) pairs published with a public file.
    pub standard_published: usize,
}

/// Computes the dashboard for a prefecture tenant.
pub fn dashboard_of(cat: &Catalog, prefecture_id: i64) -> Dashboard {
    let layouts: Vec<(String, String)> = crate::layout::builtin()
        .into_iter()
        .map(|l| (l.id, l.title))
        .collect();
    let mut rows = Vec::new();
    let (mut publishing_orgs, mut standard_published) = (0, 0);
    let mut orgs: Vec<&store::Org> = cat
        .orgs
        .iter()
        .filter(|o| o.tenant_id == prefecture_id || o.parent_id == Some(prefecture_id))
        .collect();
    orgs.sort_by(|a, b| a.code.cmp(&b.code));
    for o in orgs {
        let public: Vec<&Doc> = cat
            .iter()
            .filter(|d| {
                d.ds.tenant_id == o.tenant_id
                    && !d.ds.private
                    && d.ds.public_resources().next().is_some()
            })
            .collect();
        let counts: Vec<usize> = layouts
            .iter()
            .map(|(id, _)| {
                public
                    .iter()
                    .filter(|d| d.ds.standard_type.as_deref() == Some(id.as_str()))
                    .count()
            })
            .collect();
        if !public.is_empty() {
            publishing_orgs += 1;
        }
        standard_published += counts.iter().filter(|c| **c > 0).count();
        rows.push((o.code.clone(), o.title.clone(), public.len(), counts));
    }
    Dashboard {
        layouts,
        rows,
        publishing_orgs,
        standard_published,
    }
}

#[derive(Template)]
#[template(path = "od_staff_dashboard.html")]
struct DashboardPage {
    scope: StaffScope,
    csrf: String,
    d: Dashboard,
}

/// GET `/staff/opendata/dashboard` (prefecture staff).
pub async fn dashboard(
    State(state): State<OdState>,
    scope: StaffScope,
    headers: HeaderMap,
) -> AppResult<Response> {
    let cat = state.index.get(&state.ctx.db).await?;
    if !is_prefecture(&cat, &scope) {
        return Err(AppError::Forbidden);
    }
    let d = dashboard_of(&cat, scope.tenant_id);
    page(&state, &headers, StatusCode::OK, |csrf| {
        Ok(DashboardPage { scope, csrf, d }.render()?)
    })
}

/// GET `/staff/opendata/dashboard.csv`: the same table as CSV (UTF-8 with BOM, for Excel).
pub async fn dashboard_csv(State(state): State<OdState>, scope: StaffScope) -> AppResult<Response> {
    let cat = state.index.get(&state.ctx.db).await?;
    if !is_prefecture(&cat, &scope) {
        return Err(AppError::Forbidden);
    }
    let d = dashboard_of(&cat, scope.tenant_id);
    // Names come from tenants' own catalog entries: neutralised like every CSV cell we write.
    let mut builder = csv::WriterBuilder::new();
    builder.flexible(true);
    let mut w = SafeCsv::with_builder(builder, vec![0xEF, 0xBB, 0xBF]);
    let mut header = vec![
        "全国地方公共団体コード".to_string(),
        "団体名".into(),
        "公開データセット数".into(),
    ];
    header.extend(d.layouts.iter().map(|(_, t)| t.clone()));
    w.write_record(&header).map_err(anyhow::Error::from)?;
    for (code, name, n, counts) in &d.rows {
        let mut rec = vec![code.clone(), name.clone(), n.to_string()];
        rec.extend(counts.iter().map(|c| c.to_string()));
        w.write_record(&rec).map_err(anyhow::Error::from)?;
    }
    w.write_record([
        "",
        "オープンデータの取組団体数",
        &d.publishing_orgs.to_string(),
    ])
    .map_err(anyhow::Error::from)?;
    w.write_record([
        "",
        "推奨データセットの公開件数",
        &d.standard_published.to_string(),
    ])
    .map_err(anyhow::Error::from)?;
    let bytes = w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"opendata-dashboard.csv\"",
            ),
        ],
        bytes,
    )
        .into_response())
}
