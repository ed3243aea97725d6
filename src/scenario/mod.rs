//! Scenario files: TOML in, a validated, typed [`Scenario`] out.
//!
//! Loading goes in two steps, as in ripgrep's low/high-level arguments: serde
//! reads the file into [`raw`] structs that mirror it, then [`validate`] checks
//! every value and fills the documented defaults. Every error names the file,
//! the key and what is allowed, on one line.

pub mod intercurrent;
pub mod preset;
pub mod raw;

use std::fmt;
use std::path::{Path, PathBuf};

pub use raw::{AnalysisKind, DesignKind, Disease, EndpointKind, Sided};
use raw::{RawPopulation, RawScenario, SampleSizes};

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

/// Reads and validates a scenario file.
///
/// # Errors
/// A [`ScenarioError`] naming the file and the key (or line) for an unreadable
/// file, a TOML syntax error, an unknown key, a wrong type or a bad value.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    let text = std::fs::read_to_string(path).map_err(|e| ScenarioError {
        file: path.to_path_buf(),
        location: Location::File,
        message: format!("cannot read the file: {e}"),
    })?;
    parse(path, &text)
}

/// Parses and validates scenario text; `path` is used in error messages only.
///
/// # Errors
/// As [`load`].
pub fn parse(path: &Path, text: &str) -> Result<Scenario, ScenarioError> {
    let syntax_error = |e: toml::de::Error| {
        let location = match e.span() {
            Some(span) => position(text, span.start),
            None => Location::File,
        };
        ScenarioError {
            file: path.to_path_buf(),
            location,
            message: format!("invalid TOML: {}", e.message().trim()),
        }
    };
    let de = toml::Deserializer::parse(text).map_err(syntax_error)?;
    let raw: RawScenario = serde_path_to_error::deserialize(de).map_err(|e| {
        let key = e.path().to_string();
        let inner = e.into_inner();
        let message = plain_types(inner.message().trim());
        let location = if key == "." || key.is_empty() {
            match inner.span() {
                Some(span) => position(text, span.start),
                None => Location::File,
            }
        } else {
            Location::Key(key)
        };
        ScenarioError {
            file: path.to_path_buf(),
            location,
            message,
        }
    })?;
    validate(path, raw)
}

/// serde names Rust types; a scenario author thinks in numbers and integers.
fn plain_types(message: &str) -> String {
    message
        .replace("expected f64", "expected a number")
        .replace("expected i64", "expected an integer")
        .replace("expected u64", "expected a non-negative integer")
}

fn position(text: &str, offset: usize) -> Location {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    Location::Position { line, column }
}

/// Checks every value of a raw scenario and fills defaults: the documented
/// constants, then the disease preset, then (for the effect) an evidence row.
///
/// # Errors
/// A [`ScenarioError`] for the first bad or missing value, naming its key and what is allowed.
pub fn validate(path: &Path, raw: RawScenario) -> Result<Scenario, ScenarioError> {
    let bad = |key: &str, message: String| ScenarioError {
        file: path.to_path_buf(),
        location: Location::Key(key.to_string()),
        message,
    };
    let mut evidence_used: Vec<String> = Vec::new();
    let mut notes: Vec<String> = Vec::new();

    let name = raw.name.trim().to_string();
    let name_ok = !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !name_ok {
        return Err(bad(
            "name",
            format!(
                "`{}` cannot name an output folder: use letters, digits, '-', '_' and '.', not starting with '.'",
                raw.name
            ),
        ));
    }

    // Disease preset and endpoint scale first: other checks depend on the scale.
    let disease = raw.population.disease;
    let strata_given = !raw.stratum.is_empty();
    let main = if strata_given {
        None
    } else {
        Some(resolve_population(
            &bad,
            &|k: &str| {
                if k == "kind" {
                    "endpoint.kind".into()
                } else {
                    format!("population.{k}")
                }
            },
            raw.endpoint.kind,
            &raw.population,
        )?)
    };
    let (scale, preset_here) = match &main {
        Some(m) => (m.scale, m.preset.as_ref()),
        // Strata carry their own scales; the pooled analysis works in SD units.
        None => (Scale::of(EndpointKind::Continuous), None),
    };
    if let Some(p) = preset_here {
        evidence_used.extend(p.rows.iter().map(|r| r.to_string()));
        notes.extend(p.note.map(str::to_string));
    }
    let d = raw.design;
    let design_kind = d.kind.unwrap_or(DesignKind::Parallel);
    let single_arm = design_kind == DesignKind::SingleArm;
    let sizes = match d.n_per_arm {
        SampleSizes::One(n) => vec![n],
        SampleSizes::Many(v) => v,
    };
    if sizes.is_empty() {
        return Err(bad(
            "design.n_per_arm",
            "the list is empty: give at least one sample size (an integer of at least 2)".into(),
        ));
    }
    let mut n_per_arm = Vec::with_capacity(sizes.len());
    for n in sizes {
        if !(2..=MAX_ARM_SIZE as i64).contains(&n) {
            return Err(bad(
                "design.n_per_arm",
                format!(
                    "{n} is not allowed: each sample size must be an integer from 2 to {MAX_ARM_SIZE}"
                ),
            ));
        }
        n_per_arm.push(n as usize);
    }
    if single_arm && d.allocation.is_some() {
        return Err(bad(
            "design.allocation",
            "has no meaning when design.kind = \"single_arm\" (every patient gets MSC): remove it"
                .into(),
        ));
    }
    let allocation = d.allocation.unwrap_or(1.0);
    if !(allocation.is_finite() && allocation > 0.0 && allocation <= 10.0) {
        return Err(bad(
            "design.allocation",
            format!(
                "{allocation} is not allowed: the MSC:control ratio must be above 0 and at most 10"
            ),
        ));
    }
    for &n in &n_per_arm {
        let msc = (allocation * n as f64).round();
        if msc < 2.0 {
            return Err(bad(
                "design.allocation",
                format!(
                    "with n_per_arm = {n} and allocation = {allocation} the MSC arm has {msc} patients; it needs at least 2"
                ),
            ));
        }
    }
    let analysis = match (design_kind, d.analysis) {
        (DesignKind::SingleArm, None | Some(AnalysisKind::PairedT)) => AnalysisKind::PairedT,
        (DesignKind::SingleArm, Some(other)) => {
            return Err(bad(
                "design.analysis",
                format!(
                    "`{other}` compares two arms; a single-arm design is analysed with \"paired_t\" (before/after on the same patients)"
                ),
            ));
        }
        (DesignKind::Parallel, Some(AnalysisKind::PairedT)) => {
            return Err(bad(
                "design.analysis",
                "\"paired_t\" is for design.kind = \"single_arm\"; a parallel design takes welch_t, ancova, wilcoxon or fisher_responder".into(),
            ));
        }
        (DesignKind::Parallel, Some(a)) => a,
        (DesignKind::Parallel, None) => {
            return Err(bad(
                "design.analysis",
                "missing: choose welch_t, ancova, wilcoxon or fisher_responder".into(),
            ));
        }
    };
    let alpha = d.alpha.unwrap_or(0.05);
    if !(alpha > 0.0 && alpha < 1.0) {
        return Err(bad(
            "design.alpha",
            format!("{alpha} is not allowed: alpha must lie strictly between 0 and 1"),
        ));
    }
    let visits_weeks = d
        .visits_weeks
        .unwrap_or_else(|| DEFAULT_VISITS_WEEKS.to_vec());
    if visits_weeks.is_empty() {
        return Err(bad(
            "design.visits_weeks",
            "the list is empty: give at least one visit week above 0 (the last is the primary visit)"
                .into(),
        ));
    }
    if visits_weeks.len() > crate::intercurrent::MAX_VISITS {
        return Err(bad(
            "design.visits_weeks",
            format!(
                "{} visits: at most {} are allowed",
                visits_weeks.len(),
                crate::intercurrent::MAX_VISITS
            ),
        ));
    }
    let mut previous = 0.0;
    for &w in &visits_weeks {
        if !(w.is_finite() && w > previous) {
            return Err(bad(
                "design.visits_weeks",
                format!("{w} is not allowed: visit weeks must be above 0 and strictly increasing"),
            ));
        }
        previous = w;
    }

    let responder_threshold = raw
        .endpoint
        .responder_threshold
        .or_else(|| preset_here.map(|p| p.responder_threshold));
    if let Some(t) = responder_threshold
        && !(t.is_finite() && t > 0.0 && t <= scale.range())
    {
        return Err(bad(
            "endpoint.responder_threshold",
            format!(
                "{t} is not allowed: the improvement that counts as a response must be above 0 and at most {} (the width of the {} scale)",
                scale.range(),
                scale.kind
            ),
        ));
    }
    if analysis == AnalysisKind::FisherResponder && responder_threshold.is_none() {
        return Err(bad(
            "endpoint.responder_threshold",
            "missing: analysis = \"fisher_responder\" needs the improvement from baseline that counts as a response (e.g. 4 for an SRI-4-like SLEDAI-2K response)".into(),
        ));
    }

    let population = main
        .as_ref()
        .map_or_else(Population::standard, |m| m.population.clone());
    let (baseline_mean, baseline_sd) = (population.baseline_mean, population.baseline_sd);
    let strata = validate_strata(
        &bad,
        &raw.stratum,
        analysis,
        &n_per_arm,
        &mut evidence_used,
        &mut notes,
    )?;
    if strata_given && (raw.endpoint.kind.is_some() || raw.population != RawPopulation::default()) {
        return Err(bad(
            "stratum",
            "a stratified scenario takes its endpoint and population from each [[stratum]]: remove [endpoint] kind and the [population] keys".into(),
        ));
    }

    if strata_given && d.allocation.is_some() {
        return Err(bad(
            "design.allocation",
            "is not supported with [[stratum]] tables yet (each stratum is randomised 1:1): remove it".into(),
        ));
    }
    if analysis == AnalysisKind::Wilcoxon {
        for &n in &n_per_arm {
            let (m, c) = ((allocation * n as f64).round(), n as f64);
            if m * c > MAX_WILCOXON_PAIRS {
                return Err(bad(
                    "design.n_per_arm",
                    format!(
                        "{n} is too large for \"wilcoxon\": its Hodges-Lehmann estimate holds every MSC-control pair ({} here, at most {MAX_WILCOXON_PAIRS}); use fewer patients or welch_t / ancova",
                        m * c
                    ),
                ));
            }
        }
    }
    if strata_given && d.enroll_above.is_some() {
        return Err(bad(
            "design.enroll_above",
            "is not supported with [[stratum]] tables, whose scales differ: remove it".into(),
        ));
    }
    if let Some(c) = d.enroll_above {
        let (lo, hi) = (scale.min, scale.max);
        if !(c.is_finite() && c >= lo && c < hi) {
            return Err(bad(
                "design.enroll_above",
                format!(
                    "{c} is outside the {} scale: patients are enrolled when their measured baseline exceeds it, so it must lie from {lo} up to (not including) {hi}",
                    scale.kind
                ),
            ));
        }
        let share = enrolment_share(&scale, baseline_mean, baseline_sd, c);
        if share < 1e-6 {
            return Err(bad(
                "design.enroll_above",
                format!(
                    "{c} is not allowed: almost no patient (share {share:.1e}) has a baseline above it with baseline_mean {baseline_mean} and baseline_sd {baseline_sd}"
                ),
            ));
        }
    }
    if let Some(r) = d.reported_improvement {
        if !single_arm {
            return Err(bad(
                "design.reported_improvement",
                "is for design.kind = \"single_arm\": it is the improvement a case series reported"
                    .into(),
            ));
        }
        if !(r.is_finite() && r > 0.0 && r <= scale.range()) {
            return Err(bad(
                "design.reported_improvement",
                format!(
                    "{r} is not allowed: the reported mean fall must be above 0 and at most {} (the width of the {} scale)",
                    scale.range(),
                    scale.kind
                ),
            ));
        }
    }

    let e = raw.effect;
    if strata_given && (e.mean.is_some() || e.from.is_some() || e.sd.is_some()) {
        return Err(bad(
            "effect",
            "a stratified scenario sets the MSC effect per stratum (stratum effect and source): remove [effect]".into(),
        ));
    }
    let (effect_mean, default_sd, default_source) = match (e.mean, e.from.as_deref()) {
        _ if strata_given => {
            let total: f64 = strata
                .iter()
                .map(|s| s.share * s.effect / s.population.change_sd)
                .sum();
            (
                total,
                0.0,
                Some(
                    strata
                        .iter()
                        .map(|s| format!("{}: {}", s.name, s.effect_source))
                        .collect::<Vec<_>>()
                        .join("; "),
                ),
            )
        }
        (Some(_), Some(_)) => {
            return Err(bad(
                "effect.from",
                "set either effect.mean or effect.from (an evidence row id), not both".into(),
            ));
        }
        (None, Some(id)) => {
            let row = crate::evidence::row(id).ok_or_else(|| {
                bad(
                    "effect.from",
                    format!("`{id}` is not an evidence row id; `trialsim evidence` lists them"),
                )
            })?;
            evidence_used.push(row.id.clone());
            (
                row.value,
                0.0,
                Some(format!("evidence row {}: {}", row.id, row.citation)),
            )
        }
        (Some(m), None) => (m, 0.0, None),
        (None, None) => match preset_here {
            Some(p) => {
                notes.push(format!(
                    "effect: the {} prior Normal({}, {}); power is at the prior mean, assurance averages power over the prior",
                    p.disease, p.prior_mean, p.prior_sd
                ));
                (p.prior_mean, p.prior_sd, Some(p.prior_source.clone()))
            }
            None => {
                return Err(bad(
                    "effect.mean",
                    "missing: set effect.mean with effect.source, or effect.from = \"<evidence row id>\", or population.disease to use the disease's prior".into(),
                ));
            }
        },
    };
    finite(&bad, "effect.mean", effect_mean)?;
    let effect_sd = e.sd.unwrap_or(default_sd);
    non_negative(&bad, "effect.sd", effect_sd)?;
    let responder_share = e.responder_share.unwrap_or(1.0);
    if !(responder_share > 0.0 && responder_share <= 1.0) {
        return Err(bad(
            "effect.responder_share",
            format!(
                "{responder_share} is not allowed: the share of patients MSC works in must be above 0 and at most 1"
            ),
        ));
    }
    let source = e.source.or(default_source).unwrap_or_default();
    if source.trim().is_empty() {
        return Err(bad(
            "effect.source",
            "missing or empty: cite where the effect size comes from (authors, journal, year), or say it is an assumption and why".into(),
        ));
    }

    let replicates = raw
        .simulation
        .replicates
        .unwrap_or(DEFAULT_REPLICATES as i64);
    if replicates < 1 {
        return Err(bad(
            "simulation.replicates",
            format!(
                "{replicates} is not allowed: the number of simulated trials must be at least 1"
            ),
        ));
    }
    let intercurrent = intercurrent::validate(
        &bad,
        raw.standard_therapy,
        raw.concomitant,
        raw.estimand,
        intercurrent::Context {
            design: design_kind,
            analysis,
            visits_weeks: &visits_weeks,
            follow_up_weeks: d.follow_up_weeks,
            responder_threshold,
            strata: strata_given,
        },
    )?;
    let mut seen = std::collections::HashSet::new();
    evidence_used.retain(|id| seen.insert(id.clone()));
    notes.dedup();

    Ok(Scenario {
        name,
        description: raw.description.trim().to_string(),
        disease,
        design: Design {
            kind: design_kind,
            n_per_arm,
            allocation,
            alpha,
            sided: d.sided.unwrap_or(Sided::Two),
            analysis,
            visits_weeks,
            enroll_above: d.enroll_above,
            reported_improvement: d.reported_improvement,
        },
        endpoint: Endpoint {
            scale,
            responder_threshold,
        },
        population,
        strata,
        effect: Effect {
            mean: effect_mean,
            sd: effect_sd,
            responder_share,
            source: source.trim().to_string(),
        },
        simulation: Simulation {
            replicates: replicates as u64,
            seed: raw.simulation.seed.unwrap_or(DEFAULT_SEED),
        },
        evidence: evidence_used,
        notes,
        intercurrent,
    })
}

/// A population resolved from user values and, where they are missing, the
/// disease preset on the same scale.
struct Resolved {
    scale: Scale,
    population: Population,
    preset: Option<preset::Preset>,
}

/// Resolves the endpoint scale and population; `key` names a field (`kind`,
/// `baseline_mean`, ...) as the file spells it, for error messages.
fn resolve_population(
    bad: &impl Fn(&str, String) -> ScenarioError,
    key: &dyn Fn(&str) -> String,
    kind: Option<EndpointKind>,
    p: &RawPopulation,
) -> Result<Resolved, ScenarioError> {
    let preset = p.disease.map(preset::preset);
    let kind = match (kind, &preset) {
        (Some(k), _) => k,
        (None, Some(pr)) => pr.endpoint,
        (None, None) => {
            return Err(bad(
                &key("kind"),
                "missing: set it (continuous, sledai2k, jadas27, pga), or set the disease (sle, mctd, jia) to use that disease's scale".into(),
            ));
        }
    };
    let scale = Scale::of(kind);
    // A preset's numbers are on its own scale; they apply only there.
    let preset = preset.filter(|pr| pr.endpoint == kind);
    let pick = |field: &str, user: Option<f64>, from: fn(&preset::Preset) -> f64| {
        user.or_else(|| preset.as_ref().map(from)).ok_or_else(|| {
            let hint = match p.disease {
                Some(d) => format!(
                    "the {d} preset describes {}, not {kind}, so set it yourself",
                    preset::preset(d).endpoint
                ),
                None => "set it, or set the disease (sle, mctd, jia) to use a preset".into(),
            };
            bad(&key(field), format!("missing: {hint}"))
        })
    };
    let baseline_mean = pick("baseline_mean", p.baseline_mean, |p| p.baseline_mean)?;
    let baseline_sd = pick("baseline_sd", p.baseline_sd, |p| p.baseline_sd)?;
    let control_change_mean = pick("control_change_mean", p.control_change_mean, |p| {
        p.control_change_mean
    })?;
    let change_sd = pick("change_sd", p.change_sd, |p| p.change_sd)?;
    finite(bad, &key("baseline_mean"), baseline_mean)?;
    finite(bad, &key("control_change_mean"), control_change_mean)?;
    non_negative(bad, &key("baseline_sd"), baseline_sd)?;
    non_negative(bad, &key("change_sd"), change_sd)?;
    if kind != EndpointKind::Continuous && !(scale.min..=scale.max).contains(&baseline_mean) {
        return Err(bad(
            &key("baseline_mean"),
            format!(
                "{baseline_mean} is outside the {kind} scale: it must lie from {} to {}",
                scale.min, scale.max
            ),
        ));
    }
    let rho = p
        .baseline_change_correlation
        .or_else(|| preset.as_ref().map(|p| p.baseline_change_correlation))
        .unwrap_or(0.0);
    if !(-1.0..=1.0).contains(&rho) {
        return Err(bad(
            &key("baseline_change_correlation"),
            format!("{rho} is not allowed: a correlation must lie from -1 to 1"),
        ));
    }
    Ok(Resolved {
        scale,
        population: Population {
            baseline_mean,
            baseline_sd,
            control_change_mean,
            change_sd,
            baseline_change_correlation: rho,
        },
        preset,
    })
}

/// Checks the `[[stratum]]` tables of a pooled trial.
fn validate_strata(
    bad: &impl Fn(&str, String) -> ScenarioError,
    raw: &[raw::RawStratum],
    analysis: AnalysisKind,
    n_per_arm: &[usize],
    evidence_used: &mut Vec<String>,
    notes: &mut Vec<String>,
) -> Result<Vec<Stratum>, ScenarioError> {
    let stratified = analysis == AnalysisKind::StratifiedAncova;
    if raw.is_empty() {
        if stratified {
            return Err(bad(
                "design.analysis",
                "\"stratified_ancova\" needs [[stratum]] tables (one per disease or subgroup)"
                    .into(),
            ));
        }
        return Ok(Vec::new());
    }
    if !stratified {
        return Err(bad(
            "design.analysis",
            format!(
                "`{analysis}` does not use strata: a scenario with [[stratum]] tables is analysed with \"stratified_ancova\""
            ),
        ));
    }
    if raw.len() > MAX_STRATA {
        return Err(bad(
            "stratum",
            format!("{} strata: at most {MAX_STRATA} are allowed", raw.len()),
        ));
    }
    let mut strata = Vec::with_capacity(raw.len());
    for (i, r) in raw.iter().enumerate() {
        let key = |k: &str| format!("stratum[{i}].{k}");
        if !(r.share.is_finite() && r.share > 0.0 && r.share <= 1.0) {
            return Err(bad(
                &key("share"),
                format!(
                    "{} is not allowed: a stratum's share of patients must be above 0 and at most 1",
                    r.share
                ),
            ));
        }
        let resolved = resolve_population(bad, &key, r.kind, &r.population())?;
        if resolved.population.change_sd <= 0.0 {
            return Err(bad(
                &key("change_sd"),
                "must be above 0: the pooled analysis measures effects in SDs of change".into(),
            ));
        }
        if let Some(p) = &resolved.preset {
            evidence_used.extend(p.rows.iter().map(|r| r.to_string()));
            notes.extend(p.note.map(str::to_string));
        }
        let (effect, effect_source) = match (r.effect, &r.source, &resolved.preset) {
            (Some(e), Some(src), _) if !src.trim().is_empty() => (e, src.trim().to_string()),
            (Some(_), _, _) => return Err(bad(&key("source"), "missing: cite the stratum's effect (authors, journal, year) or say why it is assumed".into())),
            (None, _, Some(p)) => (p.prior_mean, p.prior_source.clone()),
            (None, _, None) => return Err(bad(&key("effect"), "missing: set the stratum's MSC effect (scale units) with its source, or its disease for the preset prior".into())),
        };
        finite(bad, &key("effect"), effect)?;
        let name = r.name.clone().unwrap_or_else(|| match r.disease {
            Some(d) => d.to_string(),
            None => format!("stratum{i}"),
        });
        strata.push(Stratum {
            name,
            share: r.share,
            scale: resolved.scale,
            population: resolved.population,
            effect,
            effect_source,
        });
    }
    let total: f64 = strata.iter().map(|s| s.share).sum();
    if (total - 1.0).abs() > 1e-6 {
        return Err(bad(
            "stratum",
            format!("the shares add up to {total}; they must add up to 1"),
        ));
    }
    for &n in n_per_arm {
        for (i, size) in stratum_sizes(&strata, n).into_iter().enumerate() {
            if size < 2 {
                return Err(bad(
                    &format!("stratum[{i}].share"),
                    format!(
                        "with n_per_arm = {n} this stratum has {size} patients per arm; it needs at least 2"
                    ),
                ));
            }
        }
    }
    Ok(strata)
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

fn finite(
    bad: &impl Fn(&str, String) -> ScenarioError,
    key: &str,
    value: f64,
) -> Result<(), ScenarioError> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(bad(
            key,
            format!("{value} is not allowed: give a finite number"),
        ))
    }
}

fn non_negative(
    bad: &impl Fn(&str, String) -> ScenarioError,
    key: &str,
    value: f64,
) -> Result<(), ScenarioError> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(bad(
            key,
            format!("{value} is not allowed: a standard deviation must be 0 or more"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
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

    fn err(text: &str) -> String {
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
    fn unknown_key_is_named_with_its_path() {
        let m = err(&GOOD.replace("analysis =", "alpah = 0.1\nanalysis ="));
        assert!(m.starts_with("s.toml: key `design.alpah`"), "{m}");
        assert!(m.contains("expected one of"), "{m}");
    }

    #[test]
    fn wrong_type_names_key() {
        let m = err(&GOOD.replace("baseline_sd = 4", "baseline_sd = \"four\""));
        assert!(m.starts_with("s.toml: key `population.baseline_sd`"), "{m}");
    }

    #[test]
    fn bad_enum_lists_allowed_values() {
        let m = err(&GOOD.replace("\"welch_t\"", "\"t_test\""));
        assert!(m.contains("design.analysis"), "{m}");
        assert!(
            m.contains("welch_t") && m.contains("fisher_responder"),
            "{m}"
        );
    }

    #[test]
    fn syntax_error_gives_line() {
        let m = err("name = \n");
        assert!(m.starts_with("s.toml: line 1"), "{m}");
    }

    #[test]
    fn bad_values_are_refused() {
        for (from, to, key) in [
            (
                "n_per_arm = [10, 20]",
                "n_per_arm = [1, 20]",
                "design.n_per_arm",
            ),
            ("n_per_arm = [10, 20]", "n_per_arm = []", "design.n_per_arm"),
            ("analysis =", "alpha = 1.0\nanalysis =", "design.alpha"),
            ("analysis =", "alpha = 0.0\nanalysis =", "design.alpha"),
            (
                "baseline_sd = 4",
                "baseline_sd = -1",
                "population.baseline_sd",
            ),
            ("change_sd = 6", "change_sd = -0.1", "population.change_sd"),
            (
                "change_sd = 6",
                "change_sd = 6\nbaseline_change_correlation = 1.5",
                "population.baseline_change_correlation",
            ),
            ("source = \"assumption\"", "source = \" \"", "effect.source"),
            (
                "analysis =",
                "visits_weeks = [12, 8]\nanalysis =",
                "design.visits_weeks",
            ),
            ("name = \"t\"", "name = \"../x\"", "name"),
            (
                "\"welch_t\"",
                "\"fisher_responder\"",
                "endpoint.responder_threshold",
            ),
        ] {
            let m = err(&GOOD.replace(from, to));
            assert!(m.contains(&format!("key `{key}`")), "{to}: {m}");
        }
        let m = err(&format!("{GOOD}[simulation]\nreplicates = 0\n"));
        assert!(m.contains("key `simulation.replicates`"), "{m}");
    }
}
