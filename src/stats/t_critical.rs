//! Student-t critical values without a distribution call per replicate,
//! deciding exactly as the p-value would. statrs' `inverse_cdf` is not
//! accurate enough at large df (errors up to 6e-4 relative above a few
//! thousand df), so each critical value is refined by Newton's method on
//! the very tail function the p-value uses (`sf`, or `cdf` for a lower
//! tail), and every shortcut is verified at construction: a statistic
//! beyond `hi` has a tail probability below the level, one below `lo` above
//! it, at both ends of a grid interval. Anything in between, or where a
//! check fails, is left to the exact p-value. The quantile decreases with
//! the degrees of freedom, so grid points bracket every df between them.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use statrs::distribution::{Continuous, ContinuousCDF, StudentsT};

/// Grid points per factor e of df, from df 1 to [`LARGEST_DF`].
const POINTS_PER_E: f64 = 40.0;
const LARGEST_DF: f64 = 1e5;
/// Relative room kept between a shortcut's bound and the critical value.
const MARGIN: f64 = 1e-7;

/// Which tail a level bounds: `Upper` is `P(T > x)` (statrs `sf(x)`), as
/// two-sided, greater-than and coverage decisions use; `Lower` is
/// `P(T < -x)` (statrs `cdf(-x)`), as a less-than decision uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Tail {
    Upper,
    Lower,
}

fn tail_probability(t: &StudentsT, x: f64, tail: Tail) -> f64 {
    match tail {
        Tail::Upper => t.sf(x),
        Tail::Lower => t.cdf(-x),
    }
}

/// The critical value at `df` for tail probability `level`: statrs' quantile
/// refined by Newton steps on the tail function itself.
fn critical(t: &StudentsT, level: f64, tail: Tail) -> f64 {
    let mut q = t.inverse_cdf(1.0 - level);
    for _ in 0..4 {
        let step = (tail_probability(t, q, tail) - level) / t.pdf(q);
        if !step.is_finite() {
            break;
        }
        q += step;
    }
    q
}

/// Verified bounds at one df: `x >= hi` has tail probability below `level`,
/// `x < lo` above it (NaN where a check fails: no shortcut).
#[derive(Debug, Clone, Copy)]
pub struct Bounds {
    lo: f64,
    hi: f64,
}

impl Bounds {
    /// `lo` and `hi` kept where every distribution of `dists` confirms them
    /// (tail probability above the level below `lo`, below it from `hi`),
    /// NaN where one does not.
    fn verified(lo: f64, hi: f64, dists: &[&StudentsT], level: f64, tail: Tail) -> Bounds {
        let below = |x: f64| dists.iter().all(|t| tail_probability(t, x, tail) < level);
        let above = |x: f64| dists.iter().all(|t| tail_probability(t, x, tail) > level);
        Bounds {
            lo: if above(lo) { lo } else { f64::NAN },
            hi: if below(hi) { hi } else { f64::NAN },
        }
    }

    /// Bounds for a fixed `df`, or `None` when `level` is not below 0.5 or
    /// df is not positive.
    pub fn at(df: f64, level: f64, tail: Tail) -> Option<Bounds> {
        if !(level > 0.0 && level < 0.5) {
            return None;
        }
        let t = StudentsT::new(0.0, 1.0, df).ok()?;
        let q = critical(&t, level, tail);
        Some(Bounds::verified(
            q * (1.0 - MARGIN),
            q * (1.0 + MARGIN),
            &[&t],
            level,
            tail,
        ))
    }

    /// Whether `x`'s tail probability is below the level, when the bounds
    /// decide it.
    #[inline]
    pub fn beyond(&self, x: f64) -> Option<bool> {
        if x >= self.hi {
            Some(true)
        } else if x < self.lo {
            Some(false)
        } else {
            None
        }
    }
}

/// Critical values of one test at one level: verified bounds for the df the
/// design fixes, and a grid for any other df. What decisions and coverage
/// both ask: is a statistic's tail probability below the level?
#[derive(Debug, Clone)]
pub struct Critical {
    /// `(df, bounds)` for the df the design fixes.
    fixed: Option<(f64, Bounds)>,
    /// Bounds for any df (t-tests whose df vary: Welch, Rubin).
    grid: Option<Arc<TCritical>>,
}

impl Critical {
    /// Bounds for `fixed_df` (if the design fixes one) and, for t-based
    /// tests (`t_based`), a grid for every other df.
    pub fn new(fixed_df: Option<f64>, t_based: bool, level: f64, tail: Tail) -> Critical {
        Critical {
            fixed: fixed_df.and_then(|df| Bounds::at(df, level, tail).map(|b| (df, b))),
            grid: t_based.then(|| TCritical::new(level, tail)),
        }
    }

    /// Whether `x`'s tail probability at `df` is below the level, when the
    /// bounds decide it; `None` leaves it to the exact p-value.
    #[inline]
    pub fn beyond(&self, x: f64, df: f64) -> Option<bool> {
        match (self.fixed, &self.grid) {
            (Some((d, bounds)), _) if d == df => bounds.beyond(x),
            (_, Some(grid)) => grid.beyond(x, df),
            _ => None,
        }
    }
}

/// The grids built so far, by (level bits, tail).
type Grids = HashMap<(u64, Tail), Arc<TCritical>>;

/// Critical values for any df: verified bounds per grid interval.
#[derive(Debug)]
pub struct TCritical {
    /// Interval k covers df in [df(k), df(k + 1)).
    intervals: Vec<Bounds>,
}

fn grid_df(k: usize) -> f64 {
    (k as f64 / POINTS_PER_E).exp()
}

impl TCritical {
    /// Critical values for tail probability `level` on `tail`, built once per
    /// (level, tail) and shared; empty (never deciding) unless 0 < level < 0.5.
    pub fn new(level: f64, tail: Tail) -> Arc<TCritical> {
        static CACHE: OnceLock<Mutex<Grids>> = OnceLock::new();
        let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
        let key = (level.to_bits(), tail);
        if let Some(grid) = cache.lock().ok().and_then(|c| c.get(&key).cloned()) {
            return grid;
        }
        let grid = Arc::new(Self::build(level, tail));
        if let Ok(mut c) = cache.lock() {
            c.insert(key, grid.clone());
        }
        grid
    }

    fn build(level: f64, tail: Tail) -> TCritical {
        if !(level > 0.0 && level < 0.5) {
            return TCritical {
                intervals: Vec::new(),
            };
        }
        let points = (LARGEST_DF.ln() * POINTS_PER_E).ceil() as usize + 1;
        let dists: Vec<Option<StudentsT>> = (0..points)
            .map(|k| StudentsT::new(0.0, 1.0, grid_df(k)).ok())
            .collect();
        let q: Vec<f64> = dists
            .iter()
            .map(|d| d.as_ref().map_or(f64::NAN, |t| critical(t, level, tail)))
            .collect();
        let intervals = (0..points - 1)
            .map(|k| {
                let (Some(a), Some(b)) = (&dists[k], &dists[k + 1]) else {
                    return Bounds {
                        lo: f64::NAN,
                        hi: f64::NAN,
                    };
                };
                // The critical value falls with df: beyond the left end's is
                // beyond it everywhere in the interval, below the right end's
                // is below it everywhere; checked at both ends.
                Bounds::verified(
                    q[k + 1] * (1.0 - MARGIN),
                    q[k] * (1.0 + MARGIN),
                    &[a, b],
                    level,
                    tail,
                )
            })
            .collect();
        TCritical { intervals }
    }

    /// Whether `x`'s tail probability at `df` is below the level, when the
    /// grid decides it; `None` in the bracket, off the grid, or where a
    /// check failed.
    #[inline]
    pub fn beyond(&self, x: f64, df: f64) -> Option<bool> {
        if !(1.0..LARGEST_DF).contains(&df) {
            return None;
        }
        let mut k = (df.ln() * POINTS_PER_E) as usize;
        // The index from a logarithm may be one off at a grid point.
        if grid_df(k) > df {
            k = k.checked_sub(1)?;
        }
        if grid_df(k + 1) <= df {
            k += 1;
        }
        self.intervals.get(k)?.beyond(x)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Wherever the grid decides, it agrees with statrs' own tail function
    /// at that df, for both tails and several levels, from df 1 to 10^5
    /// (the range where statrs' quantile alone was off).
    #[test]
    fn agrees_with_the_tail_function() {
        for (level, tail) in [
            (0.025, Tail::Upper),
            (0.05, Tail::Lower),
            (0.1, Tail::Upper),
            (0.2, Tail::Lower),
        ] {
            let grid = TCritical::new(level, tail);
            let mut decided = 0;
            for i in 0..3000 {
                let df = (i as f64 / 3000.0 * LARGEST_DF.ln()).exp() * 0.9999 + 0.0001;
                let t = StudentsT::new(0.0, 1.0, df).unwrap();
                let q = critical(&t, level, tail);
                for x in [
                    q * 0.999,
                    q * (1.0 - 3e-9),
                    q * (1.0 + 3e-9),
                    q * 1.001,
                    0.0,
                    40.0,
                ] {
                    if let Some(beyond) = grid.beyond(x, df) {
                        assert_eq!(
                            beyond,
                            tail_probability(&t, x, tail) < level,
                            "df {df} x {x}"
                        );
                        decided += 1;
                    }
                }
            }
            assert!(decided > 3000 * 3, "the grid decided only {decided}");
        }
    }

    /// Random df and statistics within 1e-5 (relative) of the critical
    /// value: every decision the grid makes is the tail function's.
    #[test]
    fn agrees_near_the_critical_value_at_random_df() {
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut uniform = || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        for (level, tail) in [
            (0.025, Tail::Upper),
            (0.05, Tail::Lower),
            (0.1, Tail::Upper),
        ] {
            let grid = TCritical::new(level, tail);
            for _ in 0..20_000 {
                let df = (uniform() * LARGEST_DF.ln()).exp();
                let t = StudentsT::new(0.0, 1.0, df).unwrap();
                let x = critical(&t, level, tail) * (1.0 + (uniform() - 0.5) * 2e-5);
                if let Some(beyond) = grid.beyond(x, df) {
                    assert_eq!(
                        beyond,
                        tail_probability(&t, x, tail) < level,
                        "df {df} x {x}"
                    );
                }
            }
        }
    }

    /// A level of 0.5 or more (one-sided alpha 0.6) is never decided by a grid.
    #[test]
    fn no_shortcut_at_half_or_more() {
        assert!(TCritical::new(0.6, Tail::Upper).beyond(5.0, 10.0).is_none());
        assert!(Bounds::at(10.0, 0.6, Tail::Upper).is_none());
    }

    /// The fixed-df bounds agree with the tail function at large df too.
    #[test]
    fn fixed_bounds_hold_at_large_df() {
        for df in [3.0, 57.0, 2981.0, 19_438.0, 34_544.0] {
            for (level, tail) in [
                (0.025, Tail::Upper),
                (0.05, Tail::Lower),
                (0.1, Tail::Upper),
            ] {
                let b = Bounds::at(df, level, tail).unwrap();
                let t = StudentsT::new(0.0, 1.0, df).unwrap();
                let q = critical(&t, level, tail);
                for x in [q * 0.99999, q * (1.0 - 2e-7), q * (1.0 + 2e-7), q * 1.00001] {
                    if let Some(beyond) = b.beyond(x) {
                        assert_eq!(
                            beyond,
                            tail_probability(&t, x, tail) < level,
                            "df {df} x {x}"
                        );
                    }
                }
                assert!(
                    b.beyond(q * 1.001) == Some(true) && b.beyond(q * 0.999) == Some(false),
                    "df {df}"
                );
            }
        }
    }
}
