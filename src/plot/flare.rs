//! `flare.png` / `flare.svg`: the share of patients still flare-free by week,
//! per arm, at the largest sample size, each with a ±1.96 Monte Carlo SE band.
//! Dashed vertical lines mark the primary visit and the end of the taper of
//! standard therapy. Only runs in which a flare can happen have these curves.
//!
//! Week 0 is baseline for both arms (randomisation; the first infusion in the
//! MSC arm): the axis says so rather than "after the first MSC infusion",
//! which the control arm never has (issue 9).

use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::{
    Chart, DASH, DrawResult, LABEL_FONT, Plot, TickedAxis, draw_legend, mesh, register_fonts,
    titled_chart,
};
use crate::report::{CellResult, FlareFree, RunReport};

/// The x axis description: true for both arms.
pub const WEEKS_AXIS: &str = "weeks since baseline (randomisation; first infusion in the MSC arm)";

/// Top of the y axis: room above 1 for the marker labels, clear of the curves.
const Y_TOP: f64 = 1.13;

/// The flare-free curves of a run's largest sample size.
pub struct FlarePlot<'a> {
    report: &'a RunReport,
    last: &'a CellResult,
    curves: &'a FlareFree,
}

impl<'a> FlarePlot<'a> {
    /// The chart, or `None` when the run has no intercurrent events or no
    /// flare can happen in it (every flare hazard is zero).
    pub fn of(report: &'a RunReport) -> Option<Self> {
        if !report.flares_possible {
            return None;
        }
        let last = report.results.last()?;
        let curves = last.flare_curve.flare_free.as_ref()?;
        Some(FlarePlot {
            report,
            last,
            curves,
        })
    }
}

/// A week marked on the chart with a dashed vertical line and a label.
#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    pub week: f64,
    pub label: String,
}

/// The weeks a reader needs to place the curves: the start and end of the
/// withdrawal of standard therapy (naming the arm when only one withdraws),
/// and the primary visit.
pub fn markers(report: &RunReport) -> Vec<Marker> {
    let mut marks = Vec::new();
    let arms = match report.withdrawing_arms.as_slice() {
        [one] if one == "msc" => " (MSC arm)".to_string(),
        [one] => format!(" ({one} arm)"),
        _ => String::new(),
    };
    let start = report.withdraw_week.unwrap_or(0.0);
    match report.taper_weeks {
        Some(t) if t > 0.0 => {
            if start > 0.0 {
                marks.push(Marker {
                    week: start,
                    label: format!("taper starts{arms}, week {}", week_text(start)),
                });
            }
            marks.push(Marker {
                week: start + t,
                label: format!("taper ends{arms}, week {}", week_text(start + t)),
            });
        }
        Some(_) => marks.push(Marker {
            week: start,
            label: format!("withdrawal{arms} at week {}, no taper", week_text(start)),
        }),
        None => {}
    }
    marks.push(Marker {
        week: report.primary_week,
        label: format!("primary visit, week {}", week_text(report.primary_week)),
    });
    marks
}

/// A week as written in a scenario: `24`, or `2.5`.
fn week_text(week: f64) -> String {
    if week.fract() == 0.0 {
        format!("{week:.0}")
    } else {
        // Axis steps such as 0.1 carry float noise (0.30000000000000004).
        let text = format!("{week:.2}");
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// The outline of a curve's ±1.96 MC SE band, clipped to [0, 1]: upper edge
/// left to right, then lower edge back. `None` when any SE is unknown (fewer
/// than two replicates) or the lengths differ.
pub fn band(curve: &[f64], mc_se: &[f64]) -> Option<Vec<(f64, f64)>> {
    if curve.is_empty() || curve.len() != mc_se.len() || mc_se.iter().any(|s| !s.is_finite()) {
        return None;
    }
    let edge = |sign: f64| {
        move |(w, (&p, &s)): (usize, (&f64, &f64))| {
            (w as f64, (p + sign * 1.96 * s).clamp(0.0, 1.0))
        }
    };
    let mut outline: Vec<(f64, f64)> = curve.iter().zip(mc_se).enumerate().map(edge(1.0)).collect();
    outline.extend(curve.iter().zip(mc_se).enumerate().rev().map(edge(-1.0)));
    Some(outline)
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
        let shares = TickedAxis::new(0.0..Y_TOP, (0..=10).map(|i| f64::from(i) / 10.0).collect());
        let mut chart = titled_chart(root, title, 60, RangedCoordf64::from(0.0..weeks), shares)?;
        mesh(&mut chart)
            .x_label_formatter(&|w| week_text(*w))
            .y_label_formatter(&|y| format!("{y:.1}"))
            .x_desc(WEEKS_AXIS)
            .y_desc("share of patients without a flare")
            .draw()?;
        let orange = RGBColor(220, 110, 0);
        let arms = [
            ("MSC", &self.curves.msc, &self.curves.msc_mc_se, BLUE),
            (
                "control",
                &self.curves.control,
                &self.curves.control_mc_se,
                orange,
            ),
        ];
        let mut banded = false;
        for (_, curve, se, colour) in arms {
            if let Some(outline) = band(curve, se) {
                chart.draw_series(std::iter::once(Polygon::new(
                    outline,
                    colour.mix(0.3).filled(),
                )))?;
                banded = true;
            }
        }
        for (name, curve, _, colour) in arms {
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
        if banded {
            let grey = BLACK.mix(0.2);
            chart
                .draw_series(std::iter::empty::<Polygon<(f64, f64)>>())?
                .label("shaded: ±1.96 Monte Carlo SE")
                .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 20, y + 5)], grey.filled()));
        }
        self.draw_markers(root, &mut chart, weeks)?;
        draw_legend(&mut chart, SeriesLabelPosition::LowerLeft)
    }
}

impl FlarePlot<'_> {
    /// The dashed week markers, labelled in rows above the curves; a label
    /// that would overlap the one before it in a row drops to the next row,
    /// and one that would run off the right edge sits left of its line.
    fn draw_markers<'a, DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        chart: &mut Chart<'a, DB, RangedCoordf64, TickedAxis>,
        weeks: f64,
    ) -> DrawResult<DB> {
        let ink = BLACK.mix(0.8);
        let style = TextStyle::from(("sans-serif", LABEL_FONT).into_font()).color(&ink);
        let line = BLACK.mix(0.55).stroke_width(1);
        let right_edge = chart.backend_coord(&(weeks, 0.0)).0;
        let mut row_ends: Vec<i32> = Vec::new();
        // A week past the end of follow-up (a taper longer than follow-up)
        // has no place on the chart.
        for marker in markers(self.report).into_iter().filter(|m| m.week <= weeks) {
            let week = marker.week.max(0.0);
            let x = chart.backend_coord(&(week, 0.0)).0;
            let width = root.estimate_text_size(&marker.label, &style)?.0 as i32;
            let left_of_line = x + 4 + width > right_edge;
            let (start, end) = if left_of_line {
                (x - 4 - width, x)
            } else {
                (x, x + 4 + width)
            };
            let row = row_ends
                .iter()
                .position(|&e| start > e + 8)
                .unwrap_or(row_ends.len());
            if row == row_ends.len() {
                row_ends.push(end);
            } else {
                row_ends[row] = end;
            }
            let top = Y_TOP - 0.005 - 0.045 * row as f64;
            if week > 0.0 {
                chart.draw_series(DashedLineSeries::new(
                    vec![(week, 0.0), (week, top)],
                    DASH.0,
                    DASH.1,
                    line,
                ))?;
            }
            let (dx, anchor) = if left_of_line {
                (-4, HPos::Right)
            } else {
                (4, HPos::Left)
            };
            let label_style = style.pos(Pos::new(anchor, VPos::Top));
            chart.draw_series(std::iter::once(
                EmptyElement::at((week, top)) + Text::new(marker.label, (dx, 0), label_style),
            ))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::band;

    #[test]
    fn band_is_1_96_mc_se_either_side_clipped_to_0_1() {
        let outline = band(&[1.0, 0.5, 0.01], &[0.1, 0.1, 0.1]).unwrap();
        let upper = [(0.0, 1.0), (1.0, 0.5 + 0.196), (2.0, 0.01 + 0.196)];
        let lower = [(2.0, 0.0), (1.0, 0.5 - 0.196), (0.0, 1.0 - 0.196)];
        assert_eq!(outline.len(), 6);
        for (got, want) in outline.iter().zip(upper.iter().chain(&lower)) {
            assert_eq!(got.0, want.0);
            assert!((got.1 - want.1).abs() < 1e-12, "{got:?} vs {want:?}");
        }
    }

    #[test]
    fn no_band_without_an_mc_se() {
        // Fewer than two replicates: the SEs are NaN.
        assert_eq!(band(&[1.0, 0.9], &[f64::NAN, f64::NAN]), None);
        assert_eq!(band(&[], &[]), None);
    }
}
