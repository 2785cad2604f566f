//! `cargo xtask upstream [<file>…]`: compares our operations with
//! Dotdigital's published description of them and marks every difference as
//! listed or not in `openapi/deviations.md`.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use openapi_change_classifier::format::cell;
use openapi_change_classifier::{Difference, Model, compare, model_of};

use crate::Failure;

/// The deviations file, relative to the workspace root.
pub const DEVIATIONS_PATH: &str = "openapi/deviations.md";

/// Where CI keeps Dotdigital's files, relative to the workspace root.
pub const UPSTREAM_DIR: &str = "../shared/upstream";

/// The published files `cargo xtask upstream` reads when given none.
pub const UPSTREAM_FILES: [&str; 2] = [
    "dotdigital-contacts-service.json",
    "dotdigital-v2-api-swagger.json",
];

/// One row of the deviations table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deviation {
    /// `D01`, …
    pub id: String,
    /// Pointer patterns (`*` matches anything) of the differences it covers.
    pub covers: Vec<String>,
}

/// Reads the deviation ids and the pointers each covers from the markdown
/// table (the last column, patterns in backticks).
pub fn parse_deviations(markdown: &str) -> Result<Vec<Deviation>, Failure> {
    let mut found = Vec::new();
    for line in markdown.lines() {
        let cells: Vec<&str> = line
            .trim()
            .trim_matches('|')
            .split('|')
            .map(str::trim)
            .collect();
        let Some(id) = cells.first().filter(|id| is_deviation_id(id)) else {
            continue;
        };
        let Some(covers) = cells.last().filter(|_| cells.len() > 2) else {
            return Err(Failure::new(format!(
                "{DEVIATIONS_PATH}: row {id} has no covers column"
            )));
        };
        let covers: Vec<String> = covers
            .split('`')
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .collect();
        found.push(Deviation {
            id: (*id).to_owned(),
            covers,
        });
    }
    if found.is_empty() {
        return Err(Failure::new(format!(
            "{DEVIATIONS_PATH}: no deviation rows (| D01 | …)"
        )));
    }
    Ok(found)
}

fn is_deviation_id(cell: &str) -> bool {
    cell.len() > 1 && cell.starts_with('D') && cell[1..].chars().all(|c| c.is_ascii_digit())
}

/// Whether `pattern` (with `*` for any run of characters) matches `text`.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// The upstream files to read: the ones given, or the published files in
/// `../shared/upstream/` when it exists. `None`: nothing to compare with.
pub fn files(root: &Path, given: &[&str]) -> Option<Vec<PathBuf>> {
    if !given.is_empty() {
        return Some(given.iter().map(PathBuf::from).collect());
    }
    let dir = root.join(UPSTREAM_DIR);
    dir.is_dir()
        .then(|| UPSTREAM_FILES.iter().map(|f| dir.join(f)).collect())
}

/// What `cargo xtask upstream` says when it has nothing to compare with:
/// why, and how to give it Dotdigital's files.
pub fn skipped() -> String {
    format!(
        "skipped: {UPSTREAM_DIR} not found. Give Dotdigital's published files instead:\n  \
         cargo xtask upstream path/to/{} path/to/{}\n\
         (or put them in {UPSTREAM_DIR}/ beside this repository)",
        UPSTREAM_FILES[0], UPSTREAM_FILES[1]
    )
}

/// One difference with the deviations that cover it (none: unlisted).
struct Row<'a> {
    file: String,
    difference: Difference,
    listed: Vec<&'a str>,
}

/// `cargo xtask upstream`: the report, and whether every difference is listed.
pub fn run(root: &Path, files: &[PathBuf]) -> Result<(String, bool), Failure> {
    let ours = model_of(dotdigital_spec::SPEC_PATH, &crate::read_spec(root)?)?;
    let deviations_text = std::fs::read_to_string(root.join(DEVIATIONS_PATH))
        .map_err(|e| Failure::new(format!("cannot read {DEVIATIONS_PATH}: {e}")))?;
    let deviations = parse_deviations(&deviations_text)?;
    let mut out = String::new();
    let mut rows = Vec::new();
    let mut compared_all = Vec::new();
    for file in files {
        let shown = file
            .strip_prefix(root)
            .unwrap_or(file)
            .display()
            .to_string();
        let (compared, differences) = compare_file(file, &ours)?;
        let _ = writeln!(
            out,
            "{shown} ({}): {} difference(s)\n",
            compared.join(", "),
            differences.len()
        );
        compared_all.extend(compared);
        let file_rows: Vec<Row> = differences
            .into_iter()
            .map(|difference| Row {
                listed: covering(&deviations, &difference.pointer),
                file: shown.clone(),
                difference,
            })
            .collect();
        let listed: Vec<&Row> = file_rows.iter().filter(|r| !r.listed.is_empty()).collect();
        table(&mut out, &listed, false);
        rows.extend(file_rows);
    }
    stale_deviations(&mut out, &deviations, &rows, &compared_all);
    let unlisted: Vec<&Row> = rows.iter().filter(|r| r.listed.is_empty()).collect();
    if unlisted.is_empty() {
        let _ = writeln!(out, "ok: every difference is listed in {DEVIATIONS_PATH}");
    } else {
        let _ = writeln!(
            out,
            "UNLISTED differences (in no row of {DEVIATIONS_PATH}):\n"
        );
        table(&mut out, &unlisted, true);
        let _ = writeln!(
            out,
            "error: {} difference(s) not listed in {DEVIATIONS_PATH}: fix the spec, or add a \
             row with the reason and the pointer it covers (last column)",
            unlisted.len()
        );
    }
    Ok((out, unlisted.is_empty()))
}

/// The operations of ours one published file describes, and the differences.
fn compare_file(file: &Path, ours: &Model) -> Result<(Vec<String>, Vec<Difference>), Failure> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| Failure::new(format!("cannot read {}: {e}", file.display())))?;
    let theirs = model_of(&file.display().to_string(), &text)?;
    let (compared, differences) = compare(&theirs, ours);
    if compared.is_empty() {
        let ours: Vec<&str> = ours.operations.keys().map(String::as_str).collect();
        return Err(Failure::new(format!(
            "{} describes none of our operations ({})",
            file.display(),
            ours.join(", ")
        )));
    }
    Ok((compared, differences))
}

/// The ids of the deviations whose patterns match `pointer`.
fn covering<'a>(deviations: &'a [Deviation], pointer: &str) -> Vec<&'a str> {
    deviations
        .iter()
        .filter(|dev| dev.covers.iter().any(|p| glob_match(p, pointer)))
        .map(|dev| dev.id.as_str())
        .collect()
}

/// The rows as a markdown table (with the file they come from, for the
/// unlisted ones gathered from every file).
fn table(out: &mut String, rows: &[&Row], with_file: bool) {
    if rows.is_empty() {
        return;
    }
    let file_column = if with_file { " file |" } else { "" };
    let file_rule = if with_file { "---|" } else { "" };
    let _ = writeln!(
        out,
        "| deviation |{file_column} kind | where | upstream | ours |\n|---|{file_rule}---|---|---|---|"
    );
    for row in rows {
        let listed = if row.listed.is_empty() {
            "UNLISTED".to_owned()
        } else {
            row.listed.join(", ")
        };
        let file = if with_file {
            format!(" {} |", row.file)
        } else {
            String::new()
        };
        let d = &row.difference;
        let _ = writeln!(
            out,
            "| {listed} |{file} {} | `{}` | {} | {} |",
            d.kind,
            d.pointer,
            cell(&d.upstream, "-"),
            cell(&d.ours, "-")
        );
    }
    out.push('\n');
}

/// A note for each deviation about a compared operation that covers nothing.
fn stale_deviations(out: &mut String, deviations: &[Deviation], rows: &[Row], compared: &[String]) {
    let used: BTreeSet<&str> = rows.iter().flat_map(|r| r.listed.iter().copied()).collect();
    for deviation in deviations {
        let about_compared = deviation.covers.iter().any(|p| {
            compared
                .iter()
                .any(|op| p.starts_with(&format!("{op}/")) || p.starts_with(&format!("{op}#")))
        });
        if about_compared && !used.contains(deviation.id.as_str()) {
            let _ = writeln!(
                out,
                "note: {} in {DEVIATIONS_PATH} covers no difference any more; update or remove it",
                deviation.id
            );
        }
    }
}
#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "a test fails by panicking")]

    use super::*;

    #[test]
    fn glob_patterns_match_whole_pointers() {
        assert!(glob_match("a/*/c#x", "a/b/d/c#x"));
        assert!(glob_match("a*", "a"));
        assert!(glob_match("*#enum/X", "op/request/e#enum/X"));
        assert!(!glob_match("a/*/c#x", "a/b/c#xy"));
        assert!(!glob_match("a/b", "a/b/c"));
        assert!(glob_match("a/b", "a/b"));
    }

    #[test]
    fn deviation_rows_carry_their_pointers() {
        let table = "| id | where | why | covers |\n|---|---|---|---|\n\
                     | D01 | x | because | `op/a#pattern` `op/b*` |\n\
                     | D02 | y | same meaning | — |\n";
        assert_eq!(
            parse_deviations(table).unwrap(),
            [
                Deviation {
                    id: "D01".to_owned(),
                    covers: vec!["op/a#pattern".to_owned(), "op/b*".to_owned()]
                },
                Deviation {
                    id: "D02".to_owned(),
                    covers: vec![]
                },
            ]
        );
    }
}
