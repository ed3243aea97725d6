//! Analyses: one file per test, each a pure function returning the effect
//! estimate, its evidence against the null and its 95% interval, or a
//! counted [`AnalysisFailure`], plus a small type implementing [`Analysis`]
//! that holds whatever the test can precompute once per sample size (exact
//! rank-sum tables, log-factorials).
//!
//! [`registry`] is the one place that knows every analysis kind: it says
//! what each kind needs and gives ([`registry::Properties`]) and prepares it
//! as an [`Analyzer`] for a cell. Adding an analysis is a new file here and
//! one entry there.

pub mod ancova;
pub mod fisher;
pub mod paired;
pub mod registry;
pub mod stratified;
pub mod survival;
pub mod welch;
pub mod wilcoxon;

use statrs::distribution::{ContinuousCDF, StudentsT};

pub use registry::{Analyzer, Properties};
use wilcoxon::WilcoxonScratch;

/// The alternative hypothesis, for `arm 1 - arm 0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Alternative {
    TwoSided,
    /// Arm 1 lower (MSC improves a disease-activity scale).
    Less,
    /// Arm 1 higher (MSC has more responders).
    Greater,
}

/// What a test returns.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TestResult {
    /// MSC minus control, on the analysis scale.
    pub estimate: f64,
    pub significance: Significance,
    /// The 95% two-sided confidence interval of the estimate.
    pub interval: Interval,
}

/// A test's evidence against the null: a p-value, or a t statistic whose
/// p-value is computed only when asked for (the engine decides most t-tests
/// by a critical value fixed per sample size, saving a distribution call).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Significance {
    /// A p-value, with a statistic whose sign says which way the data
    /// point (MSC minus control): Wilcoxon's U - mn/2, Fisher's risk
    /// difference. A Hodges-Lehmann estimate of exactly 0 can sit beside a
    /// clear rank-sum difference on a coarse scale, so the direction is the
    /// test's, not the estimate's.
    P { p: f64, direction: f64 },
    T {
        t: f64,
        df: f64,
        alternative: Alternative,
    },
}

/// A 95% confidence interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Interval {
    /// `estimate ± t(df, 0.975) · se`.
    T { se: f64, df: f64 },
    /// Explicit bounds (Wilcoxon's Hodges-Lehmann, Newcombe's for a risk difference).
    Bounds(f64, f64),
}

impl TestResult {
    /// The p-value.
    pub fn p_value(&self) -> f64 {
        match self.significance {
            Significance::P { p, .. } => p,
            Significance::T { t, df, alternative } => t_p_value(t, df, alternative),
        }
    }

    /// The 95% interval's bounds.
    pub fn interval_bounds(&self) -> (f64, f64) {
        match self.interval {
            Interval::T { se, df } => {
                let q = StudentsT::new(0.0, 1.0, df).map_or(f64::NAN, |t| t.inverse_cdf(0.975));
                (self.estimate - q * se, self.estimate + q * se)
            }
            Interval::Bounds(lo, hi) => (lo, hi),
        }
    }

    /// Which way the test's evidence points, MSC minus control: the t
    /// statistic, or the direction a p-value test reports.
    pub fn direction(&self) -> f64 {
        match self.significance {
            Significance::P { direction, .. } => direction,
            Significance::T { t, .. } => t,
        }
    }

    /// Whether the 95% interval contains `theta`. `t_975` may carry the
    /// critical value for the interval's df, saving a distribution call.
    pub fn covers(&self, theta: f64, t_975: Option<(f64, f64)>) -> bool {
        match self.interval {
            Interval::T { se, df } => {
                let t = (self.estimate - theta).abs() / se;
                match t_975 {
                    Some((d, crit)) if d == df => t <= crit,
                    _ => t_p_value(t, df, Alternative::TwoSided) >= 0.05,
                }
            }
            Interval::Bounds(lo, hi) => lo <= theta && theta <= hi,
        }
    }
}

/// Why an analysis gave no result. Counted and reported; a failed replicate
/// counts as not rejecting, and is never re-drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AnalysisFailure {
    #[error("an arm has too few patients")]
    TooFewPatients,
    #[error("the data have no variance left to test against")]
    ZeroVariance,
    /// The arithmetic overflowed (values far too large for their scale).
    #[error("the arithmetic overflowed")]
    NotFinite,
}

impl TestResult {
    /// Whether every number in the result is finite (and a t statistic's
    /// degrees of freedom above 0), so deciding on it cannot fail.
    pub fn is_finite(&self) -> bool {
        let evidence = match self.significance {
            Significance::P { p, direction } => p.is_finite() && !direction.is_nan(),
            Significance::T { t, df, .. } => t.is_finite() && df.is_finite() && df > 0.0,
        };
        let interval = match self.interval {
            Interval::T { se, df } => se.is_finite() && df.is_finite() && df > 0.0,
            Interval::Bounds(lo, hi) => !lo.is_nan() && !hi.is_nan(),
        };
        self.estimate.is_finite() && evidence && interval
    }
}

/// Mean and unbiased sample variance.
pub(crate) fn mean_var(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let ss: f64 = x.iter().map(|v| (v - mean) * (v - mean)).sum();
    (mean, ss / (n - 1.0))
}

/// p-value of a t statistic with `df` degrees of freedom.
/// NaN when `df` is not a positive number (never for a result that passed
/// [`TestResult::is_finite`], which the analyzer checks).
pub(crate) fn t_p_value(t: f64, df: f64, alternative: Alternative) -> f64 {
    match StudentsT::new(0.0, 1.0, df) {
        Ok(dist) => t_p_value_with(&dist, t, alternative),
        Err(_) => f64::NAN,
    }
}

pub(crate) fn t_p_value_with(dist: &StudentsT, t: f64, alternative: Alternative) -> f64 {
    match alternative {
        Alternative::Less => dist.cdf(t),
        Alternative::Greater => dist.sf(t),
        Alternative::TwoSided => (2.0 * dist.sf(t.abs())).min(1.0),
    }
}

/// One arm's data for a replicate.
#[derive(Debug, Clone, Copy)]
pub struct ArmView<'a> {
    pub baseline: &'a [f64],
    pub primary: &'a [f64],
    /// `primary - baseline`, per patient.
    pub change: &'a [f64],
    /// Stratum of each patient (all 0 without strata).
    pub stratum: &'a [u8],
    /// Time to the first flare, or to censoring (time-to-flare endpoints;
    /// empty otherwise).
    pub follow_up: &'a [survival::FollowUp],
}

/// The scale on which an analysis estimates the MSC effect.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum EffectScale {
    /// Difference in change from baseline (equivalently, in primary value).
    Change,
    /// Difference in the proportion improving by at least the threshold.
    Responder { threshold: f64 },
    /// Log hazard ratio of the first flare, MSC against control.
    LogHazardRatio,
}

/// Slack for comparing an improvement with the responder threshold, so that a
/// value rounded to the scale's step is not lost to floating-point error.
const RESPONDER_SLACK: f64 = 1e-9;

impl EffectScale {
    /// Whether an estimate (MSC minus control) points MSC's way: a larger
    /// fall on a disease-activity scale (lower is better on every scale), or
    /// more responders.
    #[inline]
    pub fn favours_msc(self, estimate: f64) -> bool {
        match self {
            EffectScale::Change | EffectScale::LogHazardRatio => estimate < 0.0,
            EffectScale::Responder { .. } => estimate > 0.0,
        }
    }

    /// Whether a patient who moved by `change` responds.
    #[inline]
    pub fn responds(threshold: f64, change: f64) -> bool {
        -change >= threshold - RESPONDER_SLACK
    }
}

/// A test, prepared for one pair of arm sizes: immutable and shared by every
/// worker; per-worker buffers come in `scratch`.
pub trait Analysis: Send + Sync + std::fmt::Debug {
    /// Runs the test on one replicate's arms.
    ///
    /// # Errors
    /// An [`AnalysisFailure`] when the data admit no test.
    fn analyse(
        &self,
        msc: ArmView<'_>,
        control: ArmView<'_>,
        scratch: &mut Scratch,
    ) -> Result<TestResult, AnalysisFailure>;
}

/// Per-worker buffers for the analyses.
#[derive(Debug, Default, Clone)]
pub struct Scratch {
    wilcoxon: WilcoxonScratch,
    survival: survival::SurvivalScratch,
}

impl Scratch {
    /// The survival analyses' buffers (also used to summarise each arm's
    /// Kaplan-Meier curve).
    pub fn survival(&mut self) -> &mut survival::SurvivalScratch {
        &mut self.survival
    }
}
