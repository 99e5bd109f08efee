//! CSV export for Excel, streamed: rows go from the database cursor to the client in chunks, so exporting
//! 100,000 submissions holds a few hundred rows in memory at most.
//!
//! UTF-8 with BOM and CRLF by default; Shift_JIS (CP932) on request. Before a CP932 export starts, every cell
//! is checked: characters CP932 cannot hold (〜, 𠮷, IVS …) are reported by row and column, never replaced.
//! Every cell, the header's labels too, goes through `kernel::spreadsheet::SafeCsv`: cells starting with `=`,
//! `+`, `-`, `@`, tab or CR get a leading `'` so Excel does not run them as formulas (numbers in number parts
//! are left as they are).

use crate::forms_store::{all_versions, find_form};
use askama::Template;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use bytes::Bytes;
use madoguchi_forms::Column;
use madoguchi_kernel::spreadsheet::SafeCsv;
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

/// One submission as the export reads it (borrowed from its page, see [`Pages`]).
struct ExportRow<'a> {
    receipt: &'a str,
    status: &'a str,
    submitted_at: i64,
    version: i64,
    answers: &'a str,
}

/// Calls `f` with each cell of a row in column order, and whether it is in a number column, formatting every
/// cell into the one reused `cell` buffer (an export of 100,000 rows would otherwise allocate two million
/// strings). Cells are as stored: the writer ([`SafeCsv`]) neutralises them.
fn for_each_cell<E>(
    row: &ExportRow<'_>,
    columns: &[Column],
    cell: &mut String,
    mut f: impl FnMut(usize, &str, bool) -> Result<(), E>,
) -> Result<(), E> {
    use chrono::{Datelike, Timelike};
    use std::fmt::Write;
    f(0, row.receipt, false)?;
    let at = madoguchi_kernel::time::jst(row.submitted_at);
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
    f(1, cell, false)?;
    f(
        2,
        crate::submissions::Status::parse(row.status)
            .map(|s| s.label())
            .unwrap_or(row.status),
        false,
    )?;
    cell.clear();
    let _ = write!(cell, "{}", row.version);
    f(3, cell, true)?;
    let answers: Value = serde_json::from_str(row.answers).unwrap_or(Value::Null);
    for (i, c) in columns.iter().enumerate() {
        cell.clear();
        c.write_cell(&answers, cell);
        f(FIXED_HEADERS.len() + i, cell, c.type_name == "number")?;
    }
    Ok(())
}

/// Submissions read per query.
const PAGE_ROWS: i64 = 1000;
/// Separates the fields of a row, and rows, inside a page. Neither occurs in a receipt number, a status, a
/// number or JSON text (JSON escapes every control character inside strings).
const FIELD_SEP: char = '\u{1f}';
const ROW_SEP: char = '\u{1e}';

/// A page of submissions as one text value, in id order: `string_agg` (SQLite ≥ 3.44 and PostgreSQL alike)
/// joins the rows inside the database. Fetching rows one by one cost, per row, a hop between sqlx's SQLite
/// thread and the async task and three copies of every value: 40 % of the export's time (bench/RESULTS.md).
/// `{departments}` is the caller's readable departments as a condition on the submission's own department
/// (`StaffScope::readable_submissions_condition`): a form moved to another department keeps its past
/// submissions with the department they were made to.
const PAGE_SQL: &str = "SELECT string_agg(p.line, $5 ORDER BY p.id) AS page, MAX(p.id) AS last_id FROM (
       SELECT s.id, s.receipt_number || $4 || s.status || $4 || s.submitted_at || $4 || v.version || $4 || s.answers AS line
       FROM submissions s JOIN form_versions v ON v.id = s.form_version_id
       WHERE s.tenant_id = $1 AND s.form_id = $2 AND s.id > $3{departments} ORDER BY s.id LIMIT $6) p";

/// Reads a form's submissions page by page (keyset on the id), one page ahead of the caller: the database
/// reads the next page while the caller formats this one. At most three pages are in memory.
struct Pages {
    rx: tokio::sync::mpsc::Receiver<Result<String, sqlx::Error>>,
}

impl Pages {
    /// The pages of a form's submissions that `scope` may read.
    fn new(db: &Db, scope: &StaffScope, form_id: i64) -> Pages {
        let (tx, rx) = tokio::sync::mpsc::channel(1);
        let db = db.clone();
        let tenant_id = scope.tenant_id;
        let sql = PAGE_SQL.replace(
            "{departments}",
            &scope.readable_submissions_condition("s.department_id"),
        );
        tokio::spawn(async move {
            let mut after = 0;
            loop {
                let page = read_page(&db, &sql, tenant_id, form_id, after).await;
                let (page, last) = match page {
                    Ok(Some(p)) => p,
                    Ok(None) => return,
                    Err(e) => {
                        let _ = tx.send(Err(e)).await;
                        return;
                    }
                };
                after = last;
                if tx.send(Ok(page)).await.is_err() {
                    return; // the export was abandoned
                }
            }
        });
        Pages { rx }
    }

    /// The next page's text, `None` after the last.
    async fn next(&mut self) -> Result<Option<String>, sqlx::Error> {
        self.rx.recv().await.transpose()
    }
}

/// The page of submissions after id `after`, with the last id in it.
async fn read_page(
    db: &Db,
    sql: &str,
    tenant_id: i64,
    form_id: i64,
    after: i64,
) -> Result<Option<(String, i64)>, sqlx::Error> {
    let row = sqlx::query(sql)
        .bind(tenant_id)
        .bind(form_id)
        .bind(after)
        .bind(FIELD_SEP.to_string())
        .bind(ROW_SEP.to_string())
        .bind(PAGE_ROWS)
        .fetch_one(&db.read)
        .await?;
    let page: Option<String> = row.try_get("page")?;
    match page {
        Some(page) => Ok(Some((page, row.try_get("last_id")?))),
        None => Ok(None),
    }
}

/// The rows of a page.
fn rows_of(page: &str) -> impl Iterator<Item = Result<ExportRow<'_>, AppError>> {
    page.split(ROW_SEP).map(|line| {
        let mut f = line.splitn(5, FIELD_SEP);
        let mut next = || {
            f.next()
                .ok_or_else(|| anyhow::anyhow!("export row without all fields"))
        };
        let (receipt, status, at, version, answers) = (next()?, next()?, next()?, next()?, next()?);
        Ok(ExportRow {
            receipt,
            status,
            submitted_at: at.parse().map_err(anyhow::Error::from)?,
            version: version.parse().map_err(anyhow::Error::from)?,
            answers,
        })
    })
}

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
    scope: &StaffScope,
    form_id: i64,
    columns: &[Column],
) -> Result<Vec<Unmappable>, AppError> {
    let headers: Vec<String> = FIXED_HEADERS
        .iter()
        .map(|s| s.to_string())
        .chain(columns.iter().map(|c| c.header.clone()))
        .collect();
    let mut found = Vec::new();
    let mut pages = Pages::new(db, scope, form_id);
    let mut n = 1;
    let mut cell = String::new();
    'pages: while let Some(page) = pages.next().await? {
        for row in rows_of(&page) {
            n += 1;
            for_each_cell::<AppError>(&row?, columns, &mut cell, |i, text, _| {
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
                break 'pages;
            }
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
    let mut w = SafeCsv::new(Vec::new());
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
    if !crate::forms_store::FormActions::for_form(&scope, &form).export {
        return Err(AppError::Forbidden);
    }
    let versions = all_versions(&ctx.db, &scope, form_id).await?;
    let refs: Vec<(i64, &madoguchi_forms::FormDefinition)> =
        versions.iter().map(|(v, d)| (*v, d)).collect();
    let columns = madoguchi_forms::columns(&refs);
    let sjis = q.encoding.as_deref() == Some("sjis");
    if sjis {
        let problems = find_unmappable(&ctx.db, &scope, form_id, &columns).await?;
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
        madoguchi_kernel::audit::Action::Export,
        &format!("form:{form_id}"),
        if sjis { "Shift_JIS" } else { "UTF-8" },
    )
    .await?;
    let header: Vec<String> = FIXED_HEADERS
        .iter()
        .map(|s| s.to_string())
        .chain(columns.iter().map(|c| c.header.clone()))
        .collect();
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    // Started here, with the caller's scope, so the task reads only what the caller may read.
    let mut pages = Pages::new(&ctx.db, &scope, form_id);
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
        let writer = SafeCsv::new;
        let bom = if sjis {
            Vec::new()
        } else {
            b"\xEF\xBB\xBF".to_vec()
        };
        let mut out = writer(bom);
        // The header carries the form's labels, typed by staff: neutralised like every cell.
        let write = |out: &mut SafeCsv<Vec<u8>>, cells: &[String]| {
            out.write_record(cells).map_err(std::io::Error::other)
        };
        if let Err(e) = write(&mut out, &header) {
            let _ = tx.send(Err(e)).await;
            return;
        }
        let mut in_buf = 0;
        let mut cell = String::with_capacity(256);
        loop {
            let page = match pages.next().await {
                Ok(Some(page)) => page,
                Ok(None) => break,
                Err(e) => {
                    tracing::error!(error = %e, "export query failed");
                    let _ = tx.send(Err(std::io::Error::other(e))).await;
                    return;
                }
            };
            for row in rows_of(&page) {
                let written = row
                    .and_then(|row| {
                        for_each_cell::<AppError>(&row, &columns, &mut cell, |_, text, numeric| {
                            out.write_cell(text, numeric)
                                .map_err(|e| anyhow::Error::from(e).into())
                        })
                    })
                    .and_then(|()| out.end_record().map_err(|e| anyhow::Error::from(e).into()))
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
    let (file, fallback) = export_file_names(&form.title, form_id, madoguchi_kernel::now_ms());
    let mut resp = body.into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&format!("text/csv; charset={charset}")).unwrap(),
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        madoguchi_kernel::web::content_disposition(&file, &fallback, false),
    );
    Ok(resp)
}

/// Most characters of the form title in an export's file name.
const MAX_TITLE_IN_FILE_NAME: usize = 40;

/// A form title as part of a file name: characters that file systems refuse (`\\ / : * ? " < > |`), controls
/// and spaces become `_`, cut to [`MAX_TITLE_IN_FILE_NAME`] characters.
fn title_for_file_name(title: &str) -> String {
    title
        .trim()
        .chars()
        .map(|c| {
            if c.is_control() || c.is_whitespace() || "\\/:*?\"<>|".contains(c) {
                '_'
            } else {
                c
            }
        })
        .take(MAX_TITLE_IN_FILE_NAME)
        .collect()
}

/// The names of an export made at `now_ms`: `申請一覧_{title}_R8-12-03_1639.csv` in Japan time with the 和暦
/// (issue 24: the names showed UTC), and `form-{id}_R8-12-03_1639.csv` as the ASCII fallback.
pub fn export_file_names(title: &str, form_id: i64, now_ms: i64) -> (String, String) {
    let stamp = madoguchi_kernel::time::file_stamp(now_ms);
    let title = title_for_file_name(title);
    let name = if title.is_empty() {
        format!("申請一覧_{stamp}.csv")
    } else {
        format!("申請一覧_{title}_{stamp}.csv")
    };
    (name, format!("form-{form_id}_{stamp}.csv"))
}

/// GET `/staff/forms/{id}/codebook.csv`: what every export column means, across versions.
pub async fn codebook(
    State(ctx): State<Ctx>,
    scope: StaffScope,
    Path(form_id): Path<i64>,
) -> AppResult<Response> {
    let form = find_form(&ctx.db, &scope, form_id).await?;
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
    let mut resp = out.into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=UTF-8"),
    );
    let name = title_for_file_name(&form.title);
    h.insert(
        header::CONTENT_DISPOSITION,
        madoguchi_kernel::web::content_disposition(
            &format!("項目説明_{name}.csv"),
            &format!("form-{form_id}-codebook.csv"),
            false,
        ),
    );
    Ok(resp)
}
