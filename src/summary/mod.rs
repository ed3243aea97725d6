//! Mergeable accumulators: what a batch of replicates leaves behind.
//!
//! Memory is constant in the number of replicates: each batch folds its
//! replicates into a [`Summary`], and batches are merged in index order, so the
//! result is bit-identical whatever the thread count.
//!
//! Each feature brings its accumulator and the report columns read off it in
//! one file ([`flares`], [`estimands`]); a [`Summary`] is created with its
//! cell's shape ([`Summary::new`]), never sized by the first replicate.

pub mod borrowing;
pub mod estimands;
pub mod figure;
pub mod flares;
pub mod looks;
pub mod product;
pub mod safety;
pub mod survival;

use serde::{Deserialize, Serialize};

use crate::analysis::AnalysisFailure;

pub use crate::stats::{Welford, Z_975, wilson_interval};
pub use estimands::StrategyErrors;
pub use figure::Figure;
pub use flares::{ArmStats, FlareStats};
pub use survival::SurvivalStats;

/// Which feature accumulators a cell's summaries carry.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Shape {
    /// Bias by estimand strategy (intercurrent events).
    pub estimands: bool,
    /// Per-arm flare and therapy figures, sized for the cell's therapies
    /// and follow-up (intercurrent events).
    pub flares: Option<FlareStats>,
    /// Time-to-flare figures (the time-to-flare endpoint).
    pub survival: Option<SurvivalStats>,
    /// Adverse events (`[safety]`), sized for its event kinds.
    pub safety: Option<safety::SafetyStats>,
    /// `[manufacturing]`: the as-infused contrast.
    pub product: Option<product::ProductStats>,
    /// `[accrual]` on a parallel design: the looks and calendar time.
    pub looks: Option<looks::LookStats>,
    /// The posterior rule: each prior weight's figures.
    pub borrowing: Option<borrowing::BorrowStats>,
}

/// Everything recorded about a set of replicates of one sample-size cell.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    pub replicates: u64,
    /// Replicates whose analysis rejected the null hypothesis.
    pub rejections: u64,
    /// Rejections whose estimate favours MSC (all of them for a one-sided test).
    pub favourable_rejections: u64,
    /// Replicates whose analysis failed (counted as not rejecting).
    pub failures: u64,
    /// The failures by reason.
    pub failure_reasons: FailureReasons,
    /// Single arm: series whose mean fall reached the reported improvement.
    pub successes: u64,
    /// Replicates whose 95% interval contained the estimand's true value.
    pub covered: u64,
    /// Effect estimates of the analyses that ran.
    pub estimate: Welford,
    /// Sample-average true MSC effect (no concomitant therapy), every replicate.
    pub truth: Welford,
    /// Sample-average true value of the chosen estimand, every replicate.
    pub estimand_truth: Welford,
    /// Estimate minus that replicate's true MSC effect, where the analysis ran.
    pub error: Welford,
    /// Estimate minus that replicate's true value of the chosen estimand.
    pub estimand_error: Welford,
    /// With intercurrent events: estimate minus MSC's own effect under each strategy.
    pub estimands: Option<StrategyErrors>,
    /// With intercurrent events: per-arm flare and therapy figures.
    pub flares: Option<FlareStats>,
    /// Time to flare: per-arm Kaplan-Meier figures and the run-in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub survival: Option<SurvivalStats>,
    /// `[safety]`: adverse events per arm and the stopping rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub safety: Option<safety::SafetyStats>,
    /// `[manufacturing]`: the infused share and the as-infused contrast.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product: Option<product::ProductStats>,
    /// `[accrual]` on a parallel design: the looks and calendar time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub looks: Option<looks::LookStats>,
    /// The posterior rule: each prior weight's figures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub borrowing: Option<borrowing::BorrowStats>,
}

impl Summary {
    /// An empty summary of the given shape.
    pub fn new(shape: &Shape) -> Summary {
        Summary {
            estimands: shape.estimands.then(StrategyErrors::new),
            flares: shape.flares.clone(),
            survival: shape.survival.clone(),
            safety: shape.safety.clone(),
            product: shape.product.clone(),
            looks: shape.looks.clone(),
            borrowing: shape.borrowing.clone(),
            ..Summary::default()
        }
    }

    /// Folds `other` (later replicates) into `self`.
    pub fn merge(&mut self, other: &Summary) {
        self.replicates += other.replicates;
        self.rejections += other.rejections;
        self.favourable_rejections += other.favourable_rejections;
        self.failures += other.failures;
        self.failure_reasons.merge(&other.failure_reasons);
        self.successes += other.successes;
        self.covered += other.covered;
        self.estimate.merge(&other.estimate);
        self.truth.merge(&other.truth);
        self.estimand_truth.merge(&other.estimand_truth);
        self.error.merge(&other.error);
        self.estimand_error.merge(&other.estimand_error);
        merge_option(&mut self.estimands, &other.estimands, StrategyErrors::merge);
        merge_option(&mut self.flares, &other.flares, |a, b| {
            a.msc.merge(&b.msc);
            a.control.merge(&b.control);
        });
        merge_option(&mut self.survival, &other.survival, SurvivalStats::merge);
        merge_option(&mut self.safety, &other.safety, safety::SafetyStats::merge);
        merge_option(
            &mut self.product,
            &other.product,
            product::ProductStats::merge,
        );
        merge_option(&mut self.looks, &other.looks, looks::LookStats::merge);
        merge_option(
            &mut self.borrowing,
            &other.borrowing,
            borrowing::BorrowStats::merge,
        );
    }

    /// Power (or type I error): the share of replicates that rejected.
    pub fn power(&self) -> Figure {
        Figure::rate(self.rejections, self.replicates)
    }

    /// The share of replicates that rejected with an estimate favouring MSC.
    pub fn favourable_power(&self) -> Figure {
        Figure::rate(self.favourable_rejections, self.replicates)
    }
}

/// Failed analyses by reason (see [`AnalysisFailure`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailureReasons {
    pub too_few_patients: u64,
    pub zero_variance: u64,
    pub not_finite: u64,
}

impl FailureReasons {
    /// Counts one failure.
    pub fn push(&mut self, failure: AnalysisFailure) {
        *match failure {
            AnalysisFailure::TooFewPatients => &mut self.too_few_patients,
            AnalysisFailure::ZeroVariance => &mut self.zero_variance,
            AnalysisFailure::NotFinite => &mut self.not_finite,
        } += 1;
    }

    /// Folds `other` in.
    pub fn merge(&mut self, other: &FailureReasons) {
        self.too_few_patients += other.too_few_patients;
        self.zero_variance += other.zero_variance;
        self.not_finite += other.not_finite;
    }

    /// The commonest reason, if any analysis failed.
    pub fn commonest(&self) -> Option<AnalysisFailure> {
        [
            (self.too_few_patients, AnalysisFailure::TooFewPatients),
            (self.zero_variance, AnalysisFailure::ZeroVariance),
            (self.not_finite, AnalysisFailure::NotFinite),
        ]
        .into_iter()
        .filter(|(n, _)| *n > 0)
        .max_by_key(|(n, _)| *n)
        .map(|(_, f)| f)
    }
}

/// Merges an optional accumulator, adopting `other`'s when `target` has none.
fn merge_option<T: Clone>(target: &mut Option<T>, other: &Option<T>, f: impl Fn(&mut T, &T)) {
    match (target.as_mut(), other) {
        (Some(a), Some(b)) => f(a, b),
        (None, Some(b)) => *target = Some(b.clone()),
        (_, None) => {}
    }
}

/// The fold of a run's complete batches `0..batches`: what a later run needs
/// to add replicates without repeating these (a final partial batch is
/// recomputed, so topping up is bit-identical to one longer run).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Resume {
    pub batches: u64,
    pub summary: Summary,
}

/// Element-wise merge, adopting `other`'s length when `target` is shorter.
pub(crate) fn merge_vec<T: Clone + Default>(
    target: &mut Vec<T>,
    other: &[T],
    f: impl Fn(&mut T, &T),
) {
    if target.len() < other.len() {
        target.resize(other.len(), T::default());
    }
    for (a, b) in target.iter_mut().zip(other) {
        f(a, b);
    }
}
