//! JADAS-27 as the sum of its four parts (Consolaro, Arthritis Rheum 2009):
//! physician global (0-10), parent global (0-10), active joint count (0-27) and
//! normalised ESR (0-10), each kept in range and recorded at its resolution.
//!
//! The model: the latent total (the disease activity the population parameters
//! describe) is shared among the parts in proportion to their ranges, plus
//! part-level scatter (evidence row `jia.jadas27.part_noise`, an assumption)
//! that sums to zero, so the parts add up to the latent total. Parts pushed
//! past a bound are clamped and the excess handed to the parts with room. The
//! globals and ESR are recorded to 0.1 and the joint count as an integer; the
//! ESR part absorbs the rounding where it can, so the recorded total is the
//! latent total, bounded to 0-57 and rounded to 0.1, except near the floor.

/// Ranges of the parts: physician global, parent global, active joints, normalised ESR.
pub const PART_MAX: [f64; 4] = [10.0, 10.0, 27.0, 10.0];
/// JADAS-27 range.
pub const TOTAL_MAX: f64 = 57.0;
/// Scatter of each part around its share of the total (scale units; assumption,
/// evidence row `jia.jadas27.part_noise`).
pub const PART_NOISE_SD: [f64; 4] = [1.5, 1.5, 3.0, 1.5];

use crate::stats::rounding::{round_half_away, round_ties_even_fast};

/// The four parts shared out and scattered, before any is kept in range,
/// and the total scatter.
#[inline(always)]
fn scattered(total: f64, z: [f64; 4]) -> ([f64; 4], f64) {
    let mut p = [0.0; 4];
    let mut scatter = 0.0;
    for i in 0..4 {
        let noise = PART_NOISE_SD[i] * z[i];
        p[i] = PART_MAX[i] / TOTAL_MAX * total + noise;
        scatter += noise;
    }
    // Zero-sum scatter: the shares sum to 1, so the parts sum to the total.
    for i in 0..4 {
        p[i] -= PART_MAX[i] / TOTAL_MAX * scatter;
    }
    (p, scatter)
}

/// The four parts before recording: shared out, scattered, kept in range.
#[inline(always)]
fn unrounded(total: f64, z: [f64; 4]) -> [f64; 4] {
    kept_in_range(scattered(total, z).0)
}

/// Scattered parts kept in range: a part pushed past a bound is clamped and
/// the excess handed to the parts with room.
#[inline(always)]
fn kept_in_range(mut p: [f64; 4]) -> [f64; 4] {
    let mut excess = 0.0;
    for i in 0..4 {
        let kept = p[i].clamp(0.0, PART_MAX[i]);
        excess += p[i] - kept;
        p[i] = kept;
    }
    if excess != 0.0 {
        // |excess| never exceeds the room left, because 0 <= total <= 57.
        let room = |i: usize, p: &[f64; 4]| {
            if excess > 0.0 {
                PART_MAX[i] - p[i]
            } else {
                p[i]
            }
        };
        let total_room: f64 = (0..4).map(|i| room(i, &p)).sum();
        if total_room > 0.0 {
            let q = p;
            for i in 0..4 {
                p[i] = (p[i] + excess * room(i, &q) / total_room).clamp(0.0, PART_MAX[i]);
            }
        }
    }
    p
}

/// The recorded parts in tenths (the joint count in tenths too) and the
/// recorded total in tenths. Tenths are integers held in f64, so sums of
/// them are exact: `round_to(a * 0.1 + b * 0.1, 0.1)` is `(a + b) * 0.1`
/// whenever the sum is far from a tie, as every sum of recorded parts is.
#[inline(always)]
fn tenths(latent: f64, z: [f64; 4]) -> ([f64; 4], f64) {
    let total = latent.clamp(0.0, TOTAL_MAX);
    recorded(total, unrounded(total, z))
}

/// `round_half_away(x / 0.1)`, without the division where `x * 10` lies
/// within 0.4999 of an integer (at least 0.0001 from a half-integer): for
/// `0 <= x <= 57` the quotient and the product differ by under 1e-12, so
/// both round to that integer. Near a half-integer, and for NaN, infinite
/// or large `x` (above 1e8, which the callers never pass), it divides.
#[inline(always)]
fn tenths_of(x: f64) -> f64 {
    let y = x * 10.0;
    if y.abs() < 1e9 {
        let r = round_ties_even_fast(y);
        if (y - r).abs() < 0.4999 {
            return r;
        }
    }
    round_half_away(x / 0.1)
}

/// [`tenths`] from the bounded total and its parts kept in range.
#[inline(always)]
fn recorded(total: f64, p: [f64; 4]) -> ([f64; 4], f64) {
    let t0 = tenths_of(p[0]);
    let t1 = tenths_of(p[1]);
    let joints = round_half_away(p[2]);
    let t2 = joints * 10.0;
    // The ESR part absorbs the rounding: the total to 0.1 minus the others.
    let t3 = (tenths_of(total) - t0 - t1 - t2).clamp(0.0, 100.0);
    ([t0, t1, t2, t3], t0 + t1 + t2 + t3)
}

/// The four recorded parts for a latent total and four standard normals.
pub fn parts(latent: f64, z: &[f64; 4]) -> [f64; 4] {
    let (t, _) = tenths(latent, *z);
    [t[0] * 0.1, t[1] * 0.1, t[2] / 10.0, t[3] * 0.1]
}

/// The recorded JADAS-27: the sum of the recorded parts, to 0.1. Where the
/// parts need no recording to know their sum ([`sum_is_the_total`]), the
/// latent total rounded to tenths; otherwise the parts are kept in range
/// and recorded.
#[inline(always)]
pub fn total(latent: f64, z: &[f64; 4]) -> f64 {
    let total = latent.clamp(0.0, TOTAL_MAX);
    let (p, scatter) = scattered(total, *z);
    let tenths = if sum_is_the_total(&p, scatter) {
        tenths_of(total)
    } else {
        recorded(total, kept_in_range(p)).1
    };
    tenths * 0.1
}

/// Where the normalised ESR part keeps this far from its bounds (scale
/// units) and no part is clamped, the ESR part's rounding (the others'
/// roundings move it by at most 0.65) cannot reach a bound.
const ESR_MARGIN: f64 = 0.7;

/// Largest total scatter (scale units) the shortcut accepts: the parts'
/// rounding error is then below 1e-8, against a margin of 0.05.
const MAX_SCATTER: f64 = 1e6;

/// Whether the recorded parts add up, exactly (integers held in f64), to the
/// latent total rounded to tenths: no scattered part `p` is clamped and the
/// ESR part, which absorbs the others' rounding, stays inside its range.
#[inline(always)]
fn sum_is_the_total(p: &[f64; 4], scatter: f64) -> bool {
    let mut inside = true;
    for i in 0..4 {
        inside &= p[i] >= 0.0 && p[i] <= PART_MAX[i];
    }
    inside &= p[3] >= ESR_MARGIN && p[3] <= PART_MAX[3] - ESR_MARGIN;
    // The parts sum to the total only up to rounding error, which stays far
    // below the margin unless the scatter is astronomically large (normals
    // drawn here never exceed about 14; `total` is public).
    inside && scatter.abs() <= MAX_SCATTER
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The total in tenths by the shortcut, where it applies.
    fn unbounded_total(latent: f64, z: &[f64; 4]) -> Option<f64> {
        let total = latent.clamp(0.0, TOTAL_MAX);
        let (p, scatter) = scattered(total, *z);
        sum_is_the_total(&p, scatter).then(|| round_half_away(total / 0.1))
    }

    fn round_to(x: f64, step: f64) -> f64 {
        (x / step).round() * step
    }

    /// The formulas before recording in tenths, kept as the reference.
    fn reference(latent: f64, z: &[f64; 4]) -> ([f64; 4], f64) {
        let total = latent.clamp(0.0, TOTAL_MAX);
        let mut p = unrounded(total, *z);
        p[0] = round_to(p[0], 0.1);
        p[1] = round_to(p[1], 0.1);
        p[2] = p[2].round();
        p[3] = round_to(round_to(total, 0.1) - p[0] - p[1] - p[2], 0.1).clamp(0.0, PART_MAX[3]);
        (p, round_to(p.iter().sum(), 0.1))
    }

    /// The division-free tenths are the divided ones, bit for bit: at and
    /// around every tie of the range (each half-tenth and its neighbours a
    /// few ulps away, from both sides) and at random points.
    #[test]
    fn tenths_without_division_are_the_divided_tenths() {
        let check = |x: f64| {
            assert_eq!(
                tenths_of(x).to_bits(),
                round_half_away(x / 0.1).to_bits(),
                "{x:e}"
            );
        };
        for k in 0..=570 {
            for tie in [
                (f64::from(k) + 0.5) * 0.1,
                (f64::from(k) + 0.5) / 10.0,
                f64::from(k) * 0.1,
            ] {
                let mut up = tie;
                let mut down = tie;
                for _ in 0..8 {
                    check(up);
                    check(down);
                    up = up.next_up();
                    down = down.next_down();
                }
            }
        }
    }

    proptest! {
        #[test]
        fn tenths_without_division_hold_anywhere_in_range(x in 0.0f64..=57.0) {
            prop_assert_eq!(tenths_of(x).to_bits(), round_half_away(x / 0.1).to_bits());
        }
    }

    /// Regression (found in review): NaN, infinities and huge values go to
    /// the division, as before, rather than to the fast rounding (whose
    /// debug assertion they would trip).
    #[test]
    fn tenths_of_values_no_caller_passes_are_the_divided_ones() {
        for x in [
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            -0.0,
            1e13,
            -1e13,
            3.3e10,
            f64::MAX,
            5e-324,
        ] {
            let (a, b) = (tenths_of(x), round_half_away(x / 0.1));
            assert!(
                a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan()),
                "{x:e}: {a} {b}"
            );
        }
    }

    /// Regression (found in review): scatter so large that the parts' sum
    /// loses the total to cancellation must not take the shortcut.
    #[test]
    fn huge_cancelling_scatter_takes_the_recorded_path() {
        let latent = 11.521307345980084;
        let z = [
            183514303224351.03,
            183514303224351.7,
            247744309352874.5,
            183514303224350.34,
        ];
        assert_eq!(unbounded_total(latent, &z), None);
        assert_eq!(
            total(latent, &z).to_bits(),
            reference(latent, &z).1.to_bits()
        );
    }

    /// A grid over the range, ties of the total in tenths included: the
    /// shortcut applies at most points and agrees with the reference at all.
    #[test]
    fn the_shortcut_agrees_with_the_reference_on_a_grid() {
        let mut shortcut = 0;
        let zs = [-3.0, -1.7, -0.45, 0.0, 0.3, 1.05, 2.2];
        for step in -20..=600 {
            for latent in [
                step as f64 * 0.1,
                step as f64 * 0.1 + 0.05,
                step as f64 * 0.1 + 0.049_999,
            ] {
                for &a in &zs {
                    for &b in &zs {
                        for &c in &zs {
                            let z = [a, b, c, -a * 0.5 + 0.1];
                            shortcut += usize::from(unbounded_total(latent, &z).is_some());
                            assert_eq!(
                                total(latent, &z).to_bits(),
                                reference(latent, &z).1.to_bits(),
                                "{latent} {z:?}"
                            );
                        }
                    }
                }
            }
        }
        assert!(shortcut > 200_000, "the shortcut applied {shortcut} times");
    }

    proptest! {
        /// Recording in tenths gives the reference's values exactly (a part
        /// the reference recorded as -0.0 is now 0.0) and its total's bits.
        #[test]
        fn tenths_give_the_reference_bits(
            latent in -30.0f64..90.0,
            z in proptest::array::uniform4(-6.0f64..6.0),
        ) {
            let (p, t) = reference(latent, &z);
            prop_assert_eq!(parts(latent, &z), p);
            prop_assert_eq!(total(latent, &z).to_bits(), t.to_bits());
        }

        #[test]
        fn every_part_stays_in_range_and_the_total_is_their_sum(
            latent in -30.0f64..90.0,
            z in proptest::array::uniform4(-6.0f64..6.0),
        ) {
            let p = parts(latent, &z);
            for i in 0..4 {
                prop_assert!(p[i] >= 0.0 && p[i] <= PART_MAX[i], "part {i} = {}", p[i]);
            }
            prop_assert_eq!(p[2], p[2].round(), "active joints are counted");
            let t = total(latent, &z);
            prop_assert!((0.0..=TOTAL_MAX).contains(&t));
            prop_assert!((t - p.iter().sum::<f64>()).abs() < 1e-9);
        }

        /// The shortcut that skips recording the parts gives the same bits
        /// as recording them, wherever it applies.
        #[test]
        fn the_unbounded_shortcut_gives_the_recorded_bits(
            latent in -30.0f64..90.0,
            z in proptest::array::uniform4(-6.0f64..6.0),
        ) {
            if let Some(t) = unbounded_total(latent, &z) {
                prop_assert_eq!((t * 0.1).to_bits(), (tenths(latent, z).1 * 0.1).to_bits());
                prop_assert_eq!(t.to_bits(), tenths(latent, z).1.to_bits());
            }
        }

        /// Where no part reaches a bound (mid-range totals, scatter within one
        /// SD), the recorded total is the latent total to 0.1.
        #[test]
        fn mid_range_totals_are_preserved(
            latent in 20.0f64..36.0,
            z in proptest::array::uniform4(-1.0f64..1.0),
        ) {
            let t = total(latent, &z);
            prop_assert!((t - (latent * 10.0).round() / 10.0).abs() < 1e-9, "{latent} -> {t} ({:?})", parts(latent, &z));
        }
    }
}
