//! The charts a reviewer reads, checked through their SVG text: axis labels,
//! captions, bands, markers, grid and legend marks (issue 9). Each test is
//! named after the defect it pins and fails on the picture before the fix.

use std::path::Path;

use trialsim::engine;
use trialsim::plot::estimand_bias::EstimandBiasPlot;
use trialsim::plot::power::PowerPlot;
use trialsim::plot::scaling::ScalingPlot;
use trialsim::plot::{Format, Plot, render};
use trialsim::report::RunReport;
use trialsim::report::bench::{BenchReport, BenchRow};
use trialsim::scenario::{self, Overrides, Scenario};

/// The report of a shipped scenario run with few replicates.
fn report_of(file: &str) -> RunReport {
    let path = Path::new("scenarios").join(file);
    let s = scenario::load_with(&path, &small()).expect("shipped scenario loads");
    report(&s)
}

fn small() -> Overrides {
    Overrides {
        replicates: Some(200),
        seed: None,
    }
}

fn report(s: &Scenario) -> RunReport {
    let runs = engine::run_scenario(s, &|_| {});
    RunReport::new(s, &runs, 1, 0.0)
}

fn svg(plot: &impl Plot) -> String {
    String::from_utf8(render("test.svg", plot, Format::Svg).unwrap()).unwrap()
}

/// One `<text>` element: its attributes and its content, trimmed.
struct SvgText {
    attributes: String,
    content: String,
}

fn texts(svg: &str) -> Vec<SvgText> {
    svg.split("<text ")
        .skip(1)
        .map(|rest| {
            let (attributes, tail) = rest.split_once('>').unwrap();
            let content = tail.split_once("</text>").unwrap().0.trim().to_string();
            SvgText {
                attributes: attributes.to_string(),
                content,
            }
        })
        .collect()
}

/// The x axis tick labels: centred under their tick, hanging below it, not
/// the bold title.
fn x_tick_labels(svg: &str) -> Vec<String> {
    texts(svg)
        .into_iter()
        .filter(|t| {
            t.attributes.contains("text-anchor=\"middle\"")
                && t.attributes.contains("dy=\"0.76em\"")
                && !t.attributes.contains("font-weight=\"bold\"")
                && !t.attributes.contains("transform=")
        })
        .map(|t| t.content)
        .collect()
}

/// The points of every polyline stroked in `colour` (`#RRGGBB`).
fn polylines(svg: &str, colour: &str) -> Vec<Vec<(f64, f64)>> {
    svg.split("<polyline ")
        .skip(1)
        .filter(|p| p.contains(&format!("stroke=\"{colour}\"")))
        .map(|p| {
            let points = p
                .split("points=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap();
            points
                .split_whitespace()
                .map(|xy| {
                    let (x, y) = xy.split_once(',').unwrap();
                    (x.parse().unwrap(), y.parse().unwrap())
                })
                .collect()
        })
        .collect()
}

fn all_text(svg: &str) -> String {
    texts(svg)
        .into_iter()
        .map(|t| t.content)
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn power_axis_with_one_sample_size_labels_it_once() {
    let r = report_of("reference_sle_ancova_30.toml");
    assert_eq!(x_tick_labels(&svg(&PowerPlot(&r))), ["30"]);
}

#[test]
fn power_axis_labels_each_sample_size_and_nothing_between() {
    let r = report_of("sle_sledai_addon.toml");
    assert_eq!(
        x_tick_labels(&svg(&PowerPlot(&r))),
        ["10", "15", "20", "30", "40", "60", "80"]
    );
}

#[test]
fn scaling_axis_has_only_the_measured_thread_counts() {
    let row = |threads: usize, speedup: f64| BenchRow {
        threads,
        trials_per_second: 1000.0 * speedup,
        seconds: 1.0,
        speedup,
        efficiency: speedup / threads as f64,
    };
    let bench = BenchReport {
        workload: "test".to_string(),
        cpus: 4,
        replicates: 100,
        repeats: 1,
        random_numbers_only_trials_per_second: 2000.0,
        cost_over_random_numbers: 2.0,
        rows: vec![row(1, 1.0), row(2, 1.9), row(4, 3.5)],
    };
    assert_eq!(x_tick_labels(&svg(&ScalingPlot(&bench))), ["1", "2", "4"]);
}

#[test]
fn estimand_bias_says_its_whiskers_are_1_96_monte_carlo_se() {
    let r = report_of("jia_mtx_withdrawal.toml");
    let text = all_text(&svg(&EstimandBiasPlot::of(&r).unwrap()));
    assert!(text.contains("±1.96 Monte Carlo SE"), "{text}");
}

#[test]
fn no_dense_minor_grid() {
    let r = report_of("jia_mtx_withdrawal.toml");
    for (name, picture) in [
        ("power", svg(&PowerPlot(&r))),
        ("estimand_bias", svg(&EstimandBiasPlot::of(&r).unwrap())),
    ] {
        let lines = picture.matches("<line ").count();
        assert!(lines <= 40, "{name}: {lines} grid lines");
    }
}

#[test]
fn dashed_reference_lines_have_dashed_legend_marks() {
    // Every stretch of the 80% (red) and 90% (green) lines, legend included,
    // is one dash: no solid 20-pixel legend sample.
    let r = report_of("sle_sledai_addon.toml");
    let picture = svg(&PowerPlot(&r));
    for colour in ["#FF0000", "#00FF00"] {
        let lines = polylines(&picture, colour);
        assert!(lines.len() > 10, "{colour}: {} pieces", lines.len());
        for line in lines {
            let xs = line.iter().map(|p| p.0);
            let span = xs.clone().fold(f64::MIN, f64::max) - xs.fold(f64::MAX, f64::min);
            assert!(span <= 8.0, "{colour}: a solid stretch of {span} px");
        }
    }
}
