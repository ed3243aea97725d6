//! Statistical correctness of the engine against closed forms, with
//! tolerances of 4 Monte Carlo standard errors computed from the reference.

mod common;

use cdflib::{ContinuousCdf as _, FisherSnedecorNoncentral};
use common::{continuous, rate, run, se};
use statrs::distribution::{ContinuousCDF, Normal, StudentsT};
use trialsim::analysis::Alternative;
use trialsim::analysis::fisher::{LogFactorials, fisher_exact};
use trialsim::analysis::wilcoxon::ExactU;

/// Two-sided power of the two-sample t-test with `n` per arm, standardised
/// effect `d`: P(|T| > t_crit) for noncentral T, as the noncentral F(1, df, ncp^2).
fn t_test_power(n: usize, d: f64, alpha: f64) -> f64 {
    t_power(d / (2.0 / n as f64).sqrt(), 2.0 * n as f64 - 2.0, alpha)
}

/// Two-sided power of a t-test with noncentrality `ncp` and `df` degrees of freedom.
fn t_power(ncp: f64, df: f64, alpha: f64) -> f64 {
    let crit = StudentsT::new(0.0, 1.0, df)
        .unwrap()
        .inverse_cdf(1.0 - alpha / 2.0);
    FisherSnedecorNoncentral::new(1.0, df, ncp * ncp).ccdf(crit * crit)
}

#[test]
fn closed_form_reproduces_published_power() {
    // Cohen (1988) / R pwr.t.test: n = 64, d = 0.5 -> 0.8015; n = 20, d = 0.8 -> 0.6934.
    assert!((t_test_power(64, 0.5, 0.05) - 0.8015).abs() < 1e-3);
    assert!((t_test_power(20, 0.8, 0.05) - 0.6934).abs() < 1e-3);
}

#[test]
fn welch_power_matches_noncentral_t() {
    // With equal arms and variances Welch's statistic equals Student's; only the
    // degrees of freedom differ, which moves power by far less than 1 SE here.
    let r = 20_000;
    for (n, effect, sd) in [
        (20, -4.8, 6.0),
        (30, -3.0, 6.0),
        (50, -1.2, 2.0),
        (64, -0.5, 1.0),
    ] {
        let s = continuous(
            &format!("n_per_arm = {n}\nanalysis = \"welch_t\"\nvisits_weeks = [4, 12, 24]"),
            &format!(
                "baseline_mean = 11\nbaseline_sd = 4\ncontrol_change_mean = -5\nchange_sd = {sd}\nbaseline_change_correlation = -0.3"
            ),
            effect,
            r,
            7,
        );
        let exact = t_test_power(n, effect / sd, 0.05);
        let got = rate(&run(&s)[0]);
        let tol = 4.0 * se(exact, r);
        assert!(
            (got - exact).abs() < tol,
            "n {n} d {}: {got} vs {exact} (tol {tol})",
            effect / sd
        );
    }
}

/// Exact size of Fisher's test with `n` per arm and response probability `p`:
/// the probability, over both binomial arms, of a p-value at or below alpha.
fn fisher_size(n: usize, p: f64, alpha: f64, alt: Alternative) -> f64 {
    let lf = LogFactorials::new(2 * n);
    let binom = |k: usize| {
        let ln = lf_choose(n, k) + k as f64 * p.ln() + (n - k) as f64 * (1.0 - p).ln();
        ln.exp()
    };
    let mut size = 0.0;
    for a in 0..=n {
        for b in 0..=n {
            if fisher_exact(a, n, b, n, alt, &lf).unwrap().p_value() <= alpha {
                size += binom(a) * binom(b);
            }
        }
    }
    size
}

fn lf_choose(n: usize, k: usize) -> f64 {
    let ln_fact = |m: usize| (1..=m).map(|i| (i as f64).ln()).sum::<f64>();
    ln_fact(n) - ln_fact(k) - ln_fact(n - k)
}

/// Exact size of the exact Wilcoxon test: P(p-value <= alpha) under the null.
fn wilcoxon_size(n: usize, alpha: f64, alt: Alternative) -> f64 {
    let d = ExactU::new(n, n);
    let pmf = |u: usize| d.cdf(u) - if u == 0 { 0.0 } else { d.cdf(u - 1) };
    (0..=n * n)
        .filter(|&u| {
            let p = match alt {
                Alternative::Less => d.cdf(u),
                Alternative::Greater => d.sf(u),
                Alternative::TwoSided => (2.0 * d.cdf(u).min(d.sf(u))).min(1.0),
            };
            p <= alpha
        })
        .map(pmf)
        .sum()
}

#[test]
fn type_one_error_for_every_analysis_and_both_sides() {
    let r = 20_000;
    let n = 15;
    // Control change -5 SD 6 and threshold 3: response probability Phi((5 - 3) / 6).
    let p_response = Normal::standard().cdf(2.0 / 6.0);
    for analysis in ["welch_t", "ancova", "wilcoxon", "fisher_responder"] {
        for sided in ["two", "one"] {
            let s = continuous(
                &format!(
                    "n_per_arm = {n}\nanalysis = \"{analysis}\"\nsided = \"{sided}\"\nalpha = 0.05"
                ),
                "baseline_mean = 11\nbaseline_sd = 4\ncontrol_change_mean = -5\nchange_sd = 6\nbaseline_change_correlation = -0.5",
                0.0,
                r,
                11,
            );
            let alt = match (sided, analysis) {
                ("two", _) => Alternative::TwoSided,
                (_, "fisher_responder") => Alternative::Greater,
                _ => Alternative::Less,
            };
            // t-tests and ANCOVA are exact under normality; the discrete tests
            // have an exact size at or below alpha, which is the reference.
            let reference = match analysis {
                "wilcoxon" => wilcoxon_size(n, 0.05, alt),
                "fisher_responder" => fisher_size(n, p_response, 0.05, alt),
                _ => 0.05,
            };
            assert!(reference <= 0.05 + 1e-12);
            let got = rate(&run(&s)[0]);
            let tol = 4.0 * se(reference, r);
            assert!(
                (got - reference).abs() < tol,
                "{analysis} {sided}-sided: {got} vs size {reference} (tol {tol})"
            );
        }
    }
}

#[test]
fn ancova_beats_welch_when_baseline_and_change_are_correlated() {
    let r = 10_000;
    let mut power = Vec::new();
    for analysis in ["welch_t", "ancova"] {
        let s = continuous(
            &format!("n_per_arm = 20\nanalysis = \"{analysis}\""),
            "baseline_mean = 11\nbaseline_sd = 4\ncontrol_change_mean = -5\nchange_sd = 4\nbaseline_change_correlation = -0.8",
            -2.5,
            r,
            3,
        );
        power.push(rate(&run(&s)[0]));
    }
    let (welch, ancova) = (power[0], power[1]);
    let tol = 4.0 * (se(welch, r).powi(2) + se(ancova, r).powi(2)).sqrt();
    assert!(ancova - welch > tol, "ancova {ancova} vs welch {welch}");
    // ANCOVA's residual SD is sqrt(1 - 0.64) * 4 = 2.4 against 4 for the change
    // score. With a random normal covariate the estimate's variance grows by
    // E[(xbar1 - xbar0)^2 / Sxx] = (2 / n) / (N - 4), and the test has N - 3 df
    // (Borm, Fransen & Lemmens, J Clin Epidemiol 2007).
    let (n, big_n) = (20.0f64, 40.0f64);
    let se_est = 2.4 * (2.0 / n * (1.0 + 1.0 / (big_n - 4.0))).sqrt();
    let expected = t_power(2.5 / se_est, big_n - 3.0, 0.05);
    assert!(
        (ancova - expected).abs() < 4.0 * se(expected, r),
        "{ancova} vs {expected}"
    );
}

#[test]
fn estimates_are_unbiased_on_the_continuous_endpoint() {
    let r = 10_000;
    for analysis in ["welch_t", "ancova", "wilcoxon"] {
        let s = continuous(
            &format!("n_per_arm = [12, 40]\nanalysis = \"{analysis}\""),
            "baseline_mean = 11\nbaseline_sd = 4\ncontrol_change_mean = -5\nchange_sd = 6\nbaseline_change_correlation = -0.3",
            -2.5,
            r,
            5,
        );
        for cell in run(&s) {
            let truth = cell.summary.truth.mean;
            assert!(
                (truth - -2.5).abs() < 1e-9,
                "continuous truth is the effect itself"
            );
            let bias = cell.summary.error.mean;
            let tol = 4.0 * cell.summary.error.se();
            assert!(
                bias.abs() < tol,
                "{analysis} n {}: bias {bias} (tol {tol})",
                cell.n_per_arm
            );
        }
    }
}

#[test]
fn assurance_with_effect_sd_averages_power_over_the_prior() {
    // With effect ~ Normal(mean, sd), the mean estimate tracks the prior mean and
    // the SD of the estimate grows by the prior's SD: Var = sd^2 + 2 sigma^2 / n.
    let r = 20_000;
    let mut s = continuous(
        "n_per_arm = 30\nanalysis = \"welch_t\"",
        "baseline_mean = 11\nbaseline_sd = 4\ncontrol_change_mean = -5\nchange_sd = 6",
        -2.5,
        r,
        9,
    );
    s.effect.sd = 2.0;
    let cell = &run(&s)[0];
    let expected_sd = (4.0f64 + 2.0 * 36.0 / 30.0).sqrt();
    let prior = cell.prior.as_ref().expect("a prior run when effect.sd > 0");
    let est = &prior.estimate;
    assert!((est.mean - -2.5).abs() < 4.0 * est.se(), "{}", est.mean);
    // SE of a sample SD is about sd / sqrt(2 (R - 1)).
    assert!((est.sd() - expected_sd).abs() < 4.0 * expected_sd / (2.0 * r as f64).sqrt());
    // Power at the prior mean is the noncentral-t value; assurance is its
    // average over the prior, E[power(delta)], by quadrature over the prior.
    let fixed = rate(cell);
    let exact = t_test_power(30, 2.5 / 6.0, 0.05);
    assert!(
        (fixed - exact).abs() < 4.0 * se(exact, r),
        "{fixed} vs {exact}"
    );
    let normal = Normal::standard();
    let (mut assurance, steps) = (0.0, 2000);
    for i in 0..steps {
        let lo = -8.0 + 16.0 * i as f64 / steps as f64;
        let hi = lo + 16.0 / steps as f64;
        let mid = (lo + hi) / 2.0;
        let delta = -2.5 + 2.0 * mid;
        assurance += (normal.cdf(hi) - normal.cdf(lo)) * t_test_power(30, delta.abs() / 6.0, 0.05);
    }
    let got = prior.rejections as f64 / prior.replicates as f64;
    assert!(
        (got - assurance).abs() < 4.0 * se(assurance, r),
        "assurance {got} vs {assurance}"
    );
}
