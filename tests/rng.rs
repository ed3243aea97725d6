//! The random-number generator against the normal and uniform distributions
//! it claims, with tolerances from sampling error, and its value stability.

use statrs::distribution::{ContinuousCDF, Normal};
use trialsim::rng::Stream;

/// Kolmogorov-Smirnov distance of `x` (sorted in place) from the standard normal.
fn ks_distance(x: &mut [f64]) -> f64 {
    x.sort_by(f64::total_cmp);
    let n = x.len() as f64;
    let phi = Normal::standard();
    x.iter()
        .enumerate()
        .map(|(i, &v)| {
            let f = phi.cdf(v);
            (f - i as f64 / n).abs().max(((i + 1) as f64 / n - f).abs())
        })
        .fold(0.0, f64::max)
}

/// A normal sub-stream of a replicate, read one normal at a time.
type Draw = fn(&mut Stream) -> f64;

/// The two normal sub-streams of a replicate: its normals and its
/// intermediate visits' normals.
const NORMALS: [(&str, Draw); 2] = [
    ("normal", Stream::normal),
    ("visit_normal", Stream::visit_normal),
];

/// 10^6 normals from many replicate streams, of each normal sub-stream: KS
/// distance below its 0.1% critical value (1.949 / sqrt(n)), mean, variance
/// and kurtosis within 4 SE.
#[test]
fn normals_are_standard_normal() {
    for (name, normal) in NORMALS {
        let per = 1000;
        let mut x = Vec::with_capacity(1_000_000);
        for r in 0..1000u32 {
            let mut s = Stream::new(7, [30, 30], 0, r);
            x.extend((0..per).map(|_| normal(&mut s)));
        }
        let n = x.len() as f64;
        let mean = x.iter().sum::<f64>() / n;
        let var = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
        let m4 = x.iter().map(|v| (v - mean).powi(4)).sum::<f64>() / n;
        assert!(mean.abs() < 4.0 / n.sqrt(), "{name}: mean {mean}");
        // Var of the sample variance is 2 / n for a normal; of m4, 96 / n.
        assert!(
            (var - 1.0).abs() < 4.0 * (2.0 / n).sqrt(),
            "{name}: variance {var}"
        );
        assert!(
            (m4 - 3.0).abs() < 4.0 * (96.0 / n).sqrt(),
            "{name}: fourth moment {m4}"
        );
        let d = ks_distance(&mut x);
        assert!(d < 1.949 / n.sqrt(), "{name}: KS distance {d}");
    }
}

/// The tail beyond the ziggurat's base (|z| > 3.6541528853610088, the slow
/// path) and the wedges: tail share 2 (1 - Phi(R)) within 4 SE in 2 x 10^7
/// draws of each normal sub-stream.
#[test]
fn normal_tails_have_the_right_mass() {
    for (name, normal) in NORMALS {
        let r = 3.654_152_885_361_009;
        let p = 2.0 * Normal::standard().sf(r);
        let (mut beyond, mut beyond_3) = (0u64, 0u64);
        let n = 20_000_000u64;
        let mut s = Stream::new(11, [5, 5], 1, 3);
        for _ in 0..n {
            let z = normal(&mut s);
            beyond += u64::from(z.abs() > r);
            beyond_3 += u64::from(z > 3.0);
        }
        let se = (p * (1.0 - p) / n as f64).sqrt();
        let share = beyond as f64 / n as f64;
        assert!(
            (share - p).abs() < 4.0 * se,
            "{name}: tail share {share} vs {p}"
        );
        let p3 = Normal::standard().sf(3.0);
        let share3 = beyond_3 as f64 / n as f64;
        let se3 = (p3 * (1.0 - p3) / n as f64).sqrt();
        assert!(
            (share3 - p3).abs() < 4.0 * se3,
            "{name}: P(z > 3) {share3} vs {p3}"
        );
    }
}

/// Uniforms on (0, 1): mean and variance within 4 SE, never 0 or 1.
#[test]
fn uniforms_are_uniform() {
    let mut s = Stream::new(3, [10, 20], 0, 9);
    let n = 1_000_000;
    let u: Vec<f64> = (0..n).map(|_| s.open01()).collect();
    assert!(u.iter().all(|&v| v > 0.0 && v < 1.0));
    let mean = u.iter().sum::<f64>() / n as f64;
    let var = u.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64;
    assert!((mean - 0.5).abs() < 4.0 * (1.0 / 12.0 / n as f64).sqrt());
    // Var of the sample variance of U(0,1): (1/80 - 1/144) / n.
    assert!((var - 1.0 / 12.0).abs() < 4.0 * ((1.0 / 80.0 - 1.0 / 144.0) / n as f64).sqrt());
}

/// Streams of neighbouring replicates, cells and modes, and a replicate's
/// own intermediate visits' normals, are unrelated: the correlation of
/// their first 10^5 normals is within 4 SE of 0.
#[test]
fn neighbouring_streams_are_uncorrelated() {
    let n = 100_000;
    let draw = |cell: [u32; 2], mode: u32, replicate: u32| -> Vec<f64> {
        let mut s = Stream::new(5, cell, mode, replicate);
        (0..n).map(|_| s.normal()).collect()
    };
    let base = draw([30, 30], 0, 0);
    let mut own = Stream::new(5, [30, 30], 0, 0);
    let visits: Vec<f64> = (0..n).map(|_| own.visit_normal()).collect();
    for other in [
        visits,
        draw([30, 30], 0, 1),
        draw([31, 30], 0, 0),
        draw([30, 31], 0, 0),
        draw([30, 30], 1, 0),
    ] {
        let r = base.iter().zip(&other).map(|(a, b)| a * b).sum::<f64>() / n as f64;
        assert!(r.abs() < 4.0 / (n as f64).sqrt(), "correlation {r}");
    }
}
