//! Standard normals by the ziggurat (Marsaglia and Tsang 2000, 256 layers,
//! Doornik's layout), a block at a time: the fast path (one 64-bit word per
//! normal, taken 99% of the time) runs over the whole block without a branch
//! per value, so the compiler vectorises it; the rest (wedges and the tail)
//! finish one by one, with fresh words from a separate sub-stream.

use super::ziggurat_tables::{F, R, X};

/// A word's layer `i` (its low 8 bits) and `u`, uniform on [-1, 1) from its top 52 bits.
#[inline(always)]
fn decode(word: u64) -> (usize, f64) {
    let i = (word & 0xff) as usize;
    // [2, 4) from the top 52 bits as the mantissa, minus 3.
    let u = f64::from_bits(word >> 12 | 0x4000_0000_0000_0000) - 3.0;
    (i, u)
}

/// Uniform on (0, 1) from a word's top 52 bits.
#[inline]
pub fn open01(word: u64) -> f64 {
    ((word >> 12) as f64 + 0.5) * (1.0 / (1u64 << 52) as f64)
}

/// Fills `out` with the fast-path normal of each word, and returns the bit
/// mask of the words that need the slow path: with AVX-512 when the CPU has
/// it (the same operations, so the same bits), else one word at a time.
#[inline]
pub fn fast(words: &[u64; 64], out: &mut [f64; 64]) -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has AVX-512F, checked just above.
            return unsafe { avx512::fast(words, out) };
        }
    }
    portable(words, out)
}

/// [`fast`] one word at a time.
pub fn portable(words: &[u64; 64], out: &mut [f64; 64]) -> u64 {
    let mut slow = 0u64;
    for (j, (&w, o)) in words.iter().zip(out.iter_mut()).enumerate() {
        let (i, u) = decode(w);
        let x = u * X[i];
        *o = x;
        slow |= u64::from(x.abs() >= X[i + 1]) << j;
    }
    slow
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::X;
    use std::arch::x86_64::*;

    /// [`super::fast`], eight words per step, the layer edges gathered.
    ///
    /// # Safety
    /// The CPU must support AVX-512F.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn fast(words: &[u64; 64], out: &mut [f64; 64]) -> u64 {
        let layer = _mm512_set1_epi64(0xff);
        let exponent = _mm512_set1_epi64(0x4000_0000_0000_0000);
        let three = _mm512_set1_pd(3.0);
        let mut slow = 0u64;
        for k in 0..8 {
            // SAFETY: words 8k .. 8k + 8 of 64, unaligned loads and stores;
            // gathered indices are below 256 and X has 257 entries.
            unsafe {
                let w = _mm512_loadu_si512(words.as_ptr().add(8 * k).cast());
                let i = _mm512_and_si512(w, layer);
                let u = _mm512_sub_pd(
                    _mm512_castsi512_pd(_mm512_or_si512(_mm512_srli_epi64::<12>(w), exponent)),
                    three,
                );
                let edge = _mm512_i64gather_pd::<8>(i, X.as_ptr());
                let next = _mm512_i64gather_pd::<8>(i, X.as_ptr().add(1));
                let x = _mm512_mul_pd(u, edge);
                _mm512_storeu_pd(out.as_mut_ptr().add(8 * k), x);
                let bad = _mm512_cmp_pd_mask::<_CMP_GE_OQ>(_mm512_abs_pd(x), next);
                slow |= u64::from(bad) << (8 * k);
            }
        }
        slow
    }
}

/// The normal of a word whose fast path failed, drawing further words from `more`.
#[inline(never)]
pub fn slow(word: u64, more: &mut impl FnMut() -> u64) -> f64 {
    let (mut i, mut u) = decode(word);
    loop {
        let x = u * X[i];
        if x.abs() < X[i + 1] {
            return x;
        }
        if i == 0 {
            return tail(u, more);
        }
        if F[i + 1] + (F[i] - F[i + 1]) * open01(more()) < (-0.5 * x * x).exp() {
            return x;
        }
        (i, u) = decode(more());
    }
}

/// A draw from the tail beyond `R` (Marsaglia 1964), on the side of `u`'s sign.
fn tail(u: f64, more: &mut impl FnMut() -> u64) -> f64 {
    loop {
        let x = open01(more()).ln() / R;
        let y = open01(more()).ln();
        if -2.0 * y >= x * x {
            return if u < 0.0 { x - R } else { R - x };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The dispatched fast path gives the portable one's values and mask.
    #[test]
    fn wide_path_equals_portable() {
        let mut words = [0u64; 64];
        for block in 0..200u32 {
            crate::rng::philox::portable(block * 32, [block, 1, 2], [3, 4], &mut words);
            let (mut wide, mut one) = ([0.0; 64], [0.0; 64]);
            assert_eq!(fast(&words, &mut wide), portable(&words, &mut one));
            assert_eq!(wide.map(f64::to_bits), one.map(f64::to_bits));
        }
    }
}
