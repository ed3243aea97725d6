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
//! which take four more normals per recorded value. Each patient's recorded primary change under both assignments is
//! returned too ([`Outcomes`]), from which [`crate::estimand::truth`] takes
//! the true effect against which bias is measured.
//!
//! This module only draws: the latent path of a patient ([`Latent`]) is handed
//! on to [`crate::intercurrent`], which lays events over it; nothing here
//! calls back into that module.

use statrs::distribution::{ContinuousCDF, Normal};

pub mod data;
pub mod jadas;
pub mod scale;

pub use data::{ArmData, Cohort};

use crate::design::{Arm, Arms};
use crate::rng::Stream;
use crate::scenario::{EndpointKind, Population};
use scale::{Scale, enrolment_share};

/// Visits a scenario may have.
pub const MAX_VISITS: usize = 32;

/// The patient model for one pair of arm sizes; immutable, shared by all workers.
#[derive(Debug, Clone)]
pub struct CohortModel {
    recorder: Recorder,
    baseline_mean: f64,
    baseline_sd: f64,
    change_mean: f64,
    /// `change_sd * rho` and `change_sd * sqrt(1 - rho^2)`.
    change_on_baseline: f64,
    change_own: f64,
    /// One Brownian-bridge step per intermediate visit (the primary excluded).
    bridge: Vec<BridgeStep>,
    /// Each visit's week as a fraction of the primary visit's.
    fractions: Vec<f64>,
    /// With `enroll_above`: the probability that an unselected patient qualifies.
    enrolment_share: Option<f64>,
    /// Stratum label of these patients, and the factor their recorded values
    /// are multiplied by (1 / change SD in a pooled trial, else 1).
    stratum: u8,
    unit: f64,
    /// With `effect.responder_share` below 1: the share of patients MSC works in.
    responder_share: Option<f64>,
    /// With `[manufacturing]`: whose product fails, and the delay.
    product: Option<ProductModel>,
    sizes: Arms<usize>,
    /// Whether a patient without intercurrent events has every intermediate
    /// visit recorded (`trialsim replay` shows them); runs read only the
    /// baseline and the primary visit, so they neither draw nor record the
    /// others (their draws come from a sub-stream of their own, so every
    /// other draw is the same either way).
    record_visits: bool,
}

/// `[manufacturing]`, prepared: a child's product fails with probability
/// `Phi(intercept + slope * z)` for the baseline deviate `z` (marginally
/// `failure_probability` for a normal baseline), and an infused child's
/// effect by the primary visit is scaled by `delay_factor`, the share of the
/// time to the primary visit spent after the infusion.
#[derive(Debug, Clone, Copy)]
pub struct ProductModel {
    intercept: f64,
    slope: f64,
    delay_factor: f64,
    delay_weeks: f64,
    /// The primary visit's week.
    primary: f64,
    /// Each child's delay, when it varies: gamma with the delay's mean and SD.
    spread: Option<rand_distr::Gamma<f64>>,
}

impl ProductModel {
    /// `m` for a primary visit at week `primary`.
    pub fn new(m: &crate::scenario::Manufacturing, primary: f64) -> ProductModel {
        let slope = m.failure_by_baseline;
        let intercept = if m.failure_probability <= 0.0 {
            f64::NEG_INFINITY
        } else {
            Normal::standard().inverse_cdf(m.failure_probability) * (1.0 + slope * slope).sqrt()
        };
        ProductModel {
            intercept,
            slope,
            delay_factor: 1.0 - m.vein_to_vein_weeks / primary,
            delay_weeks: m.vein_to_vein_weeks,
            primary,
            spread: (m.vein_to_vein_sd > 0.0).then(|| {
                let (mean, sd) = (m.vein_to_vein_weeks, m.vein_to_vein_sd);
                rand_distr::Gamma::new(mean * mean / (sd * sd), sd * sd / mean)
                    .expect("validated: a positive mean and SD")
            }),
        }
    }
}

/// How a latent value becomes a recorded one: the scale's bounds and step,
/// or (JADAS-27) the sum of four recorded parts.
#[derive(Debug, Clone, Copy)]
pub struct Recorder {
    scale: Scale,
    parts: bool,
}

impl Recorder {
    fn new(scale: Scale) -> Recorder {
        Recorder {
            scale,
            parts: scale.kind == EndpointKind::Jadas27,
        }
    }

    /// The recorded value of a latent value with part scatter `noise`.
    #[inline(always)]
    pub fn record(&self, latent: f64, noise: &[f64; 4]) -> f64 {
        if self.parts {
            jadas::total(latent, noise)
        } else {
            self.scale.observe(latent)
        }
    }

    /// Part-level scatter for one recorded value (none unless JADAS-27),
    /// from `normal`.
    #[inline(always)]
    fn part_noise(&self, mut normal: impl FnMut() -> f64) -> [f64; 4] {
        if self.parts {
            // In order: an array expression evaluates left to right.
            [normal(), normal(), normal(), normal()]
        } else {
            [0.0; 4]
        }
    }
}

/// A patient's draws, shared by the plain path and the latent path.
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
    /// Whether the child's product was made (always without `[manufacturing]`).
    infused: bool,
    /// The week MSC starts (0; the infusion week of a late product;
    /// infinite for a failed one).
    msc_from: f64,
}

/// A patient's recorded change by the primary visit under MSC and under
/// control (their two potential outcomes), and the unit of the analysis.
#[derive(Debug, Clone, Copy)]
pub struct Outcomes {
    pub with_msc: f64,
    pub without: f64,
    pub unit: f64,
}

/// One patient's latent course in both arms, before any intercurrent event:
/// what [`crate::intercurrent`] lays flares and therapies over.
#[derive(Debug, Clone, Copy)]
pub struct Latent {
    /// The arm the patient was randomised to.
    pub arm: Arm,
    pub baseline: f64,
    pub observed_baseline: f64,
    change_control: f64,
    effect: f64,
    /// Latent change at each intermediate visit in the patient's own arm.
    own_path: [f64; MAX_VISITS],
    /// JADAS-27 part scatter at each visit (the last is primary).
    noise: [[f64; 4]; MAX_VISITS],
    primary: usize,
    recorder: Recorder,
    /// Whether the child's MSC product was made (always without `[manufacturing]`).
    pub infused: bool,
    /// The week MSC's flare hazard ratio starts to apply (0 without
    /// `[manufacturing]`; the infusion week; infinite for a failed product).
    pub msc_from: f64,
}

impl Latent {
    /// Index of the primary visit.
    pub fn primary(&self) -> usize {
        self.primary
    }

    /// Latent change from baseline at visit `k` in `arm`: the other arm's
    /// path differs by the effect accrued by that visit (fraction `t` of
    /// the way to the primary visit); the primary visit uses the plain
    /// path's expressions exactly.
    #[inline]
    pub fn change(&self, arm: Arm, k: usize, t: f64) -> f64 {
        if k == self.primary {
            if arm.gets_msc() {
                self.change_control + self.effect
            } else {
                self.change_control
            }
        } else if arm == self.arm {
            self.own_path[k]
        } else if arm.gets_msc() {
            self.own_path[k] + t * self.effect
        } else {
            self.own_path[k] - t * self.effect
        }
    }

    /// The value recorded at visit `k` in `arm` when the latent value is
    /// raised by `extra` (flares, therapies); `t` as in [`Latent::change`].
    #[inline]
    pub fn recorded(&self, arm: Arm, k: usize, t: f64, extra: f64) -> f64 {
        self.recorder.record(
            self.baseline + self.change(arm, k, t) + extra,
            &self.noise[k],
        )
    }
}

/// From the previous visit's change `c` to this one's, given the primary-visit
/// change `end`: `c + weight * (end - c) + sd * z`. Precomputed per cell so the
/// per-patient loop has no division or square root.
#[derive(Debug, Clone, Copy)]
struct BridgeStep {
    weight: f64,
    sd: f64,
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
    /// The model for arms of `sizes` patients with visits at `visits_weeks`
    /// (the last is primary).
    pub fn new(
        population: &Population,
        scale: Scale,
        visits_weeks: &[f64],
        enroll_above: Option<f64>,
        sizes: Arms<usize>,
    ) -> CohortModel {
        let rho = population.baseline_change_correlation;
        let primary = *visits_weeks.last().expect("validated: at least one visit");
        CohortModel {
            recorder: Recorder::new(scale),
            baseline_mean: population.baseline_mean,
            baseline_sd: population.baseline_sd,
            change_mean: population.control_change_mean,
            change_on_baseline: population.change_sd * rho,
            change_own: population.change_sd * (1.0 - rho * rho).max(0.0).sqrt(),
            stratum: 0,
            unit: 1.0,
            responder_share: None,
            product: None,
            enrolment_share: enroll_above.map(|c| {
                enrolment_share(&scale, population.baseline_mean, population.baseline_sd, c)
            }),
            bridge: bridge_steps(
                &visits_weeks[..visits_weeks.len() - 1],
                primary,
                population.change_sd,
            ),
            fractions: visits_weeks.iter().map(|w| w / primary).collect(),
            sizes,
            record_visits: false,
        }
    }

    /// Records every intermediate visit of a patient without intercurrent
    /// events (for `trialsim replay`).
    pub fn record_every_visit(&mut self) {
        self.record_visits = true;
    }

    /// Buffers sized for this model.
    pub fn new_cohort(&self) -> Cohort {
        let k = self.bridge.len();
        self.sizes.map(|&n| ArmData::with_capacity(n, k))
    }

    /// Standard-normal baseline deviate, truncated below when enrolment selects.
    #[inline(always)]
    fn baseline_deviate(&self, rng: &mut Stream) -> f64 {
        match self.enrolment_share {
            None => rng.normal(),
            Some(share) => {
                let v = rng.open01();
                -Normal::standard().inverse_cdf(share * v)
            }
        }
    }

    /// Patients per arm.
    pub fn sizes(&self) -> Arms<usize> {
        self.sizes
    }

    /// Total patients per trial.
    pub fn patients(&self) -> usize {
        self.sizes.total()
    }

    /// Each visit's week as a fraction of the primary visit's.
    pub fn fractions(&self) -> &[f64] {
        &self.fractions
    }

    /// MSC children's products may fail or come late (`[manufacturing]`).
    pub fn with_product(mut self, product: Option<ProductModel>) -> CohortModel {
        self.product = product;
        self
    }

    /// Whether MSC children may go uninfused (`[manufacturing]`).
    pub fn has_product(&self) -> bool {
        self.product.is_some()
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

    /// Stratum label and unit factor of these patients.
    pub fn stratum(&self) -> (u8, f64) {
        (self.stratum, self.unit)
    }

    /// Simulates both arms with MSC effect `effect` into `cohort` (no
    /// allocation once the buffers have grown), MSC patients first, and
    /// calls `outcome` with each patient's potential outcomes.
    pub fn simulate(
        &self,
        effect: f64,
        rng: &mut Stream,
        cohort: &mut Cohort,
        mut outcome: impl FnMut(Outcomes),
    ) {
        // One loop per arm, so each is compiled for its constant arm.
        for _ in 0..self.sizes.msc {
            outcome(self.patient(effect, Arm::Msc, rng, &mut cohort.msc));
        }
        for _ in 0..self.sizes.control {
            outcome(self.patient(effect, Arm::Control, rng, &mut cohort.control));
        }
    }

    /// The draws every patient makes, in this order: baseline, change, the
    /// responder draw, then the baseline's and the primary visit's scatter.
    /// With `path`, also per intermediate visit a bridge step and
    /// (JADAS-27) the part scatter, from the visits' own sub-stream
    /// ([`Stream::visit_normal`]), handed to `visit(k, baseline, change so
    /// far, scatter)`; without it none are drawn, and the other draws are
    /// the same either way.
    #[inline(always)]
    fn draw(
        &self,
        effect: f64,
        arm: Arm,
        rng: &mut Stream,
        (path, mut visit): (bool, impl FnMut(usize, f64, f64, [f64; 4])),
    ) -> Draws {
        let z_baseline = self.baseline_deviate(rng);
        let z_change = rng.normal();
        // Heterogeneous effect: a responder gets effect / share, others nothing.
        let effect = match self.responder_share {
            Some(share) => {
                let u = rng.open01();
                if u < share { effect / share } else { 0.0 }
            }
            None => effect,
        };
        // A product that fails leaves the child without MSC; a delayed one
        // leaves less time for its effect. Drawn for both arms (the child's
        // cells would fail in either), only with `[manufacturing]`.
        let (effect, infused, msc_from, delay_factor) = match &self.product {
            None => (effect, true, 0.0, 1.0),
            Some(p) => {
                let u = rng.open01();
                if crate::stats::normal_cdf::below_normal_cdf(u, p.intercept + p.slope * z_baseline)
                {
                    (0.0, false, f64::INFINITY, 1.0)
                } else {
                    match &p.spread {
                        None => (effect * p.delay_factor, true, p.delay_weeks, p.delay_factor),
                        Some(g) => {
                            // This child's delay; one past the primary visit
                            // leaves no effect there.
                            let d: f64 = rand_distr::Distribution::sample(g, rng);
                            let factor = (1.0 - d / p.primary).max(0.0);
                            (effect * factor, true, d, factor)
                        }
                    }
                }
            }
        };
        let (baseline, change_control, change) =
            self.latent_values((z_baseline, z_change), effect, arm);
        // Brownian bridge from (0, 0) to (1, change), visit by visit. A
        // delayed product (`[manufacturing]`) has no effect before its
        // infusion: the bridge runs to the control change and MSC's effect
        // builds linearly from the infusion (fraction `d` of the way) on.
        let delayed = self.product.is_some() && delay_factor < 1.0 && arm.gets_msc();
        let end = if delayed { change_control } else { change };
        // The intermediate visits draw from their own sub-stream, and only
        // when something reads them: no other draw moves either way.
        if path {
            let mut c = 0.0;
            for (k, step) in self.bridge.iter().enumerate() {
                let z = rng.visit_normal();
                c += step.weight * (end - c) + step.sd * z;
                let shown = if delayed && delay_factor > 0.0 {
                    let d = 1.0 - delay_factor;
                    c + effect * (self.fractions[k] - d).max(0.0) / delay_factor
                } else {
                    c
                };
                let scatter = self.recorder.part_noise(|| rng.visit_normal());
                visit(k, baseline, shown, scatter);
            }
        }
        let observed_baseline = self
            .recorder
            .record(baseline, &self.recorder.part_noise(|| rng.normal()));
        Draws {
            baseline,
            observed_baseline,
            change_control,
            effect,
            change,
            primary_noise: self.recorder.part_noise(|| rng.normal()),
            infused,
            msc_from,
        }
    }

    /// A patient's latent baseline, change without MSC and change in `arm`
    /// from their baseline and change deviates: the model's formulas, shared
    /// by [`CohortModel::draw`] and [`CohortModel::plain_draw`].
    #[inline(always)]
    fn latent_values(
        &self,
        (z_baseline, z_change): (f64, f64),
        effect: f64,
        arm: Arm,
    ) -> (f64, f64, f64) {
        let baseline = self.baseline_mean + self.baseline_sd * z_baseline;
        let change_control =
            self.change_mean + self.change_on_baseline * z_baseline + self.change_own * z_change;
        let change = if arm.gets_msc() {
            change_control + effect
        } else {
            change_control
        };
        (baseline, change_control, change)
    }

    /// Whether a patient draws only a baseline and a change: no enrolment
    /// selection, responder share, product, JADAS-27 parts or recorded
    /// visits.
    #[inline(always)]
    fn plain(&self) -> bool {
        self.enrolment_share.is_none()
            && self.responder_share.is_none()
            && self.product.is_none()
            && !self.recorder.parts
            && !self.record_visits
    }

    /// [`CohortModel::draw`] for a [`CohortModel::plain`] model: the same
    /// draws in the same order and the same expressions, without the
    /// branches the plain model never takes.
    #[inline(always)]
    fn plain_draw(&self, effect: f64, arm: Arm, rng: &mut Stream) -> Draws {
        let z_baseline = rng.normal();
        let z_change = rng.normal();
        let (baseline, change_control, change) =
            self.latent_values((z_baseline, z_change), effect, arm);
        Draws {
            baseline,
            observed_baseline: self.recorder.scale.observe(baseline),
            change_control,
            effect,
            change,
            primary_noise: [0.0; 4],
            infused: true,
            msc_from: 0.0,
        }
    }

    /// One patient with nothing happening between visits, recorded in `data`.
    #[inline(always)]
    fn patient(&self, effect: f64, arm: Arm, rng: &mut Stream, data: &mut ArmData) -> Outcomes {
        let (unit, interim) = (self.unit, &mut data.interim);
        let recorder = &self.recorder;
        let keep = self.record_visits;
        let visit = |_, baseline, c, noise| {
            interim.push(recorder.record(baseline + c, &noise) * unit);
        };
        let d = if self.plain() {
            self.plain_draw(effect, arm, rng)
        } else {
            self.draw(effect, arm, rng, (keep, visit))
        };
        let own_latent = d.baseline + d.change;
        let primary = recorder.record(own_latent, &d.primary_noise);
        data.push_scaled(d.observed_baseline, primary, unit, self.stratum);
        if self.product.is_some() {
            data.infused.push(d.infused);
        }
        // A value is recorded once per distinct latent sum: a control
        // patient's primary value is their value without MSC, and an MSC
        // patient's is their value with MSC whenever the two sums (added in
        // different orders) have the same bits, as they almost always do.
        let record_unless = |latent: f64, known: f64, value: f64| {
            if latent.to_bits() == known.to_bits() {
                value
            } else {
                recorder.record(latent, &d.primary_noise)
            }
        };
        let with_msc = record_unless(
            d.baseline + d.change_control + d.effect,
            own_latent,
            primary,
        );
        let without = record_unless(d.baseline + d.change_control, own_latent, primary);
        Outcomes {
            with_msc: with_msc - d.observed_baseline,
            without: without - d.observed_baseline,
            unit,
        }
    }

    /// An empty latent course, to be filled by [`CohortModel::latent_into`]
    /// patient after patient.
    pub fn empty_latent(&self) -> Latent {
        Latent {
            arm: Arm::Control,
            baseline: 0.0,
            observed_baseline: 0.0,
            change_control: 0.0,
            effect: 0.0,
            own_path: [0.0; MAX_VISITS],
            noise: [[0.0; 4]; MAX_VISITS],
            primary: self.bridge.len(),
            recorder: self.recorder,
            infused: true,
            msc_from: 0.0,
        }
    }

    /// One patient's latent course, for intercurrent events to be laid over,
    /// written over `out` (every visit it holds is rewritten).
    #[inline]
    pub fn latent_into(&self, effect: f64, arm: Arm, rng: &mut Stream, out: &mut Latent) {
        let (own_path, noise) = (&mut out.own_path, &mut out.noise);
        let visit = |k, _, c, scatter| {
            own_path[k] = c;
            noise[k] = scatter;
        };
        let d = self.draw(effect, arm, rng, (true, visit));
        let primary = self.bridge.len();
        out.noise[primary] = d.primary_noise;
        out.arm = arm;
        out.baseline = d.baseline;
        out.observed_baseline = d.observed_baseline;
        out.change_control = d.change_control;
        out.effect = d.effect;
        out.infused = d.infused;
        out.msc_from = d.msc_from;
        out.primary = primary;
        out.recorder = self.recorder;
    }

    /// One patient's latent course (a fresh value; the engine reuses one
    /// with [`CohortModel::latent_into`]).
    pub fn latent(&self, effect: f64, arm: Arm, rng: &mut Stream) -> Latent {
        let mut out = self.empty_latent();
        self.latent_into(effect, arm, rng, &mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{EndpointKind, Population};

    /// Every value of a patient's draws, floats as bits, for comparing two
    /// ways of drawing them.
    fn bits(d: &Draws) -> (Vec<u64>, bool) {
        let mut v = vec![
            d.baseline,
            d.observed_baseline,
            d.change_control,
            d.effect,
            d.change,
            d.msc_from,
        ];
        v.extend(d.primary_noise);
        (v.into_iter().map(f64::to_bits).collect(), d.infused)
    }

    /// The main sub-streams' position: the normals and words drawn, the
    /// intermediate visits' normals left out.
    fn main_position(s: &Stream) -> (u64, u64) {
        (s.normals_drawn() - s.visit_normals_drawn(), s.words_drawn())
    }

    /// Skipping the intermediate visits' path changes no other draw: for
    /// models that are not plain (JADAS-27 parts, enrolment selection, a
    /// responder share, a product that fails and comes late with a spread),
    /// `draw` without the path gives the bits `draw` with it gives and
    /// leaves the normals and words at the same place (the next of each is
    /// the same), drawing nothing from the visits' sub-stream, where the
    /// path draws a step and (JADAS-27) four scatter normals per
    /// intermediate visit.
    #[test]
    fn skipping_the_visits_path_changes_no_draw() {
        let population = Population {
            baseline_mean: 20.0,
            baseline_sd: 6.0,
            control_change_mean: -5.0,
            change_sd: 6.0,
            baseline_change_correlation: -0.3,
        };
        let visits = [4.0, 12.0, 24.0];
        let manufacturing = crate::scenario::Manufacturing {
            product: crate::scenario::raw::Product::Autologous,
            failure_probability: 0.1,
            failure_by_baseline: 0.5,
            vein_to_vein_weeks: 6.0,
            vein_to_vein_sd: 4.0,
            source: String::new(),
        };
        let model =
            |kind| CohortModel::new(&population, Scale::of(kind), &visits, None, Arms::both(3));
        let models = [
            model(EndpointKind::Jadas27),
            CohortModel::new(
                &population,
                Scale::of(EndpointKind::Continuous),
                &visits,
                Some(22.0),
                Arms::both(3),
            ),
            model(EndpointKind::Sledai2k).with_responder_share(0.4),
            model(EndpointKind::Jadas27)
                .with_product(Some(ProductModel::new(&manufacturing, 24.0)))
                .with_responder_share(0.6),
        ];
        for m in &models {
            assert!(!m.plain());
            for r in 0..300 {
                for arm in Arm::ALL {
                    let mut b = Stream::new(9, [3, 3], 0, r);
                    let mut c = Stream::new(9, [3, 3], 0, r);
                    let skipped = m.draw(-2.5, arm, &mut b, (false, |_, _, _, _| {}));
                    let walked = m.draw(-2.5, arm, &mut c, (true, |_, _, _, _| {}));
                    assert_eq!(bits(&skipped), bits(&walked), "replicate {r}");
                    assert_eq!(main_position(&b), main_position(&c));
                    assert_eq!(b.normal().to_bits(), c.normal().to_bits());
                    assert_eq!(b.word(), c.word());
                    let per_visit = if m.recorder.parts { 5 } else { 1 };
                    assert_eq!(b.visit_normals_drawn(), 0);
                    assert_eq!(c.visit_normals_drawn(), 2 * per_visit);
                }
            }
        }
    }

    /// `plain_draw` is `draw` for the models it serves: the same values to
    /// the bit and the same normals and words drawn, with or without the
    /// intermediate visits' path, on a bounded and an unbounded scale and
    /// with no, one or three intermediate visits; and `plain()` refuses the
    /// models that need the general draw.
    #[test]
    fn the_plain_draw_is_the_general_draw_bit_for_bit() {
        let population = Population {
            baseline_mean: 11.0,
            baseline_sd: 4.0,
            control_change_mean: -5.0,
            change_sd: 6.0,
            baseline_change_correlation: -0.3,
        };
        for kind in [EndpointKind::Continuous, EndpointKind::Sledai2k] {
            for visits in [&[24.0][..], &[12.0, 24.0], &[4.0, 8.0, 12.0, 24.0]] {
                let m = CohortModel::new(&population, Scale::of(kind), visits, None, Arms::both(3));
                assert!(m.plain());
                for r in 0..300 {
                    for arm in Arm::ALL {
                        let mut a = Stream::new(9, [3, 3], 0, r);
                        let mut b = Stream::new(9, [3, 3], 0, r);
                        let mut c = Stream::new(9, [3, 3], 0, r);
                        let plain = m.plain_draw(-2.5, arm, &mut a);
                        let skipped = m.draw(-2.5, arm, &mut b, (false, |_, _, _, _| {}));
                        let walked = m.draw(-2.5, arm, &mut c, (true, |_, _, _, _| {}));
                        assert_eq!(bits(&plain), bits(&skipped));
                        assert_eq!(bits(&plain), bits(&walked));
                        assert_eq!(plain.infused, walked.infused);
                        for s in [&b, &c] {
                            assert_eq!(main_position(&a), main_position(s));
                        }
                        assert_eq!(a.normals_drawn(), b.normals_drawn());
                    }
                }
                let mut replayed = m.clone();
                replayed.record_every_visit();
                assert!(!replayed.plain());
            }
        }
        let jadas = CohortModel::new(
            &population,
            Scale::of(EndpointKind::Jadas27),
            &[24.0],
            None,
            Arms::both(3),
        );
        assert!(!jadas.plain());
        let selected = CohortModel::new(
            &population,
            Scale::of(EndpointKind::Continuous),
            &[24.0],
            Some(10.0),
            Arms::both(3),
        );
        assert!(!selected.plain());
    }
}
