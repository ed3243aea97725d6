//! The posterior-probability rule (`decision.rule = "posterior"`): a trial
//! succeeds when P(effect < 0 | data) exceeds the threshold, the likelihood
//! being the analysis's estimate and standard error (normal approximation)
//! and the prior a mixture of normals (vague, normal, or robust mixture).
//!
//! The posterior probability is computed in closed form without building
//! the posterior mixture (no allocation per trial): component k's weight
//! becomes `w_k N(y; m_k, sqrt(s_k^2 + se^2))`, normalised, and its posterior
//! is normal with precision `1/s_k^2 + 1/se^2`.

use statrs::distribution::{ContinuousCDF, Normal};

use super::Decision;
use crate::analysis::{Interval, TestResult};

/// Success when the posterior probability of benefit exceeds `threshold`.
#[derive(Debug, Clone)]
pub struct PosteriorThreshold {
    /// Prior components `(weight, mean, sd)` on the analysis scale.
    prior: Vec<(f64, f64, f64)>,
    threshold: f64,
}

impl PosteriorThreshold {
    /// The rule for a validated prior and threshold.
    pub fn new(prior: Vec<(f64, f64, f64)>, threshold: f64) -> PosteriorThreshold {
        PosteriorThreshold { prior, threshold }
    }

    /// P(effect < 0 | estimate `y` with standard error `se`): benefit on a
    /// lower-is-better scale.
    pub fn prob_benefit(&self, y: f64, se: f64) -> f64 {
        let phi = Normal::standard();
        let v_data = se * se;
        // Log weights, shifted by their maximum before exponentiating.
        let log_weight = |&(w, m, s): &(f64, f64, f64)| {
            let v = s * s + v_data;
            w.ln() - 0.5 * v.ln() - (y - m) * (y - m) / (2.0 * v)
        };
        let top = self
            .prior
            .iter()
            .filter(|c| c.0 > 0.0)
            .map(log_weight)
            .fold(f64::NEG_INFINITY, f64::max);
        let (mut total, mut benefit) = (0.0, 0.0);
        for c in self.prior.iter().filter(|c| c.0 > 0.0) {
            let (_, m, s) = *c;
            let weight = (log_weight(c) - top).exp();
            let precision = 1.0 / (s * s) + 1.0 / v_data;
            let mean = (m / (s * s) + y / v_data) / precision;
            total += weight;
            benefit += weight * phi.cdf(-mean * precision.sqrt());
        }
        benefit / total
    }
}

impl Decision for PosteriorThreshold {
    #[inline]
    fn rejects(&self, result: &TestResult) -> bool {
        match result.interval {
            Interval::T { se, .. } if se > 0.0 => {
                self.prob_benefit(result.estimate, se) > self.threshold
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decision::bayes::mixture::Mixture;
    use crate::decision::bayes::normal::TrialEstimate;

    #[test]
    fn equals_the_posterior_mixture_built_in_full() {
        let prior = vec![(0.6, -2.0, 0.8), (0.4, 0.0, 50.0)];
        let rule = PosteriorThreshold::new(prior.clone(), 0.975);
        let mixture = Mixture::new(&prior).unwrap();
        for (y, se) in [(-1.5, 1.0), (2.0, 0.7), (-4.0, 2.5), (0.0, 0.3)] {
            let full = mixture
                .update(TrialEstimate::new(y, se).unwrap())
                .unwrap()
                .prob_below(0.0);
            assert!((rule.prob_benefit(y, se) - full).abs() < 1e-12, "{y} {se}");
        }
    }

    #[test]
    fn a_vague_prior_gives_the_one_sided_z_test() {
        let rule = PosteriorThreshold::new(vec![(1.0, 0.0, 1e6)], 0.975);
        let phi = Normal::standard();
        for (y, se) in [(-2.0, 1.0), (-1.0, 0.4), (0.5, 0.2)] {
            assert!((rule.prob_benefit(y, se) - phi.cdf(-y / se)).abs() < 1e-9);
        }
    }
}
