//! Output formats, one file each, all behind [`Exporter`]: each reads a
//! [`RunReport`] and returns bytes, so they are tested without touching disk.
//! [`render_all`] runs the [`EXPORTERS`] registry; [`write_outputs`] puts the
//! result on disk as a whole folder, never a mix of two runs.
//!
//! The Markdown table ([`markdown`]) and the evidence tables ([`evidence`])
//! are printed on stdout rather than written, so they are plain functions.

pub mod chart;
pub mod csv;
pub mod evidence;
pub mod html;
pub mod json;
pub mod markdown;
mod write;

use anyhow::Result;

pub use write::{check_writable, write_file, write_outputs};

use crate::plot::Format;
use crate::report::RunReport;

/// One file of a run, rendered from its report.
pub trait Exporter {
    /// The file's name inside the run's folder.
    fn file_name(&self) -> &'static str;

    /// The file's bytes, or `None` when the report has nothing this file
    /// shows (the flare plot of a run without intercurrent events).
    ///
    /// # Errors
    /// If a record cannot be serialised or a plot cannot be drawn.
    fn render(&self, report: &RunReport) -> Result<Option<Vec<u8>>>;
}

/// Every file a run can write, in the order they are written and listed.
pub const EXPORTERS: &[&dyn Exporter] = &[
    &csv::SummaryCsv,
    &csv::LooksCsv,
    &json::SummaryJson,
    &chart::ChartFile::new("power.png", Format::Png, chart::power),
    &chart::ChartFile::new("power.svg", Format::Svg, chart::power),
    &chart::ChartFile::new("flare.png", Format::Png, chart::flare),
    &chart::ChartFile::new("flare.svg", Format::Svg, chart::flare),
    &chart::ChartFile::new("km.png", Format::Png, chart::km),
    &chart::ChartFile::new("km.svg", Format::Svg, chart::km),
    &chart::ChartFile::new("looks.png", Format::Png, chart::looks),
    &chart::ChartFile::new("looks.svg", Format::Svg, chart::looks),
    &chart::ChartFile::new("estimand_bias.png", Format::Png, chart::estimand_bias),
    &chart::ChartFile::new("estimand_bias.svg", Format::Svg, chart::estimand_bias),
    &html::ReportHtml,
];

/// The name of every file an exporter may write: a run's folder drops
/// those of an earlier run that this one does not write.
pub fn file_names() -> Vec<&'static str> {
    EXPORTERS.iter().map(|e| e.file_name()).collect()
}

/// Every file a run writes, as `(file name, bytes)`.
///
/// # Errors
/// If a plot cannot be drawn or a record cannot be serialised.
pub fn render_all(report: &RunReport) -> Result<Vec<(&'static str, Vec<u8>)>> {
    let mut files = Vec::with_capacity(EXPORTERS.len());
    for exporter in EXPORTERS {
        if let Some(bytes) = exporter.render(report)? {
            files.push((exporter.file_name(), bytes));
        }
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::EXPORTERS;

    #[test]
    fn no_two_exporters_write_the_same_file() {
        let mut names: Vec<&str> = EXPORTERS.iter().map(|e| e.file_name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), EXPORTERS.len());
    }
}
