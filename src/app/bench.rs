//! `trialsim bench`: how fast is this machine? The reference workload
//! (`scenarios/reference_sle_ancova_30.toml`, compiled in) at 1, 2, 4, ...
//! threads, the fastest of a few repetitions each, against the cost of only
//! drawing its random numbers.

use std::time::Instant;

use crate::error::Result;

use crate::cli::BenchArgs;
use crate::design::stream::{EffectMode, replicate_stream};
use crate::engine::{self, Cell};
use crate::export;
use crate::plot::{self, Format, scaling::ScalingPlot};
use crate::report::bench::{BenchReport, BenchRow};
use crate::scenario;

/// The reference workload's scenario file.
pub const REFERENCE: &str = include_str!("../../scenarios/reference_sle_ancova_30.toml");

/// Thread counts 1, 2, 4, ... below `max`, then `max`.
pub fn thread_counts(max: usize) -> Vec<usize> {
    let mut counts: Vec<usize> = std::iter::successors(Some(1usize), |t| Some(t * 2))
        .take_while(|&t| t < max)
        .collect();
    counts.push(max.max(1));
    counts
}

/// Measures the reference workload.
///
/// # Errors
/// If a thread pool cannot be built.
pub fn measure(max_threads: usize, replicates: u64, repeats: u64) -> Result<BenchReport> {
    let s = scenario::parse_with(
        std::path::Path::new("reference_sle_ancova_30.toml"),
        REFERENCE,
        &scenario::Overrides {
            replicates: Some(replicates),
            seed: None,
            n_per_arm: None,
        },
    )?;
    let cell = Cell::new(&s, s.design.n_per_arm[0]);
    let seed = s.simulation.seed;

    let best = |f: &dyn Fn()| -> f64 {
        (0..repeats)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed().as_secs_f64()
            })
            .fold(f64::INFINITY, f64::min)
    };
    let normals = cell.trial.cohort.patients() * cell.trial.cohort.normals_per_patient();
    let rng_seconds = best(&|| {
        let mut acc = 0.0f64;
        for r in 0..replicates {
            let mut rng = replicate_stream(seed, cell.sizes, EffectMode::Fixed, r);
            for _ in 0..normals {
                let z = rng.normal();
                acc += z;
            }
        }
        std::hint::black_box(acc);
    });

    let mut rows: Vec<BenchRow> = Vec::new();
    for threads in thread_counts(max_threads) {
        let pool = super::thread_pool(threads)?;
        let seconds = best(&|| {
            pool.install(|| {
                std::hint::black_box(engine::run_cell(&cell, seed, replicates, &|_| {}))
            });
        });
        let rate = replicates as f64 / seconds;
        let base = rows.first().map_or(rate, |r| r.trials_per_second);
        rows.push(BenchRow {
            threads,
            trials_per_second: rate,
            seconds,
            speedup: rate / base,
            efficiency: rate / base / threads as f64,
        });
    }
    Ok(BenchReport {
        workload: "reference_sle_ancova_30: SLE, 30 per arm, 4 visits, ANCOVA".into(),
        cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
        replicates,
        repeats,
        random_numbers_only_trials_per_second: replicates as f64 / rng_seconds,
        cost_over_random_numbers: rows[0].seconds / rng_seconds,
        rows,
    })
}

/// The benchmark as a Markdown table.
pub fn table(report: &BenchReport) -> String {
    let mut out = format!(
        "{} ({} trials, fastest of {}; {} CPUs)\n\n| threads | trials/s | speed-up | parallel efficiency |\n|---|---|---|---|\n",
        report.workload, report.replicates, report.repeats, report.cpus
    );
    for r in &report.rows {
        out.push_str(&format!(
            "| {} | {:.0} | {:.2} | {:.2} |\n",
            r.threads, r.trials_per_second, r.speedup, r.efficiency
        ));
    }
    out.push_str(&format!(
        "\nrandom numbers only (1 thread): {:.0} trials/s; a trial costs {:.2} times its random numbers\n",
        report.random_numbers_only_trials_per_second, report.cost_over_random_numbers
    ));
    out
}

/// `trialsim bench`.
///
/// # Errors
/// If measuring or writing fails.
pub fn run(args: &BenchArgs) -> Result<()> {
    let max = args.max_threads.map_or_else(
        || std::thread::available_parallelism().map_or(1, |n| n.get()),
        |m| m as usize,
    );
    let report = measure(max, args.replicates, args.repeats)?;
    let chart = ScalingPlot(&report);
    let dir = args.out.join("bench");
    export::write_outputs(
        &dir,
        &[
            ("bench.csv", export::csv::rows_to_bytes(&report.rows)?),
            ("bench.json", serde_json::to_vec_pretty(&report)?),
            (
                "scaling.png",
                plot::render("scaling.png", &chart, Format::Png)?,
            ),
            (
                "scaling.svg",
                plot::render("scaling.svg", &chart, Format::Svg)?,
            ),
        ],
        &[],
    )?;
    println!("{}", table(&report));
    println!(
        "wrote {}/{{bench.csv, bench.json, scaling.png, scaling.svg}}",
        dir.display()
    );
    Ok(())
}
