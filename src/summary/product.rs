//! `[manufacturing]`: the share of MSC children infused, and the
//! as-infused contrast (the infused MSC children against every control
//! child, a per-protocol analysis) beside the intention-to-treat one.

use serde::{Deserialize, Serialize};

use super::Figure;
use crate::analysis::{AnalysisFailure, TestResult};
use crate::stats::Welford;

/// The as-infused figures over replicates.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProductStats {
    /// Share of the MSC arm whose product was made, per trial.
    pub infused: Welford,
    /// As-infused estimates, where the analysis ran.
    pub estimate: Welford,
    /// As-infused estimate minus MSC's effect in the children it reached.
    pub error: Welford,
    pub rejections: u64,
    pub favourable: u64,
    pub failures: u64,
    pub trials: u64,
}

impl ProductStats {
    pub fn merge(&mut self, other: &ProductStats) {
        self.infused.merge(&other.infused);
        self.estimate.merge(&other.estimate);
        self.error.merge(&other.error);
        self.rejections += other.rejections;
        self.favourable += other.favourable;
        self.failures += other.failures;
        self.trials += other.trials;
    }

    /// Folds one trial in: the infused share, the as-infused result, and
    /// whether it rejects (and favours MSC); `target` is MSC's effect in the
    /// children it reached.
    pub fn record(
        &mut self,
        infused_share: f64,
        result: Result<TestResult, AnalysisFailure>,
        (rejects, favours): (bool, bool),
        target: f64,
    ) {
        self.trials += 1;
        self.infused.push(infused_share);
        match result {
            Ok(r) => {
                self.estimate.push(r.estimate);
                self.error.push(r.estimate - target);
                if rejects {
                    self.rejections += 1;
                    if favours {
                        self.favourable += 1;
                    }
                }
            }
            Err(_) => self.failures += 1,
        }
    }
}

/// The report columns of `[manufacturing]` (absent without it).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProductColumns {
    /// Share of the MSC arm infused.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub infused_share_msc: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub infused_share_msc_mc_se: Option<f64>,
    /// The as-infused analysis: its rejection rate, in MSC's favour, mean
    /// estimate and bias against MSC's effect in the children it reached.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub as_infused_power: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub as_infused_power_mc_se: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub as_infused_power_favourable: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub as_infused_mean_estimate: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub as_infused_bias: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub as_infused_bias_mc_se: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub as_infused_failures: Option<u64>,
}

impl ProductColumns {
    pub fn new(stats: Option<&ProductStats>) -> ProductColumns {
        let Some(s) = stats else {
            return ProductColumns::default();
        };
        let power = Figure::rate(s.rejections, s.trials);
        ProductColumns {
            infused_share_msc: Some(s.infused.mean_or_nan()),
            infused_share_msc_mc_se: Some(s.infused.se()),
            as_infused_power: Some(power.value),
            as_infused_power_mc_se: Some(power.mc_se),
            as_infused_power_favourable: Some(Figure::rate(s.favourable, s.trials).value),
            as_infused_mean_estimate: Some(s.estimate.mean_or_nan()),
            as_infused_bias: Some(s.error.mean_or_nan()),
            as_infused_bias_mc_se: Some(s.error.se()),
            as_infused_failures: Some(s.failures),
        }
    }
}
