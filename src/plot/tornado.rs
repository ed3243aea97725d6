//! The tornado charts of `trialsim sensitivity` (power, bias, and flare risk
//! where the scenario has flares): for each key varied, a bar over the
//! values of the measure its values give, widest swing on top, each value
//! marked and labelled, the base case as a dashed line. Reads only the
//! sensitivity rows.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{DASH, DrawResult, Plot, register_fonts};
use crate::engine::sensitivity::Row;

/// What a tornado chart shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Measure {
    Power,
    Bias,
    /// The MSC arm's probability of a flare by the primary visit.
    FlareRisk,
}

impl Measure {
    /// The measure's value in a row (`None`: the row has none).
    pub fn of(self, r: &Row) -> Option<f64> {
        match self {
            Measure::Power => Some(r.power),
            Measure::Bias => Some(r.bias).filter(|b| b.is_finite()),
            Measure::FlareRisk => r.flare_by_primary_msc,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Measure::Power => "power (a significant result)",
            Measure::Bias => "bias: mean estimate minus the true effect",
            Measure::FlareRisk => "MSC arm: probability of a flare by the primary visit",
        }
    }

    fn title(self) -> &'static str {
        match self {
            Measure::Power => "power",
            Measure::Bias => "bias",
            Measure::FlareRisk => "flare risk (MSC)",
        }
    }
}

/// The tornado chart of a sensitivity analysis (the first row is the base)
/// for one measure.
pub struct TornadoPlot<'a>(pub &'a [Row], pub Measure);

impl TornadoPlot<'_> {
    /// The range of the measure over one key's `rows` and the base: the bar
    /// drawn, whose width orders the keys.
    pub fn range(&self, rows: &[&Row]) -> (f64, f64) {
        let m = self.1;
        let base = m.of(&self.0[0]).unwrap_or(f64::NAN);
        rows.iter()
            .filter_map(|r| m.of(r))
            .fold((base, base), |(a, b), v| (a.min(v), b.max(v)))
    }

    /// Keys with their rows, widest range of the measure first.
    pub fn keys(&self) -> Vec<(&str, Vec<&Row>)> {
        let mut keys: Vec<(&str, Vec<&Row>)> = Vec::new();
        for r in &self.0[1..] {
            match keys.iter_mut().find(|(k, _)| *k == r.key) {
                Some((_, rows)) => rows.push(r),
                None => keys.push((&r.key, vec![r])),
            }
        }
        // The swing of this chart's measure, from the base as the bars are drawn.
        let swing = |rows: &Vec<&Row>| {
            let (lo, hi) = self.range(rows);
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
        let m = self.1;
        let base_value = m.of(base).unwrap_or(f64::NAN);
        let keys = self.keys();
        let k = keys.len().max(1) as f64;
        let values: Vec<f64> = self.0.iter().filter_map(|r| m.of(r)).collect();
        let x_range = match m {
            Measure::Power | Measure::FlareRisk => 0.0..1.0,
            Measure::Bias => {
                let (lo, hi) = values
                    .iter()
                    .fold((0.0f64, 0.0f64), |(a, b), &v| (a.min(v), b.max(v)));
                let pad = ((hi - lo) * 0.15).max(1e-3);
                lo - pad..hi + pad
            }
        };
        let title = format!(
            "trialsim sensitivity: {} at {} per arm (base {:.3})",
            m.title(),
            base.n_per_arm,
            base_value
        );
        let label_width = keys.iter().map(|(key, _)| key.len()).max().unwrap_or(4) as u32 * 8 + 20;
        let mut chart = ChartBuilder::on(root)
            .caption(title, ("sans-serif", 24, FontStyle::Bold))
            .margin(20)
            .x_label_area_size(50)
            .y_label_area_size(label_width.min(320))
            .build_cartesian_2d(x_range, -0.5..k - 0.5)?;
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
            .x_desc(m.describe())
            .label_style(("sans-serif", 15))
            .axis_desc_style(("sans-serif", 17))
            .draw()?;
        let line = BLACK.mix(0.6).stroke_width(1);
        chart.draw_series(DashedLineSeries::new(
            vec![(base_value, -0.5), (base_value, k - 0.5)],
            DASH.0,
            DASH.1,
            line,
        ))?;
        for (i, (_, rows)) in keys.iter().enumerate() {
            let y = k - 1.0 - i as f64;
            let (lo, hi) = self.range(rows);
            chart.draw_series(std::iter::once(Rectangle::new(
                [(lo, y - 0.3), (hi, y + 0.3)],
                BLUE.mix(0.35).filled(),
            )))?;
            for r in rows {
                let Some(v) = m.of(r) else { continue };
                chart.draw_series(std::iter::once(Circle::new((v, y), 5, BLUE.filled())))?;
                chart.draw_series(std::iter::once(Text::new(
                    r.value.clone(),
                    (v, y + 0.32),
                    ("sans-serif", 14).into_font().color(&BLACK),
                )))?;
            }
        }
        Ok(())
    }
}
