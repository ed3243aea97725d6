//! The Kaplan-Meier estimate of one arm's flare-free curve, with Greenwood's
//! variance, its median and its restricted mean (Kaplan and Meier 1958;
//! Greenwood 1926; Klein and Moeschberger 2003, sections 4.2 and 4.5).
//!
//! At each distinct flare time `t_i`, with `n_i` patients at risk and `d_i`
//! flaring, `S(t) = prod_{t_i <= t} (1 - d_i / n_i)` and Greenwood's
//! `Var S(t) = S(t)^2 sum_{t_i <= t} d_i / (n_i (n_i - d_i))`, as R's
//! `summary(survfit(Surv(time, status) ~ 1), times = t)` reports them.
//!
//! The restricted mean flare-free time to `tau` is the area under `S` from 0
//! (or the first time, if earlier) to `tau`, with the Greenwood-type variance
//! `sum_{t_i <= tau} A_i^2 d_i / (n_i (n_i - d_i))`, `A_i` the area under `S`
//! from `t_i` to `tau` and a term with `n_i = d_i` counted as 0. This is what
//! R's `print(survfit(...), rmean = tau)` computes (`survival:::survmean`);
//! `survRM2::rmst2` uses the same formula. Beyond the last follow-up time the
//! curve is held at its last value, as R does.

use super::{AnalysisFailure, FollowUp, SurvivalScratch};

/// Tolerance for the curve sitting exactly at 0.5 (R's `sqrt(.Machine$double.eps)`).
const MEDIAN_TOLERANCE: f64 = 1.490_116_119_384_765_6e-8;

/// The curve at one distinct flare time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Step {
    pub time: f64,
    /// Patients at risk just before `time`.
    pub at_risk: f64,
    /// Patients flaring at `time`.
    pub flares: f64,
    /// `S(time)`, flare-free probability just after `time`.
    pub survival: f64,
    /// `sum d / (n (n - d))` up to `time`: Greenwood's variance of `log S`
    /// (infinite once every patient at risk has flared).
    pub greenwood: f64,
}

/// A Kaplan-Meier curve, borrowing its steps from a [`SurvivalScratch`].
#[derive(Debug, Clone, Copy)]
pub struct KaplanMeier<'a> {
    steps: &'a [Step],
    patients: usize,
    /// Where the area under the curve starts: 0, or the first time if earlier.
    start: f64,
    last_time: f64,
}

/// The flare-free probability at a time and its Greenwood standard error.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SurvivalAt {
    pub survival: f64,
    /// `None` once the curve has reached 0 (Greenwood's formula gives 0 times
    /// infinity; R reports `NaN`).
    pub se: Option<f64>,
}

/// The restricted mean flare-free time to `tau` and its variance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rmst {
    pub tau: f64,
    pub mean: f64,
    pub variance: f64,
}

impl Rmst {
    /// The standard error of the restricted mean.
    pub fn se(&self) -> f64 {
        self.variance.sqrt()
    }
}

/// The Kaplan-Meier curve of one arm.
///
/// # Errors
/// [`AnalysisFailure::TooFewPatients`] for an empty arm;
/// [`AnalysisFailure::NotFinite`] for a time that is not a finite number.
///
/// ```
/// use trialsim::analysis::survival::{FollowUp, SurvivalScratch, km::kaplan_meier};
/// let arm = [FollowUp::flare(1.0), FollowUp::censored(2.0), FollowUp::flare(3.0)];
/// let mut scratch = SurvivalScratch::default();
/// let km = kaplan_meier(&arm, &mut scratch).unwrap();
/// assert!((km.survival_at(2.5).unwrap().survival - 2.0 / 3.0).abs() < 1e-15);
/// assert_eq!(km.median(), Some(3.0));
/// assert!((km.rmst(3.0).mean - (1.0 + 2.0 * 2.0 / 3.0)).abs() < 1e-15);
/// ```
pub fn kaplan_meier<'a>(
    arm: &[FollowUp],
    scratch: &'a mut SurvivalScratch,
) -> Result<KaplanMeier<'a>, AnalysisFailure> {
    if arm.is_empty() {
        return Err(AnalysisFailure::TooFewPatients);
    }
    let SurvivalScratch {
        sorted, km_steps, ..
    } = scratch;
    let sorted = sorted.sorted(arm)?;
    let steps = km_steps;
    steps.clear();
    let mut at_risk = arm.len() as f64;
    let (mut survival, mut greenwood) = (1.0, 0.0);
    let mut start = 0;
    while start < sorted.len() {
        let time = sorted[start].time;
        let mut end = start;
        let mut flares = 0.0;
        while end < sorted.len() && sorted[end].time == time {
            flares += f64::from(u8::from(sorted[end].flare));
            end += 1;
        }
        if flares > 0.0 {
            survival *= 1.0 - flares / at_risk;
            greenwood += if flares < at_risk {
                flares / (at_risk * (at_risk - flares))
            } else {
                f64::INFINITY
            };
            steps.push(Step {
                time,
                at_risk,
                flares,
                survival,
                greenwood,
            });
        }
        at_risk -= (end - start) as f64;
        start = end;
    }
    Ok(KaplanMeier {
        steps,
        patients: arm.len(),
        start: sorted[0].time.min(0.0),
        last_time: sorted[sorted.len() - 1].time,
    })
}

impl KaplanMeier<'_> {
    /// The steps of the curve, one per distinct flare time.
    pub fn steps(&self) -> &[Step] {
        self.steps
    }

    /// Patients in the arm.
    pub fn patients(&self) -> usize {
        self.patients
    }

    /// The last follow-up time (flare or censoring).
    pub fn last_time(&self) -> f64 {
        self.last_time
    }

    /// The curve at each time of `grid` (increasing), held at its last step
    /// beyond the last follow-up time (where [`KaplanMeier::survival_at`]
    /// is not defined; 1 with no step): one walk along the steps instead of
    /// a search per time; `each(i, survival)`.
    pub fn held_along(&self, grid: &[f64], mut each: impl FnMut(usize, f64)) {
        debug_assert!(grid.is_sorted());
        let mut after = 0;
        for (i, &t) in grid.iter().enumerate() {
            while after < self.steps.len() && self.steps[after].time <= t {
                after += 1;
            }
            each(
                i,
                after.checked_sub(1).map_or(1.0, |j| self.steps[j].survival),
            );
        }
    }

    /// The step in force at `t`: the last flare time at or before `t`.
    fn step_at(&self, t: f64) -> Option<&Step> {
        let after = self.steps.partition_point(|s| s.time <= t);
        after.checked_sub(1).map(|i| &self.steps[i])
    }

    /// `P(flare-free at t)` and its Greenwood standard error; `None` beyond
    /// the last follow-up time, where the curve is not estimated (as R's
    /// `summary(fit, times = t)` without `extend = TRUE`).
    pub fn survival_at(&self, t: f64) -> Option<SurvivalAt> {
        if t > self.last_time {
            return None;
        }
        Some(match self.step_at(t) {
            None => SurvivalAt {
                survival: 1.0,
                se: Some(0.0),
            },
            Some(s) => SurvivalAt {
                survival: s.survival,
                se: (s.survival > 0.0).then(|| s.survival * s.greenwood.sqrt()),
            },
        })
    }

    /// The median flare-free time: the first time the curve falls to 0.5 or
    /// below; where it sits at exactly 0.5 and falls later, the midpoint of
    /// that time and the next flare time (R's `print.survfit`). `None` when the
    /// curve stays above 0.5.
    pub fn median(&self) -> Option<f64> {
        let first = self
            .steps
            .iter()
            .position(|s| s.survival < 0.5 + MEDIAN_TOLERANCE)?;
        let at = &self.steps[first];
        if (at.survival - 0.5).abs() < MEDIAN_TOLERANCE
            && let Some(next) = self.steps[first..]
                .iter()
                .find(|s| s.survival < at.survival)
        {
            return Some((at.time + next.time) / 2.0);
        }
        Some(at.time)
    }

    /// The restricted mean flare-free time to `tau` and its Greenwood-type
    /// variance (see the module header).
    pub fn rmst(&self, tau: f64) -> Rmst {
        let within = &self.steps[..self.steps.partition_point(|s| s.time <= tau)];
        // Walk back from tau: `area` is the area under S from a step to tau.
        let (mut area, mut variance) = (0.0, 0.0);
        let mut right = tau;
        for s in within.iter().rev() {
            area += (right - s.time) * s.survival;
            if s.flares < s.at_risk {
                variance += area * area * s.flares / (s.at_risk * (s.at_risk - s.flares));
            }
            right = s.time;
        }
        Rmst {
            tau,
            mean: area + (right - self.start),
            variance,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`KaplanMeier::held_along`] gives, at every time of an increasing
    /// grid, the bits of `survival_at` (held at the last step beyond the
    /// last follow-up time), on random arms with ties, grid times on flare
    /// times, and grids reaching past the last time.
    #[test]
    fn held_along_is_survival_at_held() {
        use rand::{RngExt, SeedableRng};
        let mut rng = rand::rngs::ChaCha8Rng::seed_from_u64(3);
        let mut scratch = SurvivalScratch::default();
        for _ in 0..300 {
            let n = rng.random_range(1..40);
            let arm: Vec<FollowUp> = (0..n)
                .map(|_| FollowUp {
                    time: f64::from(rng.random_range(0..30u8)),
                    flare: rng.random::<f64>() < 0.6,
                })
                .collect();
            let km = kaplan_meier(&arm, &mut scratch).unwrap();
            let end = f64::from(rng.random_range(1..40u8));
            let grid: Vec<f64> = (0..25).map(|i| end * f64::from(i) / 24.0).collect();
            let mut walked = vec![f64::NAN; grid.len()];
            km.held_along(&grid, |i, s| walked[i] = s);
            for (&t, w) in grid.iter().zip(&walked) {
                let searched = match km.survival_at(t) {
                    Some(s) => s.survival,
                    None => km.steps().last().map_or(1.0, |s| s.survival),
                };
                assert_eq!(w.to_bits(), searched.to_bits(), "t = {t}, {arm:?}");
            }
        }
    }

    fn arm(times: &[f64], flares: &[u8]) -> Vec<FollowUp> {
        times
            .iter()
            .zip(flares)
            .map(|(&time, &f)| FollowUp {
                time,
                flare: f == 1,
            })
            .collect()
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-8 * b.abs().max(1.0)
    }

    // Reference: R 4.2.2, survival 3.5.3, with
    //   f <- function(x) paste(sprintf("%.17g", x), collapse = ", ")
    //   msc <- data.frame(time = c(2,3,3,5,6,6,8,9,11,12),
    //                     status = c(1,1,0,1,1,0,0,1,0,1))
    //   fit <- survfit(Surv(time, status) ~ 1, data = msc)
    //   s <- summary(fit, times = c(0.5, 2, 3, 4.5, 6, 8.5, 9, 11.5)); f(s$surv); f(s$std.err)
    //   for (tau in c(5, 7.5, 10, 12)) {
    //     tab <- summary(fit, rmean = tau)$table; f(tab["rmean"]); f(tab["se(rmean)"])
    //   }
    //   tab["median"]
    // The MSC arm of data set A in logrank.rs and cox.rs: a flare and a
    // censoring at 3 and at 6, a censoring after the last flare but one.
    const MSC_TIMES: [f64; 10] = [2.0, 3.0, 3.0, 5.0, 6.0, 6.0, 8.0, 9.0, 11.0, 12.0];
    const MSC_FLARES: [u8; 10] = [1, 1, 0, 1, 1, 0, 0, 1, 0, 1];

    #[test]
    fn survival_and_greenwood_se_match_r() {
        let mut s = SurvivalScratch::default();
        let km = kaplan_meier(&arm(&MSC_TIMES, &MSC_FLARES), &mut s).unwrap();
        let times = [0.5, 2.0, 3.0, 4.5, 6.0, 8.5, 9.0, 11.5];
        let surv = [
            1.0,
            0.9,
            0.799_999_999_999_999_9,
            0.799_999_999_999_999_9,
            0.571_428_571_428_571_4,
            0.571_428_571_428_571_4,
            0.380_952_380_952_380_93,
            0.380_952_380_952_380_93,
        ];
        let se = [
            0.0,
            0.094_868_329_805_051_37,
            0.126_491_106_406_735_17,
            0.126_491_106_406_735_17,
            0.163_774_715_491_745_96,
            0.163_774_715_491_745_96,
            0.190_022_134_549_151_12,
            0.190_022_134_549_151_12,
        ];
        for ((&t, &sv), &e) in times.iter().zip(&surv).zip(&se) {
            let at = km.survival_at(t).unwrap();
            assert!(close(at.survival, sv), "S({t}) = {}", at.survival);
            assert!(close(at.se.unwrap(), e), "se({t}) = {:?}", at.se);
        }
        assert_eq!(km.median(), Some(9.0));
        assert_eq!(km.patients(), 10);
    }

    #[test]
    fn restricted_mean_and_its_se_match_r() {
        let mut s = SurvivalScratch::default();
        let km = kaplan_meier(&arm(&MSC_TIMES, &MSC_FLARES), &mut s).unwrap();
        let expected = [
            (5.0, 4.5, 0.324_037_034_920_393),
            (7.5, 6.042_857_142_857_143, 0.632_425_568_051_580_6),
            (10.0, 7.280_952_380_952_381, 0.964_932_539_702_355_9),
            (12.0, 8.042_857_142_857_143, 1.249_692_284_767_877_3),
        ];
        for (tau, mean, se) in expected {
            let r = km.rmst(tau);
            assert!(close(r.mean, mean), "rmst({tau}) = {}", r.mean);
            assert!(close(r.se(), se), "se rmst({tau}) = {}", r.se());
        }
    }

    // Reference: R 4.2.2, survival 3.5.3, as above with
    //   ctl <- data.frame(time = c(1,2,2,4,5,6,7), status = c(1,1,1,1,0,1,1))
    //   summary(fit, times = c(0.5, 2, 3, 4.5, 6)); summary(fit, times = 7)$std.err is NaN
    //   summary(fit, rmean = 5)$table, summary(fit, rmean = 10)$table
    // The control arm of data set A: two flares tied at 2, the last patient
    // flares (the curve reaches 0).
    #[test]
    fn an_arm_whose_curve_reaches_zero_matches_r() {
        let mut s = SurvivalScratch::default();
        let control = arm(&[1.0, 2.0, 2.0, 4.0, 5.0, 6.0, 7.0], &[1, 1, 1, 1, 0, 1, 1]);
        let km = kaplan_meier(&control, &mut s).unwrap();
        let expected = [
            (0.5, 1.0, 0.0),
            (2.0, 0.571_428_571_428_571_4, 0.187_043_905_916_564_86),
            (3.0, 0.571_428_571_428_571_4, 0.187_043_905_916_564_86),
            (4.5, 0.428_571_428_571_428_55, 0.187_043_905_916_564_86),
            (6.0, 0.214_285_714_285_714_27, 0.178_060_493_536_889_27),
        ];
        for (t, sv, e) in expected {
            let at = km.survival_at(t).unwrap();
            assert!(
                close(at.survival, sv) && close(at.se.unwrap(), e),
                "{t}: {at:?}"
            );
        }
        assert_eq!(
            km.survival_at(7.0),
            Some(SurvivalAt {
                survival: 0.0,
                se: None
            })
        );
        assert_eq!(km.survival_at(7.5), None);
        assert_eq!(km.median(), Some(4.0));
        let r5 = km.rmst(5.0);
        assert!(close(r5.mean, 3.428_571_428_571_428_4) && close(r5.se(), 0.601_262_035_210_458_5));
        // Past the last flare the curve is 0: the mean stops growing.
        let r10 = km.rmst(10.0);
        assert!(close(r10.mean, 4.071_428_571_428_571));
        assert!(close(r10.se(), 0.867_076_788_660_844_1));
    }

    // Reference: R 4.2.2, survival 3.5.3:
    //   fit <- survfit(Surv(c(1,2,3,4), c(1,1,1,1)) ~ 1)
    //   summary(fit, rmean = 5)$table: median 2.5, rmean 2.5, se(rmean) 0.55901699437494745
    //   summary(fit, times = 3)$std.err: 0.21650635094610965
    #[test]
    fn median_on_a_flat_half_is_the_midpoint_like_r() {
        let mut s = SurvivalScratch::default();
        let km = kaplan_meier(&arm(&[4.0, 2.0, 3.0, 1.0], &[1, 1, 1, 1]), &mut s).unwrap();
        assert_eq!(km.median(), Some(2.5));
        let r = km.rmst(5.0);
        assert!(close(r.mean, 2.5) && close(r.se(), 0.559_016_994_374_947_5));
        assert!(close(
            km.survival_at(3.0).unwrap().se.unwrap(),
            0.216_506_350_946_109_65
        ));
    }

    #[test]
    fn no_flares_gives_a_flat_curve_and_no_median() {
        let mut s = SurvivalScratch::default();
        let km = kaplan_meier(&arm(&[3.0, 1.0, 2.0], &[0, 0, 0]), &mut s).unwrap();
        assert!(km.steps().is_empty());
        assert_eq!(km.median(), None);
        assert_eq!(
            km.survival_at(3.0),
            Some(SurvivalAt {
                survival: 1.0,
                se: Some(0.0)
            })
        );
        assert_eq!(
            km.rmst(2.5),
            Rmst {
                tau: 2.5,
                mean: 2.5,
                variance: 0.0
            }
        );
    }

    #[test]
    fn a_single_patient_is_a_valid_curve() {
        let mut s = SurvivalScratch::default();
        let km = kaplan_meier(&[FollowUp::flare(2.0)], &mut s).unwrap();
        assert_eq!(km.survival_at(1.0).unwrap().survival, 1.0);
        assert_eq!(km.survival_at(2.0).unwrap().se, None);
        assert_eq!(km.median(), Some(2.0));
        assert_eq!(km.rmst(3.0).mean, 2.0);
        assert_eq!(km.rmst(3.0).variance, 0.0);
        assert_eq!(
            kaplan_meier(&[], &mut s).map(|k| k.patients()),
            Err(AnalysisFailure::TooFewPatients)
        );
    }
}
