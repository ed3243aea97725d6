//! The [`Checker`]: builds a [`ScenarioError`] naming the file and the full
//! key path, and the range checks every validator shares, so each allowed
//! range is stated once.

use std::path::Path;

use crate::design::Arms;
use crate::scenario::intercurrent::RawProbability;
use crate::scenario::{Location, ScenarioError};

/// Largest magnitude any scale value, SD or effect may have (the `finite`
/// and `non_negative` checks): far beyond any clinical scale, so a value
/// this large is a typo or a unit slip (1e78 once reached the Welch test and
/// overflowed its degrees of freedom).
pub const MAX_MAGNITUDE: f64 = 1e6;

fn too_large(value: f64) -> String {
    format!(
        "{value} is not allowed: values are limited to {MAX_MAGNITUDE:e} in size (far beyond any clinical scale); check the units"
    )
}

/// Builds [`ScenarioError`]s for one file, under one key prefix.
///
/// ```
/// use std::path::Path;
/// use trialsim::scenario::validate::Checker;
///
/// let design = Checker::new(Path::new("s.toml")).at("design");
/// let e = design.bad("alpha", "1 is not allowed");
/// assert_eq!(e.to_string(), "s.toml: key `design.alpha`: 1 is not allowed");
/// ```
#[derive(Debug, Clone)]
pub struct Checker<'a> {
    file: &'a Path,
    /// Dotted key of the table checked (empty at the top level).
    prefix: String,
}

impl<'a> Checker<'a> {
    /// A checker for the top level of `file`.
    pub fn new(file: &'a Path) -> Checker<'a> {
        Checker {
            file,
            prefix: String::new(),
        }
    }

    /// A checker for the table or array element `key` under this one
    /// (`at("stratum[2]")`).
    pub fn at(&self, key: &str) -> Checker<'a> {
        Checker {
            file: self.file,
            prefix: self.key(key),
        }
    }

    /// The full dotted path of `key` under this checker's prefix.
    pub fn key(&self, key: &str) -> String {
        if self.prefix.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.prefix)
        }
    }

    /// The error for a bad value at `key`.
    pub fn bad(&self, key: &str, message: impl Into<String>) -> ScenarioError {
        ScenarioError {
            file: self.file.to_path_buf(),
            location: Location::Key(self.key(key)),
            message: message.into(),
        }
    }

    /// Refuses NaN and infinities.
    ///
    /// # Errors
    /// When `value` is not finite.
    pub fn finite(&self, key: &str, value: f64) -> Result<f64, ScenarioError> {
        if !value.is_finite() {
            Err(self.bad(key, format!("{value} is not allowed: give a finite number")))
        } else if value.abs() > MAX_MAGNITUDE {
            Err(self.bad(key, too_large(value)))
        } else {
            Ok(value)
        }
    }

    /// Refuses negative and non-finite values; `what` names the quantity
    /// ("a standard deviation" must be 0 or more).
    ///
    /// # Errors
    /// When `value` is not a finite number of at least 0.
    pub fn non_negative(&self, key: &str, value: f64, what: &str) -> Result<f64, ScenarioError> {
        if value.is_finite() && value > MAX_MAGNITUDE {
            Err(self.bad(key, too_large(value)))
        } else if value.is_finite() && value >= 0.0 {
            Ok(value)
        } else {
            Err(self.bad(
                key,
                format!("{value} is not allowed: {what} must be 0 or more"),
            ))
        }
    }

    /// Refuses values outside `lo..=hi` (and NaN), naming the range.
    ///
    /// # Errors
    /// When `value` lies outside the closed range.
    pub fn within(
        &self,
        key: &str,
        value: f64,
        (lo, hi): (f64, f64),
        what: &str,
    ) -> Result<f64, ScenarioError> {
        if (lo..=hi).contains(&value) {
            Ok(value)
        } else {
            Err(self.bad(
                key,
                format!("{value} is not allowed: {what} must lie from {lo} to {hi}"),
            ))
        }
    }

    /// A number given once for both arms or as `{ msc = ..., control = ... }`,
    /// each within `range` (keys `key`, `key.msc`, `key.control`).
    ///
    /// # Errors
    /// When a value lies outside the range.
    pub fn per_arm(
        &self,
        key: &str,
        raw: &RawProbability,
        range: (f64, f64),
        what: &str,
    ) -> Result<Arms<f64>, ScenarioError> {
        Ok(match raw {
            RawProbability::Both(v) => Arms::both(self.within(key, *v, range, what)?),
            RawProbability::PerArm(p) => Arms {
                msc: self.within(&format!("{key}.msc"), p.msc, range, what)?,
                control: self.within(&format!("{key}.control"), p.control, range, what)?,
            },
        })
    }

    /// A required `source`, trimmed; `missing` is the message when it is
    /// absent or blank.
    ///
    /// # Errors
    /// When the source is absent or blank.
    pub fn source(&self, raw: Option<&str>, missing: &str) -> Result<String, ScenarioError> {
        let source = raw.unwrap_or("").trim();
        if source.is_empty() {
            Err(self.bad("source", missing))
        } else {
            Ok(source.to_string())
        }
    }

    /// Refuses values outside `(0, hi]` (and NaN), naming the range.
    ///
    /// # Errors
    /// When `value` is not above 0 and at most `hi`.
    pub fn above_zero_at_most(
        &self,
        key: &str,
        value: f64,
        hi: f64,
        what: &str,
    ) -> Result<f64, ScenarioError> {
        if value > 0.0 && value <= hi {
            Ok(value)
        } else {
            Err(self.bad(
                key,
                format!("{value} is not allowed: {what} must be above 0 and at most {hi}"),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checker_prefixes_keys() {
        let root = Checker::new(Path::new("s.toml"));
        assert_eq!(root.key("name"), "name");
        let stratum = root.at("stratum[2]");
        assert_eq!(stratum.key("share"), "stratum[2].share");
        let e = root.at("concomitant[0]").bad("probability.msc", "no");
        assert_eq!(
            e.location,
            Location::Key("concomitant[0].probability.msc".into())
        );
        assert_eq!(e.file, Path::new("s.toml"));
        assert_eq!(
            root.at("design").bad("alpha", "no").to_string(),
            "s.toml: key `design.alpha`: no"
        );
    }

    #[test]
    fn range_helpers_name_the_range_and_refuse_nan() {
        let c = Checker::new(Path::new("s.toml")).at("population");
        let e = c
            .within(
                "baseline_change_correlation",
                1.5,
                (-1.0, 1.0),
                "a correlation",
            )
            .unwrap_err();
        assert_eq!(
            e.message,
            "1.5 is not allowed: a correlation must lie from -1 to 1"
        );
        assert!(
            c.within("x", f64::NAN, (0.0, 1.0), "a probability")
                .is_err()
        );
        assert!(c.above_zero_at_most("x", f64::NAN, 1.0, "a share").is_err());
        assert!(c.above_zero_at_most("x", 0.0, 1.0, "a share").is_err());
        assert_eq!(c.above_zero_at_most("x", 1.0, 1.0, "a share").unwrap(), 1.0);
        let e = c
            .non_negative("change_sd", -0.1, "a standard deviation")
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "s.toml: key `population.change_sd`: -0.1 is not allowed: a standard deviation must be 0 or more"
        );
        assert!(c.finite("x", f64::INFINITY).is_err());
    }
}
