//! Shared form templates (共同利用・横展開): the prefecture or any municipality publishes one of its forms as a
//! template; staff of every tenant of the installation browse them by category and copy one into their own forms,
//! choosing their department and adapting the definition before it is published. A template is a snapshot of
//! the definition at the time it was shared.

use crate::forms_store::{self, PublishError};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use madoguchi_forms::FormDefinition;
use madoguchi_kernel::tenants::Department;
use madoguchi_kernel::web::{page_with_csrf, verify_csrf};
use madoguchi_kernel::{AppError, AppResult, Ctx, Db, Role, StaffScope, audit, now_ms};
use serde::Deserialize;
use sqlx::Row;

/// A shared template.
#[derive(Debug, Clone)]
pub struct FormTemplate {
    /// Id.
    pub id: i64,
    /// Title.
    pub title: String,
    /// Category (セミナー・講座, アンケート …).
    pub category: String,
    /// What it is for.
    pub summary: String,
    /// The tenant that shared it.
    pub tenant_name: String,
    /// The definition as shared (pretty JSON).
    pub definition: String,
    /// Number of parts, for the list.
    pub parts: usize,
}

const LONGEST_CATEGORY: usize = 40;
const LONGEST_SUMMARY: usize = 400;

fn from_row(r: &sqlx::any::AnyRow) -> Result<FormTemplate, AppError> {
    let json: String = r.try_get("definition")?;
    let def = FormDefinition::from_json(&json).map_err(|e| anyhow::anyhow!("template: {e}"))?;
    Ok(FormTemplate {
        id: r.try_get("id")?,
        title: r.try_get("title")?,
        category: r.try_get("category")?,
        summary: r.try_get("summary")?,
        tenant_name: r.try_get("tenant_name")?,
        parts: def.parts.len(),
        definition: def.to_json_pretty(),
    })
}

const SELECT: &str =
    "SELECT t.id, t.title, t.category, t.summary, t.definition, g.name AS tenant_name
     FROM form_templates t JOIN tenants g ON g.id = t.tenant_id";

/// Every template of the installation, by category and title.
pub async fn list(db: &Db) -> Result<Vec<FormTemplate>, AppError> {
    let rows = sqlx::query(&format!("{SELECT} ORDER BY t.category, t.title, t.id"))
        .fetch_all(&db.read)
        .await?;
    rows.iter().map(from_row).collect()
}

/// One template.
pub async fn find(db: &Db, id: i64) -> Result<FormTemplate, AppError> {
    let row = sqlx::query(&format!("{SELECT} WHERE t.id = $1"))
        .bind(id)
        .fetch_optional(&db.read)
        .await?
        .ok_or(AppError::NotFound)?;
    from_row(&row)
}

/// Stores a template (also used by the demo data).
pub async fn insert(
    db: &Db,
    tenant_id: i64,
    def: &FormDefinition,
    category: &str,
    summary: &str,
    source_form_id: Option<i64>,
    created_by: Option<i64>,
) -> Result<i64, AppError> {
    let now = now_ms();
    Ok(sqlx::query_scalar(
        "INSERT INTO form_templates (tenant_id, title, category, summary, definition, source_form_id, created_by, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id",
    )
    .bind(tenant_id)
    .bind(&def.title)
    .bind(category)
    .bind(summary)
    .bind(serde_json::to_string(def).expect("definitions serialise"))
    .bind(source_form_id)
    .bind(created_by)
    .bind(now)
    .fetch_one(&db.write)
    .await?)
}

/// Shares the current version of one of the caller's forms as a template. Errors name the field.
pub async fn share(
    db: &Db,
    scope: &StaffScope,
    form_id: i64,
    category: &str,
    summary: &str,
) -> Result<i64, AppError> {
    let form = forms_store::find_form(db, scope, form_id).await?;
    if !scope.can_edit_forms_of(form.department_id) {
        return Err(AppError::Forbidden);
    }
    let category = category.trim();
    if category.is_empty() {
        return Err(AppError::BadRequest("分類を入力してください。".into()));
    }
    if category.chars().count() > LONGEST_CATEGORY {
        return Err(AppError::BadRequest(format!(
            "分類は{LONGEST_CATEGORY}文字以内で入力してください。"
        )));
    }
    if summary.chars().count() > LONGEST_SUMMARY {
        return Err(AppError::BadRequest(format!(
            "説明は{LONGEST_SUMMARY}文字以内で入力してください。"
        )));
    }
    let (_, def) = forms_store::all_versions(db, scope, form_id)
        .await?
        .into_iter()
        .next()
        .ok_or(AppError::NotFound)?;
    let id = insert(
        db,
        scope.tenant_id,
        &def,
        category,
        summary.trim(),
        Some(form_id),
        Some(scope.staff_id),
    )
    .await?;
    audit::record(
        db,
        scope,
        audit::Action::ShareTemplate,
        &format!("form:{form_id}"),
        &format!("template:{id}"),
    )
    .await?;
    Ok(id)
}

#[derive(Template)]
#[template(path = "templates_list.html")]
struct ListPage<'a> {
    scope: &'a StaffScope,
    csrf: String,
    templates: Vec<FormTemplate>,
    my_forms: Vec<forms_store::FormSummary>,
    can_share: bool,
    error: String,
    notice: String,
    category: String,
    summary: String,
}

async fn list_page(
    ctx: &Ctx,
    scope: &StaffScope,
    headers: &HeaderMap,
    status: StatusCode,
    error: String,
    notice: String,
    (category, summary): (String, String),
) -> AppResult<Response> {
    let templates = list(&ctx.db).await?;
    let my_forms = forms_store::list_forms(&ctx.db, scope)
        .await?
        .into_iter()
        .filter(|f| scope.can_edit_forms_of(f.department_id))
        .collect();
    page_with_csrf(headers, ctx.config.secure_cookies(), status, |csrf| {
        Ok(ListPage {
            scope,
            csrf,
            templates,
            my_forms,
            can_share: matches!(scope.role, Role::Admin | Role::Editor),
            error,
            notice,
            category,
            summary,
        }
        .render()?)
    })
}

/// Query of the list page.
#[derive(Deserialize, Default)]
pub struct Notice {
    #[serde(default)]
    notice: String,
}

/// GET `/staff/templates`.
pub async fn templates(
    State(ctx): State<Ctx>,
    scope: StaffScope,
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<Notice>,
) -> AppResult<Response> {
    list_page(
        &ctx,
        &scope,
        &headers,
        StatusCode::OK,
        String::new(),
        q.notice,
        Default::default(),
    )
    .await
}

/// The share form.
#[derive(Deserialize)]
pub struct ShareForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    form_id: i64,
    #[serde(default)]
    category: String,
    #[serde(default)]
    summary: String,
}

/// POST `/staff/templates`: shares one of the caller's forms.
pub async fn share_post(
    State(ctx): State<Ctx>,
    scope: StaffScope,
    headers: HeaderMap,
    axum::Form(f): axum::Form<ShareForm>,
) -> AppResult<Response> {
    verify_csrf(&headers, &f.csrf)?;
    scope.require(&[Role::Admin, Role::Editor])?;
    match share(&ctx.db, &scope, f.form_id, &f.category, &f.summary).await {
        Ok(_) => Ok(Redirect::to(&format!(
            "/staff/templates?notice={}",
            percent_encoding::utf8_percent_encode(
                "テンプレートとして共有しました。",
                percent_encoding::NON_ALPHANUMERIC
            )
        ))
        .into_response()),
        Err(AppError::BadRequest(message)) => {
            list_page(
                &ctx,
                &scope,
                &headers,
                StatusCode::UNPROCESSABLE_ENTITY,
                message,
                String::new(),
                (f.category, f.summary),
            )
            .await
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "template_use.html")]
struct UsePage<'a> {
    scope: &'a StaffScope,
    csrf: String,
    template: FormTemplate,
    departments: Vec<Department>,
    department: String,
    slug: String,
    definition: String,
    errors: Vec<String>,
}

use crate::builder::editable_departments;

/// GET `/staff/templates/{id}/use`: copy a template into the caller's forms.
pub async fn use_page(
    State(ctx): State<Ctx>,
    scope: StaffScope,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    scope.require(&[Role::Admin, Role::Editor])?;
    let template = find(&ctx.db, id).await?;
    let departments = editable_departments(&ctx, &scope).await?;
    let definition = template.definition.clone();
    page_with_csrf(
        &headers,
        ctx.config.secure_cookies(),
        StatusCode::OK,
        |csrf| {
            Ok(UsePage {
                scope: &scope,
                csrf,
                department: departments
                    .first()
                    .map(|d| d.code.clone())
                    .unwrap_or_default(),
                departments,
                template,
                slug: String::new(),
                definition,
                errors: Vec::new(),
            }
            .render()?)
        },
    )
}

/// The copy form.
#[derive(Deserialize)]
pub struct UseForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    slug: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    definition: String,
    /// `builder` to adapt it in the form builder before publishing; anything else publishes now.
    #[serde(default)]
    then: String,
}

/// POST `/staff/templates/{id}/use`: publishes the (adapted) definition as a new form of the caller's tenant,
/// owned by the chosen department.
pub async fn use_post(
    State(ctx): State<Ctx>,
    scope: StaffScope,
    headers: HeaderMap,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<UseForm>,
) -> AppResult<Response> {
    verify_csrf(&headers, &f.csrf)?;
    scope.require(&[Role::Admin, Role::Editor])?;
    let template = find(&ctx.db, id).await?;
    let departments = editable_departments(&ctx, &scope).await?;
    let slug = f.slug.trim().to_string();
    let mut errors = Vec::new();
    if !forms_store::valid_slug(&slug) {
        errors.push("URL名: 半角英小文字・数字・ハイフンで入力してください。".to_string());
    } else if forms_store::list_forms(&ctx.db, &scope)
        .await?
        .iter()
        .any(|x| x.slug == slug)
    {
        errors.push(format!(
            "URL名: 「{slug}」はすでに使われています。別の名前にしてください。"
        ));
    }
    if !departments.iter().any(|d| d.code == f.department) {
        errors.push("担当の所属: 選択してください。".to_string());
    }
    let mut published = None;
    if errors.is_empty() {
        match madoguchi_forms::parse_definition(&f.definition) {
            Err(es) => errors.extend(es.iter().map(|e| format!("フォーム定義: {e}"))),
            Ok(mut def) if f.then == "builder" => {
                def.department = f.department.clone();
                match crate::builder::store::create(&ctx.db, &scope, None, &slug, &def).await? {
                    Some(copy) => {
                        return Ok(Redirect::to(&format!(
                            "{}?notice={}",
                            crate::builder::builder_url(copy),
                            percent_encoding::utf8_percent_encode(
                                &format!("テンプレート「{}」を読み込みました。調整してから公開してください", template.title),
                                percent_encoding::NON_ALPHANUMERIC
                            )
                        ))
                        .into_response());
                    }
                    None => errors.push(format!("URL名: 「{slug}」はすでに編集中です。")),
                }
            }
            Ok(mut def) => {
                def.department = f.department.clone();
                match forms_store::publish(&ctx.db, &scope, &slug, &def).await {
                    Ok((form_id, _)) => published = Some(form_id),
                    Err(PublishError::Invalid(es)) => {
                        errors.extend(es.iter().map(|e| format!("フォーム定義: {e}")))
                    }
                    Err(PublishError::App(e)) => return Err(e),
                }
            }
        }
    }
    if let Some(form_id) = published {
        audit::record(
            &ctx.db,
            &scope,
            audit::Action::UseTemplate,
            &format!("template:{id}"),
            &format!("form:{form_id}"),
        )
        .await?;
        let notice = format!(
            "テンプレート「{}」から {slug} を公開しました（第1版）",
            template.title
        );
        return Ok(Redirect::to(&format!(
            "/staff/forms?notice={}",
            percent_encoding::utf8_percent_encode(&notice, percent_encoding::NON_ALPHANUMERIC)
        ))
        .into_response());
    }
    page_with_csrf(
        &headers,
        ctx.config.secure_cookies(),
        StatusCode::UNPROCESSABLE_ENTITY,
        |csrf| {
            Ok(UsePage {
                scope: &scope,
                csrf,
                template,
                departments,
                department: f.department,
                slug,
                definition: f.definition,
                errors,
            }
            .render()?)
        },
    )
}
