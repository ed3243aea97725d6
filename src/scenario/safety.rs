//! `[safety]`: adverse events per arm and a safety stopping rule, raw and
//! validated (the checks are in `scenario::validate::safety`).

use serde::Deserialize;

use super::intercurrent::RawProbability;
use crate::design::Arms;

/// `[safety]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSafety {
    pub infusions: Option<i64>,
    #[serde(default)]
    pub event: Vec<RawEvent>,
    pub stopping: Option<RawStopping>,
}

/// `[[safety.event]]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEvent {
    pub name: String,
    pub per: Option<Per>,
    pub rate: Option<RawProbability>,
    pub serious: Option<bool>,
    pub source: Option<String>,
}

/// What an event rate counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Per {
    /// Expected events per infusion (MSC, or placebo in the control arm).
    Infusion,
    /// Expected events per child-year of follow-up.
    PatientYear,
}

/// `[safety.stopping]`
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStopping {
    pub rule: Option<StopRule>,
    pub serious_children: Option<i64>,
    pub prior: Option<Vec<f64>>,
    pub limit: Option<f64>,
    pub probability: Option<f64>,
}

/// `safety.stopping.rule`
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StopRule {
    Count,
    BetaBinomial,
}

/// One kind of adverse event, validated.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Event {
    pub name: String,
    pub per: Per,
    /// Expected events per unit of exposure in each arm (Poisson counts).
    pub rate: Arms<f64>,
    pub serious: bool,
    pub source: String,
}

/// The safety monitor, validated: checked after each MSC child (in
/// enrolment order) on whether that child had a serious event.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub enum Stopping {
    /// Stop once this many MSC children have had a serious event.
    Count { serious_children: u32 },
    /// Stop once P(share of MSC children with a serious event > `limit` |
    /// data) exceeds `probability`, under a Beta(`a`, `b`) prior.
    BetaBinomial {
        a: f64,
        b: f64,
        limit: f64,
        probability: f64,
    },
}

/// `[safety]`, validated.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Safety {
    /// Infusions per child (placebo infusions in the control arm).
    pub infusions: u32,
    pub events: Vec<Event>,
    pub stopping: Option<Stopping>,
}

/// Most event kinds a scenario may list.
pub const MAX_EVENTS: usize = 16;
/// Most infusions per child.
pub const MAX_INFUSIONS: i64 = 20;
/// Largest expected events per infusion, or per child-year.
pub const MAX_RATE: f64 = 20.0;
