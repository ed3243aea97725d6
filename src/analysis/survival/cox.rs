//! The Cox proportional-hazards model with the arm as its one covariate
//! (MSC = 1), Efron's method for tied flare times (Cox 1972; Efron 1977), as
//! R's `coxph(Surv(time, status) ~ arm, ties = "efron")`.
//!
//! At a flare time with `d` flares (`d_1` on MSC), `n_0` control and `n_1` MSC
//! patients at risk, Efron's partial likelihood with `r = exp(beta)` is
//! `prod_{k<d} r^(d_1/d) / ((n_0 - k d_0 / d) + r (n_1 - k d_1 / d))`. With one
//! binary covariate its score is `sum (d_1 - sum_k p_k)` and its information
//! `sum_k p_k (1 - p_k)`, `p_k` the MSC share of the `k`-th denominator.
//! Newton-Raphson from `beta = 0` on the score, which falls strictly in
//! `beta` and so has one root, the maximum: a step that leaves the score
//! larger in size is halved (damped Newton for a root), and every point
//! evaluated narrows a bracket around the root by the sign of its score. In
//! floating point the score flattens where `exp(beta)` swamps the other
//! arm, with no information left and an infinite Newton step there; a step
//! past the bracket, or not finite, goes halfway to the bracket's far end
//! instead. The fit runs to a step below 1e-10. R halves a step that lowers
//! the likelihood and stops at a relative likelihood change of 1e-9, which
//! leaves its `coef` within about 1e-8 of the maximum; guarding on the score
//! needs no logarithm per flare, and no step is halved for rounding noise
//! alone (near the maximum the likelihood's change, quadratic in the step,
//! falls below its own rounding noise long before the score's does).
//! The likelihood itself is computed only on request ([`log_likelihood`]).
//!
//! The maximum is finite exactly when some control patient flares while MSC
//! patients are at risk and some MSC patient flares while control patients are
//! at risk; otherwise the likelihood is monotone (Bryson and Johnson 1981) and
//! the estimate would be infinite, which R reports as a large `coef` with a
//! warning and this reports as a failure.

use super::{
    Alternative, AnalysisFailure, FollowUp, RiskSet, SurvivalScratch, normal_p_value, risk_sets,
};
use crate::analysis::{Interval, Significance, TestResult};
use crate::stats::Z_975;

/// Newton steps allowed before giving up.
const MAX_ITERATIONS: u32 = 50;
/// Converged once a Newton step moves `beta` by less than this.
const STEP_TOLERANCE: f64 = 1e-10;
/// Halvings of one step allowed before giving up.
const MAX_HALVINGS: u32 = 60;

/// The fitted Cox model.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Cox {
    /// The log hazard ratio of flare, MSC against control (`coef`).
    pub log_hr: f64,
    /// Its standard error, from the inverse information (`se(coef)`).
    pub se: f64,
    /// The Wald statistic `log_hr / se`.
    pub z: f64,
    /// The Wald p-value for the requested alternative.
    pub p: f64,
    /// The 95% Wald interval of the hazard ratio, `exp(log_hr ± 1.96 se)`.
    pub hr_interval: (f64, f64),
    /// Newton steps taken.
    pub iterations: u32,
}

impl Cox {
    /// The hazard ratio, `exp(log_hr)`.
    pub fn hr(&self) -> f64 {
        self.log_hr.exp()
    }

    /// As a [`TestResult`] on the log hazard ratio scale: the estimate, the
    /// Wald p-value with `z` as its direction, and the 95% interval of the
    /// log hazard ratio.
    pub fn test_result(&self) -> TestResult {
        TestResult {
            estimate: self.log_hr,
            significance: Significance::P {
                p: self.p,
                direction: self.z,
            },
            interval: Interval::Bounds(self.hr_interval.0.ln(), self.hr_interval.1.ln()),
        }
    }
}

/// Fits the Cox model of MSC against control. [`Alternative::Less`]: MSC's
/// hazard of flare is lower (hazard ratio below 1).
///
/// # Errors
/// [`AnalysisFailure::TooFewPatients`] for an empty arm;
/// [`AnalysisFailure::ZeroVariance`] when no patient flared;
/// [`AnalysisFailure::NotFinite`] when the likelihood has no finite maximum
/// (no flares in an arm, or none while the other arm was at risk), when
/// Newton-Raphson fails to converge, or for a time that is not finite.
///
/// ```
/// use trialsim::analysis::{Alternative, survival::{FollowUp, SurvivalScratch, cox::cox}};
/// let msc = [FollowUp::flare(3.0), FollowUp::censored(4.0), FollowUp::flare(6.0)];
/// let control = [FollowUp::flare(1.0), FollowUp::flare(2.0), FollowUp::flare(5.0)];
/// let mut scratch = SurvivalScratch::default();
/// let fit = cox(&msc, &control, Alternative::TwoSided, &mut scratch).unwrap();
/// assert!(fit.log_hr < 0.0 && fit.hr_interval.0 < fit.hr() && fit.hr() < fit.hr_interval.1);
/// ```
pub fn cox(
    msc: &[FollowUp],
    control: &[FollowUp],
    alternative: Alternative,
    scratch: &mut SurvivalScratch,
) -> Result<Cox, AnalysisFailure> {
    risk_sets(msc, control, scratch)?;
    let sets = &scratch.risk_sets[..];
    if sets.is_empty() {
        return Err(AnalysisFailure::ZeroVariance);
    }
    let bounded_above = sets
        .iter()
        .any(|r| r.msc_at_risk > 0.0 && r.control_flares > 0.0);
    let bounded_below = sets
        .iter()
        .any(|r| r.control_at_risk > 0.0 && r.msc_flares > 0.0);
    if !(bounded_above && bounded_below) {
        return Err(AnalysisFailure::NotFinite);
    }

    let mut beta = 0.0;
    let mut at = efron(sets, beta);
    // Below the root the score is positive, above it negative.
    let mut bracket = (f64::NEG_INFINITY, f64::INFINITY);
    let narrow = |bracket: &mut (f64, f64), b: f64, e: &Efron| {
        if e.score > 0.0 {
            bracket.0 = bracket.0.max(b);
        } else if e.score < 0.0 {
            bracket.1 = bracket.1.min(b);
        }
    };
    narrow(&mut bracket, beta, &at);
    let mut iterations = 0;
    loop {
        if iterations == MAX_ITERATIONS {
            return Err(AnalysisFailure::NotFinite);
        }
        iterations += 1;
        let mut step = at.score / at.information;
        if !(step.abs() < STEP_TOLERANCE || beta + step > bracket.0 && beta + step < bracket.1) {
            // Past a point known to lie beyond the root, or no information
            // here: halfway to that point instead (a converged step may
            // round onto the bracket's end, `beta` itself).
            let beyond = if at.score > 0.0 { bracket.1 } else { bracket.0 };
            if !beyond.is_finite() {
                return Err(AnalysisFailure::NotFinite);
            }
            step = (beyond - beta) / 2.0;
        }
        let mut halvings = 0;
        let next = loop {
            let next = efron(sets, beta + step);
            narrow(&mut bracket, beta + step, &next);
            // A NaN score (a step far out overflows `exp(beta)`) is never
            // accepted.
            if next.score.abs() <= at.score.abs() || step.abs() < STEP_TOLERANCE {
                break next;
            }
            if halvings == MAX_HALVINGS {
                return Err(AnalysisFailure::NotFinite);
            }
            halvings += 1;
            step /= 2.0;
        };
        beta += step;
        at = next;
        if step.abs() < STEP_TOLERANCE {
            break;
        }
    }
    if !(at.information > 0.0 && at.information.is_finite() && beta.is_finite()) {
        return Err(AnalysisFailure::NotFinite);
    }
    let se = at.information.recip().sqrt();
    let z = beta / se;
    Ok(Cox {
        log_hr: beta,
        se,
        z,
        p: normal_p_value(z, alternative),
        hr_interval: ((beta - Z_975 * se).exp(), (beta + Z_975 * se).exp()),
        iterations,
    })
}

/// The first two derivatives of Efron's log partial likelihood at `beta`.
struct Efron {
    score: f64,
    information: f64,
}

fn efron(sets: &[RiskSet], beta: f64) -> Efron {
    let r = beta.exp();
    let (mut score, mut information) = (0.0, 0.0);
    for s in sets {
        score += s.msc_flares;
        efron_terms(s, r, |msc, denominator| {
            let p = msc / denominator;
            score -= p;
            information += p * (1.0 - p);
        });
    }
    Efron { score, information }
}

/// Efron's terms at one flare time at `r = exp(beta)`: for each `k < d`,
/// the MSC part of the `k`-th denominator and the denominator, handed to
/// `each(msc, denominator)`. The fit and the likelihood share it.
#[inline(always)]
fn efron_terms(s: &RiskSet, r: f64, mut each: impl FnMut(f64, f64)) {
    let d = s.flares();
    let mut k = 0.0;
    while k < d {
        let f = k / d;
        let msc = r * (s.msc_at_risk - f * s.msc_flares);
        each(msc, (s.control_at_risk - f * s.control_flares) + msc);
        k += 1.0;
    }
}

/// Efron's log partial likelihood of MSC against control at log hazard
/// ratio `beta` (at [`Cox::log_hr`], the maximum R reports as
/// `loglik[2]`). The fit itself needs no likelihood, so it is computed only
/// on request.
///
/// # Errors
/// [`AnalysisFailure::TooFewPatients`] for an empty arm and
/// [`AnalysisFailure::NotFinite`] for a time that is not finite.
pub fn log_likelihood(
    msc: &[FollowUp],
    control: &[FollowUp],
    beta: f64,
    scratch: &mut SurvivalScratch,
) -> Result<f64, AnalysisFailure> {
    risk_sets(msc, control, scratch)?;
    let r = beta.exp();
    let mut log_likelihood = 0.0;
    for s in &scratch.risk_sets {
        log_likelihood += s.msc_flares * beta;
        efron_terms(s, r, |_, denominator| log_likelihood -= denominator.ln());
    }
    Ok(log_likelihood)
}

#[cfg(test)]
mod tests {
    use super::super::logrank::tests::{A, B, C, D};
    use super::*;

    fn close(a: f64, b: f64, tolerance: f64) -> bool {
        (a - b).abs() <= tolerance * b.abs().max(1.0)
    }

    // Reference: R 4.2.2, survival 3.5.3, for each data set of logrank.rs:
    //   cx <- coxph(Surv(time, status) ~ arm, data = d, ties = "efron")
    //   f(coef(cx)); f(sqrt(vcov(cx))); f(cx$loglik[2])
    //   s <- summary(cx); f(s$coefficients[, "Pr(>|z|)"])
    //   f(s$conf.int[, c("lower .95", "upper .95")])
    // with f <- function(x) paste(sprintf("%.17g", x), collapse = ", ").
    // Columns: coef, se, two-sided p, HR interval, log likelihood.
    #[allow(clippy::type_complexity)]
    const DEFAULT: [(f64, f64, f64, (f64, f64), f64); 4] = [
        (
            -1.230_642_673_876_804_8,
            0.653_948_220_524_086_7,
            0.059_854_263_354_835_13,
            (0.081_076_864_173_286_51, 1.052_398_964_355_203),
            -23.142_617_501_472_344,
        ),
        (
            -1.785_422_891_604_042,
            1.099_811_669_941_385,
            0.104_506_133_946_761_02,
            (0.019_428_501_249_500_03, 1.447_978_392_083_516_5),
            -11.121_642_501_783_292,
        ),
        (
            -0.965_969_376_649_273,
            0.612_908_400_546_797_5,
            0.115_016_126_017_772_22,
            (0.114_492_293_086_314_34, 1.265_299_703_959_588_6),
            -26.536_072_640_596_7,
        ),
        (
            -0.308_090_239_610_839_5,
            0.873_147_794_239_446_6,
            0.724_200_862_270_394_7,
            (0.132_731_303_394_198_4, 4.068_392_630_139_786),
            -8.748_709_948_878_838,
        ),
    ];

    // Reference: R 4.2.2, survival 3.5.3, converged tightly:
    //   coxph(Surv(time, status) ~ arm, data = d, ties = "efron",
    //         control = coxph.control(eps = 1e-15, iter.max = 100, toler.inf = 1e-15))
    //   f(coef(cx)); f(sqrt(vcov(cx)))
    // R's default stopping (eps = 1e-9 on the log likelihood) leaves coef up
    // to 6e-9 from these (set B); this fit converges to the maximum itself.
    const TIGHT: [(f64, f64); 4] = [
        (-1.230_642_673_876_840_6, 0.653_948_220_524_089_1),
        (-1.785_422_897_743_714_3, 1.099_811_672_156_958_2),
        (-0.965_969_376_649_273, 0.612_908_400_546_797_5),
        (-0.308_090_239_664_226_83, 0.873_147_794_246_943_8),
    ];

    #[test]
    fn matches_r_coxph_efron() {
        let mut s = SurvivalScratch::default();
        for (i, data) in [&A, &B, &C, &D].into_iter().enumerate() {
            let (msc, control) = data.arms();
            let fit = cox(&msc, &control, Alternative::TwoSided, &mut s).unwrap();
            let (coef, se, p, (lo, hi), loglik) = DEFAULT[i];
            assert!(close(fit.log_hr, coef, 1e-8), "set {i}: {fit:?}");
            assert!(close(fit.se, se, 1e-8), "set {i}: {fit:?}");
            assert!(close(fit.p, p, 1e-8), "set {i}: {fit:?}");
            assert!(close(fit.hr_interval.0, lo, 1e-8), "set {i}: {fit:?}");
            assert!(close(fit.hr_interval.1, hi, 1e-8), "set {i}: {fit:?}");
            let at_max = log_likelihood(&msc, &control, fit.log_hr, &mut s).unwrap();
            assert!(close(at_max, loglik, 1e-12), "set {i}: {at_max}");
            let (coef, se) = TIGHT[i];
            assert!(close(fit.log_hr, coef, 1e-11), "set {i}: {fit:?}");
            assert!(close(fit.se, se, 1e-11), "set {i}: {fit:?}");
        }
    }

    // Reference: R 4.2.2, survival 3.5.3, data set A:
    //   zc <- coef(cx) / sqrt(vcov(cx)); f(pnorm(zc)); f(pnorm(-zc))
    #[test]
    fn one_sided_wald_p_values_match_r() {
        let (msc, control) = A.arms();
        let mut s = SurvivalScratch::default();
        let less = cox(&msc, &control, Alternative::Less, &mut s).unwrap();
        assert!(close(less.p, 0.029_927_131_677_417_628, 1e-8), "{less:?}");
        let greater = cox(&msc, &control, Alternative::Greater, &mut s).unwrap();
        assert!(close(greater.p, 0.970_072_868_322_582_3, 1e-8));
        let t = less.test_result();
        assert_eq!(t.estimate, less.log_hr);
        assert!(t.is_finite() && t.covers(less.log_hr, None) && !t.covers(0.8, None));
    }

    #[test]
    fn all_flares_in_one_arm_is_a_monotone_likelihood_failure() {
        // R: coef -21.4, se 2.0e4, "Ran out of iterations and did not converge".
        let msc = [3.0, 5.0, 8.0, 9.0].map(FollowUp::censored);
        let control = [
            FollowUp::flare(1.0),
            FollowUp::flare(2.0),
            FollowUp::flare(4.0),
            FollowUp::censored(6.0),
            FollowUp::flare(7.0),
        ];
        let mut s = SurvivalScratch::default();
        assert_eq!(
            cox(&msc, &control, Alternative::TwoSided, &mut s),
            Err(AnalysisFailure::NotFinite)
        );
        assert_eq!(
            cox(&control, &msc, Alternative::TwoSided, &mut s),
            Err(AnalysisFailure::NotFinite)
        );
        // Flares in both arms, but every MSC flare after the control arm has
        // left the risk set: still monotone.
        let late = [FollowUp::flare(2.0), FollowUp::flare(3.0)];
        let early = [FollowUp::flare(1.0)];
        assert_eq!(
            cox(&late, &early, Alternative::TwoSided, &mut s),
            Err(AnalysisFailure::NotFinite)
        );
    }

    #[test]
    fn a_single_patient_per_arm_is_monotone() {
        // R: coef -21.2, "Ran out of iterations and did not converge".
        let mut s = SurvivalScratch::default();
        assert_eq!(
            cox(
                &[FollowUp::flare(2.0)],
                &[FollowUp::flare(1.0)],
                Alternative::TwoSided,
                &mut s
            ),
            Err(AnalysisFailure::NotFinite)
        );
        // A tie between the two is the one single-pair fit with a maximum:
        // beta = 0 (Efron: p = 1/2 for both flares).
        let tie = cox(
            &[FollowUp::flare(1.0)],
            &[FollowUp::flare(1.0)],
            Alternative::TwoSided,
            &mut s,
        )
        .unwrap();
        assert_eq!(tie.log_hr, 0.0);
        assert_eq!(tie.p, 1.0);
    }

    #[test]
    fn no_flares_or_an_empty_arm_fails() {
        let mut s = SurvivalScratch::default();
        let censored = [FollowUp::censored(1.0), FollowUp::censored(2.0)];
        assert_eq!(
            cox(&censored, &censored, Alternative::TwoSided, &mut s),
            Err(AnalysisFailure::ZeroVariance)
        );
        assert_eq!(
            cox(&censored, &[], Alternative::TwoSided, &mut s),
            Err(AnalysisFailure::TooFewPatients)
        );
    }

    /// The score's root by bisection on [-700, 700] (the score falls
    /// strictly), or `None` where it keeps one sign there (no finite
    /// maximum).
    fn root_by_bisection(sets: &[RiskSet]) -> Option<f64> {
        let (mut lo, mut hi) = (-700.0, 700.0);
        if !(efron(sets, lo).score > 0.0 && efron(sets, hi).score < 0.0) {
            return None;
        }
        for _ in 0..200 {
            let mid: f64 = 0.5 * (lo + hi);
            if efron(sets, mid).score > 0.0 {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        Some(0.5 * (lo + hi))
    }

    /// The fit is the root of the score to within the step tolerance, and
    /// fails only where the score has no root: 400 random trials with equal
    /// arms and ties, and 4,000 with arms of 1 to 29 against 1 to 299
    /// children and hazard ratios from e^-4 to e^4, where a first Newton
    /// step can land where `exp(beta)` swamps the other arm and the score
    /// is flat. Guarding steps on the likelihood instead halved steps that
    /// its rounding noise made look worse until they fell below the
    /// tolerance, stopping up to about 3e-6 short (1.2e-7 on the first 400
    /// here); guarding on the score alone, without the bracket, failed on
    /// about 1 in 200 of the unequal trials.
    #[test]
    fn the_fit_is_the_root_of_the_score() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand::rngs::ChaCha8Rng::seed_from_u64(7);
        let mut s = SurvivalScratch::default();
        let (mut worst, mut fitted, mut refused): (f64, u32, u32) = (0.0, 0, 0);
        for trial in 0..4400 {
            let (n_msc, n_control, hr) = if trial < 400 {
                let n = rng.random_range(20..120);
                (n, n, 0.5)
            } else {
                let log_hr: f64 = rng.random_range(-4.0..4.0);
                (
                    rng.random_range(1..30),
                    rng.random_range(1..300),
                    log_hr.exp(),
                )
            };
            let mut arm = |n: usize, hazard: f64| -> Vec<FollowUp> {
                (0..n)
                    .map(|_| {
                        // Weeks to the nearest tenth, so flares tie.
                        let t = (-rng.random::<f64>().ln() / hazard * 10.0).ceil() / 10.0;
                        if t < 52.0 {
                            FollowUp::flare(t)
                        } else {
                            FollowUp::censored(52.0)
                        }
                    })
                    .collect()
            };
            let (msc, control) = (arm(n_msc, 0.02 * hr), arm(n_control, 0.02));
            let fit = cox(&msc, &control, Alternative::TwoSided, &mut s);
            let root = root_by_bisection(&s.risk_sets);
            match (fit, root) {
                (Ok(fit), Some(root)) => {
                    worst = worst.max((fit.log_hr - root).abs());
                    fitted += 1;
                }
                (Err(_), None) => refused += 1,
                (fit, root) => panic!("trial {trial}: fit {fit:?}, score's root {root:?}"),
            }
        }
        assert!(
            worst < 1e-10,
            "farthest fit from the score's root: {worst:e}"
        );
        assert!(
            fitted > 3000 && refused > 100,
            "{fitted} fitted, {refused} refused"
        );
    }

    /// A first Newton step into the flat score: two MSC flares, one control
    /// flare among 100 control children. The step from 0 is 50.4, where the
    /// score is exactly -1 with no information; the fit comes back to the
    /// root, 5.08.
    #[test]
    fn a_step_into_the_flat_score_comes_back() {
        let msc = [FollowUp::flare(1.0), FollowUp::flare(2.0)];
        let mut control = vec![FollowUp::censored(3.0); 99];
        control.push(FollowUp::flare(1.5));
        let mut s = SurvivalScratch::default();
        let fit = cox(&msc, &control, Alternative::TwoSided, &mut s).unwrap();
        let root = root_by_bisection(&s.risk_sets).unwrap();
        assert!((fit.log_hr - root).abs() < 1e-10, "{fit:?} against {root}");
        assert!((root - 5.0827).abs() < 1e-4, "{root}");
    }

    #[test]
    fn a_nearly_monotone_likelihood_still_converges() {
        // One control flare among many MSC flares while both are at risk:
        // a large but finite log hazard ratio.
        let msc: Vec<FollowUp> = (1..=30).map(|t| FollowUp::flare(f64::from(t))).collect();
        let control = [FollowUp::flare(30.0), FollowUp::censored(31.0)];
        let mut s = SurvivalScratch::default();
        let fit = cox(&msc, &control, Alternative::TwoSided, &mut s).unwrap();
        assert!(
            fit.log_hr > 2.0 && fit.log_hr.is_finite() && fit.se.is_finite(),
            "{fit:?}"
        );
    }
}
