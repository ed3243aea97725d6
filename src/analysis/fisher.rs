//! Fisher's exact test on a 2x2 table of responders, and the risk difference.
//!
//! The two-sided p-value sums the probabilities of every table, with the same
//! margins, that is no more likely than the one observed (R's `fisher.test`,
//! with its relative tolerance of 1e-7 for ties in probability).

use super::{
    Alternative, Analysis, AnalysisFailure, ArmView, EffectScale, Interval, Scratch, Significance,
    TestResult,
};
use crate::stats::wilson_interval;

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
/// assert!((r.p_value() - 34.0 / 70.0).abs() < 1e-12);
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
    let difference = r1 as f64 / n1 as f64 - r0 as f64 / n0 as f64;
    Ok(TestResult {
        estimate: difference,
        significance: Significance::P {
            p: p_value,
            direction: difference,
        },
        interval: newcombe(r1, n1, r0, n0),
    })
}

/// Newcombe's hybrid score interval for a difference of proportions (method
/// 10 of Newcombe, Stat Med 1998), built from the two Wilson intervals.
pub fn newcombe(r1: usize, n1: usize, r0: usize, n0: usize) -> Interval {
    let (p1, p0) = (r1 as f64 / n1 as f64, r0 as f64 / n0 as f64);
    let (l1, u1) = wilson_interval(r1 as u64, n1 as u64);
    let (l0, u0) = wilson_interval(r0 as u64, n0 as u64);
    let d = p1 - p0;
    Interval::Bounds(
        d - ((p1 - l1).powi(2) + (u0 - p0).powi(2)).sqrt(),
        d + ((u1 - p1).powi(2) + (p0 - l0).powi(2)).sqrt(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Table `[[r1, n1 - r1], [r0, n0 - r0]]` as scipy writes it.
    fn p(table: [[usize; 2]; 2], alt: Alternative) -> f64 {
        let [[a, b], [c, d]] = table;
        let lf = LogFactorials::new(a + b + c + d);
        fisher_exact(a, a + b, c, c + d, alt, &lf)
            .unwrap()
            .p_value()
    }

    #[test]
    fn lady_tasting_tea() {
        // Fisher (1935): 3 of 4 cups right; one-sided 17/70, two-sided 34/70.
        assert!((p([[3, 1], [1, 3]], Alternative::Greater) - 17.0 / 70.0).abs() < 1e-12);
        assert!((p([[3, 1], [1, 3]], Alternative::TwoSided) - 34.0 / 70.0).abs() < 1e-12);
    }

    #[test]
    fn matches_scipy() {
        // scipy 1.17.1 stats.fisher_exact: (two-sided, greater, less).
        let cases = [
            (
                [[7, 2], [3, 8]],
                [
                    0.069_778_518_694_927_35,
                    0.034_889_259_347_463_675,
                    0.997_261_252_679_209_3,
                ],
            ),
            (
                [[10, 20], [2, 28]],
                [
                    0.021_145_246_343_534_3,
                    0.010_572_623_171_767_15,
                    0.998_767_069_482_430_9,
                ],
            ),
            (
                [[0, 6], [5, 1]],
                [0.015_151_515_151_515_15, 1.0, 0.007_575_757_575_757_575],
            ),
        ];
        for (table, [two, greater, less]) in cases {
            assert!(
                (p(table, Alternative::TwoSided) - two).abs() < 1e-12,
                "{table:?}"
            );
            assert!(
                (p(table, Alternative::Greater) - greater).abs() < 1e-12,
                "{table:?}"
            );
            assert!(
                (p(table, Alternative::Less) - less).abs() < 1e-12,
                "{table:?}"
            );
        }
    }

    #[test]
    fn newcombe_matches_the_published_example() {
        // Newcombe (Stat Med 1998), Table II example (a): 56/70 vs 48/80:
        // difference 0.2, method 10 interval 0.0524 to 0.3339.
        let Interval::Bounds(lo, hi) = newcombe(56, 70, 48, 80) else {
            panic!()
        };
        assert!((lo - 0.0524).abs() < 5e-4, "{lo}");
        assert!((hi - 0.3339).abs() < 5e-4, "{hi}");
    }

    #[test]
    fn estimate_is_risk_difference_and_degenerate_tables_give_one() {
        let lf = LogFactorials::new(20);
        let r = fisher_exact(6, 10, 3, 10, Alternative::TwoSided, &lf).unwrap();
        assert!((r.estimate - 0.3).abs() < 1e-15);
        assert_eq!(
            fisher_exact(0, 10, 0, 10, Alternative::TwoSided, &lf)
                .unwrap()
                .p_value(),
            1.0
        );
        assert_eq!(
            fisher_exact(10, 10, 10, 10, Alternative::TwoSided, &lf)
                .unwrap()
                .p_value(),
            1.0
        );
    }
}

/// Fisher's exact test of the responder proportions (a fall of at least
/// `threshold` from baseline), with log-factorials prepared once per cell.
#[derive(Debug, Clone)]
pub struct FisherResponder {
    pub alternative: Alternative,
    pub threshold: f64,
    pub log_factorials: LogFactorials,
}

impl Analysis for FisherResponder {
    #[inline]
    fn analyse(
        &self,
        msc: ArmView<'_>,
        control: ArmView<'_>,
        _: &mut Scratch,
    ) -> Result<TestResult, AnalysisFailure> {
        let count = |arm: &ArmView<'_>| {
            arm.change
                .iter()
                .filter(|&&c| EffectScale::responds(self.threshold, c))
                .count()
        };
        fisher_exact(
            count(&msc),
            msc.change.len(),
            count(&control),
            control.change.len(),
            self.alternative,
            &self.log_factorials,
        )
    }
}
