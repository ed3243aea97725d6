//! Mergeable accumulators: what a batch of replicates leaves behind.
//!
//! Memory is constant in the number of replicates: each batch folds its
//! replicates into a [`Summary`], and batches are merged in index order, so the
//! result is bit-identical whatever the thread count.

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

    /// Standard error of the mean.
    pub fn se(&self) -> f64 {
        if self.n == 0 {
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

/// Everything recorded about a set of replicates of one sample-size cell.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub replicates: u64,
    /// Replicates whose analysis rejected the null hypothesis.
    pub rejections: u64,
    /// Replicates whose analysis failed (counted as not rejecting).
    pub failures: u64,
    /// Single arm: series whose mean fall reached the reported improvement.
    pub successes: u64,
    /// Replicates whose 95% interval contained the estimand's true value.
    pub covered: u64,
    /// Effect estimates of the analyses that ran.
    pub estimate: Welford,
    /// Sample-average true MSC effect (no concomitant therapy), every replicate.
    pub truth: Welford,
    /// Sample-average true value of the chosen estimand, every replicate.
    pub estimand_truth: Welford,
    /// Estimate minus that replicate's true MSC effect, where the analysis ran.
    pub error: Welford,
    /// With intercurrent events: estimate minus MSC's own effect under each
    /// strategy (indexed like `Strategy::ALL`; empty where not applicable).
    pub strategy_error: Vec<Welford>,
    /// With intercurrent events: `[msc, control]`.
    pub arms: Vec<ArmStats>,
}

/// Per-arm intercurrent-event figures; each Welford is over replicates of the
/// per-trial proportion (or mean), so its SE is right even when patients of
/// one trial share a drawn hazard ratio.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ArmStats {
    pub flare_by_primary: Welford,
    pub flare_in_follow_up: Welford,
    pub flares_per_patient: Welford,
    pub rescue: Welford,
    /// One per concomitant therapy, in file order.
    pub concomitant: Vec<Welford>,
    /// Patients whose first flare came by week `w` (index), summed over replicates.
    pub flared_by_week: Vec<u64>,
    pub patients: u64,
}

impl ArmStats {
    /// Folds `other` (later replicates) into `self`.
    pub fn merge(&mut self, other: &ArmStats) {
        self.flare_by_primary.merge(&other.flare_by_primary);
        self.flare_in_follow_up.merge(&other.flare_in_follow_up);
        self.flares_per_patient.merge(&other.flares_per_patient);
        self.rescue.merge(&other.rescue);
        merge_vec(&mut self.concomitant, &other.concomitant, |a, b| a.merge(b));
        merge_vec(&mut self.flared_by_week, &other.flared_by_week, |a, b| {
            *a += b
        });
        self.patients += other.patients;
    }
}

/// Element-wise merge, adopting `other`'s length when `target` is empty.
fn merge_vec<T: Clone + Default>(target: &mut Vec<T>, other: &[T], f: impl Fn(&mut T, &T)) {
    if target.len() < other.len() {
        target.resize(other.len(), T::default());
    }
    for (a, b) in target.iter_mut().zip(other) {
        f(a, b);
    }
}

impl Summary {
    /// Folds `other` (later replicates) into `self`.
    pub fn merge(&mut self, other: &Summary) {
        self.replicates += other.replicates;
        self.rejections += other.rejections;
        self.failures += other.failures;
        self.successes += other.successes;
        self.covered += other.covered;
        self.estimate.merge(&other.estimate);
        self.truth.merge(&other.truth);
        self.estimand_truth.merge(&other.estimand_truth);
        self.error.merge(&other.error);
        merge_vec(&mut self.strategy_error, &other.strategy_error, |a, b| {
            a.merge(b)
        });
        merge_vec(&mut self.arms, &other.arms, |a, b| a.merge(b));
    }
}

/// 97.5% standard normal quantile.
pub const Z_975: f64 = 1.959_963_984_540_054;

/// Wilson score interval for `k` successes in `n` trials at 95%.
pub fn wilson_interval(k: u64, n: u64) -> (f64, f64) {
    if n == 0 {
        return (f64::NAN, f64::NAN);
    }
    let n = n as f64;
    let p = k as f64 / n;
    let z2 = Z_975 * Z_975;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = Z_975 / (1.0 + z2 / n) * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    ((centre - half).max(0.0), (centre + half).min(1.0))
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

    #[test]
    fn wilson_known_value() {
        // 8 of 10 at 95%: (0.4902, 0.9433) (Newcombe, Stat Med 1998, Table I style).
        let (lo, hi) = wilson_interval(8, 10);
        assert!((lo - 0.4902).abs() < 1e-4, "{lo}");
        assert!((hi - 0.9433).abs() < 1e-4, "{hi}");
        assert_eq!(wilson_interval(0, 5).0, 0.0);
    }
}
