//! Fisher's exact test on a 2x2 table of responders, and the risk difference.
//!
//! The two-sided p-value sums the probabilities of every table, with the same
//! margins, that is no more likely than the one observed (R's `fisher.test`,
//! with its relative tolerance of 1e-7 for ties in probability).

use super::{Alternative, AnalysisFailure, TestResult};

/// `ln(k!)` for `k = 0..=n`, built once per sample size.
#[derive(Debug, Clone)]
pub struct LogFactorials(Vec<f64>);

impl LogFactorials {
    /// Table up to `n!`.
    pub fn new(n: usize) -> LogFactorials {
        let mut table = Vec::with_capacity(n + 1);
        let mut acc = 0.0f64;
        table.push(0.0);
        for k in 1..=n {
            acc += (k as f64).ln();
            table.push(acc);
        }
        LogFactorials(table)
    }

    fn ln_choose(&self, n: usize, k: usize) -> f64 {
        self.0[n] - self.0[k] - self.0[n - k]
    }
}

/// Fisher's exact test of responders `r1` of `n1` (arm 1) against `r0` of `n0`
/// (arm 0). `Greater` means arm 1 responds more. The estimate is the risk
/// difference `r1/n1 - r0/n0`.
///
/// # Errors
/// [`AnalysisFailure::TooFewPatients`] for an empty arm.
///
/// ```
/// use trialsim::analysis::{fisher::{fisher_exact, LogFactorials}, Alternative};
/// // Fisher's tea-tasting table [[3, 1], [1, 3]]: two-sided p = 34/70.
/// let lf = LogFactorials::new(8);
/// let r = fisher_exact(3, 4, 1, 4, Alternative::TwoSided, &lf).unwrap();
/// assert!((r.p_value - 34.0 / 70.0).abs() < 1e-12);
/// ```
pub fn fisher_exact(
    r1: usize,
    n1: usize,
    r0: usize,
    n0: usize,
    alternative: Alternative,
    log_factorials: &LogFactorials,
) -> Result<TestResult, AnalysisFailure> {
    if n1 == 0 || n0 == 0 {
        return Err(AnalysisFailure::TooFewPatients);
    }
    assert!(r1 <= n1 && r0 <= n0, "responders cannot exceed arm size");
    let total = n1 + n0;
    assert!(
        log_factorials.0.len() > total,
        "log-factorial table too short"
    );
    let responders = r1 + r0;
    // X = responders in arm 1 ~ Hypergeometric(total, responders, n1).
    let lo = n1.saturating_sub(total - responders);
    let hi = responders.min(n1);
    let ln_denominator = log_factorials.ln_choose(total, n1);
    let prob = |x: usize| {
        (log_factorials.ln_choose(responders, x)
            + log_factorials.ln_choose(total - responders, n1 - x)
            - ln_denominator)
            .exp()
    };
    let p_value = match alternative {
        Alternative::Greater => (r1..=hi).map(prob).sum::<f64>(),
        Alternative::Less => (lo..=r1).map(prob).sum::<f64>(),
        Alternative::TwoSided => {
            let observed = prob(r1) * (1.0 + 1e-7);
            (lo..=hi).map(prob).filter(|&p| p <= observed).sum::<f64>()
        }
    }
    .min(1.0);
    Ok(TestResult {
        estimate: r1 as f64 / n1 as f64 - r0 as f64 / n0 as f64,
        p_value,
    })
}
