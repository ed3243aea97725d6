//! `[[stratum]]`: the diseases or subgroups of a pooled trial, each with its
//! own scale, population and MSC effect, and shares that add up to 1.
//!
//! How strata fit the analysis, the sample sizes and the other tables is in
//! [`super::rules`].

use super::population::resolve;
use super::{Checker, Citations};
use crate::scenario::raw::RawStratum;
use crate::scenario::{MAX_STRATA, ScenarioError, Stratum};

/// Checks the `[[stratum]]` tables (none: an unstratified scenario).
///
/// # Errors
/// More than [`MAX_STRATA`] strata, a bad stratum, or shares that do not add up to 1.
pub(super) fn validate(
    root: &Checker,
    raw: &[RawStratum],
    citations: &mut Citations,
) -> Result<Vec<Stratum>, ScenarioError> {
    if raw.is_empty() {
        return Ok(Vec::new());
    }
    if raw.len() > MAX_STRATA {
        return Err(root.bad(
            "stratum",
            format!("{} strata: at most {MAX_STRATA} are allowed", raw.len()),
        ));
    }
    let strata = raw
        .iter()
        .enumerate()
        .map(|(i, r)| stratum(&root.at(&format!("stratum[{i}]")), i, r, citations))
        .collect::<Result<Vec<_>, _>>()?;
    let total: f64 = strata.iter().map(|s| s.share).sum();
    if (total - 1.0).abs() > 1e-6 {
        return Err(root.bad(
            "stratum",
            format!("the shares add up to {total}; they must add up to 1"),
        ));
    }
    Ok(strata)
}

/// One stratum, the `i`-th; `checker` is at `stratum[i]`.
fn stratum(
    checker: &Checker,
    i: usize,
    r: &RawStratum,
    citations: &mut Citations,
) -> Result<Stratum, ScenarioError> {
    checker.above_zero_at_most("share", r.share, 1.0, "a stratum's share of patients")?;
    let resolved = resolve(checker, checker, r.kind, &r.population())?;
    if resolved.population.change_sd <= 0.0 {
        return Err(checker.bad(
            "change_sd",
            "must be above 0: the pooled analysis measures effects in SDs of change",
        ));
    }
    if let Some(p) = &resolved.preset {
        citations.preset(p);
    }
    let (effect, effect_source) = match (r.effect, &r.source, &resolved.preset) {
        (Some(e), Some(src), _) if !src.trim().is_empty() => (e, src.trim().to_string()),
        (Some(_), _, _) => {
            return Err(checker.bad(
                "source",
                "missing: cite the stratum's effect (authors, journal, year) or say why it is assumed",
            ));
        }
        (None, _, Some(p)) => (p.prior_mean, p.prior_source.clone()),
        (None, _, None) => {
            return Err(checker.bad(
                "effect",
                "missing: set the stratum's MSC effect (scale units) with its source, or its disease for the preset prior",
            ));
        }
    };
    checker.finite("effect", effect)?;
    let name = r.name.clone().unwrap_or_else(|| match r.disease {
        Some(d) => d.to_string(),
        None => format!("stratum{i}"),
    });
    Ok(Stratum {
        name,
        share: r.share,
        scale: resolved.scale,
        population: resolved.population,
        effect,
        effect_source,
    })
}
