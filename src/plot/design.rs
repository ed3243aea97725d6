//! `design.png` / `design.svg` of `trialsim design`: the rate (power or
//! assurance) of every sample size the search evaluated, with its 99%
//! Monte Carlo interval, the target as a dashed line, and the answer marked.
//! Reads only the [`Search`] record.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{DASH, DrawResult, Plot, dashed_legend_mark, draw_legend, mesh, register_fonts};
use super::{TickedAxis, ticks_at, titled_chart};
use crate::engine::search::{Search, Target, Verdict};

/// The curve of a sample-size search.
pub struct DesignPlot<'a>(pub &'a Search);

impl DesignPlot<'_> {
    fn target(&self) -> (&'static str, f64) {
        match self.0.target {
            Target::Power(t) => ("power", t),
            Target::Assurance(t) => ("assurance", t),
            Target::Success(t) => ("probability of success", t),
        }
    }
}

impl Plot for DesignPlot<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        let search = self.0;
        let (what, level) = self.target();
        register_fonts();
        root.fill(&WHITE)?;
        let (lo, hi) = search.n_range;
        let pad = ((hi - lo) as f64 * 0.04).max(1.0);
        let x_range = lo as f64 - pad..hi as f64 + pad;
        let ticks = ticks_at(
            search.points.iter().map(|p| p.n_per_arm as f64),
            x_range.end - x_range.start,
        );
        let answer = match search.smallest {
            Some(n) => format!("smallest n per arm {n}"),
            None => format!("not reached by {hi}"),
        };
        let title = format!("trialsim design: {what} >= {level} ({answer})");
        let mut chart = titled_chart(
            root,
            title,
            60,
            TickedAxis::new(x_range.clone(), ticks),
            0.0..1.0,
        )?;
        mesh(&mut chart)
            .x_label_formatter(&|x| format!("{x:.0}"))
            .x_desc("n per arm")
            .y_desc(format!("{what} (99% Monte Carlo interval)"))
            .draw()?;
        let line = BLACK.mix(0.6).stroke_width(1);
        chart
            .draw_series(DashedLineSeries::new(
                vec![(x_range.start, level), (x_range.end, level)],
                DASH.0,
                DASH.1,
                line,
            ))?
            .label(format!("target {what} {level}"))
            .legend(dashed_legend_mark(line));
        // The answer first, so the points are drawn over it.
        if let Some(n) = search.smallest {
            let x = n as f64;
            let mark = GREEN.mix(0.8).stroke_width(2);
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(x, 0.0), (x, 1.0)],
                    mark,
                )))?
                .label(format!("answer: {n} per arm"))
                .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], mark));
        }
        let colour = |v: Verdict| match v {
            Verdict::Above => BLUE,
            Verdict::Below => RED,
            Verdict::WithinError => RGBColor(120, 120, 120),
        };
        for (verdict, label) in [
            (Verdict::Above, "reaches the target"),
            (Verdict::Below, "falls short"),
            (
                Verdict::WithinError,
                "within Monte Carlo error (judged by the estimate)",
            ),
        ] {
            let points: Vec<_> = search
                .points
                .iter()
                .filter(|p| p.verdict == verdict)
                .collect();
            if points.is_empty() {
                continue;
            }
            let c = colour(verdict);
            chart.draw_series(points.iter().map(|p| {
                let x = p.n_per_arm as f64;
                PathElement::new(vec![(x, p.ci_low), (x, p.ci_high)], c.stroke_width(2))
            }))?;
            chart
                .draw_series(
                    points
                        .iter()
                        .map(|p| Circle::new((p.n_per_arm as f64, p.rate), 4, c.filled())),
                )?
                .label(label)
                .legend(move |(x, y)| Circle::new((x + 10, y), 4, c.filled()));
        }
        draw_legend(&mut chart, SeriesLabelPosition::LowerRight)
    }
}
