//! Rounding without libm: on a baseline x86-64 target (no SSE4.1)
//! `f64::round` and `f64::ceil` are library calls, and these run for every
//! recorded value, flare and curve point. Each gives the library's value.

/// Rounds to the nearest integer, ties to even, for `|x| < 2^51`: adding and
/// subtracting 1.5 * 2^52 leaves no fraction bits. Unlike `f64::round` this
/// needs no libm call on baseline x86-64 (no SSE4.1), and it runs for every
/// recorded value. Bounded scales keep `x` far inside the valid range.
#[inline]
pub fn round_ties_even_fast(x: f64) -> f64 {
    const MAGIC: f64 = 6_755_399_441_055_744.0;
    debug_assert!(x.abs() < 2f64.powi(51));
    (x + MAGIC) - MAGIC
}

/// `x.round()` (ties away from zero), without the libm call that
/// `f64::round` costs on a baseline x86-64 target: round to nearest even by
/// the magic-number trick, then move exact ties away from zero. The same
/// value as `f64::round` for every `x` (checked in the tests), except that a
/// small negative `x` rounds to +0.0 where `round` gives -0.0 (equal values).
#[inline(always)]
pub fn round_half_away(x: f64) -> f64 {
    if x.is_nan() || x.abs() >= 2f64.powi(51) {
        return x.round();
    }
    let r = round_ties_even_fast(x);
    // x - r is exact here; it is +-0.5 only at a tie.
    let d = x - r;
    if d == 0.5 && x > 0.0 {
        r + 1.0
    } else if d == -0.5 && x < 0.0 {
        r - 1.0
    } else {
        r
    }
}

/// `x.ceil() as usize` for `x >= 0` (the saturating cast included), without
/// the libm call: the integer part, plus one where a fraction is left.
#[inline(always)]
pub fn ceil_index(x: f64) -> usize {
    let i = x as usize;
    if (i as f64) < x {
        i.saturating_add(1)
    } else {
        i
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The fast rounding is `f64::round`, ties included (the sign of a
        /// zero may differ: equal values).
        #[test]
        fn round_half_away_is_round(x in -1e6f64..1e6, k in -1000i32..1000, big in -1e300f64..1e300) {
            for v in [x, f64::from(k) + 0.5, f64::from(k) - 0.5, f64::from(k), x * 1e-9, big, -0.4, 0.49999999999999994] {
                proptest::prop_assert_eq!(round_half_away(v).to_bits() & !(1u64 << 63) , v.round().to_bits() & !(1u64 << 63));
                proptest::prop_assert_eq!(round_half_away(v), v.round());
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn ceil_index_is_ceil(x in 0.0f64..1e6, k in 0u32..100_000, big in 0.0f64..1e300) {
            for v in [x, f64::from(k), f64::from(k) + 1e-9, f64::from(k) - 1e-9, x * 1e-12, big, 0.0] {
                if v >= 0.0 {
                    proptest::prop_assert_eq!(ceil_index(v), v.ceil() as usize, "{}", v);
                }
            }
        }
    }
}
