//! ANCOVA pooled over strata: `y ~ arm + stratum + stratum:baseline`, by OLS,
//! with a t-test on the common arm coefficient (N - 2K - 1 degrees of freedom
//! for K strata). Used for a trial pooled across diseases, whose values the
//! engine has put in SD units of each stratum's change.
//!
//! By Frisch-Waugh-Lovell the arm coefficient is found by removing each
//! stratum's own intercept and baseline slope from `y` and from the arm
//! indicator, then regressing residual on residual: a handful of sums per
//! stratum, no matrix.

use super::{
    Alternative, Analysis, AnalysisFailure, ArmView, Interval, Scratch, Significance, TestResult,
};
use crate::scenario::MAX_STRATA;

/// Sums over one stratum (both arms); `a` is 1 for MSC, 0 for control.
#[derive(Debug, Clone, Copy, Default)]
struct Sums {
    n: f64,
    x: f64,
    y: f64,
    a: f64,
    xx: f64,
    xy: f64,
    xa: f64,
    ya: f64,
    yy: f64,
}

impl Sums {
    #[inline]
    fn add(&mut self, x: f64, y: f64, a: f64) {
        self.n += 1.0;
        self.x += x;
        self.y += y;
        self.a += a;
        self.xx += x * x;
        self.xy += x * y;
        self.xa += x * a;
        self.ya += y * a;
        self.yy += y * y;
    }
}

/// Stratified ANCOVA of arm 1 (`baseline1`, `y1`, `stratum1`) against arm 0.
///
/// # Errors
/// [`AnalysisFailure::TooFewPatients`] if a stratum lacks patients in an arm
/// or there are no residual degrees of freedom; [`AnalysisFailure::ZeroVariance`]
/// if the model fits exactly. A stratum whose baseline does not vary keeps
/// its intercept and loses its slope.
pub fn stratified_ancova(
    arm1: (&[f64], &[f64], &[u8]),
    arm0: (&[f64], &[f64], &[u8]),
    alternative: Alternative,
) -> Result<TestResult, AnalysisFailure> {
    let mut sums = [Sums::default(); MAX_STRATA];
    let mut used = 0usize;
    for ((baseline, y, stratum), a) in [(arm1, 1.0), (arm0, 0.0)] {
        for ((&x, &yi), &k) in baseline.iter().zip(y).zip(stratum) {
            sums[k as usize].add(x, yi, a);
            used = used.max(k as usize + 1);
        }
    }
    let (mut raa, mut rya, mut ryy, mut n, mut slopes) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for s in &sums[..used] {
        if s.a < 1.0 || s.n - s.a < 1.0 {
            return Err(AnalysisFailure::TooFewPatients);
        }
        let sxa = s.xa - s.x * s.a / s.n;
        let sxy = s.xy - s.x * s.y / s.n;
        let saa = s.a - s.a * s.a / s.n;
        let sya = s.ya - s.y * s.a / s.n;
        let syy = s.yy - s.y * s.y / s.n;
        let sxx = s.xx - s.x * s.x / s.n;
        raa += saa;
        rya += sya;
        ryy += syy;
        // A baseline constant within the stratum is aliased with its
        // intercept: its slope is dropped (as R's lm reports NA), not fitted.
        if sxx > 1e-12 * (1.0 + s.xx) {
            raa -= sxa * sxa / sxx;
            rya -= sxy * sxa / sxx;
            ryy -= sxy * sxy / sxx;
            slopes += 1.0;
        }
        n += s.n;
    }
    let df = n - used as f64 - slopes - 1.0;
    if df < 1.0 || raa <= 0.0 {
        return Err(AnalysisFailure::TooFewPatients);
    }
    let estimate = rya / raa;
    let sse = (ryy - rya * estimate).max(0.0);
    let s2 = sse / df;
    if s2 <= 0.0 {
        return Err(AnalysisFailure::ZeroVariance);
    }
    let t = estimate / (s2 / raa).sqrt();
    Ok(TestResult {
        estimate,
        significance: Significance::T { t, df, alternative },
        interval: Interval::T {
            se: (s2 / raa).sqrt(),
            df,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::ancova::ancova;

    #[test]
    fn one_stratum_is_plain_ancova() {
        let b1 = [10.0, 12.0, 9.0, 14.0, 11.0, 8.0];
        let y1 = [6.0, 9.0, 5.0, 10.0, 8.0, 4.0];
        let b0 = [11.0, 13.0, 10.0, 9.0, 12.0, 15.0, 8.0];
        let y0 = [9.0, 12.0, 9.0, 7.0, 11.0, 13.0, 8.0];
        let r = stratified_ancova(
            (&b1, &y1, &[0; 6]),
            (&b0, &y0, &[0; 7]),
            Alternative::TwoSided,
        )
        .unwrap();
        let plain = ancova(&b1, &y1, &b0, &y0, Alternative::TwoSided).unwrap();
        assert!((r.estimate - plain.estimate).abs() < 1e-12);
        assert!((r.p_value() - plain.p_value()).abs() < 1e-12);
    }

    #[test]
    fn matches_least_squares_with_two_strata() {
        // Reference: numpy lstsq of y ~ arm + s1 + s2 + s1:x + s2:x, t on arm
        // with 20 - 5 = 15 df (scipy 1.17.1).
        let b1 = [1.0, 2.0, 3.0, 4.0, 5.0, 10.0, 12.0, 11.0, 14.0, 13.0];
        let y1 = [0.5, 1.9, 2.2, 3.1, 4.8, 7.0, 9.5, 8.1, 10.2, 9.9];
        let s1 = [0, 0, 0, 0, 0, 1, 1, 1, 1, 1];
        let b0 = [1.5, 2.5, 3.5, 4.5, 2.0, 11.0, 10.5, 13.0, 12.5, 14.5];
        let y0 = [1.6, 2.9, 3.1, 4.9, 2.7, 9.5, 9.1, 11.8, 10.9, 13.1];
        let r = stratified_ancova((&b1, &y1, &s1), (&b0, &y0, &s1), Alternative::TwoSided).unwrap();
        assert!((r.estimate - REF_ESTIMATE).abs() < 1e-10, "{}", r.estimate);
        assert!((r.p_value() - REF_P).abs() < 1e-10, "{}", r.p_value());
    }

    #[test]
    fn a_constant_baseline_stratum_loses_its_slope_not_the_replicate() {
        // Stratum 1's baseline is constant: the fit is y ~ arm + s0 + s1 + s0:x
        // with 20 - 4 = 16 df (numpy lstsq, scipy 1.17.1 t on the arm coefficient).
        let b1 = [1.0, 2.0, 3.0, 4.0, 5.0, 10.0, 10.0, 10.0, 10.0, 10.0];
        let y1 = [0.5, 1.9, 2.2, 3.1, 4.8, 7.0, 9.5, 8.1, 10.2, 9.9];
        let s1 = [0, 0, 0, 0, 0, 1, 1, 1, 1, 1];
        let b0 = [1.5, 2.5, 3.5, 4.5, 2.0, 10.0, 10.0, 10.0, 10.0, 10.0];
        let y0 = [1.6, 2.9, 3.1, 4.9, 2.7, 9.5, 9.1, 11.8, 10.9, 13.1];
        let r = stratified_ancova((&b1, &y1, &s1), (&b0, &y0, &s1), Alternative::TwoSided).unwrap();
        assert!(
            (r.estimate - CONST_ESTIMATE).abs() < 1e-10,
            "{}",
            r.estimate
        );
        assert!((r.p_value() - CONST_P).abs() < 1e-10, "{}", r.p_value());
    }

    const CONST_ESTIMATE: f64 = -1.338_044_164_037_855_3;
    const CONST_P: f64 = 0.019_352_529_318_448_917;

    const REF_ESTIMATE: f64 = -1.196_643_227_496_467_8;
    const REF_P: f64 = 3.139_207_024_697_171e-5;
}

/// ANCOVA with a stratum term and a slope per stratum, for pooled trials.
#[derive(Debug, Clone)]
pub struct Stratified {
    pub alternative: Alternative,
}

impl Analysis for Stratified {
    #[inline]
    fn analyse(
        &self,
        msc: ArmView<'_>,
        control: ArmView<'_>,
        _: &mut Scratch,
    ) -> Result<TestResult, AnalysisFailure> {
        stratified_ancova(
            (msc.baseline, msc.primary, msc.stratum),
            (control.baseline, control.primary, control.stratum),
            self.alternative,
        )
    }
}
