//! The `trialsim` binary: parse, dispatch, print the error chain.

use std::process::ExitCode;

use clap::Parser;
use trialsim::cli::Cli;
use trialsim::engine::shard::InputError;
use trialsim::scenario::ScenarioError;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match trialsim::app::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            if e.downcast_ref::<ScenarioError>().is_some()
                || e.downcast_ref::<InputError>().is_some()
            {
                ExitCode::from(2)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}
