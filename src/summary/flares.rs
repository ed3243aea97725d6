//! Flares and concomitant therapies, per arm: the accumulator one replicate
//! is folded into, and the report columns read off it.
//!
//! Each Welford is over replicates of the per-trial proportion (or mean), so
//! its SE is right even when patients of one trial share a drawn hazard ratio.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::merge_vec;
use crate::cohort::{ArmData, Cohort};
use crate::design::Arms;
use crate::intercurrent::IntercurrentModel;
use crate::stats::Welford;
use crate::stats::rounding::ceil_index;

/// One arm's intercurrent-event figures over replicates.
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
    /// The same per-trial counts squared, summed over replicates: with
    /// `flared_by_week`, the Monte Carlo SE of the flare-free curve.
    pub flared_by_week_sq: Vec<u64>,
    pub patients: u64,
    /// With `[dropout]`: the share of the arm whose primary value is missing
    /// (left before the primary visit).
    #[serde(default)]
    pub dropout_by_primary: Welford,
}

/// Both arms' figures.
pub type FlareStats = Arms<ArmStats>;

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
        merge_vec(
            &mut self.flared_by_week_sq,
            &other.flared_by_week_sq,
            |a, b| *a += b,
        );
        self.patients += other.patients;
        self.dropout_by_primary.merge(&other.dropout_by_primary);
    }

    /// Folds one replicate's arm into these figures.
    fn record(&mut self, arm: &ArmData, rescue_mask: u32, weeks: usize, primary: f64) {
        let n = arm.len();
        if n == 0 {
            return;
        }
        if !arm.dropout.is_empty() {
            let left = arm.dropout.iter().filter(|&&d| d < primary).count();
            self.dropout_by_primary.push(left as f64 / n as f64);
        }
        let share = |count: usize| count as f64 / n as f64;
        self.patients += n as u64;
        self.flare_by_primary
            .push(share(arm.flared_by_primary.iter().filter(|&&f| f).count()));
        self.flare_in_follow_up.push(share(
            arm.first_flare.iter().filter(|t| t.is_finite()).count(),
        ));
        // Summed as integers: the same value as adding them as doubles one
        // by one (every partial sum is an integer far below 2^53), without
        // a chain of dependent floating-point adds.
        let flares: u64 = arm.flares.iter().map(|&f| u64::from(f)).sum();
        self.flares_per_patient.push(flares as f64 / n as f64);
        self.rescue.push(share(
            arm.concomitants
                .iter()
                .filter(|&&m| m & rescue_mask != 0)
                .count(),
        ));
        for (i, w) in self.concomitant.iter_mut().enumerate() {
            w.push(share(
                arm.concomitants
                    .iter()
                    .filter(|&&m| m & (1 << i) != 0)
                    .count(),
            ));
        }
        // This trial's count of first flares by each week, added to the
        // running sums of counts and of squared counts.
        let mut by_week = [0u64; MAX_CURVE_WEEKS + 2];
        for &t in &arm.first_flare {
            if t.is_finite() {
                by_week[ceil_index(t).min(weeks)] += 1;
            }
        }
        let mut cumulative = 0u64;
        let sums = self
            .flared_by_week
            .iter_mut()
            .zip(&mut self.flared_by_week_sq);
        for (new, (sum, sum_sq)) in by_week[..weeks].iter().zip(sums) {
            cumulative += new;
            *sum += cumulative;
            *sum_sq += cumulative * cumulative;
        }
    }
}

/// Empty figures for `ic`'s therapies and follow-up.
pub fn empty(ic: &IntercurrentModel) -> FlareStats {
    Arms::both(ArmStats {
        concomitant: vec![Welford::default(); ic.spec.concomitants.len()],
        flared_by_week: vec![0; weeks(ic)],
        flared_by_week_sq: vec![0; weeks(ic)],
        ..ArmStats::default()
    })
}

/// Longest follow-up the flare-free curve covers, in weeks (validation keeps
/// `design.follow_up_weeks` within it).
pub const MAX_CURVE_WEEKS: usize = crate::scenario::MAX_WEEKS as usize;

/// Weeks 0, 1, ..., ceil(follow-up) of the flare-free curve.
fn weeks(ic: &IntercurrentModel) -> usize {
    (ic.spec.follow_up_weeks.ceil() as usize + 1).min(MAX_CURVE_WEEKS + 1)
}

/// Folds one replicate's per-arm flare and therapy figures into `stats`.
pub fn record(stats: &mut FlareStats, ic: &IntercurrentModel, cohort: &Cohort) {
    let rescue_mask: u32 = (0..ic.spec.concomitants.len())
        .filter(|&i| ic.is_rescue(i))
        .map(|i| 1 << i)
        .sum();
    let weeks = weeks(ic);
    let primary = *ic.visits().last().expect("validated: a primary visit");
    for (arm, s) in stats.iter_mut() {
        s.record(&cohort[arm], rescue_mask, weeks, primary);
    }
}

/// A figure for each arm (`control` is empty in a single-arm design).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PerArm {
    pub msc: f64,
    pub control: Option<f64>,
}

fn per_arm(stats: Option<&FlareStats>, f: impl Fn(&ArmStats) -> f64) -> Option<PerArm> {
    let s = stats?;
    Some(PerArm {
        msc: f(&s.msc),
        control: Some(&s.control).filter(|a| a.patients > 0).map(&f),
    })
}

/// The report columns of flares and therapies (absent without intercurrent
/// events). "By primary" stops at the primary visit; "in follow-up" runs to
/// `design.follow_up_weeks`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FlareColumns {
    /// Probability of at least one flare by the primary visit, per arm.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub flare_probability_by_primary: Option<PerArm>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub flare_probability_by_primary_mc_se: Option<PerArm>,
    /// ... of at least one flare at any time in follow-up.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub flare_probability_in_follow_up: Option<PerArm>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub flare_probability_in_follow_up_mc_se: Option<PerArm>,
    /// Mean number of flares per patient in follow-up.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub flares_per_patient_in_follow_up: Option<PerArm>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub flares_per_patient_in_follow_up_mc_se: Option<PerArm>,
    /// Probability of a flare-triggered (rescue) therapy in follow-up; other
    /// therapies (at baseline, on non-response) are in `concomitant_probability`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub flare_rescue_probability: Option<PerArm>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub flare_rescue_probability_mc_se: Option<PerArm>,
    /// Probability of each concomitant therapy (any trigger) in follow-up, by name.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub concomitant_probability: Option<BTreeMap<String, PerArm>>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub concomitant_probability_mc_se: Option<BTreeMap<String, PerArm>>,
    /// With `[dropout]`: the share whose primary value is missing (left
    /// before the primary visit), per arm.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub dropout_by_primary: Option<PerArm>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub dropout_by_primary_mc_se: Option<PerArm>,
}

/// Flare-free proportions by week 0, 1, ..., per arm, and their Monte Carlo
/// SEs (over replicates of the per-trial proportion).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlareFree {
    pub msc: Vec<f64>,
    pub control: Vec<f64>,
    pub msc_mc_se: Vec<f64>,
    pub control_mc_se: Vec<f64>,
}

/// The flare-free curve column (empty without intercurrent events).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FlareCurve {
    /// Share of patients flare-free at each week 0, 1, ..., per arm.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub flare_free: Option<FlareFree>,
}

impl FlareColumns {
    /// Reads the columns off `stats`; `therapies` names the concomitant
    /// therapies in file order.
    pub fn new(stats: Option<&FlareStats>, therapies: &[String]) -> FlareColumns {
        let by_therapy = |f: &dyn Fn(&Welford) -> f64| {
            stats.map(|_| {
                therapies
                    .iter()
                    .enumerate()
                    .filter_map(|(i, name)| {
                        per_arm(stats, |a| a.concomitant.get(i).map_or(f64::NAN, f))
                            .map(|p| (name.clone(), p))
                    })
                    .collect()
            })
        };
        FlareColumns {
            flare_probability_by_primary: per_arm(stats, |a| a.flare_by_primary.mean),
            flare_probability_by_primary_mc_se: per_arm(stats, |a| a.flare_by_primary.se()),
            flare_probability_in_follow_up: per_arm(stats, |a| a.flare_in_follow_up.mean),
            flare_probability_in_follow_up_mc_se: per_arm(stats, |a| a.flare_in_follow_up.se()),
            flares_per_patient_in_follow_up: per_arm(stats, |a| a.flares_per_patient.mean),
            flares_per_patient_in_follow_up_mc_se: per_arm(stats, |a| a.flares_per_patient.se()),
            flare_rescue_probability: per_arm(stats, |a| a.rescue.mean),
            flare_rescue_probability_mc_se: per_arm(stats, |a| a.rescue.se()),
            concomitant_probability: by_therapy(&|w| w.mean),
            concomitant_probability_mc_se: by_therapy(&Welford::se),
            dropout_by_primary: per_arm(stats, |a| a.dropout_by_primary.mean)
                .filter(|_| stats.is_some_and(|s| s.msc.dropout_by_primary.n > 0)),
            dropout_by_primary_mc_se: per_arm(stats, |a| a.dropout_by_primary.se())
                .filter(|_| stats.is_some_and(|s| s.msc.dropout_by_primary.n > 0)),
        }
    }
}

impl FlareCurve {
    /// Reads the flare-free curve off `stats`.
    pub fn new(stats: Option<&FlareStats>) -> FlareCurve {
        let curve = |a: &ArmStats| -> Vec<f64> {
            a.flared_by_week
                .iter()
                .map(|&k| 1.0 - k as f64 / a.patients.max(1) as f64)
                .collect()
        };
        // Per-trial share flared x = k / n with n patients per trial: the SE
        // of its mean over R replicates is sd(k) / (n sqrt(R)).
        let se = |a: &ArmStats| -> Vec<f64> {
            let r = a.flare_by_primary.n;
            if r < 2 {
                return vec![f64::NAN; a.flared_by_week.len()];
            }
            let (rf, n) = (r as f64, a.patients as f64 / r as f64);
            a.flared_by_week
                .iter()
                .zip(&a.flared_by_week_sq)
                .map(|(&s, &ss)| {
                    let mean = s as f64 / rf;
                    let var = ((ss as f64 - rf * mean * mean) / (rf - 1.0)).max(0.0);
                    var.sqrt() / (n * rf.sqrt())
                })
                .collect()
        };
        let control = |f: &dyn Fn(&ArmStats) -> Vec<f64>, s: &FlareStats| {
            Some(&s.control)
                .filter(|a| a.patients > 0)
                .map_or_else(Vec::new, f)
        };
        FlareCurve {
            flare_free: stats.map(|s| FlareFree {
                msc: curve(&s.msc),
                control: control(&curve, s),
                msc_mc_se: se(&s.msc),
                control_mc_se: control(&se, s),
            }),
        }
    }
}
