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

/// Runs `command`, asserting that it succeeded (showing its stderr if not),
/// and returns its output.
pub fn succeeds(command: &mut Command) -> std::process::Output {
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Asserts that `trialsim check` refuses scenario `text` (written to a
/// temporary file) with exit code 2 and a message containing `needle` (the
/// key it names).
pub fn refused(text: &str, needle: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, text).unwrap();
    let out = trialsim().arg("check").arg(&path).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{needle}: {stderr}");
    assert!(stderr.contains(needle), "{needle}: {stderr}");
}

/// Simpson's rule for `f` over `[0, end]` on `steps` (even) intervals.
pub fn simpson(f: impl Fn(f64) -> f64, end: f64, steps: usize) -> f64 {
    let dt = end / steps as f64;
    let weight = |i: usize| {
        if i == 0 || i == steps {
            1.0
        } else if i % 2 == 1 {
            4.0
        } else {
            2.0
        }
    };
    (0..=steps)
        .map(|i| weight(i) * f(i as f64 * dt))
        .sum::<f64>()
        * dt
        / 3.0
}
