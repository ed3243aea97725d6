//! `trialsim design`: the sample-size search (issue 13, item 1).

mod common;

use std::path::Path;

use common::{succeeds, trialsim};
use trialsim::design::stream::EffectMode;
use trialsim::engine::search::{Target, Verdict, search};
use trialsim::engine::{self, NEVER_STOP, fold_cell};
use trialsim::scenario::{self, Overrides};

fn load(file: &str, lo: usize, hi: usize) -> scenario::Scenario {
    let overrides = Overrides {
        replicates: None,
        seed: None,
        n_per_arm: Some(vec![lo, hi]),
    };
    scenario::load_with(Path::new(file), &overrides).unwrap()
}

#[test]
fn design_finds_the_noncentral_t_answer_on_the_textbook_scenario() {
    // d = 0.5, two-sided alpha 0.05, 80%: 64 per arm (Cohen 1988, Table
    // 2.4.1; the noncentral t gives 0.8015 at 64 and 0.7979 at 63).
    let s = load("scenarios/textbook_continuous.toml", 10, 200);
    let r = search(&s, Target::Power(0.8), (10, 200), None, &|_| {});
    assert_eq!(r.smallest, Some(64));
    assert_eq!(r.smallest_from_which_all, Some(64));
    let at = |n| r.points.iter().find(|p| p.n_per_arm == n).unwrap();
    // Each estimate is consistent with the closed form at 4 Monte Carlo SE.
    for (n, exact) in [(63, 0.7979), (64, 0.8015)] {
        let p = at(n);
        assert!(
            (p.rate - exact).abs() < 4.0 * p.rate_mc_se,
            "{n}: {} vs {exact}",
            p.rate
        );
    }
    assert_eq!(at(63).verdict, Verdict::Below);
}

#[test]
fn a_points_estimate_equals_a_fixed_run_of_its_replicates() {
    // Points gain replicates by topping up; the estimate must be that of a
    // plain run of the final count.
    let s = load("scenarios/textbook_continuous.toml", 10, 200);
    let r = search(&s, Target::Power(0.8), (10, 200), None, &|_| {});
    let p = r.points.iter().find(|p| p.replicates > 4096).unwrap();
    let cell = engine::Cell::new(&s, p.n_per_arm);
    let (summary, _) = fold_cell(
        &cell,
        EffectMode::Fixed,
        s.simulation.seed,
        p.replicates,
        None,
        &|_| {},
        &NEVER_STOP,
    )
    .unwrap();
    assert_eq!(
        p.rate,
        summary.favourable_rejections as f64 / p.replicates as f64
    );
}

#[test]
fn design_on_fishers_saw_tooth_power_reports_consistent_answers() {
    let s = load("scenarios/sle_sri4_fisher.toml", 10, 200);
    let r = search(&s, Target::Power(0.5), (10, 200), None, &|_| {});
    let (smallest, all) = (r.smallest.unwrap(), r.smallest_from_which_all.unwrap());
    assert!(smallest <= all);
    let reaches = |n: usize| {
        r.points
            .iter()
            .find(|p| p.n_per_arm == n)
            .unwrap()
            .reaches(0.5)
    };
    assert!(reaches(smallest) && reaches(all));
    for p in r.points.iter().filter(|p| p.n_per_arm >= all) {
        assert!(p.reaches(0.5), "{} from {all}", p.n_per_arm);
    }
    for p in r.points.iter().filter(|p| p.n_per_arm < smallest) {
        assert!(!p.reaches(0.5), "{} below {smallest}", p.n_per_arm);
    }
}

#[test]
fn bad_targets_and_ranges_are_refused() {
    let out = tempfile::tempdir().unwrap();
    let file = "scenarios/textbook_continuous.toml";
    for (args, flag) in [
        (
            &["--target-power", "1.5", "--n-range", "10..50"][..],
            "--target-power",
        ),
        (
            &["--target-power", "0", "--n-range", "10..50"],
            "--target-power",
        ),
        (
            &["--target-power", "0.8", "--n-range", "50..10"],
            "--n-range",
        ),
        (
            &["--target-power", "0.8", "--n-range", "10..10"],
            "--n-range",
        ),
        (
            &["--target-power", "0.8", "--n-range", "1..10"],
            "--n-range",
        ),
        (&["--target-power", "0.8", "--n-range", "10"], "--n-range"),
        (&["--n-range", "10..50"], "--target"),
        (
            &[
                "--target-power",
                "0.8",
                "--n-range",
                "10..50",
                "--mc-se",
                "0",
            ],
            "--mc-se",
        ),
        (
            &["--target-assurance", "0.5", "--n-range", "10..50"],
            "effect.sd",
        ),
    ] {
        let output = trialsim()
            .args(["design", file])
            .args(args)
            .arg("--out")
            .arg(out.path())
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(flag), "{args:?}: {stderr}");
    }
}

#[test]
fn design_with_mc_se_gives_every_point_that_precision_by_top_ups() {
    // Every point reaches --mc-se 0.005 (its conservative SE), and a point
    // topped up for it still equals a plain run of its final count.
    let s = load("scenarios/textbook_continuous.toml", 10, 100);
    let r = search(&s, Target::Power(0.8), (10, 100), Some(0.005), &|_| {});
    assert_eq!(r.smallest, Some(64));
    for p in &r.points {
        assert!(
            p.rate_mc_se <= 0.005,
            "{}: SE {}",
            p.n_per_arm,
            p.rate_mc_se
        );
    }
    let p = r
        .points
        .iter()
        .find(|p| p.replicates % 4096 != 0)
        .expect("a point topped up to the SE, not by quadrupling");
    let cell = engine::Cell::new(&s, p.n_per_arm);
    let (summary, _) = fold_cell(
        &cell,
        EffectMode::Fixed,
        s.simulation.seed,
        p.replicates,
        None,
        &|_| {},
        &NEVER_STOP,
    )
    .unwrap();
    assert_eq!(
        p.rate,
        summary.favourable_rejections as f64 / p.replicates as f64
    );
    // It stopped at the first batch count that meets the SE: one batch fewer does not.
    let (fewer, _) = fold_cell(
        &cell,
        EffectMode::Fixed,
        s.simulation.seed,
        p.replicates - 256,
        None,
        &|_| {},
        &NEVER_STOP,
    )
    .unwrap();
    let se =
        trialsim::engine::precision::stopping_se(fewer.favourable_rejections, p.replicates - 256);
    assert!(
        se > 0.005,
        "{} replicates already had SE {se}",
        p.replicates - 256
    );
    // Without --mc-se the same search stops earlier at some points.
    let plain = search(&s, Target::Power(0.8), (10, 100), None, &|_| {});
    let total =
        |r: &trialsim::engine::search::Search| r.points.iter().map(|p| p.replicates).sum::<u64>();
    assert!(total(&r) > total(&plain));
}

#[test]
fn design_draws_its_curve_with_the_target_and_the_answer() {
    let out = tempfile::tempdir().unwrap();
    let status = trialsim()
        .args(["design", "scenarios/textbook_continuous.toml", "--quiet"])
        .args(["--target-power", "0.8", "--n-range", "40..80"])
        .arg("--out")
        .arg(out.path())
        .output()
        .unwrap();
    assert!(status.status.success());
    let dir = out.path().join("textbook_continuous");
    let png = std::fs::read(dir.join("design.png")).unwrap();
    assert_eq!(&png[1..4], b"PNG");
    let svg = std::fs::read_to_string(dir.join("design.svg")).unwrap();
    for text in [
        "target power 0.8",
        "answer: 64 per arm",
        "n per arm",
        "falls short",
        "reaches the target",
    ] {
        assert!(svg.contains(text), "design.svg lacks {text:?}");
    }
    // One interval bar and one dot per point evaluated.
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("design.json")).unwrap()).unwrap();
    let points = json["points"].as_array().unwrap().len();
    assert!(svg.matches("<circle").count() >= points, "{points} points");
}

#[test]
fn target_success_searches_the_posterior_rules_probability_of_success() {
    // A vague prior and threshold 0.975 is the one-sided z-test at 0.025,
    // close to the two-sided t-test at 0.05: about 64 per arm for d = 0.5
    // (63 by the normal approximation, 64 by the noncentral t).
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string("scenarios/textbook_continuous.toml").unwrap();
    let file = dir.path().join("posterior.toml");
    std::fs::write(
        &file,
        format!("{text}\n[decision]\nrule = \"posterior\"\nthreshold = 0.975\n"),
    )
    .unwrap();
    let output = succeeds(
        trialsim()
            .arg("design")
            .arg(&file)
            .args([
                "--target-success",
                "0.8",
                "--n-range",
                "40..90",
                "--json",
                "--out",
            ])
            .arg(dir.path()),
    );
    let r: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let n = r["smallest"].as_u64().unwrap();
    assert!((62..=65).contains(&n), "answer {n}");
    assert!(
        r["target"]["success"].as_f64() == Some(0.8),
        "{}",
        r["target"]
    );
    // Without the posterior rule it is an error naming the key.
    let output = trialsim()
        .args([
            "design",
            "scenarios/textbook_continuous.toml",
            "--target-success",
            "0.8",
            "--n-range",
            "40..90",
            "--out",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("decision.rule"));
}

#[test]
fn design_says_when_mc_se_is_not_reached() {
    let out = tempfile::tempdir().unwrap();
    let output = trialsim()
        .args([
            "design",
            "scenarios/textbook_continuous.toml",
            "--target-power",
            "0.8",
        ])
        .args(["--n-range", "20..30", "--mc-se", "0.0005", "--out"])
        .arg(out.path())
        .output()
        .unwrap();
    assert!(output.status.success());
    assert!(String::from_utf8_lossy(&output.stdout).contains("--mc-se 0.0005 not reached at n = "));
}
