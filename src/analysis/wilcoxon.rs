//! Wilcoxon rank-sum (Mann-Whitney) test with the Hodges-Lehmann shift estimate.
//!
//! Follows R's `wilcox.test(x, y)`: the exact null distribution of U when both
//! arms have fewer than 50 patients and there are no ties; otherwise the normal
//! approximation with the tie-corrected variance and a continuity correction.

use statrs::distribution::{ContinuousCDF, Normal};

use super::{Alternative, AnalysisFailure, TestResult};

/// Arms smaller than this (both) get the exact test when there are no ties.
pub const EXACT_BELOW: usize = 50;

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

    Ok(TestResult {
        estimate: hodges_lehmann(x, y, &mut scratch.differences),
        p_value,
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
