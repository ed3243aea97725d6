//! Disease presets, scales, enrolment selection, single-arm series and pooled
//! trials, against closed forms with 4-Monte-Carlo-SE tolerances.

mod common;

use std::path::Path;

use common::{rate, run, se};
use statrs::distribution::{Continuous, ContinuousCDF, Normal};
use trialsim::cohort::CohortModel;
use trialsim::design::Arms;
use trialsim::design::stream::{EffectMode, replicate_stream};
use trialsim::engine;
use trialsim::scenario::{self, Disease, Scale, Scenario, preset::preset};
use trialsim::summary::Welford;

fn parse(text: &str) -> Scenario {
    scenario::parse(Path::new("test.toml"), text).expect("valid test scenario")
}

/// Mean and SD of the recorded baselines of `patients` patients of a preset.
fn preset_baselines(disease: Disease, patients: usize) -> Welford {
    let p = preset(disease);
    let s = parse(&format!(
        "name = \"t\"\n[design]\nn_per_arm = 2\nanalysis = \"ancova\"\n[population]\ndisease = \"{disease}\"\n"
    ));
    let per_arm = 500;
    let model = CohortModel::new(
        &s.population,
        Scale::of(p.endpoint),
        &[24.0],
        None,
        Arms::both(per_arm),
    );
    let mut cohort = model.new_cohort();
    let mut w = Welford::default();
    for r in 0..(patients / (2 * per_arm)) as u64 {
        let mut rng = replicate_stream(99, Arms::both(1), EffectMode::Fixed, r);
        model.simulate(0.0, &mut rng, &mut cohort, |_| {});
        for b in cohort.msc.baseline.iter().chain(&cohort.control.baseline) {
            w.push(*b);
        }
    }
    w
}

#[test]
fn presets_reproduce_their_cited_baseline_mean_and_sd() {
    let n = 200_000;
    for (disease, step) in [
        (Disease::Sle, 1.0),
        (Disease::Mctd, 1.0),
        (Disease::Jia, 0.1),
    ] {
        let p = preset(disease);
        let w = preset_baselines(disease, n);
        // Rounding to the scale's step adds step^2 / 12 to the variance
        // (Sheppard); the floor at 0 lies 2.75 SD or more below the mean and
        // moves the mean by under 0.004, well inside the tolerance.
        let sd_expected = (p.baseline_sd.powi(2) + step * step / 12.0).sqrt();
        let mean_tol = 4.0 * p.baseline_sd / (n as f64).sqrt();
        let sd_tol = 4.0 * p.baseline_sd / (2.0 * n as f64).sqrt();
        assert!(
            (w.mean - p.baseline_mean).abs() < mean_tol,
            "{disease}: mean {} vs {}",
            w.mean,
            p.baseline_mean
        );
        assert!(
            (w.sd() - sd_expected).abs() < sd_tol,
            "{disease}: sd {} vs {sd_expected}",
            w.sd()
        );
    }
}

#[test]
fn recorded_values_stay_on_their_scales() {
    for (disease, lo, hi) in [(Disease::Sle, 0.0, 105.0), (Disease::Jia, 0.0, 57.0)] {
        let s = parse(&format!(
            "name = \"t\"\n[design]\nn_per_arm = 50\nanalysis = \"ancova\"\nvisits_weeks = [4, 12, 24]\n[population]\ndisease = \"{disease}\"\ncontrol_change_mean = -15\n[simulation]\nreplicates = 50\n"
        ));
        let mut cell = engine::Cell::new(&s, 50);
        // Runs skip the intermediate visits; ask for them, as replay does.
        cell.trial.record_every_visit();
        let mut work = cell.workspace();
        let mut summary = Default::default();
        for r in 0..50 {
            cell.replicate(1, r, &mut work, &mut summary);
            for arm in [&work.cohort.msc, &work.cohort.control] {
                assert_eq!(arm.interim.len(), 2 * arm.len(), "{disease}");
                for v in arm.baseline.iter().chain(&arm.primary).chain(&arm.interim) {
                    assert!((lo..=hi).contains(v), "{disease}: {v}");
                    assert!(
                        (v * 10.0 - (v * 10.0).round()).abs() < 1e-6,
                        "{disease}: {v} off the 0.1 grid"
                    );
                }
            }
        }
    }
}

fn single_arm(extra: &str, population: &str, replicates: u64) -> Scenario {
    parse(&format!(
        "name = \"t\"\n[design]\nkind = \"single_arm\"\nn_per_arm = 10\n{extra}\n[endpoint]\nkind = \"continuous\"\n[population]\n{population}\n[effect]\nmean = 0\nsource = \"null\"\n[simulation]\nreplicates = {replicates}\nseed = 5\n"
    ))
}

#[test]
fn single_arm_without_effect_or_selection_shows_no_change_and_exact_type_one_error() {
    let r = 20_000;
    for sided in ["two", "one"] {
        let s = single_arm(
            &format!("sided = \"{sided}\""),
            "baseline_mean = 10\nbaseline_sd = 3\ncontrol_change_mean = 0\nchange_sd = 2\nbaseline_change_correlation = -0.5",
            r,
        );
        let cell = &run(&s)[0];
        let est = &cell.summary.estimate;
        assert!(
            est.mean.abs() < 4.0 * est.se(),
            "apparent change {}",
            est.mean
        );
        let got = rate(cell);
        assert!((got - 0.05).abs() < 4.0 * se(0.05, r), "{sided}: {got}");
    }
}

#[test]
fn selection_above_a_threshold_matches_the_bivariate_normal_closed_form() {
    // Baseline X1 ~ N(mu, sigma^2), follow-up X2 with the same variance and
    // correlation r: change SD sigma sqrt(2 (1 - r)), corr(baseline, change)
    // -sqrt((1 - r) / 2). E[X2 - X1 | X1 > c] = (r - 1) sigma phi(z) / (1 - Phi(z)).
    let r_reps = 20_000;
    let (mu, sigma) = (10.0, 3.0);
    for (r, c) in [(0.5, 12.0), (0.8, 8.0), (0.2, 15.0)] {
        let s = single_arm(
            &format!("enroll_above = {c}"),
            &format!(
                "baseline_mean = {mu}\nbaseline_sd = {sigma}\ncontrol_change_mean = 0\nchange_sd = {}\nbaseline_change_correlation = {}",
                sigma * (2.0f64 * (1.0 - r)).sqrt(),
                -((1.0f64 - r) / 2.0).sqrt()
            ),
            r_reps,
        );
        let z = (c - mu) / sigma;
        let normal = Normal::standard();
        let expected = (r - 1.0) * sigma * normal.pdf(z) / normal.sf(z);
        let est = &run(&s)[0].summary.estimate;
        assert!(
            (est.mean - expected).abs() < 4.0 * est.se(),
            "r {r} c {c}: {} vs {expected} (tol {})",
            est.mean,
            4.0 * est.se()
        );
    }
}

#[test]
fn stratified_ancova_has_exact_type_one_error_and_no_bias() {
    let r = 20_000;
    let text = |effect: f64, sided: &str| {
        format!(
            r#"name = "t"
[design]
n_per_arm = 24
analysis = "stratified_ancova"
sided = "{sided}"
[[stratum]]
share = 0.5
kind = "continuous"
baseline_mean = 10
baseline_sd = 3
control_change_mean = -2
change_sd = 4
baseline_change_correlation = -0.6
effect = {effect}
source = "test"
[[stratum]]
share = 0.5
kind = "continuous"
baseline_mean = 30
baseline_sd = 8
control_change_mean = -5
change_sd = 10
baseline_change_correlation = -0.2
effect = {}
source = "test"
[simulation]
replicates = {r}
seed = 8
"#,
            effect * 2.5
        )
    };
    for sided in ["two", "one"] {
        let got = rate(&run(&parse(&text(0.0, sided)))[0]);
        assert!((got - 0.05).abs() < 4.0 * se(0.05, r), "{sided}: {got}");
    }
    // Effects of -2 (SD 4) and -5 (SD 10): -0.5 SD of change in both strata.
    let cell = &run(&parse(&text(-2.0, "two")))[0];
    assert!((cell.summary.truth.mean - -0.5).abs() < 1e-9);
    let err = &cell.summary.error;
    assert!(err.mean.abs() < 4.0 * err.se(), "bias {}", err.mean);
}

#[test]
fn a_heterogeneous_effect_keeps_its_average() {
    // MSC works in 30% of patients (effect -10 each): the sample-average true
    // effect is -3 on average, and the Welch estimate is unbiased for it.
    let r = 20_000;
    let s = parse(&format!(
        "name = \"t\"\n[design]\nn_per_arm = 20\nanalysis = \"welch_t\"\n[endpoint]\nkind = \"continuous\"\n[population]\nbaseline_mean = 10\nbaseline_sd = 3\ncontrol_change_mean = -2\nchange_sd = 4\n[effect]\nmean = -3\nresponder_share = 0.3\nsource = \"test\"\n[simulation]\nreplicates = {r}\n"
    ));
    let cell = &run(&s)[0];
    let truth = &cell.summary.truth;
    // Per trial the true effect is -10 times the responder share among 40 patients.
    let truth_se = 10.0 * (0.3f64 * 0.7 / 40.0).sqrt() / (r as f64).sqrt();
    assert!((truth.mean - -3.0).abs() < 4.0 * truth_se, "{}", truth.mean);
    assert!((truth.sd() - 10.0 * (0.3f64 * 0.7 / 40.0).sqrt()).abs() < 0.05);
    let err = &cell.summary.error;
    assert!(err.mean.abs() < 4.0 * err.se(), "bias {}", err.mean);
}
