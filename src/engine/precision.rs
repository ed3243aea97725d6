//! Runs that stop at a precision instead of a replicate count (`run
//! --mc-se T`): batches are added, in batch order, until every power and
//! assurance has a Monte Carlo SE of at most `T`.
//!
//! Every cell advances together one batch at a time (a window of batches is
//! computed in parallel, then folded one by one), so the run stops at the
//! first whole number of batches at which the target holds everywhere, and
//! its summaries are bit-identical to a fixed run of that many replicates:
//! the same batches folded in the same order.

use std::sync::atomic::{AtomicBool, Ordering};

use super::batch::share_of;
use super::{BATCH, Cell, CellRun, NEVER_STOP, for_each_batch_of};
use crate::design::stream::EffectMode;
use crate::scenario::Scenario;
use crate::summary::{Resume, Summary};

/// How a precision-driven run ended.
#[derive(Debug, Clone)]
pub enum Precision {
    /// Every power (and assurance) reached the target at `replicates`.
    Reached { replicates: u64, runs: Vec<CellRun> },
    /// The target was not reached within the cap; `replicates` is the cap
    /// in whole batches.
    Capped { replicates: u64, runs: Vec<CellRun> },
    /// Stopped by Ctrl-C: the folds of complete batches so far, per cell.
    Interrupted(Vec<(Resume, Option<Resume>)>),
}

/// The Monte Carlo SE the stopping rule uses for `k` of `n`: the binomial SE
/// at `(k + 0.5) / (n + 1)`, which lies between the observed rate and 0.5,
/// so it is never below the SE reported (and is not 0 when no trial has
/// rejected yet, which would stop a run at its first batch).
pub fn stopping_se(k: u64, n: u64) -> f64 {
    if n < 2 {
        return f64::INFINITY;
    }
    let p = (k as f64 + 0.5) / (n as f64 + 1.0);
    (p * (1.0 - p) / n as f64).sqrt()
}

/// One pass of one cell (the assumed effect, or the prior) and its fold.
struct Pass {
    cell: usize,
    mode: EffectMode,
    summary: Summary,
    seconds: f64,
}

impl Pass {
    /// Whether this pass's reported figures have reached `target`: power
    /// and its favourable part at the assumed effect, assurance over the prior.
    fn reached(&self, target: f64) -> bool {
        let s = &self.summary;
        let favourable = stopping_se(s.favourable_rejections, s.replicates) <= target;
        match self.mode {
            EffectMode::Fixed => stopping_se(s.rejections, s.replicates) <= target && favourable,
            EffectMode::Prior => favourable,
        }
    }
}

/// Runs `scenario` until every power and assurance has a Monte Carlo SE of
/// at most `target`, adding whole batches of [`BATCH`] replicates, up to
/// `scenario.simulation.replicates` rounded down to whole batches (at least
/// one batch). Checks `stop` before each window of batches.
pub fn run_to_precision(
    scenario: &Scenario,
    target: f64,
    progress: &(dyn Fn(u64) + Sync),
    stop: &AtomicBool,
) -> Precision {
    let sim = &scenario.simulation;
    let cap = (sim.replicates / BATCH).max(1);
    // Each cell and the time preparing it took (a calibrated threshold),
    // counted in its fixed pass's seconds.
    let prepared: Vec<(Cell, f64)> = (scenario.design.n_per_arm.iter())
        .map(|&n| {
            let started = std::time::Instant::now();
            let cell = Cell::new(scenario, n);
            (cell, started.elapsed().as_secs_f64())
        })
        .collect();
    let mut passes: Vec<Pass> = Vec::new();
    for (i, (cell, preparing)) in prepared.iter().enumerate() {
        for mode in [EffectMode::Fixed, EffectMode::Prior] {
            if mode == EffectMode::Fixed || cell.has_prior() {
                passes.push(Pass {
                    cell: i,
                    mode,
                    summary: cell.new_summary(),
                    seconds: if mode == EffectMode::Fixed {
                        *preparing
                    } else {
                        0.0
                    },
                });
            }
        }
    }
    let cells: Vec<Cell> = prepared.into_iter().map(|(cell, _)| cell).collect();
    let window = super::batch::window() as u64;
    let mut done = 0u64;
    while done < cap {
        if stop.load(Ordering::Relaxed) {
            return Precision::Interrupted(resumes(&cells, &passes, done));
        }
        let end = (done + window).min(cap);
        // The window's batches of every pass, computed in parallel as one
        // stream (no thread waits at a pass's end), each pass's in order.
        let started = std::time::Instant::now();
        let mut computed: Vec<Vec<Summary>> = passes
            .iter()
            .map(|_| Vec::with_capacity((end - done) as usize))
            .collect();
        let mut busy = vec![0.0; passes.len()];
        let finished = for_each_batch_of(
            passes.iter().map(|pass| {
                let (cell, mode) = (&cells[pass.cell], pass.mode);
                move || super::batch::Pass {
                    cell,
                    mode,
                    batches: done..end,
                }
            }),
            sim.seed,
            end * BATCH,
            progress,
            &NEVER_STOP,
            |p, _, summary, seconds| {
                computed[p].push(summary);
                busy[p] += seconds;
            },
        );
        debug_assert!(finished, "never stopped");
        // The window's wall time, shared by the thread time of each pass.
        let wall = started.elapsed().as_secs_f64();
        for (pass, seconds) in passes.iter_mut().zip(share_of(wall, &busy)) {
            pass.seconds += seconds;
        }
        // Fold batch by batch, every pass together, and stop at the first
        // batch count where every figure is precise enough.
        for b in done..end {
            for (pass, parts) in passes.iter_mut().zip(&computed) {
                pass.summary.merge(&parts[(b - done) as usize]);
            }
            if passes.iter().all(|p| p.reached(target)) {
                return Precision::Reached {
                    replicates: (b + 1) * BATCH,
                    runs: runs(&cells, passes, b + 1),
                };
            }
        }
        done = end;
    }
    Precision::Capped {
        replicates: cap * BATCH,
        runs: runs(&cells, passes, cap),
    }
}

/// The cells' runs after `batches` whole batches.
fn runs(cells: &[Cell], passes: Vec<Pass>, batches: u64) -> Vec<CellRun> {
    let mut runs: Vec<CellRun> = cells
        .iter()
        .map(|cell| CellRun {
            n_per_arm: cell.n_per_arm,
            summary: Summary::default(),
            prior: None,
            seconds: 0.0,
            resume: (Resume::default(), None),
        })
        .collect();
    for pass in passes {
        let run = &mut runs[pass.cell];
        run.seconds += pass.seconds;
        let resume = Resume {
            batches,
            summary: pass.summary.clone(),
        };
        match pass.mode {
            EffectMode::Fixed => {
                run.summary = pass.summary;
                run.resume.0 = resume;
            }
            EffectMode::Prior => {
                run.prior = Some(pass.summary);
                run.resume.1 = Some(resume);
            }
        }
    }
    runs
}

/// The folds of the first `batches` batches, per cell, for a saved state.
fn resumes(cells: &[Cell], passes: &[Pass], batches: u64) -> Vec<(Resume, Option<Resume>)> {
    cells
        .iter()
        .enumerate()
        .map(|(i, _)| {
            let fold = |mode| {
                passes
                    .iter()
                    .find(|p| p.cell == i && p.mode == mode)
                    .map(|p| Resume {
                        batches,
                        summary: p.summary.clone(),
                    })
            };
            (
                fold(EffectMode::Fixed).expect("every cell has its fixed pass"),
                fold(EffectMode::Prior),
            )
        })
        .collect()
}
