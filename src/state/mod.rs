//! What a run leaves on disk to be continued or combined later: the
//! provenance that ties a file to the scenario it came from, the partial
//! summaries of `run --shard` and the saved state a `--top-up` continues.
//! Plain data: [`crate::engine::shard`] computes and folds it.

pub mod partial;
pub mod provenance;
pub mod saved;

pub use partial::{Batch, Partial, PartialCell, read_partials};
pub use provenance::Provenance;
pub use saved::{RunState, STATE_FILE};
