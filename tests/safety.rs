//! `[safety]` (issue 14): adverse events per arm against Poisson closed
//! forms, and the stopping rules' probability of stopping against exact
//! binomial computations. Tolerances are 4 Monte Carlo SEs.

mod common;

use std::path::Path;

use common::{refused, run};
use statrs::distribution::{Binomial, DiscreteCDF};
use trialsim::scenario::safety::Stopping;
use trialsim::scenario::{self, Scenario};
use trialsim::summary::safety::Monitor;

/// A continuous trial of 30 per arm with the given `[safety]` tables.
fn scenario(safety: &str, replicates: u64) -> Scenario {
    let text = format!(
        r#"
name = "safety"
[design]
n_per_arm = 30
analysis = "welch_t"
visits_weeks = [26]
[endpoint]
kind = "continuous"
[population]
baseline_mean = 10
baseline_sd = 3
control_change_mean = -5
change_sd = 4
[effect]
mean = -2
source = "test"
{safety}
[simulation]
replicates = {replicates}
seed = 9
"#
    );
    scenario::parse(Path::new("safety.toml"), &text).expect("valid safety scenario")
}

const EVENTS: &str = r#"
[safety]
infusions = 3
[[safety.event]]
name = "fever"
per = "infusion"
rate = { msc = 0.1, control = 0.04 }
source = "test"
[[safety.event]]
name = "infection"
per = "patient_year"
serious = true
rate = { msc = 0.3, control = 0.2 }
source = "test"
"#;

#[test]
fn events_per_arm_follow_their_poisson_closed_forms() {
    let s = scenario(EVENTS, 4_000);
    let cell = &run(&s)[0];
    let st = cell.summary.safety.as_ref().unwrap();
    // Exposure: 3 infusions; 26 weeks = 26 / (365.25 / 7) child-years.
    let years: f64 = 26.0 / (365.25 / 7.0);
    for (arm, fever, infection) in [
        (&st.arms.msc, 0.1 * 3.0, 0.3 * years),
        (&st.arms.control, 0.04 * 3.0, 0.2 * years),
    ] {
        for (k, mean) in [(0, fever), (1, infection)] {
            let (any, per) = (&arm.any[k], &arm.per_patient[k]);
            let want = 1.0 - (-mean).exp();
            assert!(
                (any.mean - want).abs() < 4.0 * any.se(),
                "P(any) {} vs {want} ± {}",
                any.mean,
                any.se()
            );
            assert!(
                (per.mean - mean).abs() < 4.0 * per.se(),
                "per child {} vs {mean} ± {}",
                per.mean,
                per.se()
            );
        }
        // The only serious event is the infection.
        let want = 1.0 - (-infection).exp();
        let w = &arm.any_serious;
        assert!((w.mean - want).abs() < 4.0 * w.se());
    }
}

/// P(a child has a serious event) per arm for `EVENTS`.
fn serious_share() -> (f64, f64) {
    let years: f64 = 26.0 / (365.25 / 7.0);
    (1.0 - (-0.3 * years).exp(), 1.0 - (-0.2 * years).exp())
}

#[test]
fn a_count_rule_stops_as_often_as_the_exact_binomial_says() {
    // Stop once 4 of the 30 MSC children have a serious event: P(X >= 4)
    // for X ~ Binomial(30, p), at the MSC arm's p and at the control arm's.
    let r = 6_000;
    let text = format!("{EVENTS}[safety.stopping]\nrule = \"count\"\nserious_children = 4\n");
    let st = run(&scenario(&text, r))[0].summary.safety.clone().unwrap();
    let (msc, control) = serious_share();
    for (stopped, p) in [(st.stopped, msc), (st.stopped_if_safe, control)] {
        let want = Binomial::new(p, 30).unwrap().sf(3);
        let got = stopped as f64 / r as f64;
        let se = (want * (1.0 - want) / r as f64).sqrt();
        assert!((got - want).abs() < 4.0 * se, "{got} vs {want} ± {se}");
    }
}

/// P(the monitor stops n children each serious with probability p), exactly:
/// the distribution of the running count among trials not yet stopped.
fn exact_stop(m: &Monitor, p: f64) -> f64 {
    let mut alive = vec![1.0f64];
    let mut stopped = 0.0;
    for &b in m.boundaries() {
        let mut next = vec![0.0; alive.len() + 1];
        for (x, &q) in alive.iter().enumerate() {
            next[x] += q * (1.0 - p);
            next[x + 1] += q * p;
        }
        for (x, q) in next.iter_mut().enumerate() {
            if x as u32 >= b {
                stopped += *q;
                *q = 0.0;
            }
        }
        alive = next;
    }
    stopped
}

#[test]
fn a_beta_binomial_monitor_stops_as_often_as_the_exact_computation_says() {
    let r = 6_000;
    let text = format!(
        "{EVENTS}[safety.stopping]\nrule = \"beta_binomial\"\nprior = [1, 4]\nlimit = 0.12\nprobability = 0.9\n"
    );
    let st = run(&scenario(&text, r))[0].summary.safety.clone().unwrap();
    let monitor = Monitor::new(
        Stopping::BetaBinomial {
            a: 1.0,
            b: 4.0,
            limit: 0.12,
            probability: 0.9,
        },
        30,
    );
    let (msc, control) = serious_share();
    // The count rule's exact value two ways: the DP against the binomial tail.
    let count = Monitor::new(
        Stopping::Count {
            serious_children: 4,
        },
        30,
    );
    assert!((exact_stop(&count, msc) - Binomial::new(msc, 30).unwrap().sf(3)).abs() < 1e-12);
    for (stopped, p) in [(st.stopped, msc), (st.stopped_if_safe, control)] {
        let want = exact_stop(&monitor, p);
        let got = stopped as f64 / r as f64;
        let se = (want * (1.0 - want) / r as f64).sqrt();
        assert!((got - want).abs() < 4.0 * se, "{got} vs {want} ± {se}");
    }
}

#[test]
fn safety_changes_no_other_result_bit_for_bit() {
    // Adverse events come from their own stream: even a scenario whose
    // hypothetical strategy imputes from the replicate's stream after the
    // patients are drawn gives the same figures with [safety] as without.
    let text = std::fs::read_to_string("scenarios/jia_mtx_withdrawal.toml")
        .unwrap()
        .replace(
            "strategy = \"treatment_policy\"",
            "strategy = \"hypothetical\"",
        );
    let load = |text: &str| {
        let mut s = scenario::parse(Path::new("s.toml"), text).unwrap();
        s.simulation.replicates = 300;
        s
    };
    let without = run(&load(&text));
    let with = run(&load(&format!("{text}\n{EVENTS}")));
    for (a, b) in with.iter().zip(&without) {
        let mut a = a.summary.clone();
        assert!(a.safety.take().is_some());
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            serde_json::to_string(&b.summary).unwrap()
        );
    }
}

#[test]
fn beta_binomial_boundaries_equal_a_brute_force_search() {
    use statrs::distribution::{Beta, ContinuousCDF};
    for (a, b, limit, probability, n) in [
        (1.0, 1.0, 0.15, 0.9, 60),
        (0.5, 0.5, 0.05, 0.95, 200),
        (2.0, 30.0, 0.1, 0.8, 120),
        (1.0, 4.0, 0.3, 0.99, 40),
    ] {
        let m = Monitor::new(
            Stopping::BetaBinomial {
                a,
                b,
                limit,
                probability,
            },
            n,
        );
        for (i, &got) in m.boundaries().iter().enumerate() {
            let i = i + 1;
            let want = (0..=i)
                .find(|&x| {
                    Beta::new(a + x as f64, b + (i - x) as f64)
                        .unwrap()
                        .sf(limit)
                        > probability
                })
                .map_or(u32::MAX, |x| x as u32);
            assert_eq!(
                got, want,
                "a {a} b {b} limit {limit} p {probability}, child {i}"
            );
        }
    }
}

#[test]
fn bad_safety_input_exits_2_naming_the_key() {
    let good = std::fs::read_to_string("scenarios/sle_msc_safety_monitor.toml").unwrap();
    for (from, to, key) in [
        ("rate = 0.1", "rate = -0.1", "safety.event[3].rate"),
        ("infusions = 2", "infusions = 0", "safety.infusions"),
        ("limit = 0.15", "limit = 1.5", "safety.stopping.limit"),
        (
            "per = \"patient_year\"",
            "per = \"week\"",
            "safety.event[3].per",
        ),
        (
            "name = \"fever\"",
            "name = \"mc_se_fever\"",
            "safety.event[0].name",
        ),
        (
            "prior = [1, 1]",
            "prior = [1, 1, 1]",
            "safety.stopping.prior",
        ),
    ] {
        assert!(good.contains(from), "{from}");
        refused(&good.replace(from, to), key);
    }
}

#[test]
fn a_child_whose_product_failed_has_no_infusion_events() {
    // [manufacturing] with half the products failing: those MSC children
    // had no infusion (no fever from one) and the control arm's infection
    // rate; P(any) in the MSC arm is the mixture of the two.
    let text = format!(
        "{EVENTS}[manufacturing]\nproduct = \"autologous\"\nfailure_probability = 0.5\nvein_to_vein_weeks = 0\nsource = \"test\"\n"
    );
    let st = run(&scenario(&text, 4_000))[0]
        .summary
        .safety
        .clone()
        .unwrap();
    let years: f64 = 26.0 / (365.25 / 7.0);
    let fever = 0.5 * (1.0 - (-0.1_f64 * 3.0).exp());
    let infection = 0.5 * (1.0 - (-0.3 * years).exp()) + 0.5 * (1.0 - (-0.2 * years).exp());
    for (k, want) in [(0, fever), (1, infection)] {
        let w = &st.arms.msc.any[k];
        assert!(
            (w.mean - want).abs() < 4.0 * w.se(),
            "{k}: {} vs {want} ± {}",
            w.mean,
            w.se()
        );
    }
}
