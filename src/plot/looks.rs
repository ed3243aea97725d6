//! `looks.png` / `looks.svg` (runs with interim looks): for the largest
//! sample size, on the left the boundaries on the z scale against the
//! information fraction (efficacy solid, futility dashed; a two-sided
//! design's lower efficacy bound too) over the simulated z statistics at
//! each look (median, 25-75% and 5-95% ranges, every trial that held the
//! look, stopped before it or not); on the right the probability of
//! stopping at each look, for efficacy and for futility.

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use super::{DASH, DrawResult, Plot, TickedAxis, draw_legend, mesh, register_fonts, titled_chart};
use crate::report::{CellResult, RunReport};
use crate::scenario::Sided;
use crate::summary::looks::LookRow;

/// The looks chart of a run's largest sample size.
pub struct LooksPlot<'a> {
    report: &'a RunReport,
    last: &'a CellResult,
    rows: &'a [LookRow],
}

impl<'a> LooksPlot<'a> {
    /// The chart, or `None` for a run without interim looks.
    pub fn of(report: &'a RunReport) -> Option<Self> {
        let last = report.results.last()?;
        let rows = last.looks.looks.as_deref()?;
        (rows.len() > 1).then_some(LooksPlot { report, last, rows })
    }
}

const RED: RGBColor = RGBColor(200, 30, 30);
const ORANGE: RGBColor = RGBColor(220, 110, 0);

impl Plot for LooksPlot<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        register_fonts();
        root.fill(&WHITE)?;
        let (left, right) = root.split_horizontally(root.dim_in_pixel().0 * 2 / 3);
        self.draw_z(&left)?;
        self.draw_stops(&right)
    }
}

impl LooksPlot<'_> {
    fn draw_z<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let rows = self.rows;
        let two_sided = self.report.sided == Sided::Two;
        let mut lo: f64 = -1.0;
        let mut hi: f64 = 3.0;
        for r in rows {
            for v in [r.z_p05, r.z_p95]
                .into_iter()
                .chain(r.efficacy_z)
                .chain(r.futility_z)
            {
                if v.is_finite() {
                    lo = lo.min(v);
                    hi = hi.max(v);
                }
            }
            if two_sided && let Some(c) = r.efficacy_z {
                lo = lo.min(-c);
            }
        }
        let (lo, hi) = ((lo - 0.5).floor(), (hi + 0.5).ceil());
        let title = format!(
            "{}: z by look, n {}:{}",
            self.report.scenario, self.last.n_msc, self.last.n_control
        );
        let ticks = (lo as i32..=hi as i32).map(f64::from).collect();
        let mut chart = titled_chart(
            area,
            title,
            50,
            RangedCoordf64::from(0.0..1.05),
            TickedAxis::new(lo..hi, ticks),
        )?;
        mesh(&mut chart)
            .x_label_formatter(&|x| format!("{x:.1}"))
            .y_label_formatter(&|y| format!("{y:.0}"))
            .x_desc("information fraction")
            .y_desc("z (positive favours MSC)")
            .draw()?;
        let blue = BLUE;
        for r in rows {
            let x = r.information_fraction;
            let w = 0.012;
            chart.draw_series(std::iter::once(Rectangle::new(
                [(x - w / 2.0, r.z_p05), (x + w / 2.0, r.z_p95)],
                blue.mix(0.15).filled(),
            )))?;
            chart.draw_series(std::iter::once(Rectangle::new(
                [(x - w, r.z_p25), (x + w, r.z_p75)],
                blue.mix(0.35).filled(),
            )))?;
        }
        chart
            .draw_series(LineSeries::new(
                rows.iter().map(|r| (r.information_fraction, r.z_p50)),
                blue.stroke_width(2),
            ))?
            .label("simulated z: median, 25-75% (dark), 5-95% (light)")
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], blue.stroke_width(2))
            });
        let efficacy: Vec<(f64, f64)> = rows
            .iter()
            .filter_map(|r| r.efficacy_z.map(|c| (r.information_fraction, c)))
            .collect();
        chart
            .draw_series(LineSeries::new(efficacy.clone(), RED.stroke_width(2)))?
            .label(if two_sided {
                "efficacy bounds (+c and, faded, -c)"
            } else {
                "efficacy bound"
            })
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], RED.stroke_width(2)));
        chart.draw_series(efficacy.iter().map(|&p| Circle::new(p, 4, RED.filled())))?;
        if two_sided {
            let lower: Vec<(f64, f64)> = efficacy.iter().map(|&(x, c)| (x, -c)).collect();
            chart.draw_series(LineSeries::new(lower.clone(), RED.mix(0.5).stroke_width(2)))?;
            chart.draw_series(
                lower
                    .iter()
                    .map(|&p| Circle::new(p, 4, RED.mix(0.5).filled())),
            )?;
        }
        let futility: Vec<(f64, f64)> = rows
            .iter()
            .filter_map(|r| r.futility_z.map(|f| (r.information_fraction, f)))
            .collect();
        if !futility.is_empty() {
            chart
                .draw_series(DashedLineSeries::new(
                    futility.clone(),
                    DASH.0,
                    DASH.1,
                    ORANGE.stroke_width(2),
                ))?
                .label("futility bound (dashed)")
                .legend(|(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], ORANGE.stroke_width(2))
                });
            chart.draw_series(futility.iter().map(|&p| Circle::new(p, 4, ORANGE.filled())))?;
        }
        draw_legend(&mut chart, SeriesLabelPosition::UpperLeft)
    }

    fn draw_stops<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let rows = self.rows;
        let top = rows
            .iter()
            .map(|r| r.stop_efficacy.max(r.stop_futility))
            .fold(0.1_f64, f64::max);
        let top = ((top * 10.0).ceil() / 10.0 + 0.05).min(1.05);
        let k = rows.len() as f64;
        let ticks = (0..=20)
            .map(|i| f64::from(i) / 10.0)
            .filter(|&t| t <= top)
            .collect();
        let mut chart = titled_chart(
            area,
            "stopping by look".to_string(),
            50,
            RangedCoordf64::from(0.5..k + 0.5),
            TickedAxis::new(0.0..top, ticks),
        )?;
        let labels: Vec<f64> = (1..=rows.len()).map(|i| i as f64).collect();
        mesh(&mut chart)
            .x_labels(rows.len())
            .x_label_formatter(&|x| {
                if labels.iter().any(|l| (l - x).abs() < 1e-9) {
                    format!("{x:.0}")
                } else {
                    String::new()
                }
            })
            .y_label_formatter(&|y| format!("{y:.1}"))
            .x_desc("look")
            .y_desc("probability of stopping there")
            .draw()?;
        let w = 0.18;
        chart
            .draw_series(rows.iter().map(|r| {
                let x = r.look as f64;
                Rectangle::new(
                    [(x - 2.0 * w, 0.0), (x, r.stop_efficacy)],
                    RED.mix(0.8).filled(),
                )
            }))?
            .label("efficacy")
            .legend(|(x, y)| Rectangle::new([(x, y - 5), (x + 20, y + 5)], RED.mix(0.8).filled()));
        chart
            .draw_series(rows.iter().map(|r| {
                let x = r.look as f64;
                Rectangle::new(
                    [(x, 0.0), (x + 2.0 * w, r.stop_futility)],
                    ORANGE.mix(0.8).filled(),
                )
            }))?
            .label("futility")
            .legend(|(x, y)| {
                Rectangle::new([(x, y - 5), (x + 20, y + 5)], ORANGE.mix(0.8).filled())
            });
        draw_legend(&mut chart, SeriesLabelPosition::UpperLeft)
    }
}
