//! `tornado.png` / `tornado.svg` of `trialsim sensitivity`: for each key
//! varied, a bar over the powers its values give, widest swing on top, each
//! value marked and labelled, the base power as a dashed line. Reads only
//! the sensitivity rows.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{DASH, DrawResult, Plot, register_fonts};
use crate::engine::sensitivity::Row;

/// The tornado chart of a sensitivity analysis (the first row is the base).
pub struct TornadoPlot<'a>(pub &'a [Row]);

impl TornadoPlot<'_> {
    /// Keys with their rows, widest swing in power first.
    pub fn keys(&self) -> Vec<(&str, Vec<&Row>)> {
        let mut keys: Vec<(&str, Vec<&Row>)> = Vec::new();
        for r in &self.0[1..] {
            match keys.iter_mut().find(|(k, _)| *k == r.key) {
                Some((_, rows)) => rows.push(r),
                None => keys.push((&r.key, vec![r])),
            }
        }
        let swing = |rows: &Vec<&Row>| {
            let (lo, hi) = rows
                .iter()
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), r| {
                    (a.min(r.power), b.max(r.power))
                });
            hi - lo
        };
        keys.sort_by(|a, b| swing(&b.1).total_cmp(&swing(&a.1)));
        keys
    }
}

impl Plot for TornadoPlot<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        register_fonts();
        root.fill(&WHITE)?;
        let base = &self.0[0];
        let keys = self.keys();
        let k = keys.len().max(1) as f64;
        let title = format!(
            "trialsim sensitivity: power at {} per arm (base {:.3})",
            base.n_per_arm, base.power
        );
        let label_width = keys.iter().map(|(key, _)| key.len()).max().unwrap_or(4) as u32 * 8 + 20;
        let mut chart = ChartBuilder::on(root)
            .caption(title, ("sans-serif", 24, FontStyle::Bold))
            .margin(20)
            .x_label_area_size(50)
            .y_label_area_size(label_width.min(320))
            .build_cartesian_2d(0.0..1.0, -0.5..k - 0.5)?;
        let names: Vec<String> = keys.iter().map(|(key, _)| key.to_string()).collect();
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(keys.len().max(1))
            .y_label_formatter(&|y| {
                let i = y.round();
                if (y - i).abs() < 1e-6 && i >= 0.0 {
                    // Widest swing on top.
                    names
                        .get(names.len().wrapping_sub(1 + i as usize))
                        .cloned()
                        .unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .x_desc("power (a significant result)")
            .label_style(("sans-serif", 15))
            .axis_desc_style(("sans-serif", 17))
            .draw()?;
        let line = BLACK.mix(0.6).stroke_width(1);
        chart.draw_series(DashedLineSeries::new(
            vec![(base.power, -0.5), (base.power, k - 0.5)],
            DASH.0,
            DASH.1,
            line,
        ))?;
        for (i, (_, rows)) in keys.iter().enumerate() {
            let y = k - 1.0 - i as f64;
            let (lo, hi) = rows.iter().fold((base.power, base.power), |(a, b), r| {
                (a.min(r.power), b.max(r.power))
            });
            chart.draw_series(std::iter::once(Rectangle::new(
                [(lo, y - 0.3), (hi, y + 0.3)],
                BLUE.mix(0.35).filled(),
            )))?;
            for r in rows {
                chart.draw_series(std::iter::once(Circle::new((r.power, y), 5, BLUE.filled())))?;
                chart.draw_series(std::iter::once(Text::new(
                    r.value.clone(),
                    (r.power, y + 0.32),
                    ("sans-serif", 14).into_font().color(&BLACK),
                )))?;
            }
        }
        Ok(())
    }
}
