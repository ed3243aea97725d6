//! `trialsim borrow`: the posterior rule's operating characteristics over
//! the prior's weights and the children's true effect. Each pass is the
//! scenario with one fixed MSC effect: the design's (`effect.mean`), none
//! (every MSC effect off, [`super::threshold::without_effect`]: the type I
//! error of borrowing when children do not benefit), and each
//! `effect.adult_ratio` multiple `k` of the adult effect the prior borrows
//! (its informative mean, on the analysis scale). Every trial of a pass is
//! judged at every weight (common random numbers across weights); passes
//! share the seed, so they reuse the same streams.
//!
//! The simulated effect is a shift of the score; on a bounded scale, or
//! for a difference in responder proportions, the analysis-scale effect it
//! makes is not the shift. So the pass for `k` solves for the shift whose
//! mean true effect (the estimand's value, averaged over
//! [`PILOT_REPLICATES`] pilot trials of the first sample size on their own
//! seed) is `k` times the adult effect (bracketed from the true effect
//! without shift, then bisected; see [`shift_for`]). Posterior bias and
//! credible coverage are then measured against that population effect (for the design and no-effect
//! passes, a pilot's mean true effect at each sample size), not each
//! trial's own; the pilots' own Monte Carlo error is not in the bias's SE.

use serde::Serialize;

use super::Cell;
use super::run::{run_cell, run_scenario};
use super::threshold::without_effect;
use crate::decision::lower_is_benefit;
use crate::error::{Error, Result};
use crate::scenario::{DecisionSpec, Scenario};
use crate::summary::borrowing::BorrowRow;

/// Pilot trials per evaluation of a shift's mean true effect.
pub const PILOT_REPLICATES: u64 = 4000;
/// Mixed into the seed of pilot trials ("pilot").
pub const PILOT_SALT: u64 = 0x7069_6c6f_7400_0000;
/// Bisection steps when solving for a pass's shift.
const BISECTIONS: usize = 60;
/// Doublings of the bracket before a target counts as out of reach.
const DOUBLINGS: usize = 40;

/// One pass: a label, the adult ratio it simulates (if any), its scenario.
#[derive(Debug, Clone)]
pub struct Pass {
    pub label: String,
    pub adult_ratio: Option<f64>,
    pub scenario: Scenario,
}

/// One weight of one pass at one sample size.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    pub n_per_arm: usize,
    /// `design` (the file's effect), `no_effect`, or `adult_ratio_<k>`.
    pub pass: String,
    /// Children's effect as a multiple of the adult effect (empty for the
    /// design's, unless it is one).
    pub adult_ratio: Option<f64>,
    /// `effect.mean` as simulated (the score's shift, scale units).
    pub effect_mean: f64,
    /// The population effect on the analysis scale that posterior bias and
    /// coverage are measured against.
    pub population_effect: f64,
    /// The mean true value of the estimand over this pass's trials, and its
    /// Monte Carlo SE.
    pub true_effect: f64,
    pub true_effect_mc_se: f64,
    pub replicates: u64,
    #[serde(flatten)]
    pub figures: BorrowRow,
}

/// `scenario` with its effect shifted to `mean` (no effect prior).
fn at_effect(scenario: &Scenario, mean: f64) -> Scenario {
    let mut s = scenario.clone();
    s.effect.mean = mean;
    s.effect.sd = 0.0;
    s
}

/// The mean true effect (analysis scale) of `scenario` at `n` per arm, over
/// pilot trials of their own seed.
fn pilot_truth(scenario: &Scenario, n: usize) -> f64 {
    let mut s = scenario.clone();
    s.decision = DecisionSpec::frequentist();
    s.simulation.seed ^= PILOT_SALT;
    let cell = Cell::new(&s, n);
    run_cell(&cell, s.simulation.seed, PILOT_REPLICATES, &|_| {})
        .estimand_truth
        .mean
}

/// `scenario` judged against its own population effect at each sample
/// size (a pilot per size: in a pooled trial strata round differently).
fn judged_by_pilot(mut scenario: Scenario) -> Scenario {
    scenario.decision.population_truth = scenario
        .design
        .n_per_arm
        .iter()
        .map(|&n| (n, pilot_truth(&scenario, n)))
        .collect();
    scenario
}

/// The shift whose mean true effect at the first sample size is `target`.
/// The search starts from the true effect without shift (not 0 where MSC
/// also acts through flares or therapies) and goes the way that closes the
/// gap; bisection keeps a sign change, so where the true effect is not
/// monotone in the shift (rescue triggered by non-response) it finds one of
/// the shifts that give it.
///
/// # Errors
/// When no shift up to 2^40 times the starting step reaches it (a bounded
/// scale's floor or ceiling).
fn shift_for(
    scenario: &Scenario,
    target: f64,
    (lower_is_benefit, unshifted): (bool, f64),
) -> Result<f64> {
    let n = scenario.design.n_per_arm[0];
    let gap = |shift: f64| pilot_truth(&at_effect(scenario, shift), n) - target;
    let at_zero = unshifted - target;
    if at_zero == 0.0 {
        return Ok(0.0);
    }
    // The true effect moves with the shift on a change scale and against it
    // for responder proportions.
    let direction = -at_zero.signum() * if lower_is_benefit { 1.0 } else { -1.0 };
    let sign = at_zero.signum();
    let mut step = scenario.effect.mean.abs().max(target.abs()).max(1e-3);
    let mut far = direction * step;
    let mut reached = false;
    for _ in 0..DOUBLINGS {
        if gap(far).signum() != sign {
            reached = true;
            break;
        }
        step *= 2.0;
        far = direction * step;
    }
    if !reached {
        return Err(Error::input(format!(
            "{}: key `effect.adult_ratio`: no shift of the score gives a mean true effect of {target} (the adult effect times the ratio) on this scale; without a shift it is {}, and the scale's bounds stop it short: choose a ratio nearer that",
            scenario.name,
            at_zero + target
        )));
    }
    let (mut near, mut far) = (0.0, far);
    for _ in 0..BISECTIONS {
        let mid = 0.5 * (near + far);
        if gap(mid).signum() == sign {
            near = mid;
        } else {
            far = mid;
        }
    }
    Ok(0.5 * (near + far))
}

/// The passes of `scenario` (which has a prior that borrows): the design's
/// effect, no effect, then each `effect.adult_ratio` other than 0.
///
/// # Errors
/// A multiple of the adult effect that no shift of the score reaches.
pub fn passes(scenario: &Scenario) -> Result<Vec<Pass>> {
    let b = scenario
        .decision
        .borrowing
        .as_ref()
        .expect("borrow passes need a prior that borrows");
    let lower = lower_is_benefit(scenario.design.analysis);
    let mut passes = vec![
        Pass {
            label: "design".into(),
            adult_ratio: None,
            scenario: judged_by_pilot(at_effect(scenario, scenario.effect.mean)),
        },
        Pass {
            label: "no_effect".into(),
            adult_ratio: Some(0.0),
            // Arm-specific therapies, withdrawal or dropout can leave an
            // effect without MSC's: the pilot measures it (see `true_effect`).
            scenario: judged_by_pilot(without_effect(scenario)),
        },
    ];
    let mut ratios: Vec<f64> = Vec::new();
    for &k in &b.adult_ratio {
        if k != 0.0 && !ratios.contains(&k) {
            ratios.push(k);
        }
    }
    // The true effect without a shift, where every multiple's search starts.
    let unshifted = if ratios.is_empty() {
        0.0
    } else {
        pilot_truth(&at_effect(scenario, 0.0), scenario.design.n_per_arm[0])
    };
    for k in ratios {
        let target = k * b.informative_mean;
        let shift = shift_for(scenario, target, (lower, unshifted))?;
        let mut s = at_effect(scenario, shift);
        s.decision.population_truth = s.design.n_per_arm.iter().map(|&n| (n, target)).collect();
        passes.push(Pass {
            label: format!("adult_ratio_{k}"),
            adult_ratio: Some(k),
            scenario: s,
        });
    }
    Ok(passes)
}

/// Runs every pass at every sample size (on the current rayon pool),
/// calling `progress` with replicates finished.
pub fn run(passes: &[Pass], progress: &(dyn Fn(u64) + Sync)) -> Vec<Row> {
    let mut rows = Vec::new();
    for pass in passes {
        let weights = pass
            .scenario
            .decision
            .borrowing
            .as_ref()
            .map_or_else(|| vec![1.0], |b| b.weights.clone());
        for cell in run_scenario(&pass.scenario, progress) {
            let s = &cell.summary;
            let Some(stats) = &s.borrowing else { continue };
            for (w, stats) in weights.iter().zip(&stats.weights) {
                rows.push(Row {
                    n_per_arm: cell.n_per_arm,
                    pass: pass.label.clone(),
                    adult_ratio: pass.adult_ratio,
                    effect_mean: pass.scenario.effect.mean,
                    population_effect: pass
                        .scenario
                        .decision
                        .population_truth
                        .iter()
                        .find(|(n, _)| *n == cell.n_per_arm)
                        .map_or(f64::NAN, |&(_, t)| t),
                    true_effect: s.estimand_truth.mean,
                    true_effect_mc_se: s.estimand_truth.se(),
                    replicates: s.replicates,
                    figures: BorrowRow::new(*w, stats, s.replicates),
                });
            }
        }
    }
    rows
}
