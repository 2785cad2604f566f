//! Every attribute that differs between two models, with no verdict: for
//! checking a hand-written description of an API against a published one
//! (a diff says what a change does to clients; this says what differs).

use std::collections::BTreeSet;

use crate::model::{Additional, Model, Node, Operation};

/// One difference between a reference document and ours.
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
