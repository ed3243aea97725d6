//! `trialsim merge`: combine the partial summaries of `run --shard` into the
//! files (and table or JSON) a single run writes.

use std::time::Instant;

use super::run::{Show, print_json, run_state, write_run};
use crate::cli::MergeArgs;
use crate::engine::CellRun;
use crate::engine::shard;
use crate::error::Result;
use crate::report::RunReport;
use crate::state;

/// Reads, checks and merges the partials, then writes the run's files.
///
/// # Errors
/// [`crate::Error::Input`] for partials that do not belong together, or a
/// failure to write.
pub fn run(args: &MergeArgs) -> Result<()> {
    let started = Instant::now();
    let merged = shard::merge(state::read_partials(&args.paths)?)?;
    crate::export::check_writable(&args.out)?;
    let runs: &[CellRun] = &merged.runs;
    let elapsed = runs.iter().map(|r| r.seconds).sum::<f64>();
    let report = RunReport::new(&merged.scenario, runs, merged.threads, elapsed);
    let state = run_state(merged.provenance.clone(), runs);
    write_run(&args.out, &report, &state, Show::of(args.json, args.quiet))?;
    if args.json {
        print_json(std::slice::from_ref(&report))?;
    }
    if !args.quiet && !args.json {
        eprintln!("merged in {:.2} s", started.elapsed().as_secs_f64());
    }
    Ok(())
}
