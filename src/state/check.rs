//! Whether the numbers in a partial summary or saved run can have come from
//! a run: every count within its replicates, every accumulator's `n`
//! consistent. A file that fails is refused, never folded into results.

use crate::design::Arms;
use crate::scenario::intercurrent::Strategy;
use crate::stats::Welford;
use crate::summary::{ArmStats, Summary};

/// Checks that `s` summarises exactly `replicates` replicates.
///
/// # Errors
/// What is inconsistent, as a phrase for a message.
pub fn summary(s: &Summary, replicates: u64) -> Result<(), String> {
    if s.replicates != replicates {
        return Err(format!(
            "holds {} replicates where {replicates} belong",
            s.replicates
        ));
    }
    let analysed = s.estimate.n;
    let checks = [
        ("rejections", s.rejections, analysed),
        ("covered", s.covered, analysed),
        ("successes", s.successes, replicates),
        (
            "analyses run plus failures",
            analysed.saturating_add(s.failures),
            replicates,
        ),
        ("truth.n", s.truth.n, replicates),
        ("estimand_truth.n", s.estimand_truth.n, replicates),
        ("error.n", s.error.n, analysed),
        ("estimand_error.n", s.estimand_error.n, analysed),
        (
            "favourable_rejections",
            s.favourable_rejections,
            s.rejections,
        ),
    ];
    for (what, value, most) in checks {
        if value > most {
            return Err(format!("{what} is {value}, above {most}"));
        }
    }
    if s.truth.n != replicates {
        return Err(format!(
            "truth.n is {}, not its {replicates} replicates",
            s.truth.n
        ));
    }
    let r = &s.failure_reasons;
    let by_reason = r
        .too_few_patients
        .saturating_add(r.zero_variance)
        .saturating_add(r.not_finite);
    if by_reason != s.failures {
        return Err(format!(
            "failures by reason add up to {by_reason}, not its {} failures",
            s.failures
        ));
    }
    if s.error.n != analysed || s.estimand_error.n != analysed {
        return Err(format!(
            "error.n is {} and estimand_error.n {} but estimate.n is {analysed}",
            s.error.n, s.estimand_error.n
        ));
    }
    let mut welfords: Vec<(String, &Welford)> = vec![
        ("estimate".into(), &s.estimate),
        ("truth".into(), &s.truth),
        ("estimand_truth".into(), &s.estimand_truth),
        ("error".into(), &s.error),
        ("estimand_error".into(), &s.estimand_error),
    ];
    if let Some(e) = &s.estimands {
        for strategy in Strategy::ALL {
            welfords.push((format!("estimands.{}", strategy.name()), e.get(strategy)));
        }
    }
    if let Some(f) = &s.flares {
        for (arm, a) in [("msc", &f.msc), ("control", &f.control)] {
            arm_welfords(arm, a, &mut welfords);
        }
    }
    for (what, w) in welfords {
        welford(w, replicates).map_err(|e| format!("{what}: {e}"))?;
    }
    Ok(())
}

/// Checks one fold's flare figures against its `replicates` trials of
/// `sizes` patients per arm: patient counts, first-flare counts rising by
/// week within the patients, their squares within what per-trial counts
/// allow, and per-trial shares within 0 and 1.
///
/// # Errors
/// What is wrong, as a phrase.
pub fn flares(s: &Summary, replicates: u64, sizes: Arms<usize>) -> Result<(), String> {
    let Some(f) = &s.flares else {
        return Ok(());
    };
    for (arm, a) in f.iter() {
        let size = sizes[arm] as u64;
        let name = arm.name();
        let trials = if size == 0 { 0 } else { replicates };
        if Some(a.patients) != size.checked_mul(trials) {
            return Err(format!(
                "flares.{name}.patients is {}, not {size} patients in each of {trials} trials",
                a.patients
            ));
        }
        let mut previous = 0;
        for (w, (&k, &k2)) in a
            .flared_by_week
            .iter()
            .zip(&a.flared_by_week_sq)
            .enumerate()
        {
            // With per-trial counts c_r in 0..=size: sum c_r = k, sum c_r^2 = k2,
            // so k^2 / trials <= k2 <= size k (Cauchy-Schwarz; c_r <= size).
            let low = if trials == 0 {
                0
            } else {
                (k as u128 * k as u128) / trials as u128
            };
            let fits = k >= previous
                && k <= a.patients
                && (k2 as u128) >= low
                && (k2 as u128) <= size as u128 * k as u128;
            if !fits {
                return Err(format!(
                    "flares.{name}.flared_by_week[{w}] is {k} (squares {k2}), which no {trials} trials of {size} patients give"
                ));
            }
            previous = k;
        }
        let shares = [
            &a.flare_by_primary,
            &a.flare_in_follow_up,
            &a.rescue,
            &a.dropout_by_primary,
        ]
        .into_iter()
        .chain(&a.concomitant);
        for w in shares {
            if w.n > 0 && !(0.0..=1.0).contains(&w.mean) {
                return Err(format!(
                    "flares.{name}: a share of patients averages {}",
                    w.mean
                ));
            }
        }
        if a.flares_per_patient.n > 0 && !(0.0..=64.0).contains(&a.flares_per_patient.mean) {
            return Err(format!(
                "flares.{name}.flares_per_patient averages {}",
                a.flares_per_patient.mean
            ));
        }
    }
    Ok(())
}

/// Checks one fold's `[manufacturing]` figures: one per trial, the
/// as-infused analyses and failures adding up to the trials, rejections
/// within the analyses, the infused share within 0 and 1.
///
/// # Errors
/// What is wrong, as a phrase.
pub fn product(s: &Summary, replicates: u64) -> Result<(), String> {
    let Some(p) = &s.product else {
        return Ok(());
    };
    let analysed = p.estimate.n;
    let fits = p.trials == replicates
        && p.infused.n == p.trials
        && analysed.saturating_add(p.failures) == p.trials
        && p.error.n == analysed
        && p.favourable <= p.rejections
        && p.rejections <= analysed
        && (p.infused.n == 0 || (0.0..=1.0).contains(&p.infused.mean));
    if !fits {
        return Err(format!(
            "product: {} trials, {} infused shares averaging {}, {} analyses, {} failures, {} rejections ({} favourable) for {replicates} replicates",
            p.trials, p.infused.n, p.infused.mean, analysed, p.failures, p.rejections, p.favourable
        ));
    }
    for (what, w) in [
        ("infused", &p.infused),
        ("estimate", &p.estimate),
        ("error", &p.error),
    ] {
        welford(w, replicates).map_err(|e| format!("product.{what}: {e}"))?;
    }
    Ok(())
}

/// Checks one fold's posterior-rule figures: per weight, successes and
/// coverage within the analysed trials, the analysed within the trials, one
/// posterior mean per analysed trial, a histogram adding up to the analysed.
///
/// # Errors
/// What is wrong, as a phrase.
pub fn borrowing(s: &Summary, replicates: u64) -> Result<(), String> {
    let Some(b) = &s.borrowing else {
        return Ok(());
    };
    for (i, w) in b.weights.iter().enumerate() {
        let histogram = w.tail.iter().try_fold(0u64, |a, &x| a.checked_add(x));
        let fits = w.analysed <= replicates
            && w.successes <= w.analysed
            && w.covered <= w.analysed
            && w.error.n == w.analysed
            && (w.tail.is_empty() || histogram == Some(w.analysed))
            && (0.0..=1.0).contains(&w.threshold);
        if !fits {
            return Err(format!(
                "borrowing weight {}: {} successes, {} covered, {} posterior means, threshold {}, of {} analysed for {replicates} replicates",
                i + 1,
                w.successes,
                w.covered,
                w.error.n,
                w.threshold,
                w.analysed
            ));
        }
        welford(&w.error, replicates).map_err(|e| format!("borrowing.error: {e}"))?;
    }
    Ok(())
}

/// Checks one fold's looks (`[accrual]`): one trial-level figure per
/// trial, per look counts within the trials and stops within the looks
/// held, every running mean over at most the trials, the histograms adding
/// up to the trials.
///
/// # Errors
/// What is wrong, as a phrase.
pub fn looks(s: &Summary, replicates: u64) -> Result<(), String> {
    let Some(l) = &s.looks else {
        return Ok(());
    };
    let trials = l.trials();
    let stops: u64 = l.looks.iter().map(|k| k.efficacy + k.futility).sum();
    let fits = trials == replicates
        && l.enrolled_at_stop.n == trials
        && l.analysed_at_stop.n == trials
        && l.short <= trials
        && l.duration.iter().sum::<u64>() == trials
        && l.duration_bin_months > 0.0
        && stops <= trials
        && l.looks.iter().all(|k| {
            k.held <= trials
                && k.efficacy + k.futility <= k.held
                && k.stopped <= k.held
                && k.z.iter().sum::<u64>() <= trials
        });
    if !fits {
        return Err(format!(
            "looks: {trials} trials, {stops} stops, {} short for {replicates} replicates",
            l.short
        ));
    }
    for w in [&l.month_at_stop, &l.enrolled_at_stop, &l.analysed_at_stop] {
        welford(w, replicates).map_err(|e| format!("looks: {e}"))?;
    }
    for (k, a) in l.looks.iter().enumerate() {
        for w in [
            &a.month,
            &a.enrolled,
            &a.analysed,
            &a.error_at_stop,
            &a.cp_trend,
            &a.cp_design,
            &a.se,
        ] {
            welford(w, a.held).map_err(|e| format!("looks[{k}]: {e}"))?;
        }
    }
    Ok(())
}

/// Checks one fold's adverse-event figures: every accumulator over at most
/// `replicates` trials, shares within 0 and 1, and stops within the trials.
///
/// # Errors
/// What is wrong, as a phrase.
pub fn safety(s: &Summary, replicates: u64) -> Result<(), String> {
    let Some(v) = &s.safety else {
        return Ok(());
    };
    if v.trials != replicates || v.stopped > v.trials || v.stopped_if_safe > v.trials {
        return Err(format!(
            "safety counts {} trials, {} and {} stopped, for {replicates} replicates",
            v.trials, v.stopped, v.stopped_if_safe
        ));
    }
    let kinds = v.arms.msc.any.len();
    for (arm, a) in [("msc", &v.arms.msc), ("control", &v.arms.control)] {
        if a.any.len() != kinds || a.per_patient.len() != kinds {
            return Err(format!("safety.{arm}: the event lists differ in length"));
        }
        // Every trial with children in the arm adds one value to each.
        let n = a.any_serious.n;
        if (n != 0 && n != replicates) || a.any.iter().chain(&a.per_patient).any(|w| w.n != n) {
            return Err(format!(
                "safety.{arm}: the figures hold different numbers of trials"
            ));
        }
        for (share, count) in a.any.iter().zip(&a.per_patient) {
            if count.n > 0 && !(count.mean >= 0.0 && share.mean <= count.mean + 1e-12) {
                return Err(format!(
                    "safety.{arm}: {} children per trial with an event but {} events",
                    share.mean, count.mean
                ));
            }
        }
        for w in a.any.iter().chain([&a.any_serious]) {
            if w.n > 0 && !(0.0..=1.0).contains(&w.mean) {
                return Err(format!("safety.{arm}: a share averages {}", w.mean));
            }
        }
        for w in a.any.iter().chain(&a.per_patient).chain([&a.any_serious]) {
            welford(w, replicates).map_err(|e| format!("safety.{arm}: {e}"))?;
        }
    }
    Ok(())
}

/// Checks one fold's time-to-flare figures: every accumulator over at most
/// `replicates` trials, the band's histograms the right size with at most
/// one count per trial at each time, shares within 0 and 1, and the run-in's
/// enrolment counts adding up to its trials.
///
/// # Errors
/// What is wrong, as a phrase.
pub fn survival(s: &Summary, replicates: u64) -> Result<(), String> {
    use crate::summary::survival::{BAND_BINS, BAND_POINTS};
    let Some(v) = &s.survival else {
        return Ok(());
    };
    if v.grid.len() != BAND_POINTS
        || v.expected.msc.len() != BAND_POINTS
        || v.expected.control.len() != BAND_POINTS
    {
        return Err(format!(
            "survival: the band holds {} times, not {BAND_POINTS}",
            v.grid.len()
        ));
    }
    let mut welfords: Vec<(String, &Welford)> =
        vec![("survival.rmst_difference".into(), &v.rmst_difference)];
    for (arm, a) in [("msc", &v.arms.msc), ("control", &v.arms.control)] {
        if a.band.len() != BAND_POINTS * BAND_BINS {
            return Err(format!("survival.{arm}.band holds {} counts", a.band.len()));
        }
        for point in a.band.chunks(BAND_BINS) {
            let total = point.iter().fold(0u64, |t, &c| t.saturating_add(c));
            if total > replicates {
                return Err(format!(
                    "survival.{arm}.band counts {total} trials at one time, above {replicates}"
                ));
            }
        }
        for (name, w) in [
            ("dropout", &a.dropout),
            ("flare_by_primary", &a.flare_by_primary),
        ] {
            if w.n > 0 && !(0.0..=1.0).contains(&w.mean) {
                return Err(format!("survival.{arm}.{name} averages {}", w.mean));
            }
        }
        for (name, w) in [
            ("events", &a.events),
            ("dropout", &a.dropout),
            ("flare_by_primary", &a.flare_by_primary),
            ("flare_by_primary_se", &a.flare_by_primary_se),
            ("median", &a.median),
            ("rmst", &a.rmst),
        ] {
            welfords.push((format!("survival.{arm}.{name}"), w));
        }
    }
    if let Some(r) = &v.run_in {
        let counted = r
            .enrolled_counts
            .values()
            .fold(0u64, |t, &c| t.saturating_add(c));
        if counted != r.enrolled.n || r.randomised.n != r.enrolled.n || r.short > r.enrolled.n {
            return Err(format!(
                "survival.run_in counts {counted} trials by enrolment, {} enrolled, {} randomised and {} short",
                r.enrolled.n, r.randomised.n, r.short
            ));
        }
        welfords.push(("survival.run_in.enrolled".into(), &r.enrolled));
        welfords.push(("survival.run_in.randomised".into(), &r.randomised));
    }
    for (what, w) in welfords {
        welford(w, replicates).map_err(|e| format!("{what}: {e}"))?;
    }
    Ok(())
}

fn arm_welfords<'a>(arm: &str, a: &'a ArmStats, out: &mut Vec<(String, &'a Welford)>) {
    out.push((
        format!("flares.{arm}.flare_by_primary"),
        &a.flare_by_primary,
    ));
    out.push((
        format!("flares.{arm}.flare_in_follow_up"),
        &a.flare_in_follow_up,
    ));
    out.push((
        format!("flares.{arm}.flares_per_patient"),
        &a.flares_per_patient,
    ));
    out.push((format!("flares.{arm}.rescue"), &a.rescue));
    out.push((
        format!("flares.{arm}.dropout_by_primary"),
        &a.dropout_by_primary,
    ));
    for (i, w) in a.concomitant.iter().enumerate() {
        out.push((format!("flares.{arm}.concomitant[{i}]"), w));
    }
}

/// A Welford accumulator over at most `replicates` values: finite, with a
/// non-negative sum of squares, and empty when `n` is 0.
fn welford(w: &Welford, replicates: u64) -> Result<(), String> {
    if w.n > replicates {
        return Err(format!("n is {}, above {replicates} replicates", w.n));
    }
    if !w.mean.is_finite() || !w.m2.is_finite() || w.m2 < 0.0 {
        return Err(format!(
            "mean {} and m2 {} are not a running variance",
            w.mean, w.m2
        ));
    }
    if w.n == 0 && (w.mean != 0.0 || w.m2 != 0.0) {
        return Err("holds a mean without values".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good(replicates: u64) -> Summary {
        let mut s = Summary::default();
        for i in 0..replicates {
            s.replicates += 1;
            s.truth.push(1.0);
            s.estimand_truth.push(1.0);
            if i % 3 == 0 {
                s.failures += 1;
                s.failure_reasons.zero_variance += 1;
            } else {
                s.estimate.push(i as f64);
                s.error.push(i as f64 - 1.0);
                s.estimand_error.push(i as f64 - 1.0);
                s.rejections += u64::from(i % 2 == 0);
                s.favourable_rejections += u64::from(i % 4 == 0);
                s.covered += 1;
            }
        }
        s
    }

    #[test]
    fn failures_by_reason_must_add_up_and_favourable_rejections_stay_within_rejections() {
        assert!(summary(&good(256), 256).is_ok());
        let mut s = good(256);
        s.failure_reasons.not_finite += 1;
        assert!(summary(&s, 256).unwrap_err().contains("by reason"));
        let mut s = good(256);
        s.favourable_rejections = s.rejections + 1;
        assert!(summary(&s, 256).unwrap_err().contains("favourable"));
    }

    #[test]
    fn a_summary_with_more_rejections_than_replicates_is_refused() {
        assert_eq!(summary(&good(256), 256), Ok(()));
        let mut s = good(256);
        s.rejections = 300;
        assert!(summary(&s, 256).unwrap_err().contains("rejections"));
        let mut s = good(256);
        s.replicates = 512;
        assert!(summary(&s, 256).is_err());
        let mut s = good(256);
        s.truth.n = 100;
        assert!(summary(&s, 256).unwrap_err().contains("truth.n"));
        let mut s = good(256);
        s.estimate.m2 = -1.0;
        assert!(summary(&s, 256).unwrap_err().contains("estimate"));
    }
}
