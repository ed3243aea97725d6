//! One-at-a-time sensitivity (`trialsim sensitivity`): the base scenario and
//! each variation of one key, run at one sample size with the same seed, so
//! every variation reuses the base's random streams (a replicate's stream
//! depends on the seed, the arm sizes and the replicate only): differences
//! between variations are not Monte Carlo noise. Each variation's figures
//! equal a plain run of the varied file; the Monte Carlo SE of a power
//! difference is the paired one, from the replicates whose decisions differ.

use rayon::prelude::*;
use serde::Serialize;

use super::{Cell, run_cell};
use crate::scenario::Scenario;
use crate::summary::Summary;
use crate::summary::flares::FlareColumns;

/// One scenario of a sensitivity analysis: the base, or one key set to one value.
#[derive(Debug, Clone)]
pub struct Variation {
    /// The dotted key varied (`None` for the base case).
    pub key: Option<String>,
    /// The value as written (`low`, `high`, or the list's value).
    pub label: String,
    pub value: String,
    pub scenario: Scenario,
}

/// One variation's result at the chosen sample size.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    /// `base`, or the dotted key varied.
    pub key: String,
    pub label: String,
    pub value: String,
    pub n_per_arm: usize,
    pub replicates: u64,
    pub power: f64,
    pub power_mc_se: f64,
    /// Power minus the base's power, and its paired Monte Carlo SE.
    pub power_change: f64,
    pub power_change_mc_se: f64,
    /// Replicates whose decision differs from the base's: this one rejects
    /// and the base does not, and the other way round.
    pub only_this_rejects: u64,
    pub only_base_rejects: u64,
    /// Mean estimate minus the true effect, and its Monte Carlo SE.
    pub bias: f64,
    pub bias_mc_se: f64,
    /// Replicates whose analysis failed.
    pub failures: u64,
    /// Whether the variation keeps the base's arm sizes, and so its random
    /// streams (a changed allocation draws its own; the change's SE is still
    /// the paired one over the same replicate numbers).
    pub same_streams: bool,
    /// With flares: the probability of a flare by the primary visit, per arm.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flare_by_primary_msc: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flare_by_primary_control: Option<f64>,
}

/// Whether each replicate of `cells` rejects, per cell, as bit sets over a
/// block of 64 replicates starting at `first`.
fn decisions(cells: &[Cell], seed: u64, first: u64, count: u64) -> Vec<u64> {
    let mut works: Vec<_> = cells.iter().map(Cell::workspace).collect();
    let mut sums: Vec<_> = cells.iter().map(Cell::new_summary).collect();
    let mut bits = vec![0u64; cells.len()];
    for i in 0..count {
        for (((cell, work), sum), b) in cells.iter().zip(&mut works).zip(&mut sums).zip(&mut bits) {
            let before = sum.rejections;
            cell.replicate(seed, first + i, work, sum);
            *b |= u64::from(sum.rejections > before) << i;
        }
    }
    bits
}

/// Runs every variation at `n` per arm with `replicates` replicates.
/// Variations must share the base's seed (they come from one file).
pub fn run(
    variations: &[Variation],
    n: usize,
    replicates: u64,
    progress: &(dyn Fn(u64) + Sync),
) -> Vec<Row> {
    let seed = variations[0].scenario.simulation.seed;
    let cells: Vec<Cell> = variations
        .iter()
        .map(|v| Cell::new(&v.scenario, n))
        .collect();
    let summaries: Vec<Summary> = cells
        .iter()
        .map(|c| run_cell(c, seed, replicates, progress))
        .collect();
    // Paired counts against the base (integers, so any order gives the same sums).
    let blocks = replicates.div_ceil(64);
    let discordant = (0..blocks)
        .into_par_iter()
        .map(|b| {
            let first = b * 64;
            let bits = decisions(&cells, seed, first, (replicates - first).min(64));
            bits.iter()
                .map(|&v| {
                    let base = bits[0];
                    (
                        (v & !base).count_ones() as u64,
                        (base & !v).count_ones() as u64,
                    )
                })
                .collect::<Vec<_>>()
        })
        .reduce(
            || vec![(0, 0); cells.len()],
            |a, b| {
                a.iter()
                    .zip(&b)
                    .map(|(x, y)| (x.0 + y.0, x.1 + y.1))
                    .collect()
            },
        );
    let r = replicates as f64;
    let base_power = summaries[0].rejections as f64 / r;
    variations
        .iter()
        .zip(&summaries)
        .zip(discordant)
        .zip(&cells)
        .map(|(((v, s), (only_this, only_base)), cell)| {
            let power = s.rejections as f64 / r;
            let flare = FlareColumns::new(s.flares.as_ref(), &[])
                .flare_probability_by_primary
                .filter(|_| {
                    v.scenario
                        .intercurrent
                        .as_ref()
                        .is_some_and(|ic| ic.therapy.has_flares())
                });
            let (b, c) = (only_this as f64, only_base as f64);
            Row {
                key: v.key.clone().unwrap_or_else(|| "base".into()),
                label: v.label.clone(),
                value: v.value.clone(),
                n_per_arm: n,
                replicates,
                power,
                power_mc_se: (power * (1.0 - power) / r).sqrt(),
                power_change: power - base_power,
                power_change_mc_se: ((b + c) - (b - c).powi(2) / r).max(0.0).sqrt() / r,
                only_this_rejects: only_this,
                only_base_rejects: only_base,
                bias: s.error.mean_or_nan(),
                bias_mc_se: s.error.se(),
                failures: s.failures,
                same_streams: cell.sizes == cells[0].sizes,
                flare_by_primary_msc: flare.map(|f| f.msc),
                flare_by_primary_control: flare.and_then(|f| f.control),
            }
        })
        .collect()
}
