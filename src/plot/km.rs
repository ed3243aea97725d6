//! `km.png` / `km.svg`: the Kaplan-Meier curves of a time-to-flare run's
//! largest sample size, per arm: the pointwise median of the trials' curves
//! (solid), the 5-95% range of the trials' curves at each time (shaded: where
//! one trial's curve may fall), and the flare-free curve the model expects,
//! `exp(-H(t))` at the assumed hazard ratio (dashed). Weeks count from
//! randomisation; a dashed vertical line marks the primary visit.

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use super::{DASH, DrawResult, Plot, TickedAxis, draw_legend, mesh, register_fonts, titled_chart};
use crate::report::{CellResult, RunReport};
use crate::summary::survival::{Band, KmBandArms};

/// The band chart of a run's largest sample size.
pub struct KmPlot<'a> {
    report: &'a RunReport,
    last: &'a CellResult,
    band: &'a KmBandArms,
}

impl<'a> KmPlot<'a> {
    /// The chart, or `None` for a run without a time-to-flare endpoint.
    pub fn of(report: &'a RunReport) -> Option<Self> {
        let last = report.results.last()?;
        let band = last.km_band.km_band.as_ref()?;
        Some(KmPlot { report, last, band })
    }
}

/// The outline of the 5-95% range: the 95th percentile left to right, then
/// the 5th back.
fn outline(weeks: &[f64], band: &Band) -> Vec<(f64, f64)> {
    let mut points: Vec<(f64, f64)> = weeks
        .iter()
        .copied()
        .zip(band.p95.iter().copied())
        .collect();
    points.extend(weeks.iter().copied().zip(band.p05.iter().copied()).rev());
    points
}

impl Plot for KmPlot<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        register_fonts();
        root.fill(&WHITE)?;
        let end = self.band.weeks.last().copied().unwrap_or(1.0).max(1e-9);
        let title = format!(
            "{}: Kaplan-Meier curves (n {}:{})",
            self.report.scenario, self.last.n_msc, self.last.n_control
        );
        let shares = TickedAxis::new(0.0..1.05, (0..=10).map(|i| f64::from(i) / 10.0).collect());
        let mut chart = titled_chart(root, title, 60, RangedCoordf64::from(0.0..end), shares)?;
        mesh(&mut chart)
            .x_label_formatter(&|w| format!("{w:.0}"))
            .y_label_formatter(&|y| format!("{y:.1}"))
            .x_desc("weeks since randomisation")
            .y_desc("probability flare-free")
            .draw()?;
        let orange = RGBColor(220, 110, 0);
        let arms = [
            ("MSC", &self.band.msc, BLUE),
            ("control", &self.band.control, orange),
        ];
        for (_, band, colour) in arms {
            chart.draw_series(std::iter::once(Polygon::new(
                outline(&self.band.weeks, band),
                colour.mix(0.2).filled(),
            )))?;
        }
        let weeks = &self.band.weeks;
        for (name, band, colour) in arms {
            chart
                .draw_series(LineSeries::new(
                    weeks.iter().copied().zip(band.median.iter().copied()),
                    colour.stroke_width(2),
                ))?
                .label(format!("{name}: median curve over trials"))
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(2))
                });
            chart
                .draw_series(DashedLineSeries::new(
                    weeks.iter().copied().zip(band.expected.iter().copied()),
                    DASH.0,
                    DASH.1,
                    colour.stroke_width(1),
                ))?
                .label(format!("{name}: expected, exp(-H(t)) (thin, dashed)"))
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], colour.stroke_width(1))
                });
        }
        let grey = BLACK.mix(0.2);
        chart
            .draw_series(std::iter::empty::<Polygon<(f64, f64)>>())?
            .label("shaded: 5-95% range over trials")
            .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 20, y + 5)], grey.filled()));
        let primary = self.report.primary_week;
        if primary > 0.0 && primary < end {
            chart.draw_series(DashedLineSeries::new(
                vec![(primary, 0.0), (primary, 1.05)],
                DASH.0,
                DASH.1,
                BLACK.mix(0.55).stroke_width(1),
            ))?;
        }
        draw_legend(&mut chart, SeriesLabelPosition::LowerLeft)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outline_runs_along_the_95th_and_back_along_the_5th() {
        let band = Band {
            median: vec![1.0, 0.8],
            p05: vec![1.0, 0.6],
            p95: vec![1.0, 0.9],
            expected: vec![1.0, 0.8],
        };
        assert_eq!(
            outline(&[0.0, 12.0], &band),
            vec![(0.0, 1.0), (12.0, 0.9), (12.0, 0.6), (0.0, 1.0)]
        );
    }
}
