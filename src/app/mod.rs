//! What each subcommand does, from parsed arguments to files and stdout: one
//! file per subcommand; this one only dispatches.

pub mod bench;
pub mod borrow;
mod calibrate;
mod check;
mod design;
mod info;
mod merge;
mod progress;
mod replay;
mod run;
mod sensitivity;

use crate::error::Result;

use crate::cli::{Cli, Command};
use crate::evidence;
use crate::export;

pub use run::thread_pool;

/// Runs a parsed command line.
///
/// # Errors
/// An [`Error`](crate::Error), which knows its exit code: 2 for bad input,
/// 1 for a failed run.
pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Check { files } => check::run(&files),
        Command::Run(args) => run::run(&args),
        Command::Merge(args) => merge::run(&args),
        Command::Bench(args) => bench::run(&args),
        Command::Replay(args) => replay::run(&args),
        Command::Design(args) => design::run(&args),
        Command::Sensitivity(args) => sensitivity::run(&args),
        Command::Borrow(args) => borrow::run(&args),
        Command::Calibrate { replicates, json } => calibrate::run(replicates, json),
        Command::Evidence { json } => {
            info::print(json, evidence::rows(), export::evidence::evidence)
        }
        Command::Cases { json } => info::print(json, evidence::cases(), export::evidence::cases),
    }
}

/// Writes a command's `files` into `dir`, then prints `output` as JSON
/// (`json`), or the `table` with a line naming the files (unless `quiet`).
///
/// # Errors
/// A file that cannot be written, or stdout that cannot be.
fn write_and_print(
    dir: &std::path::Path,
    files: &[(&str, Vec<u8>)],
    output: &impl serde::Serialize,
    (json, quiet): (bool, bool),
    table: impl FnOnce() -> String,
    started: std::time::Instant,
) -> Result<()> {
    use std::fmt::Write as _;
    use std::io::Write as _;
    for (name, bytes) in files {
        export::write_file(dir, name, bytes)?;
    }
    let text = if json {
        let mut text = serde_json::to_string_pretty(output)?;
        text.push('\n');
        text
    } else if quiet {
        return Ok(());
    } else {
        let mut text = table();
        let _ = writeln!(
            text,
            "wrote {}/{{{}}} in {:.1} s",
            dir.display(),
            files.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", "),
            started.elapsed().as_secs_f64()
        );
        text
    };
    std::io::stdout().write_all(text.as_bytes())?;
    Ok(())
}
