//! The crate's one error type: every way a command can fail, and the exit
//! code each gives (2 for bad input, 130 for Ctrl-C, 1 for a run that failed).

use std::process::ExitCode;

use crate::scenario::ScenarioError;

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A scenario file that cannot be read or is not valid.
    #[error(transparent)]
    Scenario(#[from] ScenarioError),
    /// Other bad input: a partial summary, a saved run, a merge that does
    /// not fit together. The message names the file and what is wrong.
    #[error("{0}")]
    Input(String),
    /// The run was stopped by Ctrl-C; the message says what was saved.
    #[error("{0}")]
    Interrupted(String),
    /// The run itself failed (writing files, starting threads, drawing).
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

/// A result whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Bad input, with a message that names the file and says what to do.
    pub fn input(message: impl Into<String>) -> Error {
        Error::Input(message.into())
    }

    /// The process exit code: 2 for bad input, 130 for an interrupted run
    /// (128 + SIGINT, as shells report Ctrl-C), 1 for a failed run.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Error::Scenario(_) | Error::Input(_) => ExitCode::from(2),
            Error::Interrupted(_) => ExitCode::from(130),
            Error::Failed(_) => ExitCode::FAILURE,
        }
    }
}

impl From<serde_json::Error> for Error {
    fn from(e: serde_json::Error) -> Error {
        Error::Failed(e.into())
    }
}

impl From<std::io::Error> for Error {
    fn from(e: std::io::Error) -> Error {
        Error::Failed(e.into())
    }
}
