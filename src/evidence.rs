//! The evidence table and the seed case series, compiled into the binary from
//! `data/evidence.toml` and `data/cases.toml`.
//!
//! Presets and scenarios refer to rows by id, and every run lists the rows it
//! used, so each default number can be traced to its citation.

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

/// One row of the evidence table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Row {
    pub id: String,
    pub quantity: String,
    pub value: f64,
    pub sd: Option<f64>,
    pub low: Option<f64>,
    pub high: Option<f64>,
    /// What `sd`, `low` and `high` are (SD, 95% CI, IQR, assumed range).
    pub uncertainty: String,
    /// A treatment effect a `[prior]` may borrow (`prior.from`): the
    /// endpoint and scale it is on, as `"<endpoint kind>"` for a difference
    /// in mean change or `"<endpoint kind> responder"` for a difference in
    /// responder proportions (MSC or active drug minus control).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effect_on: Option<String>,
    /// The standard error of an effect row's `value`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub se: Option<f64>,
    pub n: String,
    pub population: String,
    pub follow_up: String,
    pub citation: String,
    /// C confirmed, P partly confirmed, M from memory, D derived, A assumption.
    pub confidence: Confidence,
}

/// How sure we are of a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Confidence {
    /// Confirmed from an abstract, table or registry text.
    C,
    /// Partly confirmed.
    P,
    /// From memory, unconfirmed.
    M,
    /// Derived from confirmed numbers.
    D,
    /// Assumption: the literature has no number.
    A,
}

/// One case of the seed series (Wong et al., Pediatr Rheumatol 2021).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub id: u32,
    pub diagnosis: String,
    pub age_onset_years: f64,
    pub age_msc_years: f64,
    pub age_follow_up_years: f64,
    pub msc_source: String,
    pub dose_per_kg: f64,
    pub dose_note: String,
    pub route: String,
    pub pga_before: f64,
    pub pga_after: f64,
    pub pga_note: String,
    pub activity_scale: String,
    pub activity_before: f64,
    pub activity_after: f64,
    pub concomitant: String,
    pub adverse_events: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EvidenceFile {
    row: Vec<Row>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CasesFile {
    case: Vec<Case>,
}

/// Every row of the evidence table, in file order.
pub fn rows() -> &'static [Row] {
    static ROWS: OnceLock<Vec<Row>> = OnceLock::new();
    ROWS.get_or_init(|| {
        toml::from_str::<EvidenceFile>(include_str!("../data/evidence.toml"))
            .expect("data/evidence.toml is valid (checked by the tests)")
            .row
    })
}

/// The row with this id.
pub fn row(id: &str) -> Option<&'static Row> {
    rows().iter().find(|r| r.id == id)
}

/// The three seed cases.
pub fn cases() -> &'static [Case] {
    static CASES: OnceLock<Vec<Case>> = OnceLock::new();
    CASES.get_or_init(|| {
        toml::from_str::<CasesFile>(include_str!("../data/cases.toml"))
            .expect("data/cases.toml is valid (checked by the tests)")
            .case
    })
}

impl Row {
    /// The uncertainty as text: "SD 4", "8 to 12", or the note alone.
    pub fn spread(&self) -> String {
        let mut parts = Vec::new();
        if let Some(sd) = self.sd {
            parts.push(format!("SD {sd}"));
        }
        if let (Some(lo), Some(hi)) = (self.low, self.high) {
            parts.push(format!("{lo} to {hi}"));
        }
        parts.push(self.uncertainty.clone());
        parts.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_is_cited_and_ids_are_unique() {
        let rows = rows();
        assert!(rows.len() >= 20);
        let mut ids: Vec<_> = rows.iter().map(|r| r.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), rows.len(), "duplicate ids");
        for r in rows {
            assert!(!r.citation.trim().is_empty(), "{} has no citation", r.id);
            assert!(r.value.is_finite(), "{}", r.id);
            if let (Some(lo), Some(hi)) = (r.low, r.high) {
                assert!(lo <= hi, "{}: low above high", r.id);
            }
        }
    }

    #[test]
    fn cases_match_the_seed_paper() {
        let c = cases();
        assert_eq!(c.len(), 3);
        assert_eq!((c[0].activity_before, c[0].activity_after), (6.0, 0.0));
        assert_eq!((c[1].activity_before, c[1].activity_after), (9.0, 1.0));
        assert_eq!((c[2].activity_before, c[2].activity_after), (11.0, 6.0));
        assert_eq!((c[0].pga_before, c[0].pga_after), (8.0, 2.0));
        // The PGA row of the evidence table is the mean fall of these cases.
        let mean_fall = c.iter().map(|k| k.pga_before - k.pga_after).sum::<f64>() / 3.0;
        assert!((row("wong2021.pga_improvement").unwrap().value - mean_fall).abs() < 0.01);
    }
}
