//! `scaling.png` / `scaling.svg` of `trialsim bench`: measured speed-up
//! against threads, with the ideal line. Reads only the
//! [`BenchReport`] record, never the code that measured it.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{DrawResult, Plot, draw_legend, register_fonts, titled_chart};
use crate::report::bench::BenchReport;

/// The speed-up chart of a benchmark.
pub struct ScalingPlot<'a>(pub &'a BenchReport);

impl Plot for ScalingPlot<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let report = self.0;
        register_fonts();
        root.fill(&WHITE)?;
        let max = report.rows.iter().map(|r| r.threads).max().unwrap_or(1) as f64;
        let top = report.rows.iter().map(|r| r.speedup).fold(max, f64::max) * 1.05;
        let title = format!("trialsim bench: speed-up ({} CPUs)", report.cpus);
        let mut chart = titled_chart(root, title, 60, 0.0..max + 0.5, 0.0..top)?;
        chart
            .configure_mesh()
            .x_desc("threads")
            .y_desc("throughput / one thread's")
            .axis_desc_style(("sans-serif", 16))
            .label_style(("sans-serif", 14))
            .draw()?;
        chart
            .draw_series(DashedLineSeries::new(
                vec![(0.0, 0.0), (max, max)],
                8,
                6,
                BLACK.mix(0.5).stroke_width(1),
            ))?
            .label("ideal (efficiency 1)")
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLACK.mix(0.5)));
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
