//! Uploaded files: checked (size, type from content) and cleaned (photo metadata stripped) before storage,
//! all before a receipt number is given.

use bytes::Bytes;
use madoguchi_forms::{AttachmentLimits, FileRef, Lang};
use madoguchi_kernel::storage::{Spooled, StorageError};
use madoguchi_kernel::{AppError, Ctx, now_ms};

/// A file as received from the browser, spooled (in memory when small, in a temporary file otherwise) so
/// that a large upload is never held whole in memory.
pub struct Upload {
    /// Field name.
    pub field: String,
    /// File name given by the browser.
    pub file_name: String,
    /// Content.
    pub body: Spooled,
}

/// Why an upload was refused, said in the resident's language by [`UploadRefusal::text`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadRefusal {
    /// The file is empty.
    Empty,
    /// The form's total would be passed.
    Total,
    /// The type could not be told from the content.
    Unknown,
    /// A type the part does not take.
    Type,
}

impl UploadRefusal {
    /// The message naming the part (`label`, as the resident reads it); `detail` is the limit, the file name or
    /// the type. Every refusal has every language (no fallback arm).
    pub fn text(self, label: &str, detail: &str, lang: Lang) -> String {
        match (self, lang) {
            (UploadRefusal::Empty, Lang::Ja) => format!("{label}: 空のファイルは添付できません。"),
            (UploadRefusal::Empty, Lang::En) => format!("{label}: the file is empty."),
            (UploadRefusal::Empty, Lang::Easy) => {
                format!("{label}: なにも はいって いない ファイルは つけられません。")
            }
            (UploadRefusal::Total, Lang::Ja) => {
                format!("{label}: 添付ファイルの合計が上限（{detail}）を超えます。")
            }
            (UploadRefusal::Total, Lang::En) => {
                format!("{label}: the files together must be {detail} or smaller.")
            }
            (UploadRefusal::Total, Lang::Easy) => {
                format!("{label}: ファイルが おおきすぎます（ぜんぶで {detail} まで）。")
            }
            (UploadRefusal::Unknown, Lang::Ja) => format!(
                "{label}: ファイルの種類を確認できません（{detail}）。PDF・画像などを添付してください。"
            ),
            (UploadRefusal::Unknown, Lang::En) => format!(
                "{label}: we cannot tell what kind of file {detail} is. Attach a PDF or an image."
            ),
            (UploadRefusal::Unknown, Lang::Easy) => format!(
                "{label}: なんの ファイルか わかりません（{detail}）。PDF か しゃしんを つけて ください。"
            ),
            (UploadRefusal::Type, Lang::Ja) => {
                format!("{label}: この種類のファイル（{detail}）は添付できません。")
            }
            (UploadRefusal::Type, Lang::En) => {
                format!("{label}: files of this type ({detail}) cannot be attached.")
            }
            (UploadRefusal::Type, Lang::Easy) => {
                format!("{label}: この ファイル（{detail}）は つけられません。")
            }
        }
    }
}

/// Checks and stores an upload; `already` is the total size of files already attached to this form.
/// `photo` uploads must be JPEG or PNG; their GPS position is read and all other metadata removed. A refusal
/// names the part by `label` in `lang`.
pub async fn store_upload(
    ctx: &Ctx,
    limits: &AttachmentLimits,
    already: u64,
    upload: Upload,
    photo: bool,
    (label, lang): (&str, Lang),
) -> Result<FileRef, AppError> {
    let size = upload.body.len();
    if size == 0 {
        return Err(AppError::BadRequest(
            UploadRefusal::Empty.text(label, "", lang),
        ));
    }
    if already + size > limits.max_total_bytes {
        return Err(AppError::TooLarge(UploadRefusal::Total.text(
            label,
            &human_size(limits.max_total_bytes),
            lang,
        )));
    }
    let detected = infer::get(upload.body.head()).map(|t| t.mime_type().to_string());
    let Some(content_type) = detected else {
        return Err(AppError::BadRequest(UploadRefusal::Unknown.text(
            label,
            &upload.file_name,
            lang,
        )));
    };
    let allowed = if photo {
        matches!(content_type.as_str(), "image/jpeg" | "image/png")
    } else {
        limits.allowed_types.iter().any(|t| t == &content_type)
    };
    if !allowed {
        return Err(AppError::BadRequest(UploadRefusal::Type.text(
            label,
            &content_type,
            lang,
        )));
    }
    // Photos are rewritten in memory (their size is bounded by the form's limit, already checked); other
    // files stream from the spool to the store.
    let (body, gps) = if photo {
        let bytes = upload
            .body
            .to_bytes()
            .await
            .map_err(|e| AppError::Internal(e.into()))?;
        let (cleaned, gps) = clean_photo(bytes, &content_type);
        (Spooled::from_bytes(cleaned), gps)
    } else {
        (upload.body, None)
    };
    let id = madoguchi_kernel::ids::new_token();
    let name = sanitize_file_name(&upload.file_name);
    let sha = body.sha256().to_string();
    let stored_size = body.len();
    let key = format!("attachments/{id}");
    ctx.storage
        .put_spooled(&key, &body)
        .await
        .map_err(|e| unavailable(label, e))?;
    let registered = sqlx::query(
        "INSERT INTO attachments (id, file_name, content_type, size, sha256, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&id)
    .bind(&name)
    .bind(&content_type)
    .bind(stored_size as i64)
    .bind(sha)
    .bind(now_ms())
    .execute(&ctx.db.write)
    .await;
    if let Err(e) = registered {
        // No row names the object: remove it rather than leave it for no sweep to find.
        let _ = ctx.storage.delete(&key).await;
        return Err(e.into());
    }
    Ok(FileRef {
        id,
        name,
        size: stored_size,
        content_type,
        gps,
    })
}

/// A store failure while attaching, named by the field so the page shows it beside the file input.
fn unavailable(label: &str, e: StorageError) -> AppError {
    match AppError::from(e) {
        AppError::Unavailable(m) => AppError::Unavailable(format!("{label}: {m}")),
        other => other,
    }
}

/// Reads the GPS position and strips every other piece of metadata (camera, time, owner) from a photo.
fn clean_photo(bytes: Bytes, content_type: &str) -> (Bytes, Option<(f64, f64)>) {
    let gps = read_gps(&bytes);
    let cleaned = match content_type {
        "image/jpeg" => img_parts::jpeg::Jpeg::from_bytes(bytes.clone())
            .ok()
            .map(|mut j| {
                // Keep only the image and its colour profile (APP2/ICC); drop EXIF, XMP, comments.
                j.segments_mut().retain(|s| {
                    let m = s.marker();
                    !((0xE1..=0xEF).contains(&m) && m != 0xE2 || m == 0xFE)
                });
                j.encoder().bytes()
            }),
        "image/png" => img_parts::png::Png::from_bytes(bytes.clone())
            .ok()
            .map(|mut p| {
                p.chunks_mut().retain(|c| {
                    !matches!(&c.kind(), b"eXIf" | b"tEXt" | b"zTXt" | b"iTXt" | b"tIME")
                });
                p.encoder().bytes()
            }),
        _ => None,
    };
    (cleaned.unwrap_or(bytes), gps)
}

/// The GPS latitude/longitude in a photo's EXIF data, in degrees.
pub fn read_gps(bytes: &[u8]) -> Option<(f64, f64)> {
    use exif::{In, Tag, Value};
    let exif = exif::Reader::new()
        .read_from_container(&mut std::io::Cursor::new(bytes))
        .ok()?;
    let deg = |tag: Tag, reference: Tag, negative: &[u8]| -> Option<f64> {
        let field = exif.get_field(tag, In::PRIMARY)?;
        let Value::Rational(parts) = &field.value else {
            return None;
        };
        let [d, m, s] = parts.as_slice() else {
            return None;
        };
        let v = d.to_f64() + m.to_f64() / 60.0 + s.to_f64() / 3600.0;
        let r = exif.get_field(reference, In::PRIMARY)?;
        let neg = match &r.value {
            Value::Ascii(a) => a
                .first()
                .and_then(|x| x.first())
                .is_some_and(|c| negative.contains(c)),
            _ => false,
        };
        Some(if neg { -v } else { v })
    };
    let lat = deg(Tag::GPSLatitude, Tag::GPSLatitudeRef, b"S")?;
    let lon = deg(Tag::GPSLongitude, Tag::GPSLongitudeRef, b"W")?;
    ((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon)).then_some((lat, lon))
}

/// Keeps a file name displayable and harmless: no path, no control characters, at most 120 characters.
pub fn sanitize_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = base.chars().filter(|c| !c.is_control()).take(120).collect();
    if clean.trim().is_empty() {
        "file".into()
    } else {
        clean
    }
}

/// `10 MB` style sizes.
pub fn human_size(bytes: u64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.0} MB", bytes as f64 / (1024.0 * 1024.0))
    } else if bytes >= 1024 {
        format!("{:.0} KB", bytes as f64 / 1024.0)
    } else {
        format!("{bytes} バイト")
    }
}

/// Loads an attachment of a submission the caller may read: its name, type and a streamed body.
pub async fn load_for_staff(
    ctx: &Ctx,
    scope: &madoguchi_kernel::StaffScope,
    submission_id: i64,
    attachment_id: &str,
) -> Result<(String, String, axum::body::Body), AppError> {
    use sqlx::Row;
    let sub = crate::submissions::find_for_staff(&ctx.db, scope, submission_id).await?;
    let row = sqlx::query(
        "SELECT file_name, content_type FROM attachments WHERE id = $1 AND submission_id = $2",
    )
    .bind(attachment_id)
    .bind(sub.id)
    .fetch_optional(&ctx.db.read)
    .await?
    .ok_or(AppError::NotFound)?;
    let body = stream_attachment(ctx, attachment_id).await?;
    Ok((
        row.try_get("file_name")?,
        row.try_get("content_type")?,
        body,
    ))
}

/// The stored bytes of an attachment as a streamed response body (the caller has checked who may read it).
pub async fn stream_attachment(
    ctx: &Ctx,
    attachment_id: &str,
) -> Result<axum::body::Body, AppError> {
    let (_, stream) = ctx
        .storage
        .get_stream(&format!("attachments/{attachment_id}"))
        .await?;
    Ok(axum::body::Body::from_stream(stream))
}

#[cfg(test)]
mod tests {
    use super::*;
    use exif::experimental::Writer;
    use exif::{Field, In, Rational, Tag, Value};

    /// A JPEG with EXIF (camera model, GPS 33°33'34.9"N 133°31'52"E), a comment and an XMP segment.
    fn jpeg_with_metadata() -> Vec<u8> {
        let fields = [
            Field {
                tag: Tag::Model,
                ifd_num: In::PRIMARY,
                value: Value::Ascii(vec![b"SecretPhone 15".to_vec()]),
            },
            Field {
                tag: Tag::GPSLatitudeRef,
                ifd_num: In::PRIMARY,
                value: Value::Ascii(vec![b"N".to_vec()]),
            },
            Field {
                tag: Tag::GPSLatitude,
                ifd_num: In::PRIMARY,
                value: Value::Rational(vec![
                    Rational::from((33, 1)),
                    Rational::from((33, 1)),
                    Rational::from((349, 10)),
                ]),
            },
            Field {
                tag: Tag::GPSLongitudeRef,
                ifd_num: In::PRIMARY,
                value: Value::Ascii(vec![b"E".to_vec()]),
            },
            Field {
                tag: Tag::GPSLongitude,
                ifd_num: In::PRIMARY,
                value: Value::Rational(vec![
                    Rational::from((133, 1)),
                    Rational::from((31, 1)),
                    Rational::from((52, 1)),
                ]),
            },
        ];
        let mut w = Writer::new();
        for f in &fields {
            w.push_field(f);
        }
        let mut tiff = std::io::Cursor::new(Vec::new());
        w.write(&mut tiff, false).unwrap();
        let tiff = tiff.into_inner();
        let mut jpeg = vec![0xFF, 0xD8];
        let segment = |marker: u8, body: &[u8]| {
            let mut s = vec![0xFF, marker];
            s.extend(((body.len() + 2) as u16).to_be_bytes());
            s.extend(body);
            s
        };
        jpeg.extend(segment(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"));
        let mut app1 = b"Exif\0\0".to_vec();
        app1.extend(&tiff);
        jpeg.extend(segment(0xE1, &app1));
        jpeg.extend(segment(0xFE, b"owner: Taro Takasaki"));
        jpeg.extend(segment(0xDA, &[1, 1, 0, 0, 63, 0]));
        jpeg.extend([0x12, 0x34, 0x56, 0xFF, 0xD9]);
        jpeg
    }

    #[test]
    fn photo_gps_is_read_and_every_other_metadata_is_stripped() {
        let original = jpeg_with_metadata();
        let (lat, lon) = read_gps(&original).expect("GPS in EXIF");
        assert!((lat - 33.559_694).abs() < 1e-5, "{lat}");
        assert!((lon - 133.531_111).abs() < 1e-5, "{lon}");
        let (cleaned, gps) = clean_photo(Bytes::from(original.clone()), "image/jpeg");
        assert_eq!(gps, Some((lat, lon)));
        let has = |hay: &[u8], needle: &[u8]| hay.windows(needle.len()).any(|w| w == needle);
        assert!(has(&original, b"SecretPhone") && has(&original, b"Taro"));
        assert!(!has(&cleaned, b"SecretPhone"), "camera model removed");
        assert!(!has(&cleaned, b"Taro"), "comment removed");
        assert!(!has(&cleaned, b"Exif"), "EXIF removed");
        assert!(read_gps(&cleaned).is_none());
        assert!(
            has(&cleaned, b"JFIF") && cleaned.ends_with(&[0xFF, 0xD9]),
            "the image itself is kept"
        );
    }

    #[test]
    fn file_names_lose_paths_and_control_characters() {
        assert_eq!(
            sanitize_file_name("C:\\Users\\taro\\申請書.pdf"),
            "申請書.pdf"
        );
        assert_eq!(sanitize_file_name("../../etc/passwd"), "passwd");
        assert_eq!(sanitize_file_name("a\u{0}b\nc.pdf"), "abc.pdf");
        assert_eq!(sanitize_file_name(""), "file");
    }
}
