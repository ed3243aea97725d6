//! Children entering a trial in calendar time (`[accrual]`): a Poisson
//! process whose rate is constant or steps up as sites open, optionally
//! closed at `max_months`, and the random allocation list that gives each
//! child of each arm its place in the order of entry.
//!
//! The `j`-th entry is at `Λ⁻¹(Γ_j)`, where `Λ(t)` is the cumulative rate
//! (children expected by month `t`) and `Γ_j` the sum of `j` standard
//! exponentials: the arrival times of a Poisson process of rate `λ(t)`.
//! Which child enters `j`-th is a uniformly random permutation of the
//! trial's children (a random allocation rule with the arms' sizes fixed),
//! so the children with data at an interim look are a random subset of
//! each arm.

use crate::rng::Stream;
use crate::scenario::Accrual;

/// Weeks in a month: 365.25 / 12 / 7.
pub const WEEKS_PER_MONTH: f64 = 365.25 / 12.0 / 7.0;

/// `[accrual]`, prepared.
#[derive(Debug, Clone)]
pub struct AccrualModel {
    /// `(from_month, rate, children expected by from_month)`.
    pieces: Vec<(f64, f64, f64)>,
    pub max_months: Option<f64>,
}

impl AccrualModel {
    pub fn new(a: &Accrual) -> AccrualModel {
        let mut pieces = Vec::with_capacity(a.pieces.len());
        let mut expected = 0.0;
        for (i, &(from, rate)) in a.pieces.iter().enumerate() {
            if i > 0 {
                let (before, before_rate, _) = pieces[i - 1];
                expected += before_rate * (from - before);
            }
            pieces.push((from, rate, expected));
        }
        AccrualModel {
            pieces,
            max_months: a.max_months,
        }
    }

    /// `Λ(t)`: the children expected to have entered by month `t`.
    pub fn expected_by(&self, t: f64) -> f64 {
        let t = t.max(0.0);
        let &(from, rate, before) = self
            .pieces
            .iter()
            .rev()
            .find(|p| p.0 <= t)
            .expect("the first piece starts at month 0");
        before + rate * (t - from)
    }

    /// `Λ⁻¹(x)`: the month by which `x` children are expected.
    pub fn month_of(&self, x: f64) -> f64 {
        for (i, &(from, rate, before)) in self.pieces.iter().enumerate() {
            if x <= before {
                // Reached when this piece starts (after a pause).
                return from;
            }
            let reached_by_end = self.pieces.get(i + 1).map_or(f64::INFINITY, |p| p.2);
            if x <= reached_by_end && rate > 0.0 {
                return from + (x - before) / rate;
            }
        }
        f64::INFINITY
    }

    /// Draws the entry months of `n` children, in order of entry, into
    /// `entries`: one exponential gap per child from `rng`.
    pub fn draw(&self, n: usize, rng: &mut Stream, entries: &mut Vec<f64>) {
        entries.clear();
        let mut gamma = 0.0;
        for _ in 0..n {
            gamma -= rng.open01().ln();
            entries.push(self.month_of(gamma));
        }
    }
}

/// Shuffles `order` (0..n) uniformly by Fisher-Yates from `rng`: child
/// `order[j]` (arm-major: MSC children first) enters `j`-th.
pub fn allocation(n: usize, rng: &mut Stream, order: &mut Vec<u32>) {
    order.clear();
    order.extend(0..n as u32);
    for i in (1..n).rev() {
        let j = (rng.word() % (i as u64 + 1)) as usize;
        order.swap(i, j);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(pieces: Vec<(f64, f64)>) -> AccrualModel {
        AccrualModel::new(&Accrual {
            pieces,
            max_months: None,
            source: "test".into(),
        })
    }

    #[test]
    fn the_cumulative_rate_inverts() {
        let m = model(vec![(0.0, 0.5), (6.0, 0.0), (9.0, 2.0)]);
        assert_eq!(m.expected_by(4.0), 2.0);
        assert_eq!(m.expected_by(8.0), 3.0);
        assert_eq!(m.expected_by(10.0), 5.0);
        for t in [0.5, 3.0, 5.9, 9.5, 20.0] {
            assert!((m.month_of(m.expected_by(t)) - t).abs() < 1e-12, "{t}");
        }
        // The pause: the third child comes when the next piece starts.
        assert_eq!(m.month_of(3.0), 6.0);
        assert_eq!(m.month_of(3.5), 9.25);
    }

    /// The mean entry month of the j-th child of a constant rate r is j / r.
    #[test]
    fn constant_rate_entries_average_j_over_r() {
        let m = model(vec![(0.0, 2.0)]);
        let mut rng = Stream::new(7, [1, 2], 0, 0);
        let (mut entries, reps) = (Vec::new(), 4000);
        let mut sum = [0.0; 3];
        for _ in 0..reps {
            m.draw(10, &mut rng, &mut entries);
            for (s, &j) in sum.iter_mut().zip(&[0usize, 4, 9]) {
                *s += entries[j];
            }
        }
        for (k, &j) in [0usize, 4, 9].iter().enumerate() {
            let mean = sum[k] / reps as f64;
            // Gamma(j + 1, rate 2): variance (j + 1) / 4.
            let se = ((j + 1) as f64 / 4.0 / reps as f64).sqrt();
            let expected = (j + 1) as f64 / 2.0;
            assert!(
                (mean - expected).abs() < 4.0 * se,
                "{j}: {mean} vs {expected}"
            );
        }
    }
}
