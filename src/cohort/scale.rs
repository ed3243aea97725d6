//! Endpoint scales: the bounds and resolution a value is recorded at, and
//! what that means for selecting patients on their recorded baseline.

use statrs::distribution::{ContinuousCDF, Normal};

use crate::scenario::EndpointKind;

/// An endpoint scale: its bounds and the resolution it is recorded at.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Scale {
    pub kind: EndpointKind,
    pub min: f64,
    pub max: f64,
    /// Values are rounded to a multiple of this; 0 means no rounding.
    pub step: f64,
}

impl Scale {
    /// The scale of an endpoint kind.
    pub fn of(kind: EndpointKind) -> Scale {
        let (min, max, step) = match kind {
            EndpointKind::Continuous => (f64::NEG_INFINITY, f64::INFINITY, 0.0),
            // SLEDAI-2K: integer score 0-105 (Gladman, J Rheumatol 2002).
            EndpointKind::Sledai2k => (0.0, 105.0, 1.0),
            // JADAS-27: 0-57 (Consolaro, Arthritis Rheum 2009); ESR part is continuous,
            // so the total is kept to one decimal.
            EndpointKind::Jadas27 => (0.0, 57.0, 0.1),
            // Patient/parent global assessment: 0-10 numeric rating scale.
            EndpointKind::Pga => (0.0, 10.0, 1.0),
        };
        Scale {
            kind,
            min,
            max,
            step,
        }
    }

    /// The value a clinician would record for a latent value: kept within the
    /// scale's bounds and rounded to the nearest step (ties to even).
    #[inline]
    pub fn observe(&self, latent: f64) -> f64 {
        let bounded = latent.clamp(self.min, self.max);
        if self.step > 0.0 {
            round_ties_even_fast(bounded / self.step) * self.step
        } else {
            bounded
        }
    }

    /// The lowest latent value whose recorded value exceeds `c`: the next
    /// recordable value above `c`, less half a step (for the continuous scale, `c`).
    pub fn enrolment_cut(&self, c: f64) -> f64 {
        if self.step > 0.0 {
            let next = ((c / self.step + 1e-9).floor() + 1.0) * self.step;
            next - self.step / 2.0
        } else {
            c
        }
    }

    /// Width of the scale (infinite for the continuous endpoint).
    pub fn range(&self) -> f64 {
        self.max - self.min
    }
}

/// Rounds to the nearest integer, ties to even, for `|x| < 2^51`: adding and
/// subtracting 1.5 * 2^52 leaves no fraction bits. Unlike `f64::round` this
/// needs no libm call on baseline x86-64 (no SSE4.1), and it runs for every
/// recorded value. Bounded scales keep `x` far inside the valid range.
#[inline]
pub(crate) fn round_ties_even_fast(x: f64) -> f64 {
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
pub(crate) fn round_half_away(x: f64) -> f64 {
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

/// Probability that a patient's measured baseline exceeds `c`: the latent
/// baseline must reach the lowest recordable value above `c`, less half a step.
pub fn enrolment_share(scale: &Scale, mean: f64, sd: f64, c: f64) -> f64 {
    let cut = scale.enrolment_cut(c);
    if sd == 0.0 {
        return if mean >= cut { 1.0 } else { 0.0 };
    }
    Normal::new(mean, sd).expect("sd > 0").sf(cut)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_round_and_bound() {
        let s = Scale::of(EndpointKind::Sledai2k);
        assert_eq!(s.observe(-3.2), 0.0);
        assert_eq!(s.observe(4.49), 4.0);
        assert_eq!(s.observe(4.51), 5.0);
        assert_eq!(s.observe(2.5), 2.0);
        assert_eq!(s.observe(3.5), 4.0);
        assert_eq!(s.observe(400.0), 105.0);
        let j = Scale::of(EndpointKind::Jadas27);
        assert!((j.observe(12.34) - 12.3).abs() < 1e-12);
        assert_eq!(j.observe(60.0), 57.0);
        let c = Scale::of(EndpointKind::Continuous);
        assert_eq!(c.observe(-1e300), -1e300);
        assert_eq!(c.observe(0.123456789), 0.123456789);
    }

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
}
