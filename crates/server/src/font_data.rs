//! A Japanese font for issued documents on a machine that has none: the demo installs Noto Sans CJK JP
//! (SIL Open Font License) from the PyPI package `noto-cjk-sans-jp-regular` with the machine's own `pip`,
//! as it does the postal data, into `data_dir/fonts`. It has 𠮷, 髙, 﨑 and the Adobe-Japan1 variation
//! sequences. Servers in production install Debian's `fonts-ipamj-mincho` / `fonts-noto-cjk` instead
//! (ADR 0015); without any font the issuance pages say so in Japanese.

use madoguchi_kernel::Config;
use std::path::PathBuf;
use std::process::Command;

/// The font file the demo installs.
pub const FILE: &str = "NotoSansCJKjp-Regular.otf";

/// Installs the font unless a usable Japanese font is already found; returns the font used first.
pub fn ensure(config: &Config) -> anyhow::Result<String> {
    use madoguchi_issuance::fonts::FontSet;
    let candidates = FontSet::candidates(&config.issuance.font_paths, &config.data_dir);
    if let Some(set) = FontSet::load(&candidates) {
        return Ok(set.names().join(", "));
    }
    let dir = config.data_dir.join("fonts");
    std::fs::create_dir_all(&dir)?;
    let tmp = dir.join("download");
    std::fs::create_dir_all(&tmp)?;
    let status = Command::new("python3")
        .args(["-m", "pip", "download", "--quiet", "--no-deps", "--dest"])
        .arg(&tmp)
        .arg("noto-cjk-sans-jp-regular==0.0.1")
        .status()?;
    anyhow::ensure!(
        status.success(),
        "pip download noto-cjk-sans-jp-regular failed"
    );
    let target: PathBuf = dir.join(FILE);
    let script = "import sys, zipfile, glob, shutil\n\
                  wheel = sorted(glob.glob(sys.argv[1] + '/noto_cjk_sans_jp_regular-*.whl'))[-1]\n\
                  with zipfile.ZipFile(wheel) as z, z.open('noto_cjk_sans_jp_regular/NotoSansCJKjp-Regular.otf') as src, open(sys.argv[2] + '.part', 'wb') as dst:\n    shutil.copyfileobj(src, dst)\n";
    let status = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&tmp)
        .arg(&target)
        .status()?;
    anyhow::ensure!(status.success(), "extracting the font failed");
    std::fs::rename(target.with_extension("otf.part"), &target)?;
    let _ = std::fs::remove_dir_all(&tmp);
    Ok(FILE.to_string())
}
