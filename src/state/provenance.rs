//! Where a partial or saved run came from: the scenario's text and the key
//! that decides whether two runs can be combined: the SHA-256 of the
//! validated scenario's canonical JSON, seed and replicates blanked.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::scenario::{self, Scenario};

/// What a partial or saved run was computed from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    pub scenario: String,
    pub scenario_file: String,
    /// The scenario file's text, so a merge can rebuild the scenario.
    pub scenario_text: String,
    pub seed: u64,
    pub replicates: u64,
    /// SHA-256 of the validated scenario's canonical JSON with seed and
    /// replicates blanked ([`key`]): two runs can be combined only if their
    /// keys are equal, and the stored text must still validate to it.
    pub key: String,
    pub trialsim_version: String,
    /// Which way of drawing the random numbers made the replicates
    /// ([`DRAWS`]); files written before the field existed read as 1.
    #[serde(default = "first_draws")]
    pub draws: u32,
}

/// The way this build draws a replicate's random numbers, raised whenever
/// the draws change within one version, so that a top-up or merge never
/// combines replicates drawn two ways: 2 since the intermediate visits'
/// normals moved to a sub-stream of their own (drawn only when read).
pub const DRAWS: u32 = 2;

fn first_draws() -> u32 {
    1
}

impl Provenance {
    /// Refuses a file written by another trialsim version, whose summaries
    /// may count other things, or whose replicates were drawn another way.
    ///
    /// # Errors
    /// [`crate::Error::Input`] naming `path` and both versions (or both
    /// ways of drawing).
    pub fn check_version(&self, path: &Path) -> Result<()> {
        let ours = env!("CARGO_PKG_VERSION");
        if self.trialsim_version != ours {
            Err(crate::Error::input(format!(
                "{}: written by trialsim {}, and this is trialsim {ours}, whose summaries differ; rerun without --top-up (or rerun the shards)",
                path.display(),
                self.trialsim_version
            )))
        } else if self.draws != DRAWS {
            Err(crate::Error::input(format!(
                "{}: its replicates were drawn by an earlier build of trialsim {ours} (draws {}), and this build draws them another way (draws {DRAWS}: the intermediate visits have a random sub-stream of their own), so the two cannot be combined; rerun without --top-up (or rerun the shards)",
                path.display(),
                self.draws
            )))
        } else {
            Ok(())
        }
    }

    /// The provenance of `scenario`, read from `file` (whose text is `text`).
    pub fn new(scenario: &Scenario, file: &Path, text: &str) -> Provenance {
        Provenance {
            scenario: scenario.name.clone(),
            scenario_file: file.display().to_string(),
            scenario_text: text.to_string(),
            seed: scenario.simulation.seed,
            replicates: scenario.simulation.replicates,
            key: key(scenario),
            trialsim_version: env!("CARGO_PKG_VERSION").to_string(),
            draws: DRAWS,
        }
    }

    /// The scenario again, with the seed and replicates of the run, checked
    /// against the key (`file` is the partial or saved run, for messages).
    ///
    /// # Errors
    /// [`Error::Input`] naming `file` if the stored text no longer validates
    /// or validates to another scenario than the key says (an edited text,
    /// or a trialsim whose validation changed).
    pub fn scenario(&self, file: &Path) -> Result<Scenario> {
        let overrides = scenario::Overrides {
            replicates: Some(self.replicates),
            seed: Some(self.seed),
            n_per_arm: None,
        };
        let s = scenario::parse_with(
            Path::new(&self.scenario_file),
            &self.scenario_text,
            &overrides,
        )
        .map_err(|e| {
            Error::input(format!(
                "{}: the scenario stored in it no longer validates ({e})",
                file.display()
            ))
        })?;
        if key(&s) != self.key || s.name != self.scenario {
            return Err(Error::input(format!(
                "{}: the scenario text stored in it is not the scenario it was computed from (its key differs); rerun the scenario",
                file.display()
            )));
        }
        Ok(s)
    }
}

/// The comparison key of a scenario: the SHA-256 of its canonical JSON
/// with seed and replicates blanked (everything else must match).
pub fn key(scenario: &Scenario) -> String {
    let mut s = scenario.clone();
    s.simulation.seed = 0;
    s.simulation.replicates = 0;
    super::digest::of_json(&s)
}
