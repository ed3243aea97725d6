//! `power.png` / `power.svg`: the rejection rate by sample size with its 95%
//! Wilson band, the assurance curve when the effect has a prior, and the 80%
//! and 90% reference lines. Every run has one.
//!
//! The x axis is labelled at the simulated sample sizes only, so a run with
//! one size shows that size once (issue 9: "39 39 39 40 40 40 ...").

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use super::{Chart, DASH, DrawResult, Plot, TickedAxis, dashed_legend_mark, draw_legend, mesh};
use super::{register_fonts, ticks_at, titled_chart};
use crate::report::RunReport;
use crate::scenario::DesignKind;

/// The power chart's coordinates: sample sizes (labelled at the simulated
/// ones) by rate.
type PowerChart<'a, DB> = Chart<'a, DB, TickedAxis, RangedCoordf64>;

/// The power curve of a run.
pub struct PowerPlot<'a>(pub &'a RunReport);

impl Plot for PowerPlot<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        draw_power(root, self.0)
    }
}

fn draw_power<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    report: &RunReport,
) -> DrawResult<DB> {
    register_fonts();
    root.fill(&WHITE)?;
    let rate = if report.design == DesignKind::SingleArm {
        "pre/post rejection"
    } else {
        "power"
    };
    let (x_range, ticks) = sample_size_axis(report);
    let mut chart = titled_chart(
        root,
        format!("{}: {rate} by sample size", report.scenario),
        60,
        TickedAxis::new(x_range.clone(), ticks),
        0.0..1.0,
    )?;
    mesh(&mut chart)
        .x_label_formatter(&|x| format!("{x:.0}"))
        .x_desc("patients per arm (control arm; MSC arm = allocation × n)")
        .y_desc(format!(
            "{rate} ({}, alpha {}, {} replicates)",
            report.analysis, report.alpha, report.replicates
        ))
        .draw()?;

    draw_rate(&mut chart, report, rate)?;
    draw_assurance(&mut chart, report)?;
    for (level, colour) in [(0.8, RED), (0.9, GREEN)] {
        let style = colour.stroke_width(1);
        chart
            .draw_series(DashedLineSeries::new(
                vec![(x_range.start, level), (x_range.end, level)],
                DASH.0,
                DASH.1,
                style,
            ))?
            .label(format!("{:.0}% reference", level * 100.0))
            .legend(dashed_legend_mark(style));
    }
    draw_legend(&mut chart, SeriesLabelPosition::LowerRight)
}

/// The x range of a report's power chart and the sample sizes labelled on
/// it: each simulated size once (crowded ones skipped), nothing in between.
pub fn sample_size_axis(report: &RunReport) -> (std::ops::Range<f64>, Vec<f64>) {
    let ns: Vec<f64> = report.results.iter().map(|r| r.n_per_arm as f64).collect();
    let lo = ns.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = ns.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let pad = ((hi - lo) * 0.05).max(1.0);
    let range = (lo - pad).max(0.0)..hi + pad;
    let ticks = ticks_at(ns, range.end - range.start);
    (range, ticks)
}

/// The simulated rate: its Wilson band, per-size interval bars, line and points.
fn draw_rate<'a, DB: DrawingBackend + 'a>(
    chart: &mut PowerChart<'a, DB>,
    report: &RunReport,
    rate: &str,
) -> DrawResult<DB> {
    let band = BLUE.mix(0.18);
    let mut outline: Vec<(f64, f64)> = report
        .results
        .iter()
        .map(|r| (r.n_per_arm as f64, r.power_ci_low))
        .collect();
    outline.extend(
        report
            .results
            .iter()
            .rev()
            .map(|r| (r.n_per_arm as f64, r.power_ci_high)),
    );
    chart
        .draw_series(std::iter::once(Polygon::new(outline, band.filled())))?
        .label("95% Wilson interval")
        .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 20, y + 5)], band.filled()));
    chart.draw_series(report.results.iter().map(|r| {
        let x = r.n_per_arm as f64;
        PathElement::new(
            vec![(x, r.power_ci_low), (x, r.power_ci_high)],
            BLUE.mix(0.6),
        )
    }))?;
    chart
        .draw_series(LineSeries::new(
            report.results.iter().map(|r| (r.n_per_arm as f64, r.power)),
            BLUE.stroke_width(2),
        ))?
        .label(format!("simulated {rate}"))
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE.stroke_width(2)));
    chart.draw_series(
        report
            .results
            .iter()
            .map(|r| Circle::new((r.n_per_arm as f64, r.power), 4, BLUE.filled())),
    )?;
    Ok(())
}

/// The assurance curve, when the effect has a prior (nothing otherwise).
fn draw_assurance<'a, DB: DrawingBackend + 'a>(
    chart: &mut PowerChart<'a, DB>,
    report: &RunReport,
) -> DrawResult<DB> {
    let assurance: Vec<(f64, f64)> = report
        .results
        .iter()
        .filter_map(|r| r.assurance.map(|a| (r.n_per_arm as f64, a)))
        .collect();
    if assurance.is_empty() {
        return Ok(());
    }
    let purple = RGBColor(128, 0, 160);
    chart
        .draw_series(LineSeries::new(assurance.clone(), purple.stroke_width(2)))?
        .label(format!(
            "assurance (effect ~ Normal({}, {}))",
            report.effect_mean, report.effect_sd
        ))
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], purple.stroke_width(2)));
    chart.draw_series(
        assurance
            .iter()
            .map(|&p| TriangleMarker::new(p, 5, purple.filled())),
    )?;
    Ok(())
}
