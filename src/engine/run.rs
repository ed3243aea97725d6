//! The cells of a run or a shard streamed together through one loop of
//! batch windows ([`stream_cells`]), the per-cell loop of a merge
//! ([`each_cell`]), and whole runs of a scenario.

use std::cell::{OnceCell, RefCell};
use std::ops::Range;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use super::Cell;
use super::batch::{BATCH, Folder, NEVER_STOP, Pass, fold_cell, for_each_batch_of, share_of};
use crate::design::stream::EffectMode;
use crate::scenario::Scenario;
use crate::summary::{Resume, Summary};

/// What one pass over a cell produced, at the assumed effect and (when the
/// effect has a prior) over the prior, and how long the cell took.
#[derive(Debug, Clone)]
pub struct CellPasses<T> {
    /// Control-arm size as written in `design.n_per_arm`.
    pub n_per_arm: usize,
    pub fixed: T,
    pub prior: Option<T>,
    pub seconds: f64,
}

/// Calls `pass(index, cell, mode)` for every sample size of `scenario`, in
/// file order: once at the assumed effect and, when the effect has a prior,
/// once over the prior.
///
/// # Errors
/// The first error a pass returns.
pub fn each_cell<T, E>(
    scenario: &Scenario,
    mut pass: impl FnMut(usize, &Cell, EffectMode) -> Result<T, E>,
) -> Result<Vec<CellPasses<T>>, E> {
    scenario
        .design
        .n_per_arm
        .iter()
        .enumerate()
        .map(|(i, &n)| {
            let started = Instant::now();
            let cell = Cell::new(scenario, n);
            let fixed = pass(i, &cell, EffectMode::Fixed)?;
            let prior = if cell.has_prior() {
                Some(pass(i, &cell, EffectMode::Prior)?)
            } else {
                None
            };
            Ok(CellPasses {
                n_per_arm: n,
                fixed,
                prior,
                seconds: started.elapsed().as_secs_f64(),
            })
        })
        .collect()
}

/// The result of one cell: its summary at the assumed effect, the summary
/// over the effect prior (when the effect has one), and how long both took.
#[derive(Debug, Clone)]
pub struct CellRun {
    /// Control-arm size as written in `design.n_per_arm`.
    pub n_per_arm: usize,
    pub summary: Summary,
    pub prior: Option<Summary>,
    pub seconds: f64,
    /// The folds of complete batches, for topping the run up later.
    pub resume: (Resume, Option<Resume>),
}

impl<T> CellPasses<Option<T>> {
    /// This cell with every pass present, or as it is if one is missing.
    fn complete(self) -> Result<CellPasses<T>, CellPasses<Option<T>>> {
        let CellPasses {
            n_per_arm,
            fixed,
            prior,
            seconds,
        } = self;
        match (fixed, prior) {
            (Some(fixed), None) => Ok(CellPasses {
                n_per_arm,
                fixed,
                prior: None,
                seconds,
            }),
            (Some(fixed), Some(Some(prior))) => Ok(CellPasses {
                n_per_arm,
                fixed,
                prior: Some(prior),
                seconds,
            }),
            (fixed, prior) => Err(CellPasses {
                n_per_arm,
                fixed,
                prior,
                seconds,
            }),
        }
    }
}

impl<T> CellPasses<T> {
    /// The same cell with `f` applied to each pass.
    pub fn map<U>(self, mut f: impl FnMut(T) -> U) -> CellPasses<U> {
        CellPasses {
            n_per_arm: self.n_per_arm,
            fixed: f(self.fixed),
            prior: self.prior.map(f),
            seconds: self.seconds,
        }
    }
}

impl CellRun {
    /// A cell's run from its passes, each a summary and its complete-batch fold.
    pub fn from_passes(p: CellPasses<(Summary, Resume)>) -> CellRun {
        CellRun {
            n_per_arm: p.n_per_arm,
            summary: p.fixed.0,
            resume: (p.fixed.1, p.prior.as_ref().map(|p| p.1.clone())),
            prior: p.prior.map(|p| p.0),
            seconds: p.seconds,
        }
    }
}

/// Replicates a scenario runs in all: per sample size, and once more when the
/// effect has a prior (for assurance).
pub fn total_replicates(scenario: &Scenario) -> u64 {
    let passes = if super::cell::has_prior(scenario) {
        2
    } else {
        1
    };
    scenario.simulation.replicates * scenario.design.n_per_arm.len() as u64 * passes
}

/// Runs `replicates` replicates of `cell` at the assumed effect on the current
/// rayon pool; calls `progress` with the number of replicates finished after
/// each window of batches.
pub fn run_cell(
    cell: &Cell,
    seed: u64,
    replicates: u64,
    progress: &(dyn Fn(u64) + Sync),
) -> Summary {
    match fold_cell(
        cell,
        EffectMode::Fixed,
        seed,
        replicates,
        None,
        progress,
        &NEVER_STOP,
    ) {
        Ok((summary, _)) => summary,
        Err(_) => unreachable!("NEVER_STOP is never raised"),
    }
}

/// Runs every sample size of `scenario` on the current rayon pool.
pub fn run_scenario(scenario: &Scenario, progress: &(dyn Fn(u64) + Sync)) -> Vec<CellRun> {
    run_scenario_from(scenario, &[], progress)
}

/// As [`run_scenario`], continuing from earlier folds of complete batches
/// (`resume[i]` for sample size `i`; missing entries start afresh).
pub fn run_scenario_from(
    scenario: &Scenario,
    resume: &[(Resume, Option<Resume>)],
    progress: &(dyn Fn(u64) + Sync),
) -> Vec<CellRun> {
    match run_scenario_until(scenario, resume, progress, &NEVER_STOP) {
        Outcome::Finished(runs) => runs,
        Outcome::Interrupted(_) => unreachable!("NEVER_STOP is never raised"),
    }
}

/// How a run that can be interrupted ended.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Every cell ran to the end.
    Finished(Vec<CellRun>),
    /// Stopped at a window boundary: per sample size, the folds of complete
    /// batches so far (cells not reached keep what they were resumed from).
    Interrupted(Vec<(Resume, Option<Resume>)>),
}

/// As [`run_scenario_from`], stopping at the next window of batches once
/// `stop` is raised (Ctrl-C). The cells are streamed together
/// ([`stream_cells`]).
pub fn run_scenario_until(
    scenario: &Scenario,
    resume: &[(Resume, Option<Resume>)],
    progress: &(dyn Fn(u64) + Sync),
    stop: &AtomicBool,
) -> Outcome {
    let sim = &scenario.simulation;
    let batches = sim.replicates.div_ceil(BATCH);
    let resumed = |i: usize, mode: EffectMode| {
        resume.get(i).and_then(|(fixed, prior)| match mode {
            EffectMode::Fixed => Some(fixed.clone()),
            EffectMode::Prior => prior.clone(),
        })
    };
    let streamed = stream_cells(
        scenario,
        |i, cell, mode| {
            let from = resumed(i, mode).unwrap_or_else(|| cell.empty_resume());
            let folder = Folder::new(sim.replicates, from);
            let first = folder.next_batch();
            (folder, first..batches)
        },
        |folder, b, summary| folder.push(b, &summary),
        progress,
        stop,
    );
    match streamed {
        Ok(passes) => Outcome::Finished(
            (passes.into_iter())
                .map(|p| CellRun::from_passes(p.map(Folder::finish)))
                .collect(),
        ),
        Err(passes) => {
            // A pass no window reached keeps what it was resumed from, or
            // starts empty (its cell prepared only for that).
            let keep = |i: usize, mode, folder: Option<Folder>| match folder {
                Some(folder) => folder.into_resume(),
                None => resumed(i, mode).unwrap_or_else(|| {
                    Cell::new(scenario, scenario.design.n_per_arm[i]).empty_resume()
                }),
            };
            Outcome::Interrupted(
                (passes.into_iter().enumerate())
                    .map(|(i, p)| {
                        let fixed = keep(i, EffectMode::Fixed, p.fixed);
                        let prior = p.prior.map(|prior| keep(i, EffectMode::Prior, prior));
                        (fixed, prior)
                    })
                    .collect(),
            )
        }
    }
}

/// Runs every pass of every cell of `scenario` (file order, a cell's fixed
/// pass before its prior pass, as [`each_cell`]) through one loop of batch
/// windows ([`for_each_batch_of`]), so the threads never wait at a cell's
/// end. A cell is prepared when the first window that reaches it is planned
/// (no earlier than when each cell ran alone: a calibrated threshold is
/// computed then). `open(index, cell, mode)` makes each pass's state and
/// names the batches it runs; `push(state, batch, summary)` is given them in
/// order. A cell's `seconds` is the time spent preparing it plus its share,
/// by the thread time its batches took, of the rest of the wall time.
///
/// # Errors
/// When `stop` is raised first: every pass's state as far as it got, and
/// `None` for the passes no window reached (their cells may be unprepared).
pub fn stream_cells<T>(
    scenario: &Scenario,
    open: impl FnMut(usize, &Cell, EffectMode) -> (T, Range<u64>),
    mut push: impl FnMut(&mut T, u64, Summary),
    progress: &(dyn Fn(u64) + Sync),
    stop: &AtomicBool,
) -> Result<Vec<CellPasses<T>>, Vec<CellPasses<Option<T>>>> {
    let started = Instant::now();
    let sim = &scenario.simulation;
    let sizes = &scenario.design.n_per_arm;
    let cells: Vec<OnceCell<Cell>> = sizes.iter().map(|_| OnceCell::new()).collect();
    let preparing = RefCell::new(vec![0.0; sizes.len()]);
    let cell = |i: usize| {
        cells[i].get_or_init(|| {
            let t = Instant::now();
            let cell = Cell::new(scenario, sizes[i]);
            preparing.borrow_mut()[i] = t.elapsed().as_secs_f64();
            cell
        })
    };
    // Each opened pass's state and cell, in order.
    let states: RefCell<Vec<(T, usize)>> = RefCell::new(Vec::new());
    let open = RefCell::new(open);
    let opening = |i: usize, mode: EffectMode| {
        let (state, batches) = (open.borrow_mut())(i, cell(i), mode);
        states.borrow_mut().push((state, i));
        batches
    };
    // Every cell's passes, known without preparing the cell.
    let prior = super::cell::has_prior(scenario);
    let plan = || {
        (0..sizes.len()).flat_map(move |i| {
            let prior = prior.then_some((i, EffectMode::Prior));
            std::iter::once((i, EffectMode::Fixed)).chain(prior)
        })
    };
    let mut busy = vec![0.0; sizes.len()];
    let done = for_each_batch_of(
        plan().map(|(i, mode)| {
            let (cell, opening) = (&cell, &opening);
            move || Pass {
                cell: cell(i),
                mode,
                batches: opening(i, mode),
            }
        }),
        sim.seed,
        sim.replicates,
        progress,
        stop,
        |p, b, summary, seconds| {
            let (state, i) = &mut states.borrow_mut()[p];
            push(state, b, summary);
            busy[*i] += seconds;
        },
    );
    let wall = started.elapsed().as_secs_f64();
    let preparing = preparing.borrow().clone();
    let running = (wall - preparing.iter().sum::<f64>()).max(0.0);
    let mut shares = share_of(running, &busy);
    // Every planned pass's state: `None` for a pass no window reached
    // (only after a stop), which is left to the caller (a shard discards
    // them) rather than opened here, since opening one may mean preparing
    // its cell.
    let mut states = (states
        .into_inner()
        .into_iter()
        .map(|(state, _)| Some(state)))
    .chain(std::iter::repeat_with(|| None));
    let mut grouped = Vec::with_capacity(sizes.len());
    for (i, &n) in sizes.iter().enumerate() {
        let fixed = states.next().flatten();
        let prior = if prior {
            Some(states.next().flatten())
        } else {
            None
        };
        grouped.push(CellPasses {
            n_per_arm: n,
            fixed,
            prior,
            seconds: preparing[i] + shares.next().unwrap_or(0.0),
        });
    }
    if !done {
        return Err(grouped);
    }
    // A finished run opened every pass.
    let complete: Vec<_> = grouped.into_iter().map(CellPasses::complete).collect();
    if complete.iter().all(Result::is_ok) {
        Ok(complete.into_iter().flatten().collect())
    } else {
        Err((complete.into_iter())
            .map(|c| c.map_or_else(|p| p, |p| p.map(Some)))
            .collect())
    }
}
