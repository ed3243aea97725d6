//! The charts a reviewer reads, checked through their SVG text: axis labels,
//! captions, bands, markers, grid and legend marks (issue 9). Each test is
//! named after the defect it pins and fails on the picture before the fix.

use std::path::Path;

use trialsim::engine;
use trialsim::export::render_all;
use trialsim::plot::estimand_bias::EstimandBiasPlot;
use trialsim::plot::flare::FlarePlot;
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

/// The report of a shipped scenario with `from` replaced by `to` in its text.
fn report_of_edited(file: &str, from: &str, to: &str) -> RunReport {
    let path = Path::new("scenarios").join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{file} has no {from:?}");
    let s = scenario::parse_with(&path, &text.replace(from, to), &small()).unwrap();
    report(&s)
}

fn small() -> Overrides {
    Overrides {
        replicates: Some(200),
        seed: None,
        n_per_arm: None,
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

fn attribute(attributes: &str, name: &str) -> Option<f64> {
    let start = attributes.find(&format!(" {name}=\""))? + name.len() + 3;
    attributes[start..].split('"').next()?.parse().ok()
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
        workloads: Vec::new(),
    };
    assert_eq!(x_tick_labels(&svg(&ScalingPlot(&bench))), ["1", "2", "4"]);
}

#[test]
fn flare_plot_draws_a_monte_carlo_band_around_each_arm() {
    let r = report_of("jia_mtx_withdrawal.toml");
    let picture = svg(&FlarePlot::of(&r).unwrap());
    let bands = |fill: &str| {
        picture
            .split("<polygon ")
            .skip(1)
            .filter(|p| p.contains(&format!("fill=\"{fill}\"")))
            .count()
    };
    assert_eq!(bands("#0000FF"), 1, "MSC band");
    assert_eq!(bands("#DC6E00"), 1, "control band");
    assert!(all_text(&picture).contains("±1.96 Monte Carlo SE"));
}

#[test]
fn flare_axis_is_true_for_the_control_arm() {
    let r = report_of("jia_mtx_withdrawal.toml");
    let text = all_text(&svg(&FlarePlot::of(&r).unwrap()));
    assert!(!text.contains("after the first MSC infusion"), "{text}");
    assert!(text.contains("weeks since baseline"), "{text}");
}

#[test]
fn flare_plot_marks_the_primary_visit_and_the_end_of_the_taper() {
    let r = report_of("jia_mtx_withdrawal.toml");
    let text = all_text(&svg(&FlarePlot::of(&r).unwrap()));
    assert!(text.contains("primary visit, week 24"), "{text}");
    assert!(text.contains("taper ends, week 4"), "{text}");

    let r = report_of("sle_hcq_withdrawal.toml");
    let text = all_text(&svg(&FlarePlot::of(&r).unwrap()));
    assert!(
        text.contains("withdrawal (MSC arm) at week 0, no taper"),
        "{text}"
    );
    assert!(!text.contains("taper ends"), "{text}");

    // Withdrawal from week 12: the taper's start is marked too.
    let r = report_of_edited(
        "jia_mtx_withdrawal.toml",
        "taper_weeks = 4",
        "taper_weeks = 4\nwithdraw_week = 12",
    );
    let text = all_text(&svg(&FlarePlot::of(&r).unwrap()));
    assert!(text.contains("taper starts, week 12"), "{text}");
    assert!(text.contains("taper ends, week 16"), "{text}");
}

#[test]
fn flare_marker_labels_close_together_take_separate_rows() {
    let r = report_of_edited(
        "jia_mtx_withdrawal.toml",
        "taper_weeks = 4",
        "taper_weeks = 22",
    );
    let picture = svg(&FlarePlot::of(&r).unwrap());
    let row = |label: &str| {
        let t = texts(&picture)
            .into_iter()
            .find(|t| t.content.contains(label))
            .unwrap_or_else(|| panic!("no {label:?}"));
        attribute(&t.attributes, "y").unwrap()
    };
    assert_ne!(row("taper ends, week 22"), row("primary visit, week 24"));
}

#[test]
fn no_flare_files_when_nothing_can_flare() {
    // Intercurrent events (a concomitant therapy) but no flare hazard.
    let r = report_of("mctd_tocilizumab_coadmin.toml");
    assert!(!r.flares_possible);
    let names: Vec<&str> = render_all(&r)
        .unwrap()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert!(!names.iter().any(|n| n.starts_with("flare")), "{names:?}");
    assert!(names.contains(&"estimand_bias.png"), "{names:?}");
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
        ("flare", svg(&FlarePlot::of(&r).unwrap())),
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

/// The y-axis tick labels of a chart (right-aligned, left of the plot).
fn y_tick_values(svg: &str) -> Vec<f64> {
    texts(svg)
        .into_iter()
        .filter(|t| t.attributes.contains("text-anchor=\"end\""))
        .filter_map(|t| t.content.parse::<f64>().ok())
        .collect()
}

#[test]
fn estimand_bias_axis_survives_an_undefined_monte_carlo_se() {
    // One replicate: every SE is undefined (NaN); the axis used to collapse
    // to ±0.001 with bars near -1 clipped at its edge.
    let path = Path::new("scenarios/jia_mtx_withdrawal.toml");
    let one = Overrides {
        replicates: Some(1),
        seed: None,
        n_per_arm: None,
    };
    let s = scenario::load_with(path, &one).unwrap();
    let r = report(&s);
    let bias = r
        .results
        .last()
        .unwrap()
        .estimands
        .bias_by_estimand
        .clone()
        .unwrap();
    let largest = bias.values().fold(0.0f64, |m, b| m.max(b.abs()));
    let picture = svg(&EstimandBiasPlot::of(&r).unwrap());
    let top = y_tick_values(&picture).into_iter().fold(0.0f64, f64::max);
    assert!(
        top >= largest * 0.5,
        "axis top {top} for bars up to {largest}"
    );
}

#[test]
fn flare_axis_labels_are_readable_weeks_and_markers_past_follow_up_are_left_out() {
    // One week of follow-up: the axis steps by 0.1 and printed float noise
    // (0.30000000000000004); an 8-week taper drew its marker at week 1.
    let r = report_of_edited(
        "jia_mtx_withdrawal.toml",
        "visits_weeks = [4, 12, 24]\nfollow_up_weeks = 52",
        "visits_weeks = [1]\nfollow_up_weeks = 1",
    );
    let r = {
        let mut r = r;
        r.taper_weeks = Some(8.0);
        r
    };
    let picture = svg(&FlarePlot::of(&r).unwrap());
    for label in x_tick_labels(&picture) {
        assert!(label.len() <= 4, "{label}");
    }
    assert!(!all_text(&picture).contains("taper ends"));
}

#[test]
fn kaplan_meier_band_only_for_time_to_flare() {
    let names = |file: &str| -> Vec<String> {
        render_all(&report_of(file))
            .unwrap()
            .into_iter()
            .map(|(n, _)| n.to_string())
            .collect()
    };
    let tte = names("sle_time_to_flare.toml");
    assert!(
        tte.contains(&"km.png".to_string()) && tte.contains(&"km.svg".to_string()),
        "{tte:?}"
    );
    let score = names("jia_mtx_withdrawal.toml");
    assert!(!score.iter().any(|n| n.starts_with("km")), "{score:?}");
    let r = report_of("jia_randomized_withdrawal.toml");
    let text = all_text(&svg(&trialsim::plot::km::KmPlot::of(&r).unwrap()));
    assert!(text.contains("5-95% range over trials"), "{text}");
    assert!(text.contains("weeks since randomisation"), "{text}");
}
