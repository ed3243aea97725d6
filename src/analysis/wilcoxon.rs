//! Wilcoxon rank-sum (Mann-Whitney) test with the Hodges-Lehmann shift estimate.
//!
//! Follows R's `wilcox.test(x, y)`: the exact null distribution of U when both
//! arms have fewer than 50 patients and there are no ties; otherwise the normal
//! approximation with the tie-corrected variance and a continuity correction.

use statrs::distribution::{ContinuousCDF, Normal};

use super::{
    Alternative, Analysis, AnalysisFailure, ArmView, Interval, Scratch, Significance, TestResult,
};

/// Arms smaller than this (both) get the exact test when there are no ties.
pub const EXACT_BELOW: usize = 50;

/// Most MSC-control pairs the Hodges-Lehmann estimate may hold (32 MB per
/// worker); validation refuses larger arms.
pub const MAX_PAIRS: f64 = 4e6;

/// Exact null distribution of the Mann-Whitney U for arm sizes `(m, n)`:
/// `cdf[u] = P(U <= u)`, built once per sample size.
#[derive(Debug, Clone)]
pub struct ExactU {
    m: usize,
    n: usize,
    cdf: Vec<f64>,
}

impl ExactU {
    /// Counts the rank arrangements with each U by the recurrence on the largest
    /// observation, `c(m, n, u) = c(m - 1, n, u - n) + c(m, n - 1, u)`, in
    /// floating point (additions only, so relative error stays tiny).
    pub fn new(m: usize, n: usize) -> ExactU {
        let max_u = m * n;
        // counts[i][u]: arrangements of i x-values among j y-values (j grows).
        let mut counts = vec![vec![0.0f64; max_u + 1]; m + 1];
        for row in counts.iter_mut() {
            row[0] = 1.0; // j = 0: every x ranks below nothing, U = 0.
        }
        for j in 1..=n {
            // Adding the j-th y; c(i, j, u) = c(i - 1, j, u - j) + c(i, j - 1, u).
            for i in 1..=m {
                let (done, rest) = counts.split_at_mut(i);
                let prev = &done[i - 1];
                let cur = &mut rest[0];
                for u in (j..=(i * j)).rev() {
                    cur[u] += prev[u - j];
                }
            }
        }
        let total: f64 = counts[m].iter().sum();
        let mut acc = 0.0;
        let cdf = counts[m]
            .iter()
            .map(|&c| {
                acc += c;
                (acc / total).min(1.0)
            })
            .collect();
        ExactU { m, n, cdf }
    }

    /// `P(U <= u)`.
    pub fn cdf(&self, u: usize) -> f64 {
        self.cdf[u.min(self.m * self.n)]
    }

    /// `P(U >= u)`.
    pub fn sf(&self, u: usize) -> f64 {
        if u == 0 { 1.0 } else { 1.0 - self.cdf(u - 1) }
    }
}

/// Reusable buffers for [`wilcoxon`], so a replicate allocates nothing.
#[derive(Debug, Default, Clone)]
pub struct WilcoxonScratch {
    pooled: Vec<(f64, bool)>,
    differences: Vec<f64>,
}

/// Wilcoxon rank-sum test of `x` against `y`; the estimate is the
/// Hodges-Lehmann shift, the median of all `x_i - y_j`.
///
/// `exact` is the distribution for `(x.len(), y.len())`, used when there are no
/// ties; pass `None` to always use the normal approximation.
///
/// # Errors
/// [`AnalysisFailure::TooFewPatients`] for an empty arm;
/// [`AnalysisFailure::ZeroVariance`] if every value is tied.
pub fn wilcoxon(
    x: &[f64],
    y: &[f64],
    alternative: Alternative,
    exact: Option<&ExactU>,
    scratch: &mut WilcoxonScratch,
) -> Result<TestResult, AnalysisFailure> {
    if x.is_empty() || y.is_empty() {
        return Err(AnalysisFailure::TooFewPatients);
    }
    let (m, n) = (x.len(), y.len());
    let total = (m + n) as f64;

    let pooled = &mut scratch.pooled;
    pooled.clear();
    pooled.extend(x.iter().map(|&v| (v, true)));
    pooled.extend(y.iter().map(|&v| (v, false)));
    pooled.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));

    // Midranks; sum of ranks of x, and the tie term sum(t^3 - t).
    let mut rank_sum_x = 0.0;
    let mut ties = 0.0;
    let mut start = 0;
    while start < pooled.len() {
        let mut end = start + 1;
        while end < pooled.len() && pooled[end].0 == pooled[start].0 {
            end += 1;
        }
        let t = (end - start) as f64;
        let midrank = (start + end + 1) as f64 / 2.0;
        let in_x = pooled[start..end].iter().filter(|p| p.1).count() as f64;
        rank_sum_x += midrank * in_x;
        ties += t * t * t - t;
        start = end;
    }
    let u = rank_sum_x - (m * (m + 1)) as f64 / 2.0;

    let p_value = match exact {
        Some(dist) if ties == 0.0 && dist.m == m && dist.n == n => {
            let u = u.round() as usize;
            match alternative {
                Alternative::Less => dist.cdf(u),
                Alternative::Greater => dist.sf(u),
                Alternative::TwoSided => (2.0 * dist.cdf(u).min(dist.sf(u))).min(1.0),
            }
        }
        _ => {
            let mn = (m * n) as f64;
            let var = mn / 12.0 * ((total + 1.0) - ties / (total * (total - 1.0)));
            if var <= 0.0 {
                return Err(AnalysisFailure::ZeroVariance);
            }
            let centred = u - mn / 2.0;
            let correction = match alternative {
                // R's sign(): 0 when U is exactly at its mean.
                Alternative::TwoSided if centred == 0.0 => 0.0,
                Alternative::TwoSided => 0.5 * centred.signum(),
                Alternative::Greater => 0.5,
                Alternative::Less => -0.5,
            };
            let z = (centred - correction) / var.sqrt();
            let normal = Normal::standard();
            match alternative {
                Alternative::Less => normal.cdf(z),
                Alternative::Greater => normal.sf(z),
                Alternative::TwoSided => (2.0 * normal.cdf(z).min(normal.sf(z))).min(1.0),
            }
        }
    };

    let estimate = hodges_lehmann(x, y, &mut scratch.differences);
    let mn = (m * n) as f64;
    // 95% interval from order statistics of the pairwise differences, as R's
    // wilcox.test(conf.int = TRUE, correct = FALSE): indices from the exact U
    // distribution when the test used it, else from its normal approximation.
    let lower_index = match exact {
        Some(dist) if ties == 0.0 && dist.m == m && dist.n == n => {
            // qwilcox(0.025): the smallest u with P(U <= u) >= 0.025, at least 1.
            let qu = (0..=m * n)
                .find(|&u| dist.cdf(u) >= 0.025)
                .unwrap_or(0)
                .max(1);
            Some(qu - 1)
        }
        _ => {
            let var = mn / 12.0 * ((total + 1.0) - ties / (total * (total - 1.0)));
            let k = (mn / 2.0 - crate::stats::Z_975 * var.sqrt()).floor();
            (k >= 0.0).then_some(k as usize)
        }
    };
    let interval = match lower_index {
        None => Interval::Bounds(f64::NEG_INFINITY, f64::INFINITY),
        Some(k) => {
            let d = &mut scratch.differences;
            let lo = *d.select_nth_unstable_by(k, f64::total_cmp).1;
            let hi = *d.select_nth_unstable_by(m * n - 1 - k, f64::total_cmp).1;
            Interval::Bounds(lo, hi)
        }
    };
    Ok(TestResult {
        estimate,
        significance: Significance::P {
            p: p_value,
            direction: u - mn / 2.0,
        },
        interval,
    })
}

/// Median of all pairwise differences `x_i - y_j`, in a reused buffer.
fn hodges_lehmann(x: &[f64], y: &[f64], differences: &mut Vec<f64>) -> f64 {
    differences.clear();
    for &xi in x {
        differences.extend(y.iter().map(|&yj| xi - yj));
    }
    let len = differences.len();
    let mid = len / 2;
    let (below, &mut upper, _) = differences.select_nth_unstable_by(mid, f64::total_cmp);
    if len % 2 == 1 {
        upper
    } else {
        let lower = below.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (lower + upper) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(x: &[f64], y: &[f64], alt: Alternative, exact: bool) -> TestResult {
        let dist = ExactU::new(x.len(), y.len());
        let mut scratch = WilcoxonScratch::default();
        wilcoxon(x, y, alt, exact.then_some(&dist), &mut scratch).unwrap()
    }

    // References: scipy 1.17.1 stats.mannwhitneyu (method 'exact' or
    // 'asymptotic' with continuity correction), which agree with R's wilcox.test.
    #[test]
    fn exact_small_samples_match_scipy() {
        let a = [1.1, 2.5, 0.3, 4.2, 3.3];
        let b = [2.0, 5.1, 6.3, 4.9, 3.8, 7.0];
        let two = run(&a, &b, Alternative::TwoSided, true);
        // R 4.2.2 wilcox.test(a, b, conf.int = TRUE, exact = TRUE): -5.2 to 0.4.
        let Interval::Bounds(lo, hi) = two.interval else {
            panic!()
        };
        assert!(
            (lo - -5.2).abs() < 1e-12 && (hi - 0.4).abs() < 1e-12,
            "{lo} {hi}"
        );
        let small = run(
            &[0.5, 1.7, 2.9],
            &[1.2, 3.3, 4.8, 5.5],
            Alternative::TwoSided,
            true,
        );
        assert_eq!(small.interval, Interval::Bounds(-5.0, 1.7));
        assert!(
            (two.p_value() - 0.051_948_051_948_051_95).abs() < 1e-12,
            "{}",
            two.p_value()
        );
        assert!(
            (run(&a, &b, Alternative::Less, true).p_value() - 0.025_974_025_974_025_976).abs()
                < 1e-12
        );
        assert!(
            (run(&a, &b, Alternative::Greater, true).p_value() - 0.984_848_484_848_484_9).abs()
                < 1e-12
        );
        assert!((two.estimate - -2.65).abs() < 1e-12);
    }

    #[test]
    #[allow(clippy::approx_constant)] // data, not 1/pi
    fn exact_larger_samples_match_scipy() {
        let a = [
            0.346, 0.822, 0.33, -1.303, 0.905, 0.446, -0.537, 0.581, 0.365, 0.294, 0.028, 0.547,
            -0.736, -0.163, -0.482, 0.599, 0.04, -0.292, -0.782, -0.257, 0.008, -0.276, 1.294,
            1.007, -2.711, -1.889, -0.175, -0.422, 0.214, 0.217, 2.118, -1.112, -0.378, 2.043,
            0.647, 0.663, -0.514, -1.648, 0.167, 0.109,
        ];
        let b = [
            -0.727, -0.183, 0.428, -0.445, 0.402, 0.595, 0.536, -0.006, 1.094, 1.391, 0.821,
            -0.318, 1.232, -0.001, 1.379, -0.572, 1.414, 0.48, -0.749, 0.186, 0.554, 0.773,
            -0.4825, -0.607, 0.7, 0.033, 0.736, 1.26, -1.149, 0.754, 1.725, 0.202, -0.311, 1.252,
            0.753, 1.396, 0.155, -0.982, 0.39, 0.054, 1.275, 0.694, -1.131, -0.695, 1.384,
        ];
        let two = run(&a, &b, Alternative::TwoSided, true);
        assert!(
            (two.p_value() - 0.083_619_055_601_816_87).abs() < 1e-10,
            "{}",
            two.p_value()
        );
        let less = run(&a, &b, Alternative::Less, true);
        assert!((less.p_value() - 0.041_809_527_800_908_436).abs() < 1e-10);
        assert!((two.estimate - -0.358).abs() < 1e-12);
    }

    #[test]
    fn ties_use_corrected_normal_approximation() {
        let c = [1.0, 2.0, 2.0, 3.0, 4.0, 4.0, 5.0];
        let d = [3.0, 4.0, 4.0, 5.0, 6.0, 6.0, 7.0, 8.0];
        // With ties the exact table is not used even when offered.
        let two = run(&c, &d, Alternative::TwoSided, true);
        assert!(
            (two.p_value() - 0.022_287_319_014_553_01).abs() < 1e-12,
            "{}",
            two.p_value()
        );
        assert!(
            (run(&c, &d, Alternative::Less, true).p_value() - 0.011_143_659_507_276_506).abs()
                < 1e-12
        );
        assert!(
            (run(&c, &d, Alternative::Greater, true).p_value() - 0.991_861_333_208_747_5).abs()
                < 1e-12
        );
        assert_eq!(two.estimate, -2.0);
    }

    #[test]
    fn exact_distribution_is_symmetric_and_sums_to_one() {
        let d = ExactU::new(7, 9);
        assert!((d.cdf(63) - 1.0).abs() < 1e-15);
        for u in 0..=63 {
            assert!((d.cdf(u) - d.sf(63 - u)).abs() < 1e-12);
        }
        // P(U = 0) = 1 / C(16, 7) = 1 / 11440.
        assert!((d.cdf(0) - 1.0 / 11440.0).abs() < 1e-18);
    }

    #[test]
    fn u_at_its_mean_gives_p_one_like_r() {
        // x = [1, 2], y = [1, 2]: U = mn/2; R's wilcox.test gives p = 1.
        let r = run(&[1.0, 2.0], &[1.0, 2.0], Alternative::TwoSided, true);
        assert_eq!(r.p_value(), 1.0);
    }

    #[test]
    fn all_tied_fails() {
        let mut s = WilcoxonScratch::default();
        assert_eq!(
            wilcoxon(
                &[1.0, 1.0],
                &[1.0, 1.0, 1.0],
                Alternative::TwoSided,
                None,
                &mut s
            ),
            Err(AnalysisFailure::ZeroVariance)
        );
    }
}

/// The Wilcoxon rank-sum test on the change from baseline, with its exact
/// null distribution prepared once per cell when the arms are small.
#[derive(Debug, Clone)]
pub struct Wilcoxon {
    pub alternative: Alternative,
    pub exact: Option<ExactU>,
}

impl Wilcoxon {
    /// Prepares the test for arms of `m` and `n` patients.
    pub fn new(alternative: Alternative, m: usize, n: usize) -> Wilcoxon {
        Wilcoxon {
            alternative,
            exact: (m < EXACT_BELOW && n < EXACT_BELOW).then(|| ExactU::new(m, n)),
        }
    }
}

impl Analysis for Wilcoxon {
    #[inline]
    fn analyse(
        &self,
        msc: ArmView<'_>,
        control: ArmView<'_>,
        scratch: &mut Scratch,
    ) -> Result<TestResult, AnalysisFailure> {
        wilcoxon(
            msc.change,
            control.change,
            self.alternative,
            self.exact.as_ref(),
            &mut scratch.wilcoxon,
        )
    }
}
