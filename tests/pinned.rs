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
    ("jia_ia_steroid_after_msc", 0x0ca64dabb4a2cff6),
    ("jia_jadas27", 0x507a78e130fa10a7),
    ("jia_mtx_continue", 0x8b73e6d7e229071a),
    ("jia_mtx_withdrawal", 0xe5fd7093fe254918),
    ("jia_randomized_withdrawal", 0x9871b834e2f0cae6),
    ("jia_withdrawal_dropout", 0xfa1e9d8ca239b1ad),
    ("mctd_sledai", 0x4e92f0236917f3af),
    ("mctd_tocilizumab_coadmin", 0x1339e7a26e66c0c7),
    ("pooled_three_diseases", 0x7909dedb00e31444),
    ("reference_sle_ancova_30", 0x45ae92e2b4284177),
    ("reference_sle_ancova_30_flares", 0x1d38d4292d3a7f71),
    ("seed_case1_schedule", 0xd30e51ac4c2b12b9),
    ("seed_case2_schedule", 0x0d34b6fba56c8054),
    ("seed_series_pga_literature", 0x5d073ea58429d006),
    ("seed_series_pga_null", 0x3161736e0016b7ad),
    ("seed_series_sledai_from_rct", 0x2009cc3f91fab966),
    ("sle_belimumab_extrapolation", 0x9e04dac9eb8b9c0f),
    ("sle_hcq_withdrawal", 0xa5e386f209be2eab),
    ("sle_msc_borrow_adult", 0xf2759673ba4174c6),
    ("sle_msc_borrow_adult_calibrated", 0xcf319dafda758b88),
    ("sle_msc_safety_monitor", 0xaf43ea912ce73df8),
    ("sle_prednisone_withdrawal", 0x681b0d4380bf3ddc),
    ("sle_sledai_addon", 0xa7f2d6272c8be79e),
    ("sle_sledai_addon_interim", 0x70227c1742fc969f),
    ("sle_sledai_addon_interim_null", 0x24bc62730ce33556),
    ("sle_sri4_fisher", 0x0a1d481bf8cbc0a8),
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
