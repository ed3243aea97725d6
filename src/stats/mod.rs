//! Small statistical building blocks shared by the analyses, the estimands
//! and the summaries: running moments and the Wilson interval.

pub mod t_critical;
pub mod welford;
pub mod wilson;

pub use welford::Welford;
pub use wilson::{Z_975, wilson_interval};
