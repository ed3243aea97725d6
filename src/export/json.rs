//! `summary.json` and `--json`: the whole [`RunReport`], pretty-printed.

use anyhow::Result;

use crate::report::RunReport;

/// The JSON text of a report, with a final newline.
///
/// # Errors
/// If serialisation fails (it does not for these types).
pub fn to_string(report: &RunReport) -> Result<String> {
    let mut text = serde_json::to_string_pretty(report)?;
    text.push('\n');
    Ok(text)
}

/// As [`to_string`], as bytes.
///
/// # Errors
/// As [`to_string`].
pub fn to_bytes(report: &RunReport) -> Result<Vec<u8>> {
    Ok(to_string(report)?.into_bytes())
}
