//! The registry of analyses: the one place that matches on
//! [`AnalysisKind`]. Everything else asks [`Properties`] or the prepared
//! [`Analyzer`].
//!
//! To add an analysis: a file in this folder with its function and a type
//! implementing [`Analysis`], a variant in `scenario::raw::AnalysisKind` (the
//! name scenario files use), and one arm in [`properties`].

use super::ancova::Ancova;
use super::fisher::{FisherResponder, LogFactorials};
use super::paired::Paired;
use super::stratified::Stratified;
use super::survival::{CoxAnalysis, LogRankAnalysis};
use super::welch::Welch;
use super::wilcoxon::{self, Wilcoxon};
use super::{
    Alternative, Analysis, AnalysisFailure, ArmView, EffectScale, Interval, Scratch, TestResult,
};
use crate::design::Arms;
use crate::scenario::{AnalysisKind, Sided};
use crate::stats::t_critical::{Critical, Tail};

/// What an analysis needs from a scenario and what it gives.
#[derive(Clone, Copy)]
pub struct Properties {
    /// Estimates a difference in responder proportions (needs
    /// `endpoint.responder_threshold`); otherwise a difference in change.
    pub responder: bool,
    /// Gives a t interval, so Rubin's rules can combine its analyses of
    /// imputed data (the hypothetical strategy).
    pub t_based: bool,
    /// Analyses a single-arm series (before/after on the same patients)
    /// rather than two randomised arms.
    pub single_arm: bool,
    /// Needs `[[stratum]]` tables (a pooled trial).
    pub stratified: bool,
    /// Analyses the time to the first flare (needs `endpoint.kind =
    /// "time_to_flare"`); its estimate is a log hazard ratio.
    pub time_to_event: bool,
    /// Most MSC-control pairs the analysis may hold, when it holds them all.
    pub max_pairs: Option<f64>,
    /// Degrees of freedom fixed by the arm sizes, when the test has them
    /// (its critical value is then computed once per cell).
    fixed_df: fn(Arms<usize>) -> Option<f64>,
    build: fn(&Setup) -> Box<dyn Analysis>,
}

/// What a test is prepared from.
struct Setup {
    alternative: Alternative,
    sizes: Arms<usize>,
    threshold: f64,
}

fn no_fixed_df(_: Arms<usize>) -> Option<f64> {
    None
}

/// The properties of `kind`: the registry itself.
pub fn properties(kind: AnalysisKind) -> Properties {
    let base = Properties {
        responder: false,
        t_based: false,
        single_arm: false,
        stratified: false,
        time_to_event: false,
        max_pairs: None,
        fixed_df: no_fixed_df,
        build: |s| {
            Box::new(Welch {
                alternative: s.alternative,
            })
        },
    };
    match kind {
        AnalysisKind::WelchT => Properties {
            t_based: true,
            ..base
        },
        AnalysisKind::Ancova => Properties {
            t_based: true,
            fixed_df: |n| (n.total() > 3).then(|| (n.total() - 3) as f64),
            build: |s| {
                Box::new(Ancova {
                    alternative: s.alternative,
                })
            },
            ..base
        },
        AnalysisKind::StratifiedAncova => Properties {
            t_based: true,
            stratified: true,
            build: |s| {
                Box::new(Stratified {
                    alternative: s.alternative,
                })
            },
            ..base
        },
        AnalysisKind::PairedT => Properties {
            single_arm: true,
            fixed_df: |n| (n.msc > 1).then(|| (n.msc - 1) as f64),
            build: |s| {
                Box::new(Paired {
                    alternative: s.alternative,
                })
            },
            ..base
        },
        AnalysisKind::Wilcoxon => Properties {
            max_pairs: Some(wilcoxon::MAX_PAIRS),
            build: |s| Box::new(Wilcoxon::new(s.alternative, s.sizes.msc, s.sizes.control)),
            ..base
        },
        AnalysisKind::FisherResponder => Properties {
            responder: true,
            build: |s| {
                Box::new(FisherResponder {
                    alternative: s.alternative,
                    threshold: s.threshold,
                    log_factorials: LogFactorials::new(s.sizes.total()),
                })
            },
            ..base
        },
        AnalysisKind::Logrank => Properties {
            time_to_event: true,
            build: |s| {
                Box::new(LogRankAnalysis {
                    alternative: s.alternative,
                })
            },
            ..base
        },
        AnalysisKind::Cox => Properties {
            time_to_event: true,
            build: |s| {
                Box::new(CoxAnalysis {
                    alternative: s.alternative,
                })
            },
            ..base
        },
    }
}

/// An analysis prepared for one pair of arm sizes, with what the rest of
/// the pipeline asks of it.
#[derive(Debug)]
pub struct Analyzer {
    kind: AnalysisKind,
    test: Box<dyn Analysis>,
    alternative: Alternative,
    scale: EffectScale,
    t_based: bool,
    /// Degrees of freedom fixed by the design, if any.
    fixed_df: Option<f64>,
    /// The 0.975 critical values (two-sided 95% coverage), fixed df or any.
    t_975: Critical,
}

impl Analyzer {
    /// Prepares `kind` for arms of `sizes` patients. `responder_threshold`
    /// is needed by responder analyses only (validation guarantees it).
    pub fn new(
        kind: AnalysisKind,
        sided: Sided,
        sizes: Arms<usize>,
        responder_threshold: Option<f64>,
    ) -> Analyzer {
        let p = properties(kind);
        let scale = if p.time_to_event {
            EffectScale::LogHazardRatio
        } else if p.responder {
            EffectScale::Responder {
                threshold: responder_threshold
                    .expect("validated: a responder analysis has a threshold"),
            }
        } else {
            EffectScale::Change
        };
        let alternative = match (sided, scale) {
            (Sided::Two, _) => Alternative::TwoSided,
            (Sided::One, EffectScale::Change | EffectScale::LogHazardRatio) => Alternative::Less,
            (Sided::One, EffectScale::Responder { .. }) => Alternative::Greater,
        };
        let fixed_df = (p.fixed_df)(sizes);
        let t_975 = Critical::new(fixed_df, p.t_based, 0.025, Tail::Upper);
        let setup = Setup {
            alternative,
            sizes,
            threshold: responder_threshold.unwrap_or(f64::NAN),
        };
        Analyzer {
            kind,
            test: (p.build)(&setup),
            alternative,
            scale,
            t_based: p.t_based,
            fixed_df,
            t_975,
        }
    }

    /// The kind of analysis.
    pub fn kind(&self) -> AnalysisKind {
        self.kind
    }

    /// The alternative hypothesis this analysis tests.
    pub fn alternative(&self) -> Alternative {
        self.alternative
    }

    /// The scale of the estimate.
    pub fn effect_scale(&self) -> EffectScale {
        self.scale
    }

    /// Degrees of freedom fixed by the arm sizes, if the test has them.
    pub fn fixed_df(&self) -> Option<f64> {
        self.fixed_df
    }

    /// Whether the analysis gives a t-interval (Rubin's rules can combine it).
    pub fn is_t_based(&self) -> bool {
        self.t_based
    }

    /// Whether the analysis reads the time to the first flare.
    pub fn is_time_to_event(&self) -> bool {
        self.scale == EffectScale::LogHazardRatio
    }

    /// Whether the estimate is a difference in responder proportions.
    pub fn is_responder(&self) -> bool {
        matches!(self.scale, EffectScale::Responder { .. })
    }

    /// Whether a result's 95% interval contains `theta`.
    #[inline]
    pub fn covers(&self, result: &TestResult, theta: f64) -> bool {
        if let Interval::T { se, df } = result.interval {
            // Covered exactly when the two-sided p-value is at least 0.05,
            // i.e. when sf(|estimate - theta| / se) is at least 0.025.
            let z = (result.estimate - theta).abs() / se;
            let decided = self.t_975.beyond(z, df);
            if let Some(beyond) = decided {
                return !beyond;
            }
        }
        result.covers(theta, None)
    }

    /// Runs the analysis on one replicate.
    ///
    /// # Errors
    /// An [`AnalysisFailure`] when the data admit no test, including
    /// [`AnalysisFailure::NotFinite`] when the arithmetic overflowed: a
    /// counted failure, never a panic or a NaN decision.
    #[inline]
    pub fn analyse(
        &self,
        msc: ArmView<'_>,
        control: ArmView<'_>,
        scratch: &mut Scratch,
    ) -> Result<TestResult, AnalysisFailure> {
        let result = self.test.analyse(msc, control, scratch)?;
        if result.is_finite() {
            Ok(result)
        } else {
            Err(AnalysisFailure::NotFinite)
        }
    }
}
