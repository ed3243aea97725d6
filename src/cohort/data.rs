//! One simulated trial's recorded data: what the analyses see, in buffers
//! reused from replicate to replicate.

use crate::analysis::ArmView;
use crate::analysis::survival::FollowUp;
use crate::design::Arms;

/// One arm's recorded values for one replicate.
#[derive(Debug, Clone, Default)]
pub struct ArmData {
    pub baseline: Vec<f64>,
    pub primary: Vec<f64>,
    pub change: Vec<f64>,
    /// Intermediate visit values, patient-major: `interim[i * k + v]` (empty
    /// for patients without intercurrent events, unless replayed: see
    /// `CohortModel::record_every_visit`).
    pub interim: Vec<f64>,
    pub stratum: Vec<u8>,
    /// With intercurrent events: week of the first concomitant therapy
    /// (infinite if none), whether a flare came by the primary visit, the
    /// first flare's week, flares in follow-up, and which therapies started
    /// (bit i for concomitant i).
    pub event: Vec<f64>,
    pub flared_by_primary: Vec<bool>,
    pub first_flare: Vec<f64>,
    pub flares: Vec<u16>,
    pub concomitants: Vec<u32>,
    /// Time-to-flare endpoints: each patient's time to the first flare or
    /// to censoring (end of follow-up or dropout), and the dropout week
    /// (infinite if the patient stayed).
    pub follow_up: Vec<FollowUp>,
    pub dropout: Vec<f64>,
    /// With `[safety]`: each patient's count of each kind of adverse event
    /// (patient-major), and (MSC arm) whether the patient would have had a
    /// serious event at the control arm's rates.
    pub safety_events: Vec<u16>,
    pub serious_if_safe: Vec<bool>,
    /// With `[manufacturing]`: whether each child's product was made.
    pub infused: Vec<bool>,
}

impl ArmData {
    /// Buffers for `n` patients with `interim_visits` visits before the primary.
    pub fn with_capacity(n: usize, interim_visits: usize) -> ArmData {
        ArmData {
            baseline: Vec::with_capacity(n),
            primary: Vec::with_capacity(n),
            change: Vec::with_capacity(n),
            interim: Vec::with_capacity(n * interim_visits),
            stratum: Vec::with_capacity(n),
            event: Vec::with_capacity(n),
            flared_by_primary: Vec::with_capacity(n),
            first_flare: Vec::with_capacity(n),
            flares: Vec::with_capacity(n),
            concomitants: Vec::with_capacity(n),
            follow_up: Vec::with_capacity(n),
            dropout: Vec::with_capacity(n),
            safety_events: Vec::new(),
            serious_if_safe: Vec::new(),
            infused: Vec::new(),
        }
    }

    /// Empties the arm, keeping its buffers.
    pub fn clear(&mut self) {
        self.baseline.clear();
        self.primary.clear();
        self.change.clear();
        self.interim.clear();
        self.stratum.clear();
        self.event.clear();
        self.flared_by_primary.clear();
        self.first_flare.clear();
        self.flares.clear();
        self.concomitants.clear();
        self.follow_up.clear();
        self.dropout.clear();
        self.safety_events.clear();
        self.serious_if_safe.clear();
        self.infused.clear();
    }

    /// Patients recorded so far.
    pub fn len(&self) -> usize {
        self.primary.len()
    }

    /// Whether no patient is recorded.
    pub fn is_empty(&self) -> bool {
        self.primary.is_empty()
    }

    /// Records a patient's baseline and primary value, each multiplied by
    /// `unit` (1, or 1 / change SD in a pooled trial's stratum).
    #[inline]
    pub fn push_scaled(&mut self, baseline: f64, primary: f64, unit: f64, stratum: u8) {
        self.baseline.push(baseline * unit);
        self.primary.push(primary * unit);
        self.change.push((primary - baseline) * unit);
        self.stratum.push(stratum);
    }

    /// Records a time-to-flare patient's follow-up: the first flare, or
    /// censoring at dropout or at the end of follow-up, whichever comes
    /// first; `dropout` is the week the patient left (infinite if never).
    #[inline]
    pub fn push_follow_up(&mut self, first_flare: f64, dropout: f64, follow_up_weeks: f64) {
        let end = dropout.min(follow_up_weeks);
        self.follow_up.push(if first_flare <= end {
            FollowUp::flare(first_flare)
        } else {
            FollowUp::censored(end)
        });
        self.dropout.push(dropout);
    }

    /// Records a randomised child of a randomized withdrawal design: the
    /// run-in's baseline and value, and the flares from randomisation.
    pub fn push_withdrawn(
        &mut self,
        (baseline, run_in_value): (f64, f64),
        (first_flare, flares): (f64, usize),
        dropout: f64,
        (primary_week, follow_up_weeks): (f64, f64),
    ) {
        self.push_scaled(baseline, run_in_value, 1.0, 0);
        self.event.push(f64::INFINITY);
        self.flared_by_primary.push(first_flare <= primary_week);
        self.first_flare.push(first_flare);
        self.flares.push(flares as u16);
        self.concomitants.push(0);
        self.push_follow_up(first_flare, dropout, follow_up_weeks);
    }

    /// Appends patient `i` of `src` (every per-patient record `src` keeps;
    /// `visits` intermediate visits each): the cohort of an interim look.
    pub fn push_from(&mut self, src: &ArmData, i: usize, visits: usize) {
        fn copy<T: Copy>(to: &mut Vec<T>, from: &[T], i: usize) {
            if let Some(&v) = from.get(i) {
                to.push(v);
            }
        }
        copy(&mut self.baseline, &src.baseline, i);
        copy(&mut self.primary, &src.primary, i);
        copy(&mut self.change, &src.change, i);
        // A run without intercurrent events records no intermediate visit.
        if let Some(values) = src.interim.get(i * visits..(i + 1) * visits) {
            self.interim.extend_from_slice(values);
        }
        copy(&mut self.stratum, &src.stratum, i);
        copy(&mut self.event, &src.event, i);
        copy(&mut self.flared_by_primary, &src.flared_by_primary, i);
        copy(&mut self.first_flare, &src.first_flare, i);
        copy(&mut self.flares, &src.flares, i);
        copy(&mut self.concomitants, &src.concomitants, i);
        copy(&mut self.follow_up, &src.follow_up, i);
        copy(&mut self.dropout, &src.dropout, i);
        copy(&mut self.serious_if_safe, &src.serious_if_safe, i);
        copy(&mut self.infused, &src.infused, i);
    }

    /// A borrowed view for the analyses.
    pub fn view(&self) -> ArmView<'_> {
        ArmView {
            baseline: &self.baseline,
            primary: &self.primary,
            change: &self.change,
            stratum: &self.stratum,
            follow_up: &self.follow_up,
        }
    }
}

/// Both arms of one simulated trial.
pub type Cohort = Arms<ArmData>;

impl Arms<ArmData> {
    /// Empties both arms, keeping their buffers.
    pub fn clear(&mut self) {
        self.msc.clear();
        self.control.clear();
    }
}
