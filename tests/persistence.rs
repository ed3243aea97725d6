//! Nothing lost, nothing silent: what `run` and `merge` leave on disk, what
//! they refuse to read back, and Ctrl-C. Each test is named after the
//! defect it pins.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;
use trialsim::state::{Partial, RunState, Sealed};

const SCENARIO: &str = r#"
name = "persist"
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
replicates = 1200
seed = 3
"#;

fn trialsim() -> Command {
    let mut c = Command::cargo_bin("trialsim").unwrap();
    c.timeout(Duration::from_secs(120));
    c
}

/// A scratch folder with the test scenario written in it.
fn setup() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("persist.toml");
    fs::write(&file, SCENARIO).unwrap();
    (dir, file)
}

/// Every entry of a folder, hidden ones included, sorted.
fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    v.sort();
    v
}

/// `summary.json` without the fields that describe the machine.
fn summary_without_timing(dir: &Path) -> Value {
    let mut v: Value =
        serde_json::from_slice(&fs::read(dir.join("summary.json")).unwrap()).unwrap();
    let top = v.as_object_mut().unwrap();
    top.remove("threads");
    top.remove("elapsed_s");
    for r in top["results"].as_array_mut().unwrap() {
        r.as_object_mut().unwrap().remove("seconds");
    }
    v
}

/// Runs shards 1/2 and 2/2 of the scenario into `out`; returns their files.
fn two_shards(file: &Path, out: &Path) -> [PathBuf; 2] {
    for k in ["1/2", "2/2"] {
        trialsim()
            .args(["run", "--quiet", "--shard", k, "--out"])
            .arg(out)
            .arg(file)
            .assert()
            .success();
    }
    let dir = out.join("persist");
    [
        dir.join("partial-1-of-2.json"),
        dir.join("partial-2-of-2.json"),
    ]
}

fn read_partial(path: &Path) -> Partial {
    serde_json::from_slice(&fs::read(path).unwrap()).unwrap()
}

fn write_json<T: serde::Serialize>(path: &Path, value: &T) {
    fs::write(path, serde_json::to_vec(value).unwrap()).unwrap();
}

/// Alters a partial as a careful forger would: the edit, then a fresh
/// content digest, so only the consistency checks can catch it.
fn forge_partial(path: &Path, edit: impl FnOnce(&mut Partial)) {
    let mut p = read_partial(path);
    edit(&mut p);
    write_json(path, &p.sealed());
}

fn forge_state(path: &Path, edit: impl FnOnce(&mut RunState)) {
    let mut s: RunState = serde_json::from_slice(&fs::read(path).unwrap()).unwrap();
    edit(&mut s);
    write_json(path, &s.sealed());
}

/// Runs `file` on one thread for `replicates` replicates into `out`, sends
/// it Ctrl-C after 1.5 s, checks it exits 130, and returns its stderr.
fn interrupt_a_run(out: &Path, file: &Path, replicates: &str) -> String {
    let child = std::process::Command::new(assert_cmd::cargo::cargo_bin("trialsim"))
        .args([
            "run",
            "--quiet",
            "--threads",
            "1",
            "--replicates",
            replicates,
            "--out",
        ])
        .arg(out)
        .arg(file)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let killed = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let interrupted = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&interrupted.stderr).to_string();
    assert_eq!(interrupted.status.code(), Some(130), "{stderr}");
    stderr
}

/// `trialsim merge` of `paths` into a fresh folder: exit 2 with `message`.
fn assert_merge_refuses(paths: &[&Path], message: &str) {
    let out = tempfile::tempdir().unwrap();
    trialsim()
        .args(["merge", "--quiet", "--out"])
        .arg(out.path())
        .args(paths)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(message));
    assert!(
        !out.path().join("persist").exists(),
        "nothing is written on refusal"
    );
}

#[test]
fn merge_refuses_a_partial_missing_a_cell() {
    let (dir, file) = setup();
    let [a, b] = two_shards(&file, dir.path());
    forge_partial(&a, |p| {
        p.cells.pop();
    });
    assert_merge_refuses(&[&a, &b], "holds sample sizes [8]");
}

#[test]
fn merge_refuses_a_partial_with_more_rejections_than_replicates() {
    let (dir, file) = setup();
    let [a, b] = two_shards(&file, dir.path());
    forge_partial(&a, |p| p.cells[0].fixed[0].summary.rejections = 1_000_000);
    assert_merge_refuses(&[&a, &b], "rejections");
}

#[test]
fn merge_refuses_partials_with_a_changed_replicate_count() {
    let (dir, file) = setup();
    let [a, b] = two_shards(&file, dir.path());
    // 1,100 replicates are 5 batches too, the last holding 76, not 176.
    for path in [&a, &b] {
        forge_partial(path, |p| p.provenance.replicates = 1_100);
    }
    assert_merge_refuses(&[&a, &b], "holds 176 replicates where 76 belong");
}

#[test]
fn merge_refuses_a_partial_whose_batches_are_not_its_shards() {
    let (dir, file) = setup();
    let [a, b] = two_shards(&file, dir.path());
    // Shard 1's last batch moved to shard 2: every batch still present once.
    let mut first = read_partial(&a);
    let moved = first.cells[0].fixed.pop().unwrap();
    write_json(&a, &first.sealed());
    forge_partial(&b, |p| p.cells[0].fixed.insert(0, moved));
    assert_merge_refuses(&[&a, &b], "must hold batches");
}

#[test]
fn merge_refuses_a_partial_whose_scenario_text_was_edited() {
    let (dir, file) = setup();
    let [a, b] = two_shards(&file, dir.path());
    for path in [&a, &b] {
        forge_partial(path, |p| {
            p.provenance.scenario_text = p
                .provenance
                .scenario_text
                .replace("mean = -2.5", "mean = -9.5");
        });
    }
    assert_merge_refuses(&[&a, &b], "not the scenario it was computed from");
}

/// Partials whose replicates were drawn by an earlier build (before the
/// intermediate visits had a sub-stream of their own) are not merged with
/// this build's.
#[test]
fn merge_refuses_a_partial_drawn_another_way() {
    let (dir, file) = setup();
    let [a, b] = two_shards(&file, dir.path());
    forge_partial(&a, |p| p.provenance.draws = 1);
    assert_merge_refuses(&[&a, &b], "drawn by an earlier build");
}

#[test]
fn merge_refuses_a_partial_with_a_rewritten_seed() {
    let (dir, file) = setup();
    let [a, b] = two_shards(&file, dir.path());
    for path in [&a, &b] {
        let text = fs::read_to_string(path).unwrap();
        fs::write(path, text.replace("\"seed\":3", "\"seed\":4")).unwrap();
    }
    assert_merge_refuses(&[&a, &b], "altered or corrupted");
    assert_merge_refuses(&[&a, &b], "partial-1-of-2.json");
}

#[test]
fn merge_refuses_shard_numbers_out_of_range() {
    let (dir, file) = setup();
    let [a, b] = two_shards(&file, dir.path());
    forge_partial(&a, |p| p.shard = 3);
    forge_partial(&b, |p| p.shard = 3);
    assert_merge_refuses(&[&a, &b], "cannot exist");
}

#[test]
fn merge_of_a_missing_file_a_png_or_dev_zero_exits_2() {
    let (dir, file) = setup();
    let png = dir.path().join("power.png");
    trialsim()
        .args(["run", "--quiet", "--out"])
        .arg(dir.path().join("o"))
        .arg(&file)
        .assert()
        .success();
    fs::copy(dir.path().join("o/persist/power.png"), &png).unwrap();
    assert_merge_refuses(&[&dir.path().join("none.json")], "none.json");
    assert_merge_refuses(&[&png], "not a trialsim partial summary");
    if Path::new("/dev/zero").exists() {
        assert_merge_refuses(&[Path::new("/dev/zero")], "not a regular file");
    }
}

#[test]
fn a_shard_count_above_the_runs_batches_is_refused() {
    let (dir, file) = setup();
    trialsim()
        .args(["run", "--quiet", "--shard", "1/300000000", "--out"])
        .arg(dir.path())
        .arg(&file)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--shard"));
    // 1,200 replicates are 5 batches of 256: 6 shards cannot all hold one.
    trialsim()
        .args(["run", "--quiet", "--shard", "1/6", "--out"])
        .arg(dir.path())
        .arg(&file)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--shard").and(predicate::str::contains("at most 5")));
    assert!(!dir.path().join("persist").exists());
}

/// A finished run in `out`, and its `state.json`.
fn saved_run(file: &Path, out: &Path, replicates: &str) -> PathBuf {
    trialsim()
        .args(["run", "--quiet", "--replicates", replicates, "--out"])
        .arg(out)
        .arg(file)
        .assert()
        .success();
    out.join("persist/state.json")
}

fn assert_top_up_refuses(file: &Path, out: &Path, message: &str) {
    trialsim()
        .args([
            "run",
            "--quiet",
            "--replicates",
            "2000",
            "--top-up",
            "--out",
        ])
        .arg(out)
        .arg(file)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(message));
}

#[test]
fn top_up_refuses_an_edited_state() {
    let (dir, file) = setup();
    let state = saved_run(&file, dir.path(), "1000");
    let text = fs::read_to_string(&state).unwrap();
    fs::write(
        &state,
        text.replacen("\"rejections\":", "\"rejections\":1", 1),
    )
    .unwrap();
    assert_top_up_refuses(&file, dir.path(), "altered or corrupted");
}

#[test]
fn top_up_refuses_a_state_whose_batch_counts_disagree() {
    let (dir, file) = setup();
    let state = saved_run(&file, dir.path(), "1000");
    forge_state(&state, |s| s.cells[1].0.batches += 1);
    assert_top_up_refuses(&file, dir.path(), "complete batches saved");
}

#[test]
fn top_up_refuses_a_state_with_more_rejections_than_replicates() {
    let (dir, file) = setup();
    let state = saved_run(&file, dir.path(), "1000");
    forge_state(&state, |s| s.cells[0].0.summary.rejections = 10_000);
    assert_top_up_refuses(&file, dir.path(), "rejections");
}

#[test]
fn top_up_refuses_a_state_whose_scenario_text_was_edited() {
    let (dir, file) = setup();
    let state = saved_run(&file, dir.path(), "1000");
    forge_state(&state, |s| {
        s.provenance.scenario_text = s
            .provenance
            .scenario_text
            .replace("change_sd = 6", "change_sd = 7");
    });
    assert_top_up_refuses(&file, dir.path(), "not the scenario it was computed from");
}

/// A state saved before its provenance said how the replicates were drawn
/// (the field absent, as every earlier build wrote it) is not topped up by
/// this build, whose draws differ.
#[test]
fn top_up_refuses_a_state_saved_before_the_draws_changed() {
    let (dir, file) = setup();
    let state = saved_run(&file, dir.path(), "1000");
    let text = fs::read_to_string(&state).unwrap();
    let old = text.replacen(",\"draws\":2", "", 1);
    assert_ne!(old, text, "the state records its draws");
    let s: RunState = serde_json::from_str(&old).unwrap();
    assert_eq!(s.provenance.draws, 1);
    write_json(&state, &s.sealed());
    assert_top_up_refuses(&file, dir.path(), "drawn by an earlier build");
}

#[test]
fn two_files_with_one_name_are_refused_before_simulating() {
    let (dir, file) = setup();
    let other = dir.path().join("other.toml");
    fs::write(&other, SCENARIO.replace("seed = 3", "seed = 4")).unwrap();
    trialsim()
        .args(["run", "--quiet", "--out"])
        .arg(dir.path().join("o"))
        .arg(&file)
        .arg(&other)
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("persist.toml")
                .and(predicate::str::contains("other.toml"))
                .and(predicate::str::contains("`name`")),
        );
    assert!(!dir.path().join("o").exists());
}

#[test]
fn an_unwritable_out_is_refused_before_simulating() {
    let (dir, file) = setup();
    // A folder under a plain file cannot be created, even by root.
    let blocked = dir.path().join("plain-file");
    fs::write(&blocked, "x").unwrap();
    let out = blocked.join("results");
    for args in [
        vec!["run", "--quiet"],
        vec!["run", "--quiet", "--shard", "1/2"],
    ] {
        trialsim()
            .args(args)
            .arg("--out")
            .arg(&out)
            .arg(&file)
            .assert()
            .code(2)
            .stderr(
                predicate::str::contains("plain-file/results")
                    .and(predicate::str::contains("--out")),
            );
    }
}

#[cfg(unix)]
#[test]
fn a_symlinked_scenario_folder_is_refused_not_written_through() {
    let (dir, file) = setup();
    let elsewhere = dir.path().join("elsewhere");
    fs::create_dir(&elsewhere).unwrap();
    fs::write(elsewhere.join("summary.csv"), "precious").unwrap();
    let out = dir.path().join("o");
    fs::create_dir(&out).unwrap();
    std::os::unix::fs::symlink(&elsewhere, out.join("persist")).unwrap();
    for args in [
        vec!["run", "--quiet"],
        vec!["run", "--quiet", "--shard", "1/2"],
    ] {
        trialsim()
            .args(args)
            .arg("--out")
            .arg(&out)
            .arg(&file)
            .assert()
            .code(2)
            .stderr(predicate::str::contains("symbolic link"));
    }
    assert_eq!(entries(&elsewhere), ["summary.csv"]);
    assert_eq!(
        fs::read_to_string(elsewhere.join("summary.csv")).unwrap(),
        "precious"
    );
    assert_eq!(entries(&out), ["persist"]);
}

#[test]
fn a_run_that_cannot_replace_its_folder_leaves_it_whole_and_no_temp_files() {
    let (dir, file) = setup();
    let out = dir.path().join("o");
    saved_run(&file, &out, "1000");
    let before = entries(&out.join("persist"));
    let summary = fs::read(out.join("persist/summary.json")).unwrap();
    // A folder inside cannot be carried into the new one: the run fails.
    fs::create_dir(out.join("persist/notes")).unwrap();
    trialsim()
        .args(["run", "--quiet", "--replicates", "500", "--out"])
        .arg(&out)
        .arg(&file)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("notes"));
    let mut expected = before;
    expected.push("notes".into());
    expected.sort();
    assert_eq!(entries(&out.join("persist")), expected);
    assert_eq!(fs::read(out.join("persist/summary.json")).unwrap(), summary);
    assert_eq!(entries(&out), ["persist"], "no temporary folder is left");
}

#[test]
fn a_rerun_replaces_the_folder_as_a_whole_and_keeps_shard_partials() {
    let (dir, file) = setup();
    let out = dir.path().join("o");
    two_shards(&file, &out);
    saved_run(&file, &out, "1000");
    fs::write(out.join("persist/flare.png"), "a chart of an earlier run").unwrap();
    saved_run(&file, &out, "500");
    assert_eq!(
        entries(&out.join("persist")),
        [
            "partial-1-of-2.json",
            "partial-2-of-2.json",
            "power.png",
            "power.svg",
            "state.json",
            "summary.csv",
            "summary.json"
        ]
    );
    assert_eq!(entries(&out), ["persist"]);
}

#[cfg(unix)]
#[test]
fn ctrl_c_saves_complete_batches_and_top_up_continues_bit_for_bit() {
    const REPLICATES: &str = "3000000";
    let (dir, file) = setup();
    let one = dir.path().join("one");
    trialsim()
        .args(["run", "--quiet", "--replicates", REPLICATES, "--out"])
        .arg(&one)
        .arg(&file)
        .assert()
        .success();

    let out = dir.path().join("cut");
    let stderr = interrupt_a_run(&out, &file, REPLICATES);
    assert!(
        stderr.contains("interrupted:") && stderr.contains("rerun with --top-up to continue"),
        "{stderr}"
    );
    let saved: u64 = stderr
        .split("interrupted: ")
        .nth(1)
        .and_then(|t| t.split(' ').next())
        .and_then(|n| n.parse().ok())
        .expect("the message says how many replicates were saved");
    assert!(saved > 0 && saved < 2 * 3_000_000, "{stderr}");
    // Only the state: no summary of a run that did not finish.
    assert_eq!(entries(&out.join("persist")), ["state.json"]);

    trialsim()
        .args([
            "run",
            "--quiet",
            "--top-up",
            "--replicates",
            REPLICATES,
            "--out",
        ])
        .arg(&out)
        .arg(&file)
        .assert()
        .success();
    assert_eq!(
        summary_without_timing(&out.join("persist")),
        summary_without_timing(&one.join("persist"))
    );
}

#[test]
fn ctrl_c_during_a_rerun_keeps_the_earlier_finished_run() {
    // An interrupted rerun (not a top-up) used to replace the finished
    // run's summary and pictures with a bare, incomplete state.
    let (dir, file) = setup();
    let out = dir.path().join("out");
    trialsim()
        .args(["run", "--quiet", "--out"])
        .arg(&out)
        .arg(&file)
        .assert()
        .success();
    let before = entries(&out.join("persist"));
    let summary = fs::read(out.join("persist/summary.json")).unwrap();
    let stderr = interrupt_a_run(&out, &file, "3000000");
    assert!(stderr.contains("earlier finished run"), "{stderr}");
    assert_eq!(entries(&out.join("persist")), before);
    assert_eq!(fs::read(out.join("persist/summary.json")).unwrap(), summary);
}

#[test]
fn merge_refuses_counts_that_wrap_around() {
    // failures near 2^64 made `analyses + failures` wrap to a small number.
    let (dir, file) = setup();
    let [a, b] = two_shards(&file, dir.path());
    forge_partial(&a, |p| {
        let s = &mut p.cells[0].fixed[0].summary;
        s.failures = u64::MAX - 255;
        s.failure_reasons.too_few_patients = u64::MAX - 255;
    });
    assert_merge_refuses(&[&a, &b], "the file cannot come from this run");
}

#[test]
fn merge_refuses_forged_flare_counts() {
    // Flare-free figures were never checked: an edited count reported a
    // flare-free share of -8332.
    let text = format!(
        "{SCENARIO}[standard_therapy]\npolicy = \"withdraw\"\nflare_hazard_on = 0.01\nflare_hazard_off = 0.03\nsource = \"test\"\n"
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("persist.toml");
    fs::write(&file, text).unwrap();
    let [a, b] = two_shards(&file, dir.path());
    let original = fs::read(&a).unwrap();
    for edit in [
        |p: &mut Partial| {
            let f = p.cells[0].fixed[0].summary.flares.as_mut().unwrap();
            f.msc.flared_by_week[1] = f.msc.patients + 1;
        },
        |p: &mut Partial| {
            let f = p.cells[0].fixed[0].summary.flares.as_mut().unwrap();
            f.control.patients = 0;
        },
    ] {
        fs::write(&a, &original).unwrap();
        forge_partial(&a, edit);
        assert_merge_refuses(&[&a, &b], "flares.");
    }
}
