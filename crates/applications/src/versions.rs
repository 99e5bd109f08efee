//! A form's version history (版の履歴): every published version with who published it and when, the
//! differences between any two versions, and rollback — publishing an older version again as a new version.
//! Submissions keep the version they were made with, so nothing earlier changes.

use crate::forms_store::{self, FormActions, PublishError};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use madoguchi_forms::{Change, FormDefinition};
use madoguchi_kernel::time::display_datetime;
use madoguchi_kernel::web::{page_with_csrf, verify_csrf};
use madoguchi_kernel::{AppError, AppResult, Ctx, Role, StaffScope};
use serde::Deserialize;
use sqlx::Row;

/// One row of the history.
pub struct VersionRow {
    /// Version number.
    pub version: i64,
    /// When it was published (JST, with 和暦).
    pub published: String,
    /// Who published it.
    pub by: String,
    /// Title in that version.
    pub title: String,
}

#[derive(Template)]
#[template(path = "versions.html")]
struct VersionsPage<'a> {
    scope: &'a StaffScope,
    csrf: String,
    form_id: i64,
    title: String,
    current: i64,
    rows: Vec<VersionRow>,
    from: i64,
    to: i64,
    changes: Vec<Change>,
    /// Whether `to` is 第1版, shown without a comparison.
    first_only: bool,
    /// What to check in the current version (the builder's warnings).
    warnings: Vec<crate::builder::Problem>,
    can_publish: bool,
    errors: Vec<String>,
    notice: String,
}

/// Which versions to compare.
#[derive(Deserialize, Default)]
pub struct Compare {
    from: Option<i64>,
    to: Option<i64>,
    #[serde(default)]
    notice: String,
}

async fn history(
    ctx: &Ctx,
    scope: &StaffScope,
    form_id: i64,
) -> Result<Vec<(VersionRow, FormDefinition)>, AppError> {
    let defs = forms_store::all_versions(&ctx.db, scope, form_id).await?;
    let rows = sqlx::query(
        "SELECT v.version, v.created_at, COALESCE(s.name, '') AS by_name
         FROM form_versions v JOIN forms f ON f.id = v.form_id LEFT JOIN staff s ON s.id = v.created_by
         WHERE f.tenant_id = $1 AND f.id = $2 ORDER BY v.version DESC",
    )
    .bind(scope.tenant_id)
    .bind(form_id)
    .fetch_all(&ctx.db.read)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for (row, (version, def)) in rows.iter().zip(defs) {
        out.push((
            VersionRow {
                version,
                published: display_datetime(row.try_get("created_at")?),
                by: row.try_get("by_name")?,
                title: def.title.clone(),
            },
            def,
        ));
    }
    Ok(out)
}

async fn page(
    ctx: &Ctx,
    scope: &StaffScope,
    headers: &HeaderMap,
    form_id: i64,
    q: Compare,
    status: StatusCode,
    errors: Vec<String>,
) -> AppResult<Response> {
    let form = forms_store::find_form(&ctx.db, scope, form_id).await?;
    let history = history(ctx, scope, form_id).await?;
    let current = history.first().map(|(r, _)| r.version).unwrap_or(0);
    let to = q.to.unwrap_or(current);
    let from = q.from.unwrap_or(to - 1);
    let find = |v: i64| history.iter().find(|(r, _)| r.version == v).map(|(_, d)| d);
    let changes = match (find(from), find(to)) {
        (Some(a), Some(b)) => madoguchi_forms::diff(a, b),
        _ => Vec::new(),
    };
    // The first version has nothing before it: say so instead of comparing it with a 第0版.
    let first_only = from < 1 && find(to).is_some();
    let warnings = history
        .first()
        .map(|(_, d)| crate::builder::warning_problems(d))
        .unwrap_or_default();
    let rows = history.into_iter().map(|(r, _)| r).collect();
    page_with_csrf(headers, ctx.config.secure_cookies(), status, |csrf| {
        Ok(VersionsPage {
            scope,
            csrf,
            form_id,
            title: form.title.clone(),
            current,
            rows,
            from,
            to,
            changes,
            first_only,
            warnings,
            can_publish: FormActions::for_form(scope, &form).edit,
            errors,
            notice: q.notice,
        }
        .render()?)
    })
}

/// GET `/staff/forms/{id}/versions?from=&to=`: the history and the differences (default: previous → current).
pub async fn versions(
    State(ctx): State<Ctx>,
    scope: StaffScope,
    headers: HeaderMap,
    Path(form_id): Path<i64>,
    Query(q): Query<Compare>,
) -> AppResult<Response> {
    page(
        &ctx,
        &scope,
        &headers,
        form_id,
        q,
        StatusCode::OK,
        Vec::new(),
    )
    .await
}

/// The rollback form.
#[derive(Deserialize)]
pub struct Rollback {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    version: i64,
}

/// POST `/staff/forms/{id}/rollback`: publishes an older version's definition as the next version.
pub async fn rollback(
    State(ctx): State<Ctx>,
    scope: StaffScope,
    headers: HeaderMap,
    Path(form_id): Path<i64>,
    axum::Form(f): axum::Form<Rollback>,
) -> AppResult<Response> {
    verify_csrf(&headers, &f.csrf)?;
    scope.require(&[Role::Admin, Role::Editor])?;
    let form = forms_store::find_form(&ctx.db, &scope, form_id).await?;
    if !FormActions::for_form(&scope, &form).edit {
        return Err(AppError::Forbidden);
    }
    let def = forms_store::all_versions(&ctx.db, &scope, form_id)
        .await?
        .into_iter()
        .find(|(v, _)| *v == f.version)
        .map(|(_, d)| d)
        .ok_or(AppError::NotFound)?;
    match forms_store::publish(&ctx.db, &scope, &form.slug, &def).await {
        Ok((_, v)) => {
            let notice = format!("第{}版の内容を第{v}版として公開しました。", f.version);
            Ok(Redirect::to(&format!(
                "/staff/forms/{form_id}/versions?from={}&to={v}&notice={}",
                f.version,
                percent_encoding::utf8_percent_encode(&notice, percent_encoding::NON_ALPHANUMERIC)
            ))
            .into_response())
        }
        Err(PublishError::Invalid(errors)) => {
            page(
                &ctx,
                &scope,
                &headers,
                form_id,
                Compare::default(),
                StatusCode::UNPROCESSABLE_ENTITY,
                errors.iter().map(|e| e.to_string()).collect(),
            )
            .await
        }
        Err(PublishError::App(e)) => Err(e),
    }
}
