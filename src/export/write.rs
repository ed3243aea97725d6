//! Putting rendered files on disk: every file of a run lands, or none does.
//! Kept apart from the formats so it can be hardened on its own.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// Writes `files` into `dir`, creating it. Each file goes to a hidden temporary
/// name first and is renamed over the old one only once every file has been
/// written, so a failure leaves the previous run's files intact.
///
/// # Errors
/// If the folder cannot be created or a file cannot be written.
pub fn write_outputs(dir: &Path, files: &[(&str, Vec<u8>)]) -> Result<()> {
    fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let pid = std::process::id();
    let mut staged: Vec<(PathBuf, PathBuf)> = Vec::with_capacity(files.len());
    let result = (|| -> Result<()> {
        for (name, bytes) in files {
            let tmp = dir.join(format!(".{name}.{pid}.tmp"));
            fs::write(&tmp, bytes).with_context(|| format!("cannot write {}", tmp.display()))?;
            staged.push((tmp, dir.join(name)));
        }
        Ok(())
    })();
    if let Err(e) = result {
        for (tmp, _) in &staged {
            let _ = fs::remove_file(tmp);
        }
        return Err(e);
    }
    for (tmp, target) in &staged {
        fs::rename(tmp, target)
            .with_context(|| format!("cannot move {} to {}", tmp.display(), target.display()))?;
    }
    Ok(())
}
