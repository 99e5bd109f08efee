//! Standard dataset layouts (自治体標準オープンデータセット), read from data files in `layouts/`.
//!
//! A layout names the columns after the common leading ones; the two header layouts in circulation (old
//! 推奨データセット and the Digital Agency 正式版) are derived from it, so one file serves both.

use serde::Deserialize;
use unicode_normalization::UnicodeNormalization;

include!(concat!(env!("OUT_DIR"), "/layouts.rs"));

/// What a cell of a column must hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ColumnType {
    /// Free text.
    #[default]
    Text,
    /// A number without units or text.
    Number,
    /// A date `YYYY-MM-DD` (Western year).
    Date,
    /// A time `hh:mm`.
    Time,
    /// 有 or 無.
    Yesno,
    /// "1" or blank.
    Flag,
    /// Latitude in decimal degrees, inside Japan.
    Latitude,
    /// Longitude in decimal degrees, inside Japan.
    Longitude,
    /// 全国地方公共団体コード (6 digits with check digit).
    Code,
    /// An http(s) URL.
    Url,
}

impl ColumnType {
    /// The type's name in Japanese, for the report.
    pub fn label(self) -> &'static str {
        match self {
            ColumnType::Text => "文字列",
            ColumnType::Number => "数値",
            ColumnType::Date => "日付（YYYY-MM-DD）",
            ColumnType::Time => "時刻（hh:mm）",
            ColumnType::Yesno => "有/無",
            ColumnType::Flag => "「1」または空欄",
            ColumnType::Latitude => "緯度（10進数）",
            ColumnType::Longitude => "経度（10進数）",
            ColumnType::Code => "全国地方公共団体コード（6桁）",
            ColumnType::Url => "URL",
        }
    }
}

/// Which header layout a column belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Only {
    /// Old 推奨データセット only.
    Old,
    /// Digital Agency 正式版 only.
    Official,
}

/// One column of a layout file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnSpec {
    /// Header text.
    pub name: String,
    /// Whether every row needs a value.
    #[serde(default)]
    pub required: bool,
    /// Cell type.
    #[serde(default, rename = "type")]
    pub kind: ColumnType,
    /// The 住所 column, split into the address columns in 正式版.
    #[serde(default)]
    pub address: bool,
    /// Present in one header layout only.
    #[serde(default)]
    pub only: Option<Only>,
    /// Other accepted header spellings.
    #[serde(default)]
    pub aliases: Vec<String>,
}

/// A standard dataset layout file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Layout {
    /// Short id (`aed`).
    pub id: String,
    /// Japanese name (AED設置箇所一覧).
    pub title: String,
    /// The type tag BODIK looks for (AED設置箇所).
    pub type_tag: String,
    /// Whether the old header starts with the common four columns.
    #[serde(default = "yes")]
    pub old_common: bool,
    /// Columns after the common ones.
    pub columns: Vec<ColumnSpec>,
}

fn yes() -> bool {
    true
}

/// The two header layouts in circulation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum Variant {
    /// 推奨データセット (2016–): `都道府県コード又は市区町村コード, NO, 都道府県名, 市区町村名, …`.
    Old,
    /// 自治体標準オープンデータセット 正式版 (Digital Agency): `全国地方公共団体コード, ID, 地方公共団体名, …`.
    Official,
}

impl Variant {
    /// Name shown in the report.
    pub fn label(self) -> &'static str {
        match self {
            Variant::Old => "推奨データセット（旧様式）",
            Variant::Official => "自治体標準オープンデータセット 正式版（デジタル庁）",
        }
    }
}

/// A column as expected in one variant.
#[derive(Debug, Clone)]
pub struct Expected {
    /// Header text.
    pub name: String,
    /// Normalised header names that match it (NFKC, no spaces).
    pub keys: Vec<String>,
    /// Required.
    pub required: bool,
    /// Type.
    pub kind: ColumnType,
    /// One of the 正式版's split address columns, which a file with one 住所 column does not have.
    pub address_part: bool,
}

fn expected(name: &str, required: bool, kind: ColumnType, aliases: &[String]) -> Expected {
    let mut keys = vec![header_key(name)];
    keys.extend(aliases.iter().map(|a| header_key(a)));
    Expected {
        name: name.to_string(),
        keys,
        required,
        kind,
        address_part: false,
    }
}

/// A split address column of the 正式版 (a single-住所 file lacks it without a warning).
fn address_part(name: &str, required: bool, kind: ColumnType, aliases: &[String]) -> Expected {
    Expected {
        address_part: true,
        ..expected(name, required, kind, aliases)
    }
}

/// Normalises a header cell for matching: NFKC (full/half-width brackets alike), spaces removed.
pub fn header_key(s: &str) -> String {
    s.nfkc().filter(|c| !c.is_whitespace()).collect()
}

impl Layout {
    /// Parses a layout file.
    pub fn parse(text: &str) -> Result<Layout, String> {
        let l: Layout = toml::from_str(text).map_err(|e| e.to_string())?;
        if l.id.is_empty() || !l.id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(format!("id「{}」は英数字と _ で指定してください", l.id));
        }
        Ok(l)
    }

    /// The columns of a header layout, in order.
    pub fn columns(&self, variant: Variant) -> Vec<Expected> {
        let mut out = Vec::new();
        match variant {
            Variant::Old if self.old_common => {
                out.push(expected(
                    "都道府県コード又は市区町村コード",
                    true,
                    ColumnType::Code,
                    &["市区町村コード".into(), "都道府県コード".into()],
                ));
                out.push(expected("NO", true, ColumnType::Text, &["No".into()]));
                out.push(expected("都道府県名", false, ColumnType::Text, &[]));
                out.push(expected("市区町村名", false, ColumnType::Text, &[]));
            }
            Variant::Old => {}
            Variant::Official => {
                out.push(expected(
                    "全国地方公共団体コード",
                    true,
                    ColumnType::Code,
                    &[],
                ));
                out.push(expected("ID", true, ColumnType::Text, &[]));
                out.push(expected("地方公共団体名", false, ColumnType::Text, &[]));
            }
        }
        for c in &self.columns {
            match (c.only, variant) {
                (Some(Only::Old), Variant::Official) | (Some(Only::Official), Variant::Old) => {
                    continue;
                }
                _ => {}
            }
            if c.address && variant == Variant::Official {
                out.push(address_part(
                    "所在地_全国地方公共団体コード",
                    false,
                    ColumnType::Code,
                    &[],
                ));
                out.push(address_part("町字ID", false, ColumnType::Text, &[]));
                // Files made before the address was split have one 住所 column: it is the 連結表記.
                out.push(expected(
                    "所在地_連結表記",
                    c.required,
                    ColumnType::Text,
                    &["住所".into(), "所在地".into()],
                ));
                for part in [
                    "所在地_都道府県",
                    "所在地_市区町村",
                    "所在地_町字",
                    "所在地_番地以下",
                ] {
                    out.push(address_part(part, false, ColumnType::Text, &[]));
                }
                out.push(expected(
                    "建物名等(方書)",
                    false,
                    ColumnType::Text,
                    &["建物名等".into(), "方書".into()],
                ));
            } else {
                out.push(expected(&c.name, c.required, c.kind, &c.aliases));
            }
        }
        out
    }

    /// The header row of a layout, as a template file would have it.
    pub fn header(&self, variant: Variant) -> Vec<String> {
        self.columns(variant).into_iter().map(|c| c.name).collect()
    }
}

/// The built-in layouts, sorted by id, parsed once per process.
fn all() -> &'static [Layout] {
    static ALL: std::sync::OnceLock<Vec<Layout>> = std::sync::OnceLock::new();
    ALL.get_or_init(|| {
        let mut v: Vec<Layout> = BUILTIN
            .iter()
            .map(|(stem, text)| {
                Layout::parse(text).unwrap_or_else(|e| panic!("layout file {stem}.toml: {e}"))
            })
            .collect();
        v.sort_by(|a, b| a.id.cmp(&b.id));
        v
    })
}

/// Every built-in layout, sorted by id.
pub fn builtin() -> Vec<Layout> {
    all().to_vec()
}

/// A built-in layout by id.
pub fn find(id: &str) -> Option<Layout> {
    all().iter().find(|l| l.id == id).cloned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_layout_parses_and_ids_are_unique() {
        let all = builtin();
        assert!(all.len() >= 6);
        let mut ids: Vec<_> = all.iter().map(|l| l.id.clone()).collect();
        ids.dedup();
        assert_eq!(ids.len(), all.len());
        for l in &all {
            for v in [Variant::Old, Variant::Official] {
                let h = l.header(v);
                let mut keys: Vec<_> = h.iter().map(|x| header_key(x)).collect();
                keys.sort();
                keys.dedup();
                assert_eq!(
                    keys.len(),
                    h.len(),
                    "{} {:?} has duplicate columns",
                    l.id,
                    v
                );
            }
        }
    }

    #[test]
    fn aed_headers_follow_both_layouts() {
        let aed = find("aed").unwrap();
        let old = aed.header(Variant::Old);
        assert_eq!(
            &old[..6],
            [
                "都道府県コード又は市区町村コード",
                "NO",
                "都道府県名",
                "市区町村名",
                "名称",
                "名称_カナ"
            ]
        );
        assert!(old.contains(&"住所".to_string()) && old.contains(&"方書".to_string()));
        let new = aed.header(Variant::Official);
        assert_eq!(
            &new[..3],
            ["全国地方公共団体コード", "ID", "地方公共団体名"]
        );
        assert!(new.contains(&"所在地_連結表記".to_string()));
        assert!(!new.contains(&"住所".to_string()) && !new.contains(&"方書".to_string()));
    }
}
