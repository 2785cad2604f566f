//! `cargo xtask upstream [<file>…]`: compares our operations with
//! Dotdigital's published description of them and marks every difference as
//! listed or not in `openapi/deviations.md`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::Failure;
use crate::model::{Additional, Model, Node, Operation};

/// The deviations file, relative to the workspace root.
pub const DEVIATIONS_PATH: &str = "openapi/deviations.md";

/// Where CI keeps Dotdigital's files, relative to the workspace root.
pub const UPSTREAM_DIR: &str = "../shared/upstream";

/// The published files `cargo xtask upstream` reads when given none.
pub const UPSTREAM_FILES: [&str; 2] = [
    "dotdigital-contacts-service.json",
    "dotdigital-v2-api-swagger.json",
];

/// One difference between upstream and our spec.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Difference {
    /// `operationId/node-key#attribute`, the thing deviations cover.
    pub pointer: String,
    /// What differs: `only upstream`, `only ours`, `type`, `enum`, a limit, …
    pub kind: String,
    /// The upstream value (`-` when absent).
    pub upstream: String,
    /// Our value (`-` when absent).
    pub ours: String,
}

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

/// Every difference between the upstream document and ours, for each of our
/// operations the upstream document describes (same method and path).
/// Returns the operationIds compared and the differences.
pub fn compare(upstream: &Model, ours: &Model) -> (Vec<String>, Vec<Difference>) {
    let mut compared = Vec::new();
    let mut found = Vec::new();
    for (key, our_op) in &ours.operations {
        if let Some(their_op) = upstream.operations.get(key) {
            compared.push(our_op.operation_id.clone());
            compare_operation(their_op, our_op, &mut found);
        }
    }
    found.sort();
    (compared, found)
}

fn compare_operation(theirs: &Operation, ours: &Operation, found: &mut Vec<Difference>) {
    let op = &ours.operation_id;
    if theirs.deprecated != ours.deprecated {
        found.push(difference(
            format!("{op}#deprecated"),
            "deprecated",
            theirs.deprecated.to_string(),
            ours.deprecated.to_string(),
        ));
    }
    // Below a node only one side has, or whose type differs, report the node only.
    let mut covered: BTreeSet<&str> = BTreeSet::new();
    let keys: BTreeSet<&String> = theirs.nodes.keys().chain(ours.nodes.keys()).collect();
    for at in keys {
        if covered
            .iter()
            .any(|p| at.starts_with(p) && at[p.len()..].starts_with('/'))
        {
            continue;
        }
        let pointer = format!("{op}/{at}");
        match (theirs.nodes.get(at), ours.nodes.get(at)) {
            (Some(t), None) => {
                covered.insert(at);
                found.push(difference(
                    pointer,
                    "only upstream",
                    t.describe(),
                    "-".to_owned(),
                ));
            }
            (None, Some(o)) => {
                covered.insert(at);
                found.push(difference(
                    pointer,
                    "only ours",
                    "-".to_owned(),
                    o.describe(),
                ));
            }
            (Some(t), Some(o)) => {
                if t.type_text() != o.type_text() {
                    covered.insert(at);
                }
                compare_node(t, o, &pointer, found);
            }
            (None, None) => {}
        }
    }
}

fn compare_node(theirs: &Node, ours: &Node, pointer: &str, found: &mut Vec<Difference>) {
    let mut push = |attribute: &str, t: String, o: String| {
        if t != o {
            let kind = attribute.split('/').next().unwrap_or(attribute).to_owned();
            found.push(Difference {
                pointer: format!("{pointer}#{attribute}"),
                kind,
                upstream: t,
                ours: o,
            });
        }
    };
    push("type", theirs.type_text(), ours.type_text());
    push("media", opt(&theirs.media), opt(&ours.media));
    push(
        "required",
        theirs.required.to_string(),
        ours.required.to_string(),
    );
    push(
        "nullable",
        theirs.nullable.to_string(),
        ours.nullable.to_string(),
    );
    push("default", opt(&theirs.default), opt(&ours.default));
    push(
        "additionalProperties",
        additional(theirs.additional),
        additional(ours.additional),
    );
    let limits: BTreeSet<&String> = theirs.limits.keys().chain(ours.limits.keys()).collect();
    for limit in limits {
        push(
            limit,
            opt(&theirs.limits.get(limit).cloned()),
            opt(&ours.limits.get(limit).cloned()),
        );
    }
    match (&theirs.enum_values, &ours.enum_values) {
        (Some(t), Some(o)) => {
            let values: BTreeSet<&String> = t.iter().chain(o).collect();
            for value in values {
                let present =
                    |list: &Vec<String>| if list.contains(value) { "present" } else { "-" };
                let name = value.trim_matches('"');
                push(
                    &format!("enum/{name}"),
                    present(t).to_owned(),
                    present(o).to_owned(),
                );
            }
        }
        (t, o) => push(
            "enum",
            t.as_ref().map_or_else(|| "-".to_owned(), |v| v.join(", ")),
            o.as_ref().map_or_else(|| "-".to_owned(), |v| v.join(", ")),
        ),
    }
}

fn difference(pointer: String, kind: &str, upstream: String, ours: String) -> Difference {
    Difference {
        pointer,
        kind: kind.to_owned(),
        upstream,
        ours,
    }
}

fn opt(value: &Option<String>) -> String {
    value.clone().unwrap_or_else(|| "-".to_owned())
}

fn additional(value: Option<Additional>) -> String {
    match value {
        Some(Additional::Closed) => "false",
        Some(Additional::Typed) => "schema",
        Some(Additional::Open) => "open",
        None => "-",
    }
    .to_owned()
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

/// `cargo xtask upstream`: the report, and whether every difference is listed.
pub fn run(root: &Path, files: &[PathBuf]) -> Result<(String, bool), Failure> {
    let ours_text = crate::read_spec(root)?;
    let ours = crate::diff::model_of(dotdigital_spec::SPEC_PATH, &ours_text)?;
    let deviations_text = std::fs::read_to_string(root.join(DEVIATIONS_PATH))
        .map_err(|e| Failure::new(format!("cannot read {DEVIATIONS_PATH}: {e}")))?;
    let deviations = parse_deviations(&deviations_text)?;
    let mut out = String::new();
    let mut unlisted = 0;
    let mut used: BTreeMap<&str, usize> = BTreeMap::new();
    let mut compared_all = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(file)
            .map_err(|e| Failure::new(format!("cannot read {}: {e}", file.display())))?;
        let theirs = crate::diff::model_of(&file.display().to_string(), &text)?;
        let (compared, differences) = compare(&theirs, &ours);
        if compared.is_empty() {
            return Err(Failure::new(format!(
                "{} describes none of our operations ({})",
                file.display(),
                ours.operations
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        let _ = writeln!(
            out,
            "{} ({}): {} difference(s)\n",
            file.strip_prefix(root).unwrap_or(file).display(),
            compared.join(", "),
            differences.len()
        );
        compared_all.extend(compared);
        if differences.is_empty() {
            continue;
        }
        out.push_str("| deviation | kind | where | upstream | ours |\n|---|---|---|---|---|\n");
        for d in &differences {
            let listed: Vec<&str> = deviations
                .iter()
                .filter(|dev| dev.covers.iter().any(|p| glob_match(p, &d.pointer)))
                .map(|dev| dev.id.as_str())
                .collect();
            for id in &listed {
                *used.entry(id).or_default() += 1;
            }
            let listed = if listed.is_empty() {
                unlisted += 1;
                "UNLISTED".to_owned()
            } else {
                listed.join(", ")
            };
            let _ = writeln!(
                out,
                "| {listed} | {} | `{}` | {} | {} |",
                d.kind,
                d.pointer,
                cell(&d.upstream),
                cell(&d.ours)
            );
        }
        out.push('\n');
    }
    for deviation in &deviations {
        let about_compared = deviation.covers.iter().any(|p| {
            compared_all
                .iter()
                .any(|op| p.starts_with(&format!("{op}/")) || p.starts_with(&format!("{op}#")))
        });
        if about_compared && !used.contains_key(deviation.id.as_str()) {
            let _ = writeln!(
                out,
                "note: {} in {DEVIATIONS_PATH} covers no difference any more; update or remove it",
                deviation.id
            );
        }
    }
    if unlisted == 0 {
        let _ = writeln!(out, "ok: every difference is listed in {DEVIATIONS_PATH}");
    } else {
        let _ = writeln!(
            out,
            "error: {unlisted} difference(s) not listed in {DEVIATIONS_PATH}: fix the spec, or add a \
             row with the reason and the pointer it covers (last column)"
        );
    }
    Ok((out, unlisted == 0))
}

fn cell(text: &str) -> String {
    if text == "-" {
        "-".to_owned()
    } else {
        format!("`{}`", text.replace('|', "\\|"))
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
