//! Piecewise-constant flare hazards over trial weeks: the one hazard type,
//! used for what a scenario file gives and for each arm's merged schedule.
//! Week numbers count from the first infusion (trial weeks), whatever phase
//! of standard therapy a piece belongs to.

use crate::scenario::intercurrent::StandardTherapy;

/// A piecewise-constant hazard per week: `rates[i]` from `starts[i]` on.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Piecewise {
    pub starts: Vec<f64>,
    pub rates: Vec<f64>,
}

impl Piecewise {
    /// A constant hazard.
    pub fn constant(rate: f64) -> Piecewise {
        Piecewise {
            starts: vec![0.0],
            rates: vec![rate],
        }
    }

    /// The hazard at week `t`.
    pub fn at(&self, t: f64) -> f64 {
        let i = self.starts.partition_point(|&s| s <= t);
        self.rates[i.saturating_sub(1)]
    }

    /// The cumulative hazard from week 0 to week `end`.
    pub fn cumulative(&self, end: f64) -> f64 {
        let mut total = 0.0;
        for (i, (&start, &rate)) in self.starts.iter().zip(&self.rates).enumerate() {
            let stop = self
                .starts
                .get(i + 1)
                .copied()
                .unwrap_or(f64::INFINITY)
                .min(end);
            if stop > start {
                total += rate * (stop - start);
            }
        }
        total
    }

    /// Whether the hazard is zero everywhere.
    pub fn is_zero(&self) -> bool {
        self.rates.iter().all(|&r| r == 0.0)
    }

    /// One arm's hazard schedule: the pieces of `on`, `taper` and `off` merged
    /// over trial weeks. A withdrawing arm is on standard therapy until
    /// `withdraw_week`, tapers for `taper_weeks`, then is off; every piece's
    /// `from_week` counts trial weeks, whatever phase it belongs to.
    pub fn for_arm(t: &StandardTherapy, withdraws: bool) -> Piecewise {
        let mut cuts: Vec<f64> = t
            .hazard_on
            .starts
            .iter()
            .chain(&t.hazard_off.starts)
            .chain(t.hazard_taper.iter().flat_map(|p| p.starts.iter()))
            .copied()
            .chain([0.0, t.withdraw_week, t.withdraw_week + t.taper_weeks])
            .collect();
        cuts.sort_by(f64::total_cmp);
        cuts.dedup();
        let rate = |w: f64| -> f64 {
            if !withdraws || w < t.withdraw_week {
                t.hazard_on.at(w)
            } else if w < t.withdraw_week + t.taper_weeks {
                t.hazard_taper.as_ref().map_or_else(
                    || (t.hazard_on.at(w) + t.hazard_off.at(w)) / 2.0,
                    |p: &Piecewise| p.at(w),
                )
            } else {
                t.hazard_off.at(w)
            }
        };
        Piecewise {
            rates: cuts.iter().map(|&w| rate(w)).collect(),
            starts: cuts,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cumulative_hazard_adds_the_pieces_up_to_the_end() {
        let h = Piecewise {
            starts: vec![0.0, 10.0, 20.0],
            rates: vec![0.01, 0.02, 0.05],
        };
        assert!((h.cumulative(24.0) - (0.1 + 0.2 + 0.2)).abs() < 1e-15);
        assert!((h.cumulative(5.0) - 0.05).abs() < 1e-15);
        assert_eq!(Piecewise::constant(0.5).cumulative(520.0), 260.0);
    }
}
