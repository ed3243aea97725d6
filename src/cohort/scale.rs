//! Endpoint scales: the bounds and resolution a value is recorded at, and
//! what that means for selecting patients on their recorded baseline.

use statrs::distribution::{ContinuousCDF, Normal};

use crate::scenario::EndpointKind;
use crate::stats::rounding::round_ties_even_fast;

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
}
