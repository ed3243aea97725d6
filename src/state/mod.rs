//! What a run leaves on disk to be continued or combined later: the
//! provenance that ties a file to the scenario it came from, the partial
//! summaries of `run --shard` and the saved state a `--top-up` continues.
//! Plain data: [`crate::engine::shard`] computes and folds it.
//!
//! Nothing read back is trusted: files are read bounded ([`read`]), carry a
//! digest of their own content ([`digest`]), are tied to the exact
//! scenario by its digest ([`provenance`]), and their numbers are checked
//! for consistency ([`check`]) before anything is folded.

pub mod check;
pub mod digest;
pub mod partial;
pub mod provenance;
pub mod read;
pub mod saved;

pub use digest::Sealed;
pub use partial::{Batch, Partial, PartialCell, read_partials};
pub use provenance::Provenance;
pub use saved::{RunState, STATE_FILE};
