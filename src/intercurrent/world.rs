//! What happened to one patient: each world's recorded values, flares and
//! therapy starts, and how the observed world is recorded in the trial data.

use super::{MAX_CONCOMITANT, MAX_FLARES, MAX_VISITS};
use crate::cohort::ArmData;
use crate::design::{Arm, Arms};

/// Random numbers a patient's worlds share.
#[derive(Debug, Clone, Copy)]
pub struct SharedDraws {
    pub(super) exp: [f64; MAX_FLARES],
    pub(super) worsening: [f64; MAX_FLARES],
    /// Flare exponentials drawn so far (the worlds draw them as they need them).
    pub(super) drawn: usize,
    pub(super) conc_u: [f64; MAX_CONCOMITANT],
    pub(super) conc_effect: [f64; MAX_CONCOMITANT],
}

/// Per-worker buffers for one patient's worlds, reused patient after
/// patient: the shared draws and each arm's flare times (own arm, other arm).
#[derive(Debug, Clone)]
pub struct PatientScratch {
    pub(super) draws: SharedDraws,
    pub(super) times: [[f64; MAX_FLARES]; 2],
    pub(super) factors: Factors,
}

impl Default for PatientScratch {
    fn default() -> PatientScratch {
        PatientScratch {
            draws: SharedDraws::default(),
            times: [[0.0; MAX_FLARES]; 2],
            factors: Factors::default(),
        }
    }
}

/// The factor a trial's MSC hazard ratio puts on each piece of each arm's
/// schedule (a power of it where the effect wanes), computed once per
/// hazard ratio rather than once per patient and piece, and recomputed when
/// a scratch meets another model or hazard ratio.
#[derive(Debug, Clone, Default)]
pub struct Factors {
    /// The model (its [`super::IntercurrentModel`] id) and hazard ratio
    /// (its bits) the factors are for (`None`: not computed yet).
    pub(super) key: Option<(u64, u64)>,
    pub(super) by_arm: Arms<Vec<f64>>,
}

impl Default for World {
    fn default() -> World {
        World {
            values: [0.0; MAX_VISITS],
            flares: 0,
            first_flare: f64::INFINITY,
            conc_start: [f64::INFINITY; MAX_CONCOMITANT],
            event: f64::INFINITY,
        }
    }
}

impl Default for SharedDraws {
    fn default() -> SharedDraws {
        SharedDraws {
            exp: [0.0; MAX_FLARES],
            worsening: [0.0; MAX_FLARES],
            drawn: 0,
            conc_u: [0.0; MAX_CONCOMITANT],
            conc_effect: [0.0; MAX_CONCOMITANT],
        }
    }
}

/// What happened in one world of one patient.
#[derive(Debug, Clone, Copy)]
pub struct World {
    /// Recorded value at each visit (the last is primary), before any unit scaling.
    pub values: [f64; MAX_VISITS],
    pub flares: usize,
    pub first_flare: f64,
    /// Start week of each concomitant therapy (infinite if never).
    pub conc_start: [f64; MAX_CONCOMITANT],
    /// First start of any concomitant therapy: the intercurrent event.
    pub event: f64,
}

impl World {
    /// The value at the last visit not after the intercurrent event (a visit
    /// on the day a therapy starts is measured before the dose; the recorded
    /// baseline if the event comes before the first visit).
    pub fn while_on_treatment(&self, visits: &[f64], recorded_baseline: f64) -> f64 {
        match visits.iter().rposition(|&v| v <= self.event) {
            Some(k) => self.values[k],
            None => recorded_baseline,
        }
    }
}

/// A patient's four worlds: MSC and control, with and without the
/// concomitant therapies. The patient's own arm with the therapies is the
/// observed one.
#[derive(Debug, Clone, Copy)]
pub struct Worlds {
    pub(super) own: Arm,
    pub(super) own_with: World,
    pub(super) other_with: World,
    pub(super) own_plain: World,
    pub(super) other_plain: World,
    /// Whether no therapy started in the arm's world with therapies, so its
    /// world without them is that same world (read there, not copied).
    pub(super) own_plain_is_with: bool,
    pub(super) other_plain_is_with: bool,
}

impl Default for Worlds {
    fn default() -> Worlds {
        Worlds {
            own: Arm::Msc,
            own_with: World::default(),
            other_with: World::default(),
            own_plain: World::default(),
            other_plain: World::default(),
            own_plain_is_with: false,
            other_plain_is_with: false,
        }
    }
}

impl Worlds {
    /// The world of `arm`, with the concomitant therapies or without. Only
    /// the observed world records every visit; the others record what the
    /// estimands' truths read (the primary visit, and in the other arm's
    /// world with therapies the last visit before the event) and hold NaN
    /// at the rest.
    pub fn get(&self, arm: Arm, with_concomitants: bool) -> &World {
        match (arm == self.own, with_concomitants) {
            (true, true) => &self.own_with,
            (false, true) => &self.other_with,
            (true, false) if self.own_plain_is_with => &self.own_with,
            (true, false) => &self.own_plain,
            (false, false) if self.other_plain_is_with => &self.other_with,
            (false, false) => &self.other_plain,
        }
    }

    /// The world the trial observes.
    pub fn observed(&self) -> &World {
        &self.own_with
    }

    /// Records the observed world in `data`: each visit's value and the
    /// recorded baseline (times `unit`), and the events. `visits` are the
    /// visit weeks (the last is primary); a therapy counts when it starts by
    /// `follow_up_weeks`.
    pub fn record(
        &self,
        data: &mut ArmData,
        recorded_baseline: f64,
        (stratum, unit): (u8, f64),
        visits: &[f64],
        follow_up_weeks: f64,
        therapies: usize,
    ) {
        let own = &self.own_with;
        let k_primary = visits.len() - 1;
        for &v in &own.values[..k_primary] {
            data.interim.push(v * unit);
        }
        data.push_scaled(recorded_baseline, own.values[k_primary], unit, stratum);
        data.event.push(own.event);
        data.flared_by_primary
            .push(own.first_flare <= visits[k_primary]);
        data.first_flare.push(own.first_flare);
        data.flares.push(own.flares as u16);
        let mut mask = 0u32;
        for (i, &start) in own.conc_start[..therapies].iter().enumerate() {
            if start <= follow_up_weeks {
                mask |= 1 << i;
            }
        }
        data.concomitants.push(mask);
    }
}
