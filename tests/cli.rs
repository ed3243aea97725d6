//! The `trialsim` binary: outputs, exit codes, error messages, determinism.

mod common;

use common::{succeeds, trialsim};

use std::fs;
use std::path::Path;

use predicates::prelude::*;
use serde_json::Value;

const EXAMPLE: &str = "scenarios/sle_sledai_addon.toml";

const GOOD: &str = r#"
name = "cli_test"
[design]
n_per_arm = [8, 16]
analysis = "welch_t"
visits_weeks = [4, 12]
[endpoint]
kind = "sledai2k"
[population]
baseline_mean = 11
baseline_sd = 4
control_change_mean = -5
change_sd = 6
[effect]
mean = -2.5
source = "test"
[simulation]
replicates = 400
seed = 3
"#;

fn json_run(file: &Path, threads: &str) -> Value {
    let out = tempfile::tempdir().unwrap();
    let file = file.to_str().unwrap();
    stdout_json(
        &["run", "--json", "--quiet", "--threads", threads, file],
        out.path(),
    )
}

/// Runs `trialsim ARGS --out OUT`, expects success, parses stdout as JSON.
fn stdout_json(args: &[&str], out: &Path) -> Value {
    let output = succeeds(trialsim().args(args).arg("--out").arg(out));
    serde_json::from_slice(&output.stdout).unwrap()
}

/// The JSON without the fields that describe the machine rather than the results.
fn without_timing(mut v: Value) -> Value {
    let top = v.as_object_mut().unwrap();
    top.remove("threads");
    top.remove("elapsed_s");
    for r in top["results"].as_array_mut().unwrap() {
        r.as_object_mut().unwrap().remove("seconds");
    }
    v
}

#[test]
fn help_explains_every_flag() {
    let out = trialsim().args(["run", "--help"]).output().unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    for flag in [
        "--replicates",
        "--seed",
        "--threads",
        "--out",
        "--json",
        "--quiet",
    ] {
        assert!(text.contains(flag), "{flag} missing from help:\n{text}");
    }
    trialsim()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("run").and(predicate::str::contains("check")));
}

#[test]
fn run_writes_table_csv_json_png_svg() {
    let out = tempfile::tempdir().unwrap();
    trialsim()
        .args(["run", "--replicates", "300", "--out"])
        .arg(out.path())
        .arg(EXAMPLE)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "| n MSC:control | power (either direction) ± MC SE |",
        ));
    let dir = out.path().join("sle_sledai_addon");
    let csv = fs::read_to_string(dir.join("summary.csv")).unwrap();
    assert!(
        csv.starts_with(
            "n_per_arm,n_msc,n_control,replicates,rejections,failures,failure_reasons_too_few_patients,failure_reasons_zero_variance,failure_reasons_not_finite,power,power_mc_se"
        )
    );
    assert_eq!(csv.lines().count(), 1 + 7);
    let json: Value =
        serde_json::from_str(&fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    for key in [
        "scenario",
        "seed",
        "replicates",
        "threads",
        "elapsed_s",
        "results",
    ] {
        assert!(json.get(key).is_some(), "JSON lacks {key}");
    }
    for key in [
        "n_per_arm",
        "power",
        "power_mc_se",
        "mean_estimate",
        "msc_own_effect",
        "bias_vs_own_effect",
        "bias_vs_estimand",
        "power_favourable",
    ] {
        assert!(json["results"][0].get(key).is_some(), "results lack {key}");
    }
    assert_eq!(json["replicates"], 300);
    let png = fs::read(dir.join("power.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let svg = fs::read_to_string(dir.join("power.svg")).unwrap();
    assert!(svg.contains("<svg") && svg.contains("power by sample size"));
    // The four outputs and the resumable state; no temporary files left behind.
    let mut names: Vec<String> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "power.png",
            "power.svg",
            "state.json",
            "summary.csv",
            "summary.json"
        ]
    );
}

#[test]
fn same_seed_same_results_on_one_and_two_threads() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("s.toml");
    // Several batches per cell, so the two runs really split the work differently.
    fs::write(&file, GOOD.replace("replicates = 400", "replicates = 3000")).unwrap();
    let one = without_timing(json_run(&file, "1"));
    let two = without_timing(json_run(&file, "2"));
    assert_eq!(one, two);
    let other_seed = {
        let f = dir.path().join("t.toml");
        fs::write(
            &f,
            GOOD.replace("replicates = 400", "replicates = 3000")
                .replace("seed = 3", "seed = 4"),
        )
        .unwrap();
        without_timing(json_run(&f, "2"))
    };
    assert_ne!(
        one["results"], other_seed["results"],
        "the seed must matter"
    );
}

#[test]
fn bad_input_exits_2_with_one_line_naming_file_and_key() {
    let cases = [
        (
            "name = \"cli_test\"",
            "name = \"cli_test\"\n[design",
            "line",
        ),
        (
            "analysis = \"welch_t\"",
            "analysis = \"welch_t\"\nalpah = 0.1",
            "design.alpah",
        ),
        (
            "baseline_sd = 4",
            "baseline_sd = \"4\"",
            "population.baseline_sd",
        ),
        (
            "n_per_arm = [8, 16]",
            "n_per_arm = [1, 16]",
            "design.n_per_arm",
        ),
        (
            "n_per_arm = [8, 16]",
            "n_per_arm = \"eight\"",
            "design.n_per_arm",
        ),
        (
            "analysis = \"welch_t\"",
            "analysis = \"welch_t\"\nalpha = 1.5",
            "design.alpha",
        ),
        ("change_sd = 6", "change_sd = -6", "population.change_sd"),
        (
            "change_sd = 6",
            "change_sd = 6\nbaseline_change_correlation = 2",
            "population.baseline_change_correlation",
        ),
        (
            "replicates = 400",
            "replicates = 0",
            "simulation.replicates",
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    // An earlier good run's output must survive the failed ones.
    let good = dir.path().join("good.toml");
    fs::write(&good, GOOD).unwrap();
    trialsim()
        .args(["run", "--quiet", "--out"])
        .arg(&out)
        .arg(&good)
        .assert()
        .success();
    let before = fs::read(out.join("cli_test/summary.json")).unwrap();

    for (from, to, key) in cases {
        let file = dir.path().join("bad.toml");
        fs::write(&file, GOOD.replace(from, to)).unwrap();
        let output = trialsim()
            .args(["run", "--quiet", "--out"])
            .arg(&out)
            .arg(&file)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{to}: {stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{to}: {stderr}");
        assert!(
            stderr.contains("bad.toml") && stderr.contains(key),
            "{to}: {stderr}"
        );
        trialsim().arg("check").arg(&file).assert().code(2);
    }
    assert_eq!(fs::read(out.join("cli_test/summary.json")).unwrap(), before);
    let names: Vec<_> = fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec!["cli_test"], "nothing else is written on error");
}

#[test]
fn one_bad_file_stops_the_run_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.toml");
    let bad = dir.path().join("bad.toml");
    fs::write(&good, GOOD).unwrap();
    fs::write(
        &bad,
        GOOD.replace("alpha", "x")
            .replace("analysis = \"welch_t\"", "analysis = \"welch\""),
    )
    .unwrap();
    let out = dir.path().join("out");
    trialsim()
        .args(["run", "--quiet", "--out"])
        .arg(&out)
        .args([&good, &bad])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("design.analysis").and(predicate::str::contains("welch_t")),
        );
    assert!(!out.exists());
}

#[test]
fn zero_replicates_on_the_command_line_is_refused() {
    trialsim()
        .args(["run", "--replicates", "0", EXAMPLE])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--replicates"));
}

#[test]
fn missing_file_is_a_clear_error() {
    trialsim()
        .args(["check", "scenarios/does_not_exist.toml"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("does_not_exist.toml")
                .and(predicate::str::contains("cannot read")),
        );
}

#[test]
fn every_shipped_scenario_passes_check() {
    let files: Vec<_> = fs::read_dir("scenarios")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    assert!(!files.is_empty());
    trialsim().arg("check").args(&files).assert().success();
}

#[test]
fn disease_and_evidence_errors_name_the_key_and_the_allowed_values() {
    let dir = tempfile::tempdir().unwrap();
    let base = "name = \"d\"\n[design]\nn_per_arm = 10\nanalysis = \"ancova\"\n[population]\ndisease = \"sle\"\n";
    let cases = [
        (base.replace("\"sle\"", "\"lupus\""), "population.disease", "sle"),
        (format!("{base}[effect]\nfrom = \"no.such.row\"\n"), "effect.from", "trialsim evidence"),
        (base.replace("analysis = \"ancova\"", "analysis = \"ancova\"\nenroll_above = 200"), "design.enroll_above", "sledai2k"),
        (base.replace("disease = \"sle\"", "disease = \"sle\"\nbaseline_mean = 120"), "population.baseline_mean", "0 to 105"),
        (format!("{base}[endpoint]\nresponder_threshold = 300\n"), "endpoint.responder_threshold", "at most 105"),
        (format!("{base}[endpoint]\nkind = \"pga\"\n"), "population.baseline_mean", "the sle preset describes sledai2k"),
        ("name = \"d\"\n[design]\nn_per_arm = 10\nanalysis = \"ancova\"\n[population]\nbaseline_mean = 1\n".to_string(), "endpoint.kind", "sledai2k"),
    ];
    for (text, key, allowed) in cases {
        assert_check_refuses(dir.path(), &text, &format!("key `{key}`"), allowed);
    }
}

/// `trialsim check` on `text` exits 2 with one error line, holding `key` and
/// `allowed`, and the closing count of bad files.
fn assert_check_refuses(dir: &Path, text: &str, key: &str, allowed: &str) {
    let file = dir.join("bad_input.toml");
    fs::write(&file, text).unwrap();
    let output = trialsim().arg("check").arg(&file).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{text}: {stderr}");
    let lines: Vec<&str> = stderr.trim_end().lines().collect();
    assert_eq!(lines.len(), 2, "{stderr}");
    assert_eq!(lines[1], "error: 1 of 1 scenario files are not valid");
    assert!(
        stderr.contains(key) && stderr.contains(allowed),
        "{text}: {stderr}"
    );
}

#[test]
fn evidence_and_cases_print_tables_and_json() {
    trialsim()
        .arg("evidence")
        .assert()
        .success()
        .stdout(predicate::str::contains("sle.effect.prior").and(predicate::str::contains("Zhou")));
    let out = trialsim().args(["evidence", "--json"]).output().unwrap();
    let rows: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        rows.as_array()
            .unwrap()
            .iter()
            .all(|r| r["citation"].as_str().is_some_and(|c| !c.is_empty()))
    );
    let out = trialsim().args(["cases", "--json"]).output().unwrap();
    let cases: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(cases.as_array().unwrap().len(), 3);
    assert_eq!(cases[1]["diagnosis"], "MCTD");
    trialsim()
        .arg("cases")
        .assert()
        .success()
        .stdout(predicate::str::contains("Wharton"));
}

#[test]
fn runs_list_the_evidence_rows_they_used_and_mctd_says_it_has_no_data() {
    let out = tempfile::tempdir().unwrap();
    let json = stdout_json(
        &[
            "run",
            "--json",
            "--quiet",
            "--replicates",
            "200",
            "scenarios/mctd_sledai.toml",
        ],
        out.path(),
    );
    let ids: Vec<&str> = json["evidence_used"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert!(
        ids.contains(&"mctd.proxy") && ids.contains(&"sle.effect.prior"),
        "{ids:?}"
    );
    assert!(json["notes"][0].as_str().unwrap().contains("no MSC data"));
    assert!(json["results"][0]["assurance"].as_f64().is_some());
}

#[test]
fn intercurrent_errors_name_the_key_and_what_is_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let base = "name = \"i\"\n[design]\nn_per_arm = 10\nanalysis = \"ancova\"\nvisits_weeks = [4, 12]\n[population]\ndisease = \"sle\"\n";
    let therapy =
        "[standard_therapy]\npolicy = \"withdraw\"\nflare_hazard_on = 0.01\nsource = \"t\"\n";
    let conc = |extra: &str| {
        format!(
            "[[concomitant]]\nname = \"toci\"\ntrigger = \"baseline\"\neffect = -2\nsource = \"t\"\n{extra}\n"
        )
    };
    let cases = [
        (
            format!("{base}{}", conc("probability = 1.5")),
            "concomitant[0].probability",
            "from 0 to 1",
        ),
        (
            format!(
                "{base}{}",
                conc("probability = { msc = 0.1, control = -0.2 }")
            ),
            "concomitant[0].probability.control",
            "from 0 to 1",
        ),
        (
            format!(
                "{base}{}",
                conc("probability = { msc = 0.1, placebo = 0.2 }")
            ),
            "concomitant[0].probability",
            "msc = ..., control = ...",
        ),
        (
            format!("{base}{}", therapy.replace("0.01", "-0.01")),
            "standard_therapy.flare_hazard_on",
            "0 or more",
        ),
        (
            format!("{base}{therapy}flare_hazard_off = [[0, 0.02], [8, -1]]\n"),
            "standard_therapy.flare_hazard_off",
            "0 or more",
        ),
        (
            format!("{base}{}", conc("start_week = 30")),
            "concomitant[0].start_week",
            "end of follow-up (week 12)",
        ),
        (
            format!(
                "{base}{}",
                conc("").replace("\"baseline\"", "\"nonresponse\"") + "start_week = 6\n"
            ),
            "concomitant[0].start_week",
            "[4.0]",
        ),
        (
            format!("{base}{therapy}withdraw_arms = [\"placebo\"]\n"),
            "standard_therapy.withdraw_arms",
            "msc",
        ),
        (
            format!("{base}[estimand]\nstrategy = \"composite\"\n"),
            "estimand.strategy",
            "fisher_responder",
        ),
        (
            format!("{base}{}", therapy.replace("source = \"t\"\n", "")),
            "standard_therapy.source",
            "cite",
        ),
    ];
    for (text, key, allowed) in cases {
        assert_check_refuses(dir.path(), &text, &format!("key `{key}"), allowed);
    }
}

#[test]
fn intercurrent_runs_write_flare_and_estimand_plots_and_per_arm_json() {
    let out = tempfile::tempdir().unwrap();
    let json = stdout_json(
        &[
            "run",
            "--json",
            "--quiet",
            "--replicates",
            "300",
            "scenarios/jia_mtx_withdrawal.toml",
        ],
        out.path(),
    );
    let r = &json["results"][0];
    for key in [
        "bias_vs_own_effect",
        "bias_vs_estimand",
        "estimand_value",
        "coverage",
    ] {
        assert!(r[key].as_f64().is_some(), "{key}");
    }
    for arm in ["msc", "control"] {
        for key in [
            "flare_probability_by_primary",
            "flare_probability_in_follow_up",
            "flares_per_patient_in_follow_up",
            "flare_rescue_probability",
        ] {
            assert!(r[key][arm].as_f64().is_some(), "{key}.{arm}");
        }
    }
    let dir = out.path().join("jia_mtx_withdrawal");
    for f in [
        "flare.png",
        "flare.svg",
        "estimand_bias.png",
        "estimand_bias.svg",
    ] {
        assert!(dir.join(f).exists(), "{f}");
    }
    let csv = fs::read_to_string(dir.join("summary.csv")).unwrap();
    assert!(
        csv.lines()
            .next()
            .unwrap()
            .contains("flare_probability_by_primary_msc,flare_probability_by_primary_control")
    );
}

#[test]
fn shard_merge_and_top_up_through_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = "scenarios/sle_sri4_fisher.toml";
    let json = stdout_json;
    let single = without_timing(json(
        &["run", "--json", "--quiet", "--replicates", "1200", scenario],
        &dir.path().join("a"),
    ));
    let shards = dir.path().join("b");
    for k in ["2/2", "1/2"] {
        trialsim()
            .args([
                "run",
                "--quiet",
                "--replicates",
                "1200",
                "--shard",
                k,
                "--out",
            ])
            .arg(&shards)
            .arg(scenario)
            .assert()
            .success();
    }
    let merged = without_timing(json(
        &[
            "merge",
            "--json",
            "--quiet",
            shards.join("sle_sri4_fisher").to_str().unwrap(),
        ],
        &dir.path().join("m"),
    ));
    assert_eq!(single, merged);
    for f in [
        "summary.csv",
        "summary.json",
        "power.png",
        "power.svg",
        "state.json",
    ] {
        assert!(dir.path().join("m/sle_sri4_fisher").join(f).exists(), "{f}");
    }
    json(
        &["run", "--json", "--quiet", "--replicates", "500", scenario],
        &dir.path().join("t"),
    );
    let topped = without_timing(json(
        &[
            "run",
            "--json",
            "--quiet",
            "--replicates",
            "1200",
            "--top-up",
            scenario,
        ],
        &dir.path().join("t"),
    ));
    assert_eq!(single, topped);
    // Fewer replicates than saved, a missing state and a bad shard are bad input.
    let out = dir.path().join("t");
    trialsim()
        .args(["run", "--quiet", "--replicates", "100", "--top-up", "--out"])
        .arg(&out)
        .arg(scenario)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("already has 1200 replicates"));
    trialsim()
        .args(["run", "--quiet", "--top-up", "--out"])
        .arg(dir.path().join("none"))
        .arg(scenario)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("without --top-up"));
    trialsim()
        .args(["run", "--shard", "3/2", scenario])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("K runs from 1 to N"));
    trialsim()
        .args(["merge", "--out"])
        .arg(dir.path().join("x"))
        .arg(dir.path().join("a"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("no partial-*.json"));
}
