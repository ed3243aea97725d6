//! Welch's two-sample t-test (unequal variances, Satterthwaite degrees of freedom).

use super::{
    Alternative, Analysis, AnalysisFailure, ArmView, Interval, Scratch, Significance, TestResult,
    mean_var,
};

/// Welch's t-test of `mean(x) - mean(y)`.
///
/// # Errors
/// [`AnalysisFailure::TooFewPatients`] if an arm has fewer than 2 values,
/// [`AnalysisFailure::ZeroVariance`] if both arms are constant.
///
/// ```
/// use trialsim::analysis::{welch::welch_t, Alternative};
/// let r = welch_t(&[1.0, 2.0, 3.0, 4.0], &[3.0, 4.0, 5.0, 6.0], Alternative::TwoSided).unwrap();
/// assert_eq!(r.estimate, -2.0);
/// assert!((r.p_value() - 0.0714).abs() < 1e-3);
/// ```
pub fn welch_t(
    x: &[f64],
    y: &[f64],
    alternative: Alternative,
) -> Result<TestResult, AnalysisFailure> {
    if x.len() < 2 || y.len() < 2 {
        return Err(AnalysisFailure::TooFewPatients);
    }
    let (nx, ny) = (x.len() as f64, y.len() as f64);
    let (mx, vx) = mean_var(x);
    let (my, vy) = mean_var(y);
    let (ax, ay) = (vx / nx, vy / ny);
    let se2 = ax + ay;
    if se2 <= 0.0 {
        return Err(AnalysisFailure::ZeroVariance);
    }
    let estimate = mx - my;
    let t = estimate / se2.sqrt();
    let df = se2 * se2 / (ax * ax / (nx - 1.0) + ay * ay / (ny - 1.0));
    Ok(TestResult {
        estimate,
        significance: Significance::T { t, df, alternative },
        interval: Interval::T { se: se2.sqrt(), df },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // Reference: scipy 1.17.1, stats.ttest_ind(x, y, equal_var=False).
    const X: [f64; 7] = [1.2, 3.4, 2.2, 5.1, 4.4, 2.9, 3.3];
    const Y: [f64; 6] = [4.1, 5.5, 3.9, 6.2, 5.0, 4.8];

    #[test]
    fn matches_scipy() {
        let two = welch_t(&X, &Y, Alternative::TwoSided).unwrap();
        assert!(
            (two.p_value() - 0.017_695_290_923_688_53).abs() < 1e-12,
            "{}",
            two.p_value()
        );
        let less = welch_t(&X, &Y, Alternative::Less).unwrap();
        assert!((less.p_value() - 0.008_847_645_461_844_265).abs() < 1e-12);
        let greater = welch_t(&X, &Y, Alternative::Greater).unwrap();
        assert!((greater.p_value() - (1.0 - 0.008_847_645_461_844_265)).abs() < 1e-12);
        let mx = X.iter().sum::<f64>() / 7.0;
        let my = Y.iter().sum::<f64>() / 6.0;
        assert!((two.estimate - (mx - my)).abs() < 1e-15);
    }

    #[test]
    fn constant_arms_fail_rather_than_divide_by_zero() {
        assert_eq!(
            welch_t(&[1.0, 1.0], &[2.0, 2.0], Alternative::TwoSided),
            Err(AnalysisFailure::ZeroVariance)
        );
        assert_eq!(
            welch_t(&[1.0], &[2.0, 3.0], Alternative::TwoSided),
            Err(AnalysisFailure::TooFewPatients)
        );
    }
}

/// Welch's t-test on the change from baseline, MSC minus control.
#[derive(Debug, Clone)]
pub struct Welch {
    pub alternative: Alternative,
}

impl Analysis for Welch {
    #[inline]
    fn analyse(
        &self,
        msc: ArmView<'_>,
        control: ArmView<'_>,
        _: &mut Scratch,
    ) -> Result<TestResult, AnalysisFailure> {
        welch_t(msc.change, control.change, self.alternative)
    }
}
