//! Philox4x32-10 (Salmon, Moraes, Dror and Shaw, "Parallel random numbers: as
//! easy as 1, 2, 3", SC'11): a counter-based generator. Block `c` under key
//! `k` is a fixed bijection of the 128-bit counter, so distinct counters give
//! distinct, independent-looking blocks and streams are disjoint by
//! construction. Checked against the Random123 known-answer vectors.
//!
//! [`blocks`] fills 16 consecutive blocks at a time: with AVX-512 when the CPU
//! has it (16 lanes), otherwise one block at a time. Both give the same bits.

const M0: u64 = 0xD251_1F53;
const M1: u64 = 0xCD9E_8D57;
const W0: u32 = 0x9E37_79B9;
const W1: u32 = 0xBB67_AE85;

/// Blocks per call of [`blocks`] (two sets of 16 AVX-512 lanes, interleaved
/// to hide the multiplier's latency), and the 64-bit words they make.
pub const LANES: usize = 32;
pub const WORDS: usize = 2 * LANES;

/// One Philox4x32-10 block.
#[inline]
pub fn block(mut c: [u32; 4], key: [u32; 2]) -> [u32; 4] {
    let (mut k0, mut k1) = (key[0], key[1]);
    for _ in 0..10 {
        let p0 = M0 * u64::from(c[0]);
        let p1 = M1 * u64::from(c[2]);
        c = [
            (p1 >> 32) as u32 ^ c[1] ^ k0,
            p1 as u32,
            (p0 >> 32) as u32 ^ c[3] ^ k1,
            p0 as u32,
        ];
        k0 = k0.wrapping_add(W0);
        k1 = k1.wrapping_add(W1);
    }
    c
}

/// The 64 words of blocks `first .. first + 32` with counter words 1-3 `high`:
/// block `first + l` gives `out[2l] = r0 | r1 << 32` and `out[2l + 1] = r2 | r3 << 32`.
#[inline]
pub fn blocks(first: u32, high: [u32; 3], key: [u32; 2], out: &mut [u64; WORDS]) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has AVX-512F, checked just above.
            unsafe { avx512::blocks(first, high, key, out) };
            return;
        }
    }
    portable(first, high, key, out);
}

/// [`blocks`] one block at a time.
pub fn portable(first: u32, high: [u32; 3], key: [u32; 2], out: &mut [u64; WORDS]) {
    for (l, pair) in out.chunks_exact_mut(2).enumerate() {
        let r = block(
            [first.wrapping_add(l as u32), high[0], high[1], high[2]],
            key,
        );
        pair[0] = u64::from(r[0]) | u64::from(r[1]) << 32;
        pair[1] = u64::from(r[2]) | u64::from(r[3]) << 32;
    }
}

#[cfg(target_arch = "x86_64")]
pub(crate) mod avx512 {
    use super::{M0, M1, W0, W1, WORDS};
    use std::arch::x86_64::*;

    /// High and low halves of the 32x32-bit products of each lane of `c` with `m`
    /// (a macro so it inlines into the target-feature function).
    macro_rules! mul_hi_lo {
        ($c:expr, $m:expr) => {{
            let even = _mm512_mul_epu32($c, $m);
            let odd = _mm512_mul_epu32(_mm512_srli_epi64::<32>($c), $m);
            (
                _mm512_mask_blend_epi32(0xAAAA, _mm512_srli_epi64::<32>(even), odd),
                _mm512_mask_blend_epi32(0xAAAA, even, _mm512_slli_epi64::<32>(odd)),
            )
        }};
    }

    /// [`super::blocks`] with the 32 blocks in the 16 lanes of two sets of
    /// AVX-512 registers.
    ///
    /// # Safety
    /// The CPU must support AVX-512F.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn blocks(first: u32, high: [u32; 3], key: [u32; 2], out: &mut [u64; WORDS]) {
        let lanes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
        let base = _mm512_add_epi32(_mm512_set1_epi32(first as i32), lanes);
        let mut c0 = [base, _mm512_add_epi32(base, _mm512_set1_epi32(16))];
        let mut c1 = [_mm512_set1_epi32(high[0] as i32); 2];
        let mut c2 = [_mm512_set1_epi32(high[1] as i32); 2];
        let mut c3 = [_mm512_set1_epi32(high[2] as i32); 2];
        let m0 = _mm512_set1_epi64(M0 as i64);
        let m1 = _mm512_set1_epi64(M1 as i64);
        let (mut k0, mut k1) = (key[0], key[1]);
        for _ in 0..10 {
            let key0 = _mm512_set1_epi32(k0 as i32);
            let key1 = _mm512_set1_epi32(k1 as i32);
            for set in 0..2 {
                let (hi0, lo0) = mul_hi_lo!(c0[set], m0);
                let (hi1, lo1) = mul_hi_lo!(c2[set], m1);
                c0[set] = _mm512_xor_si512(_mm512_xor_si512(hi1, c1[set]), key0);
                c1[set] = lo1;
                c2[set] = _mm512_xor_si512(_mm512_xor_si512(hi0, c3[set]), key1);
                c3[set] = lo0;
            }
            k0 = k0.wrapping_add(W0);
            k1 = k1.wrapping_add(W1);
        }
        for set in 0..2 {
            // SAFETY: words 32 * set .. 32 * set + 32 of `out`.
            unsafe {
                store(
                    c0[set],
                    c1[set],
                    c2[set],
                    c3[set],
                    out.as_mut_ptr().add(32 * set),
                )
            };
        }
    }

    /// Stores 16 blocks' words in block order at `at` (32 u64).
    ///
    /// # Safety
    /// AVX-512F, and 32 writable u64 at `at`.
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn store(c0: __m512i, c1: __m512i, c2: __m512i, c3: __m512i, at: *mut u64) {
        // Per 128-bit chunk k: a = words r0|r1 of blocks 4k, 4k+1 (lo) and
        // 4k+2, 4k+3 (hi); b likewise for r2|r3.
        let a_lo = _mm512_unpacklo_epi32(c0, c1);
        let a_hi = _mm512_unpackhi_epi32(c0, c1);
        let b_lo = _mm512_unpacklo_epi32(c2, c3);
        let b_hi = _mm512_unpackhi_epi32(c2, c3);
        // Chunk k of p, q, r, s: both words of block 4k, 4k+1, 4k+2, 4k+3.
        let p = _mm512_unpacklo_epi64(a_lo, b_lo);
        let q = _mm512_unpackhi_epi64(a_lo, b_lo);
        let r = _mm512_unpacklo_epi64(a_hi, b_hi);
        let s = _mm512_unpackhi_epi64(a_hi, b_hi);
        // A 4x4 transpose of 128-bit chunks puts blocks in order.
        let t0 = _mm512_shuffle_i64x2::<0b01_00_01_00>(p, q);
        let t1 = _mm512_shuffle_i64x2::<0b01_00_01_00>(r, s);
        let t2 = _mm512_shuffle_i64x2::<0b11_10_11_10>(p, q);
        let t3 = _mm512_shuffle_i64x2::<0b11_10_11_10>(r, s);
        let ptr = at.cast::<__m512i>();
        // SAFETY: 32 u64 at `at` = four 512-bit stores; unaligned stores.
        unsafe {
            _mm512_storeu_si512(ptr, _mm512_shuffle_i64x2::<0b10_00_10_00>(t0, t1));
            _mm512_storeu_si512(ptr.add(1), _mm512_shuffle_i64x2::<0b11_01_11_01>(t0, t1));
            _mm512_storeu_si512(ptr.add(2), _mm512_shuffle_i64x2::<0b10_00_10_00>(t2, t3));
            _mm512_storeu_si512(ptr.add(3), _mm512_shuffle_i64x2::<0b11_01_11_01>(t2, t3));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Random123 `tests/kat_vectors`, the three `philox4x32 10` lines
    /// (counter[4] key[2] -> result[4], hex), DEShawResearch/random123.
    #[test]
    fn known_answers() {
        let cases: [([u32; 4], [u32; 2], [u32; 4]); 3] = [
            (
                [0, 0, 0, 0],
                [0, 0],
                [0x6627_e8d5, 0xe169_c58d, 0xbc57_ac4c, 0x9b00_dbd8],
            ),
            (
                [u32::MAX; 4],
                [u32::MAX; 2],
                [0x408f_276d, 0x41c8_3b0e, 0xa20b_c7c6, 0x6d54_51fd],
            ),
            (
                [0x243f_6a88, 0x85a3_08d3, 0x1319_8a2e, 0x0370_7344],
                [0xa409_3822, 0x299f_31d0],
                [0xd16c_fe09, 0x94fd_cceb, 0x5001_e420, 0x2412_6ea1],
            ),
        ];
        for (counter, key, expected) in cases {
            assert_eq!(block(counter, key), expected);
        }
    }

    /// The dispatched path (AVX-512 on a CPU that has it) gives the portable bits,
    /// including across the 32-bit counter's wrap.
    #[test]
    fn wide_path_equals_portable() {
        let key = [0x0123_4567, 0x89ab_cdef];
        for (first, high) in [
            (0u32, [0u32, 0, 0]),
            (17, [5, 40, 60 | 1 << 29]),
            (u32::MAX - 7, [u32::MAX, 3, 9]),
        ] {
            let (mut wide, mut one) = ([0u64; WORDS], [0u64; WORDS]);
            blocks(first, high, key, &mut wide);
            portable(first, high, key, &mut one);
            assert_eq!(wide, one, "first {first}");
        }
    }
}
