//! Wilson's score interval for a proportion: the 95% interval of power and
//! other rates, and the building block of Newcombe's interval for a risk
//! difference.

/// 97.5% standard normal quantile.
pub const Z_975: f64 = 1.959_963_984_540_054;

/// Wilson score interval for `k` successes in `n` trials at 95%.
pub fn wilson_interval(k: u64, n: u64) -> (f64, f64) {
    if n == 0 {
        return (f64::NAN, f64::NAN);
    }
    let n = n as f64;
    let p = k as f64 / n;
    let z2 = Z_975 * Z_975;
    let centre = (p + z2 / (2.0 * n)) / (1.0 + z2 / n);
    let half = Z_975 / (1.0 + z2 / n) * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_known_value() {
        // 8 of 10 at 95%: (0.4902, 0.9433) (Newcombe, Stat Med 1998, Table I style).
        let (lo, hi) = wilson_interval(8, 10);
        assert!((lo - 0.4902).abs() < 1e-4, "{lo}");
        assert!((hi - 0.9433).abs() < 1e-4, "{hi}");
        assert_eq!(wilson_interval(0, 5).0, 0.0);
    }
}
