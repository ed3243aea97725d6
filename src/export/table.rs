//! The table printed on stdout: a Markdown table, so it can be pasted into a
//! protocol or a README as it is. Every figure carries its Monte Carlo error.

use std::fmt::Write;

use crate::report::RunReport;

/// The Markdown table of a report, with a heading line.
pub fn render(report: &RunReport) -> String {
    let rate = if report.power_is_assurance {
        "assurance"
    } else {
        "power"
    };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: {} on {}, alpha {} ({}-sided), effect {}{}, {} replicates, seed {}",
        report.scenario,
        report.analysis,
        report.endpoint,
        report.alpha,
        report.sided,
        report.effect_mean,
        if report.effect_sd > 0.0 {
            format!(" (sd {})", report.effect_sd)
        } else {
            String::new()
        },
        report.replicates,
        report.seed,
    );
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "| n MSC:control | {rate} ± MC SE | 95% CI | mean estimate (SD) | true effect | bias ± MC SE | failed | seconds |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|");
    for r in &report.results {
        let _ = writeln!(
            out,
            "| {}:{} | {:.3} ± {:.3} | {:.3}–{:.3} | {:.3} ({:.3}) | {:.3} | {:+.3} ± {:.3} | {} | {:.2} |",
            r.n_msc,
            r.n_control,
            r.power,
            r.power_mc_se,
            r.power_ci_low,
            r.power_ci_high,
            r.mean_estimate,
            r.sd_estimate,
            r.true_effect,
            r.bias,
            r.bias_mc_se,
            r.failures,
            r.seconds,
        );
    }
    out
}
