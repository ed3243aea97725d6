//! `trialsim replay`: one simulated trial, patient by patient, so a
//! statistician can load it in R and re-run the analysis by hand. The trial
//! is the run's own: the same stream, the same code path
//! ([`crate::engine::Cell::analyse_replicate`]), so the printed result is
//! bit-identical to what the run counted for that replicate.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use serde::Serialize;

use crate::analysis::{AnalysisFailure, TestResult};
use crate::cli::ReplayArgs;
use crate::cohort::{ArmData, Cohort};
use crate::decision::posterior::normal_approximation;
use crate::design::stream::EffectMode;
use crate::engine::Cell;
use crate::engine::cell::Analysed;
use crate::error::{Error, Result};
use crate::export;
use crate::scenario::intercurrent::Strategy;
use crate::scenario::{self, Scenario};

/// Replays one trial: writes its patients and prints its analysis.
///
/// # Errors
/// A bad scenario, a sample size the file does not list or a replicate the
/// run did not have (exit 2); a failure to write.
pub fn run(args: &ReplayArgs) -> Result<()> {
    let overrides = scenario::Overrides {
        replicates: args.replicates,
        seed: args.seed,
        n_per_arm: None,
    };
    let s = scenario::load_with(&args.file, &overrides)?;
    let n = usize::try_from(args.n).unwrap_or(usize::MAX);
    if !s.design.n_per_arm.contains(&n) {
        return Err(Error::input(format!(
            "--n {}: {} simulates n_per_arm = {:?}; replay one of them",
            args.n,
            args.file.display(),
            s.design.n_per_arm
        )));
    }
    if args.replicate >= s.simulation.replicates {
        return Err(Error::input(format!(
            "--replicate {}: the run has replicates 0 to {} (set --replicates as the run did)",
            args.replicate,
            s.simulation.replicates - 1
        )));
    }
    let mut cell = Cell::new(&s, n);
    cell.trial.record_every_visit();
    let mut work = cell.workspace();
    let analysed = cell.analyse_replicate(
        EffectMode::Fixed,
        s.simulation.seed,
        args.replicate,
        &mut work,
    );
    let record = Replayed::new(&s, &cell, args.replicate, &analysed);
    let name = format!("replay-n{}-r{}.csv", args.n, args.replicate);
    let dir = args.out.join(&s.name);
    export::write_file(&dir, &name, &patients_csv(&s, &work.cohort)?)?;
    let text = if args.json {
        let mut t = serde_json::to_string_pretty(&record)?;
        t.push('\n');
        t
    } else {
        record.text(&dir.join(&name))
    };
    std::io::stdout().write_all(text.as_bytes())?;
    Ok(())
}

/// One analysis as replay reports it.
#[derive(Debug, Clone, Serialize)]
pub struct AnalysisResult {
    pub strategy: String,
    /// `None` when the analysis failed (then `failure` says why).
    pub estimate: Option<f64>,
    pub ci_low: Option<f64>,
    pub ci_high: Option<f64>,
    pub p_value: Option<f64>,
    pub rejects: bool,
    pub favours_msc: bool,
    pub failure: Option<String>,
}

impl AnalysisResult {
    fn new(cell: &Cell, strategy: Strategy, result: &Result<TestResult, AnalysisFailure>) -> Self {
        match result {
            Ok(r) => {
                let (lo, hi) = r.interval_bounds();
                let rejects = cell.rejects(r);
                AnalysisResult {
                    strategy: strategy.name().to_string(),
                    estimate: Some(r.estimate),
                    ci_low: Some(lo),
                    ci_high: Some(hi),
                    p_value: Some(r.p_value()),
                    rejects,
                    favours_msc: rejects && cell.favours_msc(r),
                    failure: None,
                }
            }
            Err(f) => AnalysisResult {
                strategy: strategy.name().to_string(),
                estimate: None,
                ci_low: None,
                ci_high: None,
                p_value: None,
                rejects: false,
                favours_msc: false,
                failure: Some(f.to_string()),
            },
        }
    }
}

/// What `trialsim replay` prints.
#[derive(Debug, Clone, Serialize)]
pub struct Replayed {
    pub scenario: String,
    pub analysis: String,
    pub n_msc: usize,
    pub n_control: usize,
    pub seed: u64,
    pub replicate: u64,
    /// MSC's effect in this trial and its sample-average own effect.
    pub effect: f64,
    pub msc_own_effect: f64,
    /// The chosen estimand's true value in this trial.
    pub estimand_value: f64,
    /// The chosen estimand's analysis: what the run counted.
    pub result: AnalysisResult,
    /// With intercurrent events, every strategy the analysis serves.
    pub by_strategy: Vec<AnalysisResult>,
    /// A prior that borrows (fixed threshold): the counted result's
    /// posterior at each prior weight and its tipping point.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub borrowing: Option<super::borrow::Observed>,
}

impl Replayed {
    fn new(s: &Scenario, cell: &Cell, replicate: u64, a: &Analysed) -> Replayed {
        let chosen = s
            .intercurrent
            .as_ref()
            .map_or(Strategy::TreatmentPolicy, |ic| ic.strategy);
        Replayed {
            scenario: s.name.clone(),
            analysis: s.design.analysis.to_string(),
            n_msc: cell.sizes.msc,
            n_control: cell.sizes.control,
            seed: s.simulation.seed,
            replicate,
            effect: a.effect,
            msc_own_effect: a.truth,
            estimand_value: a.estimand_truth,
            result: AnalysisResult::new(cell, chosen, &a.chosen),
            by_strategy: Strategy::ALL
                .iter()
                .filter_map(|&st| {
                    a.strategies[st.index()]
                        .as_ref()
                        .map(|r| AnalysisResult::new(cell, st, r))
                })
                .collect(),
            borrowing: s.decision.borrowing.as_ref().and_then(|b| {
                let result = a.chosen.as_ref().ok().and_then(normal_approximation)?;
                super::borrow::posterior_at_weights(s, b, result, "this replicate")
            }),
        }
    }

    /// The printed form.
    fn text(&self, csv: &Path) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "{}: replicate {} of n {}:{} (seed {}), {}",
            self.scenario, self.replicate, self.n_msc, self.n_control, self.seed, self.analysis
        );
        let _ = writeln!(out, "patients written to {}", csv.display());
        let _ = writeln!(
            out,
            "MSC's own effect in this trial {}; estimand value {}",
            self.msc_own_effect, self.estimand_value
        );
        let chosen = std::iter::once((&self.result, "the run counted: "));
        let others = self.by_strategy.iter().map(|r| (r, "  every strategy: "));
        for (r, lead) in chosen.chain(others) {
            let line = match (r.estimate, &r.failure) {
                (Some(e), _) => format!(
                    "{lead}{}: estimate {e} (95% CI {} to {}), p = {}, {}",
                    r.strategy,
                    r.ci_low.unwrap_or(f64::NAN),
                    r.ci_high.unwrap_or(f64::NAN),
                    r.p_value.unwrap_or(f64::NAN),
                    match (r.rejects, r.favours_msc) {
                        (true, true) => "rejects, in MSC's favour",
                        (true, false) => "rejects, against MSC",
                        (false, _) => "does not reject",
                    }
                ),
                (None, failure) => format!(
                    "{lead}{}: failed ({})",
                    r.strategy,
                    failure.as_deref().unwrap_or("")
                ),
            };
            let _ = writeln!(out, "{line}");
        }
        if let Some(o) = &self.borrowing {
            let _ = writeln!(
                out,
                "posterior (estimate {}, SE {}): {}; tipping point {}",
                o.estimate,
                o.se,
                o.at.iter()
                    .map(|a| format!("weight {}: P(benefit) {:.4}", a.weight, a.prob_benefit))
                    .collect::<Vec<_>>()
                    .join(", "),
                o.tipping_point
                    .map_or_else(|| "none up to 1".to_string(), |w| format!("{w:.4}"))
            );
        }
        out
    }
}

/// The trial's patients as CSV: one row each, MSC first; every value as the
/// analysis saw it (in SD units in a pooled trial).
fn patients_csv(s: &Scenario, cohort: &Cohort) -> Result<Vec<u8>> {
    let interim = &s.design.visits_weeks[..s.design.visits_weeks.len() - 1];
    let primary = s.design.visits_weeks[s.design.visits_weeks.len() - 1];
    let therapies: Vec<&str> = s.intercurrent.as_ref().map_or_else(Vec::new, |ic| {
        ic.concomitants.iter().map(|c| c.name.as_str()).collect()
    });
    let events = s.intercurrent.is_some();
    let time_to_flare = s.endpoint.time_to_flare;
    let dropout = s.dropout.is_some();
    let mut header: Vec<String> = vec![
        "patient".into(),
        "arm".into(),
        "stratum".into(),
        "baseline".into(),
    ];
    header.extend(interim.iter().map(|w| format!("week_{w}")));
    header.extend([format!("week_{primary}_primary"), "change".into()]);
    if events {
        header.extend(
            [
                "first_flare_week",
                "flares_in_follow_up",
                "flared_by_primary",
                "first_therapy_week",
                "therapies",
            ]
            .map(String::from),
        );
    }
    if time_to_flare {
        // What the log-rank test and the Cox model analysed.
        header.extend(["time_weeks", "flare"].map(String::from));
    }
    if dropout {
        header.push("dropout_week".into());
    }
    let mut w = ::csv::Writer::from_writer(Vec::new());
    w.write_record(&header).map_err(anyhow::Error::from)?;
    let mut patient = 0usize;
    for (arm, data) in cohort.iter() {
        for i in 0..data.len() {
            patient += 1;
            let mut record = row(
                patient,
                arm.name(),
                data,
                i,
                interim.len(),
                events,
                &therapies,
            );
            if let Some(f) = data.follow_up.get(i) {
                record.extend([f.time.to_string(), u8::from(f.flare).to_string()]);
            }
            if let Some(&d) = data.dropout.get(i) {
                record.push(if d.is_finite() {
                    d.to_string()
                } else {
                    String::new()
                });
            }
            // A pooled trial's strata by name (the analysis fits a slope per stratum).
            if let Some(stratum) = s.strata.get(usize::from(data.stratum[i])) {
                record[2].clone_from(&stratum.name);
            }
            w.write_record(record).map_err(anyhow::Error::from)?;
        }
    }
    Ok(w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))?)
}

/// One patient's row; infinite weeks (never) are empty cells.
fn row(
    patient: usize,
    arm: &str,
    d: &ArmData,
    i: usize,
    interim: usize,
    events: bool,
    therapies: &[&str],
) -> Vec<String> {
    let week = |t: f64| {
        if t.is_finite() {
            t.to_string()
        } else {
            String::new()
        }
    };
    // A value nobody measured (a time-to-flare child's score) is an empty cell.
    let value = |x: f64| {
        if x.is_nan() {
            String::new()
        } else {
            x.to_string()
        }
    };
    let mut r = vec![
        patient.to_string(),
        arm.to_string(),
        d.stratum[i].to_string(),
        value(d.baseline[i]),
    ];
    // Time-to-flare children have no intermediate visits recorded.
    match d.interim.get(i * interim..(i + 1) * interim) {
        Some(values) => r.extend(values.iter().map(|&x| value(x))),
        None => r.extend(std::iter::repeat_n(String::new(), interim)),
    }
    r.extend([value(d.primary[i]), value(d.change[i])]);
    if events {
        let used: Vec<&str> = therapies
            .iter()
            .enumerate()
            .filter(|(k, _)| d.concomitants[i] & (1 << k) != 0)
            .map(|(_, name)| *name)
            .collect();
        r.extend([
            week(d.first_flare[i]),
            d.flares[i].to_string(),
            d.flared_by_primary[i].to_string(),
            week(d.event[i]),
            used.join(";"),
        ]);
    }
    r
}
