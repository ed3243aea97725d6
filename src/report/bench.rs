//! The records of `trialsim bench`: what was measured, per thread count.
//!
//! They live apart from the code that measures them (`app::bench`) so that the
//! exporters and the scaling plot read plain records, the way they read
//! [`RunReport`](crate::report::RunReport), and never depend on the app.

use serde::Serialize;

/// One thread count's measurement.
#[derive(Debug, Clone, Serialize)]
pub struct BenchRow {
    pub threads: usize,
    pub trials_per_second: f64,
    pub seconds: f64,
    /// Throughput relative to one thread.
    pub speedup: f64,
    /// `speedup / threads`.
    pub efficiency: f64,
}

/// One workload kind against its own random-number floor.
#[derive(Debug, Clone, Serialize)]
pub struct WorkloadRow {
    /// The kind of work (core, textbook, bounded, jadas27, flares, estimands, pooled, survival).
    pub kind: String,
    pub scenario: String,
    pub n_per_arm: usize,
    /// Random numbers a trial draws: standard normals and 64-bit words (uniforms, exponentials).
    pub normals_per_trial: f64,
    pub words_per_trial: f64,
    /// One thread.
    pub trials_per_second: f64,
    /// One thread drawing only the same random numbers from the same streams.
    pub floor_trials_per_second: f64,
    /// Trial time over floor time (1 is the floor itself).
    pub cost_over_random_numbers: f64,
    /// At `threads` threads: trials per second per thread and parallel efficiency.
    pub threads: usize,
    pub trials_per_second_per_core: f64,
    pub efficiency: f64,
}

/// A whole benchmark.
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    pub workload: String,
    pub cpus: usize,
    pub replicates: u64,
    pub repeats: u64,
    /// Trials per second if a trial cost only its random numbers (1 thread).
    pub random_numbers_only_trials_per_second: f64,
    /// One-thread trial time over its random-number time.
    pub cost_over_random_numbers: f64,
    pub rows: Vec<BenchRow>,
    /// Every workload kind against its floor, at 1 thread and at the most threads.
    pub workloads: Vec<WorkloadRow>,
}
