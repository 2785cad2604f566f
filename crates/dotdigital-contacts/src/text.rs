//! Text from outside (a server's answer, a user's file) made safe to print:
//! control characters escaped, so it can never move a terminal's cursor,
//! clear it or retitle it. The crate's error messages use it, and so can a
//! program that prints what a row or an answer held.

use std::borrow::Cow;
use std::fmt::Write as _;

/// `text` with every control character escaped: `\n`, `\r`, `\t`, `\x1b`
/// below 0x80, `\u{9b}` above.
///
/// ```
/// use dotdigital_contacts::text::escape_controls;
/// assert_eq!(escape_controls("a\u{1b}[2Jb\n"), "a\\x1b[2Jb\\n");
/// assert_eq!(escape_controls("plain"), "plain");
/// ```
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    escape(text, false)
}

/// [`escape_controls`], keeping line breaks as they are (for text printed
/// as several lines).
///
/// ```
/// use dotdigital_contacts::text::escape_controls_keeping_lines;
/// assert_eq!(escape_controls_keeping_lines("a\u{7}\nb"), "a\\x07\nb");
/// ```
pub fn escape_controls_keeping_lines(text: &str) -> Cow<'_, str> {
    escape(text, true)
}

fn escape(text: &str, keep_lines: bool) -> Cow<'_, str> {
    let raw = |c: char| c.is_control() && !(keep_lines && c == '\n');
    if !text.chars().any(raw) {
        return Cow::Borrowed(text);
    }
    let mut escaped = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            c if !raw(c) => escaped.push(c),
            '\n' => escaped.push_str("\\n"),
            '\r' => escaped.push_str("\\r"),
            '\t' => escaped.push_str("\\t"),
            c if u32::from(c) < 0x80 => {
                let _ = write!(escaped, "\\x{:02x}", u32::from(c));
            }
            c => {
                let _ = write!(escaped, "\\u{{{:x}}}", u32::from(c));
            }
        }
    }
    Cow::Owned(escaped)
}
