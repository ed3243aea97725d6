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

mod concomitant;
mod design;
mod effect;
mod endpoint;
mod estimand;
mod population;
pub mod rules;
mod simulation;
mod standard_therapy;
mod strata;

use std::path::Path;

use super::intercurrent::{Intercurrent, RawConcomitant, RawEstimand, RawStandardTherapy};
use super::preset::Preset;
use super::raw::RawScenario;
use super::{
    Design, Endpoint, EndpointKind, Location, Overrides, Population, Scale, Scenario,
    ScenarioError, Sided, Simulation,
};

/// Largest magnitude any scale value, SD or effect may have (the `finite`
/// and `non_negative` checks): far beyond any clinical scale, small enough
/// that sums of squares over 10,000 patients cannot overflow.
pub const MAX_MAGNITUDE: f64 = 1e6;

fn too_large(value: f64) -> String {
    format!(
        "{value} is not allowed: values are limited to {MAX_MAGNITUDE:e} in size (far beyond any clinical scale); check the units"
    )
}

/// Builds [`ScenarioError`]s for one file, under one key prefix.
///
/// ```
/// use std::path::Path;
/// use trialsim::scenario::validate::Checker;
///
/// let design = Checker::new(Path::new("s.toml")).at("design");
/// let e = design.bad("alpha", "1 is not allowed");
/// assert_eq!(e.to_string(), "s.toml: key `design.alpha`: 1 is not allowed");
/// ```
#[derive(Debug, Clone)]
pub struct Checker<'a> {
    file: &'a Path,
    /// Dotted key of the table checked (empty at the top level).
    prefix: String,
}

impl<'a> Checker<'a> {
    /// A checker for the top level of `file`.
    pub fn new(file: &'a Path) -> Checker<'a> {
        Checker {
            file,
            prefix: String::new(),
        }
    }

    /// A checker for the table or array element `key` under this one
    /// (`at("stratum[2]")`).
    pub fn at(&self, key: &str) -> Checker<'a> {
        Checker {
            file: self.file,
            prefix: self.key(key),
        }
    }

    /// The full dotted path of `key` under this checker's prefix.
    pub fn key(&self, key: &str) -> String {
        if self.prefix.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.prefix)
        }
    }

    /// The error for a bad value at `key`.
    pub fn bad(&self, key: &str, message: impl Into<String>) -> ScenarioError {
        ScenarioError {
            file: self.file.to_path_buf(),
            location: Location::Key(self.key(key)),
            message: message.into(),
        }
    }

    /// Refuses NaN and infinities.
    ///
    /// # Errors
    /// When `value` is not finite.
    pub fn finite(&self, key: &str, value: f64) -> Result<f64, ScenarioError> {
        if !value.is_finite() {
            Err(self.bad(key, format!("{value} is not allowed: give a finite number")))
        } else if value.abs() > MAX_MAGNITUDE {
            Err(self.bad(key, too_large(value)))
        } else {
            Ok(value)
        }
    }

    /// Refuses negative and non-finite values; `what` names the quantity
    /// ("a standard deviation" must be 0 or more).
    ///
    /// # Errors
    /// When `value` is not a finite number of at least 0.
    pub fn non_negative(&self, key: &str, value: f64, what: &str) -> Result<f64, ScenarioError> {
        if value.is_finite() && value > MAX_MAGNITUDE {
            Err(self.bad(key, too_large(value)))
        } else if value.is_finite() && value >= 0.0 {
            Ok(value)
        } else {
            Err(self.bad(
                key,
                format!("{value} is not allowed: {what} must be 0 or more"),
            ))
        }
    }

    /// Refuses values outside `lo..=hi` (and NaN), naming the range.
    ///
    /// # Errors
    /// When `value` lies outside the closed range.
    pub fn within(
        &self,
        key: &str,
        value: f64,
        (lo, hi): (f64, f64),
        what: &str,
    ) -> Result<f64, ScenarioError> {
        if (lo..=hi).contains(&value) {
            Ok(value)
        } else {
            Err(self.bad(
                key,
                format!("{value} is not allowed: {what} must lie from {lo} to {hi}"),
            ))
        }
    }

    /// Refuses values outside `(0, hi]` (and NaN), naming the range.
    ///
    /// # Errors
    /// When `value` is not above 0 and at most `hi`.
    pub fn above_zero_at_most(
        &self,
        key: &str,
        value: f64,
        hi: f64,
        what: &str,
    ) -> Result<f64, ScenarioError> {
        if value > 0.0 && value <= hi {
            Ok(value)
        } else {
            Err(self.bad(
                key,
                format!("{value} is not allowed: {what} must be above 0 and at most {hi}"),
            ))
        }
    }
}

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
}

/// As [`validate`], reporting every problem it can find: each table's first
/// bad key, and each rule whose inputs are valid.
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
    let design = errors.take(design::validate(&root.at("design"), d));
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

    if let Some(design) = &design {
        errors.take(rules::stratified_ancova_needs_strata(
            &root,
            design.analysis,
            strata_given,
        ));
        errors.take(rules::strata_need_stratified_ancova(
            &root,
            design.analysis,
            strata_given,
        ));
    }
    let strata = errors.take(strata::validate(&root, &raw.stratum, &mut citations));
    if let (Some(strata), Some(design)) = (&strata, &design) {
        errors.take(rules::strata_hold_two_per_arm(
            &root,
            strata,
            &design.n_per_arm,
        ));
    }
    errors.take(rules::strata_exclude_population_keys(
        &root,
        &raw.endpoint,
        &raw.population,
        strata_given,
    ));

    errors.take(rules::allocation_not_with_strata(
        &root,
        d.allocation,
        strata_given,
    ));
    if let Some(design) = &design {
        errors.take(rules::wilcoxon_pair_cap(
            &root,
            design.analysis,
            &design.n_per_arm,
            design.allocation,
        ));
    }
    errors.take(rules::enroll_above_not_with_strata(
        &root,
        d.enroll_above,
        strata_given,
    ));
    if let (Some(c), Some((scale, _)), Some(population)) =
        (d.enroll_above, scale_preset, &population)
        && errors
            .take(rules::enroll_above_within_scale(&root, c, &scale))
            .is_some()
    {
        errors.take(rules::enroll_above_admits_patients(
            &root, c, &scale, population,
        ));
    }
    if let (Some(r), Some(design), Some((scale, _))) =
        (d.reported_improvement, &design, scale_preset)
        && errors
            .take(rules::reported_improvement_only_single_arm(
                &root,
                design.kind,
            ))
            .is_some()
    {
        errors.take(rules::reported_improvement_within_scale(&root, r, &scale));
    }

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
    let intercurrent = match (&design, scale_preset) {
        (Some(design), Some(_)) => errors.take(intercurrent(
            &root,
            Tables {
                standard_therapy: raw.standard_therapy,
                concomitant: raw.concomitant,
                estimand: raw.estimand,
            },
            design,
            d.follow_up_weeks,
            responder_threshold.flatten(),
            strata_given,
        )),
        _ => None,
    };
    let (
        Some(name),
        Some((scale, _)),
        Some(population),
        Some(design),
        Some(responder_threshold),
        Some(strata),
        Some(effect),
        Some(replicates),
        Some(intercurrent),
    ) = (
        name,
        scale_preset,
        population,
        design,
        responder_threshold,
        strata,
        effect,
        replicates,
        intercurrent,
    )
    else {
        return Err(errors.0);
    };
    if !errors.0.is_empty() {
        return Err(errors.0);
    }
    let (evidence, notes) = citations.finish();

    Ok(Scenario {
        name,
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
        },
        endpoint: Endpoint {
            scale,
            responder_threshold,
        },
        population,
        strata,
        effect,
        simulation: Simulation {
            replicates,
            seed: simulation::seed(&raw.simulation),
        },
        evidence,
        notes,
        intercurrent,
    })
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
) -> Result<Option<Intercurrent>, ScenarioError> {
    let follow_up_weeks =
        design::follow_up_weeks(&root.at("design"), follow_up_weeks, &design.visits_weeks)?;
    let Tables {
        standard_therapy,
        concomitant,
        estimand,
    } = tables;
    if standard_therapy.is_none() && concomitant.is_empty() && estimand.is_none() {
        return Ok(None);
    }
    rules::intercurrent_not_with_strata(root, strata_given)?;
    let strategy = estimand::strategy(estimand);
    rules::composite_needs_fisher(root, strategy, design.analysis)?;
    rules::hypothetical_needs_t_analysis(root, strategy, design.analysis)?;
    let therapy = standard_therapy::validate(
        &root.at("standard_therapy"),
        standard_therapy.unwrap_or_default(),
        design.kind,
    )?;
    let concomitants = concomitant::validate(
        root,
        concomitant,
        &design.visits_weeks,
        follow_up_weeks,
        responder_threshold,
    )?;
    rules::single_arm_only_treatment_policy(root, design.kind, strategy)?;
    Ok(Some(Intercurrent {
        therapy,
        concomitants,
        strategy,
        follow_up_weeks,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
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
    fn checker_prefixes_keys() {
        let root = Checker::new(Path::new("s.toml"));
        assert_eq!(root.key("name"), "name");
        let stratum = root.at("stratum[2]");
        assert_eq!(stratum.key("share"), "stratum[2].share");
        let e = root.at("concomitant[0]").bad("probability.msc", "no");
        assert_eq!(
            e.location,
            Location::Key("concomitant[0].probability.msc".into())
        );
        assert_eq!(e.file, Path::new("s.toml"));
        assert_eq!(
            root.at("design").bad("alpha", "no").to_string(),
            "s.toml: key `design.alpha`: no"
        );
    }

    #[test]
    fn range_helpers_name_the_range_and_refuse_nan() {
        let c = Checker::new(Path::new("s.toml")).at("population");
        let e = c
            .within(
                "baseline_change_correlation",
                1.5,
                (-1.0, 1.0),
                "a correlation",
            )
            .unwrap_err();
        assert_eq!(
            e.message,
            "1.5 is not allowed: a correlation must lie from -1 to 1"
        );
        assert!(
            c.within("x", f64::NAN, (0.0, 1.0), "a probability")
                .is_err()
        );
        assert!(c.above_zero_at_most("x", f64::NAN, 1.0, "a share").is_err());
        assert!(c.above_zero_at_most("x", 0.0, 1.0, "a share").is_err());
        assert_eq!(c.above_zero_at_most("x", 1.0, 1.0, "a share").unwrap(), 1.0);
        let e = c
            .non_negative("change_sd", -0.1, "a standard deviation")
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "s.toml: key `population.change_sd`: -0.1 is not allowed: a standard deviation must be 0 or more"
        );
        assert!(c.finite("x", f64::INFINITY).is_err());
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
