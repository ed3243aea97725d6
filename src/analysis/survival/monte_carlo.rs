//! Monte Carlo checks of the log-rank test and the Cox model on simulated
//! exponential flare times: their size under equal hazards and the Cox
//! estimate's bias under a hazard ratio of 0.5. Tolerances are 4 Monte Carlo
//! standard errors, with fixed seeds.

use rand::SeedableRng;
use rand::rngs::ChaCha8Rng;
use rand_distr::{Distribution, Exp};

use super::cox::cox;
use super::logrank::logrank;
use super::{Alternative, FollowUp, SurvivalScratch};
use crate::stats::Welford;

/// Fills `arm` with `n` exponential flare times of rate `rate`, censored at
/// `follow_up`.
fn draw(arm: &mut Vec<FollowUp>, n: usize, rate: f64, follow_up: f64, rng: &mut ChaCha8Rng) {
    let exp = Exp::new(rate).unwrap();
    arm.clear();
    arm.extend((0..n).map(|_| {
        let t: f64 = exp.sample(rng);
        if t <= follow_up {
            FollowUp::flare(t)
        } else {
            FollowUp::censored(follow_up)
        }
    }));
}

#[test]
fn logrank_and_cox_keep_their_size_under_equal_hazards() {
    const REPLICATES: usize = 4000;
    const ALPHA: f64 = 0.05;
    let mut rng = ChaCha8Rng::seed_from_u64(20_261_125);
    let mut s = SurvivalScratch::default();
    let (mut msc, mut control) = (Vec::new(), Vec::new());
    let (mut logrank_rejections, mut cox_rejections) = (0usize, 0usize);
    for _ in 0..REPLICATES {
        // Rate 1 per year over 1.5 years: about 22% censored.
        draw(&mut msc, 30, 1.0, 1.5, &mut rng);
        draw(&mut control, 30, 1.0, 1.5, &mut rng);
        let lr = logrank(&msc, &control, Alternative::TwoSided, &mut s).unwrap();
        logrank_rejections += usize::from(lr.p < ALPHA);
        let fit = cox(&msc, &control, Alternative::TwoSided, &mut s).unwrap();
        cox_rejections += usize::from(fit.p < ALPHA);
    }
    let mc_se = (ALPHA * (1.0 - ALPHA) / REPLICATES as f64).sqrt();
    for (name, rejections) in [
        ("log-rank", logrank_rejections),
        ("Cox Wald", cox_rejections),
    ] {
        let rate = rejections as f64 / REPLICATES as f64;
        eprintln!("{name}: type I error {rate:.4} (MC SE {mc_se:.4})");
        assert!(
            (rate - ALPHA).abs() <= 4.0 * mc_se,
            "{name}: {rate} against {ALPHA} ± 4 × {mc_se}"
        );
    }
}

#[test]
fn cox_estimates_a_hazard_ratio_of_one_half_without_bias() {
    const REPLICATES: usize = 2000;
    let mut rng = ChaCha8Rng::seed_from_u64(10);
    let mut s = SurvivalScratch::default();
    let (mut msc, mut control) = (Vec::new(), Vec::new());
    let mut log_hr = Welford::default();
    for _ in 0..REPLICATES {
        draw(&mut msc, 200, 0.5, 2.0, &mut rng);
        draw(&mut control, 200, 1.0, 2.0, &mut rng);
        let fit = cox(&msc, &control, Alternative::Less, &mut s).unwrap();
        log_hr.push(fit.log_hr);
    }
    let truth = 0.5f64.ln();
    let mc_se = log_hr.se();
    eprintln!(
        "Cox log HR: mean {:.5} against {truth:.5} (MC SE {mc_se:.5}), sd {:.4}",
        log_hr.mean,
        log_hr.sd()
    );
    assert!(
        (log_hr.mean - truth).abs() <= 4.0 * mc_se,
        "mean log HR {} against {truth} ± 4 × {mc_se}",
        log_hr.mean
    );
}
