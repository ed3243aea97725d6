//! Estimators for the ICH E9(R1) strategies: what the analysis sees of each
//! patient once intercurrent events are handled.
//!
//! * `treatment_policy`: the recorded values, whatever else was given.
//! * `hypothetical`: values after the start of any concomitant or rescue
//!   therapy are set missing (a visit on the day it starts was measured
//!   before the dose and is kept), and the primary value is multiply
//!   imputed under missing at random ([`IMPUTATIONS`] times) by Bayesian
//!   linear regression within the arm (Little & Rubin 2002, ch. 10): fitted
//!   on the patients with no such therapy by the primary visit, from baseline
//!   and the last visit before the therapy (baseline alone if it started
//!   before the first visit), drawing the residual variance and coefficients
//!   from their posterior before each imputation. The analyses are combined
//!   by Rubin's rules with Barnard-Rubin degrees of freedom, so only t-based
//!   analyses (welch_t, ancova) take this strategy.
//! * `composite`: a flare by the primary visit, or any concomitant therapy
//!   started before it, counts as non-response (responder analyses only).
//! * `while_on_treatment`: the value at the last visit before the first
//!   concomitant therapy took effect (baseline if none came before it).
//!
//! With `[dropout]`, a child's visits after the week they left are missing,
//! and each strategy states its rule: treatment policy analyses the complete
//! cases (the children still in the trial at the primary visit: unbiased
//! when dropout is unrelated to the outcome, biased when it is not);
//! hypothetical imputes from the last visit before the therapy or the
//! dropout, whichever came first (missing at random given baseline and that
//! visit); composite counts a child who left before the primary visit as a
//! non-responder; while on treatment takes the last visit before the therapy
//! or the dropout.

pub mod impute;
pub mod rubin;
pub mod truth;

pub use rubin::rubin;

use crate::analysis::{AnalysisFailure, Analyzer, ArmView};
use crate::cohort::{ArmData, Cohort};
use crate::design::Arms;
use crate::rng::Stream;
use crate::scenario::intercurrent::Strategy;
use impute::{Prepared, impute};

/// Imputations per replicate for the hypothetical strategy.
pub const IMPUTATIONS: usize = 10;

/// A change so large that no threshold counts it as a response.
const NON_RESPONSE: f64 = 1e300;

/// Per-worker buffers for the transformed values.
#[derive(Debug, Default, Clone)]
pub struct EstimandScratch {
    msc: Transformed,
    control: Transformed,
    /// The hypothetical strategy's fits, shared by a replicate's imputations.
    imputing: Arms<Prepared>,
    /// Each patient's week values go missing from (therapy or dropout).
    missing_from: Vec<f64>,
}

#[derive(Debug, Default, Clone)]
struct Transformed {
    primary: Vec<f64>,
    change: Vec<f64>,
    /// Complete case (treatment policy with dropout): the kept patients'
    /// baselines and strata, which the view then reads instead of the arm's.
    complete_case: bool,
    baseline: Vec<f64>,
    stratum: Vec<u8>,
}

/// Whether `analyzer` can serve `strategy`: composite needs a responder
/// analysis, hypothetical (multiple imputation combined by Rubin's rules) a
/// t-based one; the time to flare takes treatment policy only.
pub fn serves(strategy: Strategy, analyzer: &Analyzer) -> bool {
    if analyzer.is_time_to_event() {
        // The flare hazards do not depend on concomitant therapy.
        return strategy == Strategy::TreatmentPolicy;
    }
    match strategy {
        Strategy::Composite => analyzer.is_responder(),
        Strategy::Hypothetical => analyzer.is_t_based(),
        Strategy::TreatmentPolicy | Strategy::WhileOnTreatment => true,
    }
}

/// The two arms as `strategy` wants them analysed. `visits` are the visit
/// weeks (the last is primary).
///
/// # Errors
/// [`AnalysisFailure::TooFewPatients`] when imputation has nobody to learn from.
/// `rng` is used by the hypothetical strategy's imputations only; its
/// `imputation` 0 fits the imputation models that imputations 1, 2, ... of
/// the same replicate reuse, so call them in order.
pub fn views<'a>(
    strategy: Strategy,
    imputation: usize,
    cohort: &'a Cohort,
    visits: &[f64],
    scratch: &'a mut EstimandScratch,
    rng: &mut Stream,
) -> Result<(ArmView<'a>, ArmView<'a>), AnalysisFailure> {
    let dropout = !cohort.msc.dropout.is_empty() || !cohort.control.dropout.is_empty();
    if strategy == Strategy::TreatmentPolicy && !dropout {
        return Ok((cohort.msc.view(), cohort.control.view()));
    }
    if strategy == Strategy::Hypothetical && imputation == 0 {
        let EstimandScratch {
            imputing,
            missing_from,
            ..
        } = scratch;
        for (arm, prepared) in [
            (&cohort.msc, &mut imputing.msc),
            (&cohort.control, &mut imputing.control),
        ] {
            missing(arm, missing_from);
            impute::prepare(arm, missing_from, visits, prepared);
        }
    }
    let imputing = &scratch.imputing;
    transform(
        strategy,
        &cohort.msc,
        visits,
        &imputing.msc,
        &mut scratch.msc,
        rng,
    )?;
    transform(
        strategy,
        &cohort.control,
        visits,
        &imputing.control,
        &mut scratch.control,
        rng,
    )?;
    let view = |arm: &'a ArmData, t: &'a Transformed| {
        if t.complete_case {
            ArmView {
                baseline: &t.baseline,
                primary: &t.primary,
                change: &t.change,
                stratum: &t.stratum,
                follow_up: &arm.follow_up,
            }
        } else {
            ArmView {
                baseline: &arm.baseline,
                primary: &t.primary,
                change: &t.change,
                stratum: &arm.stratum,
                follow_up: &arm.follow_up,
            }
        }
    };
    Ok((
        view(&cohort.msc, &scratch.msc),
        view(&cohort.control, &scratch.control),
    ))
}

/// The week each patient's values go missing from for the hypothetical
/// strategy: the first concomitant therapy or dropout, whichever is first.
fn missing(arm: &ArmData, out: &mut Vec<f64>) {
    out.clear();
    out.extend_from_slice(&arm.event);
    for (m, &d) in out.iter_mut().zip(&arm.dropout) {
        *m = m.min(d);
    }
}

/// The week patient `i` left the trial (infinite without dropout).
#[inline]
fn left(arm: &ArmData, i: usize) -> f64 {
    arm.dropout.get(i).copied().unwrap_or(f64::INFINITY)
}

fn transform(
    strategy: Strategy,
    arm: &ArmData,
    visits: &[f64],
    prepared: &Prepared,
    out: &mut Transformed,
    rng: &mut Stream,
) -> Result<(), AnalysisFailure> {
    let interim = visits.len() - 1;
    let primary_week = visits[interim];
    out.primary.clear();
    out.change.clear();
    out.complete_case = false;
    match strategy {
        Strategy::TreatmentPolicy => {
            // Complete case: the patients still in the trial at the primary visit.
            out.complete_case = true;
            out.baseline.clear();
            out.stratum.clear();
            for i in 0..arm.primary.len() {
                if left(arm, i) >= primary_week {
                    out.primary.push(arm.primary[i]);
                    out.change.push(arm.change[i]);
                    out.baseline.push(arm.baseline[i]);
                    out.stratum.push(arm.stratum[i]);
                }
            }
            return Ok(());
        }
        Strategy::WhileOnTreatment => {
            for i in 0..arm.primary.len() {
                let until = arm.event[i].min(left(arm, i));
                let value = match visits.iter().rposition(|&v| v <= until) {
                    Some(k) if k == interim => arm.primary[i],
                    Some(k) => arm.interim[i * interim + k],
                    None => arm.baseline[i],
                };
                out.primary.push(value);
            }
        }
        Strategy::Composite => {
            out.primary.extend_from_slice(&arm.primary);
            for i in 0..arm.primary.len() {
                let failed = arm.flared_by_primary[i]
                    || arm.event[i] < primary_week
                    || left(arm, i) < primary_week;
                out.change
                    .push(if failed { NON_RESPONSE } else { arm.change[i] });
            }
            return Ok(());
        }
        Strategy::Hypothetical => impute(arm, visits, prepared, &mut out.primary, rng)?,
    }
    out.change
        .extend(out.primary.iter().zip(&arm.baseline).map(|(p, b)| p - b));
    Ok(())
}
