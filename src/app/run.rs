//! `trialsim run`: validate every scenario file (and any saved state to top
//! up) before simulating any, then run each whole, as one shard
//! (`--shard K/N`), or on top of a saved run (`--top-up`), and write its files.
//! `merge` shares the writing and the JSON printing.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use anyhow::Context;

use super::progress::Progress;
use crate::cli::RunArgs;
use crate::engine::{self, shard};
use crate::error::Result;
use crate::export;
use crate::report::RunReport;
use crate::scenario::{self, Scenario};
use crate::state::{Provenance, RunState, STATE_FILE};

/// A validated scenario with the text and path it came from.
struct Loaded {
    scenario: Scenario,
    provenance: Provenance,
}

/// Runs the files of `trialsim run`.
///
/// # Errors
/// [`crate::Error::Scenario`] or [`crate::Error::Input`] for bad input or
/// saved state, found before anything runs; [`crate::Error::Failed`] if
/// writing fails.
pub fn run(args: &RunArgs) -> Result<()> {
    // Validate everything (and any saved state to top up) before simulating.
    let loaded = args
        .files
        .iter()
        .map(|f| load(f, args))
        .collect::<Result<Vec<_>>>()?;
    let mut resumes = Vec::with_capacity(loaded.len());
    for l in &loaded {
        let state_path = args.out.join(&l.scenario.name).join(STATE_FILE);
        resumes.push(if args.top_up {
            RunState::read_for_top_up(&state_path, &l.scenario)?.cells
        } else {
            Vec::new()
        });
    }
    let pool = pool(args.threads)?;

    if let Some(shard) = args.shard {
        return run_shards(args, &loaded, shard, &pool);
    }

    let threads = pool.current_num_threads();
    let mut reports = Vec::with_capacity(loaded.len());
    for (l, resume) in loaded.iter().zip(&resumes) {
        let done: u64 = resume
            .iter()
            .map(|(f, p)| f.batches + p.as_ref().map_or(0, |p| p.batches))
            .sum::<u64>()
            * engine::BATCH;
        let total = engine::total_replicates(&l.scenario).saturating_sub(done);
        let started = Instant::now();
        let bar = Progress::new(&l.scenario, total, args.quiet);
        let runs = pool.install(|| {
            engine::run_scenario_from(&l.scenario, resume, &|d| bar.tick_by(d, started))
        });
        bar.finish();
        let report = RunReport::new(&l.scenario, &runs, threads, started.elapsed().as_secs_f64());
        write_run(
            &args.out,
            &report,
            &run_state(l.provenance.clone(), &runs),
            args.json || args.quiet,
        )?;
        reports.push(report);
    }
    if args.json {
        print_json(&reports)?;
    }
    Ok(())
}

/// `--shard K/N`: each scenario's K-th slice, written as
/// `OUT/<name>/partial-K-of-N.json` for `trialsim merge`.
fn run_shards(
    args: &RunArgs,
    loaded: &[Loaded],
    shard: (u64, u64),
    pool: &rayon::ThreadPool,
) -> Result<()> {
    for l in loaded {
        let started = Instant::now();
        let bar = Progress::new(
            &l.scenario,
            engine::total_replicates(&l.scenario) / shard.1,
            args.quiet,
        );
        let partial = pool.install(|| {
            shard::run_shard(&l.scenario, l.provenance.clone(), shard, &|d| {
                bar.tick_by(d, started)
            })
        });
        bar.finish();
        let name = format!("partial-{}-of-{}.json", shard.0, shard.1);
        let dir = args.out.join(&l.scenario.name);
        export::write_outputs(&dir, &[(name.as_str(), serde_json::to_vec(&partial)?)])?;
        if !args.quiet {
            eprintln!("wrote {}", dir.join(&name).display());
        }
    }
    Ok(())
}

/// Reads and validates one file, with `--replicates` and `--seed` merged in
/// before validation.
fn load(file: &Path, args: &RunArgs) -> Result<Loaded> {
    let text = std::fs::read_to_string(file).map_err(|e| scenario::ScenarioError {
        file: file.to_path_buf(),
        location: scenario::Location::File,
        message: format!("cannot read the file: {e}"),
    })?;
    let overrides = scenario::Overrides {
        replicates: args.replicates,
        seed: args.seed,
    };
    let s = scenario::parse_with(file, &text, &overrides)?;
    let provenance = Provenance::new(&s, file, &text);
    Ok(Loaded {
        scenario: s,
        provenance,
    })
}

/// Writes a finished run's files (and its resumable state) and, unless
/// `silent`, prints its table.
pub(super) fn write_run(
    out: &Path,
    report: &RunReport,
    state: &RunState,
    silent: bool,
) -> Result<()> {
    let dir = out.join(&report.scenario);
    let mut files = export::render_all(report)?;
    files.push((STATE_FILE, serde_json::to_vec(state)?));
    export::write_outputs(&dir, &files)?;
    if !silent {
        println!("{}", export::markdown::render(report));
        let names: Vec<&str> = files.iter().map(|(name, _)| *name).collect();
        println!("wrote {}/{{{}}}\n", dir.display(), names.join(", "));
    }
    Ok(())
}

/// The resumable state of a finished run.
pub(super) fn run_state(provenance: Provenance, runs: &[engine::CellRun]) -> RunState {
    RunState::new(provenance, runs.iter().map(|r| r.resume.clone()).collect())
}

/// Prints the reports as JSON on stdout: one object, or an array of several.
pub(super) fn print_json(reports: &[RunReport]) -> Result<()> {
    let text = if reports.len() == 1 {
        export::json::to_string(&reports[0])?
    } else {
        let mut t = serde_json::to_string_pretty(reports)?;
        t.push('\n');
        t
    };
    std::io::stdout().write_all(text.as_bytes())?;
    Ok(())
}

fn pool(threads: Option<u64>) -> Result<rayon::ThreadPool> {
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(t) = threads {
        builder = builder.num_threads(t as usize);
    }
    Ok(builder.build().context("cannot start the worker threads")?)
}

/// A thread pool of exactly `threads` workers (for `trialsim bench`).
///
/// # Errors
/// If the threads cannot be started.
pub fn thread_pool(threads: usize) -> Result<rayon::ThreadPool> {
    pool(Some(threads as u64))
}
