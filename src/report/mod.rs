//! The record types every output is derived from: one [`CellResult`] per
//! sample size, inside one [`RunReport`]. CSV, JSON, the table and the plots
//! all read these, so their columns cannot drift apart.
//!
//! A report is built from the scenario and the cells' summaries alone, never
//! from the engine's prepared cells; each feature's columns come from its
//! accumulator's file in [`crate::summary`].

pub mod bench;

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

use crate::analysis::registry;
use crate::design;
use crate::engine::CellRun;
use crate::evidence;
use crate::scenario::intercurrent::Strategy;
use crate::scenario::{AnalysisKind, DesignKind, Disease, EndpointKind, Scenario, Sided};
use crate::summary::borrowing::BorrowColumns;
use crate::summary::estimands::EstimandColumns;
use crate::summary::flares::{FlareColumns, FlareCurve};
use crate::summary::looks::LookColumns;
use crate::summary::product::ProductColumns;
use crate::summary::safety::SafetyColumns;
use crate::summary::survival::{KmBand, SurvivalColumns};
use crate::summary::{FailureReasons, Figure, Summary, wilson_interval};

pub use crate::summary::flares::{FlareFree, PerArm};

/// Results for one sample size. Estimates are MSC minus control: on the
/// endpoint scale (negative = improvement) for `welch_t`, `ancova` and
/// `wilcoxon`; as a difference in responder proportions (positive = more MSC
/// responders) for `fisher_responder`. A figure that is not defined (every
/// analysis failed, or fewer than 2 replicates for an SE) is `null` in JSON
/// and an empty cell in CSV; a field that does not apply to the scenario
/// (no prior, no intercurrent events) is absent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CellResult {
    /// Control-arm size as written in `design.n_per_arm`.
    pub n_per_arm: usize,
    pub n_msc: usize,
    pub n_control: usize,
    pub replicates: u64,
    /// Replicates whose test rejected the null, in either direction when two-sided.
    pub rejections: u64,
    /// Replicates whose analysis could not run (counted as not rejecting).
    pub failures: u64,
    /// The failures by reason.
    pub failure_reasons: FailureReasons,
    /// Rejection rate at the assumed effect (`effect.mean`), in either
    /// direction when two-sided: power, or the type I error when the effect is 0.
    pub power: f64,
    pub power_mc_se: f64,
    pub power_ci_low: f64,
    pub power_ci_high: f64,
    /// Rate of a significant result in MSC's favour (equals `power` for a
    /// one-sided test): what "the trial succeeds" means.
    pub power_favourable: f64,
    pub power_favourable_mc_se: f64,
    pub mean_estimate: f64,
    pub sd_estimate: f64,
    /// MSC's own effect: mean over replicates of the sample-average effect of
    /// MSC itself (each patient's two potential outcomes, no concomitant
    /// therapy) on the analysis scale. Equals `effect.mean` on the continuous
    /// endpoint without intercurrent events; scale floors and steps move it.
    pub msc_own_effect: f64,
    /// Mean of (estimate - that replicate's MSC own effect).
    pub bias_vs_own_effect: f64,
    pub bias_vs_own_effect_mc_se: f64,
    /// Probability of success over the effect prior: the rate of a
    /// significant result in MSC's favour with the effect drawn per trial
    /// from Normal(mean, sd). Only when `effect.sd` is above 0.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub assurance: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub assurance_mc_se: Option<f64>,
    /// Single arm: probability that the series' mean fall reaches
    /// `design.reported_improvement`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub success_probability: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub success_probability_mc_se: Option<f64>,
    /// Mean true value of the chosen estimand (equals `msc_own_effect` without
    /// intercurrent events).
    pub estimand_value: f64,
    /// Mean of (estimate - that replicate's true estimand value): the bias of
    /// the estimator for what it targets.
    pub bias_vs_estimand: f64,
    pub bias_vs_estimand_mc_se: f64,
    /// Share of replicates whose 95% interval contained the estimand's true value.
    pub coverage: f64,
    pub coverage_mc_se: f64,
    /// Intercurrent events only: flares and therapies per arm.
    #[serde(flatten)]
    pub flares: FlareColumns,
    /// Intercurrent events only: bias against MSC's own effect by estimand.
    #[serde(flatten)]
    pub estimands: EstimandColumns,
    /// Intercurrent events only: the flare-free curve.
    #[serde(flatten)]
    pub flare_curve: FlareCurve,
    /// Time to flare only: per-arm Kaplan-Meier figures, dropout, the run-in.
    #[serde(flatten)]
    pub survival: SurvivalColumns,
    /// Time to flare only: the Kaplan-Meier curves' pointwise band over trials.
    #[serde(flatten)]
    pub km_band: KmBand,
    /// `[safety]` only: adverse events per arm and the stopping rule.
    #[serde(flatten)]
    pub safety: SafetyColumns,
    /// `[manufacturing]` only: the infused share and the as-infused contrast.
    #[serde(flatten)]
    pub product: ProductColumns,
    /// `[accrual]` on a parallel design only: the trial's length, children
    /// at the stop and (`[interim]`) the looks.
    #[serde(flatten)]
    pub looks: LookColumns,
    /// `decision.rule = "posterior"` only: the threshold, the posterior
    /// mean's bias and the credible interval's coverage (and each weight's
    /// figures in the JSON).
    #[serde(flatten)]
    pub borrow: BorrowColumns,
    pub seconds: f64,
}

impl CellResult {
    /// Reads the figures off a finished cell of `scenario`.
    pub fn new(scenario: &Scenario, run: &CellRun) -> CellResult {
        let s = &run.summary;
        let sizes = design::arm_sizes(&scenario.design, run.n_per_arm);
        let power = s.power();
        let favourable = s.favourable_power();
        let (power_ci_low, power_ci_high) = wilson_interval(s.rejections, s.replicates);
        let assurance = run.prior.as_ref().map(Summary::favourable_power);
        let success = scenario
            .design
            .reported_improvement
            .map(|_| Figure::rate(s.successes, s.replicates));
        let coverage = Figure::rate(s.covered, s.replicates - s.failures);
        CellResult {
            n_per_arm: run.n_per_arm,
            n_msc: sizes.msc,
            n_control: sizes.control,
            replicates: s.replicates,
            rejections: s.rejections,
            failures: s.failures,
            failure_reasons: s.failure_reasons,
            power: power.value,
            power_mc_se: power.mc_se,
            power_ci_low,
            power_ci_high,
            power_favourable: favourable.value,
            power_favourable_mc_se: favourable.mc_se,
            mean_estimate: s.estimate.mean_or_nan(),
            sd_estimate: s.estimate.sd_or_nan(),
            msc_own_effect: s.truth.mean_or_nan(),
            bias_vs_own_effect: s.error.mean_or_nan(),
            bias_vs_own_effect_mc_se: s.error.se(),
            assurance: assurance.map(|a| a.value),
            assurance_mc_se: assurance.map(|a| a.mc_se),
            success_probability: success.map(|a| a.value),
            success_probability_mc_se: success.map(|a| a.mc_se),
            estimand_value: s.estimand_truth.mean_or_nan(),
            bias_vs_estimand: s.estimand_error.mean_or_nan(),
            bias_vs_estimand_mc_se: s.estimand_error.se(),
            coverage: coverage.value,
            coverage_mc_se: coverage.mc_se,
            flares: FlareColumns::new(s.flares.as_ref(), &therapy_names(scenario)),
            estimands: EstimandColumns::new(s.estimands.as_ref()),
            flare_curve: FlareCurve::new(s.flares.as_ref()),
            survival: SurvivalColumns::new(
                s.survival.as_ref(),
                sizes.total(),
                scenario
                    .design
                    .withdrawal
                    .as_ref()
                    .map(|w| (w.run_in_weeks, w.patients_per_month)),
            ),
            km_band: KmBand::new(s.survival.as_ref()),
            product: ProductColumns::new(s.product.as_ref()),
            looks: LookColumns::new(
                s.looks.as_ref(),
                crate::decision::sequential::of(scenario).as_ref(),
                run.n_per_arm,
                scenario
                    .accrual
                    .as_ref()
                    .is_some_and(|a| a.max_months.is_some()),
                // A responder difference favours MSC upwards; a change or a
                // log hazard ratio downwards.
                if registry::properties(scenario.design.analysis).responder {
                    1.0
                } else {
                    -1.0
                },
            ),
            borrow: BorrowColumns::new(
                s.borrowing.as_ref(),
                &scenario
                    .decision
                    .borrowing
                    .as_ref()
                    .map_or_else(|| vec![1.0], |b| b.weights.clone()),
                s.replicates,
            ),
            safety: SafetyColumns::new(
                s.safety.as_ref(),
                &scenario.safety.as_ref().map_or_else(Vec::new, |x| {
                    x.events.iter().map(|e| e.name.clone()).collect()
                }),
                scenario
                    .safety
                    .as_ref()
                    .is_some_and(|x| x.stopping.is_some()),
            ),
            seconds: run.seconds,
        }
    }

    /// A warning when a randomized withdrawal's enrolment often stopped at
    /// its cap (at least [`FAILURE_WARNING_SHARE`] of trials) with arms short.
    pub fn run_in_warning(&self, scenario: &str) -> Option<String> {
        let short = self.survival.run_in_short_share?;
        (short >= FAILURE_WARNING_SHARE).then(|| {
            format!(
                "{scenario}, n {}:{}: {:.1}% of trials reached design.max_enrolled_per_randomised before both arms were full (run-in response rate {:.3}); they randomised fewer children. Raise the cap or lower endpoint.responder_threshold",
                self.n_msc,
                self.n_control,
                100.0 * short,
                self.survival.run_in_response_rate.unwrap_or(f64::NAN)
            )
        })
    }

    /// A warning when this cell's analyses failed often enough to matter
    /// (every one, or at least [`FAILURE_WARNING_SHARE`] of them).
    pub fn failure_warning(&self, scenario: &str) -> Option<String> {
        let share = self.failures as f64 / self.replicates.max(1) as f64;
        if self.failures == 0 || share < FAILURE_WARNING_SHARE {
            return None;
        }
        let reason = self
            .failure_reasons
            .commonest()
            .map_or_else(String::new, |f| format!(" (commonest reason: {f})"));
        let cell = format!("{scenario}, n {}:{}", self.n_msc, self.n_control);
        Some(if self.failures == self.replicates {
            format!(
                "{cell}: every one of the {} trials failed its analysis{reason}; power counts failures as not rejecting and the estimates are undefined",
                self.replicates
            )
        } else {
            format!(
                "{cell}: {} of {} trials ({:.1}%) failed their analysis{reason}; failures count as not rejecting and are left out of the estimates",
                self.failures,
                self.replicates,
                100.0 * share
            )
        })
    }
}

/// Share of failed analyses in a cell above which a run warns.
pub const FAILURE_WARNING_SHARE: f64 = 0.05;

/// Names of the concomitant therapies, in file order.
fn therapy_names(scenario: &Scenario) -> Vec<String> {
    scenario.intercurrent.as_ref().map_or_else(Vec::new, |ic| {
        ic.concomitants.iter().map(|c| c.name.clone()).collect()
    })
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
    /// `change` (MSC - control on the endpoint scale), `responder_difference`,
    /// or `log_hazard_ratio` (of the first flare, MSC against control).
    pub estimate_scale: String,
    /// Time to flare: the MSC flare hazard ratio assumed (the median of its
    /// prior when it has one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub msc_flare_hazard_ratio: Option<f64>,
    /// `[[infusion]]`: how many infusions, and the share of `effect.mean` MSC
    /// has at the primary visit under the schedule and its waning.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub infusions: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effect_share_at_primary: Option<f64>,
    /// Time to flare: the SD of the hazard ratio's log-normal prior (0: none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub msc_flare_hazard_ratio_log_sd: Option<f64>,
    pub sided: Sided,
    pub alpha: f64,
    pub effect_mean: f64,
    pub effect_sd: f64,
    pub effect_source: String,
    pub enroll_above: Option<f64>,
    pub reported_improvement: Option<f64>,
    /// How a trial succeeds: "frequentist" (significance at `alpha`) or the
    /// posterior rule with its threshold and prior.
    pub decision: String,
    /// The estimand strategy (ICH E9(R1)); `treatment_policy` without intercurrent events.
    pub estimand: String,
    pub standard_therapy_policy: Option<String>,
    pub follow_up_weeks: f64,
    /// Week of the primary visit (the last of `design.visits_weeks`).
    pub primary_week: f64,
    /// The arms that withdraw standard therapy (`msc`, `control`; empty when none).
    pub withdrawing_arms: Vec<String>,
    /// With standard therapy withdrawn: the week withdrawal starts.
    pub withdraw_week: Option<f64>,
    /// With standard therapy withdrawn: the weeks over which it is tapered
    /// (0: stopped at once). Empty when no arm withdraws.
    pub taper_weeks: Option<f64>,
    /// Whether any flare hazard is above zero (else no flare can happen).
    pub flares_possible: bool,
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
    /// Plausibility warnings about the scenario and warnings about the run
    /// (cells whose analyses often failed); also printed on stderr.
    pub warnings: Vec<String>,
    pub results: Vec<CellResult>,
    /// Every resolved input after presets, evidence rows and command-line
    /// overrides: the validated scenario the run simulated (its JSON form).
    pub inputs: serde_json::Value,
    /// `run --report`: the scenario file for `report.html` (not in the JSON).
    #[serde(skip)]
    pub html: Option<crate::export::html::Source>,
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
        let properties = registry::properties(scenario.design.analysis);
        let estimate_scale = if properties.time_to_event {
            "log_hazard_ratio"
        } else if properties.responder {
            "responder_difference"
        } else {
            "change"
        };
        let mut report = RunReport {
            scenario: scenario.name.clone(),
            description: scenario.description.clone(),
            trialsim_version: env!("CARGO_PKG_VERSION").to_string(),
            design: scenario.design.kind,
            disease: scenario.disease,
            endpoint: scenario.endpoint.scale.kind,
            analysis: scenario.design.analysis,
            estimate_scale: estimate_scale.to_string(),
            msc_flare_hazard_ratio: scenario
                .intercurrent
                .as_ref()
                .filter(|_| scenario.endpoint.time_to_flare)
                .map(|ic| ic.therapy.msc_hazard_ratio),
            infusions: scenario.schedule.as_ref().map(|s| s.infusions.len()),
            effect_share_at_primary: scenario.schedule.as_ref().map(|s| s.share_at_primary),
            msc_flare_hazard_ratio_log_sd: scenario
                .intercurrent
                .as_ref()
                .filter(|_| scenario.endpoint.time_to_flare)
                .map(|ic| ic.therapy.msc_hazard_ratio_log_sd),
            sided: scenario.design.sided,
            alpha: scenario.design.alpha,
            effect_mean: scenario.effect.mean,
            effect_sd: scenario.effect.sd,
            effect_source: scenario.effect.source.clone(),
            enroll_above: scenario.design.enroll_above,
            reported_improvement: scenario.design.reported_improvement,
            decision: describe_decision(scenario),
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
            primary_week: *scenario
                .design
                .visits_weeks
                .last()
                .expect("validated: a visit"),
            withdrawing_arms: scenario.intercurrent.as_ref().map_or_else(Vec::new, |ic| {
                ic.therapy
                    .withdraws
                    .iter()
                    .filter(|(_, w)| **w)
                    .map(|(arm, _)| arm.name().to_string())
                    .collect()
            }),
            withdraw_week: scenario.intercurrent.as_ref().and_then(|ic| {
                let t = &ic.therapy;
                (t.withdraws.msc || t.withdraws.control).then_some(t.withdraw_week)
            }),
            taper_weeks: scenario.intercurrent.as_ref().and_then(|ic| {
                let t = &ic.therapy;
                (t.withdraws.msc || t.withdraws.control).then_some(t.taper_weeks)
            }),
            flares_possible: scenario
                .intercurrent
                .as_ref()
                .is_some_and(|ic| ic.therapy.has_flares()),
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
            warnings: Vec::new(),
            results: runs.iter().map(|r| CellResult::new(scenario, r)).collect(),
            inputs: serde_json::to_value(scenario).unwrap_or_default(),
            html: None,
        };
        report.warnings = crate::scenario::warnings::plausibility(scenario);
        let name = &report.scenario;
        let cells: Vec<String> = report
            .results
            .iter()
            .flat_map(|r| [r.failure_warning(name), r.run_in_warning(name)])
            .flatten()
            .collect();
        report.warnings.extend(cells);
        report
    }
}

/// The decision rule in words.
fn describe_decision(scenario: &Scenario) -> String {
    let d = &scenario.decision;
    match d.rule {
        crate::scenario::DecisionRule::Frequentist => "frequentist".to_string(),
        crate::scenario::DecisionRule::Posterior => {
            let parts: Vec<String> = d
                .prior
                .iter()
                .map(|(w, m, s)| format!("{w:.4} x Normal({m:.4}, {s:.4})"))
                .collect();
            let benefit = if crate::decision::lower_is_benefit(scenario.design.analysis) {
                "effect < 0"
            } else {
                "effect > 0"
            };
            let threshold = match (d.threshold, d.calibrate_to) {
                (Some(t), _) => t.to_string(),
                (None, Some(level)) => format!(
                    "a threshold calibrated per sample size to a type I error of at most {level} without effect"
                ),
                (None, None) => "?".to_string(),
            };
            let mut text = format!(
                "posterior: success when P({benefit} | data) > {threshold} under the prior {}",
                parts.join(" + ")
            );
            if let Some(b) = &d.borrowing {
                let _ = write!(
                    text,
                    "; informative part mean {:.4}, SD {:.4}, ESS {:.1} children per arm ({}{})",
                    b.informative_mean,
                    b.informative_sd,
                    b.ess,
                    b.built,
                    if b.from.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", b.from.join(", "))
                    }
                );
                if b.weights.len() > 1 {
                    let _ = write!(
                        text,
                        "; the figures are at the first of the {} weights {:?}",
                        match b.kind {
                            crate::scenario::raw::PriorKind::PowerPrior => "a0",
                            _ => "prior",
                        },
                        b.weights
                    );
                }
            }
            text
        }
    }
}
