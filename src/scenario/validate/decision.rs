//! `[decision]` and `[prior]`: a significance test (the default) or a
//! posterior-probability rule with a vague, normal or robust-mixture prior on
//! the MSC effect (issue 12's first rule).

use super::Checker;
use crate::analysis::registry::properties;
use crate::scenario::raw::{PriorKind, RawDecision, RawPrior};
use crate::scenario::{AnalysisKind, DecisionRule, DecisionSpec, ScenarioError};

/// The vague component's default SD (scale units): flat over any clinical scale.
pub const DEFAULT_VAGUE_SD: f64 = 1e4;

/// Checks `[decision]` and `[prior]` against the analysis.
///
/// # Errors
/// A prior or threshold without the posterior rule; a posterior rule with an
/// analysis that gives no estimate and SE; a threshold outside (0, 1); a
/// prior missing its mean, SD, weight or source, or with values out of range.
pub fn validate(
    root: &Checker,
    decision: Option<&RawDecision>,
    prior: Option<&RawPrior>,
    analysis: AnalysisKind,
) -> Result<DecisionSpec, ScenarioError> {
    let d = root.at("decision");
    let rule = decision
        .and_then(|d| d.rule)
        .unwrap_or(DecisionRule::Frequentist);
    if rule == DecisionRule::Frequentist {
        if decision.and_then(|d| d.threshold).is_some() {
            return Err(d.bad(
                "threshold",
                "is for rule = \"posterior\"; a frequentist trial succeeds at design.alpha",
            ));
        }
        if prior.is_some() {
            return Err(root.bad(
                "prior",
                "is for decision.rule = \"posterior\": remove it or set the rule",
            ));
        }
        return Ok(DecisionSpec::frequentist());
    }
    if !properties(analysis).t_based {
        return Err(d.bad(
            "rule",
            format!("\"posterior\" combines the prior with the analysis's estimate and standard error (a normal approximation); `{analysis}` gives none: use welch_t, ancova or stratified_ancova"),
        ));
    }
    let threshold = decision.and_then(|d| d.threshold).unwrap_or(0.975);
    if !(threshold > 0.0 && threshold < 1.0) {
        return Err(d.bad(
            "threshold",
            format!(
                "{threshold} is not allowed: a probability of benefit lies above 0 and below 1"
            ),
        ));
    }
    let p = root.at("prior");
    let empty = RawPrior::default();
    let raw = prior.unwrap_or(&empty);
    let vague_sd = p.non_negative(
        "vague_sd",
        raw.vague_sd.unwrap_or(DEFAULT_VAGUE_SD),
        "an SD",
    )?;
    if vague_sd == 0.0 {
        return Err(p.bad("vague_sd", "must be above 0"));
    }
    let kind = raw.kind.unwrap_or(PriorKind::Vague);
    let informative = |p: &Checker| -> Result<(f64, f64), ScenarioError> {
        let mean = p.finite(
            "mean",
            raw.mean.ok_or_else(|| {
                p.bad(
                    "mean",
                    "missing: the informative part's mean effect (analysis scale)",
                )
            })?,
        )?;
        let sd = p.non_negative(
            "sd",
            raw.sd
                .ok_or_else(|| p.bad("sd", "missing: the informative part's SD"))?,
            "an SD",
        )?;
        if sd == 0.0 {
            return Err(p.bad("sd", "must be above 0"));
        }
        Ok((mean, sd))
    };
    let components = match kind {
        PriorKind::Vague => vec![(1.0, 0.0, vague_sd)],
        PriorKind::Normal => {
            let (mean, sd) = informative(&p)?;
            vec![(1.0, mean, sd)]
        }
        PriorKind::RobustMixture => {
            let (mean, sd) = informative(&p)?;
            let w = raw.weight.ok_or_else(|| {
                p.bad(
                    "weight",
                    "missing: the weight on the informative part, from 0 to 1",
                )
            })?;
            let w = p.within("weight", w, (0.0, 1.0), "a weight")?;
            vec![(w, mean, sd), (1.0 - w, 0.0, vague_sd)]
        }
    };
    let source = raw.source.clone().unwrap_or_default();
    if kind != PriorKind::Vague && source.trim().is_empty() {
        return Err(p.bad(
            "source",
            "missing: cite the evidence the prior is built from, or say it is an assumption",
        ));
    }
    Ok(DecisionSpec {
        rule,
        threshold: Some(threshold),
        prior: components,
        prior_source: source.trim().to_string(),
    })
}
