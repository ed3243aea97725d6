//! Dropout with a score endpoint (issue 10): who is missing at the primary
//! visit, and each estimand's rule for the missing values (complete case for
//! treatment policy, imputation for hypothetical, non-response for
//! composite), against closed forms and under the null. Tolerances are 4
//! Monte Carlo SEs.

mod common;

use std::path::Path;

use common::{rate, run, se};
use trialsim::scenario::intercurrent::Strategy;
use trialsim::scenario::{self, Scenario};

/// A continuous trial with dropout at `d` per week (no other intercurrent
/// event unless `extra` adds one): visits at weeks 8 and 24.
fn scenario(analysis: &str, effect: f64, d: f64, extra: &str, replicates: u64) -> Scenario {
    let text = format!(
        r#"
name = "dropout"
[design]
n_per_arm = 40
analysis = "{analysis}"
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
mean = {effect}
source = "test"
[dropout]
hazard_per_week = {d}
source = "test"
{extra}
[simulation]
replicates = {replicates}
seed = 5
"#
    );
    scenario::parse(Path::new("dropout.toml"), &text).expect("valid dropout scenario")
}

#[test]
fn the_share_missing_at_the_primary_visit_is_one_minus_exp() {
    let d = 0.01;
    let cell = &run(&scenario("welch_t", -2.0, d, "", 4_000))[0];
    let f = cell.summary.flares.as_ref().unwrap();
    let want = 1.0 - (-d * 24.0_f64).exp();
    for arm in [&f.msc, &f.control] {
        let w = &arm.dropout_by_primary;
        assert!(
            (w.mean - want).abs() < 4.0 * w.se(),
            "{} vs {want} ± {}",
            w.mean,
            w.se()
        );
    }
}

#[test]
fn complete_cases_are_unbiased_and_hold_alpha_under_non_informative_dropout() {
    for analysis in ["welch_t", "ancova", "wilcoxon"] {
        // Under the null: the size of the complete-case test.
        let r = 10_000;
        let cell = &run(&scenario(analysis, 0.0, 0.02, "", r))[0];
        let size = rate(cell);
        assert!(
            (size - 0.05).abs() < 4.0 * se(0.05, r),
            "{analysis}: size {size}"
        );
        // Under the alternative: the estimate against MSC's own effect, and
        // the information lost: the estimates' SD grows as sqrt(E[1/N])
        // over the complete cases N ~ Binomial(40, stay) against 1/40.
        if analysis != "wilcoxon" {
            let r = 4_000;
            let with = run(&scenario(analysis, -2.0, 0.02, "", r))[0]
                .summary
                .clone();
            let e = &with.error;
            assert!(
                e.mean.abs() < 4.0 * e.se(),
                "{analysis}: bias {} ± {}",
                e.mean,
                e.se()
            );
            let without = run(&scenario(analysis, -2.0, 0.0, "", r))[0]
                .summary
                .clone();
            let stay = (-0.02_f64 * 24.0).exp();
            let binomial = statrs::distribution::Binomial::new(stay, 40).unwrap();
            let inverse: f64 = (2..=40u64)
                .map(|k| statrs::distribution::Discrete::pmf(&binomial, k) / k as f64)
                .sum();
            let want = (inverse * 40.0).sqrt();
            let (sd1, sd0) = (with.estimate.sd(), without.estimate.sd());
            // The SD of an SD over R near-normal estimates is about sd / sqrt(2 R).
            let se = (sd1 / sd0) * (1.0 / r as f64).sqrt();
            assert!(
                ((sd1 / sd0) - want).abs() < 4.0 * se,
                "{analysis}: SD ratio {} vs {want} ± {se}",
                sd1 / sd0
            );
        }
    }
}

#[test]
fn hypothetical_imputation_of_dropouts_is_unbiased_under_missing_at_random() {
    // Dropout independent of everything: missing completely at random; the
    // hypothetical strategy imputes the dropouts' primary values.
    let s = scenario(
        "ancova",
        -2.0,
        0.02,
        "[estimand]\nstrategy = \"hypothetical\"\n",
        3_000,
    );
    let cell = &run(&s)[0];
    let e = &cell.summary.estimand_error;
    assert!(e.mean.abs() < 4.0 * e.se(), "bias {} ± {}", e.mean, e.se());
    let coverage =
        cell.summary.covered as f64 / (cell.summary.replicates - cell.summary.failures) as f64;
    assert!(
        (coverage - 0.95).abs() < 4.0 * se(0.95, 3_000),
        "coverage {coverage}"
    );
    // The imputations add the dropouts' uncertainty: the estimates vary
    // more than with every value observed.
    let none = scenario(
        "ancova",
        -2.0,
        0.0,
        "[estimand]\nstrategy = \"hypothetical\"\n",
        3_000,
    );
    let full = run(&none)[0].summary.estimate.sd();
    let imputed = cell.summary.estimate.sd();
    let se_diff = (imputed * imputed + full * full).sqrt() / (2.0 * 3_000.0_f64).sqrt();
    assert!(
        imputed - full > 4.0 * se_diff,
        "{imputed} vs {full} ± {se_diff}"
    );
}

#[test]
fn composite_counts_a_dropout_as_a_non_responder() {
    // Without flares or therapy, the composite responder share of an arm is
    // P(fall >= 4) times P(still in the trial at week 24).
    let d = 0.02;
    let s = scenario(
        "fisher_responder",
        0.0,
        d,
        "[estimand]\nstrategy = \"composite\"\n",
        4_000,
    );
    // Under the null the composite difference is unbiased for its truth, 0.
    let e = &run(&s)[0].summary.estimand_error;
    assert!(e.mean.abs() < 4.0 * e.se(), "bias {} ± {}", e.mean, e.se());
    // Dropout is missing data, not part of the composite estimand: counting
    // it as non-response biases the estimate by (stay - 1) times the truth.
    let effect = run(&scenario(
        "fisher_responder",
        -2.0,
        d,
        "[estimand]\nstrategy = \"composite\"\n",
        4_000,
    ))[0]
        .summary
        .clone();
    let want = ((-24.0 * d).exp() - 1.0) * effect.estimand_truth.mean;
    let e = &effect.estimand_error;
    assert!(
        (e.mean - want).abs() < 4.0 * e.se(),
        "bias {} vs {want} ± {}",
        e.mean,
        e.se()
    );
    // Under an effect, dropout independent of response scales each arm's
    // responder share, and so their difference, by the staying share
    // exp(-24 d).
    let with = run(&scenario(
        "fisher_responder",
        -2.0,
        d,
        "[estimand]\nstrategy = \"composite\"\n",
        4_000,
    ))[0]
        .summary
        .estimate;
    let without = run(&scenario(
        "fisher_responder",
        -2.0,
        0.0,
        "[estimand]\nstrategy = \"composite\"\n",
        4_000,
    ))[0]
        .summary
        .estimate;
    let stay = (-24.0 * d).exp();
    let want = without.mean * stay;
    let tol = 4.0 * (with.se().powi(2) + (stay * without.se()).powi(2)).sqrt();
    assert!(
        (with.mean - want).abs() < tol,
        "{} vs {want} ± {tol}",
        with.mean
    );
}

#[test]
fn informative_dropout_biases_the_complete_cases() {
    // The shipped scenario: children who flare (more often on control) leave
    // ten times as often; the complete-case treatment-policy estimate moves
    // towards the null against its estimand, and without dropout it does not.
    let load = |text: &str| {
        let mut s = scenario::parse(Path::new("s.toml"), text).unwrap();
        s.design.n_per_arm = vec![60];
        s.simulation.replicates = 10_000;
        s.intercurrent.as_mut().unwrap().strategy = Strategy::TreatmentPolicy;
        s
    };
    let text = std::fs::read_to_string("scenarios/jia_withdrawal_dropout.toml").unwrap();
    let with = run(&load(&text))[0].summary.estimand_error;
    let mut no = load(&text);
    no.dropout = None;
    let without = run(&no)[0].summary.estimand_error;
    assert!(
        with.mean > 4.0 * with.se(),
        "with dropout: {} ± {}",
        with.mean,
        with.se()
    );
    assert!(
        without.mean.abs() < 4.0 * without.se(),
        "without: {} ± {}",
        without.mean,
        without.se()
    );
}
