//! `[manufacturing]`: the MSC product's failure and its delay.

use super::Checker;
use crate::scenario::raw::{Product, RawDelay, RawManufacturing};
use crate::scenario::{Manufacturing, ScenarioError};

/// Largest `failure_probability`: some children must be infused.
pub const MAX_FAILURE: f64 = 0.9;
/// Largest SD of the delay, in weeks.
pub const MAX_DELAY_SD: f64 = 52.0;
/// Largest `failure_by_baseline` in size, per baseline SD.
pub const MAX_SLOPE: f64 = 5.0;

/// Validates `[manufacturing]`; `primary_week` is the primary visit's week,
/// before which the infusion must come; `scores` whether the endpoint is a
/// score in a parallel or single-arm trial without strata (the model so far).
///
/// # Errors
/// A missing product or source, a value out of range, or a design the model
/// does not cover.
pub fn validate(
    root: &Checker,
    raw: Option<&RawManufacturing>,
    primary_week: f64,
    scores: bool,
    selected: bool,
) -> Result<Option<Manufacturing>, ScenarioError> {
    let Some(m) = raw else {
        return Ok(None);
    };
    let c = root.at("manufacturing");
    if !scores {
        return Err(c.bad(
            "product",
            "[manufacturing] is modelled for score endpoints in parallel trials without strata, concomitant therapies, [estimand] or [dropout] so far ([standard_therapy] flares are): remove it",
        ));
    }
    let product = m.product.ok_or_else(|| {
        c.bad("product", "missing: \"autologous\" (the child's own cells: can fail, takes weeks) or \"allogeneic\" (from a donor)")
    })?;
    let autologous = product == Product::Autologous;
    let failure_probability = match (m.failure_probability, autologous) {
        (Some(p), _) => c.within(
            "failure_probability",
            p,
            (0.0, MAX_FAILURE),
            "the probability that a product cannot be made",
        )?,
        (None, false) => 0.0,
        (None, true) => {
            return Err(c.bad(
                "failure_probability",
                format!("missing: an autologous product can fail; give the probability (0 to {MAX_FAILURE})"),
            ));
        }
    };
    let failure_by_baseline = c.within(
        "failure_by_baseline",
        m.failure_by_baseline.unwrap_or(0.0),
        (-MAX_SLOPE, MAX_SLOPE),
        "the probit slope of failure per baseline SD",
    )?;
    if selected && failure_by_baseline != 0.0 {
        return Err(c.bad(
            "failure_by_baseline",
            "with design.enroll_above the enrolled baselines are truncated, and the failure share would not be failure_probability: set it to 0 or remove enroll_above",
        ));
    }
    let (vein_to_vein_weeks, vein_to_vein_sd) = match (m.vein_to_vein_weeks, autologous) {
        (Some(RawDelay::Fixed(w)), _) => (w, 0.0),
        (Some(RawDelay::Spread(d)), _) => {
            let sd = c.within(
                "vein_to_vein_weeks.sd",
                d.sd,
                (0.0, MAX_DELAY_SD),
                "the SD of the delay in weeks",
            )?;
            if d.mean <= 0.0 && sd > 0.0 {
                return Err(c.bad(
                    "vein_to_vein_weeks.mean",
                    "a delay that varies needs a mean above 0",
                ));
            }
            (d.mean, sd)
        }
        (None, false) => (0.0, 0.0),
        (None, true) => {
            return Err(c.bad(
                "vein_to_vein_weeks",
                "missing: weeks from randomisation (the cell harvest) to infusion of an autologous product",
            ));
        }
    };
    if !(vein_to_vein_weeks >= 0.0 && vein_to_vein_weeks < primary_week) {
        return Err(c.bad(
            "vein_to_vein_weeks",
            format!("{vein_to_vein_weeks} is not allowed: the infusion must come from week 0 to before the primary visit (week {primary_week})"),
        ));
    }
    let source = c.source(
        m.source.as_deref(),
        "missing: cite the failure and delay figures, or say they are assumptions",
    )?;
    Ok(Some(Manufacturing {
        product,
        failure_probability,
        failure_by_baseline,
        vein_to_vein_weeks,
        vein_to_vein_sd,
        source,
    }))
}
