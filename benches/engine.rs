//! Criterion benches on the reference workload
//! (`scenarios/reference_sle_ancova_30.toml`: SLE, 30 per arm, 4 visits, ANCOVA).
//!
//! `cargo bench --bench engine` reports, as elements per second = trials per second:
//! every workload kind of `trialsim bench` (`workload_KIND`: one replicate and
//! its random-number floor), and on the reference workload:
//! one analysis, one replicate, a whole cell of replicates on 1 and 2 threads,
//! one replicate of the reference with flares and rescue
//! (`scenarios/reference_sle_ancova_30_flares.toml`), and the random-number-only baseline (the same count of standard normals
//! and words a replicate draws, from the same generator, with the same
//! per-replicate stream set-up).

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use trialsim::app::bench::{WORKLOADS, draw_only, draws};
use trialsim::engine::{self, Cell};
use trialsim::scenario;
use trialsim::summary::Summary;

const REFERENCE: &str = "scenarios/reference_sle_ancova_30.toml";
const REFERENCE_FLARES: &str = "scenarios/reference_sle_ancova_30_flares.toml";
const CELL_REPLICATES: u64 = 4096;

fn reference_cell(file: &str) -> Cell {
    let s = scenario::load(Path::new(file)).expect("reference scenario is valid");
    Cell::new(&s, s.design.n_per_arm[0])
}

fn benches(c: &mut Criterion) {
    let cell = reference_cell(REFERENCE);
    // What one replicate draws (the same for every replicate of this trial).
    let counts = draws(&cell, 1, 1)[0];

    let mut group = c.benchmark_group("reference");
    group.throughput(Throughput::Elements(1));

    let mut work = cell.workspace();
    let mut summary = Summary::default();
    cell.replicate(1, 0, &mut work, &mut summary);
    group.bench_function("analysis_only", |b| {
        let mut scratch = work.scratch.clone();
        b.iter(|| {
            black_box(cell.analyzer.analyse(
                work.cohort.msc.view(),
                work.cohort.control.view(),
                &mut scratch,
            ))
        })
    });

    let mut r = 0u64;
    group.bench_function("one_replicate", |b| {
        b.iter(|| {
            r += 1;
            cell.replicate(1, r, &mut work, &mut summary);
        })
    });

    group.bench_function("random_numbers_only", |b| {
        b.iter(|| {
            r += 1;
            black_box(draw_only(&cell, 1, r, counts))
        })
    });
    group.finish();

    // The same trial with withdrawal, flares, rescue and four estimands.
    let flares = reference_cell(REFERENCE_FLARES);
    let mut group = c.benchmark_group("reference_flares");
    group.throughput(Throughput::Elements(1));
    let mut work = flares.workspace();
    let mut summary = Summary::default();
    group.bench_function("one_replicate", |b| {
        b.iter(|| {
            r += 1;
            flares.replicate(1, r, &mut work, &mut summary);
        })
    });
    group.finish();

    let mut group = c.benchmark_group("reference_cell");
    group.throughput(Throughput::Elements(CELL_REPLICATES));
    group.sample_size(20);
    for threads in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        group.bench_function(format!("{threads}_threads"), |b| {
            b.iter(|| {
                pool.install(|| black_box(engine::run_cell(&cell, 1, CELL_REPLICATES, &|_| {})))
            })
        });
    }
    group.finish();
}

/// Every workload kind of `trialsim bench`: one replicate, and its floor (the
/// same replicate's stream drawing the same normals and words, nothing else).
fn workloads(c: &mut Criterion) {
    const CYCLE: u64 = 256;
    for w in &WORKLOADS {
        let s = w.scenario(CYCLE).expect("compiled-in scenario is valid");
        let cell = Cell::new(&s, w.n);
        let counts = draws(&cell, 1, CYCLE);
        let mut group = c.benchmark_group(format!("workload_{}", w.kind));
        group.throughput(Throughput::Elements(1));
        let mut work = cell.workspace();
        let mut summary = Summary::default();
        let mut r = 0u64;
        group.bench_function("one_replicate", |b| {
            b.iter(|| {
                r = (r + 1) % CYCLE;
                cell.replicate(1, r, &mut work, &mut summary);
            })
        });
        group.bench_function("random_numbers_only", |b| {
            b.iter(|| {
                r = (r + 1) % CYCLE;
                black_box(draw_only(&cell, 1, r, counts[r as usize]))
            })
        });
        group.finish();
    }
}

criterion_group! {
    name = engine_benches;
    // Criterion's own plots would need a system font; the figures are what matter.
    config = Criterion::default().without_plots();
    targets = benches, workloads
}
criterion_main!(engine_benches);
