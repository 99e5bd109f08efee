//! Staff pages of electronic issuance: the overview (fonts, key, templates, approved submissions waiting,
//! recent documents, batch issue), the template editor with its preview and seal image, a submission's
//! documents (issue, fee settled, re-issue, revoke, download) and batch progress.
//!
//! Templates are edited by those who may edit the form (admin, the department's editors); documents are
//! issued and revoked by those who may review the submission (admin, the department's reviewers).

use crate::IssuanceState;
use crate::issue::{self, Actor};
use crate::store::{self, FieldSpec, Template, TemplateInput};
use askama::Template as _;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use madoguchi_applications::forms_store::{self, FormSummary};
use madoguchi_kernel::time::short_datetime;
use madoguchi_kernel::web::verify_csrf;
use madoguchi_kernel::{AppError, AppResult, StaffScope, audit};
use serde::Deserialize;
use sqlx::Row;

fn page(
    st: &IssuanceState,
    headers: &HeaderMap,
    status: StatusCode,
    render: impl FnOnce(String) -> AppResult<String>,
) -> AppResult<Response> {
    madoguchi_kernel::web::page_with_csrf(headers, st.ctx.config.secure_cookies(), status, render)
}

/// A form row of the overview.
struct FormRow {
    form: FormSummary,
    template_title: Option<String>,
    editable: bool,
}

/// An approved submission without a valid document.
struct Waiting {
    id: i64,
    receipt_number: String,
    form_title: String,
    applicant_name: String,
}

struct DocRow {
    id: i64,
    submission_id: i64,
    number: String,
    title: String,
    status: String,
    status_label: &'static str,
    issued: String,
    released: bool,
    /// Id of the revocation reason's text area (and the anchor of its error).
    reason_id: String,
}

fn doc_row(d: &store::Document) -> DocRow {
    DocRow {
        id: d.id,
        submission_id: d.submission_id,
        number: d.document_number.clone(),
        title: d.title.clone(),
        status: d.status.clone(),
        status_label: d.status_label(),
        issued: short_datetime(d.issued_at),
        released: d.released_at.is_some(),
        reason_id: format!("reason-{}", d.id),
    }
}

#[derive(askama::Template)]
#[template(path = "iss_overview.html")]
struct OverviewPage<'a> {
    scope: &'a StaffScope,
    csrf: String,
    fonts: Vec<String>,
    font_error: String,
    signer: String,
    key_error: String,
    development: bool,
    forms: Vec<FormRow>,
    waiting: Vec<Waiting>,
    documents: Vec<DocRow>,
    error: String,
}

/// GET `/staff/issuance`.
pub async fn overview(
    State(st): State<IssuanceState>,
    scope: StaffScope,
    headers: HeaderMap,
) -> AppResult<Response> {
    overview_page(&st, &scope, &headers, StatusCode::OK, String::new()).await
}

async fn overview_page(
    st: &IssuanceState,
    scope: &StaffScope,
    headers: &HeaderMap,
    status: StatusCode,
    error: String,
) -> AppResult<Response> {
    let (fonts, font_error) = match st.fonts() {
        Some(f) => (f.names(), String::new()),
        None => (Vec::new(), crate::fonts::NO_FONT_MESSAGE.to_string()),
    };
    let (signer, key_error, development) = match st.sealer().await {
        Ok(s) => (s.signer_name(), String::new(), s.development),
        Err(e) => (String::new(), e.to_string(), false),
    };
    let mut forms = Vec::new();
    for f in forms_store::list_forms(&st.ctx.db, scope).await? {
        let t = store::template_for_form(&st.ctx.db, scope.tenant_id, f.id).await?;
        forms.push(FormRow {
            editable: forms_store::FormActions::for_form(scope, &f).edit,
            template_title: t.map(|t| t.title),
            form: f,
        });
    }
    let waiting = waiting_submissions(st, scope).await?;
    let documents = store::recent_documents(&st.ctx.db, scope, 50)
        .await?
        .iter()
        .map(doc_row)
        .collect();
    page(st, headers, status, |csrf| {
        Ok(OverviewPage {
            scope,
            csrf,
            fonts,
            font_error,
            signer,
            key_error,
            development,
            forms,
            waiting,
            documents,
            error,
        }
        .render()?)
    })
}

/// Approved submissions of the caller's reviewable departments whose form has a template and that have no
/// valid document yet.
async fn waiting_submissions(st: &IssuanceState, scope: &StaffScope) -> AppResult<Vec<Waiting>> {
    let mut sql = String::from(
        "SELECT s.id, s.receipt_number, s.applicant_name, t.title FROM submissions s
         JOIN issuance_templates t ON t.form_id = s.form_id AND t.tenant_id = s.tenant_id
         WHERE s.tenant_id = $1 AND s.status = 'approved'
           AND NOT EXISTS (SELECT 1 FROM issued_documents d WHERE d.submission_id = s.id AND d.status = 'valid')",
    );
    if let Some(d) = scope.readable_departments() {
        if d.is_empty() {
            return Ok(Vec::new());
        }
        let list: Vec<String> = d.iter().map(|x| x.to_string()).collect();
        // Integers from the session, not user input.
        sql.push_str(&format!(" AND s.department_id IN ({})", list.join(",")));
    }
    sql.push_str(" ORDER BY s.id LIMIT 500");
    let rows = sqlx::query(&sql)
        .bind(scope.tenant_id)
        .fetch_all(&st.ctx.db.read)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Waiting {
                id: r.try_get("id")?,
                receipt_number: r.try_get("receipt_number")?,
                applicant_name: r.try_get("applicant_name")?,
                form_title: r.try_get("title")?,
            })
        })
        .collect()
}

/// The template form as posted.
#[derive(Deserialize, Default, Clone)]
pub struct TemplateForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    number_format: String,
    #[serde(default)]
    next_number: String,
    /// The next number as the page showed it: when staff leave it as shown, saving keeps the counter as it is
    /// now (documents may have been issued since the page was opened).
    #[serde(default)]
    next_number_shown: String,
    #[serde(default)]
    preamble: String,
    /// One row per line: `表示名=参照先`.
    #[serde(default)]
    fields: String,
    #[serde(default)]
    conditions: String,
    #[serde(default)]
    issuer_title: String,
    #[serde(default)]
    issuer_name: String,
    #[serde(default)]
    seal_text: String,
    #[serde(default)]
    fee_required: Option<String>,
    #[serde(default)]
    auto_issue: Option<String>,
}

impl TemplateForm {
    fn from_template(t: &Template) -> TemplateForm {
        TemplateForm {
            csrf: String::new(),
            kind: t.kind.clone(),
            title: t.title.clone(),
            number_format: t.number_format.clone(),
            next_number: t.next_number.to_string(),
            next_number_shown: t.next_number.to_string(),
            preamble: t.preamble.clone(),
            fields: t
                .fields
                .iter()
                .map(|f| format!("{}={}", f.label, f.source))
                .collect::<Vec<_>>()
                .join("\n"),
            conditions: t.conditions.clone(),
            issuer_title: t.issuer_title.clone(),
            issuer_name: t.issuer_name.clone(),
            seal_text: t.seal_text.clone(),
            fee_required: t.fee_required.then(|| "1".into()),
            auto_issue: t.auto_issue.then(|| "1".into()),
        }
    }

    fn defaults(form: &FormSummary, tenant_name: &str) -> TemplateForm {
        TemplateForm {
            kind: "permit".into(),
            title: format!("{} 許可書", form.title),
            number_format: format!("{}指令第{{n}}号", tenant_name),
            next_number: "1".into(),
            preamble: format!(
                "{}年　月　日付けで申請のあった{}について、次のとおり許可します。",
                "令和", form.title
            ),
            fields: String::new(),
            issuer_title: format!("{tenant_name}知事"),
            auto_issue: Some("1".into()),
            ..Default::default()
        }
    }

    /// Parses into a template input, or the field errors: (field id, message).
    fn parse(
        &self,
        def: &madoguchi_forms::FormDefinition,
    ) -> Result<TemplateInput, Vec<(String, String)>> {
        let mut errors = Vec::new();
        let mut need = |id: &str, value: &str, label: &str, max: usize| {
            let v = value.trim();
            if v.is_empty() {
                errors.push((id.to_string(), format!("{label}を入力してください。")));
            } else if v.chars().count() > max {
                errors.push((
                    id.to_string(),
                    format!("{label}は{max}文字以内で入力してください。"),
                ));
            }
        };
        need("title", &self.title, "文書の表題", 100);
        need("number_format", &self.number_format, "文書番号の書式", 60);
        need("issuer_title", &self.issuer_title, "発行者の職名", 60);
        need("issuer_name", &self.issuer_name, "発行者の氏名", 60);
        if !self.number_format.contains("{n}") {
            errors.push((
                "number_format".into(),
                "文書番号の書式には番号が入る位置を {n} で示してください（例: 高知県指令第{n}号）。".into(),
            ));
        }
        let next_number = match self.next_number.trim().parse::<i64>() {
            Ok(n) if n >= 1 => n,
            _ => {
                errors.push((
                    "next_number".into(),
                    "次の番号は1以上の整数で入力してください。".into(),
                ));
                1
            }
        };
        if !store::KINDS.iter().any(|(k, _)| *k == self.kind) {
            errors.push(("kind".into(), "文書の種類を選んでください。".into()));
        }
        for (field, text, label, max) in [
            ("preamble", &self.preamble, "本文", 2000),
            ("conditions", &self.conditions, "条件", 4000),
            ("seal_text", &self.seal_text, "印影の文字", 9),
        ] {
            if text.chars().count() > max {
                errors.push((
                    field.into(),
                    format!("{label}は{max}文字以内で入力してください。"),
                ));
            }
        }
        let mut fields = Vec::new();
        let keys: Vec<&str> = def.parts.iter().map(|p| p.key.as_str()).collect();
        for (i, line) in self.fields.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            let Some((label, source)) = line.split_once('=') else {
                errors.push((
                    "fields".into(),
                    format!(
                        "表の{}行目は「表示名=参照先」の形で入力してください。",
                        i + 1
                    ),
                ));
                continue;
            };
            let (label, source) = (label.trim(), source.trim());
            let base = source.split('.').next().unwrap_or("");
            if label.is_empty() || (!source.starts_with('=') && !keys.contains(&base)) {
                errors.push((
                    "fields".into(),
                    format!(
                        "表の{}行目の参照先「{}」はこのフォームにありません（項目キー、キー.サブキー、または =固定の文字）。",
                        i + 1,
                        source
                    ),
                ));
                continue;
            }
            fields.push(FieldSpec {
                label: label.to_string(),
                source: source.to_string(),
            });
        }
        if fields.len() > 20 {
            errors.push(("fields".into(), "表は20行までです。".into()));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(TemplateInput {
            kind: self.kind.clone(),
            title: self.title.trim().into(),
            number_format: self.number_format.trim().into(),
            next_number,
            preamble: self.preamble.trim().into(),
            fields,
            conditions: self.conditions.trim().into(),
            issuer_title: self.issuer_title.trim().into(),
            issuer_name: self.issuer_name.trim().into(),
            seal_text: self.seal_text.trim().into(),
            fee_required: self.fee_required.is_some(),
            auto_issue: self.auto_issue.is_some(),
            keep_next_number: false,
        })
    }
}

#[derive(askama::Template)]
#[template(path = "iss_template.html")]
struct TemplatePage<'a> {
    scope: &'a StaffScope,
    csrf: String,
    form: FormSummary,
    f: TemplateForm,
    kinds: [(&'static str, &'static str); 3],
    /// (id, label, value, help) of the one-line fields.
    text_fields: Vec<(&'static str, &'static str, String, &'static str)>,
    parts: Vec<(String, String)>,
    exists: bool,
    has_seal_image: bool,
    errors: Vec<(String, String)>,
    notice: String,
}

impl TemplatePage<'_> {
    fn error_for(&self, id: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| f == id)
            .map(|(_, m)| m.as_str())
    }
}

/// The form, checked to be in the caller's tenant and editable by them.
async fn editable_form(
    st: &IssuanceState,
    scope: &StaffScope,
    form_id: i64,
) -> AppResult<FormSummary> {
    let form = forms_store::find_form(&st.ctx.db, scope, form_id).await?;
    if !forms_store::FormActions::for_form(scope, &form).edit {
        return Err(AppError::Forbidden);
    }
    Ok(form)
}

async fn current_definition(
    st: &IssuanceState,
    scope: &StaffScope,
    form_id: i64,
) -> AppResult<madoguchi_forms::FormDefinition> {
    let versions = forms_store::all_versions(&st.ctx.db, scope, form_id).await?;
    versions
        .into_iter()
        .next()
        .map(|(_, d)| d)
        .ok_or(AppError::NotFound)
}

/// Query with a notice.
#[derive(Deserialize, Default)]
pub struct NoticeQuery {
    #[serde(default)]
    notice: String,
}

/// GET `/staff/issuance/forms/{form_id}/template`.
pub async fn template_page(
    State(st): State<IssuanceState>,
    scope: StaffScope,
    headers: HeaderMap,
    Path(form_id): Path<i64>,
    Query(q): Query<NoticeQuery>,
) -> AppResult<Response> {
    let form = editable_form(&st, &scope, form_id).await?;
    let t = store::template_for_form(&st.ctx.db, scope.tenant_id, form_id).await?;
    let f = match &t {
        Some(t) => TemplateForm::from_template(t),
        None => TemplateForm::defaults(&form, &scope.tenant_name),
    };
    let notice = match q.notice.as_str() {
        "saved" => "テンプレートを保存しました。",
        "seal" => "印影画像を登録しました。",
        _ => "",
    };
    render_template_page(
        &st,
        &scope,
        &headers,
        form,
        f,
        t,
        Vec::new(),
        notice.into(),
        StatusCode::OK,
    )
    .await
}

#[expect(clippy::too_many_arguments, reason = "one page, many parts")]
async fn render_template_page(
    st: &IssuanceState,
    scope: &StaffScope,
    headers: &HeaderMap,
    form: FormSummary,
    f: TemplateForm,
    t: Option<Template>,
    errors: Vec<(String, String)>,
    notice: String,
    status: StatusCode,
) -> AppResult<Response> {
    let def = current_definition(st, scope, form.id).await?;
    let parts = def
        .parts
        .iter()
        .filter(|p| p.kind.has_value())
        .map(|p| (p.key.clone(), p.label.clone()))
        .collect();
    let text_fields = vec![
        (
            "title",
            "文書の表題（必須）",
            f.title.clone(),
            "例: 飲食店営業許可書",
        ),
        (
            "number_format",
            "文書番号の書式（必須）",
            f.number_format.clone(),
            "{n} が番号に置き換わります。例: 高知県指令第{n}号",
        ),
        (
            "next_number",
            "次の番号（必須）",
            f.next_number.clone(),
            "1以上の整数。交付済みの番号より小さくはできません",
        ),
        (
            "issuer_title",
            "発行者の職名（必須）",
            f.issuer_title.clone(),
            "例: 高知県知事",
        ),
        (
            "issuer_name",
            "発行者の氏名（必須）",
            f.issuer_name.clone(),
            "",
        ),
        (
            "seal_text",
            "印影の文字（画像がないとき。9文字まで）",
            f.seal_text.clone(),
            "空欄なら「職名＋之印」",
        ),
    ];
    page(st, headers, status, |csrf| {
        Ok(TemplatePage {
            scope,
            csrf,
            text_fields,
            exists: t.is_some(),
            has_seal_image: t.as_ref().is_some_and(|t| t.seal_png.is_some()),
            form,
            f,
            kinds: store::KINDS,
            parts,
            errors,
            notice,
        }
        .render()?)
    })
}

/// POST `/staff/issuance/forms/{form_id}/template`.
pub async fn save_template(
    State(st): State<IssuanceState>,
    scope: StaffScope,
    headers: HeaderMap,
    Path(form_id): Path<i64>,
    axum::Form(f): axum::Form<TemplateForm>,
) -> AppResult<Response> {
    verify_csrf(&headers, &f.csrf)?;
    let form = editable_form(&st, &scope, form_id).await?;
    let def = current_definition(&st, &scope, form_id).await?;
    let existing = store::template_for_form(&st.ctx.db, scope.tenant_id, form_id).await?;
    let mut parsed = f.parse(&def);
    if let (Ok(input), Some(t)) = (&mut parsed, &existing) {
        if f.next_number.trim() == f.next_number_shown.trim() {
            // Left as shown: documents issued since the page was opened keep their numbers.
            input.keep_next_number = true;
        } else if let Some(used) =
            store::highest_number_used(&st.ctx.db, t.id, &input.number_format).await?
            && input.next_number <= used
        {
            parsed = Err(vec![(
                "next_number".into(),
                format!(
                    "次の番号は{}以上にしてください（{}まで交付済みです）。",
                    used + 1,
                    input.number_format.replace("{n}", &used.to_string())
                ),
            )]);
        }
    }
    match parsed {
        Ok(input) => {
            store::save_template(&st.ctx.db, &scope, form_id, &input).await?;
            audit::record(
                &st.ctx.db,
                &scope,
                audit::Action::IssuanceTemplate,
                &format!("form:{form_id}"),
                &input.title,
            )
            .await?;
            Ok(Redirect::to(&format!(
                "/staff/issuance/forms/{form_id}/template?notice=saved"
            ))
            .into_response())
        }
        Err(errors) => {
            render_template_page(
                &st,
                &scope,
                &headers,
                form,
                f,
                existing,
                errors,
                String::new(),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    }
}

/// POST `/staff/issuance/forms/{form_id}/seal`: a PNG seal image (transparent background).
pub async fn upload_seal(
    State(st): State<IssuanceState>,
    scope: StaffScope,
    headers: HeaderMap,
    Path(form_id): Path<i64>,
    mut mp: Multipart,
) -> AppResult<Response> {
    let mut csrf = String::new();
    let mut image = Vec::new();
    while let Some(field) = mp
        .next_field()
        .await
        .map_err(|_| AppError::TooLarge("印影画像は512KBまでです。".into()))?
    {
        match field.name() {
            Some("_csrf") => csrf = field.text().await.unwrap_or_default(),
            Some("seal") => {
                image = field
                    .bytes()
                    .await
                    .map_err(|_| AppError::TooLarge("印影画像は512KBまでです。".into()))?
                    .to_vec()
            }
            _ => {}
        }
    }
    verify_csrf(&headers, &csrf)?;
    let form = editable_form(&st, &scope, form_id).await?;
    let t = store::template_for_form(&st.ctx.db, scope.tenant_id, form_id).await?;
    let problem = if t.is_none() {
        Some("先にテンプレートを保存してください。")
    } else if image.is_empty() {
        Some("印影画像（PNG）を選んでください。")
    } else if image.len() > crate::MAX_SEAL_IMAGE {
        Some("印影画像は512KBまでです。")
    } else if krilla::image::Image::from_png(image.clone().into(), true).is_err() {
        Some("印影画像はPNG形式のファイルを選んでください。")
    } else {
        None
    };
    if let Some(message) = problem {
        let f = t
            .as_ref()
            .map(TemplateForm::from_template)
            .unwrap_or_else(|| TemplateForm::defaults(&form, &scope.tenant_name));
        return render_template_page(
            &st,
            &scope,
            &headers,
            form,
            f,
            t,
            vec![("seal".into(), message.into())],
            String::new(),
            StatusCode::BAD_REQUEST,
        )
        .await;
    }
    let t = t.expect("checked above");
    let key = format!(
        "issuance/{}/seals/{}-{}.png",
        scope.tenant_id,
        t.id,
        &madoguchi_kernel::ids::new_token()[..12]
    );
    st.ctx.storage.put(&key, image.into()).await?;
    store::set_seal_image(&st.ctx.db, &scope, t.id, &key).await?;
    Ok(Redirect::to(&format!(
        "/staff/issuance/forms/{form_id}/template?notice=seal"
    ))
    .into_response())
}

fn pdf_response(pdf: Vec<u8>, name: &str, inline: bool) -> Response {
    madoguchi_kernel::web::file_response("application/pdf", name, pdf, inline)
}

/// Sample answers for a template preview: each part shows its label in brackets.
fn sample_answers(
    def: &madoguchi_forms::FormDefinition,
) -> serde_json::Map<String, serde_json::Value> {
    use madoguchi_forms::PartKind;
    let mut m = serde_json::Map::new();
    for p in &def.parts {
        let v = match &p.kind {
            PartKind::Applicant | PartKind::Name { .. } => {
                serde_json::json!({"kind": "individual", "name": "髙﨑 𠮷太郎", "furigana": "たかさき きちたろう"})
            }
            PartKind::Address => serde_json::json!("高知県高知市丸ノ内1丁目2番20号"),
            k if k.has_value() => serde_json::json!(format!("（{}）", p.label)),
            _ => continue,
        };
        m.insert(p.key.clone(), v);
    }
    m
}

/// GET `/staff/issuance/forms/{form_id}/preview.pdf`: the template with sample data, marked 見本, unsigned.
pub async fn template_preview(
    State(st): State<IssuanceState>,
    scope: StaffScope,
    Path(form_id): Path<i64>,
) -> AppResult<Response> {
    let _form = editable_form(&st, &scope, form_id).await?;
    let t = store::template_for_form(&st.ctx.db, scope.tenant_id, form_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let def = current_definition(&st, &scope, form_id).await?;
    let answers = sample_answers(&def);
    preview(&st, &t, &def, &answers).await
}

async fn preview(
    st: &IssuanceState,
    t: &Template,
    def: &madoguchi_forms::FormDefinition,
    answers: &serde_json::Map<String, serde_json::Value>,
) -> AppResult<Response> {
    let number = t.number_format.replace("{n}", &t.next_number.to_string());
    let seal = issue::seal_of(st, t).await?;
    let url = format!("{}/verify", st.ctx.config.public_url);
    let content = issue::content_for(
        t,
        def,
        answers,
        &number,
        madoguchi_kernel::now_ms(),
        &url,
        "XXXX-XXXX-XXXX-XXXX",
        seal,
        true,
    );
    let pdf = issue::render_pdf(st, content).await?;
    Ok(pdf_response(pdf, &format!("見本_{}.pdf", t.title), true))
}

/// A submission the caller may review.
async fn reviewable(
    st: &IssuanceState,
    scope: &StaffScope,
    id: i64,
) -> AppResult<issue::SubmissionForIssue> {
    let sub = issue::load_submission(st, scope.tenant_id, id).await?;
    if !scope.can_read_submissions_of(sub.department_id) {
        return Err(AppError::NotFound);
    }
    Ok(sub)
}

#[derive(askama::Template)]
#[template(path = "iss_submission.html")]
struct SubmissionPage<'a> {
    scope: &'a StaffScope,
    csrf: String,
    sub_id: i64,
    receipt_number: String,
    status_label: &'static str,
    template_title: Option<String>,
    form_id: i64,
    fee_required: bool,
    fee_settled: bool,
    can_act: bool,
    /// Whether the form's document template may be made here (see `editable_form`).
    can_edit_template: bool,
    can_issue: bool,
    documents: Vec<DocRow>,
    notice: String,
    error: Option<(String, String)>,
    reason: String,
}

impl SubmissionPage<'_> {
    /// The refusal of a revocation of this document, shown at its reason.
    fn reason_error(&self, d: &DocRow) -> Option<&str> {
        self.error
            .as_ref()
            .filter(|(anchor, _)| *anchor == d.reason_id)
            .map(|(_, m)| m.as_str())
    }
}

/// GET `/staff/issuance/submissions/{id}`.
pub async fn submission_page(
    State(st): State<IssuanceState>,
    scope: StaffScope,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Query(q): Query<NoticeQuery>,
) -> AppResult<Response> {
    let notice = match q.notice.as_str() {
        "issued" => "交付文書を作成しました。",
        "reissued" => "再交付しました。前の文書は効力を失いました。",
        "revoked" => "文書を取り消しました。",
        "fee" => "手数料の納付を記録しました。",
        _ => "",
    };
    render_submission(
        &st,
        &scope,
        &headers,
        id,
        notice.into(),
        None,
        String::new(),
        StatusCode::OK,
    )
    .await
}

#[expect(clippy::too_many_arguments, reason = "one page, many parts")]
async fn render_submission(
    st: &IssuanceState,
    scope: &StaffScope,
    headers: &HeaderMap,
    id: i64,
    notice: String,
    error: Option<(String, String)>,
    reason: String,
    status: StatusCode,
) -> AppResult<Response> {
    let sub = reviewable(st, scope, id).await?;
    let t = store::template_for_form(&st.ctx.db, scope.tenant_id, sub.form_id).await?;
    let docs = store::documents_of_submission(&st.ctx.db, scope.tenant_id, id).await?;
    let fee_settled = store::fee_settled(&st.ctx.db, id).await?;
    let can_act = scope.can_review(sub.department_id);
    // The template belongs to the form: offered only to whom its page lets in (`editable_form`).
    let form = forms_store::find_form(&st.ctx.db, scope, sub.form_id).await?;
    let can_edit_template = forms_store::FormActions::for_form(scope, &form).edit;
    let approved = matches!(
        sub.status,
        madoguchi_applications::submissions::Status::Approved
            | madoguchi_applications::submissions::Status::Done
    );
    let can_issue = can_act && approved && t.is_some() && !docs.iter().any(|d| d.status == "valid");
    page(st, headers, status, |csrf| {
        Ok(SubmissionPage {
            scope,
            csrf,
            sub_id: sub.id,
            receipt_number: sub.receipt_number.clone(),
            status_label: sub.status.label(),
            template_title: t.as_ref().map(|t| t.title.clone()),
            form_id: sub.form_id,
            fee_required: t.as_ref().is_some_and(|t| t.fee_required),
            fee_settled,
            can_act,
            can_edit_template,
            can_issue,
            documents: docs.iter().map(doc_row).collect(),
            notice,
            error,
            reason,
        }
        .render()?)
    })
}

/// GET `/staff/issuance/submissions/{id}/preview.pdf`: the document this submission would get, marked 見本.
pub async fn submission_preview(
    State(st): State<IssuanceState>,
    scope: StaffScope,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let sub = reviewable(&st, &scope, id).await?;
    let t = store::template_for_form(&st.ctx.db, scope.tenant_id, sub.form_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let (_, def) = forms_store::definition_by_version_id(&st.ctx.db, sub.form_version_id).await?;
    audit::record(
        &st.ctx.db,
        &scope,
        audit::Action::IssuancePreview,
        &format!("submission:{id}"),
        "",
    )
    .await?;
    preview(&st, &t, &def, &sub.answers).await
}

/// A form with only the CSRF token.
#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(rename = "_csrf", default)]
    csrf: String,
}

async fn refused(
    st: &IssuanceState,
    scope: &StaffScope,
    headers: &HeaderMap,
    sub_id: i64,
    e: AppError,
    anchor: &str,
    reason: String,
) -> AppResult<Response> {
    match e {
        AppError::Conflict(m) | AppError::BadRequest(m) => {
            let status = if anchor.starts_with("reason-") {
                StatusCode::BAD_REQUEST
            } else {
                StatusCode::CONFLICT
            };
            render_submission(
                st,
                scope,
                headers,
                sub_id,
                String::new(),
                Some((anchor.into(), m)),
                reason,
                status,
            )
            .await
        }
        e => Err(e),
    }
}

/// An issue that failed for a reason staff cannot fix on the page (the timestamp authority or the key did not
/// answer, storage failed): nothing was registered and no document number was used; they may try again.
async fn issue_failed(
    st: &IssuanceState,
    scope: &StaffScope,
    headers: &HeaderMap,
    sub_id: i64,
    e: anyhow::Error,
) -> AppResult<Response> {
    tracing::error!(submission = sub_id, error = %format!("{e:#}"), "issuing failed");
    render_submission(
        st,
        scope,
        headers,
        sub_id,
        String::new(),
        Some((
            "documents".into(),
            format!(
                "交付文書を作成できませんでした。時間をおいてもう一度お試しください。続くときはシステム管理者に連絡してください（{e}）。"
            ),
        )),
        String::new(),
        StatusCode::SERVICE_UNAVAILABLE,
    )
    .await
}

/// POST `/staff/issuance/submissions/{id}/issue`: issue now (a staff action besides issuing on approval).
pub async fn issue_now(
    State(st): State<IssuanceState>,
    scope: StaffScope,
    headers: HeaderMap,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<CsrfOnly>,
) -> AppResult<Response> {
    verify_csrf(&headers, &f.csrf)?;
    let sub = reviewable(&st, &scope, id).await?;
    if !scope.can_review(sub.department_id) {
        return Err(AppError::Forbidden);
    }
    match issue::issue(&st, Actor::Staff(&scope), scope.tenant_id, id, None).await {
        Ok(_) => Ok(
            Redirect::to(&format!("/staff/issuance/submissions/{id}?notice=issued"))
                .into_response(),
        ),
        Err(AppError::Internal(e)) => issue_failed(&st, &scope, &headers, id, e).await,
        Err(e) => refused(&st, &scope, &headers, id, e, "documents", String::new()).await,
    }
}

/// POST `/staff/issuance/submissions/{id}/fee`: the fee is settled; waiting documents are released.
pub async fn settle_fee(
    State(st): State<IssuanceState>,
    scope: StaffScope,
    headers: HeaderMap,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<CsrfOnly>,
) -> AppResult<Response> {
    verify_csrf(&headers, &f.csrf)?;
    let sub = reviewable(&st, &scope, id).await?;
    if !scope.can_review(sub.department_id) {
        return Err(AppError::Forbidden);
    }
    match issue::settle_fee(&st, &scope, &sub).await {
        Ok(_) => Ok(
            Redirect::to(&format!("/staff/issuance/submissions/{id}?notice=fee")).into_response(),
        ),
        Err(e) => refused(&st, &scope, &headers, id, e, "fee", String::new()).await,
    }
}

/// A document the caller may act on (review rights on its submission).
async fn actionable(st: &IssuanceState, scope: &StaffScope, id: i64) -> AppResult<store::Document> {
    let d = store::document_for_staff(&st.ctx.db, scope, id).await?;
    if !scope.can_review(d.department_id) {
        return Err(AppError::Forbidden);
    }
    Ok(d)
}

/// POST `/staff/issuance/documents/{id}/reissue`.
pub async fn reissue(
    State(st): State<IssuanceState>,
    scope: StaffScope,
    headers: HeaderMap,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<CsrfOnly>,
) -> AppResult<Response> {
    verify_csrf(&headers, &f.csrf)?;
    let d = actionable(&st, &scope, id).await?;
    match issue::issue(
        &st,
        Actor::Staff(&scope),
        scope.tenant_id,
        d.submission_id,
        Some(d.id),
    )
    .await
    {
        Ok(_) => Ok(Redirect::to(&format!(
            "/staff/issuance/submissions/{}?notice=reissued",
            d.submission_id
        ))
        .into_response()),
        Err(AppError::Internal(e)) => issue_failed(&st, &scope, &headers, d.submission_id, e).await,
        Err(e) => {
            refused(
                &st,
                &scope,
                &headers,
                d.submission_id,
                e,
                "documents",
                String::new(),
            )
            .await
        }
    }
}

/// The revoke form.
#[derive(Deserialize)]
pub struct RevokeForm {
    #[serde(rename = "_csrf", default)]
    csrf: String,
    #[serde(default)]
    reason: String,
}

/// POST `/staff/issuance/documents/{id}/revoke`.
pub async fn revoke(
    State(st): State<IssuanceState>,
    scope: StaffScope,
    headers: HeaderMap,
    Path(id): Path<i64>,
    axum::Form(f): axum::Form<RevokeForm>,
) -> AppResult<Response> {
    verify_csrf(&headers, &f.csrf)?;
    let d = actionable(&st, &scope, id).await?;
    match issue::revoke(&st, &scope, &d, &f.reason).await {
        Ok(()) => Ok(Redirect::to(&format!(
            "/staff/issuance/submissions/{}?notice=revoked",
            d.submission_id
        ))
        .into_response()),
        Err(e @ AppError::BadRequest(_)) => {
            refused(
                &st,
                &scope,
                &headers,
                d.submission_id,
                e,
                &format!("reason-{}", d.id),
                f.reason,
            )
            .await
        }
        Err(e) => {
            refused(
                &st,
                &scope,
                &headers,
                d.submission_id,
                e,
                "documents",
                f.reason,
            )
            .await
        }
    }
}

/// GET `/staff/issuance/documents/{id}/file.pdf`: the issued PDF (recorded in the audit log).
pub async fn document_file(
    State(st): State<IssuanceState>,
    scope: StaffScope,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let d = store::document_for_staff(&st.ctx.db, &scope, id).await?;
    let bytes = st.ctx.storage.get(&d.object_key).await?;
    audit::record(
        &st.ctx.db,
        &scope,
        audit::Action::Download,
        &format!("submission:{}", d.submission_id),
        &d.document_number,
    )
    .await?;
    Ok(pdf_response(
        bytes.to_vec(),
        &format!("{}_{}.pdf", d.title, d.document_number),
        false,
    ))
}

/// POST `/staff/issuance/batches`: issue the selected approved submissions in the background.
pub async fn start_batch(
    State(st): State<IssuanceState>,
    scope: StaffScope,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> AppResult<Response> {
    // Repeated `submission` fields: parsed by hand (serde_urlencoded does not collect repeats).
    let mut csrf = String::new();
    let mut ids = Vec::new();
    for (k, v) in url_pairs(&body) {
        match k.as_str() {
            "_csrf" => csrf = v,
            "submission" => {
                if let Ok(id) = v.parse::<i64>() {
                    ids.push(id)
                }
            }
            _ => {}
        }
    }
    verify_csrf(&headers, &csrf)?;
    ids.sort_unstable();
    ids.dedup();
    match issue::start_batch(&st, &scope, &ids).await {
        Ok(batch) => Ok(Redirect::to(&format!("/staff/issuance/batches/{batch}")).into_response()),
        Err(AppError::BadRequest(m)) => {
            overview_page(&st, &scope, &headers, StatusCode::BAD_REQUEST, m).await
        }
        Err(e) => Err(e),
    }
}

fn url_pairs(body: &[u8]) -> Vec<(String, String)> {
    body.split(|b| *b == b'&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = match p.iter().position(|b| *b == b'=') {
                Some(i) => (&p[..i], &p[i + 1..]),
                None => (p, &b""[..]),
            };
            let dec = |s: &[u8]| {
                let plus: Vec<u8> = s
                    .iter()
                    .map(|b| if *b == b'+' { b' ' } else { *b })
                    .collect();
                percent_encoding::percent_decode(&plus)
                    .decode_utf8_lossy()
                    .into_owned()
            };
            (dec(k), dec(v))
        })
        .collect()
}

#[derive(askama::Template)]
#[template(path = "iss_batch.html")]
struct BatchPage<'a> {
    scope: &'a StaffScope,
    csrf: String,
    id: i64,
    total: i64,
    done: usize,
    skipped: usize,
    failed: usize,
    pending: usize,
    items: Vec<(i64, String, String, String)>,
}

/// GET `/staff/issuance/batches/{id}`: progress of a batch.
pub async fn batch_page(
    State(st): State<IssuanceState>,
    scope: StaffScope,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> AppResult<Response> {
    let (total, items) = issue::batch_progress(&st, &scope, id).await?;
    let count = |s: &str| items.iter().filter(|i| i.2 == s).count();
    let (done, skipped, failed, pending) = (
        count("done"),
        count("skipped"),
        count("failed"),
        count("pending"),
    );
    page(&st, &headers, StatusCode::OK, |csrf| {
        Ok(BatchPage {
            scope: &scope,
            csrf,
            id,
            total,
            done,
            skipped,
            failed,
            pending,
            items,
        }
        .render()?)
    })
}

/// State label of a batch item.
pub fn item_state_label(state: &str) -> &'static str {
    match state {
        "done" => "交付済み",
        "skipped" => "対象外",
        "failed" => "失敗（再試行します）",
        _ => "処理待ち",
    }
}
