//! What each subcommand does, from parsed arguments to files and stdout: one
//! file per subcommand; this one only dispatches.

pub mod bench;
mod check;
mod info;
mod merge;
mod progress;
mod run;

use anyhow::Result;

use crate::cli::{Cli, Command};
use crate::evidence;
use crate::export;

pub use run::thread_pool;

/// Runs a parsed command line.
///
/// # Errors
/// A [`crate::scenario::ScenarioError`] or [`crate::engine::shard::InputError`] for
/// bad input (the binary exits with 2), any other error for a failed run
/// (exit 1).
pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Check { files } => check::run(&files),
        Command::Run(args) => run::run(&args),
        Command::Merge(args) => merge::run(&args),
        Command::Bench(args) => bench::run(&args),
        Command::Evidence { json } => {
            info::print(json, evidence::rows(), export::evidence::evidence)
        }
        Command::Cases { json } => info::print(json, evidence::cases(), export::evidence::cases),
    }
}
