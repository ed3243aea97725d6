//! SHA-256 digests: of a validated scenario (which scenario a file was
//! computed from) and of a file's own content (whether it was altered or
//! corrupted since trialsim wrote it).
//!
//! The content digest is a checksum, not a signature: it catches a
//! truncated, corrupted or hand-edited file, and the consistency checks in
//! [`super::check`] catch numbers that cannot have come from a run even when
//! someone recomputed the digest.

use std::path::Path;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// SHA-256 of the canonical JSON of `value` (fields in declaration order,
/// floats written to round-trip, compact).
pub fn of_json<T: Serialize>(value: &T) -> String {
    sha256_hex(&serde_json::to_vec(value).expect("trialsim's records always serialise"))
}

/// A file that carries the digest of its own content: the canonical JSON of
/// the record with the digest field empty.
pub trait Sealed: Serialize + Clone {
    /// What the file is, for messages ("partial summary", "saved run").
    const WHAT: &'static str;

    /// The record's digest field.
    fn digest(&self) -> &str;

    /// The record's digest field, to fill in.
    fn digest_mut(&mut self) -> &mut String;

    /// The digest this record's content should carry.
    fn content_digest(&self) -> String {
        let mut blank = self.clone();
        blank.digest_mut().clear();
        of_json(&blank)
    }

    /// The record with its digest filled in, ready to write.
    #[must_use]
    fn sealed(mut self) -> Self {
        let d = self.content_digest();
        *self.digest_mut() = d;
        self
    }

    /// Checks the stored digest against the content.
    ///
    /// # Errors
    /// [`Error::Input`] naming `path` when the digest is missing or differs.
    fn verify(&self, path: &Path) -> Result<()> {
        let stored = self.digest();
        if stored.is_empty() {
            return Err(Error::input(format!(
                "{}: this {} carries no content digest (written by an older trialsim, or edited); recompute it",
                path.display(),
                Self::WHAT
            )));
        }
        if stored != self.content_digest() {
            return Err(Error::input(format!(
                "{}: this {} was altered or corrupted after trialsim wrote it (its content digest does not match); recompute it",
                path.display(),
                Self::WHAT
            )));
        }
        Ok(())
    }
}
