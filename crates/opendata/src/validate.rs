//! The standard dataset validator: a pure function from file bytes and a [`Layout`] to a [`Report`].
//!
//! It checks the header against both header layouts (and says which one the file follows), required columns
//! and cells, cell types, the 全国地方公共団体コード check digit, coordinates inside Japan, and the 総務省
//! machine-readable checklist (機械判読に適したデータ作成に当たっての留意事項, 2020): one value a cell, no text in numbers,
//! no layout spaces or line breaks, no platform-dependent characters, no formulas or spreadsheet errors, Western
//! years, a region code present. Every problem carries its row (the spreadsheet row, header = 1) and column.

use crate::layout::{ColumnType, Expected, Layout, Variant, header_key};
use madoguchi_japanese::local_gov::LocalGovCode;
use serde::{Deserialize, Serialize};

/// How bad a problem is: errors block publishing, warnings do not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Must be fixed before the file can be published.
    Error,
    /// Should be fixed; publishing is allowed.
    Warning,
}

impl Severity {
    /// Japanese label.
    pub fn label(self) -> &'static str {
        match self {
            Severity::Error => "エラー",
            Severity::Warning => "警告",
        }
    }
}

/// One problem found in the file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    /// Spreadsheet row (header row = its own number, usually 1); `None` for the file as a whole.
    pub row: Option<u64>,
    /// Column header; `None` for a whole row or the file.
    pub column: Option<String>,
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong and how to fix it, in Japanese.
    pub message: String,
}

impl Problem {
    /// Where the problem is, in Japanese ("3行目「緯度」").
    pub fn location(&self) -> String {
        match (self.row, &self.column) {
            (Some(r), Some(c)) => format!("{r}行目「{c}」"),
            (Some(r), None) => format!("{r}行目"),
            (None, Some(c)) => format!("列「{c}」"),
            (None, None) => "ファイル全体".into(),
        }
    }
}

/// The result of validating one file.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Layout id checked against.
    pub layout: String,
    /// Layout title.
    pub layout_title: String,
    /// Which header layout the file follows, when recognised.
    pub variant: Option<Variant>,
    /// Detected text encoding: `UTF-8` or `Shift_JIS` (CP932).
    pub encoding: &'static str,
    /// Number of data rows.
    pub rows: u64,
    /// Problems listed (at most [`MAX_LISTED`]).
    pub problems: Vec<Problem>,
    /// Number of errors, including those not listed.
    pub errors: u64,
    /// Number of warnings, including those not listed.
    pub warnings: u64,
}

/// How many problems a report lists; the counts include the rest.
pub const MAX_LISTED: usize = 1000;

impl Report {
    /// Whether the file may be published (no errors).
    pub fn publishable(&self) -> bool {
        self.errors == 0
    }

    /// Problems not listed.
    pub fn omitted(&self) -> u64 {
        self.errors + self.warnings - self.problems.len() as u64
    }

    fn push(
        &mut self,
        row: Option<u64>,
        column: Option<&str>,
        severity: Severity,
        message: String,
    ) {
        match severity {
            Severity::Error => self.errors += 1,
            Severity::Warning => self.warnings += 1,
        }
        if self.problems.len() < MAX_LISTED {
            self.problems.push(Problem {
                row,
                column: column.map(str::to_string),
                severity,
                message,
            });
        }
    }

    /// The report as plain text, one problem a line (the CLI prints this).
    pub fn to_text(&self) -> String {
        let mut out = format!(
            "{}（{}）\n様式: {}\n文字コード: {}\nデータ行数: {}\nエラー {} 件、警告 {} 件\n",
            self.layout_title,
            self.layout,
            self.variant.map_or("判別できません", Variant::label),
            self.encoding,
            self.rows,
            self.errors,
            self.warnings
        );
        for p in &self.problems {
            out.push_str(&format!(
                "{}\t{}\t{}\n",
                p.severity.label(),
                p.location(),
                p.message
            ));
        }
        if self.omitted() > 0 {
            out.push_str(&format!("ほか {} 件は省略しました\n", self.omitted()));
        }
        out
    }
}

/// Validates file bytes (UTF-8 with or without BOM, or CP932) and returns the report and the text as UTF-8.
pub fn validate_bytes(bytes: &[u8], layout: &Layout) -> (Report, String) {
    let (text, encoding) = madoguchi_japanese::encoding::decode_cp932_or_utf8(bytes);
    let mut report = validate_text(&text, layout);
    report.encoding = encoding;
    if text.contains('\u{FFFD}') {
        report.push(
            None,
            None,
            Severity::Error,
            "文字コードを判別できない部分があります。UTF-8 または Shift_JIS で保存し直してください"
                .into(),
        );
    }
    (report, text)
}

/// Validates decoded text.
pub fn validate_text(text: &str, layout: &Layout) -> Report {
    let mut report = Report {
        layout: layout.id.clone(),
        layout_title: layout.title.clone(),
        variant: None,
        encoding: "UTF-8",
        rows: 0,
        problems: vec![],
        errors: 0,
        warnings: 0,
    };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = reader.records();
    // The header must be the first row; a title or blank rows above it break machine reading, but the file
    // is still checked from the header on so that the staff member sees every problem at once.
    let mut leading = Vec::new();
    let mut header: Option<(u64, csv::StringRecord, Variant)> = None;
    for row in 1..=5u64 {
        let Some(rec) = records.next() else { break };
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                report.push(Some(row), None, Severity::Error, csv_error(&e));
                return report;
            }
        };
        if let Some(v) = recognise(&rec, layout) {
            header = Some((row, rec, v));
            break;
        }
        leading.push(rec);
    }
    let Some((header_row, header, variant)) = header else {
        let first = leading.first();
        let message =
            if first.is_some_and(|r| r.len() == 1 && (r[0].contains(';') || r[0].contains('\t'))) {
                "区切り文字がカンマ（,）ではありません。CSV はカンマ区切りで保存してください"
                    .to_string()
            } else {
                format!(
                    "見出し行が{}の様式（{}）と一致しません。先頭行に項目名を置いてください",
                    layout.title,
                    layout.header(Variant::Official)[..3].join("、")
                )
            };
        report.push(Some(1), None, Severity::Error, message);
        return report;
    };
    report.variant = Some(variant);
    if header_row > 1 {
        report.push(
            Some(1),
            None,
            Severity::Error,
            format!(
                "見出し行の前に表題や空行があります（見出しは{header_row}行目）。1行目を見出しにしてください"
            ),
        );
    }
    let expected = layout.columns(variant);
    let mapping = check_header(&mut report, header_row, &header, &expected);
    let width = header.len();
    let mut row = header_row;
    for rec in records {
        row += 1;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                report.push(Some(row), None, Severity::Error, csv_error(&e));
                continue;
            }
        };
        if rec.iter().all(|c| c.trim().is_empty()) {
            report.push(
                Some(row),
                None,
                Severity::Warning,
                "空行があります。データの途中に空行を入れないでください".into(),
            );
            continue;
        }
        report.rows += 1;
        if rec.len() != width {
            report.push(
                Some(row),
                None,
                Severity::Error,
                format!(
                    "列の数が見出しと違います（見出し {width} 列、この行 {} 列）。セルの結合や区切り文字の混入がないか確認してください",
                    rec.len()
                ),
            );
        }
        // Which of 緯度/経度 the row fills in (valid or not: a bad value is reported on its own).
        let mut lat: Option<&str> = None;
        let mut lon: Option<&str> = None;
        for (i, value) in rec.iter().enumerate() {
            let column = header.get(i).unwrap_or("");
            let spec = mapping.get(i).and_then(|m| m.map(|e| &expected[e]));
            check_cell_common(&mut report, row, column, value);
            let Some(spec) = spec else { continue };
            let v = trim(value);
            if v.is_empty() {
                // A required 「1」/blank column must be there, but blank is one of its values.
                if spec.required && spec.kind != ColumnType::Flag {
                    report.push(
                        Some(row),
                        Some(column),
                        Severity::Error,
                        "必須項目が空欄です".into(),
                    );
                }
                continue;
            }
            match spec.kind {
                ColumnType::Latitude => lat = Some(column),
                ColumnType::Longitude => lon = Some(column),
                _ => {}
            }
            check_typed(&mut report, row, column, spec.kind, v);
        }
        match (lat, lon) {
            (Some(c), None) | (None, Some(c)) => report.push(
                Some(row),
                Some(c),
                Severity::Warning,
                "緯度と経度は両方を記入してください".into(),
            ),
            _ => {}
        }
    }
    report
}

/// Which header layout a row is, if it is a header of this layout.
fn recognise(rec: &csv::StringRecord, layout: &Layout) -> Option<Variant> {
    let keys: Vec<String> = rec.iter().map(header_key).collect();
    let mut best: Option<(usize, Variant)> = None;
    for v in [Variant::Official, Variant::Old] {
        let expected = layout.columns(v);
        let first = &expected[0];
        // The leading column decides the variant; most of the other required columns must be there too.
        if !keys.first().is_some_and(|k| first.keys.contains(k)) {
            continue;
        }
        let hits = expected
            .iter()
            .filter(|e| keys.iter().any(|k| e.keys.contains(k)))
            .count();
        if hits * 2 >= expected.iter().filter(|e| e.required).count()
            && best.is_none_or(|(h, _)| hits > h)
        {
            best = Some((hits, v));
        }
    }
    best.map(|(_, v)| v)
}

/// Checks the header row and maps each file column to the expected column it is.
fn check_header(
    report: &mut Report,
    row: u64,
    header: &csv::StringRecord,
    expected: &[Expected],
) -> Vec<Option<usize>> {
    let mut mapping = vec![None; header.len()];
    let mut seen = std::collections::HashMap::new();
    for (i, cell) in header.iter().enumerate() {
        let key = header_key(cell);
        if key.is_empty() {
            report.push(
                Some(row),
                None,
                Severity::Error,
                format!(
                    "{}列目の見出しが空です。すべての列に項目名を付けてください",
                    i + 1
                ),
            );
            continue;
        }
        if let Some(prev) = seen.insert(key.clone(), i) {
            report.push(
                Some(row),
                Some(cell),
                Severity::Error,
                format!("見出し「{cell}」が{}列目と重複しています", prev + 1),
            );
            continue;
        }
        if cell.contains(['\n', '\r']) || cell != trim(cell) {
            report.push(
                Some(row),
                Some(cell),
                Severity::Warning,
                "見出しに空白や改行があります".into(),
            );
        }
        match expected.iter().position(|e| e.keys.contains(&key)) {
            Some(e) => mapping[i] = Some(e),
            None => report.push(
                Some(row),
                Some(cell),
                Severity::Warning,
                "標準データセットにない独自の列です（公開はできます）".into(),
            ),
        }
    }
    // A file with one 住所 column (the layout before the address was split) lacks the split columns by
    // design; only a file that has some of them is told about the others.
    let single_address = !expected
        .iter()
        .enumerate()
        .any(|(e, spec)| spec.address_part && mapping.contains(&Some(e)));
    let mut last = None;
    let mut ordered = true;
    for (e, spec) in expected.iter().enumerate() {
        match mapping.iter().position(|m| *m == Some(e)) {
            None if spec.address_part && single_address => {}
            None if spec.required => report.push(
                Some(row),
                Some(&spec.name),
                Severity::Error,
                format!("必須の列「{}」がありません", spec.name),
            ),
            None => report.push(
                Some(row),
                Some(&spec.name),
                Severity::Warning,
                format!(
                    "列「{}」がありません。値がなくても列は残してください",
                    spec.name
                ),
            ),
            Some(i) => {
                if last.is_some_and(|l| i < l) {
                    ordered = false;
                }
                last = Some(i);
            }
        }
    }
    if !ordered {
        report.push(
            Some(row),
            None,
            Severity::Warning,
            "列の並び順が標準データセットの様式と異なります".into(),
        );
    }
    mapping
}

/// Trims ASCII and full-width spaces.
fn trim(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace())
}

fn csv_error(e: &csv::Error) -> String {
    format!("CSV として読めません（{e}）。引用符（\"）の閉じ忘れがないか確認してください")
}

/// Checklist items that apply to every cell.
fn check_cell_common(report: &mut Report, row: u64, column: &str, value: &str) {
    if value.is_empty() {
        return;
    }
    if value.contains(['\n', '\r']) {
        report.push(
            Some(row),
            Some(column),
            Severity::Warning,
            "セル内で改行しています。1つのセルには1つの値を入れてください".into(),
        );
    }
    if value != trim(value) {
        report.push(
            Some(row),
            Some(column),
            Severity::Warning,
            "値の前後に空白があります。体裁のための空白は入れないでください".into(),
        );
    }
    if let Some(c) = value.chars().find(|c| platform_dependent(*c)) {
        report.push(
            Some(row),
            Some(column),
            Severity::Warning,
            format!("機種依存文字「{c}」が使われています。ほかの文字に置き換えてください"),
        );
    }
    let t = trim(value);
    if [
        "#REF!", "#N/A", "#DIV/0!", "#VALUE!", "#NAME?", "#NUM!", "#NULL!",
    ]
    .contains(&t)
    {
        report.push(
            Some(row),
            Some(column),
            Severity::Error,
            format!("表計算ソフトのエラー値「{t}」が入っています"),
        );
    } else if t.starts_with('=') && t.len() > 1 {
        report.push(
            Some(row),
            Some(column),
            Severity::Warning,
            "数式のようです。数式ではなく値を保存してください".into(),
        );
    }
}

/// Characters that do not survive between platforms (丸数字, ローマ数字, 囲み・組文字, 単位記号).
fn platform_dependent(c: char) -> bool {
    matches!(c as u32,
        0x2460..=0x24FF   // ①… enclosed alphanumerics
        | 0x2160..=0x217F // Ⅰ… roman numerals
        | 0x3200..=0x32FF // ㈱… enclosed CJK
        | 0x3300..=0x33FF // ㌔ ㍻… CJK compatibility squares
        | 0x2116 | 0x2121 // № ℡
    )
}

const ERAS: [&str; 5] = ["令和", "平成", "昭和", "大正", "明治"];

fn has_wareki(v: &str) -> bool {
    ERAS.iter().any(|e| v.contains(e))
        || v.starts_with(['R', 'H', 'S']) && v[1..].starts_with(|c: char| c.is_ascii_digit())
}

/// Type checks; returns the number for coordinate columns.
fn check_typed(
    report: &mut Report,
    row: u64,
    column: &str,
    kind: ColumnType,
    v: &str,
) -> Option<f64> {
    let mut err = |sev: Severity, m: String| report.push(Some(row), Some(column), sev, m);
    match kind {
        ColumnType::Text => {
            if column.contains('日') && has_wareki(v) {
                err(
                    Severity::Warning,
                    "和暦が使われています。西暦で表記してください".into(),
                );
            }
        }
        ColumnType::Number => {
            number(v).map_err(|m| err(Severity::Error, m)).ok();
        }
        ColumnType::Date => {
            if has_wareki(v) {
                err(
                    Severity::Error,
                    format!("「{v}」は和暦です。西暦の YYYY-MM-DD で記入してください"),
                );
            } else if chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").is_err() || v.len() != 10 {
                let hint = if chrono::NaiveDate::parse_from_str(v, "%Y/%m/%d").is_ok() {
                    "。区切りは「-」にしてください（例: 2024-04-01）"
                } else {
                    "（例: 2024-04-01）"
                };
                err(
                    Severity::Error,
                    format!("「{v}」は日付として読めません。YYYY-MM-DD で記入してください{hint}"),
                );
            }
        }
        ColumnType::Time => match time(v) {
            Ok(true) => {}
            Ok(false) => err(
                Severity::Warning,
                format!("時刻「{v}」は2桁の hh:mm で記入してください（例: 09:00）"),
            ),
            Err(()) if time(&half_width(v)).is_ok() => err(
                Severity::Error,
                format!(
                    "時刻「{v}」に全角の数字か「：」が使われています。半角の hh:mm で記入してください（例: {}）",
                    half_width(v)
                ),
            ),
            Err(()) => err(
                Severity::Error,
                format!("「{v}」は時刻として読めません。hh:mm で記入してください（例: 09:00）"),
            ),
        },
        ColumnType::Yesno => {
            if v != "有" && v != "無" {
                err(
                    Severity::Error,
                    format!("「{v}」ではなく「有」か「無」で記入してください"),
                );
            }
        }
        ColumnType::Flag => {
            if v != "1" {
                err(
                    Severity::Error,
                    format!(
                        "「{v}」ではなく、該当する場合は「1」、該当しない場合は空欄にしてください"
                    ),
                );
            }
        }
        ColumnType::Latitude | ColumnType::Longitude => {
            let n = match number(v) {
                Ok(n) => n,
                Err(m) => {
                    err(Severity::Error, m);
                    return None;
                }
            };
            let (range, other, name) = if kind == ColumnType::Latitude {
                (20.0..=46.0, 122.0..=154.0, "緯度")
            } else {
                (122.0..=154.0, 20.0..=46.0, "経度")
            };
            if !range.contains(&n) {
                let hint = if other.contains(&n) {
                    "緯度と経度が入れ替わっていませんか"
                } else {
                    "10進数の度（例: 33.5597）で記入してください"
                };
                err(
                    Severity::Error,
                    format!("{name}「{v}」は日本の範囲外です。{hint}"),
                );
                return None;
            }
            return Some(n);
        }
        ColumnType::Code => {
            if let Err(e) = LocalGovCode::parse(v) {
                let hint = if v.len() == 5 && v.bytes().all(|b| b.is_ascii_digit()) {
                    "（5桁です。検査数字付きの6桁で記入してください。表計算ソフトが先頭の0を消していないかも確認してください）"
                } else {
                    ""
                };
                err(Severity::Error, format!("「{v}」: {e}{hint}"));
            }
        }
        ColumnType::Url => {
            if !(v.starts_with("http://") || v.starts_with("https://"))
                || v.contains(char::is_whitespace)
            {
                err(
                    Severity::Warning,
                    format!(
                        "「{v}」は URL として読めません（http:// か https:// で始めてください）"
                    ),
                );
            }
        }
    }
    None
}

/// A plain decimal number, or the reason it is not one.
fn number(v: &str) -> Result<f64, String> {
    let plain = v.strip_prefix('-').unwrap_or(v);
    let ok = !plain.is_empty()
        && plain.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && plain.bytes().filter(|b| *b == b'.').count() <= 1
        && !plain.starts_with('.')
        && !plain.ends_with('.');
    if ok {
        return v
            .parse::<f64>()
            .map_err(|_| format!("「{v}」は数値として読めません"));
    }
    if v.chars().any(|c| ('０'..='９').contains(&c)) {
        Err(format!(
            "「{v}」に全角数字が使われています。半角数字で記入してください"
        ))
    } else if v.contains(',') && v.replace(',', "").parse::<f64>().is_ok() {
        Err(format!(
            "「{v}」に桁区切りのカンマがあります。数字だけで記入してください"
        ))
    } else if v.chars().any(|c| c.is_ascii_digit()) {
        Err(format!(
            "「{v}」に数字以外の文字があります。単位や注記は別の列か見出しに書いてください"
        ))
    } else {
        Err(format!("「{v}」は数値ではありません"))
    }
}

/// Full-width digits and colon made half-width (０８：３０ → 08:30), to say what a cell was meant to be.
fn half_width(v: &str) -> String {
    v.chars()
        .map(|c| match c {
            '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
            '：' => ':',
            c => c,
        })
        .collect()
}

/// `Ok(true)` for hh:mm, `Ok(false)` for h:mm, `Err` otherwise.
fn time(v: &str) -> Result<bool, ()> {
    let (h, m) = v.split_once(':').ok_or(())?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return Err(());
    }
    let h: u32 = h.parse().map_err(|_| ())?;
    let mi: u32 = m.parse().map_err(|_| ())?;
    if mi > 59 || h > 24 || (h == 24 && mi > 0) {
        return Err(());
    }
    Ok(v.len() == 5)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::find;

    fn aed_old(rows: &[&str]) -> String {
        let header = find("aed").unwrap().header(Variant::Old).join(",");
        let mut s = header + "\n";
        for r in rows {
            s.push_str(r);
            s.push('\n');
        }
        s
    }

    // 22 columns in the old AED layout: code,NO,pref,city,名称,カナ,住所,方書,緯度,経度,設置位置,電話,内線,法人番号,団体名,
    // 曜日,開始,終了,特記,小児,URL,備考
    const GOOD: &str = "392014,1,高知県,高知市,高知市役所,コウチシヤクショ,高知県高知市本町5-1-45,,33.5597,133.5311,1階正面玄関,088-822-8111,,,,月火水木金,08:30,17:15,,有,https://www.city.kochi.kochi.jp/,サンプルデータ";

    #[test]
    fn a_good_old_layout_file_has_no_problems() {
        let r = validate_text(&aed_old(&[GOOD]), &find("aed").unwrap());
        assert_eq!(r.problems, vec![], "{}", r.to_text());
        assert_eq!((r.rows, r.variant), (1, Some(Variant::Old)));
        assert!(r.publishable());
    }

    #[test]
    fn the_official_layout_is_recognised() {
        let aed = find("aed").unwrap();
        let header = aed.header(Variant::Official);
        let mut row = vec![""; header.len()];
        let set = |row: &mut Vec<&'static str>, col: &str, v: &'static str| {
            let i = header.iter().position(|h| h == col).unwrap();
            row[i] = v;
        };
        set(&mut row, "全国地方公共団体コード", "392014");
        set(&mut row, "ID", "392014-aed-0001");
        set(&mut row, "名称", "高知市役所");
        set(&mut row, "名称_カナ", "コウチシヤクショ");
        set(&mut row, "所在地_連結表記", "高知県高知市本町5-1-45");
        set(&mut row, "設置位置", "1階");
        set(&mut row, "緯度", "33.5597");
        set(&mut row, "経度", "133.5311");
        let text = format!("{}\n{}\n", header.join(","), row.join(","));
        let r = validate_text(&text, &aed);
        assert_eq!(r.variant, Some(Variant::Official));
        assert_eq!(r.problems, vec![], "{}", r.to_text());
    }

    #[test]
    fn a_row_with_both_coordinates_is_not_asked_for_both() {
        // Row 4: both filled in, one out of range — that one is reported, not "fill in both".
        let out_of_range = GOOD.replace("133.5311", "163.5311");
        let only_lat = GOOD.replace(",133.5311,", ",,");
        let r = validate_text(
            &aed_old(&[GOOD, GOOD, &out_of_range, &only_lat]),
            &find("aed").unwrap(),
        );
        let both: Vec<_> = r
            .problems
            .iter()
            .filter(|p| p.message.contains("両方"))
            .map(|p| p.row)
            .collect();
        assert_eq!(both, vec![Some(5)], "{}", r.to_text());
        assert!(
            r.problems
                .iter()
                .any(|p| p.row == Some(4) && p.message.contains("範囲外")),
            "{}",
            r.to_text()
        );
    }

    #[test]
    fn full_width_times_are_reported_as_full_width() {
        let row = GOOD.replace("08:30", "０８：３０");
        let r = validate_text(&aed_old(&[&row]), &find("aed").unwrap());
        let p = r
            .problems
            .iter()
            .find(|p| p.column.as_deref() == Some("開始時間"))
            .expect("a problem in 開始時間");
        assert!(
            p.message.contains("全角") && p.message.contains("08:30"),
            "{}",
            p.message
        );
        assert_eq!(half_width("０８：３０"), "08:30");
    }

    #[test]
    fn the_single_address_column_layout_has_no_address_warnings() {
        let aed = find("aed").unwrap();
        // The 正式版 header, with one 住所 and 方書 where the split address columns would be.
        let mut header: Vec<String> = Vec::new();
        for h in aed.header(Variant::Official) {
            match h.as_str() {
                "所在地_全国地方公共団体コード"
                | "町字ID"
                | "所在地_都道府県"
                | "所在地_市区町村"
                | "所在地_町字"
                | "所在地_番地以下" => {}
                "所在地_連結表記" => header.push("住所".into()),
                "建物名等(方書)" => header.push("方書".into()),
                h => header.push(h.into()),
            }
        }
        let mut row = vec![""; header.len()];
        for (col, v) in [
            ("全国地方公共団体コード", "392014"),
            ("ID", "392014-aed-0001"),
            ("名称", "高知市役所"),
            ("名称_カナ", "コウチシヤクショ"),
            ("住所", "高知県高知市本町5-1-45"),
            ("設置位置", "1階"),
            ("緯度", "33.5597"),
            ("経度", "133.5311"),
        ] {
            row[header.iter().position(|h| h == col).unwrap()] = v;
        }
        let text = format!("{}\n{}\n", header.join(","), row.join(","));
        let r = validate_text(&text, &aed);
        assert_eq!(r.variant, Some(Variant::Official));
        assert_eq!(r.problems, vec![], "{}", r.to_text());
        // A file that has some of the split columns is still told about the missing ones.
        let partial = text
            .replacen("住所,", "所在地_連結表記,所在地_都道府県,", 1)
            .replacen(
                "高知県高知市本町5-1-45,",
                "高知県高知市本町5-1-45,高知県,",
                1,
            );
        let r = validate_text(&partial, &aed);
        assert!(
            r.problems.iter().any(|p| p.message.contains("所在地_町字")),
            "{}",
            r.to_text()
        );
    }

    #[test]
    fn each_problem_names_row_and_column_in_japanese() {
        let bad = GOOD
            .replace("392014", "392015")
            .replace("33.5597,133.5311", "133.5311,33.5597")
            .replace("08:30", "8時半")
            .replace(",有,", ",あり,");
        let r = validate_text(&aed_old(&[GOOD, &bad]), &find("aed").unwrap());
        let at = |col: &str| {
            r.problems
                .iter()
                .find(|p| p.column.as_deref() == Some(col))
                .unwrap_or_else(|| panic!("no problem in {col}: {}", r.to_text()))
        };
        let code = at("都道府県コード又は市区町村コード");
        assert_eq!((code.row, code.severity), (Some(3), Severity::Error));
        assert!(code.message.contains("検査数字"), "{}", code.message);
        assert!(at("緯度").message.contains("入れ替わって"));
        assert!(at("開始時間").message.contains("hh:mm"));
        assert!(at("小児対応設備の有無").message.contains("「有」か「無」"));
        assert_eq!(at("緯度").location(), "3行目「緯度」");
        assert!(!r.publishable());
    }

    #[test]
    fn missing_required_values_and_columns_are_errors() {
        let empty_name = GOOD.replace("高知市役所", "");
        let r = validate_text(&aed_old(&[&empty_name]), &find("aed").unwrap());
        assert!(
            r.problems
                .iter()
                .any(|p| p.column.as_deref() == Some("名称")
                    && p.message.contains("必須項目が空欄")
                    && p.row == Some(2))
        );
        let header_without_name = aed_old(&[]).replacen(",名称,", ",", 1);
        let r = validate_text(&header_without_name, &find("aed").unwrap());
        assert!(
            r.problems
                .iter()
                .any(|p| p.message.contains("必須の列「名称」がありません"))
        );
    }

    #[test]
    fn the_machine_readable_checklist_is_applied() {
        let messy = GOOD
            .replace("高知市役所", "\"高知市役所\n本庁舎\"")
            .replace("1階正面玄関", "  1階 ")
            .replace("サンプルデータ", "㈱サンプル")
            .replace("088-822-8111", "#REF!");
        let r = validate_text(&aed_old(&[&messy, ",,,"]), &find("aed").unwrap());
        let messages: Vec<_> = r.problems.iter().map(|p| p.message.as_str()).collect();
        assert!(
            messages.iter().any(|m| m.contains("セル内で改行")),
            "{messages:?}"
        );
        assert!(messages.iter().any(|m| m.contains("前後に空白")));
        assert!(messages.iter().any(|m| m.contains("機種依存文字「㈱」")));
        assert!(messages.iter().any(|m| m.contains("#REF!")));
        assert!(messages.iter().any(|m| m.contains("空行")));
    }

    #[test]
    fn numbers_dates_and_flags_reject_text() {
        assert!(number("1,000").unwrap_err().contains("カンマ"));
        assert!(number("１２").unwrap_err().contains("全角"));
        assert!(number("100円").unwrap_err().contains("単位"));
        assert_eq!(number("-3.5"), Ok(-3.5));
        assert_eq!(time("09:00"), Ok(true));
        assert_eq!(time("9:00"), Ok(false));
        assert_eq!(time("25:00"), Err(()));
        let ev = find("event").unwrap();
        let header = ev.header(Variant::Old);
        let mut row = vec![String::new(); header.len()];
        for (col, v) in [
            ("都道府県コード又は市区町村コード", "390003"),
            ("NO", "1"),
            ("イベント名", "よさこい"),
            ("イベント名_カナ", "ヨサコイ"),
            ("開始日", "令和6年8月9日"),
            ("終了日", "2024/08/12"),
            ("開始時間", "10:00"),
            ("終了時間", "21:00"),
            ("説明", "サンプル"),
            ("場所名称", "追手筋"),
            ("住所", "高知県高知市"),
        ] {
            row[header.iter().position(|h| h == col).unwrap()] = v.into();
        }
        let text = format!("{}\n{}\n", header.join(","), row.join(","));
        let r = validate_text(&text, &ev);
        let msg = |c: &str| {
            r.problems
                .iter()
                .find(|p| p.column.as_deref() == Some(c))
                .unwrap()
                .message
                .clone()
        };
        assert!(msg("開始日").contains("和暦"));
        assert!(msg("終了日").contains("区切りは「-」"));
    }

    #[test]
    fn a_title_row_above_the_header_is_reported_and_the_rest_still_checked() {
        let text = format!("AED設置箇所一覧（令和6年4月1日現在）\n{}", aed_old(&[GOOD]));
        let r = validate_text(&text, &find("aed").unwrap());
        assert_eq!(r.errors, 1, "{}", r.to_text());
        assert!(r.problems[0].message.contains("表題"));
        assert_eq!(r.rows, 1);
    }

    #[test]
    fn an_unrelated_file_is_refused_with_a_clear_message() {
        let r = validate_text("a;b;c\n1;2;3\n", &find("aed").unwrap());
        assert!(r.problems[0].message.contains("区切り文字"));
        let r = validate_text("名前,年齢\n山田,3\n", &find("aed").unwrap());
        assert!(r.problems[0].message.contains("見出し行"));
        assert!(!r.publishable());
    }

    #[test]
    fn cp932_files_are_detected() {
        let text = aed_old(&[GOOD]);
        let bytes = madoguchi_japanese::encoding::encode_cp932(&text).unwrap();
        let (r, utf8) = validate_bytes(&bytes, &find("aed").unwrap());
        assert_eq!(r.encoding, "Shift_JIS");
        assert_eq!(utf8, text);
        assert!(r.publishable(), "{}", r.to_text());
    }

    #[test]
    fn evacuation_old_layout_starts_with_no() {
        let ev = find("evacuation").unwrap();
        let header = ev.header(Variant::Old);
        assert_eq!(header[0], "NO");
        let mut row = vec![String::new(); header.len()];
        for (col, v) in [
            ("NO", "1"),
            ("名称", "南国市立小学校"),
            ("名称_カナ", "ナンコクシリツショウガッコウ"),
            ("住所", "高知県南国市"),
            ("電話番号", "088-000-0000"),
            ("市区町村コード", "392049"),
            ("災害種別_地震", "1"),
            ("災害種別_洪水", "○"),
        ] {
            row[header.iter().position(|h| h == col).unwrap()] = v.into();
        }
        let text = format!("{}\n{}\n", header.join(","), row.join(","));
        let r = validate_text(&text, &ev);
        assert_eq!(r.variant, Some(Variant::Old));
        assert_eq!(r.errors, 1, "{}", r.to_text());
        assert!(r.problems[0].message.contains("「1」"));
    }
}
