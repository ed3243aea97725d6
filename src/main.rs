//! The `trialsim` binary: parse, dispatch, print the error chain.

use std::process::ExitCode;

use clap::Parser;
use trialsim::cli::Cli;

fn main() -> ExitCode {
    match trialsim::app::run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            e.exit_code()
        }
    }
}
