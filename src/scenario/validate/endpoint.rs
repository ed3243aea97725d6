//! `[endpoint]`: the responder threshold, on the scale `endpoint.kind` (or the
//! disease preset) chose.
//!
//! The scale itself is resolved with the population in [`super::population`],
//! because a preset decides both.

use super::Checker;
use crate::scenario::preset::Preset;
use crate::scenario::raw::RawEndpoint;
use crate::scenario::{Scale, ScenarioError};

/// `responder_threshold` (default: the preset's): above 0 and at most the
/// width of the scale. `checker` is at `endpoint`.
///
/// # Errors
/// When the threshold is off the scale, zero, negative or not finite.
pub fn responder_threshold(
    checker: &Checker,
    raw: &RawEndpoint,
    scale: &Scale,
    preset: Option<&Preset>,
) -> Result<Option<f64>, ScenarioError> {
    let threshold = raw
        .responder_threshold
        .or_else(|| preset.map(|p| p.responder_threshold));
    if let Some(t) = threshold
        && !(t.is_finite() && t > 0.0 && t <= scale.range().min(super::MAX_MAGNITUDE))
    {
        return Err(checker.bad(
            "responder_threshold",
            format!(
                "{t} is not allowed: the improvement that counts as a response must be above 0 and at most {} (the width of the {} scale)",
                scale.range().min(super::MAX_MAGNITUDE),
                scale.kind
            ),
        ));
    }
    Ok(threshold)
}
