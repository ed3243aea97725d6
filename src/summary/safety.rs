//! Adverse events per arm and the safety stopping rule: the monitor's
//! boundaries, the accumulator one replicate is folded into, and the report
//! columns read off it.
//!
//! The monitor looks at the MSC children in enrolment order and, after each,
//! at how many have had a serious event: it stops the trial the first time
//! that count reaches the boundary for the children seen. Every figure is a
//! per-trial share or mean folded over replicates (Welford), so its Monte
//! Carlo SE is that of its mean.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use statrs::distribution::{Beta, ContinuousCDF};

use super::Figure;
use super::flares::PerArm;
use crate::cohort::Cohort;
use crate::design::{Arm, Arms};
use crate::intercurrent::safety::SafetyModel;
use crate::scenario::safety::{MAX_EVENTS, Stopping};
use crate::stats::Welford;

/// The stopping rule for `n` MSC children: `boundary[i]` is the number of
/// children with a serious event among the first `i + 1` that stops the
/// trial (`u32::MAX`: it cannot stop there).
#[derive(Debug, Clone)]
pub struct Monitor {
    boundary: Vec<u32>,
}

impl Monitor {
    /// The boundaries of `rule` for `n` MSC children.
    pub fn new(rule: Stopping, n: usize) -> Monitor {
        let boundary = (1..=n)
            .map(|i| match rule {
                Stopping::Count { serious_children } => serious_children,
                Stopping::BetaBinomial {
                    a,
                    b,
                    limit,
                    probability,
                } => {
                    // P(share > limit | x of i) rises with x: the smallest
                    // x above the probability, by bisection.
                    let above = |x: usize| {
                        Beta::new(a + x as f64, b + (i - x) as f64)
                            .is_ok_and(|d| d.sf(limit) > probability)
                    };
                    if !above(i) {
                        u32::MAX
                    } else {
                        let (mut lo, mut hi) = (0usize, i);
                        while lo < hi {
                            let mid = (lo + hi) / 2;
                            if above(mid) { hi = mid } else { lo = mid + 1 }
                        }
                        lo as u32
                    }
                }
            })
            .collect();
        Monitor { boundary }
    }

    /// The boundary after each child, in order.
    pub fn boundaries(&self) -> &[u32] {
        &self.boundary
    }

    /// Whether the monitor stops a trial whose MSC children had a serious
    /// event as `serious` says, in enrolment order.
    pub fn stops(&self, serious: impl Iterator<Item = bool>) -> bool {
        let mut count = 0u32;
        for (b, s) in self.boundary.iter().zip(serious) {
            count += u32::from(s);
            if count >= *b {
                return true;
            }
        }
        false
    }
}

/// One arm's adverse-event figures over replicates.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ArmSafety {
    /// Per event kind: the share of children with at least one.
    pub any: Vec<Welford>,
    /// Per event kind: events per child.
    pub per_patient: Vec<Welford>,
    /// The share of children with any serious event.
    pub any_serious: Welford,
}

/// Both arms' figures and the stopping rule's.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SafetyStats {
    pub arms: Arms<ArmSafety>,
    /// Trials the monitor stopped, at the simulated rates.
    pub stopped: u64,
    /// Trials it stopped with the MSC arm at the control arm's rates.
    pub stopped_if_safe: u64,
    /// Trials folded in.
    pub trials: u64,
}

impl SafetyStats {
    /// Empty figures for `kinds` event kinds.
    pub fn empty(kinds: usize) -> SafetyStats {
        SafetyStats {
            arms: Arms::both(ArmSafety {
                any: vec![Welford::default(); kinds],
                per_patient: vec![Welford::default(); kinds],
                any_serious: Welford::default(),
            }),
            ..SafetyStats::default()
        }
    }

    /// Folds `other` (later replicates) into `self`.
    pub fn merge(&mut self, other: &SafetyStats) {
        for arm in Arm::ALL {
            let (a, b) = (&mut self.arms[arm], &other.arms[arm]);
            super::merge_vec(&mut a.any, &b.any, Welford::merge);
            super::merge_vec(&mut a.per_patient, &b.per_patient, Welford::merge);
            a.any_serious.merge(&b.any_serious);
        }
        self.stopped += other.stopped;
        self.stopped_if_safe += other.stopped_if_safe;
        self.trials += other.trials;
    }

    /// Folds one trial in.
    pub fn record(&mut self, cohort: &Cohort, model: &SafetyModel, monitor: Option<&Monitor>) {
        let kinds = model.kinds();
        for arm in Arm::ALL {
            let data = &cohort[arm];
            let n = data.len();
            if n == 0 || kinds == 0 {
                continue;
            }
            let s = &mut self.arms[arm];
            // One pass over the children, counting every kind at once.
            let (mut with, mut events) = ([0u64; MAX_EVENTS], [0u64; MAX_EVENTS]);
            let mut serious = 0u64;
            let mask = model.serious_mask();
            for child in data.safety_events[..n * kinds].chunks_exact(kinds) {
                let mut seen = 0u32;
                for (k, &count) in child.iter().enumerate() {
                    let any = count > 0;
                    with[k] += u64::from(any);
                    events[k] += u64::from(count);
                    seen |= u32::from(any) << k;
                }
                serious += u64::from(seen & mask != 0);
            }
            for k in 0..kinds {
                s.any[k].push(with[k] as f64 / n as f64);
                s.per_patient[k].push(events[k] as f64 / n as f64);
            }
            s.any_serious.push(serious as f64 / n as f64);
        }
        self.trials += 1;
        if let Some(m) = monitor {
            let msc = &cohort.msc;
            let seen = |i: usize| {
                (0..kinds).any(|k| model.is_serious(k) && msc.safety_events[i * kinds + k] > 0)
            };
            if m.stops((0..msc.len()).map(seen)) {
                self.stopped += 1;
            }
            if m.stops(msc.serious_if_safe.iter().copied()) {
                self.stopped_if_safe += 1;
            }
        }
    }
}

/// The report columns of `[safety]` (absent without it).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SafetyColumns {
    /// Per event, by name: P(a child has at least one), per arm.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub safety_any: Option<BTreeMap<String, PerArm>>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub safety_any_mc_se: Option<BTreeMap<String, PerArm>>,
    /// Per event, by name: events per child, per arm.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub safety_events_per_patient: Option<BTreeMap<String, PerArm>>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub safety_events_per_patient_mc_se: Option<BTreeMap<String, PerArm>>,
    /// P(a child has any serious event), per arm.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub safety_serious_any: Option<PerArm>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub safety_serious_any_mc_se: Option<PerArm>,
    /// P(the stopping rule stops the trial), at the simulated rates and with
    /// the MSC arm at the control arm's rates.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub safety_stop_probability: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub safety_stop_probability_mc_se: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub safety_stop_probability_if_safe: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub safety_stop_probability_if_safe_mc_se: Option<f64>,
}

impl SafetyColumns {
    /// Reads the columns off `stats`; `names` are the events in file order;
    /// `monitored` says whether there is a stopping rule.
    pub fn new(stats: Option<&SafetyStats>, names: &[String], monitored: bool) -> SafetyColumns {
        let Some(s) = stats else {
            return SafetyColumns::default();
        };
        // A single-arm series has no control arm to report.
        let has_control = s.arms.control.any_serious.n > 0;
        let arm = |f: &dyn Fn(&ArmSafety) -> f64| PerArm {
            msc: f(&s.arms.msc),
            control: has_control.then(|| f(&s.arms.control)),
        };
        let by_name = |f: &dyn Fn(&Welford) -> f64, pick: fn(&ArmSafety) -> &Vec<Welford>| {
            Some(
                names
                    .iter()
                    .enumerate()
                    .map(|(k, name)| (name.clone(), arm(&|a| pick(a).get(k).map_or(f64::NAN, f))))
                    .collect(),
            )
        };
        let stop = Figure::rate(s.stopped, s.trials);
        let safe = Figure::rate(s.stopped_if_safe, s.trials);
        SafetyColumns {
            safety_any: by_name(&Welford::mean_or_nan, |a| &a.any),
            safety_any_mc_se: by_name(&Welford::se, |a| &a.any),
            safety_events_per_patient: by_name(&Welford::mean_or_nan, |a| &a.per_patient),
            safety_events_per_patient_mc_se: by_name(&Welford::se, |a| &a.per_patient),
            safety_serious_any: Some(arm(&|a| a.any_serious.mean_or_nan())),
            safety_serious_any_mc_se: Some(arm(&|a| a.any_serious.se())),
            safety_stop_probability: monitored.then_some(stop.value),
            safety_stop_probability_mc_se: monitored.then_some(stop.mc_se),
            safety_stop_probability_if_safe: monitored.then_some(safe.value),
            safety_stop_probability_if_safe_mc_se: monitored.then_some(safe.mc_se),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_rule_stops_at_its_count() {
        let m = Monitor::new(
            Stopping::Count {
                serious_children: 2,
            },
            4,
        );
        assert_eq!(m.boundaries(), &[2, 2, 2, 2]);
        assert!(m.stops([true, false, true, false].into_iter()));
        assert!(!m.stops([true, false, false, false].into_iter()));
    }

    #[test]
    fn beta_binomial_boundaries_match_hand_computed_posteriors() {
        // Beta(1, 1) prior, stop when P(share > 0.2 | data) > 0.9. After one
        // child with a serious event: Beta(2, 1), P(p > 0.2) = 1 - 0.04 =
        // 0.96 > 0.9, so one stops; after two children, one event:
        // Beta(2, 2), P(p > 0.2) = 1 - (3 (0.04) - 2 (0.008)) = 0.896: not
        // yet; two events: Beta(3, 1), 1 - 0.008 = 0.992.
        let m = Monitor::new(
            Stopping::BetaBinomial {
                a: 1.0,
                b: 1.0,
                limit: 0.2,
                probability: 0.9,
            },
            2,
        );
        assert_eq!(m.boundaries(), &[1, 2]);
    }
}
