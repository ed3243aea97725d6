//! The random stream of each replicate: a Philox4x32-10 stream ([`Stream`])
//! keyed by the seed, with the replicate, the cell's arm sizes and the
//! effect mode in its counter, so streams never overlap and adding a sample
//! size leaves the others' draws unchanged.

use super::Arms;
use crate::rng::Stream;

/// Which effect a run simulates: the assumed effect itself, or a draw from
/// the prior per trial (assurance). The two use different streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EffectMode {
    Fixed,
    Prior,
}

/// The stream of a replicate's adverse events (`[safety]`): the replicate's
/// stream with the top bit of its MSC-size word set (arm sizes stay below
/// 2^28), so the events draw nothing from the trial's own stream and adding
/// `[safety]` leaves every other result unchanged.
pub fn safety_stream(seed: u64, sizes: Arms<usize>, mode: EffectMode, replicate: u64) -> Stream {
    Stream::new(
        seed,
        [sizes.msc as u32 | 1 << 31, sizes.control as u32],
        u32::from(mode == EffectMode::Prior),
        replicate as u32,
    )
}

/// The stream of a replicate's calendar entry times and interim looks
/// (`[accrual]`, `[interim]`): the replicate's stream with the top bit of
/// its control-size word set, so calendar time draws nothing from the
/// trial's own stream and adding `[accrual]` leaves every other result
/// unchanged.
pub fn accrual_stream(seed: u64, sizes: Arms<usize>, mode: EffectMode, replicate: u64) -> Stream {
    Stream::new(
        seed,
        [sizes.msc as u32, sizes.control as u32 | 1 << 31],
        u32::from(mode == EffectMode::Prior),
        replicate as u32,
    )
}

/// The stream of replicate `replicate` of the cell with arm sizes `sizes`:
/// key `seed`, counter `(position, replicate, n_msc, n_control | mode)`.
/// Validation keeps replicates below 2^32 and arm sizes below 2^28.
pub fn replicate_stream(seed: u64, sizes: Arms<usize>, mode: EffectMode, replicate: u64) -> Stream {
    debug_assert!(replicate <= u64::from(u32::MAX));
    Stream::new(
        seed,
        [sizes.msc as u32, sizes.control as u32],
        u32::from(mode == EffectMode::Prior),
        replicate as u32,
    )
}
