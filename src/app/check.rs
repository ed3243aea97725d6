//! `trialsim check`: validate scenario files without simulating; the first
//! bad file stops it with its error (exit code 2).

use std::path::PathBuf;

use crate::error::Result;

use crate::scenario;

/// Loads and validates each file, printing one `ok` line per good file.
///
/// # Errors
/// The first file's [`scenario::ScenarioError`].
pub fn run(files: &[PathBuf]) -> Result<()> {
    for file in files {
        let s = scenario::load(file)?;
        println!(
            "{}: ok ({}, {} on {}, n per arm {:?})",
            file.display(),
            s.name,
            s.design.analysis,
            s.endpoint.scale.kind,
            s.design.n_per_arm
        );
    }
    Ok(())
}
