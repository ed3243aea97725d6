//! `trialsim run`: validate every scenario file (and any saved state to top
//! up) before simulating any, then run each whole, as one shard
//! (`--shard K/N`), or on top of a saved run (`--top-up`), and write its files.
//! `merge` shares the writing and the JSON printing.
//!
//! Before simulating: every file validates, no two share a `name` (they
//! would write one folder), saved state checks out, `--out` is writable.
//! Ctrl-C stops at the next window of batches and saves the complete ones
//! in `state.json` (and nothing else: no summary of a run that did not
//! finish), so `--top-up` continues bit-identically; a second Ctrl-C quits
//! at once.

use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use anyhow::Context;

use super::progress::Progress;
use crate::cli::RunArgs;
use crate::engine::precision::{self, Precision};
use crate::engine::{self, Outcome, shard};
use crate::error::{Error, Result};
use crate::export;
use crate::export::html::Source;
use crate::report::RunReport;
use crate::scenario::{self, Scenario};
use crate::state::{Provenance, RunState, STATE_FILE};

/// Raised by Ctrl-C; the batch loop stops at the next window.
static STOP: AtomicBool = AtomicBool::new(false);

/// Exit code of a run stopped by Ctrl-C (128 + SIGINT, as shells report it).
pub const INTERRUPTED_EXIT: u8 = 130;

/// Ctrl-C raises [`STOP`]; a second Ctrl-C exits at once.
fn catch_ctrl_c() {
    // An error means a handler is already installed (a second call in one
    // process): the first one serves.
    let _ = ctrlc::set_handler(|| {
        if STOP.swap(true, Ordering::SeqCst) {
            std::process::exit(i32::from(INTERRUPTED_EXIT));
        }
    });
}

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
    catch_ctrl_c();
    // Validate everything (and any saved state to top up) before simulating.
    let loaded = args
        .files
        .iter()
        .map(|f| load(f, args))
        .collect::<Result<Vec<_>>>()?;
    refuse_duplicate_names(&loaded)?;
    let mut resumes = Vec::with_capacity(loaded.len());
    for l in &loaded {
        let state_path = args.out.join(&l.scenario.name).join(STATE_FILE);
        resumes.push(if args.top_up {
            let state = RunState::read_for_top_up(&state_path, &l.scenario)?;
            shard::check_state(&state, &state_path)?;
            state.cells
        } else {
            Vec::new()
        });
        if let Some((_, n)) = args.shard {
            shard::check_shard_count(n, l.scenario.simulation.replicates)?;
        }
    }
    export::check_writable(&args.out)?;
    let pool = thread_pool_of(args.threads)?;

    if let Some(shard) = args.shard {
        return run_shards(args, &loaded, shard, &pool);
    }

    let threads = pool.current_num_threads();
    let mut reports = Vec::with_capacity(loaded.len());
    for (l, resume) in loaded.iter().zip(&resumes) {
        if STOP.load(Ordering::Relaxed) {
            return Err(Error::Interrupted(format!(
                "interrupted before {} started; its folder is as it was",
                l.scenario.name
            )));
        }
        let done: u64 = resume
            .iter()
            .map(|(f, p)| f.batches + p.as_ref().map_or(0, |p| p.batches))
            .sum::<u64>()
            * engine::BATCH;
        let total = engine::total_replicates(&l.scenario).saturating_sub(done);
        let started = Instant::now();
        let bar = Progress::new(&l.scenario, total, args.quiet);
        let tick = |d| bar.tick_by(d, started);
        let (finished, warning) = match args.mc_se {
            None => match pool
                .install(|| engine::run_scenario_until(&l.scenario, resume, &tick, &STOP))
            {
                Outcome::Finished(runs) => ((l.scenario.clone(), l.provenance.clone(), runs), None),
                Outcome::Interrupted(cells) => {
                    bar.finish();
                    return Err(save_interrupted(&args.out, l, cells, done, args)?);
                }
            },
            Some(target) => {
                match pool
                    .install(|| precision::run_to_precision(&l.scenario, target, &tick, &STOP))
                {
                    Precision::Reached { replicates, runs } => {
                        (with_replicates(l, replicates, runs)?, None)
                    }
                    Precision::Capped { replicates, runs } => (
                        with_replicates(l, replicates, runs)?,
                        Some(format!(
                            "--mc-se {target}: not reached within {replicates} replicates (the file's or --replicates' count, in whole batches of {}); the figures' SEs are as shown",
                            engine::BATCH
                        )),
                    ),
                    Precision::Interrupted(cells) => {
                        bar.finish();
                        return Err(save_interrupted(&args.out, l, cells, done, args)?);
                    }
                }
            }
        };
        bar.finish();
        let (scenario, provenance, runs) = finished;
        let mut report = RunReport::new(&scenario, &runs, threads, started.elapsed().as_secs_f64());
        report.warnings.extend(warning);
        if args.report {
            report.html = Some(Source {
                file: provenance.scenario_file.clone(),
                text: provenance.scenario_text.clone(),
            });
        }
        write_run(
            &args.out,
            &report,
            &run_state(provenance, &runs),
            Show::of(args.json, args.quiet),
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
            shard::run_shard(
                &l.scenario,
                l.provenance.clone(),
                shard,
                &|d| bar.tick_by(d, started),
                &STOP,
            )
        });
        bar.finish();
        let Some(partial) = partial else {
            return Err(Error::Interrupted(format!(
                "interrupted: shard {}/{} of {} not written (a shard is saved whole or not at all); rerun it",
                shard.0, shard.1, l.scenario.name
            )));
        };
        let name = format!("partial-{}-of-{}.json", shard.0, shard.1);
        let dir = args.out.join(&l.scenario.name);
        export::write_file(&dir, &name, &serde_json::to_vec(&partial)?)?;
        if !args.quiet {
            eprintln!("wrote {}", dir.join(&name).display());
        }
    }
    Ok(())
}

/// Saves what an interrupted run computed, so `--top-up` continues it:
/// `state.json` alone (no summary files). Nothing is written when the run
/// added nothing to what it resumed (Ctrl-C before its first window, or
/// between scenarios), nor over an earlier finished run of the scenario
/// unless this run tops that one up: an interruption never costs results
/// already on disk.
fn save_interrupted(
    out: &Path,
    l: &Loaded,
    cells: Vec<(engine::Resume, Option<engine::Resume>)>,
    resumed: u64,
    args: &RunArgs,
) -> Result<Error> {
    let top_up = args.top_up;
    let state = RunState::new(l.provenance.clone(), false, cells);
    let dir = out.join(&l.scenario.name);
    if state.saved_replicates() <= resumed {
        return Ok(Error::Interrupted(format!(
            "interrupted before {} computed anything new; {} is as it was",
            l.scenario.name,
            dir.display()
        )));
    }
    if !top_up && holds_finished_run(&dir) {
        return Ok(Error::Interrupted(format!(
            "interrupted: the earlier finished run in {} is kept and this run's {} replicates are dropped; rerun to replace it",
            dir.display(),
            state.saved_replicates()
        )));
    }
    export::write_outputs(
        &dir,
        &[(STATE_FILE, serde_json::to_vec(&state)?)],
        &owned_files(),
    )?;
    Ok(Error::Interrupted(format!(
        "interrupted: {} of {} replicates saved in {}; {}",
        state.saved_replicates(),
        engine::total_replicates(&l.scenario),
        dir.join(STATE_FILE).display(),
        match args.mc_se {
            // A top-up runs to the cap, not to the precision target.
            Some(t) => format!(
                "rerun with --mc-se {t} to start again (a --top-up would run on to the full cap)"
            ),
            None => "rerun with --top-up to continue".to_string(),
        }
    )))
}

/// Whether `dir` holds a finished run (its `state.json` says complete).
fn holds_finished_run(dir: &Path) -> bool {
    std::fs::read(dir.join(STATE_FILE))
        .ok()
        .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
        .is_some_and(|state| state["complete"] == serde_json::Value::Bool(true))
}

/// The scenario and provenance of a run that stopped at `replicates`
/// (`--mc-se`), validated again with that count: a fixed run of it gives the
/// same figures, and a later `--top-up` continues from it.
fn with_replicates(
    l: &Loaded,
    replicates: u64,
    runs: Vec<engine::CellRun>,
) -> Result<(Scenario, Provenance, Vec<engine::CellRun>)> {
    let mut provenance = l.provenance.clone();
    provenance.replicates = replicates;
    let scenario = provenance.scenario(Path::new(&provenance.scenario_file))?;
    Ok((scenario, provenance, runs))
}

/// Refuses two files with one `name`: both would write `OUT/<name>/`.
fn refuse_duplicate_names(loaded: &[Loaded]) -> Result<()> {
    for (i, a) in loaded.iter().enumerate() {
        if let Some(b) = loaded[..i]
            .iter()
            .find(|b| b.scenario.name == a.scenario.name)
        {
            return Err(Error::input(format!(
                "{} and {}: both have key `name` = \"{}\"; each run writes OUT/<name>/, so the scenarios of one run need different names",
                b.provenance.scenario_file, a.provenance.scenario_file, a.scenario.name
            )));
        }
    }
    Ok(())
}

/// Every file a run's folder may hold that the run itself writes.
fn owned_files() -> Vec<&'static str> {
    let mut names = export::file_names();
    names.push(STATE_FILE);
    names
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
        n_per_arm: None,
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
/// `show` says what goes to the terminal: the table (with its warnings) on
/// stdout, only the warnings on stderr (under `--json`), or nothing (`--quiet`).
pub(super) fn write_run(
    out: &Path,
    report: &RunReport,
    state: &RunState,
    show: Show,
) -> Result<()> {
    let dir = out.join(&report.scenario);
    let mut files = export::render_all(report)?;
    files.push((STATE_FILE, serde_json::to_vec(state)?));
    export::write_outputs(&dir, &files, &owned_files())?;
    match show {
        Show::Table => {
            println!("{}", export::markdown::render(report));
            let names: Vec<&str> = files.iter().map(|(name, _)| *name).collect();
            println!("wrote {}/{{{}}}\n", dir.display(), names.join(", "));
        }
        Show::Warnings => {
            for warning in &report.warnings {
                eprintln!("warning: {warning}");
            }
        }
        Show::Nothing => {}
    }
    Ok(())
}

/// What a finished run prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Show {
    Table,
    Warnings,
    Nothing,
}

impl Show {
    /// From the `--json` and `--quiet` flags.
    pub(super) fn of(json: bool, quiet: bool) -> Show {
        match (quiet, json) {
            (true, _) => Show::Nothing,
            (false, true) => Show::Warnings,
            (false, false) => Show::Table,
        }
    }
}

/// The resumable state of a finished run.
pub(super) fn run_state(provenance: Provenance, runs: &[engine::CellRun]) -> RunState {
    RunState::new(
        provenance,
        true,
        runs.iter().map(|r| r.resume.clone()).collect(),
    )
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

pub(super) fn thread_pool_of(threads: Option<u64>) -> Result<rayon::ThreadPool> {
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
    thread_pool_of(Some(threads as u64))
}
