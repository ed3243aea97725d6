//! The conjugate normal-normal update of an effect `θ`: a normal prior
//! `N(m0, s0²)` and a trial's estimate `y` with standard error `se`, read as
//! the likelihood `y | θ ~ N(θ, se²)`, give the normal posterior with
//!
//! ```text
//! precision  1/s1² = 1/s0² + 1/se²
//! mean       m1    = s1² (m0/s0² + y/se²)
//! ```
//!
//! (Spiegelhalter, Abrams and Myles 2004, section 3.6). A vague prior
//! (`s0 → ∞`) gives `P(θ < 0 | y) → Φ(−y/se)`, one minus the one-sided
//! z-test's p-value for benefit.

use statrs::distribution::{Continuous, ContinuousCDF, Normal};

use super::{BayesError, finite, positive};

/// A normal distribution of the effect `θ`, prior or posterior.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Gaussian {
    /// Its mean.
    pub mean: f64,
    /// Its standard deviation (> 0).
    pub sd: f64,
}

/// One trial's estimate of `θ` and its standard error: a normal likelihood.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrialEstimate {
    /// The estimate (MSC minus control, lower is better).
    pub estimate: f64,
    /// Its standard error (> 0).
    pub se: f64,
}

impl Gaussian {
    /// `N(mean, sd²)`.
    ///
    /// # Errors
    /// [`BayesError::NotFinite`] for a non-finite mean or SD;
    /// [`BayesError::NonPositiveSd`] for `sd <= 0`.
    pub fn new(mean: f64, sd: f64) -> Result<Gaussian, BayesError> {
        Ok(Gaussian {
            mean: finite("mean", mean)?,
            sd: positive("sd", sd)?,
        })
    }

    /// `P(θ < delta)`.
    pub fn prob_below(&self, delta: f64) -> f64 {
        Normal::standard().cdf((delta - self.mean) / self.sd)
    }

    /// `P(θ < 0)`: the probability of MSC benefit on a lower-is-better scale.
    pub fn prob_benefit(&self) -> f64 {
        self.prob_below(0.0)
    }

    /// The density at `x`.
    pub fn density(&self, x: f64) -> f64 {
        Normal::new(self.mean, self.sd).expect("sd > 0").pdf(x)
    }

    /// The log density at `x`.
    pub fn ln_density(&self, x: f64) -> f64 {
        Normal::new(self.mean, self.sd).expect("sd > 0").ln_pdf(x)
    }
}

impl TrialEstimate {
    /// A trial's `estimate` with standard error `se`.
    ///
    /// # Errors
    /// [`BayesError::NotFinite`] for a non-finite value;
    /// [`BayesError::NonPositiveSd`] for `se <= 0`.
    pub fn new(estimate: f64, se: f64) -> Result<TrialEstimate, BayesError> {
        Ok(TrialEstimate {
            estimate: finite("estimate", estimate)?,
            se: positive("standard error", se)?,
        })
    }
}

/// The posterior of `θ` from a normal `prior` and a trial's `data`.
///
/// Both arguments are validated by their constructors; a [`Gaussian`] or
/// [`TrialEstimate`] built by hand with a non-positive SD is refused here.
///
/// # Errors
/// [`BayesError::NotFinite`] or [`BayesError::NonPositiveSd`] for an invalid
/// prior or estimate.
///
/// ```
/// use trialsim::decision::bayes::{Gaussian, TrialEstimate, normal::update};
/// let prior = Gaussian::new(0.0, 1.0).unwrap();
/// let post = update(prior, TrialEstimate::new(-2.0, 1.0).unwrap()).unwrap();
/// assert!((post.mean + 1.0).abs() < 1e-15 && (post.sd - 0.5f64.sqrt()).abs() < 1e-15);
/// ```
pub fn update(prior: Gaussian, data: TrialEstimate) -> Result<Gaussian, BayesError> {
    let prior = Gaussian::new(prior.mean, prior.sd)?;
    let data = TrialEstimate::new(data.estimate, data.se)?;
    let (p0, pd) = (prior.sd.powi(-2), data.se.powi(-2));
    let var = 1.0 / (p0 + pd);
    Gaussian::new(var * (prior.mean * p0 + data.estimate * pd), var.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phi(z: f64) -> f64 {
        Normal::standard().cdf(z)
    }

    // Closed form worked by hand: prior N(-1.5, 0.8²), estimate -0.4 (SE 0.6).
    // Precisions 1/0.64 = 1.5625 and 1/0.36 = 2.7777...; posterior variance
    // 0.64·0.36/(0.64 + 0.36) = 0.2304, mean (−1.5·0.36 − 0.4·0.64)/1.0 = −0.796.
    #[test]
    fn update_matches_the_closed_form() {
        let prior = Gaussian::new(-1.5, 0.8).unwrap();
        let post = update(prior, TrialEstimate::new(-0.4, 0.6).unwrap()).unwrap();
        assert!((post.mean - -0.796).abs() <= 1e-10, "{post:?}");
        assert!((post.sd - 0.2304f64.sqrt()).abs() <= 1e-10, "{post:?}");
        // P(θ < δ) is Φ((δ − m1)/s1).
        assert!((post.prob_below(-0.5) - phi((-0.5 + 0.796) / 0.48)).abs() <= 1e-10);
        assert!((post.prob_benefit() - phi(0.796 / 0.48)).abs() <= 1e-10);
    }

    // R 4.2.2, the posterior above (tolerance 1e-11: statrs 0.19's Φ, via
    // its erfc, is 2e-12 off R's pnorm at 1.658; values in the shortest form
    // that reads back as the same double):
    //   sprintf("%.17g", pnorm(0, -0.796, 0.48))      # P(θ < 0)
    //   sprintf("%.17g", pnorm(-0.5, -0.796, 0.48))   # P(θ < -0.5)
    #[test]
    fn posterior_probabilities_match_r_pnorm() {
        let post = Gaussian::new(-0.796, 0.48).unwrap();
        let p = post.prob_benefit();
        assert!((p - 0.951_374_897_742_193_1).abs() <= 1e-11, "{p:.17}");
        assert!((post.prob_below(-0.5) - 0.731_272_694_059_560_4).abs() <= 1e-11);
    }

    #[test]
    fn a_vague_prior_gives_the_z_test_complement() {
        let vague = Gaussian::new(0.0, 1e6).unwrap();
        for (y, se) in [(-1.2, 0.7), (0.3, 0.25), (-3.0, 1.9), (0.0, 1.0)] {
            let post = update(vague, TrialEstimate::new(y, se).unwrap()).unwrap();
            let z_test = phi(-y / se);
            assert!(
                (post.prob_benefit() - z_test).abs() <= 1e-9,
                "{y} {se}: {} vs {z_test}",
                post.prob_benefit()
            );
        }
    }

    #[test]
    fn invalid_input_is_a_value_not_a_nan() {
        assert_eq!(
            Gaussian::new(0.0, 0.0),
            Err(BayesError::NonPositiveSd {
                what: "sd",
                value: 0.0
            })
        );
        assert!(matches!(
            TrialEstimate::new(f64::NAN, 1.0),
            Err(BayesError::NotFinite { .. })
        ));
        let hand_built = Gaussian {
            mean: 0.0,
            sd: -1.0,
        };
        assert!(update(hand_built, TrialEstimate::new(0.0, 1.0).unwrap()).is_err());
        let infinite_se = TrialEstimate {
            estimate: 0.0,
            se: f64::INFINITY,
        };
        assert!(update(Gaussian::new(0.0, 1.0).unwrap(), infinite_se).is_err());
    }
}
