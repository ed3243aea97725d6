//! The time-to-flare endpoint, the randomized-withdrawal design's own keys
//! and `[dropout]`: their values, and the rules joining them to the other
//! tables.

use super::Checker;
use crate::analysis::registry::properties;
use crate::intercurrent::hazard::Piecewise;
use crate::scenario::intercurrent::{Intercurrent, Strategy};
use crate::scenario::raw::{RawDesign, RawDropout};
use crate::scenario::{
    Accrual, AnalysisKind, DesignKind, Dropout, MAX_WEEKS, ScenarioError, Withdrawal,
};

/// Default `design.max_enrolled_per_randomised`: far more than any plausible
/// run-in needs (a response rate of 5% needs 20 per responder on average),
/// so enrolment stops only when the run-in hardly works.
pub const DEFAULT_MAX_ENROLLED_PER_RANDOMISED: f64 = 20.0;
/// Largest `design.max_enrolled_per_randomised`.
pub const MAX_ENROLLED_PER_RANDOMISED: f64 = 100.0;
/// Largest dropout hazard per week: 1 loses 63% of children each week.
pub const MAX_DROPOUT_HAZARD: f64 = 1.0;
/// Largest `dropout.hazard_ratio_after_flare`.
pub const MAX_DROPOUT_RATIO: f64 = 100.0;

const WITHDRAWAL_KEYS: [&str; 3] = [
    "run_in_weeks",
    "effect_half_life_weeks",
    "max_enrolled_per_randomised",
];

/// `run_in_weeks`, `effect_half_life_weeks` and
/// `max_enrolled_per_randomised`: a randomized withdrawal design needs the
/// first, and no other design takes any of them. `checker` is at `design`.
///
/// # Errors
/// A missing run-in, a key given to another design, or a value out of range.
pub fn withdrawal(
    checker: &Checker,
    d: &RawDesign,
    kind: DesignKind,
    accrual: Option<(&Checker, &Accrual)>,
) -> Result<Option<Withdrawal>, ScenarioError> {
    let given = [
        d.run_in_weeks,
        d.effect_half_life_weeks,
        d.max_enrolled_per_randomised,
    ];
    if kind != DesignKind::RandomizedWithdrawal {
        if let (DesignKind::SingleArm, Some((c, _))) = (kind, accrual) {
            return Err(c.bad(
                "patients_per_month",
                "[accrual] models calendar time for parallel and randomized withdrawal designs; a single-arm series does not use it yet: remove it",
            ));
        }
        if let Some(k) = given.iter().position(Option::is_some) {
            return Err(checker.bad(
                WITHDRAWAL_KEYS[k],
                format!("is for design.kind = \"randomized_withdrawal\"; a {kind} design has no run-in: remove it"),
            ));
        }
        return Ok(None);
    }
    let run_in_weeks = d.run_in_weeks.ok_or_else(|| {
        checker.bad(
            "run_in_weeks",
            format!("missing: a randomized withdrawal design needs the weeks of open-label MSC before response is assessed (above 0, at most {MAX_WEEKS})"),
        )
    })?;
    let run_in_weeks =
        checker.above_zero_at_most("run_in_weeks", run_in_weeks, MAX_WEEKS, "the run-in")?;
    let effect_half_life_weeks = d
        .effect_half_life_weeks
        .map(|h| {
            checker.above_zero_at_most(
                "effect_half_life_weeks",
                h,
                MAX_WEEKS,
                "the half-life of MSC's effect after withdrawal",
            )
        })
        .transpose()?;
    let max_enrolled_per_randomised = checker.within(
        "max_enrolled_per_randomised",
        d.max_enrolled_per_randomised
            .unwrap_or(DEFAULT_MAX_ENROLLED_PER_RANDOMISED),
        (1.0, MAX_ENROLLED_PER_RANDOMISED),
        "the most children enrolled per randomised child",
    )?;
    let patients_per_month = match accrual {
        None => None,
        Some((c, a)) => {
            if a.pieces.len() > 1 {
                return Err(c.bad(
                    "patients_per_month",
                    "a randomized withdrawal design takes one rate (children entering the run-in per month), not pieces",
                ));
            }
            if a.max_months.is_some() {
                return Err(c.bad(
                    "max_months",
                    "a randomized withdrawal design enrols until it has its responders: remove max_months",
                ));
            }
            Some(a.pieces[0].1)
        }
    };
    Ok(Some(Withdrawal {
        run_in_weeks,
        effect_half_life_weeks,
        max_enrolled_per_randomised,
        patients_per_month,
    }))
}

/// `[dropout]`: a hazard per week (one, or per arm) from 0 to
/// [`MAX_DROPOUT_HAZARD`], a ratio after a flare from 0 to
/// [`MAX_DROPOUT_RATIO`] (default 1) and a source.
///
/// # Errors
/// A missing hazard or source, or a value out of range.
pub fn dropout(root: &Checker, raw: Option<&RawDropout>) -> Result<Option<Dropout>, ScenarioError> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    let c = root.at("dropout");
    let what = "a dropout hazard per week";
    let hazard = match &raw.hazard_per_week {
        None => {
            return Err(c.bad(
                "hazard_per_week",
                format!("missing: give the weekly hazard of leaving the trial, from 0 to {MAX_DROPOUT_HAZARD}, or a table {{ msc = ..., control = ... }}"),
            ));
        }
        Some(raw) => c.per_arm("hazard_per_week", raw, (0.0, MAX_DROPOUT_HAZARD), what)?,
    };
    let after_flare = c.within(
        "hazard_ratio_after_flare",
        raw.hazard_ratio_after_flare.unwrap_or(1.0),
        (0.0, MAX_DROPOUT_RATIO),
        "the dropout hazard ratio after a flare",
    )?;
    let source = c.source(
        raw.source.as_deref(),
        "missing: cite where the dropout rate comes from, or say it is an assumption",
    )?;
    Ok(Some(Dropout {
        hazard,
        after_flare,
        source,
    }))
}

/// What the rules below read, each already valid on its own.
pub struct Joined<'a> {
    pub time_to_flare: bool,
    pub design: DesignKind,
    pub analysis: AnalysisKind,
    pub responder_threshold: Option<f64>,
    pub intercurrent: Option<&'a Intercurrent>,
    pub concomitants: usize,
    /// `effect.sd` as written.
    pub effect_sd: Option<f64>,
}

/// The rules joining the time-to-flare endpoint, the design and dropout, in
/// this order: the endpoint and the analysis agree; a randomized withdrawal
/// design has a time-to-flare endpoint, a responder threshold and no
/// concomitant therapy; a time-to-flare endpoint has a flare hazard and the
/// treatment-policy estimand.
///
/// # Errors
/// The first rule broken.
pub fn rules(root: &Checker, j: &Joined<'_>) -> Result<(), ScenarioError> {
    let event_analysis = properties(j.analysis).time_to_event;
    if j.time_to_flare && !event_analysis {
        return Err(root.bad(
            "design.analysis",
            format!("`{}` analyses a score; endpoint.kind = \"time_to_flare\" is analysed with \"logrank\" or \"cox\"", j.analysis),
        ));
    }
    if !j.time_to_flare && event_analysis {
        return Err(root.bad(
            "endpoint.kind",
            format!("`{}` analyses the time to the first flare: set endpoint.kind = \"time_to_flare\" (with a flare hazard in [standard_therapy])", j.analysis),
        ));
    }
    if j.design == DesignKind::RandomizedWithdrawal {
        if j.responder_threshold.is_none() {
            return Err(root.bad(
                "endpoint.responder_threshold",
                "missing: a randomized withdrawal design randomises the run-in's responders, so it needs the fall from baseline that counts as a response (or a population.disease whose preset has one)",
            ));
        }
        if j.concomitants > 0 {
            return Err(root.bad(
                "concomitant",
                "a randomized withdrawal design does not model concomitant therapies yet: remove the [[concomitant]] tables",
            ));
        }
    }
    if j.time_to_flare && j.effect_sd.is_some_and(|sd| sd > 0.0) {
        return Err(root.bad(
            "effect.sd",
            "with endpoint.kind = \"time_to_flare\" the effect is the flare hazard ratio: give its prior as standard_therapy.msc_flare_hazard_ratio_log_sd (assurance then averages over it), and remove effect.sd",
        ));
    }
    if j.time_to_flare {
        // Both arms need a hazard, or there is no hazard ratio to estimate.
        let flares = j.intercurrent.is_some_and(|ic| {
            ic.therapy.withdraws.iter().all(|(_, &withdraws)| {
                Piecewise::for_arm(&ic.therapy, withdraws).cumulative(ic.follow_up_weeks) > 0.0
            })
        });
        if !flares {
            return Err(root.bad(
                "standard_therapy",
                "endpoint.kind = \"time_to_flare\" needs flares in both arms: give a flare hazard above 0 before the end of follow-up (flare_hazard_on, and flare_hazard_off for an arm that withdraws)",
            ));
        }
        if let Some(ic) = j.intercurrent
            && ic.strategy != Strategy::TreatmentPolicy
        {
            return Err(root.bad(
                "estimand.strategy",
                format!("\"{}\" is not defined for the time to flare here: the flare hazards do not depend on concomitant therapy, so use \"treatment_policy\"", ic.strategy.name()),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::scenario::tests::{GOOD, err};

    /// GOOD made a time-to-flare trial with flares in both arms.
    fn tte(extra: &str) -> String {
        format!(
            "{}[standard_therapy]\nflare_hazard_on = 0.02\nsource = \"t\"\n{extra}",
            GOOD.replace("\"welch_t\"", "\"logrank\"")
                .replace("kind = \"continuous\"", "kind = \"time_to_flare\"")
        )
    }

    #[test]
    fn the_endpoint_and_the_analysis_must_agree() {
        assert!(crate::scenario::parse(std::path::Path::new("s.toml"), &tte("")).is_ok());
        let m = err(&tte("").replace("\"logrank\"", "\"welch_t\""));
        assert!(m.contains("key `design.analysis`"), "{m}");
        let m = err(&GOOD.replace("\"welch_t\"", "\"cox\""));
        assert!(m.contains("key `endpoint.kind`"), "{m}");
    }

    #[test]
    fn bad_time_to_flare_keys_name_the_key() {
        for (text, key) in [
            (
                tte("[estimand]\nstrategy = \"while_on_treatment\"\n"),
                "estimand.strategy",
            ),
            (
                tte("[dropout]\nhazard_per_week = 0.01\n"),
                "dropout.source",
            ),
            (tte("[dropout]\nsource = \"x\"\n"), "dropout.hazard_per_week"),
            (
                tte("[dropout]\nhazard_per_week = { msc = 0.01, control = 2 }\nsource = \"x\"\n"),
                "dropout.hazard_per_week.control",
            ),
            (
                tte("[dropout]\nhazard_per_week = 0.01\nhazard_ratio_after_flare = -1\nsource = \"x\"\n"),
                "dropout.hazard_ratio_after_flare",
            ),
            (
                tte("").replace("n_per_arm", "kind = \"randomized_withdrawal\"\nn_per_arm"),
                "design.run_in_weeks",
            ),
            (
                tte("").replace(
                    "n_per_arm",
                    "kind = \"randomized_withdrawal\"\nrun_in_weeks = 12\nmax_enrolled_per_randomised = 0.5\nn_per_arm",
                ),
                "design.max_enrolled_per_randomised",
            ),
            (
                tte("").replace("n_per_arm", "effect_half_life_weeks = 10\nn_per_arm"),
                "design.effect_half_life_weeks",
            ),
            (
                tte("[accrual]\npatients_per_month = 2\n").replace(
                    "n_per_arm",
                    "kind = \"randomized_withdrawal\"\nrun_in_weeks = 12\nn_per_arm",
                ).replace("kind = \"time_to_flare\"", "kind = \"time_to_flare\"\nresponder_threshold = 2"),
                "accrual.source",
            ),
            (
                GOOD.replace(
                    "n_per_arm",
                    "kind = \"randomized_withdrawal\"\nrun_in_weeks = 12\nn_per_arm",
                ),
                "design.analysis",
            ),
        ] {
            let m = err(&text);
            assert!(m.contains(&format!("key `{key}`")), "{key}: {m}");
        }
    }
}
