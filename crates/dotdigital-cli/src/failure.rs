//! How a command ends: the documented exit codes, and error messages with
//! their whole cause chain.

use std::process::ExitCode;

use dotdigital_contacts::{Delivery, Error};

/// The exit codes, by class (the README lists them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: everything was done.
    Done,
    /// 1: the request, or some rows of a sync, failed.
    Failed,
    /// 2: the command line or its input is wrong (clap uses 2 as well).
    Usage,
    /// 3: credentials or configuration: missing, refused (401/403) or invalid.
    Configuration,
    /// 4: the service could not be reached, or kept answering 5xx/429.
    Unreachable,
    /// 130: interrupted (128 + SIGINT, as shells report it).
    Interrupted,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        ExitCode::from(match exit {
            Exit::Done => 0,
            Exit::Failed => 1,
            Exit::Usage => 2,
            Exit::Configuration => 3,
            Exit::Unreachable => 4,
            Exit::Interrupted => 130,
        })
    }
}

impl Exit {
    /// The class of a wrapper error.
    pub fn of(error: &Error) -> Exit {
        match error {
            Error::Validation { .. } => Exit::Usage,
            Error::Configuration { .. } | Error::Unauthorized { .. } | Error::Forbidden { .. } => {
                Exit::Configuration
            }
            Error::Transport { .. } | Error::RateLimited { .. } => Exit::Unreachable,
            other if other.status().is_some_and(|s| s.is_server_error()) => Exit::Unreachable,
            _ => Exit::Failed,
        }
    }

    /// Whether a sync should stop at this error rather than fail row after
    /// row the same way: credentials refused, or no connection at all.
    pub fn stops_a_sync(error: &Error) -> Option<Exit> {
        match error {
            Error::Unauthorized { .. } | Error::Forbidden { .. } => Some(Exit::Configuration),
            Error::Transport { .. } if error.delivery() == Delivery::NotSent => {
                Some(Exit::Unreachable)
            }
            _ => None,
        }
    }
}

/// A command that could not finish: what to print, and how to exit.
#[derive(Debug)]
pub struct Failure {
    pub exit: Exit,
    pub message: String,
}

impl Failure {
    pub fn new(exit: Exit, message: impl Into<String>) -> Self {
        Failure {
            exit,
            message: message.into(),
        }
    }

    /// A usage error: bad arguments or input.
    pub fn usage(message: impl Into<String>) -> Self {
        Failure::new(Exit::Usage, message)
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        Failure::new(Exit::of(&error), with_causes(&error))
    }
}

/// An error's message followed by its causes, one per line, skipping a cause
/// whose text the message already contains.
pub fn with_causes(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let line = cause.to_string();
        if !text.contains(&line) {
            text.push_str("\n  caused by: ");
            text.push_str(&line);
        }
        source = cause.source();
    }
    text
}
