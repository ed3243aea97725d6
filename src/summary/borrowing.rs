//! The posterior rule at each prior weight (issue 12): per weight, trials
//! succeeding, the posterior mean's error and the 95% credible interval's
//! coverage of the estimand's true value; in a calibration run, a histogram
//! of each trial's posterior probability of no benefit, from which the
//! threshold is calibrated ([`calibrated`]).
//!
//! Every trial is judged at every weight, so the weights' figures share
//! their trials (common random numbers): differences between weights are
//! not Monte Carlo noise.

use serde::{Deserialize, Serialize};

use super::{Figure, Welford};
use crate::decision::posterior::{Components, PosteriorThreshold};

/// Histogram bins per decade of the probability of no benefit.
pub const BINS_PER_DECADE: usize = 100;
/// Decades the histogram spans: P(no benefit) from 1 down to 1e-12.
pub const DECADES: usize = 12;
/// Bins in all; the last holds every probability of no benefit at most 1e-12.
pub const BINS: usize = BINS_PER_DECADE * DECADES + 1;
/// The lowest edge a calibration may choose: `edge(31)` = 0.510, the first
/// above 0.5.
pub const LOWEST_EDGE: usize = 31;

/// One weight's accumulator.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct WeightStats {
    /// The threshold the probability of benefit must exceed at this weight.
    pub threshold: f64,
    /// Trials whose posterior probability of benefit exceeded it.
    pub successes: u64,
    /// Trials whose analysis gave an estimate and SE.
    pub analysed: u64,
    /// Of those, trials whose equal-tailed 95% credible interval held the truth.
    pub covered: u64,
    /// Posterior mean minus the estimand's true value.
    pub error: Welford,
    /// Calibration runs only: trials by bin of `-log10 P(no benefit)` ([`bin`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tail: Vec<u64>,
}

/// Every weight's accumulator, in the order `prior.weight` (or `a0`) lists them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BorrowStats {
    pub weights: Vec<WeightStats>,
}

/// The bin of a trial whose posterior probability of no benefit is `harm`:
/// `floor(-log10(harm) · BINS_PER_DECADE)`, within `0..BINS`. A trial
/// exceeds the threshold `1 - 10^(-j / BINS_PER_DECADE)` exactly when its
/// bin is `j` or above (ties have probability 0).
pub fn bin(harm: f64) -> usize {
    if harm.is_nan() {
        return 0;
    }
    let v = -harm.log10() * BINS_PER_DECADE as f64;
    if v >= (BINS - 1) as f64 {
        BINS - 1
    } else if v > 0.0 {
        v as usize
    } else {
        0
    }
}

/// The threshold of bin edge `j`: `1 - 10^(-j / BINS_PER_DECADE)`.
pub fn edge(j: usize) -> f64 {
    1.0 - 10f64.powf(-(j as f64) / BINS_PER_DECADE as f64)
}

/// The smallest threshold on the grid of [`edge`]s whose share of the
/// histogram's `replicates` trials above it is at most `level`, and that
/// share's count. When even the top bin (P(no benefit) at most 1e-12) holds
/// more, no threshold below 1 holds the level: the answer is 1, which no
/// trial exceeds.
pub fn calibrated(tail: &[u64], replicates: u64, level: f64) -> (f64, u64) {
    // No trial analysed: nothing to calibrate on, so nothing succeeds.
    if tail.iter().all(|&c| c == 0) {
        return (1.0, 0);
    }
    let allowed = level * replicates as f64;
    let mut above = 0u64;
    // Walk down from the top bin: `above` counts bins j.. ; the answer is
    // the lowest j whose count still fits, never an edge at or below 0.5
    // (a trial would succeed with benefit no likelier than not).
    let mut best = (tail.len(), 0u64);
    for j in (LOWEST_EDGE..tail.len()).rev() {
        above += tail[j];
        if above as f64 > allowed {
            break;
        }
        best = (j, above);
    }
    if best.0 == tail.len() {
        return (1.0, 0);
    }
    (edge(best.0), best.1)
}

impl BorrowStats {
    /// Empty accumulators for these thresholds, one per weight, with
    /// histograms in a calibration run.
    pub fn empty(thresholds: &[f64], histogram: bool) -> BorrowStats {
        BorrowStats {
            weights: thresholds
                .iter()
                .map(|&threshold| WeightStats {
                    threshold,
                    tail: if histogram { vec![0; BINS] } else { Vec::new() },
                    ..WeightStats::default()
                })
                .collect(),
        }
    }

    /// Folds `other` (later replicates) into `self`.
    pub fn merge(&mut self, other: &BorrowStats) {
        for (a, b) in self.weights.iter_mut().zip(&other.weights) {
            a.successes += b.successes;
            a.analysed += b.analysed;
            a.covered += b.covered;
            a.error.merge(&b.error);
            for (x, y) in a.tail.iter_mut().zip(&b.tail) {
                *x += y;
            }
        }
    }

    /// Folds one trial: its estimate and SE (`None` when the analysis gave
    /// none) judged under each weight's rule, against the estimand's `truth`.
    /// Returns whether the first weight's rule succeeded.
    #[inline]
    pub fn record(
        &mut self,
        rules: &[PosteriorThreshold],
        result: Option<(f64, f64)>,
        truth: f64,
    ) -> bool {
        let Some((y, se)) = result else {
            return false;
        };
        let mut first = None;
        // The weights' rules share their components: each component's
        // posterior is computed once per trial.
        let mut seen = Components::default();
        for (stats, rule) in self.weights.iter_mut().zip(rules) {
            // P(no benefit) only for a calibration's histogram.
            let harm = !stats.tail.is_empty();
            let post = rule.summarise_with(y, se, Some(truth), harm, &mut seen);
            stats.analysed += 1;
            let success = post.benefit > rule.threshold();
            first.get_or_insert(success);
            if success {
                stats.successes += 1;
            }
            if (0.025..=0.975).contains(&post.below) {
                stats.covered += 1;
            }
            stats.error.push(post.mean - truth);
            if let Some(slot) = stats.tail.get_mut(bin(post.harm)) {
                *slot += 1;
            }
        }
        first.unwrap_or(false)
    }
}

/// One weight's figures over `replicates` trials.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BorrowRow {
    /// The robust mixture's weight on the adult part, or the power prior's a0.
    pub weight: f64,
    pub threshold: f64,
    /// P(success): failed analyses count as no success.
    pub success: f64,
    pub success_mc_se: f64,
    /// Posterior mean minus the true effect, over analysed trials.
    pub posterior_bias: f64,
    pub posterior_bias_mc_se: f64,
    /// Share of analysed trials whose 95% credible interval held the truth.
    pub credible_coverage: f64,
    pub credible_coverage_mc_se: f64,
}

impl BorrowRow {
    /// The figures of weight `weight` from `stats` over `replicates` trials.
    pub fn new(weight: f64, stats: &WeightStats, replicates: u64) -> BorrowRow {
        let success = Figure::rate(stats.successes, replicates);
        let bias = Figure::mean(&stats.error);
        let coverage = Figure::rate(stats.covered, stats.analysed);
        BorrowRow {
            weight,
            threshold: stats.threshold,
            success: success.value,
            success_mc_se: success.mc_se,
            posterior_bias: bias.value,
            posterior_bias_mc_se: bias.mc_se,
            credible_coverage: coverage.value,
            credible_coverage_mc_se: coverage.mc_se,
        }
    }
}

/// The posterior rule's columns of `summary.csv` at the design's weight
/// (the first), and every weight's row in the JSON.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BorrowColumns {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub posterior_threshold: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub posterior_bias: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub posterior_bias_mc_se: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub credible_coverage: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub credible_coverage_mc_se: Option<f64>,
    /// Per weight (JSON only; `trialsim borrow` writes them as rows).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub borrowing: Option<Vec<BorrowRow>>,
}

impl BorrowColumns {
    /// The columns of `stats` (none without the posterior rule), the weights
    /// as the scenario lists them.
    pub fn new(stats: Option<&BorrowStats>, weights: &[f64], replicates: u64) -> BorrowColumns {
        let Some(stats) = stats else {
            return BorrowColumns::default();
        };
        let rows: Vec<BorrowRow> = stats
            .weights
            .iter()
            .enumerate()
            .map(|(i, w)| BorrowRow::new(weights.get(i).copied().unwrap_or(1.0), w, replicates))
            .collect();
        let Some(first) = rows.first() else {
            return BorrowColumns::default();
        };
        BorrowColumns {
            posterior_threshold: Some(first.threshold),
            posterior_bias: Some(first.posterior_bias),
            posterior_bias_mc_se: Some(first.posterior_bias_mc_se),
            credible_coverage: Some(first.credible_coverage),
            credible_coverage_mc_se: Some(first.credible_coverage_mc_se),
            borrowing: (rows.len() > 1).then_some(rows),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trial_exceeds_an_edge_exactly_when_its_bin_reaches_it() {
        // In P(no benefit): below the edge's 10^(-j/100) exactly when the bin
        // is j or above; in P(benefit) the same, where doubles resolve it.
        for j in [1usize, 160, 260, 400, 1000, 1199] {
            let tail = 10f64.powf(-(j as f64) / BINS_PER_DECADE as f64);
            for harm in [tail * 0.999_999, tail * 1.000_001, tail * 0.5, tail * 2.0] {
                assert_eq!(bin(harm) >= j, harm < tail, "j {j} harm {harm}");
                if j <= 400 {
                    assert_eq!(bin(harm) >= j, 1.0 - harm > edge(j), "j {j} harm {harm}");
                }
            }
        }
        assert_eq!(bin(0.0), BINS - 1);
        assert_eq!(bin(1.0), 0);
    }

    #[test]
    fn calibration_takes_the_lowest_edge_within_the_level() {
        // 1000 trials: 10 in bin 300, 20 in bin 200, the rest in bin 0.
        let mut tail = vec![0u64; BINS];
        tail[300] = 10;
        tail[200] = 20;
        tail[0] = 970;
        // Level 0.025 allows 25: bins 201..=300 hold 10, bin 200 adds 20.
        assert_eq!(calibrated(&tail, 1000, 0.025), (edge(201), 10));
        // Level 0.03 would allow bin 1 on, but no edge at or below 0.5.
        assert_eq!(calibrated(&tail, 1000, 0.03), (edge(LOWEST_EDGE), 30));
        assert!(edge(LOWEST_EDGE) > 0.5 && edge(LOWEST_EDGE - 1) <= 0.5);
        // An empty histogram (no trial analysed) calibrates nothing.
        assert_eq!(calibrated(&vec![0; BINS], 1000, 0.05), (1.0, 0));
        // Nothing fits under level 0 above bin 300: its edge, none counted.
        assert_eq!(calibrated(&tail, 1000, 0.0), (edge(301), 0));
        // Posterior probabilities saturated at 1: no threshold below 1 holds.
        let mut saturated = vec![0u64; BINS];
        saturated[BINS - 1] = 900;
        saturated[0] = 100;
        assert_eq!(calibrated(&saturated, 1000, 0.05), (1.0, 0));
    }
}
