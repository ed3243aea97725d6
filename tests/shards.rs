//! Shards, merges, top-ups and thread counts all give the single run's
//! summary, bit for bit.

use std::path::{Path, PathBuf};

use trialsim::engine::shard;
use trialsim::engine::{self, CellRun};
use trialsim::scenario;
use trialsim::state::{Partial, Provenance};

fn load(file: &str, replicates: u64) -> (scenario::Scenario, Provenance) {
    let text = std::fs::read_to_string(file).unwrap();
    let mut s = scenario::parse(Path::new(file), &text).unwrap();
    s.simulation.replicates = replicates;
    let p = Provenance::new(&s, Path::new(file), &text);
    (s, p)
}

/// Every summary of a run as JSON text: equal text means equal bits.
fn fingerprint(runs: &[CellRun]) -> Vec<String> {
    runs.iter()
        .map(|r| {
            format!(
                "{} {} {}",
                serde_json::to_string(&r.summary).unwrap(),
                serde_json::to_string(&r.prior).unwrap(),
                serde_json::to_string(&r.resume).unwrap()
            )
        })
        .collect()
}

const SCENARIOS: [&str; 5] = [
    "scenarios/jia_jadas27.toml",
    "scenarios/jia_mtx_withdrawal.toml",
    // Time to flare, randomized withdrawal, dropout: the survival summary,
    // its band histograms and the run-in's enrolment counts merge too.
    "scenarios/jia_randomized_withdrawal.toml",
    // Time to flare with a prior on the hazard ratio: an assurance pass.
    "scenarios/sle_time_to_flare.toml",
    // The posterior rule at five prior weights: the borrowing accumulator.
    "scenarios/sle_msc_borrow_adult.toml",
];

#[test]
fn merged_shards_equal_one_run_whatever_the_order() {
    for file in SCENARIOS {
        let (s, p) = load(file, 2_100);
        let single = fingerprint(&engine::run_scenario(&s, &|_| {}));
        for n in [1u64, 2, 3, 7] {
            let mut partials: Vec<(PathBuf, Partial)> = (1..=n)
                .map(|k| {
                    (
                        PathBuf::from(format!("p{k}")),
                        shard::run_shard(&s, p.clone(), (k, n), &|_| {}, &engine::NEVER_STOP)
                            .unwrap(),
                    )
                })
                .collect();
            // Shards finish in any order: last first, then rotated.
            partials.reverse();
            partials.rotate_left((n / 2) as usize);
            // Through JSON, as the files travel.
            let partials = partials
                .into_iter()
                .map(|(path, part)| {
                    let text = serde_json::to_string(&part).unwrap();
                    (path, serde_json::from_str(&text).unwrap())
                })
                .collect();
            let merged = shard::merge(partials).unwrap();
            assert_eq!(fingerprint(&merged.runs), single, "{file}, {n} shards");
        }
    }
}

#[test]
fn top_up_equals_one_longer_run() {
    for file in SCENARIOS {
        // 1,000 is not a multiple of the batch size: the partial last batch is redone.
        let (short, _) = load(file, 1_000);
        let (long, _) = load(file, 3_000);
        let first = engine::run_scenario(&short, &|_| {});
        let resume: Vec<_> = first.iter().map(|r| r.resume.clone()).collect();
        let resume: Vec<_> =
            serde_json::from_str(&serde_json::to_string(&resume).unwrap()).unwrap();
        let topped = engine::run_scenario_from(&long, &resume, &|_| {});
        assert_eq!(
            fingerprint(&topped),
            fingerprint(&engine::run_scenario(&long, &|_| {})),
            "{file}"
        );
    }
}

#[test]
fn merge_refuses_parts_of_different_runs() {
    let (s, p) = load(SCENARIOS[0], 600);
    let part = |s: &scenario::Scenario, p: &Provenance, k, n| {
        (
            PathBuf::from(format!("{k}of{n}")),
            shard::run_shard(s, p.clone(), (k, n), &|_| {}, &engine::NEVER_STOP).unwrap(),
        )
    };
    let err = |parts| shard::merge(parts).err().expect("refused").to_string();

    let mut other_seed = s.clone();
    other_seed.simulation.seed += 1;
    let p_seed = Provenance {
        seed: other_seed.simulation.seed,
        ..p.clone()
    };
    let m = err(vec![part(&s, &p, 1, 2), part(&other_seed, &p_seed, 2, 2)]);
    assert!(m.contains("different runs") && m.contains("seed"), "{m}");

    let (other, p_other) = load(SCENARIOS[1], 600);
    let m = err(vec![part(&s, &p, 1, 2), part(&other, &p_other, 2, 2)]);
    assert!(
        m.contains("different runs") && m.contains("scenario"),
        "{m}"
    );

    let m = err(vec![part(&s, &p, 1, 3), part(&s, &p, 3, 3)]);
    assert!(m.contains("shards missing: 2/3"), "{m}");
    let m = err(vec![
        part(&s, &p, 1, 2),
        part(&s, &p, 1, 2),
        part(&s, &p, 2, 2),
    ]);
    assert!(m.contains("given twice"), "{m}");
    let m = err(vec![part(&s, &p, 1, 2), part(&s, &p, 2, 3)]);
    assert!(m.contains("shards"), "{m}");
}

#[test]
fn one_two_and_four_threads_agree() {
    let (s, _) = load(SCENARIOS[1], 2_100);
    let runs: Vec<Vec<String>> = [1, 2, 4]
        .iter()
        .map(|&t| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(t)
                .build()
                .unwrap();
            pool.install(|| fingerprint(&engine::run_scenario(&s, &|_| {})))
        })
        .collect();
    assert_eq!(runs[0], runs[1]);
    assert_eq!(runs[0], runs[2]);
}

/// A run streams every cell's batches through one window after another (a
/// window runs on from one cell into the next); each cell must still get
/// exactly its own run, as if it ran alone: the fixed pass, the prior pass
/// (`sle_time_to_flare`'s hazard ratio has one) and the complete-batch fold,
/// with a last batch that is not full, on 1 and 3 threads (3 threads make
/// windows of 24 batches, which end inside a cell).
#[test]
fn cells_streamed_together_each_get_their_own_run() {
    use trialsim::design::stream::EffectMode;
    for file in [SCENARIOS[3], SCENARIOS[0]] {
        let (s, _) = load(file, 2_100);
        let alone: Vec<String> = (s.design.n_per_arm.iter())
            .map(|&n| {
                let cell = engine::Cell::new(&s, n);
                let pass = |mode| {
                    let seed = s.simulation.seed;
                    let reps = s.simulation.replicates;
                    let never = &engine::NEVER_STOP;
                    engine::fold_cell(&cell, mode, seed, reps, None, &|_| {}, never).unwrap()
                };
                let (summary, fixed) = pass(EffectMode::Fixed);
                let prior = cell.has_prior().then(|| pass(EffectMode::Prior));
                format!(
                    "{} {} {}",
                    serde_json::to_string(&summary).unwrap(),
                    serde_json::to_string(&prior.as_ref().map(|p| &p.0)).unwrap(),
                    serde_json::to_string(&(fixed, prior.map(|p| p.1))).unwrap()
                )
            })
            .collect();
        assert!(s.design.n_per_arm.len() > 1, "{file}: several cells");
        for threads in [1, 3] {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            let together = pool.install(|| fingerprint(&engine::run_scenario(&s, &|_| {})));
            assert_eq!(together, alone, "{file}, {threads} threads");
        }
    }
}

/// A run stopped after `w` windows of batches (Ctrl-C stops at the next
/// window), then resumed from what it saved and stopped after one window,
/// again and again, ends with the single run's bits: every pass of every
/// cell saves its complete batches so far, and passes no window reached
/// keep what they were resumed from. `sle_time_to_flare` has a prior pass
/// per cell; 2,048 replicates are 8 whole batches a pass (64 in all), so
/// windows (8 batches a thread) end inside and between cells.
#[test]
fn a_run_stopped_window_after_window_ends_as_one_run() {
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    use trialsim::engine::{Outcome, Resume};
    type Saved = Vec<(Resume, Option<Resume>)>;
    let (s, _) = load(SCENARIOS[3], 2_048);
    let whole_batches = |saved: &Saved| -> u64 {
        (saved.iter())
            .map(|(fixed, prior)| fixed.batches + prior.as_ref().map_or(0, |p| p.batches))
            .sum()
    };
    let until = |saved: &Saved, windows: u64| {
        let stop = AtomicBool::new(windows == 0);
        let seen = AtomicU64::new(0);
        let progress = |_| {
            if seen.fetch_add(1, Ordering::SeqCst) + 1 >= windows {
                stop.store(true, Ordering::SeqCst);
            }
        };
        engine::run_scenario_until(&s, saved, &progress, &stop)
    };
    for threads in [1, 3] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        pool.install(|| {
            let whole = fingerprint(&engine::run_scenario(&s, &|_| {}));
            for first in [0, 1, 2, 5] {
                let mut saved: Saved = Vec::new();
                let mut windows = first;
                let mut stops = 0;
                let runs = loop {
                    match until(&saved, windows) {
                        Outcome::Finished(runs) => break runs,
                        // Through JSON, as `state.json` keeps it.
                        Outcome::Interrupted(state) => {
                            // Nothing saved before is lost, and a window of
                            // whole batches adds to it.
                            let before = whole_batches(&saved);
                            assert!(whole_batches(&state) > before || windows == 0);
                            let text = serde_json::to_string(&state).unwrap();
                            saved = serde_json::from_str(&text).unwrap();
                        }
                    }
                    windows = 1;
                    stops += 1;
                    assert!(stops < 100, "{threads} threads: no progress");
                };
                // Two windows (48 batches at most) cannot finish 64.
                if first <= 2 {
                    assert!(stops >= 1, "{threads} threads, {first}: it was stopped");
                }
                assert_eq!(fingerprint(&runs), whole, "{threads} threads, {first}");
            }
        });
    }
}

/// A top-up to more replicates, stopped after its first window, keeps what
/// every pass no window reached had saved (their cells are not even
/// prepared), and topping up from there gives the longer run's bits.
#[test]
fn a_stopped_top_up_keeps_the_passes_it_did_not_reach() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use trialsim::engine::Outcome;
    let (short, _) = load(SCENARIOS[3], 1_024);
    let (long, _) = load(SCENARIOS[3], 4_096);
    let first: Vec<_> = (engine::run_scenario(&short, &|_| {}).iter())
        .map(|r| r.resume.clone())
        .collect();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    pool.install(|| {
        let stop = AtomicBool::new(false);
        let progress = |_| stop.store(true, Ordering::SeqCst);
        let Outcome::Interrupted(saved) =
            engine::run_scenario_until(&long, &first, &progress, &stop)
        else {
            panic!("stopped after one window of 8 batches, with 96 to run");
        };
        // One window of 8 batches takes the first cell's fixed pass from 4
        // batches to 12 (of 16); every other pass keeps its 4.
        let batches: Vec<(u64, Option<u64>)> = (saved.iter())
            .map(|(f, p)| (f.batches, p.as_ref().map(|p| p.batches)))
            .collect();
        assert_eq!(batches[0], (12, Some(4)));
        assert!(
            batches[1..].iter().all(|&b| b == (4, Some(4))),
            "{batches:?}"
        );
        let topped = engine::run_scenario_from(&long, &saved, &|_| {});
        let whole = engine::run_scenario(&long, &|_| {});
        assert_eq!(fingerprint(&topped), fingerprint(&whole));
    });
}
