//! `scaling.png` / `scaling.svg` of `trialsim bench`: measured speed-up
//! against threads, with the ideal line. Reads only the
//! [`BenchReport`] record, never the code that measured it.
//!
//! The x axis is labelled at the measured thread counts only: a thread count
//! is a whole number (issue 9 found 0.5, 1.5, ... on it).

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{DASH, DrawResult, Plot, TickedAxis, dashed_legend_mark, draw_legend, mesh};
use super::{register_fonts, ticks_at, titled_chart};
use crate::report::bench::BenchReport;

/// The speed-up chart of a benchmark.
pub struct ScalingPlot<'a>(pub &'a BenchReport);

impl ScalingPlot<'_> {
    /// The x range and the thread counts labelled on it: each measured count
    /// once (crowded ones skipped), nothing in between.
    pub fn thread_axis(&self) -> (std::ops::Range<f64>, Vec<f64>) {
        let max = self.0.rows.iter().map(|r| r.threads).max().unwrap_or(1) as f64;
        let range = 0.0..max + 0.5;
        let ticks = ticks_at(
            self.0.rows.iter().map(|r| r.threads as f64),
            range.end - range.start,
        );
        (range, ticks)
    }
}

impl Plot for ScalingPlot<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let report = self.0;
        register_fonts();
        root.fill(&WHITE)?;
        let (x_range, ticks) = self.thread_axis();
        let max = x_range.end - 0.5;
        let top = report.rows.iter().map(|r| r.speedup).fold(max, f64::max) * 1.05;
        let title = format!("trialsim bench: speed-up ({} CPUs)", report.cpus);
        let mut chart = titled_chart(root, title, 60, TickedAxis::new(x_range, ticks), 0.0..top)?;
        mesh(&mut chart)
            .x_label_formatter(&|x| format!("{x:.0}"))
            .x_desc("threads")
            .y_desc("throughput / one thread's")
            .draw()?;
        let ideal = BLACK.mix(0.5).stroke_width(1);
        chart
            .draw_series(DashedLineSeries::new(
                vec![(0.0, 0.0), (max, max)],
                DASH.0,
                DASH.1,
                ideal,
            ))?
            .label("ideal (efficiency 1)")
            .legend(dashed_legend_mark(ideal));
        let points: Vec<(f64, f64)> = report
            .rows
            .iter()
            .map(|r| (r.threads as f64, r.speedup))
            .collect();
        chart
            .draw_series(LineSeries::new(points.clone(), BLUE.stroke_width(2)))?
            .label("measured")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE.stroke_width(2)));
        chart.draw_series(points.iter().map(|&p| Circle::new(p, 4, BLUE.filled())))?;
        draw_legend(&mut chart, SeriesLabelPosition::UpperLeft)
    }
}
