//! `trialsim replay`: one trial of a run, patient by patient (issue 13,
//! item 5). Its printed result must be what the run counted for that
//! replicate, and its CSV must hold what the analysis read.

mod common;

use std::fs;
use std::path::Path;

use common::{succeeds, trialsim};
use serde_json::Value;
use trialsim::analysis::Alternative;
use trialsim::analysis::ancova::ancova;
use trialsim::design::stream::EffectMode;
use trialsim::engine::Cell;
use trialsim::scenario;

/// Replays `file` at `n`, replicate `r`, into `out`; returns the JSON printed.
fn replay(file: &str, n: usize, r: u64, out: &Path) -> Value {
    let output = succeeds(
        trialsim()
            .args([
                "replay",
                file,
                "--json",
                "--n",
                &n.to_string(),
                "--replicate",
                &r.to_string(),
            ])
            .arg("--out")
            .arg(out),
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn replay_prints_what_the_run_counted_for_that_replicate() {
    let out = tempfile::tempdir().unwrap();
    // Plain, intercurrent events with treatment policy, and the hypothetical
    // strategy with its imputations (which draw from the replicate's stream).
    for file in [
        "scenarios/sle_sledai_addon.toml",
        "scenarios/jia_mtx_withdrawal.toml",
        "scenarios/jia_ia_steroid_after_msc.toml",
        // Time to flare (parallel and randomized withdrawal), and dropout
        // with a score endpoint (complete cases).
        "scenarios/sle_time_to_flare.toml",
        "scenarios/jia_randomized_withdrawal.toml",
        "scenarios/jia_withdrawal_dropout.toml",
        // Replay walks the intermediate visits' path, a run skips it (and
        // JADAS-27 parts and pooled strata draw along the way).
        "scenarios/jia_jadas27.toml",
        "scenarios/pooled_three_diseases.toml",
    ] {
        let s = scenario::load(Path::new(file)).unwrap();
        let n = s.design.n_per_arm[0];
        let cell = Cell::new(&s, n);
        let mut work = cell.workspace();
        for r in [0u64, 7, 300] {
            let json = replay(file, n, r, out.path());
            // The replicate as the run folds it: alone in a fresh summary.
            let mut summary = cell.new_summary();
            cell.replicate(s.simulation.seed, r, &mut work, &mut summary);
            let result = &json["result"];
            assert_eq!(summary.truth.mean, json["msc_own_effect"].as_f64().unwrap());
            assert_eq!(
                summary.estimand_truth.mean,
                json["estimand_value"].as_f64().unwrap()
            );
            match result["estimate"].as_f64() {
                Some(e) => {
                    assert_eq!(summary.estimate.mean, e, "{file} r {r}");
                    assert_eq!(
                        summary.rejections,
                        u64::from(result["rejects"].as_bool().unwrap())
                    );
                    let theta = json["estimand_value"].as_f64().unwrap();
                    let (lo, hi) = (
                        result["ci_low"].as_f64().unwrap(),
                        result["ci_high"].as_f64().unwrap(),
                    );
                    assert_eq!(summary.covered, u64::from(lo <= theta && theta <= hi));
                }
                None => assert_eq!(summary.failures, 1, "{file} r {r}"),
            }
        }
    }
}

/// Replay draws every intermediate visit (from the visits' own random
/// sub-stream), a run draws none where nothing reads them: for every
/// shipped scenario, sample size and effect pass, the analysis, truths and
/// estimands of a replicate, and every child's baseline and primary value,
/// are the same bit for bit either way.
#[test]
fn drawing_every_visit_changes_no_replicate_of_any_scenario() {
    let mut files: Vec<_> = fs::read_dir("scenarios")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 30);
    for file in &files {
        let s = scenario::load(file).unwrap();
        for &n in &s.design.n_per_arm {
            let run = Cell::new(&s, n);
            let mut replayed = Cell::new(&s, n);
            replayed.trial.record_every_visit();
            let (mut a, mut b) = (run.workspace(), replayed.workspace());
            for mode in [EffectMode::Fixed, EffectMode::Prior] {
                for r in 0..12 {
                    let x = run.analyse_replicate(mode, s.simulation.seed, r, &mut a);
                    let y = replayed.analyse_replicate(mode, s.simulation.seed, r, &mut b);
                    let at = format!("{} n {n} {mode:?} r {r}", file.display());
                    assert_eq!(format!("{x:?}"), format!("{y:?}"), "{at}");
                    for (p, q) in [
                        (a.cohort.msc.view(), b.cohort.msc.view()),
                        (a.cohort.control.view(), b.cohort.control.view()),
                    ] {
                        assert_eq!(format!("{p:?}"), format!("{q:?}"), "{at}");
                    }
                }
            }
        }
    }
}

#[test]
fn replay_csv_holds_what_the_analysis_read() {
    let out = tempfile::tempdir().unwrap();
    let json = replay("scenarios/sle_sledai_addon.toml", 30, 11, out.path());
    let csv = fs::read_to_string(out.path().join("sle_sledai_addon/replay-n30-r11.csv")).unwrap();
    let mut rows = csv.lines();
    let header: Vec<&str> = rows.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| h.starts_with(name)).unwrap();
    let (arm, baseline, primary) = (col("arm"), col("baseline"), col("week_24_primary"));
    let mut data = [(Vec::new(), Vec::new()), (Vec::new(), Vec::new())];
    for line in rows {
        let f: Vec<&str> = line.split(',').collect();
        let a = usize::from(f[arm] == "control");
        data[a].0.push(f[baseline].parse::<f64>().unwrap());
        data[a].1.push(f[primary].parse::<f64>().unwrap());
    }
    assert_eq!((data[0].0.len(), data[1].0.len()), (30, 30));
    let [(b1, y1), (b0, y0)] = &data;
    let by_hand = ancova(b1, y1, b0, y0, Alternative::TwoSided).unwrap();
    assert_eq!(
        by_hand.estimate,
        json["result"]["estimate"].as_f64().unwrap()
    );
    assert_eq!(
        by_hand.p_value(),
        json["result"]["p_value"].as_f64().unwrap()
    );
}

/// Runs skip recording the intermediate visits of children without
/// intercurrent events (nothing in a run reads them); replay still shows
/// every visit, each on the scale's resolution.
#[test]
fn replay_shows_intermediate_visits_that_runs_skip() {
    let out = tempfile::tempdir().unwrap();
    replay("scenarios/jia_jadas27.toml", 20, 3, out.path());
    let csv = fs::read_to_string(out.path().join("jia_jadas27/replay-n20-r3.csv")).unwrap();
    let mut rows = csv.lines();
    let header: Vec<&str> = rows.next().unwrap().split(',').collect();
    let week_4 = header.iter().position(|h| *h == "week_4").unwrap();
    let week_12 = header.iter().position(|h| *h == "week_12").unwrap();
    let mut seen = 0;
    for line in rows {
        let f: Vec<&str> = line.split(',').collect();
        for k in [week_4, week_12] {
            let v: f64 = f[k].parse().unwrap();
            assert!((0.0..=57.0).contains(&v) && (v * 10.0 - (v * 10.0).round()).abs() < 1e-6);
            seen += 1;
        }
    }
    assert_eq!(seen, 80);
}

#[test]
fn replay_refuses_a_sample_size_or_replicate_the_run_did_not_have() {
    let out = tempfile::tempdir().unwrap();
    for (n, r, flag) in [("31", "0", "--n"), ("30", "10000", "--replicate")] {
        let output = trialsim()
            .args([
                "replay",
                "scenarios/sle_sledai_addon.toml",
                "--n",
                n,
                "--replicate",
                r,
            ])
            .arg("--out")
            .arg(out.path())
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&output.stderr).contains(flag));
    }
}

#[test]
fn a_time_to_flare_trial_with_several_visits_replays_with_its_follow_up() {
    // Time-to-flare children have no intermediate visits recorded: their
    // cells are empty, and the analysed time and status are in the CSV.
    let out = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string("scenarios/sle_time_to_flare.toml")
        .unwrap()
        .replace("visits_weeks = [52]", "visits_weeks = [26, 52]");
    let file = out.path().join("tte.toml");
    std::fs::write(&file, text).unwrap();
    let json = replay(file.to_str().unwrap(), 40, 3, out.path());
    assert!(json["result"]["estimate"].as_f64().is_some(), "{json}");
    let csv = std::fs::read_dir(out.path())
        .unwrap()
        .flat_map(|e| walk(&e.unwrap().path()))
        .find(|p| p.extension().is_some_and(|x| x == "csv"))
        .expect("replay writes the patients' CSV");
    let text = std::fs::read_to_string(csv).unwrap();
    let header = text.lines().next().unwrap();
    assert!(
        header.contains("week_26") && header.contains("time_weeks,flare,dropout_week"),
        "{header}"
    );
    assert_eq!(text.lines().count(), 81);
}

fn walk(p: &Path) -> Vec<std::path::PathBuf> {
    if p.is_dir() {
        std::fs::read_dir(p)
            .unwrap()
            .flat_map(|e| walk(&e.unwrap().path()))
            .collect()
    } else {
        vec![p.to_path_buf()]
    }
}
