//! Drawing a permit (許可書・証明書・決定通知書) on an A4 page with krilla: the layout is ours (ADR 0015), the
//! fonts are embedded and subset by krilla, text stays extractable (`pdftotext` gives back the names).

use crate::fonts::FontSet;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect, Size, Transform};
use krilla::image::Image;
use krilla::metadata::Metadata;
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::text::{GlyphId, KrillaGlyph};
use krilla::{Document, SerializeSettings};
use std::collections::HashMap;

/// A4 in points.
const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const MARGIN: f32 = 64.0;

/// The seal (電子印影) placed over the issuer's name.
#[derive(Clone, Debug)]
pub enum Seal {
    /// An uploaded PNG (transparent background), drawn as is.
    Png(Vec<u8>),
    /// No image: a square red seal drawn from this text (e.g. 高知県知事之印), up to 9 characters.
    Drawn(String),
}

/// Everything printed on one document.
#[derive(Clone, Debug)]
pub struct Content {
    /// Title, e.g. 飲食店営業許可書.
    pub title: String,
    /// Document number, e.g. 高知県指令第12号.
    pub number: String,
    /// Issue date in 和暦, e.g. 令和8年11月23日.
    pub date: String,
    /// The applicant's address and name lines (the last one gets 様).
    pub recipient: Vec<String>,
    /// The body text before the table.
    pub preamble: String,
    /// Label and value rows taken from the submission.
    pub fields: Vec<(String, String)>,
    /// Conditions (条件), empty for none.
    pub conditions: String,
    /// The issuer's title, e.g. 高知県知事.
    pub issuer_title: String,
    /// The issuer's name.
    pub issuer_name: String,
    /// The seal.
    pub seal: Seal,
    /// Where to verify (printed and encoded in the QR code).
    pub verify_url: String,
    /// The verification code (printed).
    pub verify_code: String,
    /// SHA-256 of the document's data (printed, shortened), also kept in the register.
    pub content_hash: String,
    /// A preview: marked 見本 across the page and never signed.
    pub sample: bool,
}

/// Renders the document; fails if a seal image cannot be read.
pub fn render(content: &Content, fonts: &FontSet) -> anyhow::Result<Vec<u8>> {
    let settings = SerializeSettings::default();
    let mut document = Document::new_with(settings);
    document.set_metadata(
        Metadata::new()
            .title(format!("{} {}", content.title, content.number))
            .language("ja".into())
            .creator("madoguchi".into())
            .producer("madoguchi (krilla)".into()),
    );
    let faces = fonts.faces();
    anyhow::ensure!(!faces.is_empty(), "no usable font");
    {
        let mut page =
            document.start_page_with(PageSettings::from_wh(PAGE_W, PAGE_H).expect("A4 size"));
        let mut surface = page.surface();
        let mut pen = Pen {
            fonts,
            faces: &faces,
            widths: HashMap::new(),
        };
        draw(&mut surface, &mut pen, content)?;
        surface.finish();
        page.finish();
    }
    document
        .finish()
        .map_err(|e| anyhow::anyhow!("PDF export failed: {e:?}"))
}

fn black() -> Fill {
    Fill::default()
}

fn red() -> rgb::Color {
    rgb::Color::new(200, 30, 30)
}

fn draw(s: &mut Surface<'_>, pen: &mut Pen<'_>, c: &Content) -> anyhow::Result<()> {
    let right = PAGE_W - MARGIN;
    let width = PAGE_W - 2.0 * MARGIN;
    s.set_fill(Some(black()));
    let mut y = MARGIN + 12.0;
    pen.draw_right(s, right, y, &c.number, 11.0);
    y += 18.0;
    pen.draw_right(s, right, y, &c.date, 11.0);
    y += 34.0;
    for (i, line) in c.recipient.iter().enumerate() {
        let last = i + 1 == c.recipient.len();
        let text = if last {
            format!("{line}　様")
        } else {
            line.clone()
        };
        let size = if last { 14.0 } else { 11.0 };
        y = pen.draw_wrapped(s, MARGIN, y, width, &text, size, size * 1.7);
    }
    y += 30.0;
    let title_size = 22.0;
    let tw = pen.measure(&c.title, title_size);
    pen.draw_line(s, (PAGE_W - tw) / 2.0, y, &c.title, title_size);
    y += 40.0;
    if !c.preamble.is_empty() {
        y = pen.draw_wrapped(s, MARGIN, y, width, &c.preamble, 11.0, 20.0);
        y += 10.0;
    }
    // The decision's fields as a ruled table.
    let label_w = 130.0;
    let size = 11.0;
    for (label, value) in &c.fields {
        let lines_label = pen.wrap(label, label_w - 12.0, size);
        let lines_value = pen.wrap(value, width - label_w - 12.0, size);
        let rows = lines_label.len().max(lines_value.len()).max(1) as f32;
        let h = rows * 18.0 + 10.0;
        rect_stroke(s, MARGIN, y, label_w, h);
        rect_stroke(s, MARGIN + label_w, y, width - label_w, h);
        for (i, l) in lines_label.iter().enumerate() {
            pen.draw_line(s, MARGIN + 6.0, y + 18.0 + i as f32 * 18.0, l, size);
        }
        for (i, l) in lines_value.iter().enumerate() {
            pen.draw_line(
                s,
                MARGIN + label_w + 6.0,
                y + 18.0 + i as f32 * 18.0,
                l,
                size,
            );
        }
        y += h;
    }
    y += 22.0;
    if !c.conditions.trim().is_empty() {
        pen.draw_line(s, MARGIN, y, "条件", 12.0);
        y += 20.0;
        y = pen.draw_wrapped(s, MARGIN + 12.0, y, width - 12.0, &c.conditions, 10.5, 18.0);
    }
    // The issuer, bottom right, with the seal over the end of the name.
    let issuer_y = y.max(PAGE_H - 230.0) + 30.0;
    let issuer = format!("{}　{}", c.issuer_title, c.issuer_name);
    let iw = pen.measure(&issuer, 14.0);
    let ix = right - iw - 40.0;
    pen.draw_line(s, ix, issuer_y, &issuer, 14.0);
    let seal_size = 58.0;
    let sx = right - seal_size + 4.0;
    let sy = issuer_y - seal_size / 2.0 - 6.0;
    draw_seal(s, pen, &c.seal, sx, sy, seal_size)?;
    // The verification block at the foot: QR code, code and content hash.
    let qr_size = 78.0;
    let qy = PAGE_H - MARGIN - qr_size;
    draw_qr(s, &c.verify_url, MARGIN, qy, qr_size)?;
    s.set_fill(Some(black()));
    let tx = MARGIN + qr_size + 12.0;
    pen.draw_line(
        s,
        tx,
        qy + 14.0,
        "この文書は電子署名とタイムスタンプ付きで交付されています。",
        9.0,
    );
    pen.draw_line(
        s,
        tx,
        qy + 30.0,
        &format!("検証コード　{}", c.verify_code),
        9.0,
    );
    let short = &c.content_hash[..c.content_hash.len().min(32)];
    pen.draw_line(s, tx, qy + 46.0, &format!("内容ハッシュ　{short}"), 9.0);
    pen.draw_line(
        s,
        tx,
        qy + 62.0,
        &format!("検証ページ　{}", c.verify_url),
        8.0,
    );
    if c.sample {
        s.set_fill(Some(Fill {
            paint: red().into(),
            opacity: NormalizedF32::new(0.25).expect("in range"),
            rule: Default::default(),
        }));
        s.push_transform(&Transform::from_rotate_at(
            -30.0,
            PAGE_W / 2.0,
            PAGE_H / 2.0,
        ));
        let w = pen.measure("見本", 160.0);
        pen.draw_line(s, (PAGE_W - w) / 2.0, PAGE_H / 2.0 + 60.0, "見本", 160.0);
        s.pop();
        s.set_fill(Some(black()));
    }
    Ok(())
}

fn rect_stroke(s: &mut Surface<'_>, x: f32, y: f32, w: f32, h: f32) {
    let mut pb = PathBuilder::new();
    pb.push_rect(Rect::from_xywh(x, y, w, h).expect("positive rect"));
    let path = pb.finish().expect("rect path");
    s.set_fill(None);
    s.set_stroke(Some(Stroke {
        width: 0.7,
        ..Default::default()
    }));
    s.draw_path(&path);
    s.set_stroke(None);
    s.set_fill(Some(black()));
}

fn draw_seal(
    s: &mut Surface<'_>,
    pen: &mut Pen<'_>,
    seal: &Seal,
    x: f32,
    y: f32,
    size: f32,
) -> anyhow::Result<()> {
    match seal {
        Seal::Png(bytes) => {
            let image = Image::from_png(bytes.clone().into(), true)
                .map_err(|e| anyhow::anyhow!("印影画像を読み込めません: {e}"))?;
            s.push_transform(&Transform::from_translate(x, y));
            s.draw_image(image, Size::from_wh(size, size).expect("seal size"));
            s.pop();
        }
        Seal::Drawn(text) => {
            // A square seal: a red frame and the text in columns read top to bottom, right to left.
            let chars: Vec<char> = text
                .chars()
                .filter(|c| !c.is_whitespace())
                .take(9)
                .collect();
            let cols = match chars.len() {
                0..=1 => 1,
                2..=4 => 2,
                _ => 3,
            };
            let per_col = chars.len().div_ceil(cols).max(1);
            s.set_fill(None);
            s.set_stroke(Some(Stroke {
                paint: red().into(),
                width: 2.6,
                ..Default::default()
            }));
            let mut pb = PathBuilder::new();
            pb.push_rect(Rect::from_xywh(x, y, size, size).expect("seal rect"));
            s.draw_path(&pb.finish().expect("seal path"));
            s.set_stroke(None);
            s.set_fill(Some(Fill {
                paint: red().into(),
                opacity: NormalizedF32::ONE,
                rule: Default::default(),
            }));
            let inner = size - 8.0;
            let cell_w = inner / cols as f32;
            let cell_h = inner / per_col as f32;
            let fs = cell_w.min(cell_h) * 0.92;
            for (i, ch) in chars.iter().enumerate() {
                let col = i / per_col;
                let row = i % per_col;
                let cx = x + 4.0 + inner - (col as f32 + 1.0) * cell_w;
                let cy = y + 4.0 + row as f32 * cell_h;
                let t = ch.to_string();
                let w = pen.measure(&t, fs);
                pen.draw_line(s, cx + (cell_w - w) / 2.0, cy + cell_h * 0.82, &t, fs);
            }
            s.set_fill(Some(black()));
        }
    }
    Ok(())
}

fn draw_qr(s: &mut Surface<'_>, url: &str, x: f32, y: f32, size: f32) -> anyhow::Result<()> {
    let code = qrcode::QrCode::with_error_correction_level(url.as_bytes(), qrcode::EcLevel::M)?;
    let n = code.width();
    let quiet = 2usize;
    let module = size / (n + 2 * quiet) as f32;
    let colors = code.to_colors();
    let mut pb = PathBuilder::new();
    for (i, c) in colors.iter().enumerate() {
        if *c == qrcode::Color::Dark {
            let (cx, cy) = (i % n, i / n);
            pb.push_rect(
                Rect::from_xywh(
                    x + (cx + quiet) as f32 * module,
                    y + (cy + quiet) as f32 * module,
                    module,
                    module,
                )
                .expect("module rect"),
            );
        }
    }
    if let Some(path) = pb.finish() {
        s.set_fill(Some(black()));
        s.draw_path(&path);
    }
    Ok(())
}

/// Text drawing with per-cluster font fallback.
struct Pen<'a> {
    fonts: &'a FontSet,
    faces: &'a [rustybuzz::Face<'a>],
    widths: HashMap<(usize, String), f32>,
}

/// A run of text drawn with one font.
struct Run {
    font: usize,
    text: String,
}

fn is_variation_selector(c: char) -> bool {
    matches!(c, '\u{FE00}'..='\u{FE0F}' | '\u{E0100}'..='\u{E01EF}')
}

/// Characters that must not start a line (行頭禁則).
fn no_line_start(c: char) -> bool {
    "、。，．）」』】〕！？ー・：；,.)!?".contains(c)
}

/// Splits text into clusters: a character with the variation selectors that follow it.
fn clusters(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        if is_variation_selector(c) && start.is_some() {
            continue;
        }
        if let Some(s) = start {
            out.push(&text[s..i]);
        }
        start = Some(i);
    }
    if let Some(s) = start {
        out.push(&text[s..]);
    }
    out
}

impl Pen<'_> {
    fn runs(&self, text: &str) -> Vec<Run> {
        let mut runs: Vec<Run> = Vec::new();
        for cl in clusters(text) {
            let mut chars = cl.chars();
            let base = chars.next().expect("cluster has a character");
            let vs = chars.next();
            let font = if base.is_whitespace() && !runs.is_empty() {
                runs.last().map(|r| r.font).unwrap_or(0)
            } else {
                self.fonts.font_for(self.faces, base, vs)
            };
            match runs.last_mut() {
                Some(r) if r.font == font => r.text.push_str(cl),
                _ => runs.push(Run {
                    font,
                    text: cl.to_string(),
                }),
            }
        }
        runs
    }

    fn shape(&self, font: usize, text: &str) -> Vec<KrillaGlyph> {
        let face = &self.faces[font];
        let upem = face.units_per_em() as f32;
        let mut buffer = rustybuzz::UnicodeBuffer::new();
        buffer.push_str(text);
        buffer.set_direction(rustybuzz::Direction::LeftToRight);
        buffer.guess_segment_properties();
        let output = rustybuzz::shape(face, &[], buffer);
        let infos = output.glyph_infos();
        let positions = output.glyph_positions();
        (0..output.len())
            .map(|i| {
                let start = infos[i].cluster as usize;
                let end = (i + 1..output.len())
                    .map(|j| infos[j].cluster as usize)
                    .find(|&c| c != start)
                    .unwrap_or(text.len());
                KrillaGlyph::new(
                    GlyphId::new(infos[i].glyph_id),
                    positions[i].x_advance as f32 / upem,
                    positions[i].x_offset as f32 / upem,
                    positions[i].y_offset as f32 / upem,
                    positions[i].y_advance as f32 / upem,
                    start..end,
                    None,
                )
            })
            .collect()
    }

    fn run_width(&mut self, font: usize, text: &str) -> f32 {
        if let Some(w) = self.widths.get(&(font, text.to_string())) {
            return *w;
        }
        let w = self.shape(font, text).iter().map(|g| g.x_advance).sum();
        self.widths.insert((font, text.to_string()), w);
        w
    }

    fn measure(&mut self, text: &str, size: f32) -> f32 {
        self.runs(text)
            .iter()
            .map(|r| self.run_width(r.font, &r.text))
            .sum::<f32>()
            * size
    }

    fn draw_line(&mut self, s: &mut Surface<'_>, x: f32, y: f32, text: &str, size: f32) {
        let mut x = x;
        for run in self.runs(text) {
            let glyphs = self.shape(run.font, &run.text);
            let width: f32 = glyphs.iter().map(|g| g.x_advance).sum::<f32>() * size;
            s.draw_glyphs(
                Point::from_xy(x, y),
                &glyphs,
                self.fonts.fonts[run.font].font.clone(),
                &run.text,
                size,
                false,
            );
            x += width;
        }
    }

    fn draw_right(&mut self, s: &mut Surface<'_>, right: f32, y: f32, text: &str, size: f32) {
        let w = self.measure(text, size);
        self.draw_line(s, right - w, y, text, size);
    }

    /// Breaks text into lines no wider than `max` (between any two characters, as Japanese allows, keeping
    /// closing punctuation off the start of a line); explicit line breaks are kept.
    fn wrap(&mut self, text: &str, max: f32, size: f32) -> Vec<String> {
        let mut lines = Vec::new();
        for para in text.lines() {
            let mut line = String::new();
            let mut width = 0.0;
            for cl in clusters(para) {
                let w = self.measure(cl, size);
                let first = cl.chars().next().unwrap_or(' ');
                if width + w > max && !line.is_empty() && !no_line_start(first) {
                    lines.push(std::mem::take(&mut line));
                    width = 0.0;
                }
                line.push_str(cl);
                width += w;
            }
            lines.push(line);
        }
        if lines.is_empty() {
            lines.push(String::new());
        }
        lines
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "a drawing call: position, box and type"
    )]
    fn draw_wrapped(
        &mut self,
        s: &mut Surface<'_>,
        x: f32,
        y: f32,
        max: f32,
        text: &str,
        size: f32,
        leading: f32,
    ) -> f32 {
        let mut y = y;
        for line in self.wrap(text, max, size) {
            self.draw_line(s, x, y, &line, size);
            y += leading;
        }
        y
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clusters_keep_variation_selectors_with_their_character() {
        assert_eq!(clusters("辻\u{E0100}子"), vec!["辻\u{E0100}", "子"]);
        assert_eq!(clusters("a"), vec!["a"]);
        assert!(clusters("").is_empty());
    }

    #[test]
    fn closing_punctuation_never_starts_a_line() {
        assert!(no_line_start('。'));
        assert!(!no_line_start('髙'));
    }
}
