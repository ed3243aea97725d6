//! `[effect]`: the MSC effect, from the file, an evidence row, the disease
//! prior, or (in a pooled trial) the strata's effects in SD units.
//!
//! Whatever the source, the effect must cite one: a power figure without its
//! assumption's origin is not worth printing.

use super::{Checker, Citations};
use crate::scenario::preset::Preset;
use crate::scenario::raw::RawEffect;
use crate::scenario::{Effect, ScenarioError, Stratum};

/// Checks `[effect]`; `strata` are the validated strata (empty when unstratified).
///
/// # Errors
/// Both `mean` and `from`, an unknown evidence row, no effect and no preset
/// prior, a non-finite mean, a negative SD, a share outside (0, 1] or no source.
pub(super) fn validate(
    root: &Checker,
    e: &RawEffect,
    strata: &[Stratum],
    preset: Option<&Preset>,
    citations: &mut Citations,
) -> Result<Effect, ScenarioError> {
    let checker = root.at("effect");
    let (mean, default_sd, default_source) = if strata.is_empty() {
        unstratified(&checker, e, preset, citations)?
    } else {
        (pooled_mean(strata), 0.0, Some(pooled_source(strata)))
    };
    checker.finite("mean", mean)?;
    let sd = checker.non_negative("sd", e.sd.unwrap_or(default_sd), "a standard deviation")?;
    let responder_share = checker.above_zero_at_most(
        "responder_share",
        e.responder_share.unwrap_or(1.0),
        1.0,
        "the share of patients MSC works in",
    )?;
    let source = e.source.clone().or(default_source).unwrap_or_default();
    if source.trim().is_empty() {
        return Err(checker.bad(
            "source",
            "missing or empty: cite where the effect size comes from (authors, journal, year), or say it is an assumption and why",
        ));
    }
    Ok(Effect {
        mean,
        sd,
        responder_share,
        source: source.trim().to_string(),
        from: e.from.clone().filter(|_| strata.is_empty()),
    })
}

/// The mean, default SD and default source of an unstratified effect:
/// `mean` as written, the value of the evidence row `from`, or the preset prior.
fn unstratified(
    checker: &Checker,
    e: &RawEffect,
    preset: Option<&Preset>,
    citations: &mut Citations,
) -> Result<(f64, f64, Option<String>), ScenarioError> {
    match (e.mean, e.from.as_deref()) {
        (Some(_), Some(_)) => Err(checker.bad(
            "from",
            "set either effect.mean or effect.from (an evidence row id), not both",
        )),
        (None, Some(id)) => {
            let row = crate::evidence::row(id).ok_or_else(|| {
                checker.bad(
                    "from",
                    format!("`{id}` is not an evidence row id; `trialsim evidence` lists them"),
                )
            })?;
            citations.evidence.push(row.id.clone());
            Ok((
                row.value,
                0.0,
                Some(format!("evidence row {}: {}", row.id, row.citation)),
            ))
        }
        (Some(m), None) => Ok((m, 0.0, None)),
        (None, None) => match preset {
            Some(p) => {
                citations.notes.push(format!(
                    "effect: the {} prior Normal({}, {}); power is at the prior mean, assurance averages power over the prior",
                    p.disease, p.prior_mean, p.prior_sd
                ));
                Ok((p.prior_mean, p.prior_sd, Some(p.prior_source.clone())))
            }
            None => Err(checker.bad(
                "mean",
                "missing: set effect.mean with effect.source, or effect.from = \"<evidence row id>\", or population.disease to use the disease's prior",
            )),
        },
    }
}

/// The pooled effect in SD units of change: the strata's effects weighted by share.
fn pooled_mean(strata: &[Stratum]) -> f64 {
    strata
        .iter()
        .map(|s| s.share * s.effect / s.population.change_sd)
        .sum()
}

/// Each stratum's source, named: `sle: ...; jia: ...`.
fn pooled_source(strata: &[Stratum]) -> String {
    strata
        .iter()
        .map(|s| format!("{}: {}", s.name, s.effect_source))
        .collect::<Vec<_>>()
        .join("; ")
}
