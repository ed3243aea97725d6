//! `borrowing.png` / `borrowing.svg` of `trialsim borrow`: P(success)
//! against the prior's weight on adult data, one curve per true effect
//! (the design's, none, and each multiple of the adult effect), with each
//! point's 95% interval (± 1.96 MC SE) and the one-sided alpha line. One
//! panel per sample size (at most three). Reads only the borrow rows.

use plotters::coord::Shift;
use plotters::prelude::*;

use plotters::element::DashedPathElement;

use super::{DASH, DrawResult, Plot, TickedAxis, mesh};
use super::{register_fonts, titled_chart};
use crate::engine::borrow::Row;

/// Most sample sizes drawn, one panel each.
pub const MAX_PANELS: usize = 3;

/// The borrowing chart: rows, the one-sided level, and the weight's name.
pub struct BorrowPlot<'a> {
    pub rows: &'a [Row],
    pub alpha: f64,
    /// `prior weight on adult data` or `power prior a0`.
    pub weight_name: &'a str,
}

/// A pass's colour and legend text.
fn style_of(i: usize) -> RGBColor {
    const COLOURS: [RGBColor; 6] = [
        RGBColor(31, 90, 200),
        RGBColor(200, 30, 30),
        RGBColor(230, 140, 0),
        RGBColor(40, 150, 60),
        RGBColor(128, 0, 160),
        RGBColor(90, 90, 90),
    ];
    COLOURS[i % COLOURS.len()]
}

fn legend_of(r: &Row) -> String {
    match (r.pass.as_str(), r.adult_ratio) {
        ("design", Some(k)) => format!("design effect ({}) = {k} x adult", r.effect_mean),
        ("design", None) => format!("design effect ({})", r.effect_mean),
        (_, Some(0.0)) => "no effect in children".into(),
        (_, Some(k)) => format!("children: {k} x adult effect"),
        (p, None) => p.to_string(),
    }
}

impl Plot for BorrowPlot<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        register_fonts();
        root.fill(&WHITE)?;
        let mut sizes: Vec<usize> = Vec::new();
        for r in self.rows {
            if !sizes.contains(&r.n_per_arm) {
                sizes.push(r.n_per_arm);
            }
        }
        sizes.truncate(MAX_PANELS);
        let (plots, key) = root.split_vertically(root.dim_in_pixel().1.saturating_sub(64));
        let panels = plots.split_evenly((1, sizes.len().max(1)));
        let mut legend: Vec<(String, ShapeStyle, bool)> = Vec::new();
        for (panel, &n) in panels.iter().zip(&sizes) {
            let rows: Vec<&Row> = self.rows.iter().filter(|r| r.n_per_arm == n).collect();
            let ticks = (0..=10).map(|i| f64::from(i) / 10.0).collect::<Vec<_>>();
            let mut chart = titled_chart(
                panel,
                format!("P(success) by borrowing, {n} per arm"),
                55,
                TickedAxis::new(-0.02..1.02, ticks.iter().step_by(2).copied().collect()),
                TickedAxis::new(0.0..1.0, ticks),
            )?;
            mesh(&mut chart)
                .x_label_formatter(&|x| format!("{x:.1}"))
                .y_label_formatter(&|y| format!("{y:.1}"))
                .x_desc(self.weight_name)
                .y_desc("P(posterior probability of benefit > threshold)")
                .draw()?;
            let mut passes: Vec<&str> = Vec::new();
            for r in &rows {
                if !passes.contains(&r.pass.as_str()) {
                    passes.push(&r.pass);
                }
            }
            for (i, pass) in passes.iter().enumerate() {
                let colour = style_of(i);
                let mut points: Vec<&&Row> = rows.iter().filter(|r| r.pass == *pass).collect();
                points.sort_by(|a, b| a.figures.weight.total_cmp(&b.figures.weight));
                let line: Vec<(f64, f64)> = points
                    .iter()
                    .map(|r| (r.figures.weight, r.figures.success))
                    .collect();
                chart.draw_series(LineSeries::new(line.clone(), colour.stroke_width(2)))?;
                let label = legend_of(points[0]);
                if !legend.iter().any(|l| l.0 == label) {
                    legend.push((label, colour.stroke_width(2), false));
                }
                chart.draw_series(line.iter().map(|&p| Circle::new(p, 4, colour.filled())))?;
                chart.draw_series(points.iter().map(|r| {
                    let half = 1.96 * r.figures.success_mc_se;
                    let (x, y) = (r.figures.weight, r.figures.success);
                    PathElement::new(vec![(x, y - half), (x, y + half)], colour.mix(0.7))
                }))?;
            }
            chart.draw_series(DashedLineSeries::new(
                vec![(-0.02, self.alpha), (1.02, self.alpha)],
                DASH.0,
                DASH.1,
                BLACK.stroke_width(1),
            ))?;
        }
        legend.push((
            format!("one-sided alpha {}", self.alpha),
            BLACK.stroke_width(1),
            true,
        ));
        // The key below the panels, three entries a row, so no curve is hidden.
        let font = ("sans-serif", super::LABEL_FONT).into_font();
        let width = i32::try_from(key.dim_in_pixel().0).unwrap_or(900);
        for (i, (label, style, dashed)) in legend.iter().enumerate() {
            let (x, y) = (
                20 + (i % 3) as i32 * (width - 40) / 3,
                18 + (i / 3) as i32 * 24,
            );
            if *dashed {
                key.draw(&DashedPathElement::new(
                    vec![(x, y), (x + 24, y)],
                    DASH.0,
                    DASH.1,
                    *style,
                ))?;
            } else {
                key.draw(&PathElement::new(vec![(x, y), (x + 24, y)], *style))?;
            }
            key.draw(&Text::new(label.clone(), (x + 30, y - 8), font.clone()))?;
        }
        Ok(())
    }
}
