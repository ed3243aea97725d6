//! `trialsim calibrate`: the built-in reproductions of published arms
//! ([`crate::calibration`]) as a table or JSON.

use std::fmt::Write as _;
use std::io::Write as _;

use crate::calibration::{self, Calibrated};
use crate::error::Result;

/// Runs the reproductions and prints them; a miscalibration is printed, not
/// an error (the exit code stays 0).
///
/// # Errors
/// Only a failure to print.
pub fn run(replicates: u64, json: bool) -> Result<()> {
    let results = calibration::run(replicates)?;
    let text = if json {
        let mut t = serde_json::to_string_pretty(&results)?;
        t.push('\n');
        t
    } else {
        table(&results)
    };
    std::io::stdout().write_all(text.as_bytes())?;
    Ok(())
}

fn table(results: &[Calibrated]) -> String {
    let mut out = String::from(
        "| reproduction | published arm | quantity | reported (95% interval) | simulated ± MC SE | verdict |\n|---|---|---|---|---|---|\n",
    );
    for r in results {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {:.3} ({:.3} to {:.3}) | {:.3} ± {:.3} | {} |",
            r.id,
            r.trial,
            r.quantity,
            r.reported,
            r.reported_ci_low,
            r.reported_ci_high,
            r.simulated,
            r.simulated_mc_se,
            match (r.within, r.borderline) {
                (true, false) => "within",
                (true, true) => "within, at the edge",
                (false, _) => "MISCALIBRATED",
            }
        );
    }
    let _ = writeln!(out);
    for r in results {
        let _ = writeln!(
            out,
            "{}: interval {}; evidence rows {}; {}",
            r.id,
            r.interval_source,
            r.evidence.join(", "),
            r.caveat
        );
    }
    out
}
