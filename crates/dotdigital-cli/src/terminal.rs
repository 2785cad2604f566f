//! What the user reads: log lines and the progress bar share stderr without
//! drawing through each other, colours only on a terminal (and never with
//! `NO_COLOR`), and a closed stdout (`dotdigital … | head -1`) ends quietly.

use std::io::{IsTerminal, Write};
use std::sync::{Arc, Mutex, PoisonError};

use indicatif::ProgressBar;

/// stderr, shared by the log and the progress bar.
#[derive(Debug, Clone, Default)]
pub struct Stderr {
    bar: Arc<Mutex<Option<ProgressBar>>>,
}

impl Stderr {
    /// Whether stderr is a terminal: colours, prompts and a progress bar.
    pub fn is_terminal() -> bool {
        std::io::stderr().is_terminal()
    }

    /// Whether log lines may carry colour codes.
    pub fn colours() -> bool {
        Self::is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
    }

    /// Log lines go above `bar` while it is shown.
    pub fn show(&self, bar: ProgressBar) {
        *self.bar.lock().unwrap_or_else(PoisonError::into_inner) = Some(bar);
    }

    /// Clears the bar; log lines go straight to stderr again.
    pub fn hide(&self) {
        if let Some(bar) = self
            .bar
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
        {
            bar.finish_and_clear();
        }
    }

    /// Prints a line above the bar (an unwritable stderr is ignored: there is
    /// nowhere left to say so).
    pub fn line(&self, text: &str) {
        self.write_above(format!("{text}\n").as_bytes());
    }

    fn write_above(&self, bytes: &[u8]) {
        let write = || {
            let _ = std::io::stderr().lock().write_all(bytes);
        };
        match &*self.bar.lock().unwrap_or_else(PoisonError::into_inner) {
            Some(bar) => bar.suspend(write),
            None => write(),
        }
    }
}

/// `tracing` writes each event with one call; it lands above the bar.
impl Write for Stderr {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.write_above(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Stderr {
    type Writer = Stderr;
    fn make_writer(&'a self) -> Stderr {
        self.clone()
    }
}

/// Prints to stdout; a reader that went away (a closed pipe) is not an
/// error worth a word.
pub fn print(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{text}").and_then(|()| out.flush());
}
