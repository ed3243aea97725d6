//! `[simulation]`: replicates and seed, after the command-line overrides.
//!
//! Overrides are merged into the raw table before anything is checked, so an
//! override is validated exactly like the value it replaces and the validated
//! [`crate::scenario::Scenario`] is never changed afterwards.

use super::Checker;
use crate::scenario::raw::RawSimulation;
use crate::scenario::{DEFAULT_REPLICATES, DEFAULT_SEED, Overrides, ScenarioError};

/// Replaces the file's `replicates` and `seed` with the overrides that are
/// set; `checker` is at `simulation`.
///
/// # Errors
/// A replicate count too large to hold (above `i64::MAX`).
pub fn merge(
    checker: &Checker,
    raw: &mut RawSimulation,
    overrides: &Overrides,
) -> Result<(), ScenarioError> {
    if let Some(r) = overrides.replicates {
        let r = i64::try_from(r).map_err(|_| {
            checker.bad(
                "replicates",
                format!("{r} is not allowed: at most {} simulated trials", i64::MAX),
            )
        })?;
        raw.replicates = Some(r);
    }
    if let Some(seed) = overrides.seed {
        raw.seed = Some(seed);
    }
    Ok(())
}

/// Most simulated trials per sample size: a Monte Carlo SE of power of
/// 0.00002, and about 15 minutes per cell at a million trials per second.
pub const MAX_REPLICATES: u64 = 1_000_000_000;

/// `replicates`: 1 to [`MAX_REPLICATES`] (default [`DEFAULT_REPLICATES`]).
///
/// # Errors
/// When it is below 1.
pub fn replicates(checker: &Checker, raw: &RawSimulation) -> Result<u64, ScenarioError> {
    let replicates = raw.replicates.unwrap_or(DEFAULT_REPLICATES as i64);
    if !(1..=MAX_REPLICATES as i64).contains(&replicates) {
        return Err(checker.bad(
            "replicates",
            format!(
                "{replicates} is not allowed: the number of simulated trials must be at least 1 and at most {MAX_REPLICATES}"
            ),
        ));
    }
    Ok(replicates as u64)
}

/// `seed` (default [`DEFAULT_SEED`]); any value is allowed.
pub fn seed(raw: &RawSimulation) -> u64 {
    raw.seed.unwrap_or(DEFAULT_SEED)
}

#[cfg(test)]
mod tests {
    use crate::scenario::tests::{GOOD, err};
    use crate::scenario::{Overrides, Scenario, Simulation, parse, parse_with};
    use std::path::Path;

    #[test]
    fn overrides_replace_replicates_and_seed_before_validation() {
        let text = format!("{GOOD}[simulation]\nreplicates = 300\nseed = 7\n");
        let path = Path::new("s.toml");
        let plain = parse(path, &text).unwrap();
        assert_eq!(
            plain.simulation,
            Simulation {
                replicates: 300,
                seed: 7
            }
        );
        let overrides = Overrides {
            replicates: Some(1200),
            seed: Some(99),
            n_per_arm: None,
        };
        let s = parse_with(path, &text, &overrides).unwrap();
        assert_eq!(
            s.simulation,
            Simulation {
                replicates: 1200,
                seed: 99
            }
        );
        // Nothing else changes.
        assert_eq!(
            Scenario {
                simulation: plain.simulation.clone(),
                ..s
            },
            plain
        );
        // One override alone keeps the other file value; no file value keeps the default.
        let seed_only = Overrides {
            replicates: None,
            seed: Some(5),
            n_per_arm: None,
        };
        assert_eq!(
            parse_with(path, &text, &seed_only)
                .unwrap()
                .simulation
                .replicates,
            300
        );
        let s = parse_with(path, GOOD, &overrides).unwrap();
        assert_eq!(
            s.simulation,
            Simulation {
                replicates: 1200,
                seed: 99
            }
        );
        assert_eq!(
            parse_with(path, GOOD, &Overrides::default()).unwrap(),
            parse(path, GOOD).unwrap()
        );
    }

    #[test]
    fn an_override_is_validated_like_the_file_value() {
        let zero = Overrides {
            replicates: Some(0),
            seed: None,
            n_per_arm: None,
        };
        let from_override = parse_with(Path::new("s.toml"), GOOD, &zero).unwrap_err();
        let from_file = err(&format!("{GOOD}[simulation]\nreplicates = 0\n"));
        assert_eq!(from_override.to_string(), from_file);
        let huge = Overrides {
            replicates: Some(u64::MAX),
            seed: None,
            n_per_arm: None,
        };
        let m = parse_with(Path::new("s.toml"), GOOD, &huge)
            .unwrap_err()
            .to_string();
        assert!(
            m.starts_with(
                "s.toml: key `simulation.replicates`: 18446744073709551615 is not allowed"
            ),
            "{m}"
        );
    }
}
