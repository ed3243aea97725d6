//! Estimators for the ICH E9(R1) strategies: what the analysis sees of each
//! patient once intercurrent events are handled.
//!
//! * `treatment_policy`: the recorded values, whatever else was given.
//! * `hypothetical`: values at and after the start of any concomitant or
//!   rescue therapy are set missing, and the primary value is imputed by
//!   regression within the arm (single imputation under missing at random):
//!   fitted on the patients with no such therapy by the primary visit, from
//!   baseline and the last visit before the therapy (baseline alone if it
//!   started before the first visit). Single imputation understates the
//!   variance; the coverage column shows by how much.
//! * `composite`: a flare or any concomitant therapy by the primary visit
//!   counts as non-response (responder analyses only).
//! * `while_on_treatment`: the value at the last visit before the first
//!   concomitant therapy (baseline if none came before it).

use crate::analysis::{AnalysisFailure, ArmView};
use crate::cohort::{ArmData, Cohort};
use crate::scenario::intercurrent::Strategy;

/// A change so large that no threshold counts it as a response.
const NON_RESPONSE: f64 = 1e300;

/// Per-worker buffers for the transformed values.
#[derive(Debug, Default, Clone)]
pub struct EstimandScratch {
    msc: Transformed,
    control: Transformed,
}

#[derive(Debug, Default, Clone)]
struct Transformed {
    primary: Vec<f64>,
    change: Vec<f64>,
}

/// The two arms as `strategy` wants them analysed. `visits` are the visit
/// weeks (the last is primary).
///
/// # Errors
/// [`AnalysisFailure::TooFewPatients`] when imputation has nobody to learn from.
pub fn views<'a>(
    strategy: Strategy,
    cohort: &'a Cohort,
    visits: &[f64],
    scratch: &'a mut EstimandScratch,
) -> Result<(ArmView<'a>, ArmView<'a>), AnalysisFailure> {
    if strategy == Strategy::TreatmentPolicy {
        return Ok((cohort.msc.view(), cohort.control.view()));
    }
    transform(strategy, &cohort.msc, visits, &mut scratch.msc)?;
    transform(strategy, &cohort.control, visits, &mut scratch.control)?;
    let view = |arm: &'a ArmData, t: &'a Transformed| ArmView {
        baseline: &arm.baseline,
        primary: &t.primary,
        change: &t.change,
        stratum: &arm.stratum,
    };
    Ok((
        view(&cohort.msc, &scratch.msc),
        view(&cohort.control, &scratch.control),
    ))
}

fn transform(
    strategy: Strategy,
    arm: &ArmData,
    visits: &[f64],
    out: &mut Transformed,
) -> Result<(), AnalysisFailure> {
    let interim = visits.len() - 1;
    let primary_week = visits[interim];
    out.primary.clear();
    out.change.clear();
    match strategy {
        Strategy::TreatmentPolicy => out.primary.extend_from_slice(&arm.primary),
        Strategy::WhileOnTreatment => {
            for i in 0..arm.primary.len() {
                let value = match visits.iter().rposition(|&v| v < arm.event[i]) {
                    Some(k) if k == interim => arm.primary[i],
                    Some(k) => arm.interim[i * interim + k],
                    None => arm.baseline[i],
                };
                out.primary.push(value);
            }
        }
        Strategy::Composite => {
            out.primary.extend_from_slice(&arm.primary);
            for i in 0..arm.primary.len() {
                let failed = arm.flared_by_primary[i] || arm.event[i] <= primary_week;
                out.change
                    .push(if failed { NON_RESPONSE } else { arm.change[i] });
            }
            return Ok(());
        }
        Strategy::Hypothetical => impute(arm, visits, &mut out.primary)?,
    }
    out.change
        .extend(out.primary.iter().zip(&arm.baseline).map(|(p, b)| p - b));
    Ok(())
}

/// Regression imputation of the primary value for patients whose concomitant
/// therapy started by the primary visit.
fn impute(arm: &ArmData, visits: &[f64], out: &mut Vec<f64>) -> Result<(), AnalysisFailure> {
    let interim = visits.len() - 1;
    let primary_week = visits[interim];
    let n = arm.primary.len();
    let complete = |i: usize| arm.event[i] > primary_week;
    // Index of the predictor visit: the number of visits before the event.
    let last_before = |i: usize| {
        visits[..interim]
            .iter()
            .filter(|&&v| v < arm.event[i])
            .count()
    };
    out.clear();
    out.extend_from_slice(&arm.primary);
    let mut done = 0u64; // bit k: visit-k model already applied
    for i in 0..n {
        if complete(i) {
            continue;
        }
        let k = last_before(i);
        if done & (1 << k) != 0 {
            continue;
        }
        done |= 1 << k;
        // x1 = baseline, x2 = value at visit k - 1 (none when k = 0).
        let second = |j: usize| (k > 0).then(|| arm.interim[j * interim + k - 1]);
        let fit = fit((0..n)
            .filter(|&j| complete(j))
            .map(|j| (arm.baseline[j], second(j), arm.primary[j])))
        .ok_or(AnalysisFailure::TooFewPatients)?;
        for j in (0..n).filter(|&j| !complete(j) && last_before(j) == k) {
            out[j] = fit.predict(arm.baseline[j], second(j));
        }
    }
    Ok(())
}

/// `y = a + b x1 + c x2` (c = 0 without x2), least squares.
#[derive(Debug, Clone, Copy)]
struct Fit {
    a: f64,
    b: f64,
    c: f64,
}

impl Fit {
    fn predict(&self, x1: f64, x2: Option<f64>) -> f64 {
        self.a + self.b * x1 + self.c * x2.unwrap_or(0.0)
    }
}

/// Least squares on `(x1, x2, y)`, dropping predictors that the data cannot
/// support (too few patients, or no variation): two predictors need 4
/// patients, one needs 3, the mean needs 1.
fn fit(points: impl Iterator<Item = (f64, Option<f64>, f64)> + Clone) -> Option<Fit> {
    let (mut n, mut s1, mut s2, mut sy) = (0.0, 0.0, 0.0, 0.0);
    for (x1, x2, y) in points.clone() {
        n += 1.0;
        s1 += x1;
        s2 += x2.unwrap_or(0.0);
        sy += y;
    }
    if n < 1.0 {
        return None;
    }
    let (m1, m2, my) = (s1 / n, s2 / n, sy / n);
    let (mut c11, mut c12, mut c22, mut c1y, mut c2y) = (0.0, 0.0, 0.0, 0.0, 0.0);
    let mut has_second = true;
    for (x1, x2, y) in points {
        has_second &= x2.is_some();
        let (d1, d2, dy) = (x1 - m1, x2.unwrap_or(0.0) - m2, y - my);
        c11 += d1 * d1;
        c12 += d1 * d2;
        c22 += d2 * d2;
        c1y += d1 * dy;
        c2y += d2 * dy;
    }
    let tiny = 1e-12 * (1.0 + c11 + c22);
    if has_second && n >= 4.0 {
        let det = c11 * c22 - c12 * c12;
        if det > tiny * (1.0 + c11 * c22) {
            let b = (c1y * c22 - c2y * c12) / det;
            let c = (c2y * c11 - c1y * c12) / det;
            return Some(Fit {
                a: my - b * m1 - c * m2,
                b,
                c,
            });
        }
    }
    if n >= 3.0 && c11 > tiny {
        let b = c1y / c11;
        return Some(Fit {
            a: my - b * m1,
            b,
            c: 0.0,
        });
    }
    Some(Fit {
        a: my,
        b: 0.0,
        c: 0.0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_recovers_an_exact_plane_and_falls_back() {
        let pts: Vec<(f64, Option<f64>, f64)> = (0..6)
            .map(|i| {
                let (x1, x2) = (i as f64, ((i * 7) % 5) as f64);
                (x1, Some(x2), 1.0 + 2.0 * x1 - 0.5 * x2)
            })
            .collect();
        let f = fit(pts.iter().copied()).unwrap();
        assert!((f.a - 1.0).abs() < 1e-9 && (f.b - 2.0).abs() < 1e-9 && (f.c + 0.5).abs() < 1e-9);
        // Two patients: only the mean.
        let f = fit(pts[..2].iter().copied()).unwrap();
        assert_eq!((f.b, f.c), (0.0, 0.0));
        assert!(fit(std::iter::empty()).is_none());
    }
}
