//! `u < Phi(x)` without an `erf` call where the answer is clear: a uniform
//! draw is compared with the standard normal CDF once per child (whose
//! product fails, `[manufacturing]`), and `statrs`'s CDF was a quarter of
//! that workload. A table of `Phi` every 1/64 over [-8, 8], interpolated
//! linearly, is within 7.4e-6 of it (`h^2 / 8 * max |Phi''|`, with
//! `max |Phi''| = phi(1) < 0.242`); where `u` is further than
//! [`MARGIN`] from the interpolated value the comparison is decided there,
//! and otherwise (and outside the table) by `statrs` itself, so the answer
//! is always the one `u < Normal::standard().cdf(x)` gives.

use std::sync::OnceLock;

use statrs::distribution::{ContinuousCDF, Normal};

/// Left end of the table.
const LO: f64 = -8.0;
/// Table points per unit of `x`.
const PER_UNIT: f64 = 64.0;
/// Points from -8 to 8.
const POINTS: usize = 1025;
/// Distance from the interpolated CDF beyond which the table decides:
/// above the interpolation error against `statrs`'s values (at most 7.4e-6;
/// `statrs` itself is within about 3e-11 of the true CDF, which does not
/// enter, since the table holds `statrs`'s values), with room to spare.
pub const MARGIN: f64 = 1e-5;

fn table() -> &'static [f64; POINTS] {
    static TABLE: OnceLock<[f64; POINTS]> = OnceLock::new();
    TABLE.get_or_init(|| {
        let phi = Normal::standard();
        std::array::from_fn(|i| phi.cdf(LO + i as f64 / PER_UNIT))
    })
}

/// Whether `u < Normal::standard().cdf(x)`, the same answer for every `u`
/// and `x`.
#[inline]
pub fn below_normal_cdf(u: f64, x: f64) -> bool {
    let t = (x - LO) * PER_UNIT;
    if t >= 0.0 && t < (POINTS - 1) as f64 {
        let values = table();
        let i = t as usize;
        let f = t - i as f64;
        let near = values[i] + f * (values[i + 1] - values[i]);
        if u < near - MARGIN {
            return true;
        }
        if u > near + MARGIN {
            return false;
        }
    }
    u < Normal::standard().cdf(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exact(u: f64, x: f64) -> bool {
        u < Normal::standard().cdf(x)
    }

    /// The interpolation stays within the stated error everywhere in the
    /// table's range (checked at 64 points between each pair).
    #[test]
    fn interpolation_error_is_below_the_margin() {
        let phi = Normal::standard();
        let mut worst = 0.0f64;
        for k in 0..(POINTS - 1) * 64 {
            let x = LO + k as f64 / (PER_UNIT * 64.0) + 1.0 / (PER_UNIT * 128.0);
            let t = (x - LO) * PER_UNIT;
            let (i, f) = (t as usize, t - (t as usize) as f64);
            let near = table()[i] + f * (table()[i + 1] - table()[i]);
            worst = worst.max((near - phi.cdf(x)).abs());
        }
        assert!(worst < 7.5e-6 && worst > 1e-6, "worst {worst}");
    }

    /// Right at the CDF, just either side of it, and far from it, inside
    /// and outside the table: the same answer as `statrs`.
    #[test]
    fn the_answer_is_statrs_answer_near_and_far() {
        let phi = Normal::standard();
        for k in -1200..=1200 {
            let x = k as f64 / 100.0 + 0.003;
            let c = phi.cdf(x);
            for u in [
                c,
                c - 1e-12,
                c + 1e-12,
                c - 9e-6,
                c + 9e-6,
                c - 1.1e-5,
                c + 1.1e-5,
                c * 0.5,
                (c + 1.0) / 2.0,
                0.0,
                1.0,
            ] {
                assert_eq!(below_normal_cdf(u, x), exact(u, x), "u {u} x {x}");
            }
        }
        for x in [
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            -8.0,
            8.0,
            7.999_999,
        ] {
            for u in [0.0, 0.3, 0.5, 0.999, 1.0] {
                assert_eq!(below_normal_cdf(u, x), exact(u, x), "u {u} x {x}");
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn agrees_with_statrs(u in 0.0f64..1.0, x in -12.0f64..12.0) {
            proptest::prop_assert_eq!(below_normal_cdf(u, x), exact(u, x));
        }
    }
}
