//! Paired (one-sample) t-test on change from baseline: the pre/post analysis of
//! a single-arm series. Its estimate is the apparent improvement, which mixes
//! MSC's effect with placebo response and regression to the mean.

use super::{
    Alternative, Analysis, AnalysisFailure, ArmView, Interval, Scratch, Significance, TestResult,
    mean_var,
};

/// One-sample t-test of `mean(change) = 0`, n - 1 degrees of freedom.
///
/// # Errors
/// [`AnalysisFailure::TooFewPatients`] under 2 patients;
/// [`AnalysisFailure::ZeroVariance`] when every change is the same.
///
/// ```
/// use trialsim::analysis::{paired::paired_t, Alternative};
/// // The seed series' PGA falls, 8-2, 7-2 and 6-1: mean -5.33, t = -16, p = 0.0039.
/// let r = paired_t(&[-6.0, -5.0, -5.0], Alternative::TwoSided).unwrap();
/// assert!((r.estimate + 16.0 / 3.0).abs() < 1e-12);
/// assert!((r.p_value() - 0.003_884).abs() < 1e-5);
/// ```
pub fn paired_t(change: &[f64], alternative: Alternative) -> Result<TestResult, AnalysisFailure> {
    if change.len() < 2 {
        return Err(AnalysisFailure::TooFewPatients);
    }
    let n = change.len() as f64;
    let (mean, var) = mean_var(change);
    if var <= 0.0 {
        return Err(AnalysisFailure::ZeroVariance);
    }
    let t = mean / (var / n).sqrt();
    Ok(TestResult {
        estimate: mean,
        significance: Significance::T {
            t,
            df: n - 1.0,
            alternative,
        },
        interval: Interval::T {
            se: (var / n).sqrt(),
            df: n - 1.0,
        },
    })
}

/// The paired t-test of a single-arm series' change from baseline.
#[derive(Debug, Clone)]
pub struct Paired {
    pub alternative: Alternative,
}

impl Analysis for Paired {
    #[inline]
    fn analyse(
        &self,
        msc: ArmView<'_>,
        _: ArmView<'_>,
        _: &mut Scratch,
    ) -> Result<TestResult, AnalysisFailure> {
        paired_t(msc.change, self.alternative)
    }
}
