//! Regression tests for issue 9's defects in input validation and in results
//! that looked valid but were not; each is named after the defect it pins.

mod common;

use std::fs;
use std::path::Path;

use common::{run, se, succeeds, trialsim};
use serde_json::Value;
use trialsim::analysis::{AnalysisFailure, Analyzer, ArmView, Scratch};
use trialsim::design::Arms;
use trialsim::report::RunReport;
use trialsim::scenario::{self, AnalysisKind, Scenario, Sided};

/// A small valid scenario; tests edit it.
const BASE: &str = r#"
name = "hard"
[design]
n_per_arm = [10, 20]
analysis = "welch_t"
visits_weeks = [12, 24]
[endpoint]
kind = "continuous"
[population]
baseline_mean = 11
baseline_sd = 4
control_change_mean = -5
change_sd = 6
[effect]
mean = -2.5
source = "assumption"
[simulation]
replicates = 400
seed = 3
"#;

const THERAPY: &str = r#"
[standard_therapy]
policy = "withdraw"
flare_hazard_on = 0.01
flare_hazard_off = 0.03
flare_effect = 2
source = "test"
"#;

fn parse(text: &str) -> Result<Scenario, String> {
    scenario::parse(Path::new("s.toml"), text).map_err(|e| e.to_string())
}

/// `check` refuses `text` (exit 2) naming `key`.
fn refused(text: &str, key: &str) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.toml");
    fs::write(&file, text).unwrap();
    let output = trialsim().arg("check").arg(&file).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{text}\n{stderr}");
    assert!(stderr.contains(&format!("key `{key}`")), "{key}: {stderr}");
}

#[test]
fn weeks_in_the_millions_are_refused_before_they_allocate() {
    // 1e7 weeks took 2 GB and 1e19 panicked with "capacity overflow".
    for weeks in ["1e7", "1e19", "1e300"] {
        refused(
            &format!(
                "{}{THERAPY}",
                BASE.replace(
                    "[endpoint]",
                    &format!("follow_up_weeks = {weeks}\n[endpoint]")
                )
            ),
            "design.follow_up_weeks",
        );
    }
    refused(
        &BASE.replace(
            "visits_weeks = [12, 24]",
            "visits_weeks = [4, 12, 24000000]",
        ),
        "design.visits_weeks",
    );
}

#[test]
fn huge_sds_and_effects_are_refused_not_a_welch_panic() {
    refused(
        &BASE.replace("change_sd = 6", "change_sd = 1e78"),
        "population.change_sd",
    );
    refused(&BASE.replace("mean = -2.5", "mean = 1e308"), "effect.mean");
    refused(
        &BASE.replace("baseline_mean = 11", "baseline_mean = -1e300"),
        "population.baseline_mean",
    );
}

#[test]
fn welch_overflow_is_a_counted_failure_not_a_panic() {
    // Values past what validation admits: the variances overflow to infinity
    // and the Welch df to NaN, which used to panic when deciding.
    let analyzer = Analyzer::new(AnalysisKind::WelchT, Sided::Two, Arms::both(3), None);
    let (a, b) = ([1e200, -1e200, 3e200], [2e200, -2e200, 5e199]);
    let (zero, strata) = ([0.0; 3], [0u8; 3]);
    let view = |x| ArmView {
        baseline: &zero,
        primary: x,
        change: x,
        stratum: &strata,
        follow_up: &[],
    };
    let result = analyzer.analyse(view(&a), view(&b), &mut Scratch::default());
    assert_eq!(result, Err(AnalysisFailure::NotFinite));
}

#[test]
fn replicates_have_an_upper_bound() {
    // The progress total overflowed at i64::MAX.
    refused(
        &BASE.replace("replicates = 400", "replicates = 9223372036854775807"),
        "simulation.replicates",
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("s.toml");
    fs::write(&file, BASE).unwrap();
    let output = trialsim()
        .args(["run", "--replicates", "2000000000"])
        .arg(&file)
        .arg("--out")
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("simulation.replicates"));
}

#[test]
fn nan_and_inf_are_refused_everywhere() {
    // `improvement_needed = nan` used to be accepted and silently disabled the therapy.
    let therapy = format!(
        "{THERAPY}[[concomitant]]\nname = \"steroid\"\ntrigger = \"nonresponse\"\nstart_week = 12\neffect = -3\nsource = \"t\"\n"
    );
    let with = |from: &str, to: &str| format!("{BASE}{therapy}").replace(from, to);
    let cases = [
        (
            with("effect = -3", "effect = -3\nimprovement_needed = nan"),
            "concomitant[0].improvement_needed",
        ),
        (with("effect = -3", "effect = nan"), "concomitant[0].effect"),
        (
            with("effect = -3", "effect = -3\nduration_weeks = inf"),
            "concomitant[0].duration_weeks",
        ),
        (
            with("effect = -3", "effect = -3\nhalf_life_weeks = inf"),
            "concomitant[0].half_life_weeks",
        ),
        (
            with("flare_hazard_on = 0.01", "flare_hazard_on = inf"),
            "standard_therapy.flare_hazard_on",
        ),
        (
            with("flare_hazard_on = 0.01", "flare_hazard_on = nan"),
            "standard_therapy.flare_hazard_on",
        ),
        (
            with("flare_effect = 2", "flare_effect = inf"),
            "standard_therapy.flare_effect",
        ),
        (
            with(
                "policy = \"withdraw\"",
                "policy = \"withdraw\"\ntaper_weeks = inf",
            ),
            "standard_therapy.taper_weeks",
        ),
        (
            with(
                "policy = \"withdraw\"",
                "policy = \"withdraw\"\nmsc_flare_hazard_ratio = inf",
            ),
            "standard_therapy.msc_flare_hazard_ratio",
        ),
        (with("mean = -2.5", "mean = -2.5\nsd = nan"), "effect.sd"),
        (
            with("change_sd = 6", "change_sd = inf"),
            "population.change_sd",
        ),
        (
            with("baseline_sd = 4", "baseline_sd = nan"),
            "population.baseline_sd",
        ),
        (
            with(
                "analysis = \"welch_t\"",
                "analysis = \"welch_t\"\nalpha = nan",
            ),
            "design.alpha",
        ),
        (
            with(
                "analysis = \"welch_t\"",
                "analysis = \"welch_t\"\nallocation = inf",
            ),
            "design.allocation",
        ),
    ];
    for (text, key) in cases {
        refused(&text, key);
    }
}

#[test]
fn two_therapies_with_the_same_name_are_refused() {
    // One therapy's figures used to overwrite the other's in the JSON.
    let one = "[[concomitant]]\nname = \"steroid\"\ntrigger = \"baseline\"\neffect = -1\nsource = \"t\"\n";
    refused(&format!("{BASE}{THERAPY}{one}{one}"), "concomitant[1].name");
}

#[test]
fn check_reports_every_error_in_every_file() {
    // It used to stop at the first file's first error.
    let dir = tempfile::tempdir().unwrap();
    let bad = BASE.replace("change_sd = 6", "change_sd = -1").replace(
        "analysis = \"welch_t\"",
        "analysis = \"welch_t\"\nalpha = 2",
    );
    let (a, b, good) = (
        dir.path().join("a.toml"),
        dir.path().join("b.toml"),
        dir.path().join("g.toml"),
    );
    fs::write(&a, &bad).unwrap();
    // A check whose inputs failed is skipped (the effect needs the
    // population's scale), so b's population is sound.
    let b_text = BASE
        .replace(
            "analysis = \"welch_t\"",
            "analysis = \"welch_t\"\nalpha = 2",
        )
        .replace("source = \"assumption\"", "source = \"\"");
    fs::write(&b, b_text).unwrap();
    fs::write(&good, BASE).unwrap();
    let output = trialsim()
        .arg("check")
        .args([&a, &good, &b])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    for (file, key) in [
        ("a.toml", "population.change_sd"),
        ("a.toml", "design.alpha"),
        ("b.toml", "design.alpha"),
        ("b.toml", "effect.source"),
    ] {
        assert!(
            stderr
                .lines()
                .any(|l| l.contains(file) && l.contains(&format!("key `{key}`"))),
            "{file} {key}: {stderr}"
        );
    }
    assert!(
        stderr.contains("2 of 3 scenario files are not valid"),
        "{stderr}"
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains("g.toml: ok"));
}

#[test]
fn visits_weeks_may_start_at_the_baseline_visit() {
    let s = parse(&BASE.replace("visits_weeks = [12, 24]", "visits_weeks = [0, 12, 24]")).unwrap();
    assert_eq!(s.design.visits_weeks, vec![12.0, 24.0]);
    let plain = parse(BASE).unwrap();
    assert_eq!(s.design, plain.design);
}

/// The JSON report of `text` run through the binary, and its stderr.
fn run_json(text: &str, extra: &[&str]) -> (Value, String, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("s.toml");
    fs::write(&file, text).unwrap();
    let output = succeeds(
        trialsim()
            .arg("run")
            .args(extra)
            .arg(&file)
            .arg("--out")
            .arg(dir.path()),
    );
    let csv = fs::read_to_string(dir.path().join("hard").join("summary.csv")).unwrap();
    let json = serde_json::from_str(
        &fs::read_to_string(dir.path().join("hard").join("summary.json")).unwrap(),
    )
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    (json, csv, stdout)
}

#[test]
fn a_cell_whose_every_trial_fails_warns_and_keeps_its_csv_columns() {
    // No variance at all: every Welch test fails. The run used to print
    // "power 0.000 ± 0.000" beside NaN and drop the CSV's estimate columns.
    let failing = BASE
        .replace("baseline_sd = 4", "baseline_sd = 0")
        .replace("change_sd = 6", "change_sd = 0");
    let (json, csv, stdout) = run_json(&failing, &[]);
    let (_, csv_ok, _) = run_json(BASE, &[]);
    assert_eq!(csv.lines().next(), csv_ok.lines().next(), "same columns");
    let warnings: Vec<&str> = json["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    assert!(
        warnings.iter().any(|w| w.contains("n 10:10")
            && w.contains("every one of the 400 trials failed")
            && w.contains("no variance")),
        "{warnings:?}"
    );
    assert!(stdout.contains("warning: hard, n 10:10"), "{stdout}");
    assert!(!stdout.contains("NaN"), "{stdout}");
    assert_eq!(json["results"][0]["mean_estimate"], Value::Null);
    assert_eq!(json["results"][0]["failure_reasons"]["zero_variance"], 400);
}

#[test]
fn one_replicate_prints_no_monte_carlo_se() {
    let (json, _, stdout) = run_json(BASE, &["--replicates", "1"]);
    let r = &json["results"][0];
    for key in ["power_mc_se", "bias_vs_own_effect_mc_se", "coverage_mc_se"] {
        assert_eq!(r[key], Value::Null, "{key}");
    }
    let row = stdout.lines().find(|l| l.starts_with("| 10:10 |")).unwrap();
    assert!(!row.contains('±'), "{row}");
}

#[test]
fn plausibility_warnings_reach_the_report() {
    let hazard = format!(
        "{BASE}{}",
        THERAPY.replace(
            "flare_hazard_off = 0.03",
            "flare_hazard_off = [[0, 0.01], [22, 5]]",
        )
    );
    let (json, _, stdout) = run_json(&hazard.replace("replicates = 400", "replicates = 20"), &[]);
    let text = json["warnings"].to_string();
    assert!(text.contains("flare_hazard_off"), "{text}");
    assert!(
        stdout.contains("warning: standard_therapy.flare_hazard_off"),
        "{stdout}"
    );
}

#[test]
fn summary_json_carries_the_resolved_inputs() {
    // Only state.json used to carry the scenario; presets were invisible.
    let text = "name = \"hard\"\n[design]\nn_per_arm = 10\nanalysis = \"ancova\"\n[population]\ndisease = \"sle\"\n[simulation]\nreplicates = 20\n";
    let (json, _, _) = run_json(text, &[]);
    let inputs = &json["inputs"];
    assert_eq!(inputs["population"]["baseline_mean"], 11.0);
    assert!(
        inputs["effect"]["source"]
            .as_str()
            .unwrap()
            .contains("zhou2020"),
        "{inputs}"
    );
    assert_eq!(inputs["endpoint"]["scale"]["kind"], "sledai2k");
}

#[test]
fn assurance_counts_only_significance_in_msc_favour() {
    // With a two-sided test and a prior centred on 0, significance is as
    // likely either way; assurance used to count both directions.
    let text = BASE
        .replace("mean = -2.5", "mean = 0\nsd = 4")
        .replace("replicates = 400", "replicates = 6000");
    let s = parse(&text).unwrap();
    let runs = run(&s);
    let prior = runs[1].prior.as_ref().unwrap();
    let report = RunReport::new(&s, &runs, 1, 0.0);
    let assurance = report.results[1].assurance.unwrap();
    let r = prior.replicates;
    assert_eq!(assurance, prior.favourable_rejections as f64 / r as f64);
    let half = prior.rejections as f64 / r as f64 / 2.0;
    assert!(
        (assurance - half).abs() < 4.0 * se(half, r),
        "assurance {assurance} vs half the two-sided rate {half}"
    );
}

#[test]
fn significance_favouring_msc_under_the_null_is_half_of_alpha() {
    // Type I error of the favourable-direction rule: alpha / 2 two-sided.
    for analysis in ["welch_t", "ancova", "wilcoxon"] {
        let text = BASE
            .replace("mean = -2.5", "mean = 0")
            .replace("\"welch_t\"", &format!("\"{analysis}\""))
            .replace("replicates = 400", "replicates = 20000");
        let s = parse(&text).unwrap();
        let runs = run(&s);
        let report = RunReport::new(&s, &runs, 1, 0.0);
        for cell in &report.results {
            let (p, r) = (cell.power_favourable, cell.replicates);
            // Wilcoxon's exact size is below alpha; the t tests' is alpha.
            let bound = 0.025;
            assert!(p < bound + 4.0 * se(bound, r), "{analysis}: {p}");
            if analysis != "wilcoxon" {
                assert!((p - bound).abs() < 4.0 * se(bound, r), "{analysis}: {p}");
            }
            assert!(cell.power_favourable <= cell.power);
        }
    }
}

#[test]
fn withdraw_week_delays_withdrawal_to_that_week() {
    // P(flare by 24) with hazard 0.01 to week 12 and 0.03 after:
    // 1 - exp(-(0.12 + 0.36)).
    let text = format!(
        "{BASE}{}",
        THERAPY.replace(
            "policy = \"withdraw\"",
            "policy = \"withdraw\"\nwithdraw_week = 12"
        )
    )
    .replace("replicates = 400", "replicates = 4000")
    .replace("flare_effect = 2", "flare_effect = 0");
    let s = parse(&text).unwrap();
    let runs = run(&s);
    let exact = 1.0 - (-0.48f64).exp();
    for cell in &runs {
        let f = cell.summary.flares.as_ref().unwrap();
        for arm in [&f.msc, &f.control] {
            let w = &arm.flare_by_primary;
            assert!(
                (w.mean - exact).abs() < 4.0 * w.se(),
                "{} vs {exact}",
                w.mean
            );
        }
    }
    // The same schedule written as hazard pieces gives the same trials.
    let pieces = format!(
        "{BASE}{}",
        THERAPY.replace(
            "flare_hazard_off = 0.03",
            "flare_hazard_off = [[0, 0.01], [12, 0.03]]"
        )
    )
    .replace("replicates = 400", "replicates = 4000")
    .replace("flare_effect = 2", "flare_effect = 0");
    let same = run(&parse(&pieces).unwrap());
    assert_eq!(runs[0].summary, same[0].summary);
    refused(
        &format!(
            "{BASE}{}",
            THERAPY.replace(
                "policy = \"withdraw\"",
                "policy = \"continue\"\nwithdraw_week = 12"
            )
        ),
        "standard_therapy.withdraw_week",
    );
}

#[test]
fn warnings_go_to_stderr_under_json_and_nowhere_under_quiet() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("s.toml");
    fs::write(
        &file,
        BASE.replace("mean = -2.5", "mean = 2.5")
            .replace("replicates = 400", "replicates = 20"),
    )
    .unwrap();
    let run = |flag: &str| {
        trialsim()
            .args(["run", flag])
            .arg(&file)
            .arg("--out")
            .arg(dir.path())
            .output()
            .unwrap()
    };
    let json = run("--json");
    assert!(json.status.success());
    let stderr = String::from_utf8_lossy(&json.stderr);
    assert!(stderr.contains("warning: effect.mean"), "{stderr}");
    let quiet = run("--quiet");
    assert!(String::from_utf8_lossy(&quiet.stderr).is_empty());
}

#[test]
fn flares_beyond_the_per_patient_count_are_refused() {
    // 0.5 a week for 520 weeks: 260 expected flares, silently cut at 64.
    let text = format!(
        "{BASE}{}",
        THERAPY.replace("flare_hazard_off = 0.03", "flare_hazard_off = 0.5")
    )
    .replace("[endpoint]", "follow_up_weeks = 520\n[endpoint]");
    refused(&text, "standard_therapy");
}

#[test]
fn wilcoxon_favourable_direction_comes_from_the_rank_sum_not_a_zero_hodges_lehmann() {
    // On PGA (integers 0-10) most MSC-control differences are 0, so the
    // Hodges-Lehmann shift is often exactly 0 while the rank sum clearly
    // favours MSC: favourable power fell to 0.41 where power was 0.90.
    let pga = BASE
        .replace("kind = \"continuous\"", "kind = \"pga\"")
        .replace("baseline_mean = 11", "baseline_mean = 2")
        .replace("baseline_sd = 4", "baseline_sd = 1.5")
        .replace("control_change_mean = -5", "control_change_mean = 0")
        .replace("change_sd = 6", "change_sd = 1.2")
        .replace("mean = -2.5", "mean = -0.6")
        .replace("\"welch_t\"", "\"wilcoxon\"")
        .replace("n_per_arm = [10, 20]", "n_per_arm = [120]")
        .replace("replicates = 400", "replicates = 2000");
    for sided in ["two", "one"] {
        let text = pga.replace(
            "analysis = \"wilcoxon\"",
            &format!("analysis = \"wilcoxon\"\nsided = \"{sided}\""),
        );
        let s = parse(&text).unwrap();
        let runs = run(&s);
        let cell = &RunReport::new(&s, &runs, 1, 0.0).results[0];
        let (power, favourable) = (cell.power, cell.power_favourable);
        assert!(power > 0.8, "{sided}: {power}");
        if sided == "one" {
            assert_eq!(favourable, power);
        } else {
            assert!(
                power - favourable < 4.0 * se(power, cell.replicates),
                "{favourable} vs {power}"
            );
        }
    }
}

#[test]
fn check_reports_every_bad_key_of_design_and_of_each_therapy() {
    let therapy = |name: &str, extra: &str| {
        format!(
            "[[concomitant]]\nname = \"{name}\"\ntrigger = \"baseline\"\neffect = -1\n{extra}source = \"t\"\n"
        )
    };
    // Two bad [design] keys; and, in a file whose [design] is sound (the
    // therapies' timing is checked against its visits), two bad therapies
    // and a bad standard-therapy key.
    let design = BASE
        .replace("n_per_arm = [10, 20]", "n_per_arm = [1, 20]")
        .replace(
            "analysis = \"welch_t\"",
            "analysis = \"welch_t\"\nalpha = 2",
        );
    let therapies = format!(
        "{BASE}{}{}{}",
        THERAPY.replace("flare_effect = 2", "flare_effect = 2\ntaper_weeks = -1"),
        therapy("a", "probability = 1.5\n"),
        therapy("b", "half_life_weeks = -1\n"),
    );
    let cases: [(String, &[&str]); 2] = [
        (design, &["design.n_per_arm", "design.alpha"]),
        (
            therapies,
            &[
                "standard_therapy.taper_weeks",
                "concomitant[0].probability",
                "concomitant[1].half_life_weeks",
            ],
        ),
    ];
    for (text, keys) in cases {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("bad.toml");
        fs::write(&file, text).unwrap();
        let output = trialsim().arg("check").arg(&file).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        for key in keys {
            assert!(stderr.contains(&format!("key `{key}`")), "{key}: {stderr}");
        }
    }
}
