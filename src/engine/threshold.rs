//! `decision.threshold = "calibrate"`: the smallest posterior threshold
//! whose type I error, when children do not benefit, is at most the
//! design's one-sided level (the way adaptr's `calibrate_trial` calibrates).
//!
//! For each sample size, the scenario is run with no MSC effect
//! ([`without_effect`]) on `decision.calibration_replicates` trials of its
//! own (seed XOR [`SEED_SALT`], so the figures a run reports come from
//! other trials than the calibration's; a fixed count, so a top-up or a
//! run stopped at a Monte Carlo SE keeps the thresholds), keeping each weight's
//! histogram of `-log10 P(no benefit)` ([`crate::summary::borrowing`]); the
//! threshold is the lowest histogram edge (100 per decade) leaving at most
//! `level · replicates` trials above it (1, which no trial exceeds, when
//! posterior probabilities saturate). The calibration is deterministic,
//! so every shard, top-up or thread count finds the same thresholds; it is
//! computed once per scenario and sample size in a process.

use std::sync::Mutex;

use super::{Cell, run_cell};
use crate::scenario::Scenario;
use crate::summary::borrowing;

/// Mixed into the seed of a calibration run ("calibrat").
pub const SEED_SALT: u64 = 0x6361_6c69_6272_6174;

/// Thresholds already calibrated in this process, by null scenario.
static CALIBRATED: Mutex<Vec<(String, Vec<f64>)>> = Mutex::new(Vec::new());

/// The scenario a calibration at `n` per arm runs: no effect, a fixed
/// threshold, histograms kept, its own seed.
pub fn null_scenario(scenario: &Scenario, n: usize) -> Scenario {
    let mut null = without_effect(scenario);
    null.design.n_per_arm = vec![n];
    null.simulation.replicates = scenario.decision.calibration_replicates;
    null.decision.calibrate_to = None;
    null.decision.threshold = Some(0.5);
    null.decision.tail_histogram = true;
    null.simulation.seed ^= SEED_SALT;
    null
}

/// `scenario` with no MSC effect of any kind: `effect.mean`, its prior SD,
/// every stratum's effect, and MSC's flare hazard ratio (1, no prior).
pub fn without_effect(scenario: &Scenario) -> Scenario {
    let mut null = scenario.clone();
    null.effect.mean = 0.0;
    null.effect.sd = 0.0;
    for stratum in &mut null.strata {
        stratum.effect = 0.0;
    }
    if let Some(ic) = null.intercurrent.as_mut() {
        ic.therapy.msc_hazard_ratio = 1.0;
        ic.therapy.msc_hazard_ratio_log_sd = 0.0;
    }
    null
}

/// The calibrated threshold at each prior weight for `n` per arm
/// (`scenario.decision.calibrate_to` must be set).
pub fn calibrated(scenario: &Scenario, n: usize) -> Vec<f64> {
    let level = scenario
        .decision
        .calibrate_to
        .expect("calibrated only with threshold = \"calibrate\"");
    let null = null_scenario(scenario, n);
    let key = serde_json::to_string(&null).unwrap_or_default();
    let lock = || {
        CALIBRATED
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    };
    let found = lock()
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, t)| t.clone());
    if let Some(thresholds) = found {
        return thresholds;
    }
    let cell = Cell::new(&null, n);
    let summary = run_cell(
        &cell,
        null.simulation.seed,
        null.simulation.replicates,
        &|_| {},
    );
    let thresholds: Vec<f64> = summary
        .borrowing
        .as_ref()
        .map(|b| {
            b.weights
                .iter()
                .map(|w| borrowing::calibrated(&w.tail, summary.replicates, level).0)
                .collect()
        })
        .unwrap_or_default();
    lock().push((key, thresholds.clone()));
    thresholds
}
