//! `summary.json` and `--json`: the whole [`RunReport`], pretty-printed.

use anyhow::Result;

use super::Exporter;
use crate::report::RunReport;

/// `summary.json`.
pub struct SummaryJson;

impl Exporter for SummaryJson {
    fn file_name(&self) -> &'static str {
        "summary.json"
    }

    fn render(&self, report: &RunReport) -> Result<Option<Vec<u8>>> {
        Ok(Some(to_string(report)?.into_bytes()))
    }
}

/// The JSON text of a report, with a final newline.
///
/// # Errors
/// If serialisation fails (it does not for these types).
pub fn to_string(report: &RunReport) -> Result<String> {
    let mut text = serde_json::to_string_pretty(report)?;
    text.push('\n');
    Ok(text)
}
