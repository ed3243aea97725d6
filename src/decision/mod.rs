//! What turns one trial's test result into "success": today a significance
//! test at `design.alpha`; group-sequential boundaries and posterior
//! thresholds are further implementations of [`Decision`].
//!
//! A decision is prepared once per cell (critical values computed there),
//! so a replicate only compares numbers.

pub mod bayes;
pub mod posterior;
pub mod sequential;

use crate::analysis::{Alternative, Analyzer, Significance, TestResult};
use crate::scenario::{AnalysisKind, DecisionRule, Scenario, Sided};
use crate::stats::t_critical::{Critical, Tail};

/// A rule deciding whether one trial's result is a success.
pub trait Decision: Send + Sync + std::fmt::Debug {
    /// Whether `result` rejects the null hypothesis (the trial succeeds).
    fn rejects(&self, result: &TestResult) -> bool;
}

/// Rejection at level `alpha`, exactly as `p <= alpha`: t statistics are
/// compared with verified critical bounds (for the design's fixed df, or a
/// grid for df that vary, [`crate::stats::t_critical`]), and the p-value is
/// computed only where they cannot decide.
#[derive(Debug, Clone)]
pub struct SignificanceLevel {
    alpha: f64,
    alternative: Alternative,
    critical: Critical,
}

impl SignificanceLevel {
    /// The rule for `analyzer` at level `alpha`, `sided` as the design says.
    pub fn new(analyzer: &Analyzer, sided: Sided, alpha: f64) -> SignificanceLevel {
        let level = sided.one_sided(alpha);
        let alternative = analyzer.alternative();
        let tail = match alternative {
            Alternative::Less => Tail::Lower,
            Alternative::TwoSided | Alternative::Greater => Tail::Upper,
        };
        SignificanceLevel {
            alpha,
            alternative,
            critical: Critical::new(analyzer.fixed_df(), analyzer.is_t_based(), level, tail),
        }
    }
}

impl Decision for SignificanceLevel {
    #[inline]
    fn rejects(&self, result: &TestResult) -> bool {
        let Significance::T { t, df, .. } = result.significance else {
            return result.p_value() <= self.alpha;
        };
        // The statistic whose tail probability the p-value is.
        let x = match self.alternative {
            Alternative::TwoSided => t.abs(),
            Alternative::Less => -t,
            Alternative::Greater => t,
        };
        let decided = self.critical.beyond(x, df);
        decided.unwrap_or_else(|| result.p_value() <= self.alpha)
    }
}

/// The decision rules of a cell of `scenario`, chosen by `decision.rule`:
/// the rule that decides a trial, and with the posterior rule one rule per
/// prior weight (the first is the deciding one), their thresholds as
/// written or, with `threshold = "calibrate"`, from `calibrated` (one per
/// weight, found by simulation in the engine).
pub fn prepare(
    analyzer: &Analyzer,
    scenario: &Scenario,
    calibrated: impl FnOnce() -> Vec<f64>,
) -> (Box<dyn Decision>, Vec<posterior::PosteriorThreshold>) {
    let d = &scenario.decision;
    if d.rule == DecisionRule::Frequentist {
        let rule = SignificanceLevel::new(analyzer, scenario.design.sided, scenario.design.alpha);
        return (Box::new(rule), Vec::new());
    }
    let priors = d.priors();
    let thresholds = match d.threshold {
        Some(t) => vec![t; priors.len()],
        None => calibrated(),
    };
    let lower = lower_is_benefit(scenario.design.analysis);
    let rules: Vec<_> = priors
        .into_iter()
        .zip(thresholds)
        .map(|(prior, t)| posterior::PosteriorThreshold::new(prior, t, lower))
        .collect();
    let deciding = rules
        .first()
        .expect("validated: a posterior rule has a prior")
        .clone();
    (Box::new(deciding), rules)
}

/// Whether MSC's benefit is an estimate below 0 (every scale but a
/// difference in responder proportions), as the analysis's
/// [`EffectScale::favours_msc`](crate::analysis::EffectScale::favours_msc) says.
pub fn lower_is_benefit(analysis: AnalysisKind) -> bool {
    !crate::analysis::registry::properties(analysis).responder
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::Interval;
    use crate::design::Arms;
    use crate::scenario::AnalysisKind;

    /// Through the real rule, at the large df where statrs' quantile alone
    /// was off (the review's cases: Welch at 10,000 per arm): rejection is
    /// exactly `p <= alpha`, for every alternative, fixed or varying df.
    #[test]
    fn rejects_exactly_when_the_p_value_reaches_alpha() {
        for (kind, sided, alpha) in [
            (AnalysisKind::WelchT, Sided::One, 0.05),
            (AnalysisKind::WelchT, Sided::Two, 0.05),
            (AnalysisKind::WelchT, Sided::One, 0.2),
            (AnalysisKind::Ancova, Sided::Two, 0.05),
            (AnalysisKind::Ancova, Sided::One, 0.1),
            (AnalysisKind::WelchT, Sided::One, 0.6),
        ] {
            let sizes = Arms::both(10_000);
            let analyzer = Analyzer::new(kind, sided, sizes, None);
            let rule = SignificanceLevel::new(&analyzer, sided, alpha);
            let alternative = analyzer.alternative();
            let fixed = analyzer.fixed_df();
            for df in [5.0, 57.0, 992.0, 3463.0, 19_438.0, 34_544.0] {
                let df = fixed.unwrap_or(df);
                let dist = StudentsTFor::new(df);
                let q = dist.critical(alpha, sided);
                for step in -40..=40 {
                    let mut t = q * (1.0 + f64::from(step) * 2.5e-8);
                    if alternative == Alternative::Less {
                        t = -t;
                    }
                    let r = TestResult {
                        estimate: t,
                        significance: Significance::T { t, df, alternative },
                        interval: Interval::T { se: 1.0, df },
                    };
                    assert_eq!(
                        rule.rejects(&r),
                        r.p_value() <= alpha,
                        "{kind:?} {sided:?} {alpha} df {df} t {t}"
                    );
                }
            }
        }
    }

    /// The benefit direction read off the registry is the analysis's own:
    /// what its effect scale calls favouring MSC.
    #[test]
    fn the_benefit_direction_is_the_effect_scales() {
        for kind in [
            AnalysisKind::WelchT,
            AnalysisKind::Ancova,
            AnalysisKind::Wilcoxon,
            AnalysisKind::FisherResponder,
            AnalysisKind::PairedT,
            AnalysisKind::StratifiedAncova,
            AnalysisKind::Logrank,
            AnalysisKind::Cox,
        ] {
            let analyzer = Analyzer::new(kind, Sided::Two, Arms::both(10), Some(4.0));
            assert_eq!(
                lower_is_benefit(kind),
                analyzer.effect_scale().favours_msc(-1.0),
                "{kind:?}"
            );
        }
    }

    /// statrs' quantile, good enough to aim the sweep near the boundary.
    struct StudentsTFor(statrs::distribution::StudentsT);

    impl StudentsTFor {
        fn new(df: f64) -> StudentsTFor {
            StudentsTFor(statrs::distribution::StudentsT::new(0.0, 1.0, df).unwrap())
        }

        fn critical(&self, alpha: f64, sided: Sided) -> f64 {
            use statrs::distribution::ContinuousCDF;
            let level = if sided == Sided::Two {
                alpha / 2.0
            } else {
                alpha
            };
            self.0.inverse_cdf(1.0 - level.min(0.499)).abs()
        }
    }
}
