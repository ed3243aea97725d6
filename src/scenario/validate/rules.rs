//! The rules that join two tables, one function each, named for the rule.
//!
//! Each takes the top-level [`Checker`] and the already validated values it
//! needs, and names the key the user should change. [`super::validate`]
//! decides when each runs.

use super::Checker;
use crate::analysis::registry::properties;
use crate::cohort::scale::enrolment_share;
use crate::design::stratum_sizes;
use crate::intercurrent::hazard::Piecewise;
use crate::scenario::intercurrent::{StandardTherapy, Strategy};
use crate::scenario::raw::{RawEndpoint, RawPopulation};
use crate::scenario::{AnalysisKind, DesignKind, Population, Scale, ScenarioError, Stratum};

/// Fisher's exact test counts responders, so it needs `endpoint.responder_threshold`.
pub fn fisher_needs_threshold(
    root: &Checker,
    analysis: AnalysisKind,
    responder_threshold: Option<f64>,
) -> Result<(), ScenarioError> {
    if properties(analysis).responder && responder_threshold.is_none() {
        return Err(root.bad(
            "endpoint.responder_threshold",
            format!("missing: analysis = \"{analysis}\" needs the improvement from baseline that counts as a response (e.g. 4 for an SRI-4-like SLEDAI-2K response)"),
        ));
    }
    Ok(())
}

/// `stratified_ancova` needs `[[stratum]]` tables.
pub fn stratified_ancova_needs_strata(
    root: &Checker,
    analysis: AnalysisKind,
    strata_given: bool,
) -> Result<(), ScenarioError> {
    if !strata_given && properties(analysis).stratified {
        return Err(root.bad(
            "design.analysis",
            format!("\"{analysis}\" needs [[stratum]] tables (one per disease or subgroup)"),
        ));
    }
    Ok(())
}

/// `[[stratum]]` tables are analysed with `stratified_ancova` and nothing else.
pub fn strata_need_stratified_ancova(
    root: &Checker,
    analysis: AnalysisKind,
    strata_given: bool,
) -> Result<(), ScenarioError> {
    if strata_given && !properties(analysis).stratified {
        return Err(root.bad(
            "design.analysis",
            format!(
                "`{analysis}` does not use strata: a scenario with [[stratum]] tables is analysed with \"stratified_ancova\""
            ),
        ));
    }
    Ok(())
}

/// Every stratum holds at least 2 patients per arm at every `design.n_per_arm`.
pub fn strata_hold_two_per_arm(
    root: &Checker,
    strata: &[Stratum],
    n_per_arm: &[usize],
) -> Result<(), ScenarioError> {
    for &n in n_per_arm {
        for (i, size) in stratum_sizes(strata, n).into_iter().enumerate() {
            if size < 2 {
                return Err(root.bad(
                    &format!("stratum[{i}].share"),
                    format!(
                        "with n_per_arm = {n} this stratum has {size} patients per arm; it needs at least 2"
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// A stratified scenario takes its endpoint and population from each
/// stratum, so `[endpoint] kind` and the `[population]` keys must be absent.
pub fn strata_exclude_population_keys(
    root: &Checker,
    endpoint: &RawEndpoint,
    population: &RawPopulation,
    strata_given: bool,
) -> Result<(), ScenarioError> {
    if strata_given && (endpoint.kind.is_some() || *population != RawPopulation::default()) {
        return Err(root.bad(
            "stratum",
            "a stratified scenario takes its endpoint and population from each [[stratum]]: remove [endpoint] kind and the [population] keys",
        ));
    }
    Ok(())
}

/// Strata are randomised 1:1, so `design.allocation` is not allowed with them.
pub fn allocation_not_with_strata(
    root: &Checker,
    allocation: Option<f64>,
    strata_given: bool,
) -> Result<(), ScenarioError> {
    if strata_given && allocation.is_some() {
        return Err(root.bad(
            "design.allocation",
            "is not supported with [[stratum]] tables yet (each stratum is randomised 1:1): remove it",
        ));
    }
    Ok(())
}

/// An analysis that holds every MSC-control pair (Wilcoxon's Hodges-Lehmann
/// estimate) holds at most its registered number of them.
pub fn wilcoxon_pair_cap(
    root: &Checker,
    analysis: AnalysisKind,
    n_per_arm: &[usize],
    allocation: f64,
) -> Result<(), ScenarioError> {
    let Some(cap) = properties(analysis).max_pairs else {
        return Ok(());
    };
    for &n in n_per_arm {
        let (m, c) = ((allocation * n as f64).round(), n as f64);
        if m * c > cap {
            return Err(root.bad(
                "design.n_per_arm",
                format!(
                    "{n} is too large for \"{analysis}\": its Hodges-Lehmann estimate holds every MSC-control pair ({} here, at most {cap}); use fewer patients or welch_t / ancova",
                    m * c
                ),
            ));
        }
    }
    Ok(())
}

/// Strata have different scales, so one `design.enroll_above` cannot apply to them.
pub fn enroll_above_not_with_strata(
    root: &Checker,
    enroll_above: Option<f64>,
    strata_given: bool,
) -> Result<(), ScenarioError> {
    if strata_given && enroll_above.is_some() {
        return Err(root.bad(
            "design.enroll_above",
            "is not supported with [[stratum]] tables, whose scales differ: remove it",
        ));
    }
    Ok(())
}

/// `design.enroll_above` lies on the endpoint scale, below its maximum.
pub fn enroll_above_within_scale(
    root: &Checker,
    enroll_above: f64,
    scale: &Scale,
) -> Result<(), ScenarioError> {
    let (c, lo, hi) = (enroll_above, scale.min, scale.max);
    if !(c.is_finite() && c >= lo && c < hi) {
        return Err(root.bad(
            "design.enroll_above",
            format!(
                "{c} is outside the {} scale: patients are enrolled when their measured baseline exceeds it, so it must lie from {lo} up to (not including) {hi}",
                scale.kind
            ),
        ));
    }
    Ok(())
}

/// `design.enroll_above` leaves at least a millionth of the population eligible.
pub fn enroll_above_admits_patients(
    root: &Checker,
    enroll_above: f64,
    scale: &Scale,
    population: &Population,
) -> Result<(), ScenarioError> {
    let (mean, sd) = (population.baseline_mean, population.baseline_sd);
    let share = enrolment_share(scale, mean, sd, enroll_above);
    if share < 1e-6 {
        return Err(root.bad(
            "design.enroll_above",
            format!(
                "{enroll_above} is not allowed: almost no patient (share {share:.1e}) has a baseline above it with baseline_mean {mean} and baseline_sd {sd}"
            ),
        ));
    }
    Ok(())
}

/// `design.reported_improvement` describes a case series, so only a single arm has one.
pub fn reported_improvement_only_single_arm(
    root: &Checker,
    design: DesignKind,
) -> Result<(), ScenarioError> {
    if design != DesignKind::SingleArm {
        return Err(root.bad(
            "design.reported_improvement",
            "is for design.kind = \"single_arm\": it is the improvement a case series reported",
        ));
    }
    Ok(())
}

/// `design.reported_improvement` is above 0 and at most the width of the endpoint scale.
pub fn reported_improvement_within_scale(
    root: &Checker,
    reported: f64,
    scale: &Scale,
) -> Result<(), ScenarioError> {
    let r = reported;
    if !(r.is_finite() && r > 0.0 && r <= scale.range()) {
        return Err(root.bad(
            "design.reported_improvement",
            format!(
                "{r} is not allowed: the reported mean fall must be above 0 and at most {} (the width of the {} scale)",
                scale.range(),
                scale.kind
            ),
        ));
    }
    Ok(())
}

/// A stratified scenario sets the MSC effect per stratum, so `[effect]` has
/// no `mean`, `from` or `sd`.
pub fn effect_not_with_strata(
    root: &Checker,
    effect: &crate::scenario::raw::RawEffect,
    strata_given: bool,
) -> Result<(), ScenarioError> {
    if strata_given && (effect.mean.is_some() || effect.from.is_some() || effect.sd.is_some()) {
        return Err(root.bad(
            "effect",
            "a stratified scenario sets the MSC effect per stratum (stratum effect and source): remove [effect]",
        ));
    }
    Ok(())
}

/// Intercurrent events are not modelled in pooled (stratified) trials.
pub fn intercurrent_not_with_strata(
    root: &Checker,
    strata_given: bool,
) -> Result<(), ScenarioError> {
    if strata_given {
        return Err(root.bad(
            "standard_therapy",
            "intercurrent events are not supported in pooled ([[stratum]]) trials yet: remove [standard_therapy], [[concomitant]] and [estimand]",
        ));
    }
    Ok(())
}

/// Dropout is not modelled in pooled (stratified) trials.
pub fn dropout_not_with_strata(root: &Checker, strata_given: bool) -> Result<(), ScenarioError> {
    if strata_given {
        return Err(root.bad(
            "dropout",
            "dropout is not supported in pooled ([[stratum]]) trials yet: remove [dropout]",
        ));
    }
    Ok(())
}

/// The composite strategy turns rescue or flare into non-response, so it
/// needs the responder analysis.
pub fn composite_needs_fisher(
    root: &Checker,
    strategy: Strategy,
    analysis: AnalysisKind,
) -> Result<(), ScenarioError> {
    if strategy == Strategy::Composite && !properties(analysis).responder {
        return Err(root.bad(
            "estimand.strategy",
            "\"composite\" counts rescue or flare as non-response, so it needs analysis = \"fisher_responder\"; with a continuous analysis choose treatment_policy, hypothetical or while_on_treatment",
        ));
    }
    Ok(())
}

/// The hypothetical strategy pools imputations by Rubin's rules, so it needs
/// a t-based analysis (Welch or ANCOVA).
pub fn hypothetical_needs_t_analysis(
    root: &Checker,
    strategy: Strategy,
    analysis: AnalysisKind,
) -> Result<(), ScenarioError> {
    if strategy == Strategy::Hypothetical && !properties(analysis).t_based {
        return Err(root.bad(
            "estimand.strategy",
            "\"hypothetical\" multiply imputes values after concomitant therapy and combines the analyses by Rubin's rules, which needs a t-based analysis: use analysis = \"welch_t\" or \"ancova\"",
        ));
    }
    Ok(())
}

/// A single-arm series has no control arm to compare strategies against,
/// so it supports only the treatment-policy estimand.
pub fn single_arm_only_treatment_policy(
    root: &Checker,
    design: DesignKind,
    strategy: Strategy,
) -> Result<(), ScenarioError> {
    if design == DesignKind::SingleArm && strategy != Strategy::TreatmentPolicy {
        return Err(root.bad(
            "estimand.strategy",
            "a single-arm series supports only \"treatment_policy\"",
        ));
    }
    Ok(())
}

/// Expected flares per patient over follow-up the hazards may add up to:
/// trialsim follows at most [`crate::intercurrent::MAX_FLARES`] (64) flares a
/// patient, and a Poisson count with mean 20 passes 64 with probability
/// below 1e-13, so no flare is silently lost.
pub const MAX_EXPECTED_FLARES: f64 = 20.0;

/// The flare hazards, over follow-up, expect at most [`MAX_EXPECTED_FLARES`]
/// flares per patient in either arm (MSC's at its hazard ratio, raised by two
/// SDs of its prior).
pub fn flares_within_count(
    root: &Checker,
    therapy: &StandardTherapy,
    follow_up_weeks: f64,
) -> Result<(), ScenarioError> {
    let msc_factor =
        (therapy.msc_hazard_ratio * (2.0 * therapy.msc_hazard_ratio_log_sd).exp()).max(1.0);
    for (arm, &withdraws) in therapy.withdraws.iter() {
        let schedule = Piecewise::for_arm(therapy, withdraws);
        let factor = if arm.gets_msc() { msc_factor } else { 1.0 };
        let expected = factor * schedule.cumulative(follow_up_weeks);
        if expected > MAX_EXPECTED_FLARES {
            return Err(root.bad(
                "standard_therapy",
                format!(
                    "the flare hazards expect {expected:.1} flares per patient in the {} arm by the end of follow-up (week {follow_up_weeks}); trialsim follows at most {} flares a patient, so keep it at most {MAX_EXPECTED_FLARES} (a hazard is per week: check the units, or shorten follow-up)",
                    arm.name(),
                    crate::intercurrent::MAX_FLARES
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::EndpointKind;
    use std::path::Path;

    fn key(e: ScenarioError) -> String {
        match e.location {
            crate::scenario::Location::Key(k) => k,
            other => panic!("not a key: {other:?}"),
        }
    }

    #[test]
    fn wilcoxon_pair_cap_counts_msc_times_control() {
        let root = Checker::new(Path::new("s.toml"));
        // 2000 x 2000 = 4e6 pairs: at the cap, allowed; one more control patient is not.
        assert!(wilcoxon_pair_cap(&root, AnalysisKind::Wilcoxon, &[2000], 1.0).is_ok());
        let e = wilcoxon_pair_cap(&root, AnalysisKind::Wilcoxon, &[20, 2001], 1.0).unwrap_err();
        assert!(e.message.starts_with("2001 is too large"), "{}", e.message);
        assert_eq!(key(e), "design.n_per_arm");
        // Other analyses hold no pairs.
        assert!(wilcoxon_pair_cap(&root, AnalysisKind::WelchT, &[10_000], 1.0).is_ok());
    }

    #[test]
    fn enroll_above_within_scale_excludes_the_maximum() {
        let root = Checker::new(Path::new("s.toml"));
        let pga = Scale::of(EndpointKind::Pga);
        assert!(enroll_above_within_scale(&root, 0.0, &pga).is_ok());
        assert!(enroll_above_within_scale(&root, 9.5, &pga).is_ok());
        let e = enroll_above_within_scale(&root, 10.0, &pga).unwrap_err();
        assert_eq!(
            e.message,
            "10 is outside the pga scale: patients are enrolled when their measured baseline exceeds it, so it must lie from 0 up to (not including) 10"
        );
        assert!(enroll_above_within_scale(&root, f64::NAN, &pga).is_err());
    }

    #[test]
    fn fisher_needs_threshold_only_for_fisher() {
        let root = Checker::new(Path::new("s.toml"));
        let e = fisher_needs_threshold(&root, AnalysisKind::FisherResponder, None).unwrap_err();
        assert_eq!(key(e), "endpoint.responder_threshold");
        assert!(fisher_needs_threshold(&root, AnalysisKind::FisherResponder, Some(4.0)).is_ok());
        assert!(fisher_needs_threshold(&root, AnalysisKind::Ancova, None).is_ok());
    }
}
