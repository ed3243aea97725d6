//! trialsim: Monte Carlo simulation of controlled pediatric MSC trial protocols.
//!
//! The pipeline: a [`scenario`] file is validated, each sample size becomes an
//! [`engine::Cell`] (a [`cohort`] model plus an [`analysis`]), the engine runs
//! replicates in parallel into streamed [`summary`] accumulators, and
//! [`report`] turns them into the records that [`export`] and [`plot`] write.

pub mod analysis;
pub mod app;
pub mod bench_report;
pub mod cli;
pub mod cohort;
pub mod engine;
pub mod estimand;
pub mod evidence;
pub mod export;
pub mod intercurrent;
pub mod jadas;
pub mod plot;
pub mod report;
pub mod scenario;
pub mod shard;
pub mod summary;
