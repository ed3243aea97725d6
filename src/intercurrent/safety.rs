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

use rand::RngExt;
use rand_distr::{Distribution, Poisson};

use crate::cohort::Cohort;
use crate::design::{Arm, Arms};
use crate::rng::Stream;
use crate::scenario::safety::{Per, Safety};

/// Weeks in a year (365.25 days).
pub const WEEKS_PER_YEAR: f64 = 365.25 / 7.0;

/// One event kind's count distribution in one arm.
#[derive(Debug, Clone, Copy)]
enum Count {
    /// No events and no draw: a rate of 0 (or any mean `Poisson::new`
    /// refuses, which validation keeps out).
    None,
    /// Poisson with mean below 12, by Knuth's multiplication method as
    /// `rand_distr::Poisson` samples it (the same uniforms, the same
    /// products, so the same counts), without its dispatch per child.
    Small { exp_minus_mean: f64 },
    /// Poisson with mean 12 or more: `rand_distr`'s rejection method.
    Large(Poisson<f64>),
}

impl Count {
    /// Whether `rand_distr::Poisson` uses Knuth's method at this mean
    /// (`Poisson::new` in rand_distr 0.6).
    const KNUTH_BELOW: f64 = 12.0;

    fn new(mean: f64) -> Count {
        match Poisson::new(mean) {
            Err(_) => Count::None,
            Ok(_) if mean < Count::KNUTH_BELOW => Count::Small {
                exp_minus_mean: (-mean).exp(),
            },
            Ok(p) => Count::Large(p),
        }
    }

    #[inline(always)]
    fn sample(&self, rng: &mut Stream) -> f64 {
        match *self {
            Count::None => 0.0,
            Count::Small { exp_minus_mean } => f64::from(knuth(exp_minus_mean, rng)),
            Count::Large(p) => p.sample(rng),
        }
    }
}

/// A Poisson count by Knuth's method, as `rand_distr::Poisson` samples it
/// below mean 12: uniforms multiplied until the product is at most
/// `exp_minus_mean`, less one (the same uniforms and products, so the same
/// count).
#[inline(always)]
fn knuth(exp_minus_mean: f64, rng: &mut Stream) -> u32 {
    let mut count = 0u32;
    let mut p: f64 = rng.random();
    while p > exp_minus_mean {
        p *= rng.random::<f64>();
        count += 1;
    }
    count
}

// The serious-event mask has a bit per event kind.
const _: () = assert!(crate::scenario::safety::MAX_EVENTS <= 32);

/// `[safety]`, prepared for one cell.
#[derive(Debug, Clone)]
pub struct SafetyModel {
    /// Each arm's count distribution per event kind.
    counts: Arms<Vec<Count>>,
    /// Per arm, where every kind's count is [`Count::Small`]: each kind's
    /// `exp_minus_mean`, so an infused child's counts need no dispatch.
    knuth: Arms<Option<Vec<f64>>>,
    /// Which event kinds are serious: bit `k` for kind `k`.
    serious_mask: u32,
    /// Which are counted per infusion (none for a child never infused).
    per_infusion: Vec<bool>,
    /// P(an MSC child has a serious event) at the control arm's rates.
    serious_if_safe: f64,
}

impl SafetyModel {
    /// Prepares `s` for `follow_up_weeks` of follow-up.
    ///
    /// # Panics
    /// With more than [`crate::scenario::safety::MAX_EVENTS`] event kinds,
    /// which validation refuses.
    pub fn new(s: &Safety, follow_up_weeks: f64) -> SafetyModel {
        assert!(
            s.events.len() <= crate::scenario::safety::MAX_EVENTS,
            "validated: at most MAX_EVENTS adverse-event kinds"
        );
        let exposure = |per: Per| match per {
            Per::Infusion => f64::from(s.infusions),
            Per::PatientYear => follow_up_weeks / WEEKS_PER_YEAR,
        };
        let counts: Arms<Vec<Count>> = Arms::from_fn(|arm| {
            s.events
                .iter()
                .map(|e| Count::new(e.rate[arm] * exposure(e.per)))
                .collect()
        });
        let control_serious: f64 = s
            .events
            .iter()
            .filter(|e| e.serious)
            .map(|e| e.rate.control * exposure(e.per))
            .sum();
        let knuth = Arms::from_fn(|arm| {
            counts[arm]
                .iter()
                .map(|c| match *c {
                    Count::Small { exp_minus_mean } => Some(exp_minus_mean),
                    Count::None | Count::Large(_) => None,
                })
                .collect()
        });
        SafetyModel {
            counts,
            knuth,
            serious_mask: s
                .events
                .iter()
                .enumerate()
                .filter(|(_, e)| e.serious)
                .fold(0, |mask, (k, _)| mask | 1 << k),
            per_infusion: s.events.iter().map(|e| e.per == Per::Infusion).collect(),
            serious_if_safe: 1.0 - (-control_serious).exp(),
        }
    }

    /// Event kinds.
    pub fn kinds(&self) -> usize {
        self.per_infusion.len()
    }

    /// Whether event kind `k` is serious.
    pub fn is_serious(&self, k: usize) -> bool {
        k < self.kinds() && self.serious_mask >> k & 1 == 1
    }

    /// Bit `k` set for each serious event kind `k` (kinds are at most
    /// [`crate::scenario::safety::MAX_EVENTS`]).
    pub fn serious_mask(&self) -> u32 {
        self.serious_mask
    }

    /// Draws every child's events into `cohort` (`safety_events`,
    /// patient-major, and the MSC arm's `serious_if_safe`).
    pub fn draw(&self, cohort: &mut Cohort, rng: &mut Stream) {
        for arm in Arm::ALL {
            let data = &mut cohort[arm];
            // Sized once, then filled child by child: no push per event kind.
            let (children, kinds) = (data.len(), self.kinds());
            let start = data.safety_events.len();
            data.safety_events.resize(start + children * kinds, 0);
            let (own, control) = (&self.counts[arm], &self.counts.control);
            let events = &mut data.safety_events[start..];
            for (i, child) in events.chunks_exact_mut(kinds.max(1)).enumerate() {
                // An MSC child whose product failed (`[manufacturing]`) had
                // no infusion: no per-infusion events, and the control arm's
                // rates for the rest.
                let uninfused = data.infused.get(i) == Some(&false);
                if let (false, Some(limits)) = (uninfused, &self.knuth[arm]) {
                    for (slot, &limit) in child.iter_mut().zip(limits) {
                        *slot = knuth(limit, rng).min(u32::from(u16::MAX)) as u16;
                    }
                    continue;
                }
                for (k, slot) in child.iter_mut().enumerate() {
                    let c = match (uninfused, self.per_infusion[k]) {
                        (false, _) => &own[k],
                        (true, true) => &Count::None,
                        (true, false) => &control[k],
                    };
                    *slot = c.sample(rng).min(f64::from(u16::MAX)) as u16;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::safety::Event;

    /// `draw` child by child and kind by kind through [`Count::sample`]
    /// (the path before the per-arm Knuth limits), as the reference.
    fn draw_kind_by_kind(model: &SafetyModel, cohort: &mut Cohort, rng: &mut Stream) {
        for arm in Arm::ALL {
            let data = &mut cohort[arm];
            for i in 0..data.len() {
                let uninfused = data.infused.get(i) == Some(&false);
                for k in 0..model.kinds() {
                    let c = match (uninfused, model.per_infusion[k]) {
                        (false, _) => &model.counts[arm][k],
                        (true, true) => &Count::None,
                        (true, false) => &model.counts.control[k],
                    };
                    let n = c.sample(rng).min(f64::from(u16::MAX)) as u16;
                    data.safety_events.push(n);
                }
            }
        }
        for _ in 0..cohort.msc.len() {
            let u = rng.open01();
            cohort.msc.serious_if_safe.push(u < model.serious_if_safe);
        }
    }

    /// The per-arm Knuth limits give every child the counts, and leave the
    /// stream where, the kind-by-kind path does: with every kind small in
    /// both arms, with a rate of 0 or a mean of 12 or more in one arm only
    /// (which takes that arm off the shortcut), and with failed products.
    #[test]
    fn knuth_limits_draw_what_the_kinds_draw() {
        let event = |per, msc: f64, control: f64| Event {
            name: String::new(),
            per,
            rate: Arms { msc, control },
            serious: false,
            source: String::new(),
        };
        let sets = [
            vec![
                event(Per::Infusion, 0.2, 0.05),
                event(Per::PatientYear, 0.1, 0.1),
                event(Per::Infusion, 1.5, 0.4),
            ],
            vec![
                event(Per::Infusion, 0.3, 0.0),
                event(Per::PatientYear, 0.2, 0.1),
            ],
            vec![
                event(Per::Infusion, 0.3, 7.0),
                event(Per::PatientYear, 0.2, 0.1),
            ],
        ];
        for events in sets {
            let safety = Safety {
                infusions: 2,
                events,
                stopping: None,
            };
            let model = SafetyModel::new(&safety, 52.0);
            for failed in [false, true] {
                for r in 0..300 {
                    let mut cohorts: [Cohort; 2] = Default::default();
                    for cohort in &mut cohorts {
                        for arm in Arm::ALL {
                            for i in 0..7 {
                                cohort[arm].push_scaled(0.0, 0.0, 1.0, 0);
                                cohort[arm]
                                    .infused
                                    .push(!(failed && arm == Arm::Msc && i % 3 == 1));
                            }
                        }
                    }
                    let mut a = Stream::new(5, [7, 7], 0, r);
                    let mut b = Stream::new(5, [7, 7], 0, r);
                    let [fast, reference] = &mut cohorts;
                    model.draw(fast, &mut a);
                    draw_kind_by_kind(&model, reference, &mut b);
                    for arm in Arm::ALL {
                        assert_eq!(fast[arm].safety_events, reference[arm].safety_events);
                    }
                    assert_eq!(fast.msc.serious_if_safe, reference.msc.serious_if_safe);
                    assert_eq!(a.words_drawn(), b.words_drawn());
                }
            }
        }
    }

    /// Each count is `rand_distr::Poisson`'s, drawn from the same words, on
    /// either side of its switch from Knuth's method at mean 12; a rate of
    /// 0 draws nothing.
    #[test]
    fn counts_are_rand_distr_poisson_draw_for_draw() {
        for mean in [1e-6, 0.04, 0.5, 3.0, 11.999, 12.0, 40.0] {
            let ours = Count::new(mean);
            let theirs = Poisson::new(mean).unwrap();
            for r in 0..2000 {
                let mut a = Stream::new(11, [3, 3], 0, r);
                let mut b = Stream::new(11, [3, 3], 0, r);
                for _ in 0..5 {
                    let x = ours.sample(&mut a);
                    let y: f64 = theirs.sample(&mut b);
                    assert_eq!(x.to_bits(), y.to_bits(), "mean {mean}, replicate {r}");
                }
                assert_eq!(a.words_drawn(), b.words_drawn());
                assert_eq!(a.normals_drawn(), b.normals_drawn());
            }
        }
        let mut rng = Stream::new(11, [3, 3], 0, 0);
        assert_eq!(Count::new(0.0).sample(&mut rng), 0.0);
        assert_eq!(rng.words_drawn(), 0);
    }
}
