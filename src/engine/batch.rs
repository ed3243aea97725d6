//! Fixed batches of replicates: the unit of parallel work and of merging.
//!
//! Each batch is summarised by whichever thread runs it; batch summaries are
//! folded in batch order ([`Folder`]), so a run is bit-identical for any
//! thread count, and a shard, a merge or a top-up folds the same batches in
//! the same order.
//!
//! A run can be asked to stop (Ctrl-C sets a flag): the loop checks it
//! before each window, so what has been folded is always whole batches. A
//! run or a shard streams all its cells through one loop
//! ([`for_each_batch_of`]): a window runs on from one cell into the next.

use std::ops::Range;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use rayon::prelude::*;

use super::Cell;
use crate::design::stream::EffectMode;
use crate::summary::{Resume, Summary};

/// Replicates per batch: the unit of parallel work and of merging.
pub const BATCH: u64 = 256;

impl Cell {
    /// Summary of batch `batch` of a run of `replicates` replicates.
    pub fn batch(
        &self,
        mode: EffectMode,
        seed: u64,
        batch: u64,
        replicates: u64,
        work: &mut super::Workspace,
    ) -> Summary {
        self.batch_each(mode, seed, batch, replicates, work, |_, _| {})
    }

    /// [`Cell::batch`], telling `each(replicate, rejected)` whether each
    /// replicate's decision rejected (for paired comparisons of cells).
    #[inline]
    pub fn batch_each(
        &self,
        mode: EffectMode,
        seed: u64,
        batch: u64,
        replicates: u64,
        work: &mut super::Workspace,
        mut each: impl FnMut(u64, bool),
    ) -> Summary {
        let mut summary = self.new_summary();
        let end = ((batch + 1) * BATCH).min(replicates);
        for r in batch * BATCH..end {
            let before = summary.rejections;
            self.replicate_with(mode, seed, r, work, &mut summary);
            each(r, summary.rejections > before);
        }
        summary
    }
}

/// A stop flag that is never raised, for runs that cannot be interrupted.
pub static NEVER_STOP: AtomicBool = AtomicBool::new(false);

/// Streams the summaries of batches `batches` of a run of `replicates`
/// replicates to `sink`, in batch order, computing a window of batches at a
/// time in parallel; calls `progress` with the replicates finished after
/// each window. Checks `stop` before each window and returns `false` if it
/// stopped early (every batch sent to `sink` is whole), `true` when done.
#[must_use]
#[allow(clippy::too_many_arguments)]
pub fn for_each_batch(
    cell: &Cell,
    mode: EffectMode,
    seed: u64,
    replicates: u64,
    batches: Range<u64>,
    progress: &(dyn Fn(u64) + Sync),
    stop: &AtomicBool,
    mut sink: impl FnMut(u64, Summary),
) -> bool {
    let pass = Pass {
        cell,
        mode,
        batches,
    };
    for_each_batch_of([|| pass], seed, replicates, progress, stop, |_, b, s, _| {
        sink(b, s)
    })
}

/// Batches computed in parallel before the next check of the stop flag: 8
/// per thread.
pub fn window() -> usize {
    (rayon::current_num_threads() * 8).max(8)
}

/// `wall` seconds shared out in proportion to each entry of `busy` (thread
/// seconds), or evenly when none was recorded.
pub fn share_of(wall: f64, busy: &[f64]) -> impl Iterator<Item = f64> + '_ {
    let total: f64 = busy.iter().sum();
    busy.iter().map(move |&b| {
        if total > 0.0 {
            wall * b / total
        } else {
            wall / busy.len() as f64
        }
    })
}

/// One pass of a run for [`for_each_batch_of`]: a cell at an effect mode,
/// and the batches of it still to run.
#[derive(Debug, Clone)]
pub struct Pass<'a> {
    pub cell: &'a Cell,
    pub mode: EffectMode,
    pub batches: Range<u64>,
}

/// [`for_each_batch`] over several passes, one after another: each batch's
/// summary goes to `sink(pass, batch, summary, seconds)` (the index of its
/// pass in the order `passes` yields them, and the seconds its thread spent
/// on it), every pass's batches in order and the passes in order. A window
/// of batches runs on from one pass into the next, so the threads never
/// wait at a pass's end for its last batches (with 16 threads, a cell of 40
/// batches otherwise leaves 8 of them idle through its third round). Which
/// thread runs a batch changes nothing in it, and the order of `sink`'s
/// calls does not depend on the thread count, so results stay bit-identical.
///
/// Each pass is made (`passes` yields a maker) only when a window reaches
/// it, and none once `stop` is raised, so a cell that is costly to prepare
/// (a calibrated threshold) is prepared no earlier than when each cell ran
/// alone.
#[must_use]
pub fn for_each_batch_of<'a, F: FnOnce() -> Pass<'a>>(
    passes: impl IntoIterator<Item = F>,
    seed: u64,
    replicates: u64,
    progress: &(dyn Fn(u64) + Sync),
    stop: &AtomicBool,
    mut sink: impl FnMut(usize, u64, Summary, f64),
) -> bool {
    let window = window();
    let mut passes = passes.into_iter();
    let mut opened: Vec<Pass<'a>> = Vec::new();
    // The next batch to run: its pass (an index into `opened`) and its index there.
    let (mut pass, mut next) = (0, 0);
    let mut items: Vec<(usize, u64)> = Vec::with_capacity(window);
    loop {
        items.clear();
        while items.len() < window {
            if pass == opened.len() {
                let Some(make) = passes.next() else { break };
                if stop.load(Ordering::Relaxed) {
                    return false;
                }
                let p = make();
                next = p.batches.start;
                opened.push(p);
            }
            if next < opened[pass].batches.end {
                items.push((pass, next));
                next += 1;
            } else {
                pass += 1;
            }
        }
        if items.is_empty() {
            return true;
        }
        if stop.load(Ordering::Relaxed) {
            return false;
        }
        let opened = &opened;
        let parts: Vec<(Summary, f64)> = items
            .par_iter()
            .map_init(
                || opened.iter().map(|_| None).collect::<Vec<_>>(),
                |works: &mut Vec<Option<super::Workspace>>, &(p, b)| {
                    let started = Instant::now();
                    let Pass { cell, mode, .. } = opened[p];
                    let work = works[p].get_or_insert_with(|| cell.workspace());
                    let summary = cell.batch(mode, seed, b, replicates, work);
                    (summary, started.elapsed().as_secs_f64())
                },
            )
            .collect();
        progress(parts.iter().map(|(p, _)| p.replicates).sum());
        for (&(p, b), (part, seconds)) in items.iter().zip(parts) {
            sink(p, b, part, seconds);
        }
    }
}

/// Folds batch summaries in batch order: returns the summary of the whole
/// run and the fold of its complete batches.
#[derive(Debug, Clone)]
pub struct Folder {
    replicates: u64,
    complete: Resume,
    total: Option<Summary>,
}

impl Folder {
    /// Starts from `resume` (complete batches already folded) for a run of
    /// `replicates` replicates.
    pub fn new(replicates: u64, resume: Resume) -> Folder {
        Folder {
            replicates,
            complete: resume,
            total: None,
        }
    }

    /// Adds batch `b`, which must be the next one.
    pub fn push(&mut self, b: u64, summary: &Summary) {
        assert_eq!(b, self.complete.batches, "batches are folded in order");
        if (b + 1) * BATCH <= self.replicates {
            self.complete.summary.merge(summary);
            self.complete.batches += 1;
        } else {
            let mut total = self.complete.summary.clone();
            total.merge(summary);
            self.total = Some(total);
        }
    }

    /// The first batch still to fold.
    pub fn next_batch(&self) -> u64 {
        self.complete.batches + u64::from(self.total.is_some())
    }

    /// The whole run's summary and the fold of its complete batches.
    pub fn finish(self) -> (Summary, Resume) {
        let total = self.total.unwrap_or_else(|| self.complete.summary.clone());
        (total, self.complete)
    }

    /// The fold of the complete batches so far (what an interrupted run saves).
    pub fn into_resume(self) -> Resume {
        self.complete
    }
}

/// Runs the batches of `cell` not yet in `resume` (a fresh run when `None`)
/// and folds them on.
///
/// # Errors
/// When `stop` is raised first: the fold of the complete batches so far,
/// for a later `--top-up`.
pub fn fold_cell(
    cell: &Cell,
    mode: EffectMode,
    seed: u64,
    replicates: u64,
    resume: Option<Resume>,
    progress: &(dyn Fn(u64) + Sync),
    stop: &AtomicBool,
) -> Result<(Summary, Resume), Box<Resume>> {
    let batches = replicates.div_ceil(BATCH);
    let resume = resume.unwrap_or_else(|| cell.empty_resume());
    let mut folder = Folder::new(replicates, resume);
    let from = folder.next_batch();
    let done = for_each_batch(
        cell,
        mode,
        seed,
        replicates,
        from..batches,
        progress,
        stop,
        |b, s| folder.push(b, &s),
    );
    if done {
        Ok(folder.finish())
    } else {
        Err(Box::new(folder.into_resume()))
    }
}
