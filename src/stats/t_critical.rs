//! Student-t critical values for any degrees of freedom, without a
//! distribution call per replicate: the quantile is decreasing in the
//! degrees of freedom, so exact quantiles on a grid of df bracket it, and
//! only a statistic inside the bracket (about 1 in 1,000 near the edge) needs
//! the exact p-value. Decisions are those of the p-value itself.

use statrs::distribution::{ContinuousCDF, StudentsT};

/// Grid points per factor e of df, from df 1 to [`LARGEST_DF`].
const POINTS_PER_E: f64 = 40.0;
const LARGEST_DF: f64 = 1e6;
/// A statistic this close (relatively) to a grid quantile is left to the exact p-value.
const MARGIN: f64 = 1e-9;

/// The upper-tail quantile `q(df)` with `P(T > q) = tail`, bracketed on a grid.
#[derive(Debug, Clone)]
pub struct TCritical {
    quantiles: Vec<f64>,
}

impl TCritical {
    /// Critical values for upper tail probability `tail` (0 < tail < 0.5).
    pub fn new(tail: f64) -> TCritical {
        let points = (LARGEST_DF.ln() * POINTS_PER_E).ceil() as usize + 1;
        let quantiles = (0..points)
            .map(|k| {
                StudentsT::new(0.0, 1.0, Self::df(k))
                    .map_or(f64::NAN, |t| t.inverse_cdf(1.0 - tail))
            })
            .collect();
        TCritical { quantiles }
    }

    fn df(k: usize) -> f64 {
        (k as f64 / POINTS_PER_E).exp()
    }

    /// Whether `t >= q(df)`, when the grid decides it; `None` when `t` falls
    /// between the bracketing quantiles (or `df` is off the grid).
    #[inline]
    pub fn at_least(&self, t: f64, df: f64) -> Option<bool> {
        if !(1.0..LARGEST_DF).contains(&df) {
            return None;
        }
        let mut k = (df.ln() * POINTS_PER_E) as usize;
        // The index from a logarithm may be one off at a grid point.
        if Self::df(k) > df {
            k = k.checked_sub(1)?;
        }
        if Self::df(k + 1) <= df {
            k += 1;
        }
        let (upper, lower) = (*self.quantiles.get(k)?, *self.quantiles.get(k + 1)?);
        if t >= upper * (1.0 + MARGIN) {
            Some(true)
        } else if t < lower * (1.0 - MARGIN) {
            Some(false)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Wherever the grid decides, it agrees with the quantile at that df.
    #[test]
    fn agrees_with_the_exact_quantile() {
        let grid = TCritical::new(0.025);
        let mut decided = 0;
        for i in 0..4000 {
            let df = 1.0 + i as f64 * 0.37;
            let q = StudentsT::new(0.0, 1.0, df).unwrap().inverse_cdf(0.975);
            for t in [q * 0.999, q * 0.99999, q * 1.00001, q * 1.001, 0.0, 9.0] {
                if let Some(at_least) = grid.at_least(t, df) {
                    assert_eq!(at_least, t >= q, "df {df} t {t} q {q}");
                    decided += 1;
                }
            }
        }
        assert!(decided > 4000 * 4, "the grid decided only {decided}");
    }
}
