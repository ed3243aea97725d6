//! Plots, drawn from a [`RunReport`] only. Text uses DejaVu Sans compiled into
//! the binary (the `dejavu` crate), so rendering never needs system fonts.
//!
//! DejaVu fonts: Bitstream Vera derived, free licence (see the `dejavu` crate).

use std::sync::Once;

use anyhow::{Context, Result, anyhow};
use plotters::coord::Shift;
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
    let (w, h) = SIZE;
    let mut rgb = vec![0u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, SIZE).into_drawing_area();
        draw_power(&root, report).map_err(|e| anyhow!("drawing power.png: {e}"))?;
        root.present()
            .map_err(|e| anyhow!("drawing power.png: {e}"))?;
    }
    encode_png(&rgb, SIZE)
}

/// `power.svg`: SVG text of the power curve.
///
/// # Errors
/// If drawing fails.
pub fn power_svg(report: &RunReport) -> Result<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        draw_power(&root, report).map_err(|e| anyhow!("drawing power.svg: {e}"))?;
        root.present()
            .map_err(|e| anyhow!("drawing power.svg: {e}"))?;
    }
    Ok(svg)
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
