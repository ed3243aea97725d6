//! `trialsim borrow`: the posterior rule's operating characteristics over
//! the prior's weights and the children's true effect. Each pass is the
//! scenario with one fixed MSC effect: the design's (`effect.mean`), none
//! (the type I error of borrowing when children do not benefit), and each
//! `effect.adult_ratio` multiple `k` of the adult effect the prior borrows.
//! Every trial of a pass is judged at every weight (common random numbers
//! across weights); passes share the seed, so they reuse the same streams.
//!
//! The adult effect is the prior's informative mean on the analysis scale
//! for a difference in means (children's effect `k` times it). For a
//! difference in responder proportions the simulated effect is a shift in
//! the score the responder status is cut from, so there `k` multiplies
//! `effect.mean`, which the scenario sets to the adult effect on that score.

use serde::Serialize;

use super::run::run_scenario;
use crate::analysis::registry::properties;
use crate::scenario::Scenario;
use crate::summary::borrowing::BorrowRow;

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
    /// `design` (the file's effect), or `adult_ratio` (`no_effect` for 0).
    pub pass: String,
    /// Children's effect as a multiple of the adult effect (empty for the
    /// design's, unless it is one).
    pub adult_ratio: Option<f64>,
    /// `effect.mean` as simulated (the score scale).
    pub effect_mean: f64,
    /// The mean true value of the estimand over trials (the analysis scale).
    pub true_effect: f64,
    pub replicates: u64,
    #[serde(flatten)]
    pub figures: BorrowRow,
}

/// The passes of `scenario` (which has a prior that borrows): the design's
/// effect, no effect, then each `effect.adult_ratio` other than 0 whose
/// effect is not the design's (the design pass then carries that ratio).
pub fn passes(scenario: &Scenario) -> Vec<Pass> {
    let b = scenario
        .decision
        .borrowing
        .as_ref()
        .expect("borrow passes need a prior that borrows");
    let share = scenario
        .schedule
        .as_ref()
        .map_or(1.0, |s| s.share_at_primary);
    let adult = if properties(scenario.design.analysis).responder {
        scenario.effect.mean
    } else {
        b.informative_mean / share
    };
    let fixed = |mean: f64| {
        let mut s = scenario.clone();
        s.effect.mean = mean;
        s.effect.sd = 0.0;
        s
    };
    let mut ratios = vec![0.0];
    for &k in &b.adult_ratio {
        if !ratios.contains(&k) {
            ratios.push(k);
        }
    }
    let mut passes = vec![Pass {
        label: "design".into(),
        adult_ratio: None,
        scenario: fixed(scenario.effect.mean),
    }];
    // A multiple whose effect is the design's is the design pass itself.
    if let Some(&k) = ratios
        .iter()
        .find(|&&k| k != 0.0 && k * adult == scenario.effect.mean)
    {
        passes[0].adult_ratio = Some(k);
        ratios.retain(|&r| r != k);
    }
    passes.extend(ratios.into_iter().map(|k| Pass {
        label: if k == 0.0 {
            "no_effect".into()
        } else {
            format!("adult_ratio_{k}")
        },
        adult_ratio: Some(k),
        // `+ 0.0` turns -0 into 0.
        scenario: fixed(k * adult + 0.0),
    }));
    passes
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
                    true_effect: s.estimand_truth.mean,
                    replicates: s.replicates,
                    figures: BorrowRow::new(*w, stats, s.replicates),
                });
            }
        }
    }
    rows
}
