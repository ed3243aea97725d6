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
pub mod validate;

use std::fmt;
use std::path::{Path, PathBuf};

pub use raw::{AnalysisKind, DesignKind, Disease, EndpointKind, Sided};

/// Default `design.visits_weeks`: one visit, 24 weeks after the first infusion,
/// the primary time point of most adult MSC lupus studies (Wang D, Arthritis Res
/// Ther 2014; Deng, Ann Rheum Dis 2017 used 6 months).
pub const DEFAULT_VISITS_WEEKS: [f64; 1] = [24.0];
/// Most MSC-control pairs a Wilcoxon analysis may hold (its Hodges-Lehmann
/// buffer: 32 MB per worker).
pub const MAX_WILCOXON_PAIRS: f64 = 4e6;
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

/// An endpoint scale: its bounds and the resolution it is recorded at.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Scale {
    pub kind: EndpointKind,
    pub min: f64,
    pub max: f64,
    /// Values are rounded to a multiple of this; 0 means no rounding.
    pub step: f64,
}

impl Scale {
    /// The scale of an endpoint kind.
    pub fn of(kind: EndpointKind) -> Scale {
        let (min, max, step) = match kind {
            EndpointKind::Continuous => (f64::NEG_INFINITY, f64::INFINITY, 0.0),
            // SLEDAI-2K: integer score 0-105 (Gladman, J Rheumatol 2002).
            EndpointKind::Sledai2k => (0.0, 105.0, 1.0),
            // JADAS-27: 0-57 (Consolaro, Arthritis Rheum 2009); ESR part is continuous,
            // so the total is kept to one decimal.
            EndpointKind::Jadas27 => (0.0, 57.0, 0.1),
            // Patient/parent global assessment: 0-10 numeric rating scale.
            EndpointKind::Pga => (0.0, 10.0, 1.0),
        };
        Scale {
            kind,
            min,
            max,
            step,
        }
    }

    /// The value a clinician would record for a latent value: kept within the
    /// scale's bounds and rounded to the nearest step (ties to even).
    #[inline]
    pub fn observe(&self, latent: f64) -> f64 {
        let bounded = latent.clamp(self.min, self.max);
        if self.step > 0.0 {
            round_ties_even_fast(bounded / self.step) * self.step
        } else {
            bounded
        }
    }

    /// The lowest latent value whose recorded value exceeds `c`: the next
    /// recordable value above `c`, less half a step (for the continuous scale, `c`).
    pub fn enrolment_cut(&self, c: f64) -> f64 {
        if self.step > 0.0 {
            let next = ((c / self.step + 1e-9).floor() + 1.0) * self.step;
            next - self.step / 2.0
        } else {
            c
        }
    }

    /// Width of the scale (infinite for the continuous endpoint).
    pub fn range(&self) -> f64 {
        self.max - self.min
    }
}

/// Rounds to the nearest integer, ties to even, for `|x| < 2^51`: adding and
/// subtracting 1.5 * 2^52 leaves no fraction bits. Unlike `f64::round` this
/// needs no libm call on baseline x86-64 (no SSE4.1), and it runs for every
/// recorded value. Bounded scales keep `x` far inside the valid range.
#[inline]
fn round_ties_even_fast(x: f64) -> f64 {
    const MAGIC: f64 = 6_755_399_441_055_744.0;
    debug_assert!(x.abs() < 2f64.powi(51));
    (x + MAGIC) - MAGIC
}

/// `[design]`, validated.
#[derive(Debug, Clone, PartialEq)]
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
}

impl Design {
    /// Arm sizes `(msc, control)` for a control-arm size `n`; a single-arm
    /// series of `n` has no control arm.
    pub fn arm_sizes(&self, n: usize) -> (usize, usize) {
        match self.kind {
            DesignKind::SingleArm => (n, 0),
            DesignKind::Parallel => ((self.allocation * n as f64).round() as usize, n),
        }
    }
}

/// `[endpoint]`, validated. Lower is better on every scale (as on SLEDAI-2K,
/// JADAS and PGA), so an improvement is a fall from baseline.
#[derive(Debug, Clone, PartialEq)]
pub struct Endpoint {
    pub scale: Scale,
    /// Improvement from baseline (in scale units) that makes a responder.
    pub responder_threshold: Option<f64>,
}

/// `[population]`, validated.
#[derive(Debug, Clone, PartialEq)]
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
#[derive(Debug, Clone, PartialEq)]
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
#[derive(Debug, Clone, PartialEq)]
pub struct Effect {
    /// MSC minus control difference in mean change at the primary visit.
    pub mean: f64,
    /// 0: fixed effect. Above 0: the prior SD, over which assurance averages.
    pub sd: f64,
    /// Share of patients MSC works in; each of them gets `mean / share`.
    pub responder_share: f64,
    pub source: String,
}

/// `[simulation]`, validated (after command-line overrides).
#[derive(Debug, Clone, PartialEq)]
pub struct Simulation {
    pub replicates: u64,
    pub seed: u64,
}

/// A validated scenario.
#[derive(Debug, Clone, PartialEq)]
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
}

/// Command-line values that replace the file's `[simulation]` keys before
/// validation (`None`: keep the file's value or its default).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Overrides {
    /// Replaces `simulation.replicates`.
    pub replicates: Option<u64>,
    /// Replaces `simulation.seed`.
    pub seed: Option<u64>,
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
/// let overrides = Overrides { replicates: Some(500), seed: None };
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

/// Patients per arm in each stratum for `n` per arm: shares rounded, the
/// last stratum taking the remainder.
pub fn stratum_sizes(strata: &[Stratum], n: usize) -> Vec<usize> {
    if strata.is_empty() {
        return Vec::new();
    }
    let mut sizes: Vec<usize> = strata
        .iter()
        .map(|s| (s.share * n as f64).round() as usize)
        .collect();
    let assigned: usize = sizes[..sizes.len() - 1].iter().sum();
    let last = sizes.len() - 1;
    sizes[last] = n.saturating_sub(assigned);
    sizes
}

/// Probability that a patient's measured baseline exceeds `c`: the latent
/// baseline must reach the lowest recordable value above `c`, less half a step.
pub fn enrolment_share(scale: &Scale, mean: f64, sd: f64, c: f64) -> f64 {
    let cut = scale.enrolment_cut(c);
    if sd == 0.0 {
        return if mean >= cut { 1.0 } else { 0.0 };
    }
    use statrs::distribution::{ContinuousCDF, Normal};
    Normal::new(mean, sd).expect("sd > 0").sf(cut)
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
    fn scales_round_and_bound() {
        let s = Scale::of(EndpointKind::Sledai2k);
        assert_eq!(s.observe(-3.2), 0.0);
        assert_eq!(s.observe(4.49), 4.0);
        assert_eq!(s.observe(4.51), 5.0);
        assert_eq!(s.observe(2.5), 2.0);
        assert_eq!(s.observe(3.5), 4.0);
        assert_eq!(s.observe(400.0), 105.0);
        let j = Scale::of(EndpointKind::Jadas27);
        assert!((j.observe(12.34) - 12.3).abs() < 1e-12);
        assert_eq!(j.observe(60.0), 57.0);
        let c = Scale::of(EndpointKind::Continuous);
        assert_eq!(c.observe(-1e300), -1e300);
        assert_eq!(c.observe(0.123456789), 0.123456789);
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
