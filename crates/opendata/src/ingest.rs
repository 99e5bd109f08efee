//! Uploading a resource file: one path for the staff pages and the API's `resource_create`.
//!
//! A CSV of a standard dataset is validated against its layout first: errors refuse the upload (nothing is
//! stored), warnings are allowed. A CP932 (Shift_JIS) file is kept as the original and published as ONE
//! resource whose file is a UTF-8 copy, linking the original (`original_url` in the API, a link on the
//! resource page; ADR 0028), so that data users and programs get UTF-8 while nothing of the original is lost.

use crate::index::Doc;
use crate::store::{self, OdError, ResourceInput};
use crate::validate::{Report, validate_bytes};
use bytes::Bytes;
use madoguchi_kernel::Ctx;

/// Largest upload accepted.
pub const MAX_UPLOAD: usize = 64 * 1024 * 1024;

/// A file as uploaded.
#[derive(Debug, Clone)]
pub struct Upload {
    /// File name from the browser or client.
    pub file_name: String,
    /// Content.
    pub bytes: Bytes,
    /// Resource name (defaults to the file name).
    pub name: String,
    /// Description.
    pub description: String,
    /// Format (guessed from the extension when empty).
    pub format: String,
}

/// What happened to an upload.
#[derive(Debug)]
pub enum Ingested {
    /// Refused: the report has errors; nothing was stored.
    Refused(Report),
    /// Stored: the id of the (original) resource, its state and the report when it was validated.
    Stored {
        /// Resource id (the original when a UTF-8 copy was made).
        id: String,
        /// Id of the UTF-8 copy of a CP932 original.
        copy_id: Option<String>,
        /// active | draft.
        state: String,
        /// Validation report of a standard dataset.
        report: Option<Report>,
    },
}

/// An object key segment for a file name: ASCII only (the name itself is kept in the database for downloads).
fn key_name(file_name: &str) -> String {
    file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Guesses a format from a file name.
pub fn format_of(file_name: &str) -> String {
    let ext = file_name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "csv" => "CSV",
        "xlsx" => "XLSX",
        "xls" => "XLS",
        "json" => "JSON",
        "geojson" => "GeoJSON",
        "pdf" => "PDF",
        "zip" => "ZIP",
        "txt" => "TXT",
        "xml" => "XML",
        _ => "",
    }
    .to_string()
}

fn mimetype_of(format: &str) -> &'static str {
    match format.to_ascii_uppercase().as_str() {
        "CSV" => "text/csv",
        "XLSX" => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "XLS" => "application/vnd.ms-excel",
        "JSON" => "application/json",
        "GEOJSON" => "application/geo+json",
        "PDF" => "application/pdf",
        "ZIP" => "application/zip",
        "XML" => "application/xml",
        _ => "application/octet-stream",
    }
}

/// Keeps a file name safe as an object key segment and URL part.
pub fn safe_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .map(|c| {
            if c.is_control() || "\"<>|:*?#%&".contains(c) {
                '_'
            } else {
                c
            }
        })
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').to_string();
    if cleaned.is_empty() {
        "file".into()
    } else {
        cleaned
    }
}

/// Validates (for a standard dataset) and stores an upload in a tenant's dataset.
///
/// `publish_with_warnings`: a file with warnings goes public at once (the API, or a staff member who
/// accepted them); otherwise it waits as a draft for the staff member's decision.
pub async fn ingest(
    ctx: &Ctx,
    tenant_id: i64,
    dataset: &Doc,
    mut up: Upload,
    publish_with_warnings: bool,
) -> Result<Ingested, OdError> {
    if dataset.ds.tenant_id != tenant_id {
        return Err(OdError::NotFound(dataset.ds.id.clone()));
    }
    up.file_name = safe_file_name(&up.file_name);
    if up.bytes.is_empty() {
        return Err(OdError::field("upload", "ファイルが空です"));
    }
    if up.format.trim().is_empty() {
        up.format = format_of(&up.file_name);
    }
    if up.name.trim().is_empty() {
        up.name = up.file_name.clone();
    }
    let is_csv = up.format.eq_ignore_ascii_case("csv");
    let layout = dataset
        .ds
        .standard_type
        .as_deref()
        .and_then(crate::layout::find);
    let (report, encoding, utf8) = if is_csv {
        let bytes = up.bytes.clone();
        let layout2 = layout.clone();
        let (report, text, encoding) = tokio::task::spawn_blocking(move || match layout2 {
            Some(l) => {
                let (r, t) = validate_bytes(&bytes, &l);
                let enc = r.encoding;
                (Some(r), t, enc)
            }
            None => {
                let (t, enc) = madoguchi_japanese::encoding::decode_cp932_or_utf8(&bytes);
                (None, t, enc)
            }
        })
        .await
        .map_err(anyhow::Error::from)?;
        (report, encoding, Some(text))
    } else {
        (None, "", None)
    };
    if let Some(r) = &report
        && !r.publishable()
    {
        return Ok(Ingested::Refused(report.unwrap()));
    }
    let warnings = report.as_ref().map_or(0, |r| r.warnings as i64);
    let state = if warnings > 0 && !publish_with_warnings {
        "draft"
    } else {
        "active"
    };
    let report_json = report
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(anyhow::Error::from)?;
    let id = store::new_uuid();
    let key = format!(
        "opendata/{}/{}/{}",
        dataset.ds.id,
        id,
        key_name(&up.file_name)
    );
    ctx.storage
        .put(&key, up.bytes.clone())
        .await
        .map_err(anyhow::Error::from)?;
    let original = ResourceInput {
        name: up.name.clone(),
        description: up.description.clone(),
        format: up.format.to_uppercase(),
        mimetype: mimetype_of(&up.format).into(),
        url: String::new(),
        storage_key: Some(key),
        file_name: up.file_name.clone(),
        size: Some(up.bytes.len() as i64),
        hash: madoguchi_kernel::ids::sha256_hex(&up.bytes),
        encoding: encoding.into(),
        original_id: None,
        state: state.into(),
        report: report_json.clone(),
        errors: 0,
        warnings,
    };
    let mut inputs = vec![(id.clone(), original)];
    let mut copy_id = None;
    if encoding == "Shift_JIS"
        && let Some(text) = utf8
    {
        let cid = store::new_uuid();
        let stem = up
            .file_name
            .rsplit_once('.')
            .map_or(up.file_name.as_str(), |(s, _)| s);
        let file_name = format!("{stem}_utf8.csv");
        let key = format!(
            "opendata/{}/{}/{}",
            dataset.ds.id,
            cid,
            key_name(&file_name)
        );
        let bytes = Bytes::from(text.into_bytes());
        ctx.storage
            .put(&key, bytes.clone())
            .await
            .map_err(anyhow::Error::from)?;
        inputs.push((
            cid.clone(),
            ResourceInput {
                name: up.name.clone(),
                description: up.description.clone(),
                format: "CSV".into(),
                mimetype: "text/csv".into(),
                url: String::new(),
                storage_key: Some(key),
                file_name,
                size: Some(bytes.len() as i64),
                hash: madoguchi_kernel::ids::sha256_hex(&bytes),
                encoding: "UTF-8".into(),
                original_id: Some(id.clone()),
                state: state.into(),
                report: report_json,
                errors: 0,
                warnings,
            },
        ));
        copy_id = Some(cid);
    }
    store::add_resources(&ctx.db, tenant_id, &dataset.ds.id, inputs).await?;
    Ok(Ingested::Stored {
        id,
        copy_id,
        state: state.into(),
        report,
    })
}
