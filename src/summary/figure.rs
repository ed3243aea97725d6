//! One value type for a simulated figure and its Monte Carlo standard error.

use crate::stats::Welford;

/// A Monte Carlo estimate and its standard error.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Figure {
    pub value: f64,
    pub mc_se: f64,
}

impl Figure {
    /// The proportion `k / n` and its binomial SE `sqrt(p (1 - p) / n)`;
    /// the SE is NaN (undefined) below 2 trials, the proportion NaN at 0.
    pub fn rate(k: u64, n: u64) -> Figure {
        let p = k as f64 / n as f64;
        Figure {
            value: p,
            mc_se: if n < 2 {
                f64::NAN
            } else {
                (p * (1.0 - p) / n as f64).sqrt()
            },
        }
    }

    /// The mean of `w`'s values and its SE.
    pub fn mean(w: &Welford) -> Figure {
        Figure {
            value: w.mean,
            mc_se: w.se(),
        }
    }
}
