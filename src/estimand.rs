//! Estimators for the ICH E9(R1) strategies: what the analysis sees of each
//! patient once intercurrent events are handled.
//!
//! * `treatment_policy`: the recorded values, whatever else was given.
//! * `hypothetical`: values after the start of any concomitant or rescue
//!   therapy are set missing (a visit on the day it starts was measured
//!   before the dose and is kept), and the primary value is multiply
//!   imputed under missing at random ([`IMPUTATIONS`] times) by Bayesian
//!   linear regression within the arm (Little & Rubin 2002, ch. 10): fitted
//!   on the patients with no such therapy by the primary visit, from baseline
//!   and the last visit before the therapy (baseline alone if it started
//!   before the first visit), drawing the residual variance and coefficients
//!   from their posterior before each imputation. The analyses are combined
//!   by Rubin's rules with Barnard-Rubin degrees of freedom, so only t-based
//!   analyses (welch_t, ancova) take this strategy.
//! * `composite`: a flare by the primary visit, or any concomitant therapy
//!   started before it, counts as non-response (responder analyses only).
//! * `while_on_treatment`: the value at the last visit before the first
//!   concomitant therapy took effect (baseline if none came before it).

use rand::Rng;
use rand_distr::{ChiSquared, Distribution, StandardNormal};

use crate::analysis::{Alternative, AnalysisFailure, ArmView, Interval, Significance, TestResult};
use crate::cohort::{ArmData, Cohort};
use crate::scenario::intercurrent::Strategy;

/// Imputations per replicate for the hypothetical strategy.
pub const IMPUTATIONS: usize = 10;

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
/// `rng` is used by the hypothetical strategy's imputations only.
pub fn views<'a, R: Rng + ?Sized>(
    strategy: Strategy,
    cohort: &'a Cohort,
    visits: &[f64],
    scratch: &'a mut EstimandScratch,
    rng: &mut R,
) -> Result<(ArmView<'a>, ArmView<'a>), AnalysisFailure> {
    if strategy == Strategy::TreatmentPolicy {
        return Ok((cohort.msc.view(), cohort.control.view()));
    }
    transform(strategy, &cohort.msc, visits, &mut scratch.msc, rng)?;
    transform(strategy, &cohort.control, visits, &mut scratch.control, rng)?;
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

fn transform<R: Rng + ?Sized>(
    strategy: Strategy,
    arm: &ArmData,
    visits: &[f64],
    out: &mut Transformed,
    rng: &mut R,
) -> Result<(), AnalysisFailure> {
    let interim = visits.len() - 1;
    let primary_week = visits[interim];
    out.primary.clear();
    out.change.clear();
    match strategy {
        Strategy::TreatmentPolicy => out.primary.extend_from_slice(&arm.primary),
        Strategy::WhileOnTreatment => {
            for i in 0..arm.primary.len() {
                let value = match visits.iter().rposition(|&v| v <= arm.event[i]) {
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
                let failed = arm.flared_by_primary[i] || arm.event[i] < primary_week;
                out.change
                    .push(if failed { NON_RESPONSE } else { arm.change[i] });
            }
            return Ok(());
        }
        Strategy::Hypothetical => impute(arm, visits, &mut out.primary, rng)?,
    }
    out.change
        .extend(out.primary.iter().zip(&arm.baseline).map(|(p, b)| p - b));
    Ok(())
}

/// One draw of the primary value for patients whose concomitant therapy
/// started by the primary visit, from the posterior predictive of a
/// regression on the patients without.
fn impute<R: Rng + ?Sized>(
    arm: &ArmData,
    visits: &[f64],
    out: &mut Vec<f64>,
    rng: &mut R,
) -> Result<(), AnalysisFailure> {
    let interim = visits.len() - 1;
    let primary_week = visits[interim];
    let n = arm.primary.len();
    let complete = |i: usize| arm.event[i] >= primary_week;
    // Index of the predictor visit: the number of visits before the event.
    let last_before = |i: usize| {
        visits[..interim]
            .iter()
            .filter(|&&v| v <= arm.event[i])
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
        .ok_or(AnalysisFailure::TooFewPatients)?
        .posterior_draw(rng);
        for j in (0..n).filter(|&j| !complete(j) && last_before(j) == k) {
            let z: f64 = StandardNormal.sample(rng);
            out[j] = fit.predict(arm.baseline[j], second(j)) + fit.sigma * z;
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
    fn posterior_draw<R: Rng + ?Sized>(&self, rng: &mut R) -> Fit {
        let df = self.n - 1.0 - self.p as f64;
        if self.sse <= 0.0 {
            return *self;
        }
        let chi: f64 = ChiSquared::new(df).expect("df >= 1").sample(rng);
        let sigma = (self.sse / chi).sqrt();
        let mut z = || -> f64 { StandardNormal.sample(rng) };
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

/// Rubin's rules: the combined estimate, its total variance and Barnard-Rubin
/// degrees of freedom, from analyses of `results.len()` imputed data sets
/// with `t`-intervals of complete-data df `df_complete`.
///
/// # Errors
/// [`AnalysisFailure::ZeroVariance`] if the analyses have no t interval.
pub fn rubin(
    results: &[TestResult],
    alternative: Alternative,
) -> Result<TestResult, AnalysisFailure> {
    let m = results.len() as f64;
    let mut estimates = crate::summary::Welford::default();
    let (mut within, mut df_complete) = (0.0, f64::INFINITY);
    for r in results {
        let Interval::T { se, df } = r.interval else {
            return Err(AnalysisFailure::ZeroVariance);
        };
        estimates.push(r.estimate);
        within += se * se / m;
        df_complete = df_complete.min(df);
    }
    let between = if results.len() > 1 {
        estimates.m2 / (m - 1.0)
    } else {
        0.0
    };
    let total = within + (1.0 + 1.0 / m) * between;
    if total <= 0.0 {
        return Err(AnalysisFailure::ZeroVariance);
    }
    let gamma = (1.0 + 1.0 / m) * between / total;
    let df = if between > 0.0 {
        let old = (m - 1.0) / (gamma * gamma);
        let observed = (df_complete + 1.0) / (df_complete + 3.0) * df_complete * (1.0 - gamma);
        1.0 / (1.0 / old + 1.0 / observed)
    } else {
        df_complete
    };
    let estimate = estimates.mean;
    let se = total.sqrt();
    Ok(TestResult {
        estimate,
        significance: Significance::T {
            t: estimate / se,
            df,
            alternative,
        },
        interval: Interval::T { se, df },
    })
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
