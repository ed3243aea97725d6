//! Interim looks and calendar time (`[accrual]`, `[interim]`): per look,
//! how often trials stopped there for efficacy or futility, when the look
//! came, how many children had entered and had data, the naive estimate's
//! bias among trials stopping there, conditional power and the z
//! statistics' spread; over the trial, its length, children enrolled and
//! analysed at the stop.

use serde::{Deserialize, Serialize};

use super::Figure;
use super::survival::quantile;
use crate::analysis::{AnalysisFailure, TestResult};
use crate::decision::sequential::Boundaries;
use crate::stats::Welford;

/// Bins of the z histogram per look, over [`Z_RANGE`].
pub const Z_BINS: usize = 1000;
/// The z histogram's range; values beyond fall in the end bins.
pub const Z_RANGE: (f64, f64) = (-10.0, 10.0);
/// Bins of the trial-length histogram (the last one: beyond its range).
pub const DURATION_BINS: usize = 600;

/// Most looks (validation refuses more).
pub const MAX_LOOKS: usize = 10;

/// Why the trial stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    Efficacy,
    Futility,
    /// The last look was reached (rejecting or not).
    Final,
}

/// One look of one trial.
#[derive(Debug, Clone, Copy)]
pub struct Look {
    /// Whether the look happened (an interim is skipped when recruitment
    /// closed before its children were in).
    pub held: bool,
    pub month: f64,
    pub enrolled: usize,
    pub analysed: usize,
    /// The test's z, positive favouring MSC (NaN if the analysis failed).
    pub z: f64,
    pub se: f64,
    /// Conditional power (interim looks) under the observed trend and
    /// under the trial's true effect.
    pub cp_trend: f64,
    pub cp_design: f64,
}

impl Look {
    pub const SKIPPED: Look = Look {
        held: false,
        month: f64::NAN,
        enrolled: 0,
        analysed: 0,
        z: f64::NAN,
        se: f64::NAN,
        cp_trend: f64::NAN,
        cp_design: f64::NAN,
    };
}

/// One trial's looks and where it stopped.
#[derive(Debug, Clone, Copy)]
pub struct Monitored {
    pub looks: [Look; MAX_LOOKS],
    /// The look the trial stopped at (0-based) and why.
    pub stop: (usize, Stop),
    /// Whether the trial rejected the null (at any look).
    pub rejected: bool,
    /// The analysis at the stopping look.
    pub result: Result<TestResult, AnalysisFailure>,
    /// Whether recruitment closed before the trial was full.
    pub short: bool,
}

/// One look's figures over trials.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LookAccumulator {
    /// Trials that reached the look (not stopped before) and held it.
    pub held: u64,
    /// Trials that stopped at this look (for efficacy, for futility, or
    /// at the last look), whether or not its analysis ran.
    #[serde(default)]
    pub stopped: u64,
    pub efficacy: u64,
    pub futility: u64,
    /// The look's calendar month, children entered and analysed (trials
    /// holding it).
    pub month: Welford,
    pub enrolled: Welford,
    pub analysed: Welford,
    /// Estimate minus truth, trials stopping at this look.
    pub error_at_stop: Welford,
    /// Conditional power, trials reaching this interim look.
    pub cp_trend: Welford,
    pub cp_design: Welford,
    /// The look's standard error of the estimate (trials holding it): the
    /// bounds on the estimate's scale are `c_k` and `f_k` times its mean.
    pub se: Welford,
    /// Counts of z over [`Z_RANGE`] in [`Z_BINS`] bins (every trial holding
    /// the look, stopped before it or not: the paths' spread).
    pub z: Vec<u64>,
}

/// The looks' accumulator.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LookStats {
    pub looks: Vec<LookAccumulator>,
    pub month_at_stop: Welford,
    pub enrolled_at_stop: Welford,
    pub analysed_at_stop: Welford,
    /// Width of a trial-length bin in months, and the counts.
    pub duration_bin_months: f64,
    pub duration: Vec<u64>,
    /// Trials whose recruitment closed (`max_months`) before they were full.
    pub short: u64,
}

impl LookStats {
    /// An empty accumulator for `looks` looks, the trial-length histogram
    /// spanning three times `expected_months`.
    pub fn empty(looks: usize, expected_months: f64) -> LookStats {
        LookStats {
            looks: vec![
                LookAccumulator {
                    z: vec![0; Z_BINS],
                    ..LookAccumulator::default()
                };
                looks
            ],
            duration_bin_months: (3.0 * expected_months / DURATION_BINS as f64).max(1e-3),
            duration: vec![0; DURATION_BINS],
            ..LookStats::default()
        }
    }

    pub fn merge(&mut self, other: &LookStats) {
        for (a, b) in self.looks.iter_mut().zip(&other.looks) {
            a.held += b.held;
            a.stopped += b.stopped;
            a.efficacy += b.efficacy;
            a.futility += b.futility;
            a.month.merge(&b.month);
            a.enrolled.merge(&b.enrolled);
            a.analysed.merge(&b.analysed);
            a.error_at_stop.merge(&b.error_at_stop);
            a.cp_trend.merge(&b.cp_trend);
            a.cp_design.merge(&b.cp_design);
            a.se.merge(&b.se);
            for (x, y) in a.z.iter_mut().zip(&b.z) {
                *x += y;
            }
        }
        self.month_at_stop.merge(&other.month_at_stop);
        self.enrolled_at_stop.merge(&other.enrolled_at_stop);
        self.analysed_at_stop.merge(&other.analysed_at_stop);
        for (x, y) in self.duration.iter_mut().zip(&other.duration) {
            *x += y;
        }
        self.short += other.short;
    }

    /// Folds one trial in; `truth` is its true effect.
    pub fn record(&mut self, m: &Monitored, truth: f64) {
        let (stop, why) = m.stop;
        for (k, (acc, look)) in self.looks.iter_mut().zip(&m.looks).enumerate() {
            if !look.held {
                continue;
            }
            if !look.z.is_nan() {
                let (lo, hi) = Z_RANGE;
                let bin = ((look.z - lo) / (hi - lo) * Z_BINS as f64).floor();
                acc.z[(bin.max(0.0) as usize).min(Z_BINS - 1)] += 1;
            }
            if k > stop {
                // The trial had stopped: only its z path counts.
                continue;
            }
            acc.held += 1;
            acc.month.push(look.month);
            acc.enrolled.push(look.enrolled as f64);
            acc.analysed.push(look.analysed as f64);
            if look.se.is_finite() {
                acc.se.push(look.se);
            }
            if look.cp_trend.is_finite() {
                acc.cp_trend.push(look.cp_trend);
            }
            if look.cp_design.is_finite() {
                acc.cp_design.push(look.cp_design);
            }
            if k == stop {
                acc.stopped += 1;
                match why {
                    Stop::Efficacy => acc.efficacy += 1,
                    Stop::Futility => acc.futility += 1,
                    Stop::Final => {
                        if m.rejected {
                            acc.efficacy += 1;
                        }
                    }
                }
                if let Ok(r) = &m.result {
                    acc.error_at_stop.push(r.estimate - truth);
                }
            }
        }
        let at = &m.looks[stop];
        self.month_at_stop.push(at.month);
        self.enrolled_at_stop.push(at.enrolled as f64);
        self.analysed_at_stop.push(at.analysed as f64);
        let bin = (at.month / self.duration_bin_months).floor().max(0.0) as usize;
        self.duration[bin.min(DURATION_BINS - 1)] += 1;
        if m.short {
            self.short += 1;
        }
    }

    /// Trials folded in.
    pub fn trials(&self) -> u64 {
        self.month_at_stop.n
    }
}

/// One look's row: `looks` in the JSON, `looks.csv`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LookRow {
    pub n_per_arm: usize,
    /// 1-based.
    pub look: usize,
    pub information_fraction: f64,
    /// The z bounds (null where none) and the efficacy test's nominal level.
    pub efficacy_z: Option<f64>,
    pub futility_z: Option<f64>,
    pub nominal_alpha: f64,
    /// Cumulative level spent by this look (two-sided: both sides).
    pub alpha_spent: f64,
    /// The bounds on the estimate's scale: z bound times the look's SE
    /// averaged over the trials holding the look.
    pub efficacy_estimate: Option<f64>,
    pub futility_estimate: Option<f64>,
    /// Share of trials that reached this look (not stopped before) and
    /// held it; `month`, `enrolled` and `analysed` are over those trials.
    pub held: f64,
    pub stop_efficacy: f64,
    pub stop_efficacy_mc_se: f64,
    pub stop_futility: f64,
    pub stop_futility_mc_se: f64,
    /// P(rejected at or before this look).
    pub cumulative_power: f64,
    pub cumulative_power_mc_se: f64,
    pub month: f64,
    pub month_mc_se: f64,
    pub enrolled: f64,
    pub enrolled_mc_se: f64,
    pub analysed: f64,
    pub analysed_mc_se: f64,
    /// Mean (estimate − truth) of the trials that stopped at this look.
    pub bias_at_stop: f64,
    pub bias_at_stop_mc_se: f64,
    pub stopped_here: f64,
    /// Mean conditional power at this interim over the trials reaching it,
    /// under the observed trend and under the simulated effect.
    pub conditional_power_trend: Option<f64>,
    pub conditional_power_trend_mc_se: Option<f64>,
    pub conditional_power_design: Option<f64>,
    pub conditional_power_design_mc_se: Option<f64>,
    /// Quantiles of the look's z over trials holding it (to 0.02).
    pub z_p05: f64,
    pub z_p25: f64,
    pub z_p50: f64,
    pub z_p75: f64,
    pub z_p95: f64,
}

/// The trial-level columns of `summary.csv` (absent without `[accrual]`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LookColumns {
    /// Months from the trial's start (month 0, recruitment opening) to the
    /// analysis that ended the trial: mean (MC SE), 5th and 95th percentiles.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub trial_months: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub trial_months_mc_se: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub trial_months_p05: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub trial_months_p95: Option<f64>,
    /// Children entered, and with data in the analysis, when the trial stopped.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub enrolled_at_stop: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub enrolled_at_stop_mc_se: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub analysed_at_stop: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub analysed_at_stop_mc_se: Option<f64>,
    /// With interim looks: P(stopped early for efficacy), P(stopped for futility).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub stop_early_efficacy: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub stop_early_efficacy_mc_se: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub stop_futility: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub stop_futility_mc_se: Option<f64>,
    /// With `accrual.max_months`: share of trials recruitment left short.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub recruitment_short: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub recruitment_short_mc_se: Option<f64>,
    /// Per look (JSON only; `looks.csv` has them as rows).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub looks: Option<Vec<LookRow>>,
}

fn z_quantile(counts: &[u64], q: f64) -> f64 {
    let (lo, hi) = Z_RANGE;
    let width = (hi - lo) / Z_BINS as f64;
    quantile(counts.iter().copied().enumerate(), q)
        .map_or(f64::NAN, |bin| lo + (bin as f64 + 0.5) * width)
}

impl LookColumns {
    /// Reads the columns off `stats` with `b` the boundaries, for the cell
    /// of `n_per_arm`; `max_months` whether recruitment can close early;
    /// `orientation` +1 when larger estimates favour MSC (−1 otherwise),
    /// for the bounds on the estimate's scale.
    pub fn new(
        stats: Option<&LookStats>,
        b: Option<&Boundaries>,
        n_per_arm: usize,
        max_months: bool,
        orientation: f64,
    ) -> LookColumns {
        let (Some(s), Some(b)) = (stats, b) else {
            return LookColumns::default();
        };
        let trials = s.trials();
        let month = Figure::mean(&s.month_at_stop);
        let enrolled = Figure::mean(&s.enrolled_at_stop);
        let analysed = Figure::mean(&s.analysed_at_stop);
        let at = |q: f64| {
            quantile(s.duration.iter().copied().enumerate(), q)
                .map_or(f64::NAN, |bin| (bin as f64 + 0.5) * s.duration_bin_months)
        };
        let k_max = s.looks.len();
        let early: u64 = s.looks[..k_max - 1].iter().map(|l| l.efficacy).sum();
        let futility: u64 = s.looks.iter().map(|l| l.futility).sum();
        let levels = b.nominal_levels();
        let mut cumulative = 0;
        let rows = s
            .looks
            .iter()
            .enumerate()
            .map(|(k, l)| {
                cumulative += l.efficacy;
                let stopped = l.stopped;
                let finite = |x: f64| x.is_finite().then_some(x);
                // `+ 0.0` writes a bound of z = 0 as 0, not -0.
                let on_estimate_scale = |z: f64| {
                    (z.is_finite() && l.se.n > 0).then_some(orientation * z * l.se.mean + 0.0)
                };
                let interim = k + 1 < k_max;
                let cp = |w: &Welford| (interim && w.n > 0).then_some(w.mean);
                let cp_se = |w: &Welford| (interim && w.n > 1).then(|| w.se());
                LookRow {
                    n_per_arm,
                    look: k + 1,
                    information_fraction: b.fractions[k],
                    efficacy_z: finite(b.efficacy[k]),
                    futility_z: finite(b.futility[k]),
                    nominal_alpha: levels[k],
                    alpha_spent: b.alpha_spent[k],
                    efficacy_estimate: on_estimate_scale(b.efficacy[k]),
                    futility_estimate: on_estimate_scale(b.futility[k]),
                    held: Figure::rate(l.held, trials).value,
                    stop_efficacy: Figure::rate(l.efficacy, trials).value,
                    stop_efficacy_mc_se: Figure::rate(l.efficacy, trials).mc_se,
                    stop_futility: Figure::rate(l.futility, trials).value,
                    stop_futility_mc_se: Figure::rate(l.futility, trials).mc_se,
                    cumulative_power: Figure::rate(cumulative, trials).value,
                    cumulative_power_mc_se: Figure::rate(cumulative, trials).mc_se,
                    month: l.month.mean_or_nan(),
                    month_mc_se: l.month.se(),
                    enrolled: l.enrolled.mean_or_nan(),
                    enrolled_mc_se: l.enrolled.se(),
                    analysed: l.analysed.mean_or_nan(),
                    analysed_mc_se: l.analysed.se(),
                    bias_at_stop: l.error_at_stop.mean_or_nan(),
                    bias_at_stop_mc_se: l.error_at_stop.se(),
                    stopped_here: Figure::rate(stopped, trials).value,
                    conditional_power_trend: cp(&l.cp_trend),
                    conditional_power_trend_mc_se: cp_se(&l.cp_trend),
                    conditional_power_design: cp(&l.cp_design),
                    conditional_power_design_mc_se: cp_se(&l.cp_design),
                    z_p05: z_quantile(&l.z, 0.05),
                    z_p25: z_quantile(&l.z, 0.25),
                    z_p50: z_quantile(&l.z, 0.5),
                    z_p75: z_quantile(&l.z, 0.75),
                    z_p95: z_quantile(&l.z, 0.95),
                }
            })
            .collect();
        let early_fig = Figure::rate(early, trials);
        let futility_fig = Figure::rate(futility, trials);
        let short = Figure::rate(s.short, trials);
        LookColumns {
            trial_months: Some(month.value),
            trial_months_mc_se: Some(month.mc_se),
            trial_months_p05: Some(at(0.05)),
            trial_months_p95: Some(at(0.95)),
            enrolled_at_stop: Some(enrolled.value),
            enrolled_at_stop_mc_se: Some(enrolled.mc_se),
            analysed_at_stop: Some(analysed.value),
            analysed_at_stop_mc_se: Some(analysed.mc_se),
            stop_early_efficacy: (k_max > 1).then_some(early_fig.value),
            stop_early_efficacy_mc_se: (k_max > 1).then_some(early_fig.mc_se),
            stop_futility: (k_max > 1).then_some(futility_fig.value),
            stop_futility_mc_se: (k_max > 1).then_some(futility_fig.mc_se),
            recruitment_short: max_months.then_some(short.value),
            recruitment_short_mc_se: max_months.then_some(short.mc_se),
            looks: Some(rows),
        }
    }
}
