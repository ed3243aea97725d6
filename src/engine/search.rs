//! Sample-size search (`trialsim design`): the smallest `n_per_arm` in a
//! range whose power (or assurance) reaches a target, by bisection on
//! Monte Carlo estimates that gain replicates until they are decisive.
//!
//! * A point is **above** the target when its rate's lower 99% bound
//!   (rate − 2.576 SE) reaches it, **below** when the upper bound stays
//!   under it; otherwise its replicates are quadrupled (a top-up, so the
//!   estimate is the same as a fixed run of that count) up to
//!   [`MAX_REPLICATES`], and a point still undecided there goes by its
//!   estimate and is flagged.
//! * Bisection assumes power grows with n. Exact tests have saw-tooth
//!   power, so every n within a window around the answer is evaluated too,
//!   and two answers are reported: the smallest n that reaches the target,
//!   and the smallest n from which every larger n in the window does.
//! * The rate is the probability of a significant result in MSC's favour
//!   (`power_favourable`; assurance over the effect prior), what "the trial
//!   succeeds" means.

use serde::Serialize;

use super::precision::stopping_se;
use super::{BATCH, Cell, fold_cell};
use crate::design::stream::EffectMode;
use crate::scenario::Scenario;
use crate::summary::Resume;

/// Replicates a point starts with.
pub const FIRST_REPLICATES: u64 = 16 * BATCH;
/// Most replicates a point gets: a Monte Carlo SE of 0.0008 at power 0.8.
pub const MAX_REPLICATES: u64 = 1024 * BATCH;
/// The normal quantile of the 99% interval a verdict needs.
const Z_99: f64 = 2.575_829_303_548_901;

/// What the search aims at.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// Power at the assumed effect (significant in MSC's favour).
    Power(f64),
    /// Assurance over the effect prior.
    Assurance(f64),
    /// The posterior rule's probability of success at the assumed effect
    /// (`decision.rule = "posterior"`): every success counts.
    Success(f64),
}

impl Target {
    fn level(self) -> f64 {
        match self {
            Target::Power(t) | Target::Assurance(t) | Target::Success(t) => t,
        }
    }

    fn mode(self) -> EffectMode {
        match self {
            Target::Power(_) | Target::Success(_) => EffectMode::Fixed,
            Target::Assurance(_) => EffectMode::Prior,
        }
    }
}

/// Where a point stands against the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Above,
    Below,
    /// Within Monte Carlo error at the most replicates: judged by the estimate.
    WithinError,
}

/// One sample size evaluated.
#[derive(Debug, Clone, Serialize)]
pub struct Point {
    pub n_per_arm: usize,
    pub replicates: u64,
    /// The rate aimed at, and the conservative Monte Carlo SE the verdict
    /// uses (binomial at (k + 0.5)/(n + 1), never below the plain one) with
    /// its 99% interval.
    pub rate: f64,
    pub rate_mc_se: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    pub verdict: Verdict,
}

impl Point {
    /// Whether the point counts as reaching the target.
    pub fn reaches(&self, target: f64) -> bool {
        match self.verdict {
            Verdict::Above => true,
            Verdict::Below => false,
            Verdict::WithinError => self.rate >= target,
        }
    }
}

/// The search's answer.
#[derive(Debug, Clone, Serialize)]
pub struct Search {
    pub target: Target,
    pub n_range: (usize, usize),
    /// The smallest n found to reach the target: the bisection's answer, or a
    /// smaller n in the window scanned around it (`None`: HI does not reach
    /// it, and no n below HI is then looked at).
    pub smallest: Option<usize>,
    /// The smallest n from which every larger n evaluated near it reaches
    /// the target too (differs from `smallest` under saw-tooth power).
    pub smallest_from_which_all: Option<usize>,
    /// Every sample size evaluated, by n.
    pub points: Vec<Point>,
}

/// Evaluates sample sizes of one scenario, keeping each point's fold so
/// more replicates top it up.
struct Evaluator<'a> {
    scenario: &'a Scenario,
    target: Target,
    /// `--mc-se`: the Monte Carlo SE every point must reach as well.
    mc_se: Option<f64>,
    points: Vec<(Point, Resume)>,
    progress: &'a (dyn Fn(u64) + Sync),
}

impl Evaluator<'_> {
    /// The point at `n`, decisive or at the most replicates.
    fn at(&mut self, n: usize) -> Point {
        let cell = Cell::new(self.scenario, n);
        let (mut replicates, mut resume) =
            match self.points.iter().position(|(p, _)| p.n_per_arm == n) {
                Some(i) => {
                    let (p, r) = self.points.remove(i);
                    if self.done(&p) {
                        self.points.push((p.clone(), r));
                        return p;
                    }
                    (p.replicates, Some(r))
                }
                None => (0, None),
            };
        let level = self.target.level();
        let mut last: Option<Point> = None;
        loop {
            replicates = self.next_replicates(replicates, last.as_ref());
            let (summary, done) = fold_cell(
                &cell,
                self.target.mode(),
                self.scenario.simulation.seed,
                replicates,
                resume.take(),
                self.progress,
                &super::NEVER_STOP,
            )
            .expect("never stopped");
            let k = match self.target {
                Target::Success(_) => summary.rejections,
                Target::Power(_) | Target::Assurance(_) => summary.favourable_rejections,
            };
            let rate = k as f64 / replicates as f64;
            let se = stopping_se(k, replicates);
            let (lo, hi) = (rate - Z_99 * se, rate + Z_99 * se);
            let verdict = if lo >= level {
                Verdict::Above
            } else if hi < level {
                Verdict::Below
            } else {
                Verdict::WithinError
            };
            let point = Point {
                n_per_arm: n,
                replicates,
                rate,
                rate_mc_se: se,
                ci_low: lo.max(0.0),
                ci_high: hi.min(1.0),
                verdict,
            };
            if self.done(&point) {
                self.points.push((point.clone(), done));
                return point;
            }
            last = Some(point);
            resume = Some(done);
        }
    }

    /// Whether a point needs no more replicates: decisive (and within
    /// `--mc-se`), or at the most replicates.
    fn done(&self, p: &Point) -> bool {
        let precise = self.mc_se.is_none_or(|t| p.rate_mc_se <= t);
        (p.verdict != Verdict::WithinError && precise) || p.replicates >= MAX_REPLICATES
    }

    /// The next replicate count: the first, or four times as many while the
    /// verdict is undecided; when only `--mc-se` is unmet, one batch more,
    /// so a point stops at the first batch count that meets it.
    fn next_replicates(&self, replicates: u64, last: Option<&Point>) -> u64 {
        let next = match (last, self.mc_se) {
            (None, _) => FIRST_REPLICATES,
            (Some(p), Some(_)) if p.verdict != Verdict::WithinError => replicates + BATCH,
            (Some(_), _) => replicates * 4,
        };
        next.min(MAX_REPLICATES)
    }
}

/// From sample sizes in increasing order and whether each reaches the
/// target: the smallest that does, and the smallest from which every larger
/// one does (`None` when the last one does not).
pub fn answers(reached: &[(usize, bool)]) -> (Option<usize>, Option<usize>) {
    let smallest = reached.iter().find(|(_, r)| *r).map(|(m, _)| *m);
    let from_which_all = match reached.iter().rposition(|(_, r)| !*r) {
        None => reached.first().map(|(m, _)| *m),
        Some(i) => reached.get(i + 1).map(|(m, _)| *m),
    };
    (smallest, from_which_all)
}

/// Searches `lo..=hi` for the smallest sample size reaching `target`.
/// `mc_se` (`--mc-se`) also makes every point's Monte Carlo SE at most
/// that, by top-ups (each point equals a fixed run of its final count).
pub fn search(
    scenario: &Scenario,
    target: Target,
    (lo, hi): (usize, usize),
    mc_se: Option<f64>,
    progress: &(dyn Fn(u64) + Sync),
) -> Search {
    let level = target.level();
    let mut eval = Evaluator {
        scenario,
        target,
        mc_se,
        points: Vec::new(),
        progress,
    };
    let mut found = None;
    if eval.at(hi).reaches(level) {
        if eval.at(lo).reaches(level) {
            found = Some(lo);
        } else {
            // Invariant: `low` does not reach the target, `high` does.
            let (mut low, mut high) = (lo, hi);
            while high - low > 1 {
                let mid = low + (high - low) / 2;
                if eval.at(mid).reaches(level) {
                    high = mid;
                } else {
                    low = mid;
                }
            }
            found = Some(high);
        }
    }
    let (smallest, all) = match found {
        None => (None, None),
        Some(n) => {
            // The saw-tooth window around the bisection's answer.
            let width = (n / 10).max(3);
            let window = n.saturating_sub(width).max(lo)..=(n + width).min(hi);
            let reached: Vec<(usize, bool)> =
                window.map(|m| (m, eval.at(m).reaches(level))).collect();
            answers(&reached)
        }
    };
    let mut points: Vec<Point> = eval.points.into_iter().map(|(p, _)| p).collect();
    points.sort_by_key(|p| p.n_per_arm);
    Search {
        target,
        n_range: (lo, hi),
        smallest,
        smallest_from_which_all: all,
        points,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saw_tooth_gives_two_answers() {
        let saw = [(10, false), (11, true), (12, false), (13, true), (14, true)];
        assert_eq!(answers(&saw), (Some(11), Some(13)));
        let monotone = [(10, false), (11, true), (12, true)];
        assert_eq!(answers(&monotone), (Some(11), Some(11)));
        assert_eq!(answers(&[(10, true), (11, true)]), (Some(10), Some(10)));
        assert_eq!(answers(&[(10, true), (11, false)]), (Some(10), None));
        assert_eq!(answers(&[(10, false)]), (None, None));
    }
}
