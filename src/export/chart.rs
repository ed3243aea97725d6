//! The run's charts as files: each [`ChartFile`] is one chart of [`crate::plot`]
//! in one picture format, exported through the same [`Exporter`] trait as the
//! CSV and JSON, so [`super::render_all`] treats every file alike.

use anyhow::Result;

use super::Exporter;
use crate::plot::estimand_bias::EstimandBiasPlot;
use crate::plot::flare::FlarePlot;
use crate::plot::km::KmPlot;
use crate::plot::power::PowerPlot;
use crate::plot::{self, Format, Plot};
use crate::report::RunReport;

/// Draws one chart of a report into the named file's bytes, or `None` when the
/// report has nothing for it.
pub type Draw = fn(&RunReport, &str, Format) -> Result<Option<Vec<u8>>>;

/// One chart in one picture format.
pub struct ChartFile {
    file_name: &'static str,
    format: Format,
    draw: Draw,
}

impl ChartFile {
    /// The file `file_name` holding what `draw` draws, in `format`.
    pub const fn new(file_name: &'static str, format: Format, draw: Draw) -> ChartFile {
        ChartFile {
            file_name,
            format,
            draw,
        }
    }
}

impl Exporter for ChartFile {
    fn file_name(&self) -> &'static str {
        self.file_name
    }

    fn render(&self, report: &RunReport) -> Result<Option<Vec<u8>>> {
        (self.draw)(report, self.file_name, self.format)
    }
}

/// The power curve; every run has one.
///
/// # Errors
/// If drawing fails.
pub fn power(report: &RunReport, file_name: &str, format: Format) -> Result<Option<Vec<u8>>> {
    plot::render(file_name, &PowerPlot(report), format).map(Some)
}

/// The flare-free curves; `None` without intercurrent events or when no flare
/// can happen (every flare hazard zero), so no flare files are written.
///
/// # Errors
/// If drawing fails.
pub fn flare(report: &RunReport, file_name: &str, format: Format) -> Result<Option<Vec<u8>>> {
    optional(FlarePlot::of(report), file_name, format)
}

/// The Kaplan-Meier band; `None` without a time-to-flare endpoint.
///
/// # Errors
/// If drawing fails.
pub fn km(report: &RunReport, file_name: &str, format: Format) -> Result<Option<Vec<u8>>> {
    optional(KmPlot::of(report), file_name, format)
}

/// The looks' boundaries and stopping; `None` without interim looks.
///
/// # Errors
/// If drawing fails.
pub fn looks(report: &RunReport, file_name: &str, format: Format) -> Result<Option<Vec<u8>>> {
    optional(crate::plot::looks::LooksPlot::of(report), file_name, format)
}

/// The bias by estimand strategy; `None` without intercurrent events.
///
/// # Errors
/// If drawing fails.
pub fn estimand_bias(
    report: &RunReport,
    file_name: &str,
    format: Format,
) -> Result<Option<Vec<u8>>> {
    optional(EstimandBiasPlot::of(report), file_name, format)
}

fn optional(chart: Option<impl Plot>, file_name: &str, format: Format) -> Result<Option<Vec<u8>>> {
    chart
        .map(|c| plot::render(file_name, &c, format))
        .transpose()
}
