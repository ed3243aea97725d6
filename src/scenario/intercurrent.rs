//! `[standard_therapy]`, `[[concomitant]]` and `[estimand]`: intercurrent
//! events, raw and validated.
//!
//! The checks that turn one into the other are in
//! `scenario::validate::{standard_therapy, concomitant, estimand}`.

use serde::Deserialize;

use crate::design::{Arm, Arms};
use crate::intercurrent::hazard::Piecewise;

/// A hazard per week: one number, or `[[from_week, hazard], ...]` pieces.
#[derive(Debug, Clone, Deserialize)]
#[serde(
    untagged,
    expecting = "expected a hazard per week (a number) or a list of [from_week, hazard] pairs"
)]
pub enum RawHazard {
    Constant(f64),
    Pieces(Vec<[f64; 2]>),
}

/// `standard_therapy.policy`
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Policy {
    Continue,
    Withdraw,
}

/// `[standard_therapy]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStandardTherapy {
    pub policy: Option<Policy>,
    pub withdraw_arms: Option<Vec<Arm>>,
    pub withdraw_week: Option<f64>,
    pub taper_weeks: Option<f64>,
    pub flare_hazard_on: Option<RawHazard>,
    pub flare_hazard_taper: Option<RawHazard>,
    pub flare_hazard_off: Option<RawHazard>,
    pub msc_flare_hazard_ratio: Option<f64>,
    pub msc_flare_hazard_ratio_log_sd: Option<f64>,
    pub flare_effect: Option<f64>,
    pub flare_effect_sd: Option<f64>,
    pub source: Option<String>,
}

/// `concomitant.trigger`
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    Baseline,
    Flare,
    Nonresponse,
}

/// `probability = 0.3` or `probability = { msc = 0.1, control = 0.4 }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(
    untagged,
    expecting = "expected a probability or a table { msc = ..., control = ... }"
)]
pub enum RawProbability {
    Both(f64),
    PerArm(PerArm),
}

/// `{ msc = ..., control = ... }`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PerArm {
    pub msc: f64,
    pub control: f64,
}

/// `[[concomitant]]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConcomitant {
    pub name: String,
    pub trigger: Trigger,
    pub probability: Option<RawProbability>,
    pub effect: f64,
    pub effect_sd: Option<f64>,
    pub start_week: Option<f64>,
    pub duration_weeks: Option<f64>,
    pub half_life_weeks: Option<f64>,
    pub improvement_needed: Option<f64>,
    pub source: String,
}

/// `estimand.strategy` (ICH E9(R1)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    TreatmentPolicy,
    Hypothetical,
    Composite,
    WhileOnTreatment,
}

impl Strategy {
    /// All four, in report order.
    pub const ALL: [Strategy; 4] = [
        Strategy::TreatmentPolicy,
        Strategy::Hypothetical,
        Strategy::Composite,
        Strategy::WhileOnTreatment,
    ];

    /// Position in [`Strategy::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// The name a scenario file uses.
    pub fn name(self) -> &'static str {
        match self {
            Strategy::TreatmentPolicy => "treatment_policy",
            Strategy::Hypothetical => "hypothetical",
            Strategy::Composite => "composite",
            Strategy::WhileOnTreatment => "while_on_treatment",
        }
    }
}

/// `[estimand]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEstimand {
    pub strategy: Option<Strategy>,
}

/// Standard therapy and flares, validated.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct StandardTherapy {
    pub policy: Policy,
    /// Whether each arm withdraws.
    pub withdraws: Arms<bool>,
    /// Week the withdrawing arms start to taper (0: at the first infusion).
    pub withdraw_week: f64,
    pub taper_weeks: f64,
    pub hazard_on: Piecewise,
    /// `None`: midway between on and off at each week.
    pub hazard_taper: Option<Piecewise>,
    pub hazard_off: Piecewise,
    pub msc_hazard_ratio: f64,
    pub msc_hazard_ratio_log_sd: f64,
    pub flare_effect: f64,
    pub flare_effect_sd: f64,
    pub source: String,
}

impl StandardTherapy {
    /// Continue everything, no flares: the core engine's world.
    pub fn none() -> StandardTherapy {
        StandardTherapy {
            policy: Policy::Continue,
            withdraws: Arms::both(false),
            withdraw_week: 0.0,
            taper_weeks: 0.0,
            hazard_on: Piecewise::constant(0.0),
            hazard_taper: None,
            hazard_off: Piecewise::constant(0.0),
            msc_hazard_ratio: 1.0,
            msc_hazard_ratio_log_sd: 0.0,
            flare_effect: 0.0,
            flare_effect_sd: 0.0,
            source: String::new(),
        }
    }

    /// Whether flares can happen at all.
    pub fn has_flares(&self) -> bool {
        !(self.hazard_on.is_zero()
            && self.hazard_off.is_zero()
            && self.hazard_taper.as_ref().is_none_or(Piecewise::is_zero))
    }
}

/// One concomitant or rescue therapy, validated.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Concomitant {
    pub name: String,
    pub trigger: Trigger,
    /// Probability of use in each arm.
    pub probability: Arms<f64>,
    pub effect: f64,
    pub effect_sd: f64,
    /// Baseline: week started. Flare: delay after the first flare.
    /// Nonresponse: the visit week at which response is assessed.
    pub start_week: f64,
    pub duration_weeks: f64,
    pub half_life_weeks: f64,
    pub improvement_needed: f64,
    pub source: String,
}

impl Concomitant {
    /// Share of the full effect `s` weeks after the start.
    #[inline]
    pub fn weight(&self, s: f64) -> f64 {
        if s < 0.0 {
            0.0
        } else if s < self.duration_weeks {
            1.0
        } else if self.half_life_weeks > 0.0 {
            0.5f64.powf((s - self.duration_weeks) / self.half_life_weeks)
        } else {
            0.0
        }
    }
}

/// Everything about intercurrent events in a scenario.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Intercurrent {
    pub therapy: StandardTherapy,
    pub concomitants: Vec<Concomitant>,
    pub strategy: Strategy,
    /// Follow-up ends here (at or after the primary visit).
    pub follow_up_weeks: f64,
}

/// Most concomitant therapies a scenario may list.
pub const MAX_CONCOMITANT: usize = 8;
