//! Intercurrent events for one patient: flares after standard therapy is
//! kept, tapered or stopped, and concomitant or rescue therapies, in each of
//! the patient's four worlds (MSC or control, with or without the concomitant
//! therapies), coupled by common random numbers.
//!
//! * Flares are a recurrent-event process with a piecewise-constant hazard per
//!   week: `flare_hazard_on` while on standard therapy, `flare_hazard_taper`
//!   while tapering (default: midway between on and off), `flare_hazard_off`
//!   after; times MSC's hazard ratio in the MSC arm (drawn per trial from a
//!   log-normal prior when `msc_flare_hazard_ratio_log_sd` > 0). The j-th flare
//!   comes when the cumulative hazard reaches the sum of j unit exponentials,
//!   the same exponentials in both arms. Each flare adds its own worsening
//!   (`flare_effect` ± `flare_effect_sd`, at least 0) to every later value.
//! * Concomitant therapy `c` starts at `start_week` (trigger `baseline`),
//!   `start_week` after the first flare (`flare`: one rescue course), or at the
//!   visit `start_week` if the patient's fall from baseline there is below
//!   `improvement_needed` (`nonresponse`); each with the arm's probability, by a
//!   uniform common to both arms. Its effect (`effect` ± `effect_sd`) is added
//!   in full for `duration_weeks`, then halves every `half_life_weeks`, to
//!   values recorded after its start: a visit on the day it starts is
//!   measured before the dose (so the visit that triggers a rescue shows the
//!   patient unrescued).
//!
//! With no flare hazard and no concomitant therapy, nothing is drawn and the
//! recorded values are those of the core engine, bit for bit.

use rand::Rng;
use rand_distr::{Distribution, Exp1, Open01, StandardNormal};

use crate::scenario::intercurrent::{Intercurrent, Piecewise, Trigger};

/// Flares counted per patient; later ones are ignored (a hazard this high is
/// far outside any pediatric trial).
pub const MAX_FLARES: usize = 64;
/// Visits a scenario with intercurrent events may have.
pub const MAX_VISITS: usize = 32;
/// Concomitant therapies per scenario.
pub use crate::scenario::intercurrent::MAX_CONCOMITANT;

/// A piecewise-constant hazard schedule for one arm, before MSC's hazard ratio.
#[derive(Debug, Clone)]
struct Schedule {
    starts: Vec<f64>,
    rates: Vec<f64>,
}

/// The intercurrent-event model of a scenario, prepared for simulation.
#[derive(Debug, Clone)]
pub struct IntercurrentModel {
    pub spec: Intercurrent,
    /// `[msc, control]`.
    schedules: [Schedule; 2],
    has_flares: bool,
    visits: Vec<f64>,
    /// Concomitant therapies in the order their start is decided: baseline
    /// and flare triggers first, then non-response by assessment week.
    order: Vec<usize>,
}

/// Random numbers a patient's worlds share.
#[derive(Debug, Clone, Copy)]
pub struct SharedDraws {
    exp: [f64; MAX_FLARES],
    worsening: [f64; MAX_FLARES],
    drawn: usize,
    conc_u: [f64; MAX_CONCOMITANT],
    conc_effect: [f64; MAX_CONCOMITANT],
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

impl IntercurrentModel {
    /// Prepares `spec` for visits at `visits` weeks.
    pub fn new(spec: &Intercurrent, visits: &[f64]) -> IntercurrentModel {
        let t = &spec.therapy;
        let schedule = |withdraws: bool| {
            let mut cuts: Vec<f64> = t
                .hazard_on
                .starts
                .iter()
                .chain(&t.hazard_off.starts)
                .chain(t.hazard_taper.iter().flat_map(|p| p.starts.iter()))
                .copied()
                .chain([0.0, t.taper_weeks])
                .collect();
            cuts.sort_by(f64::total_cmp);
            cuts.dedup();
            let rate = |w: f64| -> f64 {
                if !withdraws {
                    t.hazard_on.at(w)
                } else if w < t.taper_weeks {
                    t.hazard_taper.as_ref().map_or_else(
                        || (t.hazard_on.at(w) + t.hazard_off.at(w)) / 2.0,
                        |p: &Piecewise| p.at(w),
                    )
                } else {
                    t.hazard_off.at(w)
                }
            };
            Schedule {
                rates: cuts.iter().map(|&w| rate(w)).collect(),
                starts: cuts,
            }
        };
        let schedules = [schedule(t.withdraws[0]), schedule(t.withdraws[1])];
        let has_flares = schedules.iter().any(|s| s.rates.iter().any(|&r| r > 0.0));
        let mut order: Vec<usize> = (0..spec.concomitants.len()).collect();
        order.sort_by(|&a, &b| {
            let key = |i: usize| {
                let c = &spec.concomitants[i];
                (c.trigger == Trigger::Nonresponse, c.start_week)
            };
            let (ka, kb) = (key(a), key(b));
            ka.0.cmp(&kb.0).then(ka.1.total_cmp(&kb.1))
        });
        IntercurrentModel {
            spec: spec.clone(),
            schedules,
            has_flares,
            visits: visits.to_vec(),
            order,
        }
    }

    /// The MSC flare hazard ratio of one trial (drawn from its prior if it has one).
    pub fn trial_hazard_ratio<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        let t = &self.spec.therapy;
        if self.has_flares && t.msc_hazard_ratio_log_sd > 0.0 {
            let z: f64 = StandardNormal.sample(rng);
            t.msc_hazard_ratio * (t.msc_hazard_ratio_log_sd * z).exp()
        } else {
            t.msc_hazard_ratio
        }
    }

    /// Draws what both worlds of a patient share, except the flare
    /// exponentials, which are drawn as the worlds need them.
    pub fn shared_draws<R: Rng + ?Sized>(&self, rng: &mut R) -> SharedDraws {
        let mut d = SharedDraws {
            exp: [0.0; MAX_FLARES],
            worsening: [0.0; MAX_FLARES],
            drawn: 0,
            conc_u: [0.0; MAX_CONCOMITANT],
            conc_effect: [0.0; MAX_CONCOMITANT],
        };
        for (i, c) in self.spec.concomitants.iter().enumerate() {
            d.conc_u[i] = Open01.sample(rng);
            d.conc_effect[i] = if c.effect_sd > 0.0 {
                let z: f64 = StandardNormal.sample(rng);
                c.effect + c.effect_sd * z
            } else {
                c.effect
            };
        }
        d
    }

    /// Flare times up to the end of follow-up in arm `msc` (hazard ratio `hr`
    /// applies to MSC), into `times`; returns how many.
    fn flares<R: Rng + ?Sized>(
        &self,
        msc: bool,
        hr: f64,
        draws: &mut SharedDraws,
        rng: &mut R,
        times: &mut [f64; MAX_FLARES],
    ) -> usize {
        if !self.has_flares {
            return 0;
        }
        let s = &self.schedules[usize::from(!msc)];
        let factor = if msc { hr } else { 1.0 };
        let end = self.spec.follow_up_weeks;
        let (mut t, mut seg, mut target, mut acc) = (0.0f64, 0usize, 0.0f64, 0.0f64);
        let mut n = 0;
        while n < MAX_FLARES {
            if n == draws.drawn {
                draws.exp[n] = Exp1.sample(rng);
                let th = &self.spec.therapy;
                let z: f64 = if th.flare_effect_sd > 0.0 {
                    StandardNormal.sample(rng)
                } else {
                    0.0
                };
                draws.worsening[n] = (th.flare_effect + th.flare_effect_sd * z).max(0.0);
                draws.drawn += 1;
            }
            target += draws.exp[n];
            loop {
                let seg_end = s.starts.get(seg + 1).copied().unwrap_or(f64::INFINITY);
                let rate = s.rates[seg] * factor;
                if rate > 0.0 {
                    let hit = t + (target - acc) / rate;
                    if hit < seg_end {
                        t = hit;
                        acc = target;
                        break;
                    }
                    acc += rate * (seg_end - t);
                }
                if seg_end.is_infinite() || seg_end > end {
                    return n;
                }
                t = seg_end;
                seg += 1;
            }
            if t > end {
                return n;
            }
            times[n] = t;
            n += 1;
        }
        n
    }

    /// One world of a patient. `latent(k, extra)` gives the recorded value at
    /// visit `k` for a latent value raised by `extra` (flares, therapies).
    #[allow(clippy::too_many_arguments)]
    pub fn world<R: Rng + ?Sized>(
        &self,
        msc: bool,
        with_concomitants: bool,
        hr: f64,
        recorded_baseline: f64,
        draws: &mut SharedDraws,
        rng: &mut R,
        record: &dyn Fn(usize, f64) -> f64,
    ) -> World {
        let mut times = [0.0; MAX_FLARES];
        let flares = self.flares(msc, hr, draws, rng, &mut times);
        let arm = usize::from(!msc);
        let mut conc_start = [f64::INFINITY; MAX_CONCOMITANT];
        let worsening = |week: f64| -> f64 {
            times[..flares]
                .iter()
                .zip(&draws.worsening)
                .filter(|(t, _)| **t <= week)
                .map(|(_, w)| w)
                .sum()
        };
        let therapy = |week: f64, starts: &[f64; MAX_CONCOMITANT]| -> f64 {
            self.spec
                .concomitants
                .iter()
                .enumerate()
                .filter(|(i, _)| starts[*i] < week)
                .map(|(i, c)| draws.conc_effect[i] * c.weight(week - starts[i]))
                .sum()
        };
        if with_concomitants {
            for &i in &self.order {
                let c = &self.spec.concomitants[i];
                if draws.conc_u[i] >= c.probability[arm] {
                    continue;
                }
                conc_start[i] = match c.trigger {
                    Trigger::Baseline => c.start_week,
                    Trigger::Flare
                        if flares > 0 && times[0] + c.start_week <= self.spec.follow_up_weeks =>
                    {
                        times[0] + c.start_week
                    }
                    Trigger::Flare => f64::INFINITY,
                    Trigger::Nonresponse => {
                        let k = self
                            .visits
                            .iter()
                            .position(|&v| v == c.start_week)
                            .expect("validated: non-response is assessed at a visit");
                        let w = self.visits[k];
                        let value = record(k, worsening(w) + therapy(w, &conc_start));
                        if recorded_baseline - value < c.improvement_needed {
                            w
                        } else {
                            f64::INFINITY
                        }
                    }
                };
            }
        }
        let mut values = [0.0; MAX_VISITS];
        for (k, &w) in self.visits.iter().enumerate() {
            let extra = worsening(w)
                + if with_concomitants {
                    therapy(w, &conc_start)
                } else {
                    0.0
                };
            values[k] = record(k, extra);
        }
        World {
            values,
            flares,
            first_flare: if flares > 0 { times[0] } else { f64::INFINITY },
            conc_start,
            event: conc_start.iter().copied().fold(f64::INFINITY, f64::min),
        }
    }

    /// Visit weeks (the last is primary).
    pub fn visits(&self) -> &[f64] {
        &self.visits
    }

    /// Whether concomitant therapy `i` is a rescue (flare-triggered) therapy.
    pub fn is_rescue(&self, i: usize) -> bool {
        self.spec.concomitants[i].trigger == Trigger::Flare
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::intercurrent::{Policy, StandardTherapy, Strategy};
    use rand::SeedableRng;
    use rand::rngs::ChaCha8Rng;

    fn model(therapy: StandardTherapy) -> IntercurrentModel {
        let spec = Intercurrent {
            therapy,
            concomitants: vec![],
            strategy: Strategy::TreatmentPolicy,
            follow_up_weeks: 24.0,
        };
        IntercurrentModel::new(&spec, &[12.0, 24.0])
    }

    #[test]
    fn taper_defaults_to_midway_and_withdrawal_switches_hazard() {
        let mut t = StandardTherapy::none();
        t.policy = Policy::Withdraw;
        t.withdraws = [true, false];
        t.taper_weeks = 4.0;
        t.hazard_on = Piecewise::constant(0.01);
        t.hazard_off = Piecewise::constant(0.05);
        let m = model(t);
        assert_eq!(m.schedules[0].starts, vec![0.0, 4.0]);
        assert!((m.schedules[0].rates[0] - 0.03).abs() < 1e-15);
        assert_eq!(m.schedules[0].rates[1], 0.05);
        assert_eq!(m.schedules[1].rates, vec![0.01, 0.01]);
    }

    #[test]
    fn no_hazard_draws_nothing() {
        let m = model(StandardTherapy::none());
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut draws = m.shared_draws(&mut rng);
        let w = m.world(true, true, 1.0, 10.0, &mut draws, &mut rng, &|k, x| {
            k as f64 + x
        });
        assert_eq!(w.flares, 0);
        assert_eq!(draws.drawn, 0);
        assert_eq!(&w.values[..2], &[0.0, 1.0]);
    }
}
