//! Who is randomised to what: the arms of a trial, their sizes for each
//! sample size the scenario lists, and the random stream each replicate of
//! such a cell draws from.
//!
//! Arms are data ([`Arm`], [`Arms`]), not a `bool msc` threaded through the
//! simulation: a design with another arm or a run-in adds a variant here and
//! the code that walks arms keeps working.

pub mod accrual;
pub mod stream;
pub mod withdrawal;

use std::ops::{Index, IndexMut};

use serde::{Deserialize, Serialize};

use crate::scenario::{Design, DesignKind, Stratum};

/// A trial arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Arm {
    Msc,
    Control,
}

impl Arm {
    /// Both arms, MSC first (the order patients are simulated and reported in).
    pub const ALL: [Arm; 2] = [Arm::Msc, Arm::Control];

    /// The arm a patient would have been in under the other assignment.
    #[inline]
    pub fn other(self) -> Arm {
        match self {
            Arm::Msc => Arm::Control,
            Arm::Control => Arm::Msc,
        }
    }

    /// Whether patients in this arm receive MSC.
    #[inline]
    pub fn gets_msc(self) -> bool {
        self == Arm::Msc
    }

    /// The name scenario files and outputs use.
    pub fn name(self) -> &'static str {
        match self {
            Arm::Msc => "msc",
            Arm::Control => "control",
        }
    }
}

/// One value per arm.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Arms<T> {
    pub msc: T,
    pub control: T,
}

impl<T> Arms<T> {
    /// The same value in both arms.
    pub fn both(value: T) -> Arms<T>
    where
        T: Clone,
    {
        Arms {
            msc: value.clone(),
            control: value,
        }
    }

    /// Builds each arm's value from the arm.
    pub fn from_fn(mut f: impl FnMut(Arm) -> T) -> Arms<T> {
        Arms {
            msc: f(Arm::Msc),
            control: f(Arm::Control),
        }
    }

    /// Applies `f` to each arm's value.
    pub fn map<U>(&self, mut f: impl FnMut(&T) -> U) -> Arms<U> {
        Arms {
            msc: f(&self.msc),
            control: f(&self.control),
        }
    }

    /// `(arm, value)` pairs, MSC first.
    pub fn iter(&self) -> impl Iterator<Item = (Arm, &T)> {
        [(Arm::Msc, &self.msc), (Arm::Control, &self.control)].into_iter()
    }

    /// `(arm, value)` pairs, MSC first, mutably.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (Arm, &mut T)> {
        [(Arm::Msc, &mut self.msc), (Arm::Control, &mut self.control)].into_iter()
    }
}

impl<T> Index<Arm> for Arms<T> {
    type Output = T;

    #[inline]
    fn index(&self, arm: Arm) -> &T {
        match arm {
            Arm::Msc => &self.msc,
            Arm::Control => &self.control,
        }
    }
}

impl<T> IndexMut<Arm> for Arms<T> {
    #[inline]
    fn index_mut(&mut self, arm: Arm) -> &mut T {
        match arm {
            Arm::Msc => &mut self.msc,
            Arm::Control => &mut self.control,
        }
    }
}

impl Arms<usize> {
    /// Patients in both arms together.
    pub fn total(&self) -> usize {
        self.msc + self.control
    }
}

/// Patients per arm for the control-arm size `n` written in
/// `design.n_per_arm`: the MSC arm has `round(allocation * n)`; a single-arm
/// series of `n` has no control arm.
pub fn arm_sizes(design: &Design, n: usize) -> Arms<usize> {
    match design.kind {
        DesignKind::SingleArm => Arms { msc: n, control: 0 },
        // Randomized withdrawal: `n` is the randomised control (withdrawal) arm.
        DesignKind::Parallel | DesignKind::RandomizedWithdrawal => Arms {
            msc: (design.allocation * n as f64).round() as usize,
            control: n,
        },
    }
}

/// Patients per arm in each stratum for `n` per arm: shares rounded, the
/// last stratum taking the remainder.
pub fn stratum_sizes(strata: &[Stratum], n: usize) -> Vec<usize> {
    if strata.is_empty() {
        return Vec::new();
    }
    let mut sizes: Vec<usize> = strata
        .iter()
        .map(|s| (s.share * n as f64).round() as usize)
        .collect();
    let assigned: usize = sizes[..sizes.len() - 1].iter().sum();
    let last = sizes.len() - 1;
    sizes[last] = n.saturating_sub(assigned);
    sizes
}
