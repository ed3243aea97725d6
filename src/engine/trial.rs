//! One simulated trial's patients: the latent course from [`crate::cohort`],
//! events laid over it by [`crate::intercurrent`], the observed values
//! recorded, and each estimand's truth taken by [`crate::estimand::truth`].
//! Data flows one way through these modules.

use crate::analysis::EffectScale;
use crate::cohort::{ArmData, Cohort, CohortModel, Latent};
use crate::design::withdrawal::RunIn;
use crate::design::{Arm, Arms};
use crate::estimand::truth::{self, StrategyTruth};
use crate::intercurrent::dropout::DropoutModel;
use crate::intercurrent::safety::SafetyModel;
use crate::intercurrent::{IntercurrentModel, PatientScratch, Worlds};
use crate::rng::Stream;

/// The patient side of a cell.
#[derive(Debug, Clone)]
pub struct Trial {
    pub cohort: CohortModel,
    /// Flares and concomitant therapies, when the scenario has them.
    pub intercurrent: Option<IntercurrentModel>,
    /// Pooled trial: each stratum's model and MSC effect (its scale units).
    pub strata: Vec<(CohortModel, f64)>,
    /// The scale the analysis estimates the effect on.
    pub effect_scale: EffectScale,
    /// The primary endpoint is the time to the first flare: each patient's
    /// follow-up is recorded, and the trial's truth is its log hazard ratio.
    pub time_to_flare: bool,
    /// Who leaves the trial early, when the scenario says.
    pub dropout: Option<DropoutModel>,
    /// Randomized withdrawal: the open-label run-in before randomisation.
    pub run_in: Option<RunIn>,
    /// Time to flare: the true log hazard ratio at the scenario's own
    /// hazard ratio (NaN otherwise).
    pub fixed_log_hr: f64,
    /// Adverse events, drawn by the cell from their own stream.
    pub safety: Option<SafetyModel>,
}

/// Per-worker buffers for one patient at a time (used with intercurrent
/// events), reused so the patient loop neither allocates nor clears.
#[derive(Debug, Clone)]
pub struct Patient {
    latent: Latent,
    scratch: PatientScratch,
    worlds: Worlds,
    /// Randomized withdrawal: children enrolled into the run-in of the
    /// trial last simulated.
    pub enrolled: usize,
    /// With `[manufacturing]`: each patient's own MSC effect on the analysis
    /// scale in the trial last simulated (MSC arm first).
    pub own: Vec<f64>,
}

impl Trial {
    /// Buffers for [`Trial::simulate`].
    pub fn patient(&self) -> Patient {
        Patient {
            latent: self
                .run_in
                .as_ref()
                .map_or_else(|| self.cohort.empty_latent(), |r| r.model.empty_latent()),
            scratch: PatientScratch::default(),
            worlds: Worlds::default(),
            enrolled: 0,
            own: Vec::new(),
        }
    }

    /// Records every intermediate visit of patients without intercurrent
    /// events, which runs skip (`trialsim replay` shows them).
    pub fn record_every_visit(&mut self) {
        self.cohort.record_every_visit();
        for (model, _) in &mut self.strata {
            model.record_every_visit();
        }
    }

    /// Simulates one trial with MSC effect `effect` into `cohort` (emptied
    /// first), the flare hazard ratio drawn from its prior when `draw_hr` and returns the sample-average true effect of MSC on the
    /// analysis scale; with intercurrent events, `truths` receives the sums
    /// of each estimand's true effect.
    pub fn simulate(
        &self,
        effect: (f64, bool),
        rng: &mut Stream,
        cohort: &mut Cohort,
        truths: &mut StrategyTruth,
        patient: &mut Patient,
    ) -> f64 {
        self.simulate_patients(effect, rng, cohort, truths, patient)
    }

    /// The trial's patients (adverse events are drawn by the cell, from
    /// their own stream).
    fn simulate_patients(
        &self,
        (effect, draw_hr): (f64, bool),
        rng: &mut Stream,
        cohort: &mut Cohort,
        truths: &mut StrategyTruth,
        patient: &mut Patient,
    ) -> f64 {
        cohort.clear();
        let scale = self.effect_scale;
        let plain = |model: &CohortModel, effect: f64, rng: &mut Stream, cohort: &mut Cohort| {
            let mut sum = 0.0;
            model.simulate(effect, rng, cohort, |o| sum += truth::of_outcomes(scale, o));
            sum
        };
        let patients = self.cohort.patients() as f64;
        if !self.strata.is_empty() {
            let sum: f64 = self
                .strata
                .iter()
                .map(|(m, e)| plain(m, *e, rng, cohort))
                .sum();
            return sum / patients;
        }
        let Some(ic) = &self.intercurrent else {
            if !self.cohort.has_product() {
                return plain(&self.cohort, effect, rng, cohort) / patients;
            }
            // `[manufacturing]`: each patient's own effect is kept, so the
            // as-infused contrast is judged against the infused children's.
            let own = &mut patient.own;
            own.clear();
            let mut sum = 0.0;
            self.cohort.simulate(effect, rng, cohort, |o| {
                let e = truth::of_outcomes(scale, o);
                own.push(e);
                sum += e;
            });
            return sum / patients;
        };
        *truths = StrategyTruth::default();
        let hr = if draw_hr {
            ic.trial_hazard_ratio(rng)
        } else {
            ic.spec.therapy.msc_hazard_ratio
        };
        if let Some(run_in) = &self.run_in {
            self.withdraw(run_in, ic, (effect, hr), rng, cohort, patient);
            return self.log_hr_truth(ic, hr, draw_hr);
        }
        if self.time_to_flare && ic.spec.concomitants.is_empty() {
            // Nothing but the flares and dropout is read: no latent course.
            for (arm, &n) in self.cohort.sizes().iter() {
                for _ in 0..n {
                    let scores = (f64::NAN, f64::NAN);
                    self.randomise(arm, ic, hr, rng, scores, &mut cohort[arm], patient);
                }
            }
            return self.log_hr_truth(ic, hr, draw_hr);
        }
        let (stratum, unit) = self.cohort.stratum();
        let therapies = ic.spec.concomitants.len();
        let mut sum = 0.0;
        let Patient {
            latent,
            scratch,
            worlds,
            own,
            ..
        } = patient;
        own.clear();
        for (arm, &n) in self.cohort.sizes().iter() {
            for _ in 0..n {
                self.cohort.latent_into(effect, arm, rng, latent);
                ic.worlds_into(latent, hr, rng, scratch, worlds);
                let latent = &*latent;
                let b = latent.observed_baseline;
                worlds.record(
                    &mut cohort[arm],
                    b,
                    (stratum, unit),
                    ic.visits(),
                    ic.spec.follow_up_weeks,
                    therapies,
                );
                let own_effect = truths.add(worlds, b, ic.visits(), scale, unit);
                sum += own_effect;
                if self.cohort.has_product() {
                    cohort[arm].infused.push(latent.infused);
                    own.push(own_effect);
                }
                if self.time_to_flare || self.dropout.is_some() {
                    let first = worlds.observed().first_flare;
                    let dropout = self
                        .dropout
                        .map_or(f64::INFINITY, |d| d.week(arm, first, rng));
                    if self.time_to_flare {
                        cohort[arm].push_follow_up(first, dropout, ic.spec.follow_up_weeks);
                    } else {
                        // Visits after this week are missing (see `estimand`).
                        cohort[arm].dropout.push(dropout);
                    }
                }
            }
        }
        if self.time_to_flare {
            return self.log_hr_truth(ic, hr, draw_hr);
        }
        sum / patients
    }

    /// The trial's true log hazard ratio (see
    /// [`IntercurrentModel::true_log_hr`]): at the scenario's own hazard
    /// ratio it was computed once per cell.
    fn log_hr_truth(&self, ic: &IntercurrentModel, hr: f64, drawn: bool) -> f64 {
        if drawn {
            ic.true_log_hr(hr, self.dropout_hazards(), self.msc_share())
        } else {
            self.fixed_log_hr
        }
    }

    /// Each arm's dropout hazard (0 without dropout).
    pub fn dropout_hazards(&self) -> Arms<f64> {
        self.dropout.map_or(Arms::both(0.0), |d| d.hazard())
    }

    /// The share of the randomised children on MSC.
    pub fn msc_share(&self) -> f64 {
        let sizes = self.cohort.sizes();
        sizes.msc as f64 / sizes.total() as f64
    }

    /// A randomized withdrawal trial: children enrolled into the open-label
    /// run-in until both arms are filled with responders (or the enrolment
    /// cap is reached), each responder's flares counted from randomisation
    /// (see [`crate::design::withdrawal`]). `effect` is MSC's effect in the
    /// run-in, `hr` the trial's flare hazard ratio.
    fn withdraw(
        &self,
        run_in: &RunIn,
        ic: &IntercurrentModel,
        (effect, hr): (f64, f64),
        rng: &mut Stream,
        cohort: &mut Cohort,
        patient: &mut Patient,
    ) {
        let sizes = self.cohort.sizes();
        let (mut enrolled, mut randomised) = (0, 0);
        while randomised < sizes.total() && enrolled < run_in.max_enrolled {
            enrolled += 1;
            let (baseline, value, responds) = run_in.enrol(effect, rng, &mut patient.latent);
            if !responds {
                continue;
            }
            // Responders are randomised in proportion as they come, so a
            // trial cut short at the cap keeps its allocation.
            let (m, t) = (sizes.msc, sizes.total());
            let arm = if (randomised + 1) * m / t > randomised * m / t {
                Arm::Msc
            } else {
                Arm::Control
            };
            randomised += 1;
            self.randomise(
                arm,
                ic,
                hr,
                rng,
                (baseline, value),
                &mut cohort[arm],
                patient,
            );
        }
        patient.enrolled = enrolled;
    }

    /// One randomised child of a time-to-flare trial with no latent course
    /// to lay events over: flares in `arm` from randomisation and dropout,
    /// recorded with the `scores` (baseline and value) the run-in measured
    /// (NaN in a parallel trial: nobody measured or reads them).
    #[allow(clippy::too_many_arguments)]
    #[inline]
    fn randomise(
        &self,
        arm: Arm,
        ic: &IntercurrentModel,
        hr: f64,
        rng: &mut Stream,
        scores: (f64, f64),
        data: &mut ArmData,
        patient: &mut Patient,
    ) {
        let weeks = (
            *ic.visits().last().expect("validated: a primary visit"),
            ic.spec.follow_up_weeks,
        );
        let flares = ic.flare_times(arm, hr, rng, &mut patient.scratch);
        let dropout = self
            .dropout
            .map_or(f64::INFINITY, |d| d.week(arm, flares.0, rng));
        data.push_withdrawn(scores, flares, dropout, weeks);
    }
}
