//! The table printed on stdout: a Markdown table, so it can be pasted into a
//! protocol or a README as it is. Every figure carries its Monte Carlo error.

use std::fmt::Write;

use crate::report::{CellResult, PerArm, RunReport};
use crate::scenario::{DesignKind, Sided};

/// The Markdown table of a report, with a heading line, its notes and the
/// evidence rows it used.
pub fn render(report: &RunReport) -> String {
    let mut out = String::new();
    heading(report, &mut out);
    let columns = Columns::of(report);
    let header = columns.header(report);
    let _ = writeln!(out, "| {} |", header.join(" | "));
    let _ = writeln!(out, "|{}", "---|".repeat(header.len()));
    for r in &report.results {
        let _ = writeln!(out, "| {} |", columns.cells(r).join(" | "));
    }
    estimand_bias_line(report, &mut out);
    time_to_flare_table(report, &mut out);
    safety_table(report, &mut out);
    product_table(report, &mut out);
    looks_table(report, &mut out);
    let _ = writeln!(
        out,
        "\nMSC's own effect: the sample-average effect of MSC itself (no concomitant therapy) on the analysis scale, from each patient's outcome under both arms; bias vs own effect is the mean estimate minus it{}.",
        if report.standard_therapy_policy.is_some() {
            "; bias vs estimand is the mean estimate minus the chosen estimand's true value"
        } else {
            ""
        }
    );
    for warning in &report.warnings {
        let _ = writeln!(out, "warning: {warning}");
    }
    out
}

/// The lines above the table: what was run, the strata, the notes and the
/// evidence rows, then a blank line.
fn heading(report: &RunReport, out: &mut String) {
    let _ = writeln!(
        out,
        "{}: {} on {}{}{}, alpha {} ({}-sided), {}{}, {} replicates, seed {}",
        report.scenario,
        report.analysis,
        if report.strata.is_empty() {
            report.endpoint.to_string()
        } else {
            "pooled strata".into()
        },
        report
            .disease
            .map_or_else(String::new, |d| format!(" ({d})")),
        if report.design == DesignKind::SingleArm {
            ", single arm"
        } else {
            ""
        },
        report.alpha,
        report.sided,
        match report.msc_flare_hazard_ratio {
            Some(hr) => format!(
                "time to flare, MSC flare hazard ratio {hr}{} (estimates are log hazard ratios), effect on the scale {:.3}",
                match report.msc_flare_hazard_ratio_log_sd {
                    Some(sd) if sd > 0.0 => format!(" with a log-normal prior of log sd {sd}"),
                    _ => String::new(),
                },
                report.effect_mean
            ),
            None => format!("effect {:.3}", report.effect_mean),
        },
        match report.msc_flare_hazard_ratio_log_sd {
            Some(_) => String::new(),
            None if report.effect_sd > 0.0 => format!(" (prior sd {})", report.effect_sd),
            None => String::new(),
        },
        report.replicates,
        report.seed,
    );
    for s in &report.strata {
        let _ = writeln!(
            out,
            "stratum {}: {:.0}% of each arm, {}, MSC effect {} ({:.3} SD of change)",
            s.name,
            100.0 * s.share,
            s.endpoint,
            s.effect,
            s.effect_sd_units
        );
    }
    if !report.strata.is_empty() {
        let _ = writeln!(
            out,
            "estimates and effects below are in SD units of each stratum's change"
        );
    }
    if report.decision != "frequentist" {
        let _ = writeln!(out, "decision: {}", report.decision);
    }
    if let (Some(n), Some(share)) = (report.infusions, report.effect_share_at_primary) {
        let _ = writeln!(
            out,
            "infusion schedule: {n} infusions; MSC has {share:.3} of effect.mean ({:.3}) at the primary visit",
            share * report.effect_mean
        );
    }
    if let Some(c) = report.enroll_above {
        let _ = writeln!(out, "enrolled only when the baseline exceeds {c}");
    }
    for note in &report.notes {
        let _ = writeln!(out, "note: {note}");
    }
    if let Some(policy) = &report.standard_therapy_policy {
        let _ = writeln!(
            out,
            "standard therapy: {policy}; estimand: {}; follow-up {} weeks",
            report.estimand, report.follow_up_weeks
        );
    }
    if !report.evidence_used.is_empty() {
        let ids: Vec<&str> = report.evidence_used.iter().map(|e| e.id.as_str()).collect();
        let _ = writeln!(out, "evidence rows: {} (trialsim evidence)", ids.join(", "));
    }
    let _ = writeln!(out);
}

/// The time-to-flare figures per sample size: events, Kaplan-Meier flare
/// probability by the primary visit, median, restricted mean, dropout and
/// (randomized withdrawal) the run-in's enrolment.
fn time_to_flare_table(report: &RunReport, out: &mut String) {
    if report.msc_flare_hazard_ratio.is_none() {
        return;
    }
    let withdrawal = report.design == DesignKind::RandomizedWithdrawal;
    let _ = writeln!(
        out,
        "\ntime to flare (Kaplan-Meier, mean over trials ± MC SE):\n"
    );
    let mut header = vec![
        "n MSC:control".to_string(),
        "flares MSC / control".into(),
        format!("P(flare by week {}) MSC / control", report.primary_week),
        "median weeks MSC / control (trials reaching it)".into(),
        format!(
            "flare-free weeks to {}: MSC − control",
            report.follow_up_weeks
        ),
        "dropout MSC / control".into(),
    ];
    let phase = report
        .results
        .iter()
        .any(|r| r.survival.run_in_phase_weeks.is_some());
    if withdrawal {
        header.push("run-in response".into());
        header.push("enrolled per randomised (90% range)".into());
    }
    if phase {
        header.push("run-in phase weeks (90% range)".into());
    }
    let _ = writeln!(out, "| {} |", header.join(" | "));
    let _ = writeln!(out, "|{}", "---|".repeat(header.len()));
    let pair = |p: &Option<PerArm>, digits: usize| {
        let one = |x: f64| {
            if x.is_finite() {
                format!("{x:.digits$}")
            } else {
                "–".to_string()
            }
        };
        p.as_ref().map_or_else(String::new, |p| {
            format!("{} / {}", one(p.msc), one(p.control.unwrap_or(f64::NAN)))
        })
    };
    for r in &report.results {
        let s = &r.survival;
        let mut row = vec![
            format!("{}:{}", r.n_msc, r.n_control),
            pair(&s.km_events, 1),
            pair(&s.km_flare_by_primary, 3),
            format!(
                "{} ({})",
                pair(&s.km_median_weeks, 1),
                pair(&s.km_median_reached, 2)
            ),
            format!(
                "{:+.2} ± {:.2}",
                s.rmst_difference_weeks.unwrap_or(f64::NAN),
                s.rmst_difference_weeks_mc_se.unwrap_or(f64::NAN)
            ),
            pair(&s.dropout_share, 3),
        ];
        if withdrawal {
            row.push(format!(
                "{:.3} ± {:.3}",
                s.run_in_response_rate.unwrap_or(f64::NAN),
                s.run_in_response_rate_mc_se.unwrap_or(f64::NAN)
            ));
            row.push(format!(
                "{:.2} ({:.2}–{:.2})",
                s.enrolled_per_randomised.unwrap_or(f64::NAN),
                s.enrolled_per_randomised_p05.unwrap_or(f64::NAN),
                s.enrolled_per_randomised_p95.unwrap_or(f64::NAN)
            ));
        }
        if phase {
            row.push(format!(
                "{:.0} ({:.0}–{:.0})",
                s.run_in_phase_weeks.unwrap_or(f64::NAN),
                s.run_in_phase_weeks_p05.unwrap_or(f64::NAN),
                s.run_in_phase_weeks_p95.unwrap_or(f64::NAN)
            ));
        }
        let _ = writeln!(out, "| {} |", row.join(" | "));
    }
}

/// `[manufacturing]`: the infused share and the as-infused contrast beside
/// the intention-to-treat analysis of the main table.
fn product_table(report: &RunReport, out: &mut String) {
    if report
        .results
        .iter()
        .all(|r| r.product.infused_share_msc.is_none())
    {
        return;
    }
    let _ = writeln!(
        out,
        "\nmanufacturing: the table above is intention to treat (every child randomised); as infused compares the MSC children whose product was made with every control child:\n"
    );
    let _ = writeln!(
        out,
        "| n MSC:control | MSC infused ± MC SE | as-infused power ± MC SE | as-infused mean estimate | as-infused bias vs effect in the infused ± MC SE | failed |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|");
    for r in &report.results {
        let p = &r.product;
        let _ = writeln!(
            out,
            "| {}:{} | {} | {} | {} | {} | {} |",
            r.n_msc,
            r.n_control,
            pair(p.infused_share_msc, p.infused_share_msc_mc_se),
            pair(p.as_infused_power, p.as_infused_power_mc_se),
            p.as_infused_mean_estimate.map_or_else(|| "–".into(), num),
            p.as_infused_bias.map_or_else(
                || "–".into(),
                |b| with_se_signed(b, p.as_infused_bias_mc_se.unwrap_or(f64::NAN))
            ),
            p.as_infused_failures.unwrap_or(0)
        );
    }
}

/// Calendar time (`[accrual]`) and, with interim looks, each look: its
/// bounds, the chance of stopping there and when it comes.
fn looks_table(report: &RunReport, out: &mut String) {
    if report
        .results
        .iter()
        .all(|r| r.looks.trial_months.is_none())
    {
        return;
    }
    let _ = writeln!(
        out,
        "
calendar time: months from the trial's start (recruitment opening) to the analysis that ended the trial, and the children entered and analysed then:
"
    );
    let _ = writeln!(
        out,
        "| n MSC:control | months ± MC SE | 90% range | children entered | children analysed | stopped early for efficacy | stopped for futility |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|");
    for r in &report.results {
        let l = &r.looks;
        let _ = writeln!(
            out,
            "| {}:{} | {} | {:.1}–{:.1} | {} | {} | {} | {} |",
            r.n_msc,
            r.n_control,
            pair(l.trial_months, l.trial_months_mc_se),
            l.trial_months_p05.unwrap_or(f64::NAN),
            l.trial_months_p95.unwrap_or(f64::NAN),
            pair(l.enrolled_at_stop, l.enrolled_at_stop_mc_se),
            pair(l.analysed_at_stop, l.analysed_at_stop_mc_se),
            pair(l.stop_early_efficacy, l.stop_early_efficacy_mc_se),
            pair(l.stop_futility, l.stop_futility_mc_se),
        );
    }
    let Some(last) = report.results.last() else {
        return;
    };
    let Some(rows) = last.looks.looks.as_ref().filter(|rows| rows.len() > 1) else {
        return;
    };
    let _ = writeln!(
        out,
        "
looks at n {}:{} (z positive favours MSC; every look in looks.csv):
",
        last.n_msc, last.n_control
    );
    let _ = writeln!(
        out,
        "| look | fraction | efficacy z | futility z | P(stop: efficacy) | P(stop: futility) | cumulative power | month | children analysed | bias at stop |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|---|");
    let z = |v: Option<f64>| v.map_or_else(|| "–".into(), |v| format!("{v:.3}"));
    for row in rows {
        let _ = writeln!(
            out,
            "| {} | {:.2} | {} | {} | {} | {} | {} | {:.1} | {:.1} | {} |",
            row.look,
            row.information_fraction,
            z(row.efficacy_z),
            z(row.futility_z),
            with_se(row.stop_efficacy, row.stop_efficacy_mc_se),
            with_se(row.stop_futility, row.stop_futility_mc_se),
            with_se(row.cumulative_power, row.cumulative_power_mc_se),
            row.month,
            row.analysed,
            with_se_signed(row.bias_at_stop, row.bias_at_stop_mc_se),
        );
    }
}

/// Adverse events per sample size: each event's P(at least one) per arm,
/// any serious event, and the stopping rule's probability of stopping.
fn safety_table(report: &RunReport, out: &mut String) {
    let Some(first) = report.results.first() else {
        return;
    };
    let Some(names) = first
        .safety
        .safety_any
        .as_ref()
        .map(|m| m.keys().cloned().collect::<Vec<_>>())
    else {
        return;
    };
    let monitored = first.safety.safety_stop_probability.is_some();
    let _ = writeln!(
        out,
        "\nadverse events (share of children with at least one, MSC / control; mean over trials):\n"
    );
    let mut header = vec!["n MSC:control".to_string()];
    header.extend(names.iter().cloned());
    header.push("any serious".into());
    if monitored {
        header.push("P(stop) ± MC SE".into());
        header.push("P(stop) if MSC is as safe as control ± MC SE".into());
    }
    let _ = writeln!(out, "| {} |", header.join(" | "));
    let _ = writeln!(out, "|{}", "---|".repeat(header.len()));
    for r in &report.results {
        let s = &r.safety;
        let mut row = vec![format!("{}:{}", r.n_msc, r.n_control)];
        for name in &names {
            row.push(arms(
                s.safety_any.as_ref().and_then(|m| m.get(name)).copied(),
            ));
        }
        row.push(arms(s.safety_serious_any));
        if monitored {
            row.push(pair(
                s.safety_stop_probability,
                s.safety_stop_probability_mc_se,
            ));
            row.push(pair(
                s.safety_stop_probability_if_safe,
                s.safety_stop_probability_if_safe_mc_se,
            ));
        }
        let _ = writeln!(out, "| {} |", row.join(" | "));
    }
}

/// Which optional columns the table has: a column appears when any sample
/// size has its figure.
struct Columns {
    single: bool,
    /// A two-sided test: the rate in MSC's favour gets its own column.
    two_sided: bool,
    assurance: bool,
    success: bool,
    flares: bool,
    /// Score endpoints with `[dropout]`: the share missing at the primary visit.
    dropout: bool,
}

impl Columns {
    fn of(report: &RunReport) -> Columns {
        let any = |has: fn(&CellResult) -> bool| report.results.iter().any(has);
        Columns {
            single: report.design == DesignKind::SingleArm,
            two_sided: report.sided == Sided::Two,
            assurance: any(|r| r.assurance.is_some()),
            success: any(|r| r.success_probability.is_some()),
            flares: any(|r| r.flares.flare_probability_by_primary.is_some()),
            // Time to flare censors a child who leaves: nothing is missing.
            dropout: report.msc_flare_hazard_ratio.is_none()
                && any(|r| r.flares.dropout_by_primary.is_some()),
        }
    }

    fn header(&self, report: &RunReport) -> Vec<String> {
        let single = self.single;
        let mut header = vec![
            if single { "n" } else { "n MSC:control" }.to_string(),
            match (single, self.two_sided) {
                (true, _) => "paired-t rejection ± MC SE",
                (false, true) => "power (either direction) ± MC SE",
                (false, false) => "power ± MC SE",
            }
            .to_string(),
            "95% CI".to_string(),
        ];
        if self.two_sided {
            header.push("significant favouring MSC ± MC SE".into());
        }
        if self.assurance {
            header.push("assurance ± MC SE".into());
        }
        if self.success {
            header.push(format!(
                "P(mean fall ≥ {}) ± MC SE",
                report.reported_improvement.unwrap_or(f64::NAN)
            ));
        }
        header.extend(
            [
                if single {
                    "apparent change (SD)"
                } else {
                    "mean estimate (SD)"
                },
                "MSC's own effect",
                "bias vs own effect ± MC SE",
            ]
            .map(String::from),
        );
        if self.flares {
            header.extend(
                [
                    "estimand value",
                    "bias vs estimand ± MC SE",
                    "CI coverage",
                    "flare by primary MSC / control",
                    "flare rescue MSC / control",
                ]
                .map(String::from),
            );
        }
        if self.dropout {
            header.push("missing at primary (dropout) MSC / control".into());
        }
        header.extend(["failed", "seconds"].map(String::from));
        header
    }

    fn cells(&self, r: &CellResult) -> Vec<String> {
        let mut cells = vec![
            if self.single {
                r.n_msc.to_string()
            } else {
                format!("{}:{}", r.n_msc, r.n_control)
            },
            with_se(r.power, r.power_mc_se),
            format!("{}–{}", num(r.power_ci_low), num(r.power_ci_high)),
        ];
        if self.two_sided {
            cells.push(with_se(r.power_favourable, r.power_favourable_mc_se));
        }
        if self.assurance {
            cells.push(pair(r.assurance, r.assurance_mc_se));
        }
        if self.success {
            cells.push(pair(r.success_probability, r.success_probability_mc_se));
        }
        cells.extend([
            format!("{} ({})", num(r.mean_estimate), num(r.sd_estimate)),
            num(r.msc_own_effect),
            with_se_signed(r.bias_vs_own_effect, r.bias_vs_own_effect_mc_se),
        ]);
        if self.flares {
            cells.extend([
                num(r.estimand_value),
                with_se_signed(r.bias_vs_estimand, r.bias_vs_estimand_mc_se),
                with_se(r.coverage, r.coverage_mc_se),
                arms(r.flares.flare_probability_by_primary),
                arms(r.flares.flare_rescue_probability),
            ]);
        }
        if self.dropout {
            cells.push(arms(r.flares.dropout_by_primary));
        }
        cells.extend([r.failures.to_string(), format!("{:.2}", r.seconds)]);
        cells
    }
}

/// A figure to 3 decimals, `–` when undefined.
fn num(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.3}")
    } else {
        "–".into()
    }
}

/// `value ± SE`; the SE is left out when undefined (fewer than 2 replicates),
/// and the whole cell is `–` when the value is.
fn with_se(value: f64, se: f64) -> String {
    match (value.is_finite(), se.is_finite()) {
        (false, _) => "–".into(),
        (true, true) => format!("{value:.3} ± {se:.3}"),
        (true, false) => format!("{value:.3}"),
    }
}

/// As [`with_se`], with the value's sign always shown.
fn with_se_signed(value: f64, se: f64) -> String {
    match (value.is_finite(), se.is_finite()) {
        (false, _) => "–".into(),
        (true, true) => format!("{value:+.3} ± {se:.3}"),
        (true, false) => format!("{value:+.3}"),
    }
}

/// The line under the table with the bias by estimand strategy at the
/// largest sample size, when the run has intercurrent events.
fn estimand_bias_line(report: &RunReport, out: &mut String) {
    if let Some(last) = report.results.last()
        && let (Some(bias), Some(se)) = (
            &last.estimands.bias_by_estimand,
            &last.estimands.bias_by_estimand_mc_se,
        )
    {
        let parts: Vec<String> = bias
            .iter()
            .map(|(k, v)| {
                format!(
                    "{k} {v:+.3} ± {:.3}",
                    se.get(k).copied().unwrap_or(f64::NAN)
                )
            })
            .collect();
        let _ = writeln!(
            out,
            "\nbias against MSC's own effect by estimand strategy (n {}:{}): {}",
            last.n_msc,
            last.n_control,
            parts.join("; ")
        );
    }
}

/// `MSC / control` probabilities, `MSC` alone for a single arm, `–` if absent.
fn arms(p: Option<PerArm>) -> String {
    match p {
        Some(p) => match p.control {
            Some(c) => format!("{:.3} / {c:.3}", p.msc),
            None => format!("{:.3}", p.msc),
        },
        None => "–".into(),
    }
}

fn pair(value: Option<f64>, se: Option<f64>) -> String {
    match value {
        Some(v) => with_se(v, se.unwrap_or(f64::NAN)),
        None => "–".into(),
    }
}
