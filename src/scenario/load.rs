//! TOML text to a [`RawScenario`], with errors a scenario author can act on:
//! syntax errors by line and column, unknown keys and wrong types by key path,
//! in words rather than Rust type names.

use std::path::Path;

use super::raw::RawScenario;
use super::{Location, ScenarioError};

/// Reads scenario text into the raw structs that mirror the file; `path` is
/// used in error messages only.
///
/// # Errors
/// A [`ScenarioError`] for a TOML syntax error (at its line and column), an
/// unknown key or a wrong type (at its key path).
pub fn raw(path: &Path, text: &str) -> Result<RawScenario, ScenarioError> {
    let syntax_error = |e: toml::de::Error| {
        let location = match e.span() {
            Some(span) => position(text, span.start),
            None => Location::File,
        };
        ScenarioError {
            file: path.to_path_buf(),
            location,
            message: format!("invalid TOML: {}", e.message().trim()),
        }
    };
    let de = toml::Deserializer::parse(text).map_err(syntax_error)?;
    serde_path_to_error::deserialize(de).map_err(|e| {
        let key = e.path().to_string();
        let inner = e.into_inner();
        let message = plain_types(inner.message().trim());
        let location = if key == "." || key.is_empty() {
            match inner.span() {
                Some(span) => position(text, span.start),
                None => Location::File,
            }
        } else {
            Location::Key(key)
        };
        ScenarioError {
            file: path.to_path_buf(),
            location,
            message,
        }
    })
}

/// serde names Rust types; a scenario author thinks in numbers and integers.
fn plain_types(message: &str) -> String {
    message
        .replace("expected f64", "expected a number")
        .replace("expected i64", "expected an integer")
        .replace("expected u64", "expected a non-negative integer")
}

/// The 1-based line and column of a byte offset in `text`.
fn position(text: &str, offset: usize) -> Location {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    Location::Position { line, column }
}

#[cfg(test)]
mod tests {
    use crate::scenario::tests::{GOOD, err};

    #[test]
    fn unknown_key_is_named_with_its_path() {
        let m = err(&GOOD.replace("analysis =", "alpah = 0.1\nanalysis ="));
        assert!(m.starts_with("s.toml: key `design.alpah`"), "{m}");
        assert!(m.contains("expected one of"), "{m}");
    }

    #[test]
    fn wrong_type_names_key() {
        let m = err(&GOOD.replace("baseline_sd = 4", "baseline_sd = \"four\""));
        assert!(m.starts_with("s.toml: key `population.baseline_sd`"), "{m}");
    }

    #[test]
    fn bad_enum_lists_allowed_values() {
        let m = err(&GOOD.replace("\"welch_t\"", "\"t_test\""));
        assert!(m.contains("design.analysis"), "{m}");
        assert!(
            m.contains("welch_t") && m.contains("fisher_responder"),
            "{m}"
        );
    }

    #[test]
    fn syntax_error_gives_line() {
        let m = err("name = \n");
        assert!(m.starts_with("s.toml: line 1"), "{m}");
    }
}
