//! PAdES in PDF: the signature field is added as an incremental update written here (lopdf only reads the
//! original: its own incremental writer emits a second header), then the two byte ranges around the
//! `/Contents` placeholder are hashed and the CMS is written into the placeholder.
//!
//! The update holds a new page dictionary with `/Annots`, a new catalog with `/AcroForm` (`/SigFlags 3`), an
//! invisible widget (`/F 132`), the `/Sig` dictionary (`/SubFilter /ETSI.CAdES.detached`), a classic xref
//! section and a trailer with `/Prev`.

use lopdf::{Dictionary, Object, ObjectId};
use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use std::io::Write as _;

/// Bytes reserved for the CMS (hex doubles it). A B-T signature with one certificate is 2–3 KB with P-256.
pub const CONTENTS_RESERVED: usize = 16 * 1024;
/// Width of each number in the `/ByteRange` placeholder.
const BR_WIDTH: usize = 10;

/// What the signature dictionary says in words (UTF-16BE with BOM when not ASCII).
#[derive(Debug, Clone)]
pub struct SigInfo {
    /// `/Name`: the signer.
    pub name: String,
    /// `/Reason`.
    pub reason: String,
    /// `/Location`.
    pub location: String,
    /// `/M`: signing time as `D:YYYYMMDDHHmmSS+09'00'`.
    pub time: String,
}

/// A PDF with a signature placeholder, ready for its CMS.
pub struct Prepared {
    /// The whole file, `/Contents` zero-filled.
    pub bytes: Vec<u8>,
    /// Offset of the `<` opening the contents hex string.
    pub contents_start: usize,
    /// Offset just after the `>` closing it.
    pub contents_end: usize,
}

impl Prepared {
    /// SHA-256 of the signed byte ranges (everything but the contents hex string).
    pub fn digest(&self) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(&self.bytes[..self.contents_start]);
        h.update(&self.bytes[self.contents_end..]);
        h.finalize().into()
    }

    /// Writes the CMS into the placeholder; fails if it does not fit.
    pub fn finish(mut self, cms: &[u8]) -> anyhow::Result<Vec<u8>> {
        anyhow::ensure!(
            cms.len() <= CONTENTS_RESERVED,
            "the signature ({} bytes) does not fit the {} bytes reserved",
            cms.len(),
            CONTENTS_RESERVED
        );
        let hex = hex::encode_upper(cms);
        let start = self.contents_start + 1;
        self.bytes[start..start + hex.len()].copy_from_slice(hex.as_bytes());
        Ok(self.bytes)
    }
}

fn pdf_text(s: &str) -> Object {
    if s.is_ascii() {
        Object::string_literal(s)
    } else {
        let mut bytes = vec![0xFE, 0xFF];
        for u in s.encode_utf16() {
            bytes.extend_from_slice(&u.to_be_bytes());
        }
        Object::String(bytes, lopdf::StringFormat::Hexadecimal)
    }
}

/// Adds an invisible signature field with a placeholder to `pdf` as an incremental update.
pub fn prepare(pdf: &[u8], info: &SigInfo) -> anyhow::Result<Prepared> {
    let doc = lopdf::Document::load_mem(pdf)?;
    let prev = startxref(pdf).ok_or_else(|| anyhow::anyhow!("no startxref in the PDF"))?;
    let root_id = doc.trailer.get(b"Root")?.as_reference()?;
    let mut catalog = doc.get_object(root_id)?.as_dict()?.clone();
    let (_, &page_id) = doc
        .get_pages()
        .iter()
        .next()
        .map(|(k, v)| (*k, v))
        .ok_or_else(|| anyhow::anyhow!("the PDF has no page"))?;
    let mut page = doc.get_object(page_id)?.as_dict()?.clone();
    let sig_id: ObjectId = (doc.max_id + 1, 0);
    let widget_id: ObjectId = (doc.max_id + 2, 0);

    let mut annots = match page.get(b"Annots") {
        Ok(Object::Array(a)) => a.clone(),
        Ok(Object::Reference(r)) => doc.get_object(*r)?.as_array()?.clone(),
        _ => Vec::new(),
    };
    annots.push(Object::Reference(widget_id));
    page.set("Annots", Object::Array(annots));
    let mut acro = Dictionary::new();
    acro.set("Fields", Object::Array(vec![Object::Reference(widget_id)]));
    acro.set("SigFlags", Object::Integer(3));
    catalog.set("AcroForm", Object::Dictionary(acro));

    let mut widget = Dictionary::new();
    widget.set("Type", Object::Name(b"Annot".to_vec()));
    widget.set("Subtype", Object::Name(b"Widget".to_vec()));
    widget.set("FT", Object::Name(b"Sig".to_vec()));
    widget.set(
        "Rect",
        Object::Array(vec![0.into(), 0.into(), 0.into(), 0.into()]),
    );
    widget.set("F", Object::Integer(132));
    widget.set("T", pdf_text("電子公印"));
    widget.set("V", Object::Reference(sig_id));
    widget.set("P", Object::Reference(page_id));

    let mut out = pdf.to_vec();
    if !out.ends_with(b"\n") {
        out.push(b'\n');
    }
    let mut offsets: Vec<(ObjectId, usize)> = Vec::new();

    // The signature dictionary first, written by hand for its fixed-width placeholders.
    let sig_offset = out.len();
    offsets.push((sig_id, sig_offset));
    let mut head = String::new();
    write!(
        head,
        "{} {} obj\n<< /Type /Sig /Filter /Adobe.PPKLite /SubFilter /ETSI.CAdES.detached /ByteRange [0 {} {} {}] /M ",
        sig_id.0,
        sig_id.1,
        "0".repeat(BR_WIDTH),
        "0".repeat(BR_WIDTH),
        "0".repeat(BR_WIDTH)
    )?;
    out.extend_from_slice(head.as_bytes());
    write_object(&mut out, &Object::string_literal(info.time.as_str()))?;
    for (key, value) in [
        ("Name", &info.name),
        ("Reason", &info.reason),
        ("Location", &info.location),
    ] {
        write!(out, " /{key} ")?;
        write_object(&mut out, &pdf_text(value))?;
    }
    out.extend_from_slice(b" /Contents ");
    let contents_start = out.len();
    out.push(b'<');
    out.extend(std::iter::repeat_n(b'0', CONTENTS_RESERVED * 2));
    out.push(b'>');
    let contents_end = out.len();
    out.extend_from_slice(b" >>\nendobj\n");

    for (id, dict) in [(widget_id, widget), (page_id, page), (root_id, catalog)] {
        offsets.push((id, out.len()));
        writeln!(out, "{} {} obj", id.0, id.1)?;
        write_object(&mut out, &Object::Dictionary(dict))?;
        out.extend_from_slice(b"\nendobj\n");
    }

    let xref = out.len();
    offsets.sort_by_key(|(id, _)| id.0);
    out.extend_from_slice(b"xref\n");
    for (id, off) in &offsets {
        write!(out, "{} 1\n{:010} {:05} n\r\n", id.0, off, id.1)?;
    }
    let mut trailer = Dictionary::new();
    trailer.set("Size", Object::Integer(i64::from(widget_id.0) + 1));
    trailer.set("Root", Object::Reference(root_id));
    trailer.set("Prev", Object::Integer(prev as i64));
    if let Ok(info_ref) = doc.trailer.get(b"Info") {
        trailer.set("Info", info_ref.clone());
    }
    if let Ok(id) = doc.trailer.get(b"ID") {
        trailer.set("ID", id.clone());
    }
    out.extend_from_slice(b"trailer\n");
    write_object(&mut out, &Object::Dictionary(trailer))?;
    write!(out, "\nstartxref\n{xref}\n%%EOF\n")?;

    // Now the byte ranges are known: fill the placeholder (same width, so no offset moves).
    let total = out.len();
    let ranges = [contents_start, contents_end, total - contents_end];
    let marker = b"/ByteRange [0 ";
    let pos = find(&out[sig_offset..contents_start], marker)
        .map(|p| p + sig_offset + marker.len())
        .ok_or_else(|| anyhow::anyhow!("placeholder lost"))?;
    let text = format!(
        "{:<w$} {:<w$} {:<w$}",
        ranges[0],
        ranges[1],
        ranges[2],
        w = BR_WIDTH
    );
    out[pos..pos + text.len()].copy_from_slice(text.as_bytes());
    Ok(Prepared {
        bytes: out,
        contents_start,
        contents_end,
    })
}

/// The offset after the last `startxref`.
fn startxref(pdf: &[u8]) -> Option<usize> {
    let tail_start = pdf.len().saturating_sub(2048);
    let tail = &pdf[tail_start..];
    let pos = rfind(tail, b"startxref")?;
    let rest = std::str::from_utf8(&tail[pos + 9..]).ok()?;
    rest.split_whitespace().next()?.parse().ok()
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

/// Serialises a direct object (dictionaries, arrays, names, strings, numbers, references).
fn write_object(out: &mut Vec<u8>, o: &Object) -> std::io::Result<()> {
    match o {
        Object::Null => out.write_all(b"null"),
        Object::Boolean(b) => write!(out, "{b}"),
        Object::Integer(i) => write!(out, "{i}"),
        Object::Real(r) => write!(out, "{r}"),
        Object::Name(n) => {
            out.push(b'/');
            for &b in n {
                if b.is_ascii_alphanumeric() || b"-_.+*".contains(&b) {
                    out.push(b);
                } else {
                    write!(out, "#{b:02X}")?;
                }
            }
            Ok(())
        }
        Object::String(s, _) => {
            out.push(b'<');
            out.extend_from_slice(hex::encode_upper(s).as_bytes());
            out.push(b'>');
            Ok(())
        }
        Object::Array(a) => {
            out.push(b'[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(b' ');
                }
                write_object(out, x)?;
            }
            out.push(b']');
            Ok(())
        }
        Object::Dictionary(d) => {
            out.extend_from_slice(b"<<");
            for (k, v) in d.iter() {
                out.push(b' ');
                write_object(out, &Object::Name(k.clone()))?;
                out.push(b' ');
                write_object(out, v)?;
            }
            out.extend_from_slice(b" >>");
            Ok(())
        }
        Object::Reference((id, generation)) => write!(out, "{id} {generation} R"),
        Object::Stream(_) => Err(std::io::Error::other(
            "streams are not written in the signature update",
        )),
    }
}

/// A signature found in a PDF: its byte ranges and CMS.
#[derive(Debug, Clone)]
pub struct FoundSignature {
    /// The four `/ByteRange` numbers.
    pub byte_range: [usize; 4],
    /// The CMS DER (trailing zero padding removed).
    pub cms: Vec<u8>,
    /// Whether the ranges are sound: they start at 0, skip exactly the contents hex string and end at the end
    /// of the file.
    pub covers_whole_file: bool,
    /// SHA-256 of the two ranges.
    pub digest: [u8; 32],
}

/// Finds the signature dictionaries of a PDF by their `/ByteRange`, without trusting the rest of the file's
/// structure (a tampered file may not parse).
pub fn find_signatures(pdf: &[u8]) -> Vec<FoundSignature> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(p) = find(&pdf[from..], b"/ByteRange") {
        let at = from + p + b"/ByteRange".len();
        from = at;
        let Some(br) = parse_byte_range(&pdf[at..]) else {
            continue;
        };
        let [a, b, c, d] = br;
        if a != 0 || b >= pdf.len() || c > pdf.len() || c < b || c + d > pdf.len() {
            continue;
        }
        let hex_part = &pdf[b..c];
        if hex_part.first() != Some(&b'<') || hex_part.last() != Some(&b'>') {
            continue;
        }
        let Ok(raw) = hex::decode(&hex_part[1..hex_part.len() - 1]) else {
            continue;
        };
        let Some(cms) = der_prefix(&raw) else {
            continue;
        };
        let mut h = Sha256::new();
        h.update(&pdf[..b]);
        h.update(&pdf[c..c + d]);
        out.push(FoundSignature {
            byte_range: br,
            cms,
            covers_whole_file: c + d == pdf.len(),
            digest: h.finalize().into(),
        });
    }
    out
}

fn parse_byte_range(s: &[u8]) -> Option<[usize; 4]> {
    let text = std::str::from_utf8(&s[..s.len().min(80)])
        .ok()
        .or_else(|| {
            let end = s.iter().take(80).position(|&b| b == b']')?;
            std::str::from_utf8(&s[..end + 1]).ok()
        })?;
    let open = text.find('[')?;
    let close = text.find(']')?;
    let nums: Vec<usize> = text[open + 1..close]
        .split_whitespace()
        .map(|n| n.parse().ok())
        .collect::<Option<_>>()?;
    nums.try_into().ok()
}

/// The DER object at the start of `raw` (the placeholder pads it with zeros).
fn der_prefix(raw: &[u8]) -> Option<Vec<u8>> {
    use der::{Decode, Reader};
    let mut reader = der::SliceReader::new(raw).ok()?;
    let header = der::Header::decode(&mut reader).ok()?;
    let header_len = usize::try_from(reader.position()).ok()?;
    let len = header_len + usize::try_from(header.length).ok()?;
    (len <= raw.len()).then(|| raw[..len].to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_ascii_text_is_utf16_with_bom() {
        let Object::String(b, _) = pdf_text("高知") else {
            panic!()
        };
        assert_eq!(&b[..2], &[0xFE, 0xFF]);
        assert_eq!(b.len(), 2 + 4);
    }

    #[test]
    fn byte_range_with_padding_parses() {
        assert_eq!(
            parse_byte_range(b" [0 123        456        789       ] /M"),
            Some([0, 123, 456, 789])
        );
    }
}
