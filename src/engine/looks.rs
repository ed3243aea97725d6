//! Interim looks in calendar time: when each look happens in one simulated
//! trial, which children it sees, what its test says on the z scale, and
//! where the trial stops.
//!
//! The trial is simulated whole (every child to the end of follow-up) and
//! each look analyses the part of it that had happened by the look's month:
//! - a score endpoint's look `k` comes when `ceil(f_k N)` of the `N`
//!   planned children have reached their primary visit, and sees exactly
//!   those children (with dropout, those who left before the visit are
//!   among them, missing as the estimand says);
//! - a time-to-flare look comes at the `ceil(f_k D)`-th flare in calendar
//!   time, `D` being the flares the trial has at its final analysis, and
//!   sees every child entered by then, censored at the look's month.
//!
//! The final analysis sees every child recruited (all `N` unless
//! `accrual.max_months` closed recruitment first). Each look's test maps its
//! p-value to the z scale, oriented so that positive favours MSC:
//! `Φ⁻¹(1 − p)` one-sided, `±Φ⁻¹(1 − p/2)` two-sided with the sign of the
//! test's direction. A look stops for efficacy when the test rejects at its
//! nominal level (`|z| ≥ c_k` two-sided), for futility when `z` is below
//! the futility bound. An interim whose analysis fails (too few children)
//! does not stop the trial. A trial whose recruitment closed before an
//! interim's children were in skips that interim.

use crate::analysis::{Alternative, AnalysisFailure, Analyzer, Interval, TestResult};
use crate::cohort::Cohort;
use crate::decision::SignificanceLevel;
use crate::decision::sequential::{Boundaries, inverse_upper_tail};
use crate::design::accrual::{AccrualModel, WEEKS_PER_MONTH, allocation};
use crate::design::{Arm, Arms};
use crate::rng::Stream;
use crate::scenario::Scenario;
pub use crate::summary::looks::{Look, MAX_LOOKS, Monitored, Stop};

/// The looks of one cell, prepared once.
#[derive(Debug)]
pub struct Looks {
    accrual: AccrualModel,
    pub boundaries: Boundaries,
    /// Each look's efficacy test at its nominal level (`None` where the
    /// look cannot stop for efficacy, and at a single look, which is the
    /// scenario's own decision).
    efficacy: Vec<Option<SignificanceLevel>>,
    planned: usize,
    /// The primary visit, in months after entry.
    primary_months: f64,
    /// The end of follow-up, in months after entry (time to flare).
    follow_up_months: f64,
    time_to_flare: bool,
    /// Intermediate visits per child (for copying a child's record).
    visits: usize,
    binding_futility: bool,
    /// +1 when larger estimates favour MSC (a responder difference), −1
    /// when smaller ones do (a change, a log hazard ratio).
    orientation: f64,
}

/// Per-worker buffers for the looks.
#[derive(Debug, Clone, Default)]
pub struct LookScratch {
    /// Entry months in order of entry.
    entries: Vec<f64>,
    order: Vec<u32>,
    /// Each child's entry month, per arm.
    entry: Arms<Vec<f64>>,
    /// Flares' calendar months.
    flares: Vec<f64>,
    /// The children a look sees.
    pub cohort: Cohort,
}

impl Looks {
    /// The looks of `scenario` (with `[accrual]` on a parallel design: its
    /// `[interim]`, or one look at the end), for `analyzer`.
    pub fn new(scenario: &Scenario, analyzer: &Analyzer, planned: usize) -> Option<Looks> {
        let boundaries = crate::decision::sequential::of(scenario)?;
        let accrual = AccrualModel::new(scenario.accrual.as_ref()?);
        let levels = boundaries.nominal_levels();
        let single = boundaries.looks() == 1;
        let efficacy = boundaries
            .efficacy
            .iter()
            .zip(levels)
            .map(|(&c, level)| {
                (!single && c.is_finite())
                    .then(|| SignificanceLevel::new(analyzer, scenario.design.sided, level))
            })
            .collect();
        let visits_weeks = &scenario.design.visits_weeks;
        let primary = *visits_weeks.last().expect("validated: a visit");
        let follow_up = scenario
            .intercurrent
            .as_ref()
            .map_or(primary, |ic| ic.follow_up_weeks);
        Some(Looks {
            accrual,
            boundaries,
            efficacy,
            planned,
            primary_months: primary / WEEKS_PER_MONTH,
            follow_up_months: follow_up / WEEKS_PER_MONTH,
            time_to_flare: scenario.endpoint.time_to_flare,
            visits: visits_weeks.len() - 1,
            binding_futility: scenario
                .interim
                .as_ref()
                .is_some_and(|i| i.binding_futility),
            orientation: if analyzer.effect_scale().favours_msc(1.0) {
                1.0
            } else {
                -1.0
            },
        })
    }

    /// The expected months from month 0 (recruitment opening) to the final analysis:
    /// the planned children's expected recruitment time (or the window),
    /// then the primary visit or the end of follow-up.
    pub fn expected_months(&self) -> f64 {
        let recruit = self.accrual.month_of(self.planned as f64);
        let recruit = self.accrual.max_months.map_or(recruit, |m| recruit.min(m));
        recruit
            + if self.time_to_flare {
                self.follow_up_months
            } else {
                self.primary_months
            }
    }

    /// The z of `r`, positive favouring MSC.
    pub fn z(&self, r: &TestResult, analyzer: &Analyzer) -> f64 {
        let p = r.p_value();
        if analyzer.alternative() == Alternative::TwoSided {
            let z = inverse_upper_tail(p / 2.0);
            if analyzer.effect_scale().favours_msc(r.direction()) {
                z
            } else {
                -z
            }
        } else {
            inverse_upper_tail(p)
        }
    }

    /// Draws the children's entry months from `rng` into `s.entry`, and
    /// returns how many were recruited (all, unless `max_months` closed
    /// recruitment first).
    pub fn enter(&self, sizes: Arms<usize>, rng: &mut Stream, s: &mut LookScratch) -> usize {
        let n = sizes.total();
        self.accrual.draw(n, rng, &mut s.entries);
        allocation(n, rng, &mut s.order);
        for arm in Arm::ALL {
            s.entry[arm].clear();
            s.entry[arm].resize(sizes[arm], f64::NAN);
        }
        for (j, &child) in s.order.iter().enumerate() {
            let child = child as usize;
            let month = s.entries[j];
            if child < sizes.msc {
                s.entry.msc[child] = month;
            } else {
                s.entry.control[child - sizes.msc] = month;
            }
        }
        match self.accrual.max_months {
            Some(close) => s.entries.partition_point(|&e| e <= close),
            None => n,
        }
    }

    /// Copies into `s.cohort` the children of `cohort` who entered by
    /// `entered_by`; for time to flare each child's follow-up is cut at
    /// calendar month `at`.
    fn gather(&self, cohort: &Cohort, s: &mut LookScratch, entered_by: f64, at: f64) {
        for arm in Arm::ALL {
            let (from, to, entry) = (&cohort[arm], &mut s.cohort[arm], &s.entry[arm]);
            to.clear();
            for (i, &e) in entry.iter().enumerate() {
                if e <= entered_by {
                    to.push_from(from, i, self.visits);
                    if self.time_to_flare {
                        let f = to.follow_up.last_mut().expect("just pushed");
                        // The same month `schedule` computes for a flare, so
                        // the flare that triggers a look is seen at it.
                        if e + f.time / WEEKS_PER_MONTH > at {
                            *f = crate::analysis::survival::FollowUp::censored(
                                ((at - e) * WEEKS_PER_MONTH).max(0.0),
                            );
                        }
                    }
                }
            }
        }
    }

    /// The looks' calendar months and the entry cut-offs of the children
    /// they see, for a trial that recruited `recruited` children (`None`
    /// for a skipped interim).
    fn schedule(
        &self,
        cohort: &Cohort,
        recruited: usize,
        s: &mut LookScratch,
        out: &mut [Option<(f64, f64)>; MAX_LOOKS],
    ) {
        let k_max = self.boundaries.looks();
        // With nobody recruited (recruitment closed before the first
        // entry) the final look sees no child and fails.
        let (last_entry, last_month) = match recruited {
            0 => (f64::NEG_INFINITY, self.accrual.max_months.unwrap_or(0.0)),
            r => (s.entries[r - 1], s.entries[r - 1]),
        };
        if self.time_to_flare {
            s.flares.clear();
            for arm in Arm::ALL {
                for (f, &e) in cohort[arm].follow_up.iter().zip(&s.entry[arm]) {
                    if f.flare && e <= last_entry {
                        s.flares.push(e + f.time / WEEKS_PER_MONTH);
                    }
                }
            }
            s.flares.sort_unstable_by(f64::total_cmp);
            let d = s.flares.len();
            for (k, slot) in out.iter_mut().enumerate().take(k_max - 1) {
                let m = (self.boundaries.fractions[k] * d as f64).ceil() as usize;
                *slot = (m >= 1).then(|| {
                    let month = s.flares[m - 1];
                    (month, month.min(last_entry))
                });
            }
            out[k_max - 1] = Some((last_month + self.follow_up_months, last_entry));
        } else {
            for (k, slot) in out.iter_mut().enumerate().take(k_max - 1) {
                let m = (self.boundaries.fractions[k] * self.planned as f64).ceil() as usize;
                *slot = (m >= 1 && m <= recruited).then(|| {
                    let cut = s.entries[m - 1];
                    (cut + self.primary_months, cut)
                });
            }
            out[k_max - 1] = Some((last_month + self.primary_months, last_entry));
        }
    }

    /// Runs the looks of one trial whose children are in `cohort` (entry
    /// months already drawn by [`Looks::enter`]); `analyse` analyses a
    /// cohort as the scenario's estimand says; `full` is the analysis of
    /// the whole trial (the final look when every planned child was
    /// recruited); `truth` the trial's true effect on the analysis scale;
    /// `fixed_decision` the scenario's own rule (a single look's).
    #[allow(clippy::too_many_arguments)]
    pub fn monitor(
        &self,
        cohort: &Cohort,
        recruited: usize,
        s: &mut LookScratch,
        analyzer: &Analyzer,
        full: Result<TestResult, AnalysisFailure>,
        truth: f64,
        fixed_decision: &dyn Fn(&TestResult) -> bool,
        analyse: &mut dyn FnMut(&Cohort) -> Result<TestResult, AnalysisFailure>,
    ) -> Monitored {
        let k_max = self.boundaries.looks();
        let mut times = [None; MAX_LOOKS];
        self.schedule(cohort, recruited, s, &mut times);
        let short = recruited < self.planned;
        let mut looks = [Look::SKIPPED; MAX_LOOKS];
        let mut stop: Option<(usize, Stop, bool, Result<TestResult, AnalysisFailure>)> = None;
        for k in 0..k_max {
            let Some((month, cut)) = times[k] else {
                continue;
            };
            let last = k + 1 == k_max;
            let result = if last && !short {
                full
            } else {
                self.gather(cohort, s, cut, month);
                analyse(&s.cohort)
            };
            let enrolled = s.entries[..recruited].partition_point(|&e| e <= month);
            let analysed = s.cohort.msc.len() + s.cohort.control.len();
            let mut look = Look {
                held: true,
                month,
                enrolled,
                analysed: if last && !short { recruited } else { analysed },
                ..Look::SKIPPED
            };
            if let Ok(r) = &result {
                let z = self.z(r, analyzer);
                let se = match r.interval {
                    Interval::T { se, .. } => se,
                    Interval::Bounds(lo, hi) => (hi - lo) / (2.0 * crate::stats::Z_975),
                };
                look.z = z;
                look.se = se;
                if !last {
                    let t = self.boundaries.fractions[k];
                    look.cp_trend = self.boundaries.conditional_power(k, z, z / t.sqrt());
                    // SE at the end: information grows with the fraction.
                    if se.is_finite() && se > 0.0 {
                        // The design's effect as a drift: E[Z_K] = truth /
                        // SE_K, oriented to favour MSC.
                        let drift = self.orientation * truth / (se * t.sqrt());
                        look.cp_design = self.boundaries.conditional_power(k, z, drift);
                    }
                }
            }
            looks[k] = look;
            if stop.is_some() {
                continue;
            }
            if last {
                let rejected = result.as_ref().is_ok_and(|r| match &self.efficacy[k] {
                    Some(level) => crate::decision::Decision::rejects(level, r),
                    None => fixed_decision(r),
                });
                stop = Some((k, Stop::Final, rejected, result));
                continue;
            }
            let Ok(r) = &result else {
                // Binding futility lowered the efficacy bounds counting on
                // this look's futility stop: a failed analysis stops too.
                if self.binding_futility && self.boundaries.futility[k].is_finite() {
                    stop = Some((k, Stop::Futility, false, result));
                }
                continue;
            };
            let efficacy = self.efficacy[k]
                .as_ref()
                .is_some_and(|level| crate::decision::Decision::rejects(level, r));
            if efficacy {
                stop = Some((k, Stop::Efficacy, true, result));
            } else if look.z < self.boundaries.futility[k] {
                stop = Some((k, Stop::Futility, false, result));
            }
        }
        let (look, why, rejected, result) = stop.expect("the final look is always held");
        Monitored {
            looks,
            stop: (look, why),
            rejected,
            result,
            short,
        }
    }
}
