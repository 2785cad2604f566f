//! What the user reads: log lines and the progress bar share stderr without
//! drawing through each other, colours only on a terminal (and never with
//! `NO_COLOR`), a closed stdout (`dotdigital … | head -1`) ends quietly, and
//! control characters from the server or the input never reach it raw.

use std::borrow::Cow;
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
    /// nowhere left to say so). Control characters are escaped, except the
    /// line breaks of a multi-line message.
    pub fn line(&self, text: &str) {
        self.write_above(format!("{}\n", escape_keeping_lines(text)).as_bytes());
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
/// Control characters are escaped, except line breaks.
pub fn print(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{}", escape_keeping_lines(text)).and_then(|()| out.flush());
}

/// How many characters of a text from outside (an error the server sent, a
/// cell) are printed; the report keeps the whole error.
pub const QUOTED_CHARS: usize = 300;

/// Every control character (C0, DEL, C1, line breaks too) as a visible
/// escape (`\x1b`, `\u{9b}`): a server or a file cannot retitle, clear or
/// forge lines on the user's terminal or log.
pub fn escape(text: &str) -> Cow<'_, str> {
    dotdigital_contacts::text::escape_controls(text)
}

fn escape_keeping_lines(text: &str) -> Cow<'_, str> {
    dotdigital_contacts::text::escape_controls_keeping_lines(text)
}

/// `text` cut to `max` characters, saying so when it was.
pub fn cut(text: &str, max: usize) -> Cow<'_, str> {
    match text.char_indices().nth(max) {
        None => Cow::Borrowed(text),
        Some((end, _)) => Cow::Owned(format!(
            "{}... (cut at {max} of {} characters)",
            &text[..end],
            text.chars().count()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_and_long_texts_cut() {
        let hostile = "502 \u{1b}]0;owned\u{7}\u{1b}[2J\r\u{9b}31m\nnext";
        assert_eq!(
            escape(hostile),
            "502 \\x1b]0;owned\\x07\\x1b[2J\\r\\u{9b}31m\\nnext"
        );
        assert_eq!(escape_keeping_lines("a\nb\u{1b}"), "a\nb\\x1b");
        assert!(matches!(escape("plain"), Cow::Borrowed(_)));
        assert_eq!(cut("abcdef", 3), "abc... (cut at 3 of 6 characters)");
        assert_eq!(cut("abc", 3), "abc");
    }
}
