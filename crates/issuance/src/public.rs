//! Public pages: the verification page (upload a PDF or follow the QR code), its JSON endpoint, the
//! applicant's download link, and the built-in TSA's RFC 3161 endpoint (development and tests).

use crate::IssuanceState;
use crate::verify::{self, Report};
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use madoguchi_kernel::ids::token_hash;
use madoguchi_kernel::web::verify_csrf;
use madoguchi_kernel::{ApiError, AppError, AppResult, now_ms};

#[derive(Template)]
#[template(path = "verify.html")]
struct VerifyPage {
    csrf: String,
    report: Option<Report>,
    error: String,
    code: String,
}

fn render_verify(
    st: &IssuanceState,
    headers: &HeaderMap,
    status: StatusCode,
    report: Option<Report>,
    error: String,
    code: String,
) -> AppResult<Response> {
    madoguchi_kernel::web::page_with_csrf(headers, st.ctx.config.secure_cookies(), status, |csrf| {
        Ok(VerifyPage {
            csrf,
            report,
            error,
            code,
        }
        .render()?)
    })
}

/// GET `/verify`: upload a PDF, or enter the verification code printed on it.
pub async fn verify_page(
    State(st): State<IssuanceState>,
    headers: HeaderMap,
    axum::extract::Query(q): axum::extract::Query<CodeQuery>,
) -> AppResult<Response> {
    let code = q.code.trim().to_string();
    if !code.is_empty() {
        return match verify::by_code(&st, &code).await {
            Ok(r) => render_verify(&st, &headers, StatusCode::OK, Some(r), String::new(), code),
            Err(AppError::NotFound) => render_verify(
                &st,
                &headers,
                StatusCode::NOT_FOUND,
                None,
                "この検証コードの文書は見つかりません。印字されたコードをもう一度確かめてください。".into(),
                code,
            ),
            Err(e) => Err(e),
        };
    }
    render_verify(
        &st,
        &headers,
        StatusCode::OK,
        None,
        String::new(),
        String::new(),
    )
}

/// The code form.
#[derive(serde::Deserialize, Default)]
pub struct CodeQuery {
    #[serde(default)]
    code: String,
}

/// POST `/verify`: checks an uploaded PDF (multipart field `file`).
pub async fn verify_upload(
    State(st): State<IssuanceState>,
    headers: HeaderMap,
    mut mp: Multipart,
) -> AppResult<Response> {
    let mut csrf = String::new();
    let mut file: Option<Bytes> = None;
    while let Some(field) = mp
        .next_field()
        .await
        .map_err(|_| AppError::TooLarge("ファイルが大きすぎます（20MBまで）。".into()))?
    {
        match field.name() {
            Some("_csrf") => csrf = field.text().await.unwrap_or_default(),
            Some("file") => {
                let b = field.bytes().await.map_err(|_| {
                    AppError::TooLarge("ファイルが大きすぎます（20MBまで）。".into())
                })?;
                if !b.is_empty() {
                    file = Some(b);
                }
            }
            _ => {}
        }
    }
    verify_csrf(&headers, &csrf)?;
    let Some(file) = file else {
        return render_verify(
            &st,
            &headers,
            StatusCode::BAD_REQUEST,
            None,
            "確かめるPDFファイルを選んでください。".into(),
            String::new(),
        );
    };
    if !file.starts_with(b"%PDF-") {
        return render_verify(
            &st,
            &headers,
            StatusCode::BAD_REQUEST,
            None,
            "PDFファイルではありません。交付されたPDFファイルを選んでください。".into(),
            String::new(),
        );
    }
    let report = verify::check_file(&st, &file).await?;
    render_verify(
        &st,
        &headers,
        StatusCode::OK,
        Some(report),
        String::new(),
        String::new(),
    )
}

/// GET `/verify/{code}`: the QR code's link.
pub async fn verify_code(
    State(st): State<IssuanceState>,
    headers: HeaderMap,
    Path(code): Path<String>,
) -> AppResult<Response> {
    let report = verify::by_code(&st, &code).await?;
    render_verify(
        &st,
        &headers,
        StatusCode::OK,
        Some(report),
        String::new(),
        code,
    )
}

/// POST `/api/v1/verify`: the PDF as the request body; answers the report as JSON.
pub async fn api_verify(
    State(st): State<IssuanceState>,
    body: Bytes,
) -> Result<Response, ApiError> {
    if !body.starts_with(b"%PDF-") {
        return Err(AppError::BadRequest("本文にPDFファイルを送ってください。".into()).into());
    }
    let report = verify::check_file(&st, &body).await?;
    Ok(axum::Json(report).into_response())
}

/// GET `/api/v1/verify/{code}`: the register's entry as JSON.
pub async fn api_verify_code(
    State(st): State<IssuanceState>,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    Ok(axum::Json(verify::by_code(&st, &code).await?).into_response())
}

#[derive(Template)]
#[template(path = "download_unavailable.html")]
struct Unavailable {
    message: String,
}

/// GET `/issuance/d/{token}`: the applicant's download link from the mail.
pub async fn download(
    State(st): State<IssuanceState>,
    Path(token): Path<String>,
) -> AppResult<Response> {
    let doc = crate::store::document_by(
        &st.ctx.db,
        crate::store::Lookup::DownloadToken,
        &token_hash(&token),
    )
    .await?;
    let expires: Option<i64> = match &doc {
        Some(d) => {
            sqlx::query_scalar("SELECT download_expires_at FROM issued_documents WHERE id = $1")
                .bind(d.id)
                .fetch_one(&st.ctx.db.read)
                .await?
        }
        None => None,
    };
    let message = match &doc {
        None => {
            Some("このリンクは無効です。文書が取り消されたか、リンクが誤っています。".to_string())
        }
        Some(d) if d.status != "valid" => Some(format!(
            "この文書（{}）は{}。",
            d.document_number,
            if d.status == "revoked" {
                "取り消されました"
            } else {
                "再交付により効力を失いました"
            }
        )),
        Some(_) if expires.is_some_and(|e| e < now_ms()) => {
            Some("ダウンロードの有効期限が切れました。担当所属にお問い合わせください。".to_string())
        }
        Some(_) => None,
    };
    if let Some(message) = message {
        let html = Unavailable { message }.render()?;
        return Ok((StatusCode::GONE, Html(html)).into_response());
    }
    let d = doc.expect("checked above");
    let bytes = st.ctx.storage.get(&d.object_key).await?;
    let name = format!("{}_{}.pdf", d.title, d.document_number);
    Ok(madoguchi_kernel::web::file_response(
        "application/pdf",
        &name,
        bytes,
        false,
    ))
}

/// POST `/issuance/tsa`: the built-in TSA (RFC 3161 over HTTP), when this installation has one.
pub async fn tsa(State(st): State<IssuanceState>, headers: HeaderMap, body: Bytes) -> Response {
    let is_query = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/timestamp-query"));
    if !is_query {
        return (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "application/timestamp-query expected",
        )
            .into_response();
    }
    let Ok(sealer) = st.sealer().await else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let Some(tsa) = sealer.builtin_tsa.clone() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    match tokio::task::spawn_blocking(move || tsa.respond(&body)).await {
        Ok(Ok(der)) => {
            ([(header::CONTENT_TYPE, "application/timestamp-reply")], der).into_response()
        }
        _ => (StatusCode::BAD_REQUEST, "malformed time-stamp request").into_response(),
    }
}
