//! `[estimand]`: which ICH E9(R1) strategy handles intercurrent events.
//!
//! The strategy is a choice from a closed list, so serde has already checked
//! it; what it demands of the analysis and design is in [`super::rules`]
//! (`composite_needs_fisher`, `hypothetical_needs_t_analysis`,
//! `single_arm_only_treatment_policy`).

use crate::scenario::intercurrent::{RawEstimand, Strategy};

/// `strategy`, by default treatment policy (every value counts as observed).
pub fn strategy(raw: Option<RawEstimand>) -> Strategy {
    raw.and_then(|e| e.strategy)
        .unwrap_or(Strategy::TreatmentPolicy)
}
