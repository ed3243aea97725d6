//! Bayesian building blocks for posterior decision rules and borrowing from
//! adult evidence (issue 12): the conjugate normal update ([`normal`]), a
//! mixture-of-normals prior such as a robust mixture of an informative adult
//! component and a vague one ([`mixture`]), and a meta-analytic-predictive
//! (MAP) prior from historical studies ([`map`]).
//!
//! Effects `θ` are on a lower-is-better scale (MSC minus control in disease
//! activity), so MSC benefit is `θ < 0` and a posterior decision asks for
//! `P(θ < δ | data)`. A trial enters as its [`TrialEstimate`] (estimate and
//! standard error) through a normal likelihood; the updates are closed-form
//! (Spiegelhalter, Abrams and Myles 2004, ch. 3; Schmidli et al. 2014,
//! Biometrics 70:1023 for the robust mixture and the MAP prior).
//!
//! The functions are pure and nothing here is wired into the engine yet.
//! Invalid input is a [`BayesError`], never a NaN.

pub mod map;
pub mod mixture;
pub mod normal;

pub use map::{MapPrior, Study};
pub use mixture::{Component, Mixture};
pub use normal::{Gaussian, TrialEstimate};

/// Why a Bayesian building block refused its input.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
pub enum BayesError {
    /// A value that must be a finite number is not (`what` names it).
    #[error("{what} must be a finite number, got {value}")]
    NotFinite {
        /// Which input.
        what: &'static str,
        /// The value given.
        value: f64,
    },
    /// A standard deviation or standard error that is not positive.
    #[error("{what} must be positive, got {value}")]
    NonPositiveSd {
        /// Which input.
        what: &'static str,
        /// The value given.
        value: f64,
    },
    /// A mixture weight below 0 or above 1.
    #[error("a mixture weight must lie in [0, 1], got {weight}")]
    WeightOutOfRange {
        /// The weight given.
        weight: f64,
    },
    /// Mixture weights whose sum is not 1 within [`mixture::WEIGHT_TOLERANCE`].
    #[error("mixture weights must sum to 1 (within 1e-9), got {sum}")]
    WeightsDoNotSumToOne {
        /// The sum of the weights given.
        sum: f64,
    },
    /// A mixture without components, or a MAP prior without studies.
    #[error("at least one mixture component or historical study is needed")]
    Empty,
    /// A MAP mixture approximation asked for a number of components other
    /// than 1 to 3.
    #[error("a MAP mixture approximation has 1 to 3 components, asked for {0}")]
    ComponentCount(usize),
}

/// Checks that `value` is finite.
fn finite(what: &'static str, value: f64) -> Result<f64, BayesError> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(BayesError::NotFinite { what, value })
    }
}

/// Checks that `value` is a finite positive number (an SD or SE).
fn positive(what: &'static str, value: f64) -> Result<f64, BayesError> {
    if finite(what, value)? > 0.0 {
        Ok(value)
    } else {
        Err(BayesError::NonPositiveSd { what, value })
    }
}
