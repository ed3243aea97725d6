//! `estimand_bias.png` / `estimand_bias.svg`: bias against MSC's own effect
//! under each estimand strategy, with ±1.96 MC SE bars, at the largest sample
//! size. Only runs with intercurrent events have these figures.
//!
//! The axis says what the whiskers are (issue 9: a reader could not tell
//! ±1.96 MC SE from a spread of estimates).

use std::collections::BTreeMap;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{DrawResult, Plot, TickedAxis, mesh, register_fonts, titled_chart};
use crate::report::{CellResult, RunReport};

/// The bias-by-strategy bars of a run's largest sample size.
pub struct EstimandBiasPlot<'a> {
    report: &'a RunReport,
    last: &'a CellResult,
    bias: &'a BTreeMap<String, f64>,
}

impl<'a> EstimandBiasPlot<'a> {
    /// The chart, or `None` when the run has no intercurrent events.
    pub fn of(report: &'a RunReport) -> Option<Self> {
        let last = report.results.last()?;
        let bias = last.estimands.bias_by_estimand.as_ref()?;
        Some(EstimandBiasPlot { report, last, bias })
    }
}

impl Plot for EstimandBiasPlot<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        register_fonts();
        root.fill(&WHITE)?;
        let se = self
            .last
            .estimands
            .bias_by_estimand_mc_se
            .clone()
            .unwrap_or_default();
        let bars: Vec<(&String, f64, f64)> = self
            .bias
            .iter()
            // An SE that is not defined (fewer than 2 replicates) draws no
            // whisker and must not shrink the axis to nothing.
            .map(|(k, &b)| {
                (
                    k,
                    b,
                    se.get(k).copied().filter(|s| s.is_finite()).unwrap_or(0.0),
                )
            })
            .collect();
        let reach = bars
            .iter()
            .map(|(_, b, s)| b.abs() + 2.0 * s)
            .fold(0.0f64, f64::max)
            .max(1e-3)
            * 1.2;
        let n = bars.len();
        let title = format!(
            "{}: bias by estimand strategy (n {}:{})",
            self.report.scenario, self.last.n_msc, self.last.n_control
        );
        let categories =
            TickedAxis::new(-0.5..(n as f64 - 0.5), (0..n).map(|i| i as f64).collect());
        let mut chart = titled_chart(root, title, 70, categories, -reach..reach)?;
        let labels: Vec<String> = bars.iter().map(|(k, _, _)| k.to_string()).collect();
        mesh(&mut chart)
            .disable_x_mesh()
            .x_label_formatter(&|x| {
                let i = x.round();
                if (x - i).abs() < 1e-6 && i >= 0.0 {
                    labels.get(i as usize).cloned().unwrap_or_default()
                } else {
                    String::new()
                }
            })
            .x_desc(whisker_note(self.last.replicates))
            .y_desc(format!(
                "mean estimate − MSC's own effect ({})",
                self.report.estimate_scale
            ))
            .draw()?;
        chart.draw_series(bars.iter().enumerate().map(|(i, (_, b, _))| {
            let x = i as f64;
            Rectangle::new([(x - 0.3, 0.0), (x + 0.3, *b)], BLUE.mix(0.6).filled())
        }))?;
        chart.draw_series(bars.iter().enumerate().map(|(i, (_, b, s))| {
            let x = i as f64;
            PathElement::new(
                vec![(x, b - 1.96 * s), (x, b + 1.96 * s)],
                BLACK.stroke_width(2),
            )
        }))?;
        chart.draw_series(std::iter::once(PathElement::new(
            vec![(-0.5, 0.0), (n as f64 - 0.5, 0.0)],
            BLACK.stroke_width(1),
        )))?;
        Ok(())
    }
}

/// What the bars and whiskers show, under the strategy names.
pub fn whisker_note(replicates: u64) -> String {
    format!(
        "estimand strategy (bar: mean bias; whiskers: ±1.96 Monte Carlo SE of it, {replicates} replicates)"
    )
}
