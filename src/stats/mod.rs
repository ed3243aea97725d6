//! Small statistical building blocks shared by the analyses, the estimands
//! and the summaries: running moments, the Wilson interval, t critical
//! values and rounding without libm calls.

pub mod rounding;
pub mod t_critical;
pub mod welford;
pub mod wilson;

pub use welford::Welford;
pub use wilson::{Z_975, wilson_interval};
