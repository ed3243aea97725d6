//! Shards, merges and top-ups: one run's replicates split across processes or
//! machines, or extended later, with the same result as one run.
//!
//! A run's summary is the fold, in batch order, of per-batch summaries
//! ([`crate::engine::BATCH`] replicates each). Shard K of N computes the
//! batches `(K-1)·B/N .. K·B/N` and writes their summaries individually;
//! [`merge`] folds all of them in batch order, so counts and every float are
//! bit-identical to a single run with the same seed, whatever order the
//! shards finished in. The files themselves are [`crate::state`]'s.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use super::{BATCH, CellPasses, CellRun, Folder, Resume, each_cell, for_each_batch};
use crate::design::stream::EffectMode;
use crate::error::{Error, Result};
use crate::scenario::Scenario;
use crate::state::{Batch, Partial, PartialCell, Provenance};

/// Batches of shard `k` (1-based) of `n` out of `batches`.
pub fn shard_range(batches: u64, k: u64, n: u64) -> Range<u64> {
    (k - 1) * batches / n..k * batches / n
}

/// Parses `K/N` with 1 <= K <= N.
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
    Ok((k, n))
}

/// Runs shard `k` of `n` of `scenario` on the current rayon pool.
pub fn run_shard(
    scenario: &Scenario,
    provenance: Provenance,
    (k, n): (u64, u64),
    progress: &(dyn Fn(u64) + Sync),
) -> Partial {
    let sim = &scenario.simulation;
    let range = shard_range(sim.replicates.div_ceil(BATCH), k, n);
    let passes = each_cell(scenario, |_, cell, mode| {
        let mut out = Vec::with_capacity((range.end - range.start) as usize);
        for_each_batch(
            cell,
            mode,
            sim.seed,
            sim.replicates,
            range.clone(),
            progress,
            |index, summary| out.push(Batch { index, summary }),
        );
        Ok::<_, std::convert::Infallible>(out)
    });
    let cells = match passes {
        Ok(p) => p.into_iter().map(partial_cell).collect(),
        Err(never) => match never {},
    };
    Partial {
        provenance,
        shard: k,
        shards: n,
        threads: rayon::current_num_threads(),
        cells,
    }
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
/// would have produced.
///
/// # Errors
/// An [`Error::Input`] when the partials are of different scenarios, seeds or
/// replicate counts, or a shard is missing or given twice.
pub fn merge(partials: Vec<(PathBuf, Partial)>) -> Result<Merged> {
    let Some((first_path, first)) = partials.first() else {
        return Err(Error::input(
            "nothing to merge: give partial summaries or folders holding them",
        ));
    };
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
    let mut seen: BTreeMap<u64, &Path> = BTreeMap::new();
    for (path, p) in &partials {
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
        .map(|k| format!("{k}/{}", first.shards))
        .collect();
    if !missing.is_empty() {
        return Err(Error::input(format!(
            "shards missing: {}",
            missing.join(", ")
        )));
    }

    let scenario = p0.scenario()?;
    let replicates = p0.replicates;
    let passes = each_cell(&scenario, |i, cell, mode| {
        let n = cell.n_per_arm;
        let mut batches: Vec<&Batch> = partials
            .iter()
            .filter_map(|(_, p)| match mode {
                EffectMode::Fixed => Some(&p.cells[i].fixed),
                EffectMode::Prior => p.cells[i].prior.as_ref(),
            })
            .flatten()
            .collect();
        batches.sort_by_key(|b| b.index);
        let mut folder = Folder::new(
            replicates,
            Resume {
                batches: 0,
                summary: cell.new_summary(),
            },
        );
        for (expected, b) in batches.iter().enumerate() {
            if b.index != expected as u64 {
                return Err(Error::input(format!(
                    "sample size {n}: batch {expected} is missing or repeated in the shards"
                )));
            }
            folder.push(b.index, &b.summary);
        }
        if batches.len() as u64 != replicates.div_ceil(BATCH) {
            return Err(Error::input(format!(
                "sample size {n}: the shards do not cover every batch"
            )));
        }
        Ok(folder.finish())
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
    }
}
