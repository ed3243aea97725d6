//! `[safety]`: infusions per child, each adverse event's rate, and the
//! stopping rule.

use super::{Checker, Errors};
use crate::scenario::ScenarioError;
use crate::scenario::safety::{
    Event, MAX_EVENTS, MAX_INFUSIONS, MAX_RATE, Per, RawSafety, RawStopping, Safety, StopRule,
    Stopping,
};

/// Validates `[safety]` (`root` is the file's root checker).
///
/// # Errors
/// Every event's first bad key, then the stopping rule's.
pub fn validate(
    root: &Checker,
    raw: Option<&RawSafety>,
) -> Result<Option<Safety>, Vec<ScenarioError>> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    let c = root.at("safety");
    let mut errors = Errors::default();
    let infusions = raw.infusions.unwrap_or(1);
    if !(1..=MAX_INFUSIONS).contains(&infusions) {
        errors.0.push(c.bad(
            "infusions",
            format!("{infusions} is not allowed: infusions per child must be an integer from 1 to {MAX_INFUSIONS}"),
        ));
    }
    if raw.event.is_empty() || raw.event.len() > MAX_EVENTS {
        errors.0.push(c.bad(
            "event",
            format!(
                "{} events listed: give 1 to {MAX_EVENTS} [[safety.event]] tables",
                raw.event.len()
            ),
        ));
    }
    let mut events = Vec::new();
    for (i, e) in raw.event.iter().enumerate() {
        let at = c.at(&format!("event[{i}]"));
        if let Some(event) = errors.take(event(&at, e)) {
            events.push(event);
        }
    }
    let mut names: Vec<&str> = events.iter().map(|e| e.name.as_str()).collect();
    names.sort_unstable();
    if names.windows(2).any(|w| w[0] == w[1]) {
        errors
            .0
            .push(c.bad("event", "two events share a name: give each its own"));
    }
    let stopping = match &raw.stopping {
        None => None,
        Some(s) => errors.take(stopping(&c.at("stopping"), s)),
    };
    if raw.stopping.is_some() && !events.iter().any(|e| e.serious) && errors.0.is_empty() {
        errors.0.push(c.bad(
            "stopping",
            "the stopping rule watches serious events, and no event has serious = true",
        ));
    }
    if errors.0.is_empty() {
        Ok(Some(Safety {
            infusions: infusions as u32,
            events,
            stopping: stopping.flatten(),
        }))
    } else {
        Err(errors.0)
    }
}

fn event(c: &Checker, e: &crate::scenario::safety::RawEvent) -> Result<Event, ScenarioError> {
    let name = e.name.trim().to_string();
    if name.is_empty()
        || !name
            .chars()
            .all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-')
    {
        return Err(c.bad(
            "name",
            format!(
                "`{}` is not allowed: use letters, digits, '_' and '-' (it names output columns)",
                e.name
            ),
        ));
    }
    if name.starts_with("mc_se") {
        // `safety_any_mc_se_<name>` columns would collide with another event's.
        return Err(c.bad(
            "name",
            format!("`{name}` is not allowed: names starting with mc_se are kept for the Monte Carlo SE columns"),
        ));
    }
    let per = e.per.ok_or_else(|| {
        c.bad("per", "missing: \"infusion\" (a rate per infusion) or \"patient_year\" (per child-year of follow-up)")
    })?;
    let what = match per {
        Per::Infusion => "expected events per infusion",
        Per::PatientYear => "expected events per child-year",
    };
    let rate = match &e.rate {
        None => {
            return Err(c.bad(
                "rate",
                format!("missing: give the {what}, or a table {{ msc = ..., control = ... }}"),
            ));
        }
        Some(raw) => c.per_arm("rate", raw, (0.0, MAX_RATE), what)?,
    };
    let source = c.source(
        e.source.as_deref(),
        "missing: cite the rate, or say it is an assumption",
    )?;
    Ok(Event {
        name,
        per,
        rate,
        serious: e.serious.unwrap_or(false),
        source,
    })
}

fn stopping(c: &Checker, s: &RawStopping) -> Result<Option<Stopping>, ScenarioError> {
    let rule = s.rule.ok_or_else(|| {
        c.bad("rule", "missing: \"count\" (stop at a number of MSC children with a serious event) or \"beta_binomial\" (a Bayesian monitor)")
    })?;
    let unused = |key: &str, given: bool| -> Result<(), ScenarioError> {
        if given {
            Err(c.bad(
                key,
                format!(
                    "is not used by rule = \"{}\": remove it",
                    match rule {
                        StopRule::Count => "count",
                        StopRule::BetaBinomial => "beta_binomial",
                    }
                ),
            ))
        } else {
            Ok(())
        }
    };
    match rule {
        StopRule::Count => {
            unused("prior", s.prior.is_some())?;
            unused("limit", s.limit.is_some())?;
            unused("probability", s.probability.is_some())?;
            let k = s.serious_children.ok_or_else(|| {
                c.bad("serious_children", "missing: the number of MSC children with a serious event that stops the trial (1 to 10,000)")
            })?;
            if !(1..=10_000).contains(&k) {
                return Err(c.bad(
                    "serious_children",
                    format!("{k} is not allowed: an integer from 1 to 10,000"),
                ));
            }
            Ok(Some(Stopping::Count {
                serious_children: k as u32,
            }))
        }
        StopRule::BetaBinomial => {
            unused("serious_children", s.serious_children.is_some())?;
            let [a, b] = match s.prior.as_deref() {
                None => [1.0, 1.0],
                Some(&[a, b]) => [a, b],
                Some(other) => {
                    return Err(c.bad(
                        "prior",
                        format!("{} numbers given: the Beta prior is [a, b]", other.len()),
                    ));
                }
            };
            c.above_zero_at_most("prior", a, 1000.0, "each Beta prior parameter")?;
            c.above_zero_at_most("prior", b, 1000.0, "each Beta prior parameter")?;
            let limit = s.limit.ok_or_else(|| {
                c.bad("limit", "missing: the share of MSC children with a serious event that is unacceptable (above 0, below 1)")
            })?;
            let probability = s.probability.unwrap_or(0.9);
            for (key, v) in [("limit", limit), ("probability", probability)] {
                if !(v > 0.0 && v < 1.0) {
                    return Err(c.bad(
                        key,
                        format!("{v} is not allowed: it lies above 0 and below 1"),
                    ));
                }
            }
            Ok(Some(Stopping::BetaBinomial {
                a,
                b,
                limit,
                probability,
            }))
        }
    }
}
