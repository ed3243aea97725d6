//! `run --report`: report.html is one well-formed, self-contained file with
//! every section, table row and plot of the run.

mod common;

use std::collections::HashMap;

use common::{succeeds, trialsim};

/// Open minus close tags per element name (void elements skipped).
fn unbalanced(html: &str) -> HashMap<String, i64> {
    let mut count: HashMap<String, i64> = HashMap::new();
    let mut rest = html;
    while let Some(i) = rest.find('<') {
        rest = &rest[i + 1..];
        let end = rest.find('>').expect("every tag closes");
        let tag = &rest[..end];
        rest = &rest[end..];
        if tag.starts_with('!') || tag.starts_with('?') {
            continue;
        }
        let (closing, body) = match tag.strip_prefix('/') {
            Some(b) => (true, b),
            None => (false, tag),
        };
        let name: String = body
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_lowercase();
        if name.is_empty() || name == "meta" || tag.ends_with('/') {
            continue;
        }
        *count.entry(name).or_default() += if closing { -1 } else { 1 };
    }
    count.retain(|_, v| *v != 0);
    count
}

fn run(file: &str, report: bool) -> (tempfile::TempDir, String) {
    let out = tempfile::tempdir().unwrap();
    let mut cmd = trialsim();
    cmd.args(["run", file, "--quiet", "--replicates", "512", "--out"])
        .arg(out.path());
    if report {
        cmd.arg("--report");
    }
    let output = cmd.output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let name = std::path::Path::new(file)
        .file_stem()
        .unwrap()
        .to_string_lossy()
        .to_string();
    (out, name)
}

/// Every shipped scenario's report.
#[test]
fn the_report_is_well_formed_and_complete() {
    let mut files: Vec<String> = std::fs::read_dir("scenarios")
        .unwrap()
        .map(|e| e.unwrap().path().to_string_lossy().to_string())
        .filter(|p| p.ends_with(".toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 17);
    for file in files.iter().map(String::as_str) {
        let (out, name) = run(file, true);
        let dir = out.path().join(&name);
        let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert_eq!(unbalanced(&html), HashMap::new(), "{file}: unbalanced tags");
        for section in [
            "answer",
            "aims",
            "mechanism",
            "estimand",
            "methods",
            "measures",
            "results",
            "sources",
            "limitations",
            "reproduce",
        ] {
            assert!(
                html.contains(&format!("<h2 id=\"{section}\">")),
                "{file}: no {section}"
            );
        }
        // Self-contained: no script, nothing fetched.
        assert!(!html.contains("<script"));
        assert!(!html.contains("src=\"http") && !html.contains("href=\"http"));
        // Every plot the run drew is inline.
        let svgs = ["power.svg", "flare.svg", "km.svg", "estimand_bias.svg"]
            .iter()
            .filter(|f| dir.join(f).exists())
            .count();
        assert_eq!(html.matches("<svg").count(), svgs, "{file}");
        // One results row per sample size.
        let summary: serde_json::Value =
            serde_json::from_slice(&std::fs::read(dir.join("summary.json")).unwrap()).unwrap();
        let cells = summary["results"].as_array().unwrap().len();
        let results = &html[html.find("id=\"results\"").unwrap()..];
        let first_table = &results[..results.find("</table>").unwrap()];
        assert_eq!(first_table.matches("<tr>").count(), cells + 1, "{file}");
        // The scenario verbatim (escaped) and every evidence row cited.
        let text = std::fs::read_to_string(file).unwrap();
        let line = text
            .lines()
            .find(|l| l.starts_with("# ") && !l.contains(['&', '<', '>', '"']))
            .unwrap();
        assert!(html.contains(line), "{file}: scenario text missing");
        for row in summary["evidence_used"].as_array().unwrap() {
            assert!(html.contains(row["id"].as_str().unwrap()));
        }
        assert!(html.contains("seed") && html.contains("--report"));
    }
}

#[test]
fn without_report_no_html_is_written() {
    let (out, name) = run("scenarios/sle_sledai_addon.toml", false);
    assert!(!out.path().join(name).join("report.html").exists());
}

/// `design --report` and `sensitivity --report` write the same kind of page.
#[test]
fn design_and_sensitivity_reports_are_well_formed_and_complete() {
    let out = tempfile::tempdir().unwrap();
    for (args, name, svgs) in [
        (
            vec![
                "design",
                "scenarios/textbook_continuous.toml",
                "--target-power",
                "0.8",
                "--n-range",
                "40..80",
            ],
            "textbook_continuous",
            1,
        ),
        (
            vec![
                "sensitivity",
                "scenarios/sle_sledai_addon.toml",
                "--n",
                "20",
                "--replicates",
                "1000",
            ],
            "sle_sledai_addon",
            2,
        ),
    ] {
        succeeds(
            trialsim()
                .args(&args)
                .args(["--quiet", "--report", "--out"])
                .arg(out.path()),
        );
        let html = std::fs::read_to_string(out.path().join(name).join("report.html")).unwrap();
        assert_eq!(unbalanced(&html), HashMap::new(), "{args:?}");
        for section in [
            "answer",
            "aims",
            "mechanism",
            "methods",
            "measures",
            "results",
            "sources",
            "limitations",
            "reproduce",
        ] {
            assert!(
                html.contains(&format!("<h2 id=\"{section}\">")),
                "{args:?}: no {section}"
            );
        }
        assert_eq!(html.matches("<svg").count(), svgs, "{args:?}");
        assert!(html.contains("<table>") && !html.contains("<script"));
        let text = std::fs::read_to_string(args[1]).unwrap();
        let line = text
            .lines()
            .find(|l| l.starts_with("# ") && !l.contains(['&', '<', '>', '"']))
            .unwrap();
        assert!(html.contains(line), "{args:?}: scenario text missing");
        assert!(
            html.contains(&format!("trialsim {} ", args[0])),
            "{args:?}: no reproducing command"
        );
    }
}

/// The answer's sample size is chosen by n, whatever the file's order.
#[test]
fn the_answer_takes_the_largest_n_when_none_reaches_the_target() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string("scenarios/sle_sledai_addon.toml")
        .unwrap()
        .replace(
            "n_per_arm = [10, 15, 20, 30, 40, 60, 80]",
            "n_per_arm = [60, 20, 40]",
        );
    let path = dir.path().join("sle_sledai_addon.toml");
    std::fs::write(&path, text).unwrap();
    let output = trialsim()
        .args(["run", "--quiet", "--report", "--replicates", "512", "--out"])
        .arg(dir.path())
        .arg(&path)
        .output()
        .unwrap();
    assert!(output.status.success());
    let html = std::fs::read_to_string(dir.path().join("sle_sledai_addon/report.html")).unwrap();
    assert!(
        html.contains("With 60 children randomised to MSC"),
        "answer picks n = 60"
    );
}
