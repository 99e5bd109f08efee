//! CSV export for Excel, streamed: rows go from the database cursor to the client in chunks, so exporting
//! 100,000 submissions holds a few hundred rows in memory at most.
//!
//! UTF-8 with BOM and CRLF by default; Shift_JIS (CP932) on request. Before a CP932 export starts, every cell
//! is checked: characters CP932 cannot hold (〜, 𠮷, IVS …) are reported by row and column, never replaced.
//! Cells starting with `=`, `+`, `-`, `@`, tab or CR get a leading `'` so Excel does not run them as formulas
//! (numbers in number parts are left as they are).

use crate::forms_store::{all_versions, find_form};
use askama::Template;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use bytes::Bytes;
use futures::TryStreamExt;
use madoguchi_forms::Column;
use madoguchi_kernel::{AppError, AppResult, Ctx, Db, StaffScope};
use serde::Deserialize;
use serde_json::Value;
use sqlx::Row;

/// Export options.
#[derive(Deserialize, Default)]
pub struct ExportQuery {
    /// `sjis` for Shift_JIS (CP932); UTF-8 otherwise.
    #[serde(default)]
    encoding: Option<String>,
}

const FIXED_HEADERS: [&str; 4] = ["受付番号", "受付日時", "状態", "フォームの版"];
const ROWS_PER_CHUNK: usize = 500;

/// Makes a cell safe to open in a spreadsheet.
pub fn neutralize(mut cell: String, numeric_column: bool) -> String {
    neutralize_in_place(&mut cell, numeric_column);
    cell
}

/// Calls `f` with each cell of a row in column order, formatting every cell into the one reused `cell` buffer
/// (an export of 100,000 rows would otherwise allocate two million strings).
fn for_each_cell<E: From<sqlx::Error>>(
    row: &sqlx::any::AnyRow,
    columns: &[Column],
    cell: &mut String,
    mut f: impl FnMut(usize, &str) -> Result<(), E>,
) -> Result<(), E> {
    use chrono::{Datelike, Timelike};
    use std::fmt::Write;
    let receipt: &str = row.try_get(0)?;
    f(0, receipt)?;
    let at = madoguchi_kernel::time::jst(row.try_get(2)?);
    cell.clear();
    let _ = write!(
        cell,
        "{:04}-{:02}-{:02} {:02}:{:02}",
        at.year(),
        at.month(),
        at.day(),
        at.hour(),
        at.minute()
    );
    f(1, cell)?;
    let status: &str = row.try_get(1)?;
    f(
        2,
        crate::submissions::Status::parse(status)
            .map(|s| s.label())
            .unwrap_or(status),
    )?;
    cell.clear();
    let _ = write!(cell, "{}", row.try_get::<i64, _>(4)?);
    f(3, cell)?;
    let answers: &str = row.try_get(3)?;
    let answers: Value = serde_json::from_str(answers).unwrap_or(Value::Null);
    for (i, c) in columns.iter().enumerate() {
        cell.clear();
        c.write_cell(&answers, cell);
        neutralize_in_place(cell, c.type_name == "number");
        f(FIXED_HEADERS.len() + i, cell)?;
    }
    Ok(())
}

/// [`neutralize`] without a new string.
fn neutralize_in_place(cell: &mut String, numeric_column: bool) {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && !(numeric_column && cell.parse::<f64>().is_ok()) {
        cell.insert(0, '\'');
    }
}

const EXPORT_SQL: &str = "SELECT s.receipt_number, s.status, s.submitted_at, s.answers, v.version
     FROM submissions s JOIN form_versions v ON v.id = s.form_version_id
     WHERE s.tenant_id = $1 AND s.form_id = $2 ORDER BY s.id";

/// A cell CP932 cannot hold.
pub struct Unmappable {
    /// 1-based data row (header is row 1, so the first submission is row 2).
    pub row: usize,
    /// Column header.
    pub column: String,
    /// The characters.
    pub chars: String,
}

async fn find_unmappable(
    db: &Db,
    tenant_id: i64,
    form_id: i64,
    columns: &[Column],
) -> Result<Vec<Unmappable>, AppError> {
    let headers: Vec<String> = FIXED_HEADERS
        .iter()
        .map(|s| s.to_string())
        .chain(columns.iter().map(|c| c.header.clone()))
        .collect();
    let mut found = Vec::new();
    let mut rows = sqlx::query(EXPORT_SQL)
        .bind(tenant_id)
        .bind(form_id)
        .fetch(&db.read);
    let mut n = 1;
    let mut cell = String::new();
    while let Some(row) = rows.try_next().await? {
        n += 1;
        for_each_cell::<AppError>(&row, columns, &mut cell, |i, text| {
            let bad = madoguchi_japanese::encoding::cp932_unmappable(text);
            if !bad.is_empty() {
                found.push(Unmappable {
                    row: n,
                    column: headers[i].clone(),
                    chars: bad
                        .iter()
                        .map(|c| describe_char(*c))
                        .collect::<Vec<_>>()
                        .join(" "),
                });
            }
            Ok(())
        })?;
        if found.len() >= 200 {
            break;
        }
    }
    Ok(found)
}

fn describe_char(c: char) -> String {
    if matches!(c as u32, 0xFE00..=0xFE0F | 0xE0100..=0xE01EF) {
        format!("異体字セレクタ(U+{:04X})", c as u32)
    } else {
        format!("「{c}」(U+{:04X})", c as u32)
    }
}

#[derive(Template)]
#[template(path = "export_problems.html")]
struct ProblemsPage<'a> {
    scope: &'a StaffScope,
    csrf: String,
    title: String,
    form_id: i64,
    problems: Vec<Unmappable>,
}

fn csv_line(cells: &[String]) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    w.write_record(cells).expect("writing to memory");
    w.into_inner().expect("flushing to memory")
}

/// GET `/staff/forms/{id}/export.csv`.
pub async fn export_csv(
    State(ctx): State<Ctx>,
    scope: StaffScope,
    Path(form_id): Path<i64>,
    Query(q): Query<ExportQuery>,
    headers: axum::http::HeaderMap,
) -> AppResult<Response> {
    let form = find_form(&ctx.db, &scope, form_id).await?;
    if !scope.can_read_submissions_of(form.department_id) {
        return Err(AppError::Forbidden);
    }
    let versions = all_versions(&ctx.db, &scope, form_id).await?;
    let refs: Vec<(i64, &madoguchi_forms::FormDefinition)> =
        versions.iter().map(|(v, d)| (*v, d)).collect();
    let columns = madoguchi_forms::columns(&refs);
    let sjis = q.encoding.as_deref() == Some("sjis");
    if sjis {
        let problems = find_unmappable(&ctx.db, scope.tenant_id, form_id, &columns).await?;
        if !problems.is_empty() {
            let (csrf, _) =
                madoguchi_kernel::web::csrf_token(&headers, ctx.config.secure_cookies());
            let page = ProblemsPage {
                scope: &scope,
                csrf,
                title: form.title.clone(),
                form_id,
                problems,
            };
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response());
        }
    }
    madoguchi_kernel::audit::record(
        &ctx.db,
        &scope,
        "export",
        &format!("form:{form_id}"),
        if sjis { "csv shift_jis" } else { "csv utf-8" },
    )
    .await?;
    let header: Vec<String> = FIXED_HEADERS
        .iter()
        .map(|s| s.to_string())
        .chain(columns.iter().map(|c| c.header.clone()))
        .collect();
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    let db = ctx.db.clone();
    let tenant_id = scope.tenant_id;
    tokio::spawn(async move {
        let encode = |text: Vec<u8>| -> Result<Bytes, std::io::Error> {
            if sjis {
                let s = String::from_utf8(text).map_err(std::io::Error::other)?;
                madoguchi_japanese::encoding::encode_cp932(&s)
                    .map(Bytes::from)
                    .map_err(|e| {
                        std::io::Error::other(format!("CP932に変換できない文字: {}", e.ch))
                    })
            } else {
                Ok(Bytes::from(text))
            }
        };
        // One writer per chunk of ROWS_PER_CHUNK rows (a writer per row cost more than the rows).
        let writer = |start: Vec<u8>| {
            csv::WriterBuilder::new()
                .terminator(csv::Terminator::CRLF)
                .from_writer(start)
        };
        let bom = if sjis {
            Vec::new()
        } else {
            b"\xEF\xBB\xBF".to_vec()
        };
        let mut out = writer(bom);
        let write = |out: &mut csv::Writer<Vec<u8>>, cells: &[String]| {
            out.write_record(cells).map_err(std::io::Error::other)
        };
        if let Err(e) = write(&mut out, &header) {
            let _ = tx.send(Err(e)).await;
            return;
        }
        let mut rows = sqlx::query(EXPORT_SQL)
            .bind(tenant_id)
            .bind(form_id)
            .fetch(&db.read);
        let mut in_buf = 0;
        let mut cell = String::with_capacity(256);
        loop {
            let row = match rows.try_next().await {
                Ok(Some(row)) => row,
                Ok(None) => break,
                Err(e) => {
                    tracing::error!(error = %e, "export query failed");
                    let _ = tx.send(Err(std::io::Error::other(e))).await;
                    return;
                }
            };
            let written = for_each_cell::<AppError>(&row, &columns, &mut cell, |_, text| {
                out.write_field(text)
                    .map_err(|e| anyhow::Error::from(e).into())
            })
            .and_then(|()| {
                out.write_record(None::<&[u8]>)
                    .map_err(|e| anyhow::Error::from(e).into())
            })
            .map_err(|e| std::io::Error::other(e.to_string()));
            if let Err(e) = written {
                let _ = tx.send(Err(e)).await;
                return;
            }
            in_buf += 1;
            if in_buf >= ROWS_PER_CHUNK {
                in_buf = 0;
                let full = std::mem::replace(&mut out, writer(Vec::with_capacity(256 * 1024)));
                let chunk = full
                    .into_inner()
                    .map_err(|e| std::io::Error::other(e.to_string()))
                    .and_then(encode);
                let failed = chunk.is_err();
                if tx.send(chunk).await.is_err() || failed {
                    return;
                }
            }
        }
        let buf = match out.into_inner() {
            Ok(b) => b,
            Err(e) => {
                let _ = tx.send(Err(std::io::Error::other(e.to_string()))).await;
                return;
            }
        };
        let _ = tx.send(encode(buf)).await;
    });
    let body = Body::from_stream(tokio_stream::wrappers::ReceiverStream::new(rx));
    let charset = if sjis { "Shift_JIS" } else { "UTF-8" };
    let file = format!(
        "form-{form_id}-{}.csv",
        chrono::Utc::now().format("%Y%m%d%H%M")
    );
    let mut resp = body.into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&format!("text/csv; charset={charset}")).unwrap(),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&format!("attachment; filename=\"{file}\"")).unwrap(),
    );
    Ok(resp)
}

/// GET `/staff/forms/{id}/codebook.csv`: what every export column means, across versions.
pub async fn codebook(
    State(ctx): State<Ctx>,
    scope: StaffScope,
    Path(form_id): Path<i64>,
) -> AppResult<Response> {
    let _form = find_form(&ctx.db, &scope, form_id).await?;
    let versions = all_versions(&ctx.db, &scope, form_id).await?;
    let refs: Vec<(i64, &madoguchi_forms::FormDefinition)> =
        versions.iter().map(|(v, d)| (*v, d)).collect();
    let columns = madoguchi_forms::columns(&refs);
    let mut out = b"\xEF\xBB\xBF".to_vec();
    out.extend(csv_line(
        &[
            "列名",
            "見出し",
            "種類",
            "選択肢（値=表示）",
            "含まれる版",
            "説明",
        ]
        .map(String::from),
    ));
    for (id, h, note) in [
        ("receipt_number", "受付番号", "申請ごとに一意の番号"),
        ("submitted_at", "受付日時", "日本時間（YYYY-MM-DD HH:MM）"),
        ("status", "状態", "受付・審査中・差戻し・承認・却下・完了"),
        ("version", "フォームの版", "申請時のフォームの版"),
    ] {
        out.extend(csv_line(
            &[id, h, "固定", "", "すべて", note].map(String::from),
        ));
    }
    for c in &columns {
        let choices = c
            .choices
            .iter()
            .map(|(v, l)| format!("{v}={l}"))
            .collect::<Vec<_>>()
            .join("; ");
        let note = match c.type_name {
            "checkboxes" => "選択した項目を「; 」区切りで1セルに出力",
            "file" => "添付ファイル名を「; 」区切りで出力",
            "group" => "繰り返し項目の件数（各件は[n]の列に出力）",
            _ if c.id.contains('[') => "繰り返し項目のn件目",
            _ => "",
        };
        let versions = c
            .versions
            .iter()
            .map(|v| format!("第{v}版"))
            .collect::<Vec<_>>()
            .join("・");
        out.extend(csv_line(&[
            c.id.clone(),
            c.header.clone(),
            c.type_name.into(),
            choices,
            versions,
            note.into(),
        ]));
    }
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=UTF-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"form-{form_id}-codebook.csv\""),
            ),
        ],
        out,
    )
        .into_response())
}
