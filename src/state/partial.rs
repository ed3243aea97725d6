//! The partial summaries `trialsim run --shard K/N` writes: each batch's
//! summary, so a merge folds them in batch order. [`crate::engine::shard`]
//! checks them against the scenario before folding.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{Provenance, Sealed};
use crate::error::{Error, Result};
use crate::summary::Summary;

/// One batch's summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Batch {
    pub index: u64,
    pub summary: Summary,
}

/// A shard's batches of one sample size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PartialCell {
    pub n_per_arm: usize,
    pub fixed: Vec<Batch>,
    pub prior: Option<Vec<Batch>>,
    pub seconds: f64,
}

/// What `trialsim run --shard K/N` writes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Partial {
    pub provenance: Provenance,
    /// 1-based shard number and the number of shards.
    pub shard: u64,
    pub shards: u64,
    pub threads: usize,
    pub cells: Vec<PartialCell>,
    /// SHA-256 of this record with `digest` empty ([`Sealed`]).
    #[serde(default)]
    pub digest: String,
}

impl Sealed for Partial {
    const WHAT: &'static str = "partial summary";

    fn digest(&self) -> &str {
        &self.digest
    }

    fn digest_mut(&mut self) -> &mut String {
        &mut self.digest
    }
}

/// Reads partial summaries from files, or from every `partial-*.json` in
/// the folders given.
///
/// # Errors
/// [`Error::Input`] naming the file if a path cannot be read, is not a
/// regular file, exceeds [`super::read::MAX_FILE_BYTES`], is not a partial
/// summary or fails its content digest.
pub fn read_partials(paths: &[PathBuf]) -> Result<Vec<(PathBuf, Partial)>> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(|e| {
                    Error::input(format!("{}: cannot read the folder ({e})", path.display()))
                })?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with("partial-") && n.ends_with(".json"))
                })
                .collect();
            found.sort();
            if found.is_empty() {
                return Err(Error::input(format!(
                    "{}: no partial-*.json files here",
                    path.display()
                )));
            }
            files.extend(found);
        } else {
            files.push(path.clone());
        }
    }
    files
        .into_iter()
        .map(|f| {
            let partial: Partial = super::read::read_json(&f, Partial::WHAT, "")?;
            partial.verify(&f)?;
            partial.provenance.check_version(&f)?;
            Ok((f, partial))
        })
        .collect()
}
