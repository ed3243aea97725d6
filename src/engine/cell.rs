//! One sample-size cell, prepared: its patient model, intercurrent events,
//! analysis and decision rule, and the replicate loop that runs them.

use crate::analysis::{Alternative, AnalysisFailure, Analyzer, Scratch, TestResult};
use crate::cohort::{ArmData, Cohort, CohortModel, ProductModel};
use crate::decision::posterior::{PosteriorThreshold, normal_approximation};
use crate::decision::{self, Decision};
use crate::design::stratum_sizes;
use crate::design::stream::{EffectMode, accrual_stream, replicate_stream, safety_stream};
use crate::design::withdrawal::RunIn;
use crate::design::{self, Arms};
use crate::estimand::truth::StrategyTruth;
use crate::estimand::{self, EstimandScratch};
use crate::intercurrent::IntercurrentModel;
use crate::intercurrent::dropout::DropoutModel;
use crate::intercurrent::safety::SafetyModel;
use crate::rng::Stream;
use crate::scenario::Scenario;
use crate::scenario::intercurrent::Strategy;
use crate::summary::borrowing::BorrowStats;
use crate::summary::looks::LookStats;
use crate::summary::product::ProductStats;
use crate::summary::safety::{Monitor, SafetyStats};
use crate::summary::{self, Shape, Summary, SurvivalStats};

use super::looks::{LookScratch, Looks};
use super::trial::{Patient, Trial};

/// One sample-size cell, prepared once and shared by every worker.
#[derive(Debug)]
pub struct Cell {
    /// Whether the effect has a prior (see [`has_prior`]).
    prior: bool,
    /// `[safety.stopping]`, prepared for this cell's MSC arm.
    monitor: Option<Monitor>,
    /// Control-arm size (single arm: series size) as written in `design.n_per_arm`.
    pub n_per_arm: usize,
    pub sizes: Arms<usize>,
    pub trial: Trial,
    pub analyzer: Analyzer,
    decision: Box<dyn Decision>,
    /// The posterior rule at each prior weight (empty for a frequentist rule).
    rules: Vec<PosteriorThreshold>,
    /// A calibration run: the rules' histograms are kept.
    tail_histogram: bool,
    /// `trialsim borrow`: the population effect the posterior is judged
    /// against (else each trial's estimand value).
    population_truth: Option<f64>,
    effect_mean: f64,
    effect_sd: f64,
    /// Single arm: a series "succeeds" when its mean fall reaches this.
    reported_improvement: Option<f64>,
    /// With `[accrual]` on a parallel design: the looks in calendar time.
    pub looks: Option<Looks>,
}

impl Cell {
    /// Prepares the cell for control-arm size `n` of `scenario`.
    pub fn new(scenario: &Scenario, n: usize) -> Cell {
        let design = &scenario.design;
        let sizes = design::arm_sizes(design, n);
        let analyzer = Analyzer::new(
            design.analysis,
            design.sided,
            sizes,
            scenario.endpoint.responder_threshold,
        );
        let model = |population, scale, sizes| {
            CohortModel::new(
                population,
                scale,
                &design.visits_weeks,
                design.enroll_above,
                sizes,
            )
        };
        let strata = scenario
            .strata
            .iter()
            .zip(stratum_sizes(&scenario.strata, n.max(1)))
            .enumerate()
            .map(|(k, (st, size))| {
                let m = model(&st.population, st.scale, Arms::both(size))
                    .as_stratum(k as u8, st.population.change_sd);
                (m, st.effect)
            })
            .collect();
        let trial = Trial {
            cohort: model(&scenario.population, scenario.endpoint.scale, sizes)
                .with_responder_share(scenario.effect.responder_share)
                .with_product(
                    scenario
                        .manufacturing
                        .as_ref()
                        // A product that never fails and is never late
                        // changes nothing: no draw, no as-infused contrast.
                        .filter(|m| m.failure_probability > 0.0 || m.vein_to_vein_weeks > 0.0)
                        .map(|m| {
                            ProductModel::new(m, *design.visits_weeks.last().expect("a visit"))
                        }),
                ),
            intercurrent: scenario.intercurrent.as_ref().map(|ic| {
                let model = IntercurrentModel::new(ic, &design.visits_weeks);
                match &design.withdrawal {
                    Some(w) => model.with_waning(w.effect_half_life_weeks),
                    None => model,
                }
            }),
            strata,
            effect_scale: analyzer.effect_scale(),
            time_to_flare: scenario.endpoint.time_to_flare,
            dropout: scenario.dropout.as_ref().map(DropoutModel::new),
            run_in: design.withdrawal.as_ref().map(|w| {
                RunIn::new(
                    w,
                    &scenario.population,
                    scenario.endpoint.scale,
                    design.enroll_above,
                    scenario
                        .endpoint
                        .responder_threshold
                        .expect("validated: a randomized withdrawal has a responder threshold"),
                    sizes.total(),
                )
            }),
            fixed_log_hr: f64::NAN,
            safety: scenario.safety.as_ref().map(|s| {
                let follow_up = scenario.intercurrent.as_ref().map_or_else(
                    || *design.visits_weeks.last().expect("validated: a visit"),
                    |ic| ic.follow_up_weeks,
                );
                SafetyModel::new(s, follow_up)
            }),
        };
        let mut trial = trial;
        if let (true, Some(ic)) = (trial.time_to_flare, &trial.intercurrent) {
            trial.fixed_log_hr = ic.true_log_hr(
                ic.spec.therapy.msc_hazard_ratio,
                trial.dropout_hazards(),
                trial.msc_share(),
            );
        }
        let monitor = scenario
            .safety
            .as_ref()
            .and_then(|s| s.stopping)
            .map(|rule| Monitor::new(rule, sizes.msc));
        // An infusion schedule gives MSC a share of its effect at the primary
        // visit (exactly 1 for one infusion at week 0 without waning).
        let share = scenario
            .schedule
            .as_ref()
            .map_or(1.0, |s| s.share_at_primary);
        let looks = Looks::new(scenario, &analyzer, sizes.total());
        let (decision, rules) = decision::prepare(&analyzer, scenario, || {
            super::threshold::calibrated(scenario, n)
        });
        Cell {
            looks,
            prior: has_prior(scenario),
            monitor,
            decision,
            rules,
            tail_histogram: scenario.decision.tail_histogram,
            population_truth: scenario
                .decision
                .population_truth
                .iter()
                .find(|(size, _)| *size == n)
                .map(|&(_, truth)| truth),
            n_per_arm: n,
            sizes,
            trial,
            analyzer,
            effect_mean: scenario.effect.mean * share,
            // With time to flare the effect is the flare hazard ratio: its
            // prior is `msc_flare_hazard_ratio_log_sd`, and the score effect
            // (the run-in's) stays at its mean.
            effect_sd: if scenario.endpoint.time_to_flare {
                0.0
            } else {
                scenario.effect.sd * share
            },
            reported_improvement: design.reported_improvement,
        }
    }

    /// Whether the effect has a prior to average power over.
    pub fn has_prior(&self) -> bool {
        self.prior
    }

    /// The shape of this cell's summaries.
    pub fn shape(&self) -> Shape {
        Shape {
            estimands: self.trial.intercurrent.is_some(),
            flares: self.trial.intercurrent.as_ref().map(summary::flares::empty),
            survival: self
                .trial
                .intercurrent
                .as_ref()
                .filter(|_| self.trial.time_to_flare)
                .map(|ic| SurvivalStats::empty(ic, self.trial.run_in.is_some())),
            safety: self
                .trial
                .safety
                .as_ref()
                .map(|s| SafetyStats::empty(s.kinds())),
            product: self.trial.cohort.has_product().then(ProductStats::default),
            looks: self
                .looks
                .as_ref()
                .map(|l| LookStats::empty(l.boundaries.looks(), l.expected_months())),
            borrowing: (!self.rules.is_empty()).then(|| {
                let thresholds: Vec<f64> = self.rules.iter().map(|r| r.threshold()).collect();
                BorrowStats::empty(&thresholds, self.tail_histogram)
            }),
        }
    }

    /// An empty summary of this cell's shape.
    pub fn new_summary(&self) -> Summary {
        Summary::new(&self.shape())
    }

    /// The fold of no batches: where a fresh run, shard or merge of this
    /// cell starts.
    pub fn empty_resume(&self) -> summary::Resume {
        summary::Resume {
            batches: 0,
            summary: self.new_summary(),
        }
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
        let a = self.analyse_replicate(mode, seed, replicate, work);
        let monitored = self.looks.as_ref().map(|looks| {
            let mut rng = accrual_stream(seed, self.sizes, mode, replicate);
            let recruited = looks.enter(self.sizes, &mut rng, &mut work.looks);
            let Workspace {
                cohort,
                looks: scratch,
                estimand,
                scratch: analysis,
                ..
            } = work;
            let ic = self.trial.intercurrent.as_ref();
            looks.monitor(
                cohort,
                recruited,
                scratch,
                &self.analyzer,
                a.chosen,
                a.estimand_truth,
                &|r| self.decision.rejects(r),
                &mut |seen| match ic {
                    None => self
                        .analyzer
                        .analyse(seen.msc.view(), seen.control.view(), analysis),
                    Some(ic) => self.analyse_strategy(
                        ic.spec.strategy,
                        ic,
                        seen,
                        (estimand, analysis),
                        &mut rng,
                    ),
                },
            )
        });
        summary.replicates += 1;
        summary.truth.push(a.truth);
        if let Some(reported) = self.reported_improvement {
            // The series as reported: the children still followed at the
            // primary visit (all of them without dropout).
            let msc = &work.cohort.msc;
            let primary = self
                .trial
                .intercurrent
                .as_ref()
                .and_then(|ic| ic.visits().last().copied())
                .unwrap_or(f64::INFINITY);
            let (mut sum, mut kept) = (0.0, 0usize);
            for (i, &c) in msc.change.iter().enumerate() {
                if msc.dropout.get(i).is_none_or(|&d| d >= primary) {
                    sum += c;
                    kept += 1;
                }
            }
            if kept > 0 && -sum / kept as f64 >= reported - 1e-9 {
                summary.successes += 1;
            }
        }
        if let Some(errors) = summary.estimands.as_mut() {
            for strategy in Strategy::ALL {
                if let Some(Ok(r)) = &a.strategies[strategy.index()] {
                    errors.push(strategy, r.estimate - a.truth);
                }
            }
        }
        // The analysis the trial ends on: the stopping look's with
        // `[accrual]` (which decided it), else the whole trial's.
        let (result, looked) = match &monitored {
            Some(m) => (m.result, Some(m.rejected)),
            None => (a.chosen, None),
        };
        if let (Some(m), Some(stats)) = (&monitored, summary.looks.as_mut()) {
            stats.record(m, a.estimand_truth);
        }
        // The posterior rule's figures at every weight, on that analysis
        // (with `[accrual]` one look at the end: validation refuses interim
        // looks). Without looks the first weight's success is the trial's
        // decision: the same rule, so the same bits as asking it again.
        let first = summary.borrowing.as_mut().map(|stats| {
            let estimate = result.as_ref().ok().and_then(normal_approximation);
            let truth = self.population_truth.unwrap_or(a.estimand_truth);
            stats.record(&self.rules, estimate, truth)
        });
        let rejected = looked
            .or(first)
            .unwrap_or_else(|| result.as_ref().is_ok_and(|r| self.decision.rejects(r)));
        self.record(result, rejected, a.truth, a.estimand_truth, summary);
        if let (Some(flares), Some(ic)) = (summary.flares.as_mut(), &self.trial.intercurrent) {
            summary::flares::record(flares, ic, &work.cohort);
        }
        if let Some(stats) = summary.product.as_mut() {
            let msc = &work.cohort.msc;
            let share = msc.infused.iter().filter(|&&i| i).count() as f64 / msc.len().max(1) as f64;
            let result = self.as_infused(work);
            let decided = result.as_ref().map_or((false, false), |r| {
                (self.decision.rejects(r), self.favours_msc(r))
            });
            // MSC's own effect in the infused children, on the analysis scale.
            let (mut sum, mut kept) = (0.0, 0usize);
            for (&infused, &own) in work.cohort.msc.infused.iter().zip(&work.patient.own) {
                if infused {
                    sum += own;
                    kept += 1;
                }
            }
            let target = if kept > 0 {
                sum / kept as f64
            } else {
                f64::NAN
            };
            stats.record(share, result, decided, target);
        }
        if let (Some(stats), Some(model)) = (summary.safety.as_mut(), &self.trial.safety) {
            stats.record(&work.cohort, model, self.monitor.as_ref());
        }
        if let (Some(survival), Some(ic)) = (summary.survival.as_mut(), &self.trial.intercurrent) {
            let primary = *ic.visits().last().expect("validated: a primary visit");
            survival.record(
                &work.cohort,
                (primary, ic.spec.follow_up_weeks),
                (work.patient.enrolled, self.sizes.total()),
                work.scratch.survival(),
            );
        }
    }

    /// Simulates replicate `replicate` into `work` (its patients stay in
    /// `work.cohort`) and analyses it under every strategy the cell serves:
    /// what [`Cell::replicate_with`] folds, and what `trialsim replay` shows.
    #[inline]
    pub fn analyse_replicate(
        &self,
        mode: EffectMode,
        seed: u64,
        replicate: u64,
        work: &mut Workspace,
    ) -> Analysed {
        let mut rng = replicate_stream(seed, self.sizes, mode, replicate);
        let analysed = self.analyse_stream(mode, &mut rng, work);
        if let Some(safety) = &self.trial.safety {
            let mut events = safety_stream(seed, self.sizes, mode, replicate);
            safety.draw(&mut work.cohort, &mut events);
        }
        analysed
    }

    /// [`Cell::analyse_replicate`] from the stream `rng` (which `trialsim
    /// bench` then asks how many random numbers the trial drew).
    #[inline]
    pub fn analyse_stream(
        &self,
        mode: EffectMode,
        rng: &mut Stream,
        work: &mut Workspace,
    ) -> Analysed {
        let effect = match mode {
            EffectMode::Prior if self.effect_sd > 0.0 => {
                let z = rng.normal();
                self.effect_mean + self.effect_sd * z
            }
            _ => self.effect_mean,
        };
        // The flare hazard ratio is drawn from its prior in every pass of a
        // score endpoint (a nuisance there), but for time to flare, where it
        // is the effect, only in the prior pass.
        let draw_hr = !self.trial.time_to_flare || mode == EffectMode::Prior;
        let truth = self.trial.simulate(
            (effect, draw_hr),
            rng,
            &mut work.cohort,
            &mut work.truths,
            &mut work.patient,
        );
        let Some(ic) = &self.trial.intercurrent else {
            let chosen = self.analyzer.analyse(
                work.cohort.msc.view(),
                work.cohort.control.view(),
                &mut work.scratch,
            );
            return Analysed {
                effect,
                truth,
                estimand_truth: truth,
                chosen,
                strategies: [None; 4],
            };
        };
        let patients = self.sizes.total() as f64;
        let chosen = ic.spec.strategy;
        let mut strategies = [None; 4];
        for strategy in Strategy::ALL {
            if estimand::serves(strategy, &self.analyzer) {
                strategies[strategy.index()] = Some(self.analyse_strategy(
                    strategy,
                    ic,
                    &work.cohort,
                    (&mut work.estimand, &mut work.scratch),
                    rng,
                ));
            }
        }
        Analysed {
            effect,
            truth,
            // A time-to-flare trial's truth is its own log hazard ratio.
            estimand_truth: if self.trial.time_to_flare {
                truth
            } else {
                work.truths.sum(chosen) / patients
            },
            chosen: strategies[chosen.index()]
                .expect("validation: the analysis serves the chosen strategy"),
            strategies,
        }
    }

    /// The analysis of one replicate under `strategy`; the hypothetical
    /// strategy imputes [`estimand::IMPUTATIONS`] times from `rng` and
    /// combines by Rubin's rules.
    fn analyse_strategy(
        &self,
        strategy: Strategy,
        ic: &IntercurrentModel,
        cohort: &Cohort,
        (estimand_scratch, scratch): (&mut EstimandScratch, &mut Scratch),
        rng: &mut Stream,
    ) -> Result<TestResult, AnalysisFailure> {
        if strategy != Strategy::Hypothetical {
            // A time-to-flare analysis reads only each child's follow-up,
            // which these strategies leave as it is (and draw nothing for):
            // the cohort itself, without copying out its values at visits.
            if self.analyzer.is_time_to_event() {
                return self
                    .analyzer
                    .analyse(cohort.msc.view(), cohort.control.view(), scratch);
            }
            let (msc, control) =
                estimand::views(strategy, 0, cohort, ic.visits(), estimand_scratch, rng)?;
            return self.analyzer.analyse(msc, control, scratch);
        }
        let mut results = [None; estimand::IMPUTATIONS];
        for (imputation, slot) in results.iter_mut().enumerate() {
            let (msc, control) = estimand::views(
                strategy,
                imputation,
                cohort,
                ic.visits(),
                estimand_scratch,
                rng,
            )?;
            *slot = Some(self.analyzer.analyse(msc, control, scratch)?);
        }
        let results = results.map(|r| r.expect("filled above"));
        estimand::rubin(&results, self.analyzer.alternative())
    }

    /// Folds one analysis of the chosen estimand into `summary`.
    #[inline]
    fn record(
        &self,
        result: Result<TestResult, AnalysisFailure>,
        rejected: bool,
        truth: f64,
        estimand_truth: f64,
        summary: &mut Summary,
    ) {
        summary.estimand_truth.push(estimand_truth);
        match result {
            Ok(r) => {
                if rejected {
                    summary.rejections += 1;
                    if self.favours_msc(&r) {
                        summary.favourable_rejections += 1;
                    }
                }
                if self.analyzer.covers(&r, estimand_truth) {
                    summary.covered += 1;
                }
                summary.estimate.push(r.estimate);
                summary.error.push(r.estimate - truth);
                summary.estimand_error.push(r.estimate - estimand_truth);
            }
            Err(failure) => {
                summary.failures += 1;
                summary.failure_reasons.push(failure);
            }
        }
    }

    /// The as-infused contrast of the trial in `work`: the MSC children
    /// whose product was made against every control child, on the recorded
    /// values (a per-protocol analysis beside the intention-to-treat one).
    fn as_infused(&self, work: &mut Workspace) -> Result<TestResult, AnalysisFailure> {
        let msc = &work.cohort.msc;
        let kept = &mut work.infused;
        kept.clear();
        for (i, &infused) in msc.infused.iter().enumerate() {
            if infused {
                kept.baseline.push(msc.baseline[i]);
                kept.primary.push(msc.primary[i]);
                kept.change.push(msc.change[i]);
                kept.stratum.push(msc.stratum[i]);
            }
        }
        self.analyzer
            .analyse(kept.view(), work.cohort.control.view(), &mut work.scratch)
    }

    /// Whether `r` rejects the null under this cell's decision rule.
    pub fn rejects(&self, r: &TestResult) -> bool {
        self.decision.rejects(r)
    }

    /// Whether a rejecting result is significant in MSC's favour: every
    /// rejection of a one-sided test (its alternative is MSC's direction),
    /// and for a two-sided test the direction of the test's statistic.
    #[inline]
    pub fn favours_msc(&self, r: &TestResult) -> bool {
        self.analyzer.alternative() != Alternative::TwoSided
            || self.analyzer.effect_scale().favours_msc(r.direction())
    }

    /// Fresh per-worker buffers for this cell.
    pub fn workspace(&self) -> Workspace {
        Workspace {
            cohort: self.trial.cohort.new_cohort(),
            truths: StrategyTruth::default(),
            scratch: Scratch::default(),
            estimand: EstimandScratch::default(),
            patient: self.trial.patient(),
            infused: ArmData::default(),
            looks: LookScratch::default(),
        }
    }
}

/// Whether `scenario`'s effect has a prior, so that runs add an assurance
/// pass: `effect.sd` above 0, or for time to flare (whose effect is the
/// flare hazard ratio) `msc_flare_hazard_ratio_log_sd` above 0.
pub fn has_prior(scenario: &Scenario) -> bool {
    if scenario.endpoint.time_to_flare {
        scenario
            .intercurrent
            .as_ref()
            .is_some_and(|ic| ic.therapy.msc_hazard_ratio_log_sd > 0.0)
    } else {
        scenario.effect.sd > 0.0
    }
}

/// What one replicate gave.
#[derive(Debug, Clone, Copy)]
pub struct Analysed {
    /// MSC's effect in this trial (drawn from the prior in an assurance pass).
    pub effect: f64,
    /// Sample-average MSC own effect on the analysis scale.
    pub truth: f64,
    /// True value of the chosen estimand (`truth` without intercurrent events).
    pub estimand_truth: f64,
    /// The analysis of the chosen estimand.
    pub chosen: Result<TestResult, AnalysisFailure>,
    /// With intercurrent events: each strategy the analysis serves, by
    /// [`Strategy::index`].
    pub strategies: [Option<Result<TestResult, AnalysisFailure>>; 4],
}

/// Per-worker buffers, reused for every replicate the worker runs.
#[derive(Debug, Clone)]
pub struct Workspace {
    pub cohort: Cohort,
    pub truths: StrategyTruth,
    pub scratch: Scratch,
    pub estimand: EstimandScratch,
    pub patient: Patient,
    /// The MSC children infused (`[manufacturing]`'s as-infused contrast).
    pub infused: ArmData,
    /// Entry months and each look's children (`[accrual]`).
    pub looks: LookScratch,
}
