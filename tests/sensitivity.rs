//! `trialsim sensitivity`: common random numbers, equality with plain runs
//! of the varied files, paired Monte Carlo SEs, and bad input.

mod common;

use std::path::Path;

use common::trialsim;
use trialsim::engine::{self, Cell};
use trialsim::scenario::{self, Overrides};

const BASE: &str = "scenarios/sle_sledai_addon.toml";

/// `trialsim sensitivity FILE ARGS... --out OUT`.
fn sensitivity(file: &Path, args: &[&str], out: &Path) -> std::process::Output {
    trialsim()
        .arg("sensitivity")
        .arg(file)
        .args(args)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap()
}

/// The shipped scenario without its own [sensitivity] table.
fn base_text() -> String {
    let text = std::fs::read_to_string(BASE).unwrap();
    match text.find("\n[sensitivity]") {
        Some(i) => text[..i + 1].to_string(),
        None => text,
    }
}

/// The shipped scenario with `table` as its [sensitivity] table.
fn with_table(dir: &Path, table: &str) -> std::path::PathBuf {
    let path = dir.join("sens.toml");
    std::fs::write(&path, format!("{}\n[sensitivity]\n{table}\n", base_text())).unwrap();
    path
}

fn rows(path: &Path, extra: &[&str]) -> Vec<serde_json::Value> {
    let out = tempfile::tempdir().unwrap();
    let args: Vec<&str> = ["--json", "--quiet", "--n", "30", "--replicates", "4000"]
        .into_iter()
        .chain(extra.iter().copied())
        .collect();
    let output = sensitivity(path, &args, out.path());
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice::<Vec<serde_json::Value>>(&output.stdout).unwrap()
}

#[test]
fn a_value_equal_to_the_base_changes_nothing_and_others_equal_plain_runs() {
    let dir = tempfile::tempdir().unwrap();
    let text = base_text();
    let base_sd: f64 = scenario::load(Path::new(BASE))
        .unwrap()
        .population
        .change_sd;
    let path = with_table(
        dir.path(),
        &format!(
            "\"population.change_sd\" = [{base_sd:?}, 8.0]\n\"effect.mean\" = {{ low = -1.0, high = -4.0 }}"
        ),
    );
    let rows = rows(&path, &[]);
    assert_eq!(rows.len(), 5);
    let find = |key: &str, label: &str| {
        rows.iter()
            .find(|r| r["key"] == key && r["label"] == label)
            .unwrap_or_else(|| panic!("no row {key} {label}"))
    };
    // Common random numbers: the base value again gives the base's decisions exactly.
    let same = find("population.change_sd", "value 1");
    assert_eq!(same["power"], rows[0]["power"]);
    assert_eq!(same["power_change"].as_f64(), Some(0.0));
    assert_eq!(same["power_change_mc_se"].as_f64(), Some(0.0));
    assert_eq!(same["bias"], rows[0]["bias"]);
    // Each variation equals a plain run of the varied file.
    for (row, edit) in [
        (
            find("population.change_sd", "value 2"),
            ("change_sd = ", "8.0"),
        ),
        (find("effect.mean", "low"), ("mean = ", "-1.0")),
    ] {
        let varied = text
            .lines()
            .map(|l| {
                if l.starts_with(edit.0) {
                    format!("{}{}", edit.0, edit.1)
                } else {
                    l.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        let s = scenario::parse_with(
            Path::new("varied.toml"),
            &varied,
            &Overrides {
                replicates: Some(4000),
                seed: None,
                n_per_arm: Some(vec![30]),
            },
        )
        .unwrap();
        let summary = engine::run_cell(&Cell::new(&s, 30), s.simulation.seed, 4000, &|_| {});
        assert_eq!(
            row["power"].as_f64().unwrap(),
            summary.rejections as f64 / 4000.0,
            "{edit:?}"
        );
        assert_eq!(
            row["bias"].as_f64().unwrap(),
            summary.error.mean_or_nan(),
            "{edit:?}"
        );
    }
}

/// The discordant counts come from one pass that runs every variation on
/// each batch, a window of batches at a time: they must equal a count made
/// replicate by replicate from plain cells, over several windows and a
/// batch that does not fill (2,100 = 8 x 256 + 52: on one thread, with
/// two variations, windows of 4, 4 and 1 batches).
#[test]
fn discordant_decisions_are_counted_replicate_by_replicate() {
    let dir = tempfile::tempdir().unwrap();
    let path = with_table(dir.path(), "\"population.control_change_mean\" = [-3.0]");
    let out = tempfile::tempdir().unwrap();
    let args = [
        "--json",
        "--quiet",
        "--n",
        "30",
        "--replicates",
        "2100",
        "--threads",
        "1",
    ];
    let output = sensitivity(&path, &args, out.path());
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).unwrap();
    let cell_of = |text: &str| {
        let s = scenario::parse_with(
            Path::new("varied.toml"),
            text,
            &Overrides {
                replicates: Some(2100),
                seed: None,
                n_per_arm: Some(vec![30]),
            },
        )
        .unwrap();
        (Cell::new(&s, 30), s.simulation.seed)
    };
    let text = base_text();
    let varied: String = text
        .lines()
        .map(|l| {
            if l.starts_with("control_change_mean = ") {
                "control_change_mean = -3.0".to_string()
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    assert_ne!(varied, text, "the base file sets control_change_mean");
    let ((base, seed), (other, _)) = (cell_of(&text), cell_of(&varied));
    let rejects = |cell: &Cell, r: u64| {
        let mut summary = cell.new_summary();
        cell.replicate(seed, r, &mut cell.workspace(), &mut summary);
        summary.rejections == 1
    };
    let (mut only_this, mut only_base) = (0, 0);
    for r in 0..2100 {
        match (rejects(&other, r), rejects(&base, r)) {
            (true, false) => only_this += 1,
            (false, true) => only_base += 1,
            _ => {}
        }
    }
    assert!(
        only_this + only_base > 0,
        "a change that moves some decisions"
    );
    assert_eq!(rows[1]["only_this_rejects"].as_u64(), Some(only_this));
    assert_eq!(rows[1]["only_base_rejects"].as_u64(), Some(only_base));
    assert_eq!(rows[0]["only_this_rejects"].as_u64(), Some(0));
}

#[test]
fn the_paired_se_of_a_small_change_is_far_below_the_unpaired_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = with_table(dir.path(), "\"population.control_change_mean\" = [-4.5]");
    let rows = rows(&path, &[]);
    let (p0, p1) = (
        rows[0]["power"].as_f64().unwrap(),
        rows[1]["power"].as_f64().unwrap(),
    );
    let unpaired = (p0 * (1.0 - p0) / 4000.0 + p1 * (1.0 - p1) / 4000.0).sqrt();
    let paired = rows[1]["power_change_mc_se"].as_f64().unwrap();
    assert!(
        paired < unpaired / 2.0,
        "paired {paired} vs unpaired {unpaired}"
    );
    // The paired SE is the discordant-pair formula.
    let (b, c) = (
        rows[1]["only_this_rejects"].as_f64().unwrap(),
        rows[1]["only_base_rejects"].as_f64().unwrap(),
    );
    assert!((rows[1]["power_change"].as_f64().unwrap() - (b - c) / 4000.0).abs() < 1e-12);
    let expected = ((b + c) - (b - c).powi(2) / 4000.0).sqrt() / 4000.0;
    assert!((paired - expected).abs() < 1e-15);
}

#[test]
fn bad_sensitivity_input_names_the_key() {
    let dir = tempfile::tempdir().unwrap();
    for (table, expected) in [
        ("", "no [sensitivity] table"),
        ("\"effect.mean\" = \"big\"", "sensitivity.\"effect.mean\""),
        ("\"design.n_per_arm\" = [10, 60]", "use --n"),
        ("\"simulation.seed\" = [5]", "use --seed"),
        ("\"concomitant.probability\" = [0.5]", "key `concomitant`"),
        ("\"design.analysis\" = [\"welch_t\"]", "only numeric keys"),
        (
            "\"effect.mean\" = { low = -1.0 }",
            "exactly `low` and `high`",
        ),
        ("\"population.change_sd\" = [-1.0]", "population.change_sd"),
        ("\"effect.mena\" = [1.0]", "mena"),
        ("\"effect.mean.x\" = [1.0]", "not a table"),
    ] {
        let path = if table.is_empty() {
            let p = dir.path().join("plain.toml");
            std::fs::write(&p, base_text()).unwrap();
            p
        } else {
            with_table(dir.path(), table)
        };
        let output = sensitivity(&path, &["--quiet", "--replicates", "256"], dir.path());
        assert_eq!(output.status.code(), Some(2), "{table}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(expected), "{table}: {stderr}");
    }
}

#[test]
fn the_tornado_plot_names_every_key() {
    let dir = tempfile::tempdir().unwrap();
    let path = with_table(
        dir.path(),
        "\"effect.mean\" = { low = -1.0, high = -4.0 }\n\"population.change_sd\" = [4, 8]",
    );
    let out = tempfile::tempdir().unwrap();
    let output = sensitivity(
        &path,
        &["--quiet", "--n", "30", "--replicates", "1000"],
        out.path(),
    );
    assert!(output.status.success());
    let svg = std::fs::read_to_string(out.path().join("sle_sledai_addon/tornado.svg")).unwrap();
    for text in ["effect.mean", "population.change_sd", "power at 30 per arm"] {
        assert!(svg.contains(text), "tornado.svg lacks {text}");
    }
    let png = std::fs::read(out.path().join("sle_sledai_addon/tornado.png")).unwrap();
    assert_eq!(&png[1..4], b"PNG");
    let bias =
        std::fs::read_to_string(out.path().join("sle_sledai_addon/tornado_bias.svg")).unwrap();
    assert!(bias.contains("bias at 30 per arm"));
    // No flares in this scenario: no flare-risk tornado.
    assert!(
        !out.path()
            .join("sle_sledai_addon/tornado_flare.svg")
            .exists()
    );
}

#[test]
fn evidence_takes_the_range_of_the_row_a_preset_filled() {
    // mctd_sledai.toml takes its population from the SLE rows (MCTD proxy).
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string("scenarios/mctd_sledai.toml").unwrap();
    let path = dir.path().join("m.toml");
    std::fs::write(
        &path,
        format!("{text}\n[sensitivity]\n\"population.change_sd\" = \"evidence\"\n"),
    )
    .unwrap();
    let rows = rows(&path, &[]);
    let row = trialsim::evidence::row("sle.change_sd.default").unwrap();
    let values: Vec<f64> = rows[1..]
        .iter()
        .map(|r| r["value"].as_str().unwrap().parse().unwrap())
        .collect();
    assert_eq!(values, [row.low.unwrap(), row.high.unwrap()]);
    assert!(
        rows[1]["label"]
            .as_str()
            .unwrap()
            .contains("sle.change_sd.default")
    );
    // A key the file sets itself, or a row without a range, is an error naming the key.
    let p = with_table(dir.path(), "\"population.change_sd\" = \"evidence\"");
    let output = sensitivity(&p, &["--quiet"], dir.path());
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("sets `population.change_sd` itself"),
        "{stderr}"
    );
    std::fs::write(
        &path,
        format!("{text}\n[sensitivity]\n\"effect.mean\" = \"evidence\"\n"),
    )
    .unwrap();
    let output = sensitivity(&path, &["--quiet"], dir.path());
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("has no low and high"));
}

#[test]
fn flare_risk_follows_the_flare_hazard_and_gets_its_tornado() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string("scenarios/reference_sle_ancova_30_flares.toml").unwrap();
    let path = dir.path().join("f.toml");
    std::fs::write(
        &path,
        format!("{text}\n[sensitivity]\n\"standard_therapy.flare_hazard_off\" = {{ low = 0.003, high = 0.012 }}\n"),
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    let output = sensitivity(
        &path,
        &["--json", "--quiet", "--replicates", "2000"],
        out.path(),
    );
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).unwrap();
    let risk = |i: usize| rows[i]["flare_by_primary_control"].as_f64().unwrap();
    // Rows: base, low, high (the control arm withdraws standard therapy too).
    assert!(
        risk(1) < risk(0) && risk(0) < risk(2),
        "{} {} {}",
        risk(1),
        risk(0),
        risk(2)
    );
    let svg = std::fs::read_to_string(
        out.path()
            .join("reference_sle_ancova_30_flares/tornado_flare.svg"),
    )
    .unwrap();
    assert!(svg.contains("flare risk"));
}

#[test]
fn review_cases_effect_from_allocation_and_the_widest_swing() {
    let dir = tempfile::tempdir().unwrap();
    // effect.mean can be varied in a file whose effect comes from a row.
    let text = std::fs::read_to_string("scenarios/seed_series_sledai_from_rct.toml").unwrap();
    let path = dir.path().join("from.toml");
    std::fs::write(
        &path,
        format!("{text}\n[sensitivity]\n\"effect.mean\" = [-1.0]\n"),
    )
    .unwrap();
    let out = tempfile::tempdir().unwrap();
    let output = sensitivity(&path, &["--quiet", "--replicates", "500"], out.path());
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    // A changed allocation draws its own streams and says so.
    let path = with_table(dir.path(), "\"design.allocation\" = [2.0]");
    let output = sensitivity(&path, &["--n", "30", "--replicates", "1000"], out.path());
    assert!(output.status.success());
    assert!(String::from_utf8_lossy(&output.stdout).contains("own streams: arm sizes differ"));
    let rows = rows(&path, &[]);
    assert_eq!(rows[1]["same_streams"], false);
    assert_eq!(rows[0]["same_streams"], true);
    // The widest swing is measured from the base: one value far away wins.
    let path = with_table(
        dir.path(),
        "\"effect.mean\" = [-6.0]\n\"population.change_sd\" = [5.5, 6.5]",
    );
    let output = sensitivity(
        &path,
        &["--quiet", "--report", "--n", "30", "--replicates", "1000"],
        out.path(),
    );
    assert!(output.status.success());
    let html = std::fs::read_to_string(out.path().join("sle_sledai_addon/report.html")).unwrap();
    assert!(
        html.contains("widest swing comes from effect.mean"),
        "widest swing"
    );
}
