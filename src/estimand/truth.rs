//! The true value of each estimand for one trial: from each patient's
//! potential outcomes (both arms, with and without concomitant therapy),
//! the target against which bias and coverage are measured.

use crate::analysis::EffectScale;
use crate::cohort::Outcomes;
use crate::design::Arm;
use crate::intercurrent::{World, Worlds};
use crate::scenario::intercurrent::Strategy;

/// The effect of MSC on one patient on the analysis scale, from their
/// recorded changes under MSC and under control.
#[inline]
pub fn own_effect(scale: EffectScale, with_msc: f64, without: f64, unit: f64) -> f64 {
    match scale {
        EffectScale::Change => (with_msc - without) * unit,
        EffectScale::Responder { threshold } => {
            f64::from(u8::from(EffectScale::responds(threshold, with_msc)))
                - f64::from(u8::from(EffectScale::responds(threshold, without)))
        }
        // A hazard ratio belongs to the trial, not to a patient: its truth
        // comes from the arms' hazards (`IntercurrentModel::true_log_hr`).
        EffectScale::LogHazardRatio => 0.0,
    }
}

/// MSC's own effect on a patient with nothing happening between visits.
#[inline]
pub fn of_outcomes(scale: EffectScale, o: Outcomes) -> f64 {
    own_effect(scale, o.with_msc, o.without, o.unit)
}

/// Sums over a trial's patients of each strategy's true effect, indexed by
/// [`Strategy::index`].
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StrategyTruth {
    sums: [f64; 4],
}

impl StrategyTruth {
    /// The sum for `strategy`.
    pub fn sum(&self, strategy: Strategy) -> f64 {
        self.sums[strategy.index()]
    }

    /// Adds one patient's true effects under every strategy and returns MSC's
    /// own effect on them (no concomitant therapy). `b` is the recorded
    /// baseline, `visits` the visit weeks (the last is primary), `unit` the
    /// patients' unit factor.
    pub fn add(
        &mut self,
        worlds: &Worlds,
        b: f64,
        visits: &[f64],
        scale: EffectScale,
        unit: f64,
    ) -> f64 {
        let k_primary = visits.len() - 1;
        let primary_week = visits[k_primary];
        let g = |w: &World| w.values[k_primary] - b;
        let wot = |w: &World| w.while_on_treatment(visits, b) - b;
        let composite = |w: &World| -> f64 {
            let ok = match scale {
                EffectScale::Responder { threshold } => EffectScale::responds(threshold, g(w)),
                EffectScale::Change | EffectScale::LogHazardRatio => true,
            };
            f64::from(u8::from(
                ok && w.first_flare > primary_week && w.event >= primary_week,
            ))
        };
        let effect = |with: f64, without: f64| own_effect(scale, with, without, unit);
        let (msc_c, ctl_c) = (worlds.get(Arm::Msc, true), worlds.get(Arm::Control, true));
        let (msc_n, ctl_n) = (worlds.get(Arm::Msc, false), worlds.get(Arm::Control, false));
        let own = effect(g(msc_n), g(ctl_n));
        self.sums[Strategy::TreatmentPolicy.index()] += effect(g(msc_c), g(ctl_c));
        self.sums[Strategy::Hypothetical.index()] += own;
        self.sums[Strategy::Composite.index()] += composite(msc_c) - composite(ctl_c);
        self.sums[Strategy::WhileOnTreatment.index()] += effect(wot(msc_c), wot(ctl_c));
        own
    }
}
