//! Analyses: one file per test, each a pure function returning the effect
//! estimate and p-value, or a counted [`AnalysisFailure`].
//!
//! [`Analyzer`] prepares, once per sample size, whatever a test can precompute
//! (Student t distributions, exact rank-sum tables, log-factorials), so that a
//! replicate only reads it.

pub mod ancova;
pub mod fisher;
pub mod paired;
pub mod stratified;
pub mod welch;
pub mod wilcoxon;

use statrs::distribution::{ContinuousCDF, StudentsT};

use crate::scenario::{AnalysisKind, Sided};
use fisher::LogFactorials;
use wilcoxon::{ExactU, WilcoxonScratch};

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
    P(f64),
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
            Significance::P(p) => p,
            Significance::T { t, df, alternative } => t_p_value(t, df, alternative),
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
}

/// Mean and unbiased sample variance.
pub(crate) fn mean_var(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let mean = x.iter().sum::<f64>() / n;
    let ss: f64 = x.iter().map(|v| (v - mean) * (v - mean)).sum();
    (mean, ss / (n - 1.0))
}

/// p-value of a t statistic with `df` degrees of freedom.
pub(crate) fn t_p_value(t: f64, df: f64, alternative: Alternative) -> f64 {
    let dist = StudentsT::new(0.0, 1.0, df).expect("degrees of freedom are positive");
    t_p_value_with(&dist, t, alternative)
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
}

/// The scale on which an analysis estimates the MSC effect.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum EffectScale {
    /// Difference in change from baseline (equivalently, in primary value).
    Change,
    /// Difference in the proportion improving by at least the threshold.
    Responder { threshold: f64 },
}

/// Slack for comparing an improvement with the responder threshold, so that a
/// value rounded to the scale's step is not lost to floating-point error.
const RESPONDER_SLACK: f64 = 1e-9;

impl EffectScale {
    /// Whether a patient who moved by `change` responds.
    #[inline]
    pub fn responds(threshold: f64, change: f64) -> bool {
        -change >= threshold - RESPONDER_SLACK
    }
}

/// An analysis prepared for one pair of arm sizes.
#[derive(Debug, Clone)]
pub struct Analyzer {
    kind: AnalysisKind,
    alternative: Alternative,
    alpha: f64,
    scale: EffectScale,
    /// `(df, t quantile 0.975)` for analyses whose df is fixed by the design.
    t_975: Option<(f64, f64)>,
    /// `(df, critical t at alpha for the alternative)`, likewise.
    t_critical: Option<(f64, f64)>,
    exact_u: Option<ExactU>,
    log_factorials: Option<LogFactorials>,
}

/// Per-worker buffers for the analyses.
#[derive(Debug, Default, Clone)]
pub struct Scratch {
    wilcoxon: WilcoxonScratch,
}

impl Analyzer {
    /// Prepares `kind` for arms of `n_msc` and `n_control` patients.
    /// `responder_threshold` is needed by `FisherResponder` only.
    pub fn new(
        kind: AnalysisKind,
        sided: Sided,
        alpha: f64,
        n_msc: usize,
        n_control: usize,
        responder_threshold: Option<f64>,
    ) -> Analyzer {
        let scale = match kind {
            AnalysisKind::FisherResponder => EffectScale::Responder {
                threshold: responder_threshold.expect("validated: fisher needs a threshold"),
            },
            _ => EffectScale::Change,
        };
        let alternative = match (sided, scale) {
            (Sided::Two, _) => Alternative::TwoSided,
            (Sided::One, EffectScale::Change) => Alternative::Less,
            (Sided::One, EffectScale::Responder { .. }) => Alternative::Greater,
        };
        let total = n_msc + n_control;
        let fixed_df = match kind {
            AnalysisKind::Ancova if total > 3 => Some((total - 3) as f64),
            AnalysisKind::PairedT if n_msc > 1 => Some((n_msc - 1) as f64),
            _ => None,
        };
        let t_975 = fixed_df.map(|df| {
            let t = StudentsT::new(0.0, 1.0, df).expect("df > 0");
            (df, t.inverse_cdf(0.975))
        });
        let tail = match sided {
            Sided::Two => alpha / 2.0,
            Sided::One => alpha,
        };
        let t_critical = fixed_df.map(|df| {
            let t = StudentsT::new(0.0, 1.0, df).expect("df > 0");
            (df, t.inverse_cdf(1.0 - tail))
        });
        Analyzer {
            t_975,
            t_critical,
            kind,
            alternative,
            alpha,
            scale,
            exact_u: (kind == AnalysisKind::Wilcoxon
                && n_msc < wilcoxon::EXACT_BELOW
                && n_control < wilcoxon::EXACT_BELOW)
                .then(|| ExactU::new(n_msc, n_control)),
            log_factorials: (kind == AnalysisKind::FisherResponder)
                .then(|| LogFactorials::new(total)),
        }
    }

    /// The alternative hypothesis this analysis tests.
    pub fn alternative(&self) -> Alternative {
        self.alternative
    }

    /// The scale of the estimate.
    pub fn effect_scale(&self) -> EffectScale {
        self.scale
    }

    /// Whether the analysis gives a t-interval (Rubin's rules can combine it).
    pub fn is_t_based(&self) -> bool {
        matches!(
            self.kind,
            AnalysisKind::WelchT | AnalysisKind::Ancova | AnalysisKind::StratifiedAncova
        )
    }

    /// Whether the estimate is a difference in responder proportions.
    pub fn is_responder(&self) -> bool {
        matches!(self.scale, EffectScale::Responder { .. })
    }

    /// Whether a result's 95% interval contains `theta`.
    #[inline]
    pub fn covers(&self, result: &TestResult, theta: f64) -> bool {
        result.covers(theta, self.t_975)
    }

    /// Whether a result rejects the null hypothesis at `alpha`: by the
    /// critical t when the df is the design's, else by the p-value.
    #[inline]
    pub fn rejects(&self, result: &TestResult) -> bool {
        match (result.significance, self.t_critical) {
            (Significance::T { t, df, .. }, Some((d, crit))) if d == df => match self.alternative {
                Alternative::TwoSided => t.abs() >= crit,
                Alternative::Less => t <= -crit,
                Alternative::Greater => t >= crit,
            },
            _ => result.p_value() <= self.alpha,
        }
    }

    /// Runs the analysis on one replicate.
    ///
    /// # Errors
    /// An [`AnalysisFailure`] when the data admit no test.
    pub fn analyse(
        &self,
        msc: ArmView<'_>,
        control: ArmView<'_>,
        scratch: &mut Scratch,
    ) -> Result<TestResult, AnalysisFailure> {
        let alt = self.alternative;
        match self.kind {
            AnalysisKind::WelchT => welch::welch_t(msc.change, control.change, alt),
            AnalysisKind::PairedT => paired::paired_t(msc.change, alt),
            AnalysisKind::StratifiedAncova => stratified::stratified_ancova(
                (msc.baseline, msc.primary, msc.stratum),
                (control.baseline, control.primary, control.stratum),
                alt,
            ),
            AnalysisKind::Ancova => ancova::ancova(
                msc.baseline,
                msc.primary,
                control.baseline,
                control.primary,
                alt,
            ),
            AnalysisKind::Wilcoxon => wilcoxon::wilcoxon(
                msc.change,
                control.change,
                alt,
                self.exact_u.as_ref(),
                &mut scratch.wilcoxon,
            ),
            AnalysisKind::FisherResponder => {
                let EffectScale::Responder { threshold } = self.scale else {
                    unreachable!("fisher is built with a responder scale")
                };
                let count = |arm: &ArmView<'_>| {
                    arm.change
                        .iter()
                        .filter(|&&c| EffectScale::responds(threshold, c))
                        .count()
                };
                fisher::fisher_exact(
                    count(&msc),
                    msc.change.len(),
                    count(&control),
                    control.change.len(),
                    alt,
                    self.log_factorials.as_ref().expect("built for fisher"),
                )
            }
        }
    }
}
