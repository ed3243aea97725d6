//! trialsim: Monte Carlo simulation of controlled pediatric MSC trial protocols.
//!
//! The pipeline, one folder per stage: a [`scenario`] file is validated;
//! [`design`] says who is randomised to what; each sample size becomes an
//! [`engine::Cell`], whose trials draw patients' latent courses ([`cohort`]),
//! lay flares and therapies over them ([`intercurrent`]), analyse them under
//! each [`estimand`] with an [`analysis`] and a [`decision`] rule, and fold the
//! results into mergeable [`summary`] accumulators; [`report`] turns the
//! summaries into the records that [`export`] and [`plot`] write.
//! [`state`] holds what a run leaves to be merged or continued, and
//! [`error::Error`] every way a command fails. `docs/ARCHITECTURE.md` is the map.

pub use error::{Error, Result};

pub mod analysis;
pub mod app;
pub mod calibration;
pub mod cli;
pub mod cohort;
pub mod decision;
pub mod design;
pub mod engine;
pub mod error;
pub mod estimand;
pub mod evidence;
pub mod export;
pub mod intercurrent;
pub mod plot;
pub mod report;
pub mod rng;
pub mod scenario;
pub mod state;
pub mod stats;
pub mod summary;
