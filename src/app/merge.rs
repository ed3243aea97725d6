//! `trialsim merge`: combine the partial summaries of `run --shard` into the
//! files (and table or JSON) a single run writes.

use std::time::Instant;

use anyhow::Result;

use super::run::{print_json, write_run};
use crate::cli::MergeArgs;
use crate::engine::CellRun;
use crate::engine::shard::{self, RunState};
use crate::report::RunReport;

/// Reads, checks and merges the partials, then writes the run's files.
///
/// # Errors
/// A [`shard::InputError`] for partials that do not belong together, or a
/// failure to write.
pub fn run(args: &MergeArgs) -> Result<()> {
    let started = Instant::now();
    let merged = shard::merge(shard::read_partials(&args.paths)?)?;
    let runs: &[CellRun] = &merged.runs;
    let elapsed = runs.iter().map(|r| r.seconds).sum::<f64>();
    let report = RunReport::new(&merged.scenario, runs, merged.threads, elapsed);
    let state = RunState::of(merged.provenance.clone(), runs);
    write_run(&args.out, &report, &state, args.json || args.quiet)?;
    if args.json {
        print_json(std::slice::from_ref(&report))?;
    }
    if !args.quiet && !args.json {
        eprintln!("merged in {:.2} s", started.elapsed().as_secs_f64());
    }
    Ok(())
}
