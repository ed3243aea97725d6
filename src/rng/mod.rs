//! The random numbers of one replicate: Philox4x32-10 ([`philox`]) keyed by
//! the seed, with the replicate, the cell's arm sizes, the effect mode and a
//! sub-stream in the counter, so every (seed, cell, mode, replicate) has its
//! own disjoint stream by construction, on any thread or shard.
//!
//! A [`Stream`] has four sub-streams, each read in order:
//! * normals ([`Stream::normal`]), made 64 at a time by the ziggurat's
//!   vectorised fast path ([`ziggurat`]);
//! * words, for everything else (uniforms, exponentials, chi-squares), through
//!   the [`rand::Rng`] trait, 32 words at a time;
//! * the ziggurat's slow path (1% of normals), word by word;
//! * the intermediate visits' normals ([`Stream::visit_normal`]), made like
//!   the normals, with their own slow path in the upper half of the same
//!   sub-stream's counter. Only a run that reads the intermediate visits
//!   draws them, and since nothing else comes from this sub-stream, drawing
//!   them or not moves no other draw (a replay that shows every visit sees
//!   the trial the run analysed).
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

/// Which of a replicate's sub-streams a block belongs to (counter bits 29-30
/// of word 3, [`SUB_BITS`]). All four values are taken: a fifth would set bit 31, which
/// marks a replicate's side streams (`design::stream`).
#[derive(Clone, Copy)]
#[repr(u32)]
enum Sub {
    Normals = 0,
    Words = 1,
    Slow = 2,
    Visits = 3,
}

/// The bits of counter word 3 that carry the sub-stream.
const SUB_BITS: u32 = 0b11 << 29;

/// The Philox call at which the visits' slow-path words start in their
/// sub-stream: counter word 0 from 2^31 on. Their normals use the calls
/// below it, room for 2^32 normals in one replicate, where a valid scenario
/// draws at most 5 per intermediate visit (31 of them) of each child of at
/// most 10,000 control and 100,000 MSC children (allocation up to 10):
/// about 1.7 x 10^7 (a randomized withdrawal's run-in has one visit).
const VISITS_SLOW_FROM: u32 = (1 << 31) / philox::LANES as u32;

/// Largest arm size a counter can carry (validation allows far fewer).
pub const MAX_ARM: usize = (1 << 28) - 1;

/// One sub-stream's position: its counter words 1-3 (sub-stream bits
/// included), the Philox call it started at and the next call.
struct Counter {
    high: [u32; 3],
    start: u32,
    calls: u32,
}

impl Counter {
    fn new(high: [u32; 3], sub: Sub) -> Counter {
        Counter::from_call(high, sub, 0)
    }

    /// A counter whose first call is `calls`.
    fn from_call(high: [u32; 3], sub: Sub, calls: u32) -> Counter {
        debug_assert_eq!(high[2] & SUB_BITS, 0);
        Counter {
            high: [high[0], high[1], high[2] | (sub as u32) << 29],
            start: calls,
            calls,
        }
    }

    /// The sub-stream's next 64 words.
    fn fill(&mut self, key: [u32; 2], out: &mut [u64; philox::WORDS]) {
        let first = self.calls.wrapping_mul(philox::LANES as u32);
        philox::blocks(first, self.high, key, out);
        self.calls = self.calls.wrapping_add(1);
    }

    /// Counter words 1-3 without the sub-stream bits: the replicate's,
    /// shared by all its sub-streams.
    fn replicate_high(&self) -> [u32; 3] {
        [self.high[0], self.high[1], self.high[2] & !SUB_BITS]
    }

    /// Words made so far.
    fn made(&self) -> u64 {
        u64::from(self.calls.wrapping_sub(self.start)) * philox::WORDS as u64
    }
}

/// A sub-stream handed out word by word, 64 words made at a time.
struct Words {
    counter: Counter,
    buf: [u64; philox::WORDS],
    at: usize,
}

impl Words {
    fn new(counter: Counter) -> Words {
        Words {
            counter,
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

/// A sub-stream of standard normals, made 64 at a time, with the
/// sub-stream its slow path reads.
struct Normals {
    buf: [f64; 64],
    at: usize,
    counter: Counter,
    slow: Words,
}

impl Normals {
    fn new(counter: Counter, slow: Counter) -> Normals {
        Normals {
            buf: [0.0; 64],
            at: 64,
            counter,
            slow: Words::new(slow),
        }
    }

    #[inline(always)]
    fn next(&mut self, key: [u32; 2]) -> f64 {
        if self.at == 64 {
            self.refill(key);
        }
        let z = self.buf[self.at];
        self.at += 1;
        z
    }

    #[inline(never)]
    fn refill(&mut self, key: [u32; 2]) {
        let mut words = [0u64; philox::WORDS];
        self.counter.fill(key, &mut words);
        let slow_words = &mut self.slow;
        let mut slow = ziggurat::fast(&words, &mut self.buf);
        while slow != 0 {
            let j = slow.trailing_zeros() as usize;
            self.buf[j] = ziggurat::slow(words[j], &mut || slow_words.next(key));
            slow &= slow - 1;
        }
        self.at = 0;
    }

    /// Normals handed out so far.
    fn drawn(&self) -> u64 {
        self.counter.made() - (64 - self.at) as u64
    }
}

/// One replicate's random numbers.
pub struct Stream {
    key: [u32; 2],
    normals: Normals,
    words: Words,
    /// Made at the first intermediate visit's normal (a run that reads no
    /// intermediate visit never clears its buffers).
    visits: Option<Normals>,
}

impl std::fmt::Debug for Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Stream")
            .field("high", &self.normals.counter.high)
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
            normals: Normals::new(
                Counter::new(high, Sub::Normals),
                Counter::new(high, Sub::Slow),
            ),
            words: Words::new(Counter::new(high, Sub::Words)),
            visits: None,
        }
    }

    /// The next standard normal.
    #[inline(always)]
    pub fn normal(&mut self) -> f64 {
        self.normals.next(self.key)
    }

    /// The next standard normal of the intermediate visits' sub-stream
    /// (the Brownian bridge's steps and their part scatter), which no other
    /// draw shares.
    #[inline(always)]
    pub fn visit_normal(&mut self) -> f64 {
        let high = self.normals.counter.replicate_high();
        let visits = self.visits.get_or_insert_with(|| {
            Normals::new(
                Counter::new(high, Sub::Visits),
                Counter::from_call(high, Sub::Visits, VISITS_SLOW_FROM),
            )
        });
        let z = visits.next(self.key);
        // The visits' normals stay below their slow path's words.
        debug_assert!(visits.counter.calls <= VISITS_SLOW_FROM);
        z
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

    /// Normals handed out so far, the intermediate visits' included (the
    /// slow path's extra words are part of their cost, not counted).
    pub fn normals_drawn(&self) -> u64 {
        self.normals.drawn() + self.visit_normals_drawn()
    }

    /// Normals handed out so far from the intermediate visits' sub-stream.
    pub fn visit_normals_drawn(&self) -> u64 {
        self.visits.as_ref().map_or(0, Normals::drawn)
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

    /// Value stability of the intermediate visits' sub-stream.
    #[test]
    fn visit_draws_are_pinned() {
        let mut s = Stream::new(1, [30, 30], 0, 0);
        let normals: Vec<f64> = (0..4).map(|_| s.visit_normal()).collect();
        assert_eq!(
            format!("{normals:?}"),
            "[0.01924473602029435, 0.48361828305143567, 0.1714921801437987, -1.4827579480762516]"
        );
    }

    /// The visits' slow-path words start at counter word 0 = 2^31, above
    /// every call their normals can make.
    #[test]
    fn visits_slow_path_starts_halfway() {
        assert_eq!(VISITS_SLOW_FROM as u64 * philox::LANES as u64, 1 << 31);
        let mut s = Stream::new(1, [30, 30], 0, 0);
        s.visit_normal();
        let visits = s.visits.as_ref().unwrap();
        assert_eq!(visits.slow.counter.start, VISITS_SLOW_FROM);
        assert_eq!(visits.counter.start, 0);
    }

    /// Drawing the intermediate visits' normals (their slow path included)
    /// moves no other draw: a stream that interleaves them gives the same
    /// normals and words as one that never draws them, and counts them.
    #[test]
    fn visit_normals_move_no_other_draw() {
        for r in 0..4 {
            let (mut with, mut without) =
                (Stream::new(7, [12, 9], 1, r), Stream::new(7, [12, 9], 1, r));
            // About 13,000 visit normals, some 130 of them through the slow path.
            for i in 0..20_000 {
                if i % 3 == 0 {
                    for _ in 0..(i % 5) {
                        with.visit_normal();
                    }
                }
                assert_eq!(with.normal().to_bits(), without.normal().to_bits());
                if i % 7 == 0 {
                    assert_eq!(with.word(), without.word());
                }
            }
            assert!(with.visits.as_ref().unwrap().slow.drawn() > 0);
            assert_eq!(with.visit_normals_drawn() + 20_000, with.normals_drawn());
            assert_eq!(without.visit_normals_drawn(), 0);
            assert_eq!(without.normals_drawn(), 20_000);
        }
    }
}
