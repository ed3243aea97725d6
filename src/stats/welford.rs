//! Running mean and variance (Welford), mergeable by Chan's formula: the
//! accumulator behind every figure with a Monte Carlo SE, and behind Rubin's
//! rules.

use serde::{Deserialize, Serialize};

/// Running mean and sum of squared deviations (Welford), mergeable by Chan's
/// formula.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Welford {
    pub n: u64,
    pub mean: f64,
    pub m2: f64,
}

impl Welford {
    /// Adds one value.
    #[inline]
    pub fn push(&mut self, x: f64) {
        self.n += 1;
        let delta = x - self.mean;
        self.mean += delta / self.n as f64;
        self.m2 += delta * (x - self.mean);
    }

    /// Folds `other` into `self` (the values of `other` come after).
    pub fn merge(&mut self, other: &Welford) {
        if other.n == 0 {
            return;
        }
        if self.n == 0 {
            *self = *other;
            return;
        }
        let n = self.n + other.n;
        let delta = other.mean - self.mean;
        let w = other.n as f64 / n as f64;
        self.mean += delta * w;
        self.m2 += other.m2 + delta * delta * self.n as f64 * w;
        self.n = n;
    }

    /// Sample standard deviation (0 with fewer than 2 values).
    pub fn sd(&self) -> f64 {
        if self.n < 2 {
            0.0
        } else {
            (self.m2 / (self.n - 1) as f64).sqrt()
        }
    }

    /// Sample standard deviation, or NaN with fewer than 2 values.
    pub fn sd_or_nan(&self) -> f64 {
        if self.n < 2 { f64::NAN } else { self.sd() }
    }

    /// Standard error of the mean, or NaN with fewer than 2 values (one
    /// value says nothing about its own uncertainty).
    pub fn se(&self) -> f64 {
        if self.n < 2 {
            f64::NAN
        } else {
            self.sd() / (self.n as f64).sqrt()
        }
    }

    /// The mean, or NaN when empty.
    pub fn mean_or_nan(&self) -> f64 {
        if self.n == 0 { f64::NAN } else { self.mean }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn welford_matches_two_pass_and_merges() {
        let xs: Vec<f64> = (0..101)
            .map(|i| ((i * 37) % 17) as f64 * 0.3 - 2.0)
            .collect();
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (xs.len() - 1) as f64;
        let mut all = Welford::default();
        xs.iter().for_each(|&x| all.push(x));
        let (mut a, mut b) = (Welford::default(), Welford::default());
        xs[..40].iter().for_each(|&x| a.push(x));
        xs[40..].iter().for_each(|&x| b.push(x));
        a.merge(&b);
        for w in [all, a] {
            assert_eq!(w.n, 101);
            assert!((w.mean - mean).abs() < 1e-12);
            assert!((w.sd() - var.sqrt()).abs() < 1e-12);
        }
    }
}
