//! Errors and exit codes: every command reports failure through `Error`, and
//! this is the one place that maps outcomes to the documented exit codes.
use std::process::ExitCode;

/// The documented exit codes, the same for every command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: success.
    Success,
    /// 1: runtime error (an I/O error, an unreadable kernel interface, …).
    Failure,
    /// 2: usage error (bad arguments).
    Usage,
    /// 3: the command worked, but an action is still needed (for free-port:
    /// holders remain).
    ActionNeeded,
}

impl Exit {
    pub fn code(self) -> u8 {
        match self {
            Exit::Success => 0,
            Exit::Failure => 1,
            Exit::Usage => 2,
            Exit::ActionNeeded => 3,
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> Self {
        ExitCode::from(exit.code())
    }
}

/// A failure a command cannot recover from.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The invocation makes no sense in this context (exit 2).
    #[error("{0}")]
    Usage(String),
    /// Anything else (exit 1), with its chain of causes.
    #[error(transparent)]
    Runtime(#[from] anyhow::Error),
}

impl Error {
    pub fn exit(&self) -> Exit {
        match self {
            Error::Usage(_) => Exit::Usage,
            Error::Runtime(_) => Exit::Failure,
        }
    }
}

impl From<std::io::Error> for Error {
    fn from(err: std::io::Error) -> Self {
        Error::Runtime(err.into())
    }
}
