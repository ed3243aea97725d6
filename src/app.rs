//! What each subcommand does, from parsed arguments to files and stdout.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::cli::{Cli, Command, RunArgs};
use crate::engine;
use crate::evidence;
use crate::export;
use crate::report::RunReport;
use crate::scenario::{self, Scenario};

/// Runs a parsed command line.
///
/// # Errors
/// A [`scenario::ScenarioError`] for bad input (the binary exits with 2), any
/// other error for a failed run (exit 1).
pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Check { files } => check(&files),
        Command::Run(args) => run_files(&args),
        Command::Evidence { json } => print(json, evidence::rows(), export::table::evidence),
        Command::Cases { json } => print(json, evidence::cases(), export::table::cases),
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

fn run_files(args: &RunArgs) -> Result<()> {
    // Validate everything before simulating anything.
    let scenarios = args
        .files
        .iter()
        .map(|file| {
            let mut s = scenario::load(file)?;
            if let Some(r) = args.replicates {
                s.simulation.replicates = r;
            }
            if let Some(seed) = args.seed {
                s.simulation.seed = seed;
            }
            Ok(s)
        })
        .collect::<Result<Vec<Scenario>>>()?;

    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(t) = args.threads {
        builder = builder.num_threads(t as usize);
    }
    let pool = builder.build().context("cannot start the worker threads")?;
    let threads = pool.current_num_threads();

    let mut reports = Vec::with_capacity(scenarios.len());
    for s in &scenarios {
        let report = pool.install(|| simulate(s, threads, args.quiet));
        let dir = args.out.join(&s.name);
        let files = export::render_all(&report)?;
        export::write_outputs(&dir, &files)?;
        if !args.json && !args.quiet {
            println!("{}", export::table::render(&report));
            let names: Vec<&str> = files.iter().map(|(name, _)| *name).collect();
            println!("wrote {}/{{{}}}\n", dir.display(), names.join(", "));
        }
        reports.push(report);
    }
    if args.json {
        let text = if reports.len() == 1 {
            export::json::to_string(&reports[0])?
        } else {
            let mut t = serde_json::to_string_pretty(&reports)?;
            t.push('\n');
            t
        };
        std::io::stdout().write_all(text.as_bytes())?;
    }
    Ok(())
}

/// Runs one scenario on the current pool, with a progress bar on stderr that
/// appears once the run has taken a second (never when stderr is not a terminal
/// or with `--quiet`).
pub fn simulate(s: &Scenario, threads: usize, quiet: bool) -> RunReport {
    let total = engine::total_replicates(s);
    let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden());
    bar.set_style(
        ProgressStyle::with_template(
            "{msg} [{elapsed_precise}] {bar:40} {human_pos}/{human_len} trials, eta {eta}",
        )
        .expect("valid template"),
    );
    bar.set_message(s.name.clone());
    let show = !quiet && std::io::stderr().is_terminal();
    let started = Instant::now();
    let progress = |done: u64| {
        bar.inc(done);
        if show && bar.is_hidden() && started.elapsed() > Duration::from_secs(1) {
            bar.set_draw_target(ProgressDrawTarget::stderr());
        }
    };
    let runs = engine::run_scenario(s, &progress);
    bar.finish_and_clear();
    RunReport::new(s, &runs, threads, started.elapsed().as_secs_f64())
}
