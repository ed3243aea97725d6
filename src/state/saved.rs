//! A run's resumable state (`state.json`): the fold of each cell's complete
//! batches, from which `--top-up` continues. An interrupted run saves the
//! batches it finished, marked incomplete.

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::provenance::key;
use super::{Provenance, Sealed};
use crate::engine::BATCH;
use crate::error::{Error, Result};
use crate::scenario::Scenario;
use crate::summary::Resume;

/// File name of a run's resumable state.
pub const STATE_FILE: &str = "state.json";

/// A run's resumable state (`state.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunState {
    pub provenance: Provenance,
    /// Whether every batch of `provenance.replicates` is folded in; false
    /// when the run was interrupted (Ctrl-C) and `--top-up` must finish it.
    pub complete: bool,
    /// Per sample size: the folds of complete batches, fixed effect and prior.
    pub cells: Vec<(Resume, Option<Resume>)>,
    /// SHA-256 of this record with `digest` empty ([`Sealed`]).
    #[serde(default)]
    pub digest: String,
}

impl Sealed for RunState {
    const WHAT: &'static str = "saved run";

    fn digest(&self) -> &str {
        &self.digest
    }

    fn digest_mut(&mut self) -> &mut String {
        &mut self.digest
    }
}

impl RunState {
    /// The state of a run (`complete` unless interrupted): each cell's
    /// complete-batch folds, sealed with its content digest.
    pub fn new(
        provenance: Provenance,
        complete: bool,
        cells: Vec<(Resume, Option<Resume>)>,
    ) -> RunState {
        RunState {
            provenance,
            complete,
            cells,
            digest: String::new(),
        }
        .sealed()
    }

    /// Replicates saved: the complete batches of every cell and pass.
    pub fn saved_replicates(&self) -> u64 {
        self.cells
            .iter()
            .map(|(f, p)| f.batches + p.as_ref().map_or(0, |p| p.batches))
            .sum::<u64>()
            * BATCH
    }

    /// Reads the saved run at `path`, checks its digest and that it can be
    /// topped up to `scenario`. The per-cell numbers are checked by
    /// [`crate::engine::shard::check_state`].
    ///
    /// # Errors
    /// [`Error::Input`] if the file cannot be read, is not a run state,
    /// was altered, or belongs to another scenario or seed.
    pub fn read_for_top_up(path: &Path, scenario: &Scenario) -> Result<RunState> {
        let state: RunState =
            super::read::read_json(path, Self::WHAT, "; run once without --top-up first")?;
        state.verify(path)?;
        state.provenance.check_version(path)?;
        state.check_top_up(scenario, path)?;
        Ok(state)
    }

    /// Checks that this saved run can be topped up to `scenario`.
    ///
    /// # Errors
    /// An [`Error::Input`] if the scenario or seed differ, the stored
    /// scenario text does not match its key, or the saved run already has
    /// more replicates than asked for.
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
        p.scenario(path)?;
        let saved = if self.complete {
            p.replicates
        } else {
            self.cells
                .iter()
                .flat_map(|(f, p)| std::iter::once(f).chain(p))
                .map(|r| r.batches * BATCH)
                .max()
                .unwrap_or(0)
        };
        if saved > scenario.simulation.replicates {
            return Err(Error::input(format!(
                "{}: the saved run already has {saved} replicates; ask for at least that many with --replicates",
                path.display(),
            )));
        }
        Ok(())
    }
}
