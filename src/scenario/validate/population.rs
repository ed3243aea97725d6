//! The endpoint scale and a population: user values first, the disease preset
//! for whatever is missing (only when the preset is on the same scale).
//!
//! Used for `[endpoint]` with `[population]`, and for each `[[stratum]]`,
//! which holds the same keys.

use super::Checker;
use crate::scenario::preset::{self, Preset};
use crate::scenario::raw::{RawEndpoint, RawEndpointKind, RawPopulation};
use crate::scenario::{EndpointKind, Population, Scale, ScenarioError};

/// A population resolved from user values and, where they are missing, the
/// disease preset on the same scale.
pub struct Resolved {
    pub scale: Scale,
    pub population: Population,
    /// The preset used, if any (its evidence rows are then cited).
    pub preset: Option<Preset>,
}

/// Resolves `[endpoint] kind` and `[population]` of an unstratified scenario.
///
/// # Errors
/// As [`resolve`], under `endpoint.kind` and `population.*`.
pub fn resolve_main(
    root: &Checker,
    endpoint: &RawEndpoint,
    population: &RawPopulation,
) -> Result<Resolved, ScenarioError> {
    resolve(
        &root.at("endpoint"),
        &root.at("population"),
        endpoint.kind.map(|k| match k {
            RawEndpointKind::Scale(k) => k,
            // An event endpoint keeps the disease's scale for the latent
            // course (run-in response, concomitant triggers).
            RawEndpointKind::Event(_) => population
                .disease
                .map_or(EndpointKind::Continuous, |d| preset::preset(d).endpoint),
        }),
        population,
    )
}

/// Resolves the endpoint scale and population; `kind_at` is the table that
/// holds `kind`, `fields_at` the one that holds the population keys.
///
/// # Errors
/// A missing kind or value with no preset to fill it, a non-finite mean, a
/// negative SD, a baseline mean off the scale or a correlation outside [-1, 1].
pub fn resolve(
    kind_at: &Checker,
    fields_at: &Checker,
    kind: Option<EndpointKind>,
    p: &RawPopulation,
) -> Result<Resolved, ScenarioError> {
    let preset = p.disease.map(preset::preset);
    let kind = match (kind, &preset) {
        (Some(k), _) => k,
        (None, Some(pr)) => pr.endpoint,
        (None, None) => {
            return Err(kind_at.bad(
                "kind",
                "missing: set it (continuous, sledai2k, jadas27, pga), or set the disease (sle, mctd, jia) to use that disease's scale",
            ));
        }
    };
    let scale = Scale::of(kind);
    // A preset's numbers are on its own scale; they apply only there.
    let preset = preset.filter(|pr| pr.endpoint == kind);
    let pick = |field: &str, user: Option<f64>, from: fn(&Preset) -> f64| {
        user.or_else(|| preset.as_ref().map(from)).ok_or_else(|| {
            let hint = match p.disease {
                Some(d) => format!(
                    "the {d} preset describes {}, not {kind}, so set it yourself",
                    preset::preset(d).endpoint
                ),
                None => "set it, or set the disease (sle, mctd, jia) to use a preset".into(),
            };
            fields_at.bad(field, format!("missing: {hint}"))
        })
    };
    let baseline_mean = pick("baseline_mean", p.baseline_mean, |p| p.baseline_mean)?;
    let baseline_sd = pick("baseline_sd", p.baseline_sd, |p| p.baseline_sd)?;
    let control_change_mean = pick("control_change_mean", p.control_change_mean, |p| {
        p.control_change_mean
    })?;
    let change_sd = pick("change_sd", p.change_sd, |p| p.change_sd)?;
    fields_at.finite("baseline_mean", baseline_mean)?;
    fields_at.finite("control_change_mean", control_change_mean)?;
    const SD: &str = "a standard deviation";
    fields_at.non_negative("baseline_sd", baseline_sd, SD)?;
    fields_at.non_negative("change_sd", change_sd, SD)?;
    if kind != EndpointKind::Continuous && !(scale.min..=scale.max).contains(&baseline_mean) {
        return Err(fields_at.bad(
            "baseline_mean",
            format!(
                "{baseline_mean} is outside the {kind} scale: it must lie from {} to {}",
                scale.min, scale.max
            ),
        ));
    }
    let rho = p
        .baseline_change_correlation
        .or_else(|| preset.as_ref().map(|p| p.baseline_change_correlation))
        .unwrap_or(0.0);
    fields_at.within(
        "baseline_change_correlation",
        rho,
        (-1.0, 1.0),
        "a correlation",
    )?;
    Ok(Resolved {
        scale,
        population: Population {
            baseline_mean,
            baseline_sd,
            control_change_mean,
            change_sd,
            baseline_change_correlation: rho,
        },
        preset,
    })
}
