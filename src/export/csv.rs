//! `summary.csv`: one row per sample size, the columns of [`CellResult`].

use anyhow::Result;

use crate::report::{CellResult, RunReport};

/// The CSV bytes of a report's results.
///
/// # Errors
/// If a record cannot be serialised (it always can; the signature is honest about `csv`).
pub fn to_bytes(report: &RunReport) -> Result<Vec<u8>> {
    let mut writer = ::csv::Writer::from_writer(Vec::new());
    for row in &report.results {
        writer.serialize::<&CellResult>(row)?;
    }
    Ok(writer.into_inner()?)
}
