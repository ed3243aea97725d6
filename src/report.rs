//! The record types every output is derived from: one [`CellResult`] per
//! sample size, inside one [`RunReport`]. CSV, JSON, the table and the plots
//! all read these, so their columns cannot drift apart.

use serde::{Deserialize, Serialize};

use crate::analysis::EffectScale;
use crate::engine::CellRun;
use crate::evidence;
use crate::scenario::{AnalysisKind, DesignKind, Disease, EndpointKind, Scenario, Sided};
use std::collections::BTreeMap;

use crate::scenario::intercurrent::Strategy;
use crate::summary::{ArmStats, Summary, Welford, wilson_interval};

/// Results for one sample size. Estimates are MSC minus control: on the
/// endpoint scale (negative = improvement) for `welch_t`, `ancova` and
/// `wilcoxon`; as a difference in responder proportions (positive = more MSC
/// responders) for `fisher_responder`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellResult {
    /// Control-arm size as written in `design.n_per_arm`.
    pub n_per_arm: usize,
    pub n_msc: usize,
    pub n_control: usize,
    pub replicates: u64,
    pub rejections: u64,
    /// Replicates whose analysis could not run (counted as not rejecting).
    pub failures: u64,
    /// Rejection rate at the assumed effect (`effect.mean`): power, or the
    /// type I error when the effect is 0.
    pub power: f64,
    pub power_mc_se: f64,
    pub power_ci_low: f64,
    pub power_ci_high: f64,
    pub mean_estimate: f64,
    pub sd_estimate: f64,
    /// Mean over replicates of the sample-average true MSC effect on the
    /// analysis scale (equals `effect.mean` on the continuous endpoint).
    pub true_effect: f64,
    /// Mean of (estimate - that replicate's true effect).
    pub bias: f64,
    pub bias_mc_se: f64,
    /// Rejection rate with the effect drawn per trial from Normal(mean, sd):
    /// power averaged over the prior. Empty when `effect.sd` is 0.
    pub assurance: Option<f64>,
    pub assurance_mc_se: Option<f64>,
    /// Single arm: probability that the series' mean fall reaches
    /// `design.reported_improvement`. Empty otherwise.
    pub success_probability: Option<f64>,
    pub success_probability_mc_se: Option<f64>,
    /// Mean true value of the chosen estimand (equals `true_effect` without
    /// intercurrent events).
    pub estimand_value: f64,
    /// Share of replicates whose 95% interval contained the estimand's true value.
    pub coverage: f64,
    pub coverage_mc_se: f64,
    /// Intercurrent events only: probability of at least one flare by the
    /// primary visit, per arm.
    pub flare_probability: Option<PerArm>,
    pub flare_probability_mc_se: Option<PerArm>,
    /// ... of at least one flare at any time in follow-up.
    pub flare_probability_follow_up: Option<PerArm>,
    pub flare_probability_follow_up_mc_se: Option<PerArm>,
    pub flares_per_patient: Option<PerArm>,
    pub flares_per_patient_mc_se: Option<PerArm>,
    /// Probability of a flare-triggered (rescue) therapy in follow-up.
    pub rescue_probability: Option<PerArm>,
    pub rescue_probability_mc_se: Option<PerArm>,
    /// Probability of each concomitant therapy in follow-up, by name.
    pub concomitant_probability: Option<BTreeMap<String, PerArm>>,
    pub concomitant_probability_mc_se: Option<BTreeMap<String, PerArm>>,
    /// Mean estimate minus MSC's own effect under each estimand strategy.
    pub bias_by_estimand: Option<BTreeMap<String, f64>>,
    pub bias_by_estimand_mc_se: Option<BTreeMap<String, f64>>,
    /// Share of patients flare-free at each week 0, 1, ..., per arm.
    pub flare_free: Option<FlareFree>,
    pub seconds: f64,
}

/// A figure for each arm (`control` is empty in a single-arm design).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PerArm {
    pub msc: f64,
    pub control: Option<f64>,
}

/// Flare-free proportions by week.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FlareFree {
    pub msc: Vec<f64>,
    pub control: Vec<f64>,
}

fn per_arm(arms: &[ArmStats], f: impl Fn(&ArmStats) -> f64) -> Option<PerArm> {
    let msc = arms.first()?;
    Some(PerArm {
        msc: f(msc),
        control: arms.get(1).filter(|a| a.patients > 0).map(&f),
    })
}

fn by_therapy(run: &CellRun, f: impl Fn(&Welford) -> f64) -> Option<BTreeMap<String, PerArm>> {
    let arms = &run.summary.arms;
    (!arms.is_empty()).then(|| {
        run.cell
            .concomitant_names()
            .into_iter()
            .enumerate()
            .filter_map(|(i, name)| {
                per_arm(arms, |a| a.concomitant.get(i).map_or(f64::NAN, &f)).map(|p| (name, p))
            })
            .collect()
    })
}

fn by_strategy(errors: &[Welford], f: impl Fn(&Welford) -> f64) -> Option<BTreeMap<String, f64>> {
    (!errors.is_empty()).then(|| {
        Strategy::ALL
            .iter()
            .zip(errors)
            .filter(|(_, w)| w.n > 0)
            .map(|(s, w)| (s.name().to_string(), f(w)))
            .collect()
    })
}

fn rate(k: u64, n: u64) -> (f64, f64) {
    let p = k as f64 / n as f64;
    (p, (p * (1.0 - p) / n as f64).sqrt())
}

impl CellResult {
    /// Reads the figures off a finished cell.
    pub fn from_run(run: &CellRun) -> CellResult {
        let s = &run.summary;
        let (power, power_mc_se) = rate(s.rejections, s.replicates);
        let (power_ci_low, power_ci_high) = wilson_interval(s.rejections, s.replicates);
        let assurance = run
            .prior
            .as_ref()
            .map(|p: &Summary| rate(p.rejections, p.replicates));
        let success = run
            .cell
            .reports_success()
            .then(|| rate(s.successes, s.replicates));
        CellResult {
            n_per_arm: run.cell.n_per_arm,
            n_msc: run.cell.n_msc,
            n_control: run.cell.n_control,
            replicates: s.replicates,
            rejections: s.rejections,
            failures: s.failures,
            power,
            power_mc_se,
            power_ci_low,
            power_ci_high,
            mean_estimate: s.estimate.mean_or_nan(),
            sd_estimate: s.estimate.sd(),
            true_effect: s.truth.mean_or_nan(),
            bias: s.error.mean_or_nan(),
            bias_mc_se: s.error.se(),
            assurance: assurance.map(|a| a.0),
            assurance_mc_se: assurance.map(|a| a.1),
            success_probability: success.map(|a| a.0),
            success_probability_mc_se: success.map(|a| a.1),
            estimand_value: s.estimand_truth.mean_or_nan(),
            coverage: rate(s.covered, s.replicates - s.failures).0,
            coverage_mc_se: rate(s.covered, s.replicates - s.failures).1,
            flare_probability: per_arm(&s.arms, |a| a.flare_by_primary.mean),
            flare_probability_mc_se: per_arm(&s.arms, |a| a.flare_by_primary.se()),
            flare_probability_follow_up: per_arm(&s.arms, |a| a.flare_in_follow_up.mean),
            flare_probability_follow_up_mc_se: per_arm(&s.arms, |a| a.flare_in_follow_up.se()),
            flares_per_patient: per_arm(&s.arms, |a| a.flares_per_patient.mean),
            flares_per_patient_mc_se: per_arm(&s.arms, |a| a.flares_per_patient.se()),
            rescue_probability: per_arm(&s.arms, |a| a.rescue.mean),
            rescue_probability_mc_se: per_arm(&s.arms, |a| a.rescue.se()),
            concomitant_probability: by_therapy(run, |w| w.mean),
            concomitant_probability_mc_se: by_therapy(run, Welford::se),
            bias_by_estimand: by_strategy(&s.strategy_error, |w| w.mean),
            bias_by_estimand_mc_se: by_strategy(&s.strategy_error, Welford::se),
            flare_free: (!s.arms.is_empty()).then(|| {
                let curve = |a: &ArmStats| -> Vec<f64> {
                    a.flared_by_week
                        .iter()
                        .map(|&k| 1.0 - k as f64 / a.patients.max(1) as f64)
                        .collect()
                };
                FlareFree {
                    msc: curve(&s.arms[0]),
                    control: s
                        .arms
                        .get(1)
                        .filter(|a| a.patients > 0)
                        .map_or_else(Vec::new, curve),
                }
            }),
            seconds: run.seconds,
        }
    }
}

/// A whole run: the scenario's identity, the settings that produced it, and
/// one result per sample size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunReport {
    pub scenario: String,
    pub description: String,
    pub trialsim_version: String,
    pub design: DesignKind,
    pub disease: Option<Disease>,
    pub endpoint: EndpointKind,
    pub analysis: AnalysisKind,
    /// `change` (MSC - control on the endpoint scale) or `responder_difference`.
    pub estimate_scale: String,
    pub sided: Sided,
    pub alpha: f64,
    pub effect_mean: f64,
    pub effect_sd: f64,
    pub effect_source: String,
    pub enroll_above: Option<f64>,
    pub reported_improvement: Option<f64>,
    /// The estimand strategy (ICH E9(R1)); `treatment_policy` without intercurrent events.
    pub estimand: String,
    pub standard_therapy_policy: Option<String>,
    pub follow_up_weeks: f64,
    /// Pooled trial: the strata (empty otherwise). Estimates are then in SD
    /// units of each stratum's change.
    pub strata: Vec<StratumInfo>,
    /// Evidence-table rows this run's defaults came from.
    pub evidence_used: Vec<EvidenceRef>,
    /// Caveats (e.g. MCTD has no MSC data of its own).
    pub notes: Vec<String>,
    pub seed: u64,
    pub replicates: u64,
    pub threads: usize,
    pub elapsed_s: f64,
    pub results: Vec<CellResult>,
}

/// One stratum of a pooled trial, as reported.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StratumInfo {
    pub name: String,
    pub share: f64,
    pub endpoint: EndpointKind,
    /// MSC effect in the stratum's scale units, and in SD units of its change.
    pub effect: f64,
    pub effect_sd_units: f64,
    pub source: String,
}

/// An evidence row a run used: its id and citation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvidenceRef {
    pub id: String,
    pub citation: String,
}

impl RunReport {
    /// Builds the report of a finished run.
    pub fn new(scenario: &Scenario, runs: &[CellRun], threads: usize, elapsed_s: f64) -> RunReport {
        let estimate_scale = match runs.first().map(|r| r.cell.analyzer.effect_scale()) {
            Some(EffectScale::Responder { .. }) => "responder_difference",
            _ => "change",
        };
        RunReport {
            scenario: scenario.name.clone(),
            description: scenario.description.clone(),
            trialsim_version: env!("CARGO_PKG_VERSION").to_string(),
            design: scenario.design.kind,
            disease: scenario.disease,
            endpoint: scenario.endpoint.scale.kind,
            analysis: scenario.design.analysis,
            estimate_scale: estimate_scale.to_string(),
            sided: scenario.design.sided,
            alpha: scenario.design.alpha,
            effect_mean: scenario.effect.mean,
            effect_sd: scenario.effect.sd,
            effect_source: scenario.effect.source.clone(),
            enroll_above: scenario.design.enroll_above,
            reported_improvement: scenario.design.reported_improvement,
            estimand: scenario
                .intercurrent
                .as_ref()
                .map_or(Strategy::TreatmentPolicy, |ic| ic.strategy)
                .name()
                .to_string(),
            standard_therapy_policy: scenario.intercurrent.as_ref().map(|ic| {
                match ic.therapy.policy {
                    crate::scenario::intercurrent::Policy::Continue => "continue",
                    crate::scenario::intercurrent::Policy::Withdraw => "withdraw",
                }
                .to_string()
            }),
            follow_up_weeks: scenario.intercurrent.as_ref().map_or(
                *scenario.design.visits_weeks.last().expect("a visit"),
                |ic| ic.follow_up_weeks,
            ),
            strata: scenario
                .strata
                .iter()
                .map(|s| StratumInfo {
                    name: s.name.clone(),
                    share: s.share,
                    endpoint: s.scale.kind,
                    effect: s.effect,
                    effect_sd_units: s.effect / s.population.change_sd,
                    source: s.effect_source.clone(),
                })
                .collect(),
            evidence_used: scenario
                .evidence
                .iter()
                .map(|id| EvidenceRef {
                    id: id.clone(),
                    citation: evidence::row(id).map_or_else(String::new, |r| r.citation.clone()),
                })
                .collect(),
            notes: scenario.notes.clone(),
            seed: scenario.simulation.seed,
            replicates: scenario.simulation.replicates,
            threads,
            elapsed_s,
            results: runs.iter().map(CellResult::from_run).collect(),
        }
    }
}
