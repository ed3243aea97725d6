//! `trialsim check`: validate scenario files without simulating. Every file
//! is checked and every problem found is reported (each table's first bad
//! key, each rule whose inputs are valid); any bad file makes the exit code 2.

use std::path::PathBuf;

use crate::error::{Error, Result};
use crate::scenario;

/// Loads and validates each file, printing one `ok` line per good file and
/// one `error:` line per problem on stderr.
///
/// # Errors
/// [`Error::Input`] naming how many files are not valid, after all are checked.
pub fn run(files: &[PathBuf]) -> Result<()> {
    let mut bad = 0usize;
    for file in files {
        match scenario::load_all(file) {
            Ok(s) => println!(
                "{}: ok ({}, {} on {}, n per arm {:?})",
                file.display(),
                s.name,
                s.design.analysis,
                s.endpoint.scale.kind,
                s.design.n_per_arm
            ),
            Err(errors) => {
                bad += 1;
                for e in errors {
                    eprintln!("error: {e}");
                }
            }
        }
    }
    match bad {
        0 => Ok(()),
        _ => Err(Error::input(format!(
            "{bad} of {} scenario files are not valid",
            files.len()
        ))),
    }
}
