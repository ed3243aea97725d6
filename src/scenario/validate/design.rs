//! `[design]` on its own: sample sizes, allocation, analysis, alpha and visits.
//!
//! What depends on other tables (strata, the endpoint scale) is in
//! [`super::rules`]; `design.follow_up_weeks` is checked here but late, with
//! the intercurrent tables that use it.

use super::{Checker, Errors};
use crate::analysis::registry::properties;
use crate::scenario::raw::{RawDesign, SampleSizes};
use crate::scenario::{
    AnalysisKind, DEFAULT_VISITS_WEEKS, DesignKind, MAX_ARM_SIZE, MAX_WEEKS, ScenarioError,
};

/// The `[design]` values checked without looking at other tables.
#[derive(Debug)]
pub struct Checked {
    pub kind: DesignKind,
    pub n_per_arm: Vec<usize>,
    pub allocation: f64,
    pub analysis: AnalysisKind,
    pub alpha: f64,
    pub visits_weeks: Vec<f64>,
}

/// Checks `[design]` in key order: `n_per_arm`, `allocation`, `analysis`,
/// `alpha`, `visits_weeks`; `checker` is at `design`.
///
/// # Errors
/// Every bad value, in that order (`allocation` is checked only against
/// valid sample sizes).
pub fn validate(checker: &Checker, d: &RawDesign) -> Result<Checked, Vec<ScenarioError>> {
    let mut errors = Errors::default();
    let kind = d.kind.unwrap_or(DesignKind::Parallel);
    let n_per_arm = errors.take(sample_sizes(checker, &d.n_per_arm));
    let allocation = n_per_arm
        .as_ref()
        .and_then(|n| errors.take(allocation(checker, d.allocation, kind, n)));
    let analysis = errors.take(analysis(checker, kind, d.analysis));
    let alpha = d.alpha.unwrap_or(0.05);
    if !(alpha > 0.0 && alpha < 1.0) {
        errors.0.push(checker.bad(
            "alpha",
            format!("{alpha} is not allowed: alpha must lie strictly between 0 and 1"),
        ));
    }
    let visits_weeks = errors.take(visits_weeks(checker, d.visits_weeks.as_deref()));
    match (n_per_arm, allocation, analysis, visits_weeks) {
        (Some(n_per_arm), Some(allocation), Some(analysis), Some(visits_weeks))
            if errors.0.is_empty() =>
        {
            Ok(Checked {
                kind,
                n_per_arm,
                allocation,
                analysis,
                alpha,
                visits_weeks,
            })
        }
        _ => Err(errors.0),
    }
}

/// `n_per_arm`: a non-empty list of integers from 2 to [`MAX_ARM_SIZE`].
fn sample_sizes(checker: &Checker, raw: &SampleSizes) -> Result<Vec<usize>, ScenarioError> {
    let sizes = match raw {
        SampleSizes::One(n) => std::slice::from_ref(n),
        SampleSizes::Many(v) => v.as_slice(),
    };
    if sizes.is_empty() {
        return Err(checker.bad(
            "n_per_arm",
            "the list is empty: give at least one sample size (an integer of at least 2)",
        ));
    }
    sizes
        .iter()
        .map(|&n| {
            if (2..=MAX_ARM_SIZE as i64).contains(&n) {
                Ok(n as usize)
            } else {
                Err(checker.bad(
                    "n_per_arm",
                    format!(
                        "{n} is not allowed: each sample size must be an integer from 2 to {MAX_ARM_SIZE}"
                    ),
                ))
            }
        })
        .collect()
}

/// `allocation`: parallel designs only, in (0, 10], leaving at least 2 MSC
/// patients at every sample size.
fn allocation(
    checker: &Checker,
    raw: Option<f64>,
    kind: DesignKind,
    n_per_arm: &[usize],
) -> Result<f64, ScenarioError> {
    if kind == DesignKind::SingleArm && raw.is_some() {
        return Err(checker.bad(
            "allocation",
            "has no meaning when design.kind = \"single_arm\" (every patient gets MSC): remove it",
        ));
    }
    let allocation = checker.above_zero_at_most(
        "allocation",
        raw.unwrap_or(1.0),
        10.0,
        "the MSC:control ratio",
    )?;
    for &n in n_per_arm {
        let msc = (allocation * n as f64).round();
        if msc < 2.0 {
            return Err(checker.bad(
                "allocation",
                format!(
                    "with n_per_arm = {n} and allocation = {allocation} the MSC arm has {msc} patients; it needs at least 2"
                ),
            ));
        }
    }
    Ok(allocation)
}

/// `analysis`: paired t for a single arm (its default), a two-arm analysis
/// (no default) for a parallel design.
fn analysis(
    checker: &Checker,
    kind: DesignKind,
    raw: Option<AnalysisKind>,
) -> Result<AnalysisKind, ScenarioError> {
    let single_arm = |a: AnalysisKind| properties(a).single_arm;
    match (kind, raw) {
        (DesignKind::SingleArm, None) => Ok(AnalysisKind::PairedT),
        (DesignKind::SingleArm, Some(a)) if single_arm(a) => Ok(a),
        (DesignKind::SingleArm, Some(other)) => Err(checker.bad(
            "analysis",
            format!(
                "`{other}` compares two arms; a single-arm design is analysed with \"paired_t\" (before/after on the same patients)"
            ),
        )),
        (DesignKind::Parallel, Some(a)) if single_arm(a) => Err(checker.bad(
            "analysis",
            format!("\"{a}\" is for design.kind = \"single_arm\"; a parallel design takes welch_t, ancova, wilcoxon, fisher_responder, logrank or cox"),
        )),
        (DesignKind::Parallel, Some(a)) => Ok(a),
        (DesignKind::Parallel, None) => Err(checker.bad(
            "analysis",
            "missing: choose welch_t, ancova, wilcoxon, fisher_responder, logrank or cox",
        )),
        (DesignKind::RandomizedWithdrawal, Some(a)) if properties(a).time_to_event => Ok(a),
        (DesignKind::RandomizedWithdrawal, Some(a)) => Err(checker.bad(
            "analysis",
            format!("\"{a}\" does not analyse the time to flare; a randomized withdrawal design takes logrank or cox"),
        )),
        (DesignKind::RandomizedWithdrawal, None) => Err(checker.bad(
            "analysis",
            "missing: choose logrank or cox (a randomized withdrawal design analyses the time to flare)",
        )),
    }
}

/// `visits_weeks`: 1 to [`crate::intercurrent::MAX_VISITS`] weeks after
/// baseline, strictly increasing, at most [`MAX_WEEKS`] (default
/// [`DEFAULT_VISITS_WEEKS`]). A leading week 0 is the baseline visit, which
/// every patient has anyway, so it is dropped.
fn visits_weeks(checker: &Checker, raw: Option<&[f64]>) -> Result<Vec<f64>, ScenarioError> {
    let mut visits = raw.unwrap_or(&DEFAULT_VISITS_WEEKS).to_vec();
    if visits.first() == Some(&0.0) {
        visits.remove(0);
    }
    if visits.is_empty() {
        return Err(checker.bad(
            "visits_weeks",
            "the list is empty: give at least one visit week above 0 (the last is the primary visit)",
        ));
    }
    let max = crate::intercurrent::MAX_VISITS;
    if visits.len() > max {
        return Err(checker.bad(
            "visits_weeks",
            format!("{} visits: at most {max} are allowed", visits.len()),
        ));
    }
    let mut previous = 0.0;
    for &w in &visits {
        if !(w.is_finite() && w > previous) {
            return Err(checker.bad(
                "visits_weeks",
                format!("{w} is not allowed: visit weeks must be above 0 and strictly increasing"),
            ));
        }
        if w > MAX_WEEKS {
            return Err(checker.bad(
                "visits_weeks",
                format!("{w} is not allowed: visits are at most {MAX_WEEKS} weeks (10 years) after baseline"),
            ));
        }
        previous = w;
    }
    Ok(visits)
}

/// `follow_up_weeks`: at least to the primary (last) visit, which is its default.
///
/// # Errors
/// When follow-up ends before the primary visit or is not finite.
pub fn follow_up_weeks(
    checker: &Checker,
    raw: Option<f64>,
    visits_weeks: &[f64],
) -> Result<f64, ScenarioError> {
    let primary = *visits_weeks.last().expect("validated: at least one visit");
    let weeks = raw.unwrap_or(primary);
    if weeks.is_finite() && weeks >= primary && weeks <= MAX_WEEKS {
        Ok(weeks)
    } else if weeks > MAX_WEEKS {
        Err(checker.bad(
            "follow_up_weeks",
            format!("{weeks} is not allowed: follow-up lasts at most {MAX_WEEKS} weeks (10 years)"),
        ))
    } else {
        Err(checker.bad(
            "follow_up_weeks",
            format!(
                "{weeks} is not allowed: follow-up must last at least to the primary visit (week {primary})"
            ),
        ))
    }
}
