//! The randomized-withdrawal design: who is enrolled, who is randomised, and
//! when the flare clock starts.
//!
//! Every child enrolled gets MSC open-label. Response is assessed at the end
//! of the run-in (`design.run_in_weeks`) on the scale of the endpoint's
//! disease: a fall from the recorded baseline of at least
//! `endpoint.responder_threshold`. The run-in's course is the population's
//! change model with the run-in's end as its primary visit and MSC's effect
//! (`effect.mean`) added, so with a continuous scale the response rate is
//! `Phi((-(control_change_mean + effect) - threshold) / change_sd)`.
//!
//! Enrolment runs until enough responders are randomised: children enter
//! the run-in one by one, non-responders leave, and responders are
//! randomised until both arms are full (`n_per_arm` is the randomised
//! control arm; the MSC arm is `allocation` times it). So every trial
//! randomises the same number, and the number enrolled varies (it is
//! negative binomial). Enrolment stops early after
//! `max_enrolled_per_randomised` times the randomised total; such a trial
//! randomises the responders it has, and is counted as short.
//!
//! Responders are exchangeable, so the first responders fill the MSC arm and
//! the rest the control arm. The flare clock starts at randomisation: the
//! `[standard_therapy]` hazards and follow-up count weeks from there.

use crate::analysis::EffectScale;
use crate::cohort::{CohortModel, Latent};
use crate::design::Arm;
use crate::rng::Stream;
use crate::scenario::{Population, Scale, Withdrawal};

/// The run-in of a randomized withdrawal design, prepared for one cell.
#[derive(Debug, Clone)]
pub struct RunIn {
    /// The latent course to the end of the run-in (its one visit).
    pub model: CohortModel,
    pub threshold: f64,
    /// Most children enrolled in one trial.
    pub max_enrolled: usize,
}

impl RunIn {
    /// The run-in for `randomised` children in all.
    pub fn new(
        w: &Withdrawal,
        population: &Population,
        scale: Scale,
        enroll_above: Option<f64>,
        threshold: f64,
        randomised: usize,
    ) -> RunIn {
        RunIn {
            model: CohortModel::new(
                population,
                scale,
                &[w.run_in_weeks],
                enroll_above,
                crate::design::Arms::both(1),
            ),
            threshold,
            max_enrolled: (w.max_enrolled_per_randomised * randomised as f64).ceil() as usize,
        }
    }

    /// Enrols one child into the run-in (MSC effect `effect`), into `latent`;
    /// returns the recorded baseline and run-in value, and whether the child
    /// responded.
    #[inline]
    pub fn enrol(&self, effect: f64, rng: &mut Stream, latent: &mut Latent) -> (f64, f64, bool) {
        self.model.latent_into(effect, Arm::Msc, rng, latent);
        let baseline = latent.observed_baseline;
        let value = latent.recorded(Arm::Msc, 0, 1.0, 0.0);
        let responds = EffectScale::responds(self.threshold, value - baseline);
        (baseline, value, responds)
    }
}
