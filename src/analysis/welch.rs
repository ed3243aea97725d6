//! Welch's two-sample t-test (unequal variances, Satterthwaite degrees of freedom).

use super::{Alternative, AnalysisFailure, TestResult, mean_var, t_p_value};

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
/// assert!((r.p_value - 0.0714).abs() < 1e-3);
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
        p_value: t_p_value(t, df, alternative),
    })
}
