//! Intercurrent events against closed forms: flare probabilities, the bias a
//! concomitant therapy causes, composite response, and identity with the core
//! engine when nothing happens between visits.

mod common;

use std::path::Path;

use common::{run, se};
use trialsim::scenario::intercurrent::Strategy;
use trialsim::scenario::{self, Scenario};
use trialsim::summary::{Summary, Welford};

const BASE: &str = r#"
name = "ic"
[design]
n_per_arm = 30
analysis = "welch_t"
visits_weeks = [8, 24]
[endpoint]
kind = "continuous"
responder_threshold = 4
[population]
baseline_mean = 10
baseline_sd = 3
control_change_mean = -5
change_sd = 4
baseline_change_correlation = -0.3
[effect]
mean = -2
source = "test"
"#;

fn scenario(extra: &str, replicates: u64) -> Scenario {
    let text = format!("{BASE}{extra}\n[simulation]\nreplicates = {replicates}\nseed = 21\n");
    scenario::parse(Path::new("ic.toml"), &text).expect("valid test scenario")
}

/// Estimate minus MSC's own effect under `strategy`.
fn strategy_error(summary: &Summary, strategy: Strategy) -> &Welford {
    summary
        .estimands
        .as_ref()
        .expect("intercurrent events give bias by estimand")
        .get(strategy)
}

/// Per-arm probability of a flare by the primary visit, and its MC SE.
fn flare_by_primary(s: &Scenario) -> ([f64; 2], [f64; 2]) {
    let cell = &run(s)[0];
    let arms = cell.summary.flares.as_ref().expect("flare figures");
    (
        [
            arms.msc.flare_by_primary.mean,
            arms.control.flare_by_primary.mean,
        ],
        [
            arms.msc.flare_by_primary.se(),
            arms.control.flare_by_primary.se(),
        ],
    )
}

#[test]
fn constant_hazard_gives_one_minus_exp() {
    // h = 0.02 per week, T = 24: P = 1 - exp(-0.48); MSC HR 0.5: 1 - exp(-0.24).
    let s = scenario(
        "[standard_therapy]\nflare_hazard_on = 0.02\nmsc_flare_hazard_ratio = 0.5\nsource = \"test\"",
        4_000,
    );
    let (p, e) = flare_by_primary(&s);
    for (got, se, exact) in [
        (p[0], e[0], 1.0 - (-0.24f64).exp()),
        (p[1], e[1], 1.0 - (-0.48f64).exp()),
    ] {
        assert!((got - exact).abs() < 4.0 * se, "{got} vs {exact} (se {se})");
    }
}

#[test]
fn piecewise_hazards_and_taper_match_their_closed_form() {
    // Withdrawal in both arms: taper 6 weeks at 0.01, then off at 0.05 until
    // week 12 and 0.02 after. H(24) = 6*0.01 + 6*0.05 + 12*0.02 = 0.60.
    let s = scenario(
        "[standard_therapy]\npolicy = \"withdraw\"\ntaper_weeks = 6\nflare_hazard_on = 0.002\nflare_hazard_taper = 0.01\nflare_hazard_off = [[0, 0.05], [12, 0.02]]\nsource = \"test\"",
        4_000,
    );
    let (p, e) = flare_by_primary(&s);
    let exact = 1.0 - (-0.60f64).exp();
    for (got, se) in p.iter().zip(e) {
        assert!((got - exact).abs() < 4.0 * se, "{got} vs {exact}");
    }
    // Only the MSC arm withdraws; the control arm stays on 0.002: H = 0.048.
    let s = scenario(
        "[standard_therapy]\npolicy = \"withdraw\"\nwithdraw_arms = [\"msc\"]\ntaper_weeks = 6\nflare_hazard_on = 0.002\nflare_hazard_taper = 0.01\nflare_hazard_off = [[0, 0.05], [12, 0.02]]\nsource = \"test\"",
        4_000,
    );
    let (p, e) = flare_by_primary(&s);
    assert!((p[0] - exact).abs() < 4.0 * e[0]);
    let on = 1.0 - (-0.048f64).exp();
    assert!((p[1] - on).abs() < 4.0 * e[1], "{} vs {on}", p[1]);
}

#[test]
fn therapy_used_equally_and_independently_causes_no_bias() {
    let r = 20_000;
    let s = scenario(
        "[[concomitant]]\nname = \"steroid\"\ntrigger = \"baseline\"\nprobability = 0.4\neffect = -3\nsource = \"test\"",
        r,
    );
    let cell = &run(&s)[0];
    let err = &cell.summary.error;
    assert!(err.mean.abs() < 4.0 * err.se(), "bias {}", err.mean);
}

#[test]
fn therapy_only_in_the_control_arm_biases_by_minus_p_times_e() {
    // Control uses it with p = 0.4 and effect e = -3: the treatment-policy
    // estimate is MSC's own effect minus p * e = -2 + 1.2.
    let r = 20_000;
    let (p, e) = (0.4, -3.0);
    let s = scenario(
        &format!(
            "[[concomitant]]\nname = \"tocilizumab\"\ntrigger = \"baseline\"\nprobability = {{ msc = 0, control = {p} }}\neffect = {e}\nsource = \"test\""
        ),
        r,
    );
    let cell = &run(&s)[0];
    let err = &cell.summary.error;
    let expected = -p * e;
    assert!(
        (err.mean - expected).abs() < 4.0 * err.se(),
        "bias {} vs {expected}",
        err.mean
    );
    // The hypothetical strategy sets treated values missing; with the therapy
    // independent of the outcome, imputation removes the bias.
    let hyp = strategy_error(&cell.summary, Strategy::Hypothetical);
    assert!(
        hyp.mean.abs() < 4.0 * hyp.se(),
        "hypothetical bias {}",
        hyp.mean
    );
}

#[test]
fn composite_response_matches_a_hand_computed_case() {
    // Everyone would respond (change -5, no spread, threshold 4). Flares at
    // 0.02 per week (MSC HR 0.5) and a baseline therapy in 30% of controls
    // count as non-response: by week 24 the composite response is
    // exp(-0.24) on MSC and 0.7 * exp(-0.48) on control.
    let r = 10_000;
    let text = BASE
        .replace("analysis = \"welch_t\"", "analysis = \"fisher_responder\"")
        .replace("baseline_sd = 3", "baseline_sd = 0")
        .replace("change_sd = 4", "change_sd = 0")
        .replace("mean = -2", "mean = 0");
    let text = format!(
        "{text}[standard_therapy]\nflare_hazard_on = 0.02\nmsc_flare_hazard_ratio = 0.5\nsource = \"test\"\n[[concomitant]]\nname = \"steroid\"\ntrigger = \"baseline\"\nprobability = {{ msc = 0, control = 0.3 }}\neffect = 0\nsource = \"test\"\n[estimand]\nstrategy = \"composite\"\n[simulation]\nreplicates = {r}\nseed = 4\n"
    );
    let s = scenario::parse(Path::new("c.toml"), &text).unwrap();
    let cell = &run(&s)[0];
    let exact = (-0.24f64).exp() - 0.7 * (-0.48f64).exp();
    let truth = &cell.summary.estimand_truth;
    assert!(
        (truth.mean - exact).abs() < 4.0 * truth.se(),
        "{} vs {exact}",
        truth.mean
    );
    let est = &cell.summary.estimate;
    assert!(
        (est.mean - exact).abs() < 4.0 * est.se(),
        "{} vs {exact}",
        est.mean
    );
    // Without the composite strategy everyone responds in both arms.
    assert_eq!(cell.summary.truth.mean, 0.0);
}

#[test]
fn continue_with_zero_hazards_reproduces_the_core_engine_exactly() {
    let core = scenario("", 2_000);
    let with = scenario("[standard_therapy]\npolicy = \"continue\"", 2_000);
    assert!(with.intercurrent.is_some() && core.intercurrent.is_none());
    let (a, b) = (&run(&core)[0].summary, &run(&with)[0].summary);
    assert_eq!(a.rejections, b.rejections);
    assert_eq!(a.estimate, b.estimate);
    assert_eq!(a.truth, b.truth);
    assert_eq!(a.error, b.error);
    assert_eq!(a.covered, b.covered);
}

#[test]
fn t_intervals_cover_at_their_nominal_level() {
    let r = 20_000;
    for analysis in ["welch_t", "ancova"] {
        let text = BASE.replace("\"welch_t\"", &format!("\"{analysis}\""));
        let text = format!("{text}[simulation]\nreplicates = {r}\nseed = 6\n");
        let s = scenario::parse(Path::new("t.toml"), &text).unwrap();
        let cell = &run(&s)[0];
        let coverage = cell.summary.covered as f64 / cell.summary.replicates as f64;
        assert!(
            (coverage - 0.95).abs() < 4.0 * se(0.95, r),
            "{analysis}: {coverage}"
        );
    }
}

#[test]
fn hypothetical_multiple_imputation_is_unbiased_and_valid_under_the_null() {
    // Rescue for non-responders at week 8 depends on the outcome (missing at
    // random given the week-8 value). Proper multiple imputation with Rubin's
    // rules is unbiased for MSC's own effect and conservative: its size is at
    // most alpha and its coverage at least 95%, up to Monte Carlo error.
    let r = 20_000;
    let text = BASE
        .replace("analysis = \"welch_t\"", "analysis = \"ancova\"")
        .replace("mean = -2", "mean = 0");
    let text = format!(
        "{text}[[concomitant]]\nname = \"rescue\"\ntrigger = \"nonresponse\"\nstart_week = 8\nprobability = 0.8\neffect = -3\nsource = \"test\"\n[estimand]\nstrategy = \"hypothetical\"\n[simulation]\nreplicates = {r}\nseed = 13\n"
    );
    let s = scenario::parse(Path::new("h.toml"), &text).unwrap();
    let cell = &run(&s)[0];
    let sum = &cell.summary;
    assert!(
        sum.error.mean.abs() < 4.0 * sum.error.se(),
        "bias {}",
        sum.error.mean
    );
    let size = sum.rejections as f64 / sum.replicates as f64;
    assert!(size < 0.05 + 4.0 * se(0.05, r), "type I error {size}");
    let coverage = sum.covered as f64 / (sum.replicates - sum.failures) as f64;
    assert!(coverage > 0.95 - 4.0 * se(0.95, r), "coverage {coverage}");
    // Under the null both arms are rescued alike, so the treatment-policy
    // estimate is unbiased for MSC's (zero) effect too.
    let tp = strategy_error(sum, Strategy::TreatmentPolicy);
    assert!(
        tp.mean.abs() < 4.0 * tp.se(),
        "treatment policy {}",
        tp.mean
    );
}

/// Regression: the visit that triggers a non-response rescue used to include
/// the rescue's own effect, so multiple imputation never saw the value that
/// decided who was rescued (MAR broken): bias +0.69 and 90% coverage here.
#[test]
fn rescue_triggering_visit_is_measured_before_the_dose() {
    let r = 4_000;
    let text = BASE
        .replace("n_per_arm = 30", "n_per_arm = 100")
        .replace("analysis = \"welch_t\"", "analysis = \"ancova\"")
        .replace("visits_weeks = [8, 24]", "visits_weeks = [4, 12, 24]");
    let text = format!(
        "{text}[[concomitant]]\nname = \"rescue\"\ntrigger = \"nonresponse\"\nstart_week = 12\nprobability = 0.8\neffect = -2\nsource = \"test\"\n[estimand]\nstrategy = \"hypothetical\"\n[simulation]\nreplicates = {r}\nseed = 17\n"
    );
    let s = scenario::parse(Path::new("nr.toml"), &text).unwrap();
    let sum = &run(&s)[0].summary;
    assert!(
        sum.error.mean.abs() < 4.0 * sum.error.se(),
        "bias {} ± {}",
        sum.error.mean,
        sum.error.se()
    );
    let coverage = sum.covered as f64 / (sum.replicates - sum.failures) as f64;
    assert!(coverage > 0.95 - 4.0 * se(0.95, r), "coverage {coverage}");
}
