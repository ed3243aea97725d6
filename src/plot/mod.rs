//! Charts, drawn from record types only ([`RunReport`](crate::report::RunReport)
//! and [`BenchReport`](crate::report::bench::BenchReport)), one file per chart.
//! This file holds what they share: the bundled font, the picture size, the
//! chart frame and grid, tick placement, dashed legend marks, and rendering
//! to PNG or SVG.
//!
//! Text uses DejaVu Sans compiled into the binary (the `dejavu` crate), so
//! rendering never needs system fonts. DejaVu fonts: Bitstream Vera derived,
//! free licence (see the `dejavu` crate).

pub mod borrow;
pub mod design;
pub mod estimand_bias;
pub mod flare;
pub mod km;
pub mod looks;
pub mod power;
pub mod scaling;
pub mod tornado;

use std::sync::Once;

use anyhow::{Context, Result, anyhow};
use plotters::chart::MeshStyle;
use plotters::coord::Shift;
use plotters::coord::ranged1d::{
    AsRangedCoord, DefaultFormatting, KeyPointHint, Ranged, ValueFormatter,
};
use plotters::coord::types::RangedCoordf64;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::{FontStyle, register_font};

/// Plot size in pixels.
pub const SIZE: (u32, u32) = (900, 600);

/// Dash and gap, in pixels, of every dashed line (reference lines, markers),
/// in the series and in their legend marks alike.
pub const DASH: (u32, u32) = (8, 6);

/// Font size of tick labels and legend text.
pub(crate) const LABEL_FONT: u32 = 16;

/// Font size of axis descriptions.
const AXIS_DESC_FONT: u32 = 17;

/// Closest two labelled ticks may sit, as a share of the axis span (about
/// 35 pixels on this picture size: room for a three-digit number).
const MIN_TICK_GAP: f64 = 0.045;

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
        encoder.set_compression(png::Compression::Default);
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

/// A chart on two number axes of types `X` and `Y`.
type Chart<'a, DB, X, Y> = ChartContext<'a, DB, Cartesian2d<X, Y>>;

/// What building a chart returns.
type Built<'a, DB, X, Y> = std::result::Result<
    Chart<'a, DB, X, Y>,
    DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>,
>;

/// A chart with this project's title font, margins and label areas.
fn titled_chart<'a, DB: DrawingBackend, X: AsRangedCoord, Y: AsRangedCoord>(
    root: &'a DrawingArea<DB, Shift>,
    title: String,
    y_label_width: u32,
    x: X,
    y: Y,
) -> Built<'a, DB, X::CoordDescType, Y::CoordDescType> {
    ChartBuilder::on(root)
        .caption(title, ("sans-serif", 24, FontStyle::Bold))
        .margin(16)
        .x_label_area_size(50)
        .y_label_area_size(y_label_width)
        .build_cartesian_2d(x, y)
}

/// The grid and axes in this project's style: light major lines at the
/// labelled ticks only (no minor grid), and the label fonts.
fn mesh<'a, 'b, DB, X, Y>(chart: &'b mut Chart<'a, DB, X, Y>) -> MeshStyle<'a, 'b, X, Y, DB>
where
    DB: DrawingBackend,
    X: Ranged<ValueType: std::fmt::Debug> + ValueFormatter<X::ValueType>,
    Y: Ranged<ValueType: std::fmt::Debug> + ValueFormatter<Y::ValueType>,
{
    let mut mesh = chart.configure_mesh();
    mesh.light_line_style(TRANSPARENT)
        .bold_line_style(BLACK.mix(0.12))
        .axis_desc_style(("sans-serif", AXIS_DESC_FONT))
        .label_style(("sans-serif", LABEL_FONT));
    mesh
}

/// The values to label on an axis spanning `span` units: `values` sorted,
/// each once, skipping any closer than [`MIN_TICK_GAP`] of the span to the
/// last one kept, so labels never overlap. Only given values are labelled:
/// an axis of sample sizes or thread counts never shows a value nobody ran.
pub fn ticks_at(values: impl IntoIterator<Item = f64>, span: f64) -> Vec<f64> {
    let mut sorted: Vec<f64> = values.into_iter().filter(|v| v.is_finite()).collect();
    sorted.sort_by(f64::total_cmp);
    sorted.dedup();
    let gap = span.abs() * MIN_TICK_GAP;
    let mut kept: Vec<f64> = Vec::with_capacity(sorted.len());
    for v in sorted {
        if kept.last().is_none_or(|&last| v - last >= gap) {
            kept.push(v);
        }
    }
    kept
}

/// A number axis with grid lines and labels at given values only (see
/// [`ticks_at`]), and no minor grid.
pub struct TickedAxis {
    range: RangedCoordf64,
    ticks: Vec<f64>,
}

impl TickedAxis {
    /// The axis over `range` labelled at `ticks`.
    pub fn new(range: std::ops::Range<f64>, ticks: Vec<f64>) -> TickedAxis {
        TickedAxis {
            range: range.into(),
            ticks,
        }
    }
}

impl Ranged for TickedAxis {
    type ValueType = f64;
    type FormatOption = DefaultFormatting;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.range.map(value, limit)
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.range.range()
    }
}

/// A legend mark for a dashed series: the same colour, width and dash as the
/// series itself (a plain `PathElement` would show it solid).
fn dashed_legend_mark(
    style: ShapeStyle,
) -> impl Fn((i32, i32)) -> DashedPathElement<std::vec::IntoIter<(i32, i32)>, u32> {
    move |(x, y)| DashedPathElement::new(vec![(x, y), (x + 20, y)], DASH.0, DASH.1, style)
}

/// Draws a chart's legend at `position` in this project's style.
fn draw_legend<'a, DB: DrawingBackend + 'a, X: Ranged, Y: Ranged>(
    chart: &mut Chart<'a, DB, X, Y>,
    position: SeriesLabelPosition,
) -> DrawResult<DB> {
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE)
        .border_style(BLACK.mix(0.3))
        .label_font(("sans-serif", LABEL_FONT))
        .draw()
}

#[cfg(test)]
mod tests {
    use super::ticks_at;

    #[test]
    fn ticks_are_the_given_values_each_once_in_order() {
        assert_eq!(
            ticks_at([40.0, 20.0, 40.0, 60.0], 44.0),
            vec![20.0, 40.0, 60.0]
        );
        assert_eq!(ticks_at([30.0], 2.0), vec![30.0]);
    }

    #[test]
    fn ticks_too_close_to_read_are_skipped() {
        // 1, 2 and 4 threads on an axis to 64: 1 and 2 are 1.5% apart.
        assert_eq!(
            ticks_at([1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0], 64.5),
            vec![1.0, 4.0, 8.0, 16.0, 32.0, 64.0]
        );
    }
}
