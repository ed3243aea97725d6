//! Rubin's rules with Barnard-Rubin degrees of freedom: one result from
//! the analyses of several imputed data sets.

use crate::analysis::{Alternative, AnalysisFailure, Interval, Significance, TestResult};
use crate::stats::Welford;

/// Rubin's rules: the combined estimate, its total variance and Barnard-Rubin
/// degrees of freedom, from analyses of `results.len()` imputed data sets
/// with `t`-intervals of complete-data df `df_complete`.
///
/// # Errors
/// [`AnalysisFailure::ZeroVariance`] if the analyses have no t interval.
pub fn rubin(
    results: &[TestResult],
    alternative: Alternative,
) -> Result<TestResult, AnalysisFailure> {
    let m = results.len() as f64;
    let mut estimates = Welford::default();
    let (mut within, mut df_complete) = (0.0, f64::INFINITY);
    for r in results {
        let Interval::T { se, df } = r.interval else {
            return Err(AnalysisFailure::ZeroVariance);
        };
        estimates.push(r.estimate);
        within += se * se / m;
        df_complete = df_complete.min(df);
    }
    let between = if results.len() > 1 {
        estimates.m2 / (m - 1.0)
    } else {
        0.0
    };
    let total = within + (1.0 + 1.0 / m) * between;
    if total <= 0.0 {
        return Err(AnalysisFailure::ZeroVariance);
    }
    let gamma = (1.0 + 1.0 / m) * between / total;
    let df = if between > 0.0 {
        let old = (m - 1.0) / (gamma * gamma);
        let observed = (df_complete + 1.0) / (df_complete + 3.0) * df_complete * (1.0 - gamma);
        1.0 / (1.0 / old + 1.0 / observed)
    } else {
        df_complete
    };
    let estimate = estimates.mean;
    let se = total.sqrt();
    Ok(TestResult {
        estimate,
        significance: Significance::T {
            t: estimate / se,
            df,
            alternative,
        },
        interval: Interval::T { se, df },
    })
}
