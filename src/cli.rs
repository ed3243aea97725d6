//! Command-line definitions (clap derive). Values here are raw: `app` turns
//! them into runs.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Monte Carlo simulator for controlled pediatric MSC trial protocols.
///
/// Write a scenario file (design, endpoint, population, effect with its
/// source), then `trialsim run FILE` to see power, type I error and bias, each
/// with its Monte Carlo error. A design aid, never medical advice.
#[derive(Debug, Parser)]
#[command(name = "trialsim", version, about, long_about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Simulate scenario files: a table on stdout; summary.csv, summary.json,
    /// power.png and power.svg in OUT/<name>/.
    Run(RunArgs),
    /// Combine the partial summaries of `run --shard` into the files a single
    /// run writes (bit-identical results for the same seed).
    Merge(MergeArgs),
    /// Benchmark this machine: the reference workload at 1..N threads (trials
    /// per second, speed-up, parallel efficiency), then every workload kind
    /// (core, textbook, bounded, JADAS-27, flares, estimands, pooled, survival
    /// with log-rank, survival with Cox, interim, posterior, randomized
    /// withdrawal, manufacturing, safety, dropout) at one
    /// thread against its random-number floor and per core at N threads;
    /// tables, bench.csv, workloads.csv and scaling.png/svg in OUT/bench/.
    Bench(BenchArgs),
    /// Reproduce published trial arms (CHERISH, Deng 2017, PLUTO, TENDER) with
    /// the model and its evidence rows: simulated against reported, with
    /// Monte Carlo SE and the published 95% interval; outside it is a
    /// miscalibration, printed as such.
    Calibrate {
        /// Simulated trials per reproduction.
        #[arg(long, value_name = "N", default_value_t = 4000, value_parser = clap::value_parser!(u64).range(2..=1_000_000))]
        replicates: u64,
        /// JSON instead of the table.
        #[arg(long)]
        json: bool,
    },
    /// Find the smallest n per arm in a range whose power (or assurance)
    /// reaches a target: the answer with its Monte Carlo uncertainty and
    /// every point evaluated; design.json and design.csv in OUT/<name>/.
    Design(DesignArgs),
    /// Vary the keys of the scenario's [sensitivity] table one at a time at
    /// one sample size, reusing the base's random streams (common random
    /// numbers): power, its change with a paired Monte Carlo SE, bias and
    /// flare risk per variation; sensitivity.csv/json and tornado charts in
    /// OUT/<name>/.
    Sensitivity(SensitivityArgs),
    /// The posterior rule's operating characteristics as borrowing grows:
    /// P(success) at every prior weight (or a0) with the design's effect,
    /// with no effect in children (the type I error borrowing buys), and at
    /// each effect.adult_ratio multiple of the adult effect; posterior bias
    /// and credible-interval coverage; the [observed] result's tipping
    /// point. borrowing.csv/json and borrowing.png/svg in OUT/<name>/.
    Borrow(BorrowArgs),
    /// Write one simulated trial's patient-level data (OUT/<name>/replay-nN-rR.csv)
    /// and print its analysis, exactly as a run computed it, to check by hand.
    Replay(ReplayArgs),
    /// Validate scenario files without simulating: every error of every file
    /// (exit code 2 if any file is bad).
    Check {
        /// Scenario files (TOML).
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// Print the evidence table: every default number with its citation and
    /// confidence tag (C confirmed, P partly, M memory, D derived, A assumption).
    Evidence {
        /// JSON instead of the table.
        #[arg(long)]
        json: bool,
    },
    /// Print the seed case series (Wong et al., Pediatr Rheumatol 2021) as data.
    Cases {
        /// JSON instead of the table.
        #[arg(long)]
        json: bool,
    },
}

/// Options of `trialsim run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Scenario files (TOML); all are validated before any is run.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Simulated trials per sample size (overrides simulation.replicates).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub replicates: Option<u64>,
    /// Random seed (overrides simulation.seed); the same seed gives the same
    /// results on any number of threads.
    #[arg(long, value_name = "SEED")]
    pub seed: Option<u64>,
    /// Worker threads [default: one per CPU].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub threads: Option<u64>,
    /// Folder that receives one subfolder per scenario name.
    #[arg(long, value_name = "DIR", default_value = "output")]
    pub out: PathBuf,
    /// Print the JSON summary on stdout instead of the table (an array when
    /// several files are run).
    #[arg(long)]
    pub json: bool,
    /// No progress bar and no table (errors are still printed).
    #[arg(long, short)]
    pub quiet: bool,
    /// Run only the K-th of N disjoint slices of the replicates (K from 1) and
    /// write OUT/<name>/partial-K-of-N.json for `trialsim merge`.
    #[arg(long, value_name = "K/N", value_parser = crate::engine::shard::parse_shard)]
    pub shard: Option<(u64, u64)>,
    /// Add replicates to the run saved in OUT/<name>/state.json instead of
    /// starting afresh (same scenario and seed; --replicates gives the new total).
    #[arg(long, conflicts_with = "shard")]
    pub top_up: bool,
    /// Add batches of 256 replicates until every power and assurance has a
    /// Monte Carlo SE of at most T (above 0, below 0.5), up to the file's
    /// replicates or --replicates; the result equals a fixed run of the count
    /// it stopped at.
    #[arg(long, value_name = "T", value_parser = parse_mc_se, conflicts_with_all = ["shard", "top_up"])]
    pub mc_se: Option<f64>,
    /// Also write report.html: one self-contained file (inline SVG, no
    /// script or network) with the answer, the scenario verbatim, methods,
    /// results, every plot, sources and limitations, for a committee.
    #[arg(long, conflicts_with = "shard")]
    pub report: bool,
}

/// A number strictly between 0 and `hi`, or a message saying `what` lies there.
fn parse_below(text: &str, hi: f64, what: &str) -> Result<f64, String> {
    let x: f64 = text
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a number"))?;
    if x > 0.0 && x < hi {
        Ok(x)
    } else {
        Err(format!("{x} is not allowed: {what}"))
    }
}

/// `--mc-se T`: a Monte Carlo SE strictly between 0 and 0.5.
fn parse_mc_se(text: &str) -> Result<f64, String> {
    parse_below(
        text,
        0.5,
        "a Monte Carlo SE of a power lies above 0 and below 0.5 (0.005 needs at most 10,000 replicates)",
    )
}

/// Options of `trialsim design`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("target").required(true).args(["target_power", "target_assurance", "target_success"])))]
pub struct DesignArgs {
    /// Scenario file (TOML); its n_per_arm is replaced by the range searched.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// The power to reach: the probability of a significant result in MSC's
    /// favour at the assumed effect (above 0, below 1).
    #[arg(long, value_name = "P", value_parser = parse_probability)]
    pub target_power: Option<f64>,
    /// The assurance to reach over the effect prior (needs effect.sd above 0).
    #[arg(long, value_name = "P", value_parser = parse_probability)]
    pub target_assurance: Option<f64>,
    /// The probability of success to reach under decision.rule = "posterior"
    /// (every success counts, at the assumed effect).
    #[arg(long, value_name = "P", value_parser = parse_probability)]
    pub target_success: Option<f64>,
    /// The sample sizes searched, control arm: LO..HI with 2 <= LO < HI <= 10000.
    #[arg(long, value_name = "LO..HI", value_parser = parse_n_range)]
    pub n_range: (usize, usize),
    /// Random seed (overrides simulation.seed).
    #[arg(long, value_name = "SEED")]
    pub seed: Option<u64>,
    /// Worker threads [default: one per CPU].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub threads: Option<u64>,
    /// Folder that receives <name>/design.json and design.csv.
    #[arg(long, value_name = "DIR", default_value = "output")]
    pub out: PathBuf,
    /// Every point evaluated also gets replicates until its Monte Carlo SE
    /// is at most T (above 0, below 0.5), up to the search's most replicates;
    /// each point equals a fixed run of its final count.
    #[arg(long, value_name = "T", value_parser = parse_mc_se)]
    pub mc_se: Option<f64>,
    /// Also write report.html: the search as a self-contained report
    /// (answer, scenario verbatim, method, every point, the curve, sources).
    #[arg(long)]
    pub report: bool,
    /// Print the JSON on stdout instead of the table.
    #[arg(long)]
    pub json: bool,
    /// No table.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Options of `trialsim borrow`.
#[derive(Debug, Args)]
pub struct BorrowArgs {
    /// Scenario file (TOML) with decision.rule = "posterior" and an informative [prior].
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Sample sizes per arm (control arm) [default: the file's n_per_arm].
    #[arg(long, value_name = "N", value_delimiter = ',', value_parser = clap::value_parser!(u64).range(2..=10_000))]
    pub n: Option<Vec<u64>>,
    /// Replicates per effect and sample size (overrides simulation.replicates).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=1_000_000_000))]
    pub replicates: Option<u64>,
    /// Random seed (overrides simulation.seed).
    #[arg(long, value_name = "SEED")]
    pub seed: Option<u64>,
    /// Worker threads [default: one per CPU].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub threads: Option<u64>,
    /// Folder that receives <name>/borrowing.csv, borrowing.json and borrowing.png/svg.
    #[arg(long, value_name = "DIR", default_value = "output")]
    pub out: PathBuf,
    /// Print the JSON on stdout instead of the tables.
    #[arg(long)]
    pub json: bool,
    /// No tables and no progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Options of `trialsim sensitivity`.
#[derive(Debug, Args)]
pub struct SensitivityArgs {
    /// Scenario file (TOML) with a [sensitivity] table.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// The sample size per arm (control arm) [default: the file's first n_per_arm].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(2..=10_000))]
    pub n: Option<u64>,
    /// Replicates per variation (overrides simulation.replicates).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=1_000_000_000))]
    pub replicates: Option<u64>,
    /// Random seed (overrides simulation.seed).
    #[arg(long, value_name = "SEED")]
    pub seed: Option<u64>,
    /// Worker threads [default: one per CPU].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub threads: Option<u64>,
    /// Folder that receives <name>/sensitivity.csv, sensitivity.json and tornado.png/svg.
    #[arg(long, value_name = "DIR", default_value = "output")]
    pub out: PathBuf,
    /// Also write report.html: the variations as a self-contained report
    /// (answer, scenario verbatim, method, table, tornado charts, sources).
    #[arg(long)]
    pub report: bool,
    /// Print the JSON on stdout instead of the table.
    #[arg(long)]
    pub json: bool,
    /// No table and no progress bar.
    #[arg(long, short)]
    pub quiet: bool,
}

/// A target probability strictly between 0 and 1.
fn parse_probability(text: &str) -> Result<f64, String> {
    parse_below(text, 1.0, "a target probability lies above 0 and below 1")
}

/// `LO..HI`: sample sizes 2 <= LO < HI <= 10000.
fn parse_n_range(text: &str) -> Result<(usize, usize), String> {
    let (lo, hi) = text
        .split_once("..")
        .ok_or_else(|| format!("`{text}` is not LO..HI (for example 10..120)"))?;
    let parse = |v: &str| {
        v.trim()
            .parse::<usize>()
            .map_err(|_| format!("`{v}` is not a sample size"))
    };
    let (lo, hi) = (parse(lo)?, parse(hi)?);
    let max = crate::scenario::MAX_ARM_SIZE;
    if lo >= 2 && lo < hi && hi <= max {
        Ok((lo, hi))
    } else {
        Err(format!(
            "{lo}..{hi} is not allowed: the range needs 2 <= LO < HI <= {max}"
        ))
    }
}

/// Options of `trialsim replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// Scenario file (TOML).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// The sample size (one of the file's design.n_per_arm).
    #[arg(long, value_name = "N")]
    pub n: u64,
    /// The replicate, from 0 (below the run's replicates).
    #[arg(long, value_name = "R")]
    pub replicate: u64,
    /// Random seed (overrides simulation.seed), as the run used.
    #[arg(long, value_name = "SEED")]
    pub seed: Option<u64>,
    /// Replicates of the run (overrides simulation.replicates), as the run used.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub replicates: Option<u64>,
    /// Folder that receives <name>/replay-nN-rR.csv.
    #[arg(long, value_name = "DIR", default_value = "output")]
    pub out: PathBuf,
    /// Print the result as JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Options of `trialsim merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Partial summaries, or folders holding partial-*.json files.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Folder that receives <name>/ with the merged run's files.
    #[arg(long, value_name = "DIR", default_value = "output")]
    pub out: PathBuf,
    /// Print the JSON summary on stdout instead of the table.
    #[arg(long)]
    pub json: bool,
    /// No table.
    #[arg(long, short)]
    pub quiet: bool,
}

/// Options of `trialsim bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Largest thread count to measure [default: the number of CPUs]; the
    /// counts run are 1, 2, 4, ... up to it, and it.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub max_threads: Option<u64>,
    /// Trials per measurement (each is repeated and the fastest kept).
    #[arg(long, value_name = "N", default_value_t = 20_000, value_parser = clap::value_parser!(u64).range(256..))]
    pub replicates: u64,
    /// Repetitions per thread count; the fastest is reported.
    #[arg(long, value_name = "N", default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=100))]
    pub repeats: u64,
    /// Folder that receives bench/ with bench.csv, scaling.png and scaling.svg.
    #[arg(long, value_name = "DIR", default_value = "output")]
    pub out: PathBuf,
}
