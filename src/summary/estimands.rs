//! Bias against MSC's own effect under each estimand strategy: the
//! accumulator and its report columns.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::scenario::intercurrent::Strategy;
use crate::stats::Welford;

/// Estimate minus MSC's own effect, per strategy (indexed by
/// [`Strategy::index`]; a strategy the analysis cannot serve stays empty).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StrategyErrors {
    errors: Vec<Welford>,
}

impl StrategyErrors {
    /// Empty accumulators for every strategy.
    pub fn new() -> StrategyErrors {
        StrategyErrors {
            errors: vec![Welford::default(); Strategy::ALL.len()],
        }
    }

    /// Adds one replicate's error under `strategy`.
    #[inline]
    pub fn push(&mut self, strategy: Strategy, error: f64) {
        self.errors[strategy.index()].push(error);
    }

    /// The errors under `strategy`.
    pub fn get(&self, strategy: Strategy) -> &Welford {
        &self.errors[strategy.index()]
    }

    /// Folds `other` (later replicates) into `self`.
    pub fn merge(&mut self, other: &StrategyErrors) {
        super::merge_vec(&mut self.errors, &other.errors, |a, b| a.merge(b));
    }
}

/// The report columns of bias by estimand (empty without intercurrent events).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct EstimandColumns {
    /// Mean estimate minus MSC's own effect (`msc_own_effect`) under each
    /// estimand strategy the analysis serves.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub bias_by_estimand: Option<BTreeMap<String, f64>>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub bias_by_estimand_mc_se: Option<BTreeMap<String, f64>>,
}

impl EstimandColumns {
    /// Reads the columns off `errors`.
    pub fn new(errors: Option<&StrategyErrors>) -> EstimandColumns {
        let by_strategy = |f: fn(&Welford) -> f64| {
            errors.map(|e| {
                Strategy::ALL
                    .iter()
                    .map(|&s| (s, e.get(s)))
                    .filter(|(_, w)| w.n > 0)
                    .map(|(s, w)| (s.name().to_string(), f(w)))
                    .collect()
            })
        };
        EstimandColumns {
            bias_by_estimand: by_strategy(|w| w.mean),
            bias_by_estimand_mc_se: by_strategy(Welford::se),
        }
    }
}
