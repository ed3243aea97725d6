//! Where a partial or saved run came from: the scenario's text and the key
//! that decides whether two runs can be combined.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::Result;
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
    /// The validated scenario with seed and replicates blanked: two runs
    /// can be combined only if their keys are equal.
    pub key: String,
    pub trialsim_version: String,
}

impl Provenance {
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
        }
    }

    /// The scenario again, with the seed and replicates of the run.
    ///
    /// # Errors
    /// If the stored text no longer validates.
    pub fn scenario(&self) -> Result<Scenario> {
        let overrides = scenario::Overrides {
            replicates: Some(self.replicates),
            seed: Some(self.seed),
        };
        Ok(scenario::parse_with(
            Path::new(&self.scenario_file),
            &self.scenario_text,
            &overrides,
        )?)
    }
}

/// The comparison key of a scenario: everything but seed and replicates.
pub fn key(scenario: &Scenario) -> String {
    let mut s = scenario.clone();
    s.simulation.seed = 0;
    s.simulation.replicates = 0;
    format!("{s:?}")
}
