//! The two-sample log-rank test of the time to flare, MSC against control
//! (Mantel 1966; Peto and Peto 1972), as R's `survival::survdiff`.
//!
//! At each distinct flare time `t_i`, with `n_i` at risk (`n_1i` on MSC) and
//! `d_i` flaring, MSC is expected `E_i = d_i n_1i / n_i` of the flares, with
//! hypergeometric variance `V_i = d_i (n_1i / n_i)(1 - n_1i / n_i)(n_i - d_i) / (n_i - 1)`.
//! The statistic is `z = (O - E) / sqrt(V)` summed over flare times, and
//! `z^2` is `survdiff`'s chi-square on 1 degree of freedom. A negative
//! `O - E` means MSC had fewer flares than its share of the risk sets: the
//! direction of [`Alternative::Less`].

use super::{Alternative, AnalysisFailure, FollowUp, SurvivalScratch, normal_p_value, risk_sets};

/// The log-rank test's result.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LogRank {
    /// Flares observed on MSC.
    pub observed: f64,
    /// Flares expected on MSC under equal hazards.
    pub expected: f64,
    /// The hypergeometric variance of `observed - expected`.
    pub variance: f64,
    /// `(observed - expected) / sqrt(variance)`: negative when MSC flares less.
    pub z: f64,
    /// `p` for the requested alternative (two-sided: that of `z^2` on a
    /// chi-square with 1 degree of freedom, as `survdiff`).
    pub p: f64,
}

impl LogRank {
    /// `survdiff`'s chi-square statistic, `z^2`.
    pub fn chi_square(&self) -> f64 {
        self.z * self.z
    }

    /// Observed minus expected flares on MSC: the test's direction.
    pub fn observed_minus_expected(&self) -> f64 {
        self.observed - self.expected
    }
}

/// The log-rank test of MSC against control. [`Alternative::Less`]: MSC's
/// hazard of flare is lower.
///
/// # Errors
/// [`AnalysisFailure::TooFewPatients`] for an empty arm;
/// [`AnalysisFailure::ZeroVariance`] when no flare happened while both arms
/// were at risk (no flares at all, for one);
/// [`AnalysisFailure::NotFinite`] for a time that is not a finite number.
///
/// ```
/// use trialsim::analysis::{Alternative, survival::{FollowUp, SurvivalScratch, logrank::logrank}};
/// let msc = [FollowUp::flare(2.0)];
/// let control = [FollowUp::flare(1.0)];
/// let mut scratch = SurvivalScratch::default();
/// let r = logrank(&msc, &control, Alternative::TwoSided, &mut scratch).unwrap();
/// // survdiff: observed 1, expected 1.5, variance 0.25, chi-square 1.
/// assert_eq!((r.observed, r.expected, r.variance, r.chi_square()), (1.0, 1.5, 0.25, 1.0));
/// ```
pub fn logrank(
    msc: &[FollowUp],
    control: &[FollowUp],
    alternative: Alternative,
    scratch: &mut SurvivalScratch,
) -> Result<LogRank, AnalysisFailure> {
    risk_sets(msc, control, scratch)?;
    let (mut observed, mut expected, mut variance) = (0.0, 0.0, 0.0);
    for r in &scratch.risk_sets {
        let (n, d) = (r.at_risk(), r.flares());
        let share = r.msc_at_risk / n;
        observed += r.msc_flares;
        expected += d * share;
        if n > 1.0 {
            variance += d * share * (1.0 - share) * (n - d) / (n - 1.0);
        }
    }
    if variance <= 0.0 {
        return Err(AnalysisFailure::ZeroVariance);
    }
    let z = (observed - expected) / variance.sqrt();
    Ok(LogRank {
        observed,
        expected,
        variance,
        z,
        p: normal_p_value(z, alternative),
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A reference data set: each arm's `(time, status)`, status 1 a flare.
    pub(crate) struct DataSet {
        pub msc: &'static [(f64, u8)],
        pub control: &'static [(f64, u8)],
    }

    impl DataSet {
        pub fn arms(&self) -> (Vec<FollowUp>, Vec<FollowUp>) {
            let conv = |v: &[(f64, u8)]| {
                v.iter()
                    .map(|&(time, s)| FollowUp {
                        time,
                        flare: s == 1,
                    })
                    .collect()
            };
            (conv(self.msc), conv(self.control))
        }
    }

    // The reference data sets, shared with cox.rs. In R (arm = 1 for MSC):
    //   A = data.frame(time = c(2,3,3,5,6,6,8,9,11,12,  1,2,2,4,5,6,7),
    //                  status = c(1,1,0,1,1,0,0,1,0,1,  1,1,1,1,0,1,1),
    //                  arm = c(rep(1,10), rep(0,7)))
    //   B = data.frame(time = c(4,6,7,9,10,12,  1,3,3,5,8,8,11),
    //                  status = c(0,1,0,0,0,0,  1,1,1,0,1,1,0),
    //                  arm = c(rep(1,6), rep(0,7)))
    //   C = data.frame(time = c(1,2,2,3,3,3,4,6,6,6,6,6,  1,1,2,2,3,4,4,6),
    //                  status = c(0,1,1,1,0,1,0,1,0,0,0,0,  1,1,1,0,1,1,1,0),
    //                  arm = c(rep(1,12), rep(0,8)))
    //   D = data.frame(time = c(0.5,2.25,4.75,  0.75,1.5,2.25,2.25,3.1),
    //                  status = c(1,1,0,  1,0,1,1,1),
    //                  arm = c(1,1,1, 0,0,0,0,0))
    /// Ties within and across arms, a flare and a censoring at the same time
    /// (3 and 6), 10 MSC against 7 control.
    pub(crate) const A: DataSet = DataSet {
        msc: &[
            (2.0, 1),
            (3.0, 1),
            (3.0, 0),
            (5.0, 1),
            (6.0, 1),
            (6.0, 0),
            (8.0, 0),
            (9.0, 1),
            (11.0, 0),
            (12.0, 1),
        ],
        control: &[
            (1.0, 1),
            (2.0, 1),
            (2.0, 1),
            (4.0, 1),
            (5.0, 0),
            (6.0, 1),
            (7.0, 1),
        ],
    };
    /// MSC has a single flare; 6 against 7.
    pub(crate) const B: DataSet = DataSet {
        msc: &[(4.0, 0), (6.0, 1), (7.0, 0), (9.0, 0), (10.0, 0), (12.0, 0)],
        control: &[
            (1.0, 1),
            (3.0, 1),
            (3.0, 1),
            (5.0, 0),
            (8.0, 1),
            (8.0, 1),
            (11.0, 0),
        ],
    };
    /// Visit-month times with heavy ties, 12 against 8.
    pub(crate) const C: DataSet = DataSet {
        msc: &[
            (1.0, 0),
            (2.0, 1),
            (2.0, 1),
            (3.0, 1),
            (3.0, 0),
            (3.0, 1),
            (4.0, 0),
            (6.0, 1),
            (6.0, 0),
            (6.0, 0),
            (6.0, 0),
            (6.0, 0),
        ],
        control: &[
            (1.0, 1),
            (1.0, 1),
            (2.0, 1),
            (2.0, 0),
            (3.0, 1),
            (4.0, 1),
            (4.0, 1),
            (6.0, 0),
        ],
    };
    /// Fractional times, 3 against 5, one tie across arms.
    pub(crate) const D: DataSet = DataSet {
        msc: &[(0.5, 1), (2.25, 1), (4.75, 0)],
        control: &[(0.75, 1), (1.5, 0), (2.25, 1), (2.25, 1), (3.1, 1)],
    };

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-8 * b.abs().max(1.0)
    }

    // Reference: R 4.2.2, survival 3.5.3, for each data set above:
    //   sd <- survdiff(Surv(time, status) ~ arm, data = d)
    //   f(sd$chisq); f(sd$obs[2]); f(sd$exp[2]); f(sd$var[1,1])
    // (the second group, arm = 1, is MSC)
    //   f(pchisq(sd$chisq, 1, lower.tail = FALSE))
    // with f <- function(x) sprintf("%.17g", x). Columns: chi-square,
    // observed and expected on MSC, variance, two-sided p.
    #[test]
    fn matches_r_survdiff() {
        let expected = [
            (
                &A,
                3.921_999_857_138_165,
                6.0,
                8.791_906_622_788_977,
                1.987_440_814_457_519_3,
                0.047_658_154_998_175_03,
            ),
            (
                &B,
                3.255_203_194_501_877_6,
                1.0,
                3.086_538_461_538_461_7,
                1.337_441_164_604_626,
                0.071_197_112_440_345_97,
            ),
            (
                &C,
                2.689_525_846_688_808_6,
                5.0,
                7.384_766_214_177_979,
                2.114_539_967_439_397_6,
                0.101_009_867_713_759_57,
            ),
            (
                &D,
                0.124_101_266_438_764_48,
                2.0,
                2.360_714_285_714_285_8,
                1.048_456_632_653_061_3,
                0.724_628_213_278_876_5,
            ),
        ];
        let mut s = SurvivalScratch::default();
        for (i, (data, chisq, obs, exp, var, p)) in expected.into_iter().enumerate() {
            let (msc, control) = data.arms();
            let r = logrank(&msc, &control, Alternative::TwoSided, &mut s).unwrap();
            assert!(close(r.chi_square(), chisq), "set {i}: {r:?}");
            assert!(
                close(r.observed, obs) && close(r.expected, exp),
                "set {i}: {r:?}"
            );
            assert!(close(r.variance, var), "set {i}: {r:?}");
            assert!(close(r.p, p), "set {i}: {r:?}");
        }
    }

    // Reference: R 4.2.2, survival 3.5.3, data set A:
    //   z <- (sd$obs[2] - sd$exp[2]) / sqrt(sd$var[2,2])
    //   f(z); f(pnorm(z)); f(pnorm(-z))
    #[test]
    fn one_sided_follows_observed_minus_expected() {
        let (msc, control) = A.arms();
        let mut s = SurvivalScratch::default();
        let less = logrank(&msc, &control, Alternative::Less, &mut s).unwrap();
        assert!(close(less.z, -1.980_403_963_119_182_8), "{less:?}");
        assert!(less.observed_minus_expected() < 0.0);
        assert!(close(less.p, 0.023_829_077_499_087_36));
        let greater = logrank(&msc, &control, Alternative::Greater, &mut s).unwrap();
        assert!(close(greater.p, 0.976_170_922_500_912_6));
        // Swapping the arms flips the sign and nothing else.
        let swapped = logrank(&control, &msc, Alternative::Greater, &mut s).unwrap();
        assert!(close(swapped.z, 1.980_403_963_119_182_8) && close(swapped.p, less.p));
    }

    // Reference: R 4.2.2, survival 3.5.3:
    //   m <- data.frame(time = c(3,5,8,9, 1,2,4,6,7), status = c(0,0,0,0, 1,1,1,0,1),
    //                   arm = c(1,1,1,1, 0,0,0,0,0))
    //   survdiff(Surv(time, status) ~ arm, data = m): chisq 4.598726114649681,
    //   observed 0 and expected 2.1111111111111107 on MSC, var 0.96913580246913567
    #[test]
    fn all_flares_in_one_arm_is_still_a_test() {
        let msc = [3.0, 5.0, 8.0, 9.0].map(FollowUp::censored);
        let control = [
            FollowUp::flare(1.0),
            FollowUp::flare(2.0),
            FollowUp::flare(4.0),
            FollowUp::censored(6.0),
            FollowUp::flare(7.0),
        ];
        let mut s = SurvivalScratch::default();
        let r = logrank(&msc, &control, Alternative::TwoSided, &mut s).unwrap();
        assert!(close(r.chi_square(), 4.598_726_114_649_681), "{r:?}");
        assert!(close(r.expected, 2.111_111_111_111_110_7));
        assert!(close(r.variance, 0.969_135_802_469_135_7));
        assert_eq!(r.observed, 0.0);
    }

    // Reference: R 4.2.2, survival 3.5.3:
    //   survdiff(Surv(c(2, 1), c(1, 1)) ~ c(1, 0)): chisq 1, observed 1 and
    //   expected 1.5 on MSC, var 0.25 (the last flare, alone at risk, adds none)
    #[test]
    fn a_single_patient_per_arm_matches_r() {
        let mut s = SurvivalScratch::default();
        let msc = [FollowUp::flare(2.0)];
        let control = [FollowUp::flare(1.0)];
        let r = logrank(&msc, &control, Alternative::TwoSided, &mut s).unwrap();
        assert_eq!((r.observed, r.expected, r.variance), (1.0, 1.5, 0.25));
        assert!(close(r.chi_square(), 1.0) && close(r.p, 0.317_310_507_862_914_1));
    }

    #[test]
    fn no_flares_fails_rather_than_divide_by_zero() {
        let mut s = SurvivalScratch::default();
        let msc = [FollowUp::censored(1.0), FollowUp::censored(2.0)];
        let control = [FollowUp::censored(1.5)];
        assert_eq!(
            logrank(&msc, &control, Alternative::TwoSided, &mut s),
            Err(AnalysisFailure::ZeroVariance)
        );
        // Flares only after one arm has left the risk set carry no information.
        let late = [FollowUp::censored(1.0), FollowUp::flare(3.0)];
        assert_eq!(
            logrank(&late, &control, Alternative::TwoSided, &mut s),
            Err(AnalysisFailure::ZeroVariance)
        );
        assert_eq!(
            logrank(&[], &control, Alternative::TwoSided, &mut s),
            Err(AnalysisFailure::TooFewPatients)
        );
    }
}
