//! Value stability of whole runs: every shipped scenario at 200 replicates
//! (its own seed), each cell's summaries as JSON (floats in their shortest
//! exact form), hashed and compared with the hash pinned here. A speed change
//! that claims to change no result must leave every hash as it is; a change
//! of results on purpose (a new generator, a fixed bug, a new summary field)
//! updates them here in the same commit as `docs/results.md`, and says why.
//!
//! The hashes do not depend on the CPU's vector units (the AVX-512 and
//! portable generator paths give the same bits) and were checked unchanged
//! with glibc's non-FMA `exp` and `log` (`GLIBC_TUNABLES=glibc.cpu.hwcaps=
//! -FMA,-AVX2,-AVX512F,-AVX`); a libm that rounds differently in the last
//! bit could still move them (see `rng`).
//!
//! To print the current hashes: `PINNED_PRINT=1 cargo test --release --test
//! pinned -- --nocapture`.

use std::path::Path;

use trialsim::engine;
use trialsim::scenario::{self, Overrides};

/// Replicates per cell: enough for every path of every scenario to run.
const REPLICATES: u64 = 200;

/// Each shipped scenario and the FNV-1a hash of its cells' summaries.
const PINNED: [(&str, u64); 30] = [
    ("bench_simtrial_fixed", 0x9d8a773b540ea586),
    ("jia_autologous_msc_itt", 0xac0eed7c0d3e3412),
    ("jia_ia_steroid_after_msc", 0x628e842c6060878b),
    ("jia_jadas27", 0x3a813e4e857f5a4b),
    ("jia_mtx_continue", 0x72f451779d67c35d),
    ("jia_mtx_withdrawal", 0xa4ef3786d25d6516),
    ("jia_randomized_withdrawal", 0x9871b834e2f0cae6),
    ("jia_withdrawal_dropout", 0x4de32865be7eb3d0),
    ("mctd_sledai", 0xdbddbfe1edf6acd9),
    ("mctd_tocilizumab_coadmin", 0xb265112731479fb6),
    ("pooled_three_diseases", 0x21f1ff4b65fa4bad),
    ("reference_sle_ancova_30", 0x5adbb83e367008f6),
    ("reference_sle_ancova_30_flares", 0xa4402ac7ed31b390),
    ("seed_case1_schedule", 0x52726ef31fba50c5),
    ("seed_case2_schedule", 0x0d34b6fba56c8054),
    ("seed_series_pga_literature", 0x69808fd2dfa0f8c0),
    ("seed_series_pga_null", 0xa548f50ec09be617),
    ("seed_series_sledai_from_rct", 0x7520c8a6e993f185),
    ("sle_belimumab_extrapolation", 0xcc24d5c1e8698b3e),
    ("sle_hcq_withdrawal", 0x949b1ab70b9a05c2),
    ("sle_msc_borrow_adult", 0x64fc6a8df8a1f2d0),
    ("sle_msc_borrow_adult_calibrated", 0x46f3ab002e24cff2),
    ("sle_msc_safety_monitor", 0xaf43ea912ce73df8),
    ("sle_prednisone_withdrawal", 0xbb6c57994d9346a8),
    ("sle_sledai_addon", 0x7bdffcf83d7fbdf4),
    ("sle_sledai_addon_interim", 0xcebf36f2fb651d19),
    ("sle_sledai_addon_interim_null", 0xab6562d022beaa3a),
    ("sle_sri4_fisher", 0xe10c5141d1fe1235),
    ("sle_time_to_flare", 0x69ddebf2d3370625),
    ("textbook_continuous", 0x10ae2330721751b9),
];

/// FNV-1a, 64 bits: a fixed, documented hash (the standard library's may
/// change between Rust versions).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The hash of `name`'s run: every cell's summary and prior-pass summary.
fn run_hash(name: &str) -> u64 {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(format!("{name}.toml"));
    let overrides = Overrides {
        replicates: Some(REPLICATES),
        ..Overrides::default()
    };
    let s = scenario::load_with(&path, &overrides).expect("shipped scenario is valid");
    let cells = engine::run_scenario(&s, &|_| {});
    let json: Vec<_> = cells
        .iter()
        .map(|c| serde_json::to_string(&(c.n_per_arm, &c.summary, &c.prior)).unwrap())
        .collect();
    fnv1a(json.join("\n").as_bytes())
}

#[test]
fn every_shipped_scenario_gives_its_pinned_results() {
    let shipped: Vec<String> =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios"))
            .unwrap()
            .filter_map(|e| {
                let p = e.unwrap().path();
                (p.extension()? == "toml")
                    .then(|| p.file_stem().unwrap().to_string_lossy().into_owned())
            })
            .collect();
    let mut changed = Vec::new();
    for (name, pinned) in PINNED {
        let hash = run_hash(name);
        if std::env::var_os("PINNED_PRINT").is_some() {
            println!("    (\"{name}\", 0x{hash:016x}),");
        }
        if hash != pinned {
            changed.push(format!("{name}: 0x{hash:016x}, pinned 0x{pinned:016x}"));
        }
    }
    assert!(
        changed.is_empty(),
        "results changed:\n{}",
        changed.join("\n")
    );
    for name in &shipped {
        assert!(
            PINNED.iter().any(|(n, _)| n == name),
            "scenarios/{name}.toml has no pinned hash: add it to PINNED"
        );
    }
}
