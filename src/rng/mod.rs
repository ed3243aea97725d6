//! The random numbers of one replicate: Philox4x32-10 ([`philox`]) keyed by
//! the seed, with the replicate, the cell's arm sizes, the effect mode and a
//! sub-stream in the counter, so every (seed, cell, mode, replicate) has its
//! own disjoint stream by construction, on any thread or shard.
//!
//! A [`Stream`] has three sub-streams, each read in order:
//! * normals ([`Stream::normal`]), made 64 at a time by the ziggurat's
//!   vectorised fast path ([`ziggurat`]);
//! * words, for everything else (uniforms, exponentials, chi-squares), through
//!   the [`rand::Rng`] trait, 32 words at a time;
//! * the ziggurat's slow path (1% of normals), word by word.
//!
//! Results depend only on these streams, not on the CPU's vector units: the
//! AVX-512 and portable Philox give the same bits, and the ziggurat's tables
//! are data. The ziggurat's slow path (1% of normals) calls libm's `exp` and
//! `ln`, which glibc may implement differently on CPUs with and without FMA,
//! as every other libm call in the program (a last-bit difference is
//! possible across machines, never across threads or shards).

use std::convert::Infallible;

use rand::TryRng;

pub mod philox;
pub mod ziggurat;
mod ziggurat_tables;

/// Which of a replicate's sub-streams a block belongs to (counter bits 29-30 of word 3).
#[derive(Clone, Copy)]
#[repr(u32)]
enum Sub {
    Normals = 0,
    Words = 1,
    Slow = 2,
}

/// Largest arm size a counter can carry (validation allows far fewer).
pub const MAX_ARM: usize = (1 << 28) - 1;

/// One sub-stream's position: its counter words 1-3 (sub-stream bits
/// included) and the Philox calls made so far.
struct Counter {
    high: [u32; 3],
    calls: u32,
}

impl Counter {
    fn new(high: [u32; 3], sub: Sub) -> Counter {
        Counter {
            high: [high[0], high[1], high[2] | (sub as u32) << 29],
            calls: 0,
        }
    }

    /// The sub-stream's next 64 words.
    fn fill(&mut self, key: [u32; 2], out: &mut [u64; philox::WORDS]) {
        let first = self.calls.wrapping_mul(philox::LANES as u32);
        philox::blocks(first, self.high, key, out);
        self.calls = self.calls.wrapping_add(1);
    }

    /// Words made so far.
    fn made(&self) -> u64 {
        u64::from(self.calls) * philox::WORDS as u64
    }
}

/// A sub-stream handed out word by word, 64 words made at a time.
struct Words {
    counter: Counter,
    buf: [u64; philox::WORDS],
    at: usize,
}

impl Words {
    fn new(high: [u32; 3], sub: Sub) -> Words {
        Words {
            counter: Counter::new(high, sub),
            buf: [0; philox::WORDS],
            at: philox::WORDS,
        }
    }

    #[inline(always)]
    fn next(&mut self, key: [u32; 2]) -> u64 {
        if self.at == philox::WORDS {
            self.refill(key);
        }
        let w = self.buf[self.at];
        self.at += 1;
        w
    }

    #[inline(never)]
    fn refill(&mut self, key: [u32; 2]) {
        self.counter.fill(key, &mut self.buf);
        self.at = 0;
    }

    /// Words handed out so far.
    fn drawn(&self) -> u64 {
        self.counter.made() - (philox::WORDS - self.at) as u64
    }
}

/// One replicate's random numbers.
pub struct Stream {
    key: [u32; 2],
    normals: [f64; 64],
    normal_at: usize,
    normal_counter: Counter,
    words: Words,
    slow: Words,
}

impl std::fmt::Debug for Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stream")
            .field("high", &self.normal_counter.high)
            .field("normals", &self.normals_drawn())
            .field("words", &self.words_drawn())
            .finish_non_exhaustive()
    }
}

impl Stream {
    /// The stream of replicate `replicate` under key `seed`, in the cell
    /// identified by `cell` (arm sizes and mode, each below 2^28 and 2).
    /// Bit 31 of either size word may be set: it marks a replicate's own
    /// side stream (`design::stream`: adverse events, calendar time); bits
    /// 28-30 of the control word carry the mode and the sub-stream.
    pub fn new(seed: u64, cell: [u32; 2], mode: u32, replicate: u32) -> Stream {
        debug_assert!((cell[1] & !(1 << 31)) as usize <= MAX_ARM && mode < 2);
        let high = [replicate, cell[0], cell[1] | mode << 28];
        Stream {
            key: [seed as u32, (seed >> 32) as u32],
            normals: [0.0; 64],
            normal_at: 64,
            normal_counter: Counter::new(high, Sub::Normals),
            words: Words::new(high, Sub::Words),
            slow: Words::new(high, Sub::Slow),
        }
    }

    /// The next standard normal.
    #[inline(always)]
    pub fn normal(&mut self) -> f64 {
        if self.normal_at == 64 {
            self.refill_normals();
        }
        let z = self.normals[self.normal_at];
        self.normal_at += 1;
        z
    }

    #[inline(never)]
    fn refill_normals(&mut self) {
        let mut words = [0u64; philox::WORDS];
        self.normal_counter.fill(self.key, &mut words);
        let (key, slow_words) = (self.key, &mut self.slow);
        let mut slow = ziggurat::fast(&words, &mut self.normals);
        while slow != 0 {
            let j = slow.trailing_zeros() as usize;
            self.normals[j] = ziggurat::slow(words[j], &mut || slow_words.next(key));
            slow &= slow - 1;
        }
        self.normal_at = 0;
    }

    /// The next 64-bit word of the word sub-stream.
    #[inline(always)]
    pub fn word(&mut self) -> u64 {
        self.words.next(self.key)
    }

    /// Uniform on (0, 1).
    #[inline(always)]
    pub fn open01(&mut self) -> f64 {
        ziggurat::open01(self.word())
    }

    /// Normals handed out so far (the slow path's extra words are part of
    /// their cost, not counted).
    pub fn normals_drawn(&self) -> u64 {
        self.normal_counter.made() - (64 - self.normal_at) as u64
    }

    /// Words handed out so far (uniforms, exponentials, chi-squares...).
    pub fn words_drawn(&self) -> u64 {
        self.words.drawn()
    }
}

impl TryRng for Stream {
    type Error = Infallible;

    #[inline(always)]
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok((self.word() >> 32) as u32)
    }

    #[inline(always)]
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        Ok(self.word())
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for chunk in dst.chunks_mut(8) {
            let w = self.word().to_le_bytes();
            chunk.copy_from_slice(&w[..chunk.len()]);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Value stability: the first draws of one stream. A change here changes
    /// every result; make it on purpose and regenerate docs/results.md.
    #[test]
    fn draws_are_pinned() {
        let mut s = Stream::new(1, [30, 30], 0, 0);
        let normals: Vec<f64> = (0..4).map(|_| s.normal()).collect();
        let words: Vec<u64> = (0..2).map(|_| s.word()).collect();
        assert_eq!(
            format!("{normals:?} {words:?}"),
            "[1.0715364956519322, 0.7138791495204628, 1.453624483557781, 0.5404535612475071] [4830677085980834552, 4322558352764673987]"
        );
    }
}
