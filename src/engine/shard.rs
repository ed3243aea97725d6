//! Shards, merges and top-ups: one run's replicates split across processes or
//! machines, or extended later, with the same result as one run.
//!
//! A run's summary is the fold, in batch order, of per-batch summaries
//! ([`crate::engine::BATCH`] replicates each). Shard K of N computes the
//! batches `(K-1)·B/N .. K·B/N` and writes their summaries individually;
//! [`merge`] folds all of them in batch order, so counts and every float are
//! bit-identical to a single run with the same seed, whatever order the
//! shards finished in. The files themselves are [`crate::state`]'s.
//!
//! Nothing read back is folded before it is checked against the scenario it
//! claims to come from: its content digest, the scenario key, shard numbers,
//! which batches it holds, and every batch's counts ([`check_state`] does
//! the same for the saved run a top-up continues).

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use super::{BATCH, Cell, CellPasses, CellRun, Folder, Resume, each_cell, stream_cells};
use crate::design::stream::EffectMode;
use crate::error::{Error, Result};
use crate::scenario::Scenario;
use crate::state::{Batch, Partial, PartialCell, Provenance, RunState, Sealed, check};
use crate::summary::Summary;

/// Most shards a run may be split into: far more than any cluster array,
/// and small enough that a merge's bookkeeping stays small. A run also has
/// at most one shard per batch ([`check_shard_count`]).
pub const MAX_SHARDS: u64 = 100_000;

/// Batches of shard `k` (1-based) of `n` out of `batches`.
pub fn shard_range(batches: u64, k: u64, n: u64) -> Range<u64> {
    (k - 1) * batches / n..k * batches / n
}

/// Parses `K/N` with 1 <= K <= N <= [`MAX_SHARDS`].
///
/// # Errors
/// A message saying what is allowed.
pub fn parse_shard(text: &str) -> std::result::Result<(u64, u64), String> {
    let (k, n) = text
        .split_once('/')
        .ok_or_else(|| format!("`{text}` is not K/N (for example 3/8)"))?;
    let k: u64 = k
        .trim()
        .parse()
        .map_err(|_| format!("`{k}` is not a shard number"))?;
    let n: u64 = n
        .trim()
        .parse()
        .map_err(|_| format!("`{n}` is not a shard count"))?;
    if n == 0 || k == 0 || k > n {
        return Err(format!(
            "shard {k}/{n} does not exist: K runs from 1 to N, N at least 1"
        ));
    }
    if n > MAX_SHARDS {
        return Err(format!(
            "{n} shards is more than the {MAX_SHARDS} --shard allows; split into fewer"
        ));
    }
    Ok((k, n))
}

/// Checks that a run of `replicates` can be split into `n` shards: at most
/// one shard per batch of [`BATCH`] replicates, and at most [`MAX_SHARDS`].
///
/// # Errors
/// [`Error::Input`] naming `--shard` and the largest N allowed.
pub fn check_shard_count(n: u64, replicates: u64) -> Result<()> {
    let batches = replicates.div_ceil(BATCH);
    if n > batches.min(MAX_SHARDS) {
        return Err(Error::input(format!(
            "--shard ?/{n}: {replicates} replicates make {batches} batches of {BATCH}, so N can be at most {}",
            batches.min(MAX_SHARDS)
        )));
    }
    Ok(())
}

/// Runs shard `k` of `n` of `scenario` on the current rayon pool; `None`
/// when `stop` is raised first (a shard's file is whole or not written).
pub fn run_shard(
    scenario: &Scenario,
    provenance: Provenance,
    (k, n): (u64, u64),
    progress: &(dyn Fn(u64) + Sync),
    stop: &AtomicBool,
) -> Option<Partial> {
    let sim = &scenario.simulation;
    let range = shard_range(sim.replicates.div_ceil(BATCH), k, n);
    // Every cell's batches of the shard, streamed together.
    let passes = stream_cells(
        scenario,
        |_, _, _| {
            (
                Vec::with_capacity((range.end - range.start) as usize),
                range.clone(),
            )
        },
        |out, index, summary| out.push(Batch { index, summary }),
        progress,
        stop,
    );
    let cells = passes.ok()?.into_iter().map(partial_cell).collect();
    let partial = Partial {
        provenance,
        shard: k,
        shards: n,
        threads: rayon::current_num_threads(),
        cells,
        digest: String::new(),
    };
    Some(partial.sealed())
}

fn partial_cell(p: CellPasses<Vec<Batch>>) -> PartialCell {
    PartialCell {
        n_per_arm: p.n_per_arm,
        fixed: p.fixed,
        prior: p.prior,
        seconds: p.seconds,
    }
}

/// A merged run: the scenario, its cells, and the shards' timing.
pub struct Merged {
    pub scenario: Scenario,
    pub provenance: Provenance,
    pub runs: Vec<CellRun>,
    pub threads: usize,
}

/// Folds the shards' batches in batch order into the runs a single process
/// would have produced, after checking every partial against the scenario.
///
/// # Errors
/// An [`Error::Input`] naming the file when a partial was altered, is of a
/// different scenario, seed, replicate count or shard count, has a shard
/// number or count out of range, lacks a sample size or holds batches or
/// counts that cannot come from its shard; or when a shard is missing or
/// given twice.
pub fn merge(partials: Vec<(PathBuf, Partial)>) -> Result<Merged> {
    let Some((first_path, first)) = partials.first() else {
        return Err(Error::input(
            "nothing to merge: give partial summaries or folders holding them",
        ));
    };
    for (path, p) in &partials {
        p.verify(path)?;
    }
    let p0 = &first.provenance;
    check_set(&partials)?;
    let replicates = p0.replicates;
    let scenario = p0.scenario(first_path)?;
    for (path, p) in &partials {
        check_cells(path, p, &scenario)?;
    }
    let passes = each_cell(&scenario, |i, cell, mode| {
        fold_shards(&partials, i, cell, mode, replicates)
    })?;
    let runs = passes
        .into_iter()
        .enumerate()
        .map(|(i, p)| {
            let seconds = partials.iter().map(|(_, q)| q.cells[i].seconds).sum();
            CellRun {
                seconds,
                ..CellRun::from_passes(p)
            }
        })
        .collect();
    Ok(Merged {
        provenance: p0.clone(),
        threads: partials.iter().map(|(_, p)| p.threads).max().unwrap_or(1),
        scenario,
        runs,
    })
}

/// Checks that `partials` are the shards of one run, each once, none missing.
fn check_set(partials: &[(PathBuf, Partial)]) -> Result<()> {
    let (first_path, first) = &partials[0];
    let p0 = &first.provenance;
    for (path, p) in &partials[1..] {
        let q = &p.provenance;
        let what = if q.key != p0.key {
            Some(format!(
                "scenario `{}` vs `{}` (or its settings)",
                q.scenario, p0.scenario
            ))
        } else if q.seed != p0.seed {
            Some(format!("seed {} vs {}", q.seed, p0.seed))
        } else if q.replicates != p0.replicates {
            Some(format!("{} vs {} replicates", q.replicates, p0.replicates))
        } else if p.shards != first.shards {
            Some(format!("{} vs {} shards", p.shards, first.shards))
        } else {
            None
        };
        if let Some(what) = what {
            return Err(Error::input(format!(
                "{} and {} are parts of different runs ({what}); merge only the shards of one run",
                path.display(),
                first_path.display()
            )));
        }
    }
    let replicates = p0.replicates;
    let batches = replicates.div_ceil(BATCH);
    for (path, p) in partials {
        if p.shard == 0 || p.shard > p.shards || p.shards > batches.min(MAX_SHARDS) {
            return Err(Error::input(format!(
                "{}: shard {}/{} cannot exist for {replicates} replicates ({batches} batches; at most {MAX_SHARDS} shards)",
                path.display(),
                p.shard,
                p.shards
            )));
        }
    }
    let mut seen: BTreeMap<u64, &Path> = BTreeMap::new();
    for (path, p) in partials {
        if let Some(other) = seen.insert(p.shard, path) {
            return Err(Error::input(format!(
                "shard {}/{} is given twice: {} and {}",
                p.shard,
                p.shards,
                other.display(),
                path.display()
            )));
        }
    }
    let missing: Vec<String> = (1..=first.shards)
        .filter(|k| !seen.contains_key(k))
        .take(20)
        .map(|k| format!("{k}/{}", first.shards))
        .collect();
    if !missing.is_empty() {
        let more = first.shards - partials.len() as u64 > missing.len() as u64;
        return Err(Error::input(format!(
            "shards missing: {}{}",
            missing.join(", "),
            if more { ", ..." } else { "" }
        )));
    }

    Ok(())
}

/// Folds cell `i`'s batches (at `mode`'s effect) from every shard, in batch
/// order, checking each shard holds exactly its own batches and each batch
/// could come from this run.
fn fold_shards(
    partials: &[(PathBuf, Partial)],
    i: usize,
    cell: &super::Cell,
    mode: EffectMode,
    replicates: u64,
) -> Result<(crate::summary::Summary, Resume)> {
    let batches = replicates.div_ceil(BATCH);
    let mut folder = Folder::new(replicates, cell.empty_resume());
    let empty = cell.new_summary();
    // Shards in shard order: their batches then come in batch order.
    let mut ordered: Vec<&(PathBuf, Partial)> = partials.iter().collect();
    ordered.sort_by_key(|(_, p)| p.shard);
    for (path, p) in ordered {
        let c = &p.cells[i];
        let held = match mode {
            EffectMode::Fixed => &c.fixed,
            EffectMode::Prior => c.prior.as_deref().unwrap_or_default(),
        };
        let expected = shard_range(batches, p.shard, p.shards);
        let indices: Vec<u64> = held.iter().map(|b| b.index).collect();
        if !indices.iter().copied().eq(expected.clone()) {
            return Err(Error::input(format!(
                "{}: sample size {}: shard {}/{} must hold batches {}..{}, not {} batches{}",
                path.display(),
                c.n_per_arm,
                p.shard,
                p.shards,
                expected.start,
                expected.end,
                indices.len(),
                first_index(&indices)
            )));
        }
        for b in held {
            let should = ((b.index + 1) * BATCH).min(replicates) - b.index * BATCH;
            check_batch(&b.summary, should, &empty, cell.sizes).map_err(|e| {
                Error::input(format!(
                    "{}: sample size {}, batch {}: {e}; the file cannot come from this run",
                    path.display(),
                    c.n_per_arm,
                    b.index
                ))
            })?;
            folder.push(b.index, &b.summary);
        }
    }
    Ok(folder.finish())
}

fn first_index(indices: &[u64]) -> String {
    indices
        .first()
        .map_or(String::new(), |i| format!(" from {i}"))
}

/// A partial's cells are the scenario's sample sizes, in order, with a
/// prior pass exactly when the effect has a prior.
fn check_cells(path: &Path, p: &Partial, scenario: &Scenario) -> Result<()> {
    let sizes = &scenario.design.n_per_arm;
    let held: Vec<usize> = p.cells.iter().map(|c| c.n_per_arm).collect();
    if &held != sizes {
        return Err(Error::input(format!(
            "{}: holds sample sizes {held:?}, but the scenario has {sizes:?}; the file cannot come from this run",
            path.display()
        )));
    }
    let prior = super::cell::has_prior(scenario);
    if let Some(c) = p.cells.iter().find(|c| c.prior.is_some() != prior) {
        return Err(Error::input(format!(
            "{}: sample size {}: {} a prior pass, but the scenario's effect {} a prior",
            path.display(),
            c.n_per_arm,
            if c.prior.is_some() { "has" } else { "lacks" },
            if prior { "has" } else { "has no" }
        )));
    }
    Ok(())
}

/// Checks one fold of `replicates` replicates: its counts, and that it has
/// the accumulators of its cell (`empty` is the cell's empty summary).
fn check_batch(
    s: &Summary,
    replicates: u64,
    empty: &Summary,
    sizes: crate::design::Arms<usize>,
) -> std::result::Result<(), String> {
    check::summary(s, replicates)?;
    check::flares(s, replicates, sizes)?;
    check::survival(s, replicates)?;
    check::safety(s, replicates)?;
    check::product(s, replicates)?;
    check::looks(s, replicates)?;
    check::borrowing(s, replicates)?;
    let shape = |s: &Summary| {
        (
            s.estimands.is_some(),
            s.flares.as_ref().map(|f| {
                [&f.msc, &f.control].map(|a| {
                    (
                        a.concomitant.len(),
                        a.flared_by_week.len(),
                        a.flared_by_week_sq.len(),
                    )
                })
            }),
            // The band's times and expected curves are the cell's own.
            s.survival
                .as_ref()
                .map(|v| (v.run_in.is_some(), v.grid.clone(), v.expected.clone())),
            s.product.is_some(),
            s.safety.as_ref().map(|v| {
                [&v.arms.msc, &v.arms.control].map(|a| (a.any.len(), a.per_patient.len()))
            }),
            // Each weight's threshold is the cell's own (given or calibrated).
            s.borrowing.as_ref().map(|b| {
                b.weights
                    .iter()
                    .map(|w| (w.threshold.to_bits(), w.tail.len()))
                    .collect::<Vec<_>>()
            }),
        )
    };
    if shape(s) != shape(empty) {
        return Err("its accumulators do not have the shape of this scenario's".into());
    }
    Ok(())
}

/// Checks a saved run against the scenario it claims (its stored text, not
/// the one being run): a cell per sample size, each a fold of whole
/// batches no more than the run had (all of them when it finished), with
/// consistent counts.
///
/// # Errors
/// [`Error::Input`] naming `path` and what cannot come from a run.
pub fn check_state(state: &RunState, path: &Path) -> Result<()> {
    let p = &state.provenance;
    let scenario = p.scenario(path)?;
    let sizes = &scenario.design.n_per_arm;
    let bad = |what: String| {
        Error::input(format!(
            "{}: {what}; the saved run cannot come from this scenario (run without --top-up to start afresh)",
            path.display()
        ))
    };
    if state.cells.len() != sizes.len() {
        return Err(bad(format!(
            "holds {} sample sizes, the scenario has {}",
            state.cells.len(),
            sizes.len()
        )));
    }
    let most = p.replicates / BATCH;
    for ((fixed, prior), &n) in state.cells.iter().zip(sizes) {
        let cell = Cell::new(&scenario, n);
        let empty = cell.new_summary();
        if prior.is_some() != cell.has_prior() {
            return Err(bad(format!(
                "sample size {n}: the prior pass does not match the scenario"
            )));
        }
        for r in std::iter::once(fixed).chain(prior) {
            if r.batches > most || (state.complete && r.batches != most) {
                return Err(bad(format!(
                    "sample size {n}: {} complete batches saved for a run of {} replicates",
                    r.batches, p.replicates
                )));
            }
            check_batch(&r.summary, r.batches * BATCH, &empty, cell.sizes)
                .map_err(|e| bad(format!("sample size {n}: {e}")))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_ranges_tile_the_batches() {
        for batches in [0u64, 1, 5, 39, 40, 1000] {
            for n in 1..=9 {
                let mut next = 0;
                for k in 1..=n {
                    let r = shard_range(batches, k, n);
                    assert_eq!(r.start, next);
                    next = r.end;
                }
                assert_eq!(next, batches);
            }
        }
    }

    #[test]
    fn shard_syntax() {
        assert_eq!(parse_shard("3/8"), Ok((3, 8)));
        assert!(parse_shard("0/8").is_err());
        assert!(parse_shard("9/8").is_err());
        assert!(parse_shard("3").is_err());
        assert!(parse_shard("a/b").is_err());
        assert!(parse_shard("1/100000").is_ok());
        assert!(parse_shard("1/300000000").is_err());
    }
}
