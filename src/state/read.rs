//! Reading a partial summary or saved run without trusting it: only
//! regular files, at most [`MAX_FILE_BYTES`], so `/dev/zero`, a FIFO or a
//! huge file cannot hang trialsim or exhaust its memory.

use std::io::Read;
use std::path::Path;

use serde::de::DeserializeOwned;

use crate::error::{Error, Result};

/// Largest partial summary or saved run trialsim reads: 1 GiB, far above
/// any real one (a shard holds one summary per batch, a few KiB each).
pub const MAX_FILE_BYTES: u64 = 1 << 30;

/// Reads and parses the JSON file `path`, a `what` ("partial summary").
///
/// # Errors
/// [`Error::Input`] naming the file when it cannot be read, is not a
/// regular file, is larger than [`MAX_FILE_BYTES`] or is not that JSON.
pub fn read_json<T: DeserializeOwned>(path: &Path, what: &str, hint: &str) -> Result<T> {
    let bad = |why: String| Error::input(format!("{}: {why}", path.display()));
    let file = std::fs::File::open(path)
        .map_err(|e| bad(format!("cannot read the {what} ({e}){hint}")))?;
    let meta = file
        .metadata()
        .map_err(|e| bad(format!("cannot read the {what} ({e})")))?;
    if !meta.is_file() {
        return Err(bad(format!(
            "not a regular file; a {what} is a JSON file trialsim wrote"
        )));
    }
    let too_big = || {
        bad(format!(
            "larger than {} bytes, more than any {what} trialsim writes",
            MAX_FILE_BYTES
        ))
    };
    if meta.len() > MAX_FILE_BYTES {
        return Err(too_big());
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| bad(format!("cannot read the {what} ({e})")))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(too_big());
    }
    serde_json::from_slice(&bytes).map_err(|e| bad(format!("not a trialsim {what} ({e})")))
}
