//! `trialsim evidence` and `trialsim cases`: print the built-in evidence rows
//! or the seed case series, as a Markdown table or as JSON.

use std::io::Write;

use crate::error::Result;

/// Prints `items` on stdout: pretty JSON with a final newline when `json`,
/// else the Markdown `table`.
///
/// # Errors
/// If stdout cannot be written.
pub fn print<T: serde::Serialize>(
    json: bool,
    items: &[T],
    table: fn(&[T]) -> String,
) -> Result<()> {
    let text = if json {
        let mut t = serde_json::to_string_pretty(items)?;
        t.push('\n');
        t
    } else {
        table(items)
    };
    std::io::stdout().write_all(text.as_bytes())?;
    Ok(())
}
