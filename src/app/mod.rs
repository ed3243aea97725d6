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
