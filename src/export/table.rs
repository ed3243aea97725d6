//! The table printed on stdout: a Markdown table, so it can be pasted into a
//! protocol or a README as it is. Every figure carries its Monte Carlo error.

use std::fmt::Write;

use crate::evidence::{Case, Row};
use crate::report::RunReport;
use crate::scenario::DesignKind;

/// The Markdown table of a report, with a heading line, its notes and the
/// evidence rows it used.
pub fn render(report: &RunReport) -> String {
    let single = report.design == DesignKind::SingleArm;
    let with_assurance = report.results.iter().any(|r| r.assurance.is_some());
    let with_flares = report
        .results
        .iter()
        .any(|r| r.flares.flare_probability.is_some());
    let with_success = report
        .results
        .iter()
        .any(|r| r.success_probability.is_some());
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: {} on {}{}{}, alpha {} ({}-sided), effect {}{}, {} replicates, seed {}",
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
        if single { ", single arm" } else { "" },
        report.alpha,
        report.sided,
        format_args!("{:.3}", report.effect_mean),
        if report.effect_sd > 0.0 {
            format!(" (prior sd {})", report.effect_sd)
        } else {
            String::new()
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

    let mut header = vec![
        if single {
            "n".to_string()
        } else {
            "n MSC:control".to_string()
        },
        if single {
            "paired-t rejection ± MC SE".to_string()
        } else {
            "power ± MC SE".to_string()
        },
        "95% CI".to_string(),
    ];
    if with_assurance {
        header.push("assurance ± MC SE".into());
    }
    if with_success {
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
            "true effect",
            "bias ± MC SE",
        ]
        .map(String::from),
    );
    if with_flares {
        header.extend(
            [
                "estimand value",
                "CI coverage",
                "flare by primary MSC / control",
                "rescue MSC / control",
            ]
            .map(String::from),
        );
    }
    header.extend(["failed", "seconds"].map(String::from));
    let _ = writeln!(out, "| {} |", header.join(" | "));
    let _ = writeln!(out, "|{}", "---|".repeat(header.len()));
    for r in &report.results {
        let mut cells = vec![
            if single {
                r.n_msc.to_string()
            } else {
                format!("{}:{}", r.n_msc, r.n_control)
            },
            format!("{:.3} ± {:.3}", r.power, r.power_mc_se),
            format!("{:.3}–{:.3}", r.power_ci_low, r.power_ci_high),
        ];
        if with_assurance {
            cells.push(pair(r.assurance, r.assurance_mc_se));
        }
        if with_success {
            cells.push(pair(r.success_probability, r.success_probability_mc_se));
        }
        cells.extend([
            format!("{:.3} ({:.3})", r.mean_estimate, r.sd_estimate),
            format!("{:.3}", r.true_effect),
            format!("{:+.3} ± {:.3}", r.bias, r.bias_mc_se),
        ]);
        if with_flares {
            let arms = |p: Option<crate::report::PerArm>| match p {
                Some(p) => match p.control {
                    Some(c) => format!("{:.3} / {c:.3}", p.msc),
                    None => format!("{:.3}", p.msc),
                },
                None => "–".into(),
            };
            cells.extend([
                format!("{:.3}", r.estimand_value),
                format!("{:.3} ± {:.3}", r.coverage, r.coverage_mc_se),
                arms(r.flares.flare_probability),
                arms(r.flares.rescue_probability),
            ]);
        }
        cells.extend([r.failures.to_string(), format!("{:.2}", r.seconds)]);
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
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
    out
}

fn pair(value: Option<f64>, se: Option<f64>) -> String {
    match (value, se) {
        (Some(v), Some(s)) => format!("{v:.3} ± {s:.3}"),
        _ => "–".into(),
    }
}

/// The evidence table as Markdown.
pub fn evidence(rows: &[Row]) -> String {
    let mut out = String::from(
        "| id | quantity | value | uncertainty | n | population | follow-up | citation | tag |\n|---|---|---|---|---|---|---|---|---|\n",
    );
    for r in rows {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {:?} |",
            r.id,
            r.quantity,
            r.value,
            r.spread(),
            r.n,
            r.population,
            r.follow_up,
            r.citation,
            r.confidence
        );
    }
    out.push_str(
        "\nTags: C confirmed, P partly confirmed, M from memory, D derived, A assumption.\n",
    );
    out
}

/// The seed case series as Markdown.
pub fn cases(cases: &[Case]) -> String {
    let mut out = String::from(
        "Wong SC et al., Pediatr Rheumatol 2021: three children given MSC outside a trial.\n\n\
         | case | diagnosis | age onset / MSC / follow-up | MSC source | dose per kg | route | PGA before -> after | activity before -> after | concomitant | adverse events |\n\
         |---|---|---|---|---|---|---|---|---|---|\n",
    );
    for c in cases {
        let _ = writeln!(
            out,
            "| {} | {} | {} / {} / {} | {} | {:.1e} ({}) | {} | {} -> {}{} | {} {} -> {} | {} | {} |",
            c.id,
            c.diagnosis,
            c.age_onset_years,
            c.age_msc_years,
            c.age_follow_up_years,
            c.msc_source,
            c.dose_per_kg,
            c.dose_note,
            c.route,
            c.pga_before,
            c.pga_after,
            if c.pga_note.is_empty() {
                String::new()
            } else {
                format!(" ({})", c.pga_note)
            },
            c.activity_scale,
            c.activity_before,
            c.activity_after,
            c.concomitant,
            c.adverse_events
        );
    }
    out
}
