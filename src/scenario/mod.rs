//! Scenario files: TOML in, a validated, typed [`Scenario`] out.
//!
//! Loading goes in two steps, as in ripgrep's low/high-level arguments: serde
//! reads the file into [`raw`] structs that mirror it (`load`), then
//! [`validate`] merges the command-line [`Overrides`], checks every value
//! table by table and fills the documented defaults. Every error names the
//! file, the key and what is allowed, on one line.

pub mod intercurrent;
mod load;
pub mod preset;
pub mod raw;
pub mod safety;
pub mod validate;
pub mod warnings;

use std::fmt;
use std::path::{Path, PathBuf};

use crate::design as design_arms;

pub use crate::cohort::scale::Scale;
pub use raw::{AnalysisKind, DecisionRule, DesignKind, Disease, EndpointKind, Sided};

/// Default `design.visits_weeks`: one visit, 24 weeks after the first infusion,
/// the primary time point of most adult MSC lupus studies (Wang D, Arthritis Res
/// Ther 2014; Deng, Ann Rheum Dis 2017 used 6 months).
pub const DEFAULT_VISITS_WEEKS: [f64; 1] = [24.0];
/// Longest time a scenario may describe, in weeks after baseline (visits,
/// follow-up, hazard pieces, therapy timing): 10 years, far beyond any
/// pediatric trial, and small enough that per-week figures stay small.
pub const MAX_WEEKS: f64 = 520.0;
/// Default `simulation.replicates`: gives a Monte Carlo SE of power at most 0.005.
pub const DEFAULT_REPLICATES: u64 = 10_000;
/// Default `simulation.seed`.
pub const DEFAULT_SEED: u64 = 1;
/// Largest arm we accept: far beyond any pediatric trial, small enough that the
/// per-worker buffers and the exact Wilcoxon tables stay small.
pub const MAX_ARM_SIZE: usize = 10_000;

/// A bad scenario: which file, where in it, and what is allowed.
#[derive(Debug, Clone, PartialEq)]
pub struct ScenarioError {
    pub file: PathBuf,
    pub location: Location,
    pub message: String,
}

/// Where in the file a [`ScenarioError`] is.
#[derive(Debug, Clone, PartialEq)]
pub enum Location {
    /// A dotted key path such as `design.alpha`.
    Key(String),
    /// A line and column (1-based), for syntax errors.
    Position { line: usize, column: usize },
    /// The whole file (it could not be read).
    File,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = self.file.display();
        match &self.location {
            Location::Key(key) => write!(f, "{file}: key `{key}`: {}", self.message),
            Location::Position { line, column } => {
                write!(f, "{file}: line {line}, column {column}: {}", self.message)
            }
            Location::File => write!(f, "{file}: {}", self.message),
        }
    }
}

impl std::error::Error for ScenarioError {}

/// `[design]`, validated.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Design {
    pub kind: DesignKind,
    /// Control-arm sizes (single arm: series sizes) to simulate, in the order written.
    pub n_per_arm: Vec<usize>,
    /// MSC:control allocation ratio; the MSC arm has `round(allocation * n)`.
    pub allocation: f64,
    pub alpha: f64,
    pub sided: Sided,
    pub analysis: AnalysisKind,
    /// Visit weeks after baseline, strictly increasing; the last is primary.
    pub visits_weeks: Vec<f64>,
    /// Patients are enrolled only when their measured baseline exceeds this.
    pub enroll_above: Option<f64>,
    /// Single arm: the mean improvement a case series reported.
    pub reported_improvement: Option<f64>,
    /// Randomized withdrawal: the run-in and what withdrawal does.
    pub withdrawal: Option<Withdrawal>,
}

/// The randomized-withdrawal design's own keys, validated.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Withdrawal {
    /// Weeks of open-label MSC before response is assessed.
    pub run_in_weeks: f64,
    /// Half-life of MSC's effect on the flare hazard in the withdrawal arm
    /// (`None`: the effect is gone at randomisation).
    pub effect_half_life_weeks: Option<f64>,
    /// Enrolment stops once this many children per randomised child have
    /// entered the run-in (the trial then randomises the responders it has).
    pub max_enrolled_per_randomised: f64,
    /// `[accrual] patients_per_month`: children entering the run-in per
    /// month, at a constant rate (for the run-in phase's length; the
    /// randomized withdrawal design takes one rate, not pieces).
    pub patients_per_month: Option<f64>,
}

/// `[accrual]`, validated: children enter the trial as a Poisson process
/// in calendar time.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Accrual {
    /// `(from_month, children per month)`: the first from month 0, months
    /// increasing, the last rate above 0.
    pub pieces: Vec<(f64, f64)>,
    /// Recruitment closes at this month (`None`: when the trial is full).
    pub max_months: Option<f64>,
    pub source: String,
}

/// `interim.futility`, validated.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Futility {
    None,
    /// A z bound per interim look.
    Z(Vec<f64>),
    /// Stop when the conditional power under the observed trend is below this.
    ConditionalPowerBelow(f64),
}

/// `[interim]`, validated, with its boundaries computed once.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Interim {
    pub efficacy: crate::decision::sequential::Spending,
    pub futility: Futility,
    pub binding_futility: bool,
    /// Fractions and z bounds (futility bounds of a conditional-power rule
    /// included).
    pub boundaries: crate::decision::sequential::Boundaries,
}

/// `[dropout]`, validated.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Dropout {
    /// Each arm's dropout hazard per week before any flare.
    pub hazard: design_arms::Arms<f64>,
    /// The hazard is multiplied by this from a child's first flare on.
    pub after_flare: f64,
    pub source: String,
}

/// `[endpoint]`, validated. Lower is better on every scale (as on SLEDAI-2K,
/// JADAS and PGA), so an improvement is a fall from baseline.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Endpoint {
    pub scale: Scale,
    /// Improvement from baseline (in scale units) that makes a responder.
    pub responder_threshold: Option<f64>,
    /// The primary endpoint is the time to the first flare (`scale` is then
    /// the latent course's: run-in response, concomitant triggers).
    pub time_to_flare: bool,
}

/// `[population]`, validated.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Population {
    pub baseline_mean: f64,
    pub baseline_sd: f64,
    pub control_change_mean: f64,
    pub change_sd: f64,
    pub baseline_change_correlation: f64,
}

impl Population {
    /// Standard normal baseline and change: the scale of a stratified analysis.
    pub fn standard() -> Population {
        Population {
            baseline_mean: 0.0,
            baseline_sd: 1.0,
            control_change_mean: 0.0,
            change_sd: 1.0,
            baseline_change_correlation: 0.0,
        }
    }
}

/// One stratum of a pooled trial: its own scale, population and MSC effect.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Stratum {
    pub name: String,
    /// Share of each arm's patients.
    pub share: f64,
    pub scale: Scale,
    pub population: Population,
    /// MSC minus control difference in change, in the stratum's scale units.
    pub effect: f64,
    pub effect_source: String,
}

/// Most strata a scenario may have.
pub const MAX_STRATA: usize = 8;

/// `[effect]`, validated.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Effect {
    /// MSC minus control difference in mean change at the primary visit.
    pub mean: f64,
    /// 0: fixed effect. Above 0: the prior SD, over which assurance averages.
    pub sd: f64,
    /// Share of patients MSC works in; each of them gets `mean / share`.
    pub responder_share: f64,
    pub source: String,
    /// The evidence row the mean came from (`effect.from`), if any.
    pub from: Option<String>,
}

/// `[decision]` and `[prior]`, validated.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DecisionSpec {
    pub rule: DecisionRule,
    /// Posterior rule: the probability of benefit a trial must exceed
    /// (`None` with `threshold = "calibrate"`: found per sample size and
    /// weight by simulation, see [`crate::engine::threshold`]).
    pub threshold: Option<f64>,
    /// `threshold = "calibrate"`: the one-sided type I error the threshold is
    /// calibrated to (`design.alpha`, halved for a two-sided design).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calibrate_to: Option<f64>,
    /// `threshold = "calibrate"`: the trials without effect it is found on
    /// (0 otherwise).
    #[serde(skip_serializing_if = "is_zero")]
    pub calibration_replicates: u64,
    /// Posterior rule: the prior on the MSC effect as mixture components
    /// `(weight, mean, sd)` on the analysis scale, at the design's weight.
    pub prior: Vec<(f64, f64, f64)>,
    pub prior_source: String,
    /// An informative prior: its weights, the prior at each, what it borrows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub borrowing: Option<Borrowing>,
    /// Internal: a calibration run keeps each weight's histogram of
    /// posterior probabilities.
    #[serde(skip)]
    pub tail_histogram: bool,
    /// Internal (`trialsim borrow`): per sample size, the population effect
    /// posterior bias and coverage are measured against, instead of each
    /// trial's own.
    #[serde(skip)]
    pub population_truth: Vec<(usize, f64)>,
}

/// A prior that borrows: its informative part, the weights to report
/// (the first is the design's), and what `trialsim borrow` varies.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Borrowing {
    pub kind: raw::PriorKind,
    /// The robust mixture's weights on the informative part, or the power
    /// prior's `a0`s, in file order (one, 1, for a normal prior).
    pub weights: Vec<f64>,
    /// The prior's components at each weight.
    pub priors: Vec<Vec<(f64, f64, f64)>>,
    /// The informative part's mean and SD (a MAP prior's predictive moments).
    pub informative_mean: f64,
    pub informative_sd: f64,
    /// The informative part as mixture components.
    pub informative: Vec<(f64, f64, f64)>,
    /// The vague (skeptical) component's SD, centred on no effect.
    pub vague_sd: f64,
    /// Its effective sample size in children per arm: the unit-information
    /// variance over the informative part's variance.
    pub ess: f64,
    /// The unit-information SD the ESS is relative to.
    pub unit_sd: f64,
    /// Evidence rows the informative part came from, and how it was built.
    pub from: Vec<String>,
    pub built: String,
    /// `effect.adult_ratio`: children's true effect as multiples of the adult one.
    pub adult_ratio: Vec<f64>,
    /// `[observed]`: a result `(estimate, se)` for the tipping point.
    pub observed: Option<(f64, f64)>,
    pub observed_source: String,
}

/// For serde: a count that is 0 is not written.
fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Borrowing {
    /// The prior at `weight` (a robust mixture's weight on the informative
    /// part, or a power prior's `a0`) as components `(weight, mean, sd)`.
    pub fn prior_at(&self, weight: f64) -> Vec<(f64, f64, f64)> {
        let vague = (1.0, 0.0, self.vague_sd);
        match self.kind {
            raw::PriorKind::RobustMixture => {
                let mut comps: Vec<_> = self
                    .informative
                    .iter()
                    .map(|&(k, m, s)| (weight * k, m, s))
                    .collect();
                comps.push((1.0 - weight, 0.0, self.vague_sd));
                comps
            }
            // The adult likelihood to the power a0 is a normal with its
            // variance divided by a0 (a flat initial prior); a0 = 0 borrows
            // nothing and leaves the vague prior.
            raw::PriorKind::PowerPrior if weight > 0.0 => {
                vec![(
                    1.0,
                    self.informative_mean,
                    self.informative_sd / weight.sqrt(),
                )]
            }
            raw::PriorKind::PowerPrior | raw::PriorKind::Vague => vec![vague],
            raw::PriorKind::Normal => self.informative.clone(),
        }
    }
}

impl DecisionSpec {
    /// Today's default: a significance test at `design.alpha`.
    pub fn frequentist() -> DecisionSpec {
        DecisionSpec {
            rule: DecisionRule::Frequentist,
            threshold: None,
            calibrate_to: None,
            calibration_replicates: 0,
            prior: Vec::new(),
            prior_source: String::new(),
            borrowing: None,
            tail_histogram: false,
            population_truth: Vec::new(),
        }
    }

    /// The prior at each weight reported (one prior without borrowing).
    pub fn priors(&self) -> Vec<Vec<(f64, f64, f64)>> {
        match &self.borrowing {
            Some(b) => b.priors.clone(),
            None => vec![self.prior.clone()],
        }
    }
}

/// `[simulation]`, validated (after command-line overrides).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Simulation {
    pub replicates: u64,
    pub seed: u64,
}

/// A validated scenario.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Scenario {
    pub name: String,
    pub description: String,
    pub disease: Option<Disease>,
    pub design: Design,
    pub endpoint: Endpoint,
    pub population: Population,
    pub effect: Effect,
    pub simulation: Simulation,
    /// Strata of a pooled trial (empty otherwise); `population` then is unused.
    pub strata: Vec<Stratum>,
    /// Evidence-table rows the scenario's defaults came from.
    pub evidence: Vec<String>,
    /// Caveats printed with every run (e.g. MCTD's missing data).
    pub notes: Vec<String>,
    /// Standard therapy, flares, concomitant therapies and the estimand
    /// (`None`: the core engine's world, nothing happens between visits).
    pub intercurrent: Option<intercurrent::Intercurrent>,
    /// How a trial's result becomes success.
    pub decision: DecisionSpec,
    /// Children leaving the trial early (`None`: nobody does).
    pub dropout: Option<Dropout>,
    /// Adverse events and the safety stopping rule.
    pub safety: Option<safety::Safety>,
    /// Making the MSC product (`None`: every MSC child is infused at week 0).
    pub manufacturing: Option<Manufacturing>,
    /// The MSC arm's infusion schedule (`None`: one infusion at week 0).
    pub schedule: Option<Schedule>,
    /// Children's calendar entry (`None`: calendar time is not modelled).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accrual: Option<Accrual>,
    /// Interim looks (`None`: one analysis at the end).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interim: Option<Interim>,
}

/// `[[infusion]]` and `effect.half_life_weeks`, validated.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Schedule {
    /// `(week, route, dose)` per infusion, in file order; doses in one unit.
    pub infusions: Vec<(f64, raw::Route, f64)>,
    /// `None`: no waning.
    pub half_life_weeks: Option<f64>,
    /// The share of `effect.mean` MSC has at the primary visit: each
    /// infusion adds its share of the total dose, halved every half-life
    /// from its week to the primary visit.
    pub share_at_primary: f64,
}

/// `[manufacturing]`, validated.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Manufacturing {
    pub product: raw::Product,
    /// Marginal probability that a child's product cannot be made.
    pub failure_probability: f64,
    /// Probit slope of failure on the baseline, per baseline SD (above 0:
    /// sicker children's products fail more often).
    pub failure_by_baseline: f64,
    /// Weeks from randomisation to infusion: the mean, and the SD of the
    /// gamma distribution each child's delay is drawn from (0: fixed).
    pub vein_to_vein_weeks: f64,
    pub vein_to_vein_sd: f64,
    pub source: String,
}

/// Command-line values that replace the file's `[simulation]` keys before
/// validation (`None`: keep the file's value or its default).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    /// Replaces `simulation.replicates`.
    pub replicates: Option<u64>,
    /// Replaces `simulation.seed`.
    pub seed: Option<u64>,
    /// Replaces `design.n_per_arm` (`trialsim design` searches a range).
    pub n_per_arm: Option<Vec<usize>>,
}

/// Reads and validates a scenario file.
///
/// # Errors
/// A [`ScenarioError`] naming the file and the key (or line) for an unreadable
/// file, a TOML syntax error, an unknown key, a wrong type or a bad value.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    load_with(path, &Overrides::default())
}

/// Reads a scenario file, merges the command-line `overrides` into it and
/// validates the result.
///
/// # Errors
/// As [`load`]; a bad override is reported like the file value it replaces.
pub fn load_with(path: &Path, overrides: &Overrides) -> Result<Scenario, ScenarioError> {
    let text = std::fs::read_to_string(path).map_err(|e| ScenarioError {
        file: path.to_path_buf(),
        location: Location::File,
        message: format!("cannot read the file: {e}"),
    })?;
    parse_with(path, &text, overrides)
}

/// Parses and validates scenario text; `path` is used in error messages only.
///
/// # Errors
/// As [`load`].
pub fn parse(path: &Path, text: &str) -> Result<Scenario, ScenarioError> {
    parse_with(path, text, &Overrides::default())
}

/// Parses scenario text, merges the command-line `overrides` into it and
/// validates the result; `path` is used in error messages only.
///
/// ```
/// use std::path::Path;
/// use trialsim::scenario::{Overrides, parse_with};
///
/// let text = r#"
/// name = "t"
/// [design]
/// n_per_arm = 10
/// analysis = "welch_t"
/// [population]
/// disease = "sle"
/// [simulation]
/// replicates = 100
/// "#;
/// let overrides = Overrides { replicates: Some(500), seed: None, n_per_arm: None };
/// let s = parse_with(Path::new("t.toml"), text, &overrides).unwrap();
/// assert_eq!(s.simulation.replicates, 500);
/// ```
///
/// # Errors
/// As [`load`]; a bad override is reported like the file value it replaces.
pub fn parse_with(
    path: &Path,
    text: &str,
    overrides: &Overrides,
) -> Result<Scenario, ScenarioError> {
    validate::validate(path, load::raw(path, text)?, overrides)
}

/// Reads and validates a scenario file, reporting every problem found
/// (see [`validate::validate_all`]) rather than only the first: for `check`.
///
/// # Errors
/// Every [`ScenarioError`] found (one for an unreadable file or a syntax error).
pub fn load_all(path: &Path) -> Result<Scenario, Vec<ScenarioError>> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        vec![ScenarioError {
            file: path.to_path_buf(),
            location: Location::File,
            message: format!("cannot read the file: {e}"),
        }]
    })?;
    let raw = load::raw(path, &text).map_err(|e| vec![e])?;
    validate::validate_all(path, raw, &Overrides::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small valid scenario that other modules' tests edit.
    pub(crate) const GOOD: &str = r#"
name = "t"
[design]
n_per_arm = [10, 20]
analysis = "welch_t"
[endpoint]
kind = "continuous"
[population]
baseline_mean = 11
baseline_sd = 4
control_change_mean = -5
change_sd = 6
[effect]
mean = -2.5
source = "assumption"
"#;

    /// The message `parse` gives for `text`, which must be refused.
    pub(crate) fn err(text: &str) -> String {
        parse(Path::new("s.toml"), text).unwrap_err().to_string()
    }

    #[test]
    fn load_all_reports_every_independent_problem() {
        let dir = std::env::temp_dir().join(format!("trialsim-load-all-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("s.toml");
        let text = GOOD
            .replace("analysis =", "alpha = 2.0\nanalysis =")
            .replace("change_sd = 6", "change_sd = -1")
            .replace("source = \"assumption\"", "source = \"\"");
        std::fs::write(&path, text).unwrap();
        let errors = load_all(&path).unwrap_err();
        let keys: Vec<String> = errors
            .iter()
            .map(|e| match &e.location {
                Location::Key(k) => k.clone(),
                other => format!("{other:?}"),
            })
            .collect();
        // The population is checked first; [design] and [effect] still report.
        assert_eq!(keys[0], "population.change_sd");
        assert!(keys.contains(&"design.alpha".to_string()), "{keys:?}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn good_file_fills_defaults() {
        let s = parse(Path::new("s.toml"), GOOD).unwrap();
        assert_eq!(s.design.n_per_arm, vec![10, 20]);
        assert_eq!(s.design.alpha, 0.05);
        assert_eq!(s.design.sided, Sided::Two);
        assert_eq!(s.design.visits_weeks, vec![24.0]);
        assert_eq!(s.simulation.replicates, DEFAULT_REPLICATES);
        assert_eq!(s.population.baseline_change_correlation, 0.0);
    }

    #[test]
    fn load_with_reads_the_file_and_applies_overrides() {
        let s = load_with(
            Path::new("scenarios/textbook_continuous.toml"),
            &Overrides {
                replicates: Some(3),
                seed: Some(4),
                n_per_arm: None,
            },
        )
        .unwrap();
        assert_eq!(
            s.simulation,
            Simulation {
                replicates: 3,
                seed: 4
            }
        );
        let m = load_with(Path::new("no/such.toml"), &Overrides::default()).unwrap_err();
        assert_eq!(m.location, Location::File);
    }
}
