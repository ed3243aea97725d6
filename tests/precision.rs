//! `run --mc-se T`: replicates added in whole batches until every power and
//! assurance has a Monte Carlo SE of at most T (issue 13), bit-identical to
//! a fixed run of the count it stopped at.

mod common;

use std::fs;
use std::path::Path;

use common::{succeeds, trialsim};
use serde_json::Value;
use trialsim::engine::precision::{Precision, run_to_precision, stopping_se};
use trialsim::engine::{self, BATCH, CellRun, NEVER_STOP};
use trialsim::scenario::{self, Overrides, Scenario};

const TEXT: &str = r#"
name = "precise"
[design]
n_per_arm = [10, 30]
analysis = "welch_t"
[endpoint]
kind = "continuous"
[population]
baseline_mean = 11
baseline_sd = 4
control_change_mean = -5
change_sd = 6
[effect]
mean = -4
sd = 2
source = "assumption"
[simulation]
replicates = 20000
seed = 7
"#;

fn scenario(replicates: u64) -> Scenario {
    let overrides = Overrides {
        replicates: Some(replicates),
        seed: None,
        n_per_arm: None,
    };
    scenario::parse_with(Path::new("p.toml"), TEXT, &overrides).unwrap()
}

/// Whether every power and assurance of `runs` meets `target` by the rule.
fn all_reached(runs: &[CellRun], target: f64) -> bool {
    runs.iter().all(|r| {
        let s = &r.summary;
        let p = r.prior.as_ref().unwrap();
        stopping_se(s.rejections, s.replicates) <= target
            && stopping_se(s.favourable_rejections, s.replicates) <= target
            && stopping_se(p.favourable_rejections, p.replicates) <= target
    })
}

#[test]
fn mc_se_stops_at_the_first_batch_count_that_meets_the_target() {
    let target = 0.012;
    let Precision::Reached { replicates, runs } =
        run_to_precision(&scenario(20_000), target, &|_| {}, &NEVER_STOP)
    else {
        panic!("0.012 is reachable within 20,000 replicates");
    };
    assert!(replicates.is_multiple_of(BATCH));
    assert!(replicates >= 2 * BATCH, "{replicates}");
    // Equal, bit for bit, to a fixed run of that count...
    let fixed = engine::run_scenario(&scenario(replicates), &|_| {});
    for (a, b) in runs.iter().zip(&fixed) {
        assert_eq!(a.summary, b.summary);
        assert_eq!(a.prior, b.prior);
        assert_eq!(a.resume, b.resume);
    }
    assert!(all_reached(&fixed, target));
    // ...and one batch fewer does not meet it.
    let fewer = engine::run_scenario(&scenario(replicates - BATCH), &|_| {});
    assert!(!all_reached(&fewer, target));
}

#[test]
fn the_stopping_se_is_never_below_the_reported_one_and_never_zero() {
    for n in [2u64, 10, 256, 10_000] {
        for k in [0, 1, n / 3, n / 2, n - 1, n] {
            let p = k as f64 / n as f64;
            let reported = (p * (1.0 - p) / n as f64).sqrt();
            assert!(stopping_se(k, n) >= reported, "{k} of {n}");
            assert!(stopping_se(k, n) > 0.0);
        }
    }
    assert!(stopping_se(0, 1).is_infinite());
}

fn json_of(dir: &Path, args: &[&str]) -> Value {
    let file = dir.join("p.toml");
    fs::write(&file, TEXT).unwrap();
    let output = succeeds(
        trialsim()
            .arg("run")
            .args(args)
            .args(["--json", "--quiet"])
            .arg(&file)
            .arg("--out")
            .arg(dir),
    );
    let mut json: Value = serde_json::from_slice(&output.stdout).unwrap();
    for key in ["elapsed_s", "threads"] {
        json.as_object_mut().unwrap().remove(key);
    }
    for r in json["results"].as_array_mut().unwrap() {
        r.as_object_mut().unwrap().remove("seconds");
    }
    json
}

#[test]
fn mc_se_run_equals_a_fixed_run_of_its_count_through_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let precise = json_of(dir.path(), &["--mc-se", "0.012"]);
    let replicates = precise["replicates"].as_u64().unwrap();
    assert!(
        replicates < 20_000 && replicates.is_multiple_of(BATCH),
        "{replicates}"
    );
    for r in precise["results"].as_array().unwrap() {
        assert!(r["power_mc_se"].as_f64().unwrap() <= 0.012);
        assert!(r["assurance_mc_se"].as_f64().unwrap() <= 0.012);
    }
    let fixed = json_of(dir.path(), &["--replicates", &replicates.to_string()]);
    assert_eq!(precise, fixed);
}

#[test]
fn a_target_out_of_reach_warns_at_the_cap() {
    let dir = tempfile::tempdir().unwrap();
    let json = json_of(dir.path(), &["--mc-se", "0.001", "--replicates", "600"]);
    assert_eq!(json["replicates"], 512);
    let warnings = json["warnings"].to_string();
    assert!(warnings.contains("not reached within 512"), "{warnings}");
}

#[test]
fn bad_mc_se_values_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("p.toml");
    fs::write(&file, TEXT).unwrap();
    for args in [
        &["--mc-se", "0"][..],
        &["--mc-se", "0.5"],
        &["--mc-se", "nan"],
        &["--mc-se", "x"],
        &["--mc-se", "0.01", "--shard", "1/2"],
        &["--mc-se", "0.01", "--top-up"],
    ] {
        let output = trialsim()
            .arg("run")
            .args(args)
            .arg(&file)
            .arg("--out")
            .arg(dir.path())
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&output.stderr).contains("--mc-se"),
            "{args:?}"
        );
    }
}
