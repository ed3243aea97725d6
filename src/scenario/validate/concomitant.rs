//! `[[concomitant]]`: concomitant and rescue therapies, each with its trigger,
//! probability of use per arm, effect, timing and source.
//!
//! Timing is checked against the visits and the end of follow-up, which
//! `[design]` sets.

use super::Checker;
use crate::design::Arms;
use crate::scenario::intercurrent::{Concomitant, MAX_CONCOMITANT, RawConcomitant, Trigger};
use crate::scenario::{MAX_WEEKS, ScenarioError};

/// Checks the `[[concomitant]]` tables; `responder_threshold` is the default
/// improvement a non-responder lacks.
///
/// # Errors
/// More than [`MAX_CONCOMITANT`] therapies, or each bad therapy's first bad
/// key (a name missing or used twice, or a value).
pub fn validate(
    root: &Checker,
    raw: Vec<RawConcomitant>,
    visits_weeks: &[f64],
    follow_up_weeks: f64,
    responder_threshold: Option<f64>,
) -> Result<Vec<Concomitant>, Vec<ScenarioError>> {
    if raw.len() > MAX_CONCOMITANT {
        return Err(vec![root.bad(
            "concomitant",
            format!(
                "{} therapies: at most {MAX_CONCOMITANT} are allowed",
                raw.len()
            ),
        )]);
    }
    let timing = Timing {
        visits_weeks,
        follow_up_weeks,
        responder_threshold,
    };
    let names: Vec<String> = raw.iter().map(|c| c.name.trim().to_string()).collect();
    let mut errors = Vec::new();
    let mut therapies = Vec::with_capacity(raw.len());
    for (i, c) in raw.into_iter().enumerate() {
        let checker = root.at(&format!("concomitant[{i}]"));
        let checked = name(&checker, &names, i).and_then(|()| concomitant(&checker, c, &timing));
        match checked {
            Ok(therapy) => therapies.push(therapy),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(therapies)
    } else {
        Err(errors)
    }
}

/// Therapy `i`'s name: present, and not another therapy's (its figures are
/// reported under it).
fn name(checker: &Checker, names: &[String], i: usize) -> Result<(), ScenarioError> {
    let name = &names[i];
    if name.is_empty() {
        return Err(checker.bad(
            "name",
            "is empty: name the therapy (its figures are reported under this name)",
        ));
    }
    if let Some(j) = names[..i].iter().position(|other| other == name) {
        return Err(checker.bad(
            "name",
            format!(
                "`{name}` is also the name of concomitant[{j}]: each therapy needs its own name, or its figures would overwrite the other's"
            ),
        ));
    }
    Ok(())
}

/// What a therapy's timing is checked against.
struct Timing<'a> {
    visits_weeks: &'a [f64],
    follow_up_weeks: f64,
    responder_threshold: Option<f64>,
}

/// One therapy; `checker` is at `concomitant[i]`.
fn concomitant(
    checker: &Checker,
    c: RawConcomitant,
    timing: &Timing<'_>,
) -> Result<Concomitant, ScenarioError> {
    const PROBABILITY: (f64, f64) = (0.0, 1.0);
    let probability = match c.probability {
        None => Arms::both(1.0),
        Some(raw) => checker.per_arm("probability", &raw, PROBABILITY, "a probability")?,
    };
    if !c.effect.is_finite() {
        return Err(checker.bad(
            "effect",
            "give a finite number (scale units; negative improves)",
        ));
    }
    checker.finite("effect", c.effect)?;
    let effect_sd = checker.non_negative("effect_sd", c.effect_sd.unwrap_or(0.0), "an SD")?;
    let start_week = c.start_week.unwrap_or(0.0);
    let last = timing.follow_up_weeks;
    if !(start_week.is_finite() && start_week >= 0.0 && start_week <= last) {
        return Err(checker.bad(
            "start_week",
            format!(
                "{start_week} is not allowed: it must lie from week 0 to the end of follow-up (week {last})"
            ),
        ));
    }
    let before_primary = &timing.visits_weeks[..timing.visits_weeks.len() - 1];
    if c.trigger == Trigger::Nonresponse && !before_primary.contains(&start_week) {
        return Err(checker.bad(
            "start_week",
            format!(
                "{start_week} is not allowed: non-response is assessed at a visit before the primary one; choose one of {before_primary:?}"
            ),
        ));
    }
    let duration_weeks = c.duration_weeks.unwrap_or(f64::INFINITY);
    let half_life_weeks = c.half_life_weeks.unwrap_or(0.0);
    if duration_weeks.is_nan() || duration_weeks <= 0.0 {
        return Err(checker.bad(
            "duration_weeks",
            format!("{duration_weeks} is not allowed: the effect must last above 0 weeks"),
        ));
    }
    if c.duration_weeks.is_some() && duration_weeks > MAX_WEEKS {
        return Err(checker.bad(
            "duration_weeks",
            format!(
                "{duration_weeks} is not allowed: at most {MAX_WEEKS} weeks (leave it out for an effect that lasts to the end of follow-up)"
            ),
        ));
    }
    if !(half_life_weeks.is_finite() && (0.0..=MAX_WEEKS).contains(&half_life_weeks)) {
        return Err(checker.bad(
            "half_life_weeks",
            format!(
                "{half_life_weeks} is not allowed: 0 (the effect stops at once) up to {MAX_WEEKS} weeks"
            ),
        ));
    }
    if let Some(needed) = c.improvement_needed {
        checker.finite("improvement_needed", needed)?;
    }
    if c.source.trim().is_empty() {
        return Err(checker.bad(
            "source",
            "is empty: cite the therapy's effect and use, or say they are assumptions",
        ));
    }
    Ok(Concomitant {
        name: c.name,
        trigger: c.trigger,
        probability,
        effect: c.effect,
        effect_sd,
        start_week,
        duration_weeks,
        half_life_weeks,
        // Not improved: a fall below this (default: the responder
        // threshold; without one, no fall at all).
        improvement_needed: c
            .improvement_needed
            .or(timing.responder_threshold)
            .unwrap_or(f64::MIN_POSITIVE),
        source: c.source,
    })
}
