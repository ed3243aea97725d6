//! Output formats, one file each, all reading a [`RunReport`] and returning
//! bytes, so they are tested without touching disk; [`write_outputs`] puts
//! them on disk without ever leaving a half-written run behind.

pub mod csv;
pub mod json;
pub mod table;

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::plot::estimand_bias::EstimandBiasPlot;
use crate::plot::flare::FlarePlot;
use crate::plot::power::PowerPlot;
use crate::plot::{self, Format};
use crate::report::RunReport;

/// Every file a run writes, as `(file name, bytes)`.
///
/// # Errors
/// If a plot cannot be drawn or a record cannot be serialised.
pub fn render_all(report: &RunReport) -> Result<Vec<(&'static str, Vec<u8>)>> {
    let mut files = vec![
        ("summary.csv", csv::to_bytes(report)?),
        ("summary.json", json::to_bytes(report)?),
        (
            "power.png",
            plot::render("power.png", &PowerPlot(report), Format::Png)?,
        ),
        (
            "power.svg",
            plot::render("power.svg", &PowerPlot(report), Format::Svg)?,
        ),
    ];
    if let Some(chart) = FlarePlot::of(report) {
        files.push(("flare.png", plot::render("flare.png", &chart, Format::Png)?));
        files.push(("flare.svg", plot::render("flare.svg", &chart, Format::Svg)?));
    }
    if let Some(chart) = EstimandBiasPlot::of(report) {
        files.push((
            "estimand_bias.png",
            plot::render("estimand_bias.png", &chart, Format::Png)?,
        ));
        files.push((
            "estimand_bias.svg",
            plot::render("estimand_bias.svg", &chart, Format::Svg)?,
        ));
    }
    Ok(files)
}

/// Writes `files` into `dir`, creating it. Each file goes to a hidden temporary
/// name first and is renamed over the old one only once every file has been
/// written, so a failure leaves the previous run's files intact.
///
/// # Errors
/// If the folder cannot be created or a file cannot be written.
pub fn write_outputs(dir: &Path, files: &[(&str, Vec<u8>)]) -> Result<()> {
    fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let pid = std::process::id();
    let mut staged: Vec<(PathBuf, PathBuf)> = Vec::with_capacity(files.len());
    let result = (|| -> Result<()> {
        for (name, bytes) in files {
            let tmp = dir.join(format!(".{name}.{pid}.tmp"));
            fs::write(&tmp, bytes).with_context(|| format!("cannot write {}", tmp.display()))?;
            staged.push((tmp, dir.join(name)));
        }
        Ok(())
    })();
    if let Err(e) = result {
        for (tmp, _) in &staged {
            let _ = fs::remove_file(tmp);
        }
        return Err(e);
    }
    for (tmp, target) in &staged {
        fs::rename(tmp, target)
            .with_context(|| format!("cannot move {} to {}", tmp.display(), target.display()))?;
    }
    Ok(())
}
