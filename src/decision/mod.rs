//! What turns one trial's test result into "success": today a significance
//! test at `design.alpha`; group-sequential boundaries and posterior
//! thresholds are further implementations of [`Decision`].
//!
//! A decision is prepared once per cell (critical values computed there),
//! so a replicate only compares numbers.

pub mod bayes;
pub mod posterior;

use statrs::distribution::{ContinuousCDF, StudentsT};

use crate::analysis::{Alternative, Analyzer, Significance, TestResult};
use crate::scenario::{DecisionRule, Scenario, Sided};
use crate::stats::t_critical::TCritical;

/// A rule deciding whether one trial's result is a success.
pub trait Decision: Send + Sync + std::fmt::Debug {
    /// Whether `result` rejects the null hypothesis (the trial succeeds).
    fn rejects(&self, result: &TestResult) -> bool;
}

/// Rejection at level `alpha`: by a critical t computed once per cell when
/// the analysis has degrees of freedom fixed by the design, else by the
/// p-value.
#[derive(Debug, Clone)]
pub struct SignificanceLevel {
    alpha: f64,
    alternative: Alternative,
    /// `(df, critical t at alpha for the alternative)`.
    t_critical: Option<(f64, f64)>,
    /// Critical t for any df, for t-tests whose df vary (Welch, Rubin).
    grid: Option<TCritical>,
}

impl SignificanceLevel {
    /// The rule for `analyzer` at level `alpha`, `sided` as the design says.
    pub fn new(analyzer: &Analyzer, sided: Sided, alpha: f64) -> SignificanceLevel {
        let tail = match sided {
            Sided::Two => alpha / 2.0,
            Sided::One => alpha,
        };
        SignificanceLevel {
            alpha,
            alternative: analyzer.alternative(),
            t_critical: analyzer.fixed_df().map(|df| {
                let t = StudentsT::new(0.0, 1.0, df).expect("df > 0");
                (df, t.inverse_cdf(1.0 - tail))
            }),
            grid: analyzer.is_t_based().then(|| TCritical::new(tail)),
        }
    }
}

impl Decision for SignificanceLevel {
    #[inline]
    fn rejects(&self, result: &TestResult) -> bool {
        match (result.significance, self.t_critical) {
            (Significance::T { t, df, .. }, Some((d, crit))) if d == df => match self.alternative {
                Alternative::TwoSided => t.abs() >= crit,
                Alternative::Less => t <= -crit,
                Alternative::Greater => t >= crit,
            },
            (Significance::T { t, df, .. }, _) => {
                // p <= alpha exactly when the statistic reaches the critical t.
                let toward = match self.alternative {
                    Alternative::TwoSided => t.abs(),
                    Alternative::Less => -t,
                    Alternative::Greater => t,
                };
                self.grid
                    .as_ref()
                    .and_then(|g| g.at_least(toward, df))
                    .unwrap_or_else(|| result.p_value() <= self.alpha)
            }
            _ => result.p_value() <= self.alpha,
        }
    }
}

/// The decision rule of a cell of `scenario`: the registry of rules, chosen
/// by `decision.rule`.
pub fn prepare(analyzer: &Analyzer, scenario: &Scenario) -> Box<dyn Decision> {
    let d = &scenario.decision;
    match d.rule {
        DecisionRule::Frequentist => Box::new(SignificanceLevel::new(
            analyzer,
            scenario.design.sided,
            scenario.design.alpha,
        )),
        DecisionRule::Posterior => Box::new(posterior::PosteriorThreshold::new(
            d.prior.clone(),
            d.threshold
                .expect("validated: the posterior rule has a threshold"),
        )),
    }
}
