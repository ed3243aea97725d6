//! `[standard_therapy]`, `[[concomitant]]` and `[estimand]`: intercurrent
//! events, raw and validated.

use serde::Deserialize;

use super::{AnalysisKind, DesignKind, ScenarioError};

/// A hazard per week: one number, or `[[from_week, hazard], ...]` pieces.
#[derive(Debug, Clone, Deserialize)]
#[serde(
    untagged,
    expecting = "expected a hazard per week (a number) or a list of [from_week, hazard] pairs"
)]
pub enum RawHazard {
    Constant(f64),
    Pieces(Vec<[f64; 2]>),
}

/// `standard_therapy.policy`
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Policy {
    Continue,
    Withdraw,
}

/// An arm name as written in scenario files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ArmName {
    Msc,
    Control,
}

/// `[standard_therapy]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStandardTherapy {
    pub policy: Option<Policy>,
    pub withdraw_arms: Option<Vec<ArmName>>,
    pub taper_weeks: Option<f64>,
    pub flare_hazard_on: Option<RawHazard>,
    pub flare_hazard_taper: Option<RawHazard>,
    pub flare_hazard_off: Option<RawHazard>,
    pub msc_flare_hazard_ratio: Option<f64>,
    pub msc_flare_hazard_ratio_log_sd: Option<f64>,
    pub flare_effect: Option<f64>,
    pub flare_effect_sd: Option<f64>,
    pub source: Option<String>,
}

/// `concomitant.trigger`
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    Baseline,
    Flare,
    Nonresponse,
}

/// `probability = 0.3` or `probability = { msc = 0.1, control = 0.4 }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(
    untagged,
    expecting = "expected a probability or a table { msc = ..., control = ... }"
)]
pub enum RawProbability {
    Both(f64),
    PerArm(PerArm),
}

/// `{ msc = ..., control = ... }`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PerArm {
    pub msc: f64,
    pub control: f64,
}

/// `[[concomitant]]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawConcomitant {
    pub name: String,
    pub trigger: Trigger,
    pub probability: Option<RawProbability>,
    pub effect: f64,
    pub effect_sd: Option<f64>,
    pub start_week: Option<f64>,
    pub duration_weeks: Option<f64>,
    pub half_life_weeks: Option<f64>,
    pub improvement_needed: Option<f64>,
    pub source: String,
}

/// `estimand.strategy` (ICH E9(R1)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    TreatmentPolicy,
    Hypothetical,
    Composite,
    WhileOnTreatment,
}

impl Strategy {
    /// All four, in report order.
    pub const ALL: [Strategy; 4] = [
        Strategy::TreatmentPolicy,
        Strategy::Hypothetical,
        Strategy::Composite,
        Strategy::WhileOnTreatment,
    ];

    /// Position in [`Strategy::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// The name a scenario file uses.
    pub fn name(self) -> &'static str {
        match self {
            Strategy::TreatmentPolicy => "treatment_policy",
            Strategy::Hypothetical => "hypothetical",
            Strategy::Composite => "composite",
            Strategy::WhileOnTreatment => "while_on_treatment",
        }
    }
}

/// `[estimand]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEstimand {
    pub strategy: Option<Strategy>,
}

/// A piecewise-constant hazard per week: `rates[i]` from `starts[i]` on.
#[derive(Debug, Clone, PartialEq)]
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

    /// Whether the hazard is zero everywhere.
    pub fn is_zero(&self) -> bool {
        self.rates.iter().all(|&r| r == 0.0)
    }
}

/// Standard therapy and flares, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct StandardTherapy {
    pub policy: Policy,
    /// Whether each arm withdraws, indexed `[msc, control]`.
    pub withdraws: [bool; 2],
    pub taper_weeks: f64,
    pub hazard_on: Piecewise,
    /// `None`: midway between on and off at each week.
    pub hazard_taper: Option<Piecewise>,
    pub hazard_off: Piecewise,
    pub msc_hazard_ratio: f64,
    pub msc_hazard_ratio_log_sd: f64,
    pub flare_effect: f64,
    pub flare_effect_sd: f64,
    pub source: String,
}

impl StandardTherapy {
    /// Continue everything, no flares: the core engine's world.
    pub fn none() -> StandardTherapy {
        StandardTherapy {
            policy: Policy::Continue,
            withdraws: [false, false],
            taper_weeks: 0.0,
            hazard_on: Piecewise::constant(0.0),
            hazard_taper: None,
            hazard_off: Piecewise::constant(0.0),
            msc_hazard_ratio: 1.0,
            msc_hazard_ratio_log_sd: 0.0,
            flare_effect: 0.0,
            flare_effect_sd: 0.0,
            source: String::new(),
        }
    }

    /// Whether flares can happen at all.
    pub fn has_flares(&self) -> bool {
        !(self.hazard_on.is_zero()
            && self.hazard_off.is_zero()
            && self.hazard_taper.as_ref().is_none_or(Piecewise::is_zero))
    }
}

/// One concomitant or rescue therapy, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Concomitant {
    pub name: String,
    pub trigger: Trigger,
    /// Probability of use, indexed `[msc, control]`.
    pub probability: [f64; 2],
    pub effect: f64,
    pub effect_sd: f64,
    /// Baseline: week started. Flare: delay after the first flare.
    /// Nonresponse: the visit week at which response is assessed.
    pub start_week: f64,
    pub duration_weeks: f64,
    pub half_life_weeks: f64,
    pub improvement_needed: f64,
    pub source: String,
}

impl Concomitant {
    /// Share of the full effect `s` weeks after the start.
    #[inline]
    pub fn weight(&self, s: f64) -> f64 {
        if s < 0.0 {
            0.0
        } else if s < self.duration_weeks {
            1.0
        } else if self.half_life_weeks > 0.0 {
            0.5f64.powf((s - self.duration_weeks) / self.half_life_weeks)
        } else {
            0.0
        }
    }
}

/// Everything about intercurrent events in a scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Intercurrent {
    pub therapy: StandardTherapy,
    pub concomitants: Vec<Concomitant>,
    pub strategy: Strategy,
    /// Follow-up ends here (at or after the primary visit).
    pub follow_up_weeks: f64,
}

/// Most concomitant therapies a scenario may list.
pub const MAX_CONCOMITANT: usize = 8;

fn hazard(
    bad: &impl Fn(&str, String) -> ScenarioError,
    key: &str,
    raw: &RawHazard,
) -> Result<Piecewise, ScenarioError> {
    let pieces = match raw {
        RawHazard::Constant(h) => vec![[0.0, *h]],
        RawHazard::Pieces(p) => p.clone(),
    };
    if pieces.is_empty() || pieces[0][0] != 0.0 {
        return Err(bad(
            key,
            "the pieces must start at week 0: [[0, hazard], [from_week, hazard], ...]".into(),
        ));
    }
    let mut previous = -1.0;
    for &[week, h] in &pieces {
        if !(week.is_finite() && week > previous) {
            return Err(bad(
                key,
                format!(
                    "{week} is not allowed: piece weeks must be finite and strictly increasing"
                ),
            ));
        }
        if !(h.is_finite() && h >= 0.0) {
            return Err(bad(
                key,
                format!("{h} is not allowed: a hazard per week must be 0 or more"),
            ));
        }
        previous = week;
    }
    Ok(Piecewise {
        starts: pieces.iter().map(|p| p[0]).collect(),
        rates: pieces.iter().map(|p| p[1]).collect(),
    })
}

fn probability(
    bad: &impl Fn(&str, String) -> ScenarioError,
    key: &str,
    p: f64,
) -> Result<f64, ScenarioError> {
    if (0.0..=1.0).contains(&p) {
        Ok(p)
    } else {
        Err(bad(
            key,
            format!("{p} is not allowed: a probability must lie from 0 to 1"),
        ))
    }
}

/// Inputs of [`validate`] from the rest of the scenario.
pub struct Context<'a> {
    pub design: DesignKind,
    pub analysis: AnalysisKind,
    pub visits_weeks: &'a [f64],
    pub follow_up_weeks: Option<f64>,
    pub responder_threshold: Option<f64>,
    pub strata: bool,
}

/// Validates the intercurrent-event tables; `None` when the scenario has none.
///
/// # Errors
/// A [`ScenarioError`] naming the key and what is allowed.
pub fn validate(
    bad: &impl Fn(&str, String) -> ScenarioError,
    therapy: Option<RawStandardTherapy>,
    concomitants: Vec<RawConcomitant>,
    estimand: Option<RawEstimand>,
    cx: Context<'_>,
) -> Result<Option<Intercurrent>, ScenarioError> {
    let primary = *cx
        .visits_weeks
        .last()
        .expect("validated: at least one visit");
    let follow_up_weeks = cx.follow_up_weeks.unwrap_or(primary);
    if !(follow_up_weeks.is_finite() && follow_up_weeks >= primary) {
        return Err(bad(
            "design.follow_up_weeks",
            format!(
                "{follow_up_weeks} is not allowed: follow-up must last at least to the primary visit (week {primary})"
            ),
        ));
    }
    if therapy.is_none() && concomitants.is_empty() && estimand.is_none() {
        return Ok(None);
    }
    if cx.strata {
        return Err(bad(
            "standard_therapy",
            "intercurrent events are not supported in pooled ([[stratum]]) trials yet: remove [standard_therapy], [[concomitant]] and [estimand]".into(),
        ));
    }
    let strategy = estimand
        .and_then(|e| e.strategy)
        .unwrap_or(Strategy::TreatmentPolicy);
    if strategy == Strategy::Composite && cx.analysis != AnalysisKind::FisherResponder {
        return Err(bad(
            "estimand.strategy",
            "\"composite\" counts rescue or flare as non-response, so it needs analysis = \"fisher_responder\"; with a continuous analysis choose treatment_policy, hypothetical or while_on_treatment".into(),
        ));
    }

    if strategy == Strategy::Hypothetical
        && !matches!(cx.analysis, AnalysisKind::WelchT | AnalysisKind::Ancova)
    {
        return Err(bad(
            "estimand.strategy",
            "\"hypothetical\" multiply imputes values after concomitant therapy and combines the analyses by Rubin's rules, which needs a t-based analysis: use analysis = \"welch_t\" or \"ancova\"".into(),
        ));
    }
    let t = therapy.unwrap_or_default();
    let policy = t.policy.unwrap_or(Policy::Continue);
    let arms = t.withdraw_arms.clone();
    let withdraws = match (policy, arms) {
        (Policy::Continue, None) => [false, false],
        (Policy::Continue, Some(_)) => {
            return Err(bad(
                "standard_therapy.withdraw_arms",
                "is only for policy = \"withdraw\"; with \"continue\" every arm keeps its standard therapy".into(),
            ));
        }
        (Policy::Withdraw, None) => [true, cx.design == DesignKind::Parallel],
        (Policy::Withdraw, Some(list)) => {
            if list.is_empty() {
                return Err(bad(
                    "standard_therapy.withdraw_arms",
                    "is empty: list \"msc\", \"control\" or both".into(),
                ));
            }
            if cx.design == DesignKind::SingleArm && list.contains(&ArmName::Control) {
                return Err(bad(
                    "standard_therapy.withdraw_arms",
                    "a single-arm design has only the \"msc\" arm".into(),
                ));
            }
            [
                list.contains(&ArmName::Msc),
                list.contains(&ArmName::Control),
            ]
        }
    };
    let taper_weeks = t.taper_weeks.unwrap_or(0.0);
    if !(taper_weeks.is_finite() && taper_weeks >= 0.0) {
        return Err(bad(
            "standard_therapy.taper_weeks",
            format!("{taper_weeks} is not allowed: weeks of tapering must be 0 or more"),
        ));
    }
    let hazard_on = match &t.flare_hazard_on {
        Some(h) => hazard(bad, "standard_therapy.flare_hazard_on", h)?,
        None => Piecewise::constant(0.0),
    };
    let hazard_off = match &t.flare_hazard_off {
        Some(h) => hazard(bad, "standard_therapy.flare_hazard_off", h)?,
        None => hazard_on.clone(),
    };
    let hazard_taper = match &t.flare_hazard_taper {
        Some(h) => Some(hazard(bad, "standard_therapy.flare_hazard_taper", h)?),
        None => None,
    };
    let msc_hazard_ratio = t.msc_flare_hazard_ratio.unwrap_or(1.0);
    if !(msc_hazard_ratio.is_finite() && msc_hazard_ratio > 0.0) {
        return Err(bad(
            "standard_therapy.msc_flare_hazard_ratio",
            format!("{msc_hazard_ratio} is not allowed: a hazard ratio must be above 0"),
        ));
    }
    let msc_hazard_ratio_log_sd = t.msc_flare_hazard_ratio_log_sd.unwrap_or(0.0);
    if !(msc_hazard_ratio_log_sd.is_finite() && msc_hazard_ratio_log_sd >= 0.0) {
        return Err(bad(
            "standard_therapy.msc_flare_hazard_ratio_log_sd",
            format!("{msc_hazard_ratio_log_sd} is not allowed: an SD must be 0 or more"),
        ));
    }
    let flare_effect = t.flare_effect.unwrap_or(0.0);
    let flare_effect_sd = t.flare_effect_sd.unwrap_or(0.0);
    if !flare_effect.is_finite() {
        return Err(bad(
            "standard_therapy.flare_effect",
            "give a finite number (scale units added per flare)".into(),
        ));
    }
    if !(flare_effect_sd.is_finite() && flare_effect_sd >= 0.0) {
        return Err(bad(
            "standard_therapy.flare_effect_sd",
            format!("{flare_effect_sd} is not allowed: an SD must be 0 or more"),
        ));
    }
    let therapy = StandardTherapy {
        policy,
        withdraws,
        taper_weeks,
        hazard_on,
        hazard_taper,
        hazard_off,
        msc_hazard_ratio,
        msc_hazard_ratio_log_sd,
        flare_effect,
        flare_effect_sd,
        source: t.source.clone().unwrap_or_default(),
    };
    if (therapy.has_flares() || flare_effect != 0.0) && therapy.source.trim().is_empty() {
        return Err(bad(
            "standard_therapy.source",
            "missing: cite where the flare hazards and flare effect come from (authors, journal, year), or say they are assumptions".into(),
        ));
    }

    if concomitants.len() > MAX_CONCOMITANT {
        return Err(bad(
            "concomitant",
            format!(
                "{} therapies: at most {MAX_CONCOMITANT} are allowed",
                concomitants.len()
            ),
        ));
    }
    let mut list = Vec::with_capacity(concomitants.len());
    for (i, c) in concomitants.into_iter().enumerate() {
        let key = |k: &str| format!("concomitant[{i}].{k}");
        let probability = match c.probability {
            None => [1.0, 1.0],
            Some(RawProbability::Both(p)) => {
                let p = probability(bad, &key("probability"), p)?;
                [p, p]
            }
            Some(RawProbability::PerArm(pa)) => [
                probability(bad, &key("probability.msc"), pa.msc)?,
                probability(bad, &key("probability.control"), pa.control)?,
            ],
        };
        if !c.effect.is_finite() {
            return Err(bad(
                &key("effect"),
                "give a finite number (scale units; negative improves)".into(),
            ));
        }
        let effect_sd = c.effect_sd.unwrap_or(0.0);
        if !(effect_sd.is_finite() && effect_sd >= 0.0) {
            return Err(bad(
                &key("effect_sd"),
                format!("{effect_sd} is not allowed: an SD must be 0 or more"),
            ));
        }
        let start_week = c.start_week.unwrap_or(0.0);
        let last = follow_up_weeks;
        if !(start_week.is_finite() && start_week >= 0.0 && start_week <= last) {
            return Err(bad(
                &key("start_week"),
                format!(
                    "{start_week} is not allowed: it must lie from week 0 to the end of follow-up (week {last})"
                ),
            ));
        }
        if c.trigger == Trigger::Nonresponse
            && !cx.visits_weeks[..cx.visits_weeks.len() - 1].contains(&start_week)
        {
            return Err(bad(
                &key("start_week"),
                format!(
                    "{start_week} is not allowed: non-response is assessed at a visit before the primary one; choose one of {:?}",
                    &cx.visits_weeks[..cx.visits_weeks.len() - 1]
                ),
            ));
        }
        let duration_weeks = c.duration_weeks.unwrap_or(f64::INFINITY);
        let half_life_weeks = c.half_life_weeks.unwrap_or(0.0);
        if duration_weeks.is_nan() || duration_weeks <= 0.0 {
            return Err(bad(
                &key("duration_weeks"),
                format!("{duration_weeks} is not allowed: the effect must last above 0 weeks"),
            ));
        }
        if !(half_life_weeks.is_finite() && half_life_weeks >= 0.0) {
            return Err(bad(
                &key("half_life_weeks"),
                format!("{half_life_weeks} is not allowed: 0 (the effect stops at once) or more"),
            ));
        }
        if c.source.trim().is_empty() {
            return Err(bad(
                &key("source"),
                "is empty: cite the therapy's effect and use, or say they are assumptions".into(),
            ));
        }
        list.push(Concomitant {
            name: c.name,
            trigger: c.trigger,
            probability,
            effect: c.effect,
            effect_sd,
            start_week,
            duration_weeks,
            half_life_weeks,
            // Not improved: a fall below this (default: the responder
            // threshold; without one, no fall at all).
            improvement_needed: c
                .improvement_needed
                .or(cx.responder_threshold)
                .unwrap_or(f64::MIN_POSITIVE),
            source: c.source,
        });
    }
    if cx.design == DesignKind::SingleArm && strategy != Strategy::TreatmentPolicy {
        return Err(bad(
            "estimand.strategy",
            "a single-arm series supports only \"treatment_policy\"".into(),
        ));
    }
    Ok(Some(Intercurrent {
        therapy,
        concomitants: list,
        strategy,
        follow_up_weeks,
    }))
}
