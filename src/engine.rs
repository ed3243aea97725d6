//! The Monte Carlo engine: rayon over fixed batches of replicates.
//!
//! Replicate `r` of the cell with arm sizes `(n_msc, n_control)` draws from its
//! own ChaCha8 stream: key from `(seed, n_msc, n_control)` and the effect mode,
//! stream number `r`, so streams never overlap. Replicates are grouped in fixed
//! batches of [`BATCH`]; each batch is summarised by whichever thread runs it,
//! and batch summaries are merged in batch order. The result is therefore
//! bit-identical for any thread count, and memory does not grow with the
//! replicate count.

use std::ops::Range;
use std::time::Instant;

use serde::{Deserialize, Serialize};

use rand::SeedableRng;
use rand::rngs::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;

use crate::analysis::{AnalysisFailure, Analyzer, Scratch, TestResult};
use crate::cohort::{Cohort, CohortModel};
use crate::estimand::{self, EstimandScratch};
use crate::intercurrent::IntercurrentModel;
use crate::scenario::intercurrent::Strategy;
use crate::scenario::{Scenario, stratum_sizes};
use crate::summary::{ArmStats, Summary, Welford};

/// Replicates per batch: the unit of parallel work and of merging.
pub const BATCH: u64 = 256;

/// Which effect a run simulates: the assumed effect itself, or a draw from
/// the prior per trial (assurance). The two use different streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EffectMode {
    Fixed,
    Prior,
}

/// The random stream of one replicate at the assumed effect.
pub fn replicate_rng(seed: u64, n_msc: usize, n_control: usize, replicate: u64) -> ChaCha8Rng {
    stream(seed, n_msc, n_control, replicate, EffectMode::Fixed)
}

fn stream(
    seed: u64,
    n_msc: usize,
    n_control: usize,
    replicate: u64,
    mode: EffectMode,
) -> ChaCha8Rng {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    key[8..16].copy_from_slice(&(n_msc as u64).to_le_bytes());
    key[16..24].copy_from_slice(&(n_control as u64).to_le_bytes());
    key[24..].copy_from_slice(match mode {
        EffectMode::Fixed => b"trialsim",
        EffectMode::Prior => b"tsprior.",
    });
    let mut rng = ChaCha8Rng::from_seed(key);
    rng.set_stream(replicate);
    rng
}

/// One sample-size cell, prepared: the patient model and the analysis.
#[derive(Debug, Clone)]
pub struct Cell {
    /// Control-arm size (single arm: series size) as written in `design.n_per_arm`.
    pub n_per_arm: usize,
    pub n_msc: usize,
    pub n_control: usize,
    pub model: CohortModel,
    pub analyzer: Analyzer,
    effect_mean: f64,
    effect_sd: f64,
    /// Single arm: a series "succeeds" when its mean fall reaches this.
    reported_improvement: Option<f64>,
    /// Pooled trial: each stratum's model and MSC effect (its scale units).
    strata: Vec<(CohortModel, f64)>,
}

impl Cell {
    /// Prepares the cell for control-arm size `n` of `scenario`.
    pub fn new(scenario: &Scenario, n: usize) -> Cell {
        let design = &scenario.design;
        let (n_msc, n_control) = design.arm_sizes(n);
        let analyzer = Analyzer::new(
            design.analysis,
            design.sided,
            design.alpha,
            n_msc,
            n_control,
            scenario.endpoint.responder_threshold,
        );
        let model = CohortModel::new(
            &scenario.population,
            scenario.endpoint.scale,
            analyzer.effect_scale(),
            &design.visits_weeks,
            design.enroll_above,
            n_msc,
            n_control,
        )
        .with_responder_share(scenario.effect.responder_share)
        .with_intercurrent(
            scenario
                .intercurrent
                .as_ref()
                .map(|ic| IntercurrentModel::new(ic, &design.visits_weeks)),
        );
        let strata = scenario
            .strata
            .iter()
            .zip(stratum_sizes(&scenario.strata, n.max(1)))
            .enumerate()
            .map(|(k, (st, size))| {
                let m = CohortModel::new(
                    &st.population,
                    st.scale,
                    analyzer.effect_scale(),
                    &design.visits_weeks,
                    design.enroll_above,
                    size,
                    size,
                )
                .as_stratum(k as u8, st.population.change_sd);
                (m, st.effect)
            })
            .collect();
        Cell {
            strata,
            n_per_arm: n,
            n_msc,
            n_control,
            model,
            analyzer,
            effect_mean: scenario.effect.mean,
            effect_sd: scenario.effect.sd,
            reported_improvement: design.reported_improvement,
        }
    }

    /// Names of the concomitant therapies, in file order.
    pub fn concomitant_names(&self) -> Vec<String> {
        self.model.intercurrent().map_or_else(Vec::new, |ic| {
            ic.spec
                .concomitants
                .iter()
                .map(|c| c.name.clone())
                .collect()
        })
    }

    /// Whether runs count series reaching the reported improvement.
    pub fn reports_success(&self) -> bool {
        self.reported_improvement.is_some()
    }

    /// Whether the effect has a prior to average power over.
    pub fn has_prior(&self) -> bool {
        self.effect_sd > 0.0
    }

    /// Simulates and analyses replicate `replicate` at the assumed effect,
    /// folding it into `summary`.
    #[inline]
    pub fn replicate(
        &self,
        seed: u64,
        replicate: u64,
        work: &mut Workspace,
        summary: &mut Summary,
    ) {
        self.replicate_with(EffectMode::Fixed, seed, replicate, work, summary);
    }

    /// As [`Cell::replicate`], with the effect fixed or drawn from its prior.
    #[inline]
    pub fn replicate_with(
        &self,
        mode: EffectMode,
        seed: u64,
        replicate: u64,
        work: &mut Workspace,
        summary: &mut Summary,
    ) {
        let mut rng = stream(seed, self.n_msc, self.n_control, replicate, mode);
        let effect = match mode {
            EffectMode::Fixed => self.effect_mean,
            EffectMode::Prior => {
                let z: f64 = StandardNormal.sample(&mut rng);
                self.effect_mean + self.effect_sd * z
            }
        };
        let truth = if self.strata.is_empty() {
            self.model.simulate(effect, &mut rng, &mut work.cohort)
        } else {
            work.cohort.clear();
            let sum: f64 = self
                .strata
                .iter()
                .map(|(m, e)| m.simulate_more(*e, &mut rng, &mut work.cohort))
                .sum();
            sum / (self.n_msc + self.n_control) as f64
        };
        summary.replicates += 1;
        summary.truth.push(truth);
        if let Some(reported) = self.reported_improvement {
            let change = &work.cohort.msc.change;
            let mean_fall = -change.iter().sum::<f64>() / change.len() as f64;
            if mean_fall >= reported - 1e-9 {
                summary.successes += 1;
            }
        }
        let Some(ic) = self.model.intercurrent() else {
            let estimand_truth = truth;
            let result = self.analyzer.analyse(
                work.cohort.msc.view(),
                work.cohort.control.view(),
                &mut work.scratch,
            );
            self.record(result, truth, estimand_truth, summary);
            return;
        };
        let patients = (self.n_msc + self.n_control) as f64;
        let chosen = ic.spec.strategy;
        if summary.strategy_error.is_empty() {
            summary.strategy_error = vec![Welford::default(); Strategy::ALL.len()];
        }
        for strategy in Strategy::ALL {
            if !self.applies(strategy) {
                continue;
            }
            let result = self.analyse_strategy(strategy, ic, work, &mut rng);
            if let Ok(r) = &result {
                summary.strategy_error[strategy.index()].push(r.estimate - truth);
            }
            if strategy == chosen {
                let estimand_truth = work.cohort.strategy_truth[strategy.index()] / patients;
                self.record(result, truth, estimand_truth, summary);
            }
        }
        record_arms(ic, &work.cohort, summary);
    }

    /// Whether this cell's analysis can serve `strategy`: composite needs a
    /// responder analysis, hypothetical (multiple imputation) a t-based one.
    pub fn applies(&self, strategy: Strategy) -> bool {
        match strategy {
            Strategy::Composite => self.analyzer.is_responder(),
            Strategy::Hypothetical => self.analyzer.is_t_based(),
            _ => true,
        }
    }

    /// The analysis of one replicate under `strategy`; the hypothetical
    /// strategy imputes [`estimand::IMPUTATIONS`] times from `rng` and
    /// combines by Rubin's rules.
    fn analyse_strategy(
        &self,
        strategy: Strategy,
        ic: &IntercurrentModel,
        work: &mut Workspace,
        rng: &mut ChaCha8Rng,
    ) -> Result<TestResult, AnalysisFailure> {
        if strategy != Strategy::Hypothetical {
            let (msc, control) =
                estimand::views(strategy, &work.cohort, ic.visits(), &mut work.estimand, rng)?;
            return self.analyzer.analyse(msc, control, &mut work.scratch);
        }
        let mut results = [None; estimand::IMPUTATIONS];
        for slot in &mut results {
            let (msc, control) =
                estimand::views(strategy, &work.cohort, ic.visits(), &mut work.estimand, rng)?;
            *slot = Some(self.analyzer.analyse(msc, control, &mut work.scratch)?);
        }
        let results = results.map(|r| r.expect("filled above"));
        estimand::rubin(&results, self.analyzer.alternative())
    }

    /// Folds one analysis of the chosen estimand into `summary`.
    #[inline]
    fn record(
        &self,
        result: Result<TestResult, AnalysisFailure>,
        truth: f64,
        estimand_truth: f64,
        summary: &mut Summary,
    ) {
        summary.estimand_truth.push(estimand_truth);
        match result {
            Ok(r) => {
                if self.analyzer.rejects(&r) {
                    summary.rejections += 1;
                }
                if self.analyzer.covers(&r, estimand_truth) {
                    summary.covered += 1;
                }
                summary.estimate.push(r.estimate);
                summary.error.push(r.estimate - truth);
            }
            Err(_) => summary.failures += 1,
        }
    }

    /// Summary of batch `batch` of a run of `replicates` replicates.
    pub fn batch(
        &self,
        mode: EffectMode,
        seed: u64,
        batch: u64,
        replicates: u64,
        work: &mut Workspace,
    ) -> Summary {
        let mut summary = Summary::default();
        let end = ((batch + 1) * BATCH).min(replicates);
        for r in batch * BATCH..end {
            self.replicate_with(mode, seed, r, work, &mut summary);
        }
        summary
    }

    /// Fresh per-worker buffers for this cell.
    pub fn workspace(&self) -> Workspace {
        Workspace {
            cohort: self.model.new_cohort(),
            scratch: Scratch::default(),
            estimand: EstimandScratch::default(),
        }
    }
}

/// Per-worker buffers, reused for every replicate the worker runs.
#[derive(Debug, Clone)]
pub struct Workspace {
    pub cohort: Cohort,
    pub scratch: Scratch,
    pub estimand: EstimandScratch,
}

/// Folds one replicate's per-arm flare and therapy figures into `summary`.
fn record_arms(ic: &IntercurrentModel, cohort: &Cohort, summary: &mut Summary) {
    let follow_up = ic.spec.follow_up_weeks;
    let weeks = follow_up.ceil() as usize + 1;
    let therapies = ic.spec.concomitants.len();
    let rescue_mask: u32 = (0..therapies)
        .filter(|&i| ic.is_rescue(i))
        .map(|i| 1 << i)
        .sum();
    if summary.arms.is_empty() {
        summary.arms = vec![ArmStats::default(), ArmStats::default()];
    }
    for (stats, arm) in summary.arms.iter_mut().zip([&cohort.msc, &cohort.control]) {
        let n = arm.primary.len();
        if n == 0 {
            continue;
        }
        let share = |count: usize| count as f64 / n as f64;
        stats.patients += n as u64;
        stats
            .flare_by_primary
            .push(share(arm.flared_by_primary.iter().filter(|&&f| f).count()));
        stats.flare_in_follow_up.push(share(
            arm.first_flare.iter().filter(|t| t.is_finite()).count(),
        ));
        stats
            .flares_per_patient
            .push(arm.flares.iter().map(|&f| f as f64).sum::<f64>() / n as f64);
        stats.rescue.push(share(
            arm.concomitants
                .iter()
                .filter(|&&m| m & rescue_mask != 0)
                .count(),
        ));
        if stats.concomitant.len() < therapies {
            stats.concomitant.resize(therapies, Welford::default());
        }
        for (i, w) in stats.concomitant.iter_mut().enumerate() {
            w.push(share(
                arm.concomitants
                    .iter()
                    .filter(|&&m| m & (1 << i) != 0)
                    .count(),
            ));
        }
        if stats.flared_by_week.len() < weeks {
            stats.flared_by_week.resize(weeks, 0);
        }
        for &t in &arm.first_flare {
            if t.is_finite() {
                for count in &mut stats.flared_by_week[(t.ceil() as usize).min(weeks)..] {
                    *count += 1;
                }
            }
        }
    }
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
    run_cell_with(cell, EffectMode::Fixed, seed, replicates, progress)
}

/// As [`run_cell`], with the effect fixed or drawn from its prior.
pub fn run_cell_with(
    cell: &Cell,
    mode: EffectMode,
    seed: u64,
    replicates: u64,
    progress: &(dyn Fn(u64) + Sync),
) -> Summary {
    fold_cell(cell, mode, seed, replicates, Resume::default(), progress).0
}

/// Streams the summaries of batches `batches` of a run of `replicates`
/// replicates to `sink`, in batch order, computing a window of batches at a
/// time in parallel.
pub fn for_each_batch(
    cell: &Cell,
    mode: EffectMode,
    seed: u64,
    replicates: u64,
    batches: Range<u64>,
    progress: &(dyn Fn(u64) + Sync),
    mut sink: impl FnMut(u64, Summary),
) {
    let window = (rayon::current_num_threads() as u64 * 8).max(8);
    let mut start = batches.start;
    while start < batches.end {
        let end = (start + window).min(batches.end);
        let parts: Vec<Summary> = (start..end)
            .into_par_iter()
            .map_init(
                || cell.workspace(),
                |work, b| cell.batch(mode, seed, b, replicates, work),
            )
            .collect();
        progress(parts.iter().map(|p| p.replicates).sum());
        for (b, part) in (start..end).zip(parts) {
            sink(b, part);
        }
        start = end;
    }
}

/// The fold of a run's complete batches `0..batches`: what a later run needs
/// to add replicates without repeating these (a final partial batch is
/// recomputed, so topping up is bit-identical to one longer run).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Resume {
    pub batches: u64,
    pub summary: Summary,
}

/// Folds batch summaries in batch order: returns the summary of the whole
/// run and the fold of its complete batches.
#[derive(Debug, Clone)]
pub struct Folder {
    replicates: u64,
    complete: Resume,
    total: Option<Summary>,
}

impl Folder {
    /// Starts from `resume` (complete batches already folded) for a run of
    /// `replicates` replicates.
    pub fn new(replicates: u64, resume: Resume) -> Folder {
        Folder {
            replicates,
            complete: resume,
            total: None,
        }
    }

    /// Adds batch `b`, which must be the next one.
    pub fn push(&mut self, b: u64, summary: &Summary) {
        assert_eq!(b, self.complete.batches, "batches are folded in order");
        if (b + 1) * BATCH <= self.replicates {
            self.complete.summary.merge(summary);
            self.complete.batches += 1;
        } else {
            let mut total = self.complete.summary.clone();
            total.merge(summary);
            self.total = Some(total);
        }
    }

    /// The first batch still to fold.
    pub fn next_batch(&self) -> u64 {
        self.complete.batches + u64::from(self.total.is_some())
    }

    /// The whole run's summary and the fold of its complete batches.
    pub fn finish(self) -> (Summary, Resume) {
        let total = self.total.unwrap_or_else(|| self.complete.summary.clone());
        (total, self.complete)
    }
}

/// Runs the batches of `cell` not yet in `resume` and folds them on.
pub fn fold_cell(
    cell: &Cell,
    mode: EffectMode,
    seed: u64,
    replicates: u64,
    resume: Resume,
    progress: &(dyn Fn(u64) + Sync),
) -> (Summary, Resume) {
    let batches = replicates.div_ceil(BATCH);
    let mut folder = Folder::new(replicates, resume);
    let from = folder.next_batch();
    for_each_batch(
        cell,
        mode,
        seed,
        replicates,
        from..batches,
        progress,
        |b, s| folder.push(b, &s),
    );
    folder.finish()
}

/// The result of one cell: its summary at the assumed effect, the summary
/// over the effect prior (when the effect has one), and how long both took.
#[derive(Debug, Clone)]
pub struct CellRun {
    pub cell: Cell,
    pub summary: Summary,
    pub prior: Option<Summary>,
    pub seconds: f64,
    /// The folds of complete batches, for topping the run up later.
    pub resume: (Resume, Option<Resume>),
}

/// Replicates a scenario runs in all: per sample size, and once more when the
/// effect has a prior (for assurance).
pub fn total_replicates(scenario: &Scenario) -> u64 {
    let passes = if scenario.effect.sd > 0.0 { 2 } else { 1 };
    scenario.simulation.replicates * scenario.design.n_per_arm.len() as u64 * passes
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
    let sim = &scenario.simulation;
    scenario
        .design
        .n_per_arm
        .iter()
        .enumerate()
        .map(|(i, &n)| {
            let cell = Cell::new(scenario, n);
            let started = Instant::now();
            let (fixed_from, prior_from) = resume.get(i).cloned().unwrap_or_default();
            let (summary, fixed) = fold_cell(
                &cell,
                EffectMode::Fixed,
                sim.seed,
                sim.replicates,
                fixed_from,
                progress,
            );
            let prior = cell.has_prior().then(|| {
                fold_cell(
                    &cell,
                    EffectMode::Prior,
                    sim.seed,
                    sim.replicates,
                    prior_from.unwrap_or_default(),
                    progress,
                )
            });
            CellRun {
                cell,
                summary,
                seconds: started.elapsed().as_secs_f64(),
                resume: (fixed, prior.as_ref().map(|p| p.1.clone())),
                prior: prior.map(|p| p.0),
            }
        })
        .collect()
}
