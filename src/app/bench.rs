//! `trialsim bench`: how fast is this machine, and how close is each kind of
//! work to the cost of its random numbers? The reference workload
//! (`scenarios/reference_sle_ancova_30.toml`, compiled in) at 1, 2, 4, ...
//! threads, then every workload kind (core, textbook, bounded scales,
//! JADAS-27 parts, flares, four estimands with imputation, pooled strata,
//! time to flare, interim looks in calendar time, the posterior rule at five
//! prior weights, randomized withdrawal, manufacturing, adverse events,
//! informative dropout with the estimands imputing what it leaves missing) at
//! one thread against its floor (the same streams drawing the same count of
//! normals and words, nothing else) and at the most threads. The fastest of
//! a few repetitions each.

use std::time::Instant;

use crate::cli::BenchArgs;
use crate::design::stream::{EffectMode, accrual_stream, replicate_stream, safety_stream};
use crate::engine::{self, Cell};
use crate::error::Result;
use crate::export;
use crate::plot::{self, Format, scaling::ScalingPlot};
use crate::report::bench::{BenchReport, BenchRow, WorkloadRow};
use crate::scenario::{self, Scenario};

/// The reference workload's scenario file.
pub const REFERENCE: &str = include_str!("../../scenarios/reference_sle_ancova_30.toml");

/// A workload kind: its name, the shipped scenario it runs (compiled in),
/// and the sample size per arm.
#[derive(Debug)]
pub struct Workload {
    pub kind: &'static str,
    pub file: &'static str,
    text: &'static str,
    pub n: usize,
}

/// Every kind of work a scenario can ask for, each with one shipped scenario
/// (also measured by `cargo bench --bench engine`).
pub const WORKLOADS: [Workload; 15] = [
    Workload {
        kind: "core",
        file: "reference_sle_ancova_30.toml",
        text: REFERENCE,
        n: 30,
    },
    Workload {
        kind: "textbook",
        file: "textbook_continuous.toml",
        text: include_str!("../../scenarios/textbook_continuous.toml"),
        n: 50,
    },
    Workload {
        kind: "bounded",
        file: "sle_sri4_fisher.toml",
        text: include_str!("../../scenarios/sle_sri4_fisher.toml"),
        n: 40,
    },
    Workload {
        kind: "jadas27",
        file: "jia_jadas27.toml",
        text: include_str!("../../scenarios/jia_jadas27.toml"),
        n: 40,
    },
    Workload {
        kind: "flares",
        file: "reference_sle_ancova_30_flares.toml",
        text: include_str!("../../scenarios/reference_sle_ancova_30_flares.toml"),
        n: 30,
    },
    Workload {
        kind: "estimands",
        file: "jia_mtx_withdrawal.toml",
        text: include_str!("../../scenarios/jia_mtx_withdrawal.toml"),
        n: 40,
    },
    Workload {
        kind: "pooled",
        file: "pooled_three_diseases.toml",
        text: include_str!("../../scenarios/pooled_three_diseases.toml"),
        n: 45,
    },
    Workload {
        kind: "survival",
        file: "bench_simtrial_fixed.toml",
        text: include_str!("../../scenarios/bench_simtrial_fixed.toml"),
        n: 250,
    },
    Workload {
        kind: "cox",
        file: "sle_time_to_flare.toml",
        text: include_str!("../../scenarios/sle_time_to_flare.toml"),
        n: 60,
    },
    Workload {
        kind: "interim",
        file: "sle_sledai_addon_interim.toml",
        text: include_str!("../../scenarios/sle_sledai_addon_interim.toml"),
        n: 80,
    },
    Workload {
        kind: "posterior",
        file: "sle_msc_borrow_adult.toml",
        text: include_str!("../../scenarios/sle_msc_borrow_adult.toml"),
        n: 40,
    },
    Workload {
        kind: "withdrawal",
        file: "jia_randomized_withdrawal.toml",
        text: include_str!("../../scenarios/jia_randomized_withdrawal.toml"),
        n: 40,
    },
    Workload {
        kind: "manufacturing",
        file: "jia_autologous_msc_itt.toml",
        text: include_str!("../../scenarios/jia_autologous_msc_itt.toml"),
        n: 40,
    },
    Workload {
        kind: "safety",
        file: "sle_msc_safety_monitor.toml",
        text: include_str!("../../scenarios/sle_msc_safety_monitor.toml"),
        n: 40,
    },
    Workload {
        kind: "dropout",
        file: "jia_withdrawal_dropout.toml",
        text: include_str!("../../scenarios/jia_withdrawal_dropout.toml"),
        n: 40,
    },
];

/// Thread counts 1, 2, 4, ... below `max`, then `max`.
pub fn thread_counts(max: usize) -> Vec<usize> {
    let mut counts: Vec<usize> = std::iter::successors(Some(1usize), |t| Some(t * 2))
        .take_while(|&t| t < max)
        .collect();
    counts.push(max.max(1));
    counts
}

/// The fastest of `repeats` timings of `f`, in seconds.
fn best(repeats: u64, f: &dyn Fn()) -> f64 {
    (0..repeats)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

impl Workload {
    /// The workload's scenario at its sample size.
    ///
    /// # Errors
    /// Never for the compiled-in scenarios (their validation is tested).
    pub fn scenario(&self, replicates: u64) -> Result<Scenario> {
        Ok(scenario::parse_with(
            std::path::Path::new(self.file),
            self.text,
            &scenario::Overrides {
                replicates: Some(replicates),
                seed: None,
                n_per_arm: Some(vec![self.n]),
            },
        )?)
    }
}

/// The normals and words each replicate of `cell` draws: its own stream's,
/// with interim looks the accrual stream's (calendar entry and the
/// allocation list; imputation at a look, which only intercurrent events
/// need, is not counted), and with adverse events the safety stream's.
pub fn draws(cell: &Cell, seed: u64, replicates: u64) -> Vec<(u32, u32)> {
    let mut work = cell.workspace();
    (0..replicates)
        .map(|r| {
            let mut rng = replicate_stream(seed, cell.sizes, EffectMode::Fixed, r);
            std::hint::black_box(cell.analyse_stream(EffectMode::Fixed, &mut rng, &mut work));
            let (mut normals, mut words) = (rng.normals_drawn(), rng.words_drawn());
            if let Some(looks) = &cell.looks {
                let mut entry = accrual_stream(seed, cell.sizes, EffectMode::Fixed, r);
                std::hint::black_box(looks.enter(cell.sizes, &mut entry, &mut work.looks));
                normals += entry.normals_drawn();
                words += entry.words_drawn();
            }
            if let Some(safety) = &cell.trial.safety {
                let mut events = safety_stream(seed, cell.sizes, EffectMode::Fixed, r);
                safety.draw(&mut work.cohort, &mut events);
                normals += events.normals_drawn();
                words += events.words_drawn();
            }
            (normals as u32, words as u32)
        })
        .collect()
}

/// Replicate `replicate`'s stream drawing only `normals` normals and `words`
/// words, folded by xor of their bits (no floating-point add chain to wait
/// on): the random-number floor of one trial.
pub fn draw_only(cell: &Cell, seed: u64, replicate: u64, (normals, words): (u32, u32)) -> u64 {
    let mut rng = replicate_stream(seed, cell.sizes, EffectMode::Fixed, replicate);
    let mut bits = 0u64;
    for _ in 0..normals {
        bits ^= rng.normal().to_bits();
    }
    for _ in 0..words {
        bits ^= rng.word();
    }
    bits
}

/// Seconds to draw only `counts` (per replicate) from the same streams.
fn floor_seconds(cell: &Cell, seed: u64, counts: &[(u32, u32)], repeats: u64) -> f64 {
    best(repeats, &|| {
        let bits = counts.iter().enumerate().fold(0u64, |bits, (r, &c)| {
            bits ^ draw_only(cell, seed, r as u64, c)
        });
        std::hint::black_box(bits);
    })
}

/// Seconds for `replicates` trials of `cell` on `threads` threads.
fn run_seconds(
    cell: &Cell,
    seed: u64,
    replicates: u64,
    threads: usize,
    repeats: u64,
) -> Result<f64> {
    let pool = super::thread_pool(threads)?;
    Ok(best(repeats, &|| {
        pool.install(|| std::hint::black_box(engine::run_cell(cell, seed, replicates, &|_| {})));
    }))
}

/// One workload kind, at 1 thread against its floor and at `max` threads.
fn workload(w: &Workload, max: usize, replicates: u64, repeats: u64) -> Result<WorkloadRow> {
    let s = w.scenario(replicates)?;
    let cell = Cell::new(&s, w.n);
    let seed = s.simulation.seed;
    let counts = draws(&cell, seed, replicates);
    let per_trial = |f: fn(&(u32, u32)) -> u32| {
        counts.iter().map(|c| f64::from(f(c))).sum::<f64>() / replicates as f64
    };
    let floor = floor_seconds(&cell, seed, &counts, repeats);
    let one = run_seconds(&cell, seed, replicates, 1, repeats)?;
    let many = if max > 1 {
        run_seconds(&cell, seed, replicates, max, repeats)?
    } else {
        one
    };
    Ok(WorkloadRow {
        kind: w.kind.into(),
        scenario: w.file.into(),
        n_per_arm: w.n,
        normals_per_trial: per_trial(|c| c.0),
        words_per_trial: per_trial(|c| c.1),
        trials_per_second: replicates as f64 / one,
        floor_trials_per_second: replicates as f64 / floor,
        cost_over_random_numbers: one / floor,
        threads: max,
        trials_per_second_per_core: replicates as f64 / many / max as f64,
        efficiency: one / many / max as f64,
    })
}

/// Measures the reference workload's scaling and every workload kind.
///
/// # Errors
/// If a thread pool cannot be built.
pub fn measure(max_threads: usize, replicates: u64, repeats: u64) -> Result<BenchReport> {
    let reference = &WORKLOADS[0];
    let s = reference.scenario(replicates)?;
    let cell = Cell::new(&s, reference.n);
    let seed = s.simulation.seed;
    let counts = draws(&cell, seed, replicates);
    // One untimed run first: the first timed one otherwise pays for the
    // machine warming up (it made 2 threads look 1.2-1.5 times faster per
    // thread than 1 on the development machine).
    run_seconds(&cell, seed, replicates, 1, 1)?;
    let rng_seconds = floor_seconds(&cell, seed, &counts, repeats);
    let mut rows: Vec<BenchRow> = Vec::new();
    for threads in thread_counts(max_threads) {
        let seconds = run_seconds(&cell, seed, replicates, threads, repeats)?;
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
    let workloads = WORKLOADS
        .iter()
        .map(|w| workload(w, max_threads, replicates, repeats))
        .collect::<Result<Vec<_>>>()?;
    Ok(BenchReport {
        workload: "reference_sle_ancova_30: SLE, 30 per arm, 4 visits, ANCOVA".into(),
        cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
        replicates,
        repeats,
        random_numbers_only_trials_per_second: replicates as f64 / rng_seconds,
        cost_over_random_numbers: rows[0].seconds / rng_seconds,
        rows,
        workloads,
    })
}

/// The benchmark as Markdown tables.
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
    let threads = report.workloads.first().map_or(1, |w| w.threads);
    out.push_str(&format!(
        "\nEvery workload kind against its random-number floor (1 thread: the same streams drawing the same normals and words, nothing else), and per core at {threads} threads:\n\n\
         | kind | scenario, n per arm | normals + words per trial | trials/s (1 thread) | floor trials/s | cost / floor | trials/s per core ({threads} threads) | parallel efficiency |\n\
         |---|---|---|---|---|---|---|---|\n"
    ));
    for w in &report.workloads {
        out.push_str(&format!(
            "| {} | {}, {} | {:.0} + {:.0} | {:.0} | {:.0} | {:.2} | {:.0} | {:.2} |\n",
            w.kind,
            w.scenario,
            w.n_per_arm,
            w.normals_per_trial,
            w.words_per_trial,
            w.trials_per_second,
            w.floor_trials_per_second,
            w.cost_over_random_numbers,
            w.trials_per_second_per_core,
            w.efficiency
        ));
    }
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
            (
                "workloads.csv",
                export::csv::rows_to_bytes(&report.workloads)?,
            ),
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
        "wrote {}/{{bench.csv, workloads.csv, bench.json, scaling.png, scaling.svg}}",
        dir.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_workload_runs_and_interim_looks_count_their_calendar_draws() {
        for w in &WORKLOADS {
            let s = w.scenario(4).unwrap();
            let cell = Cell::new(&s, w.n);
            let counts = draws(&cell, s.simulation.seed, 4);
            assert_eq!(counts.len(), 4, "{}", w.kind);
            if w.kind == "interim" {
                // A score endpoint without flares draws no words of its own:
                // these are the entry months and the allocation list.
                assert!(counts.iter().all(|c| c.1 > 0), "{counts:?}");
            }
            if w.kind == "safety" {
                // A score endpoint without flares draws no words of its
                // own: these are the adverse events.
                assert!(counts.iter().all(|c| c.1 > 0), "{counts:?}");
            }
            if w.kind == "dropout" {
                // The latent courses (normals), and the flare and dropout
                // exponentials (words).
                assert!(counts.iter().all(|c| c.0 > 0 && c.1 > 0), "{counts:?}");
            }
            if w.kind == "withdrawal" {
                // The run-in's latent courses (normals) and the randomised
                // phase's flare exponentials (words) are both counted.
                assert!(counts.iter().all(|c| c.0 > 0 && c.1 > 0), "{counts:?}");
            }
        }
    }
}
