//! The output formats of a diff: a markdown table for people, JSON for tools,
//! GitHub workflow annotations for a CI job to show on the changed line.

use std::fmt::Write as _;

use serde_json::json;

use crate::diff::Change;
use crate::lines::LineIndex;
use crate::rules::Level;
use crate::semver::{count, rust_semver, semver_hint};

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A markdown table, then the semver hint.
    Markdown,
    /// One JSON object: the changes, the counts by level, the semver hint.
    Json,
    /// One `::error`/`::warning`/`::notice` workflow command per change, then
    /// the semver hint.
    Github,
}

impl Format {
    /// `markdown`, `json` or `github`.
    pub fn parse(name: &str) -> Option<Format> {
        match name {
            "markdown" => Some(Format::Markdown),
            "json" => Some(Format::Json),
            "github" => Some(Format::Github),
            _ => None,
        }
    }
}

/// The file annotations point at: the new side's path and its lines.
#[derive(Debug, Clone, Default)]
pub struct Annotated {
    /// The path, as the CI job sees it.
    pub file: String,
    /// The lines of its text, by pointer.
    pub lines: LineIndex,
}

/// The changes in `format`; `file` is the new side, for annotations.
pub fn render(changes: &[Change], format: Format, file: &Annotated) -> String {
    match format {
        Format::Markdown => markdown(changes),
        Format::Json => json(changes),
        Format::Github => github(changes, file),
    }
}

/// The changes as a markdown table, followed by the semver hint.
pub fn markdown(changes: &[Change]) -> String {
    let mut out = String::new();
    if changes.is_empty() {
        out.push_str("no change to the operations, parameters or schemas\n");
    } else {
        out.push_str("| level | rule | where | old | new |\n|---|---|---|---|---|\n");
        for c in changes {
            let _ = writeln!(
                out,
                "| {} | {} | `{}` | {} | {} |",
                c.level.label(),
                c.id,
                c.at(),
                cell(&c.old, ""),
                cell(&c.new, "")
            );
        }
        out.push('\n');
    }
    out.push_str(&semver_hint(changes));
    out.push('\n');
    out
}

/// A value in a markdown table cell: in backticks, pipes escaped; `empty`
/// when there is none.
pub fn cell(text: &str, empty: &str) -> String {
    if text.is_empty() || text == empty {
        empty.to_owned()
    } else {
        format!("`{}`", text.replace('|', "\\|"))
    }
}

/// The changes as one JSON document.
pub fn json(changes: &[Change]) -> String {
    let items: Vec<serde_json::Value> = changes
        .iter()
        .map(|c| {
            json!({
                "id": c.id,
                "level": c.level.label(),
                "operation": c.operation,
                "node": c.node,
                "old": c.old,
                "new": c.new,
                "oldPointer": c.old_pointer,
                "newPointer": c.new_pointer,
                "breaksExhaustiveMatches": c.breaks_exhaustive_matches(),
            })
        })
        .collect();
    let document = json!({
        "changes": items,
        "counts": {
            "error": count(changes, Level::Error),
            "warning": count(changes, Level::Warning),
            "info": count(changes, Level::Info),
        },
        "rustSemver": rust_semver(changes).label(),
        "semverHint": semver_hint(changes),
    });
    format!("{document:#}\n")
}

/// The changes as GitHub workflow commands, each annotating the line of
/// `file` where it is (for a removal, the nearest enclosing node's line).
pub fn github(changes: &[Change], file: &Annotated) -> String {
    let mut out = String::new();
    for c in changes {
        let command = match c.level {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Info => "notice",
        };
        let pointer = if c.new_pointer.is_empty() {
            &c.old_pointer
        } else {
            &c.new_pointer
        };
        let shown = |value: &str| if value.is_empty() { "-" } else { value }.to_owned();
        let values = if c.old.is_empty() && c.new.is_empty() {
            String::new()
        } else {
            format!(": {} -> {}", shown(&c.old), shown(&c.new))
        };
        let message = format!("{}{values} ({pointer})", c.at());
        let line = if c.new_pointer.is_empty() {
            None
        } else {
            file.lines.line(&c.new_pointer)
        };
        let line = line.map(|l| format!(",line={l}")).unwrap_or_default();
        let _ = writeln!(
            out,
            "::{command} file={}{line},title={}::{}",
            property(&file.file),
            property(&c.id),
            data(&message)
        );
    }
    out.push_str(&semver_hint(changes));
    out.push('\n');
    out
}

/// Escapes a workflow command's message.
fn data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow command's property value.
fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}
