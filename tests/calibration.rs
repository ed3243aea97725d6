//! `trialsim calibrate` (issue 14, item 4): the model reproduces the
//! published arms it takes its numbers from, within their 95% intervals.

mod common;

use common::trialsim;
use trialsim::calibration;

#[test]
fn calibrate_reproduces_the_published_arms_within_their_intervals() {
    let results = calibration::run(4000).unwrap();
    let ids: Vec<&str> = results.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "cherish.placebo",
            "cherish.tocilizumab",
            "deng.placebo",
            "pluto.placebo",
            "tender.placebo"
        ]
    );
    for r in &results {
        assert!(
            r.within,
            "{}: simulated {} outside {}..{}",
            r.id, r.simulated, r.reported_ci_low, r.reported_ci_high
        );
        assert!(
            r.simulated_mc_se > 0.0 && r.simulated_mc_se < 0.05,
            "{}",
            r.id
        );
    }
    // The flare arms against the constant-hazard closed form 1 - exp(-h T).
    for (id, hazard) in [("cherish.placebo", 0.0273), ("cherish.tocilizumab", 0.0123)] {
        let r = results.iter().find(|r| r.id == id).unwrap();
        let exact = 1.0 - (-hazard * 24.0f64).exp();
        assert!(
            (r.simulated - exact).abs() < 4.0 * r.simulated_mc_se,
            "{id}: {} vs {exact}",
            r.simulated
        );
    }
}

#[test]
fn calibrate_prints_its_table_and_json() {
    let out = trialsim()
        .args(["calibrate", "--replicates", "200"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    let rows = text
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("| reproduction"))
        .count();
    assert_eq!(rows, 5, "{text}");
    let json = trialsim()
        .args(["calibrate", "--replicates", "200", "--json"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 5);
    let bad = trialsim()
        .args(["calibrate", "--replicates", "1"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}
