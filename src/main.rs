//! The `trialsim` binary: parse, dispatch, print the error chain.

use std::process::ExitCode;

use clap::Parser;
use trialsim::cli::Cli;

fn main() -> ExitCode {
    // Stop quietly when stdout is closed early (`trialsim check ... | head`),
    // as other command-line tools do, rather than panic inside println!.
    #[cfg(unix)]
    // SAFETY: restoring the default action of one signal before any thread
    // starts; no handler of ours is replaced.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    match trialsim::app::run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            e.exit_code()
        }
    }
}
