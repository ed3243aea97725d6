//! Charts, drawn from record types only ([`RunReport`](crate::report::RunReport)
//! and [`BenchReport`](crate::report::bench::BenchReport)), one file per chart.
//! This file holds what they share: the bundled font, the picture size, the
//! chart frame, and rendering to PNG or SVG.
//!
//! Text uses DejaVu Sans compiled into the binary (the `dejavu` crate), so
//! rendering never needs system fonts. DejaVu fonts: Bitstream Vera derived,
//! free licence (see the `dejavu` crate).

pub mod estimand_bias;
pub mod flare;
pub mod power;
pub mod scaling;

use std::sync::Once;

use anyhow::{Context, Result, anyhow};
use plotters::coord::Shift;
use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};

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

/// A chart that can be drawn on any plotters backend.
pub trait Plot {
    /// Draws the whole picture on `root`.
    ///
    /// # Errors
    /// If the backend fails.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> DrawResult<DB>;
}

/// What drawing on a plotters backend returns.
pub type DrawResult<DB> =
    std::result::Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// A picture format a chart is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Png,
    Svg,
}

/// The bytes of `plot` in `format`; `name` (the file's name) labels errors.
///
/// # Errors
/// If drawing or PNG encoding fails.
pub fn render(name: &str, plot: &impl Plot, format: Format) -> Result<Vec<u8>> {
    match format {
        Format::Png => render_png(name, plot),
        Format::Svg => Ok(render_svg(name, plot)?.into_bytes()),
    }
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

/// A chart with numbers on both axes.
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

/// Draws a chart's legend at `position` in this project's style.
fn draw_legend<'a, DB: DrawingBackend + 'a>(
    chart: &mut Chart<'a, DB>,
    position: SeriesLabelPosition,
) -> DrawResult<DB> {
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.mix(0.3))
        .label_font(("sans-serif", 14))
        .draw()
}
