//! Small statistical building blocks shared by the analyses, the estimands
//! and the summaries: running moments, the Wilson interval, t critical
//! values, rounding without libm calls, and `u < Phi(x)` decided from a
//! table where that is safe.

pub mod normal_cdf;
pub mod rounding;
pub mod t_critical;
pub mod welford;
pub mod wilson;

pub use welford::Welford;
pub use wilson::{Z_975, wilson_interval};
