//! Raw scenario in, validated [`Scenario`] out: one validator per table, the
//! rules that join tables named in [`rules`], and the order they run in here.
//!
//! Every check returns the first bad key as a [`ScenarioError`] built by a
//! [`Checker`], which carries the file and the key prefix of the table being
//! checked, so a validator writes `checker.bad("alpha", ...)` and the user
//! reads `s.toml: key `design.alpha`: ...`.
//!
//! The order in [`validate`] is part of the behaviour: where a file has
//! several problems, the one reported is the first one checked.

mod checker;
mod concomitant;
mod decision;
mod design;
mod effect;
mod endpoint;
mod estimand;
mod manufacturing;
mod population;
pub mod rules;

pub use checker::{Checker, MAX_MAGNITUDE};
mod safety;
mod schedule;
mod sequential;
mod simulation;
mod standard_therapy;
mod strata;
mod time_to_flare;

use std::path::Path;

use super::intercurrent::{Intercurrent, RawConcomitant, RawEstimand, RawStandardTherapy};
use super::preset::Preset;
use super::raw::{RawEndpointKind, RawScenario};
use super::{
    Design, DesignKind, Endpoint, EndpointKind, Overrides, Population, Scale, Scenario,
    ScenarioError, Sided, Simulation, Stratum,
};

/// Evidence rows and notes a scenario's defaults came from, in the order read.
#[derive(Debug, Default)]
struct Citations {
    evidence: Vec<String>,
    notes: Vec<String>,
}

impl Citations {
    /// Records the rows and note of a disease preset that was used.
    fn preset(&mut self, preset: &Preset) {
        self.evidence
            .extend(preset.rows.iter().map(|r| r.to_string()));
        self.notes.extend(preset.note.map(str::to_string));
    }

    /// Each evidence row once (first mention kept) and no note twice in a row.
    fn finish(mut self) -> (Vec<String>, Vec<String>) {
        let mut seen = std::collections::HashSet::new();
        self.evidence.retain(|id| seen.insert(id.clone()));
        self.notes.dedup();
        (self.evidence, self.notes)
    }
}

/// Checks every value of a raw scenario and fills defaults: the documented
/// constants, then the disease preset, then (for the effect) an evidence row.
/// `overrides` (from the command line) replace the file's values first and
/// are checked like them.
///
/// # Errors
/// A [`ScenarioError`] for the first bad or missing value, in the order
/// [`validate_all`] checks them.
pub fn validate(
    path: &Path,
    raw: RawScenario,
    overrides: &Overrides,
) -> Result<Scenario, ScenarioError> {
    validate_all(path, raw, overrides).map_err(|mut errors| errors.swap_remove(0))
}

/// Collects the errors of the checks of one file: a check whose inputs
/// failed is skipped, every other one still runs.
#[derive(Debug, Default)]
struct Errors(Vec<ScenarioError>);

impl Errors {
    /// The value of a check that passed; records the error of one that failed.
    fn take<T>(&mut self, result: Result<T, ScenarioError>) -> Option<T> {
        result.map_err(|e| self.0.push(e)).ok()
    }

    /// As [`Errors::take`], for a check that reports several errors.
    fn take_all<T>(&mut self, result: Result<T, Vec<ScenarioError>>) -> Option<T> {
        result.map_err(|e| self.0.extend(e)).ok()
    }
}

/// As [`validate`], reporting every problem it can find: each table's first
/// bad key, and each rule whose input tables passed their own checks (a rule
/// on `[design]` runs only when the whole `[design]` table passed, and the
/// intercurrent tables stop at their first bad key).
///
/// The order, which decides the key reported first when a file has several problems:
/// 1. the command-line overrides, merged into `[simulation]`;
/// 2. `name`;
/// 3. the endpoint scale and `[population]` (or a preset): later checks need the scale;
/// 4. `[design]` on its own;
/// 5. `endpoint.responder_threshold`, and the rule that a responder analysis needs it;
/// 6. `[[stratum]]`, with the rules that tie strata to the analysis and design;
/// 7. the rules that join `[design]` to the strata and the scale;
/// 8. `[effect]`, then `simulation.replicates`;
/// 9. `design.follow_up_weeks` and the intercurrent tables (see `intercurrent` below).
///
/// # Errors
/// Every [`ScenarioError`] found, in that order (never an empty list).
pub fn validate_all(
    path: &Path,
    mut raw: RawScenario,
    overrides: &Overrides,
) -> Result<Scenario, Vec<ScenarioError>> {
    let root = Checker::new(path);
    let mut errors = Errors::default();
    errors.take(simulation::merge(
        &root.at("simulation"),
        &mut raw.simulation,
        overrides,
    ));
    if let Some(sizes) = &overrides.n_per_arm {
        raw.design.n_per_arm =
            super::raw::SampleSizes::Many(sizes.iter().map(|&n| n as i64).collect());
    }
    let name = errors.take(scenario_name(&root, &raw.name));

    let strata_given = !raw.stratum.is_empty();
    let mut citations = Citations::default();
    let main = if strata_given {
        Some(None)
    } else {
        errors
            .take(population::resolve_main(
                &root,
                &raw.endpoint,
                &raw.population,
            ))
            .map(Some)
    };
    let scale_preset = main.as_ref().map(|m| match m {
        Some(m) => (m.scale, m.preset.as_ref()),
        // Strata carry their own scales; the pooled analysis works in SD units.
        None => (Scale::of(EndpointKind::Continuous), None),
    });
    if let Some((_, Some(p))) = scale_preset {
        citations.preset(p);
    }
    let population = main.as_ref().map(|m| {
        m.as_ref()
            .map_or_else(Population::standard, |m| m.population.clone())
    });

    let d = &raw.design;
    let design = errors.take_all(design::validate(&root.at("design"), d));
    let responder_threshold = scale_preset.and_then(|(scale, preset)| {
        errors.take(endpoint::responder_threshold(
            &root.at("endpoint"),
            &raw.endpoint,
            &scale,
            preset,
        ))
    });
    if let (Some(design), Some(threshold)) = (&design, responder_threshold) {
        errors.take(rules::fisher_needs_threshold(
            &root,
            design.analysis,
            threshold,
        ));
    }

    rules_of_analysis(&root, &mut errors, design.as_ref(), strata_given);
    let strata = errors.take(strata::validate(&root, &raw.stratum, &mut citations));
    rules_across_tables(
        &root,
        &mut errors,
        &raw,
        Across {
            design: design.as_ref(),
            strata: strata.as_deref(),
            scale: scale_preset.map(|(scale, _)| scale),
            population: population.as_ref(),
            strata_given,
        },
    );

    errors.take(rules::effect_not_with_strata(
        &root,
        &raw.effect,
        strata_given,
    ));
    let effect = match (&strata, scale_preset) {
        (Some(strata), Some((_, preset))) => errors.take(effect::validate(
            &root,
            &raw.effect,
            strata,
            preset,
            &mut citations,
        )),
        _ => None,
    };
    let replicates = errors.take(simulation::replicates(
        &root.at("simulation"),
        &raw.simulation,
    ));
    // Read before the intercurrent tables are taken below. Flares
    // ([standard_therapy]) are modelled with [manufacturing]; concomitant
    // therapies, other estimands and dropout are not yet.
    let intercurrent_tables =
        !raw.concomitant.is_empty() || raw.estimand.is_some() || raw.dropout.is_some();
    let intercurrent = match (&design, scale_preset) {
        (Some(design), Some(_)) => errors.take_all(intercurrent(
            &root,
            Tables {
                standard_therapy: raw.standard_therapy.take(),
                concomitant: std::mem::take(&mut raw.concomitant),
                estimand: raw.estimand.take(),
            },
            design,
            d.follow_up_weeks,
            responder_threshold.flatten(),
            strata_given,
        )),
        _ => None,
    };
    let decision = design.as_ref().and_then(|design| {
        let time_to_flare = matches!(raw.endpoint.kind, Some(RawEndpointKind::Event(_)));
        let endpoint = match (&scale_preset, strata_given || time_to_flare) {
            (Some((scale, _)), false) => Some(scale.kind),
            _ => None,
        };
        errors.take(decision::validate(
            &root,
            decision::Context {
                decision: raw.decision.as_ref(),
                prior: raw.prior.as_ref(),
                observed: raw.observed.as_ref(),
                adult_ratio: raw.effect.adult_ratio.as_deref(),
                analysis: design.analysis,
                endpoint,
                change_sd: population.as_ref().map_or(1.0, |p| p.change_sd),
                alpha: design.alpha,
                sided: d.sided.unwrap_or(Sided::Two),
                strata: strata_given,
            },
        ))
    });
    // Dropout alone still needs the intercurrent-event machinery (the
    // worlds that record each visit): standard therapy continued, no flare,
    // the treatment-policy estimand.
    let intercurrent = match (intercurrent, &raw.dropout, &design) {
        (Some(None), Some(_), Some(design)) => {
            errors.take(rules::dropout_not_with_strata(&root, strata_given));
            design::follow_up_weeks(&root.at("design"), d.follow_up_weeks, &design.visits_weeks)
                .ok()
                .map(|follow_up_weeks| {
                    Some(Intercurrent {
                        therapy: super::intercurrent::StandardTherapy::none(),
                        concomitants: Vec::new(),
                        strategy: super::intercurrent::Strategy::TreatmentPolicy,
                        follow_up_weeks,
                    })
                })
        }
        (ic, _, _) => ic,
    };
    let accrual_at = root.at("accrual");
    let accrual = match &raw.accrual {
        None => Some(None),
        Some(a) => errors.take(sequential::accrual(&accrual_at, a)).map(Some),
    };
    let withdrawal = accrual.as_ref().and_then(|accrual| {
        errors.take(time_to_flare::withdrawal(
            &root.at("design"),
            d,
            d.kind.unwrap_or(DesignKind::Parallel),
            accrual.as_ref().map(|a| (&accrual_at, a)),
        ))
    });
    let dropout = errors.take(time_to_flare::dropout(&root, raw.dropout.as_ref()));
    let time_to_flare = matches!(raw.endpoint.kind, Some(RawEndpointKind::Event(_)));
    if let (Some(design), Some(ic), Some(threshold)) = (&design, &intercurrent, responder_threshold)
    {
        errors.take(time_to_flare::rules(
            &root,
            &time_to_flare::Joined {
                time_to_flare,
                design: design.kind,
                analysis: design.analysis,
                responder_threshold: threshold,
                intercurrent: ic.as_ref(),
                concomitants: ic.as_ref().map_or(0, |ic| ic.concomitants.len()),
                effect_sd: raw.effect.sd,
            },
        ));
    }
    let safety = errors.take_all(safety::validate(&root, raw.safety.as_ref()));
    if raw.safety.is_some() && d.kind == Some(DesignKind::RandomizedWithdrawal) {
        errors.0.push(root.bad(
            "safety",
            "[safety] does not model a randomized withdrawal's open-label run-in (every enrolled child gets MSC there) yet: remove it",
        ));
    }
    let manufacturing = design.as_ref().and_then(|design| {
        // A parallel score trial without strata, intercurrent events or
        // dropout: what the model covers so far.
        let scores = !time_to_flare
            && !strata_given
            && design.kind == DesignKind::Parallel
            && !intercurrent_tables;
        let primary = *design.visits_weeks.last().expect("validated: a visit");
        errors.take(manufacturing::validate(
            &root,
            raw.manufacturing.as_ref(),
            primary,
            scores,
            d.enroll_above.is_some(),
        ))
    });
    if !raw.infusion.is_empty() && (strata_given || time_to_flare) {
        errors.0.push(root.bad(
            "infusion",
            "an infusion schedule scales the MSC effect on a score; it is not modelled for pooled ([[stratum]]) trials or the time to flare yet: remove the [[infusion]] tables",
        ));
    }
    let schedule = design.as_ref().and_then(|design| {
        let primary = *design.visits_weeks.last().expect("validated: a visit");
        let delay = raw
            .manufacturing
            .as_ref()
            .is_some_and(|m| match m.vein_to_vein_weeks {
                Some(super::raw::RawDelay::Fixed(w)) => w > 0.0,
                Some(super::raw::RawDelay::Spread(d)) => d.mean > 0.0 || d.sd > 0.0,
                None => false,
            });
        errors.take(schedule::validate(
            &root,
            &raw.infusion,
            &raw.effect,
            primary,
            delay,
        ))
    });
    let interim = match (&raw.interim, &design) {
        (None, _) => Some(None),
        (Some(i), Some(design)) => {
            let mut unsupported = Vec::new();
            if raw.decision.as_ref().is_some_and(|d| {
                d.rule
                    .is_some_and(|r| r != super::raw::DecisionRule::Frequentist)
            }) {
                unsupported.push((
                    "decision.rule = \"posterior\"",
                    "the looks' bounds are frequentist",
                ));
            }
            if raw.safety.is_some() {
                unsupported.push(("[safety]", "its monitor stops the trial on its own"));
            }
            if raw.manufacturing.is_some() {
                unsupported.push((
                    "[manufacturing]",
                    "the as-infused contrast is of the full trial",
                ));
            }
            errors
                .take(sequential::interim(
                    &root.at("interim"),
                    i,
                    &sequential::Context {
                        design: design.kind,
                        alpha: design.alpha,
                        sided: d.sided.unwrap_or(Sided::Two),
                        accrual: raw.accrual.as_ref(),
                        unsupported,
                    },
                ))
                .map(Some)
        }
        (Some(_), None) => None,
    };
    let parts = Parts {
        accrual,
        interim,
        schedule,
        manufacturing,
        safety,
        time_to_flare,
        withdrawal,
        dropout,
        decision,
        name,
        scale: scale_preset.map(|(scale, _)| scale),
        population,
        design,
        responder_threshold,
        strata,
        effect,
        replicates,
        intercurrent,
    };
    match assemble(parts, &raw, citations) {
        Some(scenario) if errors.0.is_empty() => Ok(scenario),
        _ => Err(errors.0),
    }
}

/// The validated pieces of a scenario, each `None` when its check failed.
struct Parts {
    accrual: Option<Option<super::Accrual>>,
    interim: Option<Option<super::Interim>>,
    schedule: Option<Option<super::Schedule>>,
    manufacturing: Option<Option<super::Manufacturing>>,
    safety: Option<Option<super::safety::Safety>>,
    time_to_flare: bool,
    withdrawal: Option<Option<super::Withdrawal>>,
    dropout: Option<Option<super::Dropout>>,
    name: Option<String>,
    scale: Option<Scale>,
    population: Option<Population>,
    design: Option<design::Checked>,
    responder_threshold: Option<Option<f64>>,
    strata: Option<Vec<Stratum>>,
    effect: Option<super::Effect>,
    replicates: Option<u64>,
    intercurrent: Option<Option<Intercurrent>>,
    decision: Option<super::DecisionSpec>,
}

/// The scenario, once every piece passed (`None` otherwise); `raw` gives the
/// values kept as written.
fn assemble(p: Parts, raw: &RawScenario, citations: Citations) -> Option<Scenario> {
    let d = &raw.design;
    let design = p.design?;
    let (evidence, notes) = citations.finish();
    Some(Scenario {
        name: p.name?,
        description: raw.description.trim().to_string(),
        disease: raw.population.disease,
        design: Design {
            kind: design.kind,
            n_per_arm: design.n_per_arm,
            allocation: design.allocation,
            alpha: design.alpha,
            sided: d.sided.unwrap_or(Sided::Two),
            analysis: design.analysis,
            visits_weeks: design.visits_weeks,
            enroll_above: d.enroll_above,
            reported_improvement: d.reported_improvement,
            withdrawal: p.withdrawal?,
        },
        endpoint: Endpoint {
            scale: p.scale?,
            responder_threshold: p.responder_threshold?,
            time_to_flare: p.time_to_flare,
        },
        population: p.population?,
        strata: p.strata?,
        effect: p.effect?,
        simulation: Simulation {
            replicates: p.replicates?,
            seed: simulation::seed(&raw.simulation),
        },
        evidence,
        notes,
        intercurrent: p.intercurrent?,
        decision: p.decision?,
        dropout: p.dropout?,
        safety: p.safety?,
        manufacturing: p.manufacturing?,
        schedule: p.schedule?,
        accrual: p.accrual?,
        interim: p.interim?,
    })
}

/// The rules between the analysis and the presence of strata.
fn rules_of_analysis(
    root: &Checker,
    errors: &mut Errors,
    design: Option<&design::Checked>,
    strata_given: bool,
) {
    if let Some(design) = design {
        errors.take(rules::stratified_ancova_needs_strata(
            root,
            design.analysis,
            strata_given,
        ));
        errors.take(rules::strata_need_stratified_ancova(
            root,
            design.analysis,
            strata_given,
        ));
    }
}

/// What the rules across tables need, each `None` when its own check failed.
struct Across<'a> {
    design: Option<&'a design::Checked>,
    strata: Option<&'a [Stratum]>,
    scale: Option<Scale>,
    population: Option<&'a Population>,
    strata_given: bool,
}

/// The rules joining `[design]` to the strata, the scale and the population,
/// in check order; a rule whose inputs failed their own checks is skipped.
fn rules_across_tables(root: &Checker, errors: &mut Errors, raw: &RawScenario, a: Across<'_>) {
    let d = &raw.design;
    if let (Some(strata), Some(design)) = (a.strata, a.design) {
        errors.take(rules::strata_hold_two_per_arm(
            root,
            strata,
            &design.n_per_arm,
        ));
    }
    errors.take(rules::strata_exclude_population_keys(
        root,
        &raw.endpoint,
        &raw.population,
        a.strata_given,
    ));

    errors.take(rules::allocation_not_with_strata(
        root,
        d.allocation,
        a.strata_given,
    ));
    if let Some(design) = a.design {
        errors.take(rules::wilcoxon_pair_cap(
            root,
            design.analysis,
            &design.n_per_arm,
            design.allocation,
        ));
    }
    errors.take(rules::enroll_above_not_with_strata(
        root,
        d.enroll_above,
        a.strata_given,
    ));
    if let (Some(c), Some(scale), Some(population)) = (d.enroll_above, a.scale, a.population)
        && errors
            .take(rules::enroll_above_within_scale(root, c, &scale))
            .is_some()
    {
        errors.take(rules::enroll_above_admits_patients(
            root, c, &scale, population,
        ));
    }
    if let (Some(r), Some(design), Some(scale)) = (d.reported_improvement, a.design, a.scale)
        && errors
            .take(rules::reported_improvement_only_single_arm(
                root,
                design.kind,
            ))
            .is_some()
    {
        errors.take(rules::reported_improvement_within_scale(root, r, &scale));
    }
}

/// `name`: it becomes an output folder, so only safe characters.
fn scenario_name(root: &Checker, raw: &str) -> Result<String, ScenarioError> {
    let name = raw.trim().to_string();
    let name_ok = !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if name_ok {
        Ok(name)
    } else {
        Err(root.bad(
            "name",
            format!(
                "`{raw}` cannot name an output folder: use letters, digits, '-', '_' and '.', not starting with '.'"
            ),
        ))
    }
}

/// The intercurrent-event tables as the file holds them.
struct Tables {
    standard_therapy: Option<RawStandardTherapy>,
    concomitant: Vec<RawConcomitant>,
    estimand: Option<RawEstimand>,
}

/// Validates `design.follow_up_weeks` and the intercurrent-event tables;
/// `None` when the scenario has none.
///
/// The order: follow-up, then (if any table is given) the strata rule, the
/// estimand's rules against the analysis, `[standard_therapy]`,
/// `[[concomitant]]`, and last the single-arm estimand rule.
fn intercurrent(
    root: &Checker,
    tables: Tables,
    design: &design::Checked,
    follow_up_weeks: Option<f64>,
    responder_threshold: Option<f64>,
    strata_given: bool,
) -> Result<Option<Intercurrent>, Vec<ScenarioError>> {
    let mut errors = Errors::default();
    let follow_up_weeks = errors.take(design::follow_up_weeks(
        &root.at("design"),
        follow_up_weeks,
        &design.visits_weeks,
    ));
    let Tables {
        standard_therapy,
        concomitant,
        estimand,
    } = tables;
    if standard_therapy.is_none() && concomitant.is_empty() && estimand.is_none() {
        return match follow_up_weeks {
            Some(_) => Ok(None),
            None => Err(errors.0),
        };
    }
    errors.take(rules::intercurrent_not_with_strata(root, strata_given));
    let strategy = estimand::strategy(estimand);
    errors.take(rules::composite_needs_fisher(
        root,
        strategy,
        design.analysis,
    ));
    errors.take(rules::hypothetical_needs_t_analysis(
        root,
        strategy,
        design.analysis,
    ));
    let therapy = errors.take(standard_therapy::validate(
        &root.at("standard_therapy"),
        standard_therapy.unwrap_or_default(),
        design.kind,
    ));
    let concomitants = follow_up_weeks.and_then(|follow_up| {
        if let Some(therapy) = &therapy {
            errors.take(rules::flares_within_count(root, therapy, follow_up));
        }
        errors.take_all(concomitant::validate(
            root,
            concomitant,
            &design.visits_weeks,
            follow_up,
            responder_threshold,
        ))
    });
    errors.take(rules::single_arm_only_treatment_policy(
        root,
        design.kind,
        strategy,
    ));
    match (therapy, concomitants, follow_up_weeks) {
        (Some(therapy), Some(concomitants), Some(follow_up_weeks)) if errors.0.is_empty() => {
            Ok(Some(Intercurrent {
                therapy,
                concomitants,
                strategy,
                follow_up_weeks,
            }))
        }
        _ => Err(errors.0),
    }
}

#[cfg(test)]
mod tests {
    use crate::scenario::tests::{GOOD, err};

    #[test]
    fn several_problems_report_the_first_in_check_order() {
        // The population is resolved before [design] (later checks need its scale).
        let both = GOOD
            .replace("analysis =", "alpha = 2.0\nanalysis =")
            .replace("change_sd = 6", "change_sd = -1");
        assert!(err(&both).contains("key `population.change_sd`"));
        // [effect] before [simulation], and both before the intercurrent tables.
        let three = format!(
            "{}[simulation]\nreplicates = 0\n[estimand]\nstrategy = \"composite\"\n",
            GOOD.replace("source = \"assumption\"", "source = \"\"")
        );
        assert!(err(&three).contains("key `effect.source`"));
        let two = three.replace("source = \"\"", "source = \"assumption\"");
        assert!(err(&two).contains("key `simulation.replicates`"));
    }

    #[test]
    fn bad_values_are_refused() {
        for (from, to, key) in [
            (
                "n_per_arm = [10, 20]",
                "n_per_arm = [1, 20]",
                "design.n_per_arm",
            ),
            ("n_per_arm = [10, 20]", "n_per_arm = []", "design.n_per_arm"),
            ("analysis =", "alpha = 1.0\nanalysis =", "design.alpha"),
            ("analysis =", "alpha = 0.0\nanalysis =", "design.alpha"),
            (
                "baseline_sd = 4",
                "baseline_sd = -1",
                "population.baseline_sd",
            ),
            ("change_sd = 6", "change_sd = -0.1", "population.change_sd"),
            (
                "change_sd = 6",
                "change_sd = 6\nbaseline_change_correlation = 1.5",
                "population.baseline_change_correlation",
            ),
            ("source = \"assumption\"", "source = \" \"", "effect.source"),
            (
                "analysis =",
                "visits_weeks = [12, 8]\nanalysis =",
                "design.visits_weeks",
            ),
            ("name = \"t\"", "name = \"../x\"", "name"),
            (
                "\"welch_t\"",
                "\"fisher_responder\"",
                "endpoint.responder_threshold",
            ),
        ] {
            let m = err(&GOOD.replace(from, to));
            assert!(m.contains(&format!("key `{key}`")), "{to}: {m}");
        }
        let m = err(&format!("{GOOD}[simulation]\nreplicates = 0\n"));
        assert!(m.contains("key `simulation.replicates`"), "{m}");
    }
}
