//! Multiple imputation for the hypothetical strategy: Bayesian linear
//! regression within an arm, fitted on the patients with no therapy by the
//! primary visit (Little & Rubin 2002, ch. 10).

use rand_distr::{ChiSquared, Distribution};

use crate::analysis::AnalysisFailure;
use crate::cohort::ArmData;
use crate::rng::Stream;

/// What every imputation of one arm in one replicate shares: each patient's
/// imputation model and each model's least-squares fit, computed once
/// (imputations differ only in their posterior draws).
#[derive(Debug, Default, Clone)]
pub struct Prepared {
    /// The models in the order patients first need them: the number of
    /// visits before the therapy, the fit (`None`: too few untreated
    /// patients to fit it), and its patients (a range of `members`).
    models: Vec<(u8, Option<Fit>, std::ops::Range<usize>)>,
    /// Patients to impute, grouped by model, in index order within a model.
    members: Vec<u32>,
    /// Patients with no therapy by the primary visit, in index order.
    complete: Vec<u32>,
    /// Per patient: the model, or [`COMPLETE`].
    model: Vec<u8>,
}

const COMPLETE: u8 = u8::MAX;

/// Prepares the imputation of `arm` (visit weeks `visits`, the last
/// primary), whose patient `i`'s values are missing after week
/// `missing_from[i]` (a concomitant therapy's start or dropout; a visit on
/// that week was measured).
pub(super) fn prepare(arm: &ArmData, missing_from: &[f64], visits: &[f64], p: &mut Prepared) {
    let interim = visits.len() - 1;
    let primary_week = visits[interim];
    let n = arm.primary.len();
    p.model.clear();
    p.models.clear();
    p.members.clear();
    p.complete.clear();
    p.model.extend(missing_from[..n].iter().map(|&event| {
        if event >= primary_week {
            COMPLETE
        } else {
            // The predictor visit: the number of visits before the event.
            visits[..interim].iter().filter(|&&v| v <= event).count() as u8
        }
    }));
    p.complete
        .extend((0..n as u32).filter(|&j| p.model[j as usize] == COMPLETE));
    let mut seen = 0u64; // bit k: model k listed
    for i in 0..n {
        let k = p.model[i];
        if k == COMPLETE || seen & (1 << k) != 0 {
            continue;
        }
        seen |= 1 << k;
        let kk = usize::from(k);
        // x1 = baseline, x2 = value at visit k - 1 (none when k = 0).
        let f = fit(p.complete.iter().map(|&j| {
            let j = j as usize;
            let second = (kk > 0).then(|| arm.interim[j * interim + kk - 1]);
            (arm.baseline[j], second, arm.primary[j])
        }));
        let start = p.members.len();
        p.members
            .extend((i as u32..n as u32).filter(|&j| p.model[j as usize] == k));
        p.models.push((k, f, start..p.members.len()));
    }
}

/// One draw of the primary value for patients whose concomitant therapy
/// started by the primary visit, from the posterior predictive of a
/// regression on the patients without (fitted by [`prepare`]).
pub(super) fn impute(
    arm: &ArmData,
    visits: &[f64],
    prepared: &Prepared,
    out: &mut Vec<f64>,
    rng: &mut Stream,
) -> Result<(), AnalysisFailure> {
    let interim = visits.len() - 1;
    out.clear();
    out.extend_from_slice(&arm.primary);
    for (k, fit, patients) in &prepared.models {
        let fit = fit
            .ok_or(AnalysisFailure::TooFewPatients)?
            .posterior_draw(rng);
        let k = usize::from(*k);
        for &j in &prepared.members[patients.clone()] {
            let j = j as usize;
            let second = (k > 0).then(|| arm.interim[j * interim + k - 1]);
            let z = rng.normal();
            out[j] = fit.predict(arm.baseline[j], second) + fit.sigma * z;
        }
    }
    Ok(())
}

/// `y = a + b x1 + c x2` (c = 0 without x2), least squares, with what the
/// posterior draw needs: the means, the centred cross-products of the
/// predictors used, the residual sum of squares and its degrees of freedom.
#[derive(Debug, Clone, Copy)]
struct Fit {
    a: f64,
    b: f64,
    c: f64,
    n: f64,
    m1: f64,
    m2: f64,
    /// Predictors in the model: 0 (mean only), 1 (x1) or 2 (x1, x2).
    p: usize,
    c11: f64,
    c12: f64,
    c22: f64,
    sse: f64,
    /// Residual SD (the posterior draw's, after [`Fit::posterior_draw`]).
    sigma: f64,
}

impl Fit {
    fn predict(&self, x1: f64, x2: Option<f64>) -> f64 {
        self.a + self.b * x1 + self.c * x2.unwrap_or(0.0)
    }

    /// Coefficients and residual SD drawn from their posterior under a flat
    /// prior: sigma^2 = SSE / chi2(df), then the centred intercept and the
    /// slopes from normals with covariance sigma^2 (1/n, C^-1).
    fn posterior_draw(&self, rng: &mut Stream) -> Fit {
        let df = self.n - 1.0 - self.p as f64;
        if self.sse <= 0.0 {
            return *self;
        }
        let chi: f64 = ChiSquared::new(df).expect("df >= 1").sample(rng);
        let sigma = (self.sse / chi).sqrt();
        let mut z = || -> f64 { rng.normal() };
        let centre = self.a + self.b * self.m1 + self.c * self.m2 + sigma / self.n.sqrt() * z();
        let (b, c) = match self.p {
            0 => (0.0, 0.0),
            1 => (self.b + sigma / self.c11.sqrt() * z(), 0.0),
            _ => {
                // Cholesky factor of C^-1 = [[c22, -c12], [-c12, c11]] / det.
                let det = self.c11 * self.c22 - self.c12 * self.c12;
                let (i11, i12, i22) = (self.c22 / det, -self.c12 / det, self.c11 / det);
                let l11 = i11.sqrt();
                let l21 = i12 / l11;
                let l22 = (i22 - l21 * l21).max(0.0).sqrt();
                let (z1, z2) = (z(), z());
                (
                    self.b + sigma * l11 * z1,
                    self.c + sigma * (l21 * z1 + l22 * z2),
                )
            }
        };
        Fit {
            a: centre - b * self.m1 - c * self.m2,
            b,
            c,
            sigma,
            ..*self
        }
    }
}

/// Residual degrees of freedom the imputation model must keep. With fewer,
/// the posterior draw of the residual variance (SSE / chi-square(df)) is so
/// heavy-tailed that single imputations reach absurd values; a replicate
/// with too few untreated patients fails instead (and is counted).
pub const MIN_RESIDUAL_DF: f64 = 3.0;

/// Least squares on `(x1, x2, y)`, dropping predictors that the data cannot
/// support (too few patients, or no variation) while keeping
/// [`MIN_RESIDUAL_DF`]: two predictors need 6 patients, one needs 5, the
/// mean alone 4; fewer give `None`.
fn fit(points: impl Iterator<Item = (f64, Option<f64>, f64)> + Clone) -> Option<Fit> {
    let (mut n, mut s1, mut s2, mut sy) = (0.0, 0.0, 0.0, 0.0);
    for (x1, x2, y) in points.clone() {
        n += 1.0;
        s1 += x1;
        s2 += x2.unwrap_or(0.0);
        sy += y;
    }
    if n < 1.0 + MIN_RESIDUAL_DF {
        return None;
    }
    let (m1, m2, my) = (s1 / n, s2 / n, sy / n);
    let (mut c11, mut c12, mut c22) = (0.0, 0.0, 0.0);
    let (mut c1y, mut c2y, mut cyy) = (0.0, 0.0, 0.0);
    let mut has_second = true;
    for (x1, x2, y) in points {
        has_second &= x2.is_some();
        let (d1, d2, dy) = (x1 - m1, x2.unwrap_or(0.0) - m2, y - my);
        c11 += d1 * d1;
        c12 += d1 * d2;
        c22 += d2 * d2;
        c1y += d1 * dy;
        c2y += d2 * dy;
        cyy += dy * dy;
    }
    let tiny = 1e-12 * (1.0 + c11 + c22);
    let base = Fit {
        a: my,
        b: 0.0,
        c: 0.0,
        n,
        m1: 0.0,
        m2: 0.0,
        p: 0,
        c11,
        c12,
        c22,
        sse: cyy,
        sigma: 0.0,
    };
    let finish = |f: Fit| Fit {
        sigma: (f.sse / (n - 1.0 - f.p as f64).max(1.0)).sqrt(),
        ..f
    };
    if has_second && n >= 3.0 + MIN_RESIDUAL_DF {
        let det = c11 * c22 - c12 * c12;
        if det > tiny * (1.0 + c11 * c22) {
            let b = (c1y * c22 - c2y * c12) / det;
            let c = (c2y * c11 - c1y * c12) / det;
            let sse = (cyy - b * c1y - c * c2y).max(0.0);
            return Some(finish(Fit {
                a: my - b * m1 - c * m2,
                b,
                c,
                m1,
                m2,
                p: 2,
                sse,
                ..base
            }));
        }
    }
    if n >= 2.0 + MIN_RESIDUAL_DF && c11 > tiny {
        let b = c1y / c11;
        let sse = (cyy - b * c1y).max(0.0);
        return Some(finish(Fit {
            a: my - b * m1,
            b,
            m1,
            p: 1,
            sse,
            ..base
        }));
    }
    Some(finish(base))
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
        // Four patients: only the mean; three: nothing to impute from.
        let f = fit(pts[..4].iter().copied()).unwrap();
        assert_eq!((f.b, f.c), (0.0, 0.0));
        assert!(fit(pts[..3].iter().copied()).is_none());
        assert!(fit(std::iter::empty()).is_none());
    }
}
