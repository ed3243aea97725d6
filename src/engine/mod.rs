//! The Monte Carlo engine: orchestration only.
//!
//! Replicate `r` of a cell draws from its own random stream
//! ([`crate::design::stream`]), so streams never overlap. Replicates are
//! grouped in fixed batches of [`BATCH`] ([`batch`]); each batch is
//! summarised by whichever thread runs it, and batch summaries are merged in
//! batch order. The result is therefore bit-identical for any thread count,
//! and memory does not grow with the replicate count. Whole runs and shards
//! stream every cell's batches through one loop ([`run::stream_cells`]);
//! merges fold cell by cell ([`run::each_cell`]).
//!
//! * [`cell`]: a sample size prepared (models, analysis, decision) and the
//!   replicate loop;
//! * [`trial`]: one trial's patients, from latent course to recorded data;
//! * [`looks`]: interim looks in calendar time and where a trial stops;
//! * [`batch`]: batches, their parallel execution and their ordered fold;
//! * [`run`]: the cells of a run or a shard streamed together, the per-cell
//!   loop of a merge, and whole runs;
//! * [`shard`]: shards, merges and the saved state a top-up continues;
//! * [`precision`]: runs that stop at a Monte Carlo SE (`run --mc-se`);
//! * [`search`]: the sample-size search of `trialsim design`;
//! * [`borrow`]: `trialsim borrow`, the posterior rule over weights and true effects;
//! * [`threshold`]: `decision.threshold = "calibrate"`, by a run without effect.

pub mod batch;
pub mod borrow;
pub mod cell;
pub mod looks;
pub mod precision;
pub mod run;
pub mod search;
pub mod sensitivity;
pub mod shard;
pub mod threshold;
pub mod trial;

pub use crate::summary::Resume;
pub use batch::{BATCH, Folder, NEVER_STOP, Pass, fold_cell, for_each_batch, for_each_batch_of};
pub use cell::{Cell, Workspace};
pub use run::{
    CellPasses, CellRun, Outcome, each_cell, run_cell, run_scenario, run_scenario_from,
    run_scenario_until, stream_cells, total_replicates,
};
