//! Patients and their endpoint values: one simulated trial's cohort.
//!
//! The data model, per patient (latent values, before the scale rounds and bounds them):
//!
//! * baseline `B = baseline_mean + baseline_sd * z_b`;
//! * change by the primary visit under control,
//!   `C0 = control_change_mean + change_sd * (rho * z_b + sqrt(1 - rho^2) * z_c)`,
//!   so `rho = baseline_change_correlation` is the correlation of baseline and change;
//! * under MSC the change is `C0 + effect`, the same patient's other potential
//!   outcome; with `effect.responder_share = p < 1`, MSC works in a random share
//!   `p` of patients (one uniform draw each), who get `effect / p`, and not at
//!   all in the rest, so the average effect is the same but heterogeneous;
//! * intermediate visits: the change follows a Brownian bridge from 0 at baseline
//!   to its primary-visit value, drawn visit by visit. The whole path is then
//!   Brownian motion with drift: at fraction `t = week / primary_week` the
//!   mean change is `t` times the primary mean (MSC's effect accrues linearly),
//!   its variance is `t * change_sd^2` and its correlation with baseline is
//!   `sqrt(t) * rho`.
//!
//! With `enroll_above = c`, only patients whose recorded baseline exceeds `c`
//! are enrolled: `z_b` is drawn from the standard normal truncated below, by
//! inverting its upper tail, so selection costs no rejected draws.
//!
//! Recorded values are `scale.observe(latent)`: rounded to the scale's step and
//! kept within its bounds; JADAS-27 is the sum of its four parts ([`jadas`]),
//! which take four more normals per recorded value. Because each patient's values under both arms are
//! known, a replicate also returns the sample-average true effect on the
//! analysis scale, the target against which bias is measured.

use rand::Rng;
use rand_distr::{Distribution, Open01, StandardNormal};
use statrs::distribution::{ContinuousCDF, Normal};

use crate::analysis::{ArmView, EffectScale};
use crate::intercurrent::{IntercurrentModel, MAX_VISITS, SharedDraws, World};
use crate::jadas;
use crate::scenario::intercurrent::Strategy;
use crate::scenario::{EndpointKind, Population, Scale, enrolment_share};

/// The patient model for one pair of arm sizes; immutable, shared by all workers.
#[derive(Debug, Clone)]
pub struct CohortModel {
    scale: Scale,
    effect_scale: EffectScale,
    baseline_mean: f64,
    baseline_sd: f64,
    change_mean: f64,
    /// `change_sd * rho` and `change_sd * sqrt(1 - rho^2)`.
    change_on_baseline: f64,
    change_own: f64,
    /// One Brownian-bridge step per intermediate visit (the primary excluded).
    bridge: Vec<BridgeStep>,
    /// With `enroll_above`: the probability that an unselected patient qualifies.
    enrolment_share: Option<f64>,
    /// Stratum label of these patients, and the factor their recorded values
    /// are multiplied by (1 / change SD in a pooled trial, else 1).
    stratum: u8,
    unit: f64,
    /// With `effect.responder_share` below 1: the share of patients MSC works in.
    responder_share: Option<f64>,
    /// Flares and concomitant therapies, when the scenario has them.
    intercurrent: Option<IntercurrentModel>,
    n_msc: usize,
    n_control: usize,
}

/// A patient's draws, shared by the core path and the intercurrent worlds.
#[derive(Debug, Clone, Copy)]
struct Draws {
    baseline: f64,
    observed_baseline: f64,
    change_control: f64,
    /// This patient's MSC effect (after `responder_share`).
    effect: f64,
    /// Change by the primary visit in the patient's own arm.
    change: f64,
    /// JADAS-27 part scatter at the primary visit.
    primary_noise: [f64; 4],
}

/// From the previous visit's change `c` to this one's, given the primary-visit
/// change `end`: `c + weight * (end - c) + sd * z`. Precomputed per cell so the
/// per-patient loop has no division or square root.
#[derive(Debug, Clone, Copy)]
struct BridgeStep {
    weight: f64,
    sd: f64,
}

/// One arm's values for one replicate, in buffers reused across replicates.
#[derive(Debug, Clone, Default)]
pub struct ArmData {
    pub baseline: Vec<f64>,
    pub primary: Vec<f64>,
    pub change: Vec<f64>,
    /// Intermediate visit values, patient-major: `interim[i * k + v]`.
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
}

impl ArmData {
    fn with_capacity(n: usize, interim_visits: usize) -> ArmData {
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
        }
    }

    fn clear(&mut self) {
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
    }

    /// A borrowed view for the analyses.
    pub fn view(&self) -> ArmView<'_> {
        ArmView {
            baseline: &self.baseline,
            primary: &self.primary,
            change: &self.change,
            stratum: &self.stratum,
        }
    }
}

/// Both arms of one simulated trial.
#[derive(Debug, Clone, Default)]
pub struct Cohort {
    pub msc: ArmData,
    pub control: ArmData,
    /// Sums over patients of each estimand's true effect, indexed by
    /// [`Strategy::index`] (intercurrent events only).
    pub strategy_truth: [f64; 4],
}

impl Cohort {
    /// Empties both arms, keeping their buffers.
    pub fn clear(&mut self) {
        self.msc.clear();
        self.control.clear();
        self.strategy_truth = [0.0; 4];
    }
}

/// Bridge steps for intermediate visits at `weeks` before the primary week:
/// from fraction `s` to `t` of the way, the conditional mean moves
/// `(t - s) / (1 - s)` of the remaining distance and the conditional SD is
/// `change_sd * sqrt((t - s) (1 - t) / (1 - s))`.
fn bridge_steps(weeks: &[f64], primary: f64, change_sd: f64) -> Vec<BridgeStep> {
    let mut s = 0.0;
    weeks
        .iter()
        .map(|w| {
            let t = w / primary;
            let gap = 1.0 - s;
            let step = BridgeStep {
                weight: (t - s) / gap,
                sd: change_sd * ((t - s) * (1.0 - t) / gap).sqrt(),
            };
            s = t;
            step
        })
        .collect()
}

impl CohortModel {
    /// The model for `n_msc` and `n_control` patients.
    pub fn new(
        population: &Population,
        scale: Scale,
        effect_scale: EffectScale,
        visits_weeks: &[f64],
        enroll_above: Option<f64>,
        n_msc: usize,
        n_control: usize,
    ) -> CohortModel {
        let rho = population.baseline_change_correlation;
        let primary = *visits_weeks.last().expect("validated: at least one visit");
        CohortModel {
            scale,
            effect_scale,
            baseline_mean: population.baseline_mean,
            baseline_sd: population.baseline_sd,
            change_mean: population.control_change_mean,
            change_on_baseline: population.change_sd * rho,
            change_own: population.change_sd * (1.0 - rho * rho).max(0.0).sqrt(),
            stratum: 0,
            unit: 1.0,
            responder_share: None,
            intercurrent: None,
            enrolment_share: enroll_above.map(|c| {
                enrolment_share(&scale, population.baseline_mean, population.baseline_sd, c)
            }),
            bridge: bridge_steps(
                &visits_weeks[..visits_weeks.len() - 1],
                primary,
                population.change_sd,
            ),
            n_msc,
            n_control,
        }
    }

    /// Buffers sized for this model.
    pub fn new_cohort(&self) -> Cohort {
        let k = self.bridge.len();
        Cohort {
            msc: ArmData::with_capacity(self.n_msc, k),
            control: ArmData::with_capacity(self.n_control, k),
            strategy_truth: [0.0; 4],
        }
    }

    /// Random numbers drawn per patient: baseline, change, one per interim
    /// visit, and four per recorded value on JADAS-27.
    pub fn normals_per_patient(&self) -> usize {
        let values = 2 + self.bridge.len();
        2 + self.bridge.len() + if self.has_parts() { 4 * values } else { 0 }
    }

    #[inline]
    fn has_parts(&self) -> bool {
        self.scale.kind == EndpointKind::Jadas27
    }

    /// Part-level scatter for one recorded value (none unless JADAS-27).
    #[inline(always)]
    fn part_noise<R: Rng + ?Sized>(&self, rng: &mut R) -> [f64; 4] {
        if self.has_parts() {
            std::array::from_fn(|_| StandardNormal.sample(rng))
        } else {
            [0.0; 4]
        }
    }

    /// The recorded value of a latent value.
    #[inline(always)]
    fn record(&self, latent: f64, noise: &[f64; 4]) -> f64 {
        if self.has_parts() {
            jadas::total(latent, noise)
        } else {
            self.scale.observe(latent)
        }
    }

    /// Standard-normal baseline deviate, truncated below when enrolment selects.
    #[inline(always)]
    fn baseline_deviate<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match self.enrolment_share {
            None => StandardNormal.sample(rng),
            Some(share) => {
                let v: f64 = Open01.sample(rng);
                -Normal::standard().inverse_cdf(share * v)
            }
        }
    }

    /// Total patients per trial.
    pub fn patients(&self) -> usize {
        self.n_msc + self.n_control
    }

    /// MSC works in only `share` of patients, each of them getting
    /// `effect / share`, so the average effect is unchanged (1 = everyone alike).
    pub fn with_responder_share(mut self, share: f64) -> CohortModel {
        self.responder_share = (share < 1.0).then_some(share);
        self
    }

    /// This model as stratum `stratum` of a pooled trial: its recorded values
    /// are divided by its change SD, so strata share one unit.
    pub fn as_stratum(mut self, stratum: u8, change_sd: f64) -> CohortModel {
        self.stratum = stratum;
        self.unit = 1.0 / change_sd;
        self
    }

    /// Simulates both arms with MSC effect `effect` into `cohort` (no allocation
    /// once the buffers have grown) and returns the sample-average true effect
    /// of MSC over all patients on the analysis scale.
    pub fn simulate<R: Rng + ?Sized>(&self, effect: f64, rng: &mut R, cohort: &mut Cohort) -> f64 {
        cohort.clear();
        self.simulate_more(effect, rng, cohort) / self.patients() as f64
    }

    /// Appends this model's patients to `cohort` and returns the sum (not the
    /// mean) of their own true effects.
    pub fn simulate_more<R: Rng + ?Sized>(
        &self,
        effect: f64,
        rng: &mut R,
        cohort: &mut Cohort,
    ) -> f64 {
        let hr = self
            .intercurrent
            .as_ref()
            .map_or(1.0, |ic| ic.trial_hazard_ratio(rng));
        let mut truth = 0.0;
        for _ in 0..self.n_msc {
            truth += self.patient(
                effect,
                true,
                rng,
                &mut cohort.msc,
                hr,
                &mut cohort.strategy_truth,
            );
        }
        for _ in 0..self.n_control {
            truth += self.patient(
                effect,
                false,
                rng,
                &mut cohort.control,
                hr,
                &mut cohort.strategy_truth,
            );
        }
        truth
    }

    /// This model with intercurrent events.
    pub fn with_intercurrent(mut self, model: Option<IntercurrentModel>) -> CohortModel {
        self.intercurrent = model;
        self
    }

    /// The intercurrent-event model, if any.
    pub fn intercurrent(&self) -> Option<&IntercurrentModel> {
        self.intercurrent.as_ref()
    }

    /// The draws every patient makes, in the core engine's order: baseline,
    /// change, the responder draw, then per intermediate visit a bridge step
    /// and (JADAS-27) the part scatter, handed to `visit(k, baseline, change
    /// so far, scatter)`, then the baseline's and the primary visit's scatter.
    #[inline(always)]
    fn draw<R: Rng + ?Sized>(
        &self,
        effect: f64,
        on_msc: bool,
        rng: &mut R,
        mut visit: impl FnMut(usize, f64, f64, [f64; 4]),
    ) -> Draws {
        let z_baseline = self.baseline_deviate(rng);
        let z_change: f64 = StandardNormal.sample(rng);
        // Heterogeneous effect: a responder gets effect / share, others nothing.
        let effect = match self.responder_share {
            Some(share) => {
                let u: f64 = Open01.sample(rng);
                if u < share { effect / share } else { 0.0 }
            }
            None => effect,
        };
        let baseline = self.baseline_mean + self.baseline_sd * z_baseline;
        let change_control =
            self.change_mean + self.change_on_baseline * z_baseline + self.change_own * z_change;
        let change = if on_msc {
            change_control + effect
        } else {
            change_control
        };
        // Brownian bridge from (0, 0) to (1, change), visit by visit.
        let mut c = 0.0;
        for (k, step) in self.bridge.iter().enumerate() {
            let z: f64 = StandardNormal.sample(rng);
            c += step.weight * (change - c) + step.sd * z;
            visit(k, baseline, c, self.part_noise(rng));
        }
        let observed_baseline = self.record(baseline, &self.part_noise(rng));
        Draws {
            baseline,
            observed_baseline,
            change_control,
            effect,
            change,
            primary_noise: self.part_noise(rng),
        }
    }

    /// The effect of MSC on one patient on the analysis scale, from their
    /// recorded values under MSC and under control (baseline subtracted).
    #[inline]
    fn own_effect(&self, with_msc: f64, without: f64) -> f64 {
        match self.effect_scale {
            EffectScale::Change => (with_msc - without) * self.unit,
            EffectScale::Responder { threshold } => {
                f64::from(u8::from(EffectScale::responds(threshold, with_msc)))
                    - f64::from(u8::from(EffectScale::responds(threshold, without)))
            }
        }
    }

    /// One patient; returns their own effect of MSC on the analysis scale.
    #[inline(always)]
    fn patient<R: Rng + ?Sized>(
        &self,
        effect: f64,
        on_msc: bool,
        rng: &mut R,
        arm: &mut ArmData,
        hr: f64,
        strategy_truth: &mut [f64; 4],
    ) -> f64 {
        if let Some(ic) = &self.intercurrent {
            return self.patient_intercurrent(ic, effect, on_msc, rng, arm, hr, strategy_truth);
        }
        let (unit, interim) = (self.unit, &mut arm.interim);
        let d = self.draw(effect, on_msc, rng, |_, baseline, c, noise| {
            interim.push(self.record(baseline + c, &noise) * unit);
        });
        let primary = self.record(d.baseline + d.change, &d.primary_noise);
        arm.baseline.push(d.observed_baseline * self.unit);
        arm.primary.push(primary * self.unit);
        arm.change.push((primary - d.observed_baseline) * self.unit);
        arm.stratum.push(self.stratum);

        let with_msc = self.record(d.baseline + d.change_control + d.effect, &d.primary_noise)
            - d.observed_baseline;
        let without =
            self.record(d.baseline + d.change_control, &d.primary_noise) - d.observed_baseline;
        self.own_effect(with_msc, without)
    }

    /// A patient with intercurrent events: the four worlds, the observed one
    /// recorded in `arm`, the true effect of each estimand added to
    /// `strategy_truth`; returns MSC's own effect (no concomitant therapy).
    #[allow(clippy::too_many_arguments)]
    fn patient_intercurrent<R: Rng + ?Sized>(
        &self,
        ic: &IntercurrentModel,
        effect: f64,
        on_msc: bool,
        rng: &mut R,
        arm: &mut ArmData,
        hr: f64,
        strategy_truth: &mut [f64; 4],
    ) -> f64 {
        // Latent change and part scatter at each visit in the patient's own arm.
        let mut own_path = [0.0; MAX_VISITS];
        let mut noise = [[0.0; 4]; MAX_VISITS];
        let d = self.draw(effect, on_msc, rng, |k, _, c, scatter| {
            own_path[k] = c;
            noise[k] = scatter;
        });
        let k_primary = self.bridge.len();
        noise[k_primary] = d.primary_noise;
        let visits = ic.visits();
        let primary_week = visits[k_primary];
        // The other arm's path differs by the effect accrued by each visit;
        // the primary visit uses the core engine's expressions exactly.
        let path_of = |msc: bool, k: usize| -> f64 {
            if k == k_primary {
                if msc {
                    d.change_control + d.effect
                } else {
                    d.change_control
                }
            } else if msc == on_msc {
                own_path[k]
            } else {
                let t = visits[k] / primary_week;
                if msc {
                    own_path[k] + t * d.effect
                } else {
                    own_path[k] - t * d.effect
                }
            }
        };
        let mut shared = ic.shared_draws(rng);
        let b = d.observed_baseline;
        let mut run = |msc: bool, with: bool, shared: &mut SharedDraws| {
            ic.world(msc, with, hr, b, shared, rng, &|k, extra| {
                self.record(d.baseline + path_of(msc, k) + extra, &noise[k])
            })
        };
        let own = run(on_msc, true, &mut shared);
        let other = run(!on_msc, true, &mut shared);
        let own_plain = run(on_msc, false, &mut shared);
        let other_plain = run(!on_msc, false, &mut shared);
        let (msc_c, ctl_c, msc_n, ctl_n) = if on_msc {
            (&own, &other, &own_plain, &other_plain)
        } else {
            (&other, &own, &other_plain, &own_plain)
        };

        // The observed world.
        let unit = self.unit;
        for &v in &own.values[..k_primary] {
            arm.interim.push(v * unit);
        }
        let primary = own.values[k_primary];
        arm.baseline.push(b * unit);
        arm.primary.push(primary * unit);
        arm.change.push((primary - b) * unit);
        arm.stratum.push(self.stratum);
        arm.event.push(own.event);
        arm.flared_by_primary.push(own.first_flare <= primary_week);
        arm.first_flare.push(own.first_flare);
        arm.flares.push(own.flares as u16);
        let mut mask = 0u32;
        for (i, &start) in own.conc_start[..ic.spec.concomitants.len()]
            .iter()
            .enumerate()
        {
            if start <= ic.spec.follow_up_weeks {
                mask |= 1 << i;
            }
        }
        arm.concomitants.push(mask);

        // True effects of each estimand for this patient.
        let g = |w: &World| w.values[k_primary] - b;
        let wot = |w: &World| w.while_on_treatment(visits, b) - b;
        let composite = |w: &World| -> f64 {
            let ok = match self.effect_scale {
                EffectScale::Responder { threshold } => EffectScale::responds(threshold, g(w)),
                EffectScale::Change => true,
            };
            f64::from(u8::from(
                ok && w.first_flare > primary_week && w.event >= primary_week,
            ))
        };
        let own_effect = self.own_effect(g(msc_n), g(ctl_n));
        strategy_truth[Strategy::TreatmentPolicy.index()] += self.own_effect(g(msc_c), g(ctl_c));
        strategy_truth[Strategy::Hypothetical.index()] += own_effect;
        strategy_truth[Strategy::Composite.index()] += composite(msc_c) - composite(ctl_c);
        strategy_truth[Strategy::WhileOnTreatment.index()] +=
            self.own_effect(wot(msc_c), wot(ctl_c));
        own_effect
    }
}
