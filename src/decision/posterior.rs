//! The posterior-probability rule (`decision.rule = "posterior"`): a trial
//! succeeds when P(effect < 0 | data) exceeds the threshold, the likelihood
//! being the analysis's estimate and standard error (normal approximation)
//! and the prior a mixture of normals (vague, normal, or robust mixture).
//!
//! The posterior probability is computed in closed form without building
//! the posterior mixture (no allocation per trial): component k's weight
//! becomes `w_k N(y; m_k, sqrt(s_k^2 + se^2))`, normalised, and its posterior
//! is normal with precision `1/s_k^2 + 1/se^2`.

use statrs::distribution::{ContinuousCDF, Normal};

use super::Decision;
use crate::analysis::{Interval, TestResult};
use crate::stats::Z_975;

/// Success when the posterior probability of benefit exceeds `threshold`.
#[derive(Debug, Clone)]
pub struct PosteriorThreshold {
    /// Prior components `(weight, mean, sd)`, oriented so that benefit is
    /// an effect below 0.
    prior: Vec<(f64, f64, f64)>,
    threshold: f64,
    /// -1 where MSC's benefit is a larger estimate (responder proportions),
    /// else 1: estimates and prior means are multiplied by it.
    orientation: f64,
}

/// One trial's posterior, summarised without building it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Posterior {
    /// P(benefit | data).
    pub benefit: f64,
    /// P(no benefit | data), computed directly (accurate near 0).
    pub harm: f64,
    /// The posterior mean on the analysis scale.
    pub mean: f64,
    /// P(effect < `at` | data) on the analysis scale.
    pub below: f64,
}

/// The normal approximation `(estimate, se)` of a result: a t interval's
/// SE, or an explicit 95% interval's width over `2 · 1.96` (Newcombe's
/// interval for a difference in responder proportions).
pub fn normal_approximation(result: &TestResult) -> Option<(f64, f64)> {
    let se = match result.interval {
        Interval::T { se, .. } => se,
        Interval::Bounds(lo, hi) => (hi - lo) / (2.0 * Z_975),
    };
    (se > 0.0 && se.is_finite() && result.estimate.is_finite()).then_some((result.estimate, se))
}

impl PosteriorThreshold {
    /// The rule for a validated prior (on the analysis scale) and threshold;
    /// `lower_is_benefit` says which way MSC's benefit points.
    pub fn new(
        prior: Vec<(f64, f64, f64)>,
        threshold: f64,
        lower_is_benefit: bool,
    ) -> PosteriorThreshold {
        let orientation = if lower_is_benefit { 1.0 } else { -1.0 };
        PosteriorThreshold {
            prior: prior
                .into_iter()
                .filter(|c| c.0 > 0.0)
                .map(|(w, m, s)| (w, orientation * m, s))
                .collect(),
            threshold,
            orientation,
        }
    }

    /// The threshold the probability of benefit must exceed.
    pub fn threshold(&self) -> f64 {
        self.threshold
    }

    /// P(benefit | estimate `y` with standard error `se`).
    pub fn prob_benefit(&self, y: f64, se: f64) -> f64 {
        self.summarise(y, se, None, false).benefit
    }

    /// The posterior given estimate `y` with standard error `se`, and its
    /// probability below `at` (both on the analysis scale): component k's
    /// weight becomes `w_k N(y; m_k, sqrt(s_k^2 + se^2))`, normalised, and
    /// its posterior is normal with precision `1/s_k^2 + 1/se^2`.
    pub fn posterior(&self, y: f64, se: f64, at: f64) -> Posterior {
        self.summarise(y, se, Some(at), true)
    }

    /// As [`PosteriorThreshold::posterior`], computing P(below `at`) only
    /// when `at` is given and P(no benefit) only when `harm` (each a normal
    /// CDF per component; the others are NaN): what a trial's decision and
    /// its figures need, and no more.
    #[inline]
    pub fn summarise(&self, y: f64, se: f64, at: Option<f64>, harm: bool) -> Posterior {
        self.summarise_with(y, se, at, harm, &mut Components::default())
    }

    /// [`PosteriorThreshold::summarise`], finding each component's posterior
    /// in `seen` when a rule asked before it about the same estimate (the
    /// same component, the same `y`, `se` and `at`), as the rules of one
    /// trial at several borrowing weights do: their components differ only
    /// in weight. What is found was computed by the same expressions, so the
    /// result has the same bits as without `seen`.
    #[inline]
    pub fn summarise_with(
        &self,
        y: f64,
        se: f64,
        at: Option<f64>,
        harm: bool,
        seen: &mut Components,
    ) -> Posterior {
        let y = self.orientation * y;
        let v_data = se * se;
        let at = at.map(|a| self.orientation * a);
        let asked = (y, v_data, at, harm);
        seen.ask(asked);
        let component = |(_, m, s): (f64, f64, f64), seen: &mut Components| seen.get(asked, (m, s));
        // Log weights, shifted by their maximum before exponentiating.
        let mut logs = [0.0f64; MAX_COMPONENTS];
        let mut top = f64::NEG_INFINITY;
        for (k, &c) in self.prior.iter().enumerate() {
            let log = component(c, seen).log_weight(c.0);
            if let Some(slot) = logs.get_mut(k) {
                *slot = log;
            }
            top = top.max(log);
        }
        let (mut total, mut benefit, mut no_benefit, mut mean, mut below) =
            (0.0, 0.0, 0.0, 0.0, 0.0);
        for (k, &c) in self.prior.iter().enumerate() {
            let post = component(c, seen);
            let log = logs.get(k).copied().unwrap_or_else(|| post.log_weight(c.0));
            let weight = (log - top).exp();
            total += weight;
            benefit += weight * post.benefit;
            if harm {
                no_benefit += weight * post.harm;
            }
            mean += weight * post.centre;
            if at.is_some() {
                below += weight * post.below;
            }
        }
        let below = match at {
            Some(_) => below / total,
            None => f64::NAN,
        };
        Posterior {
            benefit: benefit / total,
            harm: if harm { no_benefit / total } else { f64::NAN },
            mean: self.orientation * mean / total,
            // Oriented back: below `at` on the analysis scale.
            below: if self.orientation > 0.0 {
                below
            } else {
                1.0 - below
            },
        }
    }
}

/// One prior component `(m, s)`'s part in a posterior given an oriented
/// estimate `y` with variance `v_data`: all but its weight.
#[derive(Debug, Clone, Copy)]
struct ComponentPosterior {
    /// `0.5 ln v` and `(y - m)^2 / (2 v)`, `v = s^2 + v_data`: the log
    /// weight is `ln w - spread - distance`.
    spread: f64,
    distance: f64,
    /// The component's posterior mean and three normal CDFs of it: below
    /// 0 (benefit), above 0 (harm, NaN unless asked) and below `at` (NaN
    /// unless given).
    centre: f64,
    benefit: f64,
    harm: f64,
    below: f64,
}

impl ComponentPosterior {
    fn new((y, v_data, at, harm): Asked, (m, s): (f64, f64)) -> ComponentPosterior {
        let phi = Normal::standard();
        let v = s * s + v_data;
        let precision = 1.0 / (s * s) + 1.0 / v_data;
        let sd = precision.sqrt().recip();
        let centre = (m / (s * s) + y / v_data) / precision;
        ComponentPosterior {
            spread: 0.5 * v.ln(),
            distance: (y - m) * (y - m) / (2.0 * v),
            centre,
            benefit: phi.cdf(-centre / sd),
            harm: if harm { phi.cdf(centre / sd) } else { f64::NAN },
            below: at.map_or(f64::NAN, |at| phi.cdf((at - centre) / sd)),
        }
    }

    /// The component's log weight in the posterior, for prior weight `w`.
    fn log_weight(&self, w: f64) -> f64 {
        w.ln() - self.spread - self.distance
    }
}

/// What a posterior is asked about: the oriented estimate, its variance,
/// the oriented `at`, and whether P(no benefit) is wanted.
type Asked = (f64, f64, Option<f64>, bool);

/// Components' posteriors already computed for one question, kept on the
/// stack (a trial's rules share a handful of components; past
/// [`SEEN_COMPONENTS`] they are computed afresh). A different question
/// forgets them.
#[derive(Debug, Default)]
pub struct Components {
    /// The bits of the question they answer: `y`, `v_data`, `at` (all ones
    /// for none) and whether P(no benefit) is wanted.
    asked: [u64; 4],
    /// Each component's `(m, s)` bits and posterior.
    seen: [([u64; 2], ComponentPosterior); SEEN_COMPONENTS],
    len: usize,
}

/// Components' posteriors [`Components`] keeps.
const SEEN_COMPONENTS: usize = 8;

impl Components {
    /// Readies the memo for `asked`, forgetting what answered another question.
    #[inline]
    fn ask(&mut self, (y, v_data, at, harm): Asked) {
        let asked = [
            y.to_bits(),
            v_data.to_bits(),
            at.map_or(u64::MAX, f64::to_bits),
            u64::from(harm),
        ];
        if asked != self.asked {
            self.asked = asked;
            self.len = 0;
        }
    }

    /// Component `(m, s)`'s posterior for the question last asked.
    #[inline]
    fn get(&mut self, asked: Asked, (m, s): (f64, f64)) -> ComponentPosterior {
        let key = [m.to_bits(), s.to_bits()];
        if let Some((_, post)) = self.seen[..self.len]
            .iter()
            .find(|(k, _)| k[0] == key[0] && k[1] == key[1])
        {
            return *post;
        }
        let post = ComponentPosterior::new(asked, (m, s));
        if let Some(slot) = self.seen.get_mut(self.len) {
            *slot = (key, post);
            self.len += 1;
        }
        post
    }
}

impl Default for ComponentPosterior {
    fn default() -> ComponentPosterior {
        ComponentPosterior {
            spread: f64::NAN,
            distance: f64::NAN,
            centre: f64::NAN,
            benefit: f64::NAN,
            harm: f64::NAN,
            below: f64::NAN,
        }
    }
}

/// Components whose log weights a posterior keeps on the stack (a robust
/// mixture of a 3-normal MAP prior has 4); more are recomputed.
const MAX_COMPONENTS: usize = 8;

/// Weights scanned for the tipping point before bisection: 0, 0.001, ..., 1.
const TIPPING_STEPS: usize = 1000;

/// The smallest weight in [0, 1] at which the result `(y, se)` succeeds
/// (`P(benefit) > threshold`) under `prior_at(weight)`: the weights are
/// scanned in steps of 0.001 and the first crossing refined by 50
/// bisections. `None` when no weight up to 1 succeeds; `Some(0.0)` when
/// the trial succeeds without borrowing.
pub fn tipping_point(
    prior_at: impl Fn(f64) -> Vec<(f64, f64, f64)>,
    (y, se): (f64, f64),
    threshold: f64,
    lower_is_benefit: bool,
) -> Option<f64> {
    let succeeds = |w: f64| {
        PosteriorThreshold::new(prior_at(w), threshold, lower_is_benefit).prob_benefit(y, se)
            > threshold
    };
    if succeeds(0.0) {
        return Some(0.0);
    }
    let first = (1..=TIPPING_STEPS)
        .map(|i| i as f64 / TIPPING_STEPS as f64)
        .find(|&w| succeeds(w))?;
    let (mut lo, mut hi) = (first - 1.0 / TIPPING_STEPS as f64, first);
    for _ in 0..50 {
        let mid = 0.5 * (lo + hi);
        if succeeds(mid) {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    Some(hi)
}

impl PosteriorThreshold {
    /// The equal-tailed credible interval of probability `level` given
    /// `(y, se)`, on the analysis scale, by bisection on the posterior CDF.
    pub fn credible_interval(&self, y: f64, se: f64, level: f64) -> (f64, f64) {
        // Bracket: 40 posterior SDs either side of every component's
        // posterior centre (on the analysis scale).
        let v_data = se * se;
        let (mut lo0, mut hi0) = (f64::INFINITY, f64::NEG_INFINITY);
        for &(_, m, s) in &self.prior {
            let precision = 1.0 / (s * s) + 1.0 / v_data;
            let sd = precision.sqrt().recip();
            let centre =
                self.orientation * (m / (s * s) + self.orientation * y / v_data) / precision;
            lo0 = lo0.min(centre - 40.0 * sd);
            hi0 = hi0.max(centre + 40.0 * sd);
        }
        let quantile = |p: f64| {
            let (mut lo, mut hi) = (lo0, hi0);
            for _ in 0..200 {
                let mid = 0.5 * (lo + hi);
                if self.posterior(y, se, mid).below < p {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            0.5 * (lo + hi)
        };
        let tail = (1.0 - level) / 2.0;
        (quantile(tail), quantile(1.0 - tail))
    }
}

impl Decision for PosteriorThreshold {
    #[inline]
    fn rejects(&self, result: &TestResult) -> bool {
        normal_approximation(result)
            .is_some_and(|(y, se)| self.prob_benefit(y, se) > self.threshold)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decision::bayes::mixture::Mixture;
    use crate::decision::bayes::normal::TrialEstimate;

    /// [`PosteriorThreshold::summarise`] as it was written before the
    /// component memo (commit a4be9b7), kept as the reference the memo's
    /// results must equal to the bit.
    fn summarise_before_memo(
        rule: &PosteriorThreshold,
        y: f64,
        se: f64,
        at: Option<f64>,
        harm: bool,
    ) -> Posterior {
        let y = rule.orientation * y;
        let v_data = se * se;
        let mut logs = [0.0f64; MAX_COMPONENTS];
        let log_weight = |(w, m, s): (f64, f64, f64)| {
            let v = s * s + v_data;
            w.ln() - 0.5 * v.ln() - (y - m) * (y - m) / (2.0 * v)
        };
        let mut top = f64::NEG_INFINITY;
        for (k, &c) in rule.prior.iter().enumerate() {
            let log = log_weight(c);
            if let Some(slot) = logs.get_mut(k) {
                *slot = log;
            }
            top = top.max(log);
        }
        let phi = Normal::standard();
        let (mut total, mut benefit, mut no_benefit, mut mean, mut below) =
            (0.0, 0.0, 0.0, 0.0, 0.0);
        for (k, &c) in rule.prior.iter().enumerate() {
            let (_, m, s) = c;
            let log = logs.get(k).copied().unwrap_or_else(|| log_weight(c));
            let weight = (log - top).exp();
            let precision = 1.0 / (s * s) + 1.0 / v_data;
            let sd = precision.sqrt().recip();
            let centre = (m / (s * s) + y / v_data) / precision;
            total += weight;
            benefit += weight * phi.cdf(-centre / sd);
            if harm {
                no_benefit += weight * phi.cdf(centre / sd);
            }
            mean += weight * centre;
            if let Some(at) = at {
                below += weight * phi.cdf((rule.orientation * at - centre) / sd);
            }
        }
        let below = match at {
            Some(_) => below / total,
            None => f64::NAN,
        };
        Posterior {
            benefit: benefit / total,
            harm: if harm { no_benefit / total } else { f64::NAN },
            mean: rule.orientation * mean / total,
            below: if rule.orientation > 0.0 {
                below
            } else {
                1.0 - below
            },
        }
    }

    /// Rules at several weights of one robust mixture (and one with more
    /// components than the memo keeps), asked in turn with one memo as a
    /// trial's figures ask them, give the bits the code before the memo
    /// gave, with and without the memo. The same estimate is asked again
    /// with only `at` or only `harm` changed, so a memo that kept answers
    /// across those would fail. (Review: the first version of this test
    /// changed the estimate on every question, and compared the memo only
    /// with itself.)
    #[test]
    fn shared_component_posteriors_change_no_bit() {
        let map = [(0.5, -4.05, 1.68), (0.5, -3.84, 4.49)];
        let mut rules: Vec<PosteriorThreshold> = [0.0, 0.25, 0.5, 1.0]
            .iter()
            .map(|&w| {
                let mut prior: Vec<_> = map.iter().map(|&(p, m, s)| (w * p, m, s)).collect();
                prior.push((1.0 - w, 0.0, 20.0));
                PosteriorThreshold::new(prior, 0.975, true)
            })
            .collect();
        let many = (0..12)
            .map(|k| (1.0, -f64::from(k), 1.0 + f64::from(k)))
            .collect();
        rules.push(PosteriorThreshold::new(many, 0.9, false));
        let mut memo = Components::default();
        let mut rng = crate::rng::Stream::new(5, [1, 1], 0, 0);
        for trial in 0..300 {
            let (y, se) = (3.0 * rng.normal(), 0.2 + rng.open01());
            let other = rng.normal();
            let questions = [
                (Some(other), false),
                (Some(other), true),
                (Some(other + 1.0), true),
                (None, true),
                (None, false),
                (Some(other), false),
            ];
            let mut check = |rule: &PosteriorThreshold, (at, harm): (Option<f64>, bool)| {
                let before = summarise_before_memo(rule, y, se, at, harm);
                let alone = rule.summarise(y, se, at, harm);
                let shared = rule.summarise_with(y, se, at, harm, &mut memo);
                for (a, b, c) in [
                    (before.benefit, alone.benefit, shared.benefit),
                    (before.harm, alone.harm, shared.harm),
                    (before.mean, alone.mean, shared.mean),
                    (before.below, alone.below, shared.below),
                ] {
                    assert_eq!(a.to_bits(), b.to_bits(), "trial {trial}");
                    assert_eq!(a.to_bits(), c.to_bits(), "trial {trial}");
                }
            };
            // As a trial's figures ask: every rule in turn, one question;
            // then one rule, question after question.
            for &question in &questions {
                for rule in &rules {
                    check(rule, question);
                }
            }
            for rule in &rules {
                for &question in &questions {
                    check(rule, question);
                }
            }
        }
    }

    #[test]
    fn equals_the_posterior_mixture_built_in_full() {
        let prior = vec![(0.6, -2.0, 0.8), (0.4, 0.0, 50.0)];
        let rule = PosteriorThreshold::new(prior.clone(), 0.975, true);
        let mixture = Mixture::new(&prior).unwrap();
        for (y, se) in [(-1.5, 1.0), (2.0, 0.7), (-4.0, 2.5), (0.0, 0.3)] {
            let full = mixture
                .update(TrialEstimate::new(y, se).unwrap())
                .unwrap()
                .prob_below(0.0);
            assert!((rule.prob_benefit(y, se) - full).abs() < 1e-12, "{y} {se}");
        }
    }

    /// The full posterior mixture's mean, CDF and probability of benefit,
    /// for both orientations: a responder difference's benefit is above 0,
    /// its prior written on that scale.
    #[test]
    fn mean_cdf_and_benefit_equal_the_full_update_either_way() {
        let prior = vec![(0.3, 0.12, 0.03), (0.7, 0.0, 0.7)];
        let mixture = Mixture::new(&prior).unwrap();
        let up = PosteriorThreshold::new(prior.clone(), 0.975, false);
        let down = PosteriorThreshold::new(prior, 0.975, true);
        for (y, se, at) in [(0.09, 0.1, 0.05), (-0.2, 0.05, 0.0), (0.4, 0.2, 0.3)] {
            let full = mixture.update(TrialEstimate::new(y, se).unwrap()).unwrap();
            let p = up.posterior(y, se, at);
            assert!((p.benefit - (1.0 - full.prob_below(0.0))).abs() < 1e-10);
            assert!((p.harm - full.prob_below(0.0)).abs() < 1e-10);
            assert!((p.mean - full.mean()).abs() < 1e-10);
            assert!((p.below - full.prob_below(at)).abs() < 1e-10);
            let q = down.posterior(y, se, at);
            assert!((q.benefit - full.prob_below(0.0)).abs() < 1e-10);
            assert!((q.mean - full.mean()).abs() < 1e-10);
            assert!((q.below - full.prob_below(at)).abs() < 1e-10);
        }
    }

    #[test]
    fn the_credible_interval_cuts_equal_tails() {
        // Including a tight prior far from the data (the posterior sits
        // between them, far from the estimate) and a responder orientation.
        for (prior, lower, y, se) in [
            (vec![(0.5, -2.0, 0.8), (0.5, 0.0, 20.0)], true, -1.0, 1.2),
            (vec![(1.0, -4.0, 0.1)], true, 20.0, 0.2),
            (vec![(0.3, 0.12, 0.03), (0.7, 0.0, 0.7)], false, 0.09, 0.1),
        ] {
            let rule = PosteriorThreshold::new(prior, 0.975, lower);
            let (lo, hi) = rule.credible_interval(y, se, 0.95);
            assert!(lo < hi, "{lo} {hi}");
            assert!(
                (rule.posterior(y, se, lo).below - 0.025).abs() < 1e-9,
                "{lo}"
            );
            assert!(
                (rule.posterior(y, se, hi).below - 0.975).abs() < 1e-9,
                "{hi}"
            );
        }
    }

    #[test]
    fn a_vague_prior_gives_the_one_sided_z_test() {
        let rule = PosteriorThreshold::new(vec![(1.0, 0.0, 1e6)], 0.975, true);
        let phi = Normal::standard();
        for (y, se) in [(-2.0, 1.0), (-1.0, 0.4), (0.5, 0.2)] {
            assert!((rule.prob_benefit(y, se) - phi.cdf(-y / se)).abs() < 1e-9);
        }
    }
}
