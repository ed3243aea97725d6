//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::Path;

use assert_cmd::Command;

use trialsim::engine::{self, CellRun};
use trialsim::scenario::{self, Scenario};

/// A continuous-endpoint scenario with the given design and effect lines.
pub fn continuous(
    design: &str,
    population: &str,
    effect: f64,
    replicates: u64,
    seed: u64,
) -> Scenario {
    let text = format!(
        r#"
name = "test"
[design]
{design}
[endpoint]
kind = "continuous"
responder_threshold = 3
[population]
{population}
[effect]
mean = {effect}
source = "test"
[simulation]
replicates = {replicates}
seed = {seed}
"#
    );
    scenario::parse(Path::new("test.toml"), &text).expect("test scenario is valid")
}

/// Runs a scenario without progress output.
pub fn run(s: &Scenario) -> Vec<CellRun> {
    engine::run_scenario(s, &|_| {})
}

/// Rejection rate of one cell.
pub fn rate(run: &CellRun) -> f64 {
    run.summary.rejections as f64 / run.summary.replicates as f64
}

/// Monte Carlo SE of a rate `p` over `r` replicates.
pub fn se(p: f64, r: u64) -> f64 {
    (p * (1.0 - p) / r as f64).sqrt()
}

/// The `trialsim` binary built for these tests.
pub fn trialsim() -> Command {
    Command::cargo_bin("trialsim").unwrap()
}
