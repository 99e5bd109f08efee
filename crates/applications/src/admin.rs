//! The tenant administrator's page: departments (所属) and staff accounts with their roles.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use madoguchi_kernel::staff::{self, Role, StaffListing};
use madoguchi_kernel::tenants::{self, Department};
use madoguchi_kernel::web::verify_csrf;
use madoguchi_kernel::{AppResult, Ctx, StaffScope, audit};
use serde::Deserialize;

/// Shortest password accepted for a new staff account.
pub const MIN_PASSWORD: usize = 12;

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage<'a> {
    scope: &'a StaffScope,
    csrf: String,
    departments: Vec<Department>,
    staff: Vec<StaffListing>,
    roles: [Role; 4],
    errors: Vec<(String, String)>,
    notice: String,
    form: StaffForm,
    dept_form: DepartmentForm,
}

/// Query with a notice after a redirect.
#[derive(Deserialize, Default)]
pub struct Notice {
    #[serde(default)]
    notice: String,
}

async fn render(
    ctx: &Ctx,
    scope: &StaffScope,
    headers: &HeaderMap,
    status: StatusCode,
    errors: Vec<(String, String)>,
    forms: (StaffForm, DepartmentForm),
    notice: String,
) -> AppResult<Response> {
    let departments = tenants::list_departments(&ctx.db, scope.tenant_id).await?;
    let staff = staff::list_staff(&ctx.db, scope).await?;
    madoguchi_kernel::web::page_with_csrf(headers, ctx.config.secure_cookies(), status, |csrf| {
        let page = AdminPage {
            scope,
            csrf,
            departments,
            staff,
            roles: [Role::Admin, Role::Editor, Role::Reviewer, Role::Viewer],
            errors,
            notice,
            form: forms.0,
            dept_form: forms.1,
        };
        Ok(page.render()?)
    })
}

/// GET `/staff/admin`.
pub async fn page(
    State(ctx): State<Ctx>,
    scope: StaffScope,
    headers: HeaderMap,
    Query(q): Query<Notice>,
) -> AppResult<Response> {
    scope.require(&[Role::Admin])?;
    let notice = match q.notice.as_str() {
        "staff" => "職員を登録しました。",
        "department" => "所属を登録しました。",
        _ => "",
    };
    render(
        &ctx,
        &scope,
        &headers,
        StatusCode::OK,
        vec![],
        Default::default(),
        notice.into(),
    )
    .await
}

/// The new-department form.
#[derive(Deserialize, Default, Clone)]
pub struct DepartmentForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    name: String,
}

/// POST `/staff/admin/departments`.
pub async fn add_department(
    State(ctx): State<Ctx>,
    scope: StaffScope,
    headers: HeaderMap,
    axum::Form(f): axum::Form<DepartmentForm>,
) -> AppResult<Response> {
    verify_csrf(&headers, &f.csrf)?;
    scope.require(&[Role::Admin])?;
    let code = f.code.trim().to_string();
    let name = f.name.trim().to_string();
    let mut errors = Vec::new();
    if !madoguchi_forms::check::valid_key(&code) {
        errors.push((
            "dept-code".into(),
            "所属コードは半角英小文字で始まり、半角英小文字・数字・_ だけにしてください。".into(),
        ));
    } else if tenants::find_department_by_code(&ctx.db, scope.tenant_id, &code)
        .await?
        .is_some()
    {
        errors.push((
            "dept-code".into(),
            format!("所属コード「{code}」はすでにあります。"),
        ));
    }
    if name.is_empty() || name.chars().count() > 100 {
        errors.push((
            "dept-name".into(),
            "所属名を100文字以内で入力してください。".into(),
        ));
    }
    if !errors.is_empty() {
        let forms = (StaffForm::default(), f);
        return render(
            &ctx,
            &scope,
            &headers,
            StatusCode::UNPROCESSABLE_ENTITY,
            errors,
            forms,
            String::new(),
        )
        .await;
    }
    tenants::insert_department(&ctx.db, scope.tenant_id, &code, &name).await?;
    audit::record(
        &ctx.db,
        &scope,
        audit::Action::DepartmentAdd,
        &format!("department:{code}"),
        &name,
    )
    .await?;
    Ok(Redirect::to("/staff/admin?notice=department").into_response())
}

/// The new-staff form.
#[derive(Deserialize, Default, Clone)]
pub struct StaffForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    login: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    password: String,
    /// Department ids, several allowed (`departments=1&departments=2`).
    #[serde(default)]
    departments: Vec<i64>,
}

/// POST `/staff/admin/staff`. A login id already taken, in this tenant or another, is refused with the same
/// neutral message, which confirms no other tenant's account.
pub async fn add_staff(
    State(ctx): State<Ctx>,
    scope: StaffScope,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> AppResult<Response> {
    // Repeated keys (departments) need a parser that collects them.
    let f: StaffForm = serde_html_form_like(&body);
    verify_csrf(&headers, &f.csrf)?;
    scope.require(&[Role::Admin])?;
    let login = f.login.trim().to_string();
    let name = f.name.trim().to_string();
    let mut errors = Vec::new();
    let login_ok = (3..=64).contains(&login.len())
        && login
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_.@".contains(&b));
    if !login_ok {
        errors.push((
            "staff-login".into(),
            "ログインIDは半角英小文字・数字・-_.@ で3〜64文字にしてください。".into(),
        ));
    } else if staff::login_exists(&ctx.db, &login).await? {
        // Login ids are unique across every tenant (the login page asks for no tenant), so an id taken by
        // another municipality must be refused too; the message does not say that the account exists or
        // where, and the refusal is audited so that probing for other tenants' ids leaves a trace.
        madoguchi_kernel::audit::record(
            &ctx.db,
            &scope,
            audit::Action::StaffLoginRefused,
            "staff:new",
            &login,
        )
        .await?;
        errors.push((
            "staff-login".into(),
            format!("ログインID「{login}」は登録できません。別のログインIDにしてください。"),
        ));
    }
    if name.is_empty() || name.chars().count() > 100 {
        errors.push((
            "staff-name".into(),
            "氏名を100文字以内で入力してください。".into(),
        ));
    }
    let role = Role::parse(&f.role);
    if role.is_none() {
        errors.push(("staff-role-admin".into(), "役割を選択してください。".into()));
    }
    if f.password.chars().count() < MIN_PASSWORD {
        errors.push((
            "staff-password".into(),
            format!("初期パスワードは{MIN_PASSWORD}文字以上にしてください。"),
        ));
    }
    let departments = tenants::list_departments(&ctx.db, scope.tenant_id).await?;
    if f.departments
        .iter()
        .any(|d| !departments.iter().any(|x| x.id == *d))
    {
        errors.push((
            "staff-departments".into(),
            "所属の選択が正しくありません。".into(),
        ));
    }
    if matches!(role, Some(Role::Reviewer | Role::Editor | Role::Viewer))
        && f.departments.is_empty()
    {
        errors.push((
            "staff-departments".into(),
            "管理者以外は所属を1つ以上選択してください。".into(),
        ));
    }
    let Some(role) = role.filter(|_| errors.is_empty()) else {
        let mut form = f;
        form.password.clear();
        let forms = (form, DepartmentForm::default());
        return render(
            &ctx,
            &scope,
            &headers,
            StatusCode::UNPROCESSABLE_ENTITY,
            errors,
            forms,
            String::new(),
        )
        .await;
    };
    staff::insert_staff(
        &ctx.db,
        scope.tenant_id,
        &login,
        &name,
        role,
        &f.password,
        &f.departments,
    )
    .await?;
    audit::record(
        &ctx.db,
        &scope,
        audit::Action::StaffAdd,
        &format!("staff:{login}"),
        role.as_str(),
    )
    .await?;
    Ok(Redirect::to("/staff/admin?notice=staff").into_response())
}

/// Parses an urlencoded body where `departments` may repeat.
fn serde_html_form_like(body: &[u8]) -> StaffForm {
    let mut f = StaffForm::default();
    for (k, v) in url::form_urlencoded::parse(body) {
        match k.as_ref() {
            "_csrf" => f.csrf = v.into_owned(),
            "login" => f.login = v.into_owned(),
            "name" => f.name = v.into_owned(),
            "role" => f.role = v.into_owned(),
            "password" => f.password = v.into_owned(),
            "departments" => {
                if let Ok(id) = v.parse() {
                    f.departments.push(id)
                }
            }
            _ => {}
        }
    }
    f
}

impl StaffForm {
    /// Whether a department is ticked (for redisplay).
    pub fn has_department(&self, id: &i64) -> bool {
        self.departments.contains(id)
    }
}

/// Entries the audit log page shows.
const AUDIT_PAGE_ROWS: i64 = 300;

/// One row of the audit log page, as staff read it.
struct AuditRow {
    when: String,
    who: String,
    what: String,
    subject: String,
    detail: String,
}

#[derive(Template)]
#[template(path = "admin_audit.html")]
struct AuditPage<'a> {
    scope: &'a StaffScope,
    csrf: String,
    rows: Vec<AuditRow>,
    limit: i64,
}

/// GET `/staff/admin/audit`: the tenant's latest audit entries, in Japanese and Japan time (和暦).
pub async fn audit_log(
    State(ctx): State<Ctx>,
    scope: StaffScope,
    headers: HeaderMap,
) -> AppResult<Response> {
    scope.require(&[Role::Admin])?;
    let rows = audit::recent(&ctx.db, &scope, AUDIT_PAGE_ROWS)
        .await?
        .into_iter()
        .map(|e| AuditRow {
            when: madoguchi_kernel::time::wareki_datetime(e.at),
            who: if e.staff_name.is_empty() {
                "（ログイン前）".into()
            } else {
                e.staff_name
            },
            what: audit::label_of(&e.action).to_string(),
            subject: audit::subject_label(&e.subject),
            // A status change records the new status by its stored name.
            detail: match audit::Action::parse(&e.action) {
                Some(audit::Action::Status) => crate::submissions::Status::parse(&e.detail)
                    .map_or(e.detail, |s| s.label().to_string()),
                _ => e.detail,
            },
        })
        .collect();
    madoguchi_kernel::web::page_with_csrf(
        &headers,
        ctx.config.secure_cookies(),
        StatusCode::OK,
        |csrf| {
            Ok(AuditPage {
                scope: &scope,
                csrf,
                rows,
                limit: AUDIT_PAGE_ROWS,
            }
            .render()?)
        },
    )
}
