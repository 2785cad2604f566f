//! `cargo xtask diff <old> <new>`: every change between two specs, classified
//! for the users of the generated client and the wrapper, with a semver hint.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;

use crate::Failure;
use crate::model::{Additional, Model, Node, Side};

/// How a change affects client code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Class {
    /// Code or requests that worked before may stop working.
    Breaking,
    /// Breaks only a `match` over a response enum without a wildcard arm
    /// (the generated enums are exhaustive).
    ExhaustiveMatch,
    /// Existing code and requests keep working.
    NonBreaking,
}

impl Class {
    fn label(self) -> &'static str {
        match self {
            Class::Breaking => "breaking",
            Class::ExhaustiveMatch => "breaking for exhaustive matches",
            Class::NonBreaking => "non-breaking",
        }
    }
}

/// One classified change.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Change {
    /// How it affects client code.
    pub class: Class,
    /// What changed, e.g. `removed enum value`.
    pub kind: &'static str,
    /// Where: `operationId` or `operationId node-key`.
    pub at: String,
    /// The old value (empty when not applicable).
    pub old: String,
    /// The new value (empty when not applicable).
    pub new: String,
}

/// Reads one side of a diff: a path, or `git:<rev>` for the spec at that
/// revision of the repository at `root`.
pub fn read_side(root: &Path, side: &str) -> Result<String, Failure> {
    if let Some(rev) = side.strip_prefix("git:") {
        let object = format!("{rev}:{}", dotdigital_spec::SPEC_PATH);
        let output = Command::new("git")
            .arg("-C")
            .arg(root)
            .args(["show", &object])
            .output()
            .map_err(|e| Failure::new(format!("cannot run git: {e}")))?;
        if !output.status.success() {
            return Err(Failure::new(format!(
                "git show {object} failed: {}",
                String::from_utf8_lossy(&output.stderr).trim()
            )));
        }
        String::from_utf8(output.stdout)
            .map_err(|e| Failure::new(format!("{object} is not UTF-8: {e}")))
    } else {
        std::fs::read_to_string(side).map_err(|e| Failure::new(format!("cannot read {side}: {e}")))
    }
}

/// Parses spec text into the normalised model.
pub fn model_of(name: &str, text: &str) -> Result<Model, Failure> {
    let spec = dotdigital_spec::to_json(text).map_err(|e| Failure::new(format!("{name}: {e}")))?;
    Ok(Model::from_spec(&spec))
}

/// Every change from `old` to `new`, sorted by class, then place.
pub fn diff(old: &Model, new: &Model) -> Vec<Change> {
    let mut changes = Vec::new();
    for (key, old_op) in &old.operations {
        let Some(new_op) = new.operations.get(key) else {
            changes.push(change(
                Class::Breaking,
                "removed operation",
                key,
                &old_op.operation_id,
                "",
            ));
            continue;
        };
        let op = if new_op.operation_id.is_empty() {
            key.clone()
        } else {
            new_op.operation_id.clone()
        };
        if old_op.operation_id != new_op.operation_id {
            // The generated method is named after the operationId.
            changes.push(change(
                Class::Breaking,
                "renamed operation",
                &op,
                &old_op.operation_id,
                &new_op.operation_id,
            ));
        }
        if old_op.deprecated != new_op.deprecated {
            let kind = if new_op.deprecated {
                "deprecated operation"
            } else {
                "undeprecated operation"
            };
            changes.push(change(Class::NonBreaking, kind, &op, "", ""));
        }
        // Below a removed, added or retyped node, the children follow; report the node only.
        let mut covered: BTreeSet<&str> = BTreeSet::new();
        for (at, old_node) in &old_op.nodes {
            if is_below(at, &covered) {
                continue;
            }
            let place = format!("{op} {at}");
            match new_op.nodes.get(at) {
                None => {
                    covered.insert(at);
                    changes.push(change(
                        Class::Breaking,
                        removed_kind(at),
                        &place,
                        &old_node.describe(),
                        "",
                    ));
                }
                Some(new_node) => {
                    if old_node.type_text() != new_node.type_text() {
                        covered.insert(at);
                    }
                    compare(old_node, new_node, &place, &mut changes);
                }
            }
        }
        for (at, new_node) in &new_op.nodes {
            if old_op.nodes.contains_key(at) || is_below(at, &covered) {
                continue;
            }
            covered.insert(at);
            let place = format!("{op} {at}");
            let (class, kind) = added_kind(at, new_node);
            changes.push(change(class, kind, &place, "", &new_node.describe()));
        }
    }
    for (key, new_op) in &new.operations {
        if !old.operations.contains_key(key) {
            changes.push(change(
                Class::NonBreaking,
                "added operation",
                key,
                "",
                &new_op.operation_id,
            ));
        }
    }
    changes.sort();
    changes
}

fn change(class: Class, kind: &'static str, at: &str, old: &str, new: &str) -> Change {
    Change {
        class,
        kind,
        at: at.to_owned(),
        old: old.to_owned(),
        new: new.to_owned(),
    }
}

fn is_below(at: &str, covered: &BTreeSet<&str>) -> bool {
    covered.iter().any(|parent| {
        at.len() > parent.len() && at.starts_with(parent) && at[parent.len()..].starts_with('/')
    })
}

fn removed_kind(at: &str) -> &'static str {
    if at.starts_with("parameters/") {
        "removed parameter"
    } else if at.starts_with("headers/") {
        "removed response header"
    } else if at == "request" {
        "removed request body"
    } else if at.starts_with("responses/") && at.matches('/').count() == 1 {
        "removed response"
    } else {
        "removed property"
    }
}

fn added_kind(at: &str, node: &Node) -> (Class, &'static str) {
    if at.starts_with("parameters/") {
        if node.required {
            (Class::Breaking, "new required parameter")
        } else {
            (Class::NonBreaking, "added optional parameter")
        }
    } else if at.starts_with("headers/") {
        (Class::NonBreaking, "added response header")
    } else if at == "request" {
        if node.required {
            (Class::Breaking, "new required request body")
        } else {
            (Class::NonBreaking, "added optional request body")
        }
    } else if at.starts_with("responses/") && at.matches('/').count() == 1 {
        (Class::NonBreaking, "added response")
    } else if node.side == Side::Response {
        (Class::NonBreaking, "added response property")
    } else if node.required {
        (Class::Breaking, "new required property")
    } else {
        (Class::NonBreaking, "added optional property")
    }
}

fn compare(old: &Node, new: &Node, place: &str, changes: &mut Vec<Change>) {
    let mut push = |class, kind, old: String, new: String| {
        changes.push(change(class, kind, place, &old, &new));
    };
    if old.type_text() != new.type_text() {
        push(
            Class::Breaking,
            "changed type",
            old.type_text(),
            new.type_text(),
        );
        return;
    }
    if old.schema_name != new.schema_name {
        // The generated type is named after the schema.
        push(
            Class::Breaking,
            "renamed schema",
            old.schema_name.clone().unwrap_or_default(),
            new.schema_name.clone().unwrap_or_default(),
        );
    }
    if old.media != new.media {
        push(
            Class::Breaking,
            "changed media type",
            old.media.clone().unwrap_or_default(),
            new.media.clone().unwrap_or_default(),
        );
    }
    let sent = new.side != Side::Response;
    if old.required != new.required {
        let (class, kind) = match (sent, new.required) {
            (true, true) => (Class::Breaking, "became required"),
            (true, false) => (Class::NonBreaking, "became optional"),
            // A response property that may now be absent breaks code that relied on it.
            (false, false) => (Class::Breaking, "may now be absent"),
            (false, true) => (Class::NonBreaking, "now always present"),
        };
        push(
            class,
            kind,
            flag(old.required, "required"),
            flag(new.required, "required"),
        );
    }
    if old.nullable != new.nullable {
        let class = if sent != new.nullable {
            Class::Breaking
        } else {
            Class::NonBreaking
        };
        let kind = if new.nullable {
            "became nullable"
        } else {
            "no longer nullable"
        };
        push(
            class,
            kind,
            flag(old.nullable, "nullable"),
            flag(new.nullable, "nullable"),
        );
    }
    let old_values = old.enum_values.clone().unwrap_or_default();
    let new_values = new.enum_values.clone().unwrap_or_default();
    for value in old_values.iter().filter(|v| !new_values.contains(v)) {
        if new.enum_values.is_some() {
            push(
                Class::Breaking,
                "removed enum value",
                value.clone(),
                String::new(),
            );
        }
    }
    if old.enum_values.is_some() && new.enum_values.is_none() {
        // Sent: any value is now accepted. Read: the generated enum becomes a string.
        let class = if sent {
            Class::NonBreaking
        } else {
            Class::Breaking
        };
        push(class, "enum lifted", old_values.join(", "), String::new());
    }
    if old.enum_values.is_none() && new.enum_values.is_some() {
        push(
            Class::Breaking,
            "became an enum",
            String::new(),
            new_values.join(", "),
        );
    }
    if old.enum_values.is_some() {
        for value in new_values.iter().filter(|v| !old_values.contains(v)) {
            let (class, kind) = if sent {
                (Class::NonBreaking, "added enum value")
            } else {
                (Class::ExhaustiveMatch, "new enum value in a response")
            };
            push(class, kind, String::new(), value.clone());
        }
    }
    let names: BTreeSet<&String> = old.limits.keys().chain(new.limits.keys()).collect();
    for name in names {
        let (before, after) = (old.limits.get(name), new.limits.get(name));
        if before == after {
            continue;
        }
        let (class, kind) = limit_change(name, before, after);
        push(
            class,
            kind,
            limit_text(name, before),
            limit_text(name, after),
        );
    }
    if old.default != new.default {
        push(
            Class::NonBreaking,
            "changed default",
            old.default.clone().unwrap_or_default(),
            new.default.clone().unwrap_or_default(),
        );
    }
    if old.additional != new.additional {
        let closed = new.additional == Some(Additional::Closed);
        let class = if sent && closed {
            Class::Breaking
        } else {
            Class::NonBreaking
        };
        let kind = if closed {
            "closed object"
        } else {
            "changed additionalProperties"
        };
        push(
            class,
            kind,
            additional_text(old.additional),
            additional_text(new.additional),
        );
    }
}

/// Whether a limit change rejects values that were accepted before.
fn limit_change(
    name: &str,
    before: Option<&String>,
    after: Option<&String>,
) -> (Class, &'static str) {
    const TIGHTENED: (Class, &str) = (Class::Breaking, "tightened limit");
    const RELAXED: (Class, &str) = (Class::NonBreaking, "relaxed limit");
    let number = |v: Option<&String>| v.and_then(|v| v.parse::<f64>().ok());
    match (before, after) {
        (None, Some(_)) => TIGHTENED,
        (Some(_), None) => RELAXED,
        _ if name == "pattern" => (Class::Breaking, "changed pattern"),
        _ if name == "uniqueItems" => {
            if after.map(String::as_str) == Some("true") {
                TIGHTENED
            } else {
                RELAXED
            }
        }
        _ => {
            let (Some(b), Some(a)) = (number(before), number(after)) else {
                return (Class::Breaking, "changed limit");
            };
            let lower_bound = name.starts_with("min") || name == "exclusiveMinimum";
            if (a > b) == lower_bound {
                TIGHTENED
            } else {
                RELAXED
            }
        }
    }
}

fn limit_text(name: &str, value: Option<&String>) -> String {
    value.map(|v| format!("{name} {v}")).unwrap_or_default()
}

fn flag(on: bool, name: &str) -> String {
    if on {
        name.to_owned()
    } else {
        format!("not {name}")
    }
}

fn additional_text(additional: Option<Additional>) -> String {
    match additional {
        Some(Additional::Closed) => "closed",
        Some(Additional::Typed) => "typed additionalProperties",
        Some(Additional::Open) => "open",
        None => "",
    }
    .to_owned()
}

/// The changes as a markdown table, followed by the semver hint.
pub fn render(changes: &[Change]) -> String {
    let mut out = String::new();
    if changes.is_empty() {
        out.push_str("no change to the operations, parameters or schemas\n");
    } else {
        out.push_str("| class | change | where | old | new |\n|---|---|---|---|---|\n");
        for c in changes {
            let _ = writeln!(
                out,
                "| {} | {} | `{}` | {} | {} |",
                c.class.label(),
                c.kind,
                c.at,
                cell(&c.old),
                cell(&c.new)
            );
        }
        out.push('\n');
    }
    out.push_str(&semver_hint(changes));
    out.push('\n');
    out
}

fn cell(text: &str) -> String {
    if text.is_empty() {
        String::new()
    } else {
        format!("`{}`", text.replace('|', "\\|"))
    }
}

/// What a change does to the Rust API of the generated client (and so of the
/// wrapper, which re-exports its types): the semver bump it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Rust {
    /// Nothing a Rust caller can see changes.
    Patch,
    /// New items only: a new field on a `#[non_exhaustive]` struct, a new
    /// variant of a `#[non_exhaustive]` enum, a new builder method.
    Minor,
    /// Code that compiled before may not compile or behave the same.
    Major,
}

impl Rust {
    /// `major`, `minor` or `patch`.
    pub fn label(self) -> &'static str {
        match self {
            Rust::Patch => "patch",
            Rust::Minor => "minor",
            Rust::Major => "major",
        }
    }
}

/// The Rust semver impact of one change. Every generated struct and enum is
/// `#[non_exhaustive]` (dotdigital-codegen), so additions are minor; anything
/// that removes, renames or retypes a generated item is major, and so is a
/// breaking change on the wire (code that compiles may now fail at run time).
pub fn rust_impact(change: &Change) -> Rust {
    if change.class == Class::Breaking {
        return Rust::Major;
    }
    match change.kind {
        "added response header" | "deprecated operation" | "undeprecated operation" => Rust::Patch,
        "added operation"
        | "added optional parameter"
        | "added optional request body"
        | "added response"
        | "added response property"
        | "added optional property"
        | "added enum value"
        | "new enum value in a response"
        | "changed default" => Rust::Minor,
        // A string limit is a validating newtype: adding or dropping the
        // limit adds or drops the type; changing its value keeps it.
        "tightened limit" | "relaxed limit" | "changed limit" | "changed pattern" => {
            let string_limit = ["minLength", "maxLength", "pattern"]
                .iter()
                .any(|l| change.old.starts_with(l) || change.new.starts_with(l));
            if string_limit && (change.old.is_empty() || change.new.is_empty()) {
                Rust::Major
            } else {
                Rust::Patch
            }
        }
        _ => Rust::Major,
    }
}

/// The largest Rust semver impact among `changes`.
pub fn rust_semver(changes: &[Change]) -> Rust {
    changes.iter().map(rust_impact).max().unwrap_or(Rust::Patch)
}

/// The wire verdict in a few words: the worst class among `changes`.
pub fn verdict(changes: &[Change]) -> &'static str {
    changes
        .iter()
        .map(|c| c.class)
        .min()
        .map_or("no change", Class::label)
}

/// What the changes mean for the versions of the client crates: the wire
/// classes above, and the Rust semver bump the generated API needs.
pub fn semver_hint(changes: &[Change]) -> String {
    if changes.is_empty() {
        return "semver: nothing to release for the API surface.".to_owned();
    }
    let count = |class| changes.iter().filter(|c| c.class == class).count();
    let rust = rust_semver(changes);
    let release = match rust {
        Rust::Major => "a breaking release; the crates are 0.x, so 0.x.y -> 0.(x+1).0",
        Rust::Minor => {
            "a feature release that compiles for every caller; the crates are 0.x, so 0.x.y -> 0.x.(y+1)"
        }
        Rust::Patch => "a patch release, 0.x.y -> 0.x.(y+1)",
    };
    let reasons: BTreeSet<&str> = changes
        .iter()
        .filter(|c| rust_impact(c) == rust)
        .map(|c| c.kind)
        .collect();
    format!(
        "wire: {} breaking, {} breaking for exhaustive matches, {} non-breaking.\n\
         semver (dotdigital-contacts-api, dotdigital-contacts): Rust {} ({}): {release}.",
        count(Class::Breaking),
        count(Class::ExhaustiveMatch),
        count(Class::NonBreaking),
        rust.label(),
        reasons.into_iter().collect::<Vec<_>>().join(", "),
    )
}

/// Whether anything in `changes` breaks client code.
pub fn any_breaking(changes: &[Change]) -> bool {
    changes.iter().any(|c| c.class != Class::NonBreaking)
}
