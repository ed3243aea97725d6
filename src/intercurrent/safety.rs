//! Adverse events: each child's count of each kind of event, Poisson with
//! mean `rate × exposure`, where the exposure is the child's infusions (MSC,
//! or placebo in the control arm) or child-years of follow-up (to the end of
//! follow-up, whether or not the child dropped out). Drawn from the
//! replicate's own safety stream ([`crate::design::stream::safety_stream`]),
//! so adding `[safety]` changes no other result.
//!
//! For the stopping rule's operating characteristics "when MSC is safe",
//! each MSC child also gets a serious-event indicator drawn at the control
//! arm's rates: the monitor is run on both.

use rand_distr::{Distribution, Poisson};

use crate::cohort::Cohort;
use crate::design::{Arm, Arms};
use crate::rng::Stream;
use crate::scenario::safety::{Per, Safety};

/// Weeks in a year (365.25 days).
pub const WEEKS_PER_YEAR: f64 = 365.25 / 7.0;

/// `[safety]`, prepared for one cell.
#[derive(Debug, Clone)]
pub struct SafetyModel {
    /// Each arm's count distribution per event kind (`None`: rate 0).
    counts: Arms<Vec<Option<Poisson<f64>>>>,
    /// Which event kinds are serious.
    serious: Vec<bool>,
    /// Which are counted per infusion (none for a child never infused).
    per_infusion: Vec<bool>,
    /// P(an MSC child has a serious event) at the control arm's rates.
    serious_if_safe: f64,
}

impl SafetyModel {
    /// Prepares `s` for `follow_up_weeks` of follow-up.
    pub fn new(s: &Safety, follow_up_weeks: f64) -> SafetyModel {
        let exposure = |per: Per| match per {
            Per::Infusion => f64::from(s.infusions),
            Per::PatientYear => follow_up_weeks / WEEKS_PER_YEAR,
        };
        let counts = Arms::from_fn(|arm| {
            s.events
                .iter()
                .map(|e| Poisson::new(e.rate[arm] * exposure(e.per)).ok())
                .collect()
        });
        let control_serious: f64 = s
            .events
            .iter()
            .filter(|e| e.serious)
            .map(|e| e.rate.control * exposure(e.per))
            .sum();
        SafetyModel {
            counts,
            serious: s.events.iter().map(|e| e.serious).collect(),
            per_infusion: s.events.iter().map(|e| e.per == Per::Infusion).collect(),
            serious_if_safe: 1.0 - (-control_serious).exp(),
        }
    }

    /// Event kinds.
    pub fn kinds(&self) -> usize {
        self.serious.len()
    }

    /// Whether event kind `k` is serious.
    pub fn is_serious(&self, k: usize) -> bool {
        self.serious[k]
    }

    /// Draws every child's events into `cohort` (`safety_events`,
    /// patient-major, and the MSC arm's `serious_if_safe`).
    pub fn draw(&self, cohort: &mut Cohort, rng: &mut Stream) {
        for arm in Arm::ALL {
            let data = &mut cohort[arm];
            for i in 0..data.len() {
                // An MSC child whose product failed (`[manufacturing]`) had
                // no infusion: no per-infusion events, and the control arm's
                // rates for the rest.
                let uninfused = data.infused.get(i) == Some(&false);
                for (k, c) in self.counts[arm].iter().enumerate() {
                    let c = match (uninfused, self.per_infusion[k]) {
                        (false, _) => c.as_ref(),
                        (true, true) => None,
                        (true, false) => self.counts.control[k].as_ref(),
                    };
                    let n = c.map_or(0.0, |p| p.sample(rng));
                    data.safety_events.push(n.min(f64::from(u16::MAX)) as u16);
                }
            }
        }
        let msc = &mut cohort.msc;
        for _ in 0..msc.len() {
            let u = rng.open01();
            msc.serious_if_safe.push(u < self.serious_if_safe);
        }
    }
}
