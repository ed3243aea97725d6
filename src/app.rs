//! What each subcommand does, from parsed arguments to files and stdout.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::{Cli, Command, MergeArgs, RunArgs};
use crate::engine::{self, CellRun};
use crate::evidence;
use crate::export;
use crate::report::RunReport;
use crate::scenario::{self, Scenario};
use crate::shard::{self, InputError, Provenance, RunState, STATE_FILE};

/// Runs a parsed command line.
///
/// # Errors
/// A [`scenario::ScenarioError`] or [`InputError`] for bad input (the binary
/// exits with 2), any other error for a failed run (exit 1).
pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Check { files } => check(&files),
        Command::Run(args) => run_files(&args),
        Command::Merge(args) => merge(&args),
        Command::Bench(args) => crate::bench::run(&args),
        Command::Evidence { json } => print(json, evidence::rows(), export::evidence::evidence),
        Command::Cases { json } => print(json, evidence::cases(), export::evidence::cases),
    }
}

fn print<T: serde::Serialize>(json: bool, items: &[T], table: fn(&[T]) -> String) -> Result<()> {
    let text = if json {
        let mut t = serde_json::to_string_pretty(items)?;
        t.push('\n');
        t
    } else {
        table(items)
    };
    std::io::stdout().write_all(text.as_bytes())?;
    Ok(())
}

fn check(files: &[PathBuf]) -> Result<()> {
    for file in files {
        let s = scenario::load(file)?;
        println!(
            "{}: ok ({}, {} on {}, n per arm {:?})",
            file.display(),
            s.name,
            s.design.analysis,
            s.endpoint.scale.kind,
            s.design.n_per_arm
        );
    }
    Ok(())
}

/// A validated scenario with the text and path it came from.
struct Loaded {
    scenario: Scenario,
    provenance: Provenance,
}

fn load(file: &Path, args: &RunArgs) -> Result<Loaded> {
    let text = std::fs::read_to_string(file).map_err(|e| scenario::ScenarioError {
        file: file.to_path_buf(),
        location: scenario::Location::File,
        message: format!("cannot read the file: {e}"),
    })?;
    let mut s = scenario::parse(file, &text)?;
    if let Some(r) = args.replicates {
        s.simulation.replicates = r;
    }
    if let Some(seed) = args.seed {
        s.simulation.seed = seed;
    }
    let provenance = Provenance::new(&s, file, &text);
    Ok(Loaded {
        scenario: s,
        provenance,
    })
}

fn pool(threads: Option<u64>) -> Result<rayon::ThreadPool> {
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(t) = threads {
        builder = builder.num_threads(t as usize);
    }
    builder.build().context("cannot start the worker threads")
}

fn run_files(args: &RunArgs) -> Result<()> {
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
            read_state(&state_path, &l.scenario)?
        } else {
            Vec::new()
        });
    }
    let pool = pool(args.threads)?;
    let threads = pool.current_num_threads();

    if let Some(shard) = args.shard {
        for l in &loaded {
            let started = Instant::now();
            let bar = progress_bar(
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
        return Ok(());
    }

    let mut reports = Vec::with_capacity(loaded.len());
    for (l, resume) in loaded.iter().zip(&resumes) {
        let done: u64 = resume
            .iter()
            .map(|(f, p)| f.batches + p.as_ref().map_or(0, |p| p.batches))
            .sum::<u64>()
            * engine::BATCH;
        let total = engine::total_replicates(&l.scenario).saturating_sub(done);
        let started = Instant::now();
        let bar = progress_bar(&l.scenario, total, args.quiet);
        let runs = pool.install(|| {
            engine::run_scenario_from(&l.scenario, resume, &|d| bar.tick_by(d, started))
        });
        bar.finish();
        let report = RunReport::new(&l.scenario, &runs, threads, started.elapsed().as_secs_f64());
        write_run(
            &args.out,
            &report,
            &RunState::of(l.provenance.clone(), &runs),
            args.json || args.quiet,
        )?;
        reports.push(report);
    }
    if args.json {
        print_json(&reports)?;
    }
    Ok(())
}

fn read_state(
    path: &Path,
    scenario: &Scenario,
) -> Result<Vec<(engine::Resume, Option<engine::Resume>)>> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        InputError(format!(
            "{}: cannot read the saved run to top up ({e}); run once without --top-up first",
            path.display()
        ))
    })?;
    let state: RunState = serde_json::from_str(&text).map_err(|e| {
        InputError(format!(
            "{}: not a trialsim run state ({e})",
            path.display()
        ))
    })?;
    state.check_top_up(scenario, path)?;
    Ok(state.cells)
}

/// Writes a finished run's files (and its resumable state) and, unless
/// `silent`, prints its table.
fn write_run(out: &Path, report: &RunReport, state: &RunState, silent: bool) -> Result<()> {
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

fn print_json(reports: &[RunReport]) -> Result<()> {
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

fn merge(args: &MergeArgs) -> Result<()> {
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

/// A progress bar on stderr that appears once a run has taken a second,
/// never when stderr is not a terminal or with `--quiet`.
struct Progress {
    bar: ProgressBar,
    show: bool,
}

impl Progress {
    fn tick_by(&self, done: u64, started: Instant) {
        self.bar.inc(done);
        if self.show && self.bar.is_hidden() && started.elapsed() > Duration::from_secs(1) {
            self.bar.set_draw_target(ProgressDrawTarget::stderr());
        }
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

fn progress_bar(s: &Scenario, total: u64, quiet: bool) -> Progress {
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden());
    bar.set_style(
        ProgressStyle::with_template(
            "{msg} [{elapsed_precise}] {bar:40} {human_pos}/{human_len} trials, eta {eta}",
        )
        .expect("valid template"),
    );
    bar.set_message(s.name.clone());
    Progress {
        bar,
        show: !quiet && std::io::stderr().is_terminal(),
    }
}

/// A thread pool of exactly `threads` workers (for `trialsim bench`).
pub fn thread_pool(threads: usize) -> Result<rayon::ThreadPool> {
    pool(Some(threads as u64))
}
