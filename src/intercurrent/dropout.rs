//! Dropout: the week a child leaves the trial, from a constant hazard per
//! arm that may change after the child's first flare (informative dropout:
//! families whose child flares are more likely to leave, an assumption the
//! scenario states and sizes with `hazard_ratio_after_flare`).
//!
//! With hazard `d` before the first flare `F` and `k d` after it, the
//! dropout week is `E / d` when that comes before `F`, and otherwise
//! `F + (E - d F) / (k d)`, for one unit exponential `E` per child: the
//! inverse of the cumulative hazard. Without flares the share gone by week
//! `T` is `1 - exp(-d T)`.

use rand_distr::{Distribution, Exp1};

use crate::design::{Arm, Arms};
use crate::rng::Stream;
use crate::scenario::Dropout;

/// `[dropout]`, prepared.
#[derive(Debug, Clone, Copy)]
pub struct DropoutModel {
    hazard: Arms<f64>,
    after_flare: f64,
}

impl DropoutModel {
    pub fn new(d: &Dropout) -> DropoutModel {
        DropoutModel {
            hazard: d.hazard,
            after_flare: d.after_flare,
        }
    }

    /// Each arm's dropout hazard per week before a flare.
    pub fn hazard(&self) -> Arms<f64> {
        self.hazard
    }

    /// The week a child in `arm` whose first flare came at `first_flare`
    /// (infinite if none) leaves; infinite if never. Draws one exponential.
    #[inline]
    pub fn week(&self, arm: Arm, first_flare: f64, rng: &mut Stream) -> f64 {
        let e: f64 = Exp1.sample(rng);
        let d = self.hazard[arm];
        if d == 0.0 {
            return f64::INFINITY;
        }
        let before = e / d;
        if before <= first_flare || self.after_flare == 1.0 {
            before
        } else if self.after_flare == 0.0 {
            f64::INFINITY
        } else {
            first_flare + (e - d * first_flare) / (d * self.after_flare)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dropout_after_a_flare_follows_the_raised_hazard() {
        let m = DropoutModel {
            hazard: Arms::both(0.1),
            after_flare: 4.0,
        };
        // E / d = 10 for the unit exponential E = 1 below: before a flare at
        // week 20 the child leaves at 10; with a flare at week 5 the remaining
        // hazard 1 - 0.5 = 0.5 is used up at 0.4 a week, 1.25 weeks later.
        let mut rng = Stream::new(1, [0, 0], 0, 0);
        let e: f64 = Exp1.sample(&mut rng);
        let mut rng = Stream::new(1, [0, 0], 0, 0);
        let early = m.week(Arm::Msc, 1e9, &mut rng);
        assert!((early - e / 0.1).abs() < 1e-12);
        let mut rng = Stream::new(1, [0, 0], 0, 0);
        let flare = e / 0.1 / 2.0;
        let late = m.week(Arm::Msc, flare, &mut rng);
        assert!((late - (flare + (e - 0.1 * flare) / 0.4)).abs() < 1e-12);
        assert!(late > flare && late < e / 0.1);
    }
}
