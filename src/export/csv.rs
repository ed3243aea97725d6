//! `summary.csv`: one row per sample size, the fields of
//! [`CellResult`](crate::report::CellResult); `bench.csv` the same way.
//!
//! The columns are derived from the JSON form of the record, so they cannot
//! drift from it: nested objects become `parent_child` columns (for example
//! `flare_probability_by_primary_msc`), undefined values (JSON `null`) empty
//! cells in columns that are always there, fields that do not apply to the
//! scenario absent, and per-week curves (arrays) left to the JSON.

use anyhow::Result;
use serde::Serialize;
use serde_json::{Map, Value};

use super::Exporter;
use crate::report::RunReport;

fn flatten(prefix: &str, value: &Value, out: &mut Vec<(String, String)>) {
    let key = |k: &str| {
        if prefix.is_empty() {
            k.to_string()
        } else {
            format!("{prefix}_{k}")
        }
    };
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                flatten(&key(k), v, out);
            }
        }
        Value::Array(_) => {}
        Value::Null => out.push((prefix.to_string(), String::new())),
        Value::String(s) => out.push((prefix.to_string(), s.clone())),
        other => out.push((prefix.to_string(), other.to_string())),
    }
}

/// `summary.csv`: the report's results, one row per sample size.
pub struct SummaryCsv;

impl Exporter for SummaryCsv {
    fn file_name(&self) -> &'static str {
        "summary.csv"
    }

    fn render(&self, report: &RunReport) -> Result<Option<Vec<u8>>> {
        rows_to_bytes(&report.results).map(Some)
    }
}

/// `looks.csv` (with `[accrual]` on a parallel design): one row per sample
/// size and look, the `looks` records of the JSON.
pub struct LooksCsv;

impl Exporter for LooksCsv {
    fn file_name(&self) -> &'static str {
        "looks.csv"
    }

    fn render(&self, report: &RunReport) -> Result<Option<Vec<u8>>> {
        let rows: Vec<_> = report
            .results
            .iter()
            .filter_map(|r| r.looks.looks.as_ref())
            .flatten()
            .collect();
        if rows.is_empty() {
            return Ok(None);
        }
        rows_to_bytes(&rows).map(Some)
    }
}

/// CSV bytes of any records: one row each, columns from their JSON form.
///
/// # Errors
/// If a record cannot be serialised.
pub fn rows_to_bytes<T: Serialize>(records: &[T]) -> Result<Vec<u8>> {
    let mut rows: Vec<Vec<(String, String)>> = Vec::with_capacity(records.len());
    for r in records {
        let mut row = Vec::new();
        flatten("", &serde_json::to_value(r)?, &mut row);
        rows.push(row);
    }
    // The header is the union of columns in first-seen order. A column whose
    // values are all undefined stays (empty cells), so a scenario's layout
    // never depends on how its run went; fields that do not apply to the
    // scenario are absent from the record and so from the header.
    let mut header: Vec<String> = Vec::new();
    for row in &rows {
        for (k, _) in row {
            if !header.contains(k) {
                header.push(k.clone());
            }
        }
    }
    let mut writer = ::csv::Writer::from_writer(Vec::new());
    writer.write_record(&header)?;
    for row in &rows {
        let lookup: Map<String, Value> = row
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        writer.write_record(
            header
                .iter()
                .map(|h| lookup.get(h).and_then(Value::as_str).unwrap_or("")),
        )?;
    }
    Ok(writer.into_inner()?)
}
