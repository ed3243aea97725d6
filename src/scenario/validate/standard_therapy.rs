//! `[standard_therapy]`: whether each arm keeps or withdraws its background
//! therapy, the flare hazards on, during and after the taper, and what a flare
//! does to the endpoint.
//!
//! Hazards are per week, constant or piecewise from week 0; any flare needs a
//! cited source.

use super::Checker;
use crate::design::{Arm, Arms};
use crate::intercurrent::hazard::Piecewise;
use crate::scenario::intercurrent::{Policy, RawHazard, RawStandardTherapy, StandardTherapy};
use crate::scenario::{DesignKind, MAX_WEEKS, ScenarioError};

/// Checks `[standard_therapy]` (all defaults when absent); `checker` is at
/// `standard_therapy`.
///
/// # Errors
/// Largest flare hazard per week: 10 flares a week on average is far past
/// any disease; a hazard above 1 is already suspect (a percentage typed as a
/// rate) and draws a warning.
pub const MAX_HAZARD: f64 = 10.0;
/// Largest MSC flare hazard ratio.
pub const MAX_HAZARD_RATIO: f64 = 100.0;
/// Largest SD of the log hazard ratio's prior (a factor of e^3 = 20 per SD).
pub const MAX_LOG_SD: f64 = 3.0;

/// The first bad key, in file order; a missing source when flares can happen.
pub fn validate(
    checker: &Checker,
    t: RawStandardTherapy,
    design: DesignKind,
) -> Result<StandardTherapy, ScenarioError> {
    let policy = t.policy.unwrap_or(Policy::Continue);
    let withdraws = withdraws(checker, policy, t.withdraw_arms.as_deref(), design)?;
    let withdraw_week = match (policy, t.withdraw_week) {
        (_, None) => 0.0,
        (Policy::Continue, Some(_)) => {
            return Err(checker.bad(
                "withdraw_week",
                "is only for policy = \"withdraw\"; with \"continue\" every arm keeps its standard therapy",
            ));
        }
        (Policy::Withdraw, Some(w)) => checker.within(
            "withdraw_week",
            w,
            (0.0, MAX_WEEKS),
            "the week withdrawal starts",
        )?,
    };
    let taper_weeks = checker.within(
        "taper_weeks",
        t.taper_weeks.unwrap_or(0.0),
        (0.0, MAX_WEEKS),
        "weeks of tapering",
    )?;
    let hazard_on = match &t.flare_hazard_on {
        Some(h) => hazard(checker, "flare_hazard_on", h)?,
        None => Piecewise::constant(0.0),
    };
    let hazard_off = match &t.flare_hazard_off {
        Some(h) => hazard(checker, "flare_hazard_off", h)?,
        None => hazard_on.clone(),
    };
    let hazard_taper = match &t.flare_hazard_taper {
        Some(h) => Some(hazard(checker, "flare_hazard_taper", h)?),
        None => None,
    };
    let msc_hazard_ratio = t.msc_flare_hazard_ratio.unwrap_or(1.0);
    if !(msc_hazard_ratio.is_finite() && msc_hazard_ratio > 0.0) {
        return Err(checker.bad(
            "msc_flare_hazard_ratio",
            format!("{msc_hazard_ratio} is not allowed: a hazard ratio must be above 0"),
        ));
    }
    checker.above_zero_at_most(
        "msc_flare_hazard_ratio",
        msc_hazard_ratio,
        MAX_HAZARD_RATIO,
        "a hazard ratio",
    )?;
    let msc_hazard_ratio_log_sd = checker.within(
        "msc_flare_hazard_ratio_log_sd",
        t.msc_flare_hazard_ratio_log_sd.unwrap_or(0.0),
        (0.0, MAX_LOG_SD),
        "the SD of the log hazard ratio",
    )?;
    let flare_effect = t.flare_effect.unwrap_or(0.0);
    if !flare_effect.is_finite() {
        return Err(checker.bad(
            "flare_effect",
            "give a finite number (scale units added per flare)",
        ));
    }
    checker.finite("flare_effect", flare_effect)?;
    let flare_effect_sd =
        checker.non_negative("flare_effect_sd", t.flare_effect_sd.unwrap_or(0.0), "an SD")?;
    let therapy = StandardTherapy {
        policy,
        withdraws,
        withdraw_week,
        taper_weeks,
        hazard_on,
        hazard_taper,
        hazard_off,
        msc_hazard_ratio,
        msc_hazard_ratio_log_sd,
        flare_effect,
        flare_effect_sd,
        source: t.source.unwrap_or_default(),
    };
    if (therapy.has_flares() || flare_effect != 0.0) && therapy.source.trim().is_empty() {
        return Err(checker.bad(
            "source",
            "missing: cite where the flare hazards and flare effect come from (authors, journal, year), or say they are assumptions",
        ));
    }
    Ok(therapy)
}

/// Whether each arm withdraws: `withdraw_arms` only with
/// `policy = "withdraw"`, whose default is every arm the design has.
fn withdraws(
    checker: &Checker,
    policy: Policy,
    arms: Option<&[Arm]>,
    design: DesignKind,
) -> Result<Arms<bool>, ScenarioError> {
    match (policy, arms) {
        (Policy::Continue, None) => Ok(Arms::both(false)),
        (Policy::Continue, Some(_)) => Err(checker.bad(
            "withdraw_arms",
            "is only for policy = \"withdraw\"; with \"continue\" every arm keeps its standard therapy",
        )),
        (Policy::Withdraw, None) => Ok(Arms {
            msc: true,
            control: design == DesignKind::Parallel,
        }),
        (Policy::Withdraw, Some([])) => Err(checker.bad(
            "withdraw_arms",
            "is empty: list \"msc\", \"control\" or both",
        )),
        (Policy::Withdraw, Some(list)) => {
            if design == DesignKind::SingleArm && list.contains(&Arm::Control) {
                return Err(checker.bad(
                    "withdraw_arms",
                    "a single-arm design has only the \"msc\" arm",
                ));
            }
            Ok(Arms::from_fn(|arm| list.contains(&arm)))
        }
    }
}

/// A hazard per week: constant, or pieces starting at week 0 with finite,
/// strictly increasing weeks and hazards of 0 or more.
fn hazard(checker: &Checker, key: &str, raw: &RawHazard) -> Result<Piecewise, ScenarioError> {
    let pieces = match raw {
        RawHazard::Constant(h) => vec![[0.0, *h]],
        RawHazard::Pieces(p) => p.clone(),
    };
    if pieces.is_empty() || pieces[0][0] != 0.0 {
        return Err(checker.bad(
            key,
            "the pieces must start at week 0: [[0, hazard], [from_week, hazard], ...]",
        ));
    }
    let mut previous = -1.0;
    for &[week, h] in &pieces {
        if week > MAX_WEEKS {
            return Err(checker.bad(
                key,
                format!("{week} is not allowed: piece weeks are at most {MAX_WEEKS}"),
            ));
        }
        if !(week.is_finite() && week > previous) {
            return Err(checker.bad(
                key,
                format!(
                    "{week} is not allowed: piece weeks must be finite and strictly increasing"
                ),
            ));
        }
        checker.non_negative(key, h, "a hazard per week")?;
        if h > MAX_HAZARD {
            return Err(checker.bad(
                key,
                format!(
                    "{h} is not allowed: a hazard per week must be 0 or more and at most {MAX_HAZARD} (a hazard is per week, not a percentage)"
                ),
            ));
        }
        previous = week;
    }
    Ok(Piecewise {
        starts: pieces.iter().map(|p| p[0]).collect(),
        rates: pieces.iter().map(|p| p[1]).collect(),
    })
}
