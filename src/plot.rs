//! Plots, drawn from a [`RunReport`] only. Text uses DejaVu Sans compiled into
//! the binary (the `dejavu` crate), so rendering never needs system fonts.
//!
//! DejaVu fonts: Bitstream Vera derived, free licence (see the `dejavu` crate).

use std::sync::Once;

use anyhow::{Context, Result, anyhow};
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};

use crate::report::RunReport;

/// Plot size in pixels.
pub const SIZE: (u32, u32) = (900, 600);

static FONTS: Once = Once::new();

/// Registers the bundled font as "sans-serif" (once per process).
pub fn register_fonts() {
    FONTS.call_once(|| {
        // The bytes are a known-good TrueType font; failure here is a build defect.
        register_font("sans-serif", FontStyle::Normal, dejavu::sans::regular())
            .unwrap_or_else(|_| panic!("bundled DejaVu Sans failed to load"));
        register_font("sans-serif", FontStyle::Bold, dejavu::sans::bold())
            .unwrap_or_else(|_| panic!("bundled DejaVu Sans Bold failed to load"));
    });
}

/// `power.png`: PNG bytes of the power curve.
///
/// # Errors
/// If drawing or PNG encoding fails.
pub fn power_png(report: &RunReport) -> Result<Vec<u8>> {
    render_png("power.png", &PowerPlot(report))
}

/// `power.svg`: SVG text of the power curve.
///
/// # Errors
/// If drawing fails.
pub fn power_svg(report: &RunReport) -> Result<String> {
    render_svg("power.svg", &PowerPlot(report))
}

/// Encodes an RGB buffer as PNG.
///
/// # Errors
/// If the encoder fails.
pub fn encode_png(rgb: &[u8], (w, h): (u32, u32)) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut bytes, w, h);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_compression(png::Compression::Best);
        let mut writer = encoder.write_header().context("PNG header")?;
        writer.write_image_data(rgb).context("PNG data")?;
    }
    Ok(bytes)
}

type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// A chart with this project's title font, margins and label areas.
fn titled_chart<'a, DB: DrawingBackend>(
    root: &'a DrawingArea<DB, Shift>,
    title: String,
    y_label_width: u32,
    x: std::ops::Range<f64>,
    y: std::ops::Range<f64>,
) -> std::result::Result<Chart<'a, DB>, DrawingAreaErrorKind<DB::ErrorType>> {
    ChartBuilder::on(root)
        .caption(title, ("sans-serif", 24, FontStyle::Bold))
        .margin(16)
        .x_label_area_size(50)
        .y_label_area_size(y_label_width)
        .build_cartesian_2d(x, y)
}

type DrawResult<DB> =
    std::result::Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

fn draw_power<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    report: &RunReport,
) -> DrawResult<DB> {
    register_fonts();
    root.fill(&WHITE)?;
    let rate = if report.design == crate::scenario::DesignKind::SingleArm {
        "pre/post rejection"
    } else {
        "power"
    };
    let ns: Vec<f64> = report.results.iter().map(|r| r.n_per_arm as f64).collect();
    let lo = ns.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = ns.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let pad = ((hi - lo) * 0.05).max(1.0);
    let x_range = (lo - pad).max(0.0)..hi + pad;

    let mut chart = ChartBuilder::on(root)
        .caption(
            format!("{}: {rate} by sample size", report.scenario),
            ("sans-serif", 26, FontStyle::Bold),
        )
        .margin(16)
        .x_label_area_size(50)
        .y_label_area_size(60)
        .build_cartesian_2d(x_range.clone(), 0.0..1.0)?;
    chart
        .configure_mesh()
        .x_label_formatter(&|x| format!("{x:.0}"))
        .x_desc("patients per arm (control arm; MSC arm = allocation × n)")
        .y_desc(format!(
            "{rate} ({}, alpha {}, {} replicates)",
            report.analysis, report.alpha, report.replicates
        ))
        .axis_desc_style(("sans-serif", 16))
        .label_style(("sans-serif", 14))
        .draw()?;

    let band = BLUE.mix(0.18);
    let mut outline: Vec<(f64, f64)> = report
        .results
        .iter()
        .map(|r| (r.n_per_arm as f64, r.power_ci_low))
        .collect();
    outline.extend(
        report
            .results
            .iter()
            .rev()
            .map(|r| (r.n_per_arm as f64, r.power_ci_high)),
    );
    chart
        .draw_series(std::iter::once(Polygon::new(outline, band.filled())))?
        .label("95% Wilson interval")
        .legend(move |(x, y)| Rectangle::new([(x, y - 5), (x + 20, y + 5)], band.filled()));
    chart.draw_series(report.results.iter().map(|r| {
        let x = r.n_per_arm as f64;
        PathElement::new(
            vec![(x, r.power_ci_low), (x, r.power_ci_high)],
            BLUE.mix(0.6),
        )
    }))?;
    chart
        .draw_series(LineSeries::new(
            report.results.iter().map(|r| (r.n_per_arm as f64, r.power)),
            BLUE.stroke_width(2),
        ))?
        .label(format!("simulated {rate}"))
        .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], BLUE.stroke_width(2)));
    chart.draw_series(
        report
            .results
            .iter()
            .map(|r| Circle::new((r.n_per_arm as f64, r.power), 4, BLUE.filled())),
    )?;
    let assurance: Vec<(f64, f64)> = report
        .results
        .iter()
        .filter_map(|r| r.assurance.map(|a| (r.n_per_arm as f64, a)))
        .collect();
    if !assurance.is_empty() {
        let purple = RGBColor(128, 0, 160);
        chart
            .draw_series(LineSeries::new(assurance.clone(), purple.stroke_width(2)))?
            .label(format!(
                "assurance (effect ~ Normal({}, {}))",
                report.effect_mean, report.effect_sd
            ))
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], purple.stroke_width(2))
            });
        chart.draw_series(
            assurance
                .iter()
                .map(|&p| TriangleMarker::new(p, 5, purple.filled())),
        )?;
    }
    for (level, colour) in [(0.8, RED), (0.9, GREEN)] {
        chart
            .draw_series(DashedLineSeries::new(
                vec![(x_range.start, level), (x_range.end, level)],
                8,
                6,
                colour.stroke_width(1),
            ))?
            .label(format!("{:.0}% reference", level * 100.0))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], colour));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerRight)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .label_font(("sans-serif", 14))
        .draw()?;
    Ok(())
}

/// A plot that can be drawn on any plotters backend.
trait Plot {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB>;
}

/// Renders a plot to PNG bytes.
fn render_png(name: &str, plot: &impl Plot) -> Result<Vec<u8>> {
    let (w, h) = SIZE;
    let mut rgb = vec![0u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, SIZE).into_drawing_area();
        plot.draw(&root)
            .map_err(|e| anyhow!("drawing {name}: {e}"))?;
        root.present().map_err(|e| anyhow!("drawing {name}: {e}"))?;
    }
    encode_png(&rgb, SIZE)
}

/// Renders a plot to SVG text.
fn render_svg(name: &str, plot: &impl Plot) -> Result<String> {
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, SIZE).into_drawing_area();
        plot.draw(&root)
            .map_err(|e| anyhow!("drawing {name}: {e}"))?;
        root.present().map_err(|e| anyhow!("drawing {name}: {e}"))?;
    }
    Ok(text)
}

struct PowerPlot<'a>(&'a RunReport);
struct FlarePlot<'a>(&'a RunReport);
struct BiasPlot<'a>(&'a RunReport);

impl Plot for PowerPlot<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        draw_power(root, self.0)
    }
}

impl Plot for FlarePlot<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        draw_flare(root, self.0)
    }
}

impl Plot for BiasPlot<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        draw_estimand_bias(root, self.0)
    }
}

/// `STEM.png` and `STEM.svg` of one plot.
fn png_and_svg(stem: &str, plot: &impl Plot) -> Result<(Vec<u8>, String)> {
    Ok((
        render_png(&format!("{stem}.png"), plot)?,
        render_svg(&format!("{stem}.svg"), plot)?,
    ))
}

/// `flare.png` and `flare.svg`: flare-free proportion by week, per arm, at
/// the largest sample size. `None` without intercurrent events.
///
/// # Errors
/// If drawing fails.
pub fn flare_files(report: &RunReport) -> Result<Option<(Vec<u8>, String)>> {
    let present = report
        .results
        .last()
        .is_some_and(|r| r.flare_curve.flare_free.is_some());
    present
        .then(|| png_and_svg("flare", &FlarePlot(report)))
        .transpose()
}

/// `estimand_bias.png` and `estimand_bias.svg`: bias against MSC's own
/// effect under each estimand strategy, at the largest sample size.
///
/// # Errors
/// If drawing fails.
pub fn estimand_bias_files(report: &RunReport) -> Result<Option<(Vec<u8>, String)>> {
    let present = report
        .results
        .last()
        .is_some_and(|r| r.estimands.bias_by_estimand.is_some());
    present
        .then(|| png_and_svg("estimand_bias", &BiasPlot(report)))
        .transpose()
}

fn draw_flare<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    report: &RunReport,
) -> DrawResult<DB> {
    register_fonts();
    root.fill(&WHITE)?;
    let last = report.results.last().expect("checked by the caller");
    let curves = last
        .flare_curve
        .flare_free
        .as_ref()
        .expect("checked by the caller");
    let weeks = curves.msc.len().saturating_sub(1).max(1) as f64;
    let title = format!(
        "{}: flare-free by week (n {}:{})",
        report.scenario, last.n_msc, last.n_control
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
        ("MSC", &curves.msc, BLUE),
        ("control", &curves.control, orange),
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
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .label_font(("sans-serif", 14))
        .draw()?;
    Ok(())
}

fn draw_estimand_bias<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    report: &RunReport,
) -> DrawResult<DB> {
    register_fonts();
    root.fill(&WHITE)?;
    let last = report.results.last().expect("checked by the caller");
    let bias = last
        .estimands
        .bias_by_estimand
        .as_ref()
        .expect("checked by the caller");
    let se = last
        .estimands
        .bias_by_estimand_mc_se
        .clone()
        .unwrap_or_default();
    let bars: Vec<(&String, f64, f64)> = bias
        .iter()
        .map(|(k, &b)| (k, b, se.get(k).copied().unwrap_or(0.0)))
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
        report.scenario, last.n_msc, last.n_control
    );
    let mut chart = titled_chart(root, title, 70, -0.5..(n as f64 - 0.5), -reach..reach)?;
    let labels: Vec<String> = bars.iter().map(|(k, _, _)| k.to_string()).collect();
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(n)
        .x_label_formatter(&|x| {
            let i = x.round();
            if (x - i).abs() < 1e-6 && i >= 0.0 {
                labels.get(i as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        .y_desc(format!(
            "mean estimate − MSC's own effect ({})",
            report.estimate_scale
        ))
        .axis_desc_style(("sans-serif", 16))
        .label_style(("sans-serif", 14))
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

struct ScalingPlot<'a>(&'a crate::bench::BenchReport);

impl Plot for ScalingPlot<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB> {
        draw_scaling(root, self.0)
    }
}

/// `scaling.png` and `scaling.svg` of `trialsim bench`: speed-up against
/// threads, with the ideal line.
///
/// # Errors
/// If drawing fails.
pub fn scaling_files(report: &crate::bench::BenchReport) -> Result<(Vec<u8>, String)> {
    png_and_svg("scaling", &ScalingPlot(report))
}

fn draw_scaling<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    report: &crate::bench::BenchReport,
) -> DrawResult<DB> {
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
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .label_font(("sans-serif", 14))
        .draw()?;
    Ok(())
}
