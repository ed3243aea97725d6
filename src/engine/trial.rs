//! One simulated trial's patients: the latent course from [`crate::cohort`],
//! events laid over it by [`crate::intercurrent`], the observed values
//! recorded, and each estimand's truth taken by [`crate::estimand::truth`].
//! Data flows one way through these modules.

use crate::analysis::EffectScale;
use crate::cohort::{Cohort, CohortModel, Latent};
use crate::estimand::truth::{self, StrategyTruth};
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
}

/// Per-worker buffers for one patient at a time (used with intercurrent
/// events), reused so the patient loop neither allocates nor clears.
#[derive(Debug, Clone)]
pub struct Patient {
    latent: Latent,
    scratch: PatientScratch,
    worlds: Worlds,
}

impl Trial {
    /// Buffers for [`Trial::simulate`].
    pub fn patient(&self) -> Patient {
        Patient {
            latent: self.cohort.empty_latent(),
            scratch: PatientScratch::default(),
            worlds: Worlds::default(),
        }
    }

    /// Simulates one trial with MSC effect `effect` into `cohort` (emptied
    /// first) and returns the sample-average true effect of MSC on the
    /// analysis scale; with intercurrent events, `truths` receives the sums
    /// of each estimand's true effect.
    pub fn simulate(
        &self,
        effect: f64,
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
            return plain(&self.cohort, effect, rng, cohort) / patients;
        };
        *truths = StrategyTruth::default();
        let hr = ic.trial_hazard_ratio(rng);
        let (stratum, unit) = self.cohort.stratum();
        let therapies = ic.spec.concomitants.len();
        let mut sum = 0.0;
        let Patient {
            latent,
            scratch,
            worlds,
        } = patient;
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
                sum += truths.add(worlds, b, ic.visits(), scale, unit);
            }
        }
        sum / patients
    }
}
