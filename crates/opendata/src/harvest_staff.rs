//! Staff pages of harvest sources (ADR 0034): only the prefecture's administrator configures them; the
//! source page shows the run log.

use crate::OdState;
use crate::harvest::{self, KINDS, Run, Source, SourceInput};
use crate::store::OdError;
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use madoguchi_kernel::web::verify_csrf;
use madoguchi_kernel::{AppError, AppResult, Role, StaffScope};
use serde::Deserialize;
use std::collections::BTreeMap;

/// The organisations a prefecture may file harvested datasets under: itself and its municipalities.
async fn orgs_of(state: &OdState, scope: &StaffScope) -> AppResult<Vec<(i64, String)>> {
    let tenants = madoguchi_kernel::tenants::list_tenants(&state.ctx.db).await?;
    let me = tenants.iter().find(|t| t.id == scope.tenant_id);
    // The prefecture's open data administrator only: its administrators manage the whole catalog.
    if scope.role != Role::Admin || me.is_none_or(|t| t.parent_id.is_some()) {
        return Err(AppError::Forbidden);
    }
    Ok(tenants
        .into_iter()
        .filter(|t| t.id == scope.tenant_id || t.parent_id == Some(scope.tenant_id))
        .map(|t| (t.id, format!("{}（{}）", t.name, t.code)))
        .collect())
}

/// A source row of the list.
pub struct SourceRow {
    source: Source,
    kind: &'static str,
    org: String,
    last: &'static str,
}

/// A run row of the log.
pub struct RunRow {
    run: Run,
    status: &'static str,
    queued: String,
    finished: String,
}

#[derive(Template)]
#[template(path = "od_harvest.html")]
struct SourcesPage {
    scope: StaffScope,
    csrf: String,
    rows: Vec<SourceRow>,
    /// (id, label, selected).
    orgs: Vec<(i64, String, bool)>,
    /// (value, label, selected).
    kinds: Vec<(&'static str, &'static str, bool)>,
    form: SourceForm,
    errors: Vec<(String, String)>,
    editing: Option<i64>,
    runs: Vec<RunRow>,
    notice: String,
}

/// The source form's fields.
#[derive(Deserialize, Default, Clone)]
pub struct SourceForm {
    #[serde(default)]
    _csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    url: String,
    #[serde(default)]
    org: String,
    #[serde(default)]
    every_hours: String,
    #[serde(default)]
    enabled: Option<String>,
}

impl SourceForm {
    fn input(&self) -> Result<SourceInput, OdError> {
        let every_hours = match self.every_hours.trim() {
            "" => 0,
            s => s.parse().map_err(|_| {
                OdError::field(
                    "every_hours",
                    "実行間隔は0（手動のみ）以上の整数（時間）で入力してください",
                )
            })?,
        };
        Ok(SourceInput {
            name: self.name.clone(),
            kind: self.kind.clone(),
            url: self.url.clone(),
            org_tenant_id: self.org.trim().parse().unwrap_or(0),
            every_hours,
            enabled: self.enabled.is_some(),
        })
    }

    fn of(s: &Source) -> SourceForm {
        SourceForm {
            _csrf: String::new(),
            name: s.name.clone(),
            kind: s.kind.clone(),
            url: s.url.clone(),
            org: s.org_tenant_id.to_string(),
            every_hours: s.every_hours.to_string(),
            enabled: s.enabled.then(|| "1".into()),
        }
    }

    fn is_enabled(&self) -> bool {
        self.enabled.is_some()
    }
}

fn field_errors(m: BTreeMap<String, Vec<String>>) -> Vec<(String, String)> {
    m.into_iter()
        .flat_map(|(f, v)| v.into_iter().map(move |m| (f.clone(), m)))
        .collect()
}

fn kind_label(kind: &str) -> &'static str {
    KINDS
        .iter()
        .find(|(k, _)| *k == kind)
        .map_or("", |(_, l)| l)
}

fn status_label(status: &str) -> &'static str {
    match status {
        "queued" => "実行待ち",
        "running" => "実行中",
        "succeeded" => "成功",
        _ => "失敗",
    }
}

#[allow(clippy::too_many_arguments)]
async fn render(
    state: &OdState,
    scope: StaffScope,
    headers: &HeaderMap,
    orgs: Vec<(i64, String)>,
    form: SourceForm,
    errors: Vec<(String, String)>,
    editing: Option<i64>,
    notice: String,
) -> AppResult<Response> {
    let db = &state.ctx.db;
    let mut rows = Vec::new();
    for s in harvest::list_sources(db, scope.tenant_id).await? {
        let last = harvest::list_runs(db, s.id, 1)
            .await?
            .pop()
            .map_or("—", |r| status_label(&r.status));
        let org = orgs
            .iter()
            .find(|(id, _)| *id == s.org_tenant_id)
            .map(|o| o.1.clone())
            .unwrap_or_default();
        rows.push(SourceRow {
            kind: kind_label(&s.kind),
            source: s,
            org,
            last,
        });
    }
    let runs = match editing {
        Some(id) => harvest::list_runs(db, id, 20)
            .await?
            .into_iter()
            .map(|run| RunRow {
                status: status_label(&run.status),
                queued: madoguchi_kernel::time::short_datetime(run.queued_at),
                finished: run
                    .finished_at
                    .map(madoguchi_kernel::time::short_datetime)
                    .unwrap_or_else(|| "—".into()),
                run,
            })
            .collect(),
        None => Vec::new(),
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    madoguchi_kernel::web::page_with_csrf(
        headers,
        state.ctx.config.secure_cookies(),
        status,
        |csrf| {
            Ok(SourcesPage {
                scope,
                csrf,
                rows,
                orgs: orgs
                    .into_iter()
                    .map(|(id, label)| (id, label, id.to_string() == form.org.trim()))
                    .collect(),
                kinds: KINDS
                    .iter()
                    .map(|(k, l)| (*k, *l, *k == form.kind))
                    .collect(),
                form,
                errors,
                editing,
                runs,
                notice,
            }
            .render()?)
        },
    )
}

/// GET `/staff/opendata/harvest`.
pub async fn list(
    State(state): State<OdState>,
    scope: StaffScope,
    headers: HeaderMap,
) -> AppResult<Response> {
    let orgs = orgs_of(&state, &scope).await?;
    let form = SourceForm {
        kind: "ckan".into(),
        org: orgs.first().map(|o| o.0.to_string()).unwrap_or_default(),
        every_hours: "0".into(),
        enabled: Some("1".into()),
        ..Default::default()
    };
    render(
        &state,
        scope,
        &headers,
        orgs,
        form,
        vec![],
        None,
        String::new(),
    )
    .await
}

/// POST `/staff/opendata/harvest`: a new source.
pub async fn create(
    State(state): State<OdState>,
    scope: StaffScope,
    headers: HeaderMap,
    Form(f): Form<SourceForm>,
) -> AppResult<Response> {
    verify_csrf(&headers, &f._csrf)?;
    let orgs = orgs_of(&state, &scope).await?;
    let ids: Vec<i64> = orgs.iter().map(|o| o.0).collect();
    let created = match f.input() {
        Ok(input) => harvest::create_source(&state.ctx.db, scope.tenant_id, input, &ids).await,
        Err(e) => Err(e),
    };
    match created {
        Ok(id) => Ok(Redirect::to(&format!("/staff/opendata/harvest/{id}")).into_response()),
        Err(OdError::Validation(m)) => {
            render(
                &state,
                scope,
                &headers,
                orgs,
                f,
                field_errors(m),
                None,
                String::new(),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

async fn own_source(state: &OdState, scope: &StaffScope, id: i64) -> AppResult<Source> {
    harvest::find_source(&state.ctx.db, scope.tenant_id, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// GET `/staff/opendata/harvest/{id}`: the settings and the run log.
pub async fn show(
    State(state): State<OdState>,
    scope: StaffScope,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let orgs = orgs_of(&state, &scope).await?;
    let s = own_source(&state, &scope, id).await?;
    render(
        &state,
        scope,
        &headers,
        orgs,
        SourceForm::of(&s),
        vec![],
        Some(id),
        String::new(),
    )
    .await
}

/// POST `/staff/opendata/harvest/{id}`: new settings.
pub async fn update(
    State(state): State<OdState>,
    scope: StaffScope,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(f): Form<SourceForm>,
) -> AppResult<Response> {
    verify_csrf(&headers, &f._csrf)?;
    let orgs = orgs_of(&state, &scope).await?;
    own_source(&state, &scope, id).await?;
    let ids: Vec<i64> = orgs.iter().map(|o| o.0).collect();
    let updated = match f.input() {
        Ok(input) => harvest::update_source(&state.ctx.db, scope.tenant_id, id, input, &ids).await,
        Err(e) => Err(e),
    };
    match updated {
        Ok(true) => Ok(Redirect::to(&format!("/staff/opendata/harvest/{id}")).into_response()),
        Ok(false) => Err(AppError::NotFound),
        Err(OdError::Validation(m)) => {
            render(
                &state,
                scope,
                &headers,
                orgs,
                f,
                field_errors(m),
                Some(id),
                String::new(),
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// The CSRF-only form of the run button.
#[derive(Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    _csrf: String,
}

/// POST `/staff/opendata/harvest/{id}/run`: queues a run now.
pub async fn run_now(
    State(state): State<OdState>,
    scope: StaffScope,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(f): Form<CsrfForm>,
) -> AppResult<Response> {
    verify_csrf(&headers, &f._csrf)?;
    let orgs = orgs_of(&state, &scope).await?;
    let s = own_source(&state, &scope, id).await?;
    let notice = match harvest::queue_run(&state.ctx.db, s.id).await {
        Ok(_) => {
            state.ctx.jobs_wake.notify_one();
            "取り込みを実行待ちにしました。結果は下の実行記録に表示されます。".to_string()
        }
        Err(OdError::Validation(m)) => m.into_values().flatten().collect::<Vec<_>>().join(" / "),
        Err(e) => return Err(e.into()),
    };
    render(
        &state,
        scope,
        &headers,
        orgs,
        SourceForm::of(&s),
        vec![],
        Some(id),
        notice,
    )
    .await
}
