//! Putting files on disk so that a reader never sees half a run.
//!
//! * [`write_outputs`]: a run's folder changes as a whole. Every file is
//!   written into a fresh sibling folder `OUT/.<name>.tmp-<random>`, created
//!   exclusively, each file opened with `O_EXCL` and fsynced; the folder is
//!   then swapped with the old one in one step (`renameat2(RENAME_EXCHANGE)`
//!   on Linux) and the old one removed. Where the exchange is not supported
//!   (another OS, some network file systems) the old folder is renamed aside
//!   to `OUT/.<name>.old-<random>` and the new one renamed into place: a kill
//!   between those two renames leaves the previous run whole in the `.old-`
//!   folder, which the next write renames back before anything else.
//! * [`write_file`]: one file replaced atomically (exclusive temporary file,
//!   fsync, rename) without touching its neighbours, for shards that write
//!   `partial-K-of-N.json` into one folder concurrently.
//! * [`check_writable`]: a probe before simulating, so a run does not compute
//!   for an hour and then fail to save.
//!
//! Symbolic links: `OUT/<name>` must be a real folder (or absent); a link
//! there is refused rather than followed or replaced, so a run can never
//! write into, or delete, a folder elsewhere. Temporary names are random
//! and created exclusively, so a planted file or link is never written
//! through. Every failure path removes what it created.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Writes `files` as the whole content of folder `dir`, replacing what was
/// there in one step. Regular files already in `dir` whose names are not in
/// `owned` (such as the `partial-*.json` of shards) are carried over; files
/// in `owned` that this run does not write (a chart a previous run drew)
/// are dropped, so the folder never mixes two runs.
///
/// # Errors
/// [`Error::Input`] if `dir` is a symbolic link or not a folder;
/// [`Error::Failed`] if a file cannot be written or the folder swapped
/// (the previous folder is then left as it was).
pub fn write_outputs(dir: &Path, files: &[(&str, Vec<u8>)], owned: &[&str]) -> Result<()> {
    let (parent, name) = split(dir)?;
    fs::create_dir_all(&parent).map_err(|e| failed(&parent, "cannot create the folder", e))?;
    recover_interrupted_swap(&parent, &name)?;
    let existing = existing_folder(dir)?;
    let staged = TempDir::create(&parent, &format!(".{name}.tmp-"))?;
    for (file, bytes) in files {
        write_new(&staged.path.join(file), bytes)?;
    }
    if existing {
        carry_over(dir, &staged.path, files, owned)?;
    }
    sync_dir(&staged.path)?;
    swap_in(&staged, dir, existing)?;
    // The staged path now holds the previous run (or nothing): drop removes it.
    drop(staged);
    // The new folder is in place: a parent that cannot be synced (some
    // network and FUSE file systems) must not turn success into failure.
    let _ = sync_dir(&parent);
    Ok(())
}

/// Replaces the single file `dir/name` with `bytes` atomically: readers see
/// the old file or the new one, and other files in `dir` are untouched.
///
/// # Errors
/// As [`write_outputs`].
pub fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> Result<()> {
    fs::create_dir_all(dir).map_err(|e| failed(dir, "cannot create the folder", e))?;
    existing_folder(dir)?;
    let (tmp, mut file) = create_exclusive(dir, &format!(".{name}.tmp-"))?;
    let guard = TempFile(Some(tmp.clone()));
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| failed(&tmp, "cannot write", e))?;
    let target = dir.join(name);
    fs::rename(&tmp, &target).map_err(|e| failed(&target, "cannot move the new file to", e))?;
    std::mem::forget(guard);
    sync_dir(dir)
}

/// Checks that files can be created in `dir` (creating it), before any
/// simulation starts.
///
/// # Errors
/// [`Error::Input`] naming the folder, with what to do.
pub fn check_writable(dir: &Path) -> Result<()> {
    let refuse = |e: &dyn std::fmt::Display| {
        Error::input(format!(
            "{}: cannot write the results there ({e}); choose another folder with --out",
            dir.display()
        ))
    };
    fs::create_dir_all(dir).map_err(|e| refuse(&e))?;
    let (probe, file) = create_exclusive(dir, ".write-probe-").map_err(|e| refuse(&e))?;
    drop(file);
    fs::remove_file(&probe).map_err(|e| refuse(&e))?;
    Ok(())
}

/// The parent folder and the name of `dir`.
fn split(dir: &Path) -> Result<(PathBuf, String)> {
    let name = dir
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| Error::input(format!("{}: not a folder name", dir.display())))?;
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    Ok((parent, name.to_string()))
}

/// Whether `dir` exists; refuses a symbolic link or a non-folder there.
fn existing_folder(dir: &Path) -> Result<bool> {
    match fs::symlink_metadata(dir) {
        Ok(m) if m.file_type().is_symlink() => Err(Error::input(format!(
            "{}: is a symbolic link; trialsim writes only into real folders (remove the link or choose another --out)",
            dir.display()
        ))),
        Ok(m) if !m.is_dir() => Err(Error::input(format!(
            "{}: exists and is not a folder; move it away or choose another --out",
            dir.display()
        ))),
        Ok(_) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(failed(dir, "cannot inspect", e)),
    }
}

/// A swap killed between its two renames (the fallback scheme) leaves the
/// previous run in `.<name>.old-*` and no `<name>`: put it back.
fn recover_interrupted_swap(parent: &Path, name: &str) -> Result<()> {
    let dir = parent.join(name);
    if fs::symlink_metadata(&dir).is_ok() {
        return Ok(());
    }
    let prefix = format!(".{name}.old-");
    let Ok(entries) = fs::read_dir(parent) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let is_old = entry
            .file_name()
            .to_str()
            .is_some_and(|n| n.starts_with(&prefix));
        if is_old && entry.file_type().is_ok_and(|t| t.is_dir()) {
            fs::rename(entry.path(), &dir)
                .map_err(|e| failed(&entry.path(), "cannot restore the previous run from", e))?;
            return Ok(());
        }
    }
    Ok(())
}

/// Hard-links (or copies) into `staged` the regular files of `dir` that are
/// neither written now nor owned by the writer.
fn carry_over(dir: &Path, staged: &Path, files: &[(&str, Vec<u8>)], owned: &[&str]) -> Result<()> {
    let entries = fs::read_dir(dir).map_err(|e| failed(dir, "cannot read the folder", e))?;
    for entry in entries {
        let entry = entry.map_err(|e| failed(dir, "cannot read the folder", e))?;
        let n = entry.file_name();
        let ours = |f: &&str| std::ffi::OsStr::new(f) == n;
        if owned.iter().any(ours) || files.iter().any(|(f, _)| ours(f)) {
            continue;
        }
        // A killed shard's hidden temp file is not a file anyone keeps.
        if n.as_encoded_bytes().starts_with(b".") && n.to_string_lossy().contains(".tmp-") {
            continue;
        }
        let kind = entry
            .file_type()
            .map_err(|e| failed(&entry.path(), "cannot inspect", e))?;
        if !kind.is_file() {
            return Err(Error::input(format!(
                "{}: trialsim replaces {} as a whole and keeps only plain files in it; move this away first",
                entry.path().display(),
                dir.display()
            )));
        }
        let to = staged.join(&n);
        if fs::hard_link(entry.path(), &to).is_err() {
            fs::copy(entry.path(), &to).map_err(|e| failed(&entry.path(), "cannot keep", e))?;
        }
    }
    Ok(())
}

/// Puts `staged` at `dir`, in one step where the system allows.
fn swap_in(staged: &TempDir, dir: &Path, existing: bool) -> Result<()> {
    if !existing {
        return fs::rename(&staged.path, dir)
            .map_err(|e| failed(dir, "cannot move the new results to", e));
    }
    match exchange(&staged.path, dir) {
        Ok(()) => return Ok(()),
        Err(e) if !exchange_unsupported(&e) => {
            return Err(failed(dir, "cannot swap the new results into", e));
        }
        Err(_) => {}
    }
    let (parent, name) = split(dir)?;
    let old = TempDir::create(&parent, &format!(".{name}.old-"))?;
    fs::remove_dir(&old.path).map_err(|e| failed(&old.path, "cannot prepare", e))?;
    fs::rename(dir, &old.path).map_err(|e| failed(dir, "cannot move aside", e))?;
    if let Err(e) = fs::rename(&staged.path, dir) {
        let _ = fs::rename(&old.path, dir);
        old.disarm();
        return Err(failed(dir, "cannot move the new results to", e));
    }
    Ok(())
}

#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let c = |p: &Path| {
        CString::new(p.as_os_str().as_bytes())
            .map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))
    };
    let (a, b) = (c(a)?, c(b)?);
    // SAFETY: both are valid NUL-terminated paths that outlive the call.
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> io::Result<()> {
    Err(io::Error::from(io::ErrorKind::Unsupported))
}

fn exchange_unsupported(e: &io::Error) -> bool {
    #[cfg(target_os = "linux")]
    if matches!(e.raw_os_error(), Some(libc::EINVAL | libc::ENOSYS)) {
        return true;
    }
    e.kind() == io::ErrorKind::Unsupported
}

/// A random suffix for temporary names.
fn random_suffix() -> String {
    format!("{:016x}", rand::random::<u64>())
}

/// Creates a new file `dir/<prefix><random>` exclusively (`O_EXCL`: never
/// an existing file, never through a link).
fn create_exclusive(dir: &Path, prefix: &str) -> io::Result<(PathBuf, File)> {
    loop {
        let path = dir.join(format!("{prefix}{}", random_suffix()));
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(f) => return Ok((path, f)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
    }
}

/// Writes and fsyncs a file that must not exist yet.
fn write_new(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| failed(path, "cannot create", e))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(|e| failed(path, "cannot write", e))
}

/// Makes a folder's entries durable (a no-op where folders cannot be opened).
fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    match File::open(dir).and_then(|d| d.sync_all()) {
        // File systems that cannot sync a folder (EINVAL, ENOTSUP on some
        // FUSE, SMB and exFAT mounts) still write its files.
        Err(e) if matches!(e.raw_os_error(), Some(libc::EINVAL | libc::ENOTSUP)) => {}
        other => other.map_err(|e| failed(dir, "cannot sync", e))?,
    }
    let _ = dir;
    Ok(())
}

fn failed(path: &Path, what: &str, e: io::Error) -> Error {
    Error::Failed(anyhow::anyhow!("{what} {}: {e}", path.display()))
}

/// A folder created exclusively with a random name, removed on drop unless
/// disarmed.
struct TempDir {
    path: PathBuf,
}

impl TempDir {
    fn create(parent: &Path, prefix: &str) -> Result<TempDir> {
        loop {
            let path = parent.join(format!("{prefix}{}", random_suffix()));
            match fs::create_dir(&path) {
                Ok(()) => return Ok(TempDir { path }),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(failed(&path, "cannot create", e)),
            }
        }
    }

    fn disarm(self) {
        std::mem::forget(self);
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}

/// A temporary file removed on drop (forgotten once renamed into place).
struct TempFile(Option<PathBuf>);

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = fs::remove_file(p);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn a_rewrite_drops_stale_outputs_keeps_foreign_files_and_leaves_no_temp() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("run");
        write_outputs(
            &dir,
            &[("a", b"1".to_vec()), ("b", b"1".to_vec())],
            &["a", "b"],
        )
        .unwrap();
        fs::write(dir.join("partial-1-of-2.json"), b"p").unwrap();
        write_outputs(&dir, &[("a", b"2".to_vec())], &["a", "b"]).unwrap();
        assert_eq!(names(&dir), ["a", "partial-1-of-2.json"]);
        assert_eq!(fs::read(dir.join("a")).unwrap(), b"2");
        assert_eq!(names(tmp.path()), ["run"]);
    }

    #[cfg(unix)]
    #[test]
    fn a_rewrite_keeps_a_foreign_file_whose_name_is_not_utf8_and_drops_a_dead_shards_temp() {
        use std::os::unix::ffi::OsStrExt;
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("run");
        write_outputs(&dir, &[("a", b"1".to_vec())], &["a"]).unwrap();
        let odd = std::ffi::OsStr::from_bytes(b"notes-\xff.txt");
        fs::write(dir.join(odd), b"mine").unwrap();
        fs::write(dir.join(".partial-1-of-2.json.tmp-abc123"), b"half").unwrap();
        write_outputs(&dir, &[("a", b"2".to_vec())], &["a"]).unwrap();
        assert_eq!(fs::read(dir.join(odd)).unwrap(), b"mine");
        assert!(!dir.join(".partial-1-of-2.json.tmp-abc123").exists());
    }

    #[test]
    fn a_failed_write_leaves_the_previous_folder_and_no_temp() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("run");
        write_outputs(&dir, &[("a", b"1".to_vec())], &["a"]).unwrap();
        // A file name that cannot be created fails half-way through.
        let err = write_outputs(
            &dir,
            &[("a", b"2".to_vec()), ("no/such/folder", b"x".to_vec())],
            &["a"],
        );
        assert!(err.is_err());
        assert_eq!(fs::read(dir.join("a")).unwrap(), b"1");
        assert_eq!(names(tmp.path()), ["run"]);
    }

    #[test]
    fn an_interrupted_fallback_swap_is_recovered() {
        let tmp = tempfile::tempdir().unwrap();
        fs::create_dir(tmp.path().join(".run.old-1234")).unwrap();
        fs::write(tmp.path().join(".run.old-1234/state.json"), b"s").unwrap();
        write_outputs(&tmp.path().join("run"), &[("a", b"1".to_vec())], &["a"]).unwrap();
        assert_eq!(names(&tmp.path().join("run")), ["a", "state.json"]);
        assert_eq!(names(tmp.path()), ["run"]);
    }

    #[cfg(unix)]
    #[test]
    fn a_symlinked_run_folder_is_refused_not_followed() {
        let tmp = tempfile::tempdir().unwrap();
        let elsewhere = tmp.path().join("elsewhere");
        fs::create_dir(&elsewhere).unwrap();
        fs::write(elsewhere.join("a"), b"keep").unwrap();
        std::os::unix::fs::symlink(&elsewhere, tmp.path().join("run")).unwrap();
        let err = write_outputs(&tmp.path().join("run"), &[("a", b"x".to_vec())], &["a"]);
        assert!(err.unwrap_err().to_string().contains("symbolic link"));
        let err = write_file(&tmp.path().join("run"), "a", b"x");
        assert!(err.unwrap_err().to_string().contains("symbolic link"));
        assert_eq!(fs::read(elsewhere.join("a")).unwrap(), b"keep");
    }

    #[test]
    fn write_file_replaces_one_file_and_leaves_no_temp() {
        let tmp = tempfile::tempdir().unwrap();
        fs::write(tmp.path().join("other"), b"o").unwrap();
        write_file(tmp.path(), "p.json", b"1").unwrap();
        write_file(tmp.path(), "p.json", b"2").unwrap();
        assert_eq!(names(tmp.path()), ["other", "p.json"]);
        assert_eq!(fs::read(tmp.path().join("p.json")).unwrap(), b"2");
    }
}
