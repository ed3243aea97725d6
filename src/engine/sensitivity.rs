//! One-at-a-time sensitivity (`trialsim sensitivity`): the base scenario and
//! each variation of one key, run at one sample size with the same seed, so
//! every variation reuses the base's random streams (a replicate's stream
//! depends on the seed, the arm sizes and the replicate only): differences
//! between variations are not Monte Carlo noise. Each variation's figures
//! equal a plain run of the varied file; the Monte Carlo SE of a power
//! difference is the paired one, from the replicates whose decisions differ.

use rayon::prelude::*;
use serde::Serialize;

use super::batch::window;
use super::{BATCH, Cell, Folder};
use crate::design::stream::EffectMode;
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

/// 64-bit words of rejection bits per batch (a bit per replicate).
const WORDS_PER_BATCH: usize = (BATCH / 64) as usize;

/// Every cell's summary of `replicates` replicates (folded batch by batch,
/// as [`super::run_cell`] folds them, so each equals a plain run) and, per
/// cell, the replicates that reject where the first cell (the base) does
/// not and the other way round. One pass: each batch runs every cell on
/// the same replicate numbers and compares their decisions there, so no
/// replicate is simulated twice.
fn simulate(
    cells: &[Cell],
    seed: u64,
    replicates: u64,
    progress: &(dyn Fn(u64) + Sync),
) -> (Vec<Summary>, Vec<(u64, u64)>) {
    let batches = replicates.div_ceil(BATCH);
    let mut folders: Vec<Folder> = cells
        .iter()
        .map(|c| Folder::new(replicates, c.empty_resume()))
        .collect();
    let mut discordant = vec![(0u64, 0u64); cells.len()];
    // A window holds a summary per batch and variation: as many as a run's
    // window holds batches (8 per thread) while there are at most four
    // variations, and 2 per thread and variation beyond that (at least two
    // batches per thread keep every thread busy), not 8 per thread and
    // variation.
    let threads = rayon::current_num_threads();
    let window = (window() / cells.len()).max(2 * threads) as u64;
    let mut first = 0;
    while first < batches {
        let last = (first + window).min(batches);
        let parts: Vec<Vec<(Summary, [u64; WORDS_PER_BATCH])>> = (first..last)
            .into_par_iter()
            .map_init(
                || cells.iter().map(Cell::workspace).collect::<Vec<_>>(),
                |works, b| {
                    cells
                        .iter()
                        .zip(works.iter_mut())
                        .map(|(cell, work)| {
                            let mut bits = [0u64; WORDS_PER_BATCH];
                            let summary = cell.batch_each(
                                EffectMode::Fixed,
                                seed,
                                b,
                                replicates,
                                work,
                                |r, rejected| {
                                    let i = (r - b * BATCH) as usize;
                                    bits[i / 64] |= u64::from(rejected) << (i % 64);
                                },
                            );
                            (summary, bits)
                        })
                        .collect()
                },
            )
            .collect();
        progress(parts.iter().flatten().map(|(s, _)| s.replicates).sum());
        for (b, part) in (first..last).zip(parts) {
            let base = part[0].1;
            for (i, (summary, bits)) in part.iter().enumerate() {
                for (&v, &w) in bits.iter().zip(&base) {
                    discordant[i].0 += u64::from((v & !w).count_ones());
                    discordant[i].1 += u64::from((w & !v).count_ones());
                }
                folders[i].push(b, summary);
            }
        }
        first = last;
    }
    let summaries = folders.into_iter().map(|f| f.finish().0).collect();
    (summaries, discordant)
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
    let (summaries, discordant) = simulate(&cells, seed, replicates, progress);
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
