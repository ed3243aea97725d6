//! `flare.png` / `flare.svg`: the share of patients still flare-free by week,
//! per arm, at the largest sample size. Only runs with intercurrent events
//! have these curves.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{DrawResult, Plot, draw_legend, register_fonts, titled_chart};
use crate::report::{CellResult, FlareFree, RunReport};

/// The flare-free curves of a run's largest sample size.
pub struct FlarePlot<'a> {
    report: &'a RunReport,
    last: &'a CellResult,
    curves: &'a FlareFree,
}

impl<'a> FlarePlot<'a> {
    /// The chart, or `None` when the run has no intercurrent events.
    pub fn of(report: &'a RunReport) -> Option<Self> {
        let last = report.results.last()?;
        let curves = last.flare_curve.flare_free.as_ref()?;
        Some(FlarePlot {
            report,
            last,
            curves,
        })
    }
}

impl Plot for FlarePlot<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        register_fonts();
        root.fill(&WHITE)?;
        let weeks = self.curves.msc.len().saturating_sub(1).max(1) as f64;
        let title = format!(
            "{}: flare-free by week (n {}:{})",
            self.report.scenario, self.last.n_msc, self.last.n_control
        );
        let mut chart = titled_chart(root, title, 60, 0.0..weeks, 0.0..1.0)?;
        chart
            .configure_mesh()
            .x_desc("weeks after the first MSC infusion")
            .y_desc("share of patients without a flare")
            .axis_desc_style(("sans-serif", 16))
            .label_style(("sans-serif", 14))
            .draw()?;
        let orange = RGBColor(220, 110, 0);
        for (name, curve, colour) in [
            ("MSC", &self.curves.msc, BLUE),
            ("control", &self.curves.control, orange),
        ] {
            if curve.is_empty() {
                continue;
            }
            chart
                .draw_series(LineSeries::new(
                    curve.iter().enumerate().map(|(w, &p)| (w as f64, p)),
                    colour.stroke_width(2),
                ))?
                .label(name)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2))
                });
        }
        draw_legend(&mut chart, SeriesLabelPosition::LowerLeft)
    }
}
