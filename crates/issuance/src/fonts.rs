//! Japanese fonts for issued documents, with per-character fallback.
//!
//! Names on permits need characters outside JIS X 0208 (𠮷 U+20BB7, 髙, 﨑) and ideographic variation
//! sequences (辻 + U+E0100). No single common font has all of them, so a document is drawn with a list of
//! fonts: each character (with its variation selector, if any) uses the first font that has a glyph for the
//! sequence, else the first that has the base character. The list is, in order: fonts named in the
//! configuration, fonts under `data_dir/fonts` (the demo fetches Noto Sans CJK JP there from PyPI), then the
//! Debian packages IPAmj明朝 (`fonts-ipamj-mincho`, 文字情報基盤), Noto Serif/Sans CJK (`fonts-noto-cjk`) and
//! IPAex明朝 (`fonts-ipaexfont-mincho`). Fonts are read once per process.

use krilla::text::Font;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

/// Debian's font files, best first for official documents (明朝 before ゴシック).
const SYSTEM_FONTS: &[&str] = &[
    "/usr/share/fonts/truetype/ipamj/ipamjm.ttf",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/ipaexfont-mincho/ipaexm.ttf",
    "/usr/share/fonts/truetype/fonts-japanese-mincho.ttf",
];

/// One loaded face.
#[derive(Clone)]
pub struct LoadedFont {
    /// The font for krilla.
    pub font: Font,
    /// The file's bytes (shared with krilla).
    pub data: Arc<Vec<u8>>,
    /// Face index in a collection.
    pub index: u32,
    /// File name, for the staff page.
    pub name: String,
}

impl std::fmt::Debug for LoadedFont {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LoadedFont({} #{})", self.name, self.index)
    }
}

/// The fonts a document is drawn with, in fallback order.
#[derive(Clone, Debug)]
pub struct FontSet {
    /// Faces, best first.
    pub fonts: Vec<LoadedFont>,
}

/// Why no document can be drawn.
pub const NO_FONT_MESSAGE: &str = "日本語フォントが見つからないため、交付文書を作成できません。\
     サーバーに IPAmj明朝（Debian パッケージ fonts-ipamj-mincho）または Noto CJK（fonts-noto-cjk）を入れるか、\
     設定 [issuance] font_paths でフォントファイルを指定してください（madoguchi demo はデータディレクトリの fonts に自動で用意します）。";

impl FontSet {
    /// The font files to try for an installation, in order.
    pub fn candidates(configured: &[PathBuf], data_dir: &Path) -> Vec<PathBuf> {
        let mut out: Vec<PathBuf> = configured.to_vec();
        if let Ok(dir) = std::fs::read_dir(data_dir.join("fonts")) {
            let mut local: Vec<PathBuf> = dir
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    matches!(
                        p.extension().and_then(|e| e.to_str()),
                        Some("otf" | "ttf" | "ttc")
                    )
                })
                .collect();
            local.sort();
            out.extend(local);
        }
        out.extend(SYSTEM_FONTS.iter().map(PathBuf::from));
        out
    }

    /// Loads the fonts found among `candidates` (missing files are skipped); cached per list for the process.
    pub fn load(candidates: &[PathBuf]) -> Option<FontSet> {
        type Cache = Mutex<Vec<(Vec<PathBuf>, Option<FontSet>)>>;
        static CACHE: OnceLock<Cache> = OnceLock::new();
        let cache = CACHE.get_or_init(Default::default);
        let existing: Vec<PathBuf> = candidates.iter().filter(|p| p.is_file()).cloned().collect();
        let mut cache = cache.lock().expect("font cache lock");
        if let Some((_, set)) = cache.iter().find(|(k, _)| *k == existing) {
            return set.clone();
        }
        let fonts: Vec<LoadedFont> = existing.iter().filter_map(|p| load_file(p)).collect();
        let set = (!fonts.is_empty()).then_some(FontSet { fonts });
        cache.push((existing, set.clone()));
        set
    }

    /// The index of the font that draws a cluster (a character and an optional variation selector).
    pub fn font_for(&self, faces: &[rustybuzz::Face<'_>], base: char, vs: Option<char>) -> usize {
        if let Some(vs) = vs
            && let Some(i) = faces
                .iter()
                .position(|f| f.glyph_variation_index(base, vs).is_some())
        {
            return i;
        }
        faces
            .iter()
            .position(|f| f.glyph_index(base).is_some())
            .unwrap_or(0)
    }

    /// Parsed faces for shaping, in the same order as `fonts`.
    pub fn faces(&self) -> Vec<rustybuzz::Face<'_>> {
        self.fonts
            .iter()
            .filter_map(|f| rustybuzz::Face::from_slice(&f.data, f.index))
            .collect()
    }

    /// Names of the loaded fonts, for the staff page.
    pub fn names(&self) -> Vec<String> {
        self.fonts.iter().map(|f| f.name.clone()).collect()
    }
}

/// Loads one file; in a collection (.ttc), the Japanese face (family name with "JP"), else the first.
fn load_file(path: &Path) -> Option<LoadedFont> {
    let data = Arc::new(std::fs::read(path).ok()?);
    let count = rustybuzz::ttf_parser::fonts_in_collection(&data).unwrap_or(1);
    let mut index = 0;
    for i in 0..count {
        if let Ok(face) = rustybuzz::ttf_parser::Face::parse(&data, i) {
            let jp = face.names().into_iter().any(|n| {
                n.name_id == rustybuzz::ttf_parser::name_id::FAMILY
                    && n.to_string().is_some_and(|s| s.contains(" JP"))
            });
            if jp {
                index = i;
                break;
            }
        }
    }
    rustybuzz::Face::from_slice(&data, index)?;
    let font = Font::new(data.clone().into(), index)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    Some(LoadedFont {
        font,
        data,
        index,
        name,
    })
}
