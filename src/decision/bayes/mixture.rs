//! A mixture-of-normals prior for `θ`, `Σ_k w_k N(m_k, s_k²)`, and its
//! conjugate update with a trial's normal likelihood `y | θ ~ N(θ, se²)`.
//!
//! Each component updates as in [`super::normal`], and the posterior weights
//! are the prior weights times each component's marginal likelihood of `y`:
//!
//! ```text
//! w_k' ∝ w_k · N(y; m_k, s_k² + se²)
//! ```
//!
//! (Schmidli et al. 2014). A robust mixture ([`Mixture::robust`]) pairs an
//! informative component (adult evidence) with a vague or skeptical one of
//! weight `w`; when the trial conflicts with the informative component the
//! posterior weight moves to the other one and borrowing fades.
//!
//! The prior effective sample size is the variance-ratio (moment) ESS,
//! `σ² / Var(θ)`, with `σ` the SD of one patient's contribution (the unit
//! information SD) and `Var(θ)` the mixture's total variance
//! `Σ w_k (s_k² + m_k²) − (Σ w_k m_k)²`: the sample size whose mean would
//! carry the prior's variance (RBesT's `ess(method = "moment")` for a normal
//! mixture). It ignores the mixture's shape (a robust mixture's heavy tails
//! lower it only through the variance); Morita-Thall-Müller and ELIR ESS are
//! not implemented.

use super::normal::{Gaussian, TrialEstimate, update};
use super::{BayesError, finite, positive};

/// How far from 1 the weights of a mixture may sum.
pub const WEIGHT_TOLERANCE: f64 = 1e-9;

/// One component of a mixture: its weight and normal distribution.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Component {
    /// Its weight in `[0, 1]`.
    pub weight: f64,
    /// Its normal distribution.
    pub normal: Gaussian,
}

/// A validated mixture of normals: weights in `[0, 1]` summing to 1 within
/// [`WEIGHT_TOLERANCE`], finite means, positive SDs.
#[derive(Debug, Clone, PartialEq)]
pub struct Mixture {
    components: Vec<Component>,
}

impl Mixture {
    /// The mixture of `(weight, mean, sd)` triples.
    ///
    /// # Errors
    /// [`BayesError::Empty`] for no components; [`BayesError::NotFinite`],
    /// [`BayesError::NonPositiveSd`] or [`BayesError::WeightOutOfRange`] for
    /// a bad component; [`BayesError::WeightsDoNotSumToOne`] when the weights
    /// do not sum to 1 within 1e-9.
    ///
    /// ```
    /// use trialsim::decision::bayes::{Mixture, BayesError};
    /// assert!(Mixture::new(&[(0.8, -1.0, 0.5), (0.2, 0.0, 10.0)]).is_ok());
    /// assert!(matches!(Mixture::new(&[(0.8, -1.0, 0.5), (0.3, 0.0, 10.0)]),
    ///                  Err(BayesError::WeightsDoNotSumToOne { .. })));
    /// ```
    pub fn new(components: &[(f64, f64, f64)]) -> Result<Mixture, BayesError> {
        if components.is_empty() {
            return Err(BayesError::Empty);
        }
        let mut out = Vec::with_capacity(components.len());
        for &(weight, mean, sd) in components {
            finite("weight", weight)?;
            if !(0.0..=1.0).contains(&weight) {
                return Err(BayesError::WeightOutOfRange { weight });
            }
            out.push(Component {
                weight,
                normal: Gaussian::new(mean, sd)?,
            });
        }
        let sum: f64 = out.iter().map(|c| c.weight).sum();
        if (sum - 1.0).abs() > WEIGHT_TOLERANCE {
            return Err(BayesError::WeightsDoNotSumToOne { sum });
        }
        Ok(Mixture { components: out })
    }

    /// The robust mixture `(1 − w) · informative + w · vague`.
    ///
    /// # Errors
    /// As [`Mixture::new`]: `w` outside `[0, 1]` or an invalid component.
    pub fn robust(informative: Gaussian, vague: Gaussian, w: f64) -> Result<Mixture, BayesError> {
        Mixture::new(&[
            (1.0 - w, informative.mean, informative.sd),
            (w, vague.mean, vague.sd),
        ])
    }

    /// Its components, in the order given.
    pub fn components(&self) -> &[Component] {
        &self.components
    }

    /// The posterior mixture given a trial's `data`: each component updated
    /// conjugately, weights `∝ w_k · N(y; m_k, s_k² + se²)` (computed on the
    /// log scale, so a far-off component gets weight 0 rather than 0/0).
    ///
    /// # Errors
    /// [`BayesError::NotFinite`] or [`BayesError::NonPositiveSd`] for an
    /// invalid estimate.
    pub fn update(&self, data: TrialEstimate) -> Result<Mixture, BayesError> {
        let data = TrialEstimate::new(data.estimate, data.se)?;
        let log_w: Vec<f64> = self
            .components
            .iter()
            .map(|c| {
                let marginal = Gaussian {
                    mean: c.normal.mean,
                    sd: c.normal.sd.hypot(data.se),
                };
                c.weight.ln() + marginal.ln_density(data.estimate)
            })
            .collect();
        let top = log_w.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let unnormalised: Vec<f64> = log_w.iter().map(|l| (l - top).exp()).collect();
        let total: f64 = unnormalised.iter().sum();
        let components = self
            .components
            .iter()
            .zip(&unnormalised)
            .map(|(c, u)| {
                Ok(Component {
                    weight: u / total,
                    normal: update(c.normal, data)?,
                })
            })
            .collect::<Result<Vec<_>, BayesError>>()?;
        Ok(Mixture { components })
    }

    /// `P(θ < delta)`.
    pub fn prob_below(&self, delta: f64) -> f64 {
        self.components
            .iter()
            .map(|c| c.weight * c.normal.prob_below(delta))
            .sum()
    }

    /// `P(θ < 0)`: the probability of MSC benefit.
    pub fn prob_benefit(&self) -> f64 {
        self.prob_below(0.0)
    }

    /// The mixture's mean `Σ w_k m_k`.
    pub fn mean(&self) -> f64 {
        self.components
            .iter()
            .map(|c| c.weight * c.normal.mean)
            .sum()
    }

    /// The mixture's total variance `Σ w_k (s_k² + m_k²) − mean²`.
    pub fn variance(&self) -> f64 {
        let mean = self.mean();
        // Centred form: Σ w_k (s_k² + (m_k − mean)²), the same quantity
        // without cancellation.
        self.components
            .iter()
            .map(|c| c.weight * (c.normal.sd.powi(2) + (c.normal.mean - mean).powi(2)))
            .sum()
    }

    /// The variance-ratio effective sample size `σ² / Var(θ)` relative to
    /// the unit-information SD `unit_sd` (see the module header).
    ///
    /// # Errors
    /// [`BayesError::NotFinite`] or [`BayesError::NonPositiveSd`] for an
    /// invalid `unit_sd`.
    pub fn ess(&self, unit_sd: f64) -> Result<f64, BayesError> {
        let sigma = positive("unit-information SD", unit_sd)?;
        Ok(sigma * sigma / self.variance())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dnorm(x: f64, m: f64, s: f64) -> f64 {
        (-(x - m).powi(2) / (2.0 * s * s)).exp() / (s * (2.0 * std::f64::consts::PI).sqrt())
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-10
    }

    /// The closed form written out for two components: weights, means, SDs
    /// of the posterior.
    fn two_component_closed_form(
        prior: [(f64, f64, f64); 2],
        y: f64,
        se: f64,
    ) -> [(f64, f64, f64); 2] {
        let raw = prior.map(|(w, m, s)| w * dnorm(y, m, (s * s + se * se).sqrt()));
        let total = raw[0] + raw[1];
        let mut out = [(0.0, 0.0, 0.0); 2];
        for k in 0..2 {
            let (_, m, s) = prior[k];
            let v = 1.0 / (1.0 / (s * s) + 1.0 / (se * se));
            out[k] = (raw[k] / total, v * (m / (s * s) + y / (se * se)), v.sqrt());
        }
        out
    }

    fn assert_matches(post: &Mixture, expected: [(f64, f64, f64); 2]) {
        for (c, (w, m, s)) in post.components().iter().zip(expected) {
            assert!(close(c.weight, w), "{c:?} vs {w}");
            assert!(close(c.normal.mean, m), "{c:?} vs {m}");
            assert!(close(c.normal.sd, s), "{c:?} vs {s}");
        }
    }

    // An informative adult component N(-2, 0.5²) with weight 0.8 and a vague
    // N(0, 10²) with weight 0.2 (SLEDAI-2K points, MSC minus control).
    const ROBUST: [(f64, f64, f64); 2] = [(0.8, -2.0, 0.5), (0.2, 0.0, 10.0)];

    #[test]
    fn update_matches_the_closed_form() {
        let prior = Mixture::new(&ROBUST).unwrap();
        let data = TrialEstimate::new(-1.6, 0.9).unwrap();
        let post = prior.update(data).unwrap();
        let expected = two_component_closed_form(ROBUST, -1.6, 0.9);
        assert_matches(&post, expected);
        // Agreement: the informative component keeps most of the weight.
        assert!(post.components()[0].weight > 0.8, "{post:?}");
        // P(θ < δ) is the weighted sum of the components' normal CDFs.
        let by_hand: f64 = expected
            .iter()
            .map(|&(w, m, s)| w * Gaussian::new(m, s).unwrap().prob_below(-1.0))
            .sum();
        assert!(close(post.prob_below(-1.0), by_hand));
    }

    #[test]
    fn prior_data_conflict_moves_the_weight_to_the_vague_component() {
        let prior = Mixture::new(&ROBUST).unwrap();
        // The paediatric trial sees harm: +3 points (SE 1), 5 SDs from the
        // adult component.
        let post = prior.update(TrialEstimate::new(3.0, 1.0).unwrap()).unwrap();
        let expected = two_component_closed_form(ROBUST, 3.0, 1.0);
        assert_matches(&post, expected);
        assert!(post.components()[1].weight > 0.95, "{post:?}");
        // Borrowing fades: the posterior mean sits near the trial, not the
        // adults, and P(θ < 0) is far below the informative prior's.
        assert!(post.mean() > 1.5, "{}", post.mean());
        assert!(post.prob_benefit() < 0.1, "{}", post.prob_benefit());
    }

    #[test]
    fn a_single_component_mixture_is_the_normal_update() {
        let prior = Gaussian::new(-1.5, 0.8).unwrap();
        let mix = Mixture::new(&[(1.0, -1.5, 0.8)]).unwrap();
        let data = TrialEstimate::new(-0.4, 0.6).unwrap();
        let post = mix.update(data).unwrap();
        let normal = update(prior, data).unwrap();
        assert_eq!(post.components()[0].weight, 1.0);
        assert_eq!(post.components()[0].normal, normal);
        assert!(close(post.prob_below(-0.5), normal.prob_below(-0.5)));
    }

    #[test]
    fn a_vague_prior_gives_the_z_test_complement() {
        let vague = Mixture::new(&[(1.0, 0.0, 1e6)]).unwrap();
        let post = vague
            .update(TrialEstimate::new(-1.2, 0.7).unwrap())
            .unwrap();
        let z_test = Gaussian::new(0.0, 1.0).unwrap().prob_below(1.2 / 0.7);
        assert!((post.prob_benefit() - z_test).abs() <= 1e-9);
    }

    // Variance of ROBUST: 0.8·(0.25 + 4) + 0.2·(100 + 0) − (−1.6)² = 23.4 − 2.56
    // = 20.84; σ = 10 gives ESS 100/20.84. The informative component alone
    // (SD 0.5) gives 100/0.25 = 400 patients.
    #[test]
    fn ess_is_the_variance_ratio() {
        let robust = Mixture::new(&ROBUST).unwrap();
        assert!(close(robust.variance(), 20.84));
        assert!(close(robust.ess(10.0).unwrap(), 100.0 / 20.84));
        let adult = Mixture::new(&[(1.0, -2.0, 0.5)]).unwrap();
        assert!(close(adult.ess(10.0).unwrap(), 400.0));
        assert!(robust.ess(0.0).is_err() && robust.ess(f64::NAN).is_err());
    }

    #[test]
    fn weights_must_sum_to_one_within_1e_9() {
        assert!(Mixture::new(&[(0.5, 0.0, 1.0), (0.5 + 5e-10, 1.0, 1.0)]).is_ok());
        assert!(matches!(
            Mixture::new(&[(0.5, 0.0, 1.0), (0.5 + 2e-9, 1.0, 1.0)]),
            Err(BayesError::WeightsDoNotSumToOne { .. })
        ));
        assert_eq!(Mixture::new(&[]), Err(BayesError::Empty));
        assert!(matches!(
            Mixture::new(&[(1.2, 0.0, 1.0), (-0.2, 1.0, 1.0)]),
            Err(BayesError::WeightOutOfRange { .. })
        ));
        assert!(matches!(
            Mixture::new(&[(1.0, 0.0, -1.0)]),
            Err(BayesError::NonPositiveSd { .. })
        ));
        assert!(matches!(
            Mixture::new(&[(1.0, f64::INFINITY, 1.0)]),
            Err(BayesError::NotFinite { .. })
        ));
        assert!(matches!(
            Mixture::new(&[(f64::NAN, 0.0, 1.0)]),
            Err(BayesError::NotFinite { .. })
        ));
        let ok = Mixture::new(&ROBUST).unwrap();
        assert!(
            ok.update(TrialEstimate {
                estimate: 0.0,
                se: 0.0
            })
            .is_err()
        );
    }

    #[test]
    fn an_extreme_conflict_gives_weight_zero_not_nan() {
        let prior = Mixture::new(&[(0.5, -2.0, 0.01), (0.5, 0.0, 100.0)]).unwrap();
        let post = prior
            .update(TrialEstimate::new(500.0, 0.01).unwrap())
            .unwrap();
        let w: Vec<f64> = post.components().iter().map(|c| c.weight).collect();
        assert_eq!(w, [0.0, 1.0]);
    }
}
