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
//! recorded values are those of the plain path, bit for bit.
//!
//! Data flows one way: [`crate::cohort`] draws a patient's latent course
//! ([`Latent`]); [`IntercurrentModel::worlds`] lays events over it and
//! returns what happened ([`Worlds`]), a pure function of the latent course
//! and the random stream.

use rand_distr::{Distribution, Exp1};

pub mod dropout;
pub mod hazard;
pub mod safety;
pub mod world;

pub use world::{Factors, PatientScratch, SharedDraws, World, Worlds};

use crate::cohort::Latent;
use crate::design::{Arm, Arms};
use crate::rng::Stream;
use crate::scenario::intercurrent::{Intercurrent, Trigger};
use hazard::Piecewise;

/// Which visits of a world are recorded: all (the observed world, which
/// becomes the trial's data), those the estimands' truths read (the other
/// arm's world with therapies: the primary visit and the last before the
/// event), or the primary visit only (the worlds without therapies).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Needs {
    All,
    Truths,
    Primary,
}

/// Flares counted per patient; later ones are ignored (a hazard this high is
/// far outside any pediatric trial).
pub const MAX_FLARES: usize = 64;
/// Visits a scenario may have.
pub use crate::cohort::MAX_VISITS;
/// Concomitant therapies per scenario.
pub use crate::scenario::intercurrent::MAX_CONCOMITANT;

/// The intercurrent-event model of a scenario, prepared for simulation.
#[derive(Debug, Clone)]
pub struct IntercurrentModel {
    pub spec: Intercurrent,
    /// Each arm's flare hazard over trial weeks, before MSC's hazard ratio.
    schedules: Arms<Piecewise>,
    /// The power of the trial's MSC hazard ratio applied in each piece of
    /// each arm's schedule: 1 on MSC, 0 on control, and in a randomized
    /// withdrawal's control arm MSC's waning effect ([`IntercurrentModel::with_waning`]).
    exponents: Arms<Vec<f64>>,
    has_flares: bool,
    visits: Vec<f64>,
    /// Each visit's week as a fraction of the primary visit's.
    fractions: Vec<f64>,
    /// Concomitant therapies in the order their start is decided: baseline
    /// and flare triggers first, then non-response by assessment week.
    order: Vec<usize>,
    /// Unique to the schedules and exponents (a clone shares them), so a
    /// worker's cached [`Factors`] are never read for another model.
    id: u64,
}

/// The next [`IntercurrentModel`] id.
fn next_model_id() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

impl IntercurrentModel {
    /// Prepares `spec` for visits at `visits` weeks (the last is primary).
    pub fn new(spec: &Intercurrent, visits: &[f64]) -> IntercurrentModel {
        let t = &spec.therapy;
        let schedules = Arms::from_fn(|arm| Piecewise::for_arm(t, t.withdraws[arm]));
        let has_flares = [&schedules.msc, &schedules.control]
            .iter()
            .any(|s| s.rates.iter().any(|&r| r > 0.0));
        let mut order: Vec<usize> = (0..spec.concomitants.len()).collect();
        order.sort_by(|&a, &b| {
            let key = |i: usize| {
                let c = &spec.concomitants[i];
                (c.trigger == Trigger::Nonresponse, c.start_week)
            };
            let (ka, kb) = (key(a), key(b));
            ka.0.cmp(&kb.0).then(ka.1.total_cmp(&kb.1))
        });
        let primary = *visits.last().expect("validated: at least one visit");
        let exponents = Arms::from_fn(|arm| {
            vec![if arm.gets_msc() { 1.0 } else { 0.0 }; schedules[arm].rates.len()]
        });
        IntercurrentModel {
            spec: spec.clone(),
            exponents,
            schedules,
            has_flares,
            visits: visits.to_vec(),
            fractions: visits.iter().map(|w| w / primary).collect(),
            order,
            id: next_model_id(),
        }
    }

    /// MSC's effect on the flare hazard of the control (withdrawal) arm of a
    /// randomized withdrawal design, halving every `half_life` weeks from
    /// randomisation: the hazard there is the arm's hazard times
    /// `hr^(2^(-t / half_life))`. The exponent is held constant over steps of
    /// a quarter of the half-life (at least follow-up / 256), each at its
    /// midpoint's value, so the flare times stay a piecewise-exponential
    /// draw; `None`: the effect is gone at randomisation (exponent 0).
    pub fn with_waning(mut self, half_life: Option<f64>) -> IntercurrentModel {
        let Some(h) = half_life else {
            return self;
        };
        let end = self.spec.follow_up_weeks;
        let step = (h / 4.0).max(end / 256.0);
        let base = &self.schedules.control;
        let mut cuts = base.starts.clone();
        let mut k = 1.0;
        while k * step < end {
            cuts.push(k * step);
            k += 1.0;
        }
        cuts.sort_by(f64::total_cmp);
        cuts.dedup();
        let exponent = |i: usize| {
            let from = cuts[i];
            let to = cuts.get(i + 1).copied().unwrap_or(end).max(from);
            (-(from + to) / 2.0 / h).exp2()
        };
        self.exponents.control = (0..cuts.len()).map(exponent).collect();
        self.id = next_model_id();
        self.schedules.control = Piecewise {
            rates: cuts.iter().map(|&w| base.at(w)).collect(),
            starts: cuts,
        };
        self
    }

    /// The factor MSC's hazard ratio `hr` puts on piece `seg` of `arm`'s schedule.
    #[inline]
    fn factor(&self, arm: Arm, seg: usize, hr: f64) -> f64 {
        let e = self.exponents[arm][seg];
        if e == 1.0 {
            hr
        } else if e == 0.0 {
            1.0
        } else {
            hr.powf(e)
        }
    }

    /// Each arm's [`IntercurrentModel::factor`]s at hazard ratio `hr`, kept
    /// in `cache` until the hazard ratio changes.
    fn factors<'a>(&self, hr: f64, cache: &'a mut Factors) -> &'a Arms<Vec<f64>> {
        let key = (self.id, hr.to_bits());
        if cache.key != Some(key) {
            for arm in [Arm::Msc, Arm::Control] {
                let pieces = self.schedules[arm].rates.len();
                let f = &mut cache.by_arm[arm];
                f.clear();
                f.extend((0..pieces).map(|seg| self.factor(arm, seg, hr)));
            }
            cache.key = Some(key);
        }
        &cache.by_arm
    }

    /// `arm`'s cumulative flare hazard from week 0 to `t`, at MSC hazard ratio `hr`.
    pub fn cumulative_hazard(&self, arm: Arm, hr: f64, t: f64) -> f64 {
        let s = &self.schedules[arm];
        let mut total = 0.0;
        for (i, (&start, &rate)) in s.starts.iter().zip(&s.rates).enumerate() {
            let stop = s.starts.get(i + 1).copied().unwrap_or(f64::INFINITY).min(t);
            if stop > start {
                total += rate * self.factor(arm, i, hr) * (stop - start);
            }
        }
        total
    }

    /// Whether the arms' flare hazards are proportional at every week: the
    /// same schedule, MSC's at the hazard ratio and control's without it.
    fn proportional(&self) -> bool {
        self.schedules.msc == self.schedules.control
            && self.exponents.msc.iter().all(|&e| e == 1.0)
            && self.exponents.control.iter().all(|&e| e == 0.0)
    }

    /// The trial's true log hazard ratio of the first flare, MSC against
    /// control, at the trial's hazard ratio `hr`: what a Cox model of an
    /// arbitrarily large trial of this design estimates. Where the arms'
    /// hazards are proportional that is `ln(hr)` exactly. Where they are not
    /// (withdrawal in one arm only, a waning effect) it is the root `beta`
    /// of the Cox model's limiting score (Struthers and Kalbfleisch,
    /// Biometrika 1986),
    /// `integral_0^F y1 y0 (l1 - e^beta l0) / (y1 e^beta + y0) dt = 0`,
    /// with `l` each arm's flare hazard and `y = share * S(t) * exp(-d t)`
    /// the share of the trial still at risk in each arm (`S` flare-free,
    /// `d` the arm's `dropout` hazard; `msc_share` of the children are on
    /// MSC): the average hazard ratio over follow-up, weighted as the
    /// trial's own risk sets weigh it. The integral is taken by the midpoint
    /// rule over 1,024 steps; Newton's method from the cumulative-hazard
    /// ratio, kept within a bracket (the smallest and largest log ratio of
    /// the hazards, where the score changes sign; bisection when a step
    /// leaves it), finds the root.
    pub fn true_log_hr(&self, hr: f64, dropout: Arms<f64>, msc_share: f64) -> f64 {
        if self.proportional() {
            return hr.ln();
        }
        const STEPS: usize = 1024;
        let end = self.spec.follow_up_weeks;
        let dt = end / STEPS as f64;
        // (y1, y0, l1, l0) at each step's midpoint.
        let mut at = [(0.0f64, 0.0f64, 0.0f64, 0.0f64); STEPS];
        let mut cumulative = Arms::both(0.0);
        let mut seg = Arms::both(0usize);
        for (k, step) in at.iter_mut().enumerate() {
            let mid = (k as f64 + 0.5) * dt;
            let mut rate = Arms::both(0.0);
            for arm in Arm::ALL {
                let s = &self.schedules[arm];
                while seg[arm] + 1 < s.starts.len() && s.starts[seg[arm] + 1] <= mid {
                    seg[arm] += 1;
                }
                rate[arm] = s.rates[seg[arm]] * self.factor(arm, seg[arm], hr);
            }
            let at_risk = |arm: Arm, share: f64| {
                share * (-(cumulative[arm] + rate[arm] * dt / 2.0) - dropout[arm] * mid).exp()
            };
            *step = (
                at_risk(Arm::Msc, msc_share),
                at_risk(Arm::Control, 1.0 - msc_share),
                rate.msc,
                rate.control,
            );
            cumulative.msc += rate.msc * dt;
            cumulative.control += rate.control * dt;
        }
        // The score falls as beta rises, and the root lies between the
        // smallest and largest log ratio of the arms' hazards (where both
        // are at risk): a bracket that safeguarded Newton steps keep.
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for &(y1, y0, l1, l0) in &at {
            if y1 > 0.0 && y0 > 0.0 {
                let r = (l1 / l0).ln();
                lo = lo.min(r);
                hi = hi.max(r);
            }
        }
        let (mut lo, mut hi) = (lo.clamp(-50.0, 50.0), hi.clamp(-50.0, 50.0));
        if lo.is_nan() || hi.is_nan() || lo > hi {
            return f64::NAN;
        }
        let score = |beta: f64| {
            let r = beta.exp();
            let (mut score, mut slope) = (0.0, 0.0);
            for &(y1, y0, l1, l0) in &at {
                let d = y1 * r + y0;
                score += y1 * y0 * (l1 - r * l0) / d;
                slope -= y1 * y0 * r * (l0 * y0 + l1 * y1) / (d * d);
            }
            (score, slope)
        };
        let mut beta = (cumulative.msc / cumulative.control).ln().clamp(lo, hi);
        if !beta.is_finite() {
            beta = (lo + hi) / 2.0;
        }
        for _ in 0..200 {
            let (f, slope) = score(beta);
            if f > 0.0 {
                lo = beta;
            } else {
                hi = beta;
            }
            let newton = beta - f / slope;
            let next = if newton.is_finite() && newton > lo && newton < hi {
                newton
            } else {
                (lo + hi) / 2.0
            };
            if (next - beta).abs() < 1e-13 || hi - lo < 1e-13 {
                return next;
            }
            beta = next;
        }
        beta
    }

    /// The first flare time of a patient in `arm` (infinite if none by the
    /// end of follow-up) and how many flares follow-up holds, drawing the
    /// flare exponentials from `rng`: the flares of a patient with no
    /// latent course to lay them over (a randomized withdrawal's
    /// randomised phase).
    pub fn flare_times(
        &self,
        arm: Arm,
        hr: f64,
        rng: &mut Stream,
        scratch: &mut PatientScratch,
    ) -> (f64, usize) {
        let factors = &self.factors(hr, &mut scratch.factors)[arm];
        let th = &self.spec.therapy;
        // Each flare's exponential, and its worsening's normal where the
        // worsening scatters (drawn so the stream moves as in the worlds;
        // nothing here reads the worsening).
        let exp = |_| {
            let e = Exp1.sample(rng);
            if th.flare_effect_sd > 0.0 {
                rng.normal();
            }
            e
        };
        let mut first = f64::INFINITY;
        let n = self.lay_flares(arm, (factors, 0.0), exp, |n, t| {
            if n == 0 {
                first = t;
            }
        });
        (first, n)
    }

    /// The MSC flare hazard ratio of one trial (drawn from its prior if it has one).
    pub fn trial_hazard_ratio(&self, rng: &mut Stream) -> f64 {
        let t = &self.spec.therapy;
        if self.has_flares && t.msc_hazard_ratio_log_sd > 0.0 {
            let z = rng.normal();
            t.msc_hazard_ratio * (t.msc_hazard_ratio_log_sd * z).exp()
        } else {
            t.msc_hazard_ratio
        }
    }

    /// Draws what all worlds of a patient share into `d`, except the flare
    /// exponentials, which are drawn as the worlds need them.
    fn shared_draws(&self, rng: &mut Stream, d: &mut SharedDraws) {
        d.drawn = 0;
        for (i, c) in self.spec.concomitants.iter().enumerate() {
            d.conc_u[i] = rng.open01();
            d.conc_effect[i] = if c.effect_sd > 0.0 {
                let z = rng.normal();
                c.effect + c.effect_sd * z
            } else {
                c.effect
            };
        }
    }

    /// The patient's four worlds (own and other arm, with and without the
    /// concomitant therapies), from common random numbers; `hr` is the
    /// trial's MSC flare hazard ratio. Written over `out`, with `scratch`
    /// reused patient after patient (nothing is allocated or cleared).
    pub fn worlds_into(
        &self,
        latent: &Latent,
        hr: f64,
        rng: &mut Stream,
        scratch: &mut PatientScratch,
        out: &mut Worlds,
    ) {
        let PatientScratch {
            draws,
            times,
            factors,
        } = scratch;
        self.shared_draws(rng, draws);
        let own = latent.arm;
        let other = own.other();
        out.own = own;
        // Flares do not depend on the therapies: each arm's are laid once
        // (own arm first, drawing as it needs, then the other arm).
        let [own_times, other_times] = times;
        // MSC's hazard ratio from the infusion (`[manufacturing]`), in
        // whichever arm's world the child gets MSC.
        let factors = self.factors(hr, factors);
        let msc_from = latent.msc_from;
        let own_flares = self.flares(own, (&factors[own], msc_from), draws, rng, own_times);
        let other_flares = self.flares(other, (&factors[other], msc_from), draws, rng, other_times);
        let (own_times, other_times) = (&own_times[..own_flares], &other_times[..other_flares]);
        let draws = &*draws;
        let world = |arm, with, needs, times: &[f64], out: &mut World| {
            self.world(latent, arm, with, needs, times, draws, out);
        };
        world(own, true, Needs::All, own_times, &mut out.own_with);
        world(other, true, Needs::Truths, other_times, &mut out.other_with);
        // Where no therapy started, the world without therapies is the same
        // world: computed once, and read there rather than copied.
        out.own_plain_is_with = out.own_with.event.is_infinite();
        out.other_plain_is_with = out.other_with.event.is_infinite();
        if !out.own_plain_is_with {
            world(own, false, Needs::Primary, own_times, &mut out.own_plain);
        }
        if !out.other_plain_is_with {
            world(
                other,
                false,
                Needs::Primary,
                other_times,
                &mut out.other_plain,
            );
        }
    }

    /// [`IntercurrentModel::worlds_into`] as a fresh value.
    pub fn worlds(&self, latent: &Latent, hr: f64, rng: &mut Stream) -> Worlds {
        let mut out = Worlds::default();
        self.worlds_into(latent, hr, rng, &mut PatientScratch::default(), &mut out);
        out
    }

    /// Flare times up to the end of follow-up in `arm` (`factors`: MSC's
    /// hazard ratio's factor on each piece of the arm's schedule, from week
    /// `msc_from` on), into `times`; returns how many.
    fn flares(
        &self,
        arm: Arm,
        (factors, msc_from): (&[f64], f64),
        draws: &mut SharedDraws,
        rng: &mut Stream,
        times: &mut [f64; MAX_FLARES],
    ) -> usize {
        let th = &self.spec.therapy;
        let exp = |n: usize| {
            if n == draws.drawn {
                draws.exp[n] = Exp1.sample(rng);
                let z: f64 = if th.flare_effect_sd > 0.0 {
                    rng.normal()
                } else {
                    0.0
                };
                draws.worsening[n] = (th.flare_effect + th.flare_effect_sd * z).max(0.0);
                draws.drawn += 1;
            }
            draws.exp[n]
        };
        self.lay_flares(arm, (factors, msc_from), exp, |n, t| times[n] = t)
    }

    /// The walk of [`IntercurrentModel::flares`] along the arm's hazard
    /// pieces: `exp(n)` gives flare `n`'s unit exponential (drawing it or
    /// reading it back), `flare(n, t)` receives its week; returns how many
    /// flares fall in follow-up.
    #[inline(always)]
    fn lay_flares(
        &self,
        arm: Arm,
        (factors, msc_from): (&[f64], f64),
        mut exp: impl FnMut(usize) -> f64,
        mut flare: impl FnMut(usize, f64),
    ) -> usize {
        if !self.has_flares {
            return 0;
        }
        let s = &self.schedules[arm];
        let end = self.spec.follow_up_weeks;
        let (mut t, mut seg, mut target, mut acc) = (0.0f64, 0usize, 0.0f64, 0.0f64);
        let mut n = 0;
        while n < MAX_FLARES {
            target += exp(n);
            loop {
                let next = s.starts.get(seg + 1).copied().unwrap_or(f64::INFINITY);
                // Before `msc_from` (a product not yet infused, or never:
                // `[manufacturing]`) the MSC arm has no hazard ratio.
                let before = arm.gets_msc() && t < msc_from;
                let seg_end = if before { next.min(msc_from) } else { next };
                let factor = if before { 1.0 } else { factors[seg] };
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
                if t == next {
                    seg += 1;
                }
            }
            if t > end {
                return n;
            }
            flare(n, t);
            n += 1;
        }
        n
    }

    /// One world of a patient: `arm`, with or without the concomitant
    /// therapies, with the arm's flares at `times`, written over `out`.
    /// Only the visits `needs` says are recorded; the others are NaN.
    #[allow(clippy::too_many_arguments)]
    fn world(
        &self,
        latent: &Latent,
        arm: Arm,
        with_concomitants: bool,
        needs: Needs,
        times: &[f64],
        draws: &SharedDraws,
        out: &mut World,
    ) {
        let flares = times.len();
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
        let record = |k: usize, extra: f64| latent.recorded(arm, k, self.fractions[k], extra);
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
                        if latent.observed_baseline - value < c.improvement_needed {
                            w
                        } else {
                            f64::INFINITY
                        }
                    }
                };
            }
        }
        // Only the scenario's therapies can have started (the rest of the
        // array stays infinite); a fold over all eight was a chain of eight
        // dependent NaN-aware minimums per world.
        let event = conc_start[..self.spec.concomitants.len()]
            .iter()
            .copied()
            .fold(f64::INFINITY, f64::min);
        let primary = self.visits.len() - 1;
        let event_visit = match needs {
            // The truths read the primary visit, and the last visit before
            // the event (World::while_on_treatment) in a world with therapies.
            Needs::Truths => self.visits.iter().rposition(|&v| v <= event),
            Needs::All | Needs::Primary => None,
        };
        for (k, &w) in self.visits.iter().enumerate() {
            if needs != Needs::All && k != primary && Some(k) != event_visit {
                out.values[k] = f64::NAN;
                continue;
            }
            let extra = worsening(w)
                + if with_concomitants {
                    therapy(w, &conc_start)
                } else {
                    0.0
                };
            out.values[k] = record(k, extra);
        }
        out.flares = flares;
        out.first_flare = if flares > 0 { times[0] } else { f64::INFINITY };
        out.conc_start = conc_start;
        out.event = event;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cohort::CohortModel;
    use crate::scenario::intercurrent::{Policy, StandardTherapy, Strategy};
    use crate::scenario::{EndpointKind, Population, Scale};

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
        t.withdraws = Arms {
            msc: true,
            control: false,
        };
        t.taper_weeks = 4.0;
        t.hazard_on = Piecewise::constant(0.01);
        t.hazard_off = Piecewise::constant(0.05);
        let m = model(t);
        assert_eq!(m.schedules.msc.starts, vec![0.0, 4.0]);
        assert!((m.schedules.msc.rates[0] - 0.03).abs() < 1e-15);
        assert_eq!(m.schedules.msc.rates[1], 0.05);
        assert_eq!(m.schedules.control.rates, vec![0.01, 0.01]);
    }

    /// A randomised child's flares (`flare_times`: fresh exponentials, the
    /// first week and the count only) are the worlds' (`flares`, drawing
    /// into the shared draws), and both leave the stream at the same words
    /// and normals: piecewise hazards with a withdrawal, scattered and fixed
    /// worsening, both arms, several hazard ratios.
    #[test]
    fn flare_times_are_the_worlds_flares() {
        for scatter in [0.0, 2.0] {
            let mut t = StandardTherapy::none();
            t.policy = Policy::Withdraw;
            t.withdraws = Arms::both(true);
            t.taper_weeks = 4.0;
            t.hazard_on = Piecewise {
                starts: vec![0.0, 6.0],
                rates: vec![0.09, 0.03],
            };
            t.hazard_off = Piecewise::constant(0.15);
            t.flare_effect = 3.0;
            t.flare_effect_sd = scatter;
            let m = model(t);
            for hr in [0.4, 1.0, 2.5] {
                for arm in Arm::ALL {
                    for r in 0..400 {
                        let mut a = Stream::new(3, [2, 2], 0, r);
                        let mut b = Stream::new(3, [2, 2], 0, r);
                        let (first, n) =
                            m.flare_times(arm, hr, &mut a, &mut PatientScratch::default());
                        let mut cache = Factors::default();
                        let factors = &m.factors(hr, &mut cache)[arm];
                        let (mut draws, mut times) = (SharedDraws::default(), [0.0; MAX_FLARES]);
                        let k = m.flares(arm, (factors, 0.0), &mut draws, &mut b, &mut times);
                        assert_eq!(n, k);
                        let want = if k > 0 { times[0] } else { f64::INFINITY };
                        assert_eq!(first.to_bits(), want.to_bits());
                        assert_eq!(a.words_drawn(), b.words_drawn());
                        assert_eq!(a.normals_drawn(), b.normals_drawn());
                    }
                }
            }
        }
    }

    /// The worlds' two arms read the same flare exponentials (common random
    /// numbers): the other arm's flares, laid after the own arm's on the same
    /// shared draws, are those it gets laid alone on a fresh stream, and the
    /// two together draw only as many exponentials (and worsening normals)
    /// as the arm with more flares needs.
    #[test]
    fn both_arms_read_the_same_flare_exponentials() {
        let mut t = StandardTherapy::none();
        t.hazard_on = Piecewise {
            starts: vec![0.0, 6.0],
            rates: vec![0.12, 0.05],
        };
        t.flare_effect = 3.0;
        t.flare_effect_sd = 2.0;
        let m = model(t);
        let mut cache = Factors::default();
        let factors = m.factors(0.3, &mut cache).clone();
        let lay = |arm: Arm, draws: &mut SharedDraws, rng: &mut Stream| {
            let mut times = [0.0; MAX_FLARES];
            let n = m.flares(arm, (&factors[arm], 0.0), draws, rng, &mut times);
            times[..n].to_vec()
        };
        for r in 0..400 {
            for (first, second) in [(Arm::Msc, Arm::Control), (Arm::Control, Arm::Msc)] {
                let mut shared = Stream::new(9, [4, 4], 0, r);
                let mut draws = SharedDraws::default();
                let a = lay(first, &mut draws, &mut shared);
                let b = lay(second, &mut draws, &mut shared);
                let mut alone = Stream::new(9, [4, 4], 0, r);
                let b_alone = lay(second, &mut SharedDraws::default(), &mut alone);
                assert_eq!(b.len(), b_alone.len());
                assert!(
                    b.iter()
                        .zip(&b_alone)
                        .all(|(x, y)| x.to_bits() == y.to_bits())
                );
                let mut count = Stream::new(9, [4, 4], 0, r);
                for _ in 0..=a.len().max(b.len()) {
                    let _: f64 = Exp1.sample(&mut count);
                    count.normal();
                }
                assert_eq!(shared.words_drawn(), count.words_drawn());
                assert_eq!(shared.normals_drawn(), count.normals_drawn());
            }
        }
    }

    /// Regression (found in review): one worker's scratch meeting two
    /// models at the same hazard ratio (a waning effect and none) gives
    /// each the flares a fresh scratch gives, and never indexes past the
    /// shorter schedule.
    #[test]
    fn cached_factors_follow_the_model_not_just_the_hazard_ratio() {
        let mut t = StandardTherapy::none();
        t.hazard_on = Piecewise::constant(0.08);
        let plain = model(t.clone());
        let waning = model(t).with_waning(Some(6.0));
        let hr = 0.5;
        let mut shared = PatientScratch::default();
        for r in 0..200 {
            for m in [&waning, &plain, &waning] {
                let mut a = Stream::new(7, [1, 1], 0, r);
                let mut b = Stream::new(7, [1, 1], 0, r);
                let reused = m.flare_times(Arm::Control, hr, &mut a, &mut shared);
                let fresh = m.flare_times(Arm::Control, hr, &mut b, &mut PatientScratch::default());
                assert_eq!(reused.0.to_bits(), fresh.0.to_bits());
                assert_eq!(reused.1, fresh.1);
            }
        }
    }

    #[test]
    fn no_hazard_draws_nothing() {
        let m = model(StandardTherapy::none());
        // No scatter: baseline 10, change -2 by week 24, half of it by week 12.
        let population = Population {
            baseline_mean: 10.0,
            baseline_sd: 0.0,
            control_change_mean: -2.0,
            change_sd: 0.0,
            baseline_change_correlation: 0.0,
        };
        let cohort = CohortModel::new(
            &population,
            Scale::of(EndpointKind::Continuous),
            &[12.0, 24.0],
            None,
            Arms::both(1),
        );
        let mut rng = Stream::new(1, [1, 1], 0, 0);
        let latent = cohort.latent(0.0, Arm::Msc, &mut rng);
        let mut draws = SharedDraws::default();
        m.shared_draws(&mut rng, &mut draws);
        let mut times = [0.0; MAX_FLARES];
        let mut cache = Factors::default();
        let factors = &m.factors(1.0, &mut cache)[Arm::Msc];
        let flares = m.flares(Arm::Msc, (factors, 0.0), &mut draws, &mut rng, &mut times);
        let mut w = World::default();
        m.world(
            &latent,
            Arm::Msc,
            true,
            Needs::All,
            &times[..flares],
            &draws,
            &mut w,
        );
        assert_eq!(w.flares, 0);
        assert_eq!(draws.drawn, 0);
        assert_eq!(&w.values[..2], &[9.0, 8.0]);
    }
}
