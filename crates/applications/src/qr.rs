//! Short URLs and QR codes for printed flyers (チラシ): every published form has `/f/{short}` and a QR code of that
//! URL as SVG and PNG.
//!
//! The short code is the form id in Crockford base32 followed by a Luhn mod 32 check character, so it needs no
//! table, is case-insensitive, survives the usual misreadings (O/0, I/L/1), and a mistyped character or two
//! swapped neighbours are refused instead of opening another form.

use crate::forms_store::find_published;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use madoguchi_kernel::{AppError, AppResult, Ctx, Db};
use qrcode::{EcLevel, QrCode};

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Luhn mod 32 over base32 digit values, rightmost first, doubling every other one starting with the first.
fn luhn_sum(values: impl DoubleEndedIterator<Item = u64>, double_first: bool) -> u64 {
    let mut double = double_first;
    let mut sum = 0;
    for v in values.rev() {
        let a = if double { v * 2 } else { v };
        sum += a / 32 + a % 32;
        double = !double;
    }
    sum
}

/// The short code of a form id.
pub fn short_code(form_id: i64) -> String {
    let mut n = form_id.max(0) as u64;
    let mut digits = Vec::new();
    loop {
        digits.push(ALPHABET[(n % 32) as usize]);
        n /= 32;
        if n == 0 {
            break;
        }
    }
    digits.reverse();
    let values = digits
        .iter()
        .map(|d| ALPHABET.iter().position(|a| a == d).unwrap_or(0) as u64);
    let check = (32 - luhn_sum(values, true) % 32) % 32;
    digits.push(ALPHABET[check as usize]);
    String::from_utf8(digits).expect("ASCII")
}

/// The form id of a short code, if the code is well-formed and its check character matches.
pub fn parse_short_code(code: &str) -> Option<i64> {
    let code = code.trim().to_ascii_uppercase();
    if code.len() < 2 || code.len() > 13 {
        return None;
    }
    let mut values = Vec::with_capacity(code.len());
    for c in code.chars() {
        let c = match c {
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        };
        values.push(ALPHABET.iter().position(|a| *a as char == c)? as u64);
    }
    if luhn_sum(values.iter().copied(), false) % 32 != 0 {
        return None;
    }
    let mut n: u64 = 0;
    for v in &values[..values.len() - 1] {
        n = n.checked_mul(32)?.checked_add(*v)?;
    }
    i64::try_from(n).ok()
}

/// Where a published form lives: its tenant's code and its slug.
async fn published_location(db: &Db, form_id: i64) -> Result<Option<(String, String)>, AppError> {
    Ok(sqlx::query_as(
        "SELECT t.code, f.slug FROM forms f JOIN tenants t ON t.id = f.tenant_id
         WHERE f.id = $1 AND f.current_version IS NOT NULL",
    )
    .bind(form_id)
    .fetch_optional(&db.read)
    .await?)
}

/// GET `/f/{short}`: redirects to the form.
pub async fn follow(State(ctx): State<Ctx>, Path(short): Path<String>) -> AppResult<Response> {
    let id = parse_short_code(&short).ok_or(AppError::NotFound)?;
    let (code, slug) = published_location(&ctx.db, id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(Redirect::to(&format!("/t/{code}/forms/{slug}")).into_response())
}

/// The absolute short URL of a form.
pub fn short_url(public_url: &str, form_id: i64) -> String {
    format!(
        "{}/f/{}",
        public_url.trim_end_matches('/'),
        short_code(form_id)
    )
}

fn qr_of(url: &str) -> Result<QrCode, AppError> {
    // Level M survives a little dirt or a fold on a printed flyer.
    QrCode::with_error_correction_level(url.as_bytes(), EcLevel::M)
        .map_err(|e| anyhow::anyhow!("QR code: {e}").into())
}

/// The QR code as SVG (scales without loss for print).
pub fn qr_svg(url: &str) -> Result<String, AppError> {
    Ok(qr_of(url)?
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(300, 300)
        .quiet_zone(true)
        .build())
}

/// The QR code as a black-and-white PNG, `module_px` pixels per module, with the standard 4-module quiet zone.
pub fn qr_png(url: &str, module_px: u32) -> Result<Vec<u8>, AppError> {
    let code = qr_of(url)?;
    let n = code.width() as u32;
    let colors = code.to_colors();
    let quiet = 4;
    let side = (n + 2 * quiet) * module_px;
    let mut pixels = vec![255u8; (side * side) as usize];
    for (i, c) in colors.iter().enumerate() {
        if *c == qrcode::Color::Dark {
            let (mx, my) = (i as u32 % n + quiet, i as u32 / n + quiet);
            for y in my * module_px..(my + 1) * module_px {
                let row = (y * side) as usize;
                pixels[row + (mx * module_px) as usize..row + ((mx + 1) * module_px) as usize]
                    .fill(0);
            }
        }
    }
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, side, side);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(png::BitDepth::Eight);
        let mut w = enc
            .write_header()
            .map_err(|e| anyhow::anyhow!("PNG: {e}"))?;
        w.write_image_data(&pixels)
            .map_err(|e| anyhow::anyhow!("PNG: {e}"))?;
    }
    Ok(out)
}

/// GET `/t/{code}/forms/{slug}/qr.svg`: the QR code of the form's short URL as SVG.
pub async fn qr_svg_file(
    State(ctx): State<Ctx>,
    Path((code, slug)): Path<(String, String)>,
) -> AppResult<Response> {
    let form = find_published(&ctx.db, &code, &slug).await?;
    let url = short_url(&ctx.config.public_url, form.form_id);
    Ok(image(
        &slug,
        "svg",
        "image/svg+xml",
        qr_svg(&url)?.into_bytes(),
    ))
}

/// GET `/t/{code}/forms/{slug}/qr.png`: the QR code of the form's short URL as PNG (10 px per module).
pub async fn qr_png_file(
    State(ctx): State<Ctx>,
    Path((code, slug)): Path<(String, String)>,
) -> AppResult<Response> {
    let form = find_published(&ctx.db, &code, &slug).await?;
    let url = short_url(&ctx.config.public_url, form.form_id);
    Ok(image(&slug, "png", "image/png", qr_png(&url, 10)?))
}

fn image(slug: &str, ext: &str, content_type: &'static str, body: Vec<u8>) -> Response {
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (header::CACHE_CONTROL, "public, max-age=3600".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{slug}-qr.{ext}\""),
            ),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_codes_round_trip_and_refuse_typos() {
        for id in [0, 1, 31, 32, 37, 999, 123_456, 9_999_999] {
            let c = short_code(id);
            assert_eq!(parse_short_code(&c), Some(id), "{c}");
            assert_eq!(parse_short_code(&c.to_lowercase()), Some(id), "{c}");
        }
        // Every single changed character, and every swap of two different neighbours, is refused.
        for id in [37, 999, 123_456, 9_999_999] {
            let c = short_code(id).into_bytes();
            for i in 0..c.len() {
                for a in ALPHABET {
                    if *a != c[i] {
                        let mut w = c.clone();
                        w[i] = *a;
                        assert_eq!(parse_short_code(std::str::from_utf8(&w).unwrap()), None);
                    }
                }
                if i + 1 < c.len() && c[i] != c[i + 1] {
                    let mut w = c.clone();
                    w.swap(i, i + 1);
                    let w = String::from_utf8(w).unwrap();
                    assert_eq!(parse_short_code(&w), None, "{w}");
                }
            }
        }
        // O and I read as 0 and 1.
        assert_eq!(parse_short_code(&short_code(1).replace('1', "I")), Some(1));
        assert_eq!(parse_short_code(""), None);
        assert_eq!(parse_short_code("!"), None);
        assert_eq!(parse_short_code("ZZZZZZZZZZZZZZZZZZZZ0"), None);
        assert_eq!(parse_short_code("ZZZZZZZZZZZZ0"), None);
    }

    #[test]
    fn png_has_quiet_zone_and_dark_modules() {
        let png = qr_png("http://127.0.0.1:8080/f/1Z", 4).unwrap();
        let decoder = png::Decoder::new(std::io::Cursor::new(png));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!(info.width, info.height);
        // Corner pixel is in the quiet zone (white); the finder pattern starts 4 modules in (black).
        assert_eq!(buf[0], 255);
        let at = |x: u32, y: u32| buf[(y * info.width + x) as usize];
        assert_eq!(at(16, 16), 0);
        assert!(buf.iter().filter(|p| **p == 0).count() > 100);
    }
}
