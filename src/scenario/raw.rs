//! The scenario file exactly as written: serde structs that mirror the TOML.
//!
//! Nothing here is checked beyond its type; [`super::validate`] turns a
//! [`RawScenario`] into a [`super::Scenario`] and says what is wrong with it.
//! Every table rejects unknown keys, so a typo is an error, not a silent default.

use serde::Deserialize;

/// Top level of a scenario file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub design: RawDesign,
    #[serde(default)]
    pub endpoint: RawEndpoint,
    #[serde(default)]
    pub population: RawPopulation,
    #[serde(default)]
    pub effect: RawEffect,
    #[serde(default)]
    pub simulation: RawSimulation,
    /// Strata of a pooled trial across diseases.
    #[serde(default)]
    pub stratum: Vec<RawStratum>,
    pub standard_therapy: Option<super::intercurrent::RawStandardTherapy>,
    #[serde(default)]
    pub concomitant: Vec<super::intercurrent::RawConcomitant>,
    pub estimand: Option<super::intercurrent::RawEstimand>,
    /// How a trial's result becomes success.
    pub decision: Option<RawDecision>,
    /// The prior on the MSC effect, for `decision.rule = "posterior"`.
    pub prior: Option<RawPrior>,
    /// An observed result for the tipping point (`trialsim borrow`).
    pub observed: Option<RawObserved>,
    /// One-at-a-time variations for `trialsim sensitivity` (read there;
    /// a run ignores them).
    pub sensitivity: Option<toml::Table>,
    /// Children leaving the trial early.
    pub dropout: Option<RawDropout>,
    /// Enrolment in calendar time.
    pub accrual: Option<RawAccrual>,
    /// Interim looks and their stopping boundaries.
    pub interim: Option<RawInterim>,
    /// Adverse events and the safety stopping rule.
    pub safety: Option<super::safety::RawSafety>,
    /// Making the MSC product: failure and delay.
    pub manufacturing: Option<RawManufacturing>,
    /// The MSC arm's infusion schedule.
    #[serde(default)]
    pub infusion: Vec<RawInfusion>,
}

/// `[[infusion]]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawInfusion {
    pub week: Option<f64>,
    pub route: Option<Route>,
    pub cells_per_kg: Option<f64>,
    pub cells: Option<f64>,
}

/// `infusion.route`: recorded as given; the model weighs infusions by dose only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Route {
    Intravenous,
    Intranasal,
    LymphNode,
    IntraOsseous,
    IntraArticular,
    Other,
}

/// `[manufacturing]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawManufacturing {
    pub product: Option<Product>,
    pub failure_probability: Option<f64>,
    pub failure_by_baseline: Option<f64>,
    pub vein_to_vein_weeks: Option<RawDelay>,
    pub source: Option<String>,
}

/// `vein_to_vein_weeks = 6` or `{ mean = 6, sd = 2 }` (a gamma distribution).
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(
    untagged,
    expecting = "expected weeks (a number) or a table { mean = ..., sd = ... }"
)]
pub enum RawDelay {
    Fixed(f64),
    Spread(DelaySpread),
}

/// `{ mean = ..., sd = ... }`
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DelaySpread {
    pub mean: f64,
    pub sd: f64,
}

/// `manufacturing.product`
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Product {
    /// Made from the child's own cells: can fail, and takes weeks.
    Autologous,
    /// Off the shelf from a donor.
    Allogeneic,
}

/// `[accrual]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawAccrual {
    pub patients_per_month: Option<RawRate>,
    pub max_months: Option<f64>,
    pub source: Option<String>,
}

/// `patients_per_month = 2` or `[[0, 0.5], [6, 2]]` (`[from_month, rate]`
/// pieces: a ramp-up as sites open).
#[derive(Debug, Clone, Deserialize)]
#[serde(
    untagged,
    expecting = "expected children per month (a number) or pieces [[from_month, rate], ...]"
)]
pub enum RawRate {
    Constant(f64),
    Pieces(Vec<[f64; 2]>),
}

/// `[interim]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawInterim {
    pub information_fractions: Option<Vec<f64>>,
    pub efficacy: Option<RawSpending>,
    pub gamma: Option<f64>,
    pub futility: Option<RawFutility>,
    pub binding_futility: Option<bool>,
}

/// `interim.efficacy`
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RawSpending {
    ObrienFleming,
    Pocock,
    Hsd,
    None,
}

/// `interim.futility`: `"none"`, a z bound per interim look, or
/// `{ conditional_power_below = c }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(
    untagged,
    expecting = "expected \"none\", a z bound per interim look ([-0.5, 0.5]) or { conditional_power_below = c }"
)]
pub enum RawFutility {
    Named(RawNoFutility),
    Bounds(Vec<f64>),
    ConditionalPower(RawConditionalPower),
}

/// `futility = "none"`
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RawNoFutility {
    None,
}

/// `{ conditional_power_below = c }`
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConditionalPower {
    pub conditional_power_below: f64,
}

/// `[dropout]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDropout {
    pub hazard_per_week: Option<super::intercurrent::RawProbability>,
    /// The dropout hazard is multiplied by this after a child's first flare.
    pub hazard_ratio_after_flare: Option<f64>,
    pub source: Option<String>,
}

/// `[decision]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDecision {
    pub rule: Option<DecisionRule>,
    /// A probability, or `"calibrate"`.
    pub threshold: Option<toml::Value>,
    /// `threshold = "calibrate"`: trials without effect it is found on.
    pub calibration_replicates: Option<i64>,
}

/// `decision.rule`
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DecisionRule {
    /// A significance test at `design.alpha` (the default).
    Frequentist,
    /// Success when P(effect favours MSC | data) exceeds `decision.threshold`.
    Posterior,
}

/// `[prior]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPrior {
    pub kind: Option<PriorKind>,
    /// The analysis scale the prior is written on (checked against the analysis).
    pub scale: Option<PriorScale>,
    pub mean: Option<f64>,
    pub sd: Option<f64>,
    /// Evidence rows the informative part is built from.
    pub from: Option<Vec<String>>,
    /// With `from`: the half-normal scale of the between-trial SD (0: pooled).
    pub tau_scale: Option<f64>,
    /// With `from` and `tau_scale` above 0: normals approximating the MAP prior.
    pub map_components: Option<i64>,
    /// A number or a list (robust mixture).
    pub weight: Option<toml::Value>,
    /// A number or a list (power prior).
    pub a0: Option<toml::Value>,
    pub vague_sd: Option<f64>,
    pub source: Option<String>,
}

/// `[observed]`: a trial result whose tipping point `trialsim borrow` reports.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawObserved {
    pub estimate: Option<f64>,
    pub se: Option<f64>,
    /// An evidence row whose value and se are the result.
    pub from: Option<String>,
    pub source: Option<String>,
}

/// `prior.scale`
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PriorScale {
    /// A difference in mean change, in the endpoint's units.
    MeanDifference,
    /// A difference in responder proportions.
    RiskDifference,
    /// A log hazard ratio.
    LogHazardRatio,
}

/// `prior.kind`
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PriorKind {
    Vague,
    Normal,
    RobustMixture,
    PowerPrior,
}

/// `[[stratum]]`: one disease or subgroup of a pooled trial.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStratum {
    pub name: Option<String>,
    pub share: f64,
    pub disease: Option<Disease>,
    pub kind: Option<EndpointKind>,
    pub baseline_mean: Option<f64>,
    pub baseline_sd: Option<f64>,
    pub control_change_mean: Option<f64>,
    pub change_sd: Option<f64>,
    pub baseline_change_correlation: Option<f64>,
    /// MSC minus control difference in change, in this stratum's scale units.
    pub effect: Option<f64>,
    pub source: Option<String>,
}

impl RawStratum {
    /// The population keys, as a `[population]` table would hold them.
    pub fn population(&self) -> RawPopulation {
        RawPopulation {
            disease: self.disease,
            baseline_mean: self.baseline_mean,
            baseline_sd: self.baseline_sd,
            control_change_mean: self.control_change_mean,
            change_sd: self.change_sd,
            baseline_change_correlation: self.baseline_change_correlation,
        }
    }
}

/// `[design]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDesign {
    pub kind: Option<DesignKind>,
    pub n_per_arm: SampleSizes,
    pub allocation: Option<f64>,
    pub alpha: Option<f64>,
    pub sided: Option<Sided>,
    pub analysis: Option<AnalysisKind>,
    pub visits_weeks: Option<Vec<f64>>,
    pub enroll_above: Option<f64>,
    pub reported_improvement: Option<f64>,
    pub follow_up_weeks: Option<f64>,
    /// Randomized withdrawal: weeks of open-label MSC before response is assessed.
    pub run_in_weeks: Option<f64>,
    /// Randomized withdrawal: half-life of MSC's effect on the flare hazard
    /// in the withdrawal arm (absent: gone at randomisation).
    pub effect_half_life_weeks: Option<f64>,
    /// Randomized withdrawal: most children enrolled per randomised child.
    pub max_enrolled_per_randomised: Option<f64>,
}

/// `design.kind`
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DesignKind {
    /// MSC vs control, randomised.
    Parallel,
    /// Every patient gets MSC; before/after on the same patients.
    SingleArm,
    /// Open-label MSC run-in; responders randomised to continue or withdraw.
    RandomizedWithdrawal,
}

/// `population.disease`
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Disease {
    Sle,
    Mctd,
    Jia,
}

/// `n_per_arm = 20` or `n_per_arm = [10, 20, 30]`.
#[derive(Debug, Deserialize)]
#[serde(
    untagged,
    expecting = "expected an integer of at least 2, or a list of them"
)]
pub enum SampleSizes {
    One(i64),
    Many(Vec<i64>),
}

/// `design.sided`
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Sided {
    Two,
    One,
}

impl Sided {
    /// The level each tail is tested at: `alpha`, halved when two-sided.
    pub fn one_sided(self, alpha: f64) -> f64 {
        match self {
            Sided::Two => alpha / 2.0,
            Sided::One => alpha,
        }
    }
}

/// `design.analysis`
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AnalysisKind {
    WelchT,
    Ancova,
    Wilcoxon,
    FisherResponder,
    /// One-sample t-test on change from baseline (single-arm designs).
    PairedT,
    /// ANCOVA pooled over strata, in SD units of change (pooled trials).
    StratifiedAncova,
    /// Log-rank test of the time to first flare.
    Logrank,
    /// Cox model of the time to first flare (Efron ties), Wald test.
    Cox,
}

/// `endpoint.kind`
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EndpointKind {
    Continuous,
    Sledai2k,
    Jadas27,
    Pga,
}

/// `endpoint.kind`: a scale, or the time to the first flare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(
    untagged,
    expecting = "expected one of continuous, sledai2k, jadas27, pga, time_to_flare"
)]
pub enum RawEndpointKind {
    Scale(EndpointKind),
    Event(EventEndpoint),
}

/// The event endpoints `endpoint.kind` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventEndpoint {
    TimeToFlare,
}

/// `[endpoint]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEndpoint {
    pub kind: Option<RawEndpointKind>,
    pub responder_threshold: Option<f64>,
}

/// `[population]`
#[derive(Debug, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPopulation {
    pub disease: Option<Disease>,
    pub baseline_mean: Option<f64>,
    pub baseline_sd: Option<f64>,
    pub control_change_mean: Option<f64>,
    pub change_sd: Option<f64>,
    pub baseline_change_correlation: Option<f64>,
}

/// `[effect]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEffect {
    pub mean: Option<f64>,
    pub sd: Option<f64>,
    pub source: Option<String>,
    /// An evidence-table row id whose value becomes `mean`.
    pub from: Option<String>,
    /// With `[[infusion]]`: each infusion's effect halves every this many weeks.
    pub half_life_weeks: Option<f64>,
    /// Share of patients MSC works in (default 1: all alike).
    pub responder_share: Option<f64>,
    /// `trialsim borrow`: children's effect as multiples of the adult effect.
    pub adult_ratio: Option<Vec<f64>>,
}

/// `[simulation]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSimulation {
    pub replicates: Option<i64>,
    pub seed: Option<u64>,
}

/// Displays each enum by the name a scenario file uses for it.
macro_rules! display_as_written {
    ($ty:ty { $($variant:ident => $name:literal),+ $(,)? }) => {
        impl std::fmt::Display for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(match self { $(Self::$variant => $name),+ })
            }
        }
    };
}

display_as_written!(Sided { Two => "two", One => "one" });
display_as_written!(DecisionRule { Frequentist => "frequentist", Posterior => "posterior" });
display_as_written!(PriorScale {
    MeanDifference => "mean_difference",
    RiskDifference => "risk_difference",
    LogHazardRatio => "log_hazard_ratio",
});
display_as_written!(PriorKind {
    Vague => "vague",
    Normal => "normal",
    RobustMixture => "robust_mixture",
    PowerPrior => "power_prior",
});
display_as_written!(AnalysisKind {
    WelchT => "welch_t",
    Ancova => "ancova",
    Wilcoxon => "wilcoxon",
    FisherResponder => "fisher_responder",
    PairedT => "paired_t",
    StratifiedAncova => "stratified_ancova",
    Logrank => "logrank",
    Cox => "cox",
});
display_as_written!(DesignKind {
    Parallel => "parallel",
    SingleArm => "single_arm",
    RandomizedWithdrawal => "randomized_withdrawal",
});
display_as_written!(Disease { Sle => "sle", Mctd => "mctd", Jia => "jia" });
display_as_written!(EndpointKind {
    Continuous => "continuous",
    Sledai2k => "sledai2k",
    Jadas27 => "jadas27",
    Pga => "pga",
});
