//! The time-to-flare endpoint, per arm: each trial's Kaplan-Meier curve
//! summarised (events, P(flare by the primary visit) with its Greenwood SE,
//! median, restricted mean flare-free time), dropout, the pointwise band of
//! the curves over replicates, and for a randomized withdrawal design the
//! run-in's enrolment; the accumulator and the report columns read off it.
//!
//! Each Welford is over replicates of a per-trial figure, so its SE is the
//! Monte Carlo SE of the figure's mean. The band keeps, at each of
//! [`BAND_POINTS`] times from 0 to the end of follow-up, a histogram of the
//! trials' flare-free estimates in steps of 1 / ([`BAND_BINS`] - 1): its
//! quantiles are exact to that step and its memory does not grow with the
//! replicates.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::Figure;
use super::flares::PerArm;
use crate::analysis::survival::SurvivalScratch;
use crate::analysis::survival::km::{KaplanMeier, kaplan_meier};
use crate::cohort::Cohort;
use crate::design::{Arm, Arms};
use crate::intercurrent::IntercurrentModel;
use crate::stats::Welford;
use crate::stats::rounding::round_half_away;

/// Times the band is kept at: 0, F/24, ..., F for follow-up F.
pub const BAND_POINTS: usize = 25;
/// Histogram bins of a flare-free estimate: 0, 0.01, ..., 1.
pub const BAND_BINS: usize = 101;

/// One arm's time-to-flare figures over replicates.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ArmSurvival {
    /// Flares observed (not censored) per trial.
    pub events: Welford,
    /// Share of the arm that dropped out before the end of follow-up.
    pub dropout: Welford,
    /// Kaplan-Meier P(flare by the primary visit), `1 - S(primary)`.
    pub flare_by_primary: Welford,
    /// Its Greenwood SE, in the trials where it is defined.
    pub flare_by_primary_se: Welford,
    /// The median time to flare, in the trials whose curve reached 0.5.
    pub median: Welford,
    /// The restricted mean flare-free time to the end of follow-up.
    pub rmst: Welford,
    /// `band[point * BAND_BINS + bin]`: trials whose estimate at the point fell in the bin.
    pub band: Vec<u64>,
}

/// The enrolment of a randomized withdrawal design's run-in.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunInStats {
    /// Children enrolled per trial.
    pub enrolled: Welford,
    /// Children randomised per trial (the full arms unless enrolment hit its cap).
    pub randomised: Welford,
    /// Trials by children enrolled.
    pub enrolled_counts: BTreeMap<u32, u64>,
    /// Trials that stopped enrolling at the cap before both arms were full.
    pub short: u64,
}

/// Both arms' figures, the difference in restricted mean, and the shape
/// they were made for (band times and each arm's expected flare-free curve).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SurvivalStats {
    pub arms: Arms<ArmSurvival>,
    /// Restricted mean flare-free time, MSC minus control.
    pub rmst_difference: Welford,
    /// The band's times (weeks from randomisation).
    pub grid: Vec<f64>,
    /// Each arm's flare-free probability at the band's times under the
    /// model, `exp(-H(t))` at the scenario's hazard ratio (its prior's median).
    pub expected: Arms<Vec<f64>>,
    /// Randomized withdrawal only.
    pub run_in: Option<RunInStats>,
}

impl SurvivalStats {
    /// Empty figures for `ic`'s follow-up; `run_in` for a randomized withdrawal design.
    pub fn empty(ic: &IntercurrentModel, run_in: bool) -> SurvivalStats {
        let end = ic.spec.follow_up_weeks;
        let grid: Vec<f64> = (0..BAND_POINTS)
            .map(|i| end * i as f64 / (BAND_POINTS - 1) as f64)
            .collect();
        let hr = ic.spec.therapy.msc_hazard_ratio;
        let expected = Arms::from_fn(|arm| {
            grid.iter()
                .map(|&t| (-ic.cumulative_hazard(arm, hr, t)).exp())
                .collect()
        });
        SurvivalStats {
            arms: Arms::both(ArmSurvival {
                band: vec![0; BAND_POINTS * BAND_BINS],
                ..ArmSurvival::default()
            }),
            rmst_difference: Welford::default(),
            grid,
            expected,
            run_in: run_in.then(RunInStats::default),
        }
    }

    /// Folds `other` (later replicates) into `self`.
    pub fn merge(&mut self, other: &SurvivalStats) {
        for arm in Arm::ALL {
            self.arms[arm].merge(&other.arms[arm]);
        }
        self.rmst_difference.merge(&other.rmst_difference);
        if let (Some(a), Some(b)) = (self.run_in.as_mut(), other.run_in.as_ref()) {
            a.enrolled.merge(&b.enrolled);
            a.randomised.merge(&b.randomised);
            for (&k, &v) in &b.enrolled_counts {
                *a.enrolled_counts.entry(k).or_default() += v;
            }
            a.short += b.short;
        }
    }

    /// Folds one trial into the figures: `primary` is the primary visit's
    /// week, `follow_up` the end of follow-up; `enrolled` the children the
    /// run-in took (randomized withdrawal) and `full` the randomised total
    /// when both arms fill.
    pub fn record(
        &mut self,
        cohort: &Cohort,
        (primary, follow_up): (f64, f64),
        (enrolled, full): (usize, usize),
        scratch: &mut SurvivalScratch,
    ) {
        let mut rmst = Arms::both(f64::NAN);
        for arm in Arm::ALL {
            let data = &cohort[arm];
            let s = &mut self.arms[arm];
            let n = data.follow_up.len();
            if n == 0 {
                continue;
            }
            let events = data.follow_up.iter().filter(|f| f.flare).count();
            s.events.push(events as f64);
            let left = data.dropout.iter().filter(|&&d| d < follow_up).count();
            s.dropout.push(left as f64 / n as f64);
            let Ok(km) = kaplan_meier(&data.follow_up, scratch) else {
                continue;
            };
            let (at_primary, se) = held(&km, primary);
            s.flare_by_primary.push(1.0 - at_primary);
            if let Some(se) = se {
                s.flare_by_primary_se.push(se);
            }
            if let Some(m) = km.median() {
                s.median.push(m);
            }
            let r = km.rmst(follow_up).mean;
            s.rmst.push(r);
            rmst[arm] = r;
            km.held_along(&self.grid, |i, survival| {
                let bin = round_half_away(survival * (BAND_BINS - 1) as f64) as usize;
                s.band[i * BAND_BINS + bin.min(BAND_BINS - 1)] += 1;
            });
        }
        if !(rmst.msc.is_nan() || rmst.control.is_nan()) {
            self.rmst_difference.push(rmst.msc - rmst.control);
        }
        if let Some(r) = self.run_in.as_mut() {
            let randomised = cohort.msc.len() + cohort.control.len();
            r.enrolled.push(enrolled as f64);
            r.randomised.push(randomised as f64);
            *r.enrolled_counts
                .entry(u32::try_from(enrolled).unwrap_or(u32::MAX))
                .or_default() += 1;
            if randomised < full {
                r.short += 1;
            }
        }
    }
}

/// `S(t)` with its Greenwood SE, the curve held at its last value beyond
/// the last follow-up time (where the SE is not defined).
fn held(km: &KaplanMeier<'_>, t: f64) -> (f64, Option<f64>) {
    match km.survival_at(t) {
        Some(s) => (s.survival, s.se),
        None => (km.steps().last().map_or(1.0, |s| s.survival), None),
    }
}

impl ArmSurvival {
    fn merge(&mut self, other: &ArmSurvival) {
        self.events.merge(&other.events);
        self.dropout.merge(&other.dropout);
        self.flare_by_primary.merge(&other.flare_by_primary);
        self.flare_by_primary_se.merge(&other.flare_by_primary_se);
        self.median.merge(&other.median);
        self.rmst.merge(&other.rmst);
        super::merge_vec(&mut self.band, &other.band, |a, b| *a += b);
    }

    /// The `q`-quantile of the trials' flare-free estimates at band point `i`.
    pub fn band_quantile(&self, i: usize, q: f64) -> f64 {
        let bins = &self.band[i * BAND_BINS..(i + 1) * BAND_BINS];
        quantile(bins.iter().copied().enumerate(), q)
            .map_or(f64::NAN, |b| b as f64 / (BAND_BINS - 1) as f64)
    }
}

/// The smallest value whose cumulative count reaches `q` of the total.
pub(crate) fn quantile(
    counts: impl Iterator<Item = (usize, u64)> + Clone,
    q: f64,
) -> Option<usize> {
    let total: u64 = counts.clone().map(|(_, c)| c).sum();
    if total == 0 {
        return None;
    }
    let need = (q * total as f64).ceil().max(1.0) as u64;
    let mut seen = 0;
    for (v, c) in counts {
        seen += c;
        if seen >= need {
            return Some(v);
        }
    }
    None
}

/// The report columns of the time-to-flare endpoint (absent otherwise).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SurvivalColumns {
    /// Flares observed per trial, per arm.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub km_events: Option<PerArm>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub km_events_mc_se: Option<PerArm>,
    /// Kaplan-Meier P(flare by the primary visit), mean over trials.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub km_flare_by_primary: Option<PerArm>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub km_flare_by_primary_mc_se: Option<PerArm>,
    /// Its mean Greenwood SE within a trial.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub km_flare_by_primary_greenwood_se: Option<PerArm>,
    /// Median time to flare (weeks), mean over the trials that reached it.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub km_median_weeks: Option<PerArm>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub km_median_weeks_mc_se: Option<PerArm>,
    /// Share of trials whose curve reached 0.5 (the median exists).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub km_median_reached: Option<PerArm>,
    /// Restricted mean flare-free weeks to the end of follow-up.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub rmst_weeks: Option<PerArm>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub rmst_weeks_mc_se: Option<PerArm>,
    /// Its difference, MSC minus control.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub rmst_difference_weeks: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub rmst_difference_weeks_mc_se: Option<f64>,
    /// Share of each arm that dropped out before the end of follow-up.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub dropout_share: Option<PerArm>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub dropout_share_mc_se: Option<PerArm>,
    /// Randomized withdrawal: the run-in's response rate (randomised over
    /// enrolled children, pooled over trials).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub run_in_response_rate: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub run_in_response_rate_mc_se: Option<f64>,
    /// Children enrolled per randomised child: mean and 5th and 95th percentiles.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub enrolled_per_randomised: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub enrolled_per_randomised_mc_se: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub enrolled_per_randomised_p05: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub enrolled_per_randomised_p95: Option<f64>,
    /// Share of trials whose enrolment stopped at the cap with arms short.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub run_in_short_share: Option<f64>,
    /// With `[accrual]`: weeks from the first child's entry to the last
    /// enrolled child's end of run-in, mean (with its MC SE) and 5th and
    /// 95th percentiles over trials.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub run_in_phase_weeks: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub run_in_phase_weeks_mc_se: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub run_in_phase_weeks_p05: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub run_in_phase_weeks_p95: Option<f64>,
}

pub use crate::design::accrual::WEEKS_PER_MONTH;

/// One arm's band: the median curve and its 5-95% range over trials, with
/// the expected curve, at the band's times.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Band {
    pub median: Vec<f64>,
    pub p05: Vec<f64>,
    pub p95: Vec<f64>,
    pub expected: Vec<f64>,
}

/// The Kaplan-Meier band column (time to flare only).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct KmBand {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub km_band: Option<KmBandArms>,
}

/// The band's times and each arm's band.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KmBandArms {
    pub weeks: Vec<f64>,
    pub msc: Band,
    pub control: Band,
}

impl KmBand {
    pub fn new(stats: Option<&SurvivalStats>) -> KmBand {
        KmBand {
            km_band: stats.map(|s| {
                let band = |arm: Arm| {
                    let a = &s.arms[arm];
                    let at = |q: f64| (0..s.grid.len()).map(|i| a.band_quantile(i, q)).collect();
                    Band {
                        median: at(0.5),
                        p05: at(0.05),
                        p95: at(0.95),
                        expected: s.expected[arm].clone(),
                    }
                };
                KmBandArms {
                    weeks: s.grid.clone(),
                    msc: band(Arm::Msc),
                    control: band(Arm::Control),
                }
            }),
        }
    }
}

impl SurvivalColumns {
    /// Reads the columns off `stats`; `randomised` is the full arms' total;
    /// `phase` the run-in's weeks and, with `[accrual]`, children per month.
    pub fn new(
        stats: Option<&SurvivalStats>,
        randomised: usize,
        phase: Option<(f64, Option<f64>)>,
    ) -> SurvivalColumns {
        let Some(s) = stats else {
            return SurvivalColumns::default();
        };
        let arms = |f: &dyn Fn(&ArmSurvival) -> f64| {
            Some(PerArm {
                msc: f(&s.arms.msc),
                control: Some(f(&s.arms.control)),
            })
        };
        let replicates = s.arms.msc.events.n;
        let mut c = SurvivalColumns {
            km_events: arms(&|a| a.events.mean_or_nan()),
            km_events_mc_se: arms(&|a| a.events.se()),
            km_flare_by_primary: arms(&|a| a.flare_by_primary.mean_or_nan()),
            km_flare_by_primary_mc_se: arms(&|a| a.flare_by_primary.se()),
            km_flare_by_primary_greenwood_se: arms(&|a| a.flare_by_primary_se.mean_or_nan()),
            km_median_weeks: arms(&|a| a.median.mean_or_nan()),
            km_median_weeks_mc_se: arms(&|a| a.median.se()),
            km_median_reached: arms(&|a| Figure::rate(a.median.n, replicates).value),
            rmst_weeks: arms(&|a| a.rmst.mean_or_nan()),
            rmst_weeks_mc_se: arms(&|a| a.rmst.se()),
            rmst_difference_weeks: Some(s.rmst_difference.mean_or_nan()),
            rmst_difference_weeks_mc_se: Some(s.rmst_difference.se()),
            dropout_share: arms(&|a| a.dropout.mean_or_nan()),
            dropout_share_mc_se: arms(&|a| a.dropout.se()),
            ..SurvivalColumns::default()
        };
        if let Some(r) = &s.run_in {
            let (n, k) = (r.enrolled.mean_or_nan(), r.randomised.mean_or_nan());
            let rate = k / n;
            // The binomial SE over every child enrolled in every trial: the
            // pooled share's SE whether enrolment stops at the responders
            // needed (inverse sampling) or at the cap.
            let children = n * r.enrolled.n as f64;
            c.run_in_response_rate = Some(rate);
            c.run_in_response_rate_mc_se = Some((rate * (1.0 - rate) / children).sqrt());
            let per = |x: f64| x / randomised as f64;
            c.enrolled_per_randomised = Some(per(n));
            c.enrolled_per_randomised_mc_se = Some(per(r.enrolled.se()));
            let q = |q: f64| {
                let counts = r.enrolled_counts.iter().map(|(&k, &v)| (k as usize, v));
                quantile(counts, q).map_or(f64::NAN, |k| per(k as f64))
            };
            c.enrolled_per_randomised_p05 = Some(q(0.05));
            c.enrolled_per_randomised_p95 = Some(q(0.95));
            c.run_in_short_share = Some(Figure::rate(r.short, r.enrolled.n).value);
            if let Some((run_in, Some(per_month))) = phase {
                // Children enter one after another at the constant rate: the
                // k-th at (k - 1) / rate; the last one enrolled ends its
                // run-in `run_in` weeks after entering.
                let per_week = per_month / WEEKS_PER_MONTH;
                let weeks = |k: f64| (k - 1.0).max(0.0) / per_week + run_in;
                let q = |q: f64| {
                    let counts = r.enrolled_counts.iter().map(|(&k, &v)| (k as usize, v));
                    quantile(counts, q).map_or(f64::NAN, |k| weeks(k as f64))
                };
                c.run_in_phase_weeks = Some(weeks(n));
                c.run_in_phase_weeks_mc_se = Some(r.enrolled.se() / per_week);
                c.run_in_phase_weeks_p05 = Some(q(0.05));
                c.run_in_phase_weeks_p95 = Some(q(0.95));
            }
        }
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::survival::FollowUp;

    #[test]
    fn quantile_reads_the_cumulative_counts() {
        let counts = [(0, 5u64), (1, 0), (2, 90), (3, 5)];
        let q = |q| quantile(counts.iter().copied(), q);
        assert_eq!(q(0.05), Some(0));
        assert_eq!(q(0.06), Some(2));
        assert_eq!(q(0.95), Some(2));
        assert_eq!(q(0.96), Some(3));
        assert_eq!(quantile([(0, 0u64)].into_iter(), 0.5), None);
    }

    #[test]
    fn follow_up_is_censored_at_dropout_or_the_end() {
        let mut arm = crate::cohort::ArmData::default();
        arm.push_follow_up(5.0, 3.0, 24.0);
        arm.push_follow_up(5.0, f64::INFINITY, 24.0);
        arm.push_follow_up(f64::INFINITY, f64::INFINITY, 24.0);
        assert_eq!(
            arm.follow_up,
            [
                FollowUp::censored(3.0),
                FollowUp::flare(5.0),
                FollowUp::censored(24.0)
            ]
        );
    }
}
