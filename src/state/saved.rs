//! A run's resumable state (`state.json`): the fold of each cell's complete
//! batches, from which `--top-up` continues.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::Provenance;
use super::provenance::key;
use crate::error::{Error, Result};
use crate::scenario::Scenario;
use crate::summary::Resume;

/// File name of a run's resumable state.
pub const STATE_FILE: &str = "state.json";

/// A run's resumable state (`state.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunState {
    pub provenance: Provenance,
    /// Per sample size: the folds of complete batches, fixed effect and prior.
    pub cells: Vec<(Resume, Option<Resume>)>,
}

impl RunState {
    /// The state of a finished run: each cell's complete-batch folds.
    pub fn new(provenance: Provenance, cells: Vec<(Resume, Option<Resume>)>) -> RunState {
        RunState { provenance, cells }
    }

    /// Reads the saved run at `path` and checks it can be topped up to
    /// `scenario`.
    ///
    /// # Errors
    /// [`Error::Input`] if the file cannot be read, is not a run state, or
    /// belongs to another scenario or seed.
    pub fn read_for_top_up(path: &Path, scenario: &Scenario) -> Result<RunState> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::input(format!(
                "{}: cannot read the saved run to top up ({e}); run once without --top-up first",
                path.display()
            ))
        })?;
        let state: RunState = serde_json::from_str(&text).map_err(|e| {
            Error::input(format!(
                "{}: not a trialsim run state ({e})",
                path.display()
            ))
        })?;
        state.check_top_up(scenario, path)?;
        Ok(state)
    }

    /// Checks that this saved run can be topped up to `scenario`.
    ///
    /// # Errors
    /// An [`Error::Input`] if the scenario or seed differ, or the saved run
    /// already has more replicates than asked for.
    pub fn check_top_up(&self, scenario: &Scenario, path: &Path) -> Result<()> {
        let p = &self.provenance;
        if p.key != key(scenario) {
            return Err(Error::input(format!(
                "{}: the saved run is of a different scenario than {} (same name, other settings); run without --top-up to start afresh",
                path.display(),
                scenario.name
            )));
        }
        if p.seed != scenario.simulation.seed {
            return Err(Error::input(format!(
                "{}: the saved run used seed {}, not {}; topping up needs the same seed",
                path.display(),
                p.seed,
                scenario.simulation.seed
            )));
        }
        if p.replicates > scenario.simulation.replicates {
            return Err(Error::input(format!(
                "{}: the saved run already has {} replicates; ask for at least that many with --replicates",
                path.display(),
                p.replicates
            )));
        }
        Ok(())
    }
}
