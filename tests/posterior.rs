//! `decision.rule = "posterior"` (issue 12's first rule): success when
//! P(effect < 0 | data) exceeds a threshold, with a vague, normal or
//! robust-mixture prior on the effect.

mod common;

use std::fs;
use std::path::Path;

use common::{run, se, trialsim};
use rand::SeedableRng;
use rand::rngs::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};
use trialsim::analysis::Alternative;
use trialsim::analysis::welch::welch_t;
use trialsim::decision::bayes::mixture::Mixture;
use trialsim::decision::bayes::normal::TrialEstimate;
use trialsim::scenario;

/// A continuous two-arm trial of `n` per arm, change SD 1, with `effect`
/// and the `[decision]`/`[prior]` tables in `extra`.
fn scenario_text(n: usize, effect: f64, replicates: u64, extra: &str) -> String {
    format!(
        "name = \"bayes\"\n[design]\nn_per_arm = {n}\nanalysis = \"welch_t\"\n[endpoint]\nkind = \"continuous\"\n[population]\nbaseline_mean = 0\nbaseline_sd = 1\ncontrol_change_mean = 0\nchange_sd = 1\n[effect]\nmean = {effect}\nsource = \"test\"\n[simulation]\nreplicates = {replicates}\nseed = 5\n{extra}"
    )
}

fn success_rate(text: &str) -> (f64, u64) {
    let s = scenario::parse(Path::new("b.toml"), text).unwrap();
    let r = &run(&s)[0].summary;
    (r.rejections as f64 / r.replicates as f64, r.replicates)
}

const VAGUE: &str = "[decision]\nrule = \"posterior\"\nthreshold = 0.975\n";

#[test]
fn a_vague_posterior_rule_has_the_one_sided_z_tests_size_and_power() {
    let phi = |z: f64| {
        use statrs::distribution::{ContinuousCDF, Normal};
        Normal::standard().cdf(z)
    };
    // Size: P(z < -1.96) = 0.025; power at d = 0.4 with 100 per arm:
    // Phi(0.4 / sqrt(2 / 100) - 1.96).
    for (effect, exact) in [
        (0.0, 0.025),
        (-0.4, phi(0.4 / (0.02f64).sqrt() - 1.959_963_984_540_054)),
    ] {
        let (rate, r) = success_rate(&scenario_text(100, effect, 20_000, VAGUE));
        assert!(
            (rate - exact).abs() < 4.0 * se(exact, r),
            "effect {effect}: {rate} vs {exact}"
        );
    }
}

#[test]
fn a_robust_mixtures_type_one_error_matches_an_independent_simulation() {
    // At effect 0 (children do not benefit), borrowing an adult effect of
    // -0.5 raises the chance of success with the weight on it.
    let n = 30;
    let replicates = 8000u64;
    let mut rates = Vec::new();
    for w in [0.0, 0.5, 0.9] {
        let extra = format!(
            "{VAGUE}[prior]\nkind = \"robust_mixture\"\nmean = -0.5\nsd = 0.15\nweight = {w}\nvague_sd = 100\nsource = \"test: an adult effect of -0.5\"\n"
        );
        let (rate, r) = success_rate(&scenario_text(n, 0.0, replicates, &extra));
        // The same rule simulated independently: two normal samples, Welch's
        // estimate and SE, the posterior built in full by bayes::Mixture.
        let prior = Mixture::new(&[(w, -0.5, 0.15), (1.0 - w, 0.0, 100.0)]).unwrap();
        let mut rng = ChaCha8Rng::seed_from_u64(99);
        let mut draw =
            |k: usize| -> Vec<f64> { (0..k).map(|_| StandardNormal.sample(&mut rng)).collect() };
        let mut hits = 0u64;
        for _ in 0..replicates {
            let (x, y) = (draw(n), draw(n));
            let t = welch_t(&x, &y, Alternative::TwoSided).unwrap();
            let trialsim::analysis::Interval::T { se, .. } = t.interval else {
                unreachable!()
            };
            let posterior = prior
                .update(TrialEstimate::new(t.estimate, se).unwrap())
                .unwrap();
            hits += u64::from(posterior.prob_below(0.0) > 0.975);
        }
        let independent = hits as f64 / replicates as f64;
        let tolerance = 4.0 * (se(rate, r).powi(2) + se(independent, replicates).powi(2)).sqrt();
        assert!(
            (rate - independent).abs() < tolerance.max(1e-3),
            "w {w}: {rate} vs {independent}"
        );
        rates.push(rate);
    }
    assert!(rates[0] < rates[1] && rates[1] < rates[2], "{rates:?}");
}

#[test]
fn bad_decision_and_prior_keys_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("b.toml");
    let normal = "[prior]\nkind = \"normal\"\nmean = -1\nsd = 0.5\n";
    for (extra, key) in [
        (
            format!(
                "{VAGUE}[prior]\nkind = \"robust_mixture\"\nmean = -1\nsd = 0.5\nweight = 1.5\nsource = \"t\"\n"
            ),
            "prior.weight",
        ),
        (
            "[decision]\nrule = \"posterior\"\nthreshold = 1\n".to_string(),
            "decision.threshold",
        ),
        (format!("{VAGUE}{normal}"), "prior.source"),
        (normal.to_string(), "prior"),
        (
            "[decision]\nthreshold = 0.9\n".to_string(),
            "decision.threshold",
        ),
    ] {
        fs::write(&file, scenario_text(20, -0.5, 100, &extra)).unwrap();
        let out = trialsim().arg("check").arg(&file).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{extra}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(&format!("key `{key}`")),
            "{extra}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let wilcoxon = scenario_text(20, -0.5, 100, VAGUE).replace("\"welch_t\"", "\"wilcoxon\"");
    fs::write(&file, wilcoxon).unwrap();
    let out = trialsim().arg("check").arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("key `decision.rule`"));
}
