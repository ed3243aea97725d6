//! The random stream of each replicate: one ChaCha8 stream per replicate,
//! keyed by the seed, the cell's arm sizes and the effect mode, so streams
//! never overlap and adding a sample size leaves the others' draws unchanged.

use rand::SeedableRng;
use rand::rngs::ChaCha8Rng;

use super::Arms;

/// Which effect a run simulates: the assumed effect itself, or a draw from
/// the prior per trial (assurance). The two use different streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EffectMode {
    Fixed,
    Prior,
}

impl EffectMode {
    /// The 8 key bytes that tell the two modes' streams apart.
    fn tag(self) -> &'static [u8; 8] {
        match self {
            EffectMode::Fixed => b"trialsim",
            EffectMode::Prior => b"tsprior.",
        }
    }
}

/// The stream of replicate `replicate` of the cell with arm sizes `sizes`:
/// key `(seed, n_msc, n_control, mode)`, stream number `replicate`.
pub fn replicate_stream(
    seed: u64,
    sizes: Arms<usize>,
    mode: EffectMode,
    replicate: u64,
) -> ChaCha8Rng {
    let mut key = [0u8; 32];
    key[..8].copy_from_slice(&seed.to_le_bytes());
    key[8..16].copy_from_slice(&(sizes.msc as u64).to_le_bytes());
    key[16..24].copy_from_slice(&(sizes.control as u64).to_le_bytes());
    key[24..].copy_from_slice(mode.tag());
    let mut rng = ChaCha8Rng::from_seed(key);
    rng.set_stream(replicate);
    rng
}
