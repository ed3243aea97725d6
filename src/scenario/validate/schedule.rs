//! `[[infusion]]` and `effect.half_life_weeks`: the MSC arm's infusion
//! schedule and how each infusion's effect wanes.

use super::Checker;
use crate::scenario::raw::{RawEffect, RawInfusion};
use crate::scenario::{MAX_WEEKS, ScenarioError, Schedule};

/// Most infusions a schedule may list.
pub const MAX_INFUSIONS: usize = 32;
/// Largest dose, in cells per kg or cells.
pub const MAX_DOSE: f64 = 1e12;

/// Validates the schedule; `primary_week` is the primary visit's week (an
/// infusion after it cannot change the primary endpoint); `delay` whether
/// `[manufacturing]` delays the product (refused together, for now).
///
/// # Errors
/// A week or dose out of range, mixed dose units, a half-life without a
/// schedule or out of range.
pub fn validate(
    root: &Checker,
    raw: &[RawInfusion],
    effect: &RawEffect,
    primary_week: f64,
    delay: bool,
) -> Result<Option<Schedule>, ScenarioError> {
    if raw.is_empty() {
        if effect.half_life_weeks.is_some() {
            return Err(root.at("effect").bad(
                "half_life_weeks",
                "is for an [[infusion]] schedule: give the infusions, or remove it",
            ));
        }
        return Ok(None);
    }
    if raw.len() > MAX_INFUSIONS {
        return Err(root.bad(
            "infusion",
            format!("{} infusions listed: at most {MAX_INFUSIONS}", raw.len()),
        ));
    }
    if delay {
        return Err(root.bad(
            "infusion",
            "a schedule with manufacturing.vein_to_vein_weeks is not modelled yet: put the delay into the infusion weeks and remove vein_to_vein_weeks",
        ));
    }
    let per_kg = raw[0].cells_per_kg.is_some();
    let mut infusions = Vec::with_capacity(raw.len());
    for (i, inf) in raw.iter().enumerate() {
        let c = root.at(&format!("infusion[{i}]"));
        let week = inf.week.ok_or_else(|| {
            c.bad(
                "week",
                "missing: the week of the infusion (0 is randomisation)",
            )
        })?;
        if !(0.0..=primary_week).contains(&week) {
            return Err(c.bad(
                "week",
                format!("{week} is not allowed: an infusion comes from week 0 to the primary visit (week {primary_week}); a later one cannot change the primary endpoint"),
            ));
        }
        let route = inf.route.ok_or_else(|| {
            c.bad("route", "missing: intravenous, intranasal, lymph_node, intra_osseous, intra_articular or other")
        })?;
        let dose = match (inf.cells_per_kg, inf.cells) {
            (Some(_), Some(_)) => {
                return Err(c.bad("cells", "give cells_per_kg or cells, not both"));
            }
            (None, None) => {
                return Err(c.bad(
                    "cells_per_kg",
                    "missing: the dose, in cells per kg (or cells for a fixed dose)",
                ));
            }
            (Some(d), None) if per_kg => {
                c.above_zero_at_most("cells_per_kg", d, MAX_DOSE, "a dose")?
            }
            (None, Some(d)) if !per_kg => c.above_zero_at_most("cells", d, MAX_DOSE, "a dose")?,
            (Some(_), None) | (None, Some(_)) => {
                return Err(c.bad(
                    if per_kg { "cells" } else { "cells_per_kg" },
                    "every infusion gives its dose in the same unit (cells_per_kg or cells): convert with the child's weight",
                ));
            }
        };
        infusions.push((week, route, dose));
    }
    let half_life_weeks = effect
        .half_life_weeks
        .map(|h| {
            root.at("effect")
                .above_zero_at_most("half_life_weeks", h, MAX_WEEKS, "a half-life")
        })
        .transpose()?;
    let total: f64 = infusions.iter().map(|i| i.2).sum();
    let share_at_primary = infusions
        .iter()
        .map(|&(week, _, dose)| {
            let waned = half_life_weeks.map_or(1.0, |h| (-(primary_week - week) / h).exp2());
            dose / total * waned
        })
        .sum();
    Ok(Some(Schedule {
        infusions,
        half_life_weeks,
        share_at_primary,
    }))
}
