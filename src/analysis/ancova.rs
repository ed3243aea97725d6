//! ANCOVA: primary-visit value ~ arm + baseline, by ordinary least squares,
//! with a t-test on the arm coefficient (N - 3 degrees of freedom).
//!
//! Closed form with a common within-arm slope, so no matrix is built:
//! `beta = Sxy / Sxx` (pooled within arms), the arm effect is
//! `(ybar1 - ybar0) - beta (xbar1 - xbar0)`, and its variance is
//! `s^2 (1/n1 + 1/n0 + (xbar1 - xbar0)^2 / Sxx)`. When the baseline does not
//! vary within arms the covariate is aliased (as R's `lm` reports it) and the
//! model falls back to the difference in means with N - 2 degrees of freedom.

use super::{
    Alternative, Analysis, AnalysisFailure, ArmView, Interval, Scratch, Significance, TestResult,
};

/// Summary of one arm for ANCOVA: size, means and centred sums of squares.
#[derive(Debug, Clone, Copy)]
struct ArmMoments {
    n: f64,
    mean_x: f64,
    mean_y: f64,
    sxx: f64,
    sxy: f64,
    syy: f64,
}

fn moments(x: &[f64], y: &[f64]) -> ArmMoments {
    let n = x.len() as f64;
    let mean_x = x.iter().sum::<f64>() / n;
    let mean_y = y.iter().sum::<f64>() / n;
    let (mut sxx, mut sxy, mut syy) = (0.0, 0.0, 0.0);
    for (&xi, &yi) in x.iter().zip(y) {
        let (dx, dy) = (xi - mean_x, yi - mean_y);
        sxx += dx * dx;
        sxy += dx * dy;
        syy += dy * dy;
    }
    ArmMoments {
        n,
        mean_x,
        mean_y,
        sxx,
        sxy,
        syy,
    }
}

/// ANCOVA estimate of the arm-1 minus arm-0 difference in `y` adjusted for `x`.
///
/// # Errors
/// [`AnalysisFailure::TooFewPatients`] if an arm has fewer than 2 patients,
/// [`AnalysisFailure::ZeroVariance`] if the model fits the data exactly.
pub fn ancova(
    baseline1: &[f64],
    y1: &[f64],
    baseline0: &[f64],
    y0: &[f64],
    alternative: Alternative,
) -> Result<TestResult, AnalysisFailure> {
    if baseline1.len() < 2 || baseline0.len() < 2 {
        return Err(AnalysisFailure::TooFewPatients);
    }
    let a = moments(baseline1, y1);
    let b = moments(baseline0, y0);
    let sxx = a.sxx + b.sxx;
    let sxy = a.sxy + b.sxy;
    let syy = a.syy + b.syy;
    let n = a.n + b.n;
    let raw_diff = a.mean_y - b.mean_y;
    let dx = a.mean_x - b.mean_x;
    // Relative test: a baseline that is constant within arms leaves only rounding noise.
    let aliased = sxx <= 1e-12 * (1.0 + a.mean_x.abs() + b.mean_x.abs()).powi(2);
    let (estimate, sse, df, leverage) = if aliased {
        (raw_diff, syy, n - 2.0, 1.0 / a.n + 1.0 / b.n)
    } else {
        let beta = sxy / sxx;
        (
            raw_diff - beta * dx,
            (syy - sxy * beta).max(0.0),
            n - 3.0,
            1.0 / a.n + 1.0 / b.n + dx * dx / sxx,
        )
    };
    let s2 = sse / df;
    if s2.partial_cmp(&0.0) != Some(std::cmp::Ordering::Greater) {
        return Err(AnalysisFailure::ZeroVariance);
    }
    let se = (s2 * leverage).sqrt();
    let t = estimate / se;

    Ok(TestResult {
        estimate,
        significance: Significance::T { t, df, alternative },
        interval: Interval::T { se, df },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // Reference: numpy least squares of y ~ 1 + arm + baseline, t on the arm
    // coefficient with 10 df (scipy 1.17.1).
    const B1: [f64; 6] = [10.0, 12.0, 9.0, 14.0, 11.0, 8.0];
    const Y1: [f64; 6] = [6.0, 9.0, 5.0, 10.0, 8.0, 4.0];
    const B0: [f64; 7] = [11.0, 13.0, 10.0, 9.0, 12.0, 15.0, 8.0];
    const Y0: [f64; 7] = [9.0, 12.0, 9.0, 7.0, 11.0, 13.0, 8.0];

    #[test]
    fn matches_least_squares() {
        let r = ancova(&B1, &Y1, &B0, &Y0, Alternative::TwoSided).unwrap();
        assert!(
            (r.estimate - -2.405_891_980_360_065_6).abs() < 1e-12,
            "{}",
            r.estimate
        );
        assert!(
            (r.p_value() - 8.518_151_446_358_244e-5).abs() < 1e-12,
            "{}",
            r.p_value()
        );
        let less = ancova(&B1, &Y1, &B0, &Y0, Alternative::Less).unwrap();
        assert!((less.p_value() - 4.259_075_723_179_122e-5).abs() < 1e-12);
    }

    #[test]
    fn constant_baseline_falls_back_to_difference_in_means() {
        let b = [5.0; 4];
        let r = ancova(
            &b,
            &[1.0, 2.0, 3.0, 4.0],
            &b,
            &[3.0, 4.0, 5.0, 6.0],
            Alternative::TwoSided,
        )
        .unwrap();
        assert_eq!(r.estimate, -2.0);
        // Pooled t with 6 df: t = -2 / sqrt(5/3 * 0.5) = -2.191; p = 0.0710 (R t.test var.equal).
        assert!((r.p_value() - 0.071_0).abs() < 1e-3, "{}", r.p_value());
    }
}

/// ANCOVA of the primary value on arm and baseline.
#[derive(Debug, Clone)]
pub struct Ancova {
    pub alternative: Alternative,
}

impl Analysis for Ancova {
    #[inline]
    fn analyse(
        &self,
        msc: ArmView<'_>,
        control: ArmView<'_>,
        _: &mut Scratch,
    ) -> Result<TestResult, AnalysisFailure> {
        ancova(
            msc.baseline,
            msc.primary,
            control.baseline,
            control.primary,
            self.alternative,
        )
    }
}
